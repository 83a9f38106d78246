import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import mongoose from 'mongoose';
import { dbBackendFromEnv, startEmbeddedDb, type EmbeddedDb } from '../../server/db/ferretdb';

/** Every process (pid, name) whose ancestry reaches one of `roots`, the roots included. */
function processTree(roots: number[]): Map<number, string> {
  const parent = new Map<number, number>();
  const names = new Map<number, string>();
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${e}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      names.set(Number(e), stat.slice(stat.indexOf('(') + 1, close));
      parent.set(Number(e), Number(stat.slice(close + 2).split(' ')[1]));
    } catch {
      /* exited while we looked */
    }
  }
  const tree = new Map<number, string>();
  for (const pid of names.keys()) {
    for (let p: number | undefined = pid, hops = 0; p && hops < 64; p = parent.get(p), hops++) {
      if (roots.includes(p)) {
        tree.set(pid, names.get(pid)!);
        break;
      }
    }
  }
  return tree;
}

function alive(pid: number) {
  try {
    process.kill(pid, 0);
    return fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Processes whose command line names `dir` (the FerretDB and postgres command lines do). */
function processesNaming(dir: string): number[] {
  const found: number[] = [];
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    try {
      if (fs.readFileSync(`/proc/${e}/cmdline`, 'utf8').includes(dir)) found.push(Number(e));
    } catch {
      /* exited */
    }
  }
  return found;
}

describe('embedded database: the PostgreSQL backend', function () {
  // the cluster is created once (initdb, a few seconds); FerretDB and postgres start in about a second
  this.timeout(60_000);
  let dataDir: string;
  let db: EmbeddedDb | undefined;
  let conn: mongoose.Connection | undefined;

  before(function () {
    if (process.platform !== 'linux') this.skip(); // the no-orphan check reads /proc
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fuchan-pg-test-'));
  });

  after(async () => {
    await conn?.close().catch(() => undefined);
    await db?.stop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('stores and reads documents, reports duplicate keys as 11000, and leaves no process behind', async () => {
    db = await startEmbeddedDb({ dataDir, cacheDir: path.resolve('.cache'), backend: 'postgresql' });
    expect(db.backend).to.equal('postgresql');
    expect(db.owned).to.equal(true);
    expect(fs.existsSync(path.join(dataDir, 'postgres', 'pgdata', 'PG_VERSION'))).to.equal(true);
    // the port answers on loopback only
    expect(db.uri).to.match(/^mongodb:\/\/127\.0\.0\.1:\d+\//);

    conn = await mongoose.createConnection(db.uri, { serverSelectionTimeoutMS: 5000 }).asPromise();
    const col = conn.collection('backend_probe');
    await col.insertMany([
      { _id: 'a' as never, n: 1, tags: ['x'] },
      { _id: 'b' as never, n: 2, nested: { k: 'v' } },
    ]);
    await col.updateOne({ _id: 'a' as never }, { $inc: { n: 10 } });
    const docs = await col.find({}).sort({ _id: 1 }).toArray();
    expect(docs).to.deep.equal([
      { _id: 'a', n: 11, tags: ['x'] },
      { _id: 'b', n: 2, nested: { k: 'v' } },
    ]);
    expect(await col.countDocuments({ n: { $gt: 5 } })).to.equal(1);

    let code: unknown;
    try {
      await col.insertOne({ _id: 'a' as never, n: 99 });
    } catch (err) {
      code = (err as { code?: unknown }).code;
    }
    expect(code).to.equal(11000);
    expect((await col.findOne({ _id: 'a' as never }))?.n).to.equal(11);

    // the processes: two guard shells, FerretDB, the postmaster and its workers and backends
    const roots = db.pids();
    expect(roots.length).to.equal(3);
    const tree = processTree(roots);
    const names = [...tree.values()];
    expect(names.filter((n) => n.startsWith('postgres')).length, names.join(', ')).to.be.greaterThan(1);
    expect(names.filter((n) => n.startsWith('ferretdb')).length, names.join(', ')).to.equal(1);

    await conn.close();
    conn = undefined;
    await db.stop();
    expect(db.pids()).to.deep.equal([]);
    const deadline = Date.now() + 5000;
    let left = [...tree.keys()].filter(alive);
    while (left.length && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      left = [...tree.keys()].filter(alive);
    }
    expect(left.map((p) => `${p} ${tree.get(p)}`)).to.deep.equal([]);
    expect(processesNaming(dataDir)).to.deep.equal([]);
    expect(fs.existsSync(path.join(dataDir, 'postgres', 'pgdata', 'postmaster.pid'))).to.equal(false);
  });

  it('is the default backend; SQLite is chosen by FUCHAN_DB_BACKEND=sqlite', () => {
    expect(dbBackendFromEnv({})).to.equal('postgresql');
    expect(dbBackendFromEnv({ FUCHAN_DB_BACKEND: 'sqlite' })).to.equal('sqlite');
    expect(dbBackendFromEnv({ FUCHAN_DB_BACKEND: 'postgresql' })).to.equal('postgresql');
    expect(() => dbBackendFromEnv({ FUCHAN_DB_BACKEND: 'mysql' })).to.throw(/FUCHAN_DB_BACKEND/);
  });
});

describe('embedded database: the SQLite backend', function () {
  this.timeout(60_000);
  let dataDir: string;
  let db: EmbeddedDb | undefined;
  let conn: mongoose.Connection | undefined;
  after(async () => {
    await conn?.close().catch(() => undefined);
    await db?.stop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('stores and reads documents, reports duplicate keys as 11000, and stops', async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fuchan-sqlite-test-'));
    db = await startEmbeddedDb({ dataDir, cacheDir: path.resolve('.cache'), backend: 'sqlite' });
    expect(db.backend).to.equal('sqlite');
    conn = await mongoose.createConnection(db.uri, { serverSelectionTimeoutMS: 5000 }).asPromise();
    const col = conn.collection('backend_probe');
    await col.insertOne({ _id: 'a' as never, n: 1 });
    await col.updateOne({ _id: 'a' as never }, { $inc: { n: 10 } });
    expect((await col.findOne({ _id: 'a' as never }))?.n).to.equal(11);
    let code: unknown;
    try {
      await col.insertOne({ _id: 'a' as never, n: 99 });
    } catch (err) {
      code = (err as { code?: unknown }).code;
    }
    expect(code).to.equal(11000);
    await conn.close();
    conn = undefined;
    await db.stop();
    expect(db.pids()).to.deep.equal([]);
    expect(processesNaming(dataDir)).to.deep.equal([]);
  });
});

/**
 * The embedded database's two backends side by side: FerretDB over SQLite and over the embedded
 * PostgreSQL. Each runs in a temporary folder; the same operations are timed against both through a
 * mongoose connection of its own: updateOne by _id, insertOne, and insertMany of 100 documents, one at
 * a time (latency) and with 16 in flight (throughput).
 *
 *   npx tsx scripts/bench/db-backends.ts [--n 1000] [--backends sqlite,postgresql]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import mongoose from 'mongoose';
import { DB_BACKENDS, startEmbeddedDb, type DbBackend } from '../../server/db/ferretdb';

const { values } = parseArgs({
  options: { n: { type: 'string', default: '1000' }, backends: { type: 'string', default: DB_BACKENDS.join(',') } },
});
const N = Number(values.n);
const backends = values.backends!.split(',') as DbBackend[];
const repoRoot = path.resolve(import.meta.dirname, '../..');

function doc(i: number) {
  return {
    _id: i,
    kind: i % 2 ? 'supply' : 'demand',
    owner: `org-${i % 97}`,
    category: `cat-${i % 13}`,
    quantity: 100 + (i % 50),
    reserved: 0,
    region: 'Hubei',
    note: 'x'.repeat(120),
    version: 0,
    updatedAt: new Date(1_600_000_000_000 + i),
  };
}

interface Result {
  op: string;
  ops: number;
  perSecond: number;
  p50: number;
  p99: number;
  errors: number;
  firstError?: string;
}

function pct(sorted: number[], q: number) {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** Runs `count` calls of `fn(i)` with `concurrency` in flight; per-call latency and overall rate. */
async function timed(op: string, count: number, concurrency: number, unit: number, fn: (i: number) => Promise<unknown>): Promise<Result> {
  const lat: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < count; i = next++) {
        const s = performance.now();
        try {
          await fn(i);
          lat.push(performance.now() - s);
        } catch (err) {
          errors++;
          firstError ??= (err as Error).message.slice(-120);
        }
      }
    }),
  );
  const secs = (performance.now() - t0) / 1000;
  lat.sort((a, b) => a - b);
  const ok = (count - errors) * unit;
  console.error(`  ${op}: ${(ok / secs).toFixed(0)}/s${errors ? `, ${errors} failed: ${firstError}` : ''}`);
  return { op, ops: ok, perSecond: ok / secs, p50: pct(lat, 0.5) ?? NaN, p99: pct(lat, 0.99) ?? NaN, errors, firstError };
}

async function bench(backend: DbBackend): Promise<Result[]> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `fuchan-dbbench-${backend}-`));
  const db = await startEmbeddedDb({ dataDir, cacheDir: path.join(repoRoot, '.cache'), backend });
  const conn = await mongoose.createConnection(db.uri, { maxPoolSize: 32 }).asPromise();
  try {
    const col = conn.collection<ReturnType<typeof doc>>('bench');
    const base = 1_000;
    await col.insertMany(Array.from({ length: base }, (_, i) => doc(i)));
    const out: Result[] = [];
    let id = base;
    for (const c of [1, 16]) {
      out.push(await timed(`updateOne by _id (c=${c})`, N, c, 1, (i) => col.updateOne({ _id: i % base }, { $inc: { reserved: 1, version: 1 } })));
      out.push(await timed(`insertOne (c=${c})`, N, c, 1, () => col.insertOne(doc(id++))));
      const batches = Math.max(5, Math.round(N / 20));
      out.push(
        await timed(`insertMany 100 (c=${c}), docs/s`, batches, c, 100, () => col.insertMany(Array.from({ length: 100 }, () => doc(id++)))),
      );
    }
    return out;
  } finally {
    await conn.close();
    await db.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main() {
  console.log(`# Embedded database backends: ${N} operations each; ${os.cpus().length} × ${os.cpus()[0]?.model.trim()}, Node ${process.version}\n`);
  const results = new Map<DbBackend, Result[]>();
  for (const b of backends) {
    console.error(`${b}:`);
    results.set(b, await bench(b));
  }
  const ops = results.get(backends[0])!.map((r) => r.op);
  const head = ['operation', ...backends.flatMap((b) => [`${b} /s`, `${b} p50 ms`, `${b} p99 ms`, `${b} failed`])];
  console.log(`| ${head.join(' | ')} |`);
  console.log(`| ${head.map(() => '---').join(' | ')} |`);
  for (const [k, op] of ops.entries()) {
    const cells = backends.flatMap((b) => {
      const r = results.get(b)![k];
      return [r.perSecond.toFixed(0), r.p50.toFixed(2), r.p99.toFixed(2), String(r.errors)];
    });
    console.log(`| ${op} | ${cells.join(' | ')} |`);
  }
  for (const [b, rs] of results) for (const r of rs) if (r.firstError) console.log(`\n${b}, ${r.op}: ${r.errors} failed, e.g. ${r.firstError}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

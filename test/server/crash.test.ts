import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import mongoose from 'mongoose';
import request from 'supertest';
import { reservingStatuses } from '../../models/match.schema';
import { bearer, register, type Account } from '../fixtures/app';
import { daysFromNow, demandInput, offerInput } from '../fixtures/postings';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A deterministic pseudo-random sequence, so a failing drill can be replayed with its seed. */
function rng(seed: number) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

interface Service {
  child: ChildProcess;
  url: string;
}

/** A port nothing listens on now, from the OS (a random pick once collided with a port in use). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

async function startService(dataDir: string): Promise<Service> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.MONGODB_URI;
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/index.ts'], {
    env: { ...env, FUCHAN_DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', FUCHAN_DEMO: 'false', LOG_LEVEL: 'error', BCRYPT_ROUNDS: '4', RATE_LIMIT_AUTH_PER_MINUTE: '100000', RATE_LIMIT_WRITE_PER_MINUTE: '100000' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  return (async () => {
    for (let waited = 0; waited < 60_000; waited += 100) {
      if (child.exitCode !== null) throw new Error(`the service exited with ${child.exitCode}`);
      const ok = await request(url).get('/api/health').then((r) => r.status === 200, () => false);
      if (ok) return { child, url };
      await sleep(100);
    }
    child.kill('SIGKILL');
    throw new Error('the service did not start within 60 s');
  })();
}

/** SIGKILL for the service and its database, in a random order. */
async function crash(s: Service, dataDir: string, dbFirst: boolean) {
  const state = JSON.parse(fs.readFileSync(path.join(dataDir, 'ferretdb.json'), 'utf8')) as { pid: number };
  const killDb = () => {
    try {
      process.kill(state.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  };
  const exited = new Promise((r) => s.child.once('exit', r));
  if (dbFirst) killDb();
  s.child.kill('SIGKILL');
  if (!dbFirst) killDb();
  await exited;
  for (let i = 0; i < 100; i++) {
    try {
      process.kill(state.pid, 0);
      await sleep(50);
    } catch {
      return;
    }
  }
}

describe('crash drill', function () {
  this.timeout(300_000);

  it('when the service and its database are killed at random moments while buyers post and both sides confirm, then after each restart nothing acknowledged is lost, reservations add up, the log has no holes and the projections match', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fuchan-crash-'));
    const random = rng(Number(process.env.CRASH_SEED ?? 20201));
    const ackedDemands: { id: string; buyer: Account }[] = [];
    const ackedConfirmations = new Set<string>();
    let s = await startService(dataDir);
    try {
      const supplier = await register(s.url, 'supplier', { certifications: ['iso-13485'] });
      const buyers = await Promise.all(Array.from({ length: 6 }, () => register(s.url, 'buyer')));
      const offers: string[] = [];
      for (let i = 0; i < 3; i++) {
        // 30 days x 100 a day: demands of 200-700 units compete for 3,000 units per offer
        const r = await request(s.url).post('/api/offers').set(bearer(supplier)).send(offerInput({ products: [{ category: 'protective-gown', unitsPerDay: 100 }], minOrderUnits: 1 }));
        expect(r.status).to.equal(201);
        offers.push(r.body.id);
      }

      for (let round = 0; round < 3; round++) {
        // Act: load until a random moment, then kill both processes
        let running = true;
        const buyerLoop = async (b: Account) => {
          while (running) {
            const res = await request(s.url)
              .post('/api/demands')
              .set(bearer(b))
              .send(demandInput({ quantity: 200 + Math.floor(random() * 500), deadline: daysFromNow(40) }))
              .then((r) => r, () => null);
            if (res?.status === 201) ackedDemands.push({ id: res.body.id, buyer: b });
            if (!res) return;
            // accept what was proposed to the last demand
            const list = await request(s.url).get(`/api/demands/${res.body.id}/matches`).set(bearer(b)).then((r) => r, () => null);
            for (const m of list?.body?.items ?? []) {
              const a = await request(s.url).post(`/api/matches/${m.id}/accept`).set(bearer(b)).then((r) => r, () => null);
              if (a?.status === 200 && a.body.status === 'confirmed') ackedConfirmations.add(m.id);
            }
          }
        };
        const supplierLoop = async () => {
          while (running) {
            for (const o of offers) {
              const list = await request(s.url).get(`/api/offers/${o}/matches`).set(bearer(supplier)).then((r) => r, () => null);
              if (!list) return;
              for (const m of (list.body?.items ?? []).filter((x: { status: string }) => x.status === 'proposed' || x.status === 'accepted_by_buyer')) {
                const a = await request(s.url).post(`/api/matches/${m.id}/accept`).set(bearer(supplier)).then((r) => r, () => null);
                if (a?.status === 200 && a.body.status === 'confirmed') ackedConfirmations.add(m.id);
              }
            }
          }
        };
        const load = Promise.all([...buyers.map(buyerLoop), supplierLoop()]);
        await sleep(400 + random() * 1600);
        await crash(s, dataDir, random() < 0.5);
        running = false;
        await load;

        // Assert, after a restart
        s = await startService(dataDir);
        for (const { id, buyer } of ackedDemands) {
          const r = await request(s.url).get(`/api/demands/${id}`).set(bearer(buyer));
          expect(r.status, `acknowledged demand ${id} after crash ${round + 1}`).to.equal(200);
        }
        const matches = new Map<string, { status: string; units: number; offerId: string; demandId: string }>();
        for (const o of offers) {
          const offer = (await request(s.url).get(`/api/offers/${o}`).set(bearer(supplier)).expect(200)).body;
          const list = (await request(s.url).get(`/api/offers/${o}/matches`).set(bearer(supplier)).expect(200)).body.items as { id: string; status: string; units: number; offerId: string; demandId: string }[];
          for (const m of list) matches.set(m.id, m);
          const reserved = list.filter((m) => reservingStatuses.includes(m.status as never)).reduce((n, m) => n + m.units, 0);
          expect(offer.reservedUnits, `offer ${o}: reserved = its confirmed matches`).to.equal(reserved);
          expect(offer.reservedUnits, `offer ${o}: within what it can make`).to.be.at.most(offer.totalUnits);
        }
        for (const id of ackedConfirmations) {
          expect(reservingStatuses, `acknowledged confirmation ${id}`).to.include(matches.get(id)?.status);
        }

        // the log has no holes, and the collections reflect the state once projected
        let health = (await request(s.url).get('/api/health').expect(200)).body;
        for (let waited = 0; health.ledger.projected < health.ledger.seq && waited < 20_000; waited += 100) {
          await sleep(100);
          health = (await request(s.url).get('/api/health').expect(200)).body;
        }
        expect(health.ledger.projected).to.equal(health.ledger.seq);
        const port = (JSON.parse(fs.readFileSync(path.join(dataDir, 'ferretdb.json'), 'utf8')) as { port: number }).port;
        const client = await mongoose.mongo.MongoClient.connect(`mongodb://127.0.0.1:${port}/fuchan`);
        try {
          const db = client.db('fuchan');
          const seqs = (await db.collection('events').find({}, { projection: { seq: 1 } }).toArray()).map((e) => e.seq as number).sort((a, b) => a - b);
          expect(seqs.length).to.be.greaterThan(0);
          expect(seqs.every((q, i) => q === i + 1), 'sequence numbers 1..n without holes').to.equal(true);
          for (const o of offers) {
            const api = (await request(s.url).get(`/api/offers/${o}`).set(bearer(supplier)).expect(200)).body;
            const doc = await db.collection('offers').findOne({ _id: new mongoose.mongo.ObjectId(o) });
            expect({ reserved: doc?.reservedUnits, status: doc?.status, version: doc?.version }, `projection of offer ${o}`).to.deep.equal({ reserved: api.reservedUnits, status: api.status, version: api.version });
          }
          const docs = await db.collection('matches').find({}, { projection: { status: 1 } }).toArray();
          const projected = new Map(docs.map((d) => [String(d._id), d.status as string]));
          for (const [id, m] of matches) expect(projected.get(id), `projection of match ${id}`).to.equal(m.status);
          console.log(`      crash ${round + 1}: ${ackedDemands.length} demands and ${ackedConfirmations.size} confirmations acknowledged so far, log at ${seqs.length}`);
        } finally {
          await client.close();
        }
      }
      expect(ackedDemands.length, 'the drill posted demands').to.be.greaterThan(5);
      expect(ackedConfirmations.size, 'the drill confirmed matches').to.be.greaterThan(0);
    } finally {
      if (s.child.exitCode === null) {
        const exited = new Promise((r) => s.child.once('exit', r));
        s.child.kill('SIGTERM');
        await exited;
      }
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { expect } from 'chai';
import jwt from 'jsonwebtoken';
import request from 'supertest';
import { SettingModel } from '../../models/setting.model';
import { createServices, type Running } from '../../server/index';
import { bearer, coordinator, register, startTestServer, testConfig, type Account } from '../fixtures/app';
import { demandInput, offerInput } from '../fixtures/postings';
import { connect, record, sleep, waitFor, type ClientSocket } from '../fixtures/sockets';
import { testDb } from '../hooks';


describe('live events over Socket.IO', function () {
  this.timeout(60_000);
  let s: Running;
  const sockets: ClientSocket[] = [];
  const open = async (token?: string, opts?: { reconnection?: boolean }) => {
    const c = await connect(s.url, token, opts);
    sockets.push(c);
    return c;
  };
  beforeEach(async () => {
    s = await startTestServer();
  });
  afterEach(async () => {
    for (const c of sockets.splice(0)) c.close();
    await s.stop();
  });

  it('when the token is missing, forged or expired, then the handshake is refused', async () => {
    const a = await register(s.url, 'buyer');
    await open(a.token); // a good one connects
    for (const bad of [undefined, 'garbage', jwt.sign({ role: 'coordinator' }, 'not-the-secret', { subject: 'x' })]) {
      let refused: Error | null = null;
      await connect(s.url, bad).then((c) => c.close(), (e: Error) => (refused = e));
      expect(refused, String(bad)).to.be.instanceOf(Error);
      expect(refused!.message).to.match(/unauthorized/);
    }
    const secret = String((await SettingModel.findById('jwtSecret').lean())!.value);
    const expired = jwt.sign({ role: 'buyer', org: a.user.organization!.id }, secret, { subject: a.user.id, expiresIn: -10 });
    await connect(s.url, expired).then(
      () => expect.fail('an expired token connected'),
      (e: Error) => expect(e.message).to.match(/unauthorized/),
    );
  });

  it('when a demand is posted over HTTP, then a coordinator socket receives match:proposed with score and explanation ', async () => {
    const coord = await coordinator(s.url, s.services);
    const c = await open(coord.token);
    const supplier = await register(s.url, 'supplier', { certifications: ['iso-13485'] });
    const buyer = await register(s.url, 'buyer');
    await request(s.url).post('/api/offers').set(bearer(supplier)).send(offerInput()).expect(201);
    const arrived = waitFor<{ seq: number; match: { demandId: string; score: number; explanation: { summary: string[] } } }>(c, 'match:proposed');
    const d = await request(s.url).post('/api/demands').set(bearer(buyer)).send(demandInput());
    const ev = await arrived;
    expect(ev.match.demandId).to.equal(d.body.id);
    expect(ev.match.score).to.be.within(0, 1);
    expect(ev.match.explanation.summary.length).to.be.greaterThan(0);
    expect(ev.seq).to.be.a('number');
    // timing is measured by scripts/bench/live.ts, not asserted here
  });

  it('when two organizations post, then each receives only events about its own postings and matches', async () => {
    const s1 = await register(s.url, 'supplier', { certifications: ['iso-13485'] });
    const s2 = await register(s.url, 'supplier');
    const b1 = await register(s.url, 'buyer');
    const c1 = await open(s1.token);
    const c2 = await open(s2.token);
    const cb = await open(b1.token);
    const e1 = record(c1);
    const e2 = record(c2);
    const eb = record(cb);
    const supplierCoverage: unknown[] = [];
    c1.on('coverage:updated', (p) => supplierCoverage.push(p));
    await request(s.url).post('/api/offers').set(bearer(s1)).send(offerInput()).expect(201);
    await request(s.url).post('/api/demands').set(bearer(b1)).send(demandInput()).expect(201);
    await sleep(500);
    expect(e1.map((e) => e.type)).to.include.members(['offer:updated', 'match:proposed']);
    expect(eb.map((e) => e.type)).to.include.members(['demand:updated', 'match:proposed']);
    expect(eb.map((e) => e.type)).to.not.include('offer:updated');
    expect(e2, 'another supplier sees nothing').to.have.length(0);
    expect(supplierCoverage, 'coverage is for coordinators only').to.have.length(0);
  });

  it('when a coordinator subscribes to a region, then it receives only that region, plus coverage', async () => {
    const coord = await coordinator(s.url, s.services);
    const c = await open(coord.token);
    const ack = await c.emitWithAck('subscribe', { regions: ['Guangdong'] });
    expect(ack).to.deep.equal({ ok: true, data: { regions: ['Guangdong'], categories: [] } });
    const events = record(c);
    const coverages: unknown[] = [];
    c.on('coverage:updated', (p) => coverages.push(p));
    const hubei = await register(s.url, 'buyer', { region: 'Hubei' });
    const gd = await register(s.url, 'buyer', { region: 'Guangdong', location: { lat: 23.13, lng: 113.26 } });
    await request(s.url).post('/api/demands').set(bearer(hubei)).send(demandInput()).expect(201);
    await request(s.url).post('/api/demands').set(bearer(gd)).send(demandInput({ deliveryLocation: { lat: 23.13, lng: 113.26 } })).expect(201);
    await sleep(1500);
    const demandEvents = events.filter((e) => e.type === 'demand:updated').map((e) => (e.payload.demand as { region: string }).region);
    expect(demandEvents).to.deep.equal(['Guangdong']);
    expect(coverages.length, 'coverage arrives after the changes').to.be.greaterThan(0);
    const bad = await c.emitWithAck('subscribe', { regions: 'Guangdong' } as never);
    expect(bad.ok).to.equal(false);
    const buyerSocket = await open(hubei.token);
    const refused = await buyerSocket.emitWithAck('subscribe', { regions: ['Guangdong'] });
    expect(refused).to.deep.include({ ok: false });
  });

  it('when a client drops while matches keep arriving, then resync fills the gap: every seq exactly once, in order', async () => {
    const coord = await coordinator(s.url, s.services);
    const supplier = await register(s.url, 'supplier', { certifications: ['iso-13485'] });
    const buyer = await register(s.url, 'buyer');
    await request(s.url).post('/api/offers').set(bearer(supplier)).send(offerInput({ products: [{ category: 'protective-gown', unitsPerDay: 100_000 }] })).expect(201);
    const c = await open(coord.token, { reconnection: true });
    const seen: number[] = [];
    const onEvent = (_t: string, p: { seq: number }) => seen.push(p.seq);
    c.onAny(onEvent);
    const poster = (async () => {
      for (let i = 0; i < 12; i++) {
        await request(s.url).post('/api/demands').set(bearer(buyer)).send(demandInput({ quantity: 100 + i })).expect(201);
        await sleep(60);
      }
    })();
    await sleep(200);
    c.io.engine.close(); // a network drop: the client reconnects by itself
    await new Promise<void>((r) => c.once('connect', () => r()));
    await poster;
    await sleep(1200);
    const afterSeq = 0;
    const all = await c.emitWithAck('resync', { afterSeq });
    expect(all.ok).to.equal(true);
    if (!all.ok) return;
    const logSeqs = all.data.events.map((e) => e.payload.seq);
    // the client fills its gap from the last seq it holds before the drop
    const held = new Set(seen);
    const missing = logSeqs.filter((q) => !held.has(q));
    expect(missing.length, 'some events were missed during the drop').to.be.greaterThan(0);
    const lastBeforeGap = Math.min(...missing) - 1;
    const fill = await c.emitWithAck('resync', { afterSeq: lastBeforeGap });
    if (!fill.ok) throw new Error('resync failed');
    const merged = new Map<number, number>();
    for (const q of seen) merged.set(q, (merged.get(q) ?? 0) + 1);
    for (const e of fill.data.events) if (!held.has(e.payload.seq)) merged.set(e.payload.seq, 1);
    const final = [...merged.keys()].sort((a, b) => a - b);
    expect(final).to.deep.equal(logSeqs);
    expect([...merged.values()].every((n) => n === 1)).to.equal(true);
    const fillSeqs = fill.data.events.map((e) => e.payload.seq);
    expect(fillSeqs).to.deep.equal([...fillSeqs].sort((a, b) => a - b));
    expect(all.data.lastSeq).to.equal(Math.max(...logSeqs));
  });

  it('when an organization resyncs from 0, then it gets only its own events', async () => {
    const s1 = await register(s.url, 'supplier', { certifications: ['iso-13485'] });
    const s2 = await register(s.url, 'supplier');
    const b1 = await register(s.url, 'buyer');
    await request(s.url).post('/api/offers').set(bearer(s1)).send(offerInput()).expect(201);
    await request(s.url).post('/api/offers').set(bearer(s2)).send(offerInput({ products: [{ category: 'brake-pad', unitsPerDay: 10 }], certifications: [] })).expect(201);
    await request(s.url).post('/api/demands').set(bearer(b1)).send(demandInput()).expect(201);
    const c2 = await open(s2.token);
    const r = await c2.emitWithAck('resync', { afterSeq: 0 });
    if (!r.ok) throw new Error('resync failed');
    expect(r.data.events.map((e) => e.type)).to.deep.equal(['offer:updated']);
    expect((r.data.events[0].payload as { offer: { organizationId: string } }).offer.organizationId).to.equal(s2.user.organization!.id);
    const bad = await c2.emitWithAck('resync', { afterSeq: -1 });
    expect(bad.ok).to.equal(false);
  });

  it('when a client resyncs from a position past the end of the log (its database was reloaded), then lastSeq is the log end, so continuing from it misses nothing after', async () => {
    const b = await register(s.url, 'buyer');
    await request(s.url).post('/api/demands').set(bearer(b)).send(demandInput()).expect(201);
    const c = await open(b.token);
    const end = (await request(s.url).get('/api/health')).body.ledger.seq as number;
    const stale = await c.emitWithAck('resync', { afterSeq: end + 5000 });
    if (!stale.ok) throw new Error('resync failed');
    expect(stale.data.events).to.deep.equal([]);
    expect(stale.data.more).to.equal(false);
    expect(stale.data.lastSeq).to.equal(end);
    // what happens next is read from there
    await request(s.url).post('/api/demands').set(bearer(b)).send(demandInput({ quantity: 700 })).expect(201);
    const next = await c.emitWithAck('resync', { afterSeq: stale.data.lastSeq });
    if (!next.ok) throw new Error('resync failed');
    expect(next.data.events.map((e) => e.type)).to.include('demand:updated');
  });
});

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

async function waitHttp(url: string, ms: number) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    try {
      const r = await fetch(`${url}/api/health`);
      if (r.ok) return;
    } catch {
      /* not yet */
    }
    await sleep(200);
  }
  throw new Error(`${url} did not come up`);
}

describe('two instances with Redis', function () {
  this.timeout(120_000);
  const procs: ChildProcess[] = [];
  let redisPort = 0;

  before(async function () {
    redisPort = await freePort();
    const redis = spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    procs.push(redis);
    await new Promise<void>((resolve, reject) => {
      redis.once('error', reject);
      setTimeout(resolve, 500);
    });
  });
  after(async function () {
    this.timeout(60_000);
    // the services first, then Redis; wait for each to exit so nothing outlives the run
    for (const p of [...procs.slice(1), procs[0]]) {
      if (p.exitCode !== null || p.signalCode !== null) continue;
      const exited = new Promise((r) => p.once('exit', r));
      p.kill('SIGTERM');
      await exited;
    }
  });

  it('when a match is created through instance B, then a coordinator connected to instance A receives it', async () => {
    const ports = [await freePort(), await freePort()];
    const urls = ports.map((p) => `http://127.0.0.1:${p}`);
    for (const port of ports) {
      const p = spawn(process.execPath, ['--import', 'tsx', 'server/index.ts'], {
        env: { ...process.env, MONGODB_URI: testDb.uri, PORT: String(port), HOST: '127.0.0.1', REDIS_URL: `redis://127.0.0.1:${redisPort}`, FUCHAN_DEMO: 'false', LOG_LEVEL: 'warn', BCRYPT_ROUNDS: '4' },
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      procs.push(p);
    }
    await Promise.all(urls.map((u) => waitHttp(u, 60_000)));
    const [a, b] = urls;
    const supplier = await register(b, 'supplier', { certifications: ['iso-13485'] });
    const buyer = await register(b, 'buyer');
    const coordEmail = `coord.${Date.now()}@example.test`;
    const services = createServices(testConfig());
    await services.auth.createUser({ email: coordEmail, password: 'coordinator pass', name: 'C', role: 'coordinator' });
    const login = await request(a).post('/api/auth/login').send({ email: coordEmail, password: 'coordinator pass' }).expect(200);
    const onA = await connect(a, login.body.token);
    const buyerOnA = await connect(a, buyer.token);
    try {
      const coordGot = waitFor<{ match: { demandId: string } }>(onA, 'match:proposed', () => true, 10_000);
      const buyerGot = waitFor<{ match: { demandId: string } }>(buyerOnA, 'match:proposed', () => true, 10_000);
      await request(b).post('/api/offers').set(bearer(supplier)).send(offerInput()).expect(201);
      const d = await request(b).post('/api/demands').set(bearer(buyer)).send(demandInput()).expect(201);
      expect((await coordGot).match.demandId).to.equal(d.body.id);
      expect((await buyerGot).match.demandId).to.equal(d.body.id);
      // and A's own matching view learned B's offer from the log: a demand posted on A is matched to it
      await sleep(800);
      const d2 = await request(a).post('/api/demands').set(bearer(buyer)).send(demandInput({ quantity: 1000 })).expect(201);
      const m = await request(a).get(`/api/demands/${d2.body.id}/matches`).set(bearer(buyer)).expect(200);
      expect(m.body.items).to.have.length(1);
    } finally {
      onA.close();
      buyerOnA.close();
    }
  });
});

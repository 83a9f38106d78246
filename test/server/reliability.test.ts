import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import mongoose from 'mongoose';
import request from 'supertest';
import { DemandModel } from '../../models/demand.model';
import { OfferModel } from '../../models/offer.model';
import { bearer, createTestApp, register, startTestServer, type Account, type TestApp } from '../fixtures/app';
import { demandInput, offerInput } from '../fixtures/postings';
import { connect, sleep } from '../fixtures/sockets';
import { verifyCertifications } from '../fixtures/trust';
import { testDb } from '../hooks';


describe('idempotent writes', () => {
  let t: TestApp;
  let supplier: Account;
  let buyer: Account;
  beforeEach(async () => {
    t = await createTestApp();
    supplier = await register(t.app, 'supplier', { certifications: ['iso-13485'] });
    buyer = await register(t.app, 'buyer');
  });

  it('when a POST is retried with the same Idempotency-Key, then the first result comes back and nothing is created twice', async () => {
    const body = demandInput();
    const first = await request(t.app).post('/api/demands').set(bearer(buyer)).set('Idempotency-Key', 'k-1').send(body);
    const retry = await request(t.app).post('/api/demands').set(bearer(buyer)).set('Idempotency-Key', 'k-1').send(body);
    expect(first.status).to.equal(201);
    expect(retry.status).to.equal(201);
    expect(retry.body.id).to.equal(first.body.id);
    expect(retry.headers['idempotent-replay']).to.equal('true');
    await t.services.projector.idle();
    expect(await DemandModel.countDocuments({})).to.equal(1);
  });

  it('when a retry spells the same route differently (a trailing slash, upper case), then it still gets the first result', async () => {
    const body = demandInput();
    const first = await request(t.app).post('/api/demands').set(bearer(buyer)).set('Idempotency-Key', 'k-spelling').send(body);
    expect(first.status).to.equal(201);
    for (const path of ['/api/demands/', '/api/DEMANDS', '/API/Demands/']) {
      const retry = await request(t.app).post(path).set(bearer(buyer)).set('Idempotency-Key', 'k-spelling').send(body);
      expect(retry.status, path).to.equal(201);
      expect(retry.body.id, path).to.equal(first.body.id);
      expect(retry.headers['idempotent-replay'], path).to.equal('true');
    }
    await t.services.projector.idle();
    expect(await DemandModel.countDocuments({})).to.equal(1);
  });

  it('when a retry sends the same body with its keys in another order, then it gets the first result; another body is still 409', async () => {
    const body = demandInput();
    const first = await request(t.app).post('/api/demands').set(bearer(buyer)).set('Idempotency-Key', 'k-order').send(body);
    expect(first.status).to.equal(201);
    const reordered = Object.fromEntries(Object.entries(body).reverse());
    (reordered as { deliveryLocation: unknown }).deliveryLocation = { lng: body.deliveryLocation.lng, lat: body.deliveryLocation.lat };
    expect(Object.keys(reordered)).to.not.deep.equal(Object.keys(body));
    const retry = await request(t.app).post('/api/demands').set(bearer(buyer)).set('Idempotency-Key', 'k-order').set('Content-Type', 'application/json').send(JSON.stringify(reordered));
    expect(retry.status).to.equal(201);
    expect(retry.body.id).to.equal(first.body.id);
    expect(retry.headers['idempotent-replay']).to.equal('true');
    const other = await request(t.app).post('/api/demands').set(bearer(buyer)).set('Idempotency-Key', 'k-order').send({ ...body, quantity: body.quantity + 1 });
    expect(other.status).to.equal(409);
    await t.services.projector.idle();
    expect(await DemandModel.countDocuments({})).to.equal(1);
  });

  it('when retries race each other, then exactly one offer is created and all get its id', async () => {
    const body = offerInput();
    const replies = await Promise.all(
      Array.from({ length: 12 }, () => request(t.app).post('/api/offers').set(bearer(supplier)).set('Idempotency-Key', 'race-1').send(body)),
    );
    expect(replies.map((r) => r.status)).to.deep.equal(Array(12).fill(201));
    expect(new Set(replies.map((r) => r.body.id)).size).to.equal(1);
    await t.services.projector.idle();
    expect(await OfferModel.countDocuments({})).to.equal(1);
  });

  it('when the same key comes with another body, then 409; and keys are per account', async () => {
    const body = demandInput();
    await request(t.app).post('/api/demands').set(bearer(buyer)).set('Idempotency-Key', 'k-2').send(body).expect(201);
    const other = await request(t.app).post('/api/demands').set(bearer(buyer)).set('Idempotency-Key', 'k-2').send(demandInput({ quantity: 7 }));
    expect(other.status).to.equal(409);
    const b2 = await register(t.app, 'buyer');
    await request(t.app).post('/api/demands').set(bearer(b2)).set('Idempotency-Key', 'k-2').send(body).expect(201);
    await t.services.projector.idle();
    expect(await DemandModel.countDocuments({})).to.equal(2);
  });

  it('when an accept is retried, then it is applied once', async () => {
    await request(t.app).post('/api/offers').set(bearer(supplier)).send(offerInput()).expect(201);
    const d = (await request(t.app).post('/api/demands').set(bearer(buyer)).send(demandInput()).expect(201)).body;
    const [m] = (await request(t.app).get(`/api/demands/${d.id}/matches`).set(bearer(buyer))).body.items;
    await request(t.app).post(`/api/matches/${m.id}/accept`).set(bearer(supplier)).expect(200);
    const replies = await Promise.all(
      Array.from({ length: 6 }, () => request(t.app).post(`/api/matches/${m.id}/accept`).set(bearer(buyer)).set('Idempotency-Key', 'acc-1')),
    );
    expect(replies.every((r) => r.status === 200 && r.body.status === 'confirmed')).to.equal(true);
    await t.services.projector.idle();
    const offer = await OfferModel.findOne({}).lean();
    expect(offer!.reservedUnits).to.equal(5000);
  });
});

describe('database outages', function () {
  this.timeout(120_000);
  before(function () {
    if (!testDb.embedded?.owned) this.skip(); // needs the embedded database to stop it
  });

  it('when the database stops, then requests fail fast with 503 and Retry-After; when it returns, the service recovers and keeps every acknowledged write', async () => {
    const s = await startTestServer();
    try {
      const supplier = await register(s.url, 'supplier', { certifications: ['iso-13485'] });
      // verified (server/trust), so more than the unverified's 5 open offers are allowed
      await verifyCertifications(s.services, supplier, ['iso-13485']);
      const acknowledged: string[] = [];
      for (let i = 0; i < 5; i++) {
        const r = await request(s.url).post('/api/offers').set(bearer(supplier)).send(offerInput({ minOrderUnits: 100 + i }));
        expect(r.status).to.equal(201);
        acknowledged.push(r.body.id);
      }
      await testDb.embedded!.suspend();
      await sleep(2500); // the monitor pings every second
      const health = await request(s.url).get('/api/health');
      expect(health.status).to.equal(503);
      expect(health.body.db).to.equal('down');
      const t0 = Date.now();
      const write = await request(s.url).post('/api/offers').set(bearer(supplier)).send(offerInput());
      expect(write.status).to.equal(503);
      expect(write.headers['retry-after']).to.be.a('string');
      expect(write.body.error.code).to.equal('db_unavailable');
      // no hang: it answers before the driver's 3 s server selection timeout could even expire
      expect(Date.now() - t0, 'fails fast').to.be.lessThan(2500);
      await testDb.embedded!.resume();
      const deadline = Date.now() + 30_000;
      let up = false;
      while (!up && Date.now() < deadline) {
        up = (await request(s.url).get('/api/health')).status === 200;
        if (!up) await sleep(250);
      }
      expect(up, 'recovered by itself').to.equal(true);
      const list = await request(s.url).get('/api/offers?limit=100').set(bearer(supplier));
      expect(list.status).to.equal(200);
      expect(list.body.items.map((o: { id: string }) => o.id)).to.include.members(acknowledged);
      await request(s.url).post('/api/offers').set(bearer(supplier)).send(offerInput()).expect(201);
    } finally {
      if (mongoose.connection.readyState !== 1) await testDb.embedded!.resume().catch(() => undefined);
      await s.stop();
    }
  });
});

describe('graceful shutdown', function () {
  this.timeout(120_000);

  it('when SIGTERM arrives during requests, then in-flight requests finish, sockets close, the embedded database stops and the process exits 0', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fuchan-stop-'));
    const port = 20000 + Math.floor(Math.random() * 20000);
    const url = `http://127.0.0.1:${port}`;
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.MONGODB_URI;
    const child = spawn(process.execPath, ['--import', 'tsx', 'server/index.ts'], {
      // slow password hashing keeps sign-ins in flight when SIGTERM arrives
      env: { ...env, FUCHAN_DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', FUCHAN_DEMO: 'false', LOG_LEVEL: 'warn', BCRYPT_ROUNDS: '11', RATE_LIMIT_AUTH_PER_MINUTE: '1000' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      const deadline = Date.now() + 60_000;
      for (;;) {
        try {
          if ((await fetch(`${url}/api/health`)).ok) break;
        } catch {
          /* starting */
        }
        if (Date.now() > deadline) throw new Error('the service did not start');
        await sleep(200);
      }
      const state = JSON.parse(fs.readFileSync(path.join(dataDir, 'ferretdb.json'), 'utf8')) as { pid: number };
      const supplier = await register(url, 'supplier');
      const socket = await connect(url, supplier.token);
      const socketClosed = new Promise<void>((r) => socket.once('disconnect', () => r()));
      const email = (await request(url).get('/api/auth/me').set(bearer(supplier))).body.email;
      const inflight = Array.from({ length: 8 }, () => request(url).post('/api/auth/login').send({ email, password: 'correct horse battery' }));
      const doneAt: number[] = [];
      const pending = Promise.all(inflight.map((r) => r.then((x) => (doneAt.push(Date.now()), x.status))));
      // connections are accepted in order: once a later health check is answered, every sign-in is in
      await request(url).get('/api/health').expect(200);
      const t0 = Date.now();
      child.kill('SIGTERM');
      const statuses = await pending;
      const code = await exited;
      expect(code).to.equal(0);
      expect(Date.now() - t0).to.be.lessThan(20_000);
      expect(statuses.every((s) => s === 200), JSON.stringify(statuses)).to.equal(true);
      expect(Math.max(...doneAt), 'some sign-ins were still in flight at SIGTERM').to.be.greaterThan(t0);
      await socketClosed;
      socket.close();
      let dbAlive = true;
      try {
        process.kill(state.pid, 0);
      } catch {
        dbAlive = false;
      }
      expect(dbAlive, 'the embedded database stopped too').to.equal(false);
      await fetch(`${url}/api/health`).then(
        () => expect.fail('still listening'),
        () => undefined,
      );
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('abuse limits', () => {
  it('when logins come too fast from one address, then 429 with Retry-After', async () => {
    const t = await createTestApp({ RATE_LIMIT_AUTH_PER_MINUTE: '5' });
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await request(t.app).post('/api/auth/login').send({ email: 'x@example.test', password: 'whatever1' })).status);
    expect(statuses.slice(0, 5)).to.deep.equal([401, 401, 401, 401, 401]);
    expect(statuses.slice(5)).to.deep.equal([429, 429, 429]);
  });

  it('when an account posts too fast, then 429', async () => {
    const t = await createTestApp({ RATE_LIMIT_WRITE_PER_MINUTE: '3' });
    const buyer = await register(t.app, 'buyer');
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await request(t.app).post('/api/demands').set(bearer(buyer)).send(demandInput())).status);
    expect(statuses).to.deep.equal([201, 201, 201, 429, 429]);
    const limited = await request(t.app).post('/api/demands').set(bearer(buyer)).send(demandInput());
    expect(limited.body.error.code).to.equal('rate_limited');
  });

  it('when a response is sent, then it carries helmet security headers, and other origins get no CORS grant unless configured', async () => {
    const t = await createTestApp({ CORS_ORIGINS: 'https://coordination.example' });
    const res = await request(t.app).get('/api/health').set('Origin', 'https://evil.example');
    expect(res.headers['x-content-type-options']).to.equal('nosniff');
    expect(res.headers['content-security-policy']).to.be.a('string');
    expect(res.headers['access-control-allow-origin']).to.equal(undefined);
    const ok = await request(t.app).get('/api/health').set('Origin', 'https://coordination.example');
    expect(ok.headers['access-control-allow-origin']).to.equal('https://coordination.example');
  });

  it('when a socket floods events, then it is told rate_limited', async function () {
    this.timeout(30_000);
    const s = await startTestServer();
    try {
      const buyer = await register(s.url, 'buyer');
      const c = await connect(s.url, buyer.token);
      const acks = await Promise.all(Array.from({ length: 80 }, () => c.emitWithAck('resync', { afterSeq: 0 })));
      const limited = acks.filter((a) => !a.ok && a.error.code === 'rate_limited').length;
      expect(limited).to.be.greaterThan(0);
      expect(acks.filter((a) => a.ok).length).to.be.greaterThan(0);
      c.close();
    } finally {
      await s.stop();
    }
  });
});

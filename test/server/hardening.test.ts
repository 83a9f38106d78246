import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { expect } from 'chai';
import request from 'supertest';
import { io as ioClient } from 'socket.io-client';
import { findCategory } from '../../models/catalog';
import { LoginFailureModel } from '../../models/login-failure.model';
import { AuthService } from '../../server/auth/auth.service';
import { createOperatorUser } from '../../server/auth/operator.service';
import { loadConfig } from '../../server/config';
import { createApp } from '../../server/http/app';
import { createLogger, type Logger } from '../../server/logger';
import type { Running } from '../../server/index';
import { installProcessHandlers } from '../../server/process';
import { createRealtime, type FuchanIo, type RealtimeTimers } from '../../server/realtime/realtime';
import { bearer, coordinator, createTestApp, register, startTestServer, uniqueEmail, type Account, type TestApp } from '../fixtures/app';
import { demandInput, offerInput } from '../fixtures/postings';
import { connect, waitFor, type ClientSocket } from '../fixtures/sockets';

const GOWN_CERTS = ['iso-13485', 'gb-19082'];

/** Resolves with the handshake error of a raw socket.io-client connection, or null when it connected. */
function handshake(url: string, opts: { cookie?: string; auth?: Record<string, unknown>; transport: 'polling' | 'websocket' }): Promise<Error | null> {
  const c = ioClient(url, {
    transports: [opts.transport],
    reconnection: false,
    forceNew: true,
    timeout: 5000,
    auth: opts.auth ?? {},
    extraHeaders: opts.cookie ? { Cookie: opts.cookie } : undefined,
  });
  return new Promise((resolve) => {
    c.once('connect', () => {
      c.close();
      resolve(null);
    });
    c.once('connect_error', (err) => {
      c.close();
      resolve(err);
    });
  });
}

const emailOf = async (app: TestApp['app'] | string, a: Account) => (await request(app).get('/api/auth/me').set(bearer(a))).body.email as string;

describe('hardening: malformed cookies and tokens', function () {
  this.timeout(30_000);
  let s: Running;
  beforeEach(async () => {
    s = await startTestServer();
  });
  afterEach(async () => {
    await s.stop();
  });

  const cookies = ['fuchan_token=%', 'fuchan_token=%E0%A4%A', 'fuchan_token=%ZZ; other=%', 'a=%; fuchan_token=x%y', 'fuchan_token', '=%;;', 'fuchan_token="%"'];
  const tokens: Record<string, unknown>[] = [{ token: '%' }, { token: 'a.b.c' }, { token: { $gt: '' } }, { token: 42 }, { token: ['x'] }, { token: 'x'.repeat(5000) }];

  it('when a socket handshake carries a malformed cookie or token, then it is refused and the service keeps answering', async () => {
    for (const transport of ['polling', 'websocket'] as const) {
      for (const cookie of cookies) {
        const err = await handshake(s.url, { cookie, transport });
        expect(err, `${transport} cookie ${cookie}`).to.be.instanceOf(Error);
        expect(err!.message, `${transport} cookie ${cookie}`).to.match(/unauthorized/);
      }
      for (const auth of tokens) {
        const err = await handshake(s.url, { auth, transport, cookie: 'fuchan_token=%' });
        expect(err, `${transport} token ${JSON.stringify(auth).slice(0, 40)}`).to.be.instanceOf(Error);
      }
    }
    const health = await request(s.url).get('/api/health');
    expect(health.status).to.equal(200);
    expect(health.body).to.include({ status: 'ok', db: 'up' });
  });

  it('when an HTTP request carries a malformed cookie, then signed-in routes answer 401 (not 500) and public ones work', async () => {
    const buyer = await register(s.url, 'buyer');
    const email = await emailOf(s.url, buyer);
    for (const cookie of cookies) {
      for (const path of ['/api/offers', '/api/auth/me', '/api/catalog']) {
        const res = await request(s.url).get(path).set('Cookie', cookie);
        expect(res.status, `${path} with ${cookie}`).to.equal(401);
        expect(res.body.error.code).to.equal('unauthorized');
      }
      const login = await request(s.url).post('/api/auth/login').set('Cookie', cookie).send({ email, password: 'correct horse battery' });
      expect(login.status, `login with ${cookie}`).to.equal(200);
    }
  });
});

describe('hardening: malformed requests', function () {
  this.timeout(30_000);
  let t: TestApp;
  let supplier: Account;
  beforeEach(async () => {
    t = await createTestApp();
    supplier = await register(t.app, 'supplier');
  });

  it('when a body claims a Content-Encoding it does not have, then 400 bad_request (not 500)', async () => {
    for (const encoding of ['gzip', 'deflate', 'br']) {
      const res = await request(t.app)
        .post('/api/offers')
        .set(bearer(supplier))
        .set('Content-Type', 'application/json')
        .set('Content-Encoding', encoding)
        .send(JSON.stringify(offerInput()));
      expect(res.status, encoding).to.equal(400);
      expect(res.body.error.code, encoding).to.equal('bad_request');
    }
    const unknown = await request(t.app).post('/api/offers').set(bearer(supplier)).set('Content-Type', 'application/json').set('Content-Encoding', 'bogus').send('{}');
    expect(unknown.status).to.equal(415);
    expect(unknown.body.error.code).to.equal('unsupported_media_type');
  });

  it('when a JSON body is nested thousands of levels deep, then 400 bad_request (not 500), with or without an Idempotency-Key', async () => {
    const deep = `{"products":${'['.repeat(20_000)}${']'.repeat(20_000)}}`;
    for (const key of [undefined, 'deep-1']) {
      const req = request(t.app).post('/api/offers').set(bearer(supplier)).set('Content-Type', 'application/json');
      if (key) req.set('Idempotency-Key', key);
      const res = await req.send(deep);
      expect(res.status, `key ${key}`).to.equal(400);
      expect(res.body.error.code, `key ${key}`).to.equal('bad_request');
      expect(res.body.error.message).to.match(/nested/);
    }
    // an ordinary body still passes
    const ok = await request(t.app).post('/api/offers').set(bearer(supplier)).set('Idempotency-Key', 'deep-2').send(offerInput());
    expect(ok.status, JSON.stringify(ok.body)).to.equal(201);
  });

  it('when a text contains a NUL character (the embedded database cannot store one), then 400 naming the field, not 500 or a 503 that asks to retry', async () => {
    const org = { name: 'Hospital', region: 'Hubei', location: { lat: 30, lng: 114 } };
    const reg = await request(t.app).post('/api/auth/register').send({ email: 'nul.name@example.cn', password: 'long enough pw', name: 'a\u0000b', role: 'buyer', organization: org });
    expect(reg.status).to.equal(400);
    expect(reg.body.error.message).to.match(/NUL/);
    expect(reg.body.error.details).to.deep.include({ path: 'name', message: 'contains a NUL character (U+0000)' });
    const key = await request(t.app).post('/api/auth/register').send({ email: 'nul.key@example.cn', password: 'long enough pw', name: 'a', role: 'buyer', organization: { ...org, ['x\u0000']: 1 } });
    expect(key.status).to.equal(400);
    const cert = await request(t.app).patch('/api/certifications/mine/iso-13485').set(bearer(supplier)).send({ certificateNumber: 'N\u00001', issuer: 'NMPA', validFrom: '2026-01-01', validUntil: '2027-01-01' });
    expect(cert.status).to.equal(400);
    expect(cert.body.error.details[0].path).to.equal('certificateNumber');
    // multipart fields are checked by their schema
    const evidence = await request(t.app).post('/api/certifications/mine/iso-13485/evidence').set(bearer(supplier))
      .field('certificateNumber', 'N-1').field('issuer', 'NM\u0000PA').field('validFrom', '2026-01-01').field('validUntil', '2027-01-01')
      .attach('file', Buffer.from('%PDF-1.4\n%%EOF\n'), 'c.pdf');
    expect(evidence.status).to.equal(400);
    expect(evidence.body.error.details.map((d: { path: string }) => d.path)).to.include('issuer');
    // the service goes on storing
    const fine = await request(t.app).patch('/api/certifications/mine/iso-13485').set(bearer(supplier)).send({ certificateNumber: 'N-1', issuer: 'NMPA', validFrom: '2026-01-01', validUntil: '2027-01-01' });
    expect(fine.status).to.equal(200);
  });

  it('when a path parameter is not valid percent-encoding, then 400 bad_request on every route with one (not 500)', async () => {
    const paths = [
      ['get', '/api/offers/%E0%A4%A'], ['patch', '/api/offers/%E0%A4%A'], ['delete', '/api/demands/%E0%A4%A'],
      ['get', '/api/demands/%E0%A4%A/matches'], ['post', '/api/matches/%E0%A4%A/accept'], ['patch', '/api/matches/%ZZ'],
      ['get', '/api/certifications/%E0%A4%A'], ['patch', '/api/certifications/mine/%E0%A4%A'], ['get', '/api/evidence/%E0%A4%A'],
      ['get', '/api/templates/%E0%A4%A'], ['post', '/api/import/%E0%A4%A'], ['get', '/api/suppliers/%E0%A4%A/profile'],
    ] as const;
    for (const [method, path] of paths) {
      const res = await request(t.app)[method](path).set(bearer(supplier)).send({ status: 'shipped' });
      expect(res.status, `${method} ${path}`).to.equal(400);
      expect(res.body.error.code, `${method} ${path}`).to.equal('bad_request');
      expect(res.body.error.message, `${method} ${path}`).to.be.a('string').and.not.match(/ at /);
    }
  });
});

describe('hardening: login lockout', function () {
  this.timeout(30_000);

  it('when 15 wrong passwords arrive in parallel, then the account is locked and the right password gets the answer of an unknown e-mail', async () => {
    const t = await createTestApp({ LOGIN_MAX_FAILURES: '5' });
    const a = await register(t.app, 'supplier');
    const email = await emailOf(t.app, a);

    const wrong = await Promise.all(Array.from({ length: 15 }, (_, i) => request(t.app).post('/api/auth/login').send({ email, password: `wrong password ${i}` })));
    const right = await request(t.app).post('/api/auth/login').send({ email, password: 'correct horse battery' });
    const unknown = await request(t.app).post('/api/auth/login').send({ email: uniqueEmail(), password: 'correct horse battery' });

    expect(wrong.map((r) => r.status)).to.deep.equal(Array(15).fill(401));
    for (const r of wrong) expect(r.body).to.deep.equal(unknown.body);
    expect(right.status, JSON.stringify(right.body)).to.equal(401);
    expect(right.body).to.deep.equal(unknown.body);
    expect(right.headers['set-cookie']).to.equal(undefined);
    expect(await LoginFailureModel.countDocuments({ user: a.user.id }), 'exactly one slot per allowed failure').to.equal(5);
  });

  it('when the right password arrives more often in parallel than failures are allowed, then every sign-in succeeds', async () => {
    const t = await createTestApp({ LOGIN_MAX_FAILURES: '3' });
    const a = await register(t.app, 'buyer');
    const email = await emailOf(t.app, a);
    const wrong = await request(t.app).post('/api/auth/login').send({ email, password: 'one typo' });
    const right = await Promise.all(Array.from({ length: 8 }, () => request(t.app).post('/api/auth/login').send({ email, password: 'correct horse battery' })));
    expect(wrong.status).to.equal(401);
    expect(right.map((r) => r.status)).to.deep.equal(Array(8).fill(200));
    expect(await LoginFailureModel.countDocuments({ user: a.user.id }), 'a success forgives the failures').to.equal(0);
  });

  it('when the lockout window ends (injected clock), then the right password works again and resets the failures', async () => {
    let now = Date.UTC(2026, 10, 30, 12, 0, 0);
    const auth = new AuthService({ tokenTtlSeconds: 3600, bcryptRounds: 4, loginMaxFailures: 3, lockoutSeconds: 300, now: () => now, jwtSecret: 'a test secret of enough length' });
    await auth.init();
    const email = uniqueEmail('lock');
    await auth.createUser({ email, password: 'right password', name: 'L', role: 'coordinator' });

    for (let i = 0; i < 3; i++) {
      const e = await auth.login({ email, password: 'wrong' }).then(() => null, (err: Error) => err);
      expect(e?.message).to.equal('Wrong email or password');
    }
    const locked = await auth.login({ email, password: 'right password' }).then(
      () => null,
      (e: Error) => e,
    );
    expect(locked?.message).to.equal('Wrong email or password');

    now += 300_000;
    const ok = await auth.login({ email, password: 'right password' });
    expect(ok.token).to.be.a('string');
    const user = await auth.verify(ok.token);
    expect(await LoginFailureModel.countDocuments({ user: user.userId })).to.equal(0);
  });
});

describe('hardening: configuration', () => {
  const base = { MONGODB_URI: 'mongodb://127.0.0.1:1/x' };

  it('when nothing is set, then the service listens on loopback only, trusts only a loopback proxy and loads the demo on the embedded database', () => {
    const c = loadConfig({});
    expect(c.host).to.equal('127.0.0.1');
    expect(c.trustProxy).to.equal('loopback');
    expect(c.demo).to.equal(true);
    expect(loadConfig(base).demo).to.equal(false);
  });

  it('when HOST is public with the embedded database and FUCHAN_DEMO unset, then start-up is refused with a clear message; an explicit choice is honoured', () => {
    for (const HOST of ['0.0.0.0', '::', '192.168.1.10', 'example.org']) {
      expect(() => loadConfig({ HOST }), HOST).to.throw(/FUCHAN_DEMO.*not a loopback address/);
      expect(loadConfig({ HOST, FUCHAN_DEMO: 'false' }).demo).to.equal(false);
      expect(loadConfig({ HOST, FUCHAN_DEMO: 'true' }).demo).to.equal(true);
      expect(loadConfig({ ...base, HOST }).demo).to.equal(false);
    }
    for (const HOST of ['127.0.0.1', '127.0.0.2', 'localhost', '::1', '[::1]']) expect(loadConfig({ HOST }).demo, HOST).to.equal(true);
  });

  it('when TRUST_PROXY is set, then it is parsed for Express: booleans, hop counts and address lists', () => {
    expect(loadConfig({ ...base, TRUST_PROXY: 'false' }).trustProxy).to.equal(false);
    expect(loadConfig({ ...base, TRUST_PROXY: 'true' }).trustProxy).to.equal(true);
    expect(loadConfig({ ...base, TRUST_PROXY: '2' }).trustProxy).to.equal(2);
    expect(loadConfig({ ...base, TRUST_PROXY: '10.0.0.0/8, loopback' }).trustProxy).to.equal('10.0.0.0/8, loopback');
  });

  it('when the request came through a trusted proxy over HTTPS, then the session cookie is Secure; an untrusted X-Forwarded-Proto is ignored', async () => {
    const trusted = await createTestApp();
    const a = await register(trusted.app, 'buyer');
    const email = await emailOf(trusted.app, a);
    const login = (t: TestApp, proto?: string) => {
      const r = request(t.app).post('/api/auth/login');
      return (proto ? r.set('X-Forwarded-Proto', proto) : r).send({ email, password: 'correct horse battery' });
    };
    const viaHttps = await login(trusted, 'https');
    const plain = await login(trusted);
    const untrusted = await login(await createTestApp({ TRUST_PROXY: 'false' }), 'https');
    expect(viaHttps.headers['set-cookie']?.[0]).to.match(/;\s*Secure/i);
    expect(plain.headers['set-cookie']?.[0]).to.not.match(/;\s*Secure/i);
    expect(untrusted.headers['set-cookie']?.[0]).to.not.match(/;\s*Secure/i);
  });
});

describe('hardening: rate limits', function () {
  this.timeout(60_000);

  it('when the scanning GET routes are called too often, then 429 rate_limited', async () => {
    const t = await createTestApp({ RATE_LIMIT_READ_PER_MINUTE: '4' });
    const buyer = await register(t.app, 'buyer');
    const demand = (await request(t.app).post('/api/demands').set(bearer(buyer)).send(demandInput())).body as { id: string };
    const statuses: number[] = [];
    for (const path of ['/api/offers', '/api/demands', `/api/demands/${demand.id}/matches`, '/api/offers', `/api/demands/${demand.id}/matches`]) {
      statuses.push((await request(t.app).get(path).set(bearer(buyer))).status);
    }
    expect(statuses).to.deep.equal([200, 200, 200, 200, 429]);
    const other = await register(t.app, 'buyer');
    expect((await request(t.app).get('/api/offers').set(bearer(other))).status, 'counted per account').to.equal(200);
  });

  it('when registrations come too often from one address, then 429 (a 409 tells whether an e-mail has an account)', async () => {
    const t = await createTestApp({ RATE_LIMIT_REGISTER_PER_HOUR: '2' });
    await register(t.app, 'buyer');
    await register(t.app, 'buyer');
    const third = await request(t.app)
      .post('/api/auth/register')
      .send({ email: uniqueEmail(), password: 'long enough pw', name: 'X', role: 'buyer', organization: { name: 'Hospital', region: 'Hubei', location: { lat: 30, lng: 114 } } });
    expect(third.status).to.equal(429);
    expect(third.body.error.code).to.equal('rate_limited');
  });

  describe('with Redis', () => {
    let redis: ChildProcess | null = null;
    let port = 0;
    before(async function () {
      port = await new Promise<number>((resolve) => {
        const srv = net.createServer().listen(0, '127.0.0.1', () => {
          const p = (srv.address() as net.AddressInfo).port;
          srv.close(() => resolve(p));
        });
      });
      const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
      const started = await new Promise<boolean>((resolve) => {
        proc.once('error', () => resolve(false));
        const probe = () => {
          const sock = net.connect(port, '127.0.0.1');
          sock.once('connect', () => (sock.destroy(), resolve(true)));
          sock.once('error', () => setTimeout(probe, 50));
        };
        probe();
      });
      if (!started) this.skip();
      redis = proc;
    });
    after(async () => {
      if (!redis) return;
      const exited = new Promise((r) => redis!.once('exit', r));
      redis.kill('SIGTERM');
      await exited;
    });

    it('when two instances share REDIS_URL, then they share the login rate limit', async () => {
      const env = { REDIS_URL: `redis://127.0.0.1:${port}`, RATE_LIMIT_AUTH_PER_MINUTE: '3' };
      const a = await createTestApp(env);
      const b = await createTestApp(env);
      try {
        const body = { email: uniqueEmail(), password: 'whatever pw' };
        const statuses = [];
        for (const t of [a, b, a, b]) statuses.push((await request(t.app).post('/api/auth/login').send(body)).status);
        expect(statuses).to.deep.equal([401, 401, 401, 429]);
      } finally {
        await Promise.all([a, b].map((t) => (t.app.locals.close as () => Promise<void>)()));
      }
    });
  });
});

describe('hardening: user:create and organizations', () => {
  it('when an operator names an organization that someone self-registered, then the account gets a new one; an id joins only an organization of the right kind', async () => {
    const t = await createTestApp();
    const squatter = await register(t.app, 'buyer', { name: 'Wuhan Central Hospital' });
    const squatterOrg = squatter.user.organization!.id;

    const byName = await createOperatorUser(t.services.auth, { role: 'buyer', email: uniqueEmail(), password: 'long enough', organizationName: 'Wuhan Central Hospital' });
    expect(byName.organization!.id).to.not.equal(squatterOrg);
    expect(byName.organization).to.deep.include({ name: 'Wuhan Central Hospital', kind: 'buyer', verified: true });

    const coord = createOperatorUser(t.services.auth, { role: 'coordinator', email: uniqueEmail(), password: 'long enough', organizationId: squatterOrg });
    await coord.then(
      () => expect.fail('a coordinator joined a buyer organization'),
      (e: Error) => expect(e.message).to.match(/buyer organization/),
    );
    const joined = await createOperatorUser(t.services.auth, { role: 'buyer', email: uniqueEmail(), password: 'long enough', organizationId: squatterOrg });
    expect(joined.organization!.id).to.equal(squatterOrg);
    const none = await createOperatorUser(t.services.auth, { role: 'supplier', email: uniqueEmail(), password: 'long enough' }).then(
      () => null,
      (e: Error) => e,
    );
    expect(none?.message).to.match(/needs an organization/);
  });
});

/** A listening app with Socket.IO whose expiry timers the test drives. */
async function realtimeWithClock(t: TestApp, timers: RealtimeTimers) {
  const app = createApp({ config: t.config, log: createLogger('silent'), auth: t.services.auth, postings: t.services.postings, matching: t.services.matching, coverage: t.services.coverage, dbUp: () => true });
  const server = http.createServer(app);
  const io: FuchanIo = createRealtime(server, { auth: t.services.auth, eventLog: t.services.eventLog, log: createLogger('silent'), corsOrigins: [], timers });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  const close = () => new Promise<void>((r) => io.close(() => r()));
  return { url, close };
}

/** A clock that only moves when told, with the timers set on it. */
function manualClock(start: number) {
  const pending = new Map<number, { at: number; fn: () => void }>();
  let id = 0;
  const clock: { now: number; timers: RealtimeTimers; pending: typeof pending; advanceTo(t: number): void } = {
    now: start,
    timers: {
      now: () => clock.now,
      setTimeout: (fn: () => void, ms: number) => {
        pending.set(++id, { at: clock.now + ms, fn });
        return id;
      },
      clearTimeout: (h: unknown) => void pending.delete(h as number),
    } satisfies RealtimeTimers,
    pending,
    advanceTo(t: number) {
      clock.now = t;
      for (const [k, p] of [...pending]) {
        if (p.at > t) continue;
        pending.delete(k);
        p.fn();
      }
    },
  };
  return clock;
}

const disconnected = (c: ClientSocket) => new Promise<string>((r) => c.once('disconnect', (reason) => r(reason)));

describe('hardening: sockets end with their token', function () {
  this.timeout(30_000);
  const sockets: ClientSocket[] = [];
  afterEach(() => {
    for (const c of sockets.splice(0)) c.close();
  });

  it('when a socket\'s token expires, then the server disconnects it at the expiry time', async () => {
    const t = await createTestApp({ TOKEN_TTL_SECONDS: '600' });
    const buyer = await register(t.app, 'buyer');
    const exp = t.services.auth.verify(buyer.token).expiresAt!;
    const clock = manualClock(exp - 600_000);
    const rt = await realtimeWithClock(t, clock.timers);
    try {
      const c = await connect(rt.url, buyer.token);
      sockets.push(c);
      const gone = disconnected(c);
      expect([...clock.pending.values()].map((p) => p.at)).to.deep.equal([exp]);

      clock.advanceTo(exp - 1);
      expect(c.connected, 'still connected before the expiry').to.equal(true);
      clock.advanceTo(exp);

      expect(await gone).to.equal('io server disconnect');
    } finally {
      await rt.close();
    }
  });

  it('when a user signs out, then its token is refused over HTTP and sockets (opened before or after), also by another instance', async () => {
    const t = await createTestApp();
    const buyer = await register(t.app, 'buyer');
    const other = await register(t.app, 'buyer');
    const rt = await realtimeWithClock(t, manualClock(Date.now()).timers);
    try {
      const c = await connect(rt.url, buyer.token);
      const keeps = await connect(rt.url, other.token);
      sockets.push(c, keeps);
      const gone = disconnected(c);

      const out = await request(rt.url).post('/api/auth/logout').set(bearer(buyer));

      expect(out.status).to.equal(200);
      expect(await gone).to.equal('io server disconnect');
      expect((await request(rt.url).get('/api/auth/me').set(bearer(buyer))).status).to.equal(401);
      expect((await request(rt.url).get('/api/auth/me').set('Cookie', `fuchan_token=${buyer.token}`)).status).to.equal(401);
      const again = await connect(rt.url, buyer.token).then(
        () => null,
        (e: Error) => e,
      );
      expect(again?.message).to.match(/unauthorized/);
      expect(keeps.connected, 'another user stays connected').to.equal(true);
      expect((await request(rt.url).get('/api/auth/me').set(bearer(other))).status).to.equal(200);

      // another instance (its own AuthService over the same database) learns of the sign-out
      const elsewhere = new AuthService({ tokenTtlSeconds: 3600, loginMaxFailures: 5 });
      await elsewhere.init();
      expect(() => elsewhere.verify(buyer.token)).to.throw(/Invalid or expired/);
      expect(elsewhere.verify(other.token).userId).to.equal(other.user.id);
    } finally {
      await rt.close();
    }
  });
});

describe('hardening: process handlers and socket handlers', function () {
  this.timeout(30_000);

  function capture(): Logger & { lines: string[] } {
    const lines: string[] = [];
    const put = (l: string) => (msg: string, extra?: unknown) => lines.push(`${l} ${msg} ${extra instanceof Error ? extra.message : ''}`);
    return { lines, debug: put('debug'), info: put('info'), warn: put('warn'), error: put('error') };
  }

  it('when a promise rejection is unhandled, then it is logged and the process keeps running', () => {
    const log = capture();
    const proc = Object.assign(new EventEmitter(), { exits: [] as (number | undefined)[], exit(code?: number) { proc.exits.push(code); } });
    const remove = installProcessHandlers(log, { proc });
    proc.emit('unhandledRejection', new Error('lost promise'), Promise.resolve());
    expect(proc.exits).to.deep.equal([]);
    expect(log.lines.join('\n')).to.match(/Unhandled promise rejection.*lost promise/);
    remove();
    expect(proc.listenerCount('unhandledRejection')).to.equal(0);
  });

  it('when an exception is uncaught, then it is logged, the service stops cleanly once, and the process exits 1', async () => {
    const log = capture();
    let stops = 0;
    const proc = Object.assign(new EventEmitter(), { exits: [] as (number | undefined)[], exit(code?: number) { proc.exits.push(code); } });
    const exited = new Promise<void>((resolve) => {
      const exit = proc.exit;
      proc.exit = (code?: number) => (exit(code), resolve());
    });
    installProcessHandlers(log, { proc, stop: async () => void (stops += 1) });
    proc.emit('uncaughtException', new Error('boom'));
    proc.emit('uncaughtException', new Error('boom again'));
    await exited;
    expect(stops).to.equal(1);
    expect(proc.exits).to.deep.equal([1]);
    expect(log.lines.join('\n')).to.match(/Uncaught exception: stopping boom/);
  });

  it('when a socket sends junk to every handler, then each asked-for ack is an error and the service keeps serving', async () => {
    const s = await startTestServer();
    try {
      const buyer = await register(s.url, 'buyer');
      const c = await connect(s.url, buyer.token);
      const junk: unknown[] = [null, undefined, 42, 'x', [], [1, 2], { afterSeq: -1 }, { afterSeq: 'a' }, { regions: 'x' }, { __proto__: { afterSeq: 1 } }, { afterSeq: 0, limit: 1e9 }];
      for (const event of ['resync', 'subscribe'] as const) {
        for (const payload of junk) {
          const ack = (await c.timeout(5000).emitWithAck(event as 'resync', payload as never)) as { ok: boolean };
          expect(ack.ok, `${event} ${JSON.stringify(payload)}`).to.equal(false);
        }
        c.emit(event as 'resync', { afterSeq: 0 } as never, 'not a function' as never);
      }
      expect((await c.timeout(5000).emitWithAck('resync', { afterSeq: 0 })).ok).to.equal(true);
      c.close();
      expect((await request(s.url).get('/api/health')).status).to.equal(200);
    } finally {
      await s.stop();
    }
  });
});

describe('hardening: confidential terms', function () {
  this.timeout(30_000);

  /** A supplier's offer at ¥10 and a buyer's demand with a ¥20 ceiling, proposed to each other. */
  async function arrangeMatch(app: TestApp['app'] | string) {
    const supplier = await register(app, 'supplier', { name: 'Gown Maker', certifications: GOWN_CERTS });
    const buyer = await register(app, 'buyer', { name: 'Hospital' });
    const offer = (await request(app).post('/api/offers').set(bearer(supplier)).send(offerInput())).body as { id: string };
    const demand = (await request(app).post('/api/demands').set(bearer(buyer)).send(demandInput({ maxPricePerUnit: 20 }))).body as { id: string };
    const list = await request(app).get(`/api/demands/${demand.id}/matches`).set(bearer(buyer));
    expect(list.body.items, JSON.stringify(list.body)).to.have.length(1);
    return { supplier, buyer, offer, demand, match: list.body.items[0] as Shown & { id: string } };
  }

  type Shown = { score: number; explanation: { maxPricePerUnit: number | null; summary: string[]; parts: Record<string, number>; weights: Record<string, number> } };
  const gownReference = findCategory('protective-gown')!.referencePricePerUnit * 1.5;
  const hidesCeiling = (m: Shown, what: string) => {
    expect(m.explanation.maxPricePerUnit, what).to.equal(null);
    // the price part (and so the score) must not let the supplier solve for the ceiling: 1 - (10 / 20) * 0.5
    expect(m.explanation.parts.price, `${what}: price part`).to.be.closeTo(Math.max(0, Math.min(1, 1 - (10 / gownReference) * 0.5)), 1e-9);
    expect(m.explanation.parts.price, `${what}: price part from the ceiling`).to.not.be.closeTo(0.75, 1e-9);
    const score = Object.keys(m.explanation.parts).reduce((acc, k) => acc + m.explanation.weights[k] * m.explanation.parts[k], 0);
    expect(m.score, `${what}: score`).to.be.closeTo(score, 1e-4);
    expect(m.explanation.summary.join(' | '), what).to.not.match(/maximum|20\.00/);
    expect(m.explanation.summary.join(' | '), `${what}: its own price stays`).to.include('¥10.00 per unit');
  };

  it('when the supplier reads a match over HTTP, then the buyer\'s maximum price is not in it; the buyer and coordinators see it', async () => {
    const t = await createTestApp();
    const { supplier, buyer, offer, match } = await arrangeMatch(t.app);
    const coord = await coordinator(t.app, t.services);

    expect(match.explanation.maxPricePerUnit, 'buyer').to.equal(20);
    hidesCeiling((await request(t.app).get(`/api/matches/${match.id}`).set(bearer(supplier))).body, 'GET /matches/:id');
    hidesCeiling((await request(t.app).get(`/api/offers/${offer.id}/matches`).set(bearer(supplier))).body.items[0], 'GET /offers/:id/matches');
    const accepted = await request(t.app).post(`/api/matches/${match.id}/accept`).set(bearer(supplier));
    expect(accepted.status).to.equal(200);
    hidesCeiling(accepted.body, 'accept');
    expect((await request(t.app).get(`/api/matches/${match.id}`).set(bearer(buyer))).body.explanation.maxPricePerUnit).to.equal(20);
    const full = (await request(t.app).get(`/api/matches/${match.id}`).set(bearer(coord))).body;
    expect(full.explanation.maxPricePerUnit).to.equal(20);
    expect(full.explanation.summary.join(' ')).to.include('within the ¥20.00 maximum');
    expect((await request(t.app).get(`/api/offers/${offer.id}/matches`).set(bearer(coord))).body.items[0].explanation.maxPricePerUnit).to.equal(20);
  });

  it('when match events are sent and resynced, then the supplier\'s copy has no buyer maximum, the buyer\'s and the coordinator\'s have it', async () => {
    const s = await startTestServer();
    const sockets: ClientSocket[] = [];
    try {
      const supplier = await register(s.url, 'supplier', { name: 'Gown Maker', certifications: GOWN_CERTS });
      const buyer = await register(s.url, 'buyer', { name: 'Hospital' });
      const coord = await coordinator(s.url, s.services);
      const [cs, cb, cc] = await Promise.all([supplier, buyer, coord].map((a) => connect(s.url, a.token)));
      sockets.push(cs, cb, cc);
      type P = { match: Shown };
      const got = Promise.all([cs, cb, cc].map((c) => waitFor<P>(c, 'match:proposed')));

      await request(s.url).post('/api/offers').set(bearer(supplier)).send(offerInput());
      await request(s.url).post('/api/demands').set(bearer(buyer)).send(demandInput({ maxPricePerUnit: 20 }));
      const [toSupplier, toBuyer, toCoordinator] = await got;

      hidesCeiling(toSupplier.match, 'live event to the supplier');
      expect(toBuyer.match.explanation.maxPricePerUnit).to.equal(20);
      expect(toCoordinator.match.explanation.maxPricePerUnit).to.equal(20);
      const resynced = await cs.emitWithAck('resync', { afterSeq: 0 });
      if (!resynced.ok) throw new Error(JSON.stringify(resynced.error));
      const proposed = resynced.data.events.filter((e) => e.type === 'match:proposed');
      expect(proposed).to.have.length(1);
      hidesCeiling((proposed[0].payload as unknown as P).match, 'resync of the supplier');
      const buyerResync = await cb.emitWithAck('resync', { afterSeq: 0 });
      if (!buyerResync.ok) throw new Error(JSON.stringify(buyerResync.error));
      expect((buyerResync.data.events.find((e) => e.type === 'match:proposed')!.payload as unknown as P).match.explanation.maxPricePerUnit).to.equal(20);
    } finally {
      for (const c of sockets) c.close();
      await s.stop();
    }
  });

  it('when a buyer reads its near misses, then competitors are anonymous and their prices absent; coordinators see who and how much', async () => {
    const t = await createTestApp();
    const rival = await register(t.app, 'supplier', { name: 'Pricey Gowns Ltd', certifications: GOWN_CERTS });
    const buyer = await register(t.app, 'buyer', { name: 'Hospital' });
    const coord = await coordinator(t.app, t.services);
    const offer = (await request(t.app).post('/api/offers').set(bearer(rival)).send(offerInput({ pricePerUnit: 37.5 }))).body as { id: string };
    const demand = (await request(t.app).post('/api/demands').set(bearer(buyer)).send(demandInput({ maxPricePerUnit: 20 }))).body as { id: string };

    const asBuyer = await request(t.app).get(`/api/demands/${demand.id}/matches`).set(bearer(buyer));
    const asCoordinator = await request(t.app).get(`/api/demands/${demand.id}/matches`).set(bearer(coord));

    expect(asCoordinator.body.nearMisses, JSON.stringify(asCoordinator.body)).to.have.length(1);
    expect(asCoordinator.body.nearMisses[0]).to.include({ offerId: offer.id, supplierOrgName: 'Pricey Gowns Ltd' });
    expect(JSON.stringify(asCoordinator.body.nearMisses)).to.include('37.50');
    expect(asBuyer.body.nearMisses).to.have.length(1);
    const text = JSON.stringify(asBuyer.body);
    for (const secret of [offer.id, 'Pricey Gowns', '37.5', '¥']) expect(text, secret).to.not.include(secret);
    expect(asBuyer.body.nearMisses[0].supplierOrgName).to.equal('Supplier A');
    expect(asBuyer.body.nearMisses[0].reasons.map((r: { code: string }) => r.code)).to.deep.equal(asCoordinator.body.nearMisses[0].reasons.map((r: { code: string }) => r.code));
  });
});

import { expect } from 'chai';
import request from 'supertest';
import { createTestApp, register, uniqueEmail, type TestApp } from '../fixtures/app';
import { offerInput } from '../fixtures/postings';

describe('accounts: register and login', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
  });

  it('when a supplier registers, then it gets a token, its user and a new organization', async () => {
    const email = uniqueEmail();
    const res = await request(t.app)
      .post('/api/auth/register')
      .send({ email, password: 'long enough pw', name: 'Li Wei', role: 'supplier', organization: { name: 'Wuhan Garment Co.', region: 'Hubei', location: { lat: 30.6, lng: 114.3 }, certifications: ['iso-13485'] } });
    expect(res.status).to.equal(201);
    expect(res.body.token).to.be.a('string');
    expect(res.body.user).to.deep.include({ email, role: 'supplier', name: 'Li Wei' });
    expect(res.body.user.organization).to.deep.include({ name: 'Wuhan Garment Co.', region: 'Hubei', verified: false });
    expect(res.body.user).to.not.have.property('passwordHash');
  });

  it('when a region is a province spelt another way (case, Chinese name, with or without 省, "Province"), then it is stored as the province id coverage, filters and scopes use; another string is kept as given', async () => {
    const cases: [string, string][] = [['hubei', 'Hubei'], ['HUBEI', 'Hubei'], ['湖北', 'Hubei'], ['湖北省', 'Hubei'], ['Hubei Province', 'Hubei'], [' inner mongolia ', 'Inner Mongolia'], ['内蒙古', 'Inner Mongolia'], ['北京市', 'Beijing'], ['Wuhan area', 'Wuhan area']];
    for (const [given, stored] of cases) {
      const res = await request(t.app).post('/api/auth/register').send({ email: uniqueEmail(), password: 'long enough pw', name: 'A', role: 'supplier', organization: { name: 'Factory', region: given, location: { lat: 30.6, lng: 114.3 } } });
      expect(res.status, given).to.equal(201);
      expect(res.body.user.organization.region, given).to.equal(stored);
      const offer = await request(t.app).post('/api/offers').set('Authorization', `Bearer ${res.body.token}`).send(offerInput({ certifications: [] }));
      expect(offer.body.region, given).to.equal(stored);
    }
  });

  it('when the same email registers twice, then 409', async () => {
    const body = { email: uniqueEmail(), password: 'long enough pw', name: 'A', role: 'buyer', organization: { name: 'Hospital', region: 'Hubei', location: { lat: 30, lng: 114 } } };
    expect((await request(t.app).post('/api/auth/register').send(body)).status).to.equal(201);
    const again = await request(t.app).post('/api/auth/register').send({ ...body, email: body.email.toUpperCase() });
    expect(again.status).to.equal(409);
    expect(again.body.error.code).to.equal('conflict');
  });

  it('when a password is longer than bcrypt reads (72 bytes), then every byte of it still counts: one that differs only after byte 72 does not sign in', async () => {
    const org = { name: 'Hospital', region: 'Hubei', location: { lat: 30, lng: 114 } };
    for (const password of ['a'.repeat(72) + 'X', '密'.repeat(25) + '码', 'b'.repeat(128)]) {
      const email = uniqueEmail();
      expect((await request(t.app).post('/api/auth/register').send({ email, password, name: 'A', role: 'buyer', organization: org })).status).to.equal(201);
      expect((await request(t.app).post('/api/auth/login').send({ email, password })).status, `${Buffer.byteLength(password)} bytes`).to.equal(200);
      const sameStart = password.slice(0, -1) + (password.endsWith('X') ? 'Y' : 'Z');
      expect((await request(t.app).post('/api/auth/login').send({ email, password: sameStart })).status, `${Buffer.byteLength(password)} bytes`).to.equal(401);
      // its first 72 bytes alone do not sign in either
      const first72 = Buffer.from(password).subarray(0, 72).toString();
      expect((await request(t.app).post('/api/auth/login').send({ email, password: first72 })).status).to.equal(401);
    }
    // operators' accounts too (npm run user:create and an admin's POST /api/coordinators go through createUser)
    const email = uniqueEmail();
    await t.services.auth.createUser({ email, password: 'c'.repeat(73), name: 'C', role: 'coordinator' });
    expect((await request(t.app).post('/api/auth/login').send({ email, password: 'c'.repeat(73) })).status).to.equal(200);
    expect((await request(t.app).post('/api/auth/login').send({ email, password: 'c'.repeat(72) + 'd' })).status).to.equal(401);
  });

  it('when someone tries to self-register as coordinator or admin, then 400', async () => {
    for (const role of ['coordinator', 'admin']) {
      const res = await request(t.app)
        .post('/api/auth/register')
        .send({ email: uniqueEmail(), password: 'long enough pw', name: 'X', role, organization: { name: 'Gov', region: 'Hubei', location: { lat: 30, lng: 114 } } });
      expect(res.status).to.equal(400);
      expect(res.body.error.details.map((d: { path: string }) => d.path)).to.include('role');
    }
  });

  it('when logging in with the right password, then 200 with a token that works', async () => {
    const a = await register(t.app, 'buyer');
    const email = (await request(t.app).get('/api/auth/me').set('Authorization', `Bearer ${a.token}`)).body.email;
    const res = await request(t.app).post('/api/auth/login').send({ email, password: 'correct horse battery' });
    expect(res.status).to.equal(200);
    const me = await request(t.app).get('/api/auth/me').set('Authorization', `Bearer ${res.body.token}`);
    expect(me.status).to.equal(200);
    expect(me.body.role).to.equal('buyer');
    expect(res.headers['set-cookie']?.[0]).to.match(/fuchan_token=.*HttpOnly/i);
  });

  it('when logging in with a wrong password or unknown email, then 401', async () => {
    const a = await register(t.app, 'buyer');
    const email = (await request(t.app).get('/api/auth/me').set('Authorization', `Bearer ${a.token}`)).body.email;
    expect((await request(t.app).post('/api/auth/login').send({ email, password: 'wrong password' })).status).to.equal(401);
    expect((await request(t.app).post('/api/auth/login').send({ email: uniqueEmail(), password: 'whatever1' })).status).to.equal(401);
  });

  it('when a password fails too often, then the account is locked: even the right password gets the answer of an unknown e-mail', async () => {
    const tl = await createTestApp({ LOGIN_MAX_FAILURES: '3' });
    const a = await register(tl.app, 'supplier');
    const email = (await request(tl.app).get('/api/auth/me').set('Authorization', `Bearer ${a.token}`)).body.email;
    for (let i = 0; i < 3; i++) expect((await request(tl.app).post('/api/auth/login').send({ email, password: 'bad password' })).status).to.equal(401);
    const locked = await request(tl.app).post('/api/auth/login').send({ email, password: 'correct horse battery' });
    const unknown = await request(tl.app).post('/api/auth/login').send({ email: uniqueEmail(), password: 'correct horse battery' });
    expect(locked.status).to.equal(401);
    expect(locked.body).to.deep.equal(unknown.body);
    expect(locked.headers['retry-after']).to.equal(undefined);
  });

  it('when a token is missing, forged or expired, then 401', async () => {
    expect((await request(t.app).get('/api/auth/me')).status).to.equal(401);
    expect((await request(t.app).get('/api/offers').set('Authorization', 'Bearer not.a.token')).status).to.equal(401);
    const short = await createTestApp({ TOKEN_TTL_SECONDS: '1' });
    const a = await register(short.app, 'buyer');
    await new Promise((r) => setTimeout(r, 2100));
    const res = await request(short.app).get('/api/auth/me').set('Authorization', `Bearer ${a.token}`);
    expect(res.status).to.equal(401);
    expect(res.body.error.code).to.equal('unauthorized');
  });
});

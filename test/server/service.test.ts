import { expect } from 'chai';
import request from 'supertest';
import { testDb } from '../hooks';
import { register, startTestServer, createTestApp } from '../fixtures/app';
import { offerInput } from '../fixtures/postings';

describe('the service', () => {
  it('when asked for health, then 200 with db up; when the database is down, then 503 with db down and Retry-After', async () => {
    const t = await createTestApp();
    const up = await request(t.app).get('/api/health');
    expect(up.status).to.equal(200);
    expect(up.body).to.deep.equal({ status: 'ok', db: 'up' });
    t.dbUp.value = false;
    const down = await request(t.app).get('/api/health');
    expect(down.status).to.equal(503);
    expect(down.body.db).to.equal('down');
    const write = await request(t.app).get('/api/offers');
    expect(write.status).to.equal(503);
    expect(write.headers['retry-after']).to.equal('2');
  });

  it('when the database is down, then the health 503 is also an error reply as the contract and the OpenAPI document say ({error: {code, message}}), besides status and db', async () => {
    const t = await createTestApp();
    t.dbUp.value = false;
    const down = await request(t.app).get('/api/health');
    expect(down.status).to.equal(503);
    expect(down.body).to.deep.include({ status: 'degraded', db: 'down' });
    expect(down.body.error).to.include({ code: 'db_unavailable' });
    expect(down.body.error.message).to.be.a('string').and.not.equal('');
    const documented = (await request(t.app).get('/api/openapi.json')).body.paths['/api/health'].get.responses['503'].content['application/json'].schema;
    expect(JSON.stringify(documented)).to.contain('error');
  });

  it('when the catalog is read, then it lists at least 15 categories with capabilities, certifications and conversion rules', async () => {
    const t = await createTestApp();
    const a = await register(t.app, 'buyer');
    const res = await request(t.app).get('/api/catalog').set('Authorization', `Bearer ${a.token}`);
    expect(res.status).to.equal(200);
    expect(res.body.categories.length).to.be.at.least(15);
    const gown = res.body.categories.find((c: { id: string }) => c.id === 'protective-gown');
    expect(gown.conversion.requires).to.include('sewing');
    expect(res.body.certifications.map((c: { id: string }) => c.id)).to.include.members(['gb-19083', 'gb-2626', 'yy-0469', 'iso-13485']);
    expect((await request(t.app).get('/api/catalog')).status).to.equal(401);
  });

  it('when the OpenAPI document describes an e-mail field, then it gives the pattern the service checks, so an address it refuses (format email but not that pattern) is not schema-valid', async () => {
    const t = await createTestApp();
    const doc = (await request(t.app).get('/api/openapi.json')).body;
    const body = (path: string) => doc.paths[path].post.requestBody.content['application/json'].schema;
    for (const path of ['/api/auth/register', '/api/auth/login', '/api/coordinators']) {
      const email = body(path).properties.email;
      expect(email, path).to.include({ type: 'string', format: 'email' });
      expect(email.pattern, path).to.be.a('string');
      const pattern = new RegExp(email.pattern);
      expect(pattern.test('_?/7&}@bx.io'), path).to.equal(false);
      expect(pattern.test('li.wei+fuchan@example.cn'), path).to.equal(true);
      // a local part of more than 64 characters is no e-mail address (RFC 5321), for the service as for format: email
      expect(pattern.test(`${'a'.repeat(65)}@example.cn`), path).to.equal(false);
    }
    const long = await request(t.app).post('/api/auth/register').send({ email: `${'a'.repeat(65)}@example.cn`, password: 'long enough pw', name: 'A', role: 'buyer', organization: { name: 'Hospital', region: 'Hubei', location: { lat: 30, lng: 114 } } });
    expect(long.status).to.equal(400);
    expect(long.body.error.details[0].path).to.equal('email');
    const refused = await request(t.app).post('/api/auth/login').send({ email: '_?/7&}@bx.io', password: 'x' });
    expect(refused.status).to.equal(400);
  });

  it('when a text field is trimmed before its length is checked, then the OpenAPI document says so with a pattern: a value the service refuses as blank is not schema-valid', async () => {
    const t = await createTestApp();
    const doc = (await request(t.app).get('/api/openapi.json')).body;
    const body = (path: string, method = 'post') => doc.paths[path][method].requestBody.content['application/json'].schema;
    const fields: [string, Record<string, { pattern?: string; minLength?: number }>, string, number][] = [
      ['register organization.region', body('/api/auth/register').properties.organization.properties, 'region', 2],
      ['register organization.name', body('/api/auth/register').properties.organization.properties, 'name', 2],
      ['register name', body('/api/auth/register').properties, 'name', 1],
      ['certification issuer', body('/api/certifications/mine/{certification}', 'patch').properties, 'issuer', 2],
      ['certification number', body('/api/certifications/mine/{certification}', 'patch').properties, 'certificateNumber', 1],
      ['reject reason', body('/api/certifications/{id}/reject').properties, 'reason', 3],
    ];
    for (const [what, props, key, min] of fields) {
      const pattern = props[key].pattern;
      expect(pattern, what).to.be.a('string');
      const re = new RegExp(pattern!, 'u');
      // as long as the minimum, but blank once trimmed: refused by the service, so no match
      expect(re.test(' '.repeat(min) + 'x'.repeat(min - 1) + ' '), what).to.equal(false);
      expect(re.test(' ' + 'x'.repeat(min) + ' '), what).to.equal(true);
    }
    const region = await request(t.app).post('/api/auth/register').send({ email: 'a.b@example.cn', password: 'long enough pw', name: 'A', role: 'buyer', organization: { name: 'Hospital', region: ' a ', location: { lat: 30, lng: 114 } } });
    expect(region.status).to.equal(400);
    const q = doc.paths['/api/offers'].get.parameters.find((p: { name: string }) => p.name === 'region');
    expect(q.schema.pattern).to.be.a('string');
  });

  it('when a path exists but not with that method, then 405 with Allow and the error body; an unknown path stays 404', async () => {
    const t = await createTestApp();
    const cases: [string, string, string][] = [
      ['put', '/api/offers', 'GET, HEAD, POST'],
      ['trace', '/api/auth/login', 'POST'],
      ['delete', '/api/matches/0123456789abcdef01234567', 'GET, HEAD, PATCH'],
      ['post', '/api/health', 'GET, HEAD'],
      ['patch', '/api/import/offers', 'POST'],
    ];
    for (const [method, path, allow] of cases) {
      const res = await (request(t.app) as unknown as Record<string, (p: string) => request.Test>)[method](path);
      expect(res.status, `${method} ${path}`).to.equal(405);
      expect(res.headers.allow, `${method} ${path}`).to.equal(allow);
      if (method !== 'head') expect(res.body.error.code, `${method} ${path}`).to.equal('method_not_allowed');
    }
    const unknown = await request(t.app).put('/api/nothing-here');
    expect(unknown.status).to.equal(404);
    expect(unknown.body.error.code).to.equal('not_found');
  });

  it('when the OpenAPI document is read, then it is OpenAPI 3 and lists every route of the contract', async () => {
    const t = await createTestApp();
    const res = await request(t.app).get('/api/openapi.json');
    expect(res.status).to.equal(200);
    expect(res.body.openapi).to.match(/^3\./);
    const paths = res.body.paths as Record<string, Record<string, unknown>>;
    const expected: [string, string][] = [
      ['get', '/api/health'], ['get', '/api/openapi.json'], ['post', '/api/auth/register'], ['post', '/api/auth/login'],
      ['get', '/api/catalog'], ['post', '/api/offers'], ['get', '/api/offers'], ['get', '/api/offers/{id}'],
      ['patch', '/api/offers/{id}'], ['delete', '/api/offers/{id}'], ['post', '/api/demands'], ['get', '/api/demands'],
      ['get', '/api/demands/{id}'], ['patch', '/api/demands/{id}'], ['delete', '/api/demands/{id}'],
      ['get', '/api/demands/{id}/matches'], ['get', '/api/offers/{id}/matches'], ['post', '/api/matches/{id}/accept'],
      ['post', '/api/matches/{id}/decline'], ['patch', '/api/matches/{id}'], ['get', '/api/metrics/coverage'],
      ['post', '/api/allocations/optimize'],
    ];
    for (const [method, path] of expected) expect(paths[path]?.[method], `${method} ${path}`).to.be.an('object');
    const offerPost = paths['/api/offers'].post as { requestBody: { content: Record<string, { schema: { properties: Record<string, unknown> } }> } };
    expect(offerPost.requestBody.content['application/json'].schema.properties).to.have.keys(
      'products', 'capabilities', 'availableFrom', 'availableTo', 'location', 'minOrderUnits', 'pricePerUnit', 'conversionLeadDays', 'certifications',
    );
  });

  it('when the service and its database restart, then the data posted before is still there', async function () {
    this.timeout(120_000);
    const first = await startTestServer();
    const a = await register(first.url, 'supplier');
    const posted = await request(first.url).post('/api/offers').set('Authorization', `Bearer ${a.token}`).send(offerInput());
    expect(posted.status).to.equal(201);
    await first.stop();
    if (testDb.embedded) await testDb.embedded.restart();
    const mongoose = (await import('mongoose')).default;
    for (let i = 0; i < 100 && mongoose.connection.readyState !== 1; i++) await new Promise((r) => setTimeout(r, 100));
    const second = await startTestServer();
    try {
      const login = await request(second.url).get(`/api/offers/${posted.body.id}`).set('Authorization', `Bearer ${a.token}`);
      expect(login.status).to.equal(200);
      expect(login.body).to.include({ id: posted.body.id, totalUnits: 30_000, status: 'open' });
    } finally {
      await second.stop();
    }
  });
});

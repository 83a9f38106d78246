import { expect } from 'chai';
import type { Express } from 'express';
import request from 'supertest';
import { loadDemo } from '../../server/demo/demo.service';
import type { Services } from '../../server/index';
import { effectiveState } from '../../server/trust/records';
import { CertificationModel, CoordinatorScopeModel } from '../../models/certification.model';
import { bearer, createServicesForTest, createTestApp, register, startTestServer, uniqueEmail, type Account, type TestApp } from '../fixtures/app';
import { demandInput, offerInput } from '../fixtures/postings';
import { connect, waitFor, type ClientSocket } from '../fixtures/sockets';
import { testDb } from '../hooks';

const DAY = 86_400_000;
/** Midnight UTC today: postings are validated against the real clock, the service runs on an injected one from here. */
const T0 = Math.floor(Date.now() / DAY) * DAY;
const at = (days: number) => new Date(T0 + days * DAY).toISOString();

/** A small real PDF (magic number, objects, trailer). */
const PDF = Buffer.from('%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Count 0/Kids[]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n');
/** A Windows executable's header (MZ ... PE), named like a PDF by the test. */
const EXE = (() => {
  const b = Buffer.alloc(512);
  b.write('MZ', 0, 'latin1');
  b.writeUInt32LE(0x80, 0x3c);
  b.write('PE\0\0', 0x80, 'latin1');
  return b;
})();

async function staff(app: Express | string, services: Services, role: 'coordinator' | 'admin'): Promise<Account> {
  const email = uniqueEmail(role);
  await services.auth.createUser({ email, password: 'staff password', name: `Test ${role}`, role });
  return (await request(app).post('/api/auth/login').send({ email, password: 'staff password' }).expect(200)).body as Account;
}

async function scoped(app: Express | string, services: Services, admin: Account, scope: { regions?: string[]; sectors?: string[] }): Promise<Account> {
  const c = await staff(app, services, 'coordinator');
  await request(app).patch(`/api/coordinators/${c.user.id}/scope`).set(bearer(admin)).send({ regions: scope.regions ?? [], sectors: scope.sectors ?? [] }).expect(200);
  return c;
}

const details = (validUntil = at(400)) => ({ certificateNumber: 'NMPA-2026-0001', issuer: 'Hubei MPA', validFrom: at(-30), validUntil });

function upload(app: Express | string, who: Account, cert: string, buf: Buffer, name: string, fields: Record<string, string> = {}) {
  let r = request(app).post(`/api/certifications/mine/${cert}/evidence`).set(bearer(who));
  for (const [k, v] of Object.entries(fields)) r = r.field(k, v);
  return r.attach('file', buf, name);
}

/** Submits evidence for every certification given and has `coordinator` verify each. */
async function verifyAll(app: Express | string, supplier: Account, coordinator: Account, certs: string[], validUntil = at(400)) {
  for (const c of certs) {
    const up = await upload(app, supplier, c, PDF, `${c}.pdf`, details(validUntil));
    expect(up.status, JSON.stringify(up.body)).to.equal(201);
    const v = await request(app).post(`/api/certifications/${up.body.id}/verify`).set(bearer(coordinator)).send({});
    expect(v.status, JSON.stringify(v.body)).to.equal(200);
  }
}

const MASK_CERTS = ['yy-0469', 'nmpa-registration'];
const maskOffer = (o: Record<string, unknown> = {}) =>
  offerInput({ products: [{ category: 'surgical-mask', unitsPerDay: 10_000 }], capabilities: ['ultrasonic-welding', 'spunbond-nonwoven'], certifications: MASK_CERTS, pricePerUnit: 0.8, availableFrom: at(0), availableTo: at(60), ...o });
const maskDemand = (o: Record<string, unknown> = {}) => demandInput({ category: 'surgical-mask', quantity: 20_000, maxPricePerUnit: 2, deadline: at(20), ...o });

describe('trust: certifications with evidence', () => {
  let t: TestApp;
  let clock: { now: number };
  beforeEach(async () => {
    clock = { now: T0 };
    t = await createTestApp({ EVIDENCE_MAX_BYTES: '4096' }, { now: () => clock.now });
  });

  it('when a supplier uploads a PDF, then it is stored in GridFS, the record is submitted, and its organization reads the same bytes back', async () => {
    const s = await register(t.app, 'supplier', { certifications: ['yy-0469'] });
    const before = await request(t.app).get('/api/certifications').set(bearer(s)).expect(200);
    expect(before.body.items.map((c: { certification: string; state: string; source: string }) => [c.certification, c.state, c.source])).to.deep.equal([['yy-0469', 'claimed', 'ticked']]);
    const up = await upload(t.app, s, 'yy-0469', PDF, 'licence.pdf', details());
    expect(up.status, JSON.stringify(up.body)).to.equal(201);
    expect(up.body).to.include({ id: `${s.user.organization!.id}.yy-0469`, state: 'submitted', certificateNumber: 'NMPA-2026-0001', source: 'record' });
    expect(up.body.evidence).to.include({ contentType: 'application/pdf', size: PDF.length, filename: 'licence.pdf' });
    expect(up.body.history.map((h: { state: string }) => h.state)).to.deep.equal(['submitted']);
    const file = await request(t.app).get(`/api/evidence/${up.body.evidence.fileId}`).set(bearer(s)).buffer(true).parse((res, cb) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => cb(null, Buffer.concat(chunks)));
    });
    expect(file.status).to.equal(200);
    expect(file.headers['content-type']).to.equal('application/pdf');
    expect(Buffer.compare(file.body as Buffer, PDF)).to.equal(0);
  });

  it('when the evidence file has a Chinese name, then the name is kept (read as UTF-8) and the download says it', async () => {
    const s = await register(t.app, 'supplier');
    const up = await upload(t.app, s, 'yy-0469', PDF, '医疗器械注册证.pdf', details());
    expect(up.status, JSON.stringify(up.body)).to.equal(201);
    expect(up.body.evidence.filename).to.equal('医疗器械注册证.pdf');
    const file = await request(t.app).get(`/api/evidence/${up.body.evidence.fileId}`).set(bearer(s));
    expect(file.status).to.equal(200);
    expect(file.headers['content-disposition']).to.contain(`filename*=UTF-8''${encodeURIComponent('医疗器械注册证.pdf')}`);
  });

  it('when the evidence is a PNG or a JPEG scan, then it is accepted with the type its content has, whatever it is called; a second file or another field name is refused', async () => {
    const s = await register(t.app, 'supplier');
    const png = Buffer.concat([Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489', 'hex'), Buffer.alloc(64)]);
    const jpeg = Buffer.concat([Buffer.from('ffd8ffe000104a46494600010100000100010000', 'hex'), Buffer.alloc(64), Buffer.from('ffd9', 'hex')]);
    const a = await upload(t.app, s, 'iso-9001', png, 'scan.jpg', details());
    expect(a.status, JSON.stringify(a.body)).to.equal(201);
    expect(a.body.evidence).to.include({ contentType: 'image/png', filename: 'scan.png' });
    const b = await upload(t.app, s, 'iso-13485', jpeg, 'photo', details());
    expect(b.status, JSON.stringify(b.body)).to.equal(201);
    expect(b.body.evidence).to.include({ contentType: 'image/jpeg', filename: 'photo.jpg' });
    const two = await request(t.app).post('/api/certifications/mine/iso-9001/evidence').set(bearer(s)).attach('file', PDF, 'a.pdf').attach('file', PDF, 'b.pdf');
    expect(two.status).to.equal(400);
    expect(two.body.error.message).to.match(/one file in the multipart field "file"/);
    const other = await request(t.app).post('/api/certifications/mine/iso-9001/evidence').set(bearer(s)).attach('scan', PDF, 'a.pdf');
    expect(other.status).to.equal(400);
  });

  it('when the file is an executable renamed .pdf, then 415 says it is not a PDF, PNG or JPEG and nothing is submitted', async () => {
    const s = await register(t.app, 'supplier');
    const res = await upload(t.app, s, 'yy-0469', EXE, 'certificate.pdf', details());
    expect(res.status).to.equal(415);
    expect(res.body.error.code).to.equal('unsupported_media_type');
    expect(res.body.error.message).to.match(/PDF, PNG or JPEG/).and.match(/EXE/).and.match(/Renaming/);
    const list = await request(t.app).get('/api/certifications').set(bearer(s)).expect(200);
    expect(list.body.items).to.deep.equal([]);
  });

  it('when the file is larger than EVIDENCE_MAX_BYTES, then 413 names the limit', async () => {
    const s = await register(t.app, 'supplier');
    const big = Buffer.concat([PDF, Buffer.alloc(5000, 0x20)]);
    const res = await upload(t.app, s, 'yy-0469', big, 'big.pdf', details());
    expect(res.status).to.equal(413);
    expect(res.body.error.code).to.equal('payload_too_large');
    expect(res.body.error.message).to.match(/larger than the 0 MB allowed|larger than the/);
    expect(res.body.error.details).to.deep.equal({ maxBytes: 4096 });
  });

  it('when the details are missing or no file is sent, then 400 says what to give', async () => {
    const s = await register(t.app, 'supplier');
    const noDetails = await upload(t.app, s, 'yy-0469', PDF, 'a.pdf');
    expect(noDetails.status).to.equal(400);
    expect(noDetails.body.error.message).to.match(/certificateNumber, issuer, validFrom, validUntil/);
    const noFile = await request(t.app).post('/api/certifications/mine/yy-0469/evidence').set(bearer(s)).field('issuer', 'x y');
    expect(noFile.status).to.equal(400);
    expect(noFile.body.error.message).to.match(/No file/);
    const unknown = await upload(t.app, s, 'no-such-cert', PDF, 'a.pdf', details());
    expect(unknown.status).to.equal(400);
  });

  it("when another organization, a buyer or an out-of-scope coordinator asks for an evidence file, then 404; its organization, an in-scope coordinator and an admin read it", async () => {
    const s = await register(t.app, 'supplier', { region: 'Hubei' });
    const other = await register(t.app, 'supplier', { region: 'Hubei' });
    const buyer = await register(t.app, 'buyer');
    const admin = await staff(t.app, t.services, 'admin');
    const inHubei = await scoped(t.app, t.services, admin, { regions: ['Hubei'] });
    const inGuangdong = await scoped(t.app, t.services, admin, { regions: ['Guangdong'] });
    const inMedical = await scoped(t.app, t.services, admin, { sectors: ['medical'] });
    const unscoped = await staff(t.app, t.services, 'coordinator');
    const up = await upload(t.app, s, 'yy-0469', PDF, 'a.pdf', details()).expect(201);
    const url = `/api/evidence/${up.body.evidence.fileId}`;
    for (const who of [other, buyer, inGuangdong, unscoped]) {
      const r = await request(t.app).get(url).set(bearer(who));
      expect(r.status, who.user.role).to.equal(404);
      expect(r.body.error.message).to.equal('Evidence not found');
    }
    for (const who of [s, inHubei, inMedical, admin]) expect((await request(t.app).get(url).set(bearer(who))).status, who.user.role).to.equal(200);
    expect((await request(t.app).get(url)).status).to.equal(401);
    expect((await request(t.app).get('/api/evidence/000000000000000000000000').set(bearer(s))).status).to.equal(404);
    // the record too: its organization and staff in scope only
    expect((await request(t.app).get(`/api/certifications/${up.body.id}`).set(bearer(other))).status).to.equal(404);
    expect((await request(t.app).get(`/api/certifications/${up.body.id}`).set(bearer(inHubei))).status).to.equal(200);
  });
});

describe('trust: verification by coordinators within their scope', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
  });

  it('when coordinators open the queue, then each sees the submitted records of its scope; one outside it gets 403 on verify, one inside verifies, with actor and time in the history', async () => {
    const admin = await staff(t.app, t.services, 'admin');
    const hubei = await register(t.app, 'supplier', { region: 'Hubei' });
    const guangdong = await register(t.app, 'supplier', { region: 'Guangdong', location: { lat: 23.13, lng: 113.26 } });
    const cHubei = await scoped(t.app, t.services, admin, { regions: ['Hubei'] });
    const cAuto = await scoped(t.app, t.services, admin, { sectors: ['auto-parts'] });
    const a = (await upload(t.app, hubei, 'yy-0469', PDF, 'a.pdf', details()).expect(201)).body;
    const b = (await upload(t.app, guangdong, 'iatf-16949', PDF, 'b.pdf', details()).expect(201)).body;
    const qHubei = await request(t.app).get('/api/certifications/queue').set(bearer(cHubei)).expect(200);
    expect(qHubei.body.items.map((r: { id: string }) => r.id)).to.deep.equal([a.id]);
    expect(qHubei.body.scope.regions).to.deep.equal(['Hubei']);
    // an organization without a Chinese name: organizationNameZh is the name
    expect(qHubei.body.items[0].organizationNameZh).to.be.a('string').and.equal(qHubei.body.items[0].organizationName);
    const qAuto = await request(t.app).get('/api/certifications/queue').set(bearer(cAuto)).expect(200);
    expect(qAuto.body.items.map((r: { id: string }) => r.id)).to.deep.equal([b.id]);
    expect((await request(t.app).get('/api/certifications/queue').set(bearer(admin)).expect(200)).body.total).to.equal(2);
    expect((await request(t.app).get('/api/certifications/queue').set(bearer(hubei))).status).to.equal(403);

    const out = await request(t.app).post(`/api/certifications/${b.id}/verify`).set(bearer(cHubei)).send({});
    expect(out.status, JSON.stringify(out.body)).to.equal(403);
    expect(out.body.error.message).to.match(/outside your scope/);
    const unscoped = await staff(t.app, t.services, 'coordinator');
    const none = await request(t.app).post(`/api/certifications/${a.id}/verify`).set(bearer(unscoped)).send({});
    expect(none.status).to.equal(403);
    expect(none.body.error.message).to.match(/no verification scope/);

    const ok = await request(t.app).post(`/api/certifications/${a.id}/verify`).set(bearer(cHubei)).send({ note: 'checked with the Hubei MPA register' });
    expect(ok.status).to.equal(200);
    expect(ok.body.state).to.equal('verified');
    const last = ok.body.history.at(-1);
    expect(last).to.include({ state: 'verified', actorId: cHubei.user.id, actorRole: 'coordinator', note: 'checked with the Hubei MPA register' });
    expect(Date.parse(last.at)).to.be.a('number').and.not.NaN;
    expect((await request(t.app).post(`/api/certifications/${a.id}/verify`).set(bearer(hubei)).send({})).status).to.equal(403);

    const rej = await request(t.app).post(`/api/certifications/${b.id}/reject`).set(bearer(cAuto)).send({ reason: 'the certificate number is not in the IATF database' });
    expect(rej.status).to.equal(200);
    expect(rej.body).to.include({ state: 'rejected', rejectionReason: 'the certificate number is not in the IATF database' });
    expect((await request(t.app).post(`/api/certifications/${b.id}/verify`).set(bearer(cAuto)).send({})).status).to.equal(409);
    expect((await request(t.app).post(`/api/certifications/${b.id}/reject`).set(bearer(cAuto)).send({})).status).to.equal(400);
    // the decisions are in the Event log
    const logged = [...t.services.ledger.state.certs.values()].map((r) => [r.certification, r.decision]);
    expect(logged).to.have.deep.members([['yy-0469', 'verified'], ['iatf-16949', 'rejected']]);
  });

  it('when an admin lists and creates coordinators, then scopes show; others get 403; an unknown user gets 404', async () => {
    const admin = await staff(t.app, t.services, 'admin');
    const coord = await staff(t.app, t.services, 'coordinator');
    const created = await request(t.app).post('/api/coordinators').set(bearer(admin)).send({ email: uniqueEmail('c'), password: 'long enough pw', name: 'Hubei desk', regions: ['Hubei'], sectors: ['medical'] });
    expect(created.status).to.equal(201);
    expect(created.body.scope).to.include({ updatedBy: admin.user.id });
    const list = await request(t.app).get('/api/coordinators').set(bearer(admin)).expect(200);
    expect(list.body.items.find((c: { id: string }) => c.id === created.body.id).scope.regions).to.deep.equal(['Hubei']);
    expect((await request(t.app).get('/api/coordinators').set(bearer(coord))).status).to.equal(403);
    expect((await request(t.app).patch(`/api/coordinators/${coord.user.id}/scope`).set(bearer(coord)).send({ regions: [], sectors: [] })).status).to.equal(403);
    expect((await request(t.app).patch(`/api/coordinators/${admin.user.id}/scope`).set(bearer(admin)).send({ regions: [], sectors: [] })).status).to.equal(404);
    expect((await request(t.app).patch(`/api/coordinators/${coord.user.id}/scope`).set(bearer(admin)).send({ regions: ['Atlantis'], sectors: [] })).status).to.equal(400);
    const me = await request(t.app).get('/api/coordinators/me').set(bearer(coord)).expect(200);
    expect(me.body).to.include({ userId: coord.user.id });
    expect(me.body.regions).to.deep.equal([]);
  });
});

describe('trust: matching counts only verified certifications', () => {
  it('when a regulated demand is posted, then only a verified supplier is proposed; a claimed one is a near miss that says why; after verification it is proposed live; after expiry it no longer is', async function () {
    this.timeout(60_000);
    const clock = { now: T0 };
    const s = await startTestServer({}, { now: () => clock.now });
    const sockets: ClientSocket[] = [];
    try {
      const admin = await staff(s.url, s.services, 'admin');
      const coord = await scoped(s.url, s.services, admin, { sectors: ['medical'] });
      const buyer = await register(s.url, 'buyer');
      const claimer = await register(s.url, 'supplier', { name: 'Ticked Everything Co' });
      await request(s.url).post('/api/offers').set(bearer(claimer)).send(maskOffer({ availableTo: at(400) })).expect(201);
      const d = (await request(s.url).post('/api/demands').set(bearer(buyer)).send(maskDemand()).expect(201)).body;
      const none = await request(s.url).get(`/api/demands/${d.id}/matches`).set(bearer(buyer)).expect(200);
      expect(none.body.items).to.deep.equal([]);
      const reasons = none.body.nearMisses.flatMap((n: { reasons: { code: string; message: string }[] }) => n.reasons);
      expect(reasons.map((r: { code: string }) => r.code)).to.deep.equal(['certification_unverified']);
      expect(reasons[0].message).to.match(/^YY 0469, NMPA .* claimed, not yet verified$/);
      expect(reasons[0].params).to.deep.equal({ certifications: MASK_CERTS, claimed: MASK_CERTS, submitted: [], rejected: [] });

      // the supplier submits evidence; the coordinator verifies from its queue; buyer and supplier see it live
      const supplierSocket = await connect(s.url, claimer.token);
      const buyerSocket = await connect(s.url, buyer.token);
      const coordSocket = await connect(s.url, coord.token);
      sockets.push(supplierSocket, buyerSocket, coordSocket);
      const queued = waitFor<{ certification: { certification: string; state: string } }>(coordSocket, 'certification:updated', (p) => p.certification.state === 'submitted');
      for (const c of MASK_CERTS) await upload(s.url, claimer, c, PDF, `${c}.pdf`, details(at(300))).expect(201);
      expect((await queued).certification.state).to.equal('submitted');
      const nearAfterSubmit = await request(s.url).get(`/api/demands/${d.id}/matches`).set(bearer(buyer)).expect(200);
      expect(nearAfterSubmit.body.nearMisses[0].reasons[0].message).to.match(/submitted, awaiting verification/);
      const queue = await request(s.url).get('/api/certifications/queue').set(bearer(coord)).expect(200);
      expect(queue.body.items).to.have.length(2);
      const badge = waitFor<{ certification: { certification: string; state: string } }>(supplierSocket, 'certification:updated', (p) => p.certification.certification === 'nmpa-registration' && p.certification.state === 'verified');
      const proposed = waitFor<{ match: { demandId: string; units: number } }>(buyerSocket, 'match:proposed', (p) => p.match.demandId === d.id);
      for (const r of queue.body.items) await request(s.url).post(`/api/certifications/${r.id}/verify`).set(bearer(coord)).send({}).expect(200);
      await badge;
      expect((await proposed).match.units).to.equal(20_000);

      // a second supplier whose certificate runs out before the units would be due: a near miss saying so
      const soon = await register(s.url, 'supplier', { name: 'Expiring Soon Co' });
      const soonOffer = (await request(s.url).post('/api/offers').set(bearer(soon)).send(maskOffer()).expect(201)).body;
      await verifyAll(s.url, soon, coord, MASK_CERTS, at(10));
      const d2 = (await request(s.url).post('/api/demands').set(bearer(buyer)).send(maskDemand({ quantity: 700_000, deadline: at(30) })).expect(201)).body;
      const m2 = await request(s.url).get(`/api/demands/${d2.id}/matches`).set(bearer(admin)).expect(200);
      expect(m2.body.items.map((m: { supplierOrgName: string }) => m.supplierOrgName)).to.not.include('Expiring Soon Co');
      const miss = m2.body.nearMisses.find((n: { supplierOrgName: string }) => n.supplierOrgName === 'Expiring Soon Co');
      expect(miss.reasons.map((r: { code: string }) => r.code)).to.include('certification_expired');
      expect(miss.reasons[0].message).to.include(`expires ${at(10).slice(0, 10)}, before the units are due`);
      // the supplier learns it too, without the buyer's dates
      const own = (await request(s.url).get(`/api/offers/${soonOffer.id}/reasons`).set(bearer(soon)).expect(200)).body;
      const expiredForSupplier = own.reasons.find((r: { code: string }) => r.code === 'certification_expired');
      expect(expiredForSupplier.params).to.deep.equal({ certifications: MASK_CERTS, validUntil: at(10) });
      expect(expiredForSupplier.message).to.match(/expires .*: not valid when buyers need the units/).and.not.match(/due \d{4}/);

      // the first supplier's certificates expire (injected clock): the sweep announces it, proposals that need them go
      clock.now = T0 + 301 * DAY;
      const d3 = (await request(s.url).post('/api/demands').set(bearer(buyer)).send(maskDemand({ deadline: new Date(clock.now + 20 * DAY).toISOString() })).expect(201)).body;
      const expired = waitFor<{ certification: { state: string } }>(supplierSocket, 'certification:updated', (p) => p.certification.state === 'expired');
      expect(await s.services.trust.expireStale()).to.equal(4);
      await expired;
      const m3 = await request(s.url).get(`/api/demands/${d3.id}/matches`).set(bearer(admin)).expect(200);
      expect(m3.body.items).to.deep.equal([]);
      const why = m3.body.nearMisses.find((n: { supplierOrgName: string }) => n.supplierOrgName === 'Ticked Everything Co');
      expect(why.reasons.map((r: { code: string }) => r.code)).to.deep.equal(['certification_expired']);
      expect(why.reasons[0].params.certifications).to.deep.equal(MASK_CERTS);
      const list = await request(s.url).get('/api/certifications').set(bearer(claimer)).expect(200);
      expect(list.body.items.map((c: { state: string }) => c.state)).to.deep.equal(['expired', 'expired']);
    } finally {
      for (const so of sockets) so.close();
      await s.stop();
    }
  });
});

describe('trust: supplier record, reliability and profile', () => {
  it('when matches are delivered on time, late, cancelled and left to lapse, then the record counts each and the score follows (deliveredOnTime + 0.5 late + 1) / (settled + 2)', async function () {
    this.timeout(60_000);
    let now = T0;
    const t = await createTestApp({}, { now: () => now });
    const supplier = await register(t.app, 'supplier', { certifications: ['iso-13485'] });
    const buyer = await register(t.app, 'buyer');
    const stranger = await register(t.app, 'buyer');
    const orgId = supplier.user.organization!.id;
    const profile = async (who: Account = buyer) => (await request(t.app).get(`/api/suppliers/${orgId}/profile`).set(bearer(who)).expect(200)).body;
    // a buyer with no match with the supplier cannot open its profile
    expect((await request(t.app).get(`/api/suppliers/${orgId}/profile`).set(bearer(stranger))).status).to.equal(404);

    await request(t.app).post('/api/offers').set(bearer(supplier)).send(offerInput({ availableFrom: at(0), availableTo: at(200), products: [{ category: 'protective-gown', unitsPerDay: 1000 }] })).expect(201);
    const proposal = async (deadline: number) => {
      const d = (await request(t.app).post('/api/demands').set(bearer(buyer)).send(demandInput({ quantity: 1000, deadline: at(deadline) })).expect(201)).body;
      const [m] = (await request(t.app).get(`/api/demands/${d.id}/matches`).set(bearer(buyer)).expect(200)).body.items;
      expect(m, 'a proposal').to.exist;
      return m as { id: string; dueAt: string };
    };
    const confirm = async (id: string) => {
      await request(t.app).post(`/api/matches/${id}/accept`).set(bearer(buyer)).expect(200);
      await request(t.app).post(`/api/matches/${id}/accept`).set(bearer(supplier)).expect(200);
    };
    const deliver = async (id: string) => {
      await request(t.app).patch(`/api/matches/${id}`).set(bearer(supplier)).send({ status: 'shipped' }).expect(200);
      await request(t.app).patch(`/api/matches/${id}`).set(bearer(buyer)).send({ status: 'delivered' }).expect(200);
    };

    const fresh = await profile(supplier);
    expect(fresh.record).to.deep.equal({ answered: 0, confirmed: 0, delivered: 0, deliveredOnTime: 0, late: 0, cancelled: 0, lapsed: 0 });
    expect(fresh.reliability).to.include({ score: 0.5, good: 0, settled: 0 });
    expect(fresh.reliability.formula).to.equal('(deliveredOnTime + 0.5 × late + 1) / (delivered + cancelled + lapsed + 2)');
    expect(fresh.limited).to.equal(true);

    // on time: delivered before its due date
    const a = await proposal(10);
    await confirm(a.id);
    await deliver(a.id);
    let p = await profile();
    expect(p.record).to.include({ answered: 1, confirmed: 1, delivered: 1, deliveredOnTime: 1, late: 0 });
    expect(p.reliability.score).to.equal(Math.round((2 / 3) * 1e4) / 1e4);
    expect(p.limited, 'a delivered match lifts the limits').to.equal(false);

    // late: delivered after the match's dueAt (injected clock)
    const b = await proposal(15);
    await confirm(b.id);
    now = Date.parse(b.dueAt) + DAY;
    await deliver(b.id);
    p = await profile();
    expect(p.record).to.include({ delivered: 2, deliveredOnTime: 1, late: 1 });
    expect(p.reliability.score).to.equal(Math.round((2.5 / 4) * 1e4) / 1e4);

    // cancelled by the supplier after confirmation
    const c = await proposal(40);
    await confirm(c.id);
    await request(t.app).patch(`/api/matches/${c.id}`).set(bearer(supplier)).send({ status: 'cancelled' }).expect(200);
    p = await profile();
    expect(p.record).to.include({ cancelled: 1 });
    expect(p.reliability.score).to.equal(Math.round((2.5 / 5) * 1e4) / 1e4);

    // lapsed: nobody answered within the proposal time
    const d = await proposal(60);
    void d;
    now += 25 * 3_600_000;
    await t.services.matching.expireStale();
    p = await profile();
    expect(p.record.lapsed).to.be.at.least(1);
    const lapsed = p.record.lapsed;
    expect(p.reliability.score).to.equal(Math.round((2.5 / (5 + lapsed)) * 1e4) / 1e4);
    // the score matching uses is the same
    const offerView = t.services.ledger.state.openOffers(now).find((o) => o.orgId === orgId)!;
    expect(Math.round(offerView.reliability * 1e4) / 1e4).to.equal(p.reliability.score);
    expect(p.lines[0]).to.include({ category: 'protective-gown', unitsPerDay: 1000 });
    expect(p.organization.id).to.equal(orgId);
    // the supplier's own view is the same
    expect((await profile(supplier)).record).to.deep.equal(p.record);
  });

  it('when a supplier has verified certifications, then its profile lists those valid now with their validity, and not the claimed ones', async () => {
    const t = await createTestApp();
    const admin = await staff(t.app, t.services, 'admin');
    const s = await register(t.app, 'supplier', { certifications: ['iso-13485', 'ce-marking'] });
    await verifyAll(t.app, s, admin, ['iso-13485']);
    const p = (await request(t.app).get(`/api/suppliers/${s.user.organization!.id}/profile`).set(bearer(admin)).expect(200)).body;
    expect(p.certifications.map((c: { certification: string }) => c.certification)).to.deep.equal(['iso-13485']);
    expect(p.certifications[0]).to.include({ certificateNumber: 'NMPA-2026-0001', issuer: 'Hubei MPA' });
    expect(p.certifications[0].verifiedAt).to.be.a('string');
    expect(p.organization.nameZh).to.be.a('string').and.equal(p.organization.name);
  });
});

describe('trust: limits for the unverified', () => {
  it('when an unverified supplier posts a sixth open offer, then 403 says why and how to lift it; after a verification it may', async () => {
    const t = await createTestApp();
    const admin = await staff(t.app, t.services, 'admin');
    const s = await register(t.app, 'supplier', { certifications: ['iso-13485'] });
    const status = await request(t.app).get('/api/trust/status').set(bearer(s)).expect(200);
    expect(status.body).to.include({ limited: true, maxOpenOffers: 5, openOffers: 0, maxShareOfCriticalDemand: 0.2 });
    for (let i = 0; i < 5; i++) await request(t.app).post('/api/offers').set(bearer(s)).send(offerInput()).expect(201);
    const refused = await request(t.app).post('/api/offers').set(bearer(s)).send(offerInput());
    expect(refused.status).to.equal(403);
    expect(refused.body.error.code).to.equal('unverified_limit');
    expect(refused.body.error.message).to.match(/5 open offers/).and.match(/verif/).and.match(/withdraw an offer/);
    expect(refused.body.error.details).to.deep.equal({ limit: 'open_offers', max: 5, open: 5 });
    await verifyAll(t.app, s, admin, ['iso-13485']);
    await request(t.app).post('/api/offers').set(bearer(s)).send(offerInput()).expect(201);
    expect((await request(t.app).get('/api/trust/status').set(bearer(s)).expect(200)).body.limited).to.equal(false);
  });

  it('when an unverified supplier could cover a critical demand, then it is proposed only its share; a verified one takes the rest', async () => {
    const t = await createTestApp({ UNVERIFIED_MAX_SHARE_OF_CRITICAL: '0.25' });
    const admin = await staff(t.app, t.services, 'admin');
    const newcomer = await register(t.app, 'supplier', { name: 'Newcomer Gowns' });
    const buyer = await register(t.app, 'buyer');
    await request(t.app).post('/api/offers').set(bearer(newcomer)).send(offerInput({ pricePerUnit: 5 })).expect(201);
    const critical = (await request(t.app).post('/api/demands').set(bearer(buyer)).send(demandInput({ quantity: 4000, priority: 'critical' })).expect(201)).body;
    expect(critical.proposedUnits).to.equal(1000);
    const normal = (await request(t.app).post('/api/demands').set(bearer(buyer)).send(demandInput({ quantity: 4000, priority: 'high' })).expect(201)).body;
    expect(normal.proposedUnits, 'only critical demands are capped').to.equal(4000);
    const veteran = await register(t.app, 'supplier', { name: 'Verified Gowns', certifications: ['iso-13485'] });
    await verifyAll(t.app, veteran, admin, ['iso-13485']);
    await request(t.app).post('/api/offers').set(bearer(veteran)).send(offerInput({ pricePerUnit: 9 })).expect(201);
    const items = (await request(t.app).get(`/api/demands/${critical.id}/matches`).set(bearer(admin)).expect(200)).body.items as { supplierOrgName: string; units: number; status: string }[];
    const standing = items.filter((m) => m.status === 'proposed');
    expect(standing.map((m) => [m.supplierOrgName, m.units]).sort()).to.deep.equal([['Newcomer Gowns', 1000], ['Verified Gowns', 3000]]);
  });
});

describe('trust: the demo', () => {
  it('when the demo is loaded, then it has verified, submitted, rejected, expired and claimed certifications, and the demo coordinator has a queue it may verify from', async function () {
    this.timeout(120_000);
    const t = await createTestApp();
    await loadDemo(t.services, { seed: 2020 });
    const states = new Map<string, number>();
    const now = t.services.ledger.now();
    for (const r of t.services.ledger.state.certs.values()) states.set(effectiveState(r, now), (states.get(effectiveState(r, now)) ?? 0) + 1);
    for (const s of ['verified', 'submitted', 'rejected', 'expired', 'claimed']) expect(states.get(s) ?? 0, s).to.be.greaterThan(0);
    expect(states.get('verified')).to.be.greaterThan(3 * (states.get('submitted') ?? 0));
    const coord = (await request(t.app).post('/api/auth/login').send({ email: 'coordinator@demo.fuchan.cn', password: 'fuchan-demo' }).expect(200)).body as Account;
    const queue = (await request(t.app).get('/api/certifications/queue').set(bearer(coord)).expect(200)).body;
    expect(queue.scope).to.include.keys('regions', 'sectors');
    expect(queue.scope.sectors).to.deep.equal(['medical']);
    expect(queue.items.length).to.be.greaterThan(3);
    const first = queue.items[0];
    // the Chinese interface shows the demo organizations' Chinese names: in the queue and on the profile
    for (const item of queue.items) {
      expect(item.organizationNameZh, item.organizationName).to.match(/[\u4e00-\u9fff]/);
      expect(item.organizationNameZh).to.not.equal(item.organizationName);
    }
    const profile = (await request(t.app).get(`/api/suppliers/${first.organizationId}/profile`).set(bearer(coord)).expect(200)).body;
    expect(profile.organization.name).to.equal(first.organizationName);
    expect(profile.organization.nameZh).to.equal(first.organizationNameZh);
    const file = await request(t.app).get(`/api/evidence/${first.evidence.fileId}`).set(bearer(coord));
    expect(file.status).to.equal(200);
    expect(file.headers['content-type']).to.equal('application/pdf');
    expect((await request(t.app).post(`/api/certifications/${first.id}/verify`).set(bearer(coord)).send({})).status).to.equal(200);
    // the demo supplier login is not limited
    const supplier = (await request(t.app).post('/api/auth/login').send({ email: 'supplier@demo.fuchan.cn', password: 'fuchan-demo' }).expect(200)).body as Account;
    expect((await request(t.app).get('/api/trust/status').set(bearer(supplier)).expect(200)).body.limited).to.equal(false);
  });
});

describe('trust: operators make scoped coordinators', () => {
  it('when `npm run user:create` makes a coordinator with --scope-regions and --scope-sectors, then a service started afterwards lets it verify there', async function () {
    this.timeout(60_000);
    const { spawnSync } = await import('node:child_process');
    const email = uniqueEmail('scoped');
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/user-create.ts', '--role', 'coordinator', '--email', email, '--password', 'scoped coordinator', '--scope-regions', 'Hubei', '--scope-sectors', 'medical'], {
      env: { ...process.env, MONGODB_URI: testDb.uri, LOG_LEVEL: 'silent' },
      encoding: 'utf8',
    });
    expect(run.status, `${run.stdout}\n${run.stderr}`).to.equal(0);
    expect(run.stdout).to.match(/It verifies certifications in Hubei, medical\./);
    const bad = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/user-create.ts', '--role', 'coordinator', '--email', uniqueEmail('bad'), '--password', 'scoped coordinator', '--scope-regions', 'Atlantis'], {
      env: { ...process.env, MONGODB_URI: testDb.uri, LOG_LEVEL: 'silent' },
      encoding: 'utf8',
    });
    expect(bad.status).to.equal(2);
    expect(bad.stderr).to.match(/Invalid scope: regions/);
    const t = await createTestApp();
    const c = (await request(t.app).post('/api/auth/login').send({ email, password: 'scoped coordinator' }).expect(200)).body as Account;
    const me = await request(t.app).get('/api/coordinators/me').set(bearer(c)).expect(200);
    expect(me.body).to.include({ userId: c.user.id });
    expect(me.body.regions).to.deep.equal(['Hubei']);
    expect(me.body.sectors).to.deep.equal(['medical']);
  });
});

describe('trust: decisions reach only who may see them, and undo what relied on them', () => {
  it('when a certification is submitted and verified, then a coordinator outside its scope and another organization get no event, resync agrees, and the scoped coordinator hears of its new scope', async function () {
    this.timeout(60_000);
    const s = await startTestServer();
    const sockets: ClientSocket[] = [];
    try {
      const admin = await staff(s.url, s.services, 'admin');
      const inScope = await scoped(s.url, s.services, admin, { regions: ['Hubei'] });
      const outside = await scoped(s.url, s.services, admin, { regions: ['Guangdong'] });
      const supplier = await register(s.url, 'supplier', { region: 'Hubei' });
      const other = await register(s.url, 'supplier', { region: 'Hubei' });
      const [sIn, sOut, sOther, sAdmin, sSupplier] = await Promise.all([inScope, outside, other, admin, supplier].map((a) => connect(s.url, a.token)));
      sockets.push(sIn, sOut, sOther, sAdmin, sSupplier);
      const got = new Map<ClientSocket, string[]>();
      for (const so of sockets) {
        got.set(so, []);
        so.on('certification:updated', (p) => got.get(so)!.push(p.certification.state));
      }
      const scopedLive = waitFor<{ scope: { regions: string[] } }>(sIn, 'coordinator:scoped');
      await request(s.url).patch(`/api/coordinators/${inScope.user.id}/scope`).set(bearer(admin)).send({ regions: ['Hubei', 'Hunan'], sectors: [] }).expect(200);
      expect((await scopedLive).scope.regions).to.deep.equal(['Hubei', 'Hunan']);

      const verifiedLive = waitFor(sSupplier, 'certification:updated', (p: { certification: { state: string } }) => p.certification.state === 'verified');
      const adminLive = waitFor(sAdmin, 'certification:updated', (p: { certification: { state: string } }) => p.certification.state === 'verified');
      await verifyAll(s.url, supplier, inScope, ['iso-13485']);
      await Promise.all([verifiedLive, adminLive]);
      // a sentinel after: every socket has had time to get what it would get
      const sentinel = waitFor(sOut, 'offer:updated');
      await request(s.url).post('/api/offers').set(bearer(other)).send(offerInput()).expect(201);
      await sentinel;
      expect(got.get(sIn)).to.deep.equal(['submitted', 'verified']);
      expect(got.get(sSupplier)).to.deep.equal(['submitted', 'verified']);
      expect(got.get(sAdmin)).to.deep.equal(['submitted', 'verified']);
      expect(got.get(sOut), 'a coordinator outside the scope').to.deep.equal([]);
      expect(got.get(sOther), 'another organization').to.deep.equal([]);
      // resync applies the same rule
      const resync = (so: ClientSocket) => new Promise<{ type: string }[]>((resolve) => so.emit('resync', { afterSeq: 0 }, (r) => resolve(r.ok ? r.data.events : [])));
      const typesOf = async (so: ClientSocket) => (await resync(so)).map((e) => e.type).filter((t) => t === 'certification:updated' || t === 'coordinator:scoped');
      expect(await typesOf(sOut)).to.deep.equal(['coordinator:scoped']);
      expect(await typesOf(sOther)).to.deep.equal([]);
      expect(await typesOf(sIn)).to.deep.equal(['coordinator:scoped', 'coordinator:scoped', 'certification:updated', 'certification:updated']);
      expect((await typesOf(sAdmin)).length, 'admins: three scopes, two decisions').to.equal(5);
    } finally {
      for (const so of sockets) so.close();
      await s.stop();
    }
  });

  it('when a verified certification is rejected or its details change, then the proposals that relied on it are withdrawn and the near miss says why', async () => {
    const t = await createTestApp();
    const admin = await staff(t.app, t.services, 'admin');
    const supplier = await register(t.app, 'supplier', { certifications: MASK_CERTS });
    const buyer = await register(t.app, 'buyer');
    await request(t.app).post('/api/offers').set(bearer(supplier)).send(maskOffer()).expect(201);
    await verifyAll(t.app, supplier, admin, MASK_CERTS);
    const d = (await request(t.app).post('/api/demands').set(bearer(buyer)).send(maskDemand()).expect(201)).body;
    expect(d.proposedUnits).to.equal(20_000);
    const orgId = supplier.user.organization!.id;

    const rej = await request(t.app).post(`/api/certifications/${orgId}.yy-0469/reject`).set(bearer(admin)).send({ reason: 'the registration was revoked in March' });
    expect(rej.status).to.equal(200);
    let list = (await request(t.app).get(`/api/demands/${d.id}/matches`).set(bearer(admin)).expect(200)).body;
    expect(list.items.map((m: { status: string }) => m.status)).to.deep.equal(['withdrawn']);
    expect(list.items[0].history.at(-1).note).to.match(/yy-0469 was rejected: the registration was revoked in March/);
    expect(list.nearMisses[0].reasons[0]).to.include({ code: 'certification_unverified', message: 'YY 0469 rejected by a coordinator' });

    // new evidence: submitted again, then verified: proposed again
    await verifyAll(t.app, supplier, admin, ['yy-0469']);
    expect((await request(t.app).get(`/api/demands/${d.id}`).set(bearer(buyer)).expect(200)).body.proposedUnits).to.equal(20_000);
    // changed details: back to submitted (it has evidence), the proposal withdrawn until verified again
    const changed = await request(t.app).patch('/api/certifications/mine/nmpa-registration').set(bearer(supplier)).send({ ...details(), certificateNumber: 'NMPA-2026-0002' });
    expect(changed.status).to.equal(200);
    expect(changed.body.state).to.equal('submitted');
    list = (await request(t.app).get(`/api/demands/${d.id}/matches`).set(bearer(admin)).expect(200)).body;
    expect(list.items.filter((m: { status: string }) => m.status === 'proposed')).to.deep.equal([]);
    expect(list.nearMisses[0].reasons[0].message).to.match(/submitted, awaiting verification/);
  });
});

describe('trust: records are projected and survive a restart', () => {
  it('when the service starts again on the same database, then certification records and coordinator scopes are loaded from their collections and the log', async () => {
    const t = await createTestApp();
    const admin = await staff(t.app, t.services, 'admin');
    const coord = await scoped(t.app, t.services, admin, { regions: ['Hubei'], sectors: ['medical'] });
    const s = await register(t.app, 'supplier', { certifications: ['yy-0469'] });
    await verifyAll(t.app, s, coord, ['yy-0469']);
    await t.services.projector.idle();
    const stored = await CertificationModel.collection.findOne({ _id: `${s.user.organization!.id}.yy-0469` } as never);
    expect(stored).to.include({ decision: 'verified', certification: 'yy-0469' });
    expect(await CoordinatorScopeModel.collection.countDocuments()).to.equal(1);

    const again = await createServicesForTest();
    const r = again.ledger.state.certs.get(`${s.user.organization!.id}.yy-0469`)!;
    expect(r.decision).to.equal('verified');
    expect(r.history.map((h) => h.state)).to.deep.equal(['submitted', 'verified']);
    expect(again.ledger.state.scopes.get(coord.user.id)).to.include({ userId: coord.user.id });
    expect(again.trust.scopeOf(coord.user.id).sectors).to.deep.equal(['medical']);
  });
});

describe('trust: who sees which records', () => {
  it("when staff list another organization's certifications, then they get those within their scope; a buyer is never limited", async () => {
    const t = await createTestApp();
    const admin = await staff(t.app, t.services, 'admin');
    const hubei = await scoped(t.app, t.services, admin, { regions: ['Hubei'] });
    const guangdong = await scoped(t.app, t.services, admin, { regions: ['Guangdong'] });
    const s = await register(t.app, 'supplier', { region: 'Hubei', certifications: ['iso-9001'] });
    const org = s.user.organization!.id;
    const list = async (who: Account) => (await request(t.app).get(`/api/certifications?organizationId=${org}`).set(bearer(who)).expect(200)).body.items.map((r: { certification: string }) => r.certification);
    expect(await list(hubei)).to.deep.equal(['iso-9001']);
    expect(await list(admin)).to.deep.equal(['iso-9001']);
    expect(await list(guangdong)).to.deep.equal([]);
    const buyer = await register(t.app, 'buyer');
    expect((await request(t.app).get(`/api/certifications?organizationId=${org}`).set(bearer(buyer))).status).to.equal(404);
    const status = (await request(t.app).get('/api/trust/status').set(bearer(buyer)).expect(200)).body;
    expect(status).to.include({ limited: false });
    expect(status.reason).to.match(/suppliers only/);
  });
});

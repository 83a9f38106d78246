import { expect } from 'chai';
import type { Express } from 'express';
import jwt from 'jsonwebtoken';
import mongoose from 'mongoose';
import request from 'supertest';
import { DemandModel } from '../../models/demand.model';
import type { EventType } from '../../models/events';
import { MatchModel } from '../../models/match.model';
import { OfferModel } from '../../models/offer.model';
import type { Running, Services } from '../../server/index';
import { createTestApp, register, startTestServer, uniqueEmail, type Account } from '../fixtures/app';
import { demandInput, offerInput } from '../fixtures/postings';
import { connect, record, sleep, type ClientSocket } from '../fixtures/sockets';

/**
 * Who may do what, route by route and role by role, against the public contract (docs/API.md):
 * no or a bad token gives 401 on every signed-in route, a wrong role 403, the right role but another
 * organization 404 without the data, coordinators read everything but neither post nor act on matches.
 */

const ROLES = ['anonymous', 'badToken', 'badCookie', 'signedOut', 'supplierA', 'supplierB', 'buyerA', 'buyerB', 'coordinator', 'admin'] as const;
type Role = (typeof ROLES)[number];
type Person = Exclude<Role, 'anonymous' | 'badToken' | 'badCookie' | 'signedOut'>;
type Method = 'get' | 'post' | 'patch' | 'delete';
type Status = 200 | 201 | 400 | 401 | 403 | 404;

type Body = Record<string, unknown> & { id: string };
type Posting = Body & { organizationId: string };
type Match = Body & { offerId: string; demandId: string; buyerOrgId: string; supplierOrgId: string };

/** The arranged data: A's offer, A's demand and the match proposed between them; B's unrelated postings. */
interface World {
  people: Record<Person, Account & { email: string; password: string }>;
  badToken: string;
  /** A valid token of supplier A's that was signed out (revoked). */
  signedOutToken: string;
  offer: Posting;
  demand: Posting;
  match: Match;
  offerB: Posting;
  demandB: Posting;
  /** Supplier A's ISO 13485 record, submitted with an evidence file (server/trust). */
  cert: { id: string; fileId: string };
}

/** What a 2xx body must be; each check throws (chai) when it is not. */
const checks = {
  health: (b) => expect(b).to.deep.equal({ status: 'ok', db: 'up' }),
  openapi: (b) => {
    expect(b.openapi).to.match(/^3\./);
    expect(b.paths).to.include.keys('/api/offers/{id}', '/api/matches/{id}/accept', '/api/allocations/optimize');
  },
  session: (b) => {
    expect(b.token).to.be.a('string');
    expect(b.user).to.have.property('id');
  },
  me: (b, w, as) => expect(b).to.deep.include({ id: w.people[as as Person].user.id, role: w.people[as as Person].user.role }),
  // signed in: the user, as from /auth/me; anonymous, a bad or a revoked token: null, never a 401
  sessionOrNull: (b, w, as) =>
    expect((b as { user: unknown }).user).to.deep.equal(as in w.people ? { ...(b as { user: object }).user, id: w.people[as as Person].user.id } : null),
  loggedOut: (b) => expect(b).to.deep.equal({ ok: true }),
  catalog: (b) => expect(b.categories).to.be.an('array').that.is.not.empty,
  theOffer: (b, w) => expect(b).to.deep.include({ id: w.offer.id, organizationId: w.offer.organizationId }),
  theOfferLines: (b, w) => {
    expect(b.offerId).to.equal(w.offer.id);
    expect((b.lines as unknown[]).length).to.be.greaterThan(0);
  },
  theOfferReasons: (b, w) => {
    expect(b.offerId).to.equal(w.offer.id);
    expect(b.reasons).to.be.an('array');
  },
  theDemand: (b, w) => expect(b).to.deep.include({ id: w.demand.id, organizationId: w.demand.organizationId }),
  theMatch: (b, w, as) => {
    expect(b).to.deep.include({ id: w.match.id, offerId: w.offer.id, demandId: w.demand.id });
    expectCeiling(b as unknown as Match, as);
  },
  /** A new posting of the caller's own organization (not one of the arranged ones). */
  newOwnPosting: (b, w, as) => {
    expect(b.organizationId).to.equal(orgOf(w, as));
    expect([w.offer.id, w.demand.id, w.offerB.id, w.demandB.id]).to.not.include(b.id);
  },
  /** Coordinators: every offer; anyone else: exactly its own organization's. */
  visibleOffers: (b, w, as) => expectIds(b, visible(as, w, [w.offer, w.offerB])),
  visibleDemands: (b, w, as) => expectIds(b, visible(as, w, [w.demand, w.demandB])),
  listsTheMatch: (b, w, as) => {
    expect((b.items as Match[]).map((m) => m.id)).to.deep.equal([w.match.id]);
    expectCeiling((b.items as Match[])[0], as);
  },
  coverage: (b) => expect(b).to.be.an('object').that.is.not.empty,
  imported: (b) => expect(b).to.include({ kind: 'offers', created: 1 }),
  coverageHistory: (b) => expect(b.days).to.have.length(30),
  certifications: (b, w, as) => {
    const items = b.items as { organizationId: string }[];
    for (const i of items) expect(i.organizationId, as).to.equal(orgOf(w, as));
  },
  queue: (b) => expect(b.items).to.be.an('array'),
  theCert: (b, w) => expect(b).to.include({ id: w.cert.id }),
  evidence: (b) => expect(b).to.exist,
  coordinators: (b) => expect(b.items).to.be.an('array').that.is.not.empty,
  scope: (b) => expect(b).to.have.keys('userId', 'regions', 'sectors', 'updatedBy', 'updatedAt'),
  newCoordinator: (b) => expect(b.scope).to.be.an('object'),
  profile: (b, w) => expect((b.organization as { id: string }).id).to.equal(w.offer.organizationId),
  trustStatus: (b) => expect(b.limited).to.be.a('boolean'),
  optimized: (b) => expect(b.proposalsCreated).to.be.a('number'),
} satisfies Record<string, (body: Record<string, unknown>, w: World, as: Role) => void>;
type Check = keyof typeof checks;

/** Confidential terms: the supplier side never sees the buyer's maximum price (20 in the arranged demand). */
function expectCeiling(m: Match, as: Role) {
  const e = (m as unknown as { explanation: { maxPricePerUnit: number | null; summary: string[] } }).explanation;
  if (as === 'supplierA' || as === 'supplierB') {
    expect(e.maxPricePerUnit, `${as} sees the buyer's maximum`).to.equal(null);
    expect(e.summary.join(' '), `${as} reads the buyer's maximum`).to.not.match(/maximum/);
  } else {
    expect(e.maxPricePerUnit, as).to.equal(20);
  }
}

function orgOf(w: World, as: Role): string | null {
  return w.people[as as Person]?.user.organization?.id ?? null;
}

function visible(as: Role, w: World, postings: Posting[]): string[] {
  if (as === 'coordinator' || as === 'admin') return postings.map((p) => p.id);
  return postings.filter((p) => p.organizationId === orgOf(w, as)).map((p) => p.id);
}

function expectIds(b: Record<string, unknown>, ids: string[]) {
  const items = b.items as Posting[];
  expect(items.map((i) => i.id)).to.have.members(ids);
  expect(b.total).to.equal(ids.length);
}

interface RouteCase {
  method: Method;
  /** `:offer`, `:demand` and `:match` stand for the arranged offer, demand and match. */
  path: string;
  /** Expected status per role, in the order of ROLES. */
  expect: Record<Role, Status>;
  body?: (w: World) => object;
  /** A file sent as multipart/form-data field `file` instead of a JSON body. */
  file?: () => { name: string; content: Buffer };
  /** What each 2xx body must be. */
  returns?: Check;
  /** Successful calls change postings or matches: they run only after the "nothing changed" check. */
  writes?: boolean;
}

/** One row of the table: one call by one role. */
interface Row {
  method: Method;
  path: string;
  as: Role;
  body?: (w: World) => object;
  file?: () => { name: string; content: Buffer };
  expect: Status;
  returns?: Check;
  writes: boolean;
}

function route(method: Method, path: string, statuses: Status[], more: Omit<RouteCase, 'method' | 'path' | 'expect'> = {}): RouteCase {
  if (statuses.length !== ROLES.length) throw new Error(`${method} ${path}: ${statuses.length} statuses for ${ROLES.length} roles`);
  return { method, path, expect: Object.fromEntries(ROLES.map((r, i) => [r, statuses[i]])) as Record<Role, Status>, ...more };
}

const registration = () => ({
  email: uniqueEmail('registrant'),
  password: 'correct horse battery',
  name: 'New supplier',
  role: 'supplier',
  organization: { name: 'New Co.', region: 'Hubei', location: { lat: 30.5, lng: 114.3 } },
});

// Public routes are for anyone: a stale or forged token must not lock a caller out of signing in or out.
// prettier-ignore
const routes: RouteCase[] = [
  //     method    path                              anon bad  bCk  out  supA supB buyA buyB coord admin
  route('get',    '/api/health',                   [200, 200, 200, 200, 200, 200, 200, 200, 200, 200], { returns: 'health' }),
  route('get',    '/api/openapi.json',             [200, 200, 200, 200, 200, 200, 200, 200, 200, 200], { returns: 'openapi' }),
  route('get',    '/api/docs',                     [200, 200, 200, 200, 200, 200, 200, 200, 200, 200]),
  route('post',   '/api/auth/register',            [201, 201, 201, 201, 201, 201, 201, 201, 201, 201], { returns: 'session', body: registration }),
  route('post',   '/api/auth/login',               [200, 200, 200, 200, 200, 200, 200, 200, 200, 200], { returns: 'session', body: (w) => ({ email: w.people.supplierA.email, password: w.people.supplierA.password }) }),
  route('get',    '/api/auth/me',                  [401, 401, 401, 401, 200, 200, 200, 200, 200, 200], { returns: 'me' }),
  route('get',    '/api/auth/session',             [200, 200, 200, 200, 200, 200, 200, 200, 200, 200], { returns: 'sessionOrNull' }),
  // signing out revokes the caller's token: it runs last, after the checks that use the tokens
  route('post',   '/api/auth/logout',              [200, 200, 200, 200, 200, 200, 200, 200, 200, 200], { returns: 'loggedOut', writes: true }),
  route('get',    '/api/catalog',                  [401, 401, 401, 401, 200, 200, 200, 200, 200, 200], { returns: 'catalog' }),

  route('post',   '/api/offers',                   [401, 401, 401, 401, 201, 201, 403, 403, 403, 403], { returns: 'newOwnPosting', writes: true, body: () => offerInput({ products: [{ category: 'brake-pad', unitsPerDay: 5 }], capabilities: ['metal-stamping'], certifications: [] }) }),
  route('get',    '/api/offers',                   [401, 401, 401, 401, 200, 200, 200, 200, 200, 200], { returns: 'visibleOffers' }),
  route('get',    '/api/offers/:offer',            [401, 401, 401, 401, 200, 404, 403, 403, 200, 200], { returns: 'theOffer' }),
  route('patch',  '/api/offers/:offer',            [401, 401, 401, 401, 200, 404, 403, 403, 403, 403], { returns: 'theOffer', writes: true, body: () => ({ pricePerUnit: 11 }) }),
  route('delete', '/api/offers/:offer',            [401, 401, 401, 401, 200, 404, 403, 403, 403, 403], { returns: 'theOffer', writes: true }),
  route('get',    '/api/offers/:offer/matches',    [401, 401, 401, 401, 200, 404, 403, 403, 200, 200], { returns: 'listsTheMatch' }),
  route('get',    '/api/offers/:offer/lines',      [401, 401, 401, 401, 200, 404, 403, 403, 200, 200], { returns: 'theOfferLines' }),
  route('get',    '/api/offers/:offer/reasons',    [401, 401, 401, 401, 200, 404, 403, 403, 200, 200], { returns: 'theOfferReasons' }),

  route('post',   '/api/demands',                  [401, 401, 401, 401, 403, 403, 201, 201, 403, 403], { returns: 'newOwnPosting', writes: true, body: () => demandInput({ category: 'brake-pad', quantity: 10, requiredCertifications: [] }) }),
  route('get',    '/api/demands',                  [401, 401, 401, 401, 200, 200, 200, 200, 200, 200], { returns: 'visibleDemands' }),
  route('get',    '/api/demands/:demand',          [401, 401, 401, 401, 403, 403, 200, 404, 200, 200], { returns: 'theDemand' }),
  route('patch',  '/api/demands/:demand',          [401, 401, 401, 401, 403, 403, 200, 404, 403, 403], { returns: 'theDemand', writes: true, body: () => ({ priority: 'critical' }) }),
  route('delete', '/api/demands/:demand',          [401, 401, 401, 401, 403, 403, 200, 404, 403, 403], { returns: 'theDemand', writes: true }),
  route('get',    '/api/demands/:demand/matches',  [401, 401, 401, 401, 403, 403, 200, 404, 200, 200], { returns: 'listsTheMatch' }),

  route('get',    '/api/matches/:match',           [401, 401, 401, 401, 200, 404, 200, 404, 200, 200], { returns: 'theMatch' }),
  route('post',   '/api/matches/:match/accept',    [401, 401, 401, 401, 200, 404, 200, 404, 403, 403], { returns: 'theMatch', writes: true }),
  route('post',   '/api/matches/:match/decline',   [401, 401, 401, 401, 200, 404, 200, 404, 403, 403], { returns: 'theMatch', writes: true }),
  route('patch',  '/api/matches/:match',           [401, 401, 401, 401, 200, 404, 200, 404, 403, 403], { returns: 'theMatch', writes: true, body: () => ({ status: 'cancelled' }) }),

  route('get',    '/api/metrics/coverage',         [401, 401, 401, 401, 403, 403, 403, 403, 200, 200], { returns: 'coverage' }),
  route('get',    '/api/metrics/coverage/history', [401, 401, 401, 401, 403, 403, 403, 403, 200, 200], { returns: 'coverageHistory' }),
  // an import as the supplier's own offers (a coordinator must name the organization of each row: 400)
  route('post',   '/api/import/:kind',             [401, 401, 401, 401, 201, 201, 403, 403, 400, 400], { returns: 'imported', writes: true, file: () => ({ name: 'offers.csv', content: Buffer.from(`category,unitsPerDay,capabilities,availableFrom,availableTo\nbrake-pad,5,metal-stamping,${new Date().toISOString()},${new Date(Date.now() + 5 * 86_400_000).toISOString()}`) }) }),
  route('get',    '/api/templates/:kind',          [401, 401, 401, 401, 200, 200, 200, 200, 200, 200]),
  route('get',    '/api/export/matches',           [401, 401, 401, 401, 200, 200, 200, 200, 200, 200]),
  route('get',    '/api/export/coverage',          [401, 401, 401, 401, 403, 403, 403, 403, 200, 200]),
  route('post',   '/api/allocations/optimize',     [401, 401, 401, 401, 403, 403, 403, 403, 200, 200], { returns: 'optimized', writes: true }),

  // trust (server/trust): a coordinator without a scope verifies nothing and reads no evidence; admins do
  route('get',    '/api/certifications',           [401, 401, 401, 401, 200, 200, 200, 200, 200, 200], { returns: 'certifications' }),
  route('get',    '/api/certifications/queue',     [401, 401, 401, 401, 403, 403, 403, 403, 200, 200], { returns: 'queue' }),
  route('patch',  '/api/certifications/mine/:certification', [401, 401, 401, 401, 200, 200, 403, 403, 403, 403], { writes: true, body: () => ({ certificateNumber: 'X-1', issuer: 'Some register', validFrom: '2026-01-01', validUntil: '2030-01-01' }) }),
  route('post',   '/api/certifications/mine/:certification/evidence', [401, 401, 401, 401, 400, 400, 403, 403, 403, 403], { writes: true }),
  route('get',    '/api/certifications/:cert',     [401, 401, 401, 401, 200, 404, 404, 404, 404, 200], { returns: 'theCert' }),
  route('post',   '/api/certifications/:cert/verify', [401, 401, 401, 401, 403, 403, 403, 403, 403, 200], { returns: 'theCert', writes: true }),
  route('post',   '/api/certifications/:cert/reject', [401, 401, 401, 401, 403, 403, 403, 403, 403, 200], { returns: 'theCert', writes: true, body: () => ({ reason: 'not in the register' }) }),
  route('get',    '/api/evidence/:file',           [401, 401, 401, 401, 200, 404, 404, 404, 404, 200], { returns: 'evidence' }),
  route('get',    '/api/coordinators',             [401, 401, 401, 401, 403, 403, 403, 403, 403, 200], { returns: 'coordinators' }),
  route('post',   '/api/coordinators',             [401, 401, 401, 401, 403, 403, 403, 403, 403, 201], { returns: 'newCoordinator', writes: true, body: () => ({ email: uniqueEmail('coord'), password: 'long enough pw', name: 'Desk', regions: ['Hubei'] }) }),
  route('get',    '/api/coordinators/me',          [401, 401, 401, 401, 403, 403, 403, 403, 200, 200], { returns: 'scope' }),
  route('patch',  '/api/coordinators/:coordinator/scope', [401, 401, 401, 401, 403, 403, 403, 403, 403, 200], { returns: 'scope', writes: true, body: () => ({ regions: ['Hubei'], sectors: [] }) }),
  route('get',    '/api/suppliers/:supplierOrg/profile', [401, 401, 401, 401, 200, 404, 200, 404, 200, 200], { returns: 'profile' }),
  route('get',    '/api/trust/status',             [401, 401, 401, 401, 200, 200, 200, 200, 403, 403], { returns: 'trustStatus' }),
];

/** The table itself: every route called as every role. */
const table: Row[] = routes.flatMap((r) =>
  ROLES.map((as) => ({ method: r.method, path: r.path, as, body: r.body, file: r.file, expect: r.expect[as], returns: r.returns, writes: !!r.writes })),
);

const errorCodes: Partial<Record<Status, string>> = { 400: 'validation_failed', 401: 'unauthorized', 403: 'forbidden', 404: 'not_found' };

async function staff(app: Express | string, services: Services, role: 'coordinator' | 'admin') {
  const email = uniqueEmail(role);
  const password = `${role} password`;
  await services.auth.createUser({ email, password, name: `Test ${role}`, role });
  const res = await request(app).post('/api/auth/login').send({ email, password });
  expect(res.status, JSON.stringify(res.body)).to.equal(200);
  return { ...(res.body as Account), email, password };
}

async function person(app: Express | string, role: 'supplier' | 'buyer', name: string) {
  const a = await register(app, role, { name, certifications: role === 'supplier' ? ['iso-13485'] : [] });
  return { ...a, email: (a.user as unknown as { email: string }).email, password: 'correct horse battery' };
}

/** Registers the six people (in parallel) and forges a token signed with a key that is not the service's. */
async function arrangePeople(app: Express | string, services: Services) {
  const [supplierA, supplierB, buyerA, buyerB, coordinator, admin] = await Promise.all([
    person(app, 'supplier', 'Supplier A'),
    person(app, 'supplier', 'Supplier B'),
    person(app, 'buyer', 'Buyer A'),
    person(app, 'buyer', 'Buyer B'),
    staff(app, services, 'coordinator'),
    staff(app, services, 'admin'),
  ]);
  const badToken = jwt.sign({ role: 'coordinator', org: null }, 'a key that is not the service secret', {
    subject: new mongoose.Types.ObjectId().toString(),
    expiresIn: 3600,
  });
  const second = await request(app).post('/api/auth/login').send({ email: supplierA.email, password: supplierA.password });
  expect(second.status, JSON.stringify(second.body)).to.equal(200);
  const signedOutToken = second.body.token as string;
  expect((await request(app).post('/api/auth/logout').set(bearer(signedOutToken))).status).to.equal(200);
  return { people: { supplierA, supplierB, buyerA, buyerB, coordinator, admin }, badToken, signedOutToken };
}

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

async function post(app: Express | string, who: Account, kind: 'offers' | 'demands', body: object): Promise<Posting> {
  const res = await request(app).post(`/api/${kind}`).set(bearer(who.token)).send(body);
  expect(res.status, JSON.stringify(res.body)).to.equal(201);
  return res.body as Posting;
}

/** A's offer, then A's matching demand (proposed at once); B's postings match nothing. */
async function arrangePostings(app: Express | string, people: World['people']) {
  const offer = await post(app, people.supplierA, 'offers', offerInput());
  const offerB = await post(app, people.supplierB, 'offers', offerInput({ products: [{ category: 'brake-pad', unitsPerDay: 10 }], capabilities: ['friction-material-pressing', 'metal-stamping'], certifications: [] }));
  const demand = await post(app, people.buyerA, 'demands', demandInput());
  const demandB = await post(app, people.buyerB, 'demands', demandInput({ category: 'surgical-mask', quantity: 1000 }));
  const matches = await request(app).get(`/api/demands/${demand.id}/matches`).set(bearer(people.buyerA.token));
  expect(matches.status).to.equal(200);
  expect(matches.body.items, 'the arranged demand is proposed to the arranged offer').to.have.length(1);
  const match = matches.body.items[0] as Match;
  expect(match).to.include({ offerId: offer.id, status: 'proposed' });
  const up = await request(app)
    .post('/api/certifications/mine/iso-13485/evidence')
    .set(bearer(people.supplierA.token))
    .field({ certificateNumber: 'ISO-1', issuer: 'TUV SUD', validFrom: '2026-01-01', validUntil: '2030-01-01' })
    .attach('file', Buffer.from('%PDF-1.4\n%%EOF\n'), 'iso.pdf');
  expect(up.status, JSON.stringify(up.body)).to.equal(201);
  return { offer, offerB, demand, demandB, match, cert: { id: up.body.id as string, fileId: up.body.evidence.fileId as string } };
}

async function arrange(app: Express, services: Services): Promise<World> {
  const { people, badToken, signedOutToken } = await arrangePeople(app, services);
  return { people, badToken, signedOutToken, ...(await arrangePostings(app, people)) };
}

function pathOf(row: Row, w: World) {
  return row.path
    .replace(':offer', w.offer.id)
    .replace(':demand', w.demand.id)
    .replace(':match', w.match.id)
    .replace(':certification', 'iso-13485')
    .replace(':cert', w.cert.id)
    .replace(':file', w.cert.fileId)
    .replace(':coordinator', w.people.coordinator.user.id)
    .replace(':supplierOrg', w.offer.organizationId)
    .replace(':kind', 'offers');
}

/** Makes one call of the table; returns what is wrong with the answer, or null. */
async function check(app: Express, w: World, row: Row): Promise<string | null> {
  let req = request(app)[row.method](pathOf(row, w));
  if (row.as === 'badToken') req = req.set(bearer(w.badToken));
  else if (row.as === 'badCookie') req = req.set('Cookie', 'fuchan_token=%; other=%E0%A4%A');
  else if (row.as === 'signedOut') req = req.set(bearer(w.signedOutToken));
  else if (row.as !== 'anonymous') req = req.set(bearer(w.people[row.as].token));
  const file = row.file?.();
  const res = await (file ? req.attach('file', file.content, file.name) : row.body ? req.send(row.body(w)) : req);
  const label = `${row.method.toUpperCase()} ${row.path} as ${row.as}`;
  if (res.status !== row.expect) return `${label}: expected ${row.expect}, got ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`;
  try {
    if (res.status >= 400) {
      expect(Object.keys(res.body)).to.deep.equal(['error']);
      expect(res.body.error.code).to.equal(errorCodes[row.expect]);
      const text = JSON.stringify(res.body);
      for (const hidden of [w.offer, w.demand, w.match]) expect(text, 'an error reveals an arranged id').to.not.include(hidden.id);
    } else if (row.returns) {
      checks[row.returns](res.body, w, row.as);
    }
  } catch (err) {
    return `${label}: ${(err as Error).message}`;
  }
  return null;
}

/** The arranged offer, demand and match as their owners read them, and how many postings and matches exist. */
async function snapshot(app: Express, w: World, services: Services) {
  await services.projector.idle(); // the counts are of the projections
  const read = async (path: string, who: Account) => {
    const res = await request(app).get(path).set(bearer(who.token));
    expect(res.status, `${path}: ${JSON.stringify(res.body)}`).to.equal(200);
    return res.body as Body;
  };
  return {
    offer: await read(`/api/offers/${w.offer.id}`, w.people.supplierA),
    demand: await read(`/api/demands/${w.demand.id}`, w.people.buyerA),
    matchAsSupplier: await read(`/api/matches/${w.match.id}`, w.people.supplierA),
    matchAsBuyer: await read(`/api/matches/${w.match.id}`, w.people.buyerA),
    counts: {
      offers: await OfferModel.countDocuments(),
      demands: await DemandModel.countDocuments(),
      matches: await MatchModel.countDocuments(),
    },
  };
}

/** Every leaf that differs between two snapshots, as `path: before -> after`. */
function differences(a: unknown, b: unknown, at = ''): string[] {
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].flatMap((k) => differences((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], at ? `${at}.${k}` : k));
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [`${at}: ${JSON.stringify(a)} -> ${JSON.stringify(b)}`];
}

describe('authorization: every route as every role', function () {
  this.timeout(30_000);

  it('when the table is read, then it covers every served route exactly once for each role', async () => {
    const { app } = await createTestApp();
    const doc = (await request(app).get('/api/openapi.json')).body as { paths: Record<string, Record<string, unknown>> };
    const served = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m} ${p}`));
    const tabled = routes.map((r) => `${r.method} ${r.path.replace(/:(offer|demand|match|cert|file|coordinator|supplierOrg)\b/, '{id}').replace(':certification', '{certification}').replace(':kind', '{kind}')}`);
    expect(tabled).to.have.members(served);
    for (const r of routes) expect(table.filter((row) => row.method === r.method && row.path === r.path).map((row) => row.as)).to.deep.equal([...ROLES]);
  });

  for (const r of routes) {
    const rows = table.filter((row) => row.method === r.method && row.path === r.path);
    const outcome = ROLES.map((as) => `${as} ${r.expect[as]}`).join(', ');
    it(`when ${r.method.toUpperCase()} ${r.path} is called by each role, then ${outcome}`, async () => {
      const { app, services } = await createTestApp();
      const w = await arrange(app, services);
      const before = await snapshot(app, w, services);
      const problems: string[] = [];

      const changing = (row: Row) => row.writes && row.expect < 300;
      for (const row of rows.filter((x) => !changing(x))) {
        const p = await check(app, w, row);
        if (p) problems.push(p);
      }
      const changed = differences(before, await snapshot(app, w, services));
      if (changed.length) problems.push(`${r.method.toUpperCase()} ${r.path}: the refused calls changed ${changed.join(', ')}`);
      for (const row of rows.filter(changing)) {
        const p = await check(app, w, row);
        if (p) problems.push(p);
      }

      expect(problems, problems.join('\n')).to.deep.equal([]);
    });
  }

  it('when a browser holds a stale session cookie, then it can still sign in and sign out', async () => {
    const { app, services } = await createTestApp();
    const { people, badToken } = await arrangePeople(app, services);
    const stale = `fuchan_token=${badToken}`;

    const login = await request(app).post('/api/auth/login').set('Cookie', stale).send({ email: people.buyerA.email, password: people.buyerA.password });
    const logout = await request(app).post('/api/auth/logout').set('Cookie', stale);

    expect(login.status, JSON.stringify(login.body)).to.equal(200);
    expect(login.headers['set-cookie']?.[0]).to.match(/^fuchan_token=[^;]+;/);
    expect(logout.status, JSON.stringify(logout.body)).to.equal(200);
    expect(logout.headers['set-cookie']?.[0]).to.match(/^fuchan_token=;/);
  });
});

describe('authorization: live events and resync', function () {
  this.timeout(30_000);
  let s: Running;
  const sockets: ClientSocket[] = [];
  beforeEach(async () => {
    s = await startTestServer();
  });
  afterEach(async () => {
    for (const c of sockets.splice(0)) c.close();
    await s.stop();
  });

  type Received = { type: EventType; seq: number; payload: Record<string, unknown> };

  /** The organizations an event is about, read from its payload (not from what the server decided). */
  function partiesOf(e: { type: EventType; payload: Record<string, unknown> }): string[] {
    const p = e.payload as { offer?: Posting; demand?: Posting; match?: Match };
    if (e.type === 'offer:updated') return [p.offer!.organizationId];
    if (e.type === 'demand:updated') return [p.demand!.organizationId];
    if (e.type === 'match:proposed' || e.type === 'match:updated') return [p.match!.buyerOrgId, p.match!.supplierOrgId];
    if (e.type === 'certification:updated') return [(e.payload as { certification: { organizationId: string } }).certification.organizationId];
    return []; // coverage:updated: coordinators only
  }

  /**
   * Which events each role may see: admins all, coordinators all but certifications outside their scope (this one
   * has none), a supplier or buyer those about its organization.
   */
  function visibleTo(w: Pick<World, 'people'>, as: Person, log: Received[]): number[] {
    if (as === 'admin') return log.map((e) => e.seq);
    if (as === 'coordinator') return log.filter((e) => e.type !== 'certification:updated' && e.type !== 'coordinator:scoped').map((e) => e.seq);
    const org = w.people[as].user.organization!.id;
    return log.filter((e) => partiesOf(e).includes(org)).map((e) => e.seq);
  }

  /** The id of the posting or match an event is about, with its type, e.g. `offer:updated <id>`. */
  function describeEvent(e: Received) {
    const p = e.payload as { offer?: Body; demand?: Body; match?: Body };
    return `${e.type} ${(p.offer ?? p.demand ?? p.match)?.id ?? ''}`.trim();
  }

  it('when a socket connects without a token, with a forged or a signed-out one, then the handshake is refused', async () => {
    const { badToken, signedOutToken } = await arrangePeople(s.url, s.services);
    for (const token of [undefined, badToken, signedOutToken, '%']) {
      const refused = await connect(s.url, token).then(
        (c) => (c.close(), null),
        (e: Error) => e,
      );
      expect(refused, token ? 'forged token' : 'no token').to.be.instanceOf(Error);
      expect(refused!.message).to.match(/unauthorized/);
    }
  });

  it('when A posts, is matched and both accept, then A\'s supplier and buyer get only their own events, B gets none of them, coordinators get all, and resync agrees', async () => {
    const { people } = await arrangePeople(s.url, s.services);
    const persons = Object.keys(people) as Person[];
    const live = {} as Record<Person, Received[]>;
    const socketOf = {} as Record<Person, ClientSocket>;
    for (const p of persons) {
      const c = await connect(s.url, people[p].token);
      sockets.push(c);
      socketOf[p] = c;
      live[p] = record(c);
    }

    const w = { people, ...(await arrangePostings(s.url, people)) };
    for (const who of [people.supplierA, people.buyerA]) {
      const res = await request(s.url).post(`/api/matches/${w.match.id}/accept`).set(bearer(who.token));
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
    }
    expect((await request(s.url).get(`/api/matches/${w.match.id}`).set(bearer(people.buyerA.token))).body.status).to.equal('confirmed');

    const log = (await s.services.eventLog.since(0, 10_000)).events.map((d) => ({ type: d.type, seq: d.seq, payload: d.data as Record<string, unknown> }));
    const lastSeq = Math.max(...log.map((e) => e.seq));
    for (let waited = 0; waited < 5000 && !live.coordinator.some((e) => e.seq >= lastSeq); waited += 50) await sleep(50);
    await sleep(300); // the same emit reached every room; give the other sockets a moment to read it
    const upTo = (events: Received[]) => events.filter((e) => e.seq <= lastSeq);

    // Act 2: every connected role asks for everything since seq 0
    const resynced = {} as Record<Person, Received[]>;
    for (const p of persons) {
      const ack = await socketOf[p].emitWithAck('resync', { afterSeq: 0 });
      if (!ack.ok) throw new Error(`resync as ${p}: ${JSON.stringify(ack.error)}`);
      resynced[p] = ack.data.events.map((e) => ({ type: e.type, seq: e.payload.seq, payload: e.payload as unknown as Record<string, unknown> }));
    }

    for (const p of persons) {
      const expected = visibleTo(w, p, log);
      expect(upTo(live[p]).map((e) => e.seq), `live events of ${p}`).to.deep.equal(expected);
      expect(upTo(resynced[p]).map((e) => e.seq), `resync of ${p}`).to.deep.equal(expected);
    }
    const aIds = new Set([w.offer.id, w.demand.id, w.match.id]);
    const names = (p: Person) => upTo(live[p]).map(describeEvent);
    const aEvents = (p: Person) => upTo(live[p]).filter((e) => aIds.has(describeEvent(e).split(' ')[1]));
    expect(names('supplierB'), 'supplier B: its own offer only').to.deep.equal([`offer:updated ${w.offerB.id}`]);
    expect(names('buyerB'), 'buyer B: its own demand only').to.deep.equal([`demand:updated ${w.demandB.id}`]);
    for (const p of ['supplierB', 'buyerB'] as const) {
      expect(aEvents(p), `${p} live`).to.deep.equal([]);
      expect(upTo(resynced[p]).filter((e) => aIds.has(describeEvent(e).split(' ')[1])), `${p} resync`).to.deep.equal([]);
    }
    const offerUpdate = `offer:updated ${w.offer.id}`;
    const demandUpdate = `demand:updated ${w.demand.id}`;
    const matchEvents = (p: Person) => aEvents(p).map(describeEvent).filter((n) => n.startsWith('match:'));
    expect(names('supplierA')).to.include(offerUpdate).and.not.include(demandUpdate);
    expect(names('buyerA')).to.include(demandUpdate).and.not.include(offerUpdate);
    expect(matchEvents('supplierA'), 'match events reach the supplier').to.deep.equal([`match:proposed ${w.match.id}`, `match:updated ${w.match.id}`, `match:updated ${w.match.id}`]);
    expect(matchEvents('buyerA'), 'and the buyer').to.deep.equal(matchEvents('supplierA'));
    // confidential terms: the supplier's copies (live and resynced) lack the buyer's maximum price
    const ceilings = (events: Received[]) =>
      upTo(events)
        .filter((e) => e.type.startsWith('match:'))
        .map((e) => (e.payload.match as { explanation: { maxPricePerUnit: number | null } }).explanation.maxPricePerUnit);
    expect(ceilings(live.supplierA), 'supplier live').to.deep.equal([null, null, null]);
    expect(ceilings(resynced.supplierA), 'supplier resync').to.deep.equal([null, null, null]);
    expect(ceilings(live.buyerA), 'buyer live').to.deep.equal([20, 20, 20]);
    for (const p of ['coordinator', 'admin'] as const) expect(ceilings(live[p]).every((c) => c === 20), p).to.equal(true);
    for (const p of ['coordinator', 'admin'] as const) {
      expect(names(p), p).to.include.members([offerUpdate, demandUpdate, `match:proposed ${w.match.id}`, `offer:updated ${w.offerB.id}`, `demand:updated ${w.demandB.id}`]);
    }
  });
});

import { expect } from 'chai';
import fc from 'fast-check';
import request from 'supertest';
import type { Match } from '../../../models/match.schema';
import { daysBy, fits, maxAddableDays, maxAddableUnits, type Commitment, type LineWindow } from '../../../server/matching/capacity';
import { DAY_MS } from '../../../server/matching/eligibility';
import { bearer, createTestApp, register, type Account, type TestApp } from '../../fixtures/app';
import { overbook } from '../../fixtures/ledger';
import { daysFromNow, offerInput } from '../../fixtures/postings';
import { verifyCertifications } from '../../fixtures/trust';

/** The definition, checked by brute force: at every due date, what is due by then is no more than what is made. */
function fitsByDefinition(w: LineWindow, now: number, cs: Commitment[]): boolean {
  return cs.every((c) => cs.filter((x) => Math.max(x.due, now) <= Math.max(c.due, now)).reduce((n, x) => n + x.days, 0) <= daysBy(w, now, Math.max(c.due, now)) + 1e-9);
}

describe('production lines: capacity by due date', () => {
  const NOW = Date.UTC(2026, 11, 1);
  const arbWindow = fc.record({ from: fc.integer({ min: -10, max: 20 }), len: fc.integer({ min: 1, max: 60 }) }).map(({ from, len }) => ({ from: NOW + from * DAY_MS, to: NOW + (from + len) * DAY_MS }));
  const arbCommitments = fc.array(fc.record({ days: fc.integer({ min: 1, max: 40 }).map((d) => d / 2), due: fc.integer({ min: -5, max: 70 }).map((d) => NOW + d * DAY_MS) }), { maxLength: 8 });

  it('when commitments are random, then `fits` is exactly the definition: made by every due date covers what is due by it', () => {
    fc.assert(
      fc.property(arbWindow, arbCommitments, (w, cs) => {
        expect(fits(w, NOW, cs)).to.equal(fitsByDefinition(w, NOW, cs));
      }),
      { numRuns: 500 },
    );
  });

  it('when a line that fits is offered one more commitment, then what maxAddable allows fits and one unit more does not', () => {
    fc.assert(
      fc.property(arbWindow, arbCommitments, fc.integer({ min: 0, max: 70 }), fc.integer({ min: 1, max: 500 }), (w, cs, dueDay, rate) => {
        fc.pre(fits(w, NOW, cs));
        const due = NOW + dueDay * DAY_MS;
        const units = maxAddableUnits(w, NOW, cs, due, rate);
        expect(fits(w, NOW, [...cs, { days: units / rate, due }]), 'the allowed amount fits').to.equal(true);
        expect(fits(w, NOW, [...cs, { days: (units + 1) / rate, due }]), 'one unit more does not').to.equal(false);
        expect(maxAddableDays(w, NOW, cs, due)).to.be.at.least(0);
      }),
      { numRuns: 500 },
    );
  });

  it('when a window started in the past, then only the days from now count', () => {
    const w = { from: Date.UTC(2000, 0, 1), to: NOW + 10 * DAY_MS };
    expect(daysBy(w, NOW, NOW + 10 * DAY_MS)).to.equal(10);
  });
});

describe('production lines through the API', function () {
  this.timeout(60_000);
  let t: TestApp;
  let supplier: Account;
  beforeEach(async () => {
    t = await createTestApp();
    supplier = await register(t.app, 'supplier');
  });

  it('when an offer has a face-shield line and a food-container line, then the container line lends nothing: proposals and confirmations stop at what the face-shield line makes', async () => {
    const body = offerInput({
      products: [{ category: 'face-shield', unitsPerDay: 100 }, { category: 'pp-food-container', unitsPerDay: 100_000 }],
      capabilities: ['injection-moulding', 'die-cutting'], certifications: ['gb-4806'], availableTo: daysFromNow(30), minOrderUnits: 1,
    });
    const o = (await request(t.app).post('/api/offers').set(bearer(supplier)).send(body).expect(201)).body;
    const buyers = await Promise.all(Array.from({ length: 5 }, () => register(t.app, 'buyer')));
    // through the planner: five demands of 2,000 face shields, due in 40 days
    for (const b of buyers) {
      await request(t.app).post('/api/demands').set(bearer(b)).send({ category: 'face-shield', quantity: 2000, deadline: daysFromNow(40), deliveryLocation: { lat: 30.6, lng: 114.3 }, priority: 'normal' }).expect(201);
    }
    const proposed = (await request(t.app).get(`/api/offers/${o.id}/matches`).set(bearer(supplier)).expect(200)).body.items as Match[];
    expect(proposed.filter((m) => m.category === 'face-shield').reduce((n, m) => n + m.units, 0)).to.equal(3000);
    expect(proposed.every((m) => m.line === 0 && typeof m.dueAt === 'string')).to.equal(true);

    // and overbooked data from before: only what the line makes is confirmed, the rest is 409 with the reason
    const more = await Promise.all(Array.from({ length: 5 }, () => register(t.app, 'buyer')));
    const ids = await overbook(t.services, o.id, more, { units: 2000, deadline: daysFromNow(40) });
    const statuses: number[] = [];
    let reason = '';
    for (let i = 0; i < ids.length; i++) {
      const r = await request(t.app).post(`/api/matches/${ids[i]}/accept`).set(bearer(more[i]));
      statuses.push(r.status);
      if (r.status === 409) reason ||= r.body.error.message;
    }
    expect(statuses).to.deep.equal([200, 409, 409, 409, 409]);
    expect(reason).to.match(/^This line can make 3,000 by \d+ [A-Z][a-z]{2}; 2,000 are already promised$/);
  });

  it('when one goggles line of 100 a day is asked for 2,700 units by three buyers within 10 days, then it confirms only what it makes by then', async () => {
    const o = (await request(t.app).post('/api/offers').set(bearer(supplier)).send(offerInput({
      products: [{ category: 'medical-goggles', unitsPerDay: 100 }], capabilities: ['injection-moulding'], certifications: [], availableTo: daysFromNow(60), minOrderUnits: 1,
    })).expect(201)).body;
    const buyers = await Promise.all(Array.from({ length: 3 }, () => register(t.app, 'buyer')));
    const ids = await overbook(t.services, o.id, buyers, { units: 900, deadline: daysFromNow(10) });
    const replies = [];
    for (let i = 0; i < 3; i++) replies.push(await request(t.app).post(`/api/matches/${ids[i]}/accept`).set(bearer(buyers[i])));
    expect(replies.map((r) => r.status)).to.deep.equal([200, 409, 409]);
    expect(replies[1].body.error.message).to.match(/^This line can make 1,000 by \d+ [A-Z][a-z]{2}; 900 are already promised$/);
    expect(replies[1].body.error.details).to.include({ canMake: 1000, promised: 900 });

    // a later due date has room again: the line makes 6,000 by day 60
    const late = await register(t.app, 'buyer');
    const d = (await request(t.app).post('/api/demands').set(bearer(late)).send({ category: 'medical-goggles', quantity: 4000, deadline: daysFromNow(50), deliveryLocation: { lat: 30.6, lng: 114.3 }, priority: 'normal' }).expect(201)).body;
    const m = (await request(t.app).get(`/api/demands/${d.id}/matches`).set(bearer(late)).expect(200)).body.items as Match[];
    // 50 days make 5,000; 900 confirmed and 1,800 still proposed to the others (they may yet be declined) are promised
    expect(m.reduce((n, x) => n + x.units, 0)).to.be.at.most(5000 - 900);
    expect(m.reduce((n, x) => n + x.units, 0)).to.be.greaterThan(0);
  });

  it('when an offer starts in the past, then the elapsed days are no capacity', async () => {
    const o = (await request(t.app).post('/api/offers').set(bearer(supplier)).send({ ...offerInput({ products: [{ category: 'protective-gown', unitsPerDay: 100 }] }), availableFrom: '2000-01-01T00:00:00.000Z' }).expect(201)).body;
    expect(o.totalUnits).to.be.at.most(3000);
  });
});

describe('proposals that follow priority and time', function () {
  this.timeout(60_000);
  let now: number;
  let t: TestApp;
  let supplier: Account;
  const gownsDue20 = (priority: string) => ({ category: 'protective-gown', quantity: 2000, deadline: daysFromNow(20), deliveryLocation: { lat: 30.6, lng: 114.3 }, maxPricePerUnit: 20, priority });
  beforeEach(async () => {
    now = Date.now();
    t = await createTestApp({}, { now: () => now });
    supplier = await register(t.app, 'supplier', { certifications: ['iso-13485'] });
    // counts as verified (server/trust): not held to a share of critical demands
    await verifyCertifications(t.services, supplier, ['iso-13485']);
    // one line of 100 gowns a day: 2,000 by the demands' due date, enough for one of them
    await request(t.app).post('/api/offers').set(bearer(supplier)).send(offerInput({ products: [{ category: 'protective-gown', unitsPerDay: 100 }] })).expect(201);
  });
  const matchesOf = async (who: Account, demandId: string) => (await request(t.app).get(`/api/demands/${demandId}/matches`).set(bearer(who)).expect(200)).body.items as Match[];

  it('when a critical demand arrives after a normal one took the only line, then it takes the units of the unaccepted proposal, live, and the normal demand is told why', async () => {
    const nb = await register(t.app, 'buyer');
    const cb = await register(t.app, 'buyer');
    const normal = (await request(t.app).post('/api/demands').set(bearer(nb)).send(gownsDue20('normal')).expect(201)).body;
    expect((await matchesOf(nb, normal.id)).map((m) => [m.status, m.units])).to.deep.equal([['proposed', 2000]]);
    const critical = (await request(t.app).post('/api/demands').set(bearer(cb)).send(gownsDue20('critical')).expect(201)).body;
    expect(critical.proposedUnits).to.equal(2000);
    const bumped = await matchesOf(nb, normal.id);
    expect(bumped.map((m) => m.status)).to.deep.equal(['withdrawn']);
    expect(bumped[0].history.at(-1)!.note).to.match(/more urgent demand \(critical\)/);
  });

  it('when a proposal one side accepted is not answered within the hold, then it lapses at its time (injected clock) and its units are proposed again', async () => {
    const a = await register(t.app, 'buyer');
    const b = await register(t.app, 'buyer');
    const da = (await request(t.app).post('/api/demands').set(bearer(a)).send(gownsDue20('high')).expect(201)).body;
    const db = (await request(t.app).post('/api/demands').set(bearer(b)).send(gownsDue20('high')).expect(201)).body;
    const [m] = await matchesOf(a, da.id);
    expect(await matchesOf(b, db.id)).to.have.length(0);
    const held = (await request(t.app).post(`/api/matches/${m.id}/accept`).set(bearer(supplier)).expect(200)).body as Match;
    expect(Date.parse(held.expiresAt!)).to.equal(now + 30 * 60_000);

    now += 29 * 60_000;
    await t.services.matching.expireStale();
    expect((await matchesOf(a, da.id))[0].status).to.equal('accepted_by_supplier');

    now += 2 * 60_000;
    await t.services.matching.expireStale();
    const lapsed = (await matchesOf(a, da.id))[0];
    expect(lapsed).to.include({ status: 'expired', lapsedBy: 'buyer' });
    expect(lapsed.history.at(-1)!.note).to.match(/the buyer did not answer within 30 minutes/);
    expect((await matchesOf(b, db.id)).map((x) => [x.status, x.units])).to.deep.equal([['proposed', 2000]]);
    // the buyer let it lapse: the supplier's record is untouched
    expect(t.services.ledger.state.orgs.get(supplier.user.organization!.id)!.stats.lapsed).to.equal(0);
  });

  it('when nobody answers a proposal, then it lapses after the proposal time and counts against the supplier', async () => {
    const a = await register(t.app, 'buyer');
    const da = (await request(t.app).post('/api/demands').set(bearer(a)).send(gownsDue20('high')).expect(201)).body;
    now += 25 * 3_600_000;
    await t.services.matching.expireStale();
    const [m] = await matchesOf(a, da.id);
    expect(m).to.include({ status: 'expired', lapsedBy: 'both' });
    const stats = t.services.ledger.state.orgs.get(supplier.user.organization!.id)!.stats;
    expect(stats.lapsed).to.equal(1);
  });
});

describe("a line's days", function () {
  this.timeout(60_000);
  it('when a line has a confirmed match and a proposal, then its days show committed, proposed and free output earliest due first, adding up to what it makes', async () => {
    const t = await createTestApp();
    const supplier = await register(t.app, 'supplier', { certifications: ['iso-13485'] });
    const o = (await request(t.app).post('/api/offers').set(bearer(supplier)).send(offerInput({ products: [{ category: 'protective-gown', unitsPerDay: 100 }], availableTo: daysFromNow(30) })).expect(201)).body;
    const a = await register(t.app, 'buyer');
    const b = await register(t.app, 'buyer');
    const da = (await request(t.app).post('/api/demands').set(bearer(a)).send({ category: 'protective-gown', quantity: 500, deadline: daysFromNow(10), deliveryLocation: { lat: 30.6, lng: 114.3 }, priority: 'high' }).expect(201)).body;
    await request(t.app).post('/api/demands').set(bearer(b)).send({ category: 'protective-gown', quantity: 700, deadline: daysFromNow(20), deliveryLocation: { lat: 30.6, lng: 114.3 }, priority: 'high' }).expect(201);
    const [m] = (await request(t.app).get(`/api/demands/${da.id}/matches`).set(bearer(a)).expect(200)).body.items as Match[];
    await request(t.app).post(`/api/matches/${m.id}/accept`).set(bearer(a)).expect(200);
    await request(t.app).post(`/api/matches/${m.id}/accept`).set(bearer(supplier)).expect(200);
    const res = await request(t.app).get(`/api/offers/${o.id}/lines`).set(bearer(supplier)).expect(200);
    const [line] = res.body.lines as { days: { date: string; committed: number; proposed: number; free: number }[] }[];
    expect(line.days.length).to.be.within(29, 30);
    const sum = (k: 'committed' | 'proposed' | 'free') => line.days.reduce((n, d) => n + d[k], 0);
    expect(sum('committed')).to.equal(500);
    expect(sum('proposed')).to.equal(700);
    expect(sum('committed') + sum('proposed') + sum('free')).to.equal(line.days.length * 100);
    // earliest due first: the confirmed 500 fill the first five days
    expect(line.days.slice(0, 5).every((d) => d.committed === 100)).to.equal(true);
    expect((await request(t.app).get(`/api/offers/${o.id}/lines`).set(bearer(await register(t.app, 'supplier')))).status).to.equal(404);
  });
});

describe('acceptance is bound to the terms seen', function () {
  this.timeout(60_000);
  it('when the supplier accepted and the buyer then changes the deadline, then the acceptance is withdrawn with the reason and the buyer cannot confirm terms the supplier never saw', async () => {
    const t = await createTestApp();
    const supplier = await register(t.app, 'supplier', { certifications: ['iso-13485'] });
    const buyer = await register(t.app, 'buyer');
    await request(t.app).post('/api/offers').set(bearer(supplier)).send(offerInput()).expect(201);
    const d = (await request(t.app).post('/api/demands').set(bearer(buyer)).send({ category: 'protective-gown', quantity: 2000, deadline: daysFromNow(20), deliveryLocation: { lat: 30.6, lng: 114.3 }, priority: 'high' }).expect(201)).body;
    const [m] = (await request(t.app).get(`/api/demands/${d.id}/matches`).set(bearer(buyer)).expect(200)).body.items as Match[];
    await request(t.app).post(`/api/matches/${m.id}/accept`).set(bearer(supplier)).expect(200);
    await request(t.app).patch(`/api/demands/${d.id}`).set(bearer(buyer)).send({ deadline: daysFromNow(12) }).expect(200);
    const after = (await request(t.app).get(`/api/matches/${m.id}`).set(bearer(supplier)).expect(200)).body as Match;
    expect(after.status).to.equal('withdrawn');
    expect(after.history.at(-1)!.note).to.equal('the demand changed; please review the new terms');
    const confirm = await request(t.app).post(`/api/matches/${m.id}/accept`).set(bearer(buyer));
    expect(confirm.status).to.equal(409);
    // the changed demand is proposed again, on its new terms, for both sides to accept afresh
    const fresh = ((await request(t.app).get(`/api/demands/${d.id}/matches`).set(bearer(buyer)).expect(200)).body.items as Match[]).filter((x) => x.status === 'proposed');
    expect(fresh).to.have.length(1);
    expect(Date.parse(fresh[0].dueAt!)).to.be.at.most(Date.parse(daysFromNow(12)));
  });
});

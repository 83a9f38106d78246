import { expect } from 'chai';
import mongoose from 'mongoose';
import request from 'supertest';
import { MatchModel } from '../../../models/match.model';
import { OfferModel } from '../../../models/offer.model';
import { bearer, coordinator, createTestApp, register, type Account, type TestApp } from '../../fixtures/app';
import { overbook } from '../../fixtures/ledger';
import { daysFromNow, demandInput, offerInput } from '../../fixtures/postings';
import { verifyCertifications } from '../../fixtures/trust';


describe('matching through the API', () => {
  let t: TestApp;
  let supplier: Account;
  let buyer: Account;
  beforeEach(async () => {
    t = await createTestApp();
    supplier = await register(t.app, 'supplier', { certifications: ['iso-13485'] });
    // counts as verified (server/trust): these tests are about matching, not trust
    await verifyCertifications(t.services, supplier, ['iso-13485', 'yy-0469', 'nmpa-registration']);
    buyer = await register(t.app, 'buyer');
  });

  async function post(who: Account, kind: 'offers' | 'demands', body: Record<string, unknown>) {
    const res = await request(t.app).post(`/api/${kind}`).set(bearer(who)).send(body);
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    return res.body;
  }
  async function matchesOf(who: Account, kind: 'offers' | 'demands', id: string) {
    const res = await request(t.app).get(`/api/${kind}/${id}/matches`).set(bearer(who));
    expect(res.status).to.equal(200);
    return res.body as { items: { id: string; units: number; status: string; offerId: string; demandId: string; score: number; explanation: { mode: string; summary: string[] } }[]; nearMisses: { reasons: { code: string }[] }[] };
  }

  it('when a demand arrives after an offer, then it gets an explained proposal at once', async () => {
    const o = await post(supplier, 'offers', offerInput());
    const d = await post(buyer, 'demands', demandInput());
    const { items } = await matchesOf(buyer, 'demands', d.id);
    expect(items).to.have.length(1);
    expect(items[0]).to.include({ offerId: o.id, units: 5000, status: 'proposed' });
    expect(items[0].score).to.be.within(0, 1);
    expect(items[0].explanation.mode).to.equal('direct');
    expect(d.proposedUnits).to.equal(5000);
    const fromSupplierSide = await matchesOf(supplier, 'offers', o.id);
    expect(fromSupplierSide.items.map((m) => m.id)).to.deep.equal([items[0].id]);
  });

  it('when one supplier cannot cover a demand, then it is split over several; and one offer is split over several demands', async () => {
    const s2 = await register(t.app, 'supplier', { region: 'Henan', location: { lat: 34.75, lng: 113.62 }, certifications: ['iso-13485'] });
    await post(supplier, 'offers', offerInput({ products: [{ category: 'protective-gown', unitsPerDay: 100 }] })); // 3,000 units
    await post(s2, 'offers', offerInput({ products: [{ category: 'protective-gown', unitsPerDay: 100 }], location: { lat: 34.75, lng: 113.62 } }));
    const d = await post(buyer, 'demands', demandInput({ quantity: 5000, deadline: daysFromNow(40) }));
    const { items } = await matchesOf(buyer, 'demands', d.id);
    expect(items).to.have.length(2);
    expect(items.reduce((s, m) => s + m.units, 0)).to.equal(5000);

    const big = await post(supplier, 'offers', offerInput({ products: [{ category: 'surgical-mask', unitsPerDay: 10_000 }], capabilities: ['ultrasonic-welding', 'spunbond-nonwoven'], certifications: ['yy-0469', 'nmpa-registration', 'iso-13485'], pricePerUnit: 0.8 }));
    const b2 = await register(t.app, 'buyer');
    const d1 = await post(buyer, 'demands', demandInput({ category: 'surgical-mask', quantity: 40_000, maxPricePerUnit: 50 }));
    const d2 = await post(b2, 'demands', demandInput({ category: 'surgical-mask', quantity: 40_000, maxPricePerUnit: 50 }));
    const split = await matchesOf(supplier, 'offers', big.id);
    expect(split.items.map((m) => m.demandId)).to.have.members([d1.id, d2.id]);
  });

  it('when demands exceed what a line makes by their due date, then the proposals never exceed it', async () => {
    const o = await post(supplier, 'offers', offerInput({ products: [{ category: 'protective-gown', unitsPerDay: 100 }] })); // 3,000 in 30 days
    // due in 20 days, next door: the line makes 2,000 by then, whatever its window holds after
    for (let i = 0; i < 4; i++) await post(buyer, 'demands', demandInput({ quantity: 1500 }));
    const { items } = await matchesOf(supplier, 'offers', o.id);
    expect(items.reduce((s, m) => s + m.units, 0)).to.equal(2000);
    const offer = await request(t.app).get(`/api/offers/${o.id}`).set(bearer(supplier));
    expect(offer.body.proposedUnits).to.equal(2000);
  });

  it('when a garment factory with sewing and heat-sealing posts uniforms, then it is proposed for gowns with its conversion days', async () => {
    await post(supplier, 'offers', offerInput({ products: [{ category: 'work-uniform', unitsPerDay: 3000 }], conversionLeadDays: 3, pricePerUnit: 12 }));
    const d = await post(buyer, 'demands', demandInput({ quantity: 8000 }));
    const { items } = await matchesOf(buyer, 'demands', d.id);
    expect(items).to.have.length(1);
    expect(items[0].explanation.mode).to.equal('conversion');
    expect(items[0].explanation.summary[0]).to.match(/^Converts to .* in 3 days/);
  });

  it('when no supplier fits, then the demand shows near-miss reasons', async () => {
    await post(supplier, 'offers', offerInput({ pricePerUnit: 30 }));
    const d = await post(buyer, 'demands', demandInput({ maxPricePerUnit: 10, requiredCertifications: ['ce-marking'] }));
    const { items, nearMisses } = await matchesOf(buyer, 'demands', d.id);
    expect(items).to.have.length(0);
    expect(nearMisses).to.have.length(1);
    expect(nearMisses[0].reasons.map((r) => r.code)).to.have.members(['price', 'certification']);
  });

  it('when a demand is withdrawn, then its open proposals are withdrawn and the offer is free again', async () => {
    const o = await post(supplier, 'offers', offerInput());
    const d = await post(buyer, 'demands', demandInput());
    await request(t.app).delete(`/api/demands/${d.id}`).set(bearer(buyer)).expect(200);
    const { items } = await matchesOf(buyer, 'demands', d.id);
    expect(items.map((m) => m.status)).to.deep.equal(['withdrawn']);
    const offer = await request(t.app).get(`/api/offers/${o.id}`).set(bearer(supplier));
    expect(offer.body.proposedUnits).to.equal(0);
  });

  it('when both parties accept, then the match is confirmed and its units reserved on both postings, with the history', async () => {
    const o = await post(supplier, 'offers', offerInput());
    const d = await post(buyer, 'demands', demandInput());
    const [m] = (await matchesOf(buyer, 'demands', d.id)).items;
    const first = await request(t.app).post(`/api/matches/${m.id}/accept`).set(bearer(buyer)).send({ note: 'yes please' });
    expect(first.status).to.equal(200);
    expect(first.body.status).to.equal('accepted_by_buyer');
    const again = await request(t.app).post(`/api/matches/${m.id}/accept`).set(bearer(buyer));
    expect(again.body.status).to.equal('accepted_by_buyer');
    const second = await request(t.app).post(`/api/matches/${m.id}/accept`).set(bearer(supplier));
    expect(second.status).to.equal(200);
    expect(second.body.status).to.equal('confirmed');
    expect(second.body.history.map((h: { status: string }) => h.status)).to.deep.equal(['proposed', 'accepted_by_buyer', 'confirmed']);
    expect(second.body.history[1]).to.include({ actorId: buyer.user.id, actorRole: 'buyer', note: 'yes please' });
    const offer = (await request(t.app).get(`/api/offers/${o.id}`).set(bearer(supplier))).body;
    expect(offer).to.include({ reservedUnits: 5000, remainingUnits: 25_000 });
    const demand = (await request(t.app).get(`/api/demands/${d.id}`).set(bearer(buyer))).body;
    expect(demand).to.include({ confirmedUnits: 5000, remainingUnits: 0, status: 'fulfilled' });

    // later states, by the right party only
    expect((await request(t.app).patch(`/api/matches/${m.id}`).set(bearer(buyer)).send({ status: 'in_production' })).status).to.equal(403);
    expect((await request(t.app).patch(`/api/matches/${m.id}`).set(bearer(supplier)).send({ status: 'delivered' })).status).to.equal(403);
    expect((await request(t.app).patch(`/api/matches/${m.id}`).set(bearer(buyer)).send({ status: 'delivered' })).status).to.equal(409);
    await request(t.app).patch(`/api/matches/${m.id}`).set(bearer(supplier)).send({ status: 'in_production' }).expect(200);
    await request(t.app).patch(`/api/matches/${m.id}`).set(bearer(supplier)).send({ status: 'shipped' }).expect(200);
    const delivered = await request(t.app).patch(`/api/matches/${m.id}`).set(bearer(buyer)).send({ status: 'delivered' });
    expect(delivered.status).to.equal(200);
    expect(delivered.body.history.map((h: { status: string }) => h.status)).to.deep.equal(['proposed', 'accepted_by_buyer', 'confirmed', 'in_production', 'shipped', 'delivered']);
    expect((await request(t.app).get(`/api/offers/${o.id}`).set(bearer(supplier))).body.deliveredUnits).to.equal(5000);
    expect((await request(t.app).patch(`/api/matches/${m.id}`).set(bearer(buyer)).send({ status: 'cancelled' })).status).to.equal(409);
  });

  it('when a confirmed match is cancelled, then its units are released', async () => {
    const o = await post(supplier, 'offers', offerInput());
    const d = await post(buyer, 'demands', demandInput());
    const [m] = (await matchesOf(buyer, 'demands', d.id)).items;
    await request(t.app).post(`/api/matches/${m.id}/accept`).set(bearer(supplier)).expect(200);
    await request(t.app).post(`/api/matches/${m.id}/accept`).set(bearer(buyer)).expect(200);
    const c = await request(t.app).patch(`/api/matches/${m.id}`).set(bearer(buyer)).send({ status: 'cancelled', note: 'budget cut' });
    expect(c.status).to.equal(200);
    const offer = (await request(t.app).get(`/api/offers/${o.id}`).set(bearer(supplier))).body;
    expect(offer.reservedUnits).to.equal(0);
    const demand = (await request(t.app).get(`/api/demands/${d.id}`).set(bearer(buyer))).body;
    expect(demand).to.include({ confirmedUnits: 0, status: 'open' });
  });

  it('when a buyer declines, then the demand is matched again with another supplier, never the declined one', async () => {
    const s2 = await register(t.app, 'supplier', { certifications: ['iso-13485'] });
    const o1 = await post(supplier, 'offers', offerInput());
    const o2 = await post(s2, 'offers', offerInput({ pricePerUnit: 15 }));
    const d = await post(buyer, 'demands', demandInput());
    const [first] = (await matchesOf(buyer, 'demands', d.id)).items;
    expect(first.offerId).to.equal(o1.id);
    const declined = await request(t.app).post(`/api/matches/${first.id}/decline`).set(bearer(buyer));
    expect(declined.body.status).to.equal('declined');
    const after = (await matchesOf(buyer, 'demands', d.id)).items;
    const open = after.filter((m) => m.status === 'proposed');
    expect(open.map((m) => m.offerId)).to.deep.equal([o2.id]);
    expect((await request(t.app).post(`/api/matches/${first.id}/accept`).set(bearer(supplier))).status).to.equal(409);
  });

  it('when someone outside the match acts on it, then 404 for other organizations and 403 for coordinators', async () => {
    await post(supplier, 'offers', offerInput());
    const d = await post(buyer, 'demands', demandInput());
    const [m] = (await matchesOf(buyer, 'demands', d.id)).items;
    const stranger = await register(t.app, 'buyer');
    expect((await request(t.app).post(`/api/matches/${m.id}/accept`).set(bearer(stranger))).status).to.equal(404);
    expect((await request(t.app).get(`/api/matches/${m.id}`).set(bearer(stranger))).status).to.equal(404);
    const coord = await coordinator(t.app, t.services);
    expect((await request(t.app).post(`/api/matches/${m.id}/accept`).set(bearer(coord))).status).to.equal(403);
    expect((await request(t.app).get(`/api/matches/${m.id}`).set(bearer(coord))).status).to.equal(200);
  });

  it('when 50 confirmations race for one offer, then reserved units never exceed its capacity and every reply is 200 or 409', async function () {
    this.timeout(120_000);
    const o = await post(supplier, 'offers', offerInput({ products: [{ category: 'protective-gown', unitsPerDay: 100 }], availableTo: daysFromNow(10), minOrderUnits: 1 })); // 1,000 units
    const buyers = await Promise.all(Array.from({ length: 50 }, () => register(t.app, 'buyer')));
    // Arrange through the ledger: 50 demands of 100 units with a proposal the supplier already accepted
    const matchIds = await overbook(t.services, o.id, buyers, { units: 100, deadline: daysFromNow(20) });
    const results = await Promise.all(buyers.map((b, i) => request(t.app).post(`/api/matches/${matchIds[i]}/accept`).set(bearer(b))));
    const statuses = results.map((r) => r.status);
    expect(statuses.every((s) => s === 200 || s === 409), JSON.stringify(statuses)).to.equal(true);
    const ok = statuses.filter((s) => s === 200).length;
    expect(ok).to.equal(10);
    await t.services.projector.idle();
    const offer = await OfferModel.findById(o.id).lean();
    expect(offer!.reservedUnits).to.equal(1000);
    expect(offer!.totalUnits - offer!.reservedUnits).to.be.at.least(0);
    const confirmed = await MatchModel.countDocuments({ offer: new mongoose.Types.ObjectId(o.id), status: 'confirmed' });
    expect(confirmed).to.equal(ok);
  });

  it('when a coordinator runs the global optimization, then proposals follow the optimum and confirmed matches are untouched', async () => {
    const coord = await coordinator(t.app, t.services);
    const o = await post(supplier, 'offers', offerInput({ products: [{ category: 'protective-gown', unitsPerDay: 100 }] })); // 3,000
    const normal = await post(buyer, 'demands', demandInput({ quantity: 3000, priority: 'normal', deadline: daysFromNow(40) }));
    expect((await matchesOf(buyer, 'demands', normal.id)).items.filter((m) => m.status === 'proposed')).to.have.length(1);
    const b2 = await register(t.app, 'buyer');
    const critical = await post(b2, 'demands', demandInput({ quantity: 3000, priority: 'critical', deadline: daysFromNow(40) }));
    // live re-planning already gave the offer to the critical demand; the optimum agrees and changes nothing
    const crit = (await matchesOf(b2, 'demands', critical.id)).items.filter((m) => m.status === 'proposed');
    expect(crit).to.have.length(1);
    expect(crit[0]).to.include({ offerId: o.id, units: 3000 });
    const res = await request(t.app).post('/api/allocations/optimize').set(bearer(coord));
    expect(res.status).to.equal(200);
    expect(res.body).to.include({ unitsAllocated: 3000, weightedUnits: 9000, previousWeightedUnits: 9000, proposalsCreated: 0, proposalsWithdrawn: 0 });
    // the replaced proposal stays readable by its parties, with its ids intact
    const replaced = (await matchesOf(buyer, 'demands', normal.id)).items;
    expect(replaced.map((m) => m.status)).to.deep.equal(['withdrawn']);
    const one = await request(t.app).get(`/api/matches/${replaced[0].id}`).set(bearer(buyer));
    expect(one.status).to.equal(200);
    expect(one.body).to.include({ demandId: normal.id, offerId: o.id });
    expect((await request(t.app).post('/api/allocations/optimize').set(bearer(buyer))).status).to.equal(403);
  });

  it('when coverage is read, then it agrees with the matches per category and region', async () => {
    const coord = await coordinator(t.app, t.services);
    await post(supplier, 'offers', offerInput({ products: [{ category: 'protective-gown', unitsPerDay: 100 }] }));
    const d = await post(buyer, 'demands', demandInput({ quantity: 5000, deadline: daysFromNow(40) }));
    const [m] = (await matchesOf(buyer, 'demands', d.id)).items;
    await request(t.app).post(`/api/matches/${m.id}/accept`).set(bearer(supplier)).expect(200);
    await request(t.app).post(`/api/matches/${m.id}/accept`).set(bearer(buyer)).expect(200);
    await post(buyer, 'demands', demandInput({ category: 'surgical-mask', quantity: 700 }));
    const cov = await request(t.app).get('/api/metrics/coverage').set(bearer(coord));
    expect(cov.status).to.equal(200);
    const gown = cov.body.rows.find((r: { category: string }) => r.category === 'protective-gown');
    expect(gown).to.include({ region: 'Hubei', demandedUnits: 5000, confirmedUnits: 3000, proposedUnits: 0, shortageUnits: 2000 });
    const masks = cov.body.rows.find((r: { category: string }) => r.category === 'surgical-mask');
    expect(masks).to.include({ demandedUnits: 700, shortageUnits: 700 });
    expect(cov.body.totals.demandedUnits).to.equal(5700);
    const filtered = await request(t.app).get('/api/metrics/coverage?category=surgical-mask').set(bearer(coord));
    expect(filtered.body.rows).to.have.length(1);
    expect((await request(t.app).get('/api/metrics/coverage').set(bearer(buyer))).status).to.equal(403);
  });
});

describe('expiry', () => {
  it('when a demand deadline passes, then its proposals and the demand expire and leave the open set', async () => {
    let now = Date.now();
    const t = await createTestApp({}, { now: () => now });
    const supplier = await register(t.app, 'supplier', { certifications: ['iso-13485'] });
    const buyer = await register(t.app, 'buyer');
    await request(t.app).post('/api/offers').set(bearer(supplier)).send(offerInput()).expect(201);
    const d = (await request(t.app).post('/api/demands').set(bearer(buyer)).send(demandInput({ deadline: daysFromNow(3) })).expect(201)).body;
    const state = t.services.ledger.state;
    expect(state.pendingForDemand(d.id)).to.have.length(1);
    // the injected clock moves past the deadline
    now += 4 * 86_400_000;
    const expired = await t.services.matching.expireStale();
    expect(expired).to.equal(1);
    const after = (await request(t.app).get(`/api/demands/${d.id}`).set(bearer(buyer))).body;
    expect(after.status).to.equal('expired');
    const m = (await request(t.app).get(`/api/demands/${d.id}/matches`).set(bearer(buyer))).body.items;
    expect(m.map((x: { status: string }) => x.status)).to.deep.equal(['expired']);
    expect(state.demandView(d.id, now)).to.equal(null);
    expect(state.pendingForDemand(d.id)).to.have.length(0);
  });
});

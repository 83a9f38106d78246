import { expect } from 'chai';
import request from 'supertest';
import { bearer, coordinator, createTestApp, register, type Account, type TestApp } from '../../fixtures/app';
import { daysFromNow, demandInput, offerInput } from '../../fixtures/postings';
import { verifyCertifications } from '../../fixtures/trust';

interface R { code: string; params: Record<string, unknown>; message: string; demands?: number; units?: number | null; unitsByCategory?: { category: string; units: number }[] }
interface NM { offerId: string; offerIds: string[]; supplierOrgName: string; proposedUnits: number; reasons: R[] }

describe('reasons on both sides', () => {
  let t: TestApp;
  let supplier: Account;
  let buyer: Account;
  let coord: Account;
  beforeEach(async () => {
    t = await createTestApp();
    supplier = await register(t.app, 'supplier', { name: 'Gown maker', certifications: ['iso-13485'] });
    // its certifications count as verified (server/trust): these tests are about reasons, not trust
    await verifyCertifications(t.services, supplier, ['iso-13485', 'gb-19082']);
    buyer = await register(t.app, 'buyer');
    coord = await coordinator(t.app, t.services);
  });

  async function post(who: Account, kind: 'offers' | 'demands', body: Record<string, unknown>) {
    const res = await request(t.app).post(`/api/${kind}`).set(bearer(who)).send(body);
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    return res.body;
  }

  it('when a demand is partly covered, then the buyer learns why the rest is short, once per supplier, without competitors\' names or prices', async () => {
    // 30,000 gowns in the window; a critical demand of another buyer takes 25,000 of them first
    await post(supplier, 'offers', offerInput());
    const other = await register(t.app, 'buyer');
    // (it needs GB 19082 too, so the second supplier's cheaper lines cannot serve it instead)
    await post(other, 'demands', demandInput({ quantity: 25_000, priority: 'critical', deadline: daysFromNow(40), requiredCertifications: ['gb-19082'] }));
    // a second supplier has two gown offers, both without the GB 19082 the buyer requires
    const s2 = await register(t.app, 'supplier', { name: 'Uncertified sewing shop', certifications: ['iso-13485'] });
    const noCert = { certifications: ['iso-13485'], pricePerUnit: 9 };
    await post(s2, 'offers', offerInput(noCert));
    await post(s2, 'offers', offerInput({ ...noCert, products: [{ category: 'protective-gown', unitsPerDay: 500 }] }));
    const d = await post(buyer, 'demands', demandInput({ quantity: 10_000, priority: 'high', requiredCertifications: ['gb-19082'] }));
    expect(d.proposedUnits).to.equal(5000);

    const mine = (await request(t.app).get(`/api/demands/${d.id}/matches`).set(bearer(buyer)).expect(200)).body;
    expect(mine.shortfall).to.deep.equal({ quantity: 10_000, confirmedUnits: 0, proposedUnits: 5000, shortUnits: 5000 });
    const misses = mine.nearMisses as NM[];
    expect(misses).to.have.length(2);
    // the supplier that covers part: its line is held for a more urgent demand
    expect(misses[0]).to.include({ supplierOrgName: 'Supplier A', offerId: '', proposedUnits: 5000 });
    expect(misses[0].offerIds).to.deep.equal([]);
    expect(misses[0].reasons.map((r) => r.code)).to.deep.equal(['capacity']);
    expect(misses[0].reasons[0].params).to.include({ freeUnits: 0, moreUrgentUnits: 25_000, proposedHereUnits: 5000, confirmedHereUnits: 0 });
    // the other supplier, once for its two offers, with the missing certification as an id
    expect(misses[1].supplierOrgName).to.equal('Supplier B');
    const cert = misses[1].reasons.find((r) => r.code === 'certification')!;
    expect(cert.params.certifications).to.deep.equal(['gb-19082']);
    expect(JSON.stringify(mine)).not.to.contain('Uncertified sewing shop');
    expect(JSON.stringify(misses)).not.to.contain('Gown maker');

    // a coordinator sees who, and both offers of the second supplier
    const staff = (await request(t.app).get(`/api/demands/${d.id}/matches`).set(bearer(coord)).expect(200)).body.nearMisses as NM[];
    const b = staff.find((m) => m.supplierOrgName === 'Uncertified sewing shop')!;
    expect(b.offerIds).to.have.length(2);

    // once both accept, those 5,000 are confirmed for the demand, no longer proposed
    const matchId = mine.items[0].id as string;
    await request(t.app).post(`/api/matches/${matchId}/accept`).set(bearer(buyer)).send({}).expect(200);
    await request(t.app).post(`/api/matches/${matchId}/accept`).set(bearer(supplier)).send({}).expect(200);
    const after = (await request(t.app).get(`/api/demands/${d.id}/matches`).set(bearer(buyer)).expect(200)).body;
    expect(after.shortfall).to.deep.equal({ quantity: 10_000, confirmedUnits: 5000, proposedUnits: 0, shortUnits: 5000 });
    const a = (after.nearMisses as NM[])[0];
    expect(a.reasons[0].code).to.equal('capacity');
    expect(a.reasons[0].params).to.include({ moreUrgentUnits: 25_000, proposedHereUnits: 0, confirmedHereUnits: 5000 });
    expect(a.reasons[0].message).to.contain('5,000 confirmed for this one').and.not.to.contain('proposed for this one');
  });

  it('when an N95 offer lacks the NMPA registration, then its supplier is told why it matches nothing', async () => {
    const n95 = await post(supplier, 'offers', offerInput({
      products: [{ category: 'n95-medical-respirator', unitsPerDay: 10_000 }],
      capabilities: ['ultrasonic-welding', 'cleanroom-iso8', 'eo-sterilization'],
      certifications: ['gb-19083'],
      pricePerUnit: 5,
    }));
    const d = await post(buyer, 'demands', demandInput({ category: 'n95-medical-respirator', quantity: 50_000, maxPricePerUnit: 8 }));
    expect(d.proposedUnits).to.equal(0);
    const res = await request(t.app).get(`/api/offers/${n95.id}/reasons`).set(bearer(supplier)).expect(200);
    expect(res.body).to.include({ offerId: n95.id, status: 'open', proposedUnits: 0, candidateDemands: 1 });
    const cert = (res.body.reasons as R[]).find((r) => r.code === 'certification')!;
    expect(cert.params).to.include({ requiredByCatalog: true });
    expect(cert.params.certifications).to.deep.equal(['nmpa-registration']);
    expect(cert).to.include({ demands: 1, units: 50_000 });
    // the catalog says so before anything is posted
    const catalog = (await request(t.app).get('/api/catalog').set(bearer(supplier))).body;
    expect(catalog.categories.find((c: { id: string }) => c.id === 'n95-medical-respirator').certifications).to.include('nmpa-registration');
    // nobody else's offer, and not for buyers
    const s2 = await register(t.app, 'supplier');
    expect((await request(t.app).get(`/api/offers/${n95.id}/reasons`).set(bearer(s2))).status).to.equal(404);
    expect((await request(t.app).get(`/api/offers/${n95.id}/reasons`).set(bearer(buyer))).status).to.equal(403);
    expect((await request(t.app).get(`/api/offers/${n95.id}/reasons`).set(bearer(coord))).status).to.equal(200);
  });

  it('when an offer asks more than every buyer will pay, or nothing is demanded, then it says so without showing buyers\' prices', async () => {
    const dear = await post(supplier, 'offers', offerInput({ pricePerUnit: 30 }));
    await post(buyer, 'demands', demandInput({ maxPricePerUnit: 20 }));
    await post(await register(t.app, 'buyer', { name: 'Secret Hospital' }), 'demands', demandInput({ maxPricePerUnit: 25, quantity: 800 }));
    const res = await request(t.app).get(`/api/offers/${dear.id}/reasons`).set(bearer(supplier)).expect(200);
    const price = (res.body.reasons as R[]).find((r) => r.code === 'price')!;
    expect(price.params).to.deep.equal({ pricePerUnit: 30, demands: 2, demandsWithCeiling: 2, aboveEveryCeiling: true, categories: ['protective-gown'] });
    expect(price).to.include({ demands: 2, units: 5800 });
    expect(price.unitsByCategory).to.deep.equal([{ category: 'protective-gown', units: 5800 }]);
    const text = JSON.stringify(res.body);
    expect(text).not.to.match(/\b(20|25)(\.00)?\b/);
    expect(text).not.to.contain('Secret Hospital');

    const idle = await post(supplier, 'offers', offerInput({ products: [{ category: 'brake-pad', unitsPerDay: 100 }], capabilities: ['friction-material-pressing', 'metal-stamping'], certifications: [] }));
    const none = (await request(t.app).get(`/api/offers/${idle.id}/reasons`).set(bearer(supplier)).expect(200)).body.reasons as R[];
    const nd = none.find((r) => r.code === 'no_demand')!;
    expect(nd.params.categories).to.include('brake-pad');
  });

  it('when the demands a reason applies to are of several products, then their units are given per product and never added up, and the price is compared only with ceilings for its own products', async () => {
    // a gown offer at ¥30 that could also convert to work uniforms
    const gowns = await post(supplier, 'offers', offerInput({ pricePerUnit: 30 }));
    await post(buyer, 'demands', demandInput({ quantity: 5000, maxPricePerUnit: 20 }));
    // a uniform buyer's ceiling of ¥5 says nothing about the price of gowns
    await post(buyer, 'demands', demandInput({ category: 'work-uniform', quantity: 3000, maxPricePerUnit: 5 }));
    // too far to arrive by tomorrow: one demand of each product
    const urumqi = { lat: 43.83, lng: 87.62 };
    await post(buyer, 'demands', demandInput({ quantity: 1000, maxPricePerUnit: 20, deadline: daysFromNow(1), deliveryLocation: urumqi }));
    await post(buyer, 'demands', demandInput({ category: 'work-uniform', quantity: 2000, maxPricePerUnit: 20, deadline: daysFromNow(1), deliveryLocation: urumqi }));
    const res = await request(t.app).get(`/api/offers/${gowns.id}/reasons`).set(bearer(supplier)).expect(200);
    const reasons = res.body.reasons as R[];
    const time = reasons.find((r) => r.code === 'time')!;
    expect(time.params).to.include({ afterDeadline: 2 });
    expect(time).to.include({ demands: 2, units: null });
    expect(time.unitsByCategory).to.deep.equal([{ category: 'work-uniform', units: 2000 }, { category: 'protective-gown', units: 1000 }]);
    expect(time.message).not.to.contain('3,000');
    const price = reasons.find((r) => r.code === 'price')!;
    expect(price.params).to.deep.equal({ pricePerUnit: 30, demands: 2, demandsWithCeiling: 2, aboveEveryCeiling: true, categories: ['protective-gown'] });
    expect(price).to.include({ demands: 2, units: 6000 });
    expect(price.unitsByCategory).to.deep.equal([{ category: 'protective-gown', units: 6000 }]);
  });
});

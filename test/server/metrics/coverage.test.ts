import { expect } from 'chai';
import request from 'supertest';
import { bearer, coordinator, createTestApp, register, type Account, type TestApp } from '../../fixtures/app';
import { daysFromNow, demandInput, offerInput } from '../../fixtures/postings';

const LHASA = { lat: 29.65, lng: 91.13 };
const JINAN = { lat: 36.65, lng: 117.12 };

describe('honest coverage numbers', () => {
  let t: TestApp;
  let supplier: Account;
  let buyer: Account;
  let coord: Account;
  beforeEach(async () => {
    t = await createTestApp();
    supplier = await register(t.app, 'supplier', { certifications: ['iso-13485'] });
    // a buyer at home in Shandong whose goods go to Lhasa
    buyer = await register(t.app, 'buyer', { region: 'Shandong', location: JINAN });
    coord = await coordinator(t.app, t.services);
  });

  async function post(who: Account, kind: 'offers' | 'demands', body: Record<string, unknown>) {
    const res = await request(t.app).post(`/api/${kind}`).set(bearer(who)).send(body);
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    return res.body;
  }
  const act = (who: Account, method: 'post' | 'patch', path: string, body?: object) => request(t.app)[method](path).set(bearer(who)).send(body ?? {});

  it('when goods go elsewhere than the buyer\'s home, then the shortage is filed under the delivery place and the demand says where', async () => {
    const d = await post(buyer, 'demands', demandInput({ category: 'antigen-test-kit', quantity: 1000, deliveryLocation: LHASA, maxPricePerUnit: 30 }));
    expect(d).to.include({ region: 'Shandong', deliveryRegion: 'Tibet', shortUnits: 1000 });
    const cov = await request(t.app).get('/api/metrics/coverage').set(bearer(coord)).expect(200);
    const rows = cov.body.rows.filter((r: { category: string }) => r.category === 'antigen-test-kit');
    expect(rows).to.have.length(1);
    expect(rows[0]).to.include({ region: 'Tibet', demandedUnits: 1000, shortageUnits: 1000 });
    expect(rows[0].unit).to.deep.equal({ en: 'test', zh: '人份' });
    const tibet = await request(t.app).get('/api/metrics/coverage?region=Tibet').set(bearer(coord)).expect(200);
    expect(tibet.body.rows).to.have.length(1);
    expect((await request(t.app).get('/api/metrics/coverage?region=Shandong').set(bearer(coord))).body.rows).to.have.length(0);

    // a match to Lhasa says so, and coordinators filtering by region get its events under Tibet
    await post(supplier, 'offers', offerInput());
    const gowns = await post(buyer, 'demands', demandInput({ quantity: 2000, deliveryLocation: LHASA, deadline: daysFromNow(25) }));
    const [m] = (await request(t.app).get(`/api/demands/${gowns.id}/matches`).set(bearer(buyer))).body.items;
    expect(m).to.include({ region: 'Shandong', deliveryRegion: 'Tibet' });
    const { events } = await t.services.ledger.since(0, 10_000);
    const scoped = events.filter((e) => (e.type === 'demand:updated' && (e.data.demand as { id: string }).id === gowns.id) || (e.type === 'match:proposed' && (e.data.match as { id: string }).id === m.id));
    expect(scoped.length).to.be.at.least(2);
    for (const e of scoped) expect(e.region, e.type).to.equal('Tibet');
  });

  it('when products in different units are demanded, then totals come per product and across products only as shares and CNY', async () => {
    await post(supplier, 'offers', offerInput({ products: [{ category: 'protective-gown', unitsPerDay: 100 }] }));
    const gowns = await post(buyer, 'demands', demandInput({ quantity: 5000, deadline: daysFromNow(40) }));
    await post(buyer, 'demands', demandInput({ category: 'hand-sanitizer', quantity: 700, priority: 'critical', maxPricePerUnit: 30 }));
    const [m] = (await request(t.app).get(`/api/demands/${gowns.id}/matches`).set(bearer(buyer))).body.items;
    expect(m.units).to.equal(3000);
    await act(supplier, 'post', `/api/matches/${m.id}/accept`).expect(200);
    await act(buyer, 'post', `/api/matches/${m.id}/accept`).expect(200);
    const cov = (await request(t.app).get('/api/metrics/coverage').set(bearer(coord)).expect(200)).body;
    const gown = cov.byCategory.find((c: { category: string }) => c.category === 'protective-gown');
    expect(gown).to.include({ demandedUnits: 5000, confirmedUnits: 3000, proposedUnits: 0, shortageUnits: 2000, referencePricePerUnit: 12, confirmedShare: 0.6, coveredShare: 0.6, deliveredShare: 0 });
    expect(gown.unit).to.deep.equal({ en: 'piece', zh: '件' });
    const sanitizer = cov.byCategory.find((c: { category: string }) => c.category === 'hand-sanitizer');
    expect(sanitizer).to.include({ demandedUnits: 700, shortageUnits: 700, criticalShortageUnits: 700, confirmedShare: 0 });
    expect(sanitizer.unit.en).to.equal('bottle (500 mL)');
    // across products: value at the catalog's reference prices (gowns 12, sanitizer 15 CNY)
    const demanded = 5000 * 12 + 700 * 15;
    expect(cov.summary).to.include({ basis: 'value_cny', demandedValueCny: demanded, confirmedValueCny: 36_000, shortageValueCny: 2000 * 12 + 700 * 15, categoriesShort: 2 });
    expect(cov.summary.confirmedShare).to.be.closeTo(36_000 / demanded, 1e-4);
    expect(cov.summary.criticalShortage).to.deep.equal([{ category: 'hand-sanitizer', unit: { en: 'bottle (500 mL)', zh: '瓶（500毫升）' }, units: 700 }]);
    // narrowed to one product, the figures follow
    const only = (await request(t.app).get('/api/metrics/coverage?category=hand-sanitizer').set(bearer(coord))).body;
    expect(only.byCategory).to.have.length(1);
    expect(only.summary.demandedValueCny).to.equal(700 * 15);
  });

  it('when a match is delivered, then it still counts as confirmed on the board, the demand, the offer and the stages', async () => {
    const o = await post(supplier, 'offers', offerInput());
    const d = await post(buyer, 'demands', demandInput({ quantity: 2000 }));
    const [m] = (await request(t.app).get(`/api/demands/${d.id}/matches`).set(bearer(buyer))).body.items;
    await act(supplier, 'post', `/api/matches/${m.id}/accept`).expect(200);
    await act(buyer, 'post', `/api/matches/${m.id}/accept`).expect(200);
    let demand = (await request(t.app).get(`/api/demands/${d.id}`).set(bearer(buyer))).body;
    expect(demand).to.include({ confirmedUnits: 2000, shortUnits: 0 });
    expect(demand.stages).to.deep.equal({ awaitingProduction: 2000, inProduction: 0, shipped: 0, delivered: 0 });
    await act(supplier, 'patch', `/api/matches/${m.id}`, { status: 'in_production' }).expect(200);
    expect((await request(t.app).get(`/api/offers/${o.id}`).set(bearer(supplier))).body.stages).to.deep.equal({ awaitingProduction: 0, inProduction: 2000, shipped: 0, delivered: 0 });
    await act(supplier, 'patch', `/api/matches/${m.id}`, { status: 'shipped' }).expect(200);
    await act(buyer, 'patch', `/api/matches/${m.id}`, { status: 'delivered' }).expect(200);
    demand = (await request(t.app).get(`/api/demands/${d.id}`).set(bearer(buyer))).body;
    expect(demand).to.include({ confirmedUnits: 2000, deliveredUnits: 2000, shortUnits: 0 });
    expect(demand.stages).to.deep.equal({ awaitingProduction: 0, inProduction: 0, shipped: 0, delivered: 2000 });
    const listed = (await request(t.app).get('/api/demands').set(bearer(buyer))).body.items[0];
    expect(listed).to.include({ confirmedUnits: 2000, deliveredUnits: 2000 });
    const gown = (await request(t.app).get('/api/metrics/coverage?category=protective-gown').set(bearer(coord))).body.byCategory[0];
    expect(gown).to.include({ demandedUnits: 2000, confirmedUnits: 2000, deliveredUnits: 2000, shortageUnits: 0, confirmedShare: 1, deliveredShare: 1 });
  });
});

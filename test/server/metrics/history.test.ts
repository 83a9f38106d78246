import { expect } from 'chai';
import request from 'supertest';
import { createApp } from '../../../server/http/app';
import { createLogger } from '../../../server/logger';
import { bearer, coordinator, createServicesForTest, createTestApp, register } from '../../fixtures/app';
import { daysFromNow, demandInput, offerInput } from '../../fixtures/postings';

const DAY = 86_400_000;
type Point = { date: string; demanded: number; proposed: number; confirmed: number; delivered: number; short: number };

describe('coverage history from the Event log', () => {
  it('when matches go through their lifecycle over several days, then each day shows what was demanded, proposed, confirmed, delivered and short', async () => {
    // the next UTC midnight, plus an hour: day D
    let now = Math.ceil(Date.now() / DAY) * DAY + 3_600_000;
    const t = await createTestApp({}, { now: () => now });
    const supplier = await register(t.app, 'supplier', { certifications: ['iso-13485'] });
    const buyer = await register(t.app, 'buyer');
    const coord = await coordinator(t.app, t.services);
    const history = async (app = t.app, q = 'days=5') => (await request(app).get(`/api/metrics/coverage/history?${q}`).set(bearer(coord)).expect(200)).body;
    const gownsOf = (h: { categories: { category: string; series: Point[] }[] }) => h.categories.find((c) => c.category === 'protective-gown')!.series;

    await request(t.app).post('/api/offers').set(bearer(supplier)).send(offerInput({ availableTo: daysFromNow(40) })).expect(201);
    const d = (await request(t.app).post('/api/demands').set(bearer(buyer)).send(demandInput({ quantity: 5000, deadline: daysFromNow(30) })).expect(201)).body;
    // read once on day D: the log is folded, later events keep it current
    expect(gownsOf(await history()).at(-1)).to.include({ demanded: 5000, proposed: 5000, confirmed: 0, short: 0 });

    now += 23.5 * 3_600_000; // D+1, 00:30
    const [m] = (await request(t.app).get(`/api/demands/${d.id}/matches`).set(bearer(buyer))).body.items;
    await request(t.app).post(`/api/matches/${m.id}/accept`).set(bearer(supplier)).expect(200);
    await request(t.app).post(`/api/matches/${m.id}/accept`).set(bearer(buyer)).expect(200);
    await request(t.app).post('/api/demands').set(bearer(buyer)).send(demandInput({ category: 'hand-sanitizer', quantity: 700, deadline: daysFromNow(30) })).expect(201);
    now += DAY; // D+2
    await request(t.app).patch(`/api/matches/${m.id}`).set(bearer(supplier)).send({ status: 'in_production' }).expect(200);
    await request(t.app).patch(`/api/matches/${m.id}`).set(bearer(supplier)).send({ status: 'shipped' }).expect(200);
    now += DAY; // D+3
    await request(t.app).patch(`/api/matches/${m.id}`).set(bearer(buyer)).send({ status: 'delivered' }).expect(200);

    const h = await history();
    const day = (k: number) => new Date(now - k * DAY).toISOString().slice(0, 10);
    expect(h.days).to.deep.equal([day(4), day(3), day(2), day(1), day(0)]);
    // the log's first demand is on day D: the day before it has no data (its zeros are not "nothing demanded")
    expect(h.since).to.equal(day(3));
    const gowns = gownsOf(h);
    const pick = (p: Point) => [p.demanded, p.proposed, p.confirmed, p.delivered, p.short];
    expect(gowns.map(pick)).to.deep.equal([
      [0, 0, 0, 0, 0], // before anything
      [5000, 5000, 0, 0, 0], // D: proposed
      [5000, 0, 5000, 0, 0], // D+1: confirmed
      [5000, 0, 5000, 0, 0], // D+2: in production, shipped (still confirmed)
      [5000, 0, 5000, 5000, 0], // D+3: delivered, still counted as confirmed
    ]);
    const sanitizer = h.categories.find((c: { category: string }) => c.category === 'hand-sanitizer');
    expect(sanitizer.unit.en).to.equal('bottle (500 mL)');
    expect(sanitizer.series.map((p: Point) => p.short)).to.deep.equal([0, 0, 700, 700, 700]);
    // across products only in CNY (gowns 12, sanitizer 15)
    expect(h.valueCny.map((p: Point) => p.short)).to.deep.equal([0, 0, 700 * 15, 700 * 15, 700 * 15]);
    expect(h.valueCny.at(-1)).to.include({ demanded: 5000 * 12 + 700 * 15, delivered: 5000 * 12 });
    // a filter narrows it
    const only = await history(t.app, 'days=2&category=hand-sanitizer');
    expect(only.categories.map((c: { category: string }) => c.category)).to.deep.equal(['hand-sanitizer']);

    // another process folds the same history from the log alone
    const services = await createServicesForTest({}, { now: () => now });
    const other = createApp({ config: t.config, log: createLogger('silent'), auth: services.auth, postings: services.postings, matching: services.matching, coverage: services.coverage, dbUp: () => true });
    expect(gownsOf(await history(other)).map(pick)).to.deep.equal(gowns.map(pick));

    // coordinators only; bad input is a 400
    expect((await request(t.app).get('/api/metrics/coverage/history').set(bearer(buyer))).status).to.equal(403);
    expect((await request(t.app).get('/api/metrics/coverage/history?days=0').set(bearer(coord))).status).to.equal(400);
    expect((await request(t.app).get('/api/metrics/coverage/history?days=abc').set(bearer(coord))).status).to.equal(400);
  });
});

import { expect } from 'chai';
import mongoose from 'mongoose';
import request from 'supertest';
import { OfferModel } from '../../models/offer.model';
import { pingDatabase } from '../../server/db/database';
import { loadDemo } from '../../server/demo/demo.service';
import type { Running, Services } from '../../server/index';
import { Ledger } from '../../server/ledger/ledger';
import { MAX_UPDATE_STATEMENTS } from '../../server/ledger/projector';
import { emitOffer } from '../../server/matching/matching.service';
import { newOffer } from '../../server/postings/postings.service';
import { bearer, coordinator, createServicesForTest, createTestApp, register, startTestServer, type Account } from '../fixtures/app';
import { overbook } from '../fixtures/ledger';
import { daysFromNow, offerInput } from '../fixtures/postings';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function converged(a: Services, b: Services) {
  for (let waited = 0; waited < 10_000; waited += 20) {
    await Promise.all([a.ledger.catchUp(), b.ledger.catchUp()]);
    if (a.ledger.lastSeq() === b.ledger.lastSeq()) return;
    await sleep(20);
  }
  throw new Error(`the instances did not converge: ${a.ledger.lastSeq()} vs ${b.ledger.lastSeq()}`);
}

const snapshotOf = (s: Services) => ({
  offers: [...s.ledger.state.offers.values()].sort((x, y) => x.id.localeCompare(y.id)),
  demands: [...s.ledger.state.demands.values()].sort((x, y) => x.id.localeCompare(y.id)),
  matches: [...s.ledger.state.matches.values()].sort((x, y) => x.id.localeCompare(y.id)),
});

describe('the ledger core', function () {
  this.timeout(120_000);

  describe('two instances on one database', () => {
    let a: Running;
    let b: Running;
    afterEach(async () => {
      await b?.stop();
      await a?.stop();
    });

    it('when 50 confirmations are split across both instances, then no more than the offer has is reserved, and both end with the same state', async () => {
      a = await startTestServer();
      b = await startTestServer();
      const supplier = await register(a.url, 'supplier', { certifications: ['iso-13485'] });
      const o = (await request(a.url).post('/api/offers').set(bearer(supplier)).send(offerInput({ products: [{ category: 'protective-gown', unitsPerDay: 100 }], availableTo: daysFromNow(10) })).expect(201)).body;
      const buyers = await Promise.all(Array.from({ length: 50 }, () => register(a.url, 'buyer')));
      const matchIds = await overbook(a.services, o.id, buyers, { units: 100, deadline: daysFromNow(20) });
      await converged(a.services, b.services);

      const results = await Promise.all(buyers.map((buyer, i) => request(i % 2 ? b.url : a.url).post(`/api/matches/${matchIds[i]}/accept`).set(bearer(buyer))));
      const statuses = results.map((r) => r.status);
      expect(statuses.every((s) => s === 200 || s === 409), JSON.stringify(statuses)).to.equal(true);
      expect(statuses.filter((s) => s === 200)).to.have.length(10);
      expect(results.filter((r, i) => i % 2 === 1 && r.status === 200).length + results.filter((r, i) => i % 2 === 0 && r.status === 200).length).to.equal(10);

      await converged(a.services, b.services);
      for (const s of [a, b]) expect(s.services.ledger.state.offers.get(o.id)!.reservedUnits).to.equal(1000);
      expect(snapshotOf(b.services)).to.deep.equal(snapshotOf(a.services));
      // and the projection agrees
      await Promise.all([a.services.projector.idle(), b.services.projector.idle()]);
      expect((await OfferModel.findById(o.id).lean())!.reservedUnits).to.equal(1000);
    });
  });

  it('when a batch changes 1,000 projected documents, then the projector never sends more than 10 statements per update and the database still answers', async () => {
    const t = await createTestApp();
    const supplier = await register(t.app, 'supplier', { certifications: ['iso-13485'] });
    const { ledger, projector } = t.services;
    const org = await ledger.ensureOrg(supplier.user.organization!.id);
    const ids = await ledger.submit((tx) =>
      Array.from({ length: 1000 }, (_, i) => {
        const offer = newOffer(tx, org, offerInput({ minOrderUnits: 1 + i }) as never);
        emitOffer(tx, offer);
        return offer.id;
      }),
    );
    await projector.idle();
    // one command changes all of them: the projector turns it into updates
    await ledger.submit((tx) => {
      for (const id of ids) {
        const o = tx.state.offers.get(id)!;
        emitOffer(tx, { ...o, pricePerUnit: 99, version: o.version + 1 });
      }
    });
    await projector.idle();
    expect(projector.maxStatementsSent).to.be.at.most(MAX_UPDATE_STATEMENTS);
    expect(await pingDatabase(2000), 'the database answers').to.equal(true);
    expect(await OfferModel.countDocuments({ pricePerUnit: 99 })).to.equal(1000);
    const res = await request(t.app).get('/api/offers?limit=1').set(bearer(supplier));
    expect(res.body.total).to.equal(1000);
  });

  it('when a batch runs past its time budget, then the commands left wait for the next batch, in order, and every one is answered', async () => {
    const t = await createTestApp();
    const supplier = await register(t.app, 'supplier', { certifications: ['iso-13485'] });
    // a second committer on the same log, with a budget of 5 ms a batch
    const ledger = new Ledger({ batchBudgetMs: 5 });
    await ledger.catchUp();
    const org = await ledger.ensureOrg(supplier.user.organization!.id);
    const batches: number[][] = [];
    ledger.onCommitted((events) => batches.push(events.map((e) => e.seq)));
    const busy = (ms: number) => {
      // work, not waiting: the command keeps the committer busy for `ms`
      for (const t0 = performance.now(); performance.now() - t0 < ms; );
    };
    const post = (i: number, ms: number) =>
      ledger.submit((tx) => {
        busy(ms);
        const offer = newOffer(tx, org, offerInput({ minOrderUnits: 1 + i }) as never);
        emitOffer(tx, offer);
        return offer.id;
      });
    // six commands queued in one tick, each longer than the budget: six batches of one
    const slow = await Promise.all([0, 1, 2, 3, 4, 5].map((i) => post(i, 8)));
    expect(batches.map((b) => b.length)).to.deep.equal([1, 1, 1, 1, 1, 1]);
    // in the order submitted, with consecutive sequence numbers
    const seqs = batches.flat();
    expect(seqs).to.deep.equal(seqs.map((_, k) => seqs[0] + k));
    expect(slow.map((id) => ledger.state.offers.get(id)!.minOrderUnits)).to.deep.equal([1, 2, 3, 4, 5, 6]);
    // quick commands still share one batch
    batches.length = 0;
    await Promise.all([6, 7, 8, 9].map((i) => post(i, 0)));
    expect(batches.map((b) => b.length)).to.deep.equal([4]);
    // the other instance reads them all
    await t.services.ledger.catchUp();
    expect(t.services.ledger.lastSeq()).to.equal(ledger.lastSeq());
    await ledger.close();
  });

  it('when the global allocation runs on the demo data, then it answers 200 and the service stays healthy', async () => {
    const s = await startTestServer();
    try {
      await loadDemo(s.services, { seed: 2020 });
      const coord = await coordinator(s.url, s.services);
      const res = await request(s.url).post('/api/allocations/optimize').set(bearer(coord));
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      expect(res.body.demands).to.be.greaterThan(100);
      expect(res.body.weightedUnits).to.be.at.least(res.body.previousWeightedUnits * 0.999);
      await s.services.projector.idle();
      expect((await request(s.url).get('/api/health')).status).to.equal(200);
      const login = await request(s.url).post('/api/auth/login').send({ email: 'buyer@demo.fuchan.cn', password: 'fuchan-demo' });
      expect(login.status).to.equal(200);
      expect((await request(s.url).get('/api/demands?limit=5').set(bearer(login.body))).status).to.equal(200);
      expect(s.services.projector.maxStatementsSent).to.be.at.most(MAX_UPDATE_STATEMENTS);
    } finally {
      await s.stop();
    }
  });

  it('when the service restarts, then the state is rebuilt from the projections and the log, and a retried Idempotency-Key still finds its result', async () => {
    const t = await createTestApp();
    const buyer = await register(t.app, 'buyer');
    const body = { category: 'surgical-mask', quantity: 500, deadline: daysFromNow(10), deliveryLocation: { lat: 30.6, lng: 114.3 } };
    const first = await request(t.app).post('/api/demands').set(bearer(buyer)).set('Idempotency-Key', 'restart-1').send(body).expect(201);
    // a second process over the same database, with the projections not yet written: everything comes from the log
    const again = await createServicesForTest();
    expect(again.ledger.state.demands.get(first.body.id)?.quantity).to.equal(500);
    await t.services.projector.idle();
    const third = await createTestApp();
    const retry = await request(third.app).post('/api/demands').set(bearer(buyer)).set('Idempotency-Key', 'restart-1').send(body);
    expect(retry.status).to.equal(201);
    expect(retry.body.id).to.equal(first.body.id);
    expect(retry.headers['idempotent-replay']).to.equal('true');
    expect(third.services.ledger.state.demands.size).to.equal(1);
    // a resync from the start after the restart reads the log itself (memory holds only what came since)
    const fromLog = await third.services.eventLog.since(0, 1000);
    expect(fromLog.events.map((e) => e.seq)).to.deep.equal(Array.from({ length: third.services.ledger.lastSeq() }, (_, i) => i + 1));
    expect(fromLog.scannedTo).to.equal(third.services.ledger.lastSeq());
    expect(mongoose.connection.readyState).to.equal(1);
  });
});

import { planForDemand } from '../../server/matching/planner';
import { expect } from 'chai';
import request from 'supertest';
import { loadDemo } from '../../server/demo/demo.service';
import { createTestApp, type TestApp } from '../fixtures/app';

describe('the demo scenario', function () {
  this.timeout(120_000);
  let t: TestApp;
  let summary: Awaited<ReturnType<typeof loadDemo>>;
  let coordinatorToken: string;
  beforeEach(async () => {
    t = await createTestApp();
    summary = await loadDemo(t.services, { seed: 2020 });
    const login = await request(t.app).post('/api/auth/login').send({ email: 'coordinator@demo.fuchan.cn', password: 'fuchan-demo' });
    coordinatorToken = login.body.token;
  });

  it('when the demo is loaded, then every role has a login and the coordinator lists at least 300 demands and 300 offers', async () => {
    expect(summary.logins.map((l) => l.role)).to.have.members(['supplier', 'buyer', 'coordinator', 'admin']);
    for (const l of summary.logins) {
      const res = await request(t.app).post('/api/auth/login').send({ email: l.email, password: l.password });
      expect(res.status, l.email).to.equal(200);
    }
    const demands = await request(t.app).get('/api/demands?limit=1').set('Authorization', `Bearer ${coordinatorToken}`);
    expect(demands.body.total).to.be.at.least(300);
    const offers = await request(t.app).get('/api/offers?limit=1').set('Authorization', `Bearer ${coordinatorToken}`);
    expect(offers.body.total).to.be.at.least(300);
    expect(summary.organizations).to.be.at.least(300);
  });

  it('when the demo is loaded, then every demand with a free eligible supplier has proposals, conversions included, and the others show near misses', async () => {
    const { matching, ledger } = t.services;
    const state = ledger.state;
    let withProposals = 0;
    let unmatched = 0;
    let explained = 0;
    let conversions = 0;
    for (const d of state.openDemands(Date.now())) {
      const pending = state.pendingForDemand(d.id);
      if (pending.length) {
        withProposals++;
        continue;
      }
      // no proposal: then no eligible offer with free units may exist for it
      let planned = 0;
      planForDemand(state, d.id, Date.now(), () => planned++);
      expect(planned, `demand ${d.id} (${d.category}) had an eligible free supplier but no proposal`).to.equal(0);
      unmatched++;
      if (matching.nearMisses(d.id).length) explained++;
    }
    expect(withProposals).to.be.greaterThan(100);
    expect(unmatched).to.be.greaterThan(0);
    expect(explained / unmatched, 'share of unmatched demands with near-miss reasons').to.be.greaterThan(0.5);
    const res = await request(t.app).get('/api/demands?category=protective-gown&limit=100').set('Authorization', `Bearer ${coordinatorToken}`);
    for (const d of res.body.items) {
      const m = await request(t.app).get(`/api/demands/${d.id}/matches`).set('Authorization', `Bearer ${coordinatorToken}`);
      conversions += m.body.items.filter((x: { explanation: { mode: string } }) => x.explanation.mode === 'conversion').length;
    }
    expect(conversions, 'garment factories proposed for gowns by conversion').to.be.greaterThan(0);
    const shortages = await request(t.app).get('/api/metrics/coverage').set('Authorization', `Bearer ${coordinatorToken}`);
    const short = shortages.body.rows.filter((r: { shortageUnits: number }) => r.shortageUnits > 0);
    expect(short.length).to.be.greaterThan(0);
  });
});

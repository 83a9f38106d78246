import { planForDemand } from '../../server/matching/planner';
import { expect } from 'chai';
import request from 'supertest';
import { AuthService } from '../../server/auth/auth.service';
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

  it('when the demo is loaded into an empty database, then the signing secret generated at start-up is stored again, so tokens survive a restart and every instance accepts them', async () => {
    // loading the demo empties every collection, the settings with the secret this instance already generated
    const login = await request(t.app).post('/api/auth/login').send({ email: 'buyer@demo.fuchan.cn', password: 'fuchan-demo' });
    expect(login.status).to.equal(200);
    // a restart, or a second instance: a new AuthService reads the secret from the database
    const restarted = new AuthService({ tokenTtlSeconds: 3600, loginMaxFailures: 5, bcryptRounds: 4 });
    await restarted.init();
    expect(restarted.verify(login.body.token)).to.include({ role: 'buyer' });
    expect(restarted.verify(coordinatorToken)).to.include({ role: 'coordinator' });
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

  it('when the demo is loaded, then names are bilingual and the demo supplier, the demo buyer and the board have matches at every stage and proposals to answer', async () => {
    const login = async (email: string) => (await request(t.app).post('/api/auth/login').send({ email, password: 'fuchan-demo' })).body as { token: string; user: { organization: { id: string; name: string; nameZh?: string } } };
    const cjk = /[\u4e00-\u9fff]/;
    const statusesOf = async (token: string, kind: 'offers' | 'demands') => {
      const postings = (await request(t.app).get(`/api/${kind}?limit=500`).set('Authorization', `Bearer ${token}`)).body.items as { id: string; organizationNameZh: string }[];
      expect(postings.length).to.be.greaterThan(0);
      for (const p of postings) expect(p.organizationNameZh).to.match(cjk);
      const out: string[] = [];
      for (const p of postings) {
        const list = (await request(t.app).get(`/api/${kind}/${p.id}/matches`).set('Authorization', `Bearer ${token}`)).body.items as { status: string; supplierOrgNameZh?: string; buyerOrgNameZh?: string }[];
        for (const m of list) {
          out.push(m.status);
          expect(m.supplierOrgNameZh).to.match(cjk);
          expect(m.buyerOrgNameZh).to.match(cjk);
        }
      }
      return out;
    };
    const supplier = await login('supplier@demo.fuchan.cn');
    expect(supplier.user.organization.nameZh).to.match(cjk);
    const s = await statusesOf(supplier.token, 'offers');
    expect(s).to.include.members(['delivered', 'shipped', 'in_production', 'confirmed', 'proposed']);
    const buyer = await login('buyer@demo.fuchan.cn');
    const b = await statusesOf(buyer.token, 'demands');
    expect(b).to.include.members(['delivered', 'confirmed', 'proposed']);
    expect(summary.lifecycle.delivered).to.be.at.least(3);
    const coverage = (await request(t.app).get('/api/metrics/coverage').set('Authorization', `Bearer ${coordinatorToken}`)).body;
    expect(coverage.summary.confirmedValueCny).to.be.greaterThan(0);
    expect(coverage.summary.deliveredValueCny).to.be.greaterThan(0);
    const delivered = coverage.byCategory.filter((c: { deliveredUnits: number }) => c.deliveredUnits > 0);
    expect(delivered.length).to.be.greaterThan(0);
    // the buyer's delivered demand counts as confirmed on its card too
    const demands = (await request(t.app).get('/api/demands?limit=500').set('Authorization', `Bearer ${buyer.token}`)).body.items as { confirmedUnits: number; deliveredUnits: number; stages: { delivered: number } }[];
    const got = demands.find((d) => d.deliveredUnits > 0)!;
    expect(got.confirmedUnits).to.be.at.least(got.deliveredUnits);
    expect(got.stages.delivered).to.equal(got.deliveredUnits);
  });
});

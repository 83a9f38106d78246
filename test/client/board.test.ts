import { expect } from 'chai';
import type { BrowserContext, Page } from 'playwright-core';
import type { AuthResponse } from '../../models/auth.schema';
import type { Demand } from '../../models/demand.schema';
import type { Match } from '../../models/match.schema';
import type { Running } from '../../server/index';
import { startTestServer, uniqueEmail } from '../fixtures/app';
import { demandInput, offerInput } from '../fixtures/postings';
import { apiCall, screenshot, signIn, useBrowser } from './browser';

const DEMO_PASSWORD = 'fuchan-demo';
const PASSWORD = 'correct horse battery';
const desktop = { width: 1440, height: 900 };
const phone = { width: 390, height: 844 };

/** The root hook empties the database before every test, so each test starts its own demo server. */
describe('browser client: the board, the first page, mobile and late live events', function () {
  this.timeout(120_000);
  const browser = useBrowser();
  const contexts: BrowserContext[] = [];
  let s: Running;

  beforeEach(async function () {
    this.timeout(180_000);
    // a test whose title says "on an empty database" gets no demo
    const empty = /empty database/.test(this.currentTest?.title ?? '');
    s = await startTestServer(empty ? {} : { FUCHAN_DEMO: 'true' });
  });
  afterEach(async function () {
    this.timeout(60_000);
    if (this.currentTest?.state === 'failed') {
      let i = 0;
      for (const c of contexts) for (const p of c.pages()) await screenshot(p, `board-failure-${++i}.png`).catch(() => undefined);
    }
    for (const c of contexts.splice(0)) await c.close().catch(() => undefined);
    await s?.stop();
  });

  /** A fresh profile; every console error and failed request of the page is collected in `errors`. */
  async function newPage(viewport = desktop, locale = 'en-US'): Promise<{ page: Page; errors: string[] }> {
    const ctx = await browser().newContext({ viewport, locale, timezoneId: 'Asia/Shanghai' });
    contexts.push(ctx);
    const page = await ctx.newPage();
    page.setDefaultTimeout(20_000);
    page.on('dialog', (d) => void d.accept());
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
      if (process.env.FUCHAN_E2E_CONSOLE) console.log(`      [page] ${m.text()}`);
    });
    page.on('pageerror', (e) => errors.push(e.message));
    return { page, errors };
  }

  async function register(role: 'supplier' | 'buyer', name: string) {
    const email = uniqueEmail(role);
    const auth = await apiCall<AuthResponse>(s.url, 'POST', '/auth/register', '', {
      email,
      password: PASSWORD,
      name,
      role,
      organization: { name, region: 'Hubei', location: { lat: 30.59, lng: 114.31 }, certifications: ['iso-13485', 'gb-19082'] },
    });
    return { email, token: auth.token };
  }

  it('on an empty database, when a live event arrives late (after a higher seq), then the client asks for the gap and shows it at once, and the late copy is not applied twice', async () => {
    const email = uniqueEmail('coordinator');
    await s.services.auth.createUser({ email, password: PASSWORD, name: 'E2E coordinator', role: 'coordinator' });
    const { page: board } = await newPage();
    await signIn(board, s.url, email, PASSWORD);
    await board.getByTestId('feed-card').waitFor();
    // proposals reach this page late, as through a slow Redis path from another instance
    await board.evaluate(() => window.fuchan!.holdLive('match:proposed'));

    const sup = await register('supplier', 'Late Event Gowns');
    const buy = await register('buyer', 'Late Event Hospital');
    await apiCall(s.url, 'POST', '/offers', sup.token, offerInput());
    const demand = await apiCall<Demand>(s.url, 'POST', '/demands', buy.token, demandInput());
    let items: Match[] = [];
    for (let i = 0; i < 50 && !items.length; i++) {
      ({ items } = await apiCall<{ items: Match[] }>(s.url, 'GET', `/demands/${demand.id}/matches`, buy.token));
      if (!items.length) await board.waitForTimeout(200);
    }
    expect(items, JSON.stringify(await apiCall(s.url, 'GET', `/demands/${demand.id}/matches`, buy.token))).to.have.length.greaterThan(0);
    const matchId = items[0].id;

    // the events after the held proposal (postings, coverage) arrive; the gap below them is fetched
    const item = board.locator(`[data-testid=feed-item][data-match-id="${matchId}"]`);
    await item.first().waitFor({ timeout: 30_000 });
    expect(await board.getByTestId('conn-status').getAttribute('data-state')).to.equal('connected');
    const settled = await board.evaluate(() => window.fuchan!.settled());

    // the late copy arrives: nothing shown twice, nothing lost
    const late = await board.evaluate(() => window.fuchan!.releaseLive());
    expect(late.length, 'the proposal was held back').to.be.greaterThan(0);
    expect(Math.min(...late)).to.be.at.most(settled);
    await board.waitForTimeout(300);
    expect(await item.count()).to.equal(1);
  });
});

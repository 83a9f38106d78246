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

  it('when the first page is opened anonymously and then signed in, then the console shows no error (no 401 for the session check)', async () => {
    const { page, errors } = await newPage();
    const statuses: string[] = [];
    page.on('response', (r) => {
      if (r.status() >= 400) statuses.push(`${r.status()} ${r.url()}`);
    });
    await page.goto(s.url);
    await page.getByTestId('login-form').waitFor();
    await page.waitForLoadState('networkidle');
    expect(errors, 'console errors on the anonymous first page').to.deep.equal([]);
    expect(statuses, 'failed requests on the anonymous first page').to.deep.equal([]);
    await page.getByTestId('to-register').click();
    await page.getByTestId('register-form').waitFor();
    await signIn(page, s.url, 'buyer@demo.fuchan.cn', DEMO_PASSWORD);
    await page.getByTestId('buyer-workspace').waitFor();
    await page.waitForLoadState('networkidle');
    expect(errors, 'console errors after signing in').to.deep.equal([]);
  });

  it('when the board is shown at 390 px, then nothing runs off the edge: the details table is one card per product, province tiles are readable, the form submit stays in sight', async () => {
    const { page } = await newPage(phone);
    await signIn(page, s.url, 'coordinator@demo.fuchan.cn', DEMO_PASSWORD);
    await page.getByTestId('province-tile').first().waitFor();
    await page.getByTestId('coverage-row').first().waitFor({ state: 'attached' });
    await page.locator('details.table-toggle').evaluate((d) => ((d as HTMLDetailsElement).open = true));
    await page.waitForTimeout(400);
    await screenshot(page, 'board-390.png');

    const layout = await page.evaluate(`(() => {
      const w = window.innerWidth;
      const over = [];
      for (const el of document.querySelectorAll('#main *')) {
        const r = el.getBoundingClientRect();
        if (r.width > 0 && (r.right > w + 0.5 || r.left < -0.5)) over.push(el.tagName + '.' + el.className + ' ' + Math.round(r.left) + '..' + Math.round(r.right));
      }
      const names = [...document.querySelectorAll('[data-testid=coverage-row] th')].map((th) => th.getBoundingClientRect().width);
      const tiles = [...document.querySelectorAll('[data-testid=province-tile]')].map((t) => {
        const r = t.getBoundingClientRect();
        const n = t.querySelector('.tile-name');
        return { w: r.width, h: r.height, cut: n.scrollWidth > n.clientWidth + 1 };
      });
      return { w, scroll: document.documentElement.scrollWidth, over: over.slice(0, 10), names, tiles };
    })()`) as { w: number; scroll: number; over: string[]; names: number[]; tiles: { w: number; h: number; cut: boolean }[] };
    expect(layout.scroll).to.be.at.most(layout.w);
    expect(layout.over, 'elements beyond the right or left edge').to.deep.equal([]);
    expect(Math.min(...layout.names), 'the product column of the details table').to.be.at.least(200);
    expect(layout.tiles.length).to.be.greaterThan(30);
    expect(Math.min(...layout.tiles.map((t) => t.w)), 'province tile width').to.be.at.least(80);
    expect(Math.min(...layout.tiles.map((t) => t.h)), 'province tile height').to.be.at.least(44);
    expect(layout.tiles.filter((t) => t.cut), 'province names cut off').to.deep.equal([]);

    // a long form inside its card: the submit button is in sight without scrolling the form's boxes
    const { page: sup } = await newPage({ width: 1440, height: 800 });
    await signIn(sup, s.url, 'supplier@demo.fuchan.cn', DEMO_PASSWORD);
    await sup.getByTestId('offer-form-toggle').click();
    await sup.getByTestId('offer-submit').waitFor();
    const box = await sup.evaluate(`(() => {
      const b = document.querySelector('[data-testid=offer-submit]').getBoundingClientRect();
      const nested = [...document.querySelectorAll('[data-testid=offer-form] *')].filter((el) => {
        const o = getComputedStyle(el).overflowY;
        return (o === 'auto' || o === 'scroll') && el.scrollHeight > el.clientHeight;
      }).length;
      return { top: b.top, bottom: b.bottom, h: window.innerHeight, nested };
    })()`) as { top: number; bottom: number; h: number; nested: number };
    expect(box.nested, 'scroll boxes inside the form').to.equal(0);
    expect(box.bottom).to.be.at.most(box.h);
    expect(box.top).to.be.at.least(0);
    await screenshot(sup, 'supplier-form-1440x800.png', false);
  });
});

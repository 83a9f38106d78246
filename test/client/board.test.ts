import fs from 'node:fs';
import { expect } from 'chai';
import type { BrowserContext, Page } from 'playwright-core';
import type { AuthResponse } from '../../models/auth.schema';
import type { Demand } from '../../models/demand.schema';
import type { Match } from '../../models/match.schema';
import type { Coverage } from '../../models/metrics.schema';
import type { Running } from '../../server/index';
import { startTestServer, uniqueEmail } from '../fixtures/app';
import { demandInput, offerInput } from '../fixtures/postings';
import { apiCall, artifactsDir, screenshot, signIn, submitEvidence, TINY_PDF, untranslated, useBrowser } from './browser';

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

  /** Elements of the workspace that reach beyond the left or right edge of the viewport. */
  async function overEdge(page: Page): Promise<string[]> {
    return page.evaluate(`(() => {
      const w = window.innerWidth;
      const over = [];
      for (const el of document.querySelectorAll('#main *')) {
        const r = el.getBoundingClientRect();
        if (r.width > 0 && (r.right > w + 0.5 || r.left < -0.5)) over.push(el.tagName + '.' + el.className + ' ' + Math.round(r.left) + '..' + Math.round(r.right));
      }
      return over.slice(0, 10);
    })()`);
  }

  async function register(role: 'supplier' | 'buyer', name: string, certifications = ['iso-13485', 'gb-19082']) {
    const email = uniqueEmail(role);
    const auth = await apiCall<AuthResponse>(s.url, 'POST', '/auth/register', '', {
      email,
      password: PASSWORD,
      name,
      role,
      organization: { name, region: 'Hubei', location: { lat: 30.59, lng: 114.31 }, certifications },
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

  it('on an empty database, when the API reference /api/docs is opened at 390 px, then it is no wider than the screen (long parameters and types wrap)', async () => {
    const { page } = await newPage(phone);
    await page.goto(`${s.url}/api/docs`);
    await page.locator('table').first().waitFor({ state: 'attached' });
    const { scrollWidth, innerWidth } = (await page.evaluate('({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth })')) as { scrollWidth: number; innerWidth: number };
    expect(scrollWidth, 'page width at 390 px').to.be.at.most(innerWidth);
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

    // the supplier's and the buyer's workspaces on a phone, every card open
    for (const who of ['supplier', 'buyer']) {
      const { page: p } = await newPage(phone);
      await signIn(p, s.url, `${who}@demo.fuchan.cn`, DEMO_PASSWORD);
      await p.getByTestId(`${who}-workspace`).waitFor();
      await p.waitForLoadState('networkidle');
      await p.locator('details').evaluateAll((ds) => ds.forEach((d) => ((d as HTMLDetailsElement).open = true)));
      await p.waitForTimeout(300);
      expect(await overEdge(p), `${who} workspace at 390 px`).to.deep.equal([]);
      expect(await p.evaluate(() => document.documentElement.scrollWidth)).to.be.at.most(phone.width);
      await screenshot(p, `${who}-390.png`);
    }

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

  it('when the coordinator opens the board, then totals are per product in its own unit and the headline is a labelled unit-free share, never a sum of unlike units', async () => {
    const coord = await apiCall<AuthResponse>(s.url, 'POST', '/auth/login', '', { email: 'coordinator@demo.fuchan.cn', password: DEMO_PASSWORD });
    const { page } = await newPage();
    await signIn(page, s.url, 'coordinator@demo.fuchan.cn', DEMO_PASSWORD);
    await page.getByTestId('coverage-row').first().waitFor({ state: 'attached' });
    await page.waitForLoadState('networkidle');
    const coverage = await apiCall<Coverage>(s.url, 'GET', '/metrics/coverage', coord.token);
    const summary = coverage.summary!;
    expect(summary.demandedValueCny).to.be.greaterThan(0);

    // the tiles are CNY at reference prices, as the API's summary says, and labelled so
    expect(Math.abs(Number(await page.getByTestId('kpi-demanded').getAttribute('data-value')) - summary.demandedValueCny)).to.be.at.most(1);
    expect(await page.getByTestId('kpi-demanded').getAttribute('data-basis')).to.equal('value_cny');
    expect(await page.getByTestId('value-basis').textContent()).to.match(/CNY at the catalog reference prices/);
    const headline = (await page.getByTestId('headline').textContent())!;
    expect(headline).to.match(/\d+% of demand covered/);
    expect(Number(await page.getByTestId('headline').getAttribute('data-covered'))).to.be.closeTo(summary.coveredShare, 0.001);
    // the old headline added pieces, kilograms and tests: no such number is shown
    expect(headline).to.not.match(/demanded/);

    // per product: its own unit, its own numbers (the same as the API's byCategory)
    await page.locator('details.table-toggle').evaluate((d) => ((d as HTMLDetailsElement).open = true));
    const rows = await page.getByTestId('coverage-row').evaluateAll((els) =>
      els.map((e) => ({ category: e.getAttribute('data-category')!, demanded: Number(e.getAttribute('data-demanded')), unit: e.getAttribute('data-unit')!, text: e.textContent! })),
    );
    expect(rows.length).to.be.greaterThan(3);
    const units = new Set(rows.map((r) => r.unit));
    expect(units.size, 'products in different units').to.be.greaterThan(1);
    for (const r of rows) {
      const api = coverage.byCategory!.find((c) => c.category === r.category)!;
      expect(r.demanded, r.category).to.equal(api.demandedUnits);
      expect(r.text).to.include(`(${r.unit})`);
    }
    await screenshot(page, 'board-totals.png', false);

    // coverage over time: per product in its own unit, or all products in CNY
    const history = page.locator('[data-testid=history-card][data-days]');
    await history.waitFor();
    expect(Number(await history.getAttribute('data-days'))).to.be.greaterThan(0);
    expect(Number(await history.getAttribute('data-last-demanded'))).to.be.closeTo(summary.demandedValueCny, summary.demandedValueCny * 0.05);
    // the demo's log starts today: the days before it are no data (not 0 of 0), and the trend says so
    const since = await history.getAttribute('data-since');
    expect(since).to.match(/^\d{4}-\d{2}-\d{2}$/);
    expect(await history.getAttribute('data-from')).to.equal(since);
    const basis = (await page.getByTestId('history-basis').textContent()) ?? '';
    expect(basis).to.not.include('30 days ago');
    expect(basis).to.match(/no earlier data|the first day with demand/);
    await page.getByTestId('history-product').selectOption('surgical-mask');
    await page.locator('[data-testid=history-card][data-product=surgical-mask]').waitFor();
    const masks = coverage.byCategory!.find((c) => c.category === 'surgical-mask')!;
    expect(Number(await history.getAttribute('data-last-demanded'))).to.equal(masks.demandedUnits);
    expect(await page.getByTestId('history-basis').textContent()).to.include('In pieces');
    expect(await page.locator('[data-testid=history-chart] canvas').count()).to.equal(1);
    await page.getByTestId('history-card').screenshot({ path: `${artifactsDir}/board-history.png` });

    // the product filter redraws the history at hand (it holds every product); the province filter asks again
    const asked: string[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/api/metrics/coverage/history')) asked.push(r.url());
    });
    const other = coverage.byCategory!.find((c) => c.category !== 'surgical-mask' && c.demandedUnits > 0)!;
    await page.getByTestId('filter-category').selectOption(other.category);
    await page.locator(`[data-testid=history-card][data-product=${other.category}]`).waitFor();
    // a request of the page after the change: a history request issued with the change would be seen before it
    await page.evaluate(() => fetch('/api/health').then((r) => r.status));
    expect(asked, 'history requests after a change of product').to.deep.equal([]);
    expect(Number(await history.getAttribute('data-last-demanded'))).to.equal(other.demandedUnits);
    const [byProvince] = await Promise.all([
      page.waitForRequest((r) => r.url().includes('/api/metrics/coverage/history') && r.url().includes('region=')),
      page.getByTestId('filter-region').selectOption('Hubei'),
    ]);
    expect(new URL(byProvince.url()).searchParams.get('region')).to.equal('Hubei');
  });

  it('on an empty database, when an N95 offer lacks NMPA registration and a demand is partly covered, then the supplier sees why its offer gets nothing and the buyer why the rest is short, in English and Chinese', async () => {
    // a supplier of N95 masks without the registration every buyer of them requires
    const n95 = await register('supplier', 'Silent N95 Works');
    await apiCall(s.url, 'POST', '/offers', n95.token, offerInput({
      products: [{ category: 'n95-medical-respirator', unitsPerDay: 5000 }],
      capabilities: ['ultrasonic-welding', 'cleanroom-iso8', 'eo-sterilization'],
      certifications: ['gb-19083'],
    }));
    // and a two-line offer: goggles and face shields are counted each in its own unit, never added up
    await apiCall(s.url, 'POST', '/offers', n95.token, offerInput({
      products: [{ category: 'medical-goggles', unitsPerDay: 7800 }, { category: 'face-shield', unitsPerDay: 4500 }],
      capabilities: ['injection-moulding'],
      certifications: [],
    }));
    // a gown maker too small for the whole of a demand
    const small = await register('supplier', 'Small Gown Shop');
    await apiCall(s.url, 'POST', '/offers', small.token, offerInput({ products: [{ category: 'protective-gown', unitsPerDay: 100 }], minOrderUnits: 1 }));
    const buyer = await register('buyer', 'Partly Covered Hospital');
    const demand = await apiCall<Demand>(s.url, 'POST', '/demands', buyer.token, demandInput({ quantity: 5000, deadline: new Date(Date.now() + 10 * 86_400_000).toISOString() }));

    const { page: sup } = await newPage();
    await signIn(sup, s.url, n95.email, PASSWORD);
    const reason = sup.locator('[data-testid=offer-reason][data-code=certification]');
    await reason.waitFor();
    expect(await reason.textContent()).to.include('NMPA');
    expect(await reason.textContent()).to.include('N95 medical protective mask');
    const twoLines = sup.locator('[data-testid=offer-card]', { has: sup.getByTestId('offer-line-total') });
    const lineTotals = twoLines.getByTestId('offer-line-total');
    expect(await lineTotals.allTextContents()).to.satisfy((x: string[]) => x.length === 2 && x[0].includes('Medical goggles: 234,000 pieces') && x[1].includes('Medical face shield: 135,000 pieces'));
    expect(await twoLines.getByTestId('offer-total').count()).to.equal(0);
    // each line its own capacity bar, in its own unit: nothing asked of them, so all of it free
    const lineBars = await twoLines.getByTestId('offer-line-capacity').evaluateAll((els) =>
      els.map((e) => ({ total: e.getAttribute('data-total'), committed: e.getAttribute('data-committed'), free: e.getAttribute('data-free'), legend: e.textContent ?? '' })),
    );
    expect(lineBars.map((b) => [b.total, b.committed, b.free])).to.deep.equal([['234000', '0', '234000'], ['135000', '0', '135000']]);
    expect(lineBars[0].legend).to.include('234,000 pieces');
    expect(lineBars[1].legend).to.include('135,000 pieces');

    const { page: buy } = await newPage();
    await signIn(buy, s.url, buyer.email, PASSWORD);
    const card = buy.locator(`[data-testid=demand-card][data-demand-id="${demand.id}"]`);
    await card.locator('[data-testid=match-card]').first().waitFor();
    const why = card.getByTestId('shortage-reasons');
    await why.waitFor({ timeout: 20_000 });
    const short = Number(await why.getAttribute('data-short'));
    expect(short).to.be.greaterThan(0).and.lessThan(5000);
    expect(await why.locator('h4').textContent()).to.match(/^Why [\d,]+ .* still short$/);
    const codes = await why.getByTestId('reason').evaluateAll((els) => els.map((e) => e.getAttribute('data-code')));
    expect(codes.length).to.be.greaterThan(0);
    expect(codes.filter((c) => !['deliverable', 'capacity', 'time', 'min_order'].includes(c!)), 'reasons of a supplier too small').to.deep.equal([]);
    expect(await card.getByTestId('demand-place').textContent()).to.equal('Deliver to Hubei (Wuhan)');
    await screenshot(buy, 'buyer-partial-reasons.png');

    // in Chinese: the catalog's Chinese names, no English UI word
    for (const page of [sup, buy]) {
      await page.getByTestId('lang-toggle').click();
      await page.locator('html[lang="zh-CN"]').waitFor();
    }
    expect(await reason.textContent()).to.include('医用防护口罩');
    expect(await reason.textContent()).to.match(/要求/);
    expect(await lineTotals.first().textContent()).to.include('医用护目镜：234,000 副');
    expect(await lineTotals.nth(1).textContent()).to.include('135,000 个');
    expect(await why.locator('h4').textContent()).to.match(/^为何仍缺/);
    expect(untranslated(await why.allTextContents())).to.deep.equal([]);
    expect(untranslated(await sup.getByTestId('offer-reasons').allTextContents())).to.deep.equal([]);
    await screenshot(sup, 'supplier-reasons-zh.png');
  });

  it('on an empty database, when a buyer imports a file with one bad row, then nothing is stored and the row error is shown; the corrected file posts every row, and the matches export downloads as CSV', async () => {
    const sup = await register('supplier', 'Import Gown Works');
    await apiCall(s.url, 'POST', '/offers', sup.token, offerInput());
    const buyer = await register('buyer', 'Import Hospital');
    const { page } = await newPage();
    await signIn(page, s.url, buyer.email, PASSWORD);
    await page.getByTestId('no-demands').waitFor();
    await page.getByTestId('transfer-toggle').click();

    // the template
    const [template] = await Promise.all([page.waitForEvent('download'), page.getByTestId('template-csv').click()]);
    const header = fs.readFileSync((await template.path())!, 'utf8').replace(/^\uFEFF/, '').split(/\r?\n/)[0];
    expect(header).to.include('category').and.include('quantity').and.include('deadline');

    const day = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10);
    const csv = (quantity2: string) =>
      [
        'category,quantity,deadline,deliveryLat,deliveryLng,requiredCertifications,maxPricePerUnit,priority',
        `protective-gown,2000,${day(20)},30.6,114.3,,20,high`,
        `protective-gown,${quantity2},${day(25)},30.6,114.3,,20,normal`,
      ].join('\n');
    const upload = async (text: string) => {
      await page.getByTestId('import-file').setInputFiles({ name: 'demands.csv', mimeType: 'text/csv', buffer: Buffer.from(text, 'utf8') });
      await page.getByTestId('import-submit').click();
    };

    // one bad row: the whole file is refused, the row is named
    await upload(csv('lots'));
    await page.getByTestId('import-errors').waitFor();
    const bad = page.locator('[data-testid=import-error-row][data-row="3"]');
    expect(await bad.count()).to.be.greaterThan(0);
    expect(await bad.first().getAttribute('data-column')).to.equal('quantity');
    expect(await page.getByTestId('import-error').textContent()).to.match(/Nothing was imported/);
    const none = await apiCall<{ total: number }>(s.url, 'GET', '/demands', buyer.token);
    expect(none.total, 'nothing stored from a file with an error').to.equal(0);
    await screenshot(page, 'import-refused.png', false);

    // corrected: both rows posted, both cards shown
    await upload(csv('3000'));
    await page.getByTestId('import-done').waitFor();
    expect(await page.getByTestId('import-done').textContent()).to.equal('2 demands posted from the file.');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=demand-card]').length === 2);
    await page.locator('[data-testid=match-card]').first().waitFor();

    // the export: a CSV of the buyer's matches
    const matches = await apiCall<{ items: Match[] }>(s.url, 'GET', '/demands/' + (await page.getByTestId('demand-card').first().getAttribute('data-demand-id')) + '/matches', buyer.token);
    expect(matches.items.length).to.be.greaterThan(0);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-matches-csv').click()]);
    expect(download.suggestedFilename()).to.match(/\.csv$/);
    const text = fs.readFileSync((await download.path())!, 'utf8').replace(/^\uFEFF/, '');
    const lines = text.trim().split(/\r?\n/);
    expect(lines.length, text).to.be.at.least(2);
    expect(text).to.include(matches.items[0].id);
    expect(text).to.include('Import Gown Works');
  });

  it('when a supplier submits evidence and the coordinator verifies it from the live queue, then the supplier workspace shows the verified badge without reloading, and the limits for the unverified are gone', async () => {
    const sup = await register('supplier', 'Evidence Mask Works', ['yy-0469']);
    const { page: board } = await newPage();
    await signIn(board, s.url, 'coordinator@demo.fuchan.cn', DEMO_PASSWORD);
    await board.getByTestId('verification-queue').waitFor();

    const { page } = await newPage();
    await signIn(page, s.url, sup.email, PASSWORD);
    await page.getByTestId('certs-toggle').click();
    const item = page.locator('[data-testid=cert-item][data-certification=yy-0469]');
    await item.waitFor();
    expect(await item.getAttribute('data-state')).to.equal('claimed');
    await page.getByTestId('trust-limits').waitFor();
    expect(await page.getByTestId('trust-limits').textContent()).to.match(/at most 5 open offers/);

    // the supplier submits its evidence in the browser
    await item.getByTestId('cert-edit').click();
    await item.getByTestId('cert-number').fill('YY-2026-0042');
    await item.getByTestId('cert-issuer').fill('Hubei Medical Products Administration');
    await item.getByTestId('cert-from').fill('2026-01-01');
    await item.getByTestId('cert-until').fill('2028-12-31');
    await item.getByTestId('cert-file').setInputFiles({ name: 'yy-0469.pdf', mimeType: 'application/pdf', buffer: TINY_PDF });
    await item.getByTestId('cert-submit').click();
    await page.locator('[data-testid=cert-item][data-certification=yy-0469][data-state=submitted]').waitFor();

    // the coordinator's queue shows it live; the coordinator opens the evidence and verifies
    const queued = board.locator('[data-testid=queue-item][data-certification=yy-0469]').filter({ hasText: 'Evidence Mask Works' });
    await queued.waitFor({ timeout: 20_000 });
    expect(await queued.getByTestId('queue-evidence').getAttribute('href')).to.match(/^\/api\/evidence\//);
    const evidence = await board.evaluate(async (href) => {
      const r = await fetch(href!);
      return { status: r.status, type: r.headers.get('content-type') };
    }, await queued.getByTestId('queue-evidence').getAttribute('href'));
    expect(evidence).to.deep.equal({ status: 200, type: 'application/pdf' });
    await board.getByTestId('verification-queue').screenshot({ path: `${artifactsDir}/queue.png` });
    await queued.getByTestId('queue-verify').click();
    await queued.waitFor({ state: 'detached' });

    // the supplier sees the badge without reloading
    await page.locator('[data-testid=cert-item][data-certification=yy-0469][data-state=verified] [data-testid=cert-badge][data-state=verified]').waitFor({ timeout: 20_000 });
    expect(await page.getByTestId('verified-count').getAttribute('data-n')).to.equal('1');
    await page.getByTestId('trust-limits').waitFor({ state: 'detached', timeout: 20_000 });
    // a second certificate is rejected with a reason: the supplier reads it, live
    const iso = await submitEvidence(s.url, sup.token, 'iso-13485');
    const queuedIso = board.locator(`[data-testid=queue-item][data-id="${iso.id}"]`);
    await queuedIso.waitFor({ timeout: 20_000 });
    await queuedIso.getByTestId('queue-reject').click();
    await board.getByTestId('queue-error').waitFor();
    await queuedIso.getByTestId('queue-reason').fill('The certificate number does not match the scan');
    await queuedIso.getByTestId('queue-reject').click();
    await queuedIso.waitFor({ state: 'detached' });
    const rejected = page.locator('[data-testid=cert-item][data-certification=iso-13485][data-state=rejected]');
    await rejected.waitFor({ timeout: 20_000 });
    expect(await rejected.getByTestId('cert-rejection').textContent()).to.equal('Rejected: The certificate number does not match the scan');
    await page.getByTestId('certifications').screenshot({ path: `${artifactsDir}/certifications.png` });
  });

  it('on an empty database, when a buyer opens the profile of a supplier proposed to it, then it sees the lines, the record and the reliability with how it is computed', async () => {
    const sup = await register('supplier', 'Profile Gown Works');
    await apiCall(s.url, 'POST', '/offers', sup.token, offerInput());
    const buyer = await register('buyer', 'Profile Hospital');
    await apiCall<Demand>(s.url, 'POST', '/demands', buyer.token, demandInput());
    const { page } = await newPage();
    await signIn(page, s.url, buyer.email, PASSWORD);
    // the link sits flush with the supplier's name above it
    const card = page.getByTestId('match-card').first();
    const name = await card.getByTestId('match-party').boundingBox();
    const link = await card.getByTestId('open-profile').boundingBox();
    const label = await card.getByTestId('open-profile').evaluate((b) => { const r = document.createRange(); r.selectNodeContents(b); return r.getBoundingClientRect().left; });
    expect(Math.abs(link!.x - name!.x), 'link box vs name').to.be.below(1);
    expect(Math.abs(label - name!.x), 'link text vs name').to.be.below(1);
    await page.getByTestId('open-profile').first().click();
    const dialog = page.getByTestId('supplier-profile');
    await dialog.getByTestId('profile-record').waitFor();
    expect(await dialog.textContent()).to.include('Profile Gown Works');
    expect(await dialog.getByTestId('profile-line').count()).to.equal(1);
    expect(await dialog.getByTestId('profile-line').first().textContent()).to.include('Disposable isolation gown');
    expect(Number(await dialog.getByTestId('profile-reliability').getAttribute('data-score'))).to.equal(0.5);
    expect(await dialog.getByTestId('profile-reliability').textContent()).to.match(/50%.*a new supplier starts at 50%/);
    await dialog.screenshot({ path: `${artifactsDir}/profile.png` });
    await dialog.getByTestId('profile-close').click();
    await dialog.waitFor({ state: 'detached' });
  });
});

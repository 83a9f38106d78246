import { expect } from 'chai';
import type { BrowserContext, Page } from 'playwright-core';
import type { AuthResponse } from '../../models/auth.schema';
import { findCategory } from '../../models/catalog';
import type { Demand } from '../../models/demand.schema';
import type { Match } from '../../models/match.schema';
import type { Running } from '../../server/index';
import { startTestServer, uniqueEmail } from '../fixtures/app';
import { demandInput, offerInput } from '../fixtures/postings';
import { apiCall, chineseIn, screenshot, signIn, untranslated, useBrowser, submitAndVerifyEvidence, visibleUiText } from './browser';

const DEMO_PASSWORD = 'fuchan-demo';
/** The board's figures across products are CNY at reference prices: 5,000 gowns are worth this much. */
const GOWNS_5000_CNY = 5000 * findCategory('protective-gown')!.referencePricePerUnit;
const desktop = { width: 1280, height: 900 };
const phone = { width: 390, height: 844 };

describe('browser client (end to end)', function () {
  this.timeout(120_000);
  const browser = useBrowser();
  const contexts: BrowserContext[] = [];


  /**
   * Closes every page before its server stops (a page that keeps reconnecting holds a keep-alive
   * connection busy, and the server's stop waits for it). On failure, keeps a picture of each page first.
   */
  async function closePages(ctx: Mocha.Context) {
    if (ctx.currentTest?.state === 'failed') {
      let i = 0;
      for (const c of contexts) for (const p of c.pages()) await screenshot(p, `failure-${++i}.png`).catch(() => undefined);
    }
    for (const c of contexts.splice(0)) await c.close().catch(() => undefined);
  }

  /** A fresh browser profile (own cookies, so each role has its own session). */
  async function newPage(viewport = desktop, locale = 'en-US'): Promise<Page> {
    const ctx = await browser().newContext({ viewport, locale, timezoneId: 'Asia/Shanghai' });
    contexts.push(ctx);
    const page = await ctx.newPage();
    page.setDefaultTimeout(20_000);
    page.on('dialog', (d) => void d.accept());
    if (process.env.FUCHAN_E2E_CONSOLE) page.on('console', (m) => console.log(`      [page] ${m.text()}`));
    return page;
  }

  async function kpi(page: Page, name: string): Promise<number> {
    return Number(await page.getByTestId(`kpi-${name}`).getAttribute('data-value'));
  }

  async function registerInBrowser(page: Page, url: string, role: 'supplier' | 'buyer', orgName: string, certs: string[]): Promise<string> {
    const email = uniqueEmail(role);
    await page.goto(`${url}/register`);
    await page.getByTestId(`reg-role-${role}`).check();
    await page.getByTestId('reg-email').fill(email);
    await page.getByTestId('reg-password').fill('correct horse battery');
    await page.getByTestId('reg-name').fill(`E2E ${role}`);
    await page.getByTestId('reg-org-name').fill(orgName);
    await page.getByTestId('reg-region').selectOption('Hubei');
    expect(await page.getByTestId('reg-lat').inputValue()).to.equal('30.5928');
    for (const c of certs) await page.locator(`[data-testid=reg-certs] input[value="${c}"]`).check();
    await page.getByTestId('register-submit').click();
    await page.getByTestId(`${role}-workspace`).waitFor();
    await page.locator('[data-testid=conn-status][data-state=connected]').waitFor({ timeout: 30_000 });
    return email;
  }

  describe('with the demo scenario loaded', () => {
    let s: Running;
    beforeEach(async function () {
      this.timeout(120_000);
      s = await startTestServer({ FUCHAN_DEMO: 'true' });
    });
    afterEach(async function () {
      this.timeout(60_000);
      await closePages(this);
      await s?.stop();
    });

    it('when a supplier and a buyer post matching postings in the browser, then the coordinator sees the match live and both parties confirm it', async () => {
      const tag = Date.now().toString(36);
      const supplierOrg = `E2E Gown Works ${tag}`;
      const buyerOrg = `E2E Union Hospital ${tag}`;

      // Arrange: the coordinator watches the board
      const board = await newPage();
      await signIn(board, s.url, 'coordinator@demo.fuchan.cn', DEMO_PASSWORD);
      await board.getByTestId('coordinator-board').waitFor();
      await board.waitForFunction(() => Number(document.querySelector('[data-testid=kpi-demanded]')?.getAttribute('data-value')) > 0);
      const demandedBefore = await kpi(board, 'demanded');

      // a supplier registers and posts gowns capacity, adding the capabilities gowns need with one click
      const supplier = await newPage();
      const supplierEmail = await registerInBrowser(supplier, s.url, 'supplier', supplierOrg, ['iso-13485', 'gb-19082', 'oeko-tex']);
      await supplier.getByTestId('offer-category-0').selectOption('protective-gown');
      await supplier.getByTestId('offer-add-needed-0').click();
      expect(await supplier.locator('[data-testid=offer-capabilities] input[value=sewing]').isChecked()).to.equal(true);
      expect(await supplier.locator('[data-testid=offer-capabilities] input[value=heat-sealing]').isChecked()).to.equal(true);
      // enough to serve every open gown demand of the demo and still have units for ours
      await supplier.getByTestId('offer-units-0').fill('120000');
      await supplier.getByTestId('offer-min-order').fill('100');
      await supplier.getByTestId('offer-price').fill('9.5');
      await supplier.getByTestId('offer-submit').click();
      const offerCard = supplier.getByTestId('offer-card').first();
      await offerCard.waitFor();
      expect(Number(await offerCard.getByTestId('offer-capacity').getAttribute('data-total'))).to.be.greaterThan(50_000);

      // its certificates are checked: matching counts only verified ones (issue 13)
      const supplierToken = (await apiCall<AuthResponse>(s.url, 'POST', '/auth/login', '', { email: supplierEmail, password: 'correct horse battery' })).token;
      const adminToken = (await apiCall<AuthResponse>(s.url, 'POST', '/auth/login', '', { email: 'admin@demo.fuchan.cn', password: DEMO_PASSWORD })).token;
      await submitAndVerifyEvidence(s.url, supplierToken, adminToken, ['iso-13485', 'oeko-tex']);

      // a buyer registers and asks for gowns only that supplier can certify
      const buyer = await newPage();
      await registerInBrowser(buyer, s.url, 'buyer', buyerOrg, []);
      await buyer.getByTestId('demand-category').selectOption('protective-gown');
      await buyer.getByTestId('demand-quantity').fill('5000');
      await buyer.getByTestId('demand-priority').selectOption('high');
      await buyer.getByTestId('demand-max-price').fill('20');
      await buyer.locator('[data-testid=demand-certs] input[value=oeko-tex]').check();
      await buyer.locator('[data-testid=demand-certs] input[value=iso-13485]').check();
      await buyer.getByTestId('demand-submit').click();
      const demandCard = buyer.getByTestId('demand-card').first();
      await demandCard.waitFor();
      // the default deadline, 14 days ahead, is the whole of that day in the buyer's time zone, and says so
      expect(await demandCard.getByTestId('demand-deadline-text').textContent()).to.match(/\(in 14 days\)$/);
      const endOfDay = await buyer.evaluate(async () => {
        const list = (await (await fetch('/api/demands')).json()) as { items: { deadline: string }[] };
        const d = new Date(list.items[0].deadline);
        return [d.getHours(), d.getMinutes(), d.getSeconds(), d.getMilliseconds()];
      });
      expect(endOfDay).to.deep.equal([23, 59, 59, 999]);

      // Assert: the proposal reaches the board's feed and its coverage, with no reload
      const feedItem = board.getByTestId('feed-item').filter({ hasText: supplierOrg }).filter({ hasText: buyerOrg }).first();
      await feedItem.waitFor({ timeout: 20_000 });
      expect(await feedItem.getAttribute('data-status')).to.equal('proposed');
      const matchId = (await feedItem.getAttribute('data-match-id'))!;
      await board.waitForFunction(
        ([before, add]) => Math.abs(Number(document.querySelector('[data-testid=kpi-demanded]')?.getAttribute('data-value')) - (before + add)) <= 1,
        [demandedBefore, GOWNS_5000_CNY],
        { timeout: 20_000 },
      );

      // the buyer sees the supplier with a localized explanation, and accepts
      const buyerMatch = buyer.locator(`[data-testid=match-card][data-match-id="${matchId}"]`);
      await buyerMatch.waitFor();
      expect(await buyerMatch.getByTestId('match-party').textContent()).to.equal(supplierOrg);
      expect(await buyerMatch.locator('[data-testid=explanation] li').count()).to.equal(6);
      expect(await demandCard.getByTestId('demand-progress').getAttribute('data-proposed')).to.equal('5000');
      await buyerMatch.getByTestId('match-accept').click();
      await buyer.locator(`[data-testid=match-card][data-match-id="${matchId}"][data-status=accepted_by_buyer]`).waitFor();

      // the supplier's proposal arrived live and shows the buyer's acceptance; the supplier accepts
      const supplierMatch = supplier.locator(`[data-testid=match-card][data-match-id="${matchId}"]`);
      await supplier.locator(`[data-testid=match-card][data-match-id="${matchId}"][data-status=accepted_by_buyer]`).waitFor();
      expect(await supplierMatch.getByTestId('match-party').textContent()).to.equal(buyerOrg);
      await supplierMatch.getByTestId('match-accept').click();

      // both parties and the board see it confirmed
      await supplier.locator(`[data-testid=match-card][data-match-id="${matchId}"][data-status=confirmed]`).waitFor();
      await buyer.locator(`[data-testid=match-card][data-match-id="${matchId}"][data-status=confirmed]`).waitFor();
      await board.locator(`[data-testid=feed-item][data-match-id="${matchId}"][data-status=confirmed]`).waitFor();
      await buyer.waitForFunction(() => document.querySelector('[data-testid=demand-card] [data-testid=demand-progress]')?.getAttribute('data-confirmed') === '5000');
      await supplier.waitForFunction(
        () => document.querySelector('[data-testid=offer-card] [data-testid=offer-capacity]')?.getAttribute('data-committed') === '5000',
      );
      await board.waitForFunction((v) => Number(document.querySelector('[data-testid=kpi-confirmed]')?.getAttribute('data-value')) >= v - 1, GOWNS_5000_CNY);

      // the feed is newest first
      const seqs = await board.$$eval('[data-testid=feed-item]', (els) => els.map((e) => Number(e.getAttribute('data-seq'))));
      expect(seqs).to.deep.equal([...seqs].sort((a, b) => b - a));

      // show why the confirmed match was proposed, in the pictures
      for (const page of [supplier, buyer]) {
        await page.locator(`[data-testid=match-card][data-match-id="${matchId}"] details.why`).evaluate((d) => ((d as HTMLDetailsElement).open = true));
      }
      await screenshot(supplier, 'supplier.png');
      await screenshot(buyer, 'buyer.png');
      await screenshot(board, 'coordinator.png');

      // the session survives a reload; signing out ends it
      await buyer.reload();
      await buyer.locator(`[data-testid=match-card][data-match-id="${matchId}"][data-status=confirmed]`).waitFor();
      await buyer.getByTestId('sign-out').click();
      await buyer.getByTestId('login-form').waitFor();
      await buyer.reload();
      await buyer.getByTestId('login-form').waitFor();

      // the workspaces fit a phone, forms open
      for (const page of [supplier, board]) {
        await page.setViewportSize(phone);
        await page.locator('[data-testid$=form-card] details.form-toggle').evaluateAll((ds) => ds.forEach((d) => ((d as HTMLDetailsElement).open = true)));
        await page.waitForTimeout(300);
        expect(await page.evaluate(() => document.documentElement.scrollWidth)).to.be.at.most(phone.width);
      }

      // the board on a phone: no horizontal scrolling
      const mobile = await newPage(phone);
      await signIn(mobile, s.url, 'coordinator@demo.fuchan.cn', DEMO_PASSWORD);
      await mobile.getByTestId('feed-item').first().waitFor();
      await mobile.getByTestId('province-tile').first().waitFor();
      const width = await mobile.evaluate(() => document.documentElement.scrollWidth);
      expect(width).to.be.at.most(phone.width);
      await screenshot(mobile, 'coordinator-mobile.png', false);
      await screenshot(mobile, 'coordinator-mobile-full.png');
    });

    it('when the language is switched to Chinese, then no English UI string is left on any workspace, and switching back restores English', async () => {
      const pages: [string, string, string][] = [
        ['coordinator@demo.fuchan.cn', 'coordinator-board', '协调指挥看板'],
        ['supplier@demo.fuchan.cn', 'supplier-workspace', '供应方工作台'],
        ['buyer@demo.fuchan.cn', 'buyer-workspace', '需求方工作台'],
      ];
      // the first visit follows the browser's language
      const first = await newPage(desktop, 'zh-CN');
      await first.goto(s.url);
      await first.locator('html[lang="zh-CN"]').waitFor();
      expect(await first.getByTestId('login-submit').textContent()).to.equal('登录');
      expect(untranslated(await visibleUiText(first))).to.deep.equal([]);
      await first.getByTestId('to-register').click();
      await first.getByTestId('register-submit').click();
      await first.locator('.field-error:not([hidden])').first().waitFor();
      expect(untranslated(await visibleUiText(first)), 'untranslated strings on the Chinese registration form').to.deep.equal([]);

      for (const [email, testid, title] of pages) {
        const page = await newPage();
        await signIn(page, s.url, email, DEMO_PASSWORD);
        await page.getByTestId(testid).waitFor();
        await page.waitForLoadState('networkidle');
        if (testid === 'buyer-workspace') await page.getByTestId('explanation').first().waitFor({ state: 'attached' });
        if (testid === 'coordinator-board') await page.getByTestId('shortage-row').first().waitFor();

        // English first: no Chinese outside data and the language toggle
        expect(await page.locator('html').getAttribute('lang')).to.equal('en');
        expect(chineseIn(await visibleUiText(page)), `Chinese text on the English ${testid}`).to.deep.equal([]);

        await page.getByTestId('lang-toggle').click();
        await page.locator('html[lang="zh-CN"]').waitFor();
        expect(await page.getByTestId('workspace-title').textContent()).to.equal(title);
        // the demo's organizations have Chinese names, shown in the Chinese interface
        expect(await page.getByTestId('org-name').textContent()).to.match(/[\u3400-\u9fff]/);
        // a form's validation messages are translated too
        const submit = testid === 'supplier-workspace' ? 'offer-submit' : testid === 'buyer-workspace' ? 'demand-submit' : null;
        if (submit) {
          await page.locator('[data-testid$=form-card] details.form-toggle').evaluate((d) => ((d as HTMLDetailsElement).open = true));
          await page.getByTestId(submit).click();
          await page.locator('.field-error:not([hidden])').first().waitFor();
          expect(await page.locator('.field-error:not([hidden])').first().textContent()).to.match(/[\u3400-\u9fff]/);
        }
        const texts = await visibleUiText(page);
        expect(untranslated(texts), `untranslated UI strings on the Chinese ${testid}`).to.deep.equal([]);
        if (testid === 'coordinator-board') await screenshot(page, 'coordinator-zh.png');

        await page.getByTestId('lang-toggle').click();
        await page.locator('html[lang="en"]').waitFor();
        expect(await page.getByTestId('workspace-title').textContent()).to.not.equal(title);
        expect(chineseIn(await visibleUiText(page)), `Chinese left on ${testid} after switching back`).to.deep.equal([]);
      }
    });
  });

  describe('with an empty database', () => {
    let s: Running;
    beforeEach(async () => {
      s = await startTestServer();
    });
    afterEach(async function () {
      this.timeout(60_000);
      await closePages(this);
      await s?.stop();
    });

    it('when the live connection drops while a match is proposed, then the feed shows it after reconnecting, once', async () => {
      const email = uniqueEmail('coordinator');
      await s.services.auth.createUser({ email, password: 'coordinator pass', name: 'E2E coordinator', role: 'coordinator' });
      const reg = async (role: 'supplier' | 'buyer', name: string) =>
        apiCall<AuthResponse>(s.url, 'POST', '/auth/register', '', {
          email: uniqueEmail(role),
          password: 'correct horse battery',
          name,
          role,
          organization: { name, region: 'Hubei', location: { lat: 30.59, lng: 114.31 }, certifications: ['iso-13485', 'gb-19082'] },
        });
      const sup = await reg('supplier', 'Reconnect Gowns Ltd');
      const buy = await reg('buyer', 'Reconnect Hospital');
      await apiCall(s.url, 'POST', '/offers', sup.token, offerInput());

      const board = await newPage();
      await signIn(board, s.url, email, 'coordinator pass');
      await board.getByTestId('feed-empty').waitFor();
      // narrow the board (and its live subscription) to gowns
      await board.getByTestId('filter-category').selectOption('protective-gown');
      await board.locator('[data-testid=conn-status][data-state=connected]').waitFor();
      const seqBefore = await board.evaluate(() => window.fuchan!.seq());

      // the network goes away: the transport drops and reconnecting fails while offline
      await board.context().setOffline(true);
      await board.evaluate(() => window.fuchan!.dropConnection());
      await board.locator('[data-testid=conn-status][data-state=reconnecting]').waitFor();

      const demand = await apiCall<Demand>(s.url, 'POST', '/demands', buy.token, demandInput());
      const { items } = await apiCall<{ items: Match[] }>(s.url, 'GET', `/demands/${demand.id}/matches`, buy.token);
      expect(items).to.have.length.greaterThan(0);
      const matchId = items[0].id;
      await board.waitForTimeout(1500);
      expect(await board.getByTestId('feed-item').count()).to.equal(0);
      expect(await board.getByTestId('conn-status').getAttribute('data-state')).to.equal('reconnecting');

      // back online: the client reconnects, resyncs from its last seq and shows what it missed
      await board.context().setOffline(false);
      await board.locator('[data-testid=conn-status][data-state=connected]').waitFor({ timeout: 30_000 });
      await board.locator(`[data-testid=feed-item][data-match-id="${matchId}"]`).waitFor();
      expect(await board.locator(`[data-testid=feed-item][data-match-id="${matchId}"][data-status=proposed]`).count()).to.equal(1);
      expect(await board.evaluate(() => window.fuchan!.seq())).to.be.greaterThan(seqBefore);
      // the coverage caught up too
      // (coverage is recomputed at most once a second after changes; a loaded machine makes that slow)
      await board.waitForFunction((v) => Math.abs(Number(document.querySelector('[data-testid=kpi-demanded]')?.getAttribute('data-value')) - v) <= 1, GOWNS_5000_CNY, {
        timeout: 60_000,
      });

      // the filter was sent again on reconnecting: a cloth-mask match stays out of the gown feed...
      await apiCall(s.url, 'POST', '/offers', sup.token, offerInput({ products: [{ category: 'cloth-mask', unitsPerDay: 5000 }], capabilities: ['sewing'] }));
      const masks = await apiCall<Demand>(s.url, 'POST', '/demands', buy.token, demandInput({ category: 'cloth-mask', quantity: 3000 }));
      const maskMatches = await apiCall<{ items: Match[] }>(s.url, 'GET', `/demands/${masks.id}/matches`, buy.token);
      expect(maskMatches.items).to.have.length.greaterThan(0);
      await board.waitForTimeout(2000);
      expect(await board.locator('[data-testid=feed-item][data-category=cloth-mask]').count()).to.equal(0);
      // ...and shows up once the filter is cleared
      await board.getByTestId('filter-clear').click();
      await board.locator(`[data-testid=feed-item][data-match-id="${maskMatches.items[0].id}"]`).waitFor({ timeout: 30_000 });
      expect(await board.locator(`[data-testid=feed-item][data-match-id="${matchId}"]`).count()).to.equal(1);
    });
  });
});

import { expect } from 'chai';
import type { BrowserContext, Page } from 'playwright-core';
import type { AuthResponse } from '../../models/auth.schema';
import type { Demand } from '../../models/demand.schema';
import type { Match } from '../../models/match.schema';
import type { Offer } from '../../models/offer.schema';
import type { Running } from '../../server/index';
import { startTestServer, uniqueEmail } from '../fixtures/app';
import { demandInput, offerInput } from '../fixtures/postings';
import { apiCall, screenshot, signIn, untranslated, useBrowser, visibleUiText } from './browser';

const PASSWORD = 'correct horse battery';
const wide = { width: 1440, height: 900 };
const phone = { width: 390, height: 844 };
const MINUTE = 60_000;

describe('browser client: people see time (due dates, answer-by, line charts, why a match closed)', function () {
  this.timeout(90_000);
  const browser = useBrowser();
  const contexts: BrowserContext[] = [];
  let s: Running;
  /** The server's clock runs this far ahead of the real one; tests move it instead of sleeping. */
  let ahead = 0;


  beforeEach(async function () {
    this.timeout(120_000);
    ahead = 0;
    s = await startTestServer({}, { now: () => Date.now() + ahead });
  });

  afterEach(async function () {
    this.timeout(60_000);
    if (this.currentTest?.state === 'failed') {
      let i = 0;
      for (const c of contexts) for (const p of c.pages()) await screenshot(p, `time-failure-${++i}.png`).catch(() => undefined);
    }
    for (const c of contexts.splice(0)) await c.close().catch(() => undefined);
    await s?.stop();
  });

  async function newPage(viewport = wide): Promise<Page> {
    const ctx = await browser().newContext({ viewport, locale: 'en-US', timezoneId: 'Asia/Shanghai' });
    contexts.push(ctx);
    const page = await ctx.newPage();
    page.setDefaultTimeout(20_000);
    page.on('dialog', (d) => void d.accept());
    if (process.env.FUCHAN_E2E_CONSOLE) page.on('console', (m) => console.log(`      [page] ${m.text()}`));
    return page;
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

  async function matchesOf(demandId: string, token: string): Promise<Match[]> {
    return (await apiCall<{ items: Match[] }>(s.url, 'GET', `/demands/${demandId}/matches`, token)).items;
  }

  const card = (page: Page, id: string, status?: string) =>
    page.locator(`[data-testid=match-card][data-match-id="${id}"]${status ? `[data-status=${status}]` : ''}`);

  it('when a proposal is confirmed, then the supplier sees its units committed on the line chart and the buyer sees when they are due', async () => {
    // Arrange: a gown line of 1,000 a day, a demand for 5,000 in 20 days
    const sup = await register('supplier', 'Time Gowns Ltd');
    const buy = await register('buyer', 'Time Hospital');
    const offer = await apiCall<Offer>(s.url, 'POST', '/offers', sup.token, offerInput());
    const demand = await apiCall<Demand>(s.url, 'POST', '/demands', buy.token, demandInput());
    const [proposal] = await matchesOf(demand.id, buy.token);
    expect(proposal, 'a proposal').to.exist;
    expect(proposal.dueAt, 'the proposal has a due date').to.be.a('string');
    expect(proposal.expiresAt, 'the proposal has an answer-by time').to.be.a('string');

    const supplier = await newPage();
    await signIn(supplier, s.url, sup.email, PASSWORD);
    const buyer = await newPage();
    await signIn(buyer, s.url, buy.email, PASSWORD);

    // the supplier's offer has one chart per line, with the three parts of each day
    const line = supplier.locator(`[data-testid=offer-card][data-offer-id="${offer.id}"] [data-testid=line-chart][data-line="0"]`);
    await line.waitFor();
    expect(await line.getAttribute('data-series')).to.equal('committed,proposed,free');
    expect(await line.getAttribute('data-legend')).to.equal('Committed|Proposed|Free');
    expect(Number(await line.getAttribute('data-proposed'))).to.equal(proposal.units);
    expect(Number(await line.getAttribute('data-committed'))).to.equal(0);
    await line.locator('[data-testid=line-chart-canvas] canvas').first().waitFor();

    // the buyer's card says when the units are due and by when to answer, in Shanghai time
    const buyerCard = card(buyer, proposal.id);
    await buyerCard.getByTestId('match-due').waitFor();
    const dueDay = new Intl.DateTimeFormat('en', { dateStyle: 'medium', timeZone: 'Asia/Shanghai' }).format(new Date(proposal.dueAt!));
    expect(await buyerCard.getByTestId('match-due').textContent()).to.contain(`Units due ${dueDay}`);
    expect(await buyerCard.getByTestId('match-due').getAttribute('data-due-at')).to.equal(proposal.dueAt);
    const answerClock = new Intl.DateTimeFormat('en', { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone: 'Asia/Shanghai' }).format(new Date(proposal.expiresAt!));
    expect(await buyerCard.getByTestId('match-answer-by').textContent()).to.match(new RegExp(`^Answer by .*${answerClock} \\(in \\d+ hours?\\)$`));

    // Act: both accept in the browser
    await buyerCard.getByTestId('match-accept').click();
    await card(supplier, proposal.id, 'accepted_by_buyer').waitFor();
    // the hold after one side's acceptance is short: the supplier's card shows the new answer-by
    const held = (await matchesOf(demand.id, buy.token)).find((m) => m.id === proposal.id)!;
    await card(supplier, proposal.id).locator(`[data-testid=match-answer-by][data-expires-at="${held.expiresAt}"]`).waitFor();
    await card(supplier, proposal.id).getByTestId('match-accept').click();
    await card(supplier, proposal.id, 'confirmed').waitFor();

    // Assert: the chart was asked for again and counts the units as committed
    await supplier.waitForFunction(
      ([id, units]) => document.querySelector(`[data-offer-id="${id}"] [data-testid=line-chart][data-line="0"]`)?.getAttribute('data-committed') === String(units),
      [offer.id, proposal.units] as const,
    );
    expect(Number(await line.getAttribute('data-proposed'))).to.equal(0);
    await line.locator('[data-testid=line-chart-canvas] canvas').first().waitFor();
    await card(buyer, proposal.id, 'confirmed').getByTestId('match-due').waitFor();
    expect(await card(buyer, proposal.id).getByTestId('match-answer-by').count(), 'a confirmed match has nothing to answer').to.equal(0);

    await screenshot(supplier, 'time-supplier-1440.png');
    await screenshot(buyer, 'time-buyer-1440.png');

    // in Chinese: the chart legend and the due date follow the language, no English left
    await supplier.getByTestId('lang-toggle').click();
    await supplier.locator('html[lang="zh-CN"]').waitFor();
    await supplier.waitForFunction(() => document.querySelector('[data-testid=line-chart]')?.getAttribute('data-legend') === '已确认|待确认|可用');
    expect(untranslated(await visibleUiText(supplier)), 'untranslated strings on the Chinese supplier workspace').to.deep.equal([]);
    await buyer.getByTestId('lang-toggle').click();
    await buyer.locator('html[lang="zh-CN"]').waitFor();
    expect(await card(buyer, proposal.id).getByTestId('match-due').textContent()).to.match(/^需于 \d{4}年\d{1,2}月\d{1,2}日 前生产完成/);
    expect(untranslated(await visibleUiText(buyer)), 'untranslated strings on the Chinese buyer workspace').to.deep.equal([]);

    // a phone: no sideways scrolling, the chart fits
    await supplier.setViewportSize(phone);
    await buyer.setViewportSize(phone);
    await supplier.waitForTimeout(400);
    for (const page of [supplier, buyer]) expect(await page.evaluate(() => document.documentElement.scrollWidth)).to.be.at.most(phone.width);
    await screenshot(supplier, 'time-supplier-390.png');
    await screenshot(buyer, 'time-buyer-390.png');
  });

  it('when a proposal lapses on the server clock and another is withdrawn, then both cards say why, in English and in Chinese', async () => {
    const sup = await register('supplier', 'Lapse Gowns Ltd');
    const buy = await register('buyer', 'Lapse Hospital');
    const offer = await apiCall<Offer>(s.url, 'POST', '/offers', sup.token, offerInput());
    const demand = await apiCall<Demand>(s.url, 'POST', '/demands', buy.token, demandInput());
    const other = await apiCall<Demand>(s.url, 'POST', '/demands', buy.token, demandInput({ quantity: 3000, priority: 'normal' }));
    const [first] = await matchesOf(demand.id, buy.token);
    const [second] = await matchesOf(other.id, buy.token);
    expect(first && second, 'a proposal for each demand').to.be.ok;

    const supplier = await newPage();
    await signIn(supplier, s.url, sup.email, PASSWORD);
    const buyer = await newPage();
    await signIn(buyer, s.url, buy.email, PASSWORD);
    await card(buyer, first.id).waitFor();

    // the buyer accepts; the supplier lets the 30-minute hold run out (the server's clock moves, nobody sleeps)
    await apiCall(s.url, 'POST', `/matches/${first.id}/accept`, buy.token);
    await card(supplier, first.id, 'accepted_by_buyer').waitFor();
    ahead += 31 * MINUTE;
    await s.services.matching.expireStale();
    // closed matches are folded away: the button counts them
    await supplier.getByTestId('match-show-closed').filter({ hasText: 'Show 1 closed' }).waitFor();

    // the supplier changes its offer, which withdraws the other demand's proposal
    await apiCall(s.url, 'PATCH', `/offers/${offer.id}`, sup.token, { pricePerUnit: 11 });
    await supplier.getByTestId('match-show-closed').filter({ hasText: 'Show 2 closed' }).waitFor();

    // Assert: the closed cards say why, on both sides
    for (const page of [buyer, supplier]) {
      const show = page.getByTestId('match-show-closed').filter({ hasText: 'Show' });
      while ((await show.count()) > 0) await show.first().click();
      const lapsed = card(page, first.id, 'expired').getByTestId('match-reason');
      await lapsed.waitFor();
      expect(await lapsed.textContent()).to.equal("Reason: lapsed: the supplier did not answer within 30 minutes of the other side's acceptance");
      expect(await lapsed.getAttribute('data-known')).to.equal('true');
    }
    for (const page of [buyer, supplier]) {
      const withdrawn = card(page, second.id, 'withdrawn').getByTestId('match-reason');
      expect(await withdrawn.textContent()).to.equal('Reason: the offer changed; please review the new terms');
    }
    // relative times follow the server's clock (31 minutes ahead): a proposal made now is answered in 24 hours
    const open = (await matchesOf(other.id, buy.token)).find((m) => m.status === 'proposed');
    expect(open, 'the other demand is proposed again on the new terms').to.exist;
    const answer = card(buyer, open!.id).getByTestId('match-answer-by');
    await answer.waitFor();
    expect(await answer.textContent()).to.match(/\(in 24 hours\)$/);
    await screenshot(buyer, 'time-buyer-closed-1440.png');

    // in Chinese
    await buyer.getByTestId('lang-toggle').click();
    await buyer.locator('html[lang="zh-CN"]').waitFor();
    expect(await card(buyer, first.id).getByTestId('match-reason').textContent()).to.equal('原因：已失效：对方接受后，供应方未在 30 分钟内答复');
    expect(await card(buyer, second.id).getByTestId('match-reason').textContent()).to.equal('原因：产能信息已变更，请查看新的条件');
    expect(untranslated(await visibleUiText(buyer)), 'untranslated strings on the Chinese buyer workspace').to.deep.equal([]);
    await buyer.setViewportSize(phone);
    await screenshot(buyer, 'time-buyer-closed-zh-390.png');
  });
});

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { chineseStrings, englishStrings } from '../../client/src/i18n';
import { catalog } from '../../models/catalog';
import { provinces } from '../../models/provinces';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const artifactsDir = path.join(repo, 'test/artifacts');
export const chromiumPath = process.env.FUCHAN_CHROMIUM ?? '/usr/bin/chromium';

function newestMtime(target: string): number {
  if (!fs.existsSync(target)) return 0;
  const st = fs.statSync(target);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = 0;
  for (const entry of fs.readdirSync(target)) {
    if (entry === 'dist' || entry === 'node_modules') continue;
    newest = Math.max(newest, newestMtime(path.join(target, entry)));
  }
  return newest;
}

/** Builds client/dist when it is missing or older than the client's sources or the shared models. */
export function ensureClientBuilt() {
  const index = path.join(repo, 'client/dist/index.html');
  const built = fs.existsSync(index) ? fs.statSync(index).mtimeMs : 0;
  const sources = Math.max(newestMtime(path.join(repo, 'client')), newestMtime(path.join(repo, 'models')));
  if (built >= sources) return;
  const vite = path.join(repo, 'node_modules/vite/bin/vite.js');
  const out = spawnSync(process.execPath, [vite, 'build', '--config', 'client/vite.config.ts', '--logLevel', 'warn'], {
    cwd: repo,
    encoding: 'utf8',
    timeout: 5 * 60_000,
  });
  if (out.status !== 0) throw new Error(`client build failed (${out.status ?? out.signal}):\n${out.stdout}\n${out.stderr}`);
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/**
 * One browser for a suite: registers its hooks (skipped with a note where there is no Chromium; the client is
 * built first) and returns the browser for the tests.
 */
export function useBrowser(): () => Browser {
  let browser: Browser | undefined;
  before(async function () {
    if (!fs.existsSync(chromiumPath)) {
      console.warn(`      (no Chromium at ${chromiumPath}; set FUCHAN_CHROMIUM to run the browser tests)`);
      this.skip();
    }
    this.timeout(5 * 60_000);
    ensureClientBuilt();
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
  });
  return () => browser!;
}

export async function screenshot(page: Page, name: string, fullPage = true) {
  fs.mkdirSync(artifactsDir, { recursive: true });
  await page.screenshot({ path: path.join(artifactsDir, name), fullPage });
}

/** Signs in through the form and waits until the live connection has caught up. */
export async function signIn(page: Page, url: string, email: string, password: string) {
  await page.goto(url);
  await page.getByTestId('login-email').fill(email);
  await page.getByTestId('login-password').fill(password);
  await page.getByTestId('login-submit').click();
  // the first resync replays the demo's log: on a machine busy with other work that can take a while
  await page.locator('[data-testid=conn-status][data-state=connected]').waitFor({ timeout: 60_000 });
}

const latinWord = /[A-Za-z]{2,}/g;

function words(texts: Iterable<string>): Set<string> {
  const out = new Set<string>();
  for (const s of texts) for (const w of s.match(latinWord) ?? []) out.add(w.toLowerCase());
  return out;
}

/** Words of the English UI dictionary, less those the Chinese data and dictionary use ("GB", "ISO", "CSV"...). */
export const englishUiWords: Set<string> = (() => {
  const zhData = [
    ...catalog.categories.flatMap((c) => [c.name.zh, c.unit.zh]),
    ...catalog.capabilities.map((c) => c.name.zh),
    ...catalog.certifications.map((c) => c.name.zh),
    ...provinces.flatMap((p) => [p.name.zh, p.capital.zh]),
    ...chineseStrings,
  ];
  const allowed = words(zhData);
  const out = new Set<string>();
  for (const w of words(englishStrings)) if (!allowed.has(w)) out.add(w);
  return out;
})();

/**
 * Visible UI text of the page (text nodes, placeholders, labels for assistive technology), leaving out
 * whatever sits inside `[data-i18n-exempt]` (organization names and other data). `<details>` are opened
 * first so folded explanations are checked too.
 */
export async function visibleUiText(page: Page): Promise<string[]> {
  // a string, not a function: the test runner's transpiler would add helpers the page does not have
  return page.evaluate(`(() => {
    for (const d of document.querySelectorAll('details')) d.open = true;
    const out = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const text = (n.textContent || '').trim();
      const el = n.parentElement;
      if (!text || !el || el.closest('[data-i18n-exempt], script, style')) continue;
      if (!el.checkVisibility({ checkVisibilityCSS: true })) continue;
      out.push(text);
    }
    for (const el of document.querySelectorAll('[placeholder], [aria-label], [title]')) {
      if (el.closest('[data-i18n-exempt]')) continue;
      for (const a of ['placeholder', 'aria-label', 'title']) {
        const v = el.getAttribute(a);
        if (v) out.push(v);
      }
    }
    out.push(document.title);
    return out;
  })()`);
}

/** The English UI words found in `texts` (each with the text it was found in). */
export function untranslated(texts: string[]): string[] {
  const found: string[] = [];
  for (const s of texts) {
    for (const w of s.match(latinWord) ?? []) {
      if (englishUiWords.has(w.toLowerCase())) found.push(`${w} in "${s.slice(0, 80)}"`);
    }
  }
  return found;
}

/** Chinese characters found in `texts`. */
export function chineseIn(texts: string[]): string[] {
  return texts.filter((s) => /[\u3400-\u9fff]/.test(s));
}

/** JSON over the API with a bearer token. */
export async function apiCall<T>(url: string, method: string, path: string, token: string, body?: unknown): Promise<T> {
  const res = await fetch(`${url}/api${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = (await res.json()) as T;
  if (!res.ok) throw new Error(`${method} ${path} -> ${res.status} ${JSON.stringify(data)}`);
  return data;
}

/** The smallest file the server takes for a PDF (its content starts with the PDF signature). */
export const TINY_PDF = Buffer.from('%PDF-1.4\n1 0 obj <</Type /Catalog>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n');

/** Uploads evidence for one of the organization's certifications (it becomes `submitted`); returns the record. */
export async function submitEvidence(url: string, token: string, certification: string): Promise<{ id: string; state: string }> {
  const form = new FormData();
  form.append('certificateNumber', `E2E-${certification}`);
  form.append('issuer', 'E2E Certification Body');
  form.append('validFrom', new Date(Date.now() - 30 * 86_400_000).toISOString());
  form.append('validUntil', new Date(Date.now() + 365 * 86_400_000).toISOString());
  form.append('file', new Blob([TINY_PDF], { type: 'application/pdf' }), `${certification}.pdf`);
  const res = await fetch(`${url}/api/certifications/mine/${certification}/evidence`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
  const data = (await res.json()) as { id: string; state: string };
  if (!res.ok) throw new Error(`evidence ${certification} -> ${res.status} ${JSON.stringify(data)}`);
  return data;
}

/**
 * Through the HTTP API, as people do it: submits evidence for each certification and has a staff account (admin or
 * coordinator in scope) verify it (`test/fixtures/trust.ts` `verifyCertifications` records the decision directly instead).
 */
export async function submitAndVerifyEvidence(url: string, supplierToken: string, staffToken: string, certifications: string[]) {
  for (const c of certifications) {
    const rec = await submitEvidence(url, supplierToken, c);
    await apiCall(url, 'POST', `/certifications/${encodeURIComponent(rec.id)}/verify`, staffToken, {});
  }
}

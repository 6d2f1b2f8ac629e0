import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import axe from 'axe-core';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
/** Screenshots of the main pages land here (git-ignored) for people to look at. */
export const SCREENSHOTS = path.join(ROOT, 'test/web/screenshots');

/** Builds web/dist if it is missing or older than its sources, as `npm install` does. */
export function ensureWebBuilt(): void {
  const result = spawnSync(process.execPath, [path.join(ROOT, 'scripts/build-web.mjs')], {
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`web build failed:\n${result.stdout}\n${result.stderr}`);
}

/** Debian's Chromium, driven by playwright-core (never a downloaded browser). */
export function useBrowser(): { browser: Browser } {
  const handle = {} as { browser: Browser };
  beforeAll(async () => {
    ensureWebBuilt();
    handle.browser = await chromium.launch({ executablePath: '/usr/bin/chromium' });
  });
  afterAll(async () => {
    await handle.browser?.close();
  });
  return handle;
}

/** A page that fails the test on any uncaught script error. */
export async function newPage(
  browser: Browser,
  baseURL: string,
  viewport = { width: 1280, height: 900 },
): Promise<Page> {
  const context = await browser.newContext({ baseURL, viewport, locale: 'en-GB' });
  const page = await context.newPage();
  page.on('pageerror', (error) => {
    throw new Error(`script error in the page: ${error.message}`);
  });
  return page;
}

export async function signIn(page: Page, email: string, password: string): Promise<void> {
  await page.goto('/');
  await page.getByLabel(/^(Email|البريد الإلكتروني)$/).fill(email);
  await page.getByLabel(/^(Password|كلمة المرور)$/).fill(password);
  await page.getByRole('button', { name: /^(Sign in|دخول)$/ }).click();
  await page.locator('nav.mainnav').waitFor();
}

/**
 * axe-core on the page as it is: no serious or critical violation. axe goes in by evaluation, not
 * as an inline script tag, because the app's CSP (script-src 'self') rightly blocks inline scripts
 * and the test should see the page under its real policy.
 */
export async function expectAccessible(page: Page, label: string): Promise<void> {
  await page.evaluate(axe.source);
  const result = await page.evaluate(async () => {
    const run = await (
      window as unknown as { axe: { run(): Promise<{ violations: Array<Record<string, unknown>> }> } }
    ).axe.run();
    return run.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: (v.nodes as Array<{ target: unknown }>).slice(0, 3).map((n) => JSON.stringify(n.target)),
    }));
  });
  const serious = result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(serious, `${label}: ${JSON.stringify(serious, null, 1)}`).toEqual([]);
}

export async function screenshot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD } from '../../server/demo/demo.service.ts';
import { useTestDatabase } from '../support/database.ts';
import { useProduct } from '../support/http.ts';
import { expectAccessible, newPage, screenshot, signIn, useBrowser } from './browser.ts';

// Every main page of the demo product in English and Arabic, on a desktop and on a phone (375 px):
// accessible to axe, nothing wider than a phone's screen, and photographed into
// test/web/screenshots for people to look at (`node scripts/screenshots.ts` runs only this file).
const test = useTestDatabase();
const app = useProduct(test, { DEMO: 'true' });
const chrome = useBrowser();

const widths = { desktop: 1280, phone: 375 } as const;
const pages = [
  'dashboard',
  'fleet',
  'runs',
  'run',
  'violations',
  'vehicle',
  'payments',
  'exceptions',
  'certificates',
  'settings',
] as const;
const paths: Record<(typeof pages)[number], string> = {
  dashboard: '/',
  fleet: '/fleet',
  runs: '/runs',
  run: '',
  violations: '/violations',
  vehicle: '',
  payments: '/payments',
  exceptions: '/exceptions',
  certificates: '/certificates',
  settings: '/settings',
};

async function firstLink(page: Page, from: string, prefix: string): Promise<string> {
  await page.goto(from);
  const link = page.locator(`main a[href^="${prefix}"]`).first();
  await link.waitFor();
  return (await link.getAttribute('href'))!;
}

/** No page wider than the screen: wide tables scroll inside their own box. */
async function expectNoOverflow(page: Page, label: string): Promise<void> {
  const overflow = await page.evaluate(() => {
    const width = window.innerWidth;
    // The outermost elements that stick out, to say what is too wide.
    const out = Array.from(document.querySelectorAll('body *'))
      .filter((e) => !e.closest('.table-scroll'))
      .filter((e) => {
        const r = e.getBoundingClientRect();
        return r.width > 0 && (r.right > width + 0.5 || r.left < -0.5);
      })
      .slice(0, 3)
      .map((e) => `${e.tagName.toLowerCase()}.${e.className} "${(e.textContent ?? '').slice(0, 40)}"`);
    return { by: document.documentElement.scrollWidth - width, out };
  });
  expect(overflow.by, `${label} is wider than the screen: ${overflow.out.join('; ')}`).toBeLessThanOrEqual(0);
}

beforeAll(async () => {
  // The newest run and a vehicle with violations, as a person would reach them.
  const p = await newPage(chrome.browser, app.product.url!);
  await signIn(p, 'owner.jo@demo.fleet', DEMO_PASSWORD);
  paths.run = await firstLink(p, '/runs', '/runs/');
  paths.vehicle = await firstLink(p, '/violations', '/vehicles/');
  await p.context().close();
}, 60_000);

describe('the main pages, in both languages, on a desktop and a phone', { timeout: 180_000 }, () => {
  for (const language of ['en', 'ar'] as const) {
    for (const [device, width] of Object.entries(widths)) {
      it(`${language} on a ${device} (${width}px)`, async () => {
        const p = await newPage(chrome.browser, app.product.url!, { width, height: 844 });
        await p.addInitScript((lang) => localStorage.setItem('ff.language', lang), language);
        const suffix = device === 'phone' ? '-phone' : '';
        await p.goto('/');
        await p.locator('form').first().waitFor();
        await p.waitForLoadState('networkidle');
        await screenshot(p, `${language}${suffix}-sign-in`);
        await expectAccessible(p, `${language} ${device} sign-in`);
        await expectNoOverflow(p, `${language} ${device} sign-in`);
        await signIn(p, 'owner.jo@demo.fleet', DEMO_PASSWORD);
        for (const name of pages) {
          await p.goto(paths[name]);
          await p.locator('main h1').waitFor();
          await p.waitForLoadState('networkidle');
          expect(await p.evaluate(() => document.documentElement.dir)).toBe(
            language === 'ar' ? 'rtl' : 'ltr',
          );
          await screenshot(p, `${language}${suffix}-${name}`);
          await expectAccessible(p, `${language} ${device} ${name}`);
          await expectNoOverflow(p, `${language} ${device} ${name}`);
        }
        await p.context().close();
      });
    }
  }
});

import fs from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { loadConfig } from '../../server/config.ts';
import { DEMO_PASSWORD } from '../../server/demo/demo.service.ts';
import { createLogger } from '../../server/logger.ts';
import { startProduct } from '../../server/product.ts';
import { ensureWebBuilt } from '../web/browser.ts';
import type { Bench } from './harness.ts';

const DIST = path.resolve(import.meta.dirname, '../../web/dist');
/** The budget for the first load's JavaScript, gzipped. */
const FIRST_LOAD_BUDGET_BYTES = 250 * 1024;

const gzipped = (file: string) => gzipSync(fs.readFileSync(file), { level: 9 }).length;

export const webBenches: Bench[] = [
  {
    name: 'web',
    description:
      "the web app's build (JS gzip: all of it, and what the dashboard's first load fetches, against the 250 KB budget) and the dashboard's time to interactive on the demo data, against fetching its API answer alone in the same browser",
    async run({ env, record }) {
      ensureWebBuilt();
      const all = fs
        .readdirSync(path.join(DIST, 'assets'))
        .filter((f) => f.endsWith('.js'))
        .reduce((sum, f) => sum + gzipped(path.join(DIST, 'assets', f)), 0);
      console.log(`  all JS chunks, gzipped: ${(all / 1024).toFixed(1)} KB`);

      const config = loadConfig({ ...env, PORT: '0', DEMO: 'true' }, ['--role=all']);
      const product = await startProduct(config, createLogger({ level: 'silent', pretty: false }));
      const browser = await chromium.launch({ executablePath: '/usr/bin/chromium' });
      try {
        const context = await browser.newContext({ baseURL: product.url });
        const signIn = await context.request.post('/api/v1/session', {
          data: { email: 'owner.jo@demo.fleet', password: DEMO_PASSWORD },
        });
        if (!signIn.ok()) throw new Error(`sign-in failed: ${signIn.status()}`);
        const accountId = ((await signIn.json()) as { accounts: Array<{ id: string }> }).accounts[0]!.id;
        const times: number[] = [];
        const floors: number[] = [];
        let firstLoadJs = 0;
        for (let i = 0; i < 5; i++) {
          const page = await context.newPage();
          const scripts = new Set<string>();
          page.on('response', (res) => {
            const u = new URL(res.url());
            if (u.pathname.endsWith('.js')) scripts.add(u.pathname);
          });
          const started = performance.now();
          await page.goto('/');
          // Interactive: the outstanding amount is drawn and the navigation answers a click.
          await page.getByTestId('outstanding-amount').waitFor();
          await page.locator('nav.mainnav a').first().click({ trial: true });
          times.push(performance.now() - started);
          firstLoadJs = [...scripts].reduce((sum, p) => sum + gzipped(path.join(DIST, p)), 0);
          const floorStarted = performance.now();
          await page.evaluate(
            (id) => fetch('/api/v1/dashboard', { headers: { 'x-account-id': id } }).then((r) => r.json()),
            accountId,
          );
          floors.push(performance.now() - floorStarted);
          await page.close();
        }
        const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
        record({
          name: 'web.first_load_js_gzip',
          value: Math.round(firstLoadJs / 1024),
          unit: 'KB',
          floor: FIRST_LOAD_BUDGET_BYTES / 1024,
          kind: 'time',
        });
        record({
          name: 'web.dashboard_tti',
          value: Math.round(median(times)),
          unit: 'ms',
          floor: Math.max(1, Math.round(median(floors))),
          kind: 'time',
        });
      } finally {
        await browser.close();
        await product.stop();
      }
    },
  },
];

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addRecipient } from '../../server/alerts/alerts.service.ts';
import type { AlertChannels } from '../../server/alerts/channels/channel.ts';
import { createEmailChannel } from '../../server/alerts/channels/email.ts';
import { createWebhookChannel } from '../../server/alerts/channels/webhook.ts';
import type { DigestEvents } from '../../server/alerts/digest.ts';
import {
  type KeptMail,
  type LocalMailbox,
  readJsonFiles,
  startLocalMailbox,
} from '../../server/alerts/local-mailbox.ts';
import { drainOutbox } from '../../server/alerts/outbox.ts';
import { withTenant } from '../../server/db/tenant.ts';
import { type JurisdictionCode, jurisdictions } from '../../server/jurisdictions/profiles.ts';
import { currencies, formatMinor } from '../../server/money/money.ts';
import { useTestDatabase } from '../support/database.ts';
import { makeAccount, makeVehicles } from '../support/factories.ts';
import { useJobQueue } from '../support/queue.ts';
import { finesFor, LOCAL_RECEIVERS, runNight, startWebhookReceiver } from './support.ts';

const test = useTestDatabase();
const jobs = useJobQueue(test);
let mailDir: string;
let mailbox: LocalMailbox;

beforeAll(async () => {
  mailDir = fs.mkdtempSync(path.join(os.tmpdir(), 'alerts-amounts-'));
  mailbox = await startLocalMailbox({ dir: mailDir, port: 0 });
});
afterAll(async () => {
  await mailbox?.close();
  fs.rmSync(mailDir, { recursive: true, force: true });
});

const cases: Array<[JurisdictionCode, 'JOD' | 'IQD' | 'EGP']> = [
  ['JO', 'JOD'],
  ['IQ', 'IQD'],
  ['EG', 'EGP'],
];

describe("a digest's amounts equal the run's totals", { timeout: 60_000 }, () => {
  it.each(cases)('%s (%s), in Arabic and English, by email and webhook', async (jurisdiction, code) => {
    const account = await makeAccount(test.db, jurisdiction);
    const plates = Array.from({ length: 7 }, (_, i) => `${jurisdiction}:${i + 1}-${4000 + i}`);
    await makeVehicles(test.db, account.id, plates);
    let secret = '';
    const hook = await startWebhookReceiver(() => secret);
    const email = createEmailChannel({ smtpUrl: mailbox.url, from: 'alerts@fleet.test', timeoutMs: 3000 });
    const channels: AlertChannels = {
      email,
      sms: email,
      webhook: createWebhookChannel({ timeoutMs: 3000, allowPrivate: true }),
    };
    try {
      await withTenant(test.db, account.id, async (trx) => {
        await addRecipient(trx, account.id, {
          channel: 'email',
          address: `ar.${code}@example.test`,
          language: 'ar',
        });
        await addRecipient(trx, account.id, {
          channel: 'email',
          address: `en.${code}@example.test`,
          language: 'en',
        });
        secret = (
          await addRecipient(
            trx,
            account.id,
            { channel: 'webhook', address: hook.url, language: 'ar' },
            LOCAL_RECEIVERS,
          )
        ).secret!;
      });
      const fines = finesFor(jurisdiction, plates);
      const { runId, summary } = await runNight(test.db, jobs.queue, account.id, fines);
      const result = await drainOutbox(test.db, channels, {
        now: new Date(Date.now() + 1000),
        retry: { maxAttempts: 3, baseSeconds: 1, maxSeconds: 1 },
        baseUrl: 'http://127.0.0.1:3000',
        accountId: account.id,
      });
      expect(result).toEqual({ sent: 3, retrying: 0, dead: 0 });

      // The run's totals, and the deadlines worked out here from the fines the authority gave.
      const created = summary.changes.find((c) => c.change === 'new')!;
      const all = [...fines.values()].flat();
      expect(created.violations).toBe(all.length);
      const rule = jurisdictions[jurisdiction].escalation[0]!;
      const soon = all.filter((f) => Date.now() - Date.parse(f.offenceAt) > 10 * 86_400_000);
      const soonMinor = soon.reduce((s, f) => s + f.amountMinor, 0n);
      const savesMinor = soon.reduce(
        (s, f) => s + (f.amountMinor * BigInt(rule.numerator)) / BigInt(rule.denominator) - f.amountMinor,
        0n,
      );

      const { rows } = await sql<{ language: string; events: DigestEvents }>`
        select language, events from alert_digests where account_id = ${account.id} and run_id = ${runId}`.execute(
        test.ownerDb,
      );
      for (const { events } of rows) {
        expect(events.currency).toBe(code);
        expect(events.newViolations).toEqual({
          count: created.violations,
          amountMinor: created.amountMinor.toString(),
        });
        expect(events.outstanding).toEqual({
          count: summary.outstanding.violations,
          amountMinor: summary.outstanding.amountMinor.toString(),
        });
        expect(events.deadlines.count).toBe(soon.length);
        expect(events.deadlines.amountMinor).toBe(soonMinor.toString());
        expect(events.deadlines.savesMinor).toBe(savesMinor.toString());
      }

      const shown = (minor: bigint, language: 'ar' | 'en') =>
        formatMinor(minor, currencies[code], { locale: language, withCurrency: true });
      const mail = readJsonFiles<KeptMail>(mailDir).filter((m) => m.accountId === account.id.toString());
      expect(mail.map((m) => m.language).sort()).toEqual(['ar', 'en']);
      for (const m of mail) {
        const language = m.language as 'ar' | 'en';
        for (const amount of [created.amountMinor, summary.outstanding.amountMinor, soonMinor, savesMinor]) {
          expect(m.text, `${language} ${amount}`).toContain(shown(amount, language));
          expect(m.html).toContain(shown(amount, language));
        }
        expect(m.html).toContain(language === 'ar' ? 'dir="rtl"' : 'dir="ltr"');
        expect(m.text).toContain(`http://127.0.0.1:3000/runs/${runId}`);
      }

      const [delivered] = [...hook.accepted.values()];
      const data = (delivered!.body as { data: DigestEvents & { lines: string[] } }).data;
      expect(data.newViolations.amountMinor).toBe(created.amountMinor.toString());
      expect(data.outstanding.amountMinor).toBe(summary.outstanding.amountMinor.toString());
      expect(data.lines.join('\n')).toContain(shown(summary.outstanding.amountMinor, 'ar'));
    } finally {
      await email.close?.();
      await hook.close();
    }
  });
});

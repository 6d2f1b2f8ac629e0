/** Helpers for the alerts tests: a night run through the real pipeline, and a webhook receiver that verifies as a receiver would. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import type { AuthorityViolation, PlateLookup } from '../../server/authority/contract.ts';
import type { Database } from '../../server/db/database.ts';
import { withTenant } from '../../server/db/tenant.ts';
import { type JurisdictionCode, jurisdictions } from '../../server/jurisdictions/profiles.ts';
import type { JobQueue } from '../../server/queue.ts';
import {
  type AuthorityDirectory,
  type RunSettings,
  reconcileRun,
  runLookupBatch,
  startRun,
} from '../../server/runs/runs.service.ts';

export const RUN_SETTINGS: RunSettings = {
  batchSize: 100,
  guard: { sharePercent: 50, minCount: 10, confirmNights: 3 },
  stuckAfterMinutes: 360,
};

const currencyOf = { JO: 'JOD', IQ: 'IQD', EG: 'EGP' } as const;

/**
 * Per plate, two fines: one whose escalation deadline (the jurisdiction's rule) falls in five
 * days, within the week ahead, and one from two days ago (outside it). Amounts differ per plate.
 */
export function finesFor(jurisdiction: JurisdictionCode, plateKeys: string[], now = new Date()) {
  const ago = (days: number) => new Date(now.getTime() - days * 86_400_000).toISOString();
  const soon = jurisdictions[jurisdiction].escalation[0]!.afterDays - 5;
  return new Map(
    plateKeys.map((key, i): [string, AuthorityViolation[]] => [
      key,
      [
        { days: soon, amount: 15_000n + BigInt(i) * 1_250n },
        { days: 2, amount: 7_500n + BigInt(i) * 10n },
      ].map((f, j) => ({
        ticketNumber: `${jurisdiction}-${i}-${j}-${f.days}`,
        offenceAt: ago(f.days),
        typeCode: 'SPD',
        descriptionAr: 'تجاوز السرعة',
        descriptionEn: 'Speeding',
        location: 'Main St.',
        amountMinor: f.amount,
        currency: currencyOf[jurisdiction],
        status: 'unpaid' as const,
        authorityPaymentRef: null,
      })),
    ]),
  );
}

/** One run of an account through the real pipeline (start, lookup batch, reconcile), answered by `answers`; scheduled when given its night. */
export async function runNight(
  db: Database,
  queue: JobQueue,
  accountId: bigint,
  answers: Map<string, AuthorityViolation[]>,
  localNight: string | null = null,
) {
  const authority: AuthorityDirectory = {
    forJurisdiction: () => ({
      queryPlates: async (keys) =>
        new Map(
          keys.map((k): [string, PlateLookup] => [k, { status: 'ok', violations: answers.get(k) ?? [] }]),
        ),
    }),
  };
  const run = await withTenant(db, accountId, (trx) =>
    startRun(
      trx,
      queue,
      { accountId, kind: localNight ? 'scheduled' : 'manual', localNight, requestedBy: null },
      RUN_SETTINGS,
    ),
  );
  await runLookupBatch(db, queue, authority, { accountId, runId: run!.id, batchNo: 0 });
  const summary = await reconcileRun(db, queue, { accountId, runId: run!.id }, RUN_SETTINGS);
  return { runId: run!.id, summary: summary! };
}

export interface WebhookDelivery {
  id: string;
  verified: boolean;
  body: unknown;
}

/**
 * An account's own webhook endpoint: answers `plan` statuses in turn (then 200), checks every
 * delivery with standardwebhooks' Webhook.verify and keeps a delivery once per webhook-id.
 */
export async function startWebhookReceiver(secret: () => string, plan: number[] = [], delayMs = 0) {
  const requests: Array<{ id: string; status: number }> = [];
  /** Deliveries that reached the receiver, answered or not yet. */
  const arrived: string[] = [];
  const accepted = new Map<string, WebhookDelivery>();
  let always: number | undefined;
  const server = http.createServer((req, res) => {
    arrived.push(String(req.headers['webhook-id']));
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
      const id = String(req.headers['webhook-id']);
      const status = always ?? plan.shift() ?? 200;
      requests.push({ id, status });
      if (status !== 200) {
        res.writeHead(status).end('receiver fault');
        return;
      }
      const raw = Buffer.concat(chunks).toString('utf8');
      let verified = false;
      let body: unknown;
      try {
        body = new Webhook(secret()).verify(raw, req.headers as Record<string, string>);
        verified = true;
      } catch {
        verified = false;
      }
      if (!verified) {
        res.writeHead(401).end('bad signature');
        return;
      }
      // A replay (same webhook-id) is recognised and not processed twice.
      if (!accepted.has(id)) accepted.set(id, { id, verified, body });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/hooks/fleet`,
    requests,
    arrived,
    accepted,
    alwaysAnswer(status: number) {
      always = status;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The tests' webhook receivers listen on localhost, which only an explicit setting allows. */
export const LOCAL_RECEIVERS = { allowPrivateWebhooks: true };

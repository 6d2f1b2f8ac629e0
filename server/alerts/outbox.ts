import type { Database } from '../db/database.ts';
import { withTenant } from '../db/tenant.ts';
import type { Language } from '../i18n/messages.ts';
import { reasonText } from '../i18n/reasons.ts';
import {
  type ClaimedDigest,
  claimDigestKeys,
  completeDigests,
  type DigestOutcome,
  readClaimedDigests,
} from './alerts.repo.ts';
import { type RetryPolicy, retryAt } from './alerts.settings.ts';
import type { AlertChannels, OutgoingAlert } from './channels/channel.ts';
import { type DigestEvents, renderDigest, webhookPayload } from './digest.ts';

export interface DrainOptions {
  now: Date;
  /** Only this account's digests (the wake-up after its run); every account's when absent. */
  accountId?: bigint;
  retry: RetryPolicy;
  /** The product's address, for the digest's link. */
  baseUrl: string;
  /** How long a claimed digest is left to its sender before another may claim it. */
  leaseSeconds?: number;
  /** Digests claimed at a time, and how many go out at once. */
  batchSize?: number;
  concurrency?: number;
  /** Stop after this many batches (a drain never runs forever; the next wake-up goes on). */
  maxBatches?: number;
}

export interface DrainResult {
  sent: number;
  retrying: number;
  dead: number;
}

/**
 * Drains the outbox: claims due digests (and those whose sender died past its lease), sends each
 * on its channel, then records every outcome at once — sent, retried later with capped backoff, or
 * dead-lettered past the attempt limit with the reason. A failing channel, endpoint or account
 * costs only its own digests. Delivery is at least once: a sender killed after sending and before
 * recording sends again, with the same idempotency key.
 */
export async function drainOutbox(
  db: Database,
  channels: AlertChannels,
  options: DrainOptions,
): Promise<DrainResult> {
  const result: DrainResult = { sent: 0, retrying: 0, dead: 0 };
  const batchSize = options.batchSize ?? 200;
  for (let batch = 0; batch < (options.maxBatches ?? 50); batch++) {
    const claimed = await claimDigests(
      db,
      options.accountId ?? null,
      options.now,
      options.leaseSeconds ?? 300,
      batchSize,
    );
    if (claimed.length === 0) break;
    const outcomes = await mapLimited(claimed, options.concurrency ?? 32, (digest) =>
      deliver(channels, digest, options),
    );
    await recordOutcomes(db, claimed, outcomes, options.now);
    for (const o of outcomes) {
      if (o.ok) result.sent++;
      else if (o.retryAt) result.retrying++;
      else result.dead++;
    }
    if (claimed.length < batchSize) break;
  }
  return result;
}

/**
 * Claims due digests and reads what they say. The claim crosses tenants but yields only keys; each
 * account's digests, with its webhook secrets, are read inside that account's walled transaction.
 */
export async function claimDigests(
  db: Database,
  accountId: bigint | null,
  now: Date,
  leaseSeconds: number,
  limit: number,
): Promise<ClaimedDigest[]> {
  const keys = await claimDigestKeys(db, accountId, now, leaseSeconds, limit);
  const claimed: ClaimedDigest[] = [];
  for (const [account, ids] of byAccount(
    keys,
    (k) => k.account_id,
    (k) => k.id,
  )) {
    claimed.push(...(await withTenant(db, account, (trx) => readClaimedDigests(trx, account, ids))));
  }
  return claimed;
}

/** Records each account's outcomes inside its own walled transaction. */
async function recordOutcomes(
  db: Database,
  claimed: ClaimedDigest[],
  outcomes: DigestOutcome[],
  now: Date,
): Promise<void> {
  const pairs = claimed.map((digest, i) => ({ account: digest.account_id, outcome: outcomes[i]! }));
  for (const [account, accountOutcomes] of byAccount(
    pairs,
    (p) => p.account,
    (p) => p.outcome,
  )) {
    await withTenant(db, account, (trx) => completeDigests(trx, account, now, accountOutcomes));
  }
}

function byAccount<T, V>(items: T[], account: (item: T) => bigint, value: (item: T) => V): Map<bigint, V[]> {
  const groups = new Map<bigint, V[]>();
  for (const item of items) {
    const key = account(item);
    const group = groups.get(key);
    if (group) group.push(value(item));
    else groups.set(key, [value(item)]);
  }
  return groups;
}

async function deliver(
  channels: AlertChannels,
  digest: ClaimedDigest,
  options: DrainOptions,
): Promise<DigestOutcome> {
  const base = {
    id: digest.id.toString(),
    attempts: digest.attempts,
  };
  try {
    await channels[digest.channel].send(outgoing(digest, options.baseUrl, new Date()));
    return { ...base, ok: true, error: null, retryAt: null };
  } catch (error) {
    const next = retryAt(options.now, digest.attempts, options.retry);
    return { ...base, ok: false, error: describe(error), retryAt: next?.toISOString() ?? null };
  }
}

/** The digest in its recipient's language, as each channel needs it. */
export function outgoing(digest: ClaimedDigest, baseUrl: string, sentAt: Date): OutgoingAlert {
  const events = digest.events as DigestEvents;
  const language = digest.language as Language;
  const rendered = renderDigest({
    kind: digest.kind,
    events,
    language,
    accountName: language === 'ar' ? digest.legal_name_ar : digest.legal_name_en,
    baseUrl,
  });
  return {
    accountId: digest.account_id.toString(),
    destination: digest.destination,
    language,
    idempotencyKey: digest.idempotency_key,
    subject: rendered.subject,
    text: rendered.text,
    html: rendered.html,
    lines: rendered.lines,
    link: rendered.link,
    json: JSON.stringify(webhookPayload(digest.kind, events, rendered, digest.account_id.toString(), sentAt)),
    secret: digest.secret,
  };
}

/** Why a delivery failed, for the attempt log and the owner's outbox page. */
function describe(error: unknown): string {
  const e = error as {
    name?: string;
    message?: string;
    code?: string;
    cause?: { code?: string; message?: string };
  };
  if (e?.name === 'TimeoutError' || e?.code === 'ETIMEDOUT') return reasonText('delivery.timeout');
  const cause = e?.cause?.code ?? e?.code;
  const text = e?.message ?? String(error);
  return (
    cause && !text.includes(cause) ? reasonText('delivery.with_cause', { reason: text, cause }) : text
  ).slice(0, 500);
}

async function mapLimited<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await work(items[i]!);
    }
  });
  await Promise.all(lanes);
  return out;
}

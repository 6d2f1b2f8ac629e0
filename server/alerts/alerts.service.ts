import { randomBytes } from 'node:crypto';
import type { Tx } from '../db/tenant.ts';
import { DomainError, notFound } from '../errors.ts';
import { bilingual } from '../i18n/messages.ts';
import { reasonAr } from '../i18n/reasons.ts';
import type { JobQueue } from '../queue.ts';
import { toAsciiDigits } from '../sheets/normalise.ts';
import { alertJobs } from './alerts.jobs.ts';
import {
  type AlertSettingsRow,
  deactivateRecipient,
  findAccountForAlerts,
  findSettings,
  insertRecipient,
  insertRunDigests,
  listDigests,
  listRecipients,
  type RecipientRow,
  requeueDigest,
  upsertSettings,
} from './alerts.repo.ts';
import type { CurrencyCode, DigestEvents } from './digest.ts';
import { firstPrivate, resolveHost, urlHost } from './webhook-address.ts';

const refusedSetting = (key: string, field: string, values: Record<string, string> = {}) => {
  const words = bilingual(`alerts.${key}`, values);
  return new DomainError(`alerts.${key}`, words.en, {
    status: 422,
    details: { field, ...values, message: words },
  });
};

export interface RecipientInput {
  channel: 'email' | 'sms' | 'webhook';
  role?: 'owner' | 'fleet_admin' | 'accountant' | 'viewer' | undefined;
  address?: string | undefined;
  language: 'ar' | 'en';
}

// Deliberately plain: one @, no spaces, a dot in the domain. Deliverability is the server's to judge.
const EMAIL = /^[^\s@]{1,64}@[^\s@.]+(\.[^\s@.]+)+$/;
const PHONE = /^\+[1-9][0-9]{7,14}$/;

/** An address written the way people write it, normalised for its channel, or a clear refusal. */
export function normaliseAddress(channel: RecipientInput['channel'], raw: string): string {
  const address = raw.trim();
  if (channel === 'email') {
    const email = address.toLowerCase();
    if (!EMAIL.test(email) || email.length > 254)
      throw refusedSetting('recipient_email_invalid', 'address', { address });
    return email;
  }
  if (channel === 'sms') {
    // Arabic-Indic digits, spaces, dashes, brackets and a 00 prefix are how numbers get written.
    const phone = toAsciiDigits(address)
      .replace(/[\s\-().\u200e\u200f]/g, '')
      .replace(/^00/, '+');
    if (!PHONE.test(phone)) throw refusedSetting('recipient_phone_invalid', 'address', { address });
    return phone;
  }
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    throw refusedSetting('recipient_url_invalid', 'address', { address });
  }
  const local = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (!(url.protocol === 'https:' || (url.protocol === 'http:' && local)) || url.username || url.password) {
    throw refusedSetting('recipient_url_invalid', 'address', { address });
  }
  return url.toString();
}

/**
 * A webhook URL whose host is, or resolves to, a loopback, private, link-local or metadata address
 * is refused unless private receivers are allowed. A host that does not resolve now is kept: DNS
 * can be down for a moment, and every send resolves and checks again.
 */
async function refusePrivateWebhook(address: string): Promise<void> {
  const host = urlHost(new URL(address));
  const addresses = await resolveHost(host).catch(() => []);
  const bad = firstPrivate(addresses);
  if (bad) throw refusedSetting('recipient_url_private', 'address', { address, resolved: bad });
}

export async function addRecipient(
  trx: Tx,
  accountId: bigint,
  input: RecipientInput,
  options: { allowPrivateWebhooks?: boolean } = {},
) {
  if (input.role && input.channel !== 'email') throw refusedSetting('recipient_role_channel', 'role');
  const address = input.role ? null : normaliseAddress(input.channel, input.address ?? '');
  if (input.channel === 'webhook' && address && !options.allowPrivateWebhooks) {
    await refusePrivateWebhook(address);
  }
  // A webhook endpoint gets its own secret, shown once here (Standard Webhooks' whsec_ form).
  const secret = input.channel === 'webhook' ? `whsec_${randomBytes(24).toString('base64')}` : null;
  const id = await insertRecipient(trx, accountId, {
    channel: input.channel,
    role: input.role ?? null,
    address,
    language: input.language,
    secret,
  });
  return {
    id: id.toString(),
    channel: input.channel,
    role: input.role ?? null,
    address,
    language: input.language,
    secret,
  };
}

const DEMO_PHONES = { JO: '+962790000001', IQ: '+9647700000001', EG: '+201000000001' } as const;

/**
 * A demo account's alerts: its owners by email in Arabic, its accountants by email in English,
 * and an SMS number, so the quick start's night ends with digests to look at.
 */
export async function addDemoRecipients(trx: Tx, accountId: bigint, jurisdiction: keyof typeof DEMO_PHONES) {
  await addRecipient(trx, accountId, { channel: 'email', role: 'owner', language: 'ar' });
  await addRecipient(trx, accountId, { channel: 'email', role: 'accountant', language: 'en' });
  await addRecipient(trx, accountId, { channel: 'sms', address: DEMO_PHONES[jurisdiction], language: 'ar' });
}

export async function removeRecipient(trx: Tx, accountId: bigint, recipientId: bigint): Promise<void> {
  if (!(await deactivateRecipient(trx, accountId, recipientId))) {
    throw notFound('alert_recipient', 'no such alert recipient in this account');
  }
}

const presentRecipient = (r: RecipientRow) => ({
  id: r.id.toString(),
  channel: r.channel,
  role: r.role,
  address: r.address,
  language: r.language,
  hasSecret: r.has_secret,
  createdAt: r.created_at,
});

export async function alertSettings(trx: Tx, accountId: bigint) {
  const [settings, recipients] = await Promise.all([
    findSettings(trx, accountId),
    listRecipients(trx, accountId),
  ]);
  return {
    horizonDays: settings.horizon_days,
    dailyAllClear: settings.daily_all_clear,
    quietHours: settings.quiet_start ? { start: settings.quiet_start, end: settings.quiet_end } : null,
    recipients: recipients.map(presentRecipient),
  };
}

export async function saveAlertSettings(
  trx: Tx,
  accountId: bigint,
  input: { horizonDays: number; dailyAllClear: boolean; quietHours: { start: string; end: string } | null },
) {
  const row: AlertSettingsRow = {
    horizon_days: input.horizonDays,
    daily_all_clear: input.dailyAllClear,
    quiet_start: input.quietHours?.start ?? null,
    quiet_end: input.quietHours?.end ?? null,
  };
  await upsertSettings(trx, accountId, row);
  return alertSettings(trx, accountId);
}

/** A test digest to one recipient (each of a role's members), through the outbox like any other. */
export async function testSend(trx: Tx, queue: JobQueue, accountId: bigint, recipientId: bigint) {
  const recipients = await listRecipients(trx, accountId);
  if (!recipients.some((r) => r.id === recipientId)) {
    throw notFound('alert_recipient', 'no such alert recipient in this account');
  }
  const account = (await findAccountForAlerts(trx, accountId))!;
  const zero = { count: 0, amountMinor: '0' };
  const events: DigestEvents = {
    runId: null,
    night: account.now.toISOString().slice(0, 10),
    status: null,
    currency: account.currency as CurrencyCode,
    timeZone: account.time_zone,
    runError: null,
    failedVehicles: 0,
    newViolations: zero,
    escalated: zero,
    outstanding: zero,
    horizonDays: 0,
    deadlines: { ...zero, savesMinor: '0', first: [] },
    heldSettlements: 0,
    exceptionsOpened: 0,
    expiring: { ...zero, first: null },
    path: '/alerts',
  };
  const written = await insertRunDigests(
    trx,
    accountId,
    { runId: null, kind: 'test', events: JSON.stringify(events), recipientId },
    account.now,
    account.now,
  );
  await queue.send(trx, alertJobs.deliver, [{ accountId: accountId.toString() }]);
  return { digests: written };
}

export async function listOutbox(
  trx: Tx,
  accountId: bigint,
  filter: { status?: string; runId?: bigint; before?: bigint; limit: number },
) {
  const rows = await listDigests(trx, accountId, filter);
  return {
    digests: rows.map((d) => ({
      id: d.id.toString(),
      runId: d.run_id?.toString() ?? null,
      kind: d.kind,
      channel: d.channel,
      destination: d.destination,
      language: d.language,
      idempotencyKey: d.idempotency_key,
      status: d.status,
      attempts: d.attempts,
      nextAttemptAt: d.status === 'pending' ? d.next_attempt_at : null,
      lastError: d.last_error,
      lastErrorAr: reasonAr('delivery', d.last_error),
      sentAt: d.sent_at,
      createdAt: d.created_at,
      events: d.events,
      history: d.history.map((h) => ({ ...h, errorAr: reasonAr('delivery', h.error) })),
    })),
    nextCursor: rows.length === filter.limit ? rows.at(-1)!.id.toString() : null,
  };
}

/** Sends a sent or dead-lettered digest again, with its idempotency key (so a receiver that has it drops it). */
export async function resendDigest(trx: Tx, queue: JobQueue, accountId: bigint, digestId: bigint, now: Date) {
  const result = await requeueDigest(trx, accountId, digestId, now);
  if (result.status === null) {
    throw notFound('alert_digest', 'no such alert in this account');
  }
  if (!result.requeued) {
    const words = bilingual('alerts.digest_not_resendable', { status: result.status });
    throw new DomainError('alerts.digest_not_resendable', words.en, {
      status: 409,
      details: { status: result.status, message: words },
    });
  }
  await queue.send(trx, alertJobs.deliver, [{ accountId: accountId.toString() }]);
  return { id: digestId.toString(), status: 'pending' };
}

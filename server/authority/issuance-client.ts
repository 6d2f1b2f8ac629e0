/**
 * Client of the gateway's issuance call: payable numbers for sets of tickets, up to 100 sets and
 * MAX_ISSUANCE_TICKETS_PER_CALL tickets per call (a set is never split; one bigger than
 * MAX_TICKETS_PER_NUMBER is refused here, unsent). Every set carries an idempotency key, so a
 * retry after a timeout or a lost answer gets the numbers the authority already issued, never
 * new ones. A call refused as too large (413) refuses its sets with that reason, unretried. Whatever comes back is checked: the
 * number's shape, kind and check digits, the amount against the set's total, the expiry.
 */
import { z } from 'zod';
import { reasonText } from '../i18n/reasons.ts';
import type { JurisdictionCode } from '../jurisdictions/profiles.ts';
import { readPaymentNumber } from '../payments/payment-number.ts';
import {
  DEFAULT_MAX_ISSUANCE_REQUESTS,
  type IssuanceRequest,
  issuanceResponseSchema,
  MAX_ISSUANCE_TICKETS_PER_CALL,
  MAX_TICKETS_PER_NUMBER,
} from './contract.ts';
import { type BackoffPolicy, retryDelay, sleep } from './retry.ts';

export interface IssuanceItem {
  key: string;
  kind: 'violation' | 'vehicle' | 'consolidated';
  /** Oldest first: the network pays a partly paid number's tickets in this order. */
  tickets: Array<{ ticketNumber: string; amountMinor: bigint }>;
}

export type IssuanceOutcome =
  | { status: 'issued'; number: string; amountMinor: bigint; expiresAt: Date }
  | { status: 'refused'; code: string; message: string };

export interface AuthorityIssuer {
  issue(
    jurisdiction: JurisdictionCode,
    items: readonly IssuanceItem[],
  ): Promise<Map<string, IssuanceOutcome>>;
}

/** The authority could not be asked (after the retries): nothing may be recorded. */
export class IssuanceUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IssuanceUnavailableError';
  }
}

export interface IssuanceClientOptions {
  baseUrl: string;
  apiKey?: string;
  timeoutMs?: number;
  maxAttempts?: number;
  backoff?: BackoffPolicy;
  random?: () => number;
}

export function createIssuanceClient(options: IssuanceClientOptions): AuthorityIssuer {
  const url = new URL(
    'v1/payment-numbers',
    options.baseUrl.endsWith('/') ? options.baseUrl : `${options.baseUrl}/`,
  );
  const timeoutMs = options.timeoutMs ?? 15_000;
  const maxAttempts = options.maxAttempts ?? 4;
  const backoff = options.backoff ?? { baseMs: 300, capMs: 5_000 };
  const random = options.random ?? Math.random;

  /** The answer's JSON, or why the gateway refused the call as too large (HTTP 413). */
  async function call(body: IssuanceRequest): Promise<{ json: unknown } | { tooLarge: string }> {
    let lastError = reasonText('issuance.not_attempted');
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            accept: 'application/json',
            ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}),
          },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(timeoutMs),
        });
        const text = await response.text();
        if (response.status === 200) return { json: JSON.parse(text) };
        // The sets are refused as sent; retrying the same body cannot do better.
        if (response.status === 413) return { tooLarge: text.slice(0, 200) };
        lastError = reasonText('issuance.http_refused', {
          status: response.status,
          detail: text.slice(0, 200),
        });
        // Our request was refused as such: the same request cannot do better.
        if (response.status >= 400 && response.status < 500 && response.status !== 429) break;
      } catch (error) {
        lastError =
          error instanceof DOMException && error.name === 'TimeoutError'
            ? reasonText('issuance.timed_out', { ms: timeoutMs })
            : `${(error as Error).message}${(error as Error).cause instanceof Error ? `: ${((error as Error).cause as Error).message}` : ''}`;
      }
      if (attempt < maxAttempts) await sleep(retryDelay(backoff, attempt, random, undefined));
    }
    throw new IssuanceUnavailableError(reasonText('issuance.call_failed', { reason: lastError }));
  }

  return {
    async issue(jurisdiction, items) {
      const outcomes = new Map<string, IssuanceOutcome>();
      const sendable: IssuanceItem[] = [];
      for (const item of items) {
        if (item.tickets.length <= MAX_TICKETS_PER_NUMBER) sendable.push(item);
        else
          outcomes.set(
            item.key,
            refusal(
              'too_many_tickets',
              reasonText('issuance.too_many_tickets', {
                tickets: item.tickets.length,
                max: MAX_TICKETS_PER_NUMBER,
              }),
            ),
          );
      }
      for (const chunk of callsOf(sendable)) {
        const sent = await call({
          jurisdiction,
          requests: chunk.map((item) => ({
            key: item.key,
            kind: item.kind,
            tickets: item.tickets.map((t) => ({
              ticketNumber: t.ticketNumber,
              amountMinor: t.amountMinor.toString(),
            })),
          })),
        });
        if ('tooLarge' in sent) {
          const why = refusal('too_large', reasonText('issuance.too_large', { detail: sent.tooLarge }));
          for (const item of chunk) outcomes.set(item.key, why);
          continue;
        }
        const answer = issuanceResponseSchema.safeParse(sent.json);
        if (!answer.success || answer.data.jurisdiction !== jurisdiction) {
          throw new IssuanceUnavailableError(
            answer.success
              ? reasonText('issuance.answer_other_jurisdiction')
              : reasonText('issuance.answer_breaks_contract', {
                  detail: z.prettifyError(answer.error).slice(0, 300),
                }),
          );
        }
        const byKey = new Map(answer.data.results.map((r) => [r.key, r]));
        for (const item of chunk) {
          const result = byKey.get(item.key);
          outcomes.set(
            item.key,
            result ? checkIssued(item, result) : refusal('missing', reasonText('issuance.set_left_out')),
          );
        }
      }
      return outcomes;
    },
  };
}

/** The sets, in order, in calls of at most DEFAULT_MAX_ISSUANCE_REQUESTS sets and MAX_ISSUANCE_TICKETS_PER_CALL tickets. */
function callsOf(items: readonly IssuanceItem[]): IssuanceItem[][] {
  const calls: IssuanceItem[][] = [];
  let current: IssuanceItem[] = [];
  let tickets = 0;
  for (const item of items) {
    if (
      current.length > 0 &&
      (current.length === DEFAULT_MAX_ISSUANCE_REQUESTS ||
        tickets + item.tickets.length > MAX_ISSUANCE_TICKETS_PER_CALL)
    ) {
      calls.push(current);
      current = [];
      tickets = 0;
    }
    current.push(item);
    tickets += item.tickets.length;
  }
  if (current.length > 0) calls.push(current);
  return calls;
}

const refusal = (code: string, message: string): IssuanceOutcome => ({ status: 'refused', code, message });

function checkIssued(
  item: IssuanceItem,
  result: z.infer<typeof issuanceResponseSchema>['results'][number],
): IssuanceOutcome {
  if (result.status === 'refused') return refusal(result.code, result.message);
  const reading = readPaymentNumber(result.number);
  if (!reading.ok)
    return refusal(
      'malformed_number',
      reasonText('issuance.number_problem', { number: result.number, detail: reading.problem }),
    );
  if (reading.kind !== item.kind || reading.issuer !== 'authority')
    return refusal(
      'malformed_number',
      reasonText('issuance.number_not_authority', { number: result.number, kind: item.kind }),
    );
  const total = item.tickets.reduce((s, t) => s + t.amountMinor, 0n);
  if (BigInt(result.amountMinor) !== total)
    return refusal(
      'amount_differs',
      reasonText('issuance.amount_differs', { asked: result.amountMinor, total: total.toString() }),
    );
  return {
    status: 'issued',
    number: reading.number,
    amountMinor: total,
    expiresAt: new Date(result.expiresAt),
  };
}

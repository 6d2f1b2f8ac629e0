import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import type { AuthorityGate, GateLimits, Release } from './gate.ts';
import { sleep } from './retry.ts';

/**
 * The PostgreSQL authority gate (DDL in sql/0004_authority_gate.sql and 0014): a sliding window of
 * request starts and a set of in-flight leases in one row per authority, changed by single atomic
 * UPDATEs. A request's start is recorded at its grant and moved to its answer when it is released;
 * while it is in flight it counts against the window however long ago it was granted (the authority
 * may not have seen it yet). So the authority sees at most `maxRequests` arrivals in any window:
 * each grant comes before its arrival, and each earlier request counts until a window after its
 * answer.
 */
export interface PgGateLimits extends GateLimits {
  /** How long a slot stays taken if its holder never releases it (crash); above the request timeout. */
  leaseMs: number;
}

/** Creates or updates an authority's limits; its current window and leases are kept. */
export async function configureAuthorityGate<DB>(db: Kysely<DB>, authority: string, limits: PgGateLimits) {
  await sql`
    insert into authority_gate (authority, max_requests, window_ms, max_in_flight, lease_ms)
    values (${authority}, ${limits.maxRequests}, ${limits.windowMs}, ${limits.maxInFlight}, ${limits.leaseMs})
    on conflict (authority) do update set
      max_requests = excluded.max_requests,
      window_ms = excluded.window_ms,
      max_in_flight = excluded.max_in_flight,
      lease_ms = excluded.lease_ms,
      updated_at = now()
  `.execute(db);
}

/**
 * `leases`: how many of the leases asked for were taken (the first ones, in the order asked), their
 * start recorded in the window at `startedAtMs`, epoch ms on the database's clock.
 */
export type GateAttempt =
  | { granted: true; leases: number; startedAtMs: number }
  | { granted: false; retryInMs: number };

/**
 * Takes as many slots as the window and the in-flight cap allow, up to one per lease asked for,
 * in one statement. When none is free, says how long until the window frees a start (0 when only
 * a release can help).
 */
export async function tryAcquireAuthorityGate<DB>(
  db: Kysely<DB>,
  authority: string,
  leaseIds: string[],
): Promise<GateAttempt> {
  assert.ok(leaseIds.length > 0, 'tryAcquireAuthorityGate: ask for at least one lease');
  // In SET, `g` is the row as it was: both counts of what is taken are the same.
  const taken = sql`least(${leaseIds.length}::integer, authority_gate_free_slots(g, c.now_ms))`;
  const { rows } = await sql<{
    started_at_ms: number | null;
    granted: number | null;
    retry_in_ms: number | null;
  }>`
    with clock as (
      select authority_gate_now_ms() as now_ms
    ), attempt as (
      update authority_gate g set
        recent_starts = array(select s from unnest(g.recent_starts) s where s > c.now_ms - g.window_ms)
                        || array_fill(c.now_ms, array[${taken}]),
        leases = (
          select coalesce(jsonb_object_agg(l.key, l.value), '{}'::jsonb)
          from jsonb_each(g.leases) l where l.value::bigint > c.now_ms
        ) || (
          select jsonb_object_agg(id, c.now_ms + g.lease_ms)
          from unnest((${leaseIds}::text[])[1:${taken}]) id
        ),
        updated_at = now()
      from clock c
      where g.authority = ${authority} and authority_gate_free_slots(g, c.now_ms) > 0
      -- Here g is the row as updated: the leases asked for that it now holds.
      returning c.now_ms as started_at_ms,
                (select count(*) from unnest(${leaseIds}::text[]) id where g.leases ? id)::integer as granted
    )
    select
      (select started_at_ms::float8 from attempt) as started_at_ms,
      (select granted from attempt) as granted,
      (select coalesce(min(s), 0) + g.window_ms - c.now_ms
         from unnest(g.recent_starts) s where s > c.now_ms - g.window_ms
         having count(*) >= g.max_requests)::integer as retry_in_ms
    from authority_gate g cross join clock c
    where g.authority = ${authority}
  `.execute(db);
  const row = rows[0];
  if (!row) throw new Error(`authority gate ${JSON.stringify(authority)} is not configured`);
  return row.started_at_ms !== null && row.granted
    ? { granted: true, leases: row.granted, startedAtMs: row.started_at_ms }
    : { granted: false, retryInMs: Math.max(0, row.retry_in_ms ?? 0) };
}

/**
 * Frees `leaseId`'s in-flight slot. Given the start its acquire recorded, also moves that start in
 * the window to the answer: the authority saw the request somewhere between the grant and the
 * answer, so counting it from the answer keeps the limit even when the request left late (a busy
 * event loop or a slow commit between the grant and the send). `answeredMsAgo` says how long ago
 * (on this process's clock) the answer began to arrive, so a release that waited for a connection
 * does not hold the slot longer than the request did.
 */
export async function releaseAuthorityGate<DB>(
  db: Kysely<DB>,
  authority: string,
  leaseId: string,
  startedAtMs?: number,
  answeredMsAgo = 0,
): Promise<void> {
  const started = startedAtMs === undefined ? null : Math.round(startedAtMs);
  // Rounded down, so the recorded answer is never earlier than the real one.
  const ago = Math.max(0, Math.floor(answeredMsAgo));
  await sql`
    update authority_gate set
      recent_starts = case when ${started}::bigint is null then recent_starts else array(
        select s from unnest(recent_starts) with ordinality as u(s, i)
        where i is distinct from array_position(recent_starts, ${started}::bigint)::bigint
          and s > authority_gate_now_ms() - window_ms
        order by i
      ) || (authority_gate_now_ms() - ${ago}::bigint) end,
      leases = leases - ${leaseId}::text,
      updated_at = now()
    where authority = ${authority} and leases ? ${leaseId}::text
  `.execute(db);
}

export interface PgGateOptions {
  /** Bounds on the wait between tries; a waiter blocked by the in-flight cap polls at the lower one. */
  pollMinMs?: number;
  pollMaxMs?: number;
  random?: () => number;
}

/**
 * The gate every worker shares. Within one process, requests wait in one line and a single loop
 * asks the database for them, with jitter, so a process's waiters never stampede the row. Each ask
 * takes as many slots as are free for as many requests as are waiting: taken one per round trip,
 * the round trip of a busy database, not the authority's limit, paced the requests.
 */
export function createPgAuthorityGate<DB>(
  db: Kysely<DB>,
  authority: string,
  options: PgGateOptions = {},
): AuthorityGate {
  const pollMinMs = options.pollMinMs ?? 10;
  const pollMaxMs = options.pollMaxMs ?? 250;
  const random = options.random ?? Math.random;
  interface Waiter {
    grant(release: Release): void;
    fail(error: unknown): void;
  }
  const line: Waiter[] = [];
  let asking = false;
  const leave = (waiter: Waiter) => {
    const at = line.indexOf(waiter);
    if (at >= 0) line.splice(at, 1);
    return at >= 0;
  };
  const releaseFor =
    (leaseId: string, startedAtMs: number): Release =>
    (answeredAt) =>
      releaseAuthorityGate(
        db,
        authority,
        leaseId,
        startedAtMs,
        answeredAt === undefined ? 0 : performance.now() - answeredAt,
      );

  async function serveLine(): Promise<void> {
    asking = true;
    try {
      // Requests that join the line in the same turn of the event loop are asked for together.
      await Promise.resolve();
      while (line.length > 0) {
        const waiting = [...line];
        const leaseIds = waiting.map(() => randomUUID());
        let attempt: GateAttempt;
        try {
          attempt = await tryAcquireAuthorityGate(db, authority, leaseIds);
        } catch (error) {
          // The gate could not be asked: the requests asked for hear why; any that came since ask again.
          for (const waiter of waiting) if (leave(waiter)) waiter.fail(error);
          continue;
        }
        if (attempt.granted) {
          for (const [i, waiter] of waiting.slice(0, attempt.leases).entries()) {
            const release = releaseFor(leaseIds[i]!, attempt.startedAtMs);
            // One that stopped waiting during the ask gives its slot back at once.
            if (leave(waiter)) waiter.grant(release);
            else void release().catch(() => {});
          }
          continue;
        }
        const base = Math.min(pollMaxMs, Math.max(pollMinMs, attempt.retryInMs));
        await sleep(base + Math.floor(random() * pollMinMs));
      }
    } finally {
      asking = false;
    }
  }

  return {
    acquire(signal?: AbortSignal): Promise<Release> {
      return new Promise((resolve, reject) => {
        if (signal?.aborted) return reject(signal.reason);
        const onAbort = () => {
          leave(waiter);
          reject(signal?.reason);
        };
        const waiter: Waiter = {
          grant(release) {
            signal?.removeEventListener('abort', onAbort);
            resolve(release);
          },
          fail(error) {
            signal?.removeEventListener('abort', onAbort);
            reject(error);
          },
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        line.push(waiter);
        if (!asking) void serveLine();
      });
    },
  };
}

import { randomUUID } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import type { AuthorityGate, GateLimits, Release } from './gate.ts';
import { sleep } from './retry.ts';

/**
 * The PostgreSQL authority gate (DDL in gate.sql): a sliding window of request starts and a set
 * of in-flight leases in one row per authority, changed by single atomic UPDATEs. A request's
 * start is recorded at its grant and moved to its answer when it is released; while it is in
 * flight it counts against the window however long ago it was granted (the authority may not
 * have seen it yet). So the authority sees at most `maxRequests` arrivals in any window: each
 * grant comes before its arrival, and each earlier request counts until a window after its answer.
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

/** `startedAtMs`: the start recorded in the window, epoch ms on the database's clock. */
export type GateAttempt = { granted: true; startedAtMs: number } | { granted: false; retryInMs: number };

/**
 * Takes a slot for `leaseId` if the window and the in-flight cap allow, in one statement. When
 * refused, says how long until the window frees a start (0 when only a release can help).
 */
export async function tryAcquireAuthorityGate<DB>(
  db: Kysely<DB>,
  authority: string,
  leaseId: string,
): Promise<GateAttempt> {
  const { rows } = await sql<{ started_at_ms: number | null; retry_in_ms: number | null }>`
    with clock as (
      select authority_gate_now_ms() as now_ms
    ), attempt as (
      update authority_gate g set
        recent_starts = array(select s from unnest(g.recent_starts) s where s > c.now_ms - g.window_ms) || c.now_ms,
        leases = (
          select coalesce(jsonb_object_agg(l.key, l.value), '{}'::jsonb)
          from jsonb_each(g.leases) l where l.value::bigint > c.now_ms
        ) || jsonb_build_object(${leaseId}::text, c.now_ms + g.lease_ms),
        updated_at = now()
      from clock c
      where g.authority = ${authority}
        and (select count(*) from unnest(g.recent_starts) s where s > c.now_ms - g.window_ms)
            -- Live leases granted before the window (start = expiry - lease_ms): still in flight.
            + (select count(*) from jsonb_each(g.leases) l
               where l.value::bigint > c.now_ms and l.value::bigint - g.lease_ms <= c.now_ms - g.window_ms)
          < g.max_requests
        and (select count(*) from jsonb_each(g.leases) l where l.value::bigint > c.now_ms) < g.max_in_flight
      returning c.now_ms as started_at_ms
    )
    select
      (select started_at_ms::float8 from attempt) as started_at_ms,
      (select coalesce(min(s), 0) + g.window_ms - c.now_ms
         from unnest(g.recent_starts) s where s > c.now_ms - g.window_ms
         having count(*) >= g.max_requests)::integer as retry_in_ms
    from authority_gate g cross join clock c
    where g.authority = ${authority}
  `.execute(db);
  const row = rows[0];
  if (!row) throw new Error(`authority gate ${JSON.stringify(authority)} is not configured`);
  return row.started_at_ms !== null
    ? { granted: true, startedAtMs: row.started_at_ms }
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
 * The gate every worker shares. Within one process, requests wait their turn and only the first
 * in line asks the database, with jitter, so a process's waiters never stampede the row: dozens of
 * waiting batches cost one poll at a time, not dozens per freed slot.
 */
export function createPgAuthorityGate<DB>(
  db: Kysely<DB>,
  authority: string,
  options: PgGateOptions = {},
): AuthorityGate {
  const pollMinMs = options.pollMinMs ?? 10;
  const pollMaxMs = options.pollMaxMs ?? 250;
  const random = options.random ?? Math.random;
  let line: Promise<void> = Promise.resolve();
  return {
    async acquire(signal?: AbortSignal): Promise<Release> {
      const ahead = line;
      let leave!: () => void;
      line = new Promise<void>((resolve) => {
        leave = resolve;
      });
      try {
        await untilSettledOrAborted(ahead, signal);
        const leaseId = randomUUID();
        for (;;) {
          signal?.throwIfAborted();
          const attempt = await tryAcquireAuthorityGate(db, authority, leaseId);
          if (attempt.granted) {
            return (answeredAt) =>
              releaseAuthorityGate(
                db,
                authority,
                leaseId,
                attempt.startedAtMs,
                answeredAt === undefined ? 0 : performance.now() - answeredAt,
              );
          }
          const base = Math.min(pollMaxMs, Math.max(pollMinMs, attempt.retryInMs));
          await sleep(base + Math.floor(random() * pollMinMs), signal);
        }
      } finally {
        // The turn passes on only after the one ahead has had it, even if this waiter gave up early.
        void ahead.then(leave);
      }
    },
  };
}

function untilSettledOrAborted(turn: Promise<void>, signal?: AbortSignal): Promise<void> {
  if (!signal) return turn;
  signal.throwIfAborted();
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    void turn.then(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    });
  });
}

import { sql } from 'kysely';
import { toJsonb } from '../db/json.ts';
import type { Executor } from '../db/tenant.ts';
import { fetchingProgress } from './lookups.repo.ts';

const runFields = [
  'id',
  'kind',
  'local_night',
  'status',
  'requested_by',
  'lookups_total',
  'created_at',
  'snapshotted_at',
  'fetched_at',
  'reconciled_at',
  'finished_at',
  'summary',
  'error',
] as const;

export const runColumns = [...runFields, 'lookups_done', 'lookups_failed'] as const;

/** A run as read: a fetching run's progress comes from its batch ledger. */
const runSelection = [
  ...runFields,
  fetchingProgress('marked').as('lookups_done'),
  fetchingProgress('failed').as('lookups_failed'),
];

/** `import`: a run answered from an imported authority export (run_imports) instead of the gateway. */
export type RunKind = 'scheduled' | 'manual' | 'import';

/**
 * Creates a run (`waiting` when it is to start after the run in progress); undefined when this
 * account's scheduled run for that night already exists.
 */
export function insertRun(
  trx: Executor,
  run: { accountId: bigint; kind: RunKind; localNight: string | null; requestedBy: bigint | null },
  status: 'fetching' | 'waiting' = 'fetching',
) {
  return trx
    .insertInto('runs')
    .values({
      account_id: run.accountId,
      kind: run.kind,
      local_night: run.localNight,
      requested_by: run.requestedBy,
      status,
    })
    .onConflict((oc) => oc.columns(['account_id', 'local_night']).where('kind', '=', 'scheduled').doNothing())
    .returning(runColumns)
    .executeTakeFirst();
}

export function findActiveRun(trx: Executor, accountId: bigint) {
  return trx
    .selectFrom('runs')
    .select(runSelection)
    .where('account_id', '=', accountId)
    .where('status', 'in', ['fetching', 'reconciling', 'issuing', 'rendering'])
    .executeTakeFirst();
}

/** The account's oldest run waiting for the one in progress to end. */
export function findWaitingRun(trx: Executor, accountId: bigint) {
  return trx
    .selectFrom('runs')
    .select(runSelection)
    .where('account_id', '=', accountId)
    .where('status', '=', 'waiting')
    .orderBy('id')
    .limit(1)
    .executeTakeFirst();
}

/** A waiting run starts: it is now the account's active run (the one-active index guards it). */
export async function markRunStarted(trx: Executor, accountId: bigint, runId: bigint): Promise<void> {
  await trx
    .updateTable('runs')
    .set({ status: 'fetching' })
    .where('account_id', '=', accountId)
    .where('id', '=', runId)
    .where('status', '=', 'waiting')
    .execute();
}

export function findRun(trx: Executor, accountId: bigint, runId: bigint) {
  return trx
    .selectFrom('runs')
    .select(runSelection)
    .where('account_id', '=', accountId)
    .where('id', '=', runId)
    .executeTakeFirst();
}

/** Row lock on the run: those who change its state (abort, give-up, sweep, reconciliation) take turns. */
export function lockRun(trx: Executor, accountId: bigint, runId: bigint) {
  return trx
    .selectFrom('runs')
    .select(runSelection)
    .where('account_id', '=', accountId)
    .where('id', '=', runId)
    .forUpdate()
    .executeTakeFirst();
}

export function listRuns(trx: Executor, accountId: bigint, options: { limit: number; before?: bigint }) {
  let query = trx
    .selectFrom('runs')
    .select(runSelection)
    .where('account_id', '=', accountId)
    .orderBy('id', 'desc')
    .limit(options.limit);
  if (options.before !== undefined) query = query.where('id', '<', options.before);
  return query.execute();
}

export async function finishRun(
  trx: Executor,
  accountId: bigint,
  runId: bigint,
  outcome: { status: 'done' | 'partial'; summary: unknown },
): Promise<void> {
  await trx
    .updateTable('runs')
    .set({
      status: outcome.status,
      summary: toJsonb(outcome.summary),
      reconciled_at: sql`now()`,
      finished_at: sql`now()`,
    })
    .where('account_id', '=', accountId)
    .where('id', '=', runId)
    .execute();
}

export function listRunChanges(
  trx: Executor,
  accountId: bigint,
  runId: bigint,
  filter: { change?: string; vehicleId?: bigint; limit: number; after?: string },
) {
  let query = trx
    .selectFrom('run_changes')
    .select([
      'ticket_number',
      'vehicle_id',
      'previous_vehicle_id',
      'change',
      'held',
      'previous_amount_minor',
      'amount_minor',
      'pre_acquisition',
    ])
    .select((eb) =>
      eb
        .selectFrom('vehicles')
        .select('vehicles.plate_key')
        .whereRef('vehicles.account_id', '=', 'run_changes.account_id')
        .whereRef('vehicles.id', '=', 'run_changes.vehicle_id')
        .as('plate_key'),
    )
    .where('account_id', '=', accountId)
    .where('run_id', '=', runId)
    .orderBy('ticket_number')
    .limit(filter.limit);
  if (filter.change) query = query.where('change', '=', filter.change);
  if (filter.vehicleId !== undefined) query = query.where('vehicle_id', '=', filter.vehicleId);
  if (filter.after !== undefined) query = query.where('ticket_number', '>', filter.after);
  return query.execute();
}

/** The run's change lines of some vehicles, totalled per vehicle and change. */
export async function totalRunChangesByVehicle(
  trx: Executor,
  accountId: bigint,
  runId: bigint,
  vehicleIds: bigint[],
) {
  if (vehicleIds.length === 0) return [];
  const { rows } = await sql<{
    vehicle_id: bigint;
    change: string;
    violations: number;
    amount_minor: bigint;
    held: number;
  }>`
    select vehicle_id, change, count(*)::int as violations, sum(amount_minor)::bigint as amount_minor,
           (count(*) filter (where held))::int as held
    from run_changes
    where account_id = ${accountId} and run_id = ${runId} and vehicle_id = any (${vehicleIds.map(String)}::bigint[])
    group by vehicle_id, change
    order by vehicle_id, change`.execute(trx);
  return rows;
}

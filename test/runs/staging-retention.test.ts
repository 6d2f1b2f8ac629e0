import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { defaultRetention } from '../../server/config.ts';
import { runNightlyMaintenance } from '../../server/maintenance/maintenance.service.ts';
import { useTestDatabase } from '../support/database.ts';
import { makeAccount } from '../support/factories.ts';

const test = useTestDatabase();

// Time frozen: every row is dated against the maintenance night passed in.
const night = new Date('2026-11-20T00:30:00Z'); // 03:30 in Amman
const daysAgo = (days: number) => new Date(night.getTime() - days * 86_400_000);

async function upload(
  accountId: bigint,
  status: 'previewed' | 'applied' | 'rejected',
  createdDaysAgo: number,
  appliedDaysAgo?: number,
): Promise<bigint> {
  const { rows } = await sql<{ id: bigint }>`
    insert into uploads (account_id, file_name, byte_size, mode, status, file_error, created_at, applied_at)
    values (${accountId}, 'fleet.csv', 10, 'replace', ${status},
            ${status === 'rejected' ? sql`'{"code":"upload.too_large"}'::jsonb` : null},
            ${daysAgo(createdDaysAgo)},
            ${appliedDaysAgo === undefined ? null : daysAgo(appliedDaysAgo)})
    returning id`.execute(test.ownerDb);
  const uploadId = rows[0]!.id;
  await sql`
    insert into upload_rows (account_id, upload_id, plate_key, row_number, plate, plate_display)
    select ${accountId}, ${uploadId}, 'JO:10-' || n, n, '{}'::jsonb, '10-' || n from generate_series(1, 3) n`.execute(
    test.ownerDb,
  );
  await sql`
    insert into upload_issues (account_id, upload_id, seq, row_number, severity, code, message, message_ar)
    values (${accountId}, ${uploadId}, 1, 2, 'warning', 'plate.odd', 'odd', 'odd')`.execute(test.ownerDb);
  return uploadId;
}

async function throttledSignIn(daysAgo_: number, reason = 'throttled', accountId: bigint | null = null) {
  await sql`
    insert into audit_log (account_id, at, action, outcome, details)
    values (${accountId}, ${daysAgo(daysAgo_)}, 'session.sign_in', 'denied',
            ${JSON.stringify({ email: 'x@example.test', reason })}::jsonb)`.execute(test.ownerDb);
}

const countOf = async (table: 'upload_rows' | 'upload_issues', uploadId: bigint) =>
  Number(
    (
      await sql<{
        n: string;
      }>`select count(*)::text as n from ${sql.table(table)} where upload_id = ${uploadId}`.execute(
        test.ownerDb,
      )
    ).rows[0]!.n,
  );

describe('retention of staged upload rows and throttled sign-ins', () => {
  it('deletes what is past its retention, keeps everything else, and says what it deleted', async () => {
    const account = await makeAccount(test.db);
    const days = defaultRetention.uploadRowsDays;
    const oldApplied = await upload(account.id, 'applied', days + 3, days + 1);
    // Uploaded long ago but applied within the retention: kept.
    const recentlyApplied = await upload(account.id, 'applied', days + 3, days - 1);
    const oldRejected = await upload(account.id, 'rejected', days + 1);
    // Never decided: it can still be applied, so its rows stay however old.
    const oldPreview = await upload(account.id, 'previewed', days * 10);

    const signInDays = defaultRetention.throttledSignInsDays;
    await throttledSignIn(signInDays + 1);
    await throttledSignIn(signInDays - 1);
    await throttledSignIn(signInDays + 1, 'wrong_password');
    await throttledSignIn(signInDays + 1, 'throttled', account.id);

    const outcome = await runNightlyMaintenance(test.db, night, 'Asia/Amman');
    expect(outcome.deleted).toEqual({ uploadRows: 6, throttledSignIns: 1 });

    expect(await countOf('upload_rows', oldApplied)).toBe(0);
    expect(await countOf('upload_rows', oldRejected)).toBe(0);
    expect(await countOf('upload_rows', recentlyApplied)).toBe(3);
    expect(await countOf('upload_rows', oldPreview)).toBe(3);
    // The report stays with its upload.
    for (const id of [oldApplied, oldRejected, recentlyApplied, oldPreview])
      expect(await countOf('upload_issues', id)).toBe(1);

    const { rows: audit } = await sql<{ account_id: bigint | null; reason: string; at: Date }>`
      select account_id, details ->> 'reason' as reason, at from audit_log
      where action = 'session.sign_in' order by at, account_id nulls first`.execute(test.ownerDb);
    expect(audit.map((r) => [r.account_id === null ? null : 'account', r.reason])).toEqual([
      [null, 'wrong_password'],
      ['account', 'throttled'],
      [null, 'throttled'],
    ]);

    const details = await sql<{ details: { pruned: Record<string, number> } }>`
      select details from maintenance_runs where local_date = '2026-11-20'`.execute(test.ownerDb);
    expect(details.rows[0]!.details.pruned).toMatchObject({ uploadRows: 6, throttledSignIns: 1 });

    // Rerunnable: the night is done, nothing more goes.
    expect((await runNightlyMaintenance(test.db, night, 'Asia/Amman')).ran).toBe(false);
  });
});

import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { uploadErrorsFile } from '../../server/fleet/fleet.service.ts';
import { useTestDatabase } from '../support/database.ts';
import { makeAccount } from '../support/factories.ts';
import { plansWithoutStatistics, wholeSetLoops } from '../support/fresh-plans.ts';

const test = useTestDatabase();

/** Refused rows, each with an error, and a warning on every row: more than a page would be quadratic. */
const REFUSED = 3000;

describe("a big refused upload's errors file, right after the upload wrote its report", () => {
  it("reads each page's errors in one pass, not the upload's errors once per row", async () => {
    const account = await makeAccount(test.db);
    const { rows } = await sql<{ id: bigint }>`
      insert into uploads (account_id, file_name, file_sha256, byte_size, format, mode, columns)
      values (${account.id}, 'fleet.csv', repeat('a', 64), 1, 'csv', 'replace',
              '[{"header": "Plate", "field": "plate"}]')
      returning id`.execute(test.ownerDb);
    const uploadId = rows[0]!.id;
    await sql`
      insert into upload_rejects (account_id, upload_id, row_number, cells)
      select ${account.id}, ${uploadId}, n + 1, jsonb_build_array('bad-' || n) from generate_series(1, ${REFUSED}) n`.execute(
      test.ownerDb,
    );
    await sql`
      insert into upload_issues (account_id, upload_id, seq, row_number, severity, column_name, code, message, message_ar)
      select ${account.id}, ${uploadId}, n, (n + 1) / 2 + 1, case when n % 2 = 1 then 'error' else 'warning' end,
             'Plate', 'plate.invalid', 'not a plate ' || n, 'ليست لوحة ' || n
      from generate_series(1, ${2 * REFUSED}) n`.execute(test.ownerDb);

    let bytes = 0;
    const statements = await plansWithoutStatistics(test.url, account.id, async (trx) => {
      bytes = (await uploadErrorsFile(trx, account.id, uploadId)).bytes.length;
    });

    expect(bytes).toBeGreaterThan(0);
    const pages = statements.filter((s) => /from upload_rejects/.test(s.query));
    expect(pages.length).toBeGreaterThan(0);
    for (const page of pages) {
      expect(JSON.stringify(page.plan)).not.toMatch(/"Parent Relationship":"SubPlan"/);
      expect(wholeSetLoops(page.plan)).toEqual([]);
    }
  });
});

import { describe, expect, it } from 'vitest';
import { grantQueueAccess } from '../../jobs/boss.ts';
import { createDatabase } from '../../server/db/database.ts';
import { useTestDatabase } from '../support/database.ts';

const test = useTestDatabase();

describe('queue access for the application role', () => {
  it('is granted by processes starting at the same moment, none of them failing', async () => {
    // Each start-up grants from its own connection, as separate processes do.
    const owners = Array.from({ length: 6 }, () => createDatabase(test.url, 1));
    try {
      for (let round = 0; round < 5; round++) {
        const outcomes = await Promise.allSettled(owners.map((owner) => grantQueueAccess(owner)));
        expect(outcomes.filter((o) => o.status === 'rejected')).toEqual([]);
      }
    } finally {
      await Promise.all(owners.map((owner) => owner.destroy()));
    }
  });
});

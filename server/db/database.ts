import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { trackPool } from '../metrics/metrics.ts';
import { registerCopyClients } from './copy.ts';
import type { DB } from './schema.ts';

const INT8_OID = 20;
const DATE_OID = 1082;

/**
 * Type parsers for our pools only (pg-boss keeps pg's defaults): int8 becomes bigint so money in
 * minor units never passes through a float, and `date` stays a 'YYYY-MM-DD' string so a local
 * calendar day is never shifted by the process's time zone.
 */
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8_OID) return (value: string) => BigInt(value);
    if (oid === DATE_OID) return (value: string) => value;
    return pg.types.getTypeParser(oid, format);
  },
} as pg.CustomTypesConfig;

export type Database = Kysely<DB>;

export function createPool(connectionString: string, max = 10, applicationName = 'fleet-fines'): pg.Pool {
  const pool = new pg.Pool({ connectionString, max, types, application_name: applicationName });
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', () => {});
  registerCopyClients(pool);
  trackPool(pool, applicationName);
  return pool;
}

export function createDatabase(connectionString: string, max = 10, applicationName?: string): Database {
  return new Kysely<DB>({
    dialect: new PostgresDialect({ pool: createPool(connectionString, max, applicationName) }),
  });
}

/**
 * The same connection URL with commits that do not wait for the disk, for bookkeeping that may
 * lose its last fraction of a second in a database crash (the authority gate's window), never data.
 */
export function asynchronousCommitUrl(connectionString: string): string {
  const url = new URL(connectionString);
  const options = url.searchParams.get('options');
  url.searchParams.set('options', `${options ? `${options} ` : ''}-c synchronous_commit=off`);
  return url.toString();
}

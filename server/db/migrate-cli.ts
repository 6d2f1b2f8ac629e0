/**
 * `npm run migrate`: applies pending migrations to DATABASE_URL, or to the embedded database, and
 * gives the application's and the queue's logins their passwords.
 */
import { loadConfig } from '../config.ts';
import { createDatabase } from './database.ts';
import { startEmbeddedPostgres } from './embedded.ts';
import { embeddedLoginPasswords, setLoginPasswords } from './logins.ts';
import { migrateToLatest } from './migrate.ts';

const config = loadConfig(process.env, []);
const embedded = config.databaseUrl
  ? undefined
  : await startEmbeddedPostgres({
      dataDir: config.embeddedPgDir,
      port: config.embeddedPgPort,
      log: console.log,
    });
const url = config.databaseUrl ?? embedded!.url;
const db = createDatabase(url, 2);
try {
  const { applied } = await migrateToLatest(db);
  console.log(
    applied.length ? `applied: ${applied.join(', ')}` : 'nothing to apply: the schema is up to date',
  );
  await setLoginPasswords(url, config.databaseLogins ?? embeddedLoginPasswords(config.embeddedPgDir));
} finally {
  await db.destroy();
  await embedded?.stop();
}

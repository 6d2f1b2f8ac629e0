/** `npm run migrate`: applies pending migrations to DATABASE_URL, or to the embedded database. */
import { loadConfig } from '../config.ts';
import { createDatabase } from './database.ts';
import { startEmbeddedPostgres } from './embedded.ts';
import { migrateToLatest } from './migrate.ts';

const config = loadConfig(process.env, []);
const embedded = config.databaseUrl
  ? undefined
  : await startEmbeddedPostgres({
      dataDir: config.embeddedPgDir,
      port: config.embeddedPgPort,
      log: console.log,
    });
const db = createDatabase(config.databaseUrl ?? embedded!.url, 2);
try {
  const { applied } = await migrateToLatest(db);
  console.log(
    applied.length ? `applied: ${applied.join(', ')}` : 'nothing to apply: the schema is up to date',
  );
} finally {
  await db.destroy();
  await embedded?.stop();
}

/** Regenerates server/db/schema.ts from a freshly migrated throwaway embedded database. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createDatabase } from '../server/db/database.ts';
import { startEmbeddedPostgres } from '../server/db/embedded.ts';
import { migrateToLatest } from '../server/db/migrate.ts';
import { generateSchemaTypes } from '../server/db/typegen.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-types-'));
fs.chmodSync(dir, 0o755);
const pg = await startEmbeddedPostgres({ dataDir: path.join(dir, 'pg'), settings: { fsync: 'off' } });
try {
  const db = createDatabase(pg.url, 2);
  await migrateToLatest(db);
  const text = await generateSchemaTypes(db);
  await db.destroy();
  const target = path.resolve(import.meta.dirname, '../server/db/schema.ts');
  fs.writeFileSync(target, text);
  console.log(`wrote ${path.relative(process.cwd(), target)}`);
} finally {
  await pg.stop();
  fs.rmSync(dir, { recursive: true, force: true });
}

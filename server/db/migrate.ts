import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Kysely, sql } from 'kysely';
import { type Migration, type MigrationProvider, Migrator } from 'kysely/migration';

export const SQL_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../sql');
const FILE_PATTERN = /^(\d{4})_[a-z0-9_]+\.sql$/;

/**
 * Migrations are numbered raw `.sql` files; each runs once, in order, in its own transaction.
 * Numbers may leave gaps, but a new migration must sort after every one already applied (see
 * `checkNewMigrationsSortLast`): a file numbered into a gap would run out of order on databases
 * that are already past it.
 */
export class SqlFileMigrationProvider implements MigrationProvider {
  readonly folder: string;
  constructor(folder = SQL_DIR) {
    this.folder = folder;
  }

  async getMigrations(): Promise<Record<string, Migration>> {
    const files = (await fs.readdir(this.folder)).filter((f) => f.endsWith('.sql')).sort();
    const migrations: Record<string, Migration> = {};
    const numbers = new Set<string>();
    for (const file of files) {
      const match = FILE_PATTERN.exec(file);
      if (!match) throw new Error(`sql/${file}: migration files are named NNNN_snake_case.sql`);
      if (numbers.has(match[1]!)) throw new Error(`sql/${file}: migration number ${match[1]} is used twice`);
      numbers.add(match[1]!);
      const text = await fs.readFile(path.join(this.folder, file), 'utf8');
      migrations[file.slice(0, -'.sql'.length)] = {
        up: async (db) => {
          await sql.raw(text).execute(db);
        },
      };
    }
    return migrations;
  }
}

/** The numbering rule, with a message that says which file breaks it and what to do. */
export function checkNewMigrationsSortLast(
  migrations: readonly { name: string; executedAt?: Date | undefined }[],
): void {
  const applied = migrations.filter((m) => m.executedAt !== undefined).map((m) => m.name);
  const last = applied.sort().at(-1);
  if (last === undefined) return;
  const early = migrations.filter((m) => m.executedAt === undefined && m.name < last).map((m) => m.name);
  if (early.length > 0) {
    throw new Error(
      `sql/${early[0]}.sql sorts before ${last}, which this database has already applied: new migrations must sort after every applied one. Renumber it above ${last.slice(0, 4)}.`,
    );
  }
}

export interface MigrationOutcome {
  applied: string[];
}

/** Applies pending migrations under Kysely's migration lock, so concurrent starters apply each once. */
// biome-ignore lint/suspicious/noExplicitAny: the migrator works on any database shape
export async function migrateToLatest(db: Kysely<any>, folder = SQL_DIR): Promise<MigrationOutcome> {
  const migrator = new Migrator({ db, provider: new SqlFileMigrationProvider(folder) });
  checkNewMigrationsSortLast(await migrator.getMigrations());
  const { error, results = [] } = await migrator.migrateToLatest();
  const failed = results.find((r) => r.status === 'Error');
  if (error) {
    const where = failed ? `migration ${failed.migrationName} failed` : 'migrating failed';
    throw new Error(`${where}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  return { applied: results.filter((r) => r.status === 'Success').map((r) => r.migrationName) };
}

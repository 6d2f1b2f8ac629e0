import { type Kysely, sql } from 'kysely';

interface ColumnRow {
  table_name: string;
  column_name: string;
  udt_name: string;
  is_nullable: 'YES' | 'NO';
  has_default: boolean;
  is_identity: 'YES' | 'NO';
}

const SCALARS: Record<string, string> = {
  int2: 'number',
  int4: 'number',
  int8: 'bigint',
  float4: 'number',
  float8: 'number',
  numeric: 'string',
  bool: 'boolean',
  text: 'string',
  varchar: 'string',
  bpchar: 'string',
  citext: 'string',
  uuid: 'string',
  date: 'string',
  timestamptz: 'Date',
  timestamp: 'Date',
  interval: 'string',
  jsonb: 'Json',
  json: 'Json',
  bytea: 'Buffer',
  inet: 'string',
};

/** Kysely table types for every table in `public`, derived from the migrated catalogue. */
// biome-ignore lint/suspicious/noExplicitAny: reads the catalogue of any database
export async function generateSchemaTypes(db: Kysely<any>): Promise<string> {
  const { rows } = await sql<ColumnRow>`
    select c.table_name, c.column_name, c.udt_name, c.is_nullable,
           (c.column_default is not null) as has_default, c.is_identity
    from information_schema.columns c
    join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
    where c.table_schema = 'public' and t.table_type = 'BASE TABLE' and c.table_name not like 'kysely\\_%'
      -- A partition is read and written through its table, never by name.
      and not (select relispartition from pg_class where oid = format('public.%I', c.table_name)::regclass)
    order by c.table_name, c.ordinal_position`.execute(db);

  const tables = new Map<string, ColumnRow[]>();
  for (const row of rows) tables.set(row.table_name, [...(tables.get(row.table_name) ?? []), row]);

  const lines = [
    '// Generated from the migrated schema by `npm run db:types`; test/db/schema-types.test.ts fails when it drifts.',
    "import type { ColumnType, Generated } from 'kysely';",
    '',
    'export type Json = ColumnType<unknown, string, string>;',
    'export type JsonWithDefault = ColumnType<unknown, string | undefined, string>;',
    '',
  ];
  for (const [table, columns] of tables) {
    lines.push(`export interface ${pascal(table)}Table {`);
    for (const column of columns) lines.push(`  ${column.column_name}: ${columnType(column)};`);
    lines.push('}', '');
  }
  lines.push('export interface DB {');
  for (const table of tables.keys()) lines.push(`  ${table}: ${pascal(table)}Table;`);
  lines.push('}', '');
  return lines.join('\n');
}

function columnType(column: ColumnRow): string {
  const isArray = column.udt_name.startsWith('_');
  const base = SCALARS[isArray ? column.udt_name.slice(1) : column.udt_name] ?? 'string';
  let type = isArray ? `${base}[]` : base;
  if (column.is_nullable === 'YES') type = `${type} | null`;
  const defaulted = column.has_default || column.is_identity === 'YES';
  // Kysely's Generated<> does not unwrap a ColumnType, so defaulted JSON gets its own alias.
  if (type === 'Json' && defaulted) return 'JsonWithDefault';
  return defaulted ? `Generated<${type}>` : type;
}

function pascal(name: string): string {
  return name.replace(/(^|_)([a-z0-9])/g, (_, __, c: string) => c.toUpperCase());
}

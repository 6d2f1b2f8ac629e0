/**
 * The shape of the code, over its import graph: features do not reach into each other's insides
 * where a shared module exists, there is no circle of imports, and files stay a readable size.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..');
const sourceFolders = ['server', 'jobs', 'scripts', 'fixtures'];

/** Longest a source file may be; a longer one is split along its seams. */
const MAX_LINES = 600;
/** Files allowed past MAX_LINES, and why. */
const longFiles: Record<string, string> = {
  // Generated from the database by `npm run db:types`.
  'server/db/schema.ts': 'generated',
};

function sourceFiles(): string[] {
  const files: string[] = [];
  const walk = (folder: string) => {
    for (const entry of fs.readdirSync(path.join(root, folder), { withFileTypes: true })) {
      const relative = path.posix.join(folder, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules') walk(relative);
      } else if (/\.(ts|tsx)$/.test(entry.name) && !entry.name.endsWith('.d.ts')) files.push(relative);
    }
  };
  for (const folder of sourceFolders) walk(folder);
  return files.sort();
}

const IMPORT =
  /(?:^|\n)\s*(?:import|export)\s(?:[^'";]*?\sfrom\s)?['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

/** The project files a file imports (type-only imports included: they tie the files together too). */
function importsOf(file: string): string[] {
  const text = fs.readFileSync(path.join(root, file), 'utf8');
  const found = new Set<string>();
  for (const match of text.matchAll(IMPORT)) {
    const specifier = match[1] ?? match[2]!;
    let target: string | null = null;
    if (specifier.startsWith('.'))
      target = path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier));
    else if (specifier.startsWith('#')) {
      const [alias, ...rest] = specifier.slice(1).split('/');
      target = path.posix.join(alias!, ...rest);
    }
    if (target && /\.(ts|tsx)$/.test(target)) found.add(target);
  }
  return [...found];
}

const files = sourceFiles();
const graph = new Map(files.map((file) => [file, importsOf(file)]));

/** Every circle of imports, each once, as the files around it. */
function cycles(): string[][] {
  const found: string[][] = [];
  const seen = new Set<string>();
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (file: string) => {
    state.set(file, 'open');
    stack.push(file);
    for (const next of graph.get(file) ?? []) {
      if (!graph.has(next)) continue;
      if (state.get(next) === 'open') {
        const circle = stack.slice(stack.indexOf(next));
        const key = [...circle].sort().join(' ');
        if (!seen.has(key)) {
          seen.add(key);
          found.push([...circle, next]);
        }
      } else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const file of files) if (!state.has(file)) visit(file);
  return found;
}

describe('the structure of the code', () => {
  it('reads the import graph (a sanity check of the parser)', () => {
    expect(files.length).toBeGreaterThan(100);
    expect(graph.get('server/fleet/upload-read.ts')).toContain('server/sheets/read.ts');
    expect(graph.get('server/sheets/read.ts')).toContain('server/sheets/zip-guard.ts');
  });

  it('keeps the authority apart from fleet: shared mechanisms live below both', () => {
    const crossings = [...graph]
      .filter(([file]) => file.startsWith('server/authority/'))
      .flatMap(([file, imports]) =>
        imports.filter((i) => i.startsWith('server/fleet/')).map((i) => `${file} → ${i}`),
      );
    expect(crossings).toEqual([]);
  });

  it('has no circle of imports', () => {
    expect(cycles().map((circle) => circle.join(' → '))).toEqual([]);
  });

  it('answers every not-found with one shape: `<thing>_not_found` (server/errors.ts notFound)', () => {
    const codes: string[] = [];
    // server/errors.ts builds the codes of notFound; every other 404 is written out.
    const writers = files.filter(
      (f) => f.startsWith('server/') && !f.endsWith('.test.ts') && f !== 'server/errors.ts',
    );
    for (const file of writers) {
      const text = fs.readFileSync(path.join(root, file), 'utf8');
      for (const call of text.split(/new DomainError\(/).slice(1)) {
        const [, code] = /^\s*['`]([^'`]+)['`]/.exec(call) ?? [];
        const options = call.slice(0, call.search(/\n\s*\);|\);/) + 1);
        if (code && /status: 404\b/.test(options)) codes.push(`${file}: ${code}`);
      }
    }
    expect(codes.length).toBeGreaterThan(5);
    expect(codes.filter((entry) => !/: [a-z]+(_[a-z]+)*_not_found$/.test(entry))).toEqual([]);
  });

  it('type-checks only folders that exist', () => {
    const config = JSON.parse(fs.readFileSync(path.join(root, 'tsconfig.json'), 'utf8')) as {
      include: string[];
    };
    expect(config.include.filter((entry) => !fs.existsSync(path.join(root, entry)))).toEqual([]);
  });

  it(`has no source file over ${MAX_LINES} lines, but the named exceptions`, () => {
    const long = files
      .filter((file) => !(file in longFiles))
      .map((file) => ({ file, lines: fs.readFileSync(path.join(root, file), 'utf8').split('\n').length - 1 }))
      .filter(({ lines }) => lines > MAX_LINES)
      .map(({ file, lines }) => `${file}: ${lines} lines`);
    expect(long).toEqual([]);
  });
});

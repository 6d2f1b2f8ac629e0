/**
 * The test command: lint, typecheck and every test, then one closing line `N passed, N failed`.
 * Lint and typecheck count as one check each. Extra arguments go to vitest.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const bin = (name: string) => path.resolve('node_modules/.bin', name);
let passed = 0;
let failed = 0;
let skipped = 0;

function check(label: string, command: string, args: string[]): void {
  console.log(`\n▶ ${label}`);
  const result = spawnSync(command, args, { stdio: 'inherit' });
  if (result.status === 0) passed++;
  else {
    failed++;
    console.log(`✗ ${label} failed`);
  }
}

const vitestArgs = process.argv.slice(2);
if (vitestArgs.length === 0) {
  check('lint (biome)', bin('biome'), ['check', '.']);
  check('typecheck (tsc)', bin('tsc'), ['--noEmit', '-p', '.']);
}

const summaryFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-test-')), 'summary.json');
console.log(`\n▶ tests (vitest) on ${process.env.DATABASE_URL ? 'DATABASE_URL' : 'the embedded PostgreSQL'}`);
const tests = spawnSync(bin('vitest'), ['run', ...vitestArgs], {
  stdio: 'inherit',
  env: { ...process.env, TEST_SUMMARY_FILE: summaryFile },
});
try {
  const counts = JSON.parse(fs.readFileSync(summaryFile, 'utf8')) as {
    passed: number;
    failed: number;
    skipped: number;
  };
  passed += counts.passed;
  failed += counts.failed;
  skipped += counts.skipped;
  if (tests.status !== 0 && counts.failed === 0) failed++;
} catch {
  failed++;
  console.log('✗ vitest ended without a summary');
}
fs.rmSync(path.dirname(summaryFile), { recursive: true, force: true });

console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 ? 1 : 0);

import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// The project pins its runtime as the devDependency `node` (a Node binary in node_modules/.bin,
// which npm puts first on PATH for its scripts); scripts/check-node.cjs turns a Node too old to
// run it into one readable message. See README, "Which Node runs it".
const ROOT = path.resolve(import.meta.dirname, '../..');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const PINNED: string = pkg.devDependencies.node;
const OWN_NODE = fs.realpathSync(path.join(ROOT, 'node_modules/.bin/node'));
const check = createRequire(import.meta.url)('../../scripts/check-node.cjs') as {
  MINIMUM: string;
  atLeast: (version: string, minimum: string) => boolean;
  problem: (version: string, execPath: string, root: string, pinned: string) => string[] | null;
};

const tmpDirs: string[] = [];
afterAll(() => {
  for (const dir of tmpDirs) fs.rmSync(dir, { recursive: true, force: true });
});

function versionOf(node: string): string | undefined {
  const run = spawnSync(node, ['--version'], { encoding: 'utf8' });
  return run.status === 0 ? run.stdout.trim().replace(/^v/, '') : undefined;
}

/** A `node` on this machine outside the project that is too old to run it, if there is one. */
function machineOldNode(): string | undefined {
  const dirs = (process.env.PATH ?? '').split(path.delimiter).filter((dir) => !dir.includes('node_modules'));
  for (const dir of [...dirs, '/usr/bin', '/usr/local/bin']) {
    const candidate = path.join(dir, 'node');
    if (!fs.existsSync(candidate)) continue;
    const version = versionOf(candidate);
    if (version && !check.atLeast(version, check.MINIMUM)) return candidate;
  }
  return undefined;
}

describe('the pinned runtime', () => {
  it('is one exact Node 24 version, the same in package.json, .nvmrc and the Dockerfile', () => {
    expect(PINNED).toMatch(/^24\.\d+\.\d+$/);
    expect(fs.readFileSync(path.join(ROOT, '.nvmrc'), 'utf8').trim()).toBe(PINNED);
    expect(fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8')).toContain(`FROM node:${PINNED}-`);
    expect(pkg.allowScripts.node).toBe(true);
    expect(versionOf(OWN_NODE)).toBe(PINNED);
  });

  it('runs the tests and every `node` they start, by path or by name', () => {
    expect(process.version).toBe(`v${PINNED}`);
    expect(fs.realpathSync(process.execPath)).toBe(OWN_NODE);
    const byName = execFileSync('node', ['-p', 'process.execPath'], { encoding: 'utf8' }).trim();
    expect(fs.realpathSync(byName)).toBe(OWN_NODE);
  });

  it('guards every npm script that runs TypeScript', () => {
    for (const [name, command] of Object.entries(pkg.scripts as Record<string, string>)) {
      if (name.startsWith('pre') || !/\.ts\b|vitest/.test(command)) continue;
      expect(pkg.scripts[`pre${name}`], name).toBe('node scripts/check-node.cjs');
    }
  });
});

describe('a Node too old to run the project', () => {
  it('is told on the first line which Node is needed, which one it is and how to get one', () => {
    const lines = check.problem('v20.20.2', '/usr/bin/node', '/nowhere/fleet-fines', '24.21.0');
    expect(lines).not.toBeNull();
    expect(lines![0]).toBe(
      'fleet-fines needs Node.js 24.21.0 (any >= 22.18.0 works) but this is Node.js 20.20.2 (/usr/bin/node): ' +
        'run `npm install` in /nowhere/fleet-fines to get the project its own Node 24.21.0, ' +
        'or install Node.js 24 LTS (https://nodejs.org/en/download or `nvm install 24`).',
    );
    expect(lines![1]).toMatch(/node_modules\/\.bin\/node is missing.*--omit=dev.*--ignore-scripts/);
    expect(check.problem('18.20.8', '/x/node', '/nowhere', '24.21.0')?.[0]).toMatch(
      /this is Node\.js 18\.20\.8/,
    );
    expect(check.problem('22.17.1', '/x/node', '/nowhere', '24.21.0')).not.toBeNull();
    expect(check.problem('22.18.0', '/x/node', '/nowhere', '24.21.0')).toBeNull();
    expect(check.problem(`v${PINNED}`, OWN_NODE, ROOT, PINNED)).toBeNull();
  });

  const oldNode = machineOldNode();
  // CI machines (and this project's development machines) have Node 20 as their own `node`.
  it.skipIf(!oldNode)(
    'gets that message, not a stack trace, from `npm start` without the pinned runtime',
    () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-old-node-'));
      tmpDirs.push(dir);
      fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(dir, 'package.json'));
      fs.mkdirSync(path.join(dir, 'scripts'));
      fs.copyFileSync(path.join(ROOT, 'scripts/check-node.cjs'), path.join(dir, 'scripts/check-node.cjs'));
      const machinePath = (process.env.PATH ?? '')
        .split(path.delimiter)
        .filter((d) => !d.includes('node_modules'));
      const run = spawnSync('npm', ['start'], {
        cwd: dir,
        encoding: 'utf8',
        env: { ...process.env, PATH: [path.dirname(oldNode!), ...machinePath].join(path.delimiter) },
      });
      expect(run.status).not.toBe(0);
      const first = run.stderr.split('\n')[0];
      expect(first).toContain(`fleet-fines needs Node.js ${PINNED}`);
      expect(first).toContain(`this is Node.js ${versionOf(oldNode!)} (${oldNode})`);
      expect(first).toContain('nvm install 24');
      expect(run.stderr + run.stdout).not.toMatch(/ERR_UNKNOWN_FILE_EXTENSION|\n\s+at /);
    },
  );
});

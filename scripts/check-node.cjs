'use strict';
/*
 * Runs before every npm script that needs Node 24 (the `pre*` hooks in package.json), under the
 * `node` npm found first on PATH: normally the project's own runtime, the devDependency `node`,
 * in node_modules/.bin. When that runtime is missing or cannot run here, npm falls through to the
 * machine's node, which may be too old to read a `.ts` file: this says so on the first line
 * instead of letting the script die with a stack trace.
 *
 * CommonJS, ES2015 and bare core module names (no `node:`, no `?.`, no `??`), so any Node from 6 on
 * can run it.
 */
const fs = require('fs');
const path = require('path');
const childProcess = require('child_process');

// Type stripping runs `.ts` unflagged from 22.18; pg-boss 12, kysely 0.29 and vitest 5 need 22.
const MINIMUM = '22.18.0';

function parts(version) {
  return String(version)
    .replace(/^v/, '')
    .split('.')
    .map((n) => parseInt(n, 10) || 0);
}

function atLeast(version, minimum) {
  const have = parts(version);
  const need = parts(minimum);
  for (let i = 0; i < 3; i++) {
    if ((have[i] || 0) !== (need[i] || 0)) return (have[i] || 0) > (need[i] || 0);
  }
  return true;
}

/** Why the project's own runtime did not run this script (one line), judged from what is on disk. */
function whyNotPinned(root, pinned) {
  const own = path.join(root, 'node_modules', 'node', 'bin', 'node');
  if (!fs.existsSync(own)) {
    return (
      `Its own runtime (devDependency node@${pinned}) is not installed: node_modules/.bin/node is missing. ` +
      '`npm install` installs it unless run with --omit=dev (or NODE_ENV=production) or --ignore-scripts, ' +
      'or npm skipped the install script of the `node` package (allowed in package.json under allowScripts).'
    );
  }
  const run = childProcess.spawnSync(own, ['--version'], { encoding: 'utf8' });
  if (run.status !== 0) {
    const why = run.error ? run.error.message : String(run.stderr).split('\n')[0];
    return (
      `Its own runtime node_modules/.bin/node (node@${pinned}) does not run on this machine (${why}): ` +
      'the `node` package ships builds for glibc Linux, macOS and Windows only.'
    );
  }
  return 'Run it through npm (`npm start`, `npm test`), which puts node_modules/.bin first on PATH.';
}

/**
 * The lines to print when Node `version` cannot run the project, or null when it can. The first
 * line names the Node needed, the one running and how to get one that works.
 */
function problem(version, execPath, root, pinned) {
  if (atLeast(version, MINIMUM)) return null;
  const have = String(version).replace(/^v/, '');
  return [
    `fleet-fines needs Node.js ${pinned} (any >= ${MINIMUM} works) but this is Node.js ${have} (${execPath}): ` +
      `run \`npm install\` in ${root} to get the project its own Node ${pinned}, ` +
      'or install Node.js 24 LTS (https://nodejs.org/en/download or `nvm install 24`).',
    whyNotPinned(root, pinned),
  ];
}

/** The runtime the project pins: its devDependency `node`, an exact version. */
function pinnedVersion(root) {
  return JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).devDependencies.node;
}

function main() {
  const root = path.resolve(__dirname, '..');
  const lines = problem(process.versions.node, process.execPath, root, pinnedVersion(root));
  if (lines) {
    process.stderr.write(`${lines.join('\n')}\n`);
    process.exit(1);
  }
}

module.exports = { MINIMUM, atLeast, problem, pinnedVersion };

if (require.main === module) main();

/**
 * Builds the web app into web/dist when it is missing or older than its sources (web/, the
 * message catalogues, the permissions it imports). Runs after `npm install` (postinstall), so
 * `npm install && npm start` serves the app with no step of its own; browser tests call it too.
 * Plain JavaScript on purpose: npm runs install hooks with whatever `node` is first on PATH.
 * `--force` builds regardless.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const web = path.join(root, 'web');
const dist = path.join(web, 'dist', 'index.html');
const sources = [
  path.join(web, 'index.html'),
  path.join(web, 'vite.config.ts'),
  path.join(web, 'src'),
  path.join(root, 'server', 'i18n', 'catalog'),
  path.join(root, 'server', 'accounts', 'permissions.ts'),
];

function newest(target) {
  if (!fs.existsSync(target)) return 0;
  const stat = fs.statSync(target);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let latest = stat.mtimeMs;
  for (const entry of fs.readdirSync(target)) latest = Math.max(latest, newest(path.join(target, entry)));
  return latest;
}

export function webBuildIsStale() {
  if (!fs.existsSync(dist)) return true;
  const built = fs.statSync(dist).mtimeMs;
  return sources.some((s) => newest(s) > built);
}

export async function buildWeb({ force = false } = {}) {
  if (!fs.existsSync(path.join(web, 'src'))) return 'no sources';
  if (!force && !webBuildIsStale()) return 'up to date';
  let vite;
  try {
    vite = await import('vite');
  } catch {
    console.warn('fleet-fines: vite is not installed, so the web app was not built (run npm install)');
    return 'no vite';
  }
  await vite.build({ root: web, configFile: path.join(web, 'vite.config.ts'), logLevel: 'warn' });
  return 'built';
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const outcome = await buildWeb({ force: process.argv.includes('--force') });
  console.log(`web app: ${outcome}`);
}

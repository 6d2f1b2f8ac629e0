/**
 * Screenshots of the web app's main pages in English and Arabic, on a desktop (1280 px) and a
 * phone (375 px), against the demo product: runs test/web/pages.test.ts (which also checks each
 * page with axe and for sideways overflow) and lists the PNGs it wrote. Uses DATABASE_URL when set,
 * else the embedded PostgreSQL, as `npm test` does.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const folder = path.join(root, 'test/web/screenshots');
const result = spawnSync(process.execPath, [path.join(root, 'scripts/test.ts'), 'test/web/pages.test.ts'], {
  cwd: root,
  stdio: 'inherit',
});
const shots = fs.existsSync(folder) ? fs.readdirSync(folder).filter((f) => f.endsWith('.png')) : [];
console.log(`\n${shots.length} screenshots in ${path.relative(root, folder)}/:`);
for (const shot of shots.sort()) console.log(`  ${shot}`);
process.exit(result.status ?? 1);

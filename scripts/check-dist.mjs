// CI's freshness check: rebuild the action bundle and compare it with the committed dist/.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'gantry-dist-'));
try {
  execFileSync(process.execPath, ['scripts/build-action.mjs', join(dir, 'index.js')], {
    stdio: 'inherit',
  });
  const stale = ['index.js', 'index.js.LEGAL.txt'].filter((f) => {
    try {
      return !readFileSync(join(dir, f)).equals(readFileSync(join('dist', f)));
    } catch {
      return true;
    }
  });
  if (stale.length) {
    console.error(
      `dist/ is stale (${stale.join(', ')} differ from a fresh build): run \`npm run build:action\` and commit dist/.`,
    );
    process.exit(1);
  }
  console.log('dist/ matches the sources');
} finally {
  rmSync(dir, { recursive: true, force: true });
}

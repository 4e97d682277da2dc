// CI's freshness check: rebuild the committed bundles (the Action's dist/index.js and the App's
// dist/app/) and compare them with what is committed.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const bundles = [
  {
    what: "the Action's bundle",
    script: 'scripts/build-action.mjs',
    dir: 'dist',
    files: ['index.js', 'index.js.LEGAL.txt'],
    // build-action.mjs takes the output file, build-app.mjs the output directory.
    arg: (/** @type {string} */ tmp) => join(tmp, 'index.js'),
    fix: 'npm run build:action',
  },
  {
    what: "the App's bundle",
    script: 'scripts/build-app.mjs',
    dir: 'dist/app',
    files: ['main.js', 'probot-entry.js'],
    arg: (/** @type {string} */ tmp) => tmp,
    fix: 'npm run build:app',
  },
];

let stale = false;
for (const b of bundles) {
  const tmp = mkdtempSync(join(tmpdir(), 'gantry-dist-'));
  try {
    execFileSync(process.execPath, [b.script, b.arg(tmp)], { stdio: 'inherit' });
    const built = readdirSync(tmp).sort();
    if (built.join() !== [...b.files].sort().join())
      throw new Error(
        `${b.script} wrote ${built.join(', ')}; update the file list in ${import.meta.filename}`,
      );
    const differ = b.files.filter((f) => {
      try {
        return !readFileSync(join(tmp, f)).equals(readFileSync(join(b.dir, f)));
      } catch {
        return true;
      }
    });
    if (differ.length) {
      stale = true;
      console.error(
        `${b.dir}/ is stale: ${b.what} (${differ.join(', ')}) differs from a fresh build of the sources. Run \`${b.fix}\` and commit ${b.dir}/.`,
      );
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
if (stale) process.exit(1);
console.log('dist/ matches the sources');

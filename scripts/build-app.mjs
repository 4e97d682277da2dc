// Bundle the App (src/app/main.ts, and probot-entry.ts for `probot receive`) into dist/app/, so
// `npm start` runs committed JavaScript: no compiler at start, no dev dependencies installed.
// Packages stay external and are loaded from node_modules at run time, so every package the
// bundle imports must be a runtime dependency; the build refuses one that is not.
// `node scripts/build-app.mjs [outdir]`; the default is the committed bundle.
import { builtinModules } from 'node:module';
import { build } from 'esbuild';
import pkg from '../package.json' with { type: 'json' };

const outdir = process.argv[2] ?? 'dist/app';
const result = await build({
  entryPoints: ['src/app/main.ts', 'src/app/probot-entry.ts'],
  outdir,
  bundle: true,
  packages: 'external',
  platform: 'node',
  target: 'node22', // package.json's engines: the App runs on Node 22 too
  format: 'esm',
  metafile: true,
  logLevel: 'warning',
});

const { dependencies } = pkg;
const builtins = new Set(builtinModules);
/** @param {string} path a bare import such as `@scope/name/sub` */
const packageOf = (path) =>
  path
    .split('/')
    .slice(0, path.startsWith('@') ? 2 : 1)
    .join('/');
const missing = new Set();
for (const output of Object.values(result.metafile.outputs))
  for (const { path, external } of output.imports) {
    if (!external || path.startsWith('node:') || builtins.has(path)) continue;
    if (!(packageOf(path) in dependencies)) missing.add(packageOf(path));
  }
if (missing.size) {
  console.error(
    `The App imports ${[...missing].join(', ')} at run time, but package.json has ${missing.size === 1 ? 'it' : 'them'} only as a dev dependency or not at all: \`npm start\` after \`npm ci --omit=dev\` would fail. Move ${missing.size === 1 ? 'it' : 'them'} to "dependencies".`,
  );
  process.exit(1);
}

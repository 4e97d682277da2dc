// Bundle the action (src/action/index.ts) into one ESM file, dist/index.js, for `runs.using: node24`.
// `node scripts/build-action.mjs [outfile]`; the default is the committed bundle.
import { build } from 'esbuild';

const outfile = process.argv[2] ?? 'dist/index.js';
await build({
  entryPoints: ['src/action/index.ts'],
  outfile,
  bundle: true,
  platform: 'node',
  target: 'node24',
  format: 'esm',
  legalComments: 'linked',
  // Bundled CommonJS dependencies call require(); give the ESM bundle one.
  banner: {
    js: "import { createRequire as __gantryRequire } from 'node:module'; const require = __gantryRequire(import.meta.url);",
  },
  logLevel: 'warning',
  plugins: [
    {
      // The `proxy` package reads its own package.json at run time (require('../package.json')),
      // which esbuild leaves as a call; a bundle has no package.json beside it. Bundle it instead.
      name: 'proxy-package-json',
      setup(b) {
        b.onLoad({ filter: /[\\/]node_modules[\\/]proxy[\\/]dist[\\/]pkg\.js$/ }, () => ({
          contents: "export { default } from '../package.json';",
          loader: 'js',
        }));
      },
    },
  ],
});

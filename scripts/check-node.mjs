// `npm test` runs on the node@24 dev dependency (npm scripts put node_modules/.bin first on PATH).
// If it is missing, the tests would run on an older system Node and fail in confusing ways.
const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  console.error(
    `npm test needs Node 22 or newer but found ${process.version}. Run \`npm ci\`: the node@24 dev dependency ` +
      'installs the binary with its install script, which package.json allows (allowScripts.node).',
  );
  process.exit(1);
}
console.log(`Node ${process.version}`);

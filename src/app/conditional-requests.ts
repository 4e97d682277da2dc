/**
 * Kept only for `src/standin/run-app.ts`, which imports the App's client from here: the client
 * lives in the GitHub port now (`./github/gantry-octokit.js`). Delete once that import moves.
 */
export { GantryOctokit } from './github/gantry-octokit.js';

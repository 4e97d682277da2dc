// The bundle's entry (dist/index.js): run the action.
import { run } from './main.js';

await run();

import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // A guard against hangs, not a speed check (none of the tests depends on wall-clock time):
    // end-to-end scenarios run real git and Actions jobs and take minutes on a loaded 2-core box.
    testTimeout: 300_000,
  },
});

import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Property tests run many cases; none of them depends on wall-clock time.
    testTimeout: 60_000,
  },
});

import { defineConfig } from 'vitest/config';

/**
 * Two projects: `unit` (Node, happy-dom where a file asks for it, fake-indexeddb) and `browser`
 * (Node-side Playwright driving the system Chromium against the built SDK). `npm test` runs both.
 */
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts', 'test/unit/**/*.test.tsx'],
          environment: 'node',
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 60_000,
          // One Chromium at a time: the build machine has 2 cores.
          fileParallelism: false,
        },
      },
    ],
  },
});

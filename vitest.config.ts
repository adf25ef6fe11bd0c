import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
    // expect.poll waits on state; its default of 1 s is a fixed deadline a loaded 2-core machine misses
    // (CI once took longer than that to save a draft). A poll that can succeed gets 15 s.
    expect: { poll: { timeout: 15_000 } },
  },
});

// Vitest, as a user of the miniperm package sets it up: the matchers from its setup file.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['vitest-test/**/*.test.mjs'],
    setupFiles: ['miniperm/vitest'],
  },
});

// A Vitest setup file: `test: { setupFiles: ['miniperm/vitest'] }` in vitest.config adds
// miniperm's matchers to `expect`; `import 'miniperm/vitest'` in a .ts file adds their types.
import { expect } from 'vitest';
import pkg from './matchers.js';

expect.extend(pkg.matchers);

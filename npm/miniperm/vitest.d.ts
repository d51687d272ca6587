// For Vitest: `import { expect } from 'vitest'; import { matchers } from 'miniperm/matchers';
// expect.extend(matchers);` in a setup file, and `import 'miniperm/vitest'` for the types.
import type { MinipermMatchers } from './matchers';

declare module 'vitest' {
  interface Assertion<T = any> extends MinipermMatchers<void> {}
  interface AsymmetricMatchersContaining extends MinipermMatchers<void> {}
}

export {};

// `setupFiles: ['miniperm/vitest']` adds the matchers at run time; `import 'miniperm/vitest'`
// (or `"types": ["miniperm/vitest"]`) adds their types to Vitest's `expect`.
import 'vitest';
import type { MinipermMatchers } from './matchers';

declare module 'vitest' {
  interface Assertion<T = any> extends MinipermMatchers<void> {}
}

export {};

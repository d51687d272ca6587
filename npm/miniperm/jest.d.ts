// `"setupFilesAfterEnv": ["miniperm/jest"]` adds the matchers at run time; importing this module's
// types (`import 'miniperm/jest'` or `"types": ["miniperm/jest"]`) adds them to Jest's `expect`.
import type { MinipermMatchers } from './matchers';

declare module 'expect' {
  // `expect` from @jest/globals (Jest 30).
  interface Matchers<R extends void | Promise<void>, T = unknown> extends MinipermMatchers<R> {}
}

declare global {
  // The global `expect` typed by @types/jest.
  namespace jest {
    interface Matchers<R, T = {}> extends MinipermMatchers<R> {}
  }
}

export {};

import type { EventPattern, FindingCode, EndReason } from './index';

/** The matchers, for `expect.extend(matchers)` (Jest or Vitest). */
export interface MinipermMatchers<R = unknown> {
  /** The transcript calls `wx.<api>` (at least once, or exactly `times`). */
  toHaveCalled(api: string, times?: number): R;
  /** `wx.<api>` is called after the first event matching `marker`; use with `.not` for "never again". */
  toHaveCalledAfter(api: string, marker: EventPattern): R;
  /** Some event matches `pattern`. */
  toHaveEvent(pattern: EventPattern): R;
  /** The run ended with `reason` (and, when given, waiting for `ui`). */
  toEndWith(reason: EndReason, ui?: string): R;
  /** The explore report has a finding with `code` (accepted or not, when `options.accepted` is set). */
  toHaveFinding(code: FindingCode | (string & {}), options?: { accepted?: boolean }): R;
}

type MatcherResult = { pass: boolean; message: () => string };
export const matchers: {
  [K in keyof MinipermMatchers]: (received: unknown, ...args: any[]) => MatcherResult;
};
export function matches(value: unknown, pattern: unknown): boolean;

// Compiled by `tsc --noEmit` (never run): the package's hand-written .d.ts files describe the
// API and the matchers as a TypeScript user of Jest 30 (`@jest/globals`) would use them.
import { expect, test } from '@jest/globals';
import 'miniperm/jest';
import { matchers } from 'miniperm/matchers';
import {
  run,
  runSync,
  explore,
  after,
  calls,
  findings,
  MinipermError,
  type Transcript,
  type TranscriptEvent,
  type ExploreReport,
} from 'miniperm';

expect.extend(matchers);

test('types', async () => {
  const t: Transcript = await run('examples/classic', {
    tap: ['onLocate'],
    answers: ['deny', 'confirm', 'settings:scope.userLocation=on'],
    state: { 'scope.camera': 'granted' },
    system: ['location=authorized'],
    location: [31.2, 121.4],
  });
  const ev: TranscriptEvent = t.events[0];
  if (ev.type === 'call') {
    const api: string = ev.api;
    void api;
  }
  const reason: 'idle' | 'awaiting-answer' | 'error' | 'limit' | 'bad-input' = t.end.reason;
  void reason;
  const rest: Transcript | undefined = after(t, { type: 'answer', ui: 'settings' });
  void rest;
  void calls(t, 'getLocation').map((c) => c.at);
  expect(t).toHaveCalled('openSetting');
  expect(t).not.toHaveCalledAfter('getLocation', (e) => e.type === 'answer');
  expect(t).toEndWith('idle');
  const s = runSync('examples/classic', { db: '/tmp/x.sqlite', ephemeral: false });
  void s.exitCode;
  const report: ExploreReport = await explore('examples/classic', { tap: 'onLocate', deny: ['nag-loop'], maxPaths: 10 });
  expect(report).toHaveFinding('no-retry-after-settings', { accepted: false });
  const code: number = report.exitCode;
  void code;
  void findings(report, 'nag-loop').map((f) => f.location?.line);
  try {
    await run('nowhere');
  } catch (e) {
    if (e instanceof MinipermError) void e.exitCode;
  }
});

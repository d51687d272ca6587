// The same acceptance path as jest/classic.test.js, under Vitest with `miniperm/vitest`.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { run, explore } from 'miniperm';

const examples = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../examples');

describe('examples/classic under Vitest', () => {
  test('deny → confirm → settings: getLocation is never called again', async () => {
    const t = await run(path.join(examples, 'classic'), {
      tap: 'onLocate',
      answers: ['deny', 'confirm', 'settings:scope.userLocation=on'],
    });
    expect(t).toHaveCalled('openSetting');
    expect(t).not.toHaveCalledAfter('getLocation', { type: 'answer', ui: 'settings' });
    expect(t).toEndWith('idle');
    expect(() => expect(t).toHaveCalled('getLocation')).toThrow(/expected wx\.getLocation to be called/);
  });

  test('explore reports no-retry-after-settings', async () => {
    const report = await explore(path.join(examples, 'classic'), { tap: 'onLocate' });
    expect(report).toHaveFinding('no-retry-after-settings');
  });
});

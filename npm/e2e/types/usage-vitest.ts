// Compiled by `tsc --noEmit` (never run): the matchers' types under Vitest (`miniperm/vitest`).
import { expect, test } from 'vitest';
import 'miniperm/vitest';
import { run, explore } from 'miniperm';

test('types', async () => {
  const t = await run('examples/classic', { tap: 'onLocate', answers: 'deny,confirm' });
  expect(t).toHaveCalled('showModal', 1);
  expect(t).not.toHaveCalledAfter('getLocation', { type: 'answer', ui: 'settings' });
  expect(t).toEndWith('awaiting-answer', 'settings');
  expect(await explore('examples/classic')).toHaveFinding('no-retry-after-settings');
});

// The acceptance test, with a real Jest and the package installed from its tarball:
// in examples/classic, a user who denies, confirms the modal and switches location on in
// settings comes back to a page that never calls getLocation again (the defect the example
// shows); examples/corrected, on the same path, does call it.
const path = require('node:path');
const { run, explore, after, calls } = require('miniperm');

const examples = path.resolve(__dirname, '../../../examples');
const settingsAnswer = { type: 'answer', ui: 'settings' };

describe('examples/classic', () => {
  test('deny → confirm → settings: getLocation is never called again', async () => {
    const t = await run(path.join(examples, 'classic'), {
      tap: 'onLocate',
      answers: ['deny', 'confirm', 'settings:scope.userLocation=on'],
    });
    expect(t.exitCode).toBe(0);
    expect(t).toHaveEvent({ type: 'callback', api: 'authorize', kind: 'fail', res: { errMsg: /auth deny/ } });
    expect(t).toHaveCalled('showModal', 1);
    expect(t).toHaveCalled('openSetting');
    expect(t).toHaveEvent({ type: 'callback', api: 'openSetting', kind: 'success', res: { authSetting: { 'scope.userLocation': true } } });
    expect(t).not.toHaveCalledAfter('getLocation', settingsAnswer);
    expect(calls(after(t, settingsAnswer))).toEqual([]);
    expect(t).toEndWith('idle');
  });

  test('allow: getLocation runs and the page gets the location', async () => {
    const t = await run(path.join(examples, 'classic'), { tap: 'onLocate', answers: 'allow' });
    expect(t).toHaveCalled('getLocation', 1);
    expect(t).not.toHaveCalled('openSetting');
    expect(t).toHaveEvent({ type: 'data', patch: { location: {} } });
    expect(t).toEndWith('idle');
  });

  test('answers run out: the run waits for the modal', async () => {
    const t = await run(path.join(examples, 'classic'), { tap: 'onLocate', answers: ['deny'] });
    expect(t).toEndWith('awaiting-answer', 'modal');
  });

  test('explore reports no-retry-after-settings', async () => {
    const report = await explore(path.join(examples, 'classic'), { tap: 'onLocate' });
    expect(report).toHaveFinding('no-retry-after-settings');
    expect(report).not.toHaveFinding('nag-loop');
    expect(report.exitCode).toBe(0);
  });
});

describe('examples/corrected', () => {
  test('denied → confirm → settings on: getLocation is called after the settings page', async () => {
    const t = await run(path.join(examples, 'corrected'), {
      state: { 'scope.userLocation': 'denied' },
      tap: 'onLocate',
      answers: ['confirm', 'settings:scope.userLocation=on'],
    });
    expect(t).toHaveCalledAfter('getLocation', settingsAnswer);
    expect(t).toEndWith('idle');
  });

  test('explore finds no retry defect', async () => {
    const report = await explore(path.join(examples, 'corrected'), { tap: 'onLocate' });
    expect(report).not.toHaveFinding('no-retry-after-settings');
  });
});

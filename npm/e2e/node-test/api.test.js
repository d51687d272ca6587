// The Node API (run, explore, helpers, matchers) with node's own test runner, against the
// package installed from its tarball and the binary of its platform package.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const miniperm = require('miniperm');
const { matchers } = require('miniperm/matchers');

const { run, runSync, explore, exploreSync, runArgs, exploreArgs, parseTranscript, after, calls, MinipermError } = miniperm;
const classic = path.resolve(__dirname, '../../../examples/classic');
const deniedPath = ['deny', 'confirm', 'settings:scope.userLocation=on'];

test('the binary comes from the installed platform package', () => {
  const bin = miniperm.binaryPath();
  assert.match(bin, /node_modules[\\/]@miniperm[\\/]linux-x64[\\/]bin[\\/]miniperm$/);
  fs.accessSync(bin, fs.constants.X_OK);
});

test('options become miniperm flags', () => {
  assert.deepEqual(
    runArgs('p', {
      page: 'pages/a/a',
      query: { id: 7, k: 'v' },
      tap: ['onLocate', '#go'],
      answers: ['deny', 'confirm'],
      state: { 'scope.camera': 'denied' },
      system: ['location=denied'],
      location: [31.5, 121.25],
      user: 'u1',
    }),
    [
      'run', 'p', '--page', 'pages/a/a', '--query', 'id=7&k=v', '--tap', 'onLocate', '--tap', '#go',
      '--state', 'scope.camera=denied', '--system', 'location=denied', '--json',
      '--answers', 'deny,confirm', '--user', 'u1', '--location', '31.5,121.25', '--ephemeral',
    ],
  );
  assert.deepEqual(runArgs('p', { db: 'c.sqlite' }), ['run', 'p', '--json', '--db', 'c.sqlite']);
  assert.deepEqual(runArgs('p', { ephemeral: false }), ['run', 'p', '--json']);
  assert.deepEqual(
    exploreArgs('p', { tap: 'onLocate', maxPaths: 5, strict: true, deny: ['nag-loop', 'silent-deny'] }),
    ['explore', 'p', '--tap', 'onLocate', '--json', '--max-paths', '5', '--strict', '--deny', 'nag-loop,silent-deny'],
  );
  assert.throws(() => runArgs(''), TypeError);
});

test('run: the classic defect path, parsed', async () => {
  const t = await run(classic, { tap: 'onLocate', answers: deniedPath });
  assert.equal(t.exitCode, 0);
  assert.equal(t.events[0].type, 'launch');
  assert.ok(t.events.every((e) => e.schema_version === 1));
  assert.deepEqual(t.end, { type: 'end', reason: 'idle', schema_version: 1 });
  assert.deepEqual(
    t.events.filter((e) => e.type === 'answer').map((e) => e.answer),
    deniedPath,
  );
  assert.deepEqual(calls(t).map((c) => c.api), ['getSetting', 'authorize', 'showModal', 'openSetting']);
  const rest = after(t, { type: 'answer', ui: 'settings' });
  assert.ok(rest && rest.events.length > 0);
  assert.equal(calls(rest, 'getLocation').length, 0);
  assert.equal(after(t, { type: 'nothing' }), undefined);
  assert.deepEqual(runSync(classic, { tap: 'onLocate', answers: deniedPath }).events, t.events);
});

test('run: a store file keeps a denial for the next run', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'miniperm-npm-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const db = path.join(dir, 'consent.sqlite');
  await run(classic, { tap: 'onLocate', answers: ['deny', 'cancel'], db });
  const second = await run(classic, { tap: 'onLocate', answers: ['cancel'], db });
  assert.equal(second.events.filter((e) => e.type === 'ui' && e.ui === 'authorize').length, 0);
  assert.ok(second.events.some((e) => e.type === 'callback' && e.api === 'authorize' && e.kind === 'fail'));
});

test('run: bad input rejects with miniperm\'s one-line message', async () => {
  await assert.rejects(run(path.join(classic, 'nope')), (e) => {
    assert.ok(e instanceof MinipermError);
    assert.equal(e.exitCode, 2);
    assert.match(e.message, /^miniperm run failed \(exit 2\): .*app\.json/);
    return true;
  });
  await assert.rejects(run(classic, { binary: '/nonexistent/miniperm' }), /cannot run `\/nonexistent\/miniperm`/);
});

test('parseTranscript refuses a schema it does not know, and a transcript without end', () => {
  assert.throws(() => parseTranscript('{"type":"end","reason":"idle","schema_version":2}\n'), /schema_version 2/);
  assert.throws(() => parseTranscript('{"type":"launch","schema_version":1}\n'), /no `end` event/);
  assert.throws(() => parseTranscript('nope\n'), MinipermError);
});

test('explore: the report, its findings and the exit code under deny', async () => {
  const report = await explore(classic, { tap: 'onLocate' });
  assert.equal(report.schema_version, 1);
  assert.equal(report.exitCode, 0);
  assert.ok(miniperm.findings(report, 'no-retry-after-settings').length > 0);
  assert.ok(!Object.keys(report).includes('exitCode'), 'exitCode is not part of the document');
  const denied = exploreSync(classic, { tap: 'onLocate', deny: 'no-retry-after-settings' });
  assert.equal(denied.exitCode, 1);
});

test('matchers: pass, fail with a readable message, and refuse a marker that never happens', async () => {
  const t = await run(classic, { tap: 'onLocate', answers: deniedPath });
  const ok = matchers.toHaveCalled(t, 'openSetting');
  assert.equal(ok.pass, true);
  const no = matchers.toHaveCalled(t, 'getLocation');
  assert.equal(no.pass, false);
  assert.match(no.message(), /expected wx\.getLocation to be called at least once, it was called 0 time/);
  assert.match(no.message(), /transcript:\n\s+0 launch/);
  assert.equal(matchers.toHaveCalledAfter(t, 'getLocation', { type: 'answer', ui: 'settings' }).pass, false);
  assert.equal(matchers.toHaveCalledAfter(t, 'openSetting', { type: 'answer', ui: 'modal' }).pass, true);
  assert.throws(() => matchers.toHaveCalledAfter(t, 'getLocation', { type: 'answer', ui: 'privacy' }), /no transcript event matches/);
  assert.equal(matchers.toEndWith(t, 'idle').pass, true);
  assert.match(matchers.toEndWith(t, 'awaiting-answer', 'modal').message(), /it ended idle/);
  assert.equal(matchers.toHaveEvent(t, (e) => e.type === 'log').pass, true);
  const report = await explore(classic, { tap: 'onLocate' });
  assert.equal(matchers.toHaveFinding(report, 'no-retry-after-settings').pass, true);
  const missing = matchers.toHaveFinding(report, 'nag-loop');
  assert.equal(missing.pass, false);
  assert.match(missing.message(), /the findings are: .*no-retry-after-settings/);
});

test('npx miniperm runs the binary with its arguments and exit code', () => {
  const { spawnSync } = require('node:child_process');
  const bin = path.resolve(__dirname, '../node_modules/.bin/miniperm');
  const ok = spawnSync(bin, ['scopes', '--json'], { encoding: 'utf8' });
  assert.equal(ok.status, 0);
  assert.equal(JSON.parse(ok.stdout).schema_version, 1);
  const bad = spawnSync(bin, ['run', '/nonexistent'], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
});

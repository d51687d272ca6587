'use strict';
// The Node API of miniperm: runs the `miniperm` binary with `--json` and parses its documented
// output (docs/json.md in the miniperm repository). No logic of its own beyond flags in,
// JSON out: the binary is the implementation.

const { spawn, spawnSync } = require('node:child_process');

/** The `schema_version` of each output this package understands. */
const SCHEMA_VERSIONS = Object.freeze({ transcript: 1, exploreReport: 1 });

/** The platform packages that ship the binary, by `${process.platform}-${process.arch}`. */
const PLATFORM_PACKAGES = Object.freeze({
  'linux-x64': '@miniperm/linux-x64',
  'linux-arm64': '@miniperm/linux-arm64',
  'darwin-x64': '@miniperm/darwin-x64',
  'darwin-arm64': '@miniperm/darwin-arm64',
  'win32-x64': '@miniperm/win32-x64',
});

/** A failed command (bad input, an unreadable project, a broken binary) or unreadable output. */
class MinipermError extends Error {
  constructor(message, details = {}) {
    super(message);
    this.name = 'MinipermError';
    /** The process exit code, or null when it did not run or was killed. */
    this.exitCode = details.exitCode === undefined ? null : details.exitCode;
    this.stderr = details.stderr || '';
    this.command = details.command || [];
  }
}

/** The path of the `miniperm` binary this package runs. */
function binaryPath(options = {}) {
  if (options.binary) return options.binary;
  if (process.env.MINIPERM_BINARY) return process.env.MINIPERM_BINARY;
  const key = `${process.platform}-${process.arch}`;
  const pkg = PLATFORM_PACKAGES[key];
  if (!pkg) {
    throw new MinipermError(
      `no miniperm binary is built for ${key}: set MINIPERM_BINARY to a miniperm you built with cargo`,
    );
  }
  const exe = process.platform === 'win32' ? 'bin/miniperm.exe' : 'bin/miniperm';
  try {
    return require.resolve(`${pkg}/${exe}`);
  } catch {
    throw new MinipermError(
      `the optional dependency ${pkg} that holds the miniperm binary is not installed ` +
        `(not published for this version, or installed with --omit=optional): ` +
        `reinstall miniperm with optional dependencies, or set MINIPERM_BINARY to a miniperm binary`,
    );
  }
}

function list(v) {
  if (v === undefined || v === null) return [];
  return Array.isArray(v) ? v : [v];
}

/** `{ 'scope.camera': 'denied' }` or `['scope.camera=denied']` to `['scope.camera=denied']`. */
function pairs(v, name) {
  if (v === undefined || v === null) return [];
  if (Array.isArray(v)) return v.map(String);
  if (typeof v === 'object') return Object.entries(v).map(([k, x]) => `${k}=${x}`);
  if (typeof v === 'string') return [v];
  throw new TypeError(`\`${name}\` must be an object or an array of KEY=VALUE strings`);
}

function push(args, flag, value) {
  if (value !== undefined && value !== null) args.push(flag, String(value));
}

/** The entry flags `run` and `explore` share. */
function entryArgs(project, o) {
  if (typeof project !== 'string' || project === '') {
    throw new TypeError('`project` must be the path of a mini-program project folder');
  }
  const args = [project];
  push(args, '--page', o.page);
  if (o.query !== undefined && o.query !== null) {
    const q = typeof o.query === 'string' ? o.query : pairs(o.query, 'query').join('&');
    args.push('--query', q);
  }
  for (const t of list(o.tap)) args.push('--tap', String(t));
  for (const s of pairs(o.state, 'state')) args.push('--state', s);
  for (const s of pairs(o.system, 'system')) args.push('--system', s);
  push(args, '--profile', o.profile);
  push(args, '--timeout-ms', o.timeoutMs);
  push(args, '--memory-mb', o.memoryMb);
  push(args, '--seed', o.seed);
  push(args, '--now', o.now instanceof Date ? o.now.toISOString() : o.now);
  push(args, '--base-lib', o.baseLib);
  if (o.render) args.push('--render');
  return args;
}

/** The command line of `run(project, options)`, without the binary. */
function runArgs(project, o = {}) {
  const args = ['run', ...entryArgs(project, o), '--json'];
  const answers = list(o.answers).map(String);
  if (answers.length) args.push('--answers', answers.join(','));
  push(args, '--user', o.user);
  push(args, '--channel', o.channel);
  if (Array.isArray(o.location)) args.push('--location', `${o.location[0]},${o.location[1]}`);
  else push(args, '--location', o.location);
  // A test should not share consent state with the next one: memory unless a store is named.
  if (o.db) args.push('--db', String(o.db));
  else if (o.ephemeral !== false) args.push('--ephemeral');
  return args;
}

/** The command line of `explore(project, options)`, without the binary. */
function exploreArgs(project, o = {}) {
  const args = ['explore', ...entryArgs(project, o), '--json'];
  if (o.all) args.push('--all');
  push(args, '--max-paths', o.maxPaths);
  push(args, '--max-depth', o.maxDepth);
  push(args, '--max-settings-combos', o.maxSettingsCombos);
  push(args, '--threads', o.threads);
  push(args, '--baseline', o.baseline);
  if (o.strict) args.push('--strict');
  const deny = list(o.deny).map(String);
  if (deny.length) args.push('--deny', deny.join(','));
  return args;
}

function firstLine(s) {
  return (s.split('\n').find((l) => l.trim() !== '') || '').replace(/^miniperm: /, '');
}

/** Throws the command's own one-line error unless it exited with one of `ok`. */
function check(res, command, ok) {
  if (res.error) {
    throw new MinipermError(`cannot run \`${command[0]}\`: ${res.error.message}`, { command });
  }
  if (!ok.includes(res.status)) {
    const why = firstLine(res.stderr) || (res.signal ? `killed by ${res.signal}` : 'no message');
    throw new MinipermError(`miniperm ${command[1]} failed (exit ${res.status}): ${why}`, {
      exitCode: res.status,
      stderr: res.stderr,
      command,
    });
  }
}

function version(v, want, what, command) {
  if (v !== want) {
    throw new MinipermError(
      `${what} has schema_version ${JSON.stringify(v)}; this miniperm package understands ${want}`,
      { command },
    );
  }
}

/** Parses `run --json` output (JSON Lines) into a transcript. */
function parseTranscript(stdout, exitCode = 0, stderr = '', command = []) {
  const events = [];
  for (const line of stdout.split('\n')) {
    if (line.trim() === '') continue;
    let ev;
    try {
      ev = JSON.parse(line);
    } catch (e) {
      throw new MinipermError(`a transcript line is not JSON (${e.message}): ${line.slice(0, 80)}`, { command });
    }
    version(ev.schema_version, SCHEMA_VERSIONS.transcript, 'a transcript line', command);
    events.push(ev);
  }
  const end = events.length ? events[events.length - 1] : undefined;
  if (!end || end.type !== 'end') {
    throw new MinipermError('the transcript has no `end` event', { exitCode, stderr, command });
  }
  return { exitCode, events, end, stderr, command };
}

/** Parses `explore --json` output (one document) into a report. */
function parseReport(stdout, exitCode = 0, stderr = '', command = []) {
  let report;
  try {
    report = JSON.parse(stdout);
  } catch (e) {
    throw new MinipermError(`the explore report is not JSON (${e.message})`, { exitCode, stderr, command });
  }
  version(report.schema_version, SCHEMA_VERSIONS.exploreReport, 'the explore report', command);
  // Not part of the document: how the command ended (1 when --strict or --deny failed).
  Object.defineProperty(report, 'exitCode', { value: exitCode, enumerable: false });
  return report;
}

function spawnOptions(o) {
  return {
    cwd: o.cwd,
    env: o.env ? { ...process.env, ...o.env } : process.env,
    maxBuffer: o.maxBuffer || 256 * 1024 * 1024,
  };
}

function exec(command, o) {
  return new Promise((resolve) => {
    const opts = spawnOptions(o);
    let child;
    try {
      child = spawn(command[0], command.slice(1), { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (error) {
      resolve({ error, status: null, stdout: '', stderr: '' });
      return;
    }
    const out = [];
    const err = [];
    child.stdout.on('data', (b) => out.push(b));
    child.stderr.on('data', (b) => err.push(b));
    child.on('error', (error) => resolve({ error, status: null, stdout: '', stderr: '' }));
    child.on('close', (status, signal) =>
      resolve({
        status,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      }),
    );
  });
}

function execSync(command, o) {
  const res = spawnSync(command[0], command.slice(1), { ...spawnOptions(o), encoding: 'utf8' });
  return { error: res.error, status: res.status, signal: res.signal, stdout: res.stdout || '', stderr: res.stderr || '' };
}

/**
 * Runs a mini-program project headless (`miniperm run PROJECT --json`) and resolves to its
 * transcript. Exit 0 and 1 (an uncaught error in mini-program code) resolve; bad input rejects
 * with a MinipermError carrying miniperm's one-line message.
 */
async function run(project, options = {}) {
  const command = [binaryPath(options), ...runArgs(project, options)];
  const res = await exec(command, options);
  check(res, command, [0, 1]);
  return parseTranscript(res.stdout, res.status, res.stderr, command);
}

/** `run`, synchronously. */
function runSync(project, options = {}) {
  const command = [binaryPath(options), ...runArgs(project, options)];
  const res = execSync(command, options);
  check(res, command, [0, 1]);
  return parseTranscript(res.stdout, res.status, res.stderr, command);
}

/**
 * Explores every answer of a flow (`miniperm explore PROJECT --json`) and resolves to the
 * report. Exit 1 (findings under `strict` or `deny`) resolves too: see `report.exitCode`.
 */
async function explore(project, options = {}) {
  const command = [binaryPath(options), ...exploreArgs(project, options)];
  const res = await exec(command, options);
  check(res, command, [0, 1]);
  return parseReport(res.stdout, res.status, res.stderr, command);
}

/** `explore`, synchronously. */
function exploreSync(project, options = {}) {
  const command = [binaryPath(options), ...exploreArgs(project, options)];
  const res = execSync(command, options);
  check(res, command, [0, 1]);
  return parseReport(res.stdout, res.status, res.stderr, command);
}

/** The events of a transcript, or the array itself. */
function eventsOf(t) {
  if (Array.isArray(t)) return t;
  if (t && Array.isArray(t.events)) return t.events;
  throw new TypeError('expected a miniperm transcript (the result of run) or an array of its events');
}

/**
 * True when `ev` matches `pattern`: a function (called with the event), or an object whose
 * every key matches the event's (a RegExp tests a string, an object matches recursively,
 * anything else must be equal).
 */
function matches(ev, pattern) {
  if (typeof pattern === 'function') return Boolean(pattern(ev));
  if (pattern instanceof RegExp) return typeof ev === 'string' && pattern.test(ev);
  if (pattern && typeof pattern === 'object') {
    if (!ev || typeof ev !== 'object') return false;
    return Object.keys(pattern).every((k) => matches(ev[k], pattern[k]));
  }
  return Object.is(ev, pattern);
}

/** The `call` events of `api` (`getLocation`, without `wx.`). */
function calls(t, api) {
  return eventsOf(t).filter((e) => e.type === 'call' && (api === undefined || e.api === api));
}

/** The index of the first event matching `pattern`, or -1. */
function indexOf(t, pattern) {
  return eventsOf(t).findIndex((e) => matches(e, pattern));
}

/**
 * The transcript after the first event matching `pattern` (the event itself excluded), or
 * undefined when no event matches: `after(t, {type: 'answer', ui: 'settings'})`.
 */
function after(t, pattern) {
  const events = eventsOf(t);
  const i = indexOf(events, pattern);
  if (i < 0) return undefined;
  const rest = events.slice(i + 1);
  return Array.isArray(t) ? rest : { ...t, events: rest };
}

/** The findings of a report with `code`, or all of them. */
function findings(report, code) {
  if (!report || !Array.isArray(report.findings)) {
    throw new TypeError('expected a miniperm explore report (the result of explore)');
  }
  return report.findings.filter((f) => code === undefined || f.code === code);
}

module.exports = {
  run,
  runSync,
  explore,
  exploreSync,
  runArgs,
  exploreArgs,
  parseTranscript,
  parseReport,
  binaryPath,
  eventsOf,
  matches,
  calls,
  indexOf,
  after,
  findings,
  MinipermError,
  SCHEMA_VERSIONS,
  PLATFORM_PACKAGES,
};

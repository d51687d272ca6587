'use strict';
// Jest and Vitest matchers over miniperm's transcripts and explore reports. Both runners call
// a matcher as `fn.call(context, received, ...args)` and read `{pass, message}`; nothing here
// depends on either runner, so `expect.extend(matchers)` works in both.

const { eventsOf, calls, indexOf, matches, findings } = require('./index.js');

function show(v) {
  if (typeof v === 'function') return v.name ? `[function ${v.name}]` : '[function]';
  if (v instanceof RegExp) return String(v);
  return JSON.stringify(v);
}

/** A short readable transcript for failure messages: one line per event, the last 40. */
function outline(events) {
  const lines = events.map((e, i) => {
    const { type, schema_version: _v, ...rest } = e;
    const brief = JSON.stringify(rest);
    return `  ${String(i).padStart(3)} ${type} ${brief.length > 100 ? `${brief.slice(0, 97)}...` : brief}`;
  });
  const cut = lines.length > 40 ? [`  ... ${lines.length - 40} earlier events`, ...lines.slice(-40)] : lines;
  return cut.join('\n');
}

function result(pass, yes, no, events) {
  const tail = events ? `\n\ntranscript:\n${outline(events)}` : '';
  return { pass, message: () => (pass ? no : yes) + tail };
}

const matchers = {
  /**
   * The transcript has a `call` of `api` (any number of times, or exactly `times`).
   * `expect(t).toHaveCalled('openSetting')`, `expect(t).toHaveCalled('getLocation', 1)`.
   */
  toHaveCalled(received, api, times) {
    const events = eventsOf(received);
    const n = calls(events, api).length;
    const pass = times === undefined ? n > 0 : n === times;
    const want = times === undefined ? 'at least once' : `${times} time(s)`;
    return result(
      pass,
      `expected wx.${api} to be called ${want}, it was called ${n} time(s)`,
      `expected wx.${api} not to be called ${want}, it was called ${n} time(s)`,
      events,
    );
  },

  /**
   * `api` is called after the first event matching `marker` (an event pattern, see
   * `matches`). With `.not`: "after the user came back from settings, getLocation is never
   * called again". Throws, with or without `.not`, when no event matches `marker`: the
   * assertion would say nothing.
   */
  toHaveCalledAfter(received, api, marker) {
    const events = eventsOf(received);
    const i = indexOf(events, marker);
    if (i < 0) {
      throw new Error(`no transcript event matches ${show(marker)}\n\ntranscript:\n${outline(events)}`);
    }
    const later = calls(events.slice(i + 1), api);
    return result(
      later.length > 0,
      `expected wx.${api} to be called after event ${i} ${show(marker)}, it was not`,
      `expected wx.${api} not to be called after event ${i} ${show(marker)}, it was called ${later.length} time(s)`,
      events,
    );
  },

  /** Some event matches `pattern`: `expect(t).toHaveEvent({type: 'ui', ui: 'settings'})`. */
  toHaveEvent(received, pattern) {
    const events = eventsOf(received);
    const i = indexOf(events, pattern);
    return result(
      i >= 0,
      `expected an event matching ${show(pattern)}, none did`,
      `expected no event matching ${show(pattern)}, event ${i} did`,
      events,
    );
  },

  /**
   * The run ended with `reason` (idle, awaiting-answer, error, limit, bad-input), and when `ui`
   * is given, waiting for that UI: `expect(t).toEndWith('awaiting-answer', 'modal')`.
   */
  toEndWith(received, reason, ui) {
    const events = eventsOf(received);
    const end = events[events.length - 1];
    if (!end || end.type !== 'end') {
      throw new Error('the transcript has no `end` event');
    }
    const pass = end.reason === reason && (ui === undefined || end.ui === ui);
    const want = ui === undefined ? reason : `${reason} (${ui})`;
    const got = end.ui === undefined ? end.reason : `${end.reason} (${end.ui})`;
    return result(pass, `expected the run to end ${want}, it ended ${got}`, `expected the run not to end ${want}`, events);
  },

  /**
   * The explore report has a finding with `code` (`no-retry-after-settings`); `options.accepted`
   * narrows to findings listed (true) or not listed (false) in the baseline.
   */
  toHaveFinding(received, code, options = {}) {
    const found = findings(received, code).filter(
      (f) => options.accepted === undefined || f.accepted === options.accepted,
    );
    const all = findings(received).map((f) => f.code);
    const list = all.length ? all.join(', ') : 'none';
    return {
      pass: found.length > 0,
      message: () =>
        found.length > 0
          ? `expected no \`${code}\` finding, found ${found.length}: ${found[0].message}\n  replay: ${found[0].replay}`
          : `expected a \`${code}\` finding; the findings are: ${list}`,
    };
  },
};

module.exports = { matchers, matches };

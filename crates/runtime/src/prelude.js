// miniperm's host layer inside QuickJS: App/Page/Component, the loader, setData, navigation,
// timers on the virtual clock and the `wx` object. Everything that decides or asks the user goes
// to Rust through `N` (captured here, never left on the global object).
(function (N, CFG) {
  'use strict';
  var G = globalThis;
  var hasOwn = Object.prototype.hasOwnProperty;
  // Our own references: mini-program code may replace the globals.
  var JSONparse = JSON.parse.bind(JSON);
  var JSONstringify = JSON.stringify.bind(JSON);
  var PromiseC = Promise;
  var resolved = Promise.resolve.bind(Promise);

  function safeJson(v) {
    // Fast path: JSON.stringify already drops functions and symbols; only cycles and BigInt
    // need the careful path below.
    try {
      var fast = JSONstringify(v);
      return fast === undefined ? 'null' : fast;
    } catch (e) { /* fall through */ }
    var seen = [];
    try {
      var s = JSONstringify(v, function (k, x) {
        if (typeof x === 'function' || typeof x === 'symbol') return undefined;
        if (typeof x === 'bigint') return String(x);
        if (x && typeof x === 'object') {
          if (seen.indexOf(x) >= 0) return '[Circular]';
          seen.push(x);
        }
        return x;
      });
      return s === undefined ? 'null' : s;
    } catch (e) {
      return 'null';
    }
  }
  // JSON for the transcript that keeps `undefined` distinct from `null` (the unset-versus-denied
  // distinction): an undefined value is written as {"$undefined": true}; functions and symbols are
  // left out as in JSON.
  var UNDEF = { $undefined: true };
  function exactReplacer(k, x) {
    if (x === undefined) return UNDEF;
    if (typeof x === 'function' || typeof x === 'symbol') return undefined;
    if (typeof x === 'bigint') return String(x);
    return x;
  }
  function exactJson(v) {
    var top = v === undefined ? UNDEF : v;
    try {
      var fast = JSONstringify(top, exactReplacer);
      return fast === undefined ? 'null' : fast;
    } catch (e) { /* a cycle: the careful path below */ }
    var seen = [];
    try {
      var s = JSONstringify(top, function (k, x) {
        x = exactReplacer(k, x);
        if (x && typeof x === 'object' && x !== UNDEF) {
          if (seen.indexOf(x) >= 0) return '[Circular]';
          seen.push(x);
        }
        return x;
      });
      return s === undefined ? 'null' : s;
    } catch (e) {
      return 'null';
    }
  }
  // Serializing for the transcript is not the program reading what it serializes: the result
  // objects the prelude watches (see `watch`) stay quiet meanwhile.
  var quiet = 0;
  function emit(type, fields) {
    quiet++;
    try { N.emit(type, safeJson(fields)); } finally { quiet--; }
  }
  // Where the mini-program made a wx call: the first stack frame outside this prelude (which has
  // no project file name), as `file:line:col` (Rust parses the stack and maps it to the original
  // source).
  function site() {
    var s = new Error().stack;
    if (typeof s !== 'string') return undefined;
    return N.site(s) || undefined;
  }
  function emitCall(api, args) { var at = site(); emit('call', { api: api, args: args, at: at }); return at; }
  function emitExact(type, fields) {
    quiet++;
    try { N.emit(type, exactJson(fields)); } finally { quiet--; }
  }
  function reportError(e) {
    var msg, stack = '';
    if (e && typeof e === 'object') {
      msg = (e.name ? e.name + ': ' : '') + (e.message !== undefined ? e.message : String(e));
      stack = typeof e.stack === 'string' ? e.stack : '';
    } else {
      msg = 'Uncaught ' + String(e);
    }
    N.uncaught(msg, stack);
  }
  function guard(fn, self, args) {
    try { return fn.apply(self, args || []); } catch (e) { reportError(e); }
  }
  function clone(v) {
    if (v === undefined) return undefined;
    try { return JSONparse(JSONstringify(v)); } catch (e) { return v; }
  }
  // What `setData` and a definition's `data` keep: a deep copy of objects and arrays (their
  // enumerable properties, functions by reference, as WeChat's framework copies data), so a
  // later change to the caller's object does not reach the page unseen; dates and regular
  // expressions are kept as they are, a cycle is kept as the same object.
  function copy(v, seen) {
    if (v === null || typeof v !== 'object') return v;
    if (v instanceof RealDate || v instanceof RegExp) return v;
    seen = seen || [];
    for (var i = 0; i < seen.length; i += 2) if (seen[i] === v) return seen[i + 1];
    var out = Array.isArray(v) ? [] : {};
    seen.push(v, out);
    if (Array.isArray(v)) {
      for (var j = 0; j < v.length; j++) out[j] = copy(v[j], seen);
    } else {
      for (var k in v) out[k] = copy(v[k], seen);
    }
    return out;
  }

  // ---------------------------------------------------------------- tasks (ordered by Rust)
  var tasks = {};
  var taskSeq = 0;
  // A task or result caused by a timer callback counts as that timer's work (see `periodic`).
  function post(fn) {
    var id = ++taskSeq;
    tasks[id] = firing > 0 ? function () { firing++; try { fn(); } finally { firing--; } } : fn;
    N.task(id);
  }

  // ---------------------------------------------------------------- pending API calls
  var pending = {};
  var callSeq = 0;
  function hasCallbacks(o) {
    return !!o && typeof o === 'object' &&
      (hasOwn.call(o, 'success') || hasOwn.call(o, 'fail') || hasOwn.call(o, 'complete'));
  }
  // Registers a call whose result arrives later; returns [id, returnValue].
  function track(api, opts) {
    var id = ++callSeq;
    var entry = { api: api, opts: opts, fromTimer: firing > 0 };
    var ret;
    if (!hasCallbacks(opts)) {
      ret = new PromiseC(function (res, rej) { entry.resolve = res; entry.reject = rej; });
    }
    pending[id] = entry;
    return [id, ret];
  }
  function settle(id, ok, res, failure) {
    var p = pending[id];
    if (!p) return;
    delete pending[id];
    if (!p.fromTimer) { deliverTo(p, ok, res, failure); return; }
    firing++;
    try { deliverTo(p, ok, res, failure); } finally { firing--; }
  }
  function deliverTo(p, ok, res, failure) {
    if (p.handle) { p.handle(ok, res, p.at); return; }
    var o = p.opts || {};
    var fields = { api: p.api, kind: '', res: res, at: p.at, failure: failure || undefined };
    var given = observed(p.api, res);
    if (!ok && given && typeof given === 'object') {
      // A failed call's result remembers its call (a rejection nobody handles names it).
      try {
        Object.defineProperty(given, '__minipermSite', { value: p.at || '' });
        Object.defineProperty(given, '__minipermFailure', { value: failure || '' });
      } catch (e) { /* a frozen result: no mark */ }
    }
    if (p.resolve) {
      fields.kind = ok ? 'resolve' : 'reject';
      emit('callback', fields);
      if (ok) p.resolve(given); else p.reject(given);
      return;
    }
    var kind = ok ? 'success' : 'fail';
    if (!ok && typeof o.fail !== 'function' && typeof o.complete !== 'function') {
      N.warn('unhandled-fail', '`wx.' + p.api + '` failed with `' + (res && res.errMsg) +
        '` and nothing handles it (no fail or complete callback)', p.at, failure || undefined);
    }
    if (typeof o[kind] === 'function') {
      fields.kind = kind;
      emit('callback', fields);
      guard(o[kind], o, [given]);
    }
    if (typeof o.complete === 'function') {
      fields.kind = 'complete';
      emit('callback', fields);
      guard(o.complete, o, [given]);
    }
  }
  // ---------------------------------------------------------------- observations
  // What the program reads of its consent state is what the explorer branches on: the
  // `authSetting` of getSetting/openSetting results and the `…Authorized` fields of the system
  // and app-authorize settings reach the program behind a proxy that reports each read (a key,
  // `in`, a descriptor; listing the keys, a spread or JSON reads every key the object holds).
  function watch(obj, subjectOf) {
    function seen(k) {
      if (quiet || typeof k !== 'string') return;
      var s = subjectOf(k);
      if (s) N.observe(s);
    }
    return new Proxy(obj, {
      get: function (t, k, r) { seen(k); return Reflect.get(t, k, r); },
      has: function (t, k) { seen(k); return Reflect.has(t, k); },
      getOwnPropertyDescriptor: function (t, k) { seen(k); return Reflect.getOwnPropertyDescriptor(t, k); },
      ownKeys: function (t) {
        if (!quiet) for (var k in t) seen(k);
        return Reflect.ownKeys(t);
      },
    });
  }
  function scopeField(k) { return k.indexOf('scope.') === 0 ? k : null; }
  var OS_FIELDS = CFG.osFields;
  function osField(k) { return hasOwn.call(OS_FIELDS, k) ? OS_FIELDS[k] : null; }
  var OS_RESULTS = { getSystemInfo: 1, getSystemInfoAsync: 1, getSystemInfoSync: 1, getAppAuthorizeSetting: 1 };
  // The result the program gets: watched where it holds consent facts.
  function observed(api, res) {
    if (!res || typeof res !== 'object') return res;
    if ((api === 'getSetting' || api === 'openSetting') && res.authSetting && typeof res.authSetting === 'object') {
      var copy = {};
      for (var k in res) copy[k] = res[k];
      copy.authSetting = watch(res.authSetting, scopeField);
      return copy;
    }
    if (hasOwn.call(OS_RESULTS, api)) return watch(res, osField);
    return res;
  }
  // A result the JS side computes itself, delivered in order through Rust's queue.
  function later(api, opts, ok, res) {
    var t = track(api, opts);
    post(function () { settle(t[0], ok, res); });
    return t[1];
  }
  function ok(api, extra) {
    var r = { errMsg: api + ':ok' };
    if (extra) for (var k in extra) r[k] = extra[k];
    return r;
  }
  function nativeCall(api, opts) { return native(api, opts); }
  // A call that Rust decides (engine, native UI): Rust delivers the result.
  function native(api, opts, handle) {
    var t = track(api, opts);
    if (handle) pending[t[0]].handle = handle;
    var at = pending[t[0]].at = site();
    N.call(t[0], api, opts === undefined ? '{}' : exactJson(opts), at || '');
    return t[1];
  }

  // ---------------------------------------------------------------- console
  // The transcript keeps at most CFG.clip characters of a logged string or a setData patch when
  // the run says so (the explorer: a path needs to know that something was logged or shown,
  // not a megabyte of it); `miniperm run` keeps everything.
  var CLIP = CFG.clip > 0 ? CFG.clip : 0;
  function clipped(v) {
    if (!CLIP) return v;
    if (typeof v === 'string') return v.length > CLIP ? v.slice(0, CLIP) + '…' : v;
    if (v && typeof v === 'object') {
      quiet++;
      var text;
      try { text = exactJson(v); } finally { quiet--; }
      return text.length > CLIP ? { $clipped: text.length } : v;
    }
    return v;
  }
  function logger(level) {
    return function () {
      var args = [];
      for (var i = 0; i < arguments.length; i++) {
        var a = arguments[i];
        args.push(clipped(a instanceof Error ? String(a) : a));
      }
      emitExact('log', { level: level, args: args });
    };
  }
  G.console = {
    log: logger('log'), info: logger('info'), warn: logger('warn'), error: logger('error'),
    debug: logger('debug'), trace: logger('debug'), group: logger('log'), groupEnd: function () {},
    table: logger('log'), time: function () {}, timeEnd: function () {}, assert: function (c) {
      if (!c) logger('error').apply(null, ['Assertion failed'].concat([].slice.call(arguments, 1)));
    },
  };

  // ---------------------------------------------------------------- timers (virtual clock)
  // A timer is `periodic` when it is an interval or was set while a timer callback ran (a
  // countdown's recursive setTimeout, an animation loop): Rust lets those tick for a while
  // after the last other activity and then calls the page idle, as a user looking at it would
  // (WeChat keeps ticking). Other timers fire however far ahead they are.
  var timers = [];
  var timerSeq = 0;
  var firing = 0;
  function addTimer(fn, delay, args, interval) {
    var id = ++timerSeq;
    if (typeof fn !== 'function') return id;
    var d = Number(delay) || 0;
    if (d < 0) d = 0;
    timers.push({ id: id, at: N.now() + d, seq: id, fn: fn, args: args, interval: interval ? (d || 1) : 0,
      periodic: !!interval || firing > 0 });
    return id;
  }
  function clearTimer(id) {
    for (var i = 0; i < timers.length; i++) if (timers[i].id === id) { timers.splice(i, 1); return; }
  }
  function earliest() {
    var best = -1;
    for (var i = 0; i < timers.length; i++) {
      var t = timers[i];
      if (best < 0 || t.at < timers[best].at || (t.at === timers[best].at && t.seq < timers[best].seq)) best = i;
    }
    return best;
  }
  G.setTimeout = function (fn, d) { return addTimer(fn, d, [].slice.call(arguments, 2), false); };
  G.setInterval = function (fn, d) { return addTimer(fn, d, [].slice.call(arguments, 2), true); };
  G.clearTimeout = clearTimer;
  G.clearInterval = clearTimer;
  // Time is the virtual clock (it starts at the run's `now`): `Date.now()`, `new Date()`,
  // `Date()` and `performance.now()` all read it, so the same command gives the same transcript.
  var RealDate = Date;
  var VDate = function Date() {
    var a = [].slice.call(arguments);
    if (!new.target) return new RealDate(N.now()).toString();
    return Reflect.construct(RealDate, a.length ? a : [N.now()], new.target);
  };
  VDate.prototype = RealDate.prototype;
  VDate.now = function now() { return N.now(); };
  VDate.parse = RealDate.parse;
  VDate.UTC = RealDate.UTC;
  G.Date = VDate;
  var clockStart = N.now();
  G.performance = { now: function () { return N.now() - clockStart; }, timeOrigin: clockStart };
  // Math.random from the run's seed (mulberry32): deterministic, and different seeds differ.
  var seed = (CFG.seed >>> 0) || 0x9e3779b9;
  Math.random = function random() {
    seed = (seed + 0x6d2b79f5) >>> 0;
    var r = seed;
    r = Math.imul(r ^ (r >>> 15), r | 1);
    r ^= r + Math.imul(r ^ (r >>> 7), r | 61);
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };

  // ---------------------------------------------------------------- loader (CommonJS; ESM is rewritten to it)
  var modules = {};
  // Wrapper functions evaluated ahead of the run (a zygote's snapshot; see `Engine::preload`):
  // the same function N.load would evaluate when the module is first required.
  var preloaded = Object.create(null);
  function dirname(p) { var i = p.lastIndexOf('/'); return i < 0 ? '' : p.slice(0, i); }
  function requireFrom(from, spec) {
    if (typeof spec !== 'string') throw new Error('require: module name must be a string');
    var path = N.resolve(from, spec);
    if (!path) {
      var e = new Error('module "' + spec + '" is not defined (required from ' + (from || 'app') + ')');
      throw e;
    }
    return loadModule(path);
  }
  function loadModule(path) {
    var m = modules[path];
    if (m) return m.exports;
    m = { id: path, exports: {}, loaded: false };
    modules[path] = m;
    var f = path in preloaded ? preloaded[path] : N.load(path);
    if (typeof f === 'string') {
      m.exports = JSONparse(f);
    } else {
      f.call(m.exports, makeRequire(path), m, m.exports, path, dirname(path));
    }
    m.loaded = true;
    return m.exports;
  }
  // `require(path)`; `require(path, cb, fail)` and `require.async(path)` load a module of
  // another subpackage asynchronously (here: on the next task, from the files already loaded);
  // a failure is `{mod, errMsg}`.
  function makeRequire(from) {
    function failure(spec, e) { return { mod: spec, errMsg: String(e && e.message !== undefined ? e.message : e) }; }
    var req = function (spec, cb, fail) {
      if (typeof cb !== 'function') return requireFrom(from, spec);
      post(function () {
        var m;
        try { m = requireFrom(from, spec); } catch (e) {
          if (typeof fail === 'function') guard(fail, null, [failure(spec, e)]); else reportError(e);
          return;
        }
        guard(cb, null, [m]);
      });
    };
    req.async = function (spec) {
      return new PromiseC(function (res, rej) {
        post(function () {
          var m;
          try { m = requireFrom(from, spec); } catch (e) { rej(failure(spec, e)); return; }
          res(m);
        });
      });
    };
    return req;
  }
  // WeChat's app service has `global`: one plain object every module shares (not the global
  // object itself: `global.Array` is undefined there too).
  if (G.global === undefined) G.global = {};
  // RegExp's legacy statics (`RegExp.$1`…`$9`, `lastMatch`, `input`, …), which QuickJS lacks and
  // real helpers read after `test`, `exec`, `match` or `replace` (a `Date.prototype.format`).
  (function () {
    var proto = RegExp.prototype;
    var exec = proto.exec;
    var last = null;
    Object.defineProperty(proto, 'exec', {
      value: { exec: function (s) { var m = exec.call(this, s); if (m) last = m; return m; } }.exec,
      writable: true, configurable: true,
    });
    function str(v) { return v === undefined || v === null ? '' : String(v); }
    function getter(f) { return { get: function () { return last ? f(last) : ''; }, configurable: true }; }
    for (var i = 1; i <= 9; i++) {
      (function (n) { Object.defineProperty(RegExp, '$' + n, getter(function (m) { return str(m[n]); })); })(i);
    }
    var lastMatch = getter(function (m) { return str(m[0]); });
    var input = getter(function (m) { return str(m.input); });
    var lastParen = getter(function (m) { return m.length > 1 ? str(m[m.length - 1]) : ''; });
    var left = getter(function (m) { return str(m.input).slice(0, m.index); });
    var right = getter(function (m) { return str(m.input).slice(m.index + str(m[0]).length); });
    [['lastMatch', lastMatch], ['$&', lastMatch], ['input', input], ['$_', input], ['lastParen', lastParen],
     ['$+', lastParen], ['leftContext', left], ['$`', left], ['rightContext', right], ["$'", right]
    ].forEach(function (p) { Object.defineProperty(RegExp, p[0], p[1]); });
  })();
  G.requirePlugin = function (name) {
    N.warn('not-supported', 'requirePlugin(`' + String(name) + '`) is not supported by miniperm: plugins are not simulated');
    return {};
  };

  // ---------------------------------------------------------------- App, Page, Component, Behavior
  var app = null;
  var defs = {};
  var loadingRoute = null;
  var stack = [];
  // The tab pages opened and not closed, by route: a tab page left by switchTab is hidden, not
  // unloaded, and switching back shows the same instance (WeChat keeps tab pages alive).
  var liveTabs = {};
  G.App = function (opts) { app = opts || {}; };
  G.getApp = function () { return app || {}; };
  G.getCurrentPages = function () { return stack.slice(); };
  G.Page = function (opts) {
    if (loadingRoute !== null && !defs[loadingRoute]) defs[loadingRoute] = { kind: 'page', opts: opts || {} };
  };
  G.Behavior = function (opts) { return opts || {}; };
  G.Component = function (opts) {
    if (loadingRoute !== null && !defs[loadingRoute]) defs[loadingRoute] = { kind: 'component', opts: opts || {} };
  };

  function parsePath(key) {
    var out = [];
    String(key).replace(/[^.[\]]+|\[(\d+)\]/g, function (m, idx) {
      out.push(idx !== undefined ? Number(idx) : m);
      return m;
    });
    return out;
  }
  function setPath(obj, key, value) {
    var segs = parsePath(key);
    if (!segs.length) return;
    var cur = obj;
    for (var i = 0; i < segs.length - 1; i++) {
      var s = segs[i];
      if (cur[s] === null || typeof cur[s] !== 'object') cur[s] = typeof segs[i + 1] === 'number' ? [] : {};
      cur = cur[s];
    }
    cur[segs[segs.length - 1]] = value;
  }

  // Rust re-renders the page after the program changed what it shows.
  function markDirty() { N.dirty(); }
  function makeSetData(inst) {
    return function (patch, cb) {
      if (patch && typeof patch === 'object') {
        for (var k in patch) if (hasOwn.call(patch, k)) setPath(inst.data, k, copy(patch[k]));
        if (inst.__observers) runObservers(inst, Object.keys(patch));
      }
      markDirty();
      emitExact('data', { route: inst.route, patch: clipped(patch || {}) });
      if (typeof cb === 'function') post(function () { guard(cb, inst); });
    };
  }

  // ---------------------------------------------------------------- WXS
  // WXS modules (view-layer scripts) are singletons by id, each its own function scope with
  // WXS's built-ins as parameters (miniperm_jsfront::wxs's wrapper contract).
  var wxsModules = {};
  function wxsCtor(v) {
    if (v === null || v === undefined) return v.constructor; // the TypeError WXS gives too
    if (Array.isArray(v)) return 'Array';
    if (v instanceof RealDate) return 'Date';
    if (v instanceof RegExp) return 'RegExp';
    var t = typeof v;
    return t === 'function' ? 'Function' : t === 'number' ? 'Number' : t === 'string' ? 'String' : t === 'boolean' ? 'Boolean' : 'Object';
  }
  function getRegExp(pattern, flags) { return new RegExp(pattern, flags === undefined ? '' : flags); }
  function getDate() { return Reflect.construct(VDate, [].slice.call(arguments)); }
  function loadWxs(id) {
    var m = wxsModules[id];
    if (m) return m;
    m = { exports: {} };
    wxsModules[id] = m;
    var f = N.loadWxs(id);
    var req = function (spec) { return loadWxs(N.resolveWxs(id, String(spec))).exports; };
    try { f.call(m.exports, m, m.exports, req, getRegExp, getDate, wxsCtor); } catch (e) { delete wxsModules[id]; throw e; }
    return m;
  }

  // ---------------------------------------------------------------- custom components
  // Instances live in `comps` by key (the page's key + the render position, from Rust's render
  // tree). Rust creates and updates them while it renders (`instance`), tells each one which
  // handlers its host element binds (`hostEvents`), and detaches the ones a render no longer has.
  var comps = {};
  var pageSeq = 0;
  function typeDefault(type) {
    if (type === String) return '';
    if (type === Number) return 0;
    if (type === Boolean) return false;
    if (type === Array) return [];
    if (type === Object) return null;
    return null;
  }
  // What a property gets when its host binds `v` (WeChat's conversions: an Array property bound
  // to anything but an array, `undefined` and `null` included, gets `[]`; an Object one keeps
  // `null` and any object; a String one turns null and undefined into ''; a Number one turns
  // non-numbers into 0).
  function typeMatches(type, v) {
    if (type === String) return typeof v === 'string';
    if (type === Number) return typeof v === 'number';
    if (type === Boolean) return typeof v === 'boolean';
    if (type === Array) return Array.isArray(v);
    if (type === Object) return v !== null && typeof v === 'object';
    return false;
  }
  function coerce(spec, v) {
    var type = spec.type;
    var opt = spec.optionalTypes;
    if (opt && opt.length && (typeMatches(type, v) || opt.some(function (t) { return typeMatches(t, v); }))) return v;
    if (type === String) return v === null || v === undefined ? '' : typeof v === 'string' ? v : String(v);
    if (type === Number) { var n = Number(v); return isFinite(n) ? n : 0; }
    if (type === Boolean) return !!v;
    if (type === Array) return Array.isArray(v) ? v : [];
    if (type === Object) return v !== null && typeof v === 'object' ? v : null;
    return v === undefined ? null : v;
  }
  function propSpec(spec) {
    if (typeof spec === 'function' || spec === null) return { type: spec, value: typeDefault(spec), observer: null };
    if (spec && typeof spec === 'object') {
      var type = hasOwn.call(spec, 'type') ? spec.type : null;
      return {
        type: type,
        optionalTypes: Array.isArray(spec.optionalTypes) ? spec.optionalTypes : null,
        value: hasOwn.call(spec, 'value') ? copy(spec.value) : typeDefault(type),
        observer: spec.observer,
      };
    }
    return { type: null, value: spec === undefined ? null : spec, observer: null };
  }
  // Every behavior once, referenced ones before the ones that reference them, then the
  // definition itself (a behavior reached twice contributes once: its lifetimes run once).
  function flattenBehaviors(o, out, seen) {
    var bs = Array.isArray(o.behaviors) ? o.behaviors : [];
    for (var i = 0; i < bs.length; i++) {
      var b = bs[i];
      if (!b || typeof b !== 'object' || seen.indexOf(b) >= 0) continue;
      seen.push(b);
      flattenBehaviors(b, out, seen);
    }
    out.push(o);
    return out;
  }
  // `data` of a later part overrides an earlier one's; object values merge one level down.
  function mergeData(into, d) {
    for (var k in d) {
      var a = into[k], b = d[k];
      if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
        var m = {};
        for (var x in a) m[x] = a[x];
        for (var y in b) m[y] = b[y];
        into[k] = m;
      } else {
        into[k] = b;
      }
    }
  }
  var LIFETIMES = ['created', 'attached', 'ready', 'moved', 'detached', 'error'];
  function makeComponent(route, o, query) {
    var parts = flattenBehaviors(o, [], []);
    var inst = { data: {}, is: route, id: '', dataset: {} };
    var life = {};
    LIFETIMES.forEach(function (n) { life[n] = []; });
    var hooks = {};
    var props = {};
    var observers = [];
    var rels = [];
    var exported = null;
    var pageLt = { show: [], hide: [], resize: [] };
    parts.forEach(function (b) {
      if (!b || typeof b !== 'object') return;
      mergeData(inst.data, copy(b.data) || {});
      var ps = b.properties || {};
      for (var p in ps) {
        var spec = propSpec(ps[p]);
        props[p] = spec;
        inst.data[p] = copy(spec.value);
      }
      var m = b.methods || {};
      for (var name in m) { inst[name] = m[name]; hooks[name] = m[name]; }
      var lt = b.lifetimes || {};
      LIFETIMES.forEach(function (n) {
        var f = lt[n] || b[n];
        if (typeof f === 'function') life[n].push(f);
      });
      var obs = b.observers || {};
      for (var expr in obs) if (typeof obs[expr] === 'function') observers.push({ fields: expr.split(',').map(function (s) { return s.trim(); }), fn: obs[expr] });
      var pl = b.pageLifetimes || {};
      ['show', 'hide', 'resize'].forEach(function (n) { if (typeof pl[n] === 'function') pageLt[n].push(pl[n]); });
      var rs = b.relations || {};
      for (var rk in rs) if (rs[rk] && typeof rs[rk] === 'object') rels.push(relation(route, rk, rs[rk]));
      if (typeof b.export === 'function') exported = b.export;
    });
    // A component opened as a page (its route in app.json): the query fills its properties.
    if (query) for (var q in query) if (hasOwn.call(props, q)) inst.data[q] = coerce(props[q], query[q]);
    inst.properties = inst.data;
    inst.__life = life;
    inst.__hooks = hooks;
    inst.__props = props;
    inst.__observers = observers;
    inst.__pageLt = pageLt;
    inst.__events = {};
    inst.__parts = parts;
    inst.__rels = rels;
    inst.__up = {};
    inst.__down = {};
    inst.__export = exported;
    if (pageLt.show.length && !hooks.onShow) hooks.onShow = function () { var s = this; pageLt.show.forEach(function (f) { guard(f, s); }); };
    if (pageLt.hide.length && !hooks.onHide) hooks.onHide = function () { var s = this; pageLt.hide.forEach(function (f) { guard(f, s); }); };
    inst.triggerEvent = function (name, detail, options) { triggerEvent(inst, name, detail, options || {}); };
    inst.hasBehavior = function (b) { return parts.indexOf(b) >= 0; };
    inst.getRelationNodes = function (key) {
      var k = String(key);
      if (hasOwn.call(inst.__up, k)) return [inst.__up[k]];
      if (hasOwn.call(inst.__down, k)) return inst.__down[k].slice();
      return [];
    };
    return inst;
  }

  // ---------------------------------------------------------------- relations
  // `relations: {'../tabs/index': {type: 'ancestor', linked(target) {…}}}`: a key is a component
  // path relative to the declaring component (or any name, with `target` a Behavior). A child
  // links when it is attached, to its nearest matching ancestor (`parent`: the nearest
  // component ancestor only) that declares the reverse relation (`child` / `descendant`) to it;
  // the target's `linked` runs first, then the child's. Detaching unlinks the same way.
  function relation(from, key, r) {
    var target = null;
    if (!(r.target && typeof r.target === 'object')) {
      var file = N.resolve(from + '.js', key);
      target = file ? file.replace(/\.(js|ts)$/, '') : normalizePath(dirname(from) + '/' + key);
    }
    return { key: key, type: String(r.type), target: target, behavior: r.target && typeof r.target === 'object' ? r.target : null,
      linked: r.linked, linkChanged: r.linkChanged, unlinked: r.unlinked };
  }
  function normalizePath(p) {
    var out = [];
    p.split('/').forEach(function (seg) { if (seg === '..') out.pop(); else if (seg && seg !== '.') out.push(seg); });
    return out.join('/');
  }
  function relMatches(r, c) {
    return r.behavior ? c.__parts.indexOf(r.behavior) >= 0 : c.is === r.target;
  }
  var REVERSE = { parent: 'child', ancestor: 'descendant' };
  function linkUp(c, ancestors) {
    c.__rels.forEach(function (r) {
      var rev = REVERSE[r.type];
      if (!rev) return;
      var cands = r.type === 'parent' ? ancestors.slice(0, 1) : ancestors;
      for (var i = 0; i < cands.length; i++) {
        var t = cands[i];
        if (!t || !t.__rels || !relMatches(r, t)) continue;
        var back = null;
        for (var j = 0; j < t.__rels.length; j++) if (t.__rels[j].type === rev && relMatches(t.__rels[j], c)) { back = t.__rels[j]; break; }
        if (!back) continue;
        c.__up[r.key] = t;
        (t.__down[back.key] = t.__down[back.key] || []).push(c);
        c.__links = c.__links || [];
        c.__links.push({ t: t, r: r, back: back });
        if (typeof back.linked === 'function') guard(back.linked, t, [c]);
        if (typeof r.linked === 'function') guard(r.linked, c, [t]);
        return;
      }
    });
  }
  function unlinkUp(c) {
    (c.__links || []).forEach(function (l) {
      delete c.__up[l.r.key];
      var list = l.t.__down[l.back.key];
      if (list) { var i = list.indexOf(c); if (i >= 0) list.splice(i, 1); }
      if (typeof l.back.unlinked === 'function') guard(l.back.unlinked, l.t, [c]);
      if (typeof l.r.unlinked === 'function') guard(l.r.unlinked, c, [l.t]);
    });
    c.__links = [];
  }
  function fieldValue(data, path) {
    var segs = parsePath(path.replace(/\.\*\*$/, ''));
    var cur = data;
    for (var i = 0; i < segs.length; i++) { if (cur === null || cur === undefined) return undefined; cur = cur[segs[i]]; }
    return cur;
  }
  function touches(field, key) {
    if (field === '**') return true;
    var f = field.replace(/\.\*\*$/, '');
    if (key === f) return true;
    var under = key.indexOf(f) === 0 && (key.charAt(f.length) === '.' || key.charAt(f.length) === '[');
    var over = f.indexOf(key) === 0 && (f.charAt(key.length) === '.' || f.charAt(key.length) === '[');
    return under || over;
  }
  function runObservers(inst, keys) {
    var obs = inst.__observers;
    if (!obs || !obs.length || !keys.length) return;
    obs.forEach(function (o) {
      var hit = o.fields.some(function (f) { return keys.some(function (k) { return touches(f, k); }); });
      if (hit) guard(o.fn, inst, o.fields.map(function (f) { return f === '**' ? inst.data : fieldValue(inst.data, f); }));
    });
  }
  function triggerEvent(inst, name, detail, options) {
    var b = inst.__events[name];
    emit('trigger', { component: inst.is, event: name, detail: detail === undefined ? {} : detail });
    if (!b) return;
    var owner = ownerOf(b.owner);
    if (!owner) return;
    var f = owner.__hooks[b.handler];
    if (typeof f !== 'function') {
      N.warn('no-handler', 'component `' + inst.is + '` triggered `' + name + '` but its host has no method `' + b.handler + '`');
      return;
    }
    var target = { id: inst.id, dataset: inst.dataset };
    var ev = { type: name, timeStamp: N.now(), target: target, currentTarget: target, detail: detail === undefined ? {} : detail, mark: {} };
    guard(f, owner, [ev]);
  }
  // The instance whose WXML produced a node: "" is the page on top, else a component key.
  function ownerOf(key) { return key ? comps[key] : top(); }
  function componentDef(def) {
    if (!defs[def]) {
      loadingRoute = def;
      try { loadModule(N.resolve('', '/' + def) || def + '.js'); } catch (e) { reportError(e); }
      loadingRoute = null;
      if (!defs[def]) {
        N.warn('not-a-component', '`' + def + '` does not call Component(): it renders as a plain element');
        defs[def] = { kind: 'missing', opts: {} };
      }
    }
    return defs[def];
  }
  // A property takes its host's value when the value the parent renders changes, as WeChat's
  // framework diffs the parent's template: a re-render that passes what it passed before
  // leaves the property as the component itself may have set it since (a component whose
  // observer `setData`s its own property is not reset, and observed again, on every render).
  function setProps(inst, props) {
    var changed = [];
    var passed = inst.__passed || (inst.__passed = {});
    for (var p in props) {
      if (!hasOwn.call(inst.__props, p)) continue;
      var given = JSONstringify(props[p]);
      if (hasOwn.call(passed, p) && passed[p] === given) continue;
      passed[p] = given;
      var spec = inst.__props[p];
      var v = coerce(spec, clone(props[p]));
      var old = inst.data[p];
      if (JSONstringify(old) === JSONstringify(v) && old === v) continue;
      if (JSONstringify(old) === JSONstringify(v) && typeof v === 'object') continue;
      inst.data[p] = v;
      changed.push(p);
      if (typeof spec.observer === 'function') guard(spec.observer, inst, [v, old]);
      else if (typeof spec.observer === 'string' && typeof inst[spec.observer] === 'function') guard(inst[spec.observer], inst, [v, old]);
    }
    runObservers(inst, changed);
  }
  function detachComp(key) {
    var c = comps[key];
    if (!c) return;
    delete comps[key];
    if (c.__fresh) return;
    life(c, 'detached');
    unlinkUp(c);
  }
  // Detaching goes bottom-up, the reverse of attaching: a component's slot content, then its
  // own template's components, then the component.
  function detachAll(keys) {
    function seq(k) { var c = comps[k]; return c && c.__seq ? c.__seq : 0; }
    keys.sort(function (a, b) { return seq(b) - seq(a) || (a < b ? 1 : a > b ? -1 : 0); }).forEach(detachComp);
  }
  // What a component's first render shows: its defaults with the values its host binds (the
  // values reach the instance itself after `created`, as in WeChat).
  function firstView(c, props) {
    var view = copy(c.data) || {};
    for (var p in props) if (hasOwn.call(c.__props, p)) view[p] = coerce(c.__props[p], clone(props[p]));
    return view;
  }
  // After a render: the components it created get `created` (inner ones first), then their
  // host's values (property observers run), then `attached` in tree order with their relations
  // linked; `plan` is the render tree's components in tree order with their component
  // ancestors, nearest first (keys relative to the page). `ready` waits for `readyAll`.
  function lifecycle(plan) {
    var t = top();
    if (!t) return;
    var pre = t.__key;
    var root = t.__fresh ? t : null;
    var fresh = plan.filter(function (e) { var c = comps[pre + e.k]; return c && c.__fresh; });
    if (!fresh.length && !root) return;
    // created: a component's own template's components before it (they are built with its
    // template), components of one template in document order (slot content after its host)
    var owned = {};
    fresh.forEach(function (e) { (owned[e.o] = owned[e.o] || []).push(e.k); });
    function created(k) {
      var c = comps[pre + k];
      if (!c) return;
      (owned[k] || []).forEach(created);
      life(c, 'created');
      var props = c.__pendingProps;
      c.__pendingProps = null;
      c.__fresh = false;
      c.__needReady = true;
      if (props) setProps(c, props);
    }
    var tops = fresh.filter(function (e) { return !fresh.some(function (f) { return f.k === e.o; }); }).map(function (e) { return e.k; });
    tops.forEach(created);
    if (root) { life(root, 'created'); root.__fresh = false; root.__needReady = true; life(root, 'attached'); }
    fresh.forEach(function (e) {
      var c = comps[pre + e.k];
      if (!c || c.__detached) return;
      c.__seq = ++attachSeq;
      life(c, 'attached');
      linkUp(c, e.a.map(function (k) { return comps[pre + k]; }));
      readyQueue.push(c);
    });
  }
  var readyQueue = [];
  var attachSeq = 0;
  function readyAll() {
    var q = readyQueue;
    readyQueue = [];
    q.forEach(function (c) { if (c.__needReady && comps[c.__key] === c) { c.__needReady = false; life(c, 'ready'); } });
  }

  function instantiate(route, query) {
    var def = defs[route];
    var inst;
    if (!def) return null;
    var o = def.opts;
    if (def.kind === 'page') {
      inst = {};
      var data = {};
      // A page's behaviors (base library 2.9.2) lend it their data and methods.
      flattenBehaviors(o, [], []).forEach(function (b) {
        if (!b || typeof b !== 'object') return;
        mergeData(data, copy(b.data) || {});
        var m = b === o ? o : (b.methods || {});
        for (var k in m) if (k !== 'data' && k !== 'behaviors') inst[k] = m[k];
      });
      inst.data = data;
      inst.__hooks = inst;
    } else {
      inst = makeComponent(route, o, query);
    }
    if (def.kind === 'page') inst.__key = 'p' + (++pageSeq);
    inst.route = route;
    inst.__route__ = route;
    inst.options = query || {};
    inst.setData = makeSetData(inst);
    inst.selectComponent = function (sel) {
      var keys = JSONparse(N.select(scopeOf(inst), String(sel), false));
      return keys.length ? exportOf(comps[pageKeyOf(inst) + keys[0]]) : null;
    };
    inst.selectAllComponents = function (sel) {
      return JSONparse(N.select(scopeOf(inst), String(sel), true)).map(function (k) { return exportOf(comps[pageKeyOf(inst) + k]); }).filter(Boolean);
    };
    inst.createSelectorQuery = function () { return selectorQuery(inst); };
    inst.createIntersectionObserver = function (opts) { return intersectionObserver(inst, opts); };
    inst.getTabBar = function () { return tabBarOf(inst); };
    inst.getPageId = function () { return pageKeyOf(inst); };
    inst.animate = function (sel, frames, duration, cb) { if (typeof cb === 'function') post(function () { guard(cb, inst); }); };
    inst.clearAnimation = function (sel, opts, cb) { if (typeof cb === 'function') post(function () { guard(cb, inst); }); };
    inst.setUpdatePerformanceListener = function () {};
    return inst;
  }
  // The page key of an instance (`p3`), and the owner key its own WXML's nodes carry in the
  // render tree (`""` for the page, the component's key below the page for a component).
  function pageKeyOf(inst) {
    var k = inst && inst.__key ? inst.__key : '';
    var i = k.indexOf('/');
    return i < 0 ? k : k.slice(0, i);
  }
  function scopeOf(inst) {
    var k = inst && inst.__key ? inst.__key : '';
    var i = k.indexOf('/');
    return i < 0 ? '' : k.slice(i);
  }
  // selectComponent's answer: the instance, or what its `export()` gives (wx://component-export).
  function exportOf(c) {
    if (!c) return null;
    if (typeof c.__export === 'function') {
      try { return c.__export.call(c); } catch (e) { reportError(e); return null; }
    }
    return c;
  }
  // Selector queries answer from the last render: a node the selector finds (visible) has a
  // plausible box (stacked rows of the window's width), anything else is null.
  // The current page rendered if its render is stale, and the components it created ready.
  function freshLayout() {
    N.render(H, '', true);
    readyAll();
  }
  function selectorQuery(scope) {
    var owner = scope ? scopeOf(scope) : null;
    var reqs = [];
    var q = {};
    function ref(sel, all) {
      var r = {};
      function add(kind, fields, cb) { reqs.push({ sel: sel, all: all, kind: kind, fields: fields || {}, cb: cb }); return q; }
      r.boundingClientRect = function (cb) { return add('rect', null, cb); };
      r.scrollOffset = function (cb) { return add('scroll', null, cb); };
      r.fields = function (f, cb) { return add('fields', f && typeof f === 'object' ? f : {}, cb); };
      r.node = function (cb) { return add('node', null, cb); };
      r.context = function (cb) { return add('context', null, cb); };
      return r;
    }
    q.in = function (c) { owner = c ? scopeOf(c) : ''; return q; };
    q.select = function (sel) { return ref(String(sel), false); };
    q.selectAll = function (sel) { return ref(String(sel), true); };
    q.selectViewport = function () { return ref(null, false); };
    q.exec = function (cb) {
      var own = owner === null ? '' : owner;
      // Answered as a task, from the page as drawn by then (WeChat asks its render layer): a
      // query made in onReady, or right after setData, sees the elements that data shows.
      post(function () {
        freshLayout();
        var res = reqs.map(function (r) {
          var boxes = JSONparse(N.layout(own, r.sel === null ? '' : r.sel, r.sel === null ? 'viewport' : r.kind, r.all, JSONstringify(r.fields)));
          boxes.forEach(function (b) {
            if (!hasOwn.call(b, '__tag')) return;
            b.node = nodeOf(b.__tag, b);
            delete b.__tag;
          });
          return r.all ? boxes : (boxes.length ? boxes[0] : null);
        });
        reqs.forEach(function (r, i) { if (typeof r.cb === 'function') guard(r.cb, null, [res[i]]); });
        if (typeof cb === 'function') guard(cb, null, [res]);
      });
      return q;
    };
    return q;
  }
  // What `NodesRef.node()` gives: a `<canvas type="2d|webgl">`'s Canvas (its context draws
  // nothing: every method is there and does nothing), a `<scroll-view>`'s context; else null.
  function nodeOf(tag, box) {
    if (tag === 'canvas') return canvasNode(box);
    if (tag === 'scroll-view') {
      var sv = {};
      ['scrollTo', 'scrollIntoView', 'triggerRefresh', 'closeRefresh', 'triggerTwoLevel', 'closeTwoLevel'].forEach(function (m) { sv[m] = function () {}; });
      return sv;
    }
    return null;
  }
  function drawingContext() {
    var props = {};
    return new Proxy(props, {
      get: function (t, k) {
        if (hasOwn.call(t, k) || typeof k !== 'string') return t[k];
        if (k === 'then' || k === 'toJSON') return undefined;
        if (k === 'measureText') return function (text) { return { width: String(text === undefined ? '' : text).length * 10 }; };
        if (k === 'getImageData' || k === 'createImageData') return function (w, h) { return { width: w | 0, height: h | 0, data: new Uint8ClampedArray(Math.max(0, (w | 0) * (h | 0) * 4)) }; };
        if (k === 'createLinearGradient' || k === 'createRadialGradient' || k === 'createPattern') return function () { return { addColorStop: function () {} }; };
        return function () {};
      },
      set: function (t, k, v) { t[k] = v; return true; },
    });
  }
  function canvasNode(box) {
    var ctx = null;
    var c = {
      width: box && box.width ? box.width : 300,
      height: box && box.height ? box.height : 150,
      getContext: function () { return ctx || (ctx = drawingContext()); },
      createImage: function () {
        var img = { width: 0, height: 0, onload: null, onerror: null };
        var src = '';
        Object.defineProperty(img, 'src', {
          get: function () { return src; },
          set: function (v) { src = String(v); post(function () { if (typeof img.onload === 'function') guard(img.onload, img); }); },
          enumerable: true,
        });
        return img;
      },
      requestAnimationFrame: function (cb) { return G.setTimeout(cb, 16); },
      cancelAnimationFrame: function (id) { G.clearTimeout(id); },
      toDataURL: function () { return 'data:image/png;base64,'; },
      createImageData: function (w, h) { return { width: w | 0, height: h | 0, data: new Uint8ClampedArray(Math.max(0, (w | 0) * (h | 0) * 4)) }; },
    };
    return c;
  }
  // IntersectionObserver: an observed node that the last render shows is reported once as fully
  // in view (there is no scrolling to change it); nothing is reported for a node not shown.
  function intersectionObserver(scope, opts) {
    var o = {};
    var owner = scope ? scopeOf(scope) : '';
    var all = !!(opts && opts.observeAll);
    var live = true;
    o.relativeTo = function () { return o; };
    o.relativeToViewport = function () { return o; };
    o.observe = function (sel, cb) {
      if (typeof cb !== 'function') return;
      // Answered as a task, from the page as drawn by then (see selectorQuery's exec).
      post(function () {
        if (!live) return;
        freshLayout();
        var boxes = JSONparse(N.layout(owner, String(sel), 'fields', all, JSONstringify({ id: true, dataset: true, rect: true })));
        boxes = all ? boxes : boxes.slice(0, 1);
        boxes.forEach(function (b) {
          if (!live) return;
          var rect = { left: b.left, right: b.right, top: b.top, bottom: b.bottom, width: b.width, height: b.height };
          guard(cb, null, [{ id: b.id, dataset: b.dataset, intersectionRatio: 1, intersectionRect: rect,
            boundingClientRect: rect, relativeRect: rect, time: N.now() }]);
        });
      });
    };
    o.disconnect = function () { live = false; };
    return o;
  }
  // The custom tab bar's instance on a tab page (app.json `tabBar.custom`), else null: the
  // renderer draws it after the page's WXML as a component keyed `/custom-tab-bar`.
  function tabBarOf(inst) {
    return comps[pageKeyOf(inst) + '/custom-tab-bar'] || null;
  }
  function hook(inst, name, arg) {
    var f = inst.__hooks[name];
    if (typeof f === 'function') guard(f, inst, arg === undefined ? [] : [arg]);
  }
  function life(inst, name) {
    if (inst.__life) inst.__life[name].forEach(function (f) { guard(f, inst); });
  }
  function pageEvent(action, inst) { emit('page', { action: action, route: inst.route }); }
  function loadPage(route) {
    if (!defs[route]) {
      loadingRoute = route;
      var threw = false;
      var file = N.resolve('', '/' + route);
      try {
        if (!file || !/\.(js|ts)$/.test(file)) throw new Error('page `' + route + '` is listed in app.json but `' + route + '.js` does not exist');
        loadModule(file);
      } catch (e) { threw = true; reportError(e); }
      loadingRoute = null;
      if (!defs[route]) {
        // The file ran but never registered the page: WeChat shows nothing and reports it.
        defs[route] = { kind: 'page', opts: {}, missing: true };
        if (!threw) {
          reportError(new Error('Page[' + route + '] not found. May be caused by: 1. Forgot to add page route in app.json. ' +
            '2. Invoking Page() in async task.'));
        }
      }
    }
  }
  // WeChat's order: the page's components are created (inner ones first) and attached (in
  // tree order) by the first render, then the page's onLoad, the components' page `show`, its
  // onShow, the components' `ready`, its onReady.
  function openPage(route, query) {
    loadPage(route);
    var inst = instantiate(route, query);
    if (defs[route].missing) {
      // An unregistered page is on the stack (navigation still works) but has no lifecycle.
      stack.push(inst);
      return inst;
    }
    if (defs[route].kind === 'component') inst.__fresh = true;
    stack.push(inst);
    if (tabs.indexOf(route) >= 0) liveTabs[route] = inst;
    N.render(H, route, false);
    if (inst.__fresh) { inst.__fresh = false; life(inst, 'created'); life(inst, 'attached'); }
    markDirty();
    pageEvent('load', inst);
    hook(inst, 'onLoad', query || {});
    pageEvent('show', inst);
    pageLifetime(inst, 'show');
    hook(inst, 'onShow');
    readyAll();
    pageEvent('ready', inst);
    life(inst, 'ready');
    hook(inst, 'onReady');
    return inst;
  }
  function registered(inst) { return !defs[inst.route] || !defs[inst.route].missing; }
  // The components rendered on a page (keys start with the page's key).
  function pageComps(inst) {
    var out = [];
    var pre = inst.__key || '';
    if (!pre) return out;
    for (var k in comps) if (k.indexOf(pre + '/') === 0) out.push(k);
    return out.sort();
  }
  function pageLifetime(inst, name) {
    pageComps(inst).forEach(function (k) {
      var c = comps[k];
      if (c) c.__pageLt[name].forEach(function (f) { guard(f, c); });
    });
  }
  function hidePage(inst) {
    if (registered(inst)) { pageEvent('hide', inst); hook(inst, 'onHide'); pageLifetime(inst, 'hide'); }
  }
  function showPage(inst) {
    markDirty();
    if (registered(inst)) { pageEvent('show', inst); pageLifetime(inst, 'show'); hook(inst, 'onShow'); }
  }
  function unloadPage(inst) {
    if (liveTabs[inst.route] === inst) delete liveTabs[inst.route];
    if (registered(inst)) {
      pageEvent('unload', inst); hook(inst, 'onUnload');
      detachAll(pageComps(inst));
      life(inst, 'detached');
    }
    markDirty();
  }

  // ---------------------------------------------------------------- navigation
  var pagesList = CFG.pages;
  var tabs = CFG.tabs;
  function parseUrl(url, api) {
    var s = String(url === undefined ? '' : url);
    var q = '';
    var i = s.indexOf('?');
    if (i >= 0) { q = s.slice(i + 1); s = s.slice(0, i); }
    var route;
    if (s.charAt(0) === '/') route = s.slice(1);
    else {
      var base = stack.length ? dirname(stack[stack.length - 1].route) : '';
      var parts = (base ? base.split('/') : []);
      s.split('/').forEach(function (seg) {
        if (seg === '..') parts.pop(); else if (seg && seg !== '.') parts.push(seg);
      });
      route = parts.join('/');
    }
    route = route.replace(/\.js$/, '');
    var query = {};
    if (q) q.split('&').forEach(function (kv) {
      if (!kv) return;
      var j = kv.indexOf('=');
      var k = j < 0 ? kv : kv.slice(0, j);
      var v = j < 0 ? '' : kv.slice(j + 1);
      try { query[decodeURIComponent(k)] = decodeURIComponent(v); } catch (e) { query[k] = v; }
    });
    return { route: route, query: query };
  }
  function navigate(api, opts) {
    opts = opts || {};
    var url = opts.url;
    emit('navigate', { action: api, url: api === 'navigateBack' ? '' : String(url === undefined ? '' : url) });
    var fail = null;
    var target = null;
    if (api !== 'navigateBack') {
      target = parseUrl(url, api);
      if (pagesList.indexOf(target.route) < 0) fail = api + ':fail page "' + target.route + '" is not found';
      else if ((api === 'navigateTo' || api === 'redirectTo') && tabs.indexOf(target.route) >= 0)
        fail = api + ':fail can not ' + api + ' a tabbar page';
      else if (api === 'switchTab' && tabs.indexOf(target.route) < 0)
        fail = 'switchTab:fail can not switch to no-tabBar page';
      else if (api === 'navigateTo' && stack.length >= 10) fail = 'navigateTo:fail webview count limit exceed';
    } else if (stack.length <= 1) {
      fail = 'navigateBack:fail cannot navigate back at first page.';
    }
    var t = track(api, opts);
    post(function () {
      if (fail) { settle(t[0], false, { errMsg: fail }); return; }
      var top = stack[stack.length - 1];
      if (api === 'navigateTo') {
        hidePage(top);
        openPage(target.route, target.query);
      } else if (api === 'redirectTo') {
        stack.pop();
        unloadPage(top);
        openPage(target.route, target.query);
      } else if (api === 'navigateBack') {
        var delta = Math.max(1, Number(opts.delta) || 1);
        while (delta-- > 0 && stack.length > 1) unloadPage(stack.pop());
        showPage(stack[stack.length - 1]);
      } else if (api === 'switchTab') {
        // Every page that is not a tab page closes; the page left, a tab page, is hidden and
        // stays alive (the others on the stack were hidden when they were left); the target
        // is shown again if it is alive, else opened.
        var keep = liveTabs[target.route] || null;
        while (stack.length) {
          var p = stack.pop();
          if (liveTabs[p.route] === p) { if (p === top && p !== keep) hidePage(p); }
          else unloadPage(p);
        }
        if (keep) { stack.push(keep); if (keep !== top) showPage(keep); }
        else openPage(target.route, {});
      } else {
        // reLaunch: close every page, the tab pages kept alive included, open the target
        while (stack.length) unloadPage(stack.pop());
        for (var r in liveTabs) unloadPage(liveTabs[r]);
        openPage(target.route, target.query);
      }
      var done = { errMsg: api + ':ok' };
      // navigateTo's result carries the opened page's event channel (no messages are simulated)
      if (api === 'navigateTo') done.eventChannel = { emit: function () {}, on: function () {}, once: function () {}, off: function () {} };
      settle(t[0], true, done);
    });
    return t[1];
  }

  // ---------------------------------------------------------------- wx
  var wx = {};
  function def(name, fn) { wx[name] = fn; }
  // The API table, baked by bytecode.rs from miniperm_core::wxapi: APIS is ` name,shape,
  // handling,since ` rows (since as a*1e6+b*1e3+c, empty: every base library), NATIVE the
  // callback APIs Rust answers, DATED `name,since` of the APIs defined below that need a base
  // library. CFG.baseLib is the run's. Rows are read on demand: a run pays only for what it uses.
  var baseLib = CFG.baseLib;
  function present(since) { return !(since > baseLib); }
  function row(name) {
    if (!name || name.indexOf(' ') >= 0 || name.indexOf(',') >= 0) return null;
    var i = APIS.indexOf(' ' + name + ',');
    if (i < 0) return null;
    return APIS.slice(i + 1, APIS.indexOf(' ', i + 1)).split(',');
  }
  // engine-decided, native-UI and picker callback APIs: Rust answers
  NATIVE.split(' ').forEach(function (api) { wx[api] = nativeCall.bind(null, api); });
  def('openAppAuthorizeSetting', function (opts) { emitCall('openAppAuthorizeSetting', opts || {}); return later('openAppAuthorizeSetting', opts, true, ok('openAppAuthorizeSetting')); });
  def('openPrivacyContract', function (opts) { emitCall('openPrivacyContract', opts || {}); return later('openPrivacyContract', opts, true, ok('openPrivacyContract')); });
  def('getPrivacySetting', function (opts) {
    emitCall('getPrivacySetting', opts || {});
    var r = JSONparse(N.query('privacySetting'));
    return later('getPrivacySetting', opts, true, ok('getPrivacySetting', r));
  });
  def('onNeedPrivacyAuthorization', function (listener) {
    emitCall('onNeedPrivacyAuthorization', {});
    privacyListener = typeof listener === 'function' ? listener : null;
    N.privacyListener(!!privacyListener);
  });
  var privacyListener = null;
  def('stopLocationUpdate', function (opts) { emitCall('stopLocationUpdate', opts || {}); return later('stopLocationUpdate', opts, true, ok('stopLocationUpdate')); });
  var locationListeners = [];
  def('onLocationChange', function (fn) { if (typeof fn === 'function') locationListeners.push(fn); });
  def('offLocationChange', function (fn) { locationListeners = fn ? locationListeners.filter(function (f) { return f !== fn; }) : []; });
  def('getAppAuthorizeSetting', function () { emitCall('getAppAuthorizeSetting', {}); return observed('getAppAuthorizeSetting', JSONparse(N.query('appAuthorizeSetting'))); });
  def('getSystemSetting', function () { emitCall('getSystemSetting', {}); return JSONparse(N.query('systemSetting')); });
  // each API's own fields of the device/app/window info (Rust picks them by the table)
  function systemInfo(api) { return JSONparse(N.query('systemInfo:' + api)); }
  def('getSystemInfoSync', function () { return observed('getSystemInfoSync', systemInfo('getSystemInfoSync')); });
  def('getWindowInfo', function () { return systemInfo('getWindowInfo'); });
  def('getDeviceInfo', function () { return systemInfo('getDeviceInfo'); });
  def('getAppBaseInfo', function () { return systemInfo('getAppBaseInfo'); });
  def('getSystemInfo', function (opts) { return later('getSystemInfo', opts, true, ok('getSystemInfo', systemInfo('getSystemInfo'))); });
  def('getSystemInfoAsync', function (opts) { return later('getSystemInfoAsync', opts, true, ok('getSystemInfoAsync', systemInfo('getSystemInfoAsync'))); });
  def('getAccountInfoSync', function () { return { miniProgram: { appId: CFG.appid, envVersion: CFG.envVersion, version: '' }, plugin: {} }; });
  function launchOptions() {
    return { path: CFG.firstPage, query: {}, scene: 1001, referrerInfo: {}, apiCategory: 'default', forwardMaterials: [], hostExtraData: {} };
  }
  def('getLaunchOptionsSync', launchOptions);
  def('getEnterOptionsSync', launchOptions);
  // `api`, `api.member`, `api.success.field`, `component.attribute.value`: from the table and the
  // run's base library (components: present at every base library miniperm models).
  var COMPONENTS = {};
  ('view scroll-view swiper swiper-item movable-area movable-view cover-view cover-image icon progress ' +
   'rich-text text button checkbox checkbox-group editor form input keyboard-accessory label picker ' +
   'picker-view picker-view-column radio radio-group slider switch textarea navigator ' +
   'functional-page-navigator audio camera image live-player live-pusher video voip-room map canvas ' +
   'web-view ad ad-custom official-account open-data page-meta navigation-bar match-media ' +
   'page-container share-element grid-view list-view sticky-header sticky-section root-portal ' +
   'channel-live channel-video store-product').split(' ').forEach(function (c) { COMPONENTS[c] = true; });
  def('canIUse', function (schema) {
    var s = String(schema === undefined ? '' : schema);
    var r = row(s);
    if (r) return present(+r[3]);
    var first = s.split('.')[0];
    if (s.indexOf('.') > 0 && hasOwn.call(COMPONENTS, first)) return true;
    r = row(first);
    return !!r && present(+r[3]);
  });
  def('nextTick', function (fn) { if (typeof fn === 'function') resolved().then(function () { guard(fn); }); });
  // UI without an answer
  def('showToast', function (opts) {
    opts = opts || {};
    emitCall('showToast', opts);
    emit('ui', { ui: 'toast', title: String(opts.title === undefined ? '' : opts.title), icon: opts.icon === undefined ? 'success' : String(opts.icon) });
    return later('showToast', opts, true, ok('showToast'));
  });
  def('showLoading', function (opts) {
    opts = opts || {};
    emitCall('showLoading', opts);
    emit('ui', { ui: 'toast', title: String(opts.title === undefined ? '' : opts.title), icon: 'loading' });
    return later('showLoading', opts, true, ok('showLoading'));
  });
  ['hideToast', 'hideLoading', 'setNavigationBarTitle', 'setNavigationBarColor', 'stopPullDownRefresh',
   'startPullDownRefresh', 'pageScrollTo', 'vibrateShort', 'vibrateLong', 'showNavigationBarLoading',
   'hideNavigationBarLoading', 'setTabBarBadge', 'removeTabBarBadge', 'showTabBar', 'hideTabBar',
   'showShareMenu', 'hideShareMenu', 'hideKeyboard', 'setBackgroundColor', 'setBackgroundTextStyle'
  ].forEach(function (api) {
    def(api, function (opts) { emitCall(api, opts || {}); return later(api, opts, true, ok(api)); });
  });
  ['navigateTo', 'redirectTo', 'navigateBack', 'switchTab', 'reLaunch'].forEach(function (api) {
    def(api, function (opts) { emitCall(api, opts || {}); return navigate(api, opts); });
  });
  // storage: per run, in memory
  var storage = {};
  function storeKey(k) { return String(k); }
  def('setStorageSync', function (k, v) { storage[storeKey(k)] = clone(v); });
  def('getStorageSync', function (k) { var v = storage[storeKey(k)]; return v === undefined ? '' : clone(v); });
  def('removeStorageSync', function (k) { delete storage[storeKey(k)]; });
  def('clearStorageSync', function () { storage = {}; });
  def('getStorageInfoSync', function () { return { keys: Object.keys(storage), currentSize: 0, limitSize: 10240 }; });
  def('setStorage', function (o) { o = o || {}; storage[storeKey(o.key)] = clone(o.data); return later('setStorage', o, true, ok('setStorage')); });
  def('getStorage', function (o) {
    o = o || {};
    var k = storeKey(o.key);
    if (!hasOwn.call(storage, k)) return later('getStorage', o, false, { errMsg: 'getStorage:fail data not found' });
    return later('getStorage', o, true, ok('getStorage', { data: clone(storage[k]) }));
  });
  def('removeStorage', function (o) { o = o || {}; delete storage[storeKey(o.key)]; return later('removeStorage', o, true, ok('removeStorage')); });
  def('clearStorage', function (o) { storage = {}; return later('clearStorage', o, true, ok('clearStorage')); });
  def('getStorageInfo', function (o) { return later('getStorageInfo', o, true, ok('getStorageInfo', { keys: Object.keys(storage), currentSize: 0, limitSize: 10240 })); });
  // recorder
  var recorder = null;
  def('getRecorderManager', function () {
    if (recorder) return recorder;
    var ls = { start: [], stop: [], pause: [], resume: [], error: [], frame: [], interruptionBegin: [], interruptionEnd: [] };
    var startedAt = -1;
    var autoStop = 0;
    function fire(name, res, at) {
      ls[name].forEach(function (f) {
        emit('callback', { api: 'RecorderManager.on' + name.charAt(0).toUpperCase() + name.slice(1), kind: name === 'error' ? 'fail' : 'success', res: res || {}, at: at });
        guard(f, null, res === undefined ? [] : [res]);
      });
    }
    function stop(byUser) {
      if (byUser) emitCall('RecorderManager.stop', {});
      if (startedAt < 0) return;
      clearTimer(autoStop);
      var d = Math.max(0, N.now() - startedAt);
      startedAt = -1;
      post(function () { fire('stop', { tempFilePath: 'wxfile://tmp/recording.mp3', duration: d, fileSize: Math.round(d * 6) }); });
    }
    recorder = {
      start: function (o) {
        o = o || {};
        // `duration` (default 60 s, at most 10 min) stops the recording on the virtual clock.
        var max = Math.min(Number(o.duration) > 0 ? Number(o.duration) : 60000, 600000);
        native('RecorderManager.start', o, function (okk, res, at) {
          if (okk) {
            // The recording started: a trace even when nothing listens for onStart.
            emit('callback', { api: 'RecorderManager.start', kind: 'success', res: res || {}, at: at });
            startedAt = N.now();
            fire('start', { errMsg: 'start:ok' });
            autoStop = addTimer(function () { stop(false); }, max, [], false);
          } else if (ls.error.length) fire('error', res, at);
          else N.warn('unhandled-fail', '`RecorderManager.start` failed with `' + (res && res.errMsg) +
            '` and nothing handles it (no onError listener)', at);
        });
      },
      stop: function () { stop(true); },
      pause: function () { post(function () { fire('pause', { errMsg: 'pause:ok' }); }); },
      resume: function () { post(function () { fire('resume', { errMsg: 'resume:ok' }); }); },
    };
    Object.keys(ls).forEach(function (n) {
      recorder['on' + n.charAt(0).toUpperCase() + n.slice(1)] = function (f) { if (typeof f === 'function') ls[n].push(f); };
    });
    return recorder;
  });
  def('stopRecord', function (o) { emitCall('stopRecord', o || {}); return later('stopRecord', o, true, ok('stopRecord')); });
  def('createSelectorQuery', function () { return selectorQuery(null); });
  // An Animation: its methods chain, `step` closes a group, `export` hands the groups to the
  // view and starts afresh (nothing moves here: the steps are data). Its methods are own
  // properties, so an Animation kept in `data` keeps them (setData copies enumerable fields).
  var ANIMATION = ('opacity backgroundColor width height top left bottom right rotate rotateX rotateY ' +
    'rotateZ rotate3d scale scaleX scaleY scaleZ scale3d translate translateX translateY translateZ ' +
    'translate3d skew skewX skewY matrix matrix3d').split(' ');
  def('createAnimation', function (opts) {
    var base = opts && typeof opts === 'object' ? opts : {};
    var actions = [];
    var current = [];
    var a = {};
    ANIMATION.forEach(function (name) {
      a[name] = function () { current.push({ type: name, args: [].slice.call(arguments) }); return a; };
    });
    a.step = function (o) {
      var opt = o && typeof o === 'object' ? o : {};
      actions.push({ animates: current, option: {
        transition: { duration: opt.duration !== undefined ? opt.duration : (base.duration !== undefined ? base.duration : 400),
          timingFunction: opt.timingFunction || base.timingFunction || 'linear', delay: opt.delay || base.delay || 0 },
        transformOrigin: opt.transformOrigin || base.transformOrigin || '50% 50% 0' } });
      current = [];
      return a;
    };
    a.export = function () { var out = { actions: actions }; actions = []; return out; };
    return a;
  });
  def('createIntersectionObserver', function (c, opts) { return intersectionObserver(c && c.__key ? c : null, opts); });
  // The capsule (menu) button of the navigation bar on the simulated device (see payload.rs's
  // system info): 87×32, 4 px below the status bar, 7 px from the right edge.
  def('getMenuButtonBoundingClientRect', function () {
    var info = JSONparse(N.query('getWindowInfo'));
    var w = info.windowWidth, top = info.statusBarHeight + 4;
    return { width: 87, height: 32, top: top, bottom: top + 32, right: w - 7, left: w - 7 - 87 };
  });
  // No ext config: a third-party platform's ext.json is not part of the project.
  def('getExtConfigSync', function () { return {}; });
  def('getExtConfig', function (opts) { emitCall('getExtConfig', opts || {}); return later('getExtConfig', opts, true, ok('getExtConfig', { extConfig: {} })); });
  /* @sim */
  // Every other API of the table: present, behaving as its shape allows and warning once.
  function stub(api, shape) {
    if (shape === 'c') {
      return function (opts) { N.unsupported(api, shape); return later(api, opts, false, { errMsg: N.notSupported(api) }); };
    }
    if (shape === 'f') {
      return function () {
        N.unsupported(api, shape);
        return new Proxy({}, {
          get: function (t, k) {
            if (typeof k !== 'string' || k === 'then' || k === 'toJSON') return undefined;
            return function () { N.unsupported(api + '().' + k, 's'); };
          },
        });
      };
    }
    return function () { N.unsupported(api, shape); };
  }
  // the APIs defined above that this base library does not have yet
  DATED.split(' ').forEach(function (e) {
    var f = e.split(',');
    if (!present(+f[1])) delete wx[f[0]];
  });
  // Every other API of the table is an own property of `wx` made on first touch (get, `in`,
  // a descriptor, or listing the keys, which makes them all): `wx` is a proxy over the object
  // above, so a run pays only for the APIs it touches. Namespaces (`wx.cloud`) work the same way.
  function lazy(target, prefix) {
    // Every member made (the keys were listed once): later lookups are plain property reads.
    var all = false;
    function build(t, k, r) {
      if (!present(+r[3])) return false;
      t[k] = r[1] === 'n' ? lazy({}, prefix + k + '.') : stub(prefix + k, r[1]);
      return true;
    }
    function make(t, k) {
      if (hasOwn.call(t, k)) return true;
      if (all) return false;
      var r = row(prefix + k);
      return !!r && build(t, k, r);
    }
    var traps = {
      get: function (t, k, recv) { if (typeof k === 'string' && !all) make(t, k); return Reflect.get(t, k, recv); },
      has: function (t, k) { return (typeof k === 'string' && make(t, k)) || k in t; },
      getOwnPropertyDescriptor: function (t, k) { if (typeof k === 'string' && !all) make(t, k); return Reflect.getOwnPropertyDescriptor(t, k); },
      ownKeys: function (t) {
        // One pass over the table: each row's own fields make its member (no search per name).
        if (!all) {
          var rows = APIS.split(' ');
          for (var i = 0; i < rows.length; i++) {
            var f = rows[i].split(',');
            var n = f[0];
            if (n.length > prefix.length && n.indexOf(prefix) === 0 && n.indexOf('.', prefix.length) < 0) {
              var k = n.slice(prefix.length);
              if (!hasOwn.call(t, k)) build(t, k, f);
            }
          }
          all = true;
          // Every member is made: the proxy forwards natively from here on (a handler without
          // traps), so a listing, a spread or a read costs what it costs on a plain object.
          delete traps.get;
          delete traps.has;
          delete traps.getOwnPropertyDescriptor;
          delete traps.ownKeys;
        }
        return Reflect.ownKeys(t);
      },
    };
    return new Proxy(target, traps);
  }
  G.wx = lazy(wx, '');


  // ---------------------------------------------------------------- host entry points (called from Rust)
  function top() { return stack[stack.length - 1]; }
  var H = {
    preload: function (path) { preloaded[path] = N.load(path); },
    launch: function (path, query) {
      try { loadModule(N.resolve('', '/app') || 'app.js'); } catch (e) { reportError(e); }
      var a = app || (app = {});
      var opts = { path: path, query: query || {}, scene: 1001, referrerInfo: {} };
      if (typeof a.onLaunch === 'function') guard(a.onLaunch, a, [opts]);
      if (typeof a.onShow === 'function') guard(a.onShow, a, [opts]);
    },
    open: function (route, queryJson) { openPage(route, JSONparse(queryJson)); },
    // A tap on <navigator>: the navigation of its open-type, made natively (no wx call; a
    // failure is a warning, as WeChat logs it). `exit` closes the mini-program: not simulated.
    navigator: function (openType, url, delta) {
      var api = { navigate: 'navigateTo', redirect: 'redirectTo', switchTab: 'switchTab', reLaunch: 'reLaunch', navigateBack: 'navigateBack' }[openType];
      if (!api) {
        N.warn('not-supported', '`<navigator open-type="' + openType + '">` is not simulated by miniperm');
        return;
      }
      navigate(api, {
        url: url, delta: delta, success: function () {},
        fail: function (r) { N.warn('navigator', '`<navigator open-type="' + openType + '" url="' + url + '">` failed: ' + r.errMsg); },
      });
    },
    route: function () { var t = top(); return t ? t.route : ''; },
    // A native page (the settings page) covers the current page, then returns to it.
    cover: function () { var t = top(); if (t) hidePage(t); },
    uncover: function () { var t = top(); if (t) showPage(t); },
    hasHandler: function (name) { var t = top(); return !!t && typeof t.__hooks[name] === 'function'; },
    tap: function (name, eventJson) {
      var t = top();
      var ev = JSONparse(eventJson);
      ev.timeStamp = N.now();
      emit('tap', { route: t.route, handler: name });
      guard(t.__hooks[name], t, [ev]);
    },
    handler: function (name, eventJson) {
      var t = top();
      if (!t || typeof t.__hooks[name] !== 'function') return false;
      var ev = JSONparse(eventJson);
      ev.timeStamp = N.now();
      guard(t.__hooks[name], t, [ev]);
      return true;
    },
    deliver: function (id, okk, resJson, failure) { settle(id, okk, JSONparse(resJson), failure || undefined); },
    // ---- render tree (Rust renders the page's WXML and drives the components)
    pageData: function () {
      var t = top();
      if (!t || (defs[t.route] && defs[t.route].missing)) return '';
      return safeJson({ key: t.__key, route: t.route, data: t.data });
    },
    instance: function (key, def, propsJson) {
      var t = top();
      if (!t) return '';
      var full = t.__key + key;
      var c = comps[full];
      var props = JSONparse(propsJson);
      if (!c) {
        var d = componentDef(def);
        if (d.kind !== 'component') return '';
        c = instantiate(def, null);
        c.__key = full;
        c.__fresh = true;
        comps[full] = c;
      }
      if (c.__fresh) {
        c.__pendingProps = props;
        return safeJson(firstView(c, props));
      }
      setProps(c, props);
      return safeJson(c.data);
    },
    lifecycle: function (planJson) { lifecycle(JSONparse(planJson)); },
    readyAll: function () { readyAll(); },
    // What the drawing of a page needs from a component's definition (host/screen.rs).
    styleOptions: function (def) {
      var d = defs[def];
      var o = (d && d.opts) || {};
      var op = o.options || {};
      return safeJson({ styleIsolation: op.styleIsolation, addGlobalClass: op.addGlobalClass, externalClasses: o.externalClasses });
    },
    hostEvents: function (key, id, datasetJson, eventsJson) {
      var t = top();
      var c = t && comps[t.__key + key];
      if (!c) return;
      c.id = id;
      c.dataset = JSONparse(datasetJson);
      var evs = JSONparse(eventsJson);
      for (var n in evs) evs[n].owner = evs[n].owner ? t.__key + evs[n].owner : '';
      c.__events = evs;
    },
    prune: function (keysJson) {
      var t = top();
      if (!t) return;
      var keep = {};
      JSONparse(keysJson).forEach(function (k) { keep[t.__key + k] = true; });
      detachAll(pageComps(t).filter(function (k) { return !keep[k]; }));
    },
    hasMethod: function (owner, name) {
      var o = owner ? comps[top().__key + owner] : top();
      return !!o && typeof o.__hooks[name] === 'function';
    },
    // A two-way binding (`model:value="{{a.b}}"`): a person's change written back to the
    // owner's data at that path.
    model: function (owner, path, valueJson) {
      var o = owner ? comps[top().__key + owner] : top();
      if (!o || typeof o.setData !== 'function') return;
      var d = {};
      d[path] = JSONparse(valueJson);
      o.setData(d);
    },
    invoke: function (owner, name, eventJson) {
      var o = owner ? comps[top().__key + owner] : top();
      if (!o || typeof o.__hooks[name] !== 'function') return false;
      var ev = JSONparse(eventJson);
      ev.timeStamp = N.now();
      guard(o.__hooks[name], o, [ev]);
      return true;
    },
    // A WXS module's function called from a binding (`what`: the dotted member, '' the module
    // itself), or with `what` "\u0000" the module's exports as data.
    wxs: function (id, what, argsJson) {
      var m;
      try { m = loadWxs(id); } catch (e) { reportError(e); return ''; }
      if (what === '\u0000') return safeJson(m.exports);
      var self = null, fn = m.exports;
      if (what !== '') {
        var segs = what.split('.');
        for (var i = 0; i < segs.length; i++) {
          if (fn === null || fn === undefined) return '';
          self = fn;
          fn = fn[segs[i]];
        }
      }
      if (typeof fn !== 'function') return '';
      try {
        var r = fn.apply(self, JSONparse(argsJson));
        return r === undefined ? 'null' : safeJson(r);
      } catch (e) { reportError(e); return ''; }
    },
    camera: function (owner, handler, id, datasetJson) {
      native('<camera>', {}, function (okk, res) {
        if (okk || !handler) return;
        var o = owner ? comps[top().__key + owner] : top();
        if (!o || typeof o.__hooks[handler] !== 'function') return;
        var target = { id: id, dataset: JSONparse(datasetJson) };
        guard(o.__hooks[handler], o, [{ type: 'error', timeStamp: N.now(), target: target, currentTarget: target, detail: res, mark: {} }]);
      });
    },
    task: function (id) { var f = tasks[id]; delete tasks[id]; if (f) guard(f); },
    nextTimer: function () { var i = earliest(); return i < 0 ? -1 : timers[i].at; },
    nextPeriodic: function () { var i = earliest(); return i >= 0 && timers[i].periodic; },
    fireTimer: function () {
      var i = earliest();
      if (i < 0) return;
      var t = timers[i];
      if (t.interval) t.at = t.at + t.interval; else timers.splice(i, 1);
      t.seq = ++timerSeq;
      firing++;
      try { guard(t.fn, null, t.args); } finally { firing--; }
    },
    privacy: function (referrer) {
      if (!privacyListener) return false;
      var l = privacyListener;
      // The host resolves from the user's answer (agree = the agree button's tap); calling
      // resolve from the page changes nothing.
      var resolve = function () {};
      guard(l, null, [resolve, { referrer: referrer }]);
      return true;
    },
    location: function (resJson) {
      var r = JSONparse(resJson);
      locationListeners.forEach(function (f) { guard(f, null, [r]); });
    },
  };
  return H;
})

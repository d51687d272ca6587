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
  function emit(type, fields) { N.emit(type, safeJson(fields)); }
  // Where the mini-program made a wx call: the first stack frame outside this prelude (which has
  // no project file name), as `file:line:col` (Rust parses the stack and maps it to the original
  // source).
  function site() {
    var s = new Error().stack;
    if (typeof s !== 'string') return undefined;
    return N.site(s) || undefined;
  }
  function emitCall(api, args) { var at = site(); emit('call', { api: api, args: args, at: at }); return at; }
  function emitExact(type, fields) { N.emit(type, exactJson(fields)); }
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

  // ---------------------------------------------------------------- tasks (ordered by Rust)
  var tasks = {};
  var taskSeq = 0;
  function post(fn) { var id = ++taskSeq; tasks[id] = fn; N.task(id); }

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
    var entry = { api: api, opts: opts };
    var ret;
    if (!hasCallbacks(opts)) {
      ret = new PromiseC(function (res, rej) { entry.resolve = res; entry.reject = rej; });
    }
    pending[id] = entry;
    return [id, ret];
  }
  function settle(id, ok, res) {
    var p = pending[id];
    if (!p) return;
    delete pending[id];
    if (p.handle) { p.handle(ok, res, p.at); return; }
    var o = p.opts || {};
    if (p.resolve) {
      emit('callback', { api: p.api, kind: ok ? 'resolve' : 'reject', res: res, at: p.at });
      if (ok) p.resolve(res); else p.reject(res);
      return;
    }
    var kind = ok ? 'success' : 'fail';
    if (!ok && typeof o.fail !== 'function' && typeof o.complete !== 'function') {
      N.warn('unhandled-fail', '`wx.' + p.api + '` failed with `' + (res && res.errMsg) +
        '` and nothing handles it (no fail or complete callback)', p.at);
    }
    if (typeof o[kind] === 'function') {
      emit('callback', { api: p.api, kind: kind, res: res, at: p.at });
      guard(o[kind], o, [res]);
    }
    if (typeof o.complete === 'function') {
      emit('callback', { api: p.api, kind: 'complete', res: res, at: p.at });
      guard(o.complete, o, [res]);
    }
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
  function logger(level) {
    return function () {
      var args = [];
      for (var i = 0; i < arguments.length; i++) {
        var a = arguments[i];
        args.push(a instanceof Error ? String(a) : a);
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
  var timers = [];
  var timerSeq = 0;
  function addTimer(fn, delay, args, interval) {
    var id = ++timerSeq;
    if (typeof fn !== 'function') return id;
    var d = Number(delay) || 0;
    if (d < 0) d = 0;
    timers.push({ id: id, at: N.now() + d, seq: id, fn: fn, args: args, interval: interval ? (d || 1) : 0 });
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
      var req = function (spec) { return requireFrom(path, spec); };
      f.call(m.exports, req, m, m.exports, path, dirname(path));
    }
    m.loaded = true;
    return m.exports;
  }
  G.requirePlugin = function (name) {
    N.warn('not-supported', 'requirePlugin(`' + String(name) + '`) is not supported by miniperm: plugins are not simulated');
    return {};
  };

  // ---------------------------------------------------------------- App, Page, Component, Behavior
  var app = null;
  var defs = {};
  var loadingRoute = null;
  var stack = [];
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
        for (var k in patch) if (hasOwn.call(patch, k)) setPath(inst.data, k, clone(patch[k]));
        if (inst.__observers) runObservers(inst, Object.keys(patch));
      }
      markDirty();
      emitExact('data', { route: inst.route, patch: patch || {} });
      if (typeof cb === 'function') post(function () { guard(cb, inst); });
    };
  }

  // ---------------------------------------------------------------- custom components
  // Instances live in `comps` by key (the page's key + the render position, from Rust's render
  // tree). Rust creates and updates them while it renders (`instance`), tells each one which
  // handlers its host element binds (`hostEvents`), and detaches the ones a render no longer has.
  var comps = {};
  var wxsModules = {};
  var pageSeq = 0;
  function typeDefault(type) {
    if (type === String) return '';
    if (type === Number) return 0;
    if (type === Boolean) return false;
    if (type === Array) return [];
    if (type === Object) return null;
    return null;
  }
  function coerce(type, v) {
    if (v === undefined) return v;
    if (type === String) return v === null ? '' : typeof v === 'string' ? v : String(v);
    if (type === Number) { var n = Number(v); return isNaN(n) ? 0 : n; }
    if (type === Boolean) return !!v;
    return v;
  }
  function propSpec(spec) {
    if (typeof spec === 'function' || spec === null) return { type: spec, value: typeDefault(spec), observer: null };
    if (spec && typeof spec === 'object') {
      var type = hasOwn.call(spec, 'type') ? spec.type : null;
      return {
        type: type,
        value: hasOwn.call(spec, 'value') ? clone(spec.value) : typeDefault(type),
        observer: spec.observer,
      };
    }
    return { type: null, value: spec === undefined ? null : spec, observer: null };
  }
  function flattenBehaviors(o, out, seen) {
    var bs = Array.isArray(o.behaviors) ? o.behaviors : [];
    for (var i = 0; i < bs.length; i++) {
      var b = bs[i];
      if (!b || typeof b !== 'object' || seen.indexOf(b) >= 0) continue;
      seen.push(b);
      flattenBehaviors(b, out, seen);
      out.push(b);
    }
    out.push(o);
    return out;
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
    var pageLt = { show: [], hide: [], resize: [] };
    parts.forEach(function (b) {
      if (!b || typeof b !== 'object') return;
      var d = clone(b.data) || {};
      for (var k in d) inst.data[k] = d[k];
      var ps = b.properties || {};
      for (var p in ps) {
        var spec = propSpec(ps[p]);
        props[p] = spec;
        inst.data[p] = clone(spec.value);
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
    });
    // A component opened as a page (its route in app.json): the query fills its properties.
    if (query) for (var q in query) if (hasOwn.call(props, q)) inst.data[q] = coerce(props[q].type, query[q]);
    inst.properties = inst.data;
    inst.__life = life;
    inst.__hooks = hooks;
    inst.__props = props;
    inst.__observers = observers;
    inst.__pageLt = pageLt;
    inst.__events = {};
    if (pageLt.show.length && !hooks.onShow) hooks.onShow = function () { var s = this; pageLt.show.forEach(function (f) { guard(f, s); }); };
    if (pageLt.hide.length && !hooks.onHide) hooks.onHide = function () { var s = this; pageLt.hide.forEach(function (f) { guard(f, s); }); };
    inst.triggerEvent = function (name, detail, options) { triggerEvent(inst, name, detail, options || {}); };
    return inst;
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
  function setProps(inst, props) {
    var changed = [];
    for (var p in props) {
      if (!hasOwn.call(inst.__props, p)) continue;
      var spec = inst.__props[p];
      var v = coerce(spec.type, clone(props[p]));
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
    life(c, 'detached');
  }

  function instantiate(route, query) {
    var def = defs[route];
    var inst;
    if (!def) return null;
    var o = def.opts;
    if (def.kind === 'page') {
      inst = {};
      for (var k in o) if (k !== 'data') inst[k] = o[k];
      inst.data = clone(o.data) || {};
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
      var keys = JSONparse(N.select(inst.__key || '', String(sel), false));
      return keys.length ? comps[keys[0]] || null : null;
    };
    inst.selectAllComponents = function (sel) {
      return JSONparse(N.select(inst.__key || '', String(sel), true)).map(function (k) { return comps[k]; }).filter(Boolean);
    };
    inst.createSelectorQuery = function () { return wx.createSelectorQuery(); };
    return inst;
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
      try { loadModule(N.resolve('', '/' + route) || route + '.js'); } catch (e) { threw = true; reportError(e); }
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
  function openPage(route, query) {
    loadPage(route);
    var inst = instantiate(route, query);
    if (defs[route].missing) {
      // An unregistered page is on the stack (navigation still works) but has no lifecycle.
      stack.push(inst);
      return inst;
    }
    life(inst, 'created');
    life(inst, 'attached');
    stack.push(inst);
    markDirty();
    pageEvent('load', inst);
    hook(inst, 'onLoad', query || {});
    pageEvent('show', inst);
    hook(inst, 'onShow');
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
    if (registered(inst)) { pageEvent('show', inst); hook(inst, 'onShow'); pageLifetime(inst, 'show'); }
  }
  function unloadPage(inst) {
    if (registered(inst)) {
      pageEvent('unload', inst); hook(inst, 'onUnload'); life(inst, 'detached');
      pageComps(inst).forEach(detachComp);
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
      } else {
        // reLaunch / switchTab: close every page, open the target
        while (stack.length) unloadPage(stack.pop());
        openPage(target.route, api === 'switchTab' ? {} : target.query);
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
  def('getAppAuthorizeSetting', function () { emitCall('getAppAuthorizeSetting', {}); return JSONparse(N.query('appAuthorizeSetting')); });
  def('getSystemSetting', function () { emitCall('getSystemSetting', {}); return JSONparse(N.query('systemSetting')); });
  // each API's own fields of the device/app/window info (Rust picks them by the table)
  function systemInfo(api) { return JSONparse(N.query('systemInfo:' + api)); }
  def('getSystemInfoSync', function () { return systemInfo('getSystemInfoSync'); });
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
  def('createSelectorQuery', function () {
    var q = {
      select: function () { return q; }, selectAll: function () { return q; }, selectViewport: function () { return q; },
      boundingClientRect: function () { return q; }, scrollOffset: function () { return q; }, fields: function () { return q; },
      node: function () { return q; }, in: function () { return q; },
      exec: function (cb) { if (typeof cb === 'function') post(function () { guard(cb, null, [[]]); }); },
    };
    return q;
  });
  /* @sim */
  // Every other API of the table: present, behaving as its shape allows and warning once.
  function stub(api, shape) {
    if (shape === 'c') {
      return function (opts) { N.unsupported(api, shape); return later(api, opts, false, { errMsg: api + ':fail not supported' }); };
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
    function make(t, k) {
      if (hasOwn.call(t, k)) return true;
      var r = row(prefix + k);
      if (!r || !present(+r[3])) return false;
      t[k] = r[1] === 'n' ? lazy({}, prefix + k + '.') : stub(prefix + k, r[1]);
      return true;
    }
    return new Proxy(target, {
      get: function (t, k, recv) { if (typeof k === 'string') make(t, k); return Reflect.get(t, k, recv); },
      has: function (t, k) { return (typeof k === 'string' && make(t, k)) || k in t; },
      getOwnPropertyDescriptor: function (t, k) { if (typeof k === 'string') make(t, k); return Reflect.getOwnPropertyDescriptor(t, k); },
      ownKeys: function (t) {
        var rows = APIS.split(' ');
        for (var i = 0; i < rows.length; i++) {
          var n = rows[i].slice(0, rows[i].indexOf(','));
          if (n.length > prefix.length && n.indexOf(prefix) === 0 && n.indexOf('.', prefix.length) < 0) make(t, n.slice(prefix.length));
        }
        return Reflect.ownKeys(t);
      },
    });
  }
  G.wx = lazy(wx, '');


  // ---------------------------------------------------------------- host entry points (called from Rust)
  function top() { return stack[stack.length - 1]; }
  return {
    preload: function (path) { preloaded[path] = N.load(path); },
    launch: function (path, query) {
      try { loadModule(N.resolve('', '/app') || 'app.js'); } catch (e) { reportError(e); }
      var a = app || (app = {});
      var opts = { path: path, query: query || {}, scene: 1001, referrerInfo: {} };
      if (typeof a.onLaunch === 'function') guard(a.onLaunch, a, [opts]);
      if (typeof a.onShow === 'function') guard(a.onShow, a, [opts]);
    },
    open: function (route, queryJson) { openPage(route, JSONparse(queryJson)); },
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
    deliver: function (id, okk, resJson) { settle(id, okk, JSONparse(resJson)); },
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
        comps[full] = c;
        setProps(c, props);
        life(c, 'created');
        life(c, 'attached');
        life(c, 'ready');
      } else {
        setProps(c, props);
      }
      return safeJson(c.data);
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
      pageComps(t).forEach(function (k) { if (!keep[k]) detachComp(k); });
    },
    hasMethod: function (owner, name) {
      var o = owner ? comps[top().__key + owner] : top();
      return !!o && typeof o.__hooks[name] === 'function';
    },
    invoke: function (owner, name, eventJson) {
      var o = owner ? comps[top().__key + owner] : top();
      if (!o || typeof o.__hooks[name] !== 'function') return false;
      var ev = JSONparse(eventJson);
      ev.timeStamp = N.now();
      guard(o.__hooks[name], o, [ev]);
      return true;
    },
    // A WXS function called from a binding: `src` modules load like any module, inline ones
    // are compiled once per run.
    wxs: function (id, src, code, func, argsJson) {
      var m = wxsModules[id];
      if (!m) {
        m = { exports: {} };
        var file = id.slice(0, id.indexOf('#'));
        try {
          if (!code) {
            m.exports = loadModule(src);
          } else {
            var f = new Function('module', 'exports', 'require', code);
            f.call(m.exports, m, m.exports, function (spec) { return loadModule(N.resolve(file, spec) || spec); });
          }
        } catch (e) { reportError(e); }
        wxsModules[id] = m;
      }
      var fn = m.exports && m.exports[func];
      if (typeof fn !== 'function') return '';
      try { return exactJson(fn.apply(null, JSONparse(argsJson))); } catch (e) { reportError(e); return ''; }
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
    fireTimer: function () {
      var i = earliest();
      if (i < 0) return;
      var t = timers[i];
      if (t.interval) t.at = t.at + t.interval; else timers.splice(i, 1);
      t.seq = ++timerSeq;
      guard(t.fn, null, t.args);
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
})

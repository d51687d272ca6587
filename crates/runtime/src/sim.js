  // ---------------------------------------------------------------- simulated APIs (sim.js)
  // Spliced into the prelude's closure at its `@sim` marker (bytecode.rs), so these `def`s come
  // before the unsupported stubs. Files, images, audio, camera, canvas, network and cloud are
  // simulated per run and deterministically; answers that would come from a server come from
  // miniperm.json `mocks` (N.mock, which also warns `unmocked`), see crates/runtime/README.md.
  (function () {
    var USR = 'wxfile://usr';
    var STORE = 'wxfile://store';
    var MAX_STORE = 10 * 1024 * 1024; // bytes in wxfile://usr and saved files
    var NOMINAL = 51200; // size of a simulated image or download
    var AUDIO_SECONDS = 3; // every audio source plays for 3 s of virtual time
    // path -> { bytes: Uint8Array|null, text: string|null (written as utf8), size, image, time, saved }
    var files = {};
    var dirs = {};
    dirs[USR] = 0;
    var stored = 0;
    var seq = 0;
    function noop() {}
    function now() { return Math.floor(N.now() / 1000); }
    function call(api, args) { emitCall(api, args === undefined || args === null ? {} : args); }
    function fail(api, msg) { return { errMsg: api + ':fail ' + msg }; }
    function typeName(v) {
      if (v === null) return 'Null';
      var t = typeof v;
      return t.charAt(0).toUpperCase() + t.slice(1);
    }
    function paramFail(api, name, v) {
      return { errMsg: api + ':fail parameter error: parameter.' + name + ' should be String instead of ' + typeName(v) + ';' };
    }
    // [ok, res]: `base` under errMsg, then the project's mock for `mockApi` (or a network API's
    // documented default, with its warning).
    function mocked(api, mockApi, key, base) {
      var res = ok(api, base);
      var s = N.mock(mockApi, key === undefined ? '' : String(key));
      if (!s) return [true, res];
      var m = JSONparse(s);
      if (!m.ok) return [false, { errMsg: m.errMsg }];
      for (var k in m.res) res[k] = m.res[k];
      return [true, res];
    }
    function reply(api, o, r) { return later(api, o, r[0], r[1]); }
    // A request-like task object, returned when the call uses callbacks.
    function task(ret) {
      if (ret !== undefined) return ret;
      return { abort: noop, onProgressUpdate: noop, offProgressUpdate: noop, onHeadersReceived: noop, offHeadersReceived: noop, onChunkReceived: noop, offChunkReceived: noop };
    }
    // A call the engine decides, whose answer `transform(ok, res) -> [ok, res]` reshapes
    // before the mini-program sees it.
    function nativeThen(api, o, name, transform) {
      var ret = native(api, o);
      var id = callSeq;
      var entry = pending[id];
      if (entry) {
        if (name) entry.api = name;
        entry.handle = function (okk, res) {
          delete entry.handle;
          pending[id] = entry;
          var r = transform(okk, res);
          settle(id, r[0], r[1]);
        };
      }
      return ret;
    }

    // ------------------------------------------------------------ paths and files
    function ext(p, d) {
      var m = /\.([A-Za-z0-9]{1,5})(?:[?#].*)?$/.exec(String(p));
      return m ? m[1].toLowerCase() : d;
    }
    function imgType(p) { var e = ext(p, 'png'); return e === 'jpg' ? 'jpeg' : e; }
    function tmp(kind, e) { return 'wxfile://tmp/' + kind + '-' + (++seq) + '.' + e; }
    function norm(p) {
      var s = String(p);
      var m = /^(wxfile:\/\/|http:\/\/)(.*)$/.exec(s);
      if (!m) return s;
      var out = [];
      m[2].split('/').forEach(function (seg) {
        if (seg === '..') out.pop(); else if (seg && seg !== '.') out.push(seg);
      });
      return m[1] + out.join('/');
    }
    function devTmp(p) { return /^http:\/\/(tmp|usr|store)\//.test(p); }
    function isNet(p) { return typeof p === 'string' && /^https?:\/\//i.test(p) && !devTmp(p); }
    // `wxfile://tmp/` (and devtools' `http://tmp/`) paths this run did not create are taken as
    // existing: the pickers, `<canvas>` and `<camera>` make temp files miniperm cannot see.
    function looseTmp(p) { return /^(wxfile|http):\/\/tmp\/./.test(p); }
    // A code-package path: `/images/a.png` from the project root, else relative to the page.
    function asset(p) {
      if (/^[a-z]+:/i.test(p)) return false;
      if (p.charAt(0) === '/') return N.asset(p);
      var t = stack[stack.length - 1];
      var base = t ? dirname(t.route) : '';
      return (base !== '' && N.asset(base + '/' + p)) || N.asset(p);
    }
    function inUsr(p) { return p === USR || p.indexOf(USR + '/') === 0; }
    function counts(p) { return inUsr(p) || p.indexOf(STORE + '/') === 0; }
    // The file at `p` (created this run, a loose temp file, a project file) or null.
    function fileAt(p) {
      if (typeof p !== 'string' || !p) return null;
      var n = norm(p);
      if (hasOwn.call(files, n)) return files[n];
      if (looseTmp(n) || asset(p)) return { bytes: null, size: looseTmp(n) ? NOMINAL : 0, image: null, time: now() };
      return null;
    }
    function exists(p) { return fileAt(p) !== null; }
    function room(p, size) {
      var old = hasOwn.call(files, p) ? files[p].size : 0;
      return !counts(p) || stored - old + size <= MAX_STORE;
    }
    function put(p, rec) {
      if (hasOwn.call(files, p) && counts(p)) stored -= files[p].size;
      if (counts(p)) stored += rec.size;
      rec.time = now();
      files[p] = rec;
    }
    function drop(p) {
      if (counts(p)) stored -= files[p].size;
      delete files[p];
    }
    function image(w, h, type) { return { width: w, height: h, type: type }; }
    var FULL = 'the maximum size of the file storage limit is exceeded';

    // ------------------------------------------------------------ bytes and encodings
    function utf8Length(s) {
      if (!/[^\x00-\x7f]/.test(s)) return s.length;
      var n = 0;
      for (var i = 0; i < s.length; i++) {
        var c = s.charCodeAt(i);
        if (c < 0x80) n += 1;
        else if (c < 0x800) n += 2;
        else if (c >= 0xd800 && c < 0xdc00 && i + 1 < s.length) { n += 4; i++; }
        else n += 3;
      }
      return n;
    }
    function utf8(s) {
      var out = new Uint8Array(utf8Length(s));
      var j = 0;
      for (var i = 0; i < s.length; i++) {
        var c = s.charCodeAt(i);
        if (c >= 0xd800 && c < 0xdc00 && i + 1 < s.length) {
          var d = s.charCodeAt(i + 1);
          if (d >= 0xdc00 && d < 0xe000) { c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00); i++; } else { c = 0xfffd; }
        }
        if (c < 0x80) out[j++] = c;
        else if (c < 0x800) { out[j++] = 0xc0 | (c >> 6); out[j++] = 0x80 | (c & 63); }
        else if (c < 0x10000) { out[j++] = 0xe0 | (c >> 12); out[j++] = 0x80 | ((c >> 6) & 63); out[j++] = 0x80 | (c & 63); }
        else { out[j++] = 0xf0 | (c >> 18); out[j++] = 0x80 | ((c >> 12) & 63); out[j++] = 0x80 | ((c >> 6) & 63); out[j++] = 0x80 | (c & 63); }
      }
      return j === out.length ? out : out.subarray(0, j);
    }
    function codesToString(codes) {
      var s = '';
      for (var i = 0; i < codes.length; i += 8192) s += String.fromCharCode.apply(null, codes.slice(i, i + 8192));
      return s;
    }
    function fromUtf8(b) {
      var codes = [];
      for (var i = 0; i < b.length;) {
        var c = b[i++];
        if (c >= 0xf0) { c = ((c & 7) << 18) | ((b[i++] & 63) << 12) | ((b[i++] & 63) << 6) | (b[i++] & 63); }
        else if (c >= 0xe0) { c = ((c & 15) << 12) | ((b[i++] & 63) << 6) | (b[i++] & 63); }
        else if (c >= 0xc0) { c = ((c & 31) << 6) | (b[i++] & 63); }
        if (c >= 0x10000) { c -= 0x10000; codes.push(0xd800 + (c >> 10), 0xdc00 + (c & 1023)); } else codes.push(c);
      }
      return codesToString(codes);
    }
    var B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    function toBase64(b) {
      var s = '';
      for (var i = 0; i < b.length; i += 3) {
        var n = (b[i] << 16) | ((i + 1 < b.length ? b[i + 1] : 0) << 8) | (i + 2 < b.length ? b[i + 2] : 0);
        s += B64.charAt(n >> 18) + B64.charAt((n >> 12) & 63) +
          (i + 1 < b.length ? B64.charAt((n >> 6) & 63) : '=') + (i + 2 < b.length ? B64.charAt(n & 63) : '=');
      }
      return s;
    }
    function fromBase64(s) {
      s = String(s).replace(/[^A-Za-z0-9+/]/g, '');
      var out = new Uint8Array(Math.floor(s.length * 3 / 4));
      var j = 0;
      for (var i = 0; i + 1 < s.length; i += 4) {
        var n = (B64.indexOf(s.charAt(i)) << 18) | (B64.indexOf(s.charAt(i + 1)) << 12) |
          ((i + 2 < s.length ? B64.indexOf(s.charAt(i + 2)) : 0) << 6) | (i + 3 < s.length ? B64.indexOf(s.charAt(i + 3)) : 0);
        out[j++] = n >> 16;
        if (i + 2 < s.length) out[j++] = (n >> 8) & 255;
        if (i + 3 < s.length) out[j++] = n & 255;
      }
      return out.subarray(0, j);
    }
    var ENCODINGS = ['utf8', 'utf-8', 'base64', 'hex', 'binary', 'latin1', 'ascii'];
    // Bytes of `data` written with `enc`; null for an unknown encoding.
    function toBytes(data, enc) {
      if (data instanceof ArrayBuffer) return new Uint8Array(data.slice(0));
      if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
      var s = String(data === undefined ? '' : data);
      var e = enc === undefined ? 'utf8' : String(enc).toLowerCase();
      if (e === 'utf8' || e === 'utf-8') return utf8(s);
      if (e === 'base64') return fromBase64(s);
      if (e === 'hex') {
        var h = new Uint8Array(s.length >> 1);
        for (var i = 0; i < h.length; i++) h[i] = parseInt(s.substr(i * 2, 2), 16) || 0;
        return h;
      }
      if (e === 'binary' || e === 'latin1' || e === 'ascii') {
        var l = new Uint8Array(s.length);
        for (var k = 0; k < s.length; k++) l[k] = s.charCodeAt(k) & 255;
        return l;
      }
      return null;
    }
    function fromBytes(b, enc) {
      if (enc === undefined) return b.slice().buffer;
      var e = String(enc).toLowerCase();
      if (e === 'utf8' || e === 'utf-8') return fromUtf8(b);
      if (e === 'base64') return toBase64(b);
      if (e === 'hex') { var s = ''; for (var i = 0; i < b.length; i++) s += (b[i] < 16 ? '0' : '') + b[i].toString(16); return s; }
      return codesToString(Array.prototype.slice.call(b));
    }
    function sizeOf(data, enc) {
      if (data instanceof ArrayBuffer) return data.byteLength;
      if (ArrayBuffer.isView(data)) return data.byteLength;
      var s = String(data === undefined ? '' : data);
      var e = enc === undefined ? 'utf8' : String(enc).toLowerCase();
      if (e === 'utf8' || e === 'utf-8') return utf8Length(s);
      if (e === 'base64') return Math.floor(s.length * 3 / 4);
      if (e === 'hex') return s.length >> 1;
      return s.length;
    }
    def('arrayBufferToBase64', function (buf) { return toBase64(toBytes(buf)); });
    def('base64ToArrayBuffer', function (s) { return fromBase64(s).slice().buffer; });

    // ------------------------------------------------------------ file system manager
    def('env', { USER_DATA_PATH: USR });
    function isDir(p) { return hasOwn.call(dirs, p); }
    function parentOf(p) { return p.slice(0, p.lastIndexOf('/')); }
    function stats(dir, size, time) {
      return {
        mode: dir ? 16877 : 33188, size: size, lastAccessedTime: time, lastModifiedTime: time,
        isDirectory: function () { return dir; }, isFile: function () { return !dir; },
      };
    }
    function bytesOf(f) {
      if (f.bytes) return f.bytes;
      if (typeof f.text === 'string') return utf8(f.text);
      return new Uint8Array(f.size);
    }
    function done(res, sync) { return { ok: true, res: res || {}, sync: sync }; }
    function no(err) { return { ok: false, err: err }; }
    function noent(verb, p) { return no('no such file or directory, ' + verb + ' ' + p); }
    function children(p) {
      var out = [];
      var pre = p + '/';
      function add(k) {
        if (k.indexOf(pre) !== 0) return;
        var name = k.slice(pre.length);
        if (name && name.indexOf('/') < 0) out.push(name);
      }
      for (var d in dirs) add(d);
      for (var f in files) add(f);
      return out.sort();
    }
    function writable(p, verb) {
      if (!inUsr(p) || p === USR) return no('permission denied, ' + verb + ' ' + p);
      if (isDir(p)) return no('illegal operation on a directory, ' + verb + ' ' + p);
      if (!isDir(parentOf(p))) return noent(verb, p);
      return null;
    }
    function write(p, data, enc, append) {
      var bad = writable(p, 'open');
      if (bad) return bad;
      if (enc !== undefined && ENCODINGS.indexOf(String(enc).toLowerCase()) < 0) return no('invalid encoding: ' + enc);
      var old = hasOwn.call(files, p) ? files[p] : null;
      if (append && !old) return noent('open', p);
      var add = sizeOf(data, enc);
      var size = add + (append && old ? old.size : 0);
      if (!room(p, size)) return no(FULL);
      var e = enc === undefined ? 'utf8' : String(enc).toLowerCase();
      if (typeof data === 'string' && (e === 'utf8' || e === 'utf-8') && (!append || (old && typeof old.text === 'string'))) {
        // text stays text: no byte copy of a big string
        put(p, { bytes: null, text: append ? old.text + data : data, size: size, image: null });
        return done();
      }
      var b = toBytes(data, enc);
      if (append && old) {
        var prev = bytesOf(old);
        var both = new Uint8Array(prev.length + b.length);
        both.set(prev, 0);
        both.set(b, prev.length);
        b = both;
      }
      put(p, { bytes: b, text: null, size: b.length, image: null });
      return done();
    }
    // The file operations: [sync argument names, run(o) -> {ok, res, sync} | {ok: false, err}].
    // Built on the first getFileSystemManager, not on every run.
    function fsTable() { return {
      readFile: [['filePath', 'encoding', 'position', 'length'], function (o) {
        var p = norm(o.filePath);
        if (isDir(p)) return no('illegal operation on a directory, open ' + p);
        var f = fileAt(o.filePath);
        if (!f) return noent('open', p);
        if (o.encoding !== undefined && ENCODINGS.indexOf(String(o.encoding).toLowerCase()) < 0) return no('invalid encoding: ' + o.encoding);
        var whole = o.position === undefined && o.length === undefined;
        var e = o.encoding === undefined ? '' : String(o.encoding).toLowerCase();
        if (whole && typeof f.text === 'string' && (e === 'utf8' || e === 'utf-8')) return done({ data: f.text }, f.text);
        var b = bytesOf(f);
        if (!whole) {
          var from = Math.max(0, Number(o.position) || 0);
          var len = o.length === undefined ? b.length - from : Math.max(0, Number(o.length) || 0);
          if (from + len > b.length) return no('the value of "position" + "length" is out of range');
          b = b.subarray(from, from + len);
        }
        var data = fromBytes(b, o.encoding);
        return done({ data: data }, data);
      }],
      writeFile: [['filePath', 'data', 'encoding'], function (o) { return write(norm(o.filePath), o.data, o.encoding, false); }],
      appendFile: [['filePath', 'data', 'encoding'], function (o) { return write(norm(o.filePath), o.data, o.encoding, true); }],
      access: [['path'], function (o) {
        var p = norm(o.path);
        return isDir(p) || exists(o.path) ? done() : noent('access', p);
      }],
      stat: [['path', 'recursive'], function (o) {
        var p = norm(o.path);
        if (isDir(p)) {
          var s = stats(true, 0, dirs[p]);
          if (!o.recursive) return done({ stats: s }, s);
          var all = [{ path: '/', stats: s }];
          var walk = function (d, rel) {
            children(d).forEach(function (name) {
              var full = d + '/' + name;
              var r = rel + '/' + name;
              if (isDir(full)) { all.push({ path: r, stats: stats(true, 0, dirs[full]) }); walk(full, r); }
              else all.push({ path: r, stats: stats(false, files[full].size, files[full].time) });
            });
          };
          walk(p, '');
          return done({ stats: all }, all);
        }
        var f = fileAt(o.path);
        if (!f) return noent('stat', p);
        var fs = stats(false, f.size, f.time);
        return done({ stats: fs }, fs);
      }],
      mkdir: [['dirPath', 'recursive'], function (o) {
        var p = norm(o.dirPath);
        if (!inUsr(p)) return no('permission denied, mkdir ' + p);
        if (isDir(p) || hasOwn.call(files, p)) return no('file already exists, mkdir ' + p);
        if (!isDir(parentOf(p))) {
          if (!o.recursive) return noent('mkdir', p);
          var chain = [];
          for (var q = p; !isDir(q) && inUsr(q); q = parentOf(q)) {
            if (hasOwn.call(files, q)) return no('file already exists, mkdir ' + q);
            chain.push(q);
          }
          chain.forEach(function (d) { dirs[d] = now(); });
          return done();
        }
        dirs[p] = now();
        return done();
      }],
      rmdir: [['dirPath', 'recursive'], function (o) {
        var p = norm(o.dirPath);
        if (!isDir(p)) return noent('rmdir', p);
        if (p === USR) return no('permission denied, rmdir ' + p);
        var pre = p + '/';
        var inside = Object.keys(dirs).concat(Object.keys(files)).filter(function (k) { return k.indexOf(pre) === 0; });
        if (inside.length && !o.recursive) return no('directory not empty, rmdir ' + p);
        inside.forEach(function (k) { if (isDir(k)) delete dirs[k]; else drop(k); });
        delete dirs[p];
        return done();
      }],
      readdir: [['dirPath'], function (o) {
        var p = norm(o.dirPath);
        if (!isDir(p)) return noent('scandir', p);
        var list = children(p);
        return done({ files: list }, list);
      }],
      unlink: [['filePath'], function (o) {
        var p = norm(o.filePath);
        if (isDir(p)) return no('operation not permitted, unlink ' + p);
        if (!hasOwn.call(files, p)) return noent('unlink', p);
        drop(p);
        return done();
      }],
      copyFile: [['srcPath', 'destPath'], function (o) {
        var src = fileAt(o.srcPath);
        var d = norm(o.destPath);
        if (!src) return noent('copyFile', norm(o.srcPath) + ' -> ' + d);
        var bad = writable(d, 'copyFile');
        if (bad) return bad;
        if (!room(d, src.size)) return no(FULL);
        put(d, { bytes: src.bytes ? src.bytes.slice() : null, text: typeof src.text === 'string' ? src.text : null, size: src.size, image: src.image });
        return done();
      }],
      rename: [['oldPath', 'newPath'], function (o) {
        var from = norm(o.oldPath);
        var to = norm(o.newPath);
        if (!hasOwn.call(files, from)) return noent('rename', from + ' -> ' + to);
        var bad = writable(to, 'rename');
        if (bad) return bad;
        var f = files[from];
        if (!room(to, f.size + (counts(from) ? -f.size : 0))) return no(FULL);
        drop(from);
        put(to, f);
        return done();
      }],
      saveFile: [['tempFilePath', 'filePath'], function (o) {
        var src = fileAt(o.tempFilePath);
        if (!src) return no('tempFilePath file not exist');
        var to = o.filePath === undefined ? USR + '/saved-' + (++seq) + '.' + ext(o.tempFilePath, 'bin') : norm(o.filePath);
        var bad = writable(to, 'open');
        if (bad) return bad;
        if (!room(to, src.size)) return no(FULL);
        var from = norm(o.tempFilePath);
        if (hasOwn.call(files, from) && !counts(from)) drop(from);
        put(to, { bytes: src.bytes, text: typeof src.text === 'string' ? src.text : null, size: src.size, image: src.image, saved: true });
        return done({ savedFilePath: to }, to);
      }],
      getFileInfo: [['filePath'], function (o) {
        var f = fileAt(o.filePath);
        if (!f) return noent('open', norm(o.filePath));
        return done({ size: f.size, digest: '' });
      }],
      getSavedFileList: [[], function () {
        var list = [];
        for (var k in files) if (inUsr(k)) list.push({ filePath: k, size: files[k].size, createTime: files[k].time });
        return done({ fileList: list });
      }],
      removeSavedFile: [['filePath'], function (o) {
        var p = norm(o.filePath);
        if (!hasOwn.call(files, p) || !inUsr(p)) return no('file not exist');
        drop(p);
        return done();
      }],
    }; }
    var NO_SYNC = { getSavedFileList: 1, removeSavedFile: 1 };
    // The call event's copy of the options: file contents shown as their size only.
    function shown(o) {
      if (!o || !hasOwn.call(o, 'data')) return o;
      var c = {};
      for (var k in o) c[k] = o[k];
      var d = o.data;
      c.data = typeof d === 'string' ? '<' + d.length + ' characters>' : '<' + sizeOf(d) + ' bytes>';
      return c;
    }
    var fsm = null;
    function makeFs() {
      var m = {};
      var FS = fsTable();
      Object.keys(FS).forEach(function (name) {
        var spec = FS[name];
        var api = 'FileSystemManager.' + name;
        m[name] = function (o) {
          o = o || {};
          call(api, shown(o));
          var r = spec[1](o);
          return later(api, o, r.ok, r.ok ? ok(name, r.res) : fail(name, r.err));
        };
        if (NO_SYNC[name]) return;
        m[name + 'Sync'] = function () {
          var o = {};
          for (var i = 0; i < spec[0].length; i++) if (arguments[i] !== undefined) o[spec[0][i]] = arguments[i];
          call(api + 'Sync', shown(o));
          var r = spec[1](o);
          if (!r.ok) throw new Error(name + 'Sync:fail ' + r.err);
          return r.sync;
        };
      });
      return m;
    }
    def('getFileSystemManager', function () {
      call('getFileSystemManager');
      return fsm || (fsm = makeFs());
    });
    // wx.saveFile keeps a temp file in the saved-file store (10 MB with wxfile://usr)
    def('saveFile', function (o) {
      o = o || {};
      call('saveFile', o);
      var src = fileAt(o.tempFilePath);
      if (!src) return later('saveFile', o, false, fail('saveFile', 'tempFilePath file not exist'));
      var to = STORE + '/saved-' + (++seq) + '.' + ext(o.tempFilePath, 'bin');
      if (!room(to, src.size)) return later('saveFile', o, false, fail('saveFile', FULL));
      var from = norm(o.tempFilePath);
      if (hasOwn.call(files, from) && !counts(from)) drop(from);
      put(to, { bytes: src.bytes, text: typeof src.text === 'string' ? src.text : null, size: src.size, image: src.image, saved: true });
      return reply('saveFile', o, mocked('saveFile', 'saveFile', '', { savedFilePath: to }));
    });
    def('getSavedFileList', function (o) {
      call('getSavedFileList', o);
      var list = [];
      for (var k in files) if (files[k].saved && k.indexOf(STORE + '/') === 0) list.push({ filePath: k, size: files[k].size, createTime: files[k].time });
      return later('getSavedFileList', o, true, ok('getSavedFileList', { fileList: list }));
    });
    def('removeSavedFile', function (o) {
      o = o || {};
      call('removeSavedFile', o);
      var p = norm(o.filePath);
      if (!hasOwn.call(files, p) || !files[p].saved) return later('removeSavedFile', o, false, fail('removeSavedFile', 'file not exist'));
      drop(p);
      return later('removeSavedFile', o, true, ok('removeSavedFile'));
    });

    // ------------------------------------------------------------ images, albums, preview
    def('getImageInfo', function (o) {
      o = o || {};
      call('getImageInfo', o);
      var src = o.src;
      if (typeof src !== 'string') return later('getImageInfo', o, false, paramFail('getImageInfo', 'src', src));
      var path = src;
      var img;
      if (isNet(src)) {
        // a network image is downloaded to a temp file first
        path = tmp('download', ext(src, 'png'));
        img = image(800, 600, imgType(src));
        put(path, { bytes: null, size: NOMINAL, image: img });
      } else {
        var f = fileAt(src);
        if (!f) return later('getImageInfo', o, false, fail('getImageInfo', 'file not found'));
        img = f.image || image(800, 600, imgType(src));
      }
      return reply('getImageInfo', o, mocked('getImageInfo', 'getImageInfo', '', {
        width: img.width, height: img.height, path: path, orientation: 'up', type: img.type,
      }));
    });
    def('compressImage', function (o) {
      o = o || {};
      call('compressImage', o);
      var f = fileAt(o.src);
      if (!f) return later('compressImage', o, false, fail('compressImage', 'file not found'));
      var img = f.image || image(800, 600, 'jpeg');
      var path = tmp('compress', 'jpg');
      put(path, { bytes: null, size: Math.round(f.size / 2), image: image(img.width, img.height, 'jpeg') });
      return reply('compressImage', o, mocked('compressImage', 'compressImage', '', { tempFilePath: path }));
    });
    def('previewImage', function (o) {
      o = o || {};
      call('previewImage', o);
      var urls = Array.isArray(o.urls) ? o.urls : [];
      for (var i = 0; i < urls.length; i++) {
        if (!isNet(urls[i]) && !exists(urls[i])) return later('previewImage', o, false, fail('previewImage', 'file not found'));
      }
      return reply('previewImage', o, mocked('previewImage', 'previewImage', '', {}));
    });
    // The album APIs: the engine decides the scope first; a missing file fails after it.
    ['saveImageToPhotosAlbum', 'saveVideoToPhotosAlbum'].forEach(function (api) {
      def(api, function (o) {
        var p = o && o.filePath;
        if (!isNet(p) && exists(p)) return native(api, o);
        return nativeThen(api, o, null, function (okk, res) {
          return okk ? [false, fail(api, 'file not found')] : [okk, res];
        });
      });
    });
    def('openLocation', function (o) {
      o = o || {};
      call('openLocation', o);
      if (typeof o.latitude !== 'number' || typeof o.longitude !== 'number') {
        var k = typeof o.latitude !== 'number' ? 'latitude' : 'longitude';
        return later('openLocation', o, false, { errMsg: 'openLocation:fail parameter error: parameter.' + k + ' should be Number instead of ' + typeName(o[k]) + ';' });
      }
      return reply('openLocation', o, mocked('openLocation', 'openLocation', '', {}));
    });

    // ------------------------------------------------------------ canvas
    var CANVAS = ('setFillStyle setStrokeStyle setShadow setGlobalAlpha setLineWidth setLineCap setLineJoin ' +
      'setMiterLimit setLineDash setFontSize setTextAlign setTextBaseline fillRect strokeRect clearRect fill ' +
      'stroke beginPath closePath moveTo lineTo arc arcTo rect quadraticCurveTo bezierCurveTo scale rotate ' +
      'translate transform setTransform clip fillText strokeText drawImage save restore').split(' ');
    def('createCanvasContext', function (canvasId) {
      call('createCanvasContext', { canvasId: canvasId });
      var ctx = {
        canvasId: String(canvasId === undefined ? '' : canvasId), fillStyle: '#000000', strokeStyle: '#000000',
        font: '10px sans-serif', lineWidth: 1, globalAlpha: 1, textAlign: 'start', textBaseline: 'top',
      };
      var fontSize = 10;
      var self = function () { return ctx; };
      CANVAS.forEach(function (m) { ctx[m] = self; });
      ctx.setFontSize = function (n) { fontSize = Number(n) || 10; return ctx; };
      ctx.createPattern = function () { return {}; };
      ctx.createLinearGradient = ctx.createCircularGradient = function () { return { addColorStop: noop }; };
      ctx.measureText = function (t) { return { width: String(t).length * fontSize }; };
      ctx.draw = function (reserve, cb) {
        if (typeof reserve === 'function') cb = reserve;
        call('CanvasContext.draw', { canvasId: ctx.canvasId, reserve: reserve === true });
        if (typeof cb === 'function') post(function () {
          emit('callback', { api: 'CanvasContext.draw', kind: 'success', res: {} });
          guard(cb, null, []);
        });
      };
      return ctx;
    });
    def('canvasToTempFilePath', function (o) {
      o = o || {};
      call('canvasToTempFilePath', o);
      if ((typeof o.canvasId !== 'string' || !o.canvasId) && !o.canvas) {
        return later('canvasToTempFilePath', o, false, fail('canvasToTempFilePath', 'canvas is empty'));
      }
      var jpg = o.fileType === 'jpg';
      var w = Math.round(Number(o.destWidth) || (Number(o.width) || 300) * 3);
      var h = Math.round(Number(o.destHeight) || (Number(o.height) || 150) * 3);
      var path = tmp('canvas', jpg ? 'jpg' : 'png');
      put(path, { bytes: null, size: NOMINAL, image: image(w, h, jpg ? 'jpeg' : 'png') });
      return reply('canvasToTempFilePath', o, mocked('canvasToTempFilePath', 'canvasToTempFilePath', '', { tempFilePath: path }));
    });

    // ------------------------------------------------------------ the update manager
    // WeChat asks its server for a newer version of the mini-program at each cold start and
    // calls every `onCheckForUpdate` listener with the answer. The project run here is the
    // newest version there is: each listener hears `{hasUpdate: false}` once, as a task after
    // it is registered; `onUpdateReady` and `onUpdateFailed` never fire, and `applyUpdate`
    // (meaningful only after `onUpdateReady`) does nothing. One manager a run, as in WeChat.
    var updateManager = null;
    def('getUpdateManager', function () {
      call('getUpdateManager');
      if (updateManager) return updateManager;
      updateManager = {
        onCheckForUpdate: function (f) {
          if (typeof f !== 'function') return;
          post(function () {
            var res = { hasUpdate: false };
            emit('callback', { api: 'UpdateManager.onCheckForUpdate', kind: 'success', res: res });
            guard(f, null, [res]);
          });
        },
        onUpdateReady: noop,
        onUpdateFailed: noop,
        applyUpdate: noop,
      };
      return updateManager;
    });

    // ------------------------------------------------------------ audio, video, camera
    var AUDIO_EVENTS = ['Canplay', 'Play', 'Pause', 'Stop', 'Ended', 'Error', 'TimeUpdate', 'Waiting', 'Seeking', 'Seeked'];
    def('createInnerAudioContext', function (opts) {
      call('createInnerAudioContext', opts);
      var ls = {};
      AUDIO_EVENTS.forEach(function (n) { ls[n] = []; });
      var src = '';
      var state = 'idle'; // idle, playing, paused, stopped
      var pos = 0;
      var ready = false;
      var destroyed = false;
      var broken = false; // the source failed to load: it errs once
      var timer = 0;
      function fire(n, res) {
        ls[n].slice().forEach(function (f) {
          emit('callback', { api: 'InnerAudioContext.on' + n, kind: n === 'Error' ? 'fail' : 'success', res: res || {} });
          guard(f, null, res === undefined ? [] : [res]);
        });
      }
      function stopTimer() { if (timer) { clearTimer(timer); timer = 0; } }
      function playable() { return isNet(src) || exists(src); }
      function load() {
        if (destroyed || !src || ready || broken) return ready;
        if (!playable()) { broken = true; fire('Error', { errCode: 10003, errMsg: 'file error' }); return false; }
        ready = true;
        fire('Canplay');
        return true;
      }
      // one timeupdate per second of virtual time, then ended (a looping source stays playing)
      function tick() {
        timer = addTimer(function () {
          timer = 0;
          if (state !== 'playing') return;
          pos = Math.min(AUDIO_SECONDS, pos + 1);
          fire('TimeUpdate');
          if (pos < AUDIO_SECONDS) tick();
          else if (!a.loop) { state = 'idle'; pos = 0; fire('Ended'); }
        }, 1000, [], false);
      }
      var a = { startTime: 0, autoplay: false, loop: false, volume: 1, obeyMuteSwitch: true, playbackRate: 1, buffered: 0 };
      Object.defineProperty(a, 'src', {
        enumerable: true,
        get: function () { return src; },
        set: function (v) {
          src = String(v === undefined || v === null ? '' : v);
          stopTimer();
          state = 'idle';
          pos = 0;
          ready = false;
          broken = false;
          if (src) post(function () { if (load() && a.autoplay) start(); });
        },
      });
      Object.defineProperty(a, 'duration', { enumerable: true, get: function () { return ready ? AUDIO_SECONDS : 0; } });
      Object.defineProperty(a, 'currentTime', { enumerable: true, get: function () { return pos; } });
      Object.defineProperty(a, 'paused', { enumerable: true, get: function () { return state !== 'playing'; } });
      function start() {
        if (destroyed || state === 'playing') return;
        if (!load()) return;
        state = 'playing';
        fire('Play');
        tick();
      }
      a.play = function () {
        call('InnerAudioContext.play', { src: src });
        if (!src) { post(function () { fire('Error', { errCode: 10004, errMsg: 'src is empty' }); }); return; }
        post(start);
      };
      a.pause = function () {
        call('InnerAudioContext.pause', {});
        if (state !== 'playing') return;
        state = 'paused';
        stopTimer();
        post(function () { fire('Pause'); });
      };
      a.stop = function () {
        call('InnerAudioContext.stop', {});
        if (state === 'idle' || state === 'stopped') return;
        state = 'stopped';
        pos = 0;
        stopTimer();
        post(function () { fire('Stop'); });
      };
      a.seek = function (t) {
        call('InnerAudioContext.seek', { position: t });
        pos = Math.max(0, Math.min(AUDIO_SECONDS, Math.floor(Number(t) || 0)));
        post(function () { fire('Seeking'); fire('Seeked'); });
      };
      a.destroy = function () {
        call('InnerAudioContext.destroy', {});
        destroyed = true;
        state = 'idle';
        stopTimer();
      };
      AUDIO_EVENTS.forEach(function (n) {
        a['on' + n] = function (f) { if (typeof f === 'function') ls[n].push(f); };
        a['off' + n] = function (f) { ls[n] = typeof f === 'function' ? ls[n].filter(function (g) { return g !== f; }) : []; };
      });
      return a;
    });
    var VIDEO = ('play pause stop seek sendDanmu playbackRate requestFullScreen exitFullScreen showStatusBar ' +
      'hideStatusBar requestPictureInPicture exitPictureInPicture requestBackgroundPlayback exitBackgroundPlayback').split(' ');
    def('createVideoContext', function (id) {
      call('createVideoContext', { id: id });
      var v = {};
      VIDEO.forEach(function (m) {
        v[m] = function (arg) { call('VideoContext.' + m, arg === undefined ? {} : { value: arg }); };
      });
      return v;
    });
    def('createCameraContext', function () {
      call('createCameraContext');
      var recording = false;
      // Camera use goes through the engine as the `camera` API (scope.camera); its errMsg
      // reads `operateCamera:...`.
      function guarded(name, o, onOk) {
        o = o || {};
        call('CameraContext.' + name, o);
        return nativeThen('camera', o, 'CameraContext.' + name, function (okk, res) {
          if (!okk) {
            var r = {};
            for (var k in res) r[k] = res[k];
            r.errMsg = String(res.errMsg).replace(/^camera:/, 'operateCamera:');
            return [false, r];
          }
          return onOk();
        });
      }
      var cam = {
        takePhoto: function (o) {
          return guarded('takePhoto', o, function () {
            var path = tmp('photo', 'jpg');
            put(path, { bytes: null, size: NOMINAL, image: image(1080, 1440, 'jpeg') });
            return mocked('operateCamera', 'CameraContext.takePhoto', '', { tempImagePath: path });
          });
        },
        startRecord: function (o) {
          return guarded('startRecord', o, function () {
            recording = true;
            return [true, ok('operateCamera')];
          });
        },
        stopRecord: function (o) {
          o = o || {};
          call('CameraContext.stopRecord', o);
          if (!recording) return later('CameraContext.stopRecord', o, false, fail('operateCamera', 'is not recording'));
          recording = false;
          var video = tmp('video', 'mp4');
          var thumb = tmp('thumb', 'jpg');
          put(video, { bytes: null, size: NOMINAL * 20, image: null });
          put(thumb, { bytes: null, size: NOMINAL / 2, image: image(1080, 1440, 'jpeg') });
          return reply('CameraContext.stopRecord', o, mocked('operateCamera', 'CameraContext.stopRecord', '', { tempThumbPath: thumb, tempVideoPath: video }));
        },
        setZoom: function (o) {
          o = o || {};
          call('CameraContext.setZoom', o);
          return later('CameraContext.setZoom', o, true, ok('setZoom', { zoom: Number(o.zoom) || 1 }));
        },
        onCameraFrame: function () { return { start: noop, stop: noop }; },
      };
      return cam;
    });

    // ------------------------------------------------------------ network and WeChat's servers
    function badUrl(api, url) {
      if (typeof url !== 'string') return paramFail(api, 'url', url);
      if (!/^https?:\/\//i.test(url)) return fail(api, 'invalid url "' + url + '"');
      return null;
    }
    def('request', function (o) {
      o = o || {};
      call('request', o);
      var bad = badUrl('request', o.url);
      if (bad) return task(later('request', o, false, bad));
      var method = String(o.method === undefined ? 'GET' : o.method).toUpperCase();
      var r = mocked('request', 'request', method + ' ' + o.url, {});
      // dataType json (the default): a JSON text body reaches the page parsed
      if (r[0] && (o.dataType === undefined || o.dataType === 'json') && typeof r[1].data === 'string') {
        try { r[1].data = JSONparse(r[1].data); } catch (e) { /* stays text */ }
      }
      return task(reply('request', o, r));
    });
    def('downloadFile', function (o) {
      o = o || {};
      call('downloadFile', o);
      var bad = badUrl('downloadFile', o.url);
      if (bad) return task(later('downloadFile', o, false, bad));
      var dest = o.filePath === undefined ? '' : norm(o.filePath);
      if (dest) {
        var nw = writable(dest, 'open');
        if (nw) return task(later('downloadFile', o, false, fail('downloadFile', nw.err)));
      }
      var r = mocked('downloadFile', 'downloadFile', o.url, {});
      if (r[0]) {
        var path = dest || tmp('download', ext(o.url, 'tmp'));
        var code = r[1].statusCode;
        if (code >= 200 && code < 300) {
          if (!room(path, NOMINAL)) return task(later('downloadFile', o, false, fail('downloadFile', FULL)));
          var e = ext(o.url, '');
          put(path, { bytes: null, size: NOMINAL, image: /^(png|jpe?g|gif|webp|bmp)$/.test(e) ? image(800, 600, imgType(o.url)) : null });
        }
        // WeChat answers filePath when one was asked for, else tempFilePath (the typings call
        // both required).
        if (dest) r[1].filePath = dest; else r[1].tempFilePath = path;
        if (!r[1].profile) r[1].profile = { protocol: 'http/1.1', socketReused: false, sendBytesCount: 0, receivedBytedCount: NOMINAL };
      }
      return task(reply('downloadFile', o, r));
    });
    def('uploadFile', function (o) {
      o = o || {};
      call('uploadFile', o);
      var bad = badUrl('uploadFile', o.url);
      if (bad) return task(later('uploadFile', o, false, bad));
      if (!exists(o.filePath)) return task(later('uploadFile', o, false, fail('uploadFile', 'file not found')));
      return task(reply('uploadFile', o, mocked('uploadFile', 'uploadFile', o.url, {})));
    });
    def('login', function (o) {
      call('login', o);
      return reply('login', o, mocked('login', 'login', '', {}));
    });
    def('checkSession', function (o) {
      call('checkSession', o);
      return reply('checkSession', o, mocked('checkSession', 'checkSession', '', {}));
    });
    def('getNetworkType', function (o) {
      call('getNetworkType', o);
      return reply('getNetworkType', o, mocked('getNetworkType', 'getNetworkType', '', { networkType: 'wifi', signalStrength: 100, hasSystemProxy: false, weakNet: false }));
    });
    var netListeners = [];
    def('onNetworkStatusChange', function (f) {
      call('onNetworkStatusChange');
      if (typeof f === 'function') netListeners.push(f); // the network never changes in a run
    });
    def('offNetworkStatusChange', function (f) {
      call('offNetworkStatusChange');
      netListeners = typeof f === 'function' ? netListeners.filter(function (g) { return g !== f; }) : [];
    });
    function cloudUnsupported(name) {
      return function (o) {
        call('cloud.' + name, o);
        N.warnUnsupported('cloud.' + name, 'c');
        return later('cloud.' + name, o, false, { errMsg: N.notSupported('cloud.' + name) });
      };
    }
    function dbQuery() {
      var q = {};
      ['where', 'orderBy', 'limit', 'skip', 'field', 'doc', 'collection'].forEach(function (m) { q[m] = function () { return q; }; });
      function answer(name, fields) {
        return function (o) { return later('collection.' + name, o, true, ok('collection.' + name, fields)); };
      }
      q.get = answer('get', { data: [] });
      q.count = answer('count', { total: 0 });
      q.add = function (o) { return later('collection.add', o, true, ok('collection.add', { _id: 'miniperm-' + (++seq) })); };
      q.update = answer('update', { stats: { updated: 0 } });
      q.set = answer('set', { stats: { updated: 0, created: 0 } });
      q.remove = answer('remove', { stats: { removed: 0 } });
      q.watch = function () { return { close: function () { return resolved(); } }; };
      return q;
    }
    // the rest of wx.cloud (the table's rows) stays as the prelude's lazy stubs make it
    def('cloud', lazy({
      init: function (o) { call('cloud.init', o); },
      callFunction: function (o) {
        o = o || {};
        call('cloud.callFunction', o);
        if (typeof o.name !== 'string' || !o.name) return later('cloud.callFunction', o, false, paramFail('cloud.callFunction', 'name', o.name));
        return reply('cloud.callFunction', o, mocked('cloud.callFunction', 'cloud.callFunction', o.name, { requestID: 'miniperm-request-' + (++seq) }));
      },
      CloudID: function (id) {
        call('cloud.CloudID', { cloudID: id });
        return { cloudID: String(id) };
      },
      database: function () {
        call('cloud.database');
        N.warn('not-supported', 'wx.cloud.database is not supported by miniperm: queries answer empty results (get: data [], count: 0) and writes change nothing');
        var cmd = new Proxy({}, { get: function () { return function () { return {}; }; } });
        return { collection: function () { return dbQuery(); }, command: cmd, serverDate: function () { return {}; }, RegExp: function (o) { return o; } };
      },
      uploadFile: cloudUnsupported('uploadFile'),
      downloadFile: cloudUnsupported('downloadFile'),
      getTempFileURL: cloudUnsupported('getTempFileURL'),
      deleteFile: cloudUnsupported('deleteFile'),
      callContainer: cloudUnsupported('callContainer'),
      connectContainer: cloudUnsupported('connectContainer'),
    }, 'cloud.'));

    // ------------------------------------------------------------ event channels (navigateTo `events`)
    function side() { return { ls: [], peer: null }; }
    function channel(s) {
      return {
        emit: function (name) {
          var n = String(name);
          var args = [].slice.call(arguments, 1);
          call('EventChannel.emit', { eventName: n, args: args });
          var p = s.peer;
          if (!p) return;
          p.ls.slice().forEach(function (l) {
            if (l.name !== n || p.ls.indexOf(l) < 0) return;
            if (l.once) p.ls.splice(p.ls.indexOf(l), 1);
            emit('callback', { api: 'EventChannel.on', kind: 'success', res: { eventName: n, args: args } });
            guard(l.fn, null, args);
          });
        },
        on: function (name, fn) { if (typeof fn === 'function') s.ls.push({ name: String(name), fn: fn, once: false }); },
        once: function (name, fn) { if (typeof fn === 'function') s.ls.push({ name: String(name), fn: fn, once: true }); },
        off: function (name, fn) {
          var n = String(name);
          s.ls = s.ls.filter(function (l) { return l.name !== n || (typeof fn === 'function' && l.fn !== fn); });
        },
      };
    }
    // [opener's end, opened page's end]; `events` listen on the opener's end.
    function channelPair(events) {
      var a = side();
      var b = side();
      a.peer = b;
      b.peer = a;
      if (events && typeof events === 'object') {
        for (var k in events) if (typeof events[k] === 'function') a.ls.push({ name: k, fn: events[k], once: false });
      }
      return [channel(a), channel(b)];
    }
    var opening = []; // navigateTo calls whose page has not claimed its channel yet
    function openerChannel() {
      if (!this || typeof this !== 'object') return channel(side());
      if (!this.__opener) {
        for (var i = 0; i < opening.length; i++) {
          if (opening[i].route === this.route) { this.__opener = opening[i].end; opening.splice(i, 1); break; }
        }
        if (!this.__opener) this.__opener = channel(side()); // not opened by navigateTo
      }
      return this.__opener;
    }
    def('navigateTo', function (o) {
      call('navigateTo', o);
      var ends = channelPair(o && o.events);
      var claim = { route: parseUrl(o && o.url, 'navigateTo').route, end: ends[1] };
      opening.push(claim);
      var ret = navigate('navigateTo', o);
      var id = callSeq;
      var entry = pending[id];
      if (entry) {
        entry.handle = function (okk, res) {
          var i = opening.indexOf(claim);
          if (i >= 0) opening.splice(i, 1);
          if (okk) {
            var t = stack[stack.length - 1];
            if (t && !t.__opener) t.__opener = ends[1];
            res.eventChannel = ends[0];
          }
          delete entry.handle;
          pending[id] = entry;
          settle(id, okk, res);
        };
      }
      return ret;
    });
    var PageDef = G.Page;
    var ComponentDef = G.Component;
    function withOpener(o, into) {
      var c = {};
      for (var k in o) c[k] = o[k];
      if (into) {
        var m = {};
        var src = o.methods && typeof o.methods === 'object' ? o.methods : {};
        for (var j in src) m[j] = src[j];
        if (!hasOwn.call(m, 'getOpenerEventChannel')) m.getOpenerEventChannel = openerChannel;
        c.methods = m;
      } else if (!hasOwn.call(c, 'getOpenerEventChannel')) c.getOpenerEventChannel = openerChannel;
      return c;
    }
    G.Page = function (o) { return PageDef(o && typeof o === 'object' ? withOpener(o, false) : o); };
    G.Component = function (o) { return ComponentDef(o && typeof o === 'object' ? withOpener(o, true) : o); };
  })();

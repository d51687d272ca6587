#!/usr/bin/env python3
"""Module import cycles in a crate (issue 22: no two modules import each other, directly or
around a loop).

    python3 scripts/module-cycles.py crates/runtime/src crates/apigen/src

Every `crate::a::b`, `super::x`, `self::x` and `child::x` path in a file (use lines and inline
paths; comments, strings and `#[cfg(test)]` modules left out; a name a module re-exports with
`pub use child::X` followed to where it is defined) is an edge from the file's module to the
module the path names. Prints every strongly connected component (a) between files (a parent
and its child count), (b) lifted to siblings, (c) between top-level modules, and exits 1 when
there is one. A text scan, not a compiler: good enough to hold the line, not a proof."""
import os, re, sys
from collections import defaultdict

def modules(src):
    mods = {}
    for dp, _, fs in os.walk(src):
        for f in fs:
            if not f.endswith('.rs'): continue
            p = os.path.join(dp, f)
            rel = os.path.relpath(p, src)[:-3].split(os.sep)
            if rel == ['main'] and os.path.exists(os.path.join(src, 'lib.rs')):
                continue  # the binary is another crate
            if rel[-1] in ('lib', 'main') and len(rel) == 1: path = ()
            elif rel[-1] == 'mod': path = tuple(rel[:-1])
            else: path = tuple(rel)
            mods[path] = p
    return mods

def strip_comments(s):
    s = re.sub(r'//[^\n]*', '', s)
    s = re.sub(r'/\*.*?\*/', '', s, flags=re.S)
    s = re.sub(r'"(?:\\.|[^"\\])*"', '""', s)
    return s

REEXPORTS = {}

def resolve(known, base, depth=0):
    # longest known module prefix of base; a name the module re-exports (`pub use x::Name`)
    # resolves to the module it comes from
    for i in range(len(base), -1, -1):
        if tuple(base[:i]) in known:
            m = tuple(base[:i])
            if i < len(base) and depth < 8:
                t = REEXPORTS.get((m, base[i]))
                if t is not None:
                    return resolve(known, list(t) + list(base[i+1:]), depth + 1)
            return m
    return ()

def reexports(mods):
    for m, p in mods.items():
        s = strip_comments(open(p).read())
        for mt in re.finditer(r'\bpub(?:\([^)]*\))?\s+use\s+([^;]+);', s):
            body = mt.group(1).strip()
            if body.startswith(('crate::', 'super::', 'self::')):
                continue  # keep it simple: child re-exports only
            g = re.match(r'([A-Za-z_][A-Za-z0-9_]*(?:::[A-Za-z_][A-Za-z0-9_]*)*)::\{(.*)\}$', body, re.S)
            if g:
                pre, items = g.group(1).split('::'), [x.strip() for x in g.group(2).split(',')]
            else:
                parts = body.split('::')
                pre, items = parts[:-1], [parts[-1]]
            if not pre or (m + (pre[0],)) not in mods:
                continue
            for it in items:
                if not it: continue
                nm = it.split(' as ')[-1].strip()
                src = tuple(list(m) + pre + [x for x in it.split(' as ')[0].split('::')[:-1]])
                REEXPORTS[(m, nm)] = src

def edges(src, include_tests=False):
    mods = modules(src)
    known = set(mods)
    reexports(mods)
    # inline `mod x { ... }` (tests) are ignored unless include_tests
    E = defaultdict(set)
    for m, p in mods.items():
        s = open(p).read()
        if not include_tests:
            s = re.split(r'#\[cfg\(test\)\]\s*(?:#\[[^\]]*\]\s*)*mod\s+\w+\s*\{', s)[0]
        s = strip_comments(s)
        # expand use groups: use crate::{a, b::c};
        for mt in re.finditer(r'\b(crate|super|self)((?:::\s*(?:super|[A-Za-z_][A-Za-z0-9_]*))*)(::\s*\{([^;]*)\}|::\s*\*)?', s):
            head, tail, group = mt.group(1), mt.group(2), mt.group(4)
            if group is None and mt.group(3):
                group = ''  # a glob: the module itself
            if not tail and group is None:
                continue  # `pub(crate)`, `self.x`, `pub(super)`
            parts = [x.strip() for x in tail.split('::') if x.strip()]
            if head == 'crate': base = []
            elif head == 'self': base = list(m)
            else: base = list(m[:-1])
            while parts and parts[0] == 'super':
                base = base[:-1]; parts = parts[1:]
            targets = []
            if group == '':
                targets.append(base + parts)
            elif group is not None:
                for item in re.split(r',(?![^{]*\})', group):
                    item = item.strip()
                    if not item: continue
                    sub = [x.strip() for x in re.split(r'::', item.split(' as ')[0]) if x.strip() and x.strip() != '{' ]
                    sub = [re.sub(r'[{}].*', '', x) for x in sub]
                    targets.append(base + parts + [x for x in sub if x])
            else:
                targets.append(base + parts)
            for t in targets:
                tgt = resolve(known, t)
                if tgt != m: E[m].add(tgt)
        # paths relative to the module: `child::x` for a child module `child` of m
        for c in {k[len(m)] for k in known if len(k) == len(m) + 1 and k[:len(m)] == m}:
            for mt in re.finditer(r'(?<![:\w])' + re.escape(c) + r'((?:::\s*[A-Za-z_][A-Za-z0-9_]*)*)::', s):
                parts = [x.strip() for x in mt.group(1).split('::') if x.strip()]
                tgt = resolve(known, list(m) + [c] + parts)
                if tgt != m: E[m].add(tgt)
    return mods, E

def scc(nodes, E):
    idx, low, st, on, out, c = {}, {}, [], set(), [], [0]
    sys.setrecursionlimit(10000)
    def go(v):
        idx[v] = low[v] = c[0]; c[0] += 1; st.append(v); on.add(v)
        for w in E.get(v, ()):
            if w not in idx: go(w); low[v] = min(low[v], low[w])
            elif w in on: low[v] = min(low[v], idx[w])
        if low[v] == idx[v]:
            comp = []
            while True:
                w = st.pop(); on.discard(w); comp.append(w)
                if w == v: break
            if len(comp) > 1: out.append(comp)
    for v in nodes:
        if v not in idx: go(v)
    return out

def name(m): return '::'.join(m) or 'crate'

def lifted(E):
    L = defaultdict(set)
    for a, bs in E.items():
        for b in bs:
            i = 0
            while i < min(len(a), len(b)) and a[i] == b[i]: i += 1
            if i == len(a) or i == len(b): continue  # ancestor/descendant
            L[a[:i+1]].add(b[:i+1])
    return L

def main():
    bad = False
    for src in sys.argv[1:]:
        mods, E = edges(src)
        nodes = sorted(set(mods) | {b for bs in E.values() for b in bs})
        for label, G in (('files', E), ('siblings', lifted(E)),
                         ('top-level', {(): set()} | {a[:1]: set() for a in E})):
            if label == 'top-level':
                G = defaultdict(set)
                for a, bs in E.items():
                    for b in bs:
                        if a[:1] != b[:1] and a and b: G[a[:1]].add(b[:1])
            comps = scc(sorted(set(G) | {b for bs in G.values() for b in bs}), G)
            for comp in comps:
                bad = True
                print(f'{src}: cycle ({label}): ' + ' <-> '.join(sorted(name(x) for x in comp)))
                if label != 'files':
                    # witnesses
                    for a in comp:
                        for b in G[a]:
                            if b in comp:
                                print(f'    {name(a)} -> {name(b)}')
    sys.exit(1 if bad else 0)

main()

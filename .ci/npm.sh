#!/usr/bin/env bash
# The npm package (npm/README.md): build the binary (debug, cargo's own target), pack the
# packages, install them from their tarballs into the scratch project npm/e2e next to its pinned
# Jest, Vitest and TypeScript (`npm ci`), then tsc, Jest, Vitest and node's test runner against
# the installed copy.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS
echo "== npm: build and pack"
# The binary `cargo test --workspace` built just before (a no-op here then; a build when this
# script runs alone), so that no second feature set of the workspace is compiled.
# MINIPERM_PACK_BINARY=PATH skips this and packs PATH.
if [[ -z "${MINIPERM_PACK_BINARY:-}" ]]; then
  cargo test --workspace --locked --no-run -q 2>&1 | (grep -v '^  Executable' || true)
  export MINIPERM_PACK_BINARY="$PWD/target/debug/miniperm"
fi
mapfile -t tarballs < <(bash npm/build.sh)
echo "packed: ${tarballs[*]##*/}"
cd npm/e2e
echo "== npm: npm ci (npm/e2e) + the tarballs"
npm ci --no-audit --no-fund --loglevel=error --prefer-offline
npm install --no-save --no-audit --no-fund --loglevel=error --prefer-offline "${tarballs[@]}"
echo "== npm: tsc --noEmit (the package's .d.ts files)"
npx --no-install tsc --noEmit -p .
echo "== npm: jest"
npx --no-install jest --ci
echo "== npm: vitest"
npx --no-install vitest run
echo "== npm: node --test (npm: $((SECONDS - start))s so far)"
node --test node-test/

#!/usr/bin/env bash
# Real-browser tests (issue 11, issue 10, issue 20): the simulator at / of `miniperm serve` (the
# page as the phone draws it: computed WXSS, taps on real elements, every example's screenshot)
# and the HTML report of `miniperm explore --html` (its screens), in Debian's chromium driven by
# npm playwright-core (never `npx playwright install`: the browser is Debian's). Screenshots of
# every step and of every project's phone go to target/artefacts/browser/. Called by .ci/run
# after cargo test; needs the debug binary.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)

need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
# CJK glyphs for the screenshots (the simulator's UIs are in Chinese); fonts only, no recommends.
fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || need_apt+=(fonts-noto-cjk)
if ((${#need_apt[@]})); then
  echo "== apt-get install ${need_apt[*]}"
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need_apt[@]}"
fi
chromium --version 2>/dev/null | grep -i chromium

echo "== npm ci (tests/browser: playwright-core, pinned)"
(cd tests/browser && npm ci --no-audit --no-fund --loglevel=error >/dev/null)

echo "== the miniperm binary the browser tests start"
# The same build as .ci/run's `cargo test --workspace` (a no-op after it; `cargo build -p` would
# unify features differently and rebuild the miniperm crates).
cargo test --workspace --locked --no-run >/dev/null 2>&1 || cargo test --workspace --locked --no-run

echo "== browser tests"
export MINIPERM_ARTEFACTS="$PWD/target/artefacts/browser"
rm -rf "$MINIPERM_ARTEFACTS"
(cd tests/browser && node --test --test-concurrency=1 --test-reporter=spec ./*.test.mjs)
echo "browser tests: $(($(date +%s) - start)) s; screenshots in $MINIPERM_ARTEFACTS:"
ls "$MINIPERM_ARTEFACTS"

#!/usr/bin/env bash
# Wall time of whole processes, interleaved in one run: /bin/true, `node -e 0`, and
# `miniperm run` on the classic example (JS) and on the devtools TypeScript template (TS through
# oxc). Prints the median of N launches per round for each. Usage: scripts/bench-process.sh [N] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-40}
ROUNDS=${2:-3}
BIN=target/release/miniperm
[ -x "$BIN" ] || { echo "build first: cargo build --release -p miniperm-cli" >&2; exit 2; }
ms() { python3 - "$@" <<'PY'
import subprocess, sys, time, statistics
n = int(sys.argv[1]); cmd = sys.argv[2:]
ts = []
for _ in range(n):
    t = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ts.append((time.perf_counter() - t) * 1000)
print(f"{statistics.median(ts):.1f}")
PY
}
for r in $(seq "$ROUNDS"); do
  t=$(ms "$N" /bin/true)
  node=$(ms "$N" node -e 0)
  js=$(ms "$N" "$BIN" run examples/classic --ephemeral --tap onLocate --answers allow)
  ts=$(ms "$N" "$BIN" run crates/runtime/tests/fixtures/tstemplate --ephemeral --tap locate --answers allow)
  echo "round $r: true ${t} ms | node -e 0 ${node} ms | miniperm classic ${js} ms | miniperm ts-template ${ts} ms | node/classic $(python3 -c "print(f'{$node/$js:.1f}')")x | node/ts $(python3 -c "print(f'{$node/$ts:.1f}')")x"
done

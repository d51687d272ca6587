#!/usr/bin/env bash
# Explore against `miniperm run`, in one run (issue 19): for each flow, the median wall time of a
# `miniperm run` process of its longest path, then `miniperm explore -j 1 --json` over its paths:
# CPU per path, paths per second per core, and the ratio of a path to the run process. Then the
# peak memory of the seven-prompt wizard at 100,000 paths (2 threads, text report).
# Usage: scripts/bench-explore.sh [RUNS] [ROUNDS]   (needs a release build)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-20}
ROUNDS=${2:-3}
BIN=target/release/miniperm
[ -x "$BIN" ] || { echo "build first: cargo build --release -p miniperm-cli" >&2; exit 2; }
python3 - "$BIN" "$N" "$ROUNDS" <<'PY'
import json, resource, statistics, subprocess, sys, time

bin_, n, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
F = "crates/explore/tests/fixtures/"
# name, project, taps, the longest path's answers, explore's --max-paths
FLOWS = [
    ("classic", "examples/classic", ["onLocate"], "deny,confirm,settings", 20000),
    ("seven-prompts", F + "seven-prompts", ["onSetup"],
     ",".join(["deny,confirm,settings"] * 7), 20000),
    ("wrapper-lib", F + "wrapper-lib", ["onTap"], "deny,confirm,settings", 20000),
    ("modal-loop (1 MB a step)", F + "modal-loop", ["onTap"], ",".join(["confirm"] * 12), 4096),
]

def taps(ts):
    return [a for t in ts for a in ("--tap", t)]

def cpu_of(cmd):
    """Wall and CPU (user+sys) seconds of one child process, and its output."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, out

for r in range(1, rounds + 1):
    print(f"round {r}")
    for name, proj, ts, answers, max_paths in FLOWS:
        run = [bin_, "run", proj, *taps(ts), "--answers", answers, "--ephemeral"]
        run_ms = statistics.median(cpu_of(run)[0] * 1000 for _ in range(n))
        ex = [bin_, "explore", proj, *taps(ts), "-j", "1", "--max-paths", str(max_paths), "--json"]
        wall, cpu, out = cpu_of(ex)
        paths = json.loads(out)["paths"]
        per_path_us = cpu / paths * 1e6
        print(f"  {name}: run {run_ms:.2f} ms | explore {paths} paths in {wall:.2f} s "
              f"({cpu:.2f} s cpu): {per_path_us:.0f} us/path, {paths / cpu:.0f} paths/s/core, "
              f"a path = 1/{run_ms * 1000 / per_path_us:.0f} of a run")

cmd = ["/usr/bin/time", "-f", "%M %e", bin_, "explore", F + "seven-prompts", "--tap", "onSetup",
       "--max-paths", "100000", "-j", "2"]
err = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True).stderr
kb, wall = err.strip().splitlines()[-1].split()
print(f"seven-prompts at 100,000 paths, 2 threads, text report: peak RSS {int(kb) / 1024:.0f} MB, {float(wall):.1f} s")
PY

#!/usr/bin/env bash
# Issue 4's read target: "ReadIndex read throughput with batching: at least 10x the throughput
# of writes on the same in-process cluster". Runs node_bench's write and read benchmarks in one
# process (the same DirectCluster, the same pacing: 100 per wave, or K per call then quiet),
# REPS repetitions with their order randomly interleaved, and prints the medians of items/s
# (CPU time) side by side with their ratio. Several binaries (e.g. before and after a change)
# are run one after the other, in the order given.
# A benchmark, not a test: it is not part of ctest or `make test`.
#
# Usage: bench/read_write_ratio.sh [NODE_BENCH...]     (default: build/release/bench/node_bench)
#   REPS=5      repetitions of each benchmark
#   KEEP=dir    keep the raw JSON there (default: a temporary directory)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
[ $# -gt 0 ] || set -- "$root/build/release/bench/node_bench"
reps=${REPS:-5}
raw=${KEEP:-$(mktemp -d)}
mkdir -p "$raw"
command -v python3 >/dev/null || { echo "read_write_ratio.sh: needs python3" >&2; exit 2; }

echo "machine: nproc $(nproc), $(lscpu | sed -n 's/^Model name: *//p'), load $(cut -d' ' -f1-3 /proc/loadavg)"
jsons=()
n=0
for binary in "$@"; do
  n=$((n + 1))
  out="$raw/run$n.json"
  echo "== $binary ($reps repetitions, interleaved) =="
  "$binary" --benchmark_filter='CommitBatchesOf100|ReadIndex|CommitOnePerPropose' \
    --benchmark_repetitions="$reps" --benchmark_enable_random_interleaving=true \
    --benchmark_report_aggregates_only=true --benchmark_out="$out" \
    --benchmark_out_format=json >/dev/null 2>"$raw/run$n.stderr"
  jsons+=("$binary=$out")
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"

python3 - "${jsons[@]}" <<'PY'
import json, sys

pairs = [
    ("100 per wave, pipelined", "BM_CommitBatchesOf100", "BM_ReadIndexBatchesOf100"),
    ("K = 1, closed loop", "BM_CommitOnePerPropose/1", "BM_ReadIndexOnePerCall/1"),
    ("K = 16", "BM_CommitOnePerPropose/16", "BM_ReadIndexOnePerCall/16"),
    ("K = 100", "BM_CommitOnePerPropose/100", "BM_ReadIndexOnePerCall/100"),
    ("K = 256", "BM_CommitOnePerPropose/256", "BM_ReadIndexOnePerCall/256"),
]

def m(v):
    return f"{v / 1e6:.1f} M/s"

for arg in sys.argv[1:]:
    binary, path = arg.split("=", 1)
    med, cv = {}, {}
    for b in json.load(open(path))["benchmarks"]:
        if b.get("aggregate_name") == "median":
            med[b["run_name"]] = b
        if b.get("aggregate_name") == "cv":
            cv[b["run_name"]] = b["cpu_time"]
    print()
    print(f"Medians (CPU time), {binary}:")
    print()
    print("| pacing | writes (entries applied on all 3 nodes) | reads (confirmed) | reads / writes "
          "| CV writes / reads |")
    print("|---|---|---|---|---|")
    for name, w, r in pairs:
        if w not in med or r not in med:
            print(f"| {name} | — | — | — | — |")
            continue
        ws, rs = med[w]["items_per_second"], med[r]["items_per_second"]
        print(f"| {name} | {m(ws)} ({med[w]['cpu_time']:,.0f} ns) "
              f"| {m(rs)} ({med[r]['cpu_time']:,.0f} ns) | {rs / ws:.1f}× "
              f"| {100 * cv.get(w, 0):.1f} % / {100 * cv.get(r, 0):.1f} % |")
PY

#!/usr/bin/env bash
# Runs the simulator's benchmarks (sim_bench) and canonical raft's fixture (bench/canonical)
# one after the other, 5 repetitions each, and prints their medians side by side.
# A benchmark, not a test: it is not part of ctest or `make test`.
#
# Usage: bench/compare_sim.sh [BUILD_DIR]            (default: build/release)
#   REPS=5              repetitions of each side
#   SIM_FILTER=regex    sim_bench benchmarks to run (default: all three)
#   KEEP=dir            keep the raw outputs there (default: a temporary directory)
# Builds sim_bench in BUILD_DIR if needed (cmake --build BUILD_DIR --target sim_bench).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$root/build/release}
reps=${REPS:-5}
filter=${SIM_FILTER:-BM_SteadyCluster5|BM_LeaderKillFailover5|BM_SwarmSeed}
raw=${KEEP:-$(mktemp -d)}
mkdir -p "$raw"

command -v python3 >/dev/null || { echo "compare_sim.sh: needs python3" >&2; exit 2; }
if [ ! -x "$build/bench/sim_bench" ]; then
  cmake --build "$build" --target sim_bench
fi

echo "machine: nproc $(nproc), $(lscpu | sed -n 's/^Model name: *//p'), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== sim_bench ($reps repetitions) =="
"$build/bench/sim_bench" --benchmark_filter="$filter" --benchmark_repetitions="$reps" \
  --benchmark_report_aggregates_only=true --benchmark_out="$raw/sim_bench.json" \
  --benchmark_out_format=json | tee "$raw/sim_bench.txt"
echo "== canonical raft fixture ($reps repetitions) =="
OUT="$raw/canonical_bench" "$root/bench/canonical/run.sh" "$reps" | tee "$raw/canonical.txt"

python3 - "$raw/sim_bench.json" "$raw/canonical.txt" <<'PY'
import json, sys

sim = {}
for b in json.load(open(sys.argv[1]))["benchmarks"]:
    if b.get("aggregate_name") == "median":
        sim[b["run_name"]] = b
canon = {}
for line in open(sys.argv[2]):
    if line.startswith("RESULT "):
        _, key, med, lo, hi = line.split()
        canon[key] = float(med)

def s(run, key):
    b = sim.get(run)
    if b is None:
        return None
    if key == "time":  # per-iteration time in the benchmark's unit
        return b["real_time"]
    return b.get(key)

def fmt(v, digits=0):
    if v is None:
        return "—"
    if abs(v) >= 1e6:
        return f"{v / 1e6:.2f} M"
    if abs(v) >= 1e4:
        return f"{v / 1e3:.1f} k"
    return f"{v:,.{digits}f}"

steady = "BM_SteadyCluster5/trace:0"
traced = "BM_SteadyCluster5/trace:1"
print()
print("Medians of", sys.argv[1].rsplit("/", 1)[0])
print()
print("| steady 5 nodes, heartbeat 100 ms | raft::sim, trace off | raft::sim, trace kept "
      "| canonical fixture | target |")
print("|---|---|---|---|---|")
rows = [
    ("simulated s per wall s", "x_realtime", "steady_x_realtime", "≥ 50,000×"),
    ("simulated s per CPU s", "x_realtime_cpu", "steady_x_realtime_cpu", ""),
    ("events per wall s", "events_per_s", "steady_events_per_s", ""),
    ("events per CPU s", "events_per_s_cpu", "steady_events_per_s_cpu", ""),
    ("events per simulated s", "events_per_sim_s", "steady_events_per_sim_s", ""),
]
for name, sk, ck, target in rows:
    print(f"| {name} | {fmt(s(steady, sk))} | {fmt(s(traced, sk))} | {fmt(canon.get(ck))} "
          f"| {target} |")

print()
print("| failover, 5 nodes: kill -> new leader | wall µs (mean) | wall µs (p50) | CPU µs "
      "| failovers/s | simulated ms (mean) | events (steps) per failover |")
print("|---|---|---|---|---|---|---|")
for label, run in [("raft::sim, process crash (fast failover)",
                    "BM_LeaderKillFailover5/machine_loss:0/manual_time"),
                   ("raft::sim, machine loss (silent)",
                    "BM_LeaderKillFailover5/machine_loss:1/manual_time")]:
    print(f"| {label} | {fmt(s(run, 'time'), 2)} | {fmt(s(run, 'wall_us_p50'), 2)} "
          f"| {fmt(s(run, 'cpu_us'), 2)} | {fmt(s(run, 'failovers_per_s'))} "
          f"| {fmt(s(run, 'sim_ms'), 1)} | {fmt(s(run, 'events'), 1)} |")
for label, key in [("canonical, fixed timeouts (as shipped)", "kill_fixed"),
                   ("canonical, rand [T, 2T)", "kill_rand"),
                   ("canonical, rand [T, 2T), pre-vote", "kill_rand_prevote"),
                   ("canonical, rand, pre-vote, 2 ms links", "kill_rand_prevote_2ms")]:
    c = lambda k: canon.get(f"{key}_{k}")
    print(f"| {label} | {fmt(c('wall_us'), 2)} | {fmt(c('wall_us_p50'), 2)} "
          f"| {fmt(c('cpu_us'), 2)} | {fmt(c('failovers_per_s'))} | {fmt(c('sim_ms'), 1)} "
          f"| {fmt(c('steps'), 1)} |")
print("| target (raft::sim) | ≤ 10 | | | | | |")

sw = next((name for name in sim if name.startswith("BM_SwarmSeed")), None)
if sw is not None:
    print()
    print("| swarm seed (5 nodes, 60 s) | ms per seed (wall) | seeds/s | events/s "
          "| simulated s per wall s | 1000 seeds on 1 thread, s |")
    print("|---|---|---|---|---|---|")
    print(f"| raft::sim | {fmt(s(sw, 'time'), 2)} | {fmt(s(sw, 'seeds_per_s'), 1)} "
          f"| {fmt(s(sw, 'events_per_s'))} | {fmt(s(sw, 'x_realtime'))} "
          f"| {fmt(s(sw, 'check1000_s_1job'), 1)} |")
PY
echo "raw outputs: $raw"

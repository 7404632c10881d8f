#!/usr/bin/env bash
# Runs one benchmark binary with 5 repetitions and prints the medians, after waiting for the
# machine to be quiet (other processes below 10 % CPU for 3 s, up to 10 min). On a shared
# 2-core machine a concurrent build makes wall and CPU figures 1.5-3x worse.
#
# Usage: bench/run_medians.sh [BINARY] [extra benchmark args...]
#        default BINARY: build/release/bench/node_bench
set -euo pipefail

binary=${1:-build/release/bench/node_bench}
shift || true

# Busy share of all CPUs over `seconds`, in percent, from /proc/stat.
cpu_busy() {
  local seconds=$1 a b
  read -r -a a < <(head -1 /proc/stat)
  sleep "$seconds"
  read -r -a b < <(head -1 /proc/stat)
  local idle=$(((b[4] + b[5]) - (a[4] + a[5])))
  local total=0 i
  for i in 1 2 3 4 5 6 7 8; do total=$((total + b[i] - a[i])); done
  echo $((total > 0 ? 100 * (total - idle) / total : 0))
}

deadline=$((SECONDS + 600))
while busy=$(cpu_busy 3) && [ "$busy" -ge 10 ]; do
  if [ "$SECONDS" -ge "$deadline" ]; then
    echo "run_medians: machine still ${busy}% busy after 10 min; running anyway" >&2
    break
  fi
done
echo "run_medians: CPU ${busy}% busy before the run; load average $(cut -d' ' -f1-3 /proc/loadavg)"

"$binary" --benchmark_repetitions=5 --benchmark_report_aggregates_only=true \
  --benchmark_display_aggregates_only=true "$@"
echo "run_medians: load average after the run $(cut -d' ' -f1-3 /proc/loadavg)"

#!/usr/bin/env bash
# raft-kv beside etcd 3.4, on this machine, in one run (issue 5, "Performance targets").
#
# Usage: bench/kv_compare.sh [options]
#   --bin DIR          where raft-kv, raft-kv-client and raft-kv-bench are (default build/release/bin)
#   --clients LIST     concurrency levels for the write load (default 1,16,64,256)
#   --duration D       measured time per level, e.g. 10s (default 10s); --warmup D (default 2s)
#   --kills N          leader faults per system and kind for the failover RTO (default 10)
#   --only WHAT        load | failover (default: both)
#   --faults LIST      which leader faults: kill (SIGKILL: the process dies, its connections
#                      reset) and/or stop (SIGSTOP: the machine goes silent) (default kill,stop)
#   --out FILE         also write the Markdown tables to FILE
#
# What it does, for raft-kv (examples/kv/cluster.sh) and then etcd (bench/etcd/etcd-cluster.sh),
# each a 3-member cluster on 127.0.0.1 with heartbeat 100 ms and election timeout 1000 ms
# (etcd's defaults):
#   1. load: fsync on, then off (raft-kv --no-fsync, etcd --unsafe-no-fsync); for each level,
#      raft-kv-bench PUTs 256-byte values for the duration; throughput, p50/p99/p999, and the
#      CPU time all server processes spent per committed write (from /proc/PID/stat);
#   2. failover: N times per fault, raft-kv-client loop (a PUT every 10 ms) while the leader is
#      killed (SIGKILL) or stopped (SIGSTOP, continued once the loop recovered); the RTO is the
#      loop's "disruption": from the first request that failed or had to retry to the first
#      success after it. Medians and maxima over the N faults. The client gives an attempt
#      300 ms before it tries the next endpoint: an etcd follower without a leader holds a
#      write until etcd's own request timeout (seconds), and a stopped process never answers,
#      so a longer wait would measure the client's patience rather than the failover.
# Both systems are driven by the same client code (raft-kv-bench / raft-kv-client --target etcd
# speak etcd's JSON gateway), so the HTTP/1.1 client costs are the same on both sides.
#
# Needs: scripts/install-deps.sh --bench (etcd-server, etcd-client, jq), and a release build.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
bin="$root/build/release/bin"
clients="1,16,64,256"
duration="10s"
warmup="2s"
kills=10
only=""
faults="kill,stop"
out=""

die() {
  echo "kv_compare: $*" >&2
  exit 1
}

while [[ $# -gt 0 ]]; do
  case "$1" in
    --bin) bin="$2"; shift 2 ;;
    --clients) clients="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --warmup) warmup="$2"; shift 2 ;;
    --kills) kills="$2"; shift 2 ;;
    --only) only="$2"; shift 2 ;;
    --faults) faults="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
done

for tool in raft-kv raft-kv-client raft-kv-bench; do
  [[ -x "$bin/$tool" ]] || die "$bin/$tool is missing: build first (make build)"
done
command -v jq >/dev/null || die "jq is missing: scripts/install-deps.sh --bench"
command -v etcd >/dev/null || die "etcd is missing: scripts/install-deps.sh --bench"

work="$(mktemp -d /tmp/raftsim-compare.XXXXXX)"
kv_dir="$work/raft-kv"
etcd_dir="$work/etcd"
export RAFT_KV_BIN="$bin/raft-kv"
cleanup() {
  "$root/examples/kv/cluster.sh" stop --dir "$kv_dir" >/dev/null 2>&1 || true
  "$here/etcd/etcd-cluster.sh" stop --dir "$etcd_dir" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# ---- helpers -------------------------------------------------------------------------------

# cluster SYSTEM VERB [ARGS...]: run the cluster script of SYSTEM (raftkv | etcd).
cluster() {
  local system="$1"
  shift
  if [[ "$system" == raftkv ]]; then
    "$root/examples/kv/cluster.sh" "$@" --dir "$kv_dir"
  else
    "$here/etcd/etcd-cluster.sh" "$@" --dir "$etcd_dir"
  fi
}

endpoints() {
  if [[ "$1" == raftkv ]]; then
    echo "127.0.0.1:8001,127.0.0.1:8002,127.0.0.1:8003"
  else
    cluster etcd endpoints
  fi
}

# Total CPU ticks (user + system) of the running members of SYSTEM.
server_ticks() {
  local dir="$kv_dir" total=0 pid
  [[ "$1" == etcd ]] && dir="$etcd_dir"
  for pidfile in "$dir"/*.pid; do
    [[ -f "$pidfile" ]] || continue
    pid="$(cat "$pidfile")"
    [[ -r "/proc/$pid/stat" ]] || continue
    # Fields 14 and 15 of /proc/PID/stat; the command name (field 2) has no spaces here.
    total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat")))
  done
  echo "$total"
}

median() { sort -n | awk '{a[NR]=$1} END {if (NR == 0) print "n/a"; else if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2] + a[NR/2+1]) / 2}'; }
maximum() { sort -n | tail -1; }

hz="$(getconf CLK_TCK)"
load_rows=()
failover_rows=()

# ---- 1. load -------------------------------------------------------------------------------

run_load() {
  local system="$1" fsync="$2" start_flags=()
  if [[ "$fsync" == off ]]; then
    [[ "$system" == raftkv ]] && start_flags=(--no-fsync) || start_flags=(--unsafe-no-fsync)
  fi
  cluster "$system" start --nodes 3 "${start_flags[@]}" >/dev/null
  local level result ticks_before ticks_after ops cpu_us
  for level in ${clients//,/ }; do
    ticks_before="$(server_ticks "$system")"
    result="$("$bin/raft-kv-bench" --target "$system" --endpoints "$(endpoints "$system")" \
      --clients "$level" --duration "$duration" --warmup "$warmup" --value-size 256 --json)"
    ticks_after="$(server_ticks "$system")"
    ops="$(jq '.levels[0].ops' <<<"$result")"
    # Ticks include the warm-up's writes; the warm-up ran at the same rate, so scale by time.
    cpu_us="$(awk -v t=$((ticks_after - ticks_before)) -v hz="$hz" -v ops="$ops" \
      -v d="${duration%s}" -v w="${warmup%s}" \
      'BEGIN { if (ops == 0) print "n/a"; else printf "%.1f", t / hz * 1e6 * d / (d + w) / ops }')"
    load_rows+=("$(jq -r --arg system "$system" --arg fsync "$fsync" --arg cpu "$cpu_us" \
      '.levels[0] | "| \($system) | \($fsync) | \(.clients) | \(.ops_per_s | floor) | \(.p50_us | floor) | \(.p99_us | floor) | \(.p999_us | floor) | \($cpu) | \(.errors) |"' \
      <<<"$result")")
    echo "${load_rows[-1]}" >&2
  done
  cluster "$system" stop >/dev/null
}

# ---- 2. failover ---------------------------------------------------------------------------

# The pid of SYSTEM's current leader, from the cluster script's status lines.
leader_pid() {
  if [[ "$1" == raftkv ]]; then
    cluster raftkv status | grep '"role":"leader"' | grep -oE 'pid [0-9]+' | awk '{print $2}'
  else
    cluster etcd status | awk '$5 == "leader" {print $3}'
  fi | head -1
}

run_failover() {
  local system="$1" fault="$2" i pid summary io_timeout=300ms
  local rtos=() failed=()
  cluster "$system" start --nodes 3 >/dev/null
  for ((i = 1; i <= kills; i++)); do
    "$bin/raft-kv-client" --target "$system" --endpoints "$(endpoints "$system")" \
      --timeout 20s --io-timeout "$io_timeout" \
      loop --interval 10ms --duration 30s --until-recovered --json \
      >"$work/loop.json" 2>"$work/loop.lines" &
    local loop_pid=$!
    sleep 1
    pid="$(leader_pid "$system")"
    [[ -n "$pid" ]] || die "$system: no leader to fault"
    if [[ "$fault" == kill ]]; then kill -KILL "$pid"; else kill -STOP "$pid"; fi
    wait "$loop_pid" || true
    summary="$(cat "$work/loop.json")"
    rtos+=("$(jq '.disruption_ms // empty' <<<"$summary")")
    failed+=("$(jq '.failed' <<<"$summary")")
    echo "$system $fault $i: pid $pid, disruption $(jq '.disruption_ms' <<<"$summary") ms, $(jq '.failed' <<<"$summary") failed" >&2
    if [[ "$fault" == kill ]]; then
      # The member whose pid file names the killed pid starts again on its data.
      local file member
      file="$(grep -lx "$pid" "$([[ "$system" == raftkv ]] && echo "$kv_dir" || echo "$etcd_dir")"/*.pid)"
      member="$(basename "$file" .pid | grep -oE '[0-9]+')"
      cluster "$system" restart "$member" >/dev/null
    else
      kill -CONT "$pid"
    fi
    sleep 3  # let the member catch up before the next fault
  done
  cluster "$system" stop >/dev/null
  failover_rows+=("| $system | $fault | $kills | $(printf '%s\n' "${rtos[@]}" | median) | $(printf '%s\n' "${rtos[@]}" | maximum) | $(printf '%s\n' "${failed[@]}" | median) |")
}

# ---- run and report ------------------------------------------------------------------------

machine="$(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), $(uname -r)"
etcd_version="$(etcd --version 2>/dev/null | awk '/etcd Version/ {print $3}')"

if [[ "$only" != failover ]]; then
  for fsync in on off; do
    run_load raftkv "$fsync"
    run_load etcd "$fsync"
  done
fi
if [[ "$only" != load ]]; then
  for fault in ${faults//,/ }; do
    run_failover raftkv "$fault"
    run_failover etcd "$fault"
  done
fi

{
  echo "Measured $(date -u +%Y-%m-%d) on $machine; etcd $etcd_version; 3 members on 127.0.0.1,"
  echo "heartbeat 100 ms, election timeout 1000 ms; 256-byte values; $duration per level."
  echo
  if [[ ${#load_rows[@]} -gt 0 ]]; then
    echo "| system | fsync | clients | writes/s | p50 µs | p99 µs | p999 µs | server CPU µs/write | errors |"
    echo "|---|---|---|---|---|---|---|---|---|"
    printf '%s\n' "${load_rows[@]}"
    echo
  fi
  if [[ ${#failover_rows[@]} -gt 0 ]]; then
    echo "| system | leader fault | faults | RTO median ms | RTO max ms | failed requests (median) |"
    echo "|---|---|---|---|---|---|"
    printf '%s\n' "${failover_rows[@]}"
  fi
} | tee "${out:-/dev/null}"

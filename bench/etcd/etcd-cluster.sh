#!/usr/bin/env bash
# A local etcd 3.4 cluster on 127.0.0.1: the etcd side of the side-by-side comparison with
# raft-kv (issue 5, "Performance targets": measured with Debian 12's etcd-server package on the
# same machine, in the same run). `scripts/install-deps.sh --bench` installs etcd-server and
# etcd-client.
#
# Usage: bench/etcd/etcd-cluster.sh COMMAND [options]
#   start          start a fresh cluster (wipes the members' data) and wait until every member
#                  reports healthy and the JSON gateway takes a put, or fail after --timeout
#   stop           stop every member (SIGTERM, then SIGKILL after 10 s); removes the data and
#                  pid files, keeps the logs
#   status         one line per member: name, pid or "down", client URL, leader?, term, index
#   kill-leader    find the leader and `kill -9` it; prints its name and the time (ms since the
#                  epoch) of the kill
#   restart N      start member N (1-based) again on its data, with the flags of `start`, and
#                  wait until it is healthy
#   endpoints      the client endpoints, comma-separated host:port (for raft-kv-bench --target etcd)
# Options (start; restart and the others read what start saved in DIR/cluster.env):
#   --nodes N             members, 1..5 (default 3)
#   --heartbeat-ms MS     --heartbeat-interval (default 100, etcd's default)
#   --election-ms MS      --election-timeout (default 1000, etcd's default)
#   --unsafe-no-fsync     etcd's --unsafe-no-fsync (in 3.4.23, though `etcd --help` does not
#                         list it): the WAL is written but never fsynced, like raft-kv --no-fsync
#   --pre-vote            etcd's --pre-vote (off by default in 3.4; raft-kv pre-votes)
#   --dir DIR             where data, logs and pid files go (default $ETCD_BENCH_DIR or
#                         /tmp/raftsim-etcd)
#   --timeout S           how long start / restart wait for health (default 30)
#
# Ports: member i (1-based) serves clients on 2379, 22379, 32379, 42379, 52379 and peers on
# the same + 1 (etcd's own convention for a local cluster, see its Procfile); raft-kv uses
# 7001.. (Raft) and 8001.. (HTTP), so both can run at once.
#
# Every member also serves etcd's JSON gateway (grpc-gateway) on its client port, which is what
# raft-kv-bench --target etcd speaks: keys and values are base64, e.g.
#   curl -s -X POST http://127.0.0.1:2379/v3/kv/put -d '{"key":"Zm9v","value":"YmFy"}'
set -euo pipefail

readonly client_ports=(2379 22379 32379 42379 52379)
readonly token="raftsim-bench"

die() {
  echo "etcd-cluster: $*" >&2
  exit 1
}

usage() {
  sed -n '2,/^set -euo/p' "$0" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//'
  exit "${1:-0}"
}

command="${1:-}"
[[ -n "$command" ]] || usage 1
shift
member_arg=""
if [[ "$command" == "restart" ]]; then
  member_arg="${1:-}"
  [[ "$member_arg" =~ ^[1-5]$ ]] || die "restart: give a member number 1..5 (got '${member_arg}')"
  shift
fi

nodes=3
heartbeat_ms=100
election_ms=1000
no_fsync=0
pre_vote=0
dir="${ETCD_BENCH_DIR:-/tmp/raftsim-etcd}"
timeout_s=30
while (($# > 0)); do
  case "$1" in
    --nodes) nodes="${2:?--nodes needs a value}"; shift 2 ;;
    --heartbeat-ms) heartbeat_ms="${2:?--heartbeat-ms needs a value}"; shift 2 ;;
    --election-ms) election_ms="${2:?--election-ms needs a value}"; shift 2 ;;
    --unsafe-no-fsync) no_fsync=1; shift ;;
    --pre-vote) pre_vote=1; shift ;;
    --dir) dir="${2:?--dir needs a value}"; shift 2 ;;
    --timeout) timeout_s="${2:?--timeout needs a value}"; shift 2 ;;
    -h | --help) usage 0 ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
done
[[ "$nodes" =~ ^[1-5]$ ]] || die "--nodes: 1..5 (got '$nodes')"
[[ "$heartbeat_ms" =~ ^[0-9]+$ && "$election_ms" =~ ^[0-9]+$ ]] ||
  die "--heartbeat-ms / --election-ms: whole milliseconds"
# etcd refuses an election timeout below 5 heartbeats; say so before it does, in a log.
((election_ms >= 5 * heartbeat_ms)) ||
  die "--election-ms ($election_ms) must be at least 5 x --heartbeat-ms ($heartbeat_ms) (etcd's rule)"
[[ "$timeout_s" =~ ^[0-9]+$ ]] || die "--timeout: whole seconds"
# Absolute, so that a member's command line names it exactly (member_pid checks it).
dir="$(realpath -m "$dir")"

env_file="$dir/cluster.env"

# The options of the running cluster, for every command but start.
load_env() {
  [[ -f "$env_file" ]] || die "no cluster in $dir (run: $0 start [--dir $dir])"
  # shellcheck source=/dev/null
  source "$env_file"
}

require_etcd() {
  if ! command -v etcd >/dev/null 2>&1 || ! command -v etcdctl >/dev/null 2>&1; then
    die "etcd and etcdctl are not installed (scripts/install-deps.sh --bench, or apt-get install etcd-server etcd-client)"
  fi
  command -v curl >/dev/null 2>&1 || die "curl is not installed"
}

client_port() { echo "${client_ports[$(($1 - 1))]}"; }
peer_port() { echo $(($(client_port "$1") + 1)); }
client_url() { echo "http://127.0.0.1:$(client_port "$1")"; }
pid_file() { echo "$dir/m$1.pid"; }

# The pid of member i when it runs (and is the etcd we started: the pid was not reused).
member_pid() {
  local file pid
  file="$(pid_file "$1")"
  [[ -f "$file" ]] || return 1
  pid="$(<"$file")"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "--data-dir $dir/m$1 " || return 1
  echo "$pid"
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

healthy() {
  curl -s --max-time 1 "$(client_url "$1")/health" 2>/dev/null | grep -q '"health":"true"'
}

initial_cluster() {
  local i out=""
  for ((i = 1; i <= nodes; i++)); do
    out+="${out:+,}m$i=http://127.0.0.1:$(peer_port "$i")"
  done
  echo "$out"
}

launch() {
  local i="$1" flags=()
  flags=(--name "m$i" --data-dir "$dir/m$i"
    --listen-client-urls "$(client_url "$i")" --advertise-client-urls "$(client_url "$i")"
    --listen-peer-urls "http://127.0.0.1:$(peer_port "$i")"
    --initial-advertise-peer-urls "http://127.0.0.1:$(peer_port "$i")"
    --initial-cluster "$(initial_cluster)" --initial-cluster-token "$token"
    --initial-cluster-state new
    --heartbeat-interval "$heartbeat_ms" --election-timeout "$election_ms"
    --logger zap --log-outputs stderr)
  ((no_fsync)) && flags+=(--unsafe-no-fsync)
  ((pre_vote)) && flags+=(--pre-vote)
  # setsid: the member outlives this shell and is not hit by a Ctrl-C meant for it.
  setsid etcd "${flags[@]}" </dev/null >>"$dir/m$i.log" 2>&1 &
  echo $! >"$(pid_file "$i")"
}

# Waits until every member in "$@" is healthy (it has a leader and answers) or the deadline.
wait_healthy() {
  local deadline=$((SECONDS + timeout_s)) i pending
  while true; do
    pending=()
    for i in "$@"; do
      if ! member_pid "$i" >/dev/null; then
        echo "etcd-cluster: m$i exited; last log lines ($dir/m$i.log):" >&2
        tail -n 5 "$dir/m$i.log" >&2 || true
        return 1
      fi
      healthy "$i" || pending+=("$i")
    done
    ((${#pending[@]} == 0)) && return 0
    if ((SECONDS >= deadline)); then
      for i in "${pending[@]}"; do
        echo "etcd-cluster: m$i not healthy after ${timeout_s} s; last log lines:" >&2
        tail -n 5 "$dir/m$i.log" >&2 || true
      done
      return 1
    fi
    sleep 0.1
  done
}

# The member number of the leader, from each running member's own view (etcdctl endpoint status:
# "endpoint, id, version, db size, is leader, is learner, term, index, applied index, errors").
find_leader() {
  local i line
  for ((i = 1; i <= nodes; i++)); do
    member_pid "$i" >/dev/null || continue
    line="$(etcdctl --endpoints "$(client_url "$i")" --command-timeout=1s endpoint status \
      -w simple 2>/dev/null || true)"
    if [[ "$(echo "$line" | awk -F', ' '{print $5}')" == "true" ]]; then
      echo "$i"
      return 0
    fi
  done
  return 1
}

stop_members() {
  local i pid deadline
  for ((i = 1; i <= 5; i++)); do
    if pid="$(member_pid "$i")"; then
      kill -TERM "$pid" 2>/dev/null || true
      deadline=$((SECONDS + 10))
      while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.1; done
      kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$(pid_file "$i")"
  done
}

case "$command" in
  start)
    require_etcd
    mkdir -p "$dir"
    for ((i = 1; i <= 5; i++)); do
      ! member_pid "$i" >/dev/null || die "m$i already runs (pid $(member_pid "$i")); run: $0 stop --dir $dir"
    done
    for ((i = 1; i <= nodes; i++)); do
      for port in "$(client_port "$i")" "$(peer_port "$i")"; do
        ! port_in_use "$port" || die "port $port is in use (another etcd? run: $0 stop, or see ss -ltnp)"
      done
    done
    rm -rf "$dir"/m[1-5] "$dir"/m[1-5].log "$dir"/m[1-5].pid
    cat >"$env_file" <<EOF
nodes=$nodes
heartbeat_ms=$heartbeat_ms
election_ms=$election_ms
no_fsync=$no_fsync
pre_vote=$pre_vote
EOF
    members=()
    for ((i = 1; i <= nodes; i++)); do
      launch "$i"
      members+=("$i")
    done
    if ! wait_healthy "${members[@]}"; then
      stop_members
      die "the cluster did not become healthy within ${timeout_s} s (logs in $dir)"
    fi
    # The gateway raft-kv-bench --target etcd uses: one put and its delete.
    reply="$(curl -s --max-time 5 -X POST "$(client_url 1)/v3/kv/put" \
      -d '{"key":"X19yYWZ0c2ltX3Byb2JlX18=","value":"b2s="}')" || true
    [[ "$reply" == *'"revision"'* ]] || { stop_members; die "JSON gateway put failed: '$reply'"; }
    curl -s --max-time 5 -X POST "$(client_url 1)/v3/kv/deleterange" \
      -d '{"key":"X19yYWZ0c2ltX3Byb2JlX18="}' >/dev/null || true
    echo "etcd-cluster: $nodes members healthy (heartbeat ${heartbeat_ms} ms, election ${election_ms} ms, fsync $( ((no_fsync)) && echo off || echo on)); leader m$(find_leader || echo '?'); endpoints $("$0" endpoints --dir "$dir")"
    ;;
  stop)
    stop_members
    rm -rf "$dir"/m[1-5] "$env_file"
    echo "etcd-cluster: stopped (logs kept in $dir)"
    ;;
  status)
    require_etcd
    load_env
    leader="$(find_leader || true)"
    for ((i = 1; i <= nodes; i++)); do
      if pid="$(member_pid "$i")"; then
        line="$(etcdctl --endpoints "$(client_url "$i")" --command-timeout=1s endpoint status \
          -w simple 2>/dev/null || true)"
        term="$(echo "$line" | awk -F', ' '{print $7}')"
        index="$(echo "$line" | awk -F', ' '{print $8}')"
        role=follower
        [[ "$leader" == "$i" ]] && role=leader
        [[ -z "$line" ]] && role=unresponsive
        echo "m$i pid $pid $(client_url "$i") $role term ${term:-?} index ${index:-?}"
      else
        echo "m$i down $(client_url "$i")"
      fi
    done
    ;;
  kill-leader)
    require_etcd
    load_env
    leader="$(find_leader)" || die "no member reports being the leader"
    pid="$(member_pid "$leader")"
    kill -KILL "$pid"
    echo "killed m$leader (pid $pid) at $(date +%s%3N)"
    ;;
  restart)
    require_etcd
    load_env
    ((member_arg <= nodes)) || die "restart: the cluster has $nodes members"
    ! member_pid "$member_arg" >/dev/null || die "m$member_arg runs already"
    [[ -d "$dir/m$member_arg" ]] || die "m$member_arg has no data in $dir (start the cluster first)"
    launch "$member_arg"
    wait_healthy "$member_arg" || die "m$member_arg did not become healthy within ${timeout_s} s"
    echo "etcd-cluster: m$member_arg restarted and healthy"
    ;;
  endpoints)
    load_env
    out=""
    for ((i = 1; i <= nodes; i++)); do out+="${out:+,}127.0.0.1:$(client_port "$i")"; done
    echo "$out"
    ;;
  -h | --help | help) usage 0 ;;
  *) die "unknown command '$command' (start|stop|status|kill-leader|restart N|endpoints)" ;;
esac

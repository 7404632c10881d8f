#!/usr/bin/env bash
# cluster.sh — a local raft-kv cluster of 3 or 5 processes on 127.0.0.1.
#
#   examples/kv/cluster.sh start [--nodes 3|5] [--no-fsync] [--dir DIR] [--port-base R,H]
#   examples/kv/cluster.sh status       [--dir DIR]   one /v1/status line per node
#   examples/kv/cluster.sh kill-leader  [--dir DIR]   kill -9 the leader; prints which
#   examples/kv/cluster.sh restart N    [--dir DIR]   (re)start node N with its old data
#   examples/kv/cluster.sh stop         [--dir DIR]   SIGTERM every node (SIGKILL after 5 s)
#
# Node i listens for Raft on 127.0.0.1:(R+i) and for HTTP on 127.0.0.1:(H+i), R,H = 7000,8000
# unless --port-base says otherwise (two clusters side by side need different ones). DIR
# (default ${TMPDIR:-/tmp}/raft-kv-cluster) holds node<i>/ (its log and snapshots),
# node<i>.log (its stderr) and node<i>.pid. The binary is build/release/bin/raft-kv
# (`make build`), or $RAFT_KV_BIN. Extra flags for every node: $RAFT_KV_ARGS, e.g.
#   RAFT_KV_ARGS="--heartbeat-ms 10 --election-ms 100" examples/kv/cluster.sh start
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
bin="${RAFT_KV_BIN:-$repo/build/release/bin/raft-kv}"
raft_base=7000
http_base=8000

usage() {  # exit status $1 (default 2: a usage error)
  sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit "${1:-2}"
}
die() {
  echo "cluster.sh: $*" >&2
  exit 1
}

# ---- Arguments ------------------------------------------------------------------------------
[[ $# -ge 1 ]] || usage
[[ "$1" == -h || "$1" == --help || "$1" == help ]] && usage 0
command="$1"
shift
node_arg=""
nodes=""
no_fsync=0
port_base=""
dir="${TMPDIR:-/tmp}/raft-kv-cluster"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --nodes) nodes="${2:-}"; shift 2 || usage ;;
    --nodes=*) nodes="${1#*=}"; shift ;;
    --no-fsync) no_fsync=1; shift ;;
    --dir) dir="${2:-}"; shift 2 || usage ;;
    --dir=*) dir="${1#*=}"; shift ;;
    --port-base) port_base="${2:-}"; shift 2 || usage ;;
    --port-base=*) port_base="${1#*=}"; shift ;;
    -h | --help) usage 0 ;;
    [0-9]*) node_arg="$1"; shift ;;
    *) echo "cluster.sh: unknown argument '$1'" >&2; usage ;;
  esac
done

# ---- Helpers --------------------------------------------------------------------------------
# GET http://127.0.0.1:<port><path>; prints the body. curl when present, else bash's /dev/tcp.
http_get() {
  local port="$1" path="$2"
  if command -v curl > /dev/null 2>&1; then
    curl -s -m 2 "http://127.0.0.1:${port}${path}"
  else
    # shellcheck disable=SC2016  # expanded by the inner bash, from its arguments
    timeout 2 bash -c '
      exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
      printf "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%s\r\nConnection: close\r\n\r\n" "$2" "$1" >&3
      sed "1,/^\r$/d" <&3' _ "$port" "$path"
  fi
}

node_count() {
  [[ -f "$dir/nodes" ]] || die "no cluster in $dir (run: cluster.sh start --dir $dir)"
  cat "$dir/nodes"
}

# The port bases the cluster in $dir was started with.
load_ports() {
  [[ -f "$dir/ports" ]] || return 0
  IFS=, read -r raft_base http_base < "$dir/ports"
}

pid_of() {  # prints the node's pid if it runs
  local file="$dir/node$1.pid"
  [[ -f "$file" ]] || return 1
  local pid
  pid="$(cat "$file")"
  kill -0 "$pid" 2> /dev/null || return 1
  echo "$pid"
}

start_node() {
  local i="$1" n="$2" peers="" http_peers="" j
  for ((j = 1; j <= n; j++)); do
    peers+="${peers:+,}$j=127.0.0.1:$((raft_base + j))"
    http_peers+="${http_peers:+,}$j=127.0.0.1:$((http_base + j))"
  done
  local extra=()
  [[ "$(cat "$dir/fsync")" == "off" ]] && extra+=(--no-fsync)
  # shellcheck disable=SC2206  # RAFT_KV_ARGS is split into words on purpose.
  extra+=(${RAFT_KV_ARGS:-})
  mkdir -p "$dir/node$i"
  nohup "$bin" --id "$i" --peers "$peers" --http-peers "$http_peers" \
    --data-dir "$dir/node$i" --cluster-id raft-kv-local "${extra[@]}" \
    >> "$dir/node$i.log" 2>&1 < /dev/null &
  echo $! > "$dir/node$i.pid"
}

wait_healthy() {  # until node $1 answers /healthz, at most 10 s
  local i="$1" try
  for ((try = 0; try < 100; try++)); do
    [[ "$(http_get $((http_base + i)) /healthz 2> /dev/null || true)" == "ok" ]] && return 0
    pid_of "$i" > /dev/null || die "node $i exited; see $dir/node$i.log"
    sleep 0.1
  done
  die "node $i does not answer on 127.0.0.1:$((http_base + i)); see $dir/node$i.log"
}

leader_id() {  # the leader some running node knows of, or nothing
  local n i body
  n="$(node_count)"
  for ((i = 1; i <= n; i++)); do
    pid_of "$i" > /dev/null || continue
    body="$(http_get $((http_base + i)) /v1/status 2> /dev/null || true)"
    if [[ "$body" =~ \"leader\":([0-9]+) ]] && [[ "${BASH_REMATCH[1]}" != 0 ]]; then
      echo "${BASH_REMATCH[1]}"
      return 0
    fi
  done
  return 1
}

status() {
  local n i pid body
  n="$(node_count)"
  for ((i = 1; i <= n; i++)); do
    if pid="$(pid_of "$i")"; then
      body="$(http_get $((http_base + i)) /v1/status 2> /dev/null || true)"
      echo "node $i (pid $pid, http 127.0.0.1:$((http_base + i))): ${body:-<no answer>}"
    else
      echo "node $i: down"
    fi
  done
}

stop_node() {
  local i="$1" pid try
  pid="$(pid_of "$i")" || { rm -f "$dir/node$i.pid"; return 0; }
  kill -TERM "$pid" 2> /dev/null || true
  for ((try = 0; try < 50; try++)); do
    kill -0 "$pid" 2> /dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2> /dev/null; then
    echo "node $i (pid $pid) ignored SIGTERM for 5 s: SIGKILL" >&2
    kill -KILL "$pid" 2> /dev/null || true
  fi
  rm -f "$dir/node$i.pid"
}

# ---- Commands -------------------------------------------------------------------------------
[[ "$command" == start ]] || load_ports
case "$command" in
  start)
    nodes="${nodes:-3}"
    [[ "$nodes" == 3 || "$nodes" == 5 ]] || die "--nodes must be 3 or 5"
    if [[ -n "$port_base" ]]; then
      [[ "$port_base" =~ ^([0-9]+),([0-9]+)$ ]] || die "--port-base must be RAFT,HTTP, e.g. 7000,8000"
      raft_base="${BASH_REMATCH[1]}"
      http_base="${BASH_REMATCH[2]}"
    fi
    [[ -x "$bin" ]] || die "no raft-kv binary at $bin (build it: make build, or set RAFT_KV_BIN)"
    mkdir -p "$dir"
    if [[ -f "$dir/nodes" ]]; then
      for ((i = 1; i <= $(cat "$dir/nodes"); i++)); do
        if pid_of "$i" > /dev/null; then die "node $i already runs (cluster.sh stop --dir $dir)"; fi
      done
    fi
    echo "$nodes" > "$dir/nodes"
    echo "$raft_base,$http_base" > "$dir/ports"
    if ((no_fsync)); then echo off > "$dir/fsync"; else echo on > "$dir/fsync"; fi
    for ((i = 1; i <= nodes; i++)); do start_node "$i" "$nodes"; done
    for ((i = 1; i <= nodes; i++)); do wait_healthy "$i"; done
    for ((try = 0; try < 100; try++)); do
      leader="$(leader_id || true)"
      [[ -n "$leader" ]] && break
      sleep 0.1
    done
    echo "started $nodes nodes in $dir (fsync $(cat "$dir/fsync")); leader: ${leader:-none yet}"
    status
    ;;
  status)
    status
    ;;
  kill-leader)
    leader="$(leader_id)" || die "no leader is known"
    pid="$(pid_of "$leader")" || die "the leader (node $leader) is not running here"
    kill -KILL "$pid"
    rm -f "$dir/node$leader.pid"
    echo "killed leader: node $leader (pid $pid) at $(date -u +%H:%M:%S.%N | cut -c1-12)"
    ;;
  restart)
    [[ -n "$node_arg" ]] || die "restart needs a node number"
    n="$(node_count)"
    ((node_arg >= 1 && node_arg <= n)) || die "node $node_arg is not in this $n-node cluster"
    stop_node "$node_arg"
    start_node "$node_arg" "$n"
    wait_healthy "$node_arg"
    echo "restarted node $node_arg (pid $(cat "$dir/node$node_arg.pid"))"
    ;;
  stop)
    n="$(node_count)"
    for ((i = 1; i <= n; i++)); do stop_node "$i"; done
    echo "stopped $n nodes in $dir"
    ;;
  *)
    echo "cluster.sh: unknown command '$command'" >&2
    usage
    ;;
esac

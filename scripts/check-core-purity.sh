#!/usr/bin/env bash
# Checks that the Raft core (raft/) stays pure, as DESIGN.md requires: it may include
# the C++ standard library, fmt and its own headers, and nothing else — no Boost,
# Protobuf or OS headers — and it may not reach for threads, clocks or global
# randomness. Run by ctest (test "core_purity"); prints every offending line.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

status=0
report() { printf '%s\n' "$1"; status=1; }

# Standard headers that would let the core do I/O, spawn threads, read clocks or
# draw OS randomness. (<cstdio> is allowed only where an assertion reports its failure.)
banned_std='thread|mutex|shared_mutex|condition_variable|future|atomic|semaphore|stop_token|random|fstream|iostream|filesystem|ctime|csignal'

while IFS= read -r -d '' file; do
  while IFS= read -r line; do
    number="${line%%:*}"
    include="${line#*:}"
    header="$(sed -E 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]([^>"]+)[>"].*/\1/' <<<"$include")"
    case "$header" in
      raft/*|fmt/*) continue ;;
    esac
    if [[ "$include" == *'"'* ]]; then
      # Quoted includes are the core's own private headers (raft/src/*.h).
      [[ -f "$(dirname "$file")/$header" ]] && continue
      report "$file:$number: includes \"$header\", which is not a header of raft/"
      continue
    fi
    if [[ "$header" == */* || "$header" == *.h ]]; then
      if [[ "$header" == cstdio && "$file" == raft/src/assert.cc ]]; then continue; fi
      report "$file:$number: includes <$header>: raft/ may only use the standard library and fmt"
      continue
    fi
    if [[ "$header" =~ ^($banned_std)$ ]]; then
      report "$file:$number: includes <$header>: the core does no I/O and uses no threads, clocks or OS randomness"
    fi
    if [[ "$header" == cstdio && "$file" != raft/src/assert.cc ]]; then
      report "$file:$number: includes <cstdio>: only the assertion handler may write to stderr"
    fi
  done < <(grep -nE '^[[:space:]]*#[[:space:]]*include' "$file" || true)
# raft/storage/posix/ is exempt: it is the write-ahead log's FileSystem on a real disk (POSIX
# calls), a separate library (raft::storage_posix) that neither raft::core nor raft::storage links.
done < <(find raft -path raft/storage/posix -prune -o \( -name '*.h' -o -name '*.cc' \) -print0 | sort -z)

# Clocks and randomness that bypass the headers above (e.g. through <chrono>).
if grep -rnE --exclude-dir=posix 'steady_clock|system_clock|high_resolution_clock|random_device|\brand\(|\bsrand\(|getenv' raft; then
  report "raft/: reads a clock, the environment or OS randomness (see the lines above)"
fi

if ((status == 0)); then echo "core purity: raft/ uses only the standard library and fmt"; fi
exit "$status"

#!/usr/bin/env bash
# Builds and runs bench/canonical/canonical_bench.c: canonical raft's deterministic fixture
# (Debian's libraft-dev 0.15, <raft/fixture.h>) on the workloads of bench/sim_bench.cc.
# Installs libraft-dev and libuv1-dev with apt-get when they are missing (as root, or through
# sudo). A benchmark, not a test: nothing here runs under ctest or `make test`.
#
# Usage: bench/canonical/run.sh [REPETITIONS [SEED [TRIALS]]]      (defaults 5 1 1000)
#   OUT=/path/canonical_bench  where the binary goes (default: $TMPDIR or /tmp)
# Prints one line per repetition and section, then "RESULT <key> <median> <min> <max>".
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=${OUT:-${TMPDIR:-/tmp}/canonical_bench}

missing=()
for pkg in libraft-dev libuv1-dev; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "canonical/run.sh: installing ${missing[*]}" >&2
  if [ "$(id -u)" -eq 0 ]; then sudo=(); else sudo=(sudo); fi
  "${sudo[@]}" apt-get install -y "${missing[@]}" >/dev/null ||
    { "${sudo[@]}" apt-get update >/dev/null && "${sudo[@]}" apt-get install -y "${missing[@]}" >/dev/null; }
fi

gcc -O2 -Wall -Wextra -o "$out" "$here/canonical_bench.c" -lraft
echo "libraft-dev $(dpkg-query -W -f='${Version}' libraft-dev), $(gcc --version | head -1), -O2;" \
  "load average $(cut -d' ' -f1-3 /proc/loadavg)"
"$out" "$@"
echo "load average after the run: $(cut -d' ' -f1-3 /proc/loadavg)"

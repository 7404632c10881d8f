#!/usr/bin/env bash
# Installs the Debian 12 packages that raftsim needs to build and test, and only those that
# are missing. When everything is present it does nothing and prints nothing, so `make test`
# can call it every time. This list is the single place where the build's packages are named.
#
# Usage: scripts/install-deps.sh           install whatever is missing
#        scripts/install-deps.sh --check   list what is missing; exit 1 if anything is
#        scripts/install-deps.sh --bench   also the optional comparison tools (bench_packages
#                                          below: etcd 3.4, wrk, hyperfine); combines with
#                                          --check. The default never installs them: the build,
#                                          the tests and `make bench` do not need them.
set -euo pipefail

check=0
bench=0
for arg in "$@"; do
  case "$arg" in
    --check) check=1 ;;
    --bench) bench=1 ;;
    *)
      echo "install-deps: unknown option '$arg' (--check, --bench)" >&2
      exit 2
      ;;
  esac
done

packages=(
  # Toolchain and build.
  cmake               # the build system (CMakePresets.json needs >= 3.21; Debian 12 has 3.25)
  ninja-build         # the generator every preset uses
  g++                 # the C++20 compiler (GCC 12 on Debian 12)
  make                # runs the top-level Makefile (make run / make test)
  pkg-config          # lets find_package locate libraries that ship only a .pc file
  # raft/ (the core): the standard library plus fmt, nothing else.
  libfmt-dev          # fmt: formatting for logs, traces and error messages (fmt::fmt)
  # transport/: the TCP runtime and the wire codec.
  libboost-dev        # Boost.Asio (header-only): timers, sockets and the io_context; Boost.System
                      # is header-only since 1.69, so no libboost-system-dev is needed
  libprotobuf-dev     # Protobuf runtime and headers for the wire messages (transport/proto/)
  protobuf-compiler   # protoc: generates the C++ message classes from the .proto schema
  # tests/ and bench/.
  libgtest-dev        # GoogleTest: every unit, sim and transport test
  libgmock-dev        # GoogleMock: matchers and mocks used by the tests
  libbenchmark-dev    # Google Benchmark: the bench/*_bench suites
  librapidcheck-dev   # RapidCheck: property-based tests (with its GoogleTest integration)
  # sim/ and the raftsim command-line tool.
  libyaml-cpp-dev     # yaml-cpp: scenario files (SCENARIO.yaml)
  libcli11-dev        # CLI11 (header-only): the raftsim run|sweep|check|shrink command line
  nlohmann-json3-dev  # nlohmann/json (header-only): Chrome trace-event JSON, metrics output
)

# Optional (--bench): what the side-by-side comparison in bench/ runs against or with.
bench_packages=(
  etcd-server         # etcd 3.4.23, the system raft-kv is compared with (bench/etcd/etcd-cluster.sh)
  etcd-client         # etcdctl: finds etcd's leader (kill-leader) and reports member status
  wrk                 # HTTP load generator, for cross-checking raft-kv-bench's numbers
  hyperfine           # command-line timing with statistics, for one-off comparisons
  jq                  # reads the JSON that raft-kv-bench and raft-kv-client print (bench/kv_compare.sh)
)
((bench)) && packages+=("${bench_packages[@]}")

installed() {
  [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" == "install ok installed" ]]
}

missing=()
for pkg in "${packages[@]}"; do
  installed "$pkg" || missing+=("$pkg")
done

if ((check)); then
  if ((${#missing[@]} > 0)); then
    printf '%s\n' "${missing[@]}"
    exit 1
  fi
  exit 0
fi

((${#missing[@]} == 0)) && exit 0

sudo=()
if ((EUID != 0)); then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "install-deps: missing packages (${missing[*]}), not root and no sudo." >&2
    echo "install-deps: as root, run: apt-get install ${missing[*]}" >&2
    exit 1
  fi
  sudo=(sudo)
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# sudo resets the environment, so DEBIAN_FRONTEND is passed on its command line as well.
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
# Finish any install that was interrupted earlier; apt-get refuses to run until that is done.
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive dpkg --configure -a
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -qq --no-install-recommends -o Dpkg::Use-Pty=0 "${missing[@]}"

// SPDX-License-Identifier: Apache-2.0
// Benchmarks of the deterministic simulator (raft::sim): how fast it replays virtual time with
// every checker on. Issue #3, "Performance", sets the targets.
//
//   BM_SteadyCluster5/trace:0    a steady 5-node cluster, etcd timings, no clients or faults,
//                                600 s of virtual time per iteration, trace not kept
//   BM_SteadyCluster5/trace:1    the same with every trace event (messages too) kept in memory
//   BM_LeaderKillFailover5/...   leader killed -> new leader known to a majority, timed alone
//                                (crash: process killed, peers' connections reset, the fast
//                                failover path; machine_loss: silent, only timeouts notice)
//   BM_SwarmSeed                 one `raftsim check` seed: 5 nodes, 60 s, swarm faults
//
// Counters (per repetition; --benchmark_repetitions=5 gives their medians):
//   x_realtime      simulated seconds per wall second in the timed region (the speed-up)
//   x_realtime_cpu  the same per second of this thread's CPU time (robust to a busy machine)
//   events_per_s    simulator events (deliveries, wakes, fsyncs, ...) per wall second
//   failovers_per_s, cpu_us, wall_us_p50, sim_ms, events: per failover (the Time column is
//                   the mean wall time of the timed region; clock-read costs are subtracted)
//   check1000_s_1job  wall seconds 1000 swarm seeds take on one thread, from this run
//
// See bench/README.md ("Simulator") for the reference results and canonical raft beside them.
#include <time.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "raft/node.h"
#include "raft/sim/cluster.h"
#include "raft/sim/metrics.h"
#include "raft/sim/scenario.h"
#include "raft/sim/swarm.h"
#include "raft/types.h"

// Build with -DSIM_BENCH_CALLGRIND to count instructions in the timed regions only:
//   valgrind --tool=callgrind --collect-atstart=no build/.../sim_bench --benchmark_filter=...
#ifdef SIM_BENCH_CALLGRIND
#include <valgrind/callgrind.h>
#define SIM_BENCH_TOGGLE() CALLGRIND_TOGGLE_COLLECT
#else
#define SIM_BENCH_TOGGLE() \
  do {                     \
  } while (false)
#endif

namespace raft::sim::bench {
namespace {

using WallClock = std::chrono::steady_clock;

/// This thread's CPU time in seconds.
double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

/// What reading the clocks around an empty region costs, as measured by those clocks: the
/// steady_clock read (~60 ns here) lands in the wall window; CLOCK_THREAD_CPUTIME_ID is a system
/// call in this VM (~0.5 us) and half of each read lands in the CPU window. Subtracted from the
/// per-failover figures, which are a few microseconds.
struct ClockOverhead {
  double wall = 0;
  double cpu = 0;
};

ClockOverhead clock_overhead() {
  static const ClockOverhead overhead = [] {
    std::array<double, 2001> walls{};
    std::array<double, 2001> cpus{};
    for (std::size_t i = 0; i < walls.size(); ++i) {
      const double cpu0 = thread_cpu_seconds();
      const auto wall0 = std::chrono::steady_clock::now();
      const auto wall1 = std::chrono::steady_clock::now();
      const double cpu1 = thread_cpu_seconds();
      walls[i] = std::chrono::duration<double>(wall1 - wall0).count();
      cpus[i] = cpu1 - cpu0;
    }
    std::ranges::sort(walls);
    std::ranges::sort(cpus);
    return ClockOverhead{walls[walls.size() / 2], cpus[cpus.size() / 2]};
  }();
  return overhead;
}

double median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::ranges::sort(values);
  const std::size_t mid = values.size() / 2;
  return values.size() % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

double seconds(Duration duration) { return std::chrono::duration<double>(duration).count(); }

/// splitmix64: derives per-seed constants (the crash moment) without touching the simulator's
/// own PRNG.
std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30U)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27U)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31U);
}

/// 5 nodes with etcd's timings (heartbeat 100 ms, election timeout [1000, 2000) ms), pre-vote,
/// check-quorum and fast failover on (the ClusterSpec defaults), 1-3 ms links, instant fsync,
/// no clients and no scripted faults. Built in code, not loaded from YAML.
Scenario steady_scenario(std::uint64_t seed) {
  Scenario scenario;
  scenario.name = "bench-steady-5";
  scenario.seed = seed;
  scenario.duration = std::chrono::hours{24 * 365};
  scenario.events_max = ~std::uint64_t{0};
  scenario.cluster.size = 5;
  scenario.cluster.heartbeat_interval = 100ms;
  scenario.cluster.election_timeout_min = 1000ms;
  scenario.cluster.election_timeout_max = 2000ms;
  return scenario;
}

/// The live node that a majority of the cluster (itself included) follows, provided it leads
/// a term above `after`; none otherwise. The definition of "new leader" that
/// compute_metrics() uses for election_ms.
NodeId leader_known_to_majority(const Cluster& cluster, Term after) {
  const NodeId leader = cluster.leader();
  const Node* node = cluster.node(leader);
  if (node == nullptr || node->term() <= after) return NodeId::none();
  std::uint32_t believers = 0;
  for (std::uint32_t i = 1; i <= cluster.size(); ++i) {
    const Node* n = cluster.node(NodeId{i});
    if (n != nullptr && n->leader() == leader) ++believers;
  }
  return believers >= cluster.size() / 2 + 1 ? leader : NodeId::none();
}

/// True when every node is up and follows the same leader.
bool all_follow_one_leader(const Cluster& cluster) {
  const NodeId leader = cluster.leader();
  if (!leader.valid()) return false;
  for (std::uint32_t i = 1; i <= cluster.size(); ++i) {
    const Node* n = cluster.node(NodeId{i});
    if (n == nullptr || n->leader() != leader) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// A steady cluster: the cost of simulating heartbeats with every safety check on.

constexpr Duration kWarmUp = 5s;           // First election and settling, untimed.
constexpr Duration kSteadyStretch = 600s;  // Virtual time simulated per iteration.

void BM_SteadyCluster5(benchmark::State& state) {
  const bool keep_trace = state.range(0) != 0;
  Cluster::Options options;  // check_safety = true: every checker runs after every event.
  options.trace.keep_events = keep_trace;
  options.trace.keep_messages = keep_trace;
  double wall = 0;
  double cpu = 0;
  std::uint64_t events = 0;
  std::uint64_t kept = 0;
  std::uint64_t seed = 1;
  for (auto _ : state) {
    state.PauseTiming();
    std::optional<Cluster> cluster;
    cluster.emplace(steady_scenario(seed++), options);
    cluster->run_until(Time{} + kWarmUp);
    const NodeId leader = cluster->leader();
    const Node* leader_node = cluster->node(leader);
    if (!all_follow_one_leader(*cluster) || leader_node == nullptr) {
      state.SkipWithError("no stable leader after the warm-up");
      break;
    }
    const Term term = leader_node->term();
    const std::uint64_t events_before = cluster->events_processed();
    const Time end = cluster->now() + kSteadyStretch;
    state.ResumeTiming();

    const double cpu0 = thread_cpu_seconds();
    const auto wall0 = WallClock::now();
    SIM_BENCH_TOGGLE();
    const StopReason stop = cluster->run_until(end);
    SIM_BENCH_TOGGLE();
    const auto wall1 = WallClock::now();
    const double cpu1 = thread_cpu_seconds();

    state.PauseTiming();
    wall += std::chrono::duration<double>(wall1 - wall0).count();
    cpu += cpu1 - cpu0;
    events += cluster->events_processed() - events_before;
    kept += cluster->trace().events().size();
    // Steady means steady: the same leader in the same term, no violation.
    const Node* still = cluster->node(leader);
    if (stop != StopReason::kDuration || still == nullptr || still->term() != term ||
        cluster->leader() != leader || !cluster->checker().ok()) {
      state.SkipWithError("the cluster did not stay steady");
      break;
    }
    cluster.reset();  // Destruction (the kept trace) is not timed.
    state.ResumeTiming();
  }
  const double simulated = seconds(kSteadyStretch) * static_cast<double>(state.iterations());
  if (wall > 0 && cpu > 0) {
    state.counters["x_realtime"] = simulated / wall;
    state.counters["x_realtime_cpu"] = simulated / cpu;
    state.counters["events_per_s"] = static_cast<double>(events) / wall;
    state.counters["events_per_s_cpu"] = static_cast<double>(events) / cpu;
    state.counters["events_per_sim_s"] = static_cast<double>(events) / simulated;
    state.counters["kept_per_sim_s"] = static_cast<double>(kept) / simulated;
  }
}
BENCHMARK(BM_SteadyCluster5)->ArgName("trace")->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

// ---------------------------------------------------------------------------------------------
// Leader-kill failover: only the failover is timed.
//
// Same scenario + same seed -> the same run (DESIGN.md), so each seed is first replayed once
// with the trace kept, and compute_metrics() gives the exact virtual instant E at which a new
// leader became known to a majority. The timed run is an identical cluster with the trace
// off: it is brought to the crash moment untimed, then the timed region is
// `inject(crash); run_until(crash + E)`: one call, no polling loop, nothing simulated past the
// failover. Afterwards (untimed) the benchmark checks that a majority does follow a new
// leader at that instant, which also proves the two runs were identical.

struct FailoverCase {
  std::uint64_t seed = 0;
  Time crash_at;
  Duration failover{};  // Crash -> new leader known to a majority (virtual).
};

constexpr std::size_t kFailoverSeeds = 512;

FaultSpec leader_fault(FaultKind kind) {
  FaultSpec fault;
  fault.kind = kind;
  fault.target = NodeSelector{NodeSelector::Kind::kLeader, {}};
  return fault;
}

/// The crash lands at 4 s + U[0, 1 s): the first election is long over, and the moment is
/// random relative to the heartbeats.
Time crash_moment(std::uint64_t seed) {
  return Time{} + 4s + Duration{static_cast<Duration::rep>(mix(seed) % 1'000'000'000ULL)};
}

std::vector<FailoverCase> failover_cases(FaultKind kind) {
  std::vector<FailoverCase> cases;
  Cluster::Options options;
  options.trace.keep_events = true;
  options.trace.keep_messages = false;
  for (std::uint64_t seed = 1; cases.size() < kFailoverSeeds && seed < 10 * kFailoverSeeds;
       ++seed) {
    Cluster cluster{steady_scenario(seed), options};
    const Time crash_at = crash_moment(seed);
    cluster.run_until(crash_at);
    if (!all_follow_one_leader(cluster)) continue;
    cluster.inject(leader_fault(kind));
    cluster.run_until(crash_at + 60s);
    const RunMetrics metrics = compute_metrics(cluster.trace().events(), cluster.size());
    if (!metrics.election || !cluster.checker().ok()) continue;
    cases.push_back({seed, crash_at, *metrics.election});
  }
  return cases;
}

void BM_LeaderKillFailover5(benchmark::State& state) {
  const FaultKind kind = state.range(0) == 0 ? FaultKind::kCrash : FaultKind::kMachineLoss;
  static const std::vector<FailoverCase> crash_cases = failover_cases(FaultKind::kCrash);
  static const std::vector<FailoverCase> loss_cases = failover_cases(FaultKind::kMachineLoss);
  const std::vector<FailoverCase>& cases = kind == FaultKind::kCrash ? crash_cases : loss_cases;
  if (cases.empty()) {
    state.SkipWithError("no failover case could be prepared");
    return;
  }
  Cluster::Options options;  // Checks on, trace off: what `raftsim check` runs.
  options.trace.keep_events = false;
  const FaultSpec fault = leader_fault(kind);
  const ClockOverhead overhead = clock_overhead();
  std::vector<double> walls;
  double cpu = 0;
  double sim_ms = 0;
  std::uint64_t events = 0;
  std::size_t next = 0;
  for (auto _ : state) {
    const FailoverCase& c = cases[next++ % cases.size()];
    std::optional<Cluster> cluster;
    cluster.emplace(steady_scenario(c.seed), options);
    cluster->run_until(c.crash_at);
    const Node* old_leader = cluster->node(cluster->leader());
    if (old_leader == nullptr) {
      state.SkipWithError("no leader at the crash moment");
      break;
    }
    const Term old_term = old_leader->term();
    const std::uint64_t events_before = cluster->events_processed();

    const double cpu0 = thread_cpu_seconds();
    const auto wall0 = WallClock::now();
    SIM_BENCH_TOGGLE();
    cluster->inject(fault);
    cluster->run_until(c.crash_at + c.failover);
    SIM_BENCH_TOGGLE();
    const auto wall1 = WallClock::now();
    const double cpu1 = thread_cpu_seconds();

    const double wall = std::chrono::duration<double>(wall1 - wall0).count() - overhead.wall;
    state.SetIterationTime(std::max(wall, 0.0));
    walls.push_back(wall);
    cpu += cpu1 - cpu0 - overhead.cpu;
    events += cluster->events_processed() - events_before;
    sim_ms += std::chrono::duration<double, std::milli>(c.failover).count();
    if (!leader_known_to_majority(*cluster, old_term).valid() || !cluster->checker().ok()) {
      state.SkipWithError("no new leader known to a majority at the precomputed instant");
      break;
    }
  }
  const auto n = static_cast<double>(state.iterations());
  if (n > 0) {
    state.counters["failovers_per_s"] = benchmark::Counter(n, benchmark::Counter::kIsRate);
    state.counters["cpu_us"] = cpu * 1e6 / n;
    state.counters["wall_us_p50"] = median(walls) * 1e6;
    state.counters["sim_ms"] = sim_ms / n;
    state.counters["events"] = static_cast<double>(events) / n;
    state.counters["seeds"] = static_cast<double>(cases.size());
  }
}
BENCHMARK(BM_LeaderKillFailover5)
    ->ArgName("machine_loss")
    ->Arg(0)
    ->Arg(1)
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);

// ---------------------------------------------------------------------------------------------
// One swarm seed, exactly as `raftsim check` runs it (run_swarm_seed: safety and
// linearizability through the faults, then the healed liveness phase). 200 seeds per
// repetition and a seed counter that carries over, so 5 repetitions cover seeds 1..1000:
// the seeds of `raftsim check --seeds 1000`.

void BM_SwarmSeed(benchmark::State& state) {
  static std::uint64_t next_seed = 1;
  SwarmOptions options;  // 5 nodes, 60 s, the last 15 s healed.
  std::uint64_t events = 0;
  std::uint64_t failed = 0;
  double wall = 0;
  for (auto _ : state) {
    const auto wall0 = WallClock::now();
    SIM_BENCH_TOGGLE();
    const SwarmOutcome outcome = run_swarm_seed(next_seed++, options);
    SIM_BENCH_TOGGLE();
    wall += std::chrono::duration<double>(WallClock::now() - wall0).count();
    events += outcome.events;
    if (!outcome.passed) ++failed;
  }
  const auto n = static_cast<double>(state.iterations());
  if (n > 0 && wall > 0) {
    state.counters["seeds_per_s"] = n / wall;
    state.counters["events_per_s"] = static_cast<double>(events) / wall;
    state.counters["x_realtime"] = seconds(options.duration) * n / wall;
    state.counters["check1000_s_1job"] = 1000.0 * wall / n;
    state.counters["failed"] = static_cast<double>(failed);
  }
}
BENCHMARK(BM_SwarmSeed)->Iterations(200)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace raft::sim::bench

BENCHMARK_MAIN();

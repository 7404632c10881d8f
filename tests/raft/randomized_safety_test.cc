// SPDX-License-Identifier: Apache-2.0
// Randomized safety and liveness over a 5-node cluster (tests/support harness).
//
// Each seed draws its own fault mix ("swarm testing", as TigerBeetle's VOPR does): which of
// message loss, duplication, reordering (latency jitter), crashes with restarts, partitions and
// spurious peer_down reports are on, how intense, the node timing, and whether pre-vote,
// check-quorum and fast failover are on. Proposals (single and batched) run throughout. The
// SafetyChecker checks Election Safety, Log Matching, Leader Completeness, State Machine
// Safety and every node's invariants after every event. Then the faults stop (heal, restart
// everyone, no loss, no reordering) and the cluster must elect a leader and commit a new
// proposal on all five nodes within 10 s of simulated time.
//
// CI (ctest -L randomized) sweeps seeds 1..300, or 50 in sanitized builds. By hand:
//
//   one seed:        RAFT_SEED=123 ./build/release/tests/raft_randomized_test
//   every event:     RAFT_SEED=123 RAFT_TRACE=1 ./build/release/tests/raft_randomized_test
//   10,000 seeds:    RAFT_SEED_COUNT=10000 ./build/release/tests/raft_randomized_test
//   another range:   RAFT_SEED_BEGIN=20001 RAFT_SEED_COUNT=5000 ./build/release/tests/...
//
// (add --gtest_filter=RandomizedSafety.* to skip the determinism test).
//
// A failing seed prints `seed=N`, the command that replays it, the property that broke, the
// fault mix and the last events before the failure.
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "raft/format.h"
#include "raft/prng.h"
#include "support/gtest_printers.h"
#include "support/safety_checker.h"
#include "support/test_cluster.h"

namespace raft::test {
namespace {

using namespace std::chrono_literals;

constexpr std::size_t kNodes = 5;
constexpr std::uint64_t kDefaultSeedBegin = 1;
// Sanitized builds run about 10x slower; CI runs them after the release build, which already
// swept the full range.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr std::uint64_t kDefaultSeedCount = 50;
#else
constexpr std::uint64_t kDefaultSeedCount = 300;
#endif
// Once the faults stop, a leader must be elected and commit within this much simulated time.
constexpr Duration kLivenessBound = 10s;
// The nemesis acts (or not) once per step.
constexpr Duration kNemesisStep = 10ms;
constexpr std::size_t kReportedFailuresMax = 5;
// Clients stop proposing while the leader has this many uncommitted entries (a client with
// bounded outstanding requests). Without it a slow quorum builds a backlog that no bound on
// recovery time could cover, and logs grow without end.
constexpr std::uint64_t kUncommittedMax = 64;

Duration ms(std::uint64_t count) { return std::chrono::milliseconds{count}; }

/// The fault mix and timing of one seed.
struct Swarm {
  double drop_ratio = 0;
  double duplicate_ratio = 0;
  Duration latency_min = 1ms;
  Duration latency_max = 1ms;
  double crash_per_s = 0;  // expected crashes per simulated second
  Duration down_min = 0ms;
  Duration down_max = 0ms;
  std::size_t down_nodes_max = 0;  // may exceed a minority: safety must hold regardless
  bool peer_down_on_crash = false;
  double partition_per_s = 0;
  Duration partition_min = 0ms;
  Duration partition_max = 0ms;
  double propose_per_s = 0;
  std::uint64_t burst_max = 1;
  double spurious_peer_down_per_s = 0;
  Duration heartbeat = 100ms;
  Duration election_min = 1000ms;
  Duration election_max = 2000ms;
  bool pre_vote = true;
  bool check_quorum = true;
  bool fast_failover = true;
  // Flow control: tiny limits split a catch-up into one entry per message, which exposes
  // commit rules (Figure 8) that big batches hide.
  std::size_t message_bytes_max = std::size_t{1} << 20;
  std::size_t inflight_messages_max = 256;
  Duration fault_time = 20s;

  [[nodiscard]] std::string describe() const {
    return fmt::format(
        "drop={:.3f} dup={:.3f} latency=[{},{})ms crash/s={:.2f} down=[{},{})ms down_max={} "
        "peer_down_on_crash={} partition/s={:.2f} partition=[{},{})ms propose/s={:.1f} "
        "burst_max={} spurious_peer_down/s={:.2f} heartbeat={}ms election=[{},{})ms "
        "pre_vote={} check_quorum={} fast_failover={} message_bytes_max={} "
        "inflight_messages_max={} faults={}ms",
        drop_ratio, duplicate_ratio, as_ms(latency_min), as_ms(latency_max), crash_per_s,
        as_ms(down_min), as_ms(down_max), down_nodes_max, peer_down_on_crash, partition_per_s,
        as_ms(partition_min), as_ms(partition_max), propose_per_s, burst_max,
        spurious_peer_down_per_s, as_ms(heartbeat), as_ms(election_min), as_ms(election_max),
        pre_vote, check_quorum, fast_failover, message_bytes_max, inflight_messages_max,
        as_ms(fault_time));
  }
  static std::int64_t as_ms(Duration d) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  }
};

/// Uniform duration in [low, high) milliseconds.
Duration draw_ms(Prng& prng, std::uint64_t low, std::uint64_t high) {
  return ms(low + prng.uniform(high - low));
}

double draw_real(Prng& prng, double low, double high) {
  return low + (high - low) * prng.uniform_real();
}

Swarm draw_swarm(Prng& prng) {
  Swarm swarm;
  // Timing profiles: etcd-like defaults, a fast one, and one where the heartbeat is a large
  // fraction of the election timeout.
  switch (prng.uniform(3)) {
    case 0:
      break;
    case 1:
      swarm.heartbeat = 20ms;
      swarm.election_min = 150ms;
      swarm.election_max = 300ms;
      break;
    default:
      swarm.heartbeat = 100ms;
      swarm.election_min = 300ms;
      swarm.election_max = 600ms;
      break;
  }
  const auto election_ms = static_cast<std::uint64_t>(Swarm::as_ms(swarm.election_min));
  // Each fault class is on for about half the seeds, at a random intensity.
  if (prng.chance(0.5)) swarm.drop_ratio = draw_real(prng, 0.01, 0.3);
  if (prng.chance(0.5)) swarm.duplicate_ratio = draw_real(prng, 0.01, 0.2);
  swarm.latency_min = draw_ms(prng, 1, 5);
  swarm.latency_max = swarm.latency_min + 1ms;
  // Jitter up to a quarter of the election timeout: heavy reordering, yet elections can end.
  if (prng.chance(0.5)) swarm.latency_max = swarm.latency_min + draw_ms(prng, 2, election_ms / 4);
  if (prng.chance(0.6)) {
    swarm.crash_per_s = draw_real(prng, 0.05, 1.5);
    swarm.down_min = draw_ms(prng, 10, 500);
    swarm.down_max = swarm.down_min + draw_ms(prng, 1, 4000);
    swarm.down_nodes_max = 1 + prng.uniform(kNodes - 1);
    swarm.peer_down_on_crash = prng.chance(0.5);
  }
  if (prng.chance(0.6)) {
    swarm.partition_per_s = draw_real(prng, 0.05, 1.5);
    swarm.partition_min = draw_ms(prng, 10, 1000);
    swarm.partition_max = swarm.partition_min + draw_ms(prng, 1, 5000);
  }
  swarm.propose_per_s = draw_real(prng, 1, 60);
  swarm.burst_max = 1 + prng.uniform(10);
  if (prng.chance(0.25)) swarm.spurious_peer_down_per_s = draw_real(prng, 0.1, 2);
  swarm.pre_vote = prng.chance(0.8);
  swarm.check_quorum = prng.chance(0.8);
  swarm.fast_failover = prng.chance(0.8);
  if (prng.chance(0.4)) {
    swarm.message_bytes_max = 1 + prng.uniform(100);  // an entry is about 30 bytes
    swarm.inflight_messages_max = 1 + prng.uniform(8);
  }
  swarm.fault_time = draw_ms(prng, 10000, 60000);
  return swarm;
}

/// What one seed did, for the report and the determinism check.
struct RunResult {
  std::uint64_t seed = 0;
  Status failure;      // safety violation or liveness failure; ok when the seed passed
  std::string report;  // filled in on failure
  std::uint64_t trace_hash = 0;
  std::uint64_t events = 0;
  std::uint64_t crashes = 0;
  std::uint64_t partitions = 0;
  std::uint64_t terms_led = 0;
  std::uint64_t committed = 0;
  Duration recovery{};  // from the end of the faults to the new entry committed everywhere
  std::string swarm;    // the drawn fault mix
};

NodeId pick(Prng& prng, const std::vector<NodeId>& from) { return from[prng.uniform(from.size())]; }

std::vector<NodeId> live_nodes(const TestCluster& cluster) {
  std::vector<NodeId> live;
  for (const NodeId id : cluster.ids()) {
    if (cluster.alive(id)) live.push_back(id);
  }
  return live;
}

/// Cuts the cluster in one of a few shapes, some aimed at the leader.
void partition_randomly(TestCluster& cluster, Prng& prng) {
  const std::vector<NodeId> ids = cluster.ids();
  const NodeId leader = cluster.leader();
  switch (prng.uniform(4)) {
    case 0:  // one node alone, often the leader
      cluster.isolate(leader.valid() && prng.chance(0.5) ? leader : pick(prng, ids));
      return;
    case 1: {  // the leader with one follower: a minority leader (check-quorum's case)
      const NodeId first = leader.valid() ? leader : pick(prng, ids);
      NodeId second = pick(prng, ids);
      while (second == first) second = pick(prng, ids);
      cluster.partition({{first, second}});
      return;
    }
    default: {  // random two- or three-way split; a three-way one may leave no majority
      const std::uint64_t ways = 2 + prng.uniform(2);
      std::vector<std::vector<NodeId>> groups(ways);
      for (const NodeId id : ids) groups[prng.uniform(ways)].push_back(id);
      cluster.partition(groups);
      return;
    }
  }
}

std::string node_states(const TestCluster& cluster) {
  std::string text;
  for (const NodeId id : cluster.ids()) {
    if (!cluster.alive(id)) {
      text += fmt::format("  node {}: down\n", id);
      continue;
    }
    const Node& node = cluster.node(id);
    text += fmt::format("  node {}: {} term={} leader={} commit={} last={} applied={}\n", id,
                        node.role(), node.term(), node.leader(), node.commit_index(),
                        node.last_index(), cluster.applied(id).size());
  }
  return text;
}

std::string replay_command(std::uint64_t seed) {
  return fmt::format(
      "RAFT_SEED={} ./build/release/tests/raft_randomized_test "
      "--gtest_filter=RandomizedSafety.*",
      seed);
}

// A RAFT_ASSERT in the core aborts the process before any report; the SIGABRT handler still
// names the seed, then shows the trace as a best effort (formatting in a handler is not
// async-signal-safe, but the process is going down anyway).
std::array<char, 256> g_abort_banner{};
const TestCluster* g_running = nullptr;

extern "C" void on_abort(int signal_number) {
  const std::size_t length = std::strlen(g_abort_banner.data());
  if (length > 0) (void)!::write(STDERR_FILENO, g_abort_banner.data(), length);
  if (g_running != nullptr) {
    const std::string trace = "last events:\n" + g_running->recent_trace(30);
    (void)!::write(STDERR_FILENO, trace.data(), trace.size());
  }
  std::signal(signal_number, SIG_DFL);
  std::raise(signal_number);
}

/// Arms the abort report for one seed's run; disarms it when the run ends.
class AbortReport {
 public:
  AbortReport(std::uint64_t seed, const TestCluster& cluster) {
    const std::string banner =
        fmt::format("\nABORTED in seed={}\nreplay: {}\n", seed, replay_command(seed));
    const std::size_t length = std::min(banner.size(), g_abort_banner.size() - 1);
    std::copy_n(banner.data(), length, g_abort_banner.data());
    g_abort_banner[length] = '\0';
    g_running = &cluster;
    std::signal(SIGABRT, on_abort);
  }
  ~AbortReport() {
    g_abort_banner[0] = '\0';
    g_running = nullptr;
  }
  AbortReport(const AbortReport&) = delete;
  AbortReport& operator=(const AbortReport&) = delete;
};

/// Runs one seed: faults, then recovery. Deterministic in `seed`.
RunResult run_seed(std::uint64_t seed, bool print_trace = false) {
  RunResult result;
  result.seed = seed;
  Prng nemesis(seed ^ 0x5eed5eed5eed5eedULL);
  const Swarm swarm = draw_swarm(nemesis);

  ClusterOptions options;
  options.nodes = kNodes;
  options.seed = seed;
  options.latency_min = swarm.latency_min;
  options.latency_max = swarm.latency_max;
  options.drop_ratio = swarm.drop_ratio;
  options.duplicate_ratio = swarm.duplicate_ratio;
  options.peer_down_on_crash = swarm.peer_down_on_crash;
  options.configure = [&swarm](Config& config) {
    config.heartbeat_interval = swarm.heartbeat;
    config.election_timeout_min = swarm.election_min;
    config.election_timeout_max = swarm.election_max;
    config.pre_vote = swarm.pre_vote;
    config.check_quorum = swarm.check_quorum;
    config.fast_failover = swarm.fast_failover;
    config.message_bytes_max = swarm.message_bytes_max;
    config.inflight_messages_max = swarm.inflight_messages_max;
  };
  TestCluster cluster(options);
  cluster.set_keep_events(false);
  cluster.set_print_trace(print_trace);
  SafetyChecker checker(cluster);
  const AbortReport abort_report(seed, cluster);

  const double step_s = std::chrono::duration<double>(kNemesisStep).count();
  // kTimeNever: nothing scheduled.
  std::array<Time, kNodes> restart_at;
  restart_at.fill(kTimeNever);
  Time heal_at = kTimeNever;
  std::uint64_t proposal = 0;
  auto next_payload = [&] { return Payload{fmt::format("s{}-p{}", seed, proposal++)}; };
  auto can_crash = [&] { return kNodes - live_nodes(cluster).size() < swarm.down_nodes_max; };
  auto crash = [&](NodeId victim) {
    cluster.crash(victim);
    restart_at[victim.value() - 1] =
        cluster.now() + swarm.down_min +
        draw_ms(nemesis, 0,
                static_cast<std::uint64_t>(Swarm::as_ms(swarm.down_max - swarm.down_min)));
    ++result.crashes;
  };

  // ---- Phase 1: faults ----
  const Time faults_end = Time{} + swarm.fault_time;
  while (cluster.now() < faults_end && cluster.failure().ok()) {
    cluster.run_for(kNemesisStep);
    const Time now = cluster.now();
    for (const NodeId id : cluster.ids()) {
      Time& due = restart_at[id.value() - 1];
      if (now >= due) {
        cluster.restart(id);
        due = kTimeNever;
      }
    }
    if (now >= heal_at) {
      cluster.heal();
      heal_at = kTimeNever;
    }
    if (nemesis.chance(swarm.crash_per_s * step_s) && can_crash()) {
      const NodeId leader = cluster.leader();
      crash(leader.valid() && nemesis.chance(0.5) ? leader : pick(nemesis, live_nodes(cluster)));
    }
    if (heal_at == kTimeNever && nemesis.chance(swarm.partition_per_s * step_s)) {
      partition_randomly(cluster, nemesis);
      heal_at =
          now + swarm.partition_min +
          draw_ms(
              nemesis, 0,
              static_cast<std::uint64_t>(Swarm::as_ms(swarm.partition_max - swarm.partition_min)));
      ++result.partitions;
    }
    const NodeId leader = cluster.leader();
    const bool backlog =
        leader.valid() && cluster.node(leader).last_index().value() >
                              cluster.node(leader).commit_index().value() + kUncommittedMax;
    if (nemesis.chance(swarm.propose_per_s * step_s) && !backlog) {
      const std::uint64_t count = 1 + nemesis.uniform(swarm.burst_max);
      if (count == 1) {
        (void)cluster.propose(next_payload());
      } else {
        std::vector<Payload> batch;
        for (std::uint64_t i = 0; i < count; ++i) batch.push_back(next_payload());
        (void)cluster.propose_batch(batch);
      }
      // Sometimes the leader dies with the proposal unreplicated: a log tail of its term that
      // no one else holds, the start of the Figure 8 scenario (§5.4.2).
      if (leader.valid() && cluster.alive(leader) && can_crash() &&
          nemesis.chance(swarm.crash_per_s * 0.2)) {
        crash(leader);
      }
    }
    if (nemesis.chance(swarm.spurious_peer_down_per_s * step_s)) {
      const std::vector<NodeId> up = live_nodes(cluster);
      if (!up.empty()) {
        const NodeId at_node = pick(nemesis, up);
        NodeId peer = pick(nemesis, cluster.ids());
        while (peer == at_node) peer = pick(nemesis, cluster.ids());
        cluster.peer_down(at_node, peer);
      }
    }
  }

  // ---- Phase 2: the faults stop; the cluster must recover within kLivenessBound ----
  if (cluster.failure().ok()) {
    const Time calm = cluster.now();
    cluster.heal();
    cluster.set_drop_ratio(0);
    cluster.set_duplicate_ratio(0);
    // Reordering stops too (a TCP connection delivers in order): with heavy jitter and tiny
    // flow-control limits, pipelined appends arrive out of order, are rejected and replication
    // crawls, which is slow but not unsafe.
    cluster.set_latency(swarm.latency_min, swarm.latency_min + 1ms);
    for (const NodeId id : cluster.ids()) {
      if (!cluster.alive(id)) cluster.restart(id);
    }
    const Time deadline = calm + kLivenessBound;
    std::vector<std::pair<Index, Term>> finals;  // accepted proposals of this phase
    NodeId proposed_to;
    Term proposed_in;
    auto committed_everywhere = [&] {
      for (const auto& [index, term] : finals) {
        bool everywhere = true;
        for (const NodeId id : cluster.ids()) {
          const auto& applied = cluster.applied(id);
          if (applied.size() < index.value() || applied[index.value() - 1].term != term) {
            everywhere = false;
            break;
          }
        }
        if (everywhere) return true;
      }
      return false;
    };
    bool recovered = false;
    while (!recovered && cluster.now() < deadline && cluster.failure().ok()) {
      const NodeId leader = cluster.leader();
      // Propose once per leadership; a new leader may have dropped the earlier proposal.
      if (leader.valid() && (leader != proposed_to || cluster.node(leader).term() != proposed_in)) {
        proposed_to = leader;
        proposed_in = cluster.node(leader).term();
        const Result<Index> index = cluster.propose_on(leader, next_payload());
        if (index.ok()) finals.emplace_back(index.value(), proposed_in);
      }
      recovered =
          cluster.run_until(committed_everywhere, std::min(cluster.now() + kNemesisStep, deadline));
    }
    result.recovery = cluster.now() - calm;
    if (cluster.failure().ok() && !recovered) {
      result.failure = Status{
          ErrorCode::kTimeout,
          fmt::format("Liveness: {} ms after the faults stopped, no new entry is committed on "
                      "all {} nodes (leader: {}, proposals accepted: {})",
                      Swarm::as_ms(kLivenessBound), kNodes, cluster.leader(), finals.size())};
    }
  }
  if (cluster.failure().ok() && result.failure.ok()) result.failure = checker.check_full();
  if (!cluster.failure().ok()) result.failure = cluster.failure();

  result.swarm = swarm.describe();
  result.trace_hash = cluster.trace_hash();
  result.events = cluster.event_count();
  result.terms_led = checker.leaders().size();
  result.committed = checker.committed_max().value();
  if (!result.failure.ok()) {
    result.report = fmt::format(
        "seed={}\nreplay: {}\nproperty: {}\nat: {} ms simulated, after {} events\n"
        "swarm: {}\nnodes:\n{}last events:\n{}",
        seed, replay_command(seed), result.failure.message(), format_ms(cluster.now()),
        cluster.event_count(), swarm.describe(), node_states(cluster), cluster.recent_trace(30));
  }
  return result;
}

std::optional<std::uint64_t> env_u64(const char* name) {
  const char* text = std::getenv(name);  // NOLINT(concurrency-mt-unsafe): read once, single thread
  if (text == nullptr || *text == '\0') return std::nullopt;
  char* end = nullptr;
  const std::uint64_t value = std::strtoull(text, &end, 10);
  if (end == text || *end != '\0') {
    ADD_FAILURE() << name << "='" << text << "' is not a number";
    return std::nullopt;
  }
  return value;
}

// Safety after every event under faults, then liveness, for every seed of the range.
TEST(RandomizedSafety, SeedSweep) {
  std::uint64_t begin = env_u64("RAFT_SEED_BEGIN").value_or(kDefaultSeedBegin);
  std::uint64_t count = env_u64("RAFT_SEED_COUNT").value_or(kDefaultSeedCount);
  if (const auto seed = env_u64("RAFT_SEED")) {
    begin = *seed;
    count = 1;
  }
  // RAFT_TRACE=1 prints every event of the run (meant for one seed).
  const bool print_trace = env_u64("RAFT_TRACE").value_or(0) != 0;
  std::vector<std::uint64_t> failed;
  RunResult total;
  Duration recovery_max{};
  std::uint64_t recovery_max_seed = 0;
  for (std::uint64_t seed = begin; seed < begin + count; ++seed) {
    const RunResult result = run_seed(seed, print_trace);
    if (count == 1) {  // a replay: say what the seed did even when it passes
      std::printf(
          "seed=%llu swarm: %s\n%llu events, %llu crashes, %llu partitions, %llu terms "
          "with a leader, %llu entries committed, recovery %lld ms\n",
          static_cast<unsigned long long>(seed), result.swarm.c_str(),
          static_cast<unsigned long long>(result.events),
          static_cast<unsigned long long>(result.crashes),
          static_cast<unsigned long long>(result.partitions),
          static_cast<unsigned long long>(result.terms_led),
          static_cast<unsigned long long>(result.committed),
          static_cast<long long>(Swarm::as_ms(result.recovery)));
    }
    total.events += result.events;
    total.crashes += result.crashes;
    total.partitions += result.partitions;
    total.terms_led += result.terms_led;
    total.committed += result.committed;
    if (result.failure.ok() && result.recovery > recovery_max) {
      recovery_max = result.recovery;
      recovery_max_seed = seed;
    }
    if (!result.failure.ok()) {
      failed.push_back(seed);
      if (failed.size() <= kReportedFailuresMax) ADD_FAILURE() << result.report;
    }
  }
  std::printf(
      "seeds [%llu, %llu): %zu failed; %llu events, %llu crashes, %llu partitions, "
      "%llu terms with a leader, %llu entries committed; slowest recovery %lld ms (seed %llu)\n",
      static_cast<unsigned long long>(begin), static_cast<unsigned long long>(begin + count),
      failed.size(), static_cast<unsigned long long>(total.events),
      static_cast<unsigned long long>(total.crashes),
      static_cast<unsigned long long>(total.partitions),
      static_cast<unsigned long long>(total.terms_led),
      static_cast<unsigned long long>(total.committed),
      static_cast<long long>(Swarm::as_ms(recovery_max)),
      static_cast<unsigned long long>(recovery_max_seed));
  if (!failed.empty()) {
    std::string seeds;
    for (const std::uint64_t seed : failed) seeds += fmt::format(" {}", seed);
    ADD_FAILURE() << failed.size() << " of " << count << " seeds failed:" << seeds;
  }
  // The sweep must have exercised something, or it proves nothing.
  if (count >= 20) {
    EXPECT_GT(total.crashes, 0U);
    EXPECT_GT(total.partitions, 0U);
    EXPECT_GT(total.terms_led, count) << "expected leader changes, not one leader per seed";
    EXPECT_GT(total.committed, 10 * count);
  }
}

// Same seed, same run: the trace hash covers every delivery, drop, tick, event and fault.
TEST(RandomizedDeterminism, OneSeedTwiceGivesTheSameTrace) {
  const RunResult first = run_seed(42);
  const RunResult second = run_seed(42);
  EXPECT_TRUE(first.failure.ok()) << first.report;
  EXPECT_GT(first.events, 1000U);
  EXPECT_EQ(first.events, second.events);
  EXPECT_EQ(first.trace_hash, second.trace_hash);
  EXPECT_EQ(first.committed, second.committed);
  EXPECT_EQ(first.recovery, second.recovery);
  // The hash is sensitive: another seed gives another trace.
  EXPECT_NE(run_seed(43).trace_hash, first.trace_hash);
}

}  // namespace
}  // namespace raft::test

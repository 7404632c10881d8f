// SPDX-License-Identifier: Apache-2.0
// Micro-benchmarks of the Raft core through DirectCluster (direct_cluster.h): one thread,
// in-memory logs, messages handed over by function calls. They measure CPU cost per unit of
// protocol work; simulated time is only an input and nothing ever waits on a clock.
//
//   BM_CommitOnePerPropose/K   K propose() calls, then the Ready loop until quiet
//   BM_CommitBatchesOf100      100 propose() calls per round, replication pipelined
//   BM_ColdElection5           5 fresh nodes to a leader known by a majority
//   BM_ColdElection5NoConstruction   the same, node construction excluded
//   BM_HeartbeatRoundTrip      leader tick -> heartbeats -> follower steps -> replies -> leader
//   BM_ReadIndexBatchesOf100   100 read_index() calls per round, rounds pipelined (thesis §6.4)
//   BM_ReadIndexOnePerCall/K   K read_index() calls, then the Ready loop until quiet
//
// See bench/README.md for how to run them and the results on the reference machine.
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include <benchmark/benchmark.h>

#include "direct_cluster.h"
#include "raft/entry.h"
#include "raft/node.h"
#include "raft/types.h"

namespace raft::bench {
namespace {

constexpr std::size_t kPayloadBytes = 128;
constexpr Duration kElectionLimit = std::chrono::seconds{60};

/// Distinct 128-byte payloads, built once. Payload is an immutable shared buffer, so handing
/// one to propose() costs a reference count, as it would for an application that serialised
/// its command once. Building the bytes is the application's cost, not the core's.
class PayloadPool {
 public:
  PayloadPool() {
    for (std::size_t i = 0; i < payloads_.size(); ++i) {
      std::vector<std::byte> bytes(kPayloadBytes);
      for (std::size_t b = 0; b < bytes.size(); ++b) {
        bytes[b] = static_cast<std::byte>((i * 131 + b) & 0xffU);
      }
      payloads_[i] = Payload{std::move(bytes)};
    }
  }
  const Payload& next() noexcept { return payloads_[next_++ % payloads_.size()]; }

 private:
  std::array<Payload, 256> payloads_;
  std::size_t next_ = 0;
};

/// A 3-node cluster with an elected leader whose first entry (the no-op) is applied
/// everywhere: the steady state the throughput benchmarks start from.
struct SteadyCluster {
  DirectCluster cluster{3, /*seed=*/1};
  std::size_t leader = 0;

  explicit SteadyCluster(benchmark::State& state) {
    if (!cluster.elect(Time{} + kElectionLimit)) {
      state.SkipWithError("no leader elected");
      return;
    }
    cluster.stabilize();
    leader = *cluster.leader_index();
  }
};

void propose_or_die(Node& leader, const Payload& payload) {
  Result<Index> index = leader.propose(payload);
  if (!index.ok()) die("propose", index.status());
  benchmark::DoNotOptimize(index);
}

// Reports the entries applied on every node as items and the messages per
// round as a counter; returns the entries applied during the timed loop.
std::uint64_t report_rounds(benchmark::State& state, DirectCluster& cluster,
                            std::uint64_t applied_before, std::uint64_t messages_before) {
  const std::uint64_t applied = cluster.applied_everywhere() - applied_before;
  state.SetItemsProcessed(static_cast<std::int64_t>(applied));
  state.counters["msgs_per_round"] =
      benchmark::Counter(static_cast<double>(cluster.messages_delivered() - messages_before),
                         benchmark::Counter::kAvgIterations);
  return applied;
}

// (a) Throughput, one propose() per entry. The application proposes K entries, then runs the
// Ready loop until the cluster is quiet; the leader may put the K entries in one append.
// Items are entries applied on all three nodes.
void BM_CommitOnePerPropose(benchmark::State& state) {
  SteadyCluster steady(state);
  DirectCluster& cluster = steady.cluster;
  Node& leader = cluster.node(steady.leader);
  PayloadPool payloads;
  const auto per_round = static_cast<std::size_t>(state.range(0));
  const std::uint64_t applied_before = cluster.applied_everywhere();
  const std::uint64_t messages_before = cluster.messages_delivered();

  for (auto _ : state) {
    for (std::size_t k = 0; k < per_round; ++k) propose_or_die(leader, payloads.next());
    cluster.stabilize();
    cluster.compact();
  }

  const std::uint64_t applied = report_rounds(state, cluster, applied_before, messages_before);
  // Followers may learn the last round's commit only with the next append or heartbeat.
  const auto proposed = per_round * static_cast<std::uint64_t>(state.iterations());
  if (applied + per_round < proposed) state.SkipWithError("entries not applied");
}
BENCHMARK(BM_CommitOnePerPropose)->Arg(1)->Arg(16)->Arg(100)->Arg(256);

// (a) Throughput, batches of 100. The application proposes 100 entries per round and does not
// wait for them to commit: each round runs one wave (every node's Ready, then every message
// delivered), so appends, replies and commit notices of consecutive batches travel together
// as they would on a busy server. Items are entries applied on all three nodes; the last two
// or three batches are still in flight when the loop ends and are not counted.
void BM_CommitBatchesOf100(benchmark::State& state) {
  SteadyCluster steady(state);
  DirectCluster& cluster = steady.cluster;
  Node& leader = cluster.node(steady.leader);
  PayloadPool payloads;
  constexpr std::size_t kBatch = 100;
  const std::uint64_t applied_before = cluster.applied_everywhere();
  const std::uint64_t messages_before = cluster.messages_delivered();

  for (auto _ : state) {
    for (std::size_t k = 0; k < kBatch; ++k) propose_or_die(leader, payloads.next());
    cluster.wave();
    cluster.compact();
  }

  const std::uint64_t applied = report_rounds(state, cluster, applied_before, messages_before);
  // The pipeline is a few rounds deep; anything more means replication fell behind.
  const auto proposed = kBatch * static_cast<std::uint64_t>(state.iterations());
  if (proposed - applied > 4 * kBatch) state.SkipWithError("replication fell behind");
}
BENCHMARK(BM_CommitBatchesOf100);

void read_or_die(Node& node, std::uint64_t id) {
  const Status status = node.read_index(id);
  if (!status.ok()) die("read_index", status);
}

// Reads are confirmed in the order they were asked, so the `served` reads with ids 1, 2, ...
// are exactly 1..served: their ids must sum to served * (served + 1) / 2. Anything else means
// a read was lost, duplicated or reordered, and the benchmark reports no number.
bool ids_served_once(const DirectCluster& cluster, std::size_t node, std::uint64_t sum_before,
                     std::uint64_t served) {
  const std::uint64_t expected =
      served % 2 == 0 ? served / 2 * (served + 1) : (served + 1) / 2 * served;
  return cluster.read_id_sum(node) - sum_before == expected;
}

// ReadIndex reads (thesis §6.4), the same harness and pacing as BM_CommitBatchesOf100: 100
// read_index() calls on the leader per round, one wave per round. The reads that arrive while
// a heartbeat round is in flight share the next one (batching). Items are reads confirmed.
void BM_ReadIndexBatchesOf100(benchmark::State& state) {
  SteadyCluster steady(state);
  DirectCluster& cluster = steady.cluster;
  Node& leader = cluster.node(steady.leader);
  constexpr std::size_t kBatch = 100;
  std::uint64_t next_id = 0;
  const std::uint64_t served_before = cluster.reads_served(steady.leader);
  const std::uint64_t sum_before = cluster.read_id_sum(steady.leader);
  const std::uint64_t messages_before = cluster.messages_delivered();

  for (auto _ : state) {
    for (std::size_t k = 0; k < kBatch; ++k) read_or_die(leader, ++next_id);
    cluster.wave();
  }

  const std::uint64_t served = cluster.reads_served(steady.leader) - served_before;
  state.SetItemsProcessed(static_cast<std::int64_t>(served));
  state.counters["msgs_per_round"] =
      benchmark::Counter(static_cast<double>(cluster.messages_delivered() - messages_before),
                         benchmark::Counter::kAvgIterations);
  if (next_id - served > 4 * kBatch) state.SkipWithError("reads fell behind");
  if (!ids_served_once(cluster, steady.leader, sum_before, served)) {
    state.SkipWithError("read ids lost or duplicated");
  }
}
BENCHMARK(BM_ReadIndexBatchesOf100);

// ReadIndex, closed loop: K reads, then the Ready loop until quiet (one heartbeat round for
// all K), like BM_CommitOnePerPropose/K for writes.
void BM_ReadIndexOnePerCall(benchmark::State& state) {
  SteadyCluster steady(state);
  DirectCluster& cluster = steady.cluster;
  Node& leader = cluster.node(steady.leader);
  const auto per_round = static_cast<std::uint64_t>(state.range(0));
  std::uint64_t next_id = 0;
  const std::uint64_t served_before = cluster.reads_served(steady.leader);
  const std::uint64_t sum_before = cluster.read_id_sum(steady.leader);

  for (auto _ : state) {
    for (std::uint64_t k = 0; k < per_round; ++k) read_or_die(leader, ++next_id);
    cluster.stabilize();
  }

  const std::uint64_t served = cluster.reads_served(steady.leader) - served_before;
  state.SetItemsProcessed(static_cast<std::int64_t>(served));
  if (served != next_id) state.SkipWithError("reads not confirmed");
  if (!ids_served_once(cluster, steady.leader, sum_before, served)) {
    state.SkipWithError("read ids lost or duplicated");
  }
}
BENCHMARK(BM_ReadIndexOnePerCall)->Arg(1)->Arg(16)->Arg(100)->Arg(256);

// Clusters are destroyed in batches with the timer paused: destruction is not part of an
// election, and pausing once per kPool iterations keeps the pause's own cost negligible.
constexpr std::size_t kPool = 128;

// (b) Cold election: create 5 nodes with fresh MemoryLogs, then jump from deadline to deadline
// in simulated time (zero message latency) until a leader is known by a majority. Each
// iteration uses the next seed, so split votes and their extra rounds count when they occur.
void BM_ColdElection5(benchmark::State& state) {
  std::vector<DirectCluster> done;
  done.reserve(kPool);
  std::uint64_t seed = 1;
  double simulated_ms = 0;
  double messages = 0;
  for (auto _ : state) {
    if (done.size() == kPool) {
      state.PauseTiming();
      done.clear();
      state.ResumeTiming();
    }
    done.emplace_back(std::size_t{5}, seed++);
    const std::optional<Time> elected = done.back().elect(Time{} + kElectionLimit);
    if (!elected) {
      state.SkipWithError("no leader within the limit");
      break;
    }
    benchmark::DoNotOptimize(elected);
    simulated_ms += std::chrono::duration<double, std::milli>(*elected - Time{}).count();
    messages += static_cast<double>(done.back().messages_delivered());
  }
  state.SetItemsProcessed(state.iterations());
  // Simulated time from the cold start to the leader (the first election timeout, plus the
  // extra rounds of any split vote), and messages delivered per election.
  state.counters["sim_ms"] = benchmark::Counter(simulated_ms, benchmark::Counter::kAvgIterations);
  state.counters["msgs"] = benchmark::Counter(messages, benchmark::Counter::kAvgIterations);
}
BENCHMARK(BM_ColdElection5)->Unit(benchmark::kMicrosecond);

// (b) The same elections with node construction (and destruction) outside the timed region.
void BM_ColdElection5NoConstruction(benchmark::State& state) {
  std::vector<DirectCluster> fresh;
  fresh.reserve(kPool);
  std::size_t next = 0;  // == fresh.size(): build the first batch
  std::uint64_t seed = 1;
  for (auto _ : state) {
    if (next == fresh.size()) {
      state.PauseTiming();
      fresh.clear();
      for (std::size_t i = 0; i < kPool; ++i) fresh.emplace_back(std::size_t{5}, seed++);
      next = 0;
      state.ResumeTiming();
    }
    const std::optional<Time> elected = fresh[next++].elect(Time{} + kElectionLimit);
    if (!elected) {
      state.SkipWithError("no leader within the limit");
      break;
    }
    benchmark::DoNotOptimize(elected);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ColdElection5NoConstruction)->Unit(benchmark::kMicrosecond);

// (c) One heartbeat round trip in a steady 3-node cluster: time moves one heartbeat interval,
// every node is ticked (the leader's heartbeat fires), the followers step the heartbeats and
// answer, and the leader steps the replies.
void BM_HeartbeatRoundTrip(benchmark::State& state) {
  SteadyCluster steady(state);
  DirectCluster& cluster = steady.cluster;
  const Duration interval = cluster.node(steady.leader).config().heartbeat_interval;
  Time now = cluster.now();
  const std::uint64_t messages_before = cluster.messages_delivered();

  for (auto _ : state) {
    now += interval;
    cluster.tick_all(now);
    cluster.stabilize();
  }

  const double messages = static_cast<double>(cluster.messages_delivered() - messages_before);
  state.SetItemsProcessed(state.iterations());
  state.counters["msgs_per_round"] =
      benchmark::Counter(messages, benchmark::Counter::kAvgIterations);
  if (cluster.leader_index() != steady.leader) state.SkipWithError("leadership changed");
  // Two heartbeats and two replies per round; fewer means a round sent none.
  if (messages < 4.0 * static_cast<double>(state.iterations())) {
    state.SkipWithError("a round sent no heartbeat");
  }
}
BENCHMARK(BM_HeartbeatRoundTrip);

}  // namespace
}  // namespace raft::bench

BENCHMARK_MAIN();

// SPDX-License-Identifier: Apache-2.0
// Snapshot transfer through the simulated network (issue #4, "Performance"): a 64 MiB state
// moves at the link's configured bandwidth within 10 %, in chunks, with peak extra memory
// bounded by a few chunks.
//
//   BM_SnapshotTransfer64MiB/mb_per_s:B/inflight:W
//     3 nodes, the simulator's key-value state machine holding one 64 MiB value; a follower
//     that was down while it was written (and snapshotted, with no trailing log) restarts
//     and receives the leader's snapshot in 1 MiB chunks, W in flight, over links of
//     B MB/s (10^6 bytes/s) and 1 ms latency each way. At 1000 MB/s with 1 chunk in flight
//     the window, not the link, bounds the rate; at 10 MB/s a chunk takes longer than a
//     heartbeat interval to cross (the leader's resend timer must back off).
//
// Counters (per repetition; each repetition runs another seed, so the medians of
// --benchmark_repetitions=5 are over 5 seeds):
//   sim_transfer_ms    simulated time from the leader's first chunk (SnapshotChanged kSending)
//                      to the follower's install (kInstalled)
//   rate_MB_per_s      the snapshot's bytes / sim_transfer_ms (resent bytes do not count)
//   rate_vs_bandwidth  rate_MB_per_s / B: the issue asks for >= 0.90
//   ideal_vs_window    min(B, W*C / (RTT + C/B)) / B: what the window allows
//   chunks_sent, chunks_resent   InstallSnapshot messages (leader's NodeMetrics)
//   held_max_chunks    peak snapshot data outside both nodes' storage (on the wire, queued
//                      for the link, in the follower's inbox or a Ready awaiting its fsync:
//                      NetworkStats::snapshot_bytes_held_max), in chunks
//   snapshot_MiB       the snapshot's size
// The benchmark's Time column is the wall time of simulating the transfer (the setup, the
// write of the 64 MiB value, is untimed).
//
// See bench/README.md ("Snapshot transfer") for the results.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <variant>

#include <benchmark/benchmark.h>

#include "raft/sim/cluster.h"
#include "raft/sim/kv.h"
#include "raft/sim/scenario.h"

namespace raft::sim::bench {
namespace {

constexpr std::uint64_t kStateBytes = std::uint64_t{64} << 20U;
constexpr std::uint64_t kChunkBytes = std::uint64_t{1} << 20U;
constexpr Duration kLatency = 1ms;

double seconds(Duration duration) { return std::chrono::duration<double>(duration).count(); }

/// 3 nodes, etcd's timings, 1 ms links (unlimited while the state is written), instant fsync;
/// each node snapshots after every applied entry and keeps no log behind it, so a node that
/// missed the write can only catch up from the snapshot. One client writes one 64 MiB value
/// (the key-value snapshot adds a few bytes of framing and the session table).
Scenario scenario(std::uint64_t seed, std::uint64_t chunks_inflight) {
  Scenario s;
  s.name = "bench-snapshot-64mib";
  s.seed = seed;
  s.duration = std::chrono::hours{1};
  s.events_max = ~std::uint64_t{0};
  s.cluster.size = 3;
  s.cluster.snapshot_every = 1;
  s.cluster.snapshot_trailing = 0;
  s.cluster.snapshot_chunk_bytes = kChunkBytes;
  s.cluster.snapshot_chunks_inflight = chunks_inflight;
  s.network.defaults.latency = Distribution::fixed(kLatency);
  ClientSpec client;
  client.name = "writer";
  client.mode = ClientSpec::Mode::kClosedLoop;
  client.interval = std::chrono::hours{1};  // One write.
  client.timeout = 30s;
  client.keys = 1;
  client.value_bytes = kStateBytes;
  // A refusal (the crashed node was asked first) moves on to the next node.
  client.retry.policy = RetrySpec::Policy::kFixed;
  client.retry.base = 100ms;
  client.retry.attempts_max = 10;
  client.start = 3s;
  s.clients.push_back(client);
  return s;
}

FaultSpec fault(FaultKind kind, NodeSelector target) {
  FaultSpec spec;
  spec.kind = kind;
  spec.target = target;
  return spec;
}

/// The size of the snapshot: the key-value store holding the one value the client writes.
std::uint64_t snapshot_bytes() {
  KvStore store;
  KvCommand write;
  write.key = "k0";
  write.value.assign(kStateBytes, '.');
  store.apply(write);
  return store.snapshot().size();
}

struct Transfer {
  double seconds = 0;
  std::uint64_t bytes = 0;
  std::uint64_t chunks_sent = 0;
  std::uint64_t chunks_resent = 0;
  std::uint64_t held_max = 0;
};

void BM_SnapshotTransfer64MiB(benchmark::State& state) {
  const auto bandwidth = static_cast<std::uint64_t>(state.range(0)) * 1'000'000;
  const auto inflight = static_cast<std::uint64_t>(state.range(1));
  static std::uint64_t next_seed = 1;  // Another seed per repetition.
  Cluster::Options options;
  options.trace.keep_messages = false;  // Node events (the snapshot phases) are enough.
  Transfer total;
  std::uint64_t transfers = 0;
  for (auto _ : state) {
    state.PauseTiming();
    std::optional<Cluster> cluster;
    cluster.emplace(scenario(next_seed++, inflight), options);
    cluster->run_until(Time{} + 2500ms);
    const NodeId leader = cluster->leader();
    if (!leader.valid()) {
      state.SkipWithError("no leader after 2.5 s");
      break;
    }
    const NodeSelector down{NodeSelector::Kind::kId, NodeId{leader.value() % 3 + 1}};
    cluster->inject(fault(FaultKind::kCrash, down));
    cluster->run_until(Time{} + 8s);  // The write commits on two nodes and is snapshotted.
    if (cluster->acknowledged_writes() != 1 || cluster->leader() != leader) {
      state.SkipWithError("the 64 MiB write did not commit under one leader");
      break;
    }
    FaultSpec network = fault(FaultKind::kNetworkChange, {});
    network.network = LinkSpec{};
    network.network->latency = Distribution::fixed(kLatency);
    network.network->bandwidth = bandwidth;
    cluster->inject(network);
    const std::size_t events_before = cluster->trace().events().size();
    state.ResumeTiming();

    cluster->inject(fault(FaultKind::kRestart, down));
    cluster->run_until(cluster->now() + 60s);

    state.PauseTiming();
    std::optional<Time> sending;
    std::optional<Time> installed;
    const auto& events = cluster->trace().events();
    for (std::size_t i = events_before; i < events.size(); ++i) {
      const auto* record = std::get_if<NodeRecord>(&events[i].body);
      const auto* snapshot =
          record == nullptr ? nullptr : std::get_if<SnapshotChanged>(&record->event);
      if (snapshot == nullptr) continue;
      if (!sending && events[i].node == leader &&
          snapshot->phase == SnapshotChanged::Phase::kSending && snapshot->peer == down.id) {
        sending = events[i].time;
      }
      if (!installed && events[i].node == down.id &&
          snapshot->phase == SnapshotChanged::Phase::kInstalled) {
        installed = events[i].time;
      }
    }
    const Node* node = cluster->node(leader);
    if (!sending || !installed || node == nullptr || !cluster->checker().ok()) {
      state.SkipWithError("the follower did not install the snapshot");
      break;
    }
    total.seconds += seconds(*installed - *sending);
    total.bytes += snapshot_bytes();
    total.chunks_sent += node->metrics().snapshot_chunks_sent;
    total.chunks_resent += node->metrics().snapshot_chunks_resent;
    total.held_max = std::max(total.held_max, cluster->network_stats().snapshot_bytes_held_max);
    ++transfers;
    cluster.reset();  // Freeing the copies of the state is not timed.
    state.ResumeTiming();
  }
  if (transfers == 0 || total.seconds <= 0) return;
  const double n = static_cast<double>(transfers);
  const double b = static_cast<double>(bandwidth);
  const double rate = static_cast<double>(total.bytes) / total.seconds;
  const double c = static_cast<double>(kChunkBytes);
  const double window_rate = static_cast<double>(inflight) * c / (2 * seconds(kLatency) + c / b);
  state.counters["sim_transfer_ms"] = total.seconds / n * 1e3;
  state.counters["rate_MB_per_s"] = rate / 1e6;
  state.counters["rate_vs_bandwidth"] = rate / b;
  state.counters["ideal_vs_window"] = std::min(b, window_rate) / b;
  state.counters["chunks_sent"] = static_cast<double>(total.chunks_sent) / n;
  state.counters["chunks_resent"] = static_cast<double>(total.chunks_resent) / n;
  state.counters["held_max_chunks"] = static_cast<double>(total.held_max) / c;
  state.counters["snapshot_MiB"] = static_cast<double>(total.bytes) / n / c;
}
BENCHMARK(BM_SnapshotTransfer64MiB)
    ->ArgNames({"mb_per_s", "inflight"})
    ->Args({100, 4})
    ->Args({1000, 4})
    ->Args({1000, 1})
    ->Args({10, 4})
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace raft::sim::bench

BENCHMARK_MAIN();

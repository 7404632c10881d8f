// SPDX-License-Identifier: Apache-2.0
// A scenario: the cluster, its network, disks and clients, a timeline of
// faults and the expectations a run must meet. Loaded from YAML
// (scenario_loader.h) or built in code.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "raft/sim/distribution.h"
#include "raft/sim/trace.h"
#include "raft/types.h"

namespace raft::sim {

using namespace std::chrono_literals;

/// The Raft settings of every node (mapped onto raft::Config).
struct ClusterSpec {
  std::uint32_t size = 5;
  Duration heartbeat_interval = 100ms;
  Duration election_timeout_min = 1000ms;
  Duration election_timeout_max = 2000ms;
  bool pre_vote = true;
  bool check_quorum = true;
  bool fast_failover = true;
  Duration fast_failover_delay_max = 50ms;
  std::uint64_t inflight_messages_max = 256;
  std::uint64_t message_bytes_max = 1U << 20;
  /// Snapshots (thesis §5.1): each node snapshots its key-value state every
  /// this many applied entries (0: never) and the log behind is compacted,
  /// but for `snapshot_trailing` entries.
  std::uint64_t snapshot_every = 0;
  std::uint64_t snapshot_trailing = 1024;
  /// InstallSnapshot chunk size and how many chunks may be in flight.
  std::uint64_t snapshot_chunk_bytes = 1U << 20;
  std::uint64_t snapshot_chunks_inflight = 4;
};

/// One direction of a link, or the default for all of them.
struct LinkSpec {
  Distribution latency = Distribution::uniform(1ms, 3ms);
  double loss = 0.0;       ///< Probability a message is dropped.
  double duplicate = 0.0;  ///< Probability a message is delivered twice.
};

struct LinkOverride {
  NodeId from;
  NodeId to;
  LinkSpec link;
};

struct NetworkSpec {
  LinkSpec defaults;
  std::vector<LinkOverride> links;  ///< Per-direction exceptions to `defaults`.
};

struct DiskSpec {
  Distribution fsync = Distribution::fixed(0ms);
};

/// How ready a newly elected leader is to serve (the seed's standby kinds).
struct StandbySpec {
  enum class Kind : std::uint8_t {
    kHot,   ///< State already applied: serves at once.
    kWarm,  ///< Must load its state first (load_time, plus state size / load rate).
    kCold,  ///< The service process must start (start_time), then load.
  };
  Kind kind = Kind::kHot;
  Duration load_time{};
  /// When non-zero, loading also takes (state machine bytes) / this rate.
  std::uint64_t load_bytes_per_s = 0;
  Duration start_time{};
};

/// When and how a client tries again after a failure or timeout.
struct RetrySpec {
  enum class Policy : std::uint8_t {
    kNone,         ///< Give up after the first failure.
    kFixed,        ///< Wait `base` every time.
    kExponential,  ///< base * multiplier^attempt, capped, with `jitter`.
  };
  /// Jitter formulas (AWS Architecture Blog, "Exponential Backoff And Jitter").
  enum class Jitter : std::uint8_t {
    kNone,
    kFull,          ///< U(0, backoff)
    kEqual,         ///< backoff/2 + U(0, backoff/2)
    kDecorrelated,  ///< min(cap, U(base, previous * 3))
    kProportional,  ///< backoff * (1 + U(-fraction, +fraction)) — gRPC's ±20 %
    kAdditive,      ///< backoff + U(0, additive_max) — the seed's 2^i + U(0, 1) s
  };
  Policy policy = Policy::kFixed;
  Jitter jitter = Jitter::kNone;
  Duration base = 1s;
  double multiplier = 2.0;
  Duration cap = 30s;
  double jitter_fraction = 0.2;
  Duration additive_max = 1s;
  std::uint32_t attempts_max = 1'000'000;  ///< Including the first try.
};

/// A group of identical clients.
struct ClientSpec {
  enum class Mode : std::uint8_t {
    kInterval,    ///< Start an operation every `interval` (if the last one finished).
    kClosedLoop,  ///< Start the next operation `interval` after the last one finished.
  };
  std::string name = "client";
  std::uint32_t count = 1;
  Mode mode = Mode::kInterval;
  Duration interval = 1s;
  Duration timeout = 1s;    ///< Per attempt.
  double read_ratio = 0.0;  ///< Fraction of operations that are reads.
  std::uint32_t keys = 1;   ///< Keys k0..k{keys-1}, chosen uniformly.
  RetrySpec retry;
  /// Hosts the client knows; empty means every node. It starts with the first
  /// and moves to the next one on a failure (the multi-endpoint client).
  std::vector<NodeId> endpoints;
  bool follow_leader_hint = true;  ///< Go straight to the leader a refusal names.
  Duration start = 0s;
  std::optional<Duration> stop;  ///< Default: the end of the run.
};

/// Which node a fault hits, resolved when it fires.
struct NodeSelector {
  enum class Kind : std::uint8_t {
    kId,        ///< `id`.
    kLeader,    ///< The current leader (the highest term's, if several think so).
    kFollower,  ///< The lowest-numbered live node that is not the leader.
    kAuto,      ///< Leadership transfer only: let the leader pick the most caught-up voter.
  };
  Kind kind = Kind::kId;
  NodeId id;
};

struct FaultSpec {
  Duration at{};
  FaultKind kind = FaultKind::kCrash;
  NodeSelector target;  ///< For single-node faults.
  /// kPartition: the groups (every node not listed is alone in a group of its
  /// own). kPartitionOneWay: groups[0][0] is cut off from groups[1].
  std::vector<std::vector<NodeSelector>> groups;
  /// kPause, kSlowDisk: how long it lasts (then it ends by itself); kCrash and
  /// kMachineLoss: restart after this long, if set.
  std::optional<Duration> duration;
  Duration extra_latency{};         ///< kSlowDisk: added to every fsync.
  double clock_rate = 1.0;          ///< kClockDrift: the node's clock runs at this rate.
  std::optional<LinkSpec> network;  ///< kNetworkChange: the new defaults.
  int line = 0;                     ///< Source line in the scenario file (0 when built in code).
};

/// Bounds a run must meet; a run that misses one exits non-zero.
struct ExpectSpec {
  std::optional<double> detection_ms_max;
  std::optional<double> election_ms_max;
  std::optional<double> rto_ms_max;
  std::optional<std::uint64_t> failed_requests_max;
  std::optional<std::uint64_t> elections_max;
  /// At least this many snapshots installed from a leader (summed over nodes).
  std::optional<std::uint64_t> snapshots_installed_min;
  /// At the end every running node applied the same index as the others.
  bool converged = false;
  std::uint64_t violations = 0;  ///< Safety violations allowed (always 0 in practice).
  bool linearizable = true;
};

struct Scenario {
  std::string name = "scenario";
  std::string description;
  std::string source;  ///< File it came from, for messages.
  std::uint64_t seed = 1;
  Duration duration = 60s;
  std::uint64_t events_max = 50'000'000;  ///< Hard bound on simulated events.
  ClusterSpec cluster;
  NetworkSpec network;
  DiskSpec disk;
  StandbySpec standby;
  std::vector<ClientSpec> clients;
  std::vector<FaultSpec> faults;
  ExpectSpec expect;
};

}  // namespace raft::sim

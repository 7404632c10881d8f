// SPDX-License-Identifier: Apache-2.0
// A scenario: the cluster, its network, disks and clients, a timeline of
// faults and the expectations a run must meet. Loaded from YAML
// (scenario_loader.h) or built in code.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "raft/membership.h"
#include "raft/sim/distribution.h"
#include "raft/sim/trace.h"
#include "raft/types.h"

namespace raft::sim {

using namespace std::chrono_literals;

/// How hosts serve client reads.
enum class ReadPath : std::uint8_t {
  kLog,        ///< Through the log, like writes (linearizable, one entry per read).
  kReadIndex,  ///< Node::read_index with ReadMode::kReadIndex (thesis §6.4).
  kLease,      ///< Node::read_index with ReadMode::kLease (thesis §6.4.1).
};

/// The Raft settings of every node (mapped onto raft::Config).
struct ClusterSpec {
  /// The voters the cluster starts with: nodes 1..size.
  std::uint32_t size = 5;
  /// Machines size+1 .. size+spares, running but not members: a membership
  /// change (timeline `add_voter`, `add_learner`, `replace`) brings them in.
  std::uint32_t spares = 0;
  /// Every simulated machine: members and spares.
  [[nodiscard]] std::uint32_t hosts() const noexcept { return size + spares; }
  Duration heartbeat_interval = 100ms;
  Duration election_timeout_min = 1000ms;
  Duration election_timeout_max = 2000ms;
  bool pre_vote = true;
  bool check_quorum = true;
  bool fast_failover = true;
  Duration fast_failover_delay_max = 50ms;
  std::uint64_t inflight_messages_max = 256;
  std::uint64_t message_bytes_max = 1U << 20;
  ReadPath read_mode = ReadPath::kLog;  ///< The default keeps the bundled traces unchanged.
  Duration clock_drift_max = 100ms;     ///< raft::Config::clock_drift_max (lease only).
  /// Snapshots (thesis §5.1): each node snapshots its key-value state every
  /// this many applied entries (0: never) and the log behind is compacted,
  /// but for `snapshot_trailing` entries.
  std::uint64_t snapshot_every = 0;
  std::uint64_t snapshot_trailing = 1024;
  /// InstallSnapshot chunk size and how many chunks may be in flight.
  std::uint64_t snapshot_chunk_bytes = 1U << 20;
  std::uint64_t snapshot_chunks_inflight = 4;
  /// Election priority by node (raft::Config::priority); unlisted nodes have 1.
  /// 0: the node votes and replicates but never leads (a witness-like standby).
  std::map<NodeId, std::uint32_t> priorities;
  [[nodiscard]] std::uint32_t priority_of(NodeId id) const {
    const auto it = priorities.find(id);
    return it == priorities.end() ? 1 : it->second;
  }
};

/// One direction of a link, or the default for all of them.
struct LinkSpec {
  Distribution latency = Distribution::uniform(1ms, 3ms);
  double loss = 0.0;       ///< Probability a message is dropped.
  double duplicate = 0.0;  ///< Probability a message is delivered twice.
  /// Bytes per second this direction carries; 0 (the default) means unlimited.
  /// A message then takes wire_bytes(message) / bandwidth to transmit, starting
  /// once the messages sent before it on this direction are out (a FIFO
  /// queue: serialization delay), and `latency` applies after that. Such a
  /// link is one stream, like a TCP connection: messages arrive in the order
  /// sent, so latency jitter delays them but never reorders them.
  std::uint64_t bandwidth = 0;
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
  /// What each host's disk is: the in-memory log, or the real write-ahead log
  /// (raft/storage/wal.h) on a file system whose crashes lose or tear what
  /// was not synced.
  enum class Log : std::uint8_t { kMemory, kWal };
  Distribution fsync = Distribution::fixed(0ms);
  Log log = Log::kMemory;
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
  /// Each write's value is padded to this many bytes (its unique tag first, so
  /// a shorter setting changes nothing); 0: the tag alone. Large values make
  /// large states, e.g. to measure snapshot transfers.
  std::uint64_t value_bytes = 0;
  static constexpr std::uint64_t kValueBytesMax = std::uint64_t{1} << 30U;
  RetrySpec retry;
  /// Hosts the client knows; empty means every node. It starts with the first
  /// and moves to the next one on a failure (the multi-endpoint client).
  std::vector<NodeId> endpoints;
  bool follow_leader_hint = true;  ///< Go straight to the leader a refusal names.
  /// Writes go through a client session (thesis §6.3): the client registers
  /// once, stamps each write with a sequence number that its retries keep,
  /// and the state machine applies each at most once. Off, a retried write
  /// whose first attempt was applied is applied again (the seed's clients).
  bool sessions = false;
  Duration start = 0s;
  std::optional<Duration> stop;  ///< Default: the end of the run.
};

/// The state machine's session table (raft/session.h), the same on every node.
struct SessionSpec {
  /// A session idle this long, by the leaders' timestamps in the log, expires.
  Duration timeout = 60s;
  /// At most this many sessions (0: no limit); the least recently active goes first.
  std::uint64_t sessions_max = 0;
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
  /// kMembershipChange: what to change, proposed at the leader (retried until
  /// the leader accepts; thesis §4). How: one voter change directly, more
  /// through a joint configuration left automatically.
  std::vector<MembershipChange> changes;
  /// kMembershipChange: wait until this learner has caught up with the
  /// leader's log before proposing (a promotion that cannot stall commits).
  NodeId await_caught_up;
  int line = 0;  ///< Source line in the scenario file (0 when built in code).
};

/// Bounds a run must meet; a run that misses one exits non-zero.
struct ExpectSpec {
  std::optional<double> detection_ms_max;
  std::optional<double> election_ms_max;
  std::optional<double> rto_ms_max;
  std::optional<std::uint64_t> failed_requests_max;
  std::optional<std::uint64_t> elections_max;
  /// Reads that returned a value (outcome ok). With clients pinned to a node
  /// cut off from the majority, 0 proves that node served no read.
  std::optional<std::uint64_t> reads_ok_max;
  /// When set, reads_ok_max counts only this client group's reads (by name).
  std::string reads_client;
  /// At least this many snapshots installed from a leader (summed over nodes).
  std::optional<std::uint64_t> snapshots_installed_min;
  /// At the end every running node applied the same index as the others.
  bool converged = false;
  std::uint64_t violations = 0;  ///< Safety violations allowed (always 0 in practice).
  /// Logical writes some replica applied more than once (a retry applied
  /// again). Writes through a session that apply twice are a violation anyway.
  std::optional<std::uint64_t> duplicate_writes_max;
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
  SessionSpec sessions;
  std::vector<FaultSpec> faults;
  ExpectSpec expect;
};

}  // namespace raft::sim

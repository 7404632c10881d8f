// SPDX-License-Identifier: Apache-2.0
// The trace of a simulated run: every node event, message fate, fault, client
// operation and service phase, in order, with a hash that proves a replay.
// Metrics and timelines are computed from the trace, never guessed.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "raft/events.h"
#include "raft/sim/history.h"
#include "raft/types.h"

namespace raft::sim {

/// A raft::Node event (role, term, vote, leader, commit) on one host.
struct NodeRecord {
  EventBody event;
  Term term;  ///< The node's term after the event.
};

/// What happened to one message.
struct MessageRecord {
  enum class Fate : std::uint8_t {
    kSent,          ///< Left the sender; a delivery or a drop record follows.
    kDelivered,     ///< Stepped into the receiver.
    kLost,          ///< Dropped by the link's loss probability.
    kBlocked,       ///< Dropped by a partition.
    kReceiverDown,  ///< The receiver was crashed or its machine gone.
  };
  std::uint64_t id = 0;  ///< Same id on a message's send and its delivery / drop.
  NodeId from;
  NodeId to;
  Term term;
  std::uint8_t type = 0;  ///< Index into raft::MessageBody (see message_type_name()).
  std::uint32_t entries = 0;
  Fate fate = Fate::kSent;
};

enum class FaultKind : std::uint8_t {
  kCrash,        ///< Process killed: peers see connections reset one latency later.
  kMachineLoss,  ///< Machine or its network gone: silent, only timeouts notice.
  kRestart,      ///< Process started again from what its disk kept.
  kPause,        ///< Stopped (GC pause, SIGSTOP): timers and messages pile up.
  kResume,
  kPartition,        ///< Two-way partition into groups.
  kPartitionOneWay,  ///< Traffic from `nodes[0]` to the others is cut, not back.
  kIsolate,          ///< One node cut off both ways.
  kHeal,             ///< Every partition removed.
  kSlowDisk,         ///< fsyncs on the node take `duration` longer.
  kDiskRecovered,
  kClockDrift,          ///< The node's timers run fast or slow.
  kNetworkChange,       ///< Link latency, loss or duplication changed.
  kTransferLeadership,  ///< The leader was asked to hand over (thesis §3.10): planned, not a fault.
  kMembershipChange,    ///< A membership change was requested (thesis §4): planned, not a fault.
};
[[nodiscard]] const char* to_string(FaultKind kind) noexcept;

struct FaultRecord {
  FaultKind kind = FaultKind::kCrash;
  std::vector<NodeId> nodes;
  /// Partitions: group sizes in order, so `nodes` splits into the groups.
  std::vector<std::uint32_t> groups;
  Duration duration{};
  std::string description;
};

/// One step in the life of a client operation.
struct ClientRecord {
  enum class Phase : std::uint8_t {
    kInvoke,   ///< Sent to `target`.
    kOk,       ///< Acknowledged (value: for reads, the value read).
    kFail,     ///< Refused (error says why); definitely not applied.
    kTimeout,  ///< No answer within the client's timeout: outcome unknown.
  };
  std::uint32_t client = 0;
  std::uint64_t op = 0;
  OpKind kind = OpKind::kWrite;
  Phase phase = Phase::kInvoke;
  NodeId target;
  std::uint32_t attempt = 0;  ///< 0 for the first try, then retries.
  std::string key;
  std::string value;
  std::string error;
};

/// A host's ability to serve clients (standby kinds: hot, warm, cold).
struct ServiceRecord {
  enum class Phase : std::uint8_t {
    kStarting,  ///< Cold standby: the process is starting.
    kLoading,   ///< Leader elected; loading or replaying state before serving.
    kServing,   ///< Answers client requests.
    kStopped,   ///< Not leader (any more), or crashed.
  };
  Phase phase = Phase::kStopped;
};

using TraceBody = std::variant<NodeRecord, MessageRecord, FaultRecord, ClientRecord, ServiceRecord>;

struct TraceEvent {
  Time time;
  /// The host it happened on (the sender for messages, the target for client
  /// records, none for cluster-wide faults).
  NodeId node;
  TraceBody body;
};

/// An append-only trace with a running hash. The hash covers every recorded
/// event whether or not it is kept in memory, so `--json` runs and traced runs
/// of the same seed report the same trace_hash.
class Trace {
 public:
  struct Options {
    bool keep_events = true;    ///< Store events (for timelines and metrics).
    bool keep_messages = true;  ///< Also store MessageRecords (the bulk of a trace).
  };
  Trace() = default;
  explicit Trace(Options options) : options_(options) {}

  void record(TraceEvent event);
  [[nodiscard]] std::uint64_t hash() const noexcept { return hash_; }
  [[nodiscard]] const std::vector<TraceEvent>& events() const noexcept { return events_; }
  [[nodiscard]] std::uint64_t count() const noexcept { return count_; }

 private:
  Options options_;
  std::uint64_t hash_ = 0xcbf29ce484222325ULL;  // FNV-1a offset basis.
  std::uint64_t count_ = 0;
  std::vector<TraceEvent> events_;
};

/// Short stable names: "delivered", "timeout", "serving"...
[[nodiscard]] const char* to_string(MessageRecord::Fate fate) noexcept;
[[nodiscard]] const char* to_string(ClientRecord::Phase phase) noexcept;
[[nodiscard]] const char* to_string(ServiceRecord::Phase phase) noexcept;

/// One line for a trace event, e.g. "1234.567 n3 follower -> candidate (election timeout)".
[[nodiscard]] std::string describe(const TraceEvent& event);

/// One JSON object on one line (`raftsim run --trace FILE` writes these).
[[nodiscard]] std::string to_json_line(const TraceEvent& event);

/// The trace hash as 16 hex digits.
[[nodiscard]] std::string format_hash(std::uint64_t hash);

}  // namespace raft::sim

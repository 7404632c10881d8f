// SPDX-License-Identifier: Apache-2.0
// TestCluster — a small deterministic harness for whole-cluster tests of raft::Node.
//
// N nodes (ids 1..N), each with its own MemoryLog standing for its disk, driven in explicit
// virtual time through a message queue ordered by (delivery time, sequence number). Latency,
// loss and duplication are drawn from one seeded raft::Prng, so a seed replays a run exactly.
// This is the stop-gap before the full simulator (sim/), which will replace it: keep it small.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "raft/config.h"
#include "raft/entry.h"
#include "raft/events.h"
#include "raft/message.h"
#include "raft/node.h"
#include "raft/prng.h"
#include "raft/ready.h"
#include "raft/status.h"
#include "raft/storage/memory_log.h"
#include "raft/types.h"

namespace raft::test {

/// How the cluster is built and how its network behaves at first.
struct ClusterOptions {
  std::size_t nodes = 5;
  /// Seeds the network's generator and, mixed with the node id and incarnation, each node's.
  std::uint64_t seed = 1;
  /// One-way latency is uniform in [latency_min, latency_max); the spread is the jitter
  /// that reorders messages.
  Duration latency_min = std::chrono::milliseconds{1};
  Duration latency_max = std::chrono::milliseconds{5};
  double drop_ratio = 0.0;
  double duplicate_ratio = 0.0;
  /// Whether crash() makes the other nodes see peer_down(crashed) one latency later, as a
  /// transport does when the dead process's connections are reset.
  bool peer_down_on_crash = false;
  /// Edits every node's Config (timeouts, pre-vote, ...) after the harness fills in id,
  /// voters and random_seed.
  std::function<void(Config&)> configure;
};

/// One entry as the state machine of a node applied it.
struct AppliedEntry {
  Index index;
  Term term;
  EntryType type = EntryType::kNormal;
  Payload payload;
};

/// Hooks for checkers (see SafetyChecker). Every hook runs synchronously inside the
/// harness; after_event() runs once after each event and an error there stops the run.
class ClusterObserver {
 public:
  virtual ~ClusterObserver() = default;
  /// `ready` was just written to the node's MemoryLog (hard state and entries).
  virtual void on_persisted(NodeId /*id*/, const Ready& /*ready*/) {}
  virtual void on_crash(NodeId /*id*/) {}
  /// The node was recreated from its log: its volatile state starts afresh.
  virtual void on_restart(NodeId /*id*/) {}
  virtual Status after_event() { return {}; }
};

/// One line of the trace: what happened at which virtual time.
struct TraceRecord {
  enum class Kind : std::uint8_t {
    kDeliver,
    kDrop,
    kTick,
    kEvent,
    kPropose,
    kPeerDown,
    kCrash,
    kRestart,
    kPartition,
    kHeal
  };
  Time time;
  Kind kind = Kind::kTick;
  NodeId node;
  std::optional<Message> message;  // kDeliver, kDrop
  std::optional<Event> event;      // kEvent
  std::string note;                // free text (partition groups, proposal result)
};
[[nodiscard]] std::string describe(const TraceRecord& record);

class TestCluster {
 public:
  explicit TestCluster(ClusterOptions options);
  ~TestCluster();
  TestCluster(const TestCluster&) = delete;
  TestCluster& operator=(const TestCluster&) = delete;

  // ---- Network faults (take effect for messages sent from now on) ----
  void set_drop_ratio(double ratio) { options_.drop_ratio = ratio; }
  void set_duplicate_ratio(double ratio) { options_.duplicate_ratio = ratio; }
  /// Latency range [min, max); a wide range reorders messages.
  void set_latency(Duration min, Duration max);
  void set_peer_down_on_crash(bool enabled) { options_.peer_down_on_crash = enabled; }
  /// Splits the nodes into groups that cannot talk to each other. Nodes not named form one
  /// more group. Replaces any earlier partition. Messages already in flight across the cut
  /// are lost when they arrive.
  void partition(const std::vector<std::vector<NodeId>>& groups);
  /// Cuts `id` off from every other node.
  void isolate(NodeId id);
  /// Removes every partition.
  void heal();
  [[nodiscard]] bool connected(NodeId a, NodeId b) const;

  // ---- Process faults ----
  /// Destroys the node object; its MemoryLog survives, messages to it are dropped.
  void crash(NodeId id);
  /// Recreates a crashed node from its MemoryLog (term, vote and log survive).
  void restart(NodeId id);

  // ---- Time ----
  [[nodiscard]] Time now() const noexcept { return now_; }
  /// Time since the start of the run.
  [[nodiscard]] Duration elapsed() const noexcept { return now_ - Time{}; }
  /// Handles the next event (message delivery, peer-down notice or node deadline) if it is
  /// due by `limit`, else moves the clock to `limit`. False when nothing was handled.
  bool step_once(Time limit = kTimeNever);
  /// Handles every event due by `time` and leaves the clock there (stops early on failure).
  void run_until(Time time);
  void run_for(Duration duration) { run_until(now_ + duration); }
  /// Runs until `done()` holds (checked before each event and after it) or the clock
  /// reaches `time_max`. True when `done()` held.
  bool run_until(const std::function<bool()>& done, Time time_max);

  // ---- Clients ----
  /// Proposes on leader(); kNotLeader when there is none.
  Result<Index> propose(Payload payload);
  Result<Index> propose(std::string_view text) { return propose(Payload{text}); }
  /// Proposes on a given node (which may refuse).
  Result<Index> propose_on(NodeId id, Payload payload);
  /// Proposes every payload on leader() before handling its Ready once, so the leader can
  /// batch them into one append per follower. Returns how many it accepted.
  std::size_t propose_batch(const std::vector<Payload>& payloads);
  /// Reports peer_down(peer) to node `id` now.
  void peer_down(NodeId id, NodeId peer);

  // ---- Observation ----
  [[nodiscard]] std::size_t size() const noexcept { return nodes_.size(); }
  [[nodiscard]] std::vector<NodeId> ids() const;
  [[nodiscard]] bool alive(NodeId id) const;
  /// The live node; precondition alive(id).
  [[nodiscard]] Node& node(NodeId id);
  [[nodiscard]] const Node& node(NodeId id) const;
  [[nodiscard]] const storage::MemoryLog& log(NodeId id) const;
  /// The disk of a crashed node, to inject storage faults (a lost or altered log) before
  /// restart(). Changes made here bypass the observer.
  [[nodiscard]] storage::MemoryLog& disk(NodeId id);
  /// What the node's state machine applied, over its whole life (it survives restarts).
  [[nodiscard]] const std::vector<AppliedEntry>& applied(NodeId id) const;
  /// How many times the node was (re)created: 1 at start, +1 per restart.
  [[nodiscard]] std::uint64_t incarnation(NodeId id) const;
  /// Counts the inputs the node has handled; checkers re-examine only nodes that moved.
  [[nodiscard]] std::uint64_t version(NodeId id) const;
  /// The unique live leader of the highest term held by a live leader, or none.
  [[nodiscard]] NodeId leader() const;
  /// Every node event (role/term changes, votes...) seen so far, with the node's id.
  [[nodiscard]] const std::vector<std::pair<NodeId, Event>>& events() const { return events_; }

  void set_observer(ClusterObserver* observer) { observer_ = observer; }
  /// The first failure (from the observer or the harness itself); ok while none.
  [[nodiscard]] const Status& failure() const noexcept { return failure_; }
  /// FNV-1a hash of everything that happened, for determinism checks.
  [[nodiscard]] std::uint64_t trace_hash() const noexcept { return trace_hash_; }
  [[nodiscard]] std::uint64_t event_count() const noexcept { return event_count_; }
  /// The last `count` trace records, one per line.
  [[nodiscard]] std::string recent_trace(std::size_t count = 30) const;
  /// Stops keeping every node event in events() (long randomized runs do not need it).
  void set_keep_events(bool keep) { keep_events_ = keep; }
  /// Prints every trace record to stdout as it happens (for replaying one seed).
  void set_print_trace(bool print) { print_trace_ = print; }

 private:
  struct PeerDownNotice {
    NodeId to;
    NodeId peer;
  };
  struct Slot {
    storage::MemoryLog log;
    std::optional<Node> node;
    std::vector<AppliedEntry> applied;
    std::uint64_t incarnation = 0;
    std::uint64_t version = 0;
  };

  Slot& slot(NodeId id);
  const Slot& slot(NodeId id) const;
  /// Creates the node object from its log (the caller drains it).
  void start(NodeId id);
  Duration draw_latency();
  void send(const Message& message);
  void enqueue(Time at, std::variant<Message, PeerDownNotice> item);
  void deliver(std::variant<Message, PeerDownNotice>&& item);
  /// Handles every Ready of `id` (persist, send, apply, advance) until none is left.
  void drain(NodeId id);
  void apply(NodeId id, const Entry& entry);
  void after_event();
  void fail(Status status);
  void trace(TraceRecord record);

  ClusterOptions options_;
  Prng prng_;
  Time now_{};
  std::vector<Slot> nodes_;  // nodes_[id - 1]
  // Ordered by (time, seq): a stable order for events at the same instant.
  std::map<std::pair<Time, std::uint64_t>, std::variant<Message, PeerDownNotice>> queue_;
  std::uint64_t next_seq_ = 0;
  std::vector<std::uint32_t> group_;  // group_[id - 1]; all zero when healed
  ClusterObserver* observer_ = nullptr;
  Status failure_;
  std::vector<std::pair<NodeId, Event>> events_;
  bool keep_events_ = true;
  bool print_trace_ = false;
  std::deque<TraceRecord> recent_;
  std::uint64_t trace_hash_ = 14695981039346656037ULL;
  std::uint64_t event_count_ = 0;
};

}  // namespace raft::test

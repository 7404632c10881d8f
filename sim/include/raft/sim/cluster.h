// SPDX-License-Identifier: Apache-2.0
// sim::Cluster — the deterministic discrete-event simulation of a Raft
// cluster: real raft::Nodes driven in virtual time over a simulated network
// and disk, with fault injection, clients and safety checks on every event.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "raft/node.h"
#include "raft/sim/history.h"
#include "raft/sim/scenario.h"
#include "raft/sim/state_checker.h"
#include "raft/sim/trace.h"

namespace raft::sim {

namespace detail {
struct ClusterState;
}

/// Deliberate protocol bugs, injected by the driver, to prove that the
/// checkers can fail (mutation testing). Never used outside tests.
enum class Mutation : std::uint8_t {
  kNone,
  /// A voter that refused a vote because it already voted in that term sends
  /// "granted" instead: as if the core could vote twice in a term (§5.2).
  kDoubleVote,
  /// Hosts serve reads from their local state at once, without read_index:
  /// a node cut off from the majority returns stale values (thesis §6.4).
  /// Only with a read mode other than `log`.
  kLocalRead,
};

/// The size the simulated network charges a message against its link's
/// bandwidth (LinkSpec::bandwidth): an estimate of its encoding, the payload
/// bytes (entries with Entry::kHeaderBytes each, snapshot data) plus a fixed
/// header per message and per field.
[[nodiscard]] std::uint64_t wire_bytes(const Message& message) noexcept;

/// What the simulated network carried, since the start of the run.
struct NetworkStats {
  std::uint64_t messages_sent = 0;  ///< Messages the nodes sent (drops included).
  std::uint64_t bytes_sent = 0;     ///< Their wire_bytes().
  /// InstallSnapshot data sent but not yet written by its receiver: on the
  /// wire (or queued for a busy link), in a busy host's inbox, or in a Ready
  /// waiting for its fsync. The extra memory a snapshot transfer costs.
  std::uint64_t snapshot_bytes_held = 0;
  std::uint64_t snapshot_bytes_held_max = 0;  ///< Its high-water mark.
};

/// The hosts' durable logs (scenario disk.log: wal), since the start of the run.
struct DiskStats {
  std::uint64_t recoveries = 0;  ///< Restarts that reopened (recovered) a write-ahead log.
  std::uint64_t repairs = 0;     ///< Recoveries that repaired something (a torn tail cut off).
  std::string error;             ///< The first storage error (StopReason::kStorageError).
};

/// Why a run stopped.
enum class StopReason : std::uint8_t {
  kDuration,      ///< Reached the scenario's duration (or the requested time).
  kIdle,          ///< Nothing left to simulate.
  kEventsMax,     ///< Hit the scenario's events_max bound.
  kViolation,     ///< A safety property broke; see checker().violations().
  kStorageError,  ///< A node reported a storage error.
};
[[nodiscard]] const char* to_string(StopReason reason) noexcept;

/// One simulated cluster. Same scenario + same seed → the same trace, byte for
/// byte (the determinism rules of DESIGN.md): one PRNG, virtual time, events at
/// the same instant ordered by a sequence number, no unordered iteration.
class Cluster {
 public:
  struct Options {
    Trace::Options trace;
    bool check_safety = true;
    /// Trace events kept for the failure report when a violation stops a run.
    std::size_t recent_events = 40;
    Mutation mutation = Mutation::kNone;
  };

  /// Precondition: the scenario passed validate() (scenario_loader.h).
  explicit Cluster(const Scenario& scenario);
  Cluster(const Scenario& scenario, const Options& options);
  Cluster(Cluster&&) noexcept;
  Cluster& operator=(Cluster&&) noexcept;
  ~Cluster();

  /// Runs the scenario's timeline to its end.
  StopReason run();
  /// Runs until virtual time `end` (or an earlier stop).
  StopReason run_until(Time end);

  /// Injects a fault now (what the scenario's timeline does at its `at`).
  void inject(const FaultSpec& fault);

  [[nodiscard]] Time now() const noexcept;
  [[nodiscard]] const Scenario& scenario() const noexcept;
  [[nodiscard]] const Trace& trace() const noexcept;
  [[nodiscard]] const History& history() const noexcept;
  [[nodiscard]] const StateChecker& checker() const noexcept;
  [[nodiscard]] std::uint64_t events_processed() const noexcept;
  /// The last few trace events (kept even when the trace keeps none).
  [[nodiscard]] std::vector<TraceEvent> recent_events() const;
  /// The live node that leads the highest term, or none.
  [[nodiscard]] NodeId leader() const noexcept;
  /// The node running on host `id`, or nullptr while it is down.
  [[nodiscard]] const Node* node(NodeId id) const noexcept;
  [[nodiscard]] std::uint32_t size() const noexcept;
  /// Operations acknowledged to clients so far.
  [[nodiscard]] std::uint64_t acknowledged_writes() const noexcept;
  /// Retries a leader answered from a session's saved reply (thesis §6.3)
  /// instead of applying them again.
  [[nodiscard]] std::uint64_t retries_deduplicated() const noexcept;
  /// The network's counters (bytes carried, snapshot data held in transit).
  [[nodiscard]] NetworkStats network_stats() const noexcept;
  /// The write-ahead logs' recovery counters (disk.log: wal).
  [[nodiscard]] const DiskStats& disk_stats() const noexcept;

 private:
  std::unique_ptr<detail::ClusterState> state_;
};

}  // namespace raft::sim

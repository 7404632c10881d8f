// SPDX-License-Identifier: Apache-2.0
// What users feel, computed from the trace: detection, election, readiness
// and recovery times, and how many requests failed.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "raft/sim/trace.h"
#include "raft/types.h"

namespace raft::sim {

/// Metrics of one run. Durations are measured from the first fault that can
/// cost the cluster its leader (crash, machine loss, pause, partition,
/// isolation); without such a fault only the counters are set.
struct RunMetrics {
  std::optional<Time> fault_time;
  NodeId fault_node;  ///< The node the fault hit (the old leader, typically).
  NodeId old_leader;  ///< Leader just before the fault.
  /// Fault -> first follower whose election timer fired or that started a
  /// (pre-)vote after the fault.
  std::optional<Duration> detection;
  /// Fault -> a new leader (of a newer term) known to a majority.
  std::optional<Duration> election;
  /// Fault -> the new leader serves clients (after a warm/cold standby loads).
  std::optional<Duration> ready;
  /// Fault -> the first successful client request completed after it (RTO).
  std::optional<Duration> rto;
  NodeId new_leader;

  std::uint64_t requests = 0;  ///< Client attempts (a retry is another attempt).
  std::uint64_t requests_ok = 0;
  std::uint64_t requests_failed = 0;  ///< Refused attempts.
  std::uint64_t requests_timed_out = 0;
  std::uint64_t elections = 0;       ///< Real (not pre-vote) campaigns started.
  std::uint64_t pre_votes = 0;       ///< Pre-vote campaigns started.
  std::uint64_t leader_changes = 0;  ///< Times a new leader was elected.
  Term term_max;
  std::uint64_t messages_sent = 0;
  std::uint64_t messages_dropped = 0;

  /// Failed + timed-out attempts: what the seed calls "failed requests".
  [[nodiscard]] std::uint64_t failed_requests() const noexcept {
    return requests_failed + requests_timed_out;
  }
};

/// Computes the metrics of a run from its full trace (events must be kept).
[[nodiscard]] RunMetrics compute_metrics(const std::vector<TraceEvent>& events,
                                         std::uint32_t cluster_size);

}  // namespace raft::sim

// SPDX-License-Identifier: Apache-2.0
// Running a scenario end to end: simulate, check safety and linearizability,
// compute the metrics, compare them with the scenario's expectations.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "raft/metrics.h"
#include "raft/sim/cluster.h"
#include "raft/sim/linearizability.h"
#include "raft/sim/metrics.h"
#include "raft/sim/scenario.h"
#include "raft/sim/state_checker.h"
#include "raft/sim/trace.h"

namespace raft::sim {

struct RunOptions {
  bool keep_events = true;    ///< Needed for metrics and timelines.
  bool keep_messages = true;  ///< Message records in the kept trace.
  bool check_linearizability = true;
  LinearizabilityOptions linearizability;
  Mutation mutation = Mutation::kNone;  ///< Test-only (cluster.h).
};

struct RunResult {
  Scenario scenario;
  StopReason stop = StopReason::kDuration;
  Time end{};
  std::uint64_t trace_hash = 0;
  std::uint64_t events_processed = 0;
  std::uint64_t trace_events = 0;
  RunMetrics metrics;
  /// The core's own counters (raft/metrics.h), summed over the nodes running
  /// at the end (a restart starts a node's counters afresh).
  NodeMetrics node_counters;
  std::vector<Violation> violations;
  /// Logical writes some replica executed more than once (a retry applied
  /// again: what client sessions prevent). Counted only with safety checks.
  std::uint64_t duplicate_writes = 0;
  /// Retries answered from a session's saved reply instead of applied again.
  std::uint64_t retries_deduplicated = 0;
  /// Write-ahead log recoveries and the first storage error (disk.log: wal).
  DiskStats disk;
  LinearizabilityResult linearizability;
  bool linearizability_checked = false;
  /// Every node running at the end had applied the same index.
  bool converged = false;
  std::vector<std::string> failed_expectations;
  std::vector<TraceEvent> events;  ///< The trace, when kept.
  std::vector<TraceEvent> recent;  ///< The last events before the run stopped.
  History history;

  /// No violation, linearizable (when checked), every expectation met, and
  /// the run was not cut short by its event bound or a storage error.
  [[nodiscard]] bool passed() const noexcept;
};

[[nodiscard]] RunResult run_scenario(const Scenario& scenario, const RunOptions& options = {});

/// Checks the result against scenario.expect; fills failed_expectations.
void check_expectations(RunResult& result);

/// The shell command that replays this scenario with this seed.
[[nodiscard]] std::string replay_command(const Scenario& scenario);

/// A human-readable summary: key observations and verdicts.
[[nodiscard]] std::string format_summary(const RunResult& result);
/// The summary as one JSON object (seed, trace_hash, detection_ms, election_ms,
/// ready_ms, rto_ms, failed_requests, elections, violations, linearizable, ...).
[[nodiscard]] std::string summary_json(const RunResult& result);
/// What to print when a safety property broke: the seed, the property, the
/// last events and the replay command.
/// `replay` overrides the command shown (default: replay_command()).
[[nodiscard]] std::string format_violation_report(const RunResult& result,
                                                  const std::string& replay = {});

}  // namespace raft::sim

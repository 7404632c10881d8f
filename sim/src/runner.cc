// SPDX-License-Identifier: Apache-2.0
#include "raft/sim/runner.h"

#include <fmt/format.h>

namespace raft::sim {
namespace {

double to_ms(Duration duration) {
  return std::chrono::duration<double, std::milli>(duration).count();
}

void expect_at_most(RunResult& result, const char* name, const std::optional<Duration>& measured,
                    const std::optional<double>& limit_ms) {
  if (!limit_ms) return;
  if (!measured) {
    result.failed_expectations.push_back(
        fmt::format("{}: expected at most {} ms, but it never happened", name, *limit_ms));
  } else if (to_ms(*measured) > *limit_ms) {
    result.failed_expectations.push_back(
        fmt::format("{}: {:.1f} ms, expected at most {} ms", name, to_ms(*measured), *limit_ms));
  }
}

}  // namespace

bool RunResult::passed() const noexcept {
  return failed_expectations.empty() && violations.size() <= scenario.expect.violations &&
         stop != StopReason::kEventsMax && stop != StopReason::kStorageError &&
         (!linearizability_checked ||
          linearizability.verdict != LinearizabilityResult::Verdict::kNotLinearizable);
}

RunResult run_scenario(const Scenario& scenario, const RunOptions& options) {
  Cluster::Options cluster_options;
  cluster_options.trace.keep_events = options.keep_events;
  cluster_options.trace.keep_messages = options.keep_messages;
  cluster_options.mutation = options.mutation;
  Cluster cluster{scenario, cluster_options};
  RunResult result;
  result.scenario = scenario;
  result.stop = cluster.run();
  result.end = cluster.now();
  result.trace_hash = cluster.trace().hash();
  result.events_processed = cluster.events_processed();
  result.trace_events = cluster.trace().count();
  result.violations = cluster.checker().violations();
  result.duplicate_writes = cluster.checker().duplicate_writes();
  result.retries_deduplicated = cluster.retries_deduplicated();
  for (std::uint32_t id = 1; id <= cluster.size(); ++id) {
    const Node* node = cluster.node(NodeId{id});
    if (node == nullptr) continue;
    const NodeMetrics& m = node->metrics();
    NodeMetrics& total = result.node_counters;
    total.pre_votes_started += m.pre_votes_started;
    total.pre_votes_won += m.pre_votes_won;
    total.elections_started += m.elections_started;
    total.elections_won += m.elections_won;
    total.elections_lost += m.elections_lost;
    total.leader_changes += m.leader_changes;
    total.check_quorum_step_downs += m.check_quorum_step_downs;
    total.votes_granted += m.votes_granted;
    total.votes_denied += m.votes_denied;
    total.transfers_started += m.transfers_started;
    total.transfers_completed += m.transfers_completed;
    total.transfers_aborted += m.transfers_aborted;
    total.priority_handovers += m.priority_handovers;
    total.proposals_accepted += m.proposals_accepted;
    total.proposals_refused += m.proposals_refused;
    total.messages_sent += m.messages_sent;
    total.entries_committed += m.entries_committed;
    total.membership_changes += m.membership_changes;
    total.reads_read_index += m.reads_read_index;
    total.reads_lease += m.reads_lease;
    total.reads_forwarded += m.reads_forwarded;
    total.reads_failed += m.reads_failed;
    total.read_heartbeat_rounds += m.read_heartbeat_rounds;
    total.snapshots_taken += m.snapshots_taken;
    total.entries_compacted += m.entries_compacted;
    total.snapshot_transfers_started += m.snapshot_transfers_started;
    total.snapshots_sent += m.snapshots_sent;
    total.snapshot_chunks_sent += m.snapshot_chunks_sent;
    total.snapshot_bytes_sent += m.snapshot_bytes_sent;
    total.snapshot_chunks_resent += m.snapshot_chunks_resent;
    total.snapshot_chunks_received += m.snapshot_chunks_received;
    total.snapshots_installed += m.snapshots_installed;
  }
  {
    std::optional<Index> applied;
    result.converged = true;
    for (std::uint32_t id = 1; id <= cluster.size(); ++id) {
      const Node* node = cluster.node(NodeId{id});
      if (node == nullptr) continue;
      if (applied && *applied != node->applied_index()) result.converged = false;
      applied = node->applied_index();
    }
  }
  result.disk = cluster.disk_stats();
  result.recent = cluster.recent_events();
  result.history = cluster.history();
  if (options.keep_events) {
    result.metrics = compute_metrics(cluster.trace().events(), scenario.cluster.size);
  }
  if (options.check_linearizability) {
    result.linearizability = check_linearizability(result.history, options.linearizability);
    result.linearizability_checked = true;
  }
  if (options.keep_events) {
    result.events = cluster.trace().events();
  }
  check_expectations(result);
  return result;
}

void check_expectations(RunResult& result) {
  const ExpectSpec& expect = result.scenario.expect;
  const RunMetrics& metrics = result.metrics;
  expect_at_most(result, "detection", metrics.detection, expect.detection_ms_max);
  expect_at_most(result, "election", metrics.election, expect.election_ms_max);
  expect_at_most(result, "rto", metrics.rto, expect.rto_ms_max);
  if (expect.failed_requests_max && metrics.failed_requests() > *expect.failed_requests_max) {
    result.failed_expectations.push_back(fmt::format("failed requests: {}, expected at most {}",
                                                     metrics.failed_requests(),
                                                     *expect.failed_requests_max));
  }
  if (expect.elections_max && metrics.elections > *expect.elections_max) {
    result.failed_expectations.push_back(fmt::format("elections: {}, expected at most {}",
                                                     metrics.elections, *expect.elections_max));
  }
  if (expect.duplicate_writes_max && result.duplicate_writes > *expect.duplicate_writes_max) {
    result.failed_expectations.push_back(
        fmt::format("duplicate writes: {} applied more than once, expected at most {}",
                    result.duplicate_writes, *expect.duplicate_writes_max));
  }
  if (expect.reads_ok_max) {
    // Client ids are handed out group by group, in the scenario's order.
    std::uint32_t first = 0;
    std::uint32_t end = ~std::uint32_t{0};
    if (!expect.reads_client.empty()) {
      for (const ClientSpec& spec : result.scenario.clients) {
        if (spec.name == expect.reads_client) {
          end = first + spec.count;
          break;
        }
        first += spec.count;
      }
    }
    std::uint64_t reads_ok = 0;
    for (const Operation& op : result.history) {
      if (op.kind == OpKind::kRead && op.outcome == OpOutcome::kOk && op.client >= first &&
          op.client < end) {
        ++reads_ok;
      }
    }
    if (reads_ok > *expect.reads_ok_max) {
      result.failed_expectations.push_back(
          fmt::format("reads answered: {}, expected at most {}", reads_ok, *expect.reads_ok_max));
    }
  }
  if (expect.snapshots_installed_min &&
      result.node_counters.snapshots_installed < *expect.snapshots_installed_min) {
    result.failed_expectations.push_back(
        fmt::format("snapshots installed: {}, expected at least {}",
                    result.node_counters.snapshots_installed, *expect.snapshots_installed_min));
  }
  if (expect.converged && !result.converged) {
    result.failed_expectations.push_back(
        "converged: the running nodes had not all applied the same index at the end");
  }
  if (result.violations.size() > expect.violations) {
    result.failed_expectations.push_back(fmt::format("violations: {}, expected at most {}",
                                                     result.violations.size(), expect.violations));
  }
  if (expect.linearizable && result.linearizability_checked &&
      result.linearizability.verdict != LinearizabilityResult::Verdict::kLinearizable) {
    result.failed_expectations.push_back(fmt::format(
        "linearizable: {} ({})", to_string(result.linearizability.verdict),
        result.linearizability.key.empty() ? "-" : "key " + result.linearizability.key));
  }
}

std::string replay_command(const Scenario& scenario) {
  if (scenario.source.empty()) {
    return fmt::format("raftsim check --seeds 1 --first-seed {} --nodes {}", scenario.seed,
                       scenario.cluster.size);
  }
  return fmt::format("raftsim run {} --seed {}", scenario.source, scenario.seed);
}

}  // namespace raft::sim

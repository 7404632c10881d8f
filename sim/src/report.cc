// SPDX-License-Identifier: Apache-2.0
// Reports of a run: the terminal summary, the JSON summary and the failure
// report that names the seed and the replay command.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "raft/format.h"
#include "raft/sim/runner.h"

namespace raft::sim {
namespace {

std::string ms(const std::optional<Duration>& duration) {
  if (!duration) return "—";
  return fmt::format("{:.1f} ms", std::chrono::duration<double, std::milli>(*duration).count());
}

nlohmann::json ms_json(const std::optional<Duration>& duration) {
  if (!duration) return nullptr;
  return std::chrono::duration<double, std::milli>(*duration).count();
}

}  // namespace

std::string format_summary(const RunResult& result) {
  const RunMetrics& m = result.metrics;
  std::string out;
  out += fmt::format("scenario   {} (seed {}, {} nodes)\n", result.scenario.name,
                     result.scenario.seed, result.scenario.cluster.size);
  out += fmt::format("ran        {} ms of simulated time, {} events, stopped: {}\n",
                     format_ms(result.end), result.events_processed, to_string(result.stop));
  out += fmt::format("trace      {}\n", format_hash(result.trace_hash));
  if (m.fault_time) {
    out += fmt::format("fault      at {} ms (old leader: node {})\n", format_ms(*m.fault_time),
                       m.old_leader.value());
    out += fmt::format("detection  {}   first election timer after the fault\n", ms(m.detection));
    out += fmt::format("election   {}   new leader{} known to a majority\n", ms(m.election),
                       m.new_leader.valid() ? fmt::format(" (node {})", m.new_leader.value()) : "");
    out += fmt::format("ready      {}   new leader serving clients\n", ms(m.ready));
    out += fmt::format("RTO        {}   first successful request after the fault\n", ms(m.rto));
  }
  out += fmt::format("requests   {} attempts: {} ok, {} failed, {} timed out\n", m.requests,
                     m.requests_ok, m.requests_failed, m.requests_timed_out);
  out += fmt::format("elections  {} (pre-votes {}), leader changes {}, highest term {}\n",
                     m.elections, m.pre_votes, m.leader_changes, m.term_max.value());
  out += fmt::format("messages   {} sent, {} dropped\n", m.messages_sent, m.messages_dropped);
  if (const NodeMetrics& c = result.node_counters; c.snapshots_taken + c.snapshots_installed > 0) {
    out += fmt::format(
        "snapshots  {} taken, {} entries compacted; {} transfers ({} confirmed), {} chunks "
        "({} resent, {} bytes) sent, {} installed\n",
        c.snapshots_taken, c.entries_compacted, c.snapshot_transfers_started, c.snapshots_sent,
        c.snapshot_chunks_sent, c.snapshot_chunks_resent, c.snapshot_bytes_sent,
        c.snapshots_installed);
  }
  out += fmt::format("safety     {}\n",
                     result.violations.empty()
                         ? std::string{"ok (no violation)"}
                         : fmt::format("{} violation(s)", result.violations.size()));
  if (result.duplicate_writes > 0 || result.retries_deduplicated > 0 ||
      result.scenario.expect.duplicate_writes_max) {
    out += fmt::format(
        "duplicates {} write(s) applied more than once by some replica; {} retries answered "
        "from a session's saved reply\n",
        result.duplicate_writes, result.retries_deduplicated);
  }
  if (result.linearizability_checked) {
    out += fmt::format(
        "linearizable {}{}\n", to_string(result.linearizability.verdict),
        result.linearizability.key.empty() ? "" : " (key " + result.linearizability.key + ")");
  }
  if (result.failed_expectations.empty()) {
    out += "expect     all expectations met\n";
  } else {
    for (const std::string& failure : result.failed_expectations) {
      out += fmt::format("EXPECT     FAILED: {}\n", failure);
    }
  }
  return out;
}

std::string summary_json(const RunResult& result) {
  const RunMetrics& m = result.metrics;
  nlohmann::json json = {
      {"scenario", result.scenario.name},
      {"seed", result.scenario.seed},
      {"nodes", result.scenario.cluster.size},
      {"trace_hash", format_hash(result.trace_hash)},
      {"stop", to_string(result.stop)},
      {"simulated_ms",
       std::chrono::duration<double, std::milli>(result.end.time_since_epoch()).count()},
      {"events", result.events_processed},
      {"fault_ms", m.fault_time ? nlohmann::json(std::chrono::duration<double, std::milli>(
                                                     m.fault_time->time_since_epoch())
                                                     .count())
                                : nlohmann::json(nullptr)},
      {"detection_ms", ms_json(m.detection)},
      {"election_ms", ms_json(m.election)},
      {"ready_ms", ms_json(m.ready)},
      {"rto_ms", ms_json(m.rto)},
      {"requests", m.requests},
      {"requests_ok", m.requests_ok},
      {"failed_requests", m.failed_requests()},
      {"timed_out_requests", m.requests_timed_out},
      {"elections", m.elections},
      {"pre_votes", m.pre_votes},
      {"leader_changes", m.leader_changes},
      {"term_max", m.term_max.value()},
      {"messages_sent", m.messages_sent},
      {"messages_dropped", m.messages_dropped},
      {"violations", result.violations.size()},
      {"duplicate_writes", result.duplicate_writes},
      {"retries_deduplicated", result.retries_deduplicated},
      {"linearizable", result.linearizability_checked
                           ? nlohmann::json(to_string(result.linearizability.verdict))
                           : nlohmann::json(nullptr)},
      {"node_counters",
       {{"pre_votes_started", result.node_counters.pre_votes_started},
        {"elections_started", result.node_counters.elections_started},
        {"elections_won", result.node_counters.elections_won},
        {"elections_lost", result.node_counters.elections_lost},
        {"check_quorum_step_downs", result.node_counters.check_quorum_step_downs},
        {"votes_granted", result.node_counters.votes_granted},
        {"votes_denied", result.node_counters.votes_denied},
        {"transfers_started", result.node_counters.transfers_started},
        {"transfers_completed", result.node_counters.transfers_completed},
        {"transfers_aborted", result.node_counters.transfers_aborted},
        {"priority_handovers", result.node_counters.priority_handovers},
        {"proposals_accepted", result.node_counters.proposals_accepted},
        {"proposals_refused", result.node_counters.proposals_refused},
        {"messages_sent", result.node_counters.messages_sent},
        {"membership_changes", result.node_counters.membership_changes},
        {"snapshots_taken", result.node_counters.snapshots_taken},
        {"entries_compacted", result.node_counters.entries_compacted},
        {"snapshot_transfers_started", result.node_counters.snapshot_transfers_started},
        {"snapshots_sent", result.node_counters.snapshots_sent},
        {"snapshot_chunks_sent", result.node_counters.snapshot_chunks_sent},
        {"snapshot_chunks_resent", result.node_counters.snapshot_chunks_resent},
        {"snapshot_bytes_sent", result.node_counters.snapshot_bytes_sent},
        {"snapshots_installed", result.node_counters.snapshots_installed}}},
      {"expectations_failed", result.failed_expectations},
      {"passed", result.passed()},
  };
  return json.dump();
}

std::string format_violation_report(const RunResult& result, const std::string& replay) {
  std::string out;
  out += fmt::format("SAFETY VIOLATION  seed={}  scenario={}\n", result.scenario.seed,
                     result.scenario.name);
  for (const Violation& violation : result.violations) {
    out += fmt::format("  {} at {} ms on node {}: {}\n", violation.property,
                       format_ms(violation.time), violation.node.value(), violation.detail);
  }
  out += "last events:\n";
  for (const TraceEvent& event : result.recent) out += "  " + describe(event) + "\n";
  out += fmt::format("replay: {}\n", replay.empty() ? replay_command(result.scenario) : replay);
  return out;
}

}  // namespace raft::sim

// SPDX-License-Identifier: Apache-2.0
#include "raft/config.h"

#include <algorithm>

#include <fmt/format.h>

namespace raft {
namespace {

double to_ms(Duration duration) {
  return std::chrono::duration<double, std::milli>(duration).count();
}

Status check_members(const Config& config) {
  if (!config.id.valid()) return Status::invalid_config("id: must be non-zero");
  // A joining node (thesis §4.2.1) learns the membership from the leader.
  if (config.voters.empty() && config.learners.empty()) return {};
  if (config.voters.empty()) return Status::invalid_config("voters: must not be empty");
  for (const auto* list : {&config.voters, &config.learners}) {
    const char* name = list == &config.voters ? "voters" : "learners";
    std::vector<NodeId> sorted = *list;
    std::ranges::sort(sorted);
    if (!sorted.empty() && sorted.front() == NodeId::none()) {
      return Status::invalid_config(fmt::format("{}: node id 0 is reserved for \"no node\"", name));
    }
    if (const auto duplicate = std::ranges::adjacent_find(sorted); duplicate != sorted.end()) {
      return Status::invalid_config(
          fmt::format("{}: node {} is listed more than once", name, duplicate->value()));
    }
  }
  for (const NodeId learner : config.learners) {
    if (std::ranges::find(config.voters, learner) != config.voters.end()) {
      return Status::invalid_config(
          fmt::format("learners: node {} is also listed in voters", learner.value()));
    }
  }
  // A cluster whose only voter never campaigns could never elect anyone.
  if (config.priority == 0 && config.voters.size() == 1 && config.voters.front() == config.id) {
    return Status::invalid_config(fmt::format(
        "priority: 0 on node {}, the only voter: a priority-0 node never campaigns, so the cluster "
        "could never elect a leader",
        config.id.value()));
  }
  if (std::ranges::find(config.voters, config.id) == config.voters.end() &&
      std::ranges::find(config.learners, config.id) == config.learners.end()) {
    return Status::invalid_config(fmt::format(
        "voters: own id {} is neither a voter nor a learner (leave both lists empty to join "
        "an existing cluster)",
        config.id.value()));
  }
  return {};
}

Status check_timing(const Config& config) {
  if (config.heartbeat_interval <= Duration::zero()) {
    return Status::invalid_config("heartbeat_interval: must be positive");
  }
  if (config.election_timeout_min <= Duration::zero()) {
    return Status::invalid_config("election_timeout_min: must be positive");
  }
  if (config.heartbeat_interval >= config.election_timeout_min) {
    return Status::invalid_config(fmt::format(
        "heartbeat_interval: {} ms must be below election_timeout_min ({} ms), or followers "
        "time out between heartbeats",
        to_ms(config.heartbeat_interval), to_ms(config.election_timeout_min)));
  }
  // A range of width zero would make every node time out at once after a
  // crash, and split votes could repeat forever (Raft §5.2).
  if (config.election_timeout_max <= config.election_timeout_min) {
    return Status::invalid_config(fmt::format(
        "election_timeout_max: {} ms must be greater than election_timeout_min ({} ms); "
        "timeouts are drawn from [min, max)",
        to_ms(config.election_timeout_max), to_ms(config.election_timeout_min)));
  }
  if (config.fast_failover && config.fast_failover_delay_max <= Duration::zero()) {
    return Status::invalid_config(
        "fast_failover_delay_max: must be positive when fast_failover is on");
  }
  return {};
}

Status check_limits(const Config& config) {
  struct Limit {
    const char* name;
    std::size_t value;
  };
  const Limit limits[] = {
      {"inflight_messages_max", config.inflight_messages_max},
      {"message_bytes_max", config.message_bytes_max},
      {"committed_bytes_per_ready_max", config.committed_bytes_per_ready_max},
      {"uncommitted_bytes_max", config.uncommitted_bytes_max},
      {"snapshot_chunk_bytes", config.snapshot_chunk_bytes},
      {"snapshot_chunks_inflight_max", config.snapshot_chunks_inflight_max},
  };
  for (const Limit& limit : limits) {
    if (limit.value == 0)
      return Status::invalid_config(fmt::format("{}: must be positive", limit.name));
  }
  return {};
}

Status check_reads(const Config& config) {
  if (config.read_mode != ReadMode::kLease) return {};
  // Thesis §6.4.1: the lease holds only because voters that heard the leader
  // within election_timeout_min refuse to vote, and check-quorum (§6.2) ends a
  // leadership that lost its majority.
  if (!config.check_quorum) {
    return Status::invalid_config(
        "read_mode: lease reads need check_quorum; set check_quorum = true or use "
        "ReadMode::kReadIndex (thesis §6.4.1)");
  }
  // peer_down makes followers campaign, and their peers vote, within
  // election_timeout_min of the last heartbeat: the lease assumption breaks.
  if (config.fast_failover) {
    return Status::invalid_config(
        "read_mode: lease reads cannot be combined with fast_failover (peer_down lets followers "
        "vote within election_timeout_min of the leader's last heartbeat, which the lease "
        "relies on never happening, thesis §6.4.1); set fast_failover = false or use "
        "ReadMode::kReadIndex");
  }
  if (config.clock_drift_max < Duration::zero()) {
    return Status::invalid_config("clock_drift_max: must not be negative");
  }
  if (config.clock_drift_max >= config.election_timeout_min) {
    return Status::invalid_config(fmt::format(
        "clock_drift_max: {} ms must be below election_timeout_min ({} ms), or the lease is empty",
        to_ms(config.clock_drift_max), to_ms(config.election_timeout_min)));
  }
  return {};
}

}  // namespace

Status Config::validate() const {
  if (Status status = check_members(*this); !status.ok()) return status;
  if (Status status = check_timing(*this); !status.ok()) return status;
  if (Status status = check_reads(*this); !status.ok()) return status;
  return check_limits(*this);
}

}  // namespace raft

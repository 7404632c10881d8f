// SPDX-License-Identifier: Apache-2.0
#include "raft/config.h"

#include <algorithm>

#include <fmt/format.h>

namespace raft {
namespace {

double to_ms(Duration duration) {
  return std::chrono::duration<double, std::milli>(duration).count();
}

Status check_voters(const Config& config) {
  if (!config.id.valid()) return Status::invalid_config("id: must be non-zero");
  if (config.voters.empty()) return Status::invalid_config("voters: must not be empty");
  std::vector<NodeId> sorted = config.voters;
  std::ranges::sort(sorted);
  if (sorted.front() == NodeId::none()) {
    return Status::invalid_config("voters: node id 0 is reserved for \"no node\"");
  }
  if (const auto duplicate = std::ranges::adjacent_find(sorted); duplicate != sorted.end()) {
    return Status::invalid_config(
        fmt::format("voters: node {} is listed more than once", duplicate->value()));
  }
  if (!std::ranges::binary_search(sorted, config.id)) {
    return Status::invalid_config(
        fmt::format("voters: own id {} is not among the voters", config.id.value()));
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

}  // namespace

Status Config::validate() const {
  if (Status status = check_voters(*this); !status.ok()) return status;
  if (Status status = check_timing(*this); !status.ok()) return status;
  return check_limits(*this);
}

}  // namespace raft

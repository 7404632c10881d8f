// SPDX-License-Identifier: Apache-2.0
// ServerOptions::validate and the latency histogram: the server's plain-data parts.
#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "raft/transport/server.h"

namespace raft::transport {

Status ServerOptions::validate() const {
  if (id == NodeId::none()) return Status::invalid_config("ServerOptions::id: must be set (>= 1)");
  if (members.empty()) {
    return Status::invalid_config("ServerOptions::members: empty; list every voter, this node too");
  }
  if (!members.contains(id)) {
    return Status::invalid_config(
        fmt::format("ServerOptions::members: has no address for this node ({})", id.value()));
  }
  for (const auto& [member, address] : members) {
    if (member == NodeId::none()) {
      return Status::invalid_config("ServerOptions::members: node id 0 is reserved");
    }
    if (address.host.empty() || (address.port == 0 && member != id)) {
      return Status::invalid_config(fmt::format(
          "ServerOptions::members: node {} needs a host and a non-zero port", member.value()));
    }
  }
  if (data_dir.empty()) return Status::invalid_config("ServerOptions::data_dir: must be set");
  if (segment_bytes < 4096) {
    return Status::invalid_config("ServerOptions::segment_bytes: must be at least 4096");
  }
  if (request_timeout <= std::chrono::milliseconds::zero()) {
    return Status::invalid_config("ServerOptions::request_timeout: must be positive");
  }
  if (pending_max == 0) return Status::invalid_config("ServerOptions::pending_max: must be >= 1");
  return {};
}

void LatencyHistogram::observe(std::chrono::nanoseconds latency) noexcept {
  const double seconds = std::chrono::duration<double>(latency).count();
  // The first bound at or above the value (Prometheus buckets are "less than or equal").
  const auto* bound = std::lower_bound(kBounds.begin(), kBounds.end(), seconds);
  ++counts[static_cast<std::size_t>(bound - kBounds.begin())];
  ++count;
  sum_seconds += seconds;
}

}  // namespace raft::transport

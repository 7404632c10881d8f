// SPDX-License-Identifier: Apache-2.0
// The Prometheus text exposition (format 0.0.4) of a raft-kv node's metrics, for GET /metrics.
#pragma once

#include <string>

#include "raft/metrics.h"
#include "raft/transport/server.h"

namespace raft::kv {

/// Everything GET /metrics shows, gathered from the server in one place.
struct MetricsSnapshot {
  transport::ServerStatus status;
  transport::ServerMetrics server;
  NodeMetrics node;
  transport::TcpTransportCounters transport;
};

/// The Content-Type of render_metrics()'s text.
inline constexpr const char* kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

/// Renders `metrics` as Prometheus text: one HELP and TYPE line per family, counters ending in
/// _total, latencies as histograms in seconds with cumulative `le` buckets.
[[nodiscard]] std::string render_metrics(const MetricsSnapshot& metrics);

}  // namespace raft::kv

// SPDX-License-Identifier: Apache-2.0
// The Prometheus text of raft-kv's /metrics (examples/kv/metrics_text.h).
#include "metrics_text.h"

#include <string>

#include <gtest/gtest.h>

namespace raft::kv {
namespace {

using namespace std::chrono_literals;

bool has_line(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos;
}

TEST(KvMetricsText, HistogramsAreCumulativeWithInf) {
  MetricsSnapshot metrics;
  metrics.server.commit_latency.observe(50us);   // first bucket (0.0001)
  metrics.server.commit_latency.observe(300us);  // 0.0005
  metrics.server.commit_latency.observe(10s);    // +Inf
  const std::string text = render_metrics(metrics);
  EXPECT_TRUE(has_line(text, "# TYPE raft_commit_latency_seconds histogram")) << text;
  EXPECT_TRUE(has_line(text, R"(raft_commit_latency_seconds_bucket{le="0.0001"} 1)")) << text;
  EXPECT_TRUE(has_line(text, R"(raft_commit_latency_seconds_bucket{le="0.00025"} 1)")) << text;
  EXPECT_TRUE(has_line(text, R"(raft_commit_latency_seconds_bucket{le="0.0005"} 2)")) << text;
  EXPECT_TRUE(has_line(text, R"(raft_commit_latency_seconds_bucket{le="2.5"} 2)")) << text;
  EXPECT_TRUE(has_line(text, R"(raft_commit_latency_seconds_bucket{le="+Inf"} 3)")) << text;
  EXPECT_TRUE(has_line(text, "raft_commit_latency_seconds_count 3")) << text;
}

TEST(KvMetricsText, GaugesCountersAndPerPeerQueues) {
  MetricsSnapshot metrics;
  metrics.status.term = Term{7};
  metrics.status.role = Role::kLeader;
  metrics.status.send_queue = {{NodeId{2}, 5}, {NodeId{3}, 0}};
  metrics.node.elections_started = 3;
  metrics.server.proposals = 123456789012345ULL;  // Printed exactly, not as 1.2e14.
  metrics.transport.dropped_queue_full = 4;
  const std::string text = render_metrics(metrics);
  EXPECT_TRUE(has_line(text, "raft_term 7")) << text;
  EXPECT_TRUE(has_line(text, "raft_is_leader 1")) << text;
  EXPECT_TRUE(has_line(text, "raft_elections_total 3")) << text;
  EXPECT_TRUE(has_line(text, "# TYPE raft_elections_total counter")) << text;
  EXPECT_TRUE(has_line(text, "raft_proposals_total 123456789012345")) << text;
  EXPECT_TRUE(has_line(text, R"(raft_send_queue_messages{peer="2"} 5)")) << text;
  EXPECT_TRUE(has_line(text, R"(raft_send_queue_messages{peer="3"} 0)")) << text;
  EXPECT_TRUE(has_line(text, R"(raft_transport_dropped_total{reason="queue_full"} 4)")) << text;
  // Every family is declared once.
  EXPECT_EQ(text.find("# TYPE raft_term "), text.rfind("# TYPE raft_term "));
}

}  // namespace
}  // namespace raft::kv

// SPDX-License-Identifier: Apache-2.0
#include "metrics_text.h"

#include <cstdint>
#include <iterator>
#include <string_view>

#include <fmt/format.h>

namespace raft::kv {
namespace {

class Writer {
 public:
  explicit Writer(std::string& out) : out_(out) {}

  void header(std::string_view name, std::string_view type, std::string_view help) {
    fmt::format_to(std::back_inserter(out_), "# HELP {} {}\n# TYPE {} {}\n", name, help, name,
                   type);
  }
  // Every sample is an integer; printing it as one keeps large counters exact.
  void gauge(std::string_view name, std::string_view help, std::uint64_t value) {
    header(name, "gauge", help);
    sample(name, "", value);
  }
  void counter(std::string_view name, std::string_view help, std::uint64_t value) {
    header(name, "counter", help);
    sample(name, "", value);
  }
  void sample(std::string_view name, std::string_view labels, std::uint64_t value) {
    fmt::format_to(std::back_inserter(out_), "{}{}{}{} {}\n", name, labels.empty() ? "" : "{",
                   labels, labels.empty() ? "" : "}", value);
  }
  // Prometheus histograms are cumulative: each `le` bucket counts every observation at or
  // below its bound; LatencyHistogram keeps per-bucket counts, so they are summed here.
  void histogram(std::string_view name, std::string_view help,
                 const transport::LatencyHistogram& histogram) {
    header(name, "histogram", help);
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < transport::LatencyHistogram::kBounds.size(); ++i) {
      cumulative += histogram.counts[i];
      fmt::format_to(std::back_inserter(out_), "{}_bucket{{le=\"{}\"}} {}\n", name,
                     transport::LatencyHistogram::kBounds[i], cumulative);
    }
    cumulative += histogram.counts.back();
    fmt::format_to(std::back_inserter(out_), "{}_bucket{{le=\"+Inf\"}} {}\n", name, cumulative);
    fmt::format_to(std::back_inserter(out_), "{}_sum {}\n{}_count {}\n", name,
                   histogram.sum_seconds, name, histogram.count);
  }

 private:
  std::string& out_;
};

}  // namespace

std::string render_metrics(const MetricsSnapshot& metrics) {
  const transport::ServerStatus& status = metrics.status;
  const transport::ServerMetrics& server = metrics.server;
  const NodeMetrics& node = metrics.node;
  const transport::TcpTransportCounters& tcp = metrics.transport;
  std::string out;
  out.reserve(8192);
  Writer w{out};

  w.gauge("raft_term", "Current term.", status.term.value());
  w.gauge("raft_commit_index", "Highest log index known committed.", status.commit.value());
  w.gauge("raft_applied_index", "Highest log index applied to the state machine.",
          status.applied.value());
  w.gauge("raft_snapshot_index", "Last log index covered by the local snapshot.",
          status.snapshot_index.value());
  w.gauge("raft_is_leader", "1 when this node is the leader.",
          status.role == Role::kLeader ? 1U : 0U);
  w.gauge("raft_leader_id", "The leader this node knows of (0: none).", status.leader.value());
  w.gauge("raft_up", "1 while the server runs, 0 once it stopped.", status.health.ok() ? 1U : 0U);

  w.counter("raft_elections_total", "Elections this node started (term incremented).",
            node.elections_started);
  w.counter("raft_elections_won_total", "Elections this node won.", node.elections_won);
  w.counter("raft_pre_votes_total", "Pre-vote rounds this node started.", node.pre_votes_started);
  w.counter("raft_leader_changes_total", "Times the known leader changed.", server.leader_changes);
  w.counter("raft_proposals_total", "Proposals submitted to this server.", server.proposals);
  w.counter("raft_proposals_failed_total", "Proposals answered with an error.",
            server.proposals_failed);
  w.counter("raft_reads_total", "Linearizable reads submitted.", server.reads);
  w.counter("raft_reads_failed_total", "Linearizable reads answered with an error.",
            server.reads_failed);
  w.counter("raft_messages_rejected_total", "Received Raft messages the node refused.",
            server.messages_rejected);
  w.counter("raft_readies_total", "Ready batches handled.", server.readies);
  w.counter("raft_entries_applied_total", "Committed entries applied.", server.entries_applied);
  w.counter("raft_snapshots_taken_total", "Local snapshots of the state machine.",
            server.snapshots_taken);
  w.counter("raft_snapshots_restored_total", "State machine restores from a snapshot.",
            server.snapshots_restored);
  w.counter("raft_fsyncs_total", "Log syncs.", server.fsyncs);
  w.histogram("raft_commit_latency_seconds", "From propose() to its apply, on the proposer.",
              server.commit_latency);
  w.histogram("raft_fsync_latency_seconds", "One log sync.", server.fsync_latency);

  w.gauge("raft_pending_proposals", "Proposals waiting for an answer.", status.pending_proposals);
  w.gauge("raft_pending_reads", "Reads waiting for an answer.", status.pending_reads);
  w.header("raft_send_queue_messages", "gauge", "Messages queued for a peer in the transport.");
  for (const auto& [peer, queued] : status.send_queue) {
    w.sample("raft_send_queue_messages", fmt::format("peer=\"{}\"", peer.value()), queued);
  }

  w.counter("raft_transport_messages_sent_total", "Messages written to a socket.", tcp.sent);
  w.counter("raft_transport_writes_total", "Gathered socket writes.", tcp.writes);
  w.counter("raft_transport_messages_received_total", "Messages received.", tcp.received);
  w.counter("raft_transport_bytes_sent_total", "Bytes sent.", tcp.bytes_sent);
  w.counter("raft_transport_bytes_received_total", "Bytes received.", tcp.bytes_received);
  w.header("raft_transport_dropped_total", "counter", "Messages dropped, by reason.");
  w.sample("raft_transport_dropped_total", "reason=\"queue_full\"", tcp.dropped_queue_full);
  w.sample("raft_transport_dropped_total", "reason=\"unknown_peer\"", tcp.dropped_unknown_peer);
  w.sample("raft_transport_dropped_total", "reason=\"on_close\"", tcp.dropped_on_close);
  w.counter("raft_transport_refused_handshakes_total", "Connections refused at the handshake.",
            tcp.refused_handshakes);
  w.counter("raft_transport_protocol_errors_total", "Connections closed for a bad frame.",
            tcp.protocol_errors);
  w.counter("raft_transport_connects_total", "Outbound connections established.", tcp.connects);
  w.counter("raft_transport_connect_failures_total", "Outbound connects that failed.",
            tcp.connect_failures);
  w.counter("raft_transport_resolve_failures_total", "Dials whose host name did not resolve.",
            tcp.resolve_failures);
  w.counter("raft_transport_disconnects_total", "Established connections that ended.",
            tcp.disconnects);
  return out;
}

}  // namespace raft::kv

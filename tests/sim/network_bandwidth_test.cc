// SPDX-License-Identifier: Apache-2.0
// The simulated network's bandwidth model (LinkSpec::bandwidth), checked in
// simulated time: a message takes its size / bandwidth to transmit behind the
// messages queued before it, then the latency; a link with a bandwidth is a
// stream (FIFO); a snapshot of N bytes crosses a link of B bytes/s in about
// N / B; the loader reads the new keys and names the line of a bad one.
#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "raft/sim/cluster.h"
#include "raft/sim/scenario.h"
#include "raft/sim/scenario_loader.h"

namespace raft::sim {
namespace {

double seconds(Duration duration) { return std::chrono::duration<double>(duration).count(); }

/// 3 nodes, fixed 1 ms links (unlimited until the test sets a bandwidth), instant fsync, a
/// snapshot after every applied entry with no trailing log, so that a node that was down
/// needs the snapshot. One client writes one value of `value_bytes` at 3 s.
Scenario big_state_scenario(std::uint64_t value_bytes, std::uint64_t chunk_bytes,
                            std::uint64_t chunks_inflight) {
  Scenario scenario;
  scenario.name = "bandwidth-test";
  scenario.seed = 7;
  scenario.duration = std::chrono::hours{1};
  scenario.cluster.size = 3;
  scenario.cluster.snapshot_every = 1;
  scenario.cluster.snapshot_trailing = 0;
  scenario.cluster.snapshot_chunk_bytes = chunk_bytes;
  scenario.cluster.snapshot_chunks_inflight = chunks_inflight;
  scenario.network.defaults.latency = Distribution::fixed(1ms);
  ClientSpec client;
  client.name = "writer";
  client.mode = ClientSpec::Mode::kClosedLoop;
  client.interval = std::chrono::hours{1};  // One write.
  client.timeout = 10s;
  client.read_ratio = 0.0;
  client.keys = 1;
  client.value_bytes = value_bytes;
  // A refusal (the crashed node was asked first) moves on to the next node.
  client.retry.policy = RetrySpec::Policy::kFixed;
  client.retry.base = 100ms;
  client.retry.attempts_max = 10;
  client.start = 3s;
  scenario.clients.push_back(client);
  return scenario;
}

struct Transfer {
  Time sending;    // The leader began sending the snapshot.
  Time installed;  // The follower installed it.
  std::uint64_t bytes = 0;
  std::uint64_t chunks_sent = 0;
  std::uint64_t chunks_resent = 0;
  NetworkStats network;
};

/// Brings a follower down, lets the client's write commit and be snapshotted, then gives
/// every link `link` and restarts the follower, which must receive the snapshot.
std::optional<Transfer> transfer_snapshot(const Scenario& scenario, const LinkSpec& link) {
  Cluster cluster(scenario);
  cluster.run_until(Time{} + 2500ms);
  const NodeId leader = cluster.leader();
  if (!leader.valid()) return std::nullopt;
  const NodeId down{leader.value() % 3 + 1};
  FaultSpec crash;
  crash.kind = FaultKind::kCrash;
  crash.target = NodeSelector{NodeSelector::Kind::kId, down};
  cluster.inject(crash);
  cluster.run_until(Time{} + 6s);  // The write commits on the two others and is snapshotted.
  if (cluster.acknowledged_writes() != 1 || cluster.leader() != leader) return std::nullopt;
  FaultSpec network;
  network.kind = FaultKind::kNetworkChange;
  network.network = link;
  cluster.inject(network);
  FaultSpec restart;
  restart.kind = FaultKind::kRestart;
  restart.target = crash.target;
  cluster.inject(restart);
  cluster.run_until(Time{} + 30s);
  if (!cluster.checker().ok()) return std::nullopt;

  Transfer transfer;
  bool sending = false;
  bool installed = false;
  for (const TraceEvent& event : cluster.trace().events()) {
    const auto* record = std::get_if<NodeRecord>(&event.body);
    if (record == nullptr) continue;
    const auto* snapshot = std::get_if<SnapshotChanged>(&record->event);
    if (snapshot == nullptr) continue;
    if (!sending && event.node == leader && snapshot->phase == SnapshotChanged::Phase::kSending &&
        snapshot->peer == down) {
      transfer.sending = event.time;
      sending = true;
    }
    if (!installed && event.node == down && snapshot->phase == SnapshotChanged::Phase::kInstalled) {
      transfer.installed = event.time;
      installed = true;
    }
  }
  const Node* node = cluster.node(leader);
  if (!sending || !installed || node == nullptr) return std::nullopt;
  transfer.bytes = node->metrics().snapshot_bytes_sent;
  transfer.chunks_sent = node->metrics().snapshot_chunks_sent;
  transfer.chunks_resent = node->metrics().snapshot_chunks_resent;
  transfer.network = cluster.network_stats();
  return transfer;
}

TEST(NetworkBandwidth, MessageTakesItsSizeOverTheBandwidthThenTheLatency) {
  // A 1 MiB write over 10 MB/s links: the append that carries it arrives
  // wire_bytes / bandwidth + 1 ms after it is sent (to the nanosecond, give or take the tiny
  // heartbeats queued before it), not 1 ms as on an unlimited link.
  Scenario scenario = big_state_scenario(1U << 20U, 1U << 20U, 4);
  scenario.cluster.snapshot_every = 0;
  scenario.network.defaults.bandwidth = 10'000'000;
  Cluster cluster(scenario);
  cluster.run_until(Time{} + 5s);
  ASSERT_EQ(cluster.acknowledged_writes(), 1U);
  std::map<std::uint64_t, Time> sent;
  std::vector<double> transit;
  for (const TraceEvent& event : cluster.trace().events()) {
    const auto* message = std::get_if<MessageRecord>(&event.body);
    if (message == nullptr || message->entries == 0) continue;
    if (message->fate == MessageRecord::Fate::kSent) sent.emplace(message->id, event.time);
    if (message->fate == MessageRecord::Fate::kDelivered && sent.contains(message->id)) {
      transit.push_back(seconds(event.time - sent[message->id]));
    }
  }
  // The big append is the slowest message with entries.
  ASSERT_FALSE(transit.empty());
  const double slowest = *std::ranges::max_element(transit);
  const double expected = (double{1U << 20U} + 200) / 10e6 + 0.001;  // Value plus headers.
  EXPECT_NEAR(slowest, expected, expected * 0.01) << "transit " << slowest << " s";
  // Every byte a node sent was charged.
  EXPECT_GT(cluster.network_stats().bytes_sent, 2 * (1U << 20U));
}

TEST(NetworkBandwidth, UnlimitedLinkHasNoSerializationDelay) {
  Scenario scenario = big_state_scenario(1U << 20U, 1U << 20U, 4);
  scenario.cluster.snapshot_every = 0;
  Cluster cluster(scenario);
  cluster.run_until(Time{} + 5s);
  ASSERT_EQ(cluster.acknowledged_writes(), 1U);
  std::map<std::uint64_t, Time> sent;
  for (const TraceEvent& event : cluster.trace().events()) {
    const auto* message = std::get_if<MessageRecord>(&event.body);
    if (message == nullptr) continue;
    if (message->fate == MessageRecord::Fate::kSent) sent.emplace(message->id, event.time);
    if (message->fate == MessageRecord::Fate::kDelivered) {
      EXPECT_EQ(event.time - sent[message->id], Duration{1ms});
    }
  }
}

TEST(NetworkBandwidth, WireBytesCountPayloadAndHeaders) {
  Message append{NodeId{1}, NodeId{2}, Term{1}, AppendRequest{}};
  const std::uint64_t empty = wire_bytes(append);
  EXPECT_GT(empty, 0U);
  std::get<AppendRequest>(append.body)
      .entries.push_back(
          Entry{Term{1}, Index{1}, EntryType::kNormal, Payload{std::vector<std::byte>(1000)}});
  EXPECT_EQ(wire_bytes(append), empty + 1000 + Entry::kHeaderBytes);
  InstallSnapshot chunk;
  chunk.data = Payload{std::vector<std::byte>(4096)};
  EXPECT_GE(wire_bytes(Message{NodeId{1}, NodeId{2}, Term{1}, chunk}), 4096U);
  EXPECT_LT(wire_bytes(Message{NodeId{1}, NodeId{2}, Term{1}, chunk}), 4096U + 128);
}

TEST(NetworkBandwidth, SnapshotOfNBytesCrossesInAboutNOverB) {
  // 4 MiB in 256 KiB chunks, 4 in flight, over 10 MB/s with 1 ms latency: the window
  // (1 MiB, 105 ms) covers the bandwidth-delay product (10 MB/s x (2 ms + 26 ms per chunk)),
  // so the link never idles and the transfer takes N / B, plus one latency, within 10 %.
  const std::uint64_t chunk = 256U << 10U;
  const Scenario scenario = big_state_scenario(4U << 20U, chunk, 4);
  LinkSpec link;
  link.latency = Distribution::fixed(1ms);
  link.bandwidth = 10'000'000;
  const std::optional<Transfer> transfer = transfer_snapshot(scenario, link);
  ASSERT_TRUE(transfer.has_value());
  EXPECT_GE(transfer->bytes, 4U << 20U);
  const double took = seconds(transfer->installed - transfer->sending);
  const double ideal = static_cast<double>(transfer->bytes) / 10e6;
  EXPECT_GE(took, ideal) << "faster than the link";
  EXPECT_LE(took, ideal * 1.10) << "took " << took << " s for " << transfer->bytes << " bytes";
  EXPECT_EQ(transfer->chunks_resent, 0U);
  EXPECT_EQ(transfer->chunks_sent, (transfer->bytes + chunk - 1) / chunk);
  // At most the window of chunks is ever held outside the two nodes' storage.
  EXPECT_GT(transfer->network.snapshot_bytes_held_max, 0U);
  EXPECT_LE(transfer->network.snapshot_bytes_held_max, 4 * chunk);
  EXPECT_EQ(transfer->network.snapshot_bytes_held, 0U);
}

TEST(NetworkBandwidth, SmallWindowIsBoundByWindowOverRoundTrip) {
  // One 64 KiB chunk in flight over 100 MB/s with 5 ms of latency: the link could carry
  // 1 MB per round trip but the window allows 64 KiB, so the rate is W*C / (RTT + C/B),
  // far below B: the bandwidth model does not hide a too-small window. (The last chunk's
  // round ends at the install, before its reply travels back: one latency less.)
  const std::uint64_t chunk = 64U << 10U;
  const Scenario scenario = big_state_scenario(1U << 20U, chunk, 1);
  LinkSpec link;
  link.latency = Distribution::fixed(5ms);
  link.bandwidth = 100'000'000;
  const std::optional<Transfer> transfer = transfer_snapshot(scenario, link);
  ASSERT_TRUE(transfer.has_value());
  const double took = seconds(transfer->installed - transfer->sending);
  const double chunks = static_cast<double>(transfer->chunks_sent);
  const double per_round = 0.010 + static_cast<double>(chunk) / 100e6;
  const double expected = chunks * per_round - 0.005;
  EXPECT_NEAR(took, expected, expected * 0.02) << took;
}

TEST(NetworkBandwidth, SlowLinkWhereAChunkOutlastsAHeartbeatStillFinishes) {
  // 1 MiB chunks over 5 MB/s take 210 ms each, two heartbeat intervals: the leader's resend
  // timer fires before the first answer and resends the window behind itself. It backs off
  // (NodeImpl::snapshot_timeouts), so the transfer finishes near the link's rate instead of
  // resending forever.
  const std::uint64_t chunk = 1U << 20U;
  const Scenario scenario = big_state_scenario(4U << 20U, chunk, 4);
  LinkSpec link;
  link.latency = Distribution::fixed(1ms);
  link.bandwidth = 5'000'000;
  const std::optional<Transfer> transfer = transfer_snapshot(scenario, link);
  ASSERT_TRUE(transfer.has_value()) << "the transfer never finished";
  const double took = seconds(transfer->installed - transfer->sending);
  // One window resent at most (the first, spurious timeout; later answers to the
  // duplicates keep the timer quiet), and otherwise the link stays busy.
  EXPECT_LE(transfer->chunks_resent, 4U);
  const double carried = static_cast<double>(transfer->bytes);  // Resends included.
  EXPECT_LE(took, carried / 5e6 * 1.10) << took;
}

TEST(NetworkBandwidth, LinkWithBandwidthIsAStreamUnderJitter) {
  // Latency jitter of 1-20 ms reorders messages on a datagram link (bandwidth 0) but not on
  // a link with a bandwidth: there, no message overtakes one sent before it, so the
  // go-back-N snapshot transfer resends nothing.
  const std::uint64_t chunk = 128U << 10U;
  const Scenario scenario = big_state_scenario(2U << 20U, chunk, 8);
  // Writes every 2 ms from 6 s: messages on a direction close enough together to overtake.
  Scenario busy = scenario;
  ClientSpec load;
  load.name = "load";
  load.interval = 2ms;
  load.keys = 10;
  load.start = 6s;
  busy.clients.push_back(load);
  for (const std::uint64_t bandwidth : {std::uint64_t{0}, std::uint64_t{50'000'000}}) {
    SCOPED_TRACE(bandwidth);
    LinkSpec link;
    link.latency = Distribution::uniform(1ms, 20ms);
    link.bandwidth = bandwidth;
    Cluster cluster(busy);
    cluster.run_until(Time{} + 6s);
    FaultSpec network;
    network.kind = FaultKind::kNetworkChange;
    network.network = link;
    cluster.inject(network);
    cluster.run_until(Time{} + 10s);
    ASSERT_TRUE(cluster.checker().ok());
    // Message ids grow in send order; on each direction, count deliveries that arrive
    // after a message sent later.
    std::map<std::pair<std::uint64_t, std::uint64_t>, std::uint64_t> last_id;
    std::uint64_t overtaken = 0;
    std::uint64_t deliveries = 0;
    for (const TraceEvent& event : cluster.trace().events()) {
      const auto* message = std::get_if<MessageRecord>(&event.body);
      if (message == nullptr || message->fate != MessageRecord::Fate::kDelivered) continue;
      if (event.time < Time{} + 6s) continue;
      ++deliveries;
      std::uint64_t& last = last_id[{message->from.value(), message->to.value()}];
      if (message->id < last) ++overtaken;
      last = std::max(last, message->id);
    }
    ASSERT_GT(deliveries, 100U);
    if (bandwidth == 0) {
      EXPECT_GT(overtaken, 0U) << "jitter should reorder a datagram link";
    } else {
      EXPECT_EQ(overtaken, 0U);
    }
  }
  // A snapshot over the jittery stream: no chunk is resent.
  LinkSpec link;
  link.latency = Distribution::uniform(1ms, 20ms);
  link.bandwidth = 50'000'000;
  const std::optional<Transfer> transfer = transfer_snapshot(scenario, link);
  ASSERT_TRUE(transfer.has_value());
  EXPECT_EQ(transfer->chunks_resent, 0U);
  EXPECT_LE(transfer->network.snapshot_bytes_held_max, 8 * chunk);
}

// ---- the loader ----

Result<Scenario> parse(const std::string& yaml) { return parse_scenario(yaml, "bw.yaml"); }

TEST(NetworkBandwidthLoader, ReadsBytesAndUnits) {
  const std::vector<std::pair<std::string, std::uint64_t>> cases = {
      {"0", 0},
      {"1_000_000", 1'000'000},
      {"100MB/s", 100'000'000},
      {"1.5GB/s", 1'500'000'000},
      {"1GiB/s", 1U << 30U},
      {"64KiB/s", 64U << 10U},
      {"800Mbit/s", 100'000'000},
      {"1Gbit/s", 125'000'000},
      {"250 kB/s", 250'000},
  };
  for (const auto& [text, bytes] : cases) {
    const Result<Scenario> scenario = parse("network: {bandwidth: " + text + "}\n");
    ASSERT_TRUE(scenario.ok()) << text << ": " << scenario.status().to_string();
    EXPECT_EQ(scenario->network.defaults.bandwidth, bytes) << text;
  }
}

TEST(NetworkBandwidthLoader, LinksAndTimelineTakeABandwidth) {
  const Result<Scenario> scenario = parse(
      "cluster: {size: 3}\n"
      "network:\n"
      "  bandwidth: 1GB/s\n"
      "  links:\n"
      "    - {from: 1, to: 2, bandwidth: 10MB/s}\n"
      "    - {from: 2, to: 1}\n"
      "timeline:\n"
      "  - {at: 5s, network: {bandwidth: 2MB/s}}\n"
      "  - {at: 9s, network: {loss: 0.1}}\n");
  ASSERT_TRUE(scenario.ok()) << scenario.status().to_string();
  EXPECT_EQ(scenario->network.links.at(0).link.bandwidth, 10'000'000U);
  EXPECT_EQ(scenario->network.links.at(1).link.bandwidth, 1'000'000'000U);  // The default.
  ASSERT_EQ(scenario->faults.size(), 2U);
  EXPECT_EQ(scenario->faults[0].network->bandwidth, 2'000'000U);
  EXPECT_EQ(scenario->faults[1].network->bandwidth, 2'000'000U);  // Kept from the change before.
}

TEST(NetworkBandwidthLoader, BadBandwidthNamesFileLineAndField) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"network:\n  latency: 1ms\n  bandwidth: fast\n", "bw.yaml:3: network.bandwidth:"},
      {"network:\n  bandwidth: -5MB/s\n", "bw.yaml:2: network.bandwidth: '-5MB/s' is negative"},
      {"network:\n  bandwidth: fast\n", "'fast' is not a bandwidth (e.g. 100MB/s"},
      {"network:\n  bandwidth: 10MB\n", "unknown unit"},
      {"network:\n  bandwidth: 0.1bit/s\n", "below 1 byte/s"},
      {"cluster: {size: 3}\nnetwork:\n  links:\n    - {from: 1, to: 2, bandwidth: x}\n",
       "bw.yaml:4: network.links[0].bandwidth:"},
      {"timeline:\n  - {at: 1s, network: {bandwidth: 1TB}}\n",
       "bw.yaml:2: timeline[0].network.bandwidth:"},
      {"clients:\n  - {name: a, value_bytes: 2000000000}\n", "clients[0].value_bytes"},
  };
  for (const auto& [yaml, expected] : cases) {
    const Result<Scenario> scenario = parse(yaml);
    ASSERT_FALSE(scenario.ok()) << yaml;
    EXPECT_NE(scenario.status().to_string().find(expected), std::string::npos)
        << scenario.status().to_string();
  }
}

TEST(NetworkBandwidthLoader, OverrideSetsBandwidthAndValueSize) {
  Result<Scenario> scenario = parse("clients:\n  - {name: a}\n");
  ASSERT_TRUE(scenario.ok());
  ASSERT_TRUE(apply_override(*scenario, "network.bandwidth=100MB/s").ok());
  EXPECT_EQ(scenario->network.defaults.bandwidth, 100'000'000U);
  ASSERT_TRUE(apply_override(*scenario, "clients.0.value_bytes=4096").ok());
  EXPECT_EQ(scenario->clients[0].value_bytes, 4096U);
  const Status bad = apply_override(*scenario, "network.bandwidth=lots");
  EXPECT_FALSE(bad.ok());
  EXPECT_NE(bad.to_string().find("network.bandwidth"), std::string::npos) << bad.to_string();
}

}  // namespace
}  // namespace raft::sim

// SPDX-License-Identifier: Apache-2.0
// A minimal cluster driver for benchmarks: N raft::Nodes in one thread, each with a MemoryLog,
// messages handed over by direct function calls (zero latency, no copies beyond the move).
// It follows the driver contract of raft/ready.h and does nothing else, so that a benchmark
// measures the core and not the harness. The simulator (sim/) is the place for latency,
// faults and invariant checks; none of that is here.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "raft/config.h"
#include "raft/entry.h"
#include "raft/message.h"
#include "raft/node.h"
#include "raft/ready.h"
#include "raft/storage/memory_log.h"
#include "raft/types.h"

namespace raft::bench {

/// Aborts with a message: a benchmark whose cluster misbehaves must not report a number.
[[noreturn]] inline void die(const char* what, const Status& status) {
  std::fprintf(stderr, "direct_cluster: %s: %s\n", what, status.to_string().c_str());
  std::abort();
}

/// N nodes with ids 1..N, driven by direct calls. Node i (0-based) has id i + 1.
class DirectCluster {
 public:
  /// Creates `size` nodes at time zero with fresh logs. Every node gets the same
  /// Config::random_seed; the core mixes in the node id (config.h).
  DirectCluster(std::size_t size, std::uint64_t seed, bool pre_vote = true) {
    std::vector<NodeId> voters;
    voters.reserve(size);
    for (std::size_t i = 0; i < size; ++i) voters.emplace_back(i + 1);
    logs_.reserve(size);
    nodes_.reserve(size);
    applied_.assign(size, 0);
    reads_.assign(size, 0);
    read_id_sum_.assign(size, 0);
    for (std::size_t i = 0; i < size; ++i) {
      Config config;
      config.id = voters[i];
      config.voters = voters;
      config.random_seed = seed;
      config.pre_vote = pre_vote;
      logs_.push_back(std::make_unique<storage::MemoryLog>());
      Result<Node> node = Node::create(config, *logs_.back(), now_);
      if (!node.ok()) die("Node::create", node.status());
      nodes_.push_back(std::move(node).value());
    }
  }

  [[nodiscard]] std::size_t size() const noexcept { return nodes_.size(); }
  [[nodiscard]] Node& node(std::size_t i) noexcept { return nodes_[i]; }
  [[nodiscard]] storage::MemoryLog& log(std::size_t i) noexcept { return *logs_[i]; }
  [[nodiscard]] Time now() const noexcept { return now_; }

  /// Normal (application) entries node i has applied so far. No-ops are not counted.
  [[nodiscard]] std::uint64_t applied(std::size_t i) const noexcept { return applied_[i]; }
  /// Reads (Node::read_index) node i got confirmed so far. In this driver every
  /// node applies what commits in the same Ready, so a confirmed read is servable.
  [[nodiscard]] std::uint64_t reads_served(std::size_t i) const noexcept { return reads_[i]; }
  /// The sum of the request ids of those reads (wrapping): checks that each was served once.
  [[nodiscard]] std::uint64_t read_id_sum(std::size_t i) const noexcept { return read_id_sum_[i]; }
  /// The fewest application entries any node has applied: what the whole cluster has applied.
  [[nodiscard]] std::uint64_t applied_everywhere() const noexcept {
    return *std::min_element(applied_.begin(), applied_.end());
  }

  /// Moves every node's clock to `now`.
  void tick_all(Time now) {
    now_ = now;
    for (Node& node : nodes_) node.tick(now);
  }

  /// Jumps to the earliest deadline of any node and ticks every node there (a driver with
  /// one shared clock). Returns false when no node has a deadline.
  bool tick_to_next_deadline() {
    Time next = kTimeNever;
    for (const Node& node : nodes_) next = std::min(next, node.next_deadline());
    if (next == kTimeNever) return false;
    tick_all(std::max(next, now_));
    return true;
  }

  /// One wave: handle every node's pending Ready (persist, collect messages, apply,
  /// advance), then deliver the collected messages. Returns false when there was nothing
  /// to do, i.e. the cluster is quiet.
  bool wave() {
    bool worked = false;
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      if (nodes_[i].has_ready()) {
        handle_ready(i);
        worked = true;
      }
    }
    return deliver() != 0 || worked;
  }

  /// Runs waves until nothing is left to do. Returns the number of waves that did work.
  std::size_t stabilize() {
    std::size_t waves = 0;
    while (wave()) ++waves;
    return waves;
  }

  /// Messages delivered since construction.
  [[nodiscard]] std::uint64_t messages_delivered() const noexcept { return delivered_; }

  /// The index of the node in the leader role with the highest term, if any.
  [[nodiscard]] std::optional<std::size_t> leader_index() const noexcept {
    std::optional<std::size_t> found;
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      if (nodes_[i].role() != Role::kLeader) continue;
      if (!found || nodes_[i].term() > nodes_[*found].term()) found = i;
    }
    return found;
  }

  /// True when some leader is known (Node::leader()) by a majority, itself included.
  [[nodiscard]] bool leader_known_by_majority() const noexcept {
    const std::optional<std::size_t> leader = leader_index();
    if (!leader) return false;
    const NodeId id = nodes_[*leader].id();
    std::size_t knowing = 0;
    for (const Node& node : nodes_) knowing += node.leader() == id ? 1U : 0U;
    return knowing * 2 > nodes_.size();
  }

  /// From the current state, jumps from deadline to deadline (handling every message at
  /// zero latency) until a leader is known by a majority. Returns the simulated time then,
  /// or nullopt if none emerged by `limit`.
  std::optional<Time> elect(Time limit) {
    while (!leader_known_by_majority()) {
      if (wave()) continue;
      if (!tick_to_next_deadline() || now_ > limit) return std::nullopt;
    }
    return now_;
  }

  /// Keeps the in-memory logs bounded: once a log holds more than `keep + slack` entries,
  /// discards everything but the last `keep` entries that every node has applied. Safe here
  /// because every follower has the compacted entries (no snapshots are needed).
  void compact(std::uint64_t keep = 1024, std::uint64_t slack = 8192) {
    Index applied_all = nodes_[0].applied_index();
    for (const Node& node : nodes_) applied_all = std::min(applied_all, node.applied_index());
    for (auto& log : logs_) {
      if (Index::distance(log->first_index(), applied_all) <= keep + slack) continue;
      log->compact(applied_all - keep);
    }
  }

 private:
  void handle_ready(std::size_t i) {
    Ready ready = nodes_[i].ready();
    // 1. persist (memory: nothing to sync), 2-3. send, 4. apply, 5. advance (ready.h).
    logs_[i]->persist(ready);
    for (Message& message : ready.messages) outbox_.push_back(std::move(message));
    for (Message& message : ready.messages_after_persist) outbox_.push_back(std::move(message));
    for (const Entry& entry : ready.committed) {
      if (entry.type == EntryType::kNormal) ++applied_[i];
    }
    // Serving a read is the application's work; here it touches each id (a checksum the
    // benchmark verifies), as a server would look each one up.
    for (const ReadState& read : ready.reads) {
      if (!read.ok()) die("read_index", read.status());
      for (const std::uint64_t id : read.request_ids) read_id_sum_[i] += id;
      reads_[i] += read.request_ids.size();
    }
    nodes_[i].advance(std::move(ready));
  }

  std::size_t deliver() {
    // Swap so that the messages produced while delivering wait for the next wave.
    inbox_.swap(outbox_);
    for (Message& message : inbox_) {
      const std::size_t to = static_cast<std::size_t>(message.to.value() - 1);
      const Status status = nodes_[to].step(std::move(message));
      if (!status.ok()) die("Node::step", status);
    }
    const std::size_t delivered = inbox_.size();
    delivered_ += delivered;
    inbox_.clear();
    return delivered;
  }

  Time now_{};
  std::vector<std::unique_ptr<storage::MemoryLog>> logs_;  // Nodes hold references: stable.
  std::vector<Node> nodes_;
  std::vector<std::uint64_t> applied_;
  std::vector<std::uint64_t> reads_;
  std::vector<std::uint64_t> read_id_sum_;
  std::uint64_t delivered_ = 0;
  std::vector<Message> outbox_;
  std::vector<Message> inbox_;
};

}  // namespace raft::bench

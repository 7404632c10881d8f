// SPDX-License-Identifier: Apache-2.0
// TinyCluster: the smallest honest driver for a few raft::Nodes in one process, written to be
// read. Virtual time, a time-ordered delivery queue, fixed per-link latencies, process crashes.
// The real simulator (sim/) adds loss, partitions, disks, clients and invariant checks; this
// file shows only the driver contract of raft/node.h and raft/ready.h:
//
//   tick(now) at next_deadline() and before step();  step() each message;  then
//   while (node.has_ready()) { persist; send; apply; advance(); }
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <utility>
#include <variant>
#include <vector>

#include "raft/assert.h"
#include "raft/config.h"
#include "raft/events.h"
#include "raft/message.h"
#include "raft/node.h"
#include "raft/prng.h"
#include "raft/ready.h"
#include "raft/storage/memory_log.h"
#include "raft/types.h"

namespace example {

using raft::Duration;
using raft::NodeId;
using raft::Time;

/// What the cluster reports while it runs; main() prints it as a timeline.
struct Observer {
  /// A node's event (role, term, vote, leader, commit), stamped with the node's time.
  std::function<void(NodeId node, const raft::Event& event)> event;
  /// `node`'s transport saw its connection to `peer` reset and called peer_down(peer).
  std::function<void(Time time, NodeId node, NodeId peer)> peer_down;
};

/// N nodes (ids 1..N) in one process. Each node keeps its log in a MemoryLog; messages travel
/// through one queue ordered by delivery time. Every directed link (a -> b) has a fixed one-way
/// latency drawn once, at start, from the seed: messages on a link arrive in order, as on TCP.
class TinyCluster {
 public:
  struct Options {
    std::size_t nodes = 5;
    std::uint64_t seed = 1;
    Duration latency_min = std::chrono::milliseconds{1};
    Duration latency_max = std::chrono::milliseconds{5};
    /// Whether a crash resets connections that the survivors' transports notice (a process
    /// crash: the kernel answers with RST), or the machine vanishes silently (no signal).
    bool connection_reset_on_crash = true;
  };

  TinyCluster(const Options& options, Observer observer)
      : options_(options), observer_(std::move(observer)), network_prng_(options.seed) {
    std::vector<NodeId> voters;
    for (std::size_t i = 1; i <= options.nodes; ++i) voters.emplace_back(i);
    for (const NodeId id : voters) {
      // Config's defaults are etcd's: heartbeat 100 ms, election timeout [1000, 2000) ms;
      // pre-vote, check-quorum and fast failover are on.
      raft::Config config;
      config.id = id;
      config.voters = voters;
      config.random_seed = options.seed;  // the core mixes in the id
      auto log = std::make_unique<raft::storage::MemoryLog>();
      auto node = raft::Node::create(config, *log, now_);
      RAFT_ASSERT_MSG(node.ok(), "invalid configuration");
      servers_.push_back(Server{std::move(log), std::move(node).value(), true});
    }
    // One latency per directed link, uniform in [min, max] at microsecond resolution.
    const auto min_us = std::chrono::duration_cast<std::chrono::microseconds>(options.latency_min);
    const auto span_us =
        std::chrono::duration_cast<std::chrono::microseconds>(options.latency_max) - min_us;
    latency_.resize(options.nodes * options.nodes);
    for (Duration& latency : latency_) {
      const auto draw = network_prng_.uniform(static_cast<std::uint64_t>(span_us.count()) + 1);
      latency = min_us + std::chrono::microseconds{static_cast<std::int64_t>(draw)};
    }
  }

  [[nodiscard]] Time now() const noexcept { return now_; }
  [[nodiscard]] const raft::Node& node(NodeId id) const { return server(id).node; }
  [[nodiscard]] bool alive(NodeId id) const { return server(id).alive; }

  /// The live node in the leader role with the highest term, if any.
  [[nodiscard]] std::optional<NodeId> leader() const {
    std::optional<NodeId> found;
    for (const Server& s : servers_) {
      if (!s.alive || s.node.role() != raft::Role::kLeader) continue;
      if (!found || s.node.term() > node(*found).term()) found = s.node.id();
    }
    return found;
  }

  /// Kills `id` now: it stops ticking and receiving. Messages it already sent are on the
  /// wire and still arrive. With connection_reset_on_crash, each survivor's transport sees
  /// the reset one link latency later and reports it with Node::peer_down().
  void crash(NodeId id) {
    server(id).alive = false;
    if (!options_.connection_reset_on_crash) return;
    for (Server& s : servers_) {
      if (s.alive) schedule(now_ + link_latency(id, s.node.id()), s.node.id(), PeerDown{id});
    }
  }

  /// Runs events in time order until the next one would be after `until`, or until `stop`
  /// returns true (checked before each event). Returns true if stopped by `stop`.
  bool run_until(Time until, const std::function<bool()>& stop = {}) {
    while (!(stop && stop())) {
      // The next thing to happen: a node's deadline, or a delivery. Timers go first on a tie.
      std::optional<NodeId> due;
      Time next = raft::kTimeNever;
      for (const Server& s : servers_) {
        if (s.alive && s.node.next_deadline() < next) {
          next = s.node.next_deadline();
          due = s.node.id();
        }
      }
      const bool deliver = !queue_.empty() && queue_.begin()->first.first < next;
      if (deliver) next = queue_.begin()->first.first;
      if (next > until) {
        now_ = until;
        return false;
      }
      now_ = next;
      if (deliver) {
        deliver_next();
      } else {
        server(*due).node.tick(now_);
        handle_readies(server(*due));
      }
    }
    return true;
  }

 private:
  struct Server {
    std::unique_ptr<raft::storage::MemoryLog> log;  // the node reads it: keep its address
    raft::Node node;
    bool alive;
  };
  struct PeerDown {
    NodeId peer;
  };
  using Delivery = std::variant<raft::Message, PeerDown>;

  Server& server(NodeId id) { return servers_.at(id.value() - 1); }
  const Server& server(NodeId id) const { return servers_.at(id.value() - 1); }
  Duration link_latency(NodeId from, NodeId to) const {
    return latency_.at((from.value() - 1) * options_.nodes + (to.value() - 1));
  }

  void schedule(Time at, NodeId to, Delivery delivery) {
    // The sequence number orders deliveries due at the same instant: first sent, first in.
    queue_.emplace(std::pair{at, next_sequence_++}, std::pair{to, std::move(delivery)});
  }

  void deliver_next() {
    auto [to, delivery] = std::move(queue_.begin()->second);
    queue_.erase(queue_.begin());
    Server& target = server(to);
    if (!target.alive) return;  // sent to a dead process: lost
    target.node.tick(now_);     // the node must see the message at the right time
    if (auto* message = std::get_if<raft::Message>(&delivery)) {
      // Stale, duplicate or unexpected messages are the node's to ignore; an error here
      // would be a driver bug (a wrong address).
      const raft::Status status = target.node.step(std::move(*message));
      RAFT_ASSERT_MSG(status.ok(), "step() refused a message");
    } else {
      const NodeId peer = std::get<PeerDown>(delivery).peer;
      if (observer_.peer_down) observer_.peer_down(now_, to, peer);
      target.node.peer_down(peer);
    }
    handle_readies(target);
  }

  // The Ready loop of ready.h. Persisting to a MemoryLog is instant, so the messages that
  // must wait for the persist can go at once.
  void handle_readies(Server& s) {
    while (s.node.has_ready()) {
      raft::Ready ready = s.node.ready();
      s.log->persist(ready);  // 1. persist hard state and entries
      for (raft::Message& message : ready.messages) send(std::move(message));  // 2. send
      for (raft::Message& message : ready.messages_after_persist) send(std::move(message));  // 3.
      // 4. apply: this example has no state machine; the committed entries are dropped.
      if (observer_.event) {
        for (const raft::Event& event : ready.events) observer_.event(s.node.id(), event);
      }
      s.node.advance(std::move(ready));  // 5. acknowledge
    }
  }

  void send(raft::Message message) {
    const NodeId to = message.to;
    schedule(now_ + link_latency(message.from, to), to, std::move(message));
  }

  Options options_;
  Observer observer_;
  raft::Prng network_prng_;
  Time now_{};
  std::vector<Server> servers_;
  std::vector<Duration> latency_;  // [from - 1][to - 1], flattened
  std::map<std::pair<Time, std::uint64_t>, std::pair<NodeId, Delivery>> queue_;
  std::uint64_t next_sequence_ = 0;
};

}  // namespace example

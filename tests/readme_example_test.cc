// SPDX-License-Identifier: Apache-2.0
// The "embed the core" example of README.md, kept compiling and passing. The lines between the
// README-EXAMPLE markers are pasted into README.md as they are: keep them short and readable.

#include <gtest/gtest.h>

// README-EXAMPLE-BEGIN
#include <chrono>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "raft/node.h"
#include "raft/storage/memory_log.h"

// Three nodes in one process, one queue for the network: they elect a leader, which replicates
// one command to every state machine.
TEST(ReadmeExample, ThreeNodesElectALeaderAndReplicateACommand) {
  using namespace std::chrono_literals;
  const std::vector<raft::NodeId> ids = {raft::NodeId{1}, raft::NodeId{2}, raft::NodeId{3}};
  std::map<raft::NodeId, raft::storage::MemoryLog> disks;    // What each node persisted.
  std::map<raft::NodeId, std::vector<std::string>> applied;  // Each node's state machine.
  std::map<raft::NodeId, raft::Node> nodes;
  std::deque<raft::Message> network;
  for (const raft::NodeId id : ids) {
    raft::Config config;  // Defaults: 100 ms heartbeats, 1-2 s election timeouts, pre-vote.
    config.id = id;
    config.voters = ids;
    nodes.emplace(id, raft::Node::create(config, disks[id]).value());
  }
  // The driver loop of raft/ready.h: persist, send, apply, acknowledge.
  auto drive = [&](raft::Node& node) {
    while (node.has_ready()) {
      raft::Ready ready = node.ready();
      disks[node.id()].persist(ready);
      for (const raft::Message& m : ready.messages) network.push_back(m);
      for (const raft::Message& m : ready.messages_after_persist) network.push_back(m);
      for (const raft::Entry& e : ready.committed) {  // Skips the leaders' empty no-ops.
        if (!e.payload.empty()) applied[node.id()].emplace_back(e.payload.as_string());
      }
      node.advance(std::move(ready));
    }
  };
  bool proposed = false;
  for (raft::Time now{}; now < raft::Time{} + 5s; now += 10ms) {  // Time is an input.
    for (auto& [id, node] : nodes) {
      node.tick(now);  // Fires the election timeouts and heartbeats that are due.
      if (node.role() == raft::Role::kLeader && !proposed) {
        proposed = node.propose(raft::Payload{"x=1"}).ok();
      }
      drive(node);
    }
    while (!network.empty()) {  // Deliver every message, and the replies it causes.
      raft::Message message = std::move(network.front());
      network.pop_front();
      raft::Node& to = nodes.at(message.to);
      EXPECT_TRUE(to.step(std::move(message)).ok());
      drive(to);
    }
  }
  for (const raft::NodeId id : ids) EXPECT_EQ(applied[id], std::vector<std::string>{"x=1"});
}
// README-EXAMPLE-END

// SPDX-License-Identifier: Apache-2.0
// The Raft paper tests' helpers (paper_test_util.h).
#include "paper_test_util.h"

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <gtest/gtest.h>

#include "raft/config.h"
#include "raft/entry.h"
#include "raft/events.h"
#include "raft/format.h"
#include "raft/invariants.h"
#include "raft/message.h"
#include "raft/node.h"
#include "raft/ready.h"
#include "raft/status.h"
#include "raft/storage/memory_log.h"
#include "raft/types.h"

namespace raft::test {

Config config_for(std::uint64_t self, std::uint64_t size) {
  Config config;
  config.id = NodeId{self};
  for (std::uint64_t voter = 1; voter <= size; ++voter) config.voters.push_back(NodeId{voter});
  config.heartbeat_interval = kHeartbeat;
  config.election_timeout_min = kElectionMin;
  config.election_timeout_max = kElectionMax;
  config.pre_vote = false;
  config.check_quorum = false;
  config.fast_failover = false;
  config.random_seed = 7;
  return config;
}

Entry entry(std::uint64_t term, std::uint64_t index) {
  return Entry{Term{term}, Index{index}, EntryType::kNormal,
               Payload{fmt::format("{}.{}", term, index)}};
}

std::vector<Entry> log_of(const std::vector<std::uint64_t>& terms) {
  std::vector<Entry> entries;
  for (std::size_t i = 0; i < terms.size(); ++i) entries.push_back(entry(terms[i], i + 1));
  return entries;
}

std::vector<std::uint64_t> terms_of(const Node& node) {
  std::vector<std::uint64_t> terms;
  auto entries = node.log_entries(node.first_index(), node.last_index().next());
  EXPECT_TRUE(entries.ok()) << entries.status().to_string();
  if (entries.ok()) {
    for (const Entry& e : *entries) terms.push_back(e.term.value());
  }
  return terms;
}

// ---- Message builders ----------------------------------------------------------------------

Message vote_request(std::uint64_t from, std::uint64_t to, std::uint64_t term,
                     std::uint64_t last_index, std::uint64_t last_term, bool pre_vote) {
  return Message{NodeId{from}, NodeId{to}, Term{term},
                 VoteRequest{Index{last_index}, Term{last_term}, pre_vote}};
}

Message vote_reply(std::uint64_t from, std::uint64_t to, std::uint64_t term, bool granted,
                   bool pre_vote) {
  return Message{
      NodeId{from}, NodeId{to}, Term{term},
      VoteReply{granted, pre_vote, granted ? VoteDenial::kNone : VoteDenial::kAlreadyVoted}};
}

Message append_request(std::uint64_t from, std::uint64_t to, std::uint64_t term,
                       std::uint64_t prev_index, std::uint64_t prev_term, std::uint64_t commit,
                       std::vector<Entry> entries) {
  return Message{
      NodeId{from}, NodeId{to}, Term{term},
      AppendRequest{Index{prev_index}, Term{prev_term}, Index{commit}, std::move(entries)}};
}

Message append_reply(std::uint64_t from, std::uint64_t to, std::uint64_t term, bool success,
                     std::uint64_t index) {
  return Message{NodeId{from}, NodeId{to}, Term{term}, AppendReply{success, Index{index}, {}, {}}};
}

Message heartbeat(std::uint64_t from, std::uint64_t to, std::uint64_t term, std::uint64_t commit) {
  return Message{NodeId{from}, NodeId{to}, Term{term}, Heartbeat{Index{commit}}};
}

Message heartbeat_reply(std::uint64_t from, std::uint64_t to, std::uint64_t term) {
  return Message{NodeId{from}, NodeId{to}, Term{term}, HeartbeatReply{}};
}

Message accept(const Message& request) {
  const auto& append = std::get<AppendRequest>(request.body);
  return append_reply(request.to.value(), request.from.value(), request.term.value(), true,
                      append.prev_log_index.value() + append.entries.size());
}

// ---- Output --------------------------------------------------------------------------------

std::vector<Message> Output::all() const {
  std::vector<Message> out = messages;
  out.insert(out.end(), after_persist.begin(), after_persist.end());
  return out;
}

std::vector<ReadResult> flatten(const std::vector<ReadState>& states) {
  std::vector<ReadResult> out;
  for (const ReadState& state : states) {
    // ready.h: a ReadState is never empty, and a failed one carries no index.
    if (state.request_ids.empty()) throw std::runtime_error("a ReadState without request ids");
    if (!state.ok() && state.index != Index{}) {
      throw std::runtime_error("a failed ReadState with a read index");
    }
    for (const std::uint64_t id : state.request_ids) {
      out.push_back(ReadResult{id, state.index, state.error, state.leader_hint});
    }
  }
  return out;
}

void Output::add(const Ready& ready) {
  messages.insert(messages.end(), ready.messages.begin(), ready.messages.end());
  after_persist.insert(after_persist.end(), ready.messages_after_persist.begin(),
                       ready.messages_after_persist.end());
  entries.insert(entries.end(), ready.entries.begin(), ready.entries.end());
  committed.insert(committed.end(), ready.committed.begin(), ready.committed.end());
  events.insert(events.end(), ready.events.begin(), ready.events.end());
  const std::vector<ReadResult> flat = flatten(ready.reads);
  reads.insert(reads.end(), flat.begin(), flat.end());
  read_states.insert(read_states.end(), ready.reads.begin(), ready.reads.end());
  if (ready.hard_state) hard_states.push_back(*ready.hard_state);
  must_sync = must_sync || ready.must_sync;
}

void Output::add(const Output& other) {
  messages.insert(messages.end(), other.messages.begin(), other.messages.end());
  after_persist.insert(after_persist.end(), other.after_persist.begin(), other.after_persist.end());
  entries.insert(entries.end(), other.entries.begin(), other.entries.end());
  committed.insert(committed.end(), other.committed.begin(), other.committed.end());
  events.insert(events.end(), other.events.begin(), other.events.end());
  hard_states.insert(hard_states.end(), other.hard_states.begin(), other.hard_states.end());
  reads.insert(reads.end(), other.reads.begin(), other.reads.end());
  read_states.insert(read_states.end(), other.read_states.begin(), other.read_states.end());
  must_sync = must_sync || other.must_sync;
}

// ---- Peer ----------------------------------------------------------------------------------

Peer::Peer(const Config& config, const std::vector<Entry>& log, HardState hard_state, Time now)
    : log_(std::make_unique<storage::MemoryLog>()) {
  log_->append(log);
  log_->set_hard_state(hard_state);
  auto created = Node::create(config, *log_, now);
  if (!created.ok()) throw std::runtime_error("Node::create: " + created.status().to_string());
  node_ = std::make_unique<Node>(std::move(created).value());
  before_ = capture(*node_);
  (void)drain();
}

Output Peer::drain() {
  Output out;
  while (node_->has_ready()) {
    Ready ready = node_->ready();
    log_->persist(ready);
    out.add(ready);
    applied_.insert(applied_.end(), ready.committed.begin(), ready.committed.end());
    history_.insert(history_.end(), ready.events.begin(), ready.events.end());
    const std::vector<ReadResult> flat = flatten(ready.reads);
    reads_.insert(reads_.end(), flat.begin(), flat.end());
    read_states_.insert(read_states_.end(), ready.reads.begin(), ready.reads.end());
    node_->advance(std::move(ready));
  }
  check();
  return out;
}

Output Peer::receive(Message message) {
  const std::string text = describe(message);
  const Status status = node_->step(std::move(message));
  EXPECT_TRUE(status.ok()) << text << ": " << status.to_string();
  return drain();
}

Output Peer::tick(Time now) {
  node_->tick(now);
  return drain();
}

Output Peer::run_until(Time until) {
  Output out;
  for (int guard = 0; guard < 100000 && node_->now() < until; ++guard) {
    out.add(tick(std::min(node_->next_deadline(), until)));
  }
  return out;
}

void Peer::check() {
  const Status invariants = check_invariants(*node_);
  EXPECT_TRUE(invariants.ok()) << "node " << node_->id().value() << ": " << invariants.to_string();
  NodeSnapshot after = capture(*node_);
  const Status transition = check_transition(before_, after);
  EXPECT_TRUE(transition.ok()) << "node " << node_->id().value() << ": " << transition.to_string();
  before_ = std::move(after);
}

Output win_election(Peer& peer, const std::set<std::uint64_t>& granting) {
  EXPECT_TRUE(peer->campaign().ok());
  Output sent = peer.drain();
  Output won = sent;  // A single-node cluster wins at once.
  for (int round = 0; round < 2 && peer->role() != Role::kLeader; ++round) {
    const std::vector<Message> requests = only<VoteRequest>(sent.all());
    sent = Output{};
    for (const Message& request : requests) {
      if (!granting.empty() && granting.count(request.to.value()) == 0) continue;
      sent.add(
          peer.receive(vote_reply(request.to.value(), request.from.value(), request.term.value(),
                                  true, body<VoteRequest>(request).pre_vote)));
    }
    if (peer->role() == Role::kLeader) won = sent;
  }
  EXPECT_EQ(peer->role(), Role::kLeader);
  return won;
}

// ---- Net -----------------------------------------------------------------------------------

void Net::add(std::unique_ptr<Peer> peer) {
  const std::uint64_t id = peer->node().id().value();
  peers_[id] = std::move(peer);
}

std::vector<std::uint64_t> Net::ids() const {
  std::vector<std::uint64_t> out;
  for (const auto& [id, peer] : peers_) out.push_back(id);
  return out;
}

void Net::send(const Output& output) {
  for (const Message& m : output.all()) queue_.push_back(m);
}

void Net::send(const std::vector<Message>& messages) {
  queue_.insert(queue_.end(), messages.begin(), messages.end());
}

void Net::cut(std::uint64_t a, std::uint64_t b) {
  cut_.insert({a, b});
  cut_.insert({b, a});
}

void Net::isolate(std::uint64_t id) {
  for (const auto& [other, peer] : peers_) {
    if (other != id) cut(id, other);
  }
}

void Net::release() {
  hold_ = nullptr;
  queue_.insert(queue_.end(), held_.begin(), held_.end());
  held_.clear();
}

void Net::deliver(const Message& message) {
  if (!connected(message.from.value(), message.to.value())) return;
  if (hold_ && hold_(message)) {
    held_.push_back(message);
    return;
  }
  delivered_.push_back(message);
  send((*this)[message.to.value()].receive(message));
}

void Net::stabilize() {
  for (int guard = 0; !queue_.empty(); ++guard) {
    if (guard > 1000000) {
      ADD_FAILURE() << "the network did not go quiet";
      return;
    }
    Message message = std::move(queue_.front());
    queue_.pop_front();
    deliver(message);
  }
}

void Net::tick_all(Time now) {
  for (auto& [id, peer] : peers_) send(peer->tick(now));
  stabilize();
}

void Net::run_until(Time until, Duration step) {
  Time now = Time{};
  for (const auto& [id, peer] : peers_) now = std::max(now, peer->node().now());
  while (now < until) {
    now = std::min(now + step, until);
    tick_all(now);
  }
}

std::vector<std::uint64_t> Net::leaders() {
  std::vector<std::uint64_t> out;
  for (auto& [id, peer] : peers_) {
    if (peer->node().role() == Role::kLeader) out.push_back(id);
  }
  return out;
}

}  // namespace raft::test

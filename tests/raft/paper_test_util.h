// SPDX-License-Identifier: Apache-2.0
// What the Raft paper tests (paper_election_test.cc, paper_replication_test.cc,
// paper_safety_test.cc) share: GoogleTest printers, a config with the paper's rules only,
// entries and logs by term, message builders, a hand-driven node (Peer) that checks the
// invariants after every input, and a small network of them (Net). Time only moves when a test
// ticks a node. Defined in paper_test_util.cc, except the templates and the printers.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <ostream>
#include <set>
#include <utility>
#include <variant>
#include <vector>

#include "raft/config.h"
#include "raft/entry.h"
#include "raft/events.h"
#include "raft/format.h"
#include "raft/invariants.h"
#include "raft/message.h"
#include "raft/node.h"
#include "raft/ready.h"
#include "raft/storage/memory_log.h"
#include "raft/types.h"
#include "support/gtest_printers.h"  // Prints ids, terms, messages... in failures.

namespace raft::test {

inline constexpr Duration kHeartbeat = std::chrono::milliseconds{100};
inline constexpr Duration kElectionMin = std::chrono::milliseconds{1000};
inline constexpr Duration kElectionMax = std::chrono::milliseconds{2000};

/// The time `offset` after the zero time point (where every test starts).
inline Time at(Duration offset) { return Time{} + offset; }

/// Node `self` of the cluster {1, ..., size} with the paper's rules only: pre-vote,
/// check-quorum and fast failover are off, so each test turns on exactly what it checks.
Config config_for(std::uint64_t self, std::uint64_t size);

/// An entry whose payload names its position ("term.index"), so that two logs compare equal
/// exactly when they hold the same entries.
Entry entry(std::uint64_t term, std::uint64_t index);

/// A log holding one entry per term given, at indexes 1, 2, ...
std::vector<Entry> log_of(const std::vector<std::uint64_t>& terms);

/// Terms of a node's whole log, first entry first.
std::vector<std::uint64_t> terms_of(const Node& node);

// ---- Message builders (ids, terms and indexes as plain numbers keep tables short) -------------

Message vote_request(std::uint64_t from, std::uint64_t to, std::uint64_t term,
                     std::uint64_t last_index, std::uint64_t last_term, bool pre_vote = false);

Message vote_reply(std::uint64_t from, std::uint64_t to, std::uint64_t term, bool granted,
                   bool pre_vote = false);

Message append_request(std::uint64_t from, std::uint64_t to, std::uint64_t term,
                       std::uint64_t prev_index, std::uint64_t prev_term, std::uint64_t commit,
                       std::vector<Entry> entries = {});

Message append_reply(std::uint64_t from, std::uint64_t to, std::uint64_t term, bool success,
                     std::uint64_t index);

Message heartbeat(std::uint64_t from, std::uint64_t to, std::uint64_t term, std::uint64_t commit);

Message heartbeat_reply(std::uint64_t from, std::uint64_t to, std::uint64_t term);

/// The acknowledgement a follower whose log matched would send for `request`.
Message accept(const Message& request);

template <class Body>
bool is(const Message& message) {
  return std::holds_alternative<Body>(message.body);
}

template <class Body>
const Body& body(const Message& message) {
  return std::get<Body>(message.body);
}

/// The messages of type Body in `messages`, optionally only those to `to`.
template <class Body>
std::vector<Message> only(const std::vector<Message>& messages, std::uint64_t to = 0) {
  std::vector<Message> out;
  for (const Message& m : messages) {
    if (is<Body>(m) && (to == 0 || m.to == NodeId{to})) out.push_back(m);
  }
  return out;
}

template <class Body>
std::vector<Body> events_of(const std::vector<Event>& events) {
  std::vector<Body> out;
  for (const Event& e : events) {
    if (const auto* b = std::get_if<Body>(&e.body)) out.push_back(*b);
  }
  return out;
}

/// One read's outcome: a Ready's ReadStates batch reads (ready.h); tests mostly
/// look at them one by one.
struct ReadResult {
  std::uint64_t request_id = 0;
  Index index;
  ErrorCode error = ErrorCode::kOk;
  NodeId leader_hint;
  [[nodiscard]] bool ok() const noexcept { return error == ErrorCode::kOk; }
};

/// Every read of `states`, in order.
std::vector<ReadResult> flatten(const std::vector<ReadState>& states);

/// Everything a node handed out over one or more Readys.
struct Output {
  std::vector<Message> messages;       // Ready::messages
  std::vector<Message> after_persist;  // Ready::messages_after_persist
  std::vector<Entry> entries;          // to persist
  std::vector<Entry> committed;        // to apply
  std::vector<Event> events;
  std::vector<HardState> hard_states;
  std::vector<ReadResult> reads;       // Ready::reads, one per read
  std::vector<ReadState> read_states;  // Ready::reads as handed out (batched)
  bool must_sync = false;

  /// Every message, whichever list it came in.
  [[nodiscard]] std::vector<Message> all() const;
  void add(const Ready& ready);
  void add(const Output& other);
};

/// One node with its MemoryLog (its "disk"), driven as ready.h prescribes. After every input
/// it checks check_invariants() and check_transition() against the previous input.
class Peer {
 public:
  explicit Peer(const Config& config, const std::vector<Entry>& log = {}, HardState hard_state = {},
                Time now = Time{});

  Node& node() { return *node_; }
  Node* operator->() { return node_.get(); }
  storage::MemoryLog& log() { return *log_; }
  /// Every entry this node's state machine applied, in order.
  const std::vector<Entry>& applied() const { return applied_; }
  /// Every event this node reported since it was created.
  const std::vector<Event>& history() const { return history_; }
  /// Every read result (Ready::reads) this node reported since it was created, one per read.
  const std::vector<ReadResult>& reads() const { return reads_; }
  /// The same, as the node batched them (Ready::reads).
  const std::vector<ReadState>& read_states() const { return read_states_; }

  /// Handles every pending Ready: persist, collect messages, apply, advance.
  Output drain();

  /// Steps `message` (expecting it to be accepted) and drains.
  Output receive(Message message);

  /// Moves the clock to `now` and drains.
  Output tick(Time now);

  /// Moves the clock through every deadline up to `until`, then to `until`.
  Output run_until(Time until);

  /// Moves the clock to the next deadline and drains.
  Output tick_to_deadline() { return tick(node_->next_deadline()); }

 private:
  void check();

  std::unique_ptr<storage::MemoryLog> log_;
  std::unique_ptr<Node> node_;
  NodeSnapshot before_;
  std::vector<Entry> applied_;
  std::vector<Event> history_;
  std::vector<ReadResult> reads_;
  std::vector<ReadState> read_states_;
};

/// Wins an election for `peer` (campaign() now) with the (pre-)votes of `granting`, answering
/// each request by hand. Returns what the node sent once it won: its first appends.
Output win_election(Peer& peer, const std::set<std::uint64_t>& granting = {});

/// A few nodes and the messages between them. Messages wait in one FIFO queue; a message to a
/// node that is absent, or over a cut link, is dropped. Every delivered message is recorded.
class Net {
 public:
  void add(std::unique_ptr<Peer> peer);
  /// Adds nodes 1..size with configs from config_for(), adjusted by `adjust`.
  template <class Adjust>
  static Net of(std::uint64_t size, Adjust adjust) {
    Net net;
    for (std::uint64_t id = 1; id <= size; ++id) {
      Config config = config_for(id, size);
      adjust(config);
      net.add(std::make_unique<Peer>(config));
    }
    return net;
  }

  Peer& operator[](std::uint64_t id) { return *peers_.at(id); }
  [[nodiscard]] bool has(std::uint64_t id) const { return peers_.count(id) != 0; }
  std::vector<std::uint64_t> ids() const;

  void send(const Output& output);
  void send(const std::vector<Message>& messages);
  std::deque<Message>& queue() { return queue_; }
  const std::vector<Message>& delivered() const { return delivered_; }

  void cut(std::uint64_t a, std::uint64_t b);
  void isolate(std::uint64_t id);
  void heal() { cut_.clear(); }
  [[nodiscard]] bool connected(std::uint64_t from, std::uint64_t to) const {
    return has(to) && cut_.count({from, to}) == 0;
  }

  /// From now on, messages for which `hold` is true are set aside instead of delivered.
  void hold_if(std::function<bool(const Message&)> hold) { hold_ = std::move(hold); }
  /// Stops holding messages and queues those held so far.
  void release();

  /// Delivers one message (if its link is up) and queues the replies.
  void deliver(const Message& message);

  /// Delivers queued messages, and what they cause, until the queue is empty.
  void stabilize();

  /// Moves every node's clock to `now` and delivers what that causes.
  void tick_all(Time now);

  /// Runs every node from its current time to `until` in steps of `step`.
  void run_until(Time until, Duration step = std::chrono::milliseconds{10});

  /// The ids of the nodes that are leaders right now.
  std::vector<std::uint64_t> leaders();

 private:
  std::map<std::uint64_t, std::unique_ptr<Peer>> peers_;
  std::deque<Message> queue_;
  std::set<std::pair<std::uint64_t, std::uint64_t>> cut_;
  std::vector<Message> delivered_;
  std::function<bool(const Message&)> hold_;
  std::vector<Message> held_;
};

}  // namespace raft::test

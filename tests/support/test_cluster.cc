// SPDX-License-Identifier: Apache-2.0
#include "support/test_cluster.h"

#include <algorithm>
#include <array>
#include <utility>

#include <fmt/format.h>

#include "raft/assert.h"
#include "raft/format.h"

namespace raft::test {
namespace {

constexpr std::size_t kRecentMax = 64;
// A Ready loop that never ends is a core bug; this bounds it.
constexpr int kReadyRoundsMax = 100000;

// 64-bit FNV-1a over the bytes of `value`.
void mix(std::uint64_t& hash, std::uint64_t value) {
  for (int byte = 0; byte < 8; ++byte) {
    hash ^= (value >> (8 * byte)) & 0xffU;
    hash *= 1099511628211ULL;
  }
}

void mix(std::uint64_t& hash, std::string_view text) {
  for (const char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ULL;
  }
}

void mix_message(std::uint64_t& hash, const Message& message) {
  mix(hash, message.from.value());
  mix(hash, message.to.value());
  mix(hash, message.term.value());
  mix(hash, message.body.index());
  if (const auto* vote = std::get_if<VoteRequest>(&message.body)) {
    mix(hash, vote->last_log_index.value());
    mix(hash, vote->last_log_term.value());
    mix(hash, vote->pre_vote ? 1 : 0);
  } else if (const auto* reply = std::get_if<VoteReply>(&message.body)) {
    mix(hash, (reply->granted ? 1U : 0U) | (reply->pre_vote ? 2U : 0U));
    mix(hash, static_cast<std::uint64_t>(reply->denial));
  } else if (const auto* append = std::get_if<AppendRequest>(&message.body)) {
    mix(hash, append->prev_log_index.value());
    mix(hash, append->prev_log_term.value());
    mix(hash, append->leader_commit.value());
    for (const Entry& entry : append->entries) {
      mix(hash, entry.index.value());
      mix(hash, entry.term.value());
      mix(hash, entry.payload.size());
    }
  } else if (const auto* ack = std::get_if<AppendReply>(&message.body)) {
    mix(hash, ack->success ? 1 : 0);
    mix(hash, ack->index.value());
    mix(hash, ack->hint_index.value());
    mix(hash, ack->hint_term.value());
  } else if (const auto* heartbeat = std::get_if<Heartbeat>(&message.body)) {
    mix(hash, heartbeat->commit.value());
  }
}

std::string_view kind_name(TraceRecord::Kind kind) {
  // In the order of TraceRecord::Kind.
  constexpr std::array<std::string_view, 10> kNames{"deliver",   "drop",      "tick",  "event",
                                                    "propose",   "peer-down", "crash", "restart",
                                                    "partition", "heal"};
  return kNames.at(static_cast<std::size_t>(kind));
}

}  // namespace

std::string describe(const TraceRecord& record) {
  std::string line =
      fmt::format("[{:>10} ms] {:<9}", format_ms(record.time), kind_name(record.kind));
  if (record.node.valid()) line += fmt::format(" node {}", record.node);
  if (record.message) line += ": " + raft::describe(*record.message);
  if (record.event) line += ": " + raft::describe(*record.event);
  if (!record.note.empty()) line += ": " + record.note;
  return line;
}

TestCluster::TestCluster(ClusterOptions options)
    : options_(std::move(options)), prng_(options_.seed) {
  RAFT_ASSERT(options_.nodes > 0);
  RAFT_ASSERT(options_.latency_min > Duration::zero());
  RAFT_ASSERT(options_.latency_min <= options_.latency_max);
  nodes_.resize(options_.nodes);
  group_.assign(options_.nodes, 0);
  for (const NodeId id : ids()) start(id);
  for (const NodeId id : ids()) drain(id);
}

TestCluster::~TestCluster() = default;

std::vector<NodeId> TestCluster::ids() const {
  std::vector<NodeId> result;
  result.reserve(nodes_.size());
  for (std::size_t i = 1; i <= nodes_.size(); ++i) result.emplace_back(i);
  return result;
}

TestCluster::Slot& TestCluster::slot(NodeId id) {
  RAFT_ASSERT(id.valid() && id.value() <= nodes_.size());
  return nodes_[id.value() - 1];
}

const TestCluster::Slot& TestCluster::slot(NodeId id) const {
  RAFT_ASSERT(id.valid() && id.value() <= nodes_.size());
  return nodes_[id.value() - 1];
}

bool TestCluster::alive(NodeId id) const { return slot(id).node.has_value(); }

Node& TestCluster::node(NodeId id) {
  RAFT_ASSERT_MSG(alive(id), "node is crashed");
  return *slot(id).node;
}

const Node& TestCluster::node(NodeId id) const {
  RAFT_ASSERT_MSG(alive(id), "node is crashed");
  return *slot(id).node;
}

const storage::MemoryLog& TestCluster::log(NodeId id) const { return slot(id).log; }

storage::MemoryLog& TestCluster::disk(NodeId id) {
  RAFT_ASSERT_MSG(!alive(id), "disk() of a live node: crash it first");
  return slot(id).log;
}

const std::vector<AppliedEntry>& TestCluster::applied(NodeId id) const { return slot(id).applied; }

std::uint64_t TestCluster::incarnation(NodeId id) const { return slot(id).incarnation; }
std::uint64_t TestCluster::version(NodeId id) const { return slot(id).version; }

void TestCluster::start(NodeId id) {
  Slot& s = slot(id);
  RAFT_ASSERT(!s.node);
  ++s.incarnation;
  ++s.version;
  Config config;
  config.id = id;
  config.voters = ids();
  // A restarted node must not replay its previous life's timeouts.
  config.random_seed = options_.seed * 0x9e3779b97f4a7c15ULL + s.incarnation;
  if (options_.configure) options_.configure(config);
  Result<Node> created = Node::create(config, s.log, now_);
  if (!created.ok()) {
    fail(Status{ErrorCode::kInvalidArgument,
                fmt::format("Node::create({}) failed: {}", id, created.status())});
    return;
  }
  s.node.emplace(std::move(created).value());
}

void TestCluster::set_latency(Duration min, Duration max) {
  RAFT_ASSERT(min > Duration::zero() && min <= max);
  options_.latency_min = min;
  options_.latency_max = max;
}

Duration TestCluster::draw_latency() {
  const auto spread =
      static_cast<std::uint64_t>((options_.latency_max - options_.latency_min).count());
  const std::uint64_t extra = spread == 0 ? 0 : prng_.uniform(spread);
  return options_.latency_min + Duration{static_cast<Duration::rep>(extra)};
}

void TestCluster::partition(const std::vector<std::vector<NodeId>>& groups) {
  std::fill(group_.begin(), group_.end(), 0);
  std::string note;
  std::uint32_t number = 0;
  for (const auto& group : groups) {
    ++number;
    note += note.empty() ? "{" : " | {";
    for (const NodeId id : group) {
      RAFT_ASSERT(id.valid() && id.value() <= nodes_.size());
      group_[id.value() - 1] = number;
      note += fmt::format("{}{}", note.back() == '{' ? "" : ",", id);
    }
    note += "}";
  }
  trace({now_, TraceRecord::Kind::kPartition, NodeId::none(), {}, {}, std::move(note)});
}

void TestCluster::isolate(NodeId id) { partition({{id}}); }

void TestCluster::heal() {
  std::fill(group_.begin(), group_.end(), 0);
  trace({now_, TraceRecord::Kind::kHeal, NodeId::none(), {}, {}, {}});
}

bool TestCluster::connected(NodeId a, NodeId b) const {
  return group_[a.value() - 1] == group_[b.value() - 1];
}

void TestCluster::crash(NodeId id) {
  Slot& s = slot(id);
  RAFT_ASSERT_MSG(s.node, "crash() of a node that is already down");
  s.node.reset();
  ++s.version;
  trace({now_, TraceRecord::Kind::kCrash, id, {}, {}, {}});
  if (observer_ != nullptr) observer_->on_crash(id);
  if (options_.peer_down_on_crash) {
    // The transport of each peer still connected sees its connection reset.
    for (const NodeId other : ids()) {
      if (other != id && alive(other) && connected(id, other)) {
        enqueue(now_ + draw_latency(), PeerDownNotice{other, id});
      }
    }
  }
  after_event();
}

void TestCluster::restart(NodeId id) {
  RAFT_ASSERT_MSG(!alive(id), "restart() of a live node");
  trace({now_, TraceRecord::Kind::kRestart, id, {}, {}, {}});
  start(id);
  if (observer_ != nullptr) observer_->on_restart(id);
  drain(id);
  after_event();
}

void TestCluster::send(const Message& message) {
  if (!message.to.valid() || message.to.value() > nodes_.size() || message.to == message.from) {
    fail(Status{ErrorCode::kInvalidArgument, "bad destination: " + raft::describe(message)});
    return;
  }
  if (!connected(message.from, message.to) || prng_.chance(options_.drop_ratio)) {
    trace({now_, TraceRecord::Kind::kDrop, message.from, message, {}, "at send"});
    return;
  }
  enqueue(now_ + draw_latency(), message);
  if (prng_.chance(options_.duplicate_ratio)) enqueue(now_ + draw_latency(), message);
}

void TestCluster::enqueue(Time at, std::variant<Message, PeerDownNotice> item) {
  queue_.emplace(std::pair{at, next_seq_++}, std::move(item));
}

bool TestCluster::step_once(Time limit) {
  if (!failure_.ok()) return false;
  const Time message_at = queue_.empty() ? kTimeNever : queue_.begin()->first.first;
  Time deadline = kTimeNever;
  NodeId due;
  for (const NodeId id : ids()) {
    if (!alive(id)) continue;
    const Time at = node(id).next_deadline();
    if (at < deadline) {
      deadline = at;
      due = id;
    }
  }
  const Time next = std::min(message_at, deadline);
  if (next == kTimeNever || next > limit) {
    if (limit != kTimeNever && limit > now_) now_ = limit;
    return false;
  }
  now_ = std::max(now_, next);
  if (deadline <= message_at) {
    ++slot(due).version;
    node(due).tick(now_);
    trace({now_, TraceRecord::Kind::kTick, due, {}, {}, {}});
    drain(due);
    // tick(now) fires everything due by now; anything still due would spin the run forever.
    if (alive(due) && node(due).next_deadline() <= now_) {
      fail(Status{ErrorCode::kInvalidArgument,
                  fmt::format("node {}: next_deadline() {} ms is not after tick({} ms)", due,
                              format_ms(node(due).next_deadline()), format_ms(now_))});
    }
  } else {
    auto head = queue_.extract(queue_.begin());
    deliver(std::move(head.mapped()));
  }
  after_event();
  return true;
}

void TestCluster::deliver(std::variant<Message, PeerDownNotice>&& item) {
  if (auto* notice = std::get_if<PeerDownNotice>(&item)) {
    if (alive(notice->to)) peer_down(notice->to, notice->peer);
    return;
  }
  Message& message = std::get<Message>(item);
  const NodeId to = message.to;
  if (!alive(to) || !connected(message.from, to)) {
    trace({now_, TraceRecord::Kind::kDrop, to, std::move(message), {}, "at delivery"});
    return;
  }
  Node& n = node(to);
  ++slot(to).version;
  n.tick(now_);
  drain(to);
  trace({now_, TraceRecord::Kind::kDeliver, to, message, {}, {}});
  const Status status = n.step(std::move(message));
  if (!status.ok()) {
    fail(Status{status.code(), fmt::format("node {}: step() refused a message: {}", to, status)});
  }
  drain(to);
}

void TestCluster::peer_down(NodeId id, NodeId peer) {
  Node& n = node(id);
  ++slot(id).version;
  n.tick(now_);
  drain(id);
  trace({now_, TraceRecord::Kind::kPeerDown, id, {}, {}, fmt::format("peer {}", peer)});
  n.peer_down(peer);
  drain(id);
}

void TestCluster::drain(NodeId id) {
  Slot& s = slot(id);
  for (int round = 0; s.node && s.node->has_ready(); ++round) {
    if (round == kReadyRoundsMax) {
      fail(Status{ErrorCode::kInvalidArgument, fmt::format("node {}: has_ready() never ends", id)});
      return;
    }
    Ready ready = s.node->ready();
    s.log.persist(ready);  // synchronous "fsync": a crash comes only between events
    if (observer_ != nullptr) observer_->on_persisted(id, ready);
    for (const Event& event : ready.events) {
      trace({now_, TraceRecord::Kind::kEvent, id, {}, event, {}});
      if (keep_events_) events_.emplace_back(id, event);
    }
    for (const Message& message : ready.messages) send(message);
    for (const Message& message : ready.messages_after_persist) send(message);
    for (const Entry& entry : ready.committed) apply(id, entry);
    s.node->advance(std::move(ready));
  }
}

void TestCluster::apply(NodeId id, const Entry& entry) {
  auto& applied = slot(id).applied;
  const std::uint64_t index = entry.index.value();
  if (index == applied.size() + 1) {
    applied.push_back({entry.index, entry.term, entry.type, entry.payload});
    return;
  }
  if (index == 0 || index > applied.size()) {
    fail(Status{ErrorCode::kInvalidArgument,
                fmt::format("node {} applied index {} after {} (out of order)", id, index,
                            applied.size())});
    return;
  }
  // Applied again after a restart: the state machine survives here, so it must be the same.
  const AppliedEntry& earlier = applied[index - 1];
  if (earlier.term != entry.term || earlier.type != entry.type ||
      !(earlier.payload == entry.payload)) {
    fail(Status{ErrorCode::kInvalidArgument,
                fmt::format("State Machine Safety: node {} re-applied index {} with term {} "
                            "after applying term {} there",
                            id, index, entry.term, earlier.term)});
  }
}

Result<Index> TestCluster::propose(Payload payload) {
  const NodeId id = leader();
  if (!id.valid()) return Status::not_leader(NodeId::none());
  return propose_on(id, std::move(payload));
}

Result<Index> TestCluster::propose_on(NodeId id, Payload payload) {
  if (!alive(id)) return Status{ErrorCode::kStopped, fmt::format("node {} is down", id)};
  Node& n = node(id);
  ++slot(id).version;
  n.tick(now_);
  drain(id);
  const std::size_t size = payload.size();
  Result<Index> result = n.propose(std::move(payload));
  trace({now_,
         TraceRecord::Kind::kPropose,
         id,
         {},
         {},
         result.ok() ? fmt::format("{} bytes -> index {}", size, result.value())
                     : fmt::format("{} bytes -> {}", size, result.status())});
  drain(id);
  after_event();
  return result;
}

std::size_t TestCluster::propose_batch(const std::vector<Payload>& payloads) {
  const NodeId id = leader();
  if (!id.valid()) return 0;
  Node& n = node(id);
  ++slot(id).version;
  n.tick(now_);
  drain(id);
  std::size_t accepted = 0;
  for (const Payload& payload : payloads) {
    if (n.propose(payload).ok()) ++accepted;
  }
  trace({now_,
         TraceRecord::Kind::kPropose,
         id,
         {},
         {},
         fmt::format("batch of {}: {} accepted", payloads.size(), accepted)});
  drain(id);
  after_event();
  return accepted;
}

NodeId TestCluster::leader() const {
  NodeId best;
  Term best_term;
  bool unique = false;
  for (const NodeId id : ids()) {
    if (!alive(id) || node(id).role() != Role::kLeader) continue;
    const Term term = node(id).term();
    if (!best.valid() || term > best_term) {
      best = id;
      best_term = term;
      unique = true;
    } else if (term == best_term) {
      unique = false;
    }
  }
  return unique ? best : NodeId::none();
}

void TestCluster::run_until(Time time) {
  while (step_once(time)) {
  }
}

bool TestCluster::run_until(const std::function<bool()>& done, Time time_max) {
  while (true) {
    if (done()) return true;
    if (!step_once(time_max)) return done();
  }
}

void TestCluster::after_event() {
  ++event_count_;
  if (observer_ != nullptr && failure_.ok()) {
    Status status = observer_->after_event();
    if (!status.ok()) fail(std::move(status));
  }
}

void TestCluster::fail(Status status) {
  if (failure_.ok()) failure_ = std::move(status);
}

void TestCluster::trace(TraceRecord record) {
  mix(trace_hash_, static_cast<std::uint64_t>(record.time.time_since_epoch().count()));
  mix(trace_hash_, static_cast<std::uint64_t>(record.kind));
  mix(trace_hash_, record.node.value());
  if (record.message) mix_message(trace_hash_, *record.message);
  if (record.event) mix(trace_hash_, raft::describe(*record.event));
  mix(trace_hash_, record.note);
  if (print_trace_) fmt::print("{}\n", describe(record));
  if (recent_.size() == kRecentMax) recent_.pop_front();
  recent_.push_back(std::move(record));
}

std::string TestCluster::recent_trace(std::size_t count) const {
  std::string text;
  const std::size_t first = recent_.size() > count ? recent_.size() - count : 0;
  for (std::size_t i = first; i < recent_.size(); ++i) {
    text += describe(recent_[i]);
    text += '\n';
  }
  return text;
}

}  // namespace raft::test

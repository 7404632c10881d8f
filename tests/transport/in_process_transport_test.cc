// SPDX-License-Identifier: Apache-2.0
// The in-process transport (transport/in_process_transport.h): delivery in order (as values and
// through the codec), bounded queues that drop and count, peer-down reports when a node is cut
// off, stops or is unreachable, delivery across threads with each node on its own io_context
// thread, and a 3-node raft::Node cluster driven over it that elects a leader, commits, and
// fails over at once when its leader is cut off (Node::peer_down, fast failover).
//
// Single-threaded tests drive one io_context with run_for() until a condition holds or a
// generous deadline passes. Threaded tests wait on a condition variable with a deadline. Nothing
// sleeps and no speed is asserted.
//
// Replay one seed:  RAFT_SEED=123 ./build/release/tests/transport_in_process_transport_test
#include "raft/transport/in_process_transport.h"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "raft/config.h"
#include "raft/message.h"
#include "raft/node.h"
#include "raft/prng.h"
#include "raft/storage/memory_log.h"
#include "support/gtest_printers.h"
#include "transport/random_message.h"

namespace raft::transport {
namespace {

namespace asio = boost::asio;
using ::testing::HasSubstr;

/// Generous: a loaded two-core CI machine may be slow, and the tests wait only as long as needed.
constexpr auto kDeadline = std::chrono::seconds{20};
constexpr const char* kBinary = "transport_in_process_transport_test";

/// Runs `io` until `done()` or the deadline; returns done().
bool run_until(asio::io_context& io, const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + kDeadline;
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    if (io.stopped()) io.restart();
    io.run_for(std::chrono::milliseconds{10});
  }
  return done();
}

Message heartbeat(NodeId from, NodeId to, std::uint64_t term) {
  return Message{from, to, Term{term}, TimeoutNow{}};
}

/// One endpoint and what it saw (single-threaded tests).
struct Peer {
  Peer(asio::io_context& io, InProcessNetwork& network, NodeId id, std::set<NodeId> peers,
       std::size_t max_queue = 4096, bool encode = false) {
    InProcessTransportOptions options;
    options.self = id;
    options.peers = std::move(peers);
    options.max_queue_messages = max_queue;
    options.encode_on_wire = encode;
    transport = std::make_unique<InProcessTransport>(io, network, std::move(options));
    transport->on_message([this](Message message) { received.push_back(std::move(message)); });
    transport->on_peer_down([this](NodeId peer) { down.push_back(peer); });
    transport->on_log([this](std::string_view line) { log.emplace_back(line); });
  }
  void start() { ASSERT_TRUE(transport->start().ok()); }
  [[nodiscard]] InProcessTransportCounters counters() const { return transport->counters(); }

  std::unique_ptr<InProcessTransport> transport;
  std::vector<Message> received;
  std::vector<NodeId> down;
  std::vector<std::string> log;
};

TEST(InProcessTransport, EveryMessageKindArrivesInOrderAsValuesAndThroughTheCodec) {
  for (const bool encode : {false, true}) {
    for (const auto seed : testing::seeds(5)) {
      SCOPED_TRACE(testing::replay(seed, kBinary));
      SCOPED_TRACE(encode ? "encode_on_wire" : "values");
      asio::io_context io;
      InProcessNetwork network;
      Peer a(io, network, NodeId{1}, {NodeId{2}}, 4096, encode);
      Peer b(io, network, NodeId{2}, {NodeId{1}}, 4096, encode);
      a.start();
      b.start();
      Prng prng(seed);
      std::vector<Message> to_b;
      std::vector<Message> to_a;
      for (int round = 0; round < 3; ++round) {
        for (std::size_t kind = 0; kind < std::variant_size_v<MessageBody>; ++kind) {
          Message message = testing::random_message(prng, kind);
          message.from = NodeId{1};
          message.to = NodeId{2};
          to_b.push_back(message);
          ASSERT_TRUE(a.transport->send(message));
          message = testing::random_message(prng, kind);
          message.from = NodeId{2};
          message.to = NodeId{1};
          to_a.push_back(message);
          ASSERT_TRUE(b.transport->send(message));
        }
      }
      EXPECT_TRUE(b.received.empty()) << "delivered on the receiver's io_context, not in send()";
      ASSERT_TRUE(run_until(io, [&] {
        return a.received.size() >= to_a.size() && b.received.size() >= to_b.size();
      }));
      EXPECT_EQ(b.received, to_b);
      EXPECT_EQ(a.received, to_a);
      EXPECT_EQ(a.counters().sent, to_b.size());
      EXPECT_EQ(b.counters().received, to_b.size());
      EXPECT_EQ(a.counters().codec_errors, 0U);
      EXPECT_EQ(a.counters().bytes_sent > 0, encode);
      EXPECT_TRUE(a.down.empty());
      EXPECT_TRUE(b.down.empty());
    }
  }
}

TEST(InProcessTransport, FullQueueDropsAndCountsUntilTheReceiverRuns) {
  asio::io_context io_a;
  asio::io_context io_b;  // not run until the queue is full
  InProcessNetwork network;
  Peer a(io_a, network, NodeId{1}, {NodeId{2}}, /*max_queue=*/4);
  Peer b(io_b, network, NodeId{2}, {NodeId{1}});
  a.start();
  b.start();
  int accepted = 0;
  for (std::uint64_t i = 1; i <= 10; ++i) {
    if (a.transport->send(heartbeat(NodeId{1}, NodeId{2}, i))) ++accepted;
  }
  EXPECT_EQ(accepted, 4);
  EXPECT_EQ(a.counters().dropped_queue_full, 6U);
  EXPECT_EQ(a.counters().sent, 4U);
  EXPECT_EQ(a.transport->queued(NodeId{2}), 4U);
  EXPECT_FALSE(a.transport->send(heartbeat(NodeId{1}, NodeId{3}, 1))) << "unknown peer";
  EXPECT_FALSE(a.transport->send(heartbeat(NodeId{1}, NodeId{1}, 1))) << "self";
  EXPECT_EQ(a.counters().dropped_unknown_peer, 2U);

  ASSERT_TRUE(run_until(io_b, [&] { return b.received.size() >= 4; }));
  EXPECT_EQ(b.received.size(), 4U);
  EXPECT_EQ(b.received.back().term, Term{4});
  EXPECT_EQ(a.transport->queued(NodeId{2}), 0U);
  EXPECT_TRUE(a.transport->send(heartbeat(NodeId{1}, NodeId{2}, 11))) << "room again";
}

TEST(InProcessTransport, DisconnectReportsPeerDownBothWaysAndDropsWhatWaits) {
  asio::io_context io;
  InProcessNetwork network;
  Peer a(io, network, NodeId{1}, {NodeId{2}, NodeId{3}});
  Peer b(io, network, NodeId{2}, {NodeId{1}, NodeId{3}});
  Peer c(io, network, NodeId{3}, {NodeId{1}, NodeId{2}});
  a.start();
  b.start();
  c.start();
  // Traffic a<->b and a->c: c only receives from a, yet hears a is down (as TCP's acceptor
  // side does); b and c never talk.
  ASSERT_TRUE(a.transport->send(heartbeat(NodeId{1}, NodeId{2}, 1)));
  ASSERT_TRUE(a.transport->send(heartbeat(NodeId{1}, NodeId{3}, 1)));
  ASSERT_TRUE(b.transport->send(heartbeat(NodeId{2}, NodeId{1}, 1)));
  ASSERT_TRUE(run_until(io, [&] {
    return a.received.size() == 1 && b.received.size() == 1 && c.received.size() == 1;
  }));
  // Queued, not delivered yet, when the cable is pulled: dropped and counted.
  ASSERT_TRUE(a.transport->send(heartbeat(NodeId{1}, NodeId{2}, 2)));
  EXPECT_TRUE(network.connected(NodeId{1}, NodeId{2}));
  network.disconnect(NodeId{1});
  EXPECT_FALSE(network.connected(NodeId{1}, NodeId{2}));
  EXPECT_FALSE(network.connected(NodeId{3}, NodeId{1}));
  EXPECT_TRUE(network.connected(NodeId{2}, NodeId{3}));
  EXPECT_EQ(a.counters().dropped_on_close, 1U);
  EXPECT_EQ(a.transport->queued(NodeId{2}), 0U);
  ASSERT_TRUE(run_until(
      io, [&] { return a.down.size() == 2 && b.down.size() == 1 && c.down.size() == 1; }));
  EXPECT_THAT(a.down, ::testing::UnorderedElementsAre(NodeId{2}, NodeId{3}));
  EXPECT_EQ(b.down, std::vector<NodeId>{NodeId{1}});
  EXPECT_EQ(c.down, std::vector<NodeId>{NodeId{1}});
  EXPECT_EQ(b.received.size(), 1U);

  // While cut off: sends fail and count; nothing is reported twice.
  EXPECT_FALSE(b.transport->send(heartbeat(NodeId{2}, NodeId{1}, 3)));
  EXPECT_FALSE(a.transport->send(heartbeat(NodeId{1}, NodeId{3}, 3)));
  EXPECT_EQ(b.counters().dropped_unreachable, 1U);
  io.restart();
  io.poll();
  EXPECT_EQ(b.down.size(), 1U);
  EXPECT_EQ(a.down.size(), 2U);

  // Back: messages flow, and a later cut is reported again.
  network.reconnect(NodeId{1});
  ASSERT_TRUE(b.transport->send(heartbeat(NodeId{2}, NodeId{1}, 4)));
  ASSERT_TRUE(run_until(io, [&] { return a.received.size() == 2; }));
  EXPECT_EQ(a.received.back().term, Term{4});
  network.cut(NodeId{1}, NodeId{2});
  ASSERT_TRUE(run_until(io, [&] { return b.down.size() == 2; }));
  EXPECT_TRUE(network.connected(NodeId{1}, NodeId{3}));
  network.heal_all();
  EXPECT_TRUE(network.connected(NodeId{1}, NodeId{2}));
  EXPECT_EQ(c.down.size(), 1U);
}

TEST(InProcessTransport, SendToANodeThatIsNotRunningIsReportedOnceAsPeerDown) {
  asio::io_context io;
  InProcessNetwork network;
  Peer a(io, network, NodeId{1}, {NodeId{2}});
  a.start();
  EXPECT_FALSE(a.transport->send(heartbeat(NodeId{1}, NodeId{2}, 1)));
  EXPECT_FALSE(a.transport->send(heartbeat(NodeId{1}, NodeId{2}, 2)));
  EXPECT_TRUE(a.down.empty()) << "reported from a handler, never from inside send()";
  ASSERT_TRUE(run_until(io, [&] { return !a.down.empty(); }));
  io.restart();
  io.poll();
  EXPECT_EQ(a.down, std::vector<NodeId>{NodeId{2}});
  EXPECT_EQ(a.counters().dropped_unreachable, 2U);
  EXPECT_EQ(a.counters().peer_down_reports, 1U);
  EXPECT_THAT(a.log.front(), HasSubstr("node 2 is down"));

  Peer b(io, network, NodeId{2}, {NodeId{1}});
  b.start();
  ASSERT_TRUE(a.transport->send(heartbeat(NodeId{1}, NodeId{2}, 3)));
  ASSERT_TRUE(run_until(io, [&] { return b.received.size() == 1; }));
  EXPECT_EQ(b.received.front().term, Term{3});
}

TEST(InProcessTransport, StoppedNodeIsReportedDownAndARestartedOneReceives) {
  asio::io_context io;
  InProcessNetwork network;
  Peer a(io, network, NodeId{1}, {NodeId{2}});
  auto b = std::make_unique<Peer>(io, network, NodeId{2}, std::set<NodeId>{NodeId{1}});
  a.start();
  b->start();
  Peer duplicate(io, network, NodeId{2}, {NodeId{1}});
  const Status refused = duplicate.transport->start();
  EXPECT_EQ(refused.code(), ErrorCode::kInvalidArgument);
  EXPECT_THAT(refused.message(), HasSubstr("node 2 already runs"));

  ASSERT_TRUE(a.transport->send(heartbeat(NodeId{1}, NodeId{2}, 1)));
  ASSERT_TRUE(run_until(io, [&] { return b->received.size() == 1; }));
  ASSERT_TRUE(a.transport->send(heartbeat(NodeId{1}, NodeId{2}, 2)));  // in flight at the kill
  b.reset();                                                           // as a killed process
  ASSERT_TRUE(run_until(io, [&] { return !a.down.empty(); }));
  EXPECT_EQ(a.down, std::vector<NodeId>{NodeId{2}});
  EXPECT_EQ(a.counters().dropped_on_close, 1U);

  Peer restarted(io, network, NodeId{2}, {NodeId{1}});
  restarted.start();
  ASSERT_TRUE(a.transport->send(heartbeat(NodeId{1}, NodeId{2}, 3)));
  ASSERT_TRUE(run_until(io, [&] { return restarted.received.size() == 1; }));
  EXPECT_EQ(restarted.received.front().term, Term{3}) << "nothing of the old one's is delivered";
  EXPECT_EQ(restarted.transport->start().code(), ErrorCode::kInvalidArgument) << "starts once";
}

TEST(InProcessTransport, UndecodableMessageIsDroppedAndCounted) {
  asio::io_context io;
  InProcessNetwork network;
  Peer a(io, network, NodeId{1}, {NodeId{2}}, 4096, /*encode=*/true);
  Peer b(io, network, NodeId{2}, {NodeId{1}}, 4096, /*encode=*/true);
  a.start();
  b.start();
  Message reply = heartbeat(NodeId{1}, NodeId{2}, 1);
  reply.body = VoteReply{};
  ASSERT_TRUE(a.transport->send(reply));
  // Node id 0 encodes, but decode() refuses it on the way in.
  ASSERT_TRUE(a.transport->send(heartbeat(NodeId{}, NodeId{2}, 1)));
  ASSERT_TRUE(a.transport->send(heartbeat(NodeId{1}, NodeId{2}, 2)));
  ASSERT_TRUE(run_until(io, [&] { return b.received.size() == 2; }));
  EXPECT_EQ(b.counters().codec_errors, 1U);
  EXPECT_EQ(b.received.front(), reply);
  EXPECT_EQ(b.received.back().term, Term{2});
  ASSERT_FALSE(b.log.empty());
  EXPECT_THAT(b.log.front(), HasSubstr("dropped a message from node 1"));
}

// ---- Threads ----

/// Runs an io_context on its own thread until destroyed.
class IoThread {
 public:
  IoThread() : work_(asio::make_work_guard(io_)), thread_([this] { io_.run(); }) {}
  ~IoThread() {
    work_.reset();
    io_.stop();
    thread_.join();
  }
  IoThread(const IoThread&) = delete;
  IoThread& operator=(const IoThread&) = delete;
  asio::io_context& io() { return io_; }

  /// Runs `task` on the io thread and waits for it.
  template <typename F>
  auto run(F task) -> decltype(task()) {
    std::packaged_task<decltype(task())()> packaged(std::move(task));
    auto result = packaged.get_future();
    asio::post(io_, [&packaged] { packaged(); });
    return result.get();
  }

 private:
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::thread thread_;
};

/// What the test thread waits on: a condition that handlers on other threads update.
class Latch {
 public:
  template <typename F>
  void update(F change) {
    {
      const std::lock_guard lock(mutex_);
      change();
    }
    changed_.notify_all();
  }
  /// Waits until `done()` (evaluated under the lock) or the deadline; returns done().
  template <typename F>
  bool wait(F done) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, kDeadline, done);
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
};

TEST(InProcessTransport, NodesOnTheirOwnThreadsExchangeMessagesInOrder) {
  const auto seed = testing::seeds(1).front();
  SCOPED_TRACE(testing::replay(seed, kBinary));
  InProcessNetwork network;
  IoThread thread_a;
  IoThread thread_b;
  Latch latch;
  std::vector<Message> at_a;  // guarded by latch
  std::vector<Message> at_b;  // guarded by latch
  auto make = [&](IoThread& thread, NodeId self, NodeId peer, std::vector<Message>& into) {
    InProcessTransportOptions options;
    options.self = self;
    options.peers = {peer};
    options.encode_on_wire = true;
    auto transport = std::make_unique<InProcessTransport>(thread.io(), network, options);
    transport->on_message([&latch, &into](Message message) {
      latch.update([&] { into.push_back(std::move(message)); });
    });
    return transport;
  };
  auto a = thread_a.run([&] { return make(thread_a, NodeId{1}, NodeId{2}, at_a); });
  auto b = thread_b.run([&] { return make(thread_b, NodeId{2}, NodeId{1}, at_b); });
  ASSERT_TRUE(thread_a.run([&] { return a->start().ok(); }));
  ASSERT_TRUE(thread_b.run([&] { return b->start().ok(); }));

  // Both send at once from their own threads, a batch per posted task, so deliveries and sends
  // interleave across threads.
  Prng prng(seed);
  constexpr int kBatches = 50;
  constexpr int kPerBatch = 20;
  std::vector<std::vector<Message>> batches_a;
  std::vector<std::vector<Message>> batches_b;
  for (int batch = 0; batch < kBatches; ++batch) {
    auto& to_b = batches_a.emplace_back();
    auto& to_a = batches_b.emplace_back();
    for (int i = 0; i < kPerBatch; ++i) {
      const auto kind = static_cast<std::size_t>(prng.uniform(std::variant_size_v<MessageBody>));
      to_b.push_back(testing::random_message(prng, kind));
      to_b.back().from = NodeId{1};
      to_b.back().to = NodeId{2};
      to_a.push_back(testing::random_message(prng, kind));
      to_a.back().from = NodeId{2};
      to_a.back().to = NodeId{1};
    }
  }
  for (int batch = 0; batch < kBatches; ++batch) {
    asio::post(thread_a.io(), [&, batch] {
      for (const auto& message : batches_a[static_cast<std::size_t>(batch)]) a->send(message);
    });
    asio::post(thread_b.io(), [&, batch] {
      for (const auto& message : batches_b[static_cast<std::size_t>(batch)]) b->send(message);
    });
  }
  constexpr std::size_t kTotal = std::size_t{kBatches} * kPerBatch;
  ASSERT_TRUE(latch.wait([&] { return at_a.size() >= kTotal && at_b.size() >= kTotal; }));
  std::vector<Message> expected_b;
  std::vector<Message> expected_a;
  for (int batch = 0; batch < kBatches; ++batch) {
    for (const auto& m : batches_a[static_cast<std::size_t>(batch)]) expected_b.push_back(m);
    for (const auto& m : batches_b[static_cast<std::size_t>(batch)]) expected_a.push_back(m);
  }
  EXPECT_EQ(a->counters().dropped_queue_full + b->counters().dropped_queue_full, 0U);
  EXPECT_EQ(a->counters().codec_errors + b->counters().codec_errors, 0U);
  EXPECT_EQ(at_b, expected_b);
  EXPECT_EQ(at_a, expected_a);
  thread_a.run([&] { a.reset(); });
  thread_b.run([&] { b.reset(); });
}

// ---- A raft::Node cluster over the transport ----

Time now_time() {
  return Time{
      std::chrono::duration_cast<Duration>(std::chrono::steady_clock::now().time_since_epoch())};
}

/// What the test thread sees of the cluster: each node publishes after every Ready it handled.
struct ClusterView {
  struct NodeView {
    Role role = Role::kFollower;
    Term term;
    NodeId leader;
    std::vector<std::string> applied;  ///< Payloads of the applied normal entries, in order.
  };
  Latch latch;
  std::map<NodeId, NodeView> nodes;  // guarded by latch
};

/// A tiny driver: one raft::Node with an in-memory log on its own io_context thread, handling
/// each Ready as ready.h asks (persist, send, send after persist, apply, advance) and ticking the
/// node at next_deadline() with a steady_timer. Messages travel through the codec.
class RaftHost {
 public:
  RaftHost(InProcessNetwork& network, NodeId id, const std::vector<NodeId>& voters,
           std::uint64_t seed, ClusterView& view)
      : id_(id), view_(view) {
    thread_.run([&] { start(network, voters, seed); });
  }
  ~RaftHost() {
    thread_.run([this] {
      timer_.reset();
      transport_.reset();  // as a killed process: the peers hear it is down
      node_.reset();
    });
  }
  RaftHost(const RaftHost&) = delete;
  RaftHost& operator=(const RaftHost&) = delete;

  /// Starts an election on this node now.
  Status campaign() {
    return thread_.run([this] {
      node_->tick(now_time());
      Status status = node_->campaign();
      process();
      return status;
    });
  }

  /// Proposes `command`; kNotLeader when this node is not the leader.
  Status propose(const std::string& command) {
    return thread_.run([&] {
      node_->tick(now_time());
      auto index = node_->propose(Payload{command});
      process();
      return index.ok() ? Status{} : index.status();
    });
  }

 private:
  void start(InProcessNetwork& network, const std::vector<NodeId>& voters, std::uint64_t seed) {
    Config config;
    config.id = id_;
    config.voters = voters;
    config.heartbeat_interval = std::chrono::milliseconds{20};
    // Far beyond the test's deadline: only campaign() and fast failover (peer_down) elect here,
    // so a test that passes has exercised them rather than waited for a timeout.
    config.election_timeout_min = std::chrono::seconds{60};
    config.election_timeout_max = std::chrono::seconds{120};
    config.random_seed = seed;
    auto created = Node::create(config, log_, now_time());
    ASSERT_TRUE(created.ok()) << created.status().message();
    node_.emplace(std::move(created.value()));

    InProcessTransportOptions options;
    options.self = id_;
    for (const NodeId voter : voters) {
      if (voter != id_) options.peers.insert(voter);
    }
    options.encode_on_wire = true;
    transport_ = std::make_unique<InProcessTransport>(thread_.io(), network, std::move(options));
    transport_->on_message([this](Message message) {
      node_->tick(now_time());
      (void)node_->step(std::move(message));  // stale or foreign messages are the core's to judge
      process();
    });
    transport_->on_peer_down([this](NodeId peer) {
      node_->tick(now_time());
      node_->peer_down(peer);
      process();
    });
    timer_.emplace(thread_.io());
    ASSERT_TRUE(transport_->start().ok());
    process();
  }

  void process() {
    while (node_->has_ready()) {
      Ready ready = node_->ready();
      log_.persist(ready);  // in memory: durable at once
      for (const auto& message : ready.messages) transport_->send(message);
      for (const auto& message : ready.messages_after_persist) transport_->send(message);
      for (const auto& entry : ready.committed) {
        if (entry.type == EntryType::kNormal) applied_.emplace_back(entry.payload.as_string());
      }
      node_->advance(std::move(ready));
    }
    view_.latch.update([this] {
      auto& mine = view_.nodes[id_];
      mine.role = node_->role();
      mine.term = node_->term();
      mine.leader = node_->leader();
      mine.applied = applied_;
    });
    arm();
  }

  void arm() {
    const Time deadline = node_->next_deadline();
    if (deadline == kTimeNever) {
      timer_->cancel();
      return;
    }
    timer_->expires_at(std::chrono::steady_clock::time_point{
        std::chrono::duration_cast<std::chrono::steady_clock::duration>(
            deadline.time_since_epoch())});
    timer_->async_wait([this](const boost::system::error_code& error) {
      if (error || !node_) return;  // re-armed, or shut down
      node_->tick(now_time());
      process();
    });
  }

  IoThread thread_;  // first: outlives everything that runs on it
  NodeId id_;
  ClusterView& view_;
  storage::MemoryLog log_;
  std::optional<Node> node_;
  std::unique_ptr<InProcessTransport> transport_;
  std::optional<asio::steady_timer> timer_;
  std::vector<std::string> applied_;
};

TEST(InProcessTransport, RaftClusterOnThreeThreadsElectsCommitsAndFailsOverWhenCutOff) {
  const auto seed = testing::seeds(1).front();
  SCOPED_TRACE(testing::replay(seed, kBinary));
  const std::vector<NodeId> voters{NodeId{1}, NodeId{2}, NodeId{3}};
  InProcessNetwork network;
  ClusterView view;
  std::map<NodeId, std::unique_ptr<RaftHost>> hosts;
  for (const NodeId id : voters) {
    hosts[id] = std::make_unique<RaftHost>(network, id, voters, seed, view);
  }
  // Everyone follows `leader`, which leads.
  const auto led_by = [&](NodeId leader, const std::vector<NodeId>& members) {
    for (const NodeId id : members) {
      const auto found = view.nodes.find(id);
      if (found == view.nodes.end() || found->second.leader != leader) return false;
    }
    return view.nodes[leader].role == Role::kLeader;
  };
  const auto applied_everywhere = [&](const std::vector<std::string>& expected,
                                      const std::vector<NodeId>& members) {
    for (const NodeId id : members) {
      if (view.nodes[id].applied != expected) return false;
    }
    return true;
  };

  ASSERT_TRUE(hosts[NodeId{1}]->campaign().ok());
  ASSERT_TRUE(view.latch.wait([&] { return led_by(NodeId{1}, voters); }));

  std::vector<std::string> commands;
  for (int i = 1; i <= 10; ++i) {
    commands.push_back(fmt::format("x{}", i));
    ASSERT_TRUE(hosts[NodeId{1}]->propose(commands.back()).ok());
  }
  ASSERT_TRUE(view.latch.wait([&] { return applied_everywhere(commands, voters); }));

  // Pull the leader's cable: the followers hear its links go down and elect one of them at once
  // (the election timeout is far beyond the deadline).
  network.disconnect(NodeId{1});
  const std::vector<NodeId> rest{NodeId{2}, NodeId{3}};
  NodeId new_leader;
  ASSERT_TRUE(view.latch.wait([&] {
    for (const NodeId id : rest) {
      if (led_by(id, rest)) new_leader = id;
    }
    return new_leader.valid();
  }));
  commands.emplace_back("after failover");
  ASSERT_TRUE(hosts[new_leader]->propose(commands.back()).ok());
  ASSERT_TRUE(view.latch.wait([&] { return applied_everywhere(commands, rest); }));
  EXPECT_EQ(hosts[NodeId{1}]->propose("lost").code(), ErrorCode::kOk)
      << "the old leader still believes it leads (no check-quorum round yet); its entry cannot "
         "commit";

  // Back: the old leader learns the new term, drops its uncommitted entry and catches up.
  network.reconnect(NodeId{1});
  ASSERT_TRUE(view.latch.wait(
      [&] { return led_by(new_leader, voters) && applied_everywhere(commands, voters); }));
}

}  // namespace
}  // namespace raft::transport

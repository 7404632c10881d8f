// SPDX-License-Identifier: Apache-2.0
// The server runtime (transport/server.h): real Servers with their WAL in a temporary directory,
// talking TCP on 127.0.0.1, all on one io_context run by the test. Each test waits only until
// what it expects happened (or a deadline passes): no sleeps.
#include "raft/transport/server.h"

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "support/gtest_printers.h"
#include "support/reserved_port.h"

namespace raft::transport {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;
using test_support::ReservedPort;

constexpr auto kDeadline = 20s;

/// Runs `io` until `done()` or the deadline; returns done().
bool run_until(asio::io_context& io, const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + kDeadline;
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    if (io.stopped()) io.restart();
    io.run_for(5ms);
  }
  return done();
}

/// A state machine that keeps every command, in order: easy to compare between replicas.
class ListMachine final : public StateMachine {
 public:
  std::string apply(Index index, std::span<const std::byte> command) override {
    items.emplace_back(reinterpret_cast<const char*>(command.data()), command.size());
    return fmt::format("applied {} at {}", items.back(), index.value());
  }
  [[nodiscard]] std::vector<std::byte> snapshot() const override {
    std::string text;
    for (const std::string& item : items) text += item + "\n";
    const auto bytes = std::as_bytes(std::span{text});
    return {bytes.begin(), bytes.end()};
  }
  Status restore(std::span<const std::byte> data) override {
    const std::string_view text{reinterpret_cast<const char*>(data.data()), data.size()};
    if (!text.empty() && text.back() != '\n') {
      return {ErrorCode::kCorruption, "the list does not end in a newline"};
    }
    items.clear();
    std::size_t start = 0;
    for (std::size_t end; (end = text.find('\n', start)) != std::string_view::npos;
         start = end + 1) {
      items.emplace_back(text.substr(start, end - start));
    }
    ++restores;
    return {};
  }
  std::vector<std::string> items;
  int restores = 0;
};

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::temp_directory_path() /
           fmt::format("raftsim-server-test-{}-{}", info->name(), ::getpid());
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override {
    servers_.clear();
    std::filesystem::remove_all(dir_);
  }

  /// Declares a cluster of `size` members (ports reserved); start() opens each server.
  void make_cluster(int size) {
    for (int i = 1; i <= size; ++i) {
      ports_.push_back(std::make_unique<ReservedPort>(io_));
      members_.emplace(NodeId{static_cast<std::uint64_t>(i)},
                       PeerAddress{"127.0.0.1", ports_.back()->port});
    }
    machines_.resize(static_cast<std::size_t>(size) + 1);
    servers_.resize(static_cast<std::size_t>(size) + 1);
    logs_.resize(static_cast<std::size_t>(size) + 1);
  }

  ServerOptions options(std::uint64_t id) {
    ServerOptions options;
    options.cluster_id = "server-test";
    options.id = NodeId{id};
    options.members = members_;
    options.data_dir = dir_ / fmt::format("node-{}", id);
    options.raft.heartbeat_interval = 20ms;
    options.raft.election_timeout_min = 150ms;
    options.raft.election_timeout_max = 300ms;
    options.request_timeout = 2s;
    options.fsync = false;  // tmpfs or not, the tests check behaviour, not durability.
    options.transport.backoff_base = 5ms;
    options.transport.backoff_max = 50ms;
    return options;
  }

  void start(std::uint64_t id, std::optional<ServerOptions> custom = std::nullopt) {
    if (!machines_[id]) machines_[id] = std::make_unique<ListMachine>();
    Result<std::unique_ptr<Server>> server =
        Server::open(io_, custom ? *custom : options(id), *machines_[id]);
    ASSERT_TRUE(server.ok()) << server.status().to_string();
    servers_[id] = std::move(*server);
    servers_[id]->on_log(
        [this, id](std::string_view line) { logs_[id] += fmt::format("{}\n", line); });
    ASSERT_TRUE(servers_[id]->start().ok());
  }

  void stop(std::uint64_t id) {
    servers_[id]->stop();
    servers_[id].reset();
  }

  /// The id of the one leader every running server agrees on, or 0.
  std::uint64_t agreed_leader() const {
    std::uint64_t leader = 0;
    for (const auto& server : servers_) {
      if (!server) continue;
      const ServerStatus status = server->status();
      if (status.leader == NodeId::none()) return 0;
      if (leader != 0 && leader != status.leader.value()) return 0;
      leader = status.leader.value();
    }
    return leader;
  }

  std::uint64_t wait_for_leader() {
    std::uint64_t leader = 0;
    EXPECT_TRUE(run_until(io_, [&] { return (leader = agreed_leader()) != 0; })) << all_logs();
    return leader;
  }

  /// Proposes `command` on server `id` and runs until it is answered.
  Result<ProposeResult> propose(std::uint64_t id, std::string_view command) {
    std::optional<Result<ProposeResult>> outcome;
    servers_[id]->propose(Payload{command}, [&](Result<ProposeResult> result) {
      outcome.emplace(std::move(result));
    });
    EXPECT_TRUE(run_until(io_, [&] { return outcome.has_value(); })) << all_logs();
    return outcome ? std::move(*outcome)
                   : Result<ProposeResult>{Status{ErrorCode::kTimeout, "test"}};
  }

  Status read(std::uint64_t id) {
    std::optional<Status> outcome;
    servers_[id]->read([&](Status status) { outcome.emplace(std::move(status)); });
    EXPECT_TRUE(run_until(io_, [&] { return outcome.has_value(); })) << all_logs();
    return outcome ? *outcome : Status{ErrorCode::kTimeout, "test"};
  }

  std::string all_logs() const {
    std::string out;
    for (std::size_t i = 1; i < logs_.size(); ++i)
      out += fmt::format("--- node {}\n{}", i, logs_[i]);
    return out;
  }

  asio::io_context io_;
  std::filesystem::path dir_;
  std::vector<std::unique_ptr<ReservedPort>> ports_;
  std::map<NodeId, PeerAddress> members_;
  std::vector<std::unique_ptr<ListMachine>> machines_;
  std::vector<std::unique_ptr<Server>> servers_;
  std::vector<std::string> logs_;
};

TEST_F(ServerTest, ThreeServersElectALeaderAndReplicateEveryCommandInOrder) {
  make_cluster(3);
  for (std::uint64_t id = 1; id <= 3; ++id) start(id);
  const std::uint64_t leader = wait_for_leader();
  ASSERT_NE(leader, 0U);
  for (int i = 0; i < 50; ++i) {
    Result<ProposeResult> result = propose(leader, fmt::format("cmd-{}", i));
    ASSERT_TRUE(result.ok()) << result.status().to_string();
    EXPECT_EQ(result->reply, fmt::format("applied cmd-{} at {}", i, result->index.value()));
  }
  // Every replica applies the same list (State Machine Safety, Raft §5.4.3).
  ASSERT_TRUE(run_until(io_, [&] {
    return machines_[1]->items.size() == 50 && machines_[2]->items.size() == 50 &&
           machines_[3]->items.size() == 50;
  })) << all_logs();
  EXPECT_EQ(machines_[1]->items, machines_[2]->items);
  EXPECT_EQ(machines_[1]->items, machines_[3]->items);
  EXPECT_EQ(machines_[1]->items.front(), "cmd-0");
  EXPECT_GE(servers_[leader]->metrics().commit_latency.count, 50U);
}

TEST_F(ServerTest, AFollowerRefusesProposalsNamingTheLeaderButServesLinearizableReads) {
  make_cluster(3);
  for (std::uint64_t id = 1; id <= 3; ++id) start(id);
  const std::uint64_t leader = wait_for_leader();
  ASSERT_NE(leader, 0U);
  const std::uint64_t follower = leader % 3 + 1;
  Result<ProposeResult> refused = propose(follower, "x");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), ErrorCode::kNotLeader);
  EXPECT_EQ(refused.status().leader_hint(), NodeId{leader});

  ASSERT_TRUE(propose(leader, "written").ok());
  // Thesis §6.4: once the read is confirmed, the follower's state includes every write that
  // committed before it began, although the follower may not have applied it when asked.
  ASSERT_TRUE(read(follower).ok()) << all_logs();
  ASSERT_FALSE(machines_[follower]->items.empty());
  EXPECT_EQ(machines_[follower]->items.back(), "written");
}

TEST_F(ServerTest, KillingTheLeaderElectsANewOneThroughFastFailover) {
  make_cluster(3);
  for (std::uint64_t id = 1; id <= 3; ++id) start(id);
  const std::uint64_t old_leader = wait_for_leader();
  ASSERT_NE(old_leader, 0U);
  ASSERT_TRUE(propose(old_leader, "before").ok());
  stop(old_leader);
  std::uint64_t new_leader = 0;
  // The survivors still name the old leader until they notice (at once here: its connections
  // reset, so they pre-vote without waiting for the election timeout).
  ASSERT_TRUE(run_until(io_, [&] {
    new_leader = agreed_leader();
    return new_leader != 0 && new_leader != old_leader;
  })) << all_logs();
  Result<ProposeResult> after = propose(new_leader, "after");
  ASSERT_TRUE(after.ok()) << after.status().to_string();
  EXPECT_EQ(machines_[new_leader]->items, (std::vector<std::string>{"before", "after"}));
}

TEST_F(ServerTest, ARestartedServerRebuildsItsStateFromTheLogAndTheSnapshot) {
  make_cluster(1);
  ServerOptions opts = options(1);
  opts.snapshot_every =
      8;  // Some of the state comes back from the snapshot, the rest from the log.
  start(1, opts);
  ASSERT_NE(wait_for_leader(), 0U);
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(propose(1, fmt::format("v{}", i)).ok());
  // Snapshots are written on the server's snapshot thread and become current afterwards.
  ASSERT_TRUE(run_until(io_, [&] { return servers_[1]->metrics().snapshots_taken >= 1; }));
  const std::vector<std::string> before = machines_[1]->items;
  stop(1);

  machines_[1] = std::make_unique<ListMachine>();
  start(1, opts);
  EXPECT_EQ(machines_[1]->restores, 1);
  ASSERT_TRUE(run_until(io_, [&] { return machines_[1]->items.size() == before.size(); }))
      << all_logs();
  EXPECT_EQ(machines_[1]->items, before);
  ASSERT_NE(wait_for_leader(), 0U);
  ASSERT_TRUE(propose(1, "after-restart").ok());
}

TEST_F(ServerTest, AProposalTheLeaderCannotCommitEndsAsCommitUnknown) {
  make_cluster(3);
  for (std::uint64_t id = 1; id <= 3; ++id) start(id);
  const std::uint64_t leader = wait_for_leader();
  ASSERT_NE(leader, 0U);
  for (std::uint64_t id = 1; id <= 3; ++id) {
    if (id != leader) stop(id);
  }
  // Appended but without a majority: it may commit later under another leader, so the client
  // must not be told it failed (check-quorum or the timeout ends the wait, whichever is first).
  Result<ProposeResult> result = propose(leader, "lonely");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), ErrorCode::kCommitUnknown) << result.status().to_string();
  EXPECT_TRUE(machines_[leader]->items.empty());
}

TEST_F(ServerTest, StoppingAnswersEveryPendingRequestAndRefusesNewOnes) {
  make_cluster(3);
  start(1);  // Alone: no leader, so the proposal waits nowhere and is refused at once.
  Result<ProposeResult> refused = propose(1, "x");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), ErrorCode::kNotLeader);
  servers_[1]->stop();
  Result<ProposeResult> after_stop = propose(1, "y");
  ASSERT_FALSE(after_stop.ok());
  EXPECT_EQ(after_stop.status().code(), ErrorCode::kStopped);
  EXPECT_EQ(read(1).code(), ErrorCode::kStopped);
  EXPECT_EQ(servers_[1]->status().health.code(), ErrorCode::kStopped);
}

TEST_F(ServerTest, DestroyingAServerWithWorkStillQueuedOnTheIoContextIsSafe) {
  // The io_context outlives the server: the drain a proposal queued, and the timer, must not
  // run on a destroyed server (ASan catches it in the asan-ubsan build).
  make_cluster(1);
  start(1);
  ASSERT_NE(wait_for_leader(), 0U);
  std::optional<Result<ProposeResult>> outcome;
  servers_[1]->propose(Payload{std::string_view{"last"}},
                       [&](Result<ProposeResult> result) { outcome.emplace(std::move(result)); });
  std::future<Result<ProposeResult>> posted = servers_[1]->propose_async(Payload{"posted"});
  servers_[1].reset();  // Stops it (answering the pending proposal), then destroys it.
  ASSERT_TRUE(outcome.has_value());
  EXPECT_EQ(outcome->status().code(), ErrorCode::kCommitUnknown);
  io_.restart();
  io_.run_for(50ms);  // Runs what was queued: the drain, the posted proposal.
  ASSERT_EQ(posted.wait_for(0s), std::future_status::ready);
  EXPECT_EQ(posted.get().status().code(), ErrorCode::kStopped);
}

TEST_F(ServerTest, BadOptionsAreRefusedNamingTheField) {
  make_cluster(3);
  ListMachine machine;
  ServerOptions no_self = options(1);
  no_self.id = NodeId{9};
  Result<std::unique_ptr<Server>> a = Server::open(io_, no_self, machine);
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.status().code(), ErrorCode::kInvalidConfig);
  EXPECT_NE(a.status().message().find("members"), std::string::npos) << a.status().to_string();

  ServerOptions no_dir = options(1);
  no_dir.data_dir.clear();
  Result<std::unique_ptr<Server>> b = Server::open(io_, no_dir, machine);
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.status().message().find("data_dir"), std::string::npos) << b.status().to_string();

  ServerOptions bad_timeouts = options(1);
  bad_timeouts.raft.heartbeat_interval = 500ms;  // Not below the election timeout.
  Result<std::unique_ptr<Server>> c = Server::open(io_, bad_timeouts, machine);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), ErrorCode::kInvalidConfig) << c.status().to_string();
}

TEST_F(ServerTest, ASnapshotTheStateMachineCannotReadStopsTheServerFromStarting) {
  make_cluster(1);
  ServerOptions opts = options(1);
  opts.snapshot_every = 2;
  start(1, opts);
  ASSERT_NE(wait_for_leader(), 0U);
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(propose(1, fmt::format("v{}", i)).ok());
  ASSERT_TRUE(run_until(io_, [&] { return servers_[1]->metrics().snapshots_taken >= 1; }));
  stop(1);

  // A state machine that refuses the snapshot's bytes (as after a format change it cannot read).
  class Refusing final : public StateMachine {
   public:
    std::string apply(Index, std::span<const std::byte>) override { return {}; }
    [[nodiscard]] std::vector<std::byte> snapshot() const override { return {}; }
    Status restore(std::span<const std::byte>) override {
      return {ErrorCode::kCorruption, "unknown snapshot version 7"};
    }
  } refusing;
  Result<std::unique_ptr<Server>> reopened = Server::open(io_, opts, refusing);
  ASSERT_FALSE(reopened.ok());
  EXPECT_EQ(reopened.status().code(), ErrorCode::kCorruption);
  EXPECT_NE(reopened.status().message().find("unknown snapshot version 7"), std::string::npos)
      << reopened.status().to_string();
}

}  // namespace
}  // namespace raft::transport

// SPDX-License-Identifier: Apache-2.0
// The TCP transport (transport/tcp_transport.h) on 127.0.0.1 with ephemeral ports: every message
// kind crosses both ways, strangers are refused and counted, a closed peer or a refused connect
// is reported through on_peer_down, a refused peer is redialed once it listens, full queues drop
// and count, small messages are batched, a garbage stream is cut off with a reason, host names
// are resolved at dial time (an unresolvable one is a failed connect), and connections carry the
// configured TCP keepalive (observed in /proc/net/tcp).
//
// Everything runs on one io_context that the test drives with run_for() until a condition holds
// or a generous deadline passes; nothing sleeps and no speed is asserted.
//
// Replay one seed:  RAFT_SEED=123 ./build/release/tests/transport_tcp_transport_test
#include "raft/transport/tcp_transport.h"

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

#include <boost/asio/buffer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "raft/message.h"
#include "raft/prng.h"
#include "support/gtest_printers.h"
#include "support/reserved_port.h"
#include "transport/random_message.h"

namespace raft::transport {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using ::testing::HasSubstr;

constexpr std::size_t kKinds = std::variant_size_v<MessageBody>;
/// Generous: a loaded two-core CI machine may be slow, and the tests wait only as long as needed.
constexpr auto kDeadline = std::chrono::seconds{10};

std::uint64_t seed() {
  const char* text = std::getenv("RAFT_SEED");
  return text == nullptr ? 1 : std::strtoull(text, nullptr, 10);
}

std::string replay(std::uint64_t value) {
  return fmt::format("seed={} (replay: RAFT_SEED={} tests/transport_tcp_transport_test)", value,
                     value);
}

/// Runs `io` until `done()` or the deadline; returns done().
bool run_until(asio::io_context& io, const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + kDeadline;
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    if (io.stopped()) io.restart();
    io.run_for(std::chrono::milliseconds{10});
  }
  return done();
}

/// A port that refuses connections until a transport listens on it (support/reserved_port.h).
using ClosedPort = test_support::ReservedPort;

/// One node: a transport and what it saw.
struct Node {
  Node(asio::io_context& io, NodeId id, std::string cluster = "test-cluster",
       std::uint16_t port = 0, std::size_t max_queue = 4096,
       std::chrono::milliseconds handshake_timeout = std::chrono::seconds{5},
       const std::function<void(TcpTransportOptions&)>& tune = {}) {
    TcpTransportOptions options;
    options.cluster_id = std::move(cluster);
    options.self = id;
    options.listen_port = port;
    options.max_queue_messages = max_queue;
    options.handshake_timeout = handshake_timeout;
    options.backoff_base = std::chrono::milliseconds{5};
    options.backoff_max = std::chrono::milliseconds{50};
    options.seed = seed() + id.value();
    if (tune) tune(options);
    transport = std::make_unique<TcpTransport>(io, std::move(options));
    transport->on_message([this](Message message) { received.push_back(std::move(message)); });
    transport->on_peer_down([this](NodeId peer) { down.push_back(peer); });
    transport->on_log([this](std::string_view line) { log.emplace_back(line); });
  }
  void start() { ASSERT_TRUE(transport->start().ok()); }
  void knows(NodeId peer, std::uint16_t port) {
    ASSERT_TRUE(transport->set_peer(peer, PeerAddress{"127.0.0.1", port}).ok());
  }
  [[nodiscard]] std::string all_log() const {
    std::string out;
    for (const auto& line : log) out += line + "\n";
    return out;
  }
  [[nodiscard]] const TcpTransportCounters& counters() const { return transport->counters(); }

  std::unique_ptr<TcpTransport> transport;
  std::vector<Message> received;
  std::vector<NodeId> down;
  std::vector<std::string> log;
};

Message heartbeat(NodeId from, NodeId to, std::uint64_t term) {
  return Message{from, to, Term{term}, TimeoutNow{}};
}

TEST(TcpTransport, EveryMessageKindCrossesBothWays) {
  const auto value = seed();
  SCOPED_TRACE(replay(value));
  asio::io_context io;
  Node a(io, NodeId{1});
  Node b(io, NodeId{2});
  a.start();
  b.start();
  a.knows(NodeId{2}, b.transport->local_port());
  b.knows(NodeId{1}, a.transport->local_port());

  Prng prng(value);
  std::vector<Message> to_b;
  std::vector<Message> to_a;
  for (int round = 0; round < 4; ++round) {
    for (std::size_t kind = 0; kind < kKinds; ++kind) {
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
  // Wait for everything asserted below: the handshake answers and the write completions are
  // handled in their own time, not necessarily before the last message arrives.
  ASSERT_TRUE(run_until(io,
                        [&] {
                          return a.received.size() >= to_a.size() &&
                                 b.received.size() >= to_b.size() &&
                                 a.counters().sent == to_b.size() && a.counters().connects == 1 &&
                                 b.counters().connects == 1;
                        }))
      << a.all_log() << b.all_log();
  // One connection per direction: order is kept.
  EXPECT_EQ(b.received, to_b);
  EXPECT_EQ(a.received, to_a);
  EXPECT_EQ(a.counters().sent, to_b.size());
  EXPECT_EQ(a.counters().received, to_a.size());
  EXPECT_EQ(a.counters().connects, 1U);
  EXPECT_EQ(b.counters().connects, 1U);
  EXPECT_EQ(a.counters().refused_handshakes + a.counters().protocol_errors, 0U);
  EXPECT_GT(a.counters().bytes_sent, 0U);
  EXPECT_GT(a.counters().bytes_received, 0U);
  EXPECT_TRUE(a.down.empty());
  EXPECT_TRUE(b.down.empty());
}

TEST(TcpTransport, SmallMessagesQueuedTogetherGoInOneWrite) {
  asio::io_context io;
  Node a(io, NodeId{1});
  Node b(io, NodeId{2});
  a.start();
  b.start();
  a.knows(NodeId{2}, b.transport->local_port());
  b.knows(NodeId{1}, a.transport->local_port());
  // All queued before the connect completes (it needs the io_context to run): the first write
  // carries the handshake and every one of them.
  constexpr std::uint64_t kCount = 100;
  for (std::uint64_t i = 1; i <= kCount; ++i) {
    ASSERT_TRUE(a.transport->send(heartbeat(NodeId{1}, NodeId{2}, i)));
  }
  EXPECT_EQ(a.transport->queued(NodeId{2}), kCount);
  ASSERT_TRUE(run_until(io, [&] {
    return b.received.size() >= kCount && a.counters().sent == kCount;
  })) << a.all_log();
  EXPECT_EQ(a.counters().sent, kCount);
  EXPECT_EQ(a.counters().writes, 1U);
  EXPECT_EQ(b.received.back().term, Term{kCount});
}

TEST(TcpTransport, RefusesAnotherClusterAndUnknownNodes) {
  asio::io_context io;
  Node a(io, NodeId{1}, "alpha");
  Node foreign(io, NodeId{2}, "beta");
  Node unknown(io, NodeId{9}, "alpha");
  a.start();
  foreign.start();
  unknown.start();
  a.knows(NodeId{2}, foreign.transport->local_port());  // node 2 is a peer, of another cluster
  foreign.knows(NodeId{1}, a.transport->local_port());
  unknown.knows(NodeId{1}, a.transport->local_port());  // a does not know node 9

  ASSERT_TRUE(foreign.transport->send(heartbeat(NodeId{2}, NodeId{1}, 1)));
  ASSERT_TRUE(unknown.transport->send(heartbeat(NodeId{9}, NodeId{1}, 1)));
  ASSERT_TRUE(run_until(io, [&] {
    return a.counters().refused_handshakes >= 2 && !foreign.down.empty() && !unknown.down.empty();
  })) << a.all_log();
  EXPECT_EQ(a.counters().refused_handshakes, 2U);
  EXPECT_TRUE(a.received.empty());
  EXPECT_TRUE(a.down.empty()) << "a refused stranger is not a peer going down";
  EXPECT_EQ(foreign.down, std::vector<NodeId>{NodeId{1}});
  EXPECT_EQ(unknown.down, std::vector<NodeId>{NodeId{1}});
  EXPECT_EQ(foreign.counters().connects, 0U);
  const std::string log = a.all_log();
  EXPECT_THAT(log, HasSubstr("refused connection from 127.0.0.1:"));
  EXPECT_THAT(log, HasSubstr("alpha"));  // check_handshake names the cluster ids
}

TEST(TcpTransport, ClosingOneSideReportsPeerDownOnTheOther) {
  asio::io_context io;
  Node a(io, NodeId{1});
  auto b = std::make_unique<Node>(io, NodeId{2});
  a.start();
  b->start();
  a.knows(NodeId{2}, b->transport->local_port());
  b->knows(NodeId{1}, a.transport->local_port());
  ASSERT_TRUE(a.transport->send(heartbeat(NodeId{1}, NodeId{2}, 1)));
  ASSERT_TRUE(b->transport->send(heartbeat(NodeId{2}, NodeId{1}, 1)));
  ASSERT_TRUE(run_until(io, [&] {
    return a.received.size() == 1 && b->received.size() == 1 && a.counters().connects == 1 &&
           b->counters().connects == 1;
  }));

  b.reset();  // closes both of b's connections, as a killed process would
  ASSERT_TRUE(run_until(io, [&] { return !a.down.empty(); })) << a.all_log();
  // Both of a's connections to b broke; b is reported down once.
  ASSERT_TRUE(run_until(io, [&] { return a.counters().disconnects >= 2; })) << a.all_log();
  EXPECT_EQ(a.down, std::vector<NodeId>{NodeId{2}});
  EXPECT_THAT(a.all_log(), HasSubstr("node 2"));
}

TEST(TcpTransport, RefusedConnectReportsPeerDownAndRedialsOnceThePeerListens) {
  asio::io_context io;
  Node a(io, NodeId{1});
  a.start();
  ClosedPort closed(io);
  const std::uint16_t port = closed.port;
  a.knows(NodeId{2}, port);
  ASSERT_TRUE(a.transport->send(heartbeat(NodeId{1}, NodeId{2}, 7)));
  ASSERT_TRUE(run_until(io, [&] { return !a.down.empty(); })) << a.all_log();
  EXPECT_EQ(a.down, std::vector<NodeId>{NodeId{2}});
  EXPECT_GE(a.counters().connect_failures, 1U);
  EXPECT_THAT(a.all_log(), HasSubstr("connect to node 2"));
  EXPECT_EQ(a.transport->queued(NodeId{2}), 1U) << "the message waits for the redial";

  Node b(io, NodeId{2}, "test-cluster", port);
  b.start();
  closed.socket.close();
  b.knows(NodeId{1}, a.transport->local_port());
  ASSERT_TRUE(run_until(io, [&] { return b.received.size() == 1 && a.counters().connects == 1; }))
      << a.all_log();
  EXPECT_EQ(b.received.front(), heartbeat(NodeId{1}, NodeId{2}, 7));
  EXPECT_EQ(a.counters().connects, 1U);
  EXPECT_EQ(a.down.size(), 1U) << "failed redials are not reported again";
}

TEST(TcpTransport, FullQueueDropsAndCounts) {
  asio::io_context io;
  Node a(io, NodeId{1}, "test-cluster", 0, /*max_queue=*/4);
  a.start();
  ClosedPort closed(io);
  const std::uint16_t port = closed.port;
  a.knows(NodeId{2}, port);
  int accepted = 0;
  for (std::uint64_t i = 1; i <= 10; ++i) {
    if (a.transport->send(heartbeat(NodeId{1}, NodeId{2}, i))) ++accepted;
  }
  EXPECT_EQ(accepted, 4);
  EXPECT_EQ(a.counters().dropped_queue_full, 6U);
  EXPECT_EQ(a.transport->queued(NodeId{2}), 4U);
  EXPECT_FALSE(a.transport->send(heartbeat(NodeId{1}, NodeId{3}, 1))) << "unknown peer";
  EXPECT_EQ(a.counters().dropped_unknown_peer, 1U);
}

TEST(TcpTransport, GarbageStreamIsCutOffWithAReason) {
  asio::io_context io;
  Node a(io, NodeId{1});
  a.start();
  tcp::socket stranger(io);
  stranger.connect(tcp::endpoint{asio::ip::make_address("127.0.0.1"), a.transport->local_port()});
  const std::string request = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
  asio::write(stranger, asio::buffer(request));
  bool closed = false;
  std::array<char, 64> buffer{};
  std::function<void()> read_more = [&] {
    stranger.async_read_some(asio::buffer(buffer),
                             [&](const boost::system::error_code& error, std::size_t) {
                               if (error) {
                                 closed = true;
                               } else {
                                 read_more();
                               }
                             });
  };
  read_more();
  ASSERT_TRUE(run_until(io, [&] { return closed && a.counters().protocol_errors == 1; }))
      << a.all_log();
  EXPECT_THAT(a.all_log(), HasSubstr("bad magic"));
  EXPECT_TRUE(a.down.empty());
}

TEST(TcpTransport, SilentStrangerIsCutOffAfterTheHandshakeTimeout) {
  asio::io_context io;
  Node a(io, NodeId{1}, "test-cluster", 0, 4096, std::chrono::milliseconds{50});
  a.start();
  tcp::socket stranger(io);
  stranger.connect(tcp::endpoint{asio::ip::make_address("127.0.0.1"), a.transport->local_port()});
  bool closed = false;
  std::array<char, 64> buffer{};
  stranger.async_read_some(asio::buffer(buffer),
                           [&](const boost::system::error_code& error, std::size_t) {
                             closed = static_cast<bool>(error);
                           });
  ASSERT_TRUE(run_until(io, [&] { return closed; })) << a.all_log();
  EXPECT_EQ(a.counters().refused_handshakes, 1U);
  EXPECT_THAT(a.all_log(), HasSubstr("no handshake within 50 ms"));
}

TEST(TcpTransport, PeerAtAHostNameIsResolvedAtDialTime) {
  asio::io_context io;
  Node a(io, NodeId{1});
  Node b(io, NodeId{2});
  a.start();
  b.start();
  EXPECT_EQ(a.transport->set_peer(NodeId{3}, PeerAddress{"bad host!", 1}).code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(a.transport->set_peer(NodeId{3}, PeerAddress{"", 1}).code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(a.transport->set_peer(NodeId{3}, PeerAddress{"a..b", 1}).code(),
            ErrorCode::kInvalidArgument);
  ASSERT_TRUE(
      a.transport->set_peer(NodeId{2}, PeerAddress{"localhost", b.transport->local_port()}).ok());
  b.knows(NodeId{1}, a.transport->local_port());
  ASSERT_TRUE(a.transport->send(heartbeat(NodeId{1}, NodeId{2}, 5)));
  ASSERT_TRUE(b.transport->send(heartbeat(NodeId{2}, NodeId{1}, 6)));
  ASSERT_TRUE(run_until(io, [&] {
    return b.received.size() == 1 && a.received.size() == 1 && a.counters().connects == 1;
  })) << a.all_log();
  EXPECT_EQ(b.received.front(), heartbeat(NodeId{1}, NodeId{2}, 5));
  EXPECT_EQ(a.counters().resolve_failures, 0U);
  EXPECT_TRUE(a.down.empty()) << a.all_log();
}

TEST(TcpTransport, ListenHostMayBeAName) {
  asio::io_context io;
  Node a(io, NodeId{1}, "test-cluster", 0, 4096, std::chrono::seconds{5},
         [](TcpTransportOptions& options) { options.listen_host = "localhost"; });
  a.start();
  EXPECT_NE(a.transport->local_port(), 0);
  Node bad(io, NodeId{2}, "test-cluster", 0, 4096, std::chrono::seconds{5},
           [](TcpTransportOptions& options) { options.listen_host = "no-such-host.invalid"; });
  const Status status = bad.transport->start();
  EXPECT_EQ(status.code(), ErrorCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("listen_host"));
}

TEST(TcpTransport, UnresolvableHostIsAFailedConnect) {
  asio::io_context io;
  Node a(io, NodeId{1});
  a.start();
  // RFC 6761: names under .invalid never resolve.
  ASSERT_TRUE(a.transport->set_peer(NodeId{2}, PeerAddress{"no-such-host.invalid", 7000}).ok());
  ASSERT_TRUE(a.transport->send(heartbeat(NodeId{1}, NodeId{2}, 1)));
  ASSERT_TRUE(run_until(io, [&] { return !a.down.empty(); })) << a.all_log();
  EXPECT_EQ(a.down, std::vector<NodeId>{NodeId{2}});
  EXPECT_GE(a.counters().connect_failures, 1U);
  EXPECT_GE(a.counters().resolve_failures, 1U);
  EXPECT_EQ(a.counters().connects, 0U);
  EXPECT_THAT(a.all_log(), HasSubstr("cannot resolve the host"));
  EXPECT_EQ(a.transport->queued(NodeId{2}), 1U) << "the message waits for the redial";
}

/// The IPv4 TCP sockets of this machine (/proc/net/tcp): ports, state and the kind of timer
/// pending (tr: 0 none, 1 retransmit, 2 keepalive, 4 zero-window probe) with its expiry in
/// clock ticks (USER_HZ, 100 a second).
struct SocketLine {
  std::uint16_t local_port = 0;
  std::uint16_t remote_port = 0;
  unsigned state = 0;  ///< 1: established.
  unsigned timer = 0;
  unsigned long long ticks = 0;
};

std::optional<std::vector<SocketLine>> proc_net_tcp() {
  std::ifstream file("/proc/net/tcp");
  if (!file) return std::nullopt;
  std::vector<SocketLine> lines;
  std::string line;
  std::getline(file, line);  // header
  while (std::getline(file, line)) {
    std::istringstream in(line);
    std::string slot;
    std::string local;
    std::string remote;
    std::string state;
    std::string queues;
    std::string timer;
    in >> slot >> local >> remote >> state >> queues >> timer;
    const auto port = [](const std::string& address) {
      return static_cast<std::uint16_t>(
          std::stoul(address.substr(address.find(':') + 1), nullptr, 16));
    };
    SocketLine parsed;
    parsed.local_port = port(local);
    parsed.remote_port = port(remote);
    parsed.state = static_cast<unsigned>(std::stoul(state, nullptr, 16));
    parsed.timer = static_cast<unsigned>(std::stoul(timer.substr(0, timer.find(':')), nullptr, 16));
    parsed.ticks = std::stoull(timer.substr(timer.find(':') + 1), nullptr, 16);
    lines.push_back(parsed);
  }
  return lines;
}

TEST(TcpTransport, ConnectionsProbeIdlePeersWithTheConfiguredKeepalive) {
  if (!proc_net_tcp()) GTEST_SKIP() << "no /proc/net/tcp to observe the sockets";
  asio::io_context io;
  // a: keepalive after 7 s of silence (the kernel's default is 2 hours); b: keepalive off.
  Node a(io, NodeId{1}, "test-cluster", 0, 4096, std::chrono::seconds{5},
         [](TcpTransportOptions& options) { options.keepalive_idle = std::chrono::seconds{7}; });
  Node b(io, NodeId{2}, "test-cluster", 0, 4096, std::chrono::seconds{5},
         [](TcpTransportOptions& options) { options.keepalive = false; });
  a.start();
  b.start();
  const std::uint16_t a_port = a.transport->local_port();
  const std::uint16_t b_port = b.transport->local_port();
  a.knows(NodeId{2}, b_port);
  b.knows(NodeId{1}, a_port);
  ASSERT_TRUE(a.transport->send(heartbeat(NodeId{1}, NodeId{2}, 1)));
  ASSERT_TRUE(b.transport->send(heartbeat(NodeId{2}, NodeId{1}, 1)));
  ASSERT_TRUE(run_until(io, [&] {
    return a.received.size() == 1 && b.received.size() == 1 && a.counters().connects == 1 &&
           b.counters().connects == 1;
  }));
  // a's two connections: the one it dialed (to b's port) and the one it accepted (on its own).
  const auto is_a = [&](const SocketLine& socket) {
    return socket.state == 1 && (socket.local_port == a_port || socket.remote_port == b_port);
  };
  const auto is_b = [&](const SocketLine& socket) {
    return socket.state == 1 && (socket.local_port == b_port || socket.remote_port == a_port);
  };
  std::vector<SocketLine> sockets;
  // Once the last segments are acknowledged, the idle connections wait on the keepalive timer.
  ASSERT_TRUE(run_until(io, [&] {
    sockets = proc_net_tcp().value_or(std::vector<SocketLine>{});
    int keepalive = 0;
    for (const auto& socket : sockets) {
      if (is_a(socket) && socket.timer == 2) ++keepalive;
    }
    return keepalive == 2;
  }));
  int seen_b = 0;
  for (const auto& socket : sockets) {
    if (is_a(socket)) {
      EXPECT_LE(socket.ticks, 7U * 100) << "the configured idle time, not the kernel's 2 hours";
    }
    if (is_b(socket)) {
      ++seen_b;
      EXPECT_NE(socket.timer, 2U) << "keepalive off";
    }
  }
  EXPECT_EQ(seen_b, 2);
}

}  // namespace
}  // namespace raft::transport

// SPDX-License-Identifier: Apache-2.0
// raft-kv's HTTP API (examples/kv/http_api.h) against real raft Servers on 127.0.0.1: one node
// (it elects itself) for the routes, two for the redirect to the leader. The servers run on an
// io_context in a background thread; the test is an HTTP client (Boost.Beast) on its own
// io_context. Waits only by polling with a deadline.
#include "http_api.h"

#include <unistd.h>

#include <array>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "kv_command.h"
#include "kv_state_machine.h"
#include "raft/transport/server.h"
#include "support/reserved_port.h"

namespace raft::kv {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

constexpr auto kDeadline = 20s;
using Response = bhttp::response<bhttp::string_body>;
using test_support::ReservedPort;

/// A keep-alive HTTP/1.1 client: one connection, reused for every request.
class Client {
 public:
  explicit Client(std::uint16_t port) : port_(port) {}

  Response request(bhttp::verb method, const std::string& target, std::string body = {},
                   const std::map<std::string, std::string>& headers = {}) {
    if (!connected_) connect();
    bhttp::request<bhttp::string_body> request{method, target, 11};
    request.set(bhttp::field::host, fmt::format("127.0.0.1:{}", port_));
    for (const auto& [name, value] : headers) request.set(name, value);
    request.body() = std::move(body);
    if (method == bhttp::verb::put || method == bhttp::verb::post || !request.body().empty()) {
      request.prepare_payload();
    }
    beast::error_code error;
    stream_.expires_after(kDeadline);
    bhttp::async_write(stream_, request, [&](beast::error_code e, std::size_t) { error = e; });
    run();
    // An early answer (413) may come while the body is still being written: read anyway.
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(std::size_t{8} << 20U);
    beast::error_code read_error;
    stream_.expires_after(kDeadline);
    bhttp::async_read(stream_, buffer_, parser,
                      [&](beast::error_code e, std::size_t) { read_error = e; });
    run();
    EXPECT_FALSE(read_error) << method << " " << target << ": " << read_error.message()
                             << " (write: " << error.message() << ")";
    Response response = parser.release();
    if (read_error || !response.keep_alive()) connected_ = false;
    return response;
  }
  Response get(const std::string& target) { return request(bhttp::verb::get, target); }
  Response put(const std::string& target, std::string body,
               const std::map<std::string, std::string>& headers = {}) {
    return request(bhttp::verb::put, target, std::move(body), headers);
  }
  /// Times the client reconnected: 1 means every request shared one connection.
  [[nodiscard]] int connects() const { return connects_; }

 private:
  void connect() {
    stream_.close();
    buffer_.clear();
    beast::error_code error;
    stream_.expires_after(kDeadline);
    stream_.async_connect(tcp::endpoint{asio::ip::make_address("127.0.0.1"), port_},
                          [&](beast::error_code e) { error = e; });
    run();
    ASSERT_FALSE(error) << error.message();
    connected_ = true;
    ++connects_;
  }
  void run() {
    io_.restart();
    io_.run();
  }

  asio::io_context io_;
  beast::tcp_stream stream_{io_};
  beast::flat_buffer buffer_;
  std::uint16_t port_;
  bool connected_ = false;
  int connects_ = 0;
};

nlohmann::json json_of(const Response& response) {
  nlohmann::json body = nlohmann::json::parse(response.body(), nullptr, false);
  EXPECT_FALSE(body.is_discarded()) << "not JSON: " << response.body();
  EXPECT_EQ(response[bhttp::field::content_type], "application/json");
  return body;
}

std::string error_of(const Response& response) {
  const nlohmann::json body = json_of(response);
  EXPECT_TRUE(body.contains("message")) << response.body();
  return body.value("error", std::string{"<none>"});
}

/// N raft-kv nodes (Server + state machine + HttpApi) in this process.
class HttpApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::temp_directory_path() /
           fmt::format("raftsim-kv-http-test-{}-{}", info->name(), ::getpid());
    std::filesystem::remove_all(dir_);
  }

  void TearDown() override {
    if (thread_.joinable()) {
      asio::post(io_, [this] {
        for (auto& node : nodes_) {
          node.http->stop();
          node.server->stop();
        }
      });
      work_.reset();
      thread_.join();
    }
    nodes_.clear();
    std::filesystem::remove_all(dir_);
  }

  /// Starts `size` nodes (ids 1..size) and the io thread.
  void start_cluster(int size, int running = -1) {
    if (running < 0) running = size;
    std::map<NodeId, transport::PeerAddress> members;
    std::map<NodeId, std::string> http_peers;
    for (int i = 1; i <= size; ++i) {
      const NodeId id{static_cast<std::uint64_t>(i)};
      raft_ports_.push_back(std::make_unique<ReservedPort>(io_));
      http_ports_.push_back(std::make_unique<ReservedPort>(io_));
      members[id] = transport::PeerAddress{"127.0.0.1", raft_ports_.back()->port};
      http_peers[id] = fmt::format("127.0.0.1:{}", http_ports_.back()->port);
    }
    nodes_.resize(static_cast<std::size_t>(running));
    for (int i = 1; i <= running; ++i) {
      Node& node = nodes_[static_cast<std::size_t>(i - 1)];
      transport::ServerOptions options;
      options.cluster_id = "kv-http-test";
      options.id = NodeId{static_cast<std::uint64_t>(i)};
      options.members = members;
      options.data_dir = dir_ / fmt::format("node-{}", i);
      options.fsync = false;  // The tests check behaviour, not durability.
      options.raft.heartbeat_interval = 10ms;
      options.raft.election_timeout_min = 50ms;
      options.raft.election_timeout_max = 100ms;
      options.request_timeout = 2s;
      options.transport.backoff_base = 5ms;
      options.transport.backoff_max = 50ms;
      node.machine = std::make_unique<KvStateMachine>();
      Result<std::unique_ptr<transport::Server>> server =
          transport::Server::open(io_, options, *node.machine);
      ASSERT_TRUE(server.ok()) << server.status().to_string();
      node.server = std::move(*server);
      ASSERT_TRUE(node.server->start().ok());
      HttpApiOptions http;
      http.port = http_ports_[static_cast<std::size_t>(i - 1)]->port;
      http.http_peers = http_peers;
      http.idle_timeout = idle_timeout_;
      node.http = std::make_unique<HttpApi>(io_, *node.server, *node.machine, http);
      const Status started = node.http->start();
      ASSERT_TRUE(started.ok()) << started.to_string();
    }
    work_.emplace(io_.get_executor());
    thread_ = std::thread{[this] { io_.run(); }};
  }

  std::uint16_t http_port(int id) const {
    return http_ports_[static_cast<std::size_t>(id - 1)]->port;
  }

  /// Polls GET /v1/status on every running node until they agree on a leader; returns its id.
  std::uint64_t wait_for_leader() {
    const auto deadline = std::chrono::steady_clock::now() + kDeadline;
    while (std::chrono::steady_clock::now() < deadline) {
      std::uint64_t agreed = 0;
      bool all = true;
      for (std::size_t i = 0; i < nodes_.size(); ++i) {
        Client client{http_port(static_cast<int>(i + 1))};
        const nlohmann::json status = json_of(client.get("/v1/status"));
        const std::uint64_t leader = status.value("leader", std::uint64_t{0});
        if (leader == 0 || (agreed != 0 && agreed != leader)) all = false;
        agreed = leader;
      }
      if (all && agreed != 0) return agreed;
      std::this_thread::sleep_for(5ms);  // Polling interval, not synchronization.
    }
    ADD_FAILURE() << "no leader within the deadline";
    return 0;
  }

  struct Node {
    std::unique_ptr<KvStateMachine> machine;
    std::unique_ptr<transport::Server> server;
    std::unique_ptr<HttpApi> http;
  };

  std::chrono::milliseconds idle_timeout_{std::chrono::seconds{60}};
  asio::io_context io_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::thread thread_;
  std::filesystem::path dir_;
  std::vector<std::unique_ptr<ReservedPort>> raft_ports_;
  std::vector<std::unique_ptr<ReservedPort>> http_ports_;
  std::vector<Node> nodes_;
};

TEST_F(HttpApiTest, PutGetDeleteOverOneKeepAliveConnection) {
  start_cluster(1);
  ASSERT_EQ(wait_for_leader(), 1U);
  Client client{http_port(1)};

  Response put = client.put("/v1/kv/users/42:name", "alice");
  ASSERT_EQ(put.result(), bhttp::status::ok) << put.body();
  const nlohmann::json written = json_of(put);
  const std::uint64_t index = written.at("index").get<std::uint64_t>();
  EXPECT_GE(index, 1U);
  EXPECT_GE(written.at("term").get<std::uint64_t>(), 1U);

  Response get = client.get("/v1/kv/users/42:name");
  ASSERT_EQ(get.result(), bhttp::status::ok);
  EXPECT_EQ(get.body(), "alice");
  EXPECT_EQ(get[bhttp::field::content_type], "application/octet-stream");
  EXPECT_EQ(get["X-Raft-Index"], std::to_string(index));

  Response stale = client.get("/v1/kv/users/42:name?stale=1");
  EXPECT_EQ(stale.result(), bhttp::status::ok);
  EXPECT_EQ(stale.body(), "alice");

  Response erased = client.request(bhttp::verb::delete_, "/v1/kv/users/42:name");
  ASSERT_EQ(erased.result(), bhttp::status::ok) << erased.body();
  EXPECT_EQ(json_of(erased).at("deleted"), true);
  EXPECT_GT(json_of(erased).at("index").get<std::uint64_t>(), index);

  Response missing = client.get("/v1/kv/users/42:name");
  EXPECT_EQ(missing.result(), bhttp::status::not_found);
  EXPECT_EQ(error_of(missing), "not_found");
  erased = client.request(bhttp::verb::delete_, "/v1/kv/users/42:name");
  EXPECT_EQ(json_of(erased).at("deleted"), false);
  // Binary values come back byte for byte.
  const std::string binary("\0\x01\xff\r\n", 5);
  ASSERT_EQ(client.put("/v1/kv/bin", binary).result(), bhttp::status::ok);
  EXPECT_EQ(client.get("/v1/kv/bin").body(), binary);
  EXPECT_EQ(client.connects(), 1);
}

TEST_F(HttpApiTest, AnIdleConnectionIsClosedButABusyOneIsNot) {
  // Generous against a loaded machine: a busy client pausing 50 ms must never look idle.
  idle_timeout_ = 1s;
  start_cluster(1);
  ASSERT_NE(wait_for_leader(), 0U);
  // Busy: a request every 50 ms for twice the idle limit, all on one connection.
  Client busy{http_port(1)};
  const auto busy_until = std::chrono::steady_clock::now() + 2 * idle_timeout_;
  while (std::chrono::steady_clock::now() < busy_until) {
    ASSERT_EQ(busy.get("/healthz").result(), bhttp::status::ok);
    std::this_thread::sleep_for(50ms);  // The client's pace, not synchronization.
  }
  EXPECT_EQ(busy.connects(), 1);

  // Idle: after one request the server closes the connection (the read sees end of stream)
  // within the idle limit plus slack, not never.
  asio::io_context io;
  tcp::socket socket{io};
  socket.connect(tcp::endpoint{asio::ip::make_address("127.0.0.1"), http_port(1)});
  const std::string request = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
  asio::write(socket, asio::buffer(request));
  std::string received;
  beast::error_code end;
  std::array<char, 4096> chunk{};
  std::function<void()> read_more = [&] {
    socket.async_read_some(asio::buffer(chunk), [&](beast::error_code error, std::size_t n) {
      received.append(chunk.data(), n);
      if (error) {
        end = error;
        return;
      }
      read_more();
    });
  };
  read_more();
  const auto started = std::chrono::steady_clock::now();
  io.run_for(6s);
  EXPECT_EQ(end, asio::error::eof) << end.message();
  EXPECT_NE(received.find("200 OK"), std::string::npos) << received;
  EXPECT_LT(std::chrono::steady_clock::now() - started, 4s);
}

TEST_F(HttpApiTest, BadKeysAreRefusedWith400) {
  start_cluster(1);
  ASSERT_EQ(wait_for_leader(), 1U);
  Client client{http_port(1)};
  for (const std::string& target :
       {std::string{"/v1/kv/"}, std::string{"/v1/kv/a%20b"}, std::string{"/v1/kv/a*b"},
        "/v1/kv/" + std::string(kMaxKeyBytes + 1, 'k')}) {
    Response response = client.put(target, "v");
    EXPECT_EQ(response.result(), bhttp::status::bad_request) << target;
    EXPECT_EQ(error_of(response), "bad_key") << target;
    EXPECT_EQ(client.get(target).result(), bhttp::status::bad_request) << target;
  }
  EXPECT_EQ(client.put("/v1/kv/" + std::string(kMaxKeyBytes, 'k'), "v").result(),
            bhttp::status::ok);
}

TEST_F(HttpApiTest, OversizeBodyIsRefusedWith413AndNothingIsWritten) {
  start_cluster(1);
  ASSERT_EQ(wait_for_leader(), 1U);
  Client client{http_port(1)};
  Response response = client.put("/v1/kv/big", std::string(kMaxValueBytes + 1, 'v'));
  EXPECT_EQ(response.result(), bhttp::status::payload_too_large);
  EXPECT_EQ(error_of(response), "too_large");
  EXPECT_FALSE(response.keep_alive());  // The body was not read: the connection cannot go on.

  Client again{http_port(1)};
  EXPECT_EQ(again.get("/v1/kv/big").result(), bhttp::status::not_found);
  // Exactly the limit is fine.
  EXPECT_EQ(again.put("/v1/kv/big", std::string(kMaxValueBytes, 'v')).result(), bhttp::status::ok);
  EXPECT_EQ(again.get("/v1/kv/big").body().size(), kMaxValueBytes);
}

TEST_F(HttpApiTest, WrongMethodIs405WithAllowAndUnknownPathIs404) {
  start_cluster(1);
  ASSERT_EQ(wait_for_leader(), 1U);
  Client client{http_port(1)};
  const std::vector<std::pair<bhttp::verb, std::string>> wrong = {
      {bhttp::verb::post, "/v1/kv/x"},  {bhttp::verb::get, "/v1/session"},
      {bhttp::verb::put, "/v1/status"}, {bhttp::verb::delete_, "/metrics"},
      {bhttp::verb::post, "/healthz"},  {bhttp::verb::get, "/v1/leader/transfer"}};
  for (const auto& [method, target] : wrong) {
    Response response = client.request(method, target);
    EXPECT_EQ(response.result(), bhttp::status::method_not_allowed) << method << " " << target;
    EXPECT_EQ(error_of(response), "method_not_allowed");
    EXPECT_FALSE(response[bhttp::field::allow].empty());
  }
  EXPECT_EQ(client.request(bhttp::verb::post, "/v1/kv/x")[bhttp::field::allow], "GET, PUT, DELETE");
  Response unknown = client.get("/v2/nothing");
  EXPECT_EQ(unknown.result(), bhttp::status::not_found);
  EXPECT_EQ(error_of(unknown), "not_found");
}

TEST_F(HttpApiTest, MalformedRequestGets400AndTheConnectionCloses) {
  start_cluster(1);
  asio::io_context io;
  tcp::socket socket{io};
  socket.connect(tcp::endpoint{asio::ip::make_address("127.0.0.1"), http_port(1)});
  const std::string garbage = "NOT AN HTTP REQUEST\r\n\r\n";
  asio::write(socket, asio::buffer(garbage));
  std::string reply;
  beast::error_code error;
  std::array<char, 4096> chunk{};
  while (!error) {
    const std::size_t got = socket.read_some(asio::buffer(chunk), error);
    reply.append(chunk.data(), got);
  }
  EXPECT_EQ(error, asio::error::eof);  // Closed by the server after its answer.
  EXPECT_TRUE(reply.starts_with("HTTP/1.1 400")) << reply;
  EXPECT_NE(reply.find(R"("error":"bad_request")"), std::string::npos) << reply;
}

TEST_F(HttpApiTest, StatusHealthAndMetrics) {
  start_cluster(1);
  ASSERT_EQ(wait_for_leader(), 1U);
  Client client{http_port(1)};
  ASSERT_EQ(client.put("/v1/kv/k", "v").result(), bhttp::status::ok);

  const nlohmann::json status = json_of(client.get("/v1/status"));
  EXPECT_EQ(status.at("id"), 1);
  EXPECT_EQ(status.at("role"), "leader");
  EXPECT_GE(status.at("term").get<int>(), 1);
  EXPECT_EQ(status.at("leader"), 1);
  EXPECT_EQ(status.at("leader_http"), fmt::format("127.0.0.1:{}", http_port(1)));
  EXPECT_GE(status.at("commit").get<int>(), 2);
  EXPECT_GE(status.at("applied").get<int>(), 2);
  EXPECT_TRUE(status.at("peers").is_array());
  EXPECT_EQ(status.at("voters"), nlohmann::json::array({1}));
  EXPECT_TRUE(status.contains("snapshot_index"));
  EXPECT_EQ(status.at("pending_proposals"), 0);

  Response health = client.get("/healthz");
  EXPECT_EQ(health.result(), bhttp::status::ok);
  EXPECT_EQ(health.body(), "ok\n");

  Response metrics = client.get("/metrics");
  ASSERT_EQ(metrics.result(), bhttp::status::ok);
  EXPECT_TRUE(metrics[bhttp::field::content_type].starts_with("text/plain; version=0.0.4"));
  for (const char* name :
       {"raft_term 1", "raft_commit_index", "raft_applied_index", "raft_is_leader 1",
        "raft_elections_total", "raft_leader_changes_total", "raft_proposals_total 1",
        "raft_proposals_failed_total 0", "raft_commit_latency_seconds_bucket{le=\"+Inf\"} 1",
        "raft_commit_latency_seconds_count 1", "raft_fsync_latency_seconds_count",
        "raft_fsyncs_total", "raft_send_queue_messages", "raft_pending_proposals 0",
        "raft_transport_messages_sent_total"}) {
    EXPECT_NE(metrics.body().find(name), std::string::npos) << name << "\n" << metrics.body();
  }
}

TEST_F(HttpApiTest, SessionsDeduplicateRetriedWrites) {
  start_cluster(1);
  ASSERT_EQ(wait_for_leader(), 1U);
  Client client{http_port(1)};
  Response opened = client.request(bhttp::verb::post, "/v1/session");
  ASSERT_EQ(opened.result(), bhttp::status::ok) << opened.body();
  const std::string id = std::to_string(json_of(opened).at("client").get<std::uint64_t>());

  const std::map<std::string, std::string> first = {{"X-Raft-Client", id},
                                                    {"X-Raft-Sequence", "1"}};
  Response put = client.put("/v1/kv/k", "first", first);
  ASSERT_EQ(put.result(), bhttp::status::ok) << put.body();
  EXPECT_TRUE(put["X-Raft-Duplicate"].empty());
  ASSERT_EQ(
      client.put("/v1/kv/k", "second", {{"X-Raft-Client", id}, {"X-Raft-Sequence", "2"}}).result(),
      bhttp::status::ok);

  // A retry of sequence 1 (its reply lost, say): answered as the first time, not applied.
  Response retry = client.put("/v1/kv/k", "first", first);
  ASSERT_EQ(retry.result(), bhttp::status::ok) << retry.body();
  EXPECT_EQ(retry["X-Raft-Duplicate"], "1");
  EXPECT_EQ(json_of(retry).at("index"), json_of(put).at("index"));
  EXPECT_EQ(client.get("/v1/kv/k").body(), "second");

  // An idle client keeps its session alive (thesis §6.3) and acknowledges replies.
  Response kept = client.request(bhttp::verb::post, "/v1/session/keepalive", {},
                                 {{"X-Raft-Client", id}, {"X-Raft-Ack", "3"}});
  ASSERT_EQ(kept.result(), bhttp::status::ok) << kept.body();
  EXPECT_EQ(std::to_string(json_of(kept).at("client").get<std::uint64_t>()), id);
  Response acknowledged = client.put("/v1/kv/k", "first", first);
  EXPECT_EQ(acknowledged.result(), bhttp::status::conflict);  // Below the ack: never applied.
  EXPECT_EQ(error_of(acknowledged), "stale_sequence");
  EXPECT_EQ(
      client.request(bhttp::verb::post, "/v1/session/keepalive", {}, {{"X-Raft-Client", "999999"}})
          .result(),
      bhttp::status::gone);
  EXPECT_EQ(client.request(bhttp::verb::post, "/v1/session/keepalive").result(),
            bhttp::status::bad_request);

  Response unknown =
      client.put("/v1/kv/k", "x", {{"X-Raft-Client", "999999"}, {"X-Raft-Sequence", "1"}});
  EXPECT_EQ(unknown.result(), bhttp::status::gone);
  EXPECT_EQ(error_of(unknown), "session_expired");

  for (const auto& headers : std::vector<std::map<std::string, std::string>>{
           {{"X-Raft-Client", id}},
           {{"X-Raft-Sequence", "1"}},
           {{"X-Raft-Client", id}, {"X-Raft-Sequence", "0"}},
           {{"X-Raft-Client", "abc"}, {"X-Raft-Sequence", "1"}},
           {{"X-Raft-Client", id}, {"X-Raft-Sequence", "3"}, {"X-Raft-Ack", "4"}}}) {
    Response bad = client.put("/v1/kv/k", "x", headers);
    EXPECT_EQ(bad.result(), bhttp::status::bad_request);
    EXPECT_EQ(error_of(bad), "bad_request");
  }
  EXPECT_EQ(client.get("/v1/kv/k").body(), "second");
}

TEST_F(HttpApiTest, TransferNeedsAnotherVoter) {
  start_cluster(1);
  ASSERT_EQ(wait_for_leader(), 1U);
  Client client{http_port(1)};
  Response alone = client.request(bhttp::verb::post, "/v1/leader/transfer");
  EXPECT_EQ(alone.result(), bhttp::status::conflict);
  EXPECT_EQ(error_of(alone), "no_target");
  Response bad = client.request(bhttp::verb::post, "/v1/leader/transfer?to=abc");
  EXPECT_EQ(bad.result(), bhttp::status::bad_request);
}

TEST_F(HttpApiTest, WithoutAQuorumThereIsNoLeader) {
  start_cluster(3, 1);  // Node 1 alone of three: it can never be elected.
  Client client{http_port(1)};
  Response put = client.put("/v1/kv/k", "v");
  EXPECT_EQ(put.result(), bhttp::status::service_unavailable);
  EXPECT_EQ(error_of(put), "no_leader");
  EXPECT_EQ(put[bhttp::field::retry_after], "1");
  EXPECT_EQ(json_of(client.get("/v1/status")).at("leader_http"), nullptr);
}

TEST_F(HttpApiTest, FollowersRedirectWritesAndServeLinearizableReads) {
  start_cluster(2);
  const std::uint64_t leader = wait_for_leader();
  ASSERT_NE(leader, 0U);
  const int follower = leader == 1 ? 2 : 1;
  Client client{http_port(follower)};

  Response put = client.put("/v1/kv/k?x=1", "v");
  ASSERT_EQ(put.result(), bhttp::status::temporary_redirect) << put.body();
  const std::string leader_http = fmt::format("127.0.0.1:{}", http_port(static_cast<int>(leader)));
  EXPECT_EQ(put[bhttp::field::location], "http://" + leader_http + "/v1/kv/k?x=1");
  const nlohmann::json body = json_of(put);
  EXPECT_EQ(body.at("error"), "not_leader");
  EXPECT_EQ(body.at("leader"), leader);
  EXPECT_EQ(body.at("leader_http"), leader_http);
  EXPECT_EQ(client.request(bhttp::verb::post, "/v1/session").result(),
            bhttp::status::temporary_redirect);
  EXPECT_EQ(client.request(bhttp::verb::post, "/v1/leader/transfer").result(),
            bhttp::status::temporary_redirect);

  Client to_leader{http_port(static_cast<int>(leader))};
  ASSERT_EQ(to_leader.put("/v1/kv/k", "v").result(), bhttp::status::ok);
  // Linearizable on the follower: the read waits until the write is applied there.
  Response get = client.get("/v1/kv/k");
  ASSERT_EQ(get.result(), bhttp::status::ok) << get.body();
  EXPECT_EQ(get.body(), "v");

  // Hand leadership over and back: 202 names the target.
  Response moved = to_leader.request(bhttp::verb::post, "/v1/leader/transfer");
  ASSERT_EQ(moved.result(), bhttp::status::accepted) << moved.body();
  EXPECT_EQ(json_of(moved).at("target"), follower);
}

}  // namespace
}  // namespace raft::kv

// SPDX-License-Identifier: Apache-2.0
// A tiny HTTP/1.1 server on 127.0.0.1 (ephemeral port) for the client tests: a test supplies a
// handler that decides, per request, to answer, to close the connection, or to never answer.
// It runs on its own thread and io_context; every request it received is recorded.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "endpoint.h"

namespace raft::kv_client::testing {

using FakeRequest = boost::beast::http::request<boost::beast::http::string_body>;
using FakeResponse = boost::beast::http::response<boost::beast::http::string_body>;

/// What the server does with one request.
struct FakeAction {
  enum class Kind { kRespond, kClose, kHang };
  Kind kind = Kind::kRespond;
  FakeResponse response;

  /// An answer with a status, a body and optional headers.
  static FakeAction reply(unsigned status, std::string body,
                          std::vector<std::pair<std::string, std::string>> headers = {});
  /// Close the connection without answering (the client sees EOF/reset).
  static FakeAction close() { return {Kind::kClose, {}}; }
  /// Keep the connection open and never answer (the client's timeout must fire).
  static FakeAction hang() { return {Kind::kHang, {}}; }
};

/// The server. Destruction stops it and joins its thread.
class FakeServer {
 public:
  using Handler = std::function<FakeAction(const FakeRequest&)>;

  explicit FakeServer(Handler handler);
  ~FakeServer();
  FakeServer(const FakeServer&) = delete;
  FakeServer& operator=(const FakeServer&) = delete;

  /// 127.0.0.1:<port>.
  [[nodiscard]] Endpoint endpoint() const { return {"127.0.0.1", port_}; }
  /// Copies of the requests received so far, in arrival order.
  [[nodiscard]] std::vector<FakeRequest> requests() const;
  /// Connections accepted so far.
  [[nodiscard]] int connections() const;

 private:
  void accept();
  void serve(std::shared_ptr<boost::asio::ip::tcp::socket> socket);

  Handler handler_;
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  mutable std::mutex mutex_;
  std::vector<FakeRequest> requests_;
  int connections_ = 0;
  std::vector<std::shared_ptr<boost::asio::ip::tcp::socket>> hung_;  // server thread only
  std::thread thread_;
};

/// A port nothing listens on (bound, not listening: connects are refused), held while alive.
class ClosedPort {
 public:
  ClosedPort();
  [[nodiscard]] Endpoint endpoint() const { return {"127.0.0.1", port_}; }

 private:
  boost::asio::io_context io_;
  boost::asio::ip::tcp::socket socket_;
  std::uint16_t port_ = 0;
};

}  // namespace raft::kv_client::testing

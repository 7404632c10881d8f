// SPDX-License-Identifier: Apache-2.0
// One HTTP/1.1 connection of raft-kv's API: reads a request, hands it to the router, writes
// the response, and reads the next one while the client keeps the connection alive.
//
// A request is answered before the next is read (no pipelining in flight), so responses go
// out in order. The router may answer later (after a Raft commit); meanwhile no timer runs
// on the connection, because the server bounds every request itself (request_timeout).
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>

#include "http_reply.h"

namespace raft::kv::http {

/// Limits of one connection.
struct ConnectionLimits {
  /// Largest request body. Beast's parser enforces it (from Content-Length, before reading the
  /// body; while reading a chunked one), so nothing past it is read: 413.
  std::size_t body_bytes = std::size_t{1} << 20U;
  /// Largest request header block: 431 beyond.
  std::uint32_t header_bytes = 16 * 1024;
  /// An idle keep-alive connection, or a client that stalls mid-request, is closed after this.
  std::chrono::milliseconds idle{std::chrono::seconds{60}};
};

/// One accepted connection. Owned by the shared_ptrs its pending operations hold.
class HttpConnection : public std::enable_shared_from_this<HttpConnection> {
 public:
  /// Handles one parsed request; must call the Responder exactly once.
  using Dispatch = std::function<void(Request&&, Responder)>;

  HttpConnection(boost::asio::ip::tcp::socket socket, Dispatch dispatch, ConnectionLimits limits);
  /// Starts reading requests.
  void start();
  /// Closes the socket: pending reads and writes fail and the connection goes away. A response
  /// that arrives later is dropped.
  void close();

 private:
  void read_header();
  void on_header(boost::beast::error_code error);
  void read_body();
  void on_body(boost::beast::error_code error);
  void reject(boost::beast::error_code error);
  void respond(Response response);
  void on_write(boost::beast::error_code error);
  void drain_and_close();
  void drain(std::shared_ptr<std::array<char, 16384>> scratch);
  void arm_idle_timer(std::chrono::steady_clock::time_point when);
  void on_idle_timer();

  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  std::optional<beast_http::request_parser<beast_http::string_body>> parser_;
  std::optional<Response> response_;  // Alive until its write completes.
  Dispatch dispatch_;
  ConnectionLimits limits_;
  unsigned version_ = 11;
  bool keep_alive_ = true;
  bool closed_ = false;
  // The idle limit without a timer operation per request (Beast's per-operation expiry re-arms
  // a timer, a handler and often a timerfd syscall for every read and write, which showed in
  // the leader's profile under load): reads and writes only stamp their start, and one timer
  // per connection fires once per idle period to check the stamp.
  boost::asio::steady_timer idle_timer_;
  std::chrono::steady_clock::time_point last_active_;
  bool dispatched_ = false;  // The server works on a request: its own timeout applies.
};

}  // namespace raft::kv::http

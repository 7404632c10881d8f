// SPDX-License-Identifier: Apache-2.0
// One keep-alive HTTP/1.1 connection to one endpoint, used synchronously with timeouts.
//
// Beast's tcp_stream enforces expires_after() only on asynchronous operations, so each call
// starts the asynchronous operation on the client's private io_context and runs that context
// until the operation (or its timer) completes: a synchronous API with real timeouts, and no
// thread of its own.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "endpoint.h"
#include "outcome.h"

namespace raft::kv_client {

/// The request and response types the client uses.
using HttpRequest = boost::beast::http::request<boost::beast::http::string_body>;
using HttpResponse = boost::beast::http::response<boost::beast::http::string_body>;

/// What one exchange produced: a response, or the kind of socket failure.
struct Exchange {
  ErrorKind error = ErrorKind::kNone;  ///< kNone: `response` holds the answer.
  std::string message;                 ///< The socket error's text when error != kNone.
  bool request_sent = false;           ///< The request was written (a write may have applied).
  HttpResponse response;
};

/// A lazily connected keep-alive connection. Not thread-safe; all connections of one client
/// share its io_context.
class HttpConnection {
 public:
  /// Largest response body accepted: values are at most 1 MiB, status replies are small.
  static constexpr std::uint64_t kBodyLimit = 8U << 20U;

  HttpConnection(boost::asio::io_context& io, Endpoint endpoint);

  /// Connects if needed (within `connect_timeout`), writes `request` and reads the response
  /// (within `io_timeout`). A reused connection that turns out closed by the server (EOF or
  /// reset before an answer, as after an idle keep-alive timeout) is reopened once, because
  /// that says nothing about the server's health.
  Exchange exchange(HttpRequest& request, std::chrono::nanoseconds connect_timeout,
                    std::chrono::nanoseconds io_timeout);

  /// Drops the connection (after an error: its state is unknown).
  void close() noexcept;

  /// Whether a connection is open (for tests and logs).
  [[nodiscard]] bool connected() const noexcept { return stream_.has_value(); }

  /// The endpoint this connection talks to.
  [[nodiscard]] const Endpoint& endpoint() const noexcept { return endpoint_; }

 private:
  Exchange connect(std::chrono::nanoseconds timeout);
  Exchange send_and_receive(HttpRequest& request, std::chrono::nanoseconds timeout);

  boost::asio::io_context& io_;
  Endpoint endpoint_;
  std::optional<boost::beast::tcp_stream> stream_;
  boost::beast::flat_buffer buffer_;
};

/// Maps a socket, resolver or Beast error to the client's error kinds.
[[nodiscard]] ErrorKind classify(const boost::system::error_code& ec) noexcept;

}  // namespace raft::kv_client

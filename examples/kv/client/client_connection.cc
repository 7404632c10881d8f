// SPDX-License-Identifier: Apache-2.0
#include "client_connection.h"

#include <utility>

#include <boost/asio/error.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

namespace raft::kv_client {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;

/// Runs the io_context until every handler started so far has run. `restart()` first: a
/// previous run() that ran out of work leaves the context stopped.
void drain(asio::io_context& io) {
  io.restart();
  io.run();
}

}  // namespace

ErrorKind classify(const error_code& ec) noexcept {
  if (ec == asio::error::connection_refused) return ErrorKind::kConnectRefused;
  if (ec == beast::error::timeout || ec == asio::error::timed_out) return ErrorKind::kTimeout;
  if (ec == asio::error::connection_reset || ec == asio::error::eof ||
      ec == asio::error::broken_pipe || ec == asio::error::connection_aborted ||
      ec == http::error::end_of_stream || ec == http::error::partial_message) {
    return ErrorKind::kConnectionReset;
  }
  return ErrorKind::kNetwork;
}

HttpConnection::HttpConnection(asio::io_context& io, Endpoint endpoint)
    : io_(io), endpoint_(std::move(endpoint)) {}

void HttpConnection::close() noexcept {
  if (stream_) {
    error_code ignored;
    stream_->socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_->socket().close(ignored);
  }
  stream_.reset();
  buffer_.clear();
}

Exchange HttpConnection::connect(std::chrono::nanoseconds timeout) {
  Exchange out;
  // Numeric hosts (the usual 127.0.0.1) resolve without DNS; a name is looked up each time so
  // a restarted server on a new address is found.
  tcp::resolver resolver(io_);
  error_code ec;
  const auto results = resolver.resolve(endpoint_.host, std::to_string(endpoint_.port),
                                        tcp::resolver::numeric_service, ec);
  if (ec) {
    out.error = ErrorKind::kNetwork;
    out.message = "resolve " + endpoint_.host + ": " + ec.message();
    return out;
  }
  stream_.emplace(io_);
  stream_->expires_after(timeout);
  ec = asio::error::would_block;
  stream_->async_connect(results, [&](const error_code& e, const tcp::endpoint&) { ec = e; });
  drain(io_);
  if (ec) {
    out.error = classify(ec);
    out.message = "connect: " + ec.message();
    close();
    return out;
  }
  // Requests are small and latency matters more than packet count.
  stream_->socket().set_option(tcp::no_delay(true), ec);
  return out;
}

Exchange HttpConnection::send_and_receive(HttpRequest& request, std::chrono::nanoseconds timeout) {
  Exchange out;
  error_code ec = asio::error::would_block;
  stream_->expires_after(timeout);
  http::async_write(*stream_, request, [&](const error_code& e, std::size_t) { ec = e; });
  drain(io_);
  if (ec) {
    out.error = classify(ec);
    out.message = "write: " + ec.message();
    return out;
  }
  out.request_sent = true;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kBodyLimit);
  ec = asio::error::would_block;
  stream_->expires_after(timeout);
  http::async_read(*stream_, buffer_, parser, [&](const error_code& e, std::size_t) { ec = e; });
  drain(io_);
  if (ec) {
    out.error = classify(ec);
    out.message = "read: " + ec.message();
    return out;
  }
  out.response = parser.release();
  return out;
}

Exchange HttpConnection::exchange(HttpRequest& request, std::chrono::nanoseconds connect_timeout,
                                  std::chrono::nanoseconds io_timeout) {
  const bool reused = stream_.has_value();
  if (!reused) {
    auto connected = connect(connect_timeout);
    if (connected.error != ErrorKind::kNone) return connected;
  }
  request.keep_alive(true);
  request.prepare_payload();
  auto out = send_and_receive(request, io_timeout);
  if (out.error == ErrorKind::kConnectionReset && reused) {
    // The server may have closed an idle keep-alive connection; only a fresh one tells.
    // A write that reached the server before the reset may have applied: remember it.
    const bool sent_before = out.request_sent;
    close();
    auto connected = connect(connect_timeout);
    if (connected.error != ErrorKind::kNone) {
      connected.request_sent = sent_before;
      return connected;
    }
    out = send_and_receive(request, io_timeout);
    out.request_sent = out.request_sent || sent_before;
  }
  if (out.error != ErrorKind::kNone || !out.response.keep_alive()) close();
  return out;
}

}  // namespace raft::kv_client

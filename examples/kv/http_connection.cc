// SPDX-License-Identifier: Apache-2.0
#include "http_connection.h"

#include <array>
#include <string_view>
#include <utility>

#include <boost/asio/buffer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

namespace raft::kv::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;

bool is_parse_error(beast::error_code error) {
  return error.category() == beast::http::make_error_code(beast_http::error::bad_target).category();
}

}  // namespace

HttpConnection::HttpConnection(asio::ip::tcp::socket socket, Dispatch dispatch,
                               ConnectionLimits limits)
    : stream_(std::move(socket)),
      dispatch_(std::move(dispatch)),
      limits_(limits),
      idle_timer_(stream_.get_executor()) {}

void HttpConnection::start() {
  last_active_ = std::chrono::steady_clock::now();
  arm_idle_timer(last_active_ + limits_.idle);
  read_header();
}

void HttpConnection::arm_idle_timer(std::chrono::steady_clock::time_point when) {
  idle_timer_.expires_at(when);
  idle_timer_.async_wait([self = shared_from_this()](beast::error_code error) {
    if (!error) self->on_idle_timer();
  });
}

void HttpConnection::on_idle_timer() {
  if (closed_) return;
  const auto now = std::chrono::steady_clock::now();
  const auto deadline = last_active_ + limits_.idle;
  // A request the server is working on is bounded by the server's request timeout instead.
  if (!dispatched_ && now >= deadline) return close();
  arm_idle_timer(dispatched_ ? now + limits_.idle : deadline);
}

void HttpConnection::close() {
  if (closed_) return;
  closed_ = true;
  idle_timer_.cancel();
  beast::error_code ignored;
  stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  stream_.close();
}

void HttpConnection::read_header() {
  if (closed_) return;
  parser_.emplace();
  parser_->body_limit(limits_.body_bytes);
  parser_->header_limit(limits_.header_bytes);
  last_active_ = std::chrono::steady_clock::now();
  beast_http::async_read_header(stream_, buffer_, *parser_,
                                [self = shared_from_this()](beast::error_code error, std::size_t) {
                                  self->on_header(error);
                                });
}

void HttpConnection::on_header(beast::error_code error) {
  if (error) return reject(error);
  // curl and others wait (a second, for curl) for "100 Continue" before sending a large body.
  const auto expect = parser_->get()[beast_http::field::expect];
  if (beast::iequals(expect, "100-continue")) {
    static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    asio::async_write(stream_, asio::buffer(kContinue.data(), kContinue.size()),
                      [self = shared_from_this()](beast::error_code write_error, std::size_t) {
                        if (write_error) return self->close();
                        self->read_body();
                      });
    return;
  }
  read_body();
}

void HttpConnection::read_body() {
  if (closed_) return;
  beast_http::async_read(
      stream_, buffer_, *parser_,
      [self = shared_from_this()](beast::error_code error, std::size_t) { self->on_body(error); });
}

void HttpConnection::on_body(beast::error_code error) {
  if (error) return reject(error);
  Request request = parser_->release();
  version_ = request.version();
  keep_alive_ = request.keep_alive();
  dispatched_ = true;
  dispatch_(std::move(request),
            [self = shared_from_this()](Response response) { self->respond(std::move(response)); });
}

void HttpConnection::reject(beast::error_code error) {
  if (closed_) return;
  if (error == beast_http::error::end_of_stream || !is_parse_error(error)) {
    // The client closed between requests, or the socket failed or timed out: nobody to answer.
    return close();
  }
  // A bad request leaves the stream at an unknown point (an unread body, a broken header):
  // answer it, then close rather than try to find the next request.
  keep_alive_ = false;
  if (error == beast_http::error::body_limit) {
    return respond(error_response(
        beast_http::status::payload_too_large, "too_large",
        "the request body exceeds " + std::to_string(limits_.body_bytes) + " bytes"));
  }
  if (error == beast_http::error::header_limit) {
    return respond(error_response(beast_http::status::request_header_fields_too_large,
                                  "headers_too_large", "the request header block is too large"));
  }
  if (error == beast_http::error::partial_message) return close();  // The client went away.
  respond(error_response(beast_http::status::bad_request, "bad_request",
                         "malformed HTTP request: " + error.message()));
}

void HttpConnection::respond(Response response) {
  if (closed_) return;  // Closed while the router worked: nobody to answer.
  response.version(version_);
  response.keep_alive(keep_alive_);
  response.prepare_payload();
  response_.emplace(std::move(response));
  dispatched_ = false;
  last_active_ = std::chrono::steady_clock::now();
  beast_http::async_write(
      stream_, *response_,
      [self = shared_from_this()](beast::error_code error, std::size_t) { self->on_write(error); });
}

void HttpConnection::on_write(beast::error_code error) {
  response_.reset();
  if (error) return close();
  if (!keep_alive_) return drain_and_close();
  read_header();
}

// Closing a socket with unread input makes the kernel send RST, which can destroy the
// response before the client reads it (an oversize body the client is still sending, say).
// So: stop sending, then read and discard until the client closes or a second has passed.
void HttpConnection::drain_and_close() {
  if (closed_) return;
  beast::error_code ignored;
  stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
  stream_.expires_after(std::chrono::seconds{1});  // A deadline for the whole drain.
  drain(std::make_shared<std::array<char, 16384>>());
}

void HttpConnection::drain(std::shared_ptr<std::array<char, 16384>> scratch) {
  stream_.async_read_some(
      asio::buffer(*scratch),
      [self = shared_from_this(), scratch](beast::error_code error, std::size_t) mutable {
        if (error || self->closed_) return self->close();
        self->drain(std::move(scratch));
      });
}

}  // namespace raft::kv::http

// SPDX-License-Identifier: Apache-2.0
#include "http_api.h"

#include <algorithm>
#include <list>
#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <fmt/format.h>

#include "http_connection.h"
#include "http_router.h"

namespace raft::kv {

namespace asio = boost::asio;
using asio::ip::tcp;

class HttpApi::Impl : public std::enable_shared_from_this<Impl> {
 public:
  Impl(asio::io_context& io, transport::Server& server, const KvStateMachine& machine,
       HttpApiOptions options)
      : acceptor_(io),
        host_(options.host),
        port_(options.port),
        // Never above what the state machine accepts: a larger value would only be
        // refused after taking a place in the log.
        limits_{.body_bytes = std::min(options.body_limit, kMaxValueBytes),
                .idle = options.idle_timeout},
        router_(std::make_shared<http::Router>(server, machine, std::move(options))) {}

  Status start() {
    boost::system::error_code error;
    const asio::ip::address address = asio::ip::make_address(host_, error);
    if (error) {
      return Status{ErrorCode::kInvalidArgument,
                    fmt::format("HTTP listen address '{}' is not an IP address", host_)};
    }
    const tcp::endpoint endpoint{address, port_};
    if (acceptor_.open(endpoint.protocol(), error) ||
        acceptor_.set_option(tcp::acceptor::reuse_address(true), error) ||
        acceptor_.bind(endpoint, error) ||
        acceptor_.listen(asio::socket_base::max_listen_connections, error)) {
      return Status{ErrorCode::kUnavailable, fmt::format("cannot listen for HTTP on {}:{}: {}",
                                                         host_, port_, error.message())};
    }
    port_ = acceptor_.local_endpoint().port();
    accept();
    return {};
  }

  void stop() {
    router_->stop();
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    for (const std::weak_ptr<http::HttpConnection>& weak : connections_) {
      if (const auto connection = weak.lock()) connection->close();
    }
    connections_.clear();
  }

  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }

 private:
  void accept() {
    acceptor_.async_accept(
        [self = shared_from_this()](boost::system::error_code error, tcp::socket socket) {
          if (!self->acceptor_.is_open()) return;  // stop() closed it.
          if (!error) self->serve(std::move(socket));
          self->accept();
        });
  }

  void serve(tcp::socket socket) {
    boost::system::error_code ignored;
    // Responses are single small writes, answered as soon as Raft commits: Nagle's delay would
    // only add latency.
    socket.set_option(tcp::no_delay(true), ignored);
    auto connection = std::make_shared<http::HttpConnection>(
        std::move(socket),
        [router = router_](http::Request&& request, http::Responder respond) {
          router->dispatch(std::move(request), std::move(respond));
        },
        limits_);
    // Forget connections that have ended, so the list tracks the live ones.
    std::erase_if(connections_, [](const auto& weak) { return weak.expired(); });
    connections_.push_back(connection);
    connection->start();
  }

  tcp::acceptor acceptor_;
  std::string host_;
  std::uint16_t port_;
  http::ConnectionLimits limits_;
  std::shared_ptr<http::Router> router_;
  std::list<std::weak_ptr<http::HttpConnection>> connections_;
};

HttpApi::HttpApi(asio::io_context& io, transport::Server& server, const KvStateMachine& machine,
                 HttpApiOptions options)
    : impl_(std::make_shared<Impl>(io, server, machine, std::move(options))) {}

HttpApi::~HttpApi() { stop(); }

Status HttpApi::start() { return impl_->start(); }

void HttpApi::stop() { impl_->stop(); }

std::uint16_t HttpApi::port() const noexcept { return impl_->port(); }

}  // namespace raft::kv

// SPDX-License-Identifier: Apache-2.0
#include "fake_server.h"

#include <utility>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

namespace raft::kv_client::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;

FakeAction FakeAction::reply(unsigned status, std::string body,
                             std::vector<std::pair<std::string, std::string>> headers) {
  FakeAction action;
  action.response.result(status);
  action.response.version(11);
  action.response.body() = std::move(body);
  for (auto& [name, value] : headers) action.response.set(name, value);
  return action;
}

FakeServer::FakeServer(Handler handler)
    : handler_(std::move(handler)),
      acceptor_(io_, tcp::endpoint{asio::ip::make_address("127.0.0.1"), 0}) {
  port_ = acceptor_.local_endpoint().port();
  accept();
  thread_ = std::thread([this] { io_.run(); });
}

FakeServer::~FakeServer() {
  io_.stop();
  thread_.join();
}

std::vector<FakeRequest> FakeServer::requests() const {
  const std::lock_guard lock(mutex_);
  return requests_;
}

int FakeServer::connections() const {
  const std::lock_guard lock(mutex_);
  return connections_;
}

void FakeServer::accept() {
  acceptor_.async_accept([this](const error_code& ec, tcp::socket socket) {
    if (ec) return;
    {
      const std::lock_guard lock(mutex_);
      ++connections_;
    }
    serve(std::make_shared<tcp::socket>(std::move(socket)));
    accept();
  });
}

void FakeServer::serve(std::shared_ptr<tcp::socket> socket) {
  // One request at a time per connection, as HTTP/1.1 without pipelining.
  struct State {
    beast::flat_buffer buffer;
    FakeRequest request;
    FakeResponse response;
  };
  auto state = std::make_shared<State>();
  http::async_read(*socket, state->buffer, state->request,
                   [this, socket, state](const error_code& ec, std::size_t) {
                     if (ec) return;
                     {
                       const std::lock_guard lock(mutex_);
                       requests_.push_back(state->request);
                     }
                     auto action = handler_(state->request);
                     if (action.kind == FakeAction::Kind::kClose) {
                       error_code ignored;
                       socket->close(ignored);
                       return;
                     }
                     if (action.kind == FakeAction::Kind::kHang) {
                       // Keep the socket open, unanswered, until the server stops.
                       hung_.push_back(socket);
                       return;
                     }
                     state->response = std::move(action.response);
                     state->response.keep_alive(state->request.keep_alive());
                     state->response.prepare_payload();
                     http::async_write(*socket, state->response,
                                       [this, socket, state](const error_code& e, std::size_t) {
                                         if (e || !state->response.keep_alive()) return;
                                         serve(socket);
                                       });
                   });
}

ClosedPort::ClosedPort() : socket_(io_) {
  socket_.open(tcp::v4());
  socket_.set_option(tcp::socket::reuse_address(true));
  socket_.bind(tcp::endpoint{asio::ip::make_address("127.0.0.1"), 0});
  port_ = socket_.local_endpoint().port();
}

}  // namespace raft::kv_client::testing

// SPDX-License-Identifier: Apache-2.0
// A TCP port on 127.0.0.1 held for a test, for the tests that must name every member's port
// before any of them listens (servers, raft-kv) or need a port that refuses connections.
#pragma once

#include <cstdint>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace raft::test_support {

/// Holds a port: a socket bound to it (SO_REUSEADDR) but not listening. Connects to it are
/// refused (RST), and no other bind, in this process or another test running in parallel, can
/// take it, until the listener meant for it binds beside it (Linux lets a listener with
/// SO_REUSEADDR bind next to a socket that does not listen).
struct ReservedPort {
  explicit ReservedPort(boost::asio::io_context& io) : socket(io) {
    using tcp = boost::asio::ip::tcp;
    socket.open(tcp::v4());
    socket.set_option(tcp::socket::reuse_address(true));
    socket.bind(tcp::endpoint{boost::asio::ip::make_address("127.0.0.1"), 0});
    port = socket.local_endpoint().port();
  }
  boost::asio::ip::tcp::socket socket;
  std::uint16_t port = 0;
};

}  // namespace raft::test_support

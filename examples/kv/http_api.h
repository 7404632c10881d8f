// SPDX-License-Identifier: Apache-2.0
// raft-kv's HTTP/1.1 API (Boost.Beast), served on the io_context that runs the raft Server:
// the handlers call the server directly, on its thread, with no locks and no hand-offs.
// Routes, status codes and bodies: examples/kv/README.md.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "kv_command.h"
#include "kv_state_machine.h"
#include "raft/status.h"
#include "raft/transport/server.h"
#include "raft/types.h"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace raft::kv {

/// How an HttpApi is set up.
struct HttpApiOptions {
  /// The address to listen on: an IP literal. 127.0.0.1 by default (issue 5: exposing a node
  /// is a deliberate choice).
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;  ///< 0: an ephemeral port; read it back with HttpApi::port().
  /// Every member's HTTP address ("host:port"), for redirecting clients to the leader (307
  /// Location, "leader_http"). A leader missing here is named by id only.
  std::map<NodeId, std::string> http_peers;
  /// Largest value (request body) accepted: 413 beyond. At most kMaxValueBytes.
  std::size_t body_limit = kMaxValueBytes;
  /// An idle keep-alive connection is closed after this.
  std::chrono::milliseconds idle_timeout{std::chrono::seconds{60}};
  /// The time a session command is stamped with when this node proposes it (thesis §6.3: the
  /// leader's clock). Default: the system clock, which leaders on different machines share
  /// roughly; the session table keeps its log time monotone whatever a new leader stamps.
  std::function<Time()> clock;
};

/// The HTTP server of one raft-kv node. Not thread-safe: call it from the io_context's thread.
class HttpApi {
 public:
  /// `server` and `machine` (the state machine the server applies to) must outlive the last
  /// run of the io_context that this API's handlers may run in: stop() the API, then the
  /// server, then let io_context::run() return.
  HttpApi(boost::asio::io_context& io, transport::Server& server, const KvStateMachine& machine,
          HttpApiOptions options);
  ~HttpApi();
  HttpApi(const HttpApi&) = delete;
  HttpApi& operator=(const HttpApi&) = delete;

  /// Binds and starts accepting. kInvalidArgument for a host that is no IP address,
  /// kUnavailable when the address cannot be bound.
  [[nodiscard]] Status start();
  /// Stops accepting and closes every connection (a request in flight is not answered).
  /// Idempotent; the destructor calls it.
  void stop();
  /// The port bound (after start()).
  [[nodiscard]] std::uint16_t port() const noexcept;

 private:
  class Impl;
  std::shared_ptr<Impl> impl_;  // shared: connections and server callbacks hold references.
};

}  // namespace raft::kv

// SPDX-License-Identifier: Apache-2.0
// raft::kv_client::Client — the failover-aware raft-kv client (issue 5 item 5).
//
// What it does for every request, within one deadline (ClientOptions::deadline):
//  - sends it to the endpoint it believes is the leader (one keep-alive connection each);
//  - follows a 307's Location, or the "leader_http" hint of an error body, at once;
//  - on a refused/reset/timed-out connection or a 5xx moves to the next endpoint, and once every
//    endpoint has failed in a row waits (exponential backoff, full jitter) before the next round;
//  - gives up when the deadline passes and says why (Outcome::error, last_error).
// Writes carry a client session (thesis §6.3) so that a retry of a write that did apply is
// answered from the server's session table instead of applying twice.
//
// The same class speaks etcd 3.4's JSON gateway (Target::kEtcd) for the side-by-side loop.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "backoff.h"
#include "endpoint.h"
#include "outcome.h"

namespace raft::kv_client {

/// Which server's API the client speaks.
enum class Target : std::uint8_t {
  kRaftKv,  ///< raft-kv's /v1 API (redirects, sessions).
  kEtcd,    ///< etcd v3.4's JSON gateway (/v3/kv/...; followers forward, no sessions).
};

/// Client configuration. The defaults suit a local cluster with sub-second failover.
struct ClientOptions {
  std::vector<Endpoint> endpoints;  ///< At least one.
  Target target = Target::kRaftKv;
  std::chrono::milliseconds deadline{2000};        ///< Whole request, retries included.
  std::chrono::milliseconds connect_timeout{300};  ///< One TCP connect.
  std::chrono::milliseconds io_timeout{1000};      ///< One request's write + response read.
  BackoffPolicy backoff;                           ///< Between rounds over all endpoints.
  std::uint64_t seed = 1;                          ///< Seeds the backoff jitter.
  bool sessions = true;                            ///< Register a session for writes.
  int max_redirects = 8;                           ///< Per request.
  /// Clock and sleep, replaceable so tests can check backoff without waiting. Socket timeouts
  /// still use real time. Defaults: steady_clock::now and this_thread::sleep_for.
  std::function<std::chrono::steady_clock::time_point()> now;
  std::function<void(std::chrono::microseconds)> sleep;
};

/// A request's result: the outcome record plus what the server said.
struct Reply {
  Outcome outcome;
  std::string body;         ///< GET: the value; otherwise the JSON answer (or error).
  bool found = false;       ///< GET: the key exists.
  std::uint64_t index = 0;  ///< Log index of a write, or X-Raft-Index of a GET (0: none).
  bool duplicate = false;   ///< The server answered from its session table.
};

/// A synchronous client. Not thread-safe: use one per thread.
class Client {
 public:
  /// Precondition: options.endpoints is not empty.
  explicit Client(ClientOptions options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  /// PUT /v1/kv/{key} (etcd: POST /v3/kv/put).
  Reply put(std::string_view key, std::string_view value);
  /// GET /v1/kv/{key}, linearizable unless `stale` (etcd: POST /v3/kv/range).
  Reply get(std::string_view key, bool stale = false);
  /// DELETE /v1/kv/{key} (etcd: POST /v3/kv/deleterange).
  Reply remove(std::string_view key);
  /// GET /v1/status of the current endpoint (etcd: POST /v3/maintenance/status); moves to the
  /// next endpoint only when this one does not answer.
  Reply status();

  /// The session id once registered (raft-kv target with sessions on).
  [[nodiscard]] std::optional<std::uint64_t> session() const noexcept;
  /// The sequence number the last write used (0 before any).
  [[nodiscard]] std::uint64_t last_sequence() const noexcept;
  /// Every endpoint known: the configured ones, then those learned from redirects.
  [[nodiscard]] const std::vector<Endpoint>& endpoints() const noexcept;
  /// The endpoint the next request goes to first.
  [[nodiscard]] const Endpoint& current() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace raft::kv_client

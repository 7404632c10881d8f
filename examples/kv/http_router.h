// SPDX-License-Identifier: Apache-2.0
// raft-kv's routes: turns a parsed HTTP request into calls on the raft Server and the state
// machine, and their outcome into a response (README.md lists the routes and codes).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "http_api.h"
#include "http_reply.h"
#include "kv_state_machine.h"
#include "raft/session.h"
#include "raft/status.h"
#include "raft/transport/server.h"

namespace raft::kv::http {

/// Dispatches requests. Shared by the connections and by the server callbacks in flight, so a
/// callback that fires after HttpApi is gone still finds its router.
class Router : public std::enable_shared_from_this<Router> {
 public:
  Router(transport::Server& server, const KvStateMachine& machine, HttpApiOptions options);

  /// Answers `request` through `respond`, at once or when the server has an outcome.
  void dispatch(Request&& request, Responder respond);
  /// From now on every request gets 503 stopped.
  void stop() noexcept { stopped_ = true; }

 private:
  void kv(Request&& request, std::string_view key, bool stale, Responder respond);
  void get(const std::string& key, bool stale, std::string target, Responder respond);
  void write(Request&& request, std::string key, Responder respond);
  void register_session(const std::string& target, Responder respond);
  void keep_alive(const Request& request, const std::string& target, Responder respond);
  /// Proposes a session registration or keep-alive and answers with its outcome.
  void propose_session(SessionCommand command, const std::string& target, Responder respond);
  void transfer(std::string_view query, const std::string& target, Responder respond);
  [[nodiscard]] Response status_page() const;
  [[nodiscard]] Response metrics_page() const;
  [[nodiscard]] Response healthz() const;

  /// The response for a failed server call: 307 to the leader, 503, 504, 500 (README.md).
  [[nodiscard]] Response failure(const Status& status, std::string_view target) const;
  /// 307 to `leader`'s HTTP address with `target`, or 503 when it has none.
  [[nodiscard]] Response not_leader(NodeId leader, std::string_view target) const;
  [[nodiscard]] const std::string* http_of(NodeId node) const;

  transport::Server& server_;
  const KvStateMachine& machine_;
  HttpApiOptions options_;
  bool stopped_ = false;
};

}  // namespace raft::kv::http

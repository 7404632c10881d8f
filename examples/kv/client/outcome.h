// SPDX-License-Identifier: Apache-2.0
// The record every client request leaves behind: did it succeed, why not, how many tries, which
// server answered, how long it took. The loop command and the failover test read these.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace raft::kv_client {

/// Why one attempt (or the whole request) failed. Attempt-level kinds decide what the client
/// does next; kDeadlineExceeded and kRedirectLoop only end a request.
enum class ErrorKind : std::uint8_t {
  kNone = 0,
  kConnectRefused,    ///< RST on connect: nothing listens (a killed server). Next endpoint.
  kConnectionReset,   ///< Reset, EOF or broken pipe mid-request. Next endpoint.
  kTimeout,           ///< Connect or I/O took longer than its timeout. Next endpoint.
  kNetwork,           ///< Any other socket or resolver error. Next endpoint.
  kUnavailable,       ///< 503 (no_leader, stopped). Next endpoint after a backoff.
  kServerTimeout,     ///< 504 timeout: not appended. Retry.
  kCommitUnknown,     ///< 504 commit_unknown: may have committed. Retry (sessions dedup).
  kServerError,       ///< 500 (log I/O failure on the server). Next endpoint.
  kSessionExpired,    ///< 410: the session is gone; the write's outcome is unknown.
  kNotFound,          ///< 404.
  kBadRequest,        ///< Other 4xx (bad key, too large, bad method): never retried.
  kProtocol,          ///< An answer the client cannot understand (bad redirect, bad JSON).
  kRedirectLoop,      ///< More redirects than ClientOptions::max_redirects.
  kDeadlineExceeded,  ///< The request's deadline passed before an answer; see last_error.
};

/// Stable snake_case name, e.g. "connect_refused" (used in loop lines and JSON).
[[nodiscard]] std::string_view to_string(ErrorKind kind) noexcept;

/// True for the kinds after which another endpoint (or a later retry) may succeed.
[[nodiscard]] bool is_retryable(ErrorKind kind) noexcept;

/// One request's outcome, whatever the operation.
struct Outcome {
  bool ok = false;                          ///< The server answered definitively (2xx; 404 on GET).
  ErrorKind error = ErrorKind::kNone;       ///< Why the request failed (kNone when ok).
  ErrorKind last_error = ErrorKind::kNone;  ///< The last attempt's failure (even when ok).
  std::string message;                      ///< Human text: server message or socket error.
  bool outcome_unknown = false;             ///< A failed write that may nevertheless have applied.
  int attempts = 0;                         ///< Requests sent (redirects included).
  int redirects = 0;                        ///< 307s followed.
  int http_status = 0;                      ///< Status of the last answer (0: none).
  std::string endpoint;                     ///< Who answered last ("host:port"), or who was tried.
  std::chrono::nanoseconds latency{};       ///< From the call to its return, retries included.
};

}  // namespace raft::kv_client

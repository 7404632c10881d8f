// SPDX-License-Identifier: Apache-2.0
#include "outcome.h"

namespace raft::kv_client {

std::string_view to_string(ErrorKind kind) noexcept {
  switch (kind) {
    case ErrorKind::kNone:
      return "none";
    case ErrorKind::kConnectRefused:
      return "connect_refused";
    case ErrorKind::kConnectionReset:
      return "connection_reset";
    case ErrorKind::kTimeout:
      return "timeout";
    case ErrorKind::kNetwork:
      return "network";
    case ErrorKind::kUnavailable:
      return "unavailable";
    case ErrorKind::kServerTimeout:
      return "server_timeout";
    case ErrorKind::kCommitUnknown:
      return "commit_unknown";
    case ErrorKind::kServerError:
      return "server_error";
    case ErrorKind::kSessionExpired:
      return "session_expired";
    case ErrorKind::kNotFound:
      return "not_found";
    case ErrorKind::kBadRequest:
      return "bad_request";
    case ErrorKind::kProtocol:
      return "protocol";
    case ErrorKind::kRedirectLoop:
      return "redirect_loop";
    case ErrorKind::kDeadlineExceeded:
      return "deadline_exceeded";
  }
  return "unknown";
}

bool is_retryable(ErrorKind kind) noexcept {
  switch (kind) {
    case ErrorKind::kConnectRefused:
    case ErrorKind::kConnectionReset:
    case ErrorKind::kTimeout:
    case ErrorKind::kNetwork:
    case ErrorKind::kUnavailable:
    case ErrorKind::kServerTimeout:
    case ErrorKind::kCommitUnknown:
    case ErrorKind::kServerError:
      return true;
    default:
      return false;
  }
}

}  // namespace raft::kv_client

// SPDX-License-Identifier: Apache-2.0
#include "raft/status.h"

#include <fmt/format.h>

namespace raft {

std::string_view to_string(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::kOk:
      return "ok";
    case ErrorCode::kNotLeader:
      return "not-leader";
    case ErrorCode::kProposalDropped:
      return "proposal-dropped";
    case ErrorCode::kInvalidConfig:
      return "invalid-config";
    case ErrorCode::kInvalidArgument:
      return "invalid-argument";
    case ErrorCode::kUnknownPeer:
      return "unknown-peer";
    case ErrorCode::kConfigChangeInProgress:
      return "config-change-in-progress";
    case ErrorCode::kCompacted:
      return "compacted";
    case ErrorCode::kUnavailable:
      return "unavailable";
    case ErrorCode::kCorruption:
      return "corruption";
    case ErrorCode::kIo:
      return "io";
    case ErrorCode::kTimeout:
      return "timeout";
    case ErrorCode::kStopped:
      return "stopped";
    case ErrorCode::kCommitUnknown:
      return "commit-unknown";
  }
  RAFT_UNREACHABLE();
}

Status Status::not_leader(NodeId leader_hint) {
  Status status{ErrorCode::kNotLeader,
                leader_hint.valid() ? fmt::format("not the leader; node {} is", leader_hint.value())
                                    : std::string{"not the leader; no leader is known"}};
  status.leader_hint_ = leader_hint;
  return status;
}

std::string Status::to_string() const {
  if (ok()) return "ok";
  return fmt::format("{}: {}", raft::to_string(code_), message_);
}

}  // namespace raft

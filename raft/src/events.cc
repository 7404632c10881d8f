// SPDX-License-Identifier: Apache-2.0
#include "raft/events.h"

#include "raft/assert.h"

namespace raft {

std::string_view to_string(Role role) noexcept {
  switch (role) {
    case Role::kFollower:
      return "follower";
    case Role::kPreCandidate:
      return "pre-candidate";
    case Role::kCandidate:
      return "candidate";
    case Role::kLeader:
      return "leader";
  }
  RAFT_UNREACHABLE();
}

std::string_view to_string(RoleChangeReason reason) noexcept {
  switch (reason) {
    case RoleChangeReason::kElectionTimeout:
      return "election timeout";
    case RoleChangeReason::kLeaderDown:
      return "leader connection lost";
    case RoleChangeReason::kCampaignRequested:
      return "campaign requested";
    case RoleChangeReason::kPreVoteWon:
      return "won pre-vote";
    case RoleChangeReason::kElectionWon:
      return "won election";
    case RoleChangeReason::kElectionLost:
      return "lost election";
    case RoleChangeReason::kHigherTerm:
      return "saw higher term";
    case RoleChangeReason::kLeaderDiscovered:
      return "heard from leader";
    case RoleChangeReason::kLeadershipTransfer:
      return "leadership transfer";
    case RoleChangeReason::kYielded:
      return "yielded to a concurrent candidate";
    case RoleChangeReason::kCheckQuorum:
      return "lost quorum";
    case RoleChangeReason::kRemoved:
      return "removed from the configuration";
    case RoleChangeReason::kOutranked:
      return "outranked a candidate";
  }
  RAFT_UNREACHABLE();
}

std::string_view to_string(TransferChanged::Phase phase) noexcept {
  switch (phase) {
    case TransferChanged::Phase::kStarted:
      return "started";
    case TransferChanged::Phase::kCompleted:
      return "completed";
    case TransferChanged::Phase::kAborted:
      return "aborted";
  }
  RAFT_UNREACHABLE();
}

std::string_view to_string(SnapshotChanged::Phase phase) noexcept {
  switch (phase) {
    case SnapshotChanged::Phase::kTaken:
      return "taken";
    case SnapshotChanged::Phase::kSending:
      return "sending";
    case SnapshotChanged::Phase::kSent:
      return "sent";
    case SnapshotChanged::Phase::kInstalled:
      return "installed";
  }
  RAFT_UNREACHABLE();
}

}  // namespace raft

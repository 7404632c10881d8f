// SPDX-License-Identifier: Apache-2.0
#include "raft/message.h"

#include "raft/assert.h"

namespace raft {

std::string_view to_string(VoteDenial denial) noexcept {
  switch (denial) {
    case VoteDenial::kNone:
      return "granted";
    case VoteDenial::kAlreadyVoted:
      return "already voted";
    case VoteDenial::kLogBehind:
      return "candidate log behind";
    case VoteDenial::kLeaderLease:
      return "leader lease";
    case VoteDenial::kStaleTerm:
      return "stale term";
    case VoteDenial::kNotVoter:
      return "not a voter";
    case VoteDenial::kLowerPriority:
      return "lower priority";
  }
  RAFT_UNREACHABLE();
}

std::string_view message_type_name(std::size_t body_index) noexcept {
  static constexpr std::string_view kNames[] = {
      "VoteRequest",    "VoteReply",       "AppendRequest",       "AppendReply",
      "Heartbeat",      "HeartbeatReply",  "TimeoutNow",          "ReadIndexRequest",
      "ReadIndexReply", "InstallSnapshot", "InstallSnapshotReply"};
  static_assert(std::size(kNames) == std::variant_size_v<MessageBody>);
  return body_index < std::size(kNames) ? kNames[body_index] : std::string_view{"?"};
}

std::string_view message_type_name(const Message& message) noexcept {
  return message_type_name(message.body.index());
}

}  // namespace raft

// SPDX-License-Identifier: Apache-2.0
// The messages Raft servers exchange, as plain structs. No wire format lives
// here: transport/ maps these to Protobuf; the simulator passes them as is.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <variant>
#include <vector>

#include "raft/entry.h"
#include "raft/snapshot.h"
#include "raft/types.h"

namespace raft {

/// RequestVote (Raft §5.2, Figure 2), also used for pre-votes (thesis §9.6).
/// For a pre-vote, Message::term is the term the sender *would* campaign in;
/// neither side changes its own term.
struct VoteRequest {
  Index last_log_index;
  Term last_log_term;
  bool pre_vote = false;
  /// The candidate campaigns because the leader asked it to (TimeoutNow,
  /// thesis §3.10): voters set aside their leader lease (§4.2.3) for it.
  bool leadership_transfer = false;
  /// The candidate's Config::priority: voters whose log is exactly as up to
  /// date refuse a lower one (election priority, as in raft-rs and NuRaft).
  std::uint32_t priority = 1;
  friend bool operator==(const VoteRequest&, const VoteRequest&) = default;
};

/// Why a vote was refused; carried for timelines and metrics only.
enum class VoteDenial : std::uint8_t {
  kNone = 0,      ///< The vote was granted.
  kAlreadyVoted,  ///< §5.2: one vote per term, already given to another.
  kLogBehind,     ///< §5.4.1: the candidate's log is not as up to date.
  kLeaderLease,   ///< Thesis §4.2.3: heard from a live leader within the min timeout.
  kStaleTerm,     ///< The request's term is older than the voter's.
  kNotVoter,      ///< The candidate is not a voter in the voter's configuration.
  /// Election priority: the candidate's log is exactly as up to date as the
  /// voter's and its priority lower (Config::priority).
  kLowerPriority,
};
[[nodiscard]] std::string_view to_string(VoteDenial denial) noexcept;

struct VoteReply {
  bool granted = false;
  bool pre_vote = false;
  VoteDenial denial = VoteDenial::kNone;
  friend bool operator==(const VoteReply&, const VoteReply&) = default;
};

/// AppendEntries (Raft §5.3). Carries no entries when it only probes.
struct AppendRequest {
  Index prev_log_index;
  Term prev_log_term;
  Index leader_commit;
  std::vector<Entry> entries;
  friend bool operator==(const AppendRequest&, const AppendRequest&) = default;
};

struct AppendReply {
  bool success = false;
  /// On success: the follower's log matches the leader's up to here.
  /// On rejection: the prev_log_index that failed the consistency check.
  Index index;
  /// On rejection, a back-off hint (the conflict optimisation sketched at the
  /// end of Raft §5.3): the follower's last index at or below `index` whose term
  /// is at most the request's prev_log_term, and that entry's term. The leader
  /// skips a whole term per round trip instead of one entry.
  Index hint_index;
  Term hint_term;
  /// The follower's Config::priority, so the leader learns whom to hand over to.
  std::uint32_t priority = 1;
  friend bool operator==(const AppendReply&, const AppendReply&) = default;
};

/// A leader's heartbeat (Raft §5.2). It carries the commit index, capped at
/// what the follower is known to hold, so followers learn it even when idle.
struct Heartbeat {
  Index commit;
  /// The leader's heartbeat round (thesis §6.4): the reply echoes it, and a
  /// round a majority echoed confirms reads registered before it was sent.
  std::uint64_t round = 0;
  friend bool operator==(const Heartbeat&, const Heartbeat&) = default;
};

struct HeartbeatReply {
  std::uint64_t round = 0;  ///< Heartbeat::round of the heartbeat answered.
  /// The follower's Config::priority, so the leader learns whom to hand over to.
  std::uint32_t priority = 1;
  friend bool operator==(const HeartbeatReply&, const HeartbeatReply&) = default;
};

/// Leadership transfer (thesis §3.10): the leader, having brought the target's
/// log up to date, tells it to start an election at once.
struct TimeoutNow {
  friend bool operator==(const TimeoutNow&, const TimeoutNow&) = default;
};

/// A follower forwards a read to its leader (thesis §6.4: "followers could also
/// help serve read-only queries"): the leader confirms its leadership and
/// answers with its read index.
struct ReadIndexRequest {
  std::uint64_t request_id = 0;  ///< The follower's Node::read_index() id.
  friend bool operator==(const ReadIndexRequest&, const ReadIndexRequest&) = default;
};

/// The leader's answer to a ReadIndexRequest. On success the follower serves
/// the read once it has applied up to `index`.
struct ReadIndexReply {
  std::uint64_t request_id = 0;
  Index index;
  bool success = false;  ///< False: the receiver was not (or stopped being) leader.
  friend bool operator==(const ReadIndexReply&, const ReadIndexReply&) = default;
};

/// InstallSnapshot (Raft §7, thesis §5.1 Figure 5.3): one chunk of the
/// leader's snapshot, for a follower that needs entries the leader discarded.
/// Chunks go in order from offset 0; `done` marks the last one.
struct InstallSnapshot {
  SnapshotMeta meta;
  std::uint64_t offset = 0;
  Payload data;
  bool done = false;
  /// The whole snapshot's size, for progress reports and sanity checks.
  std::uint64_t total_bytes = 0;
  friend bool operator==(const InstallSnapshot&, const InstallSnapshot&) = default;
};

/// A follower's answer to one InstallSnapshot chunk.
struct InstallSnapshotReply {
  /// The snapshot the answered chunk belongs to.
  Index snapshot_index;
  /// Where the follower wants the next chunk: past the answered chunk when it
  /// was written, else the offset it is waiting for (0 asks for a restart).
  std::uint64_t next_offset = 0;
  /// The follower's state now covers snapshot_index: it installed the
  /// snapshot, or already held the entries (its log matches there).
  bool done = false;
  /// The chunk was not at the offset the follower waited for (lost or
  /// reordered chunk): the leader should resend from next_offset.
  bool rejected = false;
  friend bool operator==(const InstallSnapshotReply&, const InstallSnapshotReply&) = default;
};

/// The body of a message. New kinds are appended, so that the indexes (used in
/// traces) of the older ones never change.
using MessageBody = std::variant<VoteRequest, VoteReply, AppendRequest, AppendReply, Heartbeat,
                                 HeartbeatReply, TimeoutNow, ReadIndexRequest, ReadIndexReply,
                                 InstallSnapshot, InstallSnapshotReply>;

/// One message from one server to another. Every Raft RPC carries the sender's
/// term (§5.1): a newer term makes the receiver step down.
struct Message {
  NodeId from;
  NodeId to;
  Term term;
  MessageBody body;
  friend bool operator==(const Message&, const Message&) = default;
};

/// Short name of a message's type, e.g. "AppendRequest".
[[nodiscard]] std::string_view message_type_name(const Message& message) noexcept;
/// The same, by the index of the type in MessageBody ("?" when out of range).
[[nodiscard]] std::string_view message_type_name(std::size_t body_index) noexcept;

}  // namespace raft

// SPDX-License-Identifier: Apache-2.0
// Observable events: what a node did and why, stamped with the node's time.
// Timelines, metrics and teaching material are built from these.
#pragma once

#include <cstdint>
#include <string_view>
#include <variant>

#include "raft/membership.h"
#include "raft/message.h"
#include "raft/types.h"

namespace raft {

enum class Role : std::uint8_t {
  kFollower = 0,
  kPreCandidate = 1,  ///< Asking for pre-votes (thesis §9.6); its term has not moved.
  kCandidate = 2,
  kLeader = 3,
};
[[nodiscard]] std::string_view to_string(Role role) noexcept;

/// Why a node changed role.
enum class RoleChangeReason : std::uint8_t {
  kElectionTimeout = 0,  ///< Heard from no leader for an election timeout (§5.2).
  kLeaderDown,           ///< The transport reported the leader's connection down.
  kCampaignRequested,    ///< The application called Node::campaign().
  kPreVoteWon,           ///< A majority would vote for it (thesis §9.6).
  kElectionWon,          ///< A majority voted for it (§5.2).
  kElectionLost,         ///< A majority refused (pre-)votes.
  kHigherTerm,           ///< Saw a newer term (§5.1).
  kLeaderDiscovered,     ///< A (pre-)candidate heard from the leader of its term.
  kCheckQuorum,          ///< A leader lost contact with a majority (thesis §6.2).
  kYielded,              ///< A pre-candidate gave way to a concurrent one with a lower id.
  kLeadershipTransfer,   ///< The leader handed over (TimeoutNow, thesis §3.10).
  kRemoved,              ///< A leader committed a membership without itself (thesis §4.2.2).
  /// Refused a candidate of lower priority during an election (Config::priority):
  /// campaigns at once, as the candidate the voters prefer.
  kOutranked,
};
[[nodiscard]] std::string_view to_string(RoleChangeReason reason) noexcept;

struct RoleChanged {
  Role from;
  Role to;
  RoleChangeReason reason;
  friend bool operator==(const RoleChanged&, const RoleChanged&) = default;
};

struct TermChanged {
  Term from;
  Term to;
  friend bool operator==(const TermChanged&, const TermChanged&) = default;
};

/// This node answered a (pre-)vote request.
struct VoteCast {
  NodeId candidate;
  Term term;  ///< The term the vote is for.
  bool pre_vote = false;
  bool granted = false;
  VoteDenial denial = VoteDenial::kNone;
  friend bool operator==(const VoteCast&, const VoteCast&) = default;
};

/// The leader this node follows changed (NodeId::none() when it lost one).
/// A new leader reports itself.
struct LeaderChanged {
  NodeId leader;
  friend bool operator==(const LeaderChanged&, const LeaderChanged&) = default;
};

struct CommitAdvanced {
  Index from;
  Index to;
  friend bool operator==(const CommitAdvanced&, const CommitAdvanced&) = default;
};

/// A leadership transfer (thesis §3.10) began, completed or was given up.
struct TransferChanged {
  enum class Phase : std::uint8_t {
    kStarted,    ///< The leader is catching the target up; proposals are refused.
    kCompleted,  ///< The leader stepped down for the target's newer term.
    kAborted,    ///< No handover within an election timeout (or the leader lost its role).
  };
  NodeId target;
  Phase phase = Phase::kStarted;
  friend bool operator==(const TransferChanged&, const TransferChanged&) = default;
};
[[nodiscard]] std::string_view to_string(TransferChanged::Phase phase) noexcept;

/// A membership change took effect here: its entry committed (or a snapshot
/// carrying it was installed). `index` is the entry's log index.
struct MembershipChanged {
  Index index;
  Membership membership;
  friend bool operator==(const MembershipChanged&, const MembershipChanged&) = default;
};

/// A step in the life of a snapshot (thesis §5).
struct SnapshotChanged {
  enum class Phase : std::uint8_t {
    kTaken,      ///< The application saved one here; the log behind it was compacted.
    kSending,    ///< The leader began sending its snapshot to `peer` (a follower too far behind).
    kSent,       ///< `peer` confirmed it holds the state up to `index`.
    kInstalled,  ///< This follower installed the snapshot `peer` (its leader) sent.
  };
  Phase phase = Phase::kTaken;
  NodeId peer;
  Index index;
  Term term;
  friend bool operator==(const SnapshotChanged&, const SnapshotChanged&) = default;
};
[[nodiscard]] std::string_view to_string(SnapshotChanged::Phase phase) noexcept;

using EventBody = std::variant<RoleChanged, TermChanged, VoteCast, LeaderChanged, CommitAdvanced,
                               TransferChanged, MembershipChanged, SnapshotChanged>;

struct Event {
  Time time;  ///< The node's time (the last tick) when it happened.
  Term term;  ///< The node's term after it happened.
  EventBody body;
  friend bool operator==(const Event&, const Event&) = default;
};

}  // namespace raft

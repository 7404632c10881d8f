// SPDX-License-Identifier: Apache-2.0
// Cluster membership (thesis §4): who votes, who only listens, and the joint
// configurations that carry a cluster from one set of voters to another.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "raft/entry.h"
#include "raft/status.h"
#include "raft/types.h"

namespace raft {

/// The members of a cluster at one point of its log.
///
/// Decisions (elections, commitment, check-quorum, read confirmation) need a
/// majority of `voters`; in a joint configuration (thesis §4.3) they need a
/// majority of `voters` *and* a majority of `outgoing_voters`. Learners receive
/// the log but never vote and never count toward a quorum (thesis §4.2.1).
struct Membership {
  /// The (incoming) voters, sorted and unique.
  std::vector<NodeId> voters;
  /// The voters being left behind; non-empty only in a joint configuration.
  std::vector<NodeId> outgoing_voters;
  /// Non-voting members, sorted and unique, disjoint from `voters` (a voter
  /// being demoted may be in `outgoing_voters` and `learners` at once).
  std::vector<NodeId> learners;
  /// In a joint configuration: the leader proposes the leave entry by itself
  /// once the joint one commits (etcd's ConfChangeV2 "auto leave").
  bool auto_leave = false;

  /// True during a joint configuration (thesis §4.3).
  [[nodiscard]] bool joint() const noexcept { return !outgoing_voters.empty(); }
  /// A voter of either half of the configuration.
  [[nodiscard]] bool is_voter(NodeId id) const noexcept;
  [[nodiscard]] bool is_learner(NodeId id) const noexcept;
  /// A voter or a learner: someone the leader replicates to.
  [[nodiscard]] bool contains(NodeId id) const noexcept;
  /// Every member (voters of both halves and learners), sorted and unique.
  [[nodiscard]] std::vector<NodeId> members() const;
  /// Ok, or kInvalidConfig naming what is wrong (empty voters, id 0,
  /// duplicates, a learner that is also an incoming voter, unsorted lists).
  [[nodiscard]] Status validate() const;

  friend bool operator==(const Membership&, const Membership&) = default;
};

/// One step of a membership change.
struct MembershipChange {
  enum class Kind : std::uint8_t {
    kAddVoter,    ///< Add a voter, or promote a learner to voter.
    kAddLearner,  ///< Add a learner, or demote a voter to learner.
    kRemove,      ///< Remove a voter or a learner.
  };
  Kind kind = Kind::kAddVoter;
  NodeId node;
  friend bool operator==(const MembershipChange&, const MembershipChange&) = default;
};

/// How a set of changes is carried out.
enum class MembershipTransition : std::uint8_t {
  /// One voter change goes straight to the new configuration (thesis §4.1,
  /// single-server change); more than one goes through a joint configuration
  /// that the leader leaves by itself (§4.3, auto leave).
  kAuto,
  /// Always through a joint configuration, left automatically.
  kJointAutoLeave,
  /// Through a joint configuration that stays until the application proposes
  /// an empty change list (which then means "leave the joint configuration").
  kJointExplicitLeave,
};

/// The configuration that results from applying `changes` to `current`.
/// Errors (kInvalidArgument, naming the change): current is joint and the
/// change list is not empty (leave first), a change names node 0 or repeats
/// a node, removing a node that is not a member, or leaving no voters.
/// An empty list on a joint configuration yields the leave configuration;
/// on a simple configuration it is an error.
[[nodiscard]] Result<Membership> next_membership(const Membership& current,
                                                 std::span<const MembershipChange> changes,
                                                 MembershipTransition transition);

/// The payload of a kConfig entry. The encoding is versioned and
/// little-endian; decode_membership() rejects anything malformed with
/// kCorruption rather than guess.
[[nodiscard]] Payload encode_membership(const Membership& membership);
[[nodiscard]] Result<Membership> decode_membership(const Payload& payload);

}  // namespace raft

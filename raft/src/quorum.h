// SPDX-License-Identifier: Apache-2.0
// Majority decisions over a membership that may be joint (thesis §4.3): every
// decision needs a majority of the incoming voters and, while joint, of the
// outgoing voters too. Templates so the hot paths (commit, heartbeats) inline.
#pragma once

#include <algorithm>
#include <cstddef>
#include <vector>

#include "raft/membership.h"

namespace raft::detail {

enum class VoteOutcome : std::uint8_t { kPending, kWon, kLost };

/// `ballot(id)` returns +1 granted, -1 denied, 0 not yet answered.
template <class Ballot>
VoteOutcome tally_half(const std::vector<NodeId>& voters, Ballot&& ballot) {
  if (voters.empty()) return VoteOutcome::kWon;  // An absent half agrees to anything.
  std::size_t granted = 0;
  std::size_t denied = 0;
  for (const NodeId id : voters) {
    const int answer = ballot(id);
    granted += answer > 0 ? std::size_t{1} : std::size_t{0};
    denied += answer < 0 ? std::size_t{1} : std::size_t{0};
  }
  const std::size_t majority = voters.size() / 2 + 1;
  if (granted >= majority) return VoteOutcome::kWon;
  if (denied > voters.size() - majority) return VoteOutcome::kLost;
  return VoteOutcome::kPending;
}

/// The election (or pre-vote) outcome over both halves of the membership.
template <class Ballot>
VoteOutcome tally(const Membership& membership, Ballot&& ballot) {
  const VoteOutcome incoming = tally_half(membership.voters, ballot);
  const VoteOutcome outgoing = tally_half(membership.outgoing_voters, ballot);
  if (incoming == VoteOutcome::kLost || outgoing == VoteOutcome::kLost) return VoteOutcome::kLost;
  if (incoming == VoteOutcome::kWon && outgoing == VoteOutcome::kWon) return VoteOutcome::kWon;
  return VoteOutcome::kPending;
}

/// True when `agrees(id)` holds for a majority of each half.
template <class Agrees>
bool has_quorum(const Membership& membership, Agrees&& agrees) {
  return tally(membership, [&](NodeId id) { return agrees(id) ? 1 : 0; }) == VoteOutcome::kWon;
}

/// The largest index that a majority of `voters` hold, given `match(id)`.
template <class Match>
Index quorum_index_half(const std::vector<NodeId>& voters, Match&& match,
                        std::vector<Index>& scratch) {
  if (voters.empty()) return Index{~std::uint64_t{0}};  // No constraint from an absent half.
  scratch.clear();
  for (const NodeId id : voters) scratch.push_back(match(id));
  // Sorted descending, the majority-th largest is held by a majority.
  const std::size_t kth = voters.size() / 2;
  std::nth_element(scratch.begin(), scratch.begin() + static_cast<std::ptrdiff_t>(kth),
                   scratch.end(), std::greater<>{});
  return scratch[kth];
}

/// The largest index held by a majority of each half (Raft §5.3, thesis §4.3).
template <class Match>
Index quorum_index(const Membership& membership, Match&& match, std::vector<Index>& scratch) {
  return std::min(quorum_index_half(membership.voters, match, scratch),
                  quorum_index_half(membership.outgoing_voters, match, scratch));
}

}  // namespace raft::detail

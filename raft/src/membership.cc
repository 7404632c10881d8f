// SPDX-License-Identifier: Apache-2.0
#include "raft/membership.h"

#include <algorithm>

#include <fmt/format.h>

#include "byte_codec.h"

namespace raft {
namespace {

bool contains_sorted(const std::vector<NodeId>& ids, NodeId id) noexcept {
  return std::ranges::binary_search(ids, id);
}

void insert_sorted(std::vector<NodeId>& ids, NodeId id) {
  const auto at = std::ranges::lower_bound(ids, id);
  if (at == ids.end() || *at != id) ids.insert(at, id);
}

void erase_sorted(std::vector<NodeId>& ids, NodeId id) {
  const auto at = std::ranges::lower_bound(ids, id);
  if (at != ids.end() && *at == id) ids.erase(at);
}

Status check_list(const std::vector<NodeId>& ids, const char* name) {
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (!ids[i].valid()) {
      return Status::invalid_config(fmt::format("{}: node id 0 is reserved for \"no node\"", name));
    }
    if (i > 0 && ids[i - 1] >= ids[i]) {
      return Status::invalid_config(
          ids[i - 1] == ids[i]
              ? fmt::format("{}: node {} is listed more than once", name, ids[i].value())
              : fmt::format("{}: must be sorted", name));
    }
  }
  return {};
}

// Thesis §4.3: with two or more voter changes the old and new majorities may
// not overlap, so the cluster passes through C_old,new.
std::size_t voter_changes(const Membership& current, const Membership& next) {
  std::size_t changed = 0;
  for (const NodeId id : next.voters) changed += contains_sorted(current.voters, id) ? 0U : 1U;
  for (const NodeId id : current.voters) changed += contains_sorted(next.voters, id) ? 0U : 1U;
  return changed;
}

}  // namespace

bool Membership::is_voter(NodeId id) const noexcept {
  return contains_sorted(voters, id) || contains_sorted(outgoing_voters, id);
}

bool Membership::is_learner(NodeId id) const noexcept { return contains_sorted(learners, id); }

bool Membership::contains(NodeId id) const noexcept { return is_voter(id) || is_learner(id); }

std::vector<NodeId> Membership::members() const {
  std::vector<NodeId> all = voters;
  for (const NodeId id : outgoing_voters) insert_sorted(all, id);
  for (const NodeId id : learners) insert_sorted(all, id);
  return all;
}

Status Membership::validate() const {
  if (voters.empty()) return Status::invalid_config("voters: must not be empty");
  if (Status s = check_list(voters, "voters"); !s.ok()) return s;
  if (Status s = check_list(outgoing_voters, "outgoing_voters"); !s.ok()) return s;
  if (Status s = check_list(learners, "learners"); !s.ok()) return s;
  for (const NodeId id : learners) {
    if (contains_sorted(voters, id)) {
      return Status::invalid_config(fmt::format("learners: node {} is also a voter", id.value()));
    }
  }
  if (auto_leave && !joint()) {
    return Status::invalid_config("auto_leave: set on a configuration that is not joint");
  }
  return {};
}

Result<Membership> next_membership(const Membership& current,
                                   std::span<const MembershipChange> changes,
                                   MembershipTransition transition) {
  if (current.joint()) {
    if (!changes.empty()) {
      return Status{ErrorCode::kInvalidArgument,
                    "membership change: the configuration is joint; leave it (an empty change "
                    "list) before changing it again"};
    }
    // Thesis §4.3: C_new alone, once C_old,new has committed.
    Membership leave = current;
    leave.outgoing_voters.clear();
    leave.auto_leave = false;
    return leave;
  }
  if (changes.empty()) {
    return Status{ErrorCode::kInvalidArgument,
                  "membership change: no changes, and the configuration is not joint"};
  }

  Membership next = current;
  std::vector<NodeId> seen;
  for (const MembershipChange& change : changes) {
    const NodeId id = change.node;
    if (!id.valid()) {
      return Status{ErrorCode::kInvalidArgument, "membership change: node id 0 is not a node"};
    }
    if (std::ranges::find(seen, id) != seen.end()) {
      return Status{ErrorCode::kInvalidArgument,
                    fmt::format("membership change: node {} is named twice", id.value())};
    }
    seen.push_back(id);
    switch (change.kind) {
      case MembershipChange::Kind::kAddVoter:
        erase_sorted(next.learners, id);
        insert_sorted(next.voters, id);
        break;
      case MembershipChange::Kind::kAddLearner:
        erase_sorted(next.voters, id);
        insert_sorted(next.learners, id);
        break;
      case MembershipChange::Kind::kRemove:
        if (!current.contains(id)) {
          return Status{ErrorCode::kInvalidArgument,
                        fmt::format("membership change: node {} is not a member", id.value())};
        }
        erase_sorted(next.voters, id);
        erase_sorted(next.learners, id);
        break;
    }
  }
  if (next.voters.empty()) {
    return Status{ErrorCode::kInvalidArgument, "membership change: it would leave no voters"};
  }

  const bool joint = transition != MembershipTransition::kAuto || voter_changes(current, next) > 1;
  if (joint) {
    next.outgoing_voters = current.voters;
    next.auto_leave = transition != MembershipTransition::kJointExplicitLeave;
  }
  return next;
}

// ---- Encoding: version byte, flags byte, then three lists, each a u32 count
// followed by u64 ids, all little-endian.

namespace {

constexpr std::uint8_t kMembershipVersion = 1;

using detail::ByteReader;
using detail::put_le;

void put_list(std::vector<std::byte>& out, const std::vector<NodeId>& ids) {
  put_le(out, ids.size(), 4);
  for (const NodeId id : ids) put_le(out, id.value(), 8);
}

class Reader : public ByteReader {
 public:
  using ByteReader::ByteReader;
  bool read_list(std::vector<NodeId>& ids) {
    std::uint64_t count = 0;
    if (!read(count, 4) || count > remaining() / 8) return false;
    ids.reserve(count);
    for (std::uint64_t i = 0; i < count; ++i) {
      std::uint64_t id = 0;
      if (!read(id, 8)) return false;
      ids.emplace_back(id);
    }
    return true;
  }
};

}  // namespace

Payload encode_membership(const Membership& membership) {
  std::vector<std::byte> out;
  out.reserve(2 + 12 +
              8 * (membership.voters.size() + membership.outgoing_voters.size() +
                   membership.learners.size()));
  out.push_back(static_cast<std::byte>(kMembershipVersion));
  out.push_back(static_cast<std::byte>(membership.auto_leave ? 1 : 0));
  put_list(out, membership.voters);
  put_list(out, membership.outgoing_voters);
  put_list(out, membership.learners);
  return Payload{std::move(out)};
}

Result<Membership> decode_membership(const Payload& payload) {
  Reader reader{payload.bytes()};
  std::uint64_t version = 0;
  std::uint64_t flags = 0;
  Membership membership;
  if (!reader.read(version, 1) || version != kMembershipVersion) {
    return Status{ErrorCode::kCorruption,
                  fmt::format("membership entry: unknown encoding version {}", version)};
  }
  if (!reader.read(flags, 1) || flags > 1 || !reader.read_list(membership.voters) ||
      !reader.read_list(membership.outgoing_voters) || !reader.read_list(membership.learners) ||
      !reader.done()) {
    return Status{ErrorCode::kCorruption, "membership entry: truncated or malformed"};
  }
  membership.auto_leave = flags == 1;
  if (Status status = membership.validate(); !status.ok()) {
    return Status{ErrorCode::kCorruption, fmt::format("membership entry: {}", status.message())};
  }
  return membership;
}

}  // namespace raft

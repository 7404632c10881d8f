// SPDX-License-Identifier: Apache-2.0
// Membership changes from the timeline (thesis §4): queued as steps and
// proposed at whichever node leads, retried at its next turn while the core
// refuses (another change in flight, a new leader's first commit pending).
// A replacement brings the new machine in as a learner and waits for it to
// catch up before the joint change that swaps the votes (§4.2.1, §4.3).
#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "cluster_state.h"

namespace raft::sim::detail {
namespace {

// How long a removed machine drains before it is stopped: longer than any
// bundled client's timeout, so what it was still serving completes.
constexpr Duration kDecommissionDrain = std::chrono::seconds{1};

std::string describe_changes(const std::vector<MembershipChange>& changes) {
  std::vector<std::string> parts;
  for (const MembershipChange& change : changes) {
    const char* verb = change.kind == MembershipChange::Kind::kAddVoter     ? "add voter"
                       : change.kind == MembershipChange::Kind::kAddLearner ? "add learner"
                                                                            : "remove";
    parts.push_back(fmt::format("{} {}", verb, change.node.value()));
  }
  return fmt::format("{}", fmt::join(parts, ", "));
}

// True once `membership` shows every change done and no joint phase is left.
bool done(const Membership& membership, const std::vector<MembershipChange>& changes) {
  if (membership.joint()) return false;
  return std::ranges::all_of(changes, [&](const MembershipChange& change) {
    switch (change.kind) {
      case MembershipChange::Kind::kAddVoter:
        return std::ranges::binary_search(membership.voters, change.node);
      case MembershipChange::Kind::kAddLearner:
        return membership.is_learner(change.node);
      case MembershipChange::Kind::kRemove:
        return !membership.contains(change.node);
    }
    return false;
  });
}

}  // namespace

void ClusterState::decommission_node(NodeId id) {
  Host& removed = host(id);
  if (!removed.up()) return;
  // The operator takes the machine out of service discovery first: clients
  // stop choosing it. Then it drains — answering what still arrives with a
  // redirect, as a non-member does — and is stopped a little later.
  for (Client& client : clients) {
    if (client.leader_hint == id) client.leader_hint = NodeId::none();
    const auto it = std::ranges::find(client.endpoints, id);
    if (it == client.endpoints.end() || client.endpoints.size() == 1) continue;
    client.endpoints.erase(it);
    client.endpoint %= client.endpoints.size();
  }
  record(id,
         FaultRecord{
             FaultKind::kMembershipChange,
             {},
             {},
             kDecommissionDrain,
             fmt::format("decommission node {}: out of service discovery, stopped in "
                         "{} ms",
                         id.value(),
                         std::chrono::duration<double, std::milli>(kDecommissionDrain).count())});
  fault_ends.push_back({FaultKind::kCrash, id});
  schedule(now + kDecommissionDrain, EventType::kFaultEnd, 0, fault_ends.size() - 1);
}

void ClusterState::request_membership_change(const FaultSpec& fault, FaultRecord record) {
  std::vector<MembershipChange> changes = fault.changes;
  const bool names_target = fault.target.kind != NodeSelector::Kind::kId || fault.target.id.valid();
  if (names_target) {
    const NodeId removed = resolve(fault.target);
    if (!removed.valid()) {
      record.description = "membership change: no node matches (no leader?)";
      this->record(NodeId::none(), std::move(record));
      return;
    }
    changes.push_back({MembershipChange::Kind::kRemove, removed});
  }
  // The record names the nodes that lose their place, so metrics see a
  // change that removes the leader as what costs it its role.
  for (const MembershipChange& change : changes) {
    if (change.kind == MembershipChange::Kind::kRemove) record.nodes.push_back(change.node);
  }
  if (fault.await_caught_up.valid()) {
    membership_steps.push_back(
        {{{MembershipChange::Kind::kAddLearner, fault.await_caught_up}}, NodeId::none(), {}});
    record.description = fmt::format("membership: add learner {}, then once caught up: {}",
                                     fault.await_caught_up.value(), describe_changes(changes));
  } else {
    record.description = fmt::format("membership: {}", describe_changes(changes));
  }
  std::vector<NodeId> removed;
  for (const MembershipChange& change : changes) {
    if (change.kind == MembershipChange::Kind::kRemove) removed.push_back(change.node);
  }
  membership_steps.push_back({std::move(changes), fault.await_caught_up, std::move(removed)});
  this->record(NodeId::none(), std::move(record));
  if (const NodeId leader = current_leader(); leader.valid()) drive(host(leader));
}

void ClusterState::advance_membership(Host& leader) {
  Node& node = *leader.node;
  while (!membership_steps.empty()) {
    const MembershipStep& step = membership_steps.front();
    if (done(node.membership(), step.changes)) {
      // A leader that removed itself is shut down once it has handed over.
      const bool still_leading = std::ranges::any_of(step.decommission, [&](NodeId id) {
        const Host& removed = host(id);
        return removed.up() && removed.node->role() == Role::kLeader;
      });
      if (still_leading) return;
      const std::vector<NodeId> decommission = step.decommission;
      membership_steps.pop_front();
      for (const NodeId id : decommission) decommission_node(id);
      continue;
    }
    if (step.await_caught_up.valid()) {
      const std::vector<PeerProgress> peers = node.progress();
      const auto it = std::ranges::find(peers, step.await_caught_up, &PeerProgress::id);
      if (it == peers.end() || it->match < node.commit_index()) return;  // Not yet.
    }
    const Result<Index> proposed = node.propose_membership_change(step.changes);
    if (proposed.ok() || proposed.status().code() == ErrorCode::kConfigChangeInProgress ||
        proposed.status().code() == ErrorCode::kProposalDropped) {
      return;  // Proposed, or to be retried at this leader's next turn.
    }
    // A change that can never be made (e.g. removing a node that is not a
    // member): say so and move on rather than retry forever.
    record(leader.id,
           FaultRecord{FaultKind::kMembershipChange,
                       {},
                       {},
                       {},
                       fmt::format("membership change refused: {}", proposed.status().message())});
    membership_steps.pop_front();
  }
}

}  // namespace raft::sim::detail

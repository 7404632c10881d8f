// SPDX-License-Identifier: Apache-2.0
#include "raft/sim/metrics.h"

#include <map>

namespace raft::sim {
namespace {

bool can_cost_leader(FaultKind kind) {
  switch (kind) {
    case FaultKind::kCrash:
    case FaultKind::kMachineLoss:
    case FaultKind::kPause:
    case FaultKind::kPartition:
    case FaultKind::kPartitionOneWay:
    case FaultKind::kIsolate:
    case FaultKind::kSlowDisk:
    case FaultKind::kTransferLeadership:
    case FaultKind::kMembershipChange:  // Removing the leader costs it its role.
      return true;
    default:
      return false;
  }
}

bool hits(const FaultRecord& fault, NodeId node) {
  for (const NodeId target : fault.nodes) {
    if (target == node) return true;
  }
  return false;
}

}  // namespace

RunMetrics compute_metrics(const std::vector<TraceEvent>& events, std::uint32_t cluster_size) {
  RunMetrics metrics;
  const std::uint32_t majority = cluster_size / 2 + 1;
  std::map<std::uint64_t, NodeId> leader_of;  // What each node believes.
  std::map<std::uint64_t, Term> led_term;     // Term each node last became leader in.
  NodeId current_leader;                      // The latest node to win an election.
  Term old_term;
  std::optional<Time> first_fault;  // Fallback when no fault hits the leader.

  const auto since_fault = [&](Time time) { return time - *metrics.fault_time; };

  for (const TraceEvent& event : events) {
    if (const auto* node = std::get_if<NodeRecord>(&event.body)) {
      if (const auto* role = std::get_if<RoleChanged>(&node->event)) {
        if (role->to == Role::kCandidate) ++metrics.elections;
        if (role->to == Role::kPreCandidate) ++metrics.pre_votes;
        const bool campaigning = role->to == Role::kCandidate || role->to == Role::kPreCandidate;
        if (campaigning && metrics.fault_time && !metrics.detection &&
            event.node != metrics.fault_node) {
          metrics.detection = since_fault(event.time);
        }
      } else if (const auto* term = std::get_if<TermChanged>(&node->event)) {
        if (term->to > metrics.term_max) metrics.term_max = term->to;
      } else if (const auto* leader = std::get_if<LeaderChanged>(&node->event)) {
        leader_of[event.node.value()] = leader->leader;
        if (leader->leader == event.node) {
          ++metrics.leader_changes;
          current_leader = event.node;
          led_term[event.node.value()] = node->term;
        }
        if (metrics.fault_time && !metrics.election && leader->leader.valid()) {
          const auto led = led_term.find(leader->leader.value());
          if (led != led_term.end() && led->second > old_term) {
            std::uint32_t believers = 0;
            for (const auto& [id, believed] : leader_of) {
              if (believed == leader->leader) ++believers;
            }
            if (believers >= majority) {
              metrics.election = since_fault(event.time);
              metrics.new_leader = leader->leader;
            }
          }
        }
      }
    } else if (const auto* fault = std::get_if<FaultRecord>(&event.body)) {
      if (!can_cost_leader(fault->kind)) continue;
      if (!first_fault) first_fault = event.time;
      // A partition or a planned handover always costs the current leader its
      // role, whichever nodes the record names.
      const bool partition =
          fault->kind == FaultKind::kPartition || fault->kind == FaultKind::kTransferLeadership;
      if (!metrics.fault_time && (partition || hits(*fault, current_leader))) {
        metrics.fault_time = event.time;
        metrics.old_leader = current_leader;
        metrics.fault_node = partition              ? current_leader
                             : fault->nodes.empty() ? NodeId{}
                                                    : fault->nodes.front();
        old_term =
            led_term.count(current_leader.value()) ? led_term[current_leader.value()] : Term{};
      }
    } else if (const auto* client = std::get_if<ClientRecord>(&event.body)) {
      switch (client->phase) {
        case ClientRecord::Phase::kInvoke:
          break;
        case ClientRecord::Phase::kOk:
          ++metrics.requests;
          ++metrics.requests_ok;
          if (metrics.fault_time && !metrics.rto && event.time > *metrics.fault_time) {
            metrics.rto = since_fault(event.time);
          }
          break;
        case ClientRecord::Phase::kFail:
          ++metrics.requests;
          ++metrics.requests_failed;
          break;
        case ClientRecord::Phase::kTimeout:
          ++metrics.requests;
          ++metrics.requests_timed_out;
          break;
      }
    } else if (const auto* service = std::get_if<ServiceRecord>(&event.body)) {
      if (service->phase == ServiceRecord::Phase::kServing && metrics.fault_time &&
          !metrics.ready && event.node != metrics.old_leader) {
        metrics.ready = since_fault(event.time);
      }
    } else if (const auto* message = std::get_if<MessageRecord>(&event.body)) {
      if (message->fate == MessageRecord::Fate::kSent) ++metrics.messages_sent;
      if (message->fate == MessageRecord::Fate::kLost ||
          message->fate == MessageRecord::Fate::kBlocked ||
          message->fate == MessageRecord::Fate::kReceiverDown) {
        ++metrics.messages_dropped;
      }
    }
  }
  if (!metrics.fault_time && first_fault) metrics.fault_time = first_fault;
  return metrics;
}

}  // namespace raft::sim

// SPDX-License-Identifier: Apache-2.0
#include "raft/format.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "raft/detail/overloaded.h"

namespace raft {
namespace {

using raft::detail::Overloaded;

}  // namespace

std::string describe(const Membership& membership) {
  std::string text = fmt::format("voters {{{}}}", fmt::join(membership.voters, ","));
  if (membership.joint()) {
    text += fmt::format(" & {{{}}} (joint{})", fmt::join(membership.outgoing_voters, ","),
                        membership.auto_leave ? ", auto leave" : "");
  }
  if (!membership.learners.empty()) {
    text += fmt::format(", learners {{{}}}", fmt::join(membership.learners, ","));
  }
  return text;
}

std::string describe(const Message& message) {
  const std::string head = fmt::format("{}->{} {} term={}", message.from, message.to,
                                       message_type_name(message), message.term);
  return std::visit(
      Overloaded{
          [&](const VoteRequest& request) {
            // The default priority is left out, so traces without priorities read as before.
            return fmt::format("{}{}{} last={}/{}{}", head, request.pre_vote ? " pre-vote" : "",
                               request.leadership_transfer ? " transfer" : "",
                               request.last_log_index, request.last_log_term,
                               request.priority == 1
                                   ? std::string{}
                                   : fmt::format(" priority={}", request.priority));
          },
          [&](const VoteReply& reply) {
            return fmt::format(
                "{}{} {}", head, reply.pre_vote ? " pre-vote" : "",
                reply.granted ? "granted" : fmt::format("denied ({})", to_string(reply.denial)));
          },
          [&](const AppendRequest& request) {
            return fmt::format("{} prev={}/{} commit={} entries={}", head, request.prev_log_index,
                               request.prev_log_term, request.leader_commit,
                               request.entries.size());
          },
          [&](const AppendReply& reply) {
            return reply.success ? fmt::format("{} ok index={}", head, reply.index)
                                 : fmt::format("{} reject index={} hint={}/{}", head, reply.index,
                                               reply.hint_index, reply.hint_term);
          },
          [&](const Heartbeat& heartbeat) {
            return fmt::format("{} commit={}", head, heartbeat.commit);
          },
          [&](const HeartbeatReply&) { return head; },
          [&](const TimeoutNow&) { return head; },
          [&](const ReadIndexRequest& request) {
            return fmt::format("{} read={}", head, request.request_id);
          },
          [&](const ReadIndexReply& reply) {
            return reply.success
                       ? fmt::format("{} read={} index={}", head, reply.request_id, reply.index)
                       : fmt::format("{} read={} refused", head, reply.request_id);
          },
          [&](const InstallSnapshot& chunk) {
            return fmt::format("{} snapshot={}/{} offset={} bytes={}/{}{}", head, chunk.meta.index,
                               chunk.meta.term, chunk.offset, chunk.data.size(), chunk.total_bytes,
                               chunk.done ? " done" : "");
          },
          [&](const InstallSnapshotReply& reply) {
            return fmt::format("{} snapshot={} next_offset={}{}{}", head, reply.snapshot_index,
                               reply.next_offset, reply.done ? " done" : "",
                               reply.rejected ? " rejected" : "");
          },
      },
      message.body);
}

std::string describe(const Event& event) {
  const std::string head = fmt::format("term {}:", event.term);
  return std::visit(
      Overloaded{
          [&](const RoleChanged& change) {
            return fmt::format("{} {} -> {} ({})", head, change.from, change.to,
                               to_string(change.reason));
          },
          [&](const TermChanged& change) {
            return fmt::format("{} term {} -> {}", head, change.from, change.to);
          },
          [&](const VoteCast& vote) {
            return fmt::format("{} {}{} node {} for term {}{}", head,
                               vote.granted ? "granted " : "denied ",
                               vote.pre_vote ? "pre-vote to" : "vote to", vote.candidate, vote.term,
                               vote.granted ? "" : fmt::format(" ({})", to_string(vote.denial)));
          },
          [&](const LeaderChanged& change) {
            return change.leader.valid() ? fmt::format("{} leader is node {}", head, change.leader)
                                         : fmt::format("{} no leader", head);
          },
          [&](const CommitAdvanced& commit) {
            return fmt::format("{} commit {} -> {}", head, commit.from, commit.to);
          },
          [&](const TransferChanged& transfer) {
            return fmt::format("{} leadership transfer to node {} {}", head, transfer.target,
                               to_string(transfer.phase));
          },
          [&](const MembershipChanged& change) {
            return fmt::format("{} membership at {}: {}", head, change.index,
                               describe(change.membership));
          },
          [&](const SnapshotChanged& snapshot) {
            return fmt::format(
                "{} snapshot {}/{} {}{}", head, snapshot.index, snapshot.term,
                to_string(snapshot.phase),
                snapshot.peer.valid() ? fmt::format(" (node {})", snapshot.peer) : std::string{});
          },
      },
      event.body);
}

std::string format_ms(Time time) {
  const auto nanos = time.time_since_epoch().count();
  return fmt::format("{:.1f}", static_cast<double>(nanos) / 1e6);
}

}  // namespace raft

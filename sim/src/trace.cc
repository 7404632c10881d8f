// SPDX-License-Identifier: Apache-2.0
#include "raft/sim/trace.h"

#include <fmt/format.h>

#include "raft/detail/overloaded.h"
#include "raft/format.h"

namespace raft::sim {
namespace {

// A cheap word-at-a-time mix (multiply and rotate). Not cryptographic: it only
// has to make two different traces collide with negligible probability.
class Hasher {
 public:
  explicit Hasher(std::uint64_t state) : state_(state) {}
  void add(std::uint64_t word) {
    state_ = (state_ ^ word) * 0x9e3779b97f4a7c15ULL;
    state_ ^= state_ >> 29U;
  }
  void add(const std::string& text) {
    add(text.size());
    std::uint64_t word = 0;
    std::size_t filled = 0;
    for (const char c : text) {
      word = (word << 8U) | static_cast<unsigned char>(c);
      if (++filled == 8) {
        add(word);
        word = 0;
        filled = 0;
      }
    }
    if (filled > 0) add(word);
  }
  [[nodiscard]] std::uint64_t value() const { return state_; }

 private:
  std::uint64_t state_;
};

using raft::detail::Overloaded;

void hash_node_event(Hasher& hasher, const EventBody& event) {
  hasher.add(event.index());
  std::visit(Overloaded{
                 [&](const RoleChanged& e) {
                   hasher.add((static_cast<std::uint64_t>(e.from) << 16U) |
                              (static_cast<std::uint64_t>(e.to) << 8U) |
                              static_cast<std::uint64_t>(e.reason));
                 },
                 [&](const TermChanged& e) {
                   hasher.add(e.from.value());
                   hasher.add(e.to.value());
                 },
                 [&](const VoteCast& e) {
                   hasher.add(e.candidate.value());
                   hasher.add(e.term.value());
                   hasher.add((static_cast<std::uint64_t>(e.pre_vote) << 16U) |
                              (static_cast<std::uint64_t>(e.granted) << 8U) |
                              static_cast<std::uint64_t>(e.denial));
                 },
                 [&](const LeaderChanged& e) { hasher.add(e.leader.value()); },
                 [&](const CommitAdvanced& e) {
                   hasher.add(e.from.value());
                   hasher.add(e.to.value());
                 },
                 [&](const TransferChanged& e) {
                   hasher.add(e.target.value());
                   hasher.add(static_cast<std::uint64_t>(e.phase));
                 },
                 [&](const MembershipChanged& e) {
                   hasher.add(e.index.value());
                   for (const auto* ids : {&e.membership.voters, &e.membership.outgoing_voters,
                                           &e.membership.learners}) {
                     hasher.add(ids->size());
                     for (const NodeId id : *ids) hasher.add(id.value());
                   }
                 },
                 [&](const SnapshotChanged& e) {
                   hasher.add(static_cast<std::uint64_t>(e.phase));
                   hasher.add(e.peer.value());
                   hasher.add(e.index.value());
                   hasher.add(e.term.value());
                 },
             },
             event);
}

void hash_body(Hasher& hasher, const TraceBody& body) {
  hasher.add(body.index());
  std::visit(Overloaded{
                 [&](const NodeRecord& r) {
                   hasher.add(r.term.value());
                   hash_node_event(hasher, r.event);
                 },
                 [&](const MessageRecord& r) {
                   hasher.add(r.id);
                   hasher.add((r.from.value() << 32U) | r.to.value());
                   hasher.add(r.term.value());
                   hasher.add((static_cast<std::uint64_t>(r.type) << 40U) |
                              (static_cast<std::uint64_t>(r.fate) << 32U) | r.entries);
                 },
                 [&](const FaultRecord& r) {
                   hasher.add(static_cast<std::uint64_t>(r.kind));
                   for (const NodeId node : r.nodes) hasher.add(node.value());
                   for (const std::uint32_t group : r.groups) hasher.add(group);
                   hasher.add(static_cast<std::uint64_t>(r.duration.count()));
                 },
                 [&](const ClientRecord& r) {
                   hasher.add((static_cast<std::uint64_t>(r.client) << 32U) | r.attempt);
                   hasher.add(r.op);
                   hasher.add((static_cast<std::uint64_t>(r.kind) << 8U) |
                              static_cast<std::uint64_t>(r.phase));
                   hasher.add(r.target.value());
                   hasher.add(r.key);
                   hasher.add(r.value);
                   hasher.add(r.error);
                 },
                 [&](const ServiceRecord& r) { hasher.add(static_cast<std::uint64_t>(r.phase)); },
             },
             body);
}

}  // namespace

const char* to_string(FaultKind kind) noexcept {
  switch (kind) {
    case FaultKind::kCrash:
      return "crash";
    case FaultKind::kMachineLoss:
      return "machine-loss";
    case FaultKind::kRestart:
      return "restart";
    case FaultKind::kPause:
      return "pause";
    case FaultKind::kResume:
      return "resume";
    case FaultKind::kPartition:
      return "partition";
    case FaultKind::kPartitionOneWay:
      return "partition-one-way";
    case FaultKind::kIsolate:
      return "isolate";
    case FaultKind::kHeal:
      return "heal";
    case FaultKind::kSlowDisk:
      return "slow-disk";
    case FaultKind::kDiskRecovered:
      return "disk-recovered";
    case FaultKind::kClockDrift:
      return "clock-drift";
    case FaultKind::kMembershipChange:
      return "membership-change";
    case FaultKind::kTransferLeadership:
      return "transfer-leadership";
    case FaultKind::kNetworkChange:
      return "network-change";
  }
  return "?";
}

const char* to_string(MessageRecord::Fate fate) noexcept {
  switch (fate) {
    case MessageRecord::Fate::kSent:
      return "sent";
    case MessageRecord::Fate::kDelivered:
      return "delivered";
    case MessageRecord::Fate::kLost:
      return "lost";
    case MessageRecord::Fate::kBlocked:
      return "blocked";
    case MessageRecord::Fate::kReceiverDown:
      return "receiver-down";
  }
  return "?";
}

const char* to_string(ClientRecord::Phase phase) noexcept {
  switch (phase) {
    case ClientRecord::Phase::kInvoke:
      return "invoke";
    case ClientRecord::Phase::kOk:
      return "ok";
    case ClientRecord::Phase::kFail:
      return "fail";
    case ClientRecord::Phase::kTimeout:
      return "timeout";
  }
  return "?";
}

const char* to_string(ServiceRecord::Phase phase) noexcept {
  switch (phase) {
    case ServiceRecord::Phase::kStarting:
      return "starting";
    case ServiceRecord::Phase::kLoading:
      return "loading";
    case ServiceRecord::Phase::kServing:
      return "serving";
    case ServiceRecord::Phase::kStopped:
      return "stopped";
  }
  return "?";
}

void Trace::record(TraceEvent event) {
  Hasher hasher{hash_};
  hasher.add(static_cast<std::uint64_t>(event.time.time_since_epoch().count()));
  hasher.add(event.node.value());
  hash_body(hasher, event.body);
  hash_ = hasher.value();
  ++count_;
  if (!options_.keep_events) return;
  if (!options_.keep_messages && std::holds_alternative<MessageRecord>(event.body)) return;
  events_.push_back(std::move(event));
}

std::string describe(const TraceEvent& event) {
  const std::string head = fmt::format("{:>10} n{}", format_ms(event.time), event.node.value());
  return std::visit(
      Overloaded{
          [&](const NodeRecord& r) {
            return fmt::format("{} {}", head, describe(Event{event.time, r.term, r.event}));
          },
          [&](const MessageRecord& r) {
            return fmt::format("{} msg#{} {}->{} {} term={} entries={} {}", head, r.id,
                               r.from.value(), r.to.value(), message_type_name(r.type),
                               r.term.value(), r.entries, to_string(r.fate));
          },
          [&](const FaultRecord& r) {
            return fmt::format("{} FAULT {}: {}", head, to_string(r.kind), r.description);
          },
          [&](const ClientRecord& r) {
            return fmt::format("{} client {} op {} {} {} {}{}{}{}", head, r.client, r.op,
                               r.kind == OpKind::kRead ? "read" : "write", r.key,
                               to_string(r.phase), r.value.empty() ? "" : " value=", r.value,
                               r.error.empty() ? "" : " (" + r.error + ")");
          },
          [&](const ServiceRecord& r) {
            return fmt::format("{} service: {}", head, to_string(r.phase));
          },
      },
      event.body);
}

std::string format_hash(std::uint64_t hash) { return fmt::format("{:016x}", hash); }

}  // namespace raft::sim

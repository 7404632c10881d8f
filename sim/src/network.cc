// SPDX-License-Identifier: Apache-2.0
// The simulated network: per-link latency, loss and duplication; partitions.
// Reordering comes from latency jitter, as on a real network.
#include "cluster_state.h"

namespace raft::sim::detail {

const LinkSpec& ClusterState::link(NodeId from, NodeId to) const {
  if (!link_overrides.empty()) {
    const auto it = link_overrides.find({from.value(), to.value()});
    if (it != link_overrides.end()) return it->second;
  }
  return defaults;
}

bool ClusterState::blocked(NodeId from, NodeId to) const {
  const std::uint32_t n = scenario.cluster.hosts();
  return cut[(from.value() - 1) * n + (to.value() - 1)] != 0;
}

Duration ClusterState::client_latency() { return defaults.latency.sample(prng); }

namespace {

std::uint32_t entry_count(const Message& message) {
  const auto* append = std::get_if<AppendRequest>(&message.body);
  return append == nullptr ? 0 : static_cast<std::uint32_t>(append->entries.size());
}

}  // namespace

void ClusterState::send_message(Message message) {
  if (options.mutation == Mutation::kDoubleVote) {
    if (auto* vote = std::get_if<VoteReply>(&message.body);
        vote != nullptr && !vote->pre_vote && vote->denial == VoteDenial::kAlreadyVoted) {
      vote->granted = true;  // The mutant votes a second time in this term.
      vote->denial = VoteDenial::kNone;
    }
  }
  const std::uint64_t id = next_message_id++;
  MessageRecord sent{id,
                     message.from,
                     message.to,
                     message.term,
                     static_cast<std::uint8_t>(message.body.index()),
                     entry_count(message),
                     MessageRecord::Fate::kSent};
  record(message.from, sent);
  if (blocked(message.from, message.to)) {
    sent.fate = MessageRecord::Fate::kBlocked;
    record(message.from, sent);
    return;
  }
  const LinkSpec& spec = link(message.from, message.to);
  if (spec.loss > 0 && prng.chance(spec.loss)) {
    sent.fate = MessageRecord::Fate::kLost;
    record(message.from, sent);
    return;
  }
  const int copies = spec.duplicate > 0 && prng.chance(spec.duplicate) ? 2 : 1;
  for (int copy = 0; copy < copies; ++copy) {
    std::uint64_t slot;
    if (!free_message_slots.empty()) {
      slot = free_message_slots.back();
      free_message_slots.pop_back();
    } else {
      slot = message_slots.size();
      message_slots.emplace_back();
      message_ids.push_back(0);
    }
    message_slots[slot] = copy + 1 < copies ? message : std::move(message);
    message_ids[slot] = id;
    const Time arrival = now + spec.latency.sample(prng);
    Time& latest = last_arrival[(message_slots[slot]->from.value() - 1) * scenario.cluster.hosts() +
                                (message_slots[slot]->to.value() - 1)];
    latest = std::max(latest, arrival);
    schedule(arrival, EventType::kDeliver,
             static_cast<std::uint32_t>(message_slots[slot]->to.value()), slot);
  }
}

void ClusterState::deliver(Host& host, std::uint64_t slot) {
  Message message = std::move(*message_slots[slot]);
  message_slots[slot].reset();
  free_message_slots.push_back(slot);
  MessageRecord arrived{message_ids[slot],
                        message.from,
                        message.to,
                        message.term,
                        static_cast<std::uint8_t>(message.body.index()),
                        entry_count(message),
                        MessageRecord::Fate::kDelivered};
  // A partition that began while the message was in flight stops it too.
  if (blocked(message.from, message.to)) {
    arrived.fate = MessageRecord::Fate::kBlocked;
    record(message.to, arrived);
    return;
  }
  if (!host.up()) {
    arrived.fate = MessageRecord::Fate::kReceiverDown;
    record(message.to, arrived);
    return;
  }
  record(message.to, arrived);
  if (host.paused || host.in_flight) {
    host.inbox.push_back(InboxItem{std::move(message), {}});
    return;
  }
  step_message(host, std::move(message));
  drive(host);
}

}  // namespace raft::sim::detail

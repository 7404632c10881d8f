// SPDX-License-Identifier: Apache-2.0
// The simulated network: per-link latency, loss and duplication; partitions;
// optional bandwidth. Reordering comes from latency jitter, as on a real
// network, except on links with a bandwidth, which are streams (FIFO).
#include <type_traits>
#include <variant>

#include "cluster_state.h"

namespace raft::sim {

namespace {

// Fixed sizes of the estimate: from, to, term, type and a length per message;
// 8 bytes per integer field and per node id of a configuration.
constexpr std::uint64_t kMessageHeaderBytes = 32;
constexpr std::uint64_t kFieldBytes = 8;

std::uint64_t body_bytes(const MessageBody& body) noexcept {
  return std::visit(
      [](const auto& b) -> std::uint64_t {
        using T = std::decay_t<decltype(b)>;
        if constexpr (std::is_same_v<T, AppendRequest>) {
          std::uint64_t bytes = 3 * kFieldBytes;
          for (const Entry& entry : b.entries) bytes += entry.size_bytes();
          return bytes;
        } else if constexpr (std::is_same_v<T, InstallSnapshot>) {
          const Membership& m = b.meta.membership;
          const std::uint64_t members =
              m.voters.size() + m.outgoing_voters.size() + m.learners.size();
          // index, term, offset, total, done; the configuration; the data.
          return (5 + members) * kFieldBytes + b.data.size();
        } else {
          return 3 * kFieldBytes;  // The control messages: a few integers and flags.
        }
      },
      body);
}

}  // namespace

std::uint64_t wire_bytes(const Message& message) noexcept {
  return kMessageHeaderBytes + body_bytes(message.body);
}

}  // namespace raft::sim

namespace raft::sim::detail {

std::uint64_t snapshot_data_bytes(const Message& message) noexcept {
  const auto* chunk = std::get_if<InstallSnapshot>(&message.body);
  return chunk == nullptr ? 0 : chunk->data.size();
}

std::uint64_t snapshot_data_bytes(const Ready& ready) noexcept {
  std::uint64_t bytes = 0;
  for (const SnapshotChunk& chunk : ready.snapshot_chunks) bytes += chunk.data.size();
  return bytes;
}

void ClusterState::hold_snapshot_bytes(std::uint64_t bytes) {
  network_stats.snapshot_bytes_held += bytes;
  network_stats.snapshot_bytes_held_max =
      std::max(network_stats.snapshot_bytes_held_max, network_stats.snapshot_bytes_held);
}

void ClusterState::release_snapshot_bytes(std::uint64_t bytes) {
  RAFT_ASSERT(bytes <= network_stats.snapshot_bytes_held);
  network_stats.snapshot_bytes_held -= bytes;
}

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
  const std::uint64_t size = wire_bytes(message);
  ++network_stats.messages_sent;
  network_stats.bytes_sent += size;
  if (blocked(message.from, message.to)) {
    sent.fate = MessageRecord::Fate::kBlocked;
    record(message.from, sent);
    return;
  }
  const LinkSpec& spec = link(message.from, message.to);
  const std::size_t direction =
      (message.from.value() - 1) * scenario.cluster.hosts() + (message.to.value() - 1);
  // With a bandwidth, the message leaves once those queued before it on this
  // direction are out, and takes size / bandwidth to transmit (serialization
  // delay); the latency applies after that. A lost message was sent too.
  Time sent_out = now;
  if (spec.bandwidth > 0) {
    __extension__ using Wide = unsigned __int128;  // size * 1e9 overflows 64 bits past 18 GB.
    const Wide nanoseconds =
        (Wide{size} * 1'000'000'000U + spec.bandwidth - 1) / Wide{spec.bandwidth};
    sent_out =
        std::max(now, link_free_at[direction]) + Duration{static_cast<Duration::rep>(nanoseconds)};
    link_free_at[direction] = sent_out;
  }
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
    hold_snapshot_bytes(snapshot_data_bytes(*message_slots[slot]));
    Time arrival = sent_out + spec.latency.sample(prng);
    Time& latest = last_arrival[direction];
    // A link with a bandwidth is one stream (TCP): nothing overtakes what was sent before it.
    if (spec.bandwidth > 0) arrival = std::max(arrival, latest);
    latest = std::max(latest, arrival);
    schedule(arrival, EventType::kDeliver,
             static_cast<std::uint32_t>(message_slots[slot]->to.value()), slot);
  }
}

void ClusterState::deliver(Host& host, std::uint64_t slot) {
  Message message = std::move(*message_slots[slot]);
  message_slots[slot].reset();
  free_message_slots.push_back(slot);
  const std::uint64_t snapshot_bytes = snapshot_data_bytes(message);
  release_snapshot_bytes(snapshot_bytes);  // Off the wire; held again below if buffered.
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
    hold_snapshot_bytes(snapshot_bytes);
    host.inbox.push_back(InboxItem{std::move(message), {}});
    return;
  }
  step_message(host, std::move(message));
  drive(host);
}

}  // namespace raft::sim::detail

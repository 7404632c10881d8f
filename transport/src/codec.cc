// SPDX-License-Identifier: Apache-2.0
#include "raft/transport/codec.h"

#include <algorithm>
#include <limits>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include <fmt/format.h>

#include "proto/raft.pb.h"
#include "raft/membership.h"

namespace raft::transport {
namespace {

namespace wire = raftsim::wire::v1;

// ---- Encoding ------------------------------------------------------------------------------

std::string to_bytes_string(const Payload& payload) { return std::string{payload.as_string()}; }

void put_membership(const Membership& membership, wire::Membership& out) {
  for (const NodeId id : membership.voters) out.add_voters(id.value());
  for (const NodeId id : membership.outgoing_voters) out.add_outgoing_voters(id.value());
  for (const NodeId id : membership.learners) out.add_learners(id.value());
  out.set_auto_leave(membership.auto_leave);
}

void put_body(const VoteRequest& body, wire::Envelope& out) {
  wire::VoteRequest& w = *out.mutable_vote_request();
  w.set_last_log_index(body.last_log_index.value());
  w.set_last_log_term(body.last_log_term.value());
  w.set_pre_vote(body.pre_vote);
  w.set_leadership_transfer(body.leadership_transfer);
  w.set_priority(body.priority);
}

void put_body(const VoteReply& body, wire::Envelope& out) {
  wire::VoteReply& w = *out.mutable_vote_reply();
  w.set_granted(body.granted);
  w.set_pre_vote(body.pre_vote);
  w.set_denial(static_cast<wire::VoteDenial>(body.denial));
}

void put_body(const AppendRequest& body, wire::Envelope& out) {
  wire::AppendRequest& w = *out.mutable_append_request();
  w.set_prev_log_index(body.prev_log_index.value());
  w.set_prev_log_term(body.prev_log_term.value());
  w.set_leader_commit(body.leader_commit.value());
  w.mutable_entries()->Reserve(static_cast<int>(body.entries.size()));
  for (const Entry& entry : body.entries) {
    wire::Entry& e = *w.add_entries();
    e.set_term(entry.term.value());
    e.set_index(entry.index.value());
    e.set_type(static_cast<wire::EntryType>(entry.type));
    e.set_payload(to_bytes_string(entry.payload));
  }
}

void put_body(const AppendReply& body, wire::Envelope& out) {
  wire::AppendReply& w = *out.mutable_append_reply();
  w.set_success(body.success);
  w.set_index(body.index.value());
  w.set_hint_index(body.hint_index.value());
  w.set_hint_term(body.hint_term.value());
  w.set_priority(body.priority);
}

void put_body(const Heartbeat& body, wire::Envelope& out) {
  wire::Heartbeat& w = *out.mutable_heartbeat();
  w.set_commit(body.commit.value());
  w.set_round(body.round);
}

void put_body(const HeartbeatReply& body, wire::Envelope& out) {
  wire::HeartbeatReply& w = *out.mutable_heartbeat_reply();
  w.set_round(body.round);
  w.set_priority(body.priority);
}

void put_body(const TimeoutNow& /*body*/, wire::Envelope& out) { out.mutable_timeout_now(); }

void put_body(const ReadIndexRequest& body, wire::Envelope& out) {
  out.mutable_read_index_request()->set_request_id(body.request_id);
}

void put_body(const ReadIndexReply& body, wire::Envelope& out) {
  wire::ReadIndexReply& w = *out.mutable_read_index_reply();
  w.set_request_id(body.request_id);
  w.set_index(body.index.value());
  w.set_success(body.success);
}

void put_body(const InstallSnapshot& body, wire::Envelope& out) {
  wire::InstallSnapshot& w = *out.mutable_install_snapshot();
  wire::SnapshotMeta& meta = *w.mutable_meta();
  meta.set_index(body.meta.index.value());
  meta.set_term(body.meta.term.value());
  put_membership(body.meta.membership, *meta.mutable_membership());
  w.set_offset(body.offset);
  w.set_data(to_bytes_string(body.data));
  w.set_done(body.done);
  w.set_total_bytes(body.total_bytes);
}

void put_body(const InstallSnapshotReply& body, wire::Envelope& out) {
  wire::InstallSnapshotReply& w = *out.mutable_install_snapshot_reply();
  w.set_snapshot_index(body.snapshot_index.value());
  w.set_next_offset(body.next_offset);
  w.set_done(body.done);
  w.set_rejected(body.rejected);
}

Result<std::string> serialize(const google::protobuf::MessageLite& message, const char* what) {
  const std::size_t size = message.ByteSizeLong();
  if (size > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    return Status{ErrorCode::kInvalidArgument,
                  fmt::format("{} of {} bytes exceeds Protobuf's 2 GiB limit", what, size)};
  }
  std::string out;
  if (!message.SerializeToString(&out)) {
    return Status{ErrorCode::kInvalidArgument, fmt::format("cannot serialise the {}", what)};
  }
  return out;
}

// ---- Decoding ------------------------------------------------------------------------------

Status corrupt(std::string message) { return {ErrorCode::kCorruption, std::move(message)}; }
Status invalid(std::string message) { return {ErrorCode::kInvalidArgument, std::move(message)}; }

Payload to_payload(const std::string& bytes) {
  return Payload{std::as_bytes(std::span{bytes.data(), bytes.size()})};
}

bool parse(google::protobuf::MessageLite& message, std::span<const std::byte> bytes) {
  if (bytes.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) return false;
  return message.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()));
}

std::vector<NodeId> get_ids(const google::protobuf::RepeatedField<std::uint64_t>& ids) {
  std::vector<NodeId> out;
  out.reserve(static_cast<std::size_t>(ids.size()));
  for (const std::uint64_t id : ids) out.emplace_back(id);
  return out;
}

Result<Membership> get_membership(const wire::Membership& w, std::string_view field) {
  const auto members = static_cast<std::size_t>(w.voters_size()) +
                       static_cast<std::size_t>(w.outgoing_voters_size()) +
                       static_cast<std::size_t>(w.learners_size());
  if (members > kMaxWireMembers) {
    return invalid(
        fmt::format("{}: {} members, more than the {} allowed", field, members, kMaxWireMembers));
  }
  Membership membership;
  membership.voters = get_ids(w.voters());
  membership.outgoing_voters = get_ids(w.outgoing_voters());
  membership.learners = get_ids(w.learners());
  membership.auto_leave = w.auto_leave();
  if (Status valid = membership.validate(); !valid.ok()) {
    return invalid(fmt::format("{}: {}", field, valid.message()));
  }
  return membership;
}

// An absent priority is the default (Config::priority), not 0, which means "never lead".
template <class Wire>
std::uint32_t priority_of(const Wire& w) {
  return w.has_priority() ? w.priority() : std::uint32_t{1};
}

Result<MessageBody> get_body(const wire::VoteRequest& w, Term /*term*/) {
  return MessageBody{VoteRequest{Index{w.last_log_index()}, Term{w.last_log_term()}, w.pre_vote(),
                                 w.leadership_transfer(), priority_of(w)}};
}

Result<MessageBody> get_body(const wire::VoteReply& w, Term /*term*/) {
  // Keep in step with raft::VoteDenial: a value this build does not know is refused rather
  // than cast into an enumerator that does not exist.
  constexpr auto kLastDenial = static_cast<int>(VoteDenial::kLowerPriority);
  const int denial = w.denial();
  if (denial < 0 || denial > kLastDenial) {
    return invalid(fmt::format("VoteReply.denial: unknown value {}", denial));
  }
  return MessageBody{VoteReply{w.granted(), w.pre_vote(), static_cast<VoteDenial>(denial)}};
}

Result<MessageBody> get_body(const wire::AppendRequest& w, Term term) {
  AppendRequest request{
      Index{w.prev_log_index()}, Term{w.prev_log_term()}, Index{w.leader_commit()}, {}};
  if (request.prev_log_term > term) {
    return invalid(
        fmt::format("AppendRequest.prev_log_term: {} is newer than the message's "
                    "term {}",
                    request.prev_log_term.value(), term.value()));
  }
  request.entries.reserve(static_cast<std::size_t>(w.entries_size()));
  Term previous_term = request.prev_log_term;
  for (int i = 0; i < w.entries_size(); ++i) {
    const wire::Entry& e = w.entries(i);
    // Log Matching (Raft §5.3): the entries continue the log right after prev_log_index, and
    // terms never decrease along a log. The core relies on both; a peer that breaks them is
    // broken or hostile, and its message goes no further than here.
    const std::uint64_t want = w.prev_log_index() + static_cast<std::uint64_t>(i) + 1;
    if (want == 0 || e.index() != want) {
      return invalid(
          fmt::format("AppendRequest.entries[{}].index: {}, expected {}", i, e.index(), want));
    }
    if (Term{e.term()} < previous_term || Term{e.term()} > term) {
      return invalid(fmt::format("AppendRequest.entries[{}].term: {} is outside [{}, {}]", i,
                                 e.term(), previous_term.value(), term.value()));
    }
    const int type = e.type();
    if (type < 0 || type > static_cast<int>(EntryType::kConfig)) {
      return invalid(fmt::format("AppendRequest.entries[{}].type: unknown entry type {}", i, type));
    }
    Entry entry{Term{e.term()}, Index{e.index()}, static_cast<EntryType>(type),
                to_payload(e.payload())};
    if (entry.type == EntryType::kConfig) {
      const Result<Membership> membership = decode_membership(entry.payload);
      if (!membership.ok()) {
        return invalid(
            fmt::format("AppendRequest.entries[{}].payload: {}", i, membership.status().message()));
      }
      if (Status valid = membership->validate(); !valid.ok()) {
        return invalid(fmt::format("AppendRequest.entries[{}].payload: {}", i, valid.message()));
      }
    }
    previous_term = entry.term;
    request.entries.push_back(std::move(entry));
  }
  return MessageBody{std::move(request)};
}

Result<MessageBody> get_body(const wire::AppendReply& w, Term /*term*/) {
  return MessageBody{AppendReply{w.success(), Index{w.index()}, Index{w.hint_index()},
                                 Term{w.hint_term()}, priority_of(w)}};
}

Result<MessageBody> get_body(const wire::Heartbeat& w, Term /*term*/) {
  return MessageBody{Heartbeat{Index{w.commit()}, w.round()}};
}

Result<MessageBody> get_body(const wire::HeartbeatReply& w, Term /*term*/) {
  return MessageBody{HeartbeatReply{w.round(), priority_of(w)}};
}

Result<MessageBody> get_body(const wire::TimeoutNow& /*w*/, Term /*term*/) {
  return MessageBody{TimeoutNow{}};
}

Result<MessageBody> get_body(const wire::ReadIndexRequest& w, Term /*term*/) {
  return MessageBody{ReadIndexRequest{w.request_id()}};
}

Result<MessageBody> get_body(const wire::ReadIndexReply& w, Term /*term*/) {
  return MessageBody{ReadIndexReply{w.request_id(), Index{w.index()}, w.success()}};
}

Result<MessageBody> get_body(const wire::InstallSnapshot& w, Term term) {
  if (!w.has_meta()) return invalid("InstallSnapshot.meta: missing");
  if (!w.meta().has_membership()) return invalid("InstallSnapshot.meta.membership: missing");
  if (w.meta().index() == 0) {
    return invalid("InstallSnapshot.meta.index: 0 (a snapshot covers at least one entry)");
  }
  if (Term{w.meta().term()} > term) {
    return invalid(
        fmt::format("InstallSnapshot.meta.term: {} is newer than the message's "
                    "term {}",
                    w.meta().term(), term.value()));
  }
  Result<Membership> membership =
      get_membership(w.meta().membership(), "InstallSnapshot.meta.membership");
  if (!membership.ok()) return membership.status();
  const std::uint64_t size = w.data().size();
  if (w.offset() > w.total_bytes() || size > w.total_bytes() - w.offset()) {
    return invalid(fmt::format("InstallSnapshot: chunk [{}, +{}) ends past total_bytes {}",
                               w.offset(), size, w.total_bytes()));
  }
  if (w.done() && w.offset() + size != w.total_bytes()) {
    return invalid(fmt::format("InstallSnapshot: last chunk ends at {}, total_bytes is {}",
                               w.offset() + size, w.total_bytes()));
  }
  InstallSnapshot snapshot;
  snapshot.meta =
      SnapshotMeta{Index{w.meta().index()}, Term{w.meta().term()}, std::move(membership).value()};
  snapshot.offset = w.offset();
  snapshot.data = to_payload(w.data());
  snapshot.done = w.done();
  snapshot.total_bytes = w.total_bytes();
  return MessageBody{std::move(snapshot)};
}

Result<MessageBody> get_body(const wire::InstallSnapshotReply& w, Term /*term*/) {
  return MessageBody{
      InstallSnapshotReply{Index{w.snapshot_index()}, w.next_offset(), w.done(), w.rejected()}};
}

}  // namespace

Result<std::string> encode(const Message& message) {
  wire::Envelope envelope;
  envelope.set_from(message.from.value());
  envelope.set_to(message.to.value());
  envelope.set_term(message.term.value());
  std::visit([&](const auto& body) { put_body(body, envelope); }, message.body);
  return serialize(envelope, "message");
}

Result<Message> decode(std::span<const std::byte> bytes) {
  wire::Envelope envelope;
  if (!parse(envelope, bytes)) {
    return corrupt(
        fmt::format("{} bytes are not a raft message (malformed or truncated "
                    "Protobuf Envelope)",
                    bytes.size()));
  }
  if (envelope.body_case() == wire::Envelope::BODY_NOT_SET) {
    return corrupt(
        "Envelope.body: missing (empty message, or a message kind newer than "
        "this build)");
  }
  if (envelope.from() == 0) return invalid("Envelope.from: node id 0");
  if (envelope.to() == 0) return invalid("Envelope.to: node id 0");
  const Term term{envelope.term()};
  Result<MessageBody> body = corrupt("unreachable");
  switch (envelope.body_case()) {
    case wire::Envelope::kVoteRequest:
      body = get_body(envelope.vote_request(), term);
      break;
    case wire::Envelope::kVoteReply:
      body = get_body(envelope.vote_reply(), term);
      break;
    case wire::Envelope::kAppendRequest:
      body = get_body(envelope.append_request(), term);
      break;
    case wire::Envelope::kAppendReply:
      body = get_body(envelope.append_reply(), term);
      break;
    case wire::Envelope::kHeartbeat:
      body = get_body(envelope.heartbeat(), term);
      break;
    case wire::Envelope::kHeartbeatReply:
      body = get_body(envelope.heartbeat_reply(), term);
      break;
    case wire::Envelope::kTimeoutNow:
      body = get_body(envelope.timeout_now(), term);
      break;
    case wire::Envelope::kReadIndexRequest:
      body = get_body(envelope.read_index_request(), term);
      break;
    case wire::Envelope::kReadIndexReply:
      body = get_body(envelope.read_index_reply(), term);
      break;
    case wire::Envelope::kInstallSnapshot:
      body = get_body(envelope.install_snapshot(), term);
      break;
    case wire::Envelope::kInstallSnapshotReply:
      body = get_body(envelope.install_snapshot_reply(), term);
      break;
    case wire::Envelope::BODY_NOT_SET:
      break;  // refused above
  }
  if (!body.ok()) return body.status();
  return Message{NodeId{envelope.from()}, NodeId{envelope.to()}, term, std::move(body).value()};
}

Result<std::string> encode_handshake(const Handshake& handshake) {
  wire::Handshake w;
  w.set_cluster_id(handshake.cluster_id);
  w.set_node_id(handshake.node.value());
  w.set_peer_id(handshake.peer.value());
  w.set_wire_version(handshake.wire_version);
  return serialize(w, "handshake");
}

Result<Handshake> decode_handshake(std::span<const std::byte> bytes) {
  wire::Handshake w;
  if (!parse(w, bytes)) {
    return corrupt(
        fmt::format("{} bytes are not a handshake (malformed or truncated "
                    "Protobuf Handshake)",
                    bytes.size()));
  }
  if (w.cluster_id().size() > kMaxClusterIdBytes) {
    return invalid(fmt::format("Handshake.cluster_id: {} bytes, more than the {} allowed",
                               w.cluster_id().size(), kMaxClusterIdBytes));
  }
  // The id goes into log lines and error messages: printable ASCII only.
  for (const char c : w.cluster_id()) {
    if (c < 0x20 || c > 0x7e) {
      return invalid(fmt::format("Handshake.cluster_id: byte 0x{:02x} is not printable ASCII",
                                 static_cast<unsigned char>(c)));
    }
  }
  if (w.node_id() == 0) return invalid("Handshake.node_id: node id 0");
  return Handshake{w.cluster_id(), NodeId{w.node_id()}, NodeId{w.peer_id()}, w.wire_version()};
}

Status check_handshake(const Handshake& handshake, std::string_view cluster_id, NodeId self,
                       std::span<const NodeId> peers) {
  if (handshake.wire_version != kWireVersion) {
    return {ErrorCode::kUnavailable,
            fmt::format("node {} speaks wire version {}, this node speaks {}",
                        handshake.node.value(), handshake.wire_version, kWireVersion)};
  }
  if (handshake.cluster_id != cluster_id) {
    return invalid(fmt::format("node {} belongs to cluster '{}', not '{}'", handshake.node.value(),
                               handshake.cluster_id, cluster_id));
  }
  if (handshake.node == self ||
      std::find(peers.begin(), peers.end(), handshake.node) == peers.end()) {
    return invalid(fmt::format("node {} is not a peer of node {} in cluster '{}'",
                               handshake.node.value(), self.value(), cluster_id));
  }
  if (handshake.peer.valid() && handshake.peer != self) {
    return invalid(fmt::format("node {} meant to reach node {}, but reached node {}",
                               handshake.node.value(), handshake.peer.value(), self.value()));
  }
  return {};
}

}  // namespace raft::transport

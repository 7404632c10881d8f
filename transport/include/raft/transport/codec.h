// SPDX-License-Identifier: Apache-2.0
// The message codec: raft::Message <-> bytes on the wire (the Protobuf schema in
// transport/proto/raft.proto). The core never sees Protobuf; the transport encodes what a
// Ready asks it to send and decodes what arrives before Node::step() sees it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "raft/message.h"
#include "raft/status.h"
#include "raft/types.h"

namespace raft::transport {

/// The schema version carried in the Handshake; bumped on an incompatible schema change.
inline constexpr std::uint32_t kWireVersion = 1;

/// Most members a Membership on the wire may list (voters + outgoing voters + learners).
/// Far above any real cluster; it only bounds what a hostile peer can make us allocate.
inline constexpr std::size_t kMaxWireMembers = 4096;

/// Longest cluster id a Handshake may carry.
inline constexpr std::size_t kMaxClusterIdBytes = 128;

/// Serialises `message`. Fails (kInvalidArgument) only for a message the wire cannot carry:
/// one over Protobuf's 2 GiB limit.
[[nodiscard]] Result<std::string> encode(const Message& message);

/// Parses and validates one encoded message. Never crashes and never trusts its input:
///  - kCorruption: the bytes are not an Envelope (truncated, garbage), or it carries no body
///    (empty, or a body kind newer than this build knows);
///  - kInvalidArgument: a well-formed Envelope whose contents break what the core relies on:
///    node id 0, an entry type or vote denial this build does not know, entries whose indexes
///    do not follow prev_log_index one by one or whose terms go backwards or exceed the
///    message's term (Raft §5.3 Log Matching), a config entry whose payload is not a valid
///    Membership, an InstallSnapshot without its metadata or membership, or whose chunk ends
///    past total_bytes.
/// The message names the offending field, e.g. "AppendRequest.entries[3].index: ...".
[[nodiscard]] Result<Message> decode(std::span<const std::byte> bytes);

/// The first frame on every connection, in both directions (issue 5: "a handshake that
/// carries the cluster id and node id and rejects strangers").
struct Handshake {
  std::string cluster_id;                     ///< At most kMaxClusterIdBytes of printable ASCII.
  NodeId node;                                ///< The sender.
  NodeId peer;                                ///< Whom the sender meant to reach; none if unknown.
  std::uint32_t wire_version = kWireVersion;  ///< The sender's kWireVersion.
  friend bool operator==(const Handshake&, const Handshake&) = default;
};

[[nodiscard]] Result<std::string> encode_handshake(const Handshake& handshake);
/// kCorruption for bytes that are no Handshake; kInvalidArgument for node id 0 or a cluster id
/// that is too long or not printable ASCII.
[[nodiscard]] Result<Handshake> decode_handshake(std::span<const std::byte> bytes);

/// Whether a node `self` of cluster `cluster_id`, whose peers are `peers`, accepts a
/// connection that opened with `handshake`. Refusals are kInvalidArgument (another cluster,
/// a node outside `peers`, a peer id that is not `self`) or kUnavailable (another wire version),
/// with a message fit for the log line the transport writes before it closes the connection.
[[nodiscard]] Status check_handshake(const Handshake& handshake, std::string_view cluster_id,
                                     NodeId self, std::span<const NodeId> peers);

}  // namespace raft::transport

// SPDX-License-Identifier: Apache-2.0
// The Boost.Asio TCP transport (issue 5, item 2): moves raft::Messages between the nodes of one
// cluster over TCP, framed by frame.h and encoded by codec.h.
//
// Connections. Every node dials each peer it sends to (lazily, on the first send) and keeps that
// one outbound connection; it only writes on it. It also accepts its peers' outbound
// connections and only reads from those. So a pair of nodes has two connections, one per
// direction, and no tie-breaking is needed when both dial at once. Both ends open with a
// Handshake frame (codec.h): the dialer's names the cluster, itself and whom it meant to reach;
// the acceptor checks it with check_handshake() and refuses (counts, reports through on_log,
// closes) a stranger: another cluster, an unknown node, another wire version. The acceptor
// answers with its own Handshake, which the dialer checks the same way, so a dialer that
// reached the wrong process finds out too.
//
// Failure. A connection to or from a peer that is reset or closed, or a connect that fails,
// is reported once through on_peer_down() (until a handshake with that peer succeeds again):
// this feeds raft::Node::peer_down(), so a follower that loses its leader's process fails over
// at once instead of waiting for the election timeout. A failed outbound connection is redialed
// after an exponential backoff with full jitter ("Exponential Backoff And Jitter", AWS
// Architecture Blog, 2015: sleep = uniform(0, min(cap, base * 2^attempt))) while messages wait
// for it; the jitter comes from a seeded raft::Prng, not from global randomness.
//
// Never blocking. send() only encodes and queues; each peer's queue is bounded and a message
// that does not fit is dropped and counted (Raft tolerates loss: the leader retries
// AppendEntries, candidates re-request votes, §5.3, §5.2). Queued frames are written in batches:
// one gathered async_write of as many whole frames as fit in max_batch_bytes.
//
// Threads. All of it runs on the caller's io_context and is not thread-safe: call it, and run
// the io_context, from one thread. Callbacks run from inside io_context handlers; they may call
// send() but must not destroy the transport.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "raft/message.h"
#include "raft/status.h"
#include "raft/transport/frame.h"
#include "raft/types.h"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace raft::transport {

/// Where a peer listens. `host` is an IP address literal (v4 or v6); resolving names is the
/// caller's job, so that a slow DNS never stalls the transport.
struct PeerAddress {
  std::string host;
  std::uint16_t port = 0;
  friend bool operator==(const PeerAddress&, const PeerAddress&) = default;
};

/// How a TcpTransport is set up.
struct TcpTransportOptions {
  std::string cluster_id;  ///< Carried in every Handshake; peers of another cluster are refused.
  NodeId self;             ///< This node.
  /// The local address to listen on. 127.0.0.1 by default (issue 5: "binds to 127.0.0.1 by
  /// default"): exposing a node is a deliberate choice.
  std::string listen_host = "127.0.0.1";
  std::uint16_t listen_port = 0;  ///< 0: an ephemeral port; read it back with local_port().
  /// The cluster's other members and where they listen. A peer's address may also be set or
  /// changed later with set_peer(); an inbound handshake from a node outside this map is refused.
  std::map<NodeId, PeerAddress> peers;
  std::size_t max_queue_messages = 4096;               ///< Per peer; beyond it send() drops.
  std::size_t max_batch_bytes = std::size_t{1} << 20;  ///< Bytes per gathered write (≥ 1 frame).
  std::size_t max_frame_payload = kDefaultMaxFramePayload;  ///< Larger frames close the link.
  /// How long a connection may take from accept (inbound) or dial (outbound) until the other
  /// end's Handshake arrives. Bounds what a silent stranger or a black-holed dial can hold up;
  /// a timed-out dial counts as a failed connect (on_peer_down, redial with backoff).
  std::chrono::milliseconds handshake_timeout{5000};
  std::chrono::milliseconds backoff_base{20};   ///< First reconnect delay cap.
  std::chrono::milliseconds backoff_max{2000};  ///< Cap on any reconnect delay.
  std::uint64_t seed = 1;                       ///< Seeds the backoff jitter.
};

/// What the transport has done, for metrics and tests. Monotonic.
struct TcpTransportCounters {
  std::uint64_t sent = 0;      ///< Messages written to a socket.
  std::uint64_t writes = 0;    ///< Gathered writes that carried them (batching: writes < sent).
  std::uint64_t received = 0;  ///< Messages decoded and handed to on_message.
  std::uint64_t dropped_queue_full = 0;    ///< send() dropped: the peer's queue was full.
  std::uint64_t dropped_unknown_peer = 0;  ///< send() dropped: `to` is not a known peer.
  std::uint64_t dropped_on_close = 0;      ///< Queued or in flight when a connection failed.
  std::uint64_t refused_handshakes = 0;    ///< Connections closed for a bad or foreign handshake.
  std::uint64_t protocol_errors = 0;       ///< Connections closed for a bad frame or message.
  std::uint64_t connects = 0;              ///< Outbound connections established (handshake done).
  std::uint64_t connect_failures = 0;      ///< Outbound connects that failed.
  std::uint64_t disconnects = 0;           ///< Established connections (either way) that ended.
  std::uint64_t bytes_sent = 0;
  std::uint64_t bytes_received = 0;
};

/// The TCP transport of one node. See the file comment.
class TcpTransport {
 public:
  using MessageHandler = std::function<void(Message)>;
  using PeerDownHandler = std::function<void(NodeId)>;
  /// Receives one line per notable event (refused handshake, bad frame, connection lost), with
  /// the reason. The transport writes nothing to stdout/stderr itself.
  using LogHandler = std::function<void(std::string_view)>;

  TcpTransport(boost::asio::io_context& io, TcpTransportOptions options);
  ~TcpTransport();
  TcpTransport(const TcpTransport&) = delete;
  TcpTransport& operator=(const TcpTransport&) = delete;

  /// Binds and starts accepting. kInvalidArgument for a listen_host that is no IP address,
  /// kUnavailable when the address cannot be bound (in use, no permission).
  [[nodiscard]] Status start();
  /// Closes the listener and every connection; queued messages are dropped. No on_peer_down is
  /// reported for what this closes. Idempotent; the destructor calls it.
  void stop();
  /// The port the listener is bound to (after start()), e.g. the ephemeral one.
  [[nodiscard]] std::uint16_t local_port() const noexcept;

  /// Adds a peer or changes its address (the next dial uses it). kInvalidArgument for node id
  /// none or self, or a host that is no IP address.
  [[nodiscard]] Status set_peer(NodeId peer, PeerAddress address);

  /// Queues `message` for `message.to`, dialing it if there is no connection yet. Never blocks.
  /// False when the message was dropped (unknown peer, full queue, not encodable, stopped).
  bool send(const Message& message);

  void on_message(MessageHandler handler);
  void on_peer_down(PeerDownHandler handler);
  void on_log(LogHandler handler);

  [[nodiscard]] const TcpTransportCounters& counters() const noexcept;
  /// Messages queued for `peer` and not yet written (0 for an unknown peer).
  [[nodiscard]] std::size_t queued(NodeId peer) const noexcept;

 private:
  class Impl;
  std::shared_ptr<Impl> impl_;  // shared: io handlers hold weak references to it.
};

}  // namespace raft::transport

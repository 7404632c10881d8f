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
// Addresses. A peer's host is an IP literal or a host name. A name is resolved asynchronously
// at every dial (boost::asio::ip::tcp::resolver, whose lookups run on Asio's own resolver
// thread, never on the io_context's), so a moved peer is found again and a slow DNS never stalls
// the node; each resolved address is tried in turn. A failed resolution is a failed connect.
//
// Failure. A connection to or from a peer that is reset or closed, or a connect that fails,
// is reported once through on_peer_down() (until a handshake with that peer succeeds again):
// this feeds raft::Node::peer_down(), so a follower that loses its leader's process fails over
// at once instead of waiting for the election timeout. A failed outbound connection is redialed
// after an exponential backoff with full jitter ("Exponential Backoff And Jitter", AWS
// Architecture Blog, 2015: sleep = uniform(0, min(cap, base * 2^attempt))) while messages wait
// for it; the jitter comes from a seeded raft::Prng, not from global randomness.
//
// Silent loss. A peer machine that loses power, panics or drops off the network sends no FIN or
// RST: without help its connections stay "established" for hours, so the transport would
// neither report it down nor redial, and writes to it would sit unacknowledged in the kernel.
// Every connection therefore turns on TCP keepalive (SO_KEEPALIVE, with TCP_KEEPIDLE,
// TCP_KEEPINTVL, TCP_KEEPCNT from the options: the kernel probes an idle connection and resets
// it when the probes go unanswered) and TCP_USER_TIMEOUT (the same bound for a connection with
// unacknowledged data, which keepalive never probes). The reset reaches the transport as a read
// or write error, so a silently lost peer is reported through on_peer_down and redialed like a
// killed one, only later. The election timeout still detects a lost leader first at usual
// settings (Raft §5.2); keepalive is what keeps the transport's own view of its peers true.
// TCP_NODELAY is set too: messages are small and latency-bound, and batching is done here.
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

/// Where a peer listens. `host` is an IP address literal (v4 or v6) or a host name (e.g.
/// "localhost", "raft-2.example.internal"); names are resolved asynchronously at each dial (see
/// the file comment), never on the io_context's thread.
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
  /// default"): exposing a node is a deliberate choice. An IP literal, or a host name that
  /// start() resolves (blocking, once, before the node runs) and binds the first address of.
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
  /// TCP keepalive on every connection (see "Silent loss" in the file comment): an idle
  /// connection is probed after keepalive_idle, then every keepalive_interval, and reset after
  /// keepalive_count unanswered probes, so a silently lost peer is reported after about
  /// idle + interval × count of silence. The kernel counts in whole seconds (at least 1).
  bool keepalive = true;
  std::chrono::seconds keepalive_idle{2};
  std::chrono::seconds keepalive_interval{1};
  std::uint32_t keepalive_count = 3;
  /// TCP_USER_TIMEOUT: how long written data may stay unacknowledged before the kernel resets
  /// the connection; keepalive's counterpart for a connection that is not idle (with keepalive
  /// on, Linux also uses it as the probing deadline). 0 leaves the kernel's default (about 15
  /// minutes of retransmissions).
  std::chrono::milliseconds user_timeout{5000};
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
  std::uint64_t connect_failures = 0;      ///< Outbound connects that failed (resolution too).
  std::uint64_t resolve_failures = 0;      ///< Of those: the peer's host name did not resolve.
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

  /// Binds and starts accepting. kInvalidArgument for a listen_host that is neither an IP
  /// address nor a host name that resolves, or for a peer whose address is no valid host;
  /// kUnavailable when the address cannot be bound (in use, no permission).
  [[nodiscard]] Status start();
  /// Closes the listener and every connection; queued messages are dropped. No on_peer_down is
  /// reported for what this closes. Idempotent; the destructor calls it.
  void stop();
  /// The port the listener is bound to (after start()), e.g. the ephemeral one.
  [[nodiscard]] std::uint16_t local_port() const noexcept;

  /// Adds a peer or changes its address (the next dial uses it, resolving a host name again).
  /// kInvalidArgument for node id none or self, or a host that is neither an IP address nor a
  /// syntactically valid host name (RFC 1123: letters, digits, '-' and '.', at most 253
  /// characters). Whether the name resolves is found out at dial time.
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

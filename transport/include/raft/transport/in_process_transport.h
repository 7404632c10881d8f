// SPDX-License-Identifier: Apache-2.0
// The in-process transport (issue 5, item 2: "an in-process transport (threads and queues, for
// several nodes in one binary)"): moves raft::Messages between nodes of one process through an
// InProcessNetwork, with the surface of TcpTransport (tcp_transport.h) so that a driver written
// for one runs on the other: send() that never blocks, a bounded per-peer queue that drops and
// counts, on_message / on_peer_down / on_log handlers, counters().
//
// Threads. Every endpoint belongs to one io_context (its owner's) and runs there: call its
// methods from the thread that runs that io_context (or before it runs), and messages and
// peer-down reports addressed to it are posted there, so its handlers always run on that
// thread. Nodes may each run on their own io_context and thread, or several share one. Run each
// io_context from one thread (or one strand). counters() may be read from any thread; the
// network and the links between endpoints are thread-safe. Handlers may call send() but must
// not destroy the transport (as with TcpTransport).
//
// Queues. A message sent to a peer waits in the link (sender, peer) until the peer's
// io_context delivers it; one posted handler delivers everything waiting, so a busy receiver
// gets its messages in batches. A link holds at most max_queue_messages of the sender's
// messages: beyond it send() drops and counts, as TcpTransport does (Raft tolerates loss: the
// leader retries AppendEntries, candidates re-request votes, §5.3, §5.2). Messages of one link
// arrive in the order sent.
//
// Failure. InProcessNetwork::disconnect(node), cut(a, b) and the end of an endpoint (stop(), or
// its destruction, as a killed process would) take links down: what waits on them is dropped
// and counted, and both ends are told through on_peer_down, once until the link is up again —
// as TcpTransport reports a reset connection, so that raft::Node::peer_down() and its fast
// failover can be tested without sockets. A send on a link that is down (the peer is cut off
// or not running) is dropped, counted and reported through on_peer_down too, like a refused
// connect. Reports are posted, never made from inside send(): a driver sends from inside its
// Ready handling, where the node must not be called (ready.h).
//
// The wire. By default messages travel as raft::Message values. With encode_on_wire, each is
// encoded by the codec (codec.h) at send() and decoded on delivery, as over TCP, so tests
// exercise the codec; an undecodable message is dropped, counted and reported through on_log.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string_view>
#include <utility>
#include <vector>

#include "raft/message.h"
#include "raft/status.h"
#include "raft/types.h"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace raft::transport {

class InProcessTransport;

namespace detail {
struct InProcessEndpoint;
struct InProcessLink;
}  // namespace detail

/// The hub the in-process endpoints of one cluster register with, and the switchboard tests use
/// to cut nodes off. Thread-safe. Must outlive every endpoint registered with it.
class InProcessNetwork {
 public:
  InProcessNetwork();
  ~InProcessNetwork();
  InProcessNetwork(const InProcessNetwork&) = delete;
  InProcessNetwork& operator=(const InProcessNetwork&) = delete;

  /// Cuts `node` off from every other node, both ways, as a pulled cable would: queued messages
  /// to and from it are dropped, `node` is told every peer is down and every peer that node is
  /// down. It stays cut off (also across a restart of its endpoint) until reconnect().
  void disconnect(NodeId node);
  /// Undoes disconnect(node). Links cut with cut() stay cut.
  void reconnect(NodeId node);
  /// Cuts the link between `a` and `b`, both ways (for partitions). As disconnect(), for one pair.
  void cut(NodeId a, NodeId b);
  /// Undoes cut(a, b).
  void heal(NodeId a, NodeId b);
  /// Undoes every disconnect() and cut().
  void heal_all();
  /// Whether messages from `a` can reach `b` now: both are running, and neither the nodes nor
  /// their link are cut off.
  [[nodiscard]] bool connected(NodeId a, NodeId b) const;

 private:
  friend class InProcessTransport;
  struct State;
  std::shared_ptr<State> state_;
};

/// How an InProcessTransport is set up.
struct InProcessTransportOptions {
  NodeId self;  ///< This node; unique on its network while it runs.
  /// The nodes this one sends to (as TcpTransportOptions::peers, without addresses); more may be
  /// added with set_peer(). Sends to any other node are dropped as unknown.
  std::set<NodeId> peers;
  std::size_t max_queue_messages = 4096;  ///< Per peer; beyond it send() drops.
  /// Pass each message through the codec (encode at send, decode on delivery), as TCP does.
  bool encode_on_wire = false;
};

/// What the transport has done, for metrics and tests. Monotonic.
struct InProcessTransportCounters {
  std::uint64_t sent = 0;                  ///< Messages queued on a link to a peer.
  std::uint64_t received = 0;              ///< Messages handed to on_message.
  std::uint64_t dropped_queue_full = 0;    ///< send() dropped: the link's queue was full.
  std::uint64_t dropped_unknown_peer = 0;  ///< send() dropped: `to` is not a peer (or stopped).
  std::uint64_t dropped_unreachable = 0;   ///< send() dropped: the link is down.
  /// Sent messages dropped from the link's queue because it went down before delivery.
  std::uint64_t dropped_on_close = 0;
  std::uint64_t codec_errors = 0;  ///< encode_on_wire: messages that failed to encode or decode.
  std::uint64_t peer_down_reports = 0;  ///< Calls of on_peer_down.
  std::uint64_t bytes_sent = 0;         ///< encode_on_wire: encoded bytes sent.
};

/// One node's endpoint on an InProcessNetwork. See the file comment.
class InProcessTransport {
 public:
  using MessageHandler = std::function<void(Message)>;
  using PeerDownHandler = std::function<void(NodeId)>;
  using LogHandler = std::function<void(std::string_view)>;

  /// `io` is the owner's io_context: deliveries and reports run there. `network` must outlive
  /// the transport.
  InProcessTransport(boost::asio::io_context& io, InProcessNetwork& network,
                     InProcessTransportOptions options);
  ~InProcessTransport();
  InProcessTransport(const InProcessTransport&) = delete;
  InProcessTransport& operator=(const InProcessTransport&) = delete;

  /// Registers with the network: from now on the node receives. kInvalidArgument for node id
  /// none, when another running endpoint has the same id, or after stop() (an endpoint runs
  /// once: a restarted node gets a new InProcessTransport).
  [[nodiscard]] Status start();
  /// Leaves the network, as a killed process: the peers are told this node is down, and what
  /// waits to or from it is dropped. Idempotent; the destructor calls it. After stop(), nothing
  /// more is delivered to the handlers, even what was already posted.
  void stop();

  /// Adds a peer. kInvalidArgument for node id none or self.
  [[nodiscard]] Status set_peer(NodeId peer);

  /// Queues `message` for `message.to`. Never blocks on the peer (only on the link's lock).
  /// False when the message was dropped (unknown peer, full queue, link down, not encodable,
  /// stopped).
  bool send(const Message& message);

  void on_message(MessageHandler handler);
  void on_peer_down(PeerDownHandler handler);
  void on_log(LogHandler handler);

  /// A snapshot of the counters (they are updated from the peers' threads too).
  [[nodiscard]] InProcessTransportCounters counters() const noexcept;
  /// Messages queued for `peer` and not yet delivered (0 for an unknown peer).
  [[nodiscard]] std::size_t queued(NodeId peer) const noexcept;

 private:
  std::shared_ptr<detail::InProcessEndpoint> endpoint_;
  std::shared_ptr<InProcessNetwork::State> network_;
  /// Links to the peers this endpoint sent to, cached (touched on the owner's thread only).
  std::map<NodeId, std::shared_ptr<detail::InProcessLink>> links_;
  InProcessTransportOptions options_;
};

}  // namespace raft::transport

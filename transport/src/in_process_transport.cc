// SPDX-License-Identifier: Apache-2.0
// The in-process transport; see in_process_transport.h for what it promises.
//
// Who touches what. An endpoint's handlers, its `down_reported` set and its link cache are
// touched only on its owner's io_context thread (send(), stop() and the handlers posted to it).
// A link's queue and state are guarded by the link's mutex: the sender pushes, the receiver's
// delivery handler swaps the queue out, the network clears it when the link goes down. The
// network's registry, cuts and link table are guarded by the network's mutex, taken before any
// link's. Counters are atomics, written from whichever thread counts.
//
// Lifetime. Posted handlers hold shared_ptrs to the link and the endpoint, so they never touch
// freed memory; an endpoint that stopped ignores them. Nothing is posted to an endpoint's
// io_context after it left the network (stop(), under the locks), so the io_context only has
// to outlive its transport, as with TcpTransport.
#include "raft/transport/in_process_transport.h"

#include <atomic>
#include <deque>
#include <mutex>
#include <span>
#include <string>
#include <variant>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <fmt/format.h>

#include "raft/transport/codec.h"

namespace raft::transport {

namespace asio = boost::asio;

namespace detail {

struct InProcessEndpoint {
  InProcessEndpoint(asio::io_context& context, NodeId id, bool encode)
      : io(context), self(id), encode_on_wire(encode) {}

  asio::io_context& io;
  const NodeId self;
  const bool encode_on_wire;
  std::atomic<bool> stopped{false};

  // Owner's thread only.
  bool started = false;
  InProcessTransport::MessageHandler on_message;
  InProcessTransport::PeerDownHandler on_peer_down;
  InProcessTransport::LogHandler on_log;
  std::set<NodeId> down_reported;  ///< Peers reported down since their link was last up.
  std::set<NodeId> down_posted;    ///< send() posted a report for these; not yet handled.

  struct Counters {
    std::atomic<std::uint64_t> sent{0};
    std::atomic<std::uint64_t> received{0};
    std::atomic<std::uint64_t> dropped_queue_full{0};
    std::atomic<std::uint64_t> dropped_unknown_peer{0};
    std::atomic<std::uint64_t> dropped_unreachable{0};
    std::atomic<std::uint64_t> dropped_on_close{0};
    std::atomic<std::uint64_t> codec_errors{0};
    std::atomic<std::uint64_t> peer_down_reports{0};
    std::atomic<std::uint64_t> bytes_sent{0};
  } counters;

  void log(const std::string& line) const {
    if (on_log) on_log(line);
  }
};

/// A message on a link: the value itself, or its encoding (encode_on_wire).
using InProcessItem = std::variant<Message, std::string>;

/// The one-way link from one node to another.
struct InProcessLink {
  InProcessLink(NodeId sender_id, NodeId receiver_id) : from(sender_id), to(receiver_id) {}

  const NodeId from;
  const NodeId to;
  std::mutex mutex;
  // Guarded by mutex; `up`, `sender` and `receiver` change only under the network's mutex too.
  std::deque<InProcessItem> queue;
  bool up = false;
  bool delivery_posted = false;
  std::shared_ptr<InProcessEndpoint> sender;    ///< The running endpoint of `from`, or null.
  std::shared_ptr<InProcessEndpoint> receiver;  ///< The running endpoint of `to`, or null.
};

}  // namespace detail

using detail::InProcessEndpoint;
using detail::InProcessItem;
using detail::InProcessLink;

namespace {

void count(std::atomic<std::uint64_t>& counter, std::uint64_t by = 1) {
  counter.fetch_add(by, std::memory_order_relaxed);
}

/// Runs on `endpoint`'s thread: tells its owner `peer` is down, once until the link is up again.
void report_down(const std::shared_ptr<InProcessEndpoint>& endpoint, NodeId peer) {
  if (endpoint->stopped.load()) return;
  if (!endpoint->down_reported.insert(peer).second) return;
  count(endpoint->counters.peer_down_reports);
  endpoint->log(fmt::format("node {} is down", peer.value()));
  if (endpoint->on_peer_down) endpoint->on_peer_down(peer);
}

void post_down(const std::shared_ptr<InProcessEndpoint>& endpoint, NodeId peer) {
  asio::post(endpoint->io, [endpoint, peer] { report_down(endpoint, peer); });
}

void post_up(const std::shared_ptr<InProcessEndpoint>& endpoint, NodeId peer) {
  asio::post(endpoint->io, [endpoint, peer] { endpoint->down_reported.erase(peer); });
}

/// Runs on the receiver's thread: hands everything waiting on `link` to the receiver.
void deliver(const std::shared_ptr<InProcessLink>& link,
             const std::shared_ptr<InProcessEndpoint>& receiver) {
  std::deque<InProcessItem> batch;
  {
    const std::lock_guard lock(link->mutex);
    // A link that now leads to no endpoint or a newer one of the same node has nothing for this
    // one: its queue was cleared (and counted) when it went down, and delivery_posted reset.
    if (link->receiver != receiver) return;
    link->delivery_posted = false;
    batch.swap(link->queue);
  }
  for (auto& item : batch) {
    if (receiver->stopped.load()) return;  // a handler stopped the transport
    Message message;
    if (auto* encoded = std::get_if<std::string>(&item)) {
      auto decoded = decode(std::as_bytes(std::span{encoded->data(), encoded->size()}));
      if (!decoded.ok()) {
        count(receiver->counters.codec_errors);
        receiver->log(fmt::format("dropped a message from node {}: {}", link->from.value(),
                                  decoded.status().message()));
        continue;
      }
      message = std::move(decoded.value());
    } else {
      message = std::move(std::get<Message>(item));
    }
    count(receiver->counters.received);
    if (receiver->on_message) receiver->on_message(std::move(message));
  }
}

}  // namespace

// ---- InProcessNetwork ----

struct InProcessNetwork::State {
  mutable std::mutex mutex;
  // All guarded by mutex.
  std::map<NodeId, std::shared_ptr<InProcessEndpoint>> running;
  std::set<NodeId> isolated;
  std::set<std::pair<NodeId, NodeId>> cuts;  ///< (smaller id, larger id)
  std::map<std::pair<NodeId, NodeId>, std::shared_ptr<InProcessLink>> links;  ///< (from, to)

  static std::pair<NodeId, NodeId> pair_of(NodeId a, NodeId b) {
    return a < b ? std::pair{a, b} : std::pair{b, a};
  }

  bool connected_locked(NodeId a, NodeId b) const {
    return running.contains(a) && running.contains(b) && !isolated.contains(a) &&
           !isolated.contains(b) && !cuts.contains(pair_of(a, b));
  }

  /// Brings every link in line with the registry and the cuts. A link that goes down drops what
  /// waits on it; both ends hear of it (posted to their threads). Called with mutex held.
  void refresh_locked() {
    for (auto& [key, link] : links) {
      const auto sender = find_running(link->from);
      const auto receiver = find_running(link->to);
      const bool up = connected_locked(link->from, link->to);
      const std::lock_guard lock(link->mutex);
      const bool was_up = link->up;
      const bool new_receiver = link->receiver != receiver;
      if (was_up && (!up || new_receiver)) {
        if (link->sender) count(link->sender->counters.dropped_on_close, link->queue.size());
        link->queue.clear();
      }
      // A delivery posted to a receiver that left may never run (its io_context may be gone).
      if (new_receiver) link->delivery_posted = false;
      link->sender = sender;
      link->receiver = receiver;
      link->up = up;
      if (was_up && !up) {
        // The one whose link broke hears of it; an endpoint that left hears nothing (stop()).
        if (sender) post_down(sender, link->to);
        if (receiver) post_down(receiver, link->from);
      } else if (up && (!was_up || new_receiver)) {
        post_up(sender, link->to);
        post_up(receiver, link->from);
      }
    }
  }

  std::shared_ptr<InProcessEndpoint> find_running(NodeId id) const {
    const auto found = running.find(id);
    return found == running.end() ? nullptr : found->second;
  }

  std::shared_ptr<InProcessLink> link(NodeId from, NodeId to) {
    const std::lock_guard lock(mutex);
    auto& link = links[{from, to}];
    if (!link) {
      link = std::make_shared<InProcessLink>(from, to);
      const std::lock_guard link_lock(link->mutex);
      link->sender = find_running(from);
      link->receiver = find_running(to);
      link->up = connected_locked(from, to);
    }
    return link;
  }
};

InProcessNetwork::InProcessNetwork() : state_(std::make_shared<State>()) {}
InProcessNetwork::~InProcessNetwork() = default;

void InProcessNetwork::disconnect(NodeId node) {
  const std::lock_guard lock(state_->mutex);
  state_->isolated.insert(node);
  state_->refresh_locked();
}

void InProcessNetwork::reconnect(NodeId node) {
  const std::lock_guard lock(state_->mutex);
  state_->isolated.erase(node);
  state_->refresh_locked();
}

void InProcessNetwork::cut(NodeId a, NodeId b) {
  const std::lock_guard lock(state_->mutex);
  state_->cuts.insert(State::pair_of(a, b));
  state_->refresh_locked();
}

void InProcessNetwork::heal(NodeId a, NodeId b) {
  const std::lock_guard lock(state_->mutex);
  state_->cuts.erase(State::pair_of(a, b));
  state_->refresh_locked();
}

void InProcessNetwork::heal_all() {
  const std::lock_guard lock(state_->mutex);
  state_->isolated.clear();
  state_->cuts.clear();
  state_->refresh_locked();
}

bool InProcessNetwork::connected(NodeId a, NodeId b) const {
  const std::lock_guard lock(state_->mutex);
  return state_->connected_locked(a, b);
}

// ---- InProcessTransport ----

InProcessTransport::InProcessTransport(asio::io_context& io, InProcessNetwork& network,
                                       InProcessTransportOptions options)
    : endpoint_(std::make_shared<InProcessEndpoint>(io, options.self, options.encode_on_wire)),
      network_(network.state_),
      options_(std::move(options)) {}

InProcessTransport::~InProcessTransport() { stop(); }

Status InProcessTransport::start() {
  if (options_.self == NodeId::none()) {
    return Status{ErrorCode::kInvalidArgument, "InProcessTransportOptions.self: node id 0"};
  }
  if (endpoint_->started) {
    return Status{ErrorCode::kInvalidArgument,
                  fmt::format("in-process endpoint of node {} started twice (an endpoint runs "
                              "once; a restarted node gets a new one)",
                              options_.self.value())};
  }
  const std::lock_guard lock(network_->mutex);
  if (network_->running.contains(options_.self)) {
    return Status{
        ErrorCode::kInvalidArgument,
        fmt::format("node {} already runs on this in-process network", options_.self.value())};
  }
  endpoint_->started = true;
  network_->running.emplace(options_.self, endpoint_);
  network_->refresh_locked();
  return {};
}

void InProcessTransport::stop() {
  if (!endpoint_->started || endpoint_->stopped.exchange(true)) return;
  const std::lock_guard lock(network_->mutex);
  network_->running.erase(options_.self);
  network_->refresh_locked();
}

Status InProcessTransport::set_peer(NodeId peer) {
  if (peer == NodeId::none() || peer == options_.self) {
    return Status{ErrorCode::kInvalidArgument,
                  fmt::format("set_peer: node id {} is none or self", peer.value())};
  }
  options_.peers.insert(peer);
  return {};
}

bool InProcessTransport::send(const Message& message) {
  auto& counters = endpoint_->counters;
  if (!endpoint_->started || endpoint_->stopped.load() || !options_.peers.contains(message.to)) {
    count(counters.dropped_unknown_peer);
    return false;
  }
  InProcessItem item;
  if (options_.encode_on_wire) {
    auto encoded = encode(message);
    if (!encoded.ok()) {
      count(counters.codec_errors);
      endpoint_->log(fmt::format("dropped a {} to node {}: {}", message_type_name(message),
                                 message.to.value(), encoded.status().message()));
      return false;
    }
    count(counters.bytes_sent, encoded.value().size());
    item = std::move(encoded.value());
  } else {
    item = message;
  }
  auto& cached = links_[message.to];
  if (!cached) cached = network_->link(options_.self, message.to);
  const std::shared_ptr<InProcessLink>& link = cached;
  {
    const std::lock_guard lock(link->mutex);
    if (link->up && link->receiver) {
      if (link->queue.size() >= options_.max_queue_messages) {
        count(counters.dropped_queue_full);
        return false;
      }
      link->queue.push_back(std::move(item));
      count(counters.sent);
      if (!link->delivery_posted) {
        link->delivery_posted = true;
        asio::post(link->receiver->io,
                   [link, receiver = link->receiver] { deliver(link, receiver); });
      }
      return true;
    }
  }
  // Down: like a refused connect, dropped and reported (posted: the caller may be inside its
  // Ready handling, where the node must not be called).
  count(counters.dropped_unreachable);
  if (!endpoint_->down_reported.contains(message.to) &&
      endpoint_->down_posted.insert(message.to).second) {
    asio::post(endpoint_->io, [endpoint = endpoint_, peer = message.to] {
      endpoint->down_posted.erase(peer);
      report_down(endpoint, peer);
    });
  }
  return false;
}

void InProcessTransport::on_message(MessageHandler handler) {
  endpoint_->on_message = std::move(handler);
}
void InProcessTransport::on_peer_down(PeerDownHandler handler) {
  endpoint_->on_peer_down = std::move(handler);
}
void InProcessTransport::on_log(LogHandler handler) { endpoint_->on_log = std::move(handler); }

InProcessTransportCounters InProcessTransport::counters() const noexcept {
  const auto& c = endpoint_->counters;
  const auto load = [](const std::atomic<std::uint64_t>& counter) {
    return counter.load(std::memory_order_relaxed);
  };
  InProcessTransportCounters out;
  out.sent = load(c.sent);
  out.received = load(c.received);
  out.dropped_queue_full = load(c.dropped_queue_full);
  out.dropped_unknown_peer = load(c.dropped_unknown_peer);
  out.dropped_unreachable = load(c.dropped_unreachable);
  out.dropped_on_close = load(c.dropped_on_close);
  out.codec_errors = load(c.codec_errors);
  out.peer_down_reports = load(c.peer_down_reports);
  out.bytes_sent = load(c.bytes_sent);
  return out;
}

std::size_t InProcessTransport::queued(NodeId peer) const noexcept {
  const auto found = links_.find(peer);
  if (found == links_.end() || !found->second) return 0;
  const std::lock_guard lock(found->second->mutex);
  return found->second->queue.size();
}

}  // namespace raft::transport

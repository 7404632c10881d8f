// SPDX-License-Identifier: Apache-2.0
// The Boost.Asio TCP transport; see tcp_transport.h for the protocol and its rules.
//
// Lifetime: every asynchronous operation holds a shared_ptr to its Connection (so the socket and
// buffers outlive the operation) and a weak_ptr to the Impl (so a handler that runs after the
// transport is gone does nothing). A Connection that was closed on purpose is marked `closed`
// first; its handlers then return without looking at anything else.
#include "raft/transport/tcp_transport.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <deque>
#include <limits>
#include <optional>
#include <span>
#include <system_error>
#include <utility>
#include <vector>

#include <boost/asio/buffer.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <fmt/format.h>

#include "raft/prng.h"
#include "raft/transport/codec.h"

namespace raft::transport {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using SysError = boost::system::error_code;

namespace {

std::span<const std::byte> as_bytes(const std::string& text) {
  return std::as_bytes(std::span{text.data(), text.size()});
}

std::string describe(const SysError& error) {
  if (error == asio::error::eof) return "closed by the remote end";
  return error.message();
}

/// Bytes read per read_some: enough for a batch of small messages in one call.
constexpr std::size_t kReadChunk = std::size_t{64} << 10;

}  // namespace

namespace {

/// One TCP connection, either way.
struct Connection {
  Connection(asio::io_context& io, std::size_t max_payload, bool is_outbound)
      : socket(io), handshake_timer(io), decoder(max_payload), outbound(is_outbound) {}

  tcp::socket socket;
  asio::steady_timer handshake_timer;  ///< Runs until the remote end's Handshake arrives.
  FrameDecoder decoder;
  std::array<std::byte, kReadChunk> read_buffer{};
  bool outbound;
  bool connected = false;    ///< TCP is up (outbound: connect completed; inbound: accepted).
  bool established = false;  ///< The remote end's Handshake arrived and was accepted.
  bool closed = false;       ///< Closed by us; pending handlers do nothing.
  NodeId peer;               ///< Outbound: whom we dialed. Inbound: set by the handshake.
  std::string remote;        ///< "address:port", for log lines.
  /// Frames of the write in progress (kept alive until it completes), and how many of them
  /// are messages (not the handshake).
  std::vector<std::string> in_flight;
  std::size_t in_flight_messages = 0;
  bool writing = false;
  bool handshake_sent = false;
};

/// Per-peer outbound state.
struct Peer {
  explicit Peer(asio::io_context& io) : resolver(io), retry_timer(io) {}
  PeerAddress address;
  /// The address when `address.host` is an IP literal; else it is resolved at every dial.
  std::optional<tcp::endpoint> literal;
  tcp::resolver resolver;
  std::deque<std::string> queue;    ///< Encoded frames waiting for the connection.
  std::shared_ptr<Connection> out;  ///< Connecting or connected; null when there is none.
  asio::steady_timer retry_timer;
  bool retry_pending = false;
  std::uint32_t attempt = 0;   ///< Failed dials since the last successful handshake.
  bool down_reported = false;  ///< on_peer_down reported since the last handshake.
};

Result<tcp::endpoint> make_endpoint(const std::string& host, std::uint16_t port) {
  SysError error;
  const auto address = asio::ip::make_address(host, error);
  if (error) {
    return Status{ErrorCode::kInvalidArgument,
                  fmt::format("'{}' is not an IP address: {}", host, error.message())};
  }
  return tcp::endpoint{address, port};
}

/// A host name as RFC 1123 §2.1 allows (letters, digits, '-', dot-separated labels of at most
/// 63 characters, at most 253 in all), and '_', which container and service names use.
bool is_host_name(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  std::size_t label = 0;
  for (const char c : host) {
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
      continue;
    }
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_';
    if (!ok || ++label > 63) return false;
  }
  return true;  // a trailing dot (a fully qualified name) is fine
}

/// Sets an integer IPPROTO_TCP option through the native handle (Asio has no portable type for
/// the keepalive timings).
SysError set_tcp_option(tcp::socket& socket, int name, int value) {
  if (::setsockopt(socket.native_handle(), IPPROTO_TCP, name, &value,
                   static_cast<socklen_t>(sizeof value)) != 0) {
    return SysError{errno, boost::system::system_category()};
  }
  return {};
}

/// Whole seconds for the kernel's keepalive timings: at least 1, at most Linux's 32767.
int keepalive_seconds(std::chrono::seconds value) {
  return static_cast<int>(std::clamp<std::int64_t>(value.count(), 1, 32767));
}

std::string endpoint_text(const tcp::socket& socket) {
  SysError error;
  const auto endpoint = socket.remote_endpoint(error);
  if (error) return "?";
  return fmt::format("{}:{}", endpoint.address().to_string(), endpoint.port());
}

}  // namespace

class TcpTransport::Impl : public std::enable_shared_from_this<TcpTransport::Impl> {
 public:
  Impl(asio::io_context& io, TcpTransportOptions options)
      : io_(io), options_(std::move(options)), acceptor_(io), prng_(options_.seed) {
    for (const auto& [id, address] : options_.peers) {
      // Bad addresses surface on set_peer(); from the options they make the peer undialable
      // (its sends are dropped as unknown) and are reported at start().
      (void)add_peer(id, address);
    }
  }

  ~Impl() { stop(); }

  Status start() {
    // A cluster id the peers would refuse is a configuration error, not a runtime one.
    const Handshake probe{options_.cluster_id, options_.self, NodeId::none(), kWireVersion};
    auto encoded = encode_handshake(probe);
    if (!encoded.ok()) return encoded.status();
    if (auto decoded = decode_handshake(as_bytes(encoded.value())); !decoded.ok()) {
      return Status{ErrorCode::kInvalidArgument,
                    fmt::format("TcpTransportOptions: {}", decoded.status().message())};
    }
    for (const auto& [id, address] : options_.peers) {
      if (!peers_.contains(id)) {
        return Status{ErrorCode::kInvalidArgument,
                      fmt::format("TcpTransportOptions.peers[{}]: bad address '{}'", id.value(),
                                  address.host)};
      }
    }
    auto endpoint = listen_endpoint();
    if (!endpoint.ok()) {
      return Status{ErrorCode::kInvalidArgument, fmt::format("TcpTransportOptions.listen_host: {}",
                                                             endpoint.status().message())};
    }
    SysError error;
    acceptor_.open(endpoint.value().protocol(), error);
    // SO_REUSEADDR: a restarted node can listen again while its old connections sit in
    // TIME_WAIT (it does not allow two listeners on one port on Linux).
    if (!error) acceptor_.set_option(tcp::acceptor::reuse_address(true), error);
    if (!error) acceptor_.bind(endpoint.value(), error);
    if (!error) acceptor_.listen(asio::socket_base::max_listen_connections, error);
    if (error) {
      SysError ignored;
      acceptor_.close(ignored);
      return Status{ErrorCode::kUnavailable,
                    fmt::format("cannot listen on {}:{}: {}", options_.listen_host,
                                options_.listen_port, error.message())};
    }
    stopped_ = false;
    accept();
    return {};
  }

  /// The listen address: an IP literal, or the first address a host name resolves to (a
  /// blocking lookup, once, in start(), before the node runs).
  Result<tcp::endpoint> listen_endpoint() {
    auto literal = make_endpoint(options_.listen_host, options_.listen_port);
    if (literal.ok() || !is_host_name(options_.listen_host)) return literal;
    tcp::resolver resolver(io_);
    SysError error;
    const auto results =
        resolver.resolve(options_.listen_host, std::to_string(options_.listen_port),
                         tcp::resolver::passive | tcp::resolver::numeric_service, error);
    if (error || results.empty()) {
      return Status{ErrorCode::kInvalidArgument,
                    fmt::format("cannot resolve '{}': {}", options_.listen_host,
                                error ? error.message() : std::string{"no address"})};
    }
    return results.begin()->endpoint();
  }

  void stop() {
    stopped_ = true;
    SysError ignored;
    acceptor_.close(ignored);
    for (auto& connection : inbound_) discard(*connection);
    inbound_.clear();
    for (auto& [id, peer] : peers_) {
      if (peer->out) {
        discard(*peer->out);
        peer->out.reset();
      }
      peer->retry_timer.cancel();
      peer->resolver.cancel();
      peer->retry_pending = false;
      counters_.dropped_on_close += peer->queue.size();
      peer->queue.clear();
    }
  }

  std::uint16_t local_port() const noexcept {
    SysError error;
    const auto endpoint = acceptor_.local_endpoint(error);
    return error ? std::uint16_t{0} : endpoint.port();
  }

  Status add_peer(NodeId id, const PeerAddress& address) {
    if (id == NodeId::none() || id == options_.self) {
      return Status{ErrorCode::kInvalidArgument,
                    fmt::format("set_peer: node id {} is none or self", id.value())};
    }
    auto endpoint = make_endpoint(address.host, address.port);
    if (!endpoint.ok() && !is_host_name(address.host)) {
      return Status{ErrorCode::kInvalidArgument,
                    fmt::format("'{}' is neither an IP address nor a host name", address.host)};
    }
    auto& peer = peers_[id];
    if (!peer) peer = std::make_unique<Peer>(io_);
    peer->address = address;
    peer->literal.reset();
    if (endpoint.ok()) peer->literal = endpoint.value();
    peer_ids_.clear();
    for (const auto& [peer_id, unused] : peers_) peer_ids_.push_back(peer_id);
    return {};
  }

  bool send(const Message& message) {
    const auto found = peers_.find(message.to);
    if (stopped_ || found == peers_.end()) {
      ++counters_.dropped_unknown_peer;
      return false;
    }
    Peer& peer = *found->second;
    if (peer.queue.size() >= options_.max_queue_messages) {
      ++counters_.dropped_queue_full;
      return false;
    }
    auto encoded = encode(message);
    std::string frame;
    if (!encoded.ok() || !append_frame(frame, FrameKind::kMessage, as_bytes(encoded.value()),
                                       options_.max_frame_payload)
                              .ok()) {
      ++counters_.protocol_errors;
      log(fmt::format("dropped a {} to node {}: it does not fit in a frame",
                      message_type_name(message), message.to.value()));
      return false;
    }
    peer.queue.push_back(std::move(frame));
    if (peer.out) {
      flush(peer.out);
    } else if (!peer.retry_pending) {
      dial(message.to);
    }
    return true;
  }

  std::size_t queued(NodeId id) const noexcept {
    const auto found = peers_.find(id);
    return found == peers_.end() ? 0 : found->second->queue.size();
  }

  MessageHandler on_message_;
  PeerDownHandler on_peer_down_;
  LogHandler on_log_;
  TcpTransportCounters counters_;

 private:
  void log(const std::string& line) {
    if (on_log_) on_log_(line);
  }

  /// Closes a connection without reporting anything (stop(), or after a failure was handled).
  static void discard(Connection& connection) {
    connection.closed = true;
    connection.handshake_timer.cancel();
    SysError ignored;
    connection.socket.shutdown(tcp::socket::shutdown_both, ignored);
    connection.socket.close(ignored);
  }

  void report_down(NodeId id) {
    const auto found = peers_.find(id);
    if (found == peers_.end() || found->second->down_reported) return;
    found->second->down_reported = true;
    if (on_peer_down_) on_peer_down_(id);
  }

  // ---- Inbound ----

  void accept() {
    auto connection = std::make_shared<Connection>(io_, options_.max_frame_payload, false);
    acceptor_.async_accept(connection->socket,
                           [weak = weak_from_this(), connection](const SysError& error) {
                             const auto self = weak.lock();
                             if (!self || self->stopped_ || error == asio::error::operation_aborted)
                               return;
                             if (error) {
                               // Out of descriptors and the like: this connection is lost, the
                               // listener is not.
                               self->log(fmt::format("accept failed: {}", error.message()));
                             } else {
                               connection->connected = true;
                               connection->remote = endpoint_text(connection->socket);
                               self->configure(*connection);
                               self->inbound_.push_back(connection);
                               self->await_handshake(connection);
                               self->read(connection);
                             }
                             self->accept();
                           });
  }

  // ---- Outbound ----

  void dial(NodeId id) {
    Peer& peer = *peers_.at(id);
    auto connection = std::make_shared<Connection>(io_, options_.max_frame_payload, true);
    connection->peer = id;
    connection->remote = fmt::format("{}:{}", peer.address.host, peer.address.port);
    peer.out = connection;
    // The handshake timeout runs from here: it bounds a slow resolution too.
    await_handshake(connection);
    if (peer.literal) {
      connect(connection, {*peer.literal});
      return;
    }
    // Asio runs getaddrinfo() on its own resolver thread, so the io_context never waits on DNS.
    peer.resolver.async_resolve(
        peer.address.host, std::to_string(peer.address.port), tcp::resolver::numeric_service,
        [weak = weak_from_this(), connection](const SysError& error,
                                              const tcp::resolver::results_type& results) {
          const auto self = weak.lock();
          if (!self || connection->closed) return;
          if (error || results.empty()) {
            ++self->counters_.connect_failures;
            ++self->counters_.resolve_failures;
            self->fail(connection,
                       fmt::format("connect to node {} at {} failed: cannot resolve the host: {}",
                                   connection->peer.value(), connection->remote,
                                   error ? describe(error) : std::string{"no address"}));
            return;
          }
          std::vector<tcp::endpoint> endpoints;
          for (const auto& entry : results) endpoints.push_back(entry.endpoint());
          self->connect(connection, std::move(endpoints));
        });
  }

  /// Connects `connection` to the first of `endpoints` that accepts, trying each in turn.
  void connect(const std::shared_ptr<Connection>& connection,
               std::vector<tcp::endpoint> endpoints) {
    auto candidates = std::make_shared<std::vector<tcp::endpoint>>(std::move(endpoints));
    asio::async_connect(
        connection->socket, *candidates,
        [weak = weak_from_this(), connection, candidates](const SysError& error,
                                                          const tcp::endpoint& endpoint) {
          const auto self = weak.lock();
          if (!self || connection->closed) return;
          if (error) {
            ++self->counters_.connect_failures;
            self->fail(connection,
                       fmt::format("connect to node {} at {} failed: {}", connection->peer.value(),
                                   connection->remote, describe(error)));
            return;
          }
          connection->connected = true;
          if (candidates->size() > 1) {
            connection->remote += fmt::format(" ({})", endpoint.address().to_string());
          }
          self->configure(*connection);
          self->read(connection);
          self->flush(connection);
        });
  }

  /// Socket options of every connection, either way: TCP_NODELAY (Raft's messages are small and
  /// latency-bound; batching is done here, not by Nagle), and keepalive with TCP_USER_TIMEOUT so
  /// that the kernel resets a connection to a silently lost machine (see tcp_transport.h).
  /// A failure is logged and the connection used as it is.
  void configure(Connection& connection) {
    auto& socket = connection.socket;
    SysError error;
    socket.set_option(tcp::no_delay(true), error);
    if (!error && options_.keepalive) {
      socket.set_option(asio::socket_base::keep_alive(true), error);
#if defined(TCP_KEEPIDLE) && defined(TCP_KEEPINTVL) && defined(TCP_KEEPCNT)
      if (!error) {
        error = set_tcp_option(socket, TCP_KEEPIDLE, keepalive_seconds(options_.keepalive_idle));
      }
      if (!error) {
        error =
            set_tcp_option(socket, TCP_KEEPINTVL, keepalive_seconds(options_.keepalive_interval));
      }
      if (!error) {
        error = set_tcp_option(
            socket, TCP_KEEPCNT,
            static_cast<int>(std::clamp<std::uint32_t>(options_.keepalive_count, 1, 127)));
      }
#endif
    }
#if defined(TCP_USER_TIMEOUT)
    if (!error && options_.user_timeout.count() > 0) {
      error = set_tcp_option(socket, TCP_USER_TIMEOUT,
                             static_cast<int>(std::min<std::int64_t>(
                                 options_.user_timeout.count(), std::numeric_limits<int>::max())));
    }
#endif
    if (error) {
      log(fmt::format("connection {} {}: cannot set socket options: {}",
                      connection.outbound ? "to" : "from", connection.remote, error.message()));
    }
  }

  /// Starts a gathered write of the handshake (first time) and as many queued frames as fit in
  /// max_batch_bytes, unless a write is already in progress.
  void flush(const std::shared_ptr<Connection>& connection) {
    if (connection->closed || !connection->connected || connection->writing) return;
    Peer& peer = *peers_.at(connection->peer);
    std::size_t bytes = 0;
    if (!connection->handshake_sent) {
      std::string frame;
      const Handshake handshake{options_.cluster_id, options_.self, connection->peer, kWireVersion};
      auto encoded = encode_handshake(handshake);
      if (encoded.ok() && append_frame(frame, FrameKind::kHandshake, as_bytes(encoded.value()),
                                       options_.max_frame_payload)
                              .ok()) {
        bytes += frame.size();
        connection->in_flight.push_back(std::move(frame));
      }
      connection->handshake_sent = true;
    }
    connection->in_flight_messages = 0;
    // Whole frames only, and at least one, so a frame larger than the batch still goes.
    while (!peer.queue.empty() && (connection->in_flight.empty() ||
                                   bytes + peer.queue.front().size() <= options_.max_batch_bytes)) {
      bytes += peer.queue.front().size();
      connection->in_flight.push_back(std::move(peer.queue.front()));
      peer.queue.pop_front();
      ++connection->in_flight_messages;
    }
    if (connection->in_flight.empty()) return;
    std::vector<asio::const_buffer> buffers;
    buffers.reserve(connection->in_flight.size());
    for (const auto& frame : connection->in_flight) {
      buffers.emplace_back(frame.data(), frame.size());
    }
    connection->writing = true;
    asio::async_write(
        connection->socket, buffers,
        [weak = weak_from_this(), connection](const SysError& error, std::size_t written) {
          const auto self = weak.lock();
          if (!self || connection->closed) return;
          connection->writing = false;
          if (error) {
            self->fail(connection,
                       fmt::format("write to node {} at {} failed: {}", connection->peer.value(),
                                   connection->remote, describe(error)));
            return;
          }
          self->counters_.sent += connection->in_flight_messages;
          ++self->counters_.writes;
          self->counters_.bytes_sent += written;
          connection->in_flight.clear();
          connection->in_flight_messages = 0;
          self->flush(connection);
        });
  }

  void schedule_retry(NodeId id) {
    Peer& peer = *peers_.at(id);
    // Full jitter: uniform in [0, min(cap, base * 2^attempt)]. The shift is bounded so it
    // cannot overflow; past the cap it no longer matters.
    const auto shift = std::min<std::uint32_t>(peer.attempt, 20);
    ++peer.attempt;
    const auto base =
        static_cast<std::uint64_t>(std::max<std::int64_t>(options_.backoff_base.count(), 1));
    const auto cap = std::min<std::uint64_t>(
        static_cast<std::uint64_t>(std::max<std::int64_t>(options_.backoff_max.count(), 1)),
        base << shift);
    const std::chrono::milliseconds delay{static_cast<std::int64_t>(prng_.uniform(cap + 1))};
    peer.retry_pending = true;
    peer.retry_timer.expires_after(delay);
    peer.retry_timer.async_wait([weak = weak_from_this(), id](const SysError& error) {
      const auto self = weak.lock();
      if (!self || self->stopped_ || error == asio::error::operation_aborted) return;
      Peer& retry = *self->peers_.at(id);
      retry.retry_pending = false;
      if (!retry.out && !retry.queue.empty()) self->dial(id);
    });
  }

  // ---- Both ways ----

  /// Closes `connection` unless the remote end's Handshake arrives within handshake_timeout.
  void await_handshake(const std::shared_ptr<Connection>& connection) {
    connection->handshake_timer.expires_after(options_.handshake_timeout);
    connection->handshake_timer.async_wait(
        [weak = weak_from_this(), connection](const SysError& error) {
          const auto self = weak.lock();
          if (!self || connection->closed || connection->established ||
              error == asio::error::operation_aborted) {
            return;
          }
          if (connection->outbound) ++self->counters_.connect_failures;
          ++self->counters_.refused_handshakes;
          self->fail(connection,
                     fmt::format("closing connection {} {} {}: no handshake within {} ms",
                                 connection->outbound ? "to" : "from", self->who(*connection),
                                 connection->remote, self->options_.handshake_timeout.count()));
        });
  }

  void read(const std::shared_ptr<Connection>& connection) {
    connection->socket.async_read_some(
        asio::buffer(connection->read_buffer),
        [weak = weak_from_this(), connection](const SysError& error, std::size_t count) {
          const auto self = weak.lock();
          if (!self || connection->closed) return;
          if (error) {
            self->fail(
                connection,
                fmt::format("connection {} {} {} lost: {}", connection->outbound ? "to" : "from",
                            self->who(*connection), connection->remote, describe(error)));
            return;
          }
          self->counters_.bytes_received += count;
          if (!self->consume(connection, std::span{connection->read_buffer}.first(count))) {
            return;
          }
          self->read(connection);
        });
  }

  std::string who(const Connection& connection) const {
    return connection.peer == NodeId::none() ? std::string{"unknown node"}
                                             : fmt::format("node {}", connection.peer.value());
  }

  /// Feeds received bytes through the frame decoder and handles every whole frame. False when
  /// the connection was closed on the way.
  bool consume(const std::shared_ptr<Connection>& connection, std::span<const std::byte> bytes) {
    (void)connection->decoder.feed(bytes);
    while (true) {
      auto next = connection->decoder.next();
      if (!next.ok()) {
        ++counters_.protocol_errors;
        fail(connection, fmt::format("closing connection {} {} {}: bad frame: {}",
                                     connection->outbound ? "to" : "from", who(*connection),
                                     connection->remote, next.status().message()));
        return false;
      }
      if (!next.value().has_value()) return true;
      if (!handle_frame(connection, std::move(*next.value()))) return false;
    }
  }

  bool handle_frame(const std::shared_ptr<Connection>& connection, Frame frame) {
    if (!connection->established) return handle_handshake(connection, frame);
    if (connection->outbound || frame.kind != FrameKind::kMessage) {
      ++counters_.protocol_errors;
      fail(connection,
           fmt::format("closing connection {} {} {}: unexpected {} frame",
                       connection->outbound ? "to" : "from", who(*connection), connection->remote,
                       frame.kind == FrameKind::kHandshake ? "handshake" : "message"));
      return false;
    }
    auto message = decode(frame.payload);
    if (message.ok() &&
        (message.value().from != connection->peer || message.value().to != options_.self)) {
      message = Status{ErrorCode::kInvalidArgument,
                       fmt::format("message from {} to {} on the connection of node {} to {}",
                                   message.value().from.value(), message.value().to.value(),
                                   connection->peer.value(), options_.self.value())};
    }
    if (!message.ok()) {
      ++counters_.protocol_errors;
      fail(connection,
           fmt::format("closing connection from node {} {}: bad message: {}",
                       connection->peer.value(), connection->remote, message.status().message()));
      return false;
    }
    ++counters_.received;
    if (on_message_) on_message_(std::move(message.value()));
    return !connection->closed;
  }

  bool handle_handshake(const std::shared_ptr<Connection>& connection, const Frame& frame) {
    Status status;
    Handshake handshake;
    if (frame.kind != FrameKind::kHandshake) {
      status = Status{ErrorCode::kInvalidArgument, "the first frame is not a handshake"};
    } else if (auto decoded = decode_handshake(frame.payload); !decoded.ok()) {
      status = decoded.status();
    } else {
      handshake = std::move(decoded.value());
      // The dialer must be one of our peers; the acceptor must be the node we dialed.
      const std::array<NodeId, 1> dialed{connection->peer};
      status = connection->outbound
                   ? check_handshake(handshake, options_.cluster_id, options_.self, dialed)
                   : check_handshake(handshake, options_.cluster_id, options_.self, peer_ids_);
    }
    if (!status.ok()) {
      ++counters_.refused_handshakes;
      fail(connection,
           fmt::format("refused connection {} {}: {}", connection->outbound ? "to" : "from",
                       connection->remote, status.message()));
      return false;
    }
    connection->established = true;
    connection->handshake_timer.cancel();
    Peer& peer = *peers_.at(handshake.node);
    peer.down_reported = false;
    if (connection->outbound) {
      ++counters_.connects;
      peer.attempt = 0;
      return true;
    }
    connection->peer = handshake.node;
    // Answer with our own handshake, so the dialer knows it reached the node it meant to.
    std::string reply;
    const Handshake ours{options_.cluster_id, options_.self, handshake.node, kWireVersion};
    auto encoded = encode_handshake(ours);
    if (encoded.ok() && append_frame(reply, FrameKind::kHandshake, as_bytes(encoded.value()),
                                     options_.max_frame_payload)
                            .ok()) {
      connection->in_flight.push_back(std::move(reply));
      asio::async_write(
          connection->socket, asio::buffer(connection->in_flight.back()),
          [weak = weak_from_this(), connection](const SysError& error, std::size_t written) {
            const auto self = weak.lock();
            if (!self || connection->closed) return;
            // A failed write shows up on the read side too; that reports it.
            if (!error) self->counters_.bytes_sent += written;
          });
    }
    return true;
  }

  /// A connection failed (or was refused): close it, count, log, report the peer down when the
  /// peer is known, and redial later if messages are waiting.
  void fail(const std::shared_ptr<Connection>& connection, const std::string& reason) {
    if (connection->closed) return;
    discard(*connection);
    if (connection->established) ++counters_.disconnects;
    log(reason);
    if (connection->outbound) {
      counters_.dropped_on_close += connection->in_flight_messages;
      connection->in_flight_messages = 0;
      Peer& peer = *peers_.at(connection->peer);
      if (peer.out == connection) {
        peer.out.reset();
        peer.resolver.cancel();  // a lookup still running for it (handshake timeout)
      }
      report_down(connection->peer);
      if (!stopped_ && !peer.queue.empty() && !peer.retry_pending) {
        schedule_retry(connection->peer);
      }
    } else {
      std::erase(inbound_, connection);
      if (connection->established) report_down(connection->peer);
    }
  }

  asio::io_context& io_;
  TcpTransportOptions options_;
  tcp::acceptor acceptor_;
  Prng prng_;
  bool stopped_ = true;
  std::map<NodeId, std::unique_ptr<Peer>> peers_;
  std::vector<NodeId> peer_ids_;  ///< Keys of peers_, for check_handshake().
  std::vector<std::shared_ptr<Connection>> inbound_;
};

TcpTransport::TcpTransport(asio::io_context& io, TcpTransportOptions options)
    : impl_(std::make_shared<Impl>(io, std::move(options))) {}

TcpTransport::~TcpTransport() { impl_->stop(); }

Status TcpTransport::start() { return impl_->start(); }
void TcpTransport::stop() { impl_->stop(); }
std::uint16_t TcpTransport::local_port() const noexcept { return impl_->local_port(); }
Status TcpTransport::set_peer(NodeId peer, PeerAddress address) {
  return impl_->add_peer(peer, address);
}
bool TcpTransport::send(const Message& message) { return impl_->send(message); }
void TcpTransport::on_message(MessageHandler handler) { impl_->on_message_ = std::move(handler); }
void TcpTransport::on_peer_down(PeerDownHandler handler) {
  impl_->on_peer_down_ = std::move(handler);
}
void TcpTransport::on_log(LogHandler handler) { impl_->on_log_ = std::move(handler); }
const TcpTransportCounters& TcpTransport::counters() const noexcept { return impl_->counters_; }
std::size_t TcpTransport::queued(NodeId peer) const noexcept { return impl_->queued(peer); }

}  // namespace raft::transport

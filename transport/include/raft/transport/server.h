// SPDX-License-Identifier: Apache-2.0
// raft::transport::Server — the real-world driver (DESIGN.md "One core, three drivers"): one
// raft::Node hosted on a Boost.Asio io_context, with the durable log (storage::Wal on the POSIX
// file system), the TCP transport, and the application's state machine. This is what a
// coordinator binary links in; examples/kv is one.
//
// What it does for the node (the Ready contract of ready.h, in its order):
//   - a steady_timer at Node::next_deadline();
//   - messages from TcpTransport go to Node::step, lost connections to Node::peer_down;
//   - each Ready: messages sent at once, then the log written and synced (when must_sync and
//     ServerOptions::fsync), then messages_after_persist, committed entries applied to the
//     StateMachine, proposers and readers answered, and Node::advance;
//   - snapshots of the state machine every ServerOptions::snapshot_every applied entries
//     (thesis §5.1), and restore from the snapshot at start and on InstallSnapshot.
//
// Group commit. Inputs (client calls, messages) only mark the node dirty; the Ready is taken in
// a handler posted behind them, so everything that arrived in one turn of the io_context
// shares one Ready, one write and one fsync.
//
// Threads. Everything runs on the io_context passed in, from one thread. Call the methods from
// that thread (e.g. from an HTTP handler running on the same io_context); from any other thread,
// use boost::asio::post or the *_async() wrappers, which return std::futures. Handlers are
// called on the io_context's thread, exactly once each.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "raft/config.h"
#include "raft/entry.h"
#include "raft/node.h"
#include "raft/status.h"
#include "raft/transport/tcp_transport.h"
#include "raft/types.h"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace raft::transport {

/// The application's replicated state machine (thesis §2.1). Every replica applies the same
/// committed commands in the same order; apply() must be deterministic (no clocks, no
/// randomness, no iteration over unordered containers) so the replicas stay identical.
class StateMachine {
 public:
  virtual ~StateMachine() = default;
  /// Applies the committed command at `index` and returns the reply for its proposer (the
  /// server hands it to the propose() handler on the node that proposed it; elsewhere it is
  /// dropped).
  virtual std::string apply(Index index, std::span<const std::byte> command) = 0;
  /// The whole state, as bytes, after the last apply() (thesis §5.1).
  [[nodiscard]] virtual std::vector<std::byte> snapshot() const = 0;
  /// Replaces the whole state with snapshot()'s bytes. kCorruption (saying what is wrong) for
  /// bytes it cannot read; the server then refuses to go on rather than serve a wrong state.
  virtual Status restore(std::span<const std::byte> data) = 0;
};

/// How a Server is set up.
struct ServerOptions {
  /// Carried in every TCP handshake: nodes of another cluster are refused.
  std::string cluster_id = "raftsim";
  /// This node. Must be a key of `members`.
  NodeId id;
  /// Every voting member of a new cluster and its Raft (TCP) address, this node included: the
  /// bootstrap membership (Config::voters) and where to reach the others. This node listens on
  /// its own entry's address.
  std::map<NodeId, PeerAddress> members;
  /// Where the write-ahead log and the snapshot live (created if missing).
  std::filesystem::path data_dir;
  /// The protocol's tuning: timeouts, pre-vote, check-quorum, read mode... `id` and `voters`
  /// are filled in from the fields above.
  Config raft;
  /// fsync the log before acknowledging (Raft §5.2's "stable storage"). Off, a crash of a
  /// majority of machines can lose acknowledged writes; a crash of a process cannot (the page
  /// cache survives it). For benchmarks and for machines whose disk lies anyway.
  bool fsync = true;
  /// Size at which the log starts a new segment file.
  std::uint64_t segment_bytes = std::uint64_t{64} << 20U;
  /// Take a snapshot after this many entries were applied since the last (0: never).
  std::uint64_t snapshot_every = 100'000;
  /// A propose() or read() not answered in this time fails with kTimeout (for a proposal
  /// already in the log: kCommitUnknown).
  std::chrono::milliseconds request_timeout{5000};
  /// At most this many proposals and reads waiting for an answer; more are refused at once
  /// (kProposalDropped), so a stalled quorum cannot exhaust memory.
  std::size_t pending_max = 65'536;
  /// Transport tuning (queues, batching, backoff). Its cluster_id, self, listen address and
  /// peers are filled in from the fields above.
  TcpTransportOptions transport;
  /// Seeds the node's election jitter and the transport's backoff jitter (0: from the id).
  std::uint64_t seed = 0;

  /// Ok, or kInvalidConfig naming the field that is wrong.
  [[nodiscard]] Status validate() const;
};

/// What a committed proposal came to.
struct ProposeResult {
  Index index;        ///< Where it sits in the log.
  Term term;          ///< The term it was proposed in.
  std::string reply;  ///< StateMachine::apply()'s reply.
};

/// Called once with the outcome of a propose(). Errors:
///  - kNotLeader (with leader_hint()): this node does not lead; nothing was appended;
///  - kProposalDropped: refused at once (a transfer under way, too much pending);
///  - kCommitUnknown: it was appended but this node lost leadership, or the log replaced it,
///    or it timed out, before it committed: it may still commit (retry with a client session);
///  - kTimeout: not even appended in time; kStopped: the server shut down first;
///  - kIo: the log failed (the server stops).
using ProposeHandler = std::function<void(Result<ProposeResult>)>;
/// Called once when a read() is confirmed (ok: the state machine now reflects every write that
/// committed before the read began; read it right there) or failed (kNotLeader with a hint,
/// kTimeout, kStopped).
using ReadHandler = std::function<void(Status)>;

/// Latency histogram with fixed, Prometheus-style bucket bounds (cumulative counts).
struct LatencyHistogram {
  /// Upper bounds in seconds; the last bucket is +Inf.
  static constexpr std::array<double, 14> kBounds = {
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5};
  std::array<std::uint64_t, kBounds.size() + 1> counts{};  ///< Per bucket (not cumulative).
  std::uint64_t count = 0;
  double sum_seconds = 0;
  void observe(std::chrono::nanoseconds latency) noexcept;
};

/// What a Server has done since it started (on top of Node::metrics()).
struct ServerMetrics {
  std::uint64_t proposals = 0;           ///< propose() calls.
  std::uint64_t proposals_failed = 0;    ///< Answered with an error.
  std::uint64_t reads = 0;               ///< read() calls.
  std::uint64_t reads_failed = 0;        ///< Answered with an error.
  std::uint64_t messages_rejected = 0;   ///< Received messages Node::step() refused.
  std::uint64_t readies = 0;             ///< Readys handled.
  std::uint64_t fsyncs = 0;              ///< Log syncs.
  std::uint64_t entries_applied = 0;     ///< Committed entries applied to the state machine.
  std::uint64_t snapshots_taken = 0;     ///< Local snapshots of the state machine.
  std::uint64_t snapshots_restored = 0;  ///< Restores (at start, or installed from the leader).
  std::uint64_t leader_changes = 0;      ///< Times the known leader changed.
  LatencyHistogram commit_latency;       ///< propose() to its apply, on the proposer.
  LatencyHistogram fsync_latency;        ///< One log sync.
};

/// A moment's view of the server, for status pages.
struct ServerStatus {
  NodeId id;
  Role role = Role::kFollower;
  Term term;
  NodeId leader;  ///< none when unknown.
  Index commit;
  Index applied;
  Index first_index;
  Index last_index;
  Index snapshot_index;
  std::vector<NodeId> voters;
  std::vector<NodeId> learners;
  std::vector<PeerProgress> progress;  ///< Leader only.
  std::size_t pending_proposals = 0;
  std::size_t pending_reads = 0;
  std::map<NodeId, std::size_t> send_queue;  ///< Messages queued per peer in the transport.
  /// Ok while the server runs; kStopped after a graceful stop(); else the error that stopped it.
  Status health;
};

/// One Raft server: see the file comment.
class Server {
 public:
  /// Opens the log in options.data_dir (recovering what a crash left), restores the state
  /// machine from the snapshot and creates the node. Nothing listens or runs yet: start().
  /// Errors: kInvalidConfig for bad options; kCorruption / kIo from the log or the snapshot,
  /// naming the file. `io` and `state_machine` must outlive the server.
  [[nodiscard]] static Result<std::unique_ptr<Server>> open(boost::asio::io_context& io,
                                                            ServerOptions options,
                                                            StateMachine& state_machine);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// Binds the Raft port and arms the timer. kUnavailable when the port cannot be bound.
  [[nodiscard]] Status start();
  /// Graceful shutdown: fails every pending request with kStopped, syncs the log, closes the
  /// transport and cancels the timer, so io_context::run() can return. Idempotent.
  void stop();

  /// Proposes `command`; `done` gets the outcome (see ProposeHandler).
  void propose(Payload command, ProposeHandler done);
  /// A linearizable read barrier (thesis §6.4): `done` is called once every write committed
  /// before this call is applied here and this node knows it was current. Works on followers
  /// too: they ask the leader for its commit index.
  void read(ReadHandler done);
  /// Hands leadership to `target` (none: the most caught-up voter). Errors as
  /// Node::transfer_leadership.
  Status transfer_leadership(NodeId target = NodeId::none());

  /// From any thread: posts the call to the io_context and returns its outcome.
  [[nodiscard]] std::future<Result<ProposeResult>> propose_async(Payload command);
  [[nodiscard]] std::future<Status> read_async();

  [[nodiscard]] ServerStatus status() const;
  [[nodiscard]] const ServerMetrics& metrics() const noexcept;
  [[nodiscard]] const NodeMetrics& node_metrics() const noexcept;
  [[nodiscard]] const TcpTransportCounters& transport_counters() const noexcept;
  /// The Raft port actually bound (after start()).
  [[nodiscard]] std::uint16_t raft_port() const noexcept;
  /// Receives one line per notable event (role changes, elections, recovery notes, transport
  /// trouble). Default: nothing is written.
  void on_log(std::function<void(std::string_view)> handler);

 private:
  class Impl;
  explicit Server(std::unique_ptr<Impl> impl) noexcept;
  std::unique_ptr<Impl> impl_;
};

}  // namespace raft::transport

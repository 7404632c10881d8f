// SPDX-License-Identifier: Apache-2.0
// raft::transport::Server: the Ready loop of ready.h on an Asio io_context, over the WAL and the
// TCP transport. The request bookkeeping (pending proposals and reads, their deadlines) is in
// server_requests.cc; this file is the life cycle and the loop.
#include "raft/transport/server.h"

#include <algorithm>
#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <fmt/format.h>

#include "raft/format.h"
#include "server_impl.h"

namespace raft::transport {

namespace {

TcpTransportOptions transport_options(const ServerOptions& options, std::uint64_t seed) {
  TcpTransportOptions transport = options.transport;
  transport.cluster_id = options.cluster_id;
  transport.self = options.id;
  const PeerAddress& own = options.members.at(options.id);
  transport.listen_host = own.host;
  transport.listen_port = own.port;
  transport.peers.clear();
  for (const auto& [member, address] : options.members) {
    if (member != options.id) transport.peers.emplace(member, address);
  }
  transport.seed = seed;
  return transport;
}

}  // namespace

Server::Impl::Impl(boost::asio::io_context& io, ServerOptions options, StateMachine& state_machine)
    : io_(io),
      options_(std::move(options)),
      state_machine_(state_machine),
      epoch_(std::chrono::steady_clock::now()),
      timer_(io) {}

Time Server::Impl::now() const {
  return Time{} + std::chrono::duration_cast<Duration>(std::chrono::steady_clock::now() - epoch_);
}

Status Server::Impl::open() {
  if (Status valid = options_.validate(); !valid.ok()) return valid;
  std::error_code ec;
  std::filesystem::create_directories(options_.data_dir, ec);
  if (ec) {
    return {ErrorCode::kIo, fmt::format("cannot create the data directory {}: {}",
                                        options_.data_dir.string(), ec.message())};
  }
  Result<std::unique_ptr<storage::PosixFileSystem>> fs =
      storage::PosixFileSystem::open_directory(options_.data_dir.string());
  if (!fs.ok()) return fs.status();
  fs_ = std::move(*fs);
  Result<std::unique_ptr<storage::Wal>> wal =
      storage::Wal::open(*fs_, storage::WalOptions{.segment_bytes = options_.segment_bytes});
  if (!wal.ok()) return wal.status();
  wal_ = std::move(*wal);
  for (const std::string& note : wal_->recovery_notes()) log(fmt::format("recovery: {}", note));

  // Thesis §5.1: a restarting server loads its snapshot, then applies the log after it.
  if (const SnapshotMeta snapshot = wal_->snapshot_meta(); snapshot.index > Index{}) {
    Result<Payload> data = wal_->snapshot_data();
    if (!data.ok()) return data.status();
    if (Status restored = state_machine_.restore(data->bytes()); !restored.ok()) {
      return {ErrorCode::kCorruption,
              fmt::format("the snapshot at index {} in {}: {}", snapshot.index.value(),
                          options_.data_dir.string(), restored.message())};
    }
    applied_ = snapshot.index;
    last_snapshot_ = snapshot.index;
    ++metrics_.snapshots_restored;
  }

  const std::uint64_t seed = options_.seed != 0 ? options_.seed : options_.id.value();
  Config config = options_.raft;
  config.id = options_.id;
  config.voters.clear();
  config.learners.clear();
  for (const auto& [member, address] : options_.members) config.voters.push_back(member);
  config.random_seed = seed;
  Result<Node> node = Node::create(config, *wal_, now());
  if (!node.ok()) return node.status();
  node_.emplace(std::move(*node));
  last_leader_ = node_->leader();

  transport_ = std::make_unique<TcpTransport>(io_, transport_options(options_, seed));
  transport_->on_message([this](Message message) {
    if (stopped_) return;
    node_->tick(now());
    if (const Status stepped = node_->step(std::move(message)); !stepped.ok()) {
      ++metrics_.messages_rejected;
    }
    schedule_drain();
  });
  transport_->on_peer_down([this](NodeId peer) {
    if (stopped_) return;
    node_->tick(now());
    node_->peer_down(peer);
    schedule_drain();
  });
  transport_->on_log([this](std::string_view line) { log(line); });
  return {};
}

Status Server::Impl::start() {
  if (Status started = transport_->start(); !started.ok()) return started;
  log(fmt::format("node {} serving Raft on {}:{} (term {}, commit {}, applied {})",
                  options_.id.value(), options_.members.at(options_.id).host,
                  transport_->local_port(), node_->term().value(), node_->commit_index().value(),
                  applied_.value()));
  schedule_drain();
  arm_timer();
  return {};
}

void Server::Impl::stop() {
  if (stopped_) return;
  stopped_ = true;
  fail_all(Status{ErrorCode::kStopped, "the server is shutting down"});
  const bool failed = !health_.ok();
  // A snapshot being written finishes first: the log must not go away under it. Its answer,
  // posted to the io_context, is ignored (alive_ below).
  snapshot_thread_.join();
  run_completions();
  if (!failed) {
    if (Status synced = wal_->sync(); !synced.ok()) log(fmt::format("final sync: {}", synced));
    health_ = Status{ErrorCode::kStopped, "stopped"};
  }
  transport_->stop();
  timer_.cancel();
}

// ---------------------------------------------------------------------------
// The loop.

void Server::Impl::schedule_drain() {
  // Posted, not run now: every input that is already queued on the io_context (more client
  // requests, more acknowledgements) gets to the node first, so they share one Ready and one
  // fsync (group commit).
  if (drain_scheduled_ || stopped_) return;
  drain_scheduled_ = true;
  // The io_context may outlive the server: a drain still queued when it is destroyed must not
  // run (alive_).
  boost::asio::post(io_, [this, alive = alive_] {
    if (!*alive) return;
    drain_scheduled_ = false;
    drain();
  });
}

void Server::Impl::drain() {
  while (!stopped_ && node_->has_ready()) {
    Ready ready = node_->ready();
    if (!handle_ready(ready)) return;
    node_->advance(std::move(ready));
    // Handlers run only now: one may propose again, and nothing may call the node between
    // ready() and advance().
    run_completions();
    maybe_snapshot();
  }
  run_completions();
  arm_timer();
}

bool Server::Impl::handle_ready(Ready& ready) {
  ++metrics_.readies;
  for (const Event& event : ready.events) on_event(event);
  // ready.h step 2: these need no persist; a leader's appends go out while its own disk writes
  // (thesis §10.2.1).
  for (const Message& message : ready.messages) transport_->send(message);

  // Step 1: persist.
  if (Status written = wal_->write(ready); !written.ok()) return fail_storage(written);
  if (ready.must_sync && options_.fsync) {
    const auto start = std::chrono::steady_clock::now();
    if (Status synced = wal_->sync(); !synced.ok()) return fail_storage(synced);
    metrics_.fsync_latency.observe(std::chrono::steady_clock::now() - start);
    ++metrics_.fsyncs;
  }
  if (ready.snapshot_to_install && !install_snapshot(*ready.snapshot_to_install)) return false;

  // Step 3: what promised the persist.
  for (const Message& message : ready.messages_after_persist) transport_->send(message);
  // Steps 4 and 5.
  apply(ready.committed);
  for (const ReadState& read : ready.reads) on_read_state(read);
  serve_confirmed_reads();
  return true;
}

bool Server::Impl::install_snapshot(const SnapshotMeta& meta) {
  // Figure 5.3: "reset state machine using snapshot contents".
  Result<Payload> data = wal_->snapshot_data();
  Status restored = data.ok() ? state_machine_.restore(data->bytes()) : data.status();
  if (!restored.ok()) {
    return fail_storage(
        {ErrorCode::kCorruption, fmt::format("the snapshot at index {} from the leader: {}",
                                             meta.index.value(), restored.message())});
  }
  applied_ = meta.index;
  last_snapshot_ = meta.index;
  ++metrics_.snapshots_restored;
  log(fmt::format("installed the leader's snapshot at index {} (term {})", meta.index.value(),
                  meta.term.value()));
  // Proposals at or below it were made by a leader we no longer are; whether they committed is
  // for their client to find out.
  fail_proposals_through(meta.index, Status{ErrorCode::kCommitUnknown,
                                            "replaced by the leader's snapshot before its apply"});
  return true;
}

void Server::Impl::apply(const std::vector<Entry>& committed) {
  for (const Entry& entry : committed) {
    std::string reply;
    if (entry.type == EntryType::kNormal) {
      reply = state_machine_.apply(entry.index, entry.payload.bytes());
      ++metrics_.entries_applied;
    }
    applied_ = entry.index;
    complete_proposal(entry, std::move(reply));
  }
}

void Server::Impl::maybe_snapshot() {
  const std::uint64_t every = options_.snapshot_every;
  if (every == 0 || stopped_ || snapshot_writing_ || applied_ <= last_snapshot_ ||
      Index::distance(last_snapshot_, applied_) < every) {
    return;
  }
  // The application's side of thesis §5.1: the state at the applied index, stored with its
  // metadata, then the core may compact the log behind it. The state is taken here, between
  // applies; writing and syncing it (the slow part, proportional to the state) happens on the
  // snapshot thread while the node goes on, and only the rename comes back to this thread.
  const Result<SnapshotMeta> meta = node_->snapshot_meta(applied_);
  if (!meta.ok()) return;  // E.g. a snapshot from the leader is being installed: later.
  auto data = std::make_shared<const std::vector<std::byte>>(state_machine_.snapshot());
  snapshot_writing_ = true;
  boost::asio::post(snapshot_thread_, [this, meta = *meta, data, alive = alive_] {
    Status written = wal_->write_snapshot_aside(meta, *data);
    boost::asio::post(io_, [this, meta, size = data->size(), written = std::move(written), alive] {
      if (*alive) on_snapshot_written(meta, size, written);
    });
  });
}

void Server::Impl::on_snapshot_written(const SnapshotMeta& meta, std::uint64_t size,
                                       const Status& written) {
  snapshot_writing_ = false;
  if (stopped_) return;
  if (!written.ok()) {
    fail_storage(written);
    return;
  }
  Result<bool> committed = wal_->commit_snapshot(meta, size);
  if (!committed.ok()) {
    fail_storage(committed.status());
    return;
  }
  if (!*committed) return;  // The leader's snapshot, installed meanwhile, is newer.
  last_snapshot_ = meta.index;
  ++metrics_.snapshots_taken;
  if (Status taken = node_->snapshot_taken(meta.index); !taken.ok()) {
    log(fmt::format("snapshot at {}: {}", meta.index.value(), taken));
  }
  schedule_drain();  // The next Ready carries compact_to.
}

void Server::Impl::on_event(const Event& event) {
  if (const auto* leader = std::get_if<LeaderChanged>(&event.body)) {
    if (leader->leader != last_leader_) ++metrics_.leader_changes;
    last_leader_ = leader->leader;
  }
  if (const auto* role = std::get_if<RoleChanged>(&event.body)) {
    if (role->from == Role::kLeader && role->to != Role::kLeader) {
      // A deposed leader cannot tell whether what it appended will commit under its successor;
      // tell the clients now so they retry there (with a session, safely: thesis §6.3) instead
      // of waiting for the timeout.
      fail_all_proposals(Status{ErrorCode::kCommitUnknown,
                                "this node lost leadership before the proposal committed"});
    }
  }
  if (std::holds_alternative<CommitAdvanced>(event.body)) return;  // Too frequent to log.
  log(describe(event));
}

bool Server::Impl::fail_storage(const Status& status) {
  health_ = status;
  log(fmt::format("stopping: the log failed: {}", status));
  // A log we cannot write leaves the durable state unknown: answer nobody as if all were well,
  // and stop taking part in the cluster (the others elect a leader without us).
  stop();
  return false;
}

// ---------------------------------------------------------------------------
// The timer at next_deadline() and at the earliest request deadline.

void Server::Impl::arm_timer() {
  if (stopped_) return;
  const Time node_deadline = node_->next_deadline();
  std::chrono::steady_clock::time_point when = std::chrono::steady_clock::time_point::max();
  if (node_deadline != kTimeNever) {
    when = epoch_ + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                        node_deadline.time_since_epoch());
  }
  if (const auto request = earliest_request_deadline()) when = std::min(when, *request);
  if (when == std::chrono::steady_clock::time_point::max()) return;
  // Re-arming cancels a pending wait, which costs a handler; only move the timer earlier.
  if (timer_armed_ && timer_when_ <= when) return;
  timer_armed_ = true;
  timer_when_ = when;
  timer_.expires_at(when);
  timer_.async_wait([this, alive = alive_](const boost::system::error_code& error) {
    // Re-armed or stopped; or expired and queued just before the server was destroyed.
    if (error == boost::asio::error::operation_aborted || !*alive) return;
    timer_armed_ = false;
    if (stopped_) return;
    node_->tick(now());
    expire_requests(std::chrono::steady_clock::now());
    drain();
  });
}

// ---------------------------------------------------------------------------
// Server: the public face.

Server::Server(std::unique_ptr<Impl> impl) noexcept : impl_(std::move(impl)) {}
Server::~Server() {
  if (impl_) impl_->stop();
}

Result<std::unique_ptr<Server>> Server::open(boost::asio::io_context& io, ServerOptions options,
                                             StateMachine& state_machine) {
  auto impl = std::make_unique<Impl>(io, std::move(options), state_machine);
  if (Status opened = impl->open(); !opened.ok()) return opened;
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

Status Server::start() { return impl_->start(); }
void Server::stop() { impl_->stop(); }
void Server::propose(Payload command, ProposeHandler done) {
  impl_->propose(std::move(command), std::move(done));
}
void Server::read(ReadHandler done) { impl_->read(std::move(done)); }
Status Server::transfer_leadership(NodeId target) { return impl_->transfer_leadership(target); }

std::future<Result<ProposeResult>> Server::propose_async(Payload command) {
  auto promise = std::make_shared<std::promise<Result<ProposeResult>>>();
  std::future<Result<ProposeResult>> future = promise->get_future();
  boost::asio::post(impl_->io(), [impl = impl_.get(), alive = impl_->alive(), promise,
                                  command = std::move(command)] {
    if (!*alive) {
      promise->set_value(Status{ErrorCode::kStopped, "the server was destroyed"});
      return;
    }
    impl->propose(command, [promise](Result<ProposeResult> result) {
      promise->set_value(std::move(result));
    });
  });
  return future;
}

std::future<Status> Server::read_async() {
  auto promise = std::make_shared<std::promise<Status>>();
  std::future<Status> future = promise->get_future();
  boost::asio::post(impl_->io(), [impl = impl_.get(), alive = impl_->alive(), promise] {
    if (!*alive) {
      promise->set_value(Status{ErrorCode::kStopped, "the server was destroyed"});
      return;
    }
    impl->read([promise](Status status) { promise->set_value(std::move(status)); });
  });
  return future;
}

ServerStatus Server::status() const { return impl_->status(); }
const ServerMetrics& Server::metrics() const noexcept { return impl_->metrics(); }
const NodeMetrics& Server::node_metrics() const noexcept { return impl_->node().metrics(); }
const TcpTransportCounters& Server::transport_counters() const noexcept {
  return impl_->transport().counters();
}
std::uint16_t Server::raft_port() const noexcept { return impl_->transport().local_port(); }
void Server::on_log(std::function<void(std::string_view)> handler) {
  impl_->set_log_handler(std::move(handler));
}

}  // namespace raft::transport

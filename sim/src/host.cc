// SPDX-License-Identifier: Apache-2.0
// The simulated host: drives one raft::Node exactly as a real driver does —
// tick at next_deadline(), step messages, persist the Ready to a simulated
// disk (waiting for its fsync), send, apply to the key-value store, advance —
// plus process faults (crash, restart, pause) and the standby's service phases.
#include <cmath>

#include <fmt/format.h>

#include "cluster_state.h"

namespace raft::sim::detail {

// ---------------------------------------------------------------------------
// Clocks: each host reads its own, which may drift from the simulator's.

namespace {

// The host's clock at global time `global` (drifting clocks run at clock_rate).
Time local_at(const Host& h, Time global) {
  if (h.clock_rate == 1.0) return h.anchor_local + (global - h.anchor_global);
  const double elapsed = static_cast<double>((global - h.anchor_global).count()) * h.clock_rate;
  return h.anchor_local + Duration{static_cast<Duration::rep>(std::floor(elapsed))};
}

}  // namespace

Time ClusterState::local_time(const Host& h) const { return local_at(h, now); }

Time ClusterState::global_time(const Host& h, Time local) const {
  if (local == kTimeNever) return kTimeNever;
  if (h.clock_rate == 1.0) return h.anchor_global + (local - h.anchor_local);
  // Round up, so that the host's clock has reached `local` when it wakes.
  const double elapsed = static_cast<double>((local - h.anchor_local).count()) / h.clock_rate;
  Time global = h.anchor_global + Duration{static_cast<Duration::rep>(std::ceil(elapsed))};
  // Floating-point rounding can leave the clock a nanosecond short of `local`
  // there: the host would wake, find nothing due, and be woken again at the
  // same instant forever (swarm seed 1220 with 3 nodes). Step until it is not.
  while (local_at(h, global) < local) global += Duration{1};
  return global;
}

// ---------------------------------------------------------------------------
// Process life cycle.

void ClusterState::start_node(Host& h) {
  Config config = base_config;
  config.id = h.id;
  config.priority = scenario.cluster.priority_of(h.id);
  // A spare machine joins later: it starts with no membership and learns one
  // from the leader that adds it (thesis §4.2.1).
  if (h.id.value() > scenario.cluster.size) config.voters.clear();
  Result<Node> node = Node::create(config, h.disk.log(), local_time(h));
  RAFT_ASSERT_MSG(node.ok(), "a node must start from what its own disk kept");
  h.node.emplace(std::move(*node));
  h.process = Host::Process::kUp;
  h.kv.clear();  // Volatile: rebuilt from the snapshot, then by applying the log again.
  h.applied = Index{};
  if (const SnapshotMeta snapshot = h.disk.snapshot_meta(); snapshot.index > Index{}) {
    // Thesis §5.1: a restarting server loads its snapshot; the core starts
    // applying after it.
    const Result<Payload> data = h.disk.snapshot_data();
    RAFT_ASSERT_MSG(data.ok() && h.kv.restore(*data), "the disk's snapshot is corrupt");
    h.applied = snapshot.index;
    if (options.check_safety) {
      checker.on_state(now, h.id, snapshot.index, h.kv.state_hash(), "restarted from a snapshot");
    }
  }
  schedule_wake(h);
}

void ClusterState::crash(Host& h, bool silent) {
  RAFT_ASSERT(h.up());
  if (silent) {
    h.pending.clear();  // A vanished machine answers nobody: its clients time out.
  } else {
    fail_pending(h, "connection reset; outcome unknown");
    for (const ClientRequest& request : h.held) {
      reply(ClientReply{request.client,
                        request.serial,
                        ClientReply::Kind::kRefused,
                        h.id,
                        {},
                        {},
                        "connection reset before the request was served",
                        {},
                        {}});
    }
  }
  h.held.clear();
  // Reads the dead process was serving: answered (refused) only by a crash
  // the peers can see; a vanished machine leaves its clients to time out.
  if (!silent) {
    auto refuse = [&](const PendingRead& read) {
      reply(ClientReply{read.client,
                        read.serial,
                        ClientReply::Kind::kRefused,
                        h.id,
                        {},
                        {},
                        "connection reset before the read was served",
                        {},
                        {}});
    };
    for (const auto& [id, read] : h.reads_unconfirmed) refuse(read);
    for (const auto& [index, read] : h.reads_confirmed) refuse(read);
  }
  h.reads_unconfirmed.clear();
  h.reads_confirmed.clear();
  set_service(h, ServiceRecord::Phase::kStopped);
  h.process = silent ? Host::Process::kMachineLost : Host::Process::kCrashed;
  h.paused = false;
  h.node.reset();
  // What was written but not yet synced is lost: the Ready waiting for its
  // fsync never reached h.disk.
  if (h.in_flight) release_snapshot_bytes(snapshot_data_bytes(*h.in_flight));
  h.in_flight.reset();
  h.disk_done = false;
  // disk.log: wal: what was written but not synced is lost or torn. The seed
  // is drawn only then, so memory-log runs keep their traces.
  if (h.disk.wal()) h.disk.crash(prng.next());
  for (const InboxItem& item : h.inbox) release_snapshot_bytes(snapshot_data_bytes(item.message));
  h.inbox.clear();
  h.transfer_pending = false;
  h.client_inbox.clear();
  h.wake_at = kTimeNever;
  ++h.incarnation;  // Events queued for the old process are ignored.
  if (silent) return;
  // A killed process's sockets are closed by its kernel: each peer's
  // transport sees the connection reset about one link latency later.
  for (Host& peer : hosts) {
    if (peer.id == h.id || !peer.up()) continue;
    const Time latest =
        last_arrival[(h.id.value() - 1) * scenario.cluster.hosts() + (peer.id.value() - 1)];
    const Time when = std::max(now + link(h.id, peer.id).latency.sample(prng), latest);
    schedule_host(peer, when, EventType::kPeerDown, 0, static_cast<std::uint32_t>(h.id.value()));
  }
}

void ClusterState::restart(Host& h) {
  RAFT_ASSERT(!h.up());
  ++h.incarnation;
  if (h.disk.wal()) {
    // Recovery (raft/storage/wal.h): a torn tail is cut off and noted;
    // damage to synced data is kCorruption, and the node must not start.
    std::vector<std::string> notes;
    const Status status = h.disk.reopen(notes);
    ++disk_stats.recoveries;
    if (!notes.empty()) ++disk_stats.repairs;
    if (!status.ok()) {
      if (disk_stats.error.empty()) {
        disk_stats.error = fmt::format("node {}: {}", h.id.value(), status.to_string());
      }
      storage_failed = true;  // Stops the run: StopReason::kStorageError.
      return;
    }
  }
  checker.on_restart(h.id, h.disk.hard_state());
  start_node(h);
  drive(h);
}

void ClusterState::pause(Host& h) {
  h.paused = true;
  h.wake_at = kTimeNever;
  ++h.wake_generation;
}

void ClusterState::resume(Host& h) {
  h.paused = false;
  if (h.disk_done) {
    h.disk_done = false;
    finish_ready(h);
  }
  drive(h);
}

// ---------------------------------------------------------------------------
// The driver loop.

void ClusterState::drive(Host& h) {
  // A host waiting for its fsync does nothing else (a synchronous Raft loop);
  // finish_ready() drives it again when the disk is done.
  if (!h.up() || h.paused || h.in_flight) return;
  Node& node = *h.node;
  node.tick(local_time(h));
  if (h.transfer_pending) {
    h.transfer_pending = false;
    // Refused if it lost leadership meanwhile; the trace then shows no transfer.
    (void)node.transfer_leadership(h.transfer_to);
  }
  if (!membership_steps.empty() && node.role() == Role::kLeader) advance_membership(h);
  handle_ready(h);
  // Work that arrived while the host was busy, in arrival order.
  while (!h.in_flight && (!h.inbox.empty() || !h.client_inbox.empty())) {
    if (!h.inbox.empty()) {
      InboxItem item = std::move(h.inbox.front());
      h.inbox.pop_front();
      release_snapshot_bytes(snapshot_data_bytes(item.message));
      if (item.peer_down.valid()) {
        node.tick(local_time(h));
        node.peer_down(item.peer_down);
      } else {
        step_message(h, std::move(item.message));
      }
    } else {
      ClientRequest request = std::move(h.client_inbox.front());
      h.client_inbox.pop_front();
      handle_request(h, std::move(request));
    }
    handle_ready(h);
  }
  schedule_wake(h);
}

void ClusterState::step_message(Host& h, Message message) {
  RAFT_ASSERT(h.up() && !h.paused && !h.in_flight);
  h.node->tick(local_time(h));
  const Status status = h.node->step(std::move(message));
  // The simulated network neither forges nor corrupts messages, so every
  // refusal here is a bug in the core or the driver.
  RAFT_ASSERT_MSG(status.ok(), status.to_string().c_str());
  handle_ready(h);
}

void ClusterState::handle_ready(Host& h) {
  Node& node = *h.node;
  while (!h.in_flight && node.has_ready()) {
    Ready ready = node.ready();
    for (const Event& event : ready.events) on_node_event(h, event);
    if (options.check_safety && !ready.events.empty()) checker.check_membership(now, *h.node);
    if (!ready.entries.empty() && options.check_safety) {
      const Index before = ready.entries.front().index.prev();
      // Entries right after a snapshot being installed follow its last entry.
      const Result<Term> prev_term =
          ready.snapshot_to_install && ready.snapshot_to_install->index == before
              ? Result<Term>{ready.snapshot_to_install->term}
              : h.disk.term(before);
      checker.on_persist(now, h.id, prev_term.ok() ? *prev_term : Term{}, ready.entries);
    }
    // Messages that need no persist leave at once (a leader's appends go out
    // while its own disk writes: thesis §10.2.1).
    for (Message& message : ready.messages) send_message(std::move(message));
    ready.messages.clear();
    Duration fsync{};
    if (ready.must_sync) fsync = scenario.disk.fsync.sample(prng) + h.fsync_extra;
    hold_snapshot_bytes(snapshot_data_bytes(ready));  // Until written, in finish_ready().
    if (const Status status = h.disk.begin(ready); !status.ok()) {
      fail_disk(h, status);
      return;
    }
    h.in_flight.emplace(std::move(ready));
    if (fsync > Duration{}) {
      // The node waits for its disk, as a synchronous Raft loop does.
      schedule_host(h, now + fsync, EventType::kDiskDone, ++h.persist_generation);
      return;
    }
    finish_ready(h);
  }
  if (!node.health().ok()) storage_failed = true;
}

void ClusterState::finish_ready(Host& h) {
  RAFT_ASSERT(h.in_flight.has_value());
  Ready ready = std::move(*h.in_flight);
  h.in_flight.reset();
  release_snapshot_bytes(snapshot_data_bytes(ready));
  // Now durable (snapshot chunks, install, entries, compaction).
  if (const Status status = h.disk.finish(ready); !status.ok()) {
    fail_disk(h, status);
    return;
  }
  if (ready.snapshot_to_install) {
    // Figure 5.3: "reset state machine using snapshot contents".
    const Result<Payload> data = h.disk.snapshot_data();
    RAFT_ASSERT_MSG(data.ok() && h.kv.restore(*data), "an installed snapshot is corrupt");
    h.applied = ready.snapshot_to_install->index;
    if (options.check_safety) {
      checker.on_state(now, h.id, ready.snapshot_to_install->index, h.kv.state_hash(),
                       "installed from the leader");
    }
  }
  if (ready.hard_state && options.check_safety) checker.on_durable(now, h.id, *ready.hard_state);
  for (Message& message : ready.messages_after_persist) send_message(std::move(message));
  apply_entries(h, ready.committed);
  // ready.h step 5: reads after the entries of the same Ready are applied.
  for (const ReadState& read : ready.reads) on_read_state(h, read);
  serve_reads(h);
  h.node->advance(std::move(ready));
  maybe_snapshot(h);
}

void ClusterState::fail_disk(Host& h, const Status& status) {
  // The simulated disk injects no I/O errors, so this is a bug in the WAL or
  // in how the host drives it: stop the run with a clear reason.
  if (disk_stats.error.empty()) {
    disk_stats.error = fmt::format("node {}: {}", h.id.value(), status.to_string());
  }
  storage_failed = true;
}

void ClusterState::maybe_snapshot(Host& h) {
  const std::uint64_t every = scenario.cluster.snapshot_every;
  if (every == 0) return;
  Node& node = *h.node;
  const Index applied = node.applied_index();
  const Index current = h.disk.snapshot_meta().index;
  if (applied <= current || Index::distance(current, applied) < every) return;
  // The application's side of thesis §5.1: serialize the state at the applied
  // index, store it with its metadata, then let the core compact the log.
  const Result<SnapshotMeta> meta = node.snapshot_meta(applied);
  if (!meta.ok()) return;  // E.g. a snapshot from the leader is being installed.
  if (const Status saved = h.disk.save_snapshot(*meta, h.kv.snapshot()); !saved.ok()) {
    fail_disk(h, saved);
    return;
  }
  if (options.check_safety) checker.on_state(now, h.id, applied, h.kv.state_hash(), "taken");
  const Status status = node.snapshot_taken(applied);
  RAFT_ASSERT_MSG(status.ok(), status.to_string().c_str());
}

namespace {

/// What a client is told when the session table refused its command.
ClientReply::Kind refusal_kind(SessionOutcome outcome) {
  switch (outcome) {
    case SessionOutcome::kSessionExpired:
      return ClientReply::Kind::kSessionExpired;
    case SessionOutcome::kTooManyOutstanding:
      return ClientReply::Kind::kUnavailable;  // Not applied; try again later.
    default:
      // kStale: the client moved on, so nobody waits for this answer; it may
      // have been applied by an earlier copy.
      return ClientReply::Kind::kUnknown;
  }
}

}  // namespace

void ClusterState::apply_entries(Host& h, const std::vector<Entry>& entries) {
  for (const Entry& entry : entries) {
    if (options.check_safety) checker.on_apply(now, h.id, entry);
    h.applied = entry.index;
    if (entry.type != EntryType::kNormal) continue;
    Result<KvApplied> applied = h.kv.apply_entry(entry.index, entry.payload);
    RAFT_ASSERT_MSG(applied.ok(), "the log holds only commands the clients encoded");
    const std::optional<KvCommand>& command = applied->command;
    if (options.check_safety && applied->executed && command->kind == OpKind::kWrite) {
      // Every replica executes each logical write at most once (thesis §6.3);
      // without sessions, a retry of an applied write executes again.
      checker.on_write_executed(now, h.id, command->client, command->request,
                                applied->session.has_value());
    }
    std::string value = std::move(applied->value);
    const auto pending = h.pending.find(entry.index);
    if (pending == h.pending.end()) continue;
    PendingRequest request = std::move(pending->second);
    h.pending.erase(pending);
    if (request.term != entry.term || !(request.payload == entry.payload)) {
      // Another leader's entry took the index: ours was never committed.
      reply(ClientReply{request.client,
                        request.serial,
                        ClientReply::Kind::kUnknown,
                        h.id,
                        {},
                        {},
                        "entry replaced after a leader change",
                        {},
                        {}});
      continue;
    }
    if (applied->session && !applied->session->ok()) {
      reply(ClientReply{request.client,
                        request.serial,
                        refusal_kind(applied->session->outcome),
                        h.id,
                        {},
                        {},
                        fmt::format("session {}: {}", applied->session->client,
                                    to_string(applied->session->outcome)),
                        entry.index,
                        entry.term,
                        {}});
      continue;
    }
    if (options.check_safety && command && command->kind == OpKind::kWrite) {
      checker.on_acknowledged(now, h.id, entry.index, entry.term, command->op);
    }
    ++acknowledged;
    if (applied->session && applied->session->outcome == SessionOutcome::kDuplicate) {
      ++deduplicated;
    }
    reply(ClientReply{request.client,
                      request.serial,
                      ClientReply::Kind::kOk,
                      h.id,
                      {},
                      std::move(value),
                      {},
                      entry.index,
                      entry.term,
                      applied->session ? applied->session->client : 0});
  }
}

void ClusterState::on_node_event(Host& h, const Event& event) {
  record(h.id, NodeRecord{event.body, event.term});
  if (options.check_safety) checker.on_event(now, *h.node, event);
  if (const auto* transfer = std::get_if<TransferChanged>(&event.body)) {
    if (transfer->phase == TransferChanged::Phase::kStarted) return;
    // Held requests go to the new leader (completed) or are served (aborted).
    if (transfer->phase == TransferChanged::Phase::kCompleted) {
      h.handed_over_to = transfer->target;
      redirect_held(h, transfer->target, "leadership handed over");
    } else {
      serve_held(h);
    }
    return;
  }
  if (const auto* leader = std::get_if<LeaderChanged>(&event.body);
      leader != nullptr && leader->leader.valid() && leader->leader != h.id) {
    // A leader is known again: send what waited for one there.
    redirect_held(h, leader->leader, "not the leader");
    return;
  }
  if (const auto* change = std::get_if<MembershipChanged>(&event.body);
      change != nullptr && !change->membership.contains(h.id)) {
    redirect_held(h, h.node->leader(), "not a member of the cluster");
    return;
  }
  const auto* role = std::get_if<RoleChanged>(&event.body);
  if (role == nullptr) return;
  if (role->to == Role::kLeader) {
    const StandbySpec& standby = scenario.standby;
    switch (standby.kind) {
      case StandbySpec::Kind::kHot:
        set_service(h, ServiceRecord::Phase::kServing);
        break;
      case StandbySpec::Kind::kWarm:
        set_service(h, ServiceRecord::Phase::kLoading);
        break;
      case StandbySpec::Kind::kCold:
        set_service(h, ServiceRecord::Phase::kStarting);
        break;
    }
  } else if (role->from == Role::kLeader) {
    set_service(h, ServiceRecord::Phase::kStopped);
    fail_pending(h, "leadership lost; outcome unknown");
  }
}

void ClusterState::serve_held(Host& h) {
  // drive() serves them, in order, after what is already queued.
  for (ClientRequest& request : h.held) h.client_inbox.push_back(std::move(request));
  h.held.clear();
}

void ClusterState::redirect_held(Host& h, NodeId hint, const char* why) {
  for (const ClientRequest& request : h.held) {
    reply(ClientReply{request.client,
                      request.serial,
                      ClientReply::Kind::kNotLeader,
                      h.id,
                      hint,
                      {},
                      why,
                      {},
                      {}});
  }
  h.held.clear();
}

void ClusterState::set_service(Host& h, ServiceRecord::Phase phase) {
  if (h.service == phase) return;
  h.service = phase;
  ++h.service_generation;
  record(h.id, ServiceRecord{phase});
  if (phase == ServiceRecord::Phase::kServing) serve_held(h);
  if (phase == ServiceRecord::Phase::kStopped && h.up()) {
    redirect_held(h, h.node ? h.node->leader() : NodeId{}, "not the leader");
  }
  const StandbySpec& standby = scenario.standby;
  Duration wait{};
  if (phase == ServiceRecord::Phase::kStarting) {
    wait = standby.start_time;
  } else if (phase == ServiceRecord::Phase::kLoading) {
    wait = standby.load_time;
    if (standby.load_bytes_per_s > 0) {
      // Loading the state machine at the configured rate (the seed's warm
      // standby that reads its metadata before serving).
      const double seconds =
          static_cast<double>(h.kv.size_bytes()) / static_cast<double>(standby.load_bytes_per_s);
      wait += std::chrono::duration_cast<Duration>(std::chrono::duration<double>(seconds));
    }
  } else {
    return;
  }
  schedule_host(h, now + wait, EventType::kServiceReady, h.service_generation);
}

void ClusterState::schedule_wake(Host& h) {
  if (!h.up() || h.paused || h.in_flight) return;
  const Time deadline = global_time(h, h.node->next_deadline());
  if (deadline == kTimeNever) return;
  // Keep an earlier wake-up: waking early only costs a tick that fires
  // nothing, and it saves a queue push every time a heartbeat resets a timer.
  if (h.wake_at <= deadline && h.wake_at >= now) return;
  h.wake_at = std::max(deadline, now);
  schedule_host(h, h.wake_at, EventType::kWake, ++h.wake_generation);
}

// ---------------------------------------------------------------------------
// Serving clients.

void ClusterState::handle_request(Host& h, ClientRequest request) {
  Node& node = *h.node;
  node.tick(local_time(h));
  if (!node.membership().contains(h.id) && node.role() != Role::kLeader) {
    // A spare not yet added, or a machine removed (once it has handed over;
    // until then it holds requests like any leader in a transfer): not part
    // of the cluster,
    // so it sends the client on at once (with the leader, if it knows one).
    reply(ClientReply{request.client,
                      request.serial,
                      ClientReply::Kind::kNotLeader,
                      h.id,
                      node.leader().valid() ? node.leader() : h.handed_over_to,
                      {},
                      "not a member of the cluster",
                      {},
                      {}});
    return;
  }
  if (request.command.kind == OpKind::kRead && scenario.cluster.read_mode != ReadPath::kLog) {
    handle_read(h, std::move(request));
    return;
  }
  if (node.role() != Role::kLeader && !node.leader().valid()) {
    // An election is under way (here or elsewhere): answer once a leader is
    // known, rather than send the client away with no hint a moment too early.
    h.held.push_back(std::move(request));
    return;
  }
  if (node.role() != Role::kLeader) {
    reply(ClientReply{request.client,
                      request.serial,
                      ClientReply::Kind::kNotLeader,
                      h.id,
                      node.leader(),
                      {},
                      "not the leader",
                      {},
                      {}});
    return;
  }
  if (h.service != ServiceRecord::Phase::kServing || node.transfer_target().valid()) {
    // A standby that is still starting or loading accepts the connection but
    // answers only when it serves: the client waits (and may time out). A
    // leader handing over holds requests too, and redirects them after.
    h.held.push_back(std::move(request));
    return;
  }
  Payload payload;
  switch (request.session) {
    case ClientRequest::Session::kNone:
      payload = encode_command_entry(request.command);
      break;
    case ClientRequest::Session::kRegister:
    case ClientRequest::Session::kRequest: {
      // Thesis §6.3: the leader stamps its own time into the command; the
      // state machines expire sessions by it, never by their own clocks.
      SessionCommand command;
      command.timestamp = local_time(h);
      if (request.session == ClientRequest::Session::kRegister) {
        command.kind = SessionCommand::Kind::kRegister;
        command.command = fmt::format("client {} attempt {}", request.client, request.serial);
      } else {
        command.kind = SessionCommand::Kind::kRequest;
        command.client = request.session_id;
        command.sequence = request.sequence;
        command.first_outstanding = request.first_outstanding;
        command.command = std::string{request.command.encode().as_string()};
      }
      payload = encode_session_entry(command);
      break;
    }
  }
  Result<Index> index = node.propose(payload);
  if (!index.ok()) {
    reply(ClientReply{request.client,
                      request.serial,
                      ClientReply::Kind::kUnavailable,
                      h.id,
                      index.status().leader_hint(),
                      {},
                      index.status().to_string(),
                      {},
                      {}});
    return;
  }
  h.pending.emplace(
      *index, PendingRequest{request.client, request.serial, node.term(), std::move(payload)});
  handle_ready(h);
}

// Reads without a log entry (thesis §6.4): the node confirms a read index
// (the leader itself, or a follower through its leader), then the host serves
// the read from its state machine once it has applied that index.
void ClusterState::handle_read(Host& h, ClientRequest request) {
  Node& node = *h.node;
  if (options.mutation == Mutation::kLocalRead) {
    // The bug ReadIndex prevents: answering from local state unconfirmed.
    serve_read(h, PendingRead{request.client, request.serial, std::move(request.command)},
               h.applied);
    return;
  }
  const bool leader = node.role() == Role::kLeader;
  if ((!leader && !node.leader().valid()) ||
      (leader && h.service != ServiceRecord::Phase::kServing)) {
    // As for writes: wait for a leader to be known, or for this one to serve.
    h.held.push_back(std::move(request));
    return;
  }
  const std::uint64_t id = ++h.read_ids;
  const Status status = node.read_index(id);
  if (!status.ok()) {
    reply(ClientReply{request.client,
                      request.serial,
                      ClientReply::Kind::kNotLeader,
                      h.id,
                      status.leader_hint(),
                      {},
                      status.to_string(),
                      {},
                      {}});
    return;
  }
  h.reads_unconfirmed.emplace(
      id, PendingRead{request.client, request.serial, std::move(request.command)});
  handle_ready(h);
}

void ClusterState::on_read_state(Host& h, const ReadState& read) {
  // Built once per failed batch, not per read: only failures carry a message.
  const std::string why = read.ok() ? std::string{} : read.status().to_string();
  for (const std::uint64_t id : read.request_ids) {
    const auto it = h.reads_unconfirmed.find(id);
    RAFT_ASSERT_MSG(it != h.reads_unconfirmed.end(), "a read the host never asked for");
    PendingRead pending = std::move(it->second);
    h.reads_unconfirmed.erase(it);
    if (!read.ok()) {
      // Not confirmed: the read had no effect, so the client may safely retry.
      reply(ClientReply{pending.client,
                        pending.serial,
                        ClientReply::Kind::kNotLeader,
                        h.id,
                        h.node ? h.node->leader() : NodeId{},
                        {},
                        why,
                        {},
                        {}});
      continue;
    }
    h.reads_confirmed.emplace(read.index, std::move(pending));
  }
}

void ClusterState::serve_reads(Host& h) {
  while (!h.reads_confirmed.empty() && h.reads_confirmed.begin()->first <= h.applied) {
    const auto first = h.reads_confirmed.begin();
    const PendingRead read = std::move(first->second);
    const Index index = first->first;
    h.reads_confirmed.erase(first);
    serve_read(h, read, index);
  }
}

void ClusterState::serve_read(Host& h, const PendingRead& read, Index index) {
  std::string value = h.kv.apply(read.command);  // A read changes nothing.
  reply(ClientReply{
      read.client, read.serial, ClientReply::Kind::kOk, h.id, {}, std::move(value), {}, index, {}});
}

void ClusterState::fail_pending(Host& h, const std::string& why) {
  for (auto& [index, request] : h.pending) {
    reply(ClientReply{
        request.client, request.serial, ClientReply::Kind::kUnknown, h.id, {}, {}, why, {}, {}});
  }
  h.pending.clear();
}

void ClusterState::reply(ClientReply message) {
  std::uint64_t slot;
  if (!free_reply_slots.empty()) {
    slot = free_reply_slots.back();
    free_reply_slots.pop_back();
  } else {
    slot = reply_slots.size();
    reply_slots.emplace_back();
  }
  const std::uint32_t client = message.client;
  reply_slots[slot] = std::move(message);
  schedule(now + client_latency(), EventType::kReplyArrive, client, slot);
}

}  // namespace raft::sim::detail

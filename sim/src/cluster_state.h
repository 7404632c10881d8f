// SPDX-License-Identifier: Apache-2.0
// The inside of sim::Cluster: the event queue, hosts, network, clients and
// their handlers. Split by concern over cluster.cc (kernel, faults),
// network.cc, host.cc (the Raft driver) and client.cc (workloads).
#pragma once

#include <deque>
#include <map>
#include <optional>
#include <queue>
#include <vector>

#include "host_disk.h"
#include "raft/prng.h"
#include "raft/sim/cluster.h"
#include "raft/sim/kv.h"
#include "raft/storage/memory_log.h"

namespace raft::sim::detail {

/// InstallSnapshot data in a message, or in a Ready's chunks to write
/// (NetworkStats::snapshot_bytes_held).
[[nodiscard]] std::uint64_t snapshot_data_bytes(const Message& message) noexcept;
[[nodiscard]] std::uint64_t snapshot_data_bytes(const Ready& ready) noexcept;

/// What an event on the queue does.
enum class EventType : std::uint8_t {
  kDeliver,        ///< target: host; data: message slot.
  kWake,           ///< target: host; data: wake generation.
  kDiskDone,       ///< target: host; data: persist generation.
  kPeerDown,       ///< target: host; aux: the peer whose connection reset.
  kFault,          ///< data: index into scenario faults.
  kFaultEnd,       ///< data: index into scheduled fault ends.
  kServiceReady,   ///< target: host; data: service generation.
  kClientTick,     ///< target: client.
  kClientTimeout,  ///< target: client; data: attempt serial.
  kClientRetry,    ///< target: client; data: attempt serial.
  kRequestArrive,  ///< target: host; data: request slot.
  kReplyArrive,    ///< target: client; data: reply slot.
};

struct QueuedEvent {
  Time time;
  std::uint64_t seq = 0;  // Ties at one instant break by insertion order.
  EventType type = EventType::kWake;
  std::uint32_t target = 0;
  std::uint32_t aux = 0;
  std::uint64_t data = 0;
  std::uint64_t incarnation = 0;  // Host events: ignored after a crash/restart.
};

struct LaterFirst {
  bool operator()(const QueuedEvent& a, const QueuedEvent& b) const noexcept {
    return a.time != b.time ? a.time > b.time : a.seq > b.seq;
  }
};

/// A client's request as it travels to a host.
struct ClientRequest {
  /// How it goes through the session table (thesis §6.3).
  enum class Session : std::uint8_t {
    kNone,      ///< A bare command: applied every time it commits.
    kRegister,  ///< RegisterClient: no command; the reply is the session id.
    kRequest,   ///< `command` under (session_id, sequence), applied at most once.
  };
  std::uint32_t client = 0;
  std::uint64_t serial = 0;  // The attempt it belongs to.
  KvCommand command;
  Session session = Session::kNone;
  std::uint64_t session_id = 0;
  std::uint64_t sequence = 0;
  std::uint64_t first_outstanding = 0;
};

struct ClientReply {
  enum class Kind : std::uint8_t {
    kOk,
    kNotLeader,    ///< Definitely not applied; `hint` names the leader if known.
    kUnavailable,  ///< Leader not serving yet (standby loading) or proposal refused.
    kRefused,      ///< Connection refused: the process is down. Not applied.
    kUnknown,      ///< Proposed but leadership was lost, or connection reset.
    /// The session is gone (thesis §6.3); this attempt was not applied.
    kSessionExpired,
  };
  std::uint32_t client = 0;
  std::uint64_t serial = 0;
  Kind kind = Kind::kOk;
  NodeId from;
  NodeId hint;
  std::string value;
  std::string error;
  Index index;
  Term term;
  std::uint64_t session = 0;  ///< A registration's new session id.
};

/// A message, or (when `peer_down` is set) the transport's report that the
/// connection to that peer was reset. (Not a std::variant: GCC 12 warns
/// falsely about moving a variant that holds one.)
struct InboxItem {
  Message message;
  NodeId peer_down;
};

/// A request a leader proposed and will answer when it applies.
struct PendingRequest {
  std::uint32_t client = 0;
  std::uint64_t serial = 0;
  Term term;
  Payload payload;  // What was proposed: the entry at the index is ours if it is the same.
};

/// A client read served through Node::read_index (thesis §6.4): it waits for
/// its ReadState, then for the state machine to apply up to the read index.
struct PendingRead {
  std::uint32_t client = 0;
  std::uint64_t serial = 0;
  KvCommand command;
};

struct Host {
  NodeId id;
  enum class Process : std::uint8_t { kUp, kCrashed, kMachineLost } process = Process::kUp;
  bool paused = false;
  std::uint64_t incarnation = 0;

  HostDisk disk;  // What survives a crash: synced hard state and entries.
  std::optional<Node> node;
  KvStore kv;

  // Messages and connection resets that arrived while the host was busy
  // (fsync) or paused, in arrival order.
  std::deque<InboxItem> inbox;
  // A leadership transfer requested while the host was busy.
  bool transfer_pending = false;
  // The node this one last handed leadership to: a hint for clients once it
  // is no longer a member and hears from no leader.
  NodeId handed_over_to;
  NodeId transfer_to;
  std::deque<ClientRequest> client_inbox;
  std::optional<Ready> in_flight;  // Waiting for its fsync.
  bool disk_done = false;          // The fsync finished while paused.
  std::uint64_t persist_generation = 0;
  Duration fsync_extra{};

  Time wake_at = kTimeNever;
  std::uint64_t wake_generation = 0;

  // Local clock: local(t) = anchor_local + (t - anchor_global) * rate.
  Time anchor_global{};
  Time anchor_local{};
  double clock_rate = 1.0;

  ServiceRecord::Phase service = ServiceRecord::Phase::kStopped;
  std::uint64_t service_generation = 0;
  std::map<Index, PendingRequest> pending;
  // Requests that reached a leader still starting or loading: answered once
  // it serves, refused if it loses leadership first.
  std::deque<ClientRequest> held;
  // Reads (cluster.read_mode read_index or lease): by request id until the
  // node confirms them, then by read index until the state machine applied it.
  std::uint64_t read_ids = 0;
  std::map<std::uint64_t, PendingRead> reads_unconfirmed;
  std::multimap<Index, PendingRead> reads_confirmed;
  Index applied;  // The last entry applied to `kv`.

  [[nodiscard]] bool up() const noexcept { return process == Process::kUp; }
};

/// Client attempt state.
struct Client {
  std::uint32_t id = 0;
  const ClientSpec* spec = nullptr;
  Prng prng{0};
  std::vector<NodeId> endpoints;
  std::size_t endpoint = 0;  // Index into endpoints.
  NodeId leader_hint;
  std::uint64_t op_counter = 0;  // Logical operations started.
  std::uint32_t attempt = 0;     // Attempt number within the current operation.
  std::uint64_t serial = 0;      // Current attempt's serial (unique per client), 0 = none.
  std::uint64_t serials = 0;     // Serials handed out so far.
  bool busy = false;             // An operation is in progress (attempt or backoff).
  OpKind kind = OpKind::kWrite;
  std::string key;
  std::size_t history_slot = 0;  // The attempt's Operation in the history.
  Duration previous_backoff{};
  std::uint32_t redirects = 0;
  NodeId target;
  Time stop = kTimeNever;
  // Client sessions (spec->sessions): the session id (0: none), whether the
  // current attempt registers one, whether the current operation has its
  // Operation in the history yet (a retried write under a session is one
  // operation, not one per attempt), and whether an earlier attempt of it may
  // have been applied.
  std::uint64_t session = 0;
  bool registering = false;
  bool op_recorded = false;
  bool maybe_applied = false;
};

struct ClusterState {
  ClusterState(const Scenario& scenario, const Cluster::Options& options);

  // ---- kernel (cluster.cc) ----
  void push(QueuedEvent event);
  void schedule(Time time, EventType type, std::uint32_t target, std::uint64_t data = 0,
                std::uint32_t aux = 0);
  void schedule_host(Host& host, Time time, EventType type, std::uint64_t data = 0,
                     std::uint32_t aux = 0);
  StopReason run_until(Time end);
  void dispatch(const QueuedEvent& event);
  void record(NodeId node, TraceBody body);
  void apply_fault(const FaultSpec& fault);
  void end_fault(std::uint64_t index);
  NodeId resolve(const NodeSelector& selector) const;
  NodeId current_leader() const;

  // ---- network (network.cc) ----
  const LinkSpec& link(NodeId from, NodeId to) const;
  bool blocked(NodeId from, NodeId to) const;
  void send_message(Message message);
  void deliver(Host& host, std::uint64_t slot);
  /// Snapshot data entering (+) or leaving (-) the network or a receiver's
  /// buffers: NetworkStats::snapshot_bytes_held and its high-water mark.
  void hold_snapshot_bytes(std::uint64_t bytes);
  void release_snapshot_bytes(std::uint64_t bytes);
  Duration client_latency();

  // ---- host driver (host.cc) ----
  Host& host(NodeId id) { return hosts[id.value() - 1]; }
  Time local_time(const Host& host) const;
  Time global_time(const Host& host, Time local) const;
  void start_node(Host& host);
  void drive(Host& host);
  void step_message(Host& host, Message message);
  void handle_ready(Host& host);
  void finish_ready(Host& host);
  void apply_entries(Host& host, const std::vector<Entry>& entries);
  /// Takes a snapshot when scenario.cluster.snapshot_every entries were applied since the last.
  void maybe_snapshot(Host& host);
  void on_node_event(Host& host, const Event& event);
  void schedule_wake(Host& host);
  void crash(Host& host, bool silent);
  void restart(Host& host);
  void fail_disk(Host& host, const Status& status);
  void pause(Host& host);
  void resume(Host& host);
  void set_service(Host& host, ServiceRecord::Phase phase);

  // ---- membership changes (membership_driver.cc) ----
  void request_membership_change(const FaultSpec& fault, FaultRecord record);
  void advance_membership(Host& leader);
  void decommission_node(NodeId id);
  void serve_held(Host& host);
  void redirect_held(Host& host, NodeId hint, const char* why);
  void handle_request(Host& host, ClientRequest request);
  void handle_read(Host& host, ClientRequest request);
  void on_read_state(Host& host, const ReadState& read);
  void serve_reads(Host& host);
  void serve_read(Host& host, const PendingRead& read, Index index);
  void reply(ClientReply reply);
  void fail_pending(Host& host, const std::string& why);

  // ---- clients (client.cc) ----
  void start_clients();
  void client_tick(Client& client);
  bool through_session(const Client& client) const;
  void start_attempt(Client& client);
  void send_attempt(Client& client);
  void on_reply(Client& client, const ClientReply& reply);
  void on_timeout(Client& client, std::uint64_t serial);
  void finish_attempt(Client& client, ClientRecord::Phase phase, OpOutcome outcome,
                      const std::string& value, const std::string& error);
  void retry_or_give_up(Client& client);
  void operation_done(Client& client);
  Duration backoff(Client& client);

  Scenario scenario;
  Cluster::Options options;
  Prng prng;
  Time now{};
  std::uint64_t seq = 0;
  std::uint64_t events = 0;
  std::priority_queue<QueuedEvent, std::vector<QueuedEvent>, LaterFirst> queue;
  Trace trace;
  // The last options.recent_events trace events, as a ring reused in place
  // (recent_next is the oldest once the ring is full): a copy per event, no
  // allocation once warm.
  std::vector<TraceEvent> recent;
  std::size_t recent_next = 0;
  History history;
  StateChecker checker;
  bool storage_failed = false;
  DiskStats disk_stats;  // disk.log: wal recoveries.
  std::uint64_t acknowledged = 0;
  std::uint64_t deduplicated = 0;  // Retries answered from a session's saved reply.

  std::vector<Host> hosts;
  std::vector<Client> clients;
  Config base_config;

  // Network.
  LinkSpec defaults;
  std::map<std::pair<std::uint64_t, std::uint64_t>, LinkSpec> link_overrides;
  std::vector<std::uint8_t> cut;  // cut[from * n + to]: partitioned.
  // last_arrival[from * n + to]: when the latest message sent on that link
  // arrives. A connection reset travels behind the data sent before it (TCP
  // keeps order within a connection), so it is reported no earlier.
  std::vector<Time> last_arrival;
  // link_free_at[from * n + to]: when a link with a bandwidth has sent the
  // messages queued on it (LinkSpec::bandwidth); unused on unlimited links.
  std::vector<Time> link_free_at;
  NetworkStats network_stats;
  std::uint64_t next_message_id = 1;
  std::vector<std::optional<Message>> message_slots;
  std::vector<std::uint64_t> message_ids;
  std::vector<std::uint64_t> free_message_slots;
  std::vector<std::optional<ClientRequest>> request_slots;
  std::vector<std::uint64_t> free_request_slots;
  std::vector<std::optional<ClientReply>> reply_slots;
  std::vector<std::uint64_t> free_reply_slots;

  // Scheduled ends of pauses and slow disks.
  struct FaultEnd {
    FaultKind kind;
    NodeId node;
  };
  std::vector<FaultEnd> fault_ends;

  // Membership changes asked for by the timeline, proposed in order at
  // whichever node leads; each is done once the leader's committed
  // membership shows it.
  struct MembershipStep {
    std::vector<MembershipChange> changes;
    NodeId await_caught_up;  // Propose only once this member holds the leader's log.
    // Machines shut down once the change is done (the operator decommissions
    // what it removed).
    std::vector<NodeId> decommission;
  };
  std::deque<MembershipStep> membership_steps;
};

}  // namespace raft::sim::detail

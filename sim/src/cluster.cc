// SPDX-License-Identifier: Apache-2.0
// The simulation kernel: the event queue and loop, fault injection, and the
// public face of sim::Cluster.
#include <algorithm>

#include <fmt/format.h>

#include "cluster_state.h"

namespace raft::sim {

const char* to_string(StopReason reason) noexcept {
  switch (reason) {
    case StopReason::kDuration:
      return "duration reached";
    case StopReason::kIdle:
      return "nothing left to simulate";
    case StopReason::kEventsMax:
      return "events_max reached";
    case StopReason::kViolation:
      return "safety violation";
    case StopReason::kStorageError:
      return "storage error";
  }
  return "?";
}

namespace detail {

ClusterState::ClusterState(const Scenario& spec, const Cluster::Options& opts)
    : scenario(spec), options(opts), prng(spec.seed), trace(opts.trace) {
  const ClusterSpec& cluster = scenario.cluster;
  RAFT_ASSERT(cluster.size > 0);
  for (std::uint32_t i = 1; i <= cluster.size; ++i) base_config.voters.emplace_back(i);
  base_config.heartbeat_interval = cluster.heartbeat_interval;
  base_config.election_timeout_min = cluster.election_timeout_min;
  base_config.election_timeout_max = cluster.election_timeout_max;
  base_config.pre_vote = cluster.pre_vote;
  base_config.check_quorum = cluster.check_quorum;
  base_config.fast_failover = cluster.fast_failover;
  base_config.fast_failover_delay_max = cluster.fast_failover_delay_max;
  base_config.inflight_messages_max = cluster.inflight_messages_max;
  base_config.message_bytes_max = cluster.message_bytes_max;
  base_config.read_mode =
      cluster.read_mode == ReadPath::kLease ? ReadMode::kLease : ReadMode::kReadIndex;
  base_config.clock_drift_max = cluster.clock_drift_max;
  base_config.snapshot_trailing_entries = cluster.snapshot_trailing;
  base_config.snapshot_chunk_bytes = cluster.snapshot_chunk_bytes;
  base_config.snapshot_chunks_inflight_max = cluster.snapshot_chunks_inflight;
  // Every node's generator derives from the scenario seed (Config mixes in the id).
  base_config.random_seed = prng.next();

  defaults = scenario.network.defaults;
  for (const LinkOverride& link : scenario.network.links) {
    link_overrides[{link.from.value(), link.to.value()}] = link.link;
  }
  cut.assign(static_cast<std::size_t>(cluster.hosts()) * cluster.hosts(), 0);
  last_arrival.assign(cut.size(), Time{});
  link_free_at.assign(cut.size(), Time{});

  hosts.resize(cluster.hosts());
  for (std::uint32_t i = 0; i < cluster.hosts(); ++i) {
    hosts[i].id = NodeId{i + 1};
    SessionConfig sessions;
    sessions.timeout = scenario.sessions.timeout;
    sessions.sessions_max = static_cast<std::size_t>(scenario.sessions.sessions_max);
    hosts[i].kv = KvStore{sessions};
    if (scenario.disk.log == DiskSpec::Log::kWal) {
      const Status status = hosts[i].disk.use_wal();
      RAFT_ASSERT_MSG(status.ok(), "an empty write-ahead log must open");
    }
    start_node(hosts[i]);
  }
  for (std::uint64_t i = 0; i < scenario.faults.size(); ++i) {
    schedule(Time{} + scenario.faults[i].at, EventType::kFault, 0, i);
  }
  start_clients();
}

void ClusterState::push(QueuedEvent event) {
  event.seq = seq++;
  queue.push(event);
}

void ClusterState::schedule(Time time, EventType type, std::uint32_t target, std::uint64_t data,
                            std::uint32_t aux) {
  RAFT_ASSERT(time >= now);
  push(QueuedEvent{time, 0, type, target, aux, data, 0});
}

void ClusterState::schedule_host(Host& host, Time time, EventType type, std::uint64_t data,
                                 std::uint32_t aux) {
  RAFT_ASSERT(time >= now);
  push(QueuedEvent{time, 0, type, static_cast<std::uint32_t>(host.id.value()), aux, data,
                   host.incarnation});
}

void ClusterState::record(NodeId node, TraceBody body) {
  TraceEvent event{now, node, std::move(body)};
  if (options.recent_events > 0) {
    if (recent.size() < options.recent_events) {
      recent.push_back(event);
    } else {
      recent[recent_next] = event;
      recent_next = (recent_next + 1) % recent.size();
    }
  }
  trace.record(std::move(event));
}

StopReason ClusterState::run_until(Time end) {
  while (!queue.empty()) {
    if (!checker.ok()) return StopReason::kViolation;
    if (storage_failed) return StopReason::kStorageError;
    if (events >= scenario.events_max) return StopReason::kEventsMax;
    const QueuedEvent event = queue.top();
    if (event.time > end) {
      now = end;
      return StopReason::kDuration;
    }
    queue.pop();
    now = event.time;
    ++events;
    dispatch(event);
  }
  if (!checker.ok()) return StopReason::kViolation;
  now = std::max(now, end);
  return StopReason::kIdle;
}

void ClusterState::dispatch(const QueuedEvent& event) {
  const auto host_of = [&]() -> Host* {
    Host& h = hosts[event.target - 1];
    return h.incarnation == event.incarnation ? &h : nullptr;
  };
  switch (event.type) {
    case EventType::kDeliver:
      deliver(hosts[event.target - 1], event.data);
      return;
    case EventType::kWake:
      if (Host* h = host_of(); h != nullptr && event.data == h->wake_generation) {
        h->wake_at = kTimeNever;
        drive(*h);
      }
      return;
    case EventType::kDiskDone:
      if (Host* h = host_of(); h != nullptr && event.data == h->persist_generation) {
        if (h->paused) {
          h->disk_done = true;
        } else {
          finish_ready(*h);
          drive(*h);
        }
      }
      return;
    case EventType::kPeerDown:
      if (Host* h = host_of(); h != nullptr && h->up()) {
        if (h->paused || h->in_flight) {
          h->inbox.push_back(InboxItem{{}, NodeId{event.aux}});
        } else {
          h->node->tick(local_time(*h));
          h->node->peer_down(NodeId{event.aux});
          drive(*h);
        }
      }
      return;
    case EventType::kFault:
      apply_fault(scenario.faults[event.data]);
      return;
    case EventType::kFaultEnd:
      end_fault(event.data);
      return;
    case EventType::kServiceReady:
      if (Host* h = host_of(); h != nullptr && event.data == h->service_generation) {
        set_service(*h, h->service == ServiceRecord::Phase::kStarting
                            ? ServiceRecord::Phase::kLoading
                            : ServiceRecord::Phase::kServing);
        drive(*h);  // Serve what was held.
      }
      return;
    case EventType::kClientTick:
      client_tick(clients[event.target]);
      return;
    case EventType::kClientTimeout:
      on_timeout(clients[event.target], event.data);
      return;
    case EventType::kClientRetry:
      if (clients[event.target].serial == event.data) start_attempt(clients[event.target]);
      return;
    case EventType::kRequestArrive: {
      ClientRequest request = std::move(*request_slots[event.data]);
      request_slots[event.data].reset();
      free_request_slots.push_back(event.data);
      Host& h = hosts[event.target - 1];
      if (h.process == Host::Process::kMachineLost) return;  // Silence: the client times out.
      if (!h.up()) {
        reply(ClientReply{request.client,
                          request.serial,
                          ClientReply::Kind::kRefused,
                          h.id,
                          {},
                          {},
                          "connection refused",
                          {},
                          {}});
        return;
      }
      if (h.paused || h.in_flight) {
        h.client_inbox.push_back(std::move(request));
        return;
      }
      handle_request(h, std::move(request));
      drive(h);
      return;
    }
    case EventType::kReplyArrive: {
      ClientReply reply_message = std::move(*reply_slots[event.data]);
      reply_slots[event.data].reset();
      free_reply_slots.push_back(event.data);
      on_reply(clients[event.target], reply_message);
      return;
    }
  }
  RAFT_UNREACHABLE();
}

NodeId ClusterState::current_leader() const {
  NodeId leader;
  Term best;
  for (const Host& h : hosts) {
    if (!h.up() || !h.node || h.node->role() != Role::kLeader) continue;
    if (!leader.valid() || h.node->term() > best) {
      leader = h.id;
      best = h.node->term();
    }
  }
  return leader;
}

NodeId ClusterState::resolve(const NodeSelector& selector) const {
  switch (selector.kind) {
    case NodeSelector::Kind::kId:
      return selector.id;
    case NodeSelector::Kind::kAuto:
      return NodeId::none();  // The leader chooses.
    case NodeSelector::Kind::kLeader:
      return current_leader();
    case NodeSelector::Kind::kFollower: {
      // A follower is a member: spares and removed machines do not count.
      const NodeId leader = current_leader();
      const Host* leading = leader.valid() ? &hosts[leader.value() - 1] : nullptr;
      for (const Host& h : hosts) {
        if (!h.up() || h.id == leader) continue;
        const bool member = leading != nullptr && leading->up()
                                ? leading->node->membership().contains(h.id)
                                : h.id.value() <= scenario.cluster.size;
        if (member) return h.id;
      }
      return NodeId::none();
    }
  }
  return NodeId::none();
}

namespace {

std::string node_list(const std::vector<NodeId>& nodes) {
  std::string text;
  for (const NodeId node : nodes) {
    if (!text.empty()) text += ",";
    text += std::to_string(node.value());
  }
  return text;
}

}  // namespace

void ClusterState::apply_fault(const FaultSpec& fault) {
  const std::uint32_t n = scenario.cluster.hosts();
  FaultRecord fault_record{fault.kind, {}, {}, fault.duration.value_or(Duration{}), {}};
  const NodeId target = resolve(fault.target);
  const auto single = [&](const char* verb) -> Host* {
    if (!target.valid()) {
      fault_record.description = fmt::format("{}: no node matches (no leader?)", verb);
      this->record(NodeId::none(), fault_record);
      return nullptr;
    }
    fault_record.nodes = {target};
    return &host(target);
  };
  switch (fault.kind) {
    case FaultKind::kCrash:
    case FaultKind::kMachineLoss: {
      const bool silent = fault.kind == FaultKind::kMachineLoss;
      Host* h = single(silent ? "machine loss" : "crash");
      if (h == nullptr || !h->up()) return;
      fault_record.description =
          fmt::format("{} node {}{}", silent ? "machine of" : "crash", target.value(),
                      silent ? " lost (silent)" : " (process killed)");
      if (fault.duration) {
        fault_record.description +=
            fmt::format(", restart in {} ms",
                        std::chrono::duration<double, std::milli>(*fault.duration).count());
      }
      this->record(target, fault_record);
      crash(*h, silent);
      if (fault.duration) {
        fault_ends.push_back({FaultKind::kRestart, target});
        schedule(now + *fault.duration, EventType::kFaultEnd, 0, fault_ends.size() - 1);
      }
      return;
    }
    case FaultKind::kRestart: {
      Host* h = single("restart");
      if (h == nullptr || h->up()) return;
      fault_record.description = fmt::format("restart node {}", target.value());
      this->record(target, fault_record);
      restart(*h);
      return;
    }
    case FaultKind::kPause: {
      Host* h = single("pause");
      if (h == nullptr || !h->up() || h->paused) return;
      fault_record.description = fmt::format("pause node {}", target.value());
      this->record(target, fault_record);
      pause(*h);
      if (fault.duration) {
        fault_ends.push_back({FaultKind::kResume, target});
        schedule(now + *fault.duration, EventType::kFaultEnd, 0, fault_ends.size() - 1);
      }
      return;
    }
    case FaultKind::kResume: {
      Host* h = single("resume");
      if (h == nullptr || !h->paused) return;
      fault_record.description = fmt::format("resume node {}", target.value());
      this->record(target, fault_record);
      resume(*h);
      return;
    }
    case FaultKind::kPartition: {
      std::vector<std::uint32_t> group_of(n + 1, 0);
      std::uint32_t group_count = 0;
      for (const auto& group : fault.groups) {
        ++group_count;
        std::uint32_t members = 0;
        for (const NodeSelector& selector : group) {
          const NodeId node = resolve(selector);
          if (!node.valid() || group_of[node.value()] != 0) continue;
          group_of[node.value()] = group_count;
          fault_record.nodes.push_back(node);
          ++members;
        }
        fault_record.groups.push_back(members);
      }
      // Nodes not named are each alone.
      for (std::uint32_t i = 1; i <= n; ++i) {
        if (group_of[i] == 0) {
          group_of[i] = ++group_count;
          fault_record.nodes.emplace_back(i);
          fault_record.groups.push_back(1);
        }
      }
      for (std::uint32_t a = 1; a <= n; ++a) {
        for (std::uint32_t b = 1; b <= n; ++b) {
          cut[(a - 1) * n + (b - 1)] = group_of[a] != group_of[b] ? 1 : 0;
        }
      }
      std::string text;
      std::size_t offset = 0;
      for (const std::uint32_t size : fault_record.groups) {
        text +=
            "[" +
            node_list({fault_record.nodes.begin() + static_cast<std::ptrdiff_t>(offset),
                       fault_record.nodes.begin() + static_cast<std::ptrdiff_t>(offset + size)}) +
            "]";
        offset += size;
      }
      fault_record.description = "partition " + text;
      this->record(NodeId::none(), fault_record);
      return;
    }
    case FaultKind::kPartitionOneWay: {
      if (fault.groups.size() < 2 || fault.groups[0].empty()) return;
      const NodeId from = resolve(fault.groups[0][0]);
      if (!from.valid()) return;
      std::vector<NodeId> to;
      for (const NodeSelector& selector : fault.groups[1]) {
        const NodeId node = resolve(selector);
        if (node.valid() && node != from) {
          to.push_back(node);
          cut[(from.value() - 1) * n + (node.value() - 1)] = 1;
        }
      }
      fault_record.nodes = {from};
      fault_record.nodes.insert(fault_record.nodes.end(), to.begin(), to.end());
      fault_record.groups = {1, static_cast<std::uint32_t>(to.size())};
      fault_record.description =
          fmt::format("cut {} -> [{}] (one way)", from.value(), node_list(to));
      this->record(from, fault_record);
      return;
    }
    case FaultKind::kIsolate: {
      Host* h = single("isolate");
      if (h == nullptr) return;
      for (std::uint32_t other = 1; other <= n; ++other) {
        if (other == target.value()) continue;
        cut[(target.value() - 1) * n + (other - 1)] = 1;
        cut[(other - 1) * n + (target.value() - 1)] = 1;
      }
      fault_record.description = fmt::format("isolate node {}", target.value());
      this->record(target, fault_record);
      return;
    }
    case FaultKind::kHeal:
      std::ranges::fill(cut, 0);
      fault_record.description = "heal: every partition removed";
      this->record(NodeId::none(), fault_record);
      return;
    case FaultKind::kSlowDisk: {
      Host* h = single("slow-disk");
      if (h == nullptr) return;
      h->fsync_extra = fault.extra_latency;
      fault_record.duration = fault.extra_latency;
      fault_record.description =
          fmt::format("slow disk on node {}: +{} ms per fsync", target.value(),
                      std::chrono::duration<double, std::milli>(fault.extra_latency).count());
      this->record(target, fault_record);
      if (fault.duration) {
        fault_ends.push_back({FaultKind::kDiskRecovered, target});
        schedule(now + *fault.duration, EventType::kFaultEnd, 0, fault_ends.size() - 1);
      }
      return;
    }
    case FaultKind::kDiskRecovered: {
      Host* h = single("disk-recovered");
      if (h == nullptr) return;
      h->fsync_extra = Duration{};
      fault_record.description = fmt::format("disk of node {} back to normal", target.value());
      this->record(target, fault_record);
      return;
    }
    case FaultKind::kClockDrift: {
      Host* h = single("clock-drift");
      if (h == nullptr) return;
      h->anchor_local = local_time(*h);
      h->anchor_global = now;
      h->clock_rate = fault.clock_rate;
      fault_record.description =
          fmt::format("clock of node {} runs at {:.3f}x", target.value(), fault.clock_rate);
      this->record(target, fault_record);
      if (h->up() && !h->paused) schedule_wake(*h);
      return;
    }
    case FaultKind::kTransferLeadership: {
      const NodeId leader = current_leader();
      fault_record.nodes = {target};
      if (!leader.valid()) {
        fault_record.description = "leadership transfer: no leader to hand over";
        this->record(NodeId::none(), fault_record);
        return;
      }
      fault_record.description =
          target.valid()
              ? fmt::format("leader {} hands over to node {}", leader.value(), target.value())
              : fmt::format("leader {} hands over to its most caught-up voter", leader.value());
      this->record(leader, fault_record);
      Host& h = host(leader);
      h.transfer_to = target;
      h.transfer_pending = true;
      drive(h);  // Asked at the host's next turn: now, unless it is busy.
      return;
    }
    case FaultKind::kMembershipChange:
      request_membership_change(fault, std::move(fault_record));
      return;
    case FaultKind::kNetworkChange:
      if (fault.network) defaults = *fault.network;
      fault_record.description =
          fmt::format("network: latency {}, loss {}, duplicate {}", defaults.latency.to_string(),
                      defaults.loss, defaults.duplicate);
      // Only when set: the description is in the trace hash of older scenarios.
      if (defaults.bandwidth > 0) {
        fault_record.description += fmt::format(", bandwidth {} B/s", defaults.bandwidth);
      }
      this->record(NodeId::none(), fault_record);
      return;
  }
}

void ClusterState::end_fault(std::uint64_t index) {
  const FaultEnd end = fault_ends[index];
  FaultSpec fault;
  fault.kind = end.kind;
  fault.target = NodeSelector{NodeSelector::Kind::kId, end.node};
  apply_fault(fault);
}

}  // namespace detail

// ---------------------------------------------------------------------------
// sim::Cluster

Cluster::Cluster(const Scenario& scenario) : Cluster(scenario, Options{}) {}
Cluster::Cluster(const Scenario& scenario, const Options& options)
    : state_(std::make_unique<detail::ClusterState>(scenario, options)) {}
Cluster::Cluster(Cluster&&) noexcept = default;
Cluster& Cluster::operator=(Cluster&&) noexcept = default;
Cluster::~Cluster() = default;

StopReason Cluster::run() { return run_until(Time{} + state_->scenario.duration); }
StopReason Cluster::run_until(Time end) { return state_->run_until(end); }
void Cluster::inject(const FaultSpec& fault) { state_->apply_fault(fault); }
Time Cluster::now() const noexcept { return state_->now; }
const Scenario& Cluster::scenario() const noexcept { return state_->scenario; }
const Trace& Cluster::trace() const noexcept { return state_->trace; }
const History& Cluster::history() const noexcept { return state_->history; }
const StateChecker& Cluster::checker() const noexcept { return state_->checker; }
std::uint64_t Cluster::events_processed() const noexcept { return state_->events; }
std::vector<TraceEvent> Cluster::recent_events() const {
  const auto& ring = state_->recent;
  std::vector<TraceEvent> ordered;
  ordered.reserve(ring.size());
  for (std::size_t i = 0; i < ring.size(); ++i) {
    ordered.push_back(ring[(state_->recent_next + i) % ring.size()]);
  }
  return ordered;
}
NodeId Cluster::leader() const noexcept { return state_->current_leader(); }
const Node* Cluster::node(NodeId id) const noexcept {
  if (!id.valid() || id.value() > state_->hosts.size()) return nullptr;
  const detail::Host& h = state_->hosts[id.value() - 1];
  return h.up() && h.node ? &*h.node : nullptr;
}
std::uint32_t Cluster::size() const noexcept { return state_->scenario.cluster.hosts(); }
std::uint64_t Cluster::acknowledged_writes() const noexcept { return state_->acknowledged; }
std::uint64_t Cluster::retries_deduplicated() const noexcept { return state_->deduplicated; }
NetworkStats Cluster::network_stats() const noexcept { return state_->network_stats; }
const DiskStats& Cluster::disk_stats() const noexcept { return state_->disk_stats; }

}  // namespace raft::sim

// SPDX-License-Identifier: Apache-2.0
// Simulated clients: the seed's request loops with their retry policies, a
// multi-endpoint client that moves on after a failure, leader-hint following,
// and the history the linearizability checker reads.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "cluster_state.h"

namespace raft::sim::detail {
namespace {

constexpr std::uint32_t kRedirectsMax = 3;  // Per attempt, so a stale hint cannot loop.

Duration scaled(Duration base, double factor) {
  return Duration{
      static_cast<Duration::rep>(std::llround(static_cast<double>(base.count()) * factor))};
}

// Unique per client; the client id in the high bits keeps them unique overall.
std::uint64_t new_serial(Client& client) {
  return (static_cast<std::uint64_t>(client.id) << 40U) | ++client.serials;
}

Duration uniform(Prng& prng, Duration min, Duration max) {
  if (max <= min) return min;
  return min + Duration{static_cast<Duration::rep>(
                   prng.uniform(static_cast<std::uint64_t>((max - min).count())))};
}

}  // namespace

void ClusterState::start_clients() {
  std::uint32_t next_id = 0;
  for (const ClientSpec& spec : scenario.clients) {
    for (std::uint32_t i = 0; i < spec.count; ++i) {
      Client client;
      client.id = next_id++;
      client.spec = &spec;
      client.prng = Prng{prng.next()};
      client.endpoints = spec.endpoints;
      if (client.endpoints.empty()) {
        for (const Host& h : hosts) client.endpoints.push_back(h.id);
      }
      // Spread clients over their endpoints, as a load balancer would.
      client.endpoint = client.id % client.endpoints.size();
      client.stop = spec.stop ? Time{} + *spec.stop : Time{} + scenario.duration;
      clients.push_back(std::move(client));
    }
  }
  for (Client& client : clients) {
    schedule(Time{} + client.spec->start, EventType::kClientTick, client.id);
  }
}

void ClusterState::client_tick(Client& client) {
  const ClientSpec& spec = *client.spec;
  if (now >= client.stop) return;
  if (spec.mode == ClientSpec::Mode::kInterval) {
    schedule(now + spec.interval, EventType::kClientTick, client.id);
  }
  if (client.busy) return;  // The previous operation is still retrying.
  client.busy = true;
  ++client.op_counter;
  client.attempt = 0;
  client.previous_backoff = Duration{};
  client.registering = false;
  client.op_recorded = false;
  client.maybe_applied = false;
  client.kind = client.prng.chance(spec.read_ratio) ? OpKind::kRead : OpKind::kWrite;
  client.key = fmt::format("k{}", client.prng.uniform(spec.keys));
  start_attempt(client);
}

bool ClusterState::through_session(const Client& client) const {
  // Reads change nothing, so a repeated read needs no session (thesis §6.3
  // lets read-only queries bypass it).
  return client.spec->sessions && client.kind == OpKind::kWrite;
}

void ClusterState::start_attempt(Client& client) {
  const ClientSpec& spec = *client.spec;
  if (client.serial == 0) client.serial = new_serial(client);
  client.redirects = 0;
  // A write through a session needs one first: RegisterClient (thesis §6.3).
  client.registering = through_session(client) && client.session == 0;
  if (client.registering) {
    // Not an operation of the history: it changes no key.
  } else if (through_session(client) && client.op_recorded) {
    // A retry under a session is the same command (same sequence, same
    // value): the state machine applies it at most once, so the history
    // holds one operation from the first invoke to the last answer.
    Operation& op = history[client.history_slot];
    op.outcome = OpOutcome::kUnknown;
    op.complete = Time{};
  } else {
    Operation op;
    op.id = client.serial;
    op.client = client.id;
    op.kind = client.kind;
    op.key = client.key;
    if (client.kind == OpKind::kWrite) {
      op.value = fmt::format("c{}-{}-{}", client.id, client.op_counter, client.attempt);
      // Large values (a large state to snapshot); the unique tag stays first.
      if (op.value.size() < spec.value_bytes) op.value.resize(spec.value_bytes, '.');
    }
    op.invoke = now;
    client.history_slot = history.size();
    history.push_back(std::move(op));
    client.op_recorded = true;
  }
  client.target = client.leader_hint.valid() && spec.follow_leader_hint
                      ? client.leader_hint
                      : client.endpoints[client.endpoint];
  schedule(now + spec.timeout, EventType::kClientTimeout, client.id, client.serial);
  send_attempt(client);
}

void ClusterState::send_attempt(Client& client) {
  std::uint64_t slot;
  if (!free_request_slots.empty()) {
    slot = free_request_slots.back();
    free_request_slots.pop_back();
  } else {
    slot = request_slots.size();
    request_slots.emplace_back();
  }
  if (client.registering) {
    ClientRequest request;
    request.client = client.id;
    request.serial = client.serial;
    request.session = ClientRequest::Session::kRegister;
    request_slots[slot] = std::move(request);
    schedule(now + client_latency(), EventType::kRequestArrive,
             static_cast<std::uint32_t>(client.target.value()), slot);
    return;
  }
  const Operation& op = history[client.history_slot];
  record(client.target, ClientRecord{client.id,
                                     op.id,
                                     op.kind,
                                     ClientRecord::Phase::kInvoke,
                                     client.target,
                                     client.attempt,
                                     op.key,
                                     op.value,
                                     {}});
  ClientRequest request{client.id, client.serial,
                        KvCommand{op.id, op.kind, client.id, client.op_counter, op.key, op.value}};
  if (through_session(client)) {
    // The sequence is the client's operation number, the same for every
    // retry. One operation at a time: every earlier one is answered or
    // abandoned, so the table may drop their replies.
    request.session = ClientRequest::Session::kRequest;
    request.session_id = client.session;
    request.sequence = client.op_counter;
    request.first_outstanding = client.op_counter;
  }
  request_slots[slot] = std::move(request);
  schedule(now + client_latency(), EventType::kRequestArrive,
           static_cast<std::uint32_t>(client.target.value()), slot);
}

void ClusterState::on_reply(Client& client, const ClientReply& reply) {
  if (reply.serial != client.serial || client.serial == 0) return;  // A late answer.
  switch (reply.kind) {
    case ClientReply::Kind::kOk:
      client.leader_hint = reply.from;
      if (client.registering) {
        // Registered: now send the write itself, at once.
        client.session = reply.session;
        client.registering = false;
        client.serial = 0;
        start_attempt(client);
        return;
      }
      finish_attempt(client, ClientRecord::Phase::kOk, OpOutcome::kOk, reply.value, {});
      operation_done(client);
      return;
    case ClientReply::Kind::kNotLeader:
      if (client.spec->follow_leader_hint && reply.hint.valid() && reply.hint != reply.from &&
          client.redirects < kRedirectsMax) {
        // A redirect is part of one attempt: go straight to the named leader.
        ++client.redirects;
        client.leader_hint = reply.hint;
        client.target = reply.hint;
        send_attempt(client);
        return;
      }
      client.leader_hint = NodeId::none();
      finish_attempt(client, ClientRecord::Phase::kFail, OpOutcome::kFail, {}, reply.error);
      break;
    case ClientReply::Kind::kUnavailable:
    case ClientReply::Kind::kRefused:
      if (reply.kind == ClientReply::Kind::kRefused) client.leader_hint = NodeId::none();
      finish_attempt(client, ClientRecord::Phase::kFail, OpOutcome::kFail, {}, reply.error);
      break;
    case ClientReply::Kind::kUnknown:
      client.leader_hint = NodeId::none();
      finish_attempt(client, ClientRecord::Phase::kFail, OpOutcome::kUnknown, {}, reply.error);
      break;
    case ClientReply::Kind::kSessionExpired: {
      // Thesis §6.3: the session is gone, and with it the saved reply. This
      // attempt was not applied; if no earlier one can have been either, the
      // write may go again under a new session, else its outcome stays unknown.
      client.session = 0;
      const bool give_up = client.maybe_applied;
      finish_attempt(client, ClientRecord::Phase::kFail, OpOutcome::kFail, {}, reply.error);
      if (give_up) {
        operation_done(client);
        return;
      }
      break;
    }
  }
  retry_or_give_up(client);
}

void ClusterState::on_timeout(Client& client, std::uint64_t serial) {
  if (client.serial != serial || serial == 0) return;
  client.leader_hint = NodeId::none();
  finish_attempt(client, ClientRecord::Phase::kTimeout, OpOutcome::kUnknown, {},
                 "no answer within the timeout");
  retry_or_give_up(client);
}

void ClusterState::finish_attempt(Client& client, ClientRecord::Phase phase, OpOutcome outcome,
                                  const std::string& value, const std::string& error) {
  if (client.registering) {
    client.serial = 0;  // A registration is not an operation: nothing to record.
    return;
  }
  if (through_session(client)) {
    // One operation across its attempts: once an attempt may have been
    // applied, a later refusal cannot make the operation a definite failure.
    if (outcome == OpOutcome::kUnknown) client.maybe_applied = true;
    if (outcome == OpOutcome::kFail && client.maybe_applied) outcome = OpOutcome::kUnknown;
  }
  Operation& op = history[client.history_slot];
  op.complete = now;
  op.outcome = outcome;
  if (op.kind == OpKind::kRead && outcome == OpOutcome::kOk) op.value = value;
  record(client.target, ClientRecord{client.id, op.id, op.kind, phase, client.target,
                                     client.attempt, op.key, op.value, error});
  client.serial = 0;
}

void ClusterState::retry_or_give_up(Client& client) {
  const ClientSpec& spec = *client.spec;
  // The multi-endpoint client moves to its next host after a failure.
  client.endpoint = (client.endpoint + 1) % client.endpoints.size();
  ++client.attempt;
  if (spec.retry.policy == RetrySpec::Policy::kNone || client.attempt >= spec.retry.attempts_max ||
      now >= client.stop) {
    operation_done(client);
    return;
  }
  const Duration wait = backoff(client);
  // Reserve the next attempt's serial now: it guards the retry event, and no
  // reply can carry it before the attempt is sent.
  client.serial = new_serial(client);
  schedule(now + wait, EventType::kClientRetry, client.id, client.serial);
}

void ClusterState::operation_done(Client& client) {
  client.busy = false;
  if (client.spec->mode == ClientSpec::Mode::kClosedLoop) {
    schedule(now + client.spec->interval, EventType::kClientTick, client.id);
  }
}

Duration ClusterState::backoff(Client& client) {
  const RetrySpec& retry = client.spec->retry;
  if (retry.policy == RetrySpec::Policy::kFixed) return retry.base;
  // Attempt n (n >= 1) waits base * multiplier^(n-1), capped.
  const double growth = std::pow(retry.multiplier, static_cast<double>(client.attempt - 1));
  const Duration raw = std::min(retry.cap, scaled(retry.base, std::min(growth, 1e9)));
  Duration wait = raw;
  switch (retry.jitter) {
    case RetrySpec::Jitter::kNone:
      break;
    case RetrySpec::Jitter::kFull:
      wait = uniform(client.prng, Duration{}, raw);
      break;
    case RetrySpec::Jitter::kEqual:
      wait = raw / 2 + uniform(client.prng, Duration{}, raw / 2);
      break;
    case RetrySpec::Jitter::kDecorrelated: {
      const Duration previous =
          client.previous_backoff > Duration{} ? client.previous_backoff : retry.base;
      wait = std::min(retry.cap, uniform(client.prng, retry.base, previous * 3));
      break;
    }
    case RetrySpec::Jitter::kProportional:
      wait = scaled(raw, 1.0 + retry.jitter_fraction * (2.0 * client.prng.uniform_real() - 1.0));
      break;
    case RetrySpec::Jitter::kAdditive:
      wait = raw + uniform(client.prng, Duration{}, retry.additive_max);
      break;
  }
  client.previous_backoff = wait;
  return std::max(wait, Duration{});
}

}  // namespace raft::sim::detail

// SPDX-License-Identifier: Apache-2.0
// The server's requests: proposals waiting for their entry's apply, reads waiting for their
// confirmation and then for the apply of their read index, their deadlines, and the status
// view. Every handler is called once, through completions_, when the node is between Readys.
#include <utility>

#include <fmt/format.h>

#include "server_impl.h"

namespace raft::transport {

void Server::Impl::set_log_handler(std::function<void(std::string_view)> handler) {
  log_handler_ = std::move(handler);
  if (!log_handler_) return;
  for (const std::string& line : early_log_) log_handler_(line);
  early_log_.clear();
}

void Server::Impl::log(std::string_view line) {
  if (log_handler_) {
    log_handler_(line);
  } else if (early_log_.size() < 1024) {
    early_log_.emplace_back(line);  // Recovery notes from open(), before on_log() was called.
  }
}

Status Server::Impl::admit_request() const {
  if (stopped_) {
    return health_.ok() ? Status{ErrorCode::kStopped, "the server is shutting down"} : health_;
  }
  if (proposals_.size() + reads_.size() >= options_.pending_max) {
    return {ErrorCode::kProposalDropped,
            fmt::format("{} requests are already waiting (ServerOptions::pending_max)",
                        options_.pending_max)};
  }
  return {};
}

void Server::Impl::propose(Payload command, ProposeHandler done) {
  ++metrics_.proposals;
  if (Status admitted = admit_request(); !admitted.ok()) {
    ++metrics_.proposals_failed;
    done(std::move(admitted));
    return;
  }
  node_->tick(now());
  Result<Index> index = node_->propose(std::move(command));
  if (!index.ok()) {
    ++metrics_.proposals_failed;
    done(index.status());
    return;
  }
  const SteadyTime started = std::chrono::steady_clock::now();
  const std::uint64_t serial = ++next_serial_;
  // An index can come back only after the entry there was replaced, which fails the old
  // proposal first (complete_proposal) or on the step-down before it (on_event).
  proposals_.insert_or_assign(*index,
                              PendingProposal{serial, node_->term(), started, std::move(done)});
  deadlines_.push_back(Deadline{started + options_.request_timeout, false, index->value(), serial});
  schedule_drain();
}

void Server::Impl::read(ReadHandler done) {
  ++metrics_.reads;
  if (Status admitted = admit_request(); !admitted.ok()) {
    ++metrics_.reads_failed;
    done(std::move(admitted));
    return;
  }
  node_->tick(now());
  const std::uint64_t id = ++next_read_id_;
  if (Status asked = node_->read_index(id); !asked.ok()) {
    ++metrics_.reads_failed;
    done(std::move(asked));
    return;
  }
  reads_.emplace(id, std::move(done));
  deadlines_.push_back(
      Deadline{std::chrono::steady_clock::now() + options_.request_timeout, true, id, 0});
  schedule_drain();
}

Status Server::Impl::transfer_leadership(NodeId target) {
  if (stopped_) return {ErrorCode::kStopped, "the server is shutting down"};
  node_->tick(now());
  Status status = node_->transfer_leadership(target);
  schedule_drain();
  return status;
}

void Server::Impl::complete_proposal(const Entry& entry, std::string reply) {
  auto it = proposals_.find(entry.index);
  if (it == proposals_.end()) return;
  PendingProposal pending = std::move(it->second);
  proposals_.erase(it);
  if (entry.term != pending.term) {
    // Another leader's entry committed at this index, so ours is not in the log and never
    // will be (Log Matching, Raft §5.3): a definite "not applied".
    ++metrics_.proposals_failed;
    completions_.emplace_back([done = std::move(pending.done), term = entry.term] {
      done(
          Status{ErrorCode::kProposalDropped,
                 fmt::format("replaced by an entry of term {} before it committed", term.value())});
    });
    return;
  }
  metrics_.commit_latency.observe(std::chrono::steady_clock::now() - pending.started);
  completions_.emplace_back([done = std::move(pending.done),
                             result = ProposeResult{entry.index, entry.term, std::move(reply)}] {
    done(std::move(result));
  });
}

void Server::Impl::on_read_state(const ReadState& read) {
  for (const std::uint64_t id : read.request_ids) {
    if (!reads_.contains(id)) continue;  // Timed out already.
    if (read.ok()) {
      confirmed_reads_.emplace(read.index, id);
      continue;
    }
    auto node = reads_.extract(id);
    ++metrics_.reads_failed;
    completions_.emplace_back(
        [done = std::move(node.mapped()), status = read.status()] { done(status); });
  }
}

void Server::Impl::serve_confirmed_reads() {
  // Thesis §6.4 step 4: serve once the state machine has applied up to the read index.
  while (!confirmed_reads_.empty() && confirmed_reads_.begin()->first <= applied_) {
    const std::uint64_t id = confirmed_reads_.begin()->second;
    confirmed_reads_.erase(confirmed_reads_.begin());
    auto node = reads_.extract(id);
    if (node.empty()) continue;  // Timed out while waiting for the apply.
    completions_.emplace_back([done = std::move(node.mapped())] { done(Status{}); });
  }
}

void Server::Impl::fail_proposals_through(Index index, const Status& status) {
  while (!proposals_.empty() && proposals_.begin()->first <= index) {
    ++metrics_.proposals_failed;
    completions_.emplace_back(
        [done = std::move(proposals_.begin()->second.done), status] { done(status); });
    proposals_.erase(proposals_.begin());
  }
}

void Server::Impl::fail_all_proposals(const Status& status) {
  for (auto& [index, pending] : proposals_) {
    ++metrics_.proposals_failed;
    completions_.emplace_back([done = std::move(pending.done), status] { done(status); });
  }
  proposals_.clear();
}

void Server::Impl::fail_all(const Status& status) {
  fail_all_proposals(
      status.code() == ErrorCode::kStopped
          ? Status{ErrorCode::kCommitUnknown, "the server shut down before the proposal committed"}
          : status);
  for (auto& [id, done] : reads_) {
    ++metrics_.reads_failed;
    completions_.emplace_back([done = std::move(done), status] { done(status); });
  }
  reads_.clear();
  confirmed_reads_.clear();
  deadlines_.clear();
}

void Server::Impl::expire_requests(SteadyTime now) {
  while (!deadlines_.empty() && deadlines_.front().when <= now) {
    const Deadline deadline = deadlines_.front();
    deadlines_.pop_front();
    if (deadline.is_read) {
      auto node = reads_.extract(deadline.key);
      if (node.empty()) continue;
      ++metrics_.reads_failed;
      completions_.emplace_back([done = std::move(node.mapped()), this] {
        done(Status{ErrorCode::kTimeout,
                    fmt::format("not confirmed within {} ms", options_.request_timeout.count())});
      });
      continue;
    }
    auto it = proposals_.find(Index{deadline.key});
    if (it == proposals_.end() || it->second.serial != deadline.serial) continue;
    ++metrics_.proposals_failed;
    // It is in the log: it may still commit.
    completions_.emplace_back([done = std::move(it->second.done), this] {
      done(Status{ErrorCode::kCommitUnknown, fmt::format("appended but not committed within {} ms",
                                                         options_.request_timeout.count())});
    });
    proposals_.erase(it);
  }
}

std::optional<Server::Impl::SteadyTime> Server::Impl::earliest_request_deadline() {
  // Drop the answered requests at the front so the timer is not armed for them.
  while (!deadlines_.empty()) {
    const Deadline& front = deadlines_.front();
    const bool pending = front.is_read ? reads_.contains(front.key) : [&] {
      auto it = proposals_.find(Index{front.key});
      return it != proposals_.end() && it->second.serial == front.serial;
    }();
    if (pending) return front.when;
    deadlines_.pop_front();
  }
  return std::nullopt;
}

void Server::Impl::run_completions() {
  // A handler may call propose()/read() and so add completions: take the batch first.
  while (!completions_.empty()) {
    std::vector<std::function<void()>> batch;
    batch.swap(completions_);
    for (auto& completion : batch) completion();
  }
}

ServerStatus Server::Impl::status() const {
  ServerStatus status;
  status.id = options_.id;
  status.role = node_->role();
  status.term = node_->term();
  status.leader = node_->leader();
  status.commit = node_->commit_index();
  status.applied = applied_;
  status.first_index = node_->first_index();
  status.last_index = node_->last_index();
  status.snapshot_index = last_snapshot_;
  const Membership& membership = node_->membership();
  status.voters.assign(membership.voters.begin(), membership.voters.end());
  status.learners.assign(membership.learners.begin(), membership.learners.end());
  status.progress = node_->progress();
  status.pending_proposals = proposals_.size();
  status.pending_reads = reads_.size();
  for (const auto& [member, address] : options_.members) {
    if (member != options_.id) status.send_queue.emplace(member, transport_->queued(member));
  }
  status.health = health_;
  return status;
}

}  // namespace raft::transport

// SPDX-License-Identifier: Apache-2.0
#include "support/safety_checker.h"

#include <algorithm>
#include <limits>

#include <fmt/format.h>

#include "raft/format.h"

namespace raft::test {
namespace {

Status violation(std::string text) { return Status{ErrorCode::kCorruption, std::move(text)}; }

Status with_node(NodeId id, const Status& status) {
  return violation(fmt::format("node {}: {}", id, status.message()));
}

bool same_entry(const AppliedEntry& a, const AppliedEntry& b) {
  return a.index == b.index && a.term == b.term && a.type == b.type && a.payload == b.payload;
}

}  // namespace

SafetyChecker::SafetyChecker(TestCluster& cluster) : cluster_(cluster) {
  views_.resize(cluster_.size());
  cluster_.set_observer(this);
  // Nodes that already exist start their transition sequence now.
  for (const NodeId id : cluster_.ids()) {
    if (cluster_.alive(id)) fail(check_node(id));
  }
}

SafetyChecker::~SafetyChecker() { cluster_.set_observer(nullptr); }

void SafetyChecker::fail(Status status) {
  if (failure_.ok() && !status.ok()) failure_ = std::move(status);
}

void SafetyChecker::on_persisted(NodeId id, const Ready& ready) {
  if (ready.entries.empty()) return;
  const storage::MemoryLog& log = cluster_.log(id);
  const Index first = ready.entries.front().index;
  Result<Term> before = log.term(first.prev());
  if (!before.ok()) {
    fail(violation(fmt::format("node {}: no term for index {} before persisted entries: {}", id,
                               first.prev(), before.status())));
    return;
  }
  Term prev_term = before.value();
  // The committed prefix never changes (§5.4): a write at or below the commit index the node
  // had before this event may only repeat the committed entry. (The periodic full capture()
  // checks the same through the node's own view.)
  const View& view = views_[id.value() - 1];
  const Index commit_before = view.snapshot && view.incarnation == cluster_.incarnation(id)
                                  ? view.snapshot->commit
                                  : Index{};
  for (const Entry& entry : ready.entries) {
    if (entry.term < prev_term) {
      fail(violation(fmt::format("node {}: entry {} has term {} after an entry of term {}", id,
                                 entry.index, entry.term, prev_term)));
    }
    if (entry.index <= commit_before && entry.index.value() <= committed_.size() &&
        committed_[entry.index.value() - 1].term != entry.term) {
      fail(violation(fmt::format("node {}: overwrote committed index {} (term {}) with term {}", id,
                                 entry.index, committed_[entry.index.value() - 1].term,
                                 entry.term)));
    }
    const auto key = std::pair{entry.index.value(), entry.term.value()};
    auto [it, inserted] =
        written_.try_emplace(key, WrittenEntry{id, prev_term, entry.type, entry.payload});
    if (!inserted) {
      const WrittenEntry& earlier = it->second;
      if (earlier.prev_term != prev_term) {
        fail(violation(fmt::format(
            "Log Matching: entry {}/{} follows term {} on node {} but term {} on node {}",
            entry.index, entry.term, prev_term, id, earlier.prev_term, earlier.writer)));
      } else if (earlier.type != entry.type || !(earlier.payload == entry.payload)) {
        fail(violation(
            fmt::format("Log Matching: entry {}/{} on node {} differs from the one node {} wrote "
                        "(payload '{}' vs '{}')",
                        entry.index, entry.term, id, earlier.writer, entry.payload.as_string(),
                        earlier.payload.as_string())));
      }
    }
    prev_term = entry.term;
  }
}

void SafetyChecker::on_crash(NodeId id) {
  View& view = views_[id.value() - 1];
  view.before_crash = std::move(view.snapshot);
  view.snapshot.reset();
}

void SafetyChecker::on_restart(NodeId id) {
  View& view = views_[id.value() - 1];
  view.snapshot.reset();
  view.leader_term = Term{};
  view.leader_checked = Index{};
  if (view.before_crash && check_recovery_) fail(check_recovery(id, *view.before_crash));
  view.before_crash.reset();
}

Status SafetyChecker::check_recovery(NodeId id, const NodeSnapshot& before) const {
  // Figure 2's persistent state (currentTerm, votedFor, log[]) must survive the crash: a
  // forgotten vote allows a second vote in the same term, a lost entry a lost commit.
  const Node& node = cluster_.node(id);
  if (node.term() < before.term) {
    return violation(fmt::format("node {} restarted in term {} after reaching term {}", id,
                                 node.term(), before.term));
  }
  if (node.term() == before.term && before.voted_for.valid() &&
      node.voted_for() != before.voted_for) {
    return violation(fmt::format("node {} restarted in term {} with vote {} after voting {}", id,
                                 node.term(), node.voted_for(), before.voted_for));
  }
  for (std::size_t i = 0; i < before.committed_terms.size(); ++i) {
    const Index index{i + 1};
    if (index < node.first_index() || before.committed_terms[i] == Term{}) continue;
    Result<Term> term = node.log_term(index);
    if (!term.ok() || term.value() != before.committed_terms[i]) {
      return violation(fmt::format("node {} restarted without its committed entry {}/{}", id, index,
                                   before.committed_terms[i]));
    }
  }
  return {};
}

Status SafetyChecker::after_event() {
  if (!failure_.ok()) return failure_;
  for (const NodeId id : cluster_.ids()) {
    if (!cluster_.alive(id)) continue;
    View& view = views_[id.value() - 1];
    if (view.version != cluster_.version(id) || view.incarnation != cluster_.incarnation(id)) {
      fail(check_node(id));
    }
    // A leader must hold entries committed elsewhere even when it did not move itself.
    if (failure_.ok() && cluster_.node(id).role() == Role::kLeader) {
      fail(check_leader_completeness(id));
    }
    if (!failure_.ok()) break;
  }
  return failure_;
}

Status SafetyChecker::check_node(NodeId id) {
  View& view = views_[id.value() - 1];
  const Node& node = cluster_.node(id);
  view.version = cluster_.version(id);
  // MemoryLog never fails, so a node that stopped on a storage error is a bug.
  if (Status health = node.health(); !health.ok()) {
    return violation(fmt::format("node {} stopped: {}", id, health));
  }
  const bool same_life = view.snapshot && view.incarnation == cluster_.incarnation(id);
  NodeSnapshot now;
  if (!same_life || ++view.cheap_checks >= kFullCheckEvery) {
    // The core's checks name the node already.
    if (Status status = check_invariants(node); !status.ok()) return violation(status.message());
    now = capture(node);
    view.cheap_checks = 0;
  } else {
    if (Status status = check_invariants_cheaply(node); !status.ok()) return status;
    if (Status status = capture_incrementally(id, *view.snapshot, now); !status.ok()) {
      return status;
    }
  }
  if (same_life) {
    if (Status status = check_transition(*view.snapshot, now); !status.ok()) {
      return violation(status.message());
    }
  }
  view.snapshot = std::move(now);
  view.incarnation = cluster_.incarnation(id);

  // Election Safety (§5.2): remembered across the whole run, whoever crashed since.
  if (node.role() == Role::kLeader) {
    auto [it, inserted] = leaders_.try_emplace(node.term(), id);
    if (!inserted && it->second != id) {
      return violation(fmt::format("Election Safety: nodes {} and {} both led term {}", it->second,
                                   id, node.term()));
    }
  }
  if (Status status = record_commits(id); !status.ok()) return status;
  return check_applied(id);
}

Status SafetyChecker::check_invariants_cheaply(const Node& node) {
  // The O(1) part of raft::check_invariants; on_persisted() checks the log's terms as they
  // are written.
  const auto fail_with = [&](std::string what) {
    return violation(fmt::format("node {}: {}", node.id(), what));
  };
  const Index last = node.last_index();
  if (node.commit_index() > last) {
    return fail_with(
        fmt::format("commit index {} is past the last index {}", node.commit_index(), last));
  }
  if (node.applied_index() > node.commit_index()) {
    return fail_with(fmt::format("applied index {} is past the commit index {}",
                                 node.applied_index(), node.commit_index()));
  }
  if (node.role() == Role::kLeader &&
      (node.leader() != node.id() || node.voted_for() != node.id())) {
    return fail_with("a leader that does not lead itself or did not vote for itself");
  }
  if (node.role() == Role::kCandidate && node.voted_for() != node.id()) {
    return fail_with("a candidate that did not vote for itself");
  }
  if (last >= node.first_index()) {
    Result<Term> term = node.log_term(last);
    if (!term.ok()) return fail_with(fmt::format("last entry {}: {}", last, term.status()));
    if (term.value() > node.term()) {
      return fail_with(fmt::format("the log holds term {} but the node is in term {}", term.value(),
                                   node.term()));
    }
  }
  return {};
}

Status SafetyChecker::capture_incrementally(NodeId id, const NodeSnapshot& before,
                                            NodeSnapshot& now) const {
  const Node& node = cluster_.node(id);
  now.id = id;
  now.term = node.term();
  now.voted_for = node.voted_for();
  now.commit = node.commit_index();
  now.committed_terms = before.committed_terms;
  now.committed_terms.resize(std::min(before.committed_terms.size(), now.commit.value()));
  for (Index index = before.commit.next(); index <= now.commit; index = index.next()) {
    Result<Term> term = node.log_term(index);
    if (!term.ok()) {
      return violation(
          fmt::format("node {}: committed index {} has no term: {}", id, index, term.status()));
    }
    now.committed_terms.push_back(term.value());
  }
  return {};
}

Status SafetyChecker::record_commits(NodeId id) {
  View& view = views_[id.value() - 1];
  const Node& node = cluster_.node(id);
  const Index commit = node.commit_index();
  for (Index index = view.commit_seen.next(); index <= commit; index = index.next()) {
    Result<Term> term = node.log_term(index);
    if (!term.ok()) {
      return violation(
          fmt::format("node {}: committed index {} has no term: {}", id, index, term.status()));
    }
    if (index.value() > committed_.size()) {
      committed_.push_back({term.value(), node.term(), id});
      continue;
    }
    CommittedEntry& known = committed_[index.value() - 1];
    if (known.term != term.value()) {
      return violation(fmt::format(
          "Leader Completeness: index {} committed with term {} on node {} but term {} on "
          "node {}",
          index, known.term, known.first_seen_by, term.value(), id));
    }
    known.bound = std::min(known.bound, node.term());
  }
  view.commit_seen = std::max(view.commit_seen, commit);
  return {};
}

Status SafetyChecker::check_leader_completeness(NodeId id) {
  View& view = views_[id.value() - 1];
  const Node& node = cluster_.node(id);
  const Term term = node.term();
  if (view.leader_term != term) {
    // A leader never truncates its log within its term (§5.3), so a verified prefix stays so.
    view.leader_term = term;
    view.leader_checked = Index{};
  }
  // Bounds never decrease with the index (seeing commit i+1 is seeing commit i), so the first
  // entry committed too late for this leader ends the entries it must hold.
  while (view.leader_checked.value() < committed_.size()) {
    const Index index = view.leader_checked.next();
    const CommittedEntry& entry = committed_[index.value() - 1];
    if (entry.bound > term) break;
    Result<Term> held = node.log_term(index);
    if (!held.ok() || held.value() != entry.term) {
      return violation(fmt::format(
          "Leader Completeness: node {} leads term {} without entry {}/{} (seen committed by "
          "node {} in term {}); it holds {}",
          id, term, index, entry.term, entry.first_seen_by, entry.bound,
          held.ok() ? fmt::format("term {}", held.value()) : held.status().to_string()));
    }
    view.leader_checked = index;
  }
  return {};
}

Status SafetyChecker::check_applied(NodeId id) {
  View& view = views_[id.value() - 1];
  const auto& applied = cluster_.applied(id);
  for (; view.applied_checked < applied.size(); ++view.applied_checked) {
    const AppliedEntry& entry = applied[view.applied_checked];
    if (entry.index.value() != view.applied_checked + 1) {
      return violation(fmt::format("node {}: applied index {} in position {}", id, entry.index,
                                   view.applied_checked + 1));
    }
    if (view.applied_checked == applied_.size()) {
      applied_.emplace_back(id, entry);
      continue;
    }
    const auto& [first_node, first] = applied_[view.applied_checked];
    if (!same_entry(first, entry)) {
      return violation(fmt::format(
          "State Machine Safety: node {} applied {}/{} '{}' at index {} where node {} applied "
          "{}/{} '{}'",
          id, entry.index, entry.term, entry.payload.as_string(), entry.index, first_node,
          first.index, first.term, first.payload.as_string()));
    }
  }
  // What is applied was committed: it must agree with what was seen committed.
  if (!applied.empty()) {
    const AppliedEntry& last = applied.back();
    if (last.index.value() <= committed_.size() &&
        committed_[last.index.value() - 1].term != last.term) {
      return violation(fmt::format("node {}: applied {}/{} but {}/{} was committed", id, last.index,
                                   last.term, last.index, committed_[last.index.value() - 1].term));
    }
  }
  return {};
}

Status SafetyChecker::check_full() const {
  if (!failure_.ok()) return failure_;
  const std::vector<NodeId> ids = cluster_.ids();
  std::vector<std::vector<Entry>> logs(ids.size());
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const storage::MemoryLog& log = cluster_.log(ids[i]);
    if (log.last_index() < log.first_index()) continue;
    Status status = log.entries(log.first_index(), log.last_index().next(),
                                std::numeric_limits<std::size_t>::max(), logs[i]);
    if (!status.ok()) return with_node(ids[i], status);
  }
  for (std::size_t a = 0; a < ids.size(); ++a) {
    for (std::size_t b = a + 1; b < ids.size(); ++b) {
      if (!cluster_.alive(ids[a]) || !cluster_.alive(ids[b])) continue;
      // The highest index where both logs hold the same term: everything up to it must match.
      std::size_t common = std::min(logs[a].size(), logs[b].size());
      while (common > 0 && logs[a][common - 1].term != logs[b][common - 1].term) --common;
      for (std::size_t k = 0; k < common; ++k) {
        if (!(logs[a][k] == logs[b][k])) {
          return violation(fmt::format(
              "Log Matching: nodes {} and {} agree on {}/{} but differ at index {} ({}/{} vs "
              "{}/{})",
              ids[a], ids[b], logs[a][common - 1].index, logs[a][common - 1].term, logs[a][k].index,
              logs[a][k].index, logs[a][k].term, logs[b][k].index, logs[b][k].term));
        }
      }
    }
  }
  for (std::size_t a = 0; a < ids.size(); ++a) {
    for (std::size_t b = a + 1; b < ids.size(); ++b) {
      const auto& x = cluster_.applied(ids[a]);
      const auto& y = cluster_.applied(ids[b]);
      for (std::size_t k = 0; k < std::min(x.size(), y.size()); ++k) {
        if (!same_entry(x[k], y[k])) {
          return violation(fmt::format(
              "State Machine Safety: nodes {} and {} applied different entries at index {}", ids[a],
              ids[b], k + 1));
        }
      }
    }
  }
  return {};
}

}  // namespace raft::test

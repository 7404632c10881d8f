// SPDX-License-Identifier: Apache-2.0
#include "raft/sim/state_checker.h"

#include <fmt/format.h>

#include "raft/format.h"

namespace raft::sim {
namespace {

std::uint64_t hash_payload(const Payload& payload) {
  std::uint64_t hash = 0xcbf29ce484222325ULL;  // FNV-1a
  for (const std::byte b : payload.bytes()) {
    hash = (hash ^ std::to_integer<std::uint64_t>(b)) * 0x100000001b3ULL;
  }
  return hash;
}

}  // namespace

StateChecker::PerNode& StateChecker::per_node(NodeId node) {
  RAFT_ASSERT(node.valid());
  if (nodes_.size() < node.value()) nodes_.resize(node.value());
  return nodes_[node.value() - 1];
}

void StateChecker::fail(Time now, NodeId node, std::string property, std::string detail) {
  violations_.push_back(Violation{std::move(property), std::move(detail), now, node});
}

void StateChecker::on_persist(Time now, NodeId node, Term first_prev_term,
                              const std::vector<Entry>& entries) {
  // Log Matching by induction (Raft §5.3): if every (index, term) pair always
  // comes with the same payload and the same predecessor term, two logs that
  // share an entry share the whole prefix before it.
  Term prev_term = first_prev_term;
  for (const Entry& entry : entries) {
    const EntryFacts facts{prev_term, hash_payload(entry.payload), entry.type};
    auto [it, inserted] =
        entries_.try_emplace(EntryKey{entry.index.value(), entry.term.value()}, facts);
    if (!inserted) {
      if (it->second.payload_hash != facts.payload_hash || it->second.type != facts.type) {
        fail(now, node, "Log Matching",
             fmt::format("entry {} of term {} has a different payload than elsewhere", entry.index,
                         entry.term));
      }
      if (it->second.prev_term != prev_term) {
        fail(now, node, "Log Matching",
             fmt::format("entry {} of term {} follows term {} here but term {} elsewhere",
                         entry.index, entry.term, prev_term, it->second.prev_term));
      }
    }
    prev_term = entry.term;
  }
}

void StateChecker::on_event(Time now, const Node& node_state, const Event& event) {
  const NodeId node = node_state.id();
  PerNode& state = per_node(node);
  if (const auto* term = std::get_if<TermChanged>(&event.body)) {
    if (term->to <= state.term) {
      fail(now, node, "Monotone Term",
           fmt::format("term went from {} to {} (seen {} before)", term->from, term->to,
                       state.term));
    }
    state.term = term->to;
  } else if (const auto* role = std::get_if<RoleChanged>(&event.body)) {
    if (role->to == Role::kLeader) {
      // Election Safety (§5.2): at most one leader can be elected in a term.
      auto [it, inserted] = leaders_.try_emplace(event.term, node);
      if (!inserted && it->second != node) {
        fail(now, node, "Election Safety",
             fmt::format("nodes {} and {} both led term {}", it->second, node, event.term));
      }
      check_leader_completeness(now, node_state);
    }
  } else if (const auto* vote = std::get_if<VoteCast>(&event.body)) {
    if (vote->granted && !vote->pre_vote) {
      // §5.2: each server votes for at most one candidate in a given term.
      auto [it, inserted] = state.votes.try_emplace(vote->term, vote->candidate);
      if (!inserted && it->second != vote->candidate) {
        fail(now, node, "One Vote Per Term",
             fmt::format("voted for {} and for {} in term {}", it->second, vote->candidate,
                         vote->term));
      }
    }
  } else if (const auto* commit = std::get_if<CommitAdvanced>(&event.body)) {
    if (commit->to <= state.commit && commit->to <= commit->from) {
      fail(now, node, "Monotone Commit",
           fmt::format("commit index went from {} to {}", commit->from, commit->to));
    }
    check_commit(now, node_state, event.term, std::max(commit->from, state.commit), commit->to);
    state.commit = std::max(state.commit, commit->to);
  } else if (const auto* change = std::get_if<MembershipChanged>(&event.body)) {
    // Thesis §4: a configuration is a log entry like any other, so every
    // node that commits an index sees the same one there.
    auto [it, inserted] = memberships_.try_emplace(change->index, change->membership);
    if (!inserted && it->second != change->membership) {
      fail(now, node, "Membership Agreement",
           fmt::format("membership at {} is {} here, {} elsewhere", change->index,
                       describe(change->membership), describe(it->second)));
    }
  }
}

void StateChecker::check_membership(Time now, const Node& node) {
  // A node that committed past a membership must be using it (or a later one).
  auto it = memberships_.upper_bound(node.commit_index());
  if (it == memberships_.begin()) return;
  --it;
  if (node.membership() != it->second) {
    fail(now, node.id(), "Membership Agreement",
         fmt::format("committed through {} but uses {}, not the membership of index {} ({})",
                     node.commit_index(), describe(node.membership()), it->first,
                     describe(it->second)));
  }
}

void StateChecker::check_commit(Time now, const Node& node, Term term_now, Index from, Index to) {
  // State Machine Safety (§5.4.3) on the commit side: once any node commits an
  // entry at an index, every node commits the same entry (same term) there.
  for (Index index = from.next(); index <= to; index = index.next()) {
    const Result<Term> term = node.log_term(index);
    if (!term.ok()) continue;  // Compacted: checked when it was committed.
    const std::size_t slot = index.value() - 1;
    if (committed_terms_.size() <= slot) {
      committed_terms_.resize(slot + 1);
      committed_in_.resize(slot + 1);
    }
    Term& known = committed_terms_[slot];
    if (known == Term{}) {
      known = *term;
      committed_in_[slot] = term_now;
    } else if (known != *term) {
      fail(now, node.id(), "State Machine Safety",
           fmt::format("committed entry {} has term {} here but term {} elsewhere", index, *term,
                       known));
    }
  }
}

void StateChecker::check_leader_completeness(Time now, const Node& node) {
  // Leader Completeness (§5.4.1): a leader's log contains every entry
  // committed in earlier terms. Entries committed in its own term or later
  // do not count: a candidate slow to count its votes may win an old term
  // after a newer one committed entries (it then commits nothing).
  for (std::size_t slot = 0; slot < committed_terms_.size(); ++slot) {
    const Term known = committed_terms_[slot];
    if (known == Term{} || committed_in_[slot] >= node.term()) continue;
    const Index index{slot + 1};
    if (index < node.first_index()) continue;
    const Result<Term> term = node.log_term(index);
    if (!term.ok() || *term != known) {
      fail(now, node.id(), "Leader Completeness",
           fmt::format("new leader of term {} lacks committed entry {} of term {}", node.term(),
                       index, known));
      return;
    }
  }
}

void StateChecker::on_apply(Time now, NodeId node, const Entry& entry) {
  const std::size_t slot = entry.index.value() - 1;
  if (slot >= committed_terms_.size() || committed_terms_[slot] == Term{}) {
    fail(now, node, "State Machine Safety",
         fmt::format("applied entry {} before any node committed it", entry.index));
    return;
  }
  if (committed_terms_[slot] != entry.term) {
    fail(now, node, "State Machine Safety",
         fmt::format("applied entry {} of term {}, but term {} was committed there", entry.index,
                     entry.term, committed_terms_[slot]));
  }
}

void StateChecker::on_acknowledged(Time now, NodeId node, Index index, Term term,
                                   std::uint64_t op) {
  const std::size_t slot = index.value() - 1;
  if (slot >= committed_terms_.size() || committed_terms_[slot] != term) {
    fail(now, node, "No Acknowledged Write Lost",
         fmt::format("operation {} acknowledged at {}/{} which is not committed there", op, index,
                     term));
  }
}

void StateChecker::on_write_executed(Time now, NodeId node, std::uint32_t client,
                                     std::uint64_t request, bool through_session) {
  if (per_node(node).executed_writes.emplace(client, request).second) return;
  if (duplicated_.emplace(client, request).second && through_session) {
    // Thesis §6.3: the session table must answer a retry from its saved
    // reply, never by executing the command again.
    fail(now, node, "Exactly Once",
         fmt::format("write {} of client {} executed twice through its session", request, client));
  }
}

void StateChecker::on_state(Time now, NodeId node, Index index, std::uint64_t state_hash,
                            const char* how) {
  auto [it, inserted] = states_.try_emplace(index, state_hash);
  if (!inserted && it->second != state_hash) {
    fail(now, node, "State Machine Safety",
         fmt::format("the state machine at index {} ({}) differs from another node's there", index,
                     how));
  }
}

void StateChecker::on_durable(Time now, NodeId node, const HardState& state) {
  if (!state.vote.valid()) return;
  // §5.2 as the disk sees it: one vote per term, even across crashes.
  auto [it, inserted] = per_node(node).durable_votes.try_emplace(state.term, state.vote);
  if (!inserted && it->second != state.vote) {
    fail(now, node, "One Vote Per Term",
         fmt::format("persisted votes for {} and for {} in term {}", it->second, state.vote,
                     state.term));
  }
}

void StateChecker::on_restart(NodeId node, const HardState& durable) {
  // The commit index restarts from the disk and is re-learned from the
  // leader, which is not a regression; a term or vote never persisted is
  // legitimately forgotten.
  PerNode& state = per_node(node);
  state.term = durable.term;
  state.commit = Index{};
  state.votes.clear();
  // The state machine starts empty and applies the log again.
  state.executed_writes.clear();
}

}  // namespace raft::sim

// SPDX-License-Identifier: Apache-2.0
#include "raft/invariants.h"

#include <fmt/format.h>

namespace raft {
namespace {

Status violation(const Node& node, std::string what) {
  // kCorruption: the node's state is not one Raft can reach.
  return {ErrorCode::kCorruption, fmt::format("node {}: {}", node.id().value(), what)};
}

}  // namespace

Status check_invariants(const Node& node) {
  const Index last = node.last_index();
  if (node.commit_index() > last) {
    return violation(node, fmt::format("commit index {} is past the last index {}",
                                       node.commit_index().value(), last.value()));
  }
  if (node.applied_index() > node.commit_index()) {
    return violation(node, fmt::format("applied index {} is past the commit index {}",
                                       node.applied_index().value(), node.commit_index().value()));
  }
  if (node.role() == Role::kLeader) {
    if (node.leader() != node.id()) return violation(node, "a leader that does not lead itself");
    if (node.voted_for() != node.id())
      return violation(node, "a leader that did not vote for itself");
  }
  if (node.role() == Role::kCandidate && node.voted_for() != node.id()) {
    return violation(node, "a candidate that did not vote for itself");
  }
  // Terms in the log never decrease and never exceed the current term.
  Term previous;
  for (Index index = node.first_index(); index <= last; index = index.next()) {
    const Result<Term> term = node.log_term(index);
    if (!term.ok())
      return violation(node, fmt::format("entry {}: {}", index.value(), term.status().to_string()));
    if (*term < previous) {
      return violation(node, fmt::format("entry {} has term {} after an entry of term {}",
                                         index.value(), term->value(), previous.value()));
    }
    previous = *term;
  }
  if (previous > node.term()) {
    return violation(node, fmt::format("the log holds term {} but the node is in term {}",
                                       previous.value(), node.term().value()));
  }
  return {};
}

NodeSnapshot capture(const Node& node) {
  NodeSnapshot snapshot{node.id(), node.term(), node.voted_for(), node.commit_index(), {}};
  const Index first = node.first_index();
  snapshot.committed_terms.reserve(node.commit_index().value());
  for (Index index{1}; index <= node.commit_index(); index = index.next()) {
    // Compacted entries are committed and no longer visible: record term 0.
    const Result<Term> term = index < first ? Result<Term>{Term{}} : node.log_term(index);
    snapshot.committed_terms.push_back(term.ok() ? *term : Term{});
  }
  return snapshot;
}

Status check_transition(const NodeSnapshot& before, const NodeSnapshot& after) {
  RAFT_ASSERT(before.id == after.id);
  const auto fail = [&](std::string what) {
    return Status{ErrorCode::kCorruption, fmt::format("node {}: {}", after.id.value(), what)};
  };
  if (after.term < before.term) {
    return fail(
        fmt::format("term went back from {} to {}", before.term.value(), after.term.value()));
  }
  if (after.term == before.term && before.voted_for.valid() &&
      after.voted_for != before.voted_for) {
    return fail(fmt::format("vote in term {} changed from {} to {}", after.term.value(),
                            before.voted_for.value(), after.voted_for.value()));
  }
  if (after.commit < before.commit) {
    return fail(fmt::format("commit index went back from {} to {}", before.commit.value(),
                            after.commit.value()));
  }
  for (std::size_t i = 0; i < before.committed_terms.size(); ++i) {
    const Term was = before.committed_terms[i];
    const Term now = after.committed_terms[i];
    // Term 0 marks a compacted entry, which no longer changes either.
    if (was != Term{} && now != Term{} && was != now) {
      return fail(fmt::format("committed entry {} changed from term {} to term {}", i + 1,
                              was.value(), now.value()));
    }
  }
  return {};
}

}  // namespace raft

// SPDX-License-Identifier: Apache-2.0
// raft::Node: the public face of NodeImpl. Forwarding only.
#include <algorithm>
#include <cstdint>

#include <fmt/format.h>

#include "node_impl.h"
#include "raft/node.h"

namespace raft {

Result<Node> Node::create(const Config& config, const LogReader& log, Time now) {
  if (Status status = config.validate(); !status.ok()) return status;
  const HardState state = log.hard_state();
  const Result<Term> last_term = log.term(log.last_index());
  if (!last_term.ok()) return last_term.status();
  if (*last_term > state.term) {
    return Status{ErrorCode::kCorruption,
                  fmt::format("storage holds an entry of term {} but the hard state's term is {}",
                              last_term->value(), state.term.value())};
  }
  if (const SnapshotMeta snapshot = log.snapshot_meta();
      snapshot.index > Index{} && log.first_index() > snapshot.index.next()) {
    return Status{ErrorCode::kCorruption,
                  fmt::format("the log starts at {}, after the snapshot at {}: entries are missing",
                              log.first_index().value(), snapshot.index.value())};
  }
  return Node{std::make_unique<detail::NodeImpl>(config, log, now)};
}

Node::Node(std::unique_ptr<detail::NodeImpl> impl) noexcept : impl_(std::move(impl)) {}
Node::Node(Node&&) noexcept = default;
Node& Node::operator=(Node&&) noexcept = default;
Node::~Node() = default;

void Node::tick(Time now) { impl_->tick(now); }
Time Node::next_deadline() const noexcept { return impl_->next_deadline(); }
Status Node::step(Message message) { return impl_->step(std::move(message)); }
Result<Index> Node::propose(Payload payload) { return impl_->propose(std::move(payload)); }
Status Node::campaign() { return impl_->campaign(); }
void Node::peer_down(NodeId peer) { impl_->peer_down(peer); }
Status Node::transfer_leadership(NodeId target) { return impl_->transfer_leadership(target); }
Result<Index> Node::propose_membership_change(std::span<const MembershipChange> changes,
                                              MembershipTransition transition) {
  return impl_->propose_membership_change(changes, transition);
}
const Membership& Node::membership() const noexcept { return impl_->membership(); }
NodeId Node::transfer_target() const noexcept { return impl_->transfer_target(); }
Result<SnapshotMeta> Node::snapshot_meta(Index index) const { return impl_->snapshot_meta(index); }
Status Node::snapshot_taken(Index index) { return impl_->snapshot_taken(index); }

bool Node::has_ready() const noexcept { return impl_->has_ready(); }
Ready Node::ready() { return impl_->ready(); }
void Node::advance(Ready&& ready) { impl_->advance(std::move(ready)); }

NodeId Node::id() const noexcept { return impl_->id(); }
Role Node::role() const noexcept { return impl_->role(); }
Term Node::term() const noexcept { return impl_->term(); }
NodeId Node::voted_for() const noexcept { return impl_->voted_for(); }
NodeId Node::leader() const noexcept { return impl_->leader(); }
Index Node::commit_index() const noexcept { return impl_->log().committed(); }
Index Node::applied_index() const noexcept { return impl_->log().applied(); }
Index Node::first_index() const noexcept { return impl_->log().first_index(); }
Index Node::last_index() const noexcept { return impl_->log().last_index(); }
Result<Term> Node::log_term(Index index) const { return impl_->log().term(index); }
Time Node::now() const noexcept { return impl_->now(); }
const Config& Node::config() const noexcept { return impl_->config(); }
Status Node::health() const { return impl_->health(); }
const NodeMetrics& Node::metrics() const noexcept { return impl_->metrics(); }

Result<std::vector<Entry>> Node::log_entries(Index from, Index to) const {
  std::vector<Entry> entries;
  if (from > to || to > last_index().next()) {
    return Status{ErrorCode::kInvalidArgument,
                  fmt::format("entries [{}, {}) requested; the log ends at {}", from.value(),
                              to.value(), last_index().value())};
  }
  if (Status status = impl_->log().slice(from, to, SIZE_MAX, entries); !status.ok()) return status;
  return entries;
}

std::vector<PeerProgress> Node::progress() const {
  std::vector<PeerProgress> result;
  if (impl_->role() != Role::kLeader) return result;
  for (const detail::Progress& progress : impl_->progress()) {
    const Index commit = impl_->log().committed();
    result.push_back(
        PeerProgress{progress.id, progress.match, progress.next,
                     progress.state == detail::Progress::State::kReplicate, progress.recent_active,
                     commit > progress.match ? Index::distance(progress.match, commit) : 0,
                     progress.state == detail::Progress::State::kSnapshot});
  }
  return result;
}

}  // namespace raft

// SPDX-License-Identifier: Apache-2.0
#include "progress.h"

#include <algorithm>

#include "raft/assert.h"

namespace raft::detail {

void Inflights::add(Index last) {
  RAFT_ASSERT(!full());
  if (ring_.empty()) ring_.resize(capacity_);  // Allocated on first use: most nodes never lead.
  RAFT_DASSERT(count_ == 0 || ring_[(start_ + count_ - 1) % capacity_] < last);
  ring_[(start_ + count_) % capacity_] = last;
  ++count_;
}

void Inflights::free_up_to(Index index) {
  while (count_ > 0 && ring_[start_] <= index) {
    start_ = (start_ + 1) % capacity_;
    --count_;
  }
  if (count_ == 0) start_ = 0;
}

void Inflights::free_first() {
  RAFT_ASSERT(count_ > 0);
  start_ = (start_ + 1) % capacity_;
  --count_;
  if (count_ == 0) start_ = 0;
}

void Progress::become_probe() {
  state = State::kProbe;
  probe_sent = false;
  next = match.next();
  inflights.reset();
}

void Progress::become_replicate() {
  state = State::kReplicate;
  probe_sent = false;
  next = match.next();
  inflights.reset();
}

void Progress::become_snapshot(Index index, Term term, std::uint64_t total) {
  state = State::kSnapshot;
  probe_sent = false;
  inflights.reset();
  snapshot = SnapshotTransfer{};
  snapshot.index = index;
  snapshot.term = term;
  snapshot.total = total;
}

bool Progress::update_match(Index index) {
  bool updated = false;
  if (index > match) {
    match = index;
    updated = true;
    probe_sent = false;
  }
  next = std::max(next, index.next());
  inflights.free_up_to(index);
  RAFT_ASSERT(match < next);
  return updated;
}

bool Progress::decrease_next(Index rejected, Index next_hint) {
  // A rejection of an append sent before the snapshot began teaches nothing.
  if (state == State::kSnapshot) return false;
  if (state == State::kReplicate) {
    // Pipelined appends are rejected in order; only the first rejection
    // above what we know to match is news.
    if (rejected <= match) return false;
    become_probe();
    return true;
  }
  // Probing sends one append at a time; a rejection of any other is stale.
  if (rejected != next.prev()) return false;
  next = std::max(std::min(rejected, next_hint), match.next());
  probe_sent = false;
  RAFT_ASSERT(next >= Index{1});
  RAFT_ASSERT(match < next);
  return true;
}

void Progress::sent(Index last, bool had_entries) {
  if (state == State::kReplicate) {
    if (had_entries) {
      RAFT_ASSERT(last >= next);
      next = last.next();
      inflights.add(last);
    }
  } else {
    probe_sent = true;
  }
}

}  // namespace raft::detail

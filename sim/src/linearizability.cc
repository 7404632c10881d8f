// SPDX-License-Identifier: Apache-2.0
// Linearizability checker for a register-per-key history: Wing & Gong's search
// with Lowe's memoization and call/return entry list ("Testing for
// linearizability", 2017), partitioned per key as Porcupine does.
#include "raft/sim/linearizability.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "raft/assert.h"
#include "raft/format.h"

namespace raft::sim {
namespace {

using Verdict = LinearizabilityResult::Verdict;

constexpr std::uint32_t kNone = std::numeric_limits<std::uint32_t>::max();
/// Interned id of the empty string, every register's initial value.
constexpr std::uint32_t kInitialValue = 0;
/// The cache stores entry indexes in 32 bits; a search that would need more
/// memory than that gives up like one that ran out of steps.
constexpr std::size_t kCacheEntriesMax = std::size_t{1} << 31U;
/// An explanation lists at most this many operations (the window is usually tiny).
constexpr std::size_t kExplanationOpsMax = 100;
constexpr std::size_t kValueCharsMax = 48;

/// splitmix64's finalizer: a cheap, well-mixed 64-bit hash.
constexpr std::uint64_t mix64(std::uint64_t x) noexcept {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30U)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27U)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31U);
}

std::int64_t nanos(Time time) noexcept { return time.time_since_epoch().count(); }

// ---------------------------------------------------------------------------
// The operations of one key, as the search sees them.

/// One operation of the search problem. Ops are indexed in call order.
struct SearchOp {
  std::uint32_t value = kInitialValue;  ///< Interned value written or returned.
  bool is_write = false;
  /// Must take effect exactly once, between `call` and `ret` (an acknowledged op).
  /// Otherwise an unknown write: it may take effect at any time after `call`, or
  /// never; it has no return event (its return time is +infinity).
  bool must = false;
  std::int64_t call = 0;
  std::int64_t ret = 0;  ///< Meaningful only when `must`.
};

/// All operations on one key, sorted by invoke time (ties: history order).
struct KeyHistory {
  std::string_view key;
  std::vector<const Operation*> ops;
  std::vector<std::uint32_t> value_ids;  ///< Parallel to `ops`.
  std::uint32_t values_count = 1;        ///< Distinct values; id 0 is "".
};

KeyHistory make_key_history(std::string_view key, std::vector<const Operation*> ops) {
  KeyHistory history;
  history.key = key;
  // stable_sort keeps the history's order among equal invoke times, so the
  // result does not depend on the sort implementation.
  std::stable_sort(ops.begin(), ops.end(),
                   [](const Operation* a, const Operation* b) { return a->invoke < b->invoke; });
  std::unordered_map<std::string_view, std::uint32_t> ids{{std::string_view{}, kInitialValue}};
  history.value_ids.reserve(ops.size());
  for (const Operation* op : ops) {
    RAFT_ASSERT_MSG(op->outcome != OpOutcome::kOk || op->invoke <= op->complete,
                    "an acknowledged operation completed before it was invoked");
    const auto [it, inserted] = ids.try_emplace(op->value, history.values_count);
    if (inserted) ++history.values_count;
    history.value_ids.push_back(it->second);
  }
  history.ops = std::move(ops);
  RAFT_ASSERT(history.value_ids.size() == history.ops.size());
  return history;
}

/// The search problem for the operations of `history` whose index is in
/// [begin, end) ("the window"); begin = 0, end = size is the whole history.
/// Outside the window the problem is relaxed, so that a window that fails
/// proves the whole history fails: acknowledged and unknown writes become
/// unknown writes (they may take effect at any time after invoke, or never)
/// and reads are dropped. Inside it, kFail ops are dropped (they never took
/// effect) and so are unknown reads (they constrain nothing).
///
/// Two exact simplifications keep unknown writes from blowing up the search:
/// - an unknown write whose value no kept read returns is dropped: in any
///   linearization that uses it no read falls between it and the next write,
///   so removing it leaves a linearization;
/// - an unknown write that is the only write of its value (not "") while some
///   kept read returns that value must have taken effect, and before the
///   earliest completion of those reads; it becomes an acknowledged op with
///   that return time.
std::vector<SearchOp> build_problem(const KeyHistory& history, std::size_t begin, std::size_t end) {
  RAFT_ASSERT(begin <= end);
  RAFT_ASSERT(end <= history.ops.size());
  std::vector<SearchOp> ops;
  ops.reserve(history.ops.size());
  for (std::size_t i = 0; i < history.ops.size(); ++i) {
    const Operation& op = *history.ops[i];
    if (op.outcome == OpOutcome::kFail) continue;
    const bool in_window = begin <= i && i < end;
    const bool acknowledged = in_window && op.outcome == OpOutcome::kOk;
    if (op.kind == OpKind::kRead && !acknowledged) continue;
    ops.push_back(SearchOp{.value = history.value_ids[i],
                           .is_write = op.kind == OpKind::kWrite,
                           .must = acknowledged,
                           .call = nanos(op.invoke),
                           .ret = acknowledged ? nanos(op.complete) : 0});
  }

  constexpr std::int64_t kNoRead = std::numeric_limits<std::int64_t>::max();
  std::vector<std::int64_t> read_complete_min(history.values_count, kNoRead);
  std::vector<std::uint32_t> writes_of_value(history.values_count, 0);
  for (const SearchOp& op : ops) {
    if (op.is_write) {
      ++writes_of_value[op.value];
    } else {
      read_complete_min[op.value] = std::min(read_complete_min[op.value], op.ret);
    }
  }
  std::erase_if(ops, [&](const SearchOp& op) {
    return op.is_write && !op.must && read_complete_min[op.value] == kNoRead;
  });
  for (SearchOp& op : ops) {
    if (op.is_write && !op.must && op.value != kInitialValue && writes_of_value[op.value] == 1) {
      RAFT_ASSERT(read_complete_min[op.value] != kNoRead);
      op.must = true;
      op.ret = read_complete_min[op.value];
    }
  }
  return ops;
}

/// Refutations that need no search: a read of a value (not "") that no write
/// in the problem writes, and an op that must return before it is called (an
/// unknown write turned acknowledged above, read before it was invoked).
bool obviously_not_linearizable(std::span<const SearchOp> ops, std::uint32_t values_count) {
  // Bytes, not std::vector<bool>: GCC 12 warns about the latter (-Wnull-dereference).
  std::vector<std::uint8_t> written(values_count, 0);
  for (const SearchOp& op : ops) {
    if (op.is_write) written[op.value] = 1;
  }
  return std::any_of(ops.begin(), ops.end(), [&](const SearchOp& op) {
    if (op.must && op.ret < op.call) return true;
    return !op.is_write && op.value != kInitialValue && written[op.value] == 0;
  });
}

// ---------------------------------------------------------------------------
// Lowe's cache: the (linearized set, register value) pairs already explored.

/// A hash set of (bitset, state) configurations. A bitset is stored trimmed:
/// its leading all-ones words and trailing all-zero words are implied. The
/// linearized set of a search is dense at the front and empty at the back, so
/// an entry usually takes one or two words whatever the history's length.
class ConfigurationCache {
 public:
  /// Adds the configuration; false when it was already there.
  /// Precondition: `set_hash` is a function of `set` alone.
  bool insert(std::span<const std::uint64_t> set, std::uint32_t state, std::uint64_t set_hash) {
    std::size_t low = 0;
    while (low < set.size() && set[low] == ~std::uint64_t{0}) ++low;
    std::size_t high = set.size();
    while (high > low && set[high - 1] == 0) --high;
    const std::span<const std::uint64_t> words = set.subspan(low, high - low);
    const std::uint64_t hash = mix64(set_hash ^ mix64(state));

    if ((entries_.size() + 1) * 2 > slots_.size()) grow();
    const std::size_t mask = slots_.size() - 1;
    std::size_t slot = hash & mask;
    for (; slots_[slot] != kNone; slot = (slot + 1) & mask) {
      const Entry& entry = entries_[slots_[slot]];
      if (entry.hash == hash && entry.state == state && entry.low == low &&
          entry.count == words.size() &&
          std::equal(words.begin(), words.end(), arena_.begin() + entry.offset)) {
        return false;
      }
    }
    slots_[slot] = static_cast<std::uint32_t>(entries_.size());
    entries_.push_back(Entry{.hash = hash,
                             .offset = static_cast<std::ptrdiff_t>(arena_.size()),
                             .state = state,
                             .low = low,
                             .count = words.size()});
    arena_.insert(arena_.end(), words.begin(), words.end());
    RAFT_ASSERT(entries_.size() * 2 <= slots_.size());
    return true;
  }

  [[nodiscard]] bool full() const noexcept { return entries_.size() >= kCacheEntriesMax; }

 private:
  struct Entry {
    std::uint64_t hash;
    std::ptrdiff_t offset;  ///< Of the stored words in arena_.
    std::uint32_t state;
    std::size_t low;    ///< Words before it are all ones.
    std::size_t count;  ///< Words stored; words after them are all zero.
  };

  void grow() {
    const std::size_t capacity = slots_.empty() ? 1024 : slots_.size() * 2;
    slots_.assign(capacity, kNone);
    const std::size_t mask = capacity - 1;
    for (std::size_t i = 0; i < entries_.size(); ++i) {
      std::size_t slot = entries_[i].hash & mask;
      while (slots_[slot] != kNone) slot = (slot + 1) & mask;
      slots_[slot] = static_cast<std::uint32_t>(i);
    }
  }

  std::vector<Entry> entries_;
  std::vector<std::uint64_t> arena_;
  std::vector<std::uint32_t> slots_;  ///< Open addressing, linear probing; kNone = empty.
};

// ---------------------------------------------------------------------------
// The search.

enum class SearchOutcome : std::uint8_t { kLinearizable, kNotLinearizable, kOutOfBudget };

struct SearchReport {
  SearchOutcome outcome = SearchOutcome::kLinearizable;
  std::uint64_t steps = 0;
};

/// Lowe's formulation of the Wing & Gong search. The history is a doubly
/// linked list of call and return events in time order. From the front, the
/// search may linearize any op whose call comes before the first return
/// event: it applies the op to the register, and if the resulting (linearized
/// set, value) configuration is new it lifts the op's call and return out of
/// the list and starts over from the front. Reaching the return of an op not
/// yet linearized means the last choice was wrong: undo it (relink its events)
/// and try the next candidate after it. Ties in time put calls before returns,
/// so ops that touch at an instant count as concurrent: the checker never
/// reports a violation that depends on how equal timestamps are ordered.
class Search {
 public:
  Search(std::span<const SearchOp> ops, std::uint64_t steps_max)
      : ops_(ops), steps_max_(steps_max), set_((ops.size() + 63) / 64, 0) {
    build_list();
    zobrist_.reserve(ops.size());
    for (std::size_t i = 0; i < ops.size(); ++i) zobrist_.push_back(mix64(i));
  }

  SearchReport run() {
    std::uint32_t must_remaining = 0;
    for (const SearchOp& op : ops_) must_remaining += op.must ? 1U : 0U;
    std::uint32_t state = kInitialValue;
    std::uint32_t cursor = next_[kHead];
    while (must_remaining > 0) {
      if (steps_ >= steps_max_ || cache_.full()) return report(SearchOutcome::kOutOfBudget);
      ++steps_;
      // Every acknowledged op left in the list has its return event in it, so
      // the scan meets a return before it runs off the end.
      RAFT_ASSERT(cursor != kNone);
      const Node& node = nodes_[cursor];
      if (node.is_call) {
        const SearchOp& op = ops_[node.op];
        const bool legal = op.is_write || op.value == state;
        const std::uint32_t state_after = op.is_write ? op.value : state;
        if (legal) {
          toggle(node.op);
          if (cache_.insert(set_, state_after, set_hash_)) {
            stack_.push_back(Frame{.call = cursor, .state_before = state});
            state = state_after;
            lift(cursor);
            must_remaining -= op.must ? 1U : 0U;
            cursor = next_[kHead];
            continue;
          }
          toggle(node.op);
        }
        cursor = next_[cursor];
      } else {
        // The return of an op that is not linearized: backtrack.
        if (stack_.empty()) return report(SearchOutcome::kNotLinearizable);
        const Frame frame = stack_.back();
        stack_.pop_back();
        const std::uint32_t op = nodes_[frame.call].op;
        toggle(op);
        must_remaining += ops_[op].must ? 1U : 0U;
        state = frame.state_before;
        unlift(frame.call);
        cursor = next_[frame.call];
      }
    }
    return report(SearchOutcome::kLinearizable);
  }

 private:
  static constexpr std::uint32_t kHead = 0;  ///< Sentinel node before the first event.

  struct Node {
    std::uint32_t op = kNone;
    bool is_call = false;
    std::uint32_t ret = kNone;  ///< For a call of an acknowledged op: its return node.
  };
  struct Frame {
    std::uint32_t call;          ///< Node of the linearized op's call.
    std::uint32_t state_before;  ///< Register value before it.
  };

  void build_list() {
    struct Event {
      std::int64_t time;
      bool is_return;
      std::uint32_t op;
    };
    std::vector<Event> events;
    events.reserve(ops_.size() * 2);
    for (std::uint32_t i = 0; i < ops_.size(); ++i) {
      events.push_back(Event{.time = ops_[i].call, .is_return = false, .op = i});
      if (ops_[i].must) events.push_back(Event{.time = ops_[i].ret, .is_return = true, .op = i});
    }
    std::sort(events.begin(), events.end(), [](const Event& a, const Event& b) {
      if (a.time != b.time) return a.time < b.time;
      if (a.is_return != b.is_return) return !a.is_return;
      return a.op < b.op;
    });
    const std::size_t count = events.size() + 1;
    nodes_.assign(count, Node{});
    next_.assign(count, kNone);
    prev_.assign(count, kNone);
    std::vector<std::uint32_t> call_node(ops_.size(), kNone);
    for (std::size_t i = 0; i < events.size(); ++i) {
      const auto node = static_cast<std::uint32_t>(i + 1);
      nodes_[node] = Node{.op = events[i].op, .is_call = !events[i].is_return};
      prev_[node] = node - 1;
      next_[node - 1] = node;
      if (events[i].is_return) {
        // obviously_not_linearizable() has ruled out a return before its call.
        RAFT_ASSERT(call_node[events[i].op] != kNone);
        nodes_[call_node[events[i].op]].ret = node;
      } else {
        call_node[events[i].op] = node;
      }
    }
  }

  void unlink(std::uint32_t node) {
    next_[prev_[node]] = next_[node];
    if (next_[node] != kNone) prev_[next_[node]] = prev_[node];
  }
  void relink(std::uint32_t node) {
    next_[prev_[node]] = node;
    if (next_[node] != kNone) prev_[next_[node]] = node;
  }
  /// Removes an op's call and return from the list; `unlift` undoes it (the
  /// removed nodes keep their links, as in Knuth's dancing links).
  void lift(std::uint32_t call) {
    unlink(call);
    if (nodes_[call].ret != kNone) unlink(nodes_[call].ret);
  }
  void unlift(std::uint32_t call) {
    if (nodes_[call].ret != kNone) relink(nodes_[call].ret);
    relink(call);
  }

  void toggle(std::uint32_t op) {
    set_[op / 64] ^= std::uint64_t{1} << (op % 64);
    set_hash_ ^= zobrist_[op];
  }

  SearchReport report(SearchOutcome outcome) const {
    return SearchReport{.outcome = outcome, .steps = steps_};
  }

  std::span<const SearchOp> ops_;
  std::uint64_t steps_max_;
  std::uint64_t steps_ = 0;
  std::vector<Node> nodes_;
  std::vector<std::uint32_t> next_;
  std::vector<std::uint32_t> prev_;
  std::vector<Frame> stack_;
  std::vector<std::uint64_t> set_;  ///< Linearized ops, one bit each.
  std::uint64_t set_hash_ = 0;      ///< XOR of zobrist_ over set_ (Zobrist hashing).
  std::vector<std::uint64_t> zobrist_;
  ConfigurationCache cache_;
};

SearchReport check_problem(const KeyHistory& history, std::size_t begin, std::size_t end,
                           std::uint64_t steps_max) {
  const std::vector<SearchOp> ops = build_problem(history, begin, end);
  if (obviously_not_linearizable(ops, history.values_count)) {
    return SearchReport{.outcome = SearchOutcome::kNotLinearizable, .steps = 1};
  }
  return Search(ops, steps_max).run();
}

// ---------------------------------------------------------------------------
// Explanations.

std::string quoted(std::string_view value) {
  std::string out = "\"";
  const std::size_t shown = std::min(value.size(), kValueCharsMax);
  for (const char c : value.substr(0, shown)) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c < 0x20 || c == 0x7F) {
      out += fmt::format("\\x{:02x}", static_cast<unsigned>(static_cast<unsigned char>(c)));
    } else {
      out += c;
    }
  }
  out += '"';
  if (shown < value.size()) out += fmt::format("...({} bytes)", value.size());
  return out;
}

const char* outcome_name(OpOutcome outcome) {
  switch (outcome) {
    case OpOutcome::kOk:
      return "ok";
    case OpOutcome::kFail:
      return "fail";
    case OpOutcome::kUnknown:
      return "unknown";
  }
  RAFT_UNREACHABLE();
}

std::string describe_operation(const Operation& op) {
  const std::string what = op.kind == OpKind::kWrite ? fmt::format("write {}", quoted(op.value))
                           : op.outcome == OpOutcome::kOk
                               ? fmt::format("read -> {}", quoted(op.value))
                               : std::string{"read"};
  return fmt::format("  op {}: client {} {}, invoke {} ms, complete {} ms, {}\n", op.id, op.client,
                     what, format_ms(op.invoke), format_ms(op.complete), outcome_name(op.outcome));
}

/// Why a read in the window is suspicious on its own, if it is.
std::string read_hint(const KeyHistory& history, std::size_t read) {
  const Operation& op = *history.ops[read];
  if (op.kind != OpKind::kRead || op.outcome != OpOutcome::kOk || op.value.empty()) return {};
  std::size_t writes = 0;
  std::size_t failed = 0;
  std::size_t invoked_in_time = 0;
  for (std::size_t i = 0; i < history.ops.size(); ++i) {
    const Operation& other = *history.ops[i];
    if (other.kind != OpKind::kWrite || history.value_ids[i] != history.value_ids[read]) continue;
    if (other.outcome == OpOutcome::kFail) {
      ++failed;
      continue;
    }
    ++writes;
    if (other.invoke <= op.complete) ++invoked_in_time;
  }
  if (writes == 0) {
    const std::string failed_note =
        failed == 0 ? std::string{}
                    : fmt::format(" ({} failed write(s) of it never took effect)", failed);
    return fmt::format("  op {} returned {}, which no write on the key set{}\n", op.id,
                       quoted(op.value), failed_note);
  }
  if (invoked_in_time == 0) {
    return fmt::format(
        "  op {} returned {}, but every write of it was invoked after the read "
        "completed\n",
        op.id, quoted(op.value));
  }
  return {};
}

/// Narrows a non-linearizable key history to a small window of ops that
/// cannot be linearized even when every other write is relaxed to "may take
/// effect at any time after its invocation, or never" (a relaxation, so the
/// window failing proves the history fails). Failure is monotone in both ends
/// of the window, so two binary searches find the shortest failing prefix
/// [0, end) and then the latest start with [start, end) still failing. A
/// sub-search that runs out of budget counts as "not shown to fail", which
/// only makes the window larger.
std::string explain_violation(const KeyHistory& history, std::uint64_t steps_max,
                              std::uint64_t& steps) {
  const auto fails = [&](std::size_t begin, std::size_t end) {
    const SearchReport report = check_problem(history, begin, end, steps_max);
    steps += report.steps;
    return report.outcome == SearchOutcome::kNotLinearizable;
  };
  const std::size_t count = history.ops.size();
  // Invariant: [0, end_high) fails; [0, end_low) was not shown to fail.
  std::size_t end_low = 0;
  std::size_t end_high = count;
  while (end_high - end_low > 1) {
    const std::size_t middle = end_low + (end_high - end_low) / 2;
    if (fails(0, middle)) {
      end_high = middle;
    } else {
      end_low = middle;
    }
  }
  const std::size_t end = end_high;
  // Invariant: [begin_low, end) fails; [begin_high, end) was not shown to fail.
  std::size_t begin_low = 0;
  std::size_t begin_high = end;
  while (begin_high - begin_low > 1) {
    const std::size_t middle = begin_low + (begin_high - begin_low) / 2;
    if (fails(middle, end)) {
      begin_low = middle;
    } else {
      begin_high = middle;
    }
  }
  const std::size_t begin = begin_low;

  std::string out = fmt::format(
      "key {}: not linearizable: the first {} of its {} operations (by invoke time) have no "
      "linearization.\nThese {} cannot be linearized together, whatever the key's other writes "
      "did (each may take effect at any time after its invocation, or never):\n",
      quoted(history.key), end, count, end - begin);
  std::string hints;
  for (std::size_t i = begin; i < end; ++i) {
    if (i - begin == kExplanationOpsMax) {
      out += fmt::format("  ... and {} more\n", end - i);
      break;
    }
    out += describe_operation(*history.ops[i]);
    hints += read_hint(history, i);
  }
  if (!hints.empty()) out += "Notably:\n" + hints;
  return out;
}

}  // namespace

LinearizabilityResult check_linearizability(const History& history,
                                            const LinearizabilityOptions& options) {
  // P-compositionality (Herlihy & Wing): a history is linearizable iff each
  // object's sub-history is, so each key is searched on its own. Keys go in
  // sorted order so the verdict, the reported key and the step count are
  // deterministic.
  std::map<std::string_view, std::vector<const Operation*>> by_key;
  for (const Operation& op : history) by_key[op.key].push_back(&op);

  LinearizabilityResult result;
  for (auto& [key, ops] : by_key) {
    const KeyHistory key_history = make_key_history(key, std::move(ops));
    const SearchReport report =
        check_problem(key_history, 0, key_history.ops.size(), options.steps_max_per_key);
    result.steps += report.steps;
    switch (report.outcome) {
      case SearchOutcome::kLinearizable:
        break;
      case SearchOutcome::kNotLinearizable:
        // A violation is definite, so it outranks an earlier key's kUnknown.
        result.verdict = Verdict::kNotLinearizable;
        result.key = std::string{key};
        result.explanation =
            explain_violation(key_history, options.steps_max_per_key, result.steps);
        return result;
      case SearchOutcome::kOutOfBudget:
        // Keep going: a later key may still prove a violation.
        if (result.verdict == Verdict::kLinearizable) {
          result.verdict = Verdict::kUnknown;
          result.key = std::string{key};
          result.explanation = fmt::format(
              "key {}: the search gave up after {} steps (steps_max_per_key = {}) on {} "
              "operations; the key may or may not be linearizable",
              quoted(key), report.steps, options.steps_max_per_key, key_history.ops.size());
        }
        break;
    }
  }
  return result;
}

const char* to_string(LinearizabilityResult::Verdict verdict) noexcept {
  switch (verdict) {
    case Verdict::kLinearizable:
      return "linearizable";
    case Verdict::kNotLinearizable:
      return "not linearizable";
    case Verdict::kUnknown:
      return "unknown";
  }
  return "invalid verdict";
}

}  // namespace raft::sim

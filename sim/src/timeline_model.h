// SPDX-License-Identifier: Apache-2.0
// The picture every timeline draws, computed once from a trace: role spans per
// node (with crashes and pauses laid over them), the terms each node led, the
// campaigns and the votes they got, faults, client attempts, service phases,
// and the story of the failover (key moments, phases, how long the vote took).
// Private to the renderers (timeline_ascii.cc, timeline_chrome.cc,
// timeline_html.cc); defined in timeline_model.cc.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "raft/events.h"
#include "raft/message.h"
#include "raft/sim/metrics.h"
#include "raft/sim/timeline.h"
#include "raft/sim/trace.h"
#include "raft/types.h"

namespace raft::sim::timeline {

/// What a node lane shows: its Raft role, or that the process cannot act.
enum class LaneState : std::uint8_t {
  kFollower,
  kPreCandidate,
  kCandidate,
  kLeader,
  kPaused,  ///< Stopped (GC pause, SIGSTOP); `role` is what it still believes it is.
  kDown,    ///< Crashed or its machine gone, until it restarts.
};

/// A stretch of constant (state, role, term) on one node, [begin, end).
struct RoleSpan {
  Time begin;
  Time end;
  LaneState state = LaneState::kFollower;
  Role role = Role::kFollower;
  Term term;
};

/// A term some node led: from its RoleChanged to leader until it stopped
/// leading (stepped down, crashed) or the timeline ended (`open`).
struct LeaderTerm {
  NodeId node;
  Term term;
  Time begin;
  Time end;
  bool open = true;
  std::string end_reason;  ///< "crashed", "saw higher term", ... (empty while open).
};

/// One vote cast: the voter's answer to a (pre-)vote request.
struct VoteMark {
  Time time;
  NodeId voter;
  VoteCast vote;
};

/// One campaign: a pre-candidacy (asking for pre-votes for `term`) or a
/// candidacy in `term`, the votes it got and how it ended.
struct Campaign {
  NodeId node;
  bool pre_vote = false;
  Term term;  ///< The term the (pre-)votes are for.
  Time begin;
  Time end;
  bool open = true;
  std::string reason;   ///< Why it began: "election timeout", "leader connection lost", ...
  std::string outcome;  ///< "elected", "lost election", "crashed", ... (empty while open).
  std::vector<VoteMark> votes;
};

struct FaultMark {
  Time time;
  NodeId node;  ///< The trace event's node (none for cluster-wide faults).
  FaultRecord record;
};

/// A fault in force for a while: a partition (or isolation) until the next
/// partition or heal, a slow disk until the disk recovers. [begin, end).
struct FaultExtent {
  FaultMark start;
  Time end;
  bool open = true;  ///< Still in force at the end of the timeline.
};

/// One client attempt: invoke to outcome. `outcome` stays kInvoke while pending.
struct ClientAttempt {
  std::uint32_t client = 0;
  std::uint64_t op = 0;
  std::uint32_t attempt = 0;
  OpKind kind = OpKind::kWrite;
  NodeId target;
  std::string key;
  std::string value;
  std::string error;
  Time invoke;
  std::optional<Time> complete;
  ClientRecord::Phase outcome = ClientRecord::Phase::kInvoke;
};

/// A host starting, loading or serving, [begin, end).
struct ServiceSpan {
  NodeId node;
  Time begin;
  Time end;
  ServiceRecord::Phase phase = ServiceRecord::Phase::kServing;
};

/// Everything the renderers draw. Spans are not clipped to [start, end): a
/// renderer clips what it draws.
struct Model {
  Time start;
  Time end;
  std::vector<NodeId> nodes;                 ///< 1..n in order.
  std::vector<std::vector<RoleSpan>> lanes;  ///< Parallel to `nodes`, each in time order.
  std::vector<LeaderTerm> leaders;           ///< In order of their beginning.
  std::vector<Campaign> campaigns;           ///< In order of their beginning.
  std::vector<VoteMark> votes;               ///< Every vote cast, in time order.
  std::vector<FaultMark> faults;
  std::vector<FaultExtent> extents;     ///< In order of their beginning.
  std::vector<ClientAttempt> attempts;  ///< In order of invocation.
  std::vector<ServiceSpan> service;     ///< In order of their beginning.

  [[nodiscard]] bool has_service() const noexcept { return !service.empty(); }
};

/// Builds the model of the events up to `options.end` (or the last event when
/// `options.end <= options.start`).
[[nodiscard]] Model build_model(const std::vector<TraceEvent>& events,
                                const TimelineOptions& options);

/// A moment of the failover (the seed's "0 s primary dies ... 12 s clients
/// reconnected"), with what happened then.
struct Moment {
  const char* name;  ///< "fault", "detection", "election", "serving", "clients back".
  Time time;
  std::string what;
};

/// The time between two moments, named after what it was spent on.
struct Phase {
  const char* name;   ///< "detect", "elect", "load", "clients back".
  const char* until;  ///< The moment that ends it: "detection", ..., "clients back".
  Time begin;
  Time end;
  [[nodiscard]] Duration duration() const noexcept { return end - begin; }
};

/// How long the winning election took once a timer fired: from the first
/// candidacy in the winning term to its leader, and the pre-vote before it.
struct VoteTiming {
  NodeId winner;
  Term term;
  std::optional<Time> pre_vote_begin;  ///< The winner's pre-candidacy before it.
  Time candidate_begin;
  Time leader_begin;
  [[nodiscard]] Duration vote() const noexcept { return leader_begin - candidate_begin; }
};

/// The failover told from the metrics (moments) and the model (who did what).
struct Story {
  std::vector<Moment> moments;  ///< In time order (a hot standby serves before a majority knows).
  std::vector<Phase> phases;
  std::optional<VoteTiming> vote;
  /// "the vote itself took 3.0 ms of the 4.0 ms elect phase ...", or empty.
  std::string vote_sentence;
};

[[nodiscard]] Story build_story(const Model& model, const RunMetrics& metrics);

// ---- Shared formatting --------------------------------------------------------------------

/// "3.004 s", "250.0 ms", "12.5 us", "40 ns" (negative durations get a '-').
[[nodiscard]] std::string format_duration(Duration duration);
/// Seconds since the zero time point with millisecond precision: "13.004 s".
[[nodiscard]] std::string format_time(Time time);
/// Like format_time without the unit: "13.004".
[[nodiscard]] std::string format_seconds(Time time);
/// The one-letter lane symbol of a state: F p C L z x.
[[nodiscard]] char state_symbol(LaneState state) noexcept;
[[nodiscard]] const char* state_name(LaneState state) noexcept;
/// "n1", "n1,n2", "n1,n2 | n3" (partition groups), or "all" when empty.
[[nodiscard]] std::string fault_targets(const FaultRecord& record, NodeId node);
/// `text` followed by what the fault's duration means, if it has one:
/// " for 4.000 s" (pause, partition), ", restart after 5.000 s" (crash),
/// ", +1.500 s per fsync" (slow disk).
[[nodiscard]] std::string with_duration(std::string text, const FaultRecord& record);
/// True for partitions, one-way partitions and isolations.
[[nodiscard]] bool is_partition_fault(FaultKind kind) noexcept;
/// True for the faults that take a node's process away (crash, machine loss).
[[nodiscard]] bool is_down_fault(FaultKind kind) noexcept;
[[nodiscard]] const char* outcome_name(ClientRecord::Phase outcome) noexcept;

}  // namespace raft::sim::timeline

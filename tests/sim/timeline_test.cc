// SPDX-License-Identifier: Apache-2.0
// Timelines from hand-built traces: the ASCII lanes put each role in the right
// columns and keep short candidacies visible, every line fits the width, the
// key moments and phases carry the metrics' times, the Chrome trace is valid
// JSON with the expected events, and the HTML page is self-contained and escaped.
#include "raft/sim/timeline.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "raft/events.h"
#include "raft/prng.h"
#include "raft/sim/metrics.h"
#include "raft/sim/trace.h"

namespace raft::sim {
namespace {

using namespace std::chrono_literals;

Time at(double seconds) {
  return Time{Duration{static_cast<Duration::rep>(std::llround(seconds * 1e9))}};
}

/// Builds a trace by hand, one call per record, in time order.
class TraceBuilder {
 public:
  void role(double t, std::uint64_t node, Role from, Role to, RoleChangeReason reason) {
    node_event(t, node, RoleChanged{from, to, reason});
  }
  void term(double t, std::uint64_t node, std::uint64_t from, std::uint64_t to) {
    node_event(t, node, TermChanged{Term{from}, Term{to}});
  }
  /// A real vote in a newer term moves the voter to that term first (§5.1).
  void vote(double t, std::uint64_t voter, std::uint64_t candidate, std::uint64_t term,
            bool pre_vote, bool granted, VoteDenial denial = VoteDenial::kNone) {
    if (!pre_vote && terms_[voter] < Term{term}) this->term(t, voter, terms_[voter].value(), term);
    node_event(t, voter, VoteCast{NodeId{candidate}, Term{term}, pre_vote, granted, denial});
  }
  void leader(double t, std::uint64_t node, std::uint64_t leader) {
    node_event(t, node, LeaderChanged{NodeId{leader}});
  }
  void commit(double t, std::uint64_t node, std::uint64_t from, std::uint64_t to) {
    node_event(t, node, CommitAdvanced{Index{from}, Index{to}});
  }
  void fault(double t, FaultKind kind, std::vector<std::uint64_t> nodes,
             std::string description = {}) {
    FaultRecord record;
    record.kind = kind;
    for (const std::uint64_t node : nodes) record.nodes.push_back(NodeId{node});
    record.description = std::move(description);
    events.push_back(TraceEvent{at(t), NodeId::none(), record});
  }
  void client(double t, std::uint32_t client, std::uint64_t op, std::uint32_t attempt,
              ClientRecord::Phase phase, std::uint64_t target, std::string error = {}) {
    ClientRecord record;
    record.client = client;
    record.op = op;
    record.attempt = attempt;
    record.kind = OpKind::kWrite;
    record.phase = phase;
    record.target = NodeId{target};
    record.key = "k";
    record.value = std::to_string(op);
    record.error = std::move(error);
    events.push_back(TraceEvent{at(t), NodeId{target}, record});
  }
  void service(double t, std::uint64_t node, ServiceRecord::Phase phase) {
    events.push_back(TraceEvent{at(t), NodeId{node}, ServiceRecord{phase}});
  }
  void message(double t, std::uint64_t id, std::uint64_t from, std::uint64_t to,
               MessageRecord::Fate fate, std::uint8_t type = 4) {
    MessageRecord record;
    record.id = id;
    record.from = NodeId{from};
    record.to = NodeId{to};
    record.term = Term{1};
    record.type = type;
    record.fate = fate;
    events.push_back(TraceEvent{at(t), NodeId{from}, record});
  }
  /// Node `node` wins term `term` at time `t` (candidate 2 ms earlier), votes from `voters`.
  void elect(double t, std::uint64_t node, std::uint64_t term, std::vector<std::uint64_t> voters) {
    role(t - 0.002, node, Role::kFollower, Role::kCandidate, RoleChangeReason::kElectionTimeout);
    this->term(t - 0.002, node, term - 1, term);
    for (const std::uint64_t voter : voters) vote(t - 0.001, voter, node, term, false, true);
    role(t, node, Role::kCandidate, Role::kLeader, RoleChangeReason::kElectionWon);
    leader(t, node, node);
  }

  std::vector<TraceEvent> events;

 private:
  void node_event(double t, std::uint64_t node, EventBody body) {
    // The record carries the node's term after the event, as the host records it.
    if (const auto* change = std::get_if<TermChanged>(&body)) terms_[node] = change->to;
    events.push_back(TraceEvent{at(t), NodeId{node}, NodeRecord{body, terms_[node]}});
  }

  std::map<std::uint64_t, Term> terms_;
};

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in{text};
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

/// The cells of lane `label` ("n1", "clients", ...) between its two '|'.
std::string lane(const std::string& text, std::string_view label) {
  for (const std::string& line : lines_of(text)) {
    if (line.rfind(std::string{label} + " ", 0) != 0) continue;
    const std::size_t open = line.find('|');
    const std::size_t close = line.rfind('|');
    if (open != std::string::npos && close > open) return line.substr(open + 1, close - open - 1);
  }
  ADD_FAILURE() << "no lane " << label << " in\n" << text;
  return {};
}

TimelineOptions options_for(std::uint32_t nodes, double start, double end, std::uint32_t width) {
  TimelineOptions options;
  options.nodes = nodes;
  options.start = at(start);
  options.end = at(end);
  options.width = width;
  return options;
}

/// The seed's failover in miniature: n1 leads term 1, crashes at 10 s; n2's
/// timer fires at 13 s (pre-vote), it stands at 13.001 s and leads term 2 at
/// 13.004 s, loads its state until 15 s; a client writing once a second fails
/// from 11 s to 15 s and is back at 16 s.
struct Failover {
  std::vector<TraceEvent> events;
  RunMetrics metrics;
};

Failover realistic_failover() {
  TraceBuilder b;
  b.elect(0.150, 1, 1, {2, 3});
  b.leader(0.151, 2, 1);
  b.leader(0.151, 3, 1);
  b.service(0.150, 1, ServiceRecord::Phase::kServing);
  std::uint64_t op = 0;
  for (int second = 1; second <= 20; ++second) {
    const double t = second;
    if (second == 10) {
      b.fault(10.0, FaultKind::kCrash, {1}, "kill the coordinator");
      b.service(10.0, 1, ServiceRecord::Phase::kStopped);
    }
    if (second == 13) {
      b.role(13.000, 2, Role::kFollower, Role::kPreCandidate, RoleChangeReason::kElectionTimeout);
      b.vote(13.0005, 3, 2, 2, true, true);
      b.role(13.001, 2, Role::kPreCandidate, Role::kCandidate, RoleChangeReason::kPreVoteWon);
      b.term(13.001, 2, 1, 2);
      b.vote(13.002, 3, 2, 2, false, true);
      b.role(13.004, 2, Role::kCandidate, Role::kLeader, RoleChangeReason::kElectionWon);
      b.leader(13.004, 2, 2);
      b.service(13.004, 2, ServiceRecord::Phase::kLoading);
      b.leader(13.005, 3, 2);
    }
    if (second == 15) b.service(15.0, 2, ServiceRecord::Phase::kServing);
    const std::uint64_t target = second < 13 ? 1 : 2;
    b.client(t, 1, ++op, 0, ClientRecord::Phase::kInvoke, target);
    if (second >= 11 && second <= 15) {
      b.client(t + 0.001, 1, op, 0, ClientRecord::Phase::kFail, target,
               second < 13 ? "connection refused" : "not ready");
    } else {
      b.client(t + 0.002, 1, op, 0, ClientRecord::Phase::kOk, target);
    }
    b.commit(t + 0.002, second < 10 ? 1 : 2, op, op + 1);
  }
  // The client's request at 16 s succeeds at 16.002 s; the RTO is measured to it.
  std::stable_sort(b.events.begin(), b.events.end(),
                   [](const TraceEvent& x, const TraceEvent& y) { return x.time < y.time; });

  Failover failover;
  failover.events = std::move(b.events);
  RunMetrics& m = failover.metrics;
  m.fault_time = at(10.0);
  m.fault_node = NodeId{1};
  m.old_leader = NodeId{1};
  m.detection = 3000ms;
  m.election = 3004ms;
  m.ready = 5000ms;
  m.rto = 6002ms;
  m.new_leader = NodeId{2};
  m.requests = 20;
  m.requests_ok = 15;
  m.requests_failed = 5;
  m.elections = 2;
  m.pre_votes = 1;
  m.leader_changes = 2;
  m.term_max = Term{2};
  return failover;
}

// ---- ASCII ---------------------------------------------------------------------------------

TEST(TimelineAscii, LeaderColumnsThenCrossesAfterCrash) {
  TraceBuilder b;
  b.elect(1.0, 1, 1, {2, 3});
  b.fault(6.0, FaultKind::kCrash, {1});
  // 60 columns wide, labels take 8 and the frame 2: 50 columns of 0.2 s.
  const std::string text =
      render_ascii_timeline(b.events, RunMetrics{}, options_for(3, 0.0, 10.0, 60));
  const std::string n1 = lane(text, "n1");
  ASSERT_EQ(n1.size(), 50U) << text;
  // [0.8, 1.0) holds the 2 ms candidacy; leader from column 5 (1.0 s) to 29 (5.8-6.0 s).
  EXPECT_EQ(n1.substr(0, 4), "FFFF") << text;
  EXPECT_EQ(n1[4], 'C') << text;
  EXPECT_EQ(n1.substr(5, 25), std::string(25, 'L')) << text;
  EXPECT_EQ(n1.substr(30), std::string(20, 'x')) << text;
  EXPECT_EQ(lane(text, "n2"), std::string(50, 'F')) << text;
  EXPECT_EQ(lane(text, "faults")[30], '^') << text;
  EXPECT_NE(text.find("term 1 (1.000-6.000 s, crashed)"), std::string::npos) << text;
}

TEST(TimelineAscii, ShortCandidacyIsVisible) {
  TraceBuilder b;
  b.elect(0.5, 1, 1, {2, 3});
  // n2 asks for pre-votes for 1 ms, is a candidate for 2 ms, and loses.
  b.role(5.100, 2, Role::kFollower, Role::kPreCandidate, RoleChangeReason::kElectionTimeout);
  b.role(5.101, 2, Role::kPreCandidate, Role::kCandidate, RoleChangeReason::kPreVoteWon);
  b.term(5.101, 2, 1, 2);
  b.vote(5.1015, 1, 2, 2, false, false, VoteDenial::kLogBehind);
  b.role(5.103, 2, Role::kCandidate, Role::kFollower, RoleChangeReason::kElectionLost);
  // n3 only asks for pre-votes, at the start of a column.
  b.role(7.0, 3, Role::kFollower, Role::kPreCandidate, RoleChangeReason::kElectionTimeout);
  b.role(7.002, 3, Role::kPreCandidate, Role::kFollower, RoleChangeReason::kLeaderDiscovered);
  const std::string text =
      render_ascii_timeline(b.events, RunMetrics{}, options_for(3, 0.0, 10.0, 60));
  const std::string n2 = lane(text, "n2");
  EXPECT_EQ(n2[25], 'C') << text;  // [5.0, 5.2): 1 ms p, 2 ms C, the rest F.
  EXPECT_EQ(std::count(n2.begin(), n2.end(), 'C'), 1) << text;
  const std::string n3 = lane(text, "n3");
  EXPECT_EQ(n3[35], 'p') << text;
  EXPECT_EQ(std::count(n3.begin(), n3.end(), 'p'), 1) << text;
  // The campaign and its refusal are listed with the reason (wide enough for one line).
  const std::string wide =
      render_ascii_timeline(b.events, RunMetrics{}, options_for(3, 0.0, 10.0, 120));
  EXPECT_NE(
      wide.find("n2 vote for term 2: no n1 (candidate log behind) -> lost election after 2.0 ms"),
      std::string::npos)
      << wide;
}

TEST(TimelineAscii, PausedAndRestartedNodes) {
  TraceBuilder b;
  b.elect(0.5, 1, 1, {2, 3});
  b.fault(2.0, FaultKind::kPause, {1});
  b.fault(4.0, FaultKind::kResume, {1});
  b.fault(6.0, FaultKind::kMachineLoss, {3});
  b.fault(8.0, FaultKind::kRestart, {3});
  const std::string text =
      render_ascii_timeline(b.events, RunMetrics{}, options_for(3, 0.0, 10.0, 60));
  const std::string n1 = lane(text, "n1");
  EXPECT_EQ(n1.substr(10, 10), std::string(10, 'z')) << text;
  EXPECT_EQ(n1.substr(20), std::string(30, 'L')) << text;  // It still leads after the pause.
  const std::string n3 = lane(text, "n3");
  EXPECT_EQ(n3.substr(30, 10), std::string(10, 'x')) << text;
  EXPECT_EQ(n3.substr(40), std::string(10, 'F')) << text;
  const std::string faults = lane(text, "faults");
  EXPECT_EQ(faults[10], '=');
  EXPECT_EQ(faults[20], '>');
  EXPECT_EQ(faults[30], '*');
  EXPECT_EQ(faults[40], '+');
}

TEST(TimelineAscii, ClientLaneMarksOutcomes) {
  TraceBuilder b;
  b.elect(0.5, 1, 1, {2, 3});
  b.client(1.0, 1, 1, 0, ClientRecord::Phase::kInvoke, 1);
  b.client(1.01, 1, 1, 0, ClientRecord::Phase::kOk, 1);
  b.client(2.0, 1, 2, 0, ClientRecord::Phase::kInvoke, 1);
  b.client(2.01, 1, 2, 0, ClientRecord::Phase::kFail, 1, "not leader");
  b.client(3.0, 2, 3, 0, ClientRecord::Phase::kInvoke, 1);
  b.client(4.0, 2, 3, 0, ClientRecord::Phase::kTimeout, 1);
  b.client(4.01, 1, 4, 0, ClientRecord::Phase::kInvoke, 1);
  b.client(4.02, 1, 4, 0, ClientRecord::Phase::kOk, 1);
  const std::string text =
      render_ascii_timeline(b.events, RunMetrics{}, options_for(3, 0.0, 10.0, 60));
  const std::string clients = lane(text, "clients");
  EXPECT_EQ(clients[5], '.') << text;
  EXPECT_EQ(clients[10], '!') << text;
  EXPECT_EQ(clients[15], ' ') << text;  // In flight is not an outcome yet.
  EXPECT_EQ(clients[20], '?') << text;  // The timeout outranks the success in its column.
  EXPECT_EQ(std::count(clients.begin(), clients.end(), ' '), 47) << text;
}

TEST(TimelineAscii, NoLineExceedsTheWidth) {
  Failover failover = realistic_failover();
  for (const std::uint32_t width : {20U, 40U, 41U, 60U, 79U, 100U, 160U}) {
    TimelineOptions options = options_for(3, 0.0, 20.0, width);
    options.title = "A rather long title for a coordinator failover timeline, long enough to wrap";
    options.notes = {"note: " + std::string(300, 'x'),
                     "seed 42 detection 3000 ms election 3004 ms rto 6002 ms failed 5"};
    const std::string text = render_ascii_timeline(failover.events, failover.metrics, options);
    const std::size_t limit = std::max(width, 40U);  // Narrower is clamped to 40.
    for (const std::string& line : lines_of(text)) {
      EXPECT_LE(line.size(), limit) << "width " << width << ": " << line;
    }
    EXPECT_EQ(lane(text, "n1").size(), limit - 10) << text;
  }
}

TEST(TimelineAscii, KeyMomentsAndPhasesCarryTheMetrics) {
  const Failover failover = realistic_failover();
  const std::string text =
      render_ascii_timeline(failover.events, failover.metrics, options_for(3, 0.0, 20.0, 100));
  const std::size_t moments = text.find("Key moments");
  ASSERT_NE(moments, std::string::npos) << text;
  const std::string tail = text.substr(moments);
  for (const char* expected :
       {"10.000 s  fault", "crash n1 (the leader, term 1)", "13.000 s  detection", "+3.000 s",
        "n2 asks for pre-votes for term 2 (election timeout)", "13.004 s  election",
        "n2 leads term 2", "15.000 s  serving",
        "n2 has loaded its state (1.996 s) and serves clients", "16.002 s  clients back",
        "+6.002 s", "client 1's write k succeeded at n2"}) {
    EXPECT_NE(tail.find(expected), std::string::npos) << expected << "\n" << text;
  }
  for (const char* expected : {"detect          3.000 s   50%", "elect            4.0 ms   <1%",
                               "load            1.996 s   33%", "clients back    1.002 s   17%"}) {
    EXPECT_NE(tail.find(expected), std::string::npos) << expected << "\n" << text;
  }
  // A phase shorter than a column is a '|' in the bar, not a column of '='.
  for (const std::string& line : lines_of(tail)) {
    if (line.rfind("  elect ", 0) != 0) continue;
    EXPECT_EQ(line.back(), '|') << line;
    EXPECT_EQ(line.find('='), std::string::npos) << line;
  }
  EXPECT_NE(tail.find("The vote itself took 3.0 ms of the 4.0 ms elect phase (the pre-vote "
                      "before it: 1.0 ms)"),
            std::string::npos)
      << text;
}

TEST(TimelineAscii, IsDeterministic) {
  const Failover failover = realistic_failover();
  const TimelineOptions options = options_for(3, 0.0, 20.0, 100);
  EXPECT_EQ(render_ascii_timeline(failover.events, failover.metrics, options),
            render_ascii_timeline(failover.events, failover.metrics, options));
}

TEST(TimelineAscii, WholeTraceWhenNoWindowIsGiven) {
  TraceBuilder b;
  b.elect(0.5, 1, 1, {2, 3});
  b.fault(1.2, FaultKind::kCrash, {1});
  b.fault(1.5, FaultKind::kRestart, {1});
  TimelineOptions options;
  options.nodes = 3;
  options.width = 60;
  const std::string text = render_ascii_timeline(b.events, RunMetrics{}, options);
  // The window defaults to the last event, stretched to at least one second: [0, 1.5].
  EXPECT_NE(text.find("0.000 s to 1.500 s"), std::string::npos) << text;
  EXPECT_EQ(lane(text, "n1").back(), 'x') << text;
  // Short spans get millisecond ticks.
  EXPECT_NE(text.find("ms"), std::string::npos) << text;
}

TEST(TimelineAscii, RealisticFailover) {
  const Failover failover = realistic_failover();
  TimelineOptions options = options_for(3, 0.0, 20.0, 100);
  options.title = "coordinator failover (synthetic): leader n1 crashes at 10 s";
  options.notes = {"detection 3000 ms, election 3004 ms, ready 5000 ms, rto 6002 ms",
                   "failed requests 5 (1 per second, fixed 1 s retry)"};
  const std::string text = render_ascii_timeline(failover.events, failover.metrics, options);
  std::cout << text;
  // The other two forms, to open by hand (Perfetto; a browser).
  const std::string base = ::testing::TempDir() + "raftsim_timeline_failover";
  std::ofstream{base + ".json"} << [&] {
    std::ostringstream out;
    write_chrome_trace(failover.events, options, out);
    return out.str();
  }();
  std::ofstream{base + ".html"} << [&] {
    std::ostringstream out;
    write_html_timeline(failover.events, failover.metrics, options, out);
    return out.str();
  }();
  std::cout << "\nAlso written: " << base << ".html and " << base << ".json\n";
  // Lanes: n1 leads then is down; n2's 1 ms pre-vote and 3 ms candidacy land in one column.
  const std::string n1 = lane(text, "n1");
  EXPECT_EQ(n1[0], 'L');  // Its 2 ms candidacy at 0.148 s shares a column with leading.
  EXPECT_EQ(n1.back(), 'x');
  const std::string n2 = lane(text, "n2");
  EXPECT_EQ(n2.find('L'), 58U) << text;  // 13.004 s in columns of 0.2222 s.
  EXPECT_EQ(lane(text, "serving").substr(58, 1), "~") << text;
  const std::string clients = lane(text, "clients");
  EXPECT_EQ(std::count(clients.begin(), clients.end(), '!'), 5) << text;
  EXPECT_EQ(std::count(clients.begin(), clients.end(), '.'), 14) << text;  // 20.002 s is out.
  for (const char* phase : {"3.000 s", "4.0 ms", "1.996 s", "1.002 s"}) {
    EXPECT_NE(text.find(phase), std::string::npos) << phase;
  }
  EXPECT_NE(text.find("failed requests 5"), std::string::npos);
}

// Arbitrary traces (roles in any order, faults of every kind, outcomes without
// invocations, duplicated messages, windows cutting through everything) must
// render without crashing, within the width, as valid JSON and whole HTML.
// Each case is a pure function of its seed (printed on failure).
std::vector<TraceEvent> random_trace(Prng& prng, std::uint32_t nodes) {
  TraceBuilder b;
  const auto pick = [&](std::uint64_t n) { return prng.uniform(n); };
  const auto node = [&] { return 1 + pick(nodes + 1); };  // Sometimes beyond `nodes`.
  const auto any_role = [&] { return static_cast<Role>(pick(4)); };
  std::map<std::uint64_t, std::uint64_t> terms;
  double t = 0;
  for (std::uint64_t i = 0, count = pick(400); i < count; ++i) {
    t += static_cast<double>(pick(500'000)) * 1e-6;
    const std::uint64_t n = node();
    switch (pick(9)) {
      case 0:
        b.role(t, n, any_role(), any_role(), static_cast<RoleChangeReason>(pick(9)));
        break;
      case 1:
        b.term(t, n, terms[n], terms[n] + 1 + pick(2));
        terms[n] += 1;
        break;
      case 2:
        b.vote(t, n, node(), terms[n] + pick(2), pick(2) == 0, pick(2) == 0,
               static_cast<VoteDenial>(pick(3)));
        break;
      case 3:
        b.leader(t, n, pick(nodes + 1));
        break;
      case 4:
        b.commit(t, n, i, i + 1);
        break;
      case 5: {
        std::vector<std::uint64_t> targets;
        for (std::uint64_t k = pick(3); k > 0; --k) targets.push_back(node());
        b.fault(t, static_cast<FaultKind>(pick(13)), targets, pick(2) == 0 ? "<&\"'>" : "");
        break;
      }
      case 6:
        b.client(t, static_cast<std::uint32_t>(pick(3)), pick(20),
                 static_cast<std::uint32_t>(pick(2)), static_cast<ClientRecord::Phase>(pick(4)), n,
                 pick(2) == 0 ? "not <leader>" : "");
        break;
      case 7:
        b.service(t, n, static_cast<ServiceRecord::Phase>(pick(4)));
        break;
      default:
        b.message(t, pick(50), n, node(), static_cast<MessageRecord::Fate>(pick(5)),
                  static_cast<std::uint8_t>(pick(6)));
        break;
    }
  }
  return std::move(b.events);
}

TEST(TimelineRandomized, AnyTraceRenders) {
  for (std::uint64_t seed = 1; seed <= 100; ++seed) {
    SCOPED_TRACE(testing::Message() << "seed " << seed);
    Prng prng{seed};
    const auto nodes = static_cast<std::uint32_t>(prng.uniform(8));
    const std::vector<TraceEvent> events = random_trace(prng, nodes);
    TimelineOptions options;
    options.nodes = nodes;
    options.width = static_cast<std::uint32_t>(prng.uniform(220));
    if (prng.chance(0.7)) {
      options.start = at(static_cast<double>(prng.uniform(20'000)) * 1e-3);
      options.end =
          options.start + Duration{static_cast<Duration::rep>(prng.uniform(60'000'000'000))};
    }
    options.title = "random <trace>";
    options.notes = {"seed " + std::to_string(seed)};
    RunMetrics metrics;
    if (prng.chance(0.5)) {
      metrics.fault_time = at(static_cast<double>(prng.uniform(20'000)) * 1e-3);
      metrics.old_leader = NodeId{prng.uniform(4)};
      metrics.new_leader = NodeId{prng.uniform(4)};
      Duration d{};
      for (std::optional<Duration>* field :
           {&metrics.detection, &metrics.election, &metrics.ready, &metrics.rto}) {
        d += Duration{static_cast<Duration::rep>(prng.uniform(3'000'000'000))};
        if (prng.chance(0.8)) *field = d;
      }
    }
    const std::string text = render_ascii_timeline(events, metrics, options);
    EXPECT_EQ(text, render_ascii_timeline(events, metrics, options));
    for (const std::string& line : lines_of(text)) {
      ASSERT_LE(line.size(), std::max(options.width, 40U)) << line << "\n" << text;
    }
    std::ostringstream chrome;
    write_chrome_trace(events, options, chrome);
    EXPECT_TRUE(nlohmann::json::accept(chrome.str())) << chrome.str();
    std::ostringstream html;
    write_html_timeline(events, metrics, options, html);
    EXPECT_NE(html.str().find("</html>"), std::string::npos);
    EXPECT_EQ(html.str().find("<&"), std::string::npos);
    EXPECT_EQ(html.str().find("http"), std::string::npos);
  }
}

// ---- Chrome trace ----------------------------------------------------------------------------

std::map<std::string, int> count_phases(const nlohmann::json& trace) {
  std::map<std::string, int> counts;
  for (const auto& event : trace.at("traceEvents")) ++counts[event.at("ph").get<std::string>()];
  return counts;
}

TEST(TimelineChrome, ValidJsonWithTheExpectedEvents) {
  TraceBuilder b;
  b.elect(1.0, 1, 1, {2});  // n1: F, C, L; n2 moves to term 1 when it votes.
  b.leader(1.001, 2, 1);
  b.commit(1.0100, 1, 0, 1);
  b.commit(1.0104, 1, 1, 2);  // Same millisecond: sampled away.
  b.commit(1.0112, 1, 2, 3);
  b.message(1.0, 1, 1, 2, MessageRecord::Fate::kSent, 0);
  b.message(1.0005, 1, 1, 2, MessageRecord::Fate::kDelivered, 0);
  b.message(1.2, 2, 1, 2, MessageRecord::Fate::kSent);
  b.message(1.2, 2, 1, 2, MessageRecord::Fate::kBlocked);
  b.fault(2.0, FaultKind::kCrash, {1}, "kill <n1>");
  b.client(1.5, 1, 1, 0, ClientRecord::Phase::kInvoke, 1);
  b.client(1.6, 1, 1, 0, ClientRecord::Phase::kOk, 1);
  b.client(2.5, 7, 2, 0, ClientRecord::Phase::kInvoke, 1);  // Still pending at the end.
  std::stable_sort(b.events.begin(), b.events.end(),
                   [](const TraceEvent& x, const TraceEvent& y) { return x.time < y.time; });
  TimelineOptions options = options_for(2, 0.0, 3.0, 100);
  options.title = "chrome";
  std::ostringstream out;
  write_chrome_trace(b.events, options, out);
  const nlohmann::json trace = nlohmann::json::parse(out.str());
  const std::map<std::string, int> counts = count_phases(trace);
  // Role spans: n1 follower, candidate, leader, down; n2 follower t0, t1. Clients: 2 attempts.
  EXPECT_EQ(counts.at("X"), 6 + 2) << out.str();
  // Instants: 1 vote, 2 leader changes, 2 sampled commits, 1 blocked message, 1 fault.
  EXPECT_EQ(counts.at("i"), 7) << out.str();
  EXPECT_EQ(counts.at("s"), 1) << out.str();  // Only the delivered message is an arrow.
  EXPECT_EQ(counts.at("f"), 1) << out.str();
  // cluster: name + sort; each node: name, sort, 2 threads; clients: name, sort, 2 threads.
  EXPECT_EQ(counts.at("M"), 2 + 2 * 4 + 4) << out.str();
  EXPECT_EQ(trace.at("otherData").at("messages").get<int>(), 2);
  EXPECT_FALSE(trace.at("otherData").at("messages_truncated").get<bool>());

  bool saw_leader_span = false;
  bool saw_fault = false;
  for (const auto& event : trace.at("traceEvents")) {
    if (event.at("ph") == "X" && event.at("name") == "leader t1") {
      saw_leader_span = true;
      EXPECT_EQ(event.at("pid").get<int>(), 1);
      EXPECT_EQ(event.at("tid").get<int>(), 1);
      EXPECT_DOUBLE_EQ(event.at("ts").get<double>(), 1'000'000.0);
      EXPECT_DOUBLE_EQ(event.at("dur").get<double>(), 1'000'000.0);
    }
    if (event.at("ph") == "i" && event.at("cat") == "fault") {
      saw_fault = true;
      EXPECT_EQ(event.at("s"), "g");
      EXPECT_EQ(event.at("args").at("description"), "kill <n1>");
    }
    if (event.at("ph") == "i" && event.at("cat") == "vote") {
      EXPECT_EQ(event.at("args").at("candidate").get<int>(), 1);
      EXPECT_EQ(event.at("args").at("term").get<int>(), 1);
      EXPECT_TRUE(event.at("args").at("granted").get<bool>());
    }
    if (event.at("ph") == "f") {
      EXPECT_EQ(event.at("id").get<int>(), 1);
      EXPECT_EQ(event.at("pid").get<int>(), 2);
      EXPECT_EQ(event.at("name"), "VoteRequest");
    }
    if (event.at("ph") == "X" && event.at("cat") == "client" && event.at("tid") == 8) {
      EXPECT_EQ(event.at("args").at("outcome"), "pending");
    }
  }
  EXPECT_TRUE(saw_leader_span);
  EXPECT_TRUE(saw_fault);
}

TEST(TimelineChrome, CapsMessageFlows) {
  TraceBuilder b;
  constexpr std::uint64_t kMessages = 20'005;
  for (std::uint64_t id = 1; id <= kMessages; ++id) {
    const double t = static_cast<double>(id) * 1e-5;
    b.message(t, id, 1, 2, MessageRecord::Fate::kSent);
    b.message(t + 5e-6, id, 1, 2, MessageRecord::Fate::kDelivered);
  }
  std::ostringstream out;
  write_chrome_trace(b.events, options_for(2, 0.0, 1.0, 100), out);
  // Validated without building the DOM (a Debug build parses 4 MB slowly);
  // the writer puts one event per line.
  const std::string text = out.str();
  EXPECT_TRUE(nlohmann::json::accept(text));
  std::map<std::string, int> counts;
  for (const std::string& line : lines_of(text)) {
    for (const char* phase : {"s", "f"}) {
      if (line.find(std::string{R"("ph":")"} + phase + '"') != std::string::npos) ++counts[phase];
    }
  }
  EXPECT_EQ(counts["s"], 20'000);
  EXPECT_EQ(counts["f"], 20'000);
  const std::size_t other = text.find(R"("otherData":)");
  const std::size_t events = text.find(R"(,"traceEvents")");
  ASSERT_LT(other, events);
  const nlohmann::json metadata =
      nlohmann::json::parse(text.substr(other + 12, events - other - 12));
  EXPECT_EQ(metadata.at("messages").get<std::uint64_t>(), kMessages);
  EXPECT_EQ(metadata.at("messages_shown").get<std::uint64_t>(), 20'000U);
  EXPECT_TRUE(metadata.at("messages_truncated").get<bool>());
}

TEST(TimelineChrome, RealisticFailoverParses) {
  const Failover failover = realistic_failover();
  std::ostringstream out;
  write_chrome_trace(failover.events, options_for(3, 0.0, 20.0, 100), out);
  const nlohmann::json trace = nlohmann::json::parse(out.str());
  std::map<int, std::vector<std::string>> roles;
  int attempts = 0;
  int service = 0;
  for (const auto& event : trace.at("traceEvents")) {
    if (event.at("ph") != "X") continue;
    if (event.at("cat") == "role") {
      roles[event.at("pid").get<int>()].push_back(event.at("name").get<std::string>());
    }
    attempts += event.at("cat") == "client" ? 1 : 0;
    service += event.at("cat") == "service" ? 1 : 0;
  }
  using Names = std::vector<std::string>;
  EXPECT_EQ(roles[1], (Names{"follower t0", "candidate t1", "leader t1", "down"}));
  EXPECT_EQ(roles[2],
            (Names{"follower t0", "follower t1", "pre-candidate t1", "candidate t2", "leader t2"}));
  EXPECT_EQ(roles[3], (Names{"follower t0", "follower t1", "follower t2"}));
  EXPECT_EQ(attempts, 19);  // The request sent at 20 s, the window's end, takes no time in it.
  EXPECT_EQ(service, 3);    // n1 serving; n2 loading, then serving.
}

// ---- HTML ----------------------------------------------------------------------------------

TEST(TimelineHtml, SelfContainedAndEscaped) {
  Failover failover = realistic_failover();
  for (TraceEvent& event : failover.events) {
    if (auto* fault = std::get_if<FaultRecord>(&event.body)) {
      fault->description = "kill <the coordinator> & \"see\"";
    }
  }
  TimelineOptions options = options_for(3, 0.0, 20.0, 100);
  options.title = "failover <demo>";
  options.notes = {"rto < 10 s"};
  std::ostringstream out;
  write_html_timeline(failover.events, failover.metrics, options, out);
  const std::string html = out.str();
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0U);
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_NE(html.find("</html>"), std::string::npos);
  for (const char* label : {">n1</text>", ">n2</text>", ">n3</text>", ">clients</text>",
                            ">serving</text>", ">phases</text>"}) {
    EXPECT_NE(html.find(label), std::string::npos) << label;
  }
  EXPECT_NE(html.find("kill &lt;the coordinator&gt; &amp; &quot;see&quot;"), std::string::npos);
  EXPECT_EQ(html.find("<the coordinator>"), std::string::npos);
  EXPECT_NE(html.find("failover &lt;demo&gt;"), std::string::npos);
  EXPECT_NE(html.find("rto &lt; 10 s"), std::string::npos);
  EXPECT_EQ(html.find("http"), std::string::npos);  // Nothing fetched, no links out.
  EXPECT_EQ(html.find("src="), std::string::npos);
  for (const char* phase : {"detect", "elect", "load", "clients back", "3.000 s", "4.0 ms",
                            "1.996 s", "The vote itself took 3.0 ms"}) {
    EXPECT_NE(html.find(phase), std::string::npos) << phase;
  }
}

}  // namespace
}  // namespace raft::sim

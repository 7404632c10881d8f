// SPDX-License-Identifier: Apache-2.0
// Scenario files: YAML in, a validated raft::sim::Scenario out, and errors that
// name the file, the line and the field ("file.yaml:12: cluster.heartbeat: ...").
//
// The format (sim/scenarios/README.md has the same text and a longer example).
// Every key is optional; a missing one keeps the default of scenario.h.
//
//   name: coordinator-failover          # default: the file name without .yaml
//   description: what it shows
//   seed: 1
//   duration: 60s                       # simulated time; must be > 0
//   events_max: 50000000                # hard bound on simulated events
//   cluster:
//     size: 3                           # 1 to 64; even sizes are allowed
//     heartbeat: 1s                     # must be below the minimum election timeout
//     election_timeout: [3s, 4s]        # [min, max), min < max
//     pre_vote: true
//     check_quorum: true
//     fast_failover: false
//     fast_failover_delay_max: 50ms
//     inflight_messages_max: 256
//     message_bytes_max: 1048576
//     read_mode: read_index             # log | read_index | lease (lease: check_quorum on,
//     clock_drift_max: 100ms            #   fast_failover off; drift below the min timeout)
//     snapshot_every: 0                 # snapshot the state every N applied entries (0: never)
//     snapshot_trailing: 1024           # entries kept behind a snapshot
//     snapshot_chunk_bytes: 1048576     # InstallSnapshot chunk size
//     snapshot_chunks_inflight: 4       # chunks in flight per follower
//     priorities: {1: 0, 2: 5}          # election priority by node id (default 1);
//                                       #   0 = votes and replicates, never leads
//   network:
//     latency: 2ms                      # a distribution, see below
//     loss: 0.01                        # probabilities are numbers in [0, 1]
//     duplicate: 0.0
//     bandwidth: 0                      # bytes/s per direction, or 100MB/s, 1Gbit/s; 0: unlimited
//     links:                            # one direction each; unset fields copy the defaults
//       - {from: 1, to: 2, latency: 50ms, loss: 0.1}
//   disk: {fsync: {lognormal: [2ms, 0.5]}}
//   standby: {kind: warm, load_time: 2s, load_bytes_per_s: 0, start_time: 0s}  # hot|warm|cold
//   clients:
//     - name: loop
//       count: 1
//       mode: interval                  # interval | closed-loop
//       interval: 1s
//       timeout: 2s                     # per attempt
//       read_ratio: 0.5
//       keys: 10
//       value_bytes: 0                  # writes' values padded to this many bytes (0: no padding)
//       retry: {policy: fixed, base: 1s}
//       endpoints: [1, 2, 3]            # default: every node
//       follow_leader_hint: true
//       sessions: false                 # writes through a client session (thesis §6.3)
//       start: 1s
//       stop: 50s                       # default: the end of the run
//   sessions: {timeout: 60s, max: 0}   # the state machine's session table
//   timeline:
//     - {at: 20s, crash: leader, restart_after: 10s}   # crash: leader | follower | <id>
//     - {at: 20s, kill-machine: 2}                     # silent machine loss
//     - {at: 30s, restart: 2}
//     - {at: 25s, partition: [[1, 2], [3, 4, 5]]}      # ids or leader / follower
//     - {at: 26s, partition-one-way: {from: leader, to: [2, 3]}}
//     - {at: 27s, isolate: leader}
//     - {at: 40s, heal: true}
//     - {at: 10s, pause: 3, for: 2s}                   # or  pause: "node 3 for 2s"
//     - {at: 12s, resume: 3}
//     - {at: 10s, slow-disk: leader, extra: 500ms, for: 10s}
//     - {at: 15s, recover-disk: 1}
//     - {at: 10s, clock-drift: 2, rate: 1.05}
//     - {at: 10s, network: {loss: 0.2, latency: 10ms}} # unset fields keep their value
//   expect: {rto_ms_max: 10000, failed_requests_max: 5, violations: 0, linearizable: true,
//            detection_ms_max: 4000, election_ms_max: 5000, elections_max: 3,
//            duplicate_writes_max: 0,
//            reads_ok_max: 0, reads_client: stale-readers,   # reads answered, of that group
//            snapshots_installed_min: 1, converged: true}
//
// Durations: a number and a unit, ns, us, ms, s, m or h: "100ms", "1.5s", "2m",
// "250us", "10ns"; "0" alone needs no unit. A bare number is an error (is 100
// milliseconds or seconds?), and so is a negative duration.
//
// Distributions (network latency, disk fsync): a duration means fixed; or one of
//   {fixed: 2ms}  {uniform: [1ms, 5ms]}  {exponential: 2ms}  (the mean)
//   {normal: [5ms, 1ms]}  (mean, standard deviation; clamped at 0)
//   {lognormal: [2ms, 0.5]}  (median, sigma)
//
// Retry policies: a preset name, or a mapping whose `policy` picks a preset that
// the other keys then adjust:
//   none              one attempt, no retry
//   fixed             wait `base` (default 1s) after each failure; also {fixed: 1s}
//   exponential       base * multiplier^attempt, capped at `cap`
//   grpc              exponential, base 1s, multiplier 1.6, jitter proportional 0.2, cap 120s
//   seed-exponential  exponential, base 1s, multiplier 2, jitter additive, additive_max 1s
//   keys: policy, base, multiplier, cap, jitter (none | full | equal | decorrelated |
//   proportional | additive), jitter_fraction, additive_max, attempts_max
//
// Overrides (raftsim --set key=value) parse the value as YAML with the same field
// parsers: seed=7, cluster.size=7, cluster.election_timeout=[1s,2s],
// network.latency={uniform: [1ms, 5ms]}, clients.0.interval=500ms (or clients[0]...),
// clients.0.retry=grpc, expect.rto_ms_max=null (removes the bound), timeline=[...].
// List entries of timeline and network.links are replaced whole, not field by field.
//
// Errors never escape as exceptions: yaml-cpp's are caught at the API boundary
// and become Status(kInvalidArgument) with the line yaml-cpp reports. Inside this
// file a LoadError exception carries the first problem out of the recursive
// descent, which keeps each field parser a plain function of its node.
#include "raft/sim/scenario_loader.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <exception>
#include <fstream>
#include <initializer_list>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

namespace raft::sim {
namespace {

constexpr std::uint32_t kClusterSizeMax = 64;

// ---------------------------------------------------------------------------
// Text helpers

std::string_view trim(std::string_view text) {
  constexpr std::string_view kSpace = " \t\r\n";
  const auto begin = text.find_first_not_of(kSpace);
  if (begin == std::string_view::npos) return {};
  const auto end = text.find_last_not_of(kSpace);
  return text.substr(begin, end - begin + 1);
}

std::string lower(std::string_view text) {
  std::string result(text);
  for (char& c : result) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return result;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

/// A scalar as it appears in a message: quoted, shortened, control characters escaped.
std::string quote(std::string_view text) {
  constexpr std::size_t kShown = 40;
  std::string result = "'";
  for (std::size_t i = 0; i < text.size() && i < kShown; ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte < 0x20 || byte == 0x7f) {
      result += fmt::format("\\x{:02x}", byte);
    } else {
      result += text[i];
    }
  }
  if (text.size() > kShown) result += "...";
  result += "'";
  return result;
}

std::string join(const std::vector<std::string_view>& words) {
  std::string result;
  for (const auto word : words) {
    if (!result.empty()) result += ", ";
    result += word;
  }
  return result;
}

/// Levenshtein distance, for "did you mean" on unknown keys.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + cost});
      diagonal = above;
    }
  }
  return row[b.size()];
}

/// "2ms", "1.5s", "250us", "0ms": exact, so it reads back as the same duration.
std::string format_duration(Duration duration) {
  std::int64_t count = duration.count();
  if (count == 0) return "0ms";
  if (count < 0) {
    if (count == INT64_MIN) return fmt::format("{}ns", count);
    return "-" + format_duration(Duration{-count});
  }
  struct Unit {
    std::int64_t nanoseconds;
    const char* suffix;
    int digits;
  };
  static constexpr Unit kUnits[] = {
      {1'000'000'000, "s", 9}, {1'000'000, "ms", 6}, {1'000, "us", 3}, {1, "ns", 0}};
  for (const Unit& unit : kUnits) {
    if (count < unit.nanoseconds) continue;
    const std::int64_t whole = count / unit.nanoseconds;
    std::int64_t fraction = count % unit.nanoseconds;
    if (fraction == 0) return fmt::format("{}{}", whole, unit.suffix);
    int digits = unit.digits;
    while (fraction % 10 == 0) {
      fraction /= 10;
      --digits;
    }
    return fmt::format("{}.{:0{}}{}", whole, fraction, digits, unit.suffix);
  }
  return fmt::format("{}ns", count);
}

// ---------------------------------------------------------------------------
// Scalars from text. Each returns the value or explains in `problem` what is wrong.

/// Durations: "<number><unit>", computed exactly in integer nanoseconds.
std::optional<Duration> duration_from_text(std::string_view text, std::string& problem) {
  const std::string_view original = text;
  text = trim(text);
  if (text.empty()) {
    problem = "empty; expected a duration such as 100ms or 1.5s";
    return std::nullopt;
  }
  const bool negative = text.front() == '-';
  if (negative || text.front() == '+') text.remove_prefix(1);
  std::size_t i = 0;
  while (i < text.size() && is_digit(text[i])) ++i;
  const std::string_view whole_digits = text.substr(0, i);
  std::string_view fraction_digits;
  if (i < text.size() && text[i] == '.') {
    const std::size_t start = ++i;
    while (i < text.size() && is_digit(text[i])) ++i;
    fraction_digits = text.substr(start, i - start);
  }
  std::string_view unit = trim(text.substr(i));
  if (whole_digits.empty() && fraction_digits.empty()) {
    problem = fmt::format("{} is not a duration (e.g. 100ms, 1.5s)", quote(original));
    return std::nullopt;
  }
  struct Unit {
    std::string_view name;
    std::int64_t nanoseconds;
  };
  static constexpr Unit kUnits[] = {
      {"ns", 1},         {"us", 1'000},        {"\xc2\xb5s", 1'000},  // µs
      {"ms", 1'000'000}, {"s", 1'000'000'000}, {"m", 60'000'000'000}, {"h", 3'600'000'000'000}};
  std::int64_t scale = 0;
  for (const Unit& candidate : kUnits) {
    if (unit == candidate.name) scale = candidate.nanoseconds;
  }
  const bool zero = whole_digits.find_first_not_of('0') == std::string_view::npos &&
                    fraction_digits.find_first_not_of('0') == std::string_view::npos;
  if (unit.empty()) {
    if (zero) return Duration::zero();
    problem = fmt::format("{} has no unit; write {}ms or {}s", quote(original), text, text);
    return std::nullopt;
  }
  if (scale == 0) {
    problem = fmt::format("{} has an unknown unit {}; use ns, us, ms, s, m or h", quote(original),
                          quote(unit));
    return std::nullopt;
  }
  if (negative && !zero) {
    problem = fmt::format("{} is negative; durations are 0 or more", quote(original));
    return std::nullopt;
  }
  // 128-bit arithmetic: 19 whole digits times an hour in ns still fits.
  __extension__ using Wide = __int128;
  constexpr Wide kMax = INT64_MAX;
  if (whole_digits.size() > 19) {
    problem = fmt::format("{} is too long a duration", quote(original));
    return std::nullopt;
  }
  Wide total = 0;
  for (const char c : whole_digits) total = total * 10 + (c - '0');
  total *= scale;
  // Fractions: up to 18 digits (finer than a nanosecond of any unit), rounded to nearest.
  Wide numerator = 0;
  Wide denominator = 1;
  for (std::size_t d = 0; d < fraction_digits.size() && d < 18; ++d) {
    numerator = numerator * 10 + (fraction_digits[d] - '0');
    denominator *= 10;
  }
  total += (numerator * scale + denominator / 2) / denominator;
  if (total > kMax) {
    problem = fmt::format("{} is too long a duration", quote(original));
    return std::nullopt;
  }
  return Duration{static_cast<Duration::rep>(total)};
}

/// Whole numbers >= 0; "1_000_000" is allowed (YAML 1.1 digit separators).
std::optional<std::uint64_t> unsigned_from_text(std::string_view text, std::string& problem) {
  const std::string_view original = text;
  text = trim(text);
  std::string digits;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const bool separator =
        c == '_' && i > 0 && i + 1 < text.size() && is_digit(text[i - 1]) && is_digit(text[i + 1]);
    if (!separator) digits += c;
  }
  if (digits.empty() || !std::all_of(digits.begin(), digits.end(), is_digit)) {
    double number = 0;
    const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), number);
    const bool numeric = error == std::errc{} && end == digits.data() + digits.size();
    if (numeric && number < 0) {
      problem = fmt::format("{} is negative; expected a whole number, 0 or more", quote(original));
    } else if (numeric) {
      problem = fmt::format("{} is not a whole number", quote(original));
    } else {
      problem = fmt::format("{} is not a number", quote(original));
    }
    return std::nullopt;
  }
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (error != std::errc{} || end != digits.data() + digits.size()) {
    problem = fmt::format("{} is too large", quote(original));
    return std::nullopt;
  }
  return value;
}

/// Link bandwidth in bytes per second: a whole number (bytes/s), or a number
/// and a unit: B/s, kB/s, MB/s, GB/s (powers of 1000), KiB/s, MiB/s, GiB/s
/// (powers of 1024), bit/s, kbit/s, Mbit/s, Gbit/s. 0 means unlimited.
std::optional<std::uint64_t> bandwidth_from_text(std::string_view text, std::string& problem) {
  const std::string_view original = text;
  text = trim(text);
  std::size_t i = 0;
  while (i < text.size() && (is_digit(text[i]) || text[i] == '.' || text[i] == '_')) ++i;
  const std::string_view number_text = text.substr(0, i);
  const std::string unit = lower(trim(text.substr(i)));
  if (unit.empty()) return unsigned_from_text(text, problem);
  struct Unit {
    std::string_view name;
    double bytes_per_s;
  };
  static constexpr Unit kUnits[] = {
      {"b/s", 1.0},      {"kb/s", 1e3},        {"mb/s", 1e6},           {"gb/s", 1e9},
      {"kib/s", 1024.0}, {"mib/s", 1048576.0}, {"gib/s", 1073741824.0}, {"bit/s", 0.125},
      {"kbit/s", 125.0}, {"mbit/s", 125e3},    {"gbit/s", 125e6}};
  double scale = 0;
  for (const Unit& candidate : kUnits) {
    if (unit == candidate.name) scale = candidate.bytes_per_s;
  }
  const auto example = "e.g. 100MB/s, 1GiB/s, 800Mbit/s or a whole number of bytes/s";
  if (!text.empty() && text.front() == '-') {
    problem = fmt::format("{} is negative; expected 0 (unlimited) or more", quote(original));
    return std::nullopt;
  }
  if (number_text.empty()) {
    problem = fmt::format("{} is not a bandwidth ({})", quote(original), example);
    return std::nullopt;
  }
  if (scale == 0) {
    problem = fmt::format(
        "{} has an unknown unit {}; use B/s, kB/s, MB/s, GB/s, KiB/s, MiB/s, "
        "GiB/s, bit/s, kbit/s, Mbit/s or Gbit/s",
        quote(original), quote(unit));
    return std::nullopt;
  }
  std::string digits(number_text);
  digits.erase(std::remove(digits.begin(), digits.end(), '_'), digits.end());
  double number = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), number);
  if (digits.empty() || error != std::errc{} || end != digits.data() + digits.size()) {
    problem = fmt::format("{} is not a bandwidth ({})", quote(original), example);
    return std::nullopt;
  }
  const double bytes = std::round(number * scale);
  if (number > 0 && bytes < 1) {
    problem = fmt::format("{} is below 1 byte/s; 0 means unlimited", quote(original));
    return std::nullopt;
  }
  if (!(bytes < 1.8e19)) {
    problem = fmt::format("{} is too large a bandwidth", quote(original));
    return std::nullopt;
  }
  return static_cast<std::uint64_t>(bytes);
}

std::optional<double> double_from_text(std::string_view text, std::string& problem) {
  const std::string_view original = text;
  text = trim(text);
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  double value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc{} || end != text.data() + text.size() ||
      !std::isfinite(value)) {
    problem = fmt::format("{} is not a number", quote(original));
    return std::nullopt;
  }
  return value;
}

std::optional<bool> bool_from_text(std::string_view text, std::string& problem) {
  const std::string word = lower(trim(text));
  if (word == "true" || word == "yes" || word == "on") return true;
  if (word == "false" || word == "no" || word == "off") return false;
  problem = fmt::format("{} is not true or false", quote(text));
  return std::nullopt;
}

std::optional<NodeSelector> selector_from_text(std::string_view text, std::string& problem) {
  const std::string word = lower(trim(text));
  if (word == "leader") return NodeSelector{NodeSelector::Kind::kLeader, NodeId{}};
  if (word == "follower") return NodeSelector{NodeSelector::Kind::kFollower, NodeId{}};
  if (word == "auto") return NodeSelector{NodeSelector::Kind::kAuto, NodeId{}};
  if (!word.empty() && std::all_of(word.begin(), word.end(), is_digit)) {
    std::string ignored;
    if (const auto id = unsigned_from_text(word, ignored); id && *id > 0) {
      return NodeSelector{NodeSelector::Kind::kId, NodeId{*id}};
    }
    problem = fmt::format("{} is not a node; ids start at 1", quote(text));
    return std::nullopt;
  }
  problem = fmt::format("{} is not a node; expected leader, follower or a node id", quote(text));
  return std::nullopt;
}

// ---------------------------------------------------------------------------
// The reader: YAML nodes with their dotted path and line, and the first error.

/// The first problem found; thrown inside this file only, caught at the API boundary.
struct LoadError {
  int line = 0;  // 1-based; 0 when unknown.
  std::string path;
  std::string message;
};

/// A YAML node with the path that leads to it ("clients[0].retry.base") and its line.
struct Field {
  YAML::Node node;
  std::string path;
  int line = 0;
};

std::string display_path(std::string_view path) {
  return path.empty() ? std::string("(document)") : std::string(path);
}

std::string child_path(std::string_view parent, std::string_view key) {
  return parent.empty() ? std::string(key) : fmt::format("{}.{}", parent, key);
}

/// What a node is, for "expected X, got Y".
std::string describe_node(const YAML::Node& node) {
  if (!node.IsDefined() || node.IsNull()) return "nothing";
  if (node.IsMap()) return "a mapping";
  if (node.IsSequence()) return "a list";
  return quote(node.Scalar());
}

/// The timeline keys that name what happens, and the fault each one makes.
struct Action {
  std::string_view key;
  FaultKind kind;
};
constexpr Action kActions[] = {
    {"crash", FaultKind::kCrash},
    {"kill-machine", FaultKind::kMachineLoss},
    {"restart", FaultKind::kRestart},
    {"pause", FaultKind::kPause},
    {"resume", FaultKind::kResume},
    {"partition", FaultKind::kPartition},
    {"partition-one-way", FaultKind::kPartitionOneWay},
    {"isolate", FaultKind::kIsolate},
    {"heal", FaultKind::kHeal},
    {"slow-disk", FaultKind::kSlowDisk},
    {"recover-disk", FaultKind::kDiskRecovered},
    {"clock-drift", FaultKind::kClockDrift},
    {"network", FaultKind::kNetworkChange},
    {"transfer", FaultKind::kTransferLeadership},
    {"add-voter", FaultKind::kMembershipChange},
    {"add-learner", FaultKind::kMembershipChange},
    {"remove", FaultKind::kMembershipChange},
    {"replace", FaultKind::kMembershipChange},
};

std::string_view action_key(FaultKind kind) {
  for (const Action& action : kActions) {
    if (action.kind == kind) return action.key;
  }
  return "fault";
}

/// A network change as written: only the fields given. Resolved against the
/// previous change (in time order) once the whole timeline is read.
struct LinkChange {
  std::optional<Distribution> latency;
  std::optional<double> loss;
  std::optional<double> duplicate;
  std::optional<std::uint64_t> bandwidth;
};

class Reader {
 public:
  Reader(std::string source, bool with_lines)
      : source_(std::move(source)), with_lines_(with_lines) {}

  [[noreturn]] static void fail(const Field& field, std::string message) {
    throw LoadError{field.line, field.path, std::move(message)};
  }

  /// "<source>:<line>: <path>: <message>"; without a source (an override), "<path>: <message>".
  [[nodiscard]] std::string format(const LoadError& error) const {
    const std::string path = display_path(error.path);
    if (source_.empty()) return fmt::format("{}: {}", path, error.message);
    const int line = with_lines_ ? (error.line > 0 ? error.line : line_for(error.path)) : 0;
    if (line > 0) return fmt::format("{}:{}: {}: {}", source_, line, path, error.message);
    return fmt::format("{}: {}: {}", source_, path, error.message);
  }

  /// The line recorded for `path` or, failing that, for the nearest enclosing field.
  [[nodiscard]] int line_for(std::string path) const {
    while (true) {
      if (const auto it = lines_.find(path); it != lines_.end()) return it->second;
      const auto cut = path.find_last_of(".[");
      if (cut == std::string::npos) break;
      path.resize(cut);
    }
    const auto it = lines_.find("");
    return it == lines_.end() ? 0 : it->second;
  }

  [[nodiscard]] Field root(const YAML::Node& node) {
    Field field{node, "", line_of(node, 1)};
    record(field);
    return field;
  }

  [[nodiscard]] Field element(const Field& list, const YAML::Node& node, std::size_t index) {
    Field field{node, fmt::format("{}[{}]", list.path, index), line_of(node, list.line)};
    record(field);
    return field;
  }

  /// The 1-based line of a mapping key (the map's line when unknown).
  [[nodiscard]] int key_line(const Field& map, const YAML::Node& key) const {
    return line_of(key, map.line);
  }

  [[nodiscard]] Field entry(const Field& map, std::string_view key, const YAML::Node& key_node,
                            const YAML::Node& value) {
    // A null value's mark points past it (at the next token), so use the key's line.
    const int key_line = line_of(key_node, map.line);
    const bool empty = !value.IsDefined() || value.IsNull();
    Field field{value, child_path(map.path, key), empty ? key_line : line_of(value, key_line)};
    record(field);
    return field;
  }

  // Scalars -----------------------------------------------------------------

  [[nodiscard]] static const std::string& scalar(const Field& field, std::string_view expected) {
    if (!field.node.IsDefined() || field.node.IsNull()) {
      fail(field, fmt::format("missing value; expected {}", expected));
    }
    if (!field.node.IsScalar()) {
      fail(field, fmt::format("expected {}, got {}", expected, describe_node(field.node)));
    }
    return field.node.Scalar();
  }

  [[nodiscard]] static std::string text(const Field& field) { return scalar(field, "a string"); }

  [[nodiscard]] static Duration duration(const Field& field) {
    std::string problem;
    const auto value = duration_from_text(scalar(field, "a duration (e.g. 100ms, 1.5s)"), problem);
    if (!value) fail(field, problem);
    return *value;
  }

  [[nodiscard]] static std::uint64_t u64(const Field& field) {
    std::string problem;
    const auto value = unsigned_from_text(scalar(field, "a whole number"), problem);
    if (!value) fail(field, problem);
    return *value;
  }

  [[nodiscard]] static std::uint64_t bandwidth(const Field& field) {
    std::string problem;
    const auto value =
        bandwidth_from_text(scalar(field, "a bandwidth (e.g. 100MB/s, 1GiB/s)"), problem);
    if (!value) fail(field, problem);
    return *value;
  }

  [[nodiscard]] static std::uint32_t u32(const Field& field) {
    const std::uint64_t value = u64(field);
    if (value > UINT32_MAX) {
      fail(field, fmt::format("{} is too large (at most {})", value, UINT32_MAX));
    }
    return static_cast<std::uint32_t>(value);
  }

  [[nodiscard]] static double number(const Field& field) {
    std::string problem;
    const auto value = double_from_text(scalar(field, "a number"), problem);
    if (!value) fail(field, problem);
    return *value;
  }

  [[nodiscard]] static double non_negative(const Field& field) {
    const double value = number(field);
    if (value < 0) fail(field, fmt::format("{} is negative; expected 0 or more", value));
    return value;
  }

  [[nodiscard]] static double probability(const Field& field) {
    const double value = number(field);
    if (!(value >= 0.0 && value <= 1.0)) {
      fail(field, fmt::format("{} is not a probability; expected a number from 0 to 1", value));
    }
    return value;
  }

  [[nodiscard]] static bool boolean(const Field& field) {
    std::string problem;
    const auto value = bool_from_text(scalar(field, "true or false"), problem);
    if (!value) fail(field, problem);
    return *value;
  }

  [[nodiscard]] static NodeSelector selector(const Field& field) {
    std::string problem;
    const auto value = selector_from_text(scalar(field, "leader, follower or a node id"), problem);
    if (!value) fail(field, problem);
    return *value;
  }

  /// A node named by its id (leader / follower make no sense where this is used).
  [[nodiscard]] static NodeId node_id(const Field& field) {
    const std::string& word = scalar(field, "a node id");
    const std::string lowered = lower(trim(word));
    if (lowered == "leader" || lowered == "follower") {
      fail(field, fmt::format("expected a node id here, not {}", lowered));
    }
    const std::uint64_t id = u64(field);
    if (id == 0) fail(field, "node 0 does not exist; ids start at 1");
    return NodeId{id};
  }

  /// `choices` maps the accepted words to values; the error lists them.
  template <class T>
  [[nodiscard]] static T choice(const Field& field,
                                std::initializer_list<std::pair<std::string_view, T>> choices) {
    std::vector<std::string_view> names;
    for (const auto& [name, value] : choices) names.push_back(name);
    const std::string word = lower(trim(scalar(field, "one of " + join(names))));
    for (const auto& [name, value] : choices) {
      if (word == name) return value;
    }
    fail(field, fmt::format("{} is not one of: {}", quote(field.node.Scalar()), join(names)));
  }

  /// A list of exactly `count` items.
  [[nodiscard]] std::vector<Field> items(const Field& field, std::size_t count,
                                         std::string_view expected) {
    if (!field.node.IsSequence() || field.node.size() != count) {
      fail(field, fmt::format("expected {}, got {}", expected, describe_node(field.node)));
    }
    return list(field, expected);
  }

  [[nodiscard]] std::vector<Field> list(const Field& field, std::string_view expected) {
    if (!field.node.IsDefined() || field.node.IsNull()) return {};
    if (!field.node.IsSequence()) {
      fail(field, fmt::format("expected {}, got {}", expected, describe_node(field.node)));
    }
    std::vector<Field> result;
    std::size_t index = 0;
    for (auto it = field.node.begin(); it != field.node.end(); ++it) {
      result.push_back(element(field, *it, index++));
    }
    return result;
  }

  [[nodiscard]] Distribution distribution(const Field& field);

  // Sections (each merges what the mapping gives onto `out`) ---------------------

  void scenario(const Field& field, Scenario& out);
  void cluster(const Field& field, ClusterSpec& out);
  void priorities(const Field& field, std::map<NodeId, std::uint32_t>& out);
  void network(const Field& field, NetworkSpec& out);
  void disk(const Field& field, DiskSpec& out);
  void standby(const Field& field, StandbySpec& out);
  void sessions(const Field& field, SessionSpec& out);
  void clients(const Field& field, std::vector<ClientSpec>& out);
  void client(const Field& field, ClientSpec& out);
  void retry(const Field& field, RetrySpec& out);
  void timeline(const Field& field, const LinkSpec& network_defaults, std::vector<FaultSpec>& out);
  [[nodiscard]] FaultSpec fault(const Field& field, std::optional<LinkChange>& change);
  void expect(const Field& field, ExpectSpec& out);

 private:
  [[nodiscard]] int line_of(const YAML::Node& node, int fallback) const {
    if (!with_lines_ || !node.IsDefined()) return fallback;
    const YAML::Mark mark = node.Mark();
    return mark.is_null() || mark.line < 0 ? fallback : mark.line + 1;
  }

  void record(const Field& field) {
    if (with_lines_ && field.line > 0) lines_.emplace(field.path, field.line);
  }

  std::string source_;
  bool with_lines_;
  std::map<std::string, int> lines_;  // path -> line, for validate()'s messages
};

/// The entries of a YAML mapping, checked against the keys it may have.
class Mapping {
 public:
  Mapping(Reader& reader, const Field& field, std::vector<std::string_view> valid)
      : valid_(std::move(valid)) {
    if (!field.node.IsDefined() || field.node.IsNull()) return;  // "cluster:" alone: no changes.
    if (!field.node.IsMap()) {
      Reader::fail(field, fmt::format("expected a mapping with keys {}, got {}", join(valid_),
                                      describe_node(field.node)));
    }
    for (auto it = field.node.begin(); it != field.node.end(); ++it) {
      const YAML::Node key = it->first;
      if (!key.IsScalar()) {
        const Field at{key, field.path, reader.key_line(field, key)};
        Reader::fail(at, fmt::format("keys are plain names; valid keys: {}", join(valid_)));
      }
      const std::string& name = key.Scalar();
      if (std::find(valid_.begin(), valid_.end(), name) == valid_.end()) {
        const Field at{key, child_path(field.path, name), reader.key_line(field, key)};
        Reader::fail(at, unknown_key_message(name));
      }
      Field value = reader.entry(field, name, key, it->second);
      if (const Field* first = find(name)) {
        Reader::fail(value, fmt::format("given twice (first on line {})", first->line));
      }
      entries_.emplace_back(name, std::move(value));
    }
  }

  [[nodiscard]] const Field* find(std::string_view key) const {
    for (const auto& [name, value] : entries_) {
      if (name == key) return &value;
    }
    return nullptr;
  }
  [[nodiscard]] std::size_t size() const { return entries_.size(); }

 private:
  [[nodiscard]] std::string unknown_key_message(std::string_view name) const {
    std::string message = fmt::format("unknown key; valid keys: {}", join(valid_));
    // Suggest the nearest valid key when it is close: a typo rather than a different idea.
    std::string_view nearest;
    std::size_t best = name.size() / 3 + 2;
    for (const auto key : valid_) {
      const std::size_t distance = edit_distance(lower(name), key);
      if (distance < best) {
        best = distance;
        nearest = key;
      }
    }
    if (!nearest.empty()) message += fmt::format(" (did you mean '{}'?)", nearest);
    return message;
  }

  std::vector<std::string_view> valid_;
  std::vector<std::pair<std::string, Field>> entries_;
};

Distribution Reader::distribution(const Field& field) {
  if (field.node.IsScalar()) return Distribution::fixed(duration(field));
  constexpr std::string_view kExpected =
      "a duration (2ms) or one of {fixed: 2ms}, {uniform: [1ms, 5ms]}, {exponential: 2ms}, "
      "{normal: [5ms, 1ms]}, {lognormal: [2ms, 0.5]}";
  if (!field.node.IsMap()) {
    fail(field, fmt::format("expected {}, got {}", kExpected, describe_node(field.node)));
  }
  const Mapping map(*this, field, {"fixed", "uniform", "exponential", "normal", "lognormal"});
  if (map.size() != 1) fail(field, fmt::format("expected exactly one of {}", kExpected));
  if (const Field* value = map.find("fixed")) return Distribution::fixed(duration(*value));
  if (const Field* value = map.find("exponential")) {
    return Distribution::exponential(duration(*value));
  }
  if (const Field* value = map.find("uniform")) {
    const auto bounds = items(*value, 2, "[min, max], e.g. [1ms, 5ms]");
    const Duration min = duration(bounds[0]);
    const Duration max = duration(bounds[1]);
    if (max < min) {
      fail(*value,
           fmt::format("max {} is below min {}", format_duration(max), format_duration(min)));
    }
    return Distribution::uniform(min, max);
  }
  if (const Field* value = map.find("normal")) {
    const auto parameters = items(*value, 2, "[mean, stddev], e.g. [5ms, 1ms]");
    return Distribution::normal(duration(parameters[0]), duration(parameters[1]));
  }
  const Field* value = map.find("lognormal");
  const auto parameters = items(*value, 2, "[median, sigma], e.g. [2ms, 0.5]");
  return Distribution::log_normal(duration(parameters[0]), non_negative(parameters[1]));
}

void Reader::scenario(const Field& field, Scenario& out) {
  if (!field.node.IsDefined() || field.node.IsNull()) {
    fail(field,
         "the scenario is empty; expected a mapping with keys name, description, seed, "
         "duration, events_max, cluster, network, disk, standby, clients, sessions, "
         "timeline, expect");
  }
  const Mapping map(*this, field,
                    {"name", "description", "seed", "duration", "events_max", "cluster", "network",
                     "disk", "standby", "clients", "sessions", "timeline", "expect"});
  if (const Field* value = map.find("name")) out.name = text(*value);
  if (const Field* value = map.find("description")) out.description = text(*value);
  if (const Field* value = map.find("seed")) out.seed = u64(*value);
  if (const Field* value = map.find("duration")) out.duration = duration(*value);
  if (const Field* value = map.find("events_max")) out.events_max = u64(*value);
  if (const Field* value = map.find("cluster")) cluster(*value, out.cluster);
  // The network before the timeline: network changes start from its defaults.
  if (const Field* value = map.find("network")) network(*value, out.network);
  if (const Field* value = map.find("disk")) disk(*value, out.disk);
  if (const Field* value = map.find("standby")) standby(*value, out.standby);
  if (const Field* value = map.find("clients")) clients(*value, out.clients);
  if (const Field* value = map.find("sessions")) sessions(*value, out.sessions);
  if (const Field* value = map.find("timeline")) timeline(*value, out.network.defaults, out.faults);
  if (const Field* value = map.find("expect")) expect(*value, out.expect);
}

void Reader::cluster(const Field& field, ClusterSpec& out) {
  const Mapping map(*this, field,
                    {"size", "spares", "heartbeat", "election_timeout", "pre_vote", "check_quorum",
                     "fast_failover", "fast_failover_delay_max", "inflight_messages_max",
                     "message_bytes_max", "read_mode", "clock_drift_max", "snapshot_every",
                     "snapshot_trailing", "snapshot_chunk_bytes", "snapshot_chunks_inflight",
                     "priorities"});
  if (const Field* value = map.find("size")) out.size = u32(*value);
  if (const Field* value = map.find("spares")) out.spares = u32(*value);
  if (const Field* value = map.find("heartbeat")) out.heartbeat_interval = duration(*value);
  if (const Field* value = map.find("election_timeout")) {
    const auto range = items(*value, 2, "[min, max], e.g. [1s, 2s]");
    out.election_timeout_min = duration(range[0]);
    out.election_timeout_max = duration(range[1]);
  }
  if (const Field* value = map.find("pre_vote")) out.pre_vote = boolean(*value);
  if (const Field* value = map.find("check_quorum")) out.check_quorum = boolean(*value);
  if (const Field* value = map.find("fast_failover")) out.fast_failover = boolean(*value);
  if (const Field* value = map.find("fast_failover_delay_max")) {
    out.fast_failover_delay_max = duration(*value);
  }
  if (const Field* value = map.find("inflight_messages_max"))
    out.inflight_messages_max = u64(*value);
  if (const Field* value = map.find("message_bytes_max")) out.message_bytes_max = u64(*value);
  if (const Field* value = map.find("read_mode")) {
    out.read_mode = choice<ReadPath>(*value, {{"log", ReadPath::kLog},
                                              {"read_index", ReadPath::kReadIndex},
                                              {"lease", ReadPath::kLease}});
  }
  if (const Field* value = map.find("clock_drift_max")) out.clock_drift_max = duration(*value);
  if (const Field* value = map.find("snapshot_every")) out.snapshot_every = u64(*value);
  if (const Field* value = map.find("snapshot_trailing")) out.snapshot_trailing = u64(*value);
  if (const Field* value = map.find("snapshot_chunk_bytes")) {
    out.snapshot_chunk_bytes = u64(*value);
  }
  if (const Field* value = map.find("snapshot_chunks_inflight")) {
    out.snapshot_chunks_inflight = u64(*value);
  }
  if (const Field* value = map.find("priorities")) priorities(*value, out.priorities);
}

void Reader::priorities(const Field& field, std::map<NodeId, std::uint32_t>& out) {
  constexpr std::string_view kExpected = "a mapping of node id to priority, e.g. {1: 0, 2: 5}";
  if (!field.node.IsDefined() || field.node.IsNull()) return;
  if (!field.node.IsMap()) {
    fail(field, fmt::format("expected {}, got {}", kExpected, describe_node(field.node)));
  }
  // Merged onto `out`, so that --set cluster.priorities.2=5 changes one node.
  std::map<NodeId, std::uint32_t> given;
  for (auto it = field.node.begin(); it != field.node.end(); ++it) {
    const Field key{it->first, field.path, key_line(field, it->first)};
    if (!it->first.IsScalar()) fail(key, fmt::format("expected {}", kExpected));
    const NodeId id = node_id(key);
    const Field value = entry(field, fmt::format("{}", id.value()), it->first, it->second);
    if (!given.emplace(id, u32(value)).second) {
      fail(value, fmt::format("node {} is given twice", id.value()));
    }
  }
  for (const auto& [id, priority] : given) out[id] = priority;
}

void Reader::network(const Field& field, NetworkSpec& out) {
  const Mapping map(*this, field, {"latency", "loss", "duplicate", "bandwidth", "links"});
  if (const Field* value = map.find("latency")) out.defaults.latency = distribution(*value);
  if (const Field* value = map.find("loss")) out.defaults.loss = probability(*value);
  if (const Field* value = map.find("duplicate")) out.defaults.duplicate = probability(*value);
  if (const Field* value = map.find("bandwidth")) out.defaults.bandwidth = bandwidth(*value);
  const Field* links = map.find("links");
  if (links == nullptr) return;
  out.links.clear();
  for (const Field& item : list(*links, "a list of {from: 1, to: 2, latency: 50ms, loss: 0.1}")) {
    const Mapping entry(*this, item, {"from", "to", "latency", "loss", "duplicate", "bandwidth"});
    const Field* from = entry.find("from");
    const Field* to = entry.find("to");
    if (from == nullptr || to == nullptr) {
      fail(item, "a link needs 'from' and 'to' (node ids; one direction per entry)");
    }
    LinkOverride override_spec{node_id(*from), node_id(*to), out.defaults};
    if (const Field* value = entry.find("latency"))
      override_spec.link.latency = distribution(*value);
    if (const Field* value = entry.find("loss")) override_spec.link.loss = probability(*value);
    if (const Field* value = entry.find("duplicate")) {
      override_spec.link.duplicate = probability(*value);
    }
    if (const Field* value = entry.find("bandwidth")) {
      override_spec.link.bandwidth = bandwidth(*value);
    }
    out.links.push_back(override_spec);
  }
}

void Reader::disk(const Field& field, DiskSpec& out) {
  const Mapping map(*this, field, {"fsync", "log"});
  if (const Field* value = map.find("fsync")) out.fsync = distribution(*value);
  if (const Field* value = map.find("log")) {
    out.log = choice<DiskSpec::Log>(
        *value, {{"memory", DiskSpec::Log::kMemory}, {"wal", DiskSpec::Log::kWal}});
  }
}

void Reader::standby(const Field& field, StandbySpec& out) {
  const Mapping map(*this, field, {"kind", "load_time", "load_bytes_per_s", "start_time"});
  if (const Field* value = map.find("kind")) {
    out.kind = choice<StandbySpec::Kind>(*value, {{"hot", StandbySpec::Kind::kHot},
                                                  {"warm", StandbySpec::Kind::kWarm},
                                                  {"cold", StandbySpec::Kind::kCold}});
  }
  if (const Field* value = map.find("load_time")) out.load_time = duration(*value);
  if (const Field* value = map.find("load_bytes_per_s")) out.load_bytes_per_s = u64(*value);
  if (const Field* value = map.find("start_time")) out.start_time = duration(*value);
}

void Reader::sessions(const Field& field, SessionSpec& out) {
  const Mapping map(*this, field, {"timeout", "max"});
  if (const Field* value = map.find("timeout")) out.timeout = duration(*value);
  if (const Field* value = map.find("max")) out.sessions_max = u64(*value);
}

void Reader::clients(const Field& field, std::vector<ClientSpec>& out) {
  out.clear();
  for (const Field& item : list(field, "a list of client groups")) {
    ClientSpec spec;
    client(item, spec);
    out.push_back(std::move(spec));
  }
}

void Reader::client(const Field& field, ClientSpec& out) {
  const Mapping map(
      *this, field,
      {"name", "count", "mode", "interval", "timeout", "read_ratio", "keys", "value_bytes", "retry",
       "endpoints", "follow_leader_hint", "sessions", "start", "stop"});
  if (const Field* value = map.find("name")) out.name = text(*value);
  if (const Field* value = map.find("count")) out.count = u32(*value);
  if (const Field* value = map.find("mode")) {
    out.mode = choice<ClientSpec::Mode>(*value, {{"interval", ClientSpec::Mode::kInterval},
                                                 {"closed-loop", ClientSpec::Mode::kClosedLoop}});
  }
  if (const Field* value = map.find("interval")) out.interval = duration(*value);
  if (const Field* value = map.find("timeout")) out.timeout = duration(*value);
  if (const Field* value = map.find("read_ratio")) out.read_ratio = probability(*value);
  if (const Field* value = map.find("keys")) out.keys = u32(*value);
  if (const Field* value = map.find("value_bytes")) out.value_bytes = u64(*value);
  if (const Field* value = map.find("retry")) retry(*value, out.retry);
  if (const Field* value = map.find("endpoints")) {
    out.endpoints.clear();
    for (const Field& item : list(*value, "a list of node ids, e.g. [1, 2, 3]")) {
      out.endpoints.push_back(node_id(item));
    }
  }
  if (const Field* value = map.find("follow_leader_hint")) out.follow_leader_hint = boolean(*value);
  if (const Field* value = map.find("sessions")) out.sessions = boolean(*value);
  if (const Field* value = map.find("start")) out.start = duration(*value);
  if (const Field* value = map.find("stop")) {
    // `stop: null` (useful in an override) means "the end of the run".
    if (value->node.IsNull()) {
      out.stop.reset();
    } else {
      out.stop = duration(*value);
    }
  }
}

/// Sets `out` to a named retry preset; false for an unknown name.
bool retry_preset(std::string_view name, RetrySpec& out) {
  RetrySpec spec;
  if (name == "none") {
    spec.policy = RetrySpec::Policy::kNone;
    spec.attempts_max = 1;
  } else if (name == "fixed") {
    spec.policy = RetrySpec::Policy::kFixed;
  } else if (name == "exponential") {
    spec.policy = RetrySpec::Policy::kExponential;
  } else if (name == "grpc") {
    // gRPC connection backoff: INITIAL_BACKOFF 1 s, MULTIPLIER 1.6, JITTER 0.2, MAX_BACKOFF 120 s.
    spec.policy = RetrySpec::Policy::kExponential;
    spec.base = 1s;
    spec.multiplier = 1.6;
    spec.jitter = RetrySpec::Jitter::kProportional;
    spec.jitter_fraction = 0.2;
    spec.cap = 120s;
  } else if (name == "seed-exponential") {
    // The seed's "2^i + U(0, 1) s" truncated exponential backoff.
    spec.policy = RetrySpec::Policy::kExponential;
    spec.base = 1s;
    spec.multiplier = 2.0;
    spec.jitter = RetrySpec::Jitter::kAdditive;
    spec.additive_max = 1s;
  } else {
    return false;
  }
  out = spec;
  return true;
}

constexpr std::string_view kRetryPresets = "none, fixed, exponential, grpc, seed-exponential";

void Reader::retry(const Field& field, RetrySpec& out) {
  if (field.node.IsScalar()) {
    if (!retry_preset(lower(trim(field.node.Scalar())), out)) {
      fail(field, fmt::format("{} is not a retry policy; use one of {} or a mapping",
                              quote(field.node.Scalar()), kRetryPresets));
    }
    return;
  }
  const Mapping map(*this, field,
                    {"policy", "fixed", "base", "multiplier", "cap", "jitter", "jitter_fraction",
                     "additive_max", "attempts_max"});
  const Field* policy = map.find("policy");
  const Field* fixed = map.find("fixed");
  if (policy != nullptr && fixed != nullptr) {
    fail(*fixed, "'fixed: 1s' is short for 'policy: fixed, base: 1s'; give one or the other");
  }
  if (policy != nullptr) {
    const std::string name = lower(trim(scalar(*policy, "a retry policy")));
    if (!retry_preset(name, out)) {
      fail(*policy, fmt::format("{} is not a retry policy; use one of {}",
                                quote(policy->node.Scalar()), kRetryPresets));
    }
  }
  if (fixed != nullptr) {
    retry_preset("fixed", out);
    out.base = duration(*fixed);
  }
  if (const Field* value = map.find("base")) out.base = duration(*value);
  if (const Field* value = map.find("multiplier")) out.multiplier = number(*value);
  if (const Field* value = map.find("cap")) out.cap = duration(*value);
  if (const Field* value = map.find("jitter")) {
    using Jitter = RetrySpec::Jitter;
    out.jitter = choice<Jitter>(*value, {{"none", Jitter::kNone},
                                         {"full", Jitter::kFull},
                                         {"equal", Jitter::kEqual},
                                         {"decorrelated", Jitter::kDecorrelated},
                                         {"proportional", Jitter::kProportional},
                                         {"additive", Jitter::kAdditive}});
  }
  if (const Field* value = map.find("jitter_fraction")) out.jitter_fraction = probability(*value);
  if (const Field* value = map.find("additive_max")) out.additive_max = duration(*value);
  if (const Field* value = map.find("attempts_max")) out.attempts_max = u32(*value);
}

void Reader::timeline(const Field& field, const LinkSpec& network_defaults,
                      std::vector<FaultSpec>& out) {
  out.clear();
  std::vector<std::optional<LinkChange>> changes;
  for (const Field& item : list(field, "a list of faults, e.g. [{at: 20s, crash: leader}]")) {
    std::optional<LinkChange> change;
    out.push_back(fault(item, change));
    changes.push_back(change);
  }
  // A network change only names what changes; everything else keeps the value
  // of the change before it in time (file order breaks ties), or the defaults.
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (changes[i]) order.push_back(i);
  }
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return out[a].at < out[b].at; });
  LinkSpec current = network_defaults;
  for (const std::size_t i : order) {
    if (changes[i]->latency) current.latency = *changes[i]->latency;
    if (changes[i]->loss) current.loss = *changes[i]->loss;
    if (changes[i]->duplicate) current.duplicate = *changes[i]->duplicate;
    if (changes[i]->bandwidth) current.bandwidth = *changes[i]->bandwidth;
    out[i].network = current;
  }
}

FaultSpec Reader::fault(const Field& field, std::optional<LinkChange>& change) {
  std::vector<std::string_view> keys = {"at"};
  for (const Action& action : kActions) keys.push_back(action.key);
  for (const auto modifier : {"restart_after", "for", "extra", "rate"}) keys.emplace_back(modifier);
  const Mapping map(*this, field, keys);
  FaultSpec spec;
  spec.line = field.line;

  const Action* action = nullptr;
  const Field* target = nullptr;
  for (const Action& candidate : kActions) {
    const Field* value = map.find(candidate.key);
    if (value == nullptr) continue;
    if (action != nullptr) {
      fail(*value, fmt::format("one action per timeline entry, and this one already has '{}'",
                               action->key));
    }
    action = &candidate;
    target = value;
  }
  if (action == nullptr) {
    std::vector<std::string_view> names;
    for (const Action& candidate : kActions) names.push_back(candidate.key);
    fail(field, fmt::format("no action; give one of: {}", join(names)));
  }
  const Field* at = map.find("at");
  if (at == nullptr) fail(field, "missing 'at' (when it happens, e.g. at: 20s)");
  spec.at = duration(*at);
  spec.kind = action->kind;

  // Modifiers, each allowed with some actions only.
  const auto modifier = [&](std::string_view key,
                            std::initializer_list<FaultKind> kinds) -> const Field* {
    const Field* value = map.find(key);
    if (value == nullptr) return nullptr;
    if (std::find(kinds.begin(), kinds.end(), spec.kind) == kinds.end()) {
      std::vector<std::string_view> names;
      for (const FaultKind kind : kinds) names.push_back(action_key(kind));
      fail(*value, fmt::format("'{}' does not apply to {}; it goes with {}", key, action->key,
                               join(names)));
    }
    return value;
  };
  const Field* restart_after =
      modifier("restart_after", {FaultKind::kCrash, FaultKind::kMachineLoss});
  const Field* lasting = modifier("for", {FaultKind::kPause, FaultKind::kSlowDisk});
  const Field* extra = modifier("extra", {FaultKind::kSlowDisk});
  const Field* rate = modifier("rate", {FaultKind::kClockDrift});
  if (restart_after != nullptr) spec.duration = duration(*restart_after);
  if (lasting != nullptr) spec.duration = duration(*lasting);

  const auto group = [&](const Field& item) {
    std::vector<NodeSelector> nodes;
    if (item.node.IsScalar()) {
      nodes.push_back(selector(item));  // A lone node is a group of one.
    } else {
      for (const Field& member : list(item, "a group: a list of node ids, leader or follower")) {
        nodes.push_back(selector(member));
      }
    }
    if (nodes.empty()) fail(item, "an empty group");
    return nodes;
  };

  switch (spec.kind) {
    case FaultKind::kCrash:
    case FaultKind::kMachineLoss:
    case FaultKind::kIsolate:
    case FaultKind::kTransferLeadership:
      spec.target = selector(*target);
      break;
    case FaultKind::kRestart:
    case FaultKind::kResume:
    case FaultKind::kDiskRecovered:
      spec.target = NodeSelector{NodeSelector::Kind::kId, node_id(*target)};
      break;
    case FaultKind::kPause: {
      // Either a node, or the prose form "node 3 for 2s" / "leader for 500ms".
      const std::string& words = scalar(*target, "a node, or \"node 3 for 2s\"");
      std::istringstream stream(words);
      std::vector<std::string> tokens;
      for (std::string token; stream >> token;) tokens.push_back(token);
      std::size_t next = 0;
      if (next < tokens.size() && lower(tokens[next]) == "node") ++next;
      std::string problem;
      const auto node = next < tokens.size() ? selector_from_text(tokens[next], problem)
                                             : std::optional<NodeSelector>{};
      if (!node)
        fail(*target, fmt::format("{} names no node; write pause: 3, pause: leader or "
                                  "pause: \"node 3 for 2s\"",
                                  quote(words)));
      spec.target = *node;
      ++next;
      if (next < tokens.size()) {
        if (lower(tokens[next]) != "for" || next + 2 != tokens.size()) {
          fail(*target, fmt::format("{} is not of the form \"node 3 for 2s\"", quote(words)));
        }
        const auto length = duration_from_text(tokens[next + 1], problem);
        if (!length) fail(*target, problem);
        if (lasting != nullptr) fail(*lasting, "the pause's length is given twice");
        spec.duration = *length;
      }
      break;
    }
    case FaultKind::kPartition:
      for (const Field& item : list(*target, "a list of groups, e.g. [[1, 2], [3, 4, 5]]")) {
        spec.groups.push_back(group(item));
      }
      if (spec.groups.empty()) fail(*target, "no groups; e.g. partition: [[1, 2], [3, 4, 5]]");
      break;
    case FaultKind::kPartitionOneWay: {
      const Mapping ends(*this, *target, {"from", "to"});
      const Field* from = ends.find("from");
      const Field* to = ends.find("to");
      if (from == nullptr || to == nullptr) {
        fail(*target, "expected {from: <node>, to: [<nodes>]}: traffic from 'from' to 'to' is cut");
      }
      spec.groups.push_back({selector(*from)});
      spec.groups.push_back(group(*to));
      break;
    }
    case FaultKind::kMembershipChange: {
      const std::string_view key = action->key;
      // One id, or a list of ids.
      const auto ids = [&](const Field& value) {
        std::vector<NodeId> out;
        if (value.node.IsScalar()) {
          out.push_back(node_id(value));
        } else {
          for (const Field& item : list(value, "a node id or a list of node ids")) {
            out.push_back(node_id(item));
          }
        }
        if (out.empty()) fail(value, "no nodes; e.g. [6, 7]");
        return out;
      };
      if (key == "replace") {
        // A new machine comes in as a learner, catches up, then takes the old
        // one's vote in one joint change (thesis §4.2.1, §4.3).
        const Mapping ends(*this, *target, {"remove", "add"});
        const Field* old_node = ends.find("remove");
        const Field* new_node = ends.find("add");
        if (old_node == nullptr || new_node == nullptr) {
          fail(*target, "expected {remove: <node or leader>, add: <spare node id>}");
        }
        spec.target = selector(*old_node);
        spec.await_caught_up = node_id(*new_node);
        spec.changes.push_back({MembershipChange::Kind::kAddVoter, spec.await_caught_up});
      } else if (key == "remove") {
        if (target->node.IsScalar()) {
          spec.target = selector(*target);  // remove: leader is allowed (thesis §4.2.2).
        } else {
          for (const NodeId id : ids(*target)) {
            spec.changes.push_back({MembershipChange::Kind::kRemove, id});
          }
        }
      } else {
        const auto kind = key == "add-voter" ? MembershipChange::Kind::kAddVoter
                                             : MembershipChange::Kind::kAddLearner;
        for (const NodeId id : ids(*target)) spec.changes.push_back({kind, id});
      }
      break;
    }
    case FaultKind::kHeal:
      if (!target->node.IsNull() && !boolean(*target)) {
        fail(*target, "'heal: false' heals nothing; write heal: true");
      }
      break;
    case FaultKind::kSlowDisk:
      spec.target = selector(*target);
      if (extra == nullptr) fail(field, "slow-disk needs 'extra', the time added to every fsync");
      spec.extra_latency = duration(*extra);
      break;
    case FaultKind::kClockDrift:
      spec.target = selector(*target);
      if (rate == nullptr) fail(field, "clock-drift needs 'rate', e.g. rate: 1.05 (5 % fast)");
      spec.clock_rate = number(*rate);
      break;
    case FaultKind::kNetworkChange: {
      const Mapping fields(*this, *target, {"latency", "loss", "duplicate", "bandwidth"});
      if (fields.size() == 0) {
        fail(*target, "nothing to change; give latency, loss, duplicate or bandwidth");
      }
      LinkChange parsed;
      if (const Field* value = fields.find("latency")) parsed.latency = distribution(*value);
      if (const Field* value = fields.find("loss")) parsed.loss = probability(*value);
      if (const Field* value = fields.find("duplicate")) parsed.duplicate = probability(*value);
      if (const Field* value = fields.find("bandwidth")) parsed.bandwidth = bandwidth(*value);
      change = parsed;
      break;
    }
  }
  return spec;
}

void Reader::expect(const Field& field, ExpectSpec& out) {
  const Mapping map(*this, field,
                    {"rto_ms_max", "failed_requests_max", "violations", "linearizable",
                     "detection_ms_max", "election_ms_max", "elections_max", "duplicate_writes_max",
                     "reads_ok_max", "reads_client", "snapshots_installed_min", "converged"});
  // Optional bounds: `null` (useful in an override) removes the bound.
  const auto bound = [&](std::string_view key, std::optional<double>& target) {
    if (const Field* value = map.find(key)) {
      target = value->node.IsNull() ? std::nullopt : std::optional<double>(non_negative(*value));
    }
  };
  const auto count = [&](std::string_view key, std::optional<std::uint64_t>& target) {
    if (const Field* value = map.find(key)) {
      target = value->node.IsNull() ? std::nullopt : std::optional<std::uint64_t>(u64(*value));
    }
  };
  bound("rto_ms_max", out.rto_ms_max);
  bound("detection_ms_max", out.detection_ms_max);
  bound("election_ms_max", out.election_ms_max);
  count("failed_requests_max", out.failed_requests_max);
  count("elections_max", out.elections_max);
  count("duplicate_writes_max", out.duplicate_writes_max);
  count("reads_ok_max", out.reads_ok_max);
  if (const Field* value = map.find("reads_client")) out.reads_client = text(*value);
  count("snapshots_installed_min", out.snapshots_installed_min);
  if (const Field* value = map.find("converged")) out.converged = boolean(*value);
  if (const Field* value = map.find("violations")) out.violations = u64(*value);
  if (const Field* value = map.find("linearizable")) out.linearizable = boolean(*value);
}

// ---------------------------------------------------------------------------
// validate(): settings that parse but cannot run.

struct Issue {
  std::string path;
  std::string message;
  int line = 0;  // Known for timeline entries that came from a file.
};
using Problem = std::optional<Issue>;

Problem issue(std::string path, std::string message, int line = 0) {
  return Issue{std::move(path), std::move(message), line};
}

Problem check_probability(double value, const std::string& path) {
  if (value >= 0.0 && value <= 1.0) return std::nullopt;
  return issue(path, fmt::format("{} is not a probability; expected a number from 0 to 1", value));
}

Problem check_distribution(const Distribution& distribution, const std::string& path) {
  if (distribution.a < Duration::zero()) {
    return issue(path,
                 fmt::format("{}: negative durations are impossible", distribution.to_string()));
  }
  switch (distribution.kind) {
    case Distribution::Kind::kUniform:
      if (distribution.b < distribution.a) {
        return issue(path, fmt::format("{}: max is below min", distribution.to_string()));
      }
      break;
    case Distribution::Kind::kNormal:
      if (distribution.b < Duration::zero()) {
        return issue(path,
                     fmt::format("{}: negative standard deviation", distribution.to_string()));
      }
      break;
    case Distribution::Kind::kLogNormal:
      if (!(distribution.shape >= 0.0) || !std::isfinite(distribution.shape)) {
        return issue(path, fmt::format("{}: sigma must be a finite number, 0 or more",
                                       distribution.to_string()));
      }
      break;
    case Distribution::Kind::kFixed:
    case Distribution::Kind::kExponential:
      break;
  }
  return std::nullopt;
}

Problem check_link(const LinkSpec& link, const std::string& path) {
  if (auto problem = check_distribution(link.latency, path + ".latency")) return problem;
  if (auto problem = check_probability(link.loss, path + ".loss")) return problem;
  return check_probability(link.duplicate, path + ".duplicate");
}

Problem check_positive(Duration value, const std::string& path) {
  if (value > Duration::zero()) return std::nullopt;
  return issue(path, fmt::format("{} must be more than 0", format_duration(value)));
}

Problem check_non_negative(Duration value, const std::string& path) {
  if (value >= Duration::zero()) return std::nullopt;
  return issue(path, fmt::format("{} is negative", format_duration(value)));
}

Problem check_node(NodeId id, std::uint32_t size, const std::string& path, int line = 0) {
  if (id.value() >= 1 && id.value() <= size) return std::nullopt;
  return issue(
      path, fmt::format("node {} does not exist; the cluster has nodes 1 to {}", id.value(), size),
      line);
}

Problem check_run(const Scenario& scenario) {
  if (auto problem = check_positive(scenario.duration, "duration")) return problem;
  if (scenario.events_max == 0) return issue("events_max", "0 events: the run could not start");
  return std::nullopt;
}

Problem check_cluster(const ClusterSpec& cluster) {
  if (cluster.size == 0) {
    return issue("cluster.size",
                 fmt::format("0 nodes; a cluster needs 1 to {} nodes", kClusterSizeMax));
  }
  if (cluster.size > kClusterSizeMax) {
    return issue("cluster.size", fmt::format("{} nodes; the simulator supports at most {}",
                                             cluster.size, kClusterSizeMax));
  }
  if (cluster.spares > kClusterSizeMax - cluster.size) {
    return issue("cluster.spares",
                 fmt::format("{} spares and {} members; the simulator supports at most {} machines",
                             cluster.spares, cluster.size, kClusterSizeMax));
  }
  if (auto problem = check_positive(cluster.heartbeat_interval, "cluster.heartbeat")) {
    return problem;
  }
  if (auto problem = check_positive(cluster.election_timeout_min, "cluster.election_timeout")) {
    return problem;
  }
  if (cluster.election_timeout_min >= cluster.election_timeout_max) {
    // Raft §5.2: timeouts are drawn at random from a range so that split votes are rare.
    return issue("cluster.election_timeout",
                 fmt::format("min {} must be below max {}: Raft draws each timeout at random from "
                             "[min, max) so that nodes rarely time out together (§5.2)",
                             format_duration(cluster.election_timeout_min),
                             format_duration(cluster.election_timeout_max)));
  }
  if (cluster.heartbeat_interval >= cluster.election_timeout_min) {
    return issue("cluster.heartbeat",
                 fmt::format("{} must be below the minimum election timeout ({}), or followers "
                             "time out between heartbeats (Raft §5.6: broadcastTime << "
                             "electionTimeout)",
                             format_duration(cluster.heartbeat_interval),
                             format_duration(cluster.election_timeout_min)));
  }
  if (cluster.fast_failover) {
    if (auto problem =
            check_positive(cluster.fast_failover_delay_max, "cluster.fast_failover_delay_max")) {
      return problem;
    }
  }
  if (cluster.read_mode == ReadPath::kLease) {
    // raft::Config::validate refuses these too; said here in the scenario's terms.
    if (!cluster.check_quorum) {
      return issue("cluster.read_mode",
                   "lease reads need cluster.check_quorum: true (thesis §6.4.1: the lease rests "
                   "on a leader stepping down once it lost its majority)");
    }
    if (cluster.fast_failover) {
      return issue("cluster.read_mode",
                   "lease reads need cluster.fast_failover: false (peer_down lets followers vote "
                   "within the minimum election timeout of the last heartbeat, which the lease "
                   "relies on never happening, thesis §6.4.1)");
    }
    if (cluster.clock_drift_max < Duration::zero() ||
        cluster.clock_drift_max >= cluster.election_timeout_min) {
      return issue("cluster.clock_drift_max",
                   fmt::format("{} must be at least 0 and below the minimum election timeout "
                               "({}), or the lease is empty",
                               format_duration(cluster.clock_drift_max),
                               format_duration(cluster.election_timeout_min)));
    }
  }
  bool any_may_lead = false;
  for (std::uint32_t id = 1; id <= cluster.size; ++id) {
    any_may_lead = any_may_lead || cluster.priority_of(NodeId{id}) > 0;
  }
  for (const auto& [id, priority] : cluster.priorities) {
    if (auto problem =
            check_node(id, cluster.hosts(), fmt::format("cluster.priorities.{}", id.value()))) {
      return problem;
    }
  }
  if (!any_may_lead) {
    return issue("cluster.priorities",
                 fmt::format("every one of nodes 1 to {} has priority 0: no node could ever lead",
                             cluster.size));
  }
  if (cluster.inflight_messages_max == 0) {
    return issue("cluster.inflight_messages_max", "0: no message could ever be sent");
  }
  if (cluster.message_bytes_max == 0) {
    return issue("cluster.message_bytes_max", "0: no message could ever be sent");
  }
  if (cluster.snapshot_chunk_bytes == 0) {
    return issue("cluster.snapshot_chunk_bytes", "0: no snapshot could ever be sent");
  }
  if (cluster.snapshot_chunks_inflight == 0) {
    return issue("cluster.snapshot_chunks_inflight", "0: no snapshot could ever be sent");
  }
  return std::nullopt;
}

Problem check_network(const NetworkSpec& network, std::uint32_t size) {
  if (auto problem = check_link(network.defaults, "network")) return problem;
  for (std::size_t i = 0; i < network.links.size(); ++i) {
    const LinkOverride& link = network.links[i];
    const std::string path = fmt::format("network.links[{}]", i);
    if (auto problem = check_node(link.from, size, path + ".from")) return problem;
    if (auto problem = check_node(link.to, size, path + ".to")) return problem;
    if (link.from == link.to) {
      return issue(path, fmt::format("a link from node {} to itself", link.from.value()));
    }
    if (auto problem = check_link(link.link, path)) return problem;
  }
  return std::nullopt;
}

Problem check_retry(const RetrySpec& retry, const std::string& path) {
  if (retry.attempts_max == 0) {
    return issue(path + ".attempts_max", "0 attempts; at least 1 (the first try)");
  }
  if (auto problem = check_probability(retry.jitter_fraction, path + ".jitter_fraction")) {
    return problem;
  }
  if (auto problem = check_non_negative(retry.additive_max, path + ".additive_max")) {
    return problem;
  }
  if (retry.policy == RetrySpec::Policy::kNone) return std::nullopt;
  if (auto problem = check_positive(retry.base, path + ".base")) return problem;
  if (retry.policy == RetrySpec::Policy::kExponential) {
    if (!(retry.multiplier >= 1.0) || !std::isfinite(retry.multiplier)) {
      return issue(
          path + ".multiplier",
          fmt::format("{} would shrink the backoff; expected 1 or more", retry.multiplier));
    }
    if (retry.cap < retry.base) {
      return issue(path + ".cap", fmt::format("{} is below base {}", format_duration(retry.cap),
                                              format_duration(retry.base)));
    }
  }
  return std::nullopt;
}

Problem check_clients(const std::vector<ClientSpec>& clients, std::uint32_t size) {
  for (std::size_t i = 0; i < clients.size(); ++i) {
    const ClientSpec& client = clients[i];
    const std::string path = fmt::format("clients[{}]", i);
    if (auto problem = check_positive(client.interval, path + ".interval")) return problem;
    if (auto problem = check_positive(client.timeout, path + ".timeout")) return problem;
    if (auto problem = check_probability(client.read_ratio, path + ".read_ratio")) return problem;
    if (client.keys == 0) return issue(path + ".keys", "0 keys; at least 1");
    if (client.value_bytes > ClientSpec::kValueBytesMax) {
      return issue(path + ".value_bytes",
                   fmt::format("{} bytes is too large a value; at most {} (1 GiB)",
                               client.value_bytes, ClientSpec::kValueBytesMax));
    }
    if (auto problem = check_retry(client.retry, path + ".retry")) return problem;
    for (std::size_t e = 0; e < client.endpoints.size(); ++e) {
      if (auto problem =
              check_node(client.endpoints[e], size, fmt::format("{}.endpoints[{}]", path, e))) {
        return problem;
      }
    }
    if (auto problem = check_non_negative(client.start, path + ".start")) return problem;
    if (client.stop && *client.stop <= client.start) {
      return issue(path + ".stop",
                   fmt::format("{} is not after start ({})", format_duration(*client.stop),
                               format_duration(client.start)));
    }
  }
  return std::nullopt;
}

std::string describe_selector(const NodeSelector& selector) {
  switch (selector.kind) {
    case NodeSelector::Kind::kLeader:
      return "leader";
    case NodeSelector::Kind::kFollower:
      return "follower";
    case NodeSelector::Kind::kAuto:
      return "auto";
    case NodeSelector::Kind::kId:
      break;
  }
  return fmt::format("node {}", selector.id.value());
}

Problem check_selector(const NodeSelector& selector, std::uint32_t size, const std::string& path,
                       int line) {
  if (selector.kind != NodeSelector::Kind::kId) return std::nullopt;
  return check_node(selector.id, size, path, line);
}

Problem check_groups(const FaultSpec& fault, std::uint32_t size, const std::string& path) {
  if (fault.groups.empty()) return issue(path, "no groups", fault.line);
  if (fault.kind == FaultKind::kPartitionOneWay &&
      (fault.groups.size() != 2 || fault.groups[0].size() != 1)) {
    return issue(path, "expected one node cut off from a group: {from: <node>, to: [<nodes>]}",
                 fault.line);
  }
  std::vector<NodeSelector> seen;
  for (const auto& group : fault.groups) {
    if (group.empty()) return issue(path, "an empty group", fault.line);
    for (const NodeSelector& node : group) {
      if (auto problem = check_selector(node, size, path, fault.line)) return problem;
      const bool repeated = std::any_of(seen.begin(), seen.end(), [&](const NodeSelector& other) {
        return other.kind == node.kind && other.id == node.id;
      });
      if (repeated) {
        return issue(path,
                     fmt::format("{} is listed twice; each node belongs to one group",
                                 describe_selector(node)),
                     fault.line);
      }
      seen.push_back(node);
    }
  }
  return std::nullopt;
}

Problem check_fault(const FaultSpec& fault, std::size_t index, const Scenario& scenario) {
  const std::uint32_t size = scenario.cluster.hosts();
  const std::string entry = fmt::format("timeline[{}]", index);
  const std::string path = fmt::format("{}.{}", entry, action_key(fault.kind));
  const int line = fault.line;
  if (fault.at < Duration::zero()) {
    return issue(entry + ".at", fmt::format("{} is negative", format_duration(fault.at)), line);
  }
  if (fault.at > scenario.duration) {
    return issue(entry + ".at",
                 fmt::format("{} is after the end of the run (duration: {})",
                             format_duration(fault.at), format_duration(scenario.duration)),
                 line);
  }
  if (fault.duration && *fault.duration < Duration::zero()) {
    return issue(entry, fmt::format("negative length {}", format_duration(*fault.duration)), line);
  }
  switch (fault.kind) {
    case FaultKind::kPartition:
    case FaultKind::kPartitionOneWay:
      return check_groups(fault, size, path);
    case FaultKind::kHeal:
      return std::nullopt;
    case FaultKind::kNetworkChange:
      if (fault.network) {
        if (auto problem = check_link(*fault.network, path)) {
          problem->line = line;
          return problem;
        }
      }
      return std::nullopt;
    case FaultKind::kRestart:
    case FaultKind::kResume:
    case FaultKind::kDiskRecovered:
      if (fault.target.kind != NodeSelector::Kind::kId) {
        return issue(path, fmt::format("{} needs a node id", action_key(fault.kind)), line);
      }
      break;
    case FaultKind::kPause:
    case FaultKind::kSlowDisk:
      if (fault.duration && *fault.duration == Duration::zero()) {
        return issue(entry + ".for", "0s: it would end as it starts", line);
      }
      if (fault.kind == FaultKind::kSlowDisk && fault.extra_latency <= Duration::zero()) {
        return issue(entry + ".extra",
                     fmt::format("{} must be more than 0", format_duration(fault.extra_latency)),
                     line);
      }
      break;
    case FaultKind::kClockDrift:
      if (!(fault.clock_rate > 0.0) || !std::isfinite(fault.clock_rate)) {
        return issue(
            entry + ".rate",
            fmt::format("{}: a clock rate must be more than 0 (1 is exact)", fault.clock_rate),
            line);
      }
      break;
    case FaultKind::kCrash:
    case FaultKind::kMachineLoss:
    case FaultKind::kIsolate:
      break;
    case FaultKind::kTransferLeadership:
      if (fault.target.kind == NodeSelector::Kind::kLeader) {
        return issue(path, "hand over to a node id, follower or auto, not to the leader", line);
      }
      break;
    case FaultKind::kMembershipChange:
      for (const MembershipChange& change : fault.changes) {
        if (auto problem = check_node(change.node, size, path, line)) return problem;
      }
      break;
  }
  if (fault.target.kind == NodeSelector::Kind::kAuto &&
      fault.kind != FaultKind::kTransferLeadership) {
    return issue(path, "auto only names a node for transfer", line);
  }
  return check_selector(fault.target, size, path, line);
}

Problem check_expect(const ExpectSpec& expect, const std::vector<ClientSpec>& clients) {
  if (!expect.reads_client.empty() && std::ranges::none_of(clients, [&](const ClientSpec& c) {
        return c.name == expect.reads_client;
      })) {
    return issue("expect.reads_client",
                 fmt::format("no client group is named '{}'", expect.reads_client));
  }
  const std::pair<const char*, const std::optional<double>*> bounds[] = {
      {"expect.rto_ms_max", &expect.rto_ms_max},
      {"expect.detection_ms_max", &expect.detection_ms_max},
      {"expect.election_ms_max", &expect.election_ms_max}};
  for (const auto& [path, value] : bounds) {
    if (*value && (!(**value >= 0.0) || !std::isfinite(**value))) {
      return issue(path, fmt::format("{} is not a bound; expected a number, 0 or more", **value));
    }
  }
  return std::nullopt;
}

Problem check_scenario(const Scenario& scenario) {
  if (auto problem = check_run(scenario)) return problem;
  if (auto problem = check_cluster(scenario.cluster)) return problem;
  const std::uint32_t size = scenario.cluster.hosts();
  if (auto problem = check_network(scenario.network, size)) return problem;
  if (auto problem = check_distribution(scenario.disk.fsync, "disk.fsync")) return problem;
  if (auto problem = check_non_negative(scenario.standby.load_time, "standby.load_time")) {
    return problem;
  }
  if (auto problem = check_non_negative(scenario.standby.start_time, "standby.start_time")) {
    return problem;
  }
  if (auto problem = check_clients(scenario.clients, size)) return problem;
  if (auto problem = check_positive(scenario.sessions.timeout, "sessions.timeout")) {
    return problem;
  }
  for (std::size_t i = 0; i < scenario.faults.size(); ++i) {
    if (auto problem = check_fault(scenario.faults[i], i, scenario)) return problem;
  }
  return check_expect(scenario.expect, scenario.clients);
}

Status invalid(std::string message) {
  return Status{ErrorCode::kInvalidArgument, std::move(message)};
}

/// Records where each document starts; the events themselves are not needed.
class DocumentStarts final : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark& mark) override { marks.push_back(mark); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& /*mark*/, YAML::anchor_t /*anchor*/) override {}
  void OnAlias(const YAML::Mark& /*mark*/, YAML::anchor_t /*anchor*/) override {}
  void OnScalar(const YAML::Mark& /*mark*/, const std::string& /*tag*/, YAML::anchor_t /*anchor*/,
                const std::string& /*value*/) override {}
  void OnSequenceStart(const YAML::Mark& /*mark*/, const std::string& /*tag*/,
                       YAML::anchor_t /*anchor*/, YAML::EmitterStyle::value /*style*/) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& /*mark*/, const std::string& /*tag*/, YAML::anchor_t /*anchor*/,
                  YAML::EmitterStyle::value /*style*/) override {}
  void OnMapEnd() override {}

  std::vector<YAML::Mark> marks;
};

/// Throws unless `text` holds at most one YAML document.
///
/// YAML::LoadAll is not used: in yaml-cpp 0.7 a token the parser cannot start
/// a node with (a stray ',' as in ",", or "- x\n,") is never consumed, so
/// LoadAll loops forever appending null documents until memory runs out
/// (jbeder/yaml-cpp#1040, fixed upstream by #1318 / #1319 after 0.8.0). Here the
/// documents are walked one at a time, at most three, and a document that starts
/// where the previous one did is that stuck token.
void check_single_document(const std::string& text) {
  std::istringstream stream(text);
  YAML::Parser parser(stream);
  DocumentStarts starts;
  for (int calls = 0; calls < 3 && parser.HandleNextDocument(starts); ++calls) {
    const auto& marks = starts.marks;
    if (marks.size() >= 2 && marks[marks.size() - 1].pos == marks[marks.size() - 2].pos) {
      const YAML::Mark& mark = marks.back();
      const auto position = static_cast<std::size_t>(mark.pos);
      const std::string what = position < text.size() ? quote(text.substr(position, 1)) : "text";
      throw YAML::ParserException(mark, fmt::format("unexpected {} here", what));
    }
  }
  if (starts.marks.size() > 1) {
    const YAML::Mark& second = starts.marks[1];
    throw LoadError{second.is_null() ? 1 : second.line + 1, "",
                    "a scenario file holds one YAML document; this is a second one"};
  }
}

/// "dir/coordinator-failover.yaml" -> "coordinator-failover"; "" when not a YAML file name.
std::string stem(std::string_view source) {
  const auto slash = source.find_last_of("/\\");
  if (slash != std::string_view::npos) source.remove_prefix(slash + 1);
  for (const std::string_view extension : {".yaml", ".yml"}) {
    if (source.size() > extension.size() && source.ends_with(extension)) {
      return std::string(source.substr(0, source.size() - extension.size()));
    }
  }
  return {};
}

/// {a: {b: {c: value}}} for the path a.b.c.
YAML::Node nest(const std::vector<std::string>& path, std::size_t from, const YAML::Node& value) {
  if (from == path.size()) return value;
  YAML::Node map(YAML::NodeType::Map);
  map[path[from]] = nest(path, from + 1, value);
  return map;
}

/// Applies one override. Messages start with the field ("cluster.size: ..."): the
/// caller knows the assignment and says it (raftsim prints "--set cluster.size=0: ...").
Status apply_override_to(Scenario& scenario, std::string_view assignment) {
  const auto equals = assignment.find('=');
  if (equals == std::string_view::npos) {
    return invalid(fmt::format("{} is not key=value, e.g. cluster.size=7", quote(assignment)));
  }
  std::string key(trim(assignment.substr(0, equals)));
  const std::string value_text(trim(assignment.substr(equals + 1)));
  // clients[0].interval and clients.0.interval mean the same.
  std::replace(key.begin(), key.end(), '[', '.');
  key.erase(std::remove(key.begin(), key.end(), ']'), key.end());
  std::vector<std::string> path;
  for (std::size_t start = 0;;) {
    const auto dot = key.find('.', start);
    path.push_back(key.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  if (std::any_of(path.begin(), path.end(), [](const std::string& part) { return part.empty(); })) {
    return invalid(
        fmt::format("{} is not a key; e.g. cluster.size or clients.0.interval", quote(key)));
  }
  if (value_text.empty()) return invalid(fmt::format("{}: no value after '='", key));
  const bool list_entry = (path[0] == "timeline" && path.size() > 1) ||
                          (path[0] == "network" && path.size() > 2 && path[1] == "links");
  if (list_entry) {
    return invalid(
        fmt::format("{}: list entries cannot be changed one by one; set the whole "
                    "list instead, e.g. timeline=[{{at: 5s, crash: leader}}]",
                    key));
  }

  Reader reader("", /*with_lines=*/false);
  try {
    const YAML::Node value = YAML::Load(value_text);
    if (path[0] == "clients" && path.size() > 1) {
      std::string problem;
      const auto index = unsigned_from_text(path[1], problem);
      if (!index) return invalid(fmt::format("{}: {}", key, problem));
      if (*index >= scenario.clients.size()) {
        return invalid(fmt::format("clients[{}]: there are {} client groups", *index,
                                   scenario.clients.size()));
      }
      const Field field{nest(path, 2, value), fmt::format("clients[{}]", *index), 0};
      reader.client(field, scenario.clients[*index]);
    } else {
      reader.scenario(Field{nest(path, 0, value), "", 0}, scenario);
    }
  } catch (const LoadError& error) {
    return invalid(reader.format(error));
  } catch (const YAML::Exception& error) {
    return invalid(fmt::format("{}: malformed value: {}", key, error.msg));
  }
  return Status{};
}

}  // namespace

std::optional<Duration> parse_duration(std::string_view text) {
  std::string problem;
  return duration_from_text(text, problem);
}

Status validate(const Scenario& scenario) {
  const Problem problem = check_scenario(scenario);
  if (!problem) return Status{};
  std::string where;
  if (!scenario.source.empty()) {
    where = problem->line > 0 ? fmt::format("{}:{}: ", scenario.source, problem->line)
                              : fmt::format("{}: ", scenario.source);
  }
  return invalid(fmt::format("{}{}: {}", where, problem->path, problem->message));
}

Result<Scenario> parse_scenario(std::string_view yaml, std::string_view source) {
  const std::string name = source.empty() ? std::string("<input>") : std::string(source);
  try {
    Reader reader(name, /*with_lines=*/true);
    Scenario scenario;
    scenario.source = std::string(source);
    if (std::string file_stem = stem(source); !file_stem.empty()) scenario.name = file_stem;
    try {
      const std::string text(yaml);
      check_single_document(text);
      reader.scenario(reader.root(YAML::Load(text)), scenario);
    } catch (const YAML::Exception& error) {
      const int line = error.mark.is_null() || error.mark.line < 0 ? 1 : error.mark.line + 1;
      return invalid(fmt::format("{}:{}: malformed YAML: {}", name, line, error.msg));
    } catch (const LoadError& error) {
      return invalid(reader.format(error));
    }
    if (const Problem problem = check_scenario(scenario)) {
      // The line recorded for the field itself beats the fault's (the entry's first line).
      return invalid(reader.format(LoadError{0, problem->path, problem->message}));
    }
    return scenario;
  } catch (const std::exception& error) {
    // E.g. std::bad_alloc on an absurd document: still an error, not a crash.
    return invalid(fmt::format("{}:1: (document): cannot load: {}", name, error.what()));
  }
}

Result<Scenario> load_scenario(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return Status{ErrorCode::kIo, fmt::format("{}: cannot open the file", path)};
  std::ostringstream text;
  text << file.rdbuf();
  if (file.bad()) return Status{ErrorCode::kIo, fmt::format("{}: cannot read the file", path)};
  return parse_scenario(text.str(), path);
}

Status apply_override(Scenario& scenario, std::string_view assignment) {
  try {
    Scenario changed = scenario;
    if (Status status = apply_override_to(changed, assignment); !status.ok()) return status;
    if (Status status = validate(changed); !status.ok()) return status;
    scenario = std::move(changed);
    return Status{};
  } catch (const std::exception& error) {
    return invalid(fmt::format("{}: cannot apply: {}", quote(assignment), error.what()));
  }
}

}  // namespace raft::sim

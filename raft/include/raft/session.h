// SPDX-License-Identifier: Apache-2.0
// Client sessions (thesis §6.3): the state-machine wrapper that applies each
// client command at most once and answers a retry with the reply it saved,
// so a client that retries after a timeout or a leader change never has its
// write applied twice.
//
// Pure and deterministic: every replica feeds the same committed commands in
// the same order and reaches the same table, byte for byte (sessions expire by
// the time the leader stamped into the log, never by a local clock; every
// container is ordered).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "raft/status.h"
#include "raft/types.h"

namespace raft {

/// How the session table forgets (identical on every replica: it is part of
/// the replicated state machine's definition, not a local tuning knob).
struct SessionConfig {
  /// A session expires once log time has moved more than this past its last
  /// activity (registration, request or keep-alive). Thesis §6.3: long enough
  /// that a live client, which sends keep-alives when idle, is never expired.
  Duration timeout = std::chrono::seconds{60};
  /// At most this many sessions (0: no limit). Registering one more evicts
  /// the least recently active session first (thesis §6.3 suggests LRU).
  std::size_t sessions_max = 0;
  /// At most this many saved replies per session (0: no limit). A request
  /// that would save one more is refused (kTooManyOutstanding) without being
  /// applied. With the client acknowledging replies through
  /// `first_outstanding`, this bounds the table's memory.
  std::size_t replies_max = 1024;

  /// Ok, or kInvalidConfig naming the field (a timeout must be positive).
  [[nodiscard]] Status validate() const;
};

/// One entry of the replicated log that goes through the session table.
/// The proposer (the leader's driver) fills `timestamp` with its own clock
/// when it proposes (thesis §6.3: "the leader augments each command it
/// appends to the Raft log with its current time").
struct SessionCommand {
  enum class Kind : std::uint8_t {
    /// RegisterClient: opens a session whose id is this entry's log index.
    kRegister = 1,
    /// A client command, applied at most once per (client, sequence).
    kRequest = 2,
    /// Keeps an idle session alive and acknowledges replies.
    kKeepAlive = 3,
  };
  Kind kind = Kind::kRequest;
  /// The session (kRequest, kKeepAlive): the index of its kRegister entry.
  std::uint64_t client = 0;
  /// kRequest: the client's number for this command, >= 1. A retry carries
  /// the same number; numbers need not be contiguous.
  std::uint64_t sequence = 0;
  /// Every sequence number below this one has been answered and the client
  /// will never retry it: its saved reply can be discarded (the "first
  /// outstanding" of LogCabin). kRequest: at most `sequence`.
  std::uint64_t first_outstanding = 0;
  /// Log time, stamped by the leader when it proposes.
  Time timestamp{};
  /// kRequest: the application's command. kRegister: ignored by the table (a
  /// nonce lets the proposer recognise its own entry). kKeepAlive: empty.
  std::string command;

  /// Versioned, little-endian encoding.
  [[nodiscard]] std::vector<std::byte> encode() const;
  /// The inverse of encode(); kCorruption, saying what is wrong, for
  /// anything truncated, trailing, of an unknown version or kind, or
  /// inconsistent (client 0 on a request, sequence 0, first_outstanding >
  /// sequence).
  [[nodiscard]] static Result<SessionCommand> decode(std::span<const std::byte> bytes);

  friend bool operator==(const SessionCommand&, const SessionCommand&) = default;
};

/// What the table did with a command.
enum class SessionOutcome : std::uint8_t {
  kApplied,     ///< A new request: applied now; `reply` is saved for its retries.
  kDuplicate,   ///< Seen before: not applied again; `reply` is the saved one.
  kRegistered,  ///< A new session; `client` is its id.
  kKeptAlive,   ///< The session's activity was refreshed.
  /// No such session: it expired (or was evicted, or never existed). The
  /// command is NOT applied: its session may have applied it before expiring
  /// and the saved reply is gone, so applying it could apply it twice
  /// (thesis §6.3). The client must register again and report the command's
  /// outcome as unknown.
  kSessionExpired,
  /// The sequence is below what the client already acknowledged: the client
  /// gave up on it, so it is never applied (it may have been applied before).
  kStale,
  /// The session already holds `replies_max` unacknowledged replies.
  kTooManyOutstanding,
};
[[nodiscard]] std::string_view to_string(SessionOutcome outcome) noexcept;

/// The answer to one command.
struct SessionResult {
  SessionOutcome outcome = SessionOutcome::kApplied;
  /// The session the command named, or (kRegistered) the new one.
  std::uint64_t client = 0;
  /// kApplied, kDuplicate: the application's reply.
  std::string reply;

  /// True when the client got an answer it can act on (applied, duplicate,
  /// registered, kept alive); false for the refusals.
  [[nodiscard]] bool ok() const noexcept {
    return outcome == SessionOutcome::kApplied || outcome == SessionOutcome::kDuplicate ||
           outcome == SessionOutcome::kRegistered || outcome == SessionOutcome::kKeptAlive;
  }
};

/// The session table: wrap a state machine's apply with it.
///
///     SessionResult r = table.apply(entry.index, command,
///                                   [&](std::string_view c) { return kv.apply(c); });
///
/// Registration is explicit (thesis §6.3's RegisterClient) and the session id
/// is the log index of the registration entry. Why not register implicitly on
/// a client's first command: after its session expired, a retry of a command
/// the old session already applied would silently open a fresh session and
/// apply it a second time, which is exactly what sessions exist to prevent.
/// With explicit ids that are never reused, an unknown id always means
/// "expired": the command is refused and the client learns that its session
/// is gone. The cost is one extra log round trip per client start (or after
/// an expiry).
///
/// Log time is the largest timestamp the table has seen: leaders' clocks
/// differ, so a new leader may stamp a time behind its predecessor's; taking
/// the maximum keeps expiry monotone and a function of the log prefix alone.
///
/// Snapshots: the table is part of the replicated state. A snapshot of the
/// application must include encode()'s bytes, and a replica that installs it
/// must restore the table with decode(); otherwise a retry that reaches a
/// replica restored from a snapshot would be applied again.
class SessionTable {
 public:
  /// Precondition: config.validate() is ok.
  explicit SessionTable(SessionConfig config = {});

  /// Applies the committed entry at `index` holding `command`. For a new
  /// request, calls `apply_fn(command.command)` once and saves the
  /// std::string it returns; for anything else apply_fn is not called.
  /// Sessions idle for more than the timeout (by log time, including this
  /// command's timestamp) expire first.
  template <class ApplyFn>
  SessionResult apply(Index index, const SessionCommand& command, ApplyFn&& apply_fn) {
    SessionResult result = admit(index, command);
    if (result.outcome == SessionOutcome::kApplied) {
      result.reply = std::forward<ApplyFn>(apply_fn)(std::string_view{command.command});
      save(command, result.reply);
    }
    return result;
  }

  /// Moves log time forward (never back) and expires idle sessions. apply()
  /// does this itself; an application that stamps time on other entries too
  /// may call it for those.
  void advance(Time log_time);

  /// Log time: the largest timestamp seen.
  [[nodiscard]] Time now() const noexcept { return now_; }
  [[nodiscard]] std::size_t size() const noexcept { return sessions_.size(); }
  [[nodiscard]] bool contains(std::uint64_t client) const noexcept {
    return sessions_.contains(client);
  }
  /// Saved replies across every session (what the table's memory grows with).
  [[nodiscard]] std::size_t saved_replies() const noexcept;
  [[nodiscard]] const SessionConfig& config() const noexcept { return config_; }

  /// The table as bytes, for the application's snapshot. Versioned and
  /// little-endian; sessions in id order, so equal tables encode equally.
  [[nodiscard]] std::vector<std::byte> encode() const;
  /// A table from encode()'s bytes; kCorruption, saying what is wrong, for
  /// anything malformed (the bytes are checked, not trusted).
  [[nodiscard]] static Result<SessionTable> decode(std::span<const std::byte> bytes,
                                                   SessionConfig config = {});

  /// Same sessions, replies and log time (the configuration is not compared).
  friend bool operator==(const SessionTable& a, const SessionTable& b) noexcept {
    return a.now_ == b.now_ && a.sessions_ == b.sessions_;
  }

 private:
  struct Session {
    Time last_active{};
    /// Every sequence below this was acknowledged by the client.
    std::uint64_t acknowledged_below = 0;
    /// Replies of applied requests the client has not acknowledged yet.
    std::map<std::uint64_t, std::string> replies;
    friend bool operator==(const Session&, const Session&) = default;
  };

  SessionResult admit(Index index, const SessionCommand& command);
  void save(const SessionCommand& command, const std::string& reply);
  void touch(std::uint64_t client, Session& session);
  void expire();

  SessionConfig config_;
  Time now_{};
  std::map<std::uint64_t, Session> sessions_;
  /// (last activity, id) of every session: the next to expire comes first.
  std::set<std::pair<Time, std::uint64_t>> by_activity_;
};

}  // namespace raft

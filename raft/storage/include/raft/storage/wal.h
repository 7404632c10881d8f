// SPDX-License-Identifier: Apache-2.0
// The durable log: a segmented write-ahead log behind the LogReader interface,
// written from Readys with the same contract as MemoryLog.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "raft/entry.h"
#include "raft/log_reader.h"
#include "raft/ready.h"
#include "raft/snapshot.h"
#include "raft/status.h"
#include "raft/storage/file_system.h"

namespace raft::storage {

/// Tuning of a Wal.
struct WalOptions {
  /// A segment that reached this size is closed and a new one started; whole
  /// segments are what compaction deletes.
  std::uint64_t segment_bytes = std::uint64_t{64} << 20U;
};

/// A segmented write-ahead log with the entries, the hard state and one snapshot.
///
/// Layout (one FileSystem directory):
///   wal-<seq, 16 hex digits>.log  segments: records framed as
///       u32 length | u32 CRC-32C of (length, body) | body = u8 type, fields
///   snapshot                      the current snapshot: data, then a checksummed footer
///   snapshot.tmp, snapshot.pending  a snapshot being written or received
///
/// The hard state is a record in the log stream, not a file rewritten in
/// place: synced records are never overwritten, so a torn write can only
/// damage records that were not yet synced, and no vote is promised
/// (Ready::messages_after_persist) before its record is synced (Raft §5.2).
/// Each segment starts with a checkpoint record (hard state, first index and
/// the term before it), so compaction can delete whole segments.
///
/// Writes go to the page cache; persist() with must_sync, or sync(), makes
/// them durable with one fsync of the current segment however many entries a
/// batch holds (group commit). After a failed fsync the log refuses every
/// write (kIo): the durable state is then unknown.
///
/// Every entry is also held in memory and read from there (as etcd's
/// MemoryStorage beside its WAL). Not thread-safe.
class Wal final : public LogReader {
 public:
  /// Opens the log in `fs` (creating it if empty), recovering what a crash
  /// left: a torn or corrupt record at the end of the last segment is cut off
  /// and noted in recovery_notes(). Corruption anywhere else is kCorruption
  /// naming the file and the byte offset: the node must not start on it.
  /// `fs` must outlive the Wal.
  [[nodiscard]] static Result<std::unique_ptr<Wal>> open(FileSystem& fs, WalOptions options = {});
  ~Wal() override;
  Wal(const Wal&) = delete;
  Wal& operator=(const Wal&) = delete;

  /// What recovery repaired (torn tail cut, commit index lowered, ...), for the caller to log.
  [[nodiscard]] const std::vector<std::string>& recovery_notes() const { return notes_; }

  // ---- LogReader ----
  [[nodiscard]] HardState hard_state() const override { return hard_state_; }
  [[nodiscard]] Index first_index() const override { return first_index_; }
  [[nodiscard]] Index last_index() const override { return first_index_ + entries_.size() - 1; }
  [[nodiscard]] Result<Term> term(Index index) const override;
  [[nodiscard]] Status entries(Index from, Index to, std::size_t bytes_max,
                               std::vector<Entry>& out) const override;
  [[nodiscard]] SnapshotMeta snapshot_meta() const override { return snapshot_meta_; }
  [[nodiscard]] std::uint64_t snapshot_size() const override { return snapshot_size_; }
  [[nodiscard]] Status read_snapshot(std::uint64_t offset, std::size_t bytes_max,
                                     std::vector<std::byte>& out) const override;

  // ---- Writing ----

  /// Persists what a Ready asks to (snapshot chunks, a snapshot to install,
  /// hard state, entries, compaction), in the order ready.h gives, and syncs
  /// when `ready.must_sync`. Only after an ok return may the driver send
  /// `ready.messages_after_persist`.
  [[nodiscard]] Status persist(const Ready& ready);
  /// As persist() but never syncs: a driver that handles several Readys at
  /// once writes each, then calls sync() once (group commit).
  [[nodiscard]] Status write(const Ready& ready);
  /// Makes every earlier write durable (one fsync), then deletes the segments
  /// that compaction emptied.
  [[nodiscard]] Status sync();

  /// Writes the hard state (not durable until sync).
  [[nodiscard]] Status set_hard_state(const HardState& state);
  /// Appends entries as Ready::entries asks (not durable until sync); same
  /// preconditions as MemoryLog::append.
  [[nodiscard]] Status append(std::span<const Entry> entries);
  /// Discards the entries before `index` (not durable until sync).
  /// Precondition: first_index() <= index <= last_index() + 1, and index - 1 is
  /// at most snapshot_meta().index (compaction only behind a durable snapshot).
  [[nodiscard]] Status compact(Index index);

  /// Stores the application's own snapshot durably (temporary file, fsync,
  /// rename, fsync of the directory) as the current one. Entries are kept.
  /// Preconditions as MemoryLog::save_snapshot.
  [[nodiscard]] Status save_snapshot(const SnapshotMeta& meta, std::span<const std::byte> data);
  /// save_snapshot() in two steps, so that the slow one (writing and syncing a large state)
  /// can run on another thread while the log serves the node:
  ///  1. write_snapshot_aside() writes the snapshot to a temporary file and syncs it. It
  ///     touches nothing else of the log, so it may run concurrently with any other call but
  ///     another write_snapshot_aside() or save_snapshot(), and needs a FileSystem that allows
  ///     calls from two threads (PosixFileSystem does). A failure leaves the log as it was.
  ///  2. commit_snapshot(), on the log's own thread, makes it current (rename, directory
  ///     sync). False (and nothing changed) when a snapshot past `meta.index` became
  ///     current meanwhile (installed from the leader): the one written aside is dropped.
  ///     Preconditions then as save_snapshot; `size` is the data's size in bytes.
  [[nodiscard]] Status write_snapshot_aside(const SnapshotMeta& meta,
                                            std::span<const std::byte> data) const;
  [[nodiscard]] Result<bool> commit_snapshot(const SnapshotMeta& meta, std::uint64_t size);
  /// Writes one received chunk to the pending snapshot (Ready step 1a).
  [[nodiscard]] Status write_snapshot_chunk(const SnapshotChunk& chunk);
  /// Makes the pending snapshot current, durably, and discards the whole log (step 1b).
  [[nodiscard]] Status install_snapshot(const SnapshotMeta& meta);
  /// The whole current snapshot (the application restores from it at start).
  [[nodiscard]] Result<Payload> snapshot_data() const;

  /// Live segment files (for tests and metrics).
  [[nodiscard]] std::size_t segment_count() const { return segments_.size(); }

 private:
  struct Segment {
    std::uint64_t seq = 0;
    std::string name;
    // The highest entry index any record of the segment wrote (0: none); a
    // segment whose entries are all compacted away can be deleted.
    std::uint64_t max_index = 0;
  };

  Wal(FileSystem& fs, WalOptions options);
  [[nodiscard]] Status recover();
  [[nodiscard]] Status load_snapshot();
  [[nodiscard]] Status start_segment(std::uint64_t seq);
  [[nodiscard]] Status write_records(std::span<const std::byte> records);
  [[nodiscard]] Status fail(Status status);
  [[nodiscard]] Status check_usable() const;
  void encode_checkpoint(std::vector<std::byte>& out) const;
  void apply_entries(std::span<const Entry> entries);
  [[nodiscard]] Status delete_dead_segments();

  FileSystem& fs_;
  WalOptions options_;
  std::vector<std::string> notes_;
  Status broken_;  // not ok once an I/O error left the durable state unknown

  HardState hard_state_;
  Index first_index_{1};
  Term first_prev_term_;  // term of the entry at first_index_ - 1
  std::vector<Entry> entries_;

  SnapshotMeta snapshot_meta_;
  std::uint64_t snapshot_size_ = 0;
  std::unique_ptr<File> snapshot_file_;
  std::unique_ptr<File> pending_file_;
  Index pending_index_;
  Term pending_term_;
  std::uint64_t pending_size_ = 0;
  std::uint32_t pending_crc_ = 0;

  std::vector<Segment> segments_;  // oldest first; the last is written to
  std::unique_ptr<File> current_;
  std::uint64_t current_size_ = 0;
};

}  // namespace raft::storage

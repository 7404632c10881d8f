// SPDX-License-Identifier: Apache-2.0
#include "raft/storage/wal.h"

#include <algorithm>
#include <map>
#include <optional>
#include <string_view>
#include <utility>

#include <fmt/format.h>

#include "entry_slice.h"
#include "raft/assert.h"
#include "raft/storage/crc32c.h"

namespace raft::storage {
namespace {

constexpr std::string_view kSnapshotName = "snapshot";
constexpr std::string_view kSnapshotTmpName = "snapshot.tmp";
constexpr std::string_view kSnapshotPendingName = "snapshot.pending";
constexpr std::string_view kSegmentPrefix = "wal-";
constexpr std::string_view kSegmentSuffix = ".log";
constexpr std::size_t kSegmentDigits = 16;

constexpr std::size_t kFrameHeaderBytes = 8;                     // u32 length, u32 crc
constexpr std::uint32_t kMaxRecordBytes = 1U << 30U;             // larger lengths are garbage
constexpr std::uint64_t kSnapshotMagic = 0x31504e5354464152ULL;  // "RAFTSNP1", little-endian
constexpr std::size_t kSnapshotTrailerBytes = 16;  // u32 footer length, u32 crc, u64 magic
constexpr std::size_t kReadChunkBytes = std::size_t{1} << 20U;
// Indexes count appended entries, so no real log comes near 2^62; a larger one (or 0 where an
// index >= 1 is meant) is corruption, and refusing it keeps first_index - 1 and
// last_index + 1 from wrapping around (found by tests/fuzz/wal_fuzz.cc).
constexpr std::uint64_t kMaxIndex = std::uint64_t{1} << 62U;

enum class RecordType : std::uint8_t {
  kCheckpoint = 1,  // hard state, first index, term before it: the head of every segment
  kEntry = 2,       // one entry; replaces any stored entry at or after its index (§5.3)
  kHardState = 3,   // term, vote, commit
  kCompact = 4,     // the log now starts at `first`; the entry before it had `prev_term`
  kInstall = 5,     // a snapshot was installed: the whole log is discarded
};

// ---- Little-endian encoding ----

class Writer {
 public:
  explicit Writer(std::vector<std::byte>& out) : out_(out) {}
  void u8(std::uint8_t value) { out_.push_back(static_cast<std::byte>(value)); }
  void u32(std::uint32_t value) {
    for (unsigned shift = 0; shift < 32; shift += 8) u8(static_cast<std::uint8_t>(value >> shift));
  }
  void u64(std::uint64_t value) {
    for (unsigned shift = 0; shift < 64; shift += 8) u8(static_cast<std::uint8_t>(value >> shift));
  }
  void bytes(std::span<const std::byte> data) { out_.insert(out_.end(), data.begin(), data.end()); }
  void ids(const std::vector<NodeId>& ids) {
    u32(static_cast<std::uint32_t>(ids.size()));
    for (const NodeId id : ids) u64(id.value());
  }

 private:
  std::vector<std::byte>& out_;
};

class Reader {
 public:
  explicit Reader(std::span<const std::byte> data) : data_(data) {}
  [[nodiscard]] bool u8(std::uint8_t& value) {
    if (data_.size() - pos_ < 1) return false;
    value = static_cast<std::uint8_t>(data_[pos_++]);
    return true;
  }
  [[nodiscard]] bool u32(std::uint32_t& value) {
    if (data_.size() - pos_ < 4) return false;
    value = 0;
    for (unsigned i = 0; i < 4; ++i) value |= static_cast<std::uint32_t>(data_[pos_++]) << (8 * i);
    return true;
  }
  [[nodiscard]] bool u64(std::uint64_t& value) {
    if (data_.size() - pos_ < 8) return false;
    value = 0;
    for (unsigned i = 0; i < 8; ++i) value |= static_cast<std::uint64_t>(data_[pos_++]) << (8 * i);
    return true;
  }
  [[nodiscard]] bool ids(std::vector<NodeId>& ids) {
    std::uint32_t count = 0;
    if (!u32(count) || count > (data_.size() - pos_) / 8) return false;
    for (std::uint32_t i = 0; i < count; ++i) {
      std::uint64_t id = 0;
      if (!u64(id)) return false;
      ids.emplace_back(id);
    }
    return true;
  }
  [[nodiscard]] std::span<const std::byte> rest() {
    auto rest = data_.subspan(pos_);
    pos_ = data_.size();
    return rest;
  }
  [[nodiscard]] bool done() const { return pos_ == data_.size(); }

 private:
  std::span<const std::byte> data_;
  std::size_t pos_ = 0;
};

std::uint32_t get_u32(std::span<const std::byte> data, std::size_t at) {
  std::uint32_t value = 0;
  for (unsigned i = 0; i < 4; ++i) value |= static_cast<std::uint32_t>(data[at + i]) << (8 * i);
  return value;
}

// Frames one record: the CRC covers the length too, so a damaged length is caught.
class Record {
 public:
  explicit Record(RecordType type) { Writer{body_}.u8(static_cast<std::uint8_t>(type)); }
  Writer writer() { return Writer{body_}; }
  void frame_into(std::vector<std::byte>& out) const {
    std::vector<std::byte> length;
    Writer{length}.u32(static_cast<std::uint32_t>(body_.size()));
    Writer writer{out};
    writer.bytes(length);
    writer.u32(crc32c_extend(crc32c(length), body_));
    writer.bytes(body_);
  }

 private:
  std::vector<std::byte> body_;
};

// Why the frame at `pos` is unreadable, or nullopt if it is a good frame.
std::optional<std::string> check_frame(std::span<const std::byte> data, std::size_t pos) {
  if (data.size() - pos < kFrameHeaderBytes) return "the record header is cut short";
  const std::uint32_t length = get_u32(data, pos);
  if (length == 0 || length > kMaxRecordBytes) {
    return fmt::format("impossible record length {}", length);
  }
  if (length > data.size() - pos - kFrameHeaderBytes) {
    return fmt::format("the record ({} bytes) runs past the end of the file", length);
  }
  const auto body = data.subspan(pos + kFrameHeaderBytes, length);
  const std::uint32_t crc = crc32c_extend(crc32c(data.subspan(pos, 4)), body);
  if (crc != get_u32(data, pos + 4)) return "checksum mismatch";
  return std::nullopt;
}

std::string segment_name(std::uint64_t seq) {
  return fmt::format("{}{:016x}{}", kSegmentPrefix, seq, kSegmentSuffix);
}

std::optional<std::uint64_t> parse_segment_name(std::string_view name) {
  if (name.size() != kSegmentPrefix.size() + kSegmentDigits + kSegmentSuffix.size() ||
      !name.starts_with(kSegmentPrefix) || !name.ends_with(kSegmentSuffix)) {
    return std::nullopt;
  }
  std::uint64_t seq = 0;
  for (const char c : name.substr(kSegmentPrefix.size(), kSegmentDigits)) {
    std::uint64_t digit = 0;
    if (c >= '0' && c <= '9') {
      digit = static_cast<std::uint64_t>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      digit = static_cast<std::uint64_t>(c - 'a' + 10);
    } else {
      return std::nullopt;
    }
    seq = seq * 16 + digit;
  }
  return seq;
}

Status read_all(const File& file, std::vector<std::byte>& out) {
  const Result<std::uint64_t> size = file.size();
  if (!size.ok()) return size.status();
  out.reserve(static_cast<std::size_t>(*size));
  return file.read(0, static_cast<std::size_t>(*size), out);
}

// The snapshot file ends with a footer (the metadata, the data's length and
// CRC) and a fixed trailer (the footer's length and CRC, a magic number), so
// that received chunks can be written straight into it at their offsets.
std::vector<std::byte> encode_snapshot_footer(const SnapshotMeta& meta, std::uint64_t data_size,
                                              std::uint32_t data_crc) {
  std::vector<std::byte> footer;
  Writer writer{footer};
  writer.u64(meta.index.value());
  writer.u64(meta.term.value());
  writer.ids(meta.membership.voters);
  writer.ids(meta.membership.outgoing_voters);
  writer.ids(meta.membership.learners);
  writer.u8(meta.membership.auto_leave ? 1 : 0);
  writer.u64(data_size);
  writer.u32(data_crc);
  std::vector<std::byte> out = footer;
  Writer trailer{out};
  trailer.u32(static_cast<std::uint32_t>(footer.size()));
  trailer.u32(crc32c(footer));
  trailer.u64(kSnapshotMagic);
  return out;
}

}  // namespace

// ---- Opening and recovery ----

Wal::Wal(FileSystem& fs, WalOptions options) : fs_(fs), options_(options) {}
Wal::~Wal() = default;

Result<std::unique_ptr<Wal>> Wal::open(FileSystem& fs, WalOptions options) {
  if (options.segment_bytes == 0) {
    return Status{ErrorCode::kInvalidArgument, "WalOptions::segment_bytes must be positive"};
  }
  std::unique_ptr<Wal> wal{new Wal(fs, options)};
  if (Status status = wal->recover(); !status.ok()) return status;
  return wal;
}

Status Wal::load_snapshot() {
  auto file = fs_.open(kSnapshotName, OpenMode::kRead);
  if (!file.ok()) return file.status();
  const auto corrupt = [](std::string_view what) {
    return Status{ErrorCode::kCorruption, fmt::format("{}: {}", kSnapshotName, what)};
  };
  const Result<std::uint64_t> size = (*file)->size();
  if (!size.ok()) return size.status();
  if (*size < kSnapshotTrailerBytes) return corrupt("shorter than its trailer");
  std::vector<std::byte> trailer;
  if (Status s = (*file)->read(*size - kSnapshotTrailerBytes, kSnapshotTrailerBytes, trailer);
      !s.ok()) {
    return s;
  }
  Reader trailer_reader{trailer};
  std::uint32_t footer_size = 0;
  std::uint32_t footer_crc = 0;
  std::uint64_t magic = 0;
  if (!trailer_reader.u32(footer_size) || !trailer_reader.u32(footer_crc) ||
      !trailer_reader.u64(magic) || magic != kSnapshotMagic) {
    return corrupt("bad trailer (not a snapshot file)");
  }
  if (footer_size > *size - kSnapshotTrailerBytes) return corrupt("impossible footer length");
  const std::uint64_t footer_offset = *size - kSnapshotTrailerBytes - footer_size;
  std::vector<std::byte> footer;
  if (Status s = (*file)->read(footer_offset, footer_size, footer); !s.ok()) return s;
  if (crc32c(footer) != footer_crc) {
    return corrupt(fmt::format("footer checksum mismatch at offset {}", footer_offset));
  }
  Reader reader{footer};
  SnapshotMeta meta;
  std::uint64_t index = 0;
  std::uint64_t term = 0;
  std::uint8_t auto_leave = 0;
  std::uint64_t data_size = 0;
  std::uint32_t data_crc = 0;
  if (!reader.u64(index) || !reader.u64(term) || !reader.ids(meta.membership.voters) ||
      !reader.ids(meta.membership.outgoing_voters) || !reader.ids(meta.membership.learners) ||
      !reader.u8(auto_leave) || !reader.u64(data_size) || !reader.u32(data_crc) || !reader.done() ||
      data_size != footer_offset || index > kMaxIndex) {
    return corrupt("malformed footer");
  }
  meta.index = Index{index};
  meta.term = Term{term};
  meta.membership.auto_leave = auto_leave != 0;
  // Check the data once at start: a snapshot is only ever served after this.
  std::uint32_t crc = 0;
  for (std::uint64_t offset = 0; offset < data_size; offset += kReadChunkBytes) {
    std::vector<std::byte> chunk;
    const auto count =
        static_cast<std::size_t>(std::min<std::uint64_t>(kReadChunkBytes, data_size - offset));
    if (Status s = (*file)->read(offset, count, chunk); !s.ok()) return s;
    crc = crc32c_extend(crc, chunk);
  }
  if (crc != data_crc) return corrupt("data checksum mismatch");
  snapshot_meta_ = meta;
  snapshot_size_ = data_size;
  snapshot_file_ = std::move(*file);
  return {};
}

Status Wal::recover() {
  auto names = fs_.list();
  if (!names.ok()) return names.status();
  std::vector<std::pair<std::uint64_t, std::string>> segment_files;
  bool has_snapshot = false;
  bool removed = false;
  for (const std::string& name : *names) {
    if (name == kSnapshotName) {
      has_snapshot = true;
    } else if (name == kSnapshotTmpName || name == kSnapshotPendingName) {
      // A snapshot being saved or received when the node stopped: never current, start over.
      if (Status s = fs_.remove(name); !s.ok()) return s;
      notes_.push_back(fmt::format("removed the unfinished {}", name));
      removed = true;
    } else if (const auto seq = parse_segment_name(name)) {
      segment_files.emplace_back(*seq, name);
    }
  }
  std::sort(segment_files.begin(), segment_files.end());
  if (has_snapshot) {
    if (Status s = load_snapshot(); !s.ok()) return s;
  }

  // Replay every record in order. Entries go into a map because compaction
  // deletes whole segments: the oldest remaining one may start with entries
  // that a later kCompact record discards.
  std::map<std::uint64_t, Entry> log;
  std::uint64_t first = snapshot_meta_.index.value() + 1;
  Term prev_term = snapshot_meta_.term;
  bool based = false;
  std::uint64_t next_seq = 1;
  for (std::size_t i = 0; i < segment_files.size(); ++i) {
    // Not a structured binding: clang before 16 cannot capture one in the lambda below.
    const std::uint64_t seq = segment_files[i].first;
    const std::string& name = segment_files[i].second;
    next_seq = seq + 1;
    const bool last = i + 1 == segment_files.size();
    auto file = fs_.open(name, OpenMode::kRead);
    if (!file.ok()) return file.status();
    std::vector<std::byte> data;
    if (Status s = read_all(**file, data); !s.ok()) return s;
    Segment segment{seq, name, 0};
    std::size_t pos = 0;
    while (pos < data.size()) {
      std::optional<std::string> bad = check_frame(data, pos);
      if (bad) {
        // A crash leaves garbage only after the last sync, at the end of the
        // last segment. A bad record followed by a good one is not that.
        bool tail = last;
        const std::uint32_t length = data.size() - pos >= 4 ? get_u32(data, pos) : 0;
        if (tail && length > 0 && length <= data.size() - pos - kFrameHeaderBytes &&
            pos + kFrameHeaderBytes + length < data.size() &&
            !check_frame(data, pos + kFrameHeaderBytes + length)) {
          tail = false;
        }
        if (!tail) {
          return Status{ErrorCode::kCorruption,
                        fmt::format("{}: corrupt record at offset {}: {}; refusing to start "
                                    "rather than serve a damaged log",
                                    name, pos, *bad)};
        }
        notes_.push_back(fmt::format("{}: cut a torn record at offset {} ({}), dropping {} bytes",
                                     name, pos, *bad, data.size() - pos));
        auto writable = fs_.open(name, OpenMode::kAppend);
        if (!writable.ok()) return writable.status();
        if (Status s = (*writable)->truncate(pos); !s.ok()) return s;
        if (Status s = (*writable)->sync(); !s.ok()) return s;
        break;
      }
      const std::uint32_t length = get_u32(data, pos);
      Reader reader{std::span<const std::byte>{data}.subspan(pos + kFrameHeaderBytes, length)};
      const auto malformed = [&](std::string_view what) {
        return Status{
            ErrorCode::kCorruption,
            fmt::format("{}: record at offset {} has a good checksum but {}", name, pos, what)};
      };
      std::uint8_t type = 0;
      (void)reader.u8(type);
      if (pos == 0 && type != static_cast<std::uint8_t>(RecordType::kCheckpoint)) {
        return malformed("is not the checkpoint that starts every segment");
      }
      switch (static_cast<RecordType>(type)) {
        case RecordType::kCheckpoint: {
          std::uint64_t term = 0, vote = 0, commit = 0, cp_first = 0, cp_prev = 0;
          if (!reader.u64(term) || !reader.u64(vote) || !reader.u64(commit) ||
              !reader.u64(cp_first) || !reader.u64(cp_prev) || !reader.done() || cp_first == 0 ||
              cp_first > kMaxIndex) {
            return malformed("a malformed checkpoint");
          }
          hard_state_ = {Term{term}, NodeId{vote}, Index{commit}};
          if (!based) {
            first = cp_first;
            prev_term = Term{cp_prev};
            based = true;
          }
          break;
        }
        case RecordType::kEntry: {
          std::uint64_t term = 0, index = 0;
          std::uint8_t entry_type = 0;
          if (!reader.u64(term) || !reader.u64(index) || !reader.u8(entry_type) ||
              entry_type > static_cast<std::uint8_t>(EntryType::kConfig) || index == 0 ||
              index > kMaxIndex) {
            return malformed("a malformed entry");
          }
          log.erase(log.lower_bound(index), log.end());
          log.emplace(index, Entry{Term{term}, Index{index}, static_cast<EntryType>(entry_type),
                                   Payload{reader.rest()}});
          segment.max_index = std::max(segment.max_index, index);
          break;
        }
        case RecordType::kHardState: {
          std::uint64_t term = 0, vote = 0, commit = 0;
          if (!reader.u64(term) || !reader.u64(vote) || !reader.u64(commit) || !reader.done()) {
            return malformed("a malformed hard state");
          }
          hard_state_ = {Term{term}, NodeId{vote}, Index{commit}};
          break;
        }
        case RecordType::kCompact:
        case RecordType::kInstall: {
          std::uint64_t a = 0, b = 0;
          if (!reader.u64(a) || !reader.u64(b) || !reader.done() || a == 0 || a > kMaxIndex) {
            return malformed("a malformed compaction");
          }
          if (static_cast<RecordType>(type) == RecordType::kCompact) {
            log.erase(log.begin(), log.lower_bound(a));
            first = a;
          } else {
            log.clear();
            first = a + 1;
          }
          prev_term = Term{b};
          break;
        }
        default:
          return malformed(fmt::format("an unknown type {}", type));
      }
      pos += kFrameHeaderBytes + length;
    }
    if (pos == 0 && last) {
      // Not even the checkpoint reached the disk: the segment was never used.
      if (Status s = fs_.remove(name); !s.ok()) return s;
      notes_.push_back(fmt::format("{}: removed an empty last segment", name));
      removed = true;
      continue;
    }
    if (pos == 0) {
      return Status{ErrorCode::kCorruption, fmt::format("{}: empty segment before the last", name)};
    }
    segments_.push_back(std::move(segment));
  }

  // The entries must now run without a gap from `first`.
  log.erase(log.begin(), log.lower_bound(first));
  std::uint64_t expected = first;
  for (auto& [index, entry] : log) {
    if (index != expected) {
      return Status{ErrorCode::kCorruption,
                    fmt::format("the log misses entries {} to {} (segments {} to {})", expected,
                                index - 1, segments_.front().name, segments_.back().name)};
    }
    entries_.push_back(std::move(entry));
    ++expected;
  }
  first_index_ = Index{first};
  first_prev_term_ = prev_term;

  // A snapshot installed just before a crash may not have reached the log yet
  // (thesis Figure 5.3, steps 6-7): keep the log only if it continues the snapshot.
  bool discarded = false;
  if (snapshot_meta_.index > Index{}) {
    const Index snap = snapshot_meta_.index;
    if (first_index_.prev() > snap) {
      return Status{ErrorCode::kCorruption,
                    fmt::format("the log starts at {} but the snapshot ends at {}: entries "
                                "between them are lost",
                                first_index_.value(), snap.value())};
    }
    const Result<Term> at_snap = term(snap);
    if (!at_snap.ok() || *at_snap != snapshot_meta_.term) {
      notes_.push_back(
          fmt::format("discarded the log ({} to {}): it does not continue the "
                      "snapshot at {}",
                      first_index_.value(), last_index().value(), snap.value()));
      entries_.clear();
      first_index_ = snap.next();
      first_prev_term_ = snapshot_meta_.term;
      discarded = true;
    }
  }
  if (hard_state_.commit > last_index()) {
    // Only entries that were never synced can be missing, and nothing was
    // applied from them (the driver applies after the persist).
    notes_.push_back(fmt::format("lowered the commit index from {} to the last entry {}",
                                 hard_state_.commit.value(), last_index().value()));
    hard_state_.commit = last_index();
  }

  if (removed) {
    if (Status s = fs_.sync_dir(); !s.ok()) return s;
  }
  // Never append after a cut tail: start a new segment.
  if (Status s = start_segment(next_seq); !s.ok()) return s;
  if (discarded) {
    std::vector<std::byte> record;
    Record install{RecordType::kInstall};
    install.writer().u64(snapshot_meta_.index.value());
    install.writer().u64(snapshot_meta_.term.value());
    install.frame_into(record);
    if (Status s = write_records(record); !s.ok()) return s;
    for (Segment& segment : segments_) segment.max_index = 0;
  }
  return sync();
}

// ---- Reading ----

Result<Term> Wal::term(Index index) const {
  if (index < first_index_.prev()) {
    return Status{ErrorCode::kCompacted, fmt::format("entry {} was compacted; the log starts at {}",
                                                     index.value(), first_index_.value())};
  }
  if (index > last_index()) {
    return Status{ErrorCode::kUnavailable, fmt::format("entry {} is past the last index {}",
                                                       index.value(), last_index().value())};
  }
  if (index == first_index_.prev()) return first_prev_term_;
  return entries_[Index::distance(first_index_, index)].term;
}

Status Wal::entries(Index from, Index to, std::size_t bytes_max, std::vector<Entry>& out) const {
  return detail::slice_entries(entries_, first_index_, from, to, bytes_max, out);
}

Status Wal::read_snapshot(std::uint64_t offset, std::size_t bytes_max,
                          std::vector<std::byte>& out) const {
  if (!snapshot_file_) return {ErrorCode::kUnavailable, "this log holds no snapshot"};
  if (offset > snapshot_size_) {
    return {ErrorCode::kUnavailable,
            fmt::format("snapshot offset {} is past its end ({} bytes)", offset, snapshot_size_)};
  }
  const auto count =
      static_cast<std::size_t>(std::min<std::uint64_t>(bytes_max, snapshot_size_ - offset));
  return snapshot_file_->read(offset, count, out);
}

Result<Payload> Wal::snapshot_data() const {
  std::vector<std::byte> data;
  if (!snapshot_file_) return Payload{};
  if (Status s = snapshot_file_->read(0, static_cast<std::size_t>(snapshot_size_), data); !s.ok()) {
    return s;
  }
  return Payload{std::move(data)};
}

// ---- Writing ----

Status Wal::check_usable() const {
  if (broken_.ok()) return {};
  return {ErrorCode::kIo, fmt::format("the log stopped after an I/O error ({}); restart to recover",
                                      broken_.message())};
}

Status Wal::fail(Status status) {
  // After a failed write or fsync the disk may hold less than memory does;
  // only a restart (recovery from what is durable) can tell what survived.
  if (broken_.ok()) broken_ = status;
  return status;
}

void Wal::encode_checkpoint(std::vector<std::byte>& out) const {
  Record record{RecordType::kCheckpoint};
  Writer writer = record.writer();
  writer.u64(hard_state_.term.value());
  writer.u64(hard_state_.vote.value());
  writer.u64(hard_state_.commit.value());
  writer.u64(first_index_.value());
  writer.u64(first_prev_term_.value());
  record.frame_into(out);
}

Status Wal::start_segment(std::uint64_t seq) {
  const std::string name = segment_name(seq);
  auto file = fs_.open(name, OpenMode::kTruncate);
  if (!file.ok()) return fail(file.status());
  std::vector<std::byte> checkpoint;
  encode_checkpoint(checkpoint);
  if (Status s = (*file)->append(checkpoint); !s.ok()) return fail(std::move(s));
  if (Status s = (*file)->sync(); !s.ok()) return fail(std::move(s));
  // The segment's name must be durable before any record in it is promised.
  if (Status s = fs_.sync_dir(); !s.ok()) return fail(std::move(s));
  segments_.push_back({seq, name, 0});
  current_ = std::move(*file);
  current_size_ = checkpoint.size();
  return {};
}

Status Wal::write_records(std::span<const std::byte> records) {
  if (records.empty()) return {};
  if (Status s = current_->append(records); !s.ok()) return fail(std::move(s));
  current_size_ += records.size();
  return {};
}

Status Wal::persist(const Ready& ready) {
  if (Status s = write(ready); !s.ok()) return s;
  return ready.must_sync ? sync() : Status{};
}

Status Wal::write(const Ready& ready) {
  if (Status s = check_usable(); !s.ok()) return s;
  for (const SnapshotChunk& chunk : ready.snapshot_chunks) {
    if (Status s = write_snapshot_chunk(chunk); !s.ok()) return s;
  }
  if (ready.snapshot_to_install) {
    if (Status s = install_snapshot(*ready.snapshot_to_install); !s.ok()) return s;
  }
  if (ready.hard_state) {
    if (Status s = set_hard_state(*ready.hard_state); !s.ok()) return s;
  }
  if (Status s = append(ready.entries); !s.ok()) return s;
  if (ready.compact_to > Index{}) return compact(ready.compact_to.next());
  return {};
}

Status Wal::sync() {
  if (Status s = check_usable(); !s.ok()) return s;
  if (Status s = current_->sync(); !s.ok()) return fail(std::move(s));
  return delete_dead_segments();
}

Status Wal::delete_dead_segments() {
  // Only after the sync that made the kCompact/kInstall record durable: until
  // then recovery may still need the entries these segments hold.
  bool deleted = false;
  while (segments_.size() > 1 && segments_.front().max_index < first_index_.value()) {
    if (Status s = fs_.remove(segments_.front().name); !s.ok()) return fail(std::move(s));
    segments_.erase(segments_.begin());
    deleted = true;
  }
  if (deleted) {
    if (Status s = fs_.sync_dir(); !s.ok()) return fail(std::move(s));
  }
  return {};
}

Status Wal::set_hard_state(const HardState& state) {
  if (Status s = check_usable(); !s.ok()) return s;
  if (state == hard_state_) return {};
  // Closing a full segment here (and in append) puts the checkpoint of the
  // new one before the records that change what it describes.
  if (current_size_ >= options_.segment_bytes) {
    if (Status s = current_->sync(); !s.ok()) return fail(std::move(s));
    if (Status s = start_segment(segments_.back().seq + 1); !s.ok()) return s;
  }
  hard_state_ = state;
  std::vector<std::byte> out;
  Record record{RecordType::kHardState};
  Writer writer = record.writer();
  writer.u64(state.term.value());
  writer.u64(state.vote.value());
  writer.u64(state.commit.value());
  record.frame_into(out);
  return write_records(out);
}

Status Wal::append(std::span<const Entry> entries) {
  if (Status s = check_usable(); !s.ok()) return s;
  if (entries.empty()) return {};
  const Index first_new = entries.front().index;
  RAFT_ASSERT(first_new >= first_index_);
  RAFT_ASSERT(first_new <= last_index().next());
  RAFT_ASSERT(entries.back().index == first_new + (entries.size() - 1));
  if (current_size_ >= options_.segment_bytes) {
    if (Status s = current_->sync(); !s.ok()) return fail(std::move(s));
    if (Status s = start_segment(segments_.back().seq + 1); !s.ok()) return s;
  }
  // One buffer, one write, however many entries: the fsync that follows is shared.
  std::vector<std::byte> out;
  for (const Entry& entry : entries) {
    Record record{RecordType::kEntry};
    Writer writer = record.writer();
    writer.u64(entry.term.value());
    writer.u64(entry.index.value());
    writer.u8(static_cast<std::uint8_t>(entry.type));
    writer.bytes(entry.payload.bytes());
    record.frame_into(out);
  }
  // Replacing from first_new on discards a follower's conflicting suffix (Raft §5.3).
  entries_.resize(Index::distance(first_index_, first_new));
  entries_.insert(entries_.end(), entries.begin(), entries.end());
  segments_.back().max_index = std::max(segments_.back().max_index, entries.back().index.value());
  return write_records(out);
}

Status Wal::compact(Index index) {
  if (Status s = check_usable(); !s.ok()) return s;
  RAFT_ASSERT(index >= first_index_);
  RAFT_ASSERT(index <= last_index().next());
  RAFT_ASSERT_MSG(index.prev() <= snapshot_meta_.index,
                  "compaction must stay behind the durable snapshot");
  if (index == first_index_) return {};
  const Term prev_term = entries_[Index::distance(first_index_, index.prev())].term;
  entries_.erase(entries_.begin(), entries_.begin() + static_cast<std::ptrdiff_t>(
                                                          Index::distance(first_index_, index)));
  first_index_ = index;
  first_prev_term_ = prev_term;
  std::vector<std::byte> out;
  Record record{RecordType::kCompact};
  Writer writer = record.writer();
  writer.u64(index.value());
  writer.u64(prev_term.value());
  record.frame_into(out);
  // The segments emptied by this go at the next sync(), once this record is durable.
  return write_records(out);
}

// ---- Snapshots ----

Status Wal::save_snapshot(const SnapshotMeta& meta, std::span<const std::byte> data) {
  if (Status s = check_usable(); !s.ok()) return s;
  if (Status s = write_snapshot_aside(meta, data); !s.ok()) return fail(std::move(s));
  Result<bool> committed = commit_snapshot(meta, data.size());
  if (!committed.ok()) return committed.status();
  RAFT_ASSERT_MSG(*committed, "save_snapshot: a newer snapshot is already current");
  return {};
}

Status Wal::write_snapshot_aside(const SnapshotMeta& meta, std::span<const std::byte> data) const {
  // Only the file system and this file's name: no member the log's other calls change, so
  // this may run on another thread while the log is in use (Wal's class comment).
  auto file = fs_.open(kSnapshotTmpName, OpenMode::kTruncate);
  if (!file.ok()) return file.status();
  if (Status s = (*file)->append(data); !s.ok()) return s;
  if (Status s = (*file)->append(encode_snapshot_footer(meta, data.size(), crc32c(data)));
      !s.ok()) {
    return s;
  }
  return (*file)->sync();
}

Result<bool> Wal::commit_snapshot(const SnapshotMeta& meta, std::uint64_t size) {
  if (Status s = check_usable(); !s.ok()) return s;
  // A snapshot installed from the leader while this one was written supersedes it.
  if (meta.index < snapshot_meta_.index) return false;
  RAFT_ASSERT(meta.index >= first_index_.prev() && meta.index <= last_index());
  RAFT_ASSERT(term(meta.index).ok() && *term(meta.index) == meta.term);
  // Written aside and synced; now rename over the old one and sync the directory: a crash
  // leaves either the old snapshot or the new one, never a mix.
  if (Status s = fs_.rename(kSnapshotTmpName, kSnapshotName); !s.ok()) return fail(std::move(s));
  if (Status s = fs_.sync_dir(); !s.ok()) return fail(std::move(s));
  auto current = fs_.open(kSnapshotName, OpenMode::kRead);
  if (!current.ok()) return fail(current.status());
  snapshot_file_ = std::move(*current);
  snapshot_meta_ = meta;
  snapshot_size_ = size;
  return true;
}

Status Wal::write_snapshot_chunk(const SnapshotChunk& chunk) {
  if (Status s = check_usable(); !s.ok()) return s;
  if (chunk.offset == 0) {
    auto file = fs_.open(kSnapshotPendingName, OpenMode::kTruncate);
    if (!file.ok()) return fail(file.status());
    pending_file_ = std::move(*file);
    pending_index_ = chunk.index;
    pending_term_ = chunk.term;
    pending_size_ = 0;
    pending_crc_ = 0;
  }
  RAFT_ASSERT_MSG(pending_file_ && chunk.index == pending_index_ && chunk.term == pending_term_ &&
                      chunk.offset == pending_size_,
                  "snapshot chunks must arrive in order, from offset 0");
  const auto bytes = chunk.data.bytes();
  if (Status s = pending_file_->append(bytes); !s.ok()) return fail(std::move(s));
  pending_size_ += bytes.size();
  pending_crc_ = crc32c_extend(pending_crc_, bytes);
  return {};
}

Status Wal::install_snapshot(const SnapshotMeta& meta) {
  if (Status s = check_usable(); !s.ok()) return s;
  RAFT_ASSERT_MSG(pending_file_ && meta.index == pending_index_ && meta.term == pending_term_,
                  "install names a snapshot that was not received");
  if (Status s = pending_file_->append(encode_snapshot_footer(meta, pending_size_, pending_crc_));
      !s.ok()) {
    return fail(std::move(s));
  }
  if (Status s = pending_file_->sync(); !s.ok()) return fail(std::move(s));
  pending_file_.reset();
  if (Status s = fs_.rename(kSnapshotPendingName, kSnapshotName); !s.ok()) {
    return fail(std::move(s));
  }
  if (Status s = fs_.sync_dir(); !s.ok()) return fail(std::move(s));
  auto current = fs_.open(kSnapshotName, OpenMode::kRead);
  if (!current.ok()) return fail(current.status());
  snapshot_file_ = std::move(*current);
  snapshot_meta_ = meta;
  snapshot_size_ = pending_size_;
  pending_index_ = Index{};
  pending_term_ = Term{};
  pending_size_ = 0;

  // Figure 5.3: discard the entire log; it continues after the snapshot. Were
  // the kInstall record lost, recovery would still find that the log does not
  // continue the (durable) snapshot and discard it then.
  entries_.clear();
  first_index_ = meta.index.next();
  first_prev_term_ = meta.term;
  for (Segment& segment : segments_) segment.max_index = 0;
  std::vector<std::byte> out;
  Record record{RecordType::kInstall};
  Writer writer = record.writer();
  writer.u64(meta.index.value());
  writer.u64(meta.term.value());
  record.frame_into(out);
  return write_records(out);
}

}  // namespace raft::storage

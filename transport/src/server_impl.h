// SPDX-License-Identifier: Apache-2.0
// The private state of raft::transport::Server, shared by server.cc (life cycle, the Ready
// loop, the timer) and server_requests.cc (pending proposals and reads).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>

#include "raft/node.h"
#include "raft/storage/posix_file_system.h"
#include "raft/storage/wal.h"
#include "raft/transport/server.h"
#include "raft/transport/tcp_transport.h"

namespace raft::transport {

class Server::Impl {
 public:
  using SteadyTime = std::chrono::steady_clock::time_point;

  Impl(boost::asio::io_context& io, ServerOptions options, StateMachine& state_machine);

  [[nodiscard]] Status open();
  [[nodiscard]] Status start();
  void stop();

  void propose(Payload command, ProposeHandler done);
  void read(ReadHandler done);
  Status transfer_leadership(NodeId target);

  [[nodiscard]] ServerStatus status() const;
  [[nodiscard]] const ServerMetrics& metrics() const noexcept { return metrics_; }
  [[nodiscard]] const Node& node() const noexcept { return *node_; }
  [[nodiscard]] const TcpTransport& transport() const noexcept { return *transport_; }
  [[nodiscard]] boost::asio::io_context& io() noexcept { return io_; }
  /// False once this Impl is destroyed: handlers posted to the io_context check it first.
  [[nodiscard]] std::shared_ptr<bool> alive() const { return alive_; }
  void set_log_handler(std::function<void(std::string_view)> handler);

 private:
  /// A proposal appended at some index, waiting for that index to be applied.
  struct PendingProposal {
    std::uint64_t serial = 0;  ///< Tells a proposal from a later one at the same index.
    Term term;
    SteadyTime started;
    ProposeHandler done;
  };
  /// Requests time out in the order they arrived (one timeout for all), so a FIFO of
  /// deadlines is sorted; answered requests are skipped when they come up.
  struct Deadline {
    SteadyTime when;
    bool is_read = false;
    std::uint64_t key = 0;     ///< The proposal's index, or the read's id.
    std::uint64_t serial = 0;  ///< Proposals: which one at that index.
  };

  [[nodiscard]] Time now() const;
  void log(std::string_view line);

  // The loop (server.cc).
  void schedule_drain();
  void drain();
  bool handle_ready(Ready& ready);
  bool install_snapshot(const SnapshotMeta& meta);
  void apply(const std::vector<Entry>& committed);
  void maybe_snapshot();
  void on_snapshot_written(const SnapshotMeta& meta, std::uint64_t size, const Status& written);
  void on_event(const Event& event);
  bool fail_storage(const Status& status);
  void arm_timer();

  // Requests (server_requests.cc).
  [[nodiscard]] Status admit_request() const;
  void complete_proposal(const Entry& entry, std::string reply);
  void on_read_state(const ReadState& read);
  void serve_confirmed_reads();
  void fail_proposals_through(Index index, const Status& status);
  void fail_all_proposals(const Status& status);
  void fail_all(const Status& status);
  void expire_requests(SteadyTime now);
  [[nodiscard]] std::optional<SteadyTime> earliest_request_deadline();
  void run_completions();

  boost::asio::io_context& io_;
  ServerOptions options_;
  StateMachine& state_machine_;
  const SteadyTime epoch_;  // Time{} for the node.
  std::function<void(std::string_view)> log_handler_;
  std::vector<std::string> early_log_;  // Lines logged before a handler was set.

  std::unique_ptr<storage::PosixFileSystem> fs_;
  std::unique_ptr<storage::Wal> wal_;
  std::optional<Node> node_;
  std::unique_ptr<TcpTransport> transport_;
  boost::asio::steady_timer timer_;
  bool timer_armed_ = false;
  SteadyTime timer_when_{};
  bool drain_scheduled_ = false;
  bool stopped_ = false;
  Status health_;

  Index applied_;        // What the state machine reflects.
  Index last_snapshot_;  // The index of the last snapshot taken or installed.
  NodeId last_leader_;

  std::map<Index, PendingProposal> proposals_;
  std::uint64_t next_serial_ = 0;
  std::map<std::uint64_t, ReadHandler> reads_;  // Read id -> its handler, until answered.
  std::uint64_t next_read_id_ = 0;
  std::multimap<Index, std::uint64_t> confirmed_reads_;  // Read index -> id; wait for apply.
  std::deque<Deadline> deadlines_;
  // Handlers to call once the node is between Readys (see drain()).
  std::vector<std::function<void()>> completions_;

  ServerMetrics metrics_;

  // Writes snapshots aside (storage::Wal::write_snapshot_aside), one at a time.
  boost::asio::thread_pool snapshot_thread_{1};
  bool snapshot_writing_ = false;
  // False once the Impl is gone: a drain, a snapshot's answer or a cross-thread call posted to
  // the io_context before that is dropped instead of touching a destroyed server.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);

 public:
  ~Impl() { *alive_ = false; }
};

}  // namespace raft::transport

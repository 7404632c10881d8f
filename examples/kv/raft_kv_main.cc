// SPDX-License-Identifier: Apache-2.0
// raft-kv: one member of a replicated key-value coordinator. Runs a raft::transport::Server
// (Raft over TCP, the write-ahead log in --data-dir) and the HTTP API on one io_context and
// one thread. See README.md for the flags, the API and cluster.sh.
#include <signal.h>  // NOLINT: SIGINT, SIGTERM
#include <time.h>    // NOLINT: gmtime_r

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <fmt/format.h>

#include "address_list.h"
#include "http_api.h"
#include "kv_state_machine.h"
#include "raft/transport/server.h"

namespace {

namespace asio = boost::asio;
using namespace raft;

constexpr int kExitBadFlags = 2;
constexpr int kExitFailed = 1;

/// What the command line says.
struct Flags {
  std::uint64_t id = 0;
  std::string peers;
  std::string http_peers;
  std::string data_dir;
  std::string http;
  std::string cluster_id = "raft-kv";
  bool no_fsync = false;
  bool no_fast_failover = false;
  std::uint64_t heartbeat_ms = 100;
  std::uint64_t election_ms = 1000;
  std::uint64_t snapshot_every = 100'000;
  std::uint64_t request_timeout_ms = 5000;
};

/// "2026-11-26T18:01:35.123Z": UTC with milliseconds, so lines from several nodes sort.
std::string timestamp() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", utc.tm_year + 1900,
                     utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, millis);
}

void log_line(std::uint64_t id, std::string_view line) {
  const std::string text = fmt::format("{} raft-kv[{}] {}\n", timestamp(), id, line);
  std::fwrite(text.data(), 1, text.size(), stderr);
}

/// The HTTP listener binds an IP literal: a name given to --http is resolved here, once.
/// (Peer names in --peers are not: the transport resolves them at every dial, so a peer that
/// comes back at another address is found again.)
Result<std::string> resolve(asio::io_context& io, const std::string& host) {
  boost::system::error_code error;
  asio::ip::make_address(host, error);
  if (!error) return host;
  asio::ip::tcp::resolver resolver{io};
  const auto results = resolver.resolve(host, "", error);
  if (error || results.empty()) {
    return Status{ErrorCode::kInvalidArgument,
                  fmt::format("cannot resolve host '{}': {}", host, error.message())};
  }
  return results.begin()->endpoint().address().to_string();
}

/// Builds the server's and the HTTP API's options from the flags; kInvalidArgument or
/// kInvalidConfig saying which flag is wrong.
Status make_options(asio::io_context& io, const Flags& flags, transport::ServerOptions& server,
                    kv::HttpApiOptions& http) {
  server.id = NodeId{flags.id};
  server.cluster_id = flags.cluster_id;
  Result<std::map<NodeId, kv::HostPort>> peers = kv::parse_address_list(flags.peers, "--peers");
  if (!peers.ok()) return peers.status();
  for (const auto& [id, address] : *peers) {
    server.members[id] = transport::PeerAddress{address.host, address.port};
  }
  if (!server.members.contains(server.id)) {
    return Status{ErrorCode::kInvalidArgument,
                  fmt::format("--peers has no entry for this node (--id {})", flags.id)};
  }
  server.data_dir =
      flags.data_dir.empty() ? fmt::format("raft-kv-data/{}", flags.id) : flags.data_dir;
  server.fsync = !flags.no_fsync;
  server.snapshot_every = flags.snapshot_every;
  server.request_timeout = std::chrono::milliseconds{flags.request_timeout_ms};
  server.raft.heartbeat_interval = std::chrono::milliseconds{flags.heartbeat_ms};
  // etcd's and the Raft paper's convention: election timeouts drawn from [T, 2T).
  server.raft.election_timeout_min = std::chrono::milliseconds{flags.election_ms};
  server.raft.election_timeout_max = std::chrono::milliseconds{2 * flags.election_ms};
  server.raft.fast_failover = !flags.no_fast_failover;

  if (!flags.http_peers.empty()) {
    Result<std::map<NodeId, kv::HostPort>> http_peers =
        kv::parse_address_list(flags.http_peers, "--http-peers");
    if (!http_peers.ok()) return http_peers.status();
    for (const auto& [id, address] : *http_peers) http.http_peers[id] = address.to_string();
  }
  // --http, else this node's --http-peers entry, else 127.0.0.1:(8000 + id).
  std::string listen = flags.http;
  if (listen.empty()) {
    const auto own = http.http_peers.find(server.id);
    listen =
        own != http.http_peers.end() ? own->second : fmt::format("127.0.0.1:{}", 8000 + flags.id);
  }
  Result<kv::HostPort> address = kv::parse_host_port(listen, "--http");
  if (!address.ok()) return address.status();
  Result<std::string> host = resolve(io, address->host);
  if (!host.ok()) return Status{ErrorCode::kInvalidArgument, "--http: " + host.status().message()};
  http.host = *host;
  http.port = address->port;
  // Redirects to this node work even if --http-peers omitted it.
  http.http_peers.try_emplace(server.id, kv::HostPort{*host, address->port}.to_string());
  return server.validate();
}

int run(const Flags& flags) {
  asio::io_context io{1};
  transport::ServerOptions server_options;
  kv::HttpApiOptions http_options;
  if (const Status made = make_options(io, flags, server_options, http_options); !made.ok()) {
    std::fprintf(stderr, "raft-kv: %s\n", made.message().c_str());
    return kExitBadFlags;
  }
  kv::KvStateMachine machine;
  Result<std::unique_ptr<transport::Server>> opened =
      transport::Server::open(io, server_options, machine);
  if (!opened.ok()) {
    log_line(flags.id, fmt::format("cannot open the server: {}", opened.status().to_string()));
    return kExitFailed;
  }
  transport::Server& server = **opened;
  server.on_log([id = flags.id](std::string_view line) { log_line(id, line); });
  if (const Status started = server.start(); !started.ok()) {
    log_line(flags.id, fmt::format("cannot start the server: {}", started.to_string()));
    return kExitFailed;
  }
  kv::HttpApi http{io, server, machine, http_options};
  if (const Status started = http.start(); !started.ok()) {
    log_line(flags.id, fmt::format("cannot start HTTP: {}", started.to_string()));
    server.stop();
    return kExitFailed;
  }
  log_line(flags.id,
           fmt::format("HTTP on {}:{}, data in {}, fsync {}", http_options.host, http.port(),
                       server_options.data_dir.string(), server_options.fsync ? "on" : "off"));

  // Graceful stop: HTTP first (no new requests), then the server, which fails what is pending
  // with kStopped, syncs the log and closes the transport; then run() runs out of work.
  asio::signal_set signals{io, SIGINT, SIGTERM};
  signals.async_wait([&](const boost::system::error_code& error, int signal) {
    if (error) return;
    log_line(flags.id, fmt::format("signal {}: stopping", signal));
    http.stop();
    server.stop();
    // Back to the default action: a second signal kills the process at once, and no pending
    // wait keeps run() from returning.
    boost::system::error_code ignored;
    signals.clear(ignored);
  });
  io.run();
  const Status health = server.status().health;
  log_line(flags.id, fmt::format("stopped ({})", health.to_string()));
  return health.code() == ErrorCode::kStopped ? 0 : kExitFailed;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"raft-kv: one member of a replicated key-value store (Raft over TCP, HTTP API)"};
  Flags flags;
  app.add_option("--id", flags.id, "This node's id (>= 1); must appear in --peers")
      ->required()
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1} << 62U));
  app.add_option("--peers", flags.peers,
                 "Every member's Raft address, this node too: 1=127.0.0.1:7001,2=...")
      ->required();
  app.add_option("--http-peers", flags.http_peers,
                 "Every member's HTTP address, for redirects to the leader: 1=127.0.0.1:8001,...");
  app.add_option("--data-dir", flags.data_dir,
                 "Where the log and snapshots live (default: raft-kv-data/<id>)");
  app.add_option("--http", flags.http,
                 "HTTP listen address host:port (default: this node's --http-peers entry, else "
                 "127.0.0.1:<8000+id>)");
  app.add_option("--cluster-id", flags.cluster_id, "Carried in every handshake")
      ->capture_default_str();
  app.add_flag("--no-fsync", flags.no_fsync,
               "Do not fsync the log (a machine crash can lose acknowledged writes)");
  app.add_flag("--no-fast-failover", flags.no_fast_failover,
               "Wait a full election timeout after losing the leader's connection");
  app.add_option("--heartbeat-ms", flags.heartbeat_ms, "Leader heartbeat interval")
      ->capture_default_str()
      ->check(CLI::Range(1, 60'000));
  app.add_option("--election-ms", flags.election_ms, "Election timeout T: each drawn from [T, 2T)")
      ->capture_default_str()
      ->check(CLI::Range(1, 600'000));
  app.add_option("--snapshot-every", flags.snapshot_every,
                 "Snapshot after this many applied entries (0: never)")
      ->capture_default_str();
  app.add_option("--request-timeout-ms", flags.request_timeout_ms,
                 "Fail a write or read not answered in this time (504)")
      ->capture_default_str()
      ->check(CLI::Range(1, 3'600'000));
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& help) {
    return app.exit(help);
  } catch (const CLI::ParseError& error) {
    (void)app.exit(error);
    return kExitBadFlags;
  }
  if (flags.election_ms <= flags.heartbeat_ms) {
    std::fprintf(stderr, "raft-kv: --election-ms (%llu) must exceed --heartbeat-ms (%llu)\n",
                 static_cast<unsigned long long>(flags.election_ms),  // NOLINT: printf
                 static_cast<unsigned long long>(flags.heartbeat_ms));
    return kExitBadFlags;
  }
  return run(flags);
}

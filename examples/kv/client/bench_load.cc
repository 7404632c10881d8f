// SPDX-License-Identifier: Apache-2.0
#include "bench_load.h"

#include <sys/resource.h>

#include <memory>
#include <optional>
#include <thread>
#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <fmt/format.h>

#include "etcd_gateway.h"

namespace raft::kv_client::bench {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;

constexpr auto kRetryDelay = std::chrono::milliseconds{10};
/// How long after the window's end a silent server may hold a client before its thread gives up.
constexpr auto kGrace = std::chrono::seconds{3};

/// The window every client shares (read-only once running).
struct Window {
  Clock::time_point measure_start;
  Clock::time_point end;
};

/// One io_context thread's clients. No per-operation timeouts: a timer per read and write
/// (Beast's tcp_stream) costs timer-queue work and timerfd syscalls on every request, which
/// showed as generator CPU. A silent server is handled once per thread instead: a watchdog at
/// the window's end + kGrace stops the context, and the last client to finish cancels it.
struct Worker {
  explicit Worker(Clock::time_point stop_at) : watchdog(io) {
    watchdog.expires_at(stop_at);
    watchdog.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) io.stop();
    });
  }
  void client_finished() {
    if (--active == 0) watchdog.cancel();
  }
  asio::io_context io{1};
  asio::steady_timer watchdog;
  std::size_t active = 0;
};

/// Process CPU (user + system) so far, in seconds.
double process_cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

/// Where to connect: resolved once (numeric hosts resolve without DNS).
tcp::endpoint resolve(asio::io_context& io, const Endpoint& endpoint) {
  tcp::resolver resolver(io);
  return *resolver.resolve(endpoint.host, std::to_string(endpoint.port)).begin();
}

/// One closed-loop client: connect, then PUT after PUT on one keep-alive connection.
class LoadClient : public std::enable_shared_from_this<LoadClient> {
 public:
  LoadClient(Worker& worker, const LoadOptions& options, const Window& window, std::size_t id,
             Endpoint endpoint, const std::string& value)
      : worker_(worker),
        options_(options),
        window_(window),
        id_(id),
        endpoint_(std::move(endpoint)),
        value_(value),
        socket_(worker.io),
        timer_(worker.io) {
    // The request's fixed parts are built once; each PUT changes only the target (and, for
    // etcd, the JSON body that carries the key).
    request_.version(11);
    request_.keep_alive(true);
    if (options_.target == Target::kEtcd) {
      value_b64_ = etcd::base64_encode(value_);
      request_.method(http::verb::post);
      request_.target("/v3/kv/put");
      request_.set(http::field::content_type, "application/json");
    } else {
      request_.method(http::verb::put);
      request_.set(http::field::content_type, "application/octet-stream");
      request_.body() = value_;
    }
    set_host();
    ++worker_.active;
  }

  void start() { connect(); }

  LoadResult& result() { return result_; }

 private:
  void set_host() { request_.set(http::field::host, endpoint_.to_string()); }

  void finish() {
    error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
    worker_.client_finished();
  }

  void connect() {
    error_code ignored;
    socket_.close(ignored);
    buffer_.clear();
    if (Clock::now() >= window_.end) {
      finish();
      return;
    }
    tcp::endpoint address;
    try {
      address = resolve(worker_.io, endpoint_);
    } catch (const std::exception& e) {
      fail(fmt::format("resolve {}: {}", endpoint_.to_string(), e.what()));
      return;
    }
    socket_.async_connect(address, [self = shared_from_this()](const error_code& ec) {
      if (ec) {
        self->fail("connect " + self->endpoint_.to_string() + ": " + ec.message());
        return;
      }
      error_code ignored_ec;
      self->socket_.set_option(tcp::no_delay(true), ignored_ec);
      self->send();
    });
  }

  void send() {
    const auto now = Clock::now();
    if (now >= window_.end) {
      finish();  // no more work: this client's chain ends
      return;
    }
    started_ = now;
    key_.clear();
    fmt::format_to(std::back_inserter(key_), "bench/{}/{}", id_,
                   next_key_++ % options_.keys_per_client);
    if (options_.target == Target::kEtcd) {
      request_.body() =
          R"({"key":")" + etcd::base64_encode(key_) + R"(","value":")" + value_b64_ + R"("})";
    } else {
      request_.target("/v1/kv/" + key_);
    }
    request_.prepare_payload();
    http::async_write(socket_, request_,
                      [self = shared_from_this()](const error_code& ec, std::size_t) {
                        if (ec) {
                          self->fail("write: " + ec.message());
                          return;
                        }
                        self->receive();
                      });
  }

  void receive() {
    parser_.emplace();
    parser_->body_limit(1U << 20U);
    http::async_read(socket_, buffer_, *parser_,
                     [self = shared_from_this()](const error_code& ec, std::size_t) {
                       if (ec) {
                         self->fail("read: " + ec.message());
                         return;
                       }
                       self->on_response();
                     });
  }

  void on_response() {
    const auto done = Clock::now();
    const auto& response = parser_->get();
    const unsigned status = response.result_int();
    const bool measured = started_ >= window_.measure_start && started_ < window_.end;
    if (status >= 200 && status < 300) {
      if (measured) {
        ++result_.ops;
        result_.latencies_ns.push_back(static_cast<std::uint64_t>(
            std::chrono::duration_cast<std::chrono::nanoseconds>(done - started_).count()));
      }
      if (response.keep_alive()) {
        send();
      } else {
        connect();
      }
      return;
    }
    if (status == 307 || status == 308) {
      // The leader moved: go where the redirect says and stay there.
      const auto location = response.find(http::field::location);
      if (location != response.end()) {
        const auto value = location->value();
        auto parsed = parse_location(std::string_view(value.data(), value.size()));
        if (parsed.ok()) {
          ++result_.redirects;
          endpoint_ = parsed->endpoint;
          set_host();
          connect();
          return;
        }
      }
    }
    if (measured) ++result_.errors;
    if (result_.first_error.empty()) {
      result_.first_error = fmt::format("{} answered {}: {}", endpoint_.to_string(), status,
                                        response.body().substr(0, 200));
    }
    // Do not spin on a server that refuses (503 during an election): retry a little later.
    reuse_connection_ = response.keep_alive();
    retry();
  }

  /// A connection-level failure: count it, then reconnect after a short pause, to the next
  /// fallback endpoint if there are any (the server may be gone for good: a killed leader).
  void fail(std::string what) {
    // By the failure's time: a refused connect has no request start.
    const auto now = Clock::now();
    if (now >= window_.measure_start && now < window_.end) ++result_.errors;
    if (result_.first_error.empty()) result_.first_error = std::move(what);
    if (!options_.fallback.empty()) {
      endpoint_ = options_.fallback[(id_ + ++failovers_) % options_.fallback.size()];
      set_host();
    }
    reuse_connection_ = false;
    retry();
  }

  void retry() {
    timer_.expires_after(kRetryDelay);
    timer_.async_wait([self = shared_from_this()](const error_code& ec) {
      if (ec) return;
      if (self->reuse_connection_) {
        self->send();
      } else {
        self->connect();
      }
    });
  }

  Worker& worker_;
  const LoadOptions& options_;
  const Window& window_;
  std::size_t id_;
  Endpoint endpoint_;
  const std::string& value_;
  std::string value_b64_;
  std::string key_;
  tcp::socket socket_;
  asio::steady_timer timer_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> request_;
  std::optional<http::response_parser<http::string_body>> parser_;
  Clock::time_point started_{};
  std::uint64_t next_key_ = 0;
  std::size_t failovers_ = 0;
  bool reuse_connection_ = true;
  LoadResult result_;
};

}  // namespace

LoadResult run_load(const LoadOptions& options) {
  const unsigned threads = std::max(1U, options.threads);
  // Printable bytes, fixed: the payload's content does not matter, its size does.
  std::string value(options.value_size, 'x');
  for (std::size_t i = 0; i < value.size(); ++i) value[i] = static_cast<char>('a' + i % 26);

  Window window;
  const auto begin = Clock::now();
  window.measure_start = begin + std::chrono::duration_cast<Clock::duration>(options.warmup);
  window.end = window.measure_start + std::chrono::duration_cast<Clock::duration>(options.duration);

  std::vector<std::unique_ptr<Worker>> workers;
  for (unsigned t = 0; t < threads; ++t) {
    workers.push_back(std::make_unique<Worker>(window.end + kGrace));
  }
  std::vector<std::shared_ptr<LoadClient>> clients;
  for (std::size_t i = 0; i < options.clients; ++i) {
    clients.push_back(std::make_shared<LoadClient>(*workers[i % threads], options, window, i,
                                                   options.endpoints[i % options.endpoints.size()],
                                                   value));
    clients.back()->start();
  }
  std::vector<std::thread> runners;
  for (auto& worker : workers) runners.emplace_back([&worker] { worker->io.run(); });

  std::this_thread::sleep_until(window.measure_start);
  const double cpu_before = process_cpu_seconds();
  std::this_thread::sleep_until(window.end);
  const double cpu_after = process_cpu_seconds();
  for (auto& runner : runners) runner.join();

  LoadResult total;
  total.clients = options.clients;
  total.seconds = std::chrono::duration<double>(options.duration).count();
  total.cpu_seconds = cpu_after - cpu_before;
  for (auto& client : clients) {
    auto& r = client->result();
    total.ops += r.ops;
    total.errors += r.errors;
    total.redirects += r.redirects;
    if (total.first_error.empty()) total.first_error = r.first_error;
    total.latencies_ns.insert(total.latencies_ns.end(), r.latencies_ns.begin(),
                              r.latencies_ns.end());
  }
  return total;
}

}  // namespace raft::kv_client::bench

// synack get: HTTP/1.1 GETs of one or more URLs, in order, each over its own new
// connection of the one Stack (so with --tfo a later connection to a server sends its
// request on the SYN with the cookie an earlier one obtained, RFC 7413); the bodies in
// order to stdout or to -o FILE (written to a temporary name and renamed at the end, so a
// failure leaves no partial file); exit 0 when every answer is 2xx, 1 otherwise (the
// first failure ends the run: later URLs are not fetched).
#include <fmt/core.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <stdexcept>
#include <variant>
#include <vector>

#include "net_host.hpp"
#include "net_run.hpp"
#include "synack/api/socket.hpp"
#include "synack/services/http.hpp"

namespace synack::cli {
namespace {

// The body's destination: stdout, or FILE via FILE.part-PID.
class Output {
 public:
  explicit Output(const std::string& path) : path_(path) {
    if (path.empty()) return;
    tmp_ = fmt::format("{}.part-{}", path, ::getpid());
    file_ = std::fopen(tmp_.c_str(), "wb");
    if (file_ == nullptr) {
      throw std::runtime_error(
          fmt::format("-o: cannot write '{}': {}", path, std::strerror(errno)));
    }
  }
  ~Output() {
    if (file_ != nullptr) {
      std::fclose(file_);
      std::remove(tmp_.c_str());
    }
  }
  bool write(Bytes b) {
    FILE* f = file_ != nullptr ? file_ : stdout;
    return std::fwrite(b.data(), 1, b.size(), f) == b.size();
  }
  // Keeps the file (renamed into place); false if that failed.
  bool commit() {
    if (file_ == nullptr) return std::fflush(stdout) == 0;
    const bool ok = std::fclose(file_) == 0 && std::rename(tmp_.c_str(), path_.c_str()) == 0;
    file_ = nullptr;
    if (!ok) std::remove(tmp_.c_str());
    return ok;
  }

 private:
  std::string path_;
  std::string tmp_;
  FILE* file_ = nullptr;
};

// One GET over one connection. `label` begins its error messages ("get", or "get URL"
// when there are several); `finished` is called once when it is over, either way.
class Get {
 public:
  using Finished = std::function<void(Instant now)>;
  Get(NetHost& host, const services::HttpUrl& url, std::string label, Output& out, bool progress,
      Finished finished)
      : host_(host),
        url_(url),
        label_(std::move(label)),
        out_(out),
        progress_(progress, host.now()),
        parser_([this](Bytes b) { on_body(b); }),
        finished_cb_(std::move(finished)) {}

  // Opens the connection. Outside the loop (`outside_loop`: the first GET, before run) a
  // failure to connect throws and the stack is flushed here; inside a loop callback the
  // failure ends this GET and the loop drains the stack afterwards.
  void start(bool outside_loop) {
    request_ = http_get_request(url_);
    // With --tfo the request is handed over with the connect (RFC 7413: it rides on
    // the SYN when a cookie for the server is cached, else it follows the handshake).
    const auto& opts = host_.stack().tcp().config().defaults;
    auto s = opts.tfo ? api::TcpStream::connect(host_.stack(), url_.host, url_.port, host_.now(),
                                                opts, as_bytes(std::string_view(request_)))
                      : api::TcpStream::connect(host_.stack(), url_.host, url_.port, host_.now());
    if (s && opts.tfo) sent_ = request_.size();
    if (!s) {
      auto msg = fmt::format("{}: cannot connect to {}:{}: {}", label_, url_.host.to_uri_string(),
                             url_.port, api::to_string(s.error()));
      if (outside_loop) throw std::runtime_error(msg);
      return fail(msg, host_.now());
    }
    stream_.emplace(std::move(*s));
    progress_.watch(*stream_, host_.loop());
    if (outside_loop) host_.loop().flush(host_.now());
  }

  void on_event(const tcp::Event& e, Instant now) {
    if (!stream_ || e.conn != stream_->id() || finished_) return;
    switch (e.kind) {
      case tcp::EventKind::Error:
        fail(connected_ ? fmt::format("{}: connection {}", label_, tcp::to_string(e.error))
                        : fmt::format("{}: connect to {}:{}: {}", label_, url_.host.to_uri_string(),
                                      url_.port, api::to_string(api::to_connect_error(e.error))),
             now);
        return;
      case tcp::EventKind::Closed:
        fail(label_ + ": connection closed before the end of the response", now);
        return;
      case tcp::EventKind::Connected:
        connected_ = true;
        [[fallthrough]];
      default:
        pump(now);
    }
  }

  void on_shutdown(Instant now) {
    if (stream_ && stream_->is_open()) (void)stream_->close(now);
    if (!finished_) {
      failed_ = true;  // interrupted: no complete body
      finished_ = true;
    }
  }
  bool done() const {
    if (!stream_) return true;
    auto s = stream_->state();
    return !s || *s == tcp::State::TimeWait || *s == tcp::State::Closed;
  }
  // A complete 2xx response (a non-2xx one, an error page, is not what was asked for).
  bool succeeded() const { return finished_ && !failed_; }

 private:
  void on_body(Bytes b) {
    if (!out_.write(b)) write_failed_ = true;
    progress_.add(b.size(), host_.now());
  }

  void pump(Instant now) {
    if (!connected_ || finished_) return;
    while (sent_ < request_.size()) {
      auto n = stream_->send(as_bytes(std::string_view(request_).substr(sent_)), now);
      if (!n || *n == 0) break;
      sent_ += *n;
    }
    std::array<std::byte, 64 * 1024> buf;
    for (int i = 0; i < 256; ++i) {
      auto n = stream_->receive(buf, now);
      if (!n) break;
      if (*n == 0) {
        if (!parser_.finish()) return fail("get: " + parser_.error(), now);
        break;
      }
      if (!parser_.feed(Bytes(buf).first(*n))) return fail("get: " + parser_.error(), now);
      if (write_failed_) return fail("get: writing the body failed", now);
      if (parser_.complete()) break;
    }
    if (parser_.complete()) {
      finished_ = true;
      (void)stream_->close(now);
      progress_.done(now);
      if (parser_.status() < 200 || parser_.status() > 299) {
        fmt::print(stderr, "synack: {}: server answered {}\n", label_, parser_.status());
        failed_ = true;
      }
      finished_cb_(now);
    }
  }

  void fail(const std::string& msg, Instant now) {
    if (finished_) return;
    progress_.done(now);
    fmt::print(stderr, "synack: {}\n", msg);
    failed_ = true;
    finished_ = true;
    if (stream_ && stream_->is_open()) (void)stream_->abort(now);
    finished_cb_(now);
  }

  NetHost& host_;
  services::HttpUrl url_;
  std::string label_;
  Output& out_;
  Progress progress_;
  services::HttpResponseParser parser_;
  std::optional<api::TcpStream> stream_;
  std::string request_;
  Finished finished_cb_;
  std::size_t sent_ = 0;
  bool connected_ = false, finished_ = false, failed_ = false, write_failed_ = false;
};

// The GETs of one run, one after another: the next starts when the previous one
// succeeded (its connection closes meanwhile); the first failure, the last GET or a
// signal begins the loop's shutdown, which waits for every connection to finish.
class Gets {
 public:
  Gets(NetHost& host, std::vector<services::HttpUrl> urls, const std::vector<std::string>& texts,
       Output& out, bool progress)
      : host_(host), urls_(std::move(urls)), texts_(texts), out_(out), progress_(progress) {}

  void start() { start_next(true); }
  void on_event(const tcp::Event& e, Instant now) {
    for (auto& g : gets_) g->on_event(e, now);
  }
  void on_shutdown(Instant now) {
    stopping_ = true;
    if (next_timer_) host_.loop().cancel(*next_timer_);
    next_timer_.reset();
    for (auto& g : gets_) g->on_shutdown(now);
  }
  bool done() const {
    if (next_timer_) return false;
    for (const auto& g : gets_) {
      if (!g->done()) return false;
    }
    return true;
  }
  // 0 when every URL was fetched with a 2xx answer and the bodies were written.
  int exit_code() {
    if (gets_.size() < urls_.size()) return kExitRuntime;
    for (const auto& g : gets_) {
      if (!g->succeeded()) return kExitRuntime;
    }
    if (!out_.commit()) {
      fmt::print(stderr, "synack: get: writing the body failed\n");
      return kExitRuntime;
    }
    return kExitOk;
  }

 private:
  void start_next(bool outside_loop) {
    const std::size_t i = gets_.size();
    auto label = urls_.size() > 1 ? "get " + texts_[i] : std::string("get");
    gets_.push_back(std::make_unique<Get>(host_, urls_[i], std::move(label), out_, progress_,
                                          [this](Instant now) { on_finished(now); }));
    gets_.back()->start(outside_loop);
  }
  void on_finished(Instant now) {
    if (stopping_) return;
    if (gets_.back()->succeeded() && gets_.size() < urls_.size()) {
      // From a timer, not from inside the event that ended this GET: the new
      // connection's first events then reach a complete list of GETs.
      next_timer_ = host_.loop().call_at(now, [this](Instant) {
        next_timer_.reset();
        start_next(false);
      });
      return;
    }
    stopping_ = true;
    host_.loop().request_shutdown(now);
  }

  NetHost& host_;
  std::vector<services::HttpUrl> urls_;
  const std::vector<std::string>& texts_;
  Output& out_;
  bool progress_;
  std::vector<std::unique_ptr<Get>> gets_;
  std::optional<link::EventLoop::TimerId> next_timer_;
  bool stopping_ = false;
};

}  // namespace

int run_get(const GetArgs& a) {
  // Every URL is checked before the TAP opens: bad input must not touch the network.
  std::vector<services::HttpUrl> urls;
  for (const auto& text : a.urls) {
    auto url = services::parse_http_url(text);
    if (!url) throw UsageError("get: " + url.error());
    urls.push_back(*url);
  }
  NetHost host(a.common, a.tap);
  // An IPv6 URL needs a source address that has passed DAD (about a second after --ip6).
  for (const auto& url : urls) {
    if (url.host.is_v6() && !host.wait_ipv6_source(url.host.v6(), std::chrono::seconds(5))) {
      throw std::runtime_error(fmt::format("get: no IPv6 address to reach {} from (give --ip6)",
                                           url.host.to_uri_string()));
    }
  }
  Output out(a.out);
  Gets get(host, std::move(urls), a.urls, out, a.progress);
  host.loop().on_event([&](const stack::Event& e, Instant now) {
    if (const auto* t = std::get_if<tcp::Event>(&e)) get.on_event(*t, now);
  });
  host.loop().on_shutdown([&](Instant now) { get.on_shutdown(now); });
  host.loop().set_done([&] { return get.done(); });
  get.start();
  host.run();
  const int rc = get.exit_code();
  host.report("");
  return rc;
}

}  // namespace synack::cli

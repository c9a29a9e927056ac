// synack get: one HTTP/1.1 GET; the body to stdout or to -o FILE (written to a
// temporary name and renamed at the end, so a failure leaves no partial file);
// exit 0 on a 2xx answer, 1 otherwise.
#include <fmt/core.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <variant>

#include "net_host.hpp"
#include "net_run.hpp"
#include "synack/api/http.hpp"
#include "synack/api/socket.hpp"

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

class Get {
 public:
  Get(NetHost& host, const api::HttpUrl& url, Output& out, bool progress)
      : host_(host),
        url_(url),
        out_(out),
        progress_(progress, host.now()),
        parser_([this](Bytes b) { on_body(b); }) {}

  void start() {
    request_ = http_get_request(url_);
    // With --tfo the request is handed over with the connect (RFC 7413: it rides on
    // the SYN when a cookie for the server is cached, else it follows the handshake).
    const auto& opts = host_.stack().tcp().config().defaults;
    auto s = opts.tfo ? api::TcpStream::connect(host_.stack(), url_.host, url_.port, host_.now(),
                                                opts, as_bytes(std::string_view(request_)))
                      : api::TcpStream::connect(host_.stack(), url_.host, url_.port, host_.now());
    if (s && opts.tfo) sent_ = request_.size();
    if (!s) {
      throw std::runtime_error(fmt::format("get: cannot connect to {}:{}: {}",
                                           url_.host.to_string(), url_.port,
                                           api::to_string(s.error())));
    }
    stream_.emplace(std::move(*s));
    host_.loop().flush(host_.now());
  }

  void on_event(const tcp::Event& e, Instant now) {
    if (!stream_ || e.conn != stream_->id() || finished_) return;
    switch (e.kind) {
      case tcp::EventKind::Error:
        fail(connected_ ? fmt::format("get: connection {}", tcp::to_string(e.error))
                        : fmt::format("get: connect to {}:{}: {}", url_.host.to_string(), url_.port,
                                      api::to_string(api::to_connect_error(e.error))),
             now);
        return;
      case tcp::EventKind::Closed:
        fail("get: connection closed before the end of the response", now);
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
  int exit_code() {
    if (failed_) return kExitRuntime;
    progress_.done(host_.now());
    // Not a 2xx: the body (an error page) is not what was asked for; no file.
    if (parser_.status() < 200 || parser_.status() > 299) {
      fmt::print(stderr, "synack: get: server answered {}\n", parser_.status());
      return kExitRuntime;
    }
    if (!out_.commit()) {
      fmt::print(stderr, "synack: get: writing the body failed\n");
      return kExitRuntime;
    }
    return kExitOk;
  }

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
      host_.loop().request_shutdown(now);
    }
  }

  void fail(const std::string& msg, Instant now) {
    if (finished_) return;
    fmt::print(stderr, "synack: {}\n", msg);
    failed_ = true;
    finished_ = true;
    if (stream_ && stream_->is_open()) (void)stream_->abort(now);
    host_.loop().request_shutdown(now);
  }

  NetHost& host_;
  api::HttpUrl url_;
  Output& out_;
  Progress progress_;
  api::HttpResponseParser parser_;
  std::optional<api::TcpStream> stream_;
  std::string request_;
  std::size_t sent_ = 0;
  bool connected_ = false, finished_ = false, failed_ = false, write_failed_ = false;
};

}  // namespace

int run_get(const GetArgs& a) {
  auto url = api::parse_http_url(a.url);
  if (!url) throw UsageError("get: " + url.error());
  NetHost host(a.common, a.tap);
  Output out(a.out);
  Get get(host, *url, out, a.progress);
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

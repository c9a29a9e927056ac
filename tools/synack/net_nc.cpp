// synack nc: stdin -> TCP connection -> stdout (client, or -l for one accepted
// connection). On stdin EOF the write side is shut down (FIN) and reading goes
// on until the peer closes; then the connection is closed and nc exits 0.
#include <fcntl.h>
#include <fmt/core.h>
#include <signal.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <stdexcept>
#include <variant>

#include "net_host.hpp"
#include "net_run.hpp"
#include "synack/api/socket.hpp"

namespace synack::cli {
namespace {

constexpr std::size_t kInCap = 256 * 1024;  // stdin bytes buffered ahead of TCP

bool write_all(int fd, Bytes b) {
  while (!b.empty()) {
    const ssize_t n = ::write(fd, b.data(), b.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    b = b.subspan(static_cast<std::size_t>(n));
  }
  return true;
}

class Nc {
 public:
  Nc(NetHost& host, bool progress) : host_(host), progress_(progress, host.now()) {}

  void start_client(const wire::IpAddr& addr, std::uint16_t port) {
    auto s = api::TcpStream::connect(host_.stack(), addr, port, host_.now());
    if (!s) {
      throw std::runtime_error(fmt::format("nc: cannot connect to {}:{}: {}", addr.to_uri_string(),
                                           port, api::to_string(s.error())));
    }
    stream_.emplace(std::move(*s));
    progress_.watch(*stream_, host_.loop());
    host_.loop().flush(host_.now());
  }
  void start_listen(std::uint16_t port) {
    auto l = api::TcpListener::listen(host_.stack(), port, 1);
    if (!l) throw std::runtime_error(fmt::format("nc: cannot listen on port {}", port));
    listener_.emplace(std::move(*l));
  }

  void on_event(const tcp::Event& e, Instant now) {
    if (e.kind == tcp::EventKind::AcceptReady && listener_ && !stream_) {
      auto s = listener_->accept(now);
      if (!s) return;
      stream_.emplace(std::move(*s));
      progress_.watch(*stream_, host_.loop());
      (void)listener_->close(now);
      on_connected(now);
      return;
    }
    if (!stream_ || e.conn != stream_->id()) return;
    switch (e.kind) {
      case tcp::EventKind::Connected:
        on_connected(now);
        return;
      case tcp::EventKind::Error:
        fail(fmt::format("nc: {}",
                         connected_ ? fmt::format("connection {}", tcp::to_string(e.error))
                                    : fmt::format("connect: {}",
                                                  api::to_string(api::to_connect_error(e.error)))),
             now);
        return;
      case tcp::EventKind::Closed:
        if (!finished_) fail("nc: connection closed", now);
        return;
      default:
        pump(now);
    }
  }

  void on_shutdown(Instant now) {
    if (stream_ && stream_->is_open()) (void)stream_->close(now);
    if (listener_) (void)listener_->close(now);
  }
  bool done() const {
    if (!stream_) return true;
    auto s = stream_->state();
    return !s || *s == tcp::State::TimeWait || *s == tcp::State::Closed;
  }
  int exit_code() const { return failed_ ? kExitRuntime : kExitOk; }
  void finish_progress(Instant now) { progress_.done(now); }

 private:
  void on_connected(Instant now) {
    connected_ = true;
    // stdin: watched with epoll when it can be (pipe, tty, socket); a regular
    // file or /dev/null cannot be, and never blocks: it is read as TCP drains.
    const int fl = ::fcntl(0, F_GETFL);
    if (fl >= 0) ::fcntl(0, F_SETFL, fl | O_NONBLOCK);
    stdin_pollable_ =
        host_.loop().add_fd(0, EPOLLIN, [this](std::uint32_t, Instant t) { pump(t); }).ok();
    watching_ = stdin_pollable_;
    pump(now);
  }

  void read_stdin() {
    while (!stdin_eof_ && in_.size() - in_off_ < kInCap) {
      std::array<std::byte, 64 * 1024> buf;
      const ssize_t n = ::read(0, buf.data(), buf.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) return;
      if (n <= 0) {
        stdin_eof_ = true;
        if (watching_) host_.loop().remove_fd(0);
        watching_ = false;
        return;
      }
      in_.insert(in_.end(), buf.begin(), buf.begin() + n);
    }
  }

  void pump(Instant now) {
    if (!stream_ || !stream_->is_open() || finished_) return;
    for (int round = 0; round < 64; ++round) {
      bool progress = false;
      read_stdin();
      while (in_off_ < in_.size()) {
        auto n = stream_->send(Bytes(in_).subspan(in_off_), now);
        if (!n || *n == 0) break;
        in_off_ += *n;
        progress = true;
      }
      if (in_off_ == in_.size()) {
        in_.clear();
        in_off_ = 0;
      }
      if (stdin_eof_ && in_.empty() && !fin_sent_) {
        fin_sent_ = true;
        (void)stream_->shutdown_write(now);
      }
      std::array<std::byte, 64 * 1024> buf;
      while (!peer_eof_) {
        auto n = stream_->receive(buf, now);
        if (!n) break;
        progress = true;
        if (*n == 0) {
          peer_eof_ = true;
          break;
        }
        if (!write_all(1, Bytes(buf).first(*n))) {
          fail("nc: writing stdout failed", now);
          return;
        }
        progress_.add(*n, now);
      }
      if (!progress) break;
    }
    // Pause stdin while the buffer is full; resume when TCP took some.
    if (stdin_pollable_ && !stdin_eof_) {
      const bool want = in_.size() - in_off_ < kInCap;
      if (want && !watching_) {
        watching_ =
            host_.loop().add_fd(0, EPOLLIN, [this](std::uint32_t, Instant t) { pump(t); }).ok();
      } else if (!want && watching_) {
        host_.loop().remove_fd(0);
        watching_ = false;
      }
    }
    if (peer_eof_ && fin_sent_) {
      finished_ = true;
      host_.loop().request_shutdown(now);
    }
  }

  void fail(const std::string& msg, Instant now) {
    if (failed_ || finished_) return;
    fmt::print(stderr, "synack: {}\n", msg);
    failed_ = true;
    finished_ = true;
    if (watching_) host_.loop().remove_fd(0);
    watching_ = false;
    host_.loop().request_shutdown(now);
  }

  NetHost& host_;
  Progress progress_;
  std::optional<api::TcpListener> listener_;
  std::optional<api::TcpStream> stream_;
  ByteVec in_;
  std::size_t in_off_ = 0;
  bool connected_ = false, stdin_pollable_ = false, watching_ = false;
  bool stdin_eof_ = false, fin_sent_ = false, peer_eof_ = false;
  bool finished_ = false, failed_ = false;
};

}  // namespace

int run_nc(const NcArgs& a) {
  std::optional<wire::IpAddr> addr;
  std::uint16_t port = 0;
  if (a.listen_port == 0) {
    if (a.host.empty()) {
      throw UsageError("nc: missing HOST PORT to connect to, or -l PORT to listen on");
    }
    if (a.port.empty()) {
      throw UsageError(fmt::format("nc: missing PORT after HOST '{}' (give HOST PORT)", a.host));
    }
    // An IPv6 address may come in brackets, as in a URL: [fd77::1].
    std::string_view host = a.host;
    if (host.size() > 2 && host.front() == '[' && host.back() == ']')
      host = host.substr(1, host.size() - 2);
    addr = wire::IpAddr::parse(host);
    if (!addr || addr->is_unspecified() || addr->is_multicast() || addr->is_broadcast()) {
      throw UsageError(fmt::format("nc: HOST '{}' is not a unicast IPv4 or IPv6 address", a.host));
    }
    port = parse_port_arg("nc: PORT", a.port);
  }
  ::signal(SIGPIPE, SIG_IGN);
  NetHost host(a.common, a.tap);
  Nc nc(host, a.progress);
  host.loop().on_event([&](const stack::Event& e, Instant now) {
    if (const auto* t = std::get_if<tcp::Event>(&e)) nc.on_event(*t, now);
  });
  host.loop().on_shutdown([&](Instant now) { nc.on_shutdown(now); });
  host.loop().set_done([&] { return nc.done(); });
  if (addr) {
    if (addr->is_v6() && !host.wait_ipv6_source(addr->v6(), std::chrono::seconds(5))) {
      throw std::runtime_error(
          fmt::format("nc: no IPv6 address to reach {} from (give --ip6)", addr->to_uri_string()));
    }
    nc.start_client(*addr, port);
  } else {
    nc.start_listen(static_cast<std::uint16_t>(a.listen_port));
  }
  host.run();
  nc.finish_progress(host.now());
  host.report("");
  return nc.exit_code();
}

}  // namespace synack::cli

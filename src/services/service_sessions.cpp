// echo, discard, chargen and daytime sessions, and the service spec parser.
#include <charconv>
#include <cstring>
#include <string>

#include "service_session.hpp"
#include "synack/services/services.hpp"

namespace synack::services {
namespace {

// RFC 862: "Once a connection is established any data received is sent back."
class EchoSession final : public ServiceSession {
 public:
  void on_data(Bytes in) override { buf_.insert(buf_.end(), in.begin(), in.end()); }
  std::size_t produce(MutBytes out) override {
    const std::size_t n = std::min(out.size(), buf_.size() - off_);
    if (n > 0) std::memcpy(out.data(), buf_.data() + off_, n);  // empty vector: data() may be null
    off_ += n;
    if (off_ == buf_.size()) {
      buf_.clear();
      off_ = 0;
    }
    return n;
  }
  bool wants_input() const override { return buf_.size() - off_ < kMaxQueued; }
  bool finished() const override { return peer_closed_ && off_ == buf_.size(); }

 private:
  static constexpr std::size_t kMaxQueued = 256 * 1024;
  ByteVec buf_;
  std::size_t off_ = 0;
};

// RFC 863: "Once a connection is established any data received is thrown away."
class DiscardSession final : public ServiceSession {
 public:
  void on_data(Bytes) override {}
  std::size_t produce(MutBytes) override { return 0; }
  bool finished() const override { return peer_closed_; }
};

// RFC 864: "Once a connection is established the server sends a stream of data.
// Any data received is thrown away. The server continues sending data until the
// calling user terminates the connection."
class ChargenSession final : public ServiceSession {
 public:
  void on_data(Bytes) override {}
  std::size_t produce(MutBytes out) override {
    if (peer_closed_) return 0;  // the caller closed: stop generating
    const std::string& p = period();
    std::size_t n = 0;
    while (n < out.size()) {
      const std::size_t k = std::min(out.size() - n, p.size() - off_);
      std::memcpy(out.data() + n, p.data() + off_, k);
      n += k;
      off_ = (off_ + k) % p.size();
    }
    return n;
  }
  bool finished() const override { return peer_closed_; }

 private:
  // Line n starts with character n mod 95, so the stream repeats every 95 lines: one
  // period built once is copied from, rather than each 74-byte line built as it is
  // needed (that was most of a sender's time once TCP sent 64 KB super-segments).
  static const std::string& period() {
    static const std::string p = [] {
      std::string s;
      for (std::uint64_t n = 0; n < 95; ++n) s += chargen_line(n);
      return s;
    }();
    return p;
  }
  std::size_t off_ = 0;  // where the stream is, within the period
};

// RFC 867: "Once a connection is established the current date and time is sent
// out the connection as a ascii character string (and any data received is
// thrown away). The service closes the connection after sending the quote."
class DaytimeSession final : public ServiceSession {
 public:
  explicit DaytimeSession(std::time_t now) : text_(daytime_text(now)) {}
  void on_data(Bytes) override {}
  std::size_t produce(MutBytes out) override {
    const std::size_t n = std::min(out.size(), text_.size() - off_);
    std::memcpy(out.data(), text_.data() + off_, n);
    off_ += n;
    return n;
  }
  bool finished() const override { return off_ == text_.size(); }

 private:
  std::string text_;
  std::size_t off_ = 0;
};

std::optional<std::uint16_t> parse_port(std::string_view s) {
  unsigned v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || s.size() > 5 || ec != std::errc{} || p != s.data() + s.size() || v < 1 ||
      v > 65535) {
    return std::nullopt;
  }
  return static_cast<std::uint16_t>(v);
}

}  // namespace

std::unique_ptr<ServiceSession> make_echo_session() {
  return std::make_unique<EchoSession>();
}
std::unique_ptr<ServiceSession> make_discard_session() {
  return std::make_unique<DiscardSession>();
}
std::unique_ptr<ServiceSession> make_chargen_session() {
  return std::make_unique<ChargenSession>();
}
std::unique_ptr<ServiceSession> make_daytime_session(std::time_t now) {
  return std::make_unique<DaytimeSession>(now);
}

std::string_view to_string(ServiceKind k) {
  switch (k) {
    case ServiceKind::Echo:
      return "echo";
    case ServiceKind::Discard:
      return "discard";
    case ServiceKind::Chargen:
      return "chargen";
    case ServiceKind::Daytime:
      return "daytime";
    case ServiceKind::Http:
      return "http";
  }
  return "?";
}

Result<ServiceSpec, std::string> parse_service(std::string_view text) {
  const auto colon = text.find(':');
  const std::string_view name = text.substr(0, colon);
  ServiceSpec spec;
  bool known = false;
  for (auto k : {ServiceKind::Echo, ServiceKind::Discard, ServiceKind::Chargen,
                 ServiceKind::Daytime, ServiceKind::Http}) {
    if (name == to_string(k)) {
      spec.kind = k;
      known = true;
    }
  }
  const std::string quoted = "service '" + std::string(text) + "'";
  if (!known) {
    return Err{"unknown " + quoted + " (expected echo|discard|chargen|daytime|http:PORT[:DIR])"};
  }
  if (colon == std::string_view::npos) return Err{quoted + " needs :PORT"};
  std::string_view rest = text.substr(colon + 1);
  const auto colon2 = rest.find(':');
  const auto port = parse_port(rest.substr(0, colon2));
  if (!port) return Err{quoted + ": port must be 1..65535"};
  spec.port = *port;
  if (colon2 != std::string_view::npos) {
    if (spec.kind != ServiceKind::Http) return Err{quoted + ": only http takes a DIR"};
    spec.dir = std::string(rest.substr(colon2 + 1));
    if (spec.dir.empty()) return Err{quoted + ": empty DIR"};
  }
  return spec;
}

std::string daytime_text(std::time_t t) {
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[96];
  const std::size_t n = std::strftime(buf, sizeof buf, "%A, %B %d, %Y %H:%M:%S-UTC\r\n", &tm);
  return std::string(buf, n);
}

std::string chargen_line(std::uint64_t n) {
  // 95 printable characters (32..126); line n starts with character n mod 95.
  std::string line(74, ' ');
  for (std::size_t i = 0; i < 72; ++i) line[i] = static_cast<char>(32 + (n + i) % 95);
  line[72] = '\r';
  line[73] = '\n';
  return line;
}

}  // namespace synack::services

// The http service: HTTP/1.1 (RFC 9112) GET and HEAD of static files, keep-alive,
// pipelined requests answered in order. Requests are parsed by Debian's
// http-parser (nodejs/http-parser), not by hand.
#include <fcntl.h>
#include <http_parser.h>
#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <string>

#include "service_session.hpp"

namespace synack::services {
namespace {

constexpr std::size_t kMaxUrl = 8192;
constexpr std::size_t kMaxQueuedResponses = 64;
constexpr std::uint64_t kMaxBuiltinBytes = 1ull << 40;  // /bytes/N: at most 1 TiB

constexpr std::string_view kIndexPage =
    "<!DOCTYPE html>\n<html><head><title>synack</title></head><body>\n"
    "<h1>synack</h1>\n<p>This page was served by a user-space TCP/IP stack.</p>\n"
    "<p><a href=\"/bytes/1024\">/bytes/N</a> returns N bytes.</p>\n</body></html>\n";

std::string_view mime_type(std::string_view path) {
  const auto dot = path.rfind('.');
  const auto slash = path.rfind('/');
  if (dot == std::string_view::npos || (slash != std::string_view::npos && dot < slash)) {
    return "application/octet-stream";
  }
  const std::string_view ext = path.substr(dot + 1);
  struct Entry {
    std::string_view ext, type;
  };
  static constexpr Entry kTypes[] = {{"html", "text/html; charset=utf-8"},
                                     {"htm", "text/html; charset=utf-8"},
                                     {"txt", "text/plain; charset=utf-8"},
                                     {"css", "text/css"},
                                     {"js", "text/javascript"},
                                     {"json", "application/json"},
                                     {"png", "image/png"},
                                     {"jpg", "image/jpeg"},
                                     {"jpeg", "image/jpeg"},
                                     {"gif", "image/gif"},
                                     {"svg", "image/svg+xml"},
                                     {"pdf", "application/pdf"},
                                     {"pcapng", "application/octet-stream"}};
  for (const auto& e : kTypes) {
    if (e.ext == ext) return e.type;
  }
  return "application/octet-stream";
}

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The decoded path of a request target, or nullopt if it is malformed or tries
// to climb out of the root ("..", NUL, not starting with '/').
std::optional<std::string> decode_path(std::string_view target) {
  target = target.substr(0, target.find_first_of("?#"));
  if (target.empty() || target[0] != '/') return std::nullopt;
  std::string out;
  for (std::size_t i = 0; i < target.size(); ++i) {
    if (target[i] != '%') {
      out += target[i];
      continue;
    }
    if (i + 2 >= target.size() || hex(target[i + 1]) < 0 || hex(target[i + 2]) < 0) {
      return std::nullopt;
    }
    out += static_cast<char>(hex(target[i + 1]) * 16 + hex(target[i + 2]));
    i += 2;
  }
  if (out.find('\0') != std::string::npos) return std::nullopt;
  for (std::size_t pos = 0; pos <= out.size();) {
    const auto end = std::min(out.find('/', pos), out.size());
    if (out.substr(pos, end - pos) == "..") return std::nullopt;
    pos = end + 1;
  }
  return out;
}

struct Response {
  std::string head;
  enum class Body : std::uint8_t { None, Inline, File, Pattern } body = Body::None;
  std::string text;          // Inline body, or the File's path
  std::uint64_t length = 0;  // File/Pattern body length
  bool close_after = false;
};

class HttpSession final : public ServiceSession {
 public:
  explicit HttpSession(std::string root) : root_(std::move(root)) {
    http_parser_init(&parser_, HTTP_REQUEST);
    parser_.data = this;
    http_parser_settings_init(&settings_);
    settings_.on_message_begin = [](http_parser* p) {
      self(p)->url_.clear();
      return 0;
    };
    settings_.on_url = [](http_parser* p, const char* at, std::size_t n) {
      auto* s = self(p);
      if (s->url_.size() + n > kMaxUrl) return 1;
      s->url_.append(at, n);
      return 0;
    };
    settings_.on_message_complete = [](http_parser* p) {
      self(p)->on_request();
      return 0;
    };
  }
  ~HttpSession() override { close_file(); }

  void on_data(Bytes in) override {
    if (closing_) return;  // after "Connection: close" or an error: ignore the rest
    const auto* data = reinterpret_cast<const char*>(in.data());
    const std::size_t n = http_parser_execute(&parser_, &settings_, data, in.size());
    if (HTTP_PARSER_ERRNO(&parser_) != HPE_OK || n != in.size()) {
      queue_error(400, "Bad Request", true);
    }
  }
  void on_peer_closed() override {
    peer_closed_ = true;
    // A request cut off by the FIN gets no answer; complete ones still do.
    (void)http_parser_execute(&parser_, &settings_, nullptr, 0);
  }
  std::size_t produce(MutBytes out) override;
  bool wants_input() const override { return !closing_ && responses_.size() < kMaxQueuedResponses; }
  bool finished() const override {
    return responses_.empty() && (peer_closed_ || closing_ || failed_);
  }
  bool failed() const override { return failed_; }

 private:
  static HttpSession* self(http_parser* p) { return static_cast<HttpSession*>(p->data); }

  void on_request();
  void queue(Response r);
  void queue_error(int code, std::string_view reason, bool close);
  std::string head(int code, std::string_view reason, std::uint64_t length, std::string_view type,
                   bool close, std::string_view extra = {}) const;
  bool serve_builtin(const std::string& path, bool is_head, bool close);
  bool serve_file(const std::string& path, bool is_head, bool close);
  std::size_t produce_body(Response& r, MutBytes out);
  void close_file() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  std::string root_;
  http_parser parser_{};
  http_parser_settings settings_{};
  std::string url_;
  std::deque<Response> responses_;
  bool closing_ = false;  // no more requests are read
  bool failed_ = false;
  // Progress through responses_.front().
  std::size_t head_off_ = 0;
  std::uint64_t body_off_ = 0;
  int fd_ = -1;  // the front File response, opened when its body starts
};

std::string HttpSession::head(int code, std::string_view reason, std::uint64_t length,
                              std::string_view type, bool close, std::string_view extra) const {
  std::string h = "HTTP/1.1 " + std::to_string(code) + " " + std::string(reason) +
                  "\r\nServer: synack\r\nContent-Length: " + std::to_string(length) +
                  "\r\nContent-Type: " + std::string(type) + "\r\n";
  h += extra;
  if (close) {
    h += "Connection: close\r\n";
  } else if (parser_.http_major == 1 && parser_.http_minor == 0) {
    h += "Connection: keep-alive\r\n";  // HTTP/1.0 asked for it explicitly
  }
  return h + "\r\n";
}

void HttpSession::queue(Response r) {
  if (r.close_after) closing_ = true;
  responses_.push_back(std::move(r));
}

void HttpSession::queue_error(int code, std::string_view reason, bool close) {
  ++errors;
  std::string body = std::to_string(code) + " " + std::string(reason) + "\n";
  std::string extra = code == 405 ? "Allow: GET, HEAD\r\n" : "";
  Response r;
  r.head = head(code, reason, body.size(), "text/plain; charset=utf-8", close, extra);
  r.body = Response::Body::Inline;
  r.text = std::move(body);
  r.close_after = close;
  queue(std::move(r));
}

void HttpSession::on_request() {
  ++requests;
  const bool close = http_should_keep_alive(&parser_) == 0;
  const auto method = static_cast<http_method>(parser_.method);
  if (method != HTTP_GET && method != HTTP_HEAD) {
    queue_error(405, "Method Not Allowed", close);
    return;
  }
  const bool is_head = method == HTTP_HEAD;
  auto path = decode_path(url_);
  if (!path) {
    queue_error(400, "Bad Request", close);
    return;
  }
  const bool found =
      root_.empty() ? serve_builtin(*path, is_head, close) : serve_file(*path, is_head, close);
  if (!found) queue_error(404, "Not Found", close);
}

bool HttpSession::serve_builtin(const std::string& path, bool is_head, bool close) {
  Response r;
  r.close_after = close;
  if (path == "/" || path == "/index.html") {
    r.head = head(200, "OK", kIndexPage.size(), "text/html; charset=utf-8", close);
    r.body = Response::Body::Inline;
    r.text = std::string(kIndexPage);
  } else if (path.rfind("/bytes/", 0) == 0) {
    const std::string_view n = std::string_view(path).substr(7);
    std::uint64_t len = 0;
    auto [p, ec] = std::from_chars(n.data(), n.data() + n.size(), len);
    if (n.empty() || ec != std::errc{} || p != n.data() + n.size() || len > kMaxBuiltinBytes) {
      return false;
    }
    r.head = head(200, "OK", len, "application/octet-stream", close);
    r.body = Response::Body::Pattern;
    r.length = len;
  } else {
    return false;
  }
  if (is_head) r.body = Response::Body::None;
  queue(std::move(r));
  return true;
}

bool HttpSession::serve_file(const std::string& path, bool is_head, bool close) {
  // Resolve symlinks and check the result is still under the root.
  std::string full = root_ + path;
  char real[PATH_MAX];
  if (::realpath(full.c_str(), real) == nullptr) return false;
  std::string resolved = real;
  const auto under_root = [&](const std::string& p) {
    return p == root_ || (p.size() > root_.size() && p.compare(0, root_.size(), root_) == 0 &&
                          (root_ == "/" || p[root_.size()] == '/'));
  };
  if (!under_root(resolved)) return false;
  struct stat st {};
  if (::stat(resolved.c_str(), &st) != 0) return false;
  if (S_ISDIR(st.st_mode)) {
    const std::string index = resolved + "/index.html";
    if (::realpath(index.c_str(), real) == nullptr) return false;
    resolved = real;
    if (!under_root(resolved) || ::stat(resolved.c_str(), &st) != 0) return false;
  }
  if (!S_ISREG(st.st_mode)) return false;
  Response r;
  r.close_after = close;
  r.head = head(200, "OK", static_cast<std::uint64_t>(st.st_size), mime_type(resolved), close);
  r.body = is_head ? Response::Body::None : Response::Body::File;
  r.text = resolved;
  r.length = static_cast<std::uint64_t>(st.st_size);
  queue(std::move(r));
  return true;
}

std::size_t HttpSession::produce_body(Response& r, MutBytes out) {
  const std::uint64_t left =
      r.body == Response::Body::Inline ? r.text.size() - body_off_ : r.length - body_off_;
  const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(out.size(), left));
  switch (r.body) {
    case Response::Body::None:
      return 0;
    case Response::Body::Inline:
      if (n > 0) std::memcpy(out.data(), r.text.data() + body_off_, n);
      break;
    case Response::Body::Pattern:
      for (std::size_t i = 0; i < n; ++i) {
        out[i] = static_cast<std::byte>('a' + (body_off_ + i) % 26);
      }
      break;
    case Response::Body::File: {
      if (fd_ < 0) fd_ = ::open(r.text.c_str(), O_RDONLY | O_CLOEXEC);
      const ssize_t got = fd_ < 0 ? -1 : ::pread(fd_, out.data(), n, static_cast<off_t>(body_off_));
      if (n > 0 && got <= 0) {
        failed_ = true;  // the file vanished or shrank after Content-Length went out
        return 0;
      }
      body_off_ += static_cast<std::uint64_t>(got);
      return static_cast<std::size_t>(got);
    }
  }
  body_off_ += n;
  return n;
}

std::size_t HttpSession::produce(MutBytes out) {
  std::size_t n = 0;
  while (n < out.size() && !responses_.empty() && !failed_) {
    Response& r = responses_.front();
    if (head_off_ < r.head.size()) {
      const std::size_t k = std::min(out.size() - n, r.head.size() - head_off_);
      std::memcpy(out.data() + n, r.head.data() + head_off_, k);
      head_off_ += k;
      n += k;
      continue;
    }
    const std::uint64_t total = r.body == Response::Body::None     ? 0
                                : r.body == Response::Body::Inline ? r.text.size()
                                                                   : r.length;
    if (body_off_ < total) {
      const std::size_t k = produce_body(r, out.subspan(n));
      if (k == 0) break;
      n += k;
      continue;
    }
    close_file();
    const bool close = r.close_after;
    responses_.pop_front();
    head_off_ = 0;
    body_off_ = 0;
    if (close) responses_.clear();
  }
  return n;
}

}  // namespace

std::unique_ptr<ServiceSession> make_http_session(const std::string& root) {
  return std::make_unique<HttpSession>(root);
}

}  // namespace synack::services

// The `synack get` side of HTTP/1.1: URL parsing, the request, the response parser.
#include <http_parser.h>

#include <charconv>

#include "synack/api/http.hpp"

namespace synack::api {

Result<HttpUrl, std::string> parse_http_url(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  const std::string quoted = "'" + std::string(url) + "'";
  if (url.substr(0, kScheme.size()) != kScheme) return Err{quoted + " is not an http:// URL"};
  std::string_view rest = url.substr(kScheme.size());
  const auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  HttpUrl out;
  if (slash != std::string_view::npos) out.target = std::string(rest.substr(slash));
  if (out.target.find_first_of(" \r\n\t") != std::string::npos) {
    return Err{quoted + ": the path contains whitespace"};
  }
  const auto colon = authority.find(':');
  if (colon != std::string_view::npos) {
    const std::string_view p = authority.substr(colon + 1);
    unsigned v = 0;
    auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), v);
    if (p.empty() || ec != std::errc{} || end != p.data() + p.size() || v < 1 || v > 65535) {
      return Err{quoted + ": port must be 1..65535"};
    }
    out.port = static_cast<std::uint16_t>(v);
    authority = authority.substr(0, colon);
  }
  auto host = wire::Ipv4Addr::parse(authority);
  if (!host || host->is_unspecified() || host->is_multicast() || host->is_broadcast()) {
    return Err{quoted + ": HOST must be a unicast IPv4 address"};
  }
  out.host = *host;
  return out;
}

std::string http_get_request(const HttpUrl& url) {
  std::string host = url.host.to_string();
  if (url.port != 80) host += ":" + std::to_string(url.port);
  return "GET " + url.target + " HTTP/1.1\r\nHost: " + host +
         "\r\nUser-Agent: synack\r\nAccept: */*\r\nConnection: close\r\n\r\n";
}

struct HttpResponseParser::Impl {
  http_parser parser{};
  http_parser_settings settings{};
};

HttpResponseParser::HttpResponseParser(BodySink sink)
    : impl_(std::make_unique<Impl>()), sink_(std::move(sink)) {
  http_parser_init(&impl_->parser, HTTP_RESPONSE);
  impl_->parser.data = this;
  http_parser_settings_init(&impl_->settings);
  impl_->settings.on_headers_complete = [](http_parser* p) {
    static_cast<HttpResponseParser*>(p->data)->status_ = static_cast<int>(p->status_code);
    return 0;
  };
  impl_->settings.on_body = [](http_parser* p, const char* at, std::size_t n) {
    static_cast<HttpResponseParser*>(p->data)->sink_(
        Bytes(reinterpret_cast<const std::byte*>(at), n));
    return 0;
  };
  impl_->settings.on_message_complete = [](http_parser* p) {
    static_cast<HttpResponseParser*>(p->data)->complete_ = true;
    http_parser_pause(p, 1);  // one response per connection: ignore anything after it
    return 0;
  };
}

HttpResponseParser::~HttpResponseParser() = default;

bool HttpResponseParser::feed(Bytes data) {
  if (failed() || complete_) return !failed();
  const auto* p = reinterpret_cast<const char*>(data.data());
  const std::size_t n = http_parser_execute(&impl_->parser, &impl_->settings, p, data.size());
  const auto err = HTTP_PARSER_ERRNO(&impl_->parser);
  if (err == HPE_PAUSED && complete_) return true;
  if (err != HPE_OK || n != data.size()) {
    error_ = std::string("malformed HTTP response: ") + http_errno_description(err);
    return false;
  }
  return true;
}

bool HttpResponseParser::finish() {
  if (failed()) return false;
  if (!complete_) {
    (void)http_parser_execute(&impl_->parser, &impl_->settings, nullptr, 0);
    if (!complete_) error_ = "connection closed before the end of the response";
  }
  return complete_;
}

}  // namespace synack::api

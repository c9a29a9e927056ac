// The `synack get` side of HTTP/1.1: URL parsing, the request, the response parser.
#include <fmt/format.h>
#include <http_parser.h>

#include "synack/services/http.hpp"

namespace synack::services {

Result<HttpUrl, std::string> parse_http_url(std::string_view url) {
  // http-parser's own URL parser splits the URL (RFC 3986 syntax as it accepts it:
  // no whitespace, a numeric port up to 65535); what synack can use is checked after.
  constexpr std::string_view kScheme = "http://";
  // fmt, not "'" + std::string: GCC 12 at -O3 misreports such chains (-Wrestrict).
  const std::string quoted = fmt::format("'{}'", url);
  if (url.substr(0, kScheme.size()) != kScheme) return Err{quoted + " is not an http:// URL"};
  http_parser_url u;
  http_parser_url_init(&u);
  if (http_parser_parse_url(url.data(), url.size(), 0, &u) != 0) {
    if (url.find_first_of(" \r\n\t") != std::string_view::npos) {
      return Err{quoted + ": the URL contains whitespace"};
    }
    // The parser refuses ports past 65535 along with other malformed URLs.
    return Err{quoted + " is not a valid URL (http://HOST[:PORT]/PATH, port 1..65535)"};
  }
  auto field = [&](http_parser_url_fields f) {
    return (u.field_set & (1u << f)) ? url.substr(u.field_data[f].off, u.field_data[f].len)
                                     : std::string_view{};
  };
  if (u.field_set & (1u << UF_USERINFO)) return Err{quoted + ": user information is not supported"};
  HttpUrl out;
  if (u.field_set & (1u << UF_PORT)) {
    if (u.port == 0) return Err{quoted + ": port must be 1..65535"};
    out.port = u.port;
  }
  std::string_view path = field(UF_PATH);
  out.target = path.empty() ? "/" : std::string(path);
  if (u.field_set & (1u << UF_QUERY)) out.target += fmt::format("?{}", field(UF_QUERY));
  // HOST is an IPv4 address, or an IPv6 one in brackets (RFC 3986 §3.2.2); http-parser
  // hands over what is inside the brackets. A bare IPv6 address is not a URL's host.
  const std::string_view host_text = field(UF_HOST);
  const std::size_t host_at = u.field_data[UF_HOST].off;
  const bool bracketed = host_at > 0 && url[host_at - 1] == '[';
  std::optional<wire::IpAddr> host;
  if (bracketed) {
    if (auto v6 = wire::Ipv6Addr::parse(host_text)) host = wire::IpAddr(*v6);
  } else if (auto v4 = wire::Ipv4Addr::parse(host_text)) {
    if (!v4->is_broadcast()) host = wire::IpAddr(*v4);
  }
  if (!host || host->is_unspecified() || host->is_multicast()) {
    return Err{quoted + ": HOST must be a unicast IPv4 address or an IPv6 one in brackets"};
  }
  out.host = *host;
  return out;
}

std::string http_get_request(const HttpUrl& url) {
  std::string host = url.host.to_uri_string();
  if (url.port != 80) host += fmt::format(":{}", url.port);
  return fmt::format(
      "GET {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: synack\r\nAccept: */*\r\nConnection: "
      "close\r\n\r\n",
      url.target, host);
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

}  // namespace synack::services

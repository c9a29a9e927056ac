// HTTP/1.1 client pieces for `synack get`: the request line and headers, and a
// response parser (Debian's nodejs http-parser underneath) that hands the body
// on as it arrives, whatever the framing (Content-Length, chunked, or EOF).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "synack/base/bytes.hpp"
#include "synack/base/result.hpp"
#include "synack/wire/addr.hpp"

namespace synack::services {

struct HttpUrl {
  wire::IpAddr host;
  std::uint16_t port = 80;
  std::string target = "/";  // path and query, as sent in the request line
};
// http://A.B.C.D[:PORT][/PATH] or http://[IPV6][:PORT][/PATH]; the error is one line for a user.
Result<HttpUrl, std::string> parse_http_url(std::string_view url);
// "GET /x HTTP/1.1" with Host, and Connection: close (one request per run).
std::string http_get_request(const HttpUrl& url);

class HttpResponseParser {
 public:
  using BodySink = std::function<void(Bytes)>;
  explicit HttpResponseParser(BodySink sink);
  ~HttpResponseParser();
  HttpResponseParser(const HttpResponseParser&) = delete;
  HttpResponseParser& operator=(const HttpResponseParser&) = delete;

  // Bytes from the server; false once the response is malformed.
  bool feed(Bytes data);
  // The server closed: ends an EOF-delimited body. False if the response was cut short.
  bool finish();
  bool complete() const { return complete_; }
  bool failed() const { return !error_.empty(); }
  const std::string& error() const { return error_; }
  int status() const { return status_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  BodySink sink_;
  bool complete_ = false;
  int status_ = 0;
  std::string error_;
};

}  // namespace synack::services

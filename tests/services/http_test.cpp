// The http service (GET/HEAD, keep-alive, pipelining, errors, the document
// root's boundary) over two simulated stacks, and the client-side pieces of
// `synack get` (URL, request, response parser).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "service_rig.hpp"
#include "synack/services/http.hpp"
#include "synack/services/services.hpp"

namespace synack::services {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;
using test::ServiceRig;

// A document root in a fresh temporary directory, removed afterwards.
class HttpFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = fs::temp_directory_path() / ("synack-http-test-" + std::to_string(::getpid()));
    fs::remove_all(base_);
    fs::create_directories(base_ / "www" / "sub");
    write("www/index.html", "<p>home</p>\n");
    write("www/sub/a.txt", "alpha\n");
    big_.resize(200000);
    for (std::size_t i = 0; i < big_.size(); ++i) big_[i] = static_cast<char>((i * 7919) >> 3);
    write("www/big.bin", big_);
    write("secret.txt", "top secret\n");
    fs::create_symlink(base_ / "secret.txt", base_ / "www" / "link-out.txt");
    fs::create_symlink(base_ / "www" / "sub" / "a.txt", base_ / "www" / "link-in.txt");
    rig_.add("http:80:" + (base_ / "www").string());
    rig_.add("http:8080");
  }
  void TearDown() override { fs::remove_all(base_); }
  void write(const std::string& rel, const std::string& data) {
    std::ofstream(base_ / rel, std::ios::binary) << data;
  }
  std::string get(const std::string& request, std::uint16_t port = 80) {
    return rig_.exchange(port, request);
  }
  static std::string simple(const std::string& method, const std::string& path) {
    return method + " " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  }

  fs::path base_;
  std::string big_;
  ServiceRig rig_;
};

std::string status_line(const std::string& response) {
  return response.substr(0, response.find("\r\n"));
}
std::string body_of(const std::string& response) {
  const auto p = response.find("\r\n\r\n");
  return p == std::string::npos ? "" : response.substr(p + 4);
}

TEST_F(HttpFiles, GetServesTheFileWithLengthAndType) {
  const std::string r = get(simple("GET", "/sub/a.txt"));
  EXPECT_EQ(status_line(r), "HTTP/1.1 200 OK");
  EXPECT_NE(r.find("\r\nContent-Length: 6\r\n"), std::string::npos) << r;
  EXPECT_NE(r.find("\r\nContent-Type: text/plain; charset=utf-8\r\n"), std::string::npos) << r;
  EXPECT_NE(r.find("\r\nConnection: close\r\n"), std::string::npos) << r;
  EXPECT_EQ(body_of(r), "alpha\n");
  EXPECT_EQ(body_of(get(simple("GET", "/big.bin"))), big_);
  EXPECT_EQ(body_of(get(simple("GET", "/"))), "<p>home</p>\n");  // index.html
  EXPECT_EQ(body_of(get(simple("GET", "/sub/%61.txt?x=1"))), "alpha\n");
}

TEST_F(HttpFiles, HeadSendsTheHeadersOnly) {
  const std::string r = get(simple("HEAD", "/big.bin"));
  EXPECT_EQ(status_line(r), "HTTP/1.1 200 OK");
  EXPECT_NE(r.find("\r\nContent-Length: 200000\r\n"), std::string::npos) << r;
  EXPECT_EQ(body_of(r), "");
}

TEST_F(HttpFiles, ErrorsAre404And405And400) {
  EXPECT_EQ(status_line(get(simple("GET", "/nope"))), "HTTP/1.1 404 Not Found");
  const std::string post = get(simple("POST", "/sub/a.txt"));
  EXPECT_EQ(status_line(post), "HTTP/1.1 405 Method Not Allowed");
  EXPECT_NE(post.find("\r\nAllow: GET, HEAD\r\n"), std::string::npos);
  EXPECT_EQ(status_line(get("NOT HTTP AT ALL\r\n\r\n")), "HTTP/1.1 400 Bad Request");
  EXPECT_EQ(rig_.host.stats().http_errors, 3u);
}

TEST_F(HttpFiles, NothingOutsideTheRootIsServed) {
  EXPECT_EQ(status_line(get(simple("GET", "/../secret.txt"))), "HTTP/1.1 400 Bad Request");
  EXPECT_EQ(status_line(get(simple("GET", "/sub/%2e%2e/%2E%2E/secret.txt"))),
            "HTTP/1.1 400 Bad Request");
  EXPECT_EQ(status_line(get(simple("GET", "/link-out.txt"))), "HTTP/1.1 404 Not Found");
  EXPECT_EQ(status_line(get(simple("GET", "/a%00b"))), "HTTP/1.1 400 Bad Request");
  // A symlink that stays inside the root is fine.
  EXPECT_EQ(body_of(get(simple("GET", "/link-in.txt"))), "alpha\n");
}

TEST_F(HttpFiles, KeepAliveAnswersPipelinedRequestsInOrderOnOneConnection) {
  const std::string reqs =
      "GET /sub/a.txt HTTP/1.1\r\nHost: x\r\n\r\n"
      "HEAD /big.bin HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /index.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  test::Client c = rig_.connect(80, reqs, /*fin_after=*/false);
  // The server closes after the request that asked for it, without our FIN.
  ASSERT_TRUE(rig_.run([&] { return c.eof; }, 30s, {&c}));
  const std::string& r = c.in;
  const auto first = r.find("HTTP/1.1 200 OK");
  const auto second = r.find("HTTP/1.1 200 OK", first + 1);
  const auto third = r.find("HTTP/1.1 404 Not Found");
  const auto fourth = r.find("HTTP/1.1 200 OK", third);
  EXPECT_TRUE(first == 0 && second > first && third > second && fourth != std::string::npos) << r;
  EXPECT_NE(r.find("alpha\n"), std::string::npos);
  EXPECT_TRUE(r.ends_with("<p>home</p>\n")) << r;
  EXPECT_EQ(rig_.host.stats().accepted, 1u);
  EXPECT_EQ(rig_.host.stats().http_requests, 4u);
}

TEST_F(HttpFiles, BuiltInPagesWithoutADirectory) {
  EXPECT_NE(body_of(get(simple("GET", "/"), 8080)).find("synack"), std::string::npos);
  const std::string body = body_of(get(simple("GET", "/bytes/100000"), 8080));
  ASSERT_EQ(body.size(), 100000u);
  EXPECT_EQ(body.substr(0, 28), "abcdefghijklmnopqrstuvwxyzab");
  EXPECT_EQ(body_of(get(simple("GET", "/bytes/0"), 8080)), "");
  EXPECT_EQ(status_line(get(simple("GET", "/bytes/x1"), 8080)), "HTTP/1.1 404 Not Found");
  EXPECT_EQ(status_line(get(simple("GET", "/other"), 8080)), "HTTP/1.1 404 Not Found");
}

TEST(HttpUrl, ParsesHostPortAndPath) {
  auto u = parse_http_url("http://10.77.0.1:8000/a/b?c=d");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->host, wire::Ipv4Addr::from_octets(10, 77, 0, 1));
  EXPECT_EQ(u->port, 8000);
  EXPECT_EQ(u->target, "/a/b?c=d");
  auto d = parse_http_url("http://10.0.0.9");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->port, 80);
  EXPECT_EQ(d->target, "/");
  EXPECT_EQ(http_get_request(*d),
            "GET / HTTP/1.1\r\nHost: 10.0.0.9\r\nUser-Agent: synack\r\nAccept: */*\r\n"
            "Connection: close\r\n\r\n");
  auto f = parse_http_url("http://10.0.0.9:81/p#fragment");  // never sent to the server
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->target, "/p");
  EXPECT_EQ(f->port, 81);
  auto v6 = parse_http_url("http://[fd00:77::2]:8080/x");
  ASSERT_TRUE(v6.ok()) << v6.error();
  EXPECT_EQ(v6->host, wire::IpAddr(*wire::Ipv6Addr::parse("fd00:77::2")));
  EXPECT_EQ(v6->port, 8080);
  EXPECT_EQ(v6->target, "/x");
  EXPECT_EQ(http_get_request(*v6),
            "GET /x HTTP/1.1\r\nHost: [fd00:77::2]:8080\r\nUser-Agent: synack\r\nAccept: "
            "*/*\r\nConnection: close\r\n\r\n");
  auto v6_default_port = parse_http_url("http://[fe80::1]");
  ASSERT_TRUE(v6_default_port.ok());
  EXPECT_EQ(http_get_request(*v6_default_port).substr(0, 33),
            "GET / HTTP/1.1\r\nHost: [fe80::1]\r\n");
  for (const char* bad : {"http://[::]/", "http://[ff02::1]/", "http://fd00::2/",
                          "http://[10.0.0.1]/", "http://[fd00::g]/", "http://255.255.255.255/"}) {
    auto r = parse_http_url(bad);
    ASSERT_FALSE(r.ok()) << bad;
  }
  EXPECT_EQ(parse_http_url("http://[ff02::1]/").error(),
            "'http://[ff02::1]/': HOST must be a unicast IPv4 address or an IPv6 one in brackets");
  for (const char* bad : {"https://10.0.0.1/", "http://example.com/", "http://10.0.0.1:0/",
                          "http://10.0.0.1:99999/", "http://0.0.0.0/", "http://10.0.0.1/a b",
                          "http://user@10.0.0.1/", "http://10.0.0.1:80x/", "http://"}) {
    EXPECT_FALSE(parse_http_url(bad).ok()) << bad;
  }
  EXPECT_EQ(parse_http_url("http://10.0.0.1:99999/").error(),
            "'http://10.0.0.1:99999/' is not a valid URL (http://HOST[:PORT]/PATH, port 1..65535)");
}

TEST(HttpResponseParser, ContentLengthBodyArrivesInPieces) {
  std::string body;
  HttpResponseParser p(
      [&](Bytes b) { body.append(reinterpret_cast<const char*>(b.data()), b.size()); });
  const std::string r = "HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello world";
  for (char c : r) ASSERT_TRUE(p.feed(as_bytes(std::string_view(&c, 1))));
  EXPECT_TRUE(p.complete());
  EXPECT_EQ(p.status(), 200);
  EXPECT_EQ(body, "hello world");
}

TEST(HttpResponseParser, ChunkedAndEofDelimitedBodies) {
  std::string body;
  auto sink = [&](Bytes b) { body.append(reinterpret_cast<const char*>(b.data()), b.size()); };
  HttpResponseParser chunked(sink);
  ASSERT_TRUE(
      chunked.feed(as_bytes(std::string_view("HTTP/1.1 404 Not Found\r\nTransfer-Encoding: "
                                             "chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"))));
  EXPECT_TRUE(chunked.complete());
  EXPECT_EQ(chunked.status(), 404);
  EXPECT_EQ(body, "abcde");
  body.clear();
  HttpResponseParser eof(sink);
  ASSERT_TRUE(eof.feed(as_bytes(std::string_view("HTTP/1.0 200 OK\r\n\r\nuntil the end"))));
  EXPECT_FALSE(eof.complete());
  EXPECT_TRUE(eof.finish());
  EXPECT_EQ(body, "until the end");
}

TEST(HttpResponseParser, TruncatedAndMalformedResponsesFail) {
  HttpResponseParser cut([](Bytes) {});
  ASSERT_TRUE(
      cut.feed(as_bytes(std::string_view("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"))));
  EXPECT_FALSE(cut.finish());
  EXPECT_NE(cut.error().find("before the end"), std::string::npos);
  HttpResponseParser junk([](Bytes) {});
  EXPECT_FALSE(junk.feed(as_bytes(std::string_view("SSH-2.0-OpenSSH\r\n"))));
  EXPECT_TRUE(junk.failed());
}

}  // namespace
}  // namespace synack::services

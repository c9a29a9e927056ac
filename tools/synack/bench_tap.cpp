// Rows (d) and (e) of `synack bench`: TCP over a TAP with the kernel as the client, next
// to the kernel behind the same kind of TAP and kernel-to-kernel over veth, all in this
// run (bench/goodput.sh's method, without loss).
//
// Three network namespaces made for the run and never named: unshare(CLONE_NEWNET)
// here, then only file descriptors of this process and its children hold them. When
// the last holder exits, however it exits (an error, a signal, SIGKILL), the kernel
// deletes each namespace with every TAP and veth in it; children die with this process
// (PR_SET_PDEATHSIG), so nothing is left behind on any exit path.
//   S  the TAP sbt<pid>: the kernel 10.77.0.1/24; synack 10.77.0.2/24, `synack serve
//      discard:9 chargen:19 echo:7 --offload on|off`, a child exec'd from
//      /proc/self/exe that attaches to the TAP.
//   A  the reference client: TAP sbra<pid> 10.77.2.1/24 and veth sbva<pid> 10.77.3.1/24.
//   B  the reference servers: TAP sbrb<pid> 10.77.2.2/24, veth sbvb<pid> 10.77.3.2/24;
//      discard, chargen and echo, a forked child per connection.
// A relay (a child, tests/interop/tap_relay.c's loop) joins A's and B's TAPs, one
// read(2) and one write(2) per frame. With offload on both TAPs carry the virtio-net
// header with the offloads synack asks for (checksum, TSO4/6) and the relay passes it
// through, so the kernel sends and receives 64 KB super-frames across it as it does
// with synack; with offload off they are plain TAPs, as synack's is then.
//
// The kernel clients run in this process: a socket made in a namespace stays there,
// so this process enters a namespace only to create sockets and devices (setns, and
// back at once). synack and the relay run side by side, and the transfers take turns
// (synack, the relay; then over veth); the echo round trips of (e) go to synack, the
// relay and veth in turns of a tenth of the run each, so that all three see the same
// machine. Every loop is bounded in time; every socket call has a time-out.
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <initializer_list>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "bench.hpp"
#include "synack/link/event_loop.hpp"
#include "synack/link/tap_link.hpp"
#include "synack/services/services.hpp"

namespace synack::cli::bench {
namespace {

using namespace std::chrono_literals;
using link::UniqueFd;

// The setup could not be done: every (d)/(e) row is "not measured" with this reason.
struct Unavailable : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::string sys_text(const std::string& what, int err = errno) {
  return what + ": " + std::strerror(err);
}

Instant now() {
  return link::monotonic_now();
}

double seconds(Duration d) {
  return std::chrono::duration<double>(d).count();
}

int millis(Duration d) {
  return static_cast<int>(std::clamp<std::int64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(d).count(), 0, 1'000'000));
}

constexpr std::uint32_t addr(std::uint8_t c, std::uint8_t d) {
  return (10u << 24) | (77u << 16) | (std::uint32_t{c} << 8) | d;
}
constexpr std::uint32_t kKernelOnS = addr(0, 1), kSynack = addr(0, 2);
constexpr std::uint32_t kRelayA = addr(2, 1), kRelayB = addr(2, 2);
constexpr std::uint32_t kVethA = addr(3, 1), kVethB = addr(3, 2);
constexpr std::uint16_t kDiscard = 9, kChargen = 19, kEcho = 7;

// --- namespaces and devices ----------------------------------------------------------

// Puts this process into the namespace `target` for the scope, then back.
class InNetns {
 public:
  explicit InNetns(int target) : home_(::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC)) {
    if (!home_.valid()) throw Unavailable(sys_text("open(/proc/self/ns/net)"));
    if (::setns(target, CLONE_NEWNET) != 0) throw Unavailable(sys_text("setns"));
  }
  ~InNetns() {
    if (::setns(home_.get(), CLONE_NEWNET) != 0) {
      // Measuring on in the wrong namespace would touch the machine's own network.
      std::perror("synack bench: setns back to the original network namespace");
      std::abort();
    }
  }
  InNetns(const InNetns&) = delete;
  InNetns& operator=(const InNetns&) = delete;

 private:
  UniqueFd home_;
};

void write_proc(const char* path, const char* value) {
  std::ofstream f(path);
  f << value;  // a kernel without IPv6 has no such file: nothing to turn off then
}

ifreq named(const std::string& name) {
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
  return ifr;
}

// (In the current namespace.)
void set_up(const std::string& name) {
  UniqueFd s(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  ifreq ifr = named(name);
  if (::ioctl(s.get(), SIOCGIFFLAGS, &ifr) != 0)
    throw Unavailable(sys_text("SIOCGIFFLAGS " + name));
  ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
  if (::ioctl(s.get(), SIOCSIFFLAGS, &ifr) != 0)
    throw Unavailable(sys_text("SIOCSIFFLAGS " + name));
}

// ADDR/24 on `name`, and the link up. (In the current namespace.)
void set_address(const std::string& name, std::uint32_t a) {
  UniqueFd s(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  ifreq ifr = named(name);
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(a);
  std::memcpy(&ifr.ifr_addr, &sin, sizeof sin);
  if (::ioctl(s.get(), SIOCSIFADDR, &ifr) != 0) throw Unavailable(sys_text("SIOCSIFADDR " + name));
  sin.sin_addr.s_addr = htonl(0xffffff00u);
  std::memcpy(&ifr.ifr_netmask, &sin, sizeof sin);
  if (::ioctl(s.get(), SIOCSIFNETMASK, &ifr) != 0) {
    throw Unavailable(sys_text("SIOCSIFNETMASK " + name));
  }
  set_up(name);
}

bool is_running(const std::string& name) {
  UniqueFd s(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  ifreq ifr = named(name);
  return ::ioctl(s.get(), SIOCGIFFLAGS, &ifr) == 0 && (ifr.ifr_flags & IFF_RUNNING) != 0;
}

// A new namespace with lo up and IPv6 off (no ND/MLD frames on its TAPs); this process
// stays where it was.
UniqueFd new_netns() {
  UniqueFd home(::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC));
  if (!home.valid()) throw Unavailable(sys_text("open(/proc/self/ns/net)"));
  if (::unshare(CLONE_NEWNET) != 0) {
    if (errno == EPERM) throw Unavailable("needs root (unshare(CLONE_NEWNET) refused)");
    throw Unavailable(sys_text("unshare(CLONE_NEWNET)"));
  }
  UniqueFd ns(::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC));
  const int err = errno;
  if (::setns(home.get(), CLONE_NEWNET) != 0) {
    std::perror("synack bench: setns back to the original network namespace");
    std::abort();
  }
  if (!ns.valid()) throw Unavailable(sys_text("open(/proc/self/ns/net)", err));
  InNetns in(ns.get());
  write_proc("/proc/sys/net/ipv6/conf/all/disable_ipv6", "1");
  write_proc("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1");
  set_up("lo");
  return ns;
}

// Opens (creating it if needed) the TAP `name` in the current namespace; with `vnet`
// the fd carries the virtio-net header with checksum and TSO offloads, as synack's
// TapLink asks for them; without, the device's offloads are reset (a TAP keeps what an
// earlier reader set).
UniqueFd open_tap(const std::string& name, bool vnet) {
  UniqueFd fd(::open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC));
  if (!fd.valid()) throw Unavailable(sys_text("open(/dev/net/tun)"));
  ifreq ifr = named(name);
  ifr.ifr_flags = static_cast<short>(IFF_TAP | IFF_NO_PI | (vnet ? IFF_VNET_HDR : 0));
  if (::ioctl(fd.get(), TUNSETIFF, &ifr) != 0) throw Unavailable(sys_text("TUNSETIFF " + name));
  if (vnet) {
    int len = 10;  // struct virtio_net_hdr, as synack's VnetHdr::kLen
    int le = 1;
    if (::ioctl(fd.get(), TUNSETVNETHDRSZ, &len) != 0 ||
        ::ioctl(fd.get(), TUNSETVNETLE, &le) != 0 ||
        ::ioctl(fd.get(), TUNSETOFFLOAD,
                static_cast<unsigned long>(TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6)) != 0) {
      throw Unavailable(sys_text("TAP offloads for " + name));
    }
  } else {
    (void)::ioctl(fd.get(), TUNSETOFFLOAD, 0ul);
  }
  return fd;
}

// A persistent TAP with the kernel's address on it (it lives as long as its namespace).
void make_tap(const std::string& name, std::uint32_t kernel_addr) {
  UniqueFd fd = open_tap(name, false);
  if (::ioctl(fd.get(), TUNSETPERSIST, 1) != 0) throw Unavailable(sys_text("TUNSETPERSIST"));
  fd.reset();
  set_address(name, kernel_addr);
}

// rtnetlink: a veth pair, `a` in the current namespace and `b` in `peer_ns`.
class NlMessage {
 public:
  NlMessage(std::uint16_t type, std::uint16_t flags) {
    buf_.resize(NLMSG_HDRLEN);
    nlmsghdr h{};
    h.nlmsg_type = type;
    h.nlmsg_flags = flags;
    h.nlmsg_seq = 1;
    std::memcpy(buf_.data(), &h, sizeof h);
  }
  template <class T>
  void put(const T& v) {
    put_bytes(&v, sizeof v);
  }
  void attr(std::uint16_t type, const void* data, std::size_t len) {
    const std::size_t at = begin(type);
    put_bytes(data, len);
    end(at);
  }
  void attr(std::uint16_t type, const std::string& s) { attr(type, s.c_str(), s.size() + 1); }
  std::size_t begin(std::uint16_t type) {
    const std::size_t at = buf_.size();
    rtattr a{};
    a.rta_type = type;
    put(a);
    return at;
  }
  void end(std::size_t at) {
    const auto len = static_cast<unsigned short>(buf_.size() - at);
    std::memcpy(buf_.data() + at + offsetof(rtattr, rta_len), &len, sizeof len);
  }
  std::vector<char>& finish() {
    const auto len = static_cast<std::uint32_t>(buf_.size());
    std::memcpy(buf_.data() + offsetof(nlmsghdr, nlmsg_len), &len, sizeof len);
    return buf_;
  }

 private:
  void put_bytes(const void* p, std::size_t n) {
    const std::size_t at = buf_.size();
    buf_.resize(at + NLMSG_ALIGN(n), 0);
    if (n > 0) std::memcpy(buf_.data() + at, p, n);
  }
  std::vector<char> buf_;
};

void make_veth(const std::string& a, const std::string& b, int peer_ns) {
  NlMessage m(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK);
  m.put(ifinfomsg{});
  m.attr(IFLA_IFNAME, a);
  const std::size_t info = m.begin(IFLA_LINKINFO);
  m.attr(IFLA_INFO_KIND, std::string("veth"));
  const std::size_t data = m.begin(IFLA_INFO_DATA);
  const std::size_t peer = m.begin(VETH_INFO_PEER);
  m.put(ifinfomsg{});
  m.attr(IFLA_IFNAME, b);
  const auto fd = static_cast<std::uint32_t>(peer_ns);
  m.attr(IFLA_NET_NS_FD, &fd, sizeof fd);
  m.end(peer);
  m.end(data);
  m.end(info);
  const std::vector<char>& msg = m.finish();

  UniqueFd s(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
  if (!s.valid()) throw Unavailable(sys_text("socket(AF_NETLINK)"));
  timeval tv{2, 0};
  ::setsockopt(s.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (::sendto(s.get(), msg.data(), msg.size(), 0, reinterpret_cast<sockaddr*>(&kernel),
               sizeof kernel) != static_cast<ssize_t>(msg.size())) {
    throw Unavailable(sys_text("RTM_NEWLINK veth"));
  }
  alignas(nlmsghdr) char reply[4096];
  const ssize_t n = ::recv(s.get(), reply, sizeof reply, 0);
  if (n < static_cast<ssize_t>(NLMSG_HDRLEN + sizeof(nlmsgerr))) {
    throw Unavailable(sys_text("RTM_NEWLINK veth: no answer"));
  }
  nlmsghdr h{};
  nlmsgerr e{};
  std::memcpy(&h, reply, sizeof h);
  std::memcpy(&e, reply + NLMSG_HDRLEN, sizeof e);
  if (h.nlmsg_type != NLMSG_ERROR || e.error != 0) {
    throw Unavailable(sys_text("RTM_NEWLINK veth", e.error != 0 ? -e.error : EPROTO));
  }
}

// --- child processes -----------------------------------------------------------------

void all_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  for (int c = 0; c < CPU_SETSIZE; ++c) CPU_SET(c, &set);
  (void)::sched_setaffinity(0, sizeof set, &set);
}

// A child process: killed (SIGKILL after a grace) and reaped when it goes out of scope.
class Child {
 public:
  Child() = default;
  explicit Child(pid_t pid) : pid_(pid) {}
  Child(Child&& o) noexcept : pid_(std::exchange(o.pid_, -1)), status_(o.status_) {}
  Child& operator=(Child&& o) noexcept {
    if (this != &o) {
      stop(0ms);
      pid_ = std::exchange(o.pid_, -1);
      status_ = o.status_;
    }
    return *this;
  }
  ~Child() { stop(0ms); }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  // Whether it still runs (reaps it if it has exited).
  bool alive() {
    if (pid_ <= 0) return false;
    int st = 0;
    if (::waitpid(pid_, &st, WNOHANG) == pid_) {
      status_ = decode(st);
      pid_ = -1;
      return false;
    }
    return true;
  }
  // Waits for it to exit by itself, at most `grace`, then kills it. Its exit code, or
  // 128 + the signal that ended it.
  int wait(Duration grace) {
    const Instant until = now() + grace;
    while (alive() && now() < until) std::this_thread::sleep_for(2ms);
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      int st = 0;
      ::waitpid(pid_, &st, 0);
      status_ = decode(st);
      pid_ = -1;
    }
    return status_;
  }
  // SIGTERM, then wait(grace).
  int stop(Duration grace) {
    if (pid_ > 0 && grace > Duration::zero()) ::kill(pid_, SIGTERM);
    return wait(grace);
  }

 private:
  static int decode(int st) { return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st); }
  pid_t pid_ = -1;
  int status_ = -1;
};

// Forks a child that keeps only the fds in `keep` (and 0-2), may use every CPU, dies
// with this process (PR_SET_PDEATHSIG), and exits with fn()'s value.
template <class Fn>
Child spawn(std::initializer_list<int> keep, Fn fn) {
  const pid_t parent = ::getpid();
  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t pid = ::fork();
  if (pid < 0) throw Unavailable(sys_text("fork"));
  if (pid > 0) return Child(pid);
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(1);
  std::vector<int> fds(keep);
  std::sort(fds.begin(), fds.end());
  unsigned from = 3;
  for (int fd : fds) {
    if (fd < 3) continue;
    if (static_cast<unsigned>(fd) > from) ::close_range(from, static_cast<unsigned>(fd) - 1, 0);
    from = static_cast<unsigned>(fd) + 1;
  }
  ::close_range(from, ~0u, 0);
  all_cpus();
  try {
    ::_exit(fn());
  } catch (...) {
    ::_exit(125);  // never back into the bench's own code in a second process
  }
}

// --- the traffic ---------------------------------------------------------------------

// RFC 864's stream as synack's chargen sends it (bench/bulk.py's check): 95 lines of
// 74 bytes repeat; `pattern` holds the period and room for a whole read after it.
class Chargen {
 public:
  static constexpr std::size_t kChunk = 256 * 1024;
  Chargen() {
    std::string period;
    for (std::uint64_t n = 0; n < 95; ++n) period += services::chargen_line(n);
    period_ = period.size();
    while (pattern_.size() < period_ + kChunk) pattern_ += period;
  }
  const char* at(std::uint64_t offset) const { return pattern_.data() + offset % period_; }

 private:
  std::size_t period_ = 0;
  std::string pattern_;
};

const Chargen& chargen() {
  static const Chargen c;
  return c;
}

void set_timeouts(int fd, Duration d) {
  timeval tv{static_cast<time_t>(millis(d) / 1000),
             static_cast<suseconds_t>(millis(d) % 1000) * 1000};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

// CUBIC, synack's default, rather than the machine's default (BBR on the project's VM):
// stacks compared, not algorithms (bench/lib.sh's KERNEL_CC).
void use_cubic(int fd) {
  (void)::setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, "cubic", 5);
}

sockaddr_in to(std::uint32_t a, std::uint16_t port) {
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(port);
  sin.sin_addr.s_addr = htonl(a);
  return sin;
}

// A listener on every address of namespace `ns` (accepted sockets inherit CUBIC).
UniqueFd listen_in(int ns, std::uint16_t port) {
  InNetns in(ns);
  UniqueFd l(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  const int on = 1;
  ::setsockopt(l.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  use_cubic(l.get());
  sockaddr_in a = to(INADDR_ANY, port);
  if (::bind(l.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::listen(l.get(), 8) != 0) {
    throw Unavailable(sys_text("listen"));
  }
  return l;
}

// A connected, blocking socket from namespace `ns` to a:port; tries again (a peer that
// is not up yet) for `patience`. Invalid, with `why`, if it never connected.
UniqueFd connect_from(int ns, std::uint32_t a, std::uint16_t port, Duration patience,
                      std::string& why) {
  const Instant until = now() + patience;
  for (int attempt = 0; attempt < 1000; ++attempt) {
    UniqueFd s;
    {
      InNetns in(ns);
      s.reset(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    }
    use_cubic(s.get());
    sockaddr_in sin = to(a, port);
    int err = 0;
    if (::connect(s.get(), reinterpret_cast<sockaddr*>(&sin), sizeof sin) != 0) {
      err = errno;
      if (err == EINPROGRESS) {
        pollfd p{s.get(), POLLOUT, 0};
        const int left = std::max(1, millis(until - now()));
        socklen_t len = sizeof err;
        if (::poll(&p, 1, std::min(left, 3000)) == 1) {
          ::getsockopt(s.get(), SOL_SOCKET, SO_ERROR, &err, &len);
        } else {
          err = ETIMEDOUT;
        }
      }
    }
    if (err == 0) {
      ::fcntl(s.get(), F_SETFL, ::fcntl(s.get(), F_GETFL) & ~O_NONBLOCK);
      set_timeouts(s.get(), 5s);
      return s;
    }
    why = sys_text("connect", err);
    if (now() >= until) break;
    std::this_thread::sleep_for(50ms);
  }
  return UniqueFd();
}

// The kernel's reference servers, one connection each, in a child.
enum class Service : std::uint8_t { Discard, Chargen, Echo };

int serve_one(int listener, Service kind, Duration limit) {
  const Instant until = now() + limit;
  pollfd p{listener, POLLIN, 0};
  if (::poll(&p, 1, millis(limit)) != 1) return 2;
  UniqueFd c(::accept(listener, nullptr, nullptr));
  if (!c.valid()) return 3;
  set_timeouts(c.get(), 2s);
  std::vector<char> buf(Chargen::kChunk);
  if (kind == Service::Discard) {
    std::uint64_t n = 0;
    while (now() < until) {
      const ssize_t r = ::recv(c.get(), buf.data(), buf.size(), 0);
      if (r < 0) return 4;
      if (r == 0) break;
      n += static_cast<std::uint64_t>(r);
    }
    const std::string reply = std::to_string(n) + "\n";
    return ::send(c.get(), reply.data(), reply.size(), MSG_NOSIGNAL) > 0 ? 0 : 5;
  }
  if (kind == Service::Echo) {
    const int on = 1;
    ::setsockopt(c.get(), IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    while (now() < until) {
      const ssize_t r = ::recv(c.get(), buf.data(), buf.size(), 0);
      if (r < 0) return 4;
      if (r == 0) return 0;
      if (::send(c.get(), buf.data(), static_cast<std::size_t>(r), MSG_NOSIGNAL) != r) return 5;
    }
    return 6;
  }
  // Chargen: the stream until the peer's FIN (what arrives is thrown away).
  ::fcntl(c.get(), F_SETFL, ::fcntl(c.get(), F_GETFL) | O_NONBLOCK);
  std::uint64_t off = 0;
  while (now() < until) {
    pollfd q{c.get(), POLLIN | POLLOUT, 0};
    if (::poll(&q, 1, 200) < 0 && errno != EINTR) return 4;
    if (q.revents & (POLLIN | POLLHUP | POLLERR)) {
      const ssize_t r = ::recv(c.get(), buf.data(), buf.size(), 0);
      if (r == 0) return 0;
      if (r < 0 && errno != EAGAIN) return 4;
    }
    if (q.revents & POLLOUT) {
      const ssize_t r = ::send(c.get(), chargen().at(off), 64 * 1024, MSG_NOSIGNAL);
      if (r > 0) off += static_cast<std::uint64_t>(r);
      if (r < 0 && errno != EAGAIN) return 5;
    }
  }
  return 6;
}

TapBulk bulk_result(std::uint64_t bytes, Duration took) {
  TapBulk r;
  r.bytes = bytes;
  r.seconds = seconds(took);
  r.gbps = r.seconds > 0 ? static_cast<double>(bytes) * 8 / r.seconds / 1e9 : 0;
  return r;
}

// The kernel client sends for `run` (64 KiB writes), half-closes and reads to the
// server's close: goodput is the bytes over connection-established .. that close (all
// of them had been read then). `reply` gets what the server sent back (the reference
// discard server's count).
TapOutcome<TapBulk> client_send(int ns, std::uint32_t a, Duration run, std::string& reply) {
  TapOutcome<TapBulk> out;
  UniqueFd s = connect_from(ns, a, kDiscard, 10s, out.why);
  if (!s.valid()) {
    out.failed = true;  // everything was set up: the peer should have answered
    return out;
  }
  std::vector<char> buf(64 * 1024, 'x');
  const Instant start = now();
  std::uint64_t sent = 0;
  while (now() - start < run) {
    const ssize_t n = ::send(s.get(), buf.data(), buf.size(), MSG_NOSIGNAL);
    if (n <= 0) {
      out.why = sys_text("send");
      out.failed = true;
      return out;
    }
    sent += static_cast<std::uint64_t>(n);
  }
  ::shutdown(s.get(), SHUT_WR);
  const Instant until = now() + 30s;
  for (;;) {
    char b[256];
    const ssize_t n = ::recv(s.get(), b, sizeof b, 0);
    if (n == 0) break;
    if (n < 0 || now() > until) {
      out.why = sys_text("waiting for the server to close");
      out.failed = true;
      return out;
    }
    if (reply.size() < 64) reply.append(b, static_cast<std::size_t>(n));
  }
  out.value = bulk_result(sent, now() - start);
  return out;
}

// The kernel client reads chargen for `run`, checking every byte; goodput is the bytes
// over connection-established .. the last read. Then FIN, and what is still in flight
// is drained to the server's close.
TapOutcome<TapBulk> client_recv(int ns, std::uint32_t a, Duration run) {
  TapOutcome<TapBulk> out;
  UniqueFd s = connect_from(ns, a, kChargen, 10s, out.why);
  if (!s.valid()) {
    out.failed = true;  // everything was set up: the peer should have answered
    return out;
  }
  std::vector<char> buf(Chargen::kChunk);
  const Instant start = now();
  Instant last = start;
  std::uint64_t got = 0;
  while (last - start < run) {
    const ssize_t n = ::recv(s.get(), buf.data(), buf.size(), 0);
    if (n <= 0) {
      out.why = n == 0 ? "the server closed early" : sys_text("recv");
      out.failed = true;
      return out;
    }
    if (std::memcmp(buf.data(), chargen().at(got), static_cast<std::size_t>(n)) != 0) {
      out.why = "the chargen stream was wrong near byte " + std::to_string(got);
      out.failed = true;
      return out;
    }
    got += static_cast<std::uint64_t>(n);
    last = now();
  }
  ::shutdown(s.get(), SHUT_WR);
  const Instant until = now() + 30s;
  for (;;) {
    const ssize_t n = ::recv(s.get(), buf.data(), buf.size(), 0);
    if (n == 0) break;
    if (n < 0 || now() > until) {
      out.why = sys_text("waiting for the server to close");
      out.failed = true;
      return out;
    }
  }
  out.value = bulk_result(got, last - start);
  return out;
}

double percentile(const std::vector<std::int64_t>& sorted, double p) {
  const auto n = static_cast<double>(sorted.size());
  const auto k = static_cast<std::size_t>(std::clamp(std::ceil(p / 100 * n) - 1, 0.0, n - 1));
  return static_cast<double>(sorted[k]);
}

// One connection, TCP_NODELAY; one byte out, the same byte back, timed one by one.
// Measured in slices, so that synack and the references take turns and see the same
// machine (on this VM a round trip's time depends mostly on whether the CPUs were idle:
// waking a halted vCPU takes tens of microseconds).
class EchoClient {
 public:
  // Connects and makes 100 round trips that are not counted (ARP, caches).
  void open(int ns, std::uint32_t a, std::uint64_t max) {
    s_ = connect_from(ns, a, kEcho, 10s, out_.why);
    if (!s_.valid()) {
      out_.failed = true;  // everything was set up: the peer should have answered
      return;
    }
    const int on = 1;
    ::setsockopt(s_.get(), IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    rtt_.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(max, 1'000'000)));
    const Instant until = now() + 5s;
    for (int k = 0; k < 100 && now() < until && ok(); ++k) (void)round_trip();
  }
  bool ok() const { return s_.valid() && !out_.failed; }
  // Round trips for `slice`, `max` in all at most.
  void measure(Duration slice, std::uint64_t max) {
    const Instant start = now();
    while (ok() && rtt_.size() < max && now() - start < slice) {
      if (auto d = round_trip()) rtt_.push_back(d->count());
    }
  }
  // Closes (the server's FIN, 5 s at most) and sums up.
  TapOutcome<TapEcho> finish() {
    if (s_.valid()) {
      ::shutdown(s_.get(), SHUT_WR);
      char b;
      (void)::recv(s_.get(), &b, 1, 0);
      s_.reset();
    }
    if (out_.failed || !out_.why.empty()) return out_;
    if (rtt_.empty()) {
      out_.why = "no round trip in the time given";
      out_.failed = true;
      return out_;
    }
    std::sort(rtt_.begin(), rtt_.end());
    TapEcho e;
    e.samples = rtt_.size();
    e.p50_us = percentile(rtt_, 50) / 1e3;
    e.p99_us = percentile(rtt_, 99) / 1e3;
    out_.value = e;
    return out_;
  }
  std::uint64_t bytes_sent() const { return sent_; }

 private:
  std::optional<Duration> round_trip() {
    const char b = static_cast<char>('a' + sent_ % 26);
    char back = 0;
    const Instant t0 = now();
    if (::send(s_.get(), &b, 1, MSG_NOSIGNAL) != 1) return fail(sys_text("send"));
    ++sent_;
    const ssize_t n = ::recv(s_.get(), &back, 1, 0);
    const Instant t1 = now();
    if (n != 1 || back != b)
      return fail(n == 1 ? "the echo was a different byte" : sys_text("recv"));
    return t1 - t0;
  }
  std::optional<Duration> fail(const std::string& why) {
    out_.why = why;
    out_.failed = true;
    return std::nullopt;
  }

  UniqueFd s_;
  TapOutcome<TapEcho> out_;
  std::vector<std::int64_t> rtt_;
  std::uint64_t sent_ = 0;
};

// --- the setup -------------------------------------------------------------------------

class TapBench {
 public:
  TapBench()
      : suffix_(std::to_string(::getpid())),
        tap_s_("sbt" + suffix_),
        tap_a_("sbra" + suffix_),
        tap_b_("sbrb" + suffix_),
        veth_a_("sbva" + suffix_),
        veth_b_("sbvb" + suffix_) {
    s_ = new_netns();  // first: without root, this is what says so
    if (::access("/dev/net/tun", R_OK | W_OK) != 0) {
      throw Unavailable(errno == ENOENT ? "no /dev/net/tun (is the tun module loaded?)"
                                        : sys_text("/dev/net/tun"));
    }
    a_ = new_netns();
    b_ = new_netns();
    {
      InNetns in(s_.get());
      make_tap(tap_s_, kKernelOnS);
    }
    {
      InNetns in(a_.get());
      make_tap(tap_a_, kRelayA);
      make_veth(veth_a_, veth_b_, b_.get());
      set_address(veth_a_, kVethA);
    }
    {
      InNetns in(b_.get());
      make_tap(tap_b_, kRelayB);
      set_address(veth_b_, kVethB);
    }
    for (auto [port, fd] : {std::pair{kDiscard, &discard_}, std::pair{kChargen, &chargen_},
                            std::pair{kEcho, &echo_}}) {
      *fd = listen_in(b_.get(), port);
    }
    (void)chargen();  // built before anything is timed
  }

  // --- synack: `synack serve` on S's TAP ---
  std::string start_synack(bool offload) {
    log_.reset(::memfd_create("synack-serve", MFD_CLOEXEC));
    if (!log_.valid()) return sys_text("memfd_create");
    expected_in_ = 0;
    const int ns = s_.get(), log = log_.get();
    const std::string tap = tap_s_;
    synack_ = spawn({ns, log}, [&]() -> int {
      if (::setns(ns, CLONE_NEWNET) != 0) return 126;
      const int null = ::open("/dev/null", O_RDWR);
      ::dup2(null, 0);
      ::dup2(null, 1);
      ::dup2(log, 2);
      std::vector<std::string> args = {
          "synack", "serve",        "--tap",     tap,
          "--ip",   "10.77.0.2/24", "--offload", offload ? "on" : "off",
          "--log",  "info",         "discard:9", "chargen:19",
          "echo:7"};
      std::vector<char*> argv;
      for (auto& s : args) argv.push_back(s.data());
      argv.push_back(nullptr);
      ::execv("/proc/self/exe", argv.data());
      std::perror("synack bench: exec /proc/self/exe");
      return 127;
    });
    // Attached once the TAP's carrier is on (synack reads frames only once its
    // services listen, so what the kernel sends from then on waits in the TAP).
    const Instant until = now() + 10s;
    while (now() < until) {
      bool running = false;
      {
        InNetns in(s_.get());
        running = is_running(tap_s_);
      }
      if (running) return {};
      if (!synack_.alive()) return "synack serve exited: " + synack_log();
      std::this_thread::sleep_for(10ms);
    }
    return "synack serve did not attach to its TAP in 10 s";
  }
  // SIGTERM (it closes and prints its stats line); the check of what it counted, or
  // the reason it failed ("" = fine).
  std::string stop_synack(bool offload) {
    const int status = synack_.stop(10s);
    const std::string log = synack_log();
    if (status != 0) return "synack serve exited with " + std::to_string(status) + ": " + log;
    const auto at = log.find("svc_bytes_in=");
    if (at == std::string::npos) return "synack serve printed no stats line: " + log;
    const std::uint64_t in = std::stoull(log.substr(at + 13));
    if (in != expected_in_) {
      return "synack counted " + std::to_string(in) + " bytes in, the client sent " +
             std::to_string(expected_in_);
    }
    if (offload && log.find("link_offload=on") == std::string::npos) {
      return "synack's TAP took no offloads (link_offload=on missing)";
    }
    return {};
  }
  // The kernel client in S sends to synack's discard (synack receives).
  TapOutcome<TapBulk> to_synack() {
    std::string reply;
    auto r = client_send(s_.get(), kSynack, run_, reply);
    if (r.value) expected_in_ += r.value->bytes;
    return r;
  }
  // The kernel client in S reads synack's chargen (synack sends).
  TapOutcome<TapBulk> from_synack() { return client_recv(s_.get(), kSynack, run_); }
  // --- the kernel: behind the relay (A -> B) or over veth ---
  void start_relay(bool vnet) {
    relay_.stop(0ms);
    UniqueFd fa, fb;
    {
      InNetns in(a_.get());
      fa = open_tap(tap_a_, vnet);
    }
    {
      InNetns in(b_.get());
      fb = open_tap(tap_b_, vnet);
    }
    const int x = fa.get(), y = fb.get();
    relay_ = spawn({x, y}, [x, y] { return relay(x, y, now() + 15min); });
  }
  void stop_relay() { relay_.stop(0ms); }

  // The kernel client in A sends to the kernel's discard in B (at `server`: the relay's
  // or the veth's address).
  TapOutcome<TapBulk> to_kernel(std::uint32_t server) {
    Child srv = spawn({discard_.get()},
                      [this] { return serve_one(discard_.get(), Service::Discard, run_ + 60s); });
    std::string reply;
    auto r = client_send(a_.get(), server, run_, reply);
    const int st = srv.wait(5s);
    if (r.value && (st != 0 || std::to_string(r.value->bytes) + "\n" != reply)) {
      r.failed = true;
      r.why = "the kernel server counted '" + reply + "' bytes, the client sent " +
              std::to_string(r.value->bytes);
      r.value.reset();
    }
    return r;
  }
  // The kernel client in A reads the kernel's chargen in B.
  TapOutcome<TapBulk> from_kernel(std::uint32_t server) {
    Child srv = spawn({chargen_.get()},
                      [this] { return serve_one(chargen_.get(), Service::Chargen, run_ + 60s); });
    auto r = client_recv(a_.get(), server, run_);
    srv.wait(5s);
    return r;
  }
  // (e): 1-byte echo round trips to synack (if it runs), to the kernel behind the
  // relay and to the kernel over veth, three connections measured in turn, ten slices
  // of `run` / 10 each. Needs synack and the relay running.
  struct EchoResults {
    TapOutcome<TapEcho> synack, relay, veth;
  };
  EchoResults echo_all(bool with_synack, Duration run, std::uint64_t max) {
    // One server child per kernel connection; each accepts one and echoes until its FIN.
    Child srv1 = spawn({echo_.get()},
                       [this, run] { return serve_one(echo_.get(), Service::Echo, run + 60s); });
    Child srv2 = spawn({echo_.get()},
                       [this, run] { return serve_one(echo_.get(), Service::Echo, run + 60s); });
    EchoClient syn, relay, veth;
    if (with_synack) syn.open(s_.get(), kSynack, max);
    relay.open(a_.get(), kRelayB, max);
    veth.open(a_.get(), kVethB, max);
    constexpr int kSlices = 10;
    for (int k = 0; k < kSlices; ++k) {
      for (EchoClient* c : {&syn, &relay, &veth}) c->measure(run / kSlices, max);
    }
    EchoResults r;
    if (with_synack) r.synack = syn.finish();
    r.relay = relay.finish();
    r.veth = veth.finish();
    expected_in_ += syn.bytes_sent();
    srv1.wait(5s);
    srv2.wait(5s);
    return r;
  }

  void set_run(Duration d) { run_ = d; }

 private:
  static int relay(int a, int b, Instant until) {
    std::vector<char> buf(256 * 1024);  // a 64 KB super-frame and its header fit
    pollfd p[2] = {{a, POLLIN, 0}, {b, POLLIN, 0}};
    while (now() < until) {
      if (::poll(p, 2, 200) < 0 && errno != EINTR) return 1;
      for (int i = 0; i < 2; ++i) {
        if (!(p[i].revents & POLLIN)) continue;
        for (int k = 0; k < 64; ++k) {
          const ssize_t n = ::read(p[i].fd, buf.data(), buf.size());
          if (n <= 0) break;
          // A full queue on the other side drops the frame, as a wire would.
          (void)!::write(p[1 - i].fd, buf.data(), static_cast<std::size_t>(n));
        }
      }
    }
    return 0;
  }

  std::string synack_log() const {
    std::string text;
    char b[4096];
    for (off_t at = 0;;) {
      const ssize_t n = ::pread(log_.get(), b, sizeof b, at);
      if (n <= 0) break;
      text.append(b, static_cast<std::size_t>(n));
      at += n;
    }
    while (!text.empty() && text.back() == '\n') text.pop_back();
    return text;
  }

  std::string suffix_, tap_s_, tap_a_, tap_b_, veth_a_, veth_b_;
  UniqueFd s_, a_, b_;
  UniqueFd discard_, chargen_, echo_;
  UniqueFd log_;
  Child synack_, relay_;
  Duration run_ = 2s;
  std::uint64_t expected_in_ = 0;  // bytes the kernel client sent synack (discard, echo)
};

// Restores this thread's CPU mask when it goes (the rows around (d)/(e) run pinned).
class AllCpus {
 public:
  AllCpus() {
    CPU_ZERO(&saved_);
    saved_ok_ = ::sched_getaffinity(0, sizeof saved_, &saved_) == 0;
    all_cpus();
  }
  ~AllCpus() {
    if (saved_ok_) (void)::sched_setaffinity(0, sizeof saved_, &saved_);
  }
  AllCpus(const AllCpus&) = delete;
  AllCpus& operator=(const AllCpus&) = delete;

 private:
  cpu_set_t saved_;
  bool saved_ok_ = false;
};

}  // namespace

TapResults tap_bench(const TapPlan& plan, const std::function<void(const std::string&)>& progress) {
  TapResults r;
  AllCpus cpus;  // synack, the relay and the kernel's processes use both cores, as in use
  try {
    progress("over a TAP: namespaces, TAPs, veth");
    TapBench bench;
    bench.set_run(plan.transfer);
    for (const bool on : {true, false}) {
      const int m = on ? 1 : 0;
      const bool echo_here = plan.echo && on;  // (e) with the default, offload on
      if (!plan.bulk && !echo_here) continue;
      const std::string mode = on ? "offload on" : "offload off";
      // synack and the relay run side by side; the transfers take turns.
      progress("over a TAP, " + mode + ": synack and the kernel behind a TAP relay");
      const std::string failed_start = bench.start_synack(on);
      const bool synack_up = failed_start.empty();
      bench.start_relay(on);
      if (plan.bulk) {
        progress("over a TAP, " + mode + ": the kernel client sends");
        if (synack_up) r.synack_recv[m] = bench.to_synack();
        r.relay_recv[m] = bench.to_kernel(kRelayB);
        progress("over a TAP, " + mode + ": the kernel client receives");
        if (synack_up) r.synack_send[m] = bench.from_synack();
        r.relay_send[m] = bench.from_kernel(kRelayB);
      }
      if (echo_here) {
        progress("over a TAP and veth, " + mode + ": 1-byte echo round trips, in turns");
        auto e = bench.echo_all(synack_up, plan.echo_run, plan.echo_max);
        r.synack_echo = e.synack;
        r.relay_echo = e.relay;
        r.veth_echo = e.veth;
      }
      bench.stop_relay();
      // Not started, or what synack counted does not match what was sent: no synack
      // figure of this mode holds.
      std::string why = bench.stop_synack(on);
      if (!synack_up) why = failed_start;
      if (!why.empty()) {
        std::vector<TapOutcome<TapBulk>*> bulk = {&r.synack_recv[m], &r.synack_send[m]};
        for (auto* o : bulk) {
          o->failed = true;
          o->why = why;
          o->value.reset();
        }
        if (echo_here) {
          r.synack_echo.failed = true;
          r.synack_echo.why = why;
          r.synack_echo.value.reset();
        }
      }
    }
    if (plan.bulk) {
      progress("over veth: the kernel on both ends");
      r.veth_recv = bench.to_kernel(kVethB);
      r.veth_send = bench.from_kernel(kVethB);
    }
  } catch (const Unavailable& e) {
    r.unavailable = e.what();
  }
  return r;
}

}  // namespace synack::cli::bench

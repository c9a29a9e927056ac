// The kernel's side of `synack bench`: the same workloads over loopback TCP, run in
// a forked child that first moves into a network namespace of its own
// (unshare(CLONE_NEWNET)): its loopback gets the MTU the row asks for and its
// sysctls are the kernel defaults, and nothing of the machine's own network is
// touched. The child writes its result into a pipe and exits.
#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "bench.hpp"
#include "synack/link/event_loop.hpp"

namespace synack::cli::bench {
namespace {

// Why the kernel run in the child failed (sent to the parent in place of a result).
thread_local std::string g_child_error;

// Records what failed (with errno) and returns nullopt: for the child's workloads.
template <class T>
std::optional<T> child_failed(const char* what) {
  g_child_error = std::string(what) + ": " + std::strerror(errno);
  return std::nullopt;
}

double seconds(Duration d) {
  return std::chrono::duration<double>(d).count();
}

// Runs `fn` in a child inside a new network namespace whose loopback is up with
// `mtu`; the child's result (a trivially copyable T) comes back through a pipe.
// nullopt (and `why`) if the namespace cannot be made or the child failed.
template <class T, class Fn>
std::optional<T> in_private_netns(std::uint16_t mtu, std::string& why, Fn fn) {
  int fds[2];
  if (::pipe(fds) != 0) {
    why = std::string("pipe: ") + std::strerror(errno);
    return std::nullopt;
  }
  const pid_t pid = ::fork();
  if (pid < 0) {
    why = std::string("fork: ") + std::strerror(errno);
    ::close(fds[0]);
    ::close(fds[1]);
    return std::nullopt;
  }
  if (pid == 0) {
    ::close(fds[0]);
    // Status byte first: 0 = result follows, else an errno-like code.
    auto fail = [&](std::uint8_t code) {
      (void)!::write(fds[1], &code, 1);
      ::_exit(1);
    };
    if (::unshare(CLONE_NEWNET) != 0) fail(1);
    const int s = ::socket(AF_INET, SOCK_DGRAM, 0);
    ifreq ifr{};
    std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
    ifr.ifr_mtu = mtu;
    if (::ioctl(s, SIOCSIFMTU, &ifr) != 0) fail(2);
    if (::ioctl(s, SIOCGIFFLAGS, &ifr) != 0) fail(2);
    ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
    if (::ioctl(s, SIOCSIFFLAGS, &ifr) != 0) fail(2);
    ::close(s);
    pin_to_one_cpu();
    std::optional<T> r = fn();
    if (!r) {
      const std::uint8_t code = 3;
      (void)!::write(fds[1], &code, 1);
      (void)!::write(fds[1], g_child_error.data(),
                     std::min<std::size_t>(g_child_error.size(), 200));
      ::_exit(1);
    }
    std::uint8_t ok = 0;
    (void)!::write(fds[1], &ok, 1);
    (void)!::write(fds[1], &*r, sizeof(T));
    ::_exit(0);
  }
  ::close(fds[1]);
  std::uint8_t status = 255;
  T result{};
  const bool got_status = ::read(fds[0], &status, 1) == 1;
  const bool got_result = got_status && status == 0 &&
                          ::read(fds[0], &result, sizeof(T)) == static_cast<ssize_t>(sizeof(T));
  char text[201] = {};
  if (got_status && status == 3) (void)!::read(fds[0], text, 200);
  ::close(fds[0]);
  int wstatus = 0;
  ::waitpid(pid, &wstatus, 0);
  if (got_result) return result;
  switch (status) {
    case 1:
      why = "needs root (unshare(CLONE_NEWNET) refused)";
      break;
    case 2:
      why = "cannot configure the namespace's loopback";
      break;
    default:
      why = std::string("the kernel run failed: ") + text;
      break;
  }
  return std::nullopt;
}

sockaddr_in loopback(std::uint8_t last_octet, std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl((127u << 24) | last_octet);
  return a;
}

int listen_on(std::uint16_t port, int backlog) {
  const int l = ::socket(AF_INET, SOCK_STREAM, 0);
  const int on = 1;
  ::setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  sockaddr_in a = loopback(0, port);  // INADDR_ANY would do too; 127.0.0.0/8 is all local
  a.sin_addr.s_addr = htonl(INADDR_ANY);
  if (::bind(l, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(l, backlog) != 0) {
    ::close(l);
    return -1;
  }
  return l;
}

int connect_to(std::uint8_t last_octet, std::uint16_t port) {
  const int c = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a = loopback(last_octet, port);
  if (::connect(c, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(c);
    return -1;
  }
  return c;
}

// Slab memory in bytes (/proc/meminfo "Slab:"): the kernel's socket, inode, file and
// dentry objects all live there.
std::optional<std::uint64_t> slab_bytes() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  std::uint64_t kb = 0;
  std::string unit;
  while (in >> key >> kb) {
    std::getline(in, unit);
    if (key == "Slab:") return kb * 1024;
  }
  return std::nullopt;
}

}  // namespace

std::optional<BulkResult> kernel_bulk(std::uint16_t mtu, Duration run, std::string& why,
                                      std::size_t write) {
  return in_private_netns<BulkResult>(mtu, why, [run, write]() -> std::optional<BulkResult> {
    const int l = listen_on(9, 16);
    const int c = l < 0 ? -1 : connect_to(1, 9);
    const int s = c < 0 ? -1 : ::accept(l, nullptr, nullptr);
    if (s < 0) return child_failed<BulkResult>("listen/connect/accept");
    for (int fd : {c, s}) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    std::vector<char> out(write, 0x5a), in(write);
    std::uint64_t received = 0;
    auto step = [&] {
      while (::send(c, out.data(), out.size(), 0) > 0) {
      }
      for (;;) {
        const ssize_t n = ::recv(s, in.data(), in.size(), 0);
        if (n <= 0) break;
        received += static_cast<std::uint64_t>(n);
      }
    };
    auto timed = [&](Duration d) {
      const Instant start = link::monotonic_now();
      Instant t = start;
      while (t - start < d) {
        step();
        t = link::monotonic_now();
      }
      return t - start;
    };
    timed(run / 5);  // warm-up, as on synack's side
    received = 0;
    const Duration took = timed(run);
    BulkResult r;
    r.gbps = static_cast<double>(received) * 8 / seconds(took) / 1e9;
    return r;
  });
}

std::optional<ConnRateResult> kernel_conn_rate(Duration run, Closer first, std::string& why) {
  return in_private_netns<ConnRateResult>(
      65535, why, [run, first]() -> std::optional<ConnRateResult> {
        // Blocking sockets in one thread: over loopback connect() returns with the
        // handshake done and each write has reached the peer's queue when it returns.
        const int l = listen_on(9, 64);
        if (l < 0) return child_failed<ConnRateResult>("listen");
        ConnRateResult r;
        const Instant start = link::monotonic_now();
        Instant t = start;
        char b = 0x2a;
        while (t - start < run) {
          const int c = connect_to(1, 9);
          if (c < 0) {
            if (errno != EADDRNOTAVAIL) return child_failed<ConnRateResult>("connect");
            ++r.port_stalls;
            t = link::monotonic_now();
            continue;
          }
          const int s = ::accept(l, nullptr, nullptr);
          if (s < 0 || ::write(c, &b, 1) != 1 || ::read(s, &b, 1) != 1 || ::write(s, &b, 1) != 1 ||
              ::read(c, &b, 1) != 1) {
            return child_failed<ConnRateResult>("accept or the echo");
          }
          const int closer = first == Closer::Client ? c : s;
          const int other = first == Closer::Client ? s : c;
          ::close(closer);
          if (::read(other, &b, 1) != 0) return child_failed<ConnRateResult>("no FIN");
          ::close(other);
          ++r.connections;
          t = link::monotonic_now();
        }
        r.per_second = static_cast<double>(r.connections) / seconds(t - start);
        return r;
      });
}

std::optional<IdleMemoryResult> kernel_idle_memory(std::uint64_t connections, std::string& why) {
  return in_private_netns<IdleMemoryResult>(
      65535, why, [connections]() -> std::optional<IdleMemoryResult> {
        // Two fds per connection, and the fd limit may not be raised (no
        // CAP_SYS_RESOURCE here): worker processes hold kPerWorker connections each,
        // made one worker after the other; they wait, idle, until the count is read.
        constexpr std::uint64_t kPerWorker = 4000;
        // The namespace's own port range (a per-namespace sysctl), and several
        // destination addresses so that 4-tuples never run out.
        std::ofstream("/proc/sys/net/ipv4/ip_local_port_range") << "1024 65535";
        const int l = listen_on(9, 4096);
        if (l < 0) return child_failed<IdleMemoryResult>("listen");
        int quit[2];
        if (::pipe(quit) != 0) return child_failed<IdleMemoryResult>("pipe");
        const auto before = slab_bytes();
        if (!before) return child_failed<IdleMemoryResult>("/proc/meminfo");
        std::vector<pid_t> workers;
        auto stop_workers = [&] {
          ::close(quit[1]);
          for (pid_t w : workers) ::waitpid(w, nullptr, 0);
        };
        for (std::uint64_t made = 0; made < connections; made += kPerWorker) {
          const std::uint64_t mine = std::min(kPerWorker, connections - made);
          int ready[2];
          if (::pipe(ready) != 0) return child_failed<IdleMemoryResult>("pipe");
          const pid_t w = ::fork();
          if (w == 0) {
            ::close(quit[1]);
            ::close(ready[0]);
            std::vector<int> fds;
            fds.reserve(2 * mine);
            char ok = 1;
            for (std::uint64_t i = 0; i < mine && ok; ++i) {
              const int c = connect_to(static_cast<std::uint8_t>(1 + (made + i) % 32), 9);
              const int s = c < 0 ? -1 : ::accept(l, nullptr, nullptr);
              ok = s >= 0;
              fds.push_back(c);
              fds.push_back(s);
            }
            (void)!::write(ready[1], &ok, 1);
            char b;
            (void)!::read(quit[0], &b, 1);  // returns when the parent closes its end
            ::_exit(0);
          }
          ::close(ready[1]);
          char ok = 0;
          const bool heard = w > 0 && ::read(ready[0], &ok, 1) == 1;
          ::close(ready[0]);
          if (w > 0) workers.push_back(w);
          if (!heard || !ok) {
            stop_workers();
            return child_failed<IdleMemoryResult>("a worker's connect/accept");
          }
        }
        const auto after = slab_bytes();
        stop_workers();
        if (!after) return child_failed<IdleMemoryResult>("/proc/meminfo");
        IdleMemoryResult r;
        r.connections = connections;
        r.bytes_per_endpoint =
            static_cast<double>(*after - *before) / static_cast<double>(2 * connections);
        return r;
      });
}

void pin_to_one_cpu() {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(0, &set);
  (void)::sched_setaffinity(0, sizeof set, &set);
}

}  // namespace synack::cli::bench

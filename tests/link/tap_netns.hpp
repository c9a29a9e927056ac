// Helpers for tests on a real TAP: a private network namespace that is always
// deleted, shell commands with their output, and a forked child that enters
// the namespace and reports back through a pipe. Every wait is bounded.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <string_view>

namespace synack::link::test {

#define SYNACK_REQUIRE_ROOT()                                                           \
  do {                                                                                  \
    if (::geteuid() != 0) {                                                             \
      GTEST_SKIP() << "needs root (CAP_NET_ADMIN) to create a network namespace and a " \
                      "TAP; CI runs this test as root";                                 \
    }                                                                                   \
  } while (0)

// Runs a shell command; returns its exit status (-1 if it did not exit normally).
inline int sh(const std::string& cmd) {
  const int rc = std::system(cmd.c_str());
  return rc != -1 && WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

// Runs a shell command and returns its stdout (stderr is merged in).
inline std::string capture(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  if (p == nullptr) return out;
  std::array<char, 4096> buf{};
  while (std::fgets(buf.data(), static_cast<int>(buf.size()), p) != nullptr) out += buf.data();
  ::pclose(p);
  return out;
}

// A network namespace named PREFIX-PID, deleted when this goes out of scope.
class Netns {
 public:
  explicit Netns(std::string_view prefix)
      : name_(std::string(prefix) + "-" + std::to_string(::getpid())) {
    sh("ip netns del " + name_ + " 2>/dev/null");  // a leftover from a crashed run
    ok_ = sh("ip netns add " + name_) == 0 && sh("ip -n " + name_ + " link set lo up") == 0;
  }
  ~Netns() { sh("ip netns del " + name_ + " 2>/dev/null"); }
  Netns(const Netns&) = delete;
  Netns& operator=(const Netns&) = delete;

  bool ok() const { return ok_; }
  const std::string& name() const { return name_; }
  // "ip netns exec NAME <cmd>" bounded by `seconds`.
  std::string exec(const std::string& cmd, int seconds = 20) const {
    return "timeout " + std::to_string(seconds) + " ip netns exec " + name_ + " " + cmd;
  }
  int ip(const std::string& args) const { return sh("ip -n " + name_ + " " + args); }

 private:
  std::string name_;
  bool ok_ = false;
};

// Moves the calling thread (in a fresh child: the process) into namespace `ns`.
inline bool enter_netns(const std::string& ns) {
  const int fd = ::open(("/run/netns/" + ns).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool ok = ::setns(fd, CLONE_NEWNET) == 0;
  ::close(fd);
  return ok;
}

// A forked child that runs `body(report_fd)` inside a namespace; it writes
// "key=value" lines to report_fd. SIGINT/SIGTERM are blocked in the child from
// the start, so they wait for its event loop's signalfd instead of killing it.
class Child {
 public:
  Child(const std::string& ns, const std::function<int(int)>& body) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
      ::close(fds[0]);
      sigset_t set;
      sigemptyset(&set);
      sigaddset(&set, SIGINT);
      sigaddset(&set, SIGTERM);
      sigprocmask(SIG_BLOCK, &set, nullptr);
      int rc = 90;
      if (enter_netns(ns)) rc = body(fds[1]);
      ::close(fds[1]);
      ::_exit(rc);  // no gtest teardown, no atexit handlers in the child
    }
    ::close(fds[1]);
    read_fd_ = fds[0];
    if (pid_ < 0) {
      ::close(read_fd_);
      read_fd_ = -1;
    }
  }
  ~Child() {
    if (pid_ > 0 && !reaped_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (read_fd_ >= 0) ::close(read_fd_);
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  bool started() const { return pid_ > 0; }
  void signal(int sig) const {
    if (pid_ > 0 && !reaped_) ::kill(pid_, sig);
  }

  // Reads reports until a line "key=..." has arrived (or EOF / timeout).
  bool wait_for(const std::string& key, std::chrono::milliseconds timeout) {
    const auto end = std::chrono::steady_clock::now() + timeout;
    while (reports_.count(key) == 0) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          end - std::chrono::steady_clock::now());
      if (left.count() <= 0 || !read_some(static_cast<int>(left.count()))) return false;
    }
    return true;
  }

  // Reads to EOF and reaps the child; SIGKILLs it after `timeout`. Returns the
  // exit code, or -1 if it was killed or died by a signal.
  int finish(std::chrono::milliseconds timeout) {
    const auto end = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          end - std::chrono::steady_clock::now());
      if (left.count() <= 0 || !read_some(static_cast<int>(left.count()))) break;
    }
    // EOF comes a moment before the exit: give the child until the deadline.
    int status = 0;
    pid_t done = 0;
    while ((done = ::waitpid(pid_, &status, WNOHANG)) == 0 &&
           std::chrono::steady_clock::now() < end) {
      ::usleep(1000);
    }
    reaped_ = true;
    if (done != pid_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
      return -1;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  // Value of a reported key ("" if never reported); u64() parses it.
  std::string get(const std::string& key) const {
    auto it = reports_.find(key);
    return it == reports_.end() ? std::string() : it->second;
  }
  std::uint64_t u64(const std::string& key) const {
    const std::string v = get(key);
    return v.empty() ? ~std::uint64_t{0} : std::stoull(v);
  }
  const std::string& raw() const { return raw_; }

 private:
  // One poll+read; false on EOF, error or timeout.
  bool read_some(int timeout_ms) {
    pollfd p{read_fd_, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) return false;
    char buf[1024];
    const ssize_t n = ::read(read_fd_, buf, sizeof buf);
    if (n <= 0) return false;
    raw_.append(buf, static_cast<std::size_t>(n));
    parse_lines();
    return true;
  }
  void parse_lines() {
    std::size_t nl;
    while ((nl = raw_.find('\n', parsed_)) != std::string::npos) {
      const std::string line = raw_.substr(parsed_, nl - parsed_);
      parsed_ = nl + 1;
      const auto eq = line.find('=');
      if (eq != std::string::npos) reports_[line.substr(0, eq)] = line.substr(eq + 1);
    }
  }

  pid_t pid_ = -1;
  int read_fd_ = -1;
  bool reaped_ = false;
  std::string raw_;
  std::size_t parsed_ = 0;
  std::map<std::string, std::string> reports_;
};

// Writes one "key=value\n" report line from the child.
inline void report(int fd, const std::string& key, const std::string& value) {
  const std::string line = key + "=" + value + "\n";
  [[maybe_unused]] ssize_t n = ::write(fd, line.data(), line.size());
}
inline void report(int fd, const std::string& key, std::uint64_t value) {
  report(fd, key, std::to_string(value));
}

}  // namespace synack::link::test

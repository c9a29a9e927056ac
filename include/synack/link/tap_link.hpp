// TapLink: a Linux TAP interface as a frame link for a sans-I/O Stack.
//
// The kernel side of the TAP is an ordinary Ethernet interface (it may carry its
// own address and talk to us with ping/nc/curl); every frame the kernel sends on
// it is read here, every frame written here is received by the kernel.
//
// open() attaches to an existing TAP (pre-created with `ip tuntap add IF mode
// tap`) or creates one, brings the link up and leaves a non-blocking fd that
// an event loop polls. A TAP we created is not persistent: the kernel deletes it
// when the fd is closed. Nothing throws; failures come back as TapError.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "synack/base/bytes.hpp"
#include "synack/base/result.hpp"
#include "synack/wire/addr.hpp"

namespace synack::link {

// An owned file descriptor (closed on destruction, movable).
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& o) noexcept : fd_(o.release()) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void reset(int fd = -1);

 private:
  int fd_ = -1;
};

enum class TapErrorCode : std::uint8_t {
  NoPermission,  // EPERM/EACCES: needs CAP_NET_ADMIN, or the TAP belongs to another user
  NoDevice,      // /dev/net/tun is missing (no tun module, or not in this container)
  NameTooLong,   // more than 15 bytes (IFNAMSIZ - 1); checked before any syscall
  InvalidName,   // empty, ".", "..", or contains '/', ':' or whitespace
  Busy,          // EBUSY: another process holds the (single-queue) TAP
  WouldBlock,    // write(): the device queue is full now; the caller keeps the frame
  Other,         // anything else: see sys_errno and step
};

struct TapError {
  TapErrorCode code = TapErrorCode::Other;
  int sys_errno = 0;      // 0 when the error was detected without a syscall
  std::string_view step;  // what failed, e.g. "ioctl(TUNSETIFF)" (a static string)

  // One line for a user: "cannot open TAP 'tap0': ioctl(TUNSETIFF): Operation not permitted".
  std::string message() const;
};

std::string_view to_string(TapErrorCode c);

struct TapOptions {
  bool bring_up = true;         // set IFF_UP on the interface (SIOCSIFFLAGS)
  std::size_t read_batch = 64;  // most frames read_batch() returns in one call
};

struct TapStats {
  std::uint64_t rx_frames = 0;
  std::uint64_t rx_bytes = 0;
  std::uint64_t rx_errors = 0;  // read() failed with something other than EAGAIN
  std::uint64_t tx_frames = 0;
  std::uint64_t tx_bytes = 0;
  std::uint64_t tx_would_block = 0;  // write() returned EAGAIN (the frame is the caller's)
  std::uint64_t tx_errors = 0;       // write() failed otherwise (e.g. EIO while the link is down)
};

class TapLink {
 public:
  static constexpr std::size_t kMaxNameLen = 15;  // IFNAMSIZ - 1

  static Result<TapLink, TapError> open(std::string_view name, const TapOptions& options = {});
  // A frame device on an fd opened elsewhere: one Ethernet frame per read(2)/write(2)
  // (a TAP set up by another program, or a SOCK_SEQPACKET socketpair in tests). Made
  // non-blocking; frames up to `frame_capacity` bytes. mtu() and kernel_mac() need a
  // TAP interface called `name`.
  static TapLink adopt(UniqueFd fd, std::string name, std::size_t frame_capacity,
                       const TapOptions& options = {});

  TapLink(TapLink&&) noexcept = default;
  TapLink& operator=(TapLink&&) noexcept = default;

  int fd() const { return fd_.get(); }
  const std::string& name() const { return name_; }
  // True if open() created the interface (it vanishes when this TapLink closes).
  bool created() const { return created_; }

  // The interface MTU (SIOCGIFMTU): the largest IP packet, not counting Ethernet.
  Result<std::size_t, TapError> mtu() const;
  // The kernel side's MAC address (SIOCGIFHWADDR); the stack must use another one.
  Result<wire::MacAddr, TapError> kernel_mac() const;

  // Reads frames until EAGAIN or the batch limit. The frames are views into
  // buffers owned by this TapLink, valid until the next read_batch().
  // EAGAIN with nothing read is an empty batch, not an error.
  Result<std::size_t, TapError> read_batch();
  const std::vector<Bytes>& batch() const { return batch_; }

  // Writes one complete Ethernet frame. EAGAIN reports WouldBlock (counted) and the
  // frame stays the caller's: EventLoop keeps it until the fd is writable again.
  Status<TapError> write(Bytes frame);

  const TapStats& stats() const { return stats_; }

 private:
  TapLink(UniqueFd fd, std::string name, bool created, std::size_t batch, std::size_t frame_cap);

  UniqueFd fd_;
  std::string name_;
  bool created_ = false;
  std::size_t frame_capacity_ = 0;
  std::vector<ByteVec> buffers_;  // one per batch slot, allocated once
  std::vector<Bytes> batch_;
  TapStats stats_;
};

}  // namespace synack::link

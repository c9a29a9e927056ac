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
#include "synack/link/link.hpp"
#include "synack/stack/types.hpp"
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
  // IFF_VNET_HDR with checksum offload and TSO in both directions (link/vnet_hdr.hpp),
  // when the kernel accepts them; false: plain frames, one per MTU, as without it.
  bool offload = true;
};

// How the frames on the fd are framed.
enum class TapFraming : std::uint8_t {
  Plain,    // one bare Ethernet frame per read(2)/write(2)
  VnetHdr,  // each preceded by a 10-byte virtio_net_hdr (IFF_VNET_HDR)
};

// LinkStats (rx_errors: read() failed with something other than EAGAIN, or a frame
// was cut; tx_would_block: write() returned EAGAIN, the frame is the caller's;
// tx_errors: write() failed otherwise, e.g. EIO while the link is down) and:
struct TapStats : LinkStats {
  // With offloads (IFF_VNET_HDR):
  std::uint64_t rx_bad_vnet_hdr = 0;  // frames dropped: header inconsistent with the frame
  std::uint64_t rx_super_frames = 0;  // GSO/GRO super-frames (gso_type TCPV4/6)
  std::uint64_t rx_csum_partial = 0;  // VIRTIO_NET_HDR_F_NEEDS_CSUM
  std::uint64_t rx_csum_valid = 0;    // VIRTIO_NET_HDR_F_DATA_VALID
  std::uint64_t tx_super_frames = 0;  // TSO writes (the kernel segments them)
  std::uint64_t tx_csum_partial = 0;  // writes whose checksum the kernel finishes
};

class TapLink final : public Link {
 public:
  static constexpr std::size_t kMaxNameLen = 15;  // IFNAMSIZ - 1

  static Result<TapLink, TapError> open(std::string_view name, const TapOptions& options = {});
  // A frame device on an fd opened elsewhere: one Ethernet frame per read(2)/write(2)
  // (a TAP set up by another program, or a SOCK_SEQPACKET socketpair in tests). Made
  // non-blocking; frames up to `frame_capacity` bytes. mtu() and kernel_mac() need a
  // TAP interface called `name`.
  // With TapFraming::VnetHdr the fd's frames carry a virtio_net_hdr (the other side
  // set the TAP up with IFF_VNET_HDR, or a test plays the kernel); options.offload is
  // ignored here: the framing says it.
  static TapLink adopt(UniqueFd fd, std::string name, std::size_t frame_capacity,
                       const TapOptions& options = {}, TapFraming framing = TapFraming::Plain);

  TapLink(TapLink&&) noexcept = default;
  TapLink& operator=(TapLink&&) noexcept = default;

  int fd() const { return fd_.get(); }
  const std::string& name() const override { return name_; }
  // True if open() created the interface (it vanishes when this TapLink closes).
  bool created() const { return created_; }
  TapFraming framing() const { return framing_; }
  // The TUN_F_* offloads the kernel accepted (TUNSETOFFLOAD): what it may send us.
  unsigned rx_offloads() const { return rx_offloads_; }
  // What the kernel finishes for frames we write: with a virtio_net_hdr it takes
  // NEEDS_CSUM and TCPv4 and TCPv6 GSO frames (up to a 64 KB IP packet) whatever
  // TUNSETOFFLOAD said, which is about the other direction.
  stack::LinkOffloads tx_offloads() const override;

  // The interface MTU (SIOCGIFMTU): the largest IP packet, not counting Ethernet.
  Result<std::size_t, TapError> mtu() const;
  // The kernel side's MAC address (SIOCGIFHWADDR); the stack must use another one.
  Result<wire::MacAddr, TapError> kernel_mac() const;

  // Reads frames until EAGAIN or the batch limit. The frames are views into
  // buffers owned by this TapLink, valid until the next read_batch().
  // EAGAIN with nothing read is an empty batch, not an error.
  // With a virtio_net_hdr, frames up to a 64 KB IP packet (super-frames) and the
  // header's meaning in batch_meta(); the header itself is not in the frame.
  Result<std::size_t, TapError> read_batch();
  const std::vector<Bytes>& batch() const { return batch_; }
  // One per batch() frame: what the virtio_net_hdr said (the default without one).
  const std::vector<stack::RxMeta>& batch_meta() const { return meta_; }

  // Writes one Ethernet frame, with `tx` (a checksum to finish, a super-segment to
  // cut) in its virtio_net_hdr. EAGAIN reports WouldBlock (counted) and the frame
  // stays the caller's: EventLoop keeps it until the fd is writable again. A `tx` that
  // asks for anything on a plain TAP is refused (Other, counted in tx_errors): the
  // stack only asks links that offered (tx_offloads()).
  Status<TapError> write(Bytes frame, const stack::TxMeta& tx = {});

  const TapStats& stats() const override { return stats_; }

  // --- Link: what an EventLoop uses (the fd, read_batch(), write()) ----------------
  int poll_fd() const override { return fd_.get(); }
  Result<RxBatch, LinkError> receive() override;
  TxStatus transmit(Bytes frame, const stack::TxMeta& tx) override;

 private:
  TapLink(UniqueFd fd, std::string name, bool created, std::size_t batch, std::size_t frame_cap,
          TapFraming framing, unsigned rx_offloads);

  UniqueFd fd_;
  std::string name_;
  bool created_ = false;
  TapFraming framing_ = TapFraming::Plain;
  unsigned rx_offloads_ = 0;
  std::size_t frame_capacity_ = 0;  // the largest frame read, without the vnet header
  std::vector<ByteVec> buffers_;    // one per batch slot, allocated once
  std::vector<Bytes> batch_;
  std::vector<stack::RxMeta> meta_;
  TapStats stats_;
};

}  // namespace synack::link

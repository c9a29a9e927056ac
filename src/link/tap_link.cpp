#include "synack/link/tap_link.hpp"

#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <utility>

#include "synack/link/vnet_hdr.hpp"

namespace synack::link {

namespace {

constexpr const char* kTunPath = "/dev/net/tun";
// Ethernet header plus room for two VLAN tags (QinQ) on top of the MTU.
constexpr std::size_t kL2Overhead = 14 + 8;
constexpr std::size_t kMinMtu = 1500;
// With offloads a read may return a GSO/GRO super-frame: an IPv4 packet of up to
// 64 KB (its 16-bit total length) behind the Ethernet header.
constexpr std::size_t kMaxIpPacket = 65535;
constexpr std::size_t kMaxSuperFrame = kL2Overhead + kMaxIpPacket;
// TUNSETOFFLOAD: what we can take from the kernel. TSO needs CSUM (the segments of a
// super-frame carry partial checksums). TSO6 is accepted for completeness (IPv6
// frames are dropped by the stack either way); UFO/USO are not: the stack would get
// one UDP datagram where the sender wrote several.
constexpr unsigned kWantedOffloads = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6;

TapError sys_error(std::string_view step, int err) {
  TapErrorCode code = TapErrorCode::Other;
  switch (err) {
    case EPERM:
    case EACCES:
      code = TapErrorCode::NoPermission;
      break;
    case EBUSY:
      code = TapErrorCode::Busy;
      break;
    case EAGAIN:
      code = TapErrorCode::WouldBlock;
      break;
    default:
      break;
  }
  return TapError{code, err, step};
}

// The kernel's dev_valid_name() rules, so that a bad name is reported as such
// rather than as an EINVAL from some ioctl.
bool valid_name(std::string_view name) {
  if (name.empty() || name == "." || name == "..") return false;
  return std::none_of(name.begin(), name.end(), [](char c) {
    return c == '/' || c == ':' || c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
           c == '\f' || c == '\0';
  });
}

ifreq make_ifreq(std::string_view name) {
  ifreq ifr{};
  std::memcpy(ifr.ifr_name, name.data(), std::min(name.size(), std::size_t{IFNAMSIZ - 1}));
  return ifr;
}

// The interface ioctls (SIOC*IF*) need some socket in the TAP's network namespace.
Result<UniqueFd, TapError> control_socket() {
  UniqueFd s(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!s.valid()) return Err{sys_error("socket(AF_INET)", errno)};
  return s;
}

Result<ifreq, TapError> ifreq_ioctl(const std::string& name, unsigned long request,
                                    std::string_view step) {
  auto s = control_socket();
  if (!s) return Err{s.error()};
  ifreq ifr = make_ifreq(name);
  if (::ioctl(s->get(), request, &ifr) < 0) return Err{sys_error(step, errno)};
  return ifr;
}

Status<TapError> bring_up(const std::string& name) {
  auto s = control_socket();
  if (!s) return Err{s.error()};
  ifreq ifr = make_ifreq(name);
  if (::ioctl(s->get(), SIOCGIFFLAGS, &ifr) < 0)
    return Err{sys_error("ioctl(SIOCGIFFLAGS)", errno)};
  if ((ifr.ifr_flags & IFF_UP) != 0) return {};
  ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
  if (::ioctl(s->get(), SIOCSIFFLAGS, &ifr) < 0)
    return Err{sys_error("ioctl(SIOCSIFFLAGS)", errno)};
  return {};
}

bool interface_exists(const std::string& name) {
  return ::if_nametoindex(name.c_str()) != 0;
}

// Sets up IFF_VNET_HDR framing on a TAP fd; returns the TUN_F_* offloads the kernel
// accepted (the header itself works without any). Fails only if the header size
// cannot be set: then the caller goes back to plain frames.
Result<unsigned, TapError> setup_vnet_hdr(int fd) {
  int len = static_cast<int>(VnetHdr::kLen);
  if (::ioctl(fd, TUNSETVNETHDRSZ, &len) < 0)
    return Err{sys_error("ioctl(TUNSETVNETHDRSZ)", errno)};
  // Little-endian fields on any host (virtio 1.0); a kernel without the ioctl is a
  // little-endian-only one for this purpose (legacy virtio is native-endian).
  int le = 1;
  (void)::ioctl(fd, TUNSETVNETLE, &le);
  // The newest kernels accept everything we ask; older ones may refuse TSO6 or TSO:
  // fall back to less rather than to nothing.
  for (unsigned want :
       {kWantedOffloads, unsigned{TUN_F_CSUM | TUN_F_TSO4}, unsigned{TUN_F_CSUM}, 0u}) {
    if (::ioctl(fd, TUNSETOFFLOAD, static_cast<unsigned long>(want)) == 0) return want;
  }
  return 0u;
}

}  // namespace

UniqueFd& UniqueFd::operator=(UniqueFd&& o) noexcept {
  if (this != &o) reset(o.release());
  return *this;
}

void UniqueFd::reset(int fd) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

std::string_view to_string(TapErrorCode c) {
  switch (c) {
    case TapErrorCode::NoPermission:
      return "permission denied (needs CAP_NET_ADMIN or ownership of the TAP)";
    case TapErrorCode::NoDevice:
      return "/dev/net/tun not found (is the tun module loaded?)";
    case TapErrorCode::NameTooLong:
      return "interface name longer than 15 bytes";
    case TapErrorCode::InvalidName:
      return "invalid interface name";
    case TapErrorCode::Busy:
      return "TAP is in use by another process";
    case TapErrorCode::WouldBlock:
      return "device queue full";
    case TapErrorCode::Other:
      return "system error";
  }
  return "unknown error";
}

std::string TapError::message() const {
  std::string m(to_string(code));
  if (!step.empty()) {
    m += " [";
    m += step;
    if (sys_errno != 0) {
      m += ": ";
      m += std::strerror(sys_errno);
    }
    m += "]";
  }
  return m;
}

TapLink::TapLink(UniqueFd fd, std::string name, bool created, std::size_t batch,
                 std::size_t frame_cap, TapFraming framing, unsigned rx_offloads)
    : fd_(std::move(fd)),
      name_(std::move(name)),
      created_(created),
      framing_(framing),
      rx_offloads_(rx_offloads),
      frame_capacity_(framing == TapFraming::VnetHdr ? std::max(frame_cap, kMaxSuperFrame)
                                                     : frame_cap),
      buffers_(std::max<std::size_t>(batch, 1),
               ByteVec(frame_capacity_ + (framing == TapFraming::VnetHdr ? VnetHdr::kLen : 0))) {
  batch_.reserve(buffers_.size());
  meta_.reserve(buffers_.size());
}

stack::LinkOffloads TapLink::tx_offloads() const {
  if (framing_ != TapFraming::VnetHdr) return {};
  return stack::LinkOffloads{true, kMaxIpPacket, kMaxIpPacket};
}

Result<TapLink, TapError> TapLink::open(std::string_view name, const TapOptions& options) {
  if (name.size() > kMaxNameLen) return Err{TapError{TapErrorCode::NameTooLong, 0, {}}};
  if (!valid_name(name)) return Err{TapError{TapErrorCode::InvalidName, 0, {}}};
  std::string ifname(name);
  const bool existed = interface_exists(ifname);

  UniqueFd fd(::open(kTunPath, O_RDWR | O_NONBLOCK | O_CLOEXEC));
  if (!fd.valid()) {
    int err = errno;
    if (err == ENOENT || err == ENXIO || err == ENODEV) {
      return Err{TapError{TapErrorCode::NoDevice, err, "open(/dev/net/tun)"}};
    }
    return Err{sys_error("open(/dev/net/tun)", err)};
  }
  // IFF_NO_PI: frames come and go without the 4-byte packet-information prefix.
  // IFF_VNET_HDR: with a virtio_net_hdr instead, which carries the offloads.
  ifreq ifr = make_ifreq(ifname);
  ifr.ifr_flags = static_cast<short>(IFF_TAP | IFF_NO_PI | (options.offload ? IFF_VNET_HDR : 0));
  if (::ioctl(fd.get(), TUNSETIFF, &ifr) < 0) return Err{sys_error("ioctl(TUNSETIFF)", errno)};
  TapFraming framing = TapFraming::Plain;
  unsigned offloads = 0;
  if (options.offload) {
    if (auto accepted = setup_vnet_hdr(fd.get())) {
      framing = TapFraming::VnetHdr;
      offloads = *accepted;
    } else {
      // The header is on (TUNSETIFF took the flag) but its size could not be set: no
      // safe way to frame, so start again without it.
      return open(name, TapOptions{options.bring_up, options.read_batch, false});
    }
  } else {
    // The offloads are the device's, not this fd's: a TAP that an earlier reader set up
    // with them (a persistent one, `ip tuntap add`) keeps them, and the kernel would go
    // on sending partial checksums and super-frames that a plain read cannot tell apart
    // from broken ones. None: the kernel finishes every frame, as for a fresh TAP.
    (void)::ioctl(fd.get(), TUNSETOFFLOAD, 0ul);
  }

  if (options.bring_up) {
    if (auto st = bring_up(ifname); !st) return Err{st.error()};
  }
  auto mtu_req = ifreq_ioctl(ifname, SIOCGIFMTU, "ioctl(SIOCGIFMTU)");
  if (!mtu_req) return Err{mtu_req.error()};
  const std::size_t mtu =
      std::max<std::size_t>(static_cast<std::size_t>(mtu_req->ifr_mtu), kMinMtu);
  return TapLink(std::move(fd), std::move(ifname), !existed, options.read_batch, mtu + kL2Overhead,
                 framing, offloads);
}

TapLink TapLink::adopt(UniqueFd fd, std::string name, std::size_t frame_capacity,
                       const TapOptions& options, TapFraming framing) {
  const int flags = ::fcntl(fd.get(), F_GETFL);
  if (flags >= 0) ::fcntl(fd.get(), F_SETFL, flags | O_NONBLOCK);
  // Adopted with a header: we cannot know what the other side was told, so assume it
  // may send anything a TAP with all our offloads would.
  return TapLink(std::move(fd), std::move(name), false, options.read_batch, frame_capacity, framing,
                 framing == TapFraming::VnetHdr ? kWantedOffloads : 0u);
}

Result<std::size_t, TapError> TapLink::mtu() const {
  auto ifr = ifreq_ioctl(name_, SIOCGIFMTU, "ioctl(SIOCGIFMTU)");
  if (!ifr) return Err{ifr.error()};
  return static_cast<std::size_t>(ifr->ifr_mtu);
}

Result<wire::MacAddr, TapError> TapLink::kernel_mac() const {
  auto ifr = ifreq_ioctl(name_, SIOCGIFHWADDR, "ioctl(SIOCGIFHWADDR)");
  if (!ifr) return Err{ifr.error()};
  wire::MacAddr mac;
  for (std::size_t i = 0; i < mac.octets.size(); ++i) {
    mac.octets[i] = static_cast<std::uint8_t>(ifr->ifr_hwaddr.sa_data[i]);
  }
  return mac;
}

Result<std::size_t, TapError> TapLink::read_batch() {
  batch_.clear();
  meta_.clear();
  const std::size_t hdr = framing_ == TapFraming::VnetHdr ? VnetHdr::kLen : 0;
  for (auto& buf : buffers_) {
    if (buf.size() < hdr + frame_capacity_) buf.resize(hdr + frame_capacity_);
    const ssize_t n = ::read(fd_.get(), buf.data(), buf.size());
    if (n < 0) {
      const int err = errno;
      if (err == EAGAIN || err == EINTR) break;
      ++stats_.rx_errors;
      if (batch_.empty()) return Err{sys_error("read(tap)", err)};
      break;  // report the error on the next call, after these frames are handled
    }
    const auto len = static_cast<std::size_t>(n);
    if (len > buf.size()) {
      // The TAP reports a frame's full length even when it had to cut it to fit
      // (the MTU was raised after open): drop it, and make room for the next one.
      ++stats_.rx_errors;
      frame_capacity_ = len - hdr;
      continue;
    }
    stack::RxMeta meta;
    if (hdr != 0) {
      const auto h = len >= hdr ? VnetHdr::decode(Bytes(buf).first(hdr)) : std::nullopt;
      const auto m = h ? rx_meta(*h, len - hdr) : std::nullopt;
      if (!m) {
        ++stats_.rx_bad_vnet_hdr;
        continue;
      }
      meta = *m;
      if (meta.gso_size != 0) ++stats_.rx_super_frames;
      if (meta.checksum == stack::RxChecksum::Partial) ++stats_.rx_csum_partial;
      if (meta.checksum == stack::RxChecksum::Verified) ++stats_.rx_csum_valid;
    }
    ++stats_.rx_frames;
    stats_.rx_bytes += len - hdr;
    batch_.emplace_back(buf.data() + hdr, len - hdr);
    meta_.push_back(meta);
  }
  return batch_.size();
}

Status<TapError> TapLink::write(Bytes frame, const stack::TxMeta& tx) {
  ssize_t n = 0;
  if (framing_ == TapFraming::VnetHdr) {
    // The header and the frame in one writev: the TAP takes them as one packet.
    std::array<std::byte, VnetHdr::kLen> hdr{};
    VnetHdr::from_tx(tx).encode(hdr);
    std::array<iovec, 2> iov{iovec{hdr.data(), hdr.size()},
                             iovec{const_cast<std::byte*>(frame.data()), frame.size()}};
    n = ::writev(fd_.get(), iov.data(), static_cast<int>(iov.size()));
  } else if (tx != stack::TxMeta{}) {
    ++stats_.tx_errors;
    return Err{TapError{TapErrorCode::Other, EINVAL, "write(tap): offload on a plain TAP"}};
  } else {
    n = ::write(fd_.get(), frame.data(), frame.size());
  }
  if (n < 0) {
    const int err = errno;
    if (err == EAGAIN) {
      ++stats_.tx_would_block;
    } else {
      ++stats_.tx_errors;
    }
    return Err{sys_error("write(tap)", err)};
  }
  ++stats_.tx_frames;
  stats_.tx_bytes += frame.size();
  if (tx.gso_size != 0) ++stats_.tx_super_frames;
  if (tx.needs_checksum()) ++stats_.tx_csum_partial;
  return {};
}

Result<RxBatch, LinkError> TapLink::receive() {
  auto n = read_batch();
  if (!n) return Err{LinkError{n.error().sys_errno, "read(tap)"}};
  return RxBatch{batch_, meta_};
}

TxStatus TapLink::transmit(Bytes frame, const stack::TxMeta& tx) {
  auto st = write(frame, tx);
  if (st) return TxStatus::Sent;
  return st.error().code == TapErrorCode::WouldBlock ? TxStatus::WouldBlock : TxStatus::Dropped;
}

}  // namespace synack::link

#include "synack/stack/udp.hpp"

#include <utility>

namespace synack::stack {

namespace {
constexpr std::uint16_t kEphemeralFirst = 49152;
constexpr std::uint32_t kEphemeralCount = 65536 - kEphemeralFirst;

// Whether two bound addresses share a local address: equal, either is :: (every
// address of both families), or 0.0.0.0 and any IPv4 address.
bool overlaps(const wire::IpAddr& a, const wire::IpAddr& b) {
  if (a == b) return true;
  const auto dual = [](const wire::IpAddr& x) { return x.is_v6() && x.is_unspecified(); };
  if (dual(a) || dual(b)) return true;
  return a.is_v4() && b.is_v4() && (a.is_unspecified() || b.is_unspecified());
}

// :: is the smallest IpAddr, so a port's bindings start at (port, ::).
constexpr wire::IpAddr kDualStack{wire::Ipv6Addr::unspecified()};

}  // namespace

// A wildcard binding overlaps every address it covers on the same port, and vice
// versa (the BSD rule without SO_REUSEADDR); :: and 0.0.0.0 overlap, as on Linux
// without IPV6_V6ONLY.
bool UdpTable::port_conflicts(const wire::IpAddr& addr, std::uint16_t port) const {
  for (auto it = bindings_.lower_bound(BindKey{port, kDualStack});
       it != bindings_.end() && it->first.first == port; ++it) {
    if (overlaps(addr, it->first.second)) return true;
  }
  return false;
}

Result<UdpSocketId, BindError> UdpTable::bind(const wire::IpAddr& addr, std::uint16_t port,
                                              Random& rng) {
  if (sockets_.size() >= max_sockets_) return Err{BindError::TooManySockets};
  if (port == 0) {
    auto start = static_cast<std::uint32_t>(rng.below(kEphemeralCount));
    for (std::uint32_t i = 0; i < kEphemeralCount; ++i) {
      auto candidate = static_cast<std::uint16_t>(kEphemeralFirst + (start + i) % kEphemeralCount);
      if (!port_conflicts(addr, candidate)) {
        port = candidate;
        break;
      }
    }
    if (port == 0) return Err{BindError::NoFreePort};
  } else if (port_conflicts(addr, port)) {
    return Err{BindError::AddrInUse};
  }
  UdpSocketId id{next_id_++};
  sockets_.emplace(id.value, Socket{addr, port, {}, std::nullopt});
  bindings_.emplace(BindKey{port, addr}, id);
  return id;
}

void UdpTable::close(UdpSocketId id) {
  auto it = sockets_.find(id.value);
  if (it == sockets_.end()) return;
  bindings_.erase(BindKey{it->second.port, it->second.addr});
  sockets_.erase(it);
}

std::optional<std::pair<wire::IpAddr, std::uint16_t>> UdpTable::local(UdpSocketId id) const {
  auto it = sockets_.find(id.value);
  if (it == sockets_.end()) return std::nullopt;
  return std::pair{it->second.addr, it->second.port};
}

std::optional<UdpSocketId> UdpTable::lookup(const wire::IpAddr& dst, std::uint16_t dst_port) const {
  if (auto it = bindings_.find(BindKey{dst_port, dst}); it != bindings_.end()) return it->second;
  // The wildcard of dst's family; an IPv4 datagram also reaches a socket on ::.
  const wire::IpAddr family_any = dst.is_v4() ? wire::IpAddr(wire::Ipv4Addr::any()) : kDualStack;
  if (auto it = bindings_.find(BindKey{dst_port, family_any}); it != bindings_.end()) {
    return it->second;
  }
  if (dst.is_v4()) {
    if (auto it = bindings_.find(BindKey{dst_port, kDualStack}); it != bindings_.end()) {
      return it->second;
    }
  }
  return std::nullopt;
}

UdpTable::Delivered UdpTable::deliver(UdpSocketId id, UdpDatagram d) {
  auto it = sockets_.find(id.value);
  if (it == sockets_.end()) return Delivered::QueueFull;
  auto& rx = it->second.rx;
  if (rx.size() >= rx_queue_datagrams_) return Delivered::QueueFull;
  bool was_empty = rx.empty();
  rx.push_back(std::move(d));
  return was_empty ? Delivered::BecameReadable : Delivered::Queued;
}

std::optional<UdpDatagram> UdpTable::receive(UdpSocketId id) {
  auto it = sockets_.find(id.value);
  if (it == sockets_.end() || it->second.rx.empty()) return std::nullopt;
  UdpDatagram d = std::move(it->second.rx.front());
  it->second.rx.pop_front();
  return d;
}

std::size_t UdpTable::queued(UdpSocketId id) const {
  auto it = sockets_.find(id.value);
  return it == sockets_.end() ? 0 : it->second.rx.size();
}

void UdpTable::set_error(const UdpError& e) {
  auto it = sockets_.find(e.socket.value);
  if (it != sockets_.end()) it->second.error = e;
}

std::optional<UdpError> UdpTable::take_error(UdpSocketId id) {
  auto it = sockets_.find(id.value);
  if (it == sockets_.end()) return std::nullopt;
  return std::exchange(it->second.error, std::nullopt);
}

}  // namespace synack::stack

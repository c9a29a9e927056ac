#include "synack/stack/udp.hpp"

namespace synack::stack {

namespace {
constexpr std::uint16_t kEphemeralFirst = 49152;
constexpr std::uint32_t kEphemeralCount = 65536 - kEphemeralFirst;
}  // namespace

// A wildcard binding overlaps every address on the same port, and vice versa
// (the BSD rule without SO_REUSEADDR).
bool UdpTable::port_conflicts(wire::Ipv4Addr addr, std::uint16_t port) const {
  if (addr.is_unspecified()) {
    for (const auto& [key, id] : bindings_) {
      if (key.second == port) return true;
    }
    return false;
  }
  return bindings_.count(BindKey{addr.value, port}) != 0 || bindings_.count(BindKey{0, port}) != 0;
}

Result<UdpSocketId, BindError> UdpTable::bind(wire::Ipv4Addr addr, std::uint16_t port,
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
  sockets_.emplace(id.value, Socket{addr, port, {}});
  bindings_.emplace(BindKey{addr.value, port}, id);
  return id;
}

void UdpTable::close(UdpSocketId id) {
  auto it = sockets_.find(id.value);
  if (it == sockets_.end()) return;
  bindings_.erase(BindKey{it->second.addr.value, it->second.port});
  sockets_.erase(it);
}

std::optional<std::pair<wire::Ipv4Addr, std::uint16_t>> UdpTable::local(UdpSocketId id) const {
  auto it = sockets_.find(id.value);
  if (it == sockets_.end()) return std::nullopt;
  return std::pair{it->second.addr, it->second.port};
}

std::optional<UdpSocketId> UdpTable::lookup(wire::Ipv4Addr dst, std::uint16_t dst_port) const {
  if (auto it = bindings_.find(BindKey{dst.value, dst_port}); it != bindings_.end()) {
    return it->second;
  }
  if (auto it = bindings_.find(BindKey{0, dst_port}); it != bindings_.end()) return it->second;
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

}  // namespace synack::stack

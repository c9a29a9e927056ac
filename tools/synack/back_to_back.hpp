// Two complete Stacks in one process joined by a perfect wire: 10.77.0.1 (client) and
// 10.77.0.2 (server) on one /24. Every frame one stack emits is handed to the other at
// once, in one batch per pump round, and its buffer given back to the sender afterwards
// (as a NIC driver would). With `offloads` (checksum, TSO) the wire hands each frame over
// whole with what its TxMeta asked (a partial checksum, a super-segment), as the kernel's
// loopback does. Used by `synack bench` rows (a)-(c) and by tests/memory.
#pragma once

#include <vector>

#include "synack/base/random.hpp"
#include "synack/stack/stack.hpp"

namespace synack::cli {

class BackToBack {
 public:
  explicit BackToBack(const stack::StackConfig& cfg, std::uint16_t mtu = 1500,
                      stack::LinkOffloads offloads = {})
      : client_rng_(1), server_rng_(2), client(cfg, client_rng_), server(cfg, server_rng_) {
    client_if_ = client.add_interface(wire::MacAddr{{2, 0, 0, 0, 0, 1}},
                                      wire::Ipv4Cidr{client_addr, 24}, mtu, offloads);
    server_if_ = server.add_interface(wire::MacAddr{{2, 0, 0, 0, 0, 2}},
                                      wire::Ipv4Cidr{server_addr, 24}, mtu, offloads);
  }

  // Moves frames both ways until neither stack has one queued, running timers that
  // are due; events are discarded (the caller asks the sockets directly).
  void pump(Instant now) {
    for (int round = 0; round < 1'000'000; ++round) {
      bool moved = carry(client, server, server_if_, now);
      moved = carry(server, client, client_if_, now) || moved;
      for (stack::Stack* s : {&client, &server}) {
        if (auto d = s->next_deadline(); d && *d <= now) {
          s->on_timer(now);
          moved = true;
        }
        while (s->pop_event()) {
        }
      }
      if (!moved) return;
    }
  }

  const wire::Ipv4Addr client_addr = wire::Ipv4Addr::from_octets(10, 77, 0, 1);
  const wire::Ipv4Addr server_addr = wire::Ipv4Addr::from_octets(10, 77, 0, 2);

 private:
  // Hands every frame `from` has queued to `to` in one batch.
  bool carry(stack::Stack& from, stack::Stack& to, stack::IfaceId to_if, Instant now) {
    frames_.clear();
    meta_.clear();
    while (auto f = from.pop_frame()) {
      frames_.push_back(std::move(f->bytes));
      meta_.push_back(f->tx.as_received());
    }
    if (frames_.empty()) return false;
    views_.assign(frames_.begin(), frames_.end());
    to.on_frames(to_if, views_, meta_, now);
    for (ByteVec& f : frames_) from.recycle(std::move(f));
    return true;
  }

  SeededRandom client_rng_, server_rng_;

 public:
  stack::Stack client;
  stack::Stack server;

 private:
  stack::IfaceId client_if_{}, server_if_{};
  std::vector<ByteVec> frames_;
  std::vector<Bytes> views_;
  std::vector<stack::RxMeta> meta_;
};

}  // namespace synack::cli

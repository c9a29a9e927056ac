// synack's side of `synack bench`: two Stacks in this process joined back to back.
// Every frame one stack emits is handed to the other at once (no link delay, no
// loss), on the wall clock, so what is measured is the stack's own cost per segment
// and per connection.
#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <vector>

#include "back_to_back.hpp"
#include "bench.hpp"
#include "synack/api/socket.hpp"
#include "synack/base/checksum.hpp"
#include "synack/base/random.hpp"
#include "synack/link/event_loop.hpp"
#include "synack/stack/stack.hpp"

namespace synack::cli::bench {
namespace {

constexpr std::uint16_t kPort = 9;

Instant now() {
  return link::monotonic_now();
}

// Runs `step` (which returns false when it cannot go on) until `run` has passed.
template <class Step>
Duration for_wall_time(Duration run, Step step) {
  const Instant start = now();
  Instant t = start;
  while (t - start < run) {
    if (!step(t)) break;
    t = now();
  }
  return t - start;
}

double seconds(Duration d) {
  return std::chrono::duration<double>(d).count();
}

}  // namespace

BulkResult synack_bulk(std::uint16_t mtu, Duration run, bool offload, std::size_t write) {
  stack::StackConfig cfg;
  cfg.tcp.mtu = mtu;
  BackToBack net(
      cfg, mtu,
      offload ? stack::LinkOffloads{.tx_checksum = true, .tso_max = 65535} : stack::LinkOffloads{});
  auto listener = api::TcpListener::listen(net.server, kPort, 16).value();
  auto client = api::TcpStream::connect(net.client, net.server_addr, kPort, now()).value();
  net.pump(now());
  auto server = listener.accept(now()).value();

  std::vector<std::byte> out(write, std::byte{0x5a}), in(write);
  std::uint64_t received = 0;
  auto step = [&](Instant t) {
    for (;;) {
      auto n = client.send(out, t);
      if (!n.ok() || *n == 0) break;
    }
    net.pump(t);
    for (;;) {
      auto n = server.receive(in, t);
      if (!n.ok() || *n == 0) break;
      received += *n;
    }
    net.pump(t);
    return true;
  };
  // Warm-up: buffers, windows and caches reach their steady state.
  for_wall_time(run / 5, step);
  received = 0;
  const std::uint64_t segs_before = client.stats()->segs_out;
  const std::uint64_t bytes_before = client.stats()->bytes_out;
  const std::uint64_t allocs_before = allocations();
  const Duration took = for_wall_time(run, step);
  const std::uint64_t allocs = allocations() - allocs_before;
  const std::uint64_t segs = client.stats()->segs_out - segs_before;

  BulkResult r;
  r.gbps = static_cast<double>(received) * 8 / seconds(took) / 1e9;
  if (segs > 0) {
    r.allocs_per_segment = static_cast<double>(allocs) / static_cast<double>(segs);
    r.ns_per_segment = seconds(took) * 1e9 / static_cast<double>(segs);
    r.bytes_per_segment =
        static_cast<double>(client.stats()->bytes_out - bytes_before) / static_cast<double>(segs);
  }
  return r;
}

ConnRateResult synack_conn_rate(Duration run, Closer first) {
  BackToBack net(stack::StackConfig{});
  auto listener = api::TcpListener::listen(net.server, kPort, 64).value();
  ConnRateResult r;
  std::byte one{0x2a}, got{};
  auto stop = [&](std::string_view why) {
    const std::size_t n = std::min(why.size(), r.stopped.size() - 1);
    std::copy_n(why.data(), n, r.stopped.data());
    return false;
  };
  auto step = [&](Instant t) {
    auto c = api::TcpStream::connect(net.client, net.server_addr, kPort, t);
    if (!c.ok()) {
      if (c.error() != api::ConnectError::NoEphemeralPort) return stop(api::to_string(c.error()));
      ++r.port_stalls;  // wait for a TIME-WAIT entry to become reusable
      net.pump(t);
      return true;
    }
    net.pump(t);
    auto s = listener.accept(t);
    if (!s.ok()) return stop("the server accepted nothing");
    (void)c->send(Bytes(&one, 1), t);
    net.pump(t);
    if (s->receive(MutBytes(&got, 1), t).value_or(0) != 1) return stop("the server got no byte");
    (void)s->send(Bytes(&got, 1), t);
    net.pump(t);
    if (c->receive(MutBytes(&got, 1), t).value_or(0) != 1) return stop("the client got no echo");
    api::TcpStream& closer = first == Closer::Client ? *c : *s;
    api::TcpStream& other = first == Closer::Client ? *s : *c;
    (void)closer.close(t);
    net.pump(t);
    if (other.receive(MutBytes(&got, 1), t).value_or(1) != 0) return stop("no FIN");
    (void)other.close(t);
    net.pump(t);
    ++r.connections;
    return true;
  };
  const Duration took = for_wall_time(run, step);
  r.per_second = static_cast<double>(r.connections) / seconds(took);
  return r;
}

// Heap in use: chunks handed out from the arenas, and the large blocks malloc maps on
// their own (the connection tables at a million entries are such blocks).
std::size_t heap_in_use() {
  const auto m = ::mallinfo2();
  return m.uordblks + m.hblkhd;
}

IdleMemoryResult synack_idle_memory(std::uint64_t connections) {
  // One client address, 64 K ephemeral ports per server port: enough server ports
  // for the count asked.
  stack::StackConfig cfg;
  cfg.tcp.max_connections = 2 * connections + 16;
  cfg.tcp.memory_budget = std::size_t{1} << 62;  // the budget counts buffer limits, not use
  cfg.tcp.ephemeral_first = 1024;
  cfg.tcp.ephemeral_last = 65535;
  cfg.tcp.syn_queue = 4096;
  cfg.max_events = 1 << 16;
  const std::uint64_t per_port = cfg.tcp.ephemeral_last - cfg.tcp.ephemeral_first + 1;
  const std::uint64_t ports = (connections + per_port - 1) / per_port;

  BackToBack net(cfg);
  std::vector<api::TcpListener> listeners;
  for (std::uint64_t p = 0; p < ports; ++p) {
    listeners.push_back(
        api::TcpListener::listen(net.server, static_cast<std::uint16_t>(1000 + p), 4096).value());
  }
  std::vector<api::TcpStream> streams;
  streams.reserve(2 * connections + 2);  // the handles are the application's, not counted
  // One connection first, not counted: ARP is resolved and the tables exist.
  // (On a port of its own: the measured ones each have a whole range of ports.)
  auto warm = api::TcpListener::listen(net.server, 999, 1).value();
  streams.push_back(api::TcpStream::connect(net.client, net.server_addr, 999, now()).value());
  net.pump(now());
  streams.push_back(warm.accept(now()).value());

  IdleMemoryResult r;
  const std::size_t before = heap_in_use();
  constexpr std::uint64_t kBatch = 1000;
  auto accept_all = [&](Instant t) {
    for (auto& l : listeners) {
      for (auto s = l.accept(t); s.ok(); s = l.accept(t)) {
        streams.push_back(std::move(*s));
        ++r.connections;
      }
    }
  };
  for (std::uint64_t done = 0; done < connections;) {
    const Instant t = now();
    const std::uint64_t batch = std::min(kBatch, connections - done);
    for (std::uint64_t i = 0; i < batch; ++i) {
      auto port = static_cast<std::uint16_t>(1000 + (done + i) / per_port);
      auto c = api::TcpStream::connect(net.client, net.server_addr, port, t);
      if (!c.ok()) {
        r.error = c.error();
        return r;
      }
      streams.push_back(std::move(*c));
    }
    net.pump(t);
    accept_all(t);
    done += batch;
  }
  // Handshakes that needed a retransmission (none expected): a few seconds at most.
  const Instant give_up = now() + std::chrono::seconds(5);
  for (Instant t = now(); r.connections < connections && t < give_up; t = now()) {
    net.pump(t);
    accept_all(t);
  }
  const std::size_t after = heap_in_use();
  if (r.connections > 0) {
    r.bytes_per_endpoint =
        static_cast<double>(after - before) / static_cast<double>(2 * r.connections);
  }
  // Close as an application would, a batch at a time with the network running: every
  // handle closed at once would queue a FIN per connection before any is sent (at 5 M
  // connections, 15 GB of frames).
  while (!streams.empty()) {
    const auto keep = streams.size() - std::min<std::size_t>(streams.size(), kBatch);
    streams.erase(streams.begin() + static_cast<std::ptrdiff_t>(keep), streams.end());
    net.pump(now());
  }
  return r;
}

double ipv4_header_checksum_gbytes_per_s(Duration run) {
  // 64 different headers, walked in turn (as a stream of packets would be).
  std::vector<std::byte> headers(64 * 20);
  for (std::size_t i = 0; i < headers.size(); ++i) headers[i] = std::byte(i * 37 + 5);
  std::uint64_t bytes = 0;
  std::uint32_t sum = 0;
  const Duration took = for_wall_time(run, [&](Instant) {
    for (int i = 0; i < 1000; ++i) {
      sum += ipv4_header_checksum20(headers.data() + (i % 64) * 20);
      bytes += 20;
    }
    asm volatile("" : : "r"(sum));  // keep the sums
    return true;
  });
  return static_cast<double>(bytes) / seconds(took) / 1e9;
}

double checksum_gbytes_per_s(std::size_t size, Duration run) {
  std::vector<std::byte> buf(size);
  for (std::size_t i = 0; i < size; ++i) buf[i] = std::byte(i * 131 + 7);
  std::uint64_t bytes = 0;
  volatile std::uint16_t sink = 0;
  const Duration took = for_wall_time(run, [&](Instant) {
    for (int i = 0; i < 1000; ++i) {
      sink = static_cast<std::uint16_t>(sink + internet_checksum(buf));
      bytes += size;
    }
    return true;
  });
  return static_cast<double>(bytes) / seconds(took) / 1e9;
}

double memcpy_gbytes_per_s(std::size_t size, Duration run) {
  std::vector<std::byte> src(size, std::byte{1}), dst(size);
  std::uint64_t bytes = 0;
  const Duration took = for_wall_time(run, [&](Instant) {
    for (int i = 0; i < 1000; ++i) {
      std::memcpy(dst.data(), src.data(), size);
      asm volatile("" : : "r"(dst.data()) : "memory");  // keep the copy
      bytes += size;
    }
    return true;
  });
  return static_cast<double>(bytes) / seconds(took) / 1e9;
}

}  // namespace synack::cli::bench

// `synack bench`: synack's figures next to the kernel's, measured in the same run on
// the same machine (docs/PERFORMANCE.md keeps the table and the command).
//
// synack side (bench_synack.cpp): two complete Stacks in this process, frames handed
// from one to the other directly, on the wall clock (CLOCK_MONOTONIC), one core.
// Kernel side (bench_kernel.cpp): the same workload over loopback TCP in a private
// network namespace made for the measurement (a forked child that unshares its
// network namespace, so nothing outside it is touched), pinned to the same core.
// Over a TAP (bench_tap.cpp): `synack serve` with the kernel as the client, next to the
// kernel behind the same kind of TAP (a relay joins two) and kernel-to-kernel over
// veth, in namespaces made for the run; both cores, as those setups run in use.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "synack/api/socket.hpp"
#include "synack/base/time.hpp"

namespace synack::cli::bench {

// Bulk transfer, one connection, one direction, 64 KiB application writes.
struct BulkResult {
  double gbps = 0;                 // application bytes received per second, in Gbit/s
  double allocs_per_segment = -1;  // heap allocations per data segment after warm-up (synack)
  double ns_per_segment = 0;       // wall time per data segment (synack)
  double bytes_per_segment = 0;    // payload per data segment (synack; > MSS with TSO)
};

// New connections per second: connect, 1-byte echo, close. Who closes first decides
// which end holds TIME-WAIT: the client (its ephemeral port waits until the 4-tuple
// may be reused) or the server (a new SYN reopens the 4-tuple, RFC 6191).
enum class Closer : std::uint8_t { Client, Server };
struct ConnRateResult {
  double per_second = 0;
  std::uint64_t connections = 0;
  std::uint64_t port_stalls = 0;   // connect() found no ephemeral port and had to wait
  std::array<char, 96> stopped{};  // why the run ended before its time ("" = it did not)
};

// Memory per idle established endpoint (each connection has two).
struct IdleMemoryResult {
  double bytes_per_endpoint = 0;
  std::uint64_t connections = 0;
  std::optional<api::ConnectError> error;  // synack: why connect() stopped
};

// synack, in this process.
// With `offload` both stacks' links take partial checksums and 64 KB TSO super-segments
// and hand them over whole (TxMeta::as_received), as the kernel's loopback does at any
// MTU: segments of the MTU's MSS on a real wire, one super-segment here.
// `write` is the application's write (and read) size.
BulkResult synack_bulk(std::uint16_t mtu, Duration run, bool offload = false,
                       std::size_t write = 64 * 1024);
ConnRateResult synack_conn_rate(Duration run, Closer first);
IdleMemoryResult synack_idle_memory(std::uint64_t connections);

// The kernel, in a private network namespace (needs root: CAP_SYS_ADMIN for
// unshare(CLONE_NEWNET)). nullopt with `why` set when it cannot run.
std::optional<BulkResult> kernel_bulk(std::uint16_t mtu, Duration run, std::string& why,
                                      std::size_t write = 64 * 1024);
std::optional<ConnRateResult> kernel_conn_rate(Duration run, Closer first, std::string& why);
std::optional<IdleMemoryResult> kernel_idle_memory(std::uint64_t connections, std::string& why);

// --- over a TAP: rows (d) and (e) -------------------------------------------------------

// One bulk transfer between the kernel client and a server.
struct TapBulk {
  double gbps = 0;  // application bytes over the transfer's time, in Gbit/s
  std::uint64_t bytes = 0;
  double seconds = 0;
};
// 1-byte echo round trips, one connection, the kernel as the client.
struct TapEcho {
  double p50_us = 0;
  double p99_us = 0;
  std::uint64_t samples = 0;
};
template <class T>
struct TapOutcome {
  std::optional<T> value;
  std::string why;      // why there is no value
  bool failed = false;  // the run went wrong (bytes lost or changed, a peer gone), as root
};
struct TapPlan {
  Duration transfer{};  // each bulk transfer (the sender sends, or the receiver reads, this long)
  Duration echo_run{};  // each latency run
  std::uint64_t echo_max = 0;  // round trips per latency run, at most
  bool bulk = true;            // (d)
  bool echo = true;            // (e)
};
// [0] offload off, [1] offload on. "recv": the kernel client sends, the server receives
// (synack's discard); "send": the server sends (chargen), the kernel client reads and
// checks every byte.
struct TapResults {
  std::string unavailable;  // not empty: not measured (or not all), this is why
  TapOutcome<TapBulk> synack_recv[2], synack_send[2];
  TapOutcome<TapBulk> relay_recv[2], relay_send[2];        // the kernel behind a TAP relay
  TapOutcome<TapBulk> veth_recv, veth_send;                // the kernel over veth
  TapOutcome<TapEcho> synack_echo, relay_echo, veth_echo;  // offload on
};
// Needs root (network namespaces, TAPs, veth); otherwise `unavailable` says so.
// `progress` gets a line before each step.
TapResults tap_bench(const TapPlan& plan, const std::function<void(const std::string&)>& progress);

// Internet checksum and memcpy over one buffer of `size` bytes, GB/s.
double checksum_gbytes_per_s(std::size_t size, Duration run);
// The specialised 20-byte IPv4 header checksum, GB/s.
double ipv4_header_checksum_gbytes_per_s(Duration run);
double memcpy_gbytes_per_s(std::size_t size, Duration run);

// Heap allocations (operator new) made so far by the calling thread.
std::uint64_t allocations();

// Pins the calling thread to one CPU so that both sides get one core.
void pin_to_one_cpu();

}  // namespace synack::cli::bench

// Internet checksum throughput next to memcpy over the same buffer sizes, in one run,
// so the ratio (checksum GB/s / memcpy GB/s) is meaningful on any machine.
#include <benchmark/benchmark.h>

#include <cstring>

#include "synack/base/checksum.hpp"
#include "synack/base/random.hpp"

namespace {

synack::ByteVec make_buffer(std::size_t n) {
  synack::SeededRandom rng(n);
  synack::ByteVec v(n);
  for (auto& b : v) b = std::byte(rng.next_u32() & 0xff);
  return v;
}

void BM_Checksum(benchmark::State& state) {
  auto buf = make_buffer(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    benchmark::DoNotOptimize(synack::internet_checksum(buf));
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}

void BM_Memcpy(benchmark::State& state) {
  auto src = make_buffer(static_cast<std::size_t>(state.range(0)));
  synack::ByteVec dst(src.size());
  for (auto _ : state) {
    std::memcpy(dst.data(), src.data(), src.size());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}

// 20 (IPv4 header), 1460 (full segment), 64 KiB (a TSO-sized burst).
BENCHMARK(BM_Checksum)->Arg(20)->Arg(1460)->Arg(65536);
BENCHMARK(BM_Memcpy)->Arg(20)->Arg(1460)->Arg(65536);

}  // namespace

BENCHMARK_MAIN();

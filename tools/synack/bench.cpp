// `synack bench`: the benchmark table of issue 12 / docs/PERFORMANCE.md — each row
// synack's figure next to a baseline measured in the same run (the kernel over
// loopback in a private network namespace, or memcpy), with the ratio. Progress
// goes to stderr, the table (or --json) to stdout. `--micro` runs the Google
// Benchmark micro-suite (bench/, synack_bench) instead.
#include <fmt/core.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "bench.hpp"
#include "cli.hpp"

namespace synack::cli {
namespace {

using namespace std::chrono_literals;

struct Row {
  std::string id;    // "a", "b" ... as in docs/PERFORMANCE.md
  std::string what;  // the workload
  std::string unit;
  bool higher_is_better = true;
  double synack = 0;
  std::optional<double> baseline;
  std::string baseline_name;  // "kernel", "memcpy"
  std::string note;           // why there is no baseline, or extra figures
};

struct Plan {
  Duration run = 2s;  // each timed side of a throughput row
  std::vector<std::uint64_t> idle = {10'000, 100'000, 1'000'000};
  // The kernel's 1 M would take ~7 GiB and 250 worker processes: not measured.
  std::uint64_t kernel_idle_max = 100'000;
};

std::string number(double v) {
  if (v >= 100) return fmt::format("{:.0f}", v);
  if (v >= 10) return fmt::format("{:.1f}", v);
  return fmt::format("{:.2f}", v);
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

class Runner {
 public:
  Runner(const Plan& plan, bool quiet) : plan_(plan), quiet_(quiet) {}

  void progress(const std::string& what) {
    if (!quiet_) fmt::print(stderr, "bench: {}\n", what);
  }

  void bulk(std::uint16_t mtu) {
    const std::string what = fmt::format("bulk, one connection, MTU {}", mtu);
    progress(what + ": synack");
    const auto s = bench::synack_bulk(mtu, plan_.run);
    progress(what + ": kernel");
    std::string why;
    const auto k = bench::kernel_bulk(mtu, plan_.run, why);
    Row r{"a", what, "Gbit/s", true, s.gbps, std::nullopt, "kernel", {}};
    if (k) r.baseline = k->gbps;
    r.note = fmt::format("{:.0f} ns and {:.2f} allocations per data segment{}", s.ns_per_segment,
                         s.allocs_per_segment, k ? "" : "; kernel: " + why);
    rows_.push_back(r);
  }

  void conn_rate(bench::Closer first) {
    const std::string what =
        fmt::format("new connections/s (connect, 1-byte echo, {} closes first)",
                    first == bench::Closer::Client ? "client" : "server");
    progress(what + ": synack");
    const auto s = bench::synack_conn_rate(plan_.run, first);
    progress(what + ": kernel");
    std::string why;
    const auto k = bench::kernel_conn_rate(plan_.run, first, why);
    Row r{"b", what, "conn/s", true, s.per_second, std::nullopt, "kernel", {}};
    if (k) r.baseline = k->per_second;
    r.note =
        fmt::format("synack {} connections, {} waits for a port", s.connections, s.port_stalls);
    if (s.stopped[0] != 0) r.note += fmt::format(", STOPPED: {}", s.stopped.data());
    if (k) {
      r.note += fmt::format("; kernel {} connections, {} waits", k->connections, k->port_stalls);
    } else {
      r.note += "; kernel: " + why;
    }
    rows_.push_back(r);
  }

  void idle_memory(std::uint64_t n) {
    const std::string what = fmt::format("memory per idle established endpoint, {} connections", n);
    progress(what + ": synack");
    const auto s = bench::synack_idle_memory(n);
    Row r{"c", what, "bytes", false, s.bytes_per_endpoint, std::nullopt, "kernel", {}};
    if (s.connections != n) {
      r.note = fmt::format("synack stopped at {} connections{}; ", s.connections,
                           s.error ? fmt::format(" ({})", api::to_string(*s.error)) : "");
    }
    if (n <= plan_.kernel_idle_max) {
      progress(what + ": kernel");
      std::string why;
      if (auto k = bench::kernel_idle_memory(n, why)) {
        r.baseline = k->bytes_per_endpoint;
      } else {
        r.note += "kernel: " + why;
      }
    } else {
      r.note += "kernel not measured at this count (≈ 7 GiB of kernel memory)";
    }
    rows_.push_back(r);
  }

  void checksum(std::size_t size) {
    const bool header = size == 20;
    const std::string what = header ? "IPv4 header checksum (20 bytes, the specialised sum)"
                                    : fmt::format("Internet checksum over {} bytes", size);
    progress(what);
    const Duration run = plan_.run / 4;
    const double gbs = header ? bench::ipv4_header_checksum_gbytes_per_s(run)
                              : bench::checksum_gbytes_per_s(size, run);
    Row r{"f", what, "GB/s", true, gbs, std::nullopt, "memcpy", {}};
    r.baseline = bench::memcpy_gbytes_per_s(size, run);
    rows_.push_back(r);
  }

  void print_table() const {
    fmt::print("{:<3} {:<66} {:>10} {:>10} {:>7}  {}\n", "", "workload", "synack", "baseline",
               "ratio", "unit, notes");
    for (const Row& r : rows_) {
      const std::string base = r.baseline ? number(*r.baseline) : "—";
      const std::string ratio =
          r.baseline && *r.baseline > 0 ? fmt::format("{:.2f}×", r.synack / *r.baseline) : "—";
      fmt::print("({}) {:<66} {:>10} {:>10} {:>7}  {} ({}: {}, {} is better){}{}\n", r.id, r.what,
                 number(r.synack), base, ratio, r.unit, "baseline", r.baseline_name,
                 r.higher_is_better ? "higher" : "lower", r.note.empty() ? "" : "; ", r.note);
    }
  }

  void print_json() const {
    fmt::print("{{\"rows\": [\n");
    for (std::size_t i = 0; i < rows_.size(); ++i) {
      const Row& r = rows_[i];
      fmt::print(
          "  {{\"id\": {}, \"what\": {}, \"unit\": {}, \"higher_is_better\": {}, \"synack\": "
          "{}, \"baseline\": {}, \"baseline_name\": {}, \"ratio\": {}, \"note\": {}}}{}\n",
          json_string(r.id), json_string(r.what), json_string(r.unit), r.higher_is_better, r.synack,
          r.baseline ? fmt::format("{}", *r.baseline) : "null", json_string(r.baseline_name),
          r.baseline && *r.baseline > 0 ? fmt::format("{}", r.synack / *r.baseline) : "null",
          json_string(r.note), i + 1 < rows_.size() ? "," : "");
    }
    fmt::print("]}}\n");
  }

 private:
  Plan plan_;
  bool quiet_;
  std::vector<Row> rows_;
};

int run_micro(const std::string& argv0, bool json, const std::string& filter) {
  namespace fs = std::filesystem;
  fs::path exe = fs::path(argv0).parent_path() / "synack_bench";
  if (!fs::exists(exe)) {
    fmt::print(stderr, "synack bench: {} not found (build the bench target)\n", exe.string());
    return kExitRuntime;
  }
  std::vector<std::string> args = {exe.string()};
  if (json) args.push_back("--benchmark_format=json");
  if (!filter.empty()) args.push_back("--benchmark_filter=" + filter);
  std::vector<char*> cargs;
  for (auto& a : args) cargs.push_back(a.data());
  cargs.push_back(nullptr);
  execv(cargs[0], cargs.data());
  fmt::print(stderr, "synack bench: cannot run {}\n", exe.string());
  return kExitRuntime;
}

}  // namespace

void register_bench(CLI::App& app, Action& action, const std::string& argv0) {
  auto* sub = app.add_subcommand(
      "bench", "Benchmark table: synack next to the kernel (or memcpy), measured in this run");
  struct Opts {
    bool json = false;
    bool quick = false;
    bool micro = false;
    std::string only = "abcf";
    std::string filter;
  };
  auto o = std::make_shared<Opts>();
  sub->add_flag("--json", o->json, "Machine-readable output on stdout");
  sub->add_flag("--quick", o->quick, "Short runs and small counts (a smoke test, not a result)");
  sub->add_option("--only", o->only, "Rows to run, by letter (default abcf)")
      ->type_name("LETTERS")
      ->check([](const std::string& s) {
        return s.find_first_not_of("abcf") == std::string::npos && !s.empty()
                   ? std::string()
                   : std::string("--only takes letters among a, b, c, f");
      });
  sub->add_flag("--micro", o->micro, "Run the Google Benchmark micro-suite (synack_bench)");
  sub->add_option("--filter", o->filter, "With --micro: only benchmarks matching this regex")
      ->type_name("REGEX");
  sub->callback([&action, o, argv0] {
    action = [o, argv0]() -> int {
      if (o->micro) return run_micro(argv0, o->json, o->filter);
      Plan plan;
      if (o->quick) {
        plan.run = 200ms;
        plan.idle = {1000};
        plan.kernel_idle_max = 1000;
      }
      bench::pin_to_one_cpu();
      Runner runner(plan, false);
      auto wants = [&](char c) { return o->only.find(c) != std::string::npos; };
      if (wants('a')) {
        runner.bulk(1500);
        runner.bulk(9000);
      }
      if (wants('b')) {
        runner.conn_rate(bench::Closer::Client);
        runner.conn_rate(bench::Closer::Server);
      }
      if (wants('c')) {
        for (auto n : plan.idle) runner.idle_memory(n);
      }
      if (wants('f')) {
        runner.checksum(20);
        runner.checksum(1500);
        runner.checksum(65536);
      }
      if (o->json) {
        runner.print_json();
      } else {
        runner.print_table();
      }
      return kExitOk;
    };
  });
}

}  // namespace synack::cli

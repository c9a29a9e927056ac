// `synack bench`: the benchmark table of issue 12 / docs/PERFORMANCE.md — each row
// synack's figure next to a baseline measured in the same run (the kernel over
// loopback in a private network namespace, the kernel behind a TAP relay or over
// veth, or memcpy), with the ratio. Progress goes to stderr, the table (or --json) to
// stdout. A row that cannot be measured here (not root) says why and the exit code is
// 0; one whose run went wrong (bytes lost or changed) says so and the exit code is 1.
// `--micro` runs the Google Benchmark micro-suite (bench/, synack_bench) instead.
#include <fmt/core.h>
#include <unistd.h>
#include <fstream>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "bench.hpp"
#include "cli.hpp"
#include "svg_chart.hpp"

namespace synack::cli {
namespace {

using namespace std::chrono_literals;

struct Row {
  std::string id;    // "a", "b" ... as in docs/PERFORMANCE.md
  std::string what;  // the workload
  std::string unit;
  bool higher_is_better = true;
  std::optional<double> synack;  // nullopt: not measured (the note says why)
  std::optional<double> baseline;
  std::string baseline_name;  // "kernel", "kernel, TAP relay", "kernel, veth", "memcpy"
  std::string note;           // why there is no baseline, or extra figures
  bool failed = false;        // the run went wrong: exit code 1
};

struct Plan {
  Duration run = 2s;  // each timed side of a throughput row
  std::vector<std::uint64_t> idle = {10'000, 100'000, 1'000'000};
  // The kernel's 1 M would take ~7 GiB and 250 worker processes: not measured.
  std::uint64_t kernel_idle_max = 100'000;
  // (d): each bulk transfer over a TAP or veth; (e): each latency run.
  Duration tap_transfer = 4s;
  Duration echo_run = 2s;
  std::uint64_t echo_max = 200'000;
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

  // One kernel run per MTU; at MTU 1500 synack runs twice beside it: segment by
  // segment (1500-byte frames), and with TSO/GRO and checksum offload on the wire
  // between its stacks, which is what the kernel's loopback does at any MTU.
  void bulk(std::uint16_t mtu, bool with_offload_row) {
    const std::string what = fmt::format("bulk, one connection, MTU {}", mtu);
    progress(what + ": synack");
    const auto s = bench::synack_bulk(mtu, plan_.run);
    std::optional<bench::BulkResult> so;
    if (with_offload_row) {
      progress(what + ", TSO/GRO: synack");
      so = bench::synack_bulk(mtu, plan_.run, true);
    }
    progress(what + ": kernel");
    std::string why;
    const auto k = bench::kernel_bulk(mtu, plan_.run, why);
    auto row = [&](const std::string& w, const bench::BulkResult& b) {
      Row r{"a", w, "Gbit/s", true, b.gbps, std::nullopt, "kernel", {}, false};
      if (k) r.baseline = k->gbps;
      r.note = fmt::format(
          "{:.0f} ns, {:.0f} payload bytes and {:.2f} allocations per data segment{}",
          b.ns_per_segment, b.bytes_per_segment, b.allocs_per_segment, k ? "" : "; kernel: " + why);
      rows_.push_back(r);
    };
    row(what, s);
    if (so)
      row(what + ", TSO/GRO + checksum offload between the stacks (as the kernel's loopback)", *so);
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
    Row r{"b", what, "conn/s", true, s.per_second, std::nullopt, "kernel", {}, false};
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
    Row r{"c", what, "bytes", false, s.bytes_per_endpoint, std::nullopt, "kernel", {}, false};
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
    Row r{"f", what, "GB/s", true, gbs, std::nullopt, "memcpy", {}, false};
    r.baseline = bench::memcpy_gbytes_per_s(size, run);
    rows_.push_back(r);
  }

  // (d) and (e): over a TAP, the kernel as the client (bench_tap.cpp).
  void tap(bool bulk, bool echo) {
    bench::TapPlan tp;
    tp.transfer = plan_.tap_transfer;
    tp.echo_run = plan_.echo_run;
    tp.echo_max = plan_.echo_max;
    tp.bulk = bulk;
    tp.echo = echo;
    const auto t = bench::tap_bench(tp, [this](const std::string& s) { progress(s); });
    if (bulk) {
      for (const bool synack_sends : {false, true}) {
        for (const int m : {1, 0}) {
          const std::string what =
              fmt::format("TAP, {}, offload {}",
                          synack_sends ? "synack → kernel (chargen)" : "kernel → synack (discard)",
                          m == 1 ? "on" : "off");
          const auto& s = synack_sends ? t.synack_send[m] : t.synack_recv[m];
          const auto& relay = synack_sends ? t.relay_send[m] : t.relay_recv[m];
          const auto& veth = synack_sends ? t.veth_send : t.veth_recv;
          tap_row("d", what, "Gbit/s", true, s, relay, "kernel, TAP relay", t.unavailable,
                  [](const bench::TapBulk& b) { return b.gbps; });
          tap_row("d", what, "Gbit/s", true, s, veth, "kernel, veth", t.unavailable,
                  [](const bench::TapBulk& b) { return b.gbps; });
        }
      }
    }
    if (echo) {
      for (const bool p99 : {false, true}) {
        auto pick = [p99](const bench::TapEcho& e) { return p99 ? e.p99_us : e.p50_us; };
        tap_row("e", fmt::format("TAP, 1-byte echo round trip {}, offload on", p99 ? "p99" : "p50"),
                "µs", false, t.synack_echo, t.relay_echo, "kernel, TAP relay", t.unavailable, pick);
        Row& r = rows_.back();
        const auto& sv = t.synack_echo.value;
        if (sv) r.note = join(r.note, fmt::format("synack {} round trips", sv->samples));
        if (const auto& v = t.veth_echo.value) {
          r.note = join(r.note, fmt::format("kernel over veth {} µs ({} round trips)",
                                            number(pick(*v)), v->samples));
        } else if (!t.veth_echo.why.empty()) {
          r.note = join(r.note, "kernel over veth: " + t.veth_echo.why);
        }
        if (t.veth_echo.failed) r.failed = true;
      }
    }
  }

  // Row (a)'s bulk transfer at each application write size (MTU 1500) or each MTU
  // (64 KiB writes): synack segment by segment, synack with TSO/GRO between its stacks,
  // and the kernel over loopback, each point measured side by side. Rows for the table
  // and, with `svg`, a line chart of the three.
  void sweep(const std::string& kind, const std::string& svg_path) {
    const bool by_write = kind == "write";
    const std::vector<double> xs = by_write ? std::vector<double>{512, 2048, 8192, 32768, 131072}
                                            : std::vector<double>{1500, 3000, 6000, 9000, 16000};
    LineChart chart;
    chart.title = by_write ? "Bulk throughput vs application write size (MTU 1500), one run"
                           : "Bulk throughput vs MTU (64 KiB writes), one run";
    chart.x_label = by_write ? "write size (bytes)" : "MTU (bytes)";
    chart.y_label = "Gbit/s";
    chart.log_x = by_write;
    chart.x = xs;
    chart.series = {{"synack", "#1f77b4", {}},
                    {"synack, TSO/GRO", "#2ca02c", {}},
                    {"kernel, loopback", "#d62728", {}}};
    for (double x : xs) {
      const auto mtu = static_cast<std::uint16_t>(by_write ? 1500 : x);
      const auto write = static_cast<std::size_t>(by_write ? x : 65536);
      const std::string what = fmt::format("bulk, MTU {}, {}-byte writes", mtu, write);
      progress(what);
      const auto s = bench::synack_bulk(mtu, plan_.run, false, write);
      const auto so = bench::synack_bulk(mtu, plan_.run, true, write);
      std::string why;
      const auto k = bench::kernel_bulk(mtu, plan_.run, why, write);
      for (const auto* b : {&s, &so}) {
        Row r{"a",      b == &so ? what + ", TSO/GRO" : what,
              "Gbit/s", true,
              b->gbps,  std::nullopt,
              "kernel", {},
              false};
        if (k) r.baseline = k->gbps;
        r.note = fmt::format("{:.0f} ns and {:.0f} payload bytes per data segment{}",
                             b->ns_per_segment, b->bytes_per_segment, k ? "" : "; kernel: " + why);
        rows_.push_back(r);
      }
      chart.series[0].y.push_back(s.gbps);
      chart.series[1].y.push_back(so.gbps);
      chart.series[2].y.push_back(k ? std::optional<double>(k->gbps) : std::nullopt);
    }
    if (!svg_path.empty()) {
      std::ofstream out(svg_path);
      out << render_svg(chart);
      if (!out.flush()) {
        Row r{"a", "chart " + svg_path, "", true, std::nullopt, std::nullopt, "", {}, true};
        r.note = "FAILED: cannot write " + svg_path;
        rows_.push_back(r);
      }
    }
  }

  bool any_failed() const {
    return std::any_of(rows_.begin(), rows_.end(), [](const Row& r) { return r.failed; });
  }

  void print_table() const {
    fmt::print("{:<3} {:<66} {:>10} {:>10} {:>7}  {}\n", "", "workload", "synack", "baseline",
               "ratio", "unit, notes");
    for (const Row& r : rows_) {
      const std::string syn = r.synack ? number(*r.synack) : "—";
      const std::string base = r.baseline ? number(*r.baseline) : "—";
      const std::string ratio = ratio_of(r) ? fmt::format("{:.2f}×", *ratio_of(r)) : "—";
      fmt::print("({}) {:<66} {:>10} {:>10} {:>7}  {} ({}: {}, {} is better){}{}\n", r.id, r.what,
                 syn, base, ratio, r.unit, "baseline", r.baseline_name,
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
          json_string(r.id), json_string(r.what), json_string(r.unit), r.higher_is_better,
          r.synack ? fmt::format("{}", *r.synack) : "null",
          r.baseline ? fmt::format("{}", *r.baseline) : "null", json_string(r.baseline_name),
          ratio_of(r) ? fmt::format("{}", *ratio_of(r)) : "null", json_string(r.note),
          i + 1 < rows_.size() ? "," : "");
    }
    fmt::print("]}}\n");
  }

 private:
  static std::optional<double> ratio_of(const Row& r) {
    if (!r.synack || !r.baseline || *r.baseline <= 0) return std::nullopt;
    return *r.synack / *r.baseline;
  }
  static std::string join(const std::string& a, const std::string& b) {
    return a.empty() ? b : b.empty() ? a : a + "; " + b;
  }

  // A row of synack's outcome next to a baseline's; `unavailable` is why neither could
  // be measured (not root, no /dev/net/tun).
  template <class T, class Pick>
  void tap_row(const std::string& id, const std::string& what, const std::string& unit,
               bool higher_is_better, const bench::TapOutcome<T>& s,
               const bench::TapOutcome<T>& base, const std::string& base_name,
               const std::string& unavailable, Pick pick) {
    Row r{id, what, unit, higher_is_better, std::nullopt, std::nullopt, base_name, {}, false};
    if (s.value) r.synack = pick(*s.value);
    if (base.value) r.baseline = pick(*base.value);
    if (!s.value && !base.value && !unavailable.empty()) {
      r.note = "not measured: " + unavailable;
    } else {
      if (!s.value)
        r.note = join(r.note, "synack not measured: " + (s.why.empty() ? unavailable : s.why));
      if (!base.value) {
        r.note =
            join(r.note, "kernel not measured: " + (base.why.empty() ? unavailable : base.why));
      }
    }
    r.failed = s.failed || base.failed;
    if (r.failed) r.note = "FAILED: " + r.note;
    rows_.push_back(r);
  }

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
    std::string only = "abcdef";
    std::vector<std::uint64_t> idle;
    std::string filter;
    std::string sweep;
    std::string svg;
  };
  auto o = std::make_shared<Opts>();
  sub->add_flag("--json", o->json, "Machine-readable output on stdout");
  sub->add_flag("--quick", o->quick, "Short runs and small counts (a smoke test, not a result)");
  sub->add_option("--only", o->only, "Rows to run, by letter (default abcdef)")
      ->type_name("LETTERS")
      ->check([](const std::string& s) {
        return s.find_first_not_of("abcdef") == std::string::npos && !s.empty()
                   ? std::string()
                   : std::string("--only takes letters among a, b, c, d, e, f");
      });
  sub->add_flag("--micro", o->micro, "Run the Google Benchmark micro-suite (synack_bench)");
  auto* sweep = sub->add_option("--sweep", o->sweep,
                                "Instead of the rows: row (a) at several write sizes or MTUs")
                    ->type_name("write|mtu")
                    ->check(CLI::IsMember({"write", "mtu"}));
  sub->add_option("--svg", o->svg, "With --sweep: also draw it as a line chart in FILE")
      ->type_name("FILE")
      ->needs(sweep);
  sub->add_option("--idle", o->idle,
                  "Row (c) at these connection counts (default 10000,100000,1000000)")
      ->type_name("N,...")
      ->delimiter(',')
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{20'000'000}));
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
        plan.tap_transfer = 400ms;
        plan.echo_run = 200ms;
        plan.echo_max = 20'000;
      }
      if (!o->idle.empty()) plan.idle = o->idle;
      bench::pin_to_one_cpu();
      Runner runner(plan, false);
      auto wants = [&](char c) { return o->only.find(c) != std::string::npos; };
      if (!o->sweep.empty()) {
        runner.sweep(o->sweep, o->svg);
        if (o->json) {
          runner.print_json();
        } else {
          runner.print_table();
        }
        return runner.any_failed() ? kExitRuntime : kExitOk;
      }
      if (wants('a')) {
        runner.bulk(1500, true);
        runner.bulk(9000, false);
      }
      if (wants('b')) {
        runner.conn_rate(bench::Closer::Client);
        runner.conn_rate(bench::Closer::Server);
      }
      if (wants('c')) {
        for (auto n : plan.idle) runner.idle_memory(n);
      }
      if (wants('d') || wants('e')) runner.tap(wants('d'), wants('e'));
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
      return runner.any_failed() ? kExitRuntime : kExitOk;
    };
  });
}

}  // namespace synack::cli

// `synack bench`: runs the Google Benchmark suite (bench/, built as synack_bench beside
// this program) so that every ratio comes from one run on this machine.
#include <fmt/core.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "cli.hpp"

namespace synack::cli {

void register_bench(CLI::App& app, Action& action, const std::string& argv0) {
  auto* sub = app.add_subcommand("bench", "Run the benchmark suite (see docs/PERFORMANCE.md)");
  auto json = std::make_shared<bool>(false);
  auto filter = std::make_shared<std::string>();
  sub->add_flag("--json", *json, "Machine-readable output");
  sub->add_option("--filter", *filter, "Only benchmarks matching this regex")->type_name("REGEX");
  sub->callback([&action, json, filter, argv0] {
    action = [json, filter, argv0]() -> int {
      namespace fs = std::filesystem;
      fs::path exe = fs::path(argv0).parent_path() / "synack_bench";
      if (!fs::exists(exe)) {
        fmt::print(stderr, "synack bench: {} not found (build the bench target)\n", exe.string());
        return kExitRuntime;
      }
      std::vector<std::string> args = {exe.string()};
      if (*json) args.push_back("--benchmark_format=json");
      if (!filter->empty()) args.push_back("--benchmark_filter=" + *filter);
      std::vector<char*> cargs;
      for (auto& a : args) cargs.push_back(a.data());
      cargs.push_back(nullptr);
      execv(cargs[0], cargs.data());
      fmt::print(stderr, "synack bench: cannot run {}\n", exe.string());
      return kExitRuntime;
    };
  });
}

}  // namespace synack::cli

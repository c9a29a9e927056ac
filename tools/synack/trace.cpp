// `synack trace`: ladder diagram of a capture. The reader arrives with the trace work;
// for now the subcommand validates its arguments and says so.
#include <fmt/core.h>

#include <filesystem>
#include <memory>

#include "cli.hpp"

namespace synack::cli {

void register_trace(CLI::App& app, Action& action) {
  auto* sub = app.add_subcommand("trace", "Print the ladder diagram of a pcap/pcapng capture");
  auto file = std::make_shared<std::string>();
  auto svg = std::make_shared<std::string>();
  sub->add_option("FILE", *file, "A pcap or pcapng capture")->required();
  sub->add_option("--svg", *svg, "Also draw the ladder as SVG")->type_name("OUT.svg");
  sub->callback([&action, file] {
    action = [file] {
      if (!std::filesystem::exists(*file)) {
        fmt::print(stderr, "synack trace: cannot open '{}'\n", *file);
        return kExitRuntime;
      }
      fmt::print(stderr, "synack trace: the capture reader is not part of this build yet\n");
      return kExitRuntime;
    };
  });
}

}  // namespace synack::cli

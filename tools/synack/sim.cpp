#include "cli.hpp"

namespace synack::cli {
void register_sim(CLI::App& app, Action& action) {
  auto* sub = app.add_subcommand("sim", "Two stacks over a simulated link (no root, no network)");
  sub->callback([&action] { action = [] { return kExitRuntime; }; });
}
}  // namespace synack::cli

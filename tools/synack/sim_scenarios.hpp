// The scenarios `synack sim` can play. Each drives a World and prints its summary
// into the world's output; returns false when the scenario did not complete.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "synack/tcp/types.hpp"
#include "world.hpp"

namespace synack::cli {

// What a bulk transfer scenario measured (sim --compare).
struct TransferReport {
  bool ok = false;
  Duration elapsed{0};    // connect .. the receiver has every byte and the FIN (virtual)
  tcp::ConnStats sender;  // the sending (client) connection's counters at the end
};

struct ScenarioParams {
  std::uint64_t bytes = 0;           // 0: the scenario's own default
  TransferReport* report = nullptr;  // filled by the transfer scenarios if set
};

struct Scenario {
  std::string_view name;
  std::string_view summary;
  bool (*run)(World&, const ScenarioParams&);  // nullptr: builds its own network (attack)
};

const std::vector<Scenario>& scenarios();
const Scenario* find_scenario(std::string_view name);
extern const std::string_view kDefaultScenario;

}  // namespace synack::cli

// TCP scenarios of `synack sim`: the handshake, data, the closes, resets, windows and
// loss, each shown as a ladder with every state change and the RFC rule behind it.
#pragma once

#include "sim_scenarios.hpp"

namespace synack::cli {

bool run_request_response(World& w, const ScenarioParams& p);
bool run_handshake(World& w, const ScenarioParams& p);
bool run_tfo(World& w, const ScenarioParams& p);
bool run_transfer(World& w, const ScenarioParams& p);
bool run_simultaneous_open(World& w, const ScenarioParams& p);
bool run_simultaneous_close(World& w, const ScenarioParams& p);
bool run_half_close(World& w, const ScenarioParams& p);
bool run_rst(World& w, const ScenarioParams& p);
bool run_server_first(World& w, const ScenarioParams& p);
bool run_zero_window(World& w, const ScenarioParams& p);
bool run_loss(World& w, const ScenarioParams& p);
bool run_black_hole(World& w, const ScenarioParams& p);
bool run_urgent(World& w, const ScenarioParams& p);
bool run_demux(World& w, const ScenarioParams& p);

}  // namespace synack::cli

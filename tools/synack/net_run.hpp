// The nc and get subcommands (net_nc.cpp, net_get.cpp).
#pragma once

#include <string>
#include <vector>

#include "cli.hpp"

namespace synack::cli {

struct NcArgs {
  CommonOptions common;
  TapOptions tap;
  int listen_port = 0;
  std::string host;  // HOST PORT: connect; empty with -l
  std::string port;
  bool progress = false;
};
int run_nc(const NcArgs& a);

struct GetArgs {
  CommonOptions common;
  TapOptions tap;
  std::vector<std::string> urls;  // fetched in order, one connection each
  std::string out;                // -o: the bodies, concatenated
  bool progress = false;
};
int run_get(const GetArgs& a);

}  // namespace synack::cli

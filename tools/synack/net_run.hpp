// The nc and get subcommands (net_nc.cpp, net_get.cpp).
#pragma once

#include <string>

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
  std::string url;
  std::string out;
  bool progress = false;
};
int run_get(const GetArgs& a);

}  // namespace synack::cli

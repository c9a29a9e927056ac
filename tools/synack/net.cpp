// serve, nc and get: the subcommands that attach a stack to a real TAP interface.
// Their flags are registered and validated here; the TAP driver and event loop that
// run them arrive with the real-network work (issue 5), so for now they stop with a
// runtime error after validating their arguments.
#include <fmt/core.h>

#include <memory>
#include <string>
#include <vector>

#include "cli.hpp"
#include "synack/wire/addr.hpp"

namespace synack::cli {
namespace {

void validate_tap(const TapOptions& t) {
  // Linux interface names are at most IFNAMSIZ - 1 = 15 bytes.
  if (t.tap.empty() || t.tap.size() > 15) {
    throw UsageError(fmt::format("--tap: interface name '{}' must be 1..15 characters", t.tap));
  }
  if (!wire::Ipv4Cidr::parse(t.ip)) {
    throw UsageError(fmt::format("--ip: '{}' is not an IPv4 ADDR/PREFIX", t.ip));
  }
  if (!t.gw.empty() && !wire::Ipv4Addr::parse(t.gw)) {
    throw UsageError(fmt::format("--gw: '{}' is not an IPv4 address", t.gw));
  }
  if (!t.mac.empty() && !wire::MacAddr::parse(t.mac)) {
    throw UsageError(fmt::format("--mac: '{}' is not a MAC address", t.mac));
  }
}

int not_yet(const char* what) {
  fmt::print(stderr, "synack {}: the TAP driver is not part of this build yet\n", what);
  return kExitRuntime;
}

struct NetArgs {
  CommonOptions common;
  TapOptions tap;
};

}  // namespace

void register_serve(CLI::App& app, Action& action) {
  auto* sub = app.add_subcommand("serve", "Serve echo/discard/chargen/daytime/http on a TAP");
  auto args = std::make_shared<NetArgs>();
  auto services = std::make_shared<std::vector<std::string>>();
  auto max_conns = std::make_shared<int>(10000);
  add_common_options(*sub, args->common);
  sub->add_option("--impair", args->common.impair,
                  "loss=P,dup=P,reorder=P,corrupt=P,delay=MS,seed=N");
  add_tap_options(*sub, args->tap);
  sub->add_option("--max-conns", *max_conns, "Concurrent connection limit")
      ->check(CLI::PositiveNumber);
  sub->add_option("SERVICE", *services,
                  "echo:PORT discard:PORT chargen:PORT daytime:PORT http:PORT[:DIR]")
      ->required();
  sub->callback([&action, args, services] {
    action = [args, services] {
      validate_tap(args->tap);
      for (const auto& s : *services) {
        auto colon = s.find(':');
        std::string name = s.substr(0, colon);
        if (name != "echo" && name != "discard" && name != "chargen" && name != "daytime" &&
            name != "http") {
          throw UsageError(fmt::format("unknown service '{}'", s));
        }
        if (colon == std::string::npos)
          throw UsageError(fmt::format("service '{}' needs :PORT", s));
        auto port_end = s.find(':', colon + 1);
        std::string port = s.substr(colon + 1, port_end - colon - 1);
        long p = port.empty() || port.find_first_not_of("0123456789") != std::string::npos ||
                         port.size() > 5
                     ? -1
                     : std::stol(port);
        if (p < 1 || p > 65535) throw UsageError(fmt::format("service '{}': port out of range", s));
      }
      return not_yet("serve");
    };
  });
}

void register_nc(CLI::App& app, Action& action) {
  auto* sub = app.add_subcommand("nc", "Netcat: stdin -> TCP connection -> stdout");
  auto args = std::make_shared<NetArgs>();
  auto listen_port = std::make_shared<int>(0);
  auto host_port = std::make_shared<std::vector<std::string>>();
  add_common_options(*sub, args->common);
  sub->add_option("--impair", args->common.impair,
                  "loss=P,dup=P,reorder=P,corrupt=P,delay=MS,seed=N");
  add_tap_options(*sub, args->tap);
  auto* l = sub->add_option("-l", *listen_port, "Listen on PORT and accept one connection")
                ->check(CLI::Range(1, 65535));
  sub->add_option("HOST_PORT", *host_port, "HOST PORT")->expected(0, 2)->excludes(l);
  sub->callback([&action, args, listen_port, host_port] {
    action = [args, listen_port, host_port] {
      validate_tap(args->tap);
      if (*listen_port == 0) {
        if (host_port->size() != 2) throw UsageError("nc: give HOST PORT, or -l PORT");
        if (!wire::Ipv4Addr::parse((*host_port)[0])) {
          throw UsageError(fmt::format("nc: '{}' is not an IPv4 address", (*host_port)[0]));
        }
        const auto& port = (*host_port)[1];
        if (port.empty() || port.size() > 5 ||
            port.find_first_not_of("0123456789") != std::string::npos || std::stol(port) < 1 ||
            std::stol(port) > 65535) {
          throw UsageError(fmt::format("nc: port '{}' out of range", port));
        }
      }
      return not_yet("nc");
    };
  });
}

void register_get(CLI::App& app, Action& action) {
  auto* sub = app.add_subcommand("get", "HTTP/1.1 GET over synack");
  auto args = std::make_shared<NetArgs>();
  auto url = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  add_common_options(*sub, args->common);
  sub->add_option("--impair", args->common.impair,
                  "loss=P,dup=P,reorder=P,corrupt=P,delay=MS,seed=N");
  add_tap_options(*sub, args->tap);
  sub->add_option("URL", *url, "http://HOST[:PORT]/PATH")->required();
  sub->add_option("-o", *out, "Write the body to FILE");
  sub->callback([&action, args, url] {
    action = [args, url] {
      validate_tap(args->tap);
      if (url->rfind("http://", 0) != 0)
        throw UsageError(fmt::format("get: '{}' is not an http:// URL", *url));
      return not_yet("get");
    };
  });
}

}  // namespace synack::cli

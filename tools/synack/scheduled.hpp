// Calls scheduled on a simulation's virtual clock (the sim worlds' "at t, do this").
#pragma once

#include <functional>
#include <map>
#include <optional>

#include "synack/base/time.hpp"

namespace synack::cli {

class Scheduled {
 public:
  void at(Instant t, std::function<void()> fn) { calls_.emplace(t, std::move(fn)); }
  // Runs every call due at `now`, in time order (a call may schedule more); returns
  // whether any ran.
  bool run_due(Instant now) {
    bool any = false;
    while (!calls_.empty() && calls_.begin()->first <= now) {
      auto fn = std::move(calls_.begin()->second);
      calls_.erase(calls_.begin());
      fn();
      any = true;
    }
    return any;
  }
  std::optional<Instant> next() const {
    if (calls_.empty()) return std::nullopt;
    return calls_.begin()->first;
  }

 private:
  std::multimap<Instant, std::function<void()>> calls_;
};

}  // namespace synack::cli

// RFC 5961 §7: a system-wide limit on challenge ACKs. "An implementation SHOULD
// include an ACK throttling mechanism to be conservative" — one token bucket per
// TcpProtocol, refilled each second. A fixed, global budget is itself a side
// channel (CVE-2016-5696: an off-path attacker counts how many of its own
// challenge ACKs are suppressed to learn whether a guess hit); as Linux does since
// 2016, each second's budget is drawn at random in [limit/2, 3*limit/2).
#pragma once

#include <cstdint>

#include "synack/base/random.hpp"
#include "synack/base/time.hpp"

namespace synack::tcp {

class ChallengeAckLimiter {
 public:
  /// per_second == 0: no limit.
  ChallengeAckLimiter(std::uint32_t per_second, Random& random)
      : limit_(per_second), random_(random) {}
  /// May one more challenge ACK be sent at `now`? Consumes a token if so.
  bool allow(Instant now);

 private:
  std::uint32_t limit_;
  Random& random_;
  bool started_ = false;
  Instant window_start_;
  std::uint32_t left_ = 0;
};

}  // namespace synack::tcp

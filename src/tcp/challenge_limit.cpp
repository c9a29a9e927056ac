#include "synack/tcp/challenge_limit.hpp"

#include <chrono>

namespace synack::tcp {

bool ChallengeAckLimiter::allow(Instant now) {
  if (limit_ == 0) return true;
  if (!started_ || now - window_start_ >= std::chrono::seconds(1)) {
    started_ = true;
    window_start_ = now;
    left_ = limit_ / 2 + static_cast<std::uint32_t>(random_.below(limit_ > 1 ? limit_ : 2));
  }
  if (left_ == 0) return false;
  --left_;
  return true;
}

}  // namespace synack::tcp

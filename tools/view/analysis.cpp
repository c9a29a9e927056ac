#include "analysis.hpp"

#include <fmt/core.h>

namespace synack::view {

std::string Endpoint::to_string() const { return fmt::format("{}:{}", ip.to_string(), port); }

std::string describe_marks(std::uint32_t, std::uint32_t) { return {}; }

std::optional<Duration> Connection::srtt() const { return std::nullopt; }

Analysis analyze(std::span<const RecordedFrame> frames) {
  Analysis a;
  a.frames = frames.size();
  return a;
}

const SegmentInfo* segment_of(const Connection& c, std::size_t frame) {
  for (const auto& s : c.segments)
    if (s.frame == frame) return &s;
  return nullptr;
}

}  // namespace synack::view

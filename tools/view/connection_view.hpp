// One connection of a capture as a Recording: its frames only, each on the side of
// the end that sent it (A, the end that opened, on the left), with both ends' inferred
// state changes as notes around the frame that caused them. What `synack trace` draws.
#pragma once

#include <span>

#include "analysis.hpp"
#include "recording.hpp"

namespace synack::view {

struct ConnectionView {
  Recording recording;
  Analysis analysis;  // of recording.frames: one connection, frame indexes match
};

ConnectionView connection_view(std::span<const RecordedFrame> frames, const Connection& c,
                               bool absolute_seq = false);

}  // namespace synack::view

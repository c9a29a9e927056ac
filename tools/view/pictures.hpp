// The files `--svg`, `--plot` and `--html` ask for, written from one Recording and its
// Analysis: the same for `synack sim` (a run) and `synack trace` (one connection).
#pragma once

#include <string>
#include <string_view>

#include "analysis.hpp"
#include "recording.hpp"

namespace synack::view {

struct PictureFiles {
  std::string svg;   // the ladder
  std::string plot;  // the time-sequence graph of the direction that carried the most data
  std::string html;  // the self-contained page
  bool any() const { return !svg.empty() || !plot.empty() || !html.empty(); }
};

// Writes each file asked for, whole or not at all. Each failure (a file that cannot be
// written, a plot of a recording with no TCP connection) is one line on stderr starting
// with `who` ("synack sim"); returns false if there was any.
bool write_pictures(std::string_view who, const PictureFiles& files, const Recording& rec,
                    const Analysis& analysis);

}  // namespace synack::view

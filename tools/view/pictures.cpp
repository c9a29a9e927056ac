#include "pictures.hpp"

#include <fmt/core.h>

#include "html.hpp"
#include "plot.hpp"
#include "svg_ladder.hpp"
#include "svg_util.hpp"

namespace synack::view {

bool write_pictures(std::string_view who, const PictureFiles& files, const Recording& rec,
                    const Analysis& analysis) {
  auto put = [who](std::string_view flag, const std::string& path, const std::string& content) {
    if (std::string err = write_whole_file(path, content); !err.empty()) {
      fmt::print(stderr, "{}: {}: cannot write '{}': {}\n", who, flag, path, err);
      return false;
    }
    return true;
  };
  bool ok = true;
  if (!files.svg.empty()) ok = put("--svg", files.svg, render_svg_ladder(rec, &analysis)) && ok;
  if (!files.plot.empty()) {
    // The direction that carried the most data (a transfer's sender).
    if (auto b = busiest_direction(analysis)) {
      ok = put("--plot", files.plot,
               render_time_sequence(analysis.connections[b->connection], b->dir)) &&
           ok;
    } else {
      fmt::print(stderr, "{}: --plot: no TCP connection in this run to plot; '{}' not written\n",
                 who, files.plot);
      ok = false;
    }
  }
  if (!files.html.empty()) ok = put("--html", files.html, render_html(rec, analysis)) && ok;
  return ok;
}

}  // namespace synack::view

// Small helpers shared by the SVG and HTML renderers: escaping text for XML and JSON,
// and numbers short enough for a coordinate attribute.
#pragma once

#include <string>
#include <string_view>

namespace synack::view {

// & < > " ' as entities: safe in text and in attribute values.
std::string xml_escape(std::string_view s);
// A JSON string literal with its quotes. < > & are written as \u escapes, so the JSON
// can sit in an HTML <script> element without ever ending it.
std::string json_string(std::string_view s);
// A coordinate with at most one decimal ("12", "12.5").
std::string num(double v);
// At most `max` characters (UTF-8 aware enough for ASCII text): cut with "..." if longer.
std::string clip(std::string_view s, std::size_t max);

// Writes `content` to `path` whole or not at all (a temporary file beside it, then
// renamed). Returns "" on success, else why not ("Permission denied").
std::string write_whole_file(const std::string& path, std::string_view content);

}  // namespace synack::view

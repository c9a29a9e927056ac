// Usage errors (docs/CLI.md: one line on stderr, exit 2). The validators below name
// the bad value and what is accepted; usage_message() turns every CLI11 parse error into
// one line that names what was wrong and what would be right, reading the parsed
// command line (which subcommand, which options are missing or clash) rather than
// rewording CLI11's English.
#include <fmt/core.h>
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string_view>

#include "cli.hpp"

namespace synack::cli {
namespace {

// The whole text must be the number, in decimal: "", "12x" and "0x10" are rejected.
template <class T>
std::optional<T> parse_number(const std::string& text) {
  T v{};
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, v);
  if (text.empty() || ec != std::errc{} || ptr != end) return std::nullopt;
  return v;
}

template <class T>
CLI::Validator integer_validator(T lo, T hi, std::string range, std::string desc) {
  return CLI::Validator(
      [lo, hi, range](std::string& text) -> std::string {
        auto v = parse_number<T>(text);
        if (!v) return fmt::format("'{}' is not a whole number in {}", text, range);
        if (*v < lo || *v > hi) return fmt::format("'{}' is not in {}", text, range);
        // CLI11 converts with base 0 ("010" is octal 8): hand it the value checked here.
        text = std::to_string(*v);
        return {};
      },
      std::move(desc));
}

const CLI::App* innermost(const CLI::App* app) {
  for (;;) {
    auto subs = app->get_subcommands();
    if (subs.empty()) return app;
    app = subs.front();
  }
}

std::string command_path(const CLI::App* app) {
  std::string path = app->get_name();
  for (const CLI::App* p = app->get_parent(); p != nullptr; p = p->get_parent()) {
    path = p->get_name() + " " + path;
  }
  return path;
}

std::string help_hint(const CLI::App* app) {
  if (app->get_parent() == nullptr) return "(try --help)";
  return fmt::format("(see {} --help)", command_path(app));
}

bool looks_like_option(std::string_view word) {
  return word.size() > 1 && word[0] == '-';
}

// "--bogus=3" names the option "--bogus".
std::string option_word(std::string_view word) {
  return std::string(word.substr(0, word.find('=')));
}

std::string subcommand_names(const CLI::App* top) {
  std::vector<std::string> names;
  for (const CLI::App* sub : top->get_subcommands([](const CLI::App*) { return true; })) {
    names.push_back(sub->get_name());
  }
  return fmt::format("{}", fmt::join(names, ", "));
}

// What an app's positionals look like on the command line: "[SCENARIO]", "URL".
std::string positional_usage(const CLI::App* app) {
  std::vector<std::string> parts;
  for (const CLI::Option* o :
       app->get_options([](const CLI::Option* o) { return o->get_positional(); })) {
    std::string part = o->get_name();
    if (o->get_expected_max() > 1) part += "...";
    parts.push_back(o->get_required() ? part : "[" + part + "]");
  }
  if (parts.empty()) return "no arguments";
  return fmt::format("{}", fmt::join(parts, " "));
}

// No subcommand was parsed: say which word was not one, and list them.
std::string no_subcommand(const CLI::App* top) {
  const auto words = top->remaining();
  const std::string names = subcommand_names(top);
  if (words.empty()) return fmt::format("a subcommand is required; expected one of: {}", names);
  if (looks_like_option(words.front())) {
    return fmt::format("unknown option {} for '{}'; expected a subcommand first: {}",
                       option_word(words.front()), top->get_name(), names);
  }
  return fmt::format("unknown subcommand '{}'; expected one of: {}", words.front(), names);
}

// Words CLI11 could not place: unknown options first, else surplus arguments.
std::string extras(const CLI::App* top) {
  const CLI::App* app = top;
  std::vector<std::string> words = app->remaining();
  // CLI11 checks the top level first, then each parsed subcommand: do the same.
  while (words.empty() && !app->get_subcommands().empty()) {
    app = app->get_subcommands().front();
    words = app->remaining();
  }
  const std::string where = command_path(app);
  std::vector<std::string> options;
  for (const auto& w : words) {
    if (looks_like_option(w)) options.push_back(option_word(w));
  }
  if (!options.empty()) {
    return fmt::format("unknown option{} {} for '{}' {}", options.size() > 1 ? "s" : "",
                       fmt::join(options, ", "), where, help_hint(app));
  }
  std::vector<std::string> quoted;
  for (const auto& w : words) quoted.push_back("'" + w + "'");
  return fmt::format("unexpected argument{} {} for '{}', which takes {} {}",
                     words.size() > 1 ? "s" : "", fmt::join(quoted, " "), where,
                     positional_usage(app), help_hint(app));
}

// Every required option and argument still missing, with what it takes.
std::string missing(const CLI::App* app) {
  std::vector<std::string> items;
  for (const CLI::Option* o : app->get_options(
           [](const CLI::Option* o) { return o->get_required() && o->count() == 0; })) {
    if (o->get_positional()) {
      items.push_back(fmt::format("{} ({})", o->get_name(), o->get_description()));
    } else {
      items.push_back(fmt::format("{} {}", o->get_name(), o->get_type_name()));
    }
  }
  if (items.empty()) return {};
  return fmt::format("missing {} for '{}' {}", fmt::join(items, ", "), command_path(app),
                     help_hint(app));
}

// The first pair of given options that exclude each other, in CLI11's order.
std::string excluded(const CLI::App* app) {
  for (const CLI::Option* o : app->get_options()) {
    if (o->count() == 0) continue;
    for (const CLI::Option* other : o->get_excludes()) {
      if (other->count() > 0) {
        return fmt::format("{} and {} cannot be used together; give one or the other {}",
                           o->get_name(), other->get_name(), help_hint(app));
      }
    }
  }
  return {};
}

// ArgumentMismatch names its option first ("--loss: 1 required ..."); find that option.
std::string mismatch(const CLI::App* app, const CLI::Error& e) {
  const std::string_view what = e.what();
  const std::string name(what.substr(0, what.find_first_of(": ")));
  const CLI::Option* o = app->get_option_no_throw(name);
  if (o == nullptr) return {};
  const int max = std::max(o->get_items_expected_max(), 1);
  if (static_cast<int>(o->count()) > max) {
    return fmt::format("{} given {} times; give it {} {}", name, o->count(),
                       max == 1 ? std::string("once") : fmt::format("at most {} times", max),
                       help_hint(app));
  }
  return fmt::format("{} needs a value ({}) {}", name, o->get_type_name(), help_hint(app));
}

// The only ConversionError left once every valued option has a validator: a flag given a
// value ("--json=abc"). CLI11 names the option after "Could not convert: ".
std::string conversion(const CLI::App* app, const CLI::Error& e) {
  constexpr std::string_view kLead = "Could not convert: ";
  const std::string_view what = e.what();
  if (what.substr(0, kLead.size()) != kLead) return {};
  const std::string_view rest = what.substr(kLead.size());
  const std::string name(rest.substr(0, rest.find(' ')));
  const CLI::Option* o = app->get_option_no_throw(name);
  if (o == nullptr || o->get_expected_max() != 0 || o->results().empty()) return {};
  return fmt::format("{} is a flag and takes no value, not '{}' {}", name, o->results().back(),
                     help_hint(app));
}

}  // namespace

CLI::Validator one_of(std::vector<std::string> choices) {
  const std::string list = fmt::format("{}", fmt::join(choices, ", "));
  const std::string desc = fmt::format("{}", fmt::join(choices, "|"));
  return CLI::Validator(
      [choices = std::move(choices), list](std::string& text) -> std::string {
        if (std::find(choices.begin(), choices.end(), text) != choices.end()) return {};
        return fmt::format("'{}' is not one of {}", text, list);
      },
      desc);
}

CLI::Validator int_in(std::int64_t lo, std::int64_t hi) {
  std::string range = fmt::format("{}..{}", lo, hi);
  return integer_validator<std::int64_t>(lo, hi, range, range);
}

CLI::Validator whole_number() {
  constexpr auto kMax = std::numeric_limits<std::uint64_t>::max();
  return integer_validator<std::uint64_t>(0, kMax, fmt::format("0..{}", kMax), "");
}

CLI::Validator real_in(double lo, double hi) {
  const std::string range = fmt::format("{}..{}", lo, hi);
  return CLI::Validator(
      [lo, hi, range](std::string& text) -> std::string {
        auto v = parse_number<double>(text);
        if (!v || !std::isfinite(*v)) return fmt::format("'{}' is not a number in {}", text, range);
        if (*v < lo || *v > hi) return fmt::format("'{}' is not in {}", text, range);
        return {};
      },
      range);
}

std::string usage_message(const CLI::App* top, const CLI::Error& e) {
  const CLI::App* app = innermost(top);
  std::string line;
  if (dynamic_cast<const CLI::RequiredError*>(&e) != nullptr) {
    line = missing(app);
    if (line.empty() && app == top) line = no_subcommand(top) + " " + help_hint(top);
  } else if (dynamic_cast<const CLI::ExtrasError*>(&e) != nullptr) {
    line = extras(top);
  } else if (dynamic_cast<const CLI::ExcludesError*>(&e) != nullptr) {
    line = excluded(app);
  } else if (dynamic_cast<const CLI::ArgumentMismatch*>(&e) != nullptr) {
    line = mismatch(app, e);
  } else if (dynamic_cast<const CLI::ConversionError*>(&e) != nullptr) {
    line = conversion(app, e);
  } else if (dynamic_cast<const CLI::ValidationError*>(&e) != nullptr) {
    line = e.what();  // the validators above name the value and what is accepted
  }
  if (line.empty()) line = fmt::format("{} {}", e.what(), help_hint(app));
  return fmt::format("{}: {}\n", top->get_name(), line);
}

}  // namespace synack::cli

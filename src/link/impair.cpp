#include "synack/link/impair.hpp"

#include <charconv>
#include <cmath>
#include <set>
#include <system_error>

namespace synack::link {

namespace {

constexpr double kMaxDelayMs = 60000;

ImpairError error(ImpairErrorCode code, std::string_view key = {}, std::string_view value = {}) {
  return ImpairError{code, std::string(key), std::string(value)};
}

// The whole text must be the number: "0.5x" and "" are rejected.
template <class T>
std::optional<T> parse_number(std::string_view text) {
  T v{};
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, v);
  if (ec != std::errc{} || ptr != end || text.empty()) return std::nullopt;
  return v;
}

Result<double, ImpairError> probability(std::string_view key, std::string_view value) {
  auto p = parse_number<double>(value);
  if (!p || !std::isfinite(*p)) return Err{error(ImpairErrorCode::BadNumber, key, value)};
  if (*p < 0 || *p > 1) return Err{error(ImpairErrorCode::OutOfRange, key, value)};
  return *p;
}

Result<Duration, ImpairError> millis(std::string_view key, std::string_view value) {
  auto ms = parse_number<double>(value);
  if (!ms || !std::isfinite(*ms)) return Err{error(ImpairErrorCode::BadNumber, key, value)};
  if (*ms < 0 || *ms > kMaxDelayMs) return Err{error(ImpairErrorCode::OutOfRange, key, value)};
  return Duration(static_cast<std::int64_t>(std::llround(*ms * 1e6)));
}

// Applies one key=value item to the spec.
std::optional<ImpairError> apply(ImpairSpec& spec, std::string_view key, std::string_view value) {
  auto set_probability = [&](double& field) -> std::optional<ImpairError> {
    auto p = probability(key, value);
    if (!p) return p.error();
    field = *p;
    return std::nullopt;
  };
  auto set_millis = [&](Duration& field) -> std::optional<ImpairError> {
    auto d = millis(key, value);
    if (!d) return d.error();
    field = *d;
    return std::nullopt;
  };
  if (key == "loss") return set_probability(spec.config.loss);
  if (key == "dup") return set_probability(spec.config.duplicate);
  if (key == "reorder") return set_probability(spec.config.reorder);
  if (key == "corrupt") return set_probability(spec.config.corrupt);
  if (key == "ce") return set_probability(spec.config.ce);
  if (key == "delay") return set_millis(spec.config.delay);
  if (key == "jitter") return set_millis(spec.config.jitter);
  if (key == "dir") {
    if (value == "both")
      spec.direction = ImpairDirection::Both;
    else if (value == "in")
      spec.direction = ImpairDirection::In;
    else if (value == "out")
      spec.direction = ImpairDirection::Out;
    else
      return error(ImpairErrorCode::OutOfRange, key, value);
    return std::nullopt;
  }
  if (key == "seed") {
    auto s = parse_number<std::uint64_t>(value);
    if (!s) return error(ImpairErrorCode::BadNumber, key, value);
    spec.seed = *s;
    return std::nullopt;
  }
  return error(ImpairErrorCode::UnknownKey, key, value);
}

}  // namespace

bool ImpairSpec::operator==(const ImpairSpec& o) const {
  const auto& a = config;
  const auto& b = o.config;
  return seed == o.seed && direction == o.direction && a.loss == b.loss && a.delay == b.delay &&
         a.jitter == b.jitter && a.reorder == b.reorder && a.reorder_hold == b.reorder_hold &&
         a.duplicate == b.duplicate && a.corrupt == b.corrupt && a.ce == b.ce &&
         a.rate_bps == b.rate_bps && a.queue_limit_bytes == b.queue_limit_bytes &&
         a.queue_limit_frames == b.queue_limit_frames;
}

std::string ImpairError::message() const {
  std::string item = key.empty() ? std::string() : key + "=" + value + ": ";
  switch (code) {
    case ImpairErrorCode::Empty:
      return "--impair: empty specification or empty item";
    case ImpairErrorCode::MissingValue:
      return "--impair: '" + key + "' needs a value (KEY=VALUE)";
    case ImpairErrorCode::UnknownKey:
      return "--impair: unknown key '" + key +
             "' (expected loss, dup, reorder, corrupt, ce, delay, jitter, seed, dir)";
    case ImpairErrorCode::DuplicateKey:
      return "--impair: " + item + "key given twice";
    case ImpairErrorCode::BadNumber:
      return "--impair: " + item + "not a valid number";
    case ImpairErrorCode::OutOfRange:
      return "--impair: " + item +
             (key == "delay" || key == "jitter" ? "milliseconds must be between 0 and 60000"
              : key == "dir"                    ? "must be both, in or out"
                                                : "probability must be between 0 and 1");
  }
  return "--impair: invalid specification";
}

Result<ImpairSpec, ImpairError> parse_impair(std::string_view spec) {
  ImpairSpec out;
  if (spec.empty()) return Err{error(ImpairErrorCode::Empty)};
  std::set<std::string_view> seen;
  std::size_t pos = 0;
  while (pos <= spec.size()) {
    const std::size_t comma = std::min(spec.find(',', pos), spec.size());
    const std::string_view item = spec.substr(pos, comma - pos);
    pos = comma + 1;
    if (item.empty()) return Err{error(ImpairErrorCode::Empty)};
    const std::size_t eq = item.find('=');
    const std::string_view key = item.substr(0, eq);
    if (eq == std::string_view::npos || eq + 1 == item.size()) {
      return Err{error(ImpairErrorCode::MissingValue, key)};
    }
    const std::string_view value = item.substr(eq + 1);
    if (!seen.insert(key).second) return Err{error(ImpairErrorCode::DuplicateKey, key, value)};
    if (auto e = apply(out, key, value)) return Err{*e};
  }
  return out;
}

std::size_t Impairer::release(Instant now, ImpairSink& sink) {
  std::size_t n = 0;
  while (auto d = link_.pop_ready(now)) {
    ++n;
    if (d->to == End::B) {
      sink.to_device(std::move(d->frame), now);
    } else {
      sink.to_stack(std::move(d->frame), now);
    }
  }
  return n;
}

}  // namespace synack::link

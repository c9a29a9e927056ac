// Parser and formatter for the scripted-segment language (see script.hpp and
// docs/SCRIPTS.md). Hand-written cursor parser: bounded, no exceptions, no recursion.
#include "synack/script/script.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <limits>

namespace synack::script {

namespace {

using wire::TcpFlags;

struct CallShape {
  std::string_view name;
  std::size_t min_args;
  std::size_t max_args;
};

constexpr std::array<CallShape, 24> kCalls{{
    {"socket", 0, 0},       {"listen", 0, 1},      {"connect", 0, 2},  {"accept", 0, 0},
    {"write", 1, 1},        {"send_urgent", 1, 1}, {"read", 1, 1},     {"peek", 1, 1},
    {"begin_batch", 0, 0},  {"end_batch", 0, 0},   {"shutdown", 0, 0}, {"close", 0, 0},
    {"abort", 0, 0},        {"setsockopt", 2, 2},  {"state", 1, 1},    {"event", 1, 2},
    {"noevent", 1, 1},      {"icmp", 2, 3},        {"urgent", 0, 0},   {"tcp_info", 1, 1},
    {"connect_data", 1, 3}, {"peer_port", 1, 1},   {"tcp_stat", 1, 1}, {"icmp6", 2, 3},
}};

// tcpdump's order (print-tcp.c tcp_flag_values): F S R P . U E W.
constexpr std::array<std::pair<char, std::uint8_t>, 8> kFlagLetters{{
    {'F', TcpFlags::kFin},
    {'S', TcpFlags::kSyn},
    {'R', TcpFlags::kRst},
    {'P', TcpFlags::kPsh},
    {'.', TcpFlags::kAck},
    {'U', TcpFlags::kUrg},
    {'E', TcpFlags::kEce},
    {'W', TcpFlags::kCwr},
}};

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r';
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_ident_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool is_ident_char(char c) {
  return is_ident_start(c) || is_digit(c);
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// A cursor over one line; every error carries the line number.
class Cursor {
 public:
  Cursor(std::string_view text, std::size_t line) : s_(text), line_(line) {}

  void skip_ws() {
    while (pos_ < s_.size() && is_space(s_[pos_])) ++pos_;
  }
  bool at_end() {
    skip_ws();
    return pos_ >= s_.size();
  }
  char peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }
  bool eat(char c) {
    skip_ws();
    if (peek() != c) return false;
    ++pos_;
    return true;
  }
  // The next run of non-space characters.
  std::string_view word() {
    skip_ws();
    const std::size_t start = pos_;
    while (pos_ < s_.size() && !is_space(s_[pos_])) ++pos_;
    return s_.substr(start, pos_ - start);
  }
  std::string_view ident() {
    skip_ws();
    const std::size_t start = pos_;
    if (pos_ < s_.size() && is_ident_start(s_[pos_])) {
      while (pos_ < s_.size() && is_ident_char(s_[pos_])) ++pos_;
    }
    return s_.substr(start, pos_ - start);
  }
  std::string_view rest() {
    skip_ws();
    return s_.substr(pos_);
  }
  std::size_t pos() const { return pos_; }
  void set_pos(std::size_t p) { pos_ = p; }
  Err<ScriptError> error(ScriptErrorCode code, std::string detail) const {
    return Err{ScriptError{line_, code, std::move(detail)}};
  }
  std::size_t line() const { return line_; }

 private:
  std::string_view s_;
  std::size_t pos_ = 0;
  std::size_t line_;
};

// Parses all of `text` as an unsigned decimal no larger than `max`.
std::optional<std::uint64_t> parse_uint(std::string_view text, std::uint64_t max) {
  if (text.empty() || text.size() > 20) return std::nullopt;
  for (char c : text) {
    if (!is_digit(c)) return std::nullopt;
  }
  std::uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || ptr != text.data() + text.size() || v > max) return std::nullopt;
  return v;
}

// "1.250" -> 1.25 s, up to 9 fractional digits, at most 10^6 seconds.
std::optional<Duration> parse_seconds(std::string_view text) {
  const std::size_t dot = text.find('.');
  const std::string_view whole = text.substr(0, dot);
  const auto secs = parse_uint(whole, 1'000'000);
  if (!secs) return std::nullopt;
  std::int64_t nanos = static_cast<std::int64_t>(*secs) * 1'000'000'000;
  if (dot != std::string_view::npos) {
    const std::string_view frac = text.substr(dot + 1);
    if (frac.empty() || frac.size() > 9) return std::nullopt;
    const auto f = parse_uint(frac, 999'999'999);
    if (!f) return std::nullopt;
    std::int64_t scaled = static_cast<std::int64_t>(*f);
    for (std::size_t i = frac.size(); i < 9; ++i) scaled *= 10;
    nanos += scaled;
  }
  return Duration(nanos);
}

Result<TimeSpec, ScriptError> parse_time(std::string_view tok, const Cursor& c) {
  TimeSpec t;
  const std::size_t tilde = tok.find('~');
  std::string_view first = tok.substr(0, tilde);
  if (!first.empty() && first.front() == '+') {
    t.relative = true;
    first.remove_prefix(1);
  }
  const auto at = parse_seconds(first);
  if (!at) return c.error(ScriptErrorCode::BadTime, "bad time '" + std::string(tok) + "'");
  t.at = *at;
  if (tilde == std::string_view::npos) return t;
  std::string_view second = tok.substr(tilde + 1);
  if (!second.empty() && second.front() == '+') {
    t.until_relative = true;
    second.remove_prefix(1);
  }
  const auto until = parse_seconds(second);
  if (!until) return c.error(ScriptErrorCode::BadTime, "bad time '" + std::string(tok) + "'");
  // Both ends on the same base: the end must not precede the start.
  if (t.until_relative == t.relative && *until < *at) {
    return c.error(ScriptErrorCode::BadTime,
                   "range end before start in '" + std::string(tok) + "'");
  }
  t.until = *until;
  return t;
}

Result<std::uint8_t, ScriptError> parse_flags(std::string_view tok, const Cursor& c) {
  std::uint8_t bits = 0;
  if (tok.empty()) return c.error(ScriptErrorCode::BadFlags, "missing flags");
  for (char ch : tok) {
    const auto it = std::find_if(kFlagLetters.begin(), kFlagLetters.end(),
                                 [ch](const auto& p) { return p.first == ch; });
    if (it == kFlagLetters.end() || (bits & it->second) != 0) {
      return c.error(ScriptErrorCode::BadFlags, "bad flags '" + std::string(tok) + "'");
    }
    bits |= it->second;
  }
  return bits;
}

// "a:b" with 32-bit a and b.
std::optional<wire::SackBlock> parse_block(std::string_view tok) {
  const std::size_t colon = tok.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  const auto l = parse_uint(tok.substr(0, colon), 0xffffffffu);
  const auto r = parse_uint(tok.substr(colon + 1), 0xffffffffu);
  if (!l || !r) return std::nullopt;
  return wire::SackBlock{SeqNum(static_cast<std::uint32_t>(*l)),
                         SeqNum(static_cast<std::uint32_t>(*r))};
}

// Splits on spaces into at most `max` words; nullopt when there are more.
template <std::size_t N>
std::optional<std::size_t> split_words(std::string_view s, std::array<std::string_view, N>& out) {
  std::size_t n = 0;
  Cursor c(s, 0);
  while (!c.at_end()) {
    if (n == N) return std::nullopt;
    out[n++] = c.word();
  }
  return n;
}

// A timestamp value: a number, or '*' (flag set instead).
bool parse_ts_value(std::string_view tok, std::uint32_t& value, bool& any) {
  if (tok == "*") {
    any = true;
    value = 0;
    return true;
  }
  const auto v = parse_uint(tok, 0xffffffffu);
  if (!v) return false;
  value = static_cast<std::uint32_t>(*v);
  return true;
}

bool parse_option_item(std::string_view item, OptionSpec& spec) {
  std::array<std::string_view, 6> w{};
  const auto n = split_words(item, w);
  if (!n || *n == 0) return false;
  auto& o = spec.opts;
  if (w[0] == "nop" || w[0] == "eol") return *n == 1;
  if (w[0] == "sackOK") {
    if (*n != 1 || o.sack_permitted) return false;
    o.sack_permitted = true;
    return true;
  }
  if (w[0] == "mss") {
    const auto v = *n == 2 ? parse_uint(w[1], 0xffff) : std::nullopt;
    if (!v || o.mss) return false;
    o.mss = static_cast<std::uint16_t>(*v);
    return true;
  }
  if (w[0] == "wscale") {
    const auto v = *n == 2 ? parse_uint(w[1], 0xff) : std::nullopt;
    if (!v || o.window_scale) return false;
    o.window_scale = static_cast<std::uint8_t>(*v);
    return true;
  }
  if (w[0] == "TS") {
    if (*n != 5 || w[1] != "val" || w[3] != "ecr" || o.timestamps) return false;
    wire::TcpTimestamps ts;
    if (!parse_ts_value(w[2], ts.tsval, spec.tsval_any)) return false;
    if (!parse_ts_value(w[4], ts.tsecr, spec.tsecr_any)) return false;
    o.timestamps = ts;
    return true;
  }
  if (w[0] == "FO") {
    // RFC 7413 §4.1.1 (packetdrill's spelling): `FO` a cookie request, `FO *` any
    // cookie, `FO <hex>` a cookie of 4..16 bytes, even.
    if (*n > 2 || o.tfo_cookie) return false;
    o.tfo_cookie = std::array<std::uint8_t, 16>{};
    o.tfo_cookie_len = 0;
    if (*n == 1) return true;
    if (w[1] == "*") {
      spec.tfo_any = true;
      return true;
    }
    const std::string_view hexs = w[1];
    if (hexs.size() % 4 != 0 || hexs.size() < 8 || hexs.size() > 32) return false;
    for (std::size_t i = 0; i < hexs.size() / 2; ++i) {
      const auto nib = [](char ch) -> int {
        if (ch >= '0' && ch <= '9') return ch - '0';
        if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
        if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
        return -1;
      };
      const int hi = nib(hexs[2 * i]);
      const int lo = nib(hexs[2 * i + 1]);
      if (hi < 0 || lo < 0) return false;
      (*o.tfo_cookie)[i] = static_cast<std::uint8_t>(hi * 16 + lo);
    }
    o.tfo_cookie_len = static_cast<std::uint8_t>(hexs.size() / 2);
    return true;
  }
  if (w[0] == "sack") {
    // RFC 2018 §3: at most 4 blocks fit in the option space.
    if (*n < 2 || *n > 1 + o.sack_blocks.size() || o.sack_count != 0) return false;
    for (std::size_t i = 1; i < *n; ++i) {
      const auto b = parse_block(w[i]);
      if (!b) return false;
      o.sack_blocks[o.sack_count++] = *b;
    }
    return true;
  }
  return false;
}

// Everything between '<' and the final '>'.
Result<OptionSpec, ScriptError> parse_options(std::string_view body, const Cursor& c) {
  OptionSpec spec;
  body = trim(body);
  if (body.empty()) return spec;
  std::size_t start = 0;
  while (start <= body.size()) {
    std::size_t comma = body.find(',', start);
    if (comma == std::string_view::npos) comma = body.size();
    const std::string_view item = trim(body.substr(start, comma - start));
    if (!parse_option_item(item, spec)) {
      return c.error(ScriptErrorCode::BadOption, "bad option '" + std::string(item) + "'");
    }
    start = comma + 1;
  }
  return spec;
}

// `seq:end(len)` at the cursor's word.
Result<bool, ScriptError> parse_seq_range(std::string_view tok, SegmentSpec& s, const Cursor& c) {
  const auto bad = [&] {
    return c.error(ScriptErrorCode::BadSequence, "bad sequence range '" + std::string(tok) + "'");
  };
  const std::size_t colon = tok.find(':');
  const std::size_t open = tok.find('(');
  if (colon == std::string_view::npos || open == std::string_view::npos || open < colon ||
      tok.back() != ')') {
    return bad();
  }
  const auto a = parse_uint(tok.substr(0, colon), 0xffffffffu);
  const auto b = parse_uint(tok.substr(colon + 1, open - colon - 1), 0xffffffffu);
  const auto len = parse_uint(tok.substr(open + 1, tok.size() - open - 2), 0xffffffffu);
  if (!a || !b || !len) return bad();
  if (static_cast<std::uint32_t>(*b - *a) != *len) return bad();
  s.seq = static_cast<std::uint32_t>(*a);
  s.payload_len = static_cast<std::uint32_t>(*len);
  return true;
}

Result<SegmentSpec, ScriptError> parse_segment(Cursor& c, std::string_view line, Direction dir) {
  SegmentSpec s;
  s.dir = dir;
  c.skip_ws();
  if (c.peek() == '[') {  // packetdrill's IP ECN mark: `< [ce] . 1:1001(1000) ...`
    const std::string_view mark = c.word();
    bool known = false;
    for (const auto e : {wire::Ecn::NotEct, wire::Ecn::Ect0, wire::Ecn::Ect1, wire::Ecn::Ce}) {
      if (mark == "[" + std::string(format_ecn(e)) + "]") {
        s.ecn = e;
        known = true;
      }
    }
    if (!known) return c.error(ScriptErrorCode::BadEcn, "bad ECN mark '" + std::string(mark) + "'");
  }
  auto flags = parse_flags(c.word(), c);
  if (!flags) return Err{flags.error()};
  s.flags = *flags;
  bool have_seq = false;
  while (!c.at_end()) {
    if (c.peek() == '<') {
      const std::string_view rest = c.rest();
      if (rest.back() != '>') return c.error(ScriptErrorCode::BadOption, "unterminated options");
      auto opts = parse_options(rest.substr(1, rest.size() - 2), c);
      if (!opts) return Err{opts.error()};
      s.options = *opts;
      c.set_pos(line.size());
      break;
    }
    const std::size_t save = c.pos();
    const std::string_view kw = c.word();
    if (!kw.empty() && is_digit(kw.front())) {
      if (have_seq) return c.error(ScriptErrorCode::BadKeyword, "second sequence number");
      auto r = parse_seq_range(kw, s, c);
      if (!r) return Err{r.error()};
      have_seq = true;
      continue;
    }
    const auto num = [&](std::uint64_t max) { return parse_uint(c.word(), max); };
    if (kw == "seq") {
      const auto v = num(0xffffffffu);
      if (!v) return c.error(ScriptErrorCode::BadSequence, "bad 'seq' value");
      if (have_seq) return c.error(ScriptErrorCode::BadKeyword, "second sequence number");
      s.seq = static_cast<std::uint32_t>(*v);
      have_seq = true;
    } else if (kw == "ack" && !s.ack) {
      const auto v = num(0xffffffffu);
      if (!v) return c.error(ScriptErrorCode::BadNumber, "bad 'ack' value");
      s.ack = static_cast<std::uint32_t>(*v);
    } else if (kw == "win" && !s.win) {
      const auto v = num(0xffff);
      if (!v) return c.error(ScriptErrorCode::BadNumber, "bad 'win' value");
      s.win = static_cast<std::uint16_t>(*v);
    } else if (kw == "urg" && !s.urg) {
      const auto v = num(0xffff);
      if (!v) return c.error(ScriptErrorCode::BadNumber, "bad 'urg' value");
      s.urg = static_cast<std::uint16_t>(*v);
    } else {
      c.set_pos(save);
      return c.error(ScriptErrorCode::BadKeyword, "unexpected '" + std::string(kw) + "'");
    }
  }
  if (dir == Direction::Inbound && !s.seq) {
    return c.error(ScriptErrorCode::MissingSequence, "injected segment needs a sequence number");
  }
  return s;
}

// A signed decimal or an identifier.
std::optional<Arg> parse_arg(std::string_view tok) {
  if (tok.empty()) return std::nullopt;
  if (is_ident_start(tok.front())) {
    if (!std::all_of(tok.begin(), tok.end(), is_ident_char)) return std::nullopt;
    return Arg{std::string(tok)};
  }
  const bool neg = tok.front() == '-';
  const auto v = parse_uint(neg ? tok.substr(1) : tok,
                            static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()));
  if (!v) return std::nullopt;
  const auto n = static_cast<std::int64_t>(*v);
  return Arg{neg ? -n : n};
}

Result<CallSpec, ScriptError> parse_call(Cursor& c, std::string_view line) {
  CallSpec call;
  call.name = std::string(c.ident());
  const auto shape = std::find_if(kCalls.begin(), kCalls.end(),
                                  [&](const CallShape& k) { return k.name == call.name; });
  if (call.name.empty() || shape == kCalls.end()) {
    const std::string shown = call.name.empty() ? std::string(c.word()) : call.name;
    return c.error(ScriptErrorCode::BadCall, "unknown call '" + shown + "'");
  }
  if (c.peek() != '(') return c.error(ScriptErrorCode::BadCall, "expected '(' after " + call.name);
  c.set_pos(c.pos() + 1);
  const std::size_t close = line.find(')', c.pos());
  if (close == std::string_view::npos) return c.error(ScriptErrorCode::BadCall, "missing ')'");
  const std::string_view inside = trim(line.substr(c.pos(), close - c.pos()));
  std::size_t start = 0;
  while (!inside.empty() && start <= inside.size()) {
    std::size_t comma = inside.find(',', start);
    if (comma == std::string_view::npos) comma = inside.size();
    const auto arg = parse_arg(trim(inside.substr(start, comma - start)));
    if (!arg) return c.error(ScriptErrorCode::BadCall, "bad argument in " + call.name);
    if (call.args.size() >= shape->max_args) break;  // counted below as too many
    call.args.push_back(*arg);
    start = comma + 1;
  }
  const std::size_t given = inside.empty() ? 0 : std::count(inside.begin(), inside.end(), ',') + 1;
  if (given < shape->min_args || given > shape->max_args) {
    return c.error(ScriptErrorCode::BadArgCount,
                   call.name + " takes " + std::to_string(shape->min_args) + ".." +
                       std::to_string(shape->max_args) + " arguments");
  }
  c.set_pos(close + 1);
  if (c.at_end()) return call;
  if (!c.eat('='))
    return c.error(ScriptErrorCode::TrailingGarbage, "'" + std::string(c.rest()) + "'");
  const std::string_view tok = c.word();
  if (!c.at_end())
    return c.error(ScriptErrorCode::TrailingGarbage, "'" + std::string(c.rest()) + "'");
  if (tok.size() > 1 && tok.front() == '-' && is_ident_start(tok[1])) {
    const auto name = parse_arg(tok.substr(1));
    if (!name || name->is_number()) return c.error(ScriptErrorCode::BadExpect, "bad error name");
    call.expect = Expect{name->ident()};
    return call;
  }
  const auto v = parse_arg(tok);
  if (!v || !v->is_number()) {
    return c.error(ScriptErrorCode::BadExpect, "bad expected value '" + std::string(tok) + "'");
  }
  call.expect = Expect{v->number()};
  return call;
}

Result<Directive, ScriptError> parse_directive(std::string_view text, std::size_t line_no) {
  Cursor c(text, line_no);
  c.eat('%');
  Directive d;
  d.number = line_no;
  d.key = std::string(c.ident());
  const auto v = parse_arg(c.word());
  if (d.key.empty() || !v || !c.at_end()) {
    return c.error(ScriptErrorCode::BadDirective, "expected '%key value'");
  }
  d.value = *v;
  return d;
}

// Strips a `//` or `#` comment.
std::string_view strip_comment(std::string_view s) {
  const std::size_t slashes = s.find("//");
  const std::size_t hash = s.find('#');
  return s.substr(0, std::min(slashes, hash));
}

std::string format_seconds(Duration d) {
  const std::int64_t ns = d.count();
  std::string frac = std::to_string(ns % 1'000'000'000);
  frac.insert(0, 9 - frac.size(), '0');
  // Keep at least milliseconds; drop trailing zeros beyond that.
  while (frac.size() > 3 && frac.back() == '0') frac.pop_back();
  return std::to_string(ns / 1'000'000'000) + "." + frac;
}

std::string format_ts_value(std::uint32_t v, bool any) {
  return any ? "*" : std::to_string(v);
}

std::string format_options(const OptionSpec& spec) {
  const auto& o = spec.opts;
  std::vector<std::string> items;
  if (o.mss) items.push_back("mss " + std::to_string(*o.mss));
  if (o.sack_permitted) items.emplace_back("sackOK");
  if (o.timestamps) {
    items.push_back("TS val " + format_ts_value(o.timestamps->tsval, spec.tsval_any) + " ecr " +
                    format_ts_value(o.timestamps->tsecr, spec.tsecr_any));
  }
  if (o.window_scale) items.push_back("wscale " + std::to_string(*o.window_scale));
  if (o.sack_count > 0) {
    std::string s = "sack";
    for (std::size_t i = 0; i < o.sack_count && i < o.sack_blocks.size(); ++i) {
      s += " " + std::to_string(o.sack_blocks[i].left.raw()) + ":" +
           std::to_string(o.sack_blocks[i].right.raw());
    }
    items.push_back(std::move(s));
  }
  if (o.tfo_cookie) {
    std::string s = "FO";
    if (spec.tfo_any) {
      s += " *";
    } else if (o.tfo_cookie_len > 0) {
      s += ' ';
      static constexpr char kHex[] = "0123456789abcdef";
      for (std::size_t i = 0; i < o.tfo_cookie_len && i < o.tfo_cookie->size(); ++i) {
        s += kHex[(*o.tfo_cookie)[i] >> 4];
        s += kHex[(*o.tfo_cookie)[i] & 15];
      }
    }
    items.push_back(std::move(s));
  }
  std::string out = "<";
  for (std::size_t i = 0; i < items.size(); ++i) out += (i ? "," : "") + items[i];
  return out + ">";
}

std::uint32_t rel(SeqNum abs, SeqNum base) {
  return abs.raw() - base.raw();
}

}  // namespace

std::string_view to_string(ScriptErrorCode c) {
  switch (c) {
    case ScriptErrorCode::LineTooLong:
      return "LineTooLong";
    case ScriptErrorCode::TooManyLines:
      return "TooManyLines";
    case ScriptErrorCode::BadTime:
      return "BadTime";
    case ScriptErrorCode::TimeGoesBackwards:
      return "TimeGoesBackwards";
    case ScriptErrorCode::BadFlags:
      return "BadFlags";
    case ScriptErrorCode::BadEcn:
      return "BadEcn";
    case ScriptErrorCode::BadSequence:
      return "BadSequence";
    case ScriptErrorCode::MissingSequence:
      return "MissingSequence";
    case ScriptErrorCode::BadNumber:
      return "BadNumber";
    case ScriptErrorCode::BadKeyword:
      return "BadKeyword";
    case ScriptErrorCode::BadOption:
      return "BadOption";
    case ScriptErrorCode::BadCall:
      return "BadCall";
    case ScriptErrorCode::BadArgCount:
      return "BadArgCount";
    case ScriptErrorCode::BadExpect:
      return "BadExpect";
    case ScriptErrorCode::BadDirective:
      return "BadDirective";
    case ScriptErrorCode::TrailingGarbage:
      return "TrailingGarbage";
  }
  return "Unknown";
}

std::string ScriptError::to_string() const {
  return "line " + std::to_string(line) + ": " + std::string(script::to_string(code)) + ": " +
         detail;
}

Result<Line, ScriptError> parse_line(std::string_view text, std::size_t line_no) {
  Cursor c(text, line_no);
  if (text.size() > kMaxLineLen) return c.error(ScriptErrorCode::LineTooLong, "line too long");
  Line l;
  l.number = line_no;
  auto t = parse_time(c.word(), c);
  if (!t) return Err{t.error()};
  l.time = *t;
  c.skip_ws();
  const char ch = c.peek();
  if (ch == '<' || ch == '>') {
    c.set_pos(c.pos() + 1);
    auto seg = parse_segment(c, text, ch == '<' ? Direction::Inbound : Direction::Outbound);
    if (!seg) return Err{seg.error()};
    l.body = *seg;
    return l;
  }
  auto call = parse_call(c, text);
  if (!call) return Err{call.error()};
  l.body = *call;
  return l;
}

Result<Script, ScriptError> parse_script(std::string_view text) {
  Script script;
  std::size_t line_no = 0;
  std::optional<Duration> last_abs;
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    const std::string_view raw = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    ++line_no;
    if (raw.size() > kMaxLineLen) {
      return Err{ScriptError{line_no, ScriptErrorCode::LineTooLong, "line too long"}};
    }
    const std::string_view body = trim(strip_comment(raw));
    if (body.empty()) continue;
    if (body.front() == '%') {
      auto d = parse_directive(body, line_no);
      if (!d) return Err{d.error()};
      script.directives.push_back(std::move(*d));
      continue;
    }
    if (script.lines.size() >= kMaxLines) {
      return Err{ScriptError{line_no, ScriptErrorCode::TooManyLines, "too many lines"}};
    }
    auto l = parse_line(body, line_no);
    if (!l) return Err{l.error()};
    if (!l->time.relative) {
      if (last_abs && l->time.at < *last_abs) {
        return Err{ScriptError{line_no, ScriptErrorCode::TimeGoesBackwards,
                               "time " + format_seconds(l->time.at) + " before previous line"}};
      }
      last_abs = l->time.at;
    }
    script.lines.push_back(std::move(*l));
  }
  return script;
}

std::string format_flags(std::uint8_t flags) {
  std::string out;
  for (const auto& [letter, bit] : kFlagLetters) {
    if (flags & bit) out += letter;
  }
  return out;
}

std::string_view format_ecn(wire::Ecn e) {
  switch (e) {
    case wire::Ecn::NotEct:
      return "noecn";
    case wire::Ecn::Ect1:
      return "ect1";
    case wire::Ecn::Ect0:
      return "ect0";
    case wire::Ecn::Ce:
      return "ce";
  }
  return "noecn";
}

std::string format_time(const TimeSpec& t) {
  std::string out = (t.relative ? "+" : "") + format_seconds(t.at);
  if (t.until) out += "~" + std::string(t.until_relative ? "+" : "") + format_seconds(*t.until);
  return out;
}

std::string format_segment(const SegmentSpec& s) {
  std::string out = s.dir == Direction::Inbound ? "<" : ">";
  if (s.ecn) out += " [" + std::string(format_ecn(*s.ecn)) + "]";
  out += " " + format_flags(s.flags);
  if (s.seq) {
    out += " " + std::to_string(*s.seq) + ":" + std::to_string(*s.seq + s.payload_len) + "(" +
           std::to_string(s.payload_len) + ")";
  }
  if (s.ack) out += " ack " + std::to_string(*s.ack);
  if (s.win) out += " win " + std::to_string(*s.win);
  if (s.urg) out += " urg " + std::to_string(*s.urg);
  if (s.options) out += " " + format_options(*s.options);
  return out;
}

std::string format_call(const CallSpec& c) {
  std::string out = c.name + "(";
  for (std::size_t i = 0; i < c.args.size(); ++i) {
    if (i) out += ", ";
    out += c.args[i].is_number() ? std::to_string(c.args[i].number()) : c.args[i].ident();
  }
  out += ")";
  if (c.expect) {
    out += " = " +
           (c.expect->is_error() ? "-" + c.expect->error() : std::to_string(c.expect->value()));
  }
  return out;
}

std::string format_line(const Line& l) {
  const std::string body = std::holds_alternative<SegmentSpec>(l.body)
                               ? format_segment(std::get<SegmentSpec>(l.body))
                               : format_call(std::get<CallSpec>(l.body));
  return format_time(l.time) + " " + body;
}

SegmentSpec describe(Direction dir, const wire::TcpRepr& seg, const SeqBases& bases) {
  // Our own segments count from the local ISN; the peer's from the remote ISN.
  const SeqNum seq_base = dir == Direction::Outbound ? bases.local_isn : bases.remote_isn;
  const SeqNum ack_base = dir == Direction::Outbound ? bases.remote_isn : bases.local_isn;
  SegmentSpec s;
  s.dir = dir;
  s.flags = seg.flags.bits;
  s.seq = rel(seg.seq, seq_base);
  s.payload_len = static_cast<std::uint32_t>(seg.payload.size());
  s.ack = rel(seg.ack, ack_base);
  s.win = seg.window;
  s.urg = seg.urgent;
  OptionSpec o;
  o.opts = seg.options;
  for (std::size_t i = 0; i < o.opts.sack_count && i < o.opts.sack_blocks.size(); ++i) {
    auto& b = o.opts.sack_blocks[i];
    b = {SeqNum(rel(b.left, ack_base)), SeqNum(rel(b.right, ack_base))};
  }
  s.options = o;
  return s;
}

std::vector<std::string> mismatches(const SegmentSpec& e, const SegmentSpec& a) {
  std::vector<std::string> out;
  if (e.flags != a.flags) out.emplace_back("flags");
  if (e.seq && *e.seq != a.seq) out.emplace_back("seq");
  if (e.seq && e.payload_len != a.payload_len) out.emplace_back("len");
  if (e.ack && e.ack != a.ack) out.emplace_back("ack");
  if (e.win && e.win != a.win) out.emplace_back("win");
  if (e.urg && e.urg != a.urg) out.emplace_back("urg");
  if (e.ecn.value_or(wire::Ecn::NotEct) != a.ecn.value_or(wire::Ecn::NotEct)) {
    out.emplace_back("ecn");
  }
  if (e.options && a.options) {
    wire::TcpOptions want = e.options->opts;
    const wire::TcpOptions& got = a.options->opts;
    if (want.timestamps && got.timestamps) {
      if (e.options->tsval_any) want.timestamps->tsval = got.timestamps->tsval;
      if (e.options->tsecr_any) want.timestamps->tsecr = got.timestamps->tsecr;
    }
    if (e.options->tfo_any) {  // any cookie, not a request
      want.tfo_cookie = got.tfo_cookie;
      want.tfo_cookie_len = got.tfo_cookie_len >= 4 ? got.tfo_cookie_len : 0xff;
    }
    // Unused SACK slots carry no meaning.
    for (std::size_t i = want.sack_count; i < want.sack_blocks.size(); ++i) {
      want.sack_blocks[i] = i < got.sack_blocks.size() ? got.sack_blocks[i] : wire::SackBlock{};
    }
    if (!(want == got)) out.emplace_back("options");
  }
  return out;
}

wire::TcpRepr to_repr(const SegmentSpec& s, const SeqBases& bases, std::uint32_t last_tsval,
                      const std::optional<wire::TcpOptions>& last_tfo) {
  wire::TcpRepr r;
  r.flags.bits = s.flags;
  r.seq = bases.remote_isn + s.seq.value_or(0);
  r.ack = bases.local_isn + s.ack.value_or(0);
  // RFC 9293 §3.1: without ACK the acknowledgment field is not meaningful; send 0.
  if (!s.ack) r.ack = SeqNum(0);
  r.window = s.win.value_or(0);
  r.urgent = s.urg.value_or(0);
  if (s.options) {
    r.options = s.options->opts;
    if (r.options.timestamps && s.options->tsecr_any) r.options.timestamps->tsecr = last_tsval;
    if (s.options->tfo_any && last_tfo) {
      r.options.tfo_cookie = last_tfo->tfo_cookie;
      r.options.tfo_cookie_len = last_tfo->tfo_cookie_len;
    }
    for (std::size_t i = 0; i < r.options.sack_count && i < r.options.sack_blocks.size(); ++i) {
      auto& b = r.options.sack_blocks[i];
      b = {bases.local_isn + b.left.raw(), bases.local_isn + b.right.raw()};
    }
  }
  return r;
}

}  // namespace synack::script

#include "synack/tcp/scoreboard.hpp"

namespace synack::tcp {

std::uint32_t SackScoreboard::add(SeqNum left, SeqNum right, SeqNum una, SeqNum snd_max) {
  // RFC 2018 §5 / RFC 2883 §5: a block at or below the cumulative ACK is a D-SACK (or
  // stale); a block beyond what was sent is bogus. Only the part above SND.UNA counts.
  if (!seq_lt(left, right) || seq_gt(right, snd_max) || seq_le(right, una)) return 0;
  const std::uint64_t before = set_.bytes();
  if (!set_.add(seq_max(left, una), right)) return 0;  // bounded: simply not kept
  return static_cast<std::uint32_t>(set_.bytes() - before);
}

std::optional<SackScoreboard::Range> SackScoreboard::next_sacked(SeqNum s) const {
  for (const auto& x : set_.ranges()) {
    if (seq_ge(x.start, s)) return x;
  }
  return std::nullopt;
}

bool SackScoreboard::is_lost(SeqNum s, std::uint32_t smss, std::uint32_t dup_thresh) const {
  std::uint32_t ranges = 0;
  std::uint64_t bytes = 0;
  for (const auto& x : set_.ranges()) {
    if (seq_le(x.end, s)) continue;
    ++ranges;
    bytes += static_cast<std::uint32_t>(x.end - seq_max(x.start, s));
  }
  return ranges >= dup_thresh || bytes > std::uint64_t{dup_thresh - 1} * smss;
}

std::optional<SackScoreboard::Range> SackScoreboard::hole_at_or_after(SeqNum s, SeqNum una) const {
  SeqNum start = seq_max(s, una);
  for (const auto& x : set_.ranges()) {
    if (seq_le(x.end, start)) continue;
    if (seq_lt(start, x.start)) return Range{start, x.start};
    start = x.end;  // inside a SACKed range: the hole begins after it
  }
  return std::nullopt;  // nothing SACKed above: no hole the receiver has told us of
}

std::optional<SeqNum> SackScoreboard::lost_upto(SeqNum from, std::uint32_t smss) const {
  std::optional<SeqNum> upto;
  SeqNum at = from;
  while (auto h = hole_at_or_after(at, from)) {
    if (!is_lost(h->start, smss)) break;  // holes further up have less SACKed above
    upto = h->end;
    at = h->end;
  }
  return upto;
}

}  // namespace synack::tcp

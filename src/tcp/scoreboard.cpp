#include "synack/tcp/scoreboard.hpp"

#include <algorithm>

namespace synack::tcp {

std::uint32_t SackScoreboard::add(SeqNum left, SeqNum right, SeqNum una, SeqNum snd_max) {
  // RFC 2018 §5 / RFC 2883 §5: a block at or below the cumulative ACK is a D-SACK (or
  // stale); a block beyond what was sent is bogus. Only the part above SND.UNA counts.
  if (!seq_lt(left, right) || seq_gt(right, snd_max) || seq_le(right, una)) return 0;
  if (seq_lt(left, una)) left = una;
  const std::uint32_t before = sacked_bytes();
  std::size_t i = 0;
  while (i < r_.size() && seq_lt(r_[i].right, left)) ++i;
  std::size_t j = i;
  SeqNum l = left, r = right;
  while (j < r_.size() && seq_le(r_[j].left, right)) {
    l = seq_min(l, r_[j].left);
    r = seq_max(r, r_[j].right);
    ++j;
  }
  if (i == j) {
    if (r_.size() >= kMaxRanges) return 0;  // bounded: the block is simply not kept
    r_.insert(r_.begin() + static_cast<std::ptrdiff_t>(i), Range{l, r});
  } else {
    r_[i] = Range{l, r};
    r_.erase(r_.begin() + static_cast<std::ptrdiff_t>(i + 1),
             r_.begin() + static_cast<std::ptrdiff_t>(j));
  }
  return sacked_bytes() - before;
}

void SackScoreboard::advance(SeqNum una) {
  while (!r_.empty() && seq_le(r_.front().right, una)) r_.erase(r_.begin());
  if (!r_.empty() && seq_lt(r_.front().left, una)) r_.front().left = una;
}

std::uint32_t SackScoreboard::sacked_bytes() const {
  std::uint32_t n = 0;
  for (const auto& x : r_) n += static_cast<std::uint32_t>(x.right - x.left);
  return n;
}

bool SackScoreboard::is_sacked(SeqNum s) const {
  return std::any_of(r_.begin(), r_.end(),
                     [&](const Range& x) { return seq_le(x.left, s) && seq_lt(s, x.right); });
}

std::optional<SackScoreboard::Range> SackScoreboard::next_sacked(SeqNum s) const {
  for (const auto& x : r_) {
    if (seq_ge(x.left, s)) return x;
  }
  return std::nullopt;
}

bool SackScoreboard::is_lost(SeqNum s, std::uint32_t smss, std::uint32_t dup_thresh) const {
  std::uint32_t ranges = 0;
  std::uint64_t bytes = 0;
  for (const auto& x : r_) {
    if (seq_le(x.right, s)) continue;
    ++ranges;
    bytes += static_cast<std::uint32_t>(x.right - seq_max(x.left, s));
  }
  return ranges >= dup_thresh || bytes > std::uint64_t{dup_thresh - 1} * smss;
}

std::optional<SackScoreboard::Range> SackScoreboard::hole_at_or_after(SeqNum s,
                                                                       SeqNum una) const {
  SeqNum start = seq_max(s, una);
  for (const auto& x : r_) {
    if (seq_le(x.right, start)) continue;
    if (seq_lt(start, x.left)) return Range{start, x.left};
    start = x.right;  // inside a SACKed range: the hole begins after it
  }
  return std::nullopt;  // nothing SACKed above: no hole the receiver has told us of
}

std::uint32_t SackScoreboard::lost_bytes(SeqNum from, std::uint32_t smss) const {
  std::uint32_t n = 0;
  SeqNum at = from;
  while (auto h = hole_at_or_after(at, from)) {
    if (!is_lost(h->left, smss)) break;  // holes further up have even less SACKed above
    n += static_cast<std::uint32_t>(h->right - h->left);
    at = h->right;
  }
  return n;
}

}  // namespace synack::tcp

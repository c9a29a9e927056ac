#include "synack/tcp/assembler.hpp"

namespace synack::tcp {

bool Assembler::add(SeqNum start, SeqNum end) {
  if (!seq_lt(start, end)) return true;
  // Find the first interval whose end reaches start (could merge).
  std::size_t i = 0;
  while (i < iv_.size() && seq_lt(iv_[i].end, start)) ++i;
  std::size_t j = i;
  SeqNum s = start, e = end;
  while (j < iv_.size() && seq_le(iv_[j].start, end)) {
    s = seq_min(s, iv_[j].start);
    e = seq_max(e, iv_[j].end);
    ++j;
  }
  if (i == j) {
    if (iv_.size() >= max_) return false;
    iv_.insert(iv_.begin() + static_cast<std::ptrdiff_t>(i), Interval{s, e});
    return true;
  }
  iv_[i] = Interval{s, e};
  iv_.erase(iv_.begin() + static_cast<std::ptrdiff_t>(i + 1),
            iv_.begin() + static_cast<std::ptrdiff_t>(j));
  return true;
}

std::optional<SeqNum> Assembler::pop_contiguous(SeqNum next) {
  if (iv_.empty() || seq_gt(iv_.front().start, next)) return std::nullopt;
  SeqNum end = next;
  while (!iv_.empty() && seq_le(iv_.front().start, end)) {
    end = seq_max(end, iv_.front().end);
    iv_.erase(iv_.begin());
  }
  return end;
}

void Assembler::discard_before(SeqNum next) {
  while (!iv_.empty() && seq_le(iv_.front().end, next)) iv_.erase(iv_.begin());
  if (!iv_.empty() && seq_lt(iv_.front().start, next)) iv_.front().start = next;
}

std::optional<Assembler::Interval> Assembler::find(SeqNum start, SeqNum end) const {
  for (const auto& v : iv_) {
    if (seq_lt(v.start, end) && seq_lt(start, v.end)) return v;
  }
  return std::nullopt;
}

bool Assembler::covers(SeqNum start, SeqNum end) const {
  for (const auto& v : iv_) {
    if (seq_le(v.start, start) && seq_le(end, v.end)) return true;
  }
  return false;
}

std::uint64_t Assembler::bytes() const {
  std::uint64_t n = 0;
  for (const auto& v : iv_) n += static_cast<std::uint32_t>(v.end - v.start);
  return n;
}

}  // namespace synack::tcp

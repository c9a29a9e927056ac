#include "synack/link/memory_link.hpp"

#include <algorithm>

namespace synack::link {

std::pair<MemoryLink, MemoryLink> MemoryLink::pair(std::string name_a, std::string name_b,
                                                   const MemoryLinkOptions& options) {
  auto wire = std::make_shared<Wire>();
  wire->read_batch = std::max<std::size_t>(options.read_batch, 1);
  wire->limit[0] = wire->limit[1] = options.queue_limit;
  MemoryLink a(wire, 0, std::move(name_a));
  MemoryLink b(std::move(wire), 1, std::move(name_b));
  return {std::move(a), std::move(b)};
}

MemoryLink::MemoryLink(std::shared_ptr<Wire> wire, int end, std::string name)
    : wire_(std::move(wire)), end_(end), name_(std::move(name)) {}

std::size_t MemoryLink::waiting() const {
  return wire_->to[end_].size();
}

void MemoryLink::set_queue_limit(std::size_t frames) {
  wire_->limit[end_] = frames;
}

Result<RxBatch, LinkError> MemoryLink::receive() {
  held_.clear();
  batch_.clear();
  auto& in = wire_->to[end_];
  while (!in.empty() && held_.size() < wire_->read_batch) {
    held_.push_back(std::move(in.front()));
    in.pop_front();
  }
  for (const ByteVec& f : held_) {
    ++stats_.rx_frames;
    stats_.rx_bytes += f.size();
    batch_.emplace_back(f);
  }
  return RxBatch{batch_, {}};
}

TxStatus MemoryLink::transmit(Bytes frame, const stack::TxMeta& tx) {
  if (tx != stack::TxMeta{}) {
    ++stats_.tx_errors;
    return TxStatus::Dropped;
  }
  auto& out = wire_->to[1 - end_];
  const std::size_t limit = wire_->limit[1 - end_];
  if (limit != 0 && out.size() >= limit) {
    ++stats_.tx_would_block;
    return TxStatus::WouldBlock;
  }
  out.emplace_back(frame.begin(), frame.end());
  ++stats_.tx_frames;
  stats_.tx_bytes += frame.size();
  return TxStatus::Sent;
}

}  // namespace synack::link

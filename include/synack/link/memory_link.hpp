// MemoryLink: the two ends of an in-memory wire, as Links an EventLoop drives.
//
// What one end transmits the other receives, in order, as whole frames. No fd: the
// loop reads an fd-less link after every wake-up. A receiving end may hold at most
// `queue_limit` frames (set_queue_limit: per end); past it transmit() answers WouldBlock
// (the sender's loop keeps the frame), as a full device queue would. No offloads: a frame that asks
// for one is refused (Dropped), as on a plain TAP. For tests and for wiring stacks in one process.
#pragma once

#include <cstddef>
#include <deque>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "synack/link/link.hpp"

namespace synack::link {

struct MemoryLinkOptions {
  std::size_t queue_limit = 0;  // frames waiting at a receiving end, at most; 0: no limit
  std::size_t read_batch = 64;  // most frames receive() returns in one call
};

class MemoryLink final : public Link {
 public:
  // The two ends of one wire.
  static std::pair<MemoryLink, MemoryLink> pair(std::string name_a, std::string name_b,
                                                const MemoryLinkOptions& options = {});

  MemoryLink(MemoryLink&&) noexcept = default;
  MemoryLink& operator=(MemoryLink&&) noexcept = default;

  const std::string& name() const override { return name_; }
  int poll_fd() const override { return -1; }
  Result<RxBatch, LinkError> receive() override;
  TxStatus transmit(Bytes frame, const stack::TxMeta& tx) override;
  stack::LinkOffloads tx_offloads() const override { return {}; }
  const LinkStats& stats() const override { return stats_; }

  // Frames the other end sent that this end has not received yet.
  std::size_t waiting() const;
  // At most `frames` wait at this end (0: no limit); the other end's transmit() answers
  // WouldBlock past it. Starts as MemoryLinkOptions::queue_limit.
  void set_queue_limit(std::size_t frames);

 private:
  struct Wire {
    std::size_t read_batch = 64;
    std::deque<ByteVec> to[2];  // frames waiting at end 0 and end 1
    std::size_t limit[2] = {0, 0};
  };
  MemoryLink(std::shared_ptr<Wire> wire, int end, std::string name);

  std::shared_ptr<Wire> wire_;
  int end_ = 0;
  std::string name_;
  std::vector<ByteVec> held_;  // the last batch's frames (batch_ views them)
  std::vector<Bytes> batch_;
  LinkStats stats_;
};

}  // namespace synack::link

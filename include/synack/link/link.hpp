// Link: a frame device that an EventLoop drives (TapLink, MemoryLink).
//
// What the loop needs of a device, and nothing else: an fd to poll (or none), a batch
// of received frames with what the device knows about each (RxMeta: a checksum
// verified or left partial, a super-frame), one frame sent at a time with what the
// device must still do to it (TxMeta) and an answer that says whether the frame was
// taken, must wait (the device's queue is full now) or was refused for good; the
// offloads it performs on sent frames, a name and counters.
//
// An fd-less link (poll_fd() < 0: an in-memory one) is read by the loop after every
// step and its refused frames are retried then; the loop does not block while such a
// link still gave it frames. What a link offers must not change while a loop drives it.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "synack/base/bytes.hpp"
#include "synack/base/result.hpp"
#include "synack/stack/types.hpp"

namespace synack::link {

struct LinkError {
  int sys_errno = 0;
  std::string_view step;  // what failed, e.g. "read(tap)" (a static string)
};

enum class TxStatus : std::uint8_t {
  Sent,        // the link took the frame (copied it: the bytes are the caller's again)
  WouldBlock,  // its queue is full now: keep the frame, offer it again when writable
  Dropped,     // refused for good (an error, an offload it cannot do); the link counts it
};

// Frames received together, as views into buffers the link owns: valid until the
// next receive(). `meta` holds one RxMeta per frame, or is empty (nothing known: the
// stack verifies every checksum).
struct RxBatch {
  std::span<const Bytes> frames;
  std::span<const stack::RxMeta> meta;
};

// Counters every link keeps (TapStats adds the TAP's own).
struct LinkStats {
  std::uint64_t rx_frames = 0;
  std::uint64_t rx_bytes = 0;
  std::uint64_t rx_errors = 0;  // frames or reads lost to an error
  std::uint64_t tx_frames = 0;
  std::uint64_t tx_bytes = 0;
  std::uint64_t tx_would_block = 0;  // transmit() answered WouldBlock
  std::uint64_t tx_errors = 0;       // transmit() answered Dropped
};

class Link {
 public:
  virtual ~Link() = default;

  virtual const std::string& name() const = 0;
  // The fd the loop polls: readable when frames wait, writable when a frame refused
  // with WouldBlock may be taken. Negative: none (read after every loop step).
  virtual int poll_fd() const = 0;
  // The frames waiting now, up to the link's batch size; an empty batch when none.
  // An error ends the loop's run (LoopError with the link's step).
  virtual Result<RxBatch, LinkError> receive() = 0;
  // Sends one Ethernet frame; `tx` asks for what tx_offloads() offered.
  virtual TxStatus transmit(Bytes frame, const stack::TxMeta& tx) = 0;
  // What the link finishes for frames it sends (Stack::add_interface takes it).
  virtual stack::LinkOffloads tx_offloads() const = 0;
  virtual const LinkStats& stats() const = 0;

 protected:
  Link() = default;
  Link(const Link&) = default;
  Link(Link&&) noexcept = default;
  Link& operator=(const Link&) = default;
  Link& operator=(Link&&) noexcept = default;
};

}  // namespace synack::link

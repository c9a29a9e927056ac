// Reading a capture file (pcap or pcapng, through libpcap) into frames: what
// `synack trace` analyses. Ethernet, raw-IP (IPv4 or IPv6) and Linux cooked (SLL, SLL2)
// captures are understood; any other link type is refused with its name.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "recording.hpp"
#include "synack/base/bytes.hpp"
#include "synack/base/result.hpp"

namespace synack::view {

struct Capture {
  std::vector<RecordedFrame> frames;  // times from the first frame; `from` unset (Left)
  std::int64_t start_ns = 0;          // the first frame's time, ns since the Unix epoch
  std::string link_name;              // "EN10MB", "RAW", "LINUX_SLL", ...
  std::size_t truncated = 0;          // frames cut short by the capture's snap length
  std::size_t other_network = 0;      // cooked frames of neither IPv4 nor IPv6 (dropped)
};

// One line on failure, naming the file offset where reading stopped:
// "at byte 24: truncated dump file; tried to read 16 header bytes, only got 3".
Result<Capture, std::string> read_capture_file(const std::string& path);
// The same from bytes in memory (the fuzz target, tests).
Result<Capture, std::string> read_capture_bytes(Bytes data);

}  // namespace synack::view

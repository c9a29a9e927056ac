// Every header field of one frame, layer by layer, as Wireshark's middle pane shows
// them: Ethernet, ARP, IPv4, IPv6 (each extension header), ICMP, ICMPv6, UDP, TCP (each
// flag, each option with its fields).
// Reads the bytes itself (it never trusts or requires a correct checksum, so a capture
// with offloaded checksums dissects too; a wrong one is reported, not refused), and
// says where each field lies in the frame so a page can highlight its bytes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "analysis.hpp"
#include "recording.hpp"

namespace synack::view {

struct Field {
  std::string name;                      // "sequence number (raw)", "SYN"
  std::string value;                     // "1237512020", "set"
  int depth = 0;                         // 0: a field of the layer; 1, 2: a part of the field above
  std::uint32_t offset = 0, length = 0;  // its bytes in the frame (length 0: none)
};

struct Layer {
  std::string name;     // "Ethernet II", "Internet Protocol Version 4", ...
  std::string summary;  // "10.77.0.1 > 10.77.0.2", shown next to the name
  std::uint32_t offset = 0, length = 0;
  std::vector<Field> fields;
};

// The layers of `f`. `seg` (the analysis of this frame, if any) adds the relative
// sequence and acknowledgement numbers, the scaled window and the marks to the TCP
// layer. A truncated or malformed header ends with a layer saying what is wrong.
std::vector<Layer> dissect(const RecordedFrame& f, const SegmentInfo* seg = nullptr);

}  // namespace synack::view

// PcapngWriter: captures frames as pcapng (draft-ietf-opsawg-pcapng) so that
// Wireshark/tshark and `synack trace` can read them.
//
// One Section Header Block, one Interface Description Block per interface
// (LINKTYPE_ETHERNET, nanosecond timestamps via if_tsresol = 9), one Enhanced
// Packet Block per frame with an optional comment and direction flag. Output is
// always little-endian (the byte-order magic says so), so the same frames and
// Instants give byte-identical captures on every host: `synack sim --pcap` is
// reproducible from its seed.
//
// Two sinks: a file (buffered; errors come back as PcapError, nothing throws)
// and an in-memory ByteVec. The timestamp is the Instant as given: on the
// virtual clock a capture starts at the epoch.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "synack/base/bytes.hpp"
#include "synack/base/result.hpp"
#include "synack/base/time.hpp"

namespace synack::link {

enum class PcapError : std::uint8_t {
  OpenFailed,        // the file could not be created
  WriteFailed,       // writing or flushing the file failed (disk full, I/O error)
  UnknownInterface,  // write() with an id add_interface() did not return
};

std::string_view to_string(PcapError e);

// epb_flags bits 0-1 (inbound/outbound), seen from the capturing interface.
enum class Direction : std::uint8_t { Unknown = 0, Inbound = 1, Outbound = 2 };

class PcapngWriter {
 public:
  static constexpr std::uint32_t kDefaultSnaplen = 262144;  // what tcpdump uses
  static constexpr std::uint16_t kLinktypeEthernet = 1;

  // Creates (truncates) `path`. The section header is written at once, so a
  // capture with no packets is still a valid file.
  static Result<PcapngWriter, PcapError> open_file(const std::string& path);
  // Keeps the capture in memory; see bytes().
  static PcapngWriter in_memory();

  PcapngWriter(PcapngWriter&&) noexcept = default;
  PcapngWriter& operator=(PcapngWriter&&) noexcept;
  ~PcapngWriter();  // flushes a file sink; errors there are lost, call flush() to see them

  // Declares an Ethernet interface; returns its id for write(). Frames longer
  // than snaplen are stored truncated (original length kept in the block).
  std::uint32_t add_interface(std::string_view name, std::uint32_t snaplen = kDefaultSnaplen);

  // Appends one frame seen on `iface` at `ts`. Instants before the epoch are
  // stored as 0 (pcapng timestamps are unsigned).
  Status<PcapError> write(std::uint32_t iface, Instant ts, Bytes frame, Direction dir,
                          std::string_view comment = {});

  // Pushes buffered blocks to the file (no-op in memory). Once a file write
  // has failed, every later write()/flush() reports WriteFailed.
  Status<PcapError> flush();

  // The whole capture so far, for the in-memory sink (empty for a file sink).
  const ByteVec& bytes() const { return memory_ ? buf_ : empty_; }
  std::uint32_t interface_count() const { return static_cast<std::uint32_t>(snaplens_.size()); }
  std::uint64_t packets_written() const { return packets_; }

 private:
  struct FileCloser {
    void operator()(std::FILE* f) const;
  };
  PcapngWriter(std::unique_ptr<std::FILE, FileCloser> file, bool memory);

  void write_section_header();
  Status<PcapError> maybe_drain();
  Status<PcapError> drain();

  std::unique_ptr<std::FILE, FileCloser> file_;
  bool memory_ = false;
  bool failed_ = false;
  ByteVec buf_;  // memory sink: the capture; file sink: blocks not yet written
  std::vector<std::uint32_t> snaplens_;  // by interface id
  std::uint64_t packets_ = 0;
  ByteVec empty_;
};

}  // namespace synack::link

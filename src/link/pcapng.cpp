#include "synack/link/pcapng.hpp"

#include <algorithm>
#include <utility>

namespace synack::link {

namespace {

// Block types and option codes (draft-ietf-opsawg-pcapng §4, §11).
constexpr std::uint32_t kSectionHeaderBlock = 0x0A0D0D0A;
constexpr std::uint32_t kInterfaceDescriptionBlock = 0x00000001;
constexpr std::uint32_t kEnhancedPacketBlock = 0x00000006;
constexpr std::uint32_t kByteOrderMagic = 0x1A2B3C4D;
constexpr std::uint16_t kOptEndOfOpt = 0;
constexpr std::uint16_t kOptComment = 1;
constexpr std::uint16_t kShbUserAppl = 4;
constexpr std::uint16_t kIfName = 2;
constexpr std::uint16_t kIfTsresol = 9;
constexpr std::uint16_t kEpbFlags = 2;
constexpr std::uint8_t kTsresolNanos = 9;  // "10^-9 s": timestamps count nanoseconds
constexpr std::uint16_t kMaxOptionLen = 0xFFFF;
// A file sink writes once this much is buffered: few syscalls, bounded memory.
constexpr std::size_t kFileBufferBytes = 64 * 1024;

// Appends one block in little-endian order: begin(), fields, options, end().
// end() patches the leading Block Total Length and repeats it at the end
// (§3.1: both copies must match so a reader can walk backwards too).
class BlockWriter {
 public:
  BlockWriter(ByteVec& out, std::uint32_t type) : out_(out), start_(out.size()) {
    u32(type);
    u32(0);  // Block Total Length, patched in end()
  }

  void u16(std::uint16_t v) {
    put(static_cast<std::uint8_t>(v));
    put(static_cast<std::uint8_t>(v >> 8));
  }
  void u32(std::uint32_t v) {
    u16(static_cast<std::uint16_t>(v));
    u16(static_cast<std::uint16_t>(v >> 16));
  }
  void u64(std::uint64_t v) {
    u32(static_cast<std::uint32_t>(v));
    u32(static_cast<std::uint32_t>(v >> 32));
  }
  // Data padded with zeros to a 32-bit boundary (§3.1).
  void padded(Bytes data) {
    out_.insert(out_.end(), data.begin(), data.end());
    pad();
  }
  void option(std::uint16_t code, Bytes value) {
    const auto len = static_cast<std::uint16_t>(std::min<std::size_t>(value.size(), kMaxOptionLen));
    u16(code);
    u16(len);
    padded(value.first(len));
    any_option_ = true;
  }
  void end() {
    if (any_option_) {  // opt_endofopt closes a non-empty option list
      u16(kOptEndOfOpt);
      u16(0);
    }
    const auto total = static_cast<std::uint32_t>(out_.size() - start_ + 4);
    u32(total);
    patch_u32(start_ + 4, total);
  }

 private:
  void put(std::uint8_t b) { out_.push_back(std::byte{b}); }
  void pad() {
    while ((out_.size() - start_) % 4 != 0) put(0);
  }
  void patch_u32(std::size_t off, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) out_[off + i] = std::byte(static_cast<std::uint8_t>(v >> (8 * i)));
  }

  ByteVec& out_;
  std::size_t start_;
  bool any_option_ = false;
};

Bytes byte_of(const std::uint8_t& v) {
  return {reinterpret_cast<const std::byte*>(&v), 1};
}

}  // namespace

std::string_view to_string(PcapError e) {
  switch (e) {
    case PcapError::OpenFailed:
      return "cannot create capture file";
    case PcapError::WriteFailed:
      return "cannot write capture file";
    case PcapError::UnknownInterface:
      return "unknown capture interface";
  }
  return "unknown pcap error";
}

void PcapngWriter::FileCloser::operator()(std::FILE* f) const {
  std::fclose(f);
}

PcapngWriter::PcapngWriter(std::unique_ptr<std::FILE, FileCloser> file, bool memory)
    : file_(std::move(file)), memory_(memory) {
  write_section_header();
}

Result<PcapngWriter, PcapError> PcapngWriter::open_file(const std::string& path) {
  std::unique_ptr<std::FILE, FileCloser> f(std::fopen(path.c_str(), "wb"));
  if (!f) return Err{PcapError::OpenFailed};
  return PcapngWriter(std::move(f), false);
}

PcapngWriter PcapngWriter::in_memory() {
  return PcapngWriter(nullptr, true);
}

PcapngWriter& PcapngWriter::operator=(PcapngWriter&& o) noexcept {
  if (this != &o) {
    (void)flush();  // the capture being replaced keeps its buffered blocks
    file_ = std::move(o.file_);
    memory_ = o.memory_;
    failed_ = o.failed_;
    buf_ = std::move(o.buf_);
    snaplens_ = std::move(o.snaplens_);
    packets_ = o.packets_;
  }
  return *this;
}

PcapngWriter::~PcapngWriter() {
  (void)flush();
}

// SHB (§4.1): version 1.0, section length unknown (-1) because we stream.
void PcapngWriter::write_section_header() {
  BlockWriter b(buf_, kSectionHeaderBlock);
  b.u32(kByteOrderMagic);
  b.u16(1);  // major version
  b.u16(0);  // minor version
  b.u64(~std::uint64_t{0});
  b.option(kShbUserAppl, as_bytes("synack"));
  b.end();
}

// IDB (§4.2): LinkType, Reserved, SnapLen, then if_name and if_tsresol.
std::uint32_t PcapngWriter::add_interface(std::string_view name, std::uint32_t snaplen) {
  BlockWriter b(buf_, kInterfaceDescriptionBlock);
  b.u16(kLinktypeEthernet);
  b.u16(0);
  b.u32(snaplen);
  if (!name.empty()) b.option(kIfName, as_bytes(name));
  b.option(kIfTsresol, byte_of(kTsresolNanos));
  b.end();
  snaplens_.push_back(snaplen);
  return static_cast<std::uint32_t>(snaplens_.size() - 1);
}

// EPB (§4.3): the 64-bit timestamp is split into upper and lower 32 bits, in
// units of if_tsresol (nanoseconds here).
Status<PcapError> PcapngWriter::write(std::uint32_t iface, Instant ts, Bytes frame, Direction dir,
                                      std::string_view comment) {
  if (iface >= snaplens_.size()) return Err{PcapError::UnknownInterface};
  if (failed_) return Err{PcapError::WriteFailed};
  const auto units = static_cast<std::uint64_t>(std::max<std::int64_t>(ts.nanos(), 0));
  const auto captured = std::min<std::size_t>(frame.size(), snaplens_[iface]);

  BlockWriter b(buf_, kEnhancedPacketBlock);
  b.u32(iface);
  b.u32(static_cast<std::uint32_t>(units >> 32));
  b.u32(static_cast<std::uint32_t>(units));
  b.u32(static_cast<std::uint32_t>(captured));
  b.u32(static_cast<std::uint32_t>(frame.size()));
  b.padded(frame.first(captured));
  if (!comment.empty()) b.option(kOptComment, as_bytes(comment));
  if (dir != Direction::Unknown) {
    // epb_flags is a 32-bit word; bits 0-1 are the direction.
    std::byte flags[4];
    const auto v = static_cast<std::uint32_t>(dir);
    for (int i = 0; i < 4; ++i) flags[i] = std::byte(static_cast<std::uint8_t>(v >> (8 * i)));
    b.option(kEpbFlags, flags);
  }
  b.end();
  packets_++;
  return maybe_drain();
}

Status<PcapError> PcapngWriter::maybe_drain() {
  if (memory_ || buf_.size() < kFileBufferBytes) return {};
  return drain();
}

Status<PcapError> PcapngWriter::drain() {
  if (memory_ || !file_) return {};
  if (failed_) return Err{PcapError::WriteFailed};
  const std::size_t n = buf_.size();
  if (n != 0 && std::fwrite(buf_.data(), 1, n, file_.get()) != n) failed_ = true;
  buf_.clear();
  if (failed_) return Err{PcapError::WriteFailed};
  return {};
}

Status<PcapError> PcapngWriter::flush() {
  if (memory_ || !file_) return {};
  auto s = drain();
  if (!s) return s;
  if (std::fflush(file_.get()) != 0) {
    failed_ = true;
    return Err{PcapError::WriteFailed};
  }
  return {};
}

}  // namespace synack::link

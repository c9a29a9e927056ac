#include "synack/link/pcapng.hpp"

#include <gtest/gtest.h>
#include <pcap/pcap.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace synack::link {
namespace {

// An independent little-endian reader (the writer always emits little-endian).
std::uint32_t le16(const ByteVec& b, std::size_t off) {
  return std::to_integer<std::uint32_t>(b.at(off)) | std::to_integer<std::uint32_t>(b.at(off + 1))
                                                         << 8;
}
std::uint32_t le32(const ByteVec& b, std::size_t off) {
  return le16(b, off) | le16(b, off + 2) << 16;
}
ByteVec slice(const ByteVec& b, std::size_t off, std::size_t n) {
  return ByteVec(b.begin() + static_cast<std::ptrdiff_t>(off),
                 b.begin() + static_cast<std::ptrdiff_t>(off + n));
}
ByteVec bytes_of(std::string_view s) {
  auto b = as_bytes(s);
  return ByteVec(b.begin(), b.end());
}

struct Block {
  std::uint32_t type;
  std::size_t off;  // of the Block Type field
  std::uint32_t len;
};

// Walks the blocks, checking what every pcapng block must satisfy (§3.1):
// length a multiple of 4, at least 12, and repeated identically at the end.
std::vector<Block> walk(const ByteVec& b) {
  std::vector<Block> out;
  std::size_t off = 0;
  while (off < b.size()) {
    if (b.size() - off < 12) {
      ADD_FAILURE() << "truncated block at " << off;
      break;
    }
    const std::uint32_t len = le32(b, off + 4);
    if (len < 12 || len % 4 != 0 || len > b.size() - off) {
      ADD_FAILURE() << "bad block length " << len << " at " << off;
      break;
    }
    EXPECT_EQ(le32(b, off + len - 4), len) << "trailing length of block at " << off;
    out.push_back({le32(b, off), off, len});
    off += len;
  }
  return out;
}

struct Option {
  std::uint32_t code;
  ByteVec value;
};

// Parses an option list from `off` to the trailing length of `blk`; checks
// zero padding and that opt_endofopt comes last.
std::vector<Option> options(const ByteVec& b, const Block& blk, std::size_t off) {
  std::vector<Option> out;
  const std::size_t end = blk.off + blk.len - 4;
  bool ended = false;
  while (off < end) {
    EXPECT_FALSE(ended) << "data after opt_endofopt";
    const std::uint32_t code = le16(b, off);
    const std::uint32_t len = le16(b, off + 2);
    const std::size_t padded = (len + 3) / 4 * 4;
    if (off + 4 + padded > end) {
      ADD_FAILURE() << "option overruns block";
      break;
    }
    for (std::size_t i = len; i < padded; ++i) EXPECT_EQ(b[off + 4 + i], std::byte{0});
    if (code == 0) {
      EXPECT_EQ(len, 0u);
      ended = true;
    } else {
      out.push_back({code, slice(b, off + 4, len)});
    }
    off += 4 + padded;
  }
  if (!out.empty()) {
    EXPECT_TRUE(ended) << "options without opt_endofopt";
  }
  return out;
}

ByteVec frame_of(std::size_t n, std::uint8_t seed) {
  ByteVec f(n);
  for (std::size_t i = 0; i < n; ++i) f[i] = std::byte(static_cast<std::uint8_t>(seed + i * 7));
  return f;
}

std::string temp_path(const std::string& tag) {
  return (std::filesystem::temp_directory_path() /
          ("synack-link-" + tag + "-" + std::to_string(::getpid()) + ".pcapng"))
      .string();
}

ByteVec read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<char> raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ByteVec out(raw.size());
  for (std::size_t i = 0; i < raw.size(); ++i)
    out[i] = std::byte(static_cast<unsigned char>(raw[i]));
  return out;
}

TEST(Pcapng, SectionHeaderBlock) {
  const auto w = PcapngWriter::in_memory();
  const ByteVec& b = w.bytes();
  const auto blocks = walk(b);
  ASSERT_EQ(blocks.size(), 1u);
  // Block type 0x0A0D0D0A is a palindrome; the magic shows the byte order.
  EXPECT_EQ(slice(b, 0, 4),
            (ByteVec{std::byte{0x0A}, std::byte{0x0D}, std::byte{0x0D}, std::byte{0x0A}}));
  EXPECT_EQ(slice(b, 8, 4),
            (ByteVec{std::byte{0x4D}, std::byte{0x3C}, std::byte{0x2B}, std::byte{0x1A}}));
  EXPECT_EQ(le16(b, 12), 1u);                                              // major
  EXPECT_EQ(le16(b, 14), 0u);                                              // minor
  for (std::size_t i = 16; i < 24; ++i) EXPECT_EQ(b[i], std::byte{0xFF});  // length unknown
  const auto opts = options(b, blocks[0], 24);
  ASSERT_EQ(opts.size(), 1u);
  EXPECT_EQ(opts[0].code, 4u);  // shb_userappl
  EXPECT_EQ(opts[0].value, bytes_of("synack"));
  EXPECT_EQ(blocks[0].len, 24u + 4 + 8 + 4 + 4);
}

TEST(Pcapng, InterfaceDescriptionBlocks) {
  auto w = PcapngWriter::in_memory();
  EXPECT_EQ(w.add_interface("sim0"), 0u);
  EXPECT_EQ(w.add_interface("tap-synack1", 1514), 1u);
  EXPECT_EQ(w.interface_count(), 2u);
  const ByteVec& b = w.bytes();
  const auto blocks = walk(b);
  ASSERT_EQ(blocks.size(), 3u);
  const std::pair<std::string_view, std::uint32_t> want[] = {
      {"sim0", PcapngWriter::kDefaultSnaplen}, {"tap-synack1", 1514}};
  for (int i = 0; i < 2; ++i) {
    const Block& idb = blocks[1 + i];
    EXPECT_EQ(idb.type, 1u);
    EXPECT_EQ(le16(b, idb.off + 8), 1u);   // LINKTYPE_ETHERNET
    EXPECT_EQ(le16(b, idb.off + 10), 0u);  // reserved
    EXPECT_EQ(le32(b, idb.off + 12), want[i].second);
    const auto opts = options(b, idb, idb.off + 16);
    ASSERT_EQ(opts.size(), 2u);
    EXPECT_EQ(opts[0].code, 2u);  // if_name
    EXPECT_EQ(opts[0].value, bytes_of(want[i].first));
    EXPECT_EQ(opts[1].code, 9u);  // if_tsresol
    EXPECT_EQ(opts[1].value, ByteVec{std::byte{9}});
  }
  // "sim0": 16 fixed + if_name 8 + if_tsresol 8 + endofopt 4 + trailing 4.
  EXPECT_EQ(blocks[1].len, 40u);
}

TEST(Pcapng, EnhancedPacketBlockFieldsAndTimestampSplit) {
  auto w = PcapngWriter::in_memory();
  const auto iface = w.add_interface("eth0");
  const ByteVec frame = frame_of(5, 1);
  const Instant ts = Instant::from_nanos(0x0001'2345'6789'ABCDLL);
  ASSERT_TRUE(w.write(iface, ts, frame, Direction::Outbound, "hello"));
  const ByteVec& b = w.bytes();
  const auto blocks = walk(b);
  ASSERT_EQ(blocks.size(), 3u);
  const Block& epb = blocks[2];
  EXPECT_EQ(epb.type, 6u);
  EXPECT_EQ(le32(b, epb.off + 8), 0u);            // interface id
  EXPECT_EQ(le32(b, epb.off + 12), 0x00012345u);  // timestamp (upper)
  EXPECT_EQ(le32(b, epb.off + 16), 0x6789ABCDu);  // timestamp (lower)
  EXPECT_EQ(le32(b, epb.off + 20), 5u);           // captured length
  EXPECT_EQ(le32(b, epb.off + 24), 5u);           // original length
  EXPECT_EQ(slice(b, epb.off + 28, 5), frame);
  for (std::size_t i = 5; i < 8; ++i) EXPECT_EQ(b[epb.off + 28 + i], std::byte{0});  // padding
  const auto opts = options(b, epb, epb.off + 36);
  ASSERT_EQ(opts.size(), 2u);
  EXPECT_EQ(opts[0].code, 1u);  // opt_comment
  EXPECT_EQ(opts[0].value, bytes_of("hello"));
  EXPECT_EQ(opts[1].code, 2u);  // epb_flags
  ASSERT_EQ(opts[1].value.size(), 4u);
  EXPECT_EQ(le32(opts[1].value, 0), 2u);  // bits 0-1: 10 = outbound
  EXPECT_EQ(w.packets_written(), 1u);
}

TEST(Pcapng, DirectionFlagsAndNoOptions) {
  auto w = PcapngWriter::in_memory();
  const auto iface = w.add_interface("eth0");
  const ByteVec frame = frame_of(8, 2);
  ASSERT_TRUE(w.write(iface, Instant::from_nanos(1), frame, Direction::Inbound));
  ASSERT_TRUE(w.write(iface, Instant::from_nanos(2), frame, Direction::Unknown));
  const ByteVec& b = w.bytes();
  const auto blocks = walk(b);
  ASSERT_EQ(blocks.size(), 4u);
  const auto in_opts = options(b, blocks[2], blocks[2].off + 28 + 8);
  ASSERT_EQ(in_opts.size(), 1u);
  EXPECT_EQ(in_opts[0].code, 2u);
  EXPECT_EQ(le32(in_opts[0].value, 0), 1u);  // 01 = inbound
  // No comment, unknown direction: no options at all, not even opt_endofopt.
  EXPECT_EQ(blocks[3].len, 28u + 8 + 4);
  EXPECT_EQ(le32(b, blocks[3].off + 16), 2u);
}

TEST(Pcapng, SnaplenTruncatesButKeepsOriginalLength) {
  auto w = PcapngWriter::in_memory();
  const auto iface = w.add_interface("short", 4);
  const ByteVec frame = frame_of(10, 3);
  ASSERT_TRUE(w.write(iface, Instant::from_nanos(0), frame, Direction::Unknown));
  const ByteVec& b = w.bytes();
  const auto blocks = walk(b);
  ASSERT_EQ(blocks.size(), 3u);
  EXPECT_EQ(le32(b, blocks[2].off + 20), 4u);
  EXPECT_EQ(le32(b, blocks[2].off + 24), 10u);
  EXPECT_EQ(slice(b, blocks[2].off + 28, 4), slice(frame, 0, 4));
  EXPECT_EQ(blocks[2].len, 28u + 4 + 4);
}

TEST(Pcapng, NegativeInstantIsStoredAsZero) {
  auto w = PcapngWriter::in_memory();
  const auto iface = w.add_interface("eth0");
  ASSERT_TRUE(w.write(iface, Instant::from_nanos(-5), frame_of(4, 0), Direction::Unknown));
  const auto blocks = walk(w.bytes());
  ASSERT_EQ(blocks.size(), 3u);
  EXPECT_EQ(le32(w.bytes(), blocks[2].off + 12), 0u);
  EXPECT_EQ(le32(w.bytes(), blocks[2].off + 16), 0u);
}

TEST(Pcapng, UnknownInterfaceIsAnError) {
  auto w = PcapngWriter::in_memory();
  auto s = w.write(0, Instant::zero(), frame_of(4, 0), Direction::Unknown);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error(), PcapError::UnknownInterface);
  w.add_interface("eth0");
  EXPECT_FALSE(w.write(1, Instant::zero(), frame_of(4, 0), Direction::Unknown));
  EXPECT_TRUE(w.write(0, Instant::zero(), frame_of(4, 0), Direction::Unknown));
  EXPECT_EQ(walk(w.bytes()).size(), 3u);
}

TEST(Pcapng, SameInputGivesByteIdenticalCaptures) {
  auto run = [](std::uint8_t salt) {
    auto w = PcapngWriter::in_memory();
    const auto a = w.add_interface("a");
    const auto b = w.add_interface("b");
    for (std::uint32_t i = 0; i < 50; ++i) {
      EXPECT_TRUE(w.write(i % 2 ? a : b, Instant::from_nanos(i * 1'000'003LL),
                          frame_of(60 + i, static_cast<std::uint8_t>(i + salt)),
                          i % 2 ? Direction::Outbound : Direction::Inbound,
                          i % 3 ? std::string_view{} : "every third"));
    }
    return w.bytes();
  };
  EXPECT_EQ(run(0), run(0));
  EXPECT_NE(run(0), run(1));
}

TEST(Pcapng, FileSinkMatchesMemorySink) {
  const std::string path = temp_path("file");
  auto mem = PcapngWriter::in_memory();
  {
    auto file = PcapngWriter::open_file(path);
    ASSERT_TRUE(file.ok());
    // Enough data to pass the internal buffer several times.
    for (auto* w : {&*file, &mem}) {
      const auto id = w->add_interface("sim0");
      for (std::uint32_t i = 0; i < 400; ++i) {
        ASSERT_TRUE(w->write(id, Instant::from_nanos(i * 1000LL),
                             frame_of(1514, static_cast<std::uint8_t>(i)), Direction::Outbound,
                             "x"));
      }
    }
    ASSERT_TRUE(file->flush());
    EXPECT_TRUE(file->bytes().empty());
  }
  const ByteVec on_disk = read_file(path);
  std::filesystem::remove(path);
  EXPECT_GT(on_disk.size(), 400u * 1514);
  EXPECT_EQ(on_disk, mem.bytes());
  EXPECT_EQ(walk(on_disk).size(), 402u);
}

TEST(Pcapng, DestructorFlushesFile) {
  const std::string path = temp_path("dtor");
  {
    auto file = PcapngWriter::open_file(path);
    ASSERT_TRUE(file.ok());
    const auto id = file->add_interface("sim0");
    ASSERT_TRUE(file->write(id, Instant::from_nanos(7), frame_of(60, 9), Direction::Inbound));
  }
  const ByteVec on_disk = read_file(path);
  std::filesystem::remove(path);
  const auto blocks = walk(on_disk);
  ASSERT_EQ(blocks.size(), 3u);
  EXPECT_EQ(blocks[2].type, 6u);
}

TEST(Pcapng, OpenFailureIsReported) {
  auto w = PcapngWriter::open_file("/nonexistent-synack-dir/x.pcapng");
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.error(), PcapError::OpenFailed);
  EXPECT_FALSE(to_string(w.error()).empty());
}

TEST(Pcapng, WriteFailureIsReportedNotThrown) {
  // /dev/full accepts open() and fails every write with ENOSPC.
  ASSERT_TRUE(std::filesystem::exists("/dev/full"));
  auto w = PcapngWriter::open_file("/dev/full");
  ASSERT_TRUE(w.ok());
  const auto id = w->add_interface("sim0");
  Status<PcapError> last;
  for (std::uint32_t i = 0; i < 100 && last.ok(); ++i) {
    last = w->write(id, Instant::zero(), frame_of(1500, 1), Direction::Unknown);
  }
  if (last.ok()) last = w->flush();
  ASSERT_FALSE(last.ok());
  EXPECT_EQ(last.error(), PcapError::WriteFailed);
  // The failure is sticky.
  auto again = w->write(id, Instant::zero(), frame_of(10, 1), Direction::Unknown);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error(), PcapError::WriteFailed);
  EXPECT_FALSE(w->flush().ok());
}

TEST(Pcapng, MoveKeepsTheCapture) {
  auto w = PcapngWriter::in_memory();
  const auto id = w.add_interface("eth0");
  ASSERT_TRUE(w.write(id, Instant::zero(), frame_of(20, 1), Direction::Unknown));
  PcapngWriter moved = std::move(w);
  ASSERT_TRUE(moved.write(id, Instant::zero(), frame_of(20, 2), Direction::Unknown));
  EXPECT_EQ(walk(moved.bytes()).size(), 4u);
}

// libpcap is an independent reader: it must see the same packets, nanosecond
// timestamps, lengths and link type.
TEST(Pcapng, LibpcapReadsTheCapture) {
  const std::string path = temp_path("libpcap");
  std::vector<ByteVec> frames;
  std::vector<std::int64_t> stamps;
  {
    auto file = PcapngWriter::open_file(path);
    ASSERT_TRUE(file.ok());
    const auto id = file->add_interface("sim0", 100);
    for (std::uint32_t i = 0; i < 20; ++i) {
      frames.push_back(frame_of(60 + i * 10, static_cast<std::uint8_t>(i)));
      stamps.push_back(1'700'000'000'123'456'789LL + i * 1'234'567LL);
      ASSERT_TRUE(file->write(id, Instant::from_nanos(stamps.back()), frames.back(),
                              i % 2 ? Direction::Inbound : Direction::Outbound, "c"));
    }
    ASSERT_TRUE(file->flush());
  }
  char err[PCAP_ERRBUF_SIZE] = {};
  pcap_t* p =
      pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, err);
  ASSERT_NE(p, nullptr) << err;
  EXPECT_EQ(pcap_datalink(p), DLT_EN10MB);
  std::size_t n = 0;
  pcap_pkthdr* hdr = nullptr;
  const u_char* data = nullptr;
  while (n < 100 && pcap_next_ex(p, &hdr, &data) == 1) {
    ASSERT_LT(n, frames.size());
    EXPECT_EQ(hdr->ts.tv_sec, stamps[n] / 1'000'000'000);
    EXPECT_EQ(hdr->ts.tv_usec, stamps[n] % 1'000'000'000);  // nanoseconds in this mode
    EXPECT_EQ(hdr->len, frames[n].size());
    EXPECT_EQ(hdr->caplen, std::min<std::size_t>(frames[n].size(), 100));
    for (std::size_t k = 0; k < hdr->caplen; ++k) {
      ASSERT_EQ(data[k], std::to_integer<u_char>(frames[n][k])) << n << ":" << k;
    }
    ++n;
  }
  pcap_close(p);
  std::filesystem::remove(path);
  EXPECT_EQ(n, frames.size());
}

}  // namespace
}  // namespace synack::link

#include "capture.hpp"

#include <fmt/core.h>
#include <pcap/pcap.h>

#include <cstdio>
#include <cstring>
#include <memory>

namespace synack::view {
namespace {

// Link-layer types (www.tcpdump.org/linktypes.html) as libpcap reports them (DLT_*).
constexpr int kSll2 = 276;  // DLT_LINUX_SLL2, not in every libpcap header

struct PcapCloser {
  void operator()(pcap_t* p) const { pcap_close(p); }
};
using PcapPtr = std::unique_ptr<pcap_t, PcapCloser>;

std::string link_name(int dlt) {
  const char* n = pcap_datalink_val_to_name(dlt);
  return n ? n : fmt::format("{}", dlt);
}

long offset_of(pcap_t* p) {
  FILE* f = pcap_file(p);
  return f ? std::ftell(f) : -1;
}

Result<Capture, std::string> read_all(pcap_t* raw) {
  PcapPtr p(raw);
  Capture cap;
  const int dlt = pcap_datalink(p.get());
  cap.link_name = link_name(dlt);
  // How many bytes precede the IP header, and where the cooked header keeps the
  // network protocol (0: no cooked header).
  std::size_t strip = 0;
  std::size_t proto_at = 0;
  LinkType lt = LinkType::Ethernet;
  switch (dlt) {
    case DLT_EN10MB:
      break;
    case DLT_RAW:
#ifdef DLT_IPV4
    case DLT_IPV4:
#endif
#ifdef DLT_IPV6
    case DLT_IPV6:
#endif
      lt = LinkType::RawIp;
      break;
    case DLT_LINUX_SLL:
      lt = LinkType::RawIp;
      strip = 16;
      proto_at = 14;
      break;
    case kSll2:
      lt = LinkType::RawIp;
      strip = 20;
      proto_at = 0;
      break;
    default:
      return Err{
          fmt::format("at byte {}: link type {} ({}) is not one synack reads (Ethernet, "
                      "raw IP, Linux cooked)",
                      offset_of(p.get()), dlt, cap.link_name)};
  }
  bool first = true;
  for (;;) {
    pcap_pkthdr* h = nullptr;
    const u_char* data = nullptr;
    long before = offset_of(p.get());
    int rc = pcap_next_ex(p.get(), &h, &data);
    if (rc == PCAP_ERROR_BREAK) break;  // end of file
    if (rc != 1) {
      return Err{fmt::format("at byte {}: {}", before, pcap_geterr(p.get()))};
    }
    // pcapng stamps are 64-bit: a hostile or corrupt one must not overflow the
    // nanosecond count. 2^33 s (year 2242) keeps every sum and difference in range.
    if (h->ts.tv_sec < 0 || h->ts.tv_sec >= (std::int64_t{1} << 33) || h->ts.tv_usec < 0 ||
        h->ts.tv_usec >= 1'000'000'000) {
      return Err{fmt::format("at byte {}: timestamp {}.{:09} is out of range", before,
                             static_cast<std::int64_t>(h->ts.tv_sec),
                             static_cast<std::int64_t>(h->ts.tv_usec))};
    }
    std::int64_t ns = std::int64_t{h->ts.tv_sec} * 1'000'000'000 + h->ts.tv_usec;
    if (first) {
      cap.start_ns = ns;
      first = false;
    }
    if (h->caplen < h->len) ++cap.truncated;
    std::size_t n = h->caplen;
    if (n < strip) {
      ++cap.truncated;
      continue;
    }
    if (strip) {
      std::uint16_t proto = static_cast<std::uint16_t>((data[proto_at] << 8) | data[proto_at + 1]);
      if (proto != 0x0800 && proto != 0x86dd) {  // IPv4, IPv6
        ++cap.other_network;
        continue;
      }
    }
    RecordedFrame f;
    f.t = Instant::from_nanos(ns - cap.start_ns);
    f.link = lt;
    f.bytes.resize(n - strip);
    if (h->caplen < h->len) f.wire_len = static_cast<std::uint32_t>(h->len - strip);
    if (n > strip) std::memcpy(f.bytes.data(), data + strip, n - strip);
    cap.frames.push_back(std::move(f));
  }
  return cap;
}

}  // namespace

Result<Capture, std::string> read_capture_file(const std::string& path) {
  char err[PCAP_ERRBUF_SIZE] = {};
  pcap_t* p =
      pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, err);
  if (!p) return Err{fmt::format("at byte 0: {}", err)};
  return read_all(p);
}

Result<Capture, std::string> read_capture_bytes(Bytes data) {
  // libpcap reads from a FILE*; fmemopen gives it one over the buffer.
  if (data.empty()) return Err{std::string("at byte 0: empty file")};
  FILE* f = fmemopen(const_cast<std::byte*>(data.data()), data.size(), "rb");
  if (!f) return Err{std::string("at byte 0: cannot open the buffer")};
  char err[PCAP_ERRBUF_SIZE] = {};
  pcap_t* p = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_NANO, err);
  if (!p) {
    std::fclose(f);
    return Err{fmt::format("at byte 0: {}", err)};
  }
  return read_all(p);  // pcap_close closes f
}

}  // namespace synack::view

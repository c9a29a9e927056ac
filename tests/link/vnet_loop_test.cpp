// EventLoop + TapLink with virtio_net_hdr framing, end to end without root: the
// device is a SOCK_SEQPACKET socketpair whose far end plays the kernel of a TAP opened
// with IFF_VNET_HDR (a 10-byte header before every frame, both ways). A handshake and
// a GSO super-segment with a checksum the "kernel" did not compute go through the real
// read/write paths, and the capture notes what crossed.
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <string>
#include <vector>

#include "../stack/harness.hpp"
#include "synack/link/event_loop.hpp"
#include "synack/link/vnet_hdr.hpp"
#include "synack/wire/tcp.hpp"

namespace synack::link {
namespace {

using namespace std::chrono_literals;
using stack::test::arp;
using stack::test::ethernet;
using stack::test::ip;
using stack::test::ipv4;
using wire::MacAddr;

constexpr std::uint16_t kIpv4 = 0x0800, kArp = 0x0806;
constexpr std::uint8_t kTcp = 6;
const MacAddr kPeerMac{{0x02, 0, 0, 0x77, 0, 0x01}};
const MacAddr kStackMac{{0x02, 0, 0, 0x77, 0, 0x02}};
const wire::Ipv4Addr kPeerIp = ip(10, 77, 0, 1);
const wire::Ipv4Addr kStackIp = ip(10, 77, 0, 2);

struct Rig {
  UniqueFd peer;
  std::optional<TapLink> tap;
  SeededRandom rng{1};
  stack::Stack st{stack::StackConfig{}, rng};
  PcapngWriter pcap = PcapngWriter::in_memory();
  std::unique_ptr<EventLoop> loop;
  stack::IfaceId iface;

  Rig() {
    int fds[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), 0);
    peer = UniqueFd(fds[1]);
    tap.emplace(TapLink::adopt(UniqueFd(fds[0]), "pipe0", 1514, {}, TapFraming::VnetHdr));
    iface = st.add_interface(kStackMac, *wire::Ipv4Cidr::parse("10.77.0.2/24"), 1500,
                             tap->tx_offloads());
    auto created = EventLoop::create(st, *tap, iface, LoopOptions{.handle_signals = false});
    EXPECT_TRUE(created.ok());
    if (created) loop = std::move(*created);
    loop->set_capture(&pcap, pcap.add_interface("pipe0"));
  }

  void send(const VnetHdr& h, const ByteVec& frame) {
    ByteVec msg(VnetHdr::kLen);
    h.encode(msg);
    msg.insert(msg.end(), frame.begin(), frame.end());
    ASSERT_EQ(::send(peer.get(), msg.data(), msg.size(), 0), static_cast<ssize_t>(msg.size()));
  }
  // Every (header, frame) the stack wrote.
  std::vector<std::pair<VnetHdr, ByteVec>> receive() {
    std::vector<std::pair<VnetHdr, ByteVec>> got;
    for (;;) {
      ByteVec buf(70000);
      const ssize_t n = ::recv(peer.get(), buf.data(), buf.size(), 0);
      if (n <= 0) return got;
      buf.resize(static_cast<std::size_t>(n));
      auto h = VnetHdr::decode(buf);
      if (!h) {
        ADD_FAILURE() << "a write without a virtio_net_hdr";
        return got;
      }
      got.emplace_back(*h, ByteVec(buf.begin() + VnetHdr::kLen, buf.end()));
    }
  }
  bool capture_says(const std::string& text) const {
    const ByteVec& b = pcap.bytes();
    const auto* p = reinterpret_cast<const char*>(b.data());
    return std::search(p, p + b.size(), text.begin(), text.end()) != p + b.size();
  }
};

ByteVec tcp_segment(std::uint32_t seq, std::uint32_t ack, std::uint8_t flags, const ByteVec& data,
                    wire::ChecksumFill fill) {
  wire::TcpRepr r;
  r.src_port = 40000;
  r.dst_port = 80;
  r.seq = SeqNum(seq);
  r.ack = SeqNum(ack);
  r.flags.bits = flags;
  r.window = 65535;
  r.payload = data;
  ByteVec seg(r.total_len());
  r.emit(seg, wire::PseudoHeader{kPeerIp, kStackIp}, fill);
  return ethernet(kStackMac, kPeerMac, kIpv4, ipv4(kPeerIp, kStackIp, kTcp, seg));
}

TEST(VnetLoop, AHandshakeAndASuperSegmentCrossTheHeaderFramedDevice) {
  Rig rig;
  ASSERT_TRUE(rig.loop);
  EXPECT_EQ(rig.st.interface(rig.iface)->offloads.tx_checksum, true);
  auto lid = rig.st.tcp().listen(tcp::Endpoint{wire::Ipv4Addr::any(), 80}, 8);
  ASSERT_TRUE(lid.ok());

  // ARP: a plain header both ways (nothing to finish, no GSO).
  rig.send(VnetHdr{}, ethernet(MacAddr::broadcast(), kPeerMac, kArp,
                               arp(1, kPeerMac, kPeerIp, MacAddr{}, kStackIp)));
  // A SYN whose checksum the "kernel" left partial (NEEDS_CSUM at 34 + 16).
  VnetHdr partial;
  partial.flags = VnetHdr::kNeedsCsum;
  partial.csum_start = 34;
  partial.csum_offset = 16;
  rig.send(partial,
           tcp_segment(1000, 0, wire::TcpFlags::kSyn, {}, wire::ChecksumFill::PseudoHeaderOnly));
  ASSERT_TRUE(rig.loop->run(50ms).ok());
  auto got = rig.receive();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].first, VnetHdr{});
  EXPECT_EQ(got[0].second,
            ethernet(kPeerMac, kStackMac, kArp, arp(2, kStackMac, kStackIp, kPeerMac, kPeerIp)));
  // The SYN,ACK asks the kernel to finish its checksum; finished, it is valid.
  const auto& [synack_hdr, synack_frame] = got[1];
  EXPECT_EQ(synack_hdr.flags, VnetHdr::kNeedsCsum);
  EXPECT_EQ(synack_hdr.gso_type, VnetHdr::kGsoNone);
  EXPECT_EQ(synack_hdr.csum_start, 34);
  EXPECT_EQ(synack_hdr.csum_offset, 16);
  ByteVec finished = synack_frame;
  ASSERT_TRUE(wire::finish_partial_checksum(finished, 34, 16));
  auto synack = wire::TcpRepr::parse(Bytes(finished).subspan(34), {kStackIp, kPeerIp});
  ASSERT_TRUE(synack.ok());
  EXPECT_TRUE(synack->flags.syn() && synack->flags.ack());
  EXPECT_EQ(synack->ack, SeqNum(1001));
  EXPECT_EQ(rig.tap->stats().tx_csum_partial, 1u);

  // The handshake's ACK and 6000 bytes in one GRO'd super-frame (gso_size 536, the
  // MSS the stack assumes without the option), checksum verified by the "kernel".
  ByteVec data(6000);
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<std::byte>(i % 253);
  ByteVec super =
      tcp_segment(1001, (synack->seq + 1).raw(), wire::TcpFlags::kAck | wire::TcpFlags::kPsh, data,
                  wire::ChecksumFill::PseudoHeaderOnly);
  VnetHdr gro;
  gro.flags = VnetHdr::kDataValid;
  gro.gso_type = VnetHdr::kGsoTcpV4;
  gro.gso_size = 536;
  gro.hdr_len = 54;
  rig.send(gro, super);
  ASSERT_TRUE(rig.loop->run(50ms).ok());
  EXPECT_EQ(rig.tap->stats().rx_super_frames, 1u);
  EXPECT_EQ(rig.st.stats().rx_super_frames, 1u);
  EXPECT_EQ(rig.st.stats().tcp_rx_bad_checksum, 0u);
  auto child = rig.st.tcp().accept(*lid);
  ASSERT_TRUE(child.ok());
  ByteVec buf(10000);
  auto n = rig.st.tcp().receive(*child, buf);
  ASSERT_TRUE(n.ok());
  buf.resize(*n);
  EXPECT_EQ(buf, data);
  // Its ACK covers all 6000 bytes.
  got = rig.receive();
  ASSERT_FALSE(got.empty());
  ByteVec ack_frame = got.back().second;
  ASSERT_TRUE(wire::finish_partial_checksum(ack_frame, 34, 16));
  auto ack = wire::TcpRepr::parse(Bytes(ack_frame).subspan(34), {kStackIp, kPeerIp});
  ASSERT_TRUE(ack.ok());
  EXPECT_EQ(ack->ack, SeqNum(1001 + 6000));

  // The capture says what crossed the device was not what a wire would carry.
  EXPECT_TRUE(rig.capture_says("super-frame (virtio_net_hdr GSO TCPv4, gso_size 536"));
  EXPECT_TRUE(rig.capture_says("transport checksum partial"));
  EXPECT_TRUE(rig.capture_says("transport checksum verified by the kernel"));
}

TEST(VnetLoop, AHeaderThatPointsOutsideTheFrameDropsIt) {
  Rig rig;
  ASSERT_TRUE(rig.loop);
  VnetHdr bad;
  bad.flags = VnetHdr::kNeedsCsum;
  bad.csum_start = 34;
  bad.csum_offset = 200;  // past the end of a 54-byte SYN
  rig.send(bad, tcp_segment(1, 0, wire::TcpFlags::kSyn, {}, wire::ChecksumFill::Complete));
  ASSERT_TRUE(rig.loop->run(20ms).ok());
  EXPECT_EQ(rig.tap->stats().rx_bad_vnet_hdr, 1u);
  EXPECT_EQ(rig.st.stats().eth_rx_frames, 0u);
}

}  // namespace
}  // namespace synack::link

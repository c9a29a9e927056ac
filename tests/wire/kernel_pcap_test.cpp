// Frames captured from the Linux kernel by tests/vectors/capture.sh (two network
// namespaces over veth, offloads off). The expected values below were read from
// `tcpdump -r tests/vectors/kernel.pcap -n -e -vv` and `tshark`, not from our code.
// Re-running capture.sh produces new ports/sequence numbers: update them here.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "synack/wire/arp.hpp"
#include "synack/wire/ethernet.hpp"
#include "synack/wire/icmp.hpp"
#include "synack/wire/ipv4.hpp"
#include "synack/wire/tcp.hpp"
#include "synack/wire/udp.hpp"
#include "wire_test_util.hpp"

namespace synack::wire {
namespace {

using test::view;

const MacAddr kMacA{{0x26, 0x1d, 0xdb, 0x77, 0xfc, 0x00}};  // 10.77.0.1
const MacAddr kMacB{{0x52, 0xe5, 0xe7, 0x9f, 0xe8, 0x0f}};  // 10.77.0.2
const Ipv4Addr kIpA = Ipv4Addr::from_octets(10, 77, 0, 1);
const Ipv4Addr kIpB = Ipv4Addr::from_octets(10, 77, 0, 2);

std::vector<ByteVec> load_frames() {
  return test::load_vector_frames("kernel.pcap");
}

class KernelPcap : public ::testing::Test {
 protected:
  void SetUp() override { frames_ = load_frames(); }

  // tcpdump numbers frames from 1.
  const ByteVec& frame(std::size_t n) const { return frames_.at(n - 1); }

  EthernetRepr eth(std::size_t n) const {
    auto e = EthernetRepr::parse(view(frame(n)));
    EXPECT_TRUE(e.ok());
    return e.value();
  }
  Ipv4Repr ip(std::size_t n) const {
    auto e = eth(n);
    EXPECT_EQ(e.ethertype, static_cast<std::uint16_t>(EtherType::Ipv4));
    auto r = Ipv4Repr::parse(e.payload);
    EXPECT_TRUE(r.ok()) << to_string(r.error());
    return r.value();
  }
  TcpRepr tcp(std::size_t n) const {
    auto i = ip(n);
    EXPECT_EQ(i.protocol, static_cast<std::uint8_t>(IpProto::Tcp));
    auto r = TcpRepr::parse(i.payload, {i.src, i.dst});
    EXPECT_TRUE(r.ok()) << to_string(r.error());
    return r.value();
  }

  std::vector<ByteVec> frames_;
};

std::string str(Bytes b) {
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

TEST_F(KernelPcap, HasAllFrames) {
  EXPECT_EQ(frames_.size(), 17u);
}

TEST_F(KernelPcap, ArpRequestAndReply) {
  auto e1 = eth(1);
  EXPECT_TRUE(e1.dst.is_broadcast());
  EXPECT_EQ(e1.src, kMacA);
  ASSERT_EQ(e1.ethertype, static_cast<std::uint16_t>(EtherType::Arp));
  auto req = ArpRepr::parse(e1.payload);
  ASSERT_TRUE(req.ok());
  EXPECT_EQ(*req, (ArpRepr{ArpOp::Request, kMacA, kIpA, MacAddr{}, kIpB}));

  auto e2 = eth(2);
  EXPECT_EQ(e2.dst, kMacA);
  EXPECT_EQ(e2.src, kMacB);
  auto rep = ArpRepr::parse(e2.payload);
  ASSERT_TRUE(rep.ok());
  EXPECT_EQ(*rep, (ArpRepr{ArpOp::Reply, kMacB, kIpB, kMacA, kIpA}));
}

TEST_F(KernelPcap, IcmpEcho) {
  auto i3 = ip(3);
  EXPECT_EQ(i3.src, kIpA);
  EXPECT_EQ(i3.dst, kIpB);
  EXPECT_EQ(i3.ident, 0x2d72);
  EXPECT_EQ(i3.ttl, 64);
  EXPECT_TRUE(i3.dont_fragment);
  EXPECT_EQ(i3.payload.size(), 64u);
  auto req = IcmpRepr::parse(i3.payload);
  ASSERT_TRUE(req.ok());
  EXPECT_EQ(req->type, static_cast<std::uint8_t>(IcmpType::EchoRequest));
  EXPECT_EQ(req->ident, 7089);
  EXPECT_EQ(req->seq_no, 1);
  EXPECT_EQ(req->data.size(), 56u);

  auto i4 = ip(4);
  EXPECT_EQ(i4.ident, 0x8675);
  EXPECT_FALSE(i4.dont_fragment);  // tcpdump: flags [none]
  auto rep = IcmpRepr::parse(i4.payload);
  ASSERT_TRUE(rep.ok());
  EXPECT_EQ(rep->type, static_cast<std::uint8_t>(IcmpType::EchoReply));
  EXPECT_EQ(rep->ident, 7089);
  EXPECT_EQ(rep->seq_no, 1);
  EXPECT_EQ(str(rep->data), str(req->data));  // the reply echoes the data
}

TEST_F(KernelPcap, UdpDatagram) {
  auto i5 = ip(5);
  EXPECT_EQ(i5.protocol, static_cast<std::uint8_t>(IpProto::Udp));
  auto u = UdpRepr::parse(i5.payload, {i5.src, i5.dst});
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->src_port, 40000);
  EXPECT_EQ(u->dst_port, 7777);
  EXPECT_EQ(str(u->payload), "hello udp\n");
}

TEST_F(KernelPcap, TcpHandshakeOptions) {
  TcpRepr syn = tcp(6);
  EXPECT_EQ(syn.flags.to_string(), "S");
  EXPECT_EQ(syn.src_port, 49348);
  EXPECT_EQ(syn.dst_port, 8080);
  EXPECT_EQ(syn.seq, SeqNum(1163392396));
  EXPECT_EQ(syn.window, 64240);
  EXPECT_EQ(syn.options.mss, 1460);
  EXPECT_TRUE(syn.options.sack_permitted);
  EXPECT_EQ(syn.options.window_scale, 10);
  EXPECT_EQ(syn.options.timestamps, (TcpTimestamps{4175122033u, 0}));
  EXPECT_EQ(format_tcp_options(syn.options),
            "<mss 1460,sackOK,TS val 4175122033 ecr 0,nop,wscale 10>");

  TcpRepr synack = tcp(7);
  EXPECT_EQ(synack.flags.to_string(), "S.");
  EXPECT_EQ(synack.seq, SeqNum(507359883));
  EXPECT_EQ(synack.ack, SeqNum(1163392397));
  EXPECT_EQ(synack.window, 65160);
  EXPECT_EQ(format_tcp_options(synack.options),
            "<mss 1460,sackOK,TS val 4294887673 ecr 4175122033,nop,wscale 10>");
  EXPECT_EQ(ip(7).ident, 0);

  TcpRepr ack = tcp(8);
  EXPECT_EQ(ack.window, 63);
  EXPECT_EQ(format_tcp_options(ack.options), "<nop,nop,TS val 4175122033 ecr 4294887673>");
}

TEST_F(KernelPcap, TcpDataAndClose) {
  const char* want[] = {"S", "S.", ".", "P.", ".", "P.", ".", "F.", "F.", "."};
  for (std::size_t n = 6; n <= 15; ++n) {
    EXPECT_EQ(tcp(n).flags.to_string(), want[n - 6]) << "frame " << n;
  }
  TcpRepr d1 = tcp(9);
  EXPECT_EQ(d1.seq, SeqNum(1163392397));
  EXPECT_EQ(str(d1.payload), "hello tcp\n");
  EXPECT_EQ(d1.seg_len(), 10u);
  TcpRepr d2 = tcp(11);
  EXPECT_EQ(d2.seq, SeqNum(507359884));
  EXPECT_EQ(d2.ack, SeqNum(1163392407));
  EXPECT_EQ(str(d2.payload), "reply: hello tcp\n");
  TcpRepr fin = tcp(13);
  EXPECT_EQ(fin.seq, SeqNum(1163392407));
  EXPECT_EQ(fin.seg_len(), 1u);
  TcpRepr last = tcp(15);
  EXPECT_EQ(last.seq, SeqNum(1163392408));
  EXPECT_EQ(last.ack, SeqNum(507359902));
}

TEST_F(KernelPcap, IcmpPortUnreachable) {
  auto u = ip(16);
  auto sent = UdpRepr::parse(u.payload, {u.src, u.dst});
  ASSERT_TRUE(sent.ok());
  EXPECT_EQ(sent->dst_port, 9);

  auto i17 = ip(17);
  EXPECT_EQ(i17.src, kIpB);
  EXPECT_EQ(i17.dscp_ecn, 0xc0);  // tcpdump: tos 0xc0 (internetwork control)
  EXPECT_FALSE(i17.dont_fragment);
  auto icmp = IcmpRepr::parse(i17.payload);
  ASSERT_TRUE(icmp.ok());
  EXPECT_EQ(icmp->type, static_cast<std::uint8_t>(IcmpType::DestUnreachable));
  EXPECT_EQ(icmp->code, static_cast<std::uint8_t>(UnreachCode::Port));
  EXPECT_EQ(icmp->data.size(), 40u);
  // The quoted datagram is our UDP packet, byte for byte.
  EXPECT_EQ(str(icmp->data), str(eth(16).payload));
  auto inner = Ipv4Repr::parse(icmp->data);
  ASSERT_TRUE(inner.ok());
  EXPECT_EQ(inner->ident, 0x9540);
  auto inner_udp = UdpRepr::parse(inner->payload, {inner->src, inner->dst});
  ASSERT_TRUE(inner_udp.ok());
  EXPECT_EQ(inner_udp->src_port, 40000);
  EXPECT_EQ(str(inner_udp->payload), "nobody home\n");
}

// Parses every layer of a frame and emits it again into a fresh buffer, inner layer
// first, each outer layer finding its payload already in place.
ByteVec reemit(const ByteVec& frame) {
  auto e = EthernetRepr::parse(view(frame));
  if (!e.ok()) return {};
  ByteVec out(frame.size(), std::byte{0x55});
  MutBytes l3 = MutBytes(out).subspan(EthernetRepr::kHeaderLen);
  std::size_t l3_len = 0;
  if (e->ethertype == static_cast<std::uint16_t>(EtherType::Arp)) {
    auto a = ArpRepr::parse(e->payload);
    if (!a.ok()) return {};
    l3_len = a->emit(l3);
  } else {
    auto i = Ipv4Repr::parse(e->payload);
    if (!i.ok()) return {};
    MutBytes l4 = l3.subspan(Ipv4Repr::kMinHeaderLen);
    PseudoHeader ph{i->src, i->dst};
    std::size_t l4_len = 0;
    if (i->protocol == static_cast<std::uint8_t>(IpProto::Tcp)) {
      auto t = TcpRepr::parse(i->payload, ph);
      if (!t.ok()) return {};
      l4_len = t->emit(l4, ph);
    } else if (i->protocol == static_cast<std::uint8_t>(IpProto::Udp)) {
      auto u = UdpRepr::parse(i->payload, ph);
      if (!u.ok()) return {};
      l4_len = u->emit(l4, ph);
    } else {
      auto c = IcmpRepr::parse(i->payload);
      if (!c.ok()) return {};
      l4_len = c->emit(l4);
    }
    Ipv4Repr copy = i.value();
    copy.payload = Bytes(l4.data(), l4_len);
    l3_len = copy.emit(l3);
  }
  EthernetRepr copy = e.value();
  copy.payload = Bytes(l3.data(), l3_len);
  out.resize(copy.emit(out));
  return out;
}

TEST_F(KernelPcap, EveryFrameReEmitsByteForByte) {
  // Linux lays out headers and options exactly as our emitters do (20-byte IPv4
  // header, mss/sackOK+TS/nop,wscale), so every frame must come back identical.
  ASSERT_FALSE(frames_.empty());
  for (std::size_t n = 1; n <= frames_.size(); ++n) {
    EXPECT_EQ(reemit(frame(n)), frame(n)) << "frame " << n;
  }
}

}  // namespace
}  // namespace synack::wire

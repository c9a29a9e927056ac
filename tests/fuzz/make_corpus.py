#!/usr/bin/python3
"""Extracts the seed corpora under tests/fuzz/corpus/<target>/ from tests/vectors/kernel.pcap
and tests/vectors/kernel6.pcap.

Each target gets the bytes its fuzzer expects: whole frames (fuzz_ethernet), ARP
packets, IPv4 packets, ICMP messages, pseudo-header (src, dst) + UDP datagram or TCP
segment, TCP option areas; IPv6 packets (fuzz_ipv6) and IPv6 source + destination +
ICMPv6 message (fuzz_icmpv6). Run: tests/fuzz/make_corpus.py (no arguments).
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
PCAP = os.path.join(HERE, "..", "vectors", "kernel.pcap")
PCAP6 = os.path.join(HERE, "..", "vectors", "kernel6.pcap")
ICMP6_NAMES = {1: "dest-unreachable", 2: "packet-too-big", 128: "echo-request", 129: "echo-reply",
               133: "router-solicitation", 134: "router-advertisement",
               135: "neighbor-solicitation", 136: "neighbor-advertisement",
               143: "mldv2-report"}


def frames(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    endian = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    off = 24
    while off + 16 <= len(data):
        _, _, caplen, _ = struct.unpack(endian + "IIII", data[off:off + 16])
        yield data[off + 16:off + 16 + caplen]
        off += 16 + caplen


def tcp_name(seg):
    flags = seg[13]
    names = [(0x01, "fin"), (0x02, "syn"), (0x04, "rst"), (0x08, "psh"), (0x10, "ack")]
    return "-".join(n for bit, n in names if flags & bit)


def main():
    out = {}

    def add(target, name, blob):
        out.setdefault(target, {})
        out[target].setdefault(name, blob)  # first frame of each kind only

    for i, frame in enumerate(frames(PCAP), start=1):
        ethertype = struct.unpack(">H", frame[12:14])[0]
        payload = frame[14:]
        if ethertype == 0x0806:
            kind = "arp-request" if payload[7] == 1 else "arp-reply"
            add("fuzz_ethernet", kind, frame)
            add("fuzz_arp", kind, payload)
            continue
        ihl = (payload[0] & 0x0F) * 4
        total = struct.unpack(">H", payload[2:4])[0]
        proto = payload[9]
        ph = payload[12:20]
        l4 = payload[ihl:total]
        if proto == 1:
            kind = {0: "echo-reply", 8: "echo-request", 3: "port-unreachable"}.get(l4[0], "icmp")
            add("fuzz_icmp", kind, l4)
        elif proto == 17:
            kind = "udp"
            add("fuzz_udp", "udp-%d" % i, ph + l4)
        else:
            kind = "tcp-" + tcp_name(l4)
            add("fuzz_tcp", kind, ph + l4)
            doff = (l4[12] >> 4) * 4
            if doff > 20:
                add("fuzz_tcp_options", "options-" + tcp_name(l4), l4[20:doff])
        add("fuzz_ipv4", kind, payload[:total])
        add("fuzz_ethernet", kind, frame)

    for frame in frames(PCAP6):
        packet = frame[14:]
        ip6 = packet[:40 + struct.unpack(">H", packet[4:6])[0]]
        nh, pos = ip6[6], 40
        if nh == 0:  # Hop-by-Hop (MLD reports): skip it
            nh, pos = ip6[pos], pos + (ip6[pos + 1] + 1) * 8
        if nh == 44:
            off = struct.unpack(">H", ip6[pos + 2:pos + 4])[0] >> 3
            add("fuzz_ipv6", "fragment-first" if off == 0 else "fragment-%d" % off, ip6)
            continue
        if nh == 58:
            name = ICMP6_NAMES.get(ip6[pos], "icmpv6-%d" % ip6[pos])
            if name == "neighbor-solicitation" and ip6[8:24] == bytes(16):
                name = "dad-neighbor-solicitation"
            add("fuzz_icmpv6", name, ip6[8:40] + ip6[pos:])
            add("fuzz_ipv6", name, ip6)
        else:
            add("fuzz_ipv6", "udp" if nh == 17 else "tcp", ip6)

    for target, files in sorted(out.items()):
        d = os.path.join(HERE, "corpus", target)
        os.makedirs(d, exist_ok=True)
        for name, blob in sorted(files.items()):
            with open(os.path.join(d, name), "wb") as f:
                f.write(blob)
        print("%-18s %s" % (target, " ".join(sorted(files))))


if __name__ == "__main__":
    main()

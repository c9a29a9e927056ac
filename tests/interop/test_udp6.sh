#!/usr/bin/env bash
# UDP over IPv6 against the kernel (RFC 8200 §8.1, RFC 4443 §3.1): a kernel UDP socket
# sends an 8000-byte datagram over IPv6 (fragmented by the kernel, the source) to a port
# where synack has no socket. Only a datagram synack reassembled, whose checksum it
# verified over the IPv6 pseudo-header, gets ICMPv6 Destination Unreachable code 4,
# which the kernel's connected socket reports as ECONNREFUSED. synack has no UDP
# command (docs/CLI.md): UDP from synack over IPv6 is covered by
# tests/stack/udp6_test.cpp between two stacks.
NAME=udp6
source "$(dirname "$0")/lib.sh"
setup_ns
setup_ipv6  # ULA and link-local addresses inside the namespace only

start_synack "$WORK/serve.log" serve --log info --mac "$MAC" --ip6 "$P::2/64" \
  --pcap "$WORK/udp6.pcapng" echo:7
wait_ping6 "$P::2"

nsx timeout 10 /usr/bin/python3 "$HERE/udp_refused.py" "$P::2" ||
  fail "kernel UDP over IPv6, 8000 bytes: no port unreachable"

stop_synack
stats=$(grep -ho '[a-z0-9_]*=[0-9]*' "$WORK/serve.log" "$WORK/serve.log.out" 2>/dev/null | paste -sd' ')
grep -q "ipv6_reasm_ok=1\b" <<<"$stats" || fail "no reassembly: $stats"
grep -q "udp_rx_no_socket=1\b" <<<"$stats" || fail "no closed-port datagram: $stats"
grep -q "icmpv6_tx_unreachable=1\b" <<<"$stats" || fail "no port unreachable sent: $stats"
if grep -q "udp_rx_bad_checksum=\|udp_rx_zero_checksum6=" <<<"$stats"; then
  fail "checksum drops: $stats"
fi
check_pcap "$WORK/udp6.pcapng" any
CAP="$WORK/udp6.pcapng"
# 8008 bytes of UDP in fragments of at most 1448 (1500 - 40 - 8, a multiple of 8): 6.
expect_count "fragments from the kernel" -eq 6 "ipv6.src == $P::1 && ipv6.nxt == 44"
expect_count "fragments from the kernel with M set" -eq 5 \
  "ipv6.src == $P::1 && ipv6.fraghdr.more == 1"
expect_count "port unreachable from synack quoting the datagram" -eq 1 \
  "ipv6.src == $P::2 && icmpv6.type == 1 && icmpv6.code == 4 && udp.dstport == 9999"
expect_count "ICMPv6 with a bad checksum" -eq 0 "icmpv6.checksum.status == \"Bad\""

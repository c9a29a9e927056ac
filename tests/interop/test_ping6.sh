#!/usr/bin/env bash
# The kernel pings synack over IPv6: NDP both ways, a static address, the link-local
# address, 3000-byte echoes (the kernel's request fragmented and reassembled by synack,
# synack's reply fragmented by synack), then SLAAC from a Router Advertisement that
# scapy sends.
NAME=ping6
source "$(dirname "$0")/lib.sh"
setup_ns
setup_ipv6  # ULA and link-local addresses inside the namespace only
LL=fe80::ff:fe77:2  # the modified EUI-64 link-local address of $MAC

start_synack "$WORK/serve.log" serve --log info --mac "$MAC" --ip6 "$P::2/64" \
  --pcap "$WORK/ping6.pcapng" echo:7
wait_ping6 "$P::2"
out=$(nsx timeout 10 ping -6 -c 3 -i 0.2 -W 1 "$P::2")
echo "$out" | grep -q " 3 received" || fail "ping -6 $P::2: $out"
wait_ping6 "$LL%$TAP"  # the kernel's own link-local address may still be tentative
out=$(nsx timeout 10 ping -6 -c 3 -i 0.2 -W 1 "$LL%$TAP")
echo "$out" | grep -q " 3 received" || fail "ping -6 $LL%$TAP: $out"
out=$(nsx timeout 10 ping -6 -c 2 -i 0.2 -W 1 -s 3000 "$P::2")
echo "$out" | grep -q " 2 received" || fail "ping -6 -s 3000: $out"
# The kernel learnt synack's MAC through NDP (synack's Neighbor Advertisements).
neigh=$(ip -n "$NS" -6 neigh show dev "$TAP")
echo "$neigh" | grep -q "^$P::2 lladdr $MAC" || fail "kernel neighbour table: $neigh"
echo "$neigh" | grep -q "^$LL lladdr $MAC" || fail "kernel neighbour table: $neigh"
stop_synack
grep -Eq "icmpv6_tx_echo_replies=([89]|[1-9][0-9])" "$WORK/serve.log" || fail "stats: $(tail -2 "$WORK/serve.log")"
grep -q "ipv6_reasm_ok=2" "$WORK/serve.log" || fail "no reassembly: $(tail -2 "$WORK/serve.log")"
check_pcap "$WORK/ping6.pcapng" any
# synack's replies to the 3000-byte echoes left in fragments (Next Header 44).
CAP="$WORK/ping6.pcapng"
expect_count "fragments from synack" -ge 4 "ipv6.src == $P::2 && ipv6.nxt == 44"
expect_count "neighbor advertisements from synack" -ge 1 "eth.src == $MAC && icmpv6.type == 136"

# SLAAC: synack with --ip6 auto forms $P:1::ff:fe77:2 from an RA's prefix.
ip -n "$NS" -6 addr add "$P:1::1/64" dev "$TAP" nodad
start_synack "$WORK/auto.log" serve --log info --mac "$MAC" --ip6 auto echo:7
KMAC=$(ip -n "$NS" link show "$TAP" | awk '/link\/ether/ { print $2 }')
nsx timeout 20 /usr/bin/python3 - "$TAP" "$KMAC" "$P:1::" <<'EOF' || fail "scapy could not send the RA"
import sys
from scapy.all import Ether, IPv6, ICMPv6ND_RA, ICMPv6NDOptPrefixInfo, ICMPv6NDOptSrcLLAddr, sendp
tap, mac, prefix = sys.argv[1], sys.argv[2], sys.argv[3]
ra = (Ether(src=mac, dst="33:33:00:00:00:01") /
      IPv6(src="fe80::1", dst="ff02::1", hlim=255) /
      ICMPv6ND_RA(routerlifetime=0) /
      ICMPv6NDOptPrefixInfo(prefix=prefix, prefixlen=64, L=1, A=1,
                            validlifetime=3600, preferredlifetime=1800) /
      ICMPv6NDOptSrcLLAddr(lladdr=mac))
sendp(ra, iface=tap, verbose=False)
EOF
wait_ping6 "$P:1::ff:fe77:2"
out=$(nsx timeout 10 ping -6 -c 3 -i 0.2 -W 1 "$P:1::ff:fe77:2")
echo "$out" | grep -q " 3 received" || fail "ping -6 SLAAC address: $out"
stop_synack
grep -q "slaac_addresses=1" "$WORK/auto.log" || fail "no SLAAC: $(tail -2 "$WORK/auto.log")"

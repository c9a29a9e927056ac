#!/usr/bin/env bash
# IPv6 path MTU against the kernel through a 1280-byte hop: synack's TAP (MTU 1500) ends
# in namespace R, a kernel router, whose veth (MTU 1280) leads to namespace K, the
# kernel peer. K echoes 1 MiB through synack: (1) R's Packet Too Big lowers synack's
# segments to 1280-byte packets (RFC 8201); (2) with R's PTBs dropped by nft, synack
# finds the black hole (RFC 4821) and falls back to 1280, the IPv6 base. Byte-exact both.
NAME=pmtu6
source "$(dirname "$0")/lib.sh"
setup_ns     # namespace R: tap0, 10.77.0.1/24 (start_synack pings synack over IPv4)
setup_ipv6   # fd77:X::1/64 on tap0 (X from the PID); synack is fd77:X::2
NSK="synack-$NAME-k-$$"
EXTRA_NS+=("$NSK")
HOP=1280
S="$P::2"      # synack
PK="$P:1"      # the 1280-byte link R <-> K: R is $PK::1, K is $PK::2
K="$PK::2"
LL=fe80::1     # R's link-local address on tap0, the source of its router advertisements
nk() { ip netns exec "$NSK" "$@"; }

# R forwards; its veth to K and K's end both have MTU 1280.
nsx sysctl -qw net.ipv6.conf.all.forwarding=1
ip -n "$NS" -6 addr add "$LL/64" dev "$TAP" nodad
ip netns add "$NSK"
ip -n "$NSK" link set lo up
ip -n "$NS" link add vr mtu $HOP type veth peer name vk mtu $HOP netns "$NSK"
ip -n "$NS" -6 addr add "$PK::1/64" dev vr nodad
ip -n "$NSK" -6 addr add "$K/64" dev vk nodad
ip -n "$NS" link set vr up
ip -n "$NSK" link set vk up
# K announces MSS 1440 (advmss), as a host whose own link has MTU 1500 would: K's SYN
# alone must not keep synack's packets under the hop. K sends at most 1280 itself (its
# link's MTU).
ip -n "$NSK" -6 route add default via "$PK::1" dev vk advmss 1440

# ra: R announces itself as a default router on tap0 (synack with a static address
# learns routers only from router advertisements). Sent three times, 0.3 s apart.
KMAC=$(ip -n "$NS" link show "$TAP" | awk '/link\/ether/ { print $2 }')
ra() {
  nsx timeout 20 /usr/bin/python3 - "$TAP" "$KMAC" "$LL" <<'EOF' || fail "scapy could not send the RA"
import sys, time
from scapy.all import Ether, IPv6, ICMPv6ND_RA, ICMPv6NDOptSrcLLAddr, sendp
tap, mac, src = sys.argv[1], sys.argv[2], sys.argv[3]
ra = (Ether(src=mac, dst="33:33:00:00:00:01") /
      IPv6(src=src, dst="ff02::1", hlim=255) /
      ICMPv6ND_RA(routerlifetime=1800) /
      ICMPv6NDOptSrcLLAddr(lladdr=mac))
for _ in range(3):
    sendp(ra, iface=tap, verbose=False)
    time.sleep(0.3)
EOF
}

# stat LOG NAME: the counter NAME from synack's stats line at exit.
stat() { grep -o " $2=[0-9]*" "$1" | tail -1 | cut -d= -f2; }
# A PTB quotes the packet (tshark dissects it: ipv6.src, tcp), hence !icmpv6.
syn() { echo "ipv6.src == $S && tcp && !icmpv6"; }   # synack's TCP packets
big() { echo "$(syn) && ipv6.plen > $((HOP - 40))"; }  # ... over the hop
largest() {  # largest IPv6 packet (40 + payload length) synack sent at and after frame $1
  tshark -r "$CAP" -d tcp.port==7,data -Y "$(syn) && frame.number >= $1" \
    -T fields -e ipv6.plen 2>/dev/null | sort -n | tail -1 | awk '{ print $1 + 40 }'
}

# run_case N TIMEOUT: K echoes 1 MiB through synack's echo:7, captured on tap0 (TCP and
# ICMPv6) to $WORK/caseN.pcap; fails unless the echo is exact.
run_case() {
  local n=$1 t=$2
  head -c 1048576 /dev/urandom >"$WORK/in$n"
  CAPTURE_FILTER="tcp or icmp6" capture_start "$WORK/case$n.pcap"
  start_synack "$WORK/serve$n.log" serve --log info --offload off --mac "$MAC" \
    --ip6 "$S/64" echo:7
  wait_ping6 "$S"
  ra
  wait_ping6 "$S" "$NSK"  # K reaches synack through R (synack has its default router)
  local t0=$SECONDS
  nk timeout $((t + 5)) /usr/bin/python3 "$HERE/halfclose.py" "$S" 7 "$WORK/in$n" "$WORK/out$n" "$t" ||
    fail "case $n: kernel client in K failed"
  echo "case $n: 1 MiB echoed in $((SECONDS - t0)) s"
  stop_synack
  capture_stop
  cmp "$WORK/in$n" "$WORK/out$n" || fail "case $n: echo differs"
  CAP="$WORK/case$n.pcap"
}

# Case 1: R's Packet Too Big reaches synack and lowers its packets to the hop's 1280.
run_case 1 30
expect_count "synack's SYN-ACK announces MSS 1440" -eq 1 \
  "$(syn) && tcp.flags.syn == 1 && tcp.flags.ack == 1 && tcp.options.mss_val == 1440"
expect_count "Packet Too Big from R to synack (MTU $HOP)" -ge 1 \
  "ipv6.dst == $S && icmpv6.type == 2 && icmpv6.mtu == $HOP"
expect_count "synack's packets over $HOP" -ge 1 "$(big)"
last_ptb=$(tshark -r "$CAP" -Y "ipv6.dst == $S && icmpv6.type == 2" -T fields -e frame.number 2>/dev/null | tail -1)
expect_count "synack's packets over $HOP after the last PTB" -eq 0 "$(big) && frame.number > $last_ptb"
expect_count "synack's $HOP-byte packets" -ge 700 "$(syn) && ipv6.plen == $((HOP - 40))"
expect_count "K's packets over $HOP" -eq 0 "ipv6.src == $K && ipv6.plen > $((HOP - 40))"
expect_count "K's full-sized packets" -ge 700 "ipv6.src == $K && tcp && ipv6.plen == $((HOP - 40))"
max1=$(largest "$last_ptb")
echo "case 1: PTBs $(count "ipv6.dst == $S && icmpv6.type == 2"), synack's packets over $HOP:" \
  "$(count "$(big)"), largest after the last PTB: $max1"
[ "$max1" -eq "$HOP" ] || fail "case 1: largest packet after the PTB is $max1, wanted $HOP"
ptb1=$(stat "$WORK/serve1.log" icmpv6_rx_ptb)
pmtu1=$(stat "$WORK/serve1.log" pmtu_updates)
echo "case 1: synack's stats: icmpv6_rx_ptb=$ptb1 pmtu_updates=$pmtu1"
[ "${ptb1:-0}" -ge 1 ] || fail "case 1: synack counted no PTB"
[ "${pmtu1:-0}" -ge 1 ] || fail "case 1: no path MTU update"
[ "$(stat "$WORK/serve1.log" svc_mtu_black_holes)" = 0 ] || fail "case 1: a black hole, with PTBs arriving"

# Case 2: R's Packet Too Big messages to synack are dropped (a black hole): synack must
# detect it (RFC 4821 §7.3) and send packets that fit the hop.
nsx nft add table inet synpmtu6
nsx nft add chain inet synpmtu6 out "{ type filter hook output priority 0; }"
nsx nft add rule inet synpmtu6 out ip6 daddr "$S" icmpv6 type packet-too-big counter drop
run_case 2 45
dropped=$(nsx nft list chain inet synpmtu6 out | awk '/counter/ { for (i = 1; i <= NF; i++) if ($i == "packets") print $(i + 1) }')
black_holes=$(stat "$WORK/serve2.log" svc_mtu_black_holes)
probes=$(stat "$WORK/serve2.log" svc_mtu_probes)
acked=$(stat "$WORK/serve2.log" svc_mtu_probes_acked)
lost=$(stat "$WORK/serve2.log" svc_mtu_probes_lost)
expect_count "Packet Too Big reaching synack" -eq 0 "icmpv6.type == 2"
over=$(count "$(big)")
# After the last packet over the hop (lost in R), everything synack sends must fit.
last_big=$(tshark -r "$CAP" -d tcp.port==7,data -Y "$(big)" -T fields -e frame.number 2>/dev/null | tail -1)
max2=$(largest "$((${last_big:-0} + 1))")
after=$(count "$(syn) && frame.number > ${last_big:-0} && ipv6.plen > $((HOP - 40 - 16)) && ipv6.plen <= $((HOP - 40))")
echo "case 2: PTBs dropped in R $dropped; synack: packets over $HOP $over, black-hole" \
  "reductions $black_holes, probes $probes ($acked acknowledged, $lost lost);" \
  "after the last packet over $HOP: largest $max2, $after within 16 bytes under $HOP"
[ "$dropped" -ge 1 ] || fail "case 2: R dropped no Packet Too Big (nothing was too big?)"
[ "$dropped" -eq "$over" ] || fail "case 2: R dropped $dropped PTBs, synack sent $over packets over $HOP"
[ "${black_holes:-0}" -ge 1 ] || fail "case 2: no black hole detected: $(tail -2 "$WORK/serve2.log")"
# Over IPv6 the black-hole base is 1280 (every IPv6 path carries it): segments fit the
# hop at once, and the probes above it are all lost.
[ "${lost:-0}" -ge 1 ] || fail "case 2: no probe above the base was lost"
[ "$max2" -le "$HOP" ] || fail "case 2: largest packet after convergence $max2 > $HOP"
[ "$after" -gt 0 ] || fail "case 2: the search did not converge near $HOP"

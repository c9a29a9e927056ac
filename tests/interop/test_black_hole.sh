#!/usr/bin/env bash
# An ICMP black hole between synack and the kernel (RFC 2923 §2.1): an nftables rule on
# the TAP's ingress in the namespace drops every packet from synack longer than 1280
# bytes and sends no ICMP "fragmentation needed", so RFC 1191 learns nothing. synack
# echoes 1 MiB from the kernel back through it: its full-sized segments vanish, R1
# timeouts make it suspect a black hole (RFC 4821 §7.3), and probing (§7.4-7.6) climbs
# back up to packets just under 1280 bytes. The echo must be byte-exact. Offloads are
# off: the rule must see each packet, not a TSO super-frame.
NAME=blackhole
source "$(dirname "$0")/lib.sh"
setup_ns
HOP=1280

nsx nft add table netdev synbh
nsx nft add chain netdev synbh in "{ type filter hook ingress device $TAP priority 0; }"
nsx nft add rule netdev synbh in meta protocol ip ip length gt $HOP counter drop

head -c 1048576 /dev/urandom >"$WORK/in"
start_synack "$WORK/serve.log" serve --log info --offload off --pcap "$WORK/bh.pcapng" echo:7
nsx timeout 120 /usr/bin/python3 "$HERE/halfclose.py" 10.77.0.2 7 "$WORK/in" "$WORK/out" 90 ||
  fail "client failed"
stop_synack
cmp "$WORK/in" "$WORK/out" || fail "echo differs"

dropped=$(nsx nft list chain netdev synbh in | awk '/counter/ { for (i = 1; i <= NF; i++) if ($i == "packets") print $(i + 1) }')
stat() { grep -o "svc_$1=[0-9]*" "$WORK/serve.log" | cut -d= -f2; }
black_holes=$(stat mtu_black_holes)
probes=$(stat mtu_probes)
acked=$(stat mtu_probes_acked)
lost=$(stat mtu_probes_lost)
# synack's own capture has every packet it sent, the dropped ones too.
over=$(tshark -r "$WORK/bh.pcapng" -Y "ip.src == 10.77.0.2 && ip.len > $HOP" 2>/dev/null | wc -l)
near=$(tshark -r "$WORK/bh.pcapng" -Y "ip.src == 10.77.0.2 && ip.len > $((HOP - 16)) && ip.len <= $HOP" 2>/dev/null | wc -l)
largest=$(tshark -r "$WORK/bh.pcapng" -Y "ip.src == 10.77.0.2 && ip.len <= $HOP" -T fields -e ip.len 2>/dev/null | sort -n | tail -1)
echo "black hole at $HOP bytes: 1 MiB echoed exact; dropped by the hop: $dropped;" \
  "synack: black-hole reductions $black_holes, probes $probes ($acked acknowledged, $lost lost);" \
  "packets over the hop MTU $over, largest that fit $largest, packets within 16 bytes under it: $near"
[ "${black_holes:-0}" -ge 1 ] || fail "no black hole detected"
[ "${acked:-0}" -ge 1 ] || fail "no probe was acknowledged"
[ "$dropped" -eq "$over" ] || fail "the hop dropped $dropped packets, synack sent $over over $HOP"
[ "$near" -gt 0 ] || fail "the search did not converge near $HOP"
check_pcap "$WORK/bh.pcapng" any 7

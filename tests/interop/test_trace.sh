#!/usr/bin/env bash
# `synack trace` on the kernel's own traffic: two namespaces joined by a veth (offloads
# off, so the capture holds wire-sized segments), Linux sends 1 MB to Linux while an
# nftables rule on the receiver's ingress drops 2 % of the segments (real loss: the
# sender's capture holds them, the receiver never sees them). tcpdump records the
# sender's side. Then the trace must agree with the kernel itself:
#   - one connection, the bytes each way exactly what was sent,
#   - as many retransmitted segments as the sender's TcpRetransSegs counter grew by,
#   - SACK blocks and duplicate ACKs marked, both ends' closes inferred
#     (the sender ends in TIME-WAIT, the receiver's LAST-ACK -> CLOSED).
# BYTES=N changes the size; KEEP_CAPTURE=FILE keeps the capture (how
# tests/vectors/kernel-loss.pcap was recorded: BYTES=100000).
NAME=trace
source "$(dirname "$0")/lib.sh"
PEER="synack-trace-b-$$"
EXTRA_NS+=("$PEER")
ip netns add "$NS"
ip netns add "$PEER"
for n in "$NS" "$PEER"; do
  ip netns exec "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  ip -n "$n" link set lo up
done
ip link add tra netns "$NS" type veth peer name trb netns "$PEER"
ip -n "$NS" addr add 10.77.0.1/24 dev tra
ip -n "$PEER" addr add 10.77.0.2/24 dev trb
nsx ethtool -K tra tx off rx off gso off tso off gro off >/dev/null
ip netns exec "$PEER" ethtool -K trb tx off rx off gso off tso off gro off >/dev/null
ip -n "$NS" link set tra up
ip -n "$PEER" link set trb up
ip netns exec "$PEER" nft add table netdev trloss
ip netns exec "$PEER" nft add chain netdev trloss in "{ type filter hook ingress device trb priority 0; }"
ip netns exec "$PEER" nft add rule netdev trloss in ip protocol tcp numgen random mod 100 "<" 2 counter drop

bytes=${BYTES:-1000000}
head -c "$bytes" /dev/urandom >"$WORK/in"
ip netns exec "$NS" tcpdump -B 32768 -U -n -s 0 -i tra -w "$WORK/cap.pcap" tcp 2>"$WORK/tcpdump.err" &
CAP_PID=$!
SYN_PIDS+=("$CAP_PID")
for _ in $(seq 1 50); do grep -q "listening on" "$WORK/tcpdump.err" && break; sleep 0.1; done
grep -q "listening on" "$WORK/tcpdump.err" || fail "tcpdump did not start"

ip netns exec "$PEER" timeout 60 /usr/bin/python3 -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.77.0.2", 5001)); s.listen(1); s.settimeout(30)
c, _ = s.accept(); c.settimeout(30)
with open(sys.argv[1], "wb") as f:
    while True:
        b = c.recv(65536)
        if not b: break
        f.write(b)
c.close()
' "$WORK/out" &
SYN_PIDS+=($!)
RECV_PID=$!
for _ in $(seq 1 50); do ip netns exec "$PEER" ss -ltn | grep -q ':5001' && break; sleep 0.1; done
before=$(nsx nstat -saz TcpRetransSegs | awk '/TcpRetransSegs/ { print $2 }')
nsx timeout 60 /usr/bin/python3 -c '
import socket, sys
s = socket.create_connection(("10.77.0.2", 5001), timeout=30)
with open(sys.argv[1], "rb") as f:
    s.sendall(f.read())
s.shutdown(socket.SHUT_WR)
s.settimeout(30)
while s.recv(65536): pass
s.close()
' "$WORK/in" || fail "sender failed"
wait "$RECV_PID" || fail "receiver failed"
cmp "$WORK/in" "$WORK/out" || fail "the kernel-to-kernel transfer differs"
sleep 1.2  # the sender's TIME-WAIT ACK and tcpdump's last block
after=$(nsx nstat -saz TcpRetransSegs | awk '/TcpRetransSegs/ { print $2 }')
kill -INT "$CAP_PID"
wait "$CAP_PID" 2>/dev/null || true
grep -q "^0 packets dropped by kernel" "$WORK/tcpdump.err" || fail "tcpdump dropped frames: $(cat "$WORK/tcpdump.err")"
kernel_rtx=$((after - before))
dropped=$(ip netns exec "$PEER" nft list chain netdev trloss in | awk '/counter/ { for (i = 1; i <= NF; i++) if ($i == "packets") print $(i + 1) }')
[ "$dropped" -gt 0 ] || fail "the nft rule dropped nothing: no loss to look at"

"$SYNACK" trace --list "$WORK/cap.pcap" >"$WORK/list" || fail "trace --list failed"
"$SYNACK" trace "$WORK/cap.pcap" >"$WORK/ladder" || fail "trace failed"
cat "$WORK/list"
[ "$(tail -n +2 "$WORK/list" | wc -l)" -eq 1 ] || fail "expected one connection"
read -r _ a b _ _ ab ba rtx _ < <(tail -1 "$WORK/list")
[[ $a == 10.77.0.1:* && $b == 10.77.0.2:5001 ]] || fail "endpoints $a $b"
[ "$ab" -eq "$bytes" ] || fail "bytes A>B $ab, sent $bytes"
[ "$ba" -eq 0 ] || fail "bytes B>A $ba, sent 0"
trace_rtx=${rtx%%/*}
[ "$trace_rtx" -eq "$kernel_rtx" ] ||
  fail "trace counts $trace_rtx retransmissions, the kernel's TcpRetransSegs grew by $kernel_rtx"
grep -q "(.*SACK" "$WORK/ladder" || fail "no SACK marked"
grep -q "dup ack #" "$WORK/ladder" || fail "no dup ACK marked"
grep -q "FIN-WAIT-2 -> TIME-WAIT (inferred)" "$WORK/ladder" || fail "the sender's close not inferred"
grep -q "LAST-ACK -> CLOSED (inferred)" "$WORK/ladder" || fail "the receiver's close not inferred"
if [ -n "${KEEP_CAPTURE:-}" ]; then cp "$WORK/cap.pcap" "$KEEP_CAPTURE"; fi
echo "trace: $bytes bytes, $dropped frames dropped, $trace_rtx retransmissions (kernel: $kernel_rtx)"

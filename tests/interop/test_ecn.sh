#!/usr/bin/env bash
# ECN (RFC 3168) with the kernel (net.ipv4.tcp_ecn = 1 in the namespace: it asks and
# accepts), checked on a capture of the TAP inside the namespace, every byte exact:
#  1. kernel client -> synack serve echo (synack accepts by default): the kernel's SYN
#     is ECN-setup (ECE+CWR), synack's SYN-ACK is ECN-setup (ECE, not CWR), data both
#     ways is ECT(0), pure ACKs and the handshake are Not-ECT.
#  2. synack nc --ecn (client) -> kernel nc -l: synack's SYN is ECN-setup, the kernel's
#     SYN-ACK too, synack's data is ECT(0).
#  3. echo again with --impair ce=0.05 both ways: CE marks reach both receivers, each
#     echoes ECE until the other's CWR, synack reduces its window without retransmitting.
NAME=ecn
source "$(dirname "$0")/lib.sh"
setup_ns
nsx sysctl -qw net.ipv4.tcp_ecn=1

DATA_PORTS="7 5000"  # decoded as data by count (lib.sh)
K=10.77.0.1
S=10.77.0.2
DATA_NEW='tcp.len > 0 && !tcp.analysis.retransmission && !tcp.analysis.fast_retransmission && !tcp.analysis.spurious_retransmission'
# expect_bytes WHAT N FILTER: the payload bytes of the frames matching FILTER add up to N
# (capture_stop makes sure the capture holds every frame; counting frames instead left
# the number of segments to the stacks' segmentation).
expect_bytes() {
  local n
  n=$(tshark -r "$CAP" -d tcp.port==7,data -d tcp.port==5000,data -Y "$3" -T fields -e tcp.len 2>/dev/null |
    awk '{ s += $1 } END { print s + 0 }')
  [ "$n" -eq "$2" ] || fail "$1: $n payload bytes match '$3', wanted $2"
  echo "  $1: $n bytes"
}

# 1: synack as the server.
captured_echo 1 300000
echo "1: kernel client -> synack server, 300000 bytes echoed exact"
expect_count "kernel ECN-setup SYN" -eq 1 "ip.src == $K && tcp.flags.syn == 1 && tcp.flags.ack == 0 && tcp.flags.ece == 1 && tcp.flags.cwr == 1 && ip.dsfield.ecn == 0"
expect_count "synack ECN-setup SYN-ACK" -eq 1 "ip.src == $S && tcp.flags.syn == 1 && tcp.flags.ack == 1 && tcp.flags.ece == 1 && tcp.flags.cwr == 0 && ip.dsfield.ecn == 0"
expect_bytes "synack new data ECT(0), every byte of the echo" 300000 "ip.src == $S && $DATA_NEW && ip.dsfield.ecn == 2"
expect_count "synack new data not ECT(0)" -eq 0 "ip.src == $S && $DATA_NEW && ip.dsfield.ecn != 2"
expect_bytes "kernel new data ECT(0), every byte sent" 300000 "ip.src == $K && $DATA_NEW && ip.dsfield.ecn == 2"
expect_count "synack pure ACKs or control ECN-capable" -eq 0 "ip.src == $S && tcp.len == 0 && ip.dsfield.ecn != 0"
expect_count "ECE or CWR after the handshake (no congestion)" -eq 0 "tcp.flags.syn == 0 && (tcp.flags.ece == 1 || tcp.flags.cwr == 1)"
grep -q 'ecn_connections=1' "$WORK/serve1.log" || fail "1: synack did not count an ECN connection: $(tail -1 "$WORK/serve1.log")"

# 2: synack as the client, asking for ECN.
head -c 300000 /dev/urandom >"$WORK/in2"
capture_start "$WORK/ecn2.pcap"
ip netns exec "$NS" timeout 30 nc -l $K 5000 >"$WORK/out2" </dev/null &
KPID=$!
for i in $(seq 1 50); do nsx ss -ltn | grep -q "$K:5000 " && break; sleep 0.1; done
nsx timeout 30 "$SYNACK" nc --ecn --log info --tap "$TAP" --ip $S/24 $K 5000 \
  <"$WORK/in2" >/dev/null 2>"$WORK/nc2.err" || fail "2: synack nc exited $?: $(cat "$WORK/nc2.err")"
wait "$KPID" || fail "2: kernel nc -l exited $?"
capture_stop
cmp "$WORK/in2" "$WORK/out2" || fail "2: bytes differ"
echo "2: synack nc --ecn -> kernel nc -l, 300000 bytes exact"
expect_count "synack ECN-setup SYN" -eq 1 "ip.src == $S && tcp.flags.syn == 1 && tcp.flags.ack == 0 && tcp.flags.ece == 1 && tcp.flags.cwr == 1 && ip.dsfield.ecn == 0"
expect_count "kernel ECN-setup SYN-ACK" -eq 1 "ip.src == $K && tcp.flags.syn == 1 && tcp.flags.ack == 1 && tcp.flags.ece == 1 && tcp.flags.cwr == 0"
expect_bytes "synack new data ECT(0), every byte sent" 300000 "ip.src == $S && $DATA_NEW && ip.dsfield.ecn == 2"
expect_count "synack new data not ECT(0)" -eq 0 "ip.src == $S && $DATA_NEW && ip.dsfield.ecn != 2"
expect_count "synack pure ACKs or control ECN-capable" -eq 0 "ip.src == $S && tcp.len == 0 && ip.dsfield.ecn != 0"

# 3: CE marks both ways (synack's --impair marks what it sends and what it receives).
captured_echo 3 1048576 --impair ce=0.05,seed=7
echo "3: 1 MiB echoed exact through --impair ce=0.05 (both ways)"
stats=$(grep '^stats:' "$WORK/serve3.log" | tail -1)
echo "  synack: $(echo "$stats" | grep -oE '(ecn_[a-z_]+|impair_[a-z_]+ce)=[0-9]+' | paste -sd' ' -)"
for key in impair_in_ce impair_out_ce ecn_ce_in ecn_ece_in ecn_cwnd_reductions; do
  v=$(echo "$stats" | grep -oE "$key=[0-9]+" | cut -d= -f2)
  [ "${v:-0}" -gt 0 ] || fail "3: synack's $key is ${v:-0}: $stats"
done
expect_count "CE-marked synack data (toward the kernel)" -gt 0 "ip.src == $S && ip.dsfield.ecn == 3"
expect_count "synack ECE (echoing CE from --impair dir=in)" -gt 0 "ip.src == $S && tcp.flags.syn == 0 && tcp.flags.ece == 1"
expect_count "kernel CWR (it reduced its window)" -gt 0 "ip.src == $K && tcp.flags.syn == 0 && tcp.flags.cwr == 1"
expect_count "kernel ECE (echoing CE on synack's data)" -gt 0 "ip.src == $K && tcp.flags.syn == 0 && tcp.flags.ece == 1"
expect_count "synack CWR, each on new ECT(0) data" -gt 0 "ip.src == $S && tcp.flags.syn == 0 && tcp.flags.cwr == 1 && tcp.len > 0"
expect_count "synack CWR not on new data" -eq 0 "ip.src == $S && tcp.flags.syn == 0 && tcp.flags.cwr == 1 && (tcp.len == 0 || ip.dsfield.ecn == 0)"
expect_count "retransmissions (CE is not loss)" -eq 0 "tcp.analysis.retransmission || tcp.analysis.fast_retransmission"

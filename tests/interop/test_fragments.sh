#!/usr/bin/env bash
# IP fragments between the kernel and synack (RFC 791 §3.2):
#  1. the kernel pings synack with 4000- and 20000-byte payloads: the requests reach
#     synack in fragments (reassembled there), the replies leave synack in fragments
#     (reassembled by the kernel); every reply must come back complete.
#  2. a kernel UDP socket sends an 8000-byte datagram (fragmented by the kernel) to a
#     port synack has no socket on: only a datagram synack reassembled, checksum
#     verified, gets ICMP Port Unreachable, which the connected socket reports as
#     ECONNREFUSED.
#  3. tcpdump on the TAP shows that both stacks' frames really were fragments (MF set,
#     DF clear) and that the reassembled datagrams were answered.
# synack has no UDP command (docs/CLI.md): a UDP payload from synack to the kernel is
# covered by tests/stack/fragment_test.cpp between two stacks, not here.
NAME=fragments
source "$(dirname "$0")/lib.sh"
setup_ns

nsx tcpdump -B 32768 -U -n -i "$TAP" -w "$WORK/frag.pcap" ip 2>"$WORK/tcpdump.err" &
CAP_PID=$!
SYN_PIDS+=("$CAP_PID")
for i in $(seq 1 50); do grep -q "listening on" "$WORK/tcpdump.err" && break; sleep 0.1; done
grep -q "listening on" "$WORK/tcpdump.err" || fail "tcpdump did not start"

start_synack "$WORK/serve.log" serve --log info echo:7

for size in 4000 20000; do
  out=$(nsx timeout 20 ping -c 3 -i 0.3 -W 2 -s "$size" 10.77.0.2) || fail "ping -s $size: $out"
  echo "$out" | grep -q " 3 received" || fail "ping -s $size: $out"
  echo "$out" | grep -q "$((size + 8)) bytes from 10.77.0.2" || fail "ping -s $size: short replies: $out"
done

nsx timeout 10 /usr/bin/python3 "$HERE/udp_refused.py" 10.77.0.2 ||
  fail "kernel UDP 8000 bytes: no Port Unreachable"

stop_synack
sleep 1.2  # past tcpdump's 1 s block timeout (lib.sh capture_stop)
kill -TERM "$CAP_PID"
for i in $(seq 1 50); do kill -0 "$CAP_PID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$CAP_PID" 2>/dev/null && fail "tcpdump still running 5 s after SIGTERM"
[ -s "$WORK/frag.pcap" ] || fail "empty capture"

count() { tshark -r "$WORK/frag.pcap" -Y "$1" 2>/dev/null | wc -l; }
# Kernel -> synack: ping -s 4000 is 3 fragments, -s 20000 is 14, three of each;
# UDP 8008 bytes: 6 fragments. Non-last fragments have MF and never DF.
k_mf=$(count 'ip.src==10.77.0.1 && ip.flags.mf==1')
k_df=$(count 'ip.src==10.77.0.1 && ip.flags.mf==1 && ip.flags.df==1')
[ "$k_mf" -ge $((3 * 2 + 3 * 13 + 5)) ] || fail "kernel sent only $k_mf non-last fragments"
[ "$k_df" -eq 0 ] || fail "kernel fragments with DF"
# synack -> kernel: the echo replies, in the same pieces, MF on all but the last, no DF.
s_mf=$(count 'ip.src==10.77.0.2 && ip.flags.mf==1')
s_last=$(count 'ip.src==10.77.0.2 && ip.flags.mf==0 && ip.frag_offset>0')
s_df=$(count 'ip.src==10.77.0.2 && (ip.flags.mf==1 || ip.frag_offset>0) && ip.flags.df==1')
[ "$s_mf" -eq $((3 * 2 + 3 * 13)) ] || fail "synack sent $s_mf non-last fragments, want 45"
[ "$s_last" -eq 6 ] || fail "synack sent $s_last last fragments, want 6"
[ "$s_df" -eq 0 ] || fail "synack fragments with DF"
# Port Unreachable about the reassembled UDP datagram (it quotes its header).
[ "$(count 'ip.src==10.77.0.2 && icmp.type==3 && icmp.code==3')" -eq 1 ] ||
  fail "no Port Unreachable from synack"
grep -q "ip_reasm_ok=7" "$SYN_LOG" "$SYN_LOG.out" 2>/dev/null ||
  fail "synack's stats: $(grep -ho 'ip_r[a-z_]*=[0-9]*' "$SYN_LOG" "$SYN_LOG.out" | paste -sd' ')"
echo "kernel non-last fragments $k_mf, synack non-last $s_mf + last $s_last"

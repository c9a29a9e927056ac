#!/usr/bin/env bash
# D-SACK (RFC 2883) both ways and tail loss probes (RFC 8985 §7) against the kernel
# (net.ipv4.tcp_dsack = 1 and SACK: the defaults), every byte exact:
#  1. kernel client -> synack serve echo, 1 MiB, with synack's --impair dup=0.02 both
#     ways: the kernel receives duplicates of synack's segments and synack duplicates of
#     the kernel's. On the TAP capture, each side's ACKs carry D-SACK blocks (the first
#     block below the cumulative ACK, or inside the second block: computed here from the
#     ACK and the edges, and tshark's own tcp.options.sack.dsack_le must agree there are
#     some); the kernel counts the D-SACKs it sent and received (nstat
#     TcpExtTCPDSACKOldSent, TcpExtTCPDSACKRecv), synack the ones it received
#     (svc_dsacks_in).
#  2. 200 short echo flows (1000..6000 bytes, 4 at a time, each read back whole before
#     the client closes) with --impair loss=0.08,dir=out: synack's own segments are
#     lost, some of them the last of a reply, which only a probe or the RTO can repair.
#     synack's stats must count tail loss probes (svc_tlp_probes > 0), at the default
#     200 ms RTO floor: with a one-segment tail the PTO (2*SRTT + 200 ms, the peer may
#     delay its ACK, §7.2) is capped at the RTO and the probe goes at that time.
NAME=dsack_tlp
source "$(dirname "$0")/lib.sh"
setup_ns
nsx sysctl -qw net.ipv4.tcp_dsack=1 net.ipv4.tcp_sack=1

K=10.77.0.1
S=10.77.0.2
kstat() { nsx nstat -saz "$1" | awk -v k="$1" '$1 == k { print $2 }'; }

# dsack_blocks SRC: SACK options from SRC whose first block is a D-SACK (RFC 2883 §4):
# below the cumulative ACK, or inside the second block (relative sequence numbers).
dsack_blocks() {
  tshark -r "$CAP" -d tcp.port==7,data -Y "ip.src == $1 && tcp.options.sack_le" -T fields \
    -e tcp.ack -e tcp.options.sack_le -e tcp.options.sack_re 2>/dev/null |
    awk -F'\t' '{ n = split($2, le, ","); split($3, re, ",")
                  if (re[1] + 0 <= $1 + 0 || (n >= 2 && le[1] + 0 >= le[2] + 0 && re[1] + 0 <= re[2] + 0)) d++ }
                END { print d + 0 }'
}

# 1: duplicates both ways.
old_sent=$(kstat TcpExtTCPDSACKOldSent)
ofo_sent=$(kstat TcpExtTCPDSACKOfoSent)
recv=$(kstat TcpExtTCPDSACKRecv)
captured_echo 1 1048576 --impair dup=0.02,seed=21
echo "1: 1 MiB echoed exact through --impair dup=0.02 (both ways)"
from_synack=$(dsack_blocks $S)
from_kernel=$(dsack_blocks $K)
echo "  D-SACKs on the capture (computed): synack->kernel $from_synack, kernel->synack $from_kernel"
[ "$from_synack" -gt 0 ] || fail "1: synack sent no D-SACK for the duplicates it received"
[ "$from_kernel" -gt 0 ] || fail "1: the kernel sent no D-SACK for synack's duplicates"
expect_count "synack ACKs with a D-SACK (tshark)" -gt 0 "ip.src == $S && tcp.options.sack.dsack_le"
expect_count "kernel ACKs with a D-SACK (tshark)" -gt 0 "ip.src == $K && tcp.options.sack.dsack_le"
k_sent=$(($(kstat TcpExtTCPDSACKOldSent) - old_sent + $(kstat TcpExtTCPDSACKOfoSent) - ofo_sent))
k_recv=$(($(kstat TcpExtTCPDSACKRecv) - recv))
s_recv=$(grep -o 'svc_dsacks_in=[0-9]*' "$WORK/serve1.log" | cut -d= -f2)
echo "  kernel: D-SACKs sent $k_sent, received $k_recv; synack: D-SACKs received ${s_recv:-0}"
[ "$k_sent" -gt 0 ] || fail "1: the kernel counted no D-SACK sent"
[ "$k_recv" -gt 0 ] || fail "1: the kernel counted none of synack's D-SACKs"
[ "${s_recv:-0}" -gt 0 ] || fail "1: synack counted none of the kernel's D-SACKs: $(tail -1 "$WORK/serve1.log")"
check_pcap "$WORK/case1.pcap" any 7

# 2: tail losses of short replies.
cat >"$WORK/flows.py" <<'PY'
import os, socket, sys, threading
host, port, n, par = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
errors = []
def worker(k):
    for i in range(k, n, par):
        data = os.urandom(1000 + (i * 7919) % 5001)
        s = socket.create_connection((host, port), timeout=20)
        s.sendall(data)
        got = bytearray()
        # The whole echo before our FIN: synack's stats cover a connection up to the
        # moment its service finishes, here after every byte of the reply arrived.
        while len(got) < len(data):
            chunk = s.recv(65536)
            if not chunk:
                break
            got += chunk
        s.shutdown(socket.SHUT_WR)
        end = s.recv(1)
        s.close()
        if bytes(got) != data or end:
            errors.append("flow %d: echo differs (%d of %d bytes)" % (i, len(got), len(data)))
            return
ts = [threading.Thread(target=worker, args=(k,)) for k in range(par)]
for t in ts:
    t.start()
for t in ts:
    t.join()
if errors:
    sys.exit(errors[0])
PY
start_synack "$WORK/serve2.log" serve --log info \
  --impair loss=0.08,dir=out,seed=31 --pcap "$WORK/tlp.pcapng" echo:7
nsx timeout 120 /usr/bin/python3 "$WORK/flows.py" $S 7 200 4 || fail "2: kernel clients failed"
stop_synack
stats=$(grep '^stats:' "$WORK/serve2.log" | tail -1)
echo "2: 200 short echo flows exact through --impair loss=0.08,dir=out"
echo "  synack: $(echo "$stats" | grep -oE '(impair_out_lost|svc_accepted|svc_retransmitted_segs|svc_rtos|svc_sack_recoveries|svc_tlp_probes)=[0-9]+' | paste -sd' ' -)"
grep -q 'svc_accepted=200 ' <<<"$stats" || fail "2: synack did not accept 200 connections: $stats"
for key in impair_out_lost svc_tlp_probes; do
  v=$(echo "$stats" | grep -oE "$key=[0-9]+" | cut -d= -f2)
  [ "${v:-0}" -gt 0 ] || fail "2: synack's $key is ${v:-0}: $stats"
done
check_pcap "$WORK/tlp.pcapng" any 7

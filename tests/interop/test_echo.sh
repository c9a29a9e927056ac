#!/usr/bin/env bash
# RFC 862 echo: 1 MiB of random data through a kernel client comes back intact.
NAME=echo
source "$(dirname "$0")/lib.sh"
setup_ns
head -c 1048576 /dev/urandom >"$WORK/in"
start_synack "$WORK/serve.log" serve --log info --pcap "$WORK/echo.pcapng" echo:7
nsx timeout 30 nc -N 10.77.0.2 7 <"$WORK/in" >"$WORK/out" || fail "nc exited $?"
[ "$(sha "$WORK/in")" = "$(sha "$WORK/out")" ] ||
  fail "echo mismatch: sent $(stat -c %s "$WORK/in") got $(stat -c %s "$WORK/out") bytes"
stop_synack
grep -q "svc_accepted=1 " "$WORK/serve.log" || fail "stats line: $(cat "$WORK/serve.log")"
# Nothing is lost on this path, so no loss recovery may run: no timeout and no fast
# recovery at synack, no retransmission at all from the kernel. A tail loss probe is
# not recovery: it goes when an ACK is late (the kernel client, busy writing and
# reading 1 MiB on two cores, sometimes holds its ACK past the 10 ms probe timeout);
# the kernel answers it with a D-SACK. So synack's retransmissions must all be probes,
# and the capture may show them and their D-SACK duplicate ACKs, nothing else.
svc() { grep -o "$1=[0-9]*" "$WORK/serve.log" | tail -1 | cut -d= -f2; }
[ "$(svc svc_rtos)" = 0 ] && [ "$(svc svc_sack_recoveries)" = 0 ] ||
  fail "loss recovery on a lossless path: $(grep -o 'svc_retransmitted.*' "$WORK/serve.log")"
probes=$(svc svc_tlp_probes)
[ "$(svc svc_retransmitted_segs)" = "$probes" ] ||
  fail "retransmissions other than tail loss probes: $(grep -o 'svc_retransmitted.*' "$WORK/serve.log")"
if [ "$probes" = 0 ]; then
  check_pcap "$WORK/echo.pcapng" noloss 7
else
  echo "synack sent $probes tail loss probe(s) (late ACKs from the kernel)"
  check_pcap "$WORK/echo.pcapng" any 7
  kernel_rtx=$(tshark -r "$WORK/echo.pcapng" -d tcp.port==7,data \
    -Y 'ip.src==10.77.0.1 && tcp.analysis.retransmission' 2>/dev/null | wc -l)
  [ "$kernel_rtx" = 0 ] || fail "the kernel retransmitted $kernel_rtx segment(s) on a lossless path"
fi

#!/usr/bin/env bash
# Bulk goodput through synack and through the kernel's TCP, side by side in one run,
# under the same random loss, both directions (bench/bulk.py does the transfers):
#   synack receiving: a kernel client in namespace S sends MIB MiB to
#     `synack serve discard:9` (10.77.0.2; synack counts them: svc_bytes_in);
#     reference: a kernel client in namespace A sends them to a kernel discard server
#     in namespace B behind the same kind of TAP (tests/interop/tap_relay.c joins the
#     two TAPs, one frame per read/write like synack's TAP link), which replies the
#     byte count.
#   synack sending: the kernel client reads MIB MiB from `synack serve chargen:19`
#     and checks every byte against the chargen stream; reference: the same client
#     in A reads them from a kernel chargen server (same bytes) in B.
# Loss: for each LOSS in LOSSES, LOSS % of the frames each way, dropped where they
# arrive: nftables at the ingress of the kernel client's TAP (S: tap0, A: tapr0),
# synack's own `--impair loss=P,dir=in`, and nftables at the ingress of the kernel
# server's TAP (B: tapr1). Never on a kernel's egress.
# Goodput = MIB MiB / (connect .. last byte at the receiver), wall clock at the
# kernel client (the send case ends when the server closed after the client's FIN,
# i.e. it had every byte). Each transfer is bounded by TIMEOUT seconds (default 120)
# and reported as "dnf" if it does not finish (with how much arrived, when the
# kernel client is the receiver). The kernel counters are nstat's
# TcpRetransSegs / TcpExtTCPTimeouts in the sending kernel's namespace; for synack
# sending, synack's own svc_retransmitted_segs / svc_rtos.
#
# Usage (root): bench/goodput.sh path/to/synack [MIB=50] [LOSSES="0 1 2 5"]
# SYNACK_ARGS adds flags to `synack serve` (e.g. SYNACK_ARGS="--min-rto 200"); STATS=1
# prints synack's stats line of each sending run on stderr. CAPTURE=DIR keeps headers-only
# pcaps of the sending runs, taken beside each sender (S: tap0, B: tapr1 -- before the
# ingress drop, so they hold every ACK sent to the sender, lost or not):
# DIR/{synack,kernel}-{send,recv}-LOSS.pcap (send: synack or the reference kernel
# server sends; recv: it receives from the kernel client, captured at the client).
# Everything it creates (namespaces synack-bench*-PID, TAPs, files) is deleted on exit
# (bench/lib.sh).
USAGE='usage: goodput.sh path/to/synack [MIB] ["LOSS% ..."]'
# shellcheck source=bench/lib.sh disable=SC2034  # USAGE is for lib.sh
source "$(dirname "$0")/lib.sh"
MIB=${2:-50}
LOSSES=${3:-0 1 2 5}
TIMEOUT=${TIMEOUT:-120}
BYTES=$((MIB * 1048576))

setup_synack_ns
setup_relay_pair
for svc in discard chargen; do
  ip netns exec "$B" "$PY" "$BENCH/bulk.py" "$svc-server" 10.77.2.2 \
    "$([ $svc = discard ] && echo 9 || echo 19)" 2>"$WORK/$svc-server.log" &
  PIDS+=($!)
done
wait_listen "$B" 10.77.2.2 9
wait_listen "$B" 10.77.2.2 19
ip netns exec "$A" ping -c 1 -W 2 -q 10.77.2.2 >/dev/null || { echo "relay: no ping" >&2; exit 1; }

# STATS=1: the kernel sender's loss-recovery counters (nstat) around its run, to set
# beside synack's stats line.
KSTATS="TcpRetransSegs TcpExtTCPTimeouts TcpExtTCPLossProbes TcpExtTCPLossProbeRecovery TcpExtTCPSackRecovery TcpExtTCPSpuriousRTOs TcpExtTCPDSACKUndo TcpExtTCPLostRetransmit TcpExtTCPSackRecoveryFail"
kernel_loss_stats() {  # NS: "name=value ..." (absolute; TcpExt dropped from the names)
  # shellcheck disable=SC2086  # KSTATS is a list
  ip netns exec "$1" nstat -saz $KSTATS |
    awk 'NF >= 2 && $1 !~ /^#/ { sub(/^TcpExt/, "", $1); printf "%s=%s ", $1, $2 }'
}
kernel_loss_delta() {  # BEFORE AFTER: "name=after-before ..."
  awk -v a="$1" -v b="$2" 'BEGIN {
    n = split(a, x, " "); for (i = 1; i <= n; i++) { split(x[i], kv, "="); v[kv[1]] = kv[2] }
    m = split(b, y, " "); for (i = 1; i <= m; i++) { split(y[i], kv, "="); printf "%s=%d ", kv[1], kv[2] - v[kv[1]] } }'
}

# transfer NS MODE HOST PORT CNTNS: one bulk.py client run in NS; sets OUT (its
# output line, "dnf" if it was cut off) and RTX ("retransmissions/RTOs" of the
# kernel in CNTNS during it).
transfer() {
  local r0 t0 r1 t1
  read -r r0 t0 < <(counters "$5")
  OUT=$(ip netns exec "$1" timeout -s KILL $((TIMEOUT + 40)) "$PY" "$BENCH/bulk.py" "$2" "$3" "$4" \
    "$BYTES" "$TIMEOUT" || true)
  [ -n "$OUT" ] || OUT=dnf
  read -r r1 t1 < <(counters "$5")
  RTX="$((r1 - r0))/$((t1 - t0))"
}
# mbit "SECONDS CHECK" EXPECTED: Mbit/s if CHECK is EXPECTED, else why not.
mbit() {
  local secs check
  read -r secs check <<<"$1"
  if [ "$secs" = dnf ]; then echo dnf; return; fi
  if [ "${check#short@}" != "$check" ]; then
    awk -v b="${check#short@}" -v s="$secs" 'BEGIN { printf "dnf (%.1f MiB in %.0f s)", b / 1048576, s }'
    return
  fi
  if [ "$check" != "$2" ]; then echo "bad($check)"; return; fi
  awk -v s="$secs" -v b="$BYTES" 'BEGIN { printf "%.0f", b * 8 / s / 1e6 }'
}
ratio() {
  awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2f", a / b; else printf "-" }'
}
stat_of() { grep -o "$1=[0-9]*" "$2" | tail -1 | cut -d= -f2; }  # NAME LOG

ROWS=()
row() {  # DIRECTION LOSS SYN KER SYN_RTX KER_RTX SYN_NOTES
  ROWS+=("$(printf '| %s | %s | %s | %s | %s | %s | %s | %s |' "$1" "$2" "$3" "$4" \
    "$(ratio "$3" "$4")" "$5" "$6" "$7")")
  echo "${ROWS[-1]}" >&2
}
for loss in $LOSSES; do
  nft_loss "$S" tap0 "$loss"
  nft_loss "$A" tapr0 "$loss"
  nft_loss "$B" tapr1 "$loss"

  # synack receiving: the kernel client sends.
  log="$WORK/discard-$loss.log"
  start_synack "$loss" "$log" discard:9
  [ -n "${CAPTURE:-}" ] && capture_on "$S" tap0 "$CAPTURE/synack-recv-$loss.pcap"
  transfer "$S" send 10.77.0.2 9 "$S"
  [ -n "${CAPTURE:-}" ] && capture_off
  stop_synack
  got=$(stat_of svc_bytes_in "$log")
  syn=$(mbit "${OUT% *} ${got:-none}" "$BYTES")
  syn_rtx=$RTX
  syn_notes="synack dropped $(stat_of impair_in_lost "$log" || echo 0) in; got ${got:-?} bytes"
  [ -n "${CAPTURE:-}" ] && capture_on "$A" tapr0 "$CAPTURE/kernel-recv-$loss.pcap"
  transfer "$A" send 10.77.2.2 9 "$A"
  [ -n "${CAPTURE:-}" ] && capture_off
  ker=$(mbit "$OUT" "$BYTES")
  row "kernel → synack (synack receives)" "$loss" "$syn" "$ker" "$syn_rtx" "$RTX" "$syn_notes"

  # synack sending: the kernel client receives and checks every byte.
  log="$WORK/chargen-$loss.log"
  start_synack "$loss" "$log" chargen:19
  [ -n "${CAPTURE:-}" ] && capture_on "$S" tap0 "$CAPTURE/synack-send-$loss.pcap"
  transfer "$S" recv 10.77.0.2 19 "$S"
  [ -n "${CAPTURE:-}" ] && capture_off
  stop_synack
  # STATS=1: synack's whole stats line (its loss recovery counters) on stderr.
  [ "${STATS:-0}" = 1 ] && grep -h 'stats' "$log" >&2
  syn=$(mbit "$OUT" ok)
  syn_rtx="$(stat_of svc_retransmitted_segs "$log")/$(stat_of svc_rtos "$log")"
  syn_notes="synack dropped $(stat_of impair_in_lost "$log" || echo 0) in; client rtx/RTOs $RTX"
  [ "${STATS:-0}" = 1 ] && k0=$(kernel_loss_stats "$B")
  [ -n "${CAPTURE:-}" ] && capture_on "$B" tapr1 "$CAPTURE/kernel-send-$loss.pcap"
  transfer "$A" recv 10.77.2.2 19 "$B"
  [ -n "${CAPTURE:-}" ] && capture_off
  [ "${STATS:-0}" = 1 ] && echo "kernel sender: $(kernel_loss_delta "$k0" "$(kernel_loss_stats "$B")")" >&2
  ker=$(mbit "$OUT" ok)
  row "synack → kernel (synack sends)" "$loss" "$syn" "$ker" "$syn_rtx" "$RTX" "$syn_notes"
done

echo "goodput, $MIB MiB per transfer, loss each way, kernel congestion control $KERNEL_CC, synack $SYNACK_ORIG${SYNACK_ARGS:+ $SYNACK_ARGS}:"
echo "| direction | loss % | synack Mbit/s | kernel Mbit/s | synack / kernel | sender rtx/RTOs, synack run | sender rtx/RTOs, kernel run | synack run notes |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
printf '%s\n' "${ROWS[@]}"

#!/usr/bin/env bash
# RFC 863 discard: 100 MiB from a kernel client, throughput printed, next to two
# references measured in the same run: the kernel's TCP behind the same kind of
# TAP (two namespaces whose TAPs a small relay joins, one frame per read/write
# like synack), and kernel to kernel over a veth pair.
NAME=discard
source "$(dirname "$0")/lib.sh"
setup_ns
MIB=100
start_synack "$WORK/serve.log" serve --log info discard:9

# Seconds (with decimals) a command takes.
timed() {
  local t0 t1
  t0=$(date +%s.%N)
  "$@"
  t1=$(date +%s.%N)
  echo "$t0 $t1" | awk '{printf "%.3f", $2 - $1}'
}
mbit() { awk -v s="$1" -v m="$MIB" 'BEGIN { printf "%.0f", m * 1048576 * 8 / s / 1e6 }'; }

secs=$(timed nsx timeout 120 sh -c "head -c ${MIB}M /dev/zero | nc -N 10.77.0.2 9")
stop_synack
grep -q "svc_bytes_in=$((MIB * 1048576)) " "$WORK/serve.log" ||
  fail "discard did not get every byte: $(grep stats "$WORK/serve.log")"
syn=$(mbit "$secs")

# The reference: the kernel's own TCP on both ends of a veth pair (MTU 1500),
# the receiver in a second namespace (in one namespace it would go over lo).
REF="synack-discardref-$$"
ip netns add "$REF"
EXTRA_NS+=("$REF")
ip -n "$NS" link add vref0 type veth peer name vref1 netns "$REF"
ip -n "$NS" addr add 10.77.1.1/24 dev vref0
ip -n "$REF" addr add 10.77.1.2/24 dev vref1
ip -n "$NS" link set vref0 up
ip -n "$REF" link set vref1 up
ip -n "$REF" link set lo up
ip netns exec "$REF" timeout 120 nc -l 10.77.1.2 9 >/dev/null &
for i in $(seq 1 50); do ip netns exec "$REF" ss -ltn | grep -q '10.77.1.2:9 ' && break; sleep 0.1; done
ksecs=$(timed nsx timeout 120 sh -c "head -c ${MIB}M /dev/zero | nc -N 10.77.1.2 9")
wait
ker=$(mbit "$ksecs")

# The TAP reference: namespaces A (10.77.2.1) and B (10.77.2.2), each with a TAP
# (MTU 1500, no offloads: finished frames like synack's); the relay moves every
# frame from one TAP fd to the other.
gcc -O2 -o "$WORK/relay" "$HERE/tap_relay.c" || fail "cannot build the relay"
RA="synack-discardta-$$" RB="synack-discardtb-$$"
for n in "$RA" "$RB"; do ip netns add "$n"; EXTRA_NS+=("$n"); ip -n "$n" link set lo up; done
ip -n "$RA" tuntap add tapr0 mode tap
ip -n "$RB" tuntap add tapr1 mode tap
ip -n "$RA" addr add 10.77.2.1/24 dev tapr0
ip -n "$RB" addr add 10.77.2.2/24 dev tapr1
ip -n "$RA" link set tapr0 up
ip -n "$RB" link set tapr1 up
"$WORK/relay" "$RA" tapr0 "$RB" tapr1 2>"$WORK/relay.log" &
SYN_PIDS+=($!)
for i in $(seq 1 50); do grep -q ready "$WORK/relay.log" && break; sleep 0.1; done
ip netns exec "$RB" timeout 120 nc -l 10.77.2.2 9 >/dev/null &
for i in $(seq 1 50); do ip netns exec "$RB" ss -ltn | grep -q '10.77.2.2:9 ' && break; sleep 0.1; done
ip netns exec "$RA" ping -c 1 -W 2 -q 10.77.2.2 >/dev/null || fail "relay: no ping through it"
tsecs=$(timed ip netns exec "$RA" timeout 120 sh -c "head -c ${MIB}M /dev/zero | nc -N 10.77.2.2 9")
wait %?"nc -l 10.77.2.2" 2>/dev/null || true
tap=$(mbit "$tsecs")
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
echo "discard ${MIB} MiB, MTU 1500: synack ${secs} s = ${syn} Mbit/s;" \
  "kernel behind a TAP relay ${tsecs} s = ${tap} Mbit/s (ratio $(ratio "$syn" "$tap"));" \
  "kernel over veth ${ksecs} s = ${ker} Mbit/s (ratio $(ratio "$syn" "$ker"))"

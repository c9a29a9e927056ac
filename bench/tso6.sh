#!/usr/bin/env bash
# Bulk send throughput of synack to the kernel over a TAP, IPv4 and IPv6, with the
# TAP's offloads on (checksum offload, TSO/TSO6 super-frames) and off, in one run:
# `synack nc --offload on|off` sends MIB MiB (a file) to a kernel receiver in namespace
# S (10.77.0.1 and fd77::1 on tap0; synack 10.77.0.2 and fd77::2), which times its
# first byte to the end of the stream. ROUNDS rounds of the four cases, interleaved;
# prints each run and then each case's median MB/s (10^6 bytes), with synack's
# link_tx_super_frames (TSO writes) of its last run.
# Usage (root): bench/tso6.sh path/to/synack [MIB=200] [ROUNDS=3]
# Everything it creates (namespace synack-bench-PID, its TAP, files) is deleted on exit.
USAGE='usage: tso6.sh path/to/synack [MIB] [ROUNDS]'
# shellcheck source=bench/lib.sh disable=SC2034  # USAGE is for lib.sh
source "$(dirname "$0")/lib.sh"
MIB=${2:-200}
ROUNDS=${3:-3}
BYTES=$((MIB * 1048576))
setup_synack_ns
ip netns exec "$S" sysctl -qw net.ipv6.conf.all.disable_ipv6=0 \
  net.ipv6.conf.default.disable_ipv6=0 net.ipv6.conf.tap0.disable_ipv6=0 \
  net.ipv6.conf.tap0.accept_ra=0
ip -n "$S" -6 addr add fd77::1/64 dev tap0 nodad
head -c "$BYTES" /dev/urandom >"$WORK/data"

# The kernel's receiver: one connection on ADDR:PORT, "BYTES SECONDS" from the first
# byte to EOF (bounded by 120 s).
RECEIVER='
import socket, sys, time
fam = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
s = socket.socket(fam, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2])))
s.listen(1)
s.settimeout(120)
c, _ = s.accept()
c.settimeout(120)
n, first = 0, None
while True:
    b = c.recv(1 << 20)
    if not b:
        break
    if first is None:
        first = time.monotonic()
    n += len(b)
print(n, time.monotonic() - (first or time.monotonic()))
'

# run FAMILY OFFLOAD PORT: one transfer; prints "MB/s SUPER_FRAMES".
run() {
  local fam=$1 off=$2 port=$3 addr host
  if [ "$fam" = 6 ]; then addr=fd77::1 host="[fd77::1]"; else addr=10.77.0.1 host=10.77.0.1; fi
  ip netns exec "$S" "$PY" -c "$RECEIVER" "$addr" "$port" >"$WORK/recv" &
  local rpid=$!
  local i
  for i in $(seq 1 50); do
    ip netns exec "$S" ss -ltn | grep -q ":$port " && break
    sleep 0.1
  done
  ip netns exec "$S" timeout 150 "$SYNACK" nc --log info --offload "$off" --tap tap0 \
    --mac 02:00:00:77:00:02 --ip 10.77.0.2/24 --ip6 fd77::2/64 "$host" "$port" \
    <"$WORK/data" >/dev/null 2>"$WORK/nc.err" || { echo "synack nc failed: $(tail -2 "$WORK/nc.err")" >&2; exit 1; }
  wait "$rpid"
  local got secs supers
  read -r got secs <"$WORK/recv"
  [ "$got" = "$BYTES" ] || { echo "IPv$fam offload $off: $got of $BYTES bytes" >&2; exit 1; }
  supers=$(grep -o 'link_tx_super_frames=[0-9]*' "$WORK/nc.err" | tail -1 | cut -d= -f2 || true)
  awk -v b="$BYTES" -v s="$secs" -v n="${supers:-0}" 'BEGIN { printf "%.0f %s\n", b / s / 1e6, n }'
}

declare -A results supers
port=6000
for r in $(seq 1 "$ROUNDS"); do
  for fam in 4 6; do
    for off in on off; do
      port=$((port + 1))
      read -r mbs n < <(run "$fam" "$off" "$port")
      echo "round $r IPv$fam offload $off: $mbs MB/s ($n super-frames)"
      results[$fam$off]+="$mbs "
      supers[$fam$off]=$n
    done
  done
done
echo "synack nc -> kernel over a TAP, $MIB MiB, median of $ROUNDS:"
for fam in 4 6; do
  for off in on off; do
    med=$(echo "${results[$fam$off]}" | tr ' ' '\n' | grep . | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
    echo "  IPv$fam offload $off: $med MB/s (last run: ${supers[$fam$off]} super-frames)"
  done
done

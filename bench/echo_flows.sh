#!/usr/bin/env bash
# Short request/response flows through synack against the kernel, in one run, under
# the same random loss. A kernel client (bench/flows.py) sends FLOWS sequential echo
# flows of BYTES each to
#   - synack:  `synack serve echo:7` on a TAP (10.77.0.2), and
#   - kernel:  the kernel's TCP behind the same kind of TAP: a Python echo server in a
#              second namespace, the two TAPs joined by tests/interop/tap_relay.c
#              (one frame per read/write, like synack's TAP link).
# Loss LOSS % each way: toward the kernel client with nftables at its TAP's ingress
# (frames the kernel receives: real loss, never its egress), toward synack with
# synack's own `--impair loss=P,dir=in`, toward the kernel server at its TAP's
# ingress. Prints completion time p50/p90/p99 and the client's retransmissions and
# retransmission timeouts (nstat) for each server.
#
# Usage (root): bench/echo_flows.sh build/synack [FLOWS=200] [BYTES=102400] [LOSS=1]
# SYNACK_ARGS adds flags to `synack serve` (e.g. SYNACK_ARGS="--min-rto 200").
# Everything it creates (namespaces synack-bench*-PID, TAPs, files) is deleted on exit.
set -euo pipefail
SYNACK=$(readlink -f "${1:?usage: echo_flows.sh path/to/synack [FLOWS] [BYTES] [LOSS%]}")
FLOWS=${2:-200}
BYTES=${3:-102400}
LOSS=${4:-1}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
PY=/usr/bin/python3
[ "$(id -u)" -eq 0 ] || { echo "echo_flows: needs root (namespaces, /dev/net/tun)" >&2; exit 2; }
WORK=$(mktemp -d /tmp/synack-bench-XXXXXX)
S="synack-bench-$$" A="synack-bencha-$$" B="synack-benchb-$$"
PIDS=()
cleanup() {
  exec 2>/dev/null  # no "Killed" notices for the helpers we kill
  for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  for n in "$S" "$A" "$B"; do
    ip netns pids "$n" 2>/dev/null | xargs -r kill -KILL 2>/dev/null || true
    ip netns del "$n" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT
P=$(awk -v n="$LOSS" 'BEGIN { printf "%.4f", n / 100 }')

# nft_loss NS DEV: drop LOSS % of the frames arriving on DEV (its ingress).
nft_loss() {
  [ "$LOSS" = 0 ] && return 0
  ip netns exec "$1" nft add table netdev benchloss
  ip netns exec "$1" nft add chain netdev benchloss in "{ type filter hook ingress device $2 priority 0; }"
  ip netns exec "$1" nft add rule netdev benchloss in numgen random mod 10000 "<" \
    "$(awk -v n="$LOSS" 'BEGIN { printf "%d", n * 100 }')" drop
}
counters() {  # NS: "retransmitted segments, RTOs" of the kernel in NS (absolute)
  ip netns exec "$1" nstat -saz TcpRetransSegs TcpExtTCPTimeouts |
    awk '/TcpRetransSegs/ { r = $2 } /TcpExtTCPTimeouts/ { t = $2 } END { printf "%d %d\n", r, t }'
}

# --- synack ---
ip netns add "$S"
ip -n "$S" link set lo up
ip -n "$S" tuntap add tap0 mode tap
ip -n "$S" addr add 10.77.0.1/24 dev tap0
ip -n "$S" link set tap0 up
nft_loss "$S" tap0
impair=()
[ "$LOSS" = 0 ] || impair=(--impair "loss=$P,seed=1,dir=in")
# shellcheck disable=SC2086  # SYNACK_ARGS is a list of flags
ip netns exec "$S" "$SYNACK" serve --log warn "${impair[@]}" ${SYNACK_ARGS:-} --tap tap0 --ip 10.77.0.2/24 \
  echo:7 >"$WORK/synack.out" 2>"$WORK/synack.log" &
PIDS+=($!)
for _ in $(seq 1 100); do
  ip netns exec "$S" "$PY" -c 'import socket; socket.create_connection(("10.77.0.2", 7), 1).close()' \
    2>/dev/null && break
  sleep 0.1
done
read -r r0 t0 < <(counters "$S")
syn=$(ip netns exec "$S" timeout 3600 "$PY" "$HERE/flows.py" 10.77.0.2 7 "$FLOWS" "$BYTES" || true)
read -r r1 t1 < <(counters "$S")
syn_rtx=$((r1 - r0)) syn_rto=$((t1 - t0))

# --- the kernel behind a TAP relay ---
gcc -O2 -o "$WORK/relay" "$ROOT/tests/interop/tap_relay.c"
for n in "$A" "$B"; do ip netns add "$n"; ip -n "$n" link set lo up; done
ip -n "$A" tuntap add tapr0 mode tap
ip -n "$B" tuntap add tapr1 mode tap
ip -n "$A" addr add 10.77.2.1/24 dev tapr0
ip -n "$B" addr add 10.77.2.2/24 dev tapr1
ip -n "$A" link set tapr0 up
ip -n "$B" link set tapr1 up
"$WORK/relay" "$A" tapr0 "$B" tapr1 2>"$WORK/relay.log" &
PIDS+=($!)
for _ in $(seq 1 50); do grep -q ready "$WORK/relay.log" && break; sleep 0.1; done
cat >"$WORK/echo.py" <<'PY'
import socket, socketserver
class Echo(socketserver.BaseRequestHandler):
    def handle(self):
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        while True:
            b = self.request.recv(65536)
            if not b:
                break
            self.request.sendall(b)
socketserver.ThreadingTCPServer.allow_reuse_address = True
socketserver.ThreadingTCPServer(("10.77.2.2", 7), Echo).serve_forever()
PY
ip netns exec "$B" timeout 3600 "$PY" "$WORK/echo.py" &
PIDS+=($!)
for _ in $(seq 1 50); do ip netns exec "$B" ss -ltn | grep -q '10.77.2.2:7 ' && break; sleep 0.1; done
ip netns exec "$A" ping -c 1 -W 2 -q 10.77.2.2 >/dev/null || { echo "relay: no ping" >&2; exit 1; }
nft_loss "$A" tapr0
nft_loss "$B" tapr1
read -r r0 t0 < <(counters "$A")
ker=$(ip netns exec "$A" timeout 3600 "$PY" "$HERE/flows.py" 10.77.2.2 7 "$FLOWS" "$BYTES" || true)
read -r r1 t1 < <(counters "$A")
ker_rtx=$((r1 - r0)) ker_rto=$((t1 - t0))

echo "echo flows, $LOSS % loss each way, $FLOWS x $BYTES bytes, kernel client:"
echo "  synack server:              $syn; client retransmitted $syn_rtx, RTOs $syn_rto"
echo "  kernel server behind a TAP: $ker; client retransmitted $ker_rtx, RTOs $ker_rto"

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
# CAPTURE=DIR keeps headers-only pcaps of both runs, taken at the kernel client's TAP
# (before its ingress drop): DIR/synack-flows.pcap, DIR/kernel-flows.pcap.
# Everything it creates (namespaces synack-bench*-PID, TAPs, files) is deleted on exit
# (bench/lib.sh).
USAGE="usage: echo_flows.sh path/to/synack [FLOWS] [BYTES] [LOSS%]"
# shellcheck source=bench/lib.sh disable=SC2034  # USAGE is for lib.sh
source "$(dirname "$0")/lib.sh"
FLOWS=${2:-200}
BYTES=${3:-102400}
LOSS=${4:-1}

# --- synack ---
setup_synack_ns
nft_loss "$S" tap0 "$LOSS"
start_synack "$LOSS" "$WORK/synack.log" echo:7
read -r r0 t0 < <(counters "$S")
[ -n "${CAPTURE:-}" ] && capture_on "$S" tap0 "$CAPTURE/synack-flows.pcap"
syn=$(ip netns exec "$S" timeout 3600 "$PY" "$BENCH/flows.py" 10.77.0.2 7 "$FLOWS" "$BYTES" || true)
[ -n "${CAPTURE:-}" ] && capture_off
read -r r1 t1 < <(counters "$S")
syn_rtx=$((r1 - r0)) syn_rto=$((t1 - t0))

# --- the kernel behind a TAP relay ---
setup_relay_pair
cat >"$WORK/echo.py" <<'PY'
import os, socket, socketserver
class Echo(socketserver.BaseRequestHandler):
    def handle(self):
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        while True:
            b = self.request.recv(65536)
            if not b:
                break
            self.request.sendall(b)
socketserver.ThreadingTCPServer.allow_reuse_address = True
srv = socketserver.ThreadingTCPServer(("10.77.2.2", 7), Echo, bind_and_activate=False)
# KERNEL_CC on the listener, before listen(): accepted sockets inherit it and never
# run the namespace default's (bbr's) start-up, which would leave them pacing.
srv.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, os.environ["KERNEL_CC"].encode())
srv.server_bind()
srv.server_activate()
srv.serve_forever()
PY
ip netns exec "$B" timeout 3600 "$PY" "$WORK/echo.py" &
PIDS+=($!)
wait_listen "$B" 10.77.2.2 7
ip netns exec "$A" ping -c 1 -W 2 -q 10.77.2.2 >/dev/null || { echo "relay: no ping" >&2; exit 1; }
nft_loss "$A" tapr0 "$LOSS"
nft_loss "$B" tapr1 "$LOSS"
read -r r0 t0 < <(counters "$A")
[ -n "${CAPTURE:-}" ] && capture_on "$A" tapr0 "$CAPTURE/kernel-flows.pcap"
ker=$(ip netns exec "$A" timeout 3600 "$PY" "$BENCH/flows.py" 10.77.2.2 7 "$FLOWS" "$BYTES" || true)
[ -n "${CAPTURE:-}" ] && capture_off
read -r r1 t1 < <(counters "$A")
ker_rtx=$((r1 - r0)) ker_rto=$((t1 - t0))

echo "echo flows, $LOSS % loss each way, $FLOWS x $BYTES bytes, kernel client, kernel congestion control $KERNEL_CC:"
echo "  synack server:              $syn; client retransmitted $syn_rtx, RTOs $syn_rto"
echo "  kernel server behind a TAP: $ker; client retransmitted $ker_rtx, RTOs $ker_rto"

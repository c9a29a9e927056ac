# shellcheck shell=bash disable=SC2034  # PY, BENCH ...: used by the scripts that source it
# Sourced by the benchmarks that compare synack with the kernel's TCP in one run
# (bench/echo_flows.sh, bench/goodput.sh). Set USAGE before sourcing; $1 is the
# synack binary. It provides:
#   - namespace S with tap0 (kernel 10.77.0.1/24, synack 10.77.0.2/24):
#     setup_synack_ns, start_synack, stop_synack;
#   - namespaces A (10.77.2.1) and B (10.77.2.2) whose TAPs tapr0/tapr1
#     tests/interop/tap_relay.c joins, one frame per read/write like synack's own
#     TAP link: the kernel's TCP behind the same kind of TAP (setup_relay_pair);
#   - random loss at a TAP's ingress with nftables (nft_loss) and at synack's with
#     its own --impair (start_synack): frames the receiver really does not get,
#     never the sender's egress;
#   - the kernel's retransmission counters in a namespace (counters);
#   - headers-only captures for CAPTURE=DIR (capture_on, capture_off).
# Everything it creates (namespaces synack-bench*-PID, TAPs, files in WORK) is
# deleted on exit, also on failure.
set -euo pipefail
SYNACK=$(readlink -f "${1:?$USAGE}")
BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH/.." && pwd)
PY=/usr/bin/python3  # Debian's, standard library only
[ "$(id -u)" -eq 0 ] || { echo "$(basename "$0"): needs root (namespaces, /dev/net/tun)" >&2; exit 2; }
[ -x "$SYNACK" ] || { echo "$(basename "$0"): $SYNACK is not an executable" >&2; exit 2; }
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
# A private copy: the binary under test may be rebuilt while the benchmark runs.
SYNACK_ORIG=$SYNACK
cp "$SYNACK" "$WORK/synack"
SYNACK=$WORK/synack

# The kernel sockets' congestion control: KERNEL_CC (default cubic, synack's default).
# This VM's default is bbr, which ignores random loss: the comparison would be of two
# algorithms, not two stacks. A namespace's default can only be a CC the host allows
# (tcp_allowed_congestion_control), so the Python peers set it per socket
# (TCP_CONGESTION, as root) from this variable.
export KERNEL_CC=${KERNEL_CC:-cubic}
# new_ns NS: an empty namespace with lo up and IPv6 off (no ND/MLD frames on the TAPs).
new_ns() {
  ip netns add "$1"
  ip -n "$1" link set lo up
  ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
}
# tap_up NS DEV ADDR/PREFIX
tap_up() {
  ip -n "$1" tuntap add "$2" mode tap
  ip -n "$1" addr add "$3" dev "$2"
  ip -n "$1" link set "$2" up
}

# nft_loss NS DEV PCT: drop PCT % of the frames arriving on DEV (its ingress), at
# random; replaces what an earlier call set up there (PCT 0: no loss).
nft_loss() {
  ip netns exec "$1" nft delete table netdev benchloss 2>/dev/null || true
  [ "$3" = 0 ] && return 0
  ip netns exec "$1" nft add table netdev benchloss
  ip netns exec "$1" nft add chain netdev benchloss in "{ type filter hook ingress device $2 priority 0; }"
  ip netns exec "$1" nft add rule netdev benchloss in numgen random mod 10000 "<" \
    "$(awk -v n="$3" 'BEGIN { printf "%d", n * 100 }')" drop
}
counters() {  # NS: "retransmitted segments, RTOs" of the kernel in NS (absolute)
  ip netns exec "$1" nstat -saz TcpRetransSegs TcpExtTCPTimeouts |
    awk '/TcpRetransSegs/ { r = $2 } /TcpExtTCPTimeouts/ { t = $2 } END { printf "%d %d\n", r, t }'
}

setup_synack_ns() {
  new_ns "$S"
  tap_up "$S" tap0 10.77.0.1/24
}

# start_synack PCT LOG SERVICE...: `synack serve` on tap0 in S as 10.77.0.2, losing
# PCT % of what it receives (--impair loss,dir=in), flags from SYNACK_ARGS; stderr
# (with its stats line at exit) to LOG. Returns once it answers ping.
start_synack() {
  local pct=$1 log=$2
  shift 2
  local impair=()
  [ "$pct" = 0 ] || impair=(--impair "loss=$(awk -v n="$pct" 'BEGIN { printf "%.4f", n / 100 }'),seed=1,dir=in")
  # shellcheck disable=SC2086  # SYNACK_ARGS is a list of flags
  ip netns exec "$S" "$SYNACK" serve --log info "${impair[@]}" ${SYNACK_ARGS:-} --tap tap0 \
    --ip 10.77.0.2/24 "$@" >"$log.out" 2>"$log" &
  SYN_PID=$!
  PIDS+=("$SYN_PID")
  local i
  for i in $(seq 1 100); do
    ip netns exec "$S" ping -c 1 -W 1 -q 10.77.0.2 >/dev/null 2>&1 && return 0
    kill -0 "$SYN_PID" 2>/dev/null || { echo "synack exited early: $(cat "$log")" >&2; exit 1; }
    sleep 0.1
  done
  echo "synack did not come up" >&2
  exit 1
}
# stop_synack: SIGTERM (it closes its connections and prints its stats), KILL
# after 10 s.
stop_synack() {
  kill -TERM "$SYN_PID" 2>/dev/null || true
  local i
  for i in $(seq 1 100); do
    kill -0 "$SYN_PID" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$SYN_PID" 2>/dev/null || true
  wait "$SYN_PID" 2>/dev/null || true
}

# setup_relay_pair: namespaces A and B, TAPs tapr0 (10.77.2.1) and tapr1
# (10.77.2.2), the relay between them running.
setup_relay_pair() {
  gcc -O2 -o "$WORK/relay" "$ROOT/tests/interop/tap_relay.c"
  new_ns "$A"
  new_ns "$B"
  tap_up "$A" tapr0 10.77.2.1/24
  tap_up "$B" tapr1 10.77.2.2/24
  "$WORK/relay" "$A" tapr0 "$B" tapr1 2>"$WORK/relay.log" &
  PIDS+=($!)
  local i
  for i in $(seq 1 50); do grep -q ready "$WORK/relay.log" && break; sleep 0.1; done
}
# capture_on NS DEV FILE / capture_off: a headers-only tcpdump (the benchmarks' CAPTURE=DIR).
capture_on() {
  mkdir -p "$(dirname "$3")"
  ip netns exec "$1" tcpdump -q -n -i "$2" -s 128 -B 65536 -w "$3" tcp 2>/dev/null &
  CAP_PID=$!
  PIDS+=("$CAP_PID")
  sleep 1
}
capture_off() {
  sleep 1.2
  kill -INT "$CAP_PID" 2>/dev/null || true
  wait "$CAP_PID" 2>/dev/null || true
}

# wait_listen NS ADDR PORT: until something listens there (5 s at most).
wait_listen() {
  local i
  for i in $(seq 1 50); do ip netns exec "$1" ss -ltn | grep -q "$2:$3 " && return 0; sleep 0.1; done
  echo "nothing listens on $2:$3" >&2
  exit 1
}

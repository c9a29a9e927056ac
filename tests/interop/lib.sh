# Sourced by every tests/interop/test_*.sh: a private namespace synack-NAME-PID
# with a TAP inside (kernel 10.77.0.1/24, synack 10.77.0.2/24), helpers to run
# synack and the kernel's tools there, and cleanup on exit even on failure.
set -euo pipefail
SYNACK=$(readlink -f "${1:?usage: $0 path/to/synack}")
NAME=${NAME:?set NAME before sourcing lib.sh}
NS="synack-$NAME-$$"
TAP=tap0  # inside the private namespace: no clash with other tests
WORK=$(mktemp -d "/tmp/synack-$NAME-XXXXXX")
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)  # tests/interop (shared helpers)
SYN_PIDS=()
EXTRA_NS=()  # more namespaces a test made (deleted on exit too)

cleanup() {
  local rc=$?
  exec 2>/dev/null  # no "Killed" job notices for the helpers we kill
  for p in "${SYN_PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  ip netns pids "$NS" 2>/dev/null | xargs -r kill -KILL 2>/dev/null || true
  ip netns del "$NS" 2>/dev/null || true
  for n in "${EXTRA_NS[@]}"; do
    ip netns pids "$n" 2>/dev/null | xargs -r kill -KILL 2>/dev/null || true
    ip netns del "$n" 2>/dev/null || true
  done
  rm -rf "$WORK"
  if [ "$rc" -eq 0 ]; then echo "ok $NAME"; else echo "FAILED $NAME (rc=$rc)"; fi
  exit "$rc"
}
trap cleanup EXIT
# A signal (run.sh's timeout sends TERM) must not end in "ok": cleanup reports the
# status of whatever command ran last, 0 without these.
trap 'exit 130' INT
trap 'exit 143' TERM

fail() { echo "FAIL: $*" >&2; exit 1; }
nsx() { ip netns exec "$NS" "$@"; }

setup_ns() {
  ip netns add "$NS"
  ip -n "$NS" link set lo up
  nsx sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  ip -n "$NS" tuntap add "$TAP" mode tap
  ip -n "$NS" addr add 10.77.0.1/24 dev "$TAP"
  ip -n "$NS" link set "$TAP" up
}

# setup_ipv6: IPv6 on tap0 for the tests that want it (setup_ns turns it off), with
# fd77:SFX::1/64 for the kernel. Sets P (the /64 prefix, unique per run) and MAC (the
# address synack is given with --mac).
setup_ipv6() {
  nsx sysctl -qw net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.default.disable_ipv6=0 \
    "net.ipv6.conf.$TAP.disable_ipv6=0" "net.ipv6.conf.$TAP.accept_ra=0"
  P="fd77:$(printf '%x' $(($$ & 0xffff)))"
  MAC=02:00:00:77:00:02
  ip -n "$NS" -6 addr add "$P::1/64" dev "$TAP" nodad
}

# wait_ping6 ADDR [NETNS]: until ADDR answers a ping from NETNS (default: the test's
# namespace; synack runs DAD first: up to 2 s), at most 10 s.
wait_ping6() {
  local i
  for i in $(seq 1 50); do
    if ip netns exec "${2:-$NS}" ping -6 -c 1 -W 1 -q "$1" >/dev/null 2>&1; then return 0; fi
    kill -0 "$SYN_PID" 2>/dev/null || fail "synack exited early: $(cat "$SYN_LOG")"
    sleep 0.2
  done
  fail "$1 does not answer ping -6 from ${2:-$NS}"
}

# start_synack LOGFILE ARGS...: runs `synack ARGS --tap tap0 --ip 10.77.0.2/24` in
# the background inside the namespace and waits until it answers ping. SYN_PREFIX
# (default 24) widens synack's prefix, e.g. 16 to make all of 10.77/16 on-link.
start_synack() {
  local log=$1
  shift
  ip netns exec "$NS" "$SYNACK" "$@" --tap "$TAP" --ip "10.77.0.2/${SYN_PREFIX:-24}" >"$log.out" 2>"$log" &
  SYN_PIDS+=($!)
  SYN_PID=$!
  SYN_LOG=$log
  local i
  for i in $(seq 1 50); do
    if nsx ping -c 1 -W 1 -q 10.77.0.2 >/dev/null 2>&1; then return 0; fi
    kill -0 "$SYN_PID" 2>/dev/null || fail "synack exited early: $(cat "$log")"
    sleep 0.1
  done
  fail "synack did not come up"
}

# stop_synack: SIGTERM, then it must exit 0 within 5 s.
stop_synack() {
  kill -TERM "$SYN_PID"
  local i
  for i in $(seq 1 50); do
    kill -0 "$SYN_PID" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$SYN_PID" 2>/dev/null && fail "synack still running 5 s after SIGTERM"
  local rc=0
  wait "$SYN_PID" || rc=$?
  [ "$rc" -eq 0 ] || fail "synack exited $rc after SIGTERM: $(tail -3 "$SYN_LOG")"
}

# check_pcap FILE [noloss|any] [PORT...]: tshark reads it without malformed
# packets; with `noloss`, TCP analysis must find nothing (no retransmission, dup
# ACK, ...). Payload on each PORT is decoded as plain data: random test bytes
# would otherwise be taken for X11, IPA ... by port and reported as malformed.
check_pcap() {
  local f=$1 mode=${2:-}
  shift 2 2>/dev/null || shift
  local opts=() p
  for p in "$@"; do opts+=(-d "tcp.port==$p,data"); done
  [ -s "$f" ] || fail "capture $f is empty"
  # tshark's only allowed stderr is its warning about running as root.
  local n bad err
  n=$(tshark -r "$f" "${opts[@]}" 2>"$WORK/tshark.err" | wc -l)
  err=$(grep -v 'Running as user "root"' "$WORK/tshark.err" || true)
  [ -z "$err" ] || fail "tshark on $f: $err"
  [ "$n" -gt 0 ] || fail "tshark read no packet from $f"
  bad=$(tshark -r "$f" "${opts[@]}" -Y '_ws.malformed || _ws.expert.severity == error' 2>/dev/null | head -5)
  [ -z "$bad" ] || fail "malformed packets in $f: $bad"
  if [ "$mode" = noloss ]; then
    # Window updates and "window full" are flow control doing its job (notes,
    # not problems); everything else TCP analysis flags is a finding.
    bad=$(tshark -r "$f" "${opts[@]}" -Y "$NOLOSS_FILTER" 2>/dev/null | head -5)
    [ -z "$bad" ] || fail "tcp.analysis.flags in $f: $bad"
  fi
  echo "capture $(basename "$f"): $n packets, clean${mode:+ ($mode)}"
}

# Flow-control notes that are not findings, seen with both stacks behaving right:
# window_update: the kernel itself sends pure window updates after its reads
#   (test_nc), and synack announces a window that doubled or reopened from zero
#   (RFC 9293 §3.8.6.2.2; §3.8.6.1 relies on it) -- no longer one per read.
# window_full / zero_window: in test_echo the echo application stops reading while
#   its reply is backed up (synack's slow start from 4 segments lags the kernel's
#   from 10), so the 256 KiB receive buffer fills: the kernel sends exactly up to
#   the advertised edge and synack then advertises zero, correctly.
NOLOSS_FILTER='tcp.analysis.flags && !tcp.analysis.window_update && !tcp.analysis.window_full && !tcp.analysis.zero_window'

sha() { sha256sum "$1" | cut -d' ' -f1; }

# capture_start FILE / capture_stop: tcpdump on the namespace's TAP (both stacks' frames
# as they cross it: the kernel's before synack's --impair, synack's after it), complete:
# capture_stop fails unless tcpdump wrote every frame its filter matched.
# Why these flags: by default libpcap hands frames over in blocks (TPACKET_V3) that the
# kernel releases when full or after tcpdump's 1 s timeout, and tcpdump stops on SIGINT
# without the block still open — the last up to 1 s of a transfer (e.g. half of
# test_ecn's 300 kB echo, synack's end of it) never reached the file, and counts over the
# capture varied from run to run. --immediate-mode (every frame handed over at once)
# fixed that but costs a wake-up per frame: under CI load tcpdump fell behind a 1 MiB
# echo and the kernel dropped 87 of 2092 frames even with a 32 MiB ring. So: block mode,
# a 32 MiB buffer (-B), and capture_stop waits 1.2 s — past the 1 s block timeout — so
# the last block is handed over before SIGINT.
# CAPTURE_OPTS adds tcpdump flags; CAPTURE_FILTER replaces the filter (default: tcp).
capture_start() {
  CAP=$1
  # shellcheck disable=SC2086  # CAPTURE_OPTS is a list of flags
  ip netns exec "$NS" tcpdump -B 32768 ${CAPTURE_OPTS:-} -U -n -i "$TAP" \
    -w "$CAP" ${CAPTURE_FILTER:-tcp} 2>"$WORK/tcpdump.err" &
  CAP_PID=$!
  SYN_PIDS+=("$CAP_PID")
  local i
  for i in $(seq 1 50); do grep -q "listening on" "$WORK/tcpdump.err" && return 0; sleep 0.1; done
  fail "tcpdump did not start: $(cat "$WORK/tcpdump.err")"
}
capture_stop() {
  sleep 1.2
  kill -INT "$CAP_PID"
  wait "$CAP_PID" 2>/dev/null || true
  # tcpdump's own account on exit: "N packets captured", "M packets received by filter",
  # "D packets dropped by kernel". Anything matched but not written is a finding.
  local captured received dropped
  captured=$(awk '/packets captured/ { print $1 }' "$WORK/tcpdump.err")
  received=$(awk '/packets received by filter/ { print $1 }' "$WORK/tcpdump.err")
  dropped=$(awk '/packets dropped by kernel/ { print $1 }' "$WORK/tcpdump.err")
  [ -n "$captured" ] && [ "$captured" = "$received" ] && [ "${dropped:-1}" -eq 0 ] ||
    fail "capture $(basename "$CAP") incomplete: $(grep packets "$WORK/tcpdump.err" | paste -sd, -)"
}
# captured_echo N BYTES SERVE_ARGS...: case N — BYTES random bytes echoed by
# `synack serve --log info SERVE_ARGS... echo:7` to a kernel client (halfclose.py:
# send all, half-close, read all back), the exchange captured to $WORK/caseN.pcap
# (CAP); its log is $WORK/serveN.log. Fails unless the echo is exact.
captured_echo() {
  local n=$1 bytes=$2
  shift 2
  head -c "$bytes" /dev/urandom >"$WORK/in$n"
  capture_start "$WORK/case$n.pcap"
  start_synack "$WORK/serve$n.log" serve --log info "$@" echo:7
  nsx timeout 60 /usr/bin/python3 "$HERE/halfclose.py" "$S" 7 "$WORK/in$n" "$WORK/out$n" 30 ||
    fail "$n: kernel client failed"
  stop_synack
  capture_stop
  cmp "$WORK/in$n" "$WORK/out$n" || fail "$n: echo differs"
}
# count FILTER: frames of the capture that match; DATA_PORTS (default 7) are decoded
# as plain data so tshark does not guess an application protocol.
count() {
  local decode=() p
  for p in ${DATA_PORTS:-7}; do decode+=(-d "tcp.port==$p,data"); done
  tshark -r "$CAP" "${decode[@]}" -Y "$1" 2>/dev/null | wc -l
}
expect_count() {  # expect_count WHAT OP N FILTER
  local n
  n=$(count "$4")
  [ "$n" "$2" "$3" ] || fail "$1: $n frames match '$4', wanted $2 $3"
  echo "  $1: $n"
}

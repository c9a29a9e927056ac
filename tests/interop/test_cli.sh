#!/usr/bin/env bash
# Bad input: one clear line on stderr and the documented exit code, nothing
# created; SIGINT with a connection open: FIN to the peer, exit 0 within 2 s.
NAME=cli
source "$(dirname "$0")/lib.sh"
setup_ns

# expect RC ARGS...: synack exits RC with exactly one line on stderr.
expect() {
  local want=$1 rc=0
  shift
  nsx timeout 10 "$SYNACK" "$@" </dev/null >/dev/null 2>"$WORK/err" || rc=$?
  [ "$rc" -eq "$want" ] || fail "synack $*: exit $rc, wanted $want: $(cat "$WORK/err")"
  [ "$(wc -l <"$WORK/err")" -eq 1 ] || fail "synack $*: not one line: $(cat "$WORK/err")"
  echo "exit $rc: synack $* -> $(cat "$WORK/err")"
}
T=(--tap "$TAP" --ip 10.77.0.2/24)
expect 2 serve "${T[@]}" ssh:22
expect 2 serve "${T[@]}" echo:65536
expect 2 serve "${T[@]}" echo:7 discard:7
expect 2 serve "${T[@]}" "http:80:$WORK/none"
expect 2 serve --tap "$TAP" --ip 10.77.0.256/24 echo:7
expect 2 serve --tap "$TAP" --ip 10.77.0.2/33 echo:7
expect 2 serve --tap tap-name-too-long0 --ip 10.77.0.2/24 echo:7
expect 2 serve "${T[@]}" --impair loss=1.5 echo:7
expect 2 nc "${T[@]}" 10.77.0.1 0
expect 2 nc "${T[@]}" not-an-ip 80
expect 2 get "${T[@]}" https://10.77.0.1/
expect 2 get "${T[@]}" http://10.77.0.1:99999/
expect 2 get "${T[@]}" http://10.77.0.1/ https://10.77.0.1/
expect 2 get "${T[@]}" http://10.77.0.1/ "http://10.77.0.1/a b"
# No permission on /dev/net/tun: a runtime failure.
rc=0
nsx setpriv --reuid=65534 --regid=65534 --clear-groups "$SYNACK" serve --tap synperm0 \
  --ip 10.77.0.2/24 echo:7 2>"$WORK/err" || rc=$?
[ "$rc" -eq 1 ] && grep -qi permission "$WORK/err" || fail "no permission: exit $rc: $(cat "$WORK/err")"
echo "exit 1: unprivileged -> $(cat "$WORK/err")"
nsx ip link show synperm0 >/dev/null 2>&1 && fail "an interface was left behind"
# Refused connect from synack's own clients: exit 1.
expect 1 nc "${T[@]}" 10.77.0.1 9
# The synack client's --ip is the only stack here; nothing left listening.

# SIGINT with an idle connection open: the client sees a FIN (EOF, not a reset).
start_synack "$WORK/serve.log" serve --log info echo:7
nsx timeout 10 /usr/bin/python3 - "$SYN_PID" <<'PY' || fail "graceful close on SIGINT"
import os, signal, socket, sys, time
s = socket.create_connection(("10.77.0.2", 7), timeout=5)
s.sendall(b"ping")
assert s.recv(10) == b"ping"
t0 = time.time()
os.kill(int(sys.argv[1]), signal.SIGINT)
assert s.recv(10) == b"", "expected EOF"
print("EOF %.2f s after SIGINT" % (time.time() - t0))
assert time.time() - t0 < 2.0
PY
rc=0
for i in $(seq 1 30); do kill -0 "$SYN_PID" 2>/dev/null || break; sleep 0.1; done
wait "$SYN_PID" || rc=$?
[ "$rc" -eq 0 ] || fail "serve exited $rc after SIGINT"
grep -q "svc_closed=1 " "$WORK/serve.log" || fail "stats: $(grep stats "$WORK/serve.log")"

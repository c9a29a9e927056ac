#!/usr/bin/env bash
# The examples that need a TAP (examples/tap_echo.cpp, examples/http_get.cpp) against the
# kernel in a private namespace: nc through tap_echo gets its bytes back exactly, and
# http_get fetches files from the kernel's python3 http.server byte for byte. The other
# examples are ctest tests (examples.*). The binaries sit beside synack (build/examples).
NAME=examples
source "$(dirname "$0")/lib.sh"
EX=$(dirname "$SYNACK")/examples
[ -x "$EX/tap_echo" ] && [ -x "$EX/http_get" ] || fail "examples not built in $EX"
setup_ns

# tap_echo: up once it answers ping (its ARP may need a retry while the TAP comes up).
ip netns exec "$NS" "$EX/tap_echo" "$TAP" 10.77.0.2/24 7 >"$WORK/echo.out" 2>"$WORK/echo.err" &
ECHO_PID=$!
SYN_PIDS+=("$ECHO_PID")
for i in $(seq 1 50); do
  nsx ping -c 1 -W 1 -q 10.77.0.2 >/dev/null 2>&1 && break
  kill -0 "$ECHO_PID" 2>/dev/null || fail "tap_echo exited: $(cat "$WORK/echo.err")"
  [ "$i" -lt 50 ] || fail "tap_echo does not answer ping"
  sleep 0.1
done
head -c 262144 /dev/urandom >"$WORK/in"
nsx timeout 30 nc -N 10.77.0.2 7 <"$WORK/in" >"$WORK/out" || fail "nc exited $?"
cmp "$WORK/in" "$WORK/out" || fail "tap_echo: echo differs"
printf 'hello\n' | nsx timeout 10 nc -N 10.77.0.2 7 >"$WORK/small" || fail "second nc exited $?"
[ "$(cat "$WORK/small")" = hello ] || fail "tap_echo: small echo '$(cat "$WORK/small")'"
kill -TERM "$ECHO_PID"
rc=0
timeout 5 tail --pid="$ECHO_PID" -f /dev/null || fail "tap_echo still running after SIGTERM"
wait "$ECHO_PID" || rc=$?
[ "$rc" -eq 0 ] || fail "tap_echo exited $rc: $(cat "$WORK/echo.err")"
expected=$'echo on 10.77.0.2 port 7 (tap0)\nechoed 262144 bytes to 10.77.0.1\nechoed 6 bytes to 10.77.0.1'
[ "$(cat "$WORK/echo.out")" = "$expected" ] || fail "tap_echo printed: $(cat "$WORK/echo.out")"
echo "tap_echo: 262144 + 6 bytes echoed"

# http_get against the kernel's python3 http.server on 10.77.0.1:8080.
mkdir -p "$WORK/www"
echo "hello from the kernel's http.server" >"$WORK/www/hello.txt"
head -c 1048576 /dev/urandom >"$WORK/www/big.bin"
ip netns exec "$NS" python3 -m http.server --bind 10.77.0.1 --directory "$WORK/www" 8080 \
  >"$WORK/httpd.log" 2>&1 &
SYN_PIDS+=($!)
for i in $(seq 1 50); do
  nsx ss -ltn 2>/dev/null | grep -q '10.77.0.1:8080' && break
  [ "$i" -lt 50 ] || fail "http.server did not start: $(cat "$WORK/httpd.log")"
  sleep 0.1
done
for f in hello.txt big.bin; do
  nsx timeout 40 "$EX/http_get" "$TAP" 10.77.0.2/24 "http://10.77.0.1:8080/$f" \
    >"$WORK/got-$f" 2>"$WORK/get-$f.err" || fail "http_get $f: $(cat "$WORK/get-$f.err")"
  cmp "$WORK/www/$f" "$WORK/got-$f" || fail "http_get $f: body differs"
  grep -qx "http_get: status 200" "$WORK/get-$f.err" || fail "http_get $f: $(cat "$WORK/get-$f.err")"
done
nsx timeout 40 "$EX/http_get" "$TAP" 10.77.0.2/24 http://10.77.0.1:8080/missing \
  >/dev/null 2>"$WORK/get-404.err" && fail "http_get of a missing file exited 0"
grep -qx "http_get: status 404" "$WORK/get-404.err" || fail "404: $(cat "$WORK/get-404.err")"
nsx timeout 40 "$EX/http_get" "$TAP" 10.77.0.2/24 http://10.77.0.1:9/ \
  >/dev/null 2>"$WORK/get-refused.err" && fail "http_get to a closed port exited 0"
grep -qx "http_get: connection refused" "$WORK/get-refused.err" ||
  fail "refused: $(cat "$WORK/get-refused.err")"
echo "http_get: hello.txt, 1 MiB, 404 and a refused connect as expected"

#!/usr/bin/env bash
# Per-connection info (TcpInfo) on the command line:
#  1. `synack serve --stats-interval 0.5`: while a kernel client holds an echo
#     connection open, the periodic table on stdout lists it ESTAB with the right
#     endpoints, and its details count the bytes echoed.
#  2. `synack serve` without the option prints nothing until `kill -USR1`, which prints
#     one table (with the connection) and does not stop the server.
#  3. `synack nc --progress` and `synack get --progress`: stdout carries exactly the
#     data, stderr ends with a final progress line of the byte count.
NAME=stats
source "$(dirname "$0")/lib.sh"
setup_ns

# hold.py PORT SECONDS: connects to synack's echo port, sends 1000 bytes, reads them
# back, prints its local port, holds the connection SECONDS, closes.
cat >"$WORK/hold.py" <<'EOF'
import socket, sys, time
s = socket.create_connection(("10.77.0.2", int(sys.argv[1])), timeout=10)
s.sendall(b"x" * 1000)
got = b""
while len(got) < 1000:
    b = s.recv(65536)
    if not b:
        sys.exit("echo closed early")
    got += b
print(s.getsockname()[1], flush=True)
time.sleep(float(sys.argv[2]))
s.close()
EOF

# wait_for FILE PATTERN: up to 5 s for an extended regex to appear in FILE.
wait_for() {
  local i
  for i in $(seq 1 50); do
    grep -Eq "$2" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

# 1: the periodic table.
start_synack "$WORK/serve1.err" serve --stats-interval 0.5 echo:7
nsx timeout 20 python3 "$WORK/hold.py" 7 3 >"$WORK/port1" &
HPID=$!
wait_for "$WORK/port1" '^[0-9]+$' || fail "kernel client did not connect"
port=$(cat "$WORK/port1")
row="^ESTAB +0 +0 +10\.77\.0\.2:7 +10\.77\.0\.1:$port( |$)"
wait_for "$WORK/serve1.err.out" "$row" || fail "no ESTAB row for :$port: $(cat "$WORK/serve1.err.out")"
# The detail line under that row: the 1000 bytes received and echoed (acked).
grep -EA1 "$row" "$WORK/serve1.err.out" | tail -1 >"$WORK/detail1"
grep -q 'bytes_received:1000 ' "$WORK/detail1" || fail "detail: $(cat "$WORK/detail1")"
grep -q 'bytes_acked:1000 ' "$WORK/detail1" || fail "detail: $(cat "$WORK/detail1")"
grep -Eq ' rtt:[0-9.]+/[0-9.]+ ' "$WORK/detail1" || fail "no rtt in: $(cat "$WORK/detail1")"
wait "$HPID" || fail "kernel client failed"
# The client held the connection 3 s: a table every 0.5 s meanwhile.
tables=$(grep -c '^connections: ' "$WORK/serve1.err.out")
[ "$tables" -ge 5 ] || fail "$tables tables in over 3 s, wanted one every 0.5 s"
stop_synack
[ -n "${STATS_SHOW:-}" ] && cat "$WORK/serve1.err.out"
echo "--stats-interval: ESTAB 10.77.0.2:7 <-> 10.77.0.1:$port, bytes counted, $tables tables"

# 2: SIGUSR1 alone.
start_synack "$WORK/serve2.err" serve echo:7
nsx timeout 20 python3 "$WORK/hold.py" 7 3 >"$WORK/port2" &
HPID=$!
wait_for "$WORK/port2" '^[0-9]+$' || fail "kernel client did not connect (2)"
port=$(cat "$WORK/port2")
sleep 0.7
[ ! -s "$WORK/serve2.err.out" ] || fail "a table without --stats-interval or SIGUSR1"
kill -USR1 "$SYN_PID"
wait_for "$WORK/serve2.err.out" "^ESTAB +0 +0 +10\.77\.0\.2:7 +10\.77\.0\.1:$port( |$)" ||
  fail "SIGUSR1 printed no table with the connection: $(cat "$WORK/serve2.err.out")"
[ "$(grep -c '^connections: ' "$WORK/serve2.err.out")" -eq 1 ] || fail "SIGUSR1: not one table"
kill -0 "$SYN_PID" || fail "SIGUSR1 stopped the server"
wait "$HPID" || fail "kernel client failed (2)"
stop_synack
echo "SIGUSR1: one table, with the connection; the server goes on"

# 3: --progress keeps stdout for the data.
head -c 400000 /dev/urandom >"$WORK/data"
echo reply >"$WORK/reply"
# synack nc -l: the kernel client sends the data and half-closes; synack nc writes it
# to stdout and answers with the reply.
ip netns exec "$NS" timeout 30 "$SYNACK" nc --progress --tap "$TAP" --ip 10.77.0.2/24 \
  -l 5001 <"$WORK/reply" >"$WORK/nc.out" 2>"$WORK/nc.err" &
SPID=$!
SYN_PIDS+=("$SPID")
for i in $(seq 1 50); do nsx ping -c1 -W1 -q 10.77.0.2 >/dev/null 2>&1 && break; sleep 0.1; done
nsx timeout 30 /usr/bin/python3 "$HERE/halfclose.py" 10.77.0.2 5001 "$WORK/data" \
  "$WORK/reply.got" 20 || fail "kernel client failed"
rc=0
wait "$SPID" || rc=$?
[ "$rc" -eq 0 ] || fail "synack nc -l --progress exited $rc: $(cat "$WORK/nc.err")"
cmp "$WORK/data" "$WORK/nc.out" || fail "nc --progress: stdout is not exactly the data"
cmp "$WORK/reply" "$WORK/reply.got" || fail "nc --progress: the reply differs"
# The last line (after the last '\r' update) is the final one, with every byte.
final=$(tr '\r' '\n' <"$WORK/nc.err" | grep -v '^ *$' | tail -1)
echo "$final" | grep -Eq '^400000 bytes in [0-9.]+ s \([0-9.]+ Mbit/s\)( rtt [0-9.]+ ms)? cwnd [0-9]+ retrans [0-9]+' ||
  fail "nc --progress final line: '$final'"

mkdir -p "$WORK/www"
cp "$WORK/data" "$WORK/www/data.bin"
ip netns exec "$NS" timeout 60 /usr/bin/python3 -m http.server --protocol HTTP/1.1 \
  --bind 10.77.0.1 --directory "$WORK/www" 8000 >/dev/null 2>&1 &
SYN_PIDS+=($!)
for i in $(seq 1 50); do nsx ss -ltn | grep -q '10.77.0.1:8000 ' && break; sleep 0.1; done
nsx timeout 30 "$SYNACK" get --progress --tap "$TAP" --ip 10.77.0.2/24 \
  http://10.77.0.1:8000/data.bin >"$WORK/get.out" 2>"$WORK/get.err" ||
  fail "synack get exited $?: $(cat "$WORK/get.err")"
cmp "$WORK/data" "$WORK/get.out" || fail "get --progress: stdout is not exactly the body"
final=$(tr '\r' '\n' <"$WORK/get.err" | grep -v '^ *$' | tail -1)
echo "$final" | grep -Eq '^400000 bytes in [0-9.]+ s \([0-9.]+ Mbit/s\) rtt [0-9.]+ ms cwnd [0-9]+ retrans [0-9]+' ||
  fail "get --progress final line: '$final'"
# A slower transfer (25 ms each way on synack's side): the line is rewritten ('\r')
# while the body arrives, then ends with the final line.
head -c 3000000 /dev/urandom >"$WORK/www/big.bin"
nsx timeout 30 "$SYNACK" get --progress --impair delay=25 --tap "$TAP" --ip 10.77.0.2/24 \
  http://10.77.0.1:8000/big.bin >"$WORK/big.out" 2>"$WORK/big.err" ||
  fail "synack get (slow) exited $?: $(cat "$WORK/big.err")"
cmp "$WORK/www/big.bin" "$WORK/big.out" || fail "get --progress (slow): stdout is not the body"
updates=$(tr -cd '\r' <"$WORK/big.err" | wc -c)
[ "$updates" -ge 1 ] || fail "get --progress (slow): no live update before the end: $(cat "$WORK/big.err")"
final=$(tr '\r' '\n' <"$WORK/big.err" | grep -v '^ *$' | tail -1)
echo "$final" | grep -Eq '^3000000 bytes in [0-9.]+ s \([0-9.]+ Mbit/s\) rtt [0-9.]+ ms cwnd [0-9]+ retrans [0-9]+' ||
  fail "get --progress (slow) final line: '$final'"
echo "--progress: stdout exact (nc, get), $updates live updates, final line: $final"
true

#!/usr/bin/env bash
# RFC 864 chargen (the rotating 72-character lines) and RFC 867 daytime.
NAME=chargen
source "$(dirname "$0")/lib.sh"
setup_ns
start_synack "$WORK/serve.log" serve --log info --pcap "$WORK/cd.pcapng" chargen:19 daytime:13

# The first three lines a kernel client reads from chargen, byte for byte.
/usr/bin/python3 - >"$WORK/expected" <<'PY'
import sys
for n in range(3):
    sys.stdout.write("".join(chr(32 + (n + i) % 95) for i in range(72)) + "\r\n")
PY
nsx timeout 10 /usr/bin/python3 - >"$WORK/got" <<'PY'
import socket, sys
s = socket.create_connection(("10.77.0.2", 19), timeout=5)
buf = b""
while len(buf) < 3 * 74:
    chunk = s.recv(65536)
    if not chunk:
        break
    buf += chunk
s.close()
sys.stdout.buffer.write(buf[:3 * 74])
PY
cmp "$WORK/expected" "$WORK/got" || fail "chargen lines differ: $(head -c 80 "$WORK/got")"

# daytime: one line with today's date (UTC), then the server closes.
day=$(nsx timeout 10 nc 10.77.0.2 13 </dev/null)
year=$(date -u +%Y)
echo "$day" | grep -Eq "^[A-Z][a-z]+day, [A-Z][a-z]+ [0-9]{2}, $year [0-9]{2}:[0-9]{2}:[0-9]{2}-UTC" ||
  fail "daytime answer: '$day'"
echo "daytime: $day"
stop_synack
check_pcap "$WORK/cd.pcapng"

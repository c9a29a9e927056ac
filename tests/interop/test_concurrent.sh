#!/usr/bin/env bash
# 100 concurrent kernel clients each echo 64 KiB (all exact), then 1000
# sequential short connections; every connection is accounted for.
NAME=concurrent
source "$(dirname "$0")/lib.sh"
setup_ns
start_synack "$WORK/serve.log" serve --log info --pcap "$WORK/conc.pcapng" echo:7
nsx timeout 120 /usr/bin/python3 - "$HERE" <<'PY' || fail "concurrent clients failed"
import os, sys, threading
sys.path.insert(0, sys.argv[1])
from halfclose import exchange
N, SIZE = 100, 65536
errors = []
def client(i):
    try:
        data = os.urandom(SIZE)
        got = exchange("10.77.0.2", 7, data, 60)
        if got != data:
            errors.append("client %d: %d bytes back, differ" % (i, len(got)))
    except Exception as e:
        errors.append("client %d: %r" % (i, e))
threads = [threading.Thread(target=client, args=(i,)) for i in range(N)]
for t in threads: t.start()
for t in threads: t.join()
print("concurrent: %d clients x %d bytes, %d errors" % (N, SIZE, len(errors)))
for e in errors[:5]: print(e)
sys.exit(1 if errors else 0)
PY
nsx timeout 120 /usr/bin/python3 - <<'PY' || fail "sequential connections failed"
import socket, sys
bad = 0
for i in range(1000):
    s = socket.create_connection(("10.77.0.2", 7), timeout=10)
    msg = b"short %d\n" % i
    s.sendall(msg)
    s.shutdown(socket.SHUT_WR)
    got = b""
    while True:
        chunk = s.recv(4096)
        if not chunk:
            break
        got += chunk
    s.close()
    bad += got != msg
print("sequential: 1000 connections, %d bad" % bad)
sys.exit(1 if bad else 0)
PY
stop_synack
grep -q "svc_accepted=1100 " "$WORK/serve.log" || fail "stats: $(grep stats "$WORK/serve.log")"
grep -q "svc_closed=1100 " "$WORK/serve.log" || fail "stats: $(grep stats "$WORK/serve.log")"
check_pcap "$WORK/conc.pcapng" any 7

#!/usr/bin/env bash
# TCP Fast Open (RFC 7413) with the kernel (net.ipv4.tcp_fastopen = 3 in the namespace:
# client and server), checked on a capture of the TAP inside the namespace, bytes exact:
#  1. kernel client (Python sendto with MSG_FASTOPEN) twice -> synack serve --tfo echo:7.
#     The first SYN asks for a cookie and synack's SYN-ACK carries one; the second SYN
#     carries that cookie and the data, synack's SYN-ACK acknowledges SYN + data, and the
#     echo comes back exact both times.
#  2. synack get --tfo -> a kernel HTTP server with TCP_FASTOPEN: synack's SYN asks for
#     a cookie, the kernel's SYN-ACK carries one, the body arrives exact. (Each synack
#     process starts with an empty cookie cache, so one GET never sends SYN data.)
#  3. synack get --tfo URL1 URL2 (two connections, one process and Stack) -> the same kind
#     of server: the first SYN asks for a cookie, the kernel's SYN-ACK carries one, the
#     second SYN carries that cookie and the whole HTTP request, the kernel's SYN-ACK
#     acknowledges SYN + request, both bodies exact.
NAME=tfo
source "$(dirname "$0")/lib.sh"
setup_ns
nsx sysctl -qw net.ipv4.tcp_fastopen=3

DATA_PORTS="7 8000"  # decoded as data by count (lib.sh)
K=10.77.0.1
S=10.77.0.2

# 1: the kernel as a Fast Open client of synack's echo service.
head -c 1000 /dev/urandom >"$WORK/in1"
cat >"$WORK/tfo_client.py" <<'EOF'
import socket, sys
host, port, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
data = open(path, "rb").read()
for attempt in range(2):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # connect + first send in one call (a blocking socket: settimeout would make the
    # sendto non-blocking): SYN + cookie + data once a cookie is cached.
    s.sendto(data, socket.MSG_FASTOPEN, (host, port))
    s.settimeout(10)
    got = b""
    while len(got) < len(data):
        chunk = s.recv(65536)
        if not chunk:
            break
        got += chunk
    s.close()
    if got != data:
        sys.exit("attempt %d: echo differs (%d of %d bytes)" % (attempt, len(got), len(data)))
EOF
capture_start "$WORK/tfo1.pcap"
start_synack "$WORK/serve1.log" serve --tfo --log info echo:7
nsx timeout 30 /usr/bin/python3 "$WORK/tfo_client.py" $S 7 "$WORK/in1" || fail "1: kernel client failed"
sleep 0.3
stop_synack
capture_stop
echo "1: kernel Fast Open client -> synack serve --tfo echo, 2 x 1000 bytes echoed exact"
expect_count "kernel SYN asking for a cookie" -eq 1 "ip.src == $K && tcp.flags == 0x002 && tcp.options.tfo.request && tcp.len == 0"
expect_count "synack SYN-ACK with a cookie" -eq 1 "ip.src == $S && tcp.flags == 0x012 && tcp.option_len == 10 && tcp.options.tfo.cookie"
cookie=$(tshark -r "$CAP" -Y "ip.src == $S && tcp.flags == 0x012 && tcp.options.tfo.cookie" -T fields -e tcp.options.tfo.cookie 2>/dev/null | head -1)
[ "${#cookie}" -eq 16 ] || fail "1: the cookie is '$cookie', wanted 8 bytes"
expect_count "kernel SYN with that cookie and 1000 bytes" -eq 1 "ip.src == $K && tcp.flags == 0x002 && tcp.options.tfo.cookie == $cookie && tcp.len == 1000"
# The SYN-ACK answering it acknowledges SYN + data (relative ack 1001) and has no cookie.
expect_count "synack SYN-ACK acking SYN + data" -eq 1 "ip.src == $S && tcp.flags == 0x012 && tcp.ack == 1001 && !tcp.options.tfo"
expect_count "kernel data retransmitted" -eq 0 "ip.src == $K && tcp.len > 0 && (tcp.analysis.retransmission || tcp.analysis.fast_retransmission)"
grep -q 'tfo_accepted=1' "$WORK/serve1.log" || fail "1: synack did not count the accepted SYN data: $(tail -1 "$WORK/serve1.log")"
grep -q 'tfo_cookie_requests=1' "$WORK/serve1.log" || fail "1: synack did not count the cookie request"

# 2: synack get --tfo against a kernel HTTP server with TCP_FASTOPEN.
head -c 20000 /dev/urandom >"$WORK/body2"
# Serves one connection per BODY file, in order (the body of the i-th to the i-th).
cat >"$WORK/tfo_server.py" <<'EOF'
import socket, sys
host, port, paths = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.setsockopt(socket.IPPROTO_TCP, socket.TCP_FASTOPEN, 5)
ls.bind((host, port))
ls.listen(5)
print("listening", flush=True)
for path in paths:
    body = open(path, "rb").read()
    c, _ = ls.accept()
    c.settimeout(10)
    req = b""
    while b"\r\n\r\n" not in req:
        chunk = c.recv(4096)
        if not chunk:
            break
        req += chunk
    c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body)
    c.close()
EOF
capture_start "$WORK/tfo2.pcap"
ip netns exec "$NS" timeout 30 /usr/bin/python3 "$WORK/tfo_server.py" $K 8000 "$WORK/body2" >"$WORK/srv2.out" &
KPID=$!
for i in $(seq 1 50); do grep -q listening "$WORK/srv2.out" 2>/dev/null && break; sleep 0.1; done
nsx timeout 30 "$SYNACK" get --tfo --log info --tap "$TAP" --ip $S/24 "http://$K:8000/x" \
  -o "$WORK/out2" 2>"$WORK/get2.err" || fail "2: synack get exited $?: $(cat "$WORK/get2.err")"
wait "$KPID" || fail "2: kernel server exited $?"
capture_stop
cmp "$WORK/body2" "$WORK/out2" || fail "2: body differs"
echo "2: synack get --tfo -> kernel TCP_FASTOPEN server, 20000 bytes exact"
expect_count "synack SYN asking for a cookie" -eq 1 "ip.src == $S && tcp.flags == 0x002 && tcp.options.tfo.request && tcp.len == 0"
expect_count "kernel SYN-ACK with a cookie" -eq 1 "ip.src == $K && tcp.flags == 0x012 && tcp.options.tfo.cookie"
grep -q 'tfo_cookies_cached=1' "$WORK/get2.err" || fail "2: synack did not cache the kernel's cookie: $(tail -1 "$WORK/get2.err")"
check_pcap "$WORK/tfo1.pcap" noloss 7
check_pcap "$WORK/tfo2.pcap" noloss 8000

# 3: two GETs from one synack process: the second SYN carries the cookie the first
# connection obtained, and the request.
head -c 3000 /dev/urandom >"$WORK/body3a"
head -c 7000 /dev/urandom >"$WORK/body3b"
capture_start "$WORK/tfo3.pcap"
ip netns exec "$NS" timeout 30 /usr/bin/python3 "$WORK/tfo_server.py" $K 8000 "$WORK/body3a" \
  "$WORK/body3b" >"$WORK/srv3.out" &
KPID=$!
for i in $(seq 1 50); do grep -q listening "$WORK/srv3.out" 2>/dev/null && break; sleep 0.1; done
nsx timeout 30 "$SYNACK" get --tfo --log info --tap "$TAP" --ip $S/24 "http://$K:8000/a" \
  "http://$K:8000/b" -o "$WORK/out3" 2>"$WORK/get3.err" ||
  fail "3: synack get exited $?: $(cat "$WORK/get3.err")"
wait "$KPID" || fail "3: kernel server exited $?"
capture_stop
cat "$WORK/body3a" "$WORK/body3b" | cmp - "$WORK/out3" || fail "3: bodies differ"
echo "3: synack get --tfo URL URL -> kernel TCP_FASTOPEN server, 3000 + 7000 bytes exact"
# The request of the second GET, as synack writes it (api::http_get_request).
req_len=$(printf 'GET /b HTTP/1.1\r\nHost: %s:8000\r\nUser-Agent: synack\r\nAccept: */*\r\nConnection: close\r\n\r\n' $K | wc -c)
expect_count "synack SYNs" -eq 2 "ip.src == $S && tcp.flags == 0x002"
expect_count "synack first SYN asking for a cookie" -eq 1 "ip.src == $S && tcp.flags == 0x002 && tcp.options.tfo.request && tcp.len == 0"
expect_count "kernel SYN-ACK with a cookie" -eq 1 "ip.src == $K && tcp.flags == 0x012 && tcp.options.tfo.cookie"
cookie=$(tshark -r "$CAP" -Y "ip.src == $K && tcp.flags == 0x012 && tcp.options.tfo.cookie" -T fields -e tcp.options.tfo.cookie 2>/dev/null | head -1)
[ -n "$cookie" ] || fail "3: no cookie in the kernel's SYN-ACK"
expect_count "synack second SYN with that cookie and the $req_len-byte request" -eq 1 "ip.src == $S && tcp.flags == 0x002 && tcp.options.tfo.cookie == $cookie && tcp.len == $req_len && tcp.payload contains \"GET /b HTTP/1.1\""
# The kernel took the data: its SYN-ACK acknowledges SYN + request (relative ack 1 + length).
expect_count "kernel SYN-ACK acking SYN + request" -eq 1 "ip.src == $K && tcp.flags == 0x012 && tcp.ack == $((1 + req_len))"
expect_count "synack data retransmitted" -eq 0 "ip.src == $S && tcp.len > 0 && (tcp.analysis.retransmission || tcp.analysis.fast_retransmission)"
for key in tfo_cookies_cached=1 tfo_syn_data_sent=1 tfo_syn_data_acked=1; do
  grep -q "$key" "$WORK/get3.err" || fail "3: synack's stats lack $key: $(tail -1 "$WORK/get3.err")"
done
check_pcap "$WORK/tfo3.pcap" noloss 8000

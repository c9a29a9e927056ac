#!/usr/bin/env bash
# TCP over IPv6 against the kernel: the kernel echoes 1 MiB through synack's echo
# service at [fd77:X::2]:7 (byte-exact), curl -g fetches a file over http://[..]/, an
# IPv4 client reaches the same dual-stack listener, and synack nc connects out to a
# kernel `nc -6 -l` (brackets in HOST) and synack get fetches http://[..]:8080/ from a
# kernel HTTP server. Every segment in synack's capture is IPv6 with
# a valid checksum.
NAME=tcp6
source "$(dirname "$0")/lib.sh"
setup_ns
setup_ipv6  # ULA and link-local addresses inside the namespace only
head -c 1048576 /dev/urandom >"$WORK/in1"
mkdir -p "$WORK/www"
head -c 300000 /dev/urandom >"$WORK/www/f.bin"

start_synack "$WORK/serve.log" serve --log info --mac "$MAC" --ip6 "$P::2/64" \
  --pcap "$WORK/tcp6.pcapng" echo:7 "http:80:$WORK/www"
wait_ping6 "$P::2"
nsx timeout 30 /usr/bin/python3 "$HERE/halfclose.py" "$P::2" 7 "$WORK/in1" "$WORK/out1" 25 ||
  fail "kernel echo client over IPv6 failed"
cmp "$WORK/in1" "$WORK/out1" || fail "1 MiB echo over IPv6: bytes differ"
nsx timeout 20 curl -sS -g -o "$WORK/got.bin" "http://[$P::2]/f.bin" ||
  fail "curl -g http://[$P::2]/f.bin failed"
cmp "$WORK/got.bin" "$WORK/www/f.bin" || fail "curl over IPv6: bytes differ"
# The same listener (dual-stack) takes an IPv4 client.
echo "over ipv4" >"$WORK/in4"
nsx timeout 20 /usr/bin/python3 "$HERE/halfclose.py" 10.77.0.2 7 "$WORK/in4" "$WORK/out4" 15 ||
  fail "kernel echo client over IPv4 failed"
cmp "$WORK/in4" "$WORK/out4" || fail "IPv4 echo through the dual-stack listener differs"
stop_synack
CAP="$WORK/tcp6.pcapng"
expect_count "IPv6 TCP segments from synack" -ge 700 "ipv6.src == $P::2 && tcp"
expect_count "IPv6 TCP segments with a bad checksum" -eq 0 \
  "ipv6 && tcp && tcp.checksum.status == \"Bad\""
expect_count "IPv4 TCP segments from synack" -ge 3 "ip.src == 10.77.0.2 && tcp"
expect_count "synack's full-sized IPv6 segments (MSS 1440 less options)" -ge 100 \
  "ipv6.src == $P::2 && tcp.len >= 1400 && frame.len <= 1514"

# synack nc connects out over IPv6 to a kernel listener.
head -c 200000 /dev/urandom >"$WORK/in2"
ip netns exec "$NS" timeout 30 nc -6 -l "$P::1" 5000 >"$WORK/out2" </dev/null &
KPID=$!
for i in $(seq 1 50); do nsx ss -ltn | grep -q "$P::1\]:5000 " && break; sleep 0.1; done
nsx timeout 30 "$SYNACK" nc --log info --tap "$TAP" --mac "$MAC" --ip 10.77.0.2/24 \
  --ip6 "$P::2/64" "[$P::1]" 5000 <"$WORK/in2" >"$WORK/nc.stdout" 2>"$WORK/nc.err" ||
  fail "synack nc over IPv6 exited $?: $(cat "$WORK/nc.err")"
wait "$KPID" || fail "kernel nc -6 -l exited $?"
cmp "$WORK/in2" "$WORK/out2" || fail "synack nc -> kernel over IPv6: bytes differ"

# synack get fetches from a kernel HTTP server by an IPv6 URL (brackets, a port).
nsx /usr/bin/python3 -m http.server --bind "$P::1" 8080 --directory "$WORK/www" \
  >"$WORK/httpd.log" 2>&1 &
HPID=$!
SYN_PIDS+=("$HPID")
for i in $(seq 1 50); do nsx ss -ltn | grep -q "$P::1\]:8080 " && break; sleep 0.1; done
nsx timeout 30 "$SYNACK" get --log info --tap "$TAP" --mac "$MAC" --ip 10.77.0.2/24 \
  --ip6 "$P::2/64" -o "$WORK/get6.bin" "http://[$P::1]:8080/f.bin" 2>"$WORK/get6.err" ||
  fail "synack get http://[$P::1]:8080/f.bin exited $?: $(cat "$WORK/get6.err")"
cmp "$WORK/get6.bin" "$WORK/www/f.bin" || fail "synack get over IPv6: bytes differ"
grep -q "\"GET /f.bin HTTP/1.1\" 200" "$WORK/httpd.log" ||
  fail "the kernel's server did not log the GET: $(cat "$WORK/httpd.log")"

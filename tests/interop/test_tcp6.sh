#!/usr/bin/env bash
# TCP over IPv6 against the kernel: the kernel echoes 1 MiB through synack's echo
# service at [fd77:X::2]:7 (byte-exact), curl -g fetches a file over http://[..]/, an
# IPv4 client reaches the same dual-stack listener, and synack nc connects out to a
# kernel `nc -6 -l` (brackets in HOST), also 4 MiB with --offload on in TSO6
# super-frames (sha256 and the link's super-frame counter checked), and synack get
# fetches http://[..]:8080/ from a kernel HTTP server. Every segment in synack's
# capture is IPv6 with a valid checksum.
NAME=tcp6
source "$(dirname "$0")/lib.sh"
setup_ns
setup_ipv6  # ULA and link-local addresses inside the namespace only
head -c 1048576 /dev/urandom >"$WORK/in1"
mkdir -p "$WORK/www"
head -c 300000 /dev/urandom >"$WORK/www/f.bin"

# Offloads off: the capture checks below count segments and their checksums, one per
# frame (with them, TSO6 super-frames; those are checked with synack nc further down).
start_synack "$WORK/serve.log" serve --log info --offload off --mac "$MAC" --ip6 "$P::2/64" \
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

# synack nc connects out over IPv6 to a kernel `nc -6 -l` on PORT and sends IN; the
# kernel writes what it got to OUT, synack nc's stderr (its stats) goes to ERR.
nc6_to_kernel() {
  local port=$1 in=$2 out=$3 err=$4
  shift 4
  ip netns exec "$NS" timeout 30 nc -6 -l "$P::1" "$port" >"$out" </dev/null &
  local kpid=$!
  for i in $(seq 1 50); do nsx ss -ltn | grep -q "$P::1\]:$port " && break; sleep 0.1; done
  nsx timeout 30 "$SYNACK" nc --log info --tap "$TAP" --mac "$MAC" --ip 10.77.0.2/24 \
    --ip6 "$P::2/64" "$@" "[$P::1]" "$port" <"$in" >"$WORK/nc.stdout" 2>"$err" ||
    fail "synack nc over IPv6 exited $?: $(cat "$err")"
  wait "$kpid" || fail "kernel nc -6 -l on port $port exited $?"
}
head -c 200000 /dev/urandom >"$WORK/in2"
nc6_to_kernel 5000 "$WORK/in2" "$WORK/out2" "$WORK/nc.err"
cmp "$WORK/in2" "$WORK/out2" || fail "synack nc -> kernel over IPv6: bytes differ"

# Bulk synack -> kernel over IPv6 with the TAP's offloads: TCP sends TSO6 super-frames
# (virtio_net_hdr GSO TCPV6, cut up by the kernel), and the bytes arrive exact.
head -c 4194304 /dev/urandom >"$WORK/in3"
nc6_to_kernel 5001 "$WORK/in3" "$WORK/out3" "$WORK/nc3.err" --offload on \
  --pcap "$WORK/tso6.pcapng"
[ "$(sha256sum <"$WORK/in3")" = "$(sha256sum <"$WORK/out3")" ] ||
  fail "4 MiB synack nc -> kernel over IPv6 with offloads: sha256 differs"
grep -q "link_offload=on" "$WORK/nc3.err" || fail "--offload on: no virtio_net_hdr framing"
supers=$(grep -o 'link_tx_super_frames=[0-9]*' "$WORK/nc3.err" | tail -1 | cut -d= -f2)
[ "${supers:-0}" -ge 10 ] ||
  fail "4 MiB over IPv6 with --offload on sent ${supers:-no} TSO6 super-frames (want >= 10)"
echo "TSO6: $supers super-frames for 4 MiB"
# The capture keeps each super-frame whole (one IPv6 packet past the MTU, its Payload
# Length true) with a comment saying what the kernel made of it. (By destination: nc may
# connect while its global address is still tentative, from the link-local one.)
CAP="$WORK/tso6.pcapng"
expect_count "TSO6 super-frames in the capture" -eq "$supers" \
  "ipv6.dst == $P::1 && tcp && frame.len > 1514 && frame.comment contains \"GSO TCPv6\""
expect_count "IPv6 packets to the kernel whose Payload Length is not the frame's" -eq 0 \
  "ipv6.dst == $P::1 && ipv6.plen != frame.len - 54"

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

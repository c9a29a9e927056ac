#!/usr/bin/env bash
# synack get against the kernel's python3 http.server (HTTP/1.1): byte-exact to a
# file and to stdout; a 404 exits 1 and leaves no file behind. Several URLs: fetched in
# order, one connection each, the bodies concatenated; the first failure ends the run
# (exit 1, no file); a bad URL anywhere exits 2 before any frame is sent.
NAME=get
source "$(dirname "$0")/lib.sh"
setup_ns
mkdir -p "$WORK/www"
head -c 2000000 /dev/urandom >"$WORK/www/file.bin"
echo "small" >"$WORK/www/small.txt"
ip netns exec "$NS" timeout 60 /usr/bin/python3 -m http.server --protocol HTTP/1.1 \
  --bind 10.77.0.1 --directory "$WORK/www" 8000 >/dev/null 2>&1 &
SYN_PIDS+=($!)
for i in $(seq 1 50); do nsx ss -ltn | grep -q '10.77.0.1:8000 ' && break; sleep 0.1; done
G="nsx timeout 30 $SYNACK get --tap $TAP --ip 10.77.0.2/24"

$G --pcap "$WORK/get.pcapng" --progress -o "$WORK/got.bin" http://10.77.0.1:8000/file.bin \
  2>"$WORK/get.err" || fail "get exited $?: $(cat "$WORK/get.err")"
cmp "$WORK/www/file.bin" "$WORK/got.bin" || fail "get -o: bytes differ"
grep -q "2000000 bytes" "$WORK/get.err" || fail "no --progress line: $(cat "$WORK/get.err")"
check_pcap "$WORK/get.pcapng" noloss

out=$($G http://10.77.0.1:8000/small.txt) || fail "get to stdout exited $?"
[ "$out" = small ] || fail "get to stdout: '$out'"

rc=0
$G -o "$WORK/missing" http://10.77.0.1:8000/missing 2>"$WORK/404.err" || rc=$?
[ "$rc" -eq 1 ] || fail "404 exited $rc"
[ ! -e "$WORK/missing" ] || fail "404 left a file"
ls "$WORK" | grep -q part && fail "a partial file was left: $(ls "$WORK")"
grep -q 404 "$WORK/404.err" || fail "404 message: $(cat "$WORK/404.err")"

rc=0
$G http://10.77.0.1:8001/ 2>"$WORK/refused.err" >/dev/null || rc=$?
[ "$rc" -eq 1 ] || fail "refused port exited $rc"
grep -qi refused "$WORK/refused.err" || fail "refused message: $(cat "$WORK/refused.err")"
rc=0
$G ftp://10.77.0.1/ 2>/dev/null || rc=$?
[ "$rc" -eq 2 ] || fail "bad URL exited $rc, not 2"

# Several URLs: in order, each over its own connection (three SYNs from synack, three
# local ports), the bodies concatenated exact, to a file and to stdout.
cat "$WORK/www/small.txt" "$WORK/www/file.bin" "$WORK/www/small.txt" >"$WORK/want3"
$G --pcap "$WORK/get3.pcapng" -o "$WORK/got3" http://10.77.0.1:8000/small.txt \
  http://10.77.0.1:8000/file.bin http://10.77.0.1:8000/small.txt 2>"$WORK/get3.err" ||
  fail "get of 3 URLs exited $?: $(cat "$WORK/get3.err")"
cmp "$WORK/want3" "$WORK/got3" || fail "get of 3 URLs -o: bytes differ"
syns=$(tshark -r "$WORK/get3.pcapng" -Y 'ip.src == 10.77.0.2 && tcp.flags == 0x002' -T fields \
  -e tcp.srcport 2>/dev/null | sort -u | wc -l)
[ "$syns" -eq 3 ] || fail "get of 3 URLs: SYNs from $syns distinct ports, wanted 3"
check_pcap "$WORK/get3.pcapng" noloss
$G http://10.77.0.1:8000/small.txt http://10.77.0.1:8000/small.txt >"$WORK/got2" ||
  fail "get of 2 URLs to stdout exited $?"
[ "$(cat "$WORK/got2")" = "$(printf 'small\nsmall')" ] || fail "get of 2 URLs to stdout: '$(cat "$WORK/got2")'"
echo "several URLs: 3 bodies to -o over 3 connections, 2 to stdout, exact"

# A 404 in the middle: exit 1, no file, and the third URL is not fetched.
rc=0
$G --pcap "$WORK/get404.pcapng" -o "$WORK/multi404" http://10.77.0.1:8000/small.txt \
  http://10.77.0.1:8000/missing http://10.77.0.1:8000/small.txt 2>"$WORK/multi404.err" || rc=$?
[ "$rc" -eq 1 ] || fail "404 among 3 URLs exited $rc"
[ ! -e "$WORK/multi404" ] || fail "404 among 3 URLs left a file"
ls "$WORK" | grep -q part && fail "a partial file was left: $(ls "$WORK")"
grep -q 'get http://10.77.0.1:8000/missing: server answered 404' "$WORK/multi404.err" ||
  fail "404 among 3 URLs, message: $(cat "$WORK/multi404.err")"
syns=$(tshark -r "$WORK/get404.pcapng" -Y 'ip.src == 10.77.0.2 && tcp.flags == 0x002' 2>/dev/null | wc -l)
[ "$syns" -eq 2 ] || fail "404 among 3 URLs: $syns SYNs, wanted 2 (none after the failure)"

# A bad URL after good ones: exit 2 with one line, and nothing sent (no capture written).
rc=0
$G --pcap "$WORK/bad.pcapng" http://10.77.0.1:8000/small.txt ftp://10.77.0.1/ >/dev/null \
  2>"$WORK/bad.err" || rc=$?
[ "$rc" -eq 2 ] || fail "bad second URL exited $rc, not 2"
[ "$(wc -l <"$WORK/bad.err")" -eq 1 ] || fail "bad second URL: not one line: $(cat "$WORK/bad.err")"
[ ! -e "$WORK/bad.pcapng" ] || fail "bad second URL: a capture was written (the TAP was used)"
echo "several URLs: a 404 ends the run (exit 1, no file); a bad URL anywhere exits 2 first"
true

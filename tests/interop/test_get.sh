#!/usr/bin/env bash
# synack get against the kernel's python3 http.server (HTTP/1.1): byte-exact to a
# file and to stdout; a 404 exits 1 and leaves no file behind.
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
true

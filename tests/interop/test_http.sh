#!/usr/bin/env bash
# The http service against curl: GET and HEAD of a 1 MiB file, two URLs over one
# kept-alive connection, 404/405/400, no escape from the root, the built-in pages.
NAME=http
source "$(dirname "$0")/lib.sh"
setup_ns
mkdir -p "$WORK/www/sub"
head -c 1048576 /dev/urandom >"$WORK/www/big.bin"
echo "hello from synack" >"$WORK/www/sub/hello.txt"
echo "secret" >"$WORK/secret.txt"
ln -s "$WORK/secret.txt" "$WORK/www/escape.txt"
start_synack "$WORK/serve.log" serve --log info --pcap "$WORK/http.pcapng" \
  "http:80:$WORK/www" http:8080
C="nsx timeout 20 curl -sS"

$C -o "$WORK/got.bin" http://10.77.0.2/big.bin
[ "$(sha "$WORK/got.bin")" = "$(sha "$WORK/www/big.bin")" ] || fail "GET big.bin differs"
head=$($C -I http://10.77.0.2/big.bin | tr -d '\r')
echo "$head" | grep -q '^HTTP/1.1 200' || fail "HEAD: $head"
echo "$head" | grep -qi '^content-length: 1048576$' || fail "HEAD length: $head"

# Two URLs, one connection: curl says it re-used it, the server counts one accept.
$C -v -o "$WORK/a" -o "$WORK/b" http://10.77.0.2/sub/hello.txt http://10.77.0.2/big.bin \
  2>"$WORK/curl.err"
grep -q "Re-using existing connection" "$WORK/curl.err" || fail "no keep-alive: $(cat "$WORK/curl.err")"
cmp -s "$WORK/a" "$WORK/www/sub/hello.txt" || fail "keep-alive first body"
cmp -s "$WORK/b" "$WORK/www/big.bin" || fail "keep-alive second body"
ctype=$($C -o /dev/null -w '%{content_type}' http://10.77.0.2/sub/hello.txt)
[ "$ctype" = "text/plain; charset=utf-8" ] || fail "content type '$ctype'"

code() { $C -o /dev/null -w '%{http_code}' "$@"; }
[ "$(code http://10.77.0.2/nope)" = 404 ] || fail "missing file not 404"
[ "$(code -X POST http://10.77.0.2/big.bin)" = 405 ] || fail "POST not 405"
[ "$(code --path-as-is http://10.77.0.2/../secret.txt)" = 400 ] || fail ".. not refused"
[ "$(code --path-as-is http://10.77.0.2/sub/%2e%2e/%2e%2e/secret.txt)" = 400 ] ||
  fail "encoded .. not refused"
[ "$(code http://10.77.0.2/escape.txt)" = 404 ] || fail "symlink out of the root served"
bad=$(printf 'BLAH\r\n\r\n' | nsx timeout 5 nc -N 10.77.0.2 80 | head -1 | tr -d '\r')
[ "$bad" = "HTTP/1.1 400 Bad Request" ] || fail "garbage request got '$bad'"

# The built-in pages (no DIR).
$C http://10.77.0.2:8080/ | grep -q "synack" || fail "built-in index"
n=$($C http://10.77.0.2:8080/bytes/123456 | wc -c)
[ "$n" = 123456 ] || fail "/bytes/123456 gave $n bytes"
stop_synack
check_pcap "$WORK/http.pcapng" noloss

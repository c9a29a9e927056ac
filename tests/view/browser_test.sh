#!/usr/bin/env bash
# The pictures as a reader gets them, end to end:
#  - `synack sim --svg --plot --html` writes them and prints the same ladder as without;
#  - headless Chromium loads the page with no console message and no script error, and
#    its self-test (#selftest=N) clicks frame N in the ladder: the detail pane must show
#    that frame's fields (checked against the ladder the sim printed) and its bytes, and
#    the right arrow key must step to frame N+1;
#  - a screenshot of the page and PNGs of the SVGs (rsvg-convert) are made for a person
#    to look at: kept in $SYNACK_VIEW_OUT if set.
# Fails (does not skip) when chromium or rsvg-convert is missing: ./x installs both.
set -u
SYNACK=${1:?usage: browser_test.sh path/to/synack}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
OUT=${SYNACK_VIEW_OUT:-$TMP/out}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)  # file:// URLs need an absolute path
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
expect() {  # expect NAME FILE STRING: FILE contains STRING (fixed string)
  if grep -qF -- "$3" "$2"; then ok; else bad "$1: '$3' not in $2"; fi
}

for tool in chromium rsvg-convert; do
  command -v "$tool" >/dev/null || { echo "FAIL $tool is not installed (./x deps installs it)"; exit 1; }
done
CHROME=(chromium --headless=new --no-sandbox --disable-gpu --hide-scrollbars
        --user-data-dir="$TMP/profile" --enable-logging=stderr --v=0)

# 1. The files, and stdout unchanged by them.
"$SYNACK" sim >"$TMP/plain.txt" || bad "sim failed"
"$SYNACK" sim --svg "$OUT/ladder.svg" --html "$OUT/page.html" --plot "$OUT/plot.svg" \
  >"$TMP/with.txt" 2>"$TMP/err" || { bad "sim --svg --html --plot failed"; cat "$TMP/err"; }
cmp -s "$TMP/plain.txt" "$TMP/with.txt" && ok || bad "stdout differs with the picture flags"
"$SYNACK" sim loss --svg "$OUT/loss-ladder.svg" --plot "$OUT/loss-plot.svg" --html "$OUT/loss.html" \
  >/dev/null 2>"$TMP/err" || { bad "sim loss with pictures failed"; cat "$TMP/err"; }
for f in ladder.svg page.html plot.svg loss-ladder.svg loss-plot.svg loss.html; do
  [ -s "$OUT/$f" ] && ok || bad "$f not written"
done

# 2. The page in a browser: the self-test clicks frame 4 (the client's request).
N=4
timeout 120 "${CHROME[@]}" --dump-dom "file://$OUT/page.html#selftest=$N" >"$TMP/dom.html" 2>"$TMP/chrome.err"
[ -s "$TMP/dom.html" ] && ok || { bad "chromium dumped no DOM"; tail -5 "$TMP/chrome.err"; }
if grep -E ':CONSOLE|Uncaught' "$TMP/chrome.err"; then bad "console messages (above)"; else ok; fi
sed -n '/<pre id="selftest"/,/<\/pre>/p' "$TMP/dom.html" >"$TMP/pane.txt"
[ -s "$TMP/pane.txt" ] && ok || bad "the self-test wrote nothing"
expect selftest-errors "$TMP/pane.txt" "selftest errors: none"
expect clicked "$TMP/pane.txt" "clicked frame $N; pane:"
expect heading "$TMP/pane.txt" "Frame $N · "
# What the sim's own ladder says frame N was (its N+1-th arrow line): ports, sequence
# range, length, window.
line=$(grep -E -- '-------------> |<------------- |--------x      |     x-------- ' "$TMP/plain.txt" | sed -n "$((N + 1))p")
read -r sport dport seqrange win len <<<"$(sed -E 's/.*(-> |-- )([0-9]+) > ([0-9]+) +[A-Z.]+ +seq ([0-9]+:[0-9]+).* win ([0-9]+) len ([0-9]+).*/\2 \3 \4 \5 \6/' <<<"$line")"
[ -n "${len:-}" ] && ok || bad "could not read frame $N from the ladder line: $line"
expect sport "$TMP/pane.txt" "source port	$sport"
expect dport "$TMP/pane.txt" "destination port	$dport"
expect rel-seq "$TMP/pane.txt" "sequence number (relative)	${seqrange%%:*}"
expect next-seq "$TMP/pane.txt" "next sequence number	${seqrange##*:} (relative)"
expect window "$TMP/pane.txt" "window (raw)	$win"
expect payload "$TMP/pane.txt" "payload length	$len bytes"
expect ip "$TMP/pane.txt" "source address	10.77.0.1"
expect ttl "$TMP/pane.txt" "time to live	64"
expect eth "$TMP/pane.txt" "type	0x0800 (IPv4)"
expect hex "$TMP/pane.txt" "0000  02 00 00 00 00 02 02 00  00 00 00 01 08 00 45 00"
expect arrow-key "$TMP/pane.txt" "after ArrowRight: selected $((N + 1)), expected $((N + 1))"
expect arrow-key-pane "$TMP/pane.txt" "pane heading now: Frame $((N + 1)) · "
expect k-key "$TMP/pane.txt" "after k: selected $N"
expect hover-bytes "$TMP/pane.txt" "hover source port: bytes $(printf '%02x %02x' $((sport >> 8)) $((sport & 255)))"
# The loss run's page: a lost frame, selected.
lost=$(grep -oE 'class="frame lost" data-frame="[0-9]+' "$OUT/loss.html" | head -1 | grep -oE '[0-9]+$')
if [ -n "$lost" ]; then
  timeout 120 "${CHROME[@]}" --dump-dom "file://$OUT/loss.html#selftest=$lost" >"$TMP/dom2.html" 2>"$TMP/chrome2.err"
  expect lost-frame "$TMP/dom2.html" "lost on the link"
  expect lost-errors "$TMP/dom2.html" "selftest errors: none"
  if grep -E ':CONSOLE|Uncaught' "$TMP/chrome2.err"; then bad "console messages on the loss page"; else ok; fi
else
  bad "no lost frame in the loss page"
fi

# 3. Pictures to look at.
timeout 120 "${CHROME[@]}" --screenshot="$OUT/page.png" --window-size=1400,1000 \
  "file://$OUT/page.html#frame=$N" >/dev/null 2>&1
[ -s "$OUT/page.png" ] && ok || bad "no screenshot"
timeout 120 "${CHROME[@]}" --screenshot="$OUT/loss-page.png" --window-size=1400,1000 \
  "file://$OUT/loss.html#frame=${lost:-0}" >/dev/null 2>&1
[ -s "$OUT/loss-page.png" ] && ok || bad "no screenshot of the loss page"
for f in ladder plot loss-ladder loss-plot; do
  if rsvg-convert "$OUT/$f.svg" -o "$OUT/$f.png" 2>"$TMP/rsvg.err" && [ -s "$OUT/$f.png" ]; then ok; else
    bad "rsvg-convert $f.svg: $(cat "$TMP/rsvg.err")"; fi
done

echo "browser_test: $pass passed, $fail failed${SYNACK_VIEW_OUT:+ (pictures in $OUT)}"
[ "$fail" -eq 0 ]

#!/usr/bin/env bash
# Checks the synack program against docs/CLI.md: help, exit codes, one-line errors,
# and `synack sim` determinism and capture validity (read back by tshark).
set -u
SYNACK=${1:?usage: run.sh path/to/synack}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
pass=0
fail=0
check() {  # check NAME EXPECTED_RC CMD...
  local name=$1 want=$2; shift 2
  "$@" >"$TMP/out" 2>"$TMP/err"
  local rc=$?
  if [ "$rc" -eq "$want" ]; then pass=$((pass + 1)); else
    fail=$((fail + 1)); echo "FAIL $name: exit $rc, wanted $want"; head -5 "$TMP/err"; fi
}
one_line_err() {  # the last command's stderr must be exactly one line naming $1
  local n
  n=$(wc -l <"$TMP/err")
  if [ "$n" -eq 1 ] && grep -q -- "$1" "$TMP/err"; then pass=$((pass + 1)); else
    fail=$((fail + 1)); echo "FAIL stderr should be one line naming '$1':"; cat "$TMP/err"; fi
}

check help 0 "$SYNACK" --help
for sub in sim serve nc get trace bench; do check "$sub --help" 0 "$SYNACK" "$sub" --help; done
check no-subcommand 2 "$SYNACK"
check bad-flag 2 "$SYNACK" sim --no-such-flag; one_line_err "no-such-flag"
check bad-loss 2 "$SYNACK" sim --loss 2; one_line_err "loss"
check bad-seed 2 "$SYNACK" sim --seed abc; one_line_err "seed"
check bad-scenario 2 "$SYNACK" sim no-such-scenario; one_line_err "no-such-scenario"
check bad-ip 2 "$SYNACK" nc --tap t0 --ip 10.77.0.2/33 10.77.0.1 7; one_line_err "10.77.0.2/33"
check bad-port 2 "$SYNACK" nc --tap t0 --ip 10.77.0.2/24 10.77.0.1 70000; one_line_err "70000"
check long-tap 2 "$SYNACK" serve --tap abcdefghijklmnopq --ip 10.77.0.2/24 echo:7; one_line_err "abcdefghijklmnopq"
check bad-service 2 "$SYNACK" serve --tap t0 --ip 10.77.0.2/24 gopher:70; one_line_err "gopher"
check bad-service-port 2 "$SYNACK" serve --tap t0 --ip 10.77.0.2/24 echo:0; one_line_err "echo:0"
check trace-missing 1 "$SYNACK" trace "$TMP/none.pcap"; one_line_err "none.pcap"
# trace: anything that is not a capture, or a capture without TCP, is one line and exit 1
# naming the file and where reading stopped; a good capture reads.
printf 'not a capture\n' >"$TMP/garbage.pcap"
check trace-garbage 1 "$SYNACK" trace "$TMP/garbage.pcap"; one_line_err "garbage.pcap': at byte 0: "
head -c 100 "$(dirname "$0")/../vectors/kernel.pcap" >"$TMP/cut.pcap"
check trace-truncated 1 "$SYNACK" trace "$TMP/cut.pcap"; one_line_err "cut.pcap': at byte "
"$SYNACK" sim ping-udp --pcap "$TMP/udp.pcapng" >/dev/null
check trace-no-tcp 1 "$SYNACK" trace "$TMP/udp.pcapng"; one_line_err "no TCP segment among its"
"$SYNACK" sim --pcap "$TMP/sim.pcapng" >/dev/null
check trace-reads 0 "$SYNACK" trace "$TMP/sim.pcapng"
check trace-conn-range 1 "$SYNACK" trace --conn 2 "$TMP/sim.pcapng"; one_line_err "not one of its connections 1..1"
check trace-conn-zero 2 "$SYNACK" trace --conn 0 "$TMP/sim.pcapng"; one_line_err "conn"
check trace-pictures 0 "$SYNACK" trace --svg "$TMP/t.svg" --plot "$TMP/tp.svg" --html "$TMP/t.html" "$TMP/sim.pcapng"
for f in t.svg tp.svg; do check "trace-$f-renders" 0 rsvg-convert "$TMP/$f" -o "$TMP/$f.png"; done
if grep -q '<script' "$TMP/t.html" && ! grep -qE '(src|href)="https?://' "$TMP/t.html"; then pass=$((pass + 1)); else
  fail=$((fail + 1)); echo "FAIL trace --html: not one self-contained page"; fi
check trace-svg-unwritable 1 "$SYNACK" trace --svg "$TMP/no/such/dir/t.svg" "$TMP/sim.pcapng"; one_line_err "cannot write"

# Every class of usage error: exit 2 and exactly one stderr line that names what was
# wrong (the unknown word, the bad value, the missing piece) and what would be right.
err_is() {  # the last command's stderr must be exactly the line $1
  if [ "$(wc -l <"$TMP/err")" -eq 1 ] && [ "$(cat "$TMP/err")" = "$1" ]; then pass=$((pass + 1)); else
    fail=$((fail + 1)); echo "FAIL stderr should be exactly: $1"; echo "  but was: $(head -3 "$TMP/err")"; fi
}
SUBS="sim, serve, nc, get, trace, bench"
NET=(--tap t0 --ip 10.77.0.2/24)
# Subcommands: the unknown word and the list of subcommands.
check unknown-subcommand 2 "$SYNACK" no-such-subcommand
err_is "synack: unknown subcommand 'no-such-subcommand'; expected one of: $SUBS (try --help)"
check no-subcommand-choices 2 "$SYNACK"
err_is "synack: a subcommand is required; expected one of: $SUBS (try --help)"
check unknown-top-option 2 "$SYNACK" --bogus
err_is "synack: unknown option --bogus for 'synack'; expected a subcommand first: $SUBS (try --help)"
# Unknown options and surplus arguments: which word, for which subcommand, where to look.
check unknown-option 2 "$SYNACK" sim --bogus
err_is "synack: unknown option --bogus for 'synack sim' (see synack sim --help)"
check unknown-option-value 2 "$SYNACK" sim --bogus=3 --other
err_is "synack: unknown options --bogus, --other for 'synack sim' (see synack sim --help)"
check other-subcommands-option 2 "$SYNACK" sim --tap tap0
err_is "synack: unknown option --tap for 'synack sim' (see synack sim --help)"
check extra-argument 2 "$SYNACK" sim handshake loss
err_is "synack: unexpected argument 'loss' for 'synack sim', which takes [SCENARIO] (see synack sim --help)"
check extra-argument-none 2 "$SYNACK" bench extra
err_is "synack: unexpected argument 'extra' for 'synack bench', which takes no arguments (see synack bench --help)"
check extra-argument-nc 2 "$SYNACK" nc "${NET[@]}" 10.77.0.1 7 8
err_is "synack: unexpected argument '8' for 'synack nc', which takes [HOST] [PORT] (see synack nc --help)"
# Values not in a set: the value and the set.
check bad-cc 2 "$SYNACK" serve "${NET[@]}" --cc foo echo:7
err_is "synack: --cc: 'foo' is not one of newreno, cubic"
check bad-log 2 "$SYNACK" nc "${NET[@]}" --log loud 10.77.0.1 7
err_is "synack: --log: 'loud' is not one of error, warn, info, debug, trace"
check bad-syn-cookies 2 "$SYNACK" serve "${NET[@]}" --syn-cookies maybe echo:7
err_is "synack: --syn-cookies: 'maybe' is not one of when-full, always, never"
# Numbers out of range or not numbers: the value and the range, without float noise.
check bad-mtu 2 "$SYNACK" serve "${NET[@]}" --mtu 99999 echo:7
err_is "synack: --mtu: '99999' is not in 576..9000"
check mtu-not-whole 2 "$SYNACK" get "${NET[@]}" --mtu 1.5 http://10.77.0.1/
err_is "synack: --mtu: '1.5' is not a whole number in 576..9000"
check bad-listen-port 2 "$SYNACK" nc "${NET[@]}" -l 0
err_is "synack: -l: '0' is not in 1..65535"
check loss-range 2 "$SYNACK" sim --loss 2
err_is "synack: --loss: '2' is not in 0..1"
check loss-not-number 2 "$SYNACK" sim --loss abc
err_is "synack: --loss: 'abc' is not a number in 0..1"
check idle-timeout-range 2 "$SYNACK" serve "${NET[@]}" --idle-timeout 0 echo:7
err_is "synack: --idle-timeout: '0' is not in 0.01..86400"
check stats-interval-zero 2 "$SYNACK" serve "${NET[@]}" --stats-interval 0 echo:7
err_is "synack: --stats-interval: '0' is not in 0.1..3600"
check stats-interval-negative 2 "$SYNACK" serve "${NET[@]}" --stats-interval -1 echo:7
err_is "synack: --stats-interval: '-1' is not in 0.1..3600"
check stats-interval-too-long 2 "$SYNACK" serve "${NET[@]}" --stats-interval 3601 echo:7
err_is "synack: --stats-interval: '3601' is not in 0.1..3600"
check stats-interval-not-number 2 "$SYNACK" serve "${NET[@]}" --stats-interval soon echo:7
err_is "synack: --stats-interval: 'soon' is not a number in 0.1..3600"
check seed-not-number 2 "$SYNACK" sim --seed abc
err_is "synack: --seed: 'abc' is not a whole number in 0..18446744073709551615"
check seed-negative 2 "$SYNACK" sim --seed -1
err_is "synack: --seed: '-1' is not a whole number in 0..18446744073709551615"
check bytes-negative 2 timeout 20 "$SYNACK" sim transfer --bytes -1
err_is "synack: --bytes: '-1' is not a whole number in 0..18446744073709551615"
check flag-value 2 "$SYNACK" sim --timing=abc
err_is "synack: --timing is a flag and takes no value, not 'abc' (see synack sim --help)"
# Missing pieces: all of them, with what each takes.
check missing-all 2 "$SYNACK" serve
err_is "synack: missing --tap IF, --ip ADDR/PREFIX, SERVICE (echo:PORT discard:PORT chargen:PORT daytime:PORT http:PORT[:DIR]) for 'synack serve' (see synack serve --help)"
check missing-ip 2 "$SYNACK" nc --tap t0 10.77.0.1 7
err_is "synack: missing --ip ADDR/PREFIX for 'synack nc' (see synack nc --help)"
check missing-url 2 "$SYNACK" get "${NET[@]}"
err_is "synack: missing URL (http://HOST[:PORT]/PATH) for 'synack get' (see synack get --help)"
check missing-value 2 "$SYNACK" sim --loss
err_is "synack: --loss needs a value (P:0..1) (see synack sim --help)"
check repeated-option 2 "$SYNACK" sim --loss 0.1 --loss 0.2
err_is "synack: --loss given 2 times; give it once (see synack sim --help)"
check excludes 2 "$SYNACK" sim attack --insecure --secure
err_is "synack: --insecure and --secure cannot be used together; give one or the other (see synack sim --help)"
check listen-and-host 2 "$SYNACK" nc "${NET[@]}" -l 7 10.77.0.1
err_is "synack: -l and HOST cannot be used together; give one or the other (see synack nc --help)"
# Errors synack finds itself: the scenario list, nc's HOST PORT, addresses, MSS.
check scenario-choices 2 "$SYNACK" sim no-such-scenario
err_is "synack: sim: unknown scenario 'no-such-scenario'; expected one of: $("$SYNACK" sim --list | awk '{print $1}' | paste -sd, - | sed 's/,/, /g') (see synack sim --list)"
check secure-elsewhere 2 "$SYNACK" sim handshake --secure
err_is "synack: sim: --secure applies to scenario 'attack' only, not 'handshake'"
check nc-nothing 2 "$SYNACK" nc "${NET[@]}"
err_is "synack: nc: missing HOST PORT to connect to, or -l PORT to listen on"
check nc-no-port 2 "$SYNACK" nc "${NET[@]}" 10.77.0.1
err_is "synack: nc: missing PORT after HOST '10.77.0.1' (give HOST PORT)"
check nc-bad-host 2 "$SYNACK" nc "${NET[@]}" 10.77.0.300 7
err_is "synack: nc: HOST '10.77.0.300' is not a unicast IPv4 or IPv6 address"
check nc-bad-port 2 "$SYNACK" nc "${NET[@]}" 10.77.0.1 70000
err_is "synack: nc: PORT '70000' is not in 1..65535"
check ip-prefix 2 "$SYNACK" serve --tap t0 --ip 10.77.0.2/33 echo:7
err_is "synack: --ip: '10.77.0.2/33' has a PREFIX that is not 0..32; expected ADDR/PREFIX, e.g. 10.0.0.2/24"
check ip-no-prefix 2 "$SYNACK" serve --tap t0 --ip 10.77.0.2 echo:7
err_is "synack: --ip: '10.77.0.2' has no /PREFIX; expected ADDR/PREFIX, e.g. 10.0.0.2/24"
check ip-multicast 2 "$SYNACK" serve --tap t0 --ip 224.0.0.1/4 echo:7
err_is "synack: --ip: '224.0.0.1/4' has 224.0.0.1, which is not a unicast address; expected ADDR/PREFIX, e.g. 10.0.0.2/24"
check mss-mtu 2 "$SYNACK" get "${NET[@]}" --mtu 1280 --mss 1260 http://10.77.0.1/
err_is "synack: --mss: 1260 does not fit in --mtu 1280; at most 1240 (MTU - 40)"
# get takes several URLs; a bad one anywhere is a usage error before the TAP opens (t0
# does not exist: reaching it would be exit 1 with a TAP error instead).
check get-bad-first-url 2 "$SYNACK" get "${NET[@]}" https://10.77.0.1/ http://10.77.0.1/
err_is "synack: get: 'https://10.77.0.1/' is not an http:// URL"
check get-bad-later-url 2 "$SYNACK" get "${NET[@]}" http://10.77.0.1/ http://10.77.0.1/a http://10.77.0.1:0/b
err_is "synack: get: 'http://10.77.0.1:0/b': port must be 1..65535"
check get-bad-host-url 2 "$SYNACK" get "${NET[@]}" http://10.77.0.1/ http://10.77.0.300/
err_is "synack: get: 'http://10.77.0.300/': HOST must be a unicast IPv4 address or an IPv6 one in brackets"

# sim: default run succeeds, is byte-identical for a seed, and its capture is clean.
check sim-default 0 "$SYNACK" sim --seed 7 --pcap "$TMP/a.pcapng"; cp "$TMP/out" "$TMP/a.txt"
check sim-again 0 "$SYNACK" sim --seed 7 --pcap "$TMP/b.pcapng"; cp "$TMP/out" "$TMP/b.txt"
if cmp -s "$TMP/a.txt" "$TMP/b.txt" && cmp -s "$TMP/a.pcapng" "$TMP/b.pcapng"; then pass=$((pass + 1)); else
  fail=$((fail + 1)); echo "FAIL sim output or capture differs for the same seed"; fi
if [ -s "$TMP/a.txt" ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL sim printed nothing"; fi
check sim-list 0 "$SYNACK" sim --list
if tshark -r "$TMP/a.pcapng" >"$TMP/tshark.txt" 2>"$TMP/tshark.err"; then
  if [ "$(wc -l <"$TMP/tshark.txt")" -ge 4 ] && ! grep -qiE "malformed|warn|error" "$TMP/tshark.txt"; then
    pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL tshark on sim capture:"; head "$TMP/tshark.txt"; fi
else
  fail=$((fail + 1)); echo "FAIL tshark could not read the sim capture"; cat "$TMP/tshark.txt"
fi
tshark -r "$TMP/a.pcapng" -q -z expert >"$TMP/expert.txt" 2>&1
if grep -qE "^(Errors|Warnings) \(" "$TMP/expert.txt"; then
  fail=$((fail + 1)); echo "FAIL tshark expert info on sim capture:"; cat "$TMP/expert.txt"
else pass=$((pass + 1)); fi

# --cc picks the congestion control (sim too): one seed under loss runs differently with
# each; an unknown name is a usage error.
check sim-newreno 0 "$SYNACK" sim transfer --loss 0.05 --seed 2 --cc newreno; cp "$TMP/out" "$TMP/nr.txt"
check sim-cubic 0 "$SYNACK" sim transfer --loss 0.05 --seed 2 --cc cubic; cp "$TMP/out" "$TMP/cu.txt"
if cmp -s "$TMP/nr.txt" "$TMP/cu.txt"; then
  fail=$((fail + 1)); echo "FAIL sim --cc newreno and --cc cubic gave the same run"; else pass=$((pass + 1)); fi
check bad-cc 2 "$SYNACK" sim --cc vegas; one_line_err "vegas"

# sim loss --compare: the same lossy transfer with NewReno/no SACK and with the default
# (CUBIC, SACK, RACK-TLP, PRR); both rows verified, the table deterministic, and the
# modern row needs fewer timeouts and less time than the classic one on this seed.
check sim-compare 0 "$SYNACK" sim loss --compare --bytes 1000000 --delay 10 --seed 1
cp "$TMP/out" "$TMP/cmp.txt"
classic=$(grep '^newreno, no SACK' "$TMP/cmp.txt")
modern=$(grep '^cubic, SACK + RACK-TLP + PRR' "$TMP/cmp.txt")
if [ "$(grep -c ' verified$' "$TMP/cmp.txt")" -eq 2 ] && [ -n "$classic" ] && [ -n "$modern" ] &&
  [ "$(awk '{print $(NF-4)}' <<<"$modern")" -lt "$(awk '{print $(NF-4)}' <<<"$classic")" ] &&
  awk -v m="$(awk '{print $(NF-7)}' <<<"$modern")" -v c="$(awk '{print $(NF-7)}' <<<"$classic")" 'BEGIN { exit !(m < c) }'; then
  pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL sim loss --compare table:"; cat "$TMP/cmp.txt"; fi
check sim-compare-again 0 "$SYNACK" sim loss --compare --bytes 1000000 --delay 10 --seed 1
if cmp -s "$TMP/out" "$TMP/cmp.txt"; then pass=$((pass + 1)); else
  fail=$((fail + 1)); echo "FAIL sim loss --compare is not deterministic"; fi
check compare-wrong-scenario 2 "$SYNACK" sim handshake --compare; one_line_err "--compare"

# --ecn (RFC 3168) wherever --cc is; sim's --ce marks ECN-capable frames CE; --impair ce=P.
for sub in sim serve nc get; do
  if "$SYNACK" "$sub" --help | grep -q -- "--ecn"; then pass=$((pass + 1)); else
    fail=$((fail + 1)); echo "FAIL synack $sub --help does not offer --ecn"; fi
done
if "$SYNACK" serve --help | grep -q -- "ce=P"; then pass=$((pass + 1)); else
  fail=$((fail + 1)); echo "FAIL synack serve --help does not name --impair ce=P"; fi
check ecn-flag-value 2 "$SYNACK" sim --ecn=abc
err_is "synack: --ecn is a flag and takes no value, not 'abc' (see synack sim --help)"
check bad-ce 2 "$SYNACK" sim --ce 2
err_is "synack: --ce: '2' is not in 0..1"
check bad-impair-ce 2 "$SYNACK" serve "${NET[@]}" --impair ce=2,dir=in echo:7
err_is "synack: --impair: ce=2: probability must be between 0 and 1"
check bad-impair-key 2 "$SYNACK" nc "${NET[@]}" --impair cee=0.1 10.77.0.1 7
err_is "synack: --impair: unknown key 'cee' (expected loss, dup, reorder, corrupt, ce, delay, jitter, seed, dir)"
# An ECN transfer under CE marking: every byte arrives, the receiver echoes, the sender
# reduces its window without retransmitting; the capture shows the ECN-setup SYN and
# SYN-ACK and ECT(0)/CE data. Without --ecn the same run has no ECN at all.
check sim-ecn 0 "$SYNACK" sim transfer --ecn --ce 0.05 --seed 3 --bytes 300000 --pcap "$TMP/ecn.pcapng"
cp "$TMP/out" "$TMP/ecn.txt"
if grep -qE "^ECN: client 0 CE in, [1-9][0-9]* ECE in, [1-9][0-9]* window reductions; server [1-9][0-9]* CE in, 0 ECE in, 0 window reductions$" "$TMP/ecn.txt" &&
  grep -qE "^retransmitted segments: client 0 \(0 timeouts\), server 0 \(0 timeouts\)$" "$TMP/ecn.txt"; then
  pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL sim transfer --ecn --ce summary:"; tail -5 "$TMP/ecn.txt"; fi
syn=$(tshark -r "$TMP/ecn.pcapng" -Y 'tcp.flags.syn == 1 && tcp.flags.ack == 0 && tcp.flags.ece == 1 && tcp.flags.cwr == 1' 2>/dev/null | wc -l)
synack=$(tshark -r "$TMP/ecn.pcapng" -Y 'tcp.flags.syn == 1 && tcp.flags.ack == 1 && tcp.flags.ece == 1 && tcp.flags.cwr == 0' 2>/dev/null | wc -l)
ect=$(tshark -r "$TMP/ecn.pcapng" -Y 'ip.dsfield.ecn == 2 && tcp.len > 0' 2>/dev/null | wc -l)
pure=$(tshark -r "$TMP/ecn.pcapng" -Y 'ip.dsfield.ecn != 0 && tcp.len == 0' 2>/dev/null | wc -l)
cwr=$(tshark -r "$TMP/ecn.pcapng" -Y 'tcp.flags.cwr == 1 && tcp.flags.syn == 0 && ip.dsfield.ecn == 2' 2>/dev/null | wc -l)
if [ "$syn" -eq 1 ] && [ "$synack" -eq 1 ] && [ "$ect" -gt 100 ] && [ "$pure" -eq 0 ] && [ "$cwr" -ge 1 ]; then
  pass=$((pass + 1)); else
  fail=$((fail + 1)); echo "FAIL sim --ecn capture: ECN-setup SYN $syn, SYN-ACK $synack, ECT data $ect, ECT/CE pure ACKs $pure, CWR $cwr"; fi
check sim-no-ecn 0 "$SYNACK" sim transfer --ce 0.05 --seed 3 --bytes 300000
if ! grep -q "^ECN:" "$TMP/out"; then pass=$((pass + 1)); else
  fail=$((fail + 1)); echo "FAIL sim transfer without --ecn used ECN"; fi

# --tfo (RFC 7413 TCP Fast Open) on serve, nc and get; sim tfo: a cookie request, then the
# request on the SYN; the second connection's first response byte comes one round trip
# (2 x --delay) sooner. The capture shows the request, the cookie, and SYN + cookie + data.
for sub in serve nc get; do
  if "$SYNACK" "$sub" --help | grep -q -- "--tfo"; then pass=$((pass + 1)); else
    fail=$((fail + 1)); echo "FAIL synack $sub --help does not offer --tfo"; fi
done
check tfo-flag-value 2 "$SYNACK" get "${NET[@]}" --tfo=abc http://10.77.0.1/
err_is "synack: --tfo is a flag and takes no value, not 'abc' (see synack get --help)"
check sim-tfo 0 "$SYNACK" sim tfo --delay 25 --seed 2 --pcap "$TMP/tfo-a.pcapng"; cp "$TMP/out" "$TMP/tfo-a.txt"
if grep -qE "^summary: first response byte 100.000 ms after connect without Fast Open, 50.000 ms with it: 50.000 ms saved; request 35 bytes, response 57 bytes, both delivered exactly$" "$TMP/tfo-a.txt" &&
  grep -qE "^TFO: client 1 cookie cached, 1 SYN with data \(1 acked\); server 1 cookie requests, 1 cookies sent, 1 SYNs with data accepted$" "$TMP/tfo-a.txt"; then
  pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL sim tfo summary:"; tail -6 "$TMP/tfo-a.txt"; fi
check sim-tfo-again 0 "$SYNACK" sim tfo --delay 25 --seed 2 --pcap "$TMP/tfo-b.pcapng"
if cmp -s "$TMP/out" "$TMP/tfo-a.txt" && cmp -s "$TMP/tfo-a.pcapng" "$TMP/tfo-b.pcapng"; then
  pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL sim tfo output or capture differs for the same seed"; fi
req=$(tshark -r "$TMP/tfo-a.pcapng" -Y 'tcp.flags == 0x002 && tcp.options.tfo.request && tcp.len == 0' 2>/dev/null | wc -l)
cookie=$(tshark -r "$TMP/tfo-a.pcapng" -Y 'tcp.flags == 0x012 && tcp.options.tfo.cookie' -T fields -e tcp.options.tfo.cookie 2>/dev/null)
syndata=$(tshark -r "$TMP/tfo-a.pcapng" -Y 'tcp.flags == 0x002 && tcp.len == 35' -T fields -e tcp.options.tfo.cookie 2>/dev/null)
if [ "$req" -eq 1 ] && [ "${#cookie}" -eq 16 ] && [ "$syndata" = "$cookie" ]; then pass=$((pass + 1)); else
  fail=$((fail + 1)); echo "FAIL sim tfo capture: cookie requests $req, cookie '$cookie', SYN data cookie '$syndata'"; fi

# sim attack: both runs and their verdicts, byte-identical for a seed (text and capture),
# the forged segments in the capture, one run alone, and its flags only with it.
check attack 0 "$SYNACK" sim attack --seed 3 --pcap "$TMP/atk-a.pcapng"; cp "$TMP/out" "$TMP/atk-a.txt"
check attack-again 0 "$SYNACK" sim attack --seed 3 --pcap "$TMP/atk-b.pcapng"; cp "$TMP/out" "$TMP/atk-b.txt"
if cmp -s "$TMP/atk-a.txt" "$TMP/atk-b.txt" && cmp -s "$TMP/atk-a.pcapng" "$TMP/atk-b.pcapng"; then
  pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL sim attack output or capture differs for the same seed"; fi
if grep -q "run 1 of 2" "$TMP/atk-a.txt" && grep -q "run 2 of 2" "$TMP/atk-a.txt" &&
  grep -qE "^connection reset\? +yes +no, still working$" "$TMP/atk-a.txt" &&
  grep -qE "^injected bytes accepted by app +[1-9][0-9]* \(rm -rf / ran\) +0$" "$TMP/atk-a.txt"; then
  pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL sim attack verdicts:"; grep -A7 "^verdict" "$TMP/atk-a.txt"; fi
n=$(tshark -r "$TMP/atk-a.pcapng" -Y 'frame.comment contains "forged" && tcp.flags.reset == 1' 2>/dev/null | wc -l)
if [ "$n" -eq 17 ]; then pass=$((pass + 1)); else
  fail=$((fail + 1)); echo "FAIL sim attack capture: $n forged RSTs, wanted 17 (8 + 8 + 1)"; fi
check attack-insecure 0 "$SYNACK" sim attack --insecure
if grep -q "run 1 of 1: A and B with TcpConfig.insecure" "$TMP/out" && ! grep -q "default configuration" "$TMP/out"; then
  pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL sim attack --insecure ran the wrong runs"; fi
check attack-both-flags 2 "$SYNACK" sim attack --insecure --secure; one_line_err "secure"
check insecure-elsewhere 2 "$SYNACK" sim handshake --insecure; one_line_err "attack"

# synack bench: a smoke run (short runs, small counts — not a result). Every row of
# the table is measured; as root the kernel's figure (private namespace) stands beside
# synack's and the ratio is synack/baseline; otherwise the row says root is needed.
# (d) and (e) run over a TAP in namespaces of their own: as root every one is measured
# (synack's figure, the kernel behind a TAP relay or over veth, the ratio); without
# root they say "not measured: needs root" and have no figures at all.
check bench-quick 0 "$SYNACK" bench --quick --json
if /usr/bin/python3 - "$TMP/out" "$(id -u)" <<'PY'; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL bench --quick --json:"; cat "$TMP/out"; fi
import json, math, sys
rows = json.load(open(sys.argv[1], encoding="utf-8"))["rows"]
root = sys.argv[2] == "0"
assert [r["id"] for r in rows] == list("aaabbc") + ["d"] * 8 + ["e"] * 2 + list("fff"), [r["id"] for r in rows]
for r in rows:
    if r["id"] in "de" and not root:
        assert r["synack"] is None and r["baseline"] is None and r["ratio"] is None, r
        assert "not measured: needs root" in r["note"], r
        continue
    assert r["synack"] > 0 and math.isfinite(r["synack"]), r
    if r["baseline_name"] == "kernel" and not root:
        assert r["baseline"] is None and "needs root" in r["note"], r
        continue
    assert r["baseline"] is not None and r["baseline"] > 0 and math.isfinite(r["baseline"]), r
    assert abs(r["ratio"] - r["synack"] / r["baseline"]) < 1e-9 * r["ratio"], r
    assert "FAILED" not in r["note"] and "not measured" not in r["note"], r
# (a): MTU 1500 segment by segment and with TSO/GRO beside one kernel run, then 9000.
a = [r for r in rows if r["id"] == "a"]
assert [r["what"] for r in a] == ["bulk, one connection, MTU 1500",
                                  "bulk, one connection, MTU 1500, TSO/GRO + checksum offload between the stacks (as the kernel's loopback)",
                                  "bulk, one connection, MTU 9000"], a
assert a[0]["baseline"] == a[1]["baseline"], a
# Super-segments carry more than one MSS of payload; 1500-byte frames at most 1460.
per_seg = [float(r["note"].split(" payload bytes")[0].split(", ")[-1]) for r in a]
assert per_seg[0] <= 1460 < per_seg[1], per_seg
if root:
    d = [r for r in rows if r["id"] == "d"]
    e = [r for r in rows if r["id"] == "e"]
    # (d): each synack transfer beside the kernel behind a TAP relay, then over veth.
    for relay, veth in zip(d[0::2], d[1::2]):
        assert relay["baseline_name"] == "kernel, TAP relay" and veth["baseline_name"] == "kernel, veth", (relay, veth)
        assert relay["what"] == veth["what"] and relay["synack"] == veth["synack"], (relay, veth)
        assert relay["unit"] == "Gbit/s" and relay["higher_is_better"], relay
        assert relay["synack"] < 1000 and relay["baseline"] < 1000 and veth["baseline"] < 1000, (relay, veth)
    whats = [r["what"] for r in d[0::2]]
    assert whats == ["TAP, kernel → synack (discard), offload on", "TAP, kernel → synack (discard), offload off",
                     "TAP, synack → kernel (chargen), offload on", "TAP, synack → kernel (chargen), offload off"], whats
    # One veth reference per direction, whatever synack's offloads.
    assert d[1]["baseline"] == d[3]["baseline"] and d[5]["baseline"] == d[7]["baseline"], d
    # (e): p50 then p99 of the same round trips, in microseconds; lower is better.
    assert [r["what"] for r in e] == ["TAP, 1-byte echo round trip p50, offload on",
                                      "TAP, 1-byte echo round trip p99, offload on"], e
    for r in e:
        assert r["unit"] == "µs" and not r["higher_is_better"] and r["baseline_name"] == "kernel, TAP relay", r
        assert r["synack"] < 1e6 and r["baseline"] < 1e6, r
    assert e[0]["synack"] <= e[1]["synack"] and e[0]["baseline"] <= e[1]["baseline"], e
PY
check bench-only-e 0 "$SYNACK" bench --quick --only e --json
if /usr/bin/python3 -c 'import json, sys; rows = json.load(open(sys.argv[1], encoding="utf-8"))["rows"]; assert [r["id"] for r in rows] == ["e", "e"], rows' "$TMP/out"; then
  pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL bench --only e:"; cat "$TMP/out"; fi
check bench-bad-only 2 "$SYNACK" bench --only z; one_line_err "only"
check bench-bad-idle 2 "$SYNACK" bench --only c --idle 0; one_line_err "idle"
check bench-idle 0 "$SYNACK" bench --only c --idle 300,600 --json
if /usr/bin/python3 -c 'import json, sys; rows = json.load(open(sys.argv[1], encoding="utf-8"))["rows"]; assert [r["what"].split()[-2] for r in rows] == ["300", "600"] and all(r["synack"] > 0 for r in rows), rows' "$TMP/out"; then
  pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL bench --idle:"; cat "$TMP/out"; fi
# --sweep: row (a) at five MTUs, synack twice (segment by segment, TSO/GRO) beside the
# kernel at each; --svg draws it: valid SVG with one line per series through every
# measured point, that rsvg-convert renders.
check bench-bad-sweep 2 "$SYNACK" bench --sweep bogus; one_line_err "sweep"
check bench-svg-needs-sweep 2 "$SYNACK" bench --svg "$TMP/x.svg"; one_line_err "sweep"
check bench-sweep 0 "$SYNACK" bench --quick --sweep mtu --json --svg "$TMP/sweep.svg"
if /usr/bin/python3 - "$TMP/out" "$TMP/sweep.svg" "$(id -u)" <<'PY'; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL bench --sweep:"; cat "$TMP/out"; fi
import json, sys
import xml.etree.ElementTree as ET
rows = json.load(open(sys.argv[1], encoding="utf-8"))["rows"]
root = sys.argv[3] == "0"
mtus = [1500, 3000, 6000, 9000, 16000]
assert [r["what"] for r in rows] == [w for m in mtus for w in (f"bulk, MTU {m}, 65536-byte writes", f"bulk, MTU {m}, 65536-byte writes, TSO/GRO")], rows
assert all(r["synack"] > 0 for r in rows), rows
assert all((r["baseline"] is not None) == root for r in rows), rows
ns = {"s": "http://www.w3.org/2000/svg"}
svg = ET.parse(sys.argv[2]).getroot()
assert svg.tag == "{http://www.w3.org/2000/svg}svg", svg.tag
series = svg.findall("s:g", ns)
assert [g.find("s:text", ns).text for g in series] == ["synack", "synack, TSO/GRO", "kernel, loopback"], series
for g, n in zip(series, [5, 5, 5 if root else 0]):
    lines = g.findall("s:polyline", ns)
    assert len(g.findall("s:circle", ns)) == n, (g, n)
    assert sum(len(l.get("points").split()) for l in lines) == n, lines
ticks = [t.text for t in svg.findall("s:text", ns)]
assert all(str(m) in ticks for m in mtus), ticks
PY
if rsvg-convert "$TMP/sweep.svg" -o "$TMP/sweep.png" && [ "$(head -c 4 "$TMP/sweep.png" | od -An -tx1 | tr -d ' ')" = "89504e47" ]; then
  pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL rsvg-convert of the sweep chart"; fi

# sim --svg/--plot/--html: the same stdout with and without them; files whole or absent;
# one stderr line and exit 1 when one cannot be written.
"$SYNACK" sim handshake >"$TMP/hs-plain.txt"
check sim-pictures 0 "$SYNACK" sim handshake --svg "$TMP/hs.svg" --plot "$TMP/hs-plot.svg" --html "$TMP/hs.html"
if cmp -s "$TMP/hs-plain.txt" "$TMP/out"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL sim stdout changed by --svg/--plot/--html"; fi
if /usr/bin/python3 - "$TMP/hs.svg" "$TMP/hs-plot.svg" "$TMP/hs-plain.txt" <<'PY'; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL sim --svg/--plot pictures"; fi
import sys
import xml.etree.ElementTree as ET
ns = {"s": "http://www.w3.org/2000/svg"}
ladder = ET.parse(sys.argv[1]).getroot()
frames = [g for g in ladder.iter("{http://www.w3.org/2000/svg}g") if g.get("class", "").startswith("frame")]
arrows = [l for l in open(sys.argv[3]) if "-------------> " in l or "<------------- " in l]
assert len(frames) == len(arrows) > 0, (len(frames), len(arrows))
hosts = [t.text for t in ladder.iter("{http://www.w3.org/2000/svg}text") if t.get("class") == "host"]
assert hosts == ["client 10.77.0.1", "server 10.77.0.2"], hosts
plot = ET.parse(sys.argv[2]).getroot()
assert plot.get("class") == "tsg", plot.attrib
PY
check sim-svg-unwritable 1 "$SYNACK" sim handshake --svg "$TMP/no-such-dir/x.svg"; one_line_err "no-such-dir/x.svg"
mkdir -p "$TMP/adir"
check sim-html-onto-dir 1 "$SYNACK" sim handshake --html "$TMP/adir"; one_line_err "adir"
if ls "$TMP"/adir.tmp* >/dev/null 2>&1; then fail=$((fail + 1)); echo "FAIL a partial file was left behind"; else pass=$((pass + 1)); fi
check sim-plot-no-tcp 1 "$SYNACK" sim ping-udp --plot "$TMP/none.svg"; one_line_err "no TCP connection"
[ -e "$TMP/none.svg" ] && { fail=$((fail + 1)); echo "FAIL --plot without TCP wrote a file"; } || pass=$((pass + 1))
check sim-pictures-compare 2 "$SYNACK" sim loss --compare --svg "$TMP/c.svg"; one_line_err "compare"

# sim --ip6: every scenario but attack runs over IPv6 and succeeds; its ladder names the
# hosts by their IPv6 addresses and shows DAD and neighbour discovery before the first
# TCP segment; the same seed gives the same output and capture, and the capture holds
# only IPv6 (tshark reads it cleanly). attack refuses --ip6 as a usage error.
for sc in $("$SYNACK" sim --list | awk '{print $1}'); do
  [ "$sc" = attack ] && continue
  check "sim-ip6-$sc" 0 timeout 120 "$SYNACK" sim "$sc" --ip6
  if head -1 "$TMP/out" | grep -q "client fd00:77::1 .*server fd00:77::2$" &&
    ! grep -qE "10\.77\.0\.|ARP" "$TMP/out"; then pass=$((pass + 1)); else
    fail=$((fail + 1)); echo "FAIL sim $sc --ip6 does not run over IPv6:"; head -3 "$TMP/out"; fi
done
check sim-ip6-compare 0 "$SYNACK" sim loss --ip6 --compare --bytes 200000
if [ "$(grep -c ' verified$' "$TMP/out")" -eq 2 ]; then pass=$((pass + 1)); else
  fail=$((fail + 1)); echo "FAIL sim loss --ip6 --compare:"; cat "$TMP/out"; fi
check sim-ip6-a 0 "$SYNACK" sim transfer --ip6 --loss 0.02 --seed 5 --pcap "$TMP/6a.pcapng"; cp "$TMP/out" "$TMP/6a.txt"
check sim-ip6-b 0 "$SYNACK" sim transfer --ip6 --loss 0.02 --seed 5 --pcap "$TMP/6b.pcapng"
if cmp -s "$TMP/out" "$TMP/6a.txt" && cmp -s "$TMP/6a.pcapng" "$TMP/6b.pcapng"; then pass=$((pass + 1)); else
  fail=$((fail + 1)); echo "FAIL sim --ip6 output or capture differs for the same seed"; fi
dad=$(grep -c "neighbor solicitation who-has fd00:77::1 (DAD)" "$TMP/6a.txt")
ns=$(grep -c "neighbor solicitation who-has fd00:77::2 tell fd00:77::1" "$TMP/6a.txt")
syn=$(grep -n " S   seq 0 win" "$TMP/6a.txt" | head -1 | cut -d: -f1)
na=$(grep -n "neighbor advertisement fd00:77::2 is-at 02:00:00:00:00:02 \[SO\]" "$TMP/6a.txt" | head -1 | cut -d: -f1)
if [ "$dad" -eq 1 ] && [ "$ns" -ge 1 ] && [ -n "$na" ] && [ -n "$syn" ] && [ "$na" -lt "$syn" ] &&
  grep -q "<mss 1440," "$TMP/6a.txt"; then pass=$((pass + 1)); else
  fail=$((fail + 1)); echo "FAIL sim --ip6 ladder: DAD $dad, NS $ns, NA line $na, SYN line $syn"; fi
total=$(tshark -r "$TMP/6a.pcapng" 2>/dev/null | wc -l)
v6=$(tshark -r "$TMP/6a.pcapng" -Y ipv6 2>/dev/null | wc -l)
tcp6=$(tshark -r "$TMP/6a.pcapng" -Y 'ipv6.src == fd00:77::1 && tcp.dstport == 80' 2>/dev/null | wc -l)
ndp=$(tshark -r "$TMP/6a.pcapng" -Y 'icmpv6.type == 135 || icmpv6.type == 136' 2>/dev/null | wc -l)
if [ "$total" -gt 40 ] && [ "$v6" -eq "$total" ] && [ "$tcp6" -gt 40 ] && [ "$ndp" -ge 3 ] &&
  ! tshark -r "$TMP/6a.pcapng" 2>/dev/null | grep -qiE "malformed"; then pass=$((pass + 1)); else
  fail=$((fail + 1)); echo "FAIL sim --ip6 capture: $total frames, $v6 IPv6, $tcp6 TCP from the client, $ndp NDP"; fi
check sim-ip6-trace 0 "$SYNACK" trace "$TMP/6a.pcapng"
if grep -q "^\[fd00:77::1\]:[0-9]* > \[fd00:77::2\]:80: " "$TMP/out"; then pass=$((pass + 1)); else
  fail=$((fail + 1)); echo "FAIL synack trace of the --ip6 capture:"; tail -4 "$TMP/out"; fi
check sim-ip6-attack 2 "$SYNACK" sim attack --ip6
err_is "synack: sim: scenario 'attack' runs over IPv4 only; drop --ip6"
check sim-ip6-value 2 "$SYNACK" sim --ip6=abc
err_is "synack: --ip6 is a flag and takes no value, not 'abc' (see synack sim --help)"
if "$SYNACK" sim --help | grep -q -- "--ip6"; then pass=$((pass + 1)); else
  fail=$((fail + 1)); echo "FAIL synack sim --help does not offer --ip6"; fi

echo "cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]

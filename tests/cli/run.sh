#!/usr/bin/env bash
# Checks the synack program against shared/CLI.md: help, exit codes, one-line errors,
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

echo "cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]

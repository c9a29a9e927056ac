#!/usr/bin/env bash
# Issue 6, the kernel side of the TAP as a blind attacker (security.py, with
# Debian's scapy): an in-window RST and a SYN on a live connection each get one
# challenge ACK and the connection survives (RFC 5961 §3, §4); a bad TCP checksum
# is dropped silently and counted; 5000 spoofed SYNs leave a kernel client able
# to echo and synack under 200 MiB; 50 SYN,ACK ISNs show no pattern (RFC 6528).
# Every check runs and prints one PASS/FAIL line; any FAIL fails the test.
NAME=security
source "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3 # Debian's, with scapy
"$PY" -c 'import scapy' 2>/dev/null || fail "python3-scapy is not installed (./x installs it)"
setup_ns
# The flood would otherwise overflow the TAP's 1000-frame queue before synack
# reads it: every spoofed SYN is to reach synack.
ip -n "$NS" link set "$TAP" txqueuelen 10000
# /16: every spoofed 10.77.x.y source is on-link, so synack ARPs for each one
# (nobody answers) and its neighbour cache limits are what keep it bounded.
SYN_PREFIX=16
start_synack "$WORK/serve.log" serve --log info --pcap "$WORK/sec.pcapng" echo:7

bad=0
check() { nsx timeout 60 "$PY" "$HERE/security.py" "$@" || bad=$((bad + 1)); }
check conn
check isn 50
check flood 5000 "$SYN_PID"
stop_synack

# Each defence also counted under its own name (the stats line prints non-zero
# counters): exactly once, for the one segment security.py forged for it.
stats=$(grep '^stats:' "$WORK/serve.log" || true)
counter() {
  local what=$1 name=$2 v
  v=$(grep -o "\b$name=[0-9]*" <<<"$stats" | cut -d= -f2)
  if [ "${v:-0}" -eq 1 ]; then
    echo "PASS $what (counter): $name=1"
  else
    echo "FAIL $what (counter): $name=${v:-0}, want 1"
    bad=$((bad + 1))
  fi
}
counter blind-rst tcp_challenge_acks_rst
counter syn-established tcp_challenge_acks_syn
counter bad-checksum tcp_rx_bad_checksum
# What the flood did to the neighbour cache and the TCP layer, for the record.
grep -o '\b\(arp\|tcp\|syn\|challenge\)[a-z_]*=[0-9]*' <<<"$stats" | tr '\n' ' ' | fold -s -w 100
echo
check_pcap "$WORK/sec.pcapng" any 7
[ "$bad" -eq 0 ] || fail "$bad security check(s) failed"

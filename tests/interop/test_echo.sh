#!/usr/bin/env bash
# RFC 862 echo: 1 MiB of random data through a kernel client comes back intact.
NAME=echo
source "$(dirname "$0")/lib.sh"
setup_ns
head -c 1048576 /dev/urandom >"$WORK/in"
start_synack "$WORK/serve.log" serve --log info --pcap "$WORK/echo.pcapng" echo:7
nsx timeout 30 nc -N 10.77.0.2 7 <"$WORK/in" >"$WORK/out" || fail "nc exited $?"
[ "$(sha "$WORK/in")" = "$(sha "$WORK/out")" ] ||
  fail "echo mismatch: sent $(stat -c %s "$WORK/in") got $(stat -c %s "$WORK/out") bytes"
stop_synack
grep -q "svc_accepted=1 " "$WORK/serve.log" || fail "stats line: $(cat "$WORK/serve.log")"
check_pcap "$WORK/echo.pcapng" noloss 7

#!/usr/bin/env bash
# synack nc against the kernel, both ways, byte-exact:
#  1. synack nc (client) -> kernel `nc -l`: stdin EOF half-closes, the kernel's nc
#     sees EOF and closes, synack nc exits 0.
#  2. kernel client -> synack nc -l: data both ways at once, each side half-closes.
NAME=nc
source "$(dirname "$0")/lib.sh"
setup_ns
head -c 300000 /dev/urandom >"$WORK/in1"
head -c 200000 /dev/urandom >"$WORK/in2"
head -c 150000 /dev/urandom >"$WORK/in3"

ip netns exec "$NS" timeout 30 nc -l 10.77.0.1 5000 >"$WORK/out1" </dev/null &
KPID=$!
for i in $(seq 1 50); do nsx ss -ltn | grep -q '10.77.0.1:5000 ' && break; sleep 0.1; done
nsx timeout 30 "$SYNACK" nc --log info --pcap "$WORK/nc1.pcapng" --tap "$TAP" \
  --ip 10.77.0.2/24 10.77.0.1 5000 <"$WORK/in1" >"$WORK/nc1.stdout" 2>"$WORK/nc1.err" ||
  fail "synack nc exited $?: $(cat "$WORK/nc1.err")"
wait "$KPID" || fail "kernel nc -l exited $?"
cmp "$WORK/in1" "$WORK/out1" || fail "synack nc -> kernel: bytes differ"
[ ! -s "$WORK/nc1.stdout" ] || fail "synack nc printed data nobody sent"
check_pcap "$WORK/nc1.pcapng" noloss 5000

# 2: synack listens; a kernel client sends in2 and reads until EOF, synack sends in3.
ip netns exec "$NS" timeout 30 "$SYNACK" nc --log info --pcap "$WORK/nc2.pcapng" \
  --tap "$TAP" --ip 10.77.0.2/24 -l 5001 <"$WORK/in3" >"$WORK/out2" 2>"$WORK/nc2.err" &
SPID=$!
SYN_PIDS+=("$SPID")
for i in $(seq 1 50); do nsx ping -c1 -W1 -q 10.77.0.2 >/dev/null 2>&1 && break; sleep 0.1; done
nsx timeout 30 /usr/bin/python3 "$HERE/halfclose.py" 10.77.0.2 5001 "$WORK/in2" "$WORK/out3" 20 ||
  fail "kernel client failed"
rc=0
wait "$SPID" || rc=$?
[ "$rc" -eq 0 ] || fail "synack nc -l exited $rc: $(cat "$WORK/nc2.err")"
cmp "$WORK/in2" "$WORK/out2" || fail "kernel -> synack nc -l: bytes differ"
cmp "$WORK/in3" "$WORK/out3" || fail "synack nc -l -> kernel: bytes differ"
check_pcap "$WORK/nc2.pcapng" noloss 5001

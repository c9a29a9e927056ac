#!/usr/bin/env bash
# A closed port answers RST: the kernel's connect fails with "refused" at once.
NAME=refused
source "$(dirname "$0")/lib.sh"
setup_ns
start_synack "$WORK/serve.log" serve --log info --pcap "$WORK/r.pcapng" echo:7
out=$(nsx timeout 5 /usr/bin/python3 -c '
import socket
try:
    socket.create_connection(("10.77.0.2", 12345), timeout=3)
    print("connected")
except ConnectionRefusedError:
    print("refused")
except Exception as e:
    print("other", e)
')
[ "$out" = refused ] || fail "connect to a closed port: $out"
stop_synack
grep -q "tcp_rst_out_no_socket=1" "$WORK/serve.log" || fail "stats: $(cat "$WORK/serve.log")"
check_pcap "$WORK/r.pcapng"

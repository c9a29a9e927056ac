#!/usr/bin/env bash
# The kernel pings synack (ARP + ICMP echo); synack exits 0 on SIGTERM.
NAME=ping
source "$(dirname "$0")/lib.sh"
setup_ns
start_synack "$WORK/serve.log" serve --pcap "$WORK/ping.pcapng" echo:7
out=$(nsx timeout 10 ping -c 5 -i 0.2 -W 1 10.77.0.2)
echo "$out" | grep -q " 5 received" || fail "ping: $out"
stop_synack
check_pcap "$WORK/ping.pcapng" noloss

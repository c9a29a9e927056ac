#!/usr/bin/env bash
# Captures real Linux kernel frames for the wire-layer tests into kernel.pcap.
#
# Two private network namespaces joined by a veth pair (10.77.0.1/24 <-> 10.77.0.2/24),
# checksum/segmentation offloads off so every captured checksum is complete, and
# tcpdump on side A while A does, in order:
#   1. ping -c 1 10.77.0.2           (ARP request/reply, ICMP echo request/reply)
#   2. one UDP datagram to B:7777    (a listener is waiting)
#   3. a TCP connection to B:8080    (SYN with mss,sackOK,TS,nop,wscale; data both ways; FIN)
#   4. one UDP datagram to B:9       (closed port -> ICMP port unreachable)
# Usage (as root): tests/vectors/capture.sh [OUTPUT.pcap]
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/kernel.pcap}
py=/usr/bin/python3
sfx=$$
ns_a=synack-wa-$sfx
ns_b=synack-wb-$sfx
if_a=swa$sfx
if_b=swb$sfx
tmp=$(mktemp -d)
tcpdump_pid=

cleanup() {
  if [[ -n $tcpdump_pid ]]; then kill "$tcpdump_pid" 2>/dev/null || true; fi
  ip netns pids "$ns_b" 2>/dev/null | xargs -r kill 2>/dev/null || true
  ip netns del "$ns_a" 2>/dev/null || true
  ip netns del "$ns_b" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

if [[ $(id -u) -ne 0 ]]; then
  echo "capture.sh: must run as root" >&2
  exit 1
fi
if ! command -v ethtool >/dev/null || ! command -v ping >/dev/null; then
  apt-get install -y ethtool iputils-ping >/dev/null
fi

a() { ip netns exec "$ns_a" "$@"; }
b() { ip netns exec "$ns_b" "$@"; }

ip netns add "$ns_a"
ip netns add "$ns_b"
for ns in "$ns_a" "$ns_b"; do
  # No IPv6 chatter (router/neighbour solicitations, MLD) in the capture.
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  ip netns exec "$ns" ip link set lo up
done
ip link add "$if_a" netns "$ns_a" type veth peer name "$if_b" netns "$ns_b"
a ip addr add 10.77.0.1/24 dev "$if_a"
b ip addr add 10.77.0.2/24 dev "$if_b"
a ethtool -K "$if_a" tx off rx off gso off tso off gro off >/dev/null
b ethtool -K "$if_b" tx off rx off gso off tso off gro off >/dev/null
a ip link set "$if_a" up
b ip link set "$if_b" up

a tcpdump -i "$if_a" -n -s 0 -U -w "$tmp/cap.pcap" 2>"$tmp/tcpdump.log" &
tcpdump_pid=$!
for _ in $(seq 50); do
  grep -q "listening on" "$tmp/tcpdump.log" 2>/dev/null && break
  sleep 0.1
done

# 1. ARP + ICMP echo.
a ping -c 1 -W 2 10.77.0.2 >/dev/null

# Servers on B: one UDP datagram on 7777; one TCP connection on 8080 that reads a
# line, answers and closes. Both bounded by timeouts.
b "$py" - <<'PY' &
import socket
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(("10.77.0.2", 7777))
t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
t.bind(("10.77.0.2", 8080))
t.listen(1)
u.settimeout(5)
u.recvfrom(2048)
t.settimeout(5)
c, _ = t.accept()
c.settimeout(5)
data = c.recv(2048)
c.sendall(b"reply: " + data)
c.recv(2048)  # wait for the client's FIN
c.close()
PY
server_pid=$!
for _ in $(seq 50); do
  b ss -ltn 2>/dev/null | grep -q ":8080" && break
  sleep 0.1
done

a "$py" - <<'PY'
import socket, time
# 2. A UDP datagram to a listening port.
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(("10.77.0.1", 40000))
u.sendto(b"hello udp\n", ("10.77.0.2", 7777))
time.sleep(0.2)
# 3. A TCP connection: data both ways, then close.
t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
t.settimeout(5)
t.connect(("10.77.0.2", 8080))
t.sendall(b"hello tcp\n")
reply = t.recv(2048)
assert reply == b"reply: hello tcp\n", reply
t.shutdown(socket.SHUT_WR)
t.recv(2048)  # the server's FIN
t.close()
time.sleep(0.2)
# 4. A UDP datagram to a closed port: ICMP port unreachable comes back.
u.sendto(b"nobody home\n", ("10.77.0.2", 9))
time.sleep(0.3)
PY
wait "$server_pid"

sleep 0.3
kill "$tcpdump_pid"
wait "$tcpdump_pid" 2>/dev/null || true
tcpdump_pid=
cp "$tmp/cap.pcap" "$out"
tcpdump -r "$out" -n -e -vv 2>/dev/null

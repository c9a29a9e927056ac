#!/usr/bin/env bash
# Captures real Linux kernel IPv6 frames into kernel6.pcap: for the wire-layer tests, and
# (as every tests/vectors/*.pcap) a golden `synack trace` case, its TCP connection over IPv6.
# The IPv4 capture is capture.sh's: this one needs three namespaces, a router and radvd.
#
# Three private network namespaces: A (a host), B (a router: forwarding on, radvd
# advertising fd00:77::/64) and C (a host behind B on a 1280-byte-MTU link):
#
#   A if_a ---- if_b B if_bc ---- if_cb C
#   fd00:77::1/64   fd00:77::2/64   (MTU 1280)   fd00:77::3/128
#
# Every address is in the ULA prefix fd00:77::/64 (plus link-local) and lives only inside
# the namespaces; A reaches C through B by a host route. Offloads off, so every checksum
# is complete. tcpdump runs on if_a from before the link has carrier, so it sees, in order:
#   1. DAD neighbour solicitations from :: (with the nonce option), MLDv2 reports with
#      a Hop-by-Hop Router Alert, router solicitations;
#   2. radvd's router advertisement (prefix information, MTU, source link-layer address),
#      and the DAD of A's SLAAC address;
#   3. ping -6 A -> B: NS/NA address resolution and an echo request/reply;
#   4. ping -6 -s 3000 A -> B: the echo request and reply as IPv6 fragments;
#   5. one UDP datagram A -> B:7777, and a TCP connection A -> B:8080 (data both ways);
#   6. ping -6 -s 1400 A -> C: B cannot forward 1448 bytes onto the 1280 link and
#      answers Packet Too Big (MTU 1280); the retry leaves A fragmented.
# Needs radvd (this script installs it with `apt-get install -y radvd` when missing; the
# test that reads kernel6.pcap needs nothing installed).
# Usage (as root): tests/vectors/capture6.sh [OUTPUT.pcap]
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/kernel6.pcap}
py=/usr/bin/python3
sfx=$$
ns_a=synack-6a-$sfx
ns_b=synack-6b-$sfx
ns_c=synack-6c-$sfx
if_a=s6a$sfx
if_b=s6b$sfx
if_bc=s6bc$sfx
if_cb=s6cb$sfx
tmp=$(mktemp -d)
tcpdump_pid=
radvd_pid=

cleanup() {
  if [[ -n $tcpdump_pid ]]; then kill "$tcpdump_pid" 2>/dev/null || true; fi
  if [[ -n $radvd_pid ]]; then kill "$radvd_pid" 2>/dev/null || true; fi
  for ns in "$ns_a" "$ns_b" "$ns_c"; do
    ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null || true
  done
  for ns in "$ns_a" "$ns_b" "$ns_c"; do ip netns del "$ns" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT

if [[ $(id -u) -ne 0 ]]; then
  echo "capture6.sh: must run as root" >&2
  exit 1
fi
if ! command -v ethtool >/dev/null || ! command -v ping >/dev/null; then
  apt-get install -y ethtool iputils-ping >/dev/null
fi
if ! command -v radvd >/dev/null; then
  apt-get install -y radvd >/dev/null
fi

a() { ip netns exec "$ns_a" "$@"; }
b() { ip netns exec "$ns_b" "$@"; }
c() { ip netns exec "$ns_c" "$@"; }

# Waits (at most 5 s) until no address in namespace $1 is still tentative (DAD done).
wait_dad() {
  for _ in $(seq 50); do
    [[ -z $(ip netns exec "$1" ip -6 addr show tentative) ]] && return 0
    sleep 0.1
  done
  echo "capture6.sh: DAD did not finish in $1" >&2
  return 1
}

for ns in "$ns_a" "$ns_b" "$ns_c"; do
  ip netns add "$ns"
  ip netns exec "$ns" ip link set lo up
done
b sysctl -qw net.ipv6.conf.all.forwarding=1
ip link add "$if_a" netns "$ns_a" type veth peer name "$if_b" netns "$ns_b"
ip link add "$if_bc" netns "$ns_b" type veth peer name "$if_cb" netns "$ns_c"
a ip addr add fd00:77::1/64 dev "$if_a"
b ip addr add fd00:77::2/64 dev "$if_b"
a ethtool -K "$if_a" tx off rx off gso off tso off gro off >/dev/null
b ethtool -K "$if_b" tx off rx off gso off tso off gro off >/dev/null
b ethtool -K "$if_bc" tx off rx off gso off tso off gro off >/dev/null
c ethtool -K "$if_cb" tx off rx off gso off tso off gro off >/dev/null
b ip link set "$if_bc" mtu 1280
c ip link set "$if_cb" mtu 1280

# A's side up first: no carrier until B's side is up, so DAD, MLD and RS wait for it.
a ip link set "$if_a" up
a tcpdump -i "$if_a" -n -s 0 -U -w "$tmp/cap.pcap" 2>"$tmp/tcpdump.log" &
tcpdump_pid=$!
for _ in $(seq 50); do
  grep -q "listening on" "$tmp/tcpdump.log" 2>/dev/null && break
  sleep 0.1
done

# 1. Carrier: DAD, MLDv2 reports, router solicitations.
b ip link set "$if_b" up
b ip link set "$if_bc" up
c ip link set "$if_cb" up
c ip addr add fd00:77::3/128 dev "$if_cb"
wait_dad "$ns_a"
wait_dad "$ns_b"
wait_dad "$ns_c"
b ip -6 route add fd00:77::3/128 dev "$if_bc"
b_ll=$(b ip -6 addr show dev "$if_bc" scope link | sed -n 's/.*inet6 \(fe80::[0-9a-f:]*\)\/64.*/\1/p')
c ip -6 route add default via "$b_ll" dev "$if_cb"
a ip -6 route add fd00:77::3/128 via fd00:77::2 dev "$if_a"

# 2. radvd on B: one router advertisement at start-up.
cat >"$tmp/radvd.conf" <<CONF
interface $if_b {
  AdvSendAdvert on;
  MinRtrAdvInterval 30;
  MaxRtrAdvInterval 100;
  AdvLinkMTU 1500;
  AdvCurHopLimit 64;
  AdvReachableTime 30000;
  AdvRetransTimer 1000;
  prefix fd00:77::/64 {
    AdvOnLink on;
    AdvAutonomous on;
    AdvValidLifetime 86400;
    AdvPreferredLifetime 14400;
  };
};
CONF
b radvd -n -C "$tmp/radvd.conf" -p "$tmp/radvd.pid" -m stderr 2>"$tmp/radvd.log" &
radvd_pid=$!
# Until A has its SLAAC address (from the advertised prefix) and finished its DAD.
for _ in $(seq 100); do
  a ip -6 addr show dev "$if_a" | grep -q "inet6 fd00:77::[0-9a-f:]*/64 scope global dynamic" && break
  sleep 0.1
done
wait_dad "$ns_a"

# 3. NS/NA and an echo; 4. a fragmented echo.
a ping -6 -c 1 -W 2 -I fd00:77::1 fd00:77::2 >/dev/null
a ping -6 -c 1 -W 2 -s 3000 -I fd00:77::1 fd00:77::2 >/dev/null

# 5. UDP and TCP servers on B, bounded by timeouts.
b "$py" - <<'PY' &
import socket
u = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
u.bind(("fd00:77::2", 7777))
t = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
t.bind(("fd00:77::2", 8080))
t.listen(1)
u.settimeout(5)
u.recvfrom(2048)
t.settimeout(5)
c, _ = t.accept()
c.settimeout(5)
data = c.recv(2048)
c.sendall(b"reply: " + data)
c.recv(2048)  # the client's FIN
c.close()
PY
server_pid=$!
for _ in $(seq 50); do
  b ss -ltn 2>/dev/null | grep -q ":8080" && break
  sleep 0.1
done
a "$py" - <<'PY'
import socket, time
u = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
u.bind(("fd00:77::1", 40000))
u.sendto(b"hello udp6\n", ("fd00:77::2", 7777))
time.sleep(0.2)
t = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
t.settimeout(5)
t.bind(("fd00:77::1", 0))
t.connect(("fd00:77::2", 8080))
t.sendall(b"hello tcp6\n")
reply = t.recv(2048)
assert reply == b"reply: hello tcp6\n", reply
t.shutdown(socket.SHUT_WR)
t.recv(2048)  # the server's FIN
t.close()
time.sleep(0.2)
PY
wait "$server_pid"

# 6. Packet Too Big from B (the link to C has MTU 1280); the second echo is sent fragmented.
a ping -6 -c 2 -i 0.5 -W 2 -s 1400 -I fd00:77::1 fd00:77::3 >/dev/null || true

sleep 0.3
kill "$tcpdump_pid"
wait "$tcpdump_pid" 2>/dev/null || true
tcpdump_pid=
cp "$tmp/cap.pcap" "$out"
tcpdump -r "$out" -n -e -vv 2>/dev/null

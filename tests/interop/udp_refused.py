"""The kernel-side UDP probe the fragment tests share: a connected UDP socket sends an
8000-byte datagram (fragmented by the kernel) to a port with no socket and must see
ECONNREFUSED, i.e. the ICMP or ICMPv6 port unreachable that only a reassembled,
checksum-verified datagram gets.

As a program: udp_refused.py HOST [PORT]   (IPv6 when HOST contains ':'; port 9999)
Exit 0 on ECONNREFUSED; otherwise a one-line reason.
"""
import socket
import sys

host = sys.argv[1]
port = int(sys.argv[2]) if len(sys.argv) > 2 else 9999
s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
s.connect((host, port))
s.send(bytes(range(256)) * 31 + bytes(64))  # 8000 bytes
try:
    s.recv(100)
except ConnectionRefusedError:
    sys.exit(0)
except socket.timeout:
    sys.exit("timeout")
sys.exit("no error")

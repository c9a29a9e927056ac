"""The kernel-side client the interop tests share: send everything, half-close
(FIN), and read until the peer closes — the way an echo or nc exchange ends.

As a program: halfclose.py HOST PORT INFILE OUTFILE [TIMEOUT]
As a module:  exchange(host, port, data, timeout) -> bytes received
"""
import os
import socket
import sys
import threading


def set_cc(s):
    """The congestion control named by KERNEL_CC (the benchmarks set it), if any. Set it
    before connect() or listen(): a socket that connects with the namespace's default
    first (bbr on this VM) keeps BBR's request for pacing after the switch, and CUBIC
    then paces at its own rate (with a spoiled first RTT sample, a 1 s SRTT after a lost
    SYN-ACK, that meant 100-200 ms pauses per window)."""
    cc = os.environ.get("KERNEL_CC")
    if cc:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, cc.encode())


def connect(host, port, timeout):
    """A connected socket (IPv6 if HOST has a colon, else IPv4) whose congestion
    control was chosen before the SYN."""
    s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    try:
        set_cc(s)
        s.settimeout(timeout)
        s.connect((host, port))
    except OSError:
        s.close()
        raise
    return s


def exchange(host, port, data, timeout=60):
    s = connect(host, port, timeout)

    def send():
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)

    sender = threading.Thread(target=send)
    sender.start()
    got = bytearray()
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        got += chunk
    sender.join()
    s.close()
    return bytes(got)


if __name__ == "__main__":
    host, port, infile, outfile = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    timeout = float(sys.argv[5]) if len(sys.argv) > 5 else 60
    with open(infile, "rb") as f:
        data = f.read()
    with open(outfile, "wb") as f:
        f.write(exchange(host, port, data, timeout))

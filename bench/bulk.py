"""Bulk transfers for bench/goodput.sh: the kernel-side clients and the kernel
reference servers. The data is RFC 864 chargen's stream (74-byte lines, line n
starting with character n mod 95: period 95 lines = 7030 bytes), the same bytes
`synack serve chargen` produces, so a receiver can check every byte at any offset.

  bulk.py send HOST PORT BYTES TIMEOUT_S
      connect, send BYTES, half-close, read until the peer closes. Prints
      "SECONDS REPLY": connect to the peer's close; REPLY is what the peer sent
      back (the reference discard server's byte count) or "-".
  bulk.py recv HOST PORT BYTES TIMEOUT_S
      connect, read BYTES and check each against the chargen stream. Prints
      "SECONDS ok" (connect to the last byte), "SECONDS mismatch@OFFSET" or, cut
      off by the time-out or the peer, "SECONDS short@BYTES_RECEIVED"; then
      half-closes and reads to the peer's close (at most 30 s) so it can close
      gracefully.
  bulk.py discard-server ADDR PORT   (the kernel reference: counts, replies the count)
  bulk.py chargen-server ADDR PORT   (the kernel reference: chargen until the peer closes)

Every client loop is bounded by TIMEOUT_S; a send that times out prints "dnf".
Run with Debian's /usr/bin/python3 (standard library only).
"""
import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "interop"))
from halfclose import connect, set_cc  # noqa: E402  (KERNEL_CC per socket, before the SYN)

PERIOD = 95 * 74
CHUNK = 1 << 20


def chargen_line(n):
    return bytes(32 + (n + i) % 95 for i in range(72)) + b"\r\n"


# One period plus room for a CHUNK-sized slice starting anywhere in it.
PATTERN = b"".join(chargen_line(n) for n in range(95)) * (2 + CHUNK // PERIOD)


def chunk_at(offset, n):
    o = offset % PERIOD
    return PATTERN[o:o + n]


def send(host, port, size, timeout):
    deadline = time.monotonic() + timeout
    t0 = time.monotonic()
    s = connect(host, port, timeout)
    sent = 0
    while sent < size:
        s.settimeout(max(0.001, deadline - time.monotonic()))
        n = min(CHUNK, size - sent)
        s.sendall(chunk_at(sent, n))
        sent += n
    s.shutdown(socket.SHUT_WR)
    reply = b""
    while True:
        s.settimeout(max(0.001, deadline - time.monotonic()))
        b = s.recv(65536)
        if not b:
            break
        reply += b
    t1 = time.monotonic()
    s.close()
    print("%.3f %s" % (t1 - t0, reply.decode().strip() or "-"))
    return 0


def recv(host, port, size, timeout):
    deadline = time.monotonic() + timeout
    t0 = time.monotonic()
    s = connect(host, port, timeout)
    got, bad = 0, None
    try:
        while got < size:
            s.settimeout(max(0.001, deadline - time.monotonic()))
            b = s.recv(min(1 << 18, size - got))
            if not b:
                break
            want = chunk_at(got, len(b))
            if bad is None and b != want:
                bad = got + next(i for i, (x, y) in enumerate(zip(b, want)) if x != y)
            got += len(b)
    except OSError:  # includes the time-out: report how far it got
        pass
    t1 = time.monotonic()
    if got < size:
        print("%.3f short@%d" % (t1 - t0, got))
        return 1
    print("%.3f %s" % (t1 - t0, "ok" if bad is None else "mismatch@%d" % bad))
    sys.stdout.flush()
    # Graceful end: FIN, then drain what is still in flight until the peer's FIN.
    s.shutdown(socket.SHUT_WR)
    end = time.monotonic() + 30
    try:
        while time.monotonic() < end:
            s.settimeout(max(0.001, end - time.monotonic()))
            if not s.recv(CHUNK):
                break
    except OSError:
        pass
    s.close()
    return 0 if bad is None else 1


def serve(addr, port, handle):
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    set_cc(ls)  # accepted sockets inherit it
    ls.bind((addr, port))
    ls.listen(8)
    while True:
        c, _ = ls.accept()
        threading.Thread(target=handle, args=(c,), daemon=True).start()


def discard_handler(c):
    n = 0
    try:
        while True:
            b = c.recv(CHUNK)
            if not b:
                break
            n += len(b)
        c.sendall(b"%d\n" % n)
    except OSError:
        pass
    c.close()


def chargen_handler(c):
    closed = threading.Event()

    def reader():  # RFC 864: received data is thrown away; stop at the peer's FIN
        try:
            while c.recv(65536):
                pass
        except OSError:
            pass
        closed.set()

    threading.Thread(target=reader, daemon=True).start()
    sent = 0
    try:
        while not closed.is_set():
            c.sendall(chunk_at(sent, CHUNK))
            sent += CHUNK
        c.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    closed.wait(60)
    c.close()


def main():
    cmd = sys.argv[1]
    if cmd in ("send", "recv"):
        host, port, size, timeout = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
        try:
            return (send if cmd == "send" else recv)(host, port, size, timeout)
        except OSError:  # includes socket.timeout
            print("dnf")
            return 1
    handler = {"discard-server": discard_handler, "chargen-server": chargen_handler}[cmd]
    serve(sys.argv[2], int(sys.argv[3]), handler)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Interop security checks (issue 6), run inside the test namespace as root with
Debian's scapy: the kernel holds real connections to `synack serve echo:7`, and
scapy, sniffing tap0 for the live sequence numbers, plays the blind attacker.

    security.py conn         RFC 5961 §3 blind RST, §4 SYN, bad TCP checksum
    security.py isn N        N connections' SYN,ACK ISNs (RFC 6528)
    security.py flood N PID  N spoofed SYNs while kernel clients echo; PID's RSS

Prints one "PASS|FAIL name: numbers" line per check; exits 1 if any failed.
"""
import os
import random
import socket
import sys
import threading
import time

from scapy.all import IP, TCP, AsyncSniffer, Ether, conf

conf.verb = 0
IFACE = "tap0"
KERNEL, SYNACK, PORT = "10.77.0.1", "10.77.0.2", 7
failures = []


def report(ok, name, detail):
    print("%s %s: %s" % ("PASS" if ok else "FAIL", name, detail), flush=True)
    if not ok:
        failures.append(name)


def seq_add(a, n):
    return (a + n) & 0xFFFFFFFF


def seq_delta(a, b):
    """b - a as a signed 32-bit distance (RFC 9293 §3.4 sequence arithmetic)."""
    d = (b - a) & 0xFFFFFFFF
    return d - (1 << 32) if d >= 1 << 31 else d


class Sniff:
    """Frames on tap0 matching a BPF filter, from start() until stop()."""

    def __init__(self, bpf):
        ready = threading.Event()
        # Our own list: AsyncSniffer.results only appears once it stops.
        self.frames = []
        self.s = AsyncSniffer(iface=IFACE, filter=bpf, store=False,
                              prn=self.frames.append, started_callback=ready.set)
        self.s.start()
        if not ready.wait(5):
            raise RuntimeError("sniffer did not start")

    def stop(self, settle=0.3):
        time.sleep(settle)  # the last frames still in the socket buffer
        self.s.stop()
        return list(self.frames)


def raw_sender():
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((IFACE, 0))
    return s


def kernel_mac():
    with open("/sys/class/net/%s/address" % IFACE) as f:
        return f.read().strip()


def seg_end(p):
    t = p[TCP]
    return seq_add(t.seq, len(t.payload) + (1 if t.flags.S else 0) + (1 if t.flags.F else 0))


def tsval(p):
    for kind, value in p[TCP].options:
        if kind == "Timestamp":
            return value[0]
    raise RuntimeError("no timestamp in %s" % p.summary())


class Live:
    """A kernel connection to the echo service and what a sniff tells of it."""

    def __init__(self):
        self.sniff = Sniff("tcp and host %s and port %d" % (SYNACK, PORT))
        self.sock = socket.create_connection((SYNACK, PORT), timeout=5)
        self.kport = self.sock.getsockname()[1]
        self.round = 0

    def echo(self):
        """One round trip; True if exactly the bytes sent come back."""
        self.round += 1
        msg = b"round %d of the live connection\n" % self.round
        self.sock.sendall(msg)
        got = b""
        try:
            while len(got) < len(msg):
                chunk = self.sock.recv(4096)
                if not chunk:
                    break
                got += chunk
        except socket.timeout:
            pass
        return got == msg, got

    def state(self):
        """(synack MAC, RCV.NXT, SND.NXT, timestamps) of synack's end, from the
        frames so far; the connection must be quiet (every segment acknowledged).
        The kernel negotiates timestamps, so a forged non-RST segment must carry
        one to be considered at all (RFC 7323 §3.2: "If a non-<RST> segment is
        received without a TSopt, a TCP SHOULD silently drop the segment"): the
        kernel's last TSval passes PAWS, echoing synack's last TSval."""
        time.sleep(0.3)
        frames = [p for p in self.sniff.frames if TCP in p and self.ours(p)]
        out = [p for p in frames if p[IP].src == SYNACK]
        inn = [p for p in frames if p[IP].src == KERNEL]
        if not out or not inn:
            raise RuntimeError("sniff saw %d/%d frames of the connection" % (len(out), len(inn)))
        ts = [("Timestamp", (tsval(inn[-1]), tsval(out[-1])))]
        return out[-1][Ether].src, seg_end(inn[-1]), seg_end(out[-1]), ts

    def ours(self, p):
        t = p[TCP]
        return (t.sport, t.dport) in ((self.kport, PORT), (PORT, self.kport))

    def frame(self, mac, flags, seq, ack=0, payload=b"", options=()):
        return (Ether(src=kernel_mac(), dst=mac) / IP(src=KERNEL, dst=SYNACK) /
                TCP(sport=self.kport, dport=PORT, flags=flags, seq=seq, ack=ack,
                    window=65535, options=list(options)) / payload)

    def after(self, n_before):
        """synack's segments of this connection sniffed after the first n_before."""
        time.sleep(0.5)
        frames = list(self.sniff.frames)[n_before:]
        return [p for p in frames if TCP in p and self.ours(p) and p[IP].src == SYNACK]


def challenge_check(live, tx, name, flags, seq_fn):
    """Inject one segment as the client; expect exactly a challenge ACK
    <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> (RFC 5961 §3.2, §4.2) and a live echo."""
    mac, rcv_nxt, snd_nxt, ts = live.state()
    seq = seq_fn(rcv_nxt)
    n = len(live.sniff.frames)
    tx.send(bytes(live.frame(mac, flags, seq, options=() if flags == "R" else ts)))
    replies = live.after(n)
    acks = [p for p in replies if str(p[TCP].flags) == "A" and len(p[TCP].payload) == 0]
    good = [p for p in acks if p[TCP].seq == snd_nxt and p[TCP].ack == rcv_nxt]
    alive, got = live.echo()
    desc = ", ".join("%s seq=%d ack=%d" % (p[TCP].flags, p[TCP].seq, p[TCP].ack)
                     for p in replies) or "nothing"
    report(len(good) == 1 and len(replies) == 1 and alive, name,
           "sent %s seq=RCV.NXT%+d; synack replied [%s]; expected one A seq=%d ack=%d; "
           "echo afterwards %s" % (flags, seq_delta(rcv_nxt, seq), desc, snd_nxt, rcv_nxt,
                                   "ok" if alive else "FAILED (%r)" % got))


def bad_checksum_check(live, tx):
    """A data segment exactly at RCV.NXT with a wrong TCP checksum must vanish:
    no ACK, no echo (RFC 9293 §3.1, MUST-3: the receiver checks the checksum)."""
    mac, rcv_nxt, snd_nxt, ts = live.state()
    payload = b"BAD CHECKSUM, MUST NOT BE ECHOED\n"
    f = live.frame(mac, "PA", rcv_nxt, snd_nxt, payload, ts)
    good_sum = Ether(bytes(f))[TCP].chksum
    f[TCP].chksum = good_sum ^ 0x5A5A
    n = len(live.sniff.frames)
    tx.send(bytes(f))
    replies = live.after(n)
    # The kernel's next bytes go at the same RCV.NXT: had synack taken the bad
    # segment, the echo would carry its payload instead.
    alive, got = live.echo()
    desc = ", ".join("%s seq=%d ack=%d len=%d" % (p[TCP].flags, p[TCP].seq, p[TCP].ack,
                                                  len(p[TCP].payload)) for p in replies)
    report(not replies and alive and payload not in got, "bad-checksum (packets)",
           "sent %d bytes at RCV.NXT=%d with chksum 0x%04x (good 0x%04x); synack replied [%s]; "
           "next echo %s" % (len(payload), rcv_nxt, f[TCP].chksum, good_sum, desc or "nothing",
                             "exact" if alive else "WRONG %r" % got))


def conn():
    live = Live()
    tx = raw_sender()
    ok, got = live.echo()
    if not ok:
        report(False, "setup", "first echo returned %r" % got)
        return
    challenge_check(live, tx, "blind-rst", "R", lambda rcv_nxt: seq_add(rcv_nxt, 1000))
    # RFC 5961 §4.2: any SYN on a synchronized connection, whatever its SEQ. One
    # inside the window: RFC 793 would have reset the connection for it, and one
    # outside would get the same ACK from the plain sequence check instead.
    challenge_check(live, tx, "syn-established", "S", lambda rcv_nxt: seq_add(rcv_nxt, 1000))
    bad_checksum_check(live, tx)
    live.sock.close()
    live.sniff.stop()


def isn(count):
    sniff = Sniff("tcp and src host %s and src port %d and tcp[tcpflags] & tcp-syn != 0"
                  % (SYNACK, PORT))
    for i in range(count):
        s = socket.create_connection((SYNACK, PORT), timeout=5)
        s.close()
    synacks = [p for p in sniff.stop() if p[TCP].flags.S and p[TCP].flags.A]
    ports = {}
    for p in synacks:  # one ISN per connection, even if a SYN,ACK was retransmitted
        ports.setdefault(p[TCP].dport, p[TCP].seq)
    isns = list(ports.values())
    ok, detail = isn_verdict(isns)
    report(ok and len(isns) == count, "isn", detail)


def isn_verdict(isns):
    """RFC 6528 §3: ISNs an off-path attacker cannot predict from earlier ones:
    no constant step, few small steps, no monotonic run over all of them."""
    d = [seq_delta(a, b) for a, b in zip(isns, isns[1:])]
    equal = sum(1 for a, b in zip(d, d[1:]) if a == b)
    small = sum(1 for x in d if abs(x) < 1 << 20)
    up = sum(1 for x in d if x > 0)
    ok = len(d) > 1 and equal == 0 and small < 5 and 0 < up < len(d)
    return ok, ("%d ISNs; equal consecutive deltas %d (want 0), |delta| < 2^20: %d of %d "
                "(want < 5), increasing %d/%d (want neither all nor none); first %s"
                % (len(isns), equal, small, len(d), up, len(d), [hex(x) for x in isns[:4]]))


def syn_frames(n, mac):
    """n SYNs from random 10.77.1.0-10.77.255.255 addresses (inside the test
    prefix, off the kernel's /24: nobody answers synack's ARP for them)."""
    base = Ether(src="02:00:00:00:00:01", dst=mac) / IP(src="10.77.1.1", dst=SYNACK) / \
        TCP(sport=1024, dport=PORT, flags="S", seq=0, window=65535,
            options=[("MSS", 1460)])
    out = []
    for _ in range(n):
        base[IP].src = "10.77.%d.%d" % (random.randint(1, 255), random.randint(1, 254))
        base[TCP].sport = random.randint(1024, 65535)
        base[TCP].seq = random.getrandbits(32)
        base[IP].chksum = None
        base[TCP].chksum = None
        out.append(bytes(base))
    return out


def vm_hwm(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])  # kB
    raise RuntimeError("no VmHWM for pid %d" % pid)


def client(name, results, size=65536):
    t0 = time.monotonic()
    data = os.urandom(size)
    try:
        s = socket.create_connection((SYNACK, PORT), timeout=15)
        t1 = time.monotonic()
        s.settimeout(15)
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        got = bytearray()
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            got += chunk
        s.close()
        results[name] = (bytes(got) == data, "connect %.2f s, %d/%d bytes back%s"
                         % (t1 - t0, len(got), size, "" if bytes(got) == data else " DIFFER"))
    except OSError as e:
        results[name] = (False, "%r after %.2f s" % (e, time.monotonic() - t0))


def flood(count, pid):
    # synack's MAC: from its ARP reply to the kernel (the first echo sets it up).
    live = Live()
    mac = live.state()[0]
    live.sock.close()
    live.sniff.stop()
    before = vm_hwm(pid)
    frames = syn_frames(count, mac)
    arp = Sniff("arp and src host %s" % SYNACK)
    tx = raw_sender()
    results = {}
    during = threading.Thread(target=client, args=("during", results))
    t0 = time.monotonic()
    sent, started = 0, False
    for i, f in enumerate(frames):
        if time.monotonic() - t0 > 20:  # bound the time, whatever the pace
            break
        tx.send(f)
        sent += 1
        if i == count // 2:
            during.start()
            started = True
    if not started:
        during.start()
    elapsed = time.monotonic() - t0
    client("after", results)  # the SYN queue is full of spoofed entries by now
    during.join(30)
    arps = [p for p in arp.stop(1.0)]
    after = vm_hwm(pid)
    for name in ("during", "after"):
        ok, detail = results.get(name, (False, "no result"))
        report(ok, "flood-client-" + name, detail)
    targets = {p.pdst for p in arps if p.op == 1}
    report(after < 200 * 1024, "flood-rss",
           "%d spoofed SYNs sent in %.2f s; synack VmHWM %d KiB before, %d KiB after "
           "(limit 204800); synack sent %d ARP requests for %d addresses meanwhile"
           % (sent, elapsed, before, after, len(arps), len(targets)))


def main():
    random.seed()
    cmd = sys.argv[1]
    if cmd == "conn":
        conn()
    elif cmd == "isn":
        isn(int(sys.argv[2]))
    elif cmd == "flood":
        flood(int(sys.argv[2]), int(sys.argv[3]))
    else:
        sys.exit("unknown command " + cmd)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()

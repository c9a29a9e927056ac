"""Sequential request/response flows from a kernel client, timed one by one.

Each flow: connect, send BYTES (then half-close), read until the server closes, and
check that exactly the bytes sent came back (an echo server). Prints one line:

  flows N bytes B: p50 X ms p90 X ms p99 X ms max X ms failed F

Usage: flows.py HOST PORT FLOWS BYTES [TIMEOUT_S]
Run with Debian's /usr/bin/python3 (standard library only). Every loop is bounded:
FLOWS flows, each at most TIMEOUT_S seconds (default 30).
"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "interop"))
import halfclose  # noqa: E402  (the interop tests' client: send all, half-close, read to EOF)


def one_flow(host, port, data, timeout):
    return halfclose.exchange(host, port, data, timeout) == data


def percentile(sorted_ms, p):
    if not sorted_ms:
        return float("nan")
    k = min(len(sorted_ms) - 1, max(0, int(round(p / 100.0 * len(sorted_ms) + 0.5)) - 1))
    return sorted_ms[k]


def main():
    host, port, flows, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    timeout = float(sys.argv[5]) if len(sys.argv) > 5 else 30.0
    data = os.urandom(size)
    times, failed = [], 0
    for _ in range(flows):
        t0 = time.monotonic()
        try:
            ok = one_flow(host, port, data, timeout)
        except OSError:
            ok = False
        t1 = time.monotonic()
        if ok:
            times.append((t1 - t0) * 1000.0)
        else:
            failed += 1
    times.sort()
    print(
        "flows %d bytes %d: p50 %.2f ms p90 %.2f ms p99 %.2f ms max %.2f ms failed %d"
        % (flows, size, percentile(times, 50), percentile(times, 90), percentile(times, 99),
           times[-1] if times else float("nan"), failed)
    )
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

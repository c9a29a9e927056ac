#!/usr/bin/env python3
"""Runs build/synack_bench once and prints a Markdown table of each synack benchmark
next to its baseline from the same run (checksum vs memcpy at the same size)."""
import json
import subprocess
import sys

exe = sys.argv[1] if len(sys.argv) > 1 else "build/synack_bench"
out = subprocess.run([exe, "--benchmark_format=json", "--benchmark_repetitions=3",
                      "--benchmark_report_aggregates_only=true"],
                     check=True, capture_output=True, text=True).stdout
rows = {}
for b in json.loads(out)["benchmarks"]:
    if b.get("aggregate_name") != "median":
        continue
    name, arg = b["run_name"].split("/")
    rows.setdefault(int(arg), {})[name] = b["bytes_per_second"] / 1e9

print("| bytes | checksum GB/s | memcpy GB/s | checksum / memcpy |")
print("| ---: | ---: | ---: | ---: |")
for size in sorted(rows):
    c, m = rows[size]["BM_Checksum"], rows[size]["BM_Memcpy"]
    print(f"| {size} | {c:.2f} | {m:.2f} | {c / m:.2f} |")

#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz) with clang and runs each one for
# FUZZ_SECONDS (default 60), two at a time, on a scratch copy of its seed corpus.
# Prints one summary line per target; exits non-zero if any target crashed.
#
#   FUZZ_SECONDS=5 scripts/fuzz.sh            # quick check
#   BUILD_DIR=/tmp/fz scripts/fuzz.sh          # another build directory
#
# Installs nothing: needs clang++ (with libFuzzer), cmake and ninja on PATH.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build-fuzz}
seconds=${FUZZ_SECONDS:-60}
targets=(fuzz_ethernet fuzz_arp fuzz_ipv4 fuzz_icmp fuzz_udp fuzz_tcp fuzz_tcp_options
  fuzz_ipv6 fuzz_icmpv6 fuzz_stack fuzz_script fuzz_capture fuzz_reassembly)

CXX=clang++ cmake -S "$root" -B "$build" -G Ninja -DSYNACK_FUZZ=ON -DSYNACK_WERROR=ON \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C "$build" -j2 "${targets[@]}" >/dev/null

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
# UBSan reports in the libraries are recoverable by default: make them crash.
export UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1
export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1

run_one() {
  local t=$1
  mkdir -p "$scratch/$t/corpus" "$scratch/$t/artifacts"
  cp "$root/tests/fuzz/corpus/$t/"* "$scratch/$t/corpus/"
  local rc=0
  "$build/tests/fuzz/$t" -max_total_time="$seconds" -print_final_stats=1 \
    -artifact_prefix="$scratch/$t/artifacts/" "$scratch/$t/corpus" \
    >"$scratch/$t/log" 2>&1 || rc=$?
  echo "$rc" >"$scratch/$t/rc"
}

# Two at a time (the machine has two cores).
for ((i = 0; i < ${#targets[@]}; i += 2)); do
  run_one "${targets[i]}" &
  if ((i + 1 < ${#targets[@]})); then run_one "${targets[i + 1]}" & fi
  wait
done

failed=0
for t in "${targets[@]}"; do
  rc=$(cat "$scratch/$t/rc")
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$scratch/$t/log" | grep -o '[0-9]*$' || true)
  cov=$(grep -o 'cov: [0-9]*' "$scratch/$t/log" | tail -1 | grep -o '[0-9]*' || true)
  ft=$(grep -o 'ft: [0-9]*' "$scratch/$t/log" | tail -1 | grep -o '[0-9]*' || true)
  corp=$(find "$scratch/$t/corpus" -type f | wc -l)
  if [[ $rc -eq 0 ]]; then
    status=ok
  else
    status="CRASH (exit $rc)"
    failed=1
    mkdir -p "$build/fuzz-crashes/$t"
    cp "$scratch/$t/artifacts/"* "$build/fuzz-crashes/$t/" 2>/dev/null || true
    cp "$scratch/$t/log" "$build/fuzz-crashes/$t/log"
    grep -m1 -E 'ERROR|runtime error|deadly signal' "$scratch/$t/log" >&2 || true
  fi
  printf '%-18s %-16s runs %-10s cov %-6s ft %-6s corpus %s\n' "$t" "$status" "${runs:-?}" \
    "${cov:-?}" "${ft:-?}" "$corp"
done
if ((failed)); then
  echo "fuzz.sh: crash inputs and logs saved under $build/fuzz-crashes/" >&2
fi
exit "$failed"

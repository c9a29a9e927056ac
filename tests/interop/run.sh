#!/usr/bin/env bash
# Runs every tests/interop/test_*.sh against the real synack binary. Each test makes its
# own network namespace and deletes it on exit. Prints "interop: N passed, M failed".
set -u
SYNACK=$(readlink -f "${1:?usage: run.sh path/to/synack}")
cd "$(dirname "$0")"
pass=0 fail=0 skip=0
if [ "$(id -u)" -ne 0 ]; then
  echo "interop: skipped: needs root for network namespaces and /dev/net/tun"
  exit 0
fi
for t in test_*.sh; do
  [ -e "$t" ] || continue
  echo "-- $t"
  if timeout 600 bash "$t" "$SYNACK"; then pass=$((pass + 1)); else
    echo "FAIL $t"; fail=$((fail + 1)); fi
done
echo "interop: $pass passed, $fail failed"
[ "$fail" -eq 0 ]

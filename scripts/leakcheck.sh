#!/usr/bin/env bash
# Valgrind memcheck of the real `synack sim` binary: every scenario (and two over
# IPv6, --ip6: NDP, DAD, ICMPv6 and TCP over IPv6), with a pcapng capture written, must end with no leak (definite or indirect), no invalid read or
# write and no use of uninitialised memory. (LeakSanitizer already runs over every
# unit, script and simulator test in the ASan pass of `./x test`; this covers the
# program itself: CLI, ladder printer, pcapng writer, world teardown.)
#
#   scripts/leakcheck.sh [path/to/synack]
set -euo pipefail

synack=${1:-build/synack}
command -v valgrind >/dev/null || { echo "leakcheck: valgrind not installed" >&2; exit 2; }
[ -x "$synack" ] || { echo "leakcheck: no binary at $synack" >&2; exit 2; }

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

failed=0
count=0
while read -r scenario flags; do
  count=$((count + 1))
  run="$scenario${flags:+-ip6}"
  log="$scratch/$run.log"
  # shellcheck disable=SC2086  # flags: a word list, or nothing
  if valgrind --quiet --leak-check=full --show-leak-kinds=definite,indirect \
    --errors-for-leak-kinds=definite,indirect --error-exitcode=99 --log-file="$log" \
    "$synack" sim "$scenario" $flags --seed 7 --pcap "$scratch/$run.pcapng" >/dev/null 2>&1; then
    printf 'leakcheck %-20s ok\n' "$run"
  else
    rc=$?
    printf 'leakcheck %-20s FAILED (exit %s)\n' "$run" "$rc"
    sed -n 1,40p "$log"
    failed=1
  fi
done < <("$synack" sim --list | awk '{print $1}'; printf '%s --ip6\n' ping-udp request-response)

if [ "$count" -eq 0 ]; then
  echo "leakcheck: 'synack sim --list' listed no scenario" >&2
  exit 1
fi
exit "$failed"

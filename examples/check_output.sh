#!/bin/sh
# check_output.sh PROGRAM EXPECTED: PROGRAM exits 0 and prints exactly EXPECTED.
out=$(mktemp) || exit 1
trap 'rm -f "$out"' EXIT
timeout 30 "$1" >"$out" || { echo "$1 exited $?"; cat "$out"; exit 1; }
diff -u "$2" "$out"

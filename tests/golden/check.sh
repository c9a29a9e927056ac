#!/usr/bin/env bash
# Golden ladders: runs every case of tests/golden/cases.sh and compares its output with
# the committed tests/golden/NAME.txt. An intended change is committed with the new
# golden files: scripts/update-golden.sh rewrites them and shows the diff.
set -u
SYNACK=${1:?usage: check.sh path/to/synack}
root=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=cases.sh
. "$root/tests/golden/cases.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
while IFS='|' read -r name args; do
  want=$root/tests/golden/$name.txt
  # shellcheck disable=SC2086  # ARGS is a word list
  (cd "$root" && "$SYNACK" $args) >"$tmp/out" 2>"$tmp/err"
  rc=$?
  # Paths inside the output are relative to the repository.
  sed -i "s|$root/||g" "$tmp/out"
  if [ ! -f "$want" ]; then
    echo "FAIL $name: no golden file $want (run scripts/update-golden.sh)"
    fail=$((fail + 1))
  elif [ $rc -ne 0 ]; then
    echo "FAIL $name: synack $args exited $rc: $(head -1 "$tmp/err")"
    fail=$((fail + 1))
  elif ! diff -u "$want" "$tmp/out" >"$tmp/diff"; then
    echo "FAIL $name: output differs from $want (synack $args):"
    head -40 "$tmp/diff"
    fail=$((fail + 1))
  else
    pass=$((pass + 1))
  fi
done < <(golden_cases "$SYNACK" "$root")
echo "golden: $pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]

#!/usr/bin/env bash
# Rewrites tests/golden/*.txt and the outputs in docs/TOUR.md from the current build
# and shows what changed. Run it
# after an intended change to what `synack sim` or `synack trace` prints, read the
# diff, and commit the golden files with the change.
#   scripts/update-golden.sh [path/to/synack]     (default: build/synack)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
SYNACK=$(realpath "${1:-$root/build/synack}")
# shellcheck source=../tests/golden/cases.sh
. "$root/tests/golden/cases.sh"
n=0
while IFS='|' read -r name args; do
  # shellcheck disable=SC2086
  (cd "$root" && "$SYNACK" $args) >"$root/tests/golden/$name.txt" 2>/dev/null || true
  sed -i "s|$root/||g" "$root/tests/golden/$name.txt"
  n=$((n + 1))
done < <(golden_cases "$SYNACK" "$root")
echo "wrote $n golden files"
# docs/TOUR.md shows real output too: rewrite it the same way.
/usr/bin/python3 "$root/tests/docs/tour.py" "$(dirname "$SYNACK")" --update
/usr/bin/python3 "$root/tests/docs/tour.py" "$(dirname "$SYNACK")" --doc docs/CLI.md --update
git -C "$root" add -N tests/golden 2>/dev/null || true
git -C "$root" add -N docs/tour 2>/dev/null || true
git -C "$root" --no-pager diff --stat -- tests/golden docs/TOUR.md docs/CLI.md docs/tour
git -C "$root" --no-pager diff -- tests/golden docs/TOUR.md docs/CLI.md docs/tour

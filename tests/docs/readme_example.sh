#!/usr/bin/env bash
# README.md shows examples/two_stacks.cpp and its output in full: both copies must be
# the files themselves (the program is built and its output checked by ctest
# examples.two_stacks).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
# The fenced block after the marker line, and the next fenced block after "It prints:".
awk '/^<!-- examples\/two_stacks.cpp -->$/ { on = 1; next }
     on == 1 && /^```cpp$/ { on = 2; next }
     on == 2 && /^```$/ { exit }
     on == 2 { print }' "$root/README.md" >"${TMPDIR:-/tmp}/readme_two_stacks.$$"
trap 'rm -f "${TMPDIR:-/tmp}/readme_two_stacks.$$" "${TMPDIR:-/tmp}/readme_two_stacks_out.$$"' EXIT
diff -u "$root/examples/two_stacks.cpp" "${TMPDIR:-/tmp}/readme_two_stacks.$$"
awk '/^<!-- examples\/two_stacks.cpp -->$/ { on = 1 }
     on == 1 && /^It prints:$/ { on = 2; next }
     on == 2 && /^```$/ { if (in_block) exit; in_block = 1; next }
     on == 2 && in_block { print }' "$root/README.md" >"${TMPDIR:-/tmp}/readme_two_stacks_out.$$"
diff -u "$root/examples/expected/two_stacks.txt" "${TMPDIR:-/tmp}/readme_two_stacks_out.$$"
echo "README.md: examples/two_stacks.cpp and its output are the files"

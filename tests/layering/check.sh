#!/usr/bin/env bash
# The layering of docs/DESIGN.md, enforced by the build: each layer compiles against
# build/layers/<layer>, which holds only that layer and the ones below it. For every
# layer this compiles one header of each other layer against that directory and
# checks that exactly the allowed ones compile (-fsyntax-only; system headers of the
# dependencies come from the same flags the build uses).
# usage: check.sh CXX LAYERS_DIR "SYSTEM_INCLUDE_FLAGS"
set -euo pipefail
cxx=$1 layers=$2 extra=${3:-}
# One representative header per layer.
declare -A header=(
  [base]=base/bytes.hpp [wire]=wire/tcp.hpp [tcp]=tcp/tcb.hpp [stack]=stack/stack.hpp
  [api]=api/socket.hpp [link]=link/link.hpp [services]=services/services.hpp
  [script]=script/script.hpp [sim]=sim/network.hpp
)
# What each layer may include (itself and below), as CMakeLists.txt declares it.
declare -A allowed=(
  [base]="base" [wire]="base wire" [tcp]="base wire tcp" [stack]="base wire tcp stack"
  [api]="base wire tcp stack api" [link]="base wire tcp stack link"
  [services]="base wire tcp stack api link services" [script]="base wire script"
  [sim]="base wire tcp stack link sim"
)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0 checked=0
for layer in "${!allowed[@]}"; do
  for other in "${!header[@]}"; do
    printf '#include "synack/%s"\nint main() {}\n' "${header[$other]}" > "$tmp/t.cpp"
    # shellcheck disable=SC2086
    if "$cxx" -std=c++20 -fsyntax-only -I"$layers/$layer" $extra "$tmp/t.cpp" 2> "$tmp/err"; then
      ok=yes
    else
      ok=no
    fi
    want=no
    [[ " ${allowed[$layer]} " == *" $other "* ]] && want=yes
    checked=$((checked + 1))
    if [[ $ok != "$want" ]]; then
      echo "FAIL: $layer including $other: compiles=$ok, should be $want"
      [[ $ok == no ]] && head -3 "$tmp/err"
      fail=1
    fi
  done
done
echo "layering: $checked layer/header pairs checked"
exit $fail

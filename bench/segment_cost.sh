#!/usr/bin/env bash
# Instructions per data segment, send side and receive side, counted by callgrind in
# build/synack_segcost (bench/segment_cost.cpp: two Stacks back to back on a virtual
# clock, so a run under valgrind sends exactly the segments a native run sends).
#
# For each MTU and side, one valgrind run that collects only inside that side's
# function (--toggle-collect): its total Ir over the segments of the measured phase,
# and the part spent in memcpy/memmove (the payload copies: into the send buffer,
# into and out of the receive buffer) and in the Internet checksum (sum_*, Checksum::).
# glibc copies blocks of 2 KiB and more with `rep movsb`, which valgrind counts as one
# instruction per byte; GLIBC_TUNABLES raises that threshold so that every copy runs
# glibc's vector loop and is counted as the instructions it executes (set
# SEGCOST_ERMS=1 to keep glibc's default).
#
# Usage: bench/segment_cost.sh build/synack_segcost [SEGMENTS=20000] [MTUS="1500 9000"]
set -euo pipefail
SEGCOST=$(readlink -f "${1:?usage: segment_cost.sh build/synack_segcost [SEGMENTS] [MTUS]}")
SEGMENTS=${2:-20000}
MTUS=${3:-1500 9000}
command -v valgrind >/dev/null || { echo "segment_cost.sh: needs valgrind" >&2; exit 2; }
WORK=$(mktemp -d /tmp/synack-segcost-XXXXXX)
trap 'rm -rf "$WORK"' EXIT
if [ "${SEGCOST_ERMS:-0}" != 1 ]; then
  export GLIBC_TUNABLES=glibc.cpu.x86_rep_movsb_threshold=1000000000
fi

# ir FILE PATTERN: the Ir of the functions whose names match PATTERN (exclusive).
ir() {
  callgrind_annotate --auto=no --threshold=100 "$1" 2>/dev/null |
    awk -v pat="$2" '$0 ~ pat { gsub(",", "", $1); s += $1 } END { printf "%d", s }'
}

echo "| MTU | side | instructions per segment | of which memcpy | of which checksum | the rest | segments |"
echo "| ---: | --- | ---: | ---: | ---: | ---: | ---: |"
for mtu in $MTUS; do
  for side in send_side receive_side; do
    out="$WORK/cg-$mtu-$side.out"
    line=$(valgrind --tool=callgrind --collect-atstart=no --toggle-collect="*$side*" \
      --callgrind-out-file="$out" "$SEGCOST" "$mtu" "$SEGMENTS" 2>"$WORK/valgrind.log")
    segs=$(awk '{ for (i = 1; i < NF; i++) if ($i == "segments") print $(i + 1) }' <<<"$line")
    total=$(callgrind_annotate --auto=no "$out" 2>/dev/null | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }')
    copy=$(ir "$out" "mem(cpy|move)")
    sum=$(ir "$out" "sum_avx2|sum_scalar|Checksum::|internet_checksum|ipv4_header_checksum")
    awk -v m="$mtu" -v side="${side%_side}" -v t="$total" -v c="$copy" -v k="$sum" -v n="$segs" 'BEGIN {
      printf "| %d | %s | %.0f | %.0f | %.0f | %.0f | %d |\n", m, side, t / n, c / n, k / n, (t - c - k) / n, n }'
  done
done

#!/usr/bin/env bash
# Loss both ways at 2 % and 10 %: frames toward synack are dropped by synack's own
# --impair loss=P (its receive path); frames from synack by an nftables rule on
# the TAP's ingress in the namespace (never the kernel's egress: a local drop
# there is not loss, the kernel learns of it). Echo transfers stay byte-exact,
# and both sides really retransmitted. `dir=in` limits synack's impairment to its
# receive path, so each direction loses P exactly once.
NAME=loss
source "$(dirname "$0")/lib.sh"
setup_ns

run_case() {
  local pct=$1 bytes=$2 seed=$3
  nsx nft add table netdev synloss
  nsx nft add chain netdev synloss in "{ type filter hook ingress device $TAP priority 0; }"
  nsx nft add rule netdev synloss in numgen random mod 100 "<" "$pct" counter drop
  local p
  p=$(awk -v n="$pct" 'BEGIN { printf "%.2f", n / 100 }')
  head -c "$bytes" /dev/urandom >"$WORK/in"
  local before
  before=$(nsx nstat -saz TcpRetransSegs | awk '/TcpRetransSegs/ { print $2 }')
  start_synack "$WORK/serve$pct.log" serve --log info --impair "loss=$p,seed=$seed,dir=in" \
    --pcap "$WORK/loss$pct.pcapng" echo:7
  local t0 t1
  t0=$(date +%s.%N)
  nsx timeout 200 /usr/bin/python3 "$HERE/halfclose.py" 10.77.0.2 7 "$WORK/in" "$WORK/out" 60 ||
    fail "$pct %: client failed"
  t1=$(date +%s.%N)
  stop_synack
  cmp "$WORK/in" "$WORK/out" || fail "$pct %: echo differs"
  local after dropped syn_rtx imp_lost
  after=$(nsx nstat -saz TcpRetransSegs | awk '/TcpRetransSegs/ { print $2 }')
  dropped=$(nsx nft list chain netdev synloss in | awk '/counter/ { for (i = 1; i <= NF; i++) if ($i == "packets") print $(i + 1) }')
  # synack's capture sees its own frames before they meet the nft drop, so its
  # retransmissions are in it (the stats line counts them too, per connection).
  syn_rtx=$(tshark -r "$WORK/loss$pct.pcapng" -d tcp.port==7,data \
    -Y 'ip.src == 10.77.0.2 && (tcp.analysis.retransmission || tcp.analysis.fast_retransmission)' \
    2>/dev/null | wc -l)
  imp_lost=$(grep -o 'impair_in_lost=[0-9]*' "$WORK/serve$pct.log" | cut -d= -f2)
  echo "loss $pct %: $bytes bytes echoed exact in $(echo "$t0 $t1" | awk '{printf "%.1f", $2 - $1}') s;" \
    "synack->kernel dropped by nft: $dropped, synack retransmitted: $syn_rtx;" \
    "kernel->synack dropped by --impair: $imp_lost, kernel retransmitted: $((after - before))"
  [ "${dropped:-0}" -gt 0 ] && [ "${syn_rtx:-0}" -gt 0 ] || fail "$pct %: synack did not retransmit"
  [ "${imp_lost:-0}" -gt 0 ] && [ "$((after - before))" -gt 0 ] ||
    fail "$pct %: the kernel did not retransmit"
  check_pcap "$WORK/loss$pct.pcapng" any 7
  # Loss recovery with SACK both ways (RFC 2018): both SYNs offered SACK-permitted, and
  # under this loss each side reported holes with SACK blocks to the other.
  local sackok sack_to_synack sack_from_synack
  sackok=$(tshark -r "$WORK/loss$pct.pcapng" -Y 'tcp.flags.syn == 1 && tcp.option_kind == 4' 2>/dev/null | wc -l)
  sack_to_synack=$(tshark -r "$WORK/loss$pct.pcapng" -Y 'ip.src == 10.77.0.1 && tcp.options.sack_le' 2>/dev/null | wc -l)
  sack_from_synack=$(tshark -r "$WORK/loss$pct.pcapng" -Y 'ip.src == 10.77.0.2 && tcp.options.sack_le' 2>/dev/null | wc -l)
  echo "loss $pct %: SYNs with SACK-permitted $sackok, ACKs with SACK blocks: kernel->synack $sack_to_synack, synack->kernel $sack_from_synack"
  [ "$sackok" -ge 2 ] && [ "$sack_to_synack" -gt 0 ] && [ "$sack_from_synack" -gt 0 ] ||
    fail "$pct %: SACK was not used both ways"
  # synack repaired its own losses by SACK recovery (its stats line counts them).
  local recoveries
  recoveries=$(grep -o 'svc_sack_recoveries=[0-9]*' "$WORK/serve$pct.log" | cut -d= -f2)
  echo "loss $pct %: synack $(grep -o 'svc_retransmitted_segs=.*' "$WORK/serve$pct.log")"
  [ "${recoveries:-0}" -gt 0 ] || fail "$pct %: synack never recovered by SACK"
  nsx nft delete table netdev synloss
}

run_case 2 1048576 11
run_case 10 131072 12

# The golden cases: NAME|ARGS. Each is `synack ARGS` with its stdout kept in
# tests/golden/NAME.txt. Sourced by tests/golden/check.sh and scripts/update-golden.sh.
# Every `synack sim` scenario at its default seed, over IPv4 and (sim6-*, all but
# attack, which is IPv4 only) over IPv6, and `synack trace` on the captures of the
# kernel's own traffic in tests/vectors.
golden_cases() {
  local synack=$1 root=$2 sc
  for sc in $("$synack" sim --list | awk '{print $1}'); do
    echo "sim-$sc|sim $sc"
  done
  echo "sim-loss-compare|sim loss --compare"
  for sc in $("$synack" sim --list | awk '$1 != "attack" {print $1}'); do
    echo "sim6-$sc|sim $sc --ip6"
  done
  echo "sim6-loss-compare|sim loss --compare --ip6"
  local v
  for v in "$root"/tests/vectors/*.pcap; do
    local name
    name=$(basename "$v" .pcap)
    echo "trace-$name|trace $v"
    echo "trace-$name-list|trace --list $v"
  done
}

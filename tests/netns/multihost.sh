#!/usr/bin/env bash
# Multi-host deployment test (issue 9, DESIGN §2.5): the four daemons and the
# operator's cogovctl each on a "host" of their own — a network namespace
# joined to a private test subnet by a veth pair to a bridge — talking over
# tcp:// with CURVE and the ZAP allow-list. It shows:
#   1. an admission on coordination's host turning into a welcome notice on
#      the secretariat's host (the reaction crosses hosts over TCP);
#   2. a client whose key is not on the allow-list gets nothing, and
#      coordination logs event=auth.refused with the stranger's address;
#   3. the secretariat killed (-9) on its host misses an admission, and once
#      restarted there catches up: one welcome per admitted unit, no more.
# Needs root (namespaces); otherwise it exits 77, which CTest reports as
# skipped with the reason printed. Everything it makes carries the prefix
# cgmh-<pid in hex>- and lives inside its own namespaces (the bridge too), so
# nothing on the machine outside them is touched; a sweep before and after
# removes namespaces left by an earlier run whose process is gone. Daemons run
# under setpriv --pdeathsig KILL, so they die with this script.
set -euo pipefail

T0=$(date +%s%N)
say() { printf '# [%5d ms] %s\n' $(( ($(date +%s%N) - T0) / 1000000 )) "$*"; }
fail() { printf 'FAIL: %s\n' "$*"; exit 1; }

if [ "$(id -u)" != 0 ]; then
  echo "SKIP: needs root to create network namespaces"
  exit 77
fi
for t in ip setpriv ss; do
  command -v "$t" >/dev/null || { echo "SKIP: $t not installed (iproute2, util-linux)"; exit 77; }
done
for v in COGOV_COORDINATION COGOV_SECRETARIAT COGOV_INCENTIVES COGOV_SUPERVISION COGOVCTL; do
  [ -x "${!v:-}" ] || fail "$v is not set to an executable (run through ctest)"
done

ID=$(printf '%x' $$)
PFX="cgmh-$ID"
HOSTS=(coordination secretariat incentives supervision ctl)
NET=10.77.0

# Remove namespaces of earlier runs whose process is gone (and what runs
# in them). Only names with our prefix shape are considered.
sweep() {
  local ns pid
  for ns in $(ip netns list | awk '{print $1}' | grep -E '^cgmh-[0-9a-f]+-' || true); do
    pid=$((16#$(echo "$ns" | cut -d- -f2)))
    if [ "${1:-}" = all-mine ] && [ "$pid" = $$ ]; then :
    elif kill -0 "$pid" 2>/dev/null; then continue
    fi
    ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
    ip netns del "$ns" 2>/dev/null || true
  done
}
sweep

WORK=$(mktemp -d /tmp/cogov-netns.XXXXXX)
declare -A PID
cleanup() {
  local rc=$?
  for h in "${!PID[@]}"; do kill -TERM "${PID[$h]}" 2>/dev/null || true; done
  wait 2>/dev/null || true
  sweep all-mine
  if [ $rc != 0 ] || [ -n "${COGOV_KEEP:-}" ]; then
    say "work directory kept: $WORK"
    for l in "$WORK"/*.log; do [ -e "$l" ] || continue; echo "---- $l"; tail -n 20 "$l"; done
  else
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT

# ---- the network: a bridge in a hub namespace, one veth per host ---------
if ! ip netns add "$PFX-hub" 2>"$WORK/ns.err"; then
  echo "SKIP: cannot create a network namespace: $(cat "$WORK/ns.err")"
  exit 77
fi
ip -n "$PFX-hub" link set lo up
ip -n "$PFX-hub" link add br0 type bridge
ip -n "$PFX-hub" link set br0 up
i=0
for h in "${HOSTS[@]}"; do
  i=$((i + 1))
  ip netns add "$PFX-$h"
  ip -n "$PFX-$h" link set lo up
  ip -n "$PFX-hub" link add "p$i" type veth peer name eth0 netns "$PFX-$h"
  ip -n "$PFX-hub" link set "p$i" master br0 up
  ip -n "$PFX-$h" addr add "$NET.$i/24" dev eth0
  ip -n "$PFX-$h" link set eth0 up
done
addr_of() { local i=0 h; for h in "${HOSTS[@]}"; do i=$((i + 1)); [ "$h" = "$1" ] && echo "$NET.$i"; done; }
say "hosts: $(for h in "${HOSTS[@]}"; do printf '%s=%s ' "$h" "$(addr_of "$h")"; done)"

# ---- configuration and keys ----------------------------------------------
endpoints() {
  echo "coordination_endpoint = tcp://$(addr_of coordination):7001"
  echo "secretariat_endpoint = tcp://$(addr_of secretariat):7002"
  echo "incentives_endpoint = tcp://$(addr_of incentives):7003"
  echo "supervision_endpoint = tcp://$(addr_of supervision):7004"
}
for s in coordination secretariat incentives supervision; do
  { echo "store = $WORK/$s.db"; echo "keys_dir = $WORK/keys"
    echo "allow_list = $WORK/allow.list"; echo "log_level = info"; endpoints
    [ $s = coordination ] && { echo "calendar_mode = manual"; echo "calendar_start = 2025-01-01"; }
    true; } > "$WORK/$s.conf"
done
{ endpoints; echo "keys_dir = $WORK/keys"; echo "key = operator"; } > "$WORK/ctl.conf"
sed 's/^key = operator$/key = stranger/' "$WORK/ctl.conf" > "$WORK/stranger.conf"
"$COGOVCTL" -c "$WORK/ctl.conf" keys init --dir "$WORK/keys" --allow-list "$WORK/allow.list" >/dev/null
# A well-formed key that is on no list.
"$COGOVCTL" -c "$WORK/ctl.conf" keys generate stranger --dir "$WORK/keys" --roles OPERATOR --streams - >/dev/null
grep -q stranger "$WORK/allow.list" && fail "the stranger's key must not be on the allow-list"

ctl() { ip netns exec "$PFX-ctl" "$COGOVCTL" -c "$WORK/ctl.conf" "$@"; }
start() { # SERVICE
  local bin
  case $1 in
    coordination) bin=$COGOV_COORDINATION ;; secretariat) bin=$COGOV_SECRETARIAT ;;
    incentives) bin=$COGOV_INCENTIVES ;; supervision) bin=$COGOV_SUPERVISION ;;
  esac
  ip netns exec "$PFX-$1" setpriv --pdeathsig KILL "$bin" -c "$WORK/$1.conf" 2>>"$WORK/$1.log" &
  PID[$1]=$!
}
ready() { # bounded: every daemon answers status
  local i
  for i in $(seq 1 100); do
    ctl --timeout 300 status >/dev/null 2>&1 && return 0
  done
  fail "daemons did not answer over tcp within 100 tries"
}
for s in coordination secretariat incentives supervision; do start $s; done
ready
say "all four daemons answer over tcp with CURVE from the ctl host"

# ---- 1. admission on one host, welcome notice on another -----------------
ctl consortium found --name "滨江市智能制造市域产教联合体" --city "滨江市" \
  --park "滨江高新技术产业开发区" --lead-department "滨江市教育局" \
  --founded-on 2025-01-10 --policy-basis "市域产教联合体建设指南" \
  --need "智能制造企业技术技能人才缺口" >/dev/null
CSV=$(dirname "$0")/../../deploy/demo/members.csv
head -n 1 "$CSV" > "$WORK/first.csv"; sed -n 2,3p "$CSV" >> "$WORK/first.csv"
head -n 1 "$CSV" > "$WORK/second.csv"; sed -n 4p "$CSV" >> "$WORK/second.csv"
ctl member import "$WORK/first.csv" --admit >/dev/null
ctl sync --timeout 30 >/dev/null
welcomes() { ctl --json notice list | grep -o '"notice_id": *"welcome:' | wc -l; }
n=$(welcomes)
say "after admitting 2 units: $n welcome notices"
[ "$n" = 2 ] || fail "expected 2 welcome notices, got $n"
conn=$(ip netns exec "$PFX-secretariat" ss -Htn state established "dst $(addr_of coordination):7001" | wc -l)
say "secretariat host has $conn established tcp connection(s) to coordination's host"
[ "$conn" -ge 1 ] || fail "the secretariat does not follow coordination over tcp"

# ---- 2. a key not on the allow-list ---------------------------------------
set +e
ip netns exec "$PFX-ctl" "$COGOVCTL" -c "$WORK/stranger.conf" --timeout 1500 member list >/dev/null 2>"$WORK/stranger.err"
rc=$?
set -e
say "stranger's cogovctl exit code: $rc ($(head -c 200 "$WORK/stranger.err"))"
[ $rc = 6 ] || fail "a key not on the allow-list must get no answer (exit 6), got $rc"
grep -q "event=auth.refused.*addr=$(addr_of ctl)" "$WORK/coordination.log" ||
  fail "coordination did not log event=auth.refused for $(addr_of ctl)"
say "coordination logged event=auth.refused for the stranger at $(addr_of ctl)"

# ---- 3. the secretariat's host loses its daemon, and catches up ----------
kill -9 "${PID[secretariat]}"
wait "${PID[secretariat]}" 2>/dev/null || true
unset 'PID[secretariat]'
ctl member import "$WORK/second.csv" --admit >/dev/null
start secretariat
ready
ctl sync --timeout 30 >/dev/null
n=$(welcomes)
say "after a kill -9 of the secretariat, one more admission and a restart: $n welcome notices"
[ "$n" = 3 ] || fail "expected 3 welcome notices (one per admitted unit), got $n"
members=$(ctl --json member list | grep -o '"uscc"' | wc -l)
[ "$members" = 3 ] || fail "expected 3 members, got $members"

echo "1 passed, 0 failed"

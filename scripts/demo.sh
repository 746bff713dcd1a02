#!/usr/bin/env bash
# cogov's main job, for a first look: install dependencies, build, start the
# daemons (coordination and secretariat so far) in a run directory, and take
# a fictional consortium (25 units of every type) through its founding,
# admissions, the calendar, an exit, ending with members and their notices.
#   --keep   leave the daemons running afterwards (stop: kill $(cat DIR/*.pid))
set -euo pipefail
cd "$(dirname "$0")/.."
KEEP=0
[ "${1:-}" = "--keep" ] && KEEP=1
./scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
BIN=$PWD/build
RUN=${COGOV_DEMO_DIR:-/tmp/cogov-demo}
for f in "$RUN"/*.pid; do [ -e "$f" ] && kill "$(cat "$f")" 2>/dev/null || true; done
rm -rf "$RUN"
mkdir -p "$RUN"

common() {
  cat <<CONF
keys_dir = $RUN/keys
allow_list = $RUN/allow.list
log_level = info
coordination_endpoint = ipc://$RUN/coordination.sock
secretariat_endpoint = ipc://$RUN/secretariat.sock
incentives_endpoint = ipc://$RUN/incentives.sock
supervision_endpoint = ipc://$RUN/supervision.sock
CONF
}
{ echo "store = $RUN/coordination.db"; common
  echo "calendar_mode = manual"; echo "calendar_start = 2025-01-01"; } > "$RUN/coordination.conf"
{ echo "store = $RUN/secretariat.db"; common; } > "$RUN/secretariat.conf"
cat > "$RUN/cogovctl.conf" <<CONF
coordination_endpoint = ipc://$RUN/coordination.sock
secretariat_endpoint = ipc://$RUN/secretariat.sock
keys_dir = $RUN/keys
key = operator
CONF
ctl() { "$BIN/tools/cogovctl" -c "$RUN/cogovctl.conf" "$@"; }

# First start makes the keys and the allow-list (see README, Security).
ctl keys init --dir "$RUN/keys" --allow-list "$RUN/allow.list" >/dev/null
for s in coordination secretariat; do
  "$BIN/services/$s/cogov-$s" -c "$RUN/$s.conf" 2>>"$RUN/$s.log" &
  echo $! > "$RUN/$s.pid"
done
stop_all() {
  for s in secretariat coordination; do
    [ -e "$RUN/$s.pid" ] && kill -TERM "$(cat "$RUN/$s.pid")" 2>/dev/null || true
  done
  wait || true
  rm -f "$RUN"/*.pid
}
[ $KEEP = 1 ] || trap stop_all EXIT
# Wait (bounded) until both answer.
for i in $(seq 1 100); do
  ctl --timeout 300 status >/dev/null 2>&1 && break
  [ "$i" = 100 ] && { echo "daemons did not start; see $RUN/*.log" >&2; exit 1; }
done

echo "== 成立联合体 (found the consortium)"
ctl consortium found --name "滨江市智能制造市域产教联合体" --city "滨江市" \
  --park "滨江高新技术产业开发区" --lead-department "滨江市教育局" \
  --founded-on 2025-01-10 \
  --policy-basis "关于深化现代职业教育体系建设改革的意见" \
  --policy-basis "市域产教联合体建设指南" \
  --need "智能制造企业技术技能人才缺口" --need "院校专业与产业需求脱节"
ctl consortium show
echo "== 入盟申请与审批 (applications, imported and admitted)"
ctl member import deploy/demo/members.csv --admit
ctl calendar advance --to "2025-03-31 09:00"
echo "== 一家单位退出 (one unit exits)"
exiting=$(grep 滨江智慧物流有限公司 deploy/demo/members.csv | cut -d, -f1)
ctl member exit "$exiting" --reason "业务调整，申请退出"
ctl sync --timeout 30
echo "== 成员单位 (members)"
ctl member list
echo "== 通知公告 (notices published by the secretariat)"
ctl notice list
echo "== 运行状态 (status)"
ctl status
echo
echo "Run directory: $RUN (configs, keys, stores, logs)."
[ $KEEP = 1 ] && echo "Daemons still running; stop them with: kill \$(cat $RUN/*.pid)"
exit 0

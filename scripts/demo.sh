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
for s in secretariat incentives supervision; do
  { echo "store = $RUN/$s.db"; common; } > "$RUN/$s.conf"
done
cat > "$RUN/cogovctl.conf" <<CONF
coordination_endpoint = ipc://$RUN/coordination.sock
secretariat_endpoint = ipc://$RUN/secretariat.sock
incentives_endpoint = ipc://$RUN/incentives.sock
supervision_endpoint = ipc://$RUN/supervision.sock
keys_dir = $RUN/keys
key = operator
CONF
ctl() { "$BIN/tools/cogovctl" -c "$RUN/cogovctl.conf" "$@"; }

# First start makes the keys and the allow-list (see README, Security). The
# people who act in the demonstration get keys of their own: the
# secretariat's clerk, the finance officer, the finance bureau's system and
# a supervisor, each with one role.
ctl keys init --dir "$RUN/keys" --allow-list "$RUN/allow.list" >/dev/null
person() { # NAME ROLE
  ctl keys generate "$1" --dir "$RUN/keys" --roles "$2" --streams - | tail -n 1 >> "$RUN/allow.list"
  sed "s/^key = operator\$/key = $1/" "$RUN/cogovctl.conf" > "$RUN/$1.conf"
}
person clerk SECRETARIAT
person finance FINANCE_OFFICER
person bureau BUREAU_SYSTEM
person supervisor SUPERVISOR
clerk() { "$BIN/tools/cogovctl" -c "$RUN/clerk.conf" "$@"; }
as() { local who=$1; shift; "$BIN/tools/cogovctl" -c "$RUN/$who.conf" "$@"; }
uscc() { grep ",$1," deploy/demo/members.csv | cut -d, -f1; }
for s in coordination secretariat incentives supervision; do
  "$BIN/services/$s/cogov-$s" -c "$RUN/$s.conf" 2>>"$RUN/$s.log" &
  echo $! > "$RUN/$s.pid"
done
stop_all() {
  for s in supervision incentives secretariat coordination; do
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
ctl calendar advance --to "2025-03-31 09:00" >/dev/null
EDU=$(uscc 滨江市教育局); PARK=$(uscc 滨江高新技术产业开发区管理委员会)
JG=$(uscc 滨江精工智能装备集团有限公司); ROBOT=$(uscc 滨江工业机器人科技有限公司)
VOC=$(uscc 滨江职业技术学院); JD=$(uscc 滨江机电职业技术学院); OPCO=$(uscc 滨江产教融合发展有限公司)
echo "== 章程与理事会 (charter and council)"
ctl charter adopt --title "滨江市智能制造市域产教联合体章程" --text "第一条 本联合体由滨江市教育局牵头组建……" \
  --quorum 667 --pass 667 --extraordinary 200 --effective-on 2025-01-10 >/dev/null
ctl council assign --seat chair --role chair --member "$EDU" --from 2025-01-10 --to 2027-12-31 >/dev/null
ctl council assign --seat vice-1 --role vice_chair --member "$JG" --from 2025-01-10 --to 2027-12-31 >/dev/null
ctl council assign --seat vice-2 --role vice_chair --member "$VOC" --from 2025-01-10 --to 2027-12-31 >/dev/null
ctl council assign --seat sg --role secretary_general --member "$OPCO" --from 2025-01-10 --to 2027-12-31 >/dev/null
ctl council secretariat "$OPCO" >/dev/null
ctl council show
echo "== 资金池、激励政策与评价指标 (a fund pool, the incentive policy, the indicator system)"
ctl pool create muni-2025 --source municipal-finance --year 2025 --budget-fen 100000000 \
  --name "2025年市级产教融合专项资金" >/dev/null
ctl policy load deploy/data/policies.sample >/dev/null
as supervisor indicator load deploy/data/indicators.default >/dev/null
ctl pool list
echo "== 年度目标与任务 (goals and the progress ledger)"
ctl goal vision --text "建成产教深度融合、校企协同育人的智能制造人才高地" >/dev/null
ctl goal set --year 2025 --code ORDER_CLASS_STUDENTS --target 120 --unit 人 --name 订单班培养人数 >/dev/null
ctl task create --id T2025-01 --title "精工智能装备订单班" --kind order_class --lead "$JG" \
  --participant "$VOC" --goal 2025-ORDER_CLASS_STUDENTS --planned 40 --quantity-unit 人 \
  --milestone M1:2025-03-15:完成招生 --milestone M2:2025-07-15:完成第一学期 >/dev/null
ctl task approve T2025-01 >/dev/null
ctl task start T2025-01 >/dev/null
ctl task progress T2025-01 --unit "$VOC" --report R1 --students 38 --quantity 38 --note "首期订单班开班" >/dev/null
ctl task milestone T2025-01 M1 >/dev/null
ctl pledge make --id P1 --task T2025-01 --unit "$JG" --kind equipment --due-on 2025-05-31 \
  --description "捐赠六轴工业机器人实训工作站两套" >/dev/null
ctl sync --timeout 30 >/dev/null
echo "== 奖补自动核算、审核、审批与拨付 (an award computed from the progress report, reviewed, approved, paid)"
award=$(ctl --json award list | grep -o '"award_id": *"[^"]*"' | head -n 1 | sed 's/.*: *"//; s/"$//')
clerk award review "$award" --note "材料齐全" >/dev/null
as finance award approve "$award" >/dev/null
as bureau award disburse "$award" --payment-ref "BJCZ-2025-000137" >/dev/null
ctl award explain "$award"
echo "== 三张清单与供需对接 (the three lists: a talent demand, a school's supply, the matcher's proposal)"
ctl occupation-map load deploy/data/occupation_major.csv >/dev/null
ctl demand post --id D2025-01 --unit "$ROBOT" --occupation 工业机器人系统运维员 --headcount 30 --needed-by 2025-09-01 >/dev/null
ctl supply post --id S2025-01 --unit "$JD" --major 工业机器人技术 --graduates 45 --available-on 2025-06-30 >/dev/null
ctl match propose
ctl match accept D2025-01 S2025-01 --kind order_class >/dev/null
echo "== 议题与通讯表决 (a motion, voted by correspondence, becomes a resolution and a task)"
clerk motion raise --id M2025-01 --title "共建工业机器人产业学院" --member "$JD" --review-on 2025-12-31 \
  --item "1|共建工业机器人产业学院|$ROBOT|2025-09-01|industry_college|1|个" >/dev/null
clerk motion open M2025-01 --closes "2025-04-15 17:00" >/dev/null
n=0
while IFS=, read -r id name type rest; do
  [ "$id" = uscc ] && continue
  n=$((n + 1))
  case $((n % 8)) in 0) v=against ;; 5) v=abstain ;; *) v=for ;; esac
  clerk motion vote M2025-01 "$v" --member "$id" >/dev/null 2>&1 || true
done < deploy/demo/members.csv
ctl calendar advance --to "2025-04-16 09:00" >/dev/null
ctl sync --timeout 30 >/dev/null
clerk motion list
echo "== 会议 (a council meeting)"
clerk meeting schedule --id MT2025-1 --kind council_plenary --title "2025年第一次理事会全体会议" \
  --at "2025-06-20 14:30" --invite "$EDU,$JG,$VOC,$OPCO,$PARK" >/dev/null
ctl calendar advance --to "2025-06-20 14:40" >/dev/null
for u in "$EDU" "$JG" "$VOC" "$OPCO"; do clerk meeting checkin MT2025-1 --member "$u" >/dev/null; done
clerk meeting hold MT2025-1 >/dev/null
clerk meeting list
ctl calendar advance --to "2025-07-31 09:00" >/dev/null
ctl sync --timeout 30 >/dev/null
echo "== 督导：预警、整改、季度评价 (supervision: warnings, a rectification order, the Q1 evaluation)"
as supervisor warning list
as supervisor rectification issue --id RZ2025-01 --member "$JG" --findings "承诺的实训设备逾期未交付" \
  --evidence "设备交付验收单" --due 2025-08-31 >/dev/null
as supervisor evaluation draft 2025Q1 >/dev/null
round=$(ctl --json evaluation list | grep -o '"round_id": *"[^"]*"' | head -n 1 | sed 's/.*: *"//; s/"$//')
as supervisor evaluation review "$round" >/dev/null
as supervisor evaluation publish "$round" >/dev/null
ctl sync --timeout 30 >/dev/null
as supervisor evaluation list
echo "== 推进台账 (tasks: the one planned, and the one the resolution created)"
ctl task list
ctl pledge list
ctl goal list
echo "== 一家单位退出 (one unit exits)"
exiting=$(grep 滨江智慧物流有限公司 deploy/demo/members.csv | cut -d, -f1)
ctl member exit "$exiting" --reason "业务调整，申请退出"
ctl sync --timeout 30
echo "== 成员单位 (members)"
ctl member list
echo "== 通知公告 (notices published by the secretariat)"
ctl notice list
echo "== 奖补台账 (the ledger)"
ctl award list
ctl ledger
echo "== 追溯 (trace: the task the resolution created, and the award, across the daemons)"
ctl trace "res:M2025-01/1" | grep -v vote_cast | head -n 20
ctl trace "$award" | head -n 20
echo "== 运行状态 (status)"
ctl status
echo
echo "Run directory: $RUN (configs, keys, stores, logs)."
[ $KEEP = 1 ] && echo "Daemons still running; stop them with: kill \$(cat $RUN/*.pid)"
exit 0

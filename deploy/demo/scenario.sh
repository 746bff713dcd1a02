#!/usr/bin/env bash
# The demonstration year of 滨江市智能制造市域产教联合体: data (members.csv,
# policies.demo, progress.csv beside this file, deploy/data for indicators and
# the occupation map) plus the steps below, all through cogovctl. Change it
# freely: every step is an ordinary cogovctl command any operator could type.
#
#   scenario.sh people CTL_CONF   keys for the people who act (before the
#                                 daemons start: they join the allow-list)
#   scenario.sh year CTL_CONF     found the consortium and run 2025
#   scenario.sh report CTL_CONF   the short report at the end
#
# CTL_CONF is a cogovctl config naming all four daemons and keys_dir (the
# operator's key); `people` also needs ALLOW_LIST (default: keys_dir/../
# allow.list). COGOVCTL names the cogovctl binary (default: on PATH).
# COGOV_SCENARIO_VERBOSE=0 prints only the section titles.
# Every step is safe to retry: cogovctl retries each request with the same
# request id, and the script waits on `cogovctl sync` (never on sleeps)
# wherever a step depends on another daemon's reaction.
set -euo pipefail

SCENARIO_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
DATA_DIR=$(cd "$SCENARIO_DIR/../data" && pwd)
COGOVCTL=${COGOVCTL:-cogovctl}
VERBOSE=${COGOV_SCENARIO_VERBOSE:-1}

conf_key() { # FILE KEY: the value of "KEY = value"
  sed -n "s/^[[:space:]]*$2[[:space:]]*=[[:space:]]*//p" "$1" | tail -n 1
}

scenario_init() { # CTL_CONF
  CONF=$1
  [ -r "$CONF" ] || { echo "scenario: cannot read $CONF" >&2; exit 1; }
  CONF_DIR=$(cd "$(dirname "$CONF")" && pwd)
  KEYS_DIR=$(conf_key "$CONF" keys_dir)
}

ctl() { "$COGOVCTL" -c "$CONF" "$@"; }
as() { local who=$1; shift; "$COGOVCTL" -c "$CONF_DIR/$who.conf" "$@"; }
# Show a command's output only in verbose mode (it must still succeed).
show() { if [ "$VERBOSE" = 1 ]; then "$@"; else "$@" >/dev/null; fi; }
quiet() { "$@" >/dev/null; }
say() { echo "== $*"; }
# Wait until every daemon has applied every stream (bounded). A daemon
# being restarted makes sync fail fast: try again.
settle() {
  local i
  for i in 1 2 3 4 5 6 7 8 9 10; do
    ctl sync --timeout 30 >/dev/null 2>&1 && return 0
  done
  ctl sync --timeout 30 >/dev/null
}
advance() { quiet ctl calendar advance --to "$1"; settle; }
uscc() { # NAME -> the unit's id (its unified social credit code)
  local id
  id=$(awk -F, -v n="$1" '$2 == n { print $1 }' "$SCENARIO_DIR/members.csv")
  [ -n "$id" ] || { echo "scenario: no unit named $1" >&2; exit 1; }
  echo "$id"
}
json_field() { # KEY: the values of "KEY": "..." in JSON on stdin
  grep -o "\"$1\": *\"[^\"]*\"" | sed 's/.*: *"//; s/"$//'
}

# ---- people -----------------------------------------------------------------
# Besides the bootstrap operator (a coordinator of the education bureau),
# the year is run by the secretariat's clerk, the finance officer, the
# finance bureau's payment system, a supervisor, and two member units'
# representatives, each with one role and a key of their own.
PEOPLE="clerk:SECRETARIAT: finance:FINANCE_OFFICER: bureau:BUREAU_SYSTEM:
supervisor:SUPERVISOR: rep-jinggong:MEMBER_REP:滨江精工智能装备集团有限公司
rep-jiaotong:MEMBER_REP:滨江交通职业技术学院"

scenario_people() {
  local allow=${ALLOW_LIST:-$(dirname "$KEYS_DIR")/allow.list} p name roles unit
  for p in $PEOPLE; do
    IFS=: read -r name roles unit <<<"$p"
    local member=()
    [ -n "$unit" ] && member=(--member "$(uscc "$unit")")
    [ -e "$KEYS_DIR/$name.key" ] ||
      ctl keys generate "$name" --dir "$KEYS_DIR" --roles "$roles" \
        "${member[@]}" --streams - | tail -n 1 >>"$allow"
    sed "s/^key *=.*/key = $name/" "$CONF" >"$CONF_DIR/$name.conf"
    grep -q "^key = $name" "$CONF_DIR/$name.conf" ||
      echo "key = $name" >>"$CONF_DIR/$name.conf"
  done
}

# ---- helpers for recurring work -----------------------------------------------
# Progress reports of one quarter from progress.csv (unit names resolved to
# ids), imported as the finance bureau would send them.
import_progress() { # QUARTER
  local tmp
  tmp=$(mktemp "${TMPDIR:-/tmp}/cogov-progress.XXXXXX")
  echo "task_id,member_id,report_id,students_enrolled,interns_hosted,training_hours,investment_fen,note" >"$tmp"
  while IFS=, read -r q task unit rest; do
    [ "$q" = "$1" ] || continue
    [ "$task" = "match:D2025-01:S2025-01" ] && task=$MATCH_TASK
    echo "$task,$(uscc "$unit"),$rest" >>"$tmp"
  done <"$SCENARIO_DIR/progress.csv"
  quiet ctl import progress "$tmp"
  rm -f "$tmp"
  settle
}

# Every award the year proposed goes through review (clerk) and approval
# (finance officer) in award-id order; what the pool cannot cover queues.
# Approved awards are paid by the finance bureau's system.
process_awards() { # PAYMENT_REF_PREFIX
  local a n=0
  for a in $(ctl --json award list --status proposed | json_field award_id | sort); do
    quiet as clerk award review "$a" --note "材料齐全"
    quiet as finance award approve "$a"
  done
  settle
  for a in $(ctl --json award list --status approved | json_field award_id | sort); do
    n=$((n + 1))
    quiet as bureau award disburse "$a" --payment-ref "$1-$(printf %04d $n)"
  done
  settle
}

# A plenary of the whole consortium (every admitted unit invited), held at
# AT; the units named after AT stay away.
plenary() { # ID AT TITLE [ABSENT_ID]...
  local id=$1 at=$2 title=$3 invite u
  shift 3
  invite=$(ctl --json member list --status admitted | json_field member_id | sort | paste -sd, -)
  quiet as clerk meeting schedule --id "$id" --kind council_plenary --title "$title" \
    --at "$at" --invite "$invite"
  advance "$at"
  for u in ${invite//,/ }; do
    case " $* " in *" $u "*) continue ;; esac
    quiet as clerk meeting checkin "$id" --member "$u"
  done
  quiet as clerk meeting hold "$id"
  settle
}

# The round of a period that has ended: the calendar tick past its end drafted
# it (supervision's auto_rounds); the supervisor reviews and publishes it.
# (`evaluation draft PERIOD` would recompute the draft from the same facts.)
evaluate() { # PERIOD
  quiet as supervisor evaluation review "round-$1" --note "数据核验无误"
  quiet as supervisor evaluation publish "round-$1"
  settle
  [ "$VERBOSE" = 1 ] && as supervisor evaluation show "round-$1" | sed -n "1,8p"
  return 0
}

# The quarter's work briefing (工作简报), one line: how many entries each
# section holds (the whole text: cogovctl briefing --from … --to …).
briefing() { # FROM TO
  local text
  text=$(as clerk briefing --from "$1" --to "$2")
  echo "工作简报 $1 — $2: $(awk '
    /^[a-z_]+ / { if (sec != "" && sec != "from" && sec != "to") printf "%s %d, ", sec, n
                  sec = $1; n = ($2 == "-") ? 0 : 1; next }
    /^ / { n++ }
    END { if (sec != "") printf "%s %d", sec, n }' <<<"$text")"
}

# ---- the year -----------------------------------------------------------------
scenario_year() {
  EDU=$(uscc 滨江市教育局); HRSS=$(uscc 滨江市人力资源和社会保障局)
  FIN=$(uscc 滨江市财政局); PARK=$(uscc 滨江高新技术产业开发区管理委员会)
  JG=$(uscc 滨江精工智能装备集团有限公司); NEV=$(uscc 滨江新能源汽车股份有限公司)
  ROBOT=$(uscc 滨江工业机器人科技有限公司); CNC=$(uscc 滨江数控机床有限公司)
  LOGI=$(uscc 滨江智慧物流有限公司); VOC=$(uscc 滨江职业技术学院)
  JD=$(uscc 滨江机电职业技术学院); JT=$(uscc 滨江交通职业技术学院)
  JGS=$(uscc 滨江技工学校); OPCO=$(uscc 滨江产教融合发展有限公司)

  say "一月 成立联合体，成员入盟 (founding; 25 units imported and admitted)"
  quiet ctl consortium found --name "滨江市智能制造市域产教联合体" --city "滨江市" \
    --park "滨江高新技术产业开发区" --lead-department "滨江市教育局" \
    --founded-on 2025-01-10 \
    --policy-basis "关于深化现代职业教育体系建设改革的意见" \
    --policy-basis "市域产教联合体建设指南" \
    --need "智能制造企业技术技能人才缺口" --need "院校专业与产业需求脱节"
  advance "2025-01-10 09:00"
  quiet ctl member import "$SCENARIO_DIR/members.csv" --admit
  quiet ctl charter adopt --title "滨江市智能制造市域产教联合体章程" \
    --text "第一条 本联合体由滨江市教育局牵头组建……" \
    --quorum 667 --pass 667 --extraordinary 200 --effective-on 2025-01-10
  quiet ctl council assign --seat chair --role chair --member "$EDU" --from 2025-01-10 --to 2027-12-31
  quiet ctl council assign --seat vice-1 --role vice_chair --member "$JG" --from 2025-01-10 --to 2027-12-31
  quiet ctl council assign --seat vice-2 --role vice_chair --member "$VOC" --from 2025-01-10 --to 2027-12-31
  quiet ctl council assign --seat sg --role secretary_general --member "$OPCO" --from 2025-01-10 --to 2027-12-31
  quiet ctl council secretariat "$OPCO"
  quiet ctl goal vision --text "建成产教深度融合、校企协同育人的智能制造人才高地"
  quiet ctl goal set --year 2025 --code ORDER_CLASS_STUDENTS --target 120 --unit 人 --name 订单班培养人数
  quiet ctl goal set --year 2025 --code INTERNS_HOSTED --target 60 --unit 人 --name 企业接收学徒实习人数
  quiet ctl goal set --year 2025 --code TRAINING_HOURS --target 3000 --unit 学时 --name 职工技能培训学时
  quiet ctl pool create muni-2025 --source municipal-finance --year 2025 \
    --budget-fen 20000000 --name "2025年市级产教融合专项资金"
  quiet ctl policy load "$SCENARIO_DIR/policies.demo"
  quiet as supervisor indicator load "$DATA_DIR/indicators.default"
  quiet ctl occupation-map load "$DATA_DIR/occupation_major.csv"
  settle
  show ctl council show

  say "二月 推进台账：任务、节点与资源承诺 (tasks, milestones, pledges)"
  quiet ctl task create --id T2025-01 --title "精工智能装备订单班" --kind order_class \
    --lead "$JG" --participant "$VOC" --goal 2025-ORDER_CLASS_STUDENTS --planned 40 \
    --quantity-unit 人 --milestone M1:2025-03-15:完成招生 \
    --milestone M2:2025-07-15:完成第一学期 --milestone M3:2025-12-20:完成第二学期
  quiet ctl task create --id T2025-02 --title "新能源汽车现代学徒制试点" --kind apprenticeship \
    --lead "$NEV" --participant "$JT" --goal 2025-INTERNS_HOSTED --planned 30 \
    --quantity-unit 人 --milestone M1:2025-04-30:签订三方学徒协议 \
    --milestone M2:2025-10-31:完成岗位轮训
  quiet ctl task create --id T2025-03 --title "数控设备操作技能提升培训" --kind training \
    --lead "$CNC" --participant "$JGS" --goal 2025-TRAINING_HOURS --planned 3000 \
    --quantity-unit 学时 --milestone M1:2025-06-30:完成上半年培训 \
    --milestone M2:2025-12-15:完成全年培训
  for t in T2025-01 T2025-02 T2025-03; do
    quiet ctl task approve "$t"
    quiet ctl task start "$t"
  done
  quiet ctl pledge make --id P1 --task T2025-01 --unit "$JG" --kind equipment \
    --due-on 2025-05-31 --description "捐赠六轴工业机器人实训工作站两套"
  quiet ctl pledge make --id P2 --task T2025-02 --unit "$NEV" --kind funds \
    --amount-fen 20000000 --due-on 2025-03-31 --description "学徒津贴专项资金"
  advance "2025-02-20 09:00"
  show ctl task list

  say "三月 三张清单与供需对接；通讯表决 (the three lists; a vote by correspondence)"
  quiet ctl demand post --id D2025-01 --unit "$ROBOT" --occupation 工业机器人系统运维员 \
    --headcount 30 --needed-by 2025-09-01
  quiet ctl supply post --id S2025-01 --unit "$JD" --major 工业机器人技术 --graduates 45 \
    --available-on 2025-06-30
  show ctl match propose
  MATCH_TASK=$(ctl --json match accept D2025-01 S2025-01 --kind order_class | json_field task_id | sed -n "1,1p")
  quiet ctl task approve "$MATCH_TASK"
  quiet ctl task start "$MATCH_TASK"
  quiet ctl task milestone T2025-01 M1
  quiet ctl pledge deliver P2 --evidence "银行转账回单 BJ-2025-0321"
  quiet as clerk motion raise --id M2025-01 --title "共建工业机器人产业学院" --member "$JD" \
    --review-on 2025-12-31 \
    --item "1|共建工业机器人产业学院|$ROBOT|2025-09-01|industry_college|1|个"
  quiet as clerk motion open M2025-01 --closes "2025-03-25 17:00"
  local n=0 id name type rest v
  while IFS=, read -r id name type rest; do
    [ "$id" = uscc ] && continue
    n=$((n + 1))
    case $((n % 8)) in 0) v=against ;; 5) v=abstain ;; *) v=for ;; esac
    quiet as clerk motion vote M2025-01 "$v" --member "$id"
  done <"$SCENARIO_DIR/members.csv"
  advance "2025-03-26 09:00"
  import_progress Q1
  show as clerk motion list
  plenary MT2025-1 "2025-03-28 14:30" "2025年第一次联合体全体会议（成立大会）"

  say "一季度 评价、奖补与简报 (Q1: evaluation, awards, briefing)"
  advance "2025-04-01 09:00"
  evaluate 2025Q1
  process_awards BJCZ-2025Q1
  briefing 2025-01-01 2025-03-31

  say "四月—六月 逾期、预警与整改 (overdue, warnings, rectification orders)"
  local res_task="res:M2025-01/1"
  quiet ctl task approve "$res_task"
  quiet ctl task start "$res_task"
  quiet as rep-jiaotong inquiry ask --id Q2025-01 --to "$HRSS" --from "$JT" \
    --subject "学徒岗位补贴申领口径" --text "请明确现代学徒制岗位补贴的申领条件"
  quiet as clerk inquiry ask --id Q2025-02 --to "$FIN" --from "$JGS" \
    --subject "培训经费拨付进度" --text "第一期培训经费何时拨付"
  quiet as clerk inquiry answer Q2025-01 --text "按市人社局2025年第3号文执行，附申领表"
  quiet as clerk inquiry rate Q2025-01 5
  advance "2025-05-06 09:00"
  import_progress Q2
  quiet as supervisor rectification issue --id RZ2025-02 --member "$NEV" \
    --findings "学徒协议未按期签订，试点进度滞后" --evidence "三方学徒协议" --due 2025-06-30
  advance "2025-06-03 09:00"
  quiet as supervisor rectification issue --id RZ2025-01 --member "$JG" \
    --findings "承诺的实训设备逾期未交付" --evidence "设备交付验收单" --due 2025-08-31
  plenary MT2025-2 "2025-06-20 14:30" "2025年第二次联合体全体会议" "$LOGI"
  quiet ctl task milestone T2025-03 M1
  show as supervisor warning list

  say "二季度 评价、奖补与简报 (Q2)"
  advance "2025-07-01 09:00"
  evaluate 2025Q2
  process_awards BJCZ-2025Q2
  briefing 2025-04-01 2025-06-30

  say "七月—九月 整改闭环与升级 (one rectification closes, one escalates)"
  quiet ctl task milestone T2025-01 M2
  quiet as rep-jinggong rectification report RZ2025-01 --text "两套实训工作站已交付并通过验收" \
    --evidence "设备交付验收单 JG-2025-078"
  quiet as supervisor rectification accept RZ2025-01 --note "证据齐全，整改到位"
  advance "2025-07-20 09:00"
  import_progress Q3
  plenary MT2025-3 "2025-09-19 14:30" "2025年第三次联合体全体会议" "$LOGI"
  show ctl escalation list
  local case
  for case in $(ctl --json escalation list --status open | json_field case_id | sort); do
    quiet ctl escalation decide "$case" --decision direct \
      --rationale "责成相关单位限期整改或答复，由市教育局跟踪督办"
    quiet ctl escalation close "$case" --note "已督办"
  done
  settle

  say "三季度 评价、奖补与简报 (Q3)"
  advance "2025-10-01 09:00"
  evaluate 2025Q3
  process_awards BJCZ-2025Q3
  briefing 2025-07-01 2025-09-30

  say "十月—十二月 任务完成，成员退出 (tasks completed; a unit exits)"
  import_progress Q4
  quiet ctl task milestone T2025-02 M2
  quiet ctl task complete "$res_task"
  quiet ctl task milestone T2025-03 M2
  quiet ctl task complete T2025-03
  quiet ctl member exit "$LOGI" --reason "业务调整，申请退出"
  plenary MT2025-4 "2025-12-19 14:30" "2025年第四次联合体全体会议暨年度总结会"
  quiet ctl task milestone T2025-01 M3
  quiet ctl task complete T2025-01
  advance "2025-12-31 18:00"

  say "四季度 评价、奖补与简报 (Q4)"
  advance "2026-01-05 09:00"
  evaluate 2025Q4
  process_awards BJCZ-2025Q4
  briefing 2025-10-01 2025-12-31
}

# ---- the report -----------------------------------------------------------------
count() { # JSON on stdin: how many objects carry KEY
  grep -o "\"$1\":" | wc -l
}

scenario_report() {
  echo
  echo "================ 2025年度报告 (the year in figures) ================"
  local members tasks done_ pledges notices warnings rects escal
  members=$(ctl --json member list --status admitted | count member_id)
  tasks=$(ctl --json task list | count task_id)
  done_=$(ctl --json task list --status completed | count task_id)
  escal=$(ctl --json escalation list | count case_id)
  notices=$(ctl --json notice list | count notice_id)
  warnings=$(ctl --json warning list | count warning_id)
  rects=$(ctl --json rectification list | count rectification_id)
  local awards paid meetings
  awards=$(ctl --json award list | count award_id)
  paid=$(ctl --json award list --status disbursed | count award_id)
  meetings=$(ctl --json meeting list | count meeting_id)
  echo "统筹协调 coordination: $members units admitted at year end, $tasks tasks ($done_ completed; one from a resolution, one from a match), $escal escalation cases decided"
  echo "沟通协商 secretariat:  $notices notices (welcome, reminders, warnings, rectifications, results, pool alerts), $meetings plenaries, a motion adopted by correspondence, 4 briefings"
  echo "督导评价 supervision:  $warnings warnings, $rects rectification orders (one closed, one overdue and escalated), rounds 2025Q1-Q4 drafted by the calendar and published, the year's round-2025 drafted for the supervisor to review"
  local honours
  honours=$(ctl --json honour list | count honour_id)
  echo "激励保障 incentives:   $awards awards computed from progress, completions and grades; $paid reviewed, approved and paid; the rest held or queued; $honours honour(s) from the grades"
  echo
  echo "-- 资金 (money: disbursed against the budget)"
  ctl pool list
  ctl ledger --pool muni-2025 | sed -n "1,12p"
  echo
  echo "-- 联合体评价 (the consortium's evaluation, 2025Q4)"
  ctl evaluation show round-2025Q4 | sed -n "1,6p"
  echo
  echo "-- 协作健康度 (collaboration health)"
  ctl health | awk 'NR <= 3 || $1 == "*"'
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  [ $# = 2 ] || { sed -n '2,19p' "$0" >&2; exit 1; }
  scenario_init "$2"
  case $1 in
  people) scenario_people ;;
  year) scenario_year ;;
  report) scenario_report ;;
  *) echo "scenario: unknown step $1" >&2; exit 1 ;;
  esac
fi

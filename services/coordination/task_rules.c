/* task_rules: pure lifecycle and deadline rules (see task_rules.h). */
#include "task_rules.h"

#include <errno.h>

#define TS(x) COGOV__V1__TASK_STATUS__TASK_STATUS_##x
#define TA(x) COGOV__V1__TASK_ACTION__TASK_ACTION_##x
#define ES(x) COGOV__V1__ESCALATION_STATUS__ESCALATION_STATUS_##x

int
task_transition(Cogov__V1__TaskStatus from, Cogov__V1__TaskAction a,
                Cogov__V1__TaskStatus *to)
{
    Cogov__V1__TaskStatus want;
    bool ok;

    if (from <= TS(UNSPECIFIED) || from > TS(CANCELLED))
        return -EINVAL;
    switch (a) {
    case TA(APPROVE):
        ok = from == TS(PROPOSED);
        want = TS(APPROVED);
        break;
    case TA(START):
        ok = from == TS(APPROVED);
        want = TS(IN_PROGRESS);
        break;
    case TA(COMPLETE):
        ok = from == TS(IN_PROGRESS);
        want = TS(COMPLETED);
        break;
    case TA(CANCEL):
        ok = task_open(from) || from == TS(PROPOSED);
        want = TS(CANCELLED);
        break;
    default:
        return -EINVAL;
    }
    if (!ok)
        return -EPERM;
    *to = want;
    return 0;
}

bool
task_open(Cogov__V1__TaskStatus s)
{
    return s == TS(APPROVED) || s == TS(IN_PROGRESS);
}

bool
milestone_overdue_now(int64_t due_at, int64_t completed_at, bool raised,
                      int64_t tick)
{
    return completed_at == 0 && !raised && due_at <= tick;
}

bool
pledge_missed_now(Cogov__V1__PledgeStatus st, int64_t due_at, int64_t tick)
{
    return st == COGOV__V1__PLEDGE_STATUS__PLEDGE_STATUS_PLEDGED &&
           due_at <= tick;
}

int
escalation_transition(Cogov__V1__EscalationStatus from, bool decide,
                      Cogov__V1__EscalationStatus *to)
{
    if (decide && from == ES(OPEN)) {
        *to = ES(DECIDED);
        return 0;
    }
    if (!decide && from == ES(DECIDED)) {
        *to = ES(CLOSED);
        return 0;
    }
    return -EPERM;
}

Cogov__V1__MemberDecision
escalation_member_decision(Cogov__V1__EscalationDecision d)
{
    switch (d) {
    case COGOV__V1__ESCALATION_DECISION__ESCALATION_DECISION_SUSPEND:
        return COGOV__V1__MEMBER_DECISION__MEMBER_DECISION_SUSPEND;
    case COGOV__V1__ESCALATION_DECISION__ESCALATION_DECISION_EXPEL:
        return COGOV__V1__MEMBER_DECISION__MEMBER_DECISION_EXPEL;
    default:
        return COGOV__V1__MEMBER_DECISION__MEMBER_DECISION_UNSPECIFIED;
    }
}

const char *
task_status_name(Cogov__V1__TaskStatus s)
{
    static const char *const names[] = {"UNSPECIFIED", "PROPOSED",
                                        "APPROVED",    "IN_PROGRESS",
                                        "COMPLETED",   "CANCELLED"};
    if ((int)s < 0 || (int)s > 5)
        return "UNKNOWN";
    return names[s];
}

/* member_rules: member status transitions and names (pure). */
#include "member_rules.h"

#include <errno.h>

#define ST(x) COGOV__V1__MEMBER_STATUS__MEMBER_STATUS_##x
#define DE(x) COGOV__V1__MEMBER_DECISION__MEMBER_DECISION_##x
#define EV(x) COGOV__V1__EVENT__PAYLOAD_MEMBER_##x

int
member_decide(Cogov__V1__MemberStatus from, Cogov__V1__MemberDecision d,
              Cogov__V1__MemberStatus *to)
{
    Cogov__V1__MemberStatus next;
    bool ok;

    switch (d) {
    case DE(ADMIT):
        ok = from == ST(APPLIED);
        next = ST(ADMITTED);
        break;
    case DE(REJECT):
        ok = from == ST(APPLIED);
        next = ST(REJECTED);
        break;
    case DE(SUSPEND):
        ok = from == ST(ADMITTED);
        next = ST(SUSPENDED);
        break;
    case DE(REINSTATE):
        ok = from == ST(SUSPENDED);
        next = ST(ADMITTED);
        break;
    case DE(EXIT):
        ok = from == ST(ADMITTED) || from == ST(SUSPENDED);
        next = ST(EXITED);
        break;
    case DE(EXPEL):
        ok = from == ST(ADMITTED) || from == ST(SUSPENDED);
        next = ST(EXPELLED);
        break;
    default:
        return -EINVAL;
    }
    if (!ok)
        return -EPERM;
    *to = next;
    return 0;
}

bool
member_may_apply(Cogov__V1__MemberStatus current)
{
    return current == ST(UNSPECIFIED) || current == ST(REJECTED) ||
           current == ST(EXITED);
}

Cogov__V1__Event__PayloadCase
member_decision_event(Cogov__V1__MemberDecision d)
{
    switch (d) {
    case DE(ADMIT):
        return EV(ADMITTED);
    case DE(REJECT):
        return EV(REJECTED);
    case DE(SUSPEND):
        return EV(SUSPENDED);
    case DE(REINSTATE):
        return EV(REINSTATED);
    case DE(EXIT):
        return EV(EXITED);
    case DE(EXPEL):
        return EV(EXPELLED);
    default:
        return COGOV__V1__EVENT__PAYLOAD__NOT_SET;
    }
}

int
member_event_set(Cogov__V1__Event *ev, Cogov__V1__MemberDecision d,
                 Cogov__V1__MemberStatusChanged *msc)
{
    Cogov__V1__Event__PayloadCase pc = member_decision_event(d);

    switch (pc) {
    case EV(ADMITTED):
        ev->member_admitted = msc;
        break;
    case EV(REJECTED):
        ev->member_rejected = msc;
        break;
    case EV(SUSPENDED):
        ev->member_suspended = msc;
        break;
    case EV(REINSTATED):
        ev->member_reinstated = msc;
        break;
    case EV(EXITED):
        ev->member_exited = msc;
        break;
    case EV(EXPELLED):
        ev->member_expelled = msc;
        break;
    default:
        return -EINVAL;
    }
    ev->payload_case = pc;
    return 0;
}

const char *
member_status_name(Cogov__V1__MemberStatus s)
{
    switch (s) {
    case ST(UNSPECIFIED):
        return "UNSPECIFIED";
    case ST(APPLIED):
        return "APPLIED";
    case ST(ADMITTED):
        return "ADMITTED";
    case ST(SUSPENDED):
        return "SUSPENDED";
    case ST(EXITED):
        return "EXITED";
    case ST(EXPELLED):
        return "EXPELLED";
    case ST(REJECTED):
        return "REJECTED";
    default:
        return "UNKNOWN";
    }
}

const char *
member_decision_verb(Cogov__V1__MemberDecision d)
{
    switch (d) {
    case DE(ADMIT):
        return "admit";
    case DE(REJECT):
        return "reject";
    case DE(SUSPEND):
        return "suspend";
    case DE(REINSTATE):
        return "reinstate";
    case DE(EXIT):
        return "exit";
    case DE(EXPEL):
        return "expel";
    default:
        return "UNKNOWN";
    }
}

const char *
member_type_label(Cogov__V1__MemberType t)
{
#define TY(x) COGOV__V1__MEMBER_TYPE__MEMBER_TYPE_##x
    switch (t) {
    case TY(GOVERNMENT_DEPARTMENT):
        return "政府部门";
    case TY(PARK_COMMITTEE):
        return "园区管委会";
    case TY(LEADING_ENTERPRISE):
        return "龙头企业";
    case TY(ENTERPRISE):
        return "企业";
    case TY(UNIVERSITY):
        return "普通高校";
    case TY(HIGHER_VOCATIONAL_COLLEGE):
        return "高等职业院校";
    case TY(SECONDARY_VOCATIONAL_SCHOOL):
        return "中等职业学校";
    case TY(RESEARCH_INSTITUTE):
        return "科研院所";
    case TY(INDUSTRY_ASSOCIATION):
        return "行业协会";
    case TY(OPERATING_COMPANY):
        return "运营公司";
    default:
        return "未知类型";
    }
#undef TY
}

/* award_rules: the award state machine (pure; see award_rules.h). */
#include "award_rules.h"

#define S(x) COGOV__V1__AWARD_STATUS__AWARD_STATUS_##x

const char *
award_status_name(Cogov__V1__AwardStatus s)
{
    switch (s) {
    case S(PROPOSED):
        return "PROPOSED";
    case S(APPROVED):
        return "APPROVED";
    case S(DISBURSED):
        return "DISBURSED";
    case S(REJECTED):
        return "REJECTED";
    case S(HELD):
        return "HELD";
    case S(QUEUED):
        return "QUEUED";
    default:
        return "UNSPECIFIED";
    }
}

Cogov__V1__AwardStatus
award_next(Cogov__V1__AwardStatus from, award_op_t op, bool reviewed, bool fits,
           const char **why)
{
    const char *w = NULL;
    Cogov__V1__AwardStatus to = S(UNSPECIFIED);

    switch (op) {
    case AWARD_REVIEW:
        if (from != S(PROPOSED))
            w = "only a PROPOSED award can be reviewed";
        else if (reviewed)
            w = "already reviewed";
        else
            to = from;
        break;
    case AWARD_APPROVE:
        if (from != S(PROPOSED))
            w = "only a PROPOSED award can be approved";
        else if (!reviewed)
            w = "the secretariat has not reviewed it yet";
        else
            to = fits ? S(APPROVED) : S(QUEUED);
        break;
    case AWARD_FUND:
        if (from != S(QUEUED))
            w = "only a QUEUED award is funded from the queue";
        else if (!fits)
            w = "the pool cannot cover it";
        else
            to = S(APPROVED);
        break;
    case AWARD_DISBURSE:
        if (from != S(APPROVED))
            w = "only an APPROVED award can be disbursed";
        else
            to = S(DISBURSED);
        break;
    case AWARD_REJECT:
        if (from == S(PROPOSED) || from == S(QUEUED) || from == S(HELD))
            to = S(REJECTED);
        else
            w = "only a PROPOSED, QUEUED or HELD award can be rejected";
        break;
    case AWARD_HOLD:
        if (from == S(PROPOSED) || from == S(QUEUED))
            to = S(HELD);
        else
            w = "only a PROPOSED or QUEUED award can be held";
        break;
    case AWARD_RELEASE:
        if (from == S(HELD))
            to = S(PROPOSED);
        else
            w = "only a HELD award can be released";
        break;
    default:
        w = "unknown operation";
    }
    if (why)
        *why = w;
    return to;
}

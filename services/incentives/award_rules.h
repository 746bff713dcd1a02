/* award_rules: the award lifecycle as a pure state machine (DESIGN 1.3):
 *   PROPOSED --review--> PROPOSED(reviewed)
 *   PROPOSED(reviewed) --approve--> APPROVED, or QUEUED if the pool cannot
 *                                    cover it
 *   QUEUED --fund--> APPROVED          (in queue order, when money frees)
 *   APPROVED --disburse--> DISBURSED   (the bureau's payment reference)
 *   PROPOSED | QUEUED | HELD --reject--> REJECTED
 *   PROPOSED | QUEUED --hold--> HELD   (unit suspended / rectification)
 *   HELD --release--> PROPOSED         (review and approval start again)
 * DISBURSED and REJECTED are final. */
#ifndef COGOV_INC_AWARD_RULES_H
#define COGOV_INC_AWARD_RULES_H

#include <stdbool.h>

#include "cogov/v1/envelope.pb-c.h"

typedef enum {
    AWARD_REVIEW = 1,
    AWARD_APPROVE,
    AWARD_FUND,
    AWARD_DISBURSE,
    AWARD_REJECT,
    AWARD_HOLD,
    AWARD_RELEASE,
} award_op_t;

/* The status after `op` on an award in `from` (reviewed: the secretariat
 * has reviewed it; fits: the pool can cover it now). Returns the new
 * status, or AWARD_STATUS_UNSPECIFIED with *why set if the transition is
 * not allowed. REVIEW returns `from` (PROPOSED) when allowed. */
Cogov__V1__AwardStatus award_next(Cogov__V1__AwardStatus from, award_op_t op,
                                  bool reviewed, bool fits, const char **why);

const char *award_status_name(Cogov__V1__AwardStatus s);

#endif

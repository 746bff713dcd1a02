/* pool_acct: a fund pool's accounting as a pure value (DESIGN 1.3). The
 * sums are those of the pool's entries by status, signed: approved is the
 * sum of its APPROVED entries, disbursed of its DISBURSED ones, so a
 * negative entry (a downward adjustment, a clawback, a grade penalty)
 * lowers the sum of its status and nothing else. Every change goes through
 * these functions, which refuse anything that would break
 *   0 <= approved + disbursed <= budget,  0 <= disbursed <= budget
 * (what the pool owes is never more than its budget nor less than
 * nothing, and what it has paid out, net, neither). approved alone
 * may be negative: a deduction approved before the payment it comes off
 * was confirmed. */
#ifndef COGOV_INC_POOL_ACCT_H
#define COGOV_INC_POOL_ACCT_H

#include <stdbool.h>
#include <stdint.h>

typedef struct pool_acct {
    int64_t budget;
    int64_t approved;  /* APPROVED entries: committed, not yet paid */
    int64_t disbursed; /* DISBURSED entries: paid, net of recoveries */
} pool_acct_t;

/* budget - approved - disbursed. */
int64_t pool_available(const pool_acct_t *p);
/* The invariant: 0 <= approved + disbursed <= budget and
 * 0 <= disbursed <= budget. */
bool pool_ok(const pool_acct_t *p);
/* Add to the budget (amount > 0). -EINVAL otherwise or on overflow. */
int pool_top_up(pool_acct_t *p, int64_t amount);
/* Approve an entry of `amount` (negative: a deduction, which releases
 * money). -ENOSPC if a positive one does not fit, -EINVAL if a negative
 * one would leave the pool owing less than nothing (nothing changed). */
int pool_approve(pool_acct_t *p, int64_t amount);
/* Confirm an approved entry paid (positive) or recovered (negative):
 * it moves from approved to disbursed. -EINVAL if that would make
 * disbursed negative (a recovery before anything was paid) or more than
 * the budget (a payment before the recovery it counts on). */
int pool_disburse(pool_acct_t *p, int64_t amount);
/* Give back an approved amount (an approved award rejected is not allowed
 * by the state machine; used for tests and symmetry). */
int pool_unapprove(pool_acct_t *p, int64_t amount);
/* Is available below permille of the budget? */
bool pool_is_low(const pool_acct_t *p, int64_t low_permille);

#endif

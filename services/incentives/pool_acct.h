/* pool_acct: a fund pool's accounting as a pure value (DESIGN 1.3). Every
 * change goes through these functions, which refuse anything that would
 * break approved + disbursed <= budget or make a sum negative. */
#ifndef COGOV_INC_POOL_ACCT_H
#define COGOV_INC_POOL_ACCT_H

#include <stdbool.h>
#include <stdint.h>

typedef struct pool_acct {
    int64_t budget;
    int64_t approved;  /* committed, not yet paid */
    int64_t disbursed; /* paid (net of clawbacks recovered) */
} pool_acct_t;

/* budget - approved - disbursed. */
int64_t pool_available(const pool_acct_t *p);
/* The invariant: all sums >= 0 and approved + disbursed <= budget. */
bool pool_ok(const pool_acct_t *p);
/* Add to the budget (amount > 0). -EINVAL otherwise or on overflow. */
int pool_top_up(pool_acct_t *p, int64_t amount);
/* Commit `amount` (may be negative: a downward adjustment or clawback
 * releases money). -ENOSPC if it does not fit (nothing changed). */
int pool_approve(pool_acct_t *p, int64_t amount);
/* Move an approved amount to disbursed. -EINVAL if more than approved
 * (positive) or it would make disbursed negative. */
int pool_disburse(pool_acct_t *p, int64_t amount);
/* Give back an approved amount (an approved award rejected is not allowed
 * by the state machine; used for tests and symmetry). */
int pool_unapprove(pool_acct_t *p, int64_t amount);
/* Is available below permille of the budget? */
bool pool_is_low(const pool_acct_t *p, int64_t low_permille);

#endif

/* pool_acct: pure pool accounting (see pool_acct.h). */
#include "pool_acct.h"

#include <errno.h>

#define LIMIT (INT64_MAX / 4)

int64_t
pool_available(const pool_acct_t *p)
{
    return p->budget - p->approved - p->disbursed;
}

bool
pool_ok(const pool_acct_t *p)
{
    return p->budget >= 0 && p->disbursed >= 0 && p->disbursed <= p->budget &&
           p->approved + p->disbursed >= 0 &&
           p->approved <= p->budget - p->disbursed;
}

int
pool_top_up(pool_acct_t *p, int64_t amount)
{
    if (amount <= 0 || p->budget > INT64_MAX / 2 - amount)
        return -EINVAL;
    p->budget += amount;
    return 0;
}

int
pool_approve(pool_acct_t *p, int64_t amount)
{
    pool_acct_t t = *p;

    if (amount > LIMIT || amount < -LIMIT)
        return -EINVAL;
    t.approved += amount;
    if (!pool_ok(&t))
        return amount > 0 ? -ENOSPC : -EINVAL;
    *p = t;
    return 0;
}

int
pool_disburse(pool_acct_t *p, int64_t amount)
{
    pool_acct_t t = *p;

    if (amount > LIMIT || amount < -LIMIT)
        return -EINVAL;
    t.approved -= amount;
    t.disbursed += amount;
    if (!pool_ok(&t))
        return -EINVAL;
    *p = t;
    return 0;
}

int
pool_unapprove(pool_acct_t *p, int64_t amount)
{
    if (amount < 0 || amount > p->approved)
        return -EINVAL;
    p->approved -= amount;
    return 0;
}

bool
pool_is_low(const pool_acct_t *p, int64_t low_permille)
{
    return p->budget > 0 && (__int128)pool_available(p) * 1000 <
                                (__int128)p->budget * low_permille;
}

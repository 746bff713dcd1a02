/* taxcredit: credit arithmetic and the qualification lifecycle (pure; see
 * taxcredit.h). */
#include "taxcredit.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int64_t
tc_credit_of(int64_t amount_fen)
{
    if (amount_fen <= 0 || amount_fen > INT64_MAX / 200)
        return -1;
    return (amount_fen * TC_RATE_PERCENT + 50) / 100;
}

/* Can investment i's credit be applied in year y? */
static bool
usable(const tc_inv_t *i, int y, int disq_year)
{
    /* credit earned before a disqualification is forfeited from its year
     * on; an enterprise certified again (after the ban) earns afresh */
    return i->year <= y && (i->withdrawn_year == 0 || i->withdrawn_year >= y) &&
           (disq_year == 0 || y < disq_year || i->year > disq_year);
}

void
tc_compute(tc_inv_t *inv, size_t ni, tc_year_t *yrs, size_t ny, int disq_year,
           int64_t *balance, int64_t *recaptured)
{
    *balance = *recaptured = 0;
    for (size_t i = 0; i < ni; i++)
        inv[i].used = inv[i].recaptured = 0;
    for (size_t k = 0; k < ny; k++) {
        tc_year_t *y = &yrs[k];
        int64_t left = y->due > 0 ? y->due : 0;
        y->applied = 0;
        for (size_t i = 0; i < ni && left > 0; i++) {
            int64_t room = inv[i].credit - inv[i].used;
            if (!usable(&inv[i], y->year, disq_year) || room <= 0)
                continue;
            int64_t take = room < left ? room : left;
            inv[i].used += take;
            y->applied += take;
            left -= take;
        }
        y->payable = y->due - y->applied;
        y->carried = 0;
        for (size_t i = 0; i < ni; i++)
            if (usable(&inv[i], y->year, disq_year))
                y->carried += inv[i].credit - inv[i].used;
    }
    for (size_t i = 0; i < ni; i++) {
        if (inv[i].withdrawn_year) {
            inv[i].recaptured = inv[i].used;
            *recaptured += inv[i].used;
        } else if (disq_year == 0 || inv[i].year > disq_year) {
            *balance += inv[i].credit - inv[i].used;
        }
    }
}

const char *
tc_stage_name(int stage)
{
    switch (stage) {
    case TC_RESERVE_POOL:
        return "RESERVE_POOL";
    case TC_CULTIVATION:
        return "CULTIVATION";
    case TC_CERTIFIED:
        return "CERTIFIED";
    case TC_DISQUALIFIED:
        return "DISQUALIFIED";
    default:
        return "NONE";
    }
}

int
tc_stage_next(int from, int to, const char *today, const char *banned_until,
              const char **why)
{
    const char *w = NULL;
    int err = -EINVAL;

    switch (to) {
    case TC_RESERVE_POOL:
        if (from == TC_NONE)
            err = 0;
        else if (from != TC_DISQUALIFIED)
            w = "already in the lifecycle";
        else if (banned_until && banned_until[0] &&
                 strcmp(today, banned_until) < 0) {
            w = "disqualified: may not apply again before the ban ends";
            err = -EPERM;
        } else
            err = 0;
        break;
    case TC_CULTIVATION:
        if (from == TC_RESERVE_POOL)
            err = 0;
        else
            w = "only a unit in the reserve pool enters cultivation";
        break;
    case TC_CERTIFIED:
        if (from == TC_CULTIVATION)
            err = 0;
        else
            w = "only a unit in cultivation is certified";
        break;
    case TC_DISQUALIFIED:
        if (from >= TC_RESERVE_POOL && from <= TC_CERTIFIED)
            err = 0;
        else
            w = "only a unit in the lifecycle can be disqualified";
        break;
    default:
        w = "unknown stage";
    }
    if (why)
        *why = w;
    return err;
}

void
tc_ban_until(const char *date, char *out, size_t outlen)
{
    int y = atoi(date) + TC_BAN_YEARS;
    const char *md = strlen(date) >= 10 ? date + 5 : "01-01";
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

    if (strncmp(md, "02-29", 5) == 0 && !leap)
        md = "03-01";
    snprintf(out, outlen, "%04d-%.5s", y, md);
}

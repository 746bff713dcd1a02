/* taxcredit: the 产教融合型企业 tax credit and qualification lifecycle as
 * pure functions (DESIGN 1.3). A certified enterprise's qualifying
 * investment earns a credit of 30% of it, rounded half up to the fen; the
 * credit is applied against the education surcharges due in a year (as the
 * tax bureau reports them), oldest credit first (by investment year, then
 * id); what is left carries forward. Withdrawing the investment or
 * transferring equity cancels its credit after that year, and what of it
 * was applied (up to and including that year) is recaptured (owed back).
 * Disqualification forfeits the credit from its year on. The account is
 * recomputed from the facts each time, so it does not depend on the order they
 * were recorded in. */
#ifndef COGOV_INC_TAXCREDIT_H
#define COGOV_INC_TAXCREDIT_H

#include <stddef.h>
#include <stdint.h>

#define TC_RATE_PERCENT 30
#define TC_BAN_YEARS 5

/* Stages (QualificationStage values). */
enum {
    TC_NONE = 0,
    TC_RESERVE_POOL = 1,
    TC_CULTIVATION = 2,
    TC_CERTIFIED = 3,
    TC_DISQUALIFIED = 4,
};

/* 30% of amount_fen, half up to the fen (amount 1 fen -> 0, 2 -> 1,
 * 5 -> 2 (1.5 rounds up), 10 -> 3). -1 if amount <= 0 or too large. */
int64_t tc_credit_of(int64_t amount_fen);

typedef struct tc_inv {
    int year;
    int64_t credit;     /* in */
    int withdrawn_year; /* 0: not withdrawn */
    int64_t used;       /* out: applied against surcharges */
    int64_t recaptured; /* out: used, then withdrawn */
} tc_inv_t;

typedef struct tc_year {
    int year;
    int64_t due;     /* in */
    int64_t applied; /* out */
    int64_t payable; /* out: due - applied */
    int64_t carried; /* out: unused credit usable after this year */
} tc_year_t;

/* inv sorted by (year, id), yrs by year. disq_year: the year the
 * enterprise was disqualified (0: never); credit earned up to it is not
 * usable in it or later. Sets the outs, *balance (unused credit still usable
 * now) and *recaptured (total owed back). */
void tc_compute(tc_inv_t *inv, size_t ni, tc_year_t *yrs, size_t ny,
                int disq_year, int64_t *balance, int64_t *recaptured);

/* May a unit at stage `from` move to `to` on business date `today`
 * ("YYYY-MM-DD")? banned_until: "" or the first date it may apply again.
 * Returns 0, or -EPERM / -EINVAL with *why set. */
int tc_stage_next(int from, int to, const char *today, const char *banned_until,
                  const char **why);

/* The first date a unit disqualified on `date` may apply again: five
 * years on (29 February becomes 1 March). out >= 11. */
void tc_ban_until(const char *date, char *out, size_t outlen);

const char *tc_stage_name(int stage);

#endif

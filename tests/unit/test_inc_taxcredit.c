/* test_inc_taxcredit: the 产教融合型企业 tax credit arithmetic — 30% of
 * the investment rounded half up to the fen, applied oldest first against
 * the year's education surcharges, carried forward, recaptured after a
 * withdrawal or equity transfer, forfeited by disqualification — and the
 * qualification lifecycle with its 5-year ban; plus the honour directive
 * of the policy parser. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "../../services/incentives/policy.c"
#include "../../services/incentives/taxcredit.c"

static void
credit_rounding(void **state)
{
    (void)state;
    /* 30% of n fen: 0.3 -> 0, 0.6 -> 1, 1.5 -> 2 (half up), 3 */
    assert_int_equal(tc_credit_of(1), 0);
    assert_int_equal(tc_credit_of(2), 1);
    assert_int_equal(tc_credit_of(5), 2);
    assert_int_equal(tc_credit_of(10), 3);
    assert_int_equal(tc_credit_of(15), 5);  /* 4.5 -> 5 */
    assert_int_equal(tc_credit_of(25), 8);  /* 7.5 -> 8 */
    assert_int_equal(tc_credit_of(35), 11); /* 10.5 -> 11 */
    /* ¥1,000,000.00 -> ¥300,000.00 */
    assert_int_equal(tc_credit_of(100000000), 30000000);
    assert_int_equal(tc_credit_of(0), -1);
    assert_int_equal(tc_credit_of(-5), -1);
    assert_int_equal(tc_credit_of(INT64_MAX), -1);
}

static void
carry_forward(void **state)
{
    (void)state;
    /* 2025: invest 1,000,000 yuan -> 300,000 credit; surcharges 120,000
     * due in 2025, 100,000 in 2026, 150,000 in 2027 */
    tc_inv_t inv[] = {{2025, tc_credit_of(100000000), 0, 0, 0}};
    tc_year_t y[] = {{2025, 12000000, 0, 0, 0},
                     {2026, 10000000, 0, 0, 0},
                     {2027, 15000000, 0, 0, 0}};
    int64_t bal, rec;
    tc_compute(inv, 1, y, 3, 0, &bal, &rec);
    assert_int_equal(y[0].applied, 12000000);
    assert_int_equal(y[0].payable, 0);
    assert_int_equal(y[0].carried, 18000000);
    assert_int_equal(y[1].applied, 10000000);
    assert_int_equal(y[1].carried, 8000000);
    assert_int_equal(y[2].applied, 8000000);
    assert_int_equal(y[2].payable, 7000000);
    assert_int_equal(y[2].carried, 0);
    assert_int_equal(bal, 0);
    assert_int_equal(rec, 0);
    assert_int_equal(inv[0].used, 30000000);
}

static void
credit_not_before_its_year(void **state)
{
    (void)state;
    tc_inv_t inv[] = {{2026, 300, 0, 0, 0}};
    tc_year_t y[] = {{2025, 500, 0, 0, 0}, {2026, 100, 0, 0, 0}};
    int64_t bal, rec;
    tc_compute(inv, 1, y, 2, 0, &bal, &rec);
    assert_int_equal(y[0].applied, 0);
    assert_int_equal(y[0].payable, 500);
    assert_int_equal(y[1].applied, 100);
    assert_int_equal(bal, 200);
}

static void
oldest_first_and_recapture(void **state)
{
    (void)state;
    /* two investments; the older one is used first; the newer is withdrawn
     * in 2027: what it gave in 2026 and 2027 is recaptured, nothing of it
     * is left after 2027 */
    tc_inv_t inv[] = {{2025, 1000, 0, 0, 0}, {2026, 600, 2027, 0, 0}};
    tc_year_t y[] = {{2025, 700, 0, 0, 0},
                     {2026, 500, 0, 0, 0},
                     {2027, 400, 0, 0, 0},
                     {2028, 100, 0, 0, 0}};
    int64_t bal, rec;
    tc_compute(inv, 2, y, 4, 0, &bal, &rec);
    assert_int_equal(y[0].applied, 700); /* inv0: 300 left */
    assert_int_equal(y[1].applied, 500); /* inv0 300 + inv1 200 */
    assert_int_equal(y[1].carried, 400); /* inv1's 400 */
    assert_int_equal(y[2].applied, 400); /* the withdrawal year still */
    assert_int_equal(y[2].carried, 0);
    assert_int_equal(y[3].applied, 0);
    assert_int_equal(y[3].payable, 100);
    assert_int_equal(inv[1].used, 600);
    assert_int_equal(inv[1].recaptured, 600);
    assert_int_equal(inv[0].recaptured, 0);
    assert_int_equal(rec, 600);
    assert_int_equal(bal, 0);
    /* equity transferred the year it was made, reported after: applied
     * and recaptured alike */
    tc_inv_t inv2[] = {{2025, 900, 2025, 0, 0}};
    tc_year_t y2[] = {{2025, 500, 0, 0, 0}};
    tc_compute(inv2, 1, y2, 1, 0, &bal, &rec);
    assert_int_equal(y2[0].applied, 500);
    assert_int_equal(rec, 500);
    assert_int_equal(bal, 0);
}

static void
disqualification_forfeits(void **state)
{
    (void)state;
    tc_inv_t inv[] = {{2025, 1000, 0, 0, 0}, {2031, 300, 0, 0, 0}};
    tc_year_t y[] = {
        {2025, 400, 0, 0, 0}, {2026, 400, 0, 0, 0}, {2031, 400, 0, 0, 0}};
    int64_t bal, rec;
    /* disqualified in 2026: the 2025 credit's rest is forfeited; certified
     * again after the ban, 2031's investment earns afresh */
    tc_compute(inv, 2, y, 3, 2026, &bal, &rec);
    assert_int_equal(y[0].applied, 400);
    assert_int_equal(y[1].applied, 0);
    assert_int_equal(y[2].applied, 300);
    assert_int_equal(bal, 0);
    assert_int_equal(rec, 0);
}

static void
lifecycle_and_ban(void **state)
{
    const char *why = NULL;
    char ban[16];
    (void)state;
    assert_int_equal(
        tc_stage_next(TC_NONE, TC_RESERVE_POOL, "2025-03-01", "", &why), 0);
    assert_int_equal(
        tc_stage_next(TC_NONE, TC_CERTIFIED, "2025-03-01", "", &why), -EINVAL);
    assert_non_null(why);
    assert_int_equal(
        tc_stage_next(TC_RESERVE_POOL, TC_CULTIVATION, "2025-03-01", "", &why),
        0);
    assert_int_equal(
        tc_stage_next(TC_RESERVE_POOL, TC_CERTIFIED, "2025-03-01", "", &why),
        -EINVAL);
    assert_int_equal(
        tc_stage_next(TC_CULTIVATION, TC_CERTIFIED, "2025-03-01", "", &why), 0);
    for (int s = TC_RESERVE_POOL; s <= TC_CERTIFIED; s++)
        assert_int_equal(
            tc_stage_next(s, TC_DISQUALIFIED, "2025-03-01", "", &why), 0);
    assert_int_equal(
        tc_stage_next(TC_DISQUALIFIED, TC_DISQUALIFIED, "2025-03-01", "", &why),
        -EINVAL);
    tc_ban_until("2025-06-30", ban, sizeof ban);
    assert_string_equal(ban, "2030-06-30");
    tc_ban_until("2028-02-29", ban, sizeof ban);
    assert_string_equal(ban, "2033-03-01");
    tc_ban_until("2027-02-28", ban, sizeof ban);
    assert_string_equal(ban, "2032-02-28");
    /* the ban is enforced up to the day before it ends */
    assert_int_equal(tc_stage_next(TC_DISQUALIFIED, TC_RESERVE_POOL,
                                   "2030-06-29", "2030-06-30", &why),
                     -EPERM);
    assert_int_equal(tc_stage_next(TC_DISQUALIFIED, TC_RESERVE_POOL,
                                   "2030-06-30", "2030-06-30", &why),
                     0);
    assert_int_equal(
        tc_stage_next(TC_CERTIFIED, TC_RESERVE_POOL, "2030-06-30", "", &why),
        -EINVAL);
}

static void
honour_directive(void **state)
{
    policy_t p;
    char err[256];
    (void)state;
    assert_int_equal(
        policy_parse("policy id=h version=1 effective=2025-01-01 pool=x\n"
                     "honour id=star grade=excellent title=优秀成员单位\n"
                     "grade id=bonus grade=excellent fen=1000\n",
                     "h", &p, err, sizeof err),
        0);
    assert_int_equal(p.n_rules, 2);
    assert_int_equal(p.rules[0].kind, RULE_HONOUR);
    assert_int_equal(p.rules[0].grade, 1);
    assert_string_equal(p.rules[0].title, "优秀成员单位");
    assert_int_equal(
        policy_parse("policy id=h version=1 effective=2025-01-01 pool=x\n"
                     "honour id=a grade=good title=良好\n"
                     "honour id=b grade=good title=再一个\n",
                     "h", &p, err, sizeof err),
        -EINVAL);
    assert_non_null(strstr(err, "h:3: ambiguous"));
    assert_int_equal(
        policy_parse("policy id=h version=1 effective=2025-01-01 pool=x\n"
                     "honour id=a grade=good\n",
                     "h", &p, err, sizeof err),
        -EINVAL);
    assert_non_null(strstr(err, "h:2: title= is required"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(credit_rounding),
        cmocka_unit_test(carry_forward),
        cmocka_unit_test(credit_not_before_its_year),
        cmocka_unit_test(oldest_first_and_recapture),
        cmocka_unit_test(disqualification_forfeits),
        cmocka_unit_test(lifecycle_and_ban),
        cmocka_unit_test(honour_directive),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

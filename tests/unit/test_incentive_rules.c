/* test_incentive_rules: incentives' pure rules: the policy parser (each
 * directive, file:line errors, ambiguity), amounts (rate rounding half up
 * to the fen, caps, eligibility), the pool invariant under thousands of
 * random sequences, and the award state machine exhaustively. */
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

#include "../../services/incentives/award_rules.c"
#include "../../services/incentives/cap_alloc.c"
#include "../../services/incentives/policy.c"
#include "../../services/incentives/pool_acct.c"

#define AS(x) COGOV__V1__AWARD_STATUS__AWARD_STATUS_##x

static const char *sample =
    "# industry-education incentives 2025\n"
    "policy id=ind-2025 version=1 effective=2025-01-01 pool=muni-2025\n"
    "eligible types=enterprise,leading_enterprise\n"
    "cap member_year_fen=3000000\n"
    "cap pool_fen=10000000\n"
    "rate id=interns measure=intern_months fen=80000 kinds=apprenticeship\n"
    "rate id=students measure=students fen=50000 kinds=order_class\n"
    "rate id=training measure=training_hours fen=1000 per=3\n"
    "lump id=college kinds=industry_college fen=5000000\n"
    "grade id=a-bonus grade=excellent fen=200000\n"
    "grade id=d-pen grade=fail fen=-100000\n";

static void
parse_sample(void **state)
{
    policy_t p;
    char err[256];

    (void)state;
    assert_int_equal(policy_parse(sample, "s.pol", &p, err, sizeof err), 0);
    assert_string_equal(p.id, "ind-2025");
    assert_int_equal(p.version, 1);
    assert_string_equal(p.effective_on, "2025-01-01");
    assert_string_equal(p.pool_id, "muni-2025");
    assert_int_equal(p.cap_member_year_fen, 3000000);
    assert_int_equal(p.cap_pool_fen, 10000000);
    assert_int_equal(p.n_rules, 6);
    assert_int_equal(p.rules[0].kind, RULE_RATE);
    assert_int_equal(p.rules[0].measure, MEASURE_INTERN_MONTHS);
    assert_int_equal(p.rules[0].fen, 80000);
    assert_true(policy_rule_matches_kind(&p.rules[0], 2));
    assert_false(policy_rule_matches_kind(&p.rules[0], 1));
    assert_int_equal(p.rules[2].per, 3);
    assert_true(policy_rule_matches_kind(&p.rules[2], 5)); /* no kinds: all */
    assert_int_equal(p.rules[3].kind, RULE_LUMP);
    assert_int_equal(p.rules[3].fen, 5000000);
    assert_int_equal(p.rules[5].kind, RULE_GRADE);
    assert_int_equal(p.rules[5].fen, -100000);
    assert_int_equal(p.rules[5].grade, 4);
    assert_true(policy_eligible_type(&p, 4));
    assert_true(policy_eligible_type(&p, 3));
    assert_false(policy_eligible_type(&p, 5));
}

static void
expect_error(const char *text, const char *want)
{
    policy_t p;
    char err[256];
    int rc = policy_parse(text, "f.pol", &p, err, sizeof err);

    if (rc != -EINVAL || strstr(err, want) == NULL)
        fail_msg("text:\n%s\nwant error containing \"%s\", got rc=%d \"%s\"",
                 text, want, rc, err);
}

#define HEAD "policy id=p version=1 effective=2025-01-01 pool=q\n"

static void
parse_errors(void **state)
{
    (void)state;
    expect_error("rate id=a measure=students fen=1\n",
                 "f.pol:1: \"rate\" before");
    expect_error("", "no \"policy\" line");
    expect_error(HEAD, "has no rules");
    expect_error(HEAD "rate id=a measure=students fen=1.5\n",
                 "f.pol:2: fen: \"1.5\" is not a whole number");
    expect_error(HEAD "rate id=a measure=students fen=-5\n", "f.pol:2: fen");
    expect_error(HEAD "rate id=a measure=pupils fen=5\n",
                 "f.pol:2: measure: \"pupils\"");
    expect_error(HEAD "rate id=a measure=students fen=5 colour=red\n",
                 "f.pol:2: rate: unknown key \"colour\"");
    expect_error(HEAD "rate id=a measure=students fen=5 fen=6\n",
                 "f.pol:2: fen: given twice");
    expect_error(HEAD "# c\n\nrate id=a measure=students fen=5\n"
                      "rate id=b measure=students fen=6 kinds=order_class\n",
                 "f.pol:5: ambiguous: rule \"b\" overlaps rule \"a\" (line 4)");
    expect_error(HEAD "rate id=a measure=students fen=5 kinds=order_class\n"
                      "rate id=a measure=quantity fen=6\n",
                 "f.pol:3: rule id \"a\" already used on line 2");
    expect_error(HEAD "lump id=a fen=5 kinds=training\n"
                      "lump id=b fen=6 kinds=training,other\n",
                 "f.pol:3: ambiguous");
    expect_error(HEAD
                 "grade id=a grade=good fen=5\ngrade id=b grade=good fen=6\n",
                 "f.pol:3: ambiguous");
    expect_error(HEAD "grade id=a grade=F fen=5\n", "f.pol:2: grade");
    expect_error(HEAD "lump id=a fen=5 kinds=dancing\n",
                 "f.pol:2: kinds: unknown name \"dancing\"");
    expect_error(HEAD "cap member_year_fen=5\ncap member_year_fen=6\n",
                 "f.pol:3: ambiguous");
    expect_error(HEAD "eligible types=aliens\n", "f.pol:2: types");
    expect_error(HEAD HEAD, "f.pol:2: a second \"policy\"");
    expect_error("policy id=p version=1 effective=2025-13-01 pool=q\n",
                 "f.pol:1: effective");
    expect_error(HEAD "bonus id=a\n", "f.pol:2: unknown directive \"bonus\"");
    expect_error(HEAD "rate id=a measure=students\n",
                 "f.pol:2: fen= is required");
    expect_error(HEAD "rate measure=students fen=3 =x\n", "f.pol:2: \"=x\"");
    /* different measures or disjoint kinds are not ambiguous */
    {
        policy_t p;
        char err[256];
        assert_int_equal(
            policy_parse(HEAD
                         "rate id=a measure=students fen=5 kinds=training\n"
                         "rate id=b measure=students fen=6 kinds=other\n"
                         "rate id=c measure=quantity fen=6\n",
                         "f", &p, err, sizeof err),
            0);
        assert_int_equal(p.n_rules, 3);
    }
}

/* Rounding rule: half up to the whole fen. */
static void
rate_rounding(void **state)
{
    (void)state;
    assert_int_equal(policy_rate_fen(10, 80000, 1), 800000);
    assert_int_equal(policy_rate_fen(1, 1000, 3), 333); /* 333.33 */
    assert_int_equal(policy_rate_fen(2, 1000, 3), 667); /* 666.67 */
    assert_int_equal(policy_rate_fen(1, 1, 2), 1);      /* 0.5 up */
    assert_int_equal(policy_rate_fen(3, 1, 4), 1);      /* 0.75 */
    assert_int_equal(policy_rate_fen(1, 1, 4), 0);      /* 0.25 */
    assert_int_equal(policy_rate_fen(5, 3, 10), 2);     /* 1.5 up */
    assert_int_equal(policy_rate_fen(-5, 3, 10), -2);   /* symmetric */
    assert_int_equal(policy_rate_fen(0, 999, 7), 0);
    assert_int_equal(policy_rate_fen(INT64_MAX, INT32_MAX, 1), INT64_MAX / 2);
}

static void
caps(void **state)
{
    policy_t p;
    char err[256], why[128];

    (void)state;
    assert_int_equal(policy_parse(sample, "s", &p, err, sizeof err), 0);
    assert_int_equal(policy_cap(&p, 1000, 0, 0, why, sizeof why), 1000);
    assert_string_equal(why, "");
    assert_int_equal(policy_cap(&p, 1000000, 2500000, 0, why, sizeof why),
                     500000);
    assert_non_null(strstr(why, "member-year cap 3000000"));
    assert_int_equal(policy_cap(&p, 1000000, 3500000, 0, why, sizeof why), 0);
    assert_int_equal(policy_cap(&p, 1000000, 0, 9800000, why, sizeof why),
                     200000);
    assert_non_null(strstr(why, "policy pool cap"));
    /* caps do not apply to a penalty: it is netted (policy_deduct) */
    assert_int_equal(policy_cap(&p, -100000, 9999999, 9999999, why, sizeof why),
                     -100000);
}

/* A grade penalty is a deduction from the member's earlier claims of the
 * policy in the year, never below nothing. */
static void
penalty_netting(void **state)
{
    char why[256];

    (void)state;
    /* enough to deduct from: the whole penalty */
    assert_int_equal(policy_deduct(-1000000, 2500000, why, sizeof why),
                     -1000000);
    assert_non_null(strstr(why, "netted against the 2500000 fen"));
    /* less: limited to what there is */
    assert_int_equal(policy_deduct(-1000000, 300000, why, sizeof why), -300000);
    assert_non_null(strstr(why, "limited to -300000 fen"));
    /* nothing (or an earlier penalty took it all): 0, never a debt */
    assert_int_equal(policy_deduct(-1000000, 0, why, sizeof why), 0);
    assert_int_equal(policy_deduct(-1000000, -50, why, sizeof why), 0);
    assert_non_null(strstr(why, "limited to 0 fen"));
    /* not a penalty: unchanged, nothing said */
    assert_int_equal(policy_deduct(700, 0, why, sizeof why), 700);
    assert_string_equal(why, "");

    /* the tally: a penalty lowers the member's net, frees no cap room */
    cap_tally_t *t = cap_tally_new(0);
    cap_tally_add(t, "m", 2025, 2000);
    cap_tally_add(t, "m", 2025, -1500);
    assert_int_equal(cap_tally_member(t, "m", 2025), 2000);
    assert_int_equal(cap_tally_net(t, "m", 2025), 500);
    assert_int_equal(cap_tally_pool(t), 2000);
    assert_int_equal(cap_tally_net(t, "m", 2026), 0);
    cap_tally_seed(t, "n", 2025, 900, 100);
    assert_int_equal(cap_tally_member(t, "n", 2025), 900);
    assert_int_equal(cap_tally_net(t, "n", 2025), 100);
    cap_tally_destroy(&t);
    assert_null(t);
}

/* Property: under any random sequence of top-ups, approvals and
 * disbursements of positive and negative entries, 0 <= approved +
 * disbursed <= budget and disbursed >= 0 hold after every step, a step is
 * refused exactly when it would break them, refused steps change nothing,
 * and the sums match a shadow ledger of the entries accepted (signed sums
 * by status). */
static void
pool_invariant_property(void **state)
{
    unsigned seed = (unsigned)time(NULL);
    const char *env = getenv("COGOV_TEST_SEED");

    (void)state;
    if (env)
        seed = (unsigned)strtoul(env, NULL, 10);
    printf("pool_invariant_property: seed %u (COGOV_TEST_SEED)\n", seed);
    srand(seed);
    for (int seqn = 0; seqn < 5000; seqn++) {
        pool_acct_t p = {.budget = rand() % 100000};
        int64_t topped = p.budget, appr = 0, paid = 0;
        for (int step = 0; step < 60; step++) {
            pool_acct_t before = p;
            int64_t amt = rand() % 30000;
            int op = rand() % 5, rc = 0;
            switch (op) {
            case 0:
                rc = pool_top_up(&p, amt);
                if (rc == 0)
                    topped += amt;
                break;
            case 1:
            case 2:
                rc = pool_approve(&p, amt);
                if (rc == 0)
                    appr += amt;
                else
                    assert_true(amt > pool_available(&before));
                break;
            case 3:
                if (rand() % 2)
                    amt = -(amt % 5000); /* a recovery confirmed */
                rc = pool_disburse(&p, amt);
                if (rc == 0) {
                    appr -= amt;
                    paid += amt;
                } else {
                    assert_true(before.disbursed + amt < 0 ||
                                before.disbursed + amt > before.budget);
                }
                break;
            case 4:
                rc = pool_approve(&p, -(amt % 5000)); /* a deduction */
                if (rc == 0)
                    appr -= amt % 5000;
                else
                    assert_true(before.approved + before.disbursed <
                                amt % 5000);
                break;
            }
            if (rc != 0)
                assert_memory_equal(&before, &p, sizeof p);
            if (!pool_ok(&p))
                fail_msg("seed %u seq %d step %d: budget %lld approved %lld "
                         "disbursed %lld",
                         seed, seqn, step, (long long)p.budget,
                         (long long)p.approved, (long long)p.disbursed);
            assert_int_equal(p.budget, topped);
            assert_int_equal(p.approved, appr);
            assert_int_equal(p.disbursed, paid);
        }
    }
}

static void
pool_edges(void **state)
{
    pool_acct_t p = {.budget = 1000};

    (void)state;
    assert_int_equal(pool_approve(&p, 1001), -ENOSPC);
    assert_int_equal(pool_approve(&p, 1000), 0);
    assert_int_equal(pool_available(&p), 0);
    assert_int_equal(pool_disburse(&p, 1001), -EINVAL);
    assert_int_equal(pool_disburse(&p, 400), 0);
    assert_int_equal(pool_approve(&p, 1), -ENOSPC);
    assert_int_equal(pool_top_up(&p, 0), -EINVAL);
    assert_int_equal(pool_top_up(&p, -5), -EINVAL);
    assert_int_equal(pool_top_up(&p, 100), 0);
    assert_int_equal(pool_available(&p), 100);
    assert_true(pool_is_low(&p, 100)); /* 100 < 10% of 1100 */
    assert_false(pool_is_low(&p, 50)); /* 100 >= 5% */
    /* a deduction of 700 on 600 approved and 400 paid: approved goes
     * below 0 (it comes off a payment not yet confirmed) */
    assert_int_equal(pool_approve(&p, -700), 0);
    assert_int_equal(p.approved, -100);
    assert_int_equal(p.disbursed, 400);
    assert_int_equal(pool_available(&p), 800);
    /* the payment confirmed, then the deduction */
    assert_int_equal(pool_disburse(&p, 600), 0);
    assert_int_equal(pool_disburse(&p, -700), 0);
    assert_int_equal(p.approved, 0);
    assert_int_equal(p.disbursed, 300);
    /* never owing less than nothing, never paid less than nothing */
    assert_int_equal(pool_approve(&p, -301), -EINVAL);
    assert_int_equal(pool_approve(&p, -300), 0);
    assert_int_equal(pool_disburse(&p, -301), -EINVAL);
    /* nor more than the budget paid out, even for a moment */
    pool_acct_t q = {.budget = 1000, .approved = -300, .disbursed = 1000};
    assert_true(pool_ok(&q));
    assert_int_equal(pool_approve(&q, 300), 0);
    assert_int_equal(pool_disburse(&q, 300), -EINVAL);
    assert_int_equal(pool_disburse(&q, -300), 0);
    assert_int_equal(pool_disburse(&q, 300), 0);
    assert_int_equal(q.disbursed, 1000);
    assert_int_equal(pool_disburse(&p, -300), 0);
    assert_true(pool_ok(&p));
}

/* Every (state, op, reviewed, fits) against the table in award_rules.h. */
static void
award_machine_exhaustive(void **state)
{
    static const Cogov__V1__AwardStatus all[] = {
        AS(UNSPECIFIED), AS(PROPOSED), AS(APPROVED), AS(DISBURSED),
        AS(REJECTED),    AS(HELD),     AS(QUEUED)};
    int allowed = 0;

    (void)state;
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        for (int op = AWARD_REVIEW; op <= AWARD_RELEASE; op++)
            for (int rv = 0; rv < 2; rv++)
                for (int fits = 0; fits < 2; fits++) {
                    Cogov__V1__AwardStatus f = all[i], want = AS(UNSPECIFIED);
                    const char *why = NULL;
                    Cogov__V1__AwardStatus got =
                        award_next(f, (award_op_t)op, rv, fits, &why);
                    switch (op) {
                    case AWARD_REVIEW:
                        if (f == AS(PROPOSED) && !rv)
                            want = AS(PROPOSED);
                        break;
                    case AWARD_APPROVE:
                        if (f == AS(PROPOSED) && rv)
                            want = fits ? AS(APPROVED) : AS(QUEUED);
                        break;
                    case AWARD_FUND:
                        if (f == AS(QUEUED) && fits)
                            want = AS(APPROVED);
                        break;
                    case AWARD_DISBURSE:
                        if (f == AS(APPROVED))
                            want = AS(DISBURSED);
                        break;
                    case AWARD_REJECT:
                        if (f == AS(PROPOSED) || f == AS(QUEUED) ||
                            f == AS(HELD))
                            want = AS(REJECTED);
                        break;
                    case AWARD_HOLD:
                        if (f == AS(PROPOSED) || f == AS(QUEUED))
                            want = AS(HELD);
                        break;
                    case AWARD_RELEASE:
                        if (f == AS(HELD))
                            want = AS(PROPOSED);
                        break;
                    }
                    if (got != want)
                        fail_msg("%s op %d reviewed %d fits %d: got %s want %s",
                                 award_status_name(f), op, rv, fits,
                                 award_status_name(got),
                                 award_status_name(want));
                    if (got == AS(UNSPECIFIED))
                        assert_non_null(why);
                    else
                        allowed++;
                }
    assert_int_equal(allowed, 2 + 2 + 2 + 4 + 12 + 8 + 4);
    /* final states accept nothing */
    for (int op = AWARD_REVIEW; op <= AWARD_RELEASE; op++) {
        assert_int_equal(award_next(AS(DISBURSED), op, 1, 1, NULL),
                         AS(UNSPECIFIED));
        assert_int_equal(award_next(AS(REJECTED), op, 1, 1, NULL),
                         AS(UNSPECIFIED));
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parse_sample),
        cmocka_unit_test(parse_errors),
        cmocka_unit_test(rate_rounding),
        cmocka_unit_test(caps),
        cmocka_unit_test(penalty_netting),
        cmocka_unit_test(pool_invariant_property),
        cmocka_unit_test(pool_edges),
        cmocka_unit_test(award_machine_exhaustive),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_task_rules: the task and escalation lifecycles (every action from
 * every status), the overdue-once rule and pledge deadlines. Pure. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../services/coordination/task_rules.c"

#define N_TS 6
#define N_TA 5

/* expected[from][action]: resulting status, or -EPERM / -EINVAL. */
static const int expected[N_TS][N_TA] = {
    /*                APPROVE       START            COMPLETE       CANCEL */
    [TS(UNSPECIFIED)] = {-EINVAL, -EINVAL, -EINVAL, -EINVAL, -EINVAL},
    [TS(PROPOSED)] = {-EINVAL, TS(APPROVED), -EPERM, -EPERM, TS(CANCELLED)},
    [TS(APPROVED)] = {-EINVAL, -EPERM, TS(IN_PROGRESS), -EPERM, TS(CANCELLED)},
    [TS(IN_PROGRESS)] = {-EINVAL, -EPERM, -EPERM, TS(COMPLETED), TS(CANCELLED)},
    [TS(COMPLETED)] = {-EINVAL, -EPERM, -EPERM, -EPERM, -EPERM},
    [TS(CANCELLED)] = {-EINVAL, -EPERM, -EPERM, -EPERM, -EPERM},
};

static void
every_action_from_every_status(void **state)
{
    int allowed = 0;
    (void)state;
    for (int from = 0; from < N_TS; from++) {
        for (int a = 0; a < N_TA; a++) {
            Cogov__V1__TaskStatus to = (Cogov__V1__TaskStatus)99;
            int rc = task_transition(from, a, &to);
            int want = expected[from][a];
            if (want < 0) {
                if (rc != want)
                    fail_msg("from %s action %d: got %d want %d",
                             task_status_name(from), a, rc, want);
                assert_int_equal(to, 99); /* untouched */
            } else {
                if (rc != 0 || (int)to != want)
                    fail_msg("from %s action %d: got rc %d to %s want %s",
                             task_status_name(from), a, rc,
                             task_status_name(to), task_status_name(want));
                allowed++;
            }
        }
    }
    assert_int_equal(allowed, 6);
}

static void
unknown_values_refused(void **state)
{
    Cogov__V1__TaskStatus to;
    (void)state;
    assert_int_equal(task_transition(TS(PROPOSED), 77, &to), -EINVAL);
    assert_int_equal(task_transition(42, TA(APPROVE), &to), -EINVAL);
    assert_string_equal(task_status_name(42), "UNKNOWN");
}

static void
overdue_once(void **state)
{
    (void)state;
    int64_t due = 1000;
    /* before due: nothing; at due and after: raised, unless done or raised */
    assert_false(milestone_overdue_now(due, 0, false, 999));
    assert_true(milestone_overdue_now(due, 0, false, 1000));
    assert_true(milestone_overdue_now(due, 0, false, 1000000)); /* catch-up */
    assert_false(milestone_overdue_now(due, 0, true, 2000));    /* once */
    assert_false(milestone_overdue_now(due, 500, false, 2000)); /* done */

    /* two ticks over three milestones: each raised exactly once */
    int64_t dues[3] = {100, 200, 5000};
    bool raised[3] = {false, false, false};
    int64_t ticks[3] = {150, 300, 400};
    int count[3] = {0, 0, 0};
    for (int t = 0; t < 3; t++)
        for (int m = 0; m < 3; m++)
            if (milestone_overdue_now(dues[m], 0, raised[m], ticks[t])) {
                raised[m] = true;
                count[m]++;
            }
    assert_int_equal(count[0], 1);
    assert_int_equal(count[1], 1);
    assert_int_equal(count[2], 0);
}

static void
pledge_deadline(void **state)
{
    (void)state;
#define PS(x) COGOV__V1__PLEDGE_STATUS__PLEDGE_STATUS_##x
    assert_true(pledge_missed_now(PS(PLEDGED), 100, 100));
    assert_false(pledge_missed_now(PS(PLEDGED), 100, 99));
    assert_false(pledge_missed_now(PS(DELIVERED), 100, 200));
    assert_false(pledge_missed_now(PS(MISSED), 100, 200));
}

static void
escalation_lifecycle(void **state)
{
    Cogov__V1__EscalationStatus to;
    (void)state;
    for (int from = 0; from <= 3; from++) {
        for (int d = 0; d <= 1; d++) {
            int rc = escalation_transition(from, d, &to);
            bool ok = (d && from == ES(OPEN)) || (!d && from == ES(DECIDED));
            if (ok) {
                assert_int_equal(rc, 0);
                assert_int_equal(to, d ? ES(DECIDED) : ES(CLOSED));
            } else {
                assert_int_equal(rc, -EPERM);
            }
        }
    }
#define ED(x) COGOV__V1__ESCALATION_DECISION__ESCALATION_DECISION_##x
#define MD(x) COGOV__V1__MEMBER_DECISION__MEMBER_DECISION_##x
    assert_int_equal(escalation_member_decision(ED(SUSPEND)), MD(SUSPEND));
    assert_int_equal(escalation_member_decision(ED(EXPEL)), MD(EXPEL));
    assert_int_equal(escalation_member_decision(ED(NO_ACTION)),
                     MD(UNSPECIFIED));
    assert_int_equal(escalation_member_decision(ED(DIRECT)), MD(UNSPECIFIED));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_action_from_every_status),
        cmocka_unit_test(unknown_values_refused),
        cmocka_unit_test(overdue_once),
        cmocka_unit_test(pledge_deadline),
        cmocka_unit_test(escalation_lifecycle),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_member_rules: the member status state machine, every decision from
 * every status, and the names it gives. Pure: no sockets, no store. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../services/coordination/member_rules.c"

#define N_STATUS 7   /* UNSPECIFIED .. REJECTED */
#define N_DECISION 7 /* UNSPECIFIED .. EXPEL */

/* expected[from][decision]: the resulting status, or -EPERM / -EINVAL. */
static const int expected[N_STATUS][N_DECISION] = {
    /*              UNSPEC   ADMIT     REJECT     SUSPEND    REINSTATE  EXIT
       EXPEL */
    [ST(UNSPECIFIED)] = {-EINVAL, -EPERM, -EPERM, -EPERM, -EPERM, -EPERM,
                         -EPERM},
    [ST(APPLIED)] = {-EINVAL, ST(ADMITTED), ST(REJECTED), -EPERM, -EPERM,
                     -EPERM, -EPERM},
    [ST(ADMITTED)] = {-EINVAL, -EPERM, -EPERM, ST(SUSPENDED), -EPERM,
                      ST(EXITED), ST(EXPELLED)},
    [ST(SUSPENDED)] = {-EINVAL, -EPERM, -EPERM, -EPERM, ST(ADMITTED),
                       ST(EXITED), ST(EXPELLED)},
    [ST(EXITED)] = {-EINVAL, -EPERM, -EPERM, -EPERM, -EPERM, -EPERM, -EPERM},
    [ST(EXPELLED)] = {-EINVAL, -EPERM, -EPERM, -EPERM, -EPERM, -EPERM, -EPERM},
    [ST(REJECTED)] = {-EINVAL, -EPERM, -EPERM, -EPERM, -EPERM, -EPERM, -EPERM},
};

static void
every_decision_from_every_status(void **state)
{
    int allowed = 0;

    for (int from = 0; from < N_STATUS; from++) {
        for (int d = 0; d < N_DECISION; d++) {
            Cogov__V1__MemberStatus to = (Cogov__V1__MemberStatus)99;
            int rc = member_decide((Cogov__V1__MemberStatus)from,
                                   (Cogov__V1__MemberDecision)d, &to);
            int want = expected[from][d];
            if (want < 0 ? rc != want : rc != 0 || (int)to != want)
                print_message(
                    "%s from %s -> rc %d to %d (want %d)\n",
                    member_decision_verb((Cogov__V1__MemberDecision)d),
                    member_status_name((Cogov__V1__MemberStatus)from), rc,
                    (int)to, want);
            if (want < 0) {
                assert_int_equal(rc, want);
                assert_int_equal(to, 99); /* untouched on refusal */
            } else {
                assert_int_equal(rc, 0);
                assert_int_equal(to, want);
                allowed++;
            }
        }
    }
    /* ADMIT, REJECT, SUSPEND, REINSTATE, 2x EXIT, 2x EXPEL. */
    assert_int_equal(allowed, 8);
}

static void
unknown_decision_is_invalid(void **state)
{
    Cogov__V1__MemberStatus to = ST(APPLIED);
    assert_int_equal(
        member_decide(ST(APPLIED), (Cogov__V1__MemberDecision)7, &to), -EINVAL);
    assert_int_equal(
        member_decide(ST(ADMITTED), (Cogov__V1__MemberDecision)-1, &to),
        -EINVAL);
    assert_int_equal(to, ST(APPLIED));
}

static void
who_may_apply(void **state)
{
    assert_true(member_may_apply(ST(UNSPECIFIED)));
    assert_true(member_may_apply(ST(REJECTED)));
    assert_true(member_may_apply(ST(EXITED)));
    assert_false(member_may_apply(ST(APPLIED)));
    assert_false(member_may_apply(ST(ADMITTED)));
    assert_false(member_may_apply(ST(SUSPENDED)));
    assert_false(member_may_apply(ST(EXPELLED)));
}

static void
decision_events(void **state)
{
    static const struct {
        Cogov__V1__MemberDecision d;
        Cogov__V1__Event__PayloadCase pc;
        const char *type;
    } cases[] = {
        {DE(ADMIT), EV(ADMITTED), "member_admitted"},
        {DE(REJECT), EV(REJECTED), "member_rejected"},
        {DE(SUSPEND), EV(SUSPENDED), "member_suspended"},
        {DE(REINSTATE), EV(REINSTATED), "member_reinstated"},
        {DE(EXIT), EV(EXITED), "member_exited"},
        {DE(EXPEL), EV(EXPELLED), "member_expelled"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        Cogov__V1__Event ev = COGOV__V1__EVENT__INIT;
        Cogov__V1__MemberStatusChanged msc =
            COGOV__V1__MEMBER_STATUS_CHANGED__INIT;
        assert_int_equal(member_decision_event(cases[i].d), cases[i].pc);
        assert_int_equal(member_event_set(&ev, cases[i].d, &msc), 0);
        assert_int_equal(ev.payload_case, cases[i].pc);
        /* The union member the case names points at msc. */
        const ProtobufCFieldDescriptor *f =
            protobuf_c_message_descriptor_get_field(
                &cogov__v1__event__descriptor, (unsigned)cases[i].pc);
        assert_non_null(f);
        assert_string_equal(f->name, cases[i].type);
        assert_ptr_equal(*(void **)((char *)&ev + f->offset), &msc);
    }
    Cogov__V1__Event ev = COGOV__V1__EVENT__INIT;
    assert_int_equal(member_decision_event(DE(UNSPECIFIED)),
                     COGOV__V1__EVENT__PAYLOAD__NOT_SET);
    assert_int_equal(member_event_set(&ev, DE(UNSPECIFIED), NULL), -EINVAL);
    assert_int_equal(ev.payload_case, COGOV__V1__EVENT__PAYLOAD__NOT_SET);
}

static void
names(void **state)
{
    assert_string_equal(member_status_name(ST(ADMITTED)), "ADMITTED");
    assert_string_equal(member_status_name(ST(REJECTED)), "REJECTED");
    assert_string_equal(member_status_name((Cogov__V1__MemberStatus)42),
                        "UNKNOWN");
    assert_string_equal(member_decision_verb(DE(ADMIT)), "admit");
    assert_string_equal(member_decision_verb(DE(EXPEL)), "expel");
    assert_string_equal(
        member_type_label(
            COGOV__V1__MEMBER_TYPE__MEMBER_TYPE_HIGHER_VOCATIONAL_COLLEGE),
        "高等职业院校");
    assert_string_equal(member_type_label((Cogov__V1__MemberType)0),
                        "未知类型");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_decision_from_every_status),
        cmocka_unit_test(unknown_decision_is_invalid),
        cmocka_unit_test(who_may_apply),
        cmocka_unit_test(decision_events),
        cmocka_unit_test(names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

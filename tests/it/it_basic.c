/* it_basic: the first slice end to end through the real daemons: found a
 * consortium, admit units, the secretariat welcomes them, farewells on exit,
 * acknowledgements, idempotent retries, the manual calendar, restart with
 * state kept, graceful stop. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "util.h"

#define OK COGOV__V1__STATUS_CODE__STATUS_OK

static Cogov__V1__Reply *
call(cluster_t *c, int which, Cogov__V1__Request *req)
{
    Cogov__V1__Reply *rep = cluster_call(c, which, req, 10000);
    assert_non_null(rep);
    return rep;
}

static int
call_code(cluster_t *c, int which, Cogov__V1__Request *req)
{
    Cogov__V1__Reply *rep = call(c, which, req);
    int code = rep->code;
    if (code != OK)
        printf("# %s: code %d: %s\n", h_names[which], code, rep->error);
    cogov__v1__reply__free_unpacked(rep, NULL);
    return code;
}

static int
found(cluster_t *c, const char *rid)
{
    Cogov__V1__FoundConsortium fc = COGOV__V1__FOUND_CONSORTIUM__INIT;
    fc.name = "滨江市智能制造市域产教联合体";
    fc.city = "滨江市";
    fc.park = "滨江高新技术产业开发区";
    fc.lead_department = "滨江市教育局";
    fc.founded_on = "2025-01-10";
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.request_id = (char *)rid;
    req.body_case = COGOV__V1__REQUEST__BODY_FOUND_CONSORTIUM;
    req.found_consortium = &fc;
    return call_code(c, H_COORD, &req);
}

static int
apply(cluster_t *c, const char *uscc, const char *name, const char *rid)
{
    Cogov__V1__ApplyMember am = COGOV__V1__APPLY_MEMBER__INIT;
    am.uscc = (char *)uscc;
    am.name = (char *)name;
    am.type = COGOV__V1__MEMBER_TYPE__MEMBER_TYPE_HIGHER_VOCATIONAL_COLLEGE;
    am.has_type = 1;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.request_id = (char *)rid;
    req.body_case = COGOV__V1__REQUEST__BODY_APPLY_MEMBER;
    req.apply_member = &am;
    return call_code(c, H_COORD, &req);
}

static int
decide(cluster_t *c, const char *id, Cogov__V1__MemberDecision d)
{
    Cogov__V1__DecideMember dm = COGOV__V1__DECIDE_MEMBER__INIT;
    dm.member_id = (char *)id;
    dm.decision = d;
    dm.has_decision = 1;
    dm.reason = "理事会决定";
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_DECIDE_MEMBER;
    req.decide_member = &dm;
    return call_code(c, H_COORD, &req);
}

static Cogov__V1__Reply *
notices(cluster_t *c, const char *member, Cogov__V1__NoticeKind kind)
{
    Cogov__V1__ListNotices ln = COGOV__V1__LIST_NOTICES__INIT;
    ln.member_id = (char *)member;
    if (kind != 0) {
        ln.kind = kind;
        ln.has_kind = 1;
    }
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_LIST_NOTICES;
    req.list_notices = &ln;
    Cogov__V1__Reply *rep = call(c, H_SECR, &req);
    assert_int_equal(rep->code, OK);
    assert_int_equal(rep->body_case, COGOV__V1__REPLY__BODY_NOTICE_LIST);
    return rep;
}

static int
count_events(cluster_t *c, int which, const char *type)
{
    char sql[160];
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM outbox WHERE type='%s'",
             type);
    return (int)store_query_int(c->store[which], sql);
}

static void
test_welcome_farewell_and_restart(void **state)
{
    (void)state;
    cluster_t c;
    assert_int_equal(cluster_init(&c, "basic"), 0);
    assert_int_equal(cluster_start(&c, H_COORD), 0);
    assert_int_equal(cluster_start(&c, H_SECR), 0);

    char a[19], b[19], d[19];
    uscc_make(11, a);
    uscc_make(12, b);
    uscc_make(13, d);
    /* Nothing can be applied for before the consortium exists. */
    assert_int_equal(apply(&c, a, "滨江职业技术学院", "early"),
                     COGOV__V1__STATUS_CODE__STATUS_CONFLICT);
    assert_int_equal(found(&c, "found-1"), OK);
    /* A retry of the founding (same id, same body) is answered, not
     * re-applied; founding again under another id is a conflict. */
    assert_int_equal(found(&c, "found-1"), OK);
    assert_int_equal(found(&c, "found-2"),
                     COGOV__V1__STATUS_CODE__STATUS_CONFLICT);
    assert_int_equal(count_events(&c, H_COORD, "consortium_founded"), 1);

    assert_int_equal(apply(&c, a, "滨江职业技术学院", "apply-a"), OK);
    assert_int_equal(apply(&c, b, "滨江第一中等职业学校", "apply-b"), OK);
    assert_int_equal(apply(&c, d, "滨江数控机床有限公司", "apply-d"), OK);
    /* Same request id, other body: CONFLICT, nothing applied. */
    assert_int_equal(apply(&c, d, "别的名字", "apply-a"),
                     COGOV__V1__STATUS_CODE__STATUS_CONFLICT);
    /* A bad credit code is refused. */
    char bad[19];
    memcpy(bad, a, sizeof(bad));
    bad[17] = bad[17] == '0' ? '1' : '0';
    assert_int_equal(apply(&c, bad, "假冒单位", "apply-bad"),
                     COGOV__V1__STATUS_CODE__STATUS_INVALID);

    assert_int_equal(
        decide(&c, a, COGOV__V1__MEMBER_DECISION__MEMBER_DECISION_ADMIT), OK);
    assert_int_equal(
        decide(&c, b, COGOV__V1__MEMBER_DECISION__MEMBER_DECISION_ADMIT), OK);
    assert_int_equal(
        decide(&c, d, COGOV__V1__MEMBER_DECISION__MEMBER_DECISION_REJECT), OK);
    /* Admitting twice is a conflict (the state machine), not a second
     * welcome. */
    assert_int_equal(
        decide(&c, a, COGOV__V1__MEMBER_DECISION__MEMBER_DECISION_ADMIT),
        COGOV__V1__STATUS_CODE__STATUS_CONFLICT);
    assert_int_equal(
        decide(&c, "NOPE", COGOV__V1__MEMBER_DECISION__MEMBER_DECISION_ADMIT),
        COGOV__V1__STATUS_CODE__STATUS_NOT_FOUND);
    assert_int_equal(cluster_sync(&c, 20000), 0);

    Cogov__V1__Reply *rep =
        notices(&c, NULL, COGOV__V1__NOTICE_KIND__NOTICE_KIND_WELCOME);
    assert_int_equal(rep->notice_list->n_notices, 2);
    cogov__v1__reply__free_unpacked(rep, NULL);
    rep = notices(&c, d, 0);
    assert_int_equal(rep->notice_list->n_notices, 0);
    cogov__v1__reply__free_unpacked(rep, NULL);

    /* The unit acknowledges its welcome (through the secretariat). */
    rep = notices(&c, a, 0);
    assert_int_equal(rep->notice_list->n_notices, 1);
    Cogov__V1__Notice *no = rep->notice_list->notices[0];
    assert_non_null(strstr(no->title, "滨江市智能制造市域产教联合体"));
    char notice_id[128];
    str_copy(notice_id, sizeof(notice_id), no->notice_id);
    cogov__v1__reply__free_unpacked(rep, NULL);
    Cogov__V1__AcknowledgeNotice an = COGOV__V1__ACKNOWLEDGE_NOTICE__INIT;
    an.notice_id = notice_id;
    an.member_id = a;
    Cogov__V1__Request ra = COGOV__V1__REQUEST__INIT;
    ra.body_case = COGOV__V1__REQUEST__BODY_ACKNOWLEDGE_NOTICE;
    ra.acknowledge_notice = &an;
    /* The bootstrap operator is GOV_COORDINATOR+OPERATOR: not allowed to
     * acknowledge for a unit. */
    assert_int_equal(call_code(&c, H_SECR, &ra),
                     COGOV__V1__STATUS_CODE__STATUS_PERMISSION_DENIED);

    /* Exit: a farewell. */
    assert_int_equal(
        decide(&c, b, COGOV__V1__MEMBER_DECISION__MEMBER_DECISION_EXIT), OK);
    assert_int_equal(cluster_sync(&c, 20000), 0);
    rep = notices(&c, b, COGOV__V1__NOTICE_KIND__NOTICE_KIND_FAREWELL);
    assert_int_equal(rep->notice_list->n_notices, 1);
    cogov__v1__reply__free_unpacked(rep, NULL);

    /* The manual calendar moves business time everywhere. */
    Cogov__V1__AdvanceCalendar ac = COGOV__V1__ADVANCE_CALENDAR__INIT;
    ac.to = 1751212800; /* 2025-06-30 00:00 +08:00 */
    ac.has_to = 1;
    Cogov__V1__Request rc = COGOV__V1__REQUEST__INIT;
    rc.body_case = COGOV__V1__REQUEST__BODY_ADVANCE_CALENDAR;
    rc.advance_calendar = &ac;
    assert_int_equal(call_code(&c, H_COORD, &rc), OK);
    ac.to = 1751212800 - 86400;               /* backwards: refused */
    rc.request_id = rc.correlation_id = NULL; /* a new request */
    assert_int_equal(call_code(&c, H_COORD, &rc),
                     COGOV__V1__STATUS_CODE__STATUS_CONFLICT);
    assert_int_equal(cluster_sync(&c, 20000), 0);
    Cogov__V1__GetStatus gs = COGOV__V1__GET_STATUS__INIT;
    Cogov__V1__Request rs = COGOV__V1__REQUEST__INIT;
    rs.body_case = COGOV__V1__REQUEST__BODY_GET_STATUS;
    rs.get_status = &gs;
    rep = call(&c, H_SECR, &rs);
    assert_int_equal(rep->status->business_time, 1751212800);
    cogov__v1__reply__free_unpacked(rep, NULL);

    /* Graceful stop with exit 0, restart, everything still there and no
     * notice published twice. */
    assert_int_equal(cluster_stop(&c, H_SECR), 0);
    assert_int_equal(cluster_stop(&c, H_COORD), 0);
    assert_int_equal(cluster_start(&c, H_COORD), 0);
    assert_int_equal(cluster_start(&c, H_SECR), 0);
    assert_int_equal(cluster_sync(&c, 20000), 0);
    rep = notices(&c, NULL, 0);
    assert_int_equal(rep->notice_list->n_notices, 3);
    cogov__v1__reply__free_unpacked(rep, NULL);
    assert_int_equal(cluster_stop(&c, H_SECR), 0);
    assert_int_equal(cluster_stop(&c, H_COORD), 0);
    assert_int_equal(count_events(&c, H_SECR, "notice_published"), 3);
    assert_int_equal(count_events(&c, H_COORD, "member_applied"), 3);
    cluster_destroy(&c);
}

/* The CLI against the real daemons: exit codes scripts rely on. */
static void
test_cogovctl(void **state)
{
    (void)state;
    cluster_t c;
    char out[65536];
    assert_int_equal(cluster_init(&c, "ctl"), 0);
    assert_int_equal(cluster_start(&c, H_COORD), 0);
    assert_int_equal(cluster_start(&c, H_SECR), 0);
    const char *found_args[] = {"consortium",
                                "found",
                                "--name",
                                "滨江市智能制造市域产教联合体",
                                "--city",
                                "滨江市",
                                "--park",
                                "滨江高新区",
                                "--lead-department",
                                "滨江市教育局",
                                "--founded-on",
                                "2025-01-10",
                                NULL};
    assert_int_equal(cluster_ctl(&c, out, sizeof(out), found_args), 0);
    assert_int_equal(cluster_ctl(&c, out, sizeof(out), found_args), 5);
    char a[19];
    uscc_make(77, a);
    const char *apply_args[] = {
        "member", "apply",        "--uscc", a,
        "--name", "滨江技师学院", "--type", "higher_vocational_college",
        NULL};
    assert_int_equal(cluster_ctl(&c, out, sizeof(out), apply_args), 0);
    const char *bad_args[] = {"member", "apply",  "--uscc",     "123", "--name",
                              "坏",     "--type", "enterprise", NULL};
    assert_int_equal(cluster_ctl(&c, out, sizeof(out), bad_args), 2);
    const char *admit_args[] = {"member", "admit", a, NULL};
    assert_int_equal(cluster_ctl(&c, out, sizeof(out), admit_args), 0);
    const char *missing_args[] = {"member", "show", "NOSUCHMEMBER", NULL};
    assert_int_equal(cluster_ctl(&c, out, sizeof(out), missing_args), 3);
    const char *sync_args[] = {"sync", "--timeout", "20", NULL};
    assert_int_equal(cluster_ctl(&c, out, sizeof(out), sync_args), 0);
    const char *list_args[] = {"--json", "notice", "list", NULL};
    assert_int_equal(cluster_ctl(&c, out, sizeof(out), list_args), 0);
    assert_non_null(strstr(out, a));
    assert_non_null(strstr(out, "welcome:coordination:"));
    const char *members_args[] = {"member", "list", NULL};
    assert_int_equal(cluster_ctl(&c, out, sizeof(out), members_args), 0);
    assert_non_null(strstr(out, "滨江技师学院"));
    const char *tail_args[] = {"events", "tail", "coordination", NULL};
    assert_int_equal(cluster_ctl(&c, out, sizeof(out), tail_args), 0);
    assert_non_null(strstr(out, "member_admitted"));
    const char *status_args[] = {"status", NULL};
    assert_int_equal(cluster_ctl(&c, out, sizeof(out), status_args), 0);
    assert_non_null(strstr(out, "secretariat"));
    /* A daemon down: status says so and fails. */
    assert_int_equal(cluster_stop(&c, H_SECR), 0);
    const char *status_args2[] = {"--timeout", "500", "status", NULL};
    assert_int_not_equal(cluster_ctl(&c, out, sizeof(out), status_args2), 0);
    assert_int_equal(cluster_stop(&c, H_COORD), 0);
    cluster_destroy(&c);
}

/* A client that wrote to coordination can at once read the reaction in the
 * secretariat by passing the head it was given; an unreachable position is
 * answered UNAVAILABLE after the bounded wait, never hangs. */
static void
test_consistency_token(void **state)
{
    (void)state;
    cluster_t c;
    assert_int_equal(cluster_init(&c, "token"), 0);
    assert_int_equal(cluster_start(&c, H_COORD), 0);
    assert_int_equal(found(&c, "found"), OK);
    char a[19];
    uscc_make(4242, a);
    assert_int_equal(apply(&c, a, "滨江航空职业技术学院", "apply"), OK);
    /* The secretariat is down while the unit is admitted. */
    Cogov__V1__DecideMember dm = COGOV__V1__DECIDE_MEMBER__INIT;
    dm.member_id = a;
    dm.decision = COGOV__V1__MEMBER_DECISION__MEMBER_DECISION_ADMIT;
    dm.has_decision = 1;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_DECIDE_MEMBER;
    req.decide_member = &dm;
    Cogov__V1__Reply *rep = call(&c, H_COORD, &req);
    assert_int_equal(rep->code, OK);
    assert_int_equal(rep->n_heads, 1);
    assert_string_equal(rep->heads[0]->producer, "coordination");
    uint64_t head = rep->heads[0]->seq;
    assert_true(head >= 3);
    cogov__v1__reply__free_unpacked(rep, NULL);
    assert_int_equal(cluster_start(&c, H_SECR), 0);

    Cogov__V1__Position pos = COGOV__V1__POSITION__INIT;
    Cogov__V1__Position *after[1] = {&pos};
    pos.producer = "coordination";
    pos.seq = head;
    pos.has_seq = 1;
    Cogov__V1__ListNotices ln = COGOV__V1__LIST_NOTICES__INIT;
    ln.member_id = a;
    Cogov__V1__Request rl = COGOV__V1__REQUEST__INIT;
    rl.body_case = COGOV__V1__REQUEST__BODY_LIST_NOTICES;
    rl.list_notices = &ln;
    rl.after = after;
    rl.n_after = 1;
    rep = call(&c, H_SECR, &rl);
    assert_int_equal(rep->code, OK);
    assert_int_equal(rep->notice_list->n_notices, 1);
    cogov__v1__reply__free_unpacked(rep, NULL);

    /* A position coordination has not reached. */
    pos.seq = head + 1000;
    rl.request_id = rl.correlation_id = NULL;
    client_t *cl = cluster_client(&c, H_SECR);
    char err[128];
    /* Wait longer than the daemon's consistency_wait_ms (1.5 s). */
    rep = client_call(cl, &rl, 5000, 5000, err, sizeof(err));
    assert_non_null(rep);
    client_destroy(&cl);
    assert_int_equal(rep->code, COGOV__V1__STATUS_CODE__STATUS_UNAVAILABLE);
    assert_non_null(strstr(rep->error, "coordination"));
    cogov__v1__reply__free_unpacked(rep, NULL);
    assert_int_equal(cluster_stop(&c, H_SECR), 0);
    assert_int_equal(cluster_stop(&c, H_COORD), 0);
    cluster_destroy(&c);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_welcome_farewell_and_restart),
        cmocka_unit_test(test_cogovctl),
        cmocka_unit_test(test_consistency_token),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

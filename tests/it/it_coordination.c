/* it_coordination: issue 5 through the real daemons — charter versions,
 * council seats, the secretariat unit, committees, vision and goals, a task
 * through its whole lifecycle with milestones, progress and a correction,
 * the manual calendar raising milestone_overdue exactly once, pledges missed
 * and delivered, an escalation that suspends a member, the dossier; bad
 * input for every new command (the reply code, and nothing changed); and
 * the new cogovctl commands with their exit codes and --json output.
 *
 * The tests share one world and run in order: each builds on what the one
 * before left. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "harness_req.h"
#include "util.h"

#define OK COGOV__V1__STATUS_CODE__STATUS_OK
#define INVALID COGOV__V1__STATUS_CODE__STATUS_INVALID
#define NOT_FOUND COGOV__V1__STATUS_CODE__STATUS_NOT_FOUND
#define DENIED COGOV__V1__STATUS_CODE__STATUS_PERMISSION_DENIED
#define CONFLICT COGOV__V1__STATUS_CODE__STATUS_CONFLICT

#define TS(x) COGOV__V1__TASK_STATUS__TASK_STATUS_##x
#define TA(x) COGOV__V1__TASK_ACTION__TASK_ACTION_##x
#define PS(x) COGOV__V1__PLEDGE_STATUS__PLEDGE_STATUS_##x
#define BODY(x) COGOV__V1__REQUEST__BODY_##x
#define WAIT_MS 10000

typedef struct world {
    cluster_t c;
    keypair_t obs;   /* OBSERVER */
    keypair_t rep_a; /* MEMBER_REP of a */
    keypair_t rep_b; /* MEMBER_REP of b */
    client_t *op, *cl_obs, *cl_rep_a, *cl_rep_b;
    char a[19]; /* admitted: a college, leads the task */
    char b[19]; /* admitted: an enterprise, takes part */
    char s[19]; /* admitted, then suspended by an escalation */
    char p[19]; /* applied, never admitted */
    char x[19]; /* never applied */
} world_t;

static world_t *W; /* for the helpers below; set by setup */

/* ---- calls --------------------------------------------------------------- */

static Cogov__V1__Reply *
ok(Cogov__V1__Request *req, const char *what)
{
    return h_want(W->op, req, OK, what);
}

static void
ok_free(Cogov__V1__Request *req, const char *what)
{
    cogov__v1__reply__free_unpacked(ok(req, what), NULL);
}

typedef struct snap {
    unsigned long long head;
    uint64_t db;
} snap_t;

static snap_t
snap(void)
{
    Cogov__V1__GetStatus gs = COGOV__V1__GET_STATUS__INIT;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = BODY(GET_STATUS);
    req.get_status = &gs;
    Cogov__V1__Reply *rep = ok(&req, "get_status");
    snap_t s = {rep->status->head_seq, store_hash(W->c.store[H_COORD], NULL)};
    assert_int_not_equal(s.db, 0);
    cogov__v1__reply__free_unpacked(rep, NULL);
    return s;
}

/* An integer from coordination's store. */
#define qint(...) h_qint(W->c.store[H_COORD], __VA_ARGS__)

static int
count_events(const char *type)
{
    return (int)qint("SELECT count(*) FROM outbox WHERE type='%s'", type);
}

/* Send on cl, expect code with needle in the error, and the outbox
 * unchanged. */
static void
refused_on(client_t *cl, Cogov__V1__Request *req, int code, const char *needle,
           const char *what)
{
    h_refused(cl, req, code, needle, what, W->c.store[H_COORD]);
}

static void
refused(Cogov__V1__Request *req, int code, const char *needle, const char *what)
{
    refused_on(W->op, req, code, needle, what);
}

/* ---- request builders ---------------------------------------------------- */

static void
decide_member(const char *id, Cogov__V1__MemberDecision d)
{
    assert_int_equal(h_decide(W->op, id, d), OK);
}

static void
apply_member(const char *id, const char *name, Cogov__V1__MemberType type)
{
    assert_int_equal(h_apply(W->op, id, name, type), OK);
}

static Cogov__V1__MemberStatus
member_status(const char *id)
{
    Cogov__V1__GetMember gm = COGOV__V1__GET_MEMBER__INIT;
    gm.member_id = (char *)id;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = BODY(GET_MEMBER);
    req.get_member = &gm;
    Cogov__V1__Reply *rep = ok(&req, "get_member");
    Cogov__V1__MemberStatus st = rep->member->status;
    cogov__v1__reply__free_unpacked(rep, NULL);
    return st;
}

static void
advance_to(const char *date)
{
    assert_int_equal(h_advance(W->op, h_time(date)), OK);
}

static Cogov__V1__Reply *
get_task(const char *id)
{
    Cogov__V1__GetTask gt = COGOV__V1__GET_TASK__INIT;
    gt.task_id = (char *)id;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = BODY(GET_TASK);
    req.get_task = &gt;
    Cogov__V1__Reply *rep = ok(&req, "get_task");
    assert_int_equal(rep->body_case, COGOV__V1__REPLY__BODY_TASK);
    return rep;
}

static void
change_task(client_t *cl, const char *id, Cogov__V1__TaskAction a,
            int want_status)
{
    Cogov__V1__ChangeTaskStatus ch = COGOV__V1__CHANGE_TASK_STATUS__INIT;
    ch.task_id = (char *)id;
    ch.has_action = true;
    ch.action = a;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = BODY(CHANGE_TASK_STATUS);
    req.change_task_status = &ch;
    Cogov__V1__Reply *rep = h_want(cl, &req, OK, "change_task_status");
    assert_int_equal(rep->task->status, want_status);
    cogov__v1__reply__free_unpacked(rep, NULL);
}

/* ---- the world ----------------------------------------------------------- */

static int
setup(void **state)
{
    world_t *w = xcalloc(1, sizeof *w);
    W = w;
    *state = w; /* teardown cleans up after a failed setup too */
    cluster_t *c = &w->c;
    printf("# seed %u\n", test_seed());
    assert_int_equal(cluster_init(c, "coord"), 0);
    uscc_make(701, w->a);
    uscc_make(702, w->b);
    uscc_make(703, w->s);
    uscc_make(704, w->p);
    uscc_make(705, w->x);
    assert_int_equal(
        cluster_add_principal(c, "observer", "-", "OBSERVER", "-", &w->obs), 0);
    assert_int_equal(
        cluster_add_principal(c, "rep-a", w->a, "MEMBER_REP", "-", &w->rep_a),
        0);
    assert_int_equal(
        cluster_add_principal(c, "rep-b", w->b, "MEMBER_REP", "-", &w->rep_b),
        0);
    assert_int_equal(cluster_start(c, H_COORD), 0);
    assert_int_equal(cluster_start(c, H_SECR), 0);
    w->op = cluster_client(c, H_COORD);
    w->cl_obs = cluster_client_as(c, H_COORD, &w->obs);
    w->cl_rep_a = cluster_client_as(c, H_COORD, &w->rep_a);
    w->cl_rep_b = cluster_client_as(c, H_COORD, &w->rep_b);
    assert_non_null(w->op);
    assert_non_null(w->cl_obs);
    assert_non_null(w->cl_rep_a);
    assert_non_null(w->cl_rep_b);
    h_watch(c);

    assert_int_equal(h_found(w->op, "滨江高新技术产业开发区", "2025-01-01"),
                     OK);
    apply_member(w->a, "滨江职业技术学院",
                 COGOV__V1__MEMBER_TYPE__MEMBER_TYPE_HIGHER_VOCATIONAL_COLLEGE);
    apply_member(w->b, "滨江精密机械有限公司",
                 COGOV__V1__MEMBER_TYPE__MEMBER_TYPE_LEADING_ENTERPRISE);
    apply_member(w->s, "滨江某某科技有限公司",
                 COGOV__V1__MEMBER_TYPE__MEMBER_TYPE_ENTERPRISE);
    apply_member(w->p, "滨江申请中企业",
                 COGOV__V1__MEMBER_TYPE__MEMBER_TYPE_ENTERPRISE);
    decide_member(w->a, COGOV__V1__MEMBER_DECISION__MEMBER_DECISION_ADMIT);
    decide_member(w->b, COGOV__V1__MEMBER_DECISION__MEMBER_DECISION_ADMIT);
    decide_member(w->s, COGOV__V1__MEMBER_DECISION__MEMBER_DECISION_ADMIT);
    *state = w;
    return 0;
}

static int
teardown(void **state)
{
    world_t *w = *state != NULL ? *state : W;
    if (w == NULL)
        return -1;
    client_destroy(&w->op);
    client_destroy(&w->cl_obs);
    client_destroy(&w->cl_rep_a);
    client_destroy(&w->cl_rep_b);
    int sync = cluster_sync(&w->c, 20000);
    int s = cluster_stop(&w->c, H_SECR);
    int c = cluster_stop(&w->c, H_COORD);
    printf("# sync %d; stop: secretariat exit %d, coordination exit %d\n", sync,
           s, c);
    cluster_destroy(&w->c);
    free(w);
    return sync == 0 && s == 0 && c == 0 ? 0 : -1;
}

/* ---- charter, council, goals --------------------------------------------- */

static Cogov__V1__Reply *
adopt(const char *title, uint32_t quorum, const char *eff)
{
    Cogov__V1__CharterRules r = COGOV__V1__CHARTER_RULES__INIT;
    r.has_quorum_permille = r.has_pass_permille = true;
    r.has_extraordinary_permille = r.has_one_unit_one_vote = true;
    r.quorum_permille = quorum;
    r.pass_permille = 501;
    r.extraordinary_permille = 200;
    r.one_unit_one_vote = true;
    Cogov__V1__AdoptCharter ac = COGOV__V1__ADOPT_CHARTER__INIT;
    ac.title = (char *)title;
    ac.text = "第一条 本联合体由政府统筹、园区支撑、校企协同组成。";
    ac.rules = &r;
    ac.effective_on = (char *)eff;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = BODY(ADOPT_CHARTER);
    req.adopt_charter = &ac;
    return ok(&req, "adopt_charter");
}

static void
test_charter_council_goals(void **state)
{
    world_t *w = *state;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;

    Cogov__V1__Reply *rep = adopt("联合体章程", 500, "2025-01-15");
    assert_int_equal(rep->charter->version, 1);
    cogov__v1__reply__free_unpacked(rep, NULL);
    rep = adopt("联合体章程（修订）", 667, "2025-06-01");
    assert_int_equal(rep->charter->version, 2);
    cogov__v1__reply__free_unpacked(rep, NULL);
    assert_int_equal(count_events("charter_adopted"), 2);

    /* In force on the calendar's date (2025-01-01): neither version yet;
     * v1 from 2025-01-15, v2 from 2025-06-01; every version readable by
     * number, by an observer too. */
    Cogov__V1__GetCharter gc = COGOV__V1__GET_CHARTER__INIT;
    req.body_case = BODY(GET_CHARTER);
    req.get_charter = &gc;
    refused_on(w->cl_obs, &req, NOT_FOUND, "none effective yet",
               "charter in force before its effective date");
    gc.as_of = "2025-01-14";
    refused(&req, NOT_FOUND, "2025-01-14", "charter in force on 2025-01-14");
    gc.as_of = "2025-01-15";
    rep = h_want(w->cl_obs, &req, OK, "get_charter as of 2025-01-15");
    assert_int_equal(rep->charter->version, 1);
    cogov__v1__reply__free_unpacked(rep, NULL);
    gc.as_of = "2025-05-31";
    rep = ok(&req, "get_charter as of 2025-05-31");
    assert_int_equal(rep->charter->version, 1);
    cogov__v1__reply__free_unpacked(rep, NULL);
    gc.as_of = "2025-06-01";
    rep = ok(&req, "get_charter as of 2025-06-01");
    assert_int_equal(rep->charter->version, 2);
    assert_int_equal(rep->charter->rules->quorum_permille, 667);
    cogov__v1__reply__free_unpacked(rep, NULL);
    gc.as_of = "2025-13-01";
    refused(&req, INVALID, "as_of", "get_charter bad as_of");
    gc.as_of = NULL;
    gc.has_version = true;
    gc.version = 1;
    rep = ok(&req, "get_charter v1");
    assert_int_equal(rep->charter->rules->quorum_permille, 500);
    assert_string_equal(rep->charter->effective_on, "2025-01-15");
    cogov__v1__reply__free_unpacked(rep, NULL);

    /* Seats. */
    Cogov__V1__AssignSeat as = COGOV__V1__ASSIGN_SEAT__INIT;
    as.seat_id = "chair";
    as.has_role = true;
    as.role = COGOV__V1__SEAT_ROLE__SEAT_ROLE_CHAIR;
    as.member_id = w->a;
    as.term_start = "2025-01-15";
    as.term_end = "2028-01-14";
    cogov__v1__request__init(&req);
    req.body_case = BODY(ASSIGN_SEAT);
    req.assign_seat = &as;
    ok_free(&req, "assign chair");
    as.seat_id = "director-1";
    as.role = COGOV__V1__SEAT_ROLE__SEAT_ROLE_DIRECTOR;
    as.member_id = w->b;
    ok_free(&req, "assign director-1");
    as.seat_id = "director-2";
    as.member_id = w->s;
    ok_free(&req, "assign director-2");
    assert_int_equal(count_events("council_seat_assigned"), 3);

    Cogov__V1__VacateSeat vs = COGOV__V1__VACATE_SEAT__INIT;
    vs.seat_id = "director-2";
    vs.reason = "换届";
    cogov__v1__request__init(&req);
    req.body_case = BODY(VACATE_SEAT);
    req.vacate_seat = &vs;
    rep = ok(&req, "vacate");
    assert_int_equal(rep->council->n_seats, 1);
    assert_true(str_empty(rep->council->seats[0]->member_id));
    cogov__v1__reply__free_unpacked(rep, NULL);
    assert_int_equal(count_events("council_seat_assigned"), 4);

    Cogov__V1__DesignateSecretariat ds = COGOV__V1__DESIGNATE_SECRETARIAT__INIT;
    ds.member_id = w->a;
    cogov__v1__request__init(&req);
    req.body_case = BODY(DESIGNATE_SECRETARIAT);
    req.designate_secretariat = &ds;
    ok_free(&req, "designate secretariat");

    Cogov__V1__FormCommittee fc = COGOV__V1__FORM_COMMITTEE__INIT;
    char *mids[] = {w->a, w->b};
    fc.committee_id = "teaching";
    fc.name = "教学指导委员会";
    fc.convenor_member_id = w->a;
    fc.n_member_ids = 2;
    fc.member_ids = mids;
    cogov__v1__request__init(&req);
    req.body_case = BODY(FORM_COMMITTEE);
    req.form_committee = &fc;
    ok_free(&req, "form committee");

    Cogov__V1__ListSeats ls = COGOV__V1__LIST_SEATS__INIT;
    cogov__v1__request__init(&req);
    req.body_case = BODY(LIST_SEATS);
    req.list_seats = &ls;
    rep = h_want(w->cl_obs, &req, OK, "list seats");
    assert_int_equal(rep->council->n_seats, 3);
    assert_string_equal(rep->council->secretariat_member_id, w->a);
    assert_int_equal(rep->council->n_committees, 1);
    assert_int_equal(rep->council->committees[0]->n_member_ids, 2);
    cogov__v1__reply__free_unpacked(rep, NULL);

    /* Vision and goals. */
    Cogov__V1__SetVision sv = COGOV__V1__SET_VISION__INIT;
    sv.text = "建成产教深度融合的智能制造人才高地";
    cogov__v1__request__init(&req);
    req.body_case = BODY(SET_VISION);
    req.set_vision = &sv;
    ok_free(&req, "set vision");
    Cogov__V1__SetGoal sg = COGOV__V1__SET_GOAL__INIT;
    sg.goal_id = "2025-ocs";
    sg.has_year = sg.has_target_value = true;
    sg.year = 2025;
    sg.indicator_code = "ORDER_CLASS_STUDENTS";
    sg.title = "订单班学生数";
    sg.target_value = 300;
    sg.unit = "人";
    cogov__v1__request__init(&req);
    req.body_case = BODY(SET_GOAL);
    req.set_goal = &sg;
    ok_free(&req, "set goal");
    sg.target_value = 400; /* a revision */
    rep = ok(&req, "revise goal");
    assert_int_equal(rep->goal_list->n_goals, 1);
    assert_int_equal(rep->goal_list->goals[0]->target_value, 400);
    assert_string_equal(rep->goal_list->vision, sv.text);
    cogov__v1__reply__free_unpacked(rep, NULL);
    assert_int_equal(count_events("goal_set"), 2);
    assert_int_equal(count_events("vision_set"), 1);
}

/* ---- a task's whole life, the calendar ------------------------------------
 */

static void
create_task(const char *id, const char *m1_due, const char *m2_due)
{
    Cogov__V1__MilestoneSpec m1 = COGOV__V1__MILESTONE_SPEC__INIT,
                             m2 = COGOV__V1__MILESTONE_SPEC__INIT;
    Cogov__V1__MilestoneSpec *ms[] = {&m1, &m2};
    m1.milestone_id = "enrol";
    m1.title = "完成招生";
    m1.due_on = (char *)m1_due;
    m2.milestone_id = "intern";
    m2.title = "完成岗位实习安排";
    m2.due_on = (char *)m2_due;
    char *parts[] = {W->b};
    Cogov__V1__CreateTask ct = COGOV__V1__CREATE_TASK__INIT;
    ct.task_id = (char *)id;
    ct.title = "智能制造订单班";
    ct.has_kind = true;
    ct.kind = COGOV__V1__TASK_KIND__TASK_KIND_ORDER_CLASS;
    ct.lead_member_id = W->a;
    ct.n_participant_ids = 1;
    ct.participant_ids = parts;
    ct.goal_id = "2025-ocs";
    ct.has_planned_quantity = true;
    ct.planned_quantity = 120;
    ct.quantity_unit = "人";
    ct.n_milestones = 2;
    ct.milestones = ms;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = BODY(CREATE_TASK);
    req.create_task = &ct;
    Cogov__V1__Reply *rep = ok(&req, "create_task");
    assert_int_equal(rep->task->status, TS(PROPOSED));
    assert_int_equal(rep->task->n_milestones, 2);
    cogov__v1__reply__free_unpacked(rep, NULL);
}

static void
report(client_t *cl, const char *task, const char *id, const char *member,
       int64_t students, int64_t qty, const char *corrects)
{
    Cogov__V1__Delivered d = COGOV__V1__DELIVERED__INIT;
    d.has_students_enrolled = d.has_quantity = true;
    d.students_enrolled = students;
    d.quantity = qty;
    Cogov__V1__ReportProgress rp = COGOV__V1__REPORT_PROGRESS__INIT;
    rp.task_id = (char *)task;
    rp.report_id = (char *)id;
    rp.member_id = (char *)member;
    rp.delivered = &d;
    rp.corrects_report_id = (char *)corrects;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = BODY(REPORT_PROGRESS);
    req.report_progress = &rp;
    cogov__v1__reply__free_unpacked(h_want(cl, &req, OK, "report_progress"),
                                    NULL);
}

static void
milestone_done(client_t *cl, const char *task, const char *ms)
{
    Cogov__V1__CompleteMilestone cm = COGOV__V1__COMPLETE_MILESTONE__INIT;
    cm.task_id = (char *)task;
    cm.milestone_id = (char *)ms;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = BODY(COMPLETE_MILESTONE);
    req.complete_milestone = &cm;
    cogov__v1__reply__free_unpacked(h_want(cl, &req, OK, "complete_milestone"),
                                    NULL);
}

static void
test_task_lifecycle_and_calendar(void **state)
{
    world_t *w = *state;
    create_task("t-oc-1", "2025-03-31", "2025-09-30");
    change_task(w->op, "t-oc-1", TA(APPROVE), TS(APPROVED));
    /* The lead unit's representative may start it (coordination.proto). */
    change_task(w->cl_rep_a, "t-oc-1", TA(START), TS(IN_PROGRESS));

    /* The lead and a participant report; the participant corrects its own
     * report; the totals count the correction instead of the original. */
    report(w->cl_rep_a, "t-oc-1", "r-1", w->a, 40, 40, NULL);
    report(w->cl_rep_b, "t-oc-1", "r-2", w->b, 10, 10, NULL);
    report(w->op, "t-oc-1", "r-2c", w->b, 25, 25, "r-2");
    Cogov__V1__Reply *rep = get_task("t-oc-1");
    assert_int_equal(rep->task->n_reports, 3);
    assert_int_equal(rep->task->delivered->students_enrolled, 65);
    assert_int_equal(rep->task->delivered->quantity, 65);
    for (size_t i = 0; i < rep->task->n_reports; i++)
        if (strcmp(rep->task->reports[i]->report_id, "r-2") == 0)
            assert_string_equal(rep->task->reports[i]->corrected_by, "r-2c");
    assert_false(rep->task->overdue);
    cogov__v1__reply__free_unpacked(rep, NULL);
    assert_int_equal(count_events("progress_reported"), 3);

    /* The goal sees the task's plan and delivery. */
    Cogov__V1__ListGoals lg = COGOV__V1__LIST_GOALS__INIT;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = BODY(LIST_GOALS);
    req.list_goals = &lg;
    rep = ok(&req, "list goals");
    assert_int_equal(rep->goal_list->n_goals, 1);
    assert_int_equal(rep->goal_list->goals[0]->planned, 120);
    assert_int_equal(rep->goal_list->goals[0]->delivered, 65);
    assert_int_equal(rep->goal_list->goals[0]->tasks, 1);
    cogov__v1__reply__free_unpacked(rep, NULL);

    /* Two ticks past the first milestone: milestone_overdue exactly once. */
    assert_int_equal(count_events("milestone_overdue"), 0);
    advance_to("2025-04-01 09:00");
    assert_int_equal(count_events("milestone_overdue"), 1);
    advance_to("2025-04-02 09:00");
    assert_int_equal(count_events("milestone_overdue"), 1);
    rep = get_task("t-oc-1");
    assert_true(rep->task->overdue);
    for (size_t i = 0; i < rep->task->n_milestones; i++) {
        const Cogov__V1__Milestone *m = rep->task->milestones[i];
        assert_int_equal(m->overdue_raised,
                         strcmp(m->milestone_id, "enrol") == 0);
    }
    cogov__v1__reply__free_unpacked(rep, NULL);
    Cogov__V1__ListTasks lt = COGOV__V1__LIST_TASKS__INIT;
    lt.has_overdue_only = lt.overdue_only = true;
    cogov__v1__request__init(&req);
    req.body_case = BODY(LIST_TASKS);
    req.list_tasks = &lt;
    rep = ok(&req, "list overdue");
    assert_int_equal(rep->task_list->n_tasks, 1);
    cogov__v1__reply__free_unpacked(rep, NULL);

    /* Late, and on time. */
    milestone_done(w->cl_rep_a, "t-oc-1", "enrol");
    milestone_done(w->op, "t-oc-1", "intern");
    assert_int_equal(count_events("milestone_completed"), 2);
    assert_int_equal(qint("SELECT count(*) FROM outbox WHERE type="
                          "'milestone_completed'"),
                     2);
    advance_to("2025-10-15 09:00"); /* nothing more is overdue */
    assert_int_equal(count_events("milestone_overdue"), 1);
    rep = get_task("t-oc-1");
    assert_false(rep->task->overdue);
    cogov__v1__reply__free_unpacked(rep, NULL);

    change_task(w->op, "t-oc-1", TA(COMPLETE), TS(COMPLETED));
    assert_int_equal(count_events("task_completed"), 1);
    assert_int_equal(count_events("task_status_changed"), 2);
    assert_int_equal(count_events("task_created"), 1);
}

/* ---- pledges ------------------------------------------------------------- */

static Cogov__V1__Reply *
make_pledge_on(client_t *cl, const char *id, const char *member,
               Cogov__V1__PledgeKind kind, int64_t fen, const char *due,
               int want)
{
    Cogov__V1__MakePledge mp = COGOV__V1__MAKE_PLEDGE__INIT;
    mp.pledge_id = (char *)id;
    mp.task_id = "t-pb-2";
    mp.member_id = (char *)member;
    mp.has_kind = mp.has_amount_fen = true;
    mp.kind = kind;
    mp.amount_fen = fen;
    mp.description = "实训设备";
    mp.due_on = (char *)due;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = BODY(MAKE_PLEDGE);
    req.make_pledge = &mp;
    if (want != OK) {
        refused_on(cl, &req, want, NULL, id);
        return NULL;
    }
    return h_want(cl, &req, OK, "make_pledge");
}

static Cogov__V1__Pledge *
find_pledge(Cogov__V1__Reply *rep, const char *id)
{
    for (size_t i = 0; i < rep->pledge_list->n_pledges; i++)
        if (strcmp(rep->pledge_list->pledges[i]->pledge_id, id) == 0)
            return rep->pledge_list->pledges[i];
    return NULL;
}

static void
test_pledges(void **state)
{
    world_t *w = *state;
    /* A second task, started, for pledges, the dossier and bad input. */
    create_task("t-pb-2", "2026-03-31", "2026-06-30");
    change_task(w->op, "t-pb-2", TA(APPROVE), TS(APPROVED));
    change_task(w->op, "t-pb-2", TA(START), TS(IN_PROGRESS));

    Cogov__V1__Reply *rep = make_pledge_on(
        w->cl_rep_b, "p-funds", w->b, COGOV__V1__PLEDGE_KIND__PLEDGE_KIND_FUNDS,
        5000000, "2025-11-30", OK);
    assert_int_equal(rep->pledge->status, PS(PLEDGED));
    cogov__v1__reply__free_unpacked(rep, NULL);
    cogov__v1__reply__free_unpacked(
        make_pledge_on(w->op, "p-equip", w->a,
                       COGOV__V1__PLEDGE_KIND__PLEDGE_KIND_EQUIPMENT, 0,
                       "2025-11-30", OK),
        NULL);
    assert_int_equal(count_events("pledge_made"), 2);

    Cogov__V1__DeliverPledge dp = COGOV__V1__DELIVER_PLEDGE__INIT;
    dp.pledge_id = "p-equip";
    dp.evidence = "滨职院资〔2025〕12号";
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = BODY(DELIVER_PLEDGE);
    req.deliver_pledge = &dp;
    rep = ok(&req, "deliver");
    assert_int_equal(rep->pledge->status, PS(DELIVERED));
    cogov__v1__reply__free_unpacked(rep, NULL);
    assert_int_equal(count_events("pledge_delivered"), 1);

    /* Past the due time: the undelivered one is missed, once. */
    advance_to("2025-12-01 09:00");
    assert_int_equal(count_events("pledge_missed"), 1);
    advance_to("2025-12-02 09:00");
    assert_int_equal(count_events("pledge_missed"), 1);
    Cogov__V1__ListPledges lp = COGOV__V1__LIST_PLEDGES__INIT;
    lp.task_id = "t-pb-2";
    cogov__v1__request__init(&req);
    req.body_case = BODY(LIST_PLEDGES);
    req.list_pledges = &lp;
    rep = h_want(w->cl_obs, &req, OK, "list pledges");
    assert_int_equal(rep->pledge_list->n_pledges, 2);
    assert_int_equal(find_pledge(rep, "p-funds")->status, PS(MISSED));
    assert_int_equal(find_pledge(rep, "p-equip")->status, PS(DELIVERED));
    cogov__v1__reply__free_unpacked(rep, NULL);

    /* A missed pledge is settled: delivering it now is a conflict. */
    dp.pledge_id = "p-funds";
    cogov__v1__request__init(&req);
    req.body_case = BODY(DELIVER_PLEDGE);
    req.deliver_pledge = &dp;
    refused(&req, CONFLICT, NULL, "deliver a missed pledge");
}

/* ---- an escalation that suspends a member ----------------------------------
 */

static void
test_escalation_suspends(void **state)
{
    world_t *w = *state;
    Cogov__V1__OpenEscalation oe = COGOV__V1__OPEN_ESCALATION__INIT;
    oe.case_id = "esc-1";
    oe.subject = "连续两次未履行资源承诺";
    oe.member_id = w->s;
    oe.details = "见秘书处通报";
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = BODY(OPEN_ESCALATION);
    req.open_escalation = &oe;
    Cogov__V1__Reply *rep = ok(&req, "open escalation");
    assert_int_equal(rep->escalation->status,
                     COGOV__V1__ESCALATION_STATUS__ESCALATION_STATUS_OPEN);
    assert_int_equal(rep->escalation->source,
                     COGOV__V1__ESCALATION_SOURCE__ESCALATION_SOURCE_COMMAND);
    cogov__v1__reply__free_unpacked(rep, NULL);

    /* Closing an OPEN case: not yet. */
    Cogov__V1__CloseEscalation ce = COGOV__V1__CLOSE_ESCALATION__INIT;
    ce.case_id = "esc-1";
    cogov__v1__request__init(&req);
    req.body_case = BODY(CLOSE_ESCALATION);
    req.close_escalation = &ce;
    refused(&req, CONFLICT, NULL, "close an open case");

    long long head = qint("SELECT max(seq) FROM outbox");
    Cogov__V1__DecideEscalation de = COGOV__V1__DECIDE_ESCALATION__INIT;
    de.case_id = "esc-1";
    de.has_decision = true;
    de.decision = COGOV__V1__ESCALATION_DECISION__ESCALATION_DECISION_SUSPEND;
    de.rationale = "依章程第十二条暂停其成员资格";
    cogov__v1__request__init(&req);
    req.body_case = BODY(DECIDE_ESCALATION);
    req.decide_escalation = &de;
    rep = ok(&req, "decide escalation");
    assert_int_equal(rep->escalation->status,
                     COGOV__V1__ESCALATION_STATUS__ESCALATION_STATUS_DECIDED);
    cogov__v1__reply__free_unpacked(rep, NULL);

    /* One command, one commit: the decision and the suspension are the next
     * two events, under one correlation id. */
    assert_int_equal(member_status(w->s),
                     COGOV__V1__MEMBER_STATUS__MEMBER_STATUS_SUSPENDED);
    assert_int_equal(qint("SELECT count(*) FROM outbox WHERE seq > %lld", head),
                     2);
    assert_int_equal(qint("SELECT count(*) FROM outbox WHERE seq > %lld AND "
                          "type IN ('escalation_decided','member_suspended')",
                          head),
                     2);
    assert_int_equal(qint("SELECT count(DISTINCT correlation_id) FROM outbox "
                          "WHERE seq > %lld",
                          head),
                     1);

    /* Deciding again: the case is no longer OPEN. */
    refused(&req, CONFLICT, NULL, "decide twice");
    cogov__v1__request__init(&req);
    req.body_case = BODY(CLOSE_ESCALATION);
    req.close_escalation = &ce;
    ce.note = "已整改";
    ok_free(&req, "close escalation");
    assert_int_equal(count_events("escalation_closed"), 1);

    /* A suspended unit can no longer be given a seat. */
    Cogov__V1__AssignSeat as = COGOV__V1__ASSIGN_SEAT__INIT;
    as.seat_id = "director-2";
    as.has_role = true;
    as.role = COGOV__V1__SEAT_ROLE__SEAT_ROLE_DIRECTOR;
    as.member_id = w->s;
    as.term_start = "2025-12-01";
    as.term_end = "2028-01-14";
    cogov__v1__request__init(&req);
    req.body_case = BODY(ASSIGN_SEAT);
    req.assign_seat = &as;
    refused(&req, CONFLICT, "SUSPENDED", "seat for a suspended unit");

    Cogov__V1__ListEscalations le = COGOV__V1__LIST_ESCALATIONS__INIT;
    le.member_id = w->s;
    cogov__v1__request__init(&req);
    req.body_case = BODY(LIST_ESCALATIONS);
    req.list_escalations = &le;
    rep = h_want(w->cl_obs, &req, OK, "list escalations");
    assert_int_equal(rep->escalation_list->n_escalations, 1);
    assert_int_equal(rep->escalation_list->escalations[0]->status,
                     COGOV__V1__ESCALATION_STATUS__ESCALATION_STATUS_CLOSED);
    cogov__v1__reply__free_unpacked(rep, NULL);
}

static void
test_dossier(void **state)
{
    world_t *w = *state;
    Cogov__V1__GetDossier gd = COGOV__V1__GET_DOSSIER__INIT;
    gd.member_id = w->a;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = BODY(GET_DOSSIER);
    req.get_dossier = &gd;
    Cogov__V1__Reply *rep = h_want(w->cl_rep_a, &req, OK, "own dossier");
    const Cogov__V1__Dossier *d = rep->dossier;
    assert_string_equal(d->member->member_id, w->a);
    assert_int_equal(d->n_seats, 1);
    assert_string_equal(d->seats[0]->seat_id, "chair");
    assert_int_equal(d->n_committees, 1);
    assert_string_equal(d->committees[0], "teaching");
    assert_int_equal(d->n_tasks, 2);
    assert_int_equal(d->n_pledges, 1);
    assert_int_equal(d->n_escalations, 0);
    cogov__v1__reply__free_unpacked(rep, NULL);

    gd.member_id = w->s;
    rep = ok(&req, "dossier of s");
    assert_int_equal(rep->dossier->member->status,
                     COGOV__V1__MEMBER_STATUS__MEMBER_STATUS_SUSPENDED);
    assert_int_equal(rep->dossier->n_escalations, 1);
    cogov__v1__reply__free_unpacked(rep, NULL);

    /* A representative sees its own unit only. */
    refused_on(w->cl_rep_a, &req, DENIED, NULL, "someone else's dossier");
    gd.member_id = w->x;
    refused(&req, NOT_FOUND, NULL, "dossier of nobody");
}

/* ---- bad input: each refused, nothing changed -----------------------------
 */

/* ---- a write's reply is what a read returns ------------------------------
 * apply_member and decide_member answer with the Member they wrote, built
 * from what the handler holds (no read-back): it must be the Member that
 * get_member returns right after, byte for byte. */

static uint8_t *
packed_member(const Cogov__V1__Member *m, size_t *len)
{
    assert_non_null(m);
    *len = protobuf_c_message_get_packed_size((const ProtobufCMessage *)m);
    uint8_t *buf = xmalloc(*len + 1);
    protobuf_c_message_pack((const ProtobufCMessage *)m, buf);
    return buf;
}

static void
same_as_read(Cogov__V1__Reply *rep, const char *id, const char *what)
{
    Cogov__V1__GetMember gm = COGOV__V1__GET_MEMBER__INIT;
    gm.member_id = (char *)id;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = BODY(GET_MEMBER);
    req.get_member = &gm;
    Cogov__V1__Reply *got = ok(&req, "get_member");
    size_t a = 0, b = 0;
    uint8_t *wa = packed_member(rep->member, &a);
    uint8_t *rb = packed_member(got->member, &b);
    if (a != b || memcmp(wa, rb, a) != 0)
        printf("# %s: the reply's member (%zu bytes) differs from "
               "get_member's (%zu bytes)\n",
               what, a, b);
    assert_int_equal(a, b);
    assert_memory_equal(wa, rb, a);
    free(wa);
    free(rb);
    cogov__v1__reply__free_unpacked(got, NULL);
    cogov__v1__reply__free_unpacked(rep, NULL);
}

static void
test_write_reply_is_the_read(void **state)
{
    (void)state;
    char id[19];
    uscc_make(709, id);

    Cogov__V1__ApplyMember am = COGOV__V1__APPLY_MEMBER__INIT;
    am.uscc = id;
    am.name = "滨江数控刀具有限公司";
    am.has_type = true;
    am.type = COGOV__V1__MEMBER_TYPE__MEMBER_TYPE_ENTERPRISE;
    am.contact_name = "周敏";
    am.contact_phone = "0571-8800 1709";
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = BODY(APPLY_MEMBER);
    req.apply_member = &am;
    same_as_read(ok(&req, "apply_member"), id, "apply");

    static const struct {
        Cogov__V1__MemberDecision d;
        const char *reason;
    } steps[] = {
        {COGOV__V1__MEMBER_DECISION__MEMBER_DECISION_ADMIT, "材料齐全"},
        {COGOV__V1__MEMBER_DECISION__MEMBER_DECISION_SUSPEND, "整改期间暂停"},
        {COGOV__V1__MEMBER_DECISION__MEMBER_DECISION_REINSTATE, NULL},
    };
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        Cogov__V1__DecideMember dm = COGOV__V1__DECIDE_MEMBER__INIT;
        dm.member_id = id;
        dm.has_decision = true;
        dm.decision = steps[i].d;
        dm.reason = (char *)steps[i].reason;
        cogov__v1__request__init(&req);
        req.body_case = BODY(DECIDE_MEMBER);
        req.decide_member = &dm;
        same_as_read(ok(&req, "decide_member"), id, "decide");
    }
}

/* The member's latest history row: from_status * 10 + to_status. */
static long long
last_move(const char *id)
{
    return qint("SELECT from_status * 10 + to_status FROM member_history"
                " WHERE member_id = '%s' ORDER BY id DESC LIMIT 1",
                id);
}

static Cogov__V1__Reply *
decide_reply(const char *id, Cogov__V1__MemberDecision d, int want,
             const char *needle, const char *what)
{
    Cogov__V1__DecideMember dm = COGOV__V1__DECIDE_MEMBER__INIT;
    dm.member_id = (char *)id;
    dm.has_decision = true;
    dm.decision = d;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = BODY(DECIDE_MEMBER);
    req.decide_member = &dm;
    if (want == OK)
        return ok(&req, what);
    refused(&req, want, needle, what);
    return NULL;
}

/* Every way through decide_member and apply_member: a decision that may
 * leave two statuses (EXIT from SUSPENDED: the second tried), one refused
 * by the state machine (with the status in the error), an unknown member,
 * a re-application after an exit; each reply equals the read, each history
 * row has the status left and the one entered. */
static void
test_decide_and_apply_paths(void **state)
{
    (void)state;
    char id[19];
    uscc_make(710, id);
#define MD(x) COGOV__V1__MEMBER_DECISION__MEMBER_DECISION_##x
    apply_member(id, "滨江精密模具有限公司",
                 COGOV__V1__MEMBER_TYPE__MEMBER_TYPE_ENTERPRISE);
    assert_int_equal(last_move(id), 1); /* UNSPECIFIED -> APPLIED */
    decide_reply(id, MD(SUSPEND), CONFLICT,
                 "cannot suspend a member in status APPLIED", "suspend");
    same_as_read(decide_reply(id, MD(ADMIT), OK, NULL, "admit"), id, "admit");
    assert_int_equal(last_move(id), 12);
    decide_reply(id, MD(ADMIT), CONFLICT,
                 "cannot admit a member in status ADMITTED", "admit twice");
    same_as_read(decide_reply(id, MD(SUSPEND), OK, NULL, "suspend"), id,
                 "suspend");
    int exited = count_events("member_exited");
    same_as_read(decide_reply(id, MD(EXIT), OK, NULL, "exit"), id, "exit");
    assert_int_equal(last_move(id), 34); /* SUSPENDED -> EXITED */
    assert_int_equal(count_events("member_exited"), exited + 1);
    assert_int_equal(member_status(id),
                     COGOV__V1__MEMBER_STATUS__MEMBER_STATUS_EXITED);
    decide_reply(id, MD(EXPEL), CONFLICT,
                 "cannot expel a member in status EXITED", "expel exited");

    /* Apply again after the exit: the record is entered anew. */
    Cogov__V1__ApplyMember am = COGOV__V1__APPLY_MEMBER__INIT;
    am.uscc = id;
    am.name = "滨江精密模具股份有限公司";
    am.has_type = true;
    am.type = COGOV__V1__MEMBER_TYPE__MEMBER_TYPE_ENTERPRISE;
    am.contact_email = "hr@example.cn";
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = BODY(APPLY_MEMBER);
    req.apply_member = &am;
    same_as_read(ok(&req, "apply again"), id, "apply again");
    assert_int_equal(last_move(id), 41); /* EXITED -> APPLIED */
    cogov__v1__request__init(&req);
    req.body_case = BODY(APPLY_MEMBER);
    req.apply_member = &am;
    refused(&req, CONFLICT, "already exists in status APPLIED",
            "apply while applied");
    same_as_read(decide_reply(id, MD(ADMIT), OK, NULL, "admit again"), id,
                 "admit again");
    same_as_read(decide_reply(id, MD(EXPEL), OK, NULL, "expel"), id, "expel");
    assert_int_equal(last_move(id), 25); /* ADMITTED -> EXPELLED */
    assert_int_equal(qint("SELECT count(*) FROM member_history"
                          " WHERE member_id = '%s'",
                          id),
                     7);

    char nobody[19];
    uscc_make(711, nobody);
    decide_reply(nobody, MD(ADMIT), NOT_FOUND, "not found", "admit nobody");
    decide_reply(nobody, MD(EXIT), NOT_FOUND, "not found", "exit nobody");
#undef MD
}

static void
test_bad_input(void **state)
{
    world_t *w = *state;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    char *big = xmalloc(20002);
    memset(big, 'x', 20001);
    big[20001] = 0;

    /* charter */
    Cogov__V1__CharterRules r = COGOV__V1__CHARTER_RULES__INIT;
    r.has_quorum_permille = r.has_pass_permille = true;
    r.has_extraordinary_permille = true;
    r.quorum_permille = 500;
    r.pass_permille = 501;
    r.extraordinary_permille = 200;
    Cogov__V1__AdoptCharter ac = COGOV__V1__ADOPT_CHARTER__INIT;
    ac.title = "章程";
    ac.text = "正文";
    ac.rules = &r;
    ac.effective_on = "2025-02-30";
    req.body_case = BODY(ADOPT_CHARTER);
    req.adopt_charter = &ac;
    refused(&req, INVALID, "effective_on", "charter bad date");
    ac.effective_on = "2025-12-01";
    r.quorum_permille = 0;
    refused(&req, INVALID, "quorum", "charter quorum 0");
    r.quorum_permille = 1001;
    refused(&req, INVALID, "quorum", "charter quorum 1001");
    r.quorum_permille = 500;
    ac.text = big;
    refused(&req, INVALID, "text", "charter oversized text");
    ac.text = "正文";
    refused_on(w->cl_obs, &req, DENIED, NULL, "charter by an observer");
    refused_on(w->cl_rep_a, &req, DENIED, NULL, "charter by a member rep");
    Cogov__V1__GetCharter gc = COGOV__V1__GET_CHARTER__INIT;
    gc.has_version = true;
    gc.version = 9;
    cogov__v1__request__init(&req);
    req.body_case = BODY(GET_CHARTER);
    req.get_charter = &gc;
    refused(&req, NOT_FOUND, NULL, "charter v9");

    /* council */
    Cogov__V1__AssignSeat as = COGOV__V1__ASSIGN_SEAT__INIT;
    as.seat_id = "director-9";
    as.has_role = true;
    as.role = COGOV__V1__SEAT_ROLE__SEAT_ROLE_DIRECTOR;
    as.member_id = w->x;
    as.term_start = "2026-01-01";
    as.term_end = "2028-12-31";
    cogov__v1__request__init(&req);
    req.body_case = BODY(ASSIGN_SEAT);
    req.assign_seat = &as;
    refused(&req, NOT_FOUND, NULL, "seat for nobody");
    as.member_id = w->p;
    refused(&req, CONFLICT, "APPLIED", "seat for an applicant");
    as.member_id = w->b;
    as.term_end = "2025-12-31";
    refused(&req, INVALID, "term_end", "seat ending before it starts");
    as.term_end = "2028-13-01";
    refused(&req, INVALID, "term_end", "seat bad date");
    as.term_end = "2028-12-31";
    as.role = 0;
    refused(&req, INVALID, "role", "seat without role");
    as.role = COGOV__V1__SEAT_ROLE__SEAT_ROLE_DIRECTOR;
    as.seat_id = "bad seat!";
    refused(&req, INVALID, "seat_id", "seat bad id");
    as.seat_id = "director-9";
    refused_on(w->cl_obs, &req, DENIED, NULL, "seat by an observer");
    Cogov__V1__VacateSeat vs = COGOV__V1__VACATE_SEAT__INIT;
    vs.seat_id = "no-such-seat";
    cogov__v1__request__init(&req);
    req.body_case = BODY(VACATE_SEAT);
    req.vacate_seat = &vs;
    refused(&req, NOT_FOUND, NULL, "vacate unknown seat");
    Cogov__V1__DesignateSecretariat ds = COGOV__V1__DESIGNATE_SECRETARIAT__INIT;
    ds.member_id = w->x;
    cogov__v1__request__init(&req);
    req.body_case = BODY(DESIGNATE_SECRETARIAT);
    req.designate_secretariat = &ds;
    refused(&req, NOT_FOUND, NULL, "secretariat nobody");
    Cogov__V1__FormCommittee fc = COGOV__V1__FORM_COMMITTEE__INIT;
    char *mids[] = {w->b, w->x};
    fc.committee_id = "research";
    fc.name = "科研委员会";
    fc.convenor_member_id = w->a;
    fc.n_member_ids = 2;
    fc.member_ids = mids;
    cogov__v1__request__init(&req);
    req.body_case = BODY(FORM_COMMITTEE);
    req.form_committee = &fc;
    refused(&req, NOT_FOUND, NULL, "committee with nobody");

    /* vision and goals */
    Cogov__V1__SetVision sv = COGOV__V1__SET_VISION__INIT;
    sv.text = big;
    cogov__v1__request__init(&req);
    req.body_case = BODY(SET_VISION);
    req.set_vision = &sv;
    refused(&req, INVALID, "text", "vision oversized");
    sv.text = "愿景";
    refused_on(w->cl_obs, &req, DENIED, NULL, "vision by an observer");
    Cogov__V1__SetGoal sg = COGOV__V1__SET_GOAL__INIT;
    sg.goal_id = "2026-ocs";
    sg.has_year = sg.has_target_value = true;
    sg.year = 2026;
    sg.indicator_code = "ORDER_CLASS_STUDENTS";
    sg.target_value = -1;
    cogov__v1__request__init(&req);
    req.body_case = BODY(SET_GOAL);
    req.set_goal = &sg;
    refused(&req, INVALID, "target_value", "goal negative target");
    sg.target_value = 10;
    sg.year = 1999;
    refused(&req, INVALID, "year", "goal year 1999");

    /* tasks */
    Cogov__V1__MilestoneSpec m1 = COGOV__V1__MILESTONE_SPEC__INIT;
    Cogov__V1__MilestoneSpec *ms[] = {&m1};
    m1.milestone_id = "m1";
    m1.title = "开班";
    m1.due_on = "2026-02-29";
    Cogov__V1__CreateTask ct = COGOV__V1__CREATE_TASK__INIT;
    ct.task_id = "t-bad";
    ct.title = "坏任务";
    ct.has_kind = true;
    ct.kind = COGOV__V1__TASK_KIND__TASK_KIND_TRAINING;
    ct.lead_member_id = w->a;
    ct.has_planned_quantity = true;
    ct.planned_quantity = 10;
    ct.n_milestones = 1;
    ct.milestones = ms;
    cogov__v1__request__init(&req);
    req.body_case = BODY(CREATE_TASK);
    req.create_task = &ct;
    refused(&req, INVALID, "milestones[0]", "task milestone bad date");
    m1.due_on = "2026-02-28";
    ct.planned_quantity = -5;
    refused(&req, INVALID, "planned_quantity", "task negative quantity");
    ct.planned_quantity = 10;
    ct.lead_member_id = w->x;
    refused(&req, NOT_FOUND, NULL, "task led by nobody");
    ct.lead_member_id = w->s;
    refused(&req, CONFLICT, "SUSPENDED", "task led by a suspended unit");
    ct.lead_member_id = w->a;
    ct.title = big;
    refused(&req, INVALID, "title", "task oversized title");
    ct.title = "坏任务";
    ct.goal_id = "no-such-goal";
    refused(&req, NOT_FOUND, NULL, "task for an unknown goal");
    ct.goal_id = NULL;
    ct.task_id = "t-oc-1";
    refused(&req, CONFLICT, NULL, "task id taken");
    ct.task_id = "t-bad";
    refused_on(w->cl_obs, &req, DENIED, NULL, "task by an observer");
    refused_on(w->cl_rep_a, &req, DENIED, NULL, "task by a member rep");

    Cogov__V1__ChangeTaskStatus ch = COGOV__V1__CHANGE_TASK_STATUS__INIT;
    ch.task_id = "t-none";
    ch.has_action = true;
    ch.action = TA(APPROVE);
    cogov__v1__request__init(&req);
    req.body_case = BODY(CHANGE_TASK_STATUS);
    req.change_task_status = &ch;
    refused(&req, NOT_FOUND, NULL, "approve unknown task");
    ch.task_id = "t-oc-1";
    ch.action = TA(START);
    refused(&req, CONFLICT, NULL, "start a completed task");
    ch.task_id = "t-pb-2";
    ch.action = TA(CANCEL);
    refused_on(w->cl_rep_a, &req, DENIED, NULL, "cancel by the lead's rep");
    ch.action = TA(START);
    refused_on(w->cl_rep_b, &req, DENIED, NULL, "start by a participant rep");
    refused_on(w->cl_obs, &req, DENIED, NULL, "start by an observer");

    Cogov__V1__Delivered d = COGOV__V1__DELIVERED__INIT;
    d.has_students_enrolled = true;
    d.students_enrolled = -3;
    Cogov__V1__ReportProgress rp = COGOV__V1__REPORT_PROGRESS__INIT;
    rp.task_id = "t-pb-2";
    rp.report_id = "r-bad";
    rp.member_id = w->a;
    rp.delivered = &d;
    cogov__v1__request__init(&req);
    req.body_case = BODY(REPORT_PROGRESS);
    req.report_progress = &rp;
    refused(&req, INVALID, "students_enrolled", "negative students");
    d.students_enrolled = 3;
    rp.task_id = "t-none";
    refused(&req, NOT_FOUND, NULL, "report on unknown task");
    rp.task_id = "t-oc-1";
    refused(&req, CONFLICT, NULL, "report on a completed task");
    rp.task_id = "t-pb-2";
    refused_on(w->cl_rep_b, &req, DENIED, NULL, "report for another unit");
    refused_on(w->cl_obs, &req, DENIED, NULL, "report by an observer");
    rp.corrects_report_id = "r-none";
    refused(&req, NOT_FOUND, NULL, "correct an unknown report");
    rp.corrects_report_id = NULL;
    rp.note = big;
    refused(&req, INVALID, "note", "oversized note");

    Cogov__V1__CompleteMilestone cm = COGOV__V1__COMPLETE_MILESTONE__INIT;
    cm.task_id = "t-pb-2";
    cm.milestone_id = "no-such";
    cogov__v1__request__init(&req);
    req.body_case = BODY(COMPLETE_MILESTONE);
    req.complete_milestone = &cm;
    refused(&req, NOT_FOUND, NULL, "unknown milestone");
    cm.task_id = "t-oc-1";
    cm.milestone_id = "enrol";
    refused(&req, CONFLICT, NULL, "milestone of a completed task");
    Cogov__V1__GetTask gt = COGOV__V1__GET_TASK__INIT;
    gt.task_id = "t-none";
    cogov__v1__request__init(&req);
    req.body_case = BODY(GET_TASK);
    req.get_task = &gt;
    refused_on(w->cl_obs, &req, NOT_FOUND, NULL, "unknown task");

    /* pledges */
    make_pledge_on(w->op, "p-x", w->a,
                   COGOV__V1__PLEDGE_KIND__PLEDGE_KIND_FUNDS, 0, "2026-01-31",
                   INVALID);
    make_pledge_on(w->op, "p-x", w->a,
                   COGOV__V1__PLEDGE_KIND__PLEDGE_KIND_EQUIPMENT, -1,
                   "2026-01-31", INVALID);
    make_pledge_on(w->op, "p-x", w->a,
                   COGOV__V1__PLEDGE_KIND__PLEDGE_KIND_FUNDS, 100, "2026-02-30",
                   INVALID);
    make_pledge_on(w->op, "p-x", w->x,
                   COGOV__V1__PLEDGE_KIND__PLEDGE_KIND_FUNDS, 100, "2026-01-31",
                   NOT_FOUND);
    make_pledge_on(w->op, "p-funds", w->a,
                   COGOV__V1__PLEDGE_KIND__PLEDGE_KIND_FUNDS, 100, "2026-01-31",
                   CONFLICT);
    make_pledge_on(w->cl_rep_b, "p-x", w->a,
                   COGOV__V1__PLEDGE_KIND__PLEDGE_KIND_FUNDS, 100, "2026-01-31",
                   DENIED);
    make_pledge_on(w->cl_obs, "p-x", w->a,
                   COGOV__V1__PLEDGE_KIND__PLEDGE_KIND_FUNDS, 100, "2026-01-31",
                   DENIED);
    Cogov__V1__DeliverPledge dp = COGOV__V1__DELIVER_PLEDGE__INIT;
    dp.pledge_id = "p-none";
    dp.evidence = "x";
    cogov__v1__request__init(&req);
    req.body_case = BODY(DELIVER_PLEDGE);
    req.deliver_pledge = &dp;
    refused(&req, NOT_FOUND, NULL, "deliver unknown pledge");
    refused_on(w->cl_rep_b, &req, DENIED, NULL, "deliver by a member rep");

    /* escalations */
    Cogov__V1__OpenEscalation oe = COGOV__V1__OPEN_ESCALATION__INIT;
    oe.case_id = "esc-bad";
    oe.subject = big;
    cogov__v1__request__init(&req);
    req.body_case = BODY(OPEN_ESCALATION);
    req.open_escalation = &oe;
    refused(&req, INVALID, "subject", "escalation oversized subject");
    oe.subject = "主题";
    oe.member_id = w->x;
    refused(&req, NOT_FOUND, NULL, "escalation about nobody");
    oe.member_id = NULL;
    oe.case_id = "esc-1";
    refused(&req, CONFLICT, NULL, "escalation id taken");
    refused_on(w->cl_obs, &req, DENIED, NULL, "escalation by an observer");
    Cogov__V1__DecideEscalation de = COGOV__V1__DECIDE_ESCALATION__INIT;
    de.case_id = "esc-none";
    de.has_decision = true;
    de.decision = COGOV__V1__ESCALATION_DECISION__ESCALATION_DECISION_NO_ACTION;
    de.rationale = "理由";
    cogov__v1__request__init(&req);
    req.body_case = BODY(DECIDE_ESCALATION);
    req.decide_escalation = &de;
    refused(&req, NOT_FOUND, NULL, "decide unknown case");
    de.case_id = "esc-1";
    de.rationale = NULL;
    refused(&req, INVALID, "rationale", "decide without rationale");
    Cogov__V1__CloseEscalation ce = COGOV__V1__CLOSE_ESCALATION__INIT;
    ce.case_id = "esc-none";
    cogov__v1__request__init(&req);
    req.body_case = BODY(CLOSE_ESCALATION);
    req.close_escalation = &ce;
    refused(&req, NOT_FOUND, NULL, "close unknown case");
    free(big);
}

/* ---- cogovctl ------------------------------------------------------------ */

static int
ctl(char *out, size_t outsz, const char *const *argv)
{
    if (out != NULL)
        out[0] = 0;
    int rc = cluster_ctl(&W->c, out, outsz, argv);
    printf("# cogovctl %s %s -> %d\n", argv[0], argv[1] ? argv[1] : "", rc);
    return rc;
}

static void
test_cogovctl(void **state)
{
    world_t *w = *state;
    char out[16384];

    const char *adopt[] = {"charter",
                           "adopt",
                           "--title",
                           "章程（第三版）",
                           "--text",
                           "第一条 ……",
                           "--quorum",
                           "600",
                           "--pass",
                           "667",
                           "--extraordinary",
                           "100",
                           "--effective-on",
                           "2026-01-01",
                           NULL};
    assert_int_equal(ctl(out, sizeof out, adopt), 0);
    assert_int_equal(count_events("charter_adopted"), 3);
    /* in force now (December 2025): still v2; v3 by its number */
    const char *show[] = {"--json", "charter", "show", NULL};
    assert_int_equal(ctl(out, sizeof out, show), 0);
    assert_non_null(strstr(out, "\"version\":2"));
    assert_non_null(strstr(out, "\"quorum_permille\":667"));
    const char *show3[] = {"--json", "charter", "show", "--version", "3", NULL};
    assert_int_equal(ctl(out, sizeof out, show3), 0);
    assert_non_null(strstr(out, "\"version\":3"));
    assert_non_null(strstr(out, "\"quorum_permille\":600"));

    const char *goal[] = {"goal",   "set",         "--year",   "2026",
                          "--code", "APPRENTICES", "--target", "50",
                          "--unit", "人",          NULL};
    assert_int_equal(ctl(out, sizeof out, goal), 0);
    assert_non_null(strstr(out, "2026-APPRENTICES"));
    const char *neg[] = {"goal",        "set",      "--year", "2026", "--code",
                         "APPRENTICES", "--target", "-5",     NULL};
    snap_t before = snap();
    assert_int_equal(ctl(out, sizeof out, neg), 2); /* INVALID */
    snap_t after = snap();
    assert_int_equal(after.head, before.head);

    char lead[40];
    snprintf(lead, sizeof lead, "%s", w->a);
    const char *create[] = {"task",
                            "create",
                            "--id",
                            "t-ctl",
                            "--title",
                            "师资互聘",
                            "--kind",
                            "teacher_exchange",
                            "--lead",
                            lead,
                            "--participant",
                            w->b,
                            "--planned",
                            "6",
                            "--quantity-unit",
                            "人",
                            "--milestone",
                            "m1:2026-03-31:首批互聘: 到岗",
                            NULL};
    assert_int_equal(ctl(out, sizeof out, create), 0);
    const char *start[] = {"task", "start", "t-ctl", NULL};
    assert_int_equal(ctl(out, sizeof out, start), 5); /* CONFLICT: PROPOSED */
    const char *approve[] = {"task", "approve", "t-ctl", NULL};
    assert_int_equal(ctl(out, sizeof out, approve), 0);
    assert_int_equal(ctl(out, sizeof out, start), 0);
    const char *prog[] = {"task", "progress",   "t-ctl", "--unit",
                          w->b,   "--report",   "r-ctl", "--hours",
                          "12",   "--quantity", "2",     NULL};
    assert_int_equal(ctl(out, sizeof out, prog), 0);
    const char *tshow[] = {"--json", "task", "show", "t-ctl", NULL};
    assert_int_equal(ctl(out, sizeof out, tshow), 0);
    assert_non_null(strstr(out, "\"status\":\"IN_PROGRESS\""));
    assert_non_null(strstr(out, "\"title\":\"首批互聘: 到岗\""));
    assert_non_null(strstr(out, "\"training_hours\":12"));
    const char *none[] = {"task", "show", "t-nothing", NULL};
    assert_int_equal(ctl(out, sizeof out, none), 3); /* NOT_FOUND */
    const char *list[] = {"--json",   "task",        "list",
                          "--status", "in_progress", NULL};
    assert_int_equal(ctl(out, sizeof out, list), 0);
    assert_true(out[0] == '[');
    assert_non_null(strstr(out, "\"task_id\":\"t-ctl\""));
    assert_non_null(strstr(out, "\"task_id\":\"t-pb-2\""));
    assert_null(strstr(out, "\"task_id\":\"t-oc-1\""));
    const char *tlist[] = {"task", "list", NULL};
    assert_int_equal(ctl(out, sizeof out, tlist), 0);
    assert_non_null(strstr(out, "TASK"));
    assert_non_null(strstr(out, "t-oc-1"));

    const char *council[] = {"council", "show", NULL};
    assert_int_equal(ctl(out, sizeof out, council), 0);
    assert_non_null(strstr(out, "chair"));
    assert_non_null(strstr(out, "teaching"));
    const char *vacate[] = {"council", "vacate", "no-such-seat", NULL};
    assert_int_equal(ctl(out, sizeof out, vacate), 3);
    const char *pl[] = {"pledge", "list", "--status", "missed", NULL};
    assert_int_equal(ctl(out, sizeof out, pl), 0);
    assert_non_null(strstr(out, "p-funds"));
    assert_null(strstr(out, "p-equip"));
    const char *el[] = {"--json", "escalation", "list", NULL};
    assert_int_equal(ctl(out, sizeof out, el), 0);
    assert_non_null(strstr(out, "\"decision\":\"SUSPEND\""));
    const char *dos[] = {"--json", "dossier", w->a, NULL};
    assert_int_equal(ctl(out, sizeof out, dos), 0);
    assert_non_null(strstr(out, "\"seat_id\":\"chair\""));
    /* Usage errors never reach the daemon. */
    const char *bad[] = {"task",   "create",   "--id",   "t-x", "--title", "x",
                         "--kind", "nonsense", "--lead", lead,  NULL};
    assert_int_equal(ctl(out, sizeof out, bad), 1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_charter_council_goals),
        cmocka_unit_test(test_task_lifecycle_and_calendar),
        cmocka_unit_test(test_pledges),
        cmocka_unit_test(test_escalation_suspends),
        cmocka_unit_test(test_dossier),
        cmocka_unit_test(test_write_reply_is_the_read),
        cmocka_unit_test(test_decide_and_apply_paths),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_cogovctl),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

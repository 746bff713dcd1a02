/* it_supv_evidence: supervision fed by the real coordination, secretariat
 * and incentives daemons (issue 7).
 *  - evidence: a meeting with check-ins and an absence, inquiries answered
 *    on time and left to breach their SLA, a motion with votes (and a unit
 *    that did not vote) become exactly the expected facts; votes, check-ins
 *    and inquiries count as activity, so only the unit that never acted is
 *    warned as inactive; participation and inclusiveness in health, with
 *    their definitions in `cogovctl health --explain`;
 *  - standing: a failed veto (an inquiry past its SLA) and two failing
 *    rounds in a row each produce standing_recommended with the evidence
 *    (the failing results, the failed veto and the events behind it);
 *    SUSPEND, or EXPEL for a unit already suspended; coordination opens a
 *    case for the lead department for each;
 *  - the round measures the consortium against the annual goals; the
 *    scorecard and the evaluation report export as CSV and JSON;
 *  - incentives' pool_low becomes one 'pool nearly spent' warning.
 *
 * The tests share one world and run in order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "harness_req.h"
#include "util.h"
#include "cogov/v1/supervision.pb-c.h"

#define OK COGOV__V1__STATUS_CODE__STATUS_OK
#define BODY(x) COGOV__V1__REQUEST__BODY_##x
#define MT(x) COGOV__V1__MEMBER_TYPE__MEMBER_TYPE_##x
#define WK(x) COGOV__V1__WARNING_KIND__WARNING_KIND_##x
#define GR(x) COGOV__V1__GRADE__GRADE_##x
#define SA(x) COGOV__V1__STANDING_ACTION__STANDING_ACTION_##x
#define WAIT_MS 10000
#define SYNC_MS 20000

enum { A, B, C, D, NU }; /* college, enterprise, university, department */

typedef struct world {
    cluster_t c;
    keypair_t sup, secr, fin;
    client_t *co, *se, *sv, *inc, *inc_sec, *inc_fin;
    char u[NU][19];
    int64_t now;
} world_t;

static world_t *W;

/* ---- calls --------------------------------------------------------------- */

static void
sync_all(void)
{
    h_sync(&W->c, SYNC_MS);
}

static void
advance_to(const char *when)
{
    W->now = h_time(when);
    assert_int_equal(h_advance(W->co, W->now), OK);
    sync_all();
}

/* Sum and number of the member's facts of a source. */
static long long
facts(const char *member, const char *source, long long *n)
{
    *n = h_qint(W->c.store[H_SUPV],
                "SELECT count(*) FROM facts WHERE member_id='%s' AND "
                "source='%s'",
                member, source);
    return h_qint(W->c.store[H_SUPV],
                  "SELECT coalesce(sum(value),0) FROM facts WHERE "
                  "member_id='%s' AND source='%s'",
                  member, source);
}

static void
want_facts(int u, const char *source, long long sum, long long n)
{
    long long got_n, got = facts(W->u[u], source, &got_n);
    if (got != sum || got_n != n)
        printf("# unit %d %s: sum %lld of %lld facts (want %lld of %lld)\n", u,
               source, got, got_n, sum, n);
    assert_int_equal(got_n, n);
    assert_int_equal(got, sum);
}

static long long
warnings_of(const char *member, Cogov__V1__WarningKind kind)
{
    Cogov__V1__ListWarnings lw = COGOV__V1__LIST_WARNINGS__INIT;
    lw.member_id = (char *)member;
    lw.has_kind = true;
    lw.kind = kind;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = BODY(LIST_WARNINGS);
    req.list_warnings = &lw;
    Cogov__V1__Reply *rep = h_want(W->sv, &req, OK, "list_warnings");
    long long n = (long long)rep->warning_list->n_warnings;
    cogov__v1__reply__free_unpacked(rep, NULL);
    return n;
}

/* Supervision's standing_recommended events, unpacked from its outbox in
 * order. */
static Cogov__V1__Event **
standing_events(size_t *n)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *q = NULL;
    Cogov__V1__Event **v = NULL;
    *n = 0;
    assert_int_equal(
        sqlite3_open_v2(W->c.store[H_SUPV], &db, SQLITE_OPEN_READONLY, NULL),
        SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    assert_int_equal(
        sqlite3_prepare_v2(db,
                           "SELECT event FROM outbox WHERE "
                           "type='standing_recommended' ORDER BY seq",
                           -1, &q, NULL),
        SQLITE_OK);
    while (sqlite3_step(q) == SQLITE_ROW) {
        Cogov__V1__Event *ev =
            cogov__v1__event__unpack(NULL, (size_t)sqlite3_column_bytes(q, 0),
                                     sqlite3_column_blob(q, 0));
        assert_non_null(ev);
        v = xrealloc(v, (*n + 1) * sizeof *v);
        v[(*n)++] = ev;
    }
    sqlite3_finalize(q);
    sqlite3_close(db);
    return v;
}

static void
events_free(Cogov__V1__Event **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        cogov__v1__event__free_unpacked(v[i], NULL);
    free(v);
}

/* ---- the world ----------------------------------------------------------- */

static void
admit(int u, const char *name, Cogov__V1__MemberType type)
{
    uscc_make(600 + (unsigned)u, W->u[u]);
    assert_int_equal(h_admit(W->co, W->u[u], name, type), OK);
}

static int
setup(void **state)
{
    world_t *w = xcalloc(1, sizeof *w);
    W = w;
    *state = w;
    cluster_t *c = &w->c;
    test_seed(); /* nothing random here; printed for the record */
    assert_int_equal(cluster_init(c, "svevid"), 0);
    FILE *f = fopen(c->conf[H_SUPV], "a");
    assert_non_null(f);
    fputs("inactive_days = 20\n", f);
    fclose(f);
    assert_int_equal(
        cluster_add_principal(c, "supervisor", "-", "SUPERVISOR", "-", &w->sup),
        0);
    assert_int_equal(cluster_add_principal(c, "secretary", "-", "SECRETARIAT",
                                           "-", &w->secr),
                     0);
    assert_int_equal(
        cluster_add_principal(c, "fin", "-", "FINANCE_OFFICER", "-", &w->fin),
        0);
    assert_int_equal(keys_write(c->keys_dir, "supervisor", &w->sup), 0);
    assert_int_equal(cluster_ctl_conf_all(c, "supervisor"), 0);
    for (int i = 0; i < H_N; i++)
        assert_int_equal(cluster_start(c, i), 0);
    w->co = cluster_client(c, H_COORD);
    w->se = cluster_client_as(c, H_SECR, &w->secr);
    w->sv = cluster_client_as(c, H_SUPV, &w->sup);
    w->inc = cluster_client(c, H_INCE);
    w->inc_sec = cluster_client_as(c, H_INCE, &w->secr);
    w->inc_fin = cluster_client_as(c, H_INCE, &w->fin);
    assert_non_null(w->inc_fin);
    h_watch(c);

    assert_int_equal(h_found(w->co, "滨江高新技术产业开发区", "2025-01-01"),
                     OK);
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    admit(A, "滨江职业技术学院", MT(HIGHER_VOCATIONAL_COLLEGE));
    admit(B, "滨江精密机械有限公司", MT(ENTERPRISE));
    admit(C, "滨江理工大学", MT(UNIVERSITY));
    admit(D, "滨江市人力资源和社会保障局", MT(GOVERNMENT_DEPARTMENT));
    assert_int_equal(h_charter(w->co), OK);
    Cogov__V1__SetGoal sg = COGOV__V1__SET_GOAL__INIT;
    sg.goal_id = "g-2025-votes";
    sg.has_year = sg.has_target_value = true;
    sg.year = 2025;
    sg.indicator_code = "VOTES";
    sg.title = "表决参与";
    sg.target_value = 5;
    sg.unit = "票";
    cogov__v1__request__init(&req);
    req.body_case = BODY(SET_GOAL);
    req.set_goal = &sg;
    h_want_free(w->co, &req, OK, "set_goal");
    advance_to("2025-01-06 09:00");
    return 0;
}

static int
teardown(void **state)
{
    world_t *w = *state != NULL ? *state : W;
    if (w == NULL)
        return -1;
    client_destroy(&w->co);
    client_destroy(&w->se);
    client_destroy(&w->sv);
    client_destroy(&w->inc);
    client_destroy(&w->inc_sec);
    client_destroy(&w->inc_fin);
    int sync = cluster_sync(&w->c, SYNC_MS), bad = 0;
    for (int i = H_N; i-- > 0;)
        if (cluster_stop(&w->c, i) != 0) {
            printf("# %s did not stop cleanly\n", h_names[i]);
            bad++;
        }
    cluster_destroy(&w->c);
    free(w);
    return sync == 0 && bad == 0 ? 0 : -1;
}

/* ---- evidence ------------------------------------------------------------ */

static void
test_secretariat_evidence(void **state)
{
    world_t *w = *state;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;

    /* A meeting of A, B and C on Jan 7: A and B check in, C stays away. */
    char *inv[] = {w->u[A], w->u[B], w->u[C]};
    int64_t start;
    assert_int_equal(time_parse("2025-01-07 09:00", 28800, &start), 0);
    Cogov__V1__ScheduleMeeting sm = COGOV__V1__SCHEDULE_MEETING__INIT;
    sm.meeting_id = "m-1";
    sm.has_kind = sm.has_starts_at = true;
    sm.kind = COGOV__V1__MEETING_KIND__MEETING_KIND_JOINT_CONFERENCE;
    sm.title = "第一次联席会议";
    sm.starts_at = start;
    sm.place = "滨江职业技术学院报告厅";
    sm.convenor_member_id = w->u[A];
    sm.n_invitees = 3;
    sm.invitees = inv;
    req.body_case = BODY(SCHEDULE_MEETING);
    req.schedule_meeting = &sm;
    h_want_free(w->se, &req, OK, "schedule_meeting");
    advance_to("2025-01-07 09:30");
    for (int u = A; u <= B; u++) {
        Cogov__V1__CheckInMeeting ci = COGOV__V1__CHECK_IN_MEETING__INIT;
        ci.meeting_id = "m-1";
        ci.member_id = w->u[u];
        cogov__v1__request__init(&req);
        req.body_case = BODY(CHECK_IN_MEETING);
        req.check_in_meeting = &ci;
        h_want_free(w->se, &req, OK, "check_in");
    }
    Cogov__V1__MeetingTransition mt = COGOV__V1__MEETING_TRANSITION__INIT;
    mt.meeting_id = "m-1";
    mt.has_to = true;
    mt.to = COGOV__V1__MEETING_STATUS__MEETING_STATUS_HELD;
    cogov__v1__request__init(&req);
    req.body_case = BODY(MEETING_TRANSITION);
    req.meeting_transition = &mt;
    h_want_free(w->se, &req, OK, "hold");

    /* Inquiries from A: to B, answered the same day; to C, never. */
    Cogov__V1__AskInquiry ak = COGOV__V1__ASK_INQUIRY__INIT;
    ak.inquiry_id = "q-1";
    ak.asker_member_id = w->u[A];
    ak.addressee_member_id = w->u[B];
    ak.subject = "实训设备共享";
    ak.text = "能否开放数控实训中心供学生使用？";
    cogov__v1__request__init(&req);
    req.body_case = BODY(ASK_INQUIRY);
    req.ask_inquiry = &ak;
    h_want_free(w->se, &req, OK, "ask q-1");
    ak.inquiry_id = "q-2";
    ak.addressee_member_id = w->u[C];
    ak.subject = "联合科研";
    h_want_free(w->se, &req, OK, "ask q-2");
    Cogov__V1__AnswerInquiry aw = COGOV__V1__ANSWER_INQUIRY__INIT;
    aw.inquiry_id = "q-1";
    aw.answer = "可以，每周三下午开放。";
    cogov__v1__request__init(&req);
    req.body_case = BODY(ANSWER_INQUIRY);
    req.answer_inquiry = &aw;
    h_want_free(w->se, &req, OK, "answer q-1");

    /* A motion of B voted by correspondence: A, B and C for; D silent. */
    Cogov__V1__RaiseMotion rm = COGOV__V1__RAISE_MOTION__INIT;
    rm.motion_id = "mo-1";
    rm.member_id = w->u[B];
    rm.title = "关于共建实训基地的议案";
    rm.text = "建议共建数控实训基地。";
    cogov__v1__request__init(&req);
    req.body_case = BODY(RAISE_MOTION);
    req.raise_motion = &rm;
    h_want_free(w->se, &req, OK, "raise_motion");
    Cogov__V1__OpenVote ov = COGOV__V1__OPEN_VOTE__INIT;
    ov.motion_id = "mo-1";
    ov.has_closes_at = true;
    ov.closes_at = w->now + 2 * 86400;
    cogov__v1__request__init(&req);
    req.body_case = BODY(OPEN_VOTE);
    req.open_vote = &ov;
    h_want_free(w->se, &req, OK, "open_vote");
    for (int u = A; u <= C; u++) {
        Cogov__V1__CastVote cv = COGOV__V1__CAST_VOTE__INIT;
        cv.motion_id = "mo-1";
        cv.member_id = w->u[u];
        cv.has_choice = true;
        cv.choice = COGOV__V1__VOTE_CHOICE__VOTE_CHOICE_FOR;
        cogov__v1__request__init(&req);
        req.body_case = BODY(CAST_VOTE);
        req.cast_vote = &cv;
        h_want_free(w->se, &req, OK, "cast_vote");
    }
    sync_all();
    advance_to("2025-01-10 09:00"); /* the vote closes */

    want_facts(A, "meeting.attended", 1, 1);
    want_facts(B, "meeting.attended", 1, 1);
    want_facts(C, "meeting.attended", 0, 1);
    want_facts(D, "meeting.attended", 0, 0);
    want_facts(A, "meeting.checked_in", 1, 1);
    want_facts(C, "meeting.checked_in", 0, 0);
    want_facts(A, "inquiry.asked", 2, 2);
    want_facts(B, "inquiry.on_time", 1, 1);
    want_facts(C, "inquiry.on_time", 0, 0);
    want_facts(B, "motion.raised", 1, 1);
    for (int u = A; u <= C; u++) {
        want_facts(u, "vote.cast", 1, 1);
        want_facts(u, "vote.eligible", 0, 1);
    }
    want_facts(D, "vote.cast", 0, 0);
    want_facts(D, "vote.eligible", 0, 1);
    long long n;
    assert_int_equal(facts("*", "resolution.unopposed", &n), 1);
    assert_int_equal(n, 1);

    /* q-2 past its SLA (5 days): one fact, one warning, once. */
    advance_to("2025-01-13 09:00");
    advance_to("2025-01-14 09:00");
    want_facts(C, "inquiry.breached", 1, 1);
    assert_int_equal(warnings_of(w->u[C], WK(INQUIRY_OVERDUE)), 1);

    /* Activity: 20 days after admission the department, which only was
     * eligible to vote, is inactive; C, whose last act was its vote on Jan
     * 7 at 09:30 (its absence and its breach are no acts), is not until 20
     * days after that vote. */
    advance_to("2025-01-26 10:00");
    assert_int_equal(warnings_of(w->u[D], WK(INACTIVE)), 1);
    for (int u = A; u <= C; u++)
        assert_int_equal(warnings_of(w->u[u], WK(INACTIVE)), 0);
    advance_to("2025-01-27 09:00");
    assert_int_equal(warnings_of(w->u[D], WK(INACTIVE)), 1);
    assert_int_equal(warnings_of(w->u[C], WK(INACTIVE)), 0);
    advance_to("2025-01-27 10:00");
    assert_int_equal(warnings_of(w->u[C], WK(INACTIVE)), 1);
    assert_int_equal(warnings_of(w->u[D], WK(INACTIVE)), 1);

    /* Health: participation per unit, inclusiveness of the consortium (3 of
     * the 4 member types eligible took part), with definitions. */
    char out[16384];
    const char *he[] = {"--json", "health", "--period", "2025Q1", NULL};
    assert_int_equal(h_ctl(&W->c, out, sizeof out, he), 0);
    assert_non_null(strstr(out, "\"inclusiveness\""));
    const char *hx[] = {"health", "--period", "2025Q1", "--explain", NULL};
    assert_int_equal(h_ctl(&W->c, out, sizeof out, hx), 0);
    assert_non_null(strstr(out, "75.0% (3/4)"));
    assert_non_null(strstr(out, "包容性 inclusiveness"));
    assert_non_null(strstr(out, "参与 participation"));
    const char *hd[] = {"health",   "--member", w->u[D],
                        "--period", "2025Q1",   NULL};
    assert_int_equal(h_ctl(&W->c, out, sizeof out, hd), 0);
    assert_non_null(strstr(out, "0.0% (0/1)"));
}

/* ---- rounds, standing, goals, reports ------------------------------------ */

static const char indicators[] =
    "# test indicators: votes and attendance; an inquiry past its SLA vetoes\n"
    "key=ATTEND group=basic weight=50 source=ontime:meeting.attended "
    "rule=linear target=1000 title=会议出席率\n"
    "key=VOTES group=basic weight=50 source=count:vote.cast rule=linear "
    "target=1 title=参与表决\n"
    "key=NO_BREACH group=veto source=count:inquiry.breached rule=yesno "
    "direction=down target=0 title=诉求逾期未复\n";

static void
round_step(const char *period, const char *what)
{
    char id[32];
    snprintf(id, sizeof id, "round-%s", period);
    Cogov__V1__DraftRound dr = COGOV__V1__DRAFT_ROUND__INIT;
    dr.period = (char *)period;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = BODY(DRAFT_ROUND);
    req.draft_round = &dr;
    h_want_free(W->sv, &req, OK, what);
    Cogov__V1__ReviewRound rv = COGOV__V1__REVIEW_ROUND__INIT;
    rv.round_id = id;
    cogov__v1__request__init(&req);
    req.body_case = BODY(REVIEW_ROUND);
    req.review_round = &rv;
    h_want_free(W->sv, &req, OK, what);
    Cogov__V1__PublishRound pr = COGOV__V1__PUBLISH_ROUND__INIT;
    pr.round_id = id;
    cogov__v1__request__init(&req);
    req.body_case = BODY(PUBLISH_ROUND);
    req.publish_round = &pr;
    h_want_free(W->sv, &req, OK, what);
    sync_all();
}

/* Coordination's open standing cases of a member. */
static size_t
standing_cases(const char *member, const char *needle)
{
    Cogov__V1__ListEscalations le = COGOV__V1__LIST_ESCALATIONS__INIT;
    le.member_id = (char *)member;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = BODY(LIST_ESCALATIONS);
    req.list_escalations = &le;
    Cogov__V1__Reply *rep = h_want(W->co, &req, OK, "list_escalations");
    size_t n = 0;
    for (size_t i = 0; i < rep->escalation_list->n_escalations; i++) {
        const Cogov__V1__Escalation *e = rep->escalation_list->escalations[i];
        if (e->source !=
            COGOV__V1__ESCALATION_SOURCE__ESCALATION_SOURCE_STANDING)
            continue;
        n++;
        if (needle != NULL)
            assert_non_null(strstr(e->subject, needle));
    }
    cogov__v1__reply__free_unpacked(rep, NULL);
    return n;
}

static bool
has_line(char *const *v, size_t n, const char *needle)
{
    for (size_t i = 0; i < n; i++)
        if (strstr(v[i], needle) != NULL)
            return true;
    return false;
}

static void
test_standing(void **state)
{
    world_t *w = *state;
    Cogov__V1__LoadIndicators li = COGOV__V1__LOAD_INDICATORS__INIT;
    li.name = "test.ind";
    li.text = (char *)indicators;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = BODY(LOAD_INDICATORS);
    req.load_indicators = &li;
    h_want_free(w->sv, &req, OK, "load_indicators");

    /* 2025Q1: C's veto failed (q-2 past its SLA): recommended at once. D
     * scored nothing: 不合格, but the first time. */
    round_step("2025Q1", "round 2025Q1");
    size_t n;
    Cogov__V1__Event **ev = standing_events(&n);
    assert_int_equal(n, 1);
    const Cogov__V1__StandingRecommended *sr = ev[0]->standing_recommended;
    assert_string_equal(sr->member_id, w->u[C]);
    assert_int_equal(sr->action, SA(SUSPEND));
    assert_string_equal(sr->evaluation_id, "round-2025Q1");
    assert_non_null(strstr(sr->reason, "NO_BREACH"));
    assert_true(has_line(sr->evidence, sr->n_evidence, "veto NO_BREACH"));
    assert_true(has_line(sr->evidence, sr->n_evidence, "不合格"));
    /* the event behind the veto: secretariat's inquiry_sla_breached */
    assert_int_equal(sr->n_evidence_event_ids, 1);
    long long seq = h_qint(W->c.store[H_SECR], "SELECT seq FROM outbox WHERE "
                                               "type='inquiry_sla_breached'");
    char want[64];
    snprintf(want, sizeof want, "secretariat:%lld", seq);
    assert_string_equal(sr->evidence_event_ids[0], want);
    assert_non_null(sr->result);
    assert_int_equal(sr->result->grade, GR(FAIL));
    assert_true(sr->result->veto_failed);
    events_free(ev, n);
    assert_int_equal(standing_cases(w->u[C], "建议暂停"), 1);
    assert_int_equal(standing_cases(w->u[D], NULL), 0);

    /* The lead department suspends C. */
    Cogov__V1__DecideMember dm = COGOV__V1__DECIDE_MEMBER__INIT;
    dm.member_id = w->u[C];
    dm.has_decision = true;
    dm.decision = COGOV__V1__MEMBER_DECISION__MEMBER_DECISION_SUSPEND;
    cogov__v1__request__init(&req);
    req.body_case = BODY(DECIDE_MEMBER);
    req.decide_member = &dm;
    h_want_free(w->co, &req, OK, "suspend C");
    advance_to("2025-07-01 09:00");

    /* 2025Q2: nobody did anything. A and B: 不合格 once (no recommendation);
     * D and C: 不合格 twice in a row — D suspend, C (suspended) expel. */
    round_step("2025Q2", "round 2025Q2");
    ev = standing_events(&n);
    assert_int_equal(n, 3);
    bool seen_c = false, seen_d = false;
    for (size_t i = 1; i < n; i++) {
        sr = ev[i]->standing_recommended;
        assert_string_equal(sr->evaluation_id, "round-2025Q2");
        assert_string_equal(sr->previous_evaluation_id, "round-2025Q1");
        assert_true(has_line(sr->evidence, sr->n_evidence, "round-2025Q1"));
        assert_true(has_line(sr->evidence, sr->n_evidence, "VOTES"));
        if (strcmp(sr->member_id, w->u[C]) == 0) {
            seen_c = true;
            assert_int_equal(sr->action, SA(EXPEL));
        } else {
            assert_string_equal(sr->member_id, w->u[D]);
            seen_d = true;
            assert_int_equal(sr->action, SA(SUSPEND));
        }
    }
    assert_true(seen_c && seen_d);
    events_free(ev, n);
    assert_int_equal(standing_cases(w->u[C], NULL), 2);
    assert_int_equal(standing_cases(w->u[D], "建议暂停"), 1);
    assert_int_equal(standing_cases(w->u[A], NULL), 0);
    assert_int_equal(standing_cases(w->u[B], NULL), 0);
}

static void
test_goals_and_reports(void **state)
{
    world_t *w = *state;
    /* The consortium against its goal: 3 votes of 5 in 2025 so far. */
    Cogov__V1__GetRound gr = COGOV__V1__GET_ROUND__INIT;
    gr.round_id = "round-2025Q1";
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = BODY(GET_ROUND);
    req.get_round = &gr;
    Cogov__V1__Reply *rep = h_want(w->sv, &req, OK, "get_round");
    assert_int_equal(rep->round->n_goals, 1);
    const Cogov__V1__GoalResult *g = rep->round->goals[0];
    assert_string_equal(g->goal_id, "g-2025-votes");
    assert_true(g->known);
    assert_int_equal(g->observed, 3);
    assert_int_equal(g->target, 5);
    assert_int_equal(g->permille, 600);
    assert_false(g->met);
    cogov__v1__reply__free_unpacked(rep, NULL);
    /* ... and the published event carries it */
    assert_int_equal(h_qint(W->c.store[H_SUPV],
                            "SELECT count(*) FROM outbox WHERE "
                            "type='evaluation_published'"),
                     2);

    char out[65536];
    const char *csv[] = {"evaluation", "report", "round-2025Q1", "--csv", NULL};
    assert_int_equal(h_ctl(&W->c, out, sizeof out, csv), 0);
    assert_true(strncmp(out, "round_id,period,status,member_id,", 33) == 0);
    /* 4 members x (3 indicators + TOTAL), the consortium, one goal, and
     * the header */
    size_t rows = 0;
    for (const char *p = out; (p = strstr(p, "\r\n")) != NULL; p += 2)
        rows++;
    assert_int_equal(rows, 1 + 4 * 4 + 1 + 1);
    char line[256];
    snprintf(line, sizeof line,
             "%s,滨江理工大学,UNIVERSITY,NO_BREACH,诉求逾期未复", w->u[C]);
    assert_non_null(strstr(out, line));
    assert_non_null(strstr(out, ",VOTES,表决参与,goal,g-2025-votes,3,5,60.0,"
                                "not met\r\n"));
    const char *js[] = {"evaluation", "report", "round-2025Q1", "--json", NULL};
    assert_int_equal(h_ctl(&W->c, out, sizeof out, js), 0);
    assert_int_equal(out[0], '{');
    assert_non_null(strstr(out, "\"goals\":[{"));
    assert_non_null(strstr(out, "\"members\":[{"));
    const char *tx[] = {"evaluation", "report", "round-2025Q1", NULL};
    assert_int_equal(h_ctl(&W->c, out, sizeof out, tx), 0);
    assert_non_null(strstr(out, "annual goals"));
    assert_non_null(strstr(out, "60.0%"));

    const char *sc[] = {"scorecard", w->u[A], "--period",
                        "2025Q1",    "--csv", NULL};
    assert_int_equal(h_ctl(&W->c, out, sizeof out, sc), 0);
    snprintf(line, sizeof line,
             "%s,滨江职业技术学院,HIGHER_VOCATIONAL_COLLEGE,"
             "TOTAL,",
             w->u[A]);
    assert_non_null(strstr(out, line));
    /* A: attendance 1/1 (50), one vote of a target of 1 (50): 100 */
    assert_non_null(strstr(out, ",100.00,false\r\n"));
    const char *sj[] = {"scorecard", w->u[C],  "--period",
                        "2025Q1",    "--json", NULL};
    assert_int_equal(h_ctl(&W->c, out, sizeof out, sj), 0);
    assert_non_null(strstr(out, "\"grade\":\"FAIL\""));
    assert_non_null(strstr(out, "\"veto_key\":\"NO_BREACH\""));
    assert_non_null(strstr(out, "\"health\":[{"));
    const char *st[] = {"scorecard", w->u[C], "--period", "2025Q1", NULL};
    assert_int_equal(h_ctl(&W->c, out, sizeof out, st), 0);
    assert_non_null(strstr(out, "veto failed: NO_BREACH"));
    const char *none[] = {"scorecard", w->u[A], "--period", "2030", NULL};
    assert_int_equal(cluster_ctl(&w->c, out, sizeof out, none), 3);
    const char *both[] = {"scorecard", w->u[A],  "--period", "2025Q1",
                          "--csv",     "--json", NULL};
    assert_int_equal(cluster_ctl(&w->c, out, sizeof out, both), 1);
}

/* ---- pool nearly spent ----------------------------------------------------
 */

static void
test_pool_low(void **state)
{
    world_t *w = *state;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    Cogov__V1__CreatePool cp = COGOV__V1__CREATE_POOL__INIT;
    cp.pool_id = "muni-2025";
    cp.name = "市财政产教融合奖补资金";
    cp.has_source = cp.has_fiscal_year = cp.has_budget_fen = true;
    cp.source = COGOV__V1__POOL_SOURCE__POOL_SOURCE_MUNICIPAL_FINANCE;
    cp.fiscal_year = 2025;
    cp.budget_fen = 100000;
    req.body_case = BODY(CREATE_POOL);
    req.create_pool = &cp;
    h_want_free(w->inc, &req, OK, "create_pool");
    Cogov__V1__LoadPolicy lp = COGOV__V1__LOAD_POLICY__INIT;
    lp.source_name = "oc.pol";
    lp.text = "policy id=oc-2025 version=1 effective=2025-01-01 "
              "pool=muni-2025\n"
              "eligible types=enterprise\n"
              "rate id=students measure=students fen=1000 kinds=order_class\n";
    cogov__v1__request__init(&req);
    req.body_case = BODY(LOAD_POLICY);
    req.load_policy = &lp;
    h_want_free(w->inc_fin, &req, OK, "load_policy");

    /* B (an enterprise) leads an order class and reports 95 students:
     * an award of 95000 fen of the 100000. */
    Cogov__V1__CreateTask ct = COGOV__V1__CREATE_TASK__INIT;
    ct.task_id = "t-oc";
    ct.title = "数控订单班";
    ct.has_kind = ct.has_planned_quantity = true;
    ct.kind = COGOV__V1__TASK_KIND__TASK_KIND_ORDER_CLASS;
    ct.lead_member_id = w->u[B];
    ct.planned_quantity = 100;
    ct.quantity_unit = "人";
    cogov__v1__request__init(&req);
    req.body_case = BODY(CREATE_TASK);
    req.create_task = &ct;
    h_want_free(w->co, &req, OK, "create_task");
    assert_int_equal(h_change_task(w->co, "t-oc",
                                   COGOV__V1__TASK_ACTION__TASK_ACTION_APPROVE),
                     OK);
    assert_int_equal(
        h_change_task(w->co, "t-oc", COGOV__V1__TASK_ACTION__TASK_ACTION_START),
        OK);
    Cogov__V1__Delivered dl = COGOV__V1__DELIVERED__INIT;
    dl.has_students_enrolled = true;
    dl.students_enrolled = 95;
    Cogov__V1__ReportProgress rp = COGOV__V1__REPORT_PROGRESS__INIT;
    rp.task_id = "t-oc";
    rp.report_id = "r-1";
    rp.member_id = w->u[B];
    rp.delivered = &dl;
    cogov__v1__request__init(&req);
    req.body_case = BODY(REPORT_PROGRESS);
    req.report_progress = &rp;
    h_want_free(w->co, &req, OK, "report_progress");
    sync_all();
    assert_int_equal(h_qint(W->c.store[H_SUPV],
                            "SELECT count(*) FROM objects WHERE "
                            "kind='warning' AND id LIKE 'pool_%%'"),
                     0);

    sqlite3 *db = NULL;
    sqlite3_stmt *q = NULL;
    char award[200] = "";
    assert_int_equal(
        sqlite3_open_v2(w->c.store[H_INCE], &db, SQLITE_OPEN_READONLY, NULL),
        SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT award_id FROM awards WHERE "
                                        "report_id='r-1'",
                                        -1, &q, NULL),
                     SQLITE_OK);
    if (sqlite3_step(q) == SQLITE_ROW)
        snprintf(award, sizeof award, "%s", sqlite3_column_text(q, 0));
    sqlite3_finalize(q);
    sqlite3_close(db);
    assert_true(award[0] != 0);
    Cogov__V1__ReviewAward rv = COGOV__V1__REVIEW_AWARD__INIT;
    rv.award_id = award;
    cogov__v1__request__init(&req);
    req.body_case = BODY(REVIEW_AWARD);
    req.review_award = &rv;
    h_want_free(w->inc_sec, &req, OK, "review_award");
    Cogov__V1__ApproveAward ap = COGOV__V1__APPROVE_AWARD__INIT;
    ap.award_id = award;
    cogov__v1__request__init(&req);
    req.body_case = BODY(APPROVE_AWARD);
    req.approve_award = &ap;
    h_want_free(w->inc_fin, &req, OK, "approve_award");
    sync_all();
    assert_int_equal(h_qint(W->c.store[H_INCE],
                            "SELECT count(*) FROM outbox WHERE "
                            "type='pool_low'"),
                     1);
    /* one warning of the consortium (no member), raised once */
    Cogov__V1__ListWarnings lw = COGOV__V1__LIST_WARNINGS__INIT;
    lw.has_kind = true;
    lw.kind = WK(POOL_LOW);
    cogov__v1__request__init(&req);
    req.body_case = BODY(LIST_WARNINGS);
    req.list_warnings = &lw;
    Cogov__V1__Reply *rep = h_want(w->sv, &req, OK, "list_warnings");
    assert_int_equal(rep->warning_list->n_warnings, 1);
    const Cogov__V1__WarningRaised *wr = rep->warning_list->warnings[0];
    assert_true(strncmp(wr->warning_id, "pool_low:muni-2025:incentives:", 30) ==
                0);
    assert_string_equal(wr->member_id, "");
    assert_non_null(strstr(wr->detail, "5000 fen available of 100000"));
    cogov__v1__reply__free_unpacked(rep, NULL);
    /* once: a later tick raises nothing more */
    long long raised =
        h_qint(W->c.store[H_SUPV], "SELECT count(*) FROM outbox WHERE "
                                   "type='warning_raised'");
    advance_to("2025-07-02 09:00");
    assert_int_equal(h_qint(W->c.store[H_SUPV],
                            "SELECT count(*) FROM outbox WHERE "
                            "type='warning_raised'"),
                     raised);
    assert_int_equal(h_qint(W->c.store[H_SUPV],
                            "SELECT count(*) FROM objects WHERE "
                            "kind='warning' AND id LIKE 'pool_%%'"),
                     1);
    char out[8192];
    const char *wl[] = {"warning", "list", "--kind", "pool_low", NULL};
    assert_int_equal(h_ctl(&W->c, out, sizeof out, wl), 0);
    assert_non_null(strstr(out, "pool_low:muni-2025"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_secretariat_evidence),
        cmocka_unit_test(test_standing),
        cmocka_unit_test(test_goals_and_reports),
        cmocka_unit_test(test_pool_low),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

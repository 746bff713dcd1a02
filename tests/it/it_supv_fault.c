/* it_supv_fault: supervision killed mid-stream converges (issue 7). While
 * coordination and secretariat produce a seeded quarter of collaboration —
 * progress reports, pledges made, delivered or missed, meetings with
 * check-ins and absences, motions with votes, inquiries answered or left to
 * breach their SLA, goals, daily calendar ticks — supervision is killed with
 * SIGKILL at seeded random moments (0-40 ms into a burst of commands) and
 * restarted, several times. A second supervision process (the reference)
 * follows the same two streams from its own store and is never killed.
 * Afterwards both stores hold the same facts, members, warnings and goals
 * (canonical dumps compared row by row; no wall-clock stamps are in them),
 * each warning was emitted exactly once on each stream, there are no dead
 * letters, and the faulty store passes quick_check.
 *
 * COGOV_SUPV_FAULT_DAYS overrides the number of days (default 45). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness_req.h"
#include "util.h"

#define OK COGOV__V1__STATUS_CODE__STATUS_OK
#define BODY(x) COGOV__V1__REQUEST__BODY_##x
#define MT(x) COGOV__V1__MEMBER_TYPE__MEMBER_TYPE_##x
#define KILLS 6
#define NU 6
#define WAIT_MS 10000
#define SYNC_MS 30000

typedef struct killer {
    cluster_t *c;
    unsigned seed;
    atomic_int arm;    /* 1: kill supervision soon */
    atomic_int killed; /* 1: killed, awaiting restart */
    atomic_bool quit;
} killer_t;

typedef struct world {
    cluster_t c;
    keypair_t secr;
    client_t *co, *se;
    char unit[NU][19];
    char ref_conf[128], ref_store[128], ref_log[128];
    pid_t ref;
    int64_t now;
    char pending[48]; /* a pledge made, neither delivered nor yet missed */
    char meeting[48]; /* scheduled yesterday, held today */
    unsigned r;
    int restarts;
} world_t;

static void
nap_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void *
killer_main(void *arg)
{
    killer_t *k = arg;
    unsigned r = k->seed;
    while (!atomic_load(&k->quit)) {
        if (atomic_load(&k->arm) == 0) {
            nap_ms(1);
            continue;
        }
        nap_ms((int)(rand_r(&r) % 41));
        pid_t pid = k->c->pid[H_SUPV];
        if (pid > 0)
            kill(pid, SIGKILL);
        atomic_store(&k->killed, 1);
        atomic_store(&k->arm, 0);
    }
    return NULL;
}

/* ---- calls --------------------------------------------------------------- */

static void
advance(world_t *w, int64_t to)
{
    assert_int_equal(h_advance(w->co, to), OK);
    w->now = to;
}

static void
sync_all(world_t *w)
{
    h_sync(&w->c, SYNC_MS);
}

static void
date_of(int64_t t, char *buf, size_t size)
{
    time_t s = (time_t)(t + 28800);
    struct tm tm;
    gmtime_r(&s, &tm);
    strftime(buf, size, "%Y-%m-%d", &tm);
}

/* ---- the reference supervision ------------------------------------------- */

/* Its config: supervision's, with its own store and endpoint (same keys, so
 * the producers serve it as supervision). */
static void
ref_start(world_t *w)
{
    cluster_t *c = &w->c;
    snprintf(w->ref_conf, sizeof w->ref_conf, "%s/ref.conf", c->dir);
    snprintf(w->ref_store, sizeof w->ref_store, "%s/ref.db", c->dir);
    snprintf(w->ref_log, sizeof w->ref_log, "%s/ref.log", c->dir);
    char ep[160];
    snprintf(ep, sizeof ep, "ipc://%s/sr.sock", c->dir);
    const char *const set[] = {"store", w->ref_store, "supervision_endpoint",
                               ep, NULL};
    h_conf_derive(c, H_SUPV, w->ref_conf, set);
    w->ref = h_spawn("COGOV_SUPERVISION", w->ref_conf, w->ref_log);
}

/* The reference has applied both streams to their heads (bounded). */
static void
ref_sync(world_t *w)
{
    long long heads[2] = {
        store_query_int(w->c.store[H_COORD],
                        "SELECT coalesce(max(seq),0) FROM outbox"),
        store_query_int(w->c.store[H_SECR],
                        "SELECT coalesce(max(seq),0) FROM outbox")};
    int64_t deadline = now_mono_ms() + SYNC_MS;
    for (;;) {
        long long a = store_query_int(
            w->ref_store,
            "SELECT applied_seq FROM cursors WHERE producer='coordination'");
        long long b = store_query_int(
            w->ref_store,
            "SELECT applied_seq FROM cursors WHERE producer='secretariat'");
        if (a == heads[0] && b == heads[1])
            return;
        int st;
        assert_int_not_equal(waitpid(w->ref, &st, WNOHANG), w->ref);
        if (now_mono_ms() > deadline) {
            printf("# reference at %lld/%lld of %lld/%lld; see %s\n", a, b,
                   heads[0], heads[1], w->ref_log);
            fail();
        }
        nap_ms(20);
    }
}

/* ---- canonical dumps ----------------------------------------------------- */

/* Equal dumps; on a difference print the first differing lines. */
static void
same(world_t *w, const char *what, const char *sql)
{
    char *a = h_dump(w->c.store[H_SUPV], sql);
    char *b = h_dump(w->ref_store, sql);
    printf("# %s: %zu rows (faulty) / %zu (reference)\n", what, h_lines(a),
           h_lines(b));
    if (strcmp(a, b) != 0) {
        const char *p = a, *q = b;
        while (*p && *p == *q)
            p++, q++;
        while (p > a && p[-1] != '\n')
            p--, q--;
        printf("# %s differ:\n#  faulty:    %.160s\n#  reference: %.160s\n",
               what, p, q);
    }
    assert_string_equal(a, b);
    free(a);
    free(b);
}

/* ---- the world ----------------------------------------------------------- */

static void
found(world_t *w)
{
    static const char *const names[NU] = {
        "滨江职业技术学院",     "滨江精密机械有限公司",
        "滨江智能装备有限公司", "滨江第一中等职业学校",
        "滨江理工大学",         "滨江市人力资源和社会保障局"};
    static const Cogov__V1__MemberType types[NU] = {
        MT(HIGHER_VOCATIONAL_COLLEGE),
        MT(LEADING_ENTERPRISE),
        MT(ENTERPRISE),
        MT(SECONDARY_VOCATIONAL_SCHOOL),
        MT(UNIVERSITY),
        MT(GOVERNMENT_DEPARTMENT)};
    assert_int_equal(h_found(w->co, "滨江高新技术产业开发区", "2025-01-01"),
                     OK);
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    for (int i = 0; i < NU; i++) {
        uscc_make(700 + (unsigned)i, w->unit[i]);
        assert_int_equal(h_admit(w->co, w->unit[i], names[i], types[i]), OK);
    }
    assert_int_equal(h_charter(w->co), OK);
    Cogov__V1__SetGoal sg = COGOV__V1__SET_GOAL__INIT;
    sg.goal_id = "g-2025-oc";
    sg.has_year = sg.has_target_value = true;
    sg.year = 2025;
    sg.indicator_code = "ORDER_CLASS_STUDENTS";
    sg.title = "订单班学生";
    sg.target_value = 300;
    sg.unit = "人";
    cogov__v1__request__init(&req);
    req.body_case = BODY(SET_GOAL);
    req.set_goal = &sg;
    h_want_free(w->co, &req, OK, "set_goal");

    /* One task led by the college with the two enterprises. */
    Cogov__V1__MilestoneSpec m1 = COGOV__V1__MILESTONE_SPEC__INIT;
    Cogov__V1__MilestoneSpec *ms[] = {&m1};
    m1.milestone_id = "enrol";
    m1.title = "完成招生";
    m1.due_on = "2025-02-20";
    char *parts[] = {w->unit[1], w->unit[2]};
    Cogov__V1__CreateTask ct = COGOV__V1__CREATE_TASK__INIT;
    ct.task_id = "t-oc";
    ct.title = "智能制造订单班";
    ct.has_kind = true;
    ct.kind = COGOV__V1__TASK_KIND__TASK_KIND_ORDER_CLASS;
    ct.lead_member_id = w->unit[0];
    ct.n_participant_ids = 2;
    ct.participant_ids = parts;
    ct.has_planned_quantity = true;
    ct.planned_quantity = 300;
    ct.quantity_unit = "人";
    ct.n_milestones = 1;
    ct.milestones = ms;
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
}

/* One day of collaboration: a seeded mix of commands to both producers. */
static void
day(world_t *w, int d)
{
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    char id[48], due[16];
    unsigned r = rand_r(&w->r);

    /* progress on the order class by one of its three units */
    if (r % 2 == 0) {
        Cogov__V1__Delivered dl = COGOV__V1__DELIVERED__INIT;
        dl.has_students_enrolled = dl.has_interns_hosted = true;
        dl.students_enrolled = 1 + rand_r(&w->r) % 12;
        dl.interns_hosted = rand_r(&w->r) % 5;
        Cogov__V1__ReportProgress rp = COGOV__V1__REPORT_PROGRESS__INIT;
        snprintf(id, sizeof id, "r-%d", d);
        rp.task_id = "t-oc";
        rp.report_id = id;
        rp.member_id = w->unit[rand_r(&w->r) % 3];
        rp.delivered = &dl;
        req.body_case = BODY(REPORT_PROGRESS);
        req.report_progress = &rp;
        h_want_free(w->co, &req, OK, "report_progress");
    }
    /* a pledge due in 3 days, delivered the next day or left to be missed */
    if (r % 3 == 0) {
        Cogov__V1__MakePledge mp = COGOV__V1__MAKE_PLEDGE__INIT;
        snprintf(id, sizeof id, "p-%d", d);
        date_of(w->now + 3 * 86400, due, sizeof due);
        mp.pledge_id = id;
        mp.task_id = "t-oc";
        mp.member_id = w->unit[1 + rand_r(&w->r) % 2];
        mp.has_kind = mp.has_amount_fen = true;
        mp.kind = COGOV__V1__PLEDGE_KIND__PLEDGE_KIND_FUNDS;
        mp.amount_fen = 100000 * (1 + rand_r(&w->r) % 20);
        mp.description = "实训设备购置资金";
        mp.due_on = due;
        cogov__v1__request__init(&req);
        req.body_case = BODY(MAKE_PLEDGE);
        req.make_pledge = &mp;
        h_want_free(w->co, &req, OK, "make_pledge");
    }
    /* the pledge of an earlier day: delivered on time, or left to be missed */
    if (w->pending[0] != 0 && rand_r(&w->r) % 2 == 0) {
        Cogov__V1__DeliverPledge dp = COGOV__V1__DELIVER_PLEDGE__INIT;
        dp.pledge_id = w->pending;
        dp.evidence = "转账凭证";
        cogov__v1__request__init(&req);
        req.body_case = BODY(DELIVER_PLEDGE);
        req.deliver_pledge = &dp;
        h_want_free(w->co, &req, OK, "deliver_pledge");
    }
    w->pending[0] = 0;
    if (r % 3 == 0)
        snprintf(w->pending, sizeof w->pending, "p-%d", d);
    /* yesterday's meeting: some check in, then it is held */
    if (w->meeting[0] != 0) {
        for (int i = 0; i < NU; i++) {
            /* the university mostly stays away: absence streaks */
            unsigned p = rand_r(&w->r) % 6;
            if (i == 4 ? p != 0 : p < 2)
                continue;
            Cogov__V1__CheckInMeeting ci = COGOV__V1__CHECK_IN_MEETING__INIT;
            ci.meeting_id = w->meeting;
            ci.member_id = w->unit[i];
            cogov__v1__request__init(&req);
            req.body_case = BODY(CHECK_IN_MEETING);
            req.check_in_meeting = &ci;
            h_want_free(w->se, &req, OK, "check_in");
        }
        Cogov__V1__MeetingTransition mt = COGOV__V1__MEETING_TRANSITION__INIT;
        mt.meeting_id = w->meeting;
        mt.has_to = true;
        mt.to = COGOV__V1__MEETING_STATUS__MEETING_STATUS_HELD;
        cogov__v1__request__init(&req);
        req.body_case = BODY(MEETING_TRANSITION);
        req.meeting_transition = &mt;
        h_want_free(w->se, &req, OK, "hold");
        w->meeting[0] = 0;
    } else if (r % 4 == 1) {
        /* a meeting in an hour (held tomorrow) */
        char *inv[NU];
        for (int i = 0; i < NU; i++)
            inv[i] = w->unit[i];
        Cogov__V1__ScheduleMeeting sm = COGOV__V1__SCHEDULE_MEETING__INIT;
        snprintf(w->meeting, sizeof w->meeting, "m-%d", d);
        sm.meeting_id = w->meeting;
        sm.has_kind = sm.has_starts_at = true;
        sm.kind = COGOV__V1__MEETING_KIND__MEETING_KIND_JOINT_CONFERENCE;
        sm.title = "联席会议";
        sm.starts_at = w->now + 3600;
        sm.place = "滨江职业技术学院报告厅";
        sm.convenor_member_id = w->unit[5];
        sm.n_invitees = NU;
        sm.invitees = inv;
        cogov__v1__request__init(&req);
        req.body_case = BODY(SCHEDULE_MEETING);
        req.schedule_meeting = &sm;
        h_want_free(w->se, &req, OK, "schedule_meeting");
    }
    /* a motion put to a vote by correspondence, closing in two days */
    if (r % 5 == 2) {
        Cogov__V1__RaiseMotion rm = COGOV__V1__RAISE_MOTION__INIT;
        snprintf(id, sizeof id, "mo-%d", d);
        rm.motion_id = id;
        rm.member_id = w->unit[rand_r(&w->r) % NU];
        rm.title = "关于共建实训基地的议案";
        rm.text = "建议共建数控实训基地。";
        cogov__v1__request__init(&req);
        req.body_case = BODY(RAISE_MOTION);
        req.raise_motion = &rm;
        h_want_free(w->se, &req, OK, "raise_motion");
        Cogov__V1__OpenVote ov = COGOV__V1__OPEN_VOTE__INIT;
        ov.motion_id = id;
        ov.has_closes_at = true;
        ov.closes_at = w->now + 2 * 86400;
        cogov__v1__request__init(&req);
        req.body_case = BODY(OPEN_VOTE);
        req.open_vote = &ov;
        h_want_free(w->se, &req, OK, "open_vote");
        for (int i = 0; i < NU; i++) {
            if (rand_r(&w->r) % 3 == 0)
                continue;
            Cogov__V1__CastVote cv = COGOV__V1__CAST_VOTE__INIT;
            cv.motion_id = id;
            cv.member_id = w->unit[i];
            cv.has_choice = true;
            cv.choice = rand_r(&w->r) % 4 == 0
                            ? COGOV__V1__VOTE_CHOICE__VOTE_CHOICE_AGAINST
                            : COGOV__V1__VOTE_CHOICE__VOTE_CHOICE_FOR;
            cogov__v1__request__init(&req);
            req.body_case = BODY(CAST_VOTE);
            req.cast_vote = &cv;
            h_want_free(w->se, &req, OK, "cast_vote");
        }
    }
    /* an inquiry, answered the same day or left to breach its SLA */
    if (r % 3 == 1) {
        Cogov__V1__AskInquiry ak = COGOV__V1__ASK_INQUIRY__INIT;
        snprintf(id, sizeof id, "q-%d", d);
        int a = (int)(rand_r(&w->r) % NU),
            b = (a + 1 + (int)(rand_r(&w->r) % (NU - 1))) % NU;
        ak.inquiry_id = id;
        ak.asker_member_id = w->unit[a];
        ak.addressee_member_id = w->unit[b];
        ak.subject = "实训设备共享";
        ak.text = "能否开放数控实训中心供学生使用？";
        cogov__v1__request__init(&req);
        req.body_case = BODY(ASK_INQUIRY);
        req.ask_inquiry = &ak;
        h_want_free(w->se, &req, OK, "ask_inquiry");
        if (rand_r(&w->r) % 3 != 0) {
            Cogov__V1__AnswerInquiry aw = COGOV__V1__ANSWER_INQUIRY__INIT;
            aw.inquiry_id = id;
            aw.answer = "可以，每周三下午开放。";
            cogov__v1__request__init(&req);
            req.body_case = BODY(ANSWER_INQUIRY);
            req.answer_inquiry = &aw;
            h_want_free(w->se, &req, OK, "answer_inquiry");
        }
    }
}

/* ---- the test ------------------------------------------------------------ */

static void
restart_if_killed(world_t *w, killer_t *k)
{
    if (atomic_load(&k->killed) == 0)
        return;
    pid_t pid = w->c.pid[H_SUPV];
    if (pid > 0)
        waitpid(pid, NULL, 0);
    w->c.pid[H_SUPV] = 0;
    assert_int_equal(cluster_start(&w->c, H_SUPV), 0);
    w->restarts++;
    atomic_store(&k->killed, 0);
}

static void
test_kill9_converges(void **state)
{
    (void)state;
    world_t *w = xcalloc(1, sizeof *w);
    unsigned seed = test_seed();
    const char *env = getenv("COGOV_SUPV_FAULT_DAYS");
    int days = env != NULL ? atoi(env) : 45;
    w->r = seed;
    cluster_t *c = &w->c;
    assert_int_equal(cluster_init(c, "svfault"), 0);
    /* short thresholds so that inactivity and absence warnings happen */
    FILE *f = fopen(c->conf[H_SUPV], "a");
    assert_non_null(f);
    fputs("inactive_days = 12\nabsence_streak = 3\n", f);
    fclose(f);
    assert_int_equal(cluster_add_principal(c, "secretary", "-", "SECRETARIAT",
                                           "-", &w->secr),
                     0);
    assert_int_equal(cluster_start(c, H_COORD), 0);
    assert_int_equal(cluster_start(c, H_SECR), 0);
    assert_int_equal(cluster_start(c, H_SUPV), 0);
    ref_start(w);
    w->co = cluster_client(c, H_COORD);
    w->se = cluster_client_as(c, H_SECR, &w->secr);
    assert_non_null(w->co);
    assert_non_null(w->se);
    assert_int_equal(time_parse("2025-02-03 09:00", 28800, &w->now), 0);
    found(w);
    advance(w, w->now);
    sync_all(w);

    int kill_day[KILLS];
    for (int i = 0; i < KILLS; i++)
        kill_day[i] = 1 + (int)(rand_r(&w->r) % (unsigned)(days - 1));
    killer_t k = {.c = c, .seed = rand_r(&w->r)};
    atomic_init(&k.arm, 0);
    atomic_init(&k.killed, 0);
    atomic_init(&k.quit, false);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, killer_main, &k), 0);

    int planned = 0;
    for (int d = 0; d < days; d++) {
        int kills = 0;
        for (int i = 0; i < KILLS; i++)
            kills += kill_day[i] == d;
        planned += kills;
        for (int i = 0; i < kills; i++) {
            atomic_store(&k.arm, 1);
            day(w, d * 10 + i);
            int64_t deadline = now_mono_ms() + 5000;
            while (atomic_load(&k.killed) == 0 && now_mono_ms() < deadline)
                nap_ms(1);
            restart_if_killed(w, &k);
        }
        if (kills == 0)
            day(w, d * 10);
        sync_all(w);
        advance(w, w->now + 86400);
        sync_all(w);
    }
    atomic_store(&k.quit, true);
    pthread_join(th, NULL);
    printf("# %d days, %d kills planned, %d restarts\n", days, planned,
           w->restarts);
    assert_int_equal(w->restarts, planned);
    assert_true(planned >= 1);
    sync_all(w);
    ref_sync(w);

    /* Not vacuous: there is evidence of every kind and warnings. */
    const char *sv = c->store[H_SUPV];
    static const char *const kinds[] = {"progress.students_enrolled",
                                        "pledge.made",
                                        "meeting.attended",
                                        "meeting.checked_in",
                                        "vote.cast",
                                        "vote.eligible",
                                        "inquiry.asked",
                                        "inquiry.on_time"};
    for (size_t i = 0; i < ARRAY_LEN(kinds); i++) {
        char sql[128];
        snprintf(sql, sizeof sql,
                 "SELECT count(*) FROM facts WHERE source='%s'", kinds[i]);
        long long n = store_query_int(sv, sql);
        printf("# facts %s: %lld\n", kinds[i], n);
        assert_true(n > 0);
    }
    long long warnings = store_query_int(
        sv, "SELECT count(*) FROM objects WHERE kind='warning'");
    assert_true(warnings > 0);

    /* The same state as the run without faults. */
    same(w, "facts",
         "SELECT event_id, member_id, source, at, value FROM facts"
         " ORDER BY event_id, member_id, source");
    same(w, "members",
         "SELECT member_id, name, type, status, since FROM members"
         " ORDER BY member_id");
    same(w, "warnings and goals",
         "SELECT kind, id, member_id, status, due_at, at, hex(body)"
         " FROM objects WHERE kind IN ('warning', 'goal') ORDER BY kind, id");
    /* Every warning emitted once, on both streams; nothing dead-lettered. */
    static const char *const once =
        "SELECT count(*) FROM outbox WHERE type='warning_raised'";
    assert_int_equal(store_query_int(sv, once), warnings);
    assert_int_equal(store_query_int(w->ref_store, once), warnings);
    assert_int_equal(store_query_int(sv, "SELECT count(*) FROM dead_letters"),
                     0);
    assert_int_equal(
        store_query_int(w->ref_store, "SELECT count(*) FROM dead_letters"), 0);

    client_destroy(&w->co);
    client_destroy(&w->se);
    h_reap(w->ref, w->ref_log);
    assert_int_equal(cluster_stop(c, H_SUPV), 0);
    assert_int_equal(cluster_stop(c, H_SECR), 0);
    assert_int_equal(cluster_stop(c, H_COORD), 0);
    assert_int_equal(store_query_int(sv,
                                     "SELECT count(*) FROM pragma_quick_check"
                                     " WHERE quick_check = 'ok'"),
                     1);
    cluster_destroy(c);
    free(w);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kill9_converges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

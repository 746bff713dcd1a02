/* it_supervision: issue 7 through the real daemons — coordination,
 * secretariat and supervision. The default indicators loaded with
 * cogovctl; a task's progress and a milestone overdue on the manual
 * calendar folded into facts and raising one warning across two ticks; a
 * missed pledge raising a warning; a round for 2025 drafted twice with
 * identical numbers, reviewed, published (evaluation_published) and frozen;
 * a rectification issued, reported, returned and overdue on a tick
 * (rectification_overdue once), which coordination turns into an
 * escalation case; bad input (unknown ids, an OBSERVER's commands, a
 * malformed indicator file) refused with nothing changed.
 *
 * The tests share one world and run in order. */
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
#include "cogov/v1/supervision.pb-c.h"

#define OK COGOV__V1__STATUS_CODE__STATUS_OK
#define INVALID COGOV__V1__STATUS_CODE__STATUS_INVALID
#define NOT_FOUND COGOV__V1__STATUS_CODE__STATUS_NOT_FOUND
#define DENIED COGOV__V1__STATUS_CODE__STATUS_PERMISSION_DENIED
#define CONFLICT COGOV__V1__STATUS_CODE__STATUS_CONFLICT

#define TA(x) COGOV__V1__TASK_ACTION__TASK_ACTION_##x
#define WK(x) COGOV__V1__WARNING_KIND__WARNING_KIND_##x
#define RS(x) COGOV__V1__RECTIFICATION_STATUS__RECTIFICATION_STATUS_##x
#define BODY(x) COGOV__V1__REQUEST__BODY_##x
#define WAIT_MS 10000
#define SYNC_MS 20000

typedef struct world {
    cluster_t c;
    keypair_t sup; /* SUPERVISOR, also cogovctl's key */
    keypair_t obs; /* OBSERVER */
    client_t *op;  /* operator on coordination */
    client_t *sv;  /* supervisor on supervision */
    client_t *ob;  /* observer on supervision */
    char a[19];    /* a higher vocational college, leads the task */
    char b[19];    /* a leading enterprise, takes part and pledges */
    char tmp[96];  /* scratch directory for files */
} world_t;

static world_t *W;

/* ---- calls --------------------------------------------------------------- */

static void
sync_all(void)
{
    h_sync(&W->c, SYNC_MS);
}

static long long
supv_events(const char *type)
{
    return h_qint(W->c.store[H_SUPV],
                  "SELECT count(*) FROM outbox WHERE type='%s'", type);
}

/* Supervision's stream head and store, to show that a refusal changed
 * nothing. */
static const char *const supv_tables[] = {
    "outbox",  "cursors",      "facts",          "members", "objects",
    "replies", "dead_letters", "indicator_sets", "meta"};
#define N_TABLES (sizeof supv_tables / sizeof supv_tables[0])

typedef struct snap {
    long long head;
    uint64_t db;
    uint64_t t[N_TABLES];
} snap_t;

static snap_t
snap(void)
{
    snap_t s = {
        h_qint(W->c.store[H_SUPV], "SELECT coalesce(max(seq),0) FROM outbox"),
        store_hash(W->c.store[H_SUPV], NULL),
        {0}};
    assert_int_not_equal(s.db, 0);
    for (size_t i = 0; i < N_TABLES; i++) {
        char sql[64];
        snprintf(sql, sizeof sql, "SELECT * FROM %s", supv_tables[i]);
        s.t[i] = store_hash(W->c.store[H_SUPV], sql);
    }
    return s;
}

static void
snap_diff(const snap_t *a, const snap_t *b, const char *what)
{
    for (size_t i = 0; i < N_TABLES; i++)
        if (a->t[i] != b->t[i])
            printf("# %s changed table %s\n", what, supv_tables[i]);
}

static void
refused_on(client_t *cl, Cogov__V1__Request *req, int code, const char *needle,
           const char *what)
{
    /* The others react to supervision's events (secretariat's notices come
     * back on its stream): let everything settle first. */
    sync_all();
    snap_t before = snap();
    h_want_error(cl, req, code, needle, what);
    snap_t after = snap();
    snap_diff(&before, &after, what);
    assert_int_equal(after.head, before.head);
    assert_int_equal(after.db, before.db);
}

/* ---- coordination -------------------------------------------------------- */

static void
advance_to(const char *date)
{
    assert_int_equal(h_advance(W->op, h_time(date)), OK);
    sync_all();
}

static void
change_task(const char *id, Cogov__V1__TaskAction a)
{
    Cogov__V1__ChangeTaskStatus ch = COGOV__V1__CHANGE_TASK_STATUS__INIT;
    ch.task_id = (char *)id;
    ch.has_action = true;
    ch.action = a;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = BODY(CHANGE_TASK_STATUS);
    req.change_task_status = &ch;
    h_want_free(W->op, &req, OK, "change_task_status");
}

/* ---- supervision ------------------------------------------------------- */

static Cogov__V1__Reply *
list_facts(const char *member)
{
    Cogov__V1__ListFacts lf = COGOV__V1__LIST_FACTS__INIT;
    lf.member_id = (char *)member;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = BODY(LIST_FACTS);
    req.list_facts = &lf;
    Cogov__V1__Reply *rep = h_want(W->ob, &req, OK, "list_facts");
    assert_int_equal(rep->body_case, COGOV__V1__REPLY__BODY_FACT_LIST);
    return rep;
}

/* Sum of the member's facts of source. */
static long long
fact_sum(const char *member, const char *source, int *count)
{
    Cogov__V1__Reply *rep = list_facts(member);
    long long sum = 0;
    *count = 0;
    for (size_t i = 0; i < rep->fact_list->n_facts; i++) {
        const Cogov__V1__Fact *f = rep->fact_list->facts[i];
        assert_string_equal(f->member_id, member);
        if (strcmp(f->source, source) == 0) {
            sum += f->value;
            (*count)++;
        }
    }
    cogov__v1__reply__free_unpacked(rep, NULL);
    return sum;
}

static Cogov__V1__Reply *
warnings(const char *member, Cogov__V1__WarningKind kind)
{
    Cogov__V1__ListWarnings lw = COGOV__V1__LIST_WARNINGS__INIT;
    lw.member_id = (char *)member;
    lw.has_kind = kind != 0;
    lw.kind = kind;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = BODY(LIST_WARNINGS);
    req.list_warnings = &lw;
    Cogov__V1__Reply *rep = h_want(W->ob, &req, OK, "list_warnings");
    assert_int_equal(rep->body_case, COGOV__V1__REPLY__BODY_WARNING_LIST);
    return rep;
}

static Cogov__V1__Reply *
round_req(Cogov__V1__Request *req, client_t *cl, const char *what)
{
    Cogov__V1__Reply *rep = h_want(cl, req, OK, what);
    assert_int_equal(rep->body_case, COGOV__V1__REPLY__BODY_ROUND);
    return rep;
}

static Cogov__V1__Reply *
draft(const char *period)
{
    Cogov__V1__DraftRound dr = COGOV__V1__DRAFT_ROUND__INIT;
    dr.period = (char *)period;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = BODY(DRAFT_ROUND);
    req.draft_round = &dr;
    return round_req(&req, W->sv, "draft_round");
}

static const Cogov__V1__MemberResult *
result_of(const Cogov__V1__Round *r, const char *member)
{
    for (size_t i = 0; i < r->n_results; i++)
        if (strcmp(r->results[i]->member_id, member) == 0)
            return r->results[i];
    return NULL;
}

static const Cogov__V1__IndicatorScore *
score_of(const Cogov__V1__MemberResult *m, const char *key)
{
    for (size_t i = 0; m != NULL && i < m->n_scores; i++)
        if (strcmp(m->scores[i]->key, key) == 0)
            return m->scores[i];
    return NULL;
}

/* ---- the world ----------------------------------------------------------- */

static int
setup(void **state)
{
    world_t *w = xcalloc(1, sizeof *w);
    W = w;
    *state = w;
    cluster_t *c = &w->c;
    printf("# seed %u\n", test_seed());
    assert_int_equal(cluster_init(c, "supv"), 0);
    snprintf(w->tmp, sizeof w->tmp, "%s", c->dir);
    uscc_make(901, w->a);
    uscc_make(902, w->b);
    assert_int_equal(
        cluster_add_principal(c, "supervisor", "-", "SUPERVISOR", "-", &w->sup),
        0);
    assert_int_equal(
        cluster_add_principal(c, "observer", "-", "OBSERVER", "-", &w->obs), 0);
    assert_int_equal(keys_write(c->keys_dir, "supervisor", &w->sup), 0);
    assert_int_equal(cluster_ctl_conf_all(c, "supervisor"), 0);
    assert_int_equal(cluster_start(c, H_COORD), 0);
    assert_int_equal(cluster_start(c, H_SECR), 0);
    assert_int_equal(cluster_start(c, H_SUPV), 0);
    w->op = cluster_client(c, H_COORD);
    w->sv = cluster_client_as(c, H_SUPV, &w->sup);
    w->ob = cluster_client_as(c, H_SUPV, &w->obs);
    assert_non_null(w->op);
    assert_non_null(w->sv);
    assert_non_null(w->ob);
    h_watch(c);

    assert_int_equal(h_found(w->op, "滨江高新技术产业开发区", "2025-01-01"),
                     OK);
    assert_int_equal(
        h_admit(w->op, w->a, "滨江职业技术学院",
                COGOV__V1__MEMBER_TYPE__MEMBER_TYPE_HIGHER_VOCATIONAL_COLLEGE),
        OK);
    assert_int_equal(
        h_admit(w->op, w->b, "滨江精密机械有限公司",
                COGOV__V1__MEMBER_TYPE__MEMBER_TYPE_LEADING_ENTERPRISE),
        OK);
    sync_all();
    return 0;
}

static int
teardown(void **state)
{
    world_t *w = *state != NULL ? *state : W;
    if (w == NULL)
        return -1;
    client_destroy(&w->op);
    client_destroy(&w->sv);
    client_destroy(&w->ob);
    int sync = cluster_sync(&w->c, SYNC_MS);
    int su = cluster_stop(&w->c, H_SUPV);
    int se = cluster_stop(&w->c, H_SECR);
    int co = cluster_stop(&w->c, H_COORD);
    printf("# sync %d; stop: supervision %d, secretariat %d, coordination "
           "%d\n",
           sync, su, se, co);
    cluster_destroy(&w->c);
    free(w);
    return sync == 0 && su == 0 && se == 0 && co == 0 ? 0 : -1;
}

/* ---- indicators ---------------------------------------------------------- */

static void
test_indicators(void **state)
{
    world_t *w = *state;
    char out[16384];
    /* The shipped default, next to this file in the source tree. */
    char path[1024];
    snprintf(path, sizeof path, "%s", __FILE__);
    char *slash = strstr(path, "/tests/it/");
    assert_non_null(slash);
    snprintf(slash, sizeof path - (size_t)(slash - path),
             "/deploy/data/indicators.default");
    const char *load[] = {"indicator", "load", path, NULL};
    assert_int_equal(h_ctl(&W->c, out, sizeof out, load), 0);
    assert_non_null(strstr(out, "version 1"));
    assert_non_null(strstr(out, "ORDER_CLASS_STUDENTS"));

    const char *list[] = {"--json", "indicator", "list", NULL};
    assert_int_equal(h_ctl(&W->c, out, sizeof out, list), 0);
    assert_non_null(strstr(out, "\"version\":1"));
    assert_non_null(strstr(out, "\"PLEDGES_MISSED\""));

    /* A malformed file: INVALID naming the line; nothing changed. */
    char bad[160];
    snprintf(bad, sizeof bad, "%s/bad.ind", w->tmp);
    FILE *f = fopen(bad, "w");
    assert_non_null(f);
    fputs("# a comment\n"
          "key=A group=basic weight=50 source=sum:progress.quantity "
          "rule=linear target=10\n"
          "key=B group=basic weight=50 source=nonsense rule=linear "
          "target=10\n",
          f);
    fclose(f);
    sync_all();
    snap_t before = snap();
    const char *load_bad[] = {"indicator", "load", bad, NULL};
    assert_int_equal(cluster_ctl(&w->c, out, sizeof out, load_bad), 2);
    snap_t after = snap();
    assert_int_equal(after.head, before.head);
    assert_int_equal(after.db, before.db);

    Cogov__V1__LoadIndicators li = COGOV__V1__LOAD_INDICATORS__INIT;
    li.name = "bad.ind";
    li.text = "# a comment\n"
              "key=A group=basic weight=50 source=sum:progress.quantity "
              "rule=linear target=10\n"
              "key=B group=basic weight=50 source=nonsense rule=linear "
              "target=10\n";
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = BODY(LOAD_INDICATORS);
    req.load_indicators = &li;
    refused_on(w->sv, &req, INVALID, "bad.ind:3", "malformed indicators");

    Cogov__V1__ListIndicators ls = COGOV__V1__LIST_INDICATORS__INIT;
    cogov__v1__request__init(&req);
    req.body_case = BODY(LIST_INDICATORS);
    req.list_indicators = &ls;
    Cogov__V1__Reply *rep = h_want(w->ob, &req, OK, "list_indicators");
    assert_int_equal(rep->indicator_set->version, 1);
    assert_int_equal(rep->indicator_set->n_indicators, 12);
    cogov__v1__reply__free_unpacked(rep, NULL);
}

/* ---- evidence and warnings ------------------------------------------------
 */

static void
test_facts_and_warnings(void **state)
{
    world_t *w = *state;
    Cogov__V1__MilestoneSpec m1 = COGOV__V1__MILESTONE_SPEC__INIT,
                             m2 = COGOV__V1__MILESTONE_SPEC__INIT;
    Cogov__V1__MilestoneSpec *ms[] = {&m1, &m2};
    m1.milestone_id = "enrol";
    m1.title = "完成招生";
    m1.due_on = "2025-02-28";
    m2.milestone_id = "intern";
    m2.title = "完成岗位实习安排";
    m2.due_on = "2025-03-31";
    char *parts[] = {w->b};
    Cogov__V1__CreateTask ct = COGOV__V1__CREATE_TASK__INIT;
    ct.task_id = "t-oc";
    ct.title = "智能制造订单班";
    ct.has_kind = true;
    ct.kind = COGOV__V1__TASK_KIND__TASK_KIND_ORDER_CLASS;
    ct.lead_member_id = w->a;
    ct.n_participant_ids = 1;
    ct.participant_ids = parts;
    ct.has_planned_quantity = true;
    ct.planned_quantity = 80;
    ct.quantity_unit = "人";
    ct.n_milestones = 2;
    ct.milestones = ms;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = BODY(CREATE_TASK);
    req.create_task = &ct;
    h_want_free(w->op, &req, OK, "create_task");
    change_task("t-oc", TA(APPROVE));
    change_task("t-oc", TA(START));

    Cogov__V1__Delivered d = COGOV__V1__DELIVERED__INIT;
    d.has_students_enrolled = true;
    d.students_enrolled = 50;
    Cogov__V1__ReportProgress rp = COGOV__V1__REPORT_PROGRESS__INIT;
    rp.task_id = "t-oc";
    rp.report_id = "r-a";
    rp.member_id = w->a;
    rp.delivered = &d;
    cogov__v1__request__init(&req);
    req.body_case = BODY(REPORT_PROGRESS);
    req.report_progress = &rp;
    h_want_free(w->op, &req, OK, "report a");
    Cogov__V1__Delivered d2 = COGOV__V1__DELIVERED__INIT;
    d2.has_interns_hosted = true;
    d2.interns_hosted = 24;
    rp.report_id = "r-b";
    rp.member_id = w->b;
    rp.delivered = &d2;
    h_want_free(w->op, &req, OK, "report b");

    /* The first milestone on time. */
    Cogov__V1__CompleteMilestone cm = COGOV__V1__COMPLETE_MILESTONE__INIT;
    cm.task_id = "t-oc";
    cm.milestone_id = "enrol";
    cogov__v1__request__init(&req);
    req.body_case = BODY(COMPLETE_MILESTONE);
    req.complete_milestone = &cm;
    h_want_free(w->op, &req, OK, "complete_milestone");
    sync_all();

    int n;
    assert_int_equal(fact_sum(w->a, "progress.students_enrolled", &n), 50);
    assert_int_equal(n, 1);
    assert_int_equal(fact_sum(w->b, "progress.interns_hosted", &n), 24);
    assert_int_equal(n, 1);
    assert_int_equal(fact_sum(w->a, "milestone.on_time", &n), 1);
    assert_int_equal(n, 1);

    /* The second milestone passes undone: one warning across two ticks. */
    assert_int_equal(supv_events("warning_raised"), 0);
    advance_to("2025-04-01 09:00");
    long long after1 = supv_events("warning_raised");
    Cogov__V1__Reply *rep = warnings(w->a, WK(MILESTONE_OVERDUE));
    assert_int_equal(rep->warning_list->n_warnings, 1);
    assert_string_equal(rep->warning_list->warnings[0]->warning_id,
                        "milestone_overdue:t-oc/intern");
    assert_false(str_empty(rep->warning_list->warnings[0]->cause_event_id));
    cogov__v1__reply__free_unpacked(rep, NULL);
    assert_true(after1 >= 1);
    advance_to("2025-04-02 09:00");
    assert_int_equal(supv_events("warning_raised"), after1);
    rep = warnings(w->a, WK(MILESTONE_OVERDUE));
    assert_int_equal(rep->warning_list->n_warnings, 1);
    cogov__v1__reply__free_unpacked(rep, NULL);
    assert_int_equal(fact_sum(w->a, "milestone.overdue", &n), 1);
    assert_int_equal(n, 1);

    /* cogovctl shows the same. */
    char out[16384];
    const char *wl[] = {"warning", "list", "--member", w->a, NULL};
    assert_int_equal(h_ctl(&W->c, out, sizeof out, wl), 0);
    assert_non_null(strstr(out, "milestone_overdue:t-oc/intern"));
    const char *fl[] = {"--json", "facts", "--member", w->a, NULL};
    assert_int_equal(h_ctl(&W->c, out, sizeof out, fl), 0);
    assert_int_equal(out[0], '[');
    assert_non_null(strstr(out, "\"progress.students_enrolled\""));

    /* A pledge missed: trust evidence and a warning, once. */
    Cogov__V1__MakePledge mp = COGOV__V1__MAKE_PLEDGE__INIT;
    mp.pledge_id = "p-b";
    mp.task_id = "t-oc";
    mp.member_id = w->b;
    mp.has_kind = mp.has_amount_fen = true;
    mp.kind = COGOV__V1__PLEDGE_KIND__PLEDGE_KIND_FUNDS;
    mp.amount_fen = 2000000;
    mp.description = "实训设备购置资金";
    mp.due_on = "2025-05-31";
    cogov__v1__request__init(&req);
    req.body_case = BODY(MAKE_PLEDGE);
    req.make_pledge = &mp;
    h_want_free(w->op, &req, OK, "make_pledge");
    long long before = supv_events("warning_raised");
    advance_to("2025-06-01 09:00");
    advance_to("2025-06-02 09:00");
    rep = warnings(w->b, WK(PLEDGE_MISSED));
    assert_int_equal(rep->warning_list->n_warnings, 1);
    assert_string_equal(rep->warning_list->warnings[0]->warning_id,
                        "pledge_missed:p-b");
    cogov__v1__reply__free_unpacked(rep, NULL);
    assert_int_equal(fact_sum(w->b, "pledge.missed", &n), 1);
    assert_int_equal(fact_sum(w->b, "pledge.made", &n), 1);
    rep = warnings(NULL, 0);
    long long all = (long long)rep->warning_list->n_warnings;
    cogov__v1__reply__free_unpacked(rep, NULL);
    /* Every warning in the list was raised exactly once on the stream. */
    assert_int_equal(supv_events("warning_raised"), all);
    assert_true(all > before);
}

/* ---- rounds ----------------------------------------------------------------
 */

static void
test_rounds(void **state)
{
    world_t *w = *state;
    /* Reproducible: two drafts on the same facts, identical numbers. */
    Cogov__V1__Reply *r1 = draft("2025");
    Cogov__V1__Reply *r2 = draft("2025");
    const Cogov__V1__Round *x = r1->round, *y = r2->round;
    assert_string_equal(x->round_id, "round-2025");
    assert_int_equal(x->n_results, 2);
    assert_int_equal(y->n_results, x->n_results);
    assert_int_equal(y->consortium_total, x->consortium_total);
    for (size_t i = 0; i < x->n_results; i++) {
        const Cogov__V1__MemberResult *p = x->results[i], *q = y->results[i];
        assert_string_equal(p->member_id, q->member_id);
        uint8_t *bp = xmalloc(protobuf_c_message_get_packed_size(&p->base));
        uint8_t *bq = xmalloc(protobuf_c_message_get_packed_size(&q->base));
        size_t np = protobuf_c_message_pack(&p->base, bp);
        size_t nq = protobuf_c_message_pack(&q->base, bq);
        assert_int_equal(np, nq);
        assert_memory_equal(bp, bq, np);
        free(bp);
        free(bq);
    }
    /* The college: 50 order-class students of a target of 80 for its type,
     * linear: 15 points * 50 / 80 = 9.37. */
    const Cogov__V1__IndicatorScore *sc =
        score_of(result_of(x, w->a), "ORDER_CLASS_STUDENTS");
    assert_non_null(sc);
    assert_int_equal(sc->observed, 50);
    assert_int_equal(sc->target, 80);
    assert_int_equal(sc->score, 937);
    sc = score_of(result_of(x, w->b), "INTERNS_HOSTED");
    assert_non_null(sc);
    assert_int_equal(sc->observed, 24);
    assert_int_equal(sc->target, 60);
    assert_int_equal(sc->score, 600);
    char total_a[32];
    int64_t ta = result_of(x, w->a)->total;
    snprintf(total_a, sizeof total_a, "%lld.%02lld", (long long)(ta / 100),
             (long long)(ta % 100));
    cogov__v1__reply__free_unpacked(r1, NULL);
    cogov__v1__reply__free_unpacked(r2, NULL);

    /* Publish only after review. */
    Cogov__V1__PublishRound pr = COGOV__V1__PUBLISH_ROUND__INIT;
    pr.round_id = "round-2025";
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = BODY(PUBLISH_ROUND);
    req.publish_round = &pr;
    refused_on(w->sv, &req, CONFLICT, "reviewed", "publish a draft");

    char out[32768];
    const char *rv[] = {"evaluation", "review", "round-2025",
                        "--note",     "已核对", NULL};
    assert_int_equal(h_ctl(&W->c, out, sizeof out, rv), 0);
    assert_non_null(strstr(out, "REVIEWED"));
    assert_int_equal(supv_events("evaluation_published"), 0);
    const char *pb[] = {"evaluation", "publish", "round-2025", NULL};
    assert_int_equal(h_ctl(&W->c, out, sizeof out, pb), 0);
    assert_non_null(strstr(out, "PUBLISHED"));
    assert_int_equal(supv_events("evaluation_published"), 1);

    /* Frozen: another draft, review or publish is refused. */
    Cogov__V1__DraftRound dr = COGOV__V1__DRAFT_ROUND__INIT;
    dr.period = "2025";
    cogov__v1__request__init(&req);
    req.body_case = BODY(DRAFT_ROUND);
    req.draft_round = &dr;
    refused_on(w->sv, &req, CONFLICT, "frozen", "draft a published round");
    cogov__v1__request__init(&req);
    req.body_case = BODY(PUBLISH_ROUND);
    req.publish_round = &pr;
    refused_on(w->sv, &req, CONFLICT, NULL, "publish twice");
    const char *dr2[] = {"evaluation", "draft", "2025", NULL};
    assert_int_equal(cluster_ctl(&w->c, out, sizeof out, dr2), 5);
    assert_int_equal(supv_events("evaluation_published"), 1);

    /* The published round reads back with the same numbers, as 87.50. */
    const char *sh[] = {"evaluation", "show", "round-2025",
                        "--member",   w->a,   NULL};
    assert_int_equal(h_ctl(&W->c, out, sizeof out, sh), 0);
    assert_non_null(strstr(out, total_a));
    assert_non_null(strstr(out, "9.37"));
    assert_null(strstr(out, w->b));
    const char *ls[] = {"--json", "evaluation", "list", NULL};
    assert_int_equal(h_ctl(&W->c, out, sizeof out, ls), 0);
    assert_non_null(strstr(out, "\"round-2025\""));
    assert_non_null(strstr(out, "\"PUBLISHED\""));
}

/* ---- rectification ---------------------------------------------------------
 */

static Cogov__V1__Reply *
get_rect(const char *id)
{
    Cogov__V1__GetRectification gr = COGOV__V1__GET_RECTIFICATION__INIT;
    gr.rectification_id = (char *)id;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = BODY(GET_RECTIFICATION);
    req.get_rectification = &gr;
    Cogov__V1__Reply *rep = h_want(W->ob, &req, OK, "get_rectification");
    return rep;
}

static void
test_rectification(void **state)
{
    world_t *w = *state;
    char out[16384];
    const char *issue[] = {"rectification",
                           "issue",
                           "--id",
                           "rect-1",
                           "--member",
                           w->b,
                           "--findings",
                           "资源承诺未按期兑现",
                           "--evidence",
                           "资金到账凭证",
                           "--due",
                           "2025-07-15",
                           "--warning",
                           "pledge_missed:p-b",
                           NULL};
    assert_int_equal(h_ctl(&W->c, out, sizeof out, issue), 0);
    assert_non_null(strstr(out, "ISSUED"));
    const char *issue2[] = {
        "rectification", "issue",    "--id",  "rect-2",     "--member", w->a,
        "--findings",    "节点逾期", "--due", "2025-07-15", NULL};
    assert_int_equal(h_ctl(&W->c, out, sizeof out, issue2), 0);
    assert_int_equal(supv_events("rectification_ordered"), 2);

    const char *rp[] = {"rectification", "report",         "rect-1",
                        "--text",        "已补足部分资金", NULL};
    assert_int_equal(h_ctl(&W->c, out, sizeof out, rp), 0);
    assert_non_null(strstr(out, "REPORTED"));
    const char *rt[] = {"rectification", "return",   "rect-1",
                        "--note",        "证据不足", NULL};
    assert_int_equal(h_ctl(&W->c, out, sizeof out, rt), 0);
    assert_non_null(strstr(out, "RETURNED"));
    /* The other one reported and accepted: closed, never overdue. */
    const char *rp2[] = {"rectification", "report", "rect-2",
                         "--text",        "已完成", NULL};
    assert_int_equal(h_ctl(&W->c, out, sizeof out, rp2), 0);
    const char *ac2[] = {"rectification", "accept", "rect-2", NULL};
    assert_int_equal(h_ctl(&W->c, out, sizeof out, ac2), 0);
    assert_int_equal(supv_events("rectification_reported"), 2);
    assert_int_equal(supv_events("rectification_returned"), 1);
    assert_int_equal(supv_events("rectification_closed"), 1);

    /* Past the deadline: overdue once, across two ticks; coordination opens
     * one case. */
    assert_int_equal(supv_events("rectification_overdue"), 0);
    advance_to("2025-07-16 09:00");
    assert_int_equal(supv_events("rectification_overdue"), 1);
    advance_to("2025-07-17 09:00");
    assert_int_equal(supv_events("rectification_overdue"), 1);
    Cogov__V1__Reply *rep = get_rect("rect-1");
    assert_true(rep->rectification->overdue);
    assert_int_equal(rep->rectification->status, RS(RETURNED));
    cogov__v1__reply__free_unpacked(rep, NULL);
    rep = get_rect("rect-2");
    assert_false(rep->rectification->overdue);
    assert_int_equal(rep->rectification->status, RS(ACCEPTED));
    cogov__v1__reply__free_unpacked(rep, NULL);
    int n;
    assert_int_equal(fact_sum(w->b, "rectification.overdue", &n), 1);

    Cogov__V1__ListEscalations le = COGOV__V1__LIST_ESCALATIONS__INIT;
    le.member_id = w->b;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = BODY(LIST_ESCALATIONS);
    req.list_escalations = &le;
    rep = h_want(w->op, &req, OK, "list_escalations");
    size_t cases = 0;
    for (size_t i = 0; i < rep->escalation_list->n_escalations; i++) {
        const Cogov__V1__Escalation *e = rep->escalation_list->escalations[i];
        if (e->source ==
            COGOV__V1__ESCALATION_SOURCE__ESCALATION_SOURCE_RECTIFICATION) {
            cases++;
            assert_int_equal(
                e->status,
                COGOV__V1__ESCALATION_STATUS__ESCALATION_STATUS_OPEN);
            assert_non_null(strstr(e->subject, "资源承诺未按期兑现"));
        }
    }
    cogov__v1__reply__free_unpacked(rep, NULL);
    assert_int_equal(cases, 1);

    const char *rl[] = {"--json",   "rectification", "list",
                        "--status", "returned",      NULL};
    assert_int_equal(h_ctl(&W->c, out, sizeof out, rl), 0);
    assert_non_null(strstr(out, "\"rect-1\""));
    assert_null(strstr(out, "\"rect-2\""));
    const char *he[] = {"health", "--explain", NULL};
    assert_int_equal(h_ctl(&W->c, out, sizeof out, he), 0);
    assert_non_null(strstr(out, "trust"));
    assert_non_null(strstr(out, "Definitions:"));
}

/* ---- bad input ----------------------------------------------------------- */

static void
test_bad_input(void **state)
{
    world_t *w = *state;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;

    Cogov__V1__GetRound gr = COGOV__V1__GET_ROUND__INIT;
    gr.round_id = "round-1999";
    req.body_case = BODY(GET_ROUND);
    req.get_round = &gr;
    refused_on(w->ob, &req, NOT_FOUND, "round-1999", "unknown round");

    Cogov__V1__ReviewRound rv = COGOV__V1__REVIEW_ROUND__INIT;
    rv.round_id = "round-1999";
    cogov__v1__request__init(&req);
    req.body_case = BODY(REVIEW_ROUND);
    req.review_round = &rv;
    refused_on(w->sv, &req, NOT_FOUND, NULL, "review an unknown round");

    Cogov__V1__DecideRectification de = COGOV__V1__DECIDE_RECTIFICATION__INIT;
    de.rectification_id = "rect-nope";
    de.has_accept = de.accept = true;
    cogov__v1__request__init(&req);
    req.body_case = BODY(DECIDE_RECTIFICATION);
    req.decide_rectification = &de;
    refused_on(w->sv, &req, NOT_FOUND, "rect-nope", "unknown rectification");

    char nobody[19];
    uscc_make(999, nobody);
    Cogov__V1__IssueRectification ir = COGOV__V1__ISSUE_RECTIFICATION__INIT;
    ir.member_id = nobody;
    ir.findings = "x";
    ir.due_on = "2025-12-31";
    cogov__v1__request__init(&req);
    req.body_case = BODY(ISSUE_RECTIFICATION);
    req.issue_rectification = &ir;
    refused_on(w->sv, &req, NOT_FOUND, NULL, "unknown member");
    ir.member_id = w->a;
    ir.warning_id = "pledge_missed:nope";
    refused_on(w->sv, &req, NOT_FOUND, "pledge_missed:nope", "unknown warning");
    ir.warning_id = NULL;
    ir.due_on = "2025-02-30";
    refused_on(w->sv, &req, INVALID, "due_on", "bad date");
    ir.due_on = "2025-01-31";
    refused_on(w->sv, &req, INVALID, "past", "past date");

    /* An observer reads but commands nothing. */
    ir.due_on = "2025-12-31";
    refused_on(w->ob, &req, DENIED, NULL, "observer issues");
    Cogov__V1__DraftRound dr = COGOV__V1__DRAFT_ROUND__INIT;
    dr.period = "2025Q3";
    cogov__v1__request__init(&req);
    req.body_case = BODY(DRAFT_ROUND);
    req.draft_round = &dr;
    refused_on(w->ob, &req, DENIED, NULL, "observer drafts");
    dr.period = "2025Q9";
    refused_on(w->sv, &req, INVALID, "period", "bad period");
    Cogov__V1__LoadIndicators li = COGOV__V1__LOAD_INDICATORS__INIT;
    li.name = "x";
    li.text = "key=A group=basic weight=100 source=count:x rule=linear "
              "target=1\n";
    cogov__v1__request__init(&req);
    req.body_case = BODY(LOAD_INDICATORS);
    req.load_indicators = &li;
    refused_on(w->ob, &req, DENIED, NULL, "observer loads indicators");

    /* The operator (GOV_COORDINATOR, OPERATOR) reads but is no supervisor. */
    client_t *op_sv = cluster_client(&w->c, H_SUPV);
    assert_non_null(op_sv);
    cogov__v1__request__init(&req);
    req.body_case = BODY(DRAFT_ROUND);
    req.draft_round = &dr;
    dr.period = "2025Q3";
    refused_on(op_sv, &req, DENIED, NULL, "operator drafts");
    client_destroy(&op_sv);

    /* cogovctl: unknown ids exit 3. */
    char out[4096];
    const char *show[] = {"rectification", "show", "rect-nope", NULL};
    assert_int_equal(cluster_ctl(&w->c, out, sizeof out, show), 3);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_indicators),
        cmocka_unit_test(test_facts_and_warnings),
        cmocka_unit_test(test_rounds),
        cmocka_unit_test(test_rectification),
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

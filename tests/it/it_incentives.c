/* it_incentives: issue 6 through the real daemons — coordination feeds
 * cogov-incentives: a pool and a policy, units admitted, a task with
 * progress reports -> awards proposed exactly once; review, approval and
 * disbursement by three principals; a correction producing an adjustment
 * and a clawback; a suspended unit's awards held and released on
 * reinstatement; a pool running out -> queued in order, pool_exhausted
 * once, funded by a top-up; a restart changes nothing.
 *
 * The tests share one world and run in order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include <sys/wait.h>

#include "harness_req.h"
#include "util.h"

#define OK COGOV__V1__STATUS_CODE__STATUS_OK
#define CONFLICT COGOV__V1__STATUS_CODE__STATUS_CONFLICT
#define DENIED COGOV__V1__STATUS_CODE__STATUS_PERMISSION_DENIED
#define INVALID COGOV__V1__STATUS_CODE__STATUS_INVALID
#define TS(x) COGOV__V1__TASK_STATUS__TASK_STATUS_##x
#define TA(x) COGOV__V1__TASK_ACTION__TASK_ACTION_##x
#define AS(x) COGOV__V1__AWARD_STATUS__AWARD_STATUS_##x
#define AK(x) COGOV__V1__AWARD_KIND__AWARD_KIND_##x
#define BODY(x) COGOV__V1__REQUEST__BODY_##x
#define WAIT_MS 10000

typedef struct world {
    cluster_t c;
    keypair_t fin, sec, bureau;
    client_t *op, *inc, *cl_fin, *cl_sec, *cl_bureau;
    char a[19]; /* enterprise, leads the task */
    char b[19]; /* leading enterprise, takes part */
} world_t;

static world_t *W;

static const char *policy_text =
    "# test policy\n"
    "policy id=oc-2025 version=1 effective=2025-01-01 pool=muni-2025\n"
    "eligible types=enterprise,leading_enterprise\n"
    "rate id=students measure=students fen=1000 kinds=order_class\n"
    "lump id=done kinds=order_class fen=50000\n";

/* An integer from incentives' store. */
#define iq(...) h_qint(W->c.store[H_INCE], __VA_ARGS__)

static long long
events(const char *type)
{
    return iq("SELECT count(*) FROM outbox WHERE type = '%s'", type);
}

static void
sync_all(void)
{
    h_sync(&W->c, 20000);
}

static void
decide(const char *id, Cogov__V1__MemberDecision d)
{
    assert_int_equal(h_decide(W->op, id, d), OK);
}

static void
apply(const char *id, const char *name, Cogov__V1__MemberType type)
{
    assert_int_equal(h_apply(W->op, id, name, type), OK);
}

static void
task_action(const char *id, Cogov__V1__TaskAction a)
{
    assert_int_equal(h_change_task(W->op, id, a), OK);
}

static void
report(const char *id, const char *member, int64_t students,
       const char *corrects)
{
    Cogov__V1__Delivered d = COGOV__V1__DELIVERED__INIT;
    Cogov__V1__ReportProgress rp = COGOV__V1__REPORT_PROGRESS__INIT;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    d.has_students_enrolled = true;
    d.students_enrolled = students;
    rp.task_id = "t-oc";
    rp.report_id = (char *)id;
    rp.member_id = (char *)member;
    rp.delivered = &d;
    rp.corrects_report_id = (char *)corrects;
    req.body_case = BODY(REPORT_PROGRESS);
    req.report_progress = &rp;
    h_want_free(W->op, &req, OK, "report_progress");
}

/* The award of rule `rule` computed from the progress report event whose
 * report is `report_id`, as an award id (caller frees). */
static Cogov__V1__Award *
get_award(const char *id)
{
    Cogov__V1__GetAward ga = COGOV__V1__GET_AWARD__INIT;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    Cogov__V1__Reply *rep;
    Cogov__V1__Award *a;
    ga.award_id = (char *)id;
    req.body_case = BODY(GET_AWARD);
    req.get_award = &ga;
    rep = h_want(W->inc, &req, OK, "get_award");
    a = rep->award;
    rep->award = NULL;
    rep->body_case = COGOV__V1__REPLY__BODY__NOT_SET;
    cogov__v1__reply__free_unpacked(rep, NULL);
    return a;
}

static int
award_status(const char *id)
{
    Cogov__V1__Award *a = get_award(id);
    int st = a->status;
    cogov__v1__award__free_unpacked(a, NULL);
    return st;
}

/* Id of the award whose report_id column (root of the chain) and kind
 * match, newest first. */
static char *
award_id_where(const char *where)
{
    static char id[200];
    sqlite3 *db = NULL;
    sqlite3_stmt *q = NULL;
    char sql[512];
    id[0] = 0;
    snprintf(sql, sizeof sql,
             "SELECT award_id FROM awards WHERE %s ORDER BY rowid DESC LIMIT 1",
             where);
    assert_int_equal(
        sqlite3_open_v2(W->c.store[H_INCE], &db, SQLITE_OPEN_READONLY, NULL),
        SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK);
    if (sqlite3_step(q) == SQLITE_ROW)
        snprintf(id, sizeof id, "%s", sqlite3_column_text(q, 0));
    sqlite3_finalize(q);
    sqlite3_close(db);
    if (id[0] == 0)
        printf("# no award where %s\n", where);
    assert_true(id[0] != 0);
    return id;
}

static void
award_cmd(client_t *cl, Cogov__V1__Request__BodyCase body, const char *id,
          int want, int want_status)
{
    Cogov__V1__ReviewAward rv = COGOV__V1__REVIEW_AWARD__INIT;
    Cogov__V1__ApproveAward ap = COGOV__V1__APPROVE_AWARD__INIT;
    Cogov__V1__ConfirmDisbursement cd = COGOV__V1__CONFIRM_DISBURSEMENT__INIT;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    Cogov__V1__Reply *rep;
    req.body_case = body;
    rv.award_id = ap.award_id = cd.award_id = (char *)id;
    cd.payment_ref = "PAY-2025-0001";
    req.review_award = &rv;
    if (body == BODY(APPROVE_AWARD))
        req.approve_award = &ap;
    if (body == BODY(CONFIRM_DISBURSEMENT))
        req.confirm_disbursement = &cd;
    rep = h_want(cl, &req, want, "award command");
    if (want == OK)
        assert_int_equal(rep->award->status, want_status);
    cogov__v1__reply__free_unpacked(rep, NULL);
}

static void
approve_fully(const char *id, int want_status)
{
    award_cmd(W->cl_sec, BODY(REVIEW_AWARD), id, OK, AS(PROPOSED));
    award_cmd(W->cl_fin, BODY(APPROVE_AWARD), id, OK, want_status);
}

static void
invariant(void)
{
    assert_int_equal(iq("SELECT count(*) FROM pools WHERE approved + "
                        "disbursed > budget OR approved + disbursed < 0 OR "
                        "disbursed < 0 OR disbursed > budget"),
                     0);
    /* the pool's sums are its entries' by status (signed) */
    assert_int_equal(iq("SELECT approved FROM pools"),
                     iq("SELECT coalesce(sum(amount),0) FROM awards "
                        "WHERE status = 2"));
    assert_int_equal(iq("SELECT disbursed FROM pools"),
                     iq("SELECT coalesce(sum(amount),0) FROM awards "
                        "WHERE status = 3"));
}

static int
setup(void **state)
{
    world_t *w = xcalloc(1, sizeof *w);
    cluster_t *c = &w->c;
    W = w;
    *state = w;
    printf("# seed %u\n", test_seed());
    assert_int_equal(cluster_init(c, "ince"), 0);
    uscc_make(801, w->a);
    uscc_make(802, w->b);
    assert_int_equal(
        cluster_add_principal(c, "fin", "-", "FINANCE_OFFICER", "-", &w->fin),
        0);
    assert_int_equal(
        cluster_add_principal(c, "sec", "-", "SECRETARIAT", "-", &w->sec), 0);
    assert_int_equal(cluster_add_principal(c, "bureau", "-", "BUREAU_SYSTEM",
                                           "-", &w->bureau),
                     0);
    assert_int_equal(cluster_start(c, H_COORD), 0);
    assert_int_equal(cluster_start(c, H_INCE), 0);
    w->op = cluster_client(c, H_COORD);
    w->inc = cluster_client(c, H_INCE);
    w->cl_fin = cluster_client_as(c, H_INCE, &w->fin);
    w->cl_sec = cluster_client_as(c, H_INCE, &w->sec);
    w->cl_bureau = cluster_client_as(c, H_INCE, &w->bureau);
    assert_non_null(w->cl_bureau);
    h_watch(c);

    assert_int_equal(h_found(w->op, "滨江高新区", "2025-01-01"), OK);
    apply(w->a, "滨江精工有限公司",
          COGOV__V1__MEMBER_TYPE__MEMBER_TYPE_ENTERPRISE);
    apply(w->b, "滨江机械集团",
          COGOV__V1__MEMBER_TYPE__MEMBER_TYPE_LEADING_ENTERPRISE);
    decide(w->a, COGOV__V1__MEMBER_DECISION__MEMBER_DECISION_ADMIT);
    decide(w->b, COGOV__V1__MEMBER_DECISION__MEMBER_DECISION_ADMIT);
    return 0;
}

static int
teardown(void **state)
{
    world_t *w = *state;
    if (w == NULL)
        return 0;
    client_destroy(&w->op);
    client_destroy(&w->inc);
    client_destroy(&w->cl_fin);
    client_destroy(&w->cl_sec);
    client_destroy(&w->cl_bureau);
    h_stop_all(&w->c);
    cluster_destroy(&w->c);
    free(w);
    return 0;
}

static void
test_pool_and_policy(void **state)
{
    world_t *w = *state;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    Cogov__V1__CreatePool cp = COGOV__V1__CREATE_POOL__INIT;
    cp.pool_id = "muni-2025";
    cp.name = "市财政产教融合奖补资金";
    cp.has_source = true;
    cp.source = COGOV__V1__POOL_SOURCE__POOL_SOURCE_MUNICIPAL_FINANCE;
    cp.has_fiscal_year = true;
    cp.fiscal_year = 2025;
    cp.has_budget_fen = true;
    cp.budget_fen = 100000;
    req.body_case = BODY(CREATE_POOL);
    req.create_pool = &cp;
    h_want_free(w->cl_sec, &req, DENIED, "create_pool as secretariat");
    h_want_free(w->inc, &req, OK, "create_pool");
    h_want_free(w->inc, &req, CONFLICT, "create_pool twice");

    Cogov__V1__LoadPolicy lp = COGOV__V1__LOAD_POLICY__INIT;
    Cogov__V1__Request r2 = COGOV__V1__REQUEST__INIT;
    r2.body_case = BODY(LOAD_POLICY);
    r2.load_policy = &lp;
    lp.source_name = "bad.pol";
    lp.text = "policy id=x version=1 effective=2025-01-01 pool=muni-2025\n"
              "rate id=r measure=students fen=12.5\n";
    Cogov__V1__Reply *rep = h_want(w->inc, &r2, INVALID, "bad policy");
    assert_non_null(strstr(rep->error, "bad.pol:2:"));
    cogov__v1__reply__free_unpacked(rep, NULL);
    lp.source_name = "oc.pol";
    lp.text = (char *)policy_text;
    rep = h_want(w->cl_fin, &r2, OK, "load policy");
    assert_int_equal(rep->policy->rules, 2);
    cogov__v1__reply__free_unpacked(rep, NULL);
    assert_int_equal(events("pool_created"), 1);
}

static void
test_awards_from_progress(void **state)
{
    world_t *w = *state;
    char *parts[] = {w->b};
    Cogov__V1__CreateTask ct = COGOV__V1__CREATE_TASK__INIT;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    ct.task_id = "t-oc";
    ct.title = "智能制造订单班";
    ct.has_kind = true;
    ct.kind = COGOV__V1__TASK_KIND__TASK_KIND_ORDER_CLASS;
    ct.lead_member_id = w->a;
    ct.n_participant_ids = 1;
    ct.participant_ids = parts;
    ct.has_planned_quantity = true;
    ct.planned_quantity = 60;
    ct.quantity_unit = "人";
    req.body_case = BODY(CREATE_TASK);
    req.create_task = &ct;
    h_want_free(w->op, &req, OK, "create_task");
    task_action("t-oc", TA(APPROVE));
    task_action("t-oc", TA(START));
    report("r-1", w->a, 20, NULL);
    report("r-2", w->b, 10, NULL);
    sync_all();
    assert_int_equal(events("award_proposed"), 2);
    assert_int_equal(iq("SELECT count(*) FROM awards"), 2);
    Cogov__V1__Award *a = get_award(award_id_where("report_id = 'r-1'"));
    assert_int_equal(a->amount_fen, 20000);
    assert_int_equal(a->status, AS(PROPOSED));
    assert_int_equal(a->quantity, 20);
    assert_string_equal(a->member_id, w->a);
    assert_non_null(strstr(a->explanation, "policy oc-2025 version 1"));
    assert_non_null(strstr(a->explanation, "rule students"));
    assert_non_null(strstr(a->award_id, "oc-2025:students@coordination:"));
    cogov__v1__award__free_unpacked(a, NULL);

    /* b's award: approval needs the review first; roles are enforced */
    char id_b[200];
    snprintf(id_b, sizeof id_b, "%s", award_id_where("report_id = 'r-2'"));
    award_cmd(w->cl_fin, BODY(APPROVE_AWARD), id_b, CONFLICT, 0);
    award_cmd(w->cl_fin, BODY(REVIEW_AWARD), id_b, DENIED, 0);
    award_cmd(w->cl_sec, BODY(REVIEW_AWARD), id_b, OK, AS(PROPOSED));
    award_cmd(w->cl_sec, BODY(APPROVE_AWARD), id_b, DENIED, 0);
    award_cmd(w->cl_fin, BODY(APPROVE_AWARD), id_b, OK, AS(APPROVED));
    award_cmd(w->cl_fin, BODY(CONFIRM_DISBURSEMENT), id_b, DENIED, 0);
    award_cmd(w->cl_bureau, BODY(CONFIRM_DISBURSEMENT), id_b, OK,
              AS(DISBURSED));
    award_cmd(w->cl_bureau, BODY(CONFIRM_DISBURSEMENT), id_b, CONFLICT, 0);
    assert_int_equal(iq("SELECT disbursed FROM pools"), 10000);
    invariant();
}

static void
test_corrections(void **state)
{
    world_t *w = *state;
    /* b's disbursed 10000 becomes 4000: a clawback of -6000 */
    report("r-2c", w->b, 4, "r-2");
    /* a's proposed 20000 becomes 25000: an adjustment of +5000 */
    report("r-1c", w->a, 25, "r-1");
    sync_all();
    Cogov__V1__Award *cb =
        get_award(award_id_where("report_id = 'r-2' AND amount < 0"));
    assert_int_equal(cb->kind, AK(CLAWBACK));
    assert_int_equal(cb->amount_fen, -6000);
    assert_non_null(cb->corrects_award_id);
    assert_true(strlen(cb->corrects_award_id) > 0);
    cogov__v1__award__free_unpacked(cb, NULL);
    assert_int_equal(events("award_clawback"), 1);
    Cogov__V1__Award *adj = get_award(
        award_id_where("report_id = 'r-1' AND award_id <> (SELECT min(award_id)"
                       " FROM awards WHERE report_id = 'r-1')"));
    /* whichever is the newer entry of a's chain is the adjustment */
    if (adj->kind == AK(ENTITLEMENT)) {
        cogov__v1__award__free_unpacked(adj, NULL);
        adj = get_award(award_id_where("report_id = 'r-1' AND amount = 5000"));
    }
    assert_int_equal(adj->kind, AK(ADJUSTMENT));
    assert_int_equal(adj->amount_fen, 5000);
    cogov__v1__award__free_unpacked(adj, NULL);
    /* the original disbursed award is untouched */
    assert_int_equal(iq("SELECT count(*) FROM awards WHERE status = 3 AND "
                        "amount = 10000"),
                     1);
    invariant();
}

static void
test_suspension_holds(void **state)
{
    world_t *w = *state;
    decide(w->a, COGOV__V1__MEMBER_DECISION__MEMBER_DECISION_SUSPEND);
    report("r-3", w->a, 5, NULL);
    sync_all();
    char id3[200];
    snprintf(id3, sizeof id3, "%s", award_id_where("report_id = 'r-3'"));
    assert_int_equal(award_status(id3), AS(HELD));
    /* all of a's pending awards are held: 20000, 5000, 5000 */
    assert_int_equal(iq("SELECT count(*) FROM awards WHERE member_id = '%s' "
                        "AND status = 5",
                        w->a),
                     3);
    award_cmd(w->cl_sec, BODY(REVIEW_AWARD), id3, CONFLICT, 0);
    decide(w->a, COGOV__V1__MEMBER_DECISION__MEMBER_DECISION_REINSTATE);
    sync_all();
    assert_int_equal(iq("SELECT count(*) FROM awards WHERE member_id = '%s' "
                        "AND status = 1",
                        w->a),
                     3);
    assert_int_equal(events("award_released"), 3);
    assert_int_equal(events("award_held"), 3);
}

static void
test_pool_runs_out(void **state)
{
    world_t *w = *state;
    /* approve a's 20000 + 5000 + 5000: available 100000-10000-30000 = 60000
     * (the clawback is not approved) */
    const char *wh[] = {"report_id = 'r-1' AND amount = 20000",
                        "report_id = 'r-1' AND amount = 5000",
                        "report_id = 'r-3'"};
    for (int i = 0; i < 3; i++) {
        char id[200];
        snprintf(id, sizeof id, "%s", award_id_where(wh[i]));
        approve_fully(id, AS(APPROVED));
    }
    assert_int_equal(iq("SELECT approved FROM pools"), 30000);
    /* b reports 15 and 1 more students; then the task completes: a's
     * lump sum of 50000 fits (available 60000), b's 15000 then does not */
    report("r-4", w->b, 15, NULL);
    report("r-5", w->b, 1, NULL);
    task_action("t-oc", TA(COMPLETE));
    sync_all();
    char lump[200];
    snprintf(lump, sizeof lump, "%s",
             award_id_where("policy_id = 'oc-2025' "
                            "AND amount = 50000"));
    approve_fully(lump, AS(APPROVED)); /* available 10000: exactly 10% */
    assert_int_equal(events("pool_low"), 0);
    char q1[200], q2[200];
    snprintf(q1, sizeof q1, "%s", award_id_where("report_id = 'r-4'"));
    snprintf(q2, sizeof q2, "%s", award_id_where("report_id = 'r-5'"));
    approve_fully(q1, AS(QUEUED));
    /* 1000 would fit, but it waits behind the queue */
    approve_fully(q2, AS(QUEUED));
    assert_int_equal(events("pool_exhausted"), 1);
    assert_int_equal(events("award_queued"), 2);
    invariant();
    /* a top-up funds the queue in order */
    Cogov__V1__TopUpPool tu = COGOV__V1__TOP_UP_POOL__INIT;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    tu.pool_id = "muni-2025";
    tu.has_amount_fen = true;
    tu.amount_fen = 5000;
    req.body_case = BODY(TOP_UP_POOL);
    req.top_up_pool = &tu;
    h_want_free(w->inc, &req, INVALID, "top up without reason");
    tu.reason = "区财政追加";
    h_want_free(w->cl_fin, &req, OK, "top up");
    assert_int_equal(award_status(q1), AS(APPROVED));
    assert_int_equal(award_status(q2), AS(QUEUED)); /* 1000 > 0 left */
    assert_int_equal(events("pool_exhausted"), 1);
    tu.amount_fen = 1000;
    h_want_free(w->cl_fin, &req, OK, "top up again");
    assert_int_equal(award_status(q2), AS(APPROVED));
    assert_int_equal(iq("SELECT budget FROM pools"), 106000);
    assert_int_equal(iq("SELECT approved + disbursed FROM pools"), 106000);
    assert_int_equal(events("pool_low"), 1);
    invariant();
}

static void
test_ledger_and_restart(void **state)
{
    world_t *w = *state;
    Cogov__V1__GetLedger gl = COGOV__V1__GET_LEDGER__INIT;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = BODY(GET_LEDGER);
    req.get_ledger = &gl;
    Cogov__V1__Reply *rep = h_want(w->inc, &req, OK, "ledger");
    assert_int_equal(rep->ledger->n_rows, 2);
    int64_t appr = 0, paid = 0;
    for (size_t i = 0; i < rep->ledger->n_rows; i++) {
        appr += rep->ledger->rows[i]->approved_fen;
        paid += rep->ledger->rows[i]->disbursed_fen;
    }
    assert_int_equal(appr, 96000);
    assert_int_equal(paid, 10000);
    cogov__v1__reply__free_unpacked(rep, NULL);

    long long n = iq("SELECT count(*) FROM awards");
    uint64_t h = store_hash(w->c.store[H_INCE], "SELECT award_id, status, "
                                                "amount FROM awards");
    client_destroy(&w->inc);
    client_destroy(&w->cl_fin);
    client_destroy(&w->cl_sec);
    client_destroy(&w->cl_bureau);
    assert_int_equal(cluster_stop(&w->c, H_INCE), 0);
    /* events while incentives is down: b suspended and reinstated (its
     * proposed clawback is held and released on restart) */
    decide(w->b, COGOV__V1__MEMBER_DECISION__MEMBER_DECISION_SUSPEND);
    decide(w->b, COGOV__V1__MEMBER_DECISION__MEMBER_DECISION_REINSTATE);
    assert_int_equal(cluster_start(&w->c, H_INCE), 0);
    w->inc = cluster_client(&w->c, H_INCE);
    sync_all();
    assert_int_equal(iq("SELECT count(*) FROM awards"), n);
    assert_int_equal(store_hash(w->c.store[H_INCE], "SELECT award_id, status, "
                                                    "amount FROM awards"),
                     h);
    invariant();
}

/* cogovctl's incentives nouns against the real daemon, as the operator
 * (GOV_COORDINATOR). The harness's cogovctl config names no incentives
 * endpoint: this test writes its own. */
static void
test_cogovctl(void **state)
{
    world_t *w = *state;
    char conf[4096] = "", path[128], bad[128], out[16384];
    FILE *f;
    size_t n;
    char *hole;

    if (getenv("COGOVCTL") == NULL) {
        printf("# COGOVCTL not set: skipped\n");
        return;
    }
    f = fopen(w->c.ctl_conf, "r");
    assert_non_null(f);
    n = fread(conf, 1, sizeof conf - 1, f);
    fclose(f);
    conf[n] = 0;
    hole = strstr(conf, "incentives_endpoint =\n");
    assert_non_null(hole);
    snprintf(path, sizeof path, "%s/ctl-inc.conf", w->c.dir);
    f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "%.*sincentives_endpoint = %s\n%s", (int)(hole - conf), conf,
            w->c.endpoint[H_INCE], hole + strlen("incentives_endpoint =\n"));
    fclose(f);
    snprintf(w->c.ctl_conf, sizeof w->c.ctl_conf, "%s", path);

    const char *pl[] = {"pool", "list", NULL};
    assert_int_equal(cluster_ctl(&w->c, out, sizeof out, pl), 0);
    assert_non_null(strstr(out, "muni-2025"));
    assert_non_null(strstr(out, "AVAILABLE_YUAN"));

    const char *lg[] = {"ledger", "--csv", NULL};
    assert_int_equal(cluster_ctl(&w->c, out, sizeof out, lg), 0);
    assert_memory_equal(out,
                        "pool_id,member_id,proposed_fen,approved_fen,"
                        "disbursed_fen,held_fen,queued_fen,rejected_fen\r\n",
                        strlen("pool_id,member_id,proposed_fen,approved_fen,"
                               "disbursed_fen,held_fen,queued_fen,"
                               "rejected_fen\r\n"));
    assert_non_null(strstr(out, w->b));

    char id[200];
    snprintf(id, sizeof id, "%s", award_id_where("report_id = 'r-4'"));
    const char *ex[] = {"award", "explain", id, NULL};
    assert_int_equal(cluster_ctl(&w->c, out, sizeof out, ex), 0);
    assert_non_null(strstr(out, "policy   oc-2025 version 1, rule students"));
    assert_non_null(strstr(out, "quantity 15"));
    assert_non_null(strstr(out, "15000 fen"));

    const char *dis[] = {"award", "disburse", id, "--payment-ref", "X", NULL};
    assert_int_equal(cluster_ctl(&w->c, out, sizeof out, dis), 4); /* DENIED */

    snprintf(bad, sizeof bad, "%s/bad.pol", w->c.dir);
    f = fopen(bad, "w");
    assert_non_null(f);
    fputs("policy id=z version=1 effective=2025-01-01 pool=muni-2025\n"
          "lump id=a fen=5\nlump id=b fen=6 kinds=training\n",
          f);
    fclose(f);
    const char *lb[] = {"policy", "load", bad, NULL};
    assert_int_equal(cluster_ctl(&w->c, out, sizeof out, lb), 2); /* INVALID */

    char sample[512];
    snprintf(sample, sizeof sample, "%s", __FILE__);
    char *cut = strstr(sample, "tests/it/it_incentives.c");
    assert_non_null(cut);
    snprintf(cut, sizeof sample - (size_t)(cut - sample),
             "deploy/data/policies.sample");
    const char *ls[] = {"policy", "load", sample, NULL};
    assert_int_equal(cluster_ctl(&w->c, out, sizeof out, ls), 0);
    const char *lp[] = {"policy", "list", NULL};
    assert_int_equal(cluster_ctl(&w->c, out, sizeof out, lp), 0);
    assert_non_null(strstr(out, "ind-edu-2025"));
    assert_non_null(strstr(out, "oc-2025"));
}

/* kill -9 incentives again and again (seeded points) while progress
 * reports flow from the real coordination daemon (a second task, so the
 * first one's completion does not stop them); it is restarted after each
 * kill while the reports go on. Afterwards every report has exactly one
 * award per paying policy, one award_proposed event per award, and the
 * pool balances. */
#define KILLS 5
#define REPORTS 40
static void
test_kill_while_progress_flows(void **state)
{
    world_t *w = *state;
    char *parts[] = {w->b};
    Cogov__V1__CreateTask ct = COGOV__V1__CREATE_TASK__INIT;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    unsigned seed = test_seed();
    bool kill_at[REPORTS] = {false};
    long long before = iq("SELECT count(*) FROM awards");

    ct.task_id = "t-oc-2";
    ct.title = "第二期订单班";
    ct.has_kind = true;
    ct.kind = COGOV__V1__TASK_KIND__TASK_KIND_ORDER_CLASS;
    ct.lead_member_id = w->a;
    ct.n_participant_ids = 1;
    ct.participant_ids = parts;
    req.body_case = BODY(CREATE_TASK);
    req.create_task = &ct;
    h_want_free(w->op, &req, OK, "create_task 2");
    task_action("t-oc-2", TA(APPROVE));
    task_action("t-oc-2", TA(START));
    srand(seed);
    for (int k = 0; k < KILLS; k++)
        kill_at[rand() % REPORTS] = true;
    printf("# kill -9 incentives at seeded reports (seed %u):", seed);
    for (int i = 0; i < REPORTS; i++)
        if (kill_at[i])
            printf(" %d", i);
    printf("\n");
    client_destroy(&w->inc);
    for (int i = 0; i < REPORTS; i++) {
        Cogov__V1__Delivered d = COGOV__V1__DELIVERED__INIT;
        Cogov__V1__ReportProgress rp = COGOV__V1__REPORT_PROGRESS__INIT;
        Cogov__V1__Request r = COGOV__V1__REQUEST__INIT;
        char rid[32];
        snprintf(rid, sizeof rid, "k-%02d", i);
        d.has_students_enrolled = true;
        d.students_enrolled = 1 + i % 3;
        rp.task_id = "t-oc-2";
        rp.report_id = rid;
        rp.member_id = i % 2 ? w->a : w->b;
        rp.delivered = &d;
        r.body_case = BODY(REPORT_PROGRESS);
        r.report_progress = &rp;
        h_want_free(w->op, &r, OK, "report k");
        if (kill_at[i]) {
            cluster_kill(&w->c, H_INCE);
            assert_int_equal(cluster_start(&w->c, H_INCE), 0);
        }
    }
    w->inc = cluster_client(&w->c, H_INCE);
    sync_all();
    /* two policies pay for order-class students now (oc-2025 and the
     * sample's ind-edu-2025, loaded by test_cogovctl): one award each */
    assert_int_equal(iq("SELECT count(*) FROM awards WHERE report_id LIKE "
                        "'k-%%' AND policy_id = 'oc-2025'"),
                     REPORTS);
    assert_int_equal(iq("SELECT count(*) FROM awards WHERE report_id LIKE "
                        "'k-%%' AND policy_id = 'ind-edu-2025'"),
                     REPORTS);
    assert_int_equal(iq("SELECT count(DISTINCT policy_id || report_id) FROM "
                        "awards WHERE report_id LIKE 'k-%%'"),
                     2 * REPORTS);
    assert_int_equal(iq("SELECT count(*) FROM awards"), before + 2 * REPORTS);
    /* one claim per entitlement, each claim's entries sum to its share */
    assert_int_equal(iq("SELECT count(*) FROM claims WHERE claim_id IN "
                        "(SELECT award_id FROM awards WHERE report_id LIKE "
                        "'k-%%')"),
                     2 * REPORTS);
    assert_int_equal(iq("SELECT count(*) FROM claims c WHERE counts AND alloc "
                        "<> (SELECT coalesce(sum(amount), 0) FROM awards a "
                        "WHERE a.claim_id = c.claim_id AND a.status <> 4)"),
                     0);
    /* one award_proposed or award_clawback event per award, no more */
    assert_int_equal(iq("SELECT count(*) FROM outbox WHERE type IN "
                        "('award_proposed', 'award_clawback')"),
                     iq("SELECT count(*) FROM awards"));
    assert_int_equal(iq("SELECT count(*) FROM dead_letters"), 0);
    invariant();
    /* approve what fits: the pool still balances after the crashes */
    if (w->cl_sec == NULL)
        w->cl_sec = cluster_client_as(&w->c, H_INCE, &w->sec);
    if (w->cl_fin == NULL)
        w->cl_fin = cluster_client_as(&w->c, H_INCE, &w->fin);
    char id[200];
    snprintf(id, sizeof id, "%s",
             award_id_where("report_id = 'k-00' AND policy_id = 'oc-2025'"));
    approve_fully(id, AS(QUEUED));
    invariant();
    assert_true(iq("SELECT approved + disbursed FROM pools WHERE pool_id = "
                   "'muni-2025'") <=
                iq("SELECT budget FROM pools WHERE pool_id = 'muni-2025'"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pool_and_policy),
        cmocka_unit_test(test_awards_from_progress),
        cmocka_unit_test(test_corrections),
        cmocka_unit_test(test_suspension_holds),
        cmocka_unit_test(test_pool_runs_out),
        cmocka_unit_test(test_ledger_and_restart),
        cmocka_unit_test(test_cogovctl),
        cmocka_unit_test(test_kill_while_progress_flows),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

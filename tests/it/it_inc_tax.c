/* it_inc_tax: issue 6's tax credit, guarantees and honours through the
 * real daemons (coordination, incentives, supervision) and cogovctl.
 *  - 产教融合型企业: the lifecycle in order only; credit only for a
 *    certified enterprise; 30% half up to the fen; the tax bureau's
 *    surcharge reports (BUREAU_SYSTEM only, once a year) take credit oldest
 *    first and carry the rest; an equity transfer recaptures what its
 *    credit gave; disqualification forfeits the rest and bars reapplying
 *    until five years on the calendar have passed.
 *  - guarantees of a government department to a task, delivered or
 *    missed, per task and per department.
 *  - honours from a published evaluation by a policy's honour rules, once
 *    each, also when incentives re-reads supervision's whole stream.
 * The tests share one world and run in order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

#include "harness_req.h"
#include "util.h"

#define OK COGOV__V1__STATUS_CODE__STATUS_OK
#define CONFLICT COGOV__V1__STATUS_CODE__STATUS_CONFLICT
#define DENIED COGOV__V1__STATUS_CODE__STATUS_PERMISSION_DENIED
#define BODY(x) COGOV__V1__REQUEST__BODY_##x
#define MT(x) COGOV__V1__MEMBER_TYPE__MEMBER_TYPE_##x

typedef struct world {
    cluster_t c;
    keypair_t boss, tax;
    client_t *op, *inc, *taxcl, *supv;
    char e[19]; /* enterprise */
    char g[19]; /* government department */
} world_t;

static world_t *W;

static long long
iq(const char *sql)
{
    return store_query_int(W->c.store[H_INCE], sql);
}

static void
sync_all(void)
{
    h_sync(&W->c, 20000);
}

static void
advance_to(const char *date)
{
    assert_int_equal(h_advance(W->op, h_time(date)), OK);
    sync_all();
}

static void
admit(const char *id, const char *name, Cogov__V1__MemberType type)
{
    assert_int_equal(h_admit(W->op, id, name, type), OK);
}

static Cogov__V1__TaxCreditAccount *
account(void)
{
    Cogov__V1__GetTaxCredit g = COGOV__V1__GET_TAX_CREDIT__INIT;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    Cogov__V1__Reply *rep;
    Cogov__V1__TaxCreditAccount *a;
    g.member_id = W->e;
    req.body_case = BODY(GET_TAX_CREDIT);
    req.get_tax_credit = &g;
    rep = h_want(W->inc, &req, OK, "get_tax_credit");
    a = rep->tax_credit;
    rep->tax_credit = NULL;
    rep->body_case = COGOV__V1__REPLY__BODY__NOT_SET;
    cogov__v1__reply__free_unpacked(rep, NULL);
    return a;
}

static const Cogov__V1__Investment *
inv_of(const Cogov__V1__TaxCreditAccount *a, const char *id)
{
    for (size_t i = 0; i < a->n_investments; i++)
        if (strcmp(a->investments[i]->investment_id, id) == 0)
            return a->investments[i];
    fail_msg("no investment %s", id);
    return NULL;
}

static const Cogov__V1__SurchargeYear *
year_of(const Cogov__V1__TaxCreditAccount *a, unsigned y)
{
    for (size_t i = 0; i < a->n_years; i++)
        if (a->years[i]->year == y)
            return a->years[i];
    fail_msg("no year %u", y);
    return NULL;
}

static void
surcharge(client_t *cl, unsigned year, int64_t due, int want)
{
    Cogov__V1__ReportSurcharge rs = COGOV__V1__REPORT_SURCHARGE__INIT;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    rs.member_id = W->e;
    rs.has_year = rs.has_due_fen = true;
    rs.year = year;
    rs.due_fen = due;
    rs.report_ref = "税务局-2025-0001";
    req.body_case = BODY(REPORT_SURCHARGE);
    req.report_surcharge = &rs;
    h_want_free(cl, &req, want, "report_surcharge");
}

static int
setup(void **state)
{
    world_t *w = xcalloc(1, sizeof *w);
    cluster_t *c = &w->c;
    W = w;
    *state = w;
    printf("# seed %u\n", test_seed());
    assert_int_equal(cluster_init(c, "itax"), 0);
    uscc_make(811, w->e);
    uscc_make(812, w->g);
    assert_int_equal(cluster_add_principal(c, "boss", "-",
                                           "GOV_COORDINATOR,SUPERVISOR,"
                                           "FINANCE_OFFICER,OPERATOR",
                                           "-", &w->boss),
                     0);
    assert_int_equal(cluster_add_principal(c, "taxbureau", "-", "BUREAU_SYSTEM",
                                           "-", &w->tax),
                     0);
    assert_int_equal(keys_write(c->keys_dir, "boss", &w->boss), 0);
    assert_int_equal(cluster_ctl_conf_all(c, "boss"), 0);
    assert_int_equal(cluster_start(c, H_COORD), 0);
    assert_int_equal(cluster_start(c, H_INCE), 0);
    assert_int_equal(cluster_start(c, H_SUPV), 0);
    w->op = cluster_client(c, H_COORD);
    w->inc = cluster_client_as(c, H_INCE, &w->boss);
    w->taxcl = cluster_client_as(c, H_INCE, &w->tax);
    w->supv = cluster_client_as(c, H_SUPV, &w->boss);
    assert_non_null(w->supv);
    h_watch(c);

    assert_int_equal(h_found(w->op, "滨江高新区", "2025-01-01"), OK);
    admit(w->e, "滨江数控装备有限公司", MT(ENTERPRISE));
    admit(w->g, "滨江市人力资源和社会保障局", MT(GOVERNMENT_DEPARTMENT));
    advance_to("2025-03-02");
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
    client_destroy(&w->taxcl);
    client_destroy(&w->supv);
    h_stop_all(&w->c);
    cluster_destroy(&w->c);
    free(w);
    return 0;
}

static void
test_tax_credit(void **state)
{
    world_t *w = *state;
    char out[16384];
    const char *inv1[] = {"tax",          "invest",    w->e, "inv-1",
                          "--amount-fen", "100000000", NULL};
    /* not yet certified: no credit; stages only in order */
    assert_int_equal(cluster_ctl(&w->c, out, sizeof out, inv1), 5);
    const char *cert[] = {"tax", "qualify", w->e, "--stage", "certified", NULL};
    assert_int_equal(cluster_ctl(&w->c, out, sizeof out, cert), 5);
    const char *gov[] = {"tax",     "qualify",      w->g,
                         "--stage", "reserve-pool", NULL};
    assert_int_equal(cluster_ctl(&w->c, out, sizeof out, gov), 2);
    const char *res[] = {"tax",     "qualify",      w->e,
                         "--stage", "reserve-pool", NULL};
    const char *cul[] = {"tax",     "qualify",     w->e,
                         "--stage", "cultivation", NULL};
    assert_int_equal(h_ctl(&W->c, out, sizeof out, res), 0);
    assert_int_equal(h_ctl(&W->c, out, sizeof out, cul), 0);
    assert_int_equal(h_ctl(&W->c, out, sizeof out, cert), 0);
    assert_non_null(strstr(out, "CERTIFIED"));
    /* ¥1,000,000.00 -> 30,000,000 fen of credit; 5 fen -> 1.5 -> 2 fen */
    assert_int_equal(h_ctl(&W->c, out, sizeof out, inv1), 0);
    assert_int_equal(cluster_ctl(&w->c, out, sizeof out, inv1), 5);
    const char *inv2[] = {"tax",          "invest", w->e, "inv-2",
                          "--amount-fen", "5",      NULL};
    assert_int_equal(h_ctl(&W->c, out, sizeof out, inv2), 0);
    Cogov__V1__TaxCreditAccount *a = account();
    assert_int_equal(inv_of(a, "inv-1")->credit_fen, 30000000);
    assert_int_equal(inv_of(a, "inv-2")->credit_fen, 2);
    assert_int_equal(inv_of(a, "inv-1")->year, 2025);
    assert_int_equal(a->balance_fen, 30000002);
    cogov__v1__tax_credit_account__free_unpacked(a, NULL);

    /* only the tax bureau's system reports surcharges, once a year */
    surcharge(w->inc, 2025, 12000000, DENIED);
    surcharge(w->taxcl, 2025, 12000000, OK);
    surcharge(w->taxcl, 2025, 1, CONFLICT);
    a = account();
    assert_int_equal(year_of(a, 2025)->credit_applied_fen, 12000000);
    assert_int_equal(year_of(a, 2025)->payable_fen, 0);
    assert_int_equal(year_of(a, 2025)->carried_forward_fen, 18000002);
    cogov__v1__tax_credit_account__free_unpacked(a, NULL);

    /* 2026: a third investment; 20,000,000 due takes the 2025 credit
     * first (18,000,000 + 2), then 1,999,998 of inv-3's 3,000,000 */
    advance_to("2026-02-01");
    const char *inv3[] = {"tax",          "invest",   w->e, "inv-3",
                          "--amount-fen", "10000000", NULL};
    assert_int_equal(h_ctl(&W->c, out, sizeof out, inv3), 0);
    surcharge(w->taxcl, 2026, 20000000, OK);
    a = account();
    assert_int_equal(year_of(a, 2026)->credit_applied_fen, 20000000);
    assert_int_equal(year_of(a, 2026)->carried_forward_fen, 1000002);
    assert_int_equal(inv_of(a, "inv-3")->used_fen, 1999998);
    cogov__v1__tax_credit_account__free_unpacked(a, NULL);
    /* an equity transfer: what inv-3 gave is recaptured, its rest is gone */
    const char *wd[] = {"tax",      "withdraw", w->e,
                        "inv-3",    "--kind",   "equity-transfer",
                        "--reason", "股权转让", NULL};
    assert_int_equal(h_ctl(&W->c, out, sizeof out, wd), 0);
    assert_int_equal(cluster_ctl(&w->c, out, sizeof out, wd), 5);
    a = account();
    assert_int_equal(inv_of(a, "inv-3")->recaptured_fen, 1999998);
    assert_int_equal(a->recaptured_fen, 1999998);
    assert_int_equal(a->balance_fen, 0);
    cogov__v1__tax_credit_account__free_unpacked(a, NULL);

    /* disqualified for fraud: unused credit forfeited, no reapplying for
     * five years, enforced against the business calendar */
    const char *inv4[] = {"tax",          "invest", w->e, "inv-4",
                          "--amount-fen", "1000",   NULL};
    assert_int_equal(h_ctl(&W->c, out, sizeof out, inv4), 0);
    a = account();
    assert_int_equal(a->balance_fen, 300);
    cogov__v1__tax_credit_account__free_unpacked(a, NULL);
    const char *dq_noreason[] = {"tax",     "qualify",      w->e,
                                 "--stage", "disqualified", NULL};
    assert_int_equal(cluster_ctl(&w->c, out, sizeof out, dq_noreason), 2);
    const char *dq[] = {"tax",          "qualify",  w->e,    "--stage",
                        "disqualified", "--reason", "fraud", NULL};
    assert_int_equal(h_ctl(&W->c, out, sizeof out, dq), 0);
    assert_non_null(strstr(out, "2031-02-01"));
    a = account();
    assert_int_equal(a->balance_fen, 0);
    assert_string_equal(a->banned_until, "2031-02-01");
    cogov__v1__tax_credit_account__free_unpacked(a, NULL);
    assert_int_equal(cluster_ctl(&w->c, out, sizeof out, inv4), 5);
    assert_int_equal(cluster_ctl(&w->c, out, sizeof out, res), 5);
    advance_to("2031-01-31");
    assert_int_equal(cluster_ctl(&w->c, out, sizeof out, res), 5);
    advance_to("2031-02-01");
    assert_int_equal(h_ctl(&W->c, out, sizeof out, res), 0);
    assert_int_equal(iq("SELECT count(*) FROM outbox WHERE type = "
                        "'qualification_changed'"),
                     5);
    assert_int_equal(iq("SELECT count(*) FROM outbox WHERE type = "
                        "'investment_recorded'"),
                     4);
    assert_int_equal(iq("SELECT count(*) FROM outbox WHERE type = "
                        "'surcharge_reported'"),
                     2);
}

static void
test_guarantees(void **state)
{
    world_t *w = *state;
    char out[16384];
    Cogov__V1__CreateTask ct = COGOV__V1__CREATE_TASK__INIT;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    ct.task_id = "t-base";
    ct.title = "数控实训基地";
    ct.has_kind = true;
    ct.kind = COGOV__V1__TASK_KIND__TASK_KIND_PRACTICE_BASE;
    ct.lead_member_id = w->e;
    req.body_case = BODY(CREATE_TASK);
    req.create_task = &ct;
    h_want_free(w->op, &req, OK, "create_task");
    sync_all();
    const char *g1[] = {"guarantee",  "make",       "g-fund",   "--department",
                        w->g,         "--task",     "t-base",   "--kind",
                        "funding",    "--quantity", "50000000", "--due",
                        "2031-12-31", NULL};
    assert_int_equal(h_ctl(&W->c, out, sizeof out, g1), 0);
    assert_non_null(strstr(out, "COMMITTED"));
    assert_int_equal(cluster_ctl(&w->c, out, sizeof out, g1), 5);
    const char *g2[] = {"guarantee", "make",       "g-land", "--department",
                        w->g,        "--task",     "t-base", "--kind",
                        "land",      "--quantity", "2000",   NULL};
    assert_int_equal(h_ctl(&W->c, out, sizeof out, g2), 0);
    const char *bad_dept[] = {
        "guarantee", "make",   "g-x",  "--department", w->e, "--task",
        "t-base",    "--kind", "land", "--quantity",   "1",  NULL};
    assert_int_equal(cluster_ctl(&w->c, out, sizeof out, bad_dept), 2);
    const char *bad_task[] = {
        "guarantee", "make",   "g-y",         "--department", w->g, "--task",
        "t-none",    "--kind", "staff-quota", "--quantity",   "3",  NULL};
    assert_int_equal(cluster_ctl(&w->c, out, sizeof out, bad_task), 3);
    const char *s1[] = {"guarantee",   "settle",   "g-fund",
                        "--delivered", "50000000", NULL};
    assert_int_equal(h_ctl(&W->c, out, sizeof out, s1), 0);
    assert_int_equal(cluster_ctl(&w->c, out, sizeof out, s1), 5);
    const char *s2[] = {"guarantee", "settle",         "g-land", "--missed",
                        "--note",    "用地指标未落实", NULL};
    assert_int_equal(h_ctl(&W->c, out, sizeof out, s2), 0);
    const char *lt[] = {"guarantee", "list", "--task", "t-base", NULL};
    assert_int_equal(h_ctl(&W->c, out, sizeof out, lt), 0);
    assert_non_null(strstr(out, "g-fund"));
    assert_non_null(strstr(out, "DELIVERED"));
    assert_non_null(strstr(out, "MISSED"));
    const char *ld[] = {"--json",       "guarantee", "list",
                        "--department", w->g,        NULL};
    assert_int_equal(h_ctl(&W->c, out, sizeof out, ld), 0);
    assert_non_null(strstr(out, "g-land"));
    const char *ln[] = {"guarantee", "list", "--task", "t-other", NULL};
    assert_int_equal(h_ctl(&W->c, out, sizeof out, ln), 0);
    assert_null(strstr(out, "g-fund"));
    assert_int_equal(iq("SELECT count(*) FROM outbox WHERE type IN "
                        "('guarantee_made', 'guarantee_delivered', "
                        "'guarantee_missed')"),
                     4);
}

static void
test_honours(void **state)
{
    world_t *w = *state;
    char out[32768], path[256], pol[256];
    FILE *f;
    snprintf(pol, sizeof pol, "%s/honours.policy", w->c.dir);
    f = fopen(pol, "w");
    assert_non_null(f);
    fputs("policy id=honours-2031 version=1 effective=2031-01-01 pool=none\n"
          "honour id=h1 grade=excellent title=优秀成员单位\n"
          "honour id=h2 grade=good title=良好成员单位\n"
          "honour id=h3 grade=pass title=合格成员单位\n"
          "honour id=h4 grade=fail title=待改进单位\n",
          f);
    fclose(f);
    const char *lp[] = {"policy", "load", pol, NULL};
    assert_int_equal(h_ctl(&W->c, out, sizeof out, lp), 0);
    /* the shipped default, next to this file in the source tree */
    snprintf(path, sizeof path, "%s", __FILE__);
    char *slash = strstr(path, "/tests/it/");
    assert_non_null(slash);
    snprintf(slash, sizeof path - (size_t)(slash - path),
             "/deploy/data/indicators.default");
    const char *li[] = {"indicator", "load", path, NULL};
    assert_int_equal(h_ctl(&W->c, out, sizeof out, li), 0);
    const char *dr[] = {"evaluation", "draft", "2031", NULL};
    assert_int_equal(h_ctl(&W->c, out, sizeof out, dr), 0);
    const char *rv[] = {"evaluation", "review", "round-2031",
                        "--note",     "已核对", NULL};
    assert_int_equal(h_ctl(&W->c, out, sizeof out, rv), 0);
    const char *pb[] = {"evaluation", "publish", "round-2031", NULL};
    assert_int_equal(h_ctl(&W->c, out, sizeof out, pb), 0);
    sync_all();

    /* one honour per result, titled by the member's published grade */
    static const char *titles[] = {NULL, "优秀成员单位", "良好成员单位",
                                   "合格成员单位", "待改进单位"};
    Cogov__V1__GetRound gr = COGOV__V1__GET_ROUND__INIT;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    gr.round_id = "round-2031";
    req.body_case = BODY(GET_ROUND);
    req.get_round = &gr;
    Cogov__V1__Reply *rr = h_want(w->supv, &req, OK, "get_round");
    const Cogov__V1__Round *r = rr->round;
    size_t graded = 0;
    assert_true(r->n_results >= 2);
    for (size_t i = 0; i < r->n_results; i++) {
        const Cogov__V1__MemberResult *m = r->results[i];
        if (!m->has_grade || m->grade < 1 || m->grade > 4)
            continue;
        graded++;
        const char *hl[] = {"honour", "list", "--member", m->member_id, NULL};
        assert_int_equal(h_ctl(&W->c, out, sizeof out, hl), 0);
        assert_non_null(strstr(out, titles[m->grade]));
    }
    assert_true(graded >= 2);
    long long n = iq("SELECT count(*) FROM honours");
    assert_int_equal(n, (long long)graded);
    assert_int_equal(
        iq("SELECT count(*) FROM outbox WHERE type = 'honour_granted'"), n);
    cogov__v1__reply__free_unpacked(rr, NULL);

    /* idempotent: incentives re-reads supervision's stream from the start */
    client_destroy(&w->inc);
    client_destroy(&w->taxcl);
    assert_int_equal(cluster_stop(&w->c, H_INCE), 0);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(w->c.store[H_INCE], &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "UPDATE cursors SET applied_seq = 0 WHERE "
                                  "producer "
                                  "= 'supervision'",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_changes(db), 1);
    sqlite3_close(db);
    assert_int_equal(cluster_start(&w->c, H_INCE), 0);
    w->inc = cluster_client_as(&w->c, H_INCE, &w->boss);
    sync_all();
    assert_int_equal(iq("SELECT count(*) FROM honours"), n);
    assert_int_equal(
        iq("SELECT count(*) FROM outbox WHERE type = 'honour_granted'"), n);
}

/* The honours table as one string (ids, decisions, bodies), to compare. */
static char *
honours_dump(void)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *q = NULL;
    char *out = NULL;
    assert_int_equal(
        sqlite3_open_v2(W->c.store[H_INCE], &db, SQLITE_OPEN_READONLY, NULL),
        SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    assert_int_equal(
        sqlite3_prepare_v2(db,
                           "SELECT group_concat(honour_id || ' ' || withheld "
                           "|| ' ' || hex(body), char(10)) FROM (SELECT * "
                           "FROM honours ORDER BY honour_id)",
                           -1, &q, NULL),
        SQLITE_OK);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    out = xstrdup((const char *)sqlite3_column_text(q, 0));
    sqlite3_finalize(q);
    sqlite3_close(db);
    return out;
}

static void
ctl_ok(const char **argv)
{
    char out[32768];
    int rc = h_ctl(&W->c, out, sizeof out, argv);
    if (rc != 0)
        fail_msg("cogovctl %s %s: exit %d: %s", argv[0], argv[1], rc, out);
}

/* An honour is withheld from a unit under a rectification order not yet
 * closed, or suspended, at the publication — decided in business-time
 * order, recorded with the reason, shown by `honour list`, and not granted
 * later when the order closes or the unit is reinstated. A status change
 * that incentives applies after a publication it precedes re-decides the
 * honour: replaying coordination's stream (the suspension arriving after
 * the publication) ends in the same honours. */
static void
test_honours_withheld(void **state)
{
    world_t *w = *state;
    char out[32768], x[19];
    uscc_make(813, x);
    admit(x, "滨江精密模具有限公司", MT(ENTERPRISE));
    sync_all();
    const char *ri[] = {
        "rectification", "issue",      "--id",       "RZ-H1",
        "--member",      w->e,         "--findings", "培训台账不全",
        "--due",         "2031-06-30", NULL};
    ctl_ok(ri);
    const char *su[] = {"member",   "suspend",        x,
                        "--reason", "连续两次不合格", NULL};
    ctl_ok(su);
    advance_to("2031-03-05");
    const char *dr[] = {"evaluation", "draft", "2032", NULL};
    ctl_ok(dr);
    const char *rv[] = {"evaluation", "review", "round-2032",
                        "--note",     "已核对", NULL};
    ctl_ok(rv);
    const char *pb[] = {"evaluation", "publish", "round-2032", NULL};
    ctl_ok(pb);
    sync_all();

    /* three results, three decisions: two withheld with their reasons */
    assert_int_equal(iq("SELECT count(*) FROM honours WHERE honour_id LIKE "
                        "'%@supervision:%' AND ckey > '' AND member_id IN "
                        "(SELECT member_id FROM members)"),
                     iq("SELECT count(*) FROM honours"));
    long long before = iq("SELECT count(*) FROM honours");
    assert_int_equal(iq("SELECT count(*) FROM honours WHERE withheld = 1"), 2);
    const char *hl[] = {"honour", "list", "--member", w->e, NULL};
    assert_int_equal(h_ctl(&W->c, out, sizeof out, hl), 0);
    assert_non_null(strstr(out, "WITHHELD"));
    assert_non_null(strstr(out, "rectification RZ-H1"));
    hl[3] = x;
    assert_int_equal(h_ctl(&W->c, out, sizeof out, hl), 0);
    assert_non_null(strstr(out, "WITHHELD"));
    assert_non_null(strstr(out, "suspended"));
    hl[3] = w->g;
    assert_int_equal(h_ctl(&W->c, out, sizeof out, hl), 0);
    assert_null(strstr(out, "WITHHELD"));
    assert_non_null(strstr(out, "GRANTED"));
    assert_int_equal(
        iq("SELECT count(*) FROM outbox WHERE type = 'honour_withheld'"), 2);

    /* the order closes and the unit is reinstated later: still withheld */
    advance_to("2031-03-08");
    const char *rp[] = {"rectification", "report", "RZ-H1",
                        "--text",        "已补全", NULL};
    ctl_ok(rp);
    const char *ac[] = {"rectification", "accept", "RZ-H1", NULL};
    ctl_ok(ac);
    const char *re[] = {"member", "reinstate", x, NULL};
    ctl_ok(re);
    sync_all();
    assert_int_equal(iq("SELECT count(*) FROM honours WHERE withheld = 1"), 2);
    assert_int_equal(
        iq("SELECT count(*) FROM outbox WHERE type = 'honour_withheld'"), 2);
    char *want = honours_dump();

    /* coordination's stream again from the start, the status log emptied:
     * x's admission, suspension and reinstatement now all arrive after the
     * publication; the honour flips back and forth and ends withheld */
    client_destroy(&w->inc);
    client_destroy(&w->taxcl);
    assert_int_equal(cluster_stop(&w->c, H_INCE), 0);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(w->c.store[H_INCE], &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "UPDATE cursors SET applied_seq = 0 WHERE "
                                  "producer = 'coordination';"
                                  "DELETE FROM member_status_log;",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(cluster_start(&w->c, H_INCE), 0);
    w->inc = cluster_client_as(&w->c, H_INCE, &w->boss);
    w->taxcl = cluster_client_as(&w->c, H_INCE, &w->tax);
    sync_all();
    char *got = honours_dump();
    assert_string_equal(got, want);
    assert_int_equal(iq("SELECT count(*) FROM honours"), before);
    /* it did flip on the way: granted when only the admission was known */
    assert_true(
        iq("SELECT count(*) FROM outbox WHERE type = 'honour_withheld'") > 2);
    free(got);
    free(want);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tax_credit),
        cmocka_unit_test(test_guarantees),
        cmocka_unit_test(test_honours),
        cmocka_unit_test(test_honours_withheld),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

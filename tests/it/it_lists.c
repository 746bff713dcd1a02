/* it_lists: the three lists (三张清单) through the real daemon — the
 * occupation map loaded from the shipped file, demands and supply posted,
 * matches proposed in rank order and accepted into a task with the right
 * lead, participant and quantity; bad input for every new command (the
 * reply code, and nothing changed); and the CSV imports of demands and
 * progress, each run twice (the second applies nothing).
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

#define OK COGOV__V1__STATUS_CODE__STATUS_OK
#define INVALID COGOV__V1__STATUS_CODE__STATUS_INVALID
#define NOT_FOUND COGOV__V1__STATUS_CODE__STATUS_NOT_FOUND
#define DENIED COGOV__V1__STATUS_CODE__STATUS_PERMISSION_DENIED
#define CONFLICT COGOV__V1__STATUS_CODE__STATUS_CONFLICT
#define BODY(x) COGOV__V1__REQUEST__BODY_##x
#define MT(x) COGOV__V1__MEMBER_TYPE__MEMBER_TYPE_##x
#define TK(x) COGOV__V1__TASK_KIND__TASK_KIND_##x
#define DK(x) COGOV__V1__DEMAND_KIND__DEMAND_KIND_##x
#define WAIT_MS 10000

typedef struct world {
    cluster_t c;
    keypair_t rep_e1;
    client_t *op, *cl_rep_e1;
    char e1[19], e2[19]; /* enterprises */
    char s1[19], s2[19]; /* schools */
    char p[19];          /* an enterprise that applied, never admitted */
    char x[19];          /* never applied */
    char task[32];       /* the accepted match's task */
    char dir[128];       /* for CSV files */
} world_t;

static world_t *W;

static Cogov__V1__Reply *
ok(Cogov__V1__Request *req, const char *what)
{
    return h_want(W->op, req, OK, what);
}

/* An integer from coordination's store. */
#define qint(...) h_qint(W->c.store[H_COORD], __VA_ARGS__)

static int
count_events(const char *type)
{
    return (int)qint("SELECT count(*) FROM outbox WHERE type='%s'", type);
}

static uint64_t
db_hash(void)
{
    uint64_t h = store_hash(W->c.store[H_COORD], NULL);
    assert_int_not_equal(h, 0);
    return h;
}

/* Expect code (and needle in the error) and the store unchanged. */
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

static void
write_file(const char *path, const char *text, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static void
member(const char *id, const char *name, Cogov__V1__MemberType type, bool admit)
{
    assert_int_equal(admit ? h_admit(W->op, id, name, type)
                           : h_apply(W->op, id, name, type),
                     OK);
}

/* The default mapping shipped in deploy/data. */
static void
map_path(char *buf, size_t size)
{
    snprintf(buf, size, "%s", __FILE__);
    char *slash = strstr(buf, "/tests/it/");
    assert_non_null(slash);
    snprintf(slash, size - (size_t)(slash - buf),
             "/deploy/data/occupation_major.csv");
}

static int
setup(void **state)
{
    world_t *w = xcalloc(1, sizeof *w);
    W = w;
    *state = w;
    printf("# seed %u\n", test_seed());
    assert_int_equal(cluster_init(&w->c, "lists"), 0);
    snprintf(w->dir, sizeof w->dir, "%s", w->c.dir);
    uscc_make(801, w->e1);
    uscc_make(802, w->e2);
    uscc_make(803, w->s1);
    uscc_make(804, w->s2);
    uscc_make(805, w->p);
    uscc_make(806, w->x);
    assert_int_equal(cluster_add_principal(&w->c, "rep-e1", w->e1, "MEMBER_REP",
                                           "-", &w->rep_e1),
                     0);
    assert_int_equal(cluster_start(&w->c, H_COORD), 0);
    w->op = cluster_client(&w->c, H_COORD);
    w->cl_rep_e1 = cluster_client_as(&w->c, H_COORD, &w->rep_e1);
    assert_non_null(w->op);
    assert_non_null(w->cl_rep_e1);
    h_watch(&w->c);
    assert_int_equal(h_found(w->op, "滨江高新区", "2025-01-01"), OK);
    member(w->e1, "滨江精密机械有限公司", MT(LEADING_ENTERPRISE), true);
    member(w->e2, "滨江电气有限公司", MT(ENTERPRISE), true);
    member(w->s1, "滨江职业技术学院", MT(HIGHER_VOCATIONAL_COLLEGE), true);
    member(w->s2, "滨江技工学校", MT(SECONDARY_VOCATIONAL_SCHOOL), true);
    member(w->p, "滨江申请中企业", MT(ENTERPRISE), false);
    return 0;
}

static int
teardown(void **state)
{
    world_t *w = *state != NULL ? *state : W;
    if (w == NULL)
        return -1;
    /* Clients first: the context cannot end while their sockets live. */
    client_destroy(&w->op);
    client_destroy(&w->cl_rep_e1);
    int st = w->c.pid[H_COORD] > 0 ? cluster_stop(&w->c, H_COORD) : -1;
    printf("# stop: coordination exit %d\n", st);
    cluster_destroy(&w->c);
    free(w);
    return st == 0 ? 0 : -1;
}

/* ---- lists and matching ---------------------------------------------------
 */

static void
test_map_lists_and_match(void **state)
{
    world_t *w = *state;
    char out[16384], path[512];

    /* No mapping yet: nothing to match with. */
    const char *prop[] = {"--json", "match", "propose", NULL};
    assert_int_equal(cluster_ctl(&w->c, out, sizeof out, prop), 5);

    /* A malformed mapping file names its line and loads nothing. */
    snprintf(path, sizeof path, "%s/bad-map.csv", w->dir);
    static const char bad_map[] = "occupation,major\n数控车工,数控技术\n电工\n";
    write_file(path, bad_map, sizeof bad_map - 1);
    const char *loadbad[] = {"occupation-map", "load", path, NULL};
    assert_int_equal(cluster_ctl(&w->c, out, sizeof out, loadbad), 2);
    assert_int_equal(qint("SELECT count(*) FROM occupation_map"), 0);

    map_path(path, sizeof path);
    const char *load[] = {"occupation-map", "load", path, NULL};
    assert_int_equal(h_ctl(&W->c, out, sizeof out, load), 0);
    assert_true(qint("SELECT count(*) FROM occupation_map") >= 20);
    assert_int_equal(count_events("occupation_map_loaded"), 1);

    const char *d1[] = {
        "demand",      "post",         "--id",     "d-cnc",       "--unit",
        w->e1,         "--occupation", "数控车工", "--headcount", "50",
        "--needed-by", "2025-09-01",   "--level",  "四级/中级工", NULL};
    assert_int_equal(h_ctl(&W->c, out, sizeof out, d1), 0);
    const char *d2[] = {"demand",      "post", "--id",         "d-elec",
                        "--unit",      w->e2,  "--occupation", "电工",
                        "--headcount", "20",   "--needed-by",  "2025-07-01",
                        NULL};
    assert_int_equal(h_ctl(&W->c, out, sizeof out, d2), 0);
    const char *d3[] = {"demand",  "post",       "--id",   "d-prod",
                        "--unit",  w->e1,        "--kind", "core_product",
                        "--title", "精密减速器", NULL};
    assert_int_equal(h_ctl(&W->c, out, sizeof out, d3), 0);
    const char *s1[] = {"supply",     "post",           "--id",
                        "s-cnc",      "--unit",         w->s1,
                        "--major",    "数控技术",       "--graduates",
                        "40",         "--available-on", "2025-06-30",
                        "--research", "五轴加工工艺",   NULL};
    assert_int_equal(h_ctl(&W->c, out, sizeof out, s1), 0);
    const char *s2[] = {"supply",      "post", "--id",           "s-cnc2",
                        "--unit",      w->s2,  "--major",        "数控技术",
                        "--graduates", "60",   "--available-on", "2025-10-15",
                        NULL};
    assert_int_equal(h_ctl(&W->c, out, sizeof out, s2), 0);
    const char *s3[] = {"supply",  "post",           "--id",
                        "s-elec",  "--unit",         w->s2,
                        "--major", "电气自动化技术", "--graduates",
                        "30",      "--available-on", "2025-06-30",
                        NULL};
    assert_int_equal(h_ctl(&W->c, out, sizeof out, s3), 0);
    assert_int_equal(count_events("demand_posted"), 3);
    assert_int_equal(count_events("supply_posted"), 3);

    /* Ranked: d-elec/s-elec 90 (full, on time), d-cnc/s-cnc 84 (40 of 50,
     * on time), d-cnc/s-cnc2 80 (full, 44 days late). */
    assert_int_equal(h_ctl(&W->c, out, sizeof out, prop), 0);
    char *m1 = strstr(out, "\"supply_id\":\"s-elec\"");
    char *m2 = strstr(out, "\"supply_id\":\"s-cnc\"");
    char *m3 = strstr(out, "\"supply_id\":\"s-cnc2\"");
    assert_non_null(m1);
    assert_non_null(m2);
    assert_non_null(m3);
    assert_true(m1 < m2 && m2 < m3);
    assert_non_null(strstr(out, "\"score\":90"));
    assert_non_null(strstr(out, "\"score\":84"));
    assert_non_null(strstr(out, "\"score\":80"));
    assert_non_null(strstr(out, "覆盖需求 50 人的 80%"));
    assert_non_null(strstr(out, "晚于需求日期 2025-09-01 共 44 天"));
    assert_null(strstr(out, "d-prod"));
    const char *ptab[] = {"match", "propose", "--demand", "d-cnc", NULL};
    assert_int_equal(h_ctl(&W->c, out, sizeof out, ptab), 0);
    assert_non_null(strstr(out, "SCORE"));
    assert_null(strstr(out, "s-elec"));

    /* Accept: a task led by the enterprise with the school, 40 people. */
    Cogov__V1__AcceptMatch am = COGOV__V1__ACCEPT_MATCH__INIT;
    am.demand_id = "d-cnc";
    am.supply_id = "s-cnc";
    am.has_kind = true;
    am.kind = TK(ORDER_CLASS);
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = BODY(ACCEPT_MATCH);
    req.accept_match = &am;
    Cogov__V1__Reply *rep = ok(&req, "accept_match");
    assert_int_equal(rep->body_case, COGOV__V1__REPLY__BODY_TASK);
    const Cogov__V1__Task *t = rep->task;
    assert_int_equal(strncmp(t->task_id, "match-", 6), 0);
    snprintf(w->task, sizeof w->task, "%s", t->task_id);
    assert_string_equal(t->lead_member_id, w->e1);
    assert_int_equal(t->n_participant_ids, 1);
    assert_string_equal(t->participant_ids[0], w->s1);
    assert_int_equal(t->planned_quantity, 40);
    assert_string_equal(t->quantity_unit, "人");
    assert_int_equal(t->kind, TK(ORDER_CLASS));
    assert_int_equal(t->status, COGOV__V1__TASK_STATUS__TASK_STATUS_PROPOSED);
    assert_string_equal(t->title, "数控车工（数控技术）订单班");
    cogov__v1__reply__free_unpacked(rep, NULL);
    assert_int_equal(count_events("match_accepted"), 1);
    assert_int_equal(count_events("task_created"), 1);

    /* Again: refused, nothing changes. */
    refused(&req, CONFLICT, "already accepted", "accept twice");

    /* What is left: d-cnc has 10 to fill, s-cnc is taken. */
    assert_int_equal(h_ctl(&W->c, out, sizeof out, prop), 0);
    assert_null(strstr(out, "\"supply_id\":\"s-cnc\""));
    assert_non_null(strstr(out, "\"supply_id\":\"s-cnc2\""));
    assert_non_null(strstr(out, "\"quantity\":\"10\"") != NULL
                        ? strstr(out, "\"quantity\":\"10\"")
                        : strstr(out, "\"quantity\":10"));
    const char *dl[] = {"--json", "demand", "list", "--unit", w->e1, NULL};
    assert_int_equal(h_ctl(&W->c, out, sizeof out, dl), 0);
    assert_non_null(strstr(out, "d-prod"));
    assert_true(strstr(out, "\"matched\":\"40\"") != NULL ||
                strstr(out, "\"matched\":40") != NULL);
    const char *sl[] = {"supply", "list", "--unit", w->s2, NULL};
    assert_int_equal(h_ctl(&W->c, out, sizeof out, sl), 0);
    assert_non_null(strstr(out, "s-elec"));
    assert_null(strstr(out, "s-cnc\n"));
}

/* ---- bad input --------------------------------------------------------------
 */

static void
post_demand_req(Cogov__V1__Request *req, Cogov__V1__PostDemand *d,
                const char *id, const char *unit, int64_t head, const char *by)
{
    cogov__v1__post_demand__init(d);
    d->demand_id = (char *)id;
    d->member_id = (char *)unit;
    d->has_kind = d->has_headcount = true;
    d->kind = DK(TALENT);
    d->title = "电工";
    d->occupation = "电工";
    d->headcount = head;
    d->needed_by = (char *)by;
    cogov__v1__request__init(req);
    req->body_case = BODY(POST_DEMAND);
    req->post_demand = d;
}

static void
test_bad_input(void **state)
{
    world_t *w = *state;
    Cogov__V1__Request req;
    Cogov__V1__PostDemand d;

    post_demand_req(&req, &d, "d-bad", w->s1, 5, "2025-09-01");
    refused(&req, INVALID, "demands are posted by enterprises", "school");
    post_demand_req(&req, &d, "d-bad", w->x, 5, "2025-09-01");
    refused(&req, NOT_FOUND, "not found", "unknown unit");
    post_demand_req(&req, &d, "d-bad", w->p, 5, "2025-09-01");
    refused(&req, CONFLICT, "not ADMITTED", "applied unit");
    post_demand_req(&req, &d, "d-bad", w->e2, -5, "2025-09-01");
    refused(&req, INVALID, "headcount", "negative headcount");
    post_demand_req(&req, &d, "d-bad", w->e2, 0, "2025-09-01");
    refused(&req, INVALID, "headcount > 0", "zero headcount");
    post_demand_req(&req, &d, "d-bad", w->e2, 5, "2025-02-30");
    refused(&req, INVALID, "needed_by", "bad date");
    post_demand_req(&req, &d, "d bad", w->e2, 5, "2025-09-01");
    refused(&req, INVALID, "demand_id", "bad id");
    post_demand_req(&req, &d, "d-bad", w->e2, 5, "2025-09-01");
    refused_on(w->cl_rep_e1, &req, DENIED, "own unit", "other unit's rep");
    /* Same id, other content: nothing is edited. */
    post_demand_req(&req, &d, "d-elec", w->e2, 21, "2025-07-01");
    refused(&req, CONFLICT, "other content", "edit");
    /* Same id, same content as posted by cogovctl: OK, no event. */
    int before = count_events("demand_posted");
    post_demand_req(&req, &d, "d-elec", w->e2, 20, "2025-07-01");
    d.title = "电工";
    Cogov__V1__Reply *rep = h_call(w->op, &req);
    /* cogovctl sent the occupation as title and no skill level: the same
     * request, so a repeat. */
    assert_int_equal(rep->code, OK);
    assert_int_equal(rep->body_case, COGOV__V1__REPLY__BODY_DEMAND);
    cogov__v1__reply__free_unpacked(rep, NULL);
    assert_int_equal(count_events("demand_posted"), before);
    /* The enterprise's own rep may post for it. */
    post_demand_req(&req, &d, "d-rep", w->e1, 3, "2025-12-01");
    d.occupation = "焊工";
    rep = h_call(w->cl_rep_e1, &req);
    assert_int_equal(rep->code, OK);
    cogov__v1__reply__free_unpacked(rep, NULL);

    Cogov__V1__PostSupply s = COGOV__V1__POST_SUPPLY__INIT;
    s.supply_id = "s-bad";
    s.member_id = w->e1;
    s.major = "数控技术";
    s.has_graduates = true;
    s.graduates = 10;
    s.available_on = "2025-06-30";
    cogov__v1__request__init(&req);
    req.body_case = BODY(POST_SUPPLY);
    req.post_supply = &s;
    refused(&req, INVALID, "schools and institutes", "enterprise supply");
    s.member_id = w->s1;
    s.graduates = -1;
    refused(&req, INVALID, "graduates", "negative graduates");
    s.graduates = 10;
    s.available_on = "2025-13-01";
    refused(&req, INVALID, "available_on", "bad date");

    Cogov__V1__AcceptMatch am = COGOV__V1__ACCEPT_MATCH__INIT;
    am.demand_id = "no-such";
    am.supply_id = "s-cnc2";
    am.has_kind = true;
    am.kind = TK(ORDER_CLASS);
    cogov__v1__request__init(&req);
    req.body_case = BODY(ACCEPT_MATCH);
    req.accept_match = &am;
    refused(&req, NOT_FOUND, "no-such", "unknown demand");
    am.demand_id = "d-cnc";
    am.supply_id = "no-such";
    refused(&req, NOT_FOUND, "no-such", "unknown supply");
    am.supply_id = "s-cnc2";
    am.kind = TK(TECH_PROJECT);
    refused(&req, INVALID, "ORDER_CLASS", "wrong kind");
    am.kind = TK(APPRENTICESHIP);
    am.supply_id = "s-elec";
    refused(&req, CONFLICT, "not mapped", "occupation not mapped");
    refused_on(w->cl_rep_e1, &req, DENIED, NULL, "rep accepts");

    Cogov__V1__LoadOccupationMap lm = COGOV__V1__LOAD_OCCUPATION_MAP__INIT;
    lm.text = "数控车工,数控技术\n\n电工,电气,自动化\n";
    cogov__v1__request__init(&req);
    req.body_case = BODY(LOAD_OCCUPATION_MAP);
    req.load_occupation_map = &lm;
    refused(&req, INVALID, "line 3", "malformed map");

    Cogov__V1__ProposeMatches pm = COGOV__V1__PROPOSE_MATCHES__INIT;
    pm.demand_id = "d-prod";
    cogov__v1__request__init(&req);
    req.body_case = BODY(PROPOSE_MATCHES);
    req.propose_matches = &pm;
    rep = h_call(w->op, &req);
    assert_int_equal(rep->code, INVALID);
    cogov__v1__reply__free_unpacked(rep, NULL);
}

/* ---- CSV imports --------------------------------------------------------- */

static void
test_import_demands(void **state)
{
    world_t *w = *state;
    char out[16384], path[256], csv[4096];

    snprintf(path, sizeof path, "%s/demands.csv", w->dir);
    int n = snprintf(csv, sizeof csv,
                     "\xef\xbb\xbf"
                     "member_id,occupation,headcount,needed_by,details\r\n"
                     "%s,软件开发,12,2025-09-01,\"Java, C\"\r\n" /* 2: ok */
                     "%s,焊工,8,2025-08-01,\"两行\n说明\"\r\n"   /* 3-4: ok */
                     "%s,电工,-3,2025-08-01,\r\n"        /* 5: negative */
                     "%s,电工,3,2025-02-30,\r\n"         /* 6: bad date */
                     "%s,电工,3,2025-08-01,\r\n"         /* 7: a school */
                     "%s,电工,3,2025-08-01,\xff\xfe\r\n" /* 8: not UTF-8 */
                     "%s,钳工,5,2025-10-01,\r\n",        /* 9: ok */
                     w->e1, w->e2, w->e2, w->e2, w->s1, w->e2, w->e1);
    write_file(path, csv, (size_t)n);
    int before = count_events("demand_posted");
    const char *imp[] = {"import", "demands", path, NULL};
    assert_int_equal(cluster_ctl(&w->c, out, sizeof out, imp), 2);
    printf("%s", out);
    assert_non_null(strstr(out, "applied 3, already present 0, failed 4"));
    assert_non_null(strstr(out, "line 5: INVALID"));
    assert_non_null(strstr(out, "line 6: INVALID: needed_by"));
    assert_non_null(strstr(out, "line 7: INVALID"));
    assert_non_null(strstr(out, "line 8: INVALID: field 5 is not valid UTF-8"));
    assert_int_equal(count_events("demand_posted"), before + 3);
    assert_int_equal(
        qint("SELECT count(*) FROM demands WHERE details = '两行\n说明'"), 1);

    /* Again: nothing applied, the same failures. */
    uint64_t h = db_hash();
    assert_int_equal(cluster_ctl(&w->c, out, sizeof out, imp), 2);
    assert_non_null(strstr(out, "applied 0, already present 3, failed 4"));
    assert_int_equal(count_events("demand_posted"), before + 3);
    assert_int_equal(db_hash(), h);

    /* A file that is not CSV at all: nothing applied. */
    snprintf(path, sizeof path, "%s/bad-header.csv", w->dir);
    static const char badh[] = "who,what\nx,y\n";
    write_file(path, badh, sizeof badh - 1);
    const char *imp2[] = {"import", "demands", path, NULL};
    assert_int_equal(cluster_ctl(&w->c, out, sizeof out, imp2), 2);
    assert_int_equal(db_hash(), h);
}

static void
change(const char *id, Cogov__V1__TaskAction a)
{
    assert_int_equal(h_change_task(W->op, id, a), OK);
}

static void
test_import_progress(void **state)
{
    world_t *w = *state;
    char out[16384], path[256], csv[2048];

    change(w->task, COGOV__V1__TASK_ACTION__TASK_ACTION_APPROVE);
    change(w->task, COGOV__V1__TASK_ACTION__TASK_ACTION_START);
    snprintf(path, sizeof path, "%s/progress.csv", w->dir);
    int n = snprintf(csv, sizeof csv,
                     "task_id,member_id,report_id,students_enrolled,note\n"
                     "%s,%s,r-1,38,首批入学\n"
                     "%s,%s,,2,\"补录, 两人\"\n"
                     "no-such-task,%s,r-9,1,\n"
                     "%s,%s,r-2,many,\n",
                     w->task, w->e1, w->task, w->s1, w->e1, w->task, w->e1);
    write_file(path, csv, (size_t)n);
    const char *imp[] = {"import", "progress", path, NULL};
    assert_int_equal(cluster_ctl(&w->c, out, sizeof out, imp), 3);
    printf("%s", out);
    assert_non_null(strstr(out, "applied 2, already present 0, failed 2"));
    assert_non_null(strstr(out, "line 4: NOT_FOUND"));
    assert_non_null(strstr(out, "line 5: INVALID: students_enrolled"));
    assert_int_equal(count_events("progress_reported"), 2);
    assert_int_equal(
        qint("SELECT sum(students) FROM reports WHERE task_id = '%s'", w->task),
        40);
    uint64_t h = db_hash();
    assert_int_equal(cluster_ctl(&w->c, out, sizeof out, imp), 3);
    assert_non_null(strstr(out, "applied 0, already present 2, failed 2"));
    assert_int_equal(count_events("progress_reported"), 2);
    assert_int_equal(db_hash(), h);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_map_lists_and_match),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_import_demands),
        cmocka_unit_test(test_import_progress),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

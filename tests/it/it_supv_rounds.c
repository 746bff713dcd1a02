/* it_supv_rounds: periodic evaluation rounds drafted by calendar ticks
 * (DESIGN 1.6 "calendar tick -> periodic rounds", 2.6), through the real
 * coordination, secretariat and supervision daemons on a manual calendar.
 *  - a quarter that ends before any indicators are loaded is skipped (and
 *    never drafted later);
 *  - the first tick at or past a quarter's end drafts round-<quarter> once,
 *    from the facts of the quarter; nothing is reviewed or published (no
 *    evaluation_published); later ticks leave it as it is;
 *  - the supervisor's `evaluation draft` of a drafted round recomputes it
 *    (same facts, same numbers); of a published one: exit 5, frozen;
 *  - a draft made before the period ended is recomputed by the tick past
 *    its end; a round reviewed before its end is left to the supervisor;
 *  - one tick far ahead drafts every missed quarter and year in order;
 *  - auto_rounds = year drafts years only, off none, and an unknown value
 *    stops supervision from starting;
 *  - an indicator whose target for a unit's type is zero, with no evidence
 *    of that unit, and an on-time share with nothing to divide by, are
 *    excluded from its total (weights renormalized);
 *  - every draft emits round_drafted, caused by the command or the tick.
 *
 * The tests share one world and run in order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness_req.h"
#include "util.h"

#define SYNC_MS 20000
#define OUT_SZ (1 << 20)

typedef struct world {
    cluster_t c;
    keypair_t chief; /* coordinator and supervisor: cogovctl's key */
    char a[19];      /* a higher vocational college */
    char b[19];      /* a leading enterprise */
    char *out;
} world_t;

static world_t *W;
static char g_root[512];

static void
find_root(void)
{
    snprintf(g_root, sizeof g_root, "%s", __FILE__);
    char *p = strstr(g_root, "/tests/it/");
    if (p != NULL)
        *p = 0;
    else
        snprintf(g_root, sizeof g_root, ".");
}

/* cogovctl with the NULL-terminated arguments; its output in W->out. */
static int
ctl(const char *arg, ...)
{
    const char *argv[32];
    size_t n = 0;
    va_list ap;
    va_start(ap, arg);
    for (const char *a = arg; a != NULL && n + 1 < ARRAY_LEN(argv);
         a = va_arg(ap, const char *))
        argv[n++] = a;
    va_end(ap);
    argv[n] = NULL;
    W->out[0] = 0;
    int rc = cluster_ctl(&W->c, W->out, OUT_SZ, argv);
    if (rc != 0)
        printf("# cogovctl %s %s: exit %d\n", argv[0], n > 1 ? argv[1] : "",
               rc);
    return rc;
}

static void
sync_all(void)
{
    assert_int_equal(cluster_sync(&W->c, SYNC_MS), 0);
}

static void
advance(const char *to)
{
    assert_int_equal(ctl("calendar", "advance", "--to", to, NULL), 0);
    sync_all();
}

static long long
supv_q(const char *sql)
{
    return store_query_int(W->c.store[H_SUPV], sql);
}

/* The rounds' periods, comma-separated, in the order they were (last)
 * written. */
static char *
rounds(void)
{
    char *text = h_dump(W->c.store[H_SUPV],
                        "SELECT substr(id, 7) FROM objects WHERE kind='round' "
                        "ORDER BY rowid");
    for (char *p = text; *p; p++)
        if (*p == '\n')
            *p = p[1] ? ',' : 0;
    return text;
}

/* `evaluation show ROUND --json` into W->out; 0 or cogovctl's exit. */
static int
show(const char *round)
{
    return ctl("--json", "evaluation", "show", round, NULL);
}

/* The integer after "key": in W->out from `from` on; -1 if absent. */
static long long
json_int(const char *from, const char *key)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = strstr(from ? from : W->out, pat);
    return p ? strtoll(p + strlen(pat), NULL, 10) : -1;
}

static bool
has(const char *needle)
{
    return strstr(W->out, needle) != NULL;
}

/* A's observed ORDER_CLASS_STUDENTS in the round shown last. */
static long long
a_students(void)
{
    const char *m = strstr(W->out, W->a);
    assert_non_null(m);
    const char *k = strstr(m, "\"key\":\"ORDER_CLASS_STUDENTS\"");
    assert_non_null(k);
    return json_int(k, "observed");
}

static void
progress(const char *report, const char *students)
{
    assert_int_equal(ctl("task", "progress", "T1", "--unit", W->a, "--report",
                         report, "--students", students, NULL),
                     0);
    sync_all();
}

/* round_drafted events of supervision: drafted by a command (causation
 * "req:..."), and by the calendar — each of those caused by a coordination
 * event that must be a calendar_tick. */
static void
drafted(long long *by_command, long long *by_calendar)
{
    *by_command = supv_q("SELECT count(*) FROM outbox WHERE "
                         "type='round_drafted' AND causation_id LIKE 'req:%'");
    char *causes = h_dump(W->c.store[H_SUPV],
                          "SELECT causation_id FROM outbox WHERE "
                          "type='round_drafted' AND causation_id NOT LIKE "
                          "'req:%' ORDER BY seq");
    *by_calendar = 0;
    char *save = NULL;
    for (char *id = strtok_r(causes, "\n", &save); id;
         id = strtok_r(NULL, "\n", &save)) {
        unsigned long long seq = 0;
        if (sscanf(id, "coordination:%llu", &seq) != 1)
            fail_msg("round_drafted caused by %s: neither a command nor a "
                     "coordination event",
                     id);
        char *sql = xasprintf("SELECT count(*) FROM outbox WHERE seq=%llu "
                              "AND type='calendar_tick'",
                              seq);
        if (store_query_int(W->c.store[H_COORD], sql) != 1)
            fail_msg("round_drafted caused by %s, not a calendar_tick", id);
        free(sql);
        (*by_calendar)++;
    }
    free(causes);
}

/* `events tail supervision --json` into W->out. */
static void
supv_events(void)
{
    assert_int_equal(
        ctl("--json", "events", "tail", "supervision", "--max", "1000", NULL),
        0);
}

static bool
log_has(const char *needle)
{
    char *cmd = xasprintf("grep -q -- '%s' '%s'", needle, W->c.log[H_SUPV]);
    int rc = system(cmd);
    free(cmd);
    return rc == 0;
}

/* ---- the world ----------------------------------------------------------- */

static int
setup(void **state)
{
    world_t *w = xcalloc(1, sizeof *w);
    W = w;
    *state = w;
    cluster_t *c = &w->c;
    w->out = xmalloc(OUT_SZ);
    find_root();
    printf("# seed %u (unused: the calendar is manual)\n", test_seed());
    assert_int_equal(cluster_init(c, "rnd"), 0);
    uscc_make(1101, w->a);
    uscc_make(1102, w->b);
    assert_int_equal(cluster_add_principal(
                         c, "chief", "-", "GOV_COORDINATOR,OPERATOR,SUPERVISOR",
                         "*", &w->chief),
                     0);
    assert_int_equal(keys_write(c->keys_dir, "chief", &w->chief), 0);
    assert_int_equal(cluster_ctl_conf_all(c, "chief"), 0);
    assert_int_equal(cluster_start(c, H_COORD), 0);
    assert_int_equal(cluster_start(c, H_SECR), 0);
    assert_int_equal(cluster_start(c, H_SUPV), 0);
    assert_int_equal(ctl("consortium", "found", "--name", "滨江市测试联合体",
                         "--city", "滨江市", "--park", "滨江高新区",
                         "--lead-department", "滨江市教育局", "--founded-on",
                         "2025-01-02", NULL),
                     0);
    advance("2025-01-02 09:00");
    assert_int_equal(ctl("member", "apply", "--uscc", w->a, "--name",
                         "滨江职业技术学院", "--type",
                         "higher_vocational_college", NULL),
                     0);
    assert_int_equal(ctl("member", "apply", "--uscc", w->b, "--name",
                         "滨江精工智能装备集团有限公司", "--type",
                         "leading_enterprise", NULL),
                     0);
    assert_int_equal(ctl("member", "admit", w->a, NULL), 0);
    assert_int_equal(ctl("member", "admit", w->b, NULL), 0);
    assert_int_equal(ctl("task", "create", "--id", "T1", "--title", "订单班",
                         "--kind", "order_class", "--lead", w->a,
                         "--participant", w->b, "--planned", "40", NULL),
                     0);
    assert_int_equal(ctl("task", "approve", "T1", NULL), 0);
    assert_int_equal(ctl("task", "start", "T1", NULL), 0);
    sync_all();
    return 0;
}

static int
teardown(void **state)
{
    world_t *w = *state;
    for (int i = 0; i < H_N; i++)
        if (w->c.pid[i] > 0)
            assert_int_equal(cluster_stop(&w->c, i), 0);
    cluster_destroy(&w->c);
    free(w->out);
    free(w);
    return 0;
}

/* ---- the tests ----------------------------------------------------------- */

/* Q1 ends with no indicator system: nothing to evaluate, and the tick says
 * so; loading indicators later does not bring Q1 back. */
static void
test_skipped_without_indicators(void **state)
{
    (void)state;
    progress("R1", "10"); /* Q1 evidence */
    advance("2025-04-01 00:00");
    assert_int_equal(supv_q("SELECT count(*) FROM objects WHERE kind='round'"),
                     0);
    assert_true(log_has("event=round.auto_skipped period=2025Q1 "));
    char *file = xasprintf("%s/deploy/data/indicators.default", g_root);
    assert_int_equal(ctl("indicator", "load", file, NULL), 0);
    free(file);
    advance("2025-04-02 09:00");
    assert_int_equal(supv_q("SELECT count(*) FROM objects WHERE kind='round'"),
                     0);
}

/* Q2 is drafted by the first tick at its end (exactly 07-01 00:00), from
 * Q2's facts only, and left a draft; the next ticks change nothing. */
static void
test_quarter_drafted_once(void **state)
{
    (void)state;
    progress("R2", "25"); /* Q2 evidence */
    advance("2025-06-30 23:00");
    assert_int_equal(show("round-2025Q2"), 3); /* not yet: NOT_FOUND */
    advance("2025-07-01 00:00");
    assert_int_equal(show("round-2025Q2"), 0);
    assert_true(has("\"status\":\"DRAFT\""));
    assert_int_equal(a_students(), 25);
    assert_int_equal(json_int(NULL, "drafted_at"), 1751299200); /* 07-01 */
    assert_false(has("\"published_at\":1"));
    assert_int_equal(supv_q("SELECT count(*) FROM outbox WHERE "
                            "type='evaluation_published'"),
                     0);
    assert_true(log_has("event=round.drafted round=round-2025Q2 "
                        "by=calendar"));
    /* traceable: one round_drafted, caused by the tick */
    long long cmd, cal;
    drafted(&cmd, &cal);
    assert_int_equal(cmd, 0);
    assert_int_equal(cal, 1);
    supv_events();
    assert_true(has("\"round_id\":\"round-2025Q2\""));
    assert_true(has("\"by\":\"CALENDAR\""));
    char *a = rounds();
    assert_string_equal(a, "2025Q2");
    free(a);

    uint64_t before = store_hash(W->c.store[H_SUPV],
                                 "SELECT * FROM objects WHERE kind='round'");
    progress("R3", "7"); /* Q3 evidence: not Q2's */
    advance("2025-07-02 09:00");
    advance("2025-07-15 09:00");
    assert_int_equal(store_hash(W->c.store[H_SUPV],
                                "SELECT * FROM objects WHERE kind='round'"),
                     before);
}

/* The supervisor's draft of a drafted round recomputes it: the same facts
 * give the same numbers. Reviewed and published, it is frozen. */
static void
test_command_on_drafted_round(void **state)
{
    (void)state;
    assert_int_equal(show("round-2025Q2"), 0);
    long long total = json_int(NULL, "consortium_total");
    assert_int_equal(ctl("--json", "evaluation", "draft", "2025Q2", NULL), 0);
    assert_true(has("\"status\":\"DRAFT\""));
    assert_int_equal(json_int(NULL, "consortium_total"), total);
    assert_int_equal(a_students(), 25);
    assert_int_equal(
        ctl("evaluation", "review", "round-2025Q2", "--note", "核验", NULL), 0);
    assert_int_equal(ctl("evaluation", "publish", "round-2025Q2", NULL), 0);
    assert_int_equal(ctl("evaluation", "draft", "2025Q2", NULL), 5);
    sync_all();
    /* the command's draft: a second round_drafted, caused by the request;
     * the refused one emits nothing */
    long long cmd, cal;
    drafted(&cmd, &cal);
    assert_int_equal(cmd, 1);
    assert_int_equal(cal, 1);
    supv_events();
    assert_true(has("\"by\":\"COMMAND\""));
    assert_int_equal(supv_q("SELECT count(*) FROM outbox WHERE "
                            "type='evaluation_published'"),
                     1);
}

/* Drafts made before their period ended: a DRAFT is recomputed by the tick
 * past the end (facts reported after it count); a REVIEWED one is the
 * supervisor's and stays as it is. */
static void
test_early_drafts(void **state)
{
    (void)state;
    advance("2025-08-01 09:00");
    assert_int_equal(ctl("evaluation", "draft", "2025Q3", NULL), 0);
    assert_int_equal(
        ctl("evaluation", "review", "round-2025Q3", "--note", "预审", NULL), 0);
    advance("2025-11-01 09:00");
    assert_int_equal(ctl("evaluation", "draft", "2025Q4", NULL), 0);
    progress("R4", "11"); /* Q4, after the preview */
    assert_int_equal(show("round-2025Q4"), 0);
    assert_int_equal(a_students(), 0);
    /* past Q3's end only: the reviewed round is left alone */
    uint64_t q3 = store_hash(W->c.store[H_SUPV],
                             "SELECT * FROM objects WHERE id='round-2025Q3'");
    advance("2025-12-01 09:00");
    assert_int_equal(store_hash(W->c.store[H_SUPV],
                                "SELECT * FROM objects WHERE "
                                "id='round-2025Q3'"),
                     q3);
    assert_int_equal(show("round-2025Q3"), 0);
    assert_true(has("\"status\":\"REVIEWED\""));
    assert_int_equal(a_students(), 7);
}

/* One tick far ahead drafts every quarter and year missed, oldest first:
 * the preview of 2025Q4 recomputed, then 2025, 2026Q1..Q4, 2026. */
static void
test_catch_up(void **state)
{
    (void)state;
    advance("2027-02-10 09:00");
    char *a = rounds();
    assert_string_equal(
        a, "2025Q2,2025Q3,2025Q4,2025,2026Q1,2026Q2,2026Q3,2026Q4,2026");
    free(a);
    assert_int_equal(show("round-2025Q4"), 0);
    assert_true(has("\"status\":\"DRAFT\""));
    assert_int_equal(a_students(), 11);
    assert_int_equal(json_int(NULL, "drafted_at"), 1802221200); /* the tick */
    assert_int_equal(show("round-2025"), 0);
    assert_int_equal(a_students(), 10 + 25 + 7 + 11);
    assert_int_equal(show("round-2026Q3"), 0);
    assert_int_equal(a_students(), 0);
    /* still nothing published but the one round the supervisor published */
    assert_int_equal(supv_q("SELECT count(*) FROM outbox WHERE "
                            "type='evaluation_published'"),
                     1);
    assert_int_equal(supv_q("SELECT count(*) FROM objects WHERE "
                            "kind='round' AND status=1"),
                     7); /* DRAFT */
    /* the commands' three (2025Q2, the previews of Q3 and Q4); the tick's:
     * 2025Q2, then the catch-up's seven — the reviewed Q3 left alone */
    long long cmd, cal;
    drafted(&cmd, &cal);
    assert_int_equal(cmd, 3);
    assert_int_equal(cal, 1 + 7);
}

static void
restart_with(const char *setting)
{
    assert_int_equal(cluster_stop(&W->c, H_SUPV), 0);
    char *cmd = xasprintf("sed -i '/^auto_rounds/d' '%s' && echo '%s' >> '%s'",
                          W->c.conf[H_SUPV], setting, W->c.conf[H_SUPV]);
    assert_int_equal(system(cmd), 0);
    free(cmd);
}

/* auto_rounds = year: years only; off: nothing; anything else: supervision
 * refuses to start and says why. */
static void
test_config(void **state)
{
    (void)state;
    restart_with("auto_rounds = year");
    assert_int_equal(cluster_start(&W->c, H_SUPV), 0);
    advance("2028-01-03 09:00");
    char *a = rounds();
    assert_string_equal(a, "2025Q2,2025Q3,2025Q4,2025,2026Q1,2026Q2,2026Q3,"
                           "2026Q4,2026,2027");
    free(a);

    restart_with("auto_rounds = off");
    assert_int_equal(cluster_start(&W->c, H_SUPV), 0);
    advance("2029-01-03 09:00");
    a = rounds();
    assert_string_equal(a, "2025Q2,2025Q3,2025Q4,2025,2026Q1,2026Q2,2026Q3,"
                           "2026Q4,2026,2027");
    free(a);

    restart_with("auto_rounds = monthly");
    assert_int_not_equal(cluster_start(&W->c, H_SUPV), 0);
    W->c.pid[H_SUPV] = 0;
    assert_true(log_has("event=config.invalid key=auto_rounds"));
    /* back to quarters: periods passed while off are not drafted */
    char *cmd = xasprintf("sed -i '/^auto_rounds/d' '%s'", W->c.conf[H_SUPV]);
    assert_int_equal(system(cmd), 0);
    free(cmd);
    assert_int_equal(cluster_start(&W->c, H_SUPV), 0);
    advance("2029-04-01 09:00");
    a = rounds();
    assert_string_equal(a, "2025Q2,2025Q3,2025Q4,2025,2026Q1,2026Q2,2026Q3,"
                           "2026Q4,2026,2027,2029Q1");
    free(a);
}

/* The score of `key` for `member` in the round shown last; the total. */
static long long
score_of(const char *member, const char *key, long long *total)
{
    const char *m = strstr(W->out, member);
    assert_non_null(m);
    *total = json_int(m, "total");
    char pat[64];
    snprintf(pat, sizeof pat, "\"key\":\"%s\"", key);
    const char *k = strstr(m, pat);
    assert_non_null(k);
    return json_int(k, "score");
}

/* An indicator whose target for the unit's type is zero, with no evidence
 * of the unit, and an on-time share with nothing to divide by: excluded
 * with its weight (score -1, "n/a"), the others renormalized; once the unit
 * has evidence it counts again. */
static void
test_not_applicable(void **state)
{
    (void)state;
    char *file = xasprintf("%s/na.ind", W->c.dir);
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    fputs("key=STUDENTS group=substantive weight=50 "
          "source=sum:progress.students_enrolled rule=threshold:10,20 "
          "target=20 target.LEADING_ENTERPRISE=0\n"
          "key=REPORTS group=basic weight=50 source=count:progress.reports "
          "rule=linear target=1\n"
          "key=PLEDGES group=basic weight=20 source=ontime:pledge.on_time "
          "rule=linear target=1000\n",
          f);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(ctl("indicator", "load", file, NULL), 0);
    free(file);
    progress("R9", "20"); /* A, 2029Q2 */
    assert_int_equal(ctl("task", "progress", "T1", "--unit", W->b, "--report",
                         "B1", "--interns", "5", NULL),
                     0);
    sync_all();
    long long total;
    assert_int_equal(ctl("--json", "evaluation", "draft", "2029Q2", NULL), 0);
    assert_int_equal(score_of(W->a, "STUDENTS", &total), 5000);
    assert_int_equal(total, 10000);
    /* B: nothing expected of a leading enterprise, nothing done */
    assert_int_equal(score_of(W->b, "STUDENTS", &total), -1);
    assert_int_equal(total, 10000); /* REPORTS alone, 50 of 50 */
    /* no pledges made: an on-time share of nothing is n/a for both (not 0,
     * which would have made A's total 100 of 120 points) */
    assert_int_equal(score_of(W->a, "PLEDGES", &total), -1);
    assert_int_equal(score_of(W->b, "PLEDGES", &total), -1);
    assert_int_equal(ctl("evaluation", "show", "round-2029Q2", NULL), 0);
    assert_true(has("n/a"));
    /* evidence: the indicator applies again (10 meets one threshold of 2) */
    assert_int_equal(ctl("task", "progress", "T1", "--unit", W->b, "--report",
                         "B2", "--students", "10", NULL),
                     0);
    sync_all();
    assert_int_equal(ctl("--json", "evaluation", "draft", "2029Q2", NULL), 0);
    assert_int_equal(score_of(W->b, "STUDENTS", &total), 2500);
    assert_int_equal(total, 7500);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_skipped_without_indicators),
        cmocka_unit_test(test_quarter_drafted_once),
        cmocka_unit_test(test_command_on_drafted_round),
        cmocka_unit_test(test_early_drafts),
        cmocka_unit_test(test_catch_up),
        cmocka_unit_test(test_config),
        cmocka_unit_test(test_not_applicable),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

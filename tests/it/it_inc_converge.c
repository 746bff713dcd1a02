/* it_inc_converge: incentives converges whatever the interleaving of the
 * streams it follows (DESIGN 2.3), through the real daemons, and a grade
 * penalty is a deduction that is approved, confirmed and explained without
 * ever paying a member less than nothing (issue 6).
 *
 * Coordination, secretariat, supervision and incentives run a seeded
 * stretch of 2025: units report order-class progress (some reports
 * corrected) under a policy with a member-year cap, a grade bonus and a
 * fail penalty; supervision publishes the year's evaluation half way (its
 * thresholds make every unit fail) and progress goes on. Nothing is
 * approved meanwhile. Then two more incentives processes, each with its
 * own store and endpoint (nobody follows them; supervision keeps following
 * the live one), replay both streams from zero in other interleavings:
 *   - one fetching one event at a time (the streams alternate event by
 *     event);
 *   - one that first sees no supervision at all (its supervision endpoint
 *     leads nowhere) until it has applied all of coordination that causal
 *     order lets it, and is then restarted with supervision.
 * Their awards, claims and honours dumps (ids, statuses, amounts, claim
 * versions and cap order; no seq or wall-clock columns) equal the live
 * one's. Then on the live daemon: each penalty's amount is the fail
 * penalty netted against the member's earlier claims (checked from the
 * claims table), approval is refused until the member's awards it comes
 * off are approved, confirmation until they are paid, and the pool's sums
 * stay the entries' sums by status, within 0..budget. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness_req.h"
#include "util.h"

#define NU 4
#define SYNC_MS 60000
#define PENALTY 30000

typedef struct ref {
    char conf[128], store[128], log[128], sock[128];
    pid_t pid;
} ref_t;

typedef struct world {
    cluster_t c;
    keypair_t boss, bureau;
    char unit[NU][19];
    unsigned seed;
} world_t;

static world_t *W;

static const char *policy_text =
    "policy id=conv-2025 version=1 effective=2025-01-01 pool=muni-2025\n"
    "eligible types=enterprise,leading_enterprise\n"
    "cap member_year_fen=60000\n"
    "rate id=students measure=students fen=1000 kinds=order_class\n"
    "grade id=excellent-bonus grade=excellent fen=20000\n"
    "grade id=fail-penalty grade=fail fen=-30000\n"
    "honour id=fail-unit grade=fail title=待改进单位\n";

/* ---- helpers ------------------------------------------------------------- */

static void
nap_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void ctl(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* cogovctl with a printf-made command line split at blanks (no quoting:
 * the arguments here have no blanks). */
static void
ctl(const char *fmt, ...)
{
    char line[1024], out[16384];
    const char *argv[32];
    size_t n = 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    char copy[1024];
    snprintf(copy, sizeof copy, "%s", line);
    for (char *save = NULL, *t = strtok_r(copy, " ", &save);
         t && n < ARRAY_LEN(argv) - 1; t = strtok_r(NULL, " ", &save))
        argv[n++] = t;
    argv[n] = NULL;
    int rc = cluster_ctl(&W->c, out, sizeof out, argv);
    if (rc != 0)
        printf("# cogovctl %s: exit %d: %.400s\n", line, rc, out);
    assert_int_equal(rc, 0);
}

/* cogovctl as another principal (a config naming its key); exit code. */
static int
ctl_as(const char *key, char *out, size_t outsz, const char *const *argv)
{
    char conf[128], saved[128];
    snprintf(saved, sizeof saved, "%s", W->c.ctl_conf);
    snprintf(conf, sizeof conf, "%s/ctl-%s.conf", W->c.dir, key);
    if (access(conf, R_OK) != 0) {
        assert_int_equal(cluster_ctl_conf_all(&W->c, key), 0);
        assert_int_equal(rename(W->c.ctl_conf, conf), 0);
        assert_int_equal(cluster_ctl_conf_all(&W->c, "boss"), 0);
    }
    snprintf(W->c.ctl_conf, sizeof W->c.ctl_conf, "%s", conf);
    int rc = cluster_ctl(&W->c, out, outsz, argv);
    snprintf(W->c.ctl_conf, sizeof W->c.ctl_conf, "%s", saved);
    return rc;
}

/* An integer from incentives' store. */
#define iq(...) h_qint(W->c.store[H_INCE], __VA_ARGS__)

static void
sync_all(void)
{
    h_sync(&W->c, SYNC_MS);
}

static long long
head(int which)
{
    return store_query_int(W->c.store[which],
                           "SELECT coalesce(max(seq), 0) FROM outbox");
}

static long long
cursor(const char *store, const char *producer)
{
    char sql[160];
    snprintf(sql, sizeof sql,
             "SELECT coalesce(max(applied_seq), 0) FROM cursors WHERE "
             "producer = '%s'",
             producer);
    return store_query_int(store, sql);
}

/* Until store's cursor of producer reaches seq, bounded. */
static void
wait_cursor(const char *store, const char *producer, long long seq)
{
    int64_t deadline = now_mono_ms() + SYNC_MS;
    while (cursor(store, producer) != seq) {
        if (now_mono_ms() > deadline) {
            printf("# %s: %s at %lld, not %lld\n", store, producer,
                   cursor(store, producer), seq);
            fail();
        }
        nap_ms(20);
    }
}

/* ---- the replaying incentives -------------------------------------------- */

/* Incentives' config with its own store and endpoint (same keys: the
 * producers serve it as incentives), fetching at most max_events at a time;
 * the producers' endpoints replaced by co_ep and su_ep if not NULL. */
static void
ref_conf(ref_t *r, const char *name, int max_events, const char *co_ep,
         const char *su_ep)
{
    cluster_t *c = &W->c;
    snprintf(r->conf, sizeof r->conf, "%s/%s.conf", c->dir, name);
    snprintf(r->store, sizeof r->store, "%s/%s.db", c->dir, name);
    snprintf(r->log, sizeof r->log, "%s/%s.log", c->dir, name);
    snprintf(r->sock, sizeof r->sock, "ipc://%s/%s.sock", c->dir, name);
    char max[16];
    snprintf(max, sizeof max, "%d", max_events);
    const char *set[12] = {"store", r->store,           "incentives_endpoint",
                           r->sock, "fetch_max_events", max};
    size_t n = 6;
    if (su_ep) {
        set[n++] = "supervision_endpoint";
        set[n++] = su_ep;
    }
    if (co_ep) {
        set[n++] = "coordination_endpoint";
        set[n++] = co_ep;
    }
    h_conf_derive(c, H_INCE, r->conf, set);
}

static void
ref_start(ref_t *r)
{
    r->pid = h_spawn("COGOV_INCENTIVES", r->conf, r->log);
}

static void
ref_stop(ref_t *r)
{
    if (r->pid <= 0)
        return;
    h_reap(r->pid, r->log);
    r->pid = 0;
}

/* The reference's own commands (pools and policies are commands to
 * incentives, not events it follows): given before it hears of any event,
 * with both producers out of reach, then it stops. */
static void
ref_load(ref_t *r, const char *name, const char *policy_path)
{
    cluster_t *c = &W->c;
    char nowhere[160], saved[128];
    snprintf(nowhere, sizeof nowhere, "ipc://%s/nobody.sock", c->dir);
    ref_conf(r, name, 1000, nowhere, nowhere);
    ref_start(r);
    snprintf(saved, sizeof saved, "%s", c->endpoint[H_INCE]);
    snprintf(c->endpoint[H_INCE], sizeof c->endpoint[H_INCE], "%s", r->sock);
    assert_int_equal(cluster_ctl_conf_all(c, "boss"), 0);
    ctl("pool create muni-2025 --source municipal-finance --year 2025 "
        "--budget-fen 5000000");
    ctl("policy load %s", policy_path);
    snprintf(c->endpoint[H_INCE], sizeof c->endpoint[H_INCE], "%s", saved);
    assert_int_equal(cluster_ctl_conf_all(c, "boss"), 0);
    ref_stop(r);
}

/* Until the reference's cursors reach (co, su), bounded. */
static void
ref_wait(ref_t *r, long long co, long long su)
{
    int64_t deadline = now_mono_ms() + SYNC_MS;
    for (;;) {
        long long a = 0, b = 0;
        if (access(r->store, R_OK) == 0) {
            a = cursor(r->store, "coordination");
            b = cursor(r->store, "supervision");
        }
        if (a == co && b == su)
            return;
        int st;
        assert_int_not_equal(waitpid(r->pid, &st, WNOHANG), r->pid);
        if (now_mono_ms() > deadline) {
            printf("# %s at %lld/%lld of %lld/%lld; see %s\n", r->conf, a, b,
                   co, su, r->log);
            fail();
        }
        nap_ms(20);
    }
}

/* The last coordination seq applicable without any supervision event: the
 * one before the first event recorded after coordination had applied some
 * of supervision's stream (causal order holds the rest back). */
static long long
coord_without_supervision(void)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *q = NULL;
    long long last = 0;
    assert_int_equal(
        sqlite3_open_v2(W->c.store[H_COORD], &db, SQLITE_OPEN_READONLY, NULL),
        SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT seq, event FROM outbox "
                                        "ORDER BY seq",
                                        -1, &q, NULL),
                     SQLITE_OK);
    while (sqlite3_step(q) == SQLITE_ROW) {
        Cogov__V1__Event *ev =
            cogov__v1__event__unpack(NULL, (size_t)sqlite3_column_bytes(q, 1),
                                     sqlite3_column_blob(q, 1));
        bool waits = false;
        assert_non_null(ev);
        for (size_t i = 0; i < ev->n_after; i++)
            if (ev->after[i]->producer &&
                strcmp(ev->after[i]->producer, "supervision") == 0 &&
                ev->after[i]->seq > 0)
                waits = true;
        cogov__v1__event__free_unpacked(ev, NULL);
        if (waits)
            break;
        last = sqlite3_column_int64(q, 0);
    }
    sqlite3_finalize(q);
    sqlite3_close(db);
    return last;
}

/* ---- canonical dumps ----------------------------------------------------- */

static const char *const dumps[][2] = {
    {"awards", "SELECT award_id, status, member_id, pool_id, policy_id, year, "
               "coalesce(report_id, ''), amount, occurred_at, source_event, "
               "coalesce(claim_id, ''), coalesce(ver, '') FROM awards "
               "ORDER BY award_id"},
    {"claims", "SELECT claim_id, policy_id, policy_version, rule_id, "
               "coalesce(chain, ''), member_id, year, ckey, counts, alloc "
               "FROM claims ORDER BY claim_id"},
    {"honours", "SELECT honour_id, member_id FROM honours ORDER BY honour_id"},
    {"pools", "SELECT pool_id, budget, approved, disbursed FROM pools "
              "ORDER BY pool_id"},
    {"report roots", "SELECT report_id, root FROM report_roots ORDER BY "
                     "report_id"},
};

static void
same(const char *ref_store, const char *who)
{
    for (size_t k = 0; k < ARRAY_LEN(dumps); k++) {
        char *a = h_dump(W->c.store[H_INCE], dumps[k][1]);
        char *b = h_dump(ref_store, dumps[k][1]);
        printf("# %s %s: %zu rows (live) / %zu\n", who, dumps[k][0], h_lines(a),
               h_lines(b));
        if (strcmp(a, b) != 0) {
            const char *p = a, *q = b;
            while (*p && *p == *q)
                p++, q++;
            while (p > a && p[-1] != '\n')
                p--, q--;
            printf("# %s differ:\n#  live: %.200s\n#  %s: %.200s\n",
                   dumps[k][0], p, who, q);
        }
        assert_string_equal(a, b);
        free(a);
        free(b);
    }
}

/* ---- the world ----------------------------------------------------------- */

static int
setup(void **state)
{
    world_t *w = xcalloc(1, sizeof *w);
    cluster_t *c = &w->c;
    W = w;
    *state = w;
    w->seed = test_seed();
    printf("# seed %u (COGOV_SEED)\n", w->seed);
    assert_int_equal(cluster_init(c, "incc"), 0);
    assert_int_equal(cluster_add_principal(c, "boss", "-",
                                           "GOV_COORDINATOR,SUPERVISOR,"
                                           "FINANCE_OFFICER,OPERATOR,"
                                           "SECRETARIAT",
                                           "-", &w->boss),
                     0);
    assert_int_equal(cluster_add_principal(c, "bureau", "-", "BUREAU_SYSTEM",
                                           "-", &w->bureau),
                     0);
    assert_int_equal(keys_write(c->keys_dir, "boss", &w->boss), 0);
    assert_int_equal(keys_write(c->keys_dir, "bureau", &w->bureau), 0);
    assert_int_equal(cluster_ctl_conf_all(c, "boss"), 0);
    /* thresholds no unit reaches: every graded unit fails */
    FILE *f = fopen(c->conf[H_SUPV], "a");
    assert_non_null(f);
    fputs("grade_excellent = 100\ngrade_good = 100\ngrade_pass = 100\n", f);
    fclose(f);
    for (int i = 0; i < H_N; i++)
        assert_int_equal(cluster_start(c, i), 0);
    return 0;
}

static int
teardown(void **state)
{
    world_t *w = *state;
    if (w == NULL)
        return 0;
    h_stop_all(&w->c);
    cluster_destroy(&w->c);
    free(w);
    return 0;
}

/* A seeded stretch of 2025 with the evaluation half way; no approvals. */
static void
scenario(world_t *w)
{
    static const char *const names[NU] = {"滨江精工有限公司", "滨江机械集团",
                                          "滨江数控装备有限公司",
                                          "滨江智能制造有限公司"};
    char pol[160];
    unsigned r = w->seed;
    int reports[NU] = {0};
    char last[NU][32] = {{0}};

    ctl("consortium found --name 滨江市智能制造市域产教联合体 --city 滨江市 "
        "--park 滨江高新区 --lead-department 滨江市教育局 "
        "--founded-on 2025-01-01");
    for (int u = 0; u < NU; u++) {
        uscc_make(831 + (unsigned)u, w->unit[u]);
        ctl("member apply --uscc %s --name %s --type %s", w->unit[u], names[u],
            u % 2 ? "leading_enterprise" : "enterprise");
        ctl("member admit %s", w->unit[u]);
    }
    ctl("pool create muni-2025 --source municipal-finance --year 2025 "
        "--budget-fen 5000000");
    snprintf(pol, sizeof pol, "%s/conv.policy", w->c.dir);
    FILE *f = fopen(pol, "w");
    assert_non_null(f);
    fputs(policy_text, f);
    fclose(f);
    ctl("policy load %s", pol);
    char path[256];
    snprintf(path, sizeof path, "%s", __FILE__);
    char *slash = strstr(path, "/tests/it/");
    assert_non_null(slash);
    snprintf(slash, sizeof path - (size_t)(slash - path),
             "/deploy/data/indicators.default");
    ctl("indicator load %s", path);
    for (int u = 0; u < NU; u++) {
        ctl("task create --id t-%d --title 订单班%d --kind order_class "
            "--lead %s --planned 100 --quantity-unit 人",
            u, u, w->unit[u]);
        ctl("task approve t-%d", u);
        ctl("task start t-%d", u);
    }
    for (int month = 2; month <= 11; month++) {
        ctl("calendar advance --to 2025-%02d-03", month);
        if (month == 7) {
            /* the evaluation and this month's reports concurrent: published
             * while coordination is down, the reports filed while
             * supervision is; the live incentives takes the reports first */
            sync_all();
            assert_int_equal(cluster_stop(&w->c, H_INCE), 0);
            assert_int_equal(cluster_stop(&w->c, H_COORD), 0);
            ctl("evaluation draft 2025");
            ctl("evaluation review round-2025 --note 已核对");
            ctl("evaluation publish round-2025");
            assert_int_equal(cluster_stop(&w->c, H_SUPV), 0);
            assert_int_equal(cluster_start(&w->c, H_COORD), 0);
        }
        for (int k = 0; k < 3; k++) {
            int u = (int)(rand_r(&r) % NU);
            int students = 1 + (int)(rand_r(&r) % 30);
            char id[32];
            if (reports[u] > 0 && rand_r(&r) % 4 == 0) {
                /* a correction of the chain's latest report */
                snprintf(id, sizeof id, "R%dc%d", reports[u], month * 10 + k);
                ctl("task progress t-%d --member %s --report %s --students %d "
                    "--corrects %s",
                    u, w->unit[u], id, students, last[u]);
            } else {
                snprintf(id, sizeof id, "R%d", ++reports[u]);
                ctl("task progress t-%d --member %s --report %s --students %d",
                    u, w->unit[u], id, students);
            }
            snprintf(last[u], sizeof last[u], "%s", id);
        }
        if (month == 7) {
            assert_int_equal(cluster_start(&w->c, H_INCE), 0);
            wait_cursor(w->c.store[H_INCE], "coordination", head(H_COORD));
            assert_int_equal(cluster_start(&w->c, H_SUPV), 0);
            sync_all();
        }
    }
    sync_all();
}

static void
test_converge(void **state)
{
    world_t *w = *state;
    ref_t one = {0}, held = {0};
    char nowhere[160], pol[160];

    scenario(w);
    long long co = head(H_COORD), su = head(H_SUPV);
    printf("# streams: coordination %lld events, supervision %lld\n", co, su);
    long long penalties = iq("SELECT count(*) FROM awards WHERE award_id LIKE "
                             "'conv-2025:fail-penalty@%%'");
    printf("# live: %lld awards, %lld penalties, %lld claims\n",
           iq("SELECT count(*) FROM awards"), penalties,
           iq("SELECT count(*) FROM claims"));
    assert_true(penalties > 0);
    assert_int_equal(iq("SELECT count(*) FROM dead_letters"), 0);

    snprintf(pol, sizeof pol, "%s/conv.policy", w->c.dir);
    /* one event at a time: the streams alternate event by event */
    ref_load(&one, "ref-one", pol);
    ref_conf(&one, "ref-one", 1, NULL, NULL);
    ref_start(&one);
    /* supervision held back, then let in */
    snprintf(nowhere, sizeof nowhere, "ipc://%s/nobody.sock", w->c.dir);
    ref_load(&held, "ref-held", pol);
    ref_conf(&held, "ref-held", 1000, NULL, nowhere);
    ref_start(&held);
    long long alone = coord_without_supervision();
    printf("# held back: coordination alone up to %lld of %lld\n", alone, co);
    assert_true(alone > 0);
    ref_wait(&held, alone, 0);
    ref_stop(&held);
    ref_conf(&held, "ref-held", 1000, NULL, NULL);
    ref_start(&held);
    ref_wait(&held, co, su);
    ref_wait(&one, co, su);
    same(one.store, "one-at-a-time");
    same(held.store, "supervision-held-back");
    assert_int_equal(
        store_query_int(held.store, "SELECT count(*) FROM dead_letters"), 0);
    ref_stop(&one);
    ref_stop(&held);
}

/* The sum of the alloc of member's counting claims of the policy in the
 * year before ckey: what a penalty at ckey is netted against. */
static long long
net_before(const char *member, const char *ckey)
{
    return iq("SELECT coalesce(sum(alloc), 0) FROM claims WHERE policy_id = "
              "'conv-2025' AND member_id = '%s' AND year = 2025 AND counts "
              "AND ckey < '%s'",
              member, ckey);
}

static void
pool_balances(void)
{
    assert_int_equal(iq("SELECT approved FROM pools"),
                     iq("SELECT coalesce(sum(amount), 0) FROM awards WHERE "
                        "status = 2"));
    assert_int_equal(iq("SELECT disbursed FROM pools"),
                     iq("SELECT coalesce(sum(amount), 0) FROM awards WHERE "
                        "status = 3"));
    assert_int_equal(iq("SELECT count(*) FROM pools WHERE approved + disbursed "
                        "< 0 OR approved + disbursed > budget OR disbursed < "
                        "0 OR disbursed > budget"),
                     0);
    /* no member is owed, or paid, less than nothing */
    assert_int_equal(
        iq("SELECT count(*) FROM (SELECT member_id FROM awards GROUP BY "
           "member_id, pool_id, year HAVING sum(CASE WHEN status IN (2, 3) "
           "THEN amount ELSE 0 END) < 0 OR sum(CASE WHEN status = 3 THEN "
           "amount ELSE 0 END) < 0)"),
        0);
}

static void
award_cmd(const char *key, const char *verb, const char *id, int want)
{
    char out[8192];
    const char *argv[6] = {"award", verb, id, NULL, NULL, NULL};
    if (strcmp(verb, "disburse") == 0) {
        argv[3] = "--payment-ref";
        argv[4] = "PAY-2025-CONV";
    }
    int rc = ctl_as(key, out, sizeof out, argv);
    if ((rc == 0) != (want == 0))
        printf("# award %s %s: exit %d: %.300s\n", verb, id, rc, out);
    assert_int_equal(rc == 0, want == 0);
}

/* Ids of a member's awards matching `where`, in cap order. */
static size_t
ids(const char *member, const char *where, char out[][200], size_t max)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *q = NULL;
    char sql[512];
    size_t n = 0;
    snprintf(sql, sizeof sql,
             "SELECT a.award_id FROM awards a JOIN claims c ON c.claim_id = "
             "a.claim_id WHERE a.member_id = '%s' AND %s ORDER BY c.ckey, "
             "a.ver",
             member, where);
    assert_int_equal(
        sqlite3_open_v2(W->c.store[H_INCE], &db, SQLITE_OPEN_READONLY, NULL),
        SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK);
    while (n < max && sqlite3_step(q) == SQLITE_ROW)
        snprintf(out[n++], 200, "%s", sqlite3_column_text(q, 0));
    sqlite3_finalize(q);
    sqlite3_close(db);
    return n;
}

static void
test_penalty(void **state)
{
    world_t *w = *state;
    char pen[4][200], pos[64][200], out[16384];
    int checked = 0;

    (void)w;
    for (int u = 0; u < NU; u++) {
        const char *m = w->unit[u];
        if (ids(m, "a.award_id LIKE 'conv-2025:fail-penalty@%'", pen, 1) == 0)
            continue;
        long long amount =
            iq("SELECT amount FROM awards WHERE award_id = '%s'", pen[0]);
        char ckey[160];
        {
            sqlite3 *db = NULL;
            sqlite3_stmt *q = NULL;
            assert_int_equal(sqlite3_open_v2(w->c.store[H_INCE], &db,
                                             SQLITE_OPEN_READONLY, NULL),
                             SQLITE_OK);
            assert_int_equal(
                sqlite3_prepare_v2(db,
                                   "SELECT ckey FROM claims WHERE claim_id = ?",
                                   -1, &q, NULL),
                SQLITE_OK);
            sqlite3_bind_text(q, 1, pen[0], -1, SQLITE_STATIC);
            assert_int_equal(sqlite3_step(q), SQLITE_ROW);
            snprintf(ckey, sizeof ckey, "%s", sqlite3_column_text(q, 0));
            sqlite3_finalize(q);
            sqlite3_close(db);
        }
        long long before = net_before(m, ckey);
        long long want = before > PENALTY ? -PENALTY : -before;
        printf("# %s: penalty %lld fen, earlier claims %lld fen\n", pen[0],
               amount, before);
        assert_int_equal(amount, want);
        const char *ex[] = {"award", "explain", pen[0], NULL};
        assert_int_equal(cluster_ctl(&w->c, out, sizeof out, ex), 0);
        assert_non_null(strstr(out, "penalty  -30000 fen"));
        assert_non_null(strstr(out, "netted against"));
        if (amount == 0)
            continue;
        /* nothing of the member's approved yet: the deduction waits */
        award_cmd("boss", "review", pen[0], 0);
        award_cmd("boss", "approve", pen[0], 1);
        assert_int_equal(
            iq("SELECT status FROM awards WHERE award_id = '%s'", pen[0]), 1);
        /* the member's awards before it in cap order, approved */
        char where[400];
        snprintf(where, sizeof where,
                 "a.amount > 0 AND a.status = 1 AND c.ckey < '%s'", ckey);
        size_t n = ids(m, where, pos, ARRAY_LEN(pos));
        assert_true(n > 0);
        for (size_t i = 0; i < n; i++) {
            award_cmd("boss", "review", pos[i], 0);
            award_cmd("boss", "approve", pos[i], 0);
        }
        pool_balances();
        /* reviewed once already; approval goes through now */
        award_cmd("boss", "approve", pen[0], 0);
        assert_int_equal(
            iq("SELECT status FROM awards WHERE award_id = '%s'", pen[0]), 2);
        pool_balances();
        /* recovered only from what was paid */
        award_cmd("bureau", "disburse", pen[0], 1);
        for (size_t i = 0; i < n; i++)
            award_cmd("bureau", "disburse", pos[i], 0);
        award_cmd("bureau", "disburse", pen[0], 0);
        pool_balances();
        assert_true(iq("SELECT sum(amount) FROM awards WHERE member_id = '%s' "
                       "AND status = 3",
                       m) >= 0);
        checked++;
    }
    printf("# %d penalties approved and confirmed\n", checked);
    assert_true(checked > 0);
    sync_all();
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_converge),
        cmocka_unit_test(test_penalty),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

/* it_e2e: the demonstration year (deploy/demo/scenario.sh) through the four
 * real daemons, asserting its outcomes from the stores; then the same year
 * again while daemons are killed with SIGKILL at seeded random moments and
 * restarted, asserting every store ends in the same state (DESIGN §2.3),
 * ignoring sequence numbers, request and correlation ids and wall-clock
 * stamps. COGOV_SEED repeats a run; COGOV_KEEP keeps the directories. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "util.h"

#define SCENARIO_MS 240000 /* the whole year, faults included */

static void
nap_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static char g_root[512]; /* the source tree, from this file's path */

static void
find_root(void)
{
    snprintf(g_root, sizeof(g_root), "%s", __FILE__);
    char *p = strstr(g_root, "/tests/it/");
    if (p != NULL)
        *p = 0;
    else
        snprintf(g_root, sizeof(g_root), ".");
}

/* ---- the canonical dump ----------------------------------------------- */

/* Columns that differ between two runs of the same inputs by design:
 * sequence numbers, request/correlation ids (random per cogovctl call),
 * wall-clock stamps. */
static bool
ignored_column(const char *table, const char *col)
{
    static const char *const names[] = {"causation_id", "correlation_id",
                                        "request_id", "recorded_at"};
    for (size_t i = 0; i < ARRAY_LEN(names); i++)
        if (strcmp(col, names[i]) == 0)
            return true;
    size_t n = strlen(col);
    if (n >= 3 && strcmp(col + n - 3, "seq") == 0)
        return true;
    /* member_history's AUTOINCREMENT key counts rows in arrival order */
    return strcmp(table, "member_history") == 0 && strcmp(col, "id") == 0;
}

static bool
ignored_table(const char *t)
{
    static const char *const names[] = {"meta",         "outbox",
                                        "cursors",      "replies",
                                        "dead_letters", "sqlite_sequence"};
    for (size_t i = 0; i < ARRAY_LEN(names); i++)
        if (strcmp(t, names[i]) == 0)
            return true;
    return false;
}

typedef struct lines {
    char **v;
    size_t n, cap;
} lines_t;

static void
lines_add(lines_t *l, char *s)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 256;
        l->v = realloc(l->v, l->cap * sizeof(*l->v));
        assert_non_null(l->v);
    }
    l->v[l->n++] = s;
}

static void
lines_free(lines_t *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    memset(l, 0, sizeof(*l));
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
append(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
    if (*len + n + 1 > *cap) {
        *cap = (*len + n + 1) * 2;
        *buf = realloc(*buf, *cap);
        assert_non_null(*buf);
    }
    memcpy(*buf + *len, s, n);
    *len += n;
    (*buf)[*len] = 0;
}

/* Every row of every domain table as "table|col=value|…", sorted. */
static void
store_dump(const char *path, lines_t *out)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL),
                     SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    sqlite3_stmt *t = NULL;
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT name FROM sqlite_master WHERE "
                                        "type='table' ORDER BY name",
                                        -1, &t, NULL),
                     SQLITE_OK);
    while (sqlite3_step(t) == SQLITE_ROW) {
        const char *table = (const char *)sqlite3_column_text(t, 0);
        if (ignored_table(table))
            continue;
        char *sql = xasprintf("SELECT * FROM \"%s\"", table);
        sqlite3_stmt *q = NULL;
        assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK);
        free(sql);
        while (sqlite3_step(q) == SQLITE_ROW) {
            char *row = NULL;
            size_t len = 0, cap = 0;
            append(&row, &len, &cap, table, strlen(table));
            for (int i = 0; i < sqlite3_column_count(q); i++) {
                const char *col = sqlite3_column_name(q, i);
                if (ignored_column(table, col))
                    continue;
                append(&row, &len, &cap, "|", 1);
                append(&row, &len, &cap, col, strlen(col));
                append(&row, &len, &cap, "=", 1);
                if (sqlite3_column_type(q, i) == SQLITE_BLOB) {
                    const unsigned char *b = sqlite3_column_blob(q, i);
                    int n = sqlite3_column_bytes(q, i);
                    for (int k = 0; k < n; k++) {
                        char hex[3];
                        snprintf(hex, sizeof(hex), "%02x", b[k]);
                        append(&row, &len, &cap, hex, 2);
                    }
                } else if (sqlite3_column_type(q, i) == SQLITE_NULL) {
                    append(&row, &len, &cap, "NULL", 4);
                } else {
                    const char *v = (const char *)sqlite3_column_text(q, i);
                    append(&row, &len, &cap, v, strlen(v));
                }
            }
            lines_add(out, row);
        }
        sqlite3_finalize(q);
    }
    sqlite3_finalize(t);
    sqlite3_close(db);
    qsort(out->v, out->n, sizeof(*out->v), cmp_str);
}

/* Print what differs (bounded) and return how many lines differ. */
static size_t
dump_diff(const char *name, const lines_t *a, const lines_t *b)
{
    size_t i = 0, j = 0, diffs = 0;
    while (i < a->n || j < b->n) {
        int c = i == a->n ? 1 : j == b->n ? -1 : strcmp(a->v[i], b->v[j]);
        if (c == 0) {
            i++, j++;
            continue;
        }
        if (diffs++ < 20)
            fprintf(stderr, "%s %s %.400s\n", name, c < 0 ? "-" : "+",
                    c < 0 ? a->v[i] : b->v[j]);
        if (c < 0)
            i++;
        else
            j++;
    }
    return diffs;
}

/* ---- running the scenario --------------------------------------------- */

static void
setup(cluster_t *c, const char *tag)
{
    assert_int_equal(cluster_init(c, tag), 0);
    assert_int_equal(cluster_ctl_conf_all(c, "operator"), 0);
    /* the demonstration's grade thresholds */
    char *cmd = xasprintf("cat '%s/deploy/demo/supervision.conf' >> '%s'",
                          g_root, c->conf[H_SUPV]);
    assert_int_equal(system(cmd), 0);
    free(cmd);
    cmd = xasprintf("ALLOW_LIST='%s' '%s/deploy/demo/scenario.sh' people '%s'",
                    c->allow, g_root, c->ctl_conf);
    assert_int_equal(system(cmd), 0);
    free(cmd);
    for (int i = 0; i < H_N; i++)
        assert_int_equal(cluster_start(c, i), 0);
}

static pid_t
spawn_year(cluster_t *c)
{
    char *log = xasprintf("%s/scenario.log", c->dir);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        setpgid(0, 0);
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        setenv("COGOV_SCENARIO_VERBOSE", "0", 1);
        setenv("TMPDIR", c->dir, 1);
        char *script = xasprintf("%s/deploy/demo/scenario.sh", g_root);
        execl("/bin/bash", "bash", script, "year", c->ctl_conf, (char *)NULL);
        _exit(127);
    }
    setpgid(pid, pid);
    free(log);
    return pid;
}

/* Wait for the scenario (bounded); kill its process group on timeout. */
static int
reap_year(cluster_t *c, pid_t pid, int64_t deadline)
{
    int st = 0;
    for (;;) {
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid)
            break;
        if (now_mono_ms() > deadline) {
            kill(-pid, SIGKILL);
            waitpid(pid, &st, 0);
            fprintf(stderr, "scenario timed out\n");
            break;
        }
        nap_ms(20);
    }
    int code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    if (code != 0) {
        char *cmd = xasprintf("tail -n 20 '%s/scenario.log' >&2", c->dir);
        if (system(cmd) != 0)
            fprintf(stderr, "(no scenario log)\n");
        free(cmd);
    }
    return code;
}

static long long
q(cluster_t *c, int which, const char *sql)
{
    return store_query_int(c->store[which], sql);
}

/* The fault-free run's dumps, compared by the fault run. */
static lines_t g_dump[H_N];
static bool g_have_dump;

static void
check_outcomes(cluster_t *c)
{
    /* nothing a reaction could not apply */
    for (int i = 0; i < H_N; i++)
        assert_int_equal(q(c, i, "SELECT count(*) FROM dead_letters"), 0);
    /* coordination: 25 units admitted, one exited; five tasks (three
     * planned, one from a match, one from a resolution), three completed;
     * four cases: the unanswered inquiry, the overdue rectification and
     * the standing recommendations its veto causes */
    assert_int_equal(q(c, H_COORD, "SELECT count(*) FROM members"), 25);
    assert_int_equal(q(c, H_COORD, "SELECT count(*) FROM tasks"), 5);
    assert_int_equal(q(c, H_COORD,
                       "SELECT count(*) FROM tasks WHERE "
                       "resolution_id = 'res:M2025-01'"),
                     1);
    assert_int_equal(q(c, H_COORD, "SELECT count(*) FROM matches"), 1);
    assert_int_equal(q(c, H_COORD, "SELECT count(*) FROM escalations"), 4);
    assert_int_equal(q(c, H_COORD,
                       "SELECT count(DISTINCT source) FROM "
                       "escalations"),
                     3);
    /* incentives: the pool is capped — what was paid and what queues add
     * up to more than it holds */
    assert_int_equal(q(c, H_INCE, "SELECT budget FROM pools"), 20000000);
    assert_int_equal(q(c, H_INCE, "SELECT disbursed FROM pools"), 18150000);
    assert_int_equal(q(c, H_INCE, "SELECT approved FROM pools"), 0);
    assert_int_equal(q(c, H_INCE, "SELECT count(*) FROM awards"), 10);
    assert_int_equal(q(c, H_INCE, "SELECT sum(amount) FROM awards"),
                     18150000 + 3000000 + 6240000);
    /* secretariat: one welcome per admission, one farewell, a pool_low
     * and a pool_exhausted notice to the council, two rectification
     * notices, the results of four rounds to every unit evaluated */
    assert_int_equal(q(c, H_SECR,
                       "SELECT count(*) FROM notices WHERE "
                       "notice_id LIKE 'welcome:%'"),
                     25);
    assert_int_equal(q(c, H_SECR,
                       "SELECT count(*) FROM notices WHERE "
                       "notice_id LIKE 'farewell:%'"),
                     1);
    assert_int_equal(q(c, H_SECR,
                       "SELECT count(*) FROM notices WHERE "
                       "notice_id LIKE 'pool_%'"),
                     2);
    assert_int_equal(q(c, H_SECR,
                       "SELECT count(*) FROM notices WHERE "
                       "notice_id LIKE 'rectification:%'"),
                     2);
    assert_int_equal(q(c, H_SECR,
                       "SELECT count(*) FROM notices WHERE "
                       "notice_id LIKE 'evaluation:%'"),
                     25 + 25 + 25 + 24);
    /* supervision: four published rounds, two rectification orders */
    assert_int_equal(q(c, H_SUPV,
                       "SELECT count(*) FROM objects WHERE "
                       "kind = 'round'"),
                     4);
    assert_int_equal(q(c, H_SUPV,
                       "SELECT count(*) FROM objects WHERE "
                       "kind = 'rect'"),
                     2);
}

static void
test_year(void **state)
{
    (void)state;
    cluster_t c;
    setup(&c, "e2e");
    pid_t pid = spawn_year(&c);
    assert_int_equal(reap_year(&c, pid, now_mono_ms() + SCENARIO_MS), 0);
    assert_int_equal(cluster_sync(&c, 30000), 0);
    check_outcomes(&c);
    for (int i = 0; i < H_N; i++)
        store_dump(c.store[i], &g_dump[i]);
    g_have_dump = true;
    for (int i = 0; i < H_N; i++)
        assert_int_equal(cluster_stop(&c, i), 0);
    cluster_destroy(&c);
}

static void
test_year_with_kills(void **state)
{
    (void)state;
    assert_true(g_have_dump);
    unsigned seed = test_seed();
    srand(seed);
    cluster_t c;
    setup(&c, "e2ek");
    pid_t pid = spawn_year(&c);
    int64_t deadline = now_mono_ms() + SCENARIO_MS;
    int kills = 0;
    for (;;) {
        /* the next fault: 50..400 ms from now, one daemon at random */
        int64_t at = now_mono_ms() + 50 + rand() % 350;
        int which = rand() % H_N;
        int st;
        pid_t r = 0;
        while (now_mono_ms() < at && (r = waitpid(pid, &st, WNOHANG)) == 0)
            nap_ms(5);
        if (r == pid) {
            /* reap_year reports its status: hand it back */
            if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
                char *cmd =
                    xasprintf("tail -n 20 '%s/scenario.log' >&2", c.dir);
                if (system(cmd) != 0)
                    fprintf(stderr, "(no scenario log)\n");
                free(cmd);
            }
            assert_true(WIFEXITED(st));
            assert_int_equal(WEXITSTATUS(st), 0);
            break;
        }
        assert_true(now_mono_ms() < deadline);
        cluster_kill(&c, which);
        kills++;
        assert_int_equal(cluster_start(&c, which), 0);
    }
    printf("# seed %u: %d kills\n", seed, kills);
    assert_true(kills > 0);
    assert_int_equal(cluster_sync(&c, 30000), 0);
    check_outcomes(&c);
    size_t diffs = 0;
    for (int i = 0; i < H_N; i++) {
        lines_t d = {0};
        store_dump(c.store[i], &d);
        diffs += dump_diff(h_names[i], &g_dump[i], &d);
        lines_free(&d);
    }
    if (diffs != 0)
        fprintf(stderr, "seed %u: %zu rows differ (- fault-free, + faults)\n",
                seed, diffs);
    assert_int_equal(diffs, 0);
    for (int i = 0; i < H_N; i++)
        assert_int_equal(cluster_stop(&c, i), 0);
    cluster_destroy(&c);
    for (int i = 0; i < H_N; i++)
        lines_free(&g_dump[i]);
}

int
main(void)
{
    find_root();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_year),
        cmocka_unit_test(test_year_with_kills),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

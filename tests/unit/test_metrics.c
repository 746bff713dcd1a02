/* test_metrics: the Prometheus writer produces text the strict checker
 * accepts (and promtool when installed); the checker refuses what the format
 * forbids; counters, escaping, the histogram and the atomic file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "metrics.h"
#include "util.h"

static char *
render(const metrics_t *m, const metrics_view_t *v)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    assert_int_equal(metrics_write(m, v, f), 0);
    fclose(f);
    return buf;
}

static void
sample_view(metrics_view_t *v, metrics_cursor_t *cur)
{
    cur[0] = (metrics_cursor_t){"coordination", 40, 42};
    cur[1] = (metrics_cursor_t){"secretariat", 7, 7};
    *v = (metrics_view_t){.version = "0.1.0",
                          .uptime_s = 5,
                          .head = 12,
                          .epoch = 1,
                          .store_bytes = 4096,
                          .denials_total = 5,
                          .dead_letters = 1,
                          .cursors = cur,
                          .n_cursors = 2};
}

static void
assert_has(const char *text, const char *line)
{
    if (strstr(text, line) == NULL) {
        printf("# missing: %s\n# in:\n%s\n", line, text);
        fail();
    }
}

static void
test_write_valid(void **state)
{
    (void)state;
    metrics_t *m = metrics_new("incentives");
    metrics_count_request(m, "apply_member", "ok");
    metrics_count_request(m, "apply_member", "ok");
    metrics_count_request(m, "apply_member", "invalid");
    metrics_count_reject(m, "malformed");
    metrics_count_denial(m, "role");
    metrics_count_denial(m, "role");
    metrics_observe_commit(m, 0.0002);
    metrics_observe_commit(m, 0.003);
    metrics_observe_commit(m, 30.0);
    metrics_view_t v;
    metrics_cursor_t cur[2];
    sample_view(&v, cur);
    char *text = render(m, &v);
    char err[256] = "";
    int rc = metrics_check(text, err, sizeof(err));
    if (rc != 0)
        printf("# %s\n%s", err, text);
    assert_int_equal(rc, 0);
    assert_has(text, "cogov_requests_total{service=\"incentives\",type=\"apply_"
                     "member\",outcome=\"ok\"} 2\n");
    assert_has(text, "cogov_requests_total{service=\"incentives\",type=\"apply_"
                     "member\",outcome=\"invalid\"} 1\n");
    assert_has(
        text,
        "cogov_rejects_total{service=\"incentives\",reason=\"malformed\"} 1\n");
    assert_has(text,
               "cogov_denials_total{service=\"incentives\",kind=\"role\"} 2\n");
    /* 5 denials in all, 2 counted by kind: the other 3 are ZAP's */
    assert_has(text,
               "cogov_denials_total{service=\"incentives\",kind=\"zap\"} 3\n");
    assert_has(text, "cogov_cursor_lag{service=\"incentives\",producer="
                     "\"coordination\"} 2\n");
    assert_has(text, "cogov_cursor_lag{service=\"incentives\",producer="
                     "\"secretariat\"} 0\n");
    assert_has(text, "cogov_stream_head{service=\"incentives\"} 12\n");
    assert_has(text, "cogov_commit_duration_seconds_bucket{service="
                     "\"incentives\",le=\"0.0005\"} 1\n");
    assert_has(text, "cogov_commit_duration_seconds_bucket{service="
                     "\"incentives\",le=\"0.005\"} 2\n");
    assert_has(text, "cogov_commit_duration_seconds_bucket{service="
                     "\"incentives\",le=\"2.5\"} 2\n");
    assert_has(text, "cogov_commit_duration_seconds_bucket{service="
                     "\"incentives\",le=\"+Inf\"} 3\n");
    assert_has(
        text,
        "cogov_commit_duration_seconds_count{service=\"incentives\"} 3\n");
    assert_true(metrics_rss_bytes() > 0);
    free(text);
    metrics_destroy(&m);
    assert_null(m);
}

static void
test_escaping(void **state)
{
    (void)state;
    metrics_t *m = metrics_new("a\"b\\c");
    metrics_count_reject(m, "line\nbreak");
    metrics_view_t v;
    metrics_cursor_t cur[2];
    sample_view(&v, cur);
    char *text = render(m, &v);
    char err[256] = "";
    assert_int_equal(metrics_check(text, err, sizeof(err)), 0);
    assert_has(text, "service=\"a\\\"b\\\\c\",reason=\"line\\nbreak\"} 1\n");
    free(text);
    metrics_destroy(&m);
}

static void
test_checker_refuses(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "# TYPE x gauge\nx 1",                          /* no final newline */
        "# TYPE x gauge\nx{a=\"1\"} 1\nx{a=\"1\"} 2\n", /* duplicate */
        "# TYPE x_total counter\n# TYPE x_total counter\n",
        "# TYPE x counter\nx 1\n",          /* counter not *_total */
        "# TYPE x gauge\nx{a=1} 1\n",       /* unquoted */
        "# TYPE x gauge\nx{a=\"\\q\"} 1\n", /* bad escape */
        "# TYPE x gauge\nx one\n",
        "# TYPE x gauge\ny 1\n", /* outside its family */
        "# TYPE 1x gauge\n",
        "# TYPE x kind\n",
        "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"2\"} 1\n"
        "h_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 2\n", /* not cumulative */
        "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 3\n"
        "h_sum 1\nh_count 2\n",             /* count != +Inf */
        "# TYPE h histogram\nh_bucket 2\n", /* no le */
        "# TYPE x gauge\nx{a=\"1\" 1\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char err[256] = "";
        int rc = metrics_check(bad[i], err, sizeof(err));
        printf("# bad[%zu]: %s\n", i, err);
        assert_int_equal(rc, -EINVAL);
        assert_true(err[0] != '\0');
    }
    char err[256] = "";
    assert_int_equal(
        metrics_check("# a comment\n# HELP x y\n# TYPE x gauge\n"
                      "x{a=\"1\",b=\"2\"} -1.5e3\nx 1 1700000000\n",
                      err, sizeof(err)),
        0);
}

static void
test_file_atomic(void **state)
{
    (void)state;
    char dir[] = "/tmp/cogov-metrics-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[128];
    snprintf(path, sizeof(path), "%s/cogov.prom", dir);
    metrics_t *m = metrics_new("coordination");
    metrics_view_t v;
    metrics_cursor_t cur[2];
    sample_view(&v, cur);
    assert_int_equal(metrics_write_file(m, &v, path), 0);
    v.head = 99;
    assert_int_equal(metrics_write_file(m, &v, path), 0);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char text[16384];
    size_t n = fread(text, 1, sizeof(text) - 1, f);
    text[n] = '\0';
    fclose(f);
    assert_has(text, "cogov_stream_head{service=\"coordination\"} 99\n");
    char err[256];
    assert_int_equal(metrics_check(text, err, sizeof(err)), 0);
    /* promtool, when the machine has it, judges the same text */
    if (access("/usr/bin/promtool", X_OK) == 0) {
        char cmd[256];
        snprintf(cmd, sizeof(cmd), "/usr/bin/promtool check metrics < %s",
                 path);
        assert_int_equal(system(cmd), 0);
    } else {
        printf("# promtool not installed: checked by metrics_check only\n");
    }
    /* no temp file left beside it */
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "test $(ls %s | wc -l) -eq 1", dir);
    assert_int_equal(system(cmd), 0);
    /* a directory that does not exist: an error, not a crash */
    snprintf(path, sizeof(path), "%s/no/such/dir.prom", dir);
    assert_int_equal(metrics_write_file(m, &v, path), -ENOENT);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
    metrics_destroy(&m);
}

/* Many series counted in a random order: each keeps its own count, the
 * order written is the order first counted, a label longer than the limit
 * is one series (truncated), and labels that only split differently are
 * two. */
static void
test_many_series(void **state)
{
    (void)state;
    const char *env = getenv("COGOV_TEST_SEED");
    unsigned seed =
        env ? (unsigned)strtoul(env, NULL, 10) : (unsigned)time(NULL);
    printf("test_metrics: seed %u (set COGOV_TEST_SEED to repeat)\n", seed);
    srand(seed);

    enum { N = 300 };
    unsigned want[N] = {0};
    int first[N];
    int n_first = 0;
    metrics_t *m = metrics_new("coordination");
    char type[32], outcome[32];
    for (int k = 0; k < 20 * N; k++) {
        int i = rand() % N;
        if (want[i]++ == 0)
            first[n_first++] = i;
        snprintf(type, sizeof type, "type_%d", i / 3);
        snprintf(outcome, sizeof outcome, "outcome_%d", i % 3);
        metrics_count_request(m, type, outcome);
    }
    char long_a[100], long_b[100];
    memset(long_a, 'x', 99);
    long_a[99] = 0;
    memcpy(long_b, long_a, sizeof long_b);
    long_b[80] = 'y'; /* past the limit: the same series */
    metrics_count_request(m, long_a, "ok");
    metrics_count_request(m, long_b, "ok");
    metrics_count_request(m, "ab", "c");
    metrics_count_request(m, "a", "bc");
    metrics_count_request(m, "a", "bc");

    metrics_view_t v;
    metrics_cursor_t cur[2];
    sample_view(&v, cur);
    char *text = render(m, &v);
    char line[200];
    const char *prev = text;
    for (int j = 0; j < n_first; j++) {
        int i = first[j];
        snprintf(line, sizeof line,
                 "cogov_requests_total{service=\"coordination\",type=\"type_%d"
                 "\",outcome=\"outcome_%d\"} %u\n",
                 i / 3, i % 3, want[i]);
        const char *at = strstr(text, line);
        if (at == NULL || at < prev) {
            printf("# series %d (%s) missing or out of order\n", i, line);
            fail();
        }
        prev = at;
    }
    char lw[200];
    snprintf(lw, sizeof lw, "type=\"%.63s\",outcome=\"ok\"} 2\n", long_a);
    assert_has(text, lw);
    assert_has(text, "type=\"ab\",outcome=\"c\"} 1\n");
    assert_has(text, "type=\"a\",outcome=\"bc\"} 2\n");
    free(text);
    metrics_destroy(&m);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_write_valid),
        cmocka_unit_test(test_many_series),
        cmocka_unit_test(test_escaping),
        cmocka_unit_test(test_checker_refuses),
        cmocka_unit_test(test_file_atomic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

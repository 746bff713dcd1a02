/* test_util: allocation helpers, strings, hashing, calendar arithmetic, and
 * the log line format (log.c has no test file of its own). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "log.h"
#include "util.h"

static unsigned test_seed;

static void
test_alloc_and_strings(void **state)
{
    (void)state;
    assert_null(xstrdup(NULL));
    char *s = xstrdup("滨江");
    assert_string_equal(s, "滨江");
    free(s);

    s = xasprintf("%s-%d", "c", 42);
    assert_string_equal(s, "c-42");
    free(s);

    int *z = xcalloc(16, sizeof *z);
    for (int i = 0; i < 16; i++)
        assert_int_equal(z[i], 0);
    z = xrealloc(z, 1024 * sizeof *z);
    z[1023] = 7;
    assert_int_equal(z[1023], 7);
    free(z);

    char buf[6];
    assert_int_equal(str_copy(buf, sizeof buf, "hello"), 0);
    assert_string_equal(buf, "hello");
    assert_int_equal(str_copy(buf, sizeof buf, "hello!"), -ENAMETOOLONG);
    assert_string_equal(buf, "hello");
    assert_int_equal(str_copy(buf, sizeof buf, NULL), 0);
    assert_string_equal(buf, "");

    assert_true(str_empty(NULL));
    assert_true(str_empty(""));
    assert_false(str_empty("x"));
}

static void
test_hash64(void **state)
{
    (void)state;
    /* Published FNV-1a 64-bit test vectors. */
    assert_int_equal(hash64("", 0), 0xcbf29ce484222325ULL);
    assert_int_equal(hash64("a", 1), 0xaf63dc4c8601ec8cULL);
    assert_int_equal(hash64("foobar", 6), 0x85944171f73967e8ULL);
}

static void
test_clocks(void **state)
{
    (void)state;
    int64_t wall = now_wall_ms();
    int64_t sys = (int64_t)time(NULL) * 1000;
    assert_true(wall > sys - 2000 && wall < sys + 2000);
    int64_t a = now_mono_ms();
    int64_t b = now_mono_ms();
    assert_true(b >= a);
}

static void
test_time_format(void **state)
{
    (void)state;
    char buf[32];
    time_format(0, 0, buf, sizeof buf);
    assert_string_equal(buf, "1970-01-01 00:00");
    time_format(0, 28800, buf, sizeof buf);
    assert_string_equal(buf, "1970-01-01 08:00");
    time_format(-1, 0, buf, sizeof buf);
    assert_string_equal(buf, "1969-12-31 23:59");
    time_format(1709214300, 0, buf, sizeof buf);
    assert_string_equal(buf, "2024-02-29 13:45");
    /* 2025-06-30 00:00 in Shanghai is 2025-06-29 16:00 UTC. */
    time_format(1751241600 - 28800, 28800, buf, sizeof buf);
    assert_string_equal(buf, "2025-06-30 00:00");
    time_format(1751241600 - 28800, 0, buf, sizeof buf);
    assert_string_equal(buf, "2025-06-29 16:00");
}

static void
test_time_parse(void **state)
{
    (void)state;
    int64_t t = 0;
    assert_int_equal(time_parse("2025-06-30", 28800, &t), 0);
    assert_int_equal(t, 1751241600 - 28800);
    assert_int_equal(time_parse("2025-06-30", 0, &t), 0);
    assert_int_equal(t, 1751241600);
    assert_int_equal(time_parse("2024-02-29 13:45", 0, &t), 0);
    assert_int_equal(t, 1709214300);
    assert_int_equal(time_parse("2024-02-29T13:45:59", 0, &t), 0);
    assert_int_equal(t, 1709214359);
    assert_int_equal(time_parse("1969-12-31 23:59:59", 0, &t), 0);
    assert_int_equal(t, -1);

    static const char *const bad[] = {
        "",
        "2025",
        "2025-6-30",
        "2025-06-31",
        "2025-02-29",
        "1900-02-29",
        "2025-13-01",
        "2025-00-10",
        "2025-06-00",
        "2025-06-30 24:00",
        "2025-06-30 12:60",
        "2025-06-30 12:00:60",
        "2025-06-30 12:5",
        "2025-06-30x",
        "2025-06-30 12:00 ",
        "2025/06/30",
        " 2025-06-30",
        "2025-06-30 12",
        "2025-06-30 12:00:0",
        "+025-06-30",
    };
    for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
        t = 12345;
        if (time_parse(bad[i], 0, &t) != -EINVAL)
            fail_msg("time_parse accepted \"%s\"", bad[i]);
        assert_int_equal(t, 12345);
    }
    assert_int_equal(time_parse(NULL, 0, &t), -EINVAL);
}

/* Against libc's timegm as an independent oracle, and round-trips. */
static void
test_time_random(void **state)
{
    (void)state;
    srand(test_seed);
    for (int i = 0; i < 20000; i++) {
        /* 1900..2199, minute precision. */
        int64_t span = (int64_t)300 * 366 * 86400;
        int64_t r = ((int64_t)rand() << 31 | rand()) % span;
        int64_t t = -2208988800LL + r;
        t -= ((t % 60) + 60) % 60;
        int off = (rand() % 2) ? 28800 : -(rand() % 50) * 1800;

        char buf[32];
        time_format(t, off, buf, sizeof buf);
        int64_t back = 0;
        if (time_parse(buf, off, &back) != 0 || back != t)
            fail_msg("t=%lld off=%d formatted \"%s\" parsed %lld", (long long)t,
                     off, buf, (long long)back);

        time_t lt = (time_t)(t + off);
        struct tm tm;
        gmtime_r(&lt, &tm);
        char want[80];
        snprintf(want, sizeof want, "%04d-%02d-%02d %02d:%02d",
                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                 tm.tm_min);
        if (strcmp(buf, want) != 0)
            fail_msg("t=%lld off=%d: got \"%s\", libc \"%s\"", (long long)t,
                     off, buf, want);
    }
}

/* xconcat joins up to its NULL; fmt_u64 prints what snprintf's PRIu64
 * does (edges, then seeded random values of every magnitude). */
static void
test_concat_u64(void **state)
{
    (void)state;
    char *p = xconcat("a", "", "bc", ":", "欢迎", NULL);
    assert_string_equal(p, "abc:欢迎");
    free(p);
    p = xconcat("", NULL);
    assert_string_equal(p, "");
    free(p);

    uint64_t edges[] = {0,
                        1,
                        9,
                        10,
                        99,
                        100,
                        UINT32_MAX,
                        UINT64_MAX,
                        UINT64_MAX - 1,
                        10000000000000000000ULL};
    char got[24], want[24];
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++) {
        size_t n = fmt_u64(got, edges[i]);
        snprintf(want, sizeof want, "%" PRIu64, edges[i]);
        assert_string_equal(got, want);
        assert_int_equal(n, strlen(want));
    }
    srand(test_seed);
    for (int i = 0; i < 20000; i++) {
        uint64_t v = ((uint64_t)rand() << 33) ^ ((uint64_t)rand() << 11) ^
                     (uint64_t)rand();
        v >>= rand() % 64;
        size_t n = fmt_u64(got, v);
        snprintf(want, sizeof want, "%" PRIu64, v);
        if (strcmp(got, want) != 0 || n != strlen(want))
            fail_msg("v=%s: got \"%s\" (%zu)", want, got, n);
    }
}

/* ---- log ---------------------------------------------------------------- */

/* Run fn with fd 2 redirected to a temp file; return what was written. */
static char *
capture_stderr(void (*fn)(void))
{
    char path[] = "/tmp/cogov-test-log-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    unlink(path);
    int saved = dup(2);
    assert_true(saved >= 0);
    assert_int_equal(dup2(fd, 2), 2);
    fn();
    assert_int_equal(dup2(saved, 2), 2);
    close(saved);
    off_t len = lseek(fd, 0, SEEK_END);
    char *out = xmalloc((size_t)len + 1);
    assert_int_equal(pread(fd, out, (size_t)len, 0), len);
    out[len] = 0;
    close(fd);
    return out;
}

static void
emit_basic(void)
{
    log_init("coordination");
    log_info("member.admitted", "corr=%s member=%s", "c-1",
             "91350100M000100Y43");
    log_debug("dropped.debug", NULL);
    log_warn("bare", NULL);
}

static void
test_log_format(void **state)
{
    (void)state;
    char *out = capture_stderr(emit_basic);
    /* <6>ts=YYYY-MM-DDTHH:MM:SS.mmmZ level=info svc=coordination ... */
    char *nl = strchr(out, '\n');
    assert_non_null(nl);
    *nl = 0;
    const char *l = out;
    assert_memory_equal(l, "<6>ts=", 6);
    const char *ts = l + 6;
    assert_int_equal(strlen(ts) > 24, 1);
    for (int i = 0; i < 24; i++) {
        char c = ts[i];
        const char *shape = "dddd-dd-ddTdd:dd:dd.dddZ";
        if (shape[i] == 'd')
            assert_true(c >= '0' && c <= '9');
        else
            assert_int_equal(c, shape[i]);
    }
    assert_string_equal(ts + 24, " level=info svc=coordination "
                                 "event=member.admitted corr=c-1 "
                                 "member=91350100M000100Y43");
    /* The timestamp is now, in UTC. */
    struct tm tm = {0};
    char y[5] = {0};
    memcpy(y, ts, 4);
    time_t now = time(NULL);
    gmtime_r(&now, &tm);
    assert_true(abs(atoi(y) - (tm.tm_year + 1900)) <= 1);

    const char *second = nl + 1;
    assert_non_null(strstr(second, "<4>ts="));
    assert_non_null(strstr(second, " level=warning svc=coordination "
                                   "event=bare\n"));
    assert_null(strstr(second, "dropped.debug"));
    free(out);
}

static void
emit_levels(void)
{
    log_init("x");
    log_set_level(LOG_ERR);
    log_warn("no.warn", NULL);
    log_error("yes.error", "k=v");
    log_set_level(LOG_DEBUG);
    log_debug("yes.debug", NULL);
    log_notice("yes.notice", NULL);
    log_set_level(LOG_INFO);
}

static void
test_log_levels(void **state)
{
    (void)state;
    assert_int_equal(log_level_parse("error"), LOG_ERR);
    assert_int_equal(log_level_parse("warning"), LOG_WARNING);
    assert_int_equal(log_level_parse("notice"), LOG_NOTICE);
    assert_int_equal(log_level_parse("info"), LOG_INFO);
    assert_int_equal(log_level_parse("debug"), LOG_DEBUG);
    assert_int_equal(log_level_parse("verbose"), -1);
    assert_int_equal(log_level_parse(NULL), -1);

    char *out = capture_stderr(emit_levels);
    assert_null(strstr(out, "no.warn"));
    assert_non_null(strstr(out, "level=error svc=x event=yes.error k=v\n"));
    assert_non_null(strstr(out, "<3>ts="));
    assert_non_null(strstr(out, "<7>ts="));
    assert_non_null(strstr(out, "level=debug svc=x event=yes.debug\n"));
    assert_non_null(strstr(out, "<5>ts="));
    assert_non_null(strstr(out, "level=notice svc=x event=yes.notice\n"));
    free(out);
}

static char *long_value;

static void
emit_long(void)
{
    log_init("x");
    log_info("long", "v=%s", long_value);
}

static void
test_log_long_line(void **state)
{
    (void)state;
    long_value = xmalloc(20001);
    memset(long_value, 'a', 20000);
    long_value[20000] = 0;
    char *out = capture_stderr(emit_long);
    const char *v = strstr(out, " v=");
    assert_non_null(v);
    assert_int_equal(strlen(v), 3 + 20000 + 1);
    assert_int_equal(v[3 + 20000], '\n');
    free(out);
    free(long_value);
}

static void
test_log_q(void **state)
{
    (void)state;
    assert_string_equal(log_q("plain"), "plain");
    assert_string_equal(log_q("滨江市"), "滨江市");
    assert_string_equal(log_q(NULL), "\"\"");
    assert_string_equal(log_q(""), "\"\"");
    assert_string_equal(log_q("a b"), "\"a b\"");
    assert_string_equal(log_q("k=v"), "\"k=v\"");
    assert_string_equal(log_q("say \"hi\""), "\"say \\\"hi\\\"\"");
    assert_string_equal(log_q("a\\b c"), "\"a\\\\b c\"");
    assert_string_equal(log_q("l1\nl2"), "\"l1\\nl2\"");
    assert_string_equal(log_q("t\tr\r\x01"), "\"t\\tr\\r\\x01\"");

    /* 8 rotating buffers: the first 8 results stay valid together. */
    const char *r[8];
    char want[8][16];
    for (int i = 0; i < 8; i++) {
        snprintf(want[i], sizeof want[i], "v%d", i);
        r[i] = log_q(want[i]);
    }
    for (int i = 0; i < 8; i++)
        assert_string_equal(r[i], want[i]);

    /* Long values are cut to the buffer with "...", never mid-UTF-8. */
    char big[2000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = 0;
    const char *q = log_q(big);
    assert_true(strlen(q) <= 511);
    assert_string_equal(q + strlen(q) - 3, "...");

    char zh[2000] = {0};
    for (int i = 0; i < 400; i++)
        strcat(zh, "市 "); /* 4 bytes each, forces quoting */
    q = log_q(zh);
    size_t n = strlen(q);
    assert_true(n <= 511);
    assert_int_equal(q[0], '"');
    assert_string_equal(q + n - 4, "...\"");
    /* What precedes "..." is whole characters. */
    for (size_t i = 1; i + 4 < n;) {
        if ((unsigned char)q[i] == 0xe5) {
            assert_memory_equal(q + i, "市", 3);
            i += 3;
        } else {
            assert_int_equal(q[i], ' ');
            i++;
        }
    }
}

int
main(void)
{
    const char *env = getenv("COGOV_TEST_SEED");
    test_seed = env ? (unsigned)strtoul(env, NULL, 10) : (unsigned)time(NULL);
    printf("test_util: seed %u (set COGOV_TEST_SEED to repeat)\n", test_seed);

    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alloc_and_strings),
        cmocka_unit_test(test_hash64),
        cmocka_unit_test(test_clocks),
        cmocka_unit_test(test_time_format),
        cmocka_unit_test(test_time_parse),
        cmocka_unit_test(test_time_random),
        cmocka_unit_test(test_concat_u64),
        cmocka_unit_test(test_log_format),
        cmocka_unit_test(test_log_levels),
        cmocka_unit_test(test_log_long_line),
        cmocka_unit_test(test_log_q),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

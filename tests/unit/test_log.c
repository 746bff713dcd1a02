/* test_log: logfmt lines, quoting, the rate limit on repeated events
 * (a burst per window, then dropped, the next line carrying suppressed=N),
 * and buffering (info lines held until flushed, order kept). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

/* Run fn with stderr going to a temp file; return what it wrote. */
static char g_out[65536];

static void
capture(void (*fn)(void))
{
    char path[] = "/tmp/test_log_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    int saved = dup(2);
    dup2(fd, 2);
    fn();
    dup2(saved, 2);
    close(saved);
    lseek(fd, 0, SEEK_SET);
    ssize_t n = read(fd, g_out, sizeof g_out - 1);
    g_out[n > 0 ? n : 0] = 0;
    close(fd);
    unlink(path);
}

static int
count(const char *needle)
{
    int n = 0;
    for (const char *p = g_out; (p = strstr(p, needle)) != NULL; p++)
        n++;
    return n;
}

static void
emit_line(void)
{
    log_warn("follow.timeout", "producer=%s name=%s", "coordination",
             log_q("滨江 职业技术学院"));
}

static void
test_line_shape(void **state)
{
    (void)state;
    log_init("coordination");
    log_rate_limit(LOG_RATE_BURST, LOG_RATE_WINDOW_MS);
    capture(emit_line);
    printf("# %s", g_out);
    assert_true(strncmp(g_out, "<4>ts=", 6) == 0);
    assert_non_null(strstr(g_out, " level=warning svc=coordination "
                                  "event=follow.timeout producer=coordination "
                                  "name=\"滨江 职业技术学院\"\n"));
}

static void
flood(void)
{
    for (int i = 0; i < 10; i++)
        log_warn("follow.timeout", "n=%d", i);
    log_warn("follow.retry", "n=x"); /* another event: not limited */
    for (int i = 0; i < 10; i++)
        log_info("member.applied", "n=%d", i); /* info: never limited */
}

static void
after_window(void)
{
    struct timespec ts = {0, 350 * 1000000L}; /* past the 300 ms window */
    nanosleep(&ts, NULL);
    log_warn("follow.timeout", "n=after");
}

static void
test_rate_limit(void **state)
{
    (void)state;
    log_init("coordination");
    log_rate_limit(3, 300);
    capture(flood);
    printf("%s", g_out);
    assert_int_equal(count("event=follow.timeout"), 3);
    assert_non_null(strstr(g_out, "event=follow.timeout n=2\n"));
    assert_null(strstr(g_out, "event=follow.timeout n=3"));
    assert_int_equal(count("event=follow.retry"), 1);
    assert_int_equal(count("event=member.applied"), 10);
    assert_int_equal(count("suppressed="), 0);
    capture(after_window);
    printf("%s", g_out);
    assert_non_null(
        strstr(g_out, "event=follow.timeout n=after suppressed=7\n"));
    /* the count was reported once */
    capture(after_window);
    assert_null(strstr(g_out, "suppressed="));
    /* off */
    log_rate_limit(0, 50);
    capture(flood);
    assert_int_equal(count("event=follow.timeout"), 10);
    log_rate_limit(LOG_RATE_BURST, LOG_RATE_WINDOW_MS);
}

/* Bytes written to stderr so far. */
static long
written(void)
{
    struct stat st;
    assert_int_equal(fstat(2, &st), 0);
    return (long)st.st_size;
}

static long g_sizes[4];

static void
buffered(void)
{
    log_buffer(true);
    log_info("member.applied", "n=%d", 1);
    log_debug("request.ok", "n=%d", 2);
    log_info("member.applied", "n=%d", 3);
    g_sizes[0] = written(); /* held */
    log_warn("follow.timeout", "n=%d", 4);
    g_sizes[1] = written(); /* held lines first, then the warning */
    log_info("member.applied", "n=%d", 5);
    g_sizes[2] = written();
    log_flush();
    g_sizes[3] = written();
    log_info("member.applied", "n=%d", 6);
    log_buffer(false);                     /* writes what is held */
    log_info("member.applied", "n=%d", 7); /* at once */
}

static void
test_buffer(void **state)
{
    (void)state;
    log_init("coordination");
    log_set_level(LOG_DEBUG);
    capture(buffered);
    log_set_level(LOG_INFO);
    printf("%s", g_out);
    assert_int_equal(g_sizes[0], 0);
    assert_true(g_sizes[1] > 0);
    assert_int_equal(g_sizes[2], g_sizes[1]);
    assert_true(g_sizes[3] > g_sizes[2]);
    const char *a = strstr(g_out, " n=1\n"), *b = strstr(g_out, " n=2\n"),
               *c = strstr(g_out, " n=3\n"), *d = strstr(g_out, " n=4\n"),
               *e = strstr(g_out, " n=5\n"), *f = strstr(g_out, " n=6\n"),
               *g = strstr(g_out, " n=7\n");
    assert_true(a && b && c && d && e && f && g);
    assert_true(a < b && b < c && c < d && d < e && e < f && f < g);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_line_shape),
        cmocka_unit_test(test_rate_limit),
        cmocka_unit_test(test_buffer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

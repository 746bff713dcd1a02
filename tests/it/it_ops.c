/* it_ops: a real daemon speaks the systemd notify protocol to a fake
 * NOTIFY_SOCKET the test listens on (READY=1 with STATUS, STATUS on the
 * stats tick, WATCHDOG=1 pings at half of WATCHDOG_USEC, STOPPING=1 after
 * SIGTERM) and writes a Prometheus textfile that validates. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "harness.h"
#include "metrics.h"
#include "util.h"

typedef struct seen {
    int ready, status, watchdog, stopping;
    char first_status[512];
} seen_t;

/* Receive datagrams until want(seen) holds or the deadline passes. */
static void
drain(int fd, seen_t *s, int (*want)(const seen_t *), int timeout_ms)
{
    int64_t deadline = now_mono_ms() + timeout_ms;
    while (!want(s)) {
        int64_t left = deadline - now_mono_ms();
        if (left <= 0)
            break;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, (int)left) <= 0)
            continue;
        char buf[1024];
        ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);
        if (n <= 0)
            continue;
        buf[n] = '\0';
        /* one datagram may hold several newline-separated assignments */
        for (char *save = NULL, *l = strtok_r(buf, "\n", &save); l != NULL;
             l = strtok_r(NULL, "\n", &save)) {
            if (strcmp(l, "READY=1") == 0)
                s->ready++;
            else if (strcmp(l, "WATCHDOG=1") == 0)
                s->watchdog++;
            else if (strcmp(l, "STOPPING=1") == 0)
                s->stopping++;
            else if (strncmp(l, "STATUS=", 7) == 0) {
                if (s->status++ == 0)
                    str_copy(s->first_status, sizeof(s->first_status), l + 7);
            } else
                printf("# unexpected notification: %s\n", l);
        }
    }
}

static int
want_running(const seen_t *s)
{
    /* ready, the ready STATUS plus one from a stats tick, three pings */
    return s->ready >= 1 && s->status >= 2 && s->watchdog >= 3;
}

static int
want_stopping(const seen_t *s)
{
    return s->stopping >= 1;
}

static void
test_notify_and_metrics(void **state)
{
    (void)state;
    cluster_t c;
    assert_int_equal(cluster_init(&c, "ops"), 0);
    char sock_path[128], prom[128];
    snprintf(sock_path, sizeof(sock_path), "%s/notify", c.dir);
    snprintf(prom, sizeof(prom), "%s/coordination.prom", c.dir);
    /* a tick every second (the harness's line replaced: keys are unique) */
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "sed -i '/^stats_interval_s/d' %s",
             c.conf[H_COORD]);
    assert_int_equal(system(cmd), 0);
    FILE *f = fopen(c.conf[H_COORD], "a");
    assert_non_null(f);
    fprintf(f, "stats_interval_s = 1\nmetrics_file = %s\n", prom);
    fclose(f);

    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    str_copy(sa.sun_path, sizeof(sa.sun_path), sock_path);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    setenv("NOTIFY_SOCKET", sock_path, 1);
    setenv("WATCHDOG_USEC", "200000", 1); /* a ping every 100 ms */
    int rc = cluster_start(&c, H_COORD);
    unsetenv("NOTIFY_SOCKET");
    unsetenv("WATCHDOG_USEC");
    assert_int_equal(rc, 0);

    seen_t s = {0};
    drain(fd, &s, want_running, 10000);
    printf("# ready=%d status=%d watchdog=%d first status: %s\n", s.ready,
           s.status, s.watchdog, s.first_status);
    assert_int_equal(s.ready, 1);
    assert_true(s.status >= 2);
    assert_true(s.watchdog >= 3);
    assert_non_null(strstr(s.first_status, "head="));
    assert_non_null(strstr(s.first_status, "lag="));
    assert_int_equal(s.stopping, 0);

    /* the textfile: present at ready, rewritten on ticks, valid */
    char text[65536];
    f = fopen(prom, "r");
    assert_non_null(f);
    size_t n = fread(text, 1, sizeof(text) - 1, f);
    text[n] = '\0';
    fclose(f);
    char err[256] = "";
    rc = metrics_check(text, err, sizeof(err));
    if (rc != 0)
        printf("# %s\n%s", err, text);
    assert_int_equal(rc, 0);
    assert_non_null(
        strstr(text, "cogov_stream_head{service=\"coordination\"}"));
    assert_non_null(
        strstr(text, "cogov_uptime_seconds{service=\"coordination\"}"));
    assert_non_null(
        strstr(text, "cogov_resident_memory_bytes{service=\"coordination\"}"));
    /* the harness waited for readiness with GetStatus calls, counted after
     * the ready write, so at least one tick has run since then */
    assert_non_null(strstr(text,
                           "cogov_requests_total{service=\"coordination\","
                           "type=\"get_status\",outcome=\"ok\"}"));

    assert_int_equal(cluster_stop(&c, H_COORD), 0);
    drain(fd, &s, want_stopping, 5000);
    assert_int_equal(s.stopping, 1);
    int pings = s.watchdog;
    /* after the exit nothing more arrives (the daemon is gone) */
    struct pollfd p = {.fd = fd, .events = POLLIN};
    assert_int_equal(poll(&p, 1, 0), 0);
    assert_int_equal(s.watchdog, pings);
    close(fd);
    cluster_destroy(&c);
}

/* Without NOTIFY_SOCKET the daemon runs as before and writes no metrics
 * file unless asked. */
static void
test_without_systemd(void **state)
{
    (void)state;
    cluster_t c;
    assert_int_equal(cluster_init(&c, "ops2"), 0);
    unsetenv("NOTIFY_SOCKET");
    assert_int_equal(cluster_start(&c, H_COORD), 0);
    assert_int_equal(cluster_stop(&c, H_COORD), 0);
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "ls %s/*.prom >/dev/null 2>&1", c.dir);
    assert_int_not_equal(system(cmd), 0);
    cluster_destroy(&c);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_notify_and_metrics),
        cmocka_unit_test(test_without_systemd),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

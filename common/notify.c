/* notify: sd_notify from libsystemd, a watchdog timer on the loop. */
#include "notify.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#include "util.h"

#define NOTIFY_STATUS_MAX 480

struct notify {
    uv_timer_t watchdog;
    bool enabled;
    bool timer_init;
    uint64_t watchdog_usec;
};

notify_t *
notify_new(uv_loop_t *loop)
{
    notify_t *n = xcalloc(1, sizeof(*n));
    const char *sock = getenv("NOTIFY_SOCKET");
    n->enabled = sock != NULL && sock[0] != '\0';
    uint64_t usec = 0;
    /* > 0 only when WATCHDOG_USEC is set and WATCHDOG_PID (if set) is us. */
    if (n->enabled && sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
        n->watchdog_usec = usec;
        uv_timer_init(loop, &n->watchdog);
        n->watchdog.data = n;
        n->timer_init = true;
    }
    return n;
}

bool
notify_enabled(const notify_t *n)
{
    return n->enabled;
}

uint64_t
notify_watchdog_usec(const notify_t *n)
{
    return n->watchdog_usec;
}

static int
send_state(const notify_t *n, const char *state)
{
    if (!n->enabled)
        return 0;
    int rc = sd_notify(0, state);
    return rc < 0 ? rc : 0;
}

/* "STATUS=" + status on one line, cut to a sane length. */
static void
status_line(char *buf, size_t size, const char *status)
{
    snprintf(buf, size, "STATUS=%s", status);
    for (char *p = buf; *p != '\0'; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
}

static void
on_watchdog(uv_timer_t *t)
{
    /* Firing at all proves the loop turns: that is the health we vouch for. */
    send_state(t->data, "WATCHDOG=1");
}

int
notify_ready(notify_t *n, const char *status)
{
    char buf[NOTIFY_STATUS_MAX + 16];
    if (status != NULL) {
        char line[NOTIFY_STATUS_MAX];
        status_line(line, sizeof(line), status);
        snprintf(buf, sizeof(buf), "READY=1\n%s", line);
    } else {
        snprintf(buf, sizeof(buf), "READY=1");
    }
    int rc = send_state(n, buf);
    if (n->timer_init && !uv_is_active((uv_handle_t *)&n->watchdog)) {
        uint64_t ms = n->watchdog_usec / 2000;
        if (ms == 0)
            ms = 1;
        send_state(n, "WATCHDOG=1");
        uv_timer_start(&n->watchdog, on_watchdog, ms, ms);
    }
    return rc;
}

int
notify_status(notify_t *n, const char *status)
{
    char line[NOTIFY_STATUS_MAX];
    status_line(line, sizeof(line), status);
    return send_state(n, line);
}

int
notify_stopping(notify_t *n)
{
    if (n->timer_init)
        uv_timer_stop(&n->watchdog);
    return send_state(n, "STOPPING=1");
}

static void
on_closed(uv_handle_t *h)
{
    free(h->data);
}

void
notify_destroy(notify_t **np)
{
    notify_t *n = *np;
    if (n == NULL)
        return;
    *np = NULL;
    if (n->timer_init && !uv_is_closing((uv_handle_t *)&n->watchdog))
        uv_close((uv_handle_t *)&n->watchdog, on_closed);
    else
        free(n);
}

/* calendar: the consortium calendar (DESIGN 2.6). Coordination owns business
 * time: in manual mode it moves only by AdvanceCalendar; in system mode a
 * timer publishes a tick from the wall clock every calendar_tick_s. */
#include "coordination.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "util.h"

int
coord_calendar_tick(svc_t *s, const svc_ctx_t *c, int64_t to)
{
    int64_t prev = svc_business_time(s);
    Cogov__V1__Event ev = COGOV__V1__EVENT__INIT;
    Cogov__V1__CalendarTick tick = COGOV__V1__CALENDAR_TICK__INIT;
    int err;

    if (to <= prev)
        return -EINVAL;
    tick.has_now = true;
    tick.now = to;
    tick.has_previous = true;
    tick.previous = prev;
    ev.payload_case = COGOV__V1__EVENT__PAYLOAD_CALENDAR_TICK;
    ev.calendar_tick = &tick;
    ev.has_occurred_at = true;
    ev.occurred_at = to;
    err = svc_emit(s, c, &ev);
    if (err < 0)
        return err;
    err = svc_set_business_time(s, to);
    if (err < 0)
        return err;
    /* What falls due is caused by the tick itself: trace and the
     * causation ids name it, the correlation stays the command's. */
    svc_ctx_t due = *c;
    char cause[96];
    snprintf(cause, sizeof cause, "%s:%llu", ev.producer,
             (unsigned long long)ev.seq);
    due.causation_id = cause;
    err = coord_deadlines(s, &due, to);
    if (err < 0)
        return err;
    log_info("calendar.tick", "now=%lld previous=%lld corr=%s", (long long)to,
             (long long)prev, log_q(c->correlation_id));
    return 0;
}

void
coord_timezone(int utc_offset_s, char *buf, size_t size)
{
    int a = abs(utc_offset_s);
    snprintf(buf, size, "UTC%c%02d:%02d", utc_offset_s < 0 ? '-' : '+',
             a / 3600, a % 3600 / 60);
}

/* svc_tx body: a wall-clock tick (system mode). */
static int
tick_wall(svc_t *s, void *app, void *arg)
{
    char corr[64];
    svc_ctx_t c;
    int64_t now = now_wall_ms() / 1000;

    if (now <= svc_business_time(s))
        return 0; /* wall clock went back or a tick already covers it */
    svc_ctx_system(s, &c, corr, sizeof corr);
    return coord_calendar_tick(s, &c, now);
}

static void
on_timer(uv_timer_t *t)
{
    coord_app_t *a = t->data;
    int err = svc_tx(a->svc, tick_wall, NULL);
    if (err < 0)
        log_error("calendar.tick_failed", "err=%s", log_q(strerror(-err)));
}

/* svc_tx body: business time of a new store in manual mode. */
static int
set_start(svc_t *s, void *app, void *arg)
{
    const int64_t *start = arg;
    if (svc_business_time(s) != 0)
        return 0;
    return svc_set_business_time(s, *start);
}

coord_app_t *
coord_app_new(svc_t *s, const coord_config_t *cfg)
{
    coord_app_t *a;
    int64_t start = 0;
    bool manual;

    if (strcmp(cfg->calendar_mode, "manual") == 0) {
        manual = true;
    } else if (strcmp(cfg->calendar_mode, "system") == 0) {
        manual = false;
    } else {
        log_error("config.invalid",
                  "key=calendar_mode value=%s want=\"manual or system\"",
                  log_q(cfg->calendar_mode));
        return NULL;
    }
    if (time_parse(cfg->calendar_start, (int)cfg->utc_offset_s, &start) < 0 ||
        start <= 0) {
        log_error("config.invalid",
                  "key=calendar_start value=%s want=YYYY-MM-DD",
                  log_q(cfg->calendar_start));
        return NULL;
    }

    a = xcalloc(1, sizeof *a);
    a->svc = s;
    a->manual = manual;
    a->tick_s = cfg->calendar_tick_s;
    a->utc_offset_s = (int)cfg->utc_offset_s;
    a->start = start;

    if (manual) {
        int err = svc_tx(s, set_start, &start);
        if (err < 0) {
            log_error("calendar.start_failed", "err=%s", log_q(strerror(-err)));
            free(a);
            return NULL;
        }
    } else {
        uv_timer_init(svc_loop(s), &a->timer);
        a->timer.data = a;
        a->timer_on = true;
        uv_timer_start(&a->timer, on_timer, 0, (uint64_t)a->tick_s * 1000);
    }
    log_info("calendar.mode", "mode=%s business_time=%lld",
             manual ? "manual" : "system", (long long)svc_business_time(s));
    return a;
}

static void
on_timer_closed(uv_handle_t *h)
{
    free(h->data);
}

void
coord_app_destroy(void *app)
{
    coord_app_t *a = app;

    if (a == NULL)
        return;
    if (!a->timer_on) {
        free(a);
        return;
    }
    /* Freed in the close callback: the runtime runs the loop once more
     * after app_destroy, before uv_loop_close. */
    uv_timer_stop(&a->timer);
    uv_close((uv_handle_t *)&a->timer, on_timer_closed);
}

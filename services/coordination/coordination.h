/* coordination: the daemon's internal contract between main.c (config and
 * table of contents), calendar.c (the consortium calendar and the app
 * state) and handlers.c (route table). */
#ifndef COGOV_COORDINATION_H
#define COGOV_COORDINATION_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "config.h"
#include "svc.h"

/* Service-specific config keys (filled by the runtime's config loader). */
typedef struct coord_config {
    char calendar_mode[CFG_STR_MAX];  /* "manual" or "system" */
    long long calendar_tick_s;        /* system mode: seconds between ticks */
    char calendar_start[CFG_STR_MAX]; /* manual mode: business time of a new
                                         store */
    long long utc_offset_s;           /* consortium time zone, seconds east */
} coord_config_t;

/* The daemon's state (svc_def.app_new's result). */
typedef struct coord_app {
    svc_t *svc;
    bool manual;
    int64_t tick_s;
    int utc_offset_s;
    int64_t start;    /* calendar_start as Unix seconds */
    bool timer_on;    /* timer initialized (system mode) */
    uv_timer_t timer; /* system mode: wall-clock ticks */
} coord_app_t;

/* calendar.c: validate the calendar config and make the app (NULL, logged,
 * if the config is unusable); in manual mode a new store's business time is
 * set to calendar_start, in system mode the tick timer starts (first tick at
 * once). destroy closes the timer; the app is freed in its close callback,
 * so the loop must run once more after it (the runtime does). */
coord_app_t *coord_app_new(svc_t *s, const coord_config_t *cfg);
void coord_app_destroy(void *app);

/* Publish a CalendarTick{now = to, previous} and move business time to
 * `to`, in the current transaction. -EINVAL unless to > business time. */
int coord_calendar_tick(svc_t *s, const svc_ctx_t *c, int64_t to);

/* tasks.c: deadlines decided on a tick at `tick` (same transaction as the
 * tick): every undone milestone of an open task due by then raises one
 * milestone_overdue (never again), every undelivered pledge due by then
 * becomes MISSED (pledge_missed). */
int coord_deadlines(svc_t *s, const svc_ctx_t *c, int64_t tick);

/* escalations.c: reactions to followed streams (svc_def.react). */
int coord_react(svc_t *s, void *app, const svc_ctx_t *c,
                const Cogov__V1__Event *ev);

/* funding.c: incentives' pool_low / pool_exhausted / pool_topped_up into
 * the funding picture (GetConsortium); other events: nothing. */
int coord_funding_react(svc_t *s, const svc_ctx_t *c,
                        const Cogov__V1__Event *ev);

/* "UTC+08:00" for the configured offset; buf >= 16. */
void coord_timezone(int utc_offset_s, char *buf, size_t size);

/* handlers.c: the route table. */
extern const svc_route_t coord_routes[];
extern const size_t coord_n_routes;

#endif

/* cogov-coordination: government-led planning and coordination (统筹协调,
 * DESIGN 1.1, 1.2, 2.6). Table of contents: config keys -> schema -> routes
 * -> calendar -> svc_main (config, log, keys, store, endpoint, loop,
 * teardown). */
#include <stddef.h>

#include "coord_store.h"
#include "coordination.h"
#include "svc.h"
#include "util.h"

/* Filled by the runtime's config loader before app_new runs; read only
 * afterwards (svc_t gives app_new no way to reach config_obj). */
static coord_config_t config;

static const cfg_field_t config_fields[] = {
    {"calendar_mode", CFG_STRING, offsetof(coord_config_t, calendar_mode),
     "system", 0, 0,
     "\"system\": hourly ticks from the wall clock; \"manual\": the "
     "calendar moves only by AdvanceCalendar (tests, demonstrations)"},
    {"calendar_tick_s", CFG_INT, offsetof(coord_config_t, calendar_tick_s),
     "3600", 1, 86400, "system mode: seconds between calendar ticks"},
    {"calendar_start", CFG_STRING, offsetof(coord_config_t, calendar_start),
     "2025-01-01", 0, 0,
     "manual mode: business time of a new store (YYYY-MM-DD[ HH:MM])"},
    {"utc_offset_s", CFG_INT, offsetof(coord_config_t, utc_offset_s), "28800",
     -50400, 50400,
     "consortium time zone as seconds east of UTC (28800: Asia/Shanghai)"},
    {NULL, 0, 0, NULL, 0, 0, NULL},
};

/* Streams it reacts to (DESIGN 1.6): resolutions and breached inquiry SLAs
 * from the secretariat; rectification_overdue and standing_recommended from
 * supervision (escalation cases); pool alerts and top-ups from incentives
 * (the funding picture). */
static const char *const follows[] = {"secretariat", "supervision",
                                      "incentives"};

static void *
app_new(svc_t *s)
{
    return coord_app_new(s, &config);
}

/* The payload cases coord_react (escalations.c) has a case for (it returns 0
 * for the others, writing nothing): the runtime skips the others undecoded.
 * Keep it in step with that switch (the integration tests check it:
 * COGOV_VERIFY_SKIPS, follow.c). */
static const Cogov__V1__Event__PayloadCase reacts_to[] = {
    COGOV__V1__EVENT__PAYLOAD_RESOLUTION_ADOPTED,
    COGOV__V1__EVENT__PAYLOAD_INQUIRY_SLA_BREACHED,
    COGOV__V1__EVENT__PAYLOAD_RECTIFICATION_OVERDUE,
    COGOV__V1__EVENT__PAYLOAD_STANDING_RECOMMENDED,
    COGOV__V1__EVENT__PAYLOAD_POOL_LOW,
    COGOV__V1__EVENT__PAYLOAD_POOL_EXHAUSTED,
    COGOV__V1__EVENT__PAYLOAD_POOL_TOPPED_UP,
};

int
main(int argc, char **argv)
{
    svc_def_t def = {
        .name = "coordination",
        .migrations = coord_migrations,
        .n_migrations = coord_n_migrations,
        .routes = coord_routes,
        .n_routes = coord_n_routes,
        .follows = follows,
        .n_follows = ARRAY_LEN(follows),
        .reacts_to = reacts_to,
        .n_reacts_to = ARRAY_LEN(reacts_to),
        .react = coord_react,
        .config = config_fields,
        .config_obj = &config,
        .config_size = sizeof(config),
        .app_new = app_new,
        .app_destroy = coord_app_destroy,
    };

    return svc_main(&def, argc, argv);
}

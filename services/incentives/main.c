/* cogov-incentives: incentives and guarantees (激励保障, DESIGN 1.3, 1.6).
 * Table of contents: config keys -> streams followed -> svc_main (config,
 * log, keys, store, endpoint, followers, loop, teardown). Schema in
 * inc_store.c, routes in handlers.c, reactions in react.c, awards and pools
 * in awards.c, pure rules in policy.c, pool_acct.c, award_rules.c. */
#include <stddef.h>
#include <stdlib.h>

#include "inc_store.h"
#include "incentives.h"
#include "util.h"

/* Filled by the runtime's config loader before app_new runs. */
static inc_config_t config;

static const cfg_field_t config_fields[] = {
    {"utc_offset_s", CFG_INT, offsetof(inc_config_t, utc_offset_s), "28800",
     -50400, 50400,
     "consortium time zone as seconds east of UTC (28800: Asia/Shanghai); "
     "policy effective dates and member-year caps use it"},
    {"pool_low_permille", CFG_INT, offsetof(inc_config_t, pool_low_permille),
     "100", 0, 1000,
     "pool_low is raised once when a pool's available money falls below "
     "this share of its budget (per mille; 100 = 10%; 0: never)"},
    {NULL, 0, 0, NULL, 0, 0, NULL},
};

/* Coordination: members, progress, completions. Supervision: evaluation
 * results and rectification orders; while cogov-supervision is down its
 * cursor shows "connecting" and nothing is lost (the stream is pulled). */
static const char *const follows[] = {"coordination", "supervision"};

static void *
app_new(svc_t *s)
{
    inc_app_t *a = xmalloc(sizeof *a);

    (void)s;
    a->cfg = &config;
    return a;
}

static void
app_destroy(void *a)
{
    free(a);
}

/* The payload cases inc_react (react.c) has a case for (it returns 0 for
 * the others, writing nothing): the runtime skips the others undecoded.
 * Keep it in step with that switch (the integration tests check it:
 * COGOV_VERIFY_SKIPS, follow.c). */
static const Cogov__V1__Event__PayloadCase reacts_to[] = {
    COGOV__V1__EVENT__PAYLOAD_MEMBER_ADMITTED,
    COGOV__V1__EVENT__PAYLOAD_MEMBER_SUSPENDED,
    COGOV__V1__EVENT__PAYLOAD_MEMBER_REINSTATED,
    COGOV__V1__EVENT__PAYLOAD_MEMBER_EXITED,
    COGOV__V1__EVENT__PAYLOAD_MEMBER_EXPELLED,
    COGOV__V1__EVENT__PAYLOAD_TASK_CREATED,
    COGOV__V1__EVENT__PAYLOAD_PROGRESS_REPORTED,
    COGOV__V1__EVENT__PAYLOAD_TASK_COMPLETED,
    COGOV__V1__EVENT__PAYLOAD_EVALUATION_PUBLISHED,
    COGOV__V1__EVENT__PAYLOAD_RECTIFICATION_ORDERED,
    COGOV__V1__EVENT__PAYLOAD_RECTIFICATION_CLOSED,
};

int
main(int argc, char **argv)
{
    svc_def_t def = {
        .name = "incentives",
        .migrations = inc_migrations,
        .n_migrations = inc_n_migrations,
        .routes = inc_routes,
        .n_routes = inc_n_routes,
        .follows = follows,
        .n_follows = ARRAY_LEN(follows),
        .reacts_to = reacts_to,
        .n_reacts_to = ARRAY_LEN(reacts_to),
        .react = inc_react,
        .config = config_fields,
        .config_obj = &config,
        .config_size = sizeof(config),
        .app_new = app_new,
        .app_destroy = app_destroy,
    };

    return svc_main(&def, argc, argv);
}

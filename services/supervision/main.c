/* cogov-supervision: supervision and evaluation (督导评价, DESIGN 1.4).
 * Table of contents: config keys -> schema (supv_store.c) -> routes
 * (handlers.c: indicators, rounds, warnings, health, facts; rectify.c:
 * rectification orders) -> follows coordination and secretariat and folds
 * their events into facts, raises warnings, decides deadlines on ticks
 * (react.c), and follows incentives for its pool alerts -> svc_main. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "supervision.h"
#include "supv_store.h"
#include "util.h"

static supv_config_t config;

static const cfg_field_t config_fields[] = {
    {"utc_offset_s", CFG_INT, offsetof(supv_config_t, utc_offset_s), "28800",
     -50400, 50400,
     "consortium time zone as seconds east of UTC (28800: Asia/Shanghai)"},
    {"grade_excellent", CFG_INT, offsetof(supv_config_t, grade_excellent), "90",
     1, 100, "total (points of 100) at or above which a unit is 优秀"},
    {"grade_good", CFG_INT, offsetof(supv_config_t, grade_good), "80", 1, 100,
     "total at or above which a unit is 良好"},
    {"grade_pass", CFG_INT, offsetof(supv_config_t, grade_pass), "60", 1, 100,
     "total at or above which a unit is 合格 (below: 不合格)"},
    {"inactive_days", CFG_INT, offsetof(supv_config_t, inactive_days), "90", 0,
     3650, "days without evidence before an 'inactive' warning (0: off)"},
    {"absence_streak", CFG_INT, offsetof(supv_config_t, absence_streak), "3", 0,
     50, "meetings missed in a row before an absence warning (0: off)"},
    {"auto_rounds", CFG_STRING, offsetof(supv_config_t, auto_rounds), "quarter",
     0, 0,
     "evaluation rounds a calendar tick drafts once their period has "
     "ended: \"quarter\" (every quarter and every year), \"year\" (years "
     "only) or \"off\"; review and publication stay the supervisor's"},
    {NULL, 0, 0, NULL, 0, 0, NULL},
};

/* incentives: pool_low / pool_exhausted become warnings. */
static const char *const follows[] = {"coordination", "secretariat",
                                      "incentives"};

static void *
app_new(svc_t *s)
{
    static const char *const modes[] = {"off", "year", "quarter"};
    supv_app_t *a;
    size_t i = 0;

    (void)s;
    while (i < ARRAY_LEN(modes) && strcmp(config.auto_rounds, modes[i]) != 0)
        i++;
    if (i == ARRAY_LEN(modes)) {
        log_error("config.invalid",
                  "key=auto_rounds value=%s want=\"quarter, year or off\"",
                  log_q(config.auto_rounds));
        return NULL;
    }
    a = xmalloc(sizeof *a);
    a->cfg = &config;
    a->auto_rounds = (supv_auto_t)i;
    return a;
}

static void
app_destroy(void *app)
{
    free(app);
}

/* The payload cases supv_react (react.c) has a case for (it returns 0 for
 * the others, writing nothing): the runtime skips the others undecoded.
 * Keep it in step with that switch (the integration tests check it:
 * COGOV_VERIFY_SKIPS, follow.c). */
static const Cogov__V1__Event__PayloadCase reacts_to[] = {
    COGOV__V1__EVENT__PAYLOAD_CALENDAR_TICK,
    SVC_MEMBER_LIFECYCLE_CASES,
    COGOV__V1__EVENT__PAYLOAD_PROGRESS_REPORTED,
    COGOV__V1__EVENT__PAYLOAD_TASK_COMPLETED,
    COGOV__V1__EVENT__PAYLOAD_MILESTONE_COMPLETED,
    COGOV__V1__EVENT__PAYLOAD_MILESTONE_OVERDUE,
    COGOV__V1__EVENT__PAYLOAD_PLEDGE_MADE,
    COGOV__V1__EVENT__PAYLOAD_PLEDGE_DELIVERED,
    COGOV__V1__EVENT__PAYLOAD_PLEDGE_MISSED,
    COGOV__V1__EVENT__PAYLOAD_MEETING_HELD,
    COGOV__V1__EVENT__PAYLOAD_INQUIRY_ANSWERED,
    COGOV__V1__EVENT__PAYLOAD_INQUIRY_SLA_BREACHED,
    COGOV__V1__EVENT__PAYLOAD_VOTE_CAST,
    COGOV__V1__EVENT__PAYLOAD_VOTE_OPENED,
    COGOV__V1__EVENT__PAYLOAD_MOTION_RAISED,
    COGOV__V1__EVENT__PAYLOAD_MEETING_RSVP,
    COGOV__V1__EVENT__PAYLOAD_MEETING_CHECKED_IN,
    COGOV__V1__EVENT__PAYLOAD_INQUIRY_ASKED,
    COGOV__V1__EVENT__PAYLOAD_NOTICE_ACKNOWLEDGED,
    COGOV__V1__EVENT__PAYLOAD_EXTRAORDINARY_MEETING_REQUESTED,
    COGOV__V1__EVENT__PAYLOAD_DEMAND_POSTED,
    COGOV__V1__EVENT__PAYLOAD_SUPPLY_POSTED,
    COGOV__V1__EVENT__PAYLOAD_GOAL_SET,
    COGOV__V1__EVENT__PAYLOAD_POOL_LOW,
    COGOV__V1__EVENT__PAYLOAD_POOL_EXHAUSTED,
    COGOV__V1__EVENT__PAYLOAD_RESOLUTION_ADOPTED,
};

int
main(int argc, char **argv)
{
    svc_def_t def = {
        .name = "supervision",
        .migrations = supv_migrations,
        .n_migrations = supv_n_migrations,
        .routes = supv_routes,
        .n_routes = supv_n_routes,
        .follows = follows,
        .n_follows = ARRAY_LEN(follows),
        .reacts_to = reacts_to,
        .n_reacts_to = ARRAY_LEN(reacts_to),
        .react = supv_react,
        .config = config_fields,
        .config_obj = &config,
        .config_size = sizeof(config),
        .app_new = app_new,
        .app_destroy = app_destroy,
    };

    return svc_main(&def, argc, argv);
}

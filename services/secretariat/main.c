/* cogov-secretariat: secretariat-led communication and consultation (沟通协商,
 * DESIGN 1.5). Table of contents: config keys -> schema -> routes (notices,
 * motions and votes, meetings, inquiries, briefings) -> follows
 * coordination and reacts (members, charter, seats, calendar ticks) ->
 * svc_main (config, log, keys, store, endpoint, followers, loop,
 * teardown). */
#include <stddef.h>
#include <stdlib.h>

#include "sec_store.h"
#include "secretariat.h"
#include "svc.h"
#include "util.h"

/* Filled by the runtime's config loader before app_new runs; read only
 * afterwards. */
static sec_config_t config;

static const cfg_field_t config_fields[] = {
    {"utc_offset_s", CFG_INT, offsetof(sec_config_t, utc_offset_s), "28800",
     -50400, 50400,
     "consortium time zone as seconds east of UTC (28800: Asia/Shanghai)"},
    {"inquiry_sla_days", CFG_INT, offsetof(sec_config_t, inquiry_sla_days), "5",
     1, 365, "days an inquiry may stay unanswered before inquiry_sla_breached"},
    {"notice_remind_days", CFG_INT, offsetof(sec_config_t, notice_remind_days),
     "3", 0, 365,
     "days after which units that have not acknowledged a notice get one "
     "reminder (0: none)"},
    {"meeting_remind_hours", CFG_INT,
     offsetof(sec_config_t, meeting_remind_hours), "24", 0, 24 * 30,
     "hours before a meeting its invitees get one reminder (0: none)"},
    {"extraordinary_notice_days", CFG_INT,
     offsetof(sec_config_t, extraordinary_notice_days), "7", 1, 90,
     "days after its convening an extraordinary meeting starts"},
    {NULL, 0, 0, NULL, 0, 0, NULL},
};

static const char *const follows[] = {"coordination", "incentives",
                                      "supervision"};

static void *
app_new(svc_t *s)
{
    sec_app_t *a = xmalloc(sizeof *a);

    (void)s;
    a->cfg = &config;
    return a;
}

static void
app_destroy(void *app)
{
    free(app);
}

/* The payload cases sec_react (react.c) has a case for (it returns 0 for
 * the others, writing nothing): the runtime skips the others undecoded.
 * Keep it in step with that switch (the integration tests check it:
 * COGOV_VERIFY_SKIPS, follow.c). */
static const Cogov__V1__Event__PayloadCase reacts_to[] = {
    COGOV__V1__EVENT__PAYLOAD_CALENDAR_TICK,
    COGOV__V1__EVENT__PAYLOAD_CHARTER_ADOPTED,
    COGOV__V1__EVENT__PAYLOAD_COUNCIL_SEAT_ASSIGNED,
    COGOV__V1__EVENT__PAYLOAD_CONSORTIUM_FOUNDED,
    SVC_MEMBER_LIFECYCLE_CASES,
    COGOV__V1__EVENT__PAYLOAD_TASK_CREATED,
    COGOV__V1__EVENT__PAYLOAD_TASK_STATUS_CHANGED,
    COGOV__V1__EVENT__PAYLOAD_TASK_COMPLETED,
    COGOV__V1__EVENT__PAYLOAD_AWARD_APPROVED,
    COGOV__V1__EVENT__PAYLOAD_WARNING_RAISED,
    COGOV__V1__EVENT__PAYLOAD_EVALUATION_PUBLISHED,
    COGOV__V1__EVENT__PAYLOAD_RECTIFICATION_ORDERED,
    COGOV__V1__EVENT__PAYLOAD_POOL_LOW,
    COGOV__V1__EVENT__PAYLOAD_POOL_EXHAUSTED,
    COGOV__V1__EVENT__PAYLOAD_MILESTONE_OVERDUE,
};

int
main(int argc, char **argv)
{
    svc_def_t def = {
        .name = "secretariat",
        .migrations = sec_migrations,
        .n_migrations = sec_n_migrations,
        .routes = sec_routes,
        .n_routes = sec_n_routes,
        .follows = follows,
        .n_follows = ARRAY_LEN(follows),
        .reacts_to = reacts_to,
        .n_reacts_to = ARRAY_LEN(reacts_to),
        .react = sec_react,
        .config = config_fields,
        .config_obj = &config,
        .config_size = sizeof(config),
        .app_new = app_new,
        .app_destroy = app_destroy,
    };

    return svc_main(&def, argc, argv);
}

/* supervision: the daemon's internal contract between main.c (table of
 * contents), react.c (evidence, warnings, deadlines on ticks), handlers.c
 * (route table, indicators, rounds, warnings, health) and rectify.c
 * (rectification orders). Pure rules in evalrules.c, SQL in supv_store.c. */
#ifndef COGOV_SUPERVISION_H
#define COGOV_SUPERVISION_H

#include "svc.h"

#define OK COGOV__V1__STATUS_CODE__STATUS_OK
#define INVALID COGOV__V1__STATUS_CODE__STATUS_INVALID
#define NOT_FOUND COGOV__V1__STATUS_CODE__STATUS_NOT_FOUND
#define DENIED COGOV__V1__STATUS_CODE__STATUS_PERMISSION_DENIED
#define CONFLICT COGOV__V1__STATUS_CODE__STATUS_CONFLICT
#define UNAVAILABLE COGOV__V1__STATUS_CODE__STATUS_UNAVAILABLE
#define INTERNAL COGOV__V1__STATUS_CODE__STATUS_INTERNAL

#define R(x) (1u << COGOV__V1__ROLE__ROLE_##x)
#define READ_ROLES                                                             \
    (R(SECRETARIAT) | R(GOV_COORDINATOR) | R(OPERATOR) | R(OBSERVER) |         \
     R(MEMBER_REP) | R(SUPERVISOR))

typedef struct supv_config {
    long long utc_offset_s;
    long long grade_excellent; /* points of 100 */
    long long grade_good;
    long long grade_pass;
    long long inactive_days;       /* 0: no inactivity warnings */
    long long absence_streak;      /* 0: no absence warnings */
    char auto_rounds[CFG_STR_MAX]; /* "quarter", "year" or "off" */
} supv_config_t;

/* Which periods a calendar tick drafts rounds for once they have ended. */
typedef enum {
    SUPV_AUTO_OFF,
    SUPV_AUTO_YEAR,    /* years only */
    SUPV_AUTO_QUARTER, /* quarters and years */
} supv_auto_t;

typedef struct supv_app {
    const supv_config_t *cfg;
    supv_auto_t auto_rounds;
} supv_app_t;

int supv_react(svc_t *s, void *app, const svc_ctx_t *c,
               const Cogov__V1__Event *ev);
/* Raise a warning once (derived id); emits warning_raised if new. */
int supv_warn(svc_t *s, const svc_ctx_t *c, const char *id,
              const char *member_id, Cogov__V1__WarningKind kind,
              const char *cause, const char *detail);

/* handlers.c: on a tick at `now`, draft the round of every period (per
 * auto_rounds) that ended at or before `now` and was not handled by an
 * earlier tick, oldest first; each period once (a store cursor). Leaves
 * reviewed and published rounds, and drafts made after the period ended,
 * as they are. */
int supv_rounds_tick(svc_t *s, const supv_app_t *a, const svc_ctx_t *c,
                     int64_t now);

extern const svc_route_t supv_routes[];
extern const size_t supv_n_routes;
Cogov__V1__StatusCode supv_store_fail(Cogov__V1__Reply *rep, int err,
                                      const char *what);
/* A reader confined to its own unit (MEMBER_REP without other read roles):
 * returns the unit it may see (never NULL for those), NULL otherwise. */
const char *supv_own_unit(const principal_t *p);

/* rectify.c */
Cogov__V1__StatusCode supv_issue_rect(svc_t *, void *, const svc_ctx_t *,
                                      const Cogov__V1__Request *,
                                      Cogov__V1__Reply *);
Cogov__V1__StatusCode supv_report_rect(svc_t *, void *, const svc_ctx_t *,
                                       const Cogov__V1__Request *,
                                       Cogov__V1__Reply *);
Cogov__V1__StatusCode supv_decide_rect(svc_t *, void *, const svc_ctx_t *,
                                       const Cogov__V1__Request *,
                                       Cogov__V1__Reply *);
Cogov__V1__StatusCode supv_get_rect(svc_t *, void *, const svc_ctx_t *,
                                    const Cogov__V1__Request *,
                                    Cogov__V1__Reply *);
Cogov__V1__StatusCode supv_list_rects(svc_t *, void *, const svc_ctx_t *,
                                      const Cogov__V1__Request *,
                                      Cogov__V1__Reply *);
/* Orders past their deadline unaccepted: rectification_overdue once. */
int supv_rect_tick(svc_t *s, const svc_ctx_t *c, int64_t now);

#endif

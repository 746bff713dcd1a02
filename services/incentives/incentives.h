/* incentives: the daemon's internal contract between main.c (table of
 * contents), react.c (reactions to coordination's and supervision's
 * streams), awards.c (computing awards, their lifecycle, pools and the
 * queue) and handlers.c (route table, commands and queries). */
#ifndef COGOV_INCENTIVES_H
#define COGOV_INCENTIVES_H

#include <stdbool.h>

#include "award_rules.h"
#include "policy.h"
#include "svc.h"

#define OK COGOV__V1__STATUS_CODE__STATUS_OK
#define INVALID COGOV__V1__STATUS_CODE__STATUS_INVALID
#define NOT_FOUND COGOV__V1__STATUS_CODE__STATUS_NOT_FOUND
#define DENIED COGOV__V1__STATUS_CODE__STATUS_PERMISSION_DENIED
#define CONFLICT COGOV__V1__STATUS_CODE__STATUS_CONFLICT
#define UNAVAILABLE COGOV__V1__STATUS_CODE__STATUS_UNAVAILABLE
#define INTERNAL COGOV__V1__STATUS_CODE__STATUS_INTERNAL
#define AS(x) COGOV__V1__AWARD_STATUS__AWARD_STATUS_##x

#define R(x) (1u << COGOV__V1__ROLE__ROLE_##x)
#define INC_READ_ROLES                                                         \
    (R(GOV_COORDINATOR) | R(SECRETARIAT) | R(SUPERVISOR) |                     \
     R(FINANCE_OFFICER) | R(OPERATOR) | R(OBSERVER) | R(MEMBER_REP))

typedef struct inc_config {
    long long utc_offset_s;      /* consortium time zone */
    long long pool_low_permille; /* pool_low when available < this of budget */
} inc_config_t;

typedef struct inc_app {
    const inc_config_t *cfg;
} inc_app_t;

/* react.c */
int inc_react(svc_t *s, void *app, const svc_ctx_t *c,
              const Cogov__V1__Event *ev);

/* handlers.c */
extern const svc_route_t inc_routes[];
extern const size_t inc_n_routes;

/* awards.c: awards from a progress report (and its correction), a task
 * completion, an evaluation's results. Idempotent: ids derive from
 * (policy, rule, source event[, member]). */
int inc_awards_progress(svc_t *s, inc_app_t *a, const svc_ctx_t *c,
                        const Cogov__V1__Event *ev);
int inc_awards_completed(svc_t *s, inc_app_t *a, const svc_ctx_t *c,
                         const Cogov__V1__Event *ev);
int inc_awards_evaluation(svc_t *s, inc_app_t *a, const svc_ctx_t *c,
                          const Cogov__V1__Event *ev);
/* Hold a unit's pending awards, or release its held ones if it is in good
 * standing again (admitted, no open rectification). */
int inc_awards_standing(svc_t *s, inc_app_t *a, const svc_ctx_t *c,
                        const char *member_id);
/* honours.c: decide the honour of rule r for a member's published grade
 * (ev: the evaluation_published), granted or withheld by the unit's
 * standing just before the publication in cap order; idempotent. */
int inc_honour_decide(svc_t *s, const svc_ctx_t *c, const policy_t *p,
                      const pol_rule_t *r, const Cogov__V1__Event *ev,
                      const char *member_id, const char *round_id, int grade);
/* A member status change (ev, from coordination) re-decides the member's
 * honours published after it in cap order (a change that arrived late). */
int inc_honours_restanding(svc_t *s, const svc_ctx_t *c, const char *member_id,
                           const Cogov__V1__Event *ev);
/* Whether a unit of member status `status` with these open orders
 * ("A,B", "" none) has its honour withheld; why = the reason ("" if not).
 * Pure. */
bool inc_honour_withheld(int status, const char *open_orders, char *why,
                         size_t whylen);

/* A command on an award: the state machine, the pool's accounting and the
 * queue, in the caller's transaction. On refusal *why is set (static or
 * the store's error) and the status returned. */
Cogov__V1__StatusCode inc_award_op(svc_t *s, inc_app_t *a, const svc_ctx_t *c,
                                   const char *award_id, award_op_t op,
                                   const char *note, Cogov__V1__Reply *rep);
/* Fund the pool's queue in order while it fits, raise pool_low and
 * pool_exhausted once each (until a top-up lifts the pool again). */
int inc_pool_settle(svc_t *s, inc_app_t *a, const svc_ctx_t *c,
                    const char *pool_id);

/* qualify.c: 产教融合型企业 qualification and tax credit commands. */
Cogov__V1__StatusCode inc_set_qualification(svc_t *s, void *app,
                                            const svc_ctx_t *c,
                                            const Cogov__V1__Request *req,
                                            Cogov__V1__Reply *rep);
Cogov__V1__StatusCode inc_record_investment(svc_t *s, void *app,
                                            const svc_ctx_t *c,
                                            const Cogov__V1__Request *req,
                                            Cogov__V1__Reply *rep);
Cogov__V1__StatusCode inc_withdraw_investment(svc_t *s, void *app,
                                              const svc_ctx_t *c,
                                              const Cogov__V1__Request *req,
                                              Cogov__V1__Reply *rep);
Cogov__V1__StatusCode inc_report_surcharge(svc_t *s, void *app,
                                           const svc_ctx_t *c,
                                           const Cogov__V1__Request *req,
                                           Cogov__V1__Reply *rep);
Cogov__V1__StatusCode inc_get_tax_credit(svc_t *s, void *app,
                                         const svc_ctx_t *c,
                                         const Cogov__V1__Request *req,
                                         Cogov__V1__Reply *rep);
/* handlers.c: an id clients choose (pool, guarantee, investment): 1..40 of
 * [A-Za-z0-9._-]. */
bool inc_id_ok(const char *s);
/* guarantees.c: guarantees and the honours list. */
Cogov__V1__StatusCode inc_make_guarantee(svc_t *s, void *app,
                                         const svc_ctx_t *c,
                                         const Cogov__V1__Request *req,
                                         Cogov__V1__Reply *rep);
Cogov__V1__StatusCode inc_settle_guarantee(svc_t *s, void *app,
                                           const svc_ctx_t *c,
                                           const Cogov__V1__Request *req,
                                           Cogov__V1__Reply *rep);
Cogov__V1__StatusCode inc_list_guarantees(svc_t *s, void *app,
                                          const svc_ctx_t *c,
                                          const Cogov__V1__Request *req,
                                          Cogov__V1__Reply *rep);
Cogov__V1__StatusCode inc_list_honours(svc_t *s, void *app, const svc_ctx_t *c,
                                       const Cogov__V1__Request *req,
                                       Cogov__V1__Reply *rep);

#endif

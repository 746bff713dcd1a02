/* react: what incentives does when coordination or supervision publishes
 * (DESIGN 1.6): keep the units and their standing (suspension, open
 * rectifications), propose awards from progress reports, task completions
 * and evaluation results, hold a unit's pending awards while it is
 * suspended or under rectification and release them when that ends; log
 * status changes in cap order for the honours (honours.c).
 * Idempotent: award ids derive from (policy, rule, source event). */
#include "incentives.h"

#include "cap_alloc.h"
#include "inc_store.h"
#include "util.h"

#define PAY(x) COGOV__V1__EVENT__PAYLOAD_##x

static int
member(svc_t *s, inc_app_t *a, const svc_ctx_t *c, const Cogov__V1__Event *ev)
{
    const Cogov__V1__MemberStatusChanged *m = ev->member_admitted;
    int err;

    if (m == NULL || str_empty(m->member_id)) {
        svc_react_error(s, "%s: member_id missing", svc_event_type(ev));
        return SVC_REACT_REJECT;
    }
    char key[200];
    cap_order_key(ev->occurred_at, ev->producer, ev->seq, "", key, sizeof key);
    err = inc_store_member_put(svc_store(s), m->member_id, m->type, m->to);
    if (err == 0)
        err = inc_store_status_log(svc_store(s), m->member_id, key, m->to);
    if (err == 0)
        err = inc_awards_standing(s, a, c, m->member_id);
    if (err == 0)
        err = inc_honours_restanding(s, c, m->member_id, ev);
    return err;
}

static int
rectification(svc_t *s, inc_app_t *a, const svc_ctx_t *c, const char *member_id,
              const char *rect_id, bool open)
{
    int err;

    if (str_empty(member_id) || str_empty(rect_id)) {
        svc_react_error(s, "rectification: member_id and rectification_id "
                           "required");
        return SVC_REACT_REJECT;
    }
    err = inc_store_member_rect(svc_store(s), member_id, rect_id, open);
    if (err == 0)
        err = inc_awards_standing(s, a, c, member_id);
    return err;
}

int
inc_react(svc_t *s, void *app, const svc_ctx_t *c, const Cogov__V1__Event *ev)
{
    inc_app_t *a = app;

    switch (ev->payload_case) {
    case PAY(MEMBER_ADMITTED):
    case PAY(MEMBER_SUSPENDED):
    case PAY(MEMBER_REINSTATED):
    case PAY(MEMBER_EXITED):
    case PAY(MEMBER_EXPELLED):
        return member(s, a, c, ev);
    case PAY(TASK_CREATED):
        /* kept so that guarantees can name a task */
        if (str_empty(ev->task_created->task_id))
            return 0;
        return inc_store_task_put(svc_store(s), ev->task_created->task_id,
                                  ev->task_created->lead_member_id);
    case PAY(PROGRESS_REPORTED):
        return inc_awards_progress(s, a, c, ev);
    case PAY(TASK_COMPLETED):
        return inc_awards_completed(s, a, c, ev);
    case PAY(EVALUATION_PUBLISHED):
        return inc_awards_evaluation(s, a, c, ev);
    case PAY(RECTIFICATION_ORDERED):
        return rectification(s, a, c, ev->rectification_ordered->member_id,
                             ev->rectification_ordered->rectification_id, true);
    case PAY(RECTIFICATION_CLOSED):
        return rectification(s, a, c, ev->rectification_closed->member_id,
                             ev->rectification_closed->rectification_id, false);
    default:
        return 0; /* not ours (calendar ticks move business time alone) */
    }
}

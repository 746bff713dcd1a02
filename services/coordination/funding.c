/* funding: coordination's side of "pool nearly spent / exhausted" (DESIGN
 * 1.6). The secretariat tells the council; incentives queues the awards a
 * pool cannot cover. Coordination, which plans the tasks those awards come
 * from, keeps each pool's latest alert (or that a top-up lifted it) so
 * that the lead department sees it with the consortium (GetConsortium,
 * `cogovctl consortium show`). It does not hold back task approvals: they
 * are the lead department's decisions, and making them wait on another
 * stream's alerts would make a task's status depend on which stream
 * arrived first (DESIGN 2.3). Idempotent: one row per pool, set from the
 * incentives stream, whose order is its own. */
#include "coord_handlers.h"

#include "coord_store.h"
#include "log.h"
#include "util.h"

#define FS(x) COGOV__V1__FUNDING_STATE__FUNDING_STATE_##x

int
coord_funding_react(svc_t *s, const svc_ctx_t *c, const Cogov__V1__Event *ev)
{
    Cogov__V1__FundingAlert f = COGOV__V1__FUNDING_ALERT__INIT;
    const Cogov__V1__PoolAlert *p = NULL;
    bool lift = false;
    int err;

    switch (ev->payload_case) {
    case COGOV__V1__EVENT__PAYLOAD_POOL_LOW:
        p = ev->pool_low;
        f.state = FS(LOW);
        break;
    case COGOV__V1__EVENT__PAYLOAD_POOL_EXHAUSTED:
        p = ev->pool_exhausted;
        f.state = FS(EXHAUSTED);
        break;
    case COGOV__V1__EVENT__PAYLOAD_POOL_TOPPED_UP: {
        const Cogov__V1__Pool *pool =
            ev->pool_topped_up ? ev->pool_topped_up->pool : NULL;
        if (pool == NULL || str_empty(pool->pool_id))
            return 0;
        lift = true;
        f.state = FS(LIFTED);
        f.pool_id = pool->pool_id;
        f.budget_fen = pool->budget_fen;
        f.available_fen = pool->available_fen;
        f.queued_fen = pool->queued_fen;
        break;
    }
    default:
        return 0;
    }
    if (!lift) {
        if (p == NULL || str_empty(p->pool_id)) {
            svc_react_error(s, "%s: pool_id missing", svc_event_type(ev));
            return SVC_REACT_REJECT;
        }
        f.pool_id = p->pool_id;
        f.budget_fen = p->budget_fen;
        f.available_fen = p->available_fen;
        f.queued_fen = p->queued_fen;
    }
    f.since = c->now;
    f.causation_id = (char *)c->causation_id;
    err = coord_store_funding_put(svc_store(s), &f, lift);
    if (err < 0)
        return err;
    if (err == 1)
        log_info("funding.changed",
                 "pool=%s state=%s available=%lld queued=%lld corr=%s",
                 log_q(f.pool_id),
                 f.state == FS(LOW)         ? "low"
                 : f.state == FS(EXHAUSTED) ? "exhausted"
                                            : "lifted",
                 (long long)f.available_fen, (long long)f.queued_fen,
                 log_q(c->correlation_id));
    return 0;
}

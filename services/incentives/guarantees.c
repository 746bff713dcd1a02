/* guarantees: what government departments commit to tasks (保障: funding,
 * land, staff quota) and whether it was delivered, per task and per
 * department; and the honours list (granted in awards.c). DESIGN 1.3. */
#include "incentives.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inc_store.h"
#include "log.h"
#include "util.h"
#include "validate.h"

#define PAY(x) COGOV__V1__EVENT__PAYLOAD_##x
#define GS(x) COGOV__V1__GUARANTEE_STATUS__GUARANTEE_STATUS_##x
#define MT(x) COGOV__V1__MEMBER_TYPE__MEMBER_TYPE_##x

static Cogov__V1__StatusCode
fail_store(Cogov__V1__Reply *rep, int err, const char *what)
{
    return svc_fail(rep, err == -EBUSY ? UNAVAILABLE : INTERNAL, "%s: %s", what,
                    strerror(-err));
}

static int
emit_guarantee(svc_t *s, const svc_ctx_t *c, Cogov__V1__Event__PayloadCase pc,
               Cogov__V1__Guarantee *g)
{
    Cogov__V1__Event ev = COGOV__V1__EVENT__INIT;
    Cogov__V1__GuaranteeEvent ge = COGOV__V1__GUARANTEE_EVENT__INIT;

    ge.guarantee = g;
    ev.payload_case = pc;
    ev.guarantee_made = &ge; /* the three cases share GuaranteeEvent */
    return svc_emit(s, c, &ev);
}

Cogov__V1__StatusCode
inc_make_guarantee(svc_t *s, void *app, const svc_ctx_t *c,
                   const Cogov__V1__Request *req, Cogov__V1__Reply *rep)
{
    const Cogov__V1__MakeGuarantee *m = req->make_guarantee;
    Cogov__V1__Guarantee g = COGOV__V1__GUARANTEE__INIT, *old = NULL;
    store_t *st = svc_store(s);
    int type = 0, status = 0, rect = 0, err;

    (void)app;
    if (!inc_id_ok(m->guarantee_id))
        return svc_fail(rep, INVALID,
                        "make_guarantee.guarantee_id: 1..40 of "
                        "[A-Za-z0-9._-]");
    if (str_empty(m->department_id) || str_empty(m->task_id))
        return svc_fail(rep, INVALID,
                        "make_guarantee: department_id and task_id required");
    if (!m->has_kind || m->kind < 1 || m->kind > 3)
        return svc_fail(rep, INVALID,
                        "make_guarantee.kind: FUNDING, LAND or STAFF_QUOTA");
    if (m->quantity <= 0 || m->quantity > INT64_MAX / 8)
        return svc_fail(rep, INVALID, "make_guarantee.quantity: > 0");
    if (!str_empty(m->due_on) && !valid_date(m->due_on))
        return svc_fail(rep, INVALID, "make_guarantee.due_on: YYYY-MM-DD");
    if (!valid_text(m->note, 500, false))
        return svc_fail(rep, INVALID, "make_guarantee.note: 0..500 chars");
    err = inc_store_member(st, m->department_id, &type, &status, &rect);
    if (err == -ENOENT)
        return svc_fail(rep, NOT_FOUND, "department %s: unknown member",
                        m->department_id);
    if (err < 0)
        return fail_store(rep, err, "make_guarantee");
    if (type != MT(GOVERNMENT_DEPARTMENT))
        return svc_fail(rep, INVALID,
                        "make_guarantee.department_id: %s is not a "
                        "government department",
                        m->department_id);
    err = inc_store_task_exists(st, m->task_id);
    if (err == -ENOENT)
        return svc_fail(rep, NOT_FOUND, "task %s: unknown to incentives",
                        m->task_id);
    if (err < 0)
        return fail_store(rep, err, "make_guarantee");
    if ((err = inc_store_guarantee(st, m->guarantee_id, &old)) == 0) {
        cogov__v1__guarantee__free_unpacked(old, NULL);
        return svc_fail(rep, CONFLICT, "guarantee %s exists already",
                        m->guarantee_id);
    }
    g.guarantee_id = m->guarantee_id;
    g.department_id = m->department_id;
    g.task_id = m->task_id;
    g.has_kind = g.has_quantity = g.has_status = g.has_committed_at = true;
    g.kind = m->kind;
    g.quantity = m->quantity;
    g.due_on = m->due_on ? m->due_on : "";
    g.status = GS(COMMITTED);
    g.note = m->note ? m->note : "";
    g.committed_at = c->now;
    if ((err = inc_store_guarantee_put(st, &g)) < 0 ||
        (err = emit_guarantee(s, c, PAY(GUARANTEE_MADE), &g)) < 0)
        return fail_store(rep, err, "make_guarantee");
    log_info("guarantee.made",
             "guarantee=%s department=%s task=%s kind=%d quantity=%" PRId64
             " actor=%s corr=%s",
             log_q(g.guarantee_id), log_q(g.department_id), log_q(g.task_id),
             g.kind, g.quantity, log_q(c->actor), log_q(c->correlation_id));
    err = inc_store_guarantee(st, m->guarantee_id, &rep->guarantee);
    rep->body_case = COGOV__V1__REPLY__BODY_GUARANTEE;
    return err < 0 ? fail_store(rep, err, "make_guarantee") : OK;
}

Cogov__V1__StatusCode
inc_settle_guarantee(svc_t *s, void *app, const svc_ctx_t *c,
                     const Cogov__V1__Request *req, Cogov__V1__Reply *rep)
{
    const Cogov__V1__SettleGuarantee *m = req->settle_guarantee;
    Cogov__V1__Guarantee *g = NULL;
    store_t *st = svc_store(s);
    Cogov__V1__StatusCode code = OK;
    int err;

    (void)app;
    if (str_empty(m->guarantee_id) || !m->has_delivered)
        return svc_fail(rep, INVALID,
                        "settle_guarantee: guarantee_id and delivered "
                        "required");
    if (m->delivered &&
        (m->delivered_quantity <= 0 || m->delivered_quantity > INT64_MAX / 8))
        return svc_fail(rep, INVALID,
                        "settle_guarantee.delivered_quantity: > 0 when "
                        "delivered");
    if (!valid_text(m->note, 500, false))
        return svc_fail(rep, INVALID, "settle_guarantee.note: 0..500 chars");
    err = inc_store_guarantee(st, m->guarantee_id, &g);
    if (err == -ENOENT)
        return svc_fail(rep, NOT_FOUND, "guarantee %s: no such guarantee",
                        m->guarantee_id);
    if (err < 0)
        return fail_store(rep, err, "settle_guarantee");
    if (g->status != GS(COMMITTED)) {
        code = svc_fail(rep, CONFLICT, "guarantee %s is settled already",
                        m->guarantee_id);
        goto done;
    }
    g->status = m->delivered ? GS(DELIVERED) : GS(MISSED);
    g->has_delivered_quantity = g->has_settled_at = true;
    g->delivered_quantity = m->delivered ? m->delivered_quantity : 0;
    g->settled_at = c->now;
    if (!str_empty(m->note)) {
        free(g->note);
        g->note = xstrdup(m->note);
    }
    if ((err = inc_store_guarantee_put(st, g)) < 0 ||
        (err = emit_guarantee(s, c,
                              m->delivered ? PAY(GUARANTEE_DELIVERED)
                                           : PAY(GUARANTEE_MISSED),
                              g)) < 0) {
        code = fail_store(rep, err, "settle_guarantee");
        goto done;
    }
    log_info(m->delivered ? "guarantee.delivered" : "guarantee.missed",
             "guarantee=%s department=%s task=%s quantity=%" PRId64
             " actor=%s corr=%s",
             log_q(g->guarantee_id), log_q(g->department_id), log_q(g->task_id),
             g->delivered_quantity, log_q(c->actor), log_q(c->correlation_id));
    rep->guarantee = g;
    rep->body_case = COGOV__V1__REPLY__BODY_GUARANTEE;
    g = NULL;
done:
    if (g)
        cogov__v1__guarantee__free_unpacked(g, NULL);
    return code;
}

Cogov__V1__StatusCode
inc_list_guarantees(svc_t *s, void *app, const svc_ctx_t *c,
                    const Cogov__V1__Request *req, Cogov__V1__Reply *rep)
{
    const Cogov__V1__ListGuarantees *l = req->list_guarantees;
    int err = inc_store_guarantees(svc_store(s), l->task_id, l->department_id,
                                   &rep->guarantee_list);

    (void)app;
    (void)c;
    rep->body_case = COGOV__V1__REPLY__BODY_GUARANTEE_LIST;
    return err < 0 ? fail_store(rep, err, "guarantees") : OK;
}

Cogov__V1__StatusCode
inc_list_honours(svc_t *s, void *app, const svc_ctx_t *c,
                 const Cogov__V1__Request *req, Cogov__V1__Reply *rep)
{
    int err = inc_store_honours(svc_store(s), req->list_honours->member_id,
                                &rep->honour_list);

    (void)app;
    (void)c;
    rep->body_case = COGOV__V1__REPLY__BODY_HONOUR_LIST;
    return err < 0 ? fail_store(rep, err, "honours") : OK;
}

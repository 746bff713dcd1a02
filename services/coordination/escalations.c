/* escalations: cases on the lead department's desk (DESIGN 1.2, 1.6),
 * opened by command or by reaction, decided with a rationale (a suspension
 * or expulsion is carried out in the same transaction), closed; and
 * coordination's reactions to the streams it follows. */
#include "coord_handlers.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coord_store.h"
#include "log.h"
#include "member_rules.h"
#include "task_rules.h"
#include "util.h"

#define ES(x) COGOV__V1__ESCALATION_STATUS__ESCALATION_STATUS_##x
#define SRC(x) COGOV__V1__ESCALATION_SOURCE__ESCALATION_SOURCE_##x

coord_rc coord_task_insert(svc_t *s, const svc_ctx_t *c, Cogov__V1__Reply *rep,
                           const Cogov__V1__CreateTask *t,
                           const char *resolution_id, const char *item_id,
                           int *created);

static int
emit_case(svc_t *s, const svc_ctx_t *c, const Cogov__V1__Escalation *e,
          Cogov__V1__Event__PayloadCase which)
{
    Cogov__V1__Event ev = COGOV__V1__EVENT__INIT;
    Cogov__V1__EscalationEvent ee = COGOV__V1__ESCALATION_EVENT__INIT;
    ee.case_id = e->case_id;
    ee.has_source = ee.has_status = ee.has_decision = true;
    ee.source = e->source;
    ee.subject = e->subject;
    ee.member_id = e->member_id;
    ee.status = e->status;
    ee.decision = e->decision;
    ee.rationale = e->rationale;
    ee.source_ref = e->source_ref;
    ev.payload_case = which;
    if (which == COGOV__V1__EVENT__PAYLOAD_ESCALATION_OPENED)
        ev.escalation_opened = &ee;
    else if (which == COGOV__V1__EVENT__PAYLOAD_ESCALATION_DECIDED)
        ev.escalation_decided = &ee;
    else
        ev.escalation_closed = &ee;
    return svc_emit(s, c, &ev);
}

/* Insert a case and publish escalation_opened if it is new. 1 new, 0 old. */
static int
open_case(svc_t *s, const svc_ctx_t *c, Cogov__V1__Escalation *e)
{
    e->has_status = true;
    e->status = ES(OPEN);
    e->has_opened_at = true;
    e->opened_at = c->now;
    e->causation_id = (char *)c->causation_id;
    int err = coord_store_escalation_add(svc_store(s), e);
    if (err <= 0)
        return err;
    err = emit_case(s, c, e, COGOV__V1__EVENT__PAYLOAD_ESCALATION_OPENED);
    if (err < 0)
        return err;
    log_info("escalation.opened", "case=%s source=%d member=%s corr=%s",
             log_q(e->case_id), (int)e->source,
             log_q(e->member_id ? e->member_id : ""), log_q(c->correlation_id));
    return 1;
}

static coord_rc
reply_case(svc_t *s, Cogov__V1__Reply *rep, const char *id)
{
    int err = coord_store_escalation(svc_store(s), id, &rep->escalation);
    if (err == -ENOENT)
        return svc_fail(rep, NOT_FOUND, "escalation %s: not found", id);
    if (err < 0)
        return coord_store_fail(rep, err, "escalation");
    rep->body_case = COGOV__V1__REPLY__BODY_ESCALATION;
    return OK;
}

HANDLER(coord_open_escalation)
{
    const Cogov__V1__OpenEscalation *o = req->open_escalation;
    Cogov__V1__Escalation e = COGOV__V1__ESCALATION__INIT;
    Cogov__V1__MemberStatus ms;
    int err;

    CHECK(coord_id(rep, "open_escalation.case_id", o->case_id));
    CHECK(coord_text(rep, "open_escalation.subject", o->subject,
                     TITLE_MAX_CHARS, true));
    CHECK(coord_text(rep, "open_escalation.details", o->details, NOTE_MAX_CHARS,
                     false));
    if (!str_empty(o->member_id)) {
        err = coord_store_member_status(svc_store(s), o->member_id, &ms);
        if (err < 0)
            return coord_store_fail(rep, err, "member");
        if (ms == COGOV__V1__MEMBER_STATUS__MEMBER_STATUS_UNSPECIFIED)
            return svc_fail(rep, NOT_FOUND, "member %s: not found",
                            o->member_id);
    }
    e.case_id = o->case_id;
    e.has_source = true;
    e.source = SRC(COMMAND);
    e.subject = o->subject;
    e.member_id = str_empty(o->member_id) ? NULL : o->member_id;
    e.details = o->details;
    err = open_case(s, c, &e);
    if (err < 0)
        return coord_store_fail(rep, err, "open escalation");
    if (err == 0)
        return svc_fail(rep, CONFLICT, "escalation %s already exists",
                        o->case_id);
    return reply_case(s, rep, o->case_id);
}

HANDLER(coord_decide_escalation)
{
    const Cogov__V1__DecideEscalation *d = req->decide_escalation;
    store_t *st = svc_store(s);
    Cogov__V1__Escalation *e = NULL;
    Cogov__V1__Member *m = NULL;
    Cogov__V1__EscalationStatus to;
    Cogov__V1__MemberStatus mto;
    Cogov__V1__MemberDecision md;
    coord_rc rc = OK;
    int err;

    CHECK(coord_id(rep, "decide_escalation.case_id", d->case_id));
    if (!d->has_decision ||
        d->decision ==
            COGOV__V1__ESCALATION_DECISION__ESCALATION_DECISION_UNSPECIFIED)
        return svc_fail(rep, INVALID, "decide_escalation.decision: required");
    CHECK(coord_text(rep, "decide_escalation.rationale", d->rationale,
                     NOTE_MAX_CHARS, true));
    err = coord_store_escalation(st, d->case_id, &e);
    if (err == -ENOENT)
        return svc_fail(rep, NOT_FOUND, "escalation %s: not found", d->case_id);
    if (err < 0)
        return coord_store_fail(rep, err, "escalation");
    if (escalation_transition(e->status, true, &to) < 0) {
        rc = svc_fail(rep, CONFLICT, "escalation %s is not open", e->case_id);
        goto done;
    }
    md = escalation_member_decision(d->decision);
    if (md != COGOV__V1__MEMBER_DECISION__MEMBER_DECISION_UNSPECIFIED) {
        if (str_empty(e->member_id)) {
            rc = svc_fail(rep, CONFLICT,
                          "escalation %s names no member to "
                          "suspend or expel",
                          e->case_id);
            goto done;
        }
        err = coord_store_member(st, e->member_id, false, &m);
        if (err < 0) {
            rc = coord_store_fail(rep, err, "member");
            goto done;
        }
        if (member_decide(m->status, md, &mto) < 0) {
            rc = svc_fail(rep, CONFLICT, "cannot %s member %s in status %s",
                          member_decision_verb(md), m->member_id,
                          member_status_name(m->status));
            goto done;
        }
        err = coord_store_member_change(st, m->member_id, m->status, mto,
                                        d->rationale, c->now, c->causation_id);
        if (err < 0) {
            rc = coord_store_fail(rep, err, "member");
            goto done;
        }
        Cogov__V1__Event ev = COGOV__V1__EVENT__INIT;
        Cogov__V1__MemberStatusChanged msc =
            COGOV__V1__MEMBER_STATUS_CHANGED__INIT;
        msc.member_id = m->member_id;
        msc.name = m->name;
        msc.has_type = msc.has_from = msc.has_to = true;
        msc.type = m->type;
        msc.from = m->status;
        msc.to = mto;
        msc.reason = d->rationale;
        member_event_set(&ev, md, &msc);
        if ((err = svc_emit(s, c, &ev)) < 0) {
            rc = coord_store_fail(rep, err, "emit member status");
            goto done;
        }
        log_info("member.status", "member=%s from=%s to=%s case=%s corr=%s",
                 m->member_id, member_status_name(m->status),
                 member_status_name(mto), log_q(e->case_id),
                 log_q(c->correlation_id));
    }
    err = coord_store_escalation_update(
        st, e->case_id, e->status, to, d->decision, d->rationale, NULL, c->now);
    if (err < 0) {
        rc = coord_store_fail(rep, err, "decide escalation");
        goto done;
    }
    rc = reply_case(s, rep, e->case_id);
    if (rc != OK)
        goto done;
    if ((err = emit_case(s, c, rep->escalation,
                         COGOV__V1__EVENT__PAYLOAD_ESCALATION_DECIDED)) < 0) {
        rc = coord_store_fail(rep, err, "emit escalation_decided");
        goto done;
    }
    log_info("escalation.decided", "case=%s decision=%d corr=%s",
             log_q(e->case_id), (int)d->decision, log_q(c->correlation_id));
done:
    if (m)
        protobuf_c_message_free_unpacked(&m->base, NULL);
    protobuf_c_message_free_unpacked(&e->base, NULL);
    return rc;
}

HANDLER(coord_close_escalation)
{
    const Cogov__V1__CloseEscalation *cl = req->close_escalation;
    Cogov__V1__EscalationStatus to;
    int err;

    CHECK(coord_id(rep, "close_escalation.case_id", cl->case_id));
    CHECK(coord_text(rep, "close_escalation.note", cl->note, NOTE_MAX_CHARS,
                     false));
    CHECK(reply_case(s, rep, cl->case_id));
    if (escalation_transition(rep->escalation->status, false, &to) < 0)
        return svc_fail(rep, CONFLICT, "escalation %s is not decided",
                        cl->case_id);
    err = coord_store_escalation_update(
        svc_store(s), cl->case_id, rep->escalation->status, to,
        COGOV__V1__ESCALATION_DECISION__ESCALATION_DECISION_UNSPECIFIED, NULL,
        str_empty(cl->note) ? NULL : cl->note, c->now);
    if (err < 0)
        return coord_store_fail(rep, err, "close escalation");
    protobuf_c_message_free_unpacked(&rep->escalation->base, NULL);
    rep->escalation = NULL;
    CHECK(reply_case(s, rep, cl->case_id));
    err = emit_case(s, c, rep->escalation,
                    COGOV__V1__EVENT__PAYLOAD_ESCALATION_CLOSED);
    if (err < 0)
        return coord_store_fail(rep, err, "emit escalation_closed");
    log_info("escalation.closed", "case=%s corr=%s", log_q(cl->case_id),
             log_q(c->correlation_id));
    return OK;
}

HANDLER(coord_list_escalations)
{
    const Cogov__V1__ListEscalations *l = req->list_escalations;
    int err = coord_store_escalations(
        svc_store(s), l->has_status ? l->status : ES(UNSPECIFIED),
        str_empty(l->member_id) ? NULL : l->member_id, &rep->escalation_list);
    if (err < 0)
        return coord_store_fail(rep, err, "escalations");
    rep->body_case = COGOV__V1__REPLY__BODY_ESCALATION_LIST;
    return OK;
}

/* ---- reactions ---------------------------------------------------------- */

/* One task per action item, id "<resolution_id>/<item_id>", idempotent. An
 * item that cannot become a task (owner not admitted, bad fields) is
 * logged and skipped: the rest of the resolution still applies. */
static int
resolution_adopted(svc_t *s, const svc_ctx_t *c,
                   const Cogov__V1__ResolutionAdopted *r)
{
    if (r == NULL || str_empty(r->resolution_id)) {
        svc_react_error(s, "resolution_adopted: resolution_id missing");
        return SVC_REACT_REJECT;
    }
    for (size_t i = 0; i < r->n_action_items; i++) {
        const Cogov__V1__ActionItem *a = r->action_items[i];
        Cogov__V1__CreateTask t = COGOV__V1__CREATE_TASK__INIT;
        Cogov__V1__MilestoneSpec ms = COGOV__V1__MILESTONE_SPEC__INIT;
        Cogov__V1__MilestoneSpec *msp = &ms;
        Cogov__V1__Reply rep = COGOV__V1__REPLY__INIT;
        char *id =
            xasprintf("%s/%s", r->resolution_id, a->item_id ? a->item_id : "");
        int created = 0;

        t.task_id = id;
        t.title = a->title;
        t.has_kind = true;
        t.kind = a->has_kind ? a->kind : COGOV__V1__TASK_KIND__TASK_KIND_OTHER;
        t.lead_member_id = a->owner_member_id;
        t.has_planned_quantity = a->has_planned_quantity;
        t.planned_quantity = a->planned_quantity;
        t.quantity_unit = a->quantity_unit;
        if (!str_empty(a->due_on)) {
            ms.milestone_id = "due";
            ms.title = a->title;
            ms.due_on = a->due_on;
            t.n_milestones = 1;
            t.milestones = &msp;
        }
        coord_rc rc = coord_task_insert(s, c, &rep, &t, r->resolution_id,
                                        a->item_id, &created);
        if (rc == UNAVAILABLE || rc == INTERNAL) {
            free(rep.error);
            free(id);
            return -EIO; /* transient or store trouble: retried */
        }
        if (rc != OK)
            log_warn("task.from_resolution_skipped", "task=%s error=%s corr=%s",
                     log_q(id), log_q(rep.error ? rep.error : ""),
                     log_q(c->correlation_id));
        free(rep.error);
        free(id);
    }
    return 0;
}

static int
escalate(svc_t *s, const svc_ctx_t *c, const Cogov__V1__Event *ev,
         Cogov__V1__EscalationSource src, const char *ref,
         const char *member_id, char *subject)
{
    Cogov__V1__Escalation e = COGOV__V1__ESCALATION__INIT;
    char *id = xasprintf("esc:%s:%" PRIu64, ev->producer, ev->seq);
    e.case_id = id;
    e.has_source = true;
    e.source = src;
    e.subject = subject;
    e.member_id = str_empty(member_id) ? NULL : (char *)member_id;
    e.source_ref = (char *)ref;
    int err = open_case(s, c, &e);
    free(id);
    free(subject);
    return err < 0 ? err : 0;
}

int
coord_react(svc_t *s, void *app, const svc_ctx_t *c, const Cogov__V1__Event *ev)
{
    (void)app;
    switch (ev->payload_case) {
    case COGOV__V1__EVENT__PAYLOAD_RESOLUTION_ADOPTED:
        return resolution_adopted(s, c, ev->resolution_adopted);
    case COGOV__V1__EVENT__PAYLOAD_INQUIRY_SLA_BREACHED: {
        const Cogov__V1__InquirySlaBreached *b = ev->inquiry_sla_breached;
        return escalate(
            s, c, ev, SRC(INQUIRY_SLA), b->inquiry_id, b->addressee_member_id,
            xasprintf("诉求超时未复：%s", b->subject ? b->subject : ""));
    }
    case COGOV__V1__EVENT__PAYLOAD_RECTIFICATION_OVERDUE: {
        const Cogov__V1__RectificationOverdue *r = ev->rectification_overdue;
        return escalate(s, c, ev, SRC(RECTIFICATION), r->rectification_id,
                        r->member_id,
                        xasprintf("整改逾期：%s", r->issue ? r->issue : ""));
    }
    case COGOV__V1__EVENT__PAYLOAD_STANDING_RECOMMENDED: {
        const Cogov__V1__StandingRecommended *r = ev->standing_recommended;
        return escalate(
            s, c, ev, SRC(STANDING), r->evaluation_id, r->member_id,
            xasprintf("建议%s成员单位：%s",
                      r->action ==
                              COGOV__V1__STANDING_ACTION__STANDING_ACTION_EXPEL
                          ? "除名"
                          : "暂停",
                      r->reason ? r->reason : ""));
    }
    case COGOV__V1__EVENT__PAYLOAD_POOL_LOW:
    case COGOV__V1__EVENT__PAYLOAD_POOL_EXHAUSTED:
    case COGOV__V1__EVENT__PAYLOAD_POOL_TOPPED_UP:
        return coord_funding_react(s, c, ev);
    default:
        return 0;
    }
}

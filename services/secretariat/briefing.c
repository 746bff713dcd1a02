/* briefing: a work briefing (工作简报) for a period [from, to) of business
 * time, assembled from all four streams: meetings held, resolutions adopted,
 * notices published, inquiries asked (and how many breached their SLA),
 * tasks started and completed (coordination), awards approved (incentives),
 * warnings raised and evaluations published (supervision). A MEMBER_REP
 * (sec_confined) gets the notices addressed to its unit and the inquiries
 * it asked or was asked; the rest is the consortium's public record. */
#include "secretariat.h"

#include <stdlib.h>
#include <string.h>

#include "sec_store.h"
#include "util.h"

#define MS(x) COGOV__V1__MOTION_STATUS__MOTION_STATUS_##x
#define MTS(x) COGOV__V1__MEETING_STATUS__MEETING_STATUS_##x

static bool
in_range(int64_t t, int64_t from, int64_t to)
{
    return t >= from && (to == 0 || t < to);
}

static bool
own_inquiry(const principal_t *p, ProtobufCMessage *msg)
{
    const Cogov__V1__Inquiry *q = (const Cogov__V1__Inquiry *)msg;
    return (q->asker_member_id &&
            strcmp(q->asker_member_id, p->member_id) == 0) ||
           (q->addressee_member_id &&
            strcmp(q->addressee_member_id, p->member_id) == 0);
}

static bool
own_notice(const principal_t *p, ProtobufCMessage *msg)
{
    const Cogov__V1__Notice *n = (const Cogov__V1__Notice *)msg;
    for (size_t i = 0; i < n->n_addressees; i++)
        if (strcmp(n->addressees[i], p->member_id) == 0)
            return true;
    return false;
}

Cogov__V1__StatusCode
sec_get_briefing(svc_t *s, void *app, const svc_ctx_t *c,
                 const Cogov__V1__Request *req, Cogov__V1__Reply *rep)
{
    const Cogov__V1__GetBriefing *g = req->get_briefing;
    store_t *st = svc_store(s);
    int64_t from = g->has_from ? g->from : 0;
    int64_t to = g->has_to ? g->to : 0;
    Cogov__V1__Briefing *b = xmalloc(sizeof *b);
    ProtobufCMessage **v = NULL;
    Cogov__V1__NoticeList *nl = NULL;
    size_t n = 0;
    int err;

    (void)app;
    cogov__v1__briefing__init(b);
    b->has_from = b->has_to = true;
    b->from = from;
    b->to = to;
    rep->body_case = COGOV__V1__REPLY__BODY_BRIEFING;
    rep->briefing = b;
    if (to != 0 && to <= from)
        return svc_fail(rep, INVALID, "get_briefing: to must be after from");

    err = sec_store_objs(st, "meeting", 0, 0, from, to,
                         &cogov__v1__meeting__descriptor, &v, &n);
    for (size_t i = 0; i < n; i++) {
        Cogov__V1__Meeting *m = (Cogov__V1__Meeting *)v[i];
        if (m->status == MTS(HELD) || m->status == MTS(MINUTES_PUBLISHED)) {
            b->meetings_held =
                xrealloc(b->meetings_held,
                         (b->n_meetings_held + 1) * sizeof *b->meetings_held);
            b->meetings_held[b->n_meetings_held++] = m;
        } else {
            protobuf_c_message_free_unpacked(v[i], NULL);
        }
    }
    free(v);
    v = NULL;
    n = 0;
    if (err == 0)
        err = sec_store_objs(st, "motion", MS(ADOPTED), 0, 0, 0,
                             &cogov__v1__motion__descriptor, &v, &n);
    for (size_t i = 0; i < n; i++) {
        Cogov__V1__Motion *m = (Cogov__V1__Motion *)v[i];
        if (in_range(m->closed_at, from, to)) {
            b->resolutions =
                xrealloc(b->resolutions,
                         (b->n_resolutions + 1) * sizeof *b->resolutions);
            b->resolutions[b->n_resolutions++] = m;
        } else {
            protobuf_c_message_free_unpacked(v[i], NULL);
        }
    }
    free(v);
    v = NULL;
    n = 0;
    if (err == 0)
        err = sec_store_notices(st, NULL, 0, &nl);
    for (size_t i = 0; nl != NULL && i < nl->n_notices; i++) {
        Cogov__V1__Notice *x = nl->notices[i];
        if (x->kind != COGOV__V1__NOTICE_KIND__NOTICE_KIND_REMINDER &&
            in_range(x->published_at, from, to)) {
            b->notices =
                xrealloc(b->notices, (b->n_notices + 1) * sizeof *b->notices);
            b->notices[b->n_notices++] = x;
            nl->notices[i] = NULL;
        }
    }
    if (nl != NULL) {
        size_t k = 0;
        for (size_t i = 0; i < nl->n_notices; i++)
            if (nl->notices[i] != NULL)
                nl->notices[k++] = nl->notices[i];
        nl->n_notices = k;
        protobuf_c_message_free_unpacked(&nl->base, NULL);
    }
    if (err == 0)
        err = sec_store_objs(st, "inquiry", 0, 0, from, to,
                             &cogov__v1__inquiry__descriptor, &v, &n);
    b->inquiries = (Cogov__V1__Inquiry **)v;
    b->n_inquiries = n;
    b->has_inquiries_breached = true;
    for (size_t i = 0; i < n; i++)
        b->inquiries_breached += b->inquiries[i]->sla_breached;
    if (err == 0 && sec_confined(c->who)) {
        sec_filter(c->who, (ProtobufCMessage **)b->inquiries, &b->n_inquiries,
                   own_inquiry);
        sec_filter(c->who, (ProtobufCMessage **)b->notices, &b->n_notices,
                   own_notice);
        b->inquiries_breached = 0;
        for (size_t i = 0; i < b->n_inquiries; i++)
            b->inquiries_breached += b->inquiries[i]->sla_breached;
    }
    if (err == 0)
        err = sec_store_digest(st, "task_started", from, to, NULL,
                               &b->tasks_started, &b->n_tasks_started);
    if (err == 0)
        err = sec_store_digest(st, "task_completed", from, to, NULL,
                               &b->tasks_completed, &b->n_tasks_completed);
    if (err == 0)
        err = sec_store_digest(st, "award", from, to, NULL, &b->awards,
                               &b->n_awards);
    if (err == 0)
        err = sec_store_digest(st, "warning", from, to, NULL, &b->warnings,
                               &b->n_warnings);
    if (err == 0)
        err = sec_store_digest(st, "evaluation", from, to, NULL,
                               &b->evaluations, &b->n_evaluations);
    if (err < 0)
        return sec_store_fail(rep, err, "briefing");
    return OK;
}

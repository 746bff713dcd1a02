/* briefing: a work briefing (工作简报) for a period [from, to) of business
 * time, assembled from what the secretariat has seen: meetings held,
 * resolutions adopted, notices published, inquiries asked (and how many
 * breached their SLA). Tasks, awards and warnings join when the secretariat
 * follows those streams. */
#include "secretariat.h"

#include <stdlib.h>

#include "sec_store.h"
#include "util.h"

#define MS(x) COGOV__V1__MOTION_STATUS__MOTION_STATUS_##x
#define MTS(x) COGOV__V1__MEETING_STATUS__MEETING_STATUS_##x

static bool
in_range(int64_t t, int64_t from, int64_t to)
{
    return t >= from && (to == 0 || t < to);
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
    (void)c;
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
    if (err < 0)
        return sec_store_fail(rep, err, "briefing");
    return OK;
}

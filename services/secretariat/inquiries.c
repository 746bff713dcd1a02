/* inquiries: a unit's inquiry (诉求) to another unit, routed by the
 * secretariat, answered by the addressee and rated by the asker; an
 * inquiry unanswered inquiry_sla_days after it was asked emits
 * inquiry_sla_breached once, on the first tick at or past its due time.
 * Stored whole (sec_store objects "inquiry"); due_at is the SLA deadline
 * while it is open and 0 once answered or escalated. */
#include "secretariat.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "sec_store.h"
#include "tally.h"
#include "util.h"
#include "validate.h"

#define IS(x) COGOV__V1__INQUIRY_STATUS__INQUIRY_STATUS_##x
#define KIND "inquiry"
#define EV(x) COGOV__V1__EVENT__PAYLOAD_##x

typedef Cogov__V1__Inquiry inquiry_t;

static int
load(svc_t *s, const char *id, inquiry_t **q)
{
    return sec_store_obj(svc_store(s), KIND, id,
                         &cogov__v1__inquiry__descriptor,
                         (ProtobufCMessage **)q);
}

static bool
open_(const inquiry_t *q)
{
    return q->status == IS(OPEN) || q->status == IS(ROUTED);
}

static int
save(svc_t *s, const inquiry_t *q)
{
    int64_t due = open_(q) && !q->sla_breached ? q->due_at : 0;
    return sec_store_obj_put(svc_store(s), KIND, q->inquiry_id, (int)q->status,
                             due, q->asked_at, &q->base);
}

static void
qfree(inquiry_t *q)
{
    if (q != NULL)
        protobuf_c_message_free_unpacked(&q->base, NULL);
}

static int
save_emit(svc_t *s, const svc_ctx_t *c, inquiry_t *q,
          Cogov__V1__Event__PayloadCase pc)
{
    Cogov__V1__Event ev = COGOV__V1__EVENT__INIT;
    Cogov__V1__InquiryChanged ic = COGOV__V1__INQUIRY_CHANGED__INIT;
    int err = save(s, q);

    if (err < 0)
        return err;
    ic.inquiry = q;
    ev.payload_case = pc;
    switch (pc) {
    case EV(INQUIRY_ASKED):
        ev.inquiry_asked = &ic;
        break;
    case EV(INQUIRY_ROUTED):
        ev.inquiry_routed = &ic;
        break;
    case EV(INQUIRY_ANSWERED):
        ev.inquiry_answered = &ic;
        break;
    default:
        ev.inquiry_rated = &ic;
        break;
    }
    err = svc_emit(s, c, &ev);
    if (err == 0)
        log_info("inquiry.changed", "inquiry=%s status=%d corr=%s",
                 log_q(q->inquiry_id), (int)q->status,
                 log_q(c->correlation_id));
    return err;
}

static Cogov__V1__StatusCode
reply(Cogov__V1__Reply *rep, inquiry_t *q)
{
    rep->body_case = COGOV__V1__REPLY__BODY_INQUIRY;
    rep->inquiry = q;
    return OK;
}

static Cogov__V1__StatusCode
known(svc_t *s, Cogov__V1__Reply *rep, const char *field, const char *member)
{
    int err;

    if (str_empty(member))
        return svc_fail(rep, INVALID, "%s: required", field);
    err = sec_store_member(svc_store(s), member, NULL, NULL);
    if (err == -ENOENT)
        return svc_fail(rep, NOT_FOUND, "%s: member %s not found", field,
                        member);
    if (err < 0)
        return sec_store_fail(rep, err, "member");
    return OK;
}

Cogov__V1__StatusCode
sec_ask_inquiry(svc_t *s, void *app, const svc_ctx_t *c,
                const Cogov__V1__Request *req, Cogov__V1__Reply *rep)
{
    const sec_app_t *a = app;
    const Cogov__V1__AskInquiry *r = req->ask_inquiry;
    const char *asker = r->asker_member_id;
    Cogov__V1__StatusCode code;
    inquiry_t *q = NULL;
    char *id;
    int err;

    if (str_empty(asker) && !principal_has(c->who, R(SECRETARIAT)))
        asker = c->who->member_id;
    if (!sec_acts_for(c->who, asker))
        return svc_fail(rep, DENIED,
                        "ask_inquiry.asker_member_id: a member "
                        "representative asks for its own unit only");
    code = sec_need_admitted(s, rep, "ask_inquiry.asker_member_id", asker);
    if (code != OK)
        return code;
    code = known(s, rep, "ask_inquiry.addressee_member_id",
                 r->addressee_member_id);
    if (code != OK)
        return code;
    if (strcmp(asker, r->addressee_member_id) == 0)
        return svc_fail(rep, INVALID,
                        "ask_inquiry: a unit does not ask "
                        "itself");
    if (!valid_text(r->subject, 200, true))
        return svc_fail(rep, INVALID,
                        "ask_inquiry.subject: required, at "
                        "most 200 characters");
    if (!valid_text(r->text, 20000, false))
        return svc_fail(rep, INVALID, "ask_inquiry.text: too long");
    id = sec_id(r->inquiry_id, "inquiry", c);
    if (id == NULL)
        return svc_fail(rep, INVALID,
                        "ask_inquiry.inquiry_id: 1..40 "
                        "of letters, digits and . _ : -");
    err = load(s, id, &q);
    if (err != -ENOENT) {
        free(id);
        if (err == 0) {
            qfree(q);
            return svc_fail(rep, CONFLICT, "inquiry exists already");
        }
        return sec_store_fail(rep, err, "inquiry");
    }
    q = xmalloc(sizeof *q);
    cogov__v1__inquiry__init(q);
    q->inquiry_id = id;
    q->asker_member_id = xstrdup(asker);
    q->addressee_member_id = xstrdup(r->addressee_member_id);
    q->subject = xstrdup(r->subject);
    q->text = xstrdup(r->text ? r->text : "");
    q->has_status = q->has_asked_at = q->has_due_at = true;
    q->status = IS(OPEN);
    q->asked_at = c->now;
    q->due_at = c->now + a->cfg->inquiry_sla_days * DAY_S;
    err = save_emit(s, c, q, EV(INQUIRY_ASKED));
    if (err < 0) {
        qfree(q);
        return sec_store_fail(rep, err, "ask inquiry");
    }
    return reply(rep, q);
}

/* Load an open (or, for rating, answered) inquiry for a step. */
static Cogov__V1__StatusCode
step_load(svc_t *s, Cogov__V1__Reply *rep, const char *what, const char *id,
          Cogov__V1__InquiryStatus to, inquiry_t **q)
{
    int err;

    if (str_empty(id))
        return svc_fail(rep, INVALID, "%s.inquiry_id: required", what);
    err = load(s, id, q);
    if (err == -ENOENT)
        return svc_fail(rep, NOT_FOUND, "inquiry %s not found", id);
    if (err < 0)
        return sec_store_fail(rep, err, "inquiry");
    if (!inquiry_transition_ok((*q)->status, to)) {
        qfree(*q);
        *q = NULL;
        return svc_fail(rep, CONFLICT, "inquiry %s is %s", id,
                        to == IS(RATED) ? "not answered (or rated already)"
                                        : "answered already");
    }
    return OK;
}

Cogov__V1__StatusCode
sec_route_inquiry(svc_t *s, void *app, const svc_ctx_t *c,
                  const Cogov__V1__Request *req, Cogov__V1__Reply *rep)
{
    const Cogov__V1__RouteInquiry *r = req->route_inquiry;
    inquiry_t *q = NULL;
    Cogov__V1__StatusCode code;
    int err;

    (void)app;
    code = step_load(s, rep, "route_inquiry", r->inquiry_id, IS(ROUTED), &q);
    if (code != OK)
        return code;
    if (!str_empty(r->addressee_member_id)) {
        code = known(s, rep, "route_inquiry.addressee_member_id",
                     r->addressee_member_id);
        if (code == OK &&
            strcmp(r->addressee_member_id, q->asker_member_id) == 0)
            code = svc_fail(rep, INVALID, "route_inquiry: not to the asker");
        if (code != OK) {
            qfree(q);
            return code;
        }
        free(q->addressee_member_id);
        q->addressee_member_id = xstrdup(r->addressee_member_id);
    }
    q->status = IS(ROUTED);
    err = save_emit(s, c, q, EV(INQUIRY_ROUTED));
    if (err < 0) {
        qfree(q);
        return sec_store_fail(rep, err, "route inquiry");
    }
    return reply(rep, q);
}

Cogov__V1__StatusCode
sec_answer_inquiry(svc_t *s, void *app, const svc_ctx_t *c,
                   const Cogov__V1__Request *req, Cogov__V1__Reply *rep)
{
    const Cogov__V1__AnswerInquiry *r = req->answer_inquiry;
    inquiry_t *q = NULL;
    Cogov__V1__StatusCode code;
    int err;

    (void)app;
    if (!valid_text(r->answer, 20000, true))
        return svc_fail(rep, INVALID, "answer_inquiry.answer: required");
    code = step_load(s, rep, "answer_inquiry", r->inquiry_id, IS(ANSWERED), &q);
    if (code != OK)
        return code;
    if (!sec_acts_for(c->who, q->addressee_member_id)) {
        code = svc_fail(rep, DENIED,
                        "only the addressee (%s) or the "
                        "secretariat answers inquiry %s",
                        q->addressee_member_id, r->inquiry_id);
        qfree(q);
        return code;
    }
    q->status = IS(ANSWERED);
    q->answer = xstrdup(r->answer);
    q->has_answered_at = true;
    q->answered_at = c->now;
    err = save_emit(s, c, q, EV(INQUIRY_ANSWERED));
    if (err < 0) {
        qfree(q);
        return sec_store_fail(rep, err, "answer inquiry");
    }
    return reply(rep, q);
}

Cogov__V1__StatusCode
sec_rate_inquiry(svc_t *s, void *app, const svc_ctx_t *c,
                 const Cogov__V1__Request *req, Cogov__V1__Reply *rep)
{
    const Cogov__V1__RateInquiry *r = req->rate_inquiry;
    inquiry_t *q = NULL;
    Cogov__V1__StatusCode code;
    int err;

    (void)app;
    if (!r->has_rating || r->rating < 1 || r->rating > 5)
        return svc_fail(rep, INVALID, "rate_inquiry.rating: 1..5");
    code = step_load(s, rep, "rate_inquiry", r->inquiry_id, IS(RATED), &q);
    if (code != OK)
        return code;
    if (!sec_acts_for(c->who, q->asker_member_id)) {
        code = svc_fail(rep, DENIED,
                        "only the asker (%s) or the secretariat "
                        "rates inquiry %s",
                        q->asker_member_id, r->inquiry_id);
        qfree(q);
        return code;
    }
    q->status = IS(RATED);
    q->has_rating = true;
    q->rating = r->rating;
    err = save_emit(s, c, q, EV(INQUIRY_RATED));
    if (err < 0) {
        qfree(q);
        return sec_store_fail(rep, err, "rate inquiry");
    }
    return reply(rep, q);
}

/* A MEMBER_REP (sec_confined) sees the inquiries its unit asked or is
 * asked. */
static bool
member_sees(const principal_t *p, ProtobufCMessage *msg)
{
    const inquiry_t *q = (const inquiry_t *)msg;
    return (q->asker_member_id != NULL &&
            strcmp(q->asker_member_id, p->member_id) == 0) ||
           (q->addressee_member_id != NULL &&
            strcmp(q->addressee_member_id, p->member_id) == 0);
}

Cogov__V1__StatusCode
sec_get_inquiry(svc_t *s, void *app, const svc_ctx_t *c,
                const Cogov__V1__Request *req, Cogov__V1__Reply *rep)
{
    inquiry_t *q = NULL;
    const char *id = req->get_inquiry->inquiry_id;
    int err;

    (void)app;
    (void)c;
    if (str_empty(id))
        return svc_fail(rep, INVALID, "get_inquiry.inquiry_id: required");
    err = load(s, id, &q);
    if (err == -ENOENT)
        return svc_fail(rep, NOT_FOUND, "inquiry %s not found", id);
    if (err < 0)
        return sec_store_fail(rep, err, "inquiry");
    if (sec_confined(c->who) && !member_sees(c->who, &q->base)) {
        protobuf_c_message_free_unpacked(&q->base, NULL);
        return svc_fail(rep, DENIED,
                        "inquiry %s: your unit is neither its "
                        "asker nor its addressee",
                        id);
    }
    return reply(rep, q);
}

Cogov__V1__StatusCode
sec_list_inquiries(svc_t *s, void *app, const svc_ctx_t *c,
                   const Cogov__V1__Request *req, Cogov__V1__Reply *rep)
{
    const Cogov__V1__ListInquiries *l = req->list_inquiries;
    Cogov__V1__InquiryList *il = xmalloc(sizeof *il);
    int err;

    (void)app;
    (void)c;
    cogov__v1__inquiry_list__init(il);
    err =
        sec_store_objs(svc_store(s), KIND, l->has_status ? (int)l->status : 0,
                       0, 0, 0, &cogov__v1__inquiry__descriptor,
                       (ProtobufCMessage ***)&il->inquiries, &il->n_inquiries);
    if (err == 0 && sec_confined(c->who))
        sec_filter(c->who, (ProtobufCMessage **)il->inquiries, &il->n_inquiries,
                   member_sees);
    rep->body_case = COGOV__V1__REPLY__BODY_INQUIRY_LIST;
    rep->inquiry_list = il;
    if (err < 0)
        return sec_store_fail(rep, err, "inquiries");
    return OK;
}

int
sec_inquiries_tick(svc_t *s, const svc_ctx_t *c, int64_t now)
{
    inquiry_t **v = NULL;
    size_t n = 0;
    int err = sec_store_objs(svc_store(s), KIND, 0, now, 0, 0,
                             &cogov__v1__inquiry__descriptor,
                             (ProtobufCMessage ***)&v, &n);

    for (size_t i = 0; err == 0 && i < n; i++) {
        inquiry_t *q = v[i];
        if (!open_(q) || q->sla_breached)
            continue;
        q->has_sla_breached = true;
        q->sla_breached = true;
        err = save(s, q); /* due_at 0 in the row: escalated once */
        if (err < 0)
            break;
        Cogov__V1__Event ev = COGOV__V1__EVENT__INIT;
        Cogov__V1__InquirySlaBreached b = COGOV__V1__INQUIRY_SLA_BREACHED__INIT;
        b.inquiry_id = q->inquiry_id;
        b.asker_member_id = q->asker_member_id;
        b.addressee_member_id = q->addressee_member_id;
        b.subject = q->subject;
        b.has_due_at = true;
        b.due_at = q->due_at;
        ev.payload_case = EV(INQUIRY_SLA_BREACHED);
        ev.inquiry_sla_breached = &b;
        err = svc_emit(s, c, &ev);
        if (err == 0)
            log_notice("inquiry.sla_breached", "inquiry=%s due=%lld corr=%s",
                       log_q(q->inquiry_id), (long long)q->due_at,
                       log_q(c->correlation_id));
    }
    for (size_t i = 0; i < n; i++)
        qfree(v[i]);
    free(v);
    return err;
}

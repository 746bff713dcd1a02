/* extraordinary: member units request an extraordinary meeting (临时会议,
 * DESIGN 1.5); when the share of ADMITTED units the charter in force names
 * has requested, a council plenary is convened, once (rule:
 * extraordinary_reached in tally.h). Requests are stored per subject
 * (sec_store objects "extra", status PENDING or CONVENED). */
#include "secretariat.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "sec_store.h"
#include "tally.h"
#include "util.h"
#include "validate.h"

#define KIND "extra"
#define PENDING 1
#define CONVENED 2

typedef Cogov__V1__ExtraordinaryRequest xreq_t;

static int
load(svc_t *s, const char *id, xreq_t **x)
{
    return sec_store_obj(svc_store(s), KIND, id,
                         &cogov__v1__extraordinary_request__descriptor,
                         (ProtobufCMessage **)x);
}

static int
save(svc_t *s, xreq_t *x)
{
    return sec_store_obj_put(svc_store(s), KIND, x->subject_id,
                             x->meeting_id[0] ? CONVENED : PENDING, 0,
                             x->first_requested_at, &x->base);
}

static void
xfree(xreq_t *x)
{
    if (x != NULL)
        protobuf_c_message_free_unpacked(&x->base, NULL);
}

static bool
has(char **v, size_t n, const char *id)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i], id) == 0)
            return true;
    return false;
}

/* Count the requests under today's charter and convene the meeting if the
 * share is reached and none was convened. Returns 1 if convened now, 0 if
 * not, -errno. */
static int
count_and_convene(svc_t *s, const sec_app_t *a, const svc_ctx_t *c, xreq_t *x)
{
    store_t *st = svc_store(s);
    char **adm = NULL;
    size_t n_adm = 0;
    charter_rules_t rules;
    char day[16];
    uint32_t counted = 0;
    int err;

    date_of(c->now, a->cfg->utc_offset_s, day, sizeof day);
    err = sec_store_charter_rules(st, day, &rules);
    if (err == 0)
        err = sec_store_admitted(st, 0, &adm, &n_adm);
    if (err < 0)
        goto done;
    for (size_t i = 0; i < x->n_requesters; i++)
        counted += has(adm, n_adm, x->requesters[i]);
    x->has_admitted = x->has_counted = true;
    x->has_charter_version = x->has_extraordinary_permille = true;
    x->admitted = (uint32_t)n_adm;
    x->counted = counted;
    x->charter_version = rules.version;
    x->extraordinary_permille = rules.extraordinary_permille;
    if (x->meeting_id[0] != 0 ||
        !extraordinary_reached(counted, (uint32_t)n_adm,
                               rules.extraordinary_permille))
        goto done;

    char *title = xasprintf("临时理事会全体会议：%s", x->subject);
    err = sec_meeting_convene(
        s, a, c, x->subject_id,
        COGOV__V1__MEETING_KIND__MEETING_KIND_COUNCIL_PLENARY, title,
        c->now + a->cfg->extraordinary_notice_days * DAY_S, adm, n_adm);
    free(title);
    if (err < 0)
        goto done;
    free(x->meeting_id);
    x->meeting_id = xstrdup(x->subject_id);
    x->has_convened_at = true;
    x->convened_at = c->now;
    log_info("extraordinary.convened",
             "subject=%s counted=%u admitted=%zu permille=%u corr=%s",
             log_q(x->subject_id), counted, n_adm, rules.extraordinary_permille,
             log_q(c->correlation_id));
    err = 1;
done:
    sec_strv_free(adm, n_adm);
    return err;
}

Cogov__V1__StatusCode
sec_request_extraordinary(svc_t *s, void *app, const svc_ctx_t *c,
                          const Cogov__V1__Request *req, Cogov__V1__Reply *rep)
{
    const Cogov__V1__RequestExtraordinaryMeeting *r =
        req->request_extraordinary_meeting;
    const char *member = r->member_id;
    Cogov__V1__StatusCode code;
    xreq_t *x = NULL;
    char id[32];
    int err;

    if (str_empty(member) && !principal_has(c->who, R(SECRETARIAT)))
        member = c->who->member_id;
    if (!valid_text(r->subject, 200, true))
        return svc_fail(rep, INVALID,
                        "request_extraordinary_meeting.subject: "
                        "required, at most 200 characters");
    if (!valid_text(r->reason, 2000, false))
        return svc_fail(rep, INVALID,
                        "request_extraordinary_meeting.reason: "
                        "at most 2000 characters");
    if (!sec_acts_for(c->who, member))
        return svc_fail(rep, DENIED,
                        "request_extraordinary_meeting.member_id: a member "
                        "representative requests for its own unit only");
    code = sec_need_admitted(s, rep, "request_extraordinary_meeting.member_id",
                             member);
    if (code != OK)
        return code;

    extraordinary_subject_id(r->subject, id, sizeof id);
    err = load(s, id, &x);
    if (err == -ENOENT) {
        x = xmalloc(sizeof *x);
        cogov__v1__extraordinary_request__init(x);
        x->subject_id = xstrdup(id);
        x->subject = xstrdup(r->subject);
        x->meeting_id = xstrdup("");
        x->has_first_requested_at = true;
        x->first_requested_at = c->now;
    } else if (err < 0) {
        return sec_store_fail(rep, err, "extraordinary request");
    }
    if (has(x->requesters, x->n_requesters, member)) {
        code = svc_fail(rep, CONFLICT,
                        "member %s has requested an "
                        "extraordinary meeting on this subject already (%s)",
                        member, id);
        xfree(x);
        return code;
    }
    x->requesters =
        xrealloc(x->requesters, (x->n_requesters + 1) * sizeof *x->requesters);
    x->requesters[x->n_requesters++] = xstrdup(member);

    err = count_and_convene(s, app, c, x);
    if (err >= 0)
        err = save(s, x);
    if (err == 0) {
        Cogov__V1__Event ev = COGOV__V1__EVENT__INIT;
        Cogov__V1__ExtraordinaryRequested er =
            COGOV__V1__EXTRAORDINARY_REQUESTED__INIT;
        er.member_id = (char *)member;
        er.request = x;
        ev.payload_case =
            COGOV__V1__EVENT__PAYLOAD_EXTRAORDINARY_MEETING_REQUESTED;
        ev.extraordinary_meeting_requested = &er;
        err = svc_emit(s, c, &ev);
    }
    if (err < 0) {
        xfree(x);
        return sec_store_fail(rep, err, "extraordinary request");
    }
    log_info("extraordinary.requested",
             "subject=%s member=%s requests=%zu corr=%s", log_q(id),
             log_q(member), x->n_requesters, log_q(c->correlation_id));
    rep->body_case = COGOV__V1__REPLY__BODY_EXTRAORDINARY_REQUEST;
    rep->extraordinary_request = x;
    return OK;
}

Cogov__V1__StatusCode
sec_get_extraordinary(svc_t *s, void *app, const svc_ctx_t *c,
                      const Cogov__V1__Request *req, Cogov__V1__Reply *rep)
{
    const Cogov__V1__GetExtraordinaryRequest *g =
        req->get_extraordinary_request;
    xreq_t *x = NULL;
    char id[32];
    int err;

    (void)app;
    (void)c;
    if (!str_empty(g->subject_id))
        str_copy(id, sizeof id, g->subject_id);
    else if (!str_empty(g->subject))
        extraordinary_subject_id(g->subject, id, sizeof id);
    else
        return svc_fail(rep, INVALID,
                        "get_extraordinary_request: subject "
                        "or subject_id required");
    err = load(s, id, &x);
    if (err == -ENOENT)
        return svc_fail(rep, NOT_FOUND,
                        "no extraordinary meeting requested "
                        "on this subject (%s)",
                        id);
    if (err < 0)
        return sec_store_fail(rep, err, "extraordinary request");
    rep->body_case = COGOV__V1__REPLY__BODY_EXTRAORDINARY_REQUEST;
    rep->extraordinary_request = x;
    return OK;
}

int
sec_extraordinary_tick(svc_t *s, const sec_app_t *a, const svc_ctx_t *c)
{
    xreq_t **v = NULL;
    size_t n = 0;
    int err;

    if (a == NULL)
        return 0;
    err = sec_store_objs(svc_store(s), KIND, PENDING, 0, 0, 0,
                         &cogov__v1__extraordinary_request__descriptor,
                         (ProtobufCMessage ***)&v, &n);
    for (size_t i = 0; err == 0 && i < n; i++) {
        err = count_and_convene(s, a, c, v[i]);
        if (err == 1)
            err = save(s, v[i]);
    }
    for (size_t i = 0; i < n; i++)
        xfree(v[i]);
    free(v);
    return err < 0 ? err : 0;
}

/* handlers: the secretariat's route table, shared helpers and its notice
 * commands and queries (DESIGN 1.5). SQL in sec_store.c. */
#include "secretariat.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "sec_store.h"
#include "util.h"
#include "validate.h"

Cogov__V1__StatusCode
sec_store_fail(Cogov__V1__Reply *rep, int err, const char *what)
{
    if (err == -EBUSY || err == -ENOSPC)
        return svc_fail(rep, UNAVAILABLE, "%s: %s, try again later", what,
                        strerror(-err));
    return svc_fail(rep, INTERNAL, "%s: %s", what, strerror(-err));
}

bool
sec_confined(const principal_t *p)
{
    return principal_has(p, R(MEMBER_REP)) &&
           !principal_has(p, READ_ROLES & ~R(MEMBER_REP));
}

void
sec_filter(const principal_t *p, ProtobufCMessage **v, size_t *n,
           bool (*keep)(const principal_t *, ProtobufCMessage *))
{
    size_t k = 0;

    for (size_t i = 0; i < *n; i++) {
        if (keep(p, v[i]))
            v[k++] = v[i];
        else
            protobuf_c_message_free_unpacked(v[i], NULL);
    }
    *n = k;
}

static bool
is_addressee(const Cogov__V1__Notice *n, const char *member_id)
{
    for (size_t i = 0; i < n->n_addressees; i++)
        if (strcmp(n->addressees[i], member_id) == 0)
            return true;
    return false;
}

static Cogov__V1__StatusCode
list_notices(svc_t *s, void *app, const svc_ctx_t *c,
             const Cogov__V1__Request *req, Cogov__V1__Reply *rep)
{
    const Cogov__V1__ListNotices *l = req->list_notices;
    const char *member = l->member_id;
    int err;

    if (sec_confined(c->who)) {
        if (c->who->member_id[0] == 0)
            return svc_fail(rep, DENIED, "principal %s acts for no member unit",
                            c->who->name);
        if (str_empty(member))
            member = c->who->member_id;
        else if (strcmp(member, c->who->member_id) != 0)
            return svc_fail(rep, DENIED,
                            "list_notices.member_id: a member representative "
                            "may only list its own unit's notices");
    }
    err = sec_store_notices(
        svc_store(s), member,
        l->has_kind ? l->kind : COGOV__V1__NOTICE_KIND__NOTICE_KIND_UNSPECIFIED,
        &rep->notice_list);
    if (err < 0)
        return sec_store_fail(rep, err, "notices");
    rep->body_case = COGOV__V1__REPLY__BODY_NOTICE_LIST;
    return OK;
}

static Cogov__V1__StatusCode
get_notice(svc_t *s, void *app, const svc_ctx_t *c,
           const Cogov__V1__Request *req, Cogov__V1__Reply *rep)
{
    const char *id = req->get_notice->notice_id;
    Cogov__V1__Notice *n = NULL;
    int err;

    if (str_empty(id))
        return svc_fail(rep, INVALID, "get_notice.notice_id: required");
    err = sec_store_notice(svc_store(s), id, &n);
    if (err == -ENOENT)
        return svc_fail(rep, NOT_FOUND, "notice %s: not found", id);
    if (err < 0)
        return sec_store_fail(rep, err, "notice");
    if (sec_confined(c->who) && !is_addressee(n, c->who->member_id)) {
        protobuf_c_message_free_unpacked(&n->base, NULL);
        return svc_fail(rep, DENIED, "notice %s is not addressed to your unit",
                        id);
    }
    rep->body_case = COGOV__V1__REPLY__BODY_NOTICE;
    rep->notice = n;
    return OK;
}

static Cogov__V1__StatusCode
acknowledge_notice(svc_t *s, void *app, const svc_ctx_t *c,
                   const Cogov__V1__Request *req, Cogov__V1__Reply *rep)
{
    const Cogov__V1__AcknowledgeNotice *a = req->acknowledge_notice;
    const char *member = a->member_id;
    store_t *st = svc_store(s);
    Cogov__V1__Notice *n = NULL;
    int err;

    if (str_empty(a->notice_id))
        return svc_fail(rep, INVALID, "acknowledge_notice.notice_id: required");
    if (str_empty(member) && principal_has(c->who, R(MEMBER_REP)))
        member = c->who->member_id; /* a representative acks for its unit */
    if (str_empty(member))
        return svc_fail(rep, INVALID, "acknowledge_notice.member_id: required");
    /* The secretariat may acknowledge on a unit's behalf; a representative
     * only for its own unit. */
    if (!principal_has(c->who, R(SECRETARIAT)) &&
        strcmp(member, c->who->member_id) != 0)
        return svc_fail(rep, DENIED,
                        "acknowledge_notice.member_id: a member representative "
                        "may only acknowledge for its own unit");

    err = sec_store_notice(st, a->notice_id, &n);
    if (err == -ENOENT)
        return svc_fail(rep, NOT_FOUND, "notice %s: not found", a->notice_id);
    if (err < 0)
        return sec_store_fail(rep, err, "notice");
    protobuf_c_message_free_unpacked(&n->base, NULL);
    n = NULL;

    err = sec_store_acknowledge(st, a->notice_id, member, c->now);
    if (err == -ENOENT)
        return svc_fail(rep, CONFLICT,
                        "member %s is not an addressee of "
                        "notice %s",
                        member, a->notice_id);
    if (err < 0)
        return sec_store_fail(rep, err, "acknowledge notice");
    if (err == 1) {
        Cogov__V1__Event ev = COGOV__V1__EVENT__INIT;
        Cogov__V1__NoticeAcknowledged na = COGOV__V1__NOTICE_ACKNOWLEDGED__INIT;
        na.notice_id = a->notice_id;
        na.member_id = (char *)member;
        ev.payload_case = COGOV__V1__EVENT__PAYLOAD_NOTICE_ACKNOWLEDGED;
        ev.notice_acknowledged = &na;
        err = svc_emit(s, c, &ev);
        if (err < 0)
            return sec_store_fail(rep, err, "emit notice_acknowledged");
        log_info("notice.acknowledged", "notice=%s member=%s corr=%s",
                 log_q(a->notice_id), log_q(member), log_q(c->correlation_id));
    }

    err = sec_store_notice(st, a->notice_id, &n);
    if (err < 0)
        return sec_store_fail(rep, err, "notice");
    rep->body_case = COGOV__V1__REPLY__BODY_NOTICE;
    rep->notice = n;
    return OK;
}

bool
sec_acts_for(const principal_t *p, const char *member)
{
    if (principal_has(p, R(SECRETARIAT)))
        return true;
    return principal_has(p, R(MEMBER_REP)) && member != NULL &&
           strcmp(p->member_id, member) == 0;
}

Cogov__V1__StatusCode
sec_need_admitted(svc_t *s, Cogov__V1__Reply *rep, const char *field,
                  const char *member)
{
    Cogov__V1__MemberStatus st;
    int err;

    if (str_empty(member))
        return svc_fail(rep, INVALID, "%s: required", field);
    err = sec_store_member(svc_store(s), member, NULL, &st);
    if (err == -ENOENT)
        return svc_fail(rep, NOT_FOUND, "%s: member %s not found", field,
                        member);
    if (err < 0)
        return sec_store_fail(rep, err, "member");
    if (st != COGOV__V1__MEMBER_STATUS__MEMBER_STATUS_ADMITTED)
        return svc_fail(rep, CONFLICT, "%s: member %s is not admitted", field,
                        member);
    return OK;
}

bool
sec_id_ok(const char *s, size_t max)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > max)
        return false;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
              (ch >= '0' && ch <= '9') || strchr("._:-", ch) != NULL))
            return false;
    }
    return true;
}

char *
sec_id(const char *given, const char *prefix, const svc_ctx_t *c)
{
    char buf[64];

    if (!str_empty(given))
        return sec_id_ok(given, SEC_ID_MAX) ? xstrdup(given) : NULL;
    if (c->request_id == NULL) {
        svc_new_id(prefix, buf, sizeof buf);
        return xstrdup(buf);
    }
    /* Derived from the principal and the request id (FNV-1a), so a retried
     * request converges on the same id, and short enough for coordination's
     * task ids "res:<motion_id>/<item_id>". */
    uint64_t h = 0xcbf29ce484222325ULL;
    for (const char *p = c->actor; p && *p; p++)
        h = (h ^ (uint8_t)*p) * 0x100000001b3ULL;
    h = (h ^ 0) * 0x100000001b3ULL;
    for (const char *p = c->request_id; *p; p++)
        h = (h ^ (uint8_t)*p) * 0x100000001b3ULL;
    return xasprintf("%s-%016llx", prefix, (unsigned long long)h);
}

static int
add_unique(char ***v, size_t *n, const char *id)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp((*v)[i], id) == 0)
            return 0;
    *v = xrealloc(*v, (*n + 1) * sizeof **v);
    (*v)[(*n)++] = xstrdup(id);
    return 1;
}

static Cogov__V1__StatusCode
publish_notice(svc_t *s, void *app, const svc_ctx_t *c,
               const Cogov__V1__Request *req, Cogov__V1__Reply *rep)
{
    const Cogov__V1__PublishNotice *p = req->publish_notice;
    store_t *st = svc_store(s);
    char **to = NULL, **ids = NULL;
    size_t n_to = 0, n_ids = 0;
    char *id = NULL;
    Cogov__V1__StatusCode code = OK;
    Cogov__V1__Notice *n = NULL;
    int err = 0;

    if (!valid_text(p->title, 200, true))
        return svc_fail(rep, INVALID,
                        "publish_notice.title: required, at "
                        "most 200 characters");
    if (!valid_text(p->body, 20000, true))
        return svc_fail(rep, INVALID,
                        "publish_notice.body: required, at "
                        "most 20000 characters");
    if (p->to_all)
        err = sec_store_admitted(st, 0, &ids, &n_ids);
    for (size_t i = 0; err == 0 && i < p->n_member_types; i++) {
        if (p->member_types[i] == 0) {
            code = svc_fail(rep, INVALID,
                            "publish_notice.member_types: "
                            "UNSPECIFIED");
            goto done;
        }
        err = sec_store_admitted(st, p->member_types[i], &ids, &n_ids);
    }
    if (err < 0) {
        code = sec_store_fail(rep, err, "members");
        goto done;
    }
    for (size_t i = 0; i < n_ids; i++)
        add_unique(&to, &n_to, ids[i]);
    for (size_t i = 0; i < p->n_member_ids; i++) {
        err = sec_store_member(st, p->member_ids[i], NULL, NULL);
        if (err == -ENOENT) {
            code = svc_fail(rep, NOT_FOUND,
                            "publish_notice.member_ids: "
                            "member %s not found",
                            p->member_ids[i]);
            goto done;
        }
        if (err < 0) {
            code = sec_store_fail(rep, err, "member");
            goto done;
        }
        add_unique(&to, &n_to, p->member_ids[i]);
    }
    if (n_to == 0) {
        code = svc_fail(rep, INVALID,
                        "publish_notice: no addressee (to_all, "
                        "member_types or member_ids)");
        goto done;
    }
    id = sec_id(NULL, "notice", c);
    err = sec_publish_notice(s, c, id,
                             COGOV__V1__NOTICE_KIND__NOTICE_KIND_GENERAL,
                             p->title, p->body, to, n_to);
    if (err == 0)
        err = sec_store_notice(st, id, &n);
    if (err < 0) {
        code = sec_store_fail(rep, err, "publish notice");
        goto done;
    }
    rep->body_case = COGOV__V1__REPLY__BODY_NOTICE;
    rep->notice = n;
done:
    sec_strv_free(to, n_to);
    sec_strv_free(ids, n_ids);
    free(id);
    return code;
}

#define BODY(x) COGOV__V1__REQUEST__BODY_##x
#define SEC R(SECRETARIAT)
#define UNIT (R(MEMBER_REP) | R(SECRETARIAT))

const svc_route_t sec_routes[] = {
    {BODY(LIST_NOTICES), READ_ROLES, false, list_notices},
    {BODY(GET_NOTICE), READ_ROLES, false, get_notice},
    {BODY(ACKNOWLEDGE_NOTICE), R(MEMBER_REP) | R(SECRETARIAT), true,
     acknowledge_notice},
    {BODY(PUBLISH_NOTICE), SEC, true, publish_notice},
    {BODY(RAISE_MOTION), UNIT, true, sec_raise_motion},
    {BODY(OPEN_VOTE), SEC, true, sec_open_vote},
    {BODY(CAST_VOTE), UNIT, true, sec_cast_vote},
    {BODY(GET_MOTION), READ_ROLES, false, sec_get_motion},
    {BODY(LIST_MOTIONS), READ_ROLES, false, sec_list_motions},
    {BODY(SCHEDULE_MEETING), SEC, true, sec_schedule_meeting},
    {BODY(MEETING_TRANSITION), SEC, true, sec_meeting_transition},
    {BODY(RSVP_MEETING), UNIT, true, sec_rsvp_meeting},
    {BODY(CHECK_IN_MEETING), SEC, true, sec_check_in_meeting},
    {BODY(GET_MEETING), READ_ROLES, false, sec_get_meeting},
    {BODY(LIST_MEETINGS), READ_ROLES, false, sec_list_meetings},
    {BODY(ASK_INQUIRY), UNIT, true, sec_ask_inquiry},
    {BODY(ROUTE_INQUIRY), SEC, true, sec_route_inquiry},
    {BODY(ANSWER_INQUIRY), UNIT, true, sec_answer_inquiry},
    {BODY(RATE_INQUIRY), UNIT, true, sec_rate_inquiry},
    {BODY(GET_INQUIRY), READ_ROLES, false, sec_get_inquiry},
    {BODY(LIST_INQUIRIES), READ_ROLES, false, sec_list_inquiries},
    {BODY(GET_BRIEFING), READ_ROLES, false, sec_get_briefing},
    {BODY(REQUEST_EXTRAORDINARY_MEETING), UNIT, true,
     sec_request_extraordinary},
    {BODY(GET_EXTRAORDINARY_REQUEST), READ_ROLES, false, sec_get_extraordinary},
};
const size_t sec_n_routes = ARRAY_LEN(sec_routes);

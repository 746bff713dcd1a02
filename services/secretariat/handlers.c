/* handlers: the secretariat's route table and its notice commands and
 * queries (DESIGN 1.5). SQL in sec_store.c. */
#include "secretariat.h"

#include <errno.h>
#include <string.h>

#include "log.h"
#include "sec_store.h"
#include "util.h"

#define OK COGOV__V1__STATUS_CODE__STATUS_OK
#define INVALID COGOV__V1__STATUS_CODE__STATUS_INVALID
#define NOT_FOUND COGOV__V1__STATUS_CODE__STATUS_NOT_FOUND
#define DENIED COGOV__V1__STATUS_CODE__STATUS_PERMISSION_DENIED
#define CONFLICT COGOV__V1__STATUS_CODE__STATUS_CONFLICT
#define UNAVAILABLE COGOV__V1__STATUS_CODE__STATUS_UNAVAILABLE
#define INTERNAL COGOV__V1__STATUS_CODE__STATUS_INTERNAL

/* role_bit() as a constant expression, for the static route table. */
#define R(x) (1u << COGOV__V1__ROLE__ROLE_##x)
#define READ_ROLES                                                           \
    (R(SECRETARIAT) | R(GOV_COORDINATOR) | R(OPERATOR) | R(OBSERVER) |       \
     R(MEMBER_REP) | R(SUPERVISOR))

static Cogov__V1__StatusCode
store_fail(Cogov__V1__Reply *rep, int err, const char *what)
{
    if (err == -EBUSY || err == -ENOSPC)
        return svc_fail(rep, UNAVAILABLE, "%s: %s, try again later", what,
                        strerror(-err));
    return svc_fail(rep, INTERNAL, "%s: %s", what, strerror(-err));
}

/* A principal whose only reading role is MEMBER_REP sees its own unit's
 * notices only. */
static bool
confined_to_own_unit(const principal_t *p)
{
    return principal_has(p, R(MEMBER_REP)) &&
           !principal_has(p, READ_ROLES & ~R(MEMBER_REP));
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

    if (confined_to_own_unit(c->who)) {
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
        return store_fail(rep, err, "notices");
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
        return store_fail(rep, err, "notice");
    if (confined_to_own_unit(c->who) && !is_addressee(n, c->who->member_id)) {
        protobuf_c_message_free_unpacked(&n->base, NULL);
        return svc_fail(rep, DENIED,
                        "notice %s is not addressed to your unit", id);
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
        return store_fail(rep, err, "notice");
    protobuf_c_message_free_unpacked(&n->base, NULL);
    n = NULL;

    err = sec_store_acknowledge(st, a->notice_id, member, c->now);
    if (err == -ENOENT)
        return svc_fail(rep, CONFLICT, "member %s is not an addressee of "
                        "notice %s", member, a->notice_id);
    if (err < 0)
        return store_fail(rep, err, "acknowledge notice");
    if (err == 1) {
        Cogov__V1__Event ev = COGOV__V1__EVENT__INIT;
        Cogov__V1__NoticeAcknowledged na =
            COGOV__V1__NOTICE_ACKNOWLEDGED__INIT;
        na.notice_id = a->notice_id;
        na.member_id = (char *)member;
        ev.payload_case = COGOV__V1__EVENT__PAYLOAD_NOTICE_ACKNOWLEDGED;
        ev.notice_acknowledged = &na;
        err = svc_emit(s, c, &ev);
        if (err < 0)
            return store_fail(rep, err, "emit notice_acknowledged");
        log_info("notice.acknowledged", "notice=%s member=%s corr=%s",
                 log_q(a->notice_id), log_q(member), log_q(c->correlation_id));
    }

    err = sec_store_notice(st, a->notice_id, &n);
    if (err < 0)
        return store_fail(rep, err, "notice");
    rep->body_case = COGOV__V1__REPLY__BODY_NOTICE;
    rep->notice = n;
    return OK;
}

#define BODY(x) COGOV__V1__REQUEST__BODY_##x

const svc_route_t sec_routes[] = {
    {BODY(LIST_NOTICES), READ_ROLES, false, list_notices},
    {BODY(GET_NOTICE), READ_ROLES, false, get_notice},
    {BODY(ACKNOWLEDGE_NOTICE), R(MEMBER_REP) | R(SECRETARIAT), true,
     acknowledge_notice},
};
const size_t sec_n_routes = ARRAY_LEN(sec_routes);

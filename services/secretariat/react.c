/* react: what the secretariat does when coordination publishes (DESIGN 1.6):
 * keep the members it addresses, welcome admitted units and bid farewell
 * to those that leave. Idempotent: notice ids derive from the causing event,
 * and a notice is published only when its row is new. */
#include "secretariat.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include "log.h"
#include "notice_texts.h"
#include "sec_store.h"
#include "util.h"

#define ST(x) COGOV__V1__MEMBER_STATUS__MEMBER_STATUS_##x
#define KIND(x) COGOV__V1__NOTICE_KIND__NOTICE_KIND_##x

/* Publish the welcome or farewell notice for the unit an event names. */
static int
publish(svc_t *s, const svc_ctx_t *c, const Cogov__V1__Event *ev,
        Cogov__V1__NoticeKind kind, const Cogov__V1__MemberStatusChanged *m)
{
    store_t *st = svc_store(s);
    char *consortium = NULL;
    char *addressees[1] = {m->member_id};
    Cogov__V1__Notice n = COGOV__V1__NOTICE__INIT;
    int err = sec_store_consortium_name(st, &consortium);

    if (err < 0 && err != -ENOENT)
        return err;
    n.notice_id = notice_id_for(kind == KIND(WELCOME) ? "welcome" : "farewell",
                                ev->producer, ev->seq);
    n.causation_id = xasprintf("%s:%" PRIu64, ev->producer, ev->seq);
    n.has_kind = true;
    n.kind = kind;
    n.has_published_at = true;
    n.published_at = c->now;
    n.n_addressees = 1;
    n.addressees = addressees;
    if (kind == KIND(WELCOME))
        notice_welcome(consortium, m->name, &n.title, &n.body);
    else
        notice_farewell(consortium, m->name, m->to == ST(EXPELLED), &n.title,
                        &n.body);

    err = sec_store_notice_add(st, &n);
    if (err == 1) {
        Cogov__V1__Event out = COGOV__V1__EVENT__INIT;
        Cogov__V1__NoticePublished np = COGOV__V1__NOTICE_PUBLISHED__INIT;
        np.notice_id = n.notice_id;
        np.has_kind = true;
        np.kind = n.kind;
        np.title = n.title;
        np.body = n.body;
        np.n_addressees = n.n_addressees;
        np.addressees = n.addressees;
        out.payload_case = COGOV__V1__EVENT__PAYLOAD_NOTICE_PUBLISHED;
        out.notice_published = &np;
        err = svc_emit(s, c, &out);
        if (err == 0)
            log_info("notice.published", "notice=%s member=%s corr=%s",
                     log_q(n.notice_id), m->member_id,
                     log_q(c->correlation_id));
    }
    free(n.notice_id);
    free(n.causation_id);
    free(n.title);
    free(n.body);
    free(consortium);
    return err < 0 ? err : 0;
}

static int
status_changed(svc_t *s, const svc_ctx_t *c, const Cogov__V1__Event *ev,
               const Cogov__V1__MemberStatusChanged *m,
               Cogov__V1__NoticeKind notice)
{
    store_t *st = svc_store(s);
    Cogov__V1__MemberStatus cur;
    int err;

    if (m == NULL || str_empty(m->member_id)) {
        svc_react_error(s, "%s: member_id missing", svc_event_type(ev));
        return SVC_REACT_REJECT;
    }
    err = sec_store_member(st, m->member_id, NULL, &cur);
    if (err == -ENOENT) {
        svc_react_error(s, "%s: member %s never applied", svc_event_type(ev),
                        m->member_id);
        return SVC_REACT_REJECT;
    }
    if (err < 0)
        return err;
    err = sec_store_member_put(st, m->member_id, m->name, m->type, m->to);
    if (err < 0)
        return err;
    if (notice == KIND(UNSPECIFIED))
        return 0;
    return publish(s, c, ev, notice, m);
}

int
sec_react(svc_t *s, void *app, const svc_ctx_t *c, const Cogov__V1__Event *ev)
{
    store_t *st = svc_store(s);

    switch (ev->payload_case) {
    case COGOV__V1__EVENT__PAYLOAD_CONSORTIUM_FOUNDED:
        return sec_store_consortium_set(
            st, str_empty(ev->consortium_founded->name)
                    ? ""
                    : ev->consortium_founded->name);
    case COGOV__V1__EVENT__PAYLOAD_MEMBER_APPLIED: {
        const Cogov__V1__MemberApplied *m = ev->member_applied;
        if (str_empty(m->member_id)) {
            svc_react_error(s, "member_applied: member_id missing");
            return SVC_REACT_REJECT;
        }
        return sec_store_member_put(st, m->member_id, m->name, m->type,
                                    ST(APPLIED));
    }
    case COGOV__V1__EVENT__PAYLOAD_MEMBER_ADMITTED:
        return status_changed(s, c, ev, ev->member_admitted, KIND(WELCOME));
    case COGOV__V1__EVENT__PAYLOAD_MEMBER_REJECTED:
        return status_changed(s, c, ev, ev->member_rejected,
                              KIND(UNSPECIFIED));
    case COGOV__V1__EVENT__PAYLOAD_MEMBER_SUSPENDED:
        return status_changed(s, c, ev, ev->member_suspended,
                              KIND(UNSPECIFIED));
    case COGOV__V1__EVENT__PAYLOAD_MEMBER_REINSTATED:
        return status_changed(s, c, ev, ev->member_reinstated,
                              KIND(UNSPECIFIED));
    case COGOV__V1__EVENT__PAYLOAD_MEMBER_EXITED:
        return status_changed(s, c, ev, ev->member_exited, KIND(FAREWELL));
    case COGOV__V1__EVENT__PAYLOAD_MEMBER_EXPELLED:
        return status_changed(s, c, ev, ev->member_expelled, KIND(FAREWELL));
    default:
        return 0; /* nothing to do */
    }
}

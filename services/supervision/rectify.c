/* rectify: rectification orders (整改): issue, report, accept or return,
 * and rectification_overdue once on the first tick past the deadline. */
#include "supervision.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "evalrules.h"
#include "log.h"
#include "supv_store.h"
#include "util.h"
#include "validate.h"

#define RS(x) COGOV__V1__RECTIFICATION_STATUS__RECTIFICATION_STATUS_##x
#define P(x) COGOV__V1__EVENT__PAYLOAD_##x
#define DESC (&cogov__v1__rectification__descriptor)

static int
save(store_t *st, const Cogov__V1__Rectification *r)
{
    return supv_store_obj_put(
        st, "rect", r->rectification_id, r->member_id, (int)r->status,
        r->status == RS(ACCEPTED) || r->overdue ? 0 : r->due_at, r->issued_at,
        &r->base);
}

static int
emit_changed(svc_t *s, const svc_ctx_t *c, const Cogov__V1__Rectification *r,
             Cogov__V1__Event__PayloadCase pc)
{
    Cogov__V1__Event ev = COGOV__V1__EVENT__INIT;
    Cogov__V1__RectificationChanged ch = COGOV__V1__RECTIFICATION_CHANGED__INIT;

    ch.rectification_id = r->rectification_id;
    ch.member_id = r->member_id;
    ch.has_status = true;
    ch.status = r->status;
    ch.has_accepted = true;
    ch.accepted = r->status == RS(ACCEPTED);
    ch.note = r->note;
    ev.payload_case = pc;
    if (pc == P(RECTIFICATION_REPORTED))
        ev.rectification_reported = &ch;
    else if (pc == P(RECTIFICATION_RETURNED))
        ev.rectification_returned = &ch;
    else
        ev.rectification_closed = &ch;
    return svc_emit(s, c, &ev);
}

static Cogov__V1__StatusCode
load(svc_t *s, Cogov__V1__Reply *rep, const char *id,
     Cogov__V1__Rectification **out)
{
    int err;
    if (str_empty(id))
        return svc_fail(rep, INVALID, "rectification_id: required");
    err = supv_store_obj(svc_store(s), "rect", id, DESC,
                         (ProtobufCMessage **)out);
    if (err == -ENOENT)
        return svc_fail(rep, NOT_FOUND, "rectification %s: not found", id);
    if (err < 0)
        return supv_store_fail(rep, err, "rectification");
    return OK;
}

static Cogov__V1__StatusCode
reply_with(svc_t *s, Cogov__V1__Reply *rep, const char *id)
{
    Cogov__V1__Rectification *r = NULL;
    Cogov__V1__StatusCode code = load(s, rep, id, &r);
    if (code == OK) {
        rep->body_case = COGOV__V1__REPLY__BODY_RECTIFICATION;
        rep->rectification = r;
    }
    return code;
}

static char *
derived_id(const svc_ctx_t *c)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (const char *p = c->actor; p && *p; p++)
        h = (h ^ (uint8_t)*p) * 0x100000001b3ULL;
    h = (h ^ 0) * 0x100000001b3ULL;
    for (const char *p = c->request_id; p && *p; p++)
        h = (h ^ (uint8_t)*p) * 0x100000001b3ULL;
    return xasprintf("rect-%016llx", (unsigned long long)h);
}

static bool
id_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 48)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
              (*s >= '0' && *s <= '9') || strchr("._:-/", *s)))
            return false;
    return true;
}

Cogov__V1__StatusCode
supv_issue_rect(svc_t *s, void *app, const svc_ctx_t *c,
                const Cogov__V1__Request *req, Cogov__V1__Reply *rep)
{
    const supv_app_t *a = app;
    const Cogov__V1__IssueRectification *in = req->issue_rectification;
    Cogov__V1__Rectification r = COGOV__V1__RECTIFICATION__INIT;
    Cogov__V1__Event ev = COGOV__V1__EVENT__INIT;
    Cogov__V1__RectificationOrdered o = COGOV__V1__RECTIFICATION_ORDERED__INIT;
    ProtobufCMessage *old = NULL;
    char *id = NULL;
    int status = 0, err;
    int64_t due;
    Cogov__V1__StatusCode code = OK;

    if (str_empty(in->member_id))
        return svc_fail(rep, INVALID,
                        "issue_rectification.member_id: "
                        "required");
    err = supv_store_member(svc_store(s), in->member_id, NULL, NULL, &status);
    if (err == -ENOENT)
        return svc_fail(rep, NOT_FOUND,
                        "issue_rectification.member_id: "
                        "member %s not found",
                        in->member_id);
    if (err < 0)
        return supv_store_fail(rep, err, "member");
    if (status != COGOV__V1__MEMBER_STATUS__MEMBER_STATUS_ADMITTED &&
        status != COGOV__V1__MEMBER_STATUS__MEMBER_STATUS_SUSPENDED)
        return svc_fail(rep, CONFLICT, "member %s is not a member",
                        in->member_id);
    if (!valid_text(in->findings, 4000, true))
        return svc_fail(rep, INVALID,
                        "issue_rectification.findings: "
                        "required, at most 4000 characters");
    if (!valid_text(in->required_evidence, 2000, false))
        return svc_fail(rep, INVALID,
                        "issue_rectification.required_evidence:"
                        " at most 2000 characters");
    if (!valid_date(in->due_on) ||
        date_end(in->due_on, a->cfg->utc_offset_s, &due) < 0)
        return svc_fail(rep, INVALID,
                        "issue_rectification.due_on: "
                        "YYYY-MM-DD required");
    if (due <= c->now)
        return svc_fail(rep, INVALID,
                        "issue_rectification.due_on: %s is "
                        "already past",
                        in->due_on);
    if (!str_empty(in->warning_id)) {
        err = supv_store_obj(svc_store(s), "warning", in->warning_id,
                             &cogov__v1__warning_raised__descriptor, &old);
        if (err == -ENOENT)
            return svc_fail(rep, NOT_FOUND, "warning %s: not found",
                            in->warning_id);
        if (err < 0)
            return supv_store_fail(rep, err, "warning");
        protobuf_c_message_free_unpacked(old, NULL);
        old = NULL;
    }
    if (!str_empty(in->rectification_id)) {
        if (!id_ok(in->rectification_id))
            return svc_fail(rep, INVALID,
                            "issue_rectification."
                            "rectification_id: 1..48 of [A-Za-z0-9._:/-]");
        id = xstrdup(in->rectification_id);
    } else {
        id = derived_id(c);
    }
    err = supv_store_obj(svc_store(s), "rect", id, DESC, &old);
    if (err == 0) {
        protobuf_c_message_free_unpacked(old, NULL);
        code = svc_fail(rep, CONFLICT, "rectification %s exists", id);
        goto done;
    }
    r.rectification_id = id;
    r.member_id = in->member_id;
    r.findings = in->findings;
    r.required_evidence = in->required_evidence ? in->required_evidence : "";
    r.due_on = in->due_on;
    r.has_due_at = true;
    r.due_at = due;
    r.warning_id = in->warning_id ? in->warning_id : "";
    r.round_id = in->round_id ? in->round_id : "";
    r.has_status = true;
    r.status = RS(ISSUED);
    r.has_issued_at = true;
    r.issued_at = c->now;
    err = save(svc_store(s), &r);
    if (err == 0) {
        o.rectification_id = id;
        o.member_id = r.member_id;
        o.findings = r.findings;
        o.required_evidence = r.required_evidence;
        o.has_due_at = true;
        o.due_at = due;
        o.warning_id = r.warning_id;
        o.round_id = r.round_id;
        ev.payload_case = P(RECTIFICATION_ORDERED);
        ev.rectification_ordered = &o;
        err = svc_emit(s, c, &ev);
    }
    if (err < 0) {
        code = supv_store_fail(rep, err, "issue rectification");
        goto done;
    }
    log_info("rectification.ordered", "rectification=%s member=%s corr=%s",
             log_q(id), log_q(r.member_id), log_q(c->correlation_id));
    code = reply_with(s, rep, id);
done:
    free(id);
    return code;
}

Cogov__V1__StatusCode
supv_report_rect(svc_t *s, void *app, const svc_ctx_t *c,
                 const Cogov__V1__Request *req, Cogov__V1__Reply *rep)
{
    const Cogov__V1__SubmitRectificationReport *in =
        req->submit_rectification_report;
    Cogov__V1__Rectification *r = NULL;
    Cogov__V1__StatusCode code;
    int err;

    (void)app;
    code = load(s, rep, in->rectification_id, &r);
    if (code != OK)
        return code;
    if (!principal_has(c->who, R(SUPERVISOR)) &&
        strcmp(c->who->member_id, r->member_id) != 0) {
        code = svc_fail(rep, DENIED,
                        "rectification %s belongs to another "
                        "unit",
                        r->rectification_id);
        goto done;
    }
    if (r->status != RS(ISSUED) && r->status != RS(RETURNED)) {
        code = svc_fail(rep, CONFLICT,
                        "rectification %s is not waiting for "
                        "a report",
                        r->rectification_id);
        goto done;
    }
    if (!valid_text(in->report, 8000, true) ||
        !valid_text(in->evidence, 2000, false)) {
        code = svc_fail(rep, INVALID,
                        "submit_rectification_report.report: "
                        "required (at most 8000 characters; evidence 2000)");
        goto done;
    }
    free(r->report);
    r->report = xstrdup(in->report);
    free(r->evidence);
    r->evidence = xstrdup(in->evidence ? in->evidence : "");
    r->has_status = true;
    r->status = RS(REPORTED);
    err = save(svc_store(s), r);
    if (err == 0)
        err = emit_changed(s, c, r, P(RECTIFICATION_REPORTED));
    if (err < 0) {
        code = supv_store_fail(rep, err, "report");
        goto done;
    }
    log_info("rectification.reported", "rectification=%s corr=%s",
             log_q(r->rectification_id), log_q(c->correlation_id));
    rep->body_case = COGOV__V1__REPLY__BODY_RECTIFICATION;
    rep->rectification = r;
    return OK;
done:
    protobuf_c_message_free_unpacked(&r->base, NULL);
    return code;
}

Cogov__V1__StatusCode
supv_decide_rect(svc_t *s, void *app, const svc_ctx_t *c,
                 const Cogov__V1__Request *req, Cogov__V1__Reply *rep)
{
    const Cogov__V1__DecideRectification *in = req->decide_rectification;
    Cogov__V1__Rectification *r = NULL;
    Cogov__V1__StatusCode code;
    int err;

    (void)app;
    code = load(s, rep, in->rectification_id, &r);
    if (code != OK)
        return code;
    if (r->status != RS(REPORTED)) {
        code = svc_fail(rep, CONFLICT,
                        "rectification %s has no report to "
                        "decide on",
                        r->rectification_id);
        goto fail;
    }
    if (!valid_text(in->note, 2000, !in->accept)) {
        code = svc_fail(rep, INVALID,
                        "decide_rectification.note: required "
                        "when returning, at most 2000 characters");
        goto fail;
    }
    free(r->note);
    r->note = xstrdup(in->note ? in->note : "");
    r->has_status = true;
    r->status = in->accept ? RS(ACCEPTED) : RS(RETURNED);
    if (in->accept) {
        r->has_closed_at = true;
        r->closed_at = c->now;
    }
    err = save(svc_store(s), r);
    if (err == 0)
        err = emit_changed(s, c, r,
                           in->accept ? P(RECTIFICATION_CLOSED)
                                      : P(RECTIFICATION_RETURNED));
    if (err < 0) {
        code = supv_store_fail(rep, err, "decide");
        goto fail;
    }
    log_info(in->accept ? "rectification.closed" : "rectification.returned",
             "rectification=%s corr=%s", log_q(r->rectification_id),
             log_q(c->correlation_id));
    rep->body_case = COGOV__V1__REPLY__BODY_RECTIFICATION;
    rep->rectification = r;
    return OK;
fail:
    protobuf_c_message_free_unpacked(&r->base, NULL);
    return code;
}

Cogov__V1__StatusCode
supv_get_rect(svc_t *s, void *app, const svc_ctx_t *c,
              const Cogov__V1__Request *req, Cogov__V1__Reply *rep)
{
    const char *own = supv_own_unit(c->who);
    Cogov__V1__StatusCode code;

    (void)app;
    code = reply_with(s, rep, req->get_rectification->rectification_id);
    if (code == OK && own && strcmp(own, rep->rectification->member_id) != 0)
        return svc_fail(rep, DENIED, "rectification of another unit");
    return code;
}

Cogov__V1__StatusCode
supv_list_rects(svc_t *s, void *app, const svc_ctx_t *c,
                const Cogov__V1__Request *req, Cogov__V1__Reply *rep)
{
    const Cogov__V1__ListRectifications *in = req->list_rectifications;
    const char *member = str_empty(in->member_id) ? NULL : in->member_id;
    const char *own = supv_own_unit(c->who);
    Cogov__V1__RectificationList *l;
    ProtobufCMessage **v = NULL;
    size_t n = 0;
    int err;

    (void)app;
    if (own) {
        if (member && strcmp(member, own) != 0)
            return svc_fail(rep, DENIED,
                            "list_rectifications.member_id: a "
                            "member representative sees its own unit only");
        member = own;
    }
    err =
        supv_store_objs(svc_store(s), "rect", member,
                        in->has_status ? (int)in->status : 0, 0, DESC, &v, &n);
    if (err < 0)
        return supv_store_fail(rep, err, "rectifications");
    l = xmalloc(sizeof *l);
    cogov__v1__rectification_list__init(l);
    l->rectifications = (Cogov__V1__Rectification **)v;
    l->n_rectifications = n;
    rep->body_case = COGOV__V1__REPLY__BODY_RECTIFICATION_LIST;
    rep->rectification_list = l;
    return OK;
}

int
supv_rect_tick(svc_t *s, const svc_ctx_t *c, int64_t now)
{
    ProtobufCMessage **v = NULL;
    size_t n = 0;
    int err;

    /* due_at is zeroed in the index once accepted or escalated */
    err = supv_store_objs(svc_store(s), "rect", NULL, 0, now - 1, DESC, &v, &n);
    for (size_t i = 0; err == 0 && i < n; i++) {
        Cogov__V1__Rectification *r = (Cogov__V1__Rectification *)v[i];
        if (r->status == RS(ACCEPTED) || r->overdue || r->due_at >= now)
            continue;
        r->has_overdue = true;
        r->overdue = true;
        err = save(svc_store(s), r);
        if (err == 0)
            err = supv_store_fact_add(svc_store(s), r->rectification_id,
                                      r->member_id, "rectification.overdue",
                                      now, 1);
        if (err >= 0) {
            Cogov__V1__Event ev = COGOV__V1__EVENT__INIT;
            Cogov__V1__RectificationOverdue o =
                COGOV__V1__RECTIFICATION_OVERDUE__INIT;
            o.rectification_id = r->rectification_id;
            o.member_id = r->member_id;
            o.issue = r->findings;
            o.has_due_at = true;
            o.due_at = r->due_at;
            ev.payload_case = P(RECTIFICATION_OVERDUE);
            ev.rectification_overdue = &o;
            err = svc_emit(s, c, &ev);
            if (err == 0)
                log_info("rectification.overdue",
                         "rectification=%s member=%s corr=%s",
                         log_q(r->rectification_id), log_q(r->member_id),
                         log_q(c->correlation_id));
        }
    }
    supv_objs_free(v, n);
    return err < 0 ? err : 0;
}

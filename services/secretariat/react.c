/* react: what the secretariat does when coordination, incentives and
 * supervision publish (DESIGN 1.6): keep the members it addresses, the
 * charter versions and council seats, welcome admitted units and bid
 * farewell to those that leave, notify a unit of its warnings,
 * rectification orders, evaluation result and overdue milestones, the
 * council of the incentive pool running dry, and on each calendar tick
 * close the votes due, send reminders and escalate late inquiries.
 * Idempotent: notice ids derive from the causing event, and a notice is
 * published only when its row is new. */
#include "secretariat.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "notice_texts.h"
#include "sec_store.h"
#include "util.h"
#include "validate.h"

#define ST(x) COGOV__V1__MEMBER_STATUS__MEMBER_STATUS_##x
#define KIND(x) COGOV__V1__NOTICE_KIND__NOTICE_KIND_##x

int
sec_publish_notice(svc_t *s, const svc_ctx_t *c, const char *notice_id,
                   Cogov__V1__NoticeKind kind, const char *title,
                   const char *body, char **addressees, size_t n_addressees)
{
    Cogov__V1__Notice n = COGOV__V1__NOTICE__INIT;
    int err;

    n.notice_id = (char *)notice_id;
    n.causation_id = (char *)c->causation_id;
    n.has_kind = true;
    n.kind = kind;
    n.has_published_at = true;
    n.published_at = c->now;
    n.n_addressees = n_addressees;
    n.addressees = addressees;
    n.title = (char *)title;
    n.body = (char *)body;

    err = sec_store_notice_add(svc_store(s), &n);
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
        if (err == 0) {
            /* log_q's values are cut at 512 bytes: the fields fit. */
            char f[1200];
            notice_published_fields(f, sizeof f, log_q(n.notice_id), (int)kind,
                                    n_addressees, log_q(c->correlation_id));
            log_info("notice.published", "%s", f);
        }
    }
    return err < 0 ? err : 0;
}

/* Publish the welcome or farewell notice for the unit an event names. */
static int
publish(svc_t *s, const svc_ctx_t *c, const Cogov__V1__Event *ev,
        Cogov__V1__NoticeKind kind, const Cogov__V1__MemberStatusChanged *m)
{
    store_t *st = svc_store(s);
    char *consortium = NULL;
    char *addressees[1] = {m->member_id};
    char *id, *title = NULL, *body = NULL;
    int err = sec_store_consortium_name(st, &consortium);

    if (err < 0 && err != -ENOENT)
        return err;
    id = notice_id_for(kind == KIND(WELCOME) ? "welcome" : "farewell",
                       ev->producer, ev->seq);
    if (kind == KIND(WELCOME))
        notice_welcome(consortium, m->name, &title, &body);
    else
        notice_farewell(consortium, m->name, m->to == ST(EXPELLED), &title,
                        &body);
    err = sec_publish_notice(s, c, id, kind, title, body, addressees, 1);
    free(id);
    free(title);
    free(body);
    free(consortium);
    return err;
}

/* The consortium's and a unit's names (xmalloc'd; the unit's falls back
 * to its id when the secretariat has not heard of it). */
static int
names(store_t *st, const char *member_id, char **consortium, char **member)
{
    int err = sec_store_consortium_name(st, consortium);

    if (err < 0 && err != -ENOENT)
        return err;
    *member = NULL;
    err = sec_store_member(st, member_id, member, NULL);
    if (err < 0 && err != -ENOENT) {
        free(*consortium);
        *consortium = NULL;
        return err;
    }
    if (*member == NULL)
        *member = xstrdup(member_id);
    return 0;
}

/* Publish a notice to one unit and free id, title and body. */
static int
publish_to(svc_t *s, const svc_ctx_t *c, char *id, Cogov__V1__NoticeKind kind,
           char *title, char *body, const char *member_id)
{
    char *addressees[1] = {(char *)member_id};
    int err = sec_publish_notice(s, c, id, kind, title, body, addressees, 1);

    free(id);
    free(title);
    free(body);
    return err;
}

/* supervision's warning_raised: a warning notice to the unit concerned
 * (a warning not about one unit is in the briefing only). */
static int
warning_notice(svc_t *s, const svc_ctx_t *c, const Cogov__V1__Event *ev)
{
    const Cogov__V1__WarningRaised *w = ev->warning_raised;
    char *consortium = NULL, *member = NULL, *title = NULL, *body = NULL;
    int err;

    if (str_empty(w->member_id))
        return 0;
    err = names(svc_store(s), w->member_id, &consortium, &member);
    if (err < 0)
        return err;
    notice_warning(consortium, member, (int)w->kind, w->detail, &title, &body);
    free(consortium);
    free(member);
    return publish_to(s, c, notice_id_for("warning", ev->producer, ev->seq),
                      KIND(WARNING), title, body, w->member_id);
}

/* supervision's rectification_ordered: the order to the unit, with its
 * findings and its deadline (the business date it ends on). */
static int
rectification_notice(svc_t *s, const sec_app_t *a, const svc_ctx_t *c,
                     const Cogov__V1__Event *ev)
{
    const Cogov__V1__RectificationOrdered *r = ev->rectification_ordered;
    char *consortium = NULL, *member = NULL, *title = NULL, *body = NULL;
    char due[16] = "";
    int err;

    if (str_empty(r->member_id)) {
        svc_react_error(s, "rectification_ordered: member_id missing");
        return SVC_REACT_REJECT;
    }
    if (r->has_due_at && r->due_at > 0)
        date_of(r->due_at - 1, a ? (long)a->cfg->utc_offset_s : 0, due,
                sizeof due);
    err = names(svc_store(s), r->member_id, &consortium, &member);
    if (err < 0)
        return err;
    notice_rectification(consortium, member, r->findings, r->required_evidence,
                         due, &title, &body);
    free(consortium);
    free(member);
    return publish_to(s, c,
                      notice_id_for("rectification", ev->producer, ev->seq),
                      KIND(RECTIFICATION), title, body, r->member_id);
}

/* supervision's evaluation_published: to each unit evaluated, a notice
 * with its own grade and total only. */
static int
evaluation_notices(svc_t *s, const svc_ctx_t *c, const Cogov__V1__Event *ev)
{
    const Cogov__V1__EvaluationPublished *e = ev->evaluation_published;
    int err = 0;

    for (size_t i = 0; err == 0 && i < e->n_results; i++) {
        const Cogov__V1__MemberResult *r = e->results[i];
        char *consortium = NULL, *member = NULL, *title = NULL, *body = NULL;

        if (r == NULL || str_empty(r->member_id))
            continue;
        err = names(svc_store(s), r->member_id, &consortium, &member);
        if (err < 0)
            break;
        if (!str_empty(r->name) && strcmp(member, r->member_id) == 0) {
            free(member);
            member = xstrdup(r->name);
        }
        notice_evaluation(consortium, member, e->period, r->total,
                          (int)r->grade, r->veto_failed, r->veto_key, &title,
                          &body);
        free(consortium);
        free(member);
        err = publish_to(s, c,
                         notice_id_for_member("evaluation", ev->producer,
                                              ev->seq, r->member_id),
                         KIND(EVALUATION), title, body, r->member_id);
    }
    return err;
}

/* incentives' pool_low / pool_exhausted: to the council seat holders, or
 * to every ADMITTED unit while no seat is assigned. */
static int
pool_notice(svc_t *s, const svc_ctx_t *c, const Cogov__V1__Event *ev,
            const Cogov__V1__PoolAlert *p, bool exhausted)
{
    store_t *st = svc_store(s);
    char **ids = NULL, *consortium = NULL, *id, *title = NULL, *body = NULL;
    size_t n = 0;
    int err = sec_store_seats(st, &ids, &n);

    if (err == 0 && n == 0)
        err = sec_store_admitted(
            st, COGOV__V1__MEMBER_TYPE__MEMBER_TYPE_UNSPECIFIED, &ids, &n);
    if (err == 0)
        err = sec_store_consortium_name(st, &consortium);
    if (err == -ENOENT)
        err = 0;
    if (err < 0 || n == 0)
        goto done;
    notice_pool(consortium, exhausted, p->pool_id, p->budget_fen,
                p->available_fen, p->queued_fen, &title, &body);
    id = notice_id_for(exhausted ? "pool_exhausted" : "pool_low", ev->producer,
                       ev->seq);
    err = sec_publish_notice(s, c, id, KIND(COUNCIL), title, body, ids, n);
    free(id);
done:
    free(title);
    free(body);
    free(consortium);
    sec_strv_free(ids, n);
    return err;
}

/* coordination's milestone_overdue: a reminder to the task's lead unit. */
static int
milestone_notice(svc_t *s, const sec_app_t *a, const svc_ctx_t *c,
                 const Cogov__V1__Event *ev)
{
    const Cogov__V1__MilestoneOverdue *m = ev->milestone_overdue;
    char *consortium = NULL, *member = NULL, *task_title = NULL;
    char *title = NULL, *body = NULL;
    char due[16] = "";
    int err;

    if (str_empty(m->lead_member_id)) {
        svc_react_error(s, "milestone_overdue: lead_member_id missing");
        return SVC_REACT_REJECT;
    }
    if (m->has_due_at && m->due_at > 0)
        date_of(m->due_at - 1, a ? (long)a->cfg->utc_offset_s : 0, due,
                sizeof due);
    err = names(svc_store(s), m->lead_member_id, &consortium, &member);
    if (err < 0)
        return err;
    if (!str_empty(m->task_id)) {
        err = sec_store_task(svc_store(s), m->task_id, &task_title, NULL, NULL);
        if (err < 0 && err != -ENOENT)
            goto done;
        err = 0;
    }
    notice_milestone_overdue(member, m->task_id, task_title, m->title, due,
                             &title, &body);
    err = publish_to(s, c, notice_id_for("milestone", ev->producer, ev->seq),
                     KIND(REMINDER), title, body, m->lead_member_id);
done:
    free(task_title);
    free(consortium);
    free(member);
    return err;
}

/* Reminders to units that have not acknowledged a notice within the
 * configured days: one per notice per unit, id "remind:<notice>:<unit>". */
static int
notice_reminders(svc_t *s, const sec_app_t *a, const svc_ctx_t *c, int64_t now)
{
    char **notices = NULL, **members = NULL;
    size_t n = 0;
    int err;

    if (a == NULL || a->cfg->notice_remind_days <= 0)
        return 0;
    err = sec_store_unacked(svc_store(s),
                            now - a->cfg->notice_remind_days * DAY_S, &notices,
                            &members, &n);
    for (size_t i = 0; err == 0 && i < n; i++) {
        Cogov__V1__Notice *orig = NULL;
        char *id = xasprintf("remind:%s:%s", notices[i], members[i]);
        err = sec_store_notice(svc_store(s), notices[i], &orig);
        if (err == 0) {
            char *title = xasprintf("提醒：请确认通知《%s》", orig->title);
            char *body = xasprintf("贵单位尚未确认秘书处于先前发布的通知"
                                   "《%s》（编号 %s），请尽快阅读并确认。",
                                   orig->title, notices[i]);
            err = sec_publish_notice(s, c, id, KIND(REMINDER), title, body,
                                     &members[i], 1);
            free(title);
            free(body);
            protobuf_c_message_free_unpacked(&orig->base, NULL);
        }
        free(id);
    }
    sec_strv_free(notices, n);
    sec_strv_free(members, n);
    return err;
}

/* A calendar tick: close the votes due, remind, escalate late inquiries.
 * Everything it does has a derived id or a once-flag, so a replayed tick
 * (or a later tick catching up on an earlier deadline) converges. */
static int
tick(svc_t *s, void *app, const svc_ctx_t *c, int64_t now)
{
    int err = sec_motions_tick(s, c, now);
    if (err == 0)
        err = sec_meetings_tick(s, app, c, now);
    if (err == 0)
        err = sec_inquiries_tick(s, c, now);
    if (err == 0)
        err = notice_reminders(s, app, c, now);
    if (err == 0)
        err = sec_extraordinary_tick(s, app, c);
    if (err == 0)
        err = sec_review_tick(s, app, c, now);
    return err;
}

/* Lines of the briefing from incentives (awards approved) and supervision
 * (warnings, evaluations published); keyed by the award, warning or round
 * id, so a replay adds nothing. */
static int
digest(svc_t *s, const svc_ctx_t *c, const Cogov__V1__Event *ev)
{
    store_t *st = svc_store(s);
    char *detail = NULL;
    int err = 0;

    switch (ev->payload_case) {
    case COGOV__V1__EVENT__PAYLOAD_AWARD_APPROVED: {
        const Cogov__V1__Award *aw =
            ev->award_approved ? ev->award_approved->award : NULL;
        if (aw == NULL || str_empty(aw->award_id))
            return 0;
        detail = xasprintf("%lld.%02lld 元", (long long)(aw->amount_fen / 100),
                           (long long)llabs(aw->amount_fen % 100));
        err = sec_store_digest_add(st, "award", aw->award_id, aw->member_id,
                                   aw->task_id ? aw->task_id : "", c->now,
                                   detail);
        break;
    }
    case COGOV__V1__EVENT__PAYLOAD_WARNING_RAISED: {
        const Cogov__V1__WarningRaised *w = ev->warning_raised;
        const ProtobufCEnumValue *k;
        if (str_empty(w->warning_id))
            return 0;
        k = protobuf_c_enum_descriptor_get_value(
            &cogov__v1__warning_kind__descriptor, (int)w->kind);
        err = sec_store_digest_add(st, "warning", w->warning_id, w->member_id,
                                   k ? k->name : "", c->now,
                                   w->detail ? w->detail : "");
        break;
    }
    case COGOV__V1__EVENT__PAYLOAD_EVALUATION_PUBLISHED: {
        const Cogov__V1__EvaluationPublished *e = ev->evaluation_published;
        if (str_empty(e->round_id))
            return 0;
        detail = xasprintf("%zu 家成员单位参评", e->n_results);
        err = sec_store_digest_add(st, "evaluation", e->round_id, "",
                                   e->period ? e->period : "", c->now, detail);
        break;
    }
    default:
        break;
    }
    free(detail);
    return err;
}

static int
charter_adopted(svc_t *s, const Cogov__V1__CharterAdopted *ca)
{
    charter_ver_t v = {0};
    const Cogov__V1__CharterRules *r = ca->rules;

    if (!ca->has_version || !valid_date(ca->effective_on) || r == NULL) {
        svc_react_error(s, "charter_adopted: version, effective_on and "
                           "rules required");
        return SVC_REACT_REJECT;
    }
    v.version = ca->version;
    v.effective_on = ca->effective_on;
    v.rules = charter_default();
    v.rules.version = ca->version;
    if (r->has_quorum_permille)
        v.rules.quorum_permille = r->quorum_permille;
    if (r->has_pass_permille)
        v.rules.pass_permille = r->pass_permille;
    if (r->has_extraordinary_permille)
        v.rules.extraordinary_permille = r->extraordinary_permille;
    return sec_store_charter_put(svc_store(s), &v, ca->title);
}

static int
status_changed(svc_t *s, const svc_ctx_t *c, const Cogov__V1__Event *ev,
               const Cogov__V1__MemberStatusChanged *m,
               Cogov__V1__NoticeKind notice)
{
    int err;

    if (m == NULL || str_empty(m->member_id)) {
        svc_react_error(s, "%s: member_id missing", svc_event_type(ev));
        return SVC_REACT_REJECT;
    }
    /* One UPDATE: no row changed means the member never applied. */
    err = sec_store_member_set(svc_store(s), m->member_id, m->name, m->type,
                               m->to);
    if (err == -ENOENT) {
        svc_react_error(s, "%s: member %s never applied", svc_event_type(ev),
                        m->member_id);
        return SVC_REACT_REJECT;
    }
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
    case COGOV__V1__EVENT__PAYLOAD_CALENDAR_TICK:
        return tick(s, app, c, ev->calendar_tick->now);
    case COGOV__V1__EVENT__PAYLOAD_CHARTER_ADOPTED:
        return charter_adopted(s, ev->charter_adopted);
    case COGOV__V1__EVENT__PAYLOAD_COUNCIL_SEAT_ASSIGNED: {
        const Cogov__V1__CouncilSeatAssigned *a = ev->council_seat_assigned;
        if (str_empty(a->seat_id)) {
            svc_react_error(s, "council_seat_assigned: seat_id missing");
            return SVC_REACT_REJECT;
        }
        return sec_store_seat_put(st, a->seat_id, (int)a->role, a->member_id,
                                  a->term_start, a->term_end);
    }
    case COGOV__V1__EVENT__PAYLOAD_CONSORTIUM_FOUNDED:
        return sec_store_consortium_set(st,
                                        str_empty(ev->consortium_founded->name)
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
        return status_changed(s, c, ev, ev->member_rejected, KIND(UNSPECIFIED));
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
    case COGOV__V1__EVENT__PAYLOAD_TASK_CREATED:
    case COGOV__V1__EVENT__PAYLOAD_TASK_STATUS_CHANGED:
    case COGOV__V1__EVENT__PAYLOAD_TASK_COMPLETED:
        return sec_review_task_event(s, c, ev);
    case COGOV__V1__EVENT__PAYLOAD_AWARD_APPROVED:
        return digest(s, c, ev);
    case COGOV__V1__EVENT__PAYLOAD_WARNING_RAISED: {
        int err = digest(s, c, ev);
        return err != 0 ? err : warning_notice(s, c, ev);
    }
    case COGOV__V1__EVENT__PAYLOAD_EVALUATION_PUBLISHED: {
        int err = digest(s, c, ev);
        return err != 0 ? err : evaluation_notices(s, c, ev);
    }
    case COGOV__V1__EVENT__PAYLOAD_RECTIFICATION_ORDERED:
        return rectification_notice(s, app, c, ev);
    case COGOV__V1__EVENT__PAYLOAD_POOL_LOW:
        return pool_notice(s, c, ev, ev->pool_low, false);
    case COGOV__V1__EVENT__PAYLOAD_POOL_EXHAUSTED:
        return pool_notice(s, c, ev, ev->pool_exhausted, true);
    case COGOV__V1__EVENT__PAYLOAD_MILESTONE_OVERDUE:
        return milestone_notice(s, app, c, ev);
    default:
        return 0; /* nothing to do */
    }
}

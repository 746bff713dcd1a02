/* react: evidence and early warnings (DESIGN 1.4, 1.6). Every relevant
 * event of coordination and secretariat becomes facts keyed by (event id,
 * member, source), so a replay adds nothing; warnings have ids derived from
 * their causes and are raised once; deadlines are decided on ticks, and so
 * are the periodic evaluation rounds (handlers.c, supv_rounds_tick). */
#include "supervision.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evalrules.h"
#include "log.h"
#include "supv_store.h"
#include "util.h"

#define WK(x) COGOV__V1__WARNING_KIND__WARNING_KIND_##x
#define P(x) COGOV__V1__EVENT__PAYLOAD_##x

int
supv_warn(svc_t *s, const svc_ctx_t *c, const char *id, const char *member_id,
          Cogov__V1__WarningKind kind, const char *cause, const char *detail)
{
    Cogov__V1__WarningRaised w = COGOV__V1__WARNING_RAISED__INIT;
    int err;

    w.warning_id = (char *)id;
    w.member_id = (char *)member_id;
    w.has_kind = true;
    w.kind = kind;
    w.cause_event_id = (char *)(cause ? cause : "");
    w.detail = (char *)(detail ? detail : "");
    w.has_raised_at = true;
    w.raised_at = c->now;
    err = supv_store_obj_add(svc_store(s), "warning", id, member_id, 0, 0,
                             c->now, &w.base);
    if (err == 1) {
        Cogov__V1__Event ev = COGOV__V1__EVENT__INIT;
        ev.payload_case = P(WARNING_RAISED);
        ev.warning_raised = &w;
        err = svc_emit(s, c, &ev);
        if (err == 0)
            log_info("warning.raised", "warning=%s member=%s kind=%d corr=%s",
                     log_q(id), log_q(member_id), (int)kind,
                     log_q(c->correlation_id));
    }
    return err < 0 ? err : 0;
}

static int
fact(svc_t *s, const char *ev_id, const char *member, const char *source,
     int64_t at, int64_t value)
{
    if (str_empty(member))
        return 0;
    int err =
        supv_store_fact_add(svc_store(s), ev_id, member, source, at, value);
    return err < 0 ? err : 0;
}

static int
delivered(svc_t *s, const char *id, const char *member, int64_t at,
          const Cogov__V1__Delivered *d, const Cogov__V1__Delivered *minus)
{
    static const char *const names[] = {
        "progress.students_enrolled", "progress.interns_hosted",
        "progress.training_hours", "progress.investment_fen",
        "progress.quantity"};
    int64_t v[5] = {0}, m[5] = {0};
    int err = 0;

    if (d)
        v[0] = d->students_enrolled, v[1] = d->interns_hosted,
        v[2] = d->training_hours, v[3] = d->investment_fen, v[4] = d->quantity;
    if (minus)
        m[0] = minus->students_enrolled, m[1] = minus->interns_hosted,
        m[2] = minus->training_hours, m[3] = minus->investment_fen,
        m[4] = minus->quantity;
    /* a correction contributes the difference: the totals follow it */
    for (size_t i = 0; err == 0 && i < 5; i++)
        if (v[i] - m[i] != 0)
            err = fact(s, id, member, names[i], at, v[i] - m[i]);
    if (err == 0)
        err = fact(s, id, member, "progress.reports", at, 1);
    return err;
}

static void
lower(char *dst, size_t size, const char *src)
{
    size_t i = 0;
    for (; src[i] && i + 1 < size; i++)
        dst[i] = (char)(src[i] >= 'A' && src[i] <= 'Z' ? src[i] + 32 : src[i]);
    dst[i] = 0;
}

static int
task_completed(svc_t *s, const char *id, int64_t at,
               const Cogov__V1__TaskCompleted *t)
{
    const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(
        &cogov__v1__task_kind__descriptor, (int)t->kind);
    char src[64], kind[40];

    lower(kind, sizeof kind,
          v && strlen(v->name) > 10 ? v->name + 10 : "other"); /* TASK_KIND_ */
    snprintf(src, sizeof src, "task_completed.%s", kind);
    int err = fact(s, id, t->lead_member_id, src, at, 1);
    if (err == 0)
        err = fact(s, id, t->lead_member_id, "task_completed.any", at, 1);
    for (size_t i = 0; err == 0 && i < t->n_participant_ids; i++)
        err = fact(s, id, t->participant_ids[i], "task_participated", at, 1);
    return err;
}

static int
meeting_held(svc_t *s, const supv_app_t *a, const svc_ctx_t *c, const char *id,
             const Cogov__V1__Meeting *m)
{
    int err = 0;

    if (m == NULL)
        return 0;
    for (size_t i = 0; err == 0 && i < m->n_invitees; i++) {
        const Cogov__V1__Attendance *at = m->invitees[i];
        if (str_empty(at->member_id))
            continue;
        err = fact(s, id, at->member_id, "meeting.attended", c->now,
                   at->checked_in ? 1 : 0);
        if (err < 0 || at->checked_in || a->cfg->absence_streak <= 0)
            continue;
        /* the streak reaching N exactly raises it, once per streak */
        int64_t vals[51];
        size_t n = 0, streak = 0, want = (size_t)a->cfg->absence_streak;
        err = supv_store_recent(svc_store(s), at->member_id, "meeting.attended",
                                want + 1, vals, &n);
        while (err == 0 && streak < n && vals[streak] == 0)
            streak++;
        if (err == 0 && streak == want) {
            char *wid = xasprintf("absence_streak:%s:%s", at->member_id,
                                  m->meeting_id ? m->meeting_id : id);
            char *detail =
                xasprintf("missed %zu meetings in a row (last: %s)", streak,
                          m->meeting_id ? m->meeting_id : "");
            err = supv_warn(s, c, wid, at->member_id, WK(ABSENCE_STREAK), id,
                            detail);
            free(wid);
            free(detail);
        }
    }
    return err;
}

/* Inactive units: no evidence for inactive_days; once per quiet spell (the
 * id names the day of its last evidence). */
static int
inactive(svc_t *s, const supv_app_t *a, const svc_ctx_t *c, int64_t now)
{
    supv_member_t *m = NULL;
    size_t n = 0;
    int err;

    if (a->cfg->inactive_days <= 0)
        return 0;
    err = supv_store_members(svc_store(s), &m, &n);
    for (size_t i = 0; err == 0 && i < n; i++) {
        if (m[i].status != COGOV__V1__MEMBER_STATUS__MEMBER_STATUS_ADMITTED ||
            m[i].last_active + a->cfg->inactive_days * 86400 > now)
            continue;
        char *wid = xasprintf(
            "inactive:%s:%" PRId64, m[i].member_id,
            (int64_t)(m[i].last_active + a->cfg->utc_offset_s) / 86400);
        char *detail =
            xasprintf("no evidence for %lld days", a->cfg->inactive_days);
        err = supv_warn(s, c, wid, m[i].member_id, WK(INACTIVE), NULL, detail);
        free(wid);
        free(detail);
    }
    supv_members_free(m, n);
    return err;
}

/* Eligible to vote: a fact of value 0 — evidence of a decision the member
 * could take part in, not of an act (activity counts facts of value > 0). */
static int
eligible(svc_t *s, const char *ev_id, const char *member, int64_t at)
{
    return fact(s, ev_id, member, "vote.eligible", at, 0);
}

/* An annual goal (coordination's goal_set): kept for the rounds' consortium
 * result; setting the same goal id again revises it. */
static int
goal_set(svc_t *s, const svc_ctx_t *c, const Cogov__V1__GoalSet *g)
{
    if (g == NULL || str_empty(g->goal_id))
        return 0;
    return supv_store_obj_put(svc_store(s), "goal", g->goal_id, "",
                              (int)g->year, 0, c->now, &g->base);
}

/* incentives' pool_low / pool_exhausted: a consortium-level warning (no
 * member) once per alert event; incentives raises each alert once until a
 * top-up lifts the pool again, so each alert is a cause of its own. */
static int
pool_alert(svc_t *s, const svc_ctx_t *c, const char *id,
           const Cogov__V1__PoolAlert *p, bool exhausted)
{
    if (p == NULL || str_empty(p->pool_id))
        return 0;
    char *wid = xasprintf("%s:%s:%s", exhausted ? "pool_exhausted" : "pool_low",
                          p->pool_id, id);
    char *detail =
        exhausted
            ? xasprintf("pool %s exhausted: %" PRId64 " fen available of "
                        "%" PRId64 ", %" PRId64 " fen of awards queued",
                        p->pool_id, p->available_fen, p->budget_fen,
                        p->queued_fen)
            : xasprintf("pool %s nearly spent: %" PRId64 " fen available of "
                        "%" PRId64,
                        p->pool_id, p->available_fen, p->budget_fen);
    int err = supv_warn(s, c, wid, "", WK(POOL_LOW), id, detail);
    free(wid);
    free(detail);
    return err;
}

static int
member(svc_t *s, const svc_ctx_t *c, const Cogov__V1__Event *ev,
       const Cogov__V1__MemberStatusChanged *m)
{
    if (m == NULL || str_empty(m->member_id)) {
        svc_react_error(s, "%s: member_id missing", svc_event_type(ev));
        return SVC_REACT_REJECT;
    }
    return supv_store_member_put(svc_store(s), m->member_id, m->name,
                                 (int)m->type, (int)m->to, c->now);
}

int
supv_react(svc_t *s, void *app, const svc_ctx_t *c, const Cogov__V1__Event *ev)
{
    const supv_app_t *a = app;
    char id[96];
    int64_t at = c->now;
    int err;

    snprintf(id, sizeof id, "%s:%" PRIu64, ev->producer ? ev->producer : "",
             ev->seq);
    switch (ev->payload_case) {
    case P(CALENDAR_TICK):
        err = supv_rect_tick(s, c, ev->calendar_tick->now);
        if (err == 0)
            err = inactive(s, a, c, ev->calendar_tick->now);
        if (err == 0)
            err = supv_rounds_tick(s, a, c, ev->calendar_tick->now);
        return err;
    case P(MEMBER_APPLIED): {
        const Cogov__V1__MemberApplied *m = ev->member_applied;
        if (str_empty(m->member_id)) {
            svc_react_error(s, "member_applied: member_id missing");
            return SVC_REACT_REJECT;
        }
        return supv_store_member_put(svc_store(s), m->member_id, m->name,
                                     (int)m->type, 1, at);
    }
    case P(MEMBER_ADMITTED):
        return member(s, c, ev, ev->member_admitted);
    case P(MEMBER_REJECTED):
        return member(s, c, ev, ev->member_rejected);
    case P(MEMBER_SUSPENDED):
        return member(s, c, ev, ev->member_suspended);
    case P(MEMBER_REINSTATED):
        return member(s, c, ev, ev->member_reinstated);
    case P(MEMBER_EXITED):
        return member(s, c, ev, ev->member_exited);
    case P(MEMBER_EXPELLED):
        return member(s, c, ev, ev->member_expelled);
    case P(PROGRESS_REPORTED): {
        const Cogov__V1__ProgressReported *p = ev->progress_reported;
        return delivered(s, id, p->member_id, at, p->delivered,
                         str_empty(p->corrects_report_id) ? NULL
                                                          : p->corrected);
    }
    case P(TASK_COMPLETED):
        return task_completed(s, id, at, ev->task_completed);
    case P(MILESTONE_COMPLETED):
        return fact(s, id, ev->milestone_completed->lead_member_id,
                    "milestone.on_time", at,
                    ev->milestone_completed->on_time ? 1 : 0);
    case P(MILESTONE_OVERDUE): {
        const Cogov__V1__MilestoneOverdue *m = ev->milestone_overdue;
        err = fact(s, id, m->lead_member_id, "milestone.overdue", at, 1);
        if (err == 0 && !str_empty(m->lead_member_id)) {
            char *wid = xasprintf("milestone_overdue:%s/%s", m->task_id,
                                  m->milestone_id);
            char *detail =
                xasprintf("task %s milestone %s (%s) overdue", m->task_id,
                          m->milestone_id, m->title ? m->title : "");
            err = supv_warn(s, c, wid, m->lead_member_id, WK(MILESTONE_OVERDUE),
                            id, detail);
            free(wid);
            free(detail);
        }
        return err;
    }
    case P(PLEDGE_MADE):
        return fact(s, id, ev->pledge_made->member_id, "pledge.made", at, 1);
    case P(PLEDGE_DELIVERED):
        return fact(s, id, ev->pledge_delivered->member_id, "pledge.on_time",
                    at, ev->pledge_delivered->on_time ? 1 : 0);
    case P(PLEDGE_MISSED): {
        const Cogov__V1__PledgeEvent *p = ev->pledge_missed;
        err = fact(s, id, p->member_id, "pledge.on_time", at, 0);
        if (err == 0)
            err = fact(s, id, p->member_id, "pledge.missed", at, 1);
        if (err == 0 && !str_empty(p->member_id)) {
            char *wid = xasprintf("pledge_missed:%s", p->pledge_id);
            char *detail = xasprintf("pledge %s to task %s missed its due "
                                     "time",
                                     p->pledge_id, p->task_id);
            err = supv_warn(s, c, wid, p->member_id, WK(PLEDGE_MISSED), id,
                            detail);
            free(wid);
            free(detail);
        }
        return err;
    }
    case P(MEETING_HELD):
        return meeting_held(s, a, c, id, ev->meeting_held->meeting);
    case P(INQUIRY_ANSWERED): {
        const Cogov__V1__Inquiry *q = ev->inquiry_answered->inquiry;
        if (q == NULL)
            return 0;
        return fact(s, id, q->addressee_member_id, "inquiry.on_time", at,
                    q->due_at == 0 || q->answered_at <= q->due_at ? 1 : 0);
    }
    case P(INQUIRY_SLA_BREACHED): {
        const Cogov__V1__InquirySlaBreached *b = ev->inquiry_sla_breached;
        err = fact(s, id, b->addressee_member_id, "inquiry.breached", at, 1);
        if (err == 0 && !str_empty(b->addressee_member_id)) {
            char *wid = xasprintf("inquiry_overdue:%s", b->inquiry_id);
            char *detail =
                xasprintf("inquiry %s unanswered past its SLA", b->inquiry_id);
            err = supv_warn(s, c, wid, b->addressee_member_id,
                            WK(INQUIRY_OVERDUE), id, detail);
            free(wid);
            free(detail);
        }
        return err;
    }
    /* every act of a member is evidence that it takes part (inactivity) */
    case P(VOTE_CAST):
        return fact(s, id, ev->vote_cast->member_id, "vote.cast", at, 1);
    case P(VOTE_OPENED): {
        const Cogov__V1__Motion *mo = ev->vote_opened->motion;
        err = 0;
        /* who could take part in the decision (participation, inclusiveness)
         * - not an act of theirs: value 0 keeps it out of activity */
        for (size_t i = 0; mo && err == 0 && i < mo->n_eligible; i++)
            err = eligible(s, id, mo->eligible[i], at);
        return err;
    }
    case P(MOTION_RAISED): {
        const Cogov__V1__Motion *mo = ev->motion_raised->motion;
        return mo ? fact(s, id, mo->member_id, "motion.raised", at, 1) : 0;
    }
    case P(MEETING_RSVP):
        return fact(s, id, ev->meeting_rsvp->member_id, "meeting.rsvp", at, 1);
    case P(MEETING_CHECKED_IN):
        return fact(s, id, ev->meeting_checked_in->member_id,
                    "meeting.checked_in", at, 1);
    case P(INQUIRY_ASKED): {
        const Cogov__V1__Inquiry *q = ev->inquiry_asked->inquiry;
        return q ? fact(s, id, q->asker_member_id, "inquiry.asked", at, 1) : 0;
    }
    case P(NOTICE_ACKNOWLEDGED):
        return fact(s, id, ev->notice_acknowledged->member_id,
                    "notice.acknowledged", at, 1);
    case P(EXTRAORDINARY_MEETING_REQUESTED):
        return fact(s, id, ev->extraordinary_meeting_requested->member_id,
                    "meeting.requested", at, 1);
    case P(DEMAND_POSTED):
        return fact(s, id, ev->demand_posted->member_id, "demand.posted", at,
                    1);
    case P(SUPPLY_POSTED):
        return fact(s, id, ev->supply_posted->member_id, "supply.posted", at,
                    1);
    case P(GOAL_SET):
        return goal_set(s, c, ev->goal_set);
    case P(POOL_LOW):
        return pool_alert(s, c, id, ev->pool_low, false);
    case P(POOL_EXHAUSTED):
        return pool_alert(s, c, id, ev->pool_exhausted, true);
    case P(RESOLUTION_ADOPTED): {
        const Cogov__V1__ResolutionAdopted *r = ev->resolution_adopted;
        /* consortium-level: shared understanding */
        err = fact(s, id, "*", "resolution.adopted", at, 1);
        if (err == 0)
            err = fact(s, id, "*", "resolution.unopposed", at,
                       r->votes_against == 0 ? 1 : 0);
        return err;
    }
    default:
        return 0;
    }
}

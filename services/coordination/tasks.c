/* tasks: the progress ledger (推进台账, DESIGN 1.2): collaborative tasks with
 * milestones and progress reports, resource pledges, the deadlines decided
 * on calendar ticks, and a unit's dossier. */
#include "coord_handlers.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "coord_store.h"
#include "log.h"
#include "task_rules.h"
#include "util.h"

#define TS(x) COGOV__V1__TASK_STATUS__TASK_STATUS_##x
#define PS(x) COGOV__V1__PLEDGE_STATUS__PLEDGE_STATUS_##x
#define TA(x) COGOV__V1__TASK_ACTION__TASK_ACTION_##x

static coord_rc
emit(svc_t *s, const svc_ctx_t *c, Cogov__V1__Reply *rep, Cogov__V1__Event *ev,
     const char *what)
{
    int err = svc_emit(s, c, ev);
    return err < 0 ? coord_store_fail(rep, err, what) : OK;
}

static coord_rc
reply_task(svc_t *s, const svc_ctx_t *c, Cogov__V1__Reply *rep,
           const char *task_id)
{
    int err = coord_store_task(svc_store(s), task_id, true, c->now, &rep->task);
    if (err == -ENOENT)
        return svc_fail(rep, NOT_FOUND, "task %s: not found", task_id);
    if (err < 0)
        return coord_store_fail(rep, err, "task");
    rep->body_case = COGOV__V1__REPLY__BODY_TASK;
    return OK;
}

/* Load a task for a command; NOT_FOUND if unknown. */
static coord_rc
load_task(svc_t *s, const svc_ctx_t *c, Cogov__V1__Reply *rep,
          const char *field, const char *task_id, Cogov__V1__Task **t)
{
    CHECK(coord_id(rep, field, task_id));
    int err = coord_store_task(svc_store(s), task_id, false, c->now, t);
    if (err == -ENOENT)
        return svc_fail(rep, NOT_FOUND, "task %s: not found", task_id);
    if (err < 0)
        return coord_store_fail(rep, err, "task");
    return OK;
}

/* Validate a CreateTask and insert it; used by the command and by the
 * resolution reaction. *created 1 if new. due_at must have room for
 * t->n_milestones. */
coord_rc coord_task_insert(svc_t *s, const svc_ctx_t *c, Cogov__V1__Reply *rep,
                           const Cogov__V1__CreateTask *t,
                           const char *resolution_id, const char *item_id,
                           int *created);

coord_rc
coord_task_insert(svc_t *s, const svc_ctx_t *c, Cogov__V1__Reply *rep,
                  const Cogov__V1__CreateTask *t, const char *resolution_id,
                  const char *item_id, int *created)
{
    char field[64];
    int64_t due[LIST_MAX_ENTRIES];
    int err;

    CHECK(coord_id(rep, "create_task.task_id", t->task_id));
    CHECK(
        coord_text(rep, "create_task.title", t->title, TITLE_MAX_CHARS, true));
    if (!t->has_kind || t->kind <= COGOV__V1__TASK_KIND__TASK_KIND_UNSPECIFIED)
        return svc_fail(rep, INVALID, "create_task.kind: required");
    CHECK(coord_quantity(rep, "create_task.planned_quantity",
                         t->planned_quantity));
    CHECK(coord_text(rep, "create_task.quantity_unit", t->quantity_unit, 20,
                     false));
    if (t->n_participant_ids > LIST_MAX_ENTRIES)
        return svc_fail(rep, INVALID, "create_task.participant_ids: at most %d",
                        LIST_MAX_ENTRIES);
    if (t->n_milestones > LIST_MAX_ENTRIES)
        return svc_fail(rep, INVALID, "create_task.milestones: at most %d",
                        LIST_MAX_ENTRIES);
    for (size_t i = 0; i < t->n_milestones; i++) {
        const Cogov__V1__MilestoneSpec *m = t->milestones[i];
        snprintf(field, sizeof field, "create_task.milestones[%zu]", i);
        CHECK(coord_id(rep, field, m->milestone_id));
        CHECK(coord_text(rep, field, m->title, TITLE_MAX_CHARS, true));
        CHECK(coord_date(s, rep, field, m->due_on, &due[i]));
        for (size_t j = 0; j < i; j++)
            if (strcmp(t->milestones[j]->milestone_id, m->milestone_id) == 0)
                return svc_fail(rep, INVALID, "%s: duplicate milestone id",
                                field);
    }
    CHECK(coord_admitted(s, rep, "create_task.lead_member_id",
                         t->lead_member_id));
    for (size_t i = 0; i < t->n_participant_ids; i++) {
        snprintf(field, sizeof field, "create_task.participant_ids[%zu]", i);
        CHECK(coord_admitted(s, rep, field, t->participant_ids[i]));
    }
    if (!str_empty(t->goal_id)) {
        err = coord_store_goal_exists(svc_store(s), t->goal_id);
        if (err < 0)
            return coord_store_fail(rep, err, "goal");
        if (err == 0)
            return svc_fail(rep, NOT_FOUND,
                            "create_task.goal_id: goal %s not "
                            "found",
                            t->goal_id);
    }
    err = coord_store_task_add(svc_store(s), t, due, resolution_id, item_id,
                               c->now, c->causation_id);
    if (err < 0)
        return coord_store_fail(rep, err, "create task");
    *created = err;
    if (err == 0)
        return OK;

    Cogov__V1__Event ev = COGOV__V1__EVENT__INIT;
    Cogov__V1__TaskCreated tc = COGOV__V1__TASK_CREATED__INIT;
    tc.task_id = t->task_id;
    tc.title = t->title;
    tc.has_kind = tc.has_planned_quantity = true;
    tc.kind = t->kind;
    tc.lead_member_id = t->lead_member_id;
    tc.n_participant_ids = t->n_participant_ids;
    tc.participant_ids = t->participant_ids;
    tc.goal_id = t->goal_id;
    tc.planned_quantity = t->planned_quantity;
    tc.quantity_unit = t->quantity_unit;
    tc.n_milestones = t->n_milestones;
    tc.milestones = t->milestones;
    tc.resolution_id = (char *)resolution_id;
    tc.action_item_id = (char *)item_id;
    ev.payload_case = COGOV__V1__EVENT__PAYLOAD_TASK_CREATED;
    ev.task_created = &tc;
    CHECK(emit(s, c, rep, &ev, "emit task_created"));
    log_info("task.created", "task=%s kind=%d lead=%s corr=%s",
             log_q(t->task_id), (int)t->kind, t->lead_member_id,
             log_q(c->correlation_id));
    return OK;
}

HANDLER(coord_create_task)
{
    const Cogov__V1__CreateTask *t = req->create_task;
    int created = 0;

    CHECK(coord_task_insert(s, c, rep, t, NULL, NULL, &created));
    if (!created)
        return svc_fail(rep, CONFLICT, "task %s already exists", t->task_id);
    return reply_task(s, c, rep, t->task_id);
}

HANDLER(coord_change_task_status)
{
    const Cogov__V1__ChangeTaskStatus *ch = req->change_task_status;
    Cogov__V1__Task *t = NULL;
    Cogov__V1__TaskStatus to;
    bool coordinator;
    coord_rc rc;
    int err;

    if (!ch->has_action ||
        ch->action == COGOV__V1__TASK_ACTION__TASK_ACTION_UNSPECIFIED)
        return svc_fail(rep, INVALID, "change_task_status.action: required");
    CHECK(coord_text(rep, "change_task_status.reason", ch->reason,
                     NOTE_MAX_CHARS, false));
    coordinator = principal_has(c->who, R(GOV_COORDINATOR));
    if (!coordinator && ch->action != TA(START))
        return svc_fail(rep, DENIED, "only a coordinator may %s a task",
                        ch->action == TA(APPROVE)    ? "approve"
                        : ch->action == TA(COMPLETE) ? "complete"
                                                     : "cancel");
    CHECK(load_task(s, c, rep, "change_task_status.task_id", ch->task_id, &t));
    if (!coordinator && (c->who->member_id[0] == 0 ||
                         strcmp(c->who->member_id, t->lead_member_id) != 0)) {
        rc = svc_fail(rep, DENIED,
                      "only the lead unit's representative or a "
                      "coordinator may start task %s",
                      t->task_id);
        goto done;
    }
    err = task_transition(t->status, ch->action, &to);
    if (err < 0) {
        rc = svc_fail(rep, err == -EPERM ? CONFLICT : INVALID,
                      "task %s: cannot %s from %s", t->task_id,
                      err == -EPERM ? "move" : "apply an unknown action",
                      task_status_name(t->status));
        goto done;
    }
    err = coord_store_task_status(svc_store(s), t->task_id, t->status, to,
                                  c->now);
    if (err < 0) {
        rc = coord_store_fail(rep, err, "task status");
        goto done;
    }
    Cogov__V1__Event ev = COGOV__V1__EVENT__INIT;
    Cogov__V1__TaskStatusChanged sc = COGOV__V1__TASK_STATUS_CHANGED__INIT;
    Cogov__V1__TaskCompleted tc = COGOV__V1__TASK_COMPLETED__INIT;
    if (to == TS(COMPLETED)) {
        tc.task_id = t->task_id;
        tc.has_kind = tc.has_planned_quantity = true;
        tc.kind = t->kind;
        tc.lead_member_id = t->lead_member_id;
        tc.n_participant_ids = t->n_participant_ids;
        tc.participant_ids = t->participant_ids;
        tc.planned_quantity = t->planned_quantity;
        tc.quantity_unit = t->quantity_unit;
        tc.delivered = t->delivered;
        tc.goal_id = t->goal_id;
        ev.payload_case = COGOV__V1__EVENT__PAYLOAD_TASK_COMPLETED;
        ev.task_completed = &tc;
    } else {
        sc.task_id = t->task_id;
        sc.has_kind = sc.has_from = sc.has_to = true;
        sc.kind = t->kind;
        sc.lead_member_id = t->lead_member_id;
        sc.from = t->status;
        sc.to = to;
        sc.reason = str_empty(ch->reason) ? NULL : ch->reason;
        ev.payload_case = COGOV__V1__EVENT__PAYLOAD_TASK_STATUS_CHANGED;
        ev.task_status_changed = &sc;
    }
    rc = emit(s, c, rep, &ev, "emit task status");
    if (rc != OK)
        goto done;
    log_info("task.status", "task=%s from=%s to=%s corr=%s", log_q(t->task_id),
             task_status_name(t->status), task_status_name(to),
             log_q(c->correlation_id));
    rc = reply_task(s, c, rep, t->task_id);
done:
    protobuf_c_message_free_unpacked(&t->base, NULL);
    return rc;
}

/* May the caller report for member_id on this task? Coordinators, the
 * secretariat and bureau systems may; a MEMBER_REP only for its own unit. */
static bool
may_report(const principal_t *p, const char *member_id)
{
    if (principal_has(p,
                      R(GOV_COORDINATOR) | R(SECRETARIAT) | R(BUREAU_SYSTEM)))
        return true;
    return p->member_id[0] != 0 && strcmp(p->member_id, member_id) == 0;
}

static coord_rc
delivered_ok(Cogov__V1__Reply *rep, const Cogov__V1__Delivered *d)
{
    if (d == NULL)
        return svc_fail(rep, INVALID, "report_progress.delivered: required");
    CHECK(coord_quantity(rep, "delivered.students_enrolled",
                         d->students_enrolled));
    CHECK(coord_quantity(rep, "delivered.interns_hosted", d->interns_hosted));
    CHECK(coord_quantity(rep, "delivered.training_hours", d->training_hours));
    CHECK(coord_quantity(rep, "delivered.investment_fen", d->investment_fen));
    CHECK(coord_quantity(rep, "delivered.quantity", d->quantity));
    return OK;
}

HANDLER(coord_report_progress)
{
    const Cogov__V1__ReportProgress *r = req->report_progress;
    store_t *st = svc_store(s);
    Cogov__V1__Task *t = NULL;
    Cogov__V1__ProgressReport *orig = NULL;
    coord_rc rc;
    int err;

    CHECK(coord_id(rep, "report_progress.report_id", r->report_id));
    CHECK(coord_id(rep, "report_progress.member_id", r->member_id));
    CHECK(delivered_ok(rep, r->delivered));
    CHECK(coord_text(rep, "report_progress.note", r->note, NOTE_MAX_CHARS,
                     false));
    if (!str_empty(r->corrects_report_id))
        CHECK(coord_id(rep, "report_progress.corrects_report_id",
                       r->corrects_report_id));
    if (!may_report(c->who, r->member_id))
        return svc_fail(rep, DENIED,
                        "a member representative reports for "
                        "its own unit only");
    CHECK(load_task(s, c, rep, "report_progress.task_id", r->task_id, &t));
    if (t->status != TS(IN_PROGRESS)) {
        rc = svc_fail(rep, CONFLICT, "task %s is %s, not IN_PROGRESS",
                      t->task_id, task_status_name(t->status));
        goto done;
    }
    err = coord_store_task_member(st, t->task_id, r->member_id);
    if (err <= 0) {
        rc = err < 0 ? coord_store_fail(rep, err, "task")
                     : svc_fail(rep, INVALID,
                                "report_progress.member_id: %s neither leads "
                                "nor takes part in task %s",
                                r->member_id, t->task_id);
        goto done;
    }
    if (!str_empty(r->corrects_report_id)) {
        err = coord_store_report(st, t->task_id, r->corrects_report_id, &orig);
        if (err == -ENOENT) {
            rc = svc_fail(rep, NOT_FOUND, "report %s: not found",
                          r->corrects_report_id);
            goto done;
        }
        if (err < 0) {
            rc = coord_store_fail(rep, err, "report");
            goto done;
        }
        if (!str_empty(orig->corrected_by)) {
            rc = svc_fail(rep, CONFLICT, "report %s is already corrected by %s",
                          orig->report_id, orig->corrected_by);
            goto done;
        }
    }
    err = coord_store_report_add(st, r, c->now, c->causation_id);
    if (err == -EEXIST) {
        rc = svc_fail(rep, CONFLICT, "report %s already exists", r->report_id);
        goto done;
    }
    if (err < 0) {
        rc = coord_store_fail(rep, err, "report progress");
        goto done;
    }
    Cogov__V1__Event ev = COGOV__V1__EVENT__INIT;
    Cogov__V1__ProgressReported pr = COGOV__V1__PROGRESS_REPORTED__INIT;
    pr.task_id = t->task_id;
    pr.has_kind = true;
    pr.kind = t->kind;
    pr.lead_member_id = t->lead_member_id;
    pr.report_id = r->report_id;
    pr.member_id = r->member_id;
    pr.delivered = r->delivered;
    pr.corrects_report_id = r->corrects_report_id;
    pr.corrected = orig != NULL ? orig->delivered : NULL;
    ev.payload_case = COGOV__V1__EVENT__PAYLOAD_PROGRESS_REPORTED;
    ev.progress_reported = &pr;
    rc = emit(s, c, rep, &ev, "emit progress_reported");
    if (rc != OK)
        goto done;
    log_info("task.progress", "task=%s report=%s corrects=%s corr=%s",
             log_q(t->task_id), log_q(r->report_id),
             log_q(r->corrects_report_id ? r->corrects_report_id : ""),
             log_q(c->correlation_id));
    rc = reply_task(s, c, rep, t->task_id);
done:
    if (orig != NULL)
        protobuf_c_message_free_unpacked(&orig->base, NULL);
    protobuf_c_message_free_unpacked(&t->base, NULL);
    return rc;
}

HANDLER(coord_complete_milestone)
{
    const Cogov__V1__CompleteMilestone *m = req->complete_milestone;
    Cogov__V1__Task *t = NULL;
    const Cogov__V1__Milestone *ms = NULL;
    coord_rc rc;
    int err;

    CHECK(coord_id(rep, "complete_milestone.milestone_id", m->milestone_id));
    CHECK(coord_text(rep, "complete_milestone.note", m->note, NOTE_MAX_CHARS,
                     false));
    CHECK(load_task(s, c, rep, "complete_milestone.task_id", m->task_id, &t));
    if (!may_report(c->who, t->lead_member_id)) {
        rc = svc_fail(rep, DENIED,
                      "only the lead unit's representative or "
                      "a coordinator may complete milestones");
        goto done;
    }
    for (size_t i = 0; i < t->n_milestones; i++)
        if (strcmp(t->milestones[i]->milestone_id, m->milestone_id) == 0)
            ms = t->milestones[i];
    if (ms == NULL) {
        rc = svc_fail(rep, NOT_FOUND, "milestone %s of task %s: not found",
                      m->milestone_id, t->task_id);
        goto done;
    }
    if (!task_open(t->status)) {
        rc = svc_fail(rep, CONFLICT, "task %s is %s", t->task_id,
                      task_status_name(t->status));
        goto done;
    }
    err = coord_store_milestone_done(svc_store(s), t->task_id, m->milestone_id,
                                     c->now);
    if (err == -EEXIST) {
        rc = svc_fail(rep, CONFLICT, "milestone %s already completed",
                      m->milestone_id);
        goto done;
    }
    if (err < 0) {
        rc = coord_store_fail(rep, err, "complete milestone");
        goto done;
    }
    Cogov__V1__Event ev = COGOV__V1__EVENT__INIT;
    Cogov__V1__MilestoneCompleted mc = COGOV__V1__MILESTONE_COMPLETED__INIT;
    mc.task_id = t->task_id;
    mc.has_kind = mc.has_due_at = mc.has_on_time = true;
    mc.kind = t->kind;
    mc.lead_member_id = t->lead_member_id;
    mc.milestone_id = ms->milestone_id;
    mc.title = ms->title;
    mc.due_at = ms->due_at;
    mc.on_time = c->now < ms->due_at;
    ev.payload_case = COGOV__V1__EVENT__PAYLOAD_MILESTONE_COMPLETED;
    ev.milestone_completed = &mc;
    rc = emit(s, c, rep, &ev, "emit milestone_completed");
    if (rc != OK)
        goto done;
    log_info("task.milestone", "task=%s milestone=%s on_time=%d corr=%s",
             log_q(t->task_id), log_q(ms->milestone_id), mc.on_time,
             log_q(c->correlation_id));
    rc = reply_task(s, c, rep, t->task_id);
done:
    protobuf_c_message_free_unpacked(&t->base, NULL);
    return rc;
}

HANDLER(coord_get_task)
{
    CHECK(coord_id(rep, "get_task.task_id", req->get_task->task_id));
    return reply_task(s, c, rep, req->get_task->task_id);
}

HANDLER(coord_list_tasks)
{
    const Cogov__V1__ListTasks *l = req->list_tasks;
    int err = coord_store_tasks(
        svc_store(s), l->has_status ? l->status : TS(UNSPECIFIED),
        str_empty(l->member_id) ? NULL : l->member_id,
        l->has_overdue_only && l->overdue_only, c->now, &rep->task_list);
    if (err < 0)
        return coord_store_fail(rep, err, "tasks");
    rep->body_case = COGOV__V1__REPLY__BODY_TASK_LIST;
    return OK;
}

/* ---- pledges ---------------------------------------------------------- */

static void
pledge_event(Cogov__V1__Event *ev, Cogov__V1__PledgeEvent *pe,
             const Cogov__V1__Pledge *p, Cogov__V1__Event__PayloadCase which)
{
    pe->pledge_id = p->pledge_id;
    pe->task_id = p->task_id;
    pe->member_id = p->member_id;
    pe->has_kind = pe->has_amount_fen = pe->has_due_at = true;
    pe->kind = p->kind;
    pe->amount_fen = p->amount_fen;
    pe->due_at = p->due_at;
    pe->evidence = p->evidence;
    ev->payload_case = which;
    switch (which) {
    case COGOV__V1__EVENT__PAYLOAD_PLEDGE_MADE:
        ev->pledge_made = pe;
        break;
    case COGOV__V1__EVENT__PAYLOAD_PLEDGE_DELIVERED:
        pe->has_on_time = true;
        pe->on_time = p->settled_at <= p->due_at;
        ev->pledge_delivered = pe;
        break;
    default:
        pe->has_on_time = true;
        pe->on_time = false;
        ev->pledge_missed = pe;
        break;
    }
}

static coord_rc
reply_pledge(svc_t *s, Cogov__V1__Reply *rep, const char *id)
{
    int err = coord_store_pledge(svc_store(s), id, &rep->pledge);
    if (err == -ENOENT)
        return svc_fail(rep, NOT_FOUND, "pledge %s: not found", id);
    if (err < 0)
        return coord_store_fail(rep, err, "pledge");
    rep->body_case = COGOV__V1__REPLY__BODY_PLEDGE;
    return OK;
}

HANDLER(coord_make_pledge)
{
    const Cogov__V1__MakePledge *p = req->make_pledge;
    Cogov__V1__Task *t = NULL;
    int64_t due;
    coord_rc rc;
    int err;

    CHECK(coord_id(rep, "make_pledge.pledge_id", p->pledge_id));
    if (!p->has_kind ||
        p->kind <= COGOV__V1__PLEDGE_KIND__PLEDGE_KIND_UNSPECIFIED)
        return svc_fail(rep, INVALID, "make_pledge.kind: required");
    CHECK(coord_quantity(rep, "make_pledge.amount_fen", p->amount_fen));
    if (p->kind == COGOV__V1__PLEDGE_KIND__PLEDGE_KIND_FUNDS &&
        p->amount_fen <= 0)
        return svc_fail(rep, INVALID,
                        "make_pledge.amount_fen: a pledge of funds needs an "
                        "amount > 0");
    CHECK(coord_text(rep, "make_pledge.description", p->description,
                     NOTE_MAX_CHARS,
                     p->kind != COGOV__V1__PLEDGE_KIND__PLEDGE_KIND_FUNDS));
    CHECK(coord_date(s, rep, "make_pledge.due_on", p->due_on, &due));
    if (!may_report(c->who, p->member_id ? p->member_id : ""))
        return svc_fail(rep, DENIED,
                        "a member representative pledges for "
                        "its own unit only");
    CHECK(coord_admitted(s, rep, "make_pledge.member_id", p->member_id));
    CHECK(load_task(s, c, rep, "make_pledge.task_id", p->task_id, &t));
    if (t->status == TS(COMPLETED) || t->status == TS(CANCELLED)) {
        rc = svc_fail(rep, CONFLICT, "task %s is %s", t->task_id,
                      task_status_name(t->status));
        goto done;
    }
    err = coord_store_pledge_add(svc_store(s), p, due);
    if (err == -EEXIST) {
        rc = svc_fail(rep, CONFLICT, "pledge %s already exists", p->pledge_id);
        goto done;
    }
    if (err < 0) {
        rc = coord_store_fail(rep, err, "make pledge");
        goto done;
    }
    rc = reply_pledge(s, rep, p->pledge_id);
    if (rc != OK)
        goto done;
    Cogov__V1__Event ev = COGOV__V1__EVENT__INIT;
    Cogov__V1__PledgeEvent pe = COGOV__V1__PLEDGE_EVENT__INIT;
    pledge_event(&ev, &pe, rep->pledge, COGOV__V1__EVENT__PAYLOAD_PLEDGE_MADE);
    rc = emit(s, c, rep, &ev, "emit pledge_made");
    if (rc == OK)
        log_info("pledge.made", "pledge=%s task=%s member=%s corr=%s",
                 log_q(p->pledge_id), log_q(p->task_id), p->member_id,
                 log_q(c->correlation_id));
done:
    protobuf_c_message_free_unpacked(&t->base, NULL);
    return rc;
}

HANDLER(coord_deliver_pledge)
{
    const Cogov__V1__DeliverPledge *d = req->deliver_pledge;
    int err;

    CHECK(coord_id(rep, "deliver_pledge.pledge_id", d->pledge_id));
    CHECK(coord_text(rep, "deliver_pledge.evidence", d->evidence,
                     NOTE_MAX_CHARS, true));
    CHECK(reply_pledge(s, rep, d->pledge_id));
    err = coord_store_pledge_settle(svc_store(s), d->pledge_id, PS(DELIVERED),
                                    d->evidence, c->now);
    if (err == -EEXIST)
        return svc_fail(rep, CONFLICT, "pledge %s is already settled",
                        d->pledge_id);
    if (err < 0)
        return coord_store_fail(rep, err, "deliver pledge");
    protobuf_c_message_free_unpacked(&rep->pledge->base, NULL);
    rep->pledge = NULL;
    CHECK(reply_pledge(s, rep, d->pledge_id));
    Cogov__V1__Event ev = COGOV__V1__EVENT__INIT;
    Cogov__V1__PledgeEvent pe = COGOV__V1__PLEDGE_EVENT__INIT;
    pledge_event(&ev, &pe, rep->pledge,
                 COGOV__V1__EVENT__PAYLOAD_PLEDGE_DELIVERED);
    CHECK(emit(s, c, rep, &ev, "emit pledge_delivered"));
    log_info("pledge.delivered", "pledge=%s on_time=%d corr=%s",
             log_q(d->pledge_id), pe.on_time, log_q(c->correlation_id));
    return OK;
}

HANDLER(coord_list_pledges)
{
    const Cogov__V1__ListPledges *l = req->list_pledges;
    int err = coord_store_pledges(
        svc_store(s), str_empty(l->task_id) ? NULL : l->task_id,
        str_empty(l->member_id) ? NULL : l->member_id,
        l->has_status ? l->status : PS(UNSPECIFIED), &rep->pledge_list);
    if (err < 0)
        return coord_store_fail(rep, err, "pledges");
    rep->body_case = COGOV__V1__REPLY__BODY_PLEDGE_LIST;
    return OK;
}

/* ---- deadlines on a tick ---------------------------------------------- */

int
coord_deadlines(svc_t *s, const svc_ctx_t *c, int64_t tick)
{
    store_t *st = svc_store(s);
    coord_due_t *due = NULL;
    size_t n = 0;
    int err = coord_store_due_milestones(st, tick, &due, &n);

    for (size_t i = 0; err == 0 && i < n; i++) {
        Cogov__V1__Task *t = NULL;
        if (!milestone_overdue_now(due[i].due_at, due[i].completed_at,
                                   due[i].raised, tick))
            continue;
        err = coord_store_task(st, due[i].task_id, false, tick, &t);
        if (err < 0)
            break;
        err = coord_store_milestone_raised(st, due[i].task_id,
                                           due[i].milestone_id);
        if (err == 0) {
            Cogov__V1__Event ev = COGOV__V1__EVENT__INIT;
            Cogov__V1__MilestoneOverdue mo = COGOV__V1__MILESTONE_OVERDUE__INIT;
            mo.task_id = t->task_id;
            mo.has_kind = mo.has_due_at = mo.has_tick = true;
            mo.kind = t->kind;
            mo.lead_member_id = t->lead_member_id;
            mo.milestone_id = due[i].milestone_id;
            mo.title = due[i].title;
            mo.due_at = due[i].due_at;
            mo.tick = tick;
            ev.payload_case = COGOV__V1__EVENT__PAYLOAD_MILESTONE_OVERDUE;
            ev.milestone_overdue = &mo;
            ev.has_occurred_at = true;
            ev.occurred_at = tick;
            err = svc_emit(s, c, &ev);
            if (err == 0)
                log_info("task.milestone_overdue",
                         "task=%s milestone=%s lead=%s corr=%s",
                         log_q(t->task_id), log_q(due[i].milestone_id),
                         t->lead_member_id, log_q(c->correlation_id));
        }
        protobuf_c_message_free_unpacked(&t->base, NULL);
    }
    coord_due_free(due, n);
    if (err < 0)
        return err;

    err = coord_store_due_pledges(st, tick, &due, &n);
    for (size_t i = 0; err == 0 && i < n; i++) {
        Cogov__V1__Pledge *p = NULL;
        err = coord_store_pledge(st, due[i].milestone_id, &p);
        if (err < 0)
            break;
        if (pledge_missed_now(p->status, p->due_at, tick)) {
            err = coord_store_pledge_settle(st, p->pledge_id, PS(MISSED), NULL,
                                            tick);
            if (err == 0) {
                Cogov__V1__Event ev = COGOV__V1__EVENT__INIT;
                Cogov__V1__PledgeEvent pe = COGOV__V1__PLEDGE_EVENT__INIT;
                pledge_event(&ev, &pe, p,
                             COGOV__V1__EVENT__PAYLOAD_PLEDGE_MISSED);
                ev.has_occurred_at = true;
                ev.occurred_at = tick;
                err = svc_emit(s, c, &ev);
                if (err == 0)
                    log_info("pledge.missed", "pledge=%s member=%s corr=%s",
                             log_q(p->pledge_id), p->member_id,
                             log_q(c->correlation_id));
            }
        }
        protobuf_c_message_free_unpacked(&p->base, NULL);
    }
    coord_due_free(due, n);
    return err;
}

/* ---- a unit's dossier --------------------------------------------------- */

HANDLER(coord_get_dossier)
{
    const char *id = req->get_dossier->member_id;
    store_t *st = svc_store(s);
    Cogov__V1__Dossier *d;
    Cogov__V1__Council *co = NULL;
    Cogov__V1__TaskList *tl = NULL;
    Cogov__V1__PledgeList *pl = NULL;
    Cogov__V1__EscalationList *el = NULL;
    int err;

    CHECK(coord_id(rep, "get_dossier.member_id", id));
    if (coord_own_unit_only(c->who) && strcmp(c->who->member_id, id) != 0)
        return svc_fail(rep, DENIED,
                        "a member representative may only look "
                        "up its own unit");
    d = xmalloc(sizeof *d);
    cogov__v1__dossier__init(d);
    rep->body_case = COGOV__V1__REPLY__BODY_DOSSIER;
    rep->dossier = d;
    err = coord_store_member(st, id, false, &d->member);
    if (err == -ENOENT)
        return svc_fail(rep, NOT_FOUND, "member %s: not found", id);
    if (err == 0)
        err = coord_store_council(st, id, &co);
    if (err == 0)
        err = coord_store_tasks(st, TS(UNSPECIFIED), id, false, c->now, &tl);
    if (err == 0)
        err = coord_store_pledges(st, NULL, id, PS(UNSPECIFIED), &pl);
    if (err == 0)
        err = coord_store_escalations(
            st, COGOV__V1__ESCALATION_STATUS__ESCALATION_STATUS_UNSPECIFIED, id,
            &el);
    if (err == 0) {
        /* move the lists over, then free the empty shells */
        d->seats = co->seats, d->n_seats = co->n_seats;
        co->seats = NULL, co->n_seats = 0;
        for (size_t i = 0; i < co->n_committees; i++) {
            d->committees =
                xrealloc(d->committees, (d->n_committees + 1) * sizeof(char *));
            d->committees[d->n_committees++] =
                xstrdup(co->committees[i]->committee_id);
        }
        d->tasks = tl->tasks, d->n_tasks = tl->n_tasks;
        tl->tasks = NULL, tl->n_tasks = 0;
        d->pledges = pl->pledges, d->n_pledges = pl->n_pledges;
        pl->pledges = NULL, pl->n_pledges = 0;
        d->escalations = el->escalations, d->n_escalations = el->n_escalations;
        el->escalations = NULL, el->n_escalations = 0;
    }
    if (co)
        protobuf_c_message_free_unpacked(&co->base, NULL);
    if (tl)
        protobuf_c_message_free_unpacked(&tl->base, NULL);
    if (pl)
        protobuf_c_message_free_unpacked(&pl->base, NULL);
    if (el)
        protobuf_c_message_free_unpacked(&el->base, NULL);
    return err < 0 ? coord_store_fail(rep, err, "dossier") : OK;
}

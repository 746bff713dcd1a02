/* review: the follow-up of resolutions (DESIGN 1.5). The secretariat keeps
 * coordination's tasks as their events announce them (task_created with the
 * resolution and action item it came from, task_status_changed,
 * task_completed) and, on the first calendar tick at or after a
 * resolution's review_on, publishes one review notice ("review:<resolution>")
 * to the council and the items' owner units stating which action items are
 * done, in progress, not started or cancelled (follow_up_of in tally.h),
 * and emits resolution_reviewed; once per resolution. The same events are
 * the briefing's tasks started and completed. */
#include "secretariat.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "sec_store.h"
#include "tally.h"
#include "util.h"

#define TS(x) COGOV__V1__TASK_STATUS__TASK_STATUS_##x
#define FU(x) COGOV__V1__FOLLOW_UP__FOLLOW_UP_##x
#define MS(x) COGOV__V1__MOTION_STATUS__MOTION_STATUS_##x

int
sec_review_task_event(svc_t *s, const svc_ctx_t *c, const Cogov__V1__Event *ev)
{
    store_t *st = svc_store(s);
    char *title = NULL, *lead = NULL;
    int err;

    switch (ev->payload_case) {
    case COGOV__V1__EVENT__PAYLOAD_TASK_CREATED: {
        const Cogov__V1__TaskCreated *t = ev->task_created;
        if (str_empty(t->task_id)) {
            svc_react_error(s, "task_created: task_id missing");
            return SVC_REACT_REJECT;
        }
        return sec_store_task_put(st, t->task_id, t->title, t->lead_member_id,
                                  t->resolution_id, t->action_item_id,
                                  TS(PROPOSED));
    }
    case COGOV__V1__EVENT__PAYLOAD_TASK_STATUS_CHANGED: {
        const Cogov__V1__TaskStatusChanged *t = ev->task_status_changed;
        if (str_empty(t->task_id) || !t->has_to) {
            svc_react_error(s, "task_status_changed: task_id and to required");
            return SVC_REACT_REJECT;
        }
        err = sec_store_task_status(st, t->task_id, (int)t->to);
        if (err < 0 || t->to != TS(IN_PROGRESS))
            return err;
        /* A task started: a line of the briefing. */
        err = sec_store_task(st, t->task_id, &title, NULL, NULL);
        if (err == -ENOENT)
            err = 0;
        if (err == 0)
            err = sec_store_digest_add(st, "task_started", t->task_id,
                                       t->lead_member_id, title, c->now, "");
        free(title);
        return err;
    }
    case COGOV__V1__EVENT__PAYLOAD_TASK_COMPLETED: {
        const Cogov__V1__TaskCompleted *t = ev->task_completed;
        char *detail = NULL;
        if (str_empty(t->task_id)) {
            svc_react_error(s, "task_completed: task_id missing");
            return SVC_REACT_REJECT;
        }
        err = sec_store_task_status(st, t->task_id, TS(COMPLETED));
        if (err == 0)
            err = sec_store_task(st, t->task_id, &title, &lead, NULL);
        if (err == -ENOENT)
            err = 0;
        if (t->has_planned_quantity && t->planned_quantity > 0)
            detail = xasprintf("计划 %lld%s", (long long)t->planned_quantity,
                               t->quantity_unit ? t->quantity_unit : "");
        if (err == 0)
            err = sec_store_digest_add(st, "task_completed", t->task_id,
                                       t->lead_member_id, title, c->now,
                                       detail ? detail : "");
        free(detail);
        free(title);
        free(lead);
        return err;
    }
    default:
        return 0;
    }
}

static const char *
follow_up_text(Cogov__V1__FollowUp f)
{
    switch (f) {
    case FU(DONE):
        return "已完成";
    case FU(IN_PROGRESS):
        return "进行中";
    case FU(CANCELLED):
        return "已取消";
    default:
        return "未启动";
    }
}

static void
add_unique(char ***v, size_t *n, const char *id)
{
    if (str_empty(id))
        return;
    for (size_t i = 0; i < *n; i++)
        if (strcmp((*v)[i], id) == 0)
            return;
    *v = xrealloc(*v, (*n + 1) * sizeof **v);
    (*v)[(*n)++] = xstrdup(id);
}

/* Review one adopted motion: the items' states, the notice, the event. */
static int
review(svc_t *s, const svc_ctx_t *c, const Cogov__V1__Motion *m)
{
    store_t *st = svc_store(s);
    Cogov__V1__ResolutionReviewed rr = COGOV__V1__RESOLUTION_REVIEWED__INIT;
    Cogov__V1__ActionItemFollowUp *items = NULL;
    char **to = NULL;
    size_t n_to = 0;
    char *notice_id = xasprintf("review:%s", m->resolution_id);
    char *body = NULL, *title = NULL;
    size_t done = 0;
    int err = sec_store_seats(st, &to, &n_to);

    if (m->n_action_items > 0)
        items = xcalloc(m->n_action_items, sizeof *items);
    rr.items = xcalloc(m->n_action_items + 1, sizeof *rr.items);
    body = xasprintf("决议《%s》（编号 %s）于 %s 到期复查，各项行动事项落实"
                     "情况如下：\n",
                     m->title, m->resolution_id, m->review_on);
    for (size_t i = 0; err == 0 && i < m->n_action_items; i++) {
        const Cogov__V1__ActionItem *a = m->action_items[i];
        Cogov__V1__ActionItemFollowUp *f = &items[i];
        char *task = NULL;
        int status = 0;
        char *line;

        cogov__v1__action_item_follow_up__init(f);
        err = sec_store_task_for_item(st, m->resolution_id, a->item_id, &task,
                                      &status);
        if (err < 0 && err != -ENOENT)
            break;
        f->item_id = a->item_id;
        f->title = a->title;
        f->owner_member_id = a->owner_member_id;
        f->due_on = a->due_on;
        f->task_id = task ? task : xstrdup("");
        f->has_state = true;
        f->state = follow_up_of(err == 0, (Cogov__V1__TaskStatus)status);
        err = 0;
        done += f->state == FU(DONE);
        rr.items[rr.n_items++] = f;
        line = xasprintf("%s- %s（%s，责任单位 %s，期限 %s）：%s\n", body,
                         a->title ? a->title : "", a->item_id,
                         a->owner_member_id ? a->owner_member_id : "",
                         a->due_on ? a->due_on : "", follow_up_text(f->state));
        free(body);
        body = line;
        add_unique(&to, &n_to, a->owner_member_id);
    }
    if (err < 0)
        goto done;
    if (m->n_action_items == 0) {
        char *line = xasprintf("%s（本决议无行动事项。）\n", body);
        free(body);
        body = line;
    }
    if (n_to == 0)
        err = sec_store_admitted(st, 0, &to, &n_to);
    if (err < 0)
        goto done;
    title = xasprintf("决议落实情况复查：%s（%zu/%zu 项已完成）", m->title,
                      done, m->n_action_items);
    err = sec_publish_notice(s, c, notice_id,
                             COGOV__V1__NOTICE_KIND__NOTICE_KIND_REVIEW, title,
                             body, to, n_to);
    if (err == 0) {
        Cogov__V1__Event ev = COGOV__V1__EVENT__INIT;
        rr.resolution_id = m->resolution_id;
        rr.motion_id = m->motion_id;
        rr.review_on = m->review_on;
        rr.notice_id = notice_id;
        ev.payload_case = COGOV__V1__EVENT__PAYLOAD_RESOLUTION_REVIEWED;
        ev.resolution_reviewed = &rr;
        err = svc_emit(s, c, &ev);
    }
    if (err == 0)
        log_info("resolution.reviewed",
                 "resolution=%s items=%zu done=%zu "
                 "corr=%s",
                 log_q(m->resolution_id), m->n_action_items, done,
                 log_q(c->correlation_id));
done:
    for (size_t i = 0; i < rr.n_items; i++)
        free(rr.items[i]->task_id);
    free(rr.items);
    free(items);
    free(title);
    free(body);
    free(notice_id);
    sec_strv_free(to, n_to);
    return err;
}

int
sec_review_tick(svc_t *s, const sec_app_t *a, const svc_ctx_t *c, int64_t now)
{
    Cogov__V1__Motion **v = NULL;
    size_t n = 0;
    char day[16];
    int err;

    if (a == NULL)
        return 0;
    date_of(now, a->cfg->utc_offset_s, day, sizeof day);
    err = sec_store_objs(svc_store(s), "motion", MS(ADOPTED), 0, 0, 0,
                         &cogov__v1__motion__descriptor,
                         (ProtobufCMessage ***)&v, &n);
    for (size_t i = 0; err == 0 && i < n; i++) {
        const Cogov__V1__Motion *m = v[i];
        char *key;
        if (str_empty(m->review_on) || str_empty(m->resolution_id) ||
            strcmp(m->review_on, day) > 0)
            continue;
        key = xasprintf("review:%s", m->resolution_id);
        err = sec_store_once(svc_store(s), key);
        free(key);
        if (err == 1)
            err = review(s, c, m);
    }
    for (size_t i = 0; i < n; i++)
        protobuf_c_message_free_unpacked(&v[i]->base, NULL);
    free(v);
    return err < 0 ? err : 0;
}

/* awards: turn events into awards by the policies in force, move awards
 * through their lifecycle, keep each pool's accounting and its queue
 * (DESIGN 1.3, 1.6, 2.3). Amounts and transitions are the pure functions
 * of policy.c, pool_acct.c and award_rules.c; SQL is in inc_store.c. */
#include "incentives.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inc_store.h"
#include "log.h"
#include "policy.h"
#include "pool_acct.h"
#include "util.h"

#define MS(x) COGOV__V1__MEMBER_STATUS__MEMBER_STATUS_##x
#define AK(x) COGOV__V1__AWARD_KIND__AWARD_KIND_##x
#define PAY(x) COGOV__V1__EVENT__PAYLOAD_##x

static void
award_free(Cogov__V1__Award *a)
{
    if (a)
        protobuf_c_message_free_unpacked(&a->base, NULL);
}

static int
year_of(const inc_app_t *a, int64_t t)
{
    char buf[32];
    time_format(t, (int)a->cfg->utc_offset_s, buf, sizeof buf);
    return atoi(buf);
}

static void
date_of(const inc_app_t *a, int64_t t, char out[11])
{
    char buf[32];
    time_format(t, (int)a->cfg->utc_offset_s, buf, sizeof buf);
    snprintf(out, 11, "%s", buf);
}

static int
emit_award(svc_t *s, const svc_ctx_t *c, Cogov__V1__Event__PayloadCase pc,
           Cogov__V1__Award *aw, Cogov__V1__AwardStatus from)
{
    Cogov__V1__Event ev = COGOV__V1__EVENT__INIT;
    Cogov__V1__AwardEvent ae = COGOV__V1__AWARD_EVENT__INIT;

    ae.award = aw;
    if (from) {
        ae.has_from = true;
        ae.from = from;
    }
    ev.payload_case = pc;
    ev.award_proposed = &ae; /* every award case shares the AwardEvent type */
    return svc_emit(s, c, &ev);
}

static int
emit_alert(svc_t *s, const svc_ctx_t *c, Cogov__V1__Event__PayloadCase pc,
           const char *pool_id, const pool_acct_t *p, int64_t queued)
{
    Cogov__V1__Event ev = COGOV__V1__EVENT__INIT;
    Cogov__V1__PoolAlert al = COGOV__V1__POOL_ALERT__INIT;

    al.pool_id = (char *)pool_id;
    al.has_budget_fen = al.has_available_fen = al.has_queued_fen = true;
    al.budget_fen = p->budget;
    al.available_fen = pool_available(p);
    al.queued_fen = queued;
    ev.payload_case = pc;
    ev.pool_low = &al;
    log_notice(pc == PAY(POOL_LOW) ? "pool.low" : "pool.exhausted",
               "pool=%s budget=%" PRId64 " available=%" PRId64 " corr=%s",
               log_q(pool_id), p->budget, pool_available(p),
               log_q(c->correlation_id));
    return svc_emit(s, c, &ev);
}

/* Facts of one source event that a rule may pay for. */
typedef struct facts {
    const Cogov__V1__Event *ev;
    const char *member_id;
    int task_kind;
    const char *task_id;
    const char *report_id; /* root of the correction chain */
    const char *corrects;  /* the report corrected, if a correction */
    const Cogov__V1__Delivered *delivered;
    int grade;             /* evaluation */
    const char *id_suffix; /* per member when one event pays many */
} facts_t;

static int64_t
measured(const Cogov__V1__Delivered *d, measure_t m)
{
    if (d == NULL)
        return 0;
    switch (m) {
    case MEASURE_STUDENTS:
        return d->students_enrolled;
    case MEASURE_INTERN_MONTHS:
        return d->interns_hosted;
    case MEASURE_TRAINING_HOURS:
        return d->training_hours;
    case MEASURE_QUANTITY:
        return d->quantity;
    default:
        return 0;
    }
}

/* The standing of a unit for awards: 1 proposable, 2 held, 0 none. */
static int
standing(store_t *st, const policy_t *p, const char *member_id, int *err)
{
    int type = 0, status = 0, rect = 0;

    *err = inc_store_member(st, member_id, &type, &status, &rect);
    if (*err == -ENOENT) {
        *err = 0;
        return 0;
    }
    if (*err < 0 || !policy_eligible_type(p, type))
        return 0;
    if (status == MS(SUSPENDED) || (status == MS(ADMITTED) && rect > 0))
        return 2;
    return status == MS(ADMITTED) ? 1 : 0;
}

/* Sum of the non-rejected entries of (policy, rule) for a report chain. */
static int
chain_sum(store_t *st, const char *report_id, const char *policy_id,
          const char *rule_id, int64_t *sum, bool *disbursed, char **first)
{
    Cogov__V1__AwardList *l = NULL;
    int err = inc_store_awards(st, NULL, NULL, 0, report_id, &l);

    *sum = 0;
    *disbursed = false;
    *first = NULL;
    for (size_t i = 0; err == 0 && i < l->n_awards; i++) {
        const Cogov__V1__Award *w = l->awards[i];
        if (strcmp(w->policy_id, policy_id) || strcmp(w->rule_id, rule_id))
            continue;
        if (w->kind == AK(ENTITLEMENT) && *first == NULL)
            *first = xstrdup(w->award_id);
        if (w->status == AS(REJECTED))
            continue;
        *sum += w->amount_fen;
        if (w->status == AS(DISBURSED))
            *disbursed = true;
    }
    if (l)
        protobuf_c_message_free_unpacked(&l->base, NULL);
    return err;
}

/* Propose (or hold) the award of one rule for one source event. */
static int
propose(svc_t *s, inc_app_t *a, const svc_ctx_t *c, const policy_t *p,
        const pol_rule_t *r, const facts_t *f)
{
    store_t *st = svc_store(s);
    const Cogov__V1__Event *ev = f->ev;
    Cogov__V1__Award aw = COGOV__V1__AWARD__INIT, *old = NULL;
    char id[160], src[64], cap[128] = "", expl[768], basis[256];
    int64_t raw = 0, qty = 0, amount, member_used = 0, pool_used = 0;
    int64_t prior = 0;
    bool prior_paid = false;
    char *first = NULL;
    int year = year_of(a, ev->occurred_at), err, stand;

    snprintf(src, sizeof src, "%s:%" PRIu64, ev->producer, ev->seq);
    snprintf(id, sizeof id, "%s:%s@%s%s%s", p->id, r->id, src,
             f->id_suffix ? "/" : "", f->id_suffix ? f->id_suffix : "");
    err = inc_store_award(st, id, &old);
    if (err == 0) { /* computed before: a replay */
        award_free(old);
        return 0;
    }
    if (err != -ENOENT)
        return err;
    stand = standing(st, p, f->member_id, &err);
    if (err < 0 || stand == 0)
        return err;
    switch (r->kind) {
    case RULE_RATE:
        qty = measured(f->delivered, r->measure);
        raw = policy_rate_fen(qty, r->fen, r->per);
        snprintf(basis, sizeof basis,
                 "rate %" PRId64 " fen per %" PRId64 " %s x %" PRId64
                 " = %" PRId64 " fen (rounded half up to the fen)",
                 r->fen, r->per, measure_name(r->measure), qty, raw);
        break;
    case RULE_LUMP:
        raw = r->fen;
        snprintf(basis, sizeof basis,
                 "lump sum %" PRId64 " fen per completed "
                 "task",
                 raw);
        break;
    case RULE_GRADE:
        raw = r->fen;
        snprintf(basis, sizeof basis, "grade %s %" PRId64 " fen",
                 raw >= 0 ? "bonus" : "penalty", raw);
        break;
    }
    if (f->corrects) {
        err = chain_sum(st, f->report_id, p->id, r->id, &prior, &prior_paid,
                        &first);
        if (err < 0)
            goto done;
    }
    if ((err = inc_store_award_sum(st, p->id, f->member_id, year,
                                   &member_used)) < 0 ||
        (err = inc_store_award_sum(st, p->id, NULL, 0, &pool_used)) < 0)
        goto done;
    /* a correction re-caps the chain's total without counting the old one */
    amount = policy_cap(p, raw, member_used - prior, pool_used - prior, cap,
                        sizeof cap) -
             prior;
    if (amount == 0)
        goto done; /* nothing owed (cap reached, or a correction that
                      changes nothing) */
    aw.award_id = id;
    aw.has_kind = true;
    aw.kind = !f->corrects                 ? AK(ENTITLEMENT)
              : (amount < 0 && prior_paid) ? AK(CLAWBACK)
                                           : AK(ADJUSTMENT);
    aw.has_status = true;
    aw.status = stand == 2 ? AS(HELD) : AS(PROPOSED);
    aw.member_id = (char *)f->member_id;
    aw.pool_id = (char *)p->pool_id;
    aw.has_amount_fen = true;
    aw.amount_fen = amount;
    aw.policy_id = (char *)p->id;
    aw.has_policy_version = true;
    aw.policy_version = p->version;
    aw.rule_id = (char *)r->id;
    aw.source_event = src;
    aw.source_type = (char *)svc_event_type(ev);
    aw.task_id = (char *)(f->task_id ? f->task_id : "");
    aw.report_id = (char *)(f->report_id ? f->report_id : "");
    aw.has_quantity = r->kind == RULE_RATE;
    aw.quantity = qty;
    aw.has_raw_fen = true;
    aw.raw_fen = raw;
    aw.cap_applied = cap;
    aw.corrects_award_id = first ? first : (char *)"";
    aw.has_occurred_at = true;
    aw.occurred_at = ev->occurred_at;
    snprintf(expl, sizeof expl,
             "policy %s version %u (effective %s, pool %s), rule %s: %s; "
             "source %s %s%s%s%s%s, member %s%s%s%s; amount %" PRId64 " fen",
             p->id, p->version, p->effective_on, p->pool_id, r->id, basis, src,
             aw.source_type, f->task_id ? " task " : "",
             f->task_id ? f->task_id : "",
             f->report_id && f->report_id[0] ? " report " : "",
             f->report_id ? f->report_id : "", f->member_id,
             cap[0] ? "; cap applied: " : "", cap,
             f->corrects ? "; corrects the chain's earlier entries" : "",
             amount);
    aw.explanation = expl;
    if ((err = inc_store_award_put(st, &aw, year)) < 0)
        goto done;
    err = emit_award(s, c,
                     aw.kind == AK(CLAWBACK) ? PAY(AWARD_CLAWBACK)
                                             : PAY(AWARD_PROPOSED),
                     &aw, AS(UNSPECIFIED));
    if (err == 0 && aw.status == AS(HELD))
        err = emit_award(s, c, PAY(AWARD_HELD), &aw, AS(PROPOSED));
    if (err == 0)
        log_info("award.proposed",
                 "award=%s member=%s amount=%" PRId64 " status=%s corr=%s",
                 log_q(id), log_q(f->member_id), amount,
                 award_status_name(aw.status), log_q(c->correlation_id));
done:
    free(first);
    return err;
}

typedef bool (*rule_filter_fn)(const pol_rule_t *r, const facts_t *f);

/* Every rule of every policy in force on the event's date that the filter
 * accepts. A stored policy that no longer parses is a bug: dead letter. */
static int
apply_policies(svc_t *s, inc_app_t *a, const svc_ctx_t *c, const facts_t *f,
               rule_filter_fn keep)
{
    char date[11], **texts = NULL, perr[256];
    size_t n = 0;
    policy_t *p = xmalloc(sizeof *p);
    int err;

    date_of(a, f->ev->occurred_at, date);
    err = inc_store_policies_on(svc_store(s), date, &texts, &n);
    for (size_t i = 0; err == 0 && i < n; i++) {
        if (policy_parse(texts[i], "stored", p, perr, sizeof perr) < 0) {
            svc_react_error(s, "stored policy does not parse: %s", perr);
            err = SVC_REACT_REJECT;
            break;
        }
        for (size_t j = 0; err == 0 && j < p->n_rules; j++)
            if (keep(&p->rules[j], f))
                err = propose(s, a, c, p, &p->rules[j], f);
    }
    inc_strv_free(texts, n);
    free(p);
    return err;
}

static bool
keep_rate(const pol_rule_t *r, const facts_t *f)
{
    return r->kind == RULE_RATE && policy_rule_matches_kind(r, f->task_kind);
}

static bool
keep_lump(const pol_rule_t *r, const facts_t *f)
{
    return r->kind == RULE_LUMP && policy_rule_matches_kind(r, f->task_kind);
}

static bool
keep_grade(const pol_rule_t *r, const facts_t *f)
{
    return r->kind == RULE_GRADE && r->grade == f->grade;
}

int
inc_awards_progress(svc_t *s, inc_app_t *a, const svc_ctx_t *c,
                    const Cogov__V1__Event *ev)
{
    const Cogov__V1__ProgressReported *pr = ev->progress_reported;
    store_t *st = svc_store(s);
    char *root = NULL;
    facts_t f = {0};
    int err;

    if (str_empty(pr->report_id) || str_empty(pr->member_id)) {
        svc_react_error(s, "progress_reported: report_id and member_id "
                           "required");
        return SVC_REACT_REJECT;
    }
    if (!str_empty(pr->corrects_report_id)) {
        err = inc_store_report_root(st, pr->corrects_report_id, &root);
        if (err == -ENOENT)
            root = xstrdup(pr->corrects_report_id);
        else if (err < 0)
            return err;
    } else {
        root = xstrdup(pr->report_id);
    }
    err = inc_store_report_root_put(st, pr->report_id, root);
    f.ev = ev;
    f.member_id = pr->member_id;
    f.task_kind = pr->kind;
    f.task_id = pr->task_id;
    f.report_id = root;
    f.corrects =
        str_empty(pr->corrects_report_id) ? NULL : pr->corrects_report_id;
    f.delivered = pr->delivered;
    if (err == 0)
        err = apply_policies(s, a, c, &f, keep_rate);
    free(root);
    return err;
}

int
inc_awards_completed(svc_t *s, inc_app_t *a, const svc_ctx_t *c,
                     const Cogov__V1__Event *ev)
{
    const Cogov__V1__TaskCompleted *tc = ev->task_completed;
    facts_t f = {0};

    if (str_empty(tc->lead_member_id))
        return 0; /* nobody to pay */
    f.ev = ev;
    f.member_id = tc->lead_member_id;
    f.task_kind = tc->kind;
    f.task_id = tc->task_id;
    return apply_policies(s, a, c, &f, keep_lump);
}

int
inc_awards_evaluation(svc_t *s, inc_app_t *a, const svc_ctx_t *c,
                      const Cogov__V1__Event *ev)
{
    const Cogov__V1__EvaluationPublished *ep = ev->evaluation_published;
    int err = 0;

    for (size_t i = 0; err == 0 && i < ep->n_results; i++) {
        const Cogov__V1__MemberResult *r = ep->results[i];
        facts_t f = {0};
        if (str_empty(r->member_id) || !r->has_grade)
            continue;
        f.ev = ev;
        f.member_id = r->member_id;
        f.grade = r->grade;
        f.id_suffix = r->member_id;
        f.task_id = ep->round_id;
        err = apply_policies(s, a, c, &f, keep_grade);
    }
    return err;
}

int
inc_awards_standing(svc_t *s, inc_app_t *a, const svc_ctx_t *c,
                    const char *member_id)
{
    store_t *st = svc_store(s);
    Cogov__V1__AwardList *l = NULL;
    int type = 0, status = 0, rect = 0, err;
    bool good, hold;
    uint32_t which;

    err = inc_store_member(st, member_id, &type, &status, &rect);
    if (err == -ENOENT)
        return 0;
    if (err < 0)
        return err;
    good = status == MS(ADMITTED) && rect == 0;
    hold = status == MS(SUSPENDED) || (status == MS(ADMITTED) && rect > 0);
    if (!good && !hold)
        return 0; /* exited or expelled: pending awards wait for finance */
    which = good ? 1u << AS(HELD) : (1u << AS(PROPOSED)) | (1u << AS(QUEUED));
    err = inc_store_awards_of(st, member_id, which, &l);
    for (size_t i = 0; err == 0 && i < l->n_awards; i++) {
        Cogov__V1__Award *w = l->awards[i];
        Cogov__V1__AwardStatus from = w->status;
        w->status = award_next(from, good ? AWARD_RELEASE : AWARD_HOLD,
                               w->reviewed, false, NULL);
        if (w->status == AS(UNSPECIFIED))
            continue;
        w->reviewed = false; /* a released award is reviewed again */
        w->has_reviewed = true;
        err = inc_store_award_put(st, w, year_of(a, w->occurred_at));
        if (err == 0)
            err = emit_award(s, c, good ? PAY(AWARD_RELEASED) : PAY(AWARD_HELD),
                             w, from);
        if (err == 0)
            log_info(good ? "award.released" : "award.held",
                     "award=%s member=%s corr=%s", log_q(w->award_id),
                     log_q(member_id), log_q(c->correlation_id));
    }
    if (l)
        protobuf_c_message_free_unpacked(&l->base, NULL);
    return err;
}

int
inc_pool_settle(svc_t *s, inc_app_t *a, const svc_ctx_t *c, const char *pool_id)
{
    store_t *st = svc_store(s);
    Cogov__V1__AwardList *q = NULL;
    pool_acct_t p;
    int64_t queued = 0;
    int low = 0, exhausted = 0, err;
    size_t i;

    if ((err = inc_store_pool_acct(st, pool_id, &p)) < 0)
        return err;
    if ((err = inc_store_queue(st, pool_id, &q)) < 0)
        goto done;
    /* head of line: fund in order, stop at the first that does not fit */
    for (i = 0; i < q->n_awards; i++) {
        Cogov__V1__Award *w = q->awards[i];
        if (pool_approve(&p, w->amount_fen) < 0)
            break;
        w->status = AS(APPROVED);
        if ((err = inc_store_award_put(st, w, year_of(a, w->occurred_at))) <
                0 ||
            (err = emit_award(s, c, PAY(AWARD_APPROVED), w, AS(QUEUED))) < 0)
            goto done;
        log_info("award.funded", "award=%s pool=%s corr=%s", log_q(w->award_id),
                 log_q(pool_id), log_q(c->correlation_id));
    }
    for (; i < q->n_awards; i++)
        queued += q->awards[i]->amount_fen;
    if ((err = inc_store_pool_acct_set(st, pool_id, &p)) < 0 ||
        (err = inc_store_pool_flag(st, pool_id, "low", &low)) < 0 ||
        (err = inc_store_pool_flag(st, pool_id, "exhausted", &exhausted)) < 0)
        goto done;
    if (pool_is_low(&p, a->cfg->pool_low_permille) != (low != 0)) {
        low = !low;
        if ((err = inc_store_pool_flag_set(st, pool_id, "low", low)) < 0)
            goto done;
        if (low &&
            (err = emit_alert(s, c, PAY(POOL_LOW), pool_id, &p, queued)) < 0)
            goto done;
    }
    if ((queued > 0) != (exhausted != 0)) {
        exhausted = queued > 0;
        if ((err = inc_store_pool_flag_set(st, pool_id, "exhausted",
                                           exhausted)) < 0)
            goto done;
        if (exhausted && (err = emit_alert(s, c, PAY(POOL_EXHAUSTED), pool_id,
                                           &p, queued)) < 0)
            goto done;
    }
done:
    if (q)
        protobuf_c_message_free_unpacked(&q->base, NULL);
    return err;
}

Cogov__V1__StatusCode
inc_award_op(svc_t *s, inc_app_t *a, const svc_ctx_t *c, const char *award_id,
             award_op_t op, const char *note, Cogov__V1__Reply *rep)
{
    static const Cogov__V1__Event__PayloadCase pay[] = {
        [AWARD_REVIEW] = PAY(AWARD_REVIEWED),
        [AWARD_APPROVE] = PAY(AWARD_APPROVED),
        [AWARD_DISBURSE] = PAY(AWARD_DISBURSED),
        [AWARD_REJECT] = PAY(AWARD_REJECTED)};
    store_t *st = svc_store(s);
    Cogov__V1__Award *w = NULL;
    Cogov__V1__AwardStatus from, to;
    Cogov__V1__StatusCode code = OK;
    pool_acct_t p;
    const char *why = NULL;
    bool fits = true;
    int err;

    err = inc_store_award(st, award_id, &w);
    if (err == -ENOENT)
        return svc_fail(rep, NOT_FOUND, "award %s: no such award", award_id);
    if (err < 0)
        return svc_fail(rep, INTERNAL, "award %s: %s", award_id,
                        strerror(-err));
    from = w->status;
    err = inc_store_pool_acct(st, w->pool_id, &p);
    if (err == -ENOENT && (op == AWARD_APPROVE || op == AWARD_DISBURSE)) {
        code = svc_fail(rep, CONFLICT, "award %s: pool %s does not exist",
                        award_id, w->pool_id);
        goto done;
    }
    if (err < 0 && err != -ENOENT) {
        code = svc_fail(rep, INTERNAL, "pool: %s", strerror(-err));
        goto done;
    }
    if (op == AWARD_APPROVE) {
        Cogov__V1__AwardList *q = NULL;
        /* later approvals wait behind the queue: order is by source event */
        err = inc_store_queue(st, w->pool_id, &q);
        fits = err == 0 && q->n_awards == 0 &&
               (w->amount_fen <= 0 || w->amount_fen <= pool_available(&p));
        if (q)
            protobuf_c_message_free_unpacked(&q->base, NULL);
    }
    to = award_next(from, op, w->reviewed, fits, &why);
    if (to == AS(UNSPECIFIED)) {
        code = svc_fail(rep, CONFLICT, "award %s is %s: %s", award_id,
                        award_status_name(from), why);
        goto done;
    }
    if (to == AS(APPROVED) && pool_approve(&p, w->amount_fen) < 0) {
        code = svc_fail(rep, CONFLICT, "award %s: pool %s cannot cover it",
                        award_id, w->pool_id);
        goto done;
    }
    if (to == AS(DISBURSED) && pool_disburse(&p, w->amount_fen) < 0) {
        code = svc_fail(rep, INTERNAL, "award %s: pool accounting refused",
                        award_id);
        goto done;
    }
    if (op == AWARD_REVIEW) {
        w->has_reviewed = true;
        w->reviewed = true;
    }
    if (op == AWARD_DISBURSE) {
        free(w->payment_ref);
        w->payment_ref = xstrdup(note ? note : "");
    } else if (note && note[0]) {
        free(w->reason);
        w->reason = xstrdup(note);
    }
    w->status = to;
    if ((err = inc_store_award_put(st, w, year_of(a, w->occurred_at))) < 0 ||
        (err = emit_award(s, c, to == AS(QUEUED) ? PAY(AWARD_QUEUED) : pay[op],
                          w, from)) < 0) {
        code =
            svc_fail(rep, INTERNAL, "award %s: %s", award_id, strerror(-err));
        goto done;
    }
    if (op == AWARD_APPROVE || op == AWARD_DISBURSE) {
        if ((err = inc_store_pool_acct_set(st, w->pool_id, &p)) < 0 ||
            (err = inc_pool_settle(s, a, c, w->pool_id)) < 0) {
            code = svc_fail(rep, err == -EIO ? INTERNAL : CONFLICT,
                            "pool %s: %s", w->pool_id, strerror(-err));
            goto done;
        }
    } else if (op == AWARD_REJECT && from == AS(QUEUED) &&
               (err = inc_pool_settle(s, a, c, w->pool_id)) < 0) {
        code =
            svc_fail(rep, INTERNAL, "pool %s: %s", w->pool_id, strerror(-err));
        goto done;
    }
    log_info("award.changed", "award=%s from=%s to=%s actor=%s corr=%s",
             log_q(award_id), award_status_name(from), award_status_name(to),
             log_q(c->actor), log_q(c->correlation_id));
    /* re-read: settle may have funded it from the queue */
    award_free(w);
    w = NULL;
    if (inc_store_award(st, award_id, &w) == 0) {
        rep->body_case = COGOV__V1__REPLY__BODY_AWARD;
        rep->award = w;
        w = NULL;
    }
done:
    award_free(w);
    return code;
}

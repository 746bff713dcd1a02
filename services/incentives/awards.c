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
#include "cap_alloc.h"
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
    const char *chain;     /* its key: root@task_id (ids are per task) */
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

/* Parsed policy versions, for a recomputation pass. */
typedef struct pol_cache {
    policy_t *v[8];
    size_t n;
} pol_cache_t;

static const policy_t *
pol_get(store_t *st, pol_cache_t *pc, const char *policy_id, uint32_t version)
{
    char *text = NULL, perr[256];
    policy_t *p;

    for (size_t i = 0; i < pc->n; i++)
        if (pc->v[i]->version == version &&
            strcmp(pc->v[i]->id, policy_id) == 0)
            return pc->v[i];
    if (inc_store_policy_text(st, policy_id, version, &text) < 0)
        return NULL;
    p = xmalloc(sizeof *p);
    if (policy_parse(text, "stored", p, perr, sizeof perr) < 0) {
        free(p);
        p = NULL;
    }
    free(text);
    if (p && pc->n == ARRAY_LEN(pc->v)) {
        free(pc->v[0]);
        memmove(pc->v, pc->v + 1, (pc->n - 1) * sizeof pc->v[0]);
        pc->n--;
    }
    if (p)
        pc->v[pc->n++] = p;
    return p;
}

static void
pol_cache_clear(pol_cache_t *pc)
{
    for (size_t i = 0; i < pc->n; i++)
        free(pc->v[i]);
    pc->n = 0;
}

/* The explanation of an entry from its basis, cap order, cap and amount. */
static void
explain(Cogov__V1__Award *w, int ver)
{
    char *e =
        xasprintf("%s; cap order %s%s%s%s; amount %" PRId64 " fen",
                  w->basis ? w->basis : "", w->cap_order ? w->cap_order : "",
                  str_empty(w->cap_applied) ? ""
                  : w->raw_fen < 0          ? "; deduction: "
                                            : "; cap applied: ",
                  w->cap_applied ? w->cap_applied : "",
                  ver > 0   ? "; corrects the claim's earlier entries"
                  : ver < 0 ? "; residual after the claim was recomputed"
                            : "",
                  w->amount_fen);
    free(w->explanation);
    w->explanation = e;
}

static bool
any_disbursed(const Cogov__V1__AwardList *l)
{
    for (size_t i = 0; i < l->n_awards; i++)
        if (l->awards[i]->status == AS(DISBURSED))
            return true;
    return false;
}

/* A residual entry of a claim whose committed entries differ from what
 * the caps now allow. */
static int
residual(svc_t *s, inc_app_t *a, const svc_ctx_t *c, const policy_t *p,
         const inc_claim_t *cl, const Cogov__V1__AwardList *l, int64_t amount)
{
    store_t *st = svc_store(s);
    const Cogov__V1__Award *e0 = l->awards[0];
    Cogov__V1__Award aw = COGOV__V1__AWARD__INIT, *old = NULL;
    char id[256], basis[512];
    int err, stand;

    snprintf(id, sizeof id, "%s~%s", cl->claim_id, c->causation_id);
    for (int n = 2; (err = inc_store_award(st, id, &old)) == 0; n++) {
        award_free(old);
        old = NULL;
        snprintf(id, sizeof id, "%s~%s#%d", cl->claim_id, c->causation_id, n);
    }
    if (err != -ENOENT)
        return err;
    stand = standing(st, p, cl->member_id, &err);
    if (err < 0)
        return err;
    snprintf(basis, sizeof basis,
             "policy %s, rule %s: claim %s recomputed in cap order when %s "
             "arrived; its committed entries differ from what the caps allow "
             "by %" PRId64 " fen",
             cl->policy_id, cl->rule_id, cl->claim_id, c->causation_id, amount);
    aw.award_id = id;
    aw.has_kind = aw.has_status = aw.has_amount_fen = true;
    aw.kind = amount < 0 && any_disbursed(l) ? AK(CLAWBACK) : AK(ADJUSTMENT);
    aw.status = stand == 2 ? AS(HELD) : AS(PROPOSED);
    aw.member_id = cl->member_id;
    aw.pool_id = e0->pool_id;
    aw.amount_fen = amount;
    aw.policy_id = cl->policy_id;
    aw.has_policy_version = true;
    aw.policy_version = cl->policy_version;
    aw.rule_id = cl->rule_id;
    aw.source_event = e0->source_event;
    aw.source_type = e0->source_type;
    aw.task_id = e0->task_id;
    aw.report_id = e0->report_id;
    aw.corrects_award_id = cl->claim_id;
    aw.claim_id = cl->claim_id;
    aw.cap_order = cl->ckey;
    aw.basis = basis;
    aw.has_occurred_at = true;
    aw.occurred_at = e0->occurred_at;
    explain(&aw, -1);
    if ((err = inc_store_award_put(st, &aw, year_of(a, aw.occurred_at))) < 0 ||
        (err = inc_store_award_ver(st, id, -1)) < 0)
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
                 log_q(id), log_q(cl->member_id), amount,
                 award_status_name(aw.status), log_q(c->correlation_id));
done:
    free(aw.explanation);
    return err;
}

/* One claim in cap order: each version's target from the caps at its
 * place, the entries reconciled to them. fresh: an entry just made (its
 * amount is set without an award_recomputed event). */
static int
recompute_claim(svc_t *s, inc_app_t *a, const svc_ctx_t *c, const policy_t *p,
                inc_claim_t *cl, cap_tally_t *t, const char *fresh)
{
    store_t *st = svc_store(s);
    Cogov__V1__AwardList *l = NULL;
    int *vers = NULL, err;
    cap_entry_t *e = NULL;
    char(*why)[256] = NULL;
    int64_t prev = 0, alloc = 0, res;

    if (!cl->counts) /* its entitlement was rejected: it takes no cap */
        return cl->alloc ? inc_store_claim_set(st, cl->claim_id, false, 0) : 0;
    if ((err = inc_store_claim_entries(st, cl->claim_id, &l, &vers)) < 0 ||
        l->n_awards == 0)
        goto done;
    e = xcalloc(l->n_awards, sizeof *e);
    why = xcalloc(l->n_awards, sizeof *why);
    for (size_t i = 0; i < l->n_awards; i++) {
        const Cogov__V1__Award *w = l->awards[i];
        e[i].ver = vers[i];
        e[i].status = w->status;
        e[i].amount = w->amount_fen;
        if (vers[i] < 0)
            continue;
        alloc = w->raw_fen < 0
                    ? policy_deduct(w->raw_fen,
                                    cap_tally_net(t, cl->member_id, cl->year),
                                    why[i], sizeof why[i])
                    : policy_cap(p, w->raw_fen,
                                 cap_tally_member(t, cl->member_id, cl->year),
                                 cap_tally_pool(t), why[i], sizeof why[i]);
        e[i].target = alloc - prev;
        prev = alloc;
    }
    cap_tally_add(t, cl->member_id, cl->year, alloc);
    if (alloc != cl->alloc &&
        (err = inc_store_claim_set(st, cl->claim_id, true, alloc)) < 0)
        goto done;
    res = cap_reconcile(e, l->n_awards);
    for (size_t i = 0; err == 0 && i < l->n_awards; i++) {
        Cogov__V1__Award *w = l->awards[i];
        bool is_fresh = fresh && strcmp(w->award_id, fresh) == 0;
        int64_t was = w->amount_fen;
        if (!e[i].changed && !is_fresh)
            continue;
        w->amount_fen = e[i].amount;
        if (e[i].ver >= 0) {
            free(w->cap_applied);
            w->cap_applied = xstrdup(why[i]);
        }
        if (e[i].changed && !is_fresh && w->reviewed) {
            w->reviewed = false; /* the secretariat reviews the new amount */
            w->has_reviewed = true;
        }
        explain(w, e[i].ver);
        err = inc_store_award_put(st, w, year_of(a, w->occurred_at));
        if (err == 0 && !is_fresh) {
            err = emit_award(s, c, PAY(AWARD_RECOMPUTED), w, w->status);
            if (err == 0)
                log_info("award.recomputed",
                         "award=%s member=%s from=%" PRId64 " to=%" PRId64
                         " cause=%s corr=%s",
                         log_q(w->award_id), log_q(cl->member_id), was,
                         w->amount_fen, log_q(c->causation_id),
                         log_q(c->correlation_id));
        }
    }
    if (err == 0 && res != 0)
        err = residual(s, a, c, p, cl, l, res);
done:
    free(e);
    free(why);
    free(vers);
    if (l)
        protobuf_c_message_free_unpacked(&l->base, NULL);
    return err;
}

/* Recompute the claims of a policy from cap order key `from` on: the
 * claims before it keep what they consume, the later ones share what is
 * left in key order, whatever order their events arrived in. */
static int
recompute(svc_t *s, inc_app_t *a, const svc_ctx_t *c, const char *policy_id,
          const char *from, const char *fresh)
{
    store_t *st = svc_store(s);
    cap_tally_t *t = NULL;
    inc_claim_t *v = NULL;
    pol_cache_t pc = {0};
    size_t n = 0;
    int err;

    if ((err = inc_store_claims_before(st, policy_id, from, &t)) < 0 ||
        (err = inc_store_claims_from(st, policy_id, from, &v, &n)) < 0)
        goto done;
    for (size_t i = 0; err == 0 && i < n; i++) {
        const policy_t *p =
            pol_get(st, &pc, v[i].policy_id, v[i].policy_version);
        if (p == NULL) {
            svc_react_error(s,
                            "policy %s version %u: not stored or does not "
                            "parse",
                            v[i].policy_id, v[i].policy_version);
            err = SVC_REACT_REJECT;
            break;
        }
        err = recompute_claim(s, a, c, p, &v[i], t, fresh);
    }
done:
    pol_cache_clear(&pc);
    inc_claims_free(v, n);
    cap_tally_destroy(&t);
    return err;
}

/* Propose (or hold) the entry of one rule for one source event: a new
 * claim, or a new version of the claim its report chain started. Its
 * amount comes from recomputing the policy's claims in cap order. */
static int
propose(svc_t *s, inc_app_t *a, const svc_ctx_t *c, const policy_t *p,
        const pol_rule_t *r, const facts_t *f)
{
    store_t *st = svc_store(s);
    const Cogov__V1__Event *ev = f->ev;
    Cogov__V1__Award aw = COGOV__V1__AWARD__INIT, *old = NULL, *w = NULL;
    inc_claim_t cl = {0};
    char id[160], src[64], expl[768], basis[256], ckey[160];
    int64_t raw = 0, qty = 0;
    int year = year_of(a, ev->occurred_at), err, stand, ver = 0;

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
                 "lump sum %" PRId64 " fen per completed task", raw);
        break;
    case RULE_GRADE:
    default:
        raw = r->fen;
        snprintf(basis, sizeof basis, "grade %s %" PRId64 " fen",
                 raw >= 0 ? "bonus" : "penalty", raw);
        break;
    }
    if (f->corrects) {
        err = inc_store_claim(st, NULL, p->id, r->id, f->chain, &cl);
        if (err == 0)
            ver = cl.max_ver + 1;
        else if (err != -ENOENT)
            goto done;
    }
    if (cl.claim_id == NULL) {
        if (raw == 0) {
            err = 0; /* nothing claimed */
            goto done;
        }
        cap_order_key(ev->occurred_at, ev->producer, ev->seq, f->id_suffix,
                      ckey, sizeof ckey);
        cl.claim_id = xstrdup(id);
        cl.policy_id = xstrdup(p->id);
        cl.policy_version = p->version;
        cl.rule_id = xstrdup(r->id);
        cl.chain = xstrdup(f->chain ? f->chain : "");
        cl.member_id = xstrdup(f->member_id);
        cl.year = year;
        cl.ckey = xstrdup(ckey);
        if ((err = inc_store_claim_add(st, &cl)) < 0)
            goto done;
    }
    aw.award_id = id;
    aw.has_kind = true;
    aw.kind = ver == 0 ? AK(ENTITLEMENT) : AK(ADJUSTMENT);
    aw.has_status = true;
    aw.status = stand == 2 ? AS(HELD) : AS(PROPOSED);
    aw.member_id = (char *)f->member_id;
    aw.pool_id = (char *)p->pool_id;
    aw.has_amount_fen = true;
    aw.amount_fen = 0; /* set by the recomputation below */
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
    aw.cap_applied = "";
    aw.corrects_award_id = ver ? cl.claim_id : "";
    aw.claim_id = cl.claim_id;
    aw.cap_order = cl.ckey;
    aw.has_occurred_at = true;
    aw.occurred_at = ev->occurred_at;
    snprintf(expl, sizeof expl,
             "policy %s version %u (effective %s, pool %s), rule %s: %s; "
             "source %s %s%s%s%s%s, member %s",
             p->id, p->version, p->effective_on, p->pool_id, r->id, basis, src,
             aw.source_type, f->task_id ? " task " : "",
             f->task_id ? f->task_id : "",
             f->report_id && f->report_id[0] ? " report " : "",
             f->report_id ? f->report_id : "", f->member_id);
    aw.basis = expl;
    aw.explanation = "";
    if ((err = inc_store_award_put(st, &aw, year)) < 0 ||
        (err = inc_store_award_ver(st, id, ver)) < 0 ||
        (err = recompute(s, a, c, p->id, cl.ckey, id)) != 0)
        goto done;
    if ((err = inc_store_award(st, id, &w)) < 0)
        goto done;
    if (ver > 0 && w->amount_fen < 0) {
        Cogov__V1__AwardList *l = NULL;
        int *vers = NULL;
        err = inc_store_claim_entries(st, cl.claim_id, &l, &vers);
        if (err == 0 && any_disbursed(l)) {
            w->kind = AK(CLAWBACK);
            err = inc_store_award_put(st, w, year);
        }
        free(vers);
        if (l)
            protobuf_c_message_free_unpacked(&l->base, NULL);
        if (err < 0)
            goto done;
    }
    err = emit_award(s, c,
                     w->kind == AK(CLAWBACK) ? PAY(AWARD_CLAWBACK)
                                             : PAY(AWARD_PROPOSED),
                     w, AS(UNSPECIFIED));
    if (err == 0 && w->status == AS(HELD))
        err = emit_award(s, c, PAY(AWARD_HELD), w, AS(PROPOSED));
    if (err == 0)
        log_info("award.proposed",
                 "award=%s member=%s amount=%" PRId64 " status=%s corr=%s",
                 log_q(id), log_q(f->member_id), w->amount_fen,
                 award_status_name(w->status), log_q(c->correlation_id));
done:
    award_free(w);
    inc_claim_clear(&cl);
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
                err =
                    p->rules[j].kind == RULE_HONOUR
                        ? inc_honour_decide(s, c, p, &p->rules[j], f->ev,
                                            f->member_id, f->task_id, f->grade)
                        : propose(s, a, c, p, &p->rules[j], f);
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
    return (r->kind == RULE_GRADE || r->kind == RULE_HONOUR) &&
           r->grade == f->grade;
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
    /* report ids are unique within their task only (coordination keys
     * reports by task_id, report_id): two tasks' "R1" are two chains */
    const char *task = pr->task_id ? pr->task_id : "";
    if (!str_empty(pr->corrects_report_id)) {
        char *key = xasprintf("%s/%s", task, pr->corrects_report_id);
        err = inc_store_report_root(st, key, &root);
        free(key);
        if (err == -ENOENT)
            root = xstrdup(pr->corrects_report_id);
        else if (err < 0)
            return err;
    } else {
        root = xstrdup(pr->report_id);
    }
    char *key = xasprintf("%s/%s", task, pr->report_id);
    err = inc_store_report_root_put(st, key, root);
    free(key);
    f.ev = ev;
    f.member_id = pr->member_id;
    f.task_kind = pr->kind;
    f.task_id = pr->task_id;
    f.report_id = root;
    char *chain = xasprintf("%s@%s", root, task);
    f.chain = chain;
    f.corrects =
        str_empty(pr->corrects_report_id) ? NULL : pr->corrects_report_id;
    f.delivered = pr->delivered;
    if (err == 0)
        err = apply_policies(s, a, c, &f, keep_rate);
    free(chain);
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

/* A deduction (a negative entry: downward adjustment, clawback, grade
 * penalty) comes off what its member has from the pool in the year: it is
 * approved only while the member's approved and paid entries there cover
 * it, and confirmed (recovered) only while the paid ones do. So the pool
 * never pays a member less than nothing, and money a deduction releases
 * was the member's own. OK, or CONFLICT with the figures. */
static Cogov__V1__StatusCode
deduction_check(inc_app_t *a, store_t *st, const Cogov__V1__Award *w,
                Cogov__V1__AwardStatus to, Cogov__V1__Reply *rep)
{
    int year = year_of(a, w->occurred_at), err;
    int64_t committed = 0, paid = 0;

    err = inc_store_member_net(st, w->member_id, w->pool_id, year, &committed,
                               &paid);
    if (err < 0)
        return svc_fail(rep, INTERNAL, "award %s: %s", w->award_id,
                        strerror(-err));
    if (to == AS(APPROVED) && committed + w->amount_fen < 0)
        return svc_fail(rep, CONFLICT,
                        "award %s deducts %" PRId64 " fen but member %s has "
                        "%" PRId64 " fen approved or paid from pool %s in %d: "
                        "approve the awards it comes off first",
                        w->award_id, -w->amount_fen, w->member_id, committed,
                        w->pool_id, year);
    if (to == AS(DISBURSED) && paid + w->amount_fen < 0)
        return svc_fail(rep, CONFLICT,
                        "award %s recovers %" PRId64 " fen but member %s was "
                        "paid %" PRId64 " fen from pool %s in %d: confirm the "
                        "payment it comes off first",
                        w->award_id, -w->amount_fen, w->member_id, paid,
                        w->pool_id, year);
    return OK;
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
    if (op == AWARD_APPROVE && w->amount_fen > 0) {
        Cogov__V1__AwardList *q = NULL;
        /* later approvals wait behind the queue: order is by source event
         * (a deduction only releases money: it never queues) */
        err = inc_store_queue(st, w->pool_id, &q);
        fits =
            err == 0 && q->n_awards == 0 && w->amount_fen <= pool_available(&p);
        if (q)
            protobuf_c_message_free_unpacked(&q->base, NULL);
    }
    to = award_next(from, op, w->reviewed, fits, &why);
    if (to == AS(UNSPECIFIED)) {
        code = svc_fail(rep, CONFLICT, "award %s is %s: %s", award_id,
                        award_status_name(from), why);
        goto done;
    }
    if ((to == AS(APPROVED) || to == AS(DISBURSED)) && w->amount_fen < 0 &&
        (code = deduction_check(a, st, w, to, rep)) != OK)
        goto done;
    if (to == AS(APPROVED) && pool_approve(&p, w->amount_fen) < 0) {
        code = svc_fail(rep, CONFLICT,
                        w->amount_fen > 0
                            ? "award %s: pool %s cannot cover it"
                            : "award %s: pool %s would owe less than nothing",
                        award_id, w->pool_id);
        goto done;
    }
    if (to == AS(DISBURSED) && pool_disburse(&p, w->amount_fen) < 0) {
        code = svc_fail(rep, CONFLICT,
                        "award %s: pool %s would have paid out more than its "
                        "budget or less than nothing: confirm the recoveries "
                        "it counts on first",
                        award_id, w->pool_id);
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
    /* a rejected entitlement takes no cap: the claims after it in cap
     * order share what it frees */
    if (op == AWARD_REJECT && !str_empty(w->claim_id) &&
        strcmp(w->claim_id, w->award_id) == 0 &&
        ((err = inc_store_claim_set(st, w->claim_id, false, 0)) < 0 ||
         (err = recompute(s, a, c, w->policy_id, w->cap_order, NULL)) != 0)) {
        code = svc_fail(rep, INTERNAL, "award %s: recomputing its policy: %s",
                        award_id, err < 0 ? strerror(-err) : "policy error");
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

/* handlers: supervision's route table, indicators, evaluation rounds,
 * warnings, collaboration health and facts (DESIGN 1.4). Rectification
 * orders in rectify.c. */
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
#include "validate.h"

#define RST(x) COGOV__V1__ROUND_STATUS__ROUND_STATUS_##x
#define GR(x) COGOV__V1__GRADE__GRADE_##x
#define P(x) COGOV__V1__EVENT__PAYLOAD_##x

Cogov__V1__StatusCode
supv_store_fail(Cogov__V1__Reply *rep, int err, const char *what)
{
    if (err == -EBUSY || err == -ENOSPC)
        return svc_fail(rep, UNAVAILABLE, "%s: %s, try again later", what,
                        strerror(-err));
    return svc_fail(rep, INTERNAL, "%s: %s", what, strerror(-err));
}

const char *
supv_own_unit(const principal_t *p)
{
    if (principal_has(p, R(MEMBER_REP)) &&
        !principal_has(p, READ_ROLES & ~R(MEMBER_REP)))
        return p->member_id;
    return NULL;
}

/* ---- indicators ---------------------------------------------------------- */

static Cogov__V1__IndicatorSet *
set_message(uint32_t version, const char *name, int64_t at,
            const indicator_t *inds, size_t n)
{
    static const char *const groups[] = {"", "basic", "substantive", "veto"};
    Cogov__V1__IndicatorSet *set = xmalloc(sizeof *set);

    (void)groups;
    cogov__v1__indicator_set__init(set);
    set->has_version = true;
    set->version = version;
    set->name = xstrdup(name);
    set->has_loaded_at = true;
    set->loaded_at = at;
    set->indicators = xmalloc((n ? n : 1) * sizeof *set->indicators);
    set->n_indicators = n;
    for (size_t i = 0; i < n; i++) {
        Cogov__V1__Indicator *x = xmalloc(sizeof *x);
        cogov__v1__indicator__init(x);
        x->key = xstrdup(inds[i].key);
        x->dimension = xstrdup(inds[i].dimension);
        x->title = xstrdup(inds[i].title);
        x->has_group = true;
        x->group = (Cogov__V1__IndicatorGroup)inds[i].group;
        x->has_weight = true;
        x->weight = (uint32_t)inds[i].weight;
        x->unit = xstrdup(inds[i].unit);
        x->source = xstrdup(inds[i].source);
        x->rule = xstrdup(inds[i].rule_text);
        x->has_target = true;
        x->target = inds[i].target;
        x->targets = xmalloc((inds[i].n_targets + 1) * sizeof *x->targets);
        x->n_targets = inds[i].n_targets;
        for (size_t t = 0; t < inds[i].n_targets; t++)
            x->targets[t] = xasprintf(
                "%s=%" PRId64, ind_member_type_name(inds[i].target_type[t]),
                inds[i].target_value[t]);
        x->direction = xstrdup(inds[i].down ? "down" : "up");
        x->has_line = true;
        x->line = inds[i].line;
        set->indicators[i] = x;
    }
    return set;
}

/* The indicators of `version` (0: latest), parsed; *inds xmalloc'd. */
static int
load_set(store_t *st, uint32_t version, uint32_t *ver, char **name, int64_t *at,
         indicator_t **inds, size_t *n)
{
    char *text = NULL, err[256];
    int rc = supv_store_indicators_get(st, version, ver, name, &text, at);

    if (rc < 0)
        return rc;
    *inds = xmalloc(IND_MAX * sizeof **inds);
    rc = ind_parse(*name, text, *inds, IND_MAX, err, sizeof err);
    free(text);
    if (rc < 0) {
        free(*inds);
        free(*name);
        return -EIO; /* it parsed when loaded */
    }
    *n = (size_t)rc;
    return 0;
}

static Cogov__V1__StatusCode
load_indicators(svc_t *s, void *app, const svc_ctx_t *c,
                const Cogov__V1__Request *req, Cogov__V1__Reply *rep)
{
    const Cogov__V1__LoadIndicators *in = req->load_indicators;
    const char *name = str_empty(in->name) ? "indicators" : in->name;
    indicator_t *inds;
    char err[256];
    uint32_t ver = 0;
    int rc;

    (void)app;
    if (str_empty(in->text))
        return svc_fail(rep, INVALID, "load_indicators.text: required");
    if (!valid_text(name, 200, true))
        return svc_fail(rep, INVALID,
                        "load_indicators.name: at most 200 "
                        "characters");
    inds = xmalloc(IND_MAX * sizeof *inds);
    rc = ind_parse(name, in->text, inds, IND_MAX, err, sizeof err);
    if (rc < 0) {
        free(inds);
        return svc_fail(rep, INVALID, "%s", err);
    }
    int e =
        supv_store_indicators_put(svc_store(s), name, in->text, c->now, &ver);
    if (e < 0) {
        free(inds);
        return supv_store_fail(rep, e, "load indicators");
    }
    log_info("indicators.loaded", "version=%u name=%s indicators=%d corr=%s",
             ver, log_q(name), rc, log_q(c->correlation_id));
    rep->body_case = COGOV__V1__REPLY__BODY_INDICATOR_SET;
    rep->indicator_set = set_message(ver, name, c->now, inds, (size_t)rc);
    free(inds);
    return OK;
}

static Cogov__V1__StatusCode
list_indicators(svc_t *s, void *app, const svc_ctx_t *c,
                const Cogov__V1__Request *req, Cogov__V1__Reply *rep)
{
    indicator_t *inds = NULL;
    char *name = NULL;
    uint32_t ver;
    int64_t at;
    size_t n;
    int err;

    (void)app;
    (void)c;
    err = load_set(svc_store(s), req->list_indicators->version, &ver, &name,
                   &at, &inds, &n);
    if (err == -ENOENT)
        return svc_fail(rep, NOT_FOUND, "no indicators loaded");
    if (err < 0)
        return supv_store_fail(rep, err, "indicators");
    rep->body_case = COGOV__V1__REPLY__BODY_INDICATOR_SET;
    rep->indicator_set = set_message(ver, name, at, inds, n);
    free(inds);
    free(name);
    return OK;
}

/* ---- rounds -------------------------------------------------------------- */

static char *
round_id(const char *period)
{
    return xasprintf("round-%s", period);
}

/* The consortium against the annual goals of the period's year: each goal
 * whose code names an indicator, observed over every member's facts from the
 * start of that year to the end of the period (year to date), in goal_id
 * order. */
static int
goals(svc_t *s, const supv_app_t *a, Cogov__V1__Round *r,
      const indicator_t *inds, size_t n_inds)
{
    ProtobufCMessage **v = NULL;
    supv_fact_t *f = NULL;
    fact_t *facts = NULL;
    size_t n = 0, n_f = 0;
    int64_t year_from, year_to;
    char year[5];
    int err;

    snprintf(year, sizeof year, "%.4s", r->period);
    if (period_bounds(year, a->cfg->utc_offset_s, &year_from, &year_to) < 0)
        return 0;
    err = supv_store_objs(svc_store(s), "goal", NULL, atoi(year), 0,
                          &cogov__v1__goal_set__descriptor, &v, &n);
    if (err == 0 && n > 0)
        err = supv_store_facts(svc_store(s), NULL, year_from, r->to, &f, &n_f);
    if (err < 0 || n == 0)
        goto done;
    facts = xmalloc((n_f ? n_f : 1) * sizeof *facts);
    for (size_t k = 0; k < n_f; k++)
        facts[k] = (fact_t){f[k].source, f[k].at, f[k].value};
    /* goal_id order, not the order they were set in */
    for (size_t i = 1; i < n; i++)
        for (size_t j = i;
             j > 0 && strcmp(((Cogov__V1__GoalSet *)v[j - 1])->goal_id,
                             ((Cogov__V1__GoalSet *)v[j])->goal_id) > 0;
             j--) {
            ProtobufCMessage *t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
    r->goals = xmalloc(n * sizeof *r->goals);
    for (size_t i = 0; i < n; i++) {
        const Cogov__V1__GoalSet *g = (const Cogov__V1__GoalSet *)v[i];
        const indicator_t *ind = NULL;
        for (size_t k = 0; k < n_inds && ind == NULL; k++)
            if (g->indicator_code &&
                strcmp(inds[k].key, g->indicator_code) == 0)
                ind = &inds[k];
        Cogov__V1__GoalResult *x = xmalloc(sizeof *x);
        cogov__v1__goal_result__init(x);
        x->goal_id = xstrdup(g->goal_id);
        x->indicator_code = xstrdup(g->indicator_code ? g->indicator_code : "");
        x->title = xstrdup(g->title ? g->title : "");
        x->unit = xstrdup(g->unit ? g->unit : "");
        x->has_year = x->has_target = x->has_observed = x->has_permille = true;
        x->has_met = x->has_known = true;
        x->year = g->year;
        x->target = g->target_value;
        x->known = ind != NULL;
        x->observed = ind ? ind_observe(ind, facts, n_f) : -1;
        x->met = ind_goal(ind, x->observed, x->target, &x->permille);
        r->goals[r->n_goals++] = x;
    }
done:
    free(facts);
    supv_facts_free(f, n_f);
    supv_objs_free(v, n);
    return err;
}

/* Compute every member's result for [from, to): pure functions over the
 * facts, in member_id order, so the same facts give identical numbers. */
static int
compute(svc_t *s, const supv_app_t *a, Cogov__V1__Round *r,
        const indicator_t *inds, size_t n_inds)
{
    supv_member_t *m = NULL;
    size_t n_m = 0;
    int err = supv_store_members(svc_store(s), &m, &n_m);
    int64_t sum = 0;

    r->results = xmalloc((n_m ? n_m : 1) * sizeof *r->results);
    for (size_t i = 0; err == 0 && i < n_m; i++) {
        supv_fact_t *f = NULL;
        size_t n_f = 0;
        err = supv_store_facts(svc_store(s), m[i].member_id, r->from, r->to, &f,
                               &n_f);
        if (err < 0)
            break;
        fact_t *facts = xmalloc((n_f ? n_f : 1) * sizeof *facts);
        for (size_t k = 0; k < n_f; k++)
            facts[k] = (fact_t){f[k].source, f[k].at, f[k].value};
        int64_t *scores = xmalloc(n_inds * sizeof *scores);
        Cogov__V1__MemberResult *mr = xmalloc(sizeof *mr);
        cogov__v1__member_result__init(mr);
        mr->member_id = xstrdup(m[i].member_id);
        mr->name = xstrdup(m[i].name);
        mr->has_type = true;
        mr->type = (Cogov__V1__MemberType)m[i].type;
        mr->scores = xmalloc(n_inds * sizeof *mr->scores);
        mr->veto_key = xstrdup("");
        for (size_t k = 0; k < n_inds; k++) {
            bool vf = false;
            int64_t obs = ind_observe(&inds[k], facts, n_f);
            int64_t tgt = ind_target(&inds[k], m[i].type);
            /* nothing to divide by, or not expected of this type and
             * nothing done: n/a (-1), the other weights renormalized */
            scores[k] = ind_applies(&inds[k], obs, tgt, facts, n_f)
                            ? ind_score(&inds[k], obs, tgt, &vf)
                            : -1;
            Cogov__V1__IndicatorScore *sc = xmalloc(sizeof *sc);
            cogov__v1__indicator_score__init(sc);
            sc->key = xstrdup(inds[k].key);
            sc->has_observed = sc->has_target = sc->has_score = true;
            sc->observed = obs;
            sc->target = tgt;
            sc->score = scores[k];
            sc->has_veto_failed = vf;
            sc->veto_failed = vf;
            mr->scores[mr->n_scores++] = sc;
            if (vf && !mr->veto_failed) {
                mr->has_veto_failed = mr->veto_failed = true;
                free(mr->veto_key);
                mr->veto_key = xstrdup(inds[k].key);
            }
        }
        mr->has_total = mr->has_grade = true;
        mr->total = ind_total(inds, n_inds, scores);
        mr->grade = (Cogov__V1__Grade)ind_grade(
            mr->total, mr->veto_failed, (int)a->cfg->grade_excellent,
            (int)a->cfg->grade_good, (int)a->cfg->grade_pass);
        sum += mr->total;
        r->results[r->n_results++] = mr;
        free(scores);
        free(facts);
        supv_facts_free(f, n_f);
    }
    if (err == 0)
        err = goals(s, a, r, inds, n_inds);
    r->has_consortium_total = r->has_consortium_grade = true;
    r->consortium_total = n_m ? sum / (int64_t)n_m : 0;
    r->consortium_grade = (Cogov__V1__Grade)ind_grade(
        r->consortium_total, false, (int)a->cfg->grade_excellent,
        (int)a->cfg->grade_good, (int)a->cfg->grade_pass);
    supv_members_free(m, n_m);
    return err;
}

static int
save_round(svc_t *s, const Cogov__V1__Round *r, int64_t at)
{
    return supv_store_obj_put(svc_store(s), "round", r->round_id, "",
                              (int)r->status, 0, at, &r->base);
}

static Cogov__V1__StatusCode
get_round_msg(svc_t *s, Cogov__V1__Reply *rep, const char *id,
              Cogov__V1__Round **out)
{
    int err;
    if (str_empty(id))
        return svc_fail(rep, INVALID, "round_id: required");
    err =
        supv_store_obj(svc_store(s), "round", id, &cogov__v1__round__descriptor,
                       (ProtobufCMessage **)out);
    if (err == -ENOENT)
        return svc_fail(rep, NOT_FOUND, "round %s: not found", id);
    if (err < 0)
        return supv_store_fail(rep, err, "round");
    return OK;
}

/* round_drafted for a stored draft; its causation is c's (the command or
 * the calendar tick). */
static int
emit_drafted(svc_t *s, const svc_ctx_t *c, const Cogov__V1__Round *r,
             Cogov__V1__RoundDraftedBy by)
{
    Cogov__V1__Event ev = COGOV__V1__EVENT__INIT;
    Cogov__V1__RoundDrafted rd = COGOV__V1__ROUND_DRAFTED__INIT;

    rd.round_id = r->round_id;
    rd.period = r->period;
    rd.has_by = rd.has_indicator_version = true;
    rd.by = by;
    rd.indicator_version = r->indicator_version;
    rd.has_from = rd.has_to = rd.has_members = rd.has_consortium_total = true;
    rd.from = r->from;
    rd.to = r->to;
    rd.members = (uint32_t)r->n_results;
    rd.consortium_total = r->consortium_total;
    ev.payload_case = P(ROUND_DRAFTED);
    ev.round_drafted = &rd;
    return svc_emit(s, c, &ev);
}

/* Draft (or re-draft) round-<period> from the latest indicators and the
 * facts so far, store it and emit round_drafted (by: what drafted it). 0
 * and *out (the caller frees it); -EINVAL a malformed period; -EPERM the
 * round is published (frozen); -ENOENT no indicators loaded; else a store
 * error. */
static int
draft(svc_t *s, const supv_app_t *a, const svc_ctx_t *c, const char *period,
      Cogov__V1__RoundDraftedBy by, Cogov__V1__Round **out)
{
    Cogov__V1__Round *old = NULL, *r;
    indicator_t *inds = NULL;
    char *name = NULL, *id;
    uint32_t ver;
    int64_t at, from, to;
    size_t n;
    int err;

    if (period_bounds(period, a->cfg->utc_offset_s, &from, &to) < 0)
        return -EINVAL;
    id = round_id(period);
    err =
        supv_store_obj(svc_store(s), "round", id, &cogov__v1__round__descriptor,
                       (ProtobufCMessage **)&old);
    if (err == 0) {
        bool frozen = old->status == RST(PUBLISHED);
        protobuf_c_message_free_unpacked(&old->base, NULL);
        if (frozen) {
            free(id);
            return -EPERM;
        }
    } else if (err != -ENOENT) {
        free(id);
        return err;
    }
    err = load_set(svc_store(s), 0, &ver, &name, &at, &inds, &n);
    if (err < 0) {
        free(id);
        return err;
    }
    r = xmalloc(sizeof *r);
    cogov__v1__round__init(r);
    r->round_id = id;
    r->period = xstrdup(period);
    r->has_status = r->has_indicator_version = true;
    r->status = RST(DRAFT);
    r->indicator_version = ver;
    r->has_from = r->has_to = r->has_drafted_at = true;
    r->from = from;
    r->to = to;
    r->drafted_at = c->now;
    r->note = xstrdup("");
    err = compute(s, a, r, inds, n);
    if (err == 0)
        err = save_round(s, r, c->now);
    if (err == 0)
        err = emit_drafted(s, c, r, by);
    free(inds);
    free(name);
    if (err < 0) {
        protobuf_c_message_free_unpacked(&r->base, NULL);
        return err == -ENOENT ? -EIO : err;
    }
    *out = r;
    return 0;
}

static Cogov__V1__StatusCode
draft_round(svc_t *s, void *app, const svc_ctx_t *c,
            const Cogov__V1__Request *req, Cogov__V1__Reply *rep)
{
    const char *period = req->draft_round->period;
    Cogov__V1__Round *r = NULL;
    int err = draft(s, app, c, period,
                    COGOV__V1__ROUND_DRAFTED_BY__ROUND_DRAFTED_BY_COMMAND, &r);

    if (err == -EINVAL)
        return svc_fail(rep, INVALID,
                        "draft_round.period: \"YYYY\" or "
                        "\"YYYYQn\"");
    if (err == -EPERM)
        return svc_fail(rep, CONFLICT, "round %s is published and frozen",
                        period);
    if (err == -ENOENT)
        return svc_fail(rep, CONFLICT, "no indicators loaded");
    if (err < 0)
        return supv_store_fail(rep, err, "draft round");
    log_info("round.drafted",
             "round=%s by=command members=%zu total=%" PRId64 " corr=%s",
             log_q(r->round_id), r->n_results, r->consortium_total,
             log_q(c->correlation_id));
    rep->body_case = COGOV__V1__REPLY__BODY_ROUND;
    rep->round = r;
    return OK;
}

/* One ended period on a tick: drafted unless the supervisor has taken it
 * further (reviewed, published) or a draft made after its end exists. */
static int
auto_draft(svc_t *s, const supv_app_t *a, const svc_ctx_t *c,
           const char *period, int64_t end)
{
    Cogov__V1__Round *r = NULL;
    char *id = round_id(period);
    int err =
        supv_store_obj(svc_store(s), "round", id, &cogov__v1__round__descriptor,
                       (ProtobufCMessage **)&r);

    free(id);
    if (err == 0) {
        bool keep = r->status != RST(DRAFT) || r->drafted_at >= end;
        protobuf_c_message_free_unpacked(&r->base, NULL);
        r = NULL;
        if (keep)
            return 0;
    } else if (err != -ENOENT) {
        return err;
    }
    err = draft(s, a, c, period,
                COGOV__V1__ROUND_DRAFTED_BY__ROUND_DRAFTED_BY_CALENDAR, &r);
    if (err == -ENOENT) {
        log_notice("round.auto_skipped",
                   "period=%s reason=no_indicators corr=%s", log_q(period),
                   log_q(c->correlation_id));
        return 0;
    }
    if (err < 0)
        return err;
    log_info("round.drafted",
             "round=%s by=calendar members=%zu total=%" PRId64 " corr=%s",
             log_q(r->round_id), r->n_results, r->consortium_total,
             log_q(c->correlation_id));
    protobuf_c_message_free_unpacked(&r->base, NULL);
    return 0;
}

/* The start of the next quarter a tick has to consider, kept in the store's
 * meta table; the first tick supervision applies starts it at the quarter
 * it falls in (periods over before supervision saw the calendar are not
 * drafted by ticks). */
#define ROUNDS_NEXT_KEY "supervision.rounds_next"

int
supv_rounds_tick(svc_t *s, const supv_app_t *a, const svc_ctx_t *c, int64_t now)
{
    store_t *st = svc_store(s);
    int64_t next, from, to;
    char q[16];
    int err = store_meta_get_int(st, ROUNDS_NEXT_KEY, &next);

    if (err == -ENOENT) {
        if (period_quarter_at(now, a->cfg->utc_offset_s, q, sizeof q) < 0 ||
            period_bounds(q, a->cfg->utc_offset_s, &from, &to) < 0)
            return 0; /* a calendar outside 2000..2100: nothing to draft */
        return store_meta_set_int(st, ROUNDS_NEXT_KEY, from);
    }
    if (err < 0)
        return err;
    int64_t start = next;
    while (err == 0 &&
           period_quarter_at(next, a->cfg->utc_offset_s, q, sizeof q) == 0 &&
           period_bounds(q, a->cfg->utc_offset_s, &from, &to) == 0 &&
           to <= now) {
        if (a->auto_rounds == SUPV_AUTO_QUARTER)
            err = auto_draft(s, a, c, q, to);
        if (err == 0 && q[5] == '4' && a->auto_rounds != SUPV_AUTO_OFF) {
            q[4] = 0; /* the year ends with its fourth quarter */
            err = auto_draft(s, a, c, q, to);
        }
        next = to;
    }
    if (err == 0 && next != start)
        err = store_meta_set_int(st, ROUNDS_NEXT_KEY, next);
    return err;
}

static Cogov__V1__StatusCode
review_round(svc_t *s, void *app, const svc_ctx_t *c,
             const Cogov__V1__Request *req, Cogov__V1__Reply *rep)
{
    const Cogov__V1__ReviewRound *in = req->review_round;
    Cogov__V1__Round *r = NULL;
    Cogov__V1__StatusCode code;
    int err;

    (void)app;
    code = get_round_msg(s, rep, in->round_id, &r);
    if (code != OK)
        return code;
    if (r->status != RST(DRAFT)) {
        protobuf_c_message_free_unpacked(&r->base, NULL);
        return svc_fail(rep, CONFLICT, "round %s is not a draft", in->round_id);
    }
    if (!valid_text(in->note, 2000, false)) {
        protobuf_c_message_free_unpacked(&r->base, NULL);
        return svc_fail(rep, INVALID,
                        "review_round.note: at most 2000 "
                        "characters");
    }
    r->status = RST(REVIEWED);
    free(r->note);
    r->note = xstrdup(in->note ? in->note : "");
    err = save_round(s, r, r->drafted_at);
    if (err < 0) {
        protobuf_c_message_free_unpacked(&r->base, NULL);
        return supv_store_fail(rep, err, "review round");
    }
    log_info("round.reviewed", "round=%s corr=%s", log_q(r->round_id),
             log_q(c->correlation_id));
    rep->body_case = COGOV__V1__REPLY__BODY_ROUND;
    rep->round = r;
    return OK;
}

/* The latest published round other than `id`: this member's grade there
 * (0 if not evaluated) and that round's id (xmalloc'd, NULL if none). */
static int
previous_grade(svc_t *s, const char *id, const char *member, int *grade,
               char **prev_id)
{
    ProtobufCMessage **v = NULL;
    size_t n = 0;
    int err = supv_store_objs(svc_store(s), "round", NULL, RST(PUBLISHED), 0,
                              &cogov__v1__round__descriptor, &v, &n);
    *grade = 0;
    *prev_id = NULL;
    for (size_t i = n; err == 0 && i-- > 0;) {
        const Cogov__V1__Round *r = (const Cogov__V1__Round *)v[i];
        if (strcmp(r->round_id, id) == 0)
            continue;
        for (size_t k = 0; k < r->n_results; k++)
            if (strcmp(r->results[k]->member_id, member) == 0)
                *grade = (int)r->results[k]->grade;
        *prev_id = xstrdup(r->round_id);
        break;
    }
    supv_objs_free(v, n);
    return err;
}

static void
add_line(char ***v, size_t *n, char *line)
{
    *v = xrealloc(*v, (*n + 1) * sizeof **v);
    (*v)[(*n)++] = line;
}

static void
points(int64_t v, char *buf, size_t size)
{
    snprintf(buf, size, "%" PRId64 ".%02" PRId64, v / 100, v % 100);
}

/* A failing result that calls for a standing recommendation (a failed veto,
 * or the round before failed too): standing_recommended with the evidence —
 * the failing totals, the indicators that failed or scored under half, and
 * the events behind the failed veto indicators. */
static int
recommend(svc_t *s, const svc_ctx_t *c, const Cogov__V1__Round *r,
          const Cogov__V1__MemberResult *m)
{
    Cogov__V1__Event ev = COGOV__V1__EVENT__INIT;
    Cogov__V1__StandingRecommended sr = COGOV__V1__STANDING_RECOMMENDED__INIT;
    indicator_t *inds = NULL;
    supv_fact_t *f = NULL;
    char *prev_id = NULL, *name = NULL, tb[32];
    size_t n_inds = 0, n_f = 0;
    uint32_t ver;
    int64_t at;
    int prev = 0, status = 0, err;

    err = previous_grade(s, r->round_id, m->member_id, &prev, &prev_id);
    if (err < 0 || (!m->veto_failed && prev != GR(FAIL)))
        goto done;
    err = supv_store_member(svc_store(s), m->member_id, NULL, NULL, &status);
    if (err == -ENOENT)
        err = 0;
    if (err == 0)
        err = load_set(svc_store(s), r->indicator_version, &ver, &name, &at,
                       &inds, &n_inds);
    if (err == 0)
        err = supv_store_facts(svc_store(s), m->member_id, r->from, r->to, &f,
                               &n_f);
    if (err < 0)
        goto done;
    points(m->total, tb, sizeof tb);
    add_line(&sr.evidence, &sr.n_evidence,
             xasprintf("%s %s: 不合格 %s of 100", r->round_id, r->period, tb));
    if (prev == GR(FAIL))
        add_line(&sr.evidence, &sr.n_evidence,
                 xasprintf("%s: 不合格", prev_id));
    for (size_t k = 0; k < m->n_scores; k++) {
        const Cogov__V1__IndicatorScore *x = m->scores[k];
        const indicator_t *ind = NULL;
        for (size_t i = 0; i < n_inds && ind == NULL; i++)
            if (strcmp(inds[i].key, x->key) == 0)
                ind = &inds[i];
        if (ind == NULL)
            continue;
        if (x->veto_failed) {
            add_line(&sr.evidence, &sr.n_evidence,
                     xasprintf("veto %s (%s) failed: observed %" PRId64
                               ", target %" PRId64,
                               x->key, ind->title, x->observed, x->target));
            for (size_t i = 0; i < n_f; i++)
                if (strcmp(f[i].source, ind->fact) == 0 &&
                    (ind->agg != AGG_COUNT || f[i].value > 0))
                    add_line(&sr.evidence_event_ids, &sr.n_evidence_event_ids,
                             xstrdup(f[i].event_id));
        } else if (ind->group != GROUP_VETO && x->score >= 0 &&
                   x->score * 2 < (int64_t)ind->weight * 100) {
            points(x->score, tb, sizeof tb);
            add_line(&sr.evidence, &sr.n_evidence,
                     xasprintf("%s (%s): %s of %d points, observed %" PRId64
                               ", target %" PRId64,
                               x->key, ind->title, tb, ind->weight, x->observed,
                               x->target));
        }
    }
    char *reason = m->veto_failed
                       ? xasprintf("veto indicator %s failed in %s",
                                   m->veto_key, r->period)
                       : xasprintf("不合格 in %s and in the round before (%s)",
                                   r->period, prev_id);
    sr.member_id = m->member_id;
    sr.has_action = true;
    sr.action = status == COGOV__V1__MEMBER_STATUS__MEMBER_STATUS_SUSPENDED
                    ? COGOV__V1__STANDING_ACTION__STANDING_ACTION_EXPEL
                    : COGOV__V1__STANDING_ACTION__STANDING_ACTION_SUSPEND;
    sr.reason = reason;
    sr.evaluation_id = r->round_id;
    sr.previous_evaluation_id = prev == GR(FAIL) ? prev_id : NULL;
    sr.result = (Cogov__V1__MemberResult *)m;
    ev.payload_case = P(STANDING_RECOMMENDED);
    ev.standing_recommended = &sr;
    err = svc_emit(s, c, &ev);
    if (err == 0)
        log_info("standing.recommended",
                 "member=%s round=%s action=%s evidence=%zu corr=%s",
                 log_q(m->member_id), log_q(r->round_id),
                 sr.action == COGOV__V1__STANDING_ACTION__STANDING_ACTION_EXPEL
                     ? "expel"
                     : "suspend",
                 sr.n_evidence + sr.n_evidence_event_ids,
                 log_q(c->correlation_id));
    free(reason);
done:
    for (size_t i = 0; i < sr.n_evidence; i++)
        free(sr.evidence[i]);
    free(sr.evidence);
    for (size_t i = 0; i < sr.n_evidence_event_ids; i++)
        free(sr.evidence_event_ids[i]);
    free(sr.evidence_event_ids);
    supv_facts_free(f, n_f);
    free(inds);
    free(name);
    free(prev_id);
    return err;
}

static Cogov__V1__StatusCode
publish_round(svc_t *s, void *app, const svc_ctx_t *c,
              const Cogov__V1__Request *req, Cogov__V1__Reply *rep)
{
    Cogov__V1__Round *r = NULL;
    Cogov__V1__Event ev = COGOV__V1__EVENT__INIT;
    Cogov__V1__EvaluationPublished ep = COGOV__V1__EVALUATION_PUBLISHED__INIT;
    Cogov__V1__StatusCode code;
    int err;

    (void)app;
    code = get_round_msg(s, rep, req->publish_round->round_id, &r);
    if (code != OK)
        return code;
    if (r->status != RST(REVIEWED)) {
        code = svc_fail(rep, CONFLICT,
                        "round %s must be reviewed before it "
                        "is published",
                        r->round_id);
        goto fail;
    }
    r->status = RST(PUBLISHED);
    r->has_published_at = true;
    r->published_at = c->now;
    /* recommendations first: previous_grade must not see this round */
    err = 0;
    for (size_t i = 0; err == 0 && i < r->n_results; i++)
        if (r->results[i]->grade == GR(FAIL))
            err = recommend(s, c, r, r->results[i]);
    if (err == 0)
        err = save_round(s, r, c->now);
    if (err == 0) {
        ep.round_id = r->round_id;
        ep.period = r->period;
        ep.has_indicator_version = ep.has_from = ep.has_to = true;
        ep.indicator_version = r->indicator_version;
        ep.from = r->from;
        ep.to = r->to;
        ep.n_results = r->n_results;
        ep.results = r->results;
        ep.has_consortium_total = ep.has_consortium_grade = true;
        ep.consortium_total = r->consortium_total;
        ep.consortium_grade = r->consortium_grade;
        ep.n_goals = r->n_goals;
        ep.goals = r->goals;
        ev.payload_case = P(EVALUATION_PUBLISHED);
        ev.evaluation_published = &ep;
        err = svc_emit(s, c, &ev);
    }
    if (err < 0) {
        code = supv_store_fail(rep, err, "publish round");
        goto fail;
    }
    log_info("round.published", "round=%s members=%zu corr=%s",
             log_q(r->round_id), r->n_results, log_q(c->correlation_id));
    rep->body_case = COGOV__V1__REPLY__BODY_ROUND;
    rep->round = r;
    return OK;
fail:
    protobuf_c_message_free_unpacked(&r->base, NULL);
    return code;
}

static Cogov__V1__StatusCode
get_round(svc_t *s, void *app, const svc_ctx_t *c,
          const Cogov__V1__Request *req, Cogov__V1__Reply *rep)
{
    const char *member = req->get_round->member_id;
    const char *own = supv_own_unit(c->who);
    Cogov__V1__Round *r = NULL;
    Cogov__V1__StatusCode code;

    (void)app;
    if (own) {
        if (!str_empty(member) && strcmp(member, own) != 0)
            return svc_fail(rep, DENIED,
                            "get_round.member_id: a member "
                            "representative sees its own unit only");
        member = own;
    }
    code = get_round_msg(s, rep, req->get_round->round_id, &r);
    if (code != OK)
        return code;
    if (!str_empty(member)) {
        size_t k = 0;
        for (size_t i = 0; i < r->n_results; i++) {
            if (strcmp(r->results[i]->member_id, member) == 0)
                r->results[k++] = r->results[i];
            else
                protobuf_c_message_free_unpacked(&r->results[i]->base, NULL);
        }
        r->n_results = k;
    }
    rep->body_case = COGOV__V1__REPLY__BODY_ROUND;
    rep->round = r;
    return OK;
}

static Cogov__V1__StatusCode
list_rounds(svc_t *s, void *app, const svc_ctx_t *c,
            const Cogov__V1__Request *req, Cogov__V1__Reply *rep)
{
    ProtobufCMessage **v = NULL;
    size_t n = 0;
    int err;

    (void)app;
    (void)c;
    (void)req;
    err = supv_store_objs(svc_store(s), "round", NULL, 0, 0,
                          &cogov__v1__round__descriptor, &v, &n);
    if (err < 0)
        return supv_store_fail(rep, err, "rounds");
    Cogov__V1__RoundList *l = xmalloc(sizeof *l);
    cogov__v1__round_list__init(l);
    for (size_t i = 0; i < n; i++) {
        Cogov__V1__Round *r = (Cogov__V1__Round *)v[i];
        for (size_t k = 0; k < r->n_results; k++)
            protobuf_c_message_free_unpacked(&r->results[k]->base, NULL);
        r->n_results = 0;
    }
    l->rounds = (Cogov__V1__Round **)v;
    l->n_rounds = n;
    rep->body_case = COGOV__V1__REPLY__BODY_ROUND_LIST;
    rep->round_list = l;
    return OK;
}

/* ---- warnings, facts, health --------------------------------------------- */

static Cogov__V1__StatusCode
list_warnings(svc_t *s, void *app, const svc_ctx_t *c,
              const Cogov__V1__Request *req, Cogov__V1__Reply *rep)
{
    const Cogov__V1__ListWarnings *in = req->list_warnings;
    const char *member = str_empty(in->member_id) ? NULL : in->member_id;
    const char *own = supv_own_unit(c->who);
    ProtobufCMessage **v = NULL;
    size_t n = 0, k = 0;
    int err;

    (void)app;
    if (own) {
        if (member && strcmp(member, own) != 0)
            return svc_fail(rep, DENIED,
                            "list_warnings.member_id: a member "
                            "representative sees its own unit only");
        member = own;
    }
    err = supv_store_objs(svc_store(s), "warning", member, 0, 0,
                          &cogov__v1__warning_raised__descriptor, &v, &n);
    if (err < 0)
        return supv_store_fail(rep, err, "warnings");
    for (size_t i = 0; i < n; i++) {
        Cogov__V1__WarningRaised *w = (Cogov__V1__WarningRaised *)v[i];
        if (in->has_kind && in->kind != 0 && w->kind != in->kind)
            protobuf_c_message_free_unpacked(v[i], NULL);
        else
            v[k++] = v[i];
    }
    Cogov__V1__WarningList *l = xmalloc(sizeof *l);
    cogov__v1__warning_list__init(l);
    l->warnings = (Cogov__V1__WarningRaised **)v;
    l->n_warnings = k;
    rep->body_case = COGOV__V1__REPLY__BODY_WARNING_LIST;
    rep->warning_list = l;
    return OK;
}

static Cogov__V1__StatusCode
list_facts(svc_t *s, void *app, const svc_ctx_t *c,
           const Cogov__V1__Request *req, Cogov__V1__Reply *rep)
{
    const supv_app_t *a = app;
    const Cogov__V1__ListFacts *in = req->list_facts;
    const char *member = str_empty(in->member_id) ? NULL : in->member_id;
    const char *own = supv_own_unit(c->who);
    int64_t from = INT64_MIN, to = 0;
    supv_fact_t *f = NULL;
    size_t n = 0;
    int err;

    if (own) {
        if (member && strcmp(member, own) != 0)
            return svc_fail(rep, DENIED,
                            "list_facts.member_id: a member "
                            "representative sees its own unit only");
        member = own;
    }
    if (!str_empty(in->period) &&
        period_bounds(in->period, a->cfg->utc_offset_s, &from, &to) < 0)
        return svc_fail(rep, INVALID,
                        "list_facts.period: \"YYYY\" or "
                        "\"YYYYQn\"");
    err = supv_store_facts(svc_store(s), member, from, to, &f, &n);
    if (err < 0)
        return supv_store_fail(rep, err, "facts");
    Cogov__V1__FactList *l = xmalloc(sizeof *l);
    cogov__v1__fact_list__init(l);
    l->facts = xmalloc((n ? n : 1) * sizeof *l->facts);
    for (size_t i = 0; i < n; i++) {
        Cogov__V1__Fact *x = xmalloc(sizeof *x);
        cogov__v1__fact__init(x);
        int64_t days = (f[i].at + a->cfg->utc_offset_s) / 86400;
        /* civil from days (Hinnant) */
        int64_t z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
        unsigned doe = (unsigned)(z - era * 146097);
        unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        unsigned mp = (5 * doy + 2) / 153, d = doy - (153 * mp + 2) / 5 + 1;
        unsigned m = mp < 10 ? mp + 3 : mp - 9;
        int64_t y = (int64_t)yoe + era * 400 + (m <= 2);
        x->member_id = f[i].member_id;
        x->source = f[i].source;
        x->event_id = f[i].event_id;
        x->day = xasprintf("%04" PRId64 "-%02u-%02u", y, m, d);
        x->has_value = true;
        x->value = f[i].value;
        l->facts[l->n_facts++] = x;
    }
    free(f); /* strings moved into the reply */
    rep->body_case = COGOV__V1__REPLY__BODY_FACT_LIST;
    rep->fact_list = l;
    return OK;
}

typedef struct health_def {
    const char *name, *num, *den; /* den NULL: count of num's facts */
    const char *definition;
    bool count_den; /* den counts den's facts (their values are 0) */
} health_def_t;

static const health_def_t health_defs[] = {
    {"dialogue", "meeting.attended", NULL,
     "对话 dialogue: meetings attended / meetings invited to (meeting_held "
     "check-ins)",
     false},
    {"trust", "pledge.on_time", "pledge.made",
     "信任 trust: pledges delivered on time / pledges made (pledge_delivered "
     "on_time, pledge_made)",
     false},
    {"small_wins", "milestone.on_time", NULL,
     "阶段性成果 small wins: milestones completed on time / milestones "
     "completed (milestone_completed on_time)",
     false},
    {"facilitative_leadership", "inquiry.on_time", NULL,
     "促进型领导 facilitative leadership: inquiries answered within the SLA / "
     "inquiries answered (inquiry_answered)",
     false},
    {"shared_understanding", "resolution.unopposed", NULL,
     "共识 shared understanding (consortium): resolutions adopted without a "
     "vote against / resolutions adopted (resolution_adopted)",
     false},
    {"participation", "vote.cast", "vote.eligible",
     "参与 participation: votes cast / votes the unit was eligible for "
     "(vote_cast; vote_opened's eligible units)",
     true},
};

/* inclusiveness is over member types, not a ratio of facts: below. */
static const char inclusiveness_def[] =
    "包容性 inclusiveness (consortium): member types of which at least one "
    "unit cast a vote / member types among the units eligible to vote "
    "(vote_cast, vote_opened; types as coordination announced them; per "
    "member: '-')";

static int
type_of(const supv_member_t *m, size_t n_m, const char *member)
{
    for (size_t i = 0; i < n_m; i++)
        if (strcmp(m[i].member_id, member) == 0)
            return m[i].type;
    return 0;
}

/* Member types (bits by type number) that voted / were eligible. For a
 * member row: -1 (not a figure of one unit). */
static Cogov__V1__HealthFigure *
inclusiveness(const supv_fact_t *f, size_t n, const supv_member_t *m,
              size_t n_m, const char *member, bool explain)
{
    uint64_t voted = 0, eligible = 0;
    Cogov__V1__HealthFigure *x = xmalloc(sizeof *x);

    for (size_t i = 0; member == NULL && i < n; i++) {
        bool cast = strcmp(f[i].source, "vote.cast") == 0;
        if (!cast && strcmp(f[i].source, "vote.eligible") != 0)
            continue;
        int t = type_of(m, n_m, f[i].member_id);
        if (t <= 0 || t >= 64)
            continue;
        eligible |= 1ull << t;
        if (cast)
            voted |= 1ull << t;
    }
    cogov__v1__health_figure__init(x);
    x->name = xstrdup("inclusiveness");
    x->has_numerator = x->has_denominator = x->has_permille = true;
    x->numerator = __builtin_popcountll(voted & eligible);
    x->denominator = __builtin_popcountll(eligible);
    x->permille =
        x->denominator > 0 ? x->numerator * 1000 / x->denominator : -1;
    x->definition = xstrdup(explain ? inclusiveness_def : "");
    return x;
}

static void
health_row(Cogov__V1__HealthRow *row, const supv_fact_t *f, size_t n,
           const supv_member_t *m, size_t n_m, const char *member, bool explain)
{
    row->figures = xmalloc((ARRAY_LEN(health_defs) + 1) * sizeof *row->figures);
    for (size_t d = 0; d < ARRAY_LEN(health_defs); d++) {
        const health_def_t *h = &health_defs[d];
        int64_t num = 0, den = 0;
        for (size_t i = 0; i < n; i++) {
            if (member && strcmp(f[i].member_id, member) != 0)
                continue;
            if (strcmp(f[i].source, h->num) == 0) {
                num += f[i].value;
                if (h->den == NULL)
                    den++;
            } else if (h->den && strcmp(f[i].source, h->den) == 0) {
                den += h->count_den ? 1 : f[i].value;
            }
        }
        Cogov__V1__HealthFigure *x = xmalloc(sizeof *x);
        cogov__v1__health_figure__init(x);
        x->name = xstrdup(h->name);
        x->has_numerator = x->has_denominator = x->has_permille = true;
        x->numerator = num;
        x->denominator = den;
        x->permille = den > 0 ? num * 1000 / den : -1;
        x->definition = xstrdup(explain ? h->definition : "");
        row->figures[row->n_figures++] = x;
    }
    row->figures[row->n_figures++] =
        inclusiveness(f, n, m, n_m, member, explain);
}

static Cogov__V1__StatusCode
get_health(svc_t *s, void *app, const svc_ctx_t *c,
           const Cogov__V1__Request *req, Cogov__V1__Reply *rep)
{
    const supv_app_t *a = app;
    const Cogov__V1__GetHealth *in = req->get_health;
    const char *own = supv_own_unit(c->who);
    const char *only = str_empty(in->member_id) ? NULL : in->member_id;
    int64_t from = INT64_MIN, to = 0;
    supv_member_t *m = NULL;
    supv_fact_t *f = NULL;
    size_t n_m = 0, n_f = 0;
    int err;

    if (own) {
        if (only && strcmp(only, own) != 0)
            return svc_fail(rep, DENIED,
                            "get_health.member_id: a member "
                            "representative sees its own unit only");
        only = own;
    }
    if (!str_empty(in->period) &&
        period_bounds(in->period, a->cfg->utc_offset_s, &from, &to) < 0)
        return svc_fail(rep, INVALID,
                        "get_health.period: \"YYYY\" or "
                        "\"YYYYQn\"");
    err = supv_store_members(svc_store(s), &m, &n_m);
    if (err == 0)
        err = supv_store_facts(svc_store(s), NULL, from, to, &f, &n_f);
    if (err < 0) {
        supv_members_free(m, n_m);
        return supv_store_fail(rep, err, "health");
    }
    Cogov__V1__Health *h = xmalloc(sizeof *h);
    cogov__v1__health__init(h);
    h->period = xstrdup(in->period ? in->period : "");
    h->rows = xmalloc((n_m + 1) * sizeof *h->rows);
    if (only == NULL) {
        Cogov__V1__HealthRow *row = xmalloc(sizeof *row);
        cogov__v1__health_row__init(row);
        row->member_id = xstrdup("");
        row->name = xstrdup("联合体 consortium");
        health_row(row, f, n_f, m, n_m, NULL, in->explain);
        h->rows[h->n_rows++] = row;
    }
    for (size_t i = 0; i < n_m; i++) {
        if (only && strcmp(only, m[i].member_id) != 0)
            continue;
        Cogov__V1__HealthRow *row = xmalloc(sizeof *row);
        cogov__v1__health_row__init(row);
        row->member_id = xstrdup(m[i].member_id);
        row->name = xstrdup(m[i].name);
        health_row(row, f, n_f, m, n_m, m[i].member_id, in->explain);
        h->rows[h->n_rows++] = row;
    }
    supv_members_free(m, n_m);
    supv_facts_free(f, n_f);
    rep->body_case = COGOV__V1__REPLY__BODY_HEALTH;
    rep->health = h;
    return OK;
}

#define BODY(x) COGOV__V1__REQUEST__BODY_##x
#define SUP R(SUPERVISOR)

const svc_route_t supv_routes[] = {
    {BODY(LOAD_INDICATORS), SUP, true, load_indicators},
    {BODY(LIST_INDICATORS), READ_ROLES, false, list_indicators},
    {BODY(DRAFT_ROUND), SUP, true, draft_round},
    {BODY(REVIEW_ROUND), SUP, true, review_round},
    {BODY(PUBLISH_ROUND), SUP, true, publish_round},
    {BODY(GET_ROUND), READ_ROLES, false, get_round},
    {BODY(LIST_ROUNDS), READ_ROLES, false, list_rounds},
    {BODY(LIST_WARNINGS), READ_ROLES, false, list_warnings},
    {BODY(ISSUE_RECTIFICATION), SUP, true, supv_issue_rect},
    {BODY(SUBMIT_RECTIFICATION_REPORT), SUP | R(MEMBER_REP), true,
     supv_report_rect},
    {BODY(DECIDE_RECTIFICATION), SUP, true, supv_decide_rect},
    {BODY(GET_RECTIFICATION), READ_ROLES, false, supv_get_rect},
    {BODY(LIST_RECTIFICATIONS), READ_ROLES, false, supv_list_rects},
    {BODY(GET_HEALTH), READ_ROLES, false, get_health},
    {BODY(LIST_FACTS), READ_ROLES, false, list_facts},
};
const size_t supv_n_routes = ARRAY_LEN(supv_routes);

/* lists: the three lists (三张清单, DESIGN 1.2) — enterprises' demands,
 * schools' supply — the occupation <-> major map, and the matches a
 * coordinator turns into tasks. Scoring lives in matcher.c (pure). */
#include "coord_handlers.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coord_store.h"
#include "log.h"
#include "matcher.h"
#include "util.h"

#define MT(x) COGOV__V1__MEMBER_TYPE__MEMBER_TYPE_##x
#define DK(x) COGOV__V1__DEMAND_KIND__DEMAND_KIND_##x
#define TK(x) COGOV__V1__TASK_KIND__TASK_KIND_##x

#define SKILL_MAX_CHARS 20
#define MAP_MAX_BYTES (256 * 1024)
#define PROPOSE_DEFAULT_LIMIT 50
#define PROPOSE_MAX_LIMIT 500

/* in tasks.c */
coord_rc coord_task_insert(svc_t *s, const svc_ctx_t *c, Cogov__V1__Reply *rep,
                           const Cogov__V1__CreateTask *t,
                           const char *resolution_id, const char *item_id,
                           int *created);

static coord_rc
emit(svc_t *s, const svc_ctx_t *c, Cogov__V1__Reply *rep, Cogov__V1__Event *ev,
     const char *what)
{
    int err = svc_emit(s, c, ev);
    return err < 0 ? coord_store_fail(rep, err, what) : OK;
}

/* Coordinators, the secretariat and bureau systems post for any unit; a
 * MEMBER_REP for its own unit only. */
static bool
may_post(const principal_t *p, const char *member_id)
{
    if (principal_has(p,
                      R(GOV_COORDINATOR) | R(SECRETARIAT) | R(BUREAU_SYSTEM)))
        return true;
    return p->member_id[0] != 0 && strcmp(p->member_id, member_id) == 0;
}

static const char *
type_name(Cogov__V1__MemberType t)
{
    const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(
        &cogov__v1__member_type__descriptor, (int)t);
    return v != NULL ? v->name + strlen("MEMBER_TYPE_") : "UNSPECIFIED";
}

static bool
is_enterprise(Cogov__V1__MemberType t)
{
    return t == MT(LEADING_ENTERPRISE) || t == MT(ENTERPRISE);
}

static bool
is_school(Cogov__V1__MemberType t)
{
    return t == MT(UNIVERSITY) || t == MT(HIGHER_VOCATIONAL_COLLEGE) ||
           t == MT(SECONDARY_VOCATIONAL_SCHOOL) || t == MT(RESEARCH_INSTITUTE);
}

/* The posting unit: allowed for the caller, ADMITTED, of a fitting type. */
static coord_rc
posting_unit(svc_t *s, const svc_ctx_t *c, Cogov__V1__Reply *rep,
             const char *field, const char *member_id, bool enterprise)
{
    if (str_empty(member_id))
        return svc_fail(rep, INVALID, "%s: required", field);
    if (!may_post(c->who, member_id))
        return svc_fail(rep, DENIED,
                        "a member representative posts for its "
                        "own unit only");
    CHECK(coord_admitted(s, rep, field, member_id));
    Cogov__V1__Member *m = NULL;
    int err = coord_store_member(svc_store(s), member_id, false, &m);
    if (err < 0)
        return coord_store_fail(rep, err, "member");
    coord_rc rc = OK;
    if (enterprise && !is_enterprise(m->type))
        rc = svc_fail(rep, INVALID,
                      "%s: member %s is %s; demands are posted by "
                      "enterprises (LEADING_ENTERPRISE, ENTERPRISE)",
                      field, member_id, type_name(m->type));
    else if (!enterprise && !is_school(m->type))
        rc = svc_fail(rep, INVALID,
                      "%s: member %s is %s; supply is posted by schools and "
                      "institutes (UNIVERSITY, HIGHER_VOCATIONAL_COLLEGE, "
                      "SECONDARY_VOCATIONAL_SCHOOL, RESEARCH_INSTITUTE)",
                      field, member_id, type_name(m->type));
    protobuf_c_message_free_unpacked(&m->base, NULL);
    return rc;
}

/* The content digest of a posting: same id + same digest is a repeat. */
static void
digest_of(const ProtobufCMessage *m, char buf[17])
{
    size_t n = protobuf_c_message_get_packed_size(m);
    uint8_t *b = xmalloc(n ? n : 1);
    protobuf_c_message_pack(m, b);
    snprintf(buf, 17, "%016llx", (unsigned long long)hash64(b, n));
    free(b);
}

/* ---- PostDemand ------------------------------------------------------- */

HANDLER(coord_post_demand)
{
    const Cogov__V1__PostDemand *d = req->post_demand;
    int64_t needed_at = 0;
    char digest[17];
    int err;

    CHECK(coord_id(rep, "post_demand.demand_id", d->demand_id));
    if (!d->has_kind || d->kind <= DK(UNSPECIFIED) || d->kind > DK(TALENT))
        return svc_fail(rep, INVALID,
                        "post_demand.kind: required "
                        "(CORE_PRODUCT, TECHNOLOGY or TALENT)");
    CHECK(
        coord_text(rep, "post_demand.title", d->title, TITLE_MAX_CHARS, true));
    CHECK(coord_text(rep, "post_demand.details", d->details, NOTE_MAX_CHARS,
                     false));
    CHECK(coord_text(rep, "post_demand.skill_level", d->skill_level,
                     SKILL_MAX_CHARS, false));
    if (d->headcount < 0)
        return svc_fail(rep, INVALID,
                        "post_demand.headcount: must not be "
                        "negative");
    CHECK(coord_quantity(rep, "post_demand.headcount", d->headcount));
    if (d->kind == DK(TALENT)) {
        CHECK(coord_text(rep, "post_demand.occupation", d->occupation,
                         MATCH_NAME_MAX_CHARS, true));
        if (d->headcount <= 0)
            return svc_fail(rep, INVALID,
                            "post_demand.headcount: a talent "
                            "demand needs a headcount > 0");
        CHECK(coord_date(s, rep, "post_demand.needed_by", d->needed_by,
                         &needed_at));
    } else {
        CHECK(coord_text(rep, "post_demand.occupation", d->occupation,
                         MATCH_NAME_MAX_CHARS, false));
        if (!str_empty(d->needed_by))
            CHECK(coord_date(s, rep, "post_demand.needed_by", d->needed_by,
                             &needed_at));
    }
    CHECK(posting_unit(s, c, rep, "post_demand.member_id", d->member_id, true));
    digest_of(&d->base, digest);
    err = coord_store_demand_add(svc_store(s), d, needed_at, digest, c->now,
                                 c->causation_id);
    if (err == -EEXIST)
        return svc_fail(rep, CONFLICT,
                        "demand %s exists with other content (nothing is "
                        "edited: post under a new id)",
                        d->demand_id);
    if (err < 0)
        return coord_store_fail(rep, err, "post demand");
    int added = err;
    err = coord_store_demand(svc_store(s), d->demand_id, &rep->demand);
    if (err < 0)
        return coord_store_fail(rep, err, "demand");
    rep->body_case = COGOV__V1__REPLY__BODY_DEMAND;
    if (!added)
        return OK;
    Cogov__V1__Event ev = COGOV__V1__EVENT__INIT;
    ev.payload_case = COGOV__V1__EVENT__PAYLOAD_DEMAND_POSTED;
    ev.demand_posted = rep->demand;
    CHECK(emit(s, c, rep, &ev, "emit demand_posted"));
    log_info("demand.posted", "demand=%s member=%s kind=%d corr=%s",
             log_q(d->demand_id), d->member_id, (int)d->kind,
             c->correlation_id);
    return OK;
}

/* ---- PostSupply ------------------------------------------------------- */

HANDLER(coord_post_supply)
{
    const Cogov__V1__PostSupply *p = req->post_supply;
    int64_t avail_at;
    char digest[17], field[64];
    int err;

    CHECK(coord_id(rep, "post_supply.supply_id", p->supply_id));
    CHECK(coord_text(rep, "post_supply.major", p->major, MATCH_NAME_MAX_CHARS,
                     true));
    if (p->graduates < 0 || p->training_capacity < 0)
        return svc_fail(rep, INVALID, "post_supply.%s: must not be negative",
                        p->graduates < 0 ? "graduates" : "training_capacity");
    CHECK(coord_quantity(rep, "post_supply.graduates", p->graduates));
    CHECK(coord_quantity(rep, "post_supply.training_capacity",
                         p->training_capacity));
    CHECK(coord_date(s, rep, "post_supply.available_on", p->available_on,
                     &avail_at));
    CHECK(coord_text(rep, "post_supply.details", p->details, NOTE_MAX_CHARS,
                     false));
    if (p->n_research_capabilities > LIST_MAX_ENTRIES)
        return svc_fail(rep, INVALID,
                        "post_supply.research_capabilities: at most %d",
                        LIST_MAX_ENTRIES);
    for (size_t i = 0; i < p->n_research_capabilities; i++) {
        snprintf(field, sizeof field, "post_supply.research_capabilities[%zu]",
                 i);
        CHECK(coord_text(rep, field, p->research_capabilities[i],
                         TITLE_MAX_CHARS, true));
        if (strchr(p->research_capabilities[i], '\n') != NULL)
            return svc_fail(rep, INVALID, "%s: one line", field);
    }
    CHECK(
        posting_unit(s, c, rep, "post_supply.member_id", p->member_id, false));
    digest_of(&p->base, digest);
    err = coord_store_supply_add(svc_store(s), p, avail_at, digest, c->now,
                                 c->causation_id);
    if (err == -EEXIST)
        return svc_fail(rep, CONFLICT,
                        "supply %s exists with other content (nothing is "
                        "edited: post under a new id)",
                        p->supply_id);
    if (err < 0)
        return coord_store_fail(rep, err, "post supply");
    int added = err;
    err = coord_store_supply(svc_store(s), p->supply_id, &rep->supply);
    if (err < 0)
        return coord_store_fail(rep, err, "supply");
    rep->body_case = COGOV__V1__REPLY__BODY_SUPPLY;
    if (!added)
        return OK;
    Cogov__V1__Event ev = COGOV__V1__EVENT__INIT;
    ev.payload_case = COGOV__V1__EVENT__PAYLOAD_SUPPLY_POSTED;
    ev.supply_posted = rep->supply;
    CHECK(emit(s, c, rep, &ev, "emit supply_posted"));
    log_info("supply.posted", "supply=%s member=%s corr=%s",
             log_q(p->supply_id), p->member_id, c->correlation_id);
    return OK;
}

/* ---- queries ------------------------------------------------------------ */

HANDLER(coord_list_demands)
{
    const Cogov__V1__ListDemands *l = req->list_demands;
    int err = coord_store_demands(
        svc_store(s), str_empty(l->member_id) ? NULL : l->member_id,
        l->has_kind ? l->kind : DK(UNSPECIFIED), &rep->demand_list);
    if (err < 0)
        return coord_store_fail(rep, err, "demands");
    rep->body_case = COGOV__V1__REPLY__BODY_DEMAND_LIST;
    return OK;
}

HANDLER(coord_list_supplies)
{
    const Cogov__V1__ListSupplies *l = req->list_supplies;
    int err = coord_store_supplies(
        svc_store(s), str_empty(l->member_id) ? NULL : l->member_id,
        &rep->supply_list);
    if (err < 0)
        return coord_store_fail(rep, err, "supplies");
    rep->body_case = COGOV__V1__REPLY__BODY_SUPPLY_LIST;
    return OK;
}

HANDLER(coord_get_occupation_map)
{
    int err = coord_store_map(svc_store(s), NULL, &rep->occupation_map);
    if (err < 0)
        return coord_store_fail(rep, err, "occupation map");
    rep->body_case = COGOV__V1__REPLY__BODY_OCCUPATION_MAP;
    return OK;
}

/* ---- LoadOccupationMap -------------------------------------------------- */

HANDLER(coord_load_occupation_map)
{
    const Cogov__V1__LoadOccupationMap *l = req->load_occupation_map;
    match_map_t m = {0};
    char err_text[256], digest[17];
    coord_rc rc;

    CHECK(coord_text(rep, "load_occupation_map.source", l->source,
                     TITLE_MAX_CHARS, false));
    if (str_empty(l->text))
        return svc_fail(rep, INVALID, "load_occupation_map.text: required");
    size_t len = strlen(l->text);
    if (len > MAP_MAX_BYTES)
        return svc_fail(rep, INVALID,
                        "load_occupation_map.text: at most %d bytes",
                        MAP_MAX_BYTES);
    if (match_map_parse(l->text, len, &m, err_text, sizeof err_text) < 0)
        return svc_fail(rep, INVALID, "load_occupation_map.text: %s", err_text);
    match_map_digest(&m, digest, sizeof digest);
    int err = coord_store_map_put(svc_store(s), &m, l->source, digest, c->now);
    if (err < 0) {
        rc = coord_store_fail(rep, err, "load occupation map");
        goto done;
    }
    Cogov__V1__Event ev = COGOV__V1__EVENT__INIT;
    Cogov__V1__OccupationMapLoaded ml = COGOV__V1__OCCUPATION_MAP_LOADED__INIT;
    ml.has_pairs = true;
    ml.pairs = (uint32_t)m.n;
    ml.source = l->source;
    ml.digest = digest;
    ev.payload_case = COGOV__V1__EVENT__PAYLOAD_OCCUPATION_MAP_LOADED;
    ev.occupation_map_loaded = &ml;
    rc = emit(s, c, rep, &ev, "emit occupation_map_loaded");
    if (rc != OK)
        goto done;
    log_info("occupation_map.loaded", "pairs=%zu digest=%s corr=%s", m.n,
             digest, c->correlation_id);
    err = coord_store_map(svc_store(s), NULL, &rep->occupation_map);
    if (err < 0) {
        rc = coord_store_fail(rep, err, "occupation map");
        goto done;
    }
    rep->body_case = COGOV__V1__REPLY__BODY_OCCUPATION_MAP;
    rc = OK;
done:
    match_map_clear(&m);
    return rc;
}

/* ---- matching ------------------------------------------------------------ */

/* What the matcher works on, loaded from the store. */
typedef struct pool {
    match_map_t map;
    coord_coop_t coop;
    Cogov__V1__DemandList *dl;
    Cogov__V1__SupplyList *sl;
    match_demand_t *d;
    size_t n_d;
    match_supply_t *s;
    size_t n_s;
} pool_t;

static void
pool_free(pool_t *p)
{
    match_map_clear(&p->map);
    coord_coop_free(&p->coop);
    if (p->dl != NULL)
        protobuf_c_message_free_unpacked(&p->dl->base, NULL);
    if (p->sl != NULL)
        protobuf_c_message_free_unpacked(&p->sl->base, NULL);
    free(p->d);
    free(p->s);
}

static bool
admitted(svc_t *s, const char *member_id)
{
    Cogov__V1__MemberStatus st;
    return coord_store_member_status(svc_store(s), member_id, &st) == 0 &&
           st == COGOV__V1__MEMBER_STATUS__MEMBER_STATUS_ADMITTED;
}

/* Load the map, the cooperation pairs, talent demands of ADMITTED units
 * (only demand_id when given) and supplies of ADMITTED units, with what is
 * left of each. */
static coord_rc
pool_load(svc_t *s, Cogov__V1__Reply *rep, const char *demand_id, pool_t *p)
{
    store_t *st = svc_store(s);
    int err = coord_store_map(st, &p->map, NULL);
    if (err < 0)
        return coord_store_fail(rep, err, "occupation map");
    if (p->map.n == 0)
        return svc_fail(rep, CONFLICT,
                        "no occupation map loaded (cogovctl occupation-map "
                        "load occupation_major.csv)");
    err = coord_store_coop(st, &p->coop);
    if (err == 0)
        err = coord_store_demands(st, NULL, DK(TALENT), &p->dl);
    if (err == 0)
        err = coord_store_supplies(st, NULL, &p->sl);
    if (err < 0)
        return coord_store_fail(rep, err, "lists");
    p->d = xcalloc(p->dl->n_demands + 1, sizeof *p->d);
    for (size_t i = 0; i < p->dl->n_demands; i++) {
        const Cogov__V1__Demand *x = p->dl->demands[i];
        if (demand_id != NULL && strcmp(x->demand_id, demand_id) != 0)
            continue;
        if (!admitted(s, x->member_id))
            continue;
        match_demand_t *d = &p->d[p->n_d++];
        d->demand_id = x->demand_id;
        d->member_id = x->member_id;
        d->occupation = x->occupation;
        d->headcount = x->headcount - x->matched;
        d->needed_by = x->needed_by;
        d->needed_by_at = x->needed_by_at;
    }
    p->s = xcalloc(p->sl->n_supplies + 1, sizeof *p->s);
    for (size_t i = 0; i < p->sl->n_supplies; i++) {
        const Cogov__V1__Supply *x = p->sl->supplies[i];
        if (!admitted(s, x->member_id))
            continue;
        match_supply_t *m = &p->s[p->n_s++];
        m->supply_id = x->supply_id;
        m->member_id = x->member_id;
        m->major = x->major;
        m->graduates = x->graduates - x->matched;
        m->available_on = x->available_on;
        m->available_at = x->available_at;
    }
    return OK;
}

static Cogov__V1__MatchProposal *
proposal_of(const match_demand_t *d, const match_supply_t *s,
            const match_result_t *r)
{
    char tid[32];
    Cogov__V1__MatchProposal *m = xmalloc(sizeof *m);
    cogov__v1__match_proposal__init(m);
    m->demand_id = xstrdup(d->demand_id);
    m->supply_id = xstrdup(s->supply_id);
    m->enterprise_id = xstrdup(d->member_id);
    m->school_id = xstrdup(s->member_id);
    m->occupation = xstrdup(d->occupation);
    m->major = xstrdup(s->major);
    m->has_score = m->has_quantity = true;
    m->score = r->score;
    m->quantity = r->quantity;
    m->reason = xstrdup(r->reason);
    match_task_id(d->demand_id, s->supply_id, tid, sizeof tid);
    m->task_id = xstrdup(tid);
    return m;
}

HANDLER(coord_propose_matches)
{
    const Cogov__V1__ProposeMatches *q = req->propose_matches;
    pool_t p;
    match_result_t *r = NULL;
    size_t n = 0;
    coord_rc rc;

    memset(&p, 0, sizeof p);
    size_t limit = q->limit ? q->limit : PROPOSE_DEFAULT_LIMIT;
    if (limit > PROPOSE_MAX_LIMIT)
        return svc_fail(rep, INVALID, "propose_matches.limit: at most %d",
                        PROPOSE_MAX_LIMIT);
    const char *only = str_empty(q->demand_id) ? NULL : q->demand_id;
    if (only != NULL) {
        CHECK(coord_id(rep, "propose_matches.demand_id", only));
        Cogov__V1__Demand *d = NULL;
        int err = coord_store_demand(svc_store(s), only, &d);
        if (err == -ENOENT)
            return svc_fail(rep, NOT_FOUND, "demand %s: not found", only);
        if (err < 0)
            return coord_store_fail(rep, err, "demand");
        bool talent = d->kind == DK(TALENT);
        protobuf_c_message_free_unpacked(&d->base, NULL);
        if (!talent)
            return svc_fail(rep, INVALID,
                            "demand %s is not a talent demand; only talent "
                            "demands are matched",
                            only);
    }
    rc = pool_load(s, rep, only, &p);
    if (rc != OK)
        goto done;
    n = match_propose(&p.map, p.d, p.n_d, p.s, p.n_s, p.coop.pairs, p.coop.n, 0,
                      &r);
    Cogov__V1__MatchList *ml = xmalloc(sizeof *ml);
    cogov__v1__match_list__init(ml);
    rep->match_list = ml;
    rep->body_case = COGOV__V1__REPLY__BODY_MATCH_LIST;
    for (size_t i = 0; i < n && ml->n_matches < limit; i++) {
        const match_demand_t *d = &p.d[r[i].demand];
        const match_supply_t *x = &p.s[r[i].supply];
        int e =
            coord_store_match_exists(svc_store(s), d->demand_id, x->supply_id);
        if (e < 0) {
            rc = coord_store_fail(rep, e, "matches");
            goto done;
        }
        if (e == 1)
            continue;
        ml->matches =
            xrealloc(ml->matches, (ml->n_matches + 1) * sizeof *ml->matches);
        ml->matches[ml->n_matches++] = proposal_of(d, x, &r[i]);
    }
    rc = OK;
done:
    match_results_free(r, n);
    pool_free(&p);
    return rc;
}

static const char *
kind_title(Cogov__V1__TaskKind k)
{
    switch (k) {
    case TK(ORDER_CLASS):
        return "订单班";
    case TK(APPRENTICESHIP):
        return "现代学徒制";
    default:
        return "培训";
    }
}

HANDLER(coord_accept_match)
{
    const Cogov__V1__AcceptMatch *a = req->accept_match;
    pool_t p;
    match_result_t r = {0};
    char tid[32], *title = NULL;
    coord_rc rc;
    int err;

    memset(&p, 0, sizeof p);
    CHECK(coord_id(rep, "accept_match.demand_id", a->demand_id));
    CHECK(coord_id(rep, "accept_match.supply_id", a->supply_id));
    if (!a->has_kind ||
        (a->kind != TK(ORDER_CLASS) && a->kind != TK(APPRENTICESHIP) &&
         a->kind != TK(TRAINING)))
        return svc_fail(rep, INVALID,
                        "accept_match.kind: ORDER_CLASS, "
                        "APPRENTICESHIP or TRAINING");
    CHECK(coord_text(rep, "accept_match.title", a->title, TITLE_MAX_CHARS,
                     false));
    err = coord_store_match_exists(svc_store(s), a->demand_id, a->supply_id);
    if (err < 0)
        return coord_store_fail(rep, err, "matches");
    if (err == 1)
        return svc_fail(rep, CONFLICT,
                        "demand %s and supply %s: already "
                        "accepted",
                        a->demand_id, a->supply_id);
    rc = pool_load(s, rep, NULL, &p);
    if (rc != OK)
        goto done;
    const match_demand_t *d = NULL;
    const match_supply_t *x = NULL;
    for (size_t i = 0; i < p.n_d; i++)
        if (strcmp(p.d[i].demand_id, a->demand_id) == 0)
            d = &p.d[i];
    for (size_t i = 0; i < p.n_s; i++)
        if (strcmp(p.s[i].supply_id, a->supply_id) == 0)
            x = &p.s[i];
    if (d == NULL || x == NULL) {
        const char *what = d == NULL ? "demand" : "supply";
        const char *id = d == NULL ? a->demand_id : a->supply_id;
        rc = svc_fail(rep, NOT_FOUND,
                      "accept_match.%s_id: %s %s not found (or not a talent "
                      "demand, or its unit is not ADMITTED)",
                      what, what, id);
        goto done;
    }
    if (!match_score(&p.map, d, x, p.coop.pairs, p.coop.n, &r)) {
        rc = svc_fail(rep, CONFLICT, "demand %s and supply %s do not match: %s",
                      a->demand_id, a->supply_id,
                      d->headcount <= 0   ? "the demand's headcount is filled"
                      : x->graduates <= 0 ? "the supply's graduates are taken"
                                          : "the occupation is not mapped to "
                                            "the major");
        goto done;
    }
    match_task_id(a->demand_id, a->supply_id, tid, sizeof tid);
    title = str_empty(a->title) ? xasprintf("%s（%s）%s", d->occupation,
                                            x->major, kind_title(a->kind))
                                : xstrdup(a->title);
    Cogov__V1__CreateTask ct = COGOV__V1__CREATE_TASK__INIT;
    char *participants[1] = {(char *)x->member_id};
    ct.task_id = tid;
    ct.title = title;
    ct.has_kind = ct.has_planned_quantity = true;
    ct.kind = a->kind;
    ct.lead_member_id = (char *)d->member_id;
    ct.n_participant_ids = 1;
    ct.participant_ids = participants;
    ct.goal_id = a->goal_id;
    ct.planned_quantity = r.quantity;
    ct.quantity_unit = "人";
    int created = 0;
    rc = coord_task_insert(s, c, rep, &ct, NULL, NULL, &created);
    if (rc != OK)
        goto done;
    if (!created) {
        rc = svc_fail(rep, CONFLICT, "task %s already exists", tid);
        goto done;
    }
    err = coord_store_match_add(svc_store(s), a->demand_id, a->supply_id, tid,
                                a->kind, r.quantity, r.score, c->now);
    if (err < 0) {
        rc = coord_store_fail(rep, err, "accept match");
        goto done;
    }
    Cogov__V1__Event ev = COGOV__V1__EVENT__INIT;
    Cogov__V1__MatchAccepted ma = COGOV__V1__MATCH_ACCEPTED__INIT;
    ma.demand_id = a->demand_id;
    ma.supply_id = a->supply_id;
    ma.enterprise_id = (char *)d->member_id;
    ma.school_id = (char *)x->member_id;
    ma.task_id = tid;
    ma.has_kind = ma.has_quantity = ma.has_score = true;
    ma.kind = a->kind;
    ma.quantity = r.quantity;
    ma.score = r.score;
    ma.reason = r.reason;
    ev.payload_case = COGOV__V1__EVENT__PAYLOAD_MATCH_ACCEPTED;
    ev.match_accepted = &ma;
    rc = emit(s, c, rep, &ev, "emit match_accepted");
    if (rc != OK)
        goto done;
    log_info("match.accepted",
             "demand=%s supply=%s task=%s quantity=%lld "
             "corr=%s",
             log_q(a->demand_id), log_q(a->supply_id), tid,
             (long long)r.quantity, c->correlation_id);
    err = coord_store_task(svc_store(s), tid, true, c->now, &rep->task);
    if (err < 0) {
        rc = coord_store_fail(rep, err, "task");
        goto done;
    }
    rep->body_case = COGOV__V1__REPLY__BODY_TASK;
    rc = OK;
done:
    free(title);
    free(r.reason);
    pool_free(&p);
    return rc;
}

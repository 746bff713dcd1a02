/* handlers: coordination's route table and its commands and queries
 * (DESIGN 1.1). Semantic checks here; SQL in coord_store.c; the member state
 * machine in member_rules.c. */
#include "coord_handlers.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coord_store.h"
#include "log.h"
#include "member_rules.h"
#include "util.h"
#include "validate.h"

#define LIST_ENTRY_MAX_CHARS 200
#define REASON_MAX_CHARS 500

static Cogov__V1__StatusCode
store_fail(Cogov__V1__Reply *rep, int err, const char *what)
{
    if (err == -EBUSY || err == -ENOSPC)
        return svc_fail(rep, UNAVAILABLE, "%s: %s, try again later", what,
                        strerror(-err));
    return svc_fail(rep, INTERNAL, "%s: %s", what, strerror(-err));
}

static Cogov__V1__StatusCode
text_field(Cogov__V1__Reply *rep, const char *field, const char *s,
           size_t max_chars, bool required)
{
    if (required && str_empty(s))
        return svc_fail(rep, INVALID, "%s: required", field);
    if (!valid_text(s ? s : "", max_chars, required))
        return svc_fail(rep, INVALID,
                        "%s: at most %zu characters, no control characters",
                        field, max_chars);
    return OK;
}

static Cogov__V1__StatusCode
text_list(Cogov__V1__Reply *rep, const char *field, char **items, size_t n)
{
    char name[96];

    if (n > LIST_MAX_ENTRIES)
        return svc_fail(rep, INVALID, "%s: at most %d entries", field,
                        LIST_MAX_ENTRIES);
    for (size_t i = 0; i < n; i++) {
        snprintf(name, sizeof name, "%s[%zu]", field, i);
        CHECK(text_field(rep, name, items[i], LIST_ENTRY_MAX_CHARS, true));
    }
    return OK;
}

static void
member_drop_contacts(Cogov__V1__Member *m)
{
    free(m->contact_name);
    free(m->contact_phone);
    free(m->contact_email);
    m->contact_name = m->contact_phone = m->contact_email = NULL;
}

/* Contacts are personal data: coordinators, the secretariat and the unit's
 * own representative see them. */
static bool
sees_contacts(const principal_t *p, const char *member_id)
{
    if (principal_has(p, R(GOV_COORDINATOR) | R(SECRETARIAT)))
        return true;
    return principal_has(p, R(MEMBER_REP)) && p->member_id[0] != 0 &&
           strcmp(p->member_id, member_id) == 0;
}

/* A principal whose only query role is MEMBER_REP may look at its own unit
 * only. */
static bool
confined_to_own_unit(const principal_t *p)
{
    return principal_has(p, R(MEMBER_REP)) &&
           !principal_has(p, QUERY_ROLES & ~R(MEMBER_REP));
}

/* ---- checks shared by the handler files (coord_handlers.h) ------------- */

coord_rc
coord_store_fail(Cogov__V1__Reply *rep, int err, const char *what)
{
    return store_fail(rep, err, what);
}

coord_rc
coord_text(Cogov__V1__Reply *rep, const char *field, const char *s,
           size_t max_chars, bool required)
{
    return text_field(rep, field, s, max_chars, required);
}

coord_rc
coord_id(Cogov__V1__Reply *rep, const char *field, const char *s)
{
    if (str_empty(s))
        return svc_fail(rep, INVALID, "%s: required", field);
    size_t n = strlen(s);
    if (n > ID_MAX_CHARS)
        return svc_fail(rep, INVALID, "%s: at most %d characters", field,
                        ID_MAX_CHARS);
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
              (ch >= '0' && ch <= '9') || strchr("._:/-", ch) != NULL))
            return svc_fail(rep, INVALID,
                            "%s: letters, digits and . _ : / - only", field);
    }
    return OK;
}

coord_rc
coord_date(svc_t *s, Cogov__V1__Reply *rep, const char *field, const char *date,
           int64_t *end_at)
{
    const coord_app_t *a = svc_app(s);
    int64_t t;

    if (str_empty(date))
        return svc_fail(rep, INVALID, "%s: required", field);
    if (!valid_date(date) || time_parse(date, a->utc_offset_s, &t) < 0)
        return svc_fail(rep, INVALID, "%s: not a valid date (YYYY-MM-DD)",
                        field);
    if (end_at != NULL)
        *end_at = t + 86400;
    return OK;
}

coord_rc
coord_quantity(Cogov__V1__Reply *rep, const char *field, int64_t v)
{
    if (v < 0 || v > QUANTITY_MAX)
        return svc_fail(rep, INVALID, "%s: must be between 0 and %lld", field,
                        (long long)QUANTITY_MAX);
    return OK;
}

coord_rc
coord_admitted(svc_t *s, Cogov__V1__Reply *rep, const char *field,
               const char *member_id)
{
    Cogov__V1__MemberStatus st;
    int err;

    if (str_empty(member_id))
        return svc_fail(rep, INVALID, "%s: required", field);
    err = coord_store_member_status(svc_store(s), member_id, &st);
    if (err < 0)
        return store_fail(rep, err, "member");
    if (st == COGOV__V1__MEMBER_STATUS__MEMBER_STATUS_UNSPECIFIED)
        return svc_fail(rep, NOT_FOUND, "%s: member %s not found", field,
                        member_id);
    if (st != COGOV__V1__MEMBER_STATUS__MEMBER_STATUS_ADMITTED)
        return svc_fail(rep, CONFLICT, "%s: member %s is %s, not ADMITTED",
                        field, member_id, member_status_name(st));
    return OK;
}

bool
coord_own_unit_only(const principal_t *p)
{
    return confined_to_own_unit(p);
}

static Cogov__V1__StatusCode
reply_member(svc_t *s, Cogov__V1__Reply *rep, const char *member_id,
             bool contacts)
{
    Cogov__V1__Member *m = NULL;
    int err = coord_store_member(svc_store(s), member_id, contacts, &m);

    if (err == -ENOENT)
        return svc_fail(rep, NOT_FOUND, "member %s: not found", member_id);
    if (err < 0)
        return store_fail(rep, err, "member");
    rep->body_case = COGOV__V1__REPLY__BODY_MEMBER;
    rep->member = m;
    return OK;
}

/* The reply's Member after apply_member: what the row now holds (status
 * APPLIED, applied_at = changed_at = now, no reason; "" stored as NULL), so
 * the reply is not read back from the store. */
static Cogov__V1__Member *
applied_member(const Cogov__V1__ApplyMember *a, int64_t now)
{
    Cogov__V1__Member *m = xmalloc(sizeof *m);

    cogov__v1__member__init(m);
    m->member_id = xstrdup(a->uscc);
    m->uscc = xstrdup(a->uscc);
    m->name = xstrdup(a->name);
    m->has_type = true;
    m->type = a->type;
    m->has_status = true;
    m->status = COGOV__V1__MEMBER_STATUS__MEMBER_STATUS_APPLIED;
    m->has_applied_at = true;
    m->applied_at = now;
    m->has_changed_at = true;
    m->changed_at = now;
    m->contact_name =
        str_empty(a->contact_name) ? NULL : xstrdup(a->contact_name);
    m->contact_phone =
        str_empty(a->contact_phone) ? NULL : xstrdup(a->contact_phone);
    m->contact_email =
        str_empty(a->contact_email) ? NULL : xstrdup(a->contact_email);
    return m;
}

/* ---- FoundConsortium ---------------------------------------------------- */

static Cogov__V1__StatusCode
found_consortium(svc_t *s, void *app, const svc_ctx_t *c,
                 const Cogov__V1__Request *req, Cogov__V1__Reply *rep)
{
    const Cogov__V1__FoundConsortium *f = req->found_consortium;
    store_t *st = svc_store(s);
    int err;

    CHECK(text_field(rep, "found_consortium.name", f->name, NAME_MAX_CHARS,
                     true));
    CHECK(text_field(rep, "found_consortium.city", f->city, NAME_MAX_CHARS,
                     true));
    CHECK(text_field(rep, "found_consortium.park", f->park, NAME_MAX_CHARS,
                     true));
    CHECK(text_field(rep, "found_consortium.lead_department",
                     f->lead_department, NAME_MAX_CHARS, true));
    if (str_empty(f->founded_on))
        return svc_fail(rep, INVALID, "found_consortium.founded_on: required");
    if (!valid_date(f->founded_on))
        return svc_fail(rep, INVALID,
                        "found_consortium.founded_on: not a valid date "
                        "(YYYY-MM-DD)");
    CHECK(text_list(rep, "found_consortium.policy_basis", f->policy_basis,
                    f->n_policy_basis));
    CHECK(text_list(rep, "found_consortium.practical_needs", f->practical_needs,
                    f->n_practical_needs));

    err = coord_store_founded(st);
    if (err < 0)
        return store_fail(rep, err, "consortium");
    if (err == 1)
        return svc_fail(rep, CONFLICT, "consortium already founded");
    err = coord_store_found(st, f, c->now, c->causation_id);
    if (err < 0)
        return store_fail(rep, err, "found consortium");

    Cogov__V1__Event ev = COGOV__V1__EVENT__INIT;
    Cogov__V1__ConsortiumFounded cf = COGOV__V1__CONSORTIUM_FOUNDED__INIT;
    cf.name = f->name;
    cf.city = f->city;
    cf.park = f->park;
    cf.lead_department = f->lead_department;
    cf.founded_on = f->founded_on;
    cf.n_policy_basis = f->n_policy_basis;
    cf.policy_basis = f->policy_basis;
    cf.n_practical_needs = f->n_practical_needs;
    cf.practical_needs = f->practical_needs;
    ev.payload_case = COGOV__V1__EVENT__PAYLOAD_CONSORTIUM_FOUNDED;
    ev.consortium_founded = &cf;
    err = svc_emit(s, c, &ev);
    if (err < 0)
        return store_fail(rep, err, "emit consortium_founded");
    log_info("consortium.founded", "corr=%s", log_q(c->correlation_id));

    err = coord_store_consortium(st, &rep->consortium);
    if (err < 0)
        return store_fail(rep, err, "consortium");
    rep->body_case = COGOV__V1__REPLY__BODY_CONSORTIUM;
    return OK;
}

/* ---- ApplyMember -------------------------------------------------------- */

static Cogov__V1__StatusCode
apply_member(svc_t *s, void *app, const svc_ctx_t *c,
             const Cogov__V1__Request *req, Cogov__V1__Reply *rep)
{
    const Cogov__V1__ApplyMember *a = req->apply_member;
    store_t *st = svc_store(s);
    Cogov__V1__MemberStatus prev;
    bool founded = false;
    int err;

    if (str_empty(a->uscc))
        return svc_fail(rep, INVALID, "apply_member.uscc: required");
    if (!valid_uscc(a->uscc))
        return svc_fail(rep, INVALID,
                        "apply_member.uscc: not a valid unified social credit "
                        "code (18 characters, check character)");
    CHECK(text_field(rep, "apply_member.name", a->name, NAME_MAX_CHARS, true));
    if (!a->has_type ||
        a->type == COGOV__V1__MEMBER_TYPE__MEMBER_TYPE_UNSPECIFIED)
        return svc_fail(rep, INVALID, "apply_member.type: required");
    CHECK(text_field(rep, "apply_member.contact_name", a->contact_name,
                     NAME_MAX_CHARS, false));
    CHECK(text_field(rep, "apply_member.contact_phone", a->contact_phone,
                     NAME_MAX_CHARS, false));
    CHECK(text_field(rep, "apply_member.contact_email", a->contact_email,
                     NAME_MAX_CHARS, false));

    /* A unit never seen in a founded consortium is entered at once; the
     * checks below are for the others (and give the same answers). */
    err = coord_store_member_enter(st, a, c->now, c->causation_id);
    if (err < 0)
        return store_fail(rep, err, "apply member");
    if (err == 0) {
        err = coord_store_apply_state(st, a->uscc, &founded, &prev);
        if (err < 0)
            return store_fail(rep, err, "consortium");
        if (!founded)
            return svc_fail(rep, CONFLICT, "consortium not founded");
        if (!member_may_apply(prev))
            return svc_fail(rep, CONFLICT,
                            "member %s already exists in status %s", a->uscc,
                            member_status_name(prev));
        err = coord_store_member_apply(st, a, prev, c->now, c->causation_id);
        if (err < 0)
            return store_fail(rep, err, "apply member");
    }

    /* No contacts in events (DESIGN 1.1). */
    Cogov__V1__Event ev = COGOV__V1__EVENT__INIT;
    Cogov__V1__MemberApplied ma = COGOV__V1__MEMBER_APPLIED__INIT;
    ma.member_id = a->uscc;
    ma.name = a->name;
    ma.has_type = true;
    ma.type = a->type;
    ev.payload_case = COGOV__V1__EVENT__PAYLOAD_MEMBER_APPLIED;
    ev.member_applied = &ma;
    err = svc_emit(s, c, &ev);
    if (err < 0)
        return store_fail(rep, err, "emit member_applied");
    log_info("member.applied", "member=%s corr=%s", a->uscc,
             log_q(c->correlation_id));
    rep->body_case = COGOV__V1__REPLY__BODY_MEMBER;
    rep->member = applied_member(a, c->now);
    return OK;
}

/* ---- DecideMember ------------------------------------------------------- */

static Cogov__V1__StatusCode
decide_member(svc_t *s, void *app, const svc_ctx_t *c,
              const Cogov__V1__Request *req, Cogov__V1__Reply *rep)
{
    const Cogov__V1__DecideMember *d = req->decide_member;
    store_t *st = svc_store(s);
    Cogov__V1__Member *m = NULL;
    Cogov__V1__MemberStatus to;
    Cogov__V1__Event ev = COGOV__V1__EVENT__INIT;
    Cogov__V1__MemberStatusChanged msc = COGOV__V1__MEMBER_STATUS_CHANGED__INIT;
    Cogov__V1__StatusCode rc = OK;
    int err;

    if (str_empty(d->member_id))
        return svc_fail(rep, INVALID, "decide_member.member_id: required");
    if (!d->has_decision ||
        d->decision == COGOV__V1__MEMBER_DECISION__MEMBER_DECISION_UNSPECIFIED)
        return svc_fail(rep, INVALID, "decide_member.decision: required");
    CHECK(text_field(rep, "decide_member.reason", d->reason, REASON_MAX_CHARS,
                     false));

    /* Read with contacts: the row becomes the reply (no read-back). */
    err = coord_store_member(st, d->member_id, true, &m);
    if (err == -ENOENT)
        return svc_fail(rep, NOT_FOUND, "member %s: not found", d->member_id);
    if (err < 0)
        return store_fail(rep, err, "member");

    err = member_decide(m->status, d->decision, &to);
    if (err == -EPERM) {
        rc = svc_fail(rep, CONFLICT, "cannot %s a member in status %s",
                      member_decision_verb(d->decision),
                      member_status_name(m->status));
        goto done;
    }
    if (err < 0) {
        rc = svc_fail(rep, INVALID, "decide_member.decision: unknown");
        goto done;
    }
    err = coord_store_member_change(st, m->member_id, m->status, to, d->reason,
                                    c->now, c->causation_id);
    if (err < 0) {
        rc = store_fail(rep, err, "decide member");
        goto done;
    }

    msc.member_id = m->member_id;
    msc.name = m->name;
    msc.has_type = true;
    msc.type = m->type;
    msc.has_from = true;
    msc.from = m->status;
    msc.has_to = true;
    msc.to = to;
    msc.reason = str_empty(d->reason) ? NULL : d->reason;
    member_event_set(&ev, d->decision, &msc);
    err = svc_emit(s, c, &ev);
    if (err < 0) {
        rc = store_fail(rep, err, "emit member status change");
        goto done;
    }
    log_info("member.status", "member=%s from=%s to=%s corr=%s", m->member_id,
             member_status_name(m->status), member_status_name(to),
             log_q(c->correlation_id));

    /* What coord_store_member_change wrote ("" stored as NULL). */
    m->status = to;
    m->changed_at = c->now;
    free(m->reason);
    m->reason = str_empty(d->reason) ? NULL : xstrdup(d->reason);
    if (!sees_contacts(c->who, m->member_id))
        member_drop_contacts(m);
    rep->body_case = COGOV__V1__REPLY__BODY_MEMBER;
    rep->member = m;
    return OK;
done:
    protobuf_c_message_free_unpacked(&m->base, NULL);
    return rc;
}

/* ---- queries ------------------------------------------------------------ */

static Cogov__V1__StatusCode
get_consortium(svc_t *s, void *app, const svc_ctx_t *c,
               const Cogov__V1__Request *req, Cogov__V1__Reply *rep)
{
    int err = coord_store_consortium(svc_store(s), &rep->consortium);

    if (err == -ENOENT)
        return svc_fail(rep, NOT_FOUND, "consortium not founded");
    if (err < 0)
        return store_fail(rep, err, "consortium");
    rep->body_case = COGOV__V1__REPLY__BODY_CONSORTIUM;
    err = coord_store_funding(svc_store(s), &rep->consortium->funding,
                              &rep->consortium->n_funding);
    if (err < 0)
        return store_fail(rep, err, "funding");
    return OK;
}

static Cogov__V1__StatusCode
get_member(svc_t *s, void *app, const svc_ctx_t *c,
           const Cogov__V1__Request *req, Cogov__V1__Reply *rep)
{
    const char *id = req->get_member->member_id;

    if (str_empty(id))
        return svc_fail(rep, INVALID, "get_member.member_id: required");
    if (confined_to_own_unit(c->who) && strcmp(c->who->member_id, id) != 0)
        return svc_fail(rep, DENIED,
                        "a member representative may only look up its own "
                        "unit");
    return reply_member(s, rep, id, sees_contacts(c->who, id));
}

static Cogov__V1__StatusCode
list_members(svc_t *s, void *app, const svc_ctx_t *c,
             const Cogov__V1__Request *req, Cogov__V1__Reply *rep)
{
    const Cogov__V1__ListMembers *l = req->list_members;
    int err = coord_store_members(
        svc_store(s),
        l->has_status ? l->status
                      : COGOV__V1__MEMBER_STATUS__MEMBER_STATUS_UNSPECIFIED,
        l->has_type ? l->type : COGOV__V1__MEMBER_TYPE__MEMBER_TYPE_UNSPECIFIED,
        &rep->member_list);

    if (err < 0)
        return store_fail(rep, err, "members");
    rep->body_case = COGOV__V1__REPLY__BODY_MEMBER_LIST;
    return OK;
}

/* ---- calendar ----------------------------------------------------------- */

static Cogov__V1__StatusCode
reply_calendar(svc_t *s, const coord_app_t *a, Cogov__V1__Reply *rep)
{
    char tz[32];
    Cogov__V1__Calendar *cal = xmalloc(sizeof *cal);

    cogov__v1__calendar__init(cal);
    cal->has_now = true;
    cal->now = svc_business_time(s);
    cal->has_manual = true;
    cal->manual = a->manual;
    coord_timezone(a->utc_offset_s, tz, sizeof tz);
    cal->timezone = xstrdup(tz);
    rep->body_case = COGOV__V1__REPLY__BODY_CALENDAR;
    rep->calendar = cal;
    return OK;
}

static Cogov__V1__StatusCode
advance_calendar(svc_t *s, void *app, const svc_ctx_t *c,
                 const Cogov__V1__Request *req, Cogov__V1__Reply *rep)
{
    const coord_app_t *a = app;
    const Cogov__V1__AdvanceCalendar *ac = req->advance_calendar;
    int64_t now = svc_business_time(s);
    char want[32], cur[32];
    int err;

    if (!a->manual)
        return svc_fail(rep, CONFLICT,
                        "the calendar is in system mode; advance_calendar "
                        "needs calendar_mode = manual");
    if (!ac->has_to)
        return svc_fail(rep, INVALID, "advance_calendar.to: required");
    if (ac->to <= now) {
        time_format(ac->to, a->utc_offset_s, want, sizeof want);
        time_format(now, a->utc_offset_s, cur, sizeof cur);
        return svc_fail(rep, CONFLICT,
                        "advance_calendar.to: %s is not after the current "
                        "business time %s",
                        want, cur);
    }
    err = coord_calendar_tick(s, c, ac->to);
    if (err < 0)
        return store_fail(rep, err, "advance calendar");
    return reply_calendar(s, a, rep);
}

static Cogov__V1__StatusCode
get_calendar(svc_t *s, void *app, const svc_ctx_t *c,
             const Cogov__V1__Request *req, Cogov__V1__Reply *rep)
{
    return reply_calendar(s, app, rep);
}

/* ---- the route table ---------------------------------------------------- */

#define BODY(x) COGOV__V1__REQUEST__BODY_##x

const svc_route_t coord_routes[] = {
    {BODY(FOUND_CONSORTIUM), R(GOV_COORDINATOR), true, found_consortium},
    {BODY(APPLY_MEMBER), R(GOV_COORDINATOR) | R(SECRETARIAT) | R(BUREAU_SYSTEM),
     true, apply_member},
    {BODY(DECIDE_MEMBER), R(GOV_COORDINATOR), true, decide_member},
    {BODY(GET_CONSORTIUM), QUERY_ROLES, false, get_consortium},
    {BODY(GET_MEMBER), QUERY_ROLES, false, get_member},
    {BODY(LIST_MEMBERS), QUERY_ROLES, false, list_members},
    {BODY(ADVANCE_CALENDAR), R(GOV_COORDINATOR) | R(OPERATOR), true,
     advance_calendar},
    {BODY(GET_CALENDAR), QUERY_ROLES, false, get_calendar},
    {BODY(ADOPT_CHARTER), R(GOV_COORDINATOR), true, coord_adopt_charter},
    {BODY(GET_CHARTER), QUERY_ROLES, false, coord_get_charter},
    {BODY(ASSIGN_SEAT), R(GOV_COORDINATOR), true, coord_assign_seat},
    {BODY(VACATE_SEAT), R(GOV_COORDINATOR), true, coord_vacate_seat},
    {BODY(LIST_SEATS), QUERY_ROLES, false, coord_list_seats},
    {BODY(DESIGNATE_SECRETARIAT), R(GOV_COORDINATOR), true,
     coord_designate_secretariat},
    {BODY(FORM_COMMITTEE), R(GOV_COORDINATOR), true, coord_form_committee},
    {BODY(SET_VISION), R(GOV_COORDINATOR), true, coord_set_vision},
    {BODY(SET_GOAL), R(GOV_COORDINATOR), true, coord_set_goal},
    {BODY(LIST_GOALS), QUERY_ROLES, false, coord_list_goals},
    {BODY(CREATE_TASK), R(GOV_COORDINATOR) | R(SECRETARIAT), true,
     coord_create_task},
    /* MEMBER_REP: START of a task its unit leads (checked in the handler). */
    {BODY(CHANGE_TASK_STATUS), R(GOV_COORDINATOR) | R(MEMBER_REP), true,
     coord_change_task_status},
    {BODY(REPORT_PROGRESS),
     R(GOV_COORDINATOR) | R(SECRETARIAT) | R(BUREAU_SYSTEM) | R(MEMBER_REP),
     true, coord_report_progress},
    {BODY(COMPLETE_MILESTONE),
     R(GOV_COORDINATOR) | R(SECRETARIAT) | R(MEMBER_REP), true,
     coord_complete_milestone},
    {BODY(GET_TASK), QUERY_ROLES, false, coord_get_task},
    {BODY(LIST_TASKS), QUERY_ROLES, false, coord_list_tasks},
    {BODY(MAKE_PLEDGE), R(GOV_COORDINATOR) | R(SECRETARIAT) | R(MEMBER_REP),
     true, coord_make_pledge},
    {BODY(DELIVER_PLEDGE), R(GOV_COORDINATOR) | R(SECRETARIAT), true,
     coord_deliver_pledge},
    {BODY(LIST_PLEDGES), QUERY_ROLES, false, coord_list_pledges},
    {BODY(OPEN_ESCALATION), R(GOV_COORDINATOR) | R(SECRETARIAT), true,
     coord_open_escalation},
    {BODY(DECIDE_ESCALATION), R(GOV_COORDINATOR), true,
     coord_decide_escalation},
    {BODY(CLOSE_ESCALATION), R(GOV_COORDINATOR), true, coord_close_escalation},
    {BODY(LIST_ESCALATIONS), QUERY_ROLES, false, coord_list_escalations},
    {BODY(GET_DOSSIER), QUERY_ROLES, false, coord_get_dossier},
    /* MEMBER_REP: for its own unit (checked in the handler). */
    {BODY(POST_DEMAND),
     R(GOV_COORDINATOR) | R(SECRETARIAT) | R(BUREAU_SYSTEM) | R(MEMBER_REP),
     true, coord_post_demand},
    {BODY(POST_SUPPLY),
     R(GOV_COORDINATOR) | R(SECRETARIAT) | R(BUREAU_SYSTEM) | R(MEMBER_REP),
     true, coord_post_supply},
    {BODY(LIST_DEMANDS), QUERY_ROLES, false, coord_list_demands},
    {BODY(LIST_SUPPLIES), QUERY_ROLES, false, coord_list_supplies},
    {BODY(LOAD_OCCUPATION_MAP), R(GOV_COORDINATOR), true,
     coord_load_occupation_map},
    {BODY(GET_OCCUPATION_MAP), QUERY_ROLES, false, coord_get_occupation_map},
    {BODY(PROPOSE_MATCHES), QUERY_ROLES, false, coord_propose_matches},
    {BODY(ACCEPT_MATCH), R(GOV_COORDINATOR), true, coord_accept_match},
};
const size_t coord_n_routes = ARRAY_LEN(coord_routes);

/* charter: the charter and its versions, the council, the secretariat unit,
 * working committees, the common vision and annual goals (DESIGN 1.1). */
#include "coord_handlers.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "coord_store.h"
#include "log.h"
#include "util.h"

static coord_rc
permille(Cogov__V1__Reply *rep, const char *field, bool has, uint32_t v)
{
    if (!has || v < 1 || v > 1000)
        return svc_fail(rep, INVALID, "%s: required, 1..1000 per mille", field);
    return OK;
}

static coord_rc
emit(svc_t *s, const svc_ctx_t *c, Cogov__V1__Reply *rep, Cogov__V1__Event *ev,
     const char *what)
{
    int err = svc_emit(s, c, ev);
    return err < 0 ? coord_store_fail(rep, err, what) : OK;
}

HANDLER(coord_adopt_charter)
{
    const Cogov__V1__AdoptCharter *a = req->adopt_charter;
    const Cogov__V1__CharterRules *r = a->rules;
    store_t *st = svc_store(s);
    Cogov__V1__Charter *ch = NULL;
    int err;

    CHECK(coord_text(rep, "adopt_charter.title", a->title, TITLE_MAX_CHARS,
                     true));
    CHECK(coord_text(rep, "adopt_charter.text", a->text, TEXT_MAX_CHARS, true));
    if (r == NULL)
        return svc_fail(rep, INVALID, "adopt_charter.rules: required");
    CHECK(permille(rep, "adopt_charter.rules.quorum_permille",
                   r->has_quorum_permille, r->quorum_permille));
    CHECK(permille(rep, "adopt_charter.rules.pass_permille",
                   r->has_pass_permille, r->pass_permille));
    CHECK(permille(rep, "adopt_charter.rules.extraordinary_permille",
                   r->has_extraordinary_permille, r->extraordinary_permille));
    CHECK(coord_date(s, rep, "adopt_charter.effective_on", a->effective_on,
                     NULL));
    if (!str_empty(a->resolution_id))
        CHECK(coord_id(rep, "adopt_charter.resolution_id", a->resolution_id));

    err = coord_store_charter_latest(st);
    if (err < 0)
        return coord_store_fail(rep, err, "charter");
    uint32_t v = (uint32_t)err + 1;
    err = coord_store_charter_add(st, v, a, c->now, c->causation_id);
    if (err < 0)
        return coord_store_fail(rep, err, "adopt charter");
    err = coord_store_charter(st, v, NULL, &ch);
    if (err < 0)
        return coord_store_fail(rep, err, "charter");

    Cogov__V1__Event ev = COGOV__V1__EVENT__INIT;
    Cogov__V1__CharterAdopted ca = COGOV__V1__CHARTER_ADOPTED__INIT;
    ca.has_version = true;
    ca.version = v;
    ca.title = ch->title;
    ca.text = ch->text;
    ca.rules = ch->rules;
    ca.effective_on = ch->effective_on;
    ca.resolution_id = ch->resolution_id;
    ev.payload_case = COGOV__V1__EVENT__PAYLOAD_CHARTER_ADOPTED;
    ev.charter_adopted = &ca;
    rep->body_case = COGOV__V1__REPLY__BODY_CHARTER;
    rep->charter = ch;
    CHECK(emit(s, c, rep, &ev, "emit charter_adopted"));
    log_info("charter.adopted", "version=%u corr=%s", v,
             log_q(c->correlation_id));
    return OK;
}

HANDLER(coord_get_charter)
{
    const Cogov__V1__GetCharter *g = req->get_charter;
    const coord_app_t *a = svc_app(s);
    uint32_t v = g->has_version ? g->version : 0;
    char as_of[32];
    int err;

    /* Version 0 is the one in force on a business date (a version adopted
     * today may take effect next month): by default the calendar's. */
    if (!str_empty(g->as_of)) {
        CHECK(coord_date(s, rep, "get_charter.as_of", g->as_of, NULL));
        str_copy(as_of, sizeof as_of, g->as_of);
    } else {
        time_format(c->now, a->utc_offset_s, as_of, sizeof as_of);
        as_of[10] = 0; /* "YYYY-MM-DD" */
    }
    err = coord_store_charter(svc_store(s), v, as_of, &rep->charter);
    if (err == -ENOENT && v == 0) {
        err = coord_store_charter_latest(svc_store(s));
        if (err < 0)
            return coord_store_fail(rep, err, "charter");
        return err == 0 ? svc_fail(rep, NOT_FOUND, "no charter adopted yet")
                        : svc_fail(rep, NOT_FOUND,
                                   "no charter in force on %s (%d version(s) "
                                   "adopted, none effective yet)",
                                   as_of, err);
    }
    if (err == -ENOENT)
        return svc_fail(rep, NOT_FOUND, "charter version %u: not found", v);
    if (err < 0)
        return coord_store_fail(rep, err, "charter");
    rep->body_case = COGOV__V1__REPLY__BODY_CHARTER;
    return OK;
}

static coord_rc
reply_seat(svc_t *s, Cogov__V1__Reply *rep, const char *seat_id)
{
    Cogov__V1__Council *co = xmalloc(sizeof *co);
    Cogov__V1__Seat *x = NULL;
    int err = coord_store_seat(svc_store(s), seat_id, &x);

    cogov__v1__council__init(co);
    rep->body_case = COGOV__V1__REPLY__BODY_COUNCIL;
    rep->council = co;
    if (err < 0)
        return coord_store_fail(rep, err, "seat");
    co->seats = xmalloc(sizeof *co->seats);
    co->seats[0] = x;
    co->n_seats = 1;
    return OK;
}

static coord_rc
emit_seat(svc_t *s, const svc_ctx_t *c, Cogov__V1__Reply *rep,
          const Cogov__V1__Seat *x)
{
    Cogov__V1__Event ev = COGOV__V1__EVENT__INIT;
    Cogov__V1__CouncilSeatAssigned a = COGOV__V1__COUNCIL_SEAT_ASSIGNED__INIT;
    a.seat_id = x->seat_id;
    a.has_role = true;
    a.role = x->role;
    a.member_id = x->member_id;
    a.term_start = x->term_start;
    a.term_end = x->term_end;
    ev.payload_case = COGOV__V1__EVENT__PAYLOAD_COUNCIL_SEAT_ASSIGNED;
    ev.council_seat_assigned = &a;
    return emit(s, c, rep, &ev, "emit council_seat_assigned");
}

HANDLER(coord_assign_seat)
{
    const Cogov__V1__AssignSeat *a = req->assign_seat;
    int64_t start, end;
    int err;

    CHECK(coord_id(rep, "assign_seat.seat_id", a->seat_id));
    if (!a->has_role || a->role == COGOV__V1__SEAT_ROLE__SEAT_ROLE_UNSPECIFIED)
        return svc_fail(rep, INVALID, "assign_seat.role: required");
    CHECK(coord_date(s, rep, "assign_seat.term_start", a->term_start, &start));
    CHECK(coord_date(s, rep, "assign_seat.term_end", a->term_end, &end));
    if (end <= start)
        return svc_fail(rep, INVALID,
                        "assign_seat.term_end: must be after term_start");
    CHECK(coord_admitted(s, rep, "assign_seat.member_id", a->member_id));
    err = coord_store_seat_put(svc_store(s), a->seat_id, a->role, a->member_id,
                               a->term_start, a->term_end, c->now);
    if (err < 0)
        return coord_store_fail(rep, err, "assign seat");
    CHECK(reply_seat(s, rep, a->seat_id));
    CHECK(emit_seat(s, c, rep, rep->council->seats[0]));
    log_info("council.seat", "seat=%s member=%s corr=%s", log_q(a->seat_id),
             a->member_id, log_q(c->correlation_id));
    return OK;
}

HANDLER(coord_vacate_seat)
{
    const Cogov__V1__VacateSeat *v = req->vacate_seat;
    int err;

    CHECK(coord_id(rep, "vacate_seat.seat_id", v->seat_id));
    CHECK(coord_text(rep, "vacate_seat.reason", v->reason, NOTE_MAX_CHARS,
                     false));
    err = coord_store_seat_put(svc_store(s), v->seat_id, 0, NULL, NULL, NULL,
                               c->now);
    if (err == -ENOENT)
        return svc_fail(rep, NOT_FOUND, "seat %s: not found", v->seat_id);
    if (err < 0)
        return coord_store_fail(rep, err, "vacate seat");
    CHECK(reply_seat(s, rep, v->seat_id));
    CHECK(emit_seat(s, c, rep, rep->council->seats[0]));
    log_info("council.seat_vacated", "seat=%s corr=%s", log_q(v->seat_id),
             log_q(c->correlation_id));
    return OK;
}

HANDLER(coord_list_seats)
{
    int err = coord_store_council(svc_store(s), NULL, &rep->council);
    if (err < 0)
        return coord_store_fail(rep, err, "council");
    rep->body_case = COGOV__V1__REPLY__BODY_COUNCIL;
    return OK;
}

HANDLER(coord_designate_secretariat)
{
    const Cogov__V1__DesignateSecretariat *d = req->designate_secretariat;
    int err;

    CHECK(coord_admitted(s, rep, "designate_secretariat.member_id",
                         d->member_id));
    err = coord_store_secretariat_set(svc_store(s), d->member_id);
    if (err < 0)
        return coord_store_fail(rep, err, "designate secretariat");
    Cogov__V1__Event ev = COGOV__V1__EVENT__INIT;
    Cogov__V1__SecretariatDesignated sd =
        COGOV__V1__SECRETARIAT_DESIGNATED__INIT;
    sd.member_id = d->member_id;
    ev.payload_case = COGOV__V1__EVENT__PAYLOAD_SECRETARIAT_DESIGNATED;
    ev.secretariat_designated = &sd;
    CHECK(emit(s, c, rep, &ev, "emit secretariat_designated"));
    log_info("council.secretariat", "member=%s corr=%s", d->member_id,
             log_q(c->correlation_id));
    return coord_list_seats(s, app, c, req, rep);
}

HANDLER(coord_form_committee)
{
    const Cogov__V1__FormCommittee *f = req->form_committee;
    char field[64];
    int err;

    CHECK(coord_id(rep, "form_committee.committee_id", f->committee_id));
    CHECK(
        coord_text(rep, "form_committee.name", f->name, NAME_MAX_CHARS, true));
    if (f->n_member_ids > LIST_MAX_ENTRIES * 4)
        return svc_fail(rep, INVALID, "form_committee.member_ids: at most %d",
                        LIST_MAX_ENTRIES * 4);
    CHECK(coord_admitted(s, rep, "form_committee.convenor_member_id",
                         f->convenor_member_id));
    for (size_t i = 0; i < f->n_member_ids; i++) {
        snprintf(field, sizeof field, "form_committee.member_ids[%zu]", i);
        CHECK(coord_admitted(s, rep, field, f->member_ids[i]));
    }
    err = coord_store_committee_put(svc_store(s), f);
    if (err < 0)
        return coord_store_fail(rep, err, "form committee");
    Cogov__V1__Event ev = COGOV__V1__EVENT__INIT;
    ev.payload_case = COGOV__V1__EVENT__PAYLOAD_COMMITTEE_FORMED;
    Cogov__V1__Committee cm = COGOV__V1__COMMITTEE__INIT;
    cm.committee_id = f->committee_id;
    cm.name = f->name;
    cm.convenor_member_id = f->convenor_member_id;
    cm.n_member_ids = f->n_member_ids;
    cm.member_ids = f->member_ids;
    ev.committee_formed = &cm;
    CHECK(emit(s, c, rep, &ev, "emit committee_formed"));
    log_info("council.committee", "committee=%s corr=%s",
             log_q(f->committee_id), log_q(c->correlation_id));
    return coord_list_seats(s, app, c, req, rep);
}

HANDLER(coord_set_vision)
{
    const Cogov__V1__SetVision *v = req->set_vision;
    int err;

    CHECK(coord_text(rep, "set_vision.text", v->text, TEXT_MAX_CHARS, true));
    err = coord_store_vision_set(svc_store(s), v->text);
    if (err < 0)
        return coord_store_fail(rep, err, "set vision");
    Cogov__V1__Event ev = COGOV__V1__EVENT__INIT;
    Cogov__V1__VisionSet vs = COGOV__V1__VISION_SET__INIT;
    vs.text = v->text;
    ev.payload_case = COGOV__V1__EVENT__PAYLOAD_VISION_SET;
    ev.vision_set = &vs;
    CHECK(emit(s, c, rep, &ev, "emit vision_set"));
    err = coord_store_goals(svc_store(s), 0, &rep->goal_list);
    if (err < 0)
        return coord_store_fail(rep, err, "goals");
    rep->body_case = COGOV__V1__REPLY__BODY_GOAL_LIST;
    return OK;
}

HANDLER(coord_set_goal)
{
    const Cogov__V1__SetGoal *g = req->set_goal;
    int err;

    CHECK(coord_id(rep, "set_goal.goal_id", g->goal_id));
    if (!g->has_year || g->year < 2000 || g->year > 2100)
        return svc_fail(rep, INVALID, "set_goal.year: required, 2000..2100");
    CHECK(coord_id(rep, "set_goal.indicator_code", g->indicator_code));
    CHECK(coord_text(rep, "set_goal.title", g->title, TITLE_MAX_CHARS, false));
    if (!g->has_target_value)
        return svc_fail(rep, INVALID, "set_goal.target_value: required");
    CHECK(coord_quantity(rep, "set_goal.target_value", g->target_value));
    CHECK(coord_text(rep, "set_goal.unit", g->unit, 20, false));
    err = coord_store_goal_put(svc_store(s), g);
    if (err < 0)
        return coord_store_fail(rep, err, "set goal");
    Cogov__V1__Event ev = COGOV__V1__EVENT__INIT;
    Cogov__V1__GoalSet gs = COGOV__V1__GOAL_SET__INIT;
    gs.goal_id = g->goal_id;
    gs.has_year = gs.has_target_value = true;
    gs.year = g->year;
    gs.indicator_code = g->indicator_code;
    gs.title = g->title;
    gs.target_value = g->target_value;
    gs.unit = g->unit;
    ev.payload_case = COGOV__V1__EVENT__PAYLOAD_GOAL_SET;
    ev.goal_set = &gs;
    CHECK(emit(s, c, rep, &ev, "emit goal_set"));
    log_info("goal.set", "goal=%s year=%u corr=%s", log_q(g->goal_id), g->year,
             log_q(c->correlation_id));
    err = coord_store_goals(svc_store(s), g->year, &rep->goal_list);
    if (err < 0)
        return coord_store_fail(rep, err, "goals");
    rep->body_case = COGOV__V1__REPLY__BODY_GOAL_LIST;
    return OK;
}

HANDLER(coord_list_goals)
{
    const Cogov__V1__ListGoals *l = req->list_goals;
    int err = coord_store_goals(svc_store(s), l->has_year ? l->year : 0,
                                &rep->goal_list);
    if (err < 0)
        return coord_store_fail(rep, err, "goals");
    rep->body_case = COGOV__V1__REPLY__BODY_GOAL_LIST;
    return OK;
}

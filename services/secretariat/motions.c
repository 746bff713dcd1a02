/* motions: motions raised by member units, votes by correspondence or at a
 * meeting, the tally (tally.c) and the resolution an adopted motion
 * becomes. A motion is stored whole (sec_store objects "motion"); its
 * ballots travel inside it. Rules: see tally.h. */
#include "secretariat.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "sec_store.h"
#include "tally.h"
#include "util.h"
#include "validate.h"

#define MS(x) COGOV__V1__MOTION_STATUS__MOTION_STATUS_##x
#define MTS(x) COGOV__V1__MEETING_STATUS__MEETING_STATUS_##x
#define KIND "motion"

typedef Cogov__V1__Motion motion_t;

static int
load(svc_t *s, const char *id, motion_t **m)
{
    return sec_store_obj(svc_store(s), KIND, id, &cogov__v1__motion__descriptor,
                         (ProtobufCMessage **)m);
}

static int
save(svc_t *s, const motion_t *m)
{
    int64_t due = m->status == MS(VOTING) ? m->closes_at : 0;
    return sec_store_obj_put(svc_store(s), KIND, m->motion_id, (int)m->status,
                             due, m->opened_at, &m->base);
}

static void
mfree(motion_t *m)
{
    if (m != NULL)
        protobuf_c_message_free_unpacked(&m->base, NULL);
}

static int
emit_motion(svc_t *s, const svc_ctx_t *c, Cogov__V1__Event__PayloadCase pc,
            motion_t *m)
{
    Cogov__V1__Event ev = COGOV__V1__EVENT__INIT;
    Cogov__V1__MotionChanged mc = COGOV__V1__MOTION_CHANGED__INIT;

    mc.motion = m;
    ev.payload_case = pc;
    switch (pc) {
    case COGOV__V1__EVENT__PAYLOAD_MOTION_RAISED:
        ev.motion_raised = &mc;
        break;
    case COGOV__V1__EVENT__PAYLOAD_VOTE_OPENED:
        ev.vote_opened = &mc;
        break;
    default:
        ev.vote_closed = &mc;
        break;
    }
    return svc_emit(s, c, &ev);
}

/* A copy of a reply message into the reply (decode of its encoding). */
static ProtobufCMessage *
dup_msg(const ProtobufCMessage *m)
{
    size_t len = protobuf_c_message_get_packed_size(m);
    uint8_t *buf = xmalloc(len + 1);
    protobuf_c_message_pack(m, buf);
    ProtobufCMessage *out =
        protobuf_c_message_unpack(m->descriptor, NULL, len, buf);
    free(buf);
    return out;
}

static Cogov__V1__StatusCode
reply_motion(Cogov__V1__Reply *rep, motion_t *m)
{
    rep->body_case = COGOV__V1__REPLY__BODY_MOTION;
    rep->motion = m;
    return OK;
}

/* Tally and close a motion at business time `now`; an adopted one emits
 * resolution_adopted (id "res:<motion_id>", so replays converge). */
static int
close_motion(svc_t *s, const svc_ctx_t *c, motion_t *m, int64_t now)
{
    tally_ballot_t *b = xmalloc((m->n_ballots + 1) * sizeof *b);
    tally_in_t in = {0};
    tally_out_t o;
    int err;

    for (size_t i = 0; i < m->n_ballots; i++) {
        b[i].member_id = m->ballots[i]->member_id;
        b[i].choice = m->ballots[i]->choice;
        b[i].cast_at = m->ballots[i]->cast_at;
    }
    in.eligible = (const char *const *)m->eligible;
    in.n_eligible = m->n_eligible;
    in.ballots = b;
    in.n_ballots = m->n_ballots;
    in.rules.version = m->charter_version;
    in.rules.quorum_permille = m->quorum_permille;
    in.rules.pass_permille = m->pass_permille;
    in.consent = m->consent;
    in.closes_at = m->has_closes_at ? m->closes_at : 0;
    tally(&in, &o);
    free(b);

    m->has_status = true;
    m->status = o.outcome;
    m->has_closed_at = true;
    m->closed_at = now;
    m->has_votes_for = m->has_votes_against = true;
    m->has_abstentions = m->has_objections = true;
    m->votes_for = o.votes_for;
    m->votes_against = o.votes_against;
    m->abstentions = o.abstentions;
    m->objections = o.objections;
    if (o.outcome == MS(ADOPTED)) {
        free(m->resolution_id);
        m->resolution_id = xasprintf("res:%s", m->motion_id);
    }
    err = save(s, m);
    if (err == 0)
        err = emit_motion(s, c, COGOV__V1__EVENT__PAYLOAD_VOTE_CLOSED, m);
    if (err == 0 && o.outcome == MS(ADOPTED)) {
        Cogov__V1__Event ev = COGOV__V1__EVENT__INIT;
        Cogov__V1__ResolutionAdopted ra = COGOV__V1__RESOLUTION_ADOPTED__INIT;
        ra.resolution_id = m->resolution_id;
        ra.motion_id = m->motion_id;
        ra.title = m->title;
        ra.text = m->text;
        ra.has_charter_version = true;
        ra.charter_version = m->charter_version;
        ra.has_votes_for = ra.has_votes_against = ra.has_abstentions = true;
        ra.votes_for = o.votes_for;
        ra.votes_against = o.votes_against;
        ra.abstentions = o.abstentions;
        ra.n_action_items = m->n_action_items;
        ra.action_items = m->action_items;
        ra.review_on = m->review_on;
        ra.meeting_id = m->meeting_id;
        ev.payload_case = COGOV__V1__EVENT__PAYLOAD_RESOLUTION_ADOPTED;
        ev.resolution_adopted = &ra;
        err = svc_emit(s, c, &ev);
    }
    if (err == 0)
        log_info("vote.closed",
                 "motion=%s outcome=%d for=%u against=%u "
                 "abstain=%u objections=%u eligible=%u charter=%u corr=%s",
                 log_q(m->motion_id), (int)o.outcome, o.votes_for,
                 o.votes_against, o.abstentions, o.objections, o.eligible,
                 m->charter_version, log_q(c->correlation_id));
    return err;
}

static Cogov__V1__StatusCode
check_items(svc_t *s, Cogov__V1__Reply *rep, const Cogov__V1__RaiseMotion *r)
{
    for (size_t i = 0; i < r->n_action_items; i++) {
        const Cogov__V1__ActionItem *a = r->action_items[i];
        int err;
        if (!sec_id_ok(a->item_id, SEC_ITEM_ID_MAX))
            return svc_fail(rep, INVALID,
                            "raise_motion.action_items[%zu].item_id: 1..%d "
                            "of letters, digits and . _ : -",
                            i, SEC_ITEM_ID_MAX);
        for (size_t j = 0; j < i; j++)
            if (strcmp(r->action_items[j]->item_id, a->item_id) == 0)
                return svc_fail(rep, INVALID,
                                "raise_motion.action_items: "
                                "item_id %s twice",
                                a->item_id);
        if (!valid_text(a->title, 200, true))
            return svc_fail(rep, INVALID,
                            "raise_motion.action_items[%zu]."
                            "title: required",
                            i);
        if (!valid_date(a->due_on))
            return svc_fail(rep, INVALID,
                            "raise_motion.action_items[%zu]."
                            "due_on: YYYY-MM-DD required",
                            i);
        if (!a->has_kind || a->kind == 0)
            return svc_fail(rep, INVALID,
                            "raise_motion.action_items[%zu]."
                            "kind: required",
                            i);
        if (a->has_planned_quantity && a->planned_quantity < 0)
            return svc_fail(rep, INVALID,
                            "raise_motion.action_items[%zu]."
                            "planned_quantity: negative",
                            i);
        if (str_empty(a->owner_member_id))
            return svc_fail(rep, INVALID,
                            "raise_motion.action_items[%zu]."
                            "owner_member_id: required",
                            i);
        err = sec_store_member(svc_store(s), a->owner_member_id, NULL, NULL);
        if (err == -ENOENT)
            return svc_fail(rep, NOT_FOUND,
                            "raise_motion.action_items[%zu]."
                            "owner_member_id: member %s not found",
                            i, a->owner_member_id);
        if (err < 0)
            return sec_store_fail(rep, err, "member");
    }
    return OK;
}

Cogov__V1__StatusCode
sec_raise_motion(svc_t *s, void *app, const svc_ctx_t *c,
                 const Cogov__V1__Request *req, Cogov__V1__Reply *rep)
{
    const Cogov__V1__RaiseMotion *r = req->raise_motion;
    const char *member = r->member_id;
    motion_t *m = NULL;
    char *id;
    Cogov__V1__StatusCode code;
    int err;

    (void)app;
    if (str_empty(member) && !principal_has(c->who, R(SECRETARIAT)))
        member = c->who->member_id;
    if (!sec_acts_for(c->who, member))
        return svc_fail(rep, DENIED,
                        "raise_motion.member_id: a member "
                        "representative raises motions for its own unit only");
    code = sec_need_admitted(s, rep, "raise_motion.member_id", member);
    if (code != OK)
        return code;
    if (!valid_text(r->title, 200, true))
        return svc_fail(rep, INVALID,
                        "raise_motion.title: required, at most "
                        "200 characters");
    if (!valid_text(r->text, 20000, false))
        return svc_fail(rep, INVALID,
                        "raise_motion.text: at most 20000 "
                        "characters");
    if (!str_empty(r->review_on) && !valid_date(r->review_on))
        return svc_fail(rep, INVALID, "raise_motion.review_on: YYYY-MM-DD");
    code = check_items(s, rep, r);
    if (code != OK)
        return code;
    id = sec_id(r->motion_id, "motion", c);
    if (id == NULL)
        return svc_fail(rep, INVALID,
                        "raise_motion.motion_id: 1..40 "
                        "of letters, digits and . _ : -");
    err = load(s, id, &m);
    if (err == 0) {
        mfree(m);
        code = svc_fail(rep, CONFLICT, "motion %s exists already", id);
        free(id);
        return code;
    }
    if (err != -ENOENT) {
        free(id);
        return sec_store_fail(rep, err, "motion");
    }

    Cogov__V1__Motion n = COGOV__V1__MOTION__INIT;
    n.motion_id = id;
    n.member_id = (char *)member;
    n.title = r->title;
    n.text = r->text;
    n.has_consent = true;
    n.consent = r->has_consent && r->consent;
    n.n_action_items = r->n_action_items;
    n.action_items = r->action_items;
    n.review_on = r->review_on;
    n.has_status = true;
    n.status = MS(RAISED);
    n.has_opened_at = true;
    n.opened_at = c->now; /* raised at, until the vote opens */
    err = save(s, &n);
    if (err == 0)
        err = emit_motion(s, c, COGOV__V1__EVENT__PAYLOAD_MOTION_RAISED, &n);
    if (err < 0) {
        free(id);
        return sec_store_fail(rep, err, "raise motion");
    }
    log_info("motion.raised", "motion=%s member=%s corr=%s", log_q(id),
             log_q(member), log_q(c->correlation_id));
    m = (motion_t *)dup_msg(&n.base);
    free(id);
    return reply_motion(rep, m);
}

Cogov__V1__StatusCode
sec_open_vote(svc_t *s, void *app, const svc_ctx_t *c,
              const Cogov__V1__Request *req, Cogov__V1__Reply *rep)
{
    const sec_app_t *a = app;
    const Cogov__V1__OpenVote *o = req->open_vote;
    store_t *st = svc_store(s);
    motion_t *m = NULL;
    charter_rules_t rules;
    char day[16];
    int err;

    if (str_empty(o->motion_id))
        return svc_fail(rep, INVALID, "open_vote.motion_id: required");
    if (str_empty(o->meeting_id) &&
        (!o->has_closes_at || o->closes_at <= c->now))
        return svc_fail(rep, INVALID,
                        "open_vote.closes_at: a vote by "
                        "correspondence needs a closing time after now (%lld)",
                        (long long)c->now);
    if (o->has_closes_at && o->closes_at <= c->now)
        return svc_fail(rep, INVALID, "open_vote.closes_at: not after now");
    if (!str_empty(o->meeting_id)) {
        Cogov__V1__Meeting *mt = NULL;
        err = sec_store_obj(st, "meeting", o->meeting_id,
                            &cogov__v1__meeting__descriptor,
                            (ProtobufCMessage **)&mt);
        if (err == -ENOENT)
            return svc_fail(rep, NOT_FOUND, "meeting %s not found",
                            o->meeting_id);
        if (err < 0)
            return sec_store_fail(rep, err, "meeting");
        bool sched = mt->status == MTS(SCHEDULED);
        protobuf_c_message_free_unpacked(&mt->base, NULL);
        if (!sched)
            return svc_fail(rep, CONFLICT, "meeting %s is not scheduled",
                            o->meeting_id);
    }
    err = load(s, o->motion_id, &m);
    if (err == -ENOENT)
        return svc_fail(rep, NOT_FOUND, "motion %s not found", o->motion_id);
    if (err < 0)
        return sec_store_fail(rep, err, "motion");
    if (m->status != MS(RAISED)) {
        mfree(m);
        return svc_fail(rep, CONFLICT, "motion %s: a vote was opened already",
                        o->motion_id);
    }
    date_of(c->now, a->cfg->utc_offset_s, day, sizeof day);
    err = sec_store_charter_rules(st, day, &rules);
    if (err == 0)
        err = sec_store_admitted(st, 0, &m->eligible, &m->n_eligible);
    if (err < 0) {
        mfree(m);
        return sec_store_fail(rep, err, "open vote");
    }
    m->status = MS(VOTING);
    m->has_opened_at = true;
    m->opened_at = c->now;
    m->has_closes_at = o->has_closes_at;
    m->closes_at = o->has_closes_at ? o->closes_at : 0;
    free(m->meeting_id);
    m->meeting_id = xstrdup(o->meeting_id ? o->meeting_id : "");
    m->has_charter_version = m->has_quorum_permille = true;
    m->has_pass_permille = true;
    m->charter_version = rules.version;
    m->quorum_permille = rules.quorum_permille;
    m->pass_permille = rules.pass_permille;
    err = save(s, m);
    if (err == 0)
        err = emit_motion(s, c, COGOV__V1__EVENT__PAYLOAD_VOTE_OPENED, m);
    if (err < 0) {
        mfree(m);
        return sec_store_fail(rep, err, "open vote");
    }
    log_info("vote.opened",
             "motion=%s eligible=%zu charter=%u closes=%lld "
             "corr=%s",
             log_q(m->motion_id), m->n_eligible, rules.version,
             (long long)m->closes_at, log_q(c->correlation_id));
    return reply_motion(rep, m);
}

Cogov__V1__StatusCode
sec_cast_vote(svc_t *s, void *app, const svc_ctx_t *c,
              const Cogov__V1__Request *req, Cogov__V1__Reply *rep)
{
    const Cogov__V1__CastVote *v = req->cast_vote;
    const char *member = v->member_id;
    Cogov__V1__StatusCode code;
    motion_t *m = NULL;
    bool eligible = false;
    int err;

    (void)app;
    if (str_empty(member) && !principal_has(c->who, R(SECRETARIAT)))
        member = c->who->member_id;
    if (str_empty(v->motion_id))
        return svc_fail(rep, INVALID, "cast_vote.motion_id: required");
    if (!v->has_choice || v->choice == 0)
        return svc_fail(rep, INVALID, "cast_vote.choice: required");
    if (str_empty(member))
        return svc_fail(rep, INVALID, "cast_vote.member_id: required");
    if (!sec_acts_for(c->who, member))
        return svc_fail(rep, DENIED,
                        "cast_vote.member_id: a member "
                        "representative votes for its own unit only");
    err = load(s, v->motion_id, &m);
    if (err == -ENOENT)
        return svc_fail(rep, NOT_FOUND, "motion %s not found", v->motion_id);
    if (err < 0)
        return sec_store_fail(rep, err, "motion");
    if (m->status != MS(VOTING)) {
        code = svc_fail(rep, CONFLICT, "motion %s is not open for votes",
                        v->motion_id);
        goto done;
    }
    if (m->has_closes_at && m->closes_at > 0 && c->now >= m->closes_at) {
        code = svc_fail(rep, CONFLICT, "motion %s: voting closed at %lld",
                        v->motion_id, (long long)m->closes_at);
        goto done;
    }
    if (!tally_choice_ok(m->consent, v->choice)) {
        code = svc_fail(rep, INVALID, "cast_vote.choice: %s",
                        m->consent ? "a consent decision takes FOR or "
                                     "OBJECTION"
                                   : "FOR, AGAINST or ABSTAIN");
        goto done;
    }
    for (size_t i = 0; i < m->n_eligible; i++)
        if (strcmp(m->eligible[i], member) == 0)
            eligible = true;
    if (!eligible) {
        code = svc_fail(rep, CONFLICT,
                        "member %s was not an admitted member "
                        "unit when the vote on %s opened",
                        member, v->motion_id);
        goto done;
    }
    code = sec_need_admitted(s, rep, "cast_vote.member_id", member);
    if (code != OK)
        goto done;
    for (size_t i = 0; i < m->n_ballots; i++)
        if (strcmp(m->ballots[i]->member_id, member) == 0) {
            code = svc_fail(rep, CONFLICT,
                            "member %s has voted on %s "
                            "already",
                            member, v->motion_id);
            goto done;
        }

    Cogov__V1__Ballot *b = xmalloc(sizeof *b);
    cogov__v1__ballot__init(b);
    b->member_id = xstrdup(member);
    b->has_choice = b->has_cast_at = true;
    b->choice = v->choice;
    b->cast_at = c->now;
    m->ballots = xrealloc(m->ballots, (m->n_ballots + 1) * sizeof *m->ballots);
    m->ballots[m->n_ballots++] = b;

    Cogov__V1__Event ev = COGOV__V1__EVENT__INIT;
    Cogov__V1__VoteCast vc = COGOV__V1__VOTE_CAST__INIT;
    vc.motion_id = m->motion_id;
    vc.member_id = (char *)member;
    vc.has_choice = true;
    vc.choice = v->choice;
    ev.payload_case = COGOV__V1__EVENT__PAYLOAD_VOTE_CAST;
    ev.vote_cast = &vc;
    err = save(s, m);
    if (err == 0)
        err = svc_emit(s, c, &ev);
    if (err == 0) {
        /* Everyone eligible has voted: close at once. */
        tally_in_t in = {0};
        tally_ballot_t *tb = xmalloc(m->n_ballots * sizeof *tb);
        for (size_t i = 0; i < m->n_ballots; i++) {
            tb[i].member_id = m->ballots[i]->member_id;
            tb[i].choice = m->ballots[i]->choice;
            tb[i].cast_at = m->ballots[i]->cast_at;
        }
        in.eligible = (const char *const *)m->eligible;
        in.n_eligible = m->n_eligible;
        in.ballots = tb;
        in.n_ballots = m->n_ballots;
        in.closes_at = m->closes_at;
        bool all = tally_all_voted(&in);
        free(tb);
        if (all)
            err = close_motion(s, c, m, c->now);
    }
    if (err < 0) {
        code = sec_store_fail(rep, err, "cast vote");
        goto done;
    }
    log_info("vote.cast", "motion=%s member=%s choice=%d corr=%s",
             log_q(m->motion_id), log_q(member), (int)v->choice,
             log_q(c->correlation_id));
    return reply_motion(rep, m);
done:
    mfree(m);
    return code;
}

/* What a MEMBER_REP sees of motions (sec_confined): a RAISED motion only if
 * its own unit raised it (the secretariat has not put it to the members
 * yet); a motion under vote with its own unit's ballot only (ballots stay
 * secret until the vote closes); a closed motion whole, with every ballot
 * and the result. */
static bool
member_sees(const principal_t *p, ProtobufCMessage *msg)
{
    motion_t *m = (motion_t *)msg;
    size_t k = 0;

    if (m->status == MS(RAISED))
        return m->member_id != NULL && strcmp(m->member_id, p->member_id) == 0;
    if (m->status != MS(VOTING))
        return true;
    for (size_t i = 0; i < m->n_ballots; i++) {
        if (strcmp(m->ballots[i]->member_id, p->member_id) == 0)
            m->ballots[k++] = m->ballots[i];
        else
            protobuf_c_message_free_unpacked(&m->ballots[i]->base, NULL);
    }
    m->n_ballots = k;
    return true;
}

Cogov__V1__StatusCode
sec_get_motion(svc_t *s, void *app, const svc_ctx_t *c,
               const Cogov__V1__Request *req, Cogov__V1__Reply *rep)
{
    motion_t *m = NULL;
    const char *id = req->get_motion->motion_id;
    int err;

    (void)app;
    (void)c;
    if (str_empty(id))
        return svc_fail(rep, INVALID, "get_motion.motion_id: required");
    err = load(s, id, &m);
    if (err == -ENOENT)
        return svc_fail(rep, NOT_FOUND, "motion %s not found", id);
    if (err < 0)
        return sec_store_fail(rep, err, "motion");
    if (sec_confined(c->who) && !member_sees(c->who, &m->base)) {
        mfree(m);
        return svc_fail(rep, DENIED,
                        "motion %s has not been put to the "
                        "members yet",
                        id);
    }
    return reply_motion(rep, m);
}

Cogov__V1__StatusCode
sec_list_motions(svc_t *s, void *app, const svc_ctx_t *c,
                 const Cogov__V1__Request *req, Cogov__V1__Reply *rep)
{
    const Cogov__V1__ListMotions *l = req->list_motions;
    Cogov__V1__MotionList *ml = xmalloc(sizeof *ml);
    int err;

    (void)app;
    (void)c;
    cogov__v1__motion_list__init(ml);
    err = sec_store_objs(svc_store(s), KIND, l->has_status ? (int)l->status : 0,
                         0, 0, 0, &cogov__v1__motion__descriptor,
                         (ProtobufCMessage ***)&ml->motions, &ml->n_motions);
    if (err == 0 && sec_confined(c->who))
        sec_filter(c->who, (ProtobufCMessage **)ml->motions, &ml->n_motions,
                   member_sees);
    rep->body_case = COGOV__V1__REPLY__BODY_MOTION_LIST;
    rep->motion_list = ml;
    if (err < 0)
        return sec_store_fail(rep, err, "motions");
    return OK;
}

int
sec_motions_tick(svc_t *s, const svc_ctx_t *c, int64_t now)
{
    motion_t **v = NULL;
    size_t n = 0;
    int err = sec_store_objs(svc_store(s), KIND, MS(VOTING), now, 0, 0,
                             &cogov__v1__motion__descriptor,
                             (ProtobufCMessage ***)&v, &n);

    for (size_t i = 0; err == 0 && i < n; i++)
        err = close_motion(s, c, v[i], now);
    for (size_t i = 0; i < n; i++)
        mfree(v[i]);
    free(v);
    return err;
}

int
sec_motions_close_meeting(svc_t *s, const svc_ctx_t *c, const char *meeting_id,
                          int64_t now)
{
    motion_t **v = NULL;
    size_t n = 0;
    int err = sec_store_objs(svc_store(s), KIND, MS(VOTING), 0, 0, 0,
                             &cogov__v1__motion__descriptor,
                             (ProtobufCMessage ***)&v, &n);

    for (size_t i = 0; err == 0 && i < n; i++)
        if (v[i]->meeting_id != NULL &&
            strcmp(v[i]->meeting_id, meeting_id) == 0)
            err = close_motion(s, c, v[i], now);
    for (size_t i = 0; i < n; i++)
        mfree(v[i]);
    free(v);
    return err;
}

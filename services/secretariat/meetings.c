/* meetings: council plenaries, standing councils, joint conferences,
 * working committees and matching fairs; invitations, RSVPs, check-in,
 * quorum from the charter in force when the meeting is held, minutes, and
 * reminders on calendar ticks. Lifecycle: meeting_transition_ok (tally.c).
 * Stored whole (sec_store objects "meeting"); due_at is the reminder time
 * while SCHEDULED. */
#include "secretariat.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "sec_store.h"
#include "tally.h"
#include "util.h"
#include "validate.h"

#define MTS(x) COGOV__V1__MEETING_STATUS__MEETING_STATUS_##x
#define KIND "meeting"

typedef Cogov__V1__Meeting meeting_t;

static int
load(svc_t *s, const char *id, meeting_t **m)
{
    return sec_store_obj(svc_store(s), KIND, id,
                         &cogov__v1__meeting__descriptor,
                         (ProtobufCMessage **)m);
}

static int
save(svc_t *s, const sec_app_t *a, meeting_t *m)
{
    int64_t due = 0;
    if (m->status == MTS(SCHEDULED) && a->cfg->meeting_remind_hours > 0) {
        due = m->starts_at - a->cfg->meeting_remind_hours * 3600;
        if (due <= 0)
            due = 1;
    }
    return sec_store_obj_put(svc_store(s), KIND, m->meeting_id, (int)m->status,
                             due, m->starts_at, &m->base);
}

static void
mfree(meeting_t *m)
{
    if (m != NULL)
        protobuf_c_message_free_unpacked(&m->base, NULL);
}

static int
emit_meeting(svc_t *s, const svc_ctx_t *c, meeting_t *m)
{
    Cogov__V1__Event ev = COGOV__V1__EVENT__INIT;
    Cogov__V1__MeetingChanged mc = COGOV__V1__MEETING_CHANGED__INIT;

    mc.meeting = m;
    switch (m->status) {
    case MTS(SCHEDULED):
        ev.payload_case = COGOV__V1__EVENT__PAYLOAD_MEETING_SCHEDULED;
        ev.meeting_scheduled = &mc;
        break;
    case MTS(HELD):
        ev.payload_case = COGOV__V1__EVENT__PAYLOAD_MEETING_HELD;
        ev.meeting_held = &mc;
        break;
    case MTS(MINUTES_PUBLISHED):
        ev.payload_case = COGOV__V1__EVENT__PAYLOAD_MEETING_MINUTES_PUBLISHED;
        ev.meeting_minutes_published = &mc;
        break;
    default:
        ev.payload_case = COGOV__V1__EVENT__PAYLOAD_MEETING_CANCELLED;
        ev.meeting_cancelled = &mc;
        break;
    }
    return svc_emit(s, c, &ev);
}

static Cogov__V1__StatusCode
reply_meeting(Cogov__V1__Reply *rep, meeting_t *m)
{
    rep->body_case = COGOV__V1__REPLY__BODY_MEETING;
    rep->meeting = m;
    return OK;
}

static Cogov__V1__Attendance *
invitee(meeting_t *m, const char *member)
{
    for (size_t i = 0; member != NULL && i < m->n_invitees; i++)
        if (strcmp(m->invitees[i]->member_id, member) == 0)
            return m->invitees[i];
    return NULL;
}

Cogov__V1__StatusCode
sec_schedule_meeting(svc_t *s, void *app, const svc_ctx_t *c,
                     const Cogov__V1__Request *req, Cogov__V1__Reply *rep)
{
    const Cogov__V1__ScheduleMeeting *r = req->schedule_meeting;
    store_t *st = svc_store(s);
    meeting_t *m = NULL;
    char *id;
    int err;

    if (!r->has_kind || r->kind == 0)
        return svc_fail(rep, INVALID, "schedule_meeting.kind: required");
    if (!valid_text(r->title, 200, true))
        return svc_fail(rep, INVALID, "schedule_meeting.title: required");
    if (!valid_text(r->place, 200, false))
        return svc_fail(rep, INVALID, "schedule_meeting.place: too long");
    if (!r->has_starts_at || r->starts_at <= c->now)
        return svc_fail(rep, INVALID,
                        "schedule_meeting.starts_at: after now "
                        "(%lld) required",
                        (long long)c->now);
    if (r->n_invitees == 0)
        return svc_fail(rep, INVALID, "schedule_meeting.invitees: required");
    for (size_t i = 0; i < r->n_invitees; i++) {
        err = sec_store_member(st, r->invitees[i], NULL, NULL);
        if (err == -ENOENT)
            return svc_fail(rep, NOT_FOUND,
                            "schedule_meeting.invitees: "
                            "member %s not found",
                            r->invitees[i]);
        if (err < 0)
            return sec_store_fail(rep, err, "member");
        for (size_t j = 0; j < i; j++)
            if (strcmp(r->invitees[i], r->invitees[j]) == 0)
                return svc_fail(rep, INVALID,
                                "schedule_meeting.invitees: %s "
                                "twice",
                                r->invitees[i]);
    }
    if (!str_empty(r->convenor_member_id)) {
        err = sec_store_member(st, r->convenor_member_id, NULL, NULL);
        if (err == -ENOENT)
            return svc_fail(rep, NOT_FOUND,
                            "schedule_meeting."
                            "convenor_member_id: member %s not found",
                            r->convenor_member_id);
    }
    for (size_t i = 0; i < r->n_agenda; i++) {
        ProtobufCMessage *mo = NULL;
        err = sec_store_obj(st, "motion", r->agenda[i],
                            &cogov__v1__motion__descriptor, &mo);
        if (err == -ENOENT)
            return svc_fail(rep, NOT_FOUND,
                            "schedule_meeting.agenda: motion "
                            "%s not found",
                            r->agenda[i]);
        if (err < 0)
            return sec_store_fail(rep, err, "motion");
        protobuf_c_message_free_unpacked(mo, NULL);
    }
    id = sec_id(r->meeting_id, "meeting", c);
    if (id == NULL)
        return svc_fail(rep, INVALID,
                        "schedule_meeting.meeting_id: 1..40 "
                        "of letters, digits and . _ : -");
    err = load(s, id, &m);
    if (err != -ENOENT) {
        free(id);
        if (err == 0) {
            mfree(m);
            return svc_fail(rep, CONFLICT, "meeting exists already");
        }
        return sec_store_fail(rep, err, "meeting");
    }
    m = xmalloc(sizeof *m);
    cogov__v1__meeting__init(m);
    m->meeting_id = id;
    m->has_kind = true;
    m->kind = r->kind;
    m->title = xstrdup(r->title);
    m->has_starts_at = true;
    m->starts_at = r->starts_at;
    m->place = xstrdup(r->place ? r->place : "");
    m->convenor_member_id =
        xstrdup(r->convenor_member_id ? r->convenor_member_id : "");
    m->invitees = xmalloc(r->n_invitees * sizeof *m->invitees);
    for (size_t i = 0; i < r->n_invitees; i++) {
        Cogov__V1__Attendance *a = xmalloc(sizeof *a);
        cogov__v1__attendance__init(a);
        a->member_id = xstrdup(r->invitees[i]);
        m->invitees[m->n_invitees++] = a;
    }
    m->agenda = xmalloc((r->n_agenda + 1) * sizeof *m->agenda);
    for (size_t i = 0; i < r->n_agenda; i++)
        m->agenda[m->n_agenda++] = xstrdup(r->agenda[i]);
    m->has_status = true;
    m->status = MTS(SCHEDULED);
    err = save(s, app, m);
    if (err == 0)
        err = emit_meeting(s, c, m);
    if (err < 0) {
        mfree(m);
        return sec_store_fail(rep, err, "schedule meeting");
    }
    log_info("meeting.scheduled", "meeting=%s invitees=%zu corr=%s",
             log_q(m->meeting_id), m->n_invitees, log_q(c->correlation_id));
    return reply_meeting(rep, m);
}

Cogov__V1__StatusCode
sec_meeting_transition(svc_t *s, void *app, const svc_ctx_t *c,
                       const Cogov__V1__Request *req, Cogov__V1__Reply *rep)
{
    const sec_app_t *a = app;
    const Cogov__V1__MeetingTransition *t = req->meeting_transition;
    meeting_t *m = NULL;
    Cogov__V1__StatusCode code;
    int err;

    if (str_empty(t->meeting_id))
        return svc_fail(rep, INVALID,
                        "meeting_transition.meeting_id: "
                        "required");
    if (!t->has_to || t->to == 0)
        return svc_fail(rep, INVALID, "meeting_transition.to: required");
    if (t->to == MTS(MINUTES_PUBLISHED) && !valid_text(t->text, 50000, true))
        return svc_fail(rep, INVALID,
                        "meeting_transition.text: the minutes "
                        "are required");
    if (!valid_text(t->text, 50000, false))
        return svc_fail(rep, INVALID, "meeting_transition.text: invalid");
    err = load(s, t->meeting_id, &m);
    if (err == -ENOENT)
        return svc_fail(rep, NOT_FOUND, "meeting %s not found", t->meeting_id);
    if (err < 0)
        return sec_store_fail(rep, err, "meeting");
    if (!meeting_transition_ok(m->status, t->to)) {
        code = svc_fail(rep, CONFLICT, "meeting %s: %s -> %s not allowed",
                        t->meeting_id,
                        protobuf_c_enum_descriptor_get_value(
                            &cogov__v1__meeting_status__descriptor, m->status)
                            ->name,
                        protobuf_c_enum_descriptor_get_value(
                            &cogov__v1__meeting_status__descriptor, t->to)
                            ? protobuf_c_enum_descriptor_get_value(
                                  &cogov__v1__meeting_status__descriptor, t->to)
                                  ->name
                            : "?");
        mfree(m);
        return code;
    }
    m->status = t->to;
    if (t->to == MTS(HELD)) {
        charter_rules_t rules;
        char day[16];
        size_t in = 0;
        date_of(c->now, a->cfg->utc_offset_s, day, sizeof day);
        err = sec_store_charter_rules(svc_store(s), day, &rules);
        if (err < 0) {
            mfree(m);
            return sec_store_fail(rep, err, "charter");
        }
        for (size_t i = 0; i < m->n_invitees; i++)
            in += m->invitees[i]->checked_in;
        m->has_charter_version = m->has_quorum_permille = true;
        m->has_quorum_met = true;
        m->charter_version = rules.version;
        m->quorum_permille = rules.quorum_permille;
        m->quorum_met = m->n_invitees > 0 &&
                        (uint64_t)in * 1000 >=
                            (uint64_t)rules.quorum_permille * m->n_invitees;
    } else if (t->to == MTS(MINUTES_PUBLISHED)) {
        free(m->minutes);
        m->minutes = xstrdup(t->text);
    } else if (t->to == MTS(CANCELLED)) {
        free(m->cancel_reason);
        m->cancel_reason = xstrdup(t->text ? t->text : "");
    }
    err = save(s, app, m);
    if (err == 0)
        err = emit_meeting(s, c, m);
    if (err == 0 && (t->to == MTS(HELD) || t->to == MTS(CANCELLED)))
        err = sec_motions_close_meeting(s, c, m->meeting_id, c->now);
    if (err < 0) {
        mfree(m);
        return sec_store_fail(rep, err, "meeting");
    }
    log_info("meeting.changed", "meeting=%s status=%d corr=%s",
             log_q(m->meeting_id), (int)m->status, log_q(c->correlation_id));
    return reply_meeting(rep, m);
}

/* RSVP (rsvp = true) or check-in (rsvp = false). */
static Cogov__V1__StatusCode
attend(svc_t *s, void *app, const svc_ctx_t *c, Cogov__V1__Reply *rep,
       const char *what, const char *meeting_id, const char *member, bool rsvp,
       bool attending)
{
    meeting_t *m = NULL;
    Cogov__V1__Attendance *at;
    Cogov__V1__StatusCode code;
    bool changed;
    int err;

    if (str_empty(member) && !principal_has(c->who, R(SECRETARIAT)))
        member = c->who->member_id;
    if (str_empty(meeting_id))
        return svc_fail(rep, INVALID, "%s.meeting_id: required", what);
    if (str_empty(member))
        return svc_fail(rep, INVALID, "%s.member_id: required", what);
    if (!sec_acts_for(c->who, member))
        return svc_fail(rep, DENIED,
                        "%s.member_id: a member representative "
                        "answers for its own unit only",
                        what);
    err = load(s, meeting_id, &m);
    if (err == -ENOENT)
        return svc_fail(rep, NOT_FOUND, "meeting %s not found", meeting_id);
    if (err < 0)
        return sec_store_fail(rep, err, "meeting");
    if (m->status != MTS(SCHEDULED)) {
        code = svc_fail(rep, CONFLICT, "meeting %s is not scheduled (%s)",
                        meeting_id,
                        m->status == MTS(CANCELLED) ? "cancelled" : "held");
        goto fail;
    }
    at = invitee(m, member);
    if (at == NULL) {
        code = svc_fail(rep, CONFLICT, "member %s is not invited to %s", member,
                        meeting_id);
        goto fail;
    }
    if (rsvp) {
        changed = !at->rsvp || at->attending != attending;
        at->has_rsvp = at->has_attending = true;
        at->rsvp = true;
        at->attending = attending;
    } else {
        changed = !at->checked_in;
        at->has_checked_in = true;
        at->checked_in = true;
    }
    if (changed) {
        Cogov__V1__Event ev = COGOV__V1__EVENT__INIT;
        Cogov__V1__MeetingAttendance ma = COGOV__V1__MEETING_ATTENDANCE__INIT;
        ma.meeting_id = m->meeting_id;
        ma.member_id = (char *)member;
        ma.has_attending = ma.has_checked_in = true;
        ma.attending = at->attending;
        ma.checked_in = at->checked_in;
        if (rsvp) {
            ev.payload_case = COGOV__V1__EVENT__PAYLOAD_MEETING_RSVP;
            ev.meeting_rsvp = &ma;
        } else {
            ev.payload_case = COGOV__V1__EVENT__PAYLOAD_MEETING_CHECKED_IN;
            ev.meeting_checked_in = &ma;
        }
        err = save(s, app, m);
        if (err == 0)
            err = svc_emit(s, c, &ev);
        if (err < 0) {
            code = sec_store_fail(rep, err, what);
            goto fail;
        }
    }
    return reply_meeting(rep, m);
fail:
    mfree(m);
    return code;
}

Cogov__V1__StatusCode
sec_rsvp_meeting(svc_t *s, void *app, const svc_ctx_t *c,
                 const Cogov__V1__Request *req, Cogov__V1__Reply *rep)
{
    const Cogov__V1__RsvpMeeting *r = req->rsvp_meeting;
    return attend(s, app, c, rep, "rsvp_meeting", r->meeting_id, r->member_id,
                  true, r->has_attending ? r->attending : true);
}

Cogov__V1__StatusCode
sec_check_in_meeting(svc_t *s, void *app, const svc_ctx_t *c,
                     const Cogov__V1__Request *req, Cogov__V1__Reply *rep)
{
    const Cogov__V1__CheckInMeeting *r = req->check_in_meeting;
    return attend(s, app, c, rep, "check_in_meeting", r->meeting_id,
                  r->member_id, false, false);
}

/* A MEMBER_REP (sec_confined) sees the meetings its unit is invited to or
 * convenes. */
static bool
member_sees(const principal_t *p, ProtobufCMessage *msg)
{
    meeting_t *m = (meeting_t *)msg;
    return invitee(m, p->member_id) != NULL ||
           (m->convenor_member_id != NULL && p->member_id[0] != 0 &&
            strcmp(m->convenor_member_id, p->member_id) == 0);
}

Cogov__V1__StatusCode
sec_get_meeting(svc_t *s, void *app, const svc_ctx_t *c,
                const Cogov__V1__Request *req, Cogov__V1__Reply *rep)
{
    meeting_t *m = NULL;
    const char *id = req->get_meeting->meeting_id;
    int err;

    (void)app;
    (void)c;
    if (str_empty(id))
        return svc_fail(rep, INVALID, "get_meeting.meeting_id: required");
    err = load(s, id, &m);
    if (err == -ENOENT)
        return svc_fail(rep, NOT_FOUND, "meeting %s not found", id);
    if (err < 0)
        return sec_store_fail(rep, err, "meeting");
    if (sec_confined(c->who) && !member_sees(c->who, &m->base)) {
        mfree(m);
        return svc_fail(rep, DENIED, "meeting %s: your unit is not invited",
                        id);
    }
    return reply_meeting(rep, m);
}

Cogov__V1__StatusCode
sec_list_meetings(svc_t *s, void *app, const svc_ctx_t *c,
                  const Cogov__V1__Request *req, Cogov__V1__Reply *rep)
{
    const Cogov__V1__ListMeetings *l = req->list_meetings;
    Cogov__V1__MeetingList *ml = xmalloc(sizeof *ml);
    int err;

    (void)app;
    (void)c;
    cogov__v1__meeting_list__init(ml);
    err = sec_store_objs(svc_store(s), KIND, l->has_status ? (int)l->status : 0,
                         0, 0, 0, &cogov__v1__meeting__descriptor,
                         (ProtobufCMessage ***)&ml->meetings, &ml->n_meetings);
    if (err == 0 && sec_confined(c->who))
        sec_filter(c->who, (ProtobufCMessage **)ml->meetings, &ml->n_meetings,
                   member_sees);
    rep->body_case = COGOV__V1__REPLY__BODY_MEETING_LIST;
    rep->meeting_list = ml;
    if (err < 0)
        return sec_store_fail(rep, err, "meetings");
    return OK;
}

int
sec_meeting_convene(svc_t *s, const sec_app_t *a, const svc_ctx_t *c,
                    const char *meeting_id, Cogov__V1__MeetingKind kind,
                    const char *title, int64_t starts_at, char **invitees,
                    size_t n)
{
    meeting_t *m = NULL;
    int err = load(s, meeting_id, &m);

    if (err == 0) {
        mfree(m);
        return 0;
    }
    if (err != -ENOENT)
        return err;
    m = xmalloc(sizeof *m);
    cogov__v1__meeting__init(m);
    m->meeting_id = xstrdup(meeting_id);
    m->has_kind = true;
    m->kind = kind;
    m->title = xstrdup(title);
    m->has_starts_at = true;
    m->starts_at = starts_at;
    m->place = xstrdup("");
    m->convenor_member_id = xstrdup("");
    m->invitees = xmalloc((n + 1) * sizeof *m->invitees);
    for (size_t i = 0; i < n; i++) {
        Cogov__V1__Attendance *at = xmalloc(sizeof *at);
        cogov__v1__attendance__init(at);
        at->member_id = xstrdup(invitees[i]);
        m->invitees[m->n_invitees++] = at;
    }
    m->has_status = true;
    m->status = MTS(SCHEDULED);
    err = save(s, a, m);
    if (err == 0)
        err = emit_meeting(s, c, m);
    if (err == 0)
        log_info("meeting.convened", "meeting=%s invitees=%zu corr=%s",
                 log_q(m->meeting_id), m->n_invitees, log_q(c->correlation_id));
    mfree(m);
    return err < 0 ? err : 1;
}

/* Reminders: once per meeting per invitee (notice id
 * "remind:meeting:<meeting>:<member>"), on the first tick at or after
 * starts_at - meeting_remind_hours and before the meeting starts. */
int
sec_meetings_tick(svc_t *s, const sec_app_t *a, const svc_ctx_t *c, int64_t now)
{
    meeting_t **v = NULL;
    size_t n = 0;
    int err;

    if (a == NULL || a->cfg->meeting_remind_hours <= 0)
        return 0;
    err = sec_store_objs(svc_store(s), KIND, MTS(SCHEDULED), now, 0, 0,
                         &cogov__v1__meeting__descriptor,
                         (ProtobufCMessage ***)&v, &n);
    for (size_t i = 0; err == 0 && i < n; i++) {
        meeting_t *m = v[i];
        if (m->starts_at <= now)
            continue;
        char *title = xasprintf("会议提醒：%s", m->title);
        char *body = xasprintf(
            "秘书处提醒：会议《%s》将于业务时间 %lld 在"
            "%s举行，请贵单位准时参会并回复是否出席。"
            "会议编号 %s。",
            m->title, (long long)m->starts_at,
            str_empty(m->place) ? "（地点另行通知）" : m->place, m->meeting_id);
        for (size_t j = 0; err == 0 && j < m->n_invitees; j++) {
            char *id = xasprintf("remind:meeting:%s:%s", m->meeting_id,
                                 m->invitees[j]->member_id);
            err = sec_publish_notice(
                s, c, id, COGOV__V1__NOTICE_KIND__NOTICE_KIND_REMINDER, title,
                body, &m->invitees[j]->member_id, 1);
            free(id);
        }
        free(title);
        free(body);
    }
    for (size_t i = 0; i < n; i++)
        mfree(v[i]);
    free(v);
    return err;
}

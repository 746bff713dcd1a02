/* it_secretariat: the secretariat's consultation mechanisms through the real
 * coordination and secretariat daemons and the manual calendar: a vote by
 * correspondence closing on a tick under the charter coordination adopted,
 * resolution_adopted once; a meeting with RSVPs, reminders, check-in,
 * quorum and minutes; general notices and their reminders; an inquiry
 * breaching its SLA once; bad input that changes nothing; a kill during a
 * vote with every ballot counted once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness_req.h"
#include "util.h"

#define OK COGOV__V1__STATUS_CODE__STATUS_OK
#define CONFLICT COGOV__V1__STATUS_CODE__STATUS_CONFLICT
#define DENIED COGOV__V1__STATUS_CODE__STATUS_PERMISSION_DENIED
#define INVALID COGOV__V1__STATUS_CODE__STATUS_INVALID
#define CH(x) COGOV__V1__VOTE_CHOICE__VOTE_CHOICE_##x
#define MS(x) COGOV__V1__MOTION_STATUS__MOTION_STATUS_##x
#define MTS(x) COGOV__V1__MEETING_STATUS__MEETING_STATUS_##x
#define DAY 86400
#define T0 1735747200 /* 2025-01-02 00:00 +08:00 */

typedef struct world {
    cluster_t c;
    keypair_t secr, rep[4]; /* rep[3]: a unit that applied only */
    char unit[4][19];
} world_t;

static int
count_events(cluster_t *c, int which, const char *type)
{
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM outbox WHERE type='%s'",
             type);
    return (int)store_query_int(c->store[which], sql);
}

static void
decide(world_t *w, const char *id, Cogov__V1__MemberDecision d)
{
    Cogov__V1__DecideMember dm = COGOV__V1__DECIDE_MEMBER__INIT;
    dm.member_id = (char *)id;
    dm.has_decision = 1;
    dm.decision = d;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_DECIDE_MEMBER;
    req.decide_member = &dm;
    assert_int_equal(h_code_as(&w->c, H_COORD, &w->c.op, &req), OK);
}

/* Consortium, units A, B, C admitted and D applied, charter v1 (quorum
 * 500, pass 667) in force from 2025-01-01, business time T0. */
static void
setup_world(world_t *w, const char *tag)
{
    static const char *const names[] = {"滨江职业技术学院",
                                        "滨江智能装备有限公司", "滨江工业大学",
                                        "滨江精密机械厂"};
    memset(w, 0, sizeof *w);
    assert_int_equal(cluster_init(&w->c, tag), 0);
    assert_int_equal(cluster_add_principal(&w->c, "secr-office", "-",
                                           "SECRETARIAT", "-", &w->secr),
                     0);
    for (int i = 0; i < 4; i++) {
        char name[16];
        uscc_make(700 + (unsigned)i, w->unit[i]);
        snprintf(name, sizeof name, "rep-%c", 'a' + i);
        assert_int_equal(cluster_add_principal(&w->c, name, w->unit[i],
                                               "MEMBER_REP", "-", &w->rep[i]),
                         0);
    }
    assert_int_equal(cluster_start(&w->c, H_COORD), 0);
    assert_int_equal(cluster_start(&w->c, H_SECR), 0);

    client_t *op = cluster_client(&w->c, H_COORD);
    assert_non_null(op);
    assert_int_equal(h_found(op, "滨江高新区", "2025-01-01"), OK);
    for (int i = 0; i < 4; i++) {
        Cogov__V1__MemberType t =
            i == 1 ? COGOV__V1__MEMBER_TYPE__MEMBER_TYPE_ENTERPRISE
                   : COGOV__V1__MEMBER_TYPE__MEMBER_TYPE_UNIVERSITY;
        /* D applies only */
        assert_int_equal(i < 3 ? h_admit(op, w->unit[i], names[i], t)
                               : h_apply(op, w->unit[i], names[i], t),
                         OK);
    }
    assert_int_equal(h_charter(op), OK);
    client_destroy(&op);
    h_advance_sync(&w->c, T0);
}

static int
raise(world_t *w, const keypair_t *as, const char *id, const char *member,
      bool consent)
{
    Cogov__V1__ActionItem it = COGOV__V1__ACTION_ITEM__INIT;
    Cogov__V1__ActionItem *items[1] = {&it};
    it.item_id = "1";
    it.title = "开设智能制造订单班";
    it.owner_member_id = w->unit[1];
    it.due_on = "2025-09-01";
    it.has_kind = 1;
    it.kind = COGOV__V1__TASK_KIND__TASK_KIND_ORDER_CLASS;
    it.has_planned_quantity = 1;
    it.planned_quantity = 40;
    it.quantity_unit = "人";
    Cogov__V1__RaiseMotion rm = COGOV__V1__RAISE_MOTION__INIT;
    rm.motion_id = (char *)id;
    rm.member_id = (char *)member;
    rm.title = "关于共建订单班的议案";
    rm.text = "建议由智能装备公司与学院共建订单班。";
    rm.has_consent = consent;
    rm.consent = consent;
    rm.n_action_items = 1;
    rm.action_items = items;
    rm.review_on = "2025-10-01";
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_RAISE_MOTION;
    req.raise_motion = &rm;
    return h_code_as(&w->c, H_SECR, as, &req);
}

static int
open_vote(world_t *w, const char *id, int64_t closes_at, const char *meeting)
{
    Cogov__V1__OpenVote ov = COGOV__V1__OPEN_VOTE__INIT;
    ov.motion_id = (char *)id;
    ov.has_closes_at = closes_at != 0;
    ov.closes_at = closes_at;
    ov.meeting_id = (char *)meeting;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_OPEN_VOTE;
    req.open_vote = &ov;
    return h_code_as(&w->c, H_SECR, &w->secr, &req);
}

static int
vote(world_t *w, const keypair_t *as, const char *id, const char *member,
     Cogov__V1__VoteChoice ch)
{
    Cogov__V1__CastVote cv = COGOV__V1__CAST_VOTE__INIT;
    cv.motion_id = (char *)id;
    cv.member_id = (char *)member;
    cv.has_choice = 1;
    cv.choice = ch;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_CAST_VOTE;
    req.cast_vote = &cv;
    return h_code_as(&w->c, H_SECR, as, &req);
}

static Cogov__V1__Reply *
get_motion(world_t *w, const char *id)
{
    Cogov__V1__GetMotion gm = COGOV__V1__GET_MOTION__INIT;
    gm.motion_id = (char *)id;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_GET_MOTION;
    req.get_motion = &gm;
    Cogov__V1__Reply *rep = h_call_as(&w->c, H_SECR, &w->secr, &req);
    assert_int_equal(rep->code, OK);
    assert_int_equal(rep->body_case, COGOV__V1__REPLY__BODY_MOTION);
    return rep;
}

static void
test_vote_by_correspondence(void **state)
{
    (void)state;
    world_t w;
    setup_world(&w, "vote");
    const char *A = w.unit[0], *B = w.unit[1], *C = w.unit[2], *D = w.unit[3];

    /* A representative raises for its own unit only. */
    assert_int_equal(raise(&w, &w.rep[0], "m1", B, false), DENIED);
    assert_int_equal(raise(&w, &w.rep[3], "m1", D, false), CONFLICT);
    assert_int_equal(raise(&w, &w.rep[0], "m1", A, false), OK);
    assert_int_equal(raise(&w, &w.rep[0], "m1", A, false), CONFLICT);
    assert_int_equal(open_vote(&w, "m1", T0 - 1, NULL), INVALID);
    assert_int_equal(open_vote(&w, "m1", T0 + 3 * DAY, NULL), OK);
    assert_int_equal(open_vote(&w, "m1", T0 + 3 * DAY, NULL), CONFLICT);

    assert_int_equal(vote(&w, &w.rep[0], "m1", A, CH(FOR)), OK);
    assert_int_equal(vote(&w, &w.rep[1], "m1", B, CH(FOR)), OK);
    /* Bad input: a second vote, a unit not admitted, a vote for another
     * unit, an objection in an ordinary vote. Nothing changes. */
    assert_int_equal(vote(&w, &w.rep[1], "m1", B, CH(AGAINST)), CONFLICT);
    assert_int_equal(vote(&w, &w.rep[3], "m1", D, CH(FOR)), CONFLICT);
    assert_int_equal(vote(&w, &w.rep[0], "m1", C, CH(FOR)), DENIED);
    assert_int_equal(vote(&w, &w.rep[2], "m1", C, CH(OBJECTION)), INVALID);
    assert_int_equal(vote(&w, &w.rep[2], "nope", C, CH(FOR)),
                     COGOV__V1__STATUS_CODE__STATUS_NOT_FOUND);
    assert_int_equal(count_events(&w.c, H_SECR, "vote_cast"), 2);

    h_advance_sync(&w.c, T0 + DAY);
    Cogov__V1__Reply *r = get_motion(&w, "m1");
    assert_int_equal(r->motion->status, MS(VOTING));
    assert_int_equal(r->motion->n_ballots, 2);
    assert_int_equal(r->motion->n_eligible, 3);
    assert_int_equal(r->motion->charter_version, 1);
    cogov__v1__reply__free_unpacked(r, NULL);

    /* The tick at the closing time closes it: 2 of 3 took part (quorum
     * 500), 2 for of 2 cast (pass 667): adopted under charter 1. */
    h_advance_sync(&w.c, T0 + 3 * DAY);
    r = get_motion(&w, "m1");
    assert_int_equal(r->motion->status, MS(ADOPTED));
    assert_int_equal(r->motion->votes_for, 2);
    assert_int_equal(r->motion->pass_permille, 667);
    assert_string_equal(r->motion->resolution_id, "res:m1");
    cogov__v1__reply__free_unpacked(r, NULL);
    assert_int_equal(count_events(&w.c, H_SECR, "resolution_adopted"), 1);
    /* Coordination turned the action item into task "res:m1/1". */
    assert_int_equal(cluster_sync(&w.c, 20000), 0);
    assert_int_equal(count_events(&w.c, H_COORD, "task_created"), 1);
    assert_int_equal(store_query_int(w.c.store[H_COORD],
                                     "SELECT count(*) FROM outbox WHERE "
                                     "type='task_created' AND "
                                     "instr(CAST(event AS TEXT), 'res:m1/1')"),
                     1);
    /* Late: refused, nothing changed. */
    assert_int_equal(vote(&w, &w.rep[2], "m1", C, CH(AGAINST)), CONFLICT);
    h_advance_sync(&w.c, T0 + 4 * DAY);
    assert_int_equal(count_events(&w.c, H_SECR, "resolution_adopted"), 1);
    assert_int_equal(count_events(&w.c, H_SECR, "vote_closed"), 1);
    assert_int_equal(count_events(&w.c, H_SECR, "vote_cast"), 2);

    /* Early close when all have voted: 1 for, 2 against -> rejected. */
    assert_int_equal(raise(&w, &w.secr, "m2", B, false), OK);
    assert_int_equal(open_vote(&w, "m2", T0 + 10 * DAY, NULL), OK);
    assert_int_equal(vote(&w, &w.rep[0], "m2", A, CH(FOR)), OK);
    assert_int_equal(vote(&w, &w.rep[1], "m2", B, CH(AGAINST)), OK);
    /* A unit suspended mid-vote cannot vote; it stays in the count. */
    decide(&w, C, COGOV__V1__MEMBER_DECISION__MEMBER_DECISION_SUSPEND);
    assert_int_equal(cluster_sync(&w.c, 20000), 0);
    assert_int_equal(vote(&w, &w.rep[2], "m2", C, CH(AGAINST)), CONFLICT);
    decide(&w, C, COGOV__V1__MEMBER_DECISION__MEMBER_DECISION_REINSTATE);
    assert_int_equal(cluster_sync(&w.c, 20000), 0);
    assert_int_equal(vote(&w, &w.rep[2], "m2", C, CH(AGAINST)), OK);
    r = get_motion(&w, "m2");
    assert_int_equal(r->motion->status, MS(REJECTED));
    assert_int_equal(r->motion->votes_against, 2);
    cogov__v1__reply__free_unpacked(r, NULL);
    assert_int_equal(count_events(&w.c, H_SECR, "resolution_adopted"), 1);
    cluster_destroy(&w.c);
}

static int
transition(world_t *w, const char *id, Cogov__V1__MeetingStatus to,
           const char *text)
{
    Cogov__V1__MeetingTransition mt = COGOV__V1__MEETING_TRANSITION__INIT;
    mt.meeting_id = (char *)id;
    mt.has_to = 1;
    mt.to = to;
    mt.text = (char *)text;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_MEETING_TRANSITION;
    req.meeting_transition = &mt;
    return h_code_as(&w->c, H_SECR, &w->secr, &req);
}

static int
rsvp(world_t *w, const keypair_t *as, const char *id, const char *member,
     bool attending)
{
    Cogov__V1__RsvpMeeting r = COGOV__V1__RSVP_MEETING__INIT;
    r.meeting_id = (char *)id;
    r.member_id = (char *)member;
    r.has_attending = 1;
    r.attending = attending;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_RSVP_MEETING;
    req.rsvp_meeting = &r;
    return h_code_as(&w->c, H_SECR, as, &req);
}

static int
check_in(world_t *w, const char *id, const char *member)
{
    Cogov__V1__CheckInMeeting ci = COGOV__V1__CHECK_IN_MEETING__INIT;
    ci.meeting_id = (char *)id;
    ci.member_id = (char *)member;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_CHECK_IN_MEETING;
    req.check_in_meeting = &ci;
    return h_code_as(&w->c, H_SECR, &w->secr, &req);
}

static int
schedule(world_t *w, const char *id, int64_t at, char **agenda, size_t n_ag)
{
    char *inv[3] = {w->unit[0], w->unit[1], w->unit[2]};
    Cogov__V1__ScheduleMeeting sm = COGOV__V1__SCHEDULE_MEETING__INIT;
    sm.meeting_id = (char *)id;
    sm.has_kind = 1;
    sm.kind = COGOV__V1__MEETING_KIND__MEETING_KIND_COUNCIL_PLENARY;
    sm.title = "第一届理事会第二次全体会议";
    sm.has_starts_at = 1;
    sm.starts_at = at;
    sm.place = "滨江职业技术学院行政楼报告厅";
    sm.convenor_member_id = w->unit[0];
    sm.n_invitees = 3;
    sm.invitees = inv;
    sm.n_agenda = n_ag;
    sm.agenda = agenda;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_SCHEDULE_MEETING;
    req.schedule_meeting = &sm;
    return h_code_as(&w->c, H_SECR, &w->secr, &req);
}

static long long
notices_of_kind(world_t *w, int kind)
{
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM notices WHERE kind=%d",
             kind);
    return store_query_int(w->c.store[H_SECR], sql);
}

static void
test_meeting_notices_reminders(void **state)
{
    (void)state;
    world_t w;
    setup_world(&w, "meet");
    const char *A = w.unit[0], *B = w.unit[1], *C = w.unit[2];
    const int REMINDER = COGOV__V1__NOTICE_KIND__NOTICE_KIND_REMINDER;

    /* A motion on the agenda, voted at the meeting. */
    assert_int_equal(raise(&w, &w.rep[0], "m-meet", A, false), OK);
    char *agenda[1] = {"m-meet"};
    assert_int_equal(schedule(&w, "mt1", T0 + 2 * DAY, agenda, 1), OK);
    assert_int_equal(schedule(&w, "mt1", T0 + 2 * DAY, agenda, 1), CONFLICT);
    assert_int_equal(open_vote(&w, "m-meet", 0, "mt1"), OK);
    assert_int_equal(rsvp(&w, &w.rep[0], "mt1", A, true), OK);
    assert_int_equal(rsvp(&w, &w.rep[1], "mt1", B, false), OK);
    assert_int_equal(rsvp(&w, &w.rep[0], "mt1", B, true), DENIED);

    /* A general notice to all at T0. */
    Cogov__V1__PublishNotice pn = COGOV__V1__PUBLISH_NOTICE__INIT;
    pn.title = "关于报送年度合作项目的通知";
    pn.body = "请各成员单位于月底前报送。";
    pn.has_to_all = 1;
    pn.to_all = 1;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_PUBLISH_NOTICE;
    req.publish_notice = &pn;
    assert_int_equal(h_code_as(&w.c, H_SECR, &w.rep[0], &req), DENIED);
    Cogov__V1__Reply *r = h_call_as(&w.c, H_SECR, &w.secr, &req);
    assert_int_equal(r->code, OK);
    assert_int_equal(r->notice->n_addressees, 3);
    char *nid = xstrdup(r->notice->notice_id);
    cogov__v1__reply__free_unpacked(r, NULL);
    Cogov__V1__AcknowledgeNotice an = COGOV__V1__ACKNOWLEDGE_NOTICE__INIT;
    an.notice_id = nid;
    an.member_id = (char *)A;
    req.body_case = COGOV__V1__REQUEST__BODY_ACKNOWLEDGE_NOTICE;
    req.acknowledge_notice = &an;
    assert_int_equal(h_code_as(&w.c, H_SECR, &w.rep[0], &req), OK);

    /* 24 hours before the meeting: one reminder per invitee, once. */
    assert_int_equal(notices_of_kind(&w, REMINDER), 0);
    h_advance_sync(&w.c, T0 + DAY);
    assert_int_equal(notices_of_kind(&w, REMINDER), 3);
    h_advance_sync(&w.c, T0 + DAY + 3600);
    assert_int_equal(notices_of_kind(&w, REMINDER), 3);

    /* Check-in, held: 2 of 3 checked in, quorum 500 met. */
    assert_int_equal(check_in(&w, "mt1", A), OK);
    assert_int_equal(check_in(&w, "mt1", C), OK);
    assert_int_equal(check_in(&w, "mt1", C), OK); /* idempotent */
    assert_int_equal(count_events(&w.c, H_SECR, "meeting_checked_in"), 2);
    assert_int_equal(vote(&w, &w.rep[0], "m-meet", A, CH(FOR)), OK);
    assert_int_equal(vote(&w, &w.rep[2], "m-meet", C, CH(FOR)), OK);
    assert_int_equal(transition(&w, "mt1", MTS(MINUTES_PUBLISHED), "纪要"),
                     CONFLICT);
    assert_int_equal(transition(&w, "mt1", MTS(HELD), NULL), OK);
    Cogov__V1__GetMeeting gm = COGOV__V1__GET_MEETING__INIT;
    gm.meeting_id = "mt1";
    req.body_case = COGOV__V1__REQUEST__BODY_GET_MEETING;
    req.get_meeting = &gm;
    r = h_call_as(&w.c, H_SECR, &w.secr, &req);
    assert_int_equal(r->code, OK);
    assert_int_equal(r->meeting->status, MTS(HELD));
    assert_true(r->meeting->quorum_met);
    assert_int_equal(r->meeting->charter_version, 1);
    cogov__v1__reply__free_unpacked(r, NULL);
    /* Held: the agenda's vote closed, adopted. */
    r = get_motion(&w, "m-meet");
    assert_int_equal(r->motion->status, MS(ADOPTED));
    assert_string_equal(r->motion->meeting_id, "mt1");
    cogov__v1__reply__free_unpacked(r, NULL);
    assert_int_equal(count_events(&w.c, H_SECR, "resolution_adopted"), 1);
    assert_int_equal(transition(&w, "mt1", MTS(CANCELLED), "x"), CONFLICT);
    assert_int_equal(transition(&w, "mt1", MTS(MINUTES_PUBLISHED), NULL),
                     INVALID);
    assert_int_equal(transition(&w, "mt1", MTS(MINUTES_PUBLISHED),
                                "会议审议通过了订单班议案。"),
                     OK);

    /* A cancelled meeting takes no RSVP; nothing changes. */
    assert_int_equal(schedule(&w, "mt2", T0 + 20 * DAY, NULL, 0), OK);
    assert_int_equal(transition(&w, "mt2", MTS(CANCELLED), "改期"), OK);
    int rsvps = count_events(&w.c, H_SECR, "meeting_rsvp");
    assert_int_equal(rsvp(&w, &w.rep[0], "mt2", A, true), CONFLICT);
    assert_int_equal(check_in(&w, "mt2", A), CONFLICT);
    assert_int_equal(count_events(&w.c, H_SECR, "meeting_rsvp"), rsvps);

    /* 3 days after the notice: B and C (not A) get one reminder each. */
    h_advance_sync(&w.c, T0 + 3 * DAY);
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM notices WHERE notice_id LIKE 'remind:%s:%%'",
             nid);
    assert_int_equal(store_query_int(w.c.store[H_SECR], sql), 2);
    h_advance_sync(&w.c, T0 + 5 * DAY);
    assert_int_equal(store_query_int(w.c.store[H_SECR], sql), 2);
    assert_int_equal(notices_of_kind(&w, REMINDER), 5);
    free(nid);
    cluster_destroy(&w.c);
}

static Cogov__V1__Reply *
inquiry_call(world_t *w, const keypair_t *as, Cogov__V1__Request *req)
{
    return h_call_as(&w->c, H_SECR, as, req);
}

static void
test_inquiry_sla(void **state)
{
    (void)state;
    world_t w;
    setup_world(&w, "inq");
    const char *A = w.unit[0], *B = w.unit[1], *C = w.unit[2];
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    Cogov__V1__AskInquiry ak = COGOV__V1__ASK_INQUIRY__INIT;
    ak.asker_member_id = (char *)A;
    ak.addressee_member_id = (char *)B;
    ak.subject = "实训设备共享";
    ak.text = "能否开放数控实训中心供学院学生使用？";
    ak.inquiry_id = "q1";
    req.body_case = COGOV__V1__REQUEST__BODY_ASK_INQUIRY;
    req.ask_inquiry = &ak;
    assert_int_equal(h_code_as(&w.c, H_SECR, &w.rep[1], &req), DENIED);
    assert_int_equal(h_code_as(&w.c, H_SECR, &w.rep[0], &req), OK);
    ak.inquiry_id = "q2";
    ak.addressee_member_id = (char *)C;
    assert_int_equal(h_code_as(&w.c, H_SECR, &w.rep[0], &req), OK);

    Cogov__V1__AnswerInquiry aw = COGOV__V1__ANSWER_INQUIRY__INIT;
    aw.inquiry_id = "q1";
    aw.answer = "可以，每周三下午开放。";
    req.body_case = COGOV__V1__REQUEST__BODY_ANSWER_INQUIRY;
    req.answer_inquiry = &aw;
    assert_int_equal(h_code_as(&w.c, H_SECR, &w.rep[2], &req), DENIED);
    assert_int_equal(h_code_as(&w.c, H_SECR, &w.rep[1], &req), OK);
    assert_int_equal(h_code_as(&w.c, H_SECR, &w.rep[1], &req), CONFLICT);

    Cogov__V1__RouteInquiry ro = COGOV__V1__ROUTE_INQUIRY__INIT;
    ro.inquiry_id = "q2";
    req.body_case = COGOV__V1__REQUEST__BODY_ROUTE_INQUIRY;
    req.route_inquiry = &ro;
    assert_int_equal(h_code_as(&w.c, H_SECR, &w.secr, &req), OK);

    /* SLA 5 days (default): q2 breaches on the tick at T0 + 5 days, once. */
    h_advance_sync(&w.c, T0 + 4 * DAY);
    assert_int_equal(count_events(&w.c, H_SECR, "inquiry_sla_breached"), 0);
    h_advance_sync(&w.c, T0 + 5 * DAY);
    assert_int_equal(count_events(&w.c, H_SECR, "inquiry_sla_breached"), 1);
    h_advance_sync(&w.c, T0 + 7 * DAY);
    assert_int_equal(count_events(&w.c, H_SECR, "inquiry_sla_breached"), 1);
    /* Coordination opened one escalation case for it. */
    assert_int_equal(count_events(&w.c, H_COORD, "escalation_opened"), 1);

    Cogov__V1__RateInquiry rt = COGOV__V1__RATE_INQUIRY__INIT;
    rt.inquiry_id = "q1";
    rt.has_rating = 1;
    rt.rating = 6;
    req.body_case = COGOV__V1__REQUEST__BODY_RATE_INQUIRY;
    req.rate_inquiry = &rt;
    assert_int_equal(h_code_as(&w.c, H_SECR, &w.rep[0], &req), INVALID);
    rt.rating = 4;
    assert_int_equal(h_code_as(&w.c, H_SECR, &w.rep[1], &req), DENIED);
    assert_int_equal(h_code_as(&w.c, H_SECR, &w.rep[0], &req), OK);
    rt.inquiry_id = "q2"; /* not answered */
    assert_int_equal(h_code_as(&w.c, H_SECR, &w.rep[0], &req), CONFLICT);

    Cogov__V1__GetInquiry gi = COGOV__V1__GET_INQUIRY__INIT;
    gi.inquiry_id = "q2";
    req.body_case = COGOV__V1__REQUEST__BODY_GET_INQUIRY;
    req.get_inquiry = &gi;
    Cogov__V1__Reply *r = inquiry_call(&w, &w.secr, &req);
    assert_int_equal(r->code, OK);
    assert_true(r->inquiry->sla_breached);
    assert_int_equal(r->inquiry->due_at, T0 + 5 * DAY);
    cogov__v1__reply__free_unpacked(r, NULL);

    /* The briefing of the period sees both inquiries, one breached. */
    Cogov__V1__GetBriefing gb = COGOV__V1__GET_BRIEFING__INIT;
    gb.has_from = gb.has_to = 1;
    gb.from = T0;
    gb.to = T0 + 30 * DAY;
    req.body_case = COGOV__V1__REQUEST__BODY_GET_BRIEFING;
    req.get_briefing = &gb;
    r = inquiry_call(&w, &w.secr, &req);
    assert_int_equal(r->code, OK);
    assert_int_equal(r->briefing->n_inquiries, 2);
    assert_int_equal(r->briefing->inquiries_breached, 1);
    cogov__v1__reply__free_unpacked(r, NULL);

    /* The CLI (as the operator: reads only). */
    static char out[65536];
    const char *const l1[] = {"inquiry", "list", NULL};
    assert_int_equal(cluster_ctl(&w.c, out, sizeof out, l1), 0);
    assert_non_null(strstr(out, "q2"));
    assert_non_null(strstr(out, "BREACHED"));
    const char *const l2[] = {"--json",   "inquiry", "list",
                              "--status", "rated",   NULL};
    assert_int_equal(cluster_ctl(&w.c, out, sizeof out, l2), 0);
    assert_non_null(strstr(out, "\"q1\""));
    assert_null(strstr(out, "\"q2\""));
    const char *const l3[] = {"briefing", "--from", "2025-01-01", "--markdown",
                              NULL};
    assert_int_equal(cluster_ctl(&w.c, out, sizeof out, l3), 0);
    assert_non_null(strstr(out, "# 工作简报"));
    assert_non_null(strstr(out, "超时 1"));
    const char *const l4[] = {"motion", "vote", "x", "maybe", NULL};
    assert_int_equal(cluster_ctl(&w.c, out, sizeof out, l4), 1);
    const char *const l5[] = {"inquiry", "answer", "q2", "--text", "ok", NULL};
    assert_int_equal(cluster_ctl(&w.c, out, sizeof out, l5), 4);
    cluster_destroy(&w.c);
}

/* Kill the secretariat while a vote by correspondence is under way; after
 * the restart every ballot accepted before the kill is counted once. */
static void
test_kill_during_vote(void **state)
{
    (void)state;
    world_t w;
    setup_world(&w, "kvote");
    const char *A = w.unit[0], *B = w.unit[1];

    assert_int_equal(raise(&w, &w.secr, "mk", A, false), OK);
    assert_int_equal(open_vote(&w, "mk", T0 + 2 * DAY, NULL), OK);
    assert_int_equal(vote(&w, &w.rep[0], "mk", A, CH(FOR)), OK);
    assert_int_equal(vote(&w, &w.rep[1], "mk", B, CH(AGAINST)), OK);
    cluster_kill(&w.c, H_SECR);
    assert_int_equal(cluster_start(&w.c, H_SECR), 0);
    /* The retried vote is refused as a double vote. */
    assert_int_equal(vote(&w, &w.rep[1], "mk", B, CH(AGAINST)), CONFLICT);
    h_advance_sync(&w.c, T0 + 2 * DAY);
    Cogov__V1__Reply *r = get_motion(&w, "mk");
    assert_int_equal(r->motion->n_ballots, 2);
    assert_int_equal(r->motion->votes_for, 1);
    assert_int_equal(r->motion->votes_against, 1);
    assert_int_equal(r->motion->status, MS(REJECTED)); /* 1/2 < 667 */
    cogov__v1__reply__free_unpacked(r, NULL);
    assert_int_equal(count_events(&w.c, H_SECR, "vote_cast"), 2);
    assert_int_equal(count_events(&w.c, H_SECR, "vote_closed"), 1);
    /* Killed again after the close: the replayed ticks change nothing. */
    cluster_kill(&w.c, H_SECR);
    assert_int_equal(cluster_start(&w.c, H_SECR), 0);
    h_advance_sync(&w.c, T0 + 3 * DAY);
    assert_int_equal(count_events(&w.c, H_SECR, "vote_closed"), 1);
    cluster_destroy(&w.c);
}

static Cogov__V1__Reply *
request_extra(world_t *w, const keypair_t *as, const char *member,
              const char *subject)
{
    Cogov__V1__RequestExtraordinaryMeeting rx =
        COGOV__V1__REQUEST_EXTRAORDINARY_MEETING__INIT;
    rx.member_id = (char *)member;
    rx.subject = (char *)subject;
    rx.reason = "年度经费需调整";
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_REQUEST_EXTRAORDINARY_MEETING;
    req.request_extraordinary_meeting = &rx;
    return h_call_as(&w->c, H_SECR, as, &req);
}

static int
extra_code(world_t *w, const keypair_t *as, const char *member,
           const char *subject)
{
    Cogov__V1__Reply *r = request_extra(w, as, member, subject);
    int code = r->code;
    cogov__v1__reply__free_unpacked(r, NULL);
    return code;
}

static size_t
list_len(world_t *w, const keypair_t *as, Cogov__V1__Request__BodyCase body)
{
    Cogov__V1__ListMeetings lm = COGOV__V1__LIST_MEETINGS__INIT;
    Cogov__V1__ListMotions lo = COGOV__V1__LIST_MOTIONS__INIT;
    Cogov__V1__ListInquiries li = COGOV__V1__LIST_INQUIRIES__INIT;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    size_t n = 0;
    req.body_case = body;
    req.list_meetings = &lm;
    if (body == COGOV__V1__REQUEST__BODY_LIST_MOTIONS)
        req.list_motions = &lo;
    if (body == COGOV__V1__REQUEST__BODY_LIST_INQUIRIES)
        req.list_inquiries = &li;
    Cogov__V1__Reply *r = h_call_as(&w->c, H_SECR, as, &req);
    assert_int_equal(r->code, OK);
    if (r->body_case == COGOV__V1__REPLY__BODY_MEETING_LIST)
        n = r->meeting_list->n_meetings;
    else if (r->body_case == COGOV__V1__REPLY__BODY_MOTION_LIST)
        n = r->motion_list->n_motions;
    else if (r->body_case == COGOV__V1__REPLY__BODY_INQUIRY_LIST)
        n = r->inquiry_list->n_inquiries;
    else
        fail_msg("unexpected reply body %d", r->body_case);
    cogov__v1__reply__free_unpacked(r, NULL);
    return n;
}

/* Extraordinary meeting: charter v2 asks 600 permille of the ADMITTED units
 * (3): one request is not enough (1000 < 1800), two are (2000 >= 1800); the
 * council plenary is convened once, with every admitted unit invited, and
 * only invitees' representatives see it. */
static void
test_extraordinary_meeting(void **state)
{
    (void)state;
    world_t w;
    setup_world(&w, "extra");
    const char *A = w.unit[0], *B = w.unit[1], *C = w.unit[2], *D = w.unit[3];
    const char *subject = "调整年度经费预算";

    Cogov__V1__CharterRules rules = COGOV__V1__CHARTER_RULES__INIT;
    rules.has_quorum_permille = rules.has_pass_permille = 1;
    rules.has_extraordinary_permille = 1;
    rules.quorum_permille = 500;
    rules.pass_permille = 667;
    rules.extraordinary_permille = 600;
    Cogov__V1__AdoptCharter ad = COGOV__V1__ADOPT_CHARTER__INIT;
    ad.title = "联合体章程（修订）";
    ad.text = "第一条 ……";
    ad.rules = &rules;
    ad.effective_on = "2025-01-02";
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_ADOPT_CHARTER;
    req.adopt_charter = &ad;
    assert_int_equal(h_code_as(&w.c, H_COORD, &w.c.op, &req), OK);
    h_advance_sync(&w.c, T0 + 3600);

    Cogov__V1__Reply *r = request_extra(&w, &w.rep[0], A, subject);
    assert_int_equal(r->code, OK);
    assert_int_equal(r->body_case,
                     COGOV__V1__REPLY__BODY_EXTRAORDINARY_REQUEST);
    assert_int_equal(r->extraordinary_request->counted, 1);
    assert_int_equal(r->extraordinary_request->admitted, 3);
    assert_int_equal(r->extraordinary_request->extraordinary_permille, 600);
    assert_string_equal(r->extraordinary_request->meeting_id, "");
    char sid[32];
    str_copy(sid, sizeof sid, r->extraordinary_request->subject_id);
    cogov__v1__reply__free_unpacked(r, NULL);
    assert_int_equal(count_events(&w.c, H_SECR, "meeting_scheduled"), 0);

    /* Bad input: twice, for another unit, a unit not admitted, no subject. */
    assert_int_equal(extra_code(&w, &w.rep[0], A, "  调整年度经费预算 "),
                     CONFLICT);
    assert_int_equal(extra_code(&w, &w.rep[0], B, subject), DENIED);
    assert_int_equal(extra_code(&w, &w.rep[3], D, subject), CONFLICT);
    assert_int_equal(extra_code(&w, &w.rep[1], B, ""), INVALID);
    assert_int_equal(
        count_events(&w.c, H_SECR, "extraordinary_meeting_requested"), 1);

    /* The secretariat on B's behalf: the share is reached. */
    r = request_extra(&w, &w.secr, B, subject);
    assert_int_equal(r->code, OK);
    assert_int_equal(r->extraordinary_request->counted, 2);
    assert_string_equal(r->extraordinary_request->meeting_id, sid);
    cogov__v1__reply__free_unpacked(r, NULL);
    assert_int_equal(extra_code(&w, &w.rep[2], C, subject), OK);
    h_advance_sync(&w.c, T0 + 7200);
    assert_int_equal(count_events(&w.c, H_SECR, "meeting_scheduled"), 1);
    assert_int_equal(
        count_events(&w.c, H_SECR, "extraordinary_meeting_requested"), 3);

    Cogov__V1__GetMeeting gm = COGOV__V1__GET_MEETING__INIT;
    gm.meeting_id = sid;
    req.body_case = COGOV__V1__REQUEST__BODY_GET_MEETING;
    req.get_meeting = &gm;
    r = h_call_as(&w.c, H_SECR, &w.rep[0], &req);
    assert_int_equal(r->code, OK);
    assert_int_equal(r->meeting->kind,
                     COGOV__V1__MEETING_KIND__MEETING_KIND_COUNCIL_PLENARY);
    assert_int_equal(r->meeting->n_invitees, 3);
    assert_int_equal(r->meeting->status, MTS(SCHEDULED));
    assert_true(r->meeting->starts_at == T0 + 3600 + 7 * DAY);
    cogov__v1__reply__free_unpacked(r, NULL);
    /* D's representative is not invited: it neither gets nor lists it. */
    assert_int_equal(h_code_as(&w.c, H_SECR, &w.rep[3], &req), DENIED);
    assert_int_equal(
        list_len(&w, &w.rep[3], COGOV__V1__REQUEST__BODY_LIST_MEETINGS), 0);
    assert_int_equal(
        list_len(&w, &w.rep[2], COGOV__V1__REQUEST__BODY_LIST_MEETINGS), 1);

    /* The request state is readable by subject. */
    Cogov__V1__GetExtraordinaryRequest gx =
        COGOV__V1__GET_EXTRAORDINARY_REQUEST__INIT;
    gx.subject = (char *)subject;
    req.body_case = COGOV__V1__REQUEST__BODY_GET_EXTRAORDINARY_REQUEST;
    req.get_extraordinary_request = &gx;
    r = h_call_as(&w.c, H_SECR, &w.rep[3], &req);
    assert_int_equal(r->code, OK);
    assert_int_equal(r->extraordinary_request->n_requesters, 3);
    cogov__v1__reply__free_unpacked(r, NULL);
    cluster_destroy(&w.c);
}

static int
task_action(world_t *w, const char *task, Cogov__V1__TaskAction a)
{
    Cogov__V1__ChangeTaskStatus ct = COGOV__V1__CHANGE_TASK_STATUS__INIT;
    ct.task_id = (char *)task;
    ct.has_action = 1;
    ct.action = a;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_CHANGE_TASK_STATUS;
    req.change_task_status = &ct;
    return h_code_as(&w->c, H_COORD, &w->c.op, &req);
}

static int
get_motion_as(world_t *w, const keypair_t *as, const char *id,
              size_t *n_ballots)
{
    Cogov__V1__GetMotion gm = COGOV__V1__GET_MOTION__INIT;
    gm.motion_id = (char *)id;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_GET_MOTION;
    req.get_motion = &gm;
    Cogov__V1__Reply *r = h_call_as(&w->c, H_SECR, as, &req);
    int code = r->code;
    if (code == OK)
        *n_ballots = r->motion->n_ballots;
    cogov__v1__reply__free_unpacked(r, NULL);
    return code;
}

/* A resolution's review on its review date from coordination's task
 * events, once; the briefing's tasks started; what representatives see of
 * motions (raised: the raiser only; voting: own ballot) and inquiries. */
static void
test_review_and_member_view(void **state)
{
    (void)state;
    world_t w;
    setup_world(&w, "review");
    const char *A = w.unit[0], *B = w.unit[1], *C = w.unit[2];
    size_t nb = 99;

    assert_int_equal(raise(&w, &w.rep[0], "m1", A, false), OK);
    assert_int_equal(get_motion_as(&w, &w.rep[0], "m1", &nb), OK);
    assert_int_equal(get_motion_as(&w, &w.rep[1], "m1", &nb), DENIED);
    assert_int_equal(
        list_len(&w, &w.rep[1], COGOV__V1__REQUEST__BODY_LIST_MOTIONS), 0);
    assert_int_equal(
        list_len(&w, &w.rep[0], COGOV__V1__REQUEST__BODY_LIST_MOTIONS), 1);
    assert_int_equal(open_vote(&w, "m1", T0 + 3 * DAY, NULL), OK);
    assert_int_equal(vote(&w, &w.rep[0], "m1", A, CH(FOR)), OK);
    assert_int_equal(vote(&w, &w.rep[1], "m1", B, CH(FOR)), OK);
    assert_int_equal(get_motion_as(&w, &w.rep[2], "m1", &nb), OK);
    assert_int_equal(nb, 0); /* ballots secret while voting */
    assert_int_equal(get_motion_as(&w, &w.rep[0], "m1", &nb), OK);
    assert_int_equal(nb, 1);
    assert_int_equal(get_motion_as(&w, &w.secr, "m1", &nb), OK);
    assert_int_equal(nb, 2);
    h_advance_sync(&w.c, T0 + 3 * DAY);
    assert_int_equal(get_motion_as(&w, &w.rep[2], "m1", &nb), OK);
    assert_int_equal(nb, 2);
    assert_int_equal(cluster_sync(&w.c, 20000), 0);

    /* Coordination made task res:m1/1; it is started. */
    (void)task_action(&w, "res:m1/1",
                      COGOV__V1__TASK_ACTION__TASK_ACTION_APPROVE);
    assert_int_equal(
        task_action(&w, "res:m1/1", COGOV__V1__TASK_ACTION__TASK_ACTION_START),
        OK);
    const int64_t review = T0 + 272 * DAY; /* 2025-10-01 00:00 +08:00 */
    h_advance_sync(&w.c, review - 3600);
    assert_int_equal(count_events(&w.c, H_SECR, "resolution_reviewed"), 0);
    h_advance_sync(&w.c, review);
    assert_int_equal(count_events(&w.c, H_SECR, "resolution_reviewed"), 1);
    h_advance_sync(&w.c, review + DAY);
    assert_int_equal(count_events(&w.c, H_SECR, "resolution_reviewed"), 1);

    Cogov__V1__GetNotice gn = COGOV__V1__GET_NOTICE__INIT;
    gn.notice_id = "review:res:m1";
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_GET_NOTICE;
    req.get_notice = &gn;
    Cogov__V1__Reply *r = h_call_as(&w.c, H_SECR, &w.rep[1], &req);
    assert_int_equal(r->code, OK);
    assert_int_equal(r->notice->kind,
                     COGOV__V1__NOTICE_KIND__NOTICE_KIND_REVIEW);
    assert_non_null(strstr(r->notice->body, "进行中"));
    assert_non_null(strstr(r->notice->title, "0/1"));
    cogov__v1__reply__free_unpacked(r, NULL);

    Cogov__V1__GetBriefing gb = COGOV__V1__GET_BRIEFING__INIT;
    gb.has_from = 1;
    gb.from = T0;
    req.body_case = COGOV__V1__REQUEST__BODY_GET_BRIEFING;
    req.get_briefing = &gb;
    r = h_call_as(&w.c, H_SECR, &w.secr, &req);
    assert_int_equal(r->code, OK);
    assert_int_equal(r->briefing->n_tasks_started, 1);
    assert_string_equal(r->briefing->tasks_started[0]->id, "res:m1/1");
    assert_int_equal(r->briefing->n_tasks_completed, 0);
    cogov__v1__reply__free_unpacked(r, NULL);

    /* Inquiries: the asker and the addressee see it, a third unit not. */
    Cogov__V1__AskInquiry ak = COGOV__V1__ASK_INQUIRY__INIT;
    ak.asker_member_id = (char *)A;
    ak.addressee_member_id = (char *)B;
    ak.subject = "实训设备共享";
    ak.text = "能否开放数控实训中心？";
    ak.inquiry_id = "q1";
    req.body_case = COGOV__V1__REQUEST__BODY_ASK_INQUIRY;
    req.ask_inquiry = &ak;
    assert_int_equal(h_code_as(&w.c, H_SECR, &w.rep[0], &req), OK);
    Cogov__V1__GetInquiry gi = COGOV__V1__GET_INQUIRY__INIT;
    gi.inquiry_id = "q1";
    req.body_case = COGOV__V1__REQUEST__BODY_GET_INQUIRY;
    req.get_inquiry = &gi;
    assert_int_equal(h_code_as(&w.c, H_SECR, &w.rep[1], &req), OK);
    assert_int_equal(h_code_as(&w.c, H_SECR, &w.rep[2], &req), DENIED);
    assert_int_equal(
        list_len(&w, &w.rep[2], COGOV__V1__REQUEST__BODY_LIST_INQUIRIES), 0);
    assert_int_equal(
        list_len(&w, &w.rep[1], COGOV__V1__REQUEST__BODY_LIST_INQUIRIES), 1);
    assert_int_equal(
        list_len(&w, &w.secr, COGOV__V1__REQUEST__BODY_LIST_INQUIRIES), 1);
    (void)C;
    cluster_destroy(&w.c);
}

/* Notices of `kind` addressed to `member` in the secretariat's store. */
static long long
notices_to(world_t *w, int kind, const char *member)
{
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM notices n JOIN notice_addressees a"
             " USING (notice_id) WHERE n.kind=%d AND a.member_id='%s'",
             kind, member);
    return store_query_int(w->c.store[H_SECR], sql);
}

/* Warning notices titled for a milestone overdue, to `member`. */
static long long
milestone_warnings_to(world_t *w, const char *member)
{
    char sql[320];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM notices n JOIN notice_addressees a"
             " USING (notice_id) WHERE n.kind=%d AND a.member_id='%s'"
             " AND n.title='预警通知：任务节点逾期'",
             COGOV__V1__NOTICE_KIND__NOTICE_KIND_WARNING, member);
    return store_query_int(w->c.store[H_SECR], sql);
}

/* The notices of `kind` that `as` sees for its unit `member`. */
static Cogov__V1__Reply *
list_notices(world_t *w, const keypair_t *as, const char *member, int kind)
{
    Cogov__V1__ListNotices ln = COGOV__V1__LIST_NOTICES__INIT;
    ln.member_id = (char *)member;
    ln.has_kind = 1;
    ln.kind = (Cogov__V1__NoticeKind)kind;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_LIST_NOTICES;
    req.list_notices = &ln;
    Cogov__V1__Reply *r = h_call_as(&w->c, H_SECR, as, &req);
    assert_int_equal(r->code, OK);
    return r;
}

/* DESIGN 1.6's automatic notices through the real coordination and
 * supervision daemons: a milestone overdue reminds the task's lead unit
 * once across two ticks; supervision's warning on it and a rectification
 * order reach the unit concerned once each; nobody else is addressed. */
static void
test_automatic_notices(void **state)
{
    (void)state;
    world_t w;
    keypair_t supv;
    const int REMINDER = COGOV__V1__NOTICE_KIND__NOTICE_KIND_REMINDER;
    const int WARNING = COGOV__V1__NOTICE_KIND__NOTICE_KIND_WARNING;
    const int RECT = COGOV__V1__NOTICE_KIND__NOTICE_KIND_RECTIFICATION;

    setup_world(&w, "autonotice");
    const char *A = w.unit[0], *B = w.unit[1];
    assert_int_equal(cluster_add_principal(&w.c, "supv-office", "-",
                                           "SUPERVISOR", "-", &supv),
                     0);
    assert_int_equal(cluster_start(&w.c, H_SUPV), 0);
    assert_int_equal(cluster_sync(&w.c, 20000), 0);

    Cogov__V1__MilestoneSpec m1 = COGOV__V1__MILESTONE_SPEC__INIT;
    Cogov__V1__MilestoneSpec *ms[] = {&m1};
    m1.milestone_id = "enrol";
    m1.title = "完成招生";
    m1.due_on = "2025-03-31";
    Cogov__V1__CreateTask ct = COGOV__V1__CREATE_TASK__INIT;
    ct.task_id = "t-auto";
    ct.title = "智能制造订单班";
    ct.has_kind = 1;
    ct.kind = COGOV__V1__TASK_KIND__TASK_KIND_ORDER_CLASS;
    ct.lead_member_id = (char *)A;
    ct.n_milestones = 1;
    ct.milestones = ms;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_CREATE_TASK;
    req.create_task = &ct;
    assert_int_equal(h_code_as(&w.c, H_COORD, &w.c.op, &req), OK);
    assert_int_equal(
        task_action(&w, "t-auto", COGOV__V1__TASK_ACTION__TASK_ACTION_APPROVE),
        OK);
    assert_int_equal(
        task_action(&w, "t-auto", COGOV__V1__TASK_ACTION__TASK_ACTION_START),
        OK);

    /* Before the due date nothing; the first tick after it reminds the
     * lead unit and (through supervision's warning) warns it; the next
     * tick adds nothing. */
    const int64_t apr1 = T0 + 89 * DAY + 9 * 3600; /* 2025-04-01 09:00 */
    h_advance_sync(&w.c, apr1 - 2 * DAY);
    assert_int_equal(notices_to(&w, REMINDER, A), 0);
    h_advance_sync(&w.c, apr1);
    assert_int_equal(count_events(&w.c, H_COORD, "milestone_overdue"), 1);
    assert_int_equal(notices_to(&w, REMINDER, A), 1);
    assert_int_equal(milestone_warnings_to(&w, A), 1);
    h_advance_sync(&w.c, apr1 + DAY);
    assert_int_equal(count_events(&w.c, H_COORD, "milestone_overdue"), 1);
    assert_int_equal(notices_to(&w, REMINDER, A), 1);
    assert_int_equal(milestone_warnings_to(&w, A), 1);
    assert_int_equal(notices_to(&w, REMINDER, B), 0);
    assert_int_equal(milestone_warnings_to(&w, B), 0);
    /* Every warning supervision raised (inactivity ones too) is one
     * notice. */
    assert_true(count_events(&w.c, H_SUPV, "warning_raised") >= 1);
    assert_int_equal(notices_of_kind(&w, WARNING),
                     count_events(&w.c, H_SUPV, "warning_raised"));

    Cogov__V1__Reply *r = list_notices(&w, &w.rep[0], A, REMINDER);
    assert_int_equal(r->notice_list->n_notices, 1);
    const Cogov__V1__Notice *n = r->notice_list->notices[0];
    assert_non_null(strstr(n->notice_id, "milestone:coordination:"));
    assert_non_null(strstr(n->title, "完成招生"));
    assert_non_null(strstr(n->body, "《智能制造订单班》（编号 t-auto）"));
    assert_non_null(strstr(n->body, "2025-03-31"));
    assert_non_null(strstr(n->body, "滨江职业技术学院"));
    cogov__v1__reply__free_unpacked(r, NULL);
    r = list_notices(&w, &w.rep[0], A, WARNING);
    assert_true(r->notice_list->n_notices >= 1);
    for (size_t i = 0; i < r->notice_list->n_notices; i++)
        assert_non_null(strstr(r->notice_list->notices[i]->notice_id,
                               "warning:supervision:"));
    cogov__v1__reply__free_unpacked(r, NULL);

    /* A rectification order: one notice to the unit with its findings and
     * deadline. */
    Cogov__V1__IssueRectification ir = COGOV__V1__ISSUE_RECTIFICATION__INIT;
    ir.rectification_id = "rect-1";
    ir.member_id = (char *)A;
    ir.findings = "订单班招生未按期完成";
    ir.required_evidence = "招生情况说明";
    ir.due_on = "2025-06-30";
    req.body_case = COGOV__V1__REQUEST__BODY_ISSUE_RECTIFICATION;
    req.issue_rectification = &ir;
    assert_int_equal(h_code_as(&w.c, H_SUPV, &supv, &req), OK);
    assert_int_equal(cluster_sync(&w.c, 20000), 0);
    h_advance_sync(&w.c, apr1 + 2 * DAY);
    assert_int_equal(notices_to(&w, RECT, A), 1);
    assert_int_equal(notices_to(&w, RECT, B), 0);
    r = list_notices(&w, &w.rep[0], A, RECT);
    assert_int_equal(r->notice_list->n_notices, 1);
    n = r->notice_list->notices[0];
    assert_non_null(strstr(n->body, "订单班招生未按期完成"));
    assert_non_null(strstr(n->body, "整改期限：2025-06-30"));
    cogov__v1__reply__free_unpacked(r, NULL);

    /* An evaluation round published: each unit evaluated gets one notice
     * with its own result, id "evaluation:supervision:<seq>:<unit>". */
    Cogov__V1__LoadIndicators li = COGOV__V1__LOAD_INDICATORS__INIT;
    li.name = "it.ind";
    li.text = "key=MILESTONES_ON_TIME group=basic dimension=运行机制 "
              "title=任务节点按期完成率 weight=100 unit=‰ "
              "source=ontime:milestone.on_time rule=linear target=900\n";
    req.body_case = COGOV__V1__REQUEST__BODY_LOAD_INDICATORS;
    req.load_indicators = &li;
    assert_int_equal(h_code_as(&w.c, H_SUPV, &supv, &req), OK);
    Cogov__V1__DraftRound dr = COGOV__V1__DRAFT_ROUND__INIT;
    dr.period = "2025Q1";
    req.body_case = COGOV__V1__REQUEST__BODY_DRAFT_ROUND;
    req.draft_round = &dr;
    assert_int_equal(h_code_as(&w.c, H_SUPV, &supv, &req), OK);
    Cogov__V1__ReviewRound rv = COGOV__V1__REVIEW_ROUND__INIT;
    rv.round_id = "round-2025Q1";
    req.body_case = COGOV__V1__REQUEST__BODY_REVIEW_ROUND;
    req.review_round = &rv;
    assert_int_equal(h_code_as(&w.c, H_SUPV, &supv, &req), OK);
    Cogov__V1__PublishRound pr = COGOV__V1__PUBLISH_ROUND__INIT;
    pr.round_id = "round-2025Q1";
    req.body_case = COGOV__V1__REQUEST__BODY_PUBLISH_ROUND;
    req.publish_round = &pr;
    assert_int_equal(h_code_as(&w.c, H_SUPV, &supv, &req), OK);
    assert_int_equal(cluster_sync(&w.c, 20000), 0);
    const int EVAL = COGOV__V1__NOTICE_KIND__NOTICE_KIND_EVALUATION;
    assert_int_equal(notices_to(&w, EVAL, A), 1);
    assert_int_equal(notices_to(&w, EVAL, B), 1);
    assert_int_equal(store_query_int(w.c.store[H_SECR],
                                     "SELECT count(*) FROM notice_addressees"
                                     " a JOIN notices n USING (notice_id)"
                                     " WHERE n.kind=8 GROUP BY notice_id"
                                     " ORDER BY count(*) DESC LIMIT 1"),
                     1);
    r = list_notices(&w, &w.rep[0], A, EVAL);
    assert_int_equal(r->notice_list->n_notices, 1);
    n = r->notice_list->notices[0];
    assert_non_null(strstr(n->notice_id, "evaluation:supervision:"));
    assert_non_null(strstr(n->notice_id, A));
    assert_string_equal(n->title, "2025Q1考核评价结果通知");
    assert_non_null(strstr(n->body, "滨江职业技术学院"));
    assert_null(strstr(n->body, "滨江智能装备有限公司"));
    assert_non_null(strstr(n->body, "等级："));
    cogov__v1__reply__free_unpacked(r, NULL);

    /* A restart of the secretariat replays nothing into new notices. */
    assert_int_equal(cluster_stop(&w.c, H_SECR), 0);
    assert_int_equal(cluster_start(&w.c, H_SECR), 0);
    assert_int_equal(cluster_sync(&w.c, 20000), 0);
    assert_int_equal(notices_to(&w, REMINDER, A), 1);
    assert_int_equal(milestone_warnings_to(&w, A), 1);
    assert_int_equal(notices_of_kind(&w, WARNING),
                     count_events(&w.c, H_SUPV, "warning_raised"));
    assert_int_equal(notices_to(&w, RECT, A), 1);
    assert_int_equal(notices_to(&w, EVAL, A), 1);
    assert_int_equal(
        count_events(&w.c, H_SECR, "notice_published"),
        store_query_int(w.c.store[H_SECR], "SELECT count(*) FROM notices"));
    cluster_destroy(&w.c);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vote_by_correspondence),
        cmocka_unit_test(test_meeting_notices_reminders),
        cmocka_unit_test(test_inquiry_sla),
        cmocka_unit_test(test_kill_during_vote),
        cmocka_unit_test(test_extraordinary_meeting),
        cmocka_unit_test(test_review_and_member_view),
        cmocka_unit_test(test_automatic_notices),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

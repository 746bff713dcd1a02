/* cogovctl_sec: the secretariat's consultation commands: motions and votes,
 * meetings, inquiries and briefings (notices: cogovctl_notice.c). */
#include "cogovctl.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "cogov/v1/secretariat.pb-c.h"

#define MAX_OPTS 16
#define MAX_ITEMS 16

typedef struct args {
    const char *v[MAX_OPTS];
    const char *items[MAX_ITEMS]; /* repeated --item */
    int n_items;
    int item_idx;
} args_t;

static int
opt_store(ctl_t *c, int idx, const char *value, void *arg)
{
    args_t *a = arg;
    if (idx == a->item_idx && a->item_idx >= 0) {
        if (a->n_items == MAX_ITEMS)
            return ctl_usage(c, "--item: at most %d", MAX_ITEMS);
        a->items[a->n_items++] = value;
        return 0;
    }
    a->v[idx] = value != NULL ? value : "1";
    return 0;
}

/* Split a comma-separated list in place (s is a copy the caller frees). */
static char **
split(char *s, size_t *n)
{
    char **v = NULL;
    *n = 0;
    if (s == NULL || *s == 0)
        return NULL;
    for (char *tok = strtok(s, ","); tok != NULL; tok = strtok(NULL, ",")) {
        v = xrealloc(v, (*n + 1) * sizeof *v);
        v[(*n)++] = tok;
    }
    return v;
}

static int
parse_time_opt(ctl_t *c, const char *opt, const char *s, int64_t *t)
{
    if (time_parse(s, CTL_UTC_OFFSET, t) != 0)
        return ctl_usage(c, "%s: expected \"YYYY-MM-DD[ HH:MM]\", got '%s'",
                         opt, s);
    return 0;
}

/* Send, print the reply's message (pbshow or --json). */
static int
send_show(ctl_t *c, Cogov__V1__Request *req)
{
    Cogov__V1__Reply *rep;
    int rc = ctl_call(c, SVC_SECRETARIAT, req, &rep);
    if (rc != 0)
        return rc;
    ctl_print_message(c, pb_oneof_message(&rep->base, rep->body_case));
    cogov__v1__reply__free_unpacked(rep, NULL);
    return CTL_EXIT_OK;
}

static const char *
short_enum(const ProtobufCEnumDescriptor *d, int v)
{
    return enum_text(d, v);
}

/* ---- motions ------------------------------------------------------------ */

static const ctl_opt_t raise_opts[] = {
    {"member", true},    {"title", true}, {"text", true}, {"consent", false},
    {"review-on", true}, {"id", true},    {"item", true}, {NULL, false}};

/* --item "ID|TITLE|OWNER|DUE|KIND[|QTY[|UNIT]]" */
static int
parse_item(ctl_t *c, const char *spec, Cogov__V1__ActionItem *it, char **copy)
{
    char *f[7] = {0};
    int n = 0;
    *copy = xstrdup(spec);
    for (char *p = *copy, *sep; n < 7; n++) {
        f[n] = p;
        sep = strchr(p, '|');
        if (sep == NULL) {
            n++;
            break;
        }
        *sep = 0;
        p = sep + 1;
    }
    if (n < 5)
        return ctl_usage(c,
                         "--item: expected ID|TITLE|OWNER|DUE|KIND"
                         "[|QTY[|UNIT]], got '%s'",
                         spec);
    cogov__v1__action_item__init(it);
    it->item_id = f[0];
    it->title = f[1];
    it->owner_member_id = f[2];
    it->due_on = f[3];
    int k = enum_parse(&cogov__v1__task_kind__descriptor, f[4]);
    if (k <= 0)
        return ctl_usage(c,
                         "--item: unknown task kind '%s' (order_class, "
                         "apprenticeship, industry_college, practice_base, "
                         "tech_project, teacher_exchange, curriculum, "
                         "training, other)",
                         f[4]);
    it->has_kind = true;
    it->kind = k;
    if (n > 5 && f[5] != NULL && *f[5] != 0) {
        uint64_t q;
        if (ctl_parse_u64(c, "--item quantity", f[5], INT64_MAX, &q) != 0)
            return CTL_EXIT_USAGE;
        it->has_planned_quantity = true;
        it->planned_quantity = (int64_t)q;
    }
    if (n > 6)
        it->quantity_unit = f[6];
    return 0;
}

static int
cmd_motion_raise(ctl_t *c, int argc, char **argv)
{
    args_t a = {.item_idx = 6};
    int npos, rc;
    const char *pos[1];
    Cogov__V1__ActionItem items[MAX_ITEMS];
    Cogov__V1__ActionItem *ip[MAX_ITEMS];
    char *copies[MAX_ITEMS] = {0};

    rc = ctl_parse(c, argc, argv, raise_opts, opt_store, &a, pos, 0, &npos);
    if (rc != 0)
        return rc;
    if (str_empty(a.v[1]))
        return ctl_usage(c, "--title is required");
    Cogov__V1__RaiseMotion b = COGOV__V1__RAISE_MOTION__INIT;
    b.member_id = (char *)a.v[0];
    b.title = (char *)a.v[1];
    b.text = (char *)a.v[2];
    b.has_consent = a.v[3] != NULL;
    b.consent = a.v[3] != NULL;
    b.review_on = (char *)a.v[4];
    b.motion_id = (char *)a.v[5];
    for (int i = 0; i < a.n_items; i++) {
        rc = parse_item(c, a.items[i], &items[i], &copies[i]);
        if (rc != 0)
            goto done;
        ip[i] = &items[i];
    }
    b.n_action_items = (size_t)a.n_items;
    b.action_items = ip;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_RAISE_MOTION;
    req.raise_motion = &b;
    rc = send_show(c, &req);
done:
    for (int i = 0; i < a.n_items; i++)
        free(copies[i]);
    return rc;
}

static const ctl_opt_t open_opts[] = {
    {"closes", true}, {"meeting", true}, {NULL, false}};

static int
cmd_motion_open(ctl_t *c, int argc, char **argv)
{
    args_t a = {.item_idx = -1};
    const char *id;
    int rc =
        ctl_parse_id(c, argc, argv, open_opts, opt_store, &a, "MOTION_ID", &id);
    if (rc != 0)
        return rc;
    if (a.v[0] == NULL && a.v[1] == NULL)
        return ctl_usage(c, "--closes TIME or --meeting MEETING_ID required");
    Cogov__V1__OpenVote b = COGOV__V1__OPEN_VOTE__INIT;
    b.motion_id = (char *)id;
    if (a.v[0] != NULL) {
        if ((rc = parse_time_opt(c, "--closes", a.v[0], &b.closes_at)) != 0)
            return rc;
        b.has_closes_at = true;
    }
    b.meeting_id = (char *)a.v[1];
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_OPEN_VOTE;
    req.open_vote = &b;
    return send_show(c, &req);
}

static const ctl_opt_t vote_opts[] = {{"member", true}, {NULL, false}};

static int
cmd_motion_vote(ctl_t *c, int argc, char **argv)
{
    args_t a = {.item_idx = -1};
    int npos, rc;
    const char *pos[2];
    rc = ctl_parse(c, argc, argv, vote_opts, opt_store, &a, pos, 2, &npos);
    if (rc != 0)
        return rc;
    if (npos != 2)
        return ctl_usage(c, "MOTION_ID and CHOICE (for, against, abstain, "
                            "objection) are required");
    int ch = enum_parse(&cogov__v1__vote_choice__descriptor, pos[1]);
    if (ch <= 0)
        return ctl_usage(c,
                         "CHOICE: for, against, abstain or objection, got "
                         "'%s'",
                         pos[1]);
    Cogov__V1__CastVote b = COGOV__V1__CAST_VOTE__INIT;
    b.motion_id = (char *)pos[0];
    b.member_id = (char *)a.v[0];
    b.has_choice = true;
    b.choice = ch;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_CAST_VOTE;
    req.cast_vote = &b;
    return send_show(c, &req);
}

static int
cmd_motion_show(ctl_t *c, int argc, char **argv)
{
    int npos, rc;
    const char *pos[1];
    rc = ctl_parse(c, argc, argv, NULL, opt_store, NULL, pos, 1, &npos);
    if (rc != 0)
        return rc;
    if (npos != 1)
        return ctl_usage(c, "MOTION_ID is required");
    Cogov__V1__GetMotion b = COGOV__V1__GET_MOTION__INIT;
    b.motion_id = (char *)pos[0];
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_GET_MOTION;
    req.get_motion = &b;
    return send_show(c, &req);
}

static const ctl_opt_t status_opts[] = {{"status", true}, {NULL, false}};

/* List of any of the three kinds: the reply's repeated field, as a table
 * (cols from the callback) or a JSON array. */
typedef void (*row_fn)(table_t *t, const ProtobufCMessage *m);

static int
list_cmd(ctl_t *c, int argc, char **argv, const ProtobufCEnumDescriptor *sd,
         Cogov__V1__Request *req, ProtobufCMessage *body, const char *field,
         const char *const *hdr, size_t ncols, row_fn row)
{
    args_t a = {.item_idx = -1};
    int npos, rc;
    const char *pos[1];
    rc = ctl_parse(c, argc, argv, status_opts, opt_store, &a, pos, 0, &npos);
    if (rc != 0)
        return rc;
    if (a.v[0] != NULL) {
        int st = enum_parse(sd, a.v[0]);
        if (st <= 0)
            return ctl_usage(c, "--status: unknown '%s'", a.v[0]);
        /* Every list request has `optional <Status> status = 1`. */
        const ProtobufCFieldDescriptor *f =
            protobuf_c_message_descriptor_get_field(body->descriptor, 1);
        *(int *)((char *)body + f->offset) = st;
        *(protobuf_c_boolean *)((char *)body + f->quantifier_offset) = 1;
    }
    Cogov__V1__Reply *rep;
    rc = ctl_call(c, SVC_SECRETARIAT, req, &rep);
    if (rc != 0)
        return rc;
    const ProtobufCMessage *l = pb_oneof_message(&rep->base, rep->body_case);
    const ProtobufCFieldDescriptor *f =
        l ? protobuf_c_message_descriptor_get_field_by_name(l->descriptor,
                                                            field)
          : NULL;
    size_t n = f ? *(size_t *)((const char *)l + f->quantifier_offset) : 0;
    ProtobufCMessage **items =
        f ? *(ProtobufCMessage ***)((const char *)l + f->offset) : NULL;
    sbuf_t b = {0};
    sbuf_init(&b);
    if (c->json) {
        jw_t w;
        jw_init(&w, &b);
        jw_arr(&w);
        for (size_t i = 0; i < n; i++)
            pbjson_message(&w, items[i]);
        jw_arr_end(&w);
        sbuf_putc(&b, '\n');
    } else {
        table_t *t = table_new(ncols, hdr);
        for (size_t i = 0; i < n; i++)
            row(t, items[i]);
        table_render(t, &b);
        table_destroy(&t);
    }
    ctl_flush(&b);
    sbuf_free(&b);
    cogov__v1__reply__free_unpacked(rep, NULL);
    return CTL_EXIT_OK;
}

static void
title_cell(table_t *t, const char *s)
{
    sbuf_t b = {0};
    sbuf_init(&b);
    sbuf_put_width(&b, s, 40);
    table_cell(t, b.p);
    sbuf_free(&b);
}

static void
motion_row(table_t *t, const ProtobufCMessage *pm)
{
    const Cogov__V1__Motion *m = (const Cogov__V1__Motion *)pm;
    char tb[32];
    table_cell(t, m->motion_id);
    table_cell(t, short_enum(&cogov__v1__motion_status__descriptor, m->status));
    table_cell(t, m->member_id);
    fmt_time(m->closes_at, CTL_UTC_OFFSET, tb, sizeof tb);
    table_cell(t, m->closes_at ? tb : "-");
    table_cellf(t, "%u/%u/%u", m->votes_for, m->votes_against, m->abstentions);
    table_cellf(t, "%zu/%zu", m->n_ballots, m->n_eligible);
    table_cellf(t, "%u", m->charter_version);
    title_cell(t, m->title);
}

static int
cmd_motion_list(ctl_t *c, int argc, char **argv)
{
    static const char *const hdr[] = {"MOTION_ID", "STATUS",     "RAISED_BY",
                                      "CLOSES",    "FOR/AG/ABS", ">VOTED",
                                      ">CHARTER",  "TITLE"};
    Cogov__V1__ListMotions b = COGOV__V1__LIST_MOTIONS__INIT;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_LIST_MOTIONS;
    req.list_motions = &b;
    return list_cmd(c, argc, argv, &cogov__v1__motion_status__descriptor, &req,
                    &b.base, "motions", hdr, ARRAY_LEN(hdr), motion_row);
}

/* ---- meetings ----------------------------------------------------------- */

static const ctl_opt_t sched_opts[] = {
    {"kind", true},   {"title", true},    {"at", true},
    {"place", true},  {"convenor", true}, {"invite", true},
    {"agenda", true}, {"id", true},       {NULL, false}};

static int
cmd_meeting_schedule(ctl_t *c, int argc, char **argv)
{
    args_t a = {.item_idx = -1};
    int npos, rc;
    const char *pos[1];
    rc = ctl_parse(c, argc, argv, sched_opts, opt_store, &a, pos, 0, &npos);
    if (rc != 0)
        return rc;
    if (a.v[0] == NULL || a.v[1] == NULL || a.v[2] == NULL || a.v[5] == NULL)
        return ctl_usage(c, "--kind, --title, --at and --invite are required");
    Cogov__V1__ScheduleMeeting b = COGOV__V1__SCHEDULE_MEETING__INIT;
    int k = enum_parse(&cogov__v1__meeting_kind__descriptor, a.v[0]);
    if (k <= 0)
        return ctl_usage(c,
                         "--kind: council_plenary, standing_council, "
                         "joint_conference, working_committee or "
                         "matching_fair, got '%s'",
                         a.v[0]);
    b.has_kind = true;
    b.kind = k;
    b.title = (char *)a.v[1];
    if ((rc = parse_time_opt(c, "--at", a.v[2], &b.starts_at)) != 0)
        return rc;
    b.has_starts_at = true;
    b.place = (char *)a.v[3];
    b.convenor_member_id = (char *)a.v[4];
    b.meeting_id = (char *)a.v[7];
    char *inv = xstrdup(a.v[5]), *ag = a.v[6] ? xstrdup(a.v[6]) : NULL;
    b.invitees = split(inv, &b.n_invitees);
    b.agenda = split(ag, &b.n_agenda);
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_SCHEDULE_MEETING;
    req.schedule_meeting = &b;
    rc = send_show(c, &req);
    free(b.invitees);
    free(b.agenda);
    free(inv);
    free(ag);
    return rc;
}

static const ctl_opt_t member_opts[] = {
    {"member", true}, {"decline", false}, {NULL, false}};

static int
cmd_meeting_rsvp(ctl_t *c, int argc, char **argv)
{
    args_t a = {.item_idx = -1};
    const char *id;
    int rc = ctl_parse_id(c, argc, argv, member_opts, opt_store, &a,
                          "MEETING_ID", &id);
    if (rc != 0)
        return rc;
    Cogov__V1__RsvpMeeting b = COGOV__V1__RSVP_MEETING__INIT;
    b.meeting_id = (char *)id;
    b.member_id = (char *)a.v[0];
    b.has_attending = true;
    b.attending = a.v[1] == NULL;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_RSVP_MEETING;
    req.rsvp_meeting = &b;
    return send_show(c, &req);
}

static int
cmd_meeting_checkin(ctl_t *c, int argc, char **argv)
{
    args_t a = {.item_idx = -1};
    int npos, rc;
    const char *pos[1];
    rc = ctl_parse(c, argc, argv, vote_opts, opt_store, &a, pos, 1, &npos);
    if (rc != 0)
        return rc;
    if (npos != 1 || a.v[0] == NULL)
        return ctl_usage(c, "MEETING_ID and --member MEMBER_ID are required");
    Cogov__V1__CheckInMeeting b = COGOV__V1__CHECK_IN_MEETING__INIT;
    b.meeting_id = (char *)pos[0];
    b.member_id = (char *)a.v[0];
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_CHECK_IN_MEETING;
    req.check_in_meeting = &b;
    return send_show(c, &req);
}

static const ctl_opt_t text_opts[] = {{"text", true}, {NULL, false}};

static int
meeting_to(ctl_t *c, int argc, char **argv, Cogov__V1__MeetingStatus to,
           bool need_text)
{
    args_t a = {.item_idx = -1};
    const char *id;
    int rc = ctl_parse_id(c, argc, argv, text_opts, opt_store, &a, "MEETING_ID",
                          &id);
    if (rc != 0)
        return rc;
    if (need_text && a.v[0] == NULL)
        return ctl_usage(c, "--text is required");
    Cogov__V1__MeetingTransition b = COGOV__V1__MEETING_TRANSITION__INIT;
    b.meeting_id = (char *)id;
    b.has_to = true;
    b.to = to;
    b.text = (char *)a.v[0];
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_MEETING_TRANSITION;
    req.meeting_transition = &b;
    return send_show(c, &req);
}

static int
cmd_meeting_hold(ctl_t *c, int argc, char **argv)
{
    return meeting_to(c, argc, argv,
                      COGOV__V1__MEETING_STATUS__MEETING_STATUS_HELD, false);
}

static int
cmd_meeting_minutes(ctl_t *c, int argc, char **argv)
{
    return meeting_to(
        c, argc, argv,
        COGOV__V1__MEETING_STATUS__MEETING_STATUS_MINUTES_PUBLISHED, true);
}

static int
cmd_meeting_cancel(ctl_t *c, int argc, char **argv)
{
    return meeting_to(c, argc, argv,
                      COGOV__V1__MEETING_STATUS__MEETING_STATUS_CANCELLED,
                      false);
}

static int
cmd_meeting_show(ctl_t *c, int argc, char **argv)
{
    const char *id;
    int rc =
        ctl_parse_id(c, argc, argv, NULL, opt_store, NULL, "MEETING_ID", &id);
    if (rc != 0)
        return rc;
    Cogov__V1__GetMeeting b = COGOV__V1__GET_MEETING__INIT;
    b.meeting_id = (char *)id;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_GET_MEETING;
    req.get_meeting = &b;
    return send_show(c, &req);
}

static void
meeting_row(table_t *t, const ProtobufCMessage *pm)
{
    const Cogov__V1__Meeting *m = (const Cogov__V1__Meeting *)pm;
    char tb[32];
    size_t yes = 0, in = 0;
    for (size_t i = 0; i < m->n_invitees; i++) {
        yes += m->invitees[i]->attending;
        in += m->invitees[i]->checked_in;
    }
    table_cell(t, m->meeting_id);
    table_cell(t, short_enum(&cogov__v1__meeting_kind__descriptor, m->kind));
    table_cell(t,
               short_enum(&cogov__v1__meeting_status__descriptor, m->status));
    fmt_time(m->starts_at, CTL_UTC_OFFSET, tb, sizeof tb);
    table_cell(t, tb);
    table_cellf(t, "%zu/%zu/%zu", yes, in, m->n_invitees);
    title_cell(t, m->title);
}

static int
cmd_meeting_list(ctl_t *c, int argc, char **argv)
{
    static const char *const hdr[] = {
        "MEETING_ID", "KIND", "STATUS", "STARTS", ">YES/IN/INVITED", "TITLE"};
    Cogov__V1__ListMeetings b = COGOV__V1__LIST_MEETINGS__INIT;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_LIST_MEETINGS;
    req.list_meetings = &b;
    return list_cmd(c, argc, argv, &cogov__v1__meeting_status__descriptor, &req,
                    &b.base, "meetings", hdr, ARRAY_LEN(hdr), meeting_row);
}

/* ---- inquiries ---------------------------------------------------------- */

static const ctl_opt_t ask_opts[] = {{"from", true},    {"to", true},
                                     {"subject", true}, {"text", true},
                                     {"id", true},      {NULL, false}};

static int
cmd_inquiry_ask(ctl_t *c, int argc, char **argv)
{
    args_t a = {.item_idx = -1};
    int npos, rc;
    const char *pos[1];
    rc = ctl_parse(c, argc, argv, ask_opts, opt_store, &a, pos, 0, &npos);
    if (rc != 0)
        return rc;
    if (a.v[1] == NULL || a.v[2] == NULL)
        return ctl_usage(c, "--to MEMBER_ID and --subject are required");
    Cogov__V1__AskInquiry b = COGOV__V1__ASK_INQUIRY__INIT;
    b.asker_member_id = (char *)a.v[0];
    b.addressee_member_id = (char *)a.v[1];
    b.subject = (char *)a.v[2];
    b.text = (char *)a.v[3];
    b.inquiry_id = (char *)a.v[4];
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_ASK_INQUIRY;
    req.ask_inquiry = &b;
    return send_show(c, &req);
}

static const ctl_opt_t route_opts[] = {{"to", true}, {NULL, false}};

static int
cmd_inquiry_route(ctl_t *c, int argc, char **argv)
{
    args_t a = {.item_idx = -1};
    const char *id;
    int rc = ctl_parse_id(c, argc, argv, route_opts, opt_store, &a,
                          "INQUIRY_ID", &id);
    if (rc != 0)
        return rc;
    Cogov__V1__RouteInquiry b = COGOV__V1__ROUTE_INQUIRY__INIT;
    b.inquiry_id = (char *)id;
    b.addressee_member_id = (char *)a.v[0];
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_ROUTE_INQUIRY;
    req.route_inquiry = &b;
    return send_show(c, &req);
}

static int
cmd_inquiry_answer(ctl_t *c, int argc, char **argv)
{
    args_t a = {.item_idx = -1};
    int npos, rc;
    const char *pos[1];
    rc = ctl_parse(c, argc, argv, text_opts, opt_store, &a, pos, 1, &npos);
    if (rc != 0)
        return rc;
    if (npos != 1 || a.v[0] == NULL)
        return ctl_usage(c, "INQUIRY_ID and --text are required");
    Cogov__V1__AnswerInquiry b = COGOV__V1__ANSWER_INQUIRY__INIT;
    b.inquiry_id = (char *)pos[0];
    b.answer = (char *)a.v[0];
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_ANSWER_INQUIRY;
    req.answer_inquiry = &b;
    return send_show(c, &req);
}

static int
cmd_inquiry_rate(ctl_t *c, int argc, char **argv)
{
    int npos, rc;
    const char *pos[2];
    uint64_t r;
    rc = ctl_parse(c, argc, argv, NULL, opt_store, NULL, pos, 2, &npos);
    if (rc != 0)
        return rc;
    if (npos != 2)
        return ctl_usage(c, "INQUIRY_ID and RATING (1..5) are required");
    if ((rc = ctl_parse_u64(c, "RATING", pos[1], 5, &r)) != 0)
        return rc;
    Cogov__V1__RateInquiry b = COGOV__V1__RATE_INQUIRY__INIT;
    b.inquiry_id = (char *)pos[0];
    b.has_rating = true;
    b.rating = (uint32_t)r;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_RATE_INQUIRY;
    req.rate_inquiry = &b;
    return send_show(c, &req);
}

static int
cmd_inquiry_show(ctl_t *c, int argc, char **argv)
{
    const char *id;
    int rc =
        ctl_parse_id(c, argc, argv, NULL, opt_store, NULL, "INQUIRY_ID", &id);
    if (rc != 0)
        return rc;
    Cogov__V1__GetInquiry b = COGOV__V1__GET_INQUIRY__INIT;
    b.inquiry_id = (char *)id;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_GET_INQUIRY;
    req.get_inquiry = &b;
    return send_show(c, &req);
}

static void
inquiry_row(table_t *t, const ProtobufCMessage *pm)
{
    const Cogov__V1__Inquiry *q = (const Cogov__V1__Inquiry *)pm;
    char tb[32];
    table_cell(t, q->inquiry_id);
    table_cell(t,
               short_enum(&cogov__v1__inquiry_status__descriptor, q->status));
    table_cell(t, q->asker_member_id);
    table_cell(t, q->addressee_member_id);
    fmt_time(q->due_at, CTL_UTC_OFFSET, tb, sizeof tb);
    table_cell(t, tb);
    table_cell(t, q->sla_breached ? "yes" : "no");
    title_cell(t, q->subject);
}

static int
cmd_inquiry_list(ctl_t *c, int argc, char **argv)
{
    static const char *const hdr[] = {"INQUIRY_ID", "STATUS", "ASKER",
                                      "ADDRESSEE",  "DUE",    "BREACHED",
                                      "SUBJECT"};
    Cogov__V1__ListInquiries b = COGOV__V1__LIST_INQUIRIES__INIT;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_LIST_INQUIRIES;
    req.list_inquiries = &b;
    return list_cmd(c, argc, argv, &cogov__v1__inquiry_status__descriptor, &req,
                    &b.base, "inquiries", hdr, ARRAY_LEN(hdr), inquiry_row);
}

static const ctl_opt_t extra_opts[] = {
    {"member", true}, {"subject", true}, {"reason", true}, {NULL, false}};

static int
cmd_meeting_request_extra(ctl_t *c, int argc, char **argv)
{
    args_t a = {.item_idx = -1};
    int npos, rc;
    const char *pos[1];
    rc = ctl_parse(c, argc, argv, extra_opts, opt_store, &a, pos, 0, &npos);
    if (rc != 0)
        return rc;
    if (a.v[1] == NULL)
        return ctl_usage(c, "--subject is required");
    Cogov__V1__RequestExtraordinaryMeeting b =
        COGOV__V1__REQUEST_EXTRAORDINARY_MEETING__INIT;
    b.member_id = (char *)a.v[0];
    b.subject = (char *)a.v[1];
    b.reason = (char *)a.v[2];
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_REQUEST_EXTRAORDINARY_MEETING;
    req.request_extraordinary_meeting = &b;
    return send_show(c, &req);
}

static const ctl_opt_t extra_show_opts[] = {
    {"subject", true}, {"id", true}, {NULL, false}};

static int
cmd_meeting_extra_show(ctl_t *c, int argc, char **argv)
{
    args_t a = {.item_idx = -1};
    int npos, rc;
    const char *pos[1];
    rc =
        ctl_parse(c, argc, argv, extra_show_opts, opt_store, &a, pos, 0, &npos);
    if (rc != 0)
        return rc;
    if (a.v[0] == NULL && a.v[1] == NULL)
        return ctl_usage(c, "--subject or --id is required");
    Cogov__V1__GetExtraordinaryRequest b =
        COGOV__V1__GET_EXTRAORDINARY_REQUEST__INIT;
    b.subject = (char *)a.v[0];
    b.subject_id = (char *)a.v[1];
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_GET_EXTRAORDINARY_REQUEST;
    req.get_extraordinary_request = &b;
    return send_show(c, &req);
}

/* ---- briefing ----------------------------------------------------------- */

static void
entries_markdown(sbuf_t *b, const char *heading,
                 Cogov__V1__BriefingEntry *const *v, size_t n)
{
    char tb[32];
    sbuf_printf(b, "\n## %s（%zu）\n\n", heading, n);
    for (size_t i = 0; i < n; i++) {
        const Cogov__V1__BriefingEntry *e = v[i];
        fmt_time(e->at, CTL_UTC_OFFSET, tb, sizeof tb);
        sbuf_printf(b, "- %s %s %s%s%s%s%s\n", tb, e->id,
                    e->title ? e->title : "",
                    str_empty(e->member_id) ? "" : "，单位 ",
                    str_empty(e->member_id) ? "" : e->member_id,
                    str_empty(e->detail) ? "" : "，",
                    str_empty(e->detail) ? "" : e->detail);
    }
}

static void
briefing_markdown(sbuf_t *b, const Cogov__V1__Briefing *r)
{
    char f[32], t[32], tb[32];
    fmt_time(r->from, CTL_UTC_OFFSET, f, sizeof f);
    fmt_time(r->to, CTL_UTC_OFFSET, t, sizeof t);
    sbuf_printf(b, "# 工作简报\n\n期间：%s 至 %s\n\n", f, r->to ? t : "今");
    sbuf_printf(b, "## 会议（%zu）\n\n", r->n_meetings_held);
    for (size_t i = 0; i < r->n_meetings_held; i++) {
        const Cogov__V1__Meeting *m = r->meetings_held[i];
        size_t in = 0;
        for (size_t j = 0; j < m->n_invitees; j++)
            in += m->invitees[j]->checked_in;
        fmt_time(m->starts_at, CTL_UTC_OFFSET, tb, sizeof tb);
        sbuf_printf(b, "- %s %s（%s，出席 %zu/%zu%s）\n", tb, m->title,
                    enum_text(&cogov__v1__meeting_kind__descriptor, m->kind),
                    in, m->n_invitees, m->quorum_met ? "，达到法定人数" : "");
    }
    sbuf_printf(b, "\n## 决议（%zu）\n\n", r->n_resolutions);
    for (size_t i = 0; i < r->n_resolutions; i++) {
        const Cogov__V1__Motion *m = r->resolutions[i];
        sbuf_printf(b,
                    "- %s %s（赞成 %u，反对 %u，弃权 %u；章程第 %u 版；"
                    "事项 %zu 项）\n",
                    m->resolution_id, m->title, m->votes_for, m->votes_against,
                    m->abstentions, m->charter_version, m->n_action_items);
    }
    sbuf_printf(b, "\n## 通知（%zu）\n\n", r->n_notices);
    for (size_t i = 0; i < r->n_notices; i++) {
        const Cogov__V1__Notice *n = r->notices[i];
        sbuf_printf(b, "- %s（确认 %zu/%zu）\n", n->title, n->n_acknowledged,
                    n->n_addressees);
    }
    sbuf_printf(b, "\n## 诉求（%zu，超时 %u）\n\n", r->n_inquiries,
                r->inquiries_breached);
    for (size_t i = 0; i < r->n_inquiries; i++) {
        const Cogov__V1__Inquiry *q = r->inquiries[i];
        sbuf_printf(
            b, "- %s：%s → %s，%s%s\n", q->subject, q->asker_member_id,
            q->addressee_member_id,
            enum_text(&cogov__v1__inquiry_status__descriptor, q->status),
            q->sla_breached ? "（已超时督办）" : "");
    }
    entries_markdown(b, "任务启动", r->tasks_started, r->n_tasks_started);
    entries_markdown(b, "任务完成", r->tasks_completed, r->n_tasks_completed);
    entries_markdown(b, "奖补", r->awards, r->n_awards);
    entries_markdown(b, "预警", r->warnings, r->n_warnings);
    entries_markdown(b, "考核评价", r->evaluations, r->n_evaluations);
}

static const ctl_opt_t brief_opts[] = {
    {"from", true}, {"to", true}, {"markdown", false}, {NULL, false}};

static int
cmd_briefing(ctl_t *c, int argc, char **argv)
{
    args_t a = {.item_idx = -1};
    int npos, rc;
    const char *pos[1];
    rc = ctl_parse(c, argc, argv, brief_opts, opt_store, &a, pos, 0, &npos);
    if (rc != 0)
        return rc;
    Cogov__V1__GetBriefing b = COGOV__V1__GET_BRIEFING__INIT;
    if (a.v[0] != NULL) {
        if ((rc = parse_time_opt(c, "--from", a.v[0], &b.from)) != 0)
            return rc;
        b.has_from = true;
    }
    if (a.v[1] != NULL) {
        if ((rc = parse_time_opt(c, "--to", a.v[1], &b.to)) != 0)
            return rc;
        b.has_to = true;
    }
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_GET_BRIEFING;
    req.get_briefing = &b;
    if (a.v[2] == NULL || c->json)
        return send_show(c, &req);
    Cogov__V1__Reply *rep;
    rc = ctl_call(c, SVC_SECRETARIAT, &req, &rep);
    if (rc != 0)
        return rc;
    sbuf_t out = {0};
    sbuf_init(&out);
    if (rep->body_case == COGOV__V1__REPLY__BODY_BRIEFING)
        briefing_markdown(&out, rep->briefing);
    ctl_flush(&out);
    sbuf_free(&out);
    cogov__v1__reply__free_unpacked(rep, NULL);
    return CTL_EXIT_OK;
}

const ctl_cmd_t ctl_cmds_sec[] = {
    {"motion", "raise",
     "--title T [--member ID] [--text T] [--consent] [--review-on DATE]\n"
     "    [--id MOTION_ID] [--item "
     "\"ID|TITLE|OWNER|DUE|KIND[|QTY[|UNIT]]\"]...",
     "Raise a motion for a member unit (MEMBER_REP: own unit; SECRETARIAT on\n"
     "its behalf). --consent: adopted unless a unit objects. Each --item is "
     "an\n"
     "action item of the resolution (KIND: order_class, apprenticeship, "
     "...).\n",
     cmd_motion_raise},
    {"motion", "open",
     "MOTION_ID (--closes \"YYYY-MM-DD[ HH:MM]\" | --meeting ID)",
     "Open the vote: by correspondence closing at business time --closes\n"
     "(on the first calendar tick at or after it, or when all eligible units\n"
     "have voted), or on a meeting's agenda (closes when it is held). The\n"
     "charter version in force now decides quorum and pass rule. Role:\n"
     "SECRETARIAT.\n",
     cmd_motion_open},
    {"motion", "vote", "MOTION_ID for|against|abstain|objection [--member ID]",
     "Cast a unit's vote (one unit, one vote; objection only in consent\n"
     "decisions). Roles: MEMBER_REP (own unit), SECRETARIAT.\n",
     cmd_motion_vote},
    {"motion", "show", "MOTION_ID",
     "Show a motion with its ballots, counts and the charter rules used.\n",
     cmd_motion_show},
    {"motion", "list", "[--status raised|voting|adopted|rejected|no_quorum]",
     "List motions. --json prints an array.\n", cmd_motion_list},
    {"meeting", "schedule",
     "--kind K --title T --at \"YYYY-MM-DD HH:MM\" --invite ID,ID,...\n"
     "    [--place P] [--convenor ID] [--agenda MOTION_ID,...] [--id ID]",
     "Schedule a meeting (K: council_plenary, standing_council,\n"
     "joint_conference, working_committee, matching_fair). Invitees get a\n"
     "reminder notice meeting_remind_hours before it. Role: SECRETARIAT.\n",
     cmd_meeting_schedule},
    {"meeting", "rsvp", "MEETING_ID [--member ID] [--decline]",
     "Answer an invitation (attending unless --decline). Roles: MEMBER_REP\n"
     "(own unit), SECRETARIAT.\n",
     cmd_meeting_rsvp},
    {"meeting", "checkin", "MEETING_ID --member ID",
     "Record an invitee's attendance. Role: SECRETARIAT.\n",
     cmd_meeting_checkin},
    {"meeting", "hold", "MEETING_ID",
     "SCHEDULED -> HELD: quorum (checked-in / invited) under the charter in\n"
     "force; agenda votes close. Role: SECRETARIAT.\n",
     cmd_meeting_hold},
    {"meeting", "minutes", "MEETING_ID --text MINUTES",
     "HELD -> MINUTES_PUBLISHED. Role: SECRETARIAT.\n", cmd_meeting_minutes},
    {"meeting", "cancel", "MEETING_ID [--text REASON]",
     "SCHEDULED -> CANCELLED. Role: SECRETARIAT.\n", cmd_meeting_cancel},
    {"meeting", "show", "MEETING_ID", "Show a meeting with its invitees.\n",
     cmd_meeting_show},
    {"meeting", "list", "[--status scheduled|held|minutes_published|cancelled]",
     "List meetings. --json prints an array.\n", cmd_meeting_list},
    {"meeting", "request-extraordinary",
     "--subject S [--member ID] [--reason R]",
     "Request an extraordinary meeting on a subject (one request per unit\n"
     "per subject). When the charter's share of ADMITTED units has\n"
     "requested, a council plenary is convened (extraordinary_notice_days\n"
     "later, every admitted unit invited). Roles: MEMBER_REP (own unit),\n"
     "SECRETARIAT.\n",
     cmd_meeting_request_extra},
    {"meeting", "extraordinary", "(--subject S | --id SUBJECT_ID)",
     "Show the requests on a subject and the meeting convened, if any.\n",
     cmd_meeting_extra_show},
    {"inquiry", "ask",
     "--to MEMBER_ID --subject S [--from MEMBER_ID] [--text T] [--id ID]",
     "A unit's inquiry (诉求) to another unit. Unanswered after\n"
     "inquiry_sla_days it is escalated (inquiry_sla_breached). Roles:\n"
     "MEMBER_REP (own unit), SECRETARIAT.\n",
     cmd_inquiry_ask},
    {"inquiry", "route", "INQUIRY_ID [--to MEMBER_ID]",
     "Route an open inquiry (to another addressee). Role: SECRETARIAT.\n",
     cmd_inquiry_route},
    {"inquiry", "answer", "INQUIRY_ID --text ANSWER",
     "Answer (the addressee's MEMBER_REP, or SECRETARIAT).\n",
     cmd_inquiry_answer},
    {"inquiry", "rate", "INQUIRY_ID 1..5",
     "Rate the answer (the asker's MEMBER_REP, or SECRETARIAT).\n",
     cmd_inquiry_rate},
    {"inquiry", "show", "INQUIRY_ID", "Show one inquiry.\n", cmd_inquiry_show},
    {"inquiry", "list", "[--status open|routed|answered|rated]",
     "List inquiries. --json prints an array.\n", cmd_inquiry_list},
    {"briefing", NULL,
     "[--from \"YYYY-MM-DD[ HH:MM]\"] [--to ...] [--markdown]",
     "Work briefing (工作简报) for a period: meetings held, resolutions,\n"
     "notices, inquiries, tasks started and completed, awards, warnings,\n"
     "evaluations. --markdown prints Markdown for export.\n",
     cmd_briefing},
    {NULL, NULL, NULL, NULL, NULL},
};

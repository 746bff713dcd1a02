/* cogovctl_plan: coordination's planning commands (issue 5) — charter,
 * council, goal, task, pledge, escalation and dossier. Syntax is checked
 * here (numbers, dates, enum names); ranges and references are the
 * service's to judge, so a negative quantity reaches it and comes back
 * INVALID (exit 2). */
#include "cogovctl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "cogov/v1/coordination.pb-c.h"
#include "cogov/v1/types.pb-c.h"

#define PLAN_TEXT_FILE_MAX (1 << 20)
/* Options with repeatable ones: vals[idx], and for idx == rep_idx a list. */
typedef struct multi {
    const char **v;
    int rep_idx[2];
    char **list[2];
    size_t n[2];
} multi_t;

static int
opt_multi(ctl_t *c, int idx, const char *value, void *arg)
{
    multi_t *m = arg;
    for (int i = 0; i < 2; i++)
        if (idx == m->rep_idx[i]) {
            m->list[i] = xrealloc(m->list[i], (m->n[i] + 1) * sizeof(char *));
            m->list[i][m->n[i]++] = (char *)value;
            return 0;
        }
    return ctl_opt_store(c, idx, value, m->v);
}

static int
print_reply(ctl_t *c, Cogov__V1__Reply *rep)
{
    ctl_print_message(c, pb_oneof_message(&rep->base, rep->body_case));
    cogov__v1__reply__free_unpacked(rep, NULL);
    return CTL_EXIT_OK;
}

/* Send to coordination and print the body. */
static int
call_print(ctl_t *c, Cogov__V1__Request *req)
{
    Cogov__V1__Reply *rep;
    int rc = ctl_call(c, SVC_COORDINATION, req, &rep);
    return rc == 0 ? print_reply(c, rep) : rc;
}

static int
check_date(ctl_t *c, const char *opt, const char *s)
{
    int64_t t;
    if (s == NULL || strlen(s) != 10 || time_parse(s, CTL_UTC_OFFSET, &t) != 0)
        return ctl_usage(c, "%s: expected YYYY-MM-DD, got '%s'", opt,
                         s ? s : "");
    return 0;
}

/* A signed integer (the service judges its range). */
static int
parse_i64(ctl_t *c, const char *opt, const char *value, int64_t *out)
{
    char *end = NULL;
    if (str_empty(value))
        return ctl_usage(c, "%s: not a number: ''", opt);
    errno = 0;
    long long v = strtoll(value, &end, 10);
    if (errno != 0 || *end != 0)
        return ctl_usage(c, "%s: not a number: '%s'", opt, value);
    *out = v;
    return 0;
}

static int
parse_u32(ctl_t *c, const char *opt, const char *value, uint32_t *out)
{
    uint64_t v;
    int rc = ctl_parse_u64(c, opt, value, UINT32_MAX, &v);
    if (rc == 0)
        *out = (uint32_t)v;
    return rc;
}

static char *
read_text_file(ctl_t *c, const char *path, int *rc)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        ctl_err("%s: %s", path, strerror(errno));
        *rc = CTL_EXIT_INVALID;
        return NULL;
    }
    sbuf_t b;
    sbuf_init(&b);
    char buf[8192];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0 &&
           b.len <= PLAN_TEXT_FILE_MAX)
        sbuf_add(&b, buf, n);
    bool bad = ferror(f) != 0;
    fclose(f);
    if (bad || b.len > PLAN_TEXT_FILE_MAX) {
        ctl_err("%s: %s", path, bad ? "read error" : "file too large");
        sbuf_free(&b);
        *rc = CTL_EXIT_INVALID;
        return NULL;
    }
    (void)c;
    *rc = 0;
    return b.p;
}

/* Print a list: an array of the items with --json, else the table. */
static void
print_list(ctl_t *c, ProtobufCMessage *const *items, size_t n,
           void (*row)(table_t *t, const ProtobufCMessage *m), size_t ncols,
           const char *const *hdr)
{
    sbuf_t b;
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
}

static const char *
date_or_dash(const char *s)
{
    return str_empty(s) ? "-" : s;
}

/* ==== charter ============================================================= */

enum {
    CA_TITLE,
    CA_TEXT,
    CA_TEXT_FILE,
    CA_QUORUM,
    CA_PASS,
    CA_EXTRA,
    CA_EFFECTIVE,
    CA_RESOLUTION,
    CA_WEIGHTED,
    CA_N
};
static const ctl_opt_t adopt_opts[] = {
    {"title", true},        {"text", true},       {"text-file", true},
    {"quorum", true},       {"pass", true},       {"extraordinary", true},
    {"effective-on", true}, {"resolution", true}, {"weighted-votes", false},
    {NULL, false},
};

static int
cmd_charter_adopt(ctl_t *c, int argc, char **argv)
{
    const char *v[CA_N] = {0};
    int npos;
    const char *pos[1];
    char *text = NULL;
    int rc =
        ctl_parse(c, argc, argv, adopt_opts, ctl_opt_store, v, pos, 0, &npos);
    if (rc != 0)
        return rc;
    if (str_empty(v[CA_TITLE]))
        return ctl_usage(c, "--title is required");
    if ((v[CA_TEXT] == NULL) == (v[CA_TEXT_FILE] == NULL))
        return ctl_usage(c, "give one of --text and --text-file");
    if (v[CA_QUORUM] == NULL || v[CA_PASS] == NULL || v[CA_EXTRA] == NULL)
        return ctl_usage(c, "--quorum, --pass and --extraordinary are "
                            "required (per mille, 1..1000)");
    if (v[CA_EFFECTIVE] == NULL)
        return ctl_usage(c, "--effective-on is required");
    Cogov__V1__CharterRules rules = COGOV__V1__CHARTER_RULES__INIT;
    rules.has_quorum_permille = rules.has_pass_permille = true;
    rules.has_extraordinary_permille = rules.has_one_unit_one_vote = true;
    rules.one_unit_one_vote = v[CA_WEIGHTED] == NULL;
    if ((rc = parse_u32(c, "--quorum", v[CA_QUORUM], &rules.quorum_permille)) ||
        (rc = parse_u32(c, "--pass", v[CA_PASS], &rules.pass_permille)) ||
        (rc = parse_u32(c, "--extraordinary", v[CA_EXTRA],
                        &rules.extraordinary_permille)) ||
        (rc = check_date(c, "--effective-on", v[CA_EFFECTIVE])))
        return rc;
    if (v[CA_TEXT_FILE] != NULL) {
        text = read_text_file(c, v[CA_TEXT_FILE], &rc);
        if (text == NULL)
            return rc;
    }
    Cogov__V1__AdoptCharter body = COGOV__V1__ADOPT_CHARTER__INIT;
    body.title = (char *)v[CA_TITLE];
    body.text = text != NULL ? text : (char *)v[CA_TEXT];
    body.rules = &rules;
    body.effective_on = (char *)v[CA_EFFECTIVE];
    body.resolution_id = (char *)v[CA_RESOLUTION];
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_ADOPT_CHARTER;
    req.adopt_charter = &body;
    rc = call_print(c, &req);
    free(text);
    return rc;
}

static const ctl_opt_t charter_show_opts[] = {
    {"version", true}, {"as-of", true}, {NULL, false}};

static int
cmd_charter_show(ctl_t *c, int argc, char **argv)
{
    const char *v[2] = {0};
    int npos;
    const char *pos[1];
    int rc = ctl_parse(c, argc, argv, charter_show_opts, ctl_opt_store, v, pos,
                       0, &npos);
    if (rc != 0)
        return rc;
    if (v[0] != NULL && v[1] != NULL)
        return ctl_usage(c, "give --version or --as-of, not both");
    Cogov__V1__GetCharter body = COGOV__V1__GET_CHARTER__INIT;
    if (v[0] != NULL) {
        if ((rc = parse_u32(c, "--version", v[0], &body.version)) != 0)
            return rc;
        body.has_version = true;
    }
    if (v[1] != NULL) {
        if ((rc = check_date(c, "--as-of", v[1])) != 0)
            return rc;
        body.as_of = (char *)v[1];
    }
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_GET_CHARTER;
    req.get_charter = &body;
    return call_print(c, &req);
}

/* ==== council ============================================================= */

static void
print_council(ctl_t *c, const Cogov__V1__Council *co)
{
    if (c->json || co == NULL) {
        ctl_print_message(c, co != NULL ? &co->base : NULL);
        return;
    }
    sbuf_t b;
    sbuf_init(&b);
    static const char *const hdr[] = {"SEAT", "ROLE", "MEMBER",
                                      "NAME", "FROM", "TO"};
    table_t *t = table_new(ARRAY_LEN(hdr), hdr);
    for (size_t i = 0; i < co->n_seats; i++) {
        const Cogov__V1__Seat *x = co->seats[i];
        table_cell(t, x->seat_id);
        table_cell(t, x->has_role ? enum_text(&cogov__v1__seat_role__descriptor,
                                              x->role)
                                  : NULL);
        table_cell(t, str_empty(x->member_id) ? "(vacant)" : x->member_id);
        table_cell(t, str_empty(x->member_name) ? NULL : x->member_name);
        table_cell(t, date_or_dash(x->term_start));
        table_cell(t, date_or_dash(x->term_end));
    }
    table_render(t, &b);
    table_destroy(&t);
    sbuf_printf(
        &b, "\nsecretariat  %s\n",
        str_empty(co->secretariat_member_id) ? "-" : co->secretariat_member_id);
    for (size_t i = 0; i < co->n_committees; i++) {
        const Cogov__V1__Committee *m = co->committees[i];
        sbuf_printf(&b, "committee    %s  %s  convenor %s, %zu member(s)",
                    m->committee_id, m->name ? m->name : "-",
                    m->convenor_member_id ? m->convenor_member_id : "-",
                    m->n_member_ids);
        for (size_t j = 0; j < m->n_member_ids; j++)
            sbuf_printf(&b, "%s%s", j == 0 ? ": " : ", ", m->member_ids[j]);
        sbuf_putc(&b, '\n');
    }
    ctl_flush(&b);
    sbuf_free(&b);
}

static int
call_council(ctl_t *c, Cogov__V1__Request *req)
{
    Cogov__V1__Reply *rep;
    int rc = ctl_call(c, SVC_COORDINATION, req, &rep);
    if (rc != 0)
        return rc;
    print_council(c, rep->body_case == COGOV__V1__REPLY__BODY_COUNCIL
                         ? rep->council
                         : NULL);
    cogov__v1__reply__free_unpacked(rep, NULL);
    return CTL_EXIT_OK;
}

enum { AS_SEAT, AS_ROLE, AS_MEMBER, AS_FROM, AS_TO, AS_N };
static const ctl_opt_t assign_opts[] = {
    {"seat", true}, {"role", true}, {"member", true},
    {"from", true}, {"to", true},   {NULL, false},
};

static int
cmd_council_assign(ctl_t *c, int argc, char **argv)
{
    const char *v[AS_N] = {0};
    int npos, role;
    const char *pos[1];
    int rc =
        ctl_parse(c, argc, argv, assign_opts, ctl_opt_store, v, pos, 0, &npos);
    if (rc != 0)
        return rc;
    for (int i = 0; i < AS_N; i++)
        if (str_empty(v[i]))
            return ctl_usage(c, "--%s is required", assign_opts[i].name);
    if ((rc = ctl_parse_enum(c, &cogov__v1__seat_role__descriptor, "--role",
                             v[AS_ROLE], &role)) ||
        (rc = check_date(c, "--from", v[AS_FROM])) ||
        (rc = check_date(c, "--to", v[AS_TO])))
        return rc;
    Cogov__V1__AssignSeat body = COGOV__V1__ASSIGN_SEAT__INIT;
    body.seat_id = (char *)v[AS_SEAT];
    body.has_role = true;
    body.role = role;
    body.member_id = (char *)v[AS_MEMBER];
    body.term_start = (char *)v[AS_FROM];
    body.term_end = (char *)v[AS_TO];
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_ASSIGN_SEAT;
    req.assign_seat = &body;
    return call_council(c, &req);
}

static const ctl_opt_t reason_opts[] = {{"reason", true}, {NULL, false}};

static int
cmd_council_vacate(ctl_t *c, int argc, char **argv)
{
    const char *v[1] = {0};
    int npos;
    const char *pos[1];
    int rc =
        ctl_parse(c, argc, argv, reason_opts, ctl_opt_store, v, pos, 1, &npos);
    if (rc != 0)
        return rc;
    if (npos != 1)
        return ctl_usage(c, "SEAT_ID is required");
    Cogov__V1__VacateSeat body = COGOV__V1__VACATE_SEAT__INIT;
    body.seat_id = (char *)pos[0];
    body.reason = (char *)v[0];
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_VACATE_SEAT;
    req.vacate_seat = &body;
    return call_council(c, &req);
}

static int
cmd_council_show(ctl_t *c, int argc, char **argv)
{
    int npos;
    const char *pos[1];
    int rc = ctl_parse(c, argc, argv, NULL, ctl_opt_store, NULL, pos, 0, &npos);
    if (rc != 0)
        return rc;
    Cogov__V1__ListSeats body = COGOV__V1__LIST_SEATS__INIT;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_LIST_SEATS;
    req.list_seats = &body;
    return call_council(c, &req);
}

static int
cmd_council_secretariat(ctl_t *c, int argc, char **argv)
{
    int npos;
    const char *pos[1];
    int rc = ctl_parse(c, argc, argv, NULL, ctl_opt_store, NULL, pos, 1, &npos);
    if (rc != 0)
        return rc;
    if (npos != 1)
        return ctl_usage(c, "MEMBER_ID is required");
    Cogov__V1__DesignateSecretariat body =
        COGOV__V1__DESIGNATE_SECRETARIAT__INIT;
    body.member_id = (char *)pos[0];
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_DESIGNATE_SECRETARIAT;
    req.designate_secretariat = &body;
    return call_council(c, &req);
}

enum { CM_ID, CM_NAME, CM_CONVENOR, CM_MEMBER, CM_N };
static const ctl_opt_t committee_opts[] = {
    {"id", true},     {"name", true}, {"convenor", true},
    {"member", true}, {NULL, false},
};

static int
cmd_council_committee(ctl_t *c, int argc, char **argv)
{
    const char *v[CM_N] = {0};
    multi_t m = {.v = v, .rep_idx = {CM_MEMBER, -1}};
    int npos;
    const char *pos[1];
    int rc =
        ctl_parse(c, argc, argv, committee_opts, opt_multi, &m, pos, 0, &npos);
    if (rc != 0)
        goto done;
    if (str_empty(v[CM_ID]) || str_empty(v[CM_NAME]) ||
        str_empty(v[CM_CONVENOR])) {
        rc = ctl_usage(c, "--id, --name and --convenor are required");
        goto done;
    }
    Cogov__V1__FormCommittee body = COGOV__V1__FORM_COMMITTEE__INIT;
    body.committee_id = (char *)v[CM_ID];
    body.name = (char *)v[CM_NAME];
    body.convenor_member_id = (char *)v[CM_CONVENOR];
    body.n_member_ids = m.n[0];
    body.member_ids = m.list[0];
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_FORM_COMMITTEE;
    req.form_committee = &body;
    rc = call_council(c, &req);
done:
    free(m.list[0]);
    return rc;
}

/* ==== goal ================================================================ */

static void
goal_row(table_t *t, const ProtobufCMessage *m)
{
    const Cogov__V1__Goal *g = (const Cogov__V1__Goal *)m;
    table_cell(t, g->goal_id);
    table_cellf(t, "%u", g->year);
    table_cell(t, g->indicator_code);
    table_cellf(t, "%lld", (long long)g->target_value);
    table_cellf(t, "%lld", (long long)g->planned);
    table_cellf(t, "%lld", (long long)g->delivered);
    table_cell(t, str_empty(g->unit) ? NULL : g->unit);
    table_cellf(t, "%u", g->tasks);
    table_cell(t, str_empty(g->title) ? NULL : g->title);
}

static int
call_goals(ctl_t *c, Cogov__V1__Request *req)
{
    Cogov__V1__Reply *rep;
    int rc = ctl_call(c, SVC_COORDINATION, req, &rep);
    if (rc != 0)
        return rc;
    const Cogov__V1__GoalList *gl =
        rep->body_case == COGOV__V1__REPLY__BODY_GOAL_LIST ? rep->goal_list
                                                           : NULL;
    if (c->json) {
        ctl_print_message(c, gl != NULL ? &gl->base : NULL);
    } else if (gl != NULL) {
        sbuf_t b;
        sbuf_init(&b);
        sbuf_printf(&b, "vision  %s\n\n",
                    str_empty(gl->vision) ? "-" : gl->vision);
        ctl_flush(&b);
        sbuf_free(&b);
        static const char *const hdr[] = {"GOAL",    ">YEAR",    "INDICATOR",
                                          ">TARGET", ">PLANNED", ">DELIVERED",
                                          "UNIT",    ">TASKS",   "TITLE"};
        print_list(c, (ProtobufCMessage *const *)gl->goals, gl->n_goals,
                   goal_row, ARRAY_LEN(hdr), hdr);
    }
    cogov__v1__reply__free_unpacked(rep, NULL);
    return CTL_EXIT_OK;
}

static const ctl_opt_t text_opts[] = {{"text", true}, {NULL, false}};

static int
cmd_goal_vision(ctl_t *c, int argc, char **argv)
{
    const char *v[1] = {0};
    int npos;
    const char *pos[1];
    int rc =
        ctl_parse(c, argc, argv, text_opts, ctl_opt_store, v, pos, 0, &npos);
    if (rc != 0)
        return rc;
    if (v[0] == NULL)
        return ctl_usage(c, "--text is required");
    Cogov__V1__SetVision body = COGOV__V1__SET_VISION__INIT;
    body.text = (char *)v[0];
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_SET_VISION;
    req.set_vision = &body;
    return call_goals(c, &req);
}

enum { GS_ID, GS_YEAR, GS_CODE, GS_TARGET, GS_UNIT, GS_NAME, GS_N };
static const ctl_opt_t goal_opts[] = {
    {"id", true},   {"year", true}, {"code", true}, {"target", true},
    {"unit", true}, {"name", true}, {NULL, false},
};

static int
cmd_goal_set(ctl_t *c, int argc, char **argv)
{
    const char *v[GS_N] = {0};
    int npos;
    const char *pos[1];
    char id[96];
    int rc =
        ctl_parse(c, argc, argv, goal_opts, ctl_opt_store, v, pos, 0, &npos);
    if (rc != 0)
        return rc;
    if (v[GS_YEAR] == NULL || str_empty(v[GS_CODE]) || v[GS_TARGET] == NULL)
        return ctl_usage(c, "--year, --code and --target are required");
    Cogov__V1__SetGoal body = COGOV__V1__SET_GOAL__INIT;
    body.has_year = body.has_target_value = true;
    if ((rc = parse_u32(c, "--year", v[GS_YEAR], &body.year)) ||
        (rc = parse_i64(c, "--target", v[GS_TARGET], &body.target_value)))
        return rc;
    if (v[GS_ID] == NULL)
        snprintf(id, sizeof id, "%u-%s", body.year, v[GS_CODE]);
    body.goal_id = v[GS_ID] != NULL ? (char *)v[GS_ID] : id;
    body.indicator_code = (char *)v[GS_CODE];
    body.title = (char *)v[GS_NAME];
    body.unit = (char *)v[GS_UNIT];
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_SET_GOAL;
    req.set_goal = &body;
    return call_goals(c, &req);
}

static const ctl_opt_t year_opts[] = {{"year", true}, {NULL, false}};

static int
cmd_goal_list(ctl_t *c, int argc, char **argv)
{
    const char *v[1] = {0};
    int npos;
    const char *pos[1];
    int rc =
        ctl_parse(c, argc, argv, year_opts, ctl_opt_store, v, pos, 0, &npos);
    if (rc != 0)
        return rc;
    Cogov__V1__ListGoals body = COGOV__V1__LIST_GOALS__INIT;
    if (v[0] != NULL) {
        if ((rc = parse_u32(c, "--year", v[0], &body.year)) != 0)
            return rc;
        body.has_year = true;
    }
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_LIST_GOALS;
    req.list_goals = &body;
    return call_goals(c, &req);
}

/* ==== task ================================================================ */

enum {
    TC_ID,
    TC_TITLE,
    TC_KIND,
    TC_LEAD,
    TC_PART,
    TC_GOAL,
    TC_PLANNED,
    TC_QUNIT,
    TC_MILESTONE,
    TC_N
};
static const ctl_opt_t task_opts[] = {
    {"id", true},      {"title", true},         {"kind", true},
    {"lead", true},    {"participant", true},   {"goal", true},
    {"planned", true}, {"quantity-unit", true}, {"milestone", true},
    {NULL, false},
};

static int
cmd_task_create(ctl_t *c, int argc, char **argv)
{
    const char *v[TC_N] = {0};
    multi_t m = {.v = v, .rep_idx = {TC_PART, TC_MILESTONE}};
    Cogov__V1__MilestoneSpec *specs = NULL, **sp = NULL;
    char **dup = NULL;
    size_t n_ms = 0;
    int npos, kind;
    const char *pos[1];
    int rc = ctl_parse(c, argc, argv, task_opts, opt_multi, &m, pos, 0, &npos);
    if (rc != 0)
        goto done;
    if (str_empty(v[TC_ID]) || str_empty(v[TC_TITLE]) ||
        str_empty(v[TC_KIND]) || str_empty(v[TC_LEAD])) {
        rc = ctl_usage(c, "--id, --title, --kind and --lead are required");
        goto done;
    }
    if ((rc = ctl_parse_enum(c, &cogov__v1__task_kind__descriptor, "--kind",
                             v[TC_KIND], &kind)) != 0)
        goto done;
    Cogov__V1__CreateTask body = COGOV__V1__CREATE_TASK__INIT;
    if (v[TC_PLANNED] != NULL) {
        if ((rc = parse_i64(c, "--planned", v[TC_PLANNED],
                            &body.planned_quantity)) != 0)
            goto done;
        body.has_planned_quantity = true;
    }
    n_ms = m.n[1];
    specs = xcalloc(n_ms + 1, sizeof *specs);
    sp = xcalloc(n_ms + 1, sizeof *sp);
    dup = xcalloc(n_ms + 1, sizeof *dup);
    for (size_t i = 0; i < n_ms; i++) {
        /* ID:YYYY-MM-DD:TITLE (the title may hold colons) */
        dup[i] = xstrdup(m.list[1][i]);
        char *id = dup[i], *date = strchr(id, ':');
        char *title = date != NULL ? strchr(date + 1, ':') : NULL;
        if (date == NULL || title == NULL) {
            rc = ctl_usage(c,
                           "--milestone: expected ID:YYYY-MM-DD:TITLE, "
                           "got '%s'",
                           m.list[1][i]);
            goto done;
        }
        *date++ = 0;
        *title++ = 0;
        if ((rc = check_date(c, "--milestone", date)) != 0)
            goto done;
        cogov__v1__milestone_spec__init(&specs[i]);
        specs[i].milestone_id = id;
        specs[i].due_on = date;
        specs[i].title = title;
        sp[i] = &specs[i];
    }
    body.task_id = (char *)v[TC_ID];
    body.title = (char *)v[TC_TITLE];
    body.has_kind = true;
    body.kind = kind;
    body.lead_member_id = (char *)v[TC_LEAD];
    body.n_participant_ids = m.n[0];
    body.participant_ids = m.list[0];
    body.goal_id = (char *)v[TC_GOAL];
    body.quantity_unit = (char *)v[TC_QUNIT];
    body.n_milestones = n_ms;
    body.milestones = sp;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_CREATE_TASK;
    req.create_task = &body;
    rc = call_print(c, &req);
done:
    for (size_t i = 0; dup != NULL && i < n_ms; i++)
        free(dup[i]);
    free(dup);
    free(sp);
    free(specs);
    free(m.list[0]);
    free(m.list[1]);
    return rc;
}

static int
task_change(ctl_t *c, int argc, char **argv, int action)
{
    const char *v[1] = {0};
    int npos;
    const char *pos[1];
    int rc =
        ctl_parse(c, argc, argv, reason_opts, ctl_opt_store, v, pos, 1, &npos);
    if (rc != 0)
        return rc;
    if (npos != 1)
        return ctl_usage(c, "TASK_ID is required");
    Cogov__V1__ChangeTaskStatus body = COGOV__V1__CHANGE_TASK_STATUS__INIT;
    body.task_id = (char *)pos[0];
    body.has_action = true;
    body.action = action;
    body.reason = (char *)v[0];
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_CHANGE_TASK_STATUS;
    req.change_task_status = &body;
    return call_print(c, &req);
}

#define TASK_FN(verb, ACT)                                                     \
    static int cmd_task_##verb(ctl_t *c, int argc, char **argv)                \
    {                                                                          \
        return task_change(c, argc, argv,                                      \
                           COGOV__V1__TASK_ACTION__TASK_ACTION_##ACT);         \
    }
TASK_FN(approve, APPROVE)
TASK_FN(start, START)
TASK_FN(complete, COMPLETE)
TASK_FN(cancel, CANCEL)

enum {
    TP_UNIT,
    TP_MEMBER,
    TP_REPORT,
    TP_STUDENTS,
    TP_INTERNS,
    TP_HOURS,
    TP_FEN,
    TP_QTY,
    TP_NOTE,
    TP_CORRECTS,
    TP_N
};
static const ctl_opt_t progress_opts[] = {
    {"unit", true},           {"member", true},   {"report", true},
    {"students", true},       {"interns", true},  {"hours", true},
    {"investment-fen", true}, {"quantity", true}, {"note", true},
    {"corrects", true},       {NULL, false},
};

static int
cmd_task_progress(ctl_t *c, int argc, char **argv)
{
    const char *v[TP_N] = {0};
    int npos;
    const char *pos[1];
    int rc = ctl_parse(c, argc, argv, progress_opts, ctl_opt_store, v, pos, 1,
                       &npos);
    if (rc != 0)
        return rc;
    if (npos != 1)
        return ctl_usage(c, "TASK_ID is required");
    const char *unit = v[TP_UNIT] != NULL ? v[TP_UNIT] : v[TP_MEMBER];
    if (str_empty(unit))
        return ctl_usage(c, "--unit (the reporting member unit) is required");
    Cogov__V1__Delivered d = COGOV__V1__DELIVERED__INIT;
    struct {
        int idx;
        const char *opt;
        protobuf_c_boolean *has;
        int64_t *val;
    } nums[] = {
        {TP_STUDENTS, "--students", &d.has_students_enrolled,
         &d.students_enrolled},
        {TP_INTERNS, "--interns", &d.has_interns_hosted, &d.interns_hosted},
        {TP_HOURS, "--hours", &d.has_training_hours, &d.training_hours},
        {TP_FEN, "--investment-fen", &d.has_investment_fen, &d.investment_fen},
        {TP_QTY, "--quantity", &d.has_quantity, &d.quantity},
    };
    for (size_t i = 0; i < ARRAY_LEN(nums); i++) {
        if (v[nums[i].idx] == NULL)
            continue;
        if ((rc = parse_i64(c, nums[i].opt, v[nums[i].idx], nums[i].val)) != 0)
            return rc;
        *nums[i].has = true;
    }
    Cogov__V1__ReportProgress body = COGOV__V1__REPORT_PROGRESS__INIT;
    body.task_id = (char *)pos[0];
    /* Without --report, the invocation's correlation id names the report. */
    body.report_id = v[TP_REPORT] != NULL ? (char *)v[TP_REPORT] : c->corr;
    body.member_id = (char *)unit;
    body.delivered = &d;
    body.note = (char *)v[TP_NOTE];
    body.corrects_report_id = (char *)v[TP_CORRECTS];
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_REPORT_PROGRESS;
    req.report_progress = &body;
    return call_print(c, &req);
}

static const ctl_opt_t note_opts[] = {{"note", true}, {NULL, false}};

static int
cmd_task_milestone(ctl_t *c, int argc, char **argv)
{
    const char *v[1] = {0};
    int npos;
    const char *pos[2];
    int rc =
        ctl_parse(c, argc, argv, note_opts, ctl_opt_store, v, pos, 2, &npos);
    if (rc != 0)
        return rc;
    if (npos != 2)
        return ctl_usage(c, "TASK_ID and MILESTONE_ID are required");
    Cogov__V1__CompleteMilestone body = COGOV__V1__COMPLETE_MILESTONE__INIT;
    body.task_id = (char *)pos[0];
    body.milestone_id = (char *)pos[1];
    body.note = (char *)v[0];
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_COMPLETE_MILESTONE;
    req.complete_milestone = &body;
    return call_print(c, &req);
}

static int
cmd_task_show(ctl_t *c, int argc, char **argv)
{
    int npos;
    const char *pos[1];
    int rc = ctl_parse(c, argc, argv, NULL, ctl_opt_store, NULL, pos, 1, &npos);
    if (rc != 0)
        return rc;
    if (npos != 1)
        return ctl_usage(c, "TASK_ID is required");
    Cogov__V1__GetTask body = COGOV__V1__GET_TASK__INIT;
    body.task_id = (char *)pos[0];
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_GET_TASK;
    req.get_task = &body;
    return call_print(c, &req);
}

static void
task_row(table_t *t, const ProtobufCMessage *m)
{
    const Cogov__V1__Task *k = (const Cogov__V1__Task *)m;
    size_t done = 0;
    for (size_t i = 0; i < k->n_milestones; i++)
        done += k->milestones[i]->completed_at != 0;
    table_cell(t, k->task_id);
    table_cell(t, k->has_kind
                      ? enum_text(&cogov__v1__task_kind__descriptor, k->kind)
                      : NULL);
    table_cell(t, k->has_status ? enum_text(&cogov__v1__task_status__descriptor,
                                            k->status)
                                : NULL);
    table_cell(t, k->lead_member_id);
    table_cellf(t, "%zu", k->n_participant_ids);
    table_cellf(t, "%zu/%zu", done, k->n_milestones);
    table_cellf(t, "%lld", (long long)k->planned_quantity);
    table_cellf(t, "%lld",
                k->delivered != NULL ? (long long)k->delivered->quantity : 0LL);
    table_cell(t, k->overdue ? "yes" : "");
    table_cell(t, k->title);
}

enum { TL_STATUS, TL_UNIT, TL_MEMBER, TL_OVERDUE, TL_N };
static const ctl_opt_t tlist_opts[] = {
    {"status", true},   {"unit", true}, {"member", true},
    {"overdue", false}, {NULL, false},
};

static int
cmd_task_list(ctl_t *c, int argc, char **argv)
{
    const char *v[TL_N] = {0};
    int npos, st;
    const char *pos[1];
    int rc =
        ctl_parse(c, argc, argv, tlist_opts, ctl_opt_store, v, pos, 0, &npos);
    if (rc != 0)
        return rc;
    Cogov__V1__ListTasks body = COGOV__V1__LIST_TASKS__INIT;
    if (v[TL_STATUS] != NULL) {
        if ((rc = ctl_parse_enum(c, &cogov__v1__task_status__descriptor,
                                 "--status", v[TL_STATUS], &st)) != 0)
            return rc;
        body.has_status = true;
        body.status = st;
    }
    body.member_id = (char *)(v[TL_UNIT] != NULL ? v[TL_UNIT] : v[TL_MEMBER]);
    body.has_overdue_only = v[TL_OVERDUE] != NULL;
    body.overdue_only = v[TL_OVERDUE] != NULL;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_LIST_TASKS;
    req.list_tasks = &body;
    Cogov__V1__Reply *rep;
    rc = ctl_call(c, SVC_COORDINATION, &req, &rep);
    if (rc != 0)
        return rc;
    const Cogov__V1__TaskList *tl =
        rep->body_case == COGOV__V1__REPLY__BODY_TASK_LIST ? rep->task_list
                                                           : NULL;
    static const char *const hdr[] = {
        "TASK",        "KIND",     "STATUS", "LEAD",    ">PARTS",
        ">MILESTONES", ">PLANNED", ">DONE",  "OVERDUE", "TITLE"};
    print_list(c, tl ? (ProtobufCMessage *const *)tl->tasks : NULL,
               tl ? tl->n_tasks : 0, task_row, ARRAY_LEN(hdr), hdr);
    cogov__v1__reply__free_unpacked(rep, NULL);
    return CTL_EXIT_OK;
}

/* ==== pledge ============================================================== */

enum {
    PM_ID,
    PM_TASK,
    PM_UNIT,
    PM_MEMBER,
    PM_KIND,
    PM_AMOUNT,
    PM_DESC,
    PM_DUE,
    PM_N
};
static const ctl_opt_t pledge_opts[] = {
    {"id", true},          {"task", true},   {"unit", true},
    {"member", true},      {"kind", true},   {"amount-fen", true},
    {"description", true}, {"due-on", true}, {NULL, false},
};

static int
cmd_pledge_make(ctl_t *c, int argc, char **argv)
{
    const char *v[PM_N] = {0};
    int npos, kind;
    const char *pos[1];
    int rc =
        ctl_parse(c, argc, argv, pledge_opts, ctl_opt_store, v, pos, 0, &npos);
    if (rc != 0)
        return rc;
    const char *unit = v[PM_UNIT] != NULL ? v[PM_UNIT] : v[PM_MEMBER];
    if (str_empty(v[PM_ID]) || str_empty(v[PM_TASK]) || str_empty(unit) ||
        str_empty(v[PM_KIND]) || v[PM_DUE] == NULL)
        return ctl_usage(c, "--id, --task, --unit, --kind and --due-on are "
                            "required");
    if ((rc = ctl_parse_enum(c, &cogov__v1__pledge_kind__descriptor, "--kind",
                             v[PM_KIND], &kind)) ||
        (rc = check_date(c, "--due-on", v[PM_DUE])))
        return rc;
    Cogov__V1__MakePledge body = COGOV__V1__MAKE_PLEDGE__INIT;
    if (v[PM_AMOUNT] != NULL) {
        if ((rc = parse_i64(c, "--amount-fen", v[PM_AMOUNT],
                            &body.amount_fen)) != 0)
            return rc;
        body.has_amount_fen = true;
    }
    body.pledge_id = (char *)v[PM_ID];
    body.task_id = (char *)v[PM_TASK];
    body.member_id = (char *)unit;
    body.has_kind = true;
    body.kind = kind;
    body.description = (char *)v[PM_DESC];
    body.due_on = (char *)v[PM_DUE];
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_MAKE_PLEDGE;
    req.make_pledge = &body;
    return call_print(c, &req);
}

static const ctl_opt_t evidence_opts[] = {{"evidence", true}, {NULL, false}};

static int
cmd_pledge_deliver(ctl_t *c, int argc, char **argv)
{
    const char *v[1] = {0};
    int npos;
    const char *pos[1];
    int rc = ctl_parse(c, argc, argv, evidence_opts, ctl_opt_store, v, pos, 1,
                       &npos);
    if (rc != 0)
        return rc;
    if (npos != 1)
        return ctl_usage(c, "PLEDGE_ID is required");
    Cogov__V1__DeliverPledge body = COGOV__V1__DELIVER_PLEDGE__INIT;
    body.pledge_id = (char *)pos[0];
    body.evidence = (char *)v[0];
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_DELIVER_PLEDGE;
    req.deliver_pledge = &body;
    return call_print(c, &req);
}

static void
pledge_row(table_t *t, const ProtobufCMessage *m)
{
    const Cogov__V1__Pledge *p = (const Cogov__V1__Pledge *)m;
    table_cell(t, p->pledge_id);
    table_cell(t, p->task_id);
    table_cell(t, p->member_id);
    table_cell(t, p->has_kind
                      ? enum_text(&cogov__v1__pledge_kind__descriptor, p->kind)
                      : NULL);
    table_cellf(t, "%lld", (long long)p->amount_fen);
    table_cell(t, date_or_dash(p->due_on));
    table_cell(t,
               p->has_status
                   ? enum_text(&cogov__v1__pledge_status__descriptor, p->status)
                   : NULL);
    table_cell(t, str_empty(p->evidence) ? NULL : p->evidence);
}

enum { PL_TASK, PL_UNIT, PL_MEMBER, PL_STATUS, PL_N };
static const ctl_opt_t plist_opts[] = {
    {"task", true},   {"unit", true}, {"member", true},
    {"status", true}, {NULL, false},
};

static int
cmd_pledge_list(ctl_t *c, int argc, char **argv)
{
    const char *v[PL_N] = {0};
    int npos, st;
    const char *pos[1];
    int rc =
        ctl_parse(c, argc, argv, plist_opts, ctl_opt_store, v, pos, 0, &npos);
    if (rc != 0)
        return rc;
    Cogov__V1__ListPledges body = COGOV__V1__LIST_PLEDGES__INIT;
    if (v[PL_STATUS] != NULL) {
        if ((rc = ctl_parse_enum(c, &cogov__v1__pledge_status__descriptor,
                                 "--status", v[PL_STATUS], &st)) != 0)
            return rc;
        body.has_status = true;
        body.status = st;
    }
    body.task_id = (char *)v[PL_TASK];
    body.member_id = (char *)(v[PL_UNIT] != NULL ? v[PL_UNIT] : v[PL_MEMBER]);
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_LIST_PLEDGES;
    req.list_pledges = &body;
    Cogov__V1__Reply *rep;
    rc = ctl_call(c, SVC_COORDINATION, &req, &rep);
    if (rc != 0)
        return rc;
    const Cogov__V1__PledgeList *pl =
        rep->body_case == COGOV__V1__REPLY__BODY_PLEDGE_LIST ? rep->pledge_list
                                                             : NULL;
    static const char *const hdr[] = {"PLEDGE", "TASK",   "MEMBER", "KIND",
                                      ">FEN",   "DUE_ON", "STATUS", "EVIDENCE"};
    print_list(c, pl ? (ProtobufCMessage *const *)pl->pledges : NULL,
               pl ? pl->n_pledges : 0, pledge_row, ARRAY_LEN(hdr), hdr);
    cogov__v1__reply__free_unpacked(rep, NULL);
    return CTL_EXIT_OK;
}

/* ==== escalation ========================================================== */

enum { EO_ID, EO_SUBJECT, EO_UNIT, EO_MEMBER, EO_DETAILS, EO_N };
static const ctl_opt_t esc_opts[] = {
    {"id", true},     {"subject", true}, {"unit", true},
    {"member", true}, {"details", true}, {NULL, false},
};

static int
cmd_escalation_open(ctl_t *c, int argc, char **argv)
{
    const char *v[EO_N] = {0};
    int npos;
    const char *pos[1];
    int rc =
        ctl_parse(c, argc, argv, esc_opts, ctl_opt_store, v, pos, 0, &npos);
    if (rc != 0)
        return rc;
    if (str_empty(v[EO_ID]) || str_empty(v[EO_SUBJECT]))
        return ctl_usage(c, "--id and --subject are required");
    Cogov__V1__OpenEscalation body = COGOV__V1__OPEN_ESCALATION__INIT;
    body.case_id = (char *)v[EO_ID];
    body.subject = (char *)v[EO_SUBJECT];
    body.member_id = (char *)(v[EO_UNIT] != NULL ? v[EO_UNIT] : v[EO_MEMBER]);
    body.details = (char *)v[EO_DETAILS];
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_OPEN_ESCALATION;
    req.open_escalation = &body;
    return call_print(c, &req);
}

static const ctl_opt_t decide_opts[] = {
    {"decision", true}, {"rationale", true}, {NULL, false}};

static int
cmd_escalation_decide(ctl_t *c, int argc, char **argv)
{
    const char *v[2] = {0};
    int npos, dec;
    const char *pos[1];
    int rc =
        ctl_parse(c, argc, argv, decide_opts, ctl_opt_store, v, pos, 1, &npos);
    if (rc != 0)
        return rc;
    if (npos != 1)
        return ctl_usage(c, "CASE_ID is required");
    if (str_empty(v[0]) || v[1] == NULL)
        return ctl_usage(c, "--decision and --rationale are required");
    if ((rc = ctl_parse_enum(c, &cogov__v1__escalation_decision__descriptor,
                             "--decision", v[0], &dec)) != 0)
        return rc;
    Cogov__V1__DecideEscalation body = COGOV__V1__DECIDE_ESCALATION__INIT;
    body.case_id = (char *)pos[0];
    body.has_decision = true;
    body.decision = dec;
    body.rationale = (char *)v[1];
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_DECIDE_ESCALATION;
    req.decide_escalation = &body;
    return call_print(c, &req);
}

static int
cmd_escalation_close(ctl_t *c, int argc, char **argv)
{
    const char *v[1] = {0};
    int npos;
    const char *pos[1];
    int rc =
        ctl_parse(c, argc, argv, note_opts, ctl_opt_store, v, pos, 1, &npos);
    if (rc != 0)
        return rc;
    if (npos != 1)
        return ctl_usage(c, "CASE_ID is required");
    Cogov__V1__CloseEscalation body = COGOV__V1__CLOSE_ESCALATION__INIT;
    body.case_id = (char *)pos[0];
    body.note = (char *)v[0];
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_CLOSE_ESCALATION;
    req.close_escalation = &body;
    return call_print(c, &req);
}

static void
esc_row(table_t *t, const ProtobufCMessage *m)
{
    const Cogov__V1__Escalation *e = (const Cogov__V1__Escalation *)m;
    char tb[32];
    table_cell(t, e->case_id);
    table_cell(
        t, e->has_source
               ? enum_text(&cogov__v1__escalation_source__descriptor, e->source)
               : NULL);
    table_cell(
        t, e->has_status
               ? enum_text(&cogov__v1__escalation_status__descriptor, e->status)
               : NULL);
    table_cell(t, e->has_decision && e->decision != 0
                      ? enum_text(&cogov__v1__escalation_decision__descriptor,
                                  e->decision)
                      : NULL);
    table_cell(t, str_empty(e->member_id) ? NULL : e->member_id);
    fmt_time(e->opened_at, CTL_UTC_OFFSET, tb, sizeof tb);
    table_cell(t, tb);
    table_cell(t, e->subject);
}

enum { EL_STATUS, EL_UNIT, EL_MEMBER, EL_N };
static const ctl_opt_t elist_opts[] = {
    {"status", true}, {"unit", true}, {"member", true}, {NULL, false}};

static int
cmd_escalation_list(ctl_t *c, int argc, char **argv)
{
    const char *v[EL_N] = {0};
    int npos, st;
    const char *pos[1];
    int rc =
        ctl_parse(c, argc, argv, elist_opts, ctl_opt_store, v, pos, 0, &npos);
    if (rc != 0)
        return rc;
    Cogov__V1__ListEscalations body = COGOV__V1__LIST_ESCALATIONS__INIT;
    if (v[EL_STATUS] != NULL) {
        if ((rc = ctl_parse_enum(c, &cogov__v1__escalation_status__descriptor,
                                 "--status", v[EL_STATUS], &st)) != 0)
            return rc;
        body.has_status = true;
        body.status = st;
    }
    body.member_id = (char *)(v[EL_UNIT] != NULL ? v[EL_UNIT] : v[EL_MEMBER]);
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_LIST_ESCALATIONS;
    req.list_escalations = &body;
    Cogov__V1__Reply *rep;
    rc = ctl_call(c, SVC_COORDINATION, &req, &rep);
    if (rc != 0)
        return rc;
    const Cogov__V1__EscalationList *el =
        rep->body_case == COGOV__V1__REPLY__BODY_ESCALATION_LIST
            ? rep->escalation_list
            : NULL;
    static const char *const hdr[] = {"CASE",   "SOURCE", "STATUS", "DECISION",
                                      "MEMBER", "OPENED", "SUBJECT"};
    print_list(c, el ? (ProtobufCMessage *const *)el->escalations : NULL,
               el ? el->n_escalations : 0, esc_row, ARRAY_LEN(hdr), hdr);
    cogov__v1__reply__free_unpacked(rep, NULL);
    return CTL_EXIT_OK;
}

/* ==== dossier ============================================================= */

static int
cmd_dossier(ctl_t *c, int argc, char **argv)
{
    int npos;
    const char *pos[1];
    int rc = ctl_parse(c, argc, argv, NULL, ctl_opt_store, NULL, pos, 1, &npos);
    if (rc != 0)
        return rc;
    if (npos != 1)
        return ctl_usage(c, "MEMBER_ID is required");
    Cogov__V1__GetDossier body = COGOV__V1__GET_DOSSIER__INIT;
    body.member_id = (char *)pos[0];
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_GET_DOSSIER;
    req.get_dossier = &body;
    return call_print(c, &req);
}

/* ==== table =============================================================== */

#define GOV " Role: GOV_COORDINATOR.\n"
#define TASK_HELP(what)                                                        \
    "Move a task: " what ". Prints the task.\n"                                \
    "  --reason TEXT   why (kept with its event)\n"

const ctl_cmd_t ctl_cmds_plan[] = {
    {"charter", "adopt",
     "--title T (--text T | --text-file F) --quorum PERMILLE --pass PERMILLE "
     "--extraordinary PERMILLE --effective-on YYYY-MM-DD [--resolution ID] "
     "[--weighted-votes]",
     "Adopt a new charter version (the previous version + 1)." GOV
     "Shares are per mille, 1..1000 (two thirds = 667):\n"
     "  --quorum          of member units that must take part\n"
     "  --pass            of votes cast that must be FOR\n"
     "  --extraordinary   of members that may call an extraordinary meeting\n"
     "  --text-file F     read the charter text from a UTF-8 file\n"
     "  --resolution ID   the resolution that amended it\n"
     "  --weighted-votes  not one unit one vote\n",
     cmd_charter_adopt},
    {"charter", "show", "[--version N | --as-of YYYY-MM-DD]",
     "Show the charter in force on the calendar's current date, on the\n"
     "date given by --as-of (the highest version whose effective date is\n"
     "on or before it; exit 3 if none was in force yet), or a given\n"
     "version.\n",
     cmd_charter_show},
    {"council", "assign",
     "--seat ID --role ROLE --member M --from YYYY-MM-DD --to YYYY-MM-DD",
     "Give a council seat to an ADMITTED unit for a term; re-assigning a\n"
     "seat replaces its holder. ROLE: chair, vice_chair, director,\n"
     "secretary_general." GOV,
     cmd_council_assign},
    {"council", "vacate", "SEAT_ID [--reason TEXT]",
     "Vacate a council seat." GOV, cmd_council_vacate},
    {"council", "show", "",
     "Show the council seats, the secretariat unit and the committees.\n",
     cmd_council_show},
    {"council", "secretariat", "MEMBER_ID",
     "Designate the ADMITTED unit that runs the secretariat." GOV,
     cmd_council_secretariat},
    {"council", "committee", "--id ID --name N --convenor M [--member M]...",
     "Form (or re-form, same id) a working committee of ADMITTED units." GOV,
     cmd_council_committee},
    {"goal", "vision", "--text TEXT",
     "Set the common vision (replaces the previous one)." GOV
     "Prints the goals with the vision.\n",
     cmd_goal_vision},
    {"goal", "set",
     "--year Y --code INDICATOR --target N [--unit U] [--name TITLE] [--id ID]",
     "Set (or revise, same id) an annual goal. The id defaults to\n"
     "YEAR-INDICATOR." GOV,
     cmd_goal_set},
    {"goal", "list", "[--year Y]",
     "The vision and the goals with what their tasks planned and delivered.\n"
     "--json prints the GoalList object.\n",
     cmd_goal_list},
    {"task", "create",
     "--id ID --title T --kind KIND --lead M [--participant M]... [--goal G] "
     "[--planned N] [--quantity-unit U] [--milestone ID:YYYY-MM-DD:TITLE]...",
     "Propose a collaborative task. KIND: order_class, apprenticeship,\n"
     "industry_college, practice_base, tech_project, teacher_exchange,\n"
     "curriculum, training, other. The lead and participants must be\n"
     "ADMITTED. A milestone is due at the end of its day.\n"
     "Roles: GOV_COORDINATOR, SECRETARIAT.\n",
     cmd_task_create},
    {"task", "approve", "TASK_ID [--reason TEXT]",
     TASK_HELP("PROPOSED -> APPROVED") "Role: GOV_COORDINATOR.\n",
     cmd_task_approve},
    {"task", "start", "TASK_ID [--reason TEXT]",
     TASK_HELP("APPROVED -> IN_PROGRESS") "Role: GOV_COORDINATOR.\n",
     cmd_task_start},
    {"task", "complete", "TASK_ID [--reason TEXT]",
     TASK_HELP("IN_PROGRESS -> COMPLETED") "Role: GOV_COORDINATOR.\n",
     cmd_task_complete},
    {"task", "cancel", "TASK_ID [--reason TEXT]",
     TASK_HELP(
         "PROPOSED, APPROVED or IN_PROGRESS -> CANCELLED") "Role: "
                                                           "GOV_COORDINATOR.\n",
     cmd_task_cancel},
    {"task", "progress",
     "TASK_ID --unit M [--report ID] [--students N] [--interns N] [--hours N] "
     "[--investment-fen N] [--quantity N] [--note T] [--corrects REPORT_ID]",
     "Report progress on an IN_PROGRESS task by the lead or a participant\n"
     "unit. A correction (--corrects) replaces the named report's figures\n"
     "in the totals. Without --report the report id is this invocation's\n"
     "correlation id.\n"
     "Roles: GOV_COORDINATOR, SECRETARIAT, BUREAU_SYSTEM, MEMBER_REP.\n",
     cmd_task_progress},
    {"task", "milestone", "TASK_ID MILESTONE_ID [--note T]",
     "Mark a milestone done.\n"
     "Roles: GOV_COORDINATOR, SECRETARIAT, MEMBER_REP.\n",
     cmd_task_milestone},
    {"task", "show", "TASK_ID",
     "Show a task with its milestones and progress reports.\n", cmd_task_show},
    {"task", "list", "[--status S] [--unit M] [--overdue]",
     "List tasks: by status (proposed, approved, in_progress, completed,\n"
     "cancelled), by unit (lead or participant), or only those with a\n"
     "milestone past due. --json prints an array of tasks.\n",
     cmd_task_list},
    {"pledge", "make",
     "--id ID --task T --unit M --kind KIND --due-on YYYY-MM-DD "
     "[--amount-fen N] [--description T]",
     "Pledge a resource of an ADMITTED unit to an unfinished task. KIND:\n"
     "funds (amount > 0), equipment, venue, staff.\n"
     "Roles: GOV_COORDINATOR, SECRETARIAT, MEMBER_REP (own unit).\n",
     cmd_pledge_make},
    {"pledge", "deliver", "PLEDGE_ID --evidence TEXT",
     "Record a pledge as delivered. Roles: GOV_COORDINATOR, SECRETARIAT.\n",
     cmd_pledge_deliver},
    {"pledge", "list", "[--task T] [--unit M] [--status S]",
     "List pledges (status: pledged, delivered, missed). --json prints an\n"
     "array.\n",
     cmd_pledge_list},
    {"escalation", "open", "--id ID --subject T [--unit M] [--details T]",
     "Open an escalation case. Roles: GOV_COORDINATOR, SECRETARIAT.\n",
     cmd_escalation_open},
    {"escalation", "decide", "CASE_ID --decision DECISION --rationale TEXT",
     "Decide an OPEN case: no_action, direct, suspend or expel (the member\n"
     "status change is made with the decision)." GOV,
     cmd_escalation_decide},
    {"escalation", "close", "CASE_ID [--note T]", "Close a DECIDED case." GOV,
     cmd_escalation_close},
    {"escalation", "list", "[--status S] [--unit M]",
     "List escalation cases (status: open, decided, closed). --json prints\n"
     "an array.\n",
     cmd_escalation_list},
    {"dossier", NULL, "MEMBER_ID",
     "A unit's dossier: the member, its seats, committees, tasks, pledges\n"
     "and escalation cases.\n",
     cmd_dossier},
    {NULL, NULL, NULL, NULL, NULL},
};

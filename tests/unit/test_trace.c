/* test_trace: `cogovctl trace`'s pure part — which events a trace takes in
 * (by event, correlation, causation or entity id), the tree by causation
 * in wall-clock order, the text and JSON renderings. The CLI's files are
 * not in a library, so the helpers and the trace code are compiled in
 * here, the trace without its socket half. */
#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../tools/cogovctl_util.c"
#define TRACE_NO_CLI
#include "../../tools/cogovctl_trace.c"

/* A small world of events with their payloads, all owned here. */
#define MAXEV 16
typedef struct world {
    Cogov__V1__Event ev[MAXEV];
    Cogov__V1__VoteCast vote[MAXEV];
    Cogov__V1__ResolutionAdopted res[MAXEV];
    Cogov__V1__TaskCreated task[MAXEV];
    Cogov__V1__NoticePublished notice[MAXEV];
    Cogov__V1__CalendarTick tick[MAXEV];
    Cogov__V1__MemberStatusChanged member[MAXEV];
    char *addr[MAXEV][2];
    size_t n;
} world_t;

static Cogov__V1__Event *
ev_new(world_t *w, const char *producer, uint64_t seq, int64_t recorded_us,
       const char *type, const char *cause, const char *corr)
{
    assert_true(w->n < MAXEV);
    Cogov__V1__Event *e = &w->ev[w->n];
    cogov__v1__event__init(e);
    e->producer = (char *)producer;
    e->has_seq = 1;
    e->seq = seq;
    e->has_recorded_at = 1;
    e->recorded_at = recorded_us;
    e->type = (char *)type;
    e->actor = "op";
    e->causation_id = (char *)cause;
    e->correlation_id = (char *)corr;
    return e;
}

static void
add_vote(world_t *w, const char *p, uint64_t seq, int64_t t, const char *cause,
         const char *corr, const char *motion, const char *member)
{
    Cogov__V1__Event *e = ev_new(w, p, seq, t, "vote_cast", cause, corr);
    Cogov__V1__VoteCast *v = &w->vote[w->n++];
    cogov__v1__vote_cast__init(v);
    v->motion_id = (char *)motion;
    v->member_id = (char *)member;
    e->payload_case = COGOV__V1__EVENT__PAYLOAD_VOTE_CAST;
    e->vote_cast = v;
}

static void
add_tick(world_t *w, const char *p, uint64_t seq, int64_t t, const char *cause,
         const char *corr)
{
    Cogov__V1__Event *e = ev_new(w, p, seq, t, "calendar_tick", cause, corr);
    Cogov__V1__CalendarTick *k = &w->tick[w->n++];
    cogov__v1__calendar_tick__init(k);
    e->payload_case = COGOV__V1__EVENT__PAYLOAD_CALENDAR_TICK;
    e->calendar_tick = k;
}

static void
add_res(world_t *w, const char *p, uint64_t seq, int64_t t, const char *cause,
        const char *corr, const char *res, const char *motion)
{
    Cogov__V1__Event *e =
        ev_new(w, p, seq, t, "resolution_adopted", cause, corr);
    Cogov__V1__ResolutionAdopted *r = &w->res[w->n++];
    cogov__v1__resolution_adopted__init(r);
    r->resolution_id = (char *)res;
    r->motion_id = (char *)motion;
    e->payload_case = COGOV__V1__EVENT__PAYLOAD_RESOLUTION_ADOPTED;
    e->resolution_adopted = r;
}

static void
add_task(world_t *w, const char *p, uint64_t seq, int64_t t, const char *cause,
         const char *corr, const char *task, const char *res)
{
    Cogov__V1__Event *e = ev_new(w, p, seq, t, "task_created", cause, corr);
    Cogov__V1__TaskCreated *k = &w->task[w->n++];
    cogov__v1__task_created__init(k);
    k->task_id = (char *)task;
    k->resolution_id = (char *)res;
    e->payload_case = COGOV__V1__EVENT__PAYLOAD_TASK_CREATED;
    e->task_created = k;
}

static void
add_notice(world_t *w, const char *p, uint64_t seq, int64_t t,
           const char *cause, const char *corr, const char *id, const char *to)
{
    Cogov__V1__Event *e = ev_new(w, p, seq, t, "notice_published", cause, corr);
    Cogov__V1__NoticePublished *k = &w->notice[w->n];
    cogov__v1__notice_published__init(k);
    k->notice_id = (char *)id;
    w->addr[w->n][0] = (char *)to;
    k->n_addressees = 1;
    k->addressees = w->addr[w->n];
    w->n++;
    e->payload_case = COGOV__V1__EVENT__PAYLOAD_NOTICE_PUBLISHED;
    e->notice_published = k;
}

static void
add_member(world_t *w, const char *p, uint64_t seq, int64_t t,
           const char *cause, const char *corr, const char *type,
           const char *member)
{
    Cogov__V1__Event *e = ev_new(w, p, seq, t, type, cause, corr);
    Cogov__V1__MemberStatusChanged *m = &w->member[w->n++];
    cogov__v1__member_status_changed__init(m);
    m->member_id = (char *)member;
    e->payload_case = COGOV__V1__EVENT__PAYLOAD_MEMBER_ADMITTED;
    e->member_admitted = m;
}

/* A vote, a tick that adopts the resolution and creates the task (and
 * another task of its own), a notice about the task, an application of a
 * unit whose id contains "m1". Added out of time order on purpose. */
static trace_t *
motion_world(world_t *w)
{
    memset(w, 0, sizeof *w);
    add_task(w, "coordination", 3, 350, "coordination:1", "ctl-t", "other",
             NULL);
    add_vote(w, "secretariat", 1, 100, "req:rep-a:r1", "ctl-a", "m1", "A");
    add_tick(w, "coordination", 1, 200, "req:op:r2", "ctl-t");
    add_res(w, "secretariat", 2, 300, "coordination:1", "ctl-t", "res:m1",
            "m1");
    add_task(w, "coordination", 2, 400, "secretariat:2", "ctl-t", "res:m1/1",
             "res:m1");
    add_notice(w, "secretariat", 3, 500, "coordination:2", "ctl-t", "n1", "B");
    add_member(w, "coordination", 4, 50, "req:op:r0", "ctl-z", "member_applied",
               "m1x");
    trace_t *t = trace_new();
    for (size_t i = 0; i < w->n; i++)
        trace_add(t, &w->ev[i]);
    return t;
}

/* The ids of the events in the trace, in tree order, joined by ' '. */
static void
tree_ids(const trace_t *t, sbuf_t *b)
{
    sbuf_reset(b);
    sbuf_t j = {0};
    sbuf_init(&j);
    jw_t w;
    jw_init(&w, &j);
    jw_obj(&w);
    trace_render_json(t, &w);
    jw_obj_end(&w);
    const char *p = strstr(j.p, "\"events\":[");
    assert_non_null(p);
    while ((p = strstr(p, "{\"id\":\"")) != NULL) {
        p += 7;
        const char *q = strchr(p, '"');
        if (b->len > 0)
            sbuf_putc(b, ' ');
        sbuf_add(b, p, (size_t)(q - p));
    }
    sbuf_free(&j);
}

static void
test_entity_takes_chain_not_tick_siblings(void **state)
{
    (void)state;
    world_t w;
    trace_t *t = motion_world(&w);
    sbuf_t b = {0};
    sbuf_init(&b);
    /* m1 is in the vote and the resolution (whole values), not in
     * "m1x" nor "res:m1". The task and the notice follow by causation,
     * the tick as their root's cause; the tick's other task does not. */
    assert_int_equal(trace_select(t, "m1"), 5);
    assert_string_equal(t->match, "entity");
    assert_int_equal(t->nmatched, 2);
    tree_ids(t, &b);
    assert_string_equal(b.p, "secretariat:1 coordination:1 secretariat:2 "
                             "coordination:2 secretariat:3");
    sbuf_reset(&b);
    trace_render_text(t, &b);
    assert_string_equal(
        b.p, "req:rep-a:r1  (request, correlation ctl-a)\n"
             "└─ secretariat:1  -  vote_cast  op  motion_id=m1 member_id=A  "
             "<=\n"
             "req:op:r2  (request, correlation ctl-t)\n"
             "└─ coordination:1  -  calendar_tick  op\n"
             "   └─ secretariat:2  -  resolution_adopted  op  "
             "resolution_id=res:m1 motion_id=m1  <=\n"
             "      └─ coordination:2  -  task_created  op  "
             "task_id=res:m1/1 resolution_id=res:m1\n"
             "         └─ secretariat:3  -  notice_published  op  "
             "notice_id=n1 addressees=1\n");
    /* Selecting again starts afresh. */
    assert_int_equal(trace_select(t, "m1x"), 1);
    assert_string_equal(t->match, "entity");
    sbuf_free(&b);
    trace_destroy(&t);
    assert_null(t);
}

static void
test_event_id_goes_up_and_down(void **state)
{
    (void)state;
    world_t w;
    trace_t *t = motion_world(&w);
    sbuf_t b = {0};
    sbuf_init(&b);
    /* The tick's correlation id spans everything due then: not followed. */
    assert_int_equal(trace_select(t, "secretariat:2"), 4);
    assert_string_equal(t->match, "event");
    tree_ids(t, &b);
    assert_string_equal(b.p, "coordination:1 secretariat:2 coordination:2 "
                             "secretariat:3");
    /* The root event: everything it caused, siblings by wall time (seq 3
     * was recorded before seq 2's child but after seq 2). */
    assert_int_equal(trace_select(t, "coordination:1"), 5);
    tree_ids(t, &b);
    assert_string_equal(b.p, "coordination:1 secretariat:2 coordination:2 "
                             "secretariat:3 coordination:3");
    sbuf_reset(&b);
    trace_render_text(t, &b);
    assert_non_null(strstr(b.p, "├─ secretariat:2"));
    assert_non_null(strstr(b.p, "│  └─ coordination:2"));
    assert_non_null(strstr(b.p, "└─ coordination:3"));
    sbuf_free(&b);
    trace_destroy(&t);
}

static void
test_correlation_and_causation_ids(void **state)
{
    (void)state;
    world_t w;
    trace_t *t = motion_world(&w);
    sbuf_t b = {0};
    sbuf_init(&b);
    assert_int_equal(trace_select(t, "ctl-a"), 1);
    assert_string_equal(t->match, "correlation");
    /* A tick's correlation id asked for by name: all of it. */
    assert_int_equal(trace_select(t, "ctl-t"), 5);
    assert_string_equal(t->match, "correlation");
    assert_int_equal(trace_select(t, "req:op:r2"), 5);
    assert_string_equal(t->match, "causation");
    tree_ids(t, &b);
    assert_string_equal(b.p, "coordination:1 secretariat:2 coordination:2 "
                             "secretariat:3 coordination:3");
    assert_int_equal(trace_select(t, "nope"), 0);
    assert_null(t->match);
    sbuf_reset(&b);
    trace_render_text(t, &b);
    assert_int_equal(b.len, 0);
    sbuf_free(&b);
    trace_destroy(&t);
}

static void
test_command_correlation_is_followed(void **state)
{
    (void)state;
    world_t w;
    memset(&w, 0, sizeof w);
    /* One cogovctl invocation (ctl-m) sent two requests: the admission and
     * a notice; the admission caused a welcome notice in the secretariat,
     * whose cause's producer was not fetched is another root. */
    add_member(&w, "coordination", 5, 10, "req:op:r5", "ctl-m",
               "member_admitted", "U1");
    add_notice(&w, "secretariat", 7, 30, "coordination:5", "ctl-m", "welcome",
               "U1");
    add_notice(&w, "secretariat", 8, 20, "req:op:r6", "ctl-m", "general",
               "ALL");
    add_notice(&w, "secretariat", 9, 40, "incentives:3", "ctl-x", "pool", "U1");
    trace_t *t = trace_new();
    for (size_t i = 0; i < w.n; i++)
        trace_add(t, &w.ev[i]);
    sbuf_t b = {0};
    sbuf_init(&b);
    assert_int_equal(trace_select(t, "U1"), 4);
    assert_int_equal(t->nmatched, 3);
    tree_ids(t, &b);
    assert_string_equal(b.p, "coordination:5 secretariat:7 secretariat:8 "
                             "secretariat:9");
    sbuf_reset(&b);
    trace_render_text(t, &b);
    assert_non_null(strstr(b.p, "req:op:r5  (request, correlation ctl-m)\n"
                                "└─ coordination:5"));
    assert_non_null(strstr(b.p, "   └─ secretariat:7"));
    assert_non_null(strstr(b.p, "incentives:3  (not in the fetched streams)\n"
                                "└─ secretariat:9"));

    /* JSON: roots with their kind, parents and depths. */
    sbuf_t j = {0};
    sbuf_init(&j);
    jw_t jw;
    jw_init(&jw, &j);
    jw_obj(&jw);
    trace_render_json(t, &jw);
    jw_obj_end(&jw);
    assert_non_null(strstr(j.p, "\"match\":\"entity\",\"roots\":[{\"cause\":"
                                "\"req:op:r5\",\"kind\":\"request\","
                                "\"events\":[\"coordination:5\"]}"));
    assert_non_null(strstr(j.p, "{\"cause\":\"incentives:3\",\"kind\":"
                                "\"event\",\"events\":[\"secretariat:9\"]}"));
    assert_non_null(strstr(j.p, "{\"id\":\"secretariat:7\",\"parent\":"
                                "\"coordination:5\",\"depth\":1,"
                                "\"matched\":true,\"event\":{"));
    assert_non_null(strstr(j.p, "{\"id\":\"secretariat:8\",\"parent\":null,"
                                "\"depth\":0,\"matched\":false"));
    sbuf_free(&j);
    sbuf_free(&b);
    trace_destroy(&t);
}

static void
test_pb_has_string(void **state)
{
    (void)state;
    Cogov__V1__ActionItem it = COGOV__V1__ACTION_ITEM__INIT;
    Cogov__V1__ActionItem *items[1] = {&it};
    it.owner_member_id = "U9";
    Cogov__V1__Motion m = COGOV__V1__MOTION__INIT;
    m.motion_id = "m7";
    m.n_action_items = 1;
    m.action_items = items;
    Cogov__V1__MotionChanged mc = COGOV__V1__MOTION_CHANGED__INIT;
    mc.motion = &m;
    assert_true(trace_pb_has_string(&mc.base, "m7"));
    assert_true(trace_pb_has_string(&mc.base, "U9")); /* nested, repeated */
    assert_false(trace_pb_has_string(&mc.base, "m"));
    assert_false(trace_pb_has_string(&mc.base, ""));
    assert_false(trace_pb_has_string(NULL, "m7"));
}

int
main(void)
{
    setlocale(LC_ALL, "C.UTF-8");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_entity_takes_chain_not_tick_siblings),
        cmocka_unit_test(test_event_id_goes_up_and_down),
        cmocka_unit_test(test_correlation_and_causation_ids),
        cmocka_unit_test(test_command_correlation_is_followed),
        cmocka_unit_test(test_pb_has_string),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

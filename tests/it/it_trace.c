/* it_trace: `cogovctl trace` through the real coordination and secretariat
 * daemons: a motion voted by correspondence and adopted on a tick, traced
 * by its id to resolution_adopted and coordination's task_created in causal
 * order; a member traced from its application to its welcome notice; a
 * cogovctl invocation's correlation id; an unknown id; a daemon down, then
 * both. */
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
#define DAY 86400
#define T0 1735747200 /* 2025-01-02 00:00 +08:00 */
#define OUTSZ (1 << 20)

typedef struct world {
    cluster_t c;
    keypair_t secr, rep[3];
    char unit[3][19];
} world_t;

/* Consortium; units 0 and 1 applied and admitted by requests, unit 2 by
 * cogovctl; charter v1; business time T0. */
static void
setup_world(world_t *w)
{
    memset(w, 0, sizeof *w);
    assert_int_equal(cluster_init(&w->c, "trace"), 0);
    assert_int_equal(cluster_add_principal(&w->c, "secr-office", "-",
                                           "SECRETARIAT", "-", &w->secr),
                     0);
    for (int i = 0; i < 3; i++) {
        char name[16];
        uscc_make(900 + (unsigned)i, w->unit[i]);
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
    static const char *const names[] = {"滨江职业技术学院",
                                        "滨江智能装备有限公司"};
    for (int i = 0; i < 2; i++)
        assert_int_equal(
            h_admit(op, w->unit[i], names[i],
                    i == 1 ? COGOV__V1__MEMBER_TYPE__MEMBER_TYPE_ENTERPRISE
                           : COGOV__V1__MEMBER_TYPE__MEMBER_TYPE_UNIVERSITY),
            OK);
    const char *apply[] = {"member",   "apply",      "--uscc",
                           w->unit[2], "--name",     "滨江工业大学",
                           "--type",   "university", NULL};
    assert_int_equal(cluster_ctl(&w->c, NULL, 0, apply), 0);
    const char *admit[] = {"member", "admit", w->unit[2], NULL};
    assert_int_equal(cluster_ctl(&w->c, NULL, 0, admit), 0);

    assert_int_equal(h_charter(op), OK);
    client_destroy(&op);
    h_advance_sync(&w->c, T0);
}

/* Motion m1 raised by unit 0, voted by correspondence (units 0, 1 for),
 * adopted on the tick that closes it. */
static void
adopt_motion(world_t *w)
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
    rm.motion_id = "m1";
    rm.member_id = w->unit[0];
    rm.title = "关于共建订单班的议案";
    rm.text = "建议由智能装备公司与学院共建订单班。";
    rm.n_action_items = 1;
    rm.action_items = items;
    rm.review_on = "2025-10-01";
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_RAISE_MOTION;
    req.raise_motion = &rm;
    assert_int_equal(h_code_as(&w->c, H_SECR, &w->rep[0], &req), OK);
    Cogov__V1__OpenVote ov = COGOV__V1__OPEN_VOTE__INIT;
    ov.motion_id = "m1";
    ov.has_closes_at = 1;
    ov.closes_at = T0 + 3 * DAY;
    req.body_case = COGOV__V1__REQUEST__BODY_OPEN_VOTE;
    req.open_vote = &ov;
    assert_int_equal(h_code_as(&w->c, H_SECR, &w->secr, &req), OK);
    for (int i = 0; i < 2; i++) {
        Cogov__V1__CastVote cv = COGOV__V1__CAST_VOTE__INIT;
        cv.motion_id = "m1";
        cv.member_id = w->unit[i];
        cv.has_choice = 1;
        cv.choice = COGOV__V1__VOTE_CHOICE__VOTE_CHOICE_FOR;
        req.body_case = COGOV__V1__REQUEST__BODY_CAST_VOTE;
        req.cast_vote = &cv;
        assert_int_equal(h_code_as(&w->c, H_SECR, &w->rep[i], &req), OK);
    }
    h_advance_sync(&w->c, T0 + 3 * DAY);
}

/* ---- reading `trace --json` ------------------------------------------ */

#define MAXNODES 256
typedef struct node {
    char id[64];
    char parent[64]; /* "" for a root */
    char type[48];
} node_t;

/* Copy the JSON string value after `key` in [p, end) into buf; false if
 * absent or null. */
static bool
json_str_after(const char *p, const char *end, const char *key, char *buf,
               size_t size)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":\"", key);
    const char *k = strstr(p, pat);
    if (k == NULL || k >= end)
        return false;
    k += strlen(pat);
    const char *q = strchr(k, '"');
    assert_non_null(q);
    snprintf(buf, size, "%.*s", (int)(q - k), k);
    return true;
}

/* The events of a trace in the order printed. */
static size_t
parse_nodes(const char *out, node_t *nodes)
{
    const char *p = strstr(out, "\"events\":[");
    assert_non_null(p);
    size_t n = 0;
    p = strstr(p, "{\"id\":\"");
    while (p != NULL && n < MAXNODES) {
        const char *next = strstr(p + 1, "{\"id\":\"");
        const char *end = next != NULL ? next : p + strlen(p);
        node_t *nd = &nodes[n++];
        memset(nd, 0, sizeof *nd);
        assert_true(json_str_after(p, end, "id", nd->id, sizeof nd->id));
        json_str_after(p, end, "parent", nd->parent, sizeof nd->parent);
        /* The envelope's type comes before any payload field. */
        const char *ev = strstr(p, "\"event\":{");
        assert_true(ev != NULL && ev < end);
        assert_true(json_str_after(ev, end, "type", nd->type, sizeof nd->type));
        p = next;
    }
    return n;
}

static int
find_type(const node_t *nodes, size_t n, const char *type)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(nodes[i].type, type) == 0)
            return (int)i;
    return -1;
}

static int
find_id(const node_t *nodes, size_t n, const char *id)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(nodes[i].id, id) == 0)
            return (int)i;
    return -1;
}

/* Is an event of `type` among i's causes? */
static bool
has_ancestor(const node_t *nodes, size_t n, int i, const char *type)
{
    for (int hops = 0; i >= 0 && hops < MAXNODES; hops++) {
        if (nodes[i].parent[0] == 0)
            return false;
        i = find_id(nodes, n, nodes[i].parent);
        if (i >= 0 && strcmp(nodes[i].type, type) == 0)
            return true;
    }
    return false;
}

static void
dump(const node_t *nodes, size_t n)
{
    for (size_t i = 0; i < n; i++)
        printf("#   %-16s <- %-16s %s\n", nodes[i].id,
               nodes[i].parent[0] ? nodes[i].parent : "-", nodes[i].type);
}

static void
test_trace_motion_member_correlation(void **state)
{
    (void)state;
    world_t w;
    setup_world(&w);
    adopt_motion(&w);
    char *out = xmalloc(OUTSZ);
    node_t *nodes = xcalloc(MAXNODES, sizeof *nodes);

    /* The motion: its own events, then by causation the resolution (on
     * the tick that closed the vote) and coordination's task. */
    const char *tm[] = {"--json", "trace", "m1", NULL};
    assert_int_equal(cluster_ctl(&w.c, out, OUTSZ, tm), 0);
    assert_non_null(strstr(out, "\"match\":\"entity\""));
    assert_non_null(strstr(out, "{\"service\":\"incentives\","
                                "\"configured\":false"));
    size_t n = parse_nodes(out, nodes);
    dump(nodes, n);
    int raised = find_type(nodes, n, "motion_raised");
    int opened = find_type(nodes, n, "vote_opened");
    int cast = find_type(nodes, n, "vote_cast");
    int closed = find_type(nodes, n, "vote_closed");
    int res = find_type(nodes, n, "resolution_adopted");
    int task = find_type(nodes, n, "task_created");
    assert_true(raised >= 0 && opened >= 0 && cast >= 0 && closed >= 0);
    assert_true(res >= 0 && task >= 0);
    assert_true(raised < opened && opened < cast && cast < res);
    assert_true(res < task);
    assert_string_equal(nodes[task].parent, nodes[res].id);
    assert_true(strncmp(nodes[task].id, "coordination:", 13) == 0);
    assert_true(strncmp(nodes[res].id, "secretariat:", 12) == 0);
    assert_true(has_ancestor(nodes, n, res, "calendar_tick"));
    /* Only this motion's chain: no member was applied in it. */
    assert_int_equal(find_type(nodes, n, "member_applied"), -1);

    /* The same as a tree of text. */
    const char *tt[] = {"trace", "m1", NULL};
    assert_int_equal(cluster_ctl(&w.c, out, OUTSZ, tt), 0);
    printf("%s", out);
    assert_non_null(strstr(out, "trace m1: "));
    const char *l = strstr(out, "resolution_adopted");
    assert_non_null(l);
    assert_non_null(strstr(l, "└─ coordination:"));
    assert_non_null(strstr(l, "task_created"));

    /* The task by its id, from the task back to the motion's vote. */
    const char *tk[] = {"--json", "trace", "res:m1/1", NULL};
    assert_int_equal(cluster_ctl(&w.c, out, OUTSZ, tk), 0);
    n = parse_nodes(out, nodes);
    assert_true(find_type(nodes, n, "task_created") >= 0);
    assert_true(find_type(nodes, n, "resolution_adopted") >= 0);

    /* A member: application, admission, and the welcome notice the
     * secretariat published in reaction. */
    const char *tu[] = {"--json", "trace", w.unit[0], NULL};
    assert_int_equal(cluster_ctl(&w.c, out, OUTSZ, tu), 0);
    n = parse_nodes(out, nodes);
    dump(nodes, n);
    int applied = find_type(nodes, n, "member_applied");
    int admitted = find_type(nodes, n, "member_admitted");
    int notice = find_type(nodes, n, "notice_published");
    assert_true(applied >= 0 && admitted >= 0 && notice >= 0);
    assert_true(applied < admitted && admitted < notice);
    assert_string_equal(nodes[notice].parent, nodes[admitted].id);
    /* Its vote for m1 names it too. */
    assert_true(find_type(nodes, n, "vote_cast") >= 0);

    /* The correlation id of `cogovctl member admit`: the admission and the
     * welcome notice, nothing of the other units. */
    const char *tail[] = {"--json", "events", "tail", "coordination", NULL};
    assert_int_equal(cluster_ctl(&w.c, out, OUTSZ, tail), 0);
    char corr[64] = "";
    for (char *line = out; line != NULL && *line;) {
        char *nl = strchr(line, '\n');
        const char *end = nl != NULL ? nl : line + strlen(line);
        char type[48];
        if (json_str_after(line, end, "type", type, sizeof type) &&
            strcmp(type, "member_admitted") == 0 && strstr(line, w.unit[2]) &&
            strstr(line, w.unit[2]) < end)
            assert_true(
                json_str_after(line, end, "correlation_id", corr, sizeof corr));
        line = nl != NULL ? nl + 1 : NULL;
    }
    assert_true(strncmp(corr, "ctl-", 4) == 0);
    const char *tc[] = {"--json", "trace", corr, NULL};
    assert_int_equal(cluster_ctl(&w.c, out, OUTSZ, tc), 0);
    assert_non_null(strstr(out, "\"match\":\"correlation\""));
    n = parse_nodes(out, nodes);
    dump(nodes, n);
    admitted = find_type(nodes, n, "member_admitted");
    notice = find_type(nodes, n, "notice_published");
    assert_true(admitted >= 0 && notice > admitted);
    assert_string_equal(nodes[notice].parent, nodes[admitted].id);
    assert_int_equal(find_type(nodes, n, "member_applied"), -1);
    assert_null(strstr(out, w.unit[0]));

    /* An event id: the tick's reaction up to its root and down. */
    char arg[80];
    snprintf(arg, sizeof arg, "%s", nodes[admitted].id);
    const char *te[] = {"--json", "trace", arg, NULL};
    assert_int_equal(cluster_ctl(&w.c, out, OUTSZ, te), 0);
    assert_non_null(strstr(out, "\"match\":\"event\""));

    /* Nothing: exit 3. */
    const char *tn[] = {"trace", "no-such-id", NULL};
    assert_int_equal(cluster_ctl(&w.c, out, OUTSZ, tn), 3);
    assert_string_equal(out, "");

    /* The secretariat down: coordination's part, exit 0; both down: 6. */
    assert_int_equal(cluster_stop(&w.c, H_SECR), 0);
    const char *td[] = {"--timeout", "1000",     "--json",
                        "trace",     "res:m1/1", NULL};
    assert_int_equal(cluster_ctl(&w.c, out, OUTSZ, td), 0);
    assert_non_null(strstr(out, "{\"service\":\"secretariat\","
                                "\"configured\":true,\"answered\":false"));
    n = parse_nodes(out, nodes);
    task = find_type(nodes, n, "task_created");
    assert_true(task >= 0);
    assert_int_equal(find_type(nodes, n, "resolution_adopted"), -1);
    assert_int_equal(cluster_stop(&w.c, H_COORD), 0);
    assert_int_equal(cluster_ctl(&w.c, out, OUTSZ, td), 6);

    free(nodes);
    free(out);
    cluster_destroy(&w.c);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trace_motion_member_correlation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

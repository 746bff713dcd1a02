/* cogovctl_trace: `cogovctl trace ID` — the causal chain of an event, an
 * entity or a correlation id across the daemons' event streams (DESIGN 1.6,
 * 3), drawn as a tree by causation. Everything is done on the client: each
 * configured daemon's stream is read with Fetch, indexed by event id,
 * causation id and correlation id, and the chain is selected from that.
 * The graph, selection and rendering (first half) use no sockets; they are
 * unit-tested by tests/unit/test_trace.c, which includes this file with
 * TRACE_NO_CLI defined. */
#include "cogovctl.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

/* ==== the pure part ===================================================== */

typedef struct trace_node {
    const Cogov__V1__Event *ev; /* borrowed: owned by the caller */
    char id[80];                /* "<producer>:<seq>" */
    int parent;                 /* index of the causing event, or -1 */
    bool in;                    /* part of the trace */
    bool matched;               /* matched the argument itself */
    bool corr_done;             /* its correlation id was expanded */
    int first_child, next_sib;  /* the tree, among nodes in the trace */
    int depth;
} trace_node_t;

typedef struct trace_group {
    const char *cause; /* causation id of its roots ("" if none) */
    int first_child;
} trace_group_t;

typedef struct trace {
    trace_node_t *n;
    size_t len, cap;
    trace_node_t **by_id, **by_cause, **by_corr; /* sorted views */
    trace_group_t *groups;
    size_t ngroups;
    const char *match; /* how the argument matched, NULL if it did not */
    size_t nin, nmatched;
} trace_t;

/* The pure API (tests call these). trace_add borrows ev, which must outlive
 * t; trace_select indexes, selects and lays out the tree and returns the
 * number of events in the trace (0: the argument matched nothing). */
trace_t *trace_new(void);
void trace_destroy(trace_t **tp);
void trace_add(trace_t *t, const Cogov__V1__Event *ev);
bool trace_pb_has_string(const ProtobufCMessage *m, const char *s);
size_t trace_select(trace_t *t, const char *arg);
void trace_render_text(const trace_t *t, sbuf_t *b);
void trace_render_json(const trace_t *t, jw_t *w);

trace_t *
trace_new(void)
{
    return xcalloc(1, sizeof(trace_t));
}

void
trace_destroy(trace_t **tp)
{
    if (tp == NULL || *tp == NULL)
        return;
    trace_t *t = *tp;
    free(t->n);
    free(t->by_id);
    free(t->by_cause);
    free(t->by_corr);
    free(t->groups);
    free(t);
    *tp = NULL;
}

void
trace_add(trace_t *t, const Cogov__V1__Event *ev)
{
    if (t->len == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 256;
        t->n = xrealloc(t->n, t->cap * sizeof *t->n);
    }
    trace_node_t *n = &t->n[t->len++];
    memset(n, 0, sizeof *n);
    n->ev = ev;
    snprintf(n->id, sizeof n->id, "%s:%llu",
             str_empty(ev->producer) ? "?" : ev->producer,
             (unsigned long long)ev->seq);
    n->parent = n->first_child = n->next_sib = -1;
}

static const char *
s_or_empty(const char *s)
{
    return s != NULL ? s : "";
}

static int
cmp_id(const void *a, const void *b)
{
    return strcmp((*(trace_node_t *const *)a)->id,
                  (*(trace_node_t *const *)b)->id);
}

static int
cmp_cause(const void *a, const void *b)
{
    return strcmp(s_or_empty((*(trace_node_t *const *)a)->ev->causation_id),
                  s_or_empty((*(trace_node_t *const *)b)->ev->causation_id));
}

static int
cmp_corr(const void *a, const void *b)
{
    return strcmp(s_or_empty((*(trace_node_t *const *)a)->ev->correlation_id),
                  s_or_empty((*(trace_node_t *const *)b)->ev->correlation_id));
}

/* Wall-clock order; ties (same microsecond) by producer and seq. */
static int
cmp_time(const void *a, const void *b)
{
    const Cogov__V1__Event *x = (*(trace_node_t *const *)a)->ev;
    const Cogov__V1__Event *y = (*(trace_node_t *const *)b)->ev;
    if (x->recorded_at != y->recorded_at)
        return x->recorded_at < y->recorded_at ? -1 : 1;
    int c = strcmp(s_or_empty(x->producer), s_or_empty(y->producer));
    if (c != 0)
        return c;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static trace_node_t **
sorted_view(trace_t *t, int (*cmp)(const void *, const void *))
{
    trace_node_t **v = xmalloc((t->len ? t->len : 1) * sizeof *v);
    for (size_t i = 0; i < t->len; i++)
        v[i] = &t->n[i];
    qsort(v, t->len, sizeof *v, cmp);
    return v;
}

/* The range [*lo, *hi) of view v whose key (by get) equals key. */
static void
view_range(trace_node_t *const *v, size_t len,
           const char *(*get)(const trace_node_t *), const char *key,
           size_t *lo, size_t *hi)
{
    size_t a = 0, b = len;
    while (a < b) {
        size_t m = a + (b - a) / 2;
        if (strcmp(get(v[m]), key) < 0)
            a = m + 1;
        else
            b = m;
    }
    *lo = a;
    b = len;
    while (a < b) {
        size_t m = a + (b - a) / 2;
        if (strcmp(get(v[m]), key) <= 0)
            a = m + 1;
        else
            b = m;
    }
    *hi = a;
}

static const char *
key_id(const trace_node_t *n)
{
    return n->id;
}

static const char *
key_cause(const trace_node_t *n)
{
    return s_or_empty(n->ev->causation_id);
}

static const char *
key_corr(const trace_node_t *n)
{
    return s_or_empty(n->ev->correlation_id);
}

static int
find_id(const trace_t *t, const char *id)
{
    size_t lo, hi;
    view_range(t->by_id, t->len, key_id, id, &lo, &hi);
    return lo < hi ? (int)(t->by_id[lo] - t->n) : -1;
}

/* Is field f of m present? (protobuf-c's layout: oneof case, has_ flag,
 * or a non-NULL pointer.) */
static bool
field_present(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
    const char *base = (const char *)m;
    if (f->label == PROTOBUF_C_LABEL_REPEATED)
        return *(const size_t *)(base + f->quantifier_offset) > 0;
    if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
        return *(const uint32_t *)(base + f->quantifier_offset) == f->id;
    if (f->type == PROTOBUF_C_TYPE_MESSAGE || f->type == PROTOBUF_C_TYPE_STRING)
        return *(const void *const *)(base + f->offset) != NULL;
    return false; /* other scalars never hold an id */
}

bool
trace_pb_has_string(const ProtobufCMessage *m, const char *s)
{
    if (m == NULL || str_empty(s))
        return false;
    const ProtobufCMessageDescriptor *d = m->descriptor;
    const char *base = (const char *)m;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if ((f->type != PROTOBUF_C_TYPE_STRING &&
             f->type != PROTOBUF_C_TYPE_MESSAGE) ||
            !field_present(m, f))
            continue;
        size_t n = 1;
        void *const *vals = (void *const *)(base + f->offset);
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            n = *(const size_t *)(base + f->quantifier_offset);
            vals = *(void *const *const *)(base + f->offset);
        }
        for (size_t k = 0; k < n; k++) {
            if (vals[k] == NULL)
                continue;
            if (f->type == PROTOBUF_C_TYPE_STRING
                    ? strcmp((const char *)vals[k], s) == 0
                    : trace_pb_has_string(vals[k], s))
                return true;
        }
    }
    return false;
}

/* Does a calendar tick carry this correlation id? A tick's reactions
 * spread over every service and share its id, so it is no chain. */
static bool
corr_is_tick(const trace_t *t, size_t lo, size_t hi)
{
    for (size_t k = lo; k < hi; k++)
        if (t->by_corr[k]->ev->type != NULL &&
            strcmp(t->by_corr[k]->ev->type, "calendar_tick") == 0)
            return true;
    return false;
}

static void
mark(trace_t *t, int i, int *stack, size_t *sp)
{
    if (t->n[i].in)
        return;
    t->n[i].in = true;
    stack[(*sp)++] = i;
}

static void
select_seeds(trace_t *t, const char *arg, int *stack, size_t *sp)
{
    size_t lo, hi;
    int i = find_id(t, arg);
    if (i >= 0) {
        t->match = "event";
        mark(t, i, stack, sp);
        return;
    }
    view_range(t->by_corr, t->len, key_corr, arg, &lo, &hi);
    if (lo < hi) {
        t->match = "correlation";
        for (size_t k = lo; k < hi; k++)
            mark(t, (int)(t->by_corr[k] - t->n), stack, sp);
        return;
    }
    view_range(t->by_cause, t->len, key_cause, arg, &lo, &hi);
    if (lo < hi) {
        t->match = "causation";
        for (size_t k = lo; k < hi; k++)
            mark(t, (int)(t->by_cause[k] - t->n), stack, sp);
        return;
    }
    for (size_t k = 0; k < t->len; k++) {
        const Cogov__V1__Event *ev = t->n[k].ev;
        if (trace_pb_has_string(pb_oneof_message(&ev->base, ev->payload_case),
                                arg)) {
            t->match = "entity";
            mark(t, (int)k, stack, sp);
        }
    }
}

/* Children lists among the nodes in the trace, in wall-clock order, and
 * the groups of roots sharing a cause that is not an event of the trace (a
 * request, a system origin, an event not fetched). */
static void
layout(trace_t *t)
{
    trace_node_t **v = sorted_view(t, cmp_time);
    int *last = xmalloc((t->len ? t->len : 1) * sizeof *last);
    int *glast = NULL;
    for (size_t k = 0; k < t->len; k++) {
        trace_node_t *n = v[k];
        int i = (int)(n - t->n);
        last[i] = -1;
        if (!n->in)
            continue;
        if (n->parent >= 0 && t->n[n->parent].in) {
            trace_node_t *p = &t->n[n->parent];
            if (p->first_child < 0)
                p->first_child = i;
            else
                t->n[last[n->parent]].next_sib = i;
            last[n->parent] = i;
            continue;
        }
        n->parent = -1;
        const char *cause = key_cause(n);
        size_t g = 0;
        /* Roots with no cause stand alone; others join their cause. */
        while (cause[0] != 0 && g < t->ngroups &&
               strcmp(t->groups[g].cause, cause) != 0)
            g++;
        if (cause[0] == 0 || g == t->ngroups) {
            g = t->ngroups++;
            t->groups = xrealloc(t->groups, t->ngroups * sizeof *t->groups);
            glast = xrealloc(glast, t->ngroups * sizeof *glast);
            t->groups[g].cause = cause;
            t->groups[g].first_child = i;
        } else {
            t->n[glast[g]].next_sib = i;
        }
        glast[g] = i;
    }
    free(glast);
    free(last);
    free(v);
}

static void
set_depth(trace_t *t, int i, int depth)
{
    for (; i >= 0; i = t->n[i].next_sib) {
        t->n[i].depth = depth;
        set_depth(t, t->n[i].first_child, depth + 1);
    }
}

size_t
trace_select(trace_t *t, const char *arg)
{
    free(t->by_id);
    free(t->by_cause);
    free(t->by_corr);
    free(t->groups);
    t->groups = NULL;
    t->ngroups = 0;
    t->match = NULL;
    t->nin = t->nmatched = 0;
    t->by_id = sorted_view(t, cmp_id);
    t->by_cause = sorted_view(t, cmp_cause);
    t->by_corr = sorted_view(t, cmp_corr);
    for (size_t k = 0; k < t->len; k++) {
        trace_node_t *n = &t->n[k];
        n->in = n->matched = n->corr_done = false;
        n->first_child = n->next_sib = -1;
        n->depth = 0;
        n->parent = str_empty(n->ev->causation_id)
                        ? -1
                        : find_id(t, n->ev->causation_id);
    }
    int *stack = xmalloc((t->len ? t->len : 1) * sizeof *stack);
    size_t sp = 0;
    select_seeds(t, arg, stack, &sp);
    for (size_t k = 0; k < sp; k++)
        t->n[stack[k]].matched = true;
    t->nmatched = sp;

    /* The chains the matches started: events sharing a match's
     * correlation id (except a tick's), then everything caused by any
     * event so far, transitively. */
    size_t nseeds = sp;
    for (size_t s = 0; s < nseeds; s++) {
        trace_node_t *n = &t->n[stack[s]];
        if (n->corr_done || str_empty(n->ev->correlation_id))
            continue;
        size_t lo, hi;
        view_range(t->by_corr, t->len, key_corr, n->ev->correlation_id, &lo,
                   &hi);
        for (size_t k = lo; k < hi; k++)
            t->by_corr[k]->corr_done = true;
        if (corr_is_tick(t, lo, hi))
            continue;
        for (size_t k = lo; k < hi; k++)
            mark(t, (int)(t->by_corr[k] - t->n), stack, &sp);
    }
    while (sp > 0) {
        trace_node_t *n = &t->n[stack[--sp]];
        size_t lo, hi;
        view_range(t->by_cause, t->len, key_cause, n->id, &lo, &hi);
        for (size_t k = lo; k < hi; k++)
            mark(t, (int)(t->by_cause[k] - t->n), stack, &sp);
    }
    /* What caused them, up to the root: the chain only, not its other
     * branches. */
    for (size_t k = 0; k < t->len; k++) {
        if (!t->n[k].in)
            continue;
        for (int p = t->n[k].parent; p >= 0 && !t->n[p].in; p = t->n[p].parent)
            t->n[p].in = true;
    }
    free(stack);
    for (size_t k = 0; k < t->len; k++)
        t->nin += t->n[k].in;
    layout(t);
    for (size_t g = 0; g < t->ngroups; g++)
        set_depth(t, t->groups[g].first_child, 0);
    return t->nin;
}

/* What a root's cause is: "request", "event" (not fetched) or "system". */
static const char *
cause_kind(const char *cause)
{
    if (strncmp(cause, "req:", 4) == 0)
        return "request";
    const char *colon = strrchr(cause, ':');
    if (colon != NULL && colon[1] != 0 &&
        strspn(colon + 1, "0123456789") == strlen(colon + 1))
        return "event";
    return "system";
}

static void
text_event(sbuf_t *b, const trace_node_t *n)
{
    const Cogov__V1__Event *ev = n->ev;
    char tb[32];
    fmt_time(ev->has_occurred_at ? ev->occurred_at : 0, CTL_UTC_OFFSET, tb,
             sizeof tb);
    sbuf_printf(b, "%s  %s  %s  %s", n->id, tb,
                str_empty(ev->type) ? "?" : ev->type,
                str_empty(ev->actor) ? "-" : ev->actor);
    const ProtobufCMessage *p = pb_oneof_message(&ev->base, ev->payload_case);
    if (p != NULL) {
        sbuf_puts(b, "  ");
        pbsummary(b, p, CTL_UTC_OFFSET);
        /* Wrappers (MotionChanged{motion}, AwardEvent{award, from}): the
         * summary of what they wrap too. */
        const ProtobufCMessageDescriptor *d = p->descriptor;
        for (unsigned i = 0; i < d->n_fields; i++) {
            const ProtobufCFieldDescriptor *f = &d->fields[i];
            if (f->type != PROTOBUF_C_TYPE_MESSAGE ||
                f->label == PROTOBUF_C_LABEL_REPEATED || !field_present(p, f))
                continue;
            if (b->p[b->len - 1] != ' ')
                sbuf_putc(b, ' ');
            pbsummary(
                b,
                *(const ProtobufCMessage *const *)((const char *)p + f->offset),
                CTL_UTC_OFFSET);
        }
    } else if (ev->payload_case != 0) {
        sbuf_printf(b, "  (unknown payload %d)", (int)ev->payload_case);
    }
    while (b->len > 0 && b->p[b->len - 1] == ' ')
        b->p[--b->len] = 0;
    if (n->matched)
        sbuf_puts(b, "  <=");
    while (b->len > 0 && b->p[b->len - 1] == ' ')
        b->p[--b->len] = 0;
    sbuf_putc(b, '\n');
}

/* Siblings from i on, under the line prefix pre (grown as we go down). */
static void
text_tree(const trace_t *t, int i, sbuf_t *b, sbuf_t *pre)
{
    for (; i >= 0; i = t->n[i].next_sib) {
        bool last = t->n[i].next_sib < 0;
        sbuf_add(b, pre->p, pre->len);
        sbuf_puts(b, last ? "└─ " : "├─ ");
        text_event(b, &t->n[i]);
        size_t keep = pre->len;
        sbuf_puts(pre, last ? "   " : "│  ");
        text_tree(t, t->n[i].first_child, b, pre);
        pre->len = keep;
        pre->p[keep] = 0;
    }
}

void
trace_render_text(const trace_t *t, sbuf_t *b)
{
    sbuf_t pre = {0};
    sbuf_init(&pre);
    for (size_t g = 0; g < t->ngroups; g++) {
        const trace_group_t *gr = &t->groups[g];
        if (gr->cause[0] == 0) {
            /* No cause recorded: the event is its own root. */
            text_event(b, &t->n[gr->first_child]);
            text_tree(t, t->n[gr->first_child].first_child, b, &pre);
            continue;
        }
        const char *kind = cause_kind(gr->cause);
        const Cogov__V1__Event *ev = t->n[gr->first_child].ev;
        if (strcmp(kind, "request") == 0)
            sbuf_printf(b, "%s  (request, correlation %s)\n", gr->cause,
                        str_empty(ev->correlation_id) ? "-"
                                                      : ev->correlation_id);
        else if (strcmp(kind, "event") == 0)
            sbuf_printf(b, "%s  (not in the fetched streams)\n", gr->cause);
        else
            sbuf_printf(b, "%s  (system)\n", gr->cause);
        text_tree(t, gr->first_child, b, &pre);
    }
    sbuf_free(&pre);
}

static void
json_tree(const trace_t *t, int i, jw_t *w)
{
    for (; i >= 0; i = t->n[i].next_sib) {
        const trace_node_t *n = &t->n[i];
        jw_obj(w);
        jw_key(w, "id");
        jw_str(w, n->id);
        jw_key(w, "parent");
        jw_str(w, n->parent >= 0 ? t->n[n->parent].id : NULL);
        jw_key(w, "depth");
        jw_int(w, n->depth);
        jw_key(w, "matched");
        jw_bool(w, n->matched);
        jw_key(w, "event");
        pbjson_message(w, &n->ev->base);
        jw_obj_end(w);
        json_tree(t, n->first_child, w);
    }
}

void
trace_render_json(const trace_t *t, jw_t *w)
{
    jw_key(w, "match");
    jw_str(w, t->match);
    jw_key(w, "roots");
    jw_arr(w);
    for (size_t g = 0; g < t->ngroups; g++) {
        const trace_group_t *gr = &t->groups[g];
        jw_obj(w);
        jw_key(w, "cause");
        jw_str(w, gr->cause[0] ? gr->cause : NULL);
        jw_key(w, "kind");
        jw_str(w, gr->cause[0] ? cause_kind(gr->cause) : "none");
        jw_key(w, "events");
        jw_arr(w);
        for (int i = gr->first_child; i >= 0; i = t->n[i].next_sib)
            jw_str(w, t->n[i].id);
        jw_arr_end(w);
        jw_obj_end(w);
    }
    jw_arr_end(w);
    /* Depth-first, each subtree after its root, siblings by wall time. */
    jw_key(w, "events");
    jw_arr(w);
    for (size_t g = 0; g < t->ngroups; g++)
        json_tree(t, t->groups[g].first_child, w);
    jw_arr_end(w);
}

#ifndef TRACE_NO_CLI
/* ==== the command ======================================================= */

#define TRACE_DEFAULT_LIMIT 200000

typedef struct trace_src {
    bool asked;
    bool answered;
    bool limit_hit;
    uint64_t events;
    uint64_t head;
    int exit;
    char err[400];
} trace_src_t;

typedef struct replies {
    Cogov__V1__Reply **r;
    size_t n, cap;
} replies_t;

/* Read svc's stream from the start into t, at most limit events. */
static void
fetch_stream(ctl_t *c, int svc, uint64_t limit, trace_t *t, replies_t *keep,
             trace_src_t *src)
{
    uint64_t after = 0;
    src->asked = true;
    while (src->events < limit) {
        Cogov__V1__Fetch f = COGOV__V1__FETCH__INIT;
        f.has_after_seq = true;
        f.after_seq = after;
        uint64_t left = limit - src->events;
        f.has_max_events = true;
        f.max_events = left > UINT32_MAX ? UINT32_MAX : (uint32_t)left;
        f.has_max_wait_ms = true;
        f.max_wait_ms = 0;
        Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
        req.body_case = COGOV__V1__REQUEST__BODY_FETCH;
        req.fetch = &f;
        char err[300];
        int exit = 0;
        Cogov__V1__Reply *rep =
            ctl_request(c, svc, &req, 0, 0, &exit, err, sizeof err);
        if (rep == NULL) {
            src->exit = exit;
            snprintf(src->err, sizeof src->err, "%s: %s",
                     exit == CTL_EXIT_UNAVAILABLE ? "UNAVAILABLE" : "ERROR",
                     err);
            return;
        }
        if (exit != CTL_EXIT_OK ||
            rep->body_case != COGOV__V1__REPLY__BODY_BATCH) {
            src->exit = exit != CTL_EXIT_OK ? exit : CTL_EXIT_INTERNAL;
            snprintf(
                src->err, sizeof src->err, "%s: %s",
                exit != CTL_EXIT_OK && rep->has_code ? status_text(rep->code)
                                                     : "INTERNAL",
                exit != CTL_EXIT_OK
                    ? (str_empty(rep->error) ? "(no error text)" : rep->error)
                    : "the reply to Fetch has no batch");
            cogov__v1__reply__free_unpacked(rep, NULL);
            return;
        }
        src->answered = true;
        const Cogov__V1__Batch *batch = rep->batch;
        src->head = batch->head_seq;
        size_t used = 0;
        for (size_t i = 0; i < batch->n_events && src->events < limit; i++) {
            const Cogov__V1__Event *ev = batch->events[i];
            if (ev->seq <= after)
                continue;
            trace_add(t, ev);
            after = ev->seq;
            src->events++;
            used++;
        }
        size_t n = batch->n_events;
        if (used > 0) {
            if (keep->n == keep->cap) {
                keep->cap = keep->cap ? keep->cap * 2 : 16;
                keep->r = xrealloc(keep->r, keep->cap * sizeof *keep->r);
            }
            keep->r[keep->n++] = rep;
        } else {
            cogov__v1__reply__free_unpacked(rep, NULL);
        }
        if (n == 0 || after >= src->head)
            return;
    }
    src->limit_hit = after < src->head;
}

static int
trace_opt(ctl_t *c, int idx, const char *value, void *arg)
{
    (void)c;
    ((const char **)arg)[idx] = value;
    return 0;
}

static const ctl_opt_t trace_opts[] = {{"limit", true}, {NULL, false}};

static int
cmd_trace(ctl_t *c, int argc, char **argv)
{
    const char *v[1] = {0};
    const char *pos[1];
    int npos;
    int rc = ctl_parse(c, argc, argv, trace_opts, trace_opt, v, pos, 1, &npos);
    if (rc != 0)
        return rc;
    if (npos != 1 || str_empty(pos[0]))
        return ctl_usage(c, "ID is required");
    uint64_t limit = TRACE_DEFAULT_LIMIT;
    if (v[0] != NULL &&
        ctl_parse_u64(c, "--limit", v[0], UINT64_MAX, &limit) != 0)
        return CTL_EXIT_USAGE;
    if (limit == 0)
        return ctl_usage(c, "--limit must be at least 1");
    if (ctl_need_conf(c) != 0)
        return CTL_EXIT_USAGE;

    trace_t *t = trace_new();
    replies_t keep = {0};
    trace_src_t src[SVC_COUNT];
    memset(src, 0, sizeof src);
    int answered = 0, first_fail = 0;
    for (int s = 0; s < SVC_COUNT; s++) {
        if (!ctl_configured(c, s)) {
            ctl_err("trace: warning: %s is not configured (%s_endpoint is "
                    "empty in %s): its stream is left out",
                    ctl_service_names[s], ctl_service_names[s], c->conf_path);
            continue;
        }
        fetch_stream(c, s, limit, t, &keep, &src[s]);
        if (src[s].answered) {
            answered++;
        } else {
            ctl_err("trace: warning: %s: %s: its stream is left out",
                    ctl_service_names[s], src[s].err);
            if (first_fail == 0)
                first_fail = src[s].exit;
        }
        if (src[s].limit_hit)
            ctl_err("trace: warning: %s: --limit %llu reached (head %llu): "
                    "later events are left out",
                    ctl_service_names[s], (unsigned long long)limit,
                    (unsigned long long)src[s].head);
    }
    if (answered == 0) {
        ctl_err("trace: no daemon answered");
        rc = first_fail != 0 ? first_fail : CTL_EXIT_UNAVAILABLE;
        if (rc == CTL_EXIT_USAGE)
            rc = CTL_EXIT_UNAVAILABLE;
        goto done;
    }

    size_t nin = trace_select(t, pos[0]);
    sbuf_t b = {0};
    sbuf_init(&b);
    if (c->json) {
        jw_t w;
        jw_init(&w, &b);
        jw_obj(&w);
        jw_key(&w, "query");
        jw_str(&w, pos[0]);
        jw_key(&w, "sources");
        jw_arr(&w);
        for (int s = 0; s < SVC_COUNT; s++) {
            jw_obj(&w);
            jw_key(&w, "service");
            jw_str(&w, ctl_service_names[s]);
            jw_key(&w, "configured");
            jw_bool(&w, ctl_configured(c, s));
            jw_key(&w, "answered");
            jw_bool(&w, src[s].answered);
            if (src[s].answered) {
                jw_key(&w, "events");
                jw_uint(&w, src[s].events);
                jw_key(&w, "head_seq");
                jw_uint(&w, src[s].head);
                jw_key(&w, "limit_hit");
                jw_bool(&w, src[s].limit_hit);
            } else if (src[s].asked) {
                jw_key(&w, "error");
                jw_str(&w, src[s].err);
            }
            jw_obj_end(&w);
        }
        jw_arr_end(&w);
        trace_render_json(t, &w);
        jw_obj_end(&w);
        sbuf_putc(&b, '\n');
    } else if (nin > 0) {
        sbuf_printf(&b, "trace %s: %zu event%s (%zu matched as %s id) from",
                    pos[0], nin, nin == 1 ? "" : "s", t->nmatched, t->match);
        for (int s = 0; s < SVC_COUNT; s++)
            if (src[s].answered)
                sbuf_printf(&b, " %s@%llu", ctl_service_names[s],
                            (unsigned long long)src[s].head);
        sbuf_puts(&b, "\n\n");
        trace_render_text(t, &b);
    }
    ctl_flush(&b);
    sbuf_free(&b);
    if (nin == 0) {
        ctl_err("trace: '%s' is no event, correlation, causation or entity "
                "id in the %llu events read",
                pos[0], (unsigned long long)t->len);
        rc = CTL_EXIT_NOT_FOUND;
    } else {
        rc = CTL_EXIT_OK;
    }
done:
    trace_destroy(&t);
    for (size_t i = 0; i < keep.n; i++)
        cogov__v1__reply__free_unpacked(keep.r[i], NULL);
    free(keep.r);
    return rc;
}

const ctl_cmd_t ctl_cmds_trace[] = {
    {"trace", NULL, "ID [--limit N]",
     "Follow a causal chain across the daemons' event streams and print it\n"
     "as a tree: each event under the event that caused it, siblings in\n"
     "wall-clock order, each root under the request (req:<principal>:<id>)\n"
     "or origin that caused it. A line shows producer:seq, business time,\n"
     "type, actor and a summary of the payload; '<=' marks the events ID\n"
     "matched. ID is tried, in this order, as:\n"
     "  an event id          coordination:42\n"
     "  a correlation id     ctl-1a2b3c4d5e6f7a8b (every event of it)\n"
     "  a causation id       req:operator:r-17 (the events it caused)\n"
     "  an entity id         a member, task (res:m1/1), award, notice,\n"
     "                       motion, rectification ... id: every event whose\n"
     "                       payload holds it as a whole string value\n"
     "The trace then takes in every event sharing a match's correlation id\n"
     "(not a calendar tick's, which spans everything due at that tick),\n"
     "every event caused by one in the trace, transitively, and the chain\n"
     "of causes up to each root.\n"
     "Every configured daemon's stream is read from the start. A daemon\n"
     "not configured or not answering is left out with a warning; exit 6\n"
     "only if none answered, 3 if ID matched nothing.\n"
     "  --limit N   read at most N events per stream (default 200000); a\n"
     "              warning says when a stream was cut\n"
     "--json: {query, sources[], match, roots[], events[]}, events in tree\n"
     "order, each {id, parent, depth, matched, event}.\n",
     cmd_trace},
    {NULL, NULL, NULL, NULL, NULL},
};
#endif

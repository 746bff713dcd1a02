/* test_inc_converge: caps do not depend on arrival order (DESIGN 2.3).
 * The same events of coordination's stream (progress reports and their
 * corrections) and supervision's (evaluation grades) are interleaved in
 * thousands of seeded random ways and fed one at a time through the
 * recomputation that awards.c runs (cap order keys, the tally, policy_cap,
 * cap_reconcile); every interleaving must end with the same entries and
 * amounts as feeding them in cap order, and the caps hold. With finance
 * approving entries in between, the net per claim still converges. A naive
 * allocator that caps in arrival order is shown to diverge on the same
 * inputs, so the comparison can fail. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "../../services/incentives/cap_alloc.c"
#include "../../services/incentives/policy.c"

#define NEV 24         /* events per interleaving */
#define NMEM 4         /* members */
#define MAXC 64        /* claims */
#define MAXE (NEV + 1) /* entries per claim: its event and every correction */
#define PERMS 3000

static const char *policy_text =
    "policy id=p version=1 effective=2025-01-01 pool=muni\n"
    "cap member_year_fen=60000\n"
    "cap pool_fen=150000\n"
    "rate id=stu measure=students fen=1000\n"
    "grade id=a grade=excellent fen=20000\n"
    "grade id=d grade=fail fen=-5000\n";

static const char *members[NMEM] = {"m0", "m1", "m2", "m3"};

/* A source event: a progress report (coordination) with students, maybe
 * correcting an earlier report of the same member, or an evaluation
 * (supervision) grading every member. */
typedef struct sev {
    int stream; /* 0 coordination, 1 supervision */
    uint64_t seq;
    int64_t at;
    int member;       /* report */
    int64_t students; /* report */
    int corrects;     /* index of the report corrected, -1 none */
    int grades[NMEM]; /* evaluation */
} sev_t;

typedef struct entry {
    char id[96];
    int ver, status;
    int64_t amount, raw;
} entry_t;

typedef struct claim {
    char id[96], key[160];
    int member, year;
    int64_t alloc;
    int n;
    entry_t e[MAXE];
} claim_t;

typedef struct world {
    policy_t pol;
    claim_t c[MAXC];
    int n;
    int nres; /* residual ids */
} world_t;

static claim_t *
find(world_t *w, const char *id)
{
    for (int i = 0; i < w->n; i++)
        if (strcmp(w->c[i].id, id) == 0)
            return &w->c[i];
    return NULL;
}

static int
by_key(const void *a, const void *b)
{
    return strcmp(((const claim_t *)a)->key, ((const claim_t *)b)->key);
}

/* awards.c's recompute(): tally of the claims before `from`, then the
 * claims from it on in key order. naive: cap only the fresh entry against
 * what everything else holds now (arrival order). */
static void
recompute(world_t *w, const char *from, const char *cause)
{
    cap_tally_t *t = cap_tally_new(0);

    qsort(w->c, (size_t)w->n, sizeof w->c[0], by_key);
    for (int i = 0; i < w->n && strcmp(w->c[i].key, from) < 0; i++) {
        cap_tally_add(t, members[w->c[i].member], w->c[i].year, w->c[i].alloc);
    }
    for (int i = 0; i < w->n; i++) {
        claim_t *c = &w->c[i];
        cap_entry_t e[MAXE + 1];
        int64_t prev = 0, alloc = 0, res;
        char why[128];
        if (strcmp(c->key, from) < 0)
            continue;
        for (int k = 0; k < c->n; k++) {
            e[k].ver = c->e[k].ver;
            e[k].status = c->e[k].status;
            e[k].amount = c->e[k].amount;
            if (e[k].ver < 0)
                continue;
            alloc = policy_cap(&w->pol, c->e[k].raw,
                               cap_tally_member(t, members[c->member], c->year),
                               cap_tally_pool(t), why, sizeof why);
            e[k].target = alloc - prev;
            prev = alloc;
        }
        cap_tally_add(t, members[c->member], c->year, alloc);
        c->alloc = alloc;
        res = cap_reconcile(e, (size_t)c->n);
        for (int k = 0; k < c->n; k++)
            c->e[k].amount = e[k].amount;
        if (res) {
            assert_true(c->n < MAXE);
            entry_t *r = &c->e[c->n++];
            snprintf(r->id, sizeof r->id, "%s~%s", c->id, cause);
            r->ver = -1;
            r->status = 1;
            r->amount = res;
        }
    }
    cap_tally_destroy(&t);
}

static void
naive(world_t *w, claim_t *c, entry_t *fresh)
{
    int64_t member = 0, pool = 0, chain = 0;
    char why[128];
    for (int i = 0; i < w->n; i++)
        for (int k = 0; k < w->c[i].n; k++) {
            const entry_t *e = &w->c[i].e[k];
            if (e == fresh)
                continue;
            pool += e->amount;
            if (w->c[i].member == c->member && w->c[i].year == c->year)
                member += e->amount;
            if (&w->c[i] == c)
                chain += e->amount;
        }
    fresh->amount = policy_cap(&w->pol, fresh->raw, member - chain,
                               pool - chain, why, sizeof why) -
                    chain;
}

/* One claim entry for a (source, rule[, member]) of the event. */
static void
entry_for(world_t *w, const sev_t *ev, const sev_t *all, const char *rule,
          int member, int64_t raw, bool use_naive)
{
    char id[96], src[48], key[160];
    const char *prod = ev->stream ? "supervision" : "coordination";
    claim_t *c = NULL;
    int ver = 0;

    snprintf(src, sizeof src, "%s:%llu", prod, (unsigned long long)ev->seq);
    snprintf(id, sizeof id, "p:%s@%s%s%s", rule, src, ev->stream ? "/" : "",
             ev->stream ? members[member] : "");
    if (ev->corrects >= 0) {
        const sev_t *root = &all[ev->corrects];
        while (root->corrects >= 0)
            root = &all[root->corrects];
        char rid[96];
        snprintf(rid, sizeof rid, "p:%s@coordination:%llu", rule,
                 (unsigned long long)root->seq);
        c = find(w, rid);
    }
    if (c == NULL) {
        if (raw == 0)
            return;
        assert_true(w->n < MAXC);
        c = &w->c[w->n++];
        memset(c, 0, sizeof *c);
        snprintf(c->id, sizeof c->id, "%s", id);
        cap_order_key(ev->at, prod, ev->seq,
                      ev->stream ? members[member] : NULL, key, sizeof key);
        snprintf(c->key, sizeof c->key, "%s", key);
        c->member = member;
        c->year = 2025;
    } else {
        for (int k = 0; k < c->n; k++)
            if (c->e[k].ver >= ver)
                ver = c->e[k].ver + 1;
    }
    assert_true(c->n < MAXE);
    entry_t *e = &c->e[c->n++];
    snprintf(e->id, sizeof e->id, "%s", id);
    e->ver = ver;
    e->status = 1;
    e->raw = raw;
    e->amount = 0;
    if (use_naive) {
        naive(w, c, e);
    } else {
        snprintf(key, sizeof key, "%s", c->key);
        recompute(w, key, src);
    }
}

static void
feed(world_t *w, const sev_t *ev, const sev_t *all, bool use_naive)
{
    if (ev->stream == 0) {
        entry_for(w, ev, all, "stu", ev->member,
                  policy_rate_fen(ev->students, 1000, 1), use_naive);
        return;
    }
    for (int m = 0; m < NMEM; m++) {
        if (ev->grades[m] == 1)
            entry_for(w, ev, all, "a", m, 20000, use_naive);
        else if (ev->grades[m] == 4)
            entry_for(w, ev, all, "d", m, -5000, use_naive);
    }
}

/* Random events: coordination's in seq and business-time order,
 * supervision's likewise; corrections refer back in their own stream. */
static int
make_events(unsigned *r, sev_t *ev)
{
    uint64_t seq[2] = {0, 0};
    int64_t at[2] = {1735689600, 1735689600};
    for (int i = 0; i < NEV; i++) {
        sev_t *e = &ev[i];
        memset(e, 0, sizeof *e);
        e->stream = rand_r(r) % 4 == 0;
        e->seq = ++seq[e->stream];
        at[e->stream] += 3600 * (1 + rand_r(r) % 48);
        e->at = at[e->stream];
        e->corrects = -1;
        if (e->stream == 0) {
            e->member = rand_r(r) % NMEM;
            e->students = rand_r(r) % 30;
            if (i > 0 && rand_r(r) % 5 == 0) {
                int j = rand_r(r) % i;
                if (ev[j].stream == 0) {
                    e->corrects = j;
                    e->member = ev[j].member;
                }
            }
        } else {
            for (int m = 0; m < NMEM; m++)
                e->grades[m] = 1 + rand_r(r) % 4;
        }
    }
    return NEV;
}

/* A random interleaving that keeps each stream's own order. */
static void
interleave(unsigned *r, const sev_t *ev, int n, int *order)
{
    int idx[2][NEV], cnt[2] = {0, 0}, pos[2] = {0, 0};
    for (int i = 0; i < n; i++)
        idx[ev[i].stream][cnt[ev[i].stream]++] = i;
    for (int k = 0; k < n; k++) {
        int s;
        if (pos[0] == cnt[0])
            s = 1;
        else if (pos[1] == cnt[1])
            s = 0;
        else
            s = rand_r(r) % 2;
        order[k] = idx[s][pos[s]++];
    }
}

/* Canonical text of the world: every entry's id and amount, sorted. */
static char *
dump(world_t *w, int64_t *net)
{
    static char buf[MAXC * MAXE * 128];
    size_t off = 0;
    qsort(w->c, (size_t)w->n, sizeof w->c[0], by_key);
    for (int i = 0; i < w->n; i++) {
        net[i] = 0;
        for (int k = 0; k < w->c[i].n; k++) {
            net[i] += w->c[i].e[k].amount;
            off += (size_t)snprintf(buf + off, sizeof buf - off, "%s=%lld\n",
                                    w->c[i].e[k].id,
                                    (long long)w->c[i].e[k].amount);
        }
    }
    return buf;
}

static void
check_caps(world_t *w)
{
    int64_t pool = 0, mem[NMEM] = {0};
    for (int i = 0; i < w->n; i++) {
        pool += w->c[i].alloc;
        mem[w->c[i].member] += w->c[i].alloc;
        int64_t net = 0;
        for (int k = 0; k < w->c[i].n; k++)
            net += w->c[i].e[k].amount;
        assert_int_equal(net, w->c[i].alloc);
    }
    assert_true(pool <= w->pol.cap_pool_fen);
    for (int m = 0; m < NMEM; m++)
        assert_true(mem[m] <= w->pol.cap_member_year_fen);
}

static void
new_world(world_t *w)
{
    char err[256];
    memset(w, 0, sizeof *w);
    assert_int_equal(policy_parse(policy_text, "t", &w->pol, err, sizeof err),
                     0);
}

static unsigned
seed_of(void)
{
    const char *s = getenv("COGOV_SEED");
    unsigned seed = s ? (unsigned)strtoul(s, NULL, 10) : (unsigned)time(NULL);
    printf("# seed %u (set COGOV_SEED=%u to repeat)\n", seed, seed);
    return seed;
}

static void
converge_without_commands(void **state)
{
    unsigned r = seed_of();
    sev_t ev[NEV];
    int order[NEV], diverged_naive = 0;
    static world_t ref, w;
    static char want[sizeof(char[MAXC * MAXE * 128])];
    int64_t net_ref[MAXC], net[MAXC];

    (void)state;
    for (int round = 0; round < PERMS / 50; round++) {
        int n = make_events(&r, ev);
        /* the reference: fed in cap order (each stream is already) */
        int byk[NEV];
        for (int i = 0; i < n; i++)
            byk[i] = i;
        for (int i = 1; i < n; i++) /* insertion sort by (at, stream, seq) */
            for (int j = i; j > 0; j--) {
                const sev_t *a = &ev[byk[j - 1]], *b = &ev[byk[j]];
                if (a->at < b->at || (a->at == b->at && a->stream <= b->stream))
                    break;
                int t = byk[j];
                byk[j] = byk[j - 1];
                byk[j - 1] = t;
            }
        new_world(&ref);
        for (int i = 0; i < n; i++)
            feed(&ref, &ev[byk[i]], ev, false);
        check_caps(&ref);
        snprintf(want, sizeof want, "%s", dump(&ref, net_ref));
        char naive_ref[sizeof want];
        new_world(&w);
        for (int i = 0; i < n; i++)
            feed(&w, &ev[byk[i]], ev, true);
        snprintf(naive_ref, sizeof naive_ref, "%s", dump(&w, net));
        for (int p = 0; p < 50; p++) {
            interleave(&r, ev, n, order);
            new_world(&w);
            for (int i = 0; i < n; i++)
                feed(&w, &ev[order[i]], ev, false);
            check_caps(&w);
            const char *got = dump(&w, net);
            if (strcmp(got, want) != 0) {
                printf("# round %d perm %d differs:\n--want\n%s--got\n%s",
                       round, p, want, got);
                fail();
            }
            new_world(&w);
            for (int i = 0; i < n; i++)
                feed(&w, &ev[order[i]], ev, true);
            if (strcmp(dump(&w, net), naive_ref) != 0)
                diverged_naive++;
        }
    }
    printf("# %d interleavings converged; the arrival-order allocator "
           "diverged on %d of them\n",
           PERMS, diverged_naive);
    assert_true(diverged_naive > 0);
}

/* Finance approves random entries between events: approved entries keep
 * their amounts, so the entries differ by interleaving, but each claim's
 * net equals the reference's and the caps hold. */
static void
converge_net_with_approvals(void **state)
{
    unsigned r = seed_of();
    sev_t ev[NEV];
    int order[NEV];
    static world_t ref, w;
    int64_t net_ref[MAXC], net[MAXC];
    char ids_ref[MAXC][96];

    (void)state;
    for (int round = 0; round < PERMS / 50; round++) {
        int n = make_events(&r, ev);
        new_world(&ref);
        interleave(&r, ev, n, order);
        for (int i = 0; i < n; i++)
            feed(&ref, &ev[order[i]], ev, false);
        dump(&ref, net_ref);
        for (int i = 0; i < ref.n; i++)
            snprintf(ids_ref[i], sizeof ids_ref[i], "%s", ref.c[i].id);
        for (int p = 0; p < 50; p++) {
            interleave(&r, ev, n, order);
            new_world(&w);
            for (int i = 0; i < n; i++) {
                feed(&w, &ev[order[i]], ev, false);
                for (int c = 0; c < w.n; c++)
                    for (int k = 0; k < w.c[c].n; k++)
                        if (w.c[c].e[k].status == 1 && rand_r(&r) % 3 == 0)
                            w.c[c].e[k].status = rand_r(&r) % 2 ? 2 : 3;
            }
            check_caps(&w);
            dump(&w, net);
            assert_int_equal(w.n, ref.n);
            for (int i = 0; i < w.n; i++) {
                assert_string_equal(w.c[i].id, ids_ref[i]);
                if (net[i] != net_ref[i])
                    printf("# claim %s: net %lld want %lld\n", w.c[i].id,
                           (long long)net[i], (long long)net_ref[i]);
                assert_int_equal(net[i], net_ref[i]);
            }
        }
    }
}

/* cap_reconcile alone: mutable entries move, committed ones get a
 * residual, a mutable residual absorbs it, rejected ones stay. */
static void
reconcile_cases(void **state)
{
    (void)state;
    cap_entry_t a[] = {{0, 1, 100, 80, false}, {1, 1, 20, -10, false}};
    assert_int_equal(cap_reconcile(a, 2), 0);
    assert_int_equal(a[0].amount, 80);
    assert_int_equal(a[1].amount, -10);
    assert_true(a[0].changed && a[1].changed);
    cap_entry_t b[] = {{0, 3, 100, 70, false}};
    assert_int_equal(cap_reconcile(b, 1), -30);
    assert_int_equal(b[0].amount, 100);
    cap_entry_t c[] = {{0, 2, 100, 70, false}, {-1, 1, -10, 0, false}};
    assert_int_equal(cap_reconcile(c, 2), 0);
    assert_int_equal(c[1].amount, -30);
    cap_entry_t d[] = {{0, 2, 100, 70, false}, {-1, 2, -30, 0, false}};
    assert_int_equal(cap_reconcile(d, 2), 0);
    cap_entry_t e[] = {{0, 4, 100, 70, false}};
    assert_int_equal(cap_reconcile(e, 1), 0);
    assert_int_equal(e[0].amount, 100);
    assert_false(e[0].changed);
    char k1[160], k2[160], k3[160];
    cap_order_key(100, "coordination", 9, NULL, k1, sizeof k1);
    cap_order_key(100, "coordination", 10, NULL, k2, sizeof k2);
    cap_order_key(99, "supervision", 1000, "m", k3, sizeof k3);
    assert_true(strcmp(k1, k2) < 0);
    assert_true(strcmp(k3, k1) < 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reconcile_cases),
        cmocka_unit_test(converge_without_commands),
        cmocka_unit_test(converge_net_with_approvals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

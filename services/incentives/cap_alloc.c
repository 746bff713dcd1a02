/* cap_alloc: order-independent caps (pure; see cap_alloc.h). */
#include "cap_alloc.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define ST_PROPOSED 1
#define ST_APPROVED 2
#define ST_DISBURSED 3
#define ST_HELD 5
#define ST_QUEUED 6

typedef struct slot {
    char *member_id; /* NULL: empty */
    int year;
    int64_t used; /* positive claims: what counts against the caps */
    int64_t net;  /* all claims: what a penalty can be netted against */
} slot_t;

struct cap_tally {
    int64_t pool_used;
    slot_t *slots;
    size_t cap, n;
};

cap_tally_t *
cap_tally_new(int64_t pool_used)
{
    cap_tally_t *t = xcalloc(1, sizeof *t);

    t->pool_used = pool_used;
    t->cap = 64;
    t->slots = xcalloc(t->cap, sizeof *t->slots);
    return t;
}

void
cap_tally_destroy(cap_tally_t **tp)
{
    cap_tally_t *t = tp ? *tp : NULL;

    if (t == NULL)
        return;
    for (size_t i = 0; i < t->cap; i++)
        free(t->slots[i].member_id);
    free(t->slots);
    free(t);
    *tp = NULL;
}

static size_t
slot_hash(const char *m, int year)
{
    return (size_t)(hash64(m, strlen(m)) ^
                    (uint64_t)year * 0x9E3779B97F4A7C15u);
}

/* The slot of (member, year), made if absent. */
static slot_t *
slot(cap_tally_t *t, const char *m, int year, bool make)
{
    size_t i;

    if (make && (t->n + 1) * 2 > t->cap) {
        slot_t *old = t->slots;
        size_t oldcap = t->cap;
        t->cap *= 2;
        t->slots = xcalloc(t->cap, sizeof *t->slots);
        t->n = 0;
        for (size_t j = 0; j < oldcap; j++)
            if (old[j].member_id) {
                slot_t *s = slot(t, old[j].member_id, old[j].year, true);
                free(s->member_id);
                *s = old[j];
            }
        free(old);
    }
    for (i = slot_hash(m, year) & (t->cap - 1); t->slots[i].member_id;
         i = (i + 1) & (t->cap - 1))
        if (t->slots[i].year == year && strcmp(t->slots[i].member_id, m) == 0)
            return &t->slots[i];
    if (!make)
        return NULL;
    t->slots[i].member_id = xstrdup(m);
    t->slots[i].year = year;
    t->slots[i].used = 0;
    t->slots[i].net = 0;
    t->n++;
    return &t->slots[i];
}

void
cap_tally_seed(cap_tally_t *t, const char *member_id, int year, int64_t used,
               int64_t net)
{
    slot_t *s = slot(t, member_id, year, true);

    s->used = used;
    s->net = net;
}

int64_t
cap_tally_member(const cap_tally_t *t, const char *member_id, int year)
{
    const slot_t *s = slot((cap_tally_t *)t, member_id, year, false);
    return s ? s->used : 0;
}

int64_t
cap_tally_net(const cap_tally_t *t, const char *member_id, int year)
{
    const slot_t *s = slot((cap_tally_t *)t, member_id, year, false);
    return s ? s->net : 0;
}

int64_t
cap_tally_pool(const cap_tally_t *t)
{
    return t->pool_used;
}

void
cap_tally_add(cap_tally_t *t, const char *member_id, int year, int64_t amount)
{
    slot_t *s = slot(t, member_id, year, true);

    s->net += amount;
    if (amount > 0) { /* a penalty frees no cap room */
        s->used += amount;
        t->pool_used += amount;
    }
}

void
cap_order_key(int64_t occurred_at, const char *producer, uint64_t seq,
              const char *suffix, char *out, size_t outlen)
{
    snprintf(out, outlen, "%020" PRId64 " %s %020" PRIu64 " %s",
             occurred_at < 0 ? 0 : occurred_at, producer ? producer : "", seq,
             suffix ? suffix : "");
}

bool
cap_entry_mutable(int status)
{
    return status == ST_PROPOSED || status == ST_HELD;
}

static bool
committed(int status)
{
    return status == ST_APPROVED || status == ST_QUEUED ||
           status == ST_DISBURSED;
}

int64_t
cap_reconcile(cap_entry_t *e, size_t n)
{
    int64_t residual = 0;
    bool absorbed = false;

    for (size_t i = 0; i < n; i++) {
        e[i].changed = false;
        if (e[i].ver < 0) {
            if (committed(e[i].status))
                residual -= e[i].amount;
            continue;
        }
        if (cap_entry_mutable(e[i].status)) {
            if (e[i].amount != e[i].target) {
                e[i].amount = e[i].target;
                e[i].changed = true;
            }
        } else if (committed(e[i].status)) {
            residual += e[i].target - e[i].amount;
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (e[i].ver >= 0 || !cap_entry_mutable(e[i].status))
            continue;
        int64_t want = absorbed ? 0 : residual;
        if (e[i].amount != want) {
            e[i].amount = want;
            e[i].changed = true;
        }
        absorbed = true;
    }
    return absorbed ? 0 : residual;
}

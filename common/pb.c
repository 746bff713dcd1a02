/* pb: budgeted unpacking and validation of untrusted protobuf. */
#include "pb.h"

#include <errno.h>
#include <pthread.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cogov/v1/envelope.pb-c.h"
#include "util.h"
#include "validate.h"

#define PB_MAX_DEPTH 16

/* Every block carries its size in a header, so free can give the bytes back
 * to the budget; 16 keeps the payload aligned for any type. */
#define PB_HDR 16

typedef struct pb_budget {
    size_t used;
    size_t budget;
    bool exceeded;
} pb_budget_t;

static void *
budget_alloc(void *data, size_t size)
{
    pb_budget_t *b = data;
    if (size > SIZE_MAX - PB_HDR) {
        b->exceeded = true;
        return NULL;
    }
    size_t total = size + PB_HDR;
    if (total > b->budget - b->used) {
        /* An allocation bomb is an input error: protobuf-c fails the unpack
         * and frees what it made. */
        b->exceeded = true;
        return NULL;
    }
    unsigned char *p = malloc(total);
    if (p == NULL)
        return NULL;
    memcpy(p, &total, sizeof total);
    b->used += total;
    return p + PB_HDR;
}

static void
budget_free(void *data, void *ptr)
{
    if (ptr == NULL)
        return;
    unsigned char *p = (unsigned char *)ptr - PB_HDR;
    pb_budget_t *b = data;
    if (b != NULL) {
        size_t total;
        memcpy(&total, p, sizeof total);
        b->used -= total;
    }
    free(p);
}

/* ---- plans: skipping the oneof members not selected ----------------------
 *
 * protobuf-c's pack, get_packed_size and free_unpacked visit every field of
 * the descriptor, and Request, Reply and Event are nearly all one oneof
 * (110 of 113, 53 of 58, 84 of 94 fields). Those three functions read only
 * n_fields and fields of the message's descriptor (with the fields'
 * offsets into the message, and the magic in an assert), so a "shadow"
 * descriptor whose fields are the descriptor's own minus the members of
 * that oneof not selected, in the same order, makes them produce the same
 * bytes and free the same blocks (unpack: see unpack_desc). Plans and
 * shadows are made on first use, under a lock, published with release
 * stores and never freed (a few KiB for the life of the process). */

#define PLAN_MIN_MEMBERS 8 /* smaller oneofs: the plain walk is as cheap */
#define PLAN_SLOTS 1024    /* message types seen; a full table: no plans */

typedef struct plan {
    const ProtobufCMessageDescriptor *desc;
    unsigned qoff;   /* the oneof's case member; 0: no plan, use desc */
    uint32_t max_id; /* highest field number among its members */
    uint8_t *member; /* [max_id + 1]: is field number i a member? */
    bool by_number;  /* fields in ascending number order: unpack may use a
                        shadow (its field ranges are made for it) */
    bool enc;        /* enc_message writes it (else protobuf-c packs it) */
    /* [max_id + 1]: shadow per case; [0] for none (or a case that is no
     * member) */
    _Atomic(const ProtobufCMessageDescriptor *) *shadow;
    /* arena unpack with deferred elements (see "deferred elements"): per
     * case as shadow, and one for the whole descriptor (no plan) */
    _Atomic(struct uplan *) *uplan;
    _Atomic(struct uplan *) ufull;
} plan_t;

static _Atomic(plan_t *) g_plans[PLAN_SLOTS];
static pthread_mutex_t g_plan_lock = PTHREAD_MUTEX_INITIALIZER;

static size_t
plan_slot(const ProtobufCMessageDescriptor *d)
{
    return (size_t)((((uintptr_t)d >> 4) * 0x9E3779B97F4A7C15ull) >> 54) &
           (PLAN_SLOTS - 1);
}

static bool enc_knows(const ProtobufCMessageDescriptor *d);

/* The plan of d: its largest oneof (by the case member shared by its
 * fields), if that has at least PLAN_MIN_MEMBERS members. */
static plan_t *
plan_build(const ProtobufCMessageDescriptor *d)
{
    plan_t *p = xcalloc(1, sizeof(*p));
    p->desc = d;
    p->enc = enc_knows(d);
    unsigned best_q = 0, best_n = 0;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (!(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF))
            continue;
        unsigned n = 0;
        for (unsigned k = 0; k < d->n_fields; k++)
            n += (d->fields[k].flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
                 d->fields[k].quantifier_offset == f->quantifier_offset;
        if (n > best_n) {
            best_n = n;
            best_q = f->quantifier_offset;
        }
    }
    if (best_n < PLAN_MIN_MEMBERS)
        return p;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
            f->quantifier_offset == best_q && f->id > p->max_id)
            p->max_id = f->id;
    }
    p->member = xcalloc(p->max_id + 1, 1);
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
            f->quantifier_offset == best_q)
            p->member[f->id] = 1;
    }
    p->shadow = xcalloc(p->max_id + 1, sizeof(*p->shadow));
    p->uplan = xcalloc(p->max_id + 1, sizeof(*p->uplan));
    p->by_number = true;
    for (unsigned i = 1; i < d->n_fields; i++)
        if (d->fields[i].id <= d->fields[i - 1].id)
            p->by_number = false;
    p->qoff = best_q;
    return p;
}

/* plan_of with g_plan_lock held. */
static plan_t *
plan_locked(const ProtobufCMessageDescriptor *d)
{
    size_t h = plan_slot(d);
    plan_t *found = NULL;
    for (size_t i = 0; i < PLAN_SLOTS; i++) {
        _Atomic(plan_t *) *slot = &g_plans[(h + i) & (PLAN_SLOTS - 1)];
        plan_t *p = atomic_load_explicit(slot, memory_order_relaxed);
        if (p == NULL) {
            found = plan_build(d);
            atomic_store_explicit(slot, found, memory_order_release);
            break;
        }
        if (p->desc == d) {
            found = p;
            break;
        }
    }
    return found; /* NULL: the table is full */
}

static plan_t *
plan_of(const ProtobufCMessageDescriptor *d)
{
    size_t h = plan_slot(d);
    for (size_t i = 0; i < PLAN_SLOTS; i++) {
        plan_t *p = atomic_load_explicit(&g_plans[(h + i) & (PLAN_SLOTS - 1)],
                                         memory_order_acquire);
        if (p == NULL)
            break;
        if (p->desc == d)
            return p;
    }
    pthread_mutex_lock(&g_plan_lock);
    plan_t *found = plan_locked(d);
    pthread_mutex_unlock(&g_plan_lock);
    return found;
}

static const ProtobufCMessageDescriptor *
shadow_build(const plan_t *p, uint32_t c)
{
    const ProtobufCMessageDescriptor *d = p->desc;
    ProtobufCFieldDescriptor *fields =
        xcalloc(d->n_fields, sizeof(ProtobufCFieldDescriptor));
    unsigned n = 0;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
            f->quantifier_offset == p->qoff && f->id != c)
            continue;
        fields[n++] = *f;
    }
    /* Field ranges as protoc-c makes them (runs of consecutive numbers, and
     * an end entry holding the field count), for unpack. No name index:
     * nothing looks a shadow's fields up by name (an unpacked message names
     * the real descriptor: its init function sets it). */
    ProtobufCIntRange *ranges = xcalloc(n + 1, sizeof(*ranges));
    unsigned nr = 0;
    for (unsigned i = 0; i < n; i++)
        if (i == 0 || fields[i].id != fields[i - 1].id + 1) {
            ranges[nr].start_value = (int)fields[i].id;
            ranges[nr].orig_index = i;
            nr++;
        }
    ranges[nr].start_value = 0;
    ranges[nr].orig_index = n;
    ProtobufCMessageDescriptor *s = xmalloc(sizeof(*s));
    *s = *d;
    s->n_fields = n;
    s->fields = fields;
    s->fields_sorted_by_name = NULL;
    s->n_field_ranges = nr;
    s->field_ranges = ranges;
    return s;
}

static uint32_t
case_slot(const plan_t *p, uint32_t c)
{
    return c > p->max_id || !p->member[c] ? 0 : c;
}

/* shadow_for_case with g_plan_lock held. */
static const ProtobufCMessageDescriptor *
shadow_locked(const plan_t *p, uint32_t c)
{
    c = case_slot(p, c);
    const ProtobufCMessageDescriptor *s =
        atomic_load_explicit(&p->shadow[c], memory_order_relaxed);
    if (s == NULL) {
        s = shadow_build(p, c);
        atomic_store_explicit(&p->shadow[c], s, memory_order_release);
    }
    return s;
}

static const ProtobufCMessageDescriptor *
shadow_for_case(const plan_t *p, uint32_t c)
{
    const ProtobufCMessageDescriptor *s =
        atomic_load_explicit(&p->shadow[case_slot(p, c)], memory_order_acquire);
    if (s != NULL)
        return s;
    pthread_mutex_lock(&g_plan_lock);
    s = shadow_locked(p, c);
    pthread_mutex_unlock(&g_plan_lock);
    return s;
}

/* The descriptor to walk m's set fields with: a shadow, or m's own. */
static const ProtobufCMessageDescriptor *
shadow_of(const ProtobufCMessage *m)
{
    const ProtobufCMessageDescriptor *d = m->descriptor;
    const plan_t *p = plan_of(d);
    if (p == NULL || p->qoff == 0)
        return d;
    return shadow_for_case(p, *(const uint32_t *)((const char *)m + p->qoff));
}

/* Read a varint of at most max bytes at data (len available): its length,
 * or 0 if it does not end within them. */
static size_t
scan_varint(const uint8_t *data, size_t len, size_t max, uint64_t *v)
{
    uint64_t x = 0;
    for (size_t i = 0; i < len && i < max; i++) {
        x |= (uint64_t)(data[i] & 0x7f) << (7 * i);
        if (!(data[i] & 0x80)) {
            *v = x;
            return i + 1;
        }
    }
    return 0;
}

/* Scan the top level of data as protobuf-c scans it: the one member of p's
 * oneof it holds (0 for none; any number of times) in *found, and whether
 * field number `once` (0: none) occurs more than once in *twice. Returns
 * false if it holds two members (the last one wins: the full descriptor
 * knows how) or the bytes do not scan (bad tag, cut short): protobuf-c
 * then gets the full descriptor and decides. */
/* Length of the varint at data (len available, at most 10 bytes), or 0 if
 * it does not end within them. */
static size_t
skip_varint(const uint8_t *data, size_t len)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (len >= 8) { /* the first byte without its high bit, 8 at a time */
        uint64_t w;
        memcpy(&w, data, 8);
        uint64_t ends = ~w & 0x8080808080808080ull;
        if (ends != 0)
            return (size_t)(__builtin_ctzll(ends) >> 3) + 1;
    }
#endif
    for (size_t k = 0; k < len && k < 10; k++)
        if (!(data[k] & 0x80))
            return k + 1;
    return 0;
}

static bool
scan_top(const plan_t *p, const uint8_t *data, size_t len, uint32_t once,
         uint32_t *found, bool *twice)
{
    size_t i = 0, n_once = 0;
    *found = 0;
    *twice = false;
    while (i < len) {
        uint64_t key, n;
        size_t k;
        if (data[i] < 0x80) { /* the usual one-byte tag */
            key = data[i];
            k = 1;
        } else {
            k = scan_varint(data + i, len - i, 5, &key);
        }
        if (k == 0 || (data[i] & 0xf8) == 0)
            return false; /* protobuf-c: tag 0, or more than 5 bytes */
        i += k;
        switch (key & 7) {
        case PROTOBUF_C_WIRE_TYPE_VARINT:
            k = skip_varint(data + i, len - i);
            break;
        case PROTOBUF_C_WIRE_TYPE_64BIT:
            k = len - i >= 8 ? 8 : 0;
            break;
        case PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED:
            if (i < len && data[i] < 0x80) {
                n = data[i];
                k = 1;
            } else {
                k = scan_varint(data + i, len - i, 5, &n);
            }
            if (k != 0 && n > len - i - k)
                k = 0;
            else if (k != 0)
                k += (size_t)n;
            break;
        case PROTOBUF_C_WIRE_TYPE_32BIT:
            k = len - i >= 4 ? 4 : 0;
            break;
        default:
            k = 0;
        }
        if (k == 0)
            return false;
        i += k;
        uint64_t tag = (key >> 3) & 0xffffffffu;
        n_once += once != 0 && tag == once;
        if (p->qoff != 0 && tag <= p->max_id && p->member[tag]) {
            if (*found != 0 && *found != tag)
                return false;
            *found = (uint32_t)tag;
        }
    }
    *twice = n_once > 1;
    return true;
}

/* The descriptor to unpack data (a message of d) with. protobuf-c's unpack
 * also visits every field of the descriptor once more after the scan; when
 * the top level of data holds at most one member of d's large oneof (any
 * number of times), the shadow for that member decodes it the same way:
 * every field number in data finds the same field (or, not in d at all, no
 * field). Anything else gets d itself. */
static const ProtobufCMessageDescriptor *
unpack_desc(const ProtobufCMessageDescriptor *d, const uint8_t *data,
            size_t len)
{
    const plan_t *p = plan_of(d);
    uint32_t found;
    bool twice;
    if (p == NULL || p->qoff == 0 || !p->by_number ||
        !scan_top(p, data, len, 0, &found, &twice))
        return d;
    return shadow_for_case(p, found);
}

size_t
pb_elem_size(ProtobufCType t)
{
    switch (t) {
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
    case PROTOBUF_C_TYPE_DOUBLE:
        return 8;
    case PROTOBUF_C_TYPE_BOOL:
        return sizeof(protobuf_c_boolean);
    case PROTOBUF_C_TYPE_STRING:
    case PROTOBUF_C_TYPE_MESSAGE:
        return sizeof(void *);
    case PROTOBUF_C_TYPE_BYTES:
        return sizeof(ProtobufCBinaryData);
    default:
        return 4;
    }
}

/* ---- deferred elements (arena unpack) -------------------------------------
 *
 * protobuf-c unpacks each element of a repeated message field with the
 * element type's full descriptor: a Batch's Events (94 fields) each pay the
 * walk the shadows save at the top. In an arena unpack such a field (of a
 * type with a plan) is taken as repeated bytes first (each element's own
 * bytes, as protobuf-c would pass them to the nested unpack), then each
 * element is unpacked from them with its shadow, into the same array (a
 * pointer is smaller than the bytes it replaces). This is done for such
 * fields of the top-level message and of one of its singular message
 * fields (Reply.batch) — the latter only when that field occurs once in the
 * bytes: protobuf-c merges a singular message given twice, with the real
 * descriptor, which knows nothing of bytes in place of messages. The
 * budget is charged for the elements' bytes too (at most the message's
 * length more). */

typedef struct defer {
    unsigned offset, qoff; /* the array, its count */
    const ProtobufCMessageDescriptor *elem;
} defer_t;

typedef struct deep {
    uint32_t id;     /* a singular message field ... */
    unsigned offset; /* ... at offset, whose type defers these: */
    const ProtobufCMessageDescriptor *real; /* its type */
    const defer_t *inner;
    unsigned n_inner;
} deep_t;

typedef struct uplan {
    const ProtobufCMessageDescriptor *desc;  /* given to protobuf-c */
    const ProtobufCMessageDescriptor *plain; /* the same without deferring */
    defer_t *defer;
    unsigned n_defer;
    deep_t deep; /* at most one (deep.inner NULL: none) */
} uplan_t;

/* With g_plan_lock held. */
static bool
deferrable(const ProtobufCFieldDescriptor *f)
{
    if (f->type != PROTOBUF_C_TYPE_MESSAGE ||
        f->label != PROTOBUF_C_LABEL_REPEATED)
        return false;
    const plan_t *ep = plan_locked(f->descriptor);
    return ep != NULL && ep->qoff != 0 && ep->by_number;
}

/* A copy of fields with the deferrable ones typed bytes, their list in
 * *defer; NULL (and no list) if none is. */
static ProtobufCFieldDescriptor *
defer_fields(const ProtobufCFieldDescriptor *fields, unsigned n,
             defer_t **defer, unsigned *n_defer)
{
    ProtobufCFieldDescriptor *copy = NULL;
    *defer = NULL;
    *n_defer = 0;
    for (unsigned i = 0; i < n; i++) {
        if (!deferrable(&fields[i]))
            continue;
        if (copy == NULL) {
            copy = xcalloc(n, sizeof(*copy));
            memcpy(copy, fields, n * sizeof(*copy));
            *defer = xcalloc(n, sizeof(**defer));
        }
        copy[i].type = PROTOBUF_C_TYPE_BYTES;
        defer_t *df = &(*defer)[(*n_defer)++];
        df->offset = fields[i].offset;
        df->qoff = fields[i].quantifier_offset;
        df->elem = fields[i].descriptor;
    }
    return copy;
}

/* Does protobuf-c's message_init_generic with s (its fields' defaults on
 * zeros) make what real's generated init makes, but for the descriptor? */
static bool
init_is_generic(const ProtobufCMessageDescriptor *real,
                const ProtobufCMessageDescriptor *s)
{
    if (real->message_init == NULL)
        return false;
    size_t n = real->sizeof_message;
    unsigned char *a = xcalloc(1, n), *b = xcalloc(1, n);
    protobuf_c_message_init(real, a);
    for (unsigned i = 0; i < s->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &s->fields[i];
        if (f->default_value == NULL || f->label == PROTOBUF_C_LABEL_REPEATED)
            continue;
        size_t sz = f->type == PROTOBUF_C_TYPE_STRING ||
                            f->type == PROTOBUF_C_TYPE_MESSAGE
                        ? 0
                        : pb_elem_size(f->type);
        if (sz == 0)
            memcpy(b + f->offset, &f->default_value, sizeof(void *));
        else
            memcpy(b + f->offset, f->default_value, sz);
    }
    ((ProtobufCMessage *)b)->descriptor = real;
    bool same = memcmp(a, b, n) == 0;
    free(a);
    free(b);
    return same;
}

/* A copy of base with these fields (bytes where it had deferred message
 * arrays) and no init function, so that protobuf-c initialises messages
 * with message_init_generic, which names this descriptor: if the unpack
 * fails, protobuf-c frees what it made with the descriptor that made it
 * (the real one would take the bytes for messages). The caller names the
 * real one after a success. NULL if that init is not the real one's. */
static const ProtobufCMessageDescriptor *
desc_deferred(const ProtobufCMessageDescriptor *base,
              const ProtobufCFieldDescriptor *fields,
              const ProtobufCMessageDescriptor *real)
{
    ProtobufCMessageDescriptor *s = xmalloc(sizeof(*s));
    *s = *base; /* the same fields in the same order: its ranges hold */
    s->fields = fields;
    s->fields_sorted_by_name = NULL;
    s->message_init = NULL;
    if (!init_is_generic(real, s)) {
        free(s);
        return NULL;
    }
    return s;
}

/* With g_plan_lock held. */
static uplan_t *
uplan_build(const ProtobufCMessageDescriptor *base,
            const ProtobufCMessageDescriptor *real)
{
    uplan_t *u = xcalloc(1, sizeof(*u));
    u->desc = u->plain = base;
    ProtobufCFieldDescriptor *fields =
        defer_fields(base->fields, base->n_fields, &u->defer, &u->n_defer);
    for (unsigned i = 0; i < base->n_fields && u->deep.inner == NULL; i++) {
        const ProtobufCFieldDescriptor *f = &base->fields[i];
        if (f->type != PROTOBUF_C_TYPE_MESSAGE ||
            f->label == PROTOBUF_C_LABEL_REPEATED)
            continue;
        const ProtobufCMessageDescriptor *sd = f->descriptor;
        defer_t *inner;
        unsigned n_inner;
        ProtobufCFieldDescriptor *sf =
            defer_fields(sd->fields, sd->n_fields, &inner, &n_inner);
        if (sf == NULL)
            continue;
        const ProtobufCMessageDescriptor *sdd = desc_deferred(sd, sf, sd);
        if (sdd == NULL)
            continue; /* (a few bytes kept for the life of the process) */
        if (fields == NULL) {
            fields = xcalloc(base->n_fields, sizeof(*fields));
            memcpy(fields, base->fields, base->n_fields * sizeof(*fields));
        }
        fields[i].descriptor = sdd;
        u->deep.real = sd;
        u->deep.id = f->id;
        u->deep.offset = f->offset;
        u->deep.inner = inner;
        u->deep.n_inner = n_inner;
    }
    if (fields != NULL) {
        u->desc = desc_deferred(base, fields, real);
        if (u->desc == NULL) { /* none deferred, then */
            u->desc = base;
            u->n_defer = 0;
            u->deep.inner = NULL;
        }
    }
    return u;
}

/* The uplan of p for case c (p with a plan) or of p's whole descriptor. */
static const uplan_t *
uplan_of(plan_t *p, uint32_t c)
{
    bool per_case = p->qoff != 0 && p->by_number;
    _Atomic(uplan_t *) *slot =
        per_case ? &p->uplan[case_slot(p, c)] : &p->ufull;
    uplan_t *u = atomic_load_explicit(slot, memory_order_acquire);
    if (u != NULL)
        return u;
    pthread_mutex_lock(&g_plan_lock);
    u = atomic_load_explicit(slot, memory_order_relaxed);
    if (u == NULL) {
        u = uplan_build(per_case ? shadow_locked(p, c) : p->desc, p->desc);
        atomic_store_explicit(slot, u, memory_order_release);
    }
    pthread_mutex_unlock(&g_plan_lock);
    return u;
}

static int event_unpack(ProtobufCAllocator *al, const uint8_t *data, size_t len,
                        ProtobufCMessage **out);
static ProtobufCMessage *arena_unpack(ProtobufCAllocator *al,
                                      const ProtobufCMessageDescriptor *d,
                                      const uint8_t *data, size_t len,
                                      bool *lazy);

/* Unpack the elements of a deferred field in place (bytes -> messages). */
static bool
defer_run(ProtobufCAllocator *al, char *base, const defer_t *df)
{
    size_t n = *(const size_t *)(base + df->qoff);
    void *arr = *(void **)(base + df->offset);
    for (size_t i = 0; i < n; i++) {
        /* element i's bytes are read before pointer i is written over the
         * first half of element i/2's */
        ProtobufCBinaryData bd = ((ProtobufCBinaryData *)arr)[i];
        ProtobufCMessage *m = arena_unpack(al, df->elem, bd.data, bd.len, NULL);
        if (m == NULL)
            return false;
        ((ProtobufCMessage **)arr)[i] = m;
    }
    return true;
}

/* lazy NULL: every deferred field's elements unpacked; else they are left
 * as bytes and *lazy tells whether any field was deferred. */
static ProtobufCMessage *
arena_unpack(ProtobufCAllocator *al, const ProtobufCMessageDescriptor *d,
             const uint8_t *data, size_t len, bool *lazy)
{
    plan_t *p = plan_of(d);
    if (p == NULL)
        return protobuf_c_message_unpack(d, al, len, data);
    ProtobufCMessage *ev;
    if (d == &cogov__v1__event__descriptor && event_unpack(al, data, len, &ev))
        return ev;
    uint32_t found = 0;
    bool twice = false;
    if (p->qoff != 0 && p->by_number &&
        !scan_top(p, data, len, 0, &found, &twice))
        return protobuf_c_message_unpack(d, al, len, data);
    const uplan_t *u = uplan_of(p, found);
    bool deep = u->deep.inner != NULL;
    if (deep && (!scan_top(p, data, len, u->deep.id, &found, &twice) || twice))
        return protobuf_c_message_unpack(u->plain, al, len, data);
    ProtobufCMessage *m = protobuf_c_message_unpack(u->desc, al, len, data);
    if (m == NULL)
        return NULL;
    m->descriptor = d; /* see desc_deferred */
    if (lazy != NULL) {
        char *sub = deep ? *(char **)((char *)m + u->deep.offset) : NULL;
        if (sub != NULL)
            ((ProtobufCMessage *)sub)->descriptor = u->deep.real;
        *lazy = u->n_defer > 0 || deep;
        return m;
    }
    for (unsigned i = 0; i < u->n_defer; i++)
        if (!defer_run(al, (char *)m, &u->defer[i]))
            return NULL; /* the arena takes it all back at its reset */
    if (deep) {
        char *sub = *(char **)((char *)m + u->deep.offset);
        if (sub != NULL)
            ((ProtobufCMessage *)sub)->descriptor = u->deep.real;
        for (unsigned i = 0; sub != NULL && i < u->deep.n_inner; i++)
            if (!defer_run(al, sub, &u->deep.inner[i]))
                return NULL;
    }
    return m;
}

/* A copy of m that names its shadow, for protobuf-c's pack and
 * get_packed_size (m is const). Messages are small (their oneof members share a
 * union); a larger one is walked as it is. */
#define PB_COPY_MAX 1024
typedef struct msg_copy {
    alignas(max_align_t) unsigned char bytes[PB_COPY_MAX];
} msg_copy_t;

static const ProtobufCMessage *
shadowed(const ProtobufCMessage *m, msg_copy_t *tmp)
{
    const ProtobufCMessageDescriptor *s = shadow_of(m);
    if (s == m->descriptor || m->descriptor->sizeof_message > PB_COPY_MAX)
        return m;
    memcpy(tmp->bytes, m, m->descriptor->sizeof_message);
    ProtobufCMessage *c = (ProtobufCMessage *)tmp->bytes;
    c->descriptor = s;
    return c;
}

/* ---- packing in one pass --------------------------------------------------
 *
 * protobuf_c_message_pack needs a buffer of protobuf_c_message_get_packed_size
 * bytes, so every message is walked twice, nested ones included. pb_pack
 * walks it once into a buffer that grows, writing what protobuf-c writes
 * (required_field_pack and the rest in protobuf-c.c, 1.4): fields in the
 * descriptor's order (the shadow's for a large oneof), a nested message
 * after a one-byte length that is widened (memmove) when it is longer, the
 * unknown fields last. A message type with a field this does not write
 * (proto3 fields without a label, packed repeated fields) is packed by
 * protobuf-c itself, nested ones too. test_pb_plan compares the bytes with
 * protobuf-c's for every case of Request, Reply and Event. */

typedef struct enc {
    uint8_t *p;
    size_t len, cap;
} enc_t;

static void
enc_need(enc_t *e, size_t n)
{
    if (e->cap - e->len >= n)
        return;
    size_t cap = e->cap ? e->cap : 256;
    while (cap - e->len < n)
        cap *= 2;
    e->p = xrealloc(e->p, cap);
    e->cap = cap;
}

/* At most 10 bytes; room made by the caller. */
static void
enc_varint(enc_t *e, uint64_t v)
{
    while (v > 0x7f) {
        e->p[e->len++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    e->p[e->len++] = (uint8_t)v;
}

static void enc_message(enc_t *e, const ProtobufCMessage *m);

/* Wire type by ProtobufCType. */
static const uint8_t k_wire[] = {
    [PROTOBUF_C_TYPE_INT32] = PROTOBUF_C_WIRE_TYPE_VARINT,
    [PROTOBUF_C_TYPE_SINT32] = PROTOBUF_C_WIRE_TYPE_VARINT,
    [PROTOBUF_C_TYPE_SFIXED32] = PROTOBUF_C_WIRE_TYPE_32BIT,
    [PROTOBUF_C_TYPE_INT64] = PROTOBUF_C_WIRE_TYPE_VARINT,
    [PROTOBUF_C_TYPE_SINT64] = PROTOBUF_C_WIRE_TYPE_VARINT,
    [PROTOBUF_C_TYPE_SFIXED64] = PROTOBUF_C_WIRE_TYPE_64BIT,
    [PROTOBUF_C_TYPE_UINT32] = PROTOBUF_C_WIRE_TYPE_VARINT,
    [PROTOBUF_C_TYPE_FIXED32] = PROTOBUF_C_WIRE_TYPE_32BIT,
    [PROTOBUF_C_TYPE_UINT64] = PROTOBUF_C_WIRE_TYPE_VARINT,
    [PROTOBUF_C_TYPE_FIXED64] = PROTOBUF_C_WIRE_TYPE_64BIT,
    [PROTOBUF_C_TYPE_FLOAT] = PROTOBUF_C_WIRE_TYPE_32BIT,
    [PROTOBUF_C_TYPE_DOUBLE] = PROTOBUF_C_WIRE_TYPE_64BIT,
    [PROTOBUF_C_TYPE_BOOL] = PROTOBUF_C_WIRE_TYPE_VARINT,
    [PROTOBUF_C_TYPE_ENUM] = PROTOBUF_C_WIRE_TYPE_VARINT,
    [PROTOBUF_C_TYPE_STRING] = PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED,
    [PROTOBUF_C_TYPE_BYTES] = PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED,
    [PROTOBUF_C_TYPE_MESSAGE] = PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED,
};

/* Tag, length and n bytes of data. */
static void
enc_len_field(enc_t *e, uint64_t key, const void *data, size_t n)
{
    enc_need(e, 20 + n);
    enc_varint(e, key);
    enc_varint(e, n);
    if (n > 0)
        memcpy(e->p + e->len, data, n);
    e->len += n;
}

/* Tag and value of field f at member (an element, for repeated ones). */
static void
enc_field(enc_t *e, const ProtobufCFieldDescriptor *f, const void *member)
{
    uint64_t key = ((uint64_t)f->id << 3) | k_wire[f->type];
    switch (f->type) {
    case PROTOBUF_C_TYPE_STRING: {
        const char *s = *(char *const *)member;
        enc_len_field(e, key, s, s != NULL ? strlen(s) : 0);
        return;
    }
    case PROTOBUF_C_TYPE_BYTES: {
        const ProtobufCBinaryData *bd = member;
        enc_len_field(e, key, bd->data, bd->len);
        return;
    }
    default:
        break;
    }
    enc_need(e, 10 + 10);
    enc_varint(e, key);
    switch (f->type) {
    case PROTOBUF_C_TYPE_SINT32: {
        int32_t v = *(const int32_t *)member;
        enc_varint(e, v < 0 ? (-(uint32_t)v) * 2 - 1 : (uint32_t)v * 2);
        break;
    }
    case PROTOBUF_C_TYPE_ENUM:
    case PROTOBUF_C_TYPE_INT32: /* negative: 10 bytes, as int64 */
        enc_varint(e, (uint64_t)(int64_t) * (const int32_t *)member);
        break;
    case PROTOBUF_C_TYPE_UINT32:
        enc_varint(e, *(const uint32_t *)member);
        break;
    case PROTOBUF_C_TYPE_SINT64: {
        int64_t v = *(const int64_t *)member;
        enc_varint(e, v < 0 ? (-(uint64_t)v) * 2 - 1 : (uint64_t)v * 2);
        break;
    }
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_UINT64:
        enc_varint(e, *(const uint64_t *)member);
        break;
    case PROTOBUF_C_TYPE_SFIXED32:
    case PROTOBUF_C_TYPE_FIXED32:
    case PROTOBUF_C_TYPE_FLOAT:
        memcpy(e->p + e->len, member, 4); /* little-endian hosts only */
        e->len += 4;
        break;
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_FIXED64:
    case PROTOBUF_C_TYPE_DOUBLE:
        memcpy(e->p + e->len, member, 8);
        e->len += 8;
        break;
    case PROTOBUF_C_TYPE_BOOL:
        e->p[e->len++] = *(const protobuf_c_boolean *)member ? 1 : 0;
        break;
    case PROTOBUF_C_TYPE_MESSAGE: {
        const ProtobufCMessage *sub = *(ProtobufCMessage *const *)member;
        size_t at = e->len++; /* one byte for the length, widened below */
        if (sub == NULL) {
            e->p[at] = 0;
            break;
        }
        enc_message(e, sub);
        size_t n = e->len - at - 1;
        if (n > 0x7f) {
            size_t w = 1;
            for (size_t v = n; v > 0x7f; v >>= 7)
                w++;
            enc_need(e, w - 1);
            memmove(e->p + at + w, e->p + at + 1, n);
            e->len += w - 1;
        }
        size_t end = e->len;
        e->len = at;
        enc_varint(e, n);
        e->len = end;
        break;
    }
    default:
        break;
    }
}

/* Can enc_message write messages of d (see above)? */
static bool
enc_knows(const ProtobufCMessageDescriptor *d)
{
    for (unsigned i = 0; i < d->n_fields; i++)
        if (d->fields[i].label == PROTOBUF_C_LABEL_NONE ||
            (d->fields[i].flags & PROTOBUF_C_FIELD_FLAG_PACKED))
            return false;
#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
    return false;
#else
    return true;
#endif
}

static void
enc_message(enc_t *e, const ProtobufCMessage *m)
{
    const plan_t *p = plan_of(m->descriptor);
    if (p == NULL || !p->enc) {
        msg_copy_t tmp;
        const ProtobufCMessage *c = shadowed(m, &tmp);
        size_t n = protobuf_c_message_get_packed_size(c);
        enc_need(e, n);
        e->len += protobuf_c_message_pack(c, e->p + e->len);
        return;
    }
    const ProtobufCMessageDescriptor *d =
        p->qoff != 0
            ? shadow_for_case(p, *(const uint32_t *)((const char *)m + p->qoff))
            : m->descriptor;
    const char *base = (const char *)m;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        const void *member = base + f->offset;
        const void *q = base + f->quantifier_offset;
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t n = *(const size_t *)q;
            const char *arr = *(char *const *)member;
            size_t sz = pb_elem_size(f->type);
            for (size_t k = 0; k < n; k++)
                enc_field(e, f, arr + k * sz);
            continue;
        }
        if (f->label != PROTOBUF_C_LABEL_REQUIRED) {
            if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
                *(const uint32_t *)q != f->id)
                continue;
            if (f->type == PROTOBUF_C_TYPE_MESSAGE ||
                f->type == PROTOBUF_C_TYPE_STRING) {
                const void *ptr = *(const void *const *)member;
                if (ptr == NULL || ptr == f->default_value)
                    continue;
            } else if (!(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
                       !*(const protobuf_c_boolean *)q) {
                continue;
            }
        }
        enc_field(e, f, member);
    }
    for (size_t i = 0; i < m->n_unknown_fields; i++) {
        const ProtobufCMessageUnknownField *u = &m->unknown_fields[i];
        enc_need(e, 10 + u->len);
        enc_varint(e, ((uint64_t)u->tag << 3) | u->wire_type);
        if (u->len > 0)
            memcpy(e->p + e->len, u->data, u->len);
        e->len += u->len;
    }
}

uint8_t *
pb_pack_room(const ProtobufCMessage *m, size_t room, size_t *len)
{
    enc_t e = {NULL, 0, 0};
    enc_need(&e, 1);
    enc_message(&e, m);
    *len = e.len;
    enc_need(&e, room);
    return e.p;
}

uint8_t *
pb_pack(const ProtobufCMessage *m, size_t *len)
{
    return pb_pack_room(m, 0, len);
}

/* free_unpacked takes the descriptor from the message (and clears it). */
static void
free_shadowed(ProtobufCMessage *m, ProtobufCAllocator *a)
{
    if (m == NULL)
        return;
    m->descriptor = shadow_of(m);
    protobuf_c_message_free_unpacked(m, a);
}

void
pb_msg_free(ProtobufCMessage *m)
{
    free_shadowed(m, NULL);
}

ProtobufCMessage *
pb_unpack(const ProtobufCMessageDescriptor *d, const uint8_t *data, size_t len,
          size_t budget)
{
    pb_budget_t b = {.used = 0, .budget = budget, .exceeded = false};
    ProtobufCAllocator a = {
        .alloc = budget_alloc, .free = budget_free, .allocator_data = &b};
    if (d == NULL || (data == NULL && len > 0))
        return NULL;
    return protobuf_c_message_unpack(unpack_desc(d, data, len), &a, len, data);
}

void
pb_free(ProtobufCMessage *m)
{
    ProtobufCAllocator a = {
        .alloc = budget_alloc, .free = budget_free, .allocator_data = NULL};
    free_shadowed(m, &a);
}

/* ---- arena ---------------------------------------------------------------
 */

typedef struct chunk {
    struct chunk *next;
    size_t size, used; /* of data */
    _Alignas(16) unsigned char data[];
} chunk_t;

struct pb_arena {
    chunk_t *head;  /* the chunk being filled; full ones follow */
    chunk_t *spare; /* kept by the last reset, empty */
    /* charged since the reset, and the limit of the message being decoded;
     * a block is charged as budget_alloc charges it (size + PB_HDR), so a
     * budget means the same for pb_unpack and pb_unpack_arena */
    size_t used, limit;
};

pb_arena_t *
pb_arena_new(void)
{
    return xcalloc(1, sizeof(pb_arena_t));
}

static void *
arena_alloc(void *data, size_t size)
{
    pb_arena_t *a = data;
    if (size == 0 || size > SIZE_MAX / 2 || size + PB_HDR > a->limit - a->used)
        return NULL; /* past the budget: protobuf-c fails the unpack */
    a->used += size + PB_HDR;
    size = (size + 15) & ~(size_t)15;
    chunk_t *c = a->head;
    if (c == NULL || c->size - c->used < size) {
        if (a->spare != NULL && a->spare->size >= size) {
            c = a->spare;
            a->spare = c->next;
        } else {
            size_t n = 64 * 1024;
            while (n < size)
                n *= 2;
            c = xmalloc(sizeof(*c) + n);
            c->size = n;
        }
        c->used = 0;
        c->next = a->head;
        a->head = c;
    }
    void *p = c->data + c->used;
    c->used += size;
    return p;
}

static void
arena_free(void *data, void *ptr)
{
    (void)data;
    (void)ptr; /* given back by pb_arena_reset */
}

ProtobufCMessage *
pb_unpack_arena(pb_arena_t *a, const ProtobufCMessageDescriptor *d,
                const uint8_t *data, size_t len, size_t budget)
{
    if (d == NULL || (data == NULL && len > 0))
        return NULL;
    a->limit = budget > SIZE_MAX - a->used ? SIZE_MAX : a->used + budget;
    ProtobufCAllocator al = {
        .alloc = arena_alloc, .free = arena_free, .allocator_data = a};
    return arena_unpack(&al, d, data, len, NULL);
}

ProtobufCMessage *
pb_unpack_arena_lazy(pb_arena_t *a, const ProtobufCMessageDescriptor *d,
                     const uint8_t *data, size_t len, size_t budget, bool *lazy)
{
    *lazy = false;
    if (d == NULL || (data == NULL && len > 0))
        return NULL;
    a->limit = budget > SIZE_MAX - a->used ? SIZE_MAX : a->used + budget;
    ProtobufCAllocator al = {
        .alloc = arena_alloc, .free = arena_free, .allocator_data = a};
    return arena_unpack(&al, d, data, len, lazy);
}

size_t
pb_arena_used(const pb_arena_t *a)
{
    return a->used;
}

void
pb_arena_reset(pb_arena_t *a)
{
    if (a == NULL)
        return;
    /* Keep chunks up to PB_ARENA_KEEP bytes as spares, free the rest. */
    size_t kept = 0;
    for (chunk_t *c = a->spare; c != NULL; c = c->next)
        kept += c->size;
    while (a->head != NULL) {
        chunk_t *c = a->head;
        a->head = c->next;
        if (kept + c->size <= PB_ARENA_KEEP) {
            kept += c->size;
            c->next = a->spare;
            a->spare = c;
        } else {
            free(c);
        }
    }
    a->used = 0;
}

void
pb_arena_destroy(pb_arena_t **ap)
{
    if (ap == NULL || *ap == NULL)
        return;
    pb_arena_t *a = *ap;
    *ap = NULL;
    pb_arena_reset(a); /* moves what it keeps to the spares */
    while (a->spare != NULL) {
        chunk_t *c = a->spare;
        a->spare = c->next;
        free(c);
    }
    free(a);
}

/* ---- reading an Event by hand ---------------------------------------------
 *
 * A follower needs of an event it does not react to only its seq and
 * `after` positions, and of one it reacts to the message protobuf-c would
 * make, which costs ~6.5k instructions with protobuf-c (its scan and slabs,
 * a generic parse per field, one more unpack per position). ev_scan reads
 * the top level and the positions straight from the bytes, as protobuf-c's
 * unpack scans them (tags, wire types, lengths: the scan_top rules) and
 * checking each field's wire type as its parse_member does; ev_build makes
 * from that protobuf-c's struct (each string a NUL-terminated copy, has_
 * flags set, the positions an array of messages in order) and has
 * protobuf-c unpack only the payload member (the call protobuf-c makes for
 * it). Whatever ev_scan cannot answer as protobuf-c would is left to
 * protobuf-c: bytes that do not scan, a wire type it refuses, a field
 * number Event does not have or a field not read by hand, no payload
 * member or one given more than once, a position with an unknown field,
 * more than EV_MAX_FIELDS fields. The payload member's bytes are read only
 * when the event is built. test_pb_plan and fuzz_request compare both
 * with protobuf-c. */

/* Expected wire type + 1 by field number (0: no such field). */
typedef struct skim_tab {
    uint32_t max_id;
    uint8_t *wire;
    uint8_t *member; /* a member of a oneof */
    /* the field's descriptor if ev_scan reads it by hand (a string,
     * an optional (u)int64, a repeated message whose type has a table) */
    const ProtobufCFieldDescriptor **by_hand;
    const ProtobufCFieldDescriptor **field; /* every field's */
} skim_tab_t;

enum { SKIM_EVENT_SEQ = 2, SKIM_EVENT_AFTER = 10 };
enum { SKIM_POS_PRODUCER = 1, SKIM_POS_SEQ = 2 };
#define SKIM_ALL UINT32_MAX /* skim_field: every varint's value */

static skim_tab_t g_skim_event, g_skim_pos;
static pthread_once_t g_skim_once = PTHREAD_ONCE_INIT;

static void
skim_tab_build(skim_tab_t *t, const ProtobufCMessageDescriptor *d)
{
    for (unsigned i = 0; i < d->n_fields; i++)
        if (d->fields[i].id > t->max_id)
            t->max_id = d->fields[i].id;
    t->wire = xcalloc(t->max_id + 1, 1);
    t->member = xcalloc(t->max_id + 1, 1);
    t->by_hand = xcalloc(t->max_id + 1, sizeof(*t->by_hand));
    t->field = xcalloc(t->max_id + 1, sizeof(*t->field));
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        t->field[f->id] = f;
        bool opt = f->label == PROTOBUF_C_LABEL_OPTIONAL &&
                   !(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF);
        if ((opt && f->type == PROTOBUF_C_TYPE_STRING &&
             f->quantifier_offset == 0 && f->default_value == NULL) ||
            (opt &&
             (f->type == PROTOBUF_C_TYPE_UINT64 ||
              f->type == PROTOBUF_C_TYPE_INT64) &&
             f->quantifier_offset != 0 && f->default_value == NULL) ||
            (f->label == PROTOBUF_C_LABEL_REPEATED &&
             f->type == PROTOBUF_C_TYPE_MESSAGE &&
             f->descriptor == &cogov__v1__position__descriptor))
            t->by_hand[f->id] = f;
        /* packed repeated scalars (length-prefixed) are not expected here:
         * such a field gets no entry: its number sends the event to
         * protobuf-c */
        if (f->label == PROTOBUF_C_LABEL_REPEATED &&
            f->type != PROTOBUF_C_TYPE_MESSAGE &&
            f->type != PROTOBUF_C_TYPE_STRING &&
            f->type != PROTOBUF_C_TYPE_BYTES)
            continue;
        t->wire[f->id] = (uint8_t)(k_wire[f->type] + 1);
        t->member[f->id] = (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) != 0;
    }
}

static void
skim_init(void)
{
    const ProtobufCMessageDescriptor *e = &cogov__v1__event__descriptor;
    const ProtobufCMessageDescriptor *p = &cogov__v1__position__descriptor;
    /* the numbers this reads by: checked against the descriptors */
    const ProtobufCFieldDescriptor *f;
    f = protobuf_c_message_descriptor_get_field(e, SKIM_EVENT_SEQ);
    if (f == NULL || strcmp(f->name, "seq") != 0 ||
        f->type != PROTOBUF_C_TYPE_UINT64)
        abort();
    f = protobuf_c_message_descriptor_get_field(e, SKIM_EVENT_AFTER);
    if (f == NULL || strcmp(f->name, "after") != 0 || f->descriptor != p ||
        f->label != PROTOBUF_C_LABEL_REPEATED)
        abort();
    f = protobuf_c_message_descriptor_get_field(p, SKIM_POS_PRODUCER);
    if (f == NULL || strcmp(f->name, "producer") != 0 ||
        f->type != PROTOBUF_C_TYPE_STRING)
        abort();
    f = protobuf_c_message_descriptor_get_field(p, SKIM_POS_SEQ);
    if (f == NULL || strcmp(f->name, "seq") != 0 ||
        f->type != PROTOBUF_C_TYPE_UINT64)
        abort();
    skim_tab_build(&g_skim_event, e);
    skim_tab_build(&g_skim_pos, p);
}

/* One field at data[at] (at < len), as protobuf-c scans it: its number,
 * wire type, a varint's value if want_seq names it (others are only
 * skipped), a length-prefixed field's contents. Returns the index past it,
 * or 0 if it does not scan. Inlined in the two loops below: a call with
 * its results through pointers cost more than the scan. */
typedef struct skim_field {
    uint32_t tag;
    unsigned wt;
    uint64_t v;
    const uint8_t *body;
    size_t blen;
} skim_field_t;

static inline __attribute__((always_inline)) size_t
skim_field(const uint8_t *data, size_t len, size_t at, uint32_t want_seq,
           skim_field_t *f)
{
    size_t k;
    uint64_t key, n;
    uint8_t b0 = data[at];
    f->v = 0;
    f->body = NULL;
    f->blen = 0;
    if (b0 < 0x80) { /* the usual one-byte tag */
        key = b0;
        k = 1;
    } else {
        k = scan_varint(data + at, len - at, 5, &key);
    }
    if (k == 0 || (b0 & 0xf8) == 0)
        return 0;
    at += k;
    f->tag = (uint32_t)((key >> 3) & 0xffffffffu);
    f->wt = (unsigned)(key & 7);
    switch (f->wt) {
    case PROTOBUF_C_WIRE_TYPE_VARINT:
        if (f->tag == want_seq || want_seq == SKIM_ALL)
            k = scan_varint(data + at, len - at, 10, &f->v);
        else
            k = skip_varint(data + at, len - at);
        break;
    case PROTOBUF_C_WIRE_TYPE_64BIT:
        k = len - at >= 8 ? 8 : 0;
        break;
    case PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED:
        if (at < len && data[at] < 0x80) {
            n = data[at];
            k = 1;
        } else {
            k = scan_varint(data + at, len - at, 5, &n);
            if (k == 0)
                return 0;
        }
        if (n > len - at - k)
            return 0;
        f->body = data + at + k;
        f->blen = (size_t)n;
        k += (size_t)n;
        break;
    case PROTOBUF_C_WIRE_TYPE_32BIT:
        k = len - at >= 4 ? 4 : 0;
        break;
    default:
        k = 0;
    }
    return k == 0 ? 0 : at + k;
}

/* (reading an Event by hand, continued) ev_build allocates what protobuf-c
 * allocates, in one block but for the payload member, and not the scan's
 * slabs: never more. */

#define EV_MAX_FIELDS 48

static void *
ev_alloc(ProtobufCAllocator *al, size_t n)
{
    return al->alloc(al->allocator_data, n);
}

/* A position as read: its fields' last values. */
typedef struct ev_pos {
    const uint8_t *producer;
    size_t producer_len;
    uint64_t seq;
    bool has_producer, has_seq;
} ev_pos_t;

static size_t
align8(size_t n)
{
    return (n + 7) & ~(size_t)7;
}

/* The top level of an Event and its positions, as read by ev_scan. */
typedef struct ev_scan {
    skim_field_t fs[EV_MAX_FIELDS];
    ev_pos_t ps[EV_MAX_FIELDS];
    size_t n, n_pos, strings;
    const skim_field_t *pay;
    uint64_t seq;
} ev_scan_t;

/* false: leave it to protobuf-c. */
static bool
ev_scan(const uint8_t *data, size_t len, ev_scan_t *sc)
{
    pthread_once(&g_skim_once, skim_init);
    const skim_tab_t *t = &g_skim_event, *pt = &g_skim_pos;
    size_t i = 0;
    sc->n = sc->n_pos = sc->strings = 0;
    sc->pay = NULL;
    sc->seq = 0;
    if (data == NULL && len > 0)
        return false;
    while (i < len) {
        if (sc->n == EV_MAX_FIELDS)
            return false;
        skim_field_t *f = &sc->fs[sc->n++];
        i = skim_field(data, len, i, SKIM_ALL, f);
        if (i == 0 || f->tag > t->max_id || t->wire[f->tag] != f->wt + 1)
            return false; /* protobuf-c refuses, or an unknown field */
        const ProtobufCFieldDescriptor *fd = t->by_hand[f->tag];
        if (t->member[f->tag]) {
            if (sc->pay != NULL)
                return false; /* merged, or the last one wins */
            sc->pay = f;
        } else if (fd == NULL) {
            return false;
        } else if (fd->type == PROTOBUF_C_TYPE_STRING) {
            sc->strings += f->blen + 1;
        } else if (fd->type == PROTOBUF_C_TYPE_MESSAGE) {
            ev_pos_t *p = &sc->ps[sc->n_pos++];
            *p = (ev_pos_t){0};
            for (size_t j = 0; j < f->blen;) {
                skim_field_t g;
                j = skim_field(f->body, f->blen, j, SKIM_ALL, &g);
                if (j == 0 || g.tag > pt->max_id ||
                    pt->by_hand[g.tag] == NULL || pt->wire[g.tag] != g.wt + 1)
                    return false;
                if (g.tag == SKIM_POS_SEQ) {
                    p->seq = g.v;
                    p->has_seq = true;
                } else { /* the producer; the last one wins */
                    p->producer = g.body;
                    p->producer_len = g.blen;
                    p->has_producer = true;
                    sc->strings += g.blen + 1;
                }
            }
        } else if (f->tag == SKIM_EVENT_SEQ) {
            sc->seq = f->v;
        }
    }
    return sc->pay != NULL;
}

/* The message sc describes, in one allocation (message, positions, their
 * array and every string) and protobuf-c's for the payload member; NULL
 * where protobuf-c would fail too (past the budget, a payload that does
 * not decode). */
static ProtobufCMessage *
ev_build(ProtobufCAllocator *al, const ev_scan_t *sc)
{
    const skim_tab_t *t = &g_skim_event, *pt = &g_skim_pos;
    const ProtobufCMessageDescriptor *d = &cogov__v1__event__descriptor;
    const ProtobufCMessageDescriptor *pd = &cogov__v1__position__descriptor;
    const ProtobufCFieldDescriptor *fprod = pt->by_hand[SKIM_POS_PRODUCER];
    const ProtobufCFieldDescriptor *fseq = pt->by_hand[SKIM_POS_SEQ];
    size_t n_pos = sc->n_pos;
    size_t psz = align8(pd->sizeof_message);
    size_t off_arr = align8(d->sizeof_message);
    size_t off_pos = off_arr + n_pos * sizeof(ProtobufCMessage *);
    size_t off_str = off_pos + n_pos * psz;
    char *blk = ev_alloc(al, off_str + sc->strings);
    if (blk == NULL)
        return NULL;
    char *m = blk, *sp = blk + off_str;
    protobuf_c_message_init(d, m);
    if (n_pos > 0) {
        const ProtobufCFieldDescriptor *fa = t->by_hand[SKIM_EVENT_AFTER];
        ProtobufCMessage **arr = (ProtobufCMessage **)(blk + off_arr);
        for (size_t k = 0; k < n_pos; k++) {
            const ev_pos_t *p = &sc->ps[k];
            char *pos = blk + off_pos + k * psz;
            protobuf_c_message_init(pd, pos);
            if (p->has_producer) {
                memcpy(sp, p->producer, p->producer_len);
                sp[p->producer_len] = '\0';
                *(char **)(pos + fprod->offset) = sp;
                sp += p->producer_len + 1;
            }
            if (p->has_seq) {
                *(uint64_t *)(pos + fseq->offset) = p->seq;
                *(protobuf_c_boolean *)(pos + fseq->quantifier_offset) = 1;
            }
            arr[k] = (ProtobufCMessage *)pos;
        }
        *(size_t *)(m + fa->quantifier_offset) = n_pos;
        *(ProtobufCMessage ***)(m + fa->offset) = arr;
    }
    for (size_t k = 0; k < sc->n; k++) {
        const skim_field_t *f = &sc->fs[k];
        const ProtobufCFieldDescriptor *fd = t->by_hand[f->tag];
        if (f == sc->pay || fd->type == PROTOBUF_C_TYPE_MESSAGE)
            continue;
        if (fd->type == PROTOBUF_C_TYPE_STRING) {
            memcpy(sp, f->body, f->blen);
            sp[f->blen] = '\0';
            *(char **)(m + fd->offset) = sp; /* the last one wins */
            sp += f->blen + 1;
        } else {
            *(uint64_t *)(m + fd->offset) = f->v;
            *(protobuf_c_boolean *)(m + fd->quantifier_offset) = 1;
        }
    }
    const ProtobufCFieldDescriptor *pf = t->field[sc->pay->tag];
    ProtobufCMessage *sub = protobuf_c_message_unpack(
        pf->descriptor, al, sc->pay->blen, sc->pay->body);
    if (sub == NULL)
        return NULL;
    *(ProtobufCMessage **)(m + pf->offset) = sub;
    *(uint32_t *)(m + pf->quantifier_offset) = sc->pay->tag;
    return (ProtobufCMessage *)m;
}

/* 1: done (*out NULL where protobuf-c would fail too); 0: leave it to
 * protobuf-c. */
static int
event_unpack(ProtobufCAllocator *al, const uint8_t *data, size_t len,
             ProtobufCMessage **out)
{
    ev_scan_t sc;
    if (!ev_scan(data, len, &sc))
        return 0;
    *out = ev_build(al, &sc);
    return 1;
}

int
pb_event_take(pb_arena_t *a, const uint8_t *data, size_t len,
              const uint8_t *want, size_t n_want, size_t budget,
              const ProtobufCMessage **ev, pb_event_skim_t *sk)
{
    *ev = NULL;
    ev_scan_t sc;
    if (!ev_scan(data, len, &sc)) {
        *ev = pb_unpack_arena(a, &cogov__v1__event__descriptor, data, len,
                              budget);
        return *ev != NULL ? 1 : -EINVAL;
    }
    uint32_t c = sc.pay->tag;
    if (want == NULL || (c < n_want && want[c]) || sc.n_pos > PB_SKIM_AFTER) {
        a->limit = budget > SIZE_MAX - a->used ? SIZE_MAX : a->used + budget;
        ProtobufCAllocator al = {
            .alloc = arena_alloc, .free = arena_free, .allocator_data = a};
        *ev = ev_build(&al, &sc);
        return *ev != NULL ? 1 : -EINVAL;
    }
    sk->payload = c;
    sk->payload_data = sc.pay->body;
    sk->payload_len = sc.pay->blen;
    sk->seq = sc.seq;
    sk->n_after = sc.n_pos;
    for (size_t k = 0; k < sc.n_pos; k++) {
        const ev_pos_t *p = &sc.ps[k];
        pb_position_skim_t *q = &sk->after[k];
        q->seq = p->seq;
        q->producer = p->has_producer ? (const char *)p->producer : NULL;
        /* C code sees the decoded string up to a NUL */
        const uint8_t *nul =
            p->producer_len ? memchr(p->producer, 0, p->producer_len) : NULL;
        q->producer_len =
            nul != NULL ? (size_t)(nul - p->producer) : p->producer_len;
    }
    return 0;
}

/* ---- validation -----------------------------------------------------------
 */

typedef struct walk {
    size_t max_string;
    size_t max_repeated;
    char *err;
    size_t errlen;
    char path[512];
    size_t plen;
} walk_t;

/* Append text to the path (cut at the buffer); returns the old length. */
static size_t
path_append(walk_t *w, const char *text)
{
    size_t old = w->plen;
    size_t room = sizeof w->path - w->plen;
    size_t n = strlen(text);
    if (n >= room)
        n = room - 1;
    memcpy(w->path + w->plen, text, n);
    w->plen += n;
    w->path[w->plen] = 0;
    return old;
}

/* ".name" (or "name" at the top); returns the old length to restore. */
static size_t
path_push_name(walk_t *w, const char *name)
{
    size_t old = w->plen;
    if (w->plen > 0)
        path_append(w, ".");
    path_append(w, name);
    return old;
}

static size_t
path_push_index(walk_t *w, size_t index)
{
    char buf[32];
    snprintf(buf, sizeof buf, "[%zu]", index);
    return path_append(w, buf);
}

static void
path_pop(walk_t *w, size_t old)
{
    w->plen = old;
    w->path[old] = 0;
}

static int fail(walk_t *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
fail(walk_t *w, const char *fmt, ...)
{
    char what[128];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (w->err != NULL && w->errlen > 0)
        snprintf(w->err, w->errlen, "%s: %s", w->plen ? w->path : "message",
                 what);
    return -EINVAL;
}

static int walk_message(walk_t *w, const ProtobufCMessage *m, int depth);

/* Check one value of field f at p (the element, not the array). */
static int
walk_value(walk_t *w, const ProtobufCFieldDescriptor *f, const void *p,
           int depth)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_STRING: {
        const char *s = *(char *const *)p;
        if (s == NULL)
            return 0;
        size_t len = strlen(s);
        if (len > w->max_string)
            return fail(w, "longer than %zu bytes", w->max_string);
        if (!valid_utf8(s, len))
            return fail(w, "invalid UTF-8");
        return 0;
    }
    case PROTOBUF_C_TYPE_BYTES: {
        const ProtobufCBinaryData *bd = p;
        if (bd->len > w->max_string)
            return fail(w, "longer than %zu bytes", w->max_string);
        return 0;
    }
    case PROTOBUF_C_TYPE_ENUM: {
        int v = *(const int *)p;
        if (protobuf_c_enum_descriptor_get_value(f->descriptor, v) == NULL)
            return fail(w, "unknown enum value %d", v);
        return 0;
    }
    case PROTOBUF_C_TYPE_MESSAGE: {
        const ProtobufCMessage *sub = *(ProtobufCMessage *const *)p;
        if (sub == NULL)
            return 0;
        return walk_message(w, sub, depth + 1);
    }
    default:
        return 0; /* numbers and bools: every bit pattern is a value */
    }
}

static size_t
elt_size(ProtobufCType t)
{
    switch (t) {
    case PROTOBUF_C_TYPE_STRING:
    case PROTOBUF_C_TYPE_MESSAGE:
        return sizeof(void *);
    case PROTOBUF_C_TYPE_BYTES:
        return sizeof(ProtobufCBinaryData);
    case PROTOBUF_C_TYPE_ENUM:
        return sizeof(int);
    default:
        return 0; /* not walked */
    }
}

static bool
walked_type(ProtobufCType t)
{
    return elt_size(t) != 0;
}

/* Is the (non-repeated) field present? */
static bool
field_present(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
    const char *base = (const char *)m;
    if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
        return *(const uint32_t *)(base + f->quantifier_offset) == f->id;
    if (f->label == PROTOBUF_C_LABEL_REQUIRED)
        return true;
    switch (f->type) {
    case PROTOBUF_C_TYPE_STRING:
    case PROTOBUF_C_TYPE_MESSAGE:
        return *(void *const *)(base + f->offset) != NULL;
    default:
        /* proto2 optional scalars have has_ flags; proto3 ones are always
         * there. */
        if (f->label == PROTOBUF_C_LABEL_OPTIONAL)
            return *(const protobuf_c_boolean *)(base + f->quantifier_offset);
        return true;
    }
}

static int
walk_message(walk_t *w, const ProtobufCMessage *m, int depth)
{
    /* The members of a large oneof that are not selected are not present:
     * the shadow leaves them out (same order, so the same first error). */
    const ProtobufCMessageDescriptor *d = shadow_of(m);
    const char *base = (const char *)m;

    if (depth > PB_MAX_DEPTH)
        return fail(w, "nested deeper than %d", PB_MAX_DEPTH);
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        int rc = 0;

        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t n = *(const size_t *)(base + f->quantifier_offset);
            if (n == 0)
                continue;
            size_t old = path_push_name(w, f->name);
            if (n > w->max_repeated) {
                rc = fail(w, "%zu entries, at most %zu", n, w->max_repeated);
            } else if (walked_type(f->type)) {
                const char *arr = *(const char *const *)(base + f->offset);
                for (size_t k = 0; k < n && rc == 0; k++) {
                    size_t o2 = path_push_index(w, k);
                    rc = walk_value(w, f, arr + k * elt_size(f->type), depth);
                    if (rc == 0)
                        path_pop(w, o2);
                }
            }
            if (rc < 0)
                return rc;
            path_pop(w, old);
            continue;
        }
        if (!walked_type(f->type) || !field_present(m, f))
            continue;
        size_t old = path_push_name(w, f->name);
        rc = walk_value(w, f, base + f->offset, depth);
        if (rc < 0)
            return rc;
        path_pop(w, old);
    }
    return 0;
}

int
pb_validate(const ProtobufCMessage *m, size_t max_string, size_t max_repeated,
            char *err, size_t errlen)
{
    walk_t w = {.max_string = max_string,
                .max_repeated = max_repeated,
                .err = err,
                .errlen = errlen,
                .plen = 0};
    w.path[0] = 0;
    if (m == NULL) {
        if (err != NULL && errlen > 0)
            snprintf(err, errlen, "message: missing");
        return -EINVAL;
    }
    return walk_message(&w, m, 0);
}

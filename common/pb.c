/* pb: budgeted unpacking and validation of untrusted protobuf. */
#include "pb.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

ProtobufCMessage *
pb_unpack(const ProtobufCMessageDescriptor *d, const uint8_t *data, size_t len,
          size_t budget)
{
    pb_budget_t b = {.used = 0, .budget = budget, .exceeded = false};
    ProtobufCAllocator a = {
        .alloc = budget_alloc, .free = budget_free, .allocator_data = &b};
    if (d == NULL || (data == NULL && len > 0))
        return NULL;
    return protobuf_c_message_unpack(d, &a, len, data);
}

void
pb_free(ProtobufCMessage *m)
{
    ProtobufCAllocator a = {
        .alloc = budget_alloc, .free = budget_free, .allocator_data = NULL};
    if (m != NULL)
        protobuf_c_message_free_unpacked(m, &a);
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
    size_t used, budget;
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
    size = (size + 15) & ~(size_t)15;
    if (size == 0 || size > a->budget - a->used)
        return NULL; /* past the budget: protobuf-c fails the unpack */
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
    a->used += size;
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
    a->budget = budget;
    ProtobufCAllocator al = {
        .alloc = arena_alloc, .free = arena_free, .allocator_data = a};
    return protobuf_c_message_unpack(d, &al, len, data);
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

uint8_t *
pb_pack(const ProtobufCMessage *m, size_t *len)
{
    size_t n = protobuf_c_message_get_packed_size(m);
    uint8_t *buf = xmalloc(n);
    *len = protobuf_c_message_pack(m, buf);
    return buf;
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
    const ProtobufCMessageDescriptor *d = m->descriptor;
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

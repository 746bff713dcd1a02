/* test_pb_plan: pb_pack (one walk, only the selected member of a large
 * oneof), pb_msg_free and the unpack shadows; the bytes must be protobuf-c's
 * own, for
 * every case of Request, Reply and Event (and for Batch, which has no
 * oneof), with seeded random contents in every other field. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "cogov/v1/envelope.pb-c.h"
#include "pb.h"
#include "util.h"

#define ROUNDS 12 /* random messages per oneof case */
#define MAX_DEPTH 3

static unsigned test_seed;
static uint64_t rng_state;

static uint64_t
rnd(void)
{
    /* splitmix64: the same sequence for the same seed everywhere */
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static unsigned
rnd_below(unsigned n)
{
    return (unsigned)(rnd() % n);
}

static char *
rnd_string(void)
{
    static const char *const parts[] = {"a",    "Z", "0",    " ",  "-",
                                        "滨江", "é", "职业", "\t", "x9"};
    size_t n = rnd_below(6);
    if (rnd_below(40) == 0) /* lengths of two and three bytes, nested too */
        n = rnd_below(2) ? 60 : 5000;
    char *s = xmalloc(n * 8 + 1);
    s[0] = 0;
    for (size_t i = 0; i < n; i++)
        strcat(s, parts[rnd_below(sizeof parts / sizeof parts[0])]);
    return s;
}

static ProtobufCMessage *fill_message(const ProtobufCMessageDescriptor *d,
                                      int depth, uint32_t force_case,
                                      bool force);

/* One random value of f's type at p (an element, not an array). */
static void
fill_value(const ProtobufCFieldDescriptor *f, void *p, int depth)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
        *(int32_t *)p = rnd_below(4) == 0 ? -(int32_t)rnd_below(1000)
                                          : (int32_t)rnd_below(1u << 30);
        break;
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        *(uint32_t *)p = (uint32_t)rnd() >> rnd_below(32);
        break;
    case PROTOBUF_C_TYPE_FLOAT:
        *(float *)p = (float)rnd_below(100000) / 7.0f;
        break;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
        *(int64_t *)p = rnd_below(4) == 0 ? -(int64_t)(rnd() >> 20)
                                          : (int64_t)(rnd() >> rnd_below(64));
        break;
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        *(uint64_t *)p = rnd() >> rnd_below(64);
        break;
    case PROTOBUF_C_TYPE_DOUBLE:
        *(double *)p = (double)rnd_below(1000000) / 3.0;
        break;
    case PROTOBUF_C_TYPE_BOOL:
        *(protobuf_c_boolean *)p = rnd_below(2);
        break;
    case PROTOBUF_C_TYPE_ENUM: {
        const ProtobufCEnumDescriptor *e = f->descriptor;
        *(int *)p =
            e->n_values > 0 ? e->values[rnd_below(e->n_values)].value : 0;
        break;
    }
    case PROTOBUF_C_TYPE_STRING:
        *(char **)p = rnd_string();
        break;
    case PROTOBUF_C_TYPE_BYTES: {
        ProtobufCBinaryData *bd = p;
        bd->len = rnd_below(5);
        bd->data = bd->len ? xmalloc(bd->len) : NULL;
        for (size_t i = 0; i < bd->len; i++)
            bd->data[i] = (uint8_t)rnd();
        break;
    }
    case PROTOBUF_C_TYPE_MESSAGE:
        *(ProtobufCMessage **)p =
            depth < MAX_DEPTH ? fill_message(f->descriptor, depth + 1, 0, false)
                              : NULL;
        break;
    }
}

/* A message of d with random contents: about three in four fields set; in
 * each oneof one member (or none). With force, the oneof that holds
 * force_case (or, for 0 and for a number that is no field, every oneof)
 * gets exactly that case. */
static ProtobufCMessage *
fill_message(const ProtobufCMessageDescriptor *d, int depth,
             uint32_t force_case, bool force)
{
    ProtobufCMessage *m = xcalloc(1, d->sizeof_message);
    protobuf_c_message_init(d, m);
    char *base = (char *)m;
    const ProtobufCFieldDescriptor *forced =
        force ? protobuf_c_message_descriptor_get_field(d, force_case) : NULL;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
            uint32_t *qc = (uint32_t *)(base + f->quantifier_offset);
            if (*qc != 0)
                continue; /* this oneof has its member */
            if (force && (forced == NULL ||
                          forced->quantifier_offset == f->quantifier_offset)) {
                if (forced == NULL) {
                    *qc = force_case; /* none, or no such member */
                    continue;
                }
                f = forced;
            } else {
                /* choose among this oneof's members: i and the rest */
                unsigned n = 0;
                for (unsigned k = i; k < d->n_fields; k++)
                    n += (d->fields[k].flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
                         d->fields[k].quantifier_offset == f->quantifier_offset;
                unsigned pick = rnd_below(n + 1);
                if (pick == n) {
                    continue; /* none (the next member may still be set:
                                 fine, also random) */
                }
                for (unsigned k = i; k < d->n_fields; k++) {
                    const ProtobufCFieldDescriptor *g = &d->fields[k];
                    if ((g->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
                        g->quantifier_offset == f->quantifier_offset &&
                        pick-- == 0) {
                        f = g;
                        break;
                    }
                }
            }
            fill_value(f, base + f->offset, depth);
            *qc = f->id;
            continue;
        }
        if (rnd_below(4) == 0)
            continue;
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            /* a repeated message has no NULL entries: none at the depth
             * where fill_value gives NULL */
            size_t n = f->type == PROTOBUF_C_TYPE_MESSAGE && depth >= MAX_DEPTH
                           ? 0
                           : rnd_below(4);
            size_t sz = pb_elem_size(f->type);
            char *arr = n ? xcalloc(n, sz) : NULL;
            for (size_t k = 0; k < n; k++)
                fill_value(f, arr + k * sz, depth);
            *(size_t *)(base + f->quantifier_offset) = n;
            *(void **)(base + f->offset) = arr;
            continue;
        }
        fill_value(f, base + f->offset, depth);
        if (f->label == PROTOBUF_C_LABEL_OPTIONAL && f->quantifier_offset != 0)
            *(protobuf_c_boolean *)(base + f->quantifier_offset) = 1;
    }
    return m;
}

/* pb_pack's bytes are protobuf_c_message_pack's, for m as it is. */
static void
check_same_bytes(const ProtobufCMessage *m, const char *what)
{
    size_t want_len = protobuf_c_message_get_packed_size(m);
    uint8_t *want = xmalloc(want_len);
    assert_int_equal(protobuf_c_message_pack(m, want), want_len);

    size_t len = 0;
    uint8_t *got = pb_pack(m, &len);
    if (len != want_len || memcmp(got, want, len) != 0)
        fail_msg("%s (seed %u): pb_pack gave %zu bytes, protobuf-c %zu, or "
                 "other bytes",
                 what, test_seed, len, want_len);
    size_t room_len = 0;
    uint8_t *room = pb_pack_room(m, 300, &room_len);
    assert_int_equal(room_len, want_len);
    assert_memory_equal(room, want, want_len);
    memset(room + room_len, 0xa5, 300); /* the room is there (ASan) */
    free(room);
    free(got);
    free(want);
}

/* Every field number of d's largest oneof, then 0 (none) and a number that
 * is no field at all. */
static void
check_every_case(const ProtobufCMessageDescriptor *d)
{
    unsigned cases = 0;
    for (unsigned i = 0; i <= d->n_fields + 1; i++) {
        uint32_t c;
        if (i < d->n_fields) {
            if (!(d->fields[i].flags & PROTOBUF_C_FIELD_FLAG_ONEOF))
                continue;
            c = d->fields[i].id;
        } else {
            c = i == d->n_fields ? 0 : 100000;
        }
        cases++;
        for (int round = 0; round < ROUNDS; round++) {
            char what[160];
            snprintf(what, sizeof what, "%s case %u round %d", d->name, c,
                     round);
            ProtobufCMessage *m = fill_message(d, 0, c, true);
            check_same_bytes(m, what);
            /* what pb_pack packed decodes to a message packing the same */
            size_t len = 0;
            uint8_t *buf = pb_pack(m, &len);
            ProtobufCMessage *back =
                protobuf_c_message_unpack(d, NULL, len, buf);
            assert_non_null(back);
            check_same_bytes(back, what);
            pb_msg_free(back);
            /* with unknown fields (5000: a varint, then bytes), packed
             * last */
            uint8_t *more = xmalloc(len + 16);
            memcpy(more, buf, len);
            memcpy(more + len, "\xc0\xb8\x02\x2a\xc2\xb8\x02\x03xyz", 11);
            back = protobuf_c_message_unpack(d, NULL, len + 11, more);
            assert_non_null(back);
            assert_int_equal(back->n_unknown_fields, 2);
            check_same_bytes(back, what);
            pb_msg_free(back);
            free(more);
            free(buf);
            /* pb_msg_free frees everything (ASan/LSan in the sanitizer
             * build), the selected member's nested blocks included */
            pb_msg_free(m);
        }
    }
    printf("%s: %u cases x %d rounds, same bytes\n", d->name, cases, ROUNDS);
}

static void
test_request(void **state)
{
    (void)state;
    check_every_case(&cogov__v1__request__descriptor);
}

static void
test_reply(void **state)
{
    (void)state;
    check_every_case(&cogov__v1__reply__descriptor);
}

static void
test_event(void **state)
{
    (void)state;
    check_every_case(&cogov__v1__event__descriptor);
}

static void
test_batch(void **state)
{
    (void)state;
    for (int round = 0; round < 50; round++) {
        ProtobufCMessage *m =
            fill_message(&cogov__v1__batch__descriptor, 0, 0, false);
        check_same_bytes(m, "Batch");
        pb_msg_free(m);
    }
}

/* pb_unpack (and pb_unpack_arena) decode as protobuf_c_message_unpack: the
 * same message (packing the same bytes, unknown fields included) or NULL
 * for both. */
static void
check_same_unpack(const ProtobufCMessageDescriptor *d, const uint8_t *buf,
                  size_t len, pb_arena_t *arena, const char *what)
{
    ProtobufCMessage *want = protobuf_c_message_unpack(d, NULL, len, buf);
    ProtobufCMessage *got = pb_unpack(d, buf, len, SIZE_MAX);
    pb_arena_reset(arena);
    ProtobufCMessage *in_arena = pb_unpack_arena(arena, d, buf, len, SIZE_MAX);
    if ((want == NULL) != (got == NULL) || (want == NULL) != (in_arena == NULL))
        fail_msg("%s (seed %u): protobuf-c %s it, pb_unpack %s, "
                 "pb_unpack_arena %s",
                 what, test_seed, want ? "decodes" : "refuses",
                 got ? "decodes" : "refuses", in_arena ? "decodes" : "refuses");
    if (want != NULL) {
        assert_ptr_equal(got->descriptor, d);
        assert_ptr_equal(in_arena->descriptor, d);
        assert_int_equal(got->n_unknown_fields, want->n_unknown_fields);
        size_t wl = protobuf_c_message_get_packed_size(want);
        uint8_t *wb = xmalloc(wl);
        protobuf_c_message_pack(want, wb);
        for (int k = 0; k < 2; k++) {
            ProtobufCMessage *m = k == 0 ? got : in_arena;
            size_t gl = protobuf_c_message_get_packed_size(m);
            uint8_t *gb = xmalloc(gl);
            protobuf_c_message_pack(m, gb);
            if (gl != wl || memcmp(gb, wb, wl) != 0)
                fail_msg("%s (seed %u): decoded to another message", what,
                         test_seed);
            free(gb);
        }
        free(wb);
    }
    protobuf_c_message_free_unpacked(want, NULL);
    pb_free(got);
}

/* Random messages of every case; each also cut short, with a byte
 * changed, with another member of the oneof appended (two members: the
 * last wins), with the same member appended (merged), with a field number
 * the descriptor does not have appended. */
static void
check_unpack_cases(const ProtobufCMessageDescriptor *d)
{
    pb_arena_t *arena = pb_arena_new();
    unsigned n = 0;
    for (unsigned i = 0; i <= d->n_fields; i++) {
        uint32_t c = 0;
        if (i < d->n_fields) {
            if (!(d->fields[i].flags & PROTOBUF_C_FIELD_FLAG_ONEOF))
                continue;
            c = d->fields[i].id;
        }
        for (int round = 0; round < 6; round++) {
            char what[160];
            ProtobufCMessage *m = fill_message(d, 0, c, true);
            ProtobufCMessage *o = fill_message(d, 0, 0, false);
            size_t len = 0, olen = 0;
            uint8_t *buf = pb_pack(m, &len);
            uint8_t *obuf = pb_pack(o, &olen);
            uint8_t *both = xmalloc(len + olen + len + 8);
            snprintf(what, sizeof what, "%s case %u round %d", d->name, c,
                     round);
            check_same_unpack(d, buf, len, arena, what);
            if (len > 0) {
                check_same_unpack(d, buf, rnd_below((unsigned)len), arena,
                                  what);
                memcpy(both, buf, len);
                both[rnd_below((unsigned)len)] = (uint8_t)rnd();
                check_same_unpack(d, both, len, arena, what);
            }
            memcpy(both, buf, len);
            memcpy(both + len, obuf, olen); /* o's members after m's */
            check_same_unpack(d, both, len + olen, arena, what);
            memcpy(both + len, buf, len); /* m's member twice */
            check_same_unpack(d, both, len + len, arena, what);
            memcpy(both, buf, len);
            both[len] = 0xf8; /* field 1048575 (no such field), varint 1 */
            both[len + 1] = 0xff;
            both[len + 2] = 0x7f;
            both[len + 3] = 0x01;
            check_same_unpack(d, both, len + 4, arena, what);
            free(both);
            free(obuf);
            free(buf);
            pb_msg_free(o);
            pb_msg_free(m);
            n++;
        }
    }
    /* varints of 1 to 12 bytes (11 and more: refused) in an unknown field,
     * followed by 0 to 9 bytes of a known one, for the scan's 8-at-a-time
     * path and its end */
    for (unsigned nv = 1; nv <= 12; nv++)
        for (unsigned tail = 0; tail < 10; tail++) {
            uint8_t b[32];
            size_t o = 0;
            b[o++] = (15u << 3) | 0u; /* field 15, varint */
            for (unsigned k = 0; k + 1 < nv; k++)
                b[o++] = 0xff;
            b[o++] = 0x01;
            if (tail > 0) {
                b[o++] = (1u << 3) | 2u; /* field 1, bytes of tail - 1 */
                for (unsigned k = 0; k + 1 < tail; k++)
                    b[o++] = k == 0 ? (uint8_t)(tail - 2) : 'a';
            }
            check_same_unpack(d, b, o, arena, "long varint");
            check_same_unpack(d, b, o - 1, arena, "long varint, cut");
        }
    /* random bytes */
    for (int round = 0; round < 2000; round++) {
        uint8_t junk[64];
        size_t len = rnd_below(sizeof junk);
        for (size_t k = 0; k < len; k++)
            junk[k] = (uint8_t)rnd();
        check_same_unpack(d, junk, len, arena, "random bytes");
    }
    pb_arena_destroy(&arena);
    printf("%s: %u messages (and their variants) decode the same\n", d->name,
           n);
}

static void
test_unpack(void **state)
{
    (void)state;
    check_unpack_cases(&cogov__v1__request__descriptor);
    check_unpack_cases(&cogov__v1__reply__descriptor);
    check_unpack_cases(&cogov__v1__event__descriptor);
    /* Batch has no oneof, but its events are unpacked one by one in an
     * arena (deferred), and so are a Reply's batch's (above: case 20) */
    pb_arena_t *arena = pb_arena_new();
    for (int round = 0; round < 1000; round++) {
        ProtobufCMessage *m =
            fill_message(&cogov__v1__batch__descriptor, 0, 0, false);
        size_t len = 0;
        uint8_t *buf = pb_pack(m, &len);
        check_same_unpack(&cogov__v1__batch__descriptor, buf, len, arena,
                          "Batch");
        if (len > 0) {
            size_t cut = rnd_below((unsigned)len);
            check_same_unpack(&cogov__v1__batch__descriptor, buf, cut, arena,
                              "Batch cut short");
            /* a failed unpack frees what it made with the deferred
             * descriptor (a crash with the real one, seed 1795755058) */
            for (int flip = 0; flip < 32; flip++) {
                buf[rnd_below((unsigned)len)] ^= (uint8_t)(1u << rnd_below(8));
                check_same_unpack(&cogov__v1__batch__descriptor, buf, len,
                                  arena, "Batch with bits flipped");
            }
        }
        free(buf);
        pb_msg_free(m);
    }
    pb_arena_destroy(&arena);
}

/* ---- pb_event_take ---------------------------------------------------------
 */

typedef struct skim_counts {
    unsigned agree, decoded, refused, payload_bad;
} skim_counts_t;

static bool
same_event(const ProtobufCMessage *a, const ProtobufCMessage *b)
{
    size_t al = 0, bl = 0;
    uint8_t *ab = pb_pack(a, &al), *bb = pb_pack(b, &bl);
    bool same = al == bl && memcmp(ab, bb, al) == 0;
    free(ab);
    free(bb);
    return same;
}

/* pb_event_take as protobuf-c decodes or refuses the bytes: wanting every
 * case, the same message or a refusal; wanting none, the same message
 * (bytes it cannot skim), a refusal, or a skim with protobuf-c's seq, case
 * and positions (producer as C code sees it) — or, where protobuf-c
 * refuses the event, a skim whose payload member's own bytes (which it
 * does not read) do not decode. */
static void
check_skim(const uint8_t *buf, size_t len, skim_counts_t *n, const char *what)
{
    static pb_arena_t *arena;
    static const uint8_t none[1] = {0};
    if (arena == NULL)
        arena = pb_arena_new();
    Cogov__V1__Event *ev = cogov__v1__event__unpack(NULL, len, buf);
    pb_event_skim_t sk;
    const ProtobufCMessage *got;
    pb_arena_reset(arena);
    int rc = pb_event_take(arena, buf, len, NULL, 0, SIZE_MAX, &got, &sk);
    if (rc == 0 || (rc == 1) != (ev != NULL) ||
        (ev != NULL && !same_event(got, (ProtobufCMessage *)ev)))
        fail_msg("%s (seed %u): protobuf-c %s the event, pb_event_take "
                 "wanting it answers %d",
                 what, test_seed, ev ? "decodes" : "refuses", rc);
    pb_arena_reset(arena);
    rc = pb_event_take(arena, buf, len, none, 1, SIZE_MAX, &got, &sk);
    if (rc != 0) {
        if ((rc == 1) != (ev != NULL) ||
            (ev != NULL && !same_event(got, (ProtobufCMessage *)ev)))
            fail_msg("%s (seed %u): protobuf-c %s the event, pb_event_take "
                     "answers %d",
                     what, test_seed, ev ? "decodes" : "refuses", rc);
        if (rc == 1)
            n->decoded++;
        else
            n->refused++;
        cogov__v1__event__free_unpacked(ev, NULL);
        return;
    }
    if (ev == NULL) {
        const ProtobufCFieldDescriptor *f =
            protobuf_c_message_descriptor_get_field(
                &cogov__v1__event__descriptor, sk.payload);
        assert_non_null(f);
        ProtobufCMessage *pm = protobuf_c_message_unpack(
            f->descriptor, NULL, sk.payload_len, sk.payload_data);
        if (pm != NULL)
            fail_msg("%s (seed %u): protobuf-c refuses the event, the skim "
                     "answers case %u whose bytes decode",
                     what, test_seed, sk.payload);
        n->payload_bad++;
        return;
    }
    if ((uint32_t)ev->payload_case != sk.payload || ev->seq != sk.seq ||
        ev->n_after != sk.n_after)
        fail_msg("%s (seed %u): protobuf-c case %u seq %llu %zu after, skim "
                 "case %u seq %llu %zu after",
                 what, test_seed, (unsigned)ev->payload_case,
                 (unsigned long long)ev->seq, ev->n_after, sk.payload,
                 (unsigned long long)sk.seq, sk.n_after);
    for (size_t i = 0; i < ev->n_after; i++) {
        const Cogov__V1__Position *p = ev->after[i];
        const pb_position_skim_t *q = &sk.after[i];
        assert_int_equal(p->seq, q->seq);
        if ((p->producer == NULL) != (q->producer == NULL) ||
            (p->producer != NULL &&
             (strlen(p->producer) != q->producer_len ||
              memcmp(p->producer, q->producer, q->producer_len) != 0)))
            fail_msg("%s (seed %u): after[%zu] producer differs", what,
                     test_seed, i);
    }
    n->agree++;
    cogov__v1__event__free_unpacked(ev, NULL);
}

/* Every payload case with random contents, each also cut short at every
 * length, with bits flipped, with unknown fields (top level or in a
 * position: decoded by protobuf-c), with a second payload, with no
 * payload, with a producer holding a NUL. */
static void
test_event_take(void **state)
{
    (void)state;
    const ProtobufCMessageDescriptor *d = &cogov__v1__event__descriptor;
    skim_counts_t n = {0};
    unsigned cases = 0;
    for (unsigned i = 0; i < d->n_fields; i++) {
        if (!(d->fields[i].flags & PROTOBUF_C_FIELD_FLAG_ONEOF))
            continue;
        uint32_t c = d->fields[i].id;
        cases++;
        for (int round = 0; round < 8; round++) {
            char what[96];
            snprintf(what, sizeof what, "Event case %u round %d", c, round);
            Cogov__V1__Event *ev =
                (Cogov__V1__Event *)fill_message(d, 0, c, true);
            size_t len = 0;
            uint8_t *buf = pb_pack((ProtobufCMessage *)ev, &len);
            unsigned agree = n.agree;
            check_skim(buf, len, &n, what);
            assert_int_equal(n.agree, agree + 1); /* a whole event: answered */
            for (size_t cut = 0; cut < len; cut++)
                check_skim(buf, cut, &n, "cut short");
            uint8_t *b = xmalloc(len + 16);
            for (int flip = 0; flip < 64; flip++) {
                memcpy(b, buf, len);
                for (unsigned k = 1 + rnd_below(3); k > 0 && len > 0; k--)
                    b[rnd_below((unsigned)len)] ^=
                        (uint8_t)(1u << rnd_below(8));
                check_skim(b, len, &n, "bits flipped");
            }
            /* an unknown field (numbers 11-19 and 1000+ are none of
             * Event's) before or after the rest */
            static const uint8_t unknown[][4] = {
                {(11u << 3) | 0u, 0x05},      /* 11, varint */
                {(19u << 3) | 2u, 0x01, 'x'}, /* 19, bytes */
                {0xc2, 0x3e, 0x00},           /* 1000, bytes "" */
                {(12u << 3) | 5u, 1, 2, 3},   /* 12, fixed32 (cut) */
            };
            const uint8_t *u = unknown[rnd_below(4)];
            size_t ul = u[0] == 0xc2      ? 3
                        : (u[0] & 7) == 0 ? 2
                        : (u[0] & 7) == 2 ? 3
                                          : 4;
            memcpy(b, u, ul);
            memcpy(b + ul, buf, len);
            check_skim(b, ul + len, &n, "unknown field first");
            memcpy(b, buf, len);
            memcpy(b + len, u, ul);
            check_skim(b, len + ul, &n, "unknown field last");
            /* a second payload: the same member (merged) or another */
            Cogov__V1__Event *o = (Cogov__V1__Event *)fill_message(
                d, 0, rnd_below(2) ? c : d->fields[rnd_below(d->n_fields)].id,
                true);
            size_t olen = 0;
            uint8_t *obuf = pb_pack((ProtobufCMessage *)o, &olen);
            uint8_t *two = xmalloc(len + olen);
            memcpy(two, buf, len);
            memcpy(two + len, obuf, olen);
            check_skim(two, len + olen, &n, "two events");
            free(two);
            free(obuf);
            pb_msg_free((ProtobufCMessage *)o);
            /* a wire type protobuf-c refuses for a known field: seq (2)
             * as bytes, after (10) as a varint */
            memcpy(b, buf, len);
            b[len] = rnd_below(2) ? (2u << 3) | 2u : (10u << 3) | 0u;
            b[len + 1] = 0;
            check_skim(b, len + 2, &n, "wrong wire type");
            /* a position whose producer holds a NUL (skimmed), the same
             * with an unknown field (decoded by protobuf-c) */
            static const uint8_t pos[] = {
                (10u << 3) | 2u, 9,    (1u << 3) | 2u, 3, 'a', 0, 'b',
                (2u << 3) | 0u,  0x2a, (7u << 3) | 0u, 1};
            memcpy(b, pos, sizeof pos - 2);
            b[1] = 7;
            memcpy(b + sizeof pos - 2, buf, len);
            agree = n.agree;
            check_skim(b, sizeof pos - 2 + len, &n, "odd position");
            assert_int_equal(n.agree, agree + 1);
            memcpy(b, pos, sizeof pos);
            memcpy(b + sizeof pos, buf, len);
            unsigned decoded = n.decoded;
            check_skim(b, sizeof pos + len, &n, "unknown field in position");
            assert_int_equal(n.decoded, decoded + 1);
            free(b);
            free(buf);
            pb_msg_free((ProtobufCMessage *)ev);
        }
    }
    /* no payload at all: decoded (protobuf-c: NOT_SET) */
    Cogov__V1__Event none = COGOV__V1__EVENT__INIT;
    none.seq = 7;
    none.has_seq = 1;
    size_t len = 0;
    uint8_t *buf = pb_pack((ProtobufCMessage *)&none, &len);
    unsigned decoded = n.decoded;
    check_skim(buf, len, &n, "no payload");
    assert_int_equal(n.decoded, decoded + 1);
    free(buf);
    printf("pb_event_take: %u cases; %u skims as protobuf-c decodes, %u "
           "decoded, %u refused, %u skims of a payload protobuf-c refuses\n",
           cases, n.agree, n.decoded, n.refused, n.payload_bad);
    assert_true(n.agree > 0 && n.decoded > 0 && n.refused > 0 &&
                n.payload_bad > 0);
}

/* pb_unpack_arena_lazy leaves a Reply's batch's events as their bytes:
 * each unpacked alone is what pb_unpack_arena makes of the whole. */
static void
test_unpack_lazy(void **state)
{
    (void)state;
    pb_arena_t *arena = pb_arena_new(), *ref = pb_arena_new();
    unsigned lazied = 0;
    for (int round = 0; round < 300; round++) {
        Cogov__V1__Reply *r = (Cogov__V1__Reply *)fill_message(
            &cogov__v1__reply__descriptor, 0, 20, true); /* batch */
        size_t len = 0;
        uint8_t *buf = pb_pack((ProtobufCMessage *)r, &len);
        pb_arena_reset(arena);
        pb_arena_reset(ref);
        bool lazy = true;
        Cogov__V1__Reply *got = (Cogov__V1__Reply *)pb_unpack_arena_lazy(
            arena, &cogov__v1__reply__descriptor, buf, len, SIZE_MAX, &lazy);
        Cogov__V1__Reply *want = (Cogov__V1__Reply *)pb_unpack_arena(
            ref, &cogov__v1__reply__descriptor, buf, len, SIZE_MAX);
        assert_non_null(got);
        assert_non_null(want);
        Cogov__V1__Batch *b = got->batch;
        if (b != NULL && lazy) {
            lazied++;
            ProtobufCBinaryData *el = (ProtobufCBinaryData *)b->events;
            for (size_t i = 0; i < b->n_events; i++) {
                ProtobufCMessage *e =
                    pb_unpack_arena(arena, &cogov__v1__event__descriptor,
                                    el[i].data, el[i].len, SIZE_MAX);
                assert_non_null(e);
                b->events[i] = (Cogov__V1__Event *)e; /* el[i] read above */
            }
        }
        size_t gl = 0, wl = 0;
        uint8_t *gb = pb_pack((ProtobufCMessage *)got, &gl);
        uint8_t *wb = pb_pack((ProtobufCMessage *)want, &wl);
        if (gl != wl || memcmp(gb, wb, wl) != 0)
            fail_msg("round %d (seed %u): lazy unpack differs", round,
                     test_seed);
        free(gb);
        free(wb);
        free(buf);
        pb_msg_free((ProtobufCMessage *)r);
    }
    pb_arena_destroy(&arena);
    pb_arena_destroy(&ref);
    assert_true(lazied > 0);
}

/* pb_validate walks the selected member (through the shadow): invalid
 * UTF-8 there is found and named; a member not selected is not looked at
 * even when its bytes (the same union) would not be a valid string. */
static void
test_validate_selected(void **state)
{
    (void)state;
    char err[256];
    Cogov__V1__ApplyMember am = COGOV__V1__APPLY_MEMBER__INIT;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    am.name = "\xff\xfe";
    req.request_id = "r-1";
    req.body_case = COGOV__V1__REQUEST__BODY_APPLY_MEMBER;
    req.apply_member = &am;
    assert_int_equal(pb_validate(&req.base, 64, 4, err, sizeof err), -EINVAL);
    assert_string_equal(err, "apply_member.name: invalid UTF-8");
    am.name = "滨江";
    assert_int_equal(pb_validate(&req.base, 64, 4, err, sizeof err), 0);
    req.request_id = "\xc3";
    assert_int_equal(pb_validate(&req.base, 64, 4, err, sizeof err), -EINVAL);
    assert_string_equal(err, "request_id: invalid UTF-8");

    /* random valid messages of every case pass; a bad string put into the
     * selected member of Event is found */
    for (int round = 0; round < 200; round++) {
        ProtobufCMessage *m =
            fill_message(&cogov__v1__event__descriptor, 0, 0, false);
        assert_int_equal(pb_validate(m, 1 << 20, 1 << 20, err, sizeof err), 0);
        Cogov__V1__Event *ev = (Cogov__V1__Event *)m;
        const ProtobufCFieldDescriptor *f =
            protobuf_c_message_descriptor_get_field(
                &cogov__v1__event__descriptor, ev->payload_case);
        if (f != NULL && f->type == PROTOBUF_C_TYPE_MESSAGE) {
            ProtobufCMessage *sub =
                *(ProtobufCMessage **)((char *)m + f->offset);
            const ProtobufCMessageDescriptor *sd = f->descriptor;
            for (unsigned i = 0; sub != NULL && i < sd->n_fields; i++) {
                const ProtobufCFieldDescriptor *g = &sd->fields[i];
                if (g->type != PROTOBUF_C_TYPE_STRING ||
                    g->label == PROTOBUF_C_LABEL_REPEATED ||
                    (g->flags & PROTOBUF_C_FIELD_FLAG_ONEOF))
                    continue;
                char **sp = (char **)((char *)sub + g->offset);
                if (*sp != NULL && *sp != g->default_value)
                    free(*sp);
                *sp = xstrdup("ok\xff");
                char want[200];
                snprintf(want, sizeof want, "%s.%s: invalid UTF-8", f->name,
                         g->name);
                assert_int_equal(
                    pb_validate(m, 1 << 20, 1 << 20, err, sizeof err), -EINVAL);
                assert_string_equal(err, want);
                break;
            }
        }
        pb_msg_free(m);
    }
}

int
main(void)
{
    const char *env = getenv("COGOV_TEST_SEED");
    test_seed = env ? (unsigned)strtoul(env, NULL, 10) : (unsigned)time(NULL);
    rng_state = test_seed;
    printf("test_pb_plan: seed %u (set COGOV_TEST_SEED to repeat)\n",
           test_seed);

    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request),
        cmocka_unit_test(test_reply),
        cmocka_unit_test(test_event),
        cmocka_unit_test(test_batch),
        cmocka_unit_test(test_unpack),
        cmocka_unit_test(test_validate_selected),
        cmocka_unit_test(test_event_take),
        cmocka_unit_test(test_unpack_lazy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_pb: budgeted unpacking and validation with the real generated
 * messages. */
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

#define MIB (1024 * 1024)

static unsigned test_seed;

#define REQ_DESC (&cogov__v1__request__descriptor)
#define EVENT_DESC (&cogov__v1__event__descriptor)

/* A request exercising strings, a repeated message, a oneof and an enum. */
static uint8_t *
pack_request(const char *name, int type, bool has_type, size_t *len,
             size_t *body_at)
{
    Cogov__V1__Position p1 = COGOV__V1__POSITION__INIT;
    Cogov__V1__Position p2 = COGOV__V1__POSITION__INIT;
    Cogov__V1__Position *after[] = {&p1, &p2};
    Cogov__V1__ApplyMember am = COGOV__V1__APPLY_MEMBER__INIT;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;

    p1.producer = "coordination";
    p1.has_seq = 1;
    p1.seq = 42;
    p2.producer = "secretariat";
    p2.has_seq = 1;
    p2.seq = 7;
    am.uscc = "91350100M000100Y43";
    am.name = (char *)name;
    am.has_type = has_type;
    am.type = (Cogov__V1__MemberType)type;
    am.contact_phone = "0591-12345678";
    req.request_id = "r-1";
    req.correlation_id = "c-1";
    req.n_after = 2;
    req.after = after;
    if (body_at != NULL)
        *body_at = protobuf_c_message_get_packed_size(&req.base);
    req.body_case = COGOV__V1__REQUEST__BODY_APPLY_MEMBER;
    req.apply_member = &am;
    return pb_pack(&req.base, len);
}

static void
test_round_trip(void **state)
{
    (void)state;
    size_t len;
    uint8_t *buf = pack_request("滨江职业技术学院", 6, true, &len, NULL);
    assert_true(len > 0);

    ProtobufCMessage *m = pb_unpack(REQ_DESC, buf, len, MIB);
    assert_non_null(m);
    const Cogov__V1__Request *r = (const Cogov__V1__Request *)m;
    assert_string_equal(r->request_id, "r-1");
    assert_string_equal(r->correlation_id, "c-1");
    assert_int_equal(r->n_after, 2);
    assert_string_equal(r->after[0]->producer, "coordination");
    assert_int_equal(r->after[0]->seq, 42);
    assert_string_equal(r->after[1]->producer, "secretariat");
    assert_int_equal(r->after[1]->seq, 7);
    assert_int_equal(r->body_case, COGOV__V1__REQUEST__BODY_APPLY_MEMBER);
    assert_string_equal(r->apply_member->uscc, "91350100M000100Y43");
    assert_string_equal(r->apply_member->name, "滨江职业技术学院");
    assert_true(r->apply_member->has_type);
    assert_int_equal(
        r->apply_member->type,
        COGOV__V1__MEMBER_TYPE__MEMBER_TYPE_HIGHER_VOCATIONAL_COLLEGE);
    assert_null(r->apply_member->contact_email);

    char err[256] = "";
    assert_int_equal(pb_validate(m, 1024, 16, err, sizeof err), 0);

    /* Re-packing gives the same bytes. */
    size_t len2;
    uint8_t *buf2 = pb_pack(m, &len2);
    assert_int_equal(len2, len);
    assert_memory_equal(buf2, buf, len);
    free(buf2);
    pb_free(m);
    pb_free(NULL);

    /* The budget counts protobuf-c's allocations: a tiny one fails. */
    assert_null(pb_unpack(REQ_DESC, buf, len, 64));
    free(buf);

    /* Empty input is a valid empty message. */
    m = pb_unpack(REQ_DESC, (const uint8_t *)"", 0, MIB);
    assert_non_null(m);
    assert_int_equal(((Cogov__V1__Request *)m)->body_case,
                     COGOV__V1__REQUEST__BODY__NOT_SET);
    pb_free(m);
}

static void
test_truncated(void **state)
{
    (void)state;
    size_t len, body_at;
    uint8_t *buf = pack_request("联合体", 4, true, &len, &body_at);
    assert_true(body_at > 0 && body_at < len);
    for (size_t cut = 0; cut < len; cut++) {
        ProtobufCMessage *m = pb_unpack(REQ_DESC, buf, cut, MIB);
        /* A cut inside the last field (the body) cannot parse. */
        if (cut > body_at && m != NULL)
            fail_msg("cut at %zu of %zu (body at %zu) decoded", cut, len,
                     body_at);
        pb_free(m);
    }
    free(buf);
}

static void
check_random(const ProtobufCMessageDescriptor *d, const uint8_t *buf,
             size_t len, unsigned *decoded)
{
    ProtobufCMessage *m = pb_unpack(d, buf, len, 64 * 1024);
    if (m == NULL)
        return;
    (*decoded)++;
    char err[256];
    int rc = pb_validate(m, 256, 64, err, sizeof err);
    assert_true(rc == 0 || rc == -EINVAL);
    size_t n;
    free(pb_pack(m, &n));
    pb_free(m);
}

static void
test_random_bytes(void **state)
{
    (void)state;
    srand(test_seed);
    unsigned decoded = 0;
    uint8_t buf[128];

    /* Pure noise. */
    for (int i = 0; i < 20000; i++) {
        size_t len = (size_t)(rand() % (int)sizeof buf);
        for (size_t k = 0; k < len; k++)
            buf[k] = (uint8_t)rand();
        check_random(REQ_DESC, buf, len, &decoded);
        check_random(EVENT_DESC, buf, len, &decoded);
    }

    /* Mutations of a valid message reach deeper. */
    size_t vlen;
    uint8_t *valid = pack_request("产教融合", 3, true, &vlen, NULL);
    assert_true(vlen <= sizeof buf);
    for (int i = 0; i < 20000; i++) {
        memcpy(buf, valid, vlen);
        int flips = 1 + rand() % 4;
        for (int k = 0; k < flips; k++)
            buf[rand() % (int)vlen] = (uint8_t)rand();
        size_t len = vlen - (size_t)(rand() % 3);
        check_random(REQ_DESC, buf, len, &decoded);
    }
    free(valid);
    printf("test_pb: seed %u, %u of 60000 random inputs decoded\n", test_seed,
           decoded);
    assert_true(decoded > 0);
}

static void
test_allocation_bomb(void **state)
{
    (void)state;
    /* Event.after (field 10) x 300000, every entry an empty Position: 600 kB
     * on the wire, tens of MB once decoded. */
    const size_t n = 300000;
    uint8_t *bomb = xmalloc(2 * n);
    for (size_t i = 0; i < n; i++) {
        bomb[2 * i] = 0x52;
        bomb[2 * i + 1] = 0x00;
    }
    assert_null(pb_unpack(EVENT_DESC, bomb, 2 * n, MIB));

    /* The same bytes are a valid message when the budget allows. */
    ProtobufCMessage *m = pb_unpack(EVENT_DESC, bomb, 2 * n, 512 * MIB);
    assert_non_null(m);
    const Cogov__V1__Event *ev = (const Cogov__V1__Event *)m;
    assert_int_equal(ev->n_after, n);
    assert_null(ev->after[n - 1]->producer);
    char err[256] = "";
    assert_int_equal(pb_validate(m, 256, 1000, err, sizeof err), -EINVAL);
    assert_string_equal(err, "after: 300000 entries, at most 1000");
    pb_free(m);
    free(bomb);

    /* One big string: 2 MB of 'a' in Event.producer. */
    const size_t slen = 2 * MIB;
    uint8_t *big = xmalloc(slen + 8);
    size_t o = 0;
    big[o++] = 0x0a; /* field 1, length-delimited */
    size_t v = slen;
    for (; v >= 0x80; v >>= 7)
        big[o++] = (uint8_t)((v & 0x7f) | 0x80);
    big[o++] = (uint8_t)v;
    memset(big + o, 'a', slen);
    assert_null(pb_unpack(EVENT_DESC, big, o + slen, MIB));
    m = pb_unpack(EVENT_DESC, big, o + slen, 4 * MIB);
    assert_non_null(m);
    assert_int_equal(strlen(((Cogov__V1__Event *)m)->producer), slen);
    pb_free(m);
    free(big);
}

/* Pack, unpack and validate; returns pb_validate's result. */
static int
validate_packed(const ProtobufCMessage *msg, char *err, size_t errlen)
{
    size_t len;
    uint8_t *buf = pb_pack(msg, &len);
    ProtobufCMessage *m = pb_unpack(msg->descriptor, buf, len, MIB);
    free(buf);
    assert_non_null(m);
    err[0] = 0;
    int rc = pb_validate(m, 64, 4, err, errlen);
    pb_free(m);
    return rc;
}

static void
test_invalid_utf8(void **state)
{
    (void)state;
    char err[256];

    /* Nested in a oneof member. */
    size_t len;
    uint8_t *buf = pack_request("bad \xff\xfe name", 4, true, &len, NULL);
    ProtobufCMessage *m = pb_unpack(REQ_DESC, buf, len, MIB);
    free(buf);
    assert_non_null(m); /* protobuf-c 1.4.1 does not check UTF-8 */
    assert_int_equal(pb_validate(m, 64, 4, err, sizeof err), -EINVAL);
    assert_string_equal(err, "apply_member.name: invalid UTF-8");
    pb_free(m);

    /* Surrogates and overlongs too. */
    buf = pack_request("\xed\xa0\x80", 4, true, &len, NULL);
    m = pb_unpack(REQ_DESC, buf, len, MIB);
    free(buf);
    assert_int_equal(pb_validate(m, 64, 4, err, sizeof err), -EINVAL);
    assert_string_equal(err, "apply_member.name: invalid UTF-8");
    pb_free(m);

    /* In a repeated message, with its index. */
    Cogov__V1__Position p1 = COGOV__V1__POSITION__INIT;
    Cogov__V1__Position p2 = COGOV__V1__POSITION__INIT;
    Cogov__V1__Position *after[] = {&p1, &p2};
    Cogov__V1__Event ev = COGOV__V1__EVENT__INIT;
    p1.producer = "coordination";
    p2.producer = "\xc0\xaf";
    ev.n_after = 2;
    ev.after = after;
    assert_int_equal(validate_packed(&ev.base, err, sizeof err), -EINVAL);
    assert_string_equal(err, "after[1].producer: invalid UTF-8");

    /* Deeper: Reply.batch.events[0].member_admitted.name. */
    Cogov__V1__MemberStatusChanged sc = COGOV__V1__MEMBER_STATUS_CHANGED__INIT;
    Cogov__V1__Event e0 = COGOV__V1__EVENT__INIT;
    Cogov__V1__Event *events[] = {&e0};
    Cogov__V1__Batch batch = COGOV__V1__BATCH__INIT;
    Cogov__V1__Reply rep = COGOV__V1__REPLY__INIT;
    sc.member_id = "91350100M000100Y43";
    sc.name = "ok\x80";
    e0.payload_case = COGOV__V1__EVENT__PAYLOAD_MEMBER_ADMITTED;
    e0.member_admitted = &sc;
    batch.n_events = 1;
    batch.events = events;
    rep.body_case = COGOV__V1__REPLY__BODY_BATCH;
    rep.batch = &batch;
    assert_int_equal(validate_packed(&rep.base, err, sizeof err), -EINVAL);
    assert_string_equal(err,
                        "batch.events[0].member_admitted.name: invalid UTF-8");
    sc.name = "滨江";
    assert_int_equal(validate_packed(&rep.base, err, sizeof err), 0);

    /* Repeated strings. */
    char *needs[] = {"fine", "\xe6\xbb"};
    Cogov__V1__FoundConsortium fc = COGOV__V1__FOUND_CONSORTIUM__INIT;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    fc.n_practical_needs = 2;
    fc.practical_needs = needs;
    req.body_case = COGOV__V1__REQUEST__BODY_FOUND_CONSORTIUM;
    req.found_consortium = &fc;
    assert_int_equal(validate_packed(&req.base, err, sizeof err), -EINVAL);
    assert_string_equal(err,
                        "found_consortium.practical_needs[1]: invalid UTF-8");
}

static void
test_unknown_enum(void **state)
{
    (void)state;
    char err[256];
    size_t len;

    /* has_type and type = 99: protobuf-c keeps the number, we refuse it. */
    uint8_t *buf = pack_request("滨江", 99, true, &len, NULL);
    ProtobufCMessage *m = pb_unpack(REQ_DESC, buf, len, MIB);
    free(buf);
    assert_non_null(m);
    assert_int_equal(((Cogov__V1__Request *)m)->apply_member->type, 99);
    assert_int_equal(pb_validate(m, 64, 4, err, sizeof err), -EINVAL);
    assert_string_equal(err, "apply_member.type: unknown enum value 99");
    pb_free(m);

    /* Negative values too. */
    Cogov__V1__DecideMember dm = COGOV__V1__DECIDE_MEMBER__INIT;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    dm.has_decision = 1;
    dm.decision = (Cogov__V1__MemberDecision)-3;
    req.body_case = COGOV__V1__REQUEST__BODY_DECIDE_MEMBER;
    req.decide_member = &dm;
    assert_int_equal(validate_packed(&req.base, err, sizeof err), -EINVAL);
    assert_string_equal(err, "decide_member.decision: unknown enum value -3");
    dm.decision = COGOV__V1__MEMBER_DECISION__MEMBER_DECISION_EXPEL;
    assert_int_equal(validate_packed(&req.base, err, sizeof err), 0);

    /* Reply.code, top level. */
    Cogov__V1__Reply rep = COGOV__V1__REPLY__INIT;
    rep.has_code = 1;
    rep.code = (Cogov__V1__StatusCode)9;
    assert_int_equal(validate_packed(&rep.base, err, sizeof err), -EINVAL);
    assert_string_equal(err, "code: unknown enum value 9");
}

/* Presence rules, checked on messages built in memory. */
static void
test_presence(void **state)
{
    (void)state;
    char err[256];

    /* A proto2 optional enum without has_ is absent, whatever it holds. */
    Cogov__V1__ApplyMember am = COGOV__V1__APPLY_MEMBER__INIT;
    am.has_type = 0;
    am.type = (Cogov__V1__MemberType)99;
    assert_int_equal(pb_validate(&am.base, 64, 4, err, sizeof err), 0);
    am.has_type = 1;
    assert_int_equal(pb_validate(&am.base, 64, 4, err, sizeof err), -EINVAL);
    assert_string_equal(err, "type: unknown enum value 99");

    /* Only the oneof member whose case is set is walked. */
    Cogov__V1__ApplyMember bad = COGOV__V1__APPLY_MEMBER__INIT;
    bad.name = "\xff";
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY__NOT_SET;
    req.apply_member = &bad;
    assert_int_equal(pb_validate(&req.base, 64, 4, err, sizeof err), 0);
    req.body_case = COGOV__V1__REQUEST__BODY_APPLY_MEMBER;
    assert_int_equal(pb_validate(&req.base, 64, 4, err, sizeof err), -EINVAL);
    assert_string_equal(err, "apply_member.name: invalid UTF-8");

    assert_int_equal(pb_validate(NULL, 64, 4, err, sizeof err), -EINVAL);
}

static void
test_limits(void **state)
{
    (void)state;
    char err[256];

    /* max_string counts bytes: 64 fit, 65 do not. */
    char name[80];
    memset(name, 'n', 64);
    name[64] = 0;
    Cogov__V1__ApplyMember am = COGOV__V1__APPLY_MEMBER__INIT;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    am.name = name;
    req.body_case = COGOV__V1__REQUEST__BODY_APPLY_MEMBER;
    req.apply_member = &am;
    assert_int_equal(validate_packed(&req.base, err, sizeof err), 0);
    strcat(name, "n");
    assert_int_equal(validate_packed(&req.base, err, sizeof err), -EINVAL);
    assert_string_equal(err, "apply_member.name: longer than 64 bytes");

    /* max_repeated: 4 fit, 5 do not. */
    Cogov__V1__Position p = COGOV__V1__POSITION__INIT;
    Cogov__V1__Position *after[] = {&p, &p, &p, &p, &p};
    Cogov__V1__Request r2 = COGOV__V1__REQUEST__INIT;
    r2.after = after;
    r2.n_after = 4;
    assert_int_equal(validate_packed(&r2.base, err, sizeof err), 0);
    r2.n_after = 5;
    assert_int_equal(validate_packed(&r2.base, err, sizeof err), -EINVAL);
    assert_string_equal(err, "after: 5 entries, at most 4");

    /* A short err buffer is terminated, not overrun. */
    char small[8];
    memset(small, 'z', sizeof small);
    assert_int_equal(pb_validate(&r2.base, 64, 4, small, sizeof small),
                     -EINVAL);
    assert_int_equal(strlen(small), sizeof small - 1);
}

static void
test_unknown_fields(void **state)
{
    (void)state;
    /* request_id "x", then field 999 (varint 5): a newer peer's field. */
    static const uint8_t bytes[] = {0x0a, 0x01, 'x', 0xb8, 0x3e, 0x05};
    ProtobufCMessage *m = pb_unpack(REQ_DESC, bytes, sizeof bytes, MIB);
    assert_non_null(m);
    assert_string_equal(((Cogov__V1__Request *)m)->request_id, "x");
    assert_int_equal(m->n_unknown_fields, 1);
    char err[64];
    assert_int_equal(pb_validate(m, 64, 4, err, sizeof err), 0);
    pb_free(m);
}

/* The arena: messages decoded into it over and over are equal to what was
 * packed, a message bigger than what is kept between resets decodes too,
 * past the budget is NULL (and the arena still works), and everything is
 * given back (ASan/LSan in the sanitizer build). */
static void
test_arena(void **state)
{
    (void)state;
    pb_arena_t *a = pb_arena_new();
    char big[200000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = 0;
    for (int round = 0; round < 50; round++) {
        const char *name = round % 7 == 3 ? big : "滨江职业技术学院";
        size_t len = 0;
        uint8_t *buf = pack_request(name, 2, true, &len, NULL);
        pb_arena_reset(a);
        Cogov__V1__Request *r = (Cogov__V1__Request *)pb_unpack_arena(
            a, REQ_DESC, buf, len, SIZE_MAX);
        assert_non_null(r);
        assert_int_equal(r->body_case, COGOV__V1__REQUEST__BODY_APPLY_MEMBER);
        assert_string_equal(r->apply_member->name, name);
        assert_int_equal(r->n_after, 2);
        assert_int_equal(r->after[1]->seq, 7);
        assert_int_equal((uintptr_t)r->after[0] % 16, 0);
        /* a second message in the same arena before the reset */
        Cogov__V1__Request *r2 = (Cogov__V1__Request *)pb_unpack_arena(
            a, REQ_DESC, buf, len, SIZE_MAX);
        assert_non_null(r2);
        assert_string_equal(r->apply_member->name, name); /* still there */
        assert_string_equal(r2->request_id, "r-1");
        /* a budget smaller than the message needs */
        pb_arena_reset(a);
        assert_null(pb_unpack_arena(a, REQ_DESC, buf, len, 64));
        free(buf);
    }
    pb_arena_reset(a);
    pb_arena_destroy(&a);
    assert_null(a);
    pb_arena_destroy(&a); /* NULL is fine */
}

/* A budget means the same to pb_unpack and pb_unpack_arena (the least
 * budget that decodes a message is the same), and in an arena it bounds
 * each message, not what earlier ones took since the reset. */
static void
test_arena_budget(void **state)
{
    (void)state;
    size_t len = 0;
    uint8_t *buf = pack_request("滨江职业技术学院", 2, true, &len, NULL);
    size_t lo = 0, hi = MIB; /* pb_unpack fails with lo, works with hi */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        ProtobufCMessage *m = pb_unpack(REQ_DESC, buf, len, mid);
        if (m != NULL)
            hi = mid;
        else
            lo = mid;
        pb_free(m);
    }
    printf("least budget for the request: %zu bytes\n", hi);
    pb_arena_t *a = pb_arena_new();
    for (int k = 0; k < 5; k++) /* no reset: each within its own budget */
        assert_non_null(pb_unpack_arena(a, REQ_DESC, buf, len, hi));
    assert_int_equal(pb_arena_used(a), 5 * hi);
    assert_null(pb_unpack_arena(a, REQ_DESC, buf, len, hi - 1));
    pb_arena_reset(a);
    assert_int_equal(pb_arena_used(a), 0);
    assert_null(pb_unpack_arena(a, REQ_DESC, buf, len, hi - 1));
    assert_non_null(pb_unpack_arena(a, REQ_DESC, buf, len, hi));
    pb_arena_destroy(&a);
    free(buf);
}

int
main(void)
{
    const char *env = getenv("COGOV_TEST_SEED");
    test_seed = env ? (unsigned)strtoul(env, NULL, 10) : (unsigned)time(NULL);
    printf("test_pb: seed %u (set COGOV_TEST_SEED to repeat)\n", test_seed);

    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_random_bytes),
        cmocka_unit_test(test_allocation_bomb),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_unknown_enum),
        cmocka_unit_test(test_presence),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_unknown_fields),
        cmocka_unit_test(test_arena),
        cmocka_unit_test(test_arena_budget),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

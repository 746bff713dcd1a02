/* make_corpus: write the seed corpus of fuzz_request — a handful of valid
 * packed Requests of every body, plus an Event and a Reply — one file per
 * message into DIR. Usage: make_corpus DIR */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cogov/v1/envelope.pb-c.h"

static int
put(const char *dir, const char *name, const ProtobufCMessage *m)
{
    size_t len = protobuf_c_message_get_packed_size(m);
    uint8_t *buf = malloc(len ? len : 1);
    if (buf == NULL)
        return -ENOMEM;
    protobuf_c_message_pack(m, buf);
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    int rc = 0;
    if (f == NULL || fwrite(buf, 1, len, f) != len)
        rc = -EIO;
    if (f != NULL && fclose(f) != 0)
        rc = -EIO;
    free(buf);
    if (rc != 0)
        fprintf(stderr, "make_corpus: %s: %s\n", path, strerror(errno));
    return rc;
}

static void
envelope(Cogov__V1__Request *r, Cogov__V1__Request__BodyCase body)
{
    cogov__v1__request__init(r);
    r->request_id = "seed-0001";
    r->correlation_id = "c-seed";
    r->body_case = body;
}

int
main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: make_corpus DIR\n");
        return 1;
    }
    const char *dir = argv[1];
    mkdir(dir, 0755);
    int rc = 0;
    Cogov__V1__Request r;

    Cogov__V1__Position pos = COGOV__V1__POSITION__INIT;
    Cogov__V1__Position *after[1] = {&pos};
    pos.producer = "coordination";
    pos.seq = 42;
    pos.has_seq = 1;
    Cogov__V1__GetStatus gs = COGOV__V1__GET_STATUS__INIT;
    envelope(&r, COGOV__V1__REQUEST__BODY_GET_STATUS);
    r.get_status = &gs;
    r.after = after;
    r.n_after = 1;
    rc |= put(dir, "get_status", &r.base);

    Cogov__V1__Fetch fe = COGOV__V1__FETCH__INIT;
    fe.after_seq = 7;
    fe.has_after_seq = 1;
    fe.max_events = 100;
    fe.has_max_events = 1;
    fe.max_wait_ms = 500;
    fe.has_max_wait_ms = 1;
    envelope(&r, COGOV__V1__REQUEST__BODY_FETCH);
    r.fetch = &fe;
    rc |= put(dir, "fetch", &r.base);

    char *basis[2] = {"国办发〔2017〕95号", "教职成厅函〔2023〕28号"};
    Cogov__V1__FoundConsortium fc = COGOV__V1__FOUND_CONSORTIUM__INIT;
    fc.name = "滨江市智能制造市域产教联合体";
    fc.city = "滨江市";
    fc.park = "滨江高新技术产业开发区";
    fc.lead_department = "滨江市教育局";
    fc.founded_on = "2025-01-10";
    fc.policy_basis = basis;
    fc.n_policy_basis = 2;
    envelope(&r, COGOV__V1__REQUEST__BODY_FOUND_CONSORTIUM);
    r.found_consortium = &fc;
    rc |= put(dir, "found_consortium", &r.base);

    Cogov__V1__ApplyMember am = COGOV__V1__APPLY_MEMBER__INIT;
    am.uscc = "91330100MA27XL1A3Y";
    am.name = "滨江数控机床有限公司";
    am.type = COGOV__V1__MEMBER_TYPE__MEMBER_TYPE_LEADING_ENTERPRISE;
    am.has_type = 1;
    am.contact_name = "王工";
    am.contact_phone = "0571-88886666";
    am.contact_email = "hr@example.cn";
    envelope(&r, COGOV__V1__REQUEST__BODY_APPLY_MEMBER);
    r.apply_member = &am;
    rc |= put(dir, "apply_member", &r.base);

    Cogov__V1__DecideMember dm = COGOV__V1__DECIDE_MEMBER__INIT;
    dm.member_id = "91330100MA27XL1A3Y";
    dm.decision = COGOV__V1__MEMBER_DECISION__MEMBER_DECISION_ADMIT;
    dm.has_decision = 1;
    dm.reason = "理事会决定";
    envelope(&r, COGOV__V1__REQUEST__BODY_DECIDE_MEMBER);
    r.decide_member = &dm;
    rc |= put(dir, "decide_member", &r.base);

    Cogov__V1__ListMembers lm = COGOV__V1__LIST_MEMBERS__INIT;
    lm.status = COGOV__V1__MEMBER_STATUS__MEMBER_STATUS_ADMITTED;
    lm.has_status = 1;
    envelope(&r, COGOV__V1__REQUEST__BODY_LIST_MEMBERS);
    r.list_members = &lm;
    rc |= put(dir, "list_members", &r.base);

    Cogov__V1__AdvanceCalendar ac = COGOV__V1__ADVANCE_CALENDAR__INIT;
    ac.to = 1751212800;
    ac.has_to = 1;
    envelope(&r, COGOV__V1__REQUEST__BODY_ADVANCE_CALENDAR);
    r.advance_calendar = &ac;
    rc |= put(dir, "advance_calendar", &r.base);

    Cogov__V1__AcknowledgeNotice an = COGOV__V1__ACKNOWLEDGE_NOTICE__INIT;
    an.notice_id = "welcome:coordination:3";
    an.member_id = "91330100MA27XL1A3Y";
    envelope(&r, COGOV__V1__REQUEST__BODY_ACKNOWLEDGE_NOTICE);
    r.acknowledge_notice = &an;
    rc |= put(dir, "acknowledge_notice", &r.base);

    /* An event as a Batch carries it, and a reply. */
    Cogov__V1__MemberStatusChanged msc = COGOV__V1__MEMBER_STATUS_CHANGED__INIT;
    msc.member_id = "91330100MA27XL1A3Y";
    msc.name = "滨江数控机床有限公司";
    msc.from = COGOV__V1__MEMBER_STATUS__MEMBER_STATUS_APPLIED;
    msc.has_from = 1;
    msc.to = COGOV__V1__MEMBER_STATUS__MEMBER_STATUS_ADMITTED;
    msc.has_to = 1;
    Cogov__V1__Event ev = COGOV__V1__EVENT__INIT;
    ev.producer = "coordination";
    ev.seq = 3;
    ev.has_seq = 1;
    ev.type = "member_admitted";
    ev.actor = "operator";
    ev.correlation_id = "c-seed";
    ev.causation_id = "req:operator:seed-0001";
    ev.after = after;
    ev.n_after = 1;
    ev.payload_case = COGOV__V1__EVENT__PAYLOAD_MEMBER_ADMITTED;
    ev.member_admitted = &msc;
    rc |= put(dir, "event_member_admitted", &ev.base);

    Cogov__V1__Event *evs[1] = {&ev};
    Cogov__V1__Batch b = COGOV__V1__BATCH__INIT;
    b.producer = "coordination";
    b.head_seq = 3;
    b.has_head_seq = 1;
    b.events = evs;
    b.n_events = 1;
    Cogov__V1__Reply rep = COGOV__V1__REPLY__INIT;
    rep.code = COGOV__V1__STATUS_CODE__STATUS_OK;
    rep.has_code = 1;
    rep.request_id = "seed-0001";
    rep.heads = after;
    rep.n_heads = 1;
    rep.body_case = COGOV__V1__REPLY__BODY_BATCH;
    rep.batch = &b;
    rc |= put(dir, "reply_batch", &rep.base);
    return rc == 0 ? 0 : 1;
}

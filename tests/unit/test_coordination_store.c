/* test_coordination_store: coordination's tables on an in-memory store. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../services/coordination/coord_store.c"

#define MS(x) COGOV__V1__MEMBER_STATUS__MEMBER_STATUS_##x
#define MT(x) COGOV__V1__MEMBER_TYPE__MEMBER_TYPE_##x

static int
setup(void **state)
{
    char err[256] = "";
    store_t *st = store_open(":memory:", "coordination", coord_migrations,
                             coord_n_migrations, err, sizeof err);
    if (st == NULL)
        print_error("store_open: %s\n", err);
    *state = st;
    return st == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
    store_t *st = *state;
    store_destroy(&st);
    return 0;
}

static void
apply(store_t *st, const char *id, const char *name, Cogov__V1__MemberType t,
      Cogov__V1__MemberStatus prev, int64_t at, int want)
{
    Cogov__V1__ApplyMember a = COGOV__V1__APPLY_MEMBER__INIT;
    a.uscc = (char *)id;
    a.name = (char *)name;
    a.has_type = 1;
    a.type = t;
    a.contact_name = "张敏";
    a.contact_phone = "0571-88000000";
    assert_int_equal(coord_store_member_apply(st, &a, prev, at, "req:t:1"),
                     want);
}

static void
found_once_with_lists(void **state)
{
    store_t *st = *state;
    char *basis[] = {"国务院办公厅关于深化产教融合的若干意见",
                     "关于深化现代职业教育体系建设改革的意见"};
    char *needs[] = {"智能制造技能人才缺口"};
    Cogov__V1__FoundConsortium f = COGOV__V1__FOUND_CONSORTIUM__INIT;
    Cogov__V1__Consortium *c = NULL;

    assert_int_equal(coord_store_founded(st), 0);
    assert_int_equal(coord_store_consortium(st, &c), -ENOENT);
    f.name = "滨江市智能制造市域产教联合体";
    f.city = "滨江市";
    f.park = "滨江高新区";
    f.lead_department = "滨江市教育局";
    f.founded_on = "2025-03-01";
    f.n_policy_basis = 2;
    f.policy_basis = basis;
    f.n_practical_needs = 1;
    f.practical_needs = needs;
    assert_int_equal(coord_store_found(st, &f, 1735660800, "req:t:1"), 0);
    assert_int_equal(coord_store_founded(st), 1);
    assert_int_equal(coord_store_found(st, &f, 1735660801, "req:t:2"), -EEXIST);

    assert_int_equal(coord_store_consortium(st, &c), 0);
    assert_string_equal(c->name, "滨江市智能制造市域产教联合体");
    assert_string_equal(c->lead_department, "滨江市教育局");
    assert_string_equal(c->founded_on, "2025-03-01");
    assert_int_equal(c->founded_at, 1735660800);
    assert_int_equal(c->n_policy_basis, 2);
    assert_string_equal(c->policy_basis[0], basis[0]);
    assert_string_equal(c->policy_basis[1], basis[1]);
    assert_int_equal(c->n_practical_needs, 1);
    assert_string_equal(c->practical_needs[0], needs[0]);
    protobuf_c_message_free_unpacked(&c->base, NULL);
}

static void
apply_and_contacts(void **state)
{
    store_t *st = *state;
    Cogov__V1__Member *m = NULL;
    Cogov__V1__MemberStatus s = MS(ADMITTED);

    assert_int_equal(coord_store_member_status(st, "A1", &s), 0);
    assert_int_equal(s, MS(UNSPECIFIED));
    assert_int_equal(coord_store_member(st, "A1", true, &m), -ENOENT);

    apply(st, "A1", "滨江职业技术学院", MT(HIGHER_VOCATIONAL_COLLEGE),
          MS(UNSPECIFIED), 100, 0);
    assert_int_equal(coord_store_member(st, "A1", true, &m), 0);
    assert_string_equal(m->member_id, "A1");
    assert_string_equal(m->uscc, "A1");
    assert_string_equal(m->name, "滨江职业技术学院");
    assert_int_equal(m->type, MT(HIGHER_VOCATIONAL_COLLEGE));
    assert_int_equal(m->status, MS(APPLIED));
    assert_int_equal(m->applied_at, 100);
    assert_int_equal(m->changed_at, 100);
    assert_string_equal(m->contact_name, "张敏");
    assert_string_equal(m->contact_phone, "0571-88000000");
    assert_null(m->contact_email); /* not given: stored as NULL */
    protobuf_c_message_free_unpacked(&m->base, NULL);

    assert_int_equal(coord_store_member(st, "A1", false, &m), 0);
    assert_null(m->contact_name);
    assert_null(m->contact_phone);
    protobuf_c_message_free_unpacked(&m->base, NULL);
    assert_int_equal(coord_store_history_count(st, "A1"), 1);
}

static void
reapply_only_after_rejection_or_exit(void **state)
{
    store_t *st = *state;
    Cogov__V1__Member *m = NULL;

    apply(st, "B1", "滨江重工集团", MT(LEADING_ENTERPRISE), MS(UNSPECIFIED),
          100, 0);
    /* A record in APPLIED is not overwritten. */
    apply(st, "B1", "另一个名字", MT(ENTERPRISE), MS(APPLIED), 101, -EEXIST);
    assert_int_equal(coord_store_member_change(st, "B1", MS(APPLIED),
                                               MS(REJECTED), "材料不全", 102,
                                               "req:t:2"),
                     0);
    assert_int_equal(coord_store_member(st, "B1", false, &m), 0);
    assert_int_equal(m->status, MS(REJECTED));
    assert_string_equal(m->reason, "材料不全");
    assert_int_equal(m->changed_at, 102);
    protobuf_c_message_free_unpacked(&m->base, NULL);

    apply(st, "B1", "滨江重工集团有限公司", MT(LEADING_ENTERPRISE),
          MS(REJECTED), 200, 0);
    assert_int_equal(coord_store_member(st, "B1", false, &m), 0);
    assert_int_equal(m->status, MS(APPLIED));
    assert_string_equal(m->name, "滨江重工集团有限公司");
    assert_null(m->reason); /* the old decision's reason is gone */
    assert_int_equal(m->applied_at, 200);
    protobuf_c_message_free_unpacked(&m->base, NULL);
    assert_int_equal(coord_store_history_count(st, "B1"), 3);

    /* ADMITTED is not overwritten either. */
    assert_int_equal(coord_store_member_change(st, "B1", MS(APPLIED),
                                               MS(ADMITTED), NULL, 300,
                                               "req:t:3"),
                     0);
    apply(st, "B1", "x", MT(ENTERPRISE), MS(ADMITTED), 301, -EEXIST);
    assert_int_equal(coord_store_history_count(st, "B1"), 4);
}

static void
change_checks_the_current_status(void **state)
{
    store_t *st = *state;

    apply(st, "C1", "滨江智造研究院", MT(RESEARCH_INSTITUTE), MS(UNSPECIFIED),
          100, 0);
    /* Stale `from`: nothing changes. */
    assert_int_equal(coord_store_member_change(st, "C1", MS(ADMITTED),
                                               MS(SUSPENDED), NULL, 101, "x"),
                     -EEXIST);
    assert_int_equal(coord_store_member_change(st, "NOPE", MS(APPLIED),
                                               MS(ADMITTED), NULL, 101, "x"),
                     -ENOENT);
    assert_int_equal(coord_store_history_count(st, "C1"), 1);
    assert_int_equal(coord_store_history_count(st, "NOPE"), 0);
}

static void
list_filters_and_order(void **state)
{
    store_t *st = *state;
    Cogov__V1__MemberList *l = NULL;

    apply(st, "Z9", "乙企业", MT(ENTERPRISE), MS(UNSPECIFIED), 1, 0);
    apply(st, "M5", "甲学校", MT(SECONDARY_VOCATIONAL_SCHOOL), MS(UNSPECIFIED),
          2, 0);
    apply(st, "A2", "丙企业", MT(ENTERPRISE), MS(UNSPECIFIED), 3, 0);
    assert_int_equal(coord_store_member_change(st, "M5", MS(APPLIED),
                                               MS(ADMITTED), NULL, 4, "x"),
                     0);

    assert_int_equal(
        coord_store_members(st, MS(UNSPECIFIED), MT(UNSPECIFIED), &l), 0);
    assert_int_equal(l->n_members, 3);
    assert_string_equal(l->members[0]->member_id, "A2");
    assert_string_equal(l->members[1]->member_id, "M5");
    assert_string_equal(l->members[2]->member_id, "Z9");
    for (size_t i = 0; i < l->n_members; i++)
        assert_null(l->members[i]->contact_name);
    protobuf_c_message_free_unpacked(&l->base, NULL);

    assert_int_equal(coord_store_members(st, MS(APPLIED), MT(ENTERPRISE), &l),
                     0);
    assert_int_equal(l->n_members, 2);
    assert_string_equal(l->members[0]->member_id, "A2");
    assert_string_equal(l->members[1]->member_id, "Z9");
    protobuf_c_message_free_unpacked(&l->base, NULL);

    assert_int_equal(coord_store_members(st, MS(ADMITTED), MT(UNSPECIFIED), &l),
                     0);
    assert_int_equal(l->n_members, 1);
    assert_string_equal(l->members[0]->name, "甲学校");
    protobuf_c_message_free_unpacked(&l->base, NULL);

    assert_int_equal(coord_store_members(st, MS(EXPELLED), MT(UNSPECIFIED), &l),
                     0);
    assert_int_equal(l->n_members, 0);
    protobuf_c_message_free_unpacked(&l->base, NULL);
}

/* enter: only a unit never seen, only once founded, nothing written
 * otherwise. */
static void
enter_only_new_once_founded(void **state)
{
    store_t *st = *state;
    Cogov__V1__ApplyMember a = COGOV__V1__APPLY_MEMBER__INIT;
    Cogov__V1__FoundConsortium f = COGOV__V1__FOUND_CONSORTIUM__INIT;
    Cogov__V1__Member *m = NULL;

    a.uscc = "E1";
    a.name = "滨江数控刀具有限公司";
    a.has_type = 1;
    a.type = MT(ENTERPRISE);
    a.contact_phone = "0571-88000001";
    assert_int_equal(coord_store_member_enter(st, &a, 100, "req:t:1"), 0);
    assert_int_equal(coord_store_member(st, "E1", true, &m), -ENOENT);
    assert_int_equal(coord_store_history_count(st, "E1"), 0);
    f.name = f.city = f.park = f.lead_department = "x";
    f.founded_on = "2025-03-01";
    assert_int_equal(coord_store_found(st, &f, 90, "req:t:0"), 0);
    assert_int_equal(coord_store_member_enter(st, &a, 100, "req:t:2"), 1);
    assert_int_equal(coord_store_history_count(st, "E1"), 1);
    a.name = "别的名字";
    assert_int_equal(coord_store_member_enter(st, &a, 101, "req:t:3"), 0);
    assert_int_equal(coord_store_history_count(st, "E1"), 1);
    assert_int_equal(coord_store_member(st, "E1", true, &m), 0);
    assert_string_equal(m->name, "滨江数控刀具有限公司");
    assert_int_equal(m->status, MS(APPLIED));
    assert_int_equal(m->applied_at, 100);
    assert_null(m->contact_name);
    assert_string_equal(m->contact_phone, "0571-88000001");
    protobuf_c_message_free_unpacked(&m->base, NULL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(found_once_with_lists, setup, teardown),
        cmocka_unit_test_setup_teardown(apply_and_contacts, setup, teardown),
        cmocka_unit_test_setup_teardown(enter_only_new_once_founded, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(reapply_only_after_rejection_or_exit,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(change_checks_the_current_status, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(list_filters_and_order, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

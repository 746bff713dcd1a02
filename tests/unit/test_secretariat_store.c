/* test_secretariat_store: the secretariat's tables on an in-memory store,
 * and the texts of the notices it publishes by itself. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../services/secretariat/notice_texts.c"
#include "../../services/secretariat/sec_store.c"
#include "../../services/secretariat/tally.c"

#define MS(x) COGOV__V1__MEMBER_STATUS__MEMBER_STATUS_##x
#define MT(x) COGOV__V1__MEMBER_TYPE__MEMBER_TYPE_##x
#define NK(x) COGOV__V1__NOTICE_KIND__NOTICE_KIND_##x

static int
setup(void **state)
{
    char err[256] = "";
    store_t *st = store_open(":memory:", "secretariat", sec_migrations,
                             sec_n_migrations, err, sizeof err);
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

/* Add a notice to `n_addr` addressees; returns sec_store_notice_add's. */
static int
add(store_t *st, const char *id, Cogov__V1__NoticeKind kind, int64_t at,
    char **addr, size_t n_addr)
{
    Cogov__V1__Notice n = COGOV__V1__NOTICE__INIT;
    n.notice_id = (char *)id;
    n.kind = kind;
    n.title = "标题";
    n.body = "正文";
    n.published_at = at;
    n.causation_id = "coordination:1";
    n.addressees = addr;
    n.n_addressees = n_addr;
    return sec_store_notice_add(st, &n);
}

static void
consortium_and_members(void **state)
{
    store_t *st = *state;
    char *name = NULL;
    Cogov__V1__MemberStatus s;

    assert_int_equal(sec_store_consortium_name(st, &name), -ENOENT);
    assert_int_equal(sec_store_consortium_set(st, "滨江市产教联合体"), 0);
    assert_int_equal(sec_store_consortium_name(st, &name), 0);
    assert_string_equal(name, "滨江市产教联合体");
    free(name);

    assert_int_equal(sec_store_member(st, "M1", NULL, &s), -ENOENT);
    assert_int_equal(sec_store_member_put(st, "M1", "滨江职院",
                                          MT(HIGHER_VOCATIONAL_COLLEGE),
                                          MS(APPLIED)),
                     0);
    assert_int_equal(sec_store_member_put(st, "M1", "滨江职业技术学院",
                                          MT(HIGHER_VOCATIONAL_COLLEGE),
                                          MS(ADMITTED)),
                     0);
    assert_int_equal(sec_store_member(st, "M1", &name, &s), 0);
    assert_string_equal(name, "滨江职业技术学院");
    assert_int_equal(s, MS(ADMITTED));
    free(name);
}

static void
notice_insert_is_idempotent(void **state)
{
    store_t *st = *state;
    char *addr[] = {"M1"};
    Cogov__V1__Notice *n = NULL;

    assert_int_equal(
        add(st, "welcome:coordination:7", NK(WELCOME), 500, addr, 1), 1);
    /* The replay of the same event finds the notice: nothing changes. */
    assert_int_equal(
        add(st, "welcome:coordination:7", NK(WELCOME), 999, addr, 1), 0);
    assert_int_equal(sec_store_notice(st, "welcome:coordination:7", &n), 0);
    assert_string_equal(n->notice_id, "welcome:coordination:7");
    assert_int_equal(n->kind, NK(WELCOME));
    assert_int_equal(n->published_at, 500);
    assert_string_equal(n->causation_id, "coordination:1");
    assert_int_equal(n->n_addressees, 1);
    assert_string_equal(n->addressees[0], "M1");
    assert_int_equal(n->n_acknowledged, 0);
    protobuf_c_message_free_unpacked(&n->base, NULL);
    assert_int_equal(sec_store_notice(st, "welcome:coordination:8", &n),
                     -ENOENT);
}

static void
acknowledge_once(void **state)
{
    store_t *st = *state;
    char *addr[] = {"M2", "M1"};
    Cogov__V1__Notice *n = NULL;

    assert_int_equal(add(st, "g:1", NK(GENERAL), 10, addr, 2), 1);
    assert_int_equal(sec_store_acknowledge(st, "g:1", "M1", 20), 1);
    assert_int_equal(sec_store_acknowledge(st, "g:1", "M1", 30), 0);
    assert_int_equal(sec_store_acknowledge(st, "g:1", "M3", 30), -ENOENT);
    assert_int_equal(sec_store_acknowledge(st, "nope", "M1", 30), -ENOENT);

    assert_int_equal(sec_store_notice(st, "g:1", &n), 0);
    assert_int_equal(n->n_addressees, 2);
    assert_string_equal(n->addressees[0], "M1"); /* ordered by member id */
    assert_string_equal(n->addressees[1], "M2");
    assert_int_equal(n->n_acknowledged, 1);
    assert_string_equal(n->acknowledged[0], "M1");
    protobuf_c_message_free_unpacked(&n->base, NULL);
}

static void
list_by_member_and_kind(void **state)
{
    store_t *st = *state;
    char *m1[] = {"M1"}, *m2[] = {"M2"}, *both[] = {"M1", "M2"};
    Cogov__V1__NoticeList *l = NULL;

    assert_int_equal(add(st, "welcome:coordination:9", NK(WELCOME), 30, m2, 1),
                     1);
    assert_int_equal(add(st, "welcome:coordination:3", NK(WELCOME), 10, m1, 1),
                     1);
    assert_int_equal(
        add(st, "farewell:coordination:12", NK(FAREWELL), 40, m1, 1), 1);
    assert_int_equal(add(st, "general:1", NK(GENERAL), 30, both, 2), 1);

    assert_int_equal(sec_store_notices(st, NULL, NK(UNSPECIFIED), &l), 0);
    assert_int_equal(l->n_notices, 4);
    /* published_at, then the order they were published in */
    assert_string_equal(l->notices[0]->notice_id, "welcome:coordination:3");
    assert_string_equal(l->notices[1]->notice_id, "welcome:coordination:9");
    assert_string_equal(l->notices[2]->notice_id, "general:1");
    assert_string_equal(l->notices[3]->notice_id, "farewell:coordination:12");
    assert_int_equal(l->notices[2]->n_addressees, 2);
    protobuf_c_message_free_unpacked(&l->base, NULL);

    assert_int_equal(sec_store_notices(st, "M1", NK(UNSPECIFIED), &l), 0);
    assert_int_equal(l->n_notices, 3);
    protobuf_c_message_free_unpacked(&l->base, NULL);

    assert_int_equal(sec_store_notices(st, "M1", NK(WELCOME), &l), 0);
    assert_int_equal(l->n_notices, 1);
    assert_string_equal(l->notices[0]->notice_id, "welcome:coordination:3");
    protobuf_c_message_free_unpacked(&l->base, NULL);

    assert_int_equal(sec_store_notices(st, "M9", NK(UNSPECIFIED), &l), 0);
    assert_int_equal(l->n_notices, 0);
    protobuf_c_message_free_unpacked(&l->base, NULL);
}

static void
texts(void **state)
{
    char *id = notice_id_for("welcome", "coordination", 42);
    char *title = NULL, *body = NULL;

    assert_string_equal(id, "welcome:coordination:42");
    free(id);

    notice_welcome("滨江市产教联合体", "滨江职业技术学院", &title, &body);
    assert_string_equal(title, "欢迎加入滨江市产教联合体");
    assert_non_null(strstr(body, "滨江职业技术学院"));
    assert_non_null(strstr(body, "滨江市产教联合体"));
    free(title);
    free(body);

    notice_welcome(NULL, "某企业", &title, &body);
    assert_string_equal(title, "欢迎加入本联合体");
    free(title);
    free(body);

    notice_farewell("联合体甲", "某企业", false, &title, &body);
    assert_non_null(strstr(title, "某企业"));
    assert_non_null(strstr(body, "退出联合体甲"));
    free(title);
    free(body);

    notice_farewell("联合体甲", "某企业", true, &title, &body);
    assert_non_null(strstr(body, "不再是联合体甲成员单位"));
    free(title);
    free(body);
}

/* The welcome and farewell texts and the notice ids are joined by hand
 * (xconcat): byte for byte what the xasprintf formats they replace made,
 * for named, empty, NULL and long names. */
static void
texts_as_formatted(void **state)
{
    const char *names[] = {"滨江职业技术学院", "", NULL, "A",
                           "某某某某某某某某某某某某某某某某某某某某某某某"
                           "某某某某某某某某某某某某某某某某某某某某某某某"};
    const char *consortia[] = {"滨江市产教联合体", "", NULL};
    char *title = NULL, *body = NULL, *want;

    (void)state;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        for (size_t j = 0; j < sizeof consortia / sizeof consortia[0]; j++) {
            const char *m = names[i] ? names[i] : "(null)";
            const char *c = consortium_or_default(consortia[j]);

            notice_welcome(consortia[j], names[i], &title, &body);
            want = xasprintf("欢迎加入%s", c);
            assert_string_equal(title, want);
            free(want);
            want = xasprintf(
                "%s：\n"
                "经联合体牵头部门审议，贵单位已正式成为%s成员单位，特此欢迎！"
                "\n"
                "秘书处将陆续向贵单位发送联合体章程、理事会安排和近期工作计划"
                "。"
                "请确认本通知，并通过秘书处告知贵单位的联络人。",
                m, c);
            assert_string_equal(body, want);
            free(want);
            free(title);
            free(body);

            notice_farewell(consortia[j], names[i], true, &title, &body);
            want = xasprintf("关于%s不再为%s成员单位的通知", m, c);
            assert_string_equal(title, want);
            free(want);
            want = xasprintf(
                "%s：\n"
                "根据联合体牵头部门的决定，贵单位自即日起不再是%s成员单位。"
                "如有异议，请与秘书处联系。",
                m, c);
            assert_string_equal(body, want);
            free(want);
            free(title);
            free(body);

            notice_farewell(consortia[j], names[i], false, &title, &body);
            want = xasprintf("感谢%s对%s的参与", m, c);
            assert_string_equal(title, want);
            free(want);
            want = xasprintf("%s：\n"
                             "贵单位已退出%s。感谢贵单位在联合体期间的支持与贡"
                             "献，期待今后继续合作。",
                             m, c);
            assert_string_equal(body, want);
            free(want);
            free(title);
            free(body);

            uint64_t seq = (uint64_t)i * 1000003u * (j + 1) * 977u;
            char *id = notice_id_for(names[i], consortia[j], seq);
            want = xasprintf("%s:%s:%" PRIu64, names[i] ? names[i] : "(null)",
                             consortia[j] ? consortia[j] : "(null)", seq);
            assert_string_equal(id, want);
            free(want);
            free(id);
            id = notice_id_for_member("evaluation", "supervision", seq,
                                      names[i]);
            want =
                xasprintf("%s:%s:%" PRIu64 ":%s", "evaluation", "supervision",
                          seq, names[i] ? names[i] : "(null)");
            assert_string_equal(id, want);
            free(want);
            free(id);
        }
}

/* The notice.published log fields, joined by hand: what snprintf with the
 * format they replace writes and returns, for random ids, kinds (negative
 * too), counts and buffer sizes (cut lines included), and NULL strings. */
static void
published_fields_as_formatted(void **state)
{
    unsigned seed = (unsigned)time(NULL);
    char id[600], corr[600], got[1300], want[1300];

    (void)state;
    print_message("published_fields_as_formatted seed %u\n", seed);
    srand(seed);
    for (int r = 0; r < 2000; r++) {
        size_t il = (size_t)rand() % 520, cl = (size_t)rand() % 520;
        for (size_t i = 0; i < il; i++)
            id[i] = (char)(' ' + rand() % 95);
        id[il] = 0;
        for (size_t i = 0; i < cl; i++)
            corr[i] = (char)(' ' + rand() % 95);
        corr[cl] = 0;
        int kind = r % 7 == 0 ? -rand() : r % 3 == 0 ? rand() : rand() % 10;
        size_t to = r % 5 == 0 ? (size_t)-1 - (size_t)rand() : (size_t)rand();
        size_t size = r % 4 == 0 ? (size_t)rand() % sizeof got : sizeof got;
        const char *ip = r % 11 == 0 ? NULL : id;
        const char *cp = r % 13 == 0 ? NULL : corr;
        memset(got, 'x', sizeof got);
        memset(want, 'x', sizeof want);
        size_t n = notice_published_fields(got, size, ip, kind, to, cp);
        int m = snprintf(want, size, "notice=%s kind=%d to=%zu corr=%s",
                         ip ? ip : "(null)", kind, to, cp ? cp : "(null)");
        assert_int_equal(n, (size_t)m);
        assert_memory_equal(got, want, sizeof got);
    }
}

/* The texts and ids of the notices reacting to supervision, incentives
 * and coordination. */
static void
reaction_texts(void **state)
{
    char *id, *title = NULL, *body = NULL, *y;

    (void)state;
    id = notice_id_for_member("evaluation", "supervision", 9, "M1");
    assert_string_equal(id, "evaluation:supervision:9:M1");
    free(id);
    id = notice_id_for("milestone", "coordination", 31);
    assert_string_equal(id, "milestone:coordination:31");
    free(id);

    y = notice_yuan(123405);
    assert_string_equal(y, "1234.05 元");
    free(y);
    y = notice_yuan(-7);
    assert_string_equal(y, "-0.07 元");
    free(y);
    y = notice_yuan(0);
    assert_string_equal(y, "0.00 元");
    free(y);

    assert_string_equal(notice_warning_label(1), "任务节点逾期");
    assert_string_equal(notice_warning_label(4), "资源承诺未兑现");
    assert_string_equal(notice_warning_label(99), "履约风险");
    assert_string_equal(notice_grade_label(1), "优秀");
    assert_string_equal(notice_grade_label(4), "不合格");
    assert_string_equal(notice_grade_label(0), "未评定");

    notice_warning("联合体甲", "某企业",
                   COGOV__V1__WARNING_KIND__WARNING_KIND_INACTIVE,
                   "30 天无工作进展", &title, &body);
    assert_string_equal(title, "预警通知：长期无工作进展");
    assert_non_null(strstr(body, "某企业："));
    assert_non_null(strstr(body, "30 天无工作进展"));
    assert_non_null(strstr(body, "联合体甲"));
    free(title);
    free(body);
    notice_warning(NULL, "某企业", 0, NULL, &title, &body);
    assert_string_equal(title, "预警通知：履约风险");
    assert_non_null(strstr(body, "本联合体"));
    free(title);
    free(body);

    notice_rectification("联合体甲", "某学院", "实训基地未按期建设",
                         "建设进度报告", "2025-06-30", &title, &body);
    assert_string_equal(title, "关于某学院限期整改的通知");
    assert_non_null(strstr(body, "实训基地未按期建设"));
    assert_non_null(strstr(body, "建设进度报告"));
    assert_non_null(strstr(body, "整改期限：2025-06-30"));
    free(title);
    free(body);
    notice_rectification(NULL, "某学院", "", NULL, "", &title, &body);
    assert_non_null(strstr(body, "整改期限：另行通知"));
    free(title);
    free(body);

    notice_evaluation("联合体甲", "某企业", "2025", 8605,
                      COGOV__V1__GRADE__GRADE_GOOD, false, NULL, &title, &body);
    assert_string_equal(title, "2025考核评价结果通知");
    assert_non_null(strstr(body, "得分 86.05 分，等级：良好。"));
    assert_null(strstr(body, "否决"));
    free(title);
    free(body);
    notice_evaluation(NULL, "某企业", "", 9000, COGOV__V1__GRADE__GRADE_FAIL,
                      true, "safety", &title, &body);
    assert_string_equal(title, "考核评价结果通知");
    assert_non_null(strstr(body, "得分 90.00 分，等级：不合格。"));
    assert_non_null(strstr(body, "否决性指标（safety）未达标"));
    free(title);
    free(body);

    notice_pool("联合体甲", false, "2025", 10000000, 450000, 0, &title, &body);
    assert_string_equal(title, "关于激励资金池余额不足的提示");
    assert_non_null(strstr(body, "预算 100000.00 元，当前可用 4500.00 元"));
    assert_non_null(strstr(body, "预警线"));
    free(title);
    free(body);
    notice_pool(NULL, true, "", 100, 0, 2550, &title, &body);
    assert_string_equal(title, "关于激励资金池已用尽的通知");
    assert_non_null(strstr(body, "排队待拨付 25.50 元"));
    assert_non_null(strstr(body, "追加预算"));
    free(title);
    free(body);

    notice_milestone_overdue("某学院", "t-1", "订单班", "完成招生",
                             "2025-03-31", &title, &body);
    assert_string_equal(title, "提醒：任务节点“完成招生”已逾期");
    assert_non_null(strstr(body, "某学院："));
    assert_non_null(strstr(body, "《订单班》（编号 t-1）"));
    assert_non_null(strstr(body, "2025-03-31"));
    free(title);
    free(body);
    notice_milestone_overdue("某学院", "t-2", NULL, NULL, "", &title, &body);
    assert_non_null(strstr(body, "未命名任务"));
    free(title);
    free(body);
}

/* Charter versions kept with their dates; the one in force on a day. */
static void
charters_in_force(void **state)
{
    store_t *st = *state;
    charter_rules_t r;
    charter_ver_t v2 = {2, "2025-03-01", {2, 800, 667, 300}};
    charter_ver_t v1 = {1, "2025-01-01", {1, 500, 501, 200}};

    assert_int_equal(sec_store_charter_rules(st, "2025-06-01", &r), 0);
    assert_int_equal(r.version, 0);
    assert_int_equal(sec_store_charter_put(st, &v2, "修订"), 0);
    assert_int_equal(sec_store_charter_put(st, &v1, "章程"), 0);
    assert_int_equal(sec_store_charter_put(st, &v1, "章程"), 0); /* replay */
    assert_int_equal(sec_store_charter_rules(st, "2025-02-01", &r), 0);
    assert_int_equal(r.version, 1);
    assert_int_equal(r.pass_permille, 501);
    assert_int_equal(sec_store_charter_rules(st, "2025-03-01", &r), 0);
    assert_int_equal(r.version, 2);
    assert_int_equal(r.quorum_permille, 800);
}

/* Objects by deadline and status; the once-keys; unacknowledged GENERAL
 * notices only. */
static void
objects_once_unacked(void **state)
{
    store_t *st = *state;
    Cogov__V1__Inquiry q = COGOV__V1__INQUIRY__INIT;
    ProtobufCMessage **v = NULL;
    size_t n = 0;

    q.inquiry_id = "q1";
    q.subject = "诉求";
    assert_int_equal(
        sec_store_obj_put(st, "inquiry", "q1", 1, 500, 10, &q.base), 0);
    q.inquiry_id = "q2";
    assert_int_equal(sec_store_obj_put(st, "inquiry", "q2", 1, 0, 20, &q.base),
                     0);
    assert_int_equal(sec_store_objs(st, "inquiry", 0, 499, 0, 0,
                                    &cogov__v1__inquiry__descriptor, &v, &n),
                     0);
    assert_int_equal(n, 0);
    assert_int_equal(sec_store_objs(st, "inquiry", 0, 500, 0, 0,
                                    &cogov__v1__inquiry__descriptor, &v, &n),
                     0);
    assert_int_equal(n, 1);
    assert_string_equal(((Cogov__V1__Inquiry *)v[0])->inquiry_id, "q1");
    protobuf_c_message_free_unpacked(v[0], NULL);
    free(v);
    assert_int_equal(sec_store_objs(st, "inquiry", 0, 0, 15, 0,
                                    &cogov__v1__inquiry__descriptor, &v, &n),
                     0);
    assert_int_equal(n, 1); /* time in [15, open) */
    protobuf_c_message_free_unpacked(v[0], NULL);
    free(v);

    assert_int_equal(sec_store_once(st, "k"), 1);
    assert_int_equal(sec_store_once(st, "k"), 0);

    char *to[2] = {"A", "B"};
    assert_int_equal(add(st, "g1", NK(GENERAL), 100, to, 2), 1);
    assert_int_equal(add(st, "w1", NK(WELCOME), 100, to, 2), 1);
    assert_int_equal(sec_store_acknowledge(st, "g1", "A", 150), 1);
    char **ns = NULL, **ms = NULL;
    assert_int_equal(sec_store_unacked(st, 99, &ns, &ms, &n), 0);
    assert_int_equal(n, 0);
    sec_strv_free(ns, n);
    sec_strv_free(ms, n);
    assert_int_equal(sec_store_unacked(st, 100, &ns, &ms, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(ns[0], "g1");
    assert_string_equal(ms[0], "B");
    sec_strv_free(ns, n);
    sec_strv_free(ms, n);
}

/* member_set updates a known member in one statement and writes nothing
 * for an unknown one. */
static void
member_set_needs_a_member(void **state)
{
    store_t *st = *state;
    char *name = NULL;
    Cogov__V1__MemberStatus s;

    assert_int_equal(
        sec_store_member_set(st, "M9", "无名", MT(ENTERPRISE), MS(ADMITTED)),
        -ENOENT);
    assert_int_equal(sec_store_member(st, "M9", NULL, &s), -ENOENT);
    assert_int_equal(
        sec_store_member_put(st, "M9", "甲", MT(ENTERPRISE), MS(APPLIED)), 0);
    assert_int_equal(
        sec_store_member_set(st, "M9", "甲公司", MT(ENTERPRISE), MS(ADMITTED)),
        0);
    assert_int_equal(sec_store_member(st, "M9", &name, &s), 0);
    assert_string_equal(name, "甲公司");
    assert_int_equal(s, MS(ADMITTED));
    free(name);
}

static int64_t
one_int(store_t *st, const char *sql)
{
    sqlite3_stmt *q = NULL;
    int64_t v = -1;
    if (sqlite3_prepare_v2(store_db(st), sql, -1, &q, NULL) == SQLITE_OK &&
        sqlite3_step(q) == SQLITE_ROW)
        v = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    return v;
}

/* A store made by the previous build (migrations 1-3) goes through
 * migration 4 with every member, notice, addressee and acknowledgement
 * kept, and comes out with the WITHOUT ROWID tables and fewer indexes. */
static void
migration_4_keeps_rows(void **state)
{
    char dir[] = "/tmp/test_sec_migXXXXXX", path[64], err[256] = "";
    char *addr[] = {"M2", "M1"};
    Cogov__V1__NoticeList *l = NULL;
    Cogov__V1__MemberStatus s;
    char *name = NULL;
    (void)state;

    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/sec.db", dir);
    store_t *st =
        store_open(path, "secretariat", sec_migrations, 3, err, sizeof err);
    assert_non_null(st);
    assert_int_equal(one_int(st, "PRAGMA user_version"), 4);
    assert_int_equal(sec_store_member_put(st, "M1", "滨江职院",
                                          MT(HIGHER_VOCATIONAL_COLLEGE),
                                          MS(ADMITTED)),
                     0);
    assert_int_equal(sec_store_member_put(st, "M2", "滨江集团",
                                          MT(LEADING_ENTERPRISE), MS(APPLIED)),
                     0);
    assert_int_equal(add(st, "g:1", NK(GENERAL), 10, addr, 2), 1);
    assert_int_equal(
        add(st, "welcome:coordination:3", NK(WELCOME), 20, addr, 1), 1);
    assert_int_equal(sec_store_acknowledge(st, "g:1", "M1", 15), 1);
    store_destroy(&st);

    st = store_open(path, "secretariat", sec_migrations, sec_n_migrations, err,
                    sizeof err);
    if (st == NULL)
        print_error("store_open: %s\n", err);
    assert_non_null(st);
    assert_int_equal(one_int(st, "PRAGMA user_version"),
                     1 + (int64_t)sec_n_migrations);
    assert_int_equal(one_int(st, "SELECT count(*) FROM sqlite_schema WHERE "
                                 "name IN ('notices_published', "
                                 "'notice_addressees_member', 'members_v4', "
                                 "'notice_addressees_v4')"),
                     0);
    assert_int_equal(one_int(st, "SELECT count(*) FROM sqlite_schema WHERE "
                                 "sql LIKE '%WITHOUT ROWID%' AND name IN "
                                 "('members', 'notice_addressees')"),
                     2);
    assert_int_equal(sec_store_member(st, "M1", &name, &s), 0);
    assert_string_equal(name, "滨江职院");
    assert_int_equal(s, MS(ADMITTED));
    free(name);
    assert_int_equal(sec_store_member(st, "M2", NULL, &s), 0);
    assert_int_equal(s, MS(APPLIED));
    assert_int_equal(sec_store_notices(st, "M1", NK(UNSPECIFIED), &l), 0);
    assert_int_equal(l->n_notices, 1);
    assert_string_equal(l->notices[0]->notice_id, "g:1");
    assert_int_equal(l->notices[0]->n_addressees, 2);
    assert_int_equal(l->notices[0]->n_acknowledged, 1);
    assert_string_equal(l->notices[0]->acknowledged[0], "M1");
    protobuf_c_message_free_unpacked(&l->base, NULL);
    assert_int_equal(sec_store_notices(st, "M2", NK(UNSPECIFIED), &l), 0);
    assert_int_equal(l->n_notices, 2);
    assert_string_equal(l->notices[1]->notice_id, "welcome:coordination:3");
    protobuf_c_message_free_unpacked(&l->base, NULL);
    /* The acknowledgement kept: a second one is not new; the foreign key
     * still holds. */
    assert_int_equal(sec_store_acknowledge(st, "g:1", "M1", 30), 0);
    assert_int_equal(sec_store_acknowledge(st, "g:1", "M2", 30), 1);
    assert_int_equal(one_int(st,
                             "SELECT count(*) FROM "
                             "pragma_foreign_key_list('notice_addressees')"),
                     1);
    store_destroy(&st);
    unlink(path);
    snprintf(path, sizeof path, "%s/sec.db-wal", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/sec.db-shm", dir);
    unlink(path);
    rmdir(dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(consortium_and_members, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(notice_insert_is_idempotent, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(acknowledge_once, setup, teardown),
        cmocka_unit_test_setup_teardown(list_by_member_and_kind, setup,
                                        teardown),
        cmocka_unit_test(texts),
        cmocka_unit_test(texts_as_formatted),
        cmocka_unit_test(published_fields_as_formatted),
        cmocka_unit_test(reaction_texts),
        cmocka_unit_test_setup_teardown(charters_in_force, setup, teardown),
        cmocka_unit_test_setup_teardown(objects_once_unacked, setup, teardown),
        cmocka_unit_test_setup_teardown(member_set_needs_a_member, setup,
                                        teardown),
        cmocka_unit_test(migration_4_keeps_rows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

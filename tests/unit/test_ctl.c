/* test_ctl: cogovctl's pure helpers — CSV, JSON, display width, tables,
 * enum names, protobuf rendering. The CLI's files are not in a library, so
 * the helpers are compiled in here. */
#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../tools/cogovctl_util.c"
#include "cogov/v1/coordination.pb-c.h"
#include "cogov/v1/envelope.pb-c.h"

/* ---- CSV --------------------------------------------------------------- */

/* Read every record of text; fields joined by '|', records by '\n', each
 * prefixed with its line number ("2:a|b"). Returns the csv_next result
 * that ended it (0 or -EINVAL) and err. */
static int
csv_dump(const char *text, size_t len, sbuf_t *out, char *err, size_t errlen)
{
    csv_t c;
    csv_row_t row = {0};
    int rc;
    csv_init(&c, text, len);
    while ((rc = csv_next(&c, &row, err, errlen)) == 1) {
        sbuf_printf(out, "%zu:", row.line);
        for (size_t i = 0; i < row.n; i++) {
            if (i > 0)
                sbuf_putc(out, '|');
            sbuf_puts(out, row.fields[i]);
        }
        sbuf_putc(out, '\n');
    }
    csv_row_clear(&row);
    return rc;
}

static void
test_csv_plain_and_quoted(void **state)
{
    (void)state;
    static const char text[] = "\xef\xbb\xbfuscc,name,type\r\n"
                               "A1,\"滨江\"\"精工\"\"集团\",enterprise\r\n"
                               "\r\n"
                               "A2,\"line one\nline two\",\"a,b\"\n"
                               "A3,,\n"
                               "A4,last,\"\"";
    sbuf_t out = {0};
    sbuf_init(&out);
    char err[128] = "";
    assert_int_equal(csv_dump(text, sizeof text - 1, &out, err, sizeof err), 0);
    assert_string_equal(out.p, "1:uscc|name|type\n"
                               "2:A1|滨江\"精工\"集团|enterprise\n"
                               "4:A2|line one\nline two|a,b\n"
                               "6:A3||\n"
                               "7:A4|last|\n");
    sbuf_free(&out);
}

static void
test_csv_errors(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        const char *err;
    } cases[] = {
        {"a,b\n\"open,c\n", "line 2: unterminated quoted field"},
        {"a,b\n\"x\"y,c\n", "line 2: text after a closing quote"},
        {"a,b\nx\"y,c\n", "line 2: quote inside an unquoted field"},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        sbuf_t out = {0};
        sbuf_init(&out);
        char err[128] = "";
        int rc = csv_dump(cases[i].text, strlen(cases[i].text), &out, err,
                          sizeof err);
        assert_int_equal(rc, -EINVAL);
        assert_string_equal(err, cases[i].err);
        sbuf_free(&out);
    }
}

static void
test_csv_continues_after_bad_line(void **state)
{
    (void)state;
    static const char text[] = "h\n\"x\"y\nok\n";
    csv_t c;
    csv_row_t row = {0};
    char err[128];
    csv_init(&c, text, sizeof text - 1);
    assert_int_equal(csv_next(&c, &row, err, sizeof err), 1);
    assert_int_equal(csv_next(&c, &row, err, sizeof err), -EINVAL);
    assert_int_equal(csv_next(&c, &row, err, sizeof err), 1);
    assert_int_equal(row.line, 3);
    assert_string_equal(row.fields[0], "ok");
    assert_int_equal(csv_next(&c, &row, err, sizeof err), 0);
    csv_row_clear(&row);
}

static csv_row_t
row_of(const char *text)
{
    csv_t c;
    csv_row_t row = {0};
    char err[128];
    csv_init(&c, text, strlen(text));
    assert_int_equal(csv_next(&c, &row, err, sizeof err), 1);
    return row;
}

static void
test_import_header(void **state)
{
    (void)state;
    int col[IMP_NCOLS];
    char err[256];
    csv_row_t r = row_of("Type, name ,USCC,contact_email\n");
    assert_int_equal(import_header(&r, col, err, sizeof err), 0);
    assert_int_equal(col[IMP_USCC], 2);
    assert_int_equal(col[IMP_NAME], 1);
    assert_int_equal(col[IMP_TYPE], 0);
    assert_int_equal(col[IMP_CONTACT_NAME], -1);
    assert_int_equal(col[IMP_CONTACT_EMAIL], 3);
    csv_row_clear(&r);

    r = row_of("uscc,name\n");
    assert_int_equal(import_header(&r, col, err, sizeof err), -EINVAL);
    assert_string_equal(err, "line 1: missing column \"type\"");
    csv_row_clear(&r);

    r = row_of("uscc,name,type,fax\n");
    assert_int_equal(import_header(&r, col, err, sizeof err), -EINVAL);
    assert_non_null(strstr(err, "unknown column \"fax\""));
    csv_row_clear(&r);

    r = row_of("uscc,name,type,name\n");
    assert_int_equal(import_header(&r, col, err, sizeof err), -EINVAL);
    assert_non_null(strstr(err, "\"name\" appears twice"));
    csv_row_clear(&r);
}

static void
test_import_request_id(void **state)
{
    (void)state;
    char a[64], b[64], c[64], d[64];
    csv_row_t r1 = row_of("X1,滨江,enterprise\n");
    csv_row_t r2 = row_of("\"X1\",滨江,enterprise\r\n"); /* same content */
    csv_row_t r3 = row_of("X1,滨江,university\n");
    import_request_id(&r1, "import", a, sizeof a);
    import_request_id(&r2, "import", b, sizeof b);
    import_request_id(&r3, "import", c, sizeof c);
    import_request_id(&r1, "import-admit", d, sizeof d);
    assert_string_equal(a, b);
    assert_string_not_equal(a, c);
    assert_string_not_equal(a, d);
    assert_int_equal(strncmp(a, "import-", 7), 0);
    assert_int_equal(strlen(a), 7 + 16);
    csv_row_clear(&r1);
    csv_row_clear(&r2);
    csv_row_clear(&r3);
}

/* ---- JSON -------------------------------------------------------------- */

static void
test_json_quote(void **state)
{
    (void)state;
    sbuf_t b = {0};
    sbuf_init(&b);
    const char in[] = "a\"b\\c\n\t\x01\x7f 滨江 \xff\xc3(";
    json_quote(&b, in, sizeof in - 1);
    assert_string_equal(b.p, "\"a\\\"b\\\\c\\n\\t\\u0001\\u007f 滨江 "
                             "\xef\xbf\xbd\xef\xbf\xbd(\"");
    sbuf_free(&b);
}

static void
test_json_writer(void **state)
{
    (void)state;
    sbuf_t b = {0};
    sbuf_init(&b);
    jw_t w;
    jw_init(&w, &b);
    jw_arr(&w);
    jw_obj(&w);
    jw_key(&w, "n");
    jw_int(&w, -5);
    jw_key(&w, "big");
    jw_uint(&w, UINT64_MAX);
    jw_key(&w, "list");
    jw_arr(&w);
    jw_str(&w, "x");
    jw_null(&w);
    jw_bool(&w, false);
    jw_arr_end(&w);
    jw_key(&w, "empty");
    jw_obj(&w);
    jw_obj_end(&w);
    jw_obj_end(&w);
    jw_obj(&w);
    jw_obj_end(&w);
    jw_arr_end(&w);
    assert_string_equal(b.p, "[{\"n\":-5,\"big\":18446744073709551615,"
                             "\"list\":[\"x\",null,false],\"empty\":{}},{}]");
    sbuf_free(&b);
}

static void
test_pbjson_member_and_oneof(void **state)
{
    (void)state;
    Cogov__V1__Member m = COGOV__V1__MEMBER__INIT;
    m.member_id = "91330100314150351Q";
    m.name = "滨江\"精工\"";
    m.has_type = true;
    m.type = COGOV__V1__MEMBER_TYPE__MEMBER_TYPE_LEADING_ENTERPRISE;
    m.has_status = true;
    m.status = COGOV__V1__MEMBER_STATUS__MEMBER_STATUS_ADMITTED;
    m.has_applied_at = true;
    m.applied_at = 1735660800;
    Cogov__V1__Reply rep = COGOV__V1__REPLY__INIT;
    rep.has_code = true;
    rep.code = COGOV__V1__STATUS_CODE__STATUS_OK;
    rep.body_case = COGOV__V1__REPLY__BODY_MEMBER;
    rep.member = &m;

    sbuf_t b = {0};
    sbuf_init(&b);
    jw_t w;
    jw_init(&w, &b);
    pbjson_message(&w, &rep.base);
    assert_string_equal(
        b.p, "{\"code\":\"OK\",\"heads\":[],\"member\":{"
             "\"member_id\":\"91330100314150351Q\","
             "\"name\":\"滨江\\\"精工\\\"\",\"type\":\"LEADING_ENTERPRISE\","
             "\"status\":\"ADMITTED\",\"applied_at\":1735660800}}");
    assert_ptr_equal(pb_oneof_message(&rep.base, rep.body_case), &m.base);
    assert_null(pb_oneof_message(&rep.base, COGOV__V1__REPLY__BODY_NOTICE));

    /* An enum value the descriptor does not know is written as a number. */
    m.status = 42;
    sbuf_reset(&b);
    jw_init(&w, &b);
    pbjson_message(&w, &m.base);
    assert_non_null(strstr(b.p, "\"status\":42"));
    sbuf_free(&b);
}

/* ---- width and tables ---------------------------------------------------- */

static void
test_width(void **state)
{
    (void)state;
    assert_int_equal(str_width("abc"), 3);
    assert_int_equal(str_width("滨江市"), 6);
    assert_int_equal(str_width("A滨B"), 4);
    assert_int_equal(str_width("，"), 2);        /* fullwidth comma */
    assert_int_equal(str_width("e\xcc\x81"), 1); /* e + combining acute */
    assert_int_equal(str_width("\xff\xfe"), 2);  /* invalid bytes: 1 each */
    assert_int_equal(str_width(""), 0);
    assert_int_equal(str_width(NULL), 0);

    sbuf_t b = {0};
    sbuf_init(&b);
    sbuf_put_width(&b, "滨江市教育局", 7);
    assert_string_equal(b.p, "滨江市…");
    assert_int_equal(str_width(b.p), 7);
    sbuf_reset(&b);
    sbuf_put_width(&b, "short", 7);
    assert_string_equal(b.p, "short");
    sbuf_reset(&b);
    sbuf_pad(&b, "滨江", 6, false);
    sbuf_putc(&b, '|');
    sbuf_pad(&b, "42", 4, true);
    assert_string_equal(b.p, "滨江  |  42");
    sbuf_free(&b);
}

static void
test_table(void **state)
{
    (void)state;
    static const char *const hdr[] = {"ID", "NAME", ">N"};
    table_t *t = table_new(3, hdr);
    table_cell(t, "a1");
    table_cell(t, "滨江市教育局");
    table_cell(t, "7");
    table_cell(t, "b22");
    table_cell(t, "ab");
    table_cellf(t, "%d", 1234);
    table_cell(t, "c");
    table_cell(t, NULL);
    table_cell(t, "x\ny");
    sbuf_t b = {0};
    sbuf_init(&b);
    table_render(t, &b);
    assert_string_equal(b.p, "ID   NAME             N\n"
                             "a1   滨江市教育局     7\n"
                             "b22  ab            1234\n"
                             "c    -              x y\n");
    sbuf_free(&b);
    table_destroy(&t);
    assert_null(t);
    table_destroy(&t); /* NULL is fine */
}

/* ---- enums and formats ----------------------------------------------------
 */

static void
test_enums(void **state)
{
    (void)state;
    const ProtobufCEnumDescriptor *mt = &cogov__v1__member_type__descriptor;
    assert_int_equal(enum_parse(mt, "leading_enterprise"),
                     COGOV__V1__MEMBER_TYPE__MEMBER_TYPE_LEADING_ENTERPRISE);
    assert_int_equal(
        enum_parse(mt, "Higher-Vocational-College"),
        COGOV__V1__MEMBER_TYPE__MEMBER_TYPE_HIGHER_VOCATIONAL_COLLEGE);
    assert_int_equal(enum_parse(mt, "MEMBER_TYPE_UNIVERSITY"),
                     COGOV__V1__MEMBER_TYPE__MEMBER_TYPE_UNIVERSITY);
    assert_int_equal(enum_parse(mt, "unspecified"), -1);
    assert_int_equal(enum_parse(mt, "enterprises"), -1);
    assert_int_equal(enum_parse(mt, ""), -1);
    assert_int_equal(enum_parse(mt, NULL), -1);
    assert_int_equal(
        member_type_parse("高职院校"),
        COGOV__V1__MEMBER_TYPE__MEMBER_TYPE_HIGHER_VOCATIONAL_COLLEGE);
    assert_int_equal(member_type_parse("operating_company"),
                     COGOV__V1__MEMBER_TYPE__MEMBER_TYPE_OPERATING_COMPANY);
    assert_int_equal(member_type_parse("公司"), -1);
    assert_string_equal(enum_short(mt, 3), "LEADING_ENTERPRISE");
    assert_null(enum_short(mt, 99));
    assert_string_equal(enum_text(mt, 99), "99");
    assert_string_equal(enum_short(&cogov__v1__member_status__descriptor, 2),
                        "ADMITTED");
    assert_int_equal(enum_parse(&cogov__v1__notice_kind__descriptor, "welcome"),
                     COGOV__V1__NOTICE_KIND__NOTICE_KIND_WELCOME);
    assert_string_equal(status_text(COGOV__V1__STATUS_CODE__STATUS_NOT_FOUND),
                        "NOT_FOUND");
}

static void
test_status_exit(void **state)
{
    (void)state;
    assert_int_equal(status_exit(COGOV__V1__STATUS_CODE__STATUS_OK), 0);
    assert_int_equal(status_exit(COGOV__V1__STATUS_CODE__STATUS_INVALID), 2);
    assert_int_equal(status_exit(COGOV__V1__STATUS_CODE__STATUS_NOT_FOUND), 3);
    assert_int_equal(
        status_exit(COGOV__V1__STATUS_CODE__STATUS_PERMISSION_DENIED), 4);
    assert_int_equal(
        status_exit(COGOV__V1__STATUS_CODE__STATUS_UNAUTHENTICATED), 4);
    assert_int_equal(status_exit(COGOV__V1__STATUS_CODE__STATUS_CONFLICT), 5);
    assert_int_equal(status_exit(COGOV__V1__STATUS_CODE__STATUS_UNAVAILABLE),
                     6);
    assert_int_equal(status_exit(COGOV__V1__STATUS_CODE__STATUS_INTERNAL), 7);
    assert_int_equal(status_exit(COGOV__V1__STATUS_CODE__STATUS_UNSPECIFIED),
                     7);
    assert_int_equal(status_exit(1000), 7);
}

static void
test_formats(void **state)
{
    (void)state;
    char buf[32];
    fmt_time(0, CTL_UTC_OFFSET, buf, sizeof buf);
    assert_string_equal(buf, "-");
    fmt_time(1735660800, CTL_UTC_OFFSET, buf, sizeof buf);
    assert_string_equal(buf, "2025-01-01 00:00");
    fmt_duration(42, buf, sizeof buf);
    assert_string_equal(buf, "42s");
    fmt_duration(3 * 86400 + 4 * 3600 + 5, buf, sizeof buf);
    assert_string_equal(buf, "3d04h");
    fmt_bytes(812, buf, sizeof buf);
    assert_string_equal(buf, "812 B");
    fmt_bytes(1536, buf, sizeof buf);
    assert_string_equal(buf, "1.5 KiB");
    fmt_bytes(12 * 1024 * 1024, buf, sizeof buf);
    assert_string_equal(buf, "12.0 MiB");

    char s[] = "  \t x y \r\n";
    assert_string_equal(str_trim(s), "x y");
}

static void
test_pbsummary_and_show(void **state)
{
    (void)state;
    Cogov__V1__MemberStatusChanged ev = COGOV__V1__MEMBER_STATUS_CHANGED__INIT;
    ev.member_id = "M1";
    ev.name = "滨江 大学";
    ev.has_from = true;
    ev.from = COGOV__V1__MEMBER_STATUS__MEMBER_STATUS_APPLIED;
    ev.has_to = true;
    ev.to = COGOV__V1__MEMBER_STATUS__MEMBER_STATUS_ADMITTED;
    sbuf_t b = {0};
    sbuf_init(&b);
    pbsummary(&b, &ev.base, CTL_UTC_OFFSET);
    assert_string_equal(b.p, "member_id=M1 name=\"滨江 大学\" from=APPLIED "
                             "to=ADMITTED");

    Cogov__V1__Calendar cal = COGOV__V1__CALENDAR__INIT;
    cal.has_now = true;
    cal.now = 1743382800;
    cal.has_manual = true;
    cal.manual = 1;
    sbuf_reset(&b);
    pbshow(&b, &cal.base, CTL_UTC_OFFSET);
    assert_string_equal(b.p, "now     2025-03-31 09:00\nmanual  yes\n");
    sbuf_free(&b);
}

int
main(void)
{
    /* Display widths follow the locale the CLI sets. */
    setlocale(LC_ALL, "C.UTF-8");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv_plain_and_quoted),
        cmocka_unit_test(test_csv_errors),
        cmocka_unit_test(test_csv_continues_after_bad_line),
        cmocka_unit_test(test_import_header),
        cmocka_unit_test(test_import_request_id),
        cmocka_unit_test(test_json_quote),
        cmocka_unit_test(test_json_writer),
        cmocka_unit_test(test_pbjson_member_and_oneof),
        cmocka_unit_test(test_width),
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_enums),
        cmocka_unit_test(test_status_exit),
        cmocka_unit_test(test_formats),
        cmocka_unit_test(test_pbsummary_and_show),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

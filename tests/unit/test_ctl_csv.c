/* test_ctl_csv: cogovctl's CSV reader as the imports use it — BOM, CRLF,
 * quoted fields with commas, quotes and newlines, line numbers of the
 * records, and invalid UTF-8 reported with its line without losing the
 * next record. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../tools/cogovctl_util.c"

static void
test_quoted_and_bom(void **state)
{
    (void)state;
    static const char text[] = "\xef\xbb\xbfmember_id,occupation,details\r\n"
                               "E1,数控车工,\"a, b\"\r\n"
                               "E2,\"电\"\"工\",\"two\r\nlines\"\r\n"
                               "E3,钳工,\n";
    csv_t c;
    csv_row_t row = {0};
    char err[128] = "";
    csv_init(&c, text, sizeof text - 1);
    assert_int_equal(csv_next(&c, &row, err, sizeof err), 1);
    assert_int_equal(row.line, 1);
    assert_string_equal(row.fields[0], "member_id"); /* BOM skipped */
    assert_int_equal(csv_next(&c, &row, err, sizeof err), 1);
    assert_int_equal(row.n, 3);
    assert_string_equal(row.fields[2], "a, b");
    assert_int_equal(csv_next(&c, &row, err, sizeof err), 1);
    assert_int_equal(row.line, 3);
    assert_string_equal(row.fields[1], "电\"工");
    assert_string_equal(row.fields[2], "two\r\nlines");
    assert_int_equal(csv_next(&c, &row, err, sizeof err), 1);
    assert_int_equal(row.line, 5); /* after the two-line record */
    assert_string_equal(row.fields[0], "E3");
    assert_string_equal(row.fields[2], "");
    assert_int_equal(csv_next(&c, &row, err, sizeof err), 0);
    csv_row_clear(&row);
}

static void
test_invalid_utf8(void **state)
{
    (void)state;
    static const char text[] = "h1,h2\n"
                               "ok,好\n"
                               "x,\xe5\xa5\n"         /* truncated sequence */
                               "\"q\xc0\xaf\",y\n"    /* overlong, quoted */
                               "last,\xe5\xa5\xbd\n"; /* fine */
    csv_t c;
    csv_row_t row = {0};
    char err[128] = "";
    csv_init(&c, text, sizeof text - 1);
    assert_int_equal(csv_next(&c, &row, err, sizeof err), 1);
    assert_int_equal(csv_next(&c, &row, err, sizeof err), 1);
    assert_string_equal(row.fields[1], "好");
    assert_int_equal(csv_next(&c, &row, err, sizeof err), -EINVAL);
    assert_string_equal(err, "line 3: field 2 is not valid UTF-8");
    assert_int_equal(row.n, 0);
    assert_int_equal(csv_next(&c, &row, err, sizeof err), -EINVAL);
    assert_string_equal(err, "line 4: field 1 is not valid UTF-8");
    /* The record after the bad ones is still read. */
    assert_int_equal(csv_next(&c, &row, err, sizeof err), 1);
    assert_int_equal(row.line, 5);
    assert_string_equal(row.fields[0], "last");
    assert_int_equal(csv_next(&c, &row, err, sizeof err), 0);
    csv_row_clear(&row);
}

static void
test_import_ids_from_content(void **state)
{
    (void)state;
    csv_t c;
    csv_row_t a = {0}, b = {0};
    char err[64], ra[64], rb[64], rc[64];
    static const char t1[] = "E1,电工,3\n", t2[] = "E1,电工,4\n";
    csv_init(&c, t1, sizeof t1 - 1);
    assert_int_equal(csv_next(&c, &a, err, sizeof err), 1);
    csv_init(&c, t2, sizeof t2 - 1);
    assert_int_equal(csv_next(&c, &b, err, sizeof err), 1);
    import_request_id(&a, "import-demand", ra, sizeof ra);
    import_request_id(&a, "import-demand", rb, sizeof rb);
    import_request_id(&b, "import-demand", rc, sizeof rc);
    assert_string_equal(ra, rb);
    assert_string_not_equal(ra, rc);
    csv_row_clear(&a);
    csv_row_clear(&b);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quoted_and_bom),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_import_ids_from_content),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

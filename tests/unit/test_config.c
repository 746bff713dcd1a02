/* test_config: table-driven key = value files, defaults, bounds and
 * file:line errors. */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "util.h"

typedef struct common_cfg {
    char store[CFG_STR_MAX];
    long long port;
    bool manual;
    char timezone[CFG_STR_MAX];
} common_cfg_t;

typedef struct svc_cfg {
    long long offset;
    long long retries;
    char motto[CFG_STR_MAX];
} svc_cfg_t;

static const cfg_field_t common_fields[] = {
    {"store", CFG_STRING, offsetof(common_cfg_t, store), "/var/lib/cogov/x.db",
     0, 0, "SQLite store path"},
    {"port", CFG_INT, offsetof(common_cfg_t, port), "7001", 1, 65535,
     "TCP port"},
    {"manual", CFG_BOOL, offsetof(common_cfg_t, manual), NULL, 0, 0,
     "manual calendar\nadvanced only by command"},
    {"timezone", CFG_STRING, offsetof(common_cfg_t, timezone), "Asia/Shanghai",
     0, 0, NULL},
    {NULL, 0, 0, NULL, 0, 0, NULL},
};

static const cfg_field_t svc_fields[] = {
    {"offset", CFG_INT, offsetof(svc_cfg_t, offset), "-5", 0, 0, "unbounded"},
    {"retries", CFG_INT, offsetof(svc_cfg_t, retries), NULL, 0, 10, "0..10"},
    {"motto", CFG_STRING, offsetof(svc_cfg_t, motto), NULL, 0, 0, "text"},
    {NULL, 0, 0, NULL, 0, 0, NULL},
};

typedef struct fixture {
    char dir[64];
    char path[128];
    common_cfg_t c;
    svc_cfg_t s;
    cfg_section_t secs[2];
    char err[512];
} fixture_t;

static int
setup(void **state)
{
    fixture_t *f = xcalloc(1, sizeof *f);
    strcpy(f->dir, "/tmp/cogov-test-config-XXXXXX");
    if (mkdtemp(f->dir) == NULL)
        return -1;
    snprintf(f->path, sizeof f->path, "%s/x.conf", f->dir);
    /* Garbage, so a missing default shows. */
    memset(&f->c, 0x5a, sizeof f->c);
    memset(&f->s, 0x5a, sizeof f->s);
    f->secs[0] = (cfg_section_t){common_fields, &f->c};
    f->secs[1] = (cfg_section_t){svc_fields, &f->s};
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    fixture_t *f = *state;
    unlink(f->path);
    char sample[160];
    snprintf(sample, sizeof sample, "%s/sample.conf", f->dir);
    unlink(sample);
    rmdir(f->dir);
    free(f);
    return 0;
}

static void
write_file(const fixture_t *f, const char *text)
{
    FILE *fp = fopen(f->path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

static int
load(fixture_t *f, const char *text)
{
    write_file(f, text);
    f->err[0] = 0;
    return cfg_load(f->secs, 2, f->path, f->err, sizeof f->err);
}

/* err must be "<path>:<line>: <what>". */
static void
assert_err(const fixture_t *f, int line, const char *what)
{
    char want[512];
    snprintf(want, sizeof want, "%s:%d: %s", f->path, line, what);
    assert_string_equal(f->err, want);
}

static void
test_defaults(void **state)
{
    fixture_t *f = *state;
    cfg_defaults(f->secs, 2);
    assert_string_equal(f->c.store, "/var/lib/cogov/x.db");
    assert_int_equal(f->c.port, 7001);
    assert_false(f->c.manual);
    assert_string_equal(f->c.timezone, "Asia/Shanghai");
    assert_int_equal(f->s.offset, -5);
    assert_int_equal(f->s.retries, 0);
    assert_string_equal(f->s.motto, "");
}

static void
test_load_ok(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(load(f, "# cogov-coordination\n"
                             "\n"
                             "   store   =   /srv/c.db   \n"
                             "port=8080\r\n"
                             "\tmanual = Yes\n"
                             "  # indented comment\n"
                             "motto = \"  产教融合 = 协同 # not a comment \"\n"
                             "offset = -9223372036854775808\n"),
                     0);
    assert_string_equal(f->err, "");
    assert_string_equal(f->c.store, "/srv/c.db");
    assert_int_equal(f->c.port, 8080);
    assert_true(f->c.manual);
    assert_string_equal(f->c.timezone, "Asia/Shanghai"); /* default kept */
    assert_string_equal(f->s.motto, "  产教融合 = 协同 # not a comment ");
    assert_true(f->s.offset == LLONG_MIN);
    assert_int_equal(f->s.retries, 0);
}

static void
test_bools(void **state)
{
    fixture_t *f = *state;
    static const char *const yes[] = {"true", "yes", "on", "1", "TRUE", "On"};
    static const char *const no[] = {"false", "no", "off", "0", "False"};
    char text[64];
    for (size_t i = 0; i < ARRAY_LEN(yes); i++) {
        snprintf(text, sizeof text, "manual = %s\n", yes[i]);
        assert_int_equal(load(f, text), 0);
        assert_true(f->c.manual);
    }
    for (size_t i = 0; i < ARRAY_LEN(no); i++) {
        snprintf(text, sizeof text, "manual = %s\n", no[i]);
        f->c.manual = true;
        assert_int_equal(load(f, text), 0);
        assert_false(f->c.manual);
    }
    assert_int_equal(load(f, "\nmanual = maybe\n"), -EINVAL);
    assert_err(f, 2,
               "manual: 'maybe' is not a boolean (true/false, yes/no, "
               "on/off, 1/0)");
    assert_int_equal(load(f, "manual =\n"), -EINVAL);
}

static void
test_errors(void **state)
{
    fixture_t *f = *state;

    assert_int_equal(load(f, "store = a\n# c\nfoo = 1\n"), -EINVAL);
    assert_err(f, 3, "unknown key 'foo'");
    /* What came before the bad line is kept. */
    assert_string_equal(f->c.store, "a");

    assert_int_equal(load(f, "\n\nport = 99999\n"), -EINVAL);
    assert_err(f, 3, "port: 99999 out of range 1..65535");
    assert_int_equal(f->c.port, 7001);

    assert_int_equal(load(f, "port = 0\n"), -EINVAL);
    assert_err(f, 1, "port: 0 out of range 1..65535");

    assert_int_equal(load(f, "retries = -1\n"), -EINVAL);
    assert_err(f, 1, "retries: -1 out of range 0..10");

    assert_int_equal(load(f, "a\nb\nc\njust words\n"), -EINVAL);
    assert_err(f, 1, "expected 'key = value'");
    assert_int_equal(load(f, "# x\n\n\njust words\n"), -EINVAL);
    assert_err(f, 4, "expected 'key = value'");
    assert_int_equal(load(f, " = 5\n"), -EINVAL);
    assert_err(f, 1, "expected 'key = value'");

    assert_int_equal(load(f, "store = a\nport = 1\n\n\nstore = b\n"), -EINVAL);
    assert_err(f, 5, "duplicate key 'store'");

    static const char *const not_int[] = {"12abc", "0x10", "",   "+",  "-",
                                          "1 2",   "1.5",  " 7", "--1"};
    for (size_t i = 0; i < ARRAY_LEN(not_int); i++) {
        char text[64], what[96];
        snprintf(text, sizeof text, "offset = \"%s\"\n", not_int[i]);
        assert_int_equal(load(f, text), -EINVAL);
        snprintf(what, sizeof what, "offset: '%s' is not an integer",
                 not_int[i]);
        assert_err(f, 1, what);
    }
    assert_int_equal(load(f, "offset = 9223372036854775808\n"), -EINVAL);
    assert_err(f, 1, "offset: 9223372036854775808 out of range");
    assert_int_equal(load(f, "offset = -9223372036854775809\n"), -EINVAL);
    assert_int_equal(load(f, "offset = +42\n"), 0);
    assert_int_equal(f->s.offset, 42);

    /* Strings: CFG_STR_MAX-1 bytes fit, one more does not. */
    char text[CFG_STR_MAX + 32];
    char value[CFG_STR_MAX + 1];
    memset(value, 'v', CFG_STR_MAX - 1);
    value[CFG_STR_MAX - 1] = 0;
    snprintf(text, sizeof text, "motto = %s\n", value);
    assert_int_equal(load(f, text), 0);
    assert_string_equal(f->s.motto, value);
    strcat(value, "v");
    snprintf(text, sizeof text, "motto = %s\n", value);
    assert_int_equal(load(f, text), -EINVAL);
    assert_err(f, 1, "motto: value longer than 255 bytes");
}

static void
test_missing_file(void **state)
{
    fixture_t *f = *state;
    char path[200];
    snprintf(path, sizeof path, "%s/nope.conf", f->dir);
    assert_int_equal(cfg_load(f->secs, 2, path, f->err, sizeof f->err),
                     -ENOENT);
    assert_non_null(strstr(f->err, path));
    /* Defaults are still set. */
    assert_int_equal(f->c.port, 7001);
}

static void
test_set(void **state)
{
    fixture_t *f = *state;
    cfg_defaults(f->secs, 2);
    assert_int_equal(cfg_set(f->secs, 2, "port", "9000", f->err, sizeof f->err),
                     0);
    assert_int_equal(f->c.port, 9000);
    assert_int_equal(
        cfg_set(f->secs, 2, "retries", "11", f->err, sizeof f->err), -EINVAL);
    assert_string_equal(f->err, "retries: 11 out of range 0..10");
    assert_int_equal(cfg_set(f->secs, 2, "nope", "1", f->err, sizeof f->err),
                     -EINVAL);
    assert_string_equal(f->err, "unknown key 'nope'");
    assert_int_equal(cfg_set(f->secs, 2, "manual", "on", f->err, sizeof f->err),
                     0);
    assert_true(f->c.manual);
}

static void
test_sample_round_trip(void **state)
{
    fixture_t *f = *state;
    cfg_defaults(f->secs, 2);
    f->c.port = 4242;
    f->c.manual = true;
    strcpy(f->c.timezone, "");
    strcpy(f->s.motto, " 协同 治理 ");
    f->s.offset = -77;

    char sample[160];
    snprintf(sample, sizeof sample, "%s/sample.conf", f->dir);
    FILE *fp = fopen(sample, "w");
    assert_non_null(fp);
    cfg_write_sample(f->secs, 2, fp);
    fclose(fp);

    fp = fopen(sample, "r");
    char text[4096];
    size_t n = fread(text, 1, sizeof text - 1, fp);
    fclose(fp);
    text[n] = 0;
    assert_non_null(strstr(text, "# TCP port\nport = 4242\n"));
    assert_non_null(strstr(text, "# manual calendar\n# advanced only by "
                                 "command\nmanual = true\n"));
    assert_non_null(strstr(text, "# SQLite store path\nstore = "
                                 "/var/lib/cogov/x.db\n"));

    common_cfg_t c2;
    svc_cfg_t s2;
    cfg_section_t secs2[2] = {{common_fields, &c2}, {svc_fields, &s2}};
    assert_int_equal(cfg_load(secs2, 2, sample, f->err, sizeof f->err), 0);
    assert_string_equal(c2.store, f->c.store);
    assert_int_equal(c2.port, 4242);
    assert_true(c2.manual);
    assert_string_equal(c2.timezone, "");
    assert_string_equal(s2.motto, " 协同 治理 ");
    assert_int_equal(s2.offset, -77);
    assert_int_equal(s2.retries, 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_ok, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bools, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_set, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sample_round_trip, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_validate: UTF-8, unified social credit codes, dates, text fields. */
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

#include "util.h"
#include "validate.h"

static unsigned test_seed;

typedef struct bytes {
    const char *s;
    size_t len;
} bytes_t;

#define B(lit)                                                                 \
    {                                                                          \
        lit, sizeof(lit) - 1                                                   \
    }

static void
test_utf8_table(void **state)
{
    (void)state;
    static const bytes_t good[] = {
        B(""),
        B("abc"),
        B("滨江市智能制造市域产教联合体"),
        B("\xc2\x80"),         /* U+0080 */
        B("\xdf\xbf"),         /* U+07FF */
        B("\xe0\xa0\x80"),     /* U+0800 */
        B("\xed\x9f\xbf"),     /* U+D7FF, last before surrogates */
        B("\xee\x80\x80"),     /* U+E000, first after */
        B("\xef\xbf\xbf"),     /* U+FFFF */
        B("\xf0\x90\x80\x80"), /* U+10000 */
        B("\xf0\x9f\x98\x80"), /* U+1F600 */
        B("\xf4\x8f\xbf\xbf"), /* U+10FFFF */
    };
    static const bytes_t bad[] = {
        B("a\0b"), /* NUL */
        B("\x80"), /* lone continuation */
        B("\xbf"),
        B("\xc0\x80"),         /* overlong NUL */
        B("\xc1\xbf"),         /* overlong */
        B("\xe0\x80\xaf"),     /* overlong '/' */
        B("\xe0\x9f\xbf"),     /* overlong U+07FF */
        B("\xed\xa0\x80"),     /* U+D800 surrogate */
        B("\xed\xbf\xbf"),     /* U+DFFF surrogate */
        B("\xf0\x8f\xbf\xbf"), /* overlong U+FFFF */
        B("\xf4\x90\x80\x80"), /* U+110000 */
        B("\xf5\x80\x80\x80"),
        B("\xf8\x88\x80\x80\x80"), /* 5-byte form */
        B("\xfe"),
        B("\xff"),
        B("\xe6\xbb"),     /* truncated */
        B("\xf0\x9f\x98"), /* truncated */
        B("\xe6\xbb\x41"), /* bad continuation */
        B("\xe6\x41\xbb"),
        B("ok\xc3"), /* truncated at end */
    };
    for (size_t i = 0; i < ARRAY_LEN(good); i++)
        if (!valid_utf8(good[i].s, good[i].len))
            fail_msg("good[%zu] rejected", i);
    for (size_t i = 0; i < ARRAY_LEN(bad); i++)
        if (valid_utf8(bad[i].s, bad[i].len))
            fail_msg("bad[%zu] accepted", i);
    /* len, not NUL, bounds the check. */
    assert_true(valid_utf8("\xe6\xbb\xa8", 3));
    assert_false(valid_utf8("\xe6\xbb\xa8", 2));
}

/* Reference: decode a code point the naive way, then apply RFC 3629's
 * rules to the value. Independent of the byte-range table in validate.c. */
static bool
ref_utf8(const unsigned char *p, size_t len)
{
    size_t i = 0;
    while (i < len) {
        unsigned c = p[i];
        size_t n;
        uint32_t cp, min;
        if (c == 0)
            return false;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xe0) == 0xc0) {
            n = 2, cp = c & 0x1f, min = 0x80;
        } else if ((c & 0xf0) == 0xe0) {
            n = 3, cp = c & 0x0f, min = 0x800;
        } else if ((c & 0xf8) == 0xf0) {
            n = 4, cp = c & 0x07, min = 0x10000;
        } else {
            return false;
        }
        if (i + n > len)
            return false;
        for (size_t k = 1; k < n; k++) {
            if ((p[i + k] & 0xc0) != 0x80)
                return false;
            cp = cp << 6 | (p[i + k] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += n;
    }
    return true;
}

static void
test_utf8_random(void **state)
{
    (void)state;
    static const unsigned char pick[] = {
        0x00, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf,
        0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xe6, 0xed, 0xee, 0xef,
        0xf0, 0xf1, 0xf4, 0xf5, 0xf8, 0xff, 0xbb, 0xa8, 0x81};
    srand(test_seed);
    unsigned agree_valid = 0;
    for (int iter = 0; iter < 200000; iter++) {
        unsigned char buf[8];
        size_t len = (size_t)(rand() % 8);
        for (size_t i = 0; i < len; i++)
            buf[i] = (rand() % 4) ? pick[rand() % ARRAY_LEN(pick)]
                                  : (unsigned char)rand();
        bool want = ref_utf8(buf, len);
        bool got = valid_utf8((const char *)buf, len);
        if (want != got) {
            char hex[64] = {0};
            for (size_t i = 0; i < len; i++)
                snprintf(hex + 3 * i, 4, "%02x ", buf[i]);
            fail_msg("seed %u: [%s] reference %d, valid_utf8 %d", test_seed,
                     hex, want, got);
        }
        agree_valid += want;
    }
    /* The generator must produce both outcomes to mean anything. */
    assert_true(agree_valid > 1000);
}

static void
test_utf8_chars(void **state)
{
    (void)state;
    assert_int_equal(utf8_chars(""), 0);
    assert_int_equal(utf8_chars(NULL), 0);
    assert_int_equal(utf8_chars("abc"), 3);
    assert_int_equal(utf8_chars("滨江市"), 3);
    assert_int_equal(utf8_chars("a\xf0\x9f\x98\x80"
                                "b"),
                     3);
}

/* ---- USCC --------------------------------------------------------------- */

static const char charset[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";

/* Published codes of real organisations; both checks computed by hand. */
static const char *const real_codes[] = {
    "91350100M000100Y43", /* org code with letters: M000100Y-4 */
    "91110000600037341L", "91440300708461136T", "914403001922038216",
    "91110108551385082Q", "9144030071526726XG", /* org check digit X */
};

static char
org_check(const char *o)
{
    static const int w[8] = {3, 7, 9, 10, 5, 8, 4, 2};
    int sum = 0;
    for (int i = 0; i < 8; i++)
        sum += (o[i] <= '9' ? o[i] - '0' : o[i] - 'A' + 10) * w[i];
    int c = 11 - sum % 11;
    return c == 10 ? 'X' : c == 11 ? '0' : (char)('0' + c);
}

static char
uscc_check(const char *s)
{
    static const int w[17] = {1,  3,  9,  27, 19, 26, 16, 17, 20,
                              29, 25, 13, 8,  24, 10, 30, 28};
    int sum = 0;
    for (int i = 0; i < 17; i++)
        sum += (int)(strchr(charset, s[i]) - charset) * w[i];
    return charset[(31 - sum % 31) % 31];
}

/* A valid code from a random body. */
static void
make_uscc(char out[19])
{
    static const char auth[] = "123456789ANY";
    out[0] = auth[rand() % (int)(sizeof auth - 1)];
    out[1] = (char)('1' + rand() % 9);
    for (int i = 2; i < 8; i++)
        out[i] = (char)('0' + rand() % 10);
    for (int i = 8; i < 16; i++)
        out[i] = charset[rand() % 31];
    out[16] = org_check(out + 8);
    out[17] = uscc_check(out);
    out[18] = 0;
}

static void
test_uscc_real(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(real_codes); i++) {
        if (!valid_uscc(real_codes[i]))
            fail_msg("real code %s rejected", real_codes[i]);
        /* The helpers agree with the published check characters. */
        assert_int_equal(uscc_check(real_codes[i]), real_codes[i][17]);
        assert_int_equal(org_check(real_codes[i] + 8), real_codes[i][16]);
    }
}

static void
test_uscc_bad_shapes(void **state)
{
    (void)state;
    assert_false(valid_uscc(NULL));
    assert_false(valid_uscc(""));
    assert_false(valid_uscc("91350100M000100Y4"));   /* 17 */
    assert_false(valid_uscc("91350100M000100Y433")); /* 19 */
    assert_false(valid_uscc("91350100m000100Y43"));  /* lower case */

    /* Right final check, wrong organisation-code check digit. */
    char c[19];
    strcpy(c, "91350100M000100Y43");
    c[16] = '5';
    c[17] = uscc_check(c);
    assert_false(valid_uscc(c));

    /* Right checks, but no such registration authority or type, or letters
     * in the administrative division. */
    static const char *const bodies[] = {"B1", "90", "0", "1A"};
    for (size_t i = 0; i < ARRAY_LEN(bodies); i++) {
        strcpy(c, "91350100M000100Y43");
        memcpy(c, bodies[i], strlen(bodies[i]));
        c[17] = uscc_check(c);
        if (valid_uscc(c))
            fail_msg("%s accepted", c);
    }
    strcpy(c, "913501A0M000100Y43");
    c[17] = uscc_check(c);
    assert_false(valid_uscc(c));
}

static void
test_uscc_generated(void **state)
{
    (void)state;
    srand(test_seed);
    for (int n = 0; n < 300; n++) {
        char code[19];
        make_uscc(code);
        if (!valid_uscc(code))
            fail_msg("seed %u: generated %s rejected", test_seed, code);

        /* Every single-character change is caught by the final check. */
        for (int pos = 0; pos < 18; pos++) {
            for (const char *r = charset; *r; r++) {
                if (*r == code[pos])
                    continue;
                char m[19];
                memcpy(m, code, sizeof m);
                m[pos] = *r;
                if (uscc_check(m) == m[17])
                    fail_msg("seed %u: %s -> %s passes the final check",
                             test_seed, code, m);
                if (valid_uscc(m))
                    fail_msg("seed %u: %s -> %s accepted", test_seed, code, m);
            }
            /* Characters outside the set. */
            static const char outside[] = "IOSVZiaz -";
            for (const char *r = outside; *r; r++) {
                char m[19];
                memcpy(m, code, sizeof m);
                m[pos] = *r;
                if (valid_uscc(m))
                    fail_msg("seed %u: %s accepted", test_seed, m);
            }
        }
    }
}

/* ---- dates and text ----------------------------------------------------- */

static void
test_dates(void **state)
{
    (void)state;
    static const char *const good[] = {"2025-06-30", "2024-02-29", "2000-02-29",
                                       "1900-01-01", "2199-12-31", "2025-12-31",
                                       "2025-04-30"};
    static const char *const bad[] = {
        "2023-02-29", "1900-02-29",    "2100-02-29",
        "1899-12-31", "2200-01-01",    "2025-04-31",
        "2025-13-01", "2025-00-01",    "2025-01-00",
        "2025-1-01",  "2025-01-01 ",   " 2025-01-01",
        "2025/01/01", "20250101",      "",
        "2025-01-0a", "２０２５-01-01"};
    for (size_t i = 0; i < ARRAY_LEN(good); i++)
        if (!valid_date(good[i]))
            fail_msg("%s rejected", good[i]);
    for (size_t i = 0; i < ARRAY_LEN(bad); i++)
        if (valid_date(bad[i]))
            fail_msg("\"%s\" accepted", bad[i]);
    assert_false(valid_date(NULL));
}

static void
test_text(void **state)
{
    (void)state;
    assert_true(valid_text(NULL, 10, false));
    assert_true(valid_text("", 10, false));
    assert_false(valid_text(NULL, 10, true));
    assert_false(valid_text("", 10, true));
    assert_true(valid_text("滨江市", 3, true));
    assert_false(valid_text("滨江市", 2, true));
    assert_true(valid_text("line 1\nline 2\tend", 100, true));
    assert_false(valid_text("a\rb", 100, true));
    assert_false(valid_text("a\x01", 100, true));
    assert_false(valid_text("a\x7f", 100, true));
    assert_false(valid_text("a\xc2\x85", 100, true)); /* NEL, a C1 control */
    assert_true(valid_text("a\xc2\xa0", 100, true));  /* NBSP is text */
    assert_false(valid_text("\xed\xa0\x80", 100, true));
    assert_false(valid_text("\xe6\xbb", 100, true));
}

int
main(void)
{
    const char *env = getenv("COGOV_TEST_SEED");
    test_seed = env ? (unsigned)strtoul(env, NULL, 10) : (unsigned)time(NULL);
    printf("test_validate: seed %u (set COGOV_TEST_SEED to repeat)\n",
           test_seed);

    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_utf8_table),
        cmocka_unit_test(test_utf8_random),
        cmocka_unit_test(test_utf8_chars),
        cmocka_unit_test(test_uscc_real),
        cmocka_unit_test(test_uscc_bad_shapes),
        cmocka_unit_test(test_uscc_generated),
        cmocka_unit_test(test_dates),
        cmocka_unit_test(test_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* validate: UTF-8, unified social credit codes, dates and text fields. */
#include "validate.h"

#include <stdio.h>
#include <string.h>

bool
valid_utf8(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    const unsigned char *end = p + len;

    if (s == NULL)
        return len == 0;
    while (p < end) {
        unsigned c = *p;
        if (c == 0)
            return false;
        if (c < 0x80) {
            p++;
            continue;
        }
        size_t n;
        unsigned lo = 0x80, hi = 0xbf; /* range of the second byte */
        if (c >= 0xc2 && c <= 0xdf) {
            n = 2;
        } else if (c >= 0xe0 && c <= 0xef) {
            n = 3;
            if (c == 0xe0)
                lo = 0xa0; /* overlong */
            else if (c == 0xed)
                hi = 0x9f; /* surrogates */
        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 4;
            if (c == 0xf0)
                lo = 0x90; /* overlong */
            else if (c == 0xf4)
                hi = 0x8f; /* above U+10FFFF */
        } else {
            return false; /* continuation, overlong C0/C1, or F5..FF */
        }
        if ((size_t)(end - p) < n)
            return false;
        if (p[1] < lo || p[1] > hi)
            return false;
        for (size_t i = 2; i < n; i++)
            if ((p[i] & 0xc0) != 0x80)
                return false;
        p += n;
    }
    return true;
}

size_t
utf8_chars(const char *s)
{
    size_t n = 0;
    if (s == NULL)
        return 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if ((*p & 0xc0) != 0x80)
            n++;
    return n;
}

/* GB 32100-2015 character set: digits and capitals without I, O, S, V, Z. */
static const char uscc_charset[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";

static int
uscc_value(char c)
{
    if (c == 0)
        return -1;
    const char *p = strchr(uscc_charset, c);
    return p ? (int)(p - uscc_charset) : -1;
}

/* The check digit of a GB 11714 organisation code's 8 body chars o (digits
 * and capitals), or 0 if one is neither. */
static char
org_check(const char *o)
{
    static const int w[8] = {3, 7, 9, 10, 5, 8, 4, 2};
    int sum = 0;
    for (int i = 0; i < 8; i++) {
        char c = o[i];
        int v;
        if (c >= '0' && c <= '9')
            v = c - '0';
        else if (c >= 'A' && c <= 'Z')
            v = c - 'A' + 10;
        else
            return 0;
        sum += v * w[i];
    }
    int check = 11 - sum % 11;
    return check == 10 ? 'X' : check == 11 ? '0' : (char)('0' + check);
}

/* The check character of a USCC's first 17 chars s, or 0 if one is not in
 * the character set. */
static char
uscc_check(const char *s)
{
    static const int w[17] = {1,  3,  9,  27, 19, 26, 16, 17, 20,
                              29, 25, 13, 8,  24, 10, 30, 28};
    int sum = 0;
    for (int i = 0; i < 17; i++) {
        int v = uscc_value(s[i]);
        if (v < 0)
            return 0;
        sum += v * w[i];
    }
    int check = 31 - sum % 31;
    return uscc_charset[check == 31 ? 0 : check];
}

bool
valid_uscc(const char *s)
{
    if (s == NULL || strlen(s) != 18)
        return false;
    /* Registration authority (1-9 and the later A, N, Y) and the
     * organisation type under it (a digit 1-9 in every category). */
    if (strchr("123456789ANY", s[0]) == NULL || s[1] < '1' || s[1] > '9')
        return false;
    /* Administrative division code of the registering authority. */
    for (int i = 2; i < 8; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    char want = uscc_check(s);
    if (want == 0 || s[17] != want)
        return false;
    want = org_check(s + 8);
    return want != 0 && s[16] == want;
}

void
uscc_make(unsigned n, char *buf)
{
    /* "91" enterprise, region 330100, then an organisation code from n */
    snprintf(buf, 19, "91330100%08u", 10000000u + n % 89999999u);
    buf[16] = org_check(buf + 8);
    buf[17] = uscc_check(buf);
    buf[18] = 0;
}

bool
valid_date(const char *s)
{
    if (s == NULL || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return false;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return false;
    int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 +
            (s[3] - '0');
    int m = (s[5] - '0') * 10 + (s[6] - '0');
    int d = (s[8] - '0') * 10 + (s[9] - '0');
    static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1900 || y > 2199 || m < 1 || m > 12 || d < 1)
        return false;
    int max = dim[m - 1];
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        max = 29;
    return d <= max;
}

bool
valid_text(const char *s, size_t max_chars, bool required)
{
    if (s == NULL || s[0] == 0)
        return !required;
    size_t len = strlen(s);
    if (!valid_utf8(s, len))
        return false;
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < len; i++) {
        if ((p[i] < 0x20 && p[i] != '\n' && p[i] != '\t') || p[i] == 0x7f)
            return false;
        /* C1 controls U+0080..U+009F are C2 80..C2 9F. */
        if (p[i] == 0xc2 && i + 1 < len && p[i + 1] <= 0x9f)
            return false;
    }
    return utf8_chars(s) <= max_chars;
}

/* validate: checks for untrusted input, used at the one decoding boundary
 * (pb.c) and by handlers for semantic checks. No I/O. */
#ifndef COGOV_VALIDATE_H
#define COGOV_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>

/* Strict UTF-8 (RFC 3629): no overlongs, no surrogates, nothing above
 * U+10FFFF, no NUL bytes. */
bool valid_utf8(const char *s, size_t len);

/* Unified social credit code (统一社会信用代码, GB 32100-2015): 18 chars from
 * "0123456789ABCDEFGHJKLMNPQRTUWXY", registration-authority code and type in
 * the first two, a 9-char organisation code whose own check digit (GB 11714)
 * is right, and the final check character right. */
bool valid_uscc(const char *s);
/* A valid USCC made from n (enterprise "91", region 330100, an
 * organisation code from n): fixtures for tests and benchmarks. buf >= 19. */
void uscc_make(unsigned n, char *buf);

/* "YYYY-MM-DD", a real calendar date, years 1900..2199. */
bool valid_date(const char *s);

/* A human-facing text field: non-empty if required, at most max_chars
 * Unicode characters, valid UTF-8, no control characters other than \n and
 * \t. Returns true if fine. */
bool valid_text(const char *s, size_t max_chars, bool required);

/* Number of UTF-8 code points in a valid string. */
size_t utf8_chars(const char *s);

#endif

/* util: allocation that aborts on OOM, time, small string helpers. */
#ifndef COGOV_UTIL_H
#define COGOV_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Out of memory aborts: handlers carry no ENOMEM paths (STYLE.md). */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s); /* NULL -> NULL */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The strings up to the NULL that ends the list, joined into one xmalloc'd
 * string: texts built on a hot path, where xasprintf costs ~1,000
 * instructions for parsing its format. */
char *xconcat(const char *first, ...) __attribute__((sentinel));
/* v in decimal into buf (room for 21 bytes), NUL-terminated; returns the
 * length (snprintf's "%" PRIu64 without the format). */
size_t fmt_u64(char *buf, uint64_t v);

int64_t now_wall_ms(void); /* CLOCK_REALTIME in ms */
int64_t now_wall_us(void); /* CLOCK_REALTIME in microseconds */
int64_t now_mono_ms(void); /* CLOCK_MONOTONIC in ms */

/* Copy src into dst[size], always NUL-terminated; returns -ENAMETOOLONG if
 * truncated (dst still terminated). */
int str_copy(char *dst, size_t size, const char *src);

/* true if s is NULL or "". */
static inline bool
str_empty(const char *s)
{
    return s == NULL || s[0] == 0;
}

/* FNV-1a 64-bit. */
uint64_t hash64(const void *data, size_t len);

/* Format Unix seconds as "YYYY-MM-DD HH:MM" in the given UTC offset
 * (seconds east); buf >= 32. Parse "YYYY-MM-DD" or "YYYY-MM-DD HH:MM[:SS]"
 * or "YYYY-MM-DDTHH:MM[:SS]" in that offset; returns 0 or -EINVAL. */
void time_format(int64_t t, int utc_offset_s, char *buf, size_t size);
int time_parse(const char *s, int utc_offset_s, int64_t *out);

#endif

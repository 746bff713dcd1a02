/* log: logfmt lines with a syslog priority prefix, one write(2) per line. */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

#define LOG_LINE_MAX 4096
#define LOG_Q_BUFS 8
#define LOG_Q_SIZE 512

/* The header makes logging process-wide: service name and level. */
static char log_service[64] = "cogov";
static int log_level = LOG_INFO;

static const struct {
    const char *name;
    int prio;
} log_levels[] = {
    {"error", LOG_ERR}, {"warning", LOG_WARNING}, {"notice", LOG_NOTICE},
    {"info", LOG_INFO}, {"debug", LOG_DEBUG},
};

void
log_init(const char *service)
{
    /* The level is left alone: a re-init (SIGHUP) keeps what was set. */
    str_copy(log_service, sizeof log_service, service ? service : "cogov");
}

void
log_set_level(int prio)
{
    if (prio < LOG_ERR)
        prio = LOG_ERR;
    if (prio > LOG_DEBUG)
        prio = LOG_DEBUG;
    log_level = prio;
}

int
log_level_parse(const char *name)
{
    if (name == NULL)
        return -1;
    for (size_t i = 0; i < ARRAY_LEN(log_levels); i++)
        if (strcmp(name, log_levels[i].name) == 0)
            return log_levels[i].prio;
    return -1;
}

static const char *
level_name(int prio)
{
    for (size_t i = 0; i < ARRAY_LEN(log_levels); i++)
        if (log_levels[i].prio == prio)
            return log_levels[i].name;
    return prio < LOG_ERR ? "error" : "debug";
}

static void
write_all(const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(2, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return;
        }
        p += w;
        n -= (size_t)w;
    }
}

void
log_emit(int prio, const char *event, const char *fmt, ...)
{
    if (prio > log_level)
        return;

    int saved_errno = errno;
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);

    char stack[LOG_LINE_MAX];
    char *line = stack;
    char *heap = NULL;
    int n = snprintf(stack, sizeof stack,
                     "<%d>ts=%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ level=%s "
                     "svc=%s event=%s",
                     prio < 0 ? LOG_ERR : prio, tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                     tm.tm_sec, ts.tv_nsec / 1000000, level_name(prio),
                     log_service, event ? event : "unknown");
    if (n < 0)
        goto done;
    size_t len = (size_t)n < sizeof stack ? (size_t)n : sizeof stack - 1;

    if (fmt != NULL && fmt[0] != 0) {
        va_list ap, ap2;
        va_start(ap, fmt);
        va_copy(ap2, ap);
        size_t room = sizeof stack - len - 1; /* the space */
        int m = vsnprintf(stack + len + 1, room, fmt, ap);
        va_end(ap);
        if (m < 0) {
            va_end(ap2);
            goto done;
        }
        if ((size_t)m + 2 > room) {
            /* Too long for the stack line: one heap line, still one write. */
            heap = xmalloc(len + 1 + (size_t)m + 2);
            memcpy(heap, stack, len);
            vsnprintf(heap + len + 1, (size_t)m + 1, fmt, ap2);
            line = heap;
        }
        va_end(ap2);
        line[len] = ' ';
        len += 1 + (size_t)m;
    }
    line[len++] = '\n';
    write_all(line, len);

done:
    free(heap);
    errno = saved_errno;
}

static bool
needs_quote(const char *v)
{
    if (v[0] == 0)
        return true;
    for (const unsigned char *p = (const unsigned char *)v; *p; p++)
        if (*p <= ' ' || *p == '"' || *p == '=' || *p == 0x7f)
            return true;
    return false;
}

const char *
log_q(const char *value)
{
    static _Thread_local char bufs[LOG_Q_BUFS][LOG_Q_SIZE];
    static _Thread_local unsigned next;
    char *out = bufs[next++ % LOG_Q_BUFS];
    const size_t cut = LOG_Q_SIZE - 5; /* room for '...', '"' and NUL */
    size_t o = 0;

    if (value == NULL)
        value = "";
    if (!needs_quote(value)) {
        size_t n = strlen(value);
        if (n < LOG_Q_SIZE) {
            memcpy(out, value, n + 1);
            return out;
        }
        size_t k = LOG_Q_SIZE - 4;
        /* Do not split a UTF-8 sequence. */
        while (k > 0 && ((unsigned char)value[k] & 0xc0) == 0x80)
            k--;
        memcpy(out, value, k);
        memcpy(out + k, "...", 4);
        return out;
    }

    out[o++] = '"';
    for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
        char esc[5];
        size_t elen;
        switch (*p) {
        case '"':
            memcpy(esc, "\\\"", 3);
            elen = 2;
            break;
        case '\\':
            memcpy(esc, "\\\\", 3);
            elen = 2;
            break;
        case '\n':
            memcpy(esc, "\\n", 3);
            elen = 2;
            break;
        case '\r':
            memcpy(esc, "\\r", 3);
            elen = 2;
            break;
        case '\t':
            memcpy(esc, "\\t", 3);
            elen = 2;
            break;
        default:
            if (*p < 0x20 || *p == 0x7f) {
                snprintf(esc, sizeof esc, "\\x%02x", *p);
                elen = 4;
            } else {
                esc[0] = (char)*p;
                elen = 1;
            }
        }
        /* Cut before a continuation byte would start a partial sequence. */
        bool lead = (*p & 0xc0) != 0x80;
        if (o + elen > cut || (lead && *p >= 0xc0 && o + 4 > cut)) {
            memcpy(out + o, "...", 3);
            o += 3;
            break;
        }
        memcpy(out + o, esc, elen);
        o += elen;
    }
    out[o++] = '"';
    out[o] = 0;
    return out;
}

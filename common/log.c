/* log: logfmt lines with a syslog priority prefix, one write(2) per line, or
 * per loop iteration for the info and debug lines of a thread that buffers
 * (log_buffer). */
#include "log.h"

#include <errno.h>
#include <pthread.h>
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

/* Lines held by the buffering thread until log_flush(). */
#define LOG_BUF_SIZE 65536
static char *log_buf;
static size_t log_buf_len;
static pthread_t log_buf_owner;
static bool log_buf_on;

/* Rate limit per event name: at most `burst` lines per window; the first
 * line after a window that dropped some carries suppressed=N. A small open
 * table; names beyond it are not limited. */
#define LOG_RL_SLOTS 128
typedef struct rl_slot {
    char event[48];
    int64_t window_start;
    int lines;
    unsigned long suppressed;
} rl_slot_t;
static rl_slot_t log_rl[LOG_RL_SLOTS];
static int log_rl_burst = LOG_RATE_BURST;
static int64_t log_rl_window_ms = LOG_RATE_WINDOW_MS;

void
log_rate_limit(int burst, int window_ms)
{
    log_rl_burst = burst;
    log_rl_window_ms = window_ms;
    memset(log_rl, 0, sizeof log_rl);
}

static int64_t
mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* May this event be written now? *suppressed gets the count dropped in the
 * window(s) before, to report on this line. */
static bool
rate_ok(const char *event, unsigned long *suppressed)
{
    *suppressed = 0;
    if (log_rl_burst <= 0 || strlen(event) >= sizeof log_rl[0].event)
        return true;
    uint64_t h = hash64(event, strlen(event));
    rl_slot_t *slot = NULL;
    for (size_t i = 0; i < LOG_RL_SLOTS && slot == NULL; i++) {
        rl_slot_t *t = &log_rl[(h + i) % LOG_RL_SLOTS];
        if (t->event[0] == 0) {
            str_copy(t->event, sizeof t->event, event);
            slot = t;
        } else if (strcmp(t->event, event) == 0) {
            slot = t;
        }
    }
    if (slot == NULL)
        return true;
    int64_t now = mono_ms();
    if (slot->lines == 0 || now - slot->window_start >= log_rl_window_ms) {
        slot->window_start = now;
        slot->lines = 0;
    }
    if (slot->lines >= log_rl_burst) {
        slot->suppressed++;
        return false;
    }
    slot->lines++;
    *suppressed = slot->suppressed;
    slot->suppressed = 0;
    return true;
}

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
log_flush(void)
{
    if (log_buf_len > 0 && log_buf_on &&
        pthread_equal(pthread_self(), log_buf_owner)) {
        int saved_errno = errno;
        write_all(log_buf, log_buf_len);
        log_buf_len = 0;
        errno = saved_errno;
    }
}

static void
flush_at_exit(void)
{
    log_flush();
}

void
log_buffer(bool on)
{
    static bool registered;
    if (log_buf_on)
        log_flush();
    if (on) {
        if (log_buf == NULL)
            log_buf = xmalloc(LOG_BUF_SIZE);
        if (!registered)
            registered = atexit(flush_at_exit) == 0;
        log_buf_owner = pthread_self();
    }
    log_buf_on = on;
}

/* Write one finished line: held when this thread buffers and the line is
 * info or debug; otherwise what is held goes first, so order is kept. */
static void
put_line(int prio, const char *line, size_t len)
{
    bool mine = log_buf_on && pthread_equal(pthread_self(), log_buf_owner);
    if (mine && prio >= LOG_INFO && len <= LOG_BUF_SIZE) {
        if (log_buf_len + len > LOG_BUF_SIZE)
            log_flush();
        memcpy(log_buf + log_buf_len, line, len);
        log_buf_len += len;
        return;
    }
    if (mine)
        log_flush();
    write_all(line, len);
}

/* The line's header, "<P>ts=YYYY-MM-DDTHH:MM:SS.mmmZ level=L svc=S event=E",
 * without snprintf: the date and time to the second are formatted once per
 * second (per thread). Returns its length (cut to fit size - 1). */
static size_t
put_header(char *out, size_t size, int prio, const char *event)
{
    static _Thread_local time_t cached_sec = (time_t)-1;
    static _Thread_local char cached[24]; /* YYYY-MM-DDTHH:MM:SS */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    if (ts.tv_sec != cached_sec) {
        struct tm tm;
        gmtime_r(&ts.tv_sec, &tm);
        snprintf(cached, sizeof cached, "%04d-%02d-%02dT%02d:%02d:%02d",
                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                 tm.tm_min, tm.tm_sec);
        cached_sec = ts.tv_sec;
    }
    int p = prio < 0 ? LOG_ERR : prio;
    long ms = ts.tv_nsec / 1000000;
    char head[48];
    size_t n = 0;
    head[n++] = '<';
    if (p >= 10)
        head[n++] = (char)('0' + p / 10 % 10);
    head[n++] = (char)('0' + p % 10);
    memcpy(head + n, ">ts=", 4);
    n += 4;
    size_t c = strlen(cached);
    memcpy(head + n, cached, c);
    n += c;
    head[n++] = '.';
    head[n++] = (char)('0' + ms / 100);
    head[n++] = (char)('0' + ms / 10 % 10);
    head[n++] = (char)('0' + ms % 10);
    memcpy(head + n, "Z level=", 8);
    n += 8;
    const char *parts[] = {head,      level_name(prio),
                           " svc=",   log_service,
                           " event=", event ? event : "unknown"};
    size_t lens[] = {n, 0, 5, 0, 7, 0};
    size_t len = 0;
    for (size_t i = 0; i < ARRAY_LEN(parts); i++) {
        size_t k = lens[i] ? lens[i] : strlen(parts[i]);
        if (len + k > size - 1)
            k = size - 1 - len;
        memcpy(out + len, parts[i], k);
        len += k;
    }
    out[len] = 0;
    return len;
}

void
log_emit(int prio, const char *event, const char *fmt, ...)
{
    if (prio > log_level)
        return;
    unsigned long suppressed = 0;
    /* Only trouble is limited (notice and worse): domain events at info are
     * the record of what happened, one line each. */
    if (prio <= LOG_NOTICE && !rate_ok(event ? event : "unknown", &suppressed))
        return;

    int saved_errno = errno;
    char stack[LOG_LINE_MAX];
    char *line = stack;
    char *heap = NULL;
    size_t len = put_header(stack, sizeof stack, prio, event);

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
    if (suppressed > 0) {
        char tail[40];
        int t = snprintf(tail, sizeof tail, " suppressed=%lu", suppressed);
        if (line == stack && len + (size_t)t + 1 < sizeof stack) {
            memcpy(line + len, tail, (size_t)t);
            len += (size_t)t;
        }
    }
    line[len++] = '\n';
    put_line(prio, line, len);

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

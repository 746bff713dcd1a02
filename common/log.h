/* log: one logfmt line per event on stderr, with a syslog priority prefix
 * ("<6>") that journald understands. Event names are a stable interface
 * documented in the README: operators build alerts on them.
 *
 *   <6>ts=2026-11-26T23:10:00.123Z level=info svc=coordination
 * event=member.admitted corr=c-1 member=9111...
 */
#ifndef COGOV_LOG_H
#define COGOV_LOG_H

#include <stdbool.h>
#include <syslog.h> /* LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO, LOG_DEBUG */

/* service: the svc= field (copied). Level defaults to LOG_INFO. */
void log_init(const char *service);
void log_set_level(int prio);
/* "error", "warning", "notice", "info", "debug" -> priority, or -1. */
int log_level_parse(const char *name);

/* Emit one line: prefix, ts, level, svc, event, then the formatted
 * key=value pairs (fmt may be NULL). Lines above the level are dropped.
 * The line is written with a single write(2) so concurrent processes do not
 * interleave (several whole lines per write(2) while buffering). Values that
 * may contain spaces, quotes or '=' must go through log_q(). */
void log_emit(int prio, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Repeats of one event name at notice, warning or error are rate-limited: at
 * most `burst` lines per `window_ms`; the next line written after some were
 * dropped carries suppressed=N (how many were dropped). burst <= 0 turns it
 * off. Defaults: LOG_RATE_BURST lines per LOG_RATE_WINDOW_MS. Resets the
 * counts. */
#define LOG_RATE_BURST 50
#define LOG_RATE_WINDOW_MS 10000
void log_rate_limit(int burst, int window_ms);

/* Quote a value for logfmt if needed ("a b" -> "\"a b\""; NULL -> ""), in one
 * of 8 rotating static buffers of 512 bytes (longer values are cut with
 * "..."); valid until 8 more calls. */
const char *log_q(const char *value);

/* Buffering for the calling thread (a daemon's loop): its info and debug
 * lines are held in memory and written together by log_flush() (one
 * write(2) per loop iteration instead of one per line) or when 64 KiB are
 * held; a notice, warning or error line writes what is held, then itself, at
 * once. Other threads always write at once. A crash loses what is held: at
 * most the info lines of the current iteration. Held lines are also flushed
 * by log_buffer(false) and at exit(). */
void log_buffer(bool on);
void log_flush(void);

#define log_error(ev, ...) log_emit(LOG_ERR, ev, __VA_ARGS__)
#define log_warn(ev, ...) log_emit(LOG_WARNING, ev, __VA_ARGS__)
#define log_notice(ev, ...) log_emit(LOG_NOTICE, ev, __VA_ARGS__)
#define log_info(ev, ...) log_emit(LOG_INFO, ev, __VA_ARGS__)
#define log_debug(ev, ...) log_emit(LOG_DEBUG, ev, __VA_ARGS__)

#endif

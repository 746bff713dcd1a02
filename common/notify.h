/* notify: the systemd service manager protocol (sd_notify) for a daemon on a
 * libuv loop: READY=1, STATUS=<line>, STOPPING=1, and WATCHDOG=1 pings from
 * a loop timer at half of $WATCHDOG_USEC — a ping is sent only when the
 * loop turns, so a stuck loop stops pinging and systemd restarts it.
 * Without $NOTIFY_SOCKET (not started by systemd) every call does nothing. */
#ifndef COGOV_NOTIFY_H
#define COGOV_NOTIFY_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

typedef struct notify notify_t;

/* Reads $NOTIFY_SOCKET and $WATCHDOG_USEC/$WATCHDOG_PID now; never NULL.
 * The loop must outlive it. */
notify_t *notify_new(uv_loop_t *loop);

/* True when a manager listens ($NOTIFY_SOCKET set). */
bool notify_enabled(const notify_t *n);
/* The watchdog period asked by the manager in microseconds (0: none). */
uint64_t notify_watchdog_usec(const notify_t *n);

/* READY=1 with a STATUS line (status may be NULL), and start the watchdog
 * timer if a watchdog is asked. Returns 0 or a negative errno (a failed
 * notification is not fatal to the caller). */
int notify_ready(notify_t *n, const char *status);
/* STATUS=<status>; newlines in status are replaced by spaces. */
int notify_status(notify_t *n, const char *status);
/* STOPPING=1, and stop the watchdog timer. */
int notify_stopping(notify_t *n);

/* Close the timer handle (run the loop afterwards), then free. Accepts
 * NULL; sets *np to NULL. Memory is freed by the close callback, or at
 * once when the timer was never initialised. */
void notify_destroy(notify_t **np);

#endif

/* deadletter: events a reaction could not apply (DESIGN 2.3). Which
 * failures of a reaction are dead letters and which are transient, and the
 * operators' requests on them: ListDeadLetters, RetryDeadLetter and
 * DiscardDeadLetter (role OPERATOR), served by every daemon through the
 * route deadletter_route() gives svc.c.
 *
 * A transient failure (busy, I/O, disk full, out of memory) may go away by
 * itself: the batch is rolled back and retried with backoff and nothing
 * advances. Any other negative errno from a reaction is deterministic — a
 * constraint violation (-EEXIST from the store: a key collision is a bug), a
 * reference it cannot resolve (-ENOENT), an invalid or out-of-range value —
 * and retrying the same event can only fail the same way, blocking the
 * stream: such an event goes to the dead-letter table with its error and
 * the cursor moves on, as for SVC_REACT_REJECT. */
#ifndef COGOV_DEADLETTER_H
#define COGOV_DEADLETTER_H

#include <stdbool.h>
#include <stddef.h>

#include "svc.h"

/* Is err (a negative errno) a transient failure? */
bool deadletter_transient(int err);

/* The dead letter's error text for a reaction that failed with errno err:
 * "constraint violated (EEXIST)", then ": detail" if detail is not empty
 * (the SQLite message). buf >= 64. */
void deadletter_describe(int err, const char *detail, char *buf, size_t size);

/* Run the service's reaction to ev (svc_react), its error text cleared
 * first, and classify the outcome: 0 (applied), SVC_REACT_REJECT with the
 * text in svc_take_react_error (refused, or a deterministic errno, then
 * described by deadletter_describe), or a transient negative errno. Writes
 * of a refused reaction are the caller's to roll back. */
int deadletter_react(svc_t *s, const svc_ctx_t *c, const Cogov__V1__Event *ev);

/* The route serving a dead-letter request body, NULL for any other body. */
const svc_route_t *deadletter_route(Cogov__V1__Request__BodyCase body);

#endif

/* admin: operations on a running daemon (DESIGN 2.7) — pause and resume,
 * a snapshot of the store with SQLite's online backup API, and accepting a
 * producer's new epoch on a stopped stream. svc.c routes the Pause, Resume,
 * Backup and AcceptEpoch requests here and asks admin_paused() before every
 * command and before its own timed work.
 *
 * A pause refuses commands (STATUS_UNAVAILABLE, "paused: ...", retryable)
 * and the daemon's timed transactions; queries, Fetch and reactions go on,
 * so the streams drain until every cursor stands at its producer's head —
 * from then on nothing can move, which is the consistent cut a backup
 * takes. A pause ends by Resume or by itself when its deadline passes. */
#ifndef COGOV_ADMIN_H
#define COGOV_ADMIN_H

#include <stdbool.h>
#include <stdint.h>

#include "svc.h"

#define ADMIN_PAUSE_DEFAULT_MS 60000
#define ADMIN_PAUSE_MAX_MS 600000

typedef struct admin admin_t;

admin_t *admin_new(svc_t *s);
void admin_destroy(admin_t **ap);

/* Is the daemon paused? A pause whose deadline passed ends here (logged
 * once as admin.pause_expired). */
bool admin_paused(admin_t *a);

/* Is req one of the bodies handled here? */
bool admin_is_request(const Cogov__V1__Request *req);

/* Handle Pause, Resume, Backup or AcceptEpoch for `who` (role OPERATOR).
 * Fills rep (body "admin", error text) and returns the status. Must be
 * called outside the group transaction's writes of this request. */
Cogov__V1__StatusCode admin_handle(admin_t *a, const principal_t *who,
                                   const Cogov__V1__Request *req,
                                   Cogov__V1__Reply *rep);

/* Add paused / restored_head to a Status reply. */
void admin_fill_status(admin_t *a, Cogov__V1__ServiceStatus *st);

/* Copy the database at src_path (not open elsewhere for writing) into
 * dst_path with the backup API, through dst_path.tmp and a rename. When
 * new_epoch is true the copy gets a fresh random epoch and records
 * restored_head = its head (a single-store restore), and, if reserve_to is
 * above that head, holds back seqs head+1..reserve_to with seq_reserved
 * events: pass the highest seq any consumer applied from the lost store, so
 * that the new epoch's events never reuse a number (and an id derived from
 * it) of the old one. *head and *epoch (may be NULL) get the copy's head
 * (after the reserved seqs) and epoch. 0 or -errno with err. */
int admin_copy_store(const char *src_path, const char *dst_path, bool new_epoch,
                     uint64_t reserve_to, uint64_t *head, uint64_t *epoch,
                     char *err, size_t errlen);

#endif

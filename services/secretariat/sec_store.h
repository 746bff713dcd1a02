/* sec_store: the secretariat's tables and the only SQL of the daemon.
 * Every function runs on the loop thread; writes run inside the caller's
 * transaction. Errors are negative errno as in store.h. */
#ifndef COGOV_SEC_STORE_H
#define COGOV_SEC_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"
#include "tally.h"
#include "cogov/v1/envelope.pb-c.h"

extern const char *const sec_migrations[];
extern const size_t sec_n_migrations;

/* The consortium's name, from consortium_founded (one row). */
int sec_store_consortium_set(store_t *st, const char *name);
/* xmalloc'd name in *name, or -ENOENT if not founded yet. */
int sec_store_consortium_name(store_t *st, char **name);

/* Insert or update a member as coordination last announced it. */
int sec_store_member_put(store_t *st, const char *member_id, const char *name,
                         Cogov__V1__MemberType type,
                         Cogov__V1__MemberStatus status);
/* Update a member coordination announced before (one statement, no
 * read-back); -ENOENT if never heard of (nothing written). */
int sec_store_member_set(store_t *st, const char *member_id, const char *name,
                         Cogov__V1__MemberType type,
                         Cogov__V1__MemberStatus status);
/* A member's status and (if name != NULL) xmalloc'd name; -ENOENT if never
 * heard of. */
int sec_store_member(store_t *st, const char *member_id, char **name,
                     Cogov__V1__MemberStatus *status);

/* Publish a notice: n->notice_id, kind, title, body, published_at,
 * causation_id and addressees. Returns 1 if inserted, 0 if a notice with
 * that id exists already (nothing changed), or -errno. */
int sec_store_notice_add(store_t *st, const Cogov__V1__Notice *n);
/* A notice with its addressees and who acknowledged, as a fresh message
 * (free with protobuf_c_message_free_unpacked); -ENOENT if unknown. */
int sec_store_notice(store_t *st, const char *notice_id,
                     Cogov__V1__Notice **out);
/* Notices addressed to member_id (NULL: all) of `kind` (UNSPECIFIED: all),
 * ordered by published_at, then the order they were stored in. */
int sec_store_notices(store_t *st, const char *member_id,
                      Cogov__V1__NoticeKind kind, Cogov__V1__NoticeList **out);
/* Record member_id's acknowledgement of a notice at business time `at`.
 * Returns 1 if recorded now, 0 if it had acknowledged before, -ENOENT if
 * member_id is not an addressee (or the notice does not exist). */
int sec_store_acknowledge(store_t *st, const char *notice_id,
                          const char *member_id, int64_t at);

/* Charter versions and council seats from coordination's stream. */
int sec_store_charter_put(store_t *st, const charter_ver_t *v,
                          const char *title);
/* The rules in force on `on` ("YYYY-MM-DD"), see charter_in_force. */
int sec_store_charter_rules(store_t *st, const char *on, charter_rules_t *out);
int sec_store_seat_put(store_t *st, const char *seat_id, int role,
                       const char *member_id, const char *term_start,
                       const char *term_end);
/* Distinct member ids holding a seat (xmalloc'd; free with sec_strv_free). */
int sec_store_seats(store_t *st, char ***ids, size_t *n);
/* Append the ADMITTED members (of `type`; UNSPECIFIED: all) to *ids. */
int sec_store_admitted(store_t *st, Cogov__V1__MemberType type, char ***ids,
                       size_t *n);
void sec_strv_free(char **v, size_t n);

/* Motions ("motion"), meetings ("meeting") and inquiries ("inquiry"): the
 * message, its status, a deadline (0: none) and a time it is ordered by. */
int sec_store_obj_put(store_t *st, const char *kind, const char *id, int status,
                      int64_t due_at, int64_t at, const ProtobufCMessage *m);
/* -ENOENT if unknown; free with protobuf_c_message_free_unpacked. */
int sec_store_obj(store_t *st, const char *kind, const char *id,
                  const ProtobufCMessageDescriptor *d, ProtobufCMessage **out);
/* Those of `status` (0: any) whose deadline is <= due_before (0: any) and
 * whose time is in [from, to) (to 0: open). */
int sec_store_objs(store_t *st, const char *kind, int status,
                   int64_t due_before, int64_t from, int64_t to,
                   const ProtobufCMessageDescriptor *d, ProtobufCMessage ***out,
                   size_t *n);
/* Record that something happened once (a reminder, a breach): 1 if the key
 * is new, 0 if seen before. */
int sec_store_once(store_t *st, const char *key);
/* (notice, member) pairs not acknowledged of GENERAL notices published at
 * or before `published_before` (welcome and farewell notices are not
 * reminded of). */
int sec_store_unacked(store_t *st, int64_t published_before, char ***notice_ids,
                      char ***member_ids, size_t *n);

/* Coordination's tasks (task_created; status from task_status_changed and
 * task_completed). task_put keeps an existing row; task_status updates a
 * known one (unknown: nothing). */
int sec_store_task_put(store_t *st, const char *task_id, const char *title,
                       const char *lead, const char *resolution_id,
                       const char *item_id, int status);
int sec_store_task_status(store_t *st, const char *task_id, int status);
/* A task's xmalloc'd title and lead (each may be NULL) and status;
 * -ENOENT if unknown. */
int sec_store_task(store_t *st, const char *task_id, char **title, char **lead,
                   int *status);
/* The task made from a resolution's action item: xmalloc'd *task_id and its
 * status; -ENOENT if none. */
int sec_store_task_for_item(store_t *st, const char *resolution_id,
                            const char *item_id, char **task_id, int *status);

/* Briefing lines of other streams ("task_started", "task_completed",
 * "award", "warning", "evaluation"), keyed by (kind, id): add keeps the
 * first. digest lists those of `kind` with at in [from, to) (to 0: open)
 * and of member_id (NULL or "": all), ordered by at, id; free each entry
 * with protobuf_c_message_free_unpacked and the array with free. */
int sec_store_digest_add(store_t *st, const char *kind, const char *id,
                         const char *member_id, const char *title, int64_t at,
                         const char *detail);
int sec_store_digest(store_t *st, const char *kind, int64_t from, int64_t to,
                     const char *member_id, Cogov__V1__BriefingEntry ***out,
                     size_t *n);

#endif

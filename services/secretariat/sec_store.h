/* sec_store: the secretariat's tables and the only SQL of the daemon.
 * Every function runs on the loop thread; writes run inside the caller's
 * transaction. Errors are negative errno as in store.h. */
#ifndef COGOV_SEC_STORE_H
#define COGOV_SEC_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"
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
 * ordered by published_at, notice_id. */
int sec_store_notices(store_t *st, const char *member_id,
                      Cogov__V1__NoticeKind kind, Cogov__V1__NoticeList **out);
/* Record member_id's acknowledgement of a notice at business time `at`.
 * Returns 1 if recorded now, 0 if it had acknowledged before, -ENOENT if
 * member_id is not an addressee (or the notice does not exist). */
int sec_store_acknowledge(store_t *st, const char *notice_id,
                          const char *member_id, int64_t at);

#endif

/* coord_store: coordination's tables and the only SQL of the daemon.
 * Every function runs on the loop thread against the daemon's store; writes
 * run inside the caller's transaction. Errors are negative errno as in
 * store.h (-ENOENT: no such row, -EEXIST: constraint or state changed). */
#ifndef COGOV_COORD_STORE_H
#define COGOV_COORD_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"
#include "cogov/v1/envelope.pb-c.h"

/* Schema of the service, for store_open(). */
extern const char *const coord_migrations[];
extern const size_t coord_n_migrations;

/* 1 if the consortium has been founded, 0 if not, or -errno. */
int coord_store_founded(store_t *st);
/* Record the founding (one row; -EEXIST if already founded). */
int coord_store_found(store_t *st, const Cogov__V1__FoundConsortium *f,
                      int64_t at, const char *causation);
/* The consortium as a fresh message (free with
 * protobuf_c_message_free_unpacked(&m->base, NULL)); -ENOENT if none. */
int coord_store_consortium(store_t *st, Cogov__V1__Consortium **out);

/* A member as a fresh message, contacts included when `contacts`; -ENOENT
 * if unknown. */
int coord_store_member(store_t *st, const char *member_id, bool contacts,
                       Cogov__V1__Member **out);
/* The status of a member, UNSPECIFIED (and 0) if never seen. */
int coord_store_member_status(store_t *st, const char *member_id,
                              Cogov__V1__MemberStatus *status);
/* Enter (or re-enter, from REJECTED or EXITED) an application: status
 * APPLIED, member_id = uscc, and a history row from `prev`. -EEXIST if the
 * record exists in another status. */
int coord_store_member_apply(store_t *st, const Cogov__V1__ApplyMember *a,
                             Cogov__V1__MemberStatus prev, int64_t at,
                             const char *causation);
/* Move a member from `from` to `to` with a history row. -EEXIST if its
 * status is no longer `from`, -ENOENT if unknown. reason may be NULL. */
int coord_store_member_change(store_t *st, const char *member_id,
                              Cogov__V1__MemberStatus from,
                              Cogov__V1__MemberStatus to, const char *reason,
                              int64_t at, const char *causation);
/* Members filtered by status and type (UNSPECIFIED: any), ordered by
 * member_id, contacts omitted. */
int coord_store_members(store_t *st, Cogov__V1__MemberStatus status,
                        Cogov__V1__MemberType type,
                        Cogov__V1__MemberList **out);
/* How many history rows a member has (for tests and audits), or -errno. */
int coord_store_history_count(store_t *st, const char *member_id);

#endif

/* supv_store: supervision's tables and the only SQL of the daemon. Writes
 * run inside the caller's transaction; errors are negative errno. */
#ifndef COGOV_SUPV_STORE_H
#define COGOV_SUPV_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"
#include "cogov/v1/envelope.pb-c.h"

extern const char *const supv_migrations[];
extern const size_t supv_n_migrations;

/* Members as coordination announced them; since = business time of the
 * last status change. */
int supv_store_member_put(store_t *st, const char *member_id, const char *name,
                          int type, int status, int64_t since);
/* -ENOENT if unknown; name xmalloc'd if non-NULL. */
int supv_store_member(store_t *st, const char *member_id, char **name,
                      int *type, int *status);

typedef struct supv_member {
    char *member_id, *name;
    int type, status;
    int64_t last_active; /* latest act (a fact of value > 0 that is not a
                            lapse: missed, overdue, breached), or since */
} supv_member_t;
/* ADMITTED and SUSPENDED members ordered by member_id. */
int supv_store_members(store_t *st, supv_member_t **out, size_t *n);
void supv_members_free(supv_member_t *m, size_t n);

/* A fact from an event: 1 if new, 0 if that (event, member, source) was
 * folded before. */
int supv_store_fact_add(store_t *st, const char *event_id,
                        const char *member_id, const char *source, int64_t at,
                        int64_t value);
typedef struct supv_fact {
    char *member_id, *source, *event_id;
    int64_t at, value;
} supv_fact_t;
/* Facts of member_id (NULL: all) with at in [from, to) (to 0: open),
 * ordered by member_id, at, event_id, source. */
int supv_store_facts(store_t *st, const char *member_id, int64_t from,
                     int64_t to, supv_fact_t **out, size_t *n);
void supv_facts_free(supv_fact_t *f, size_t n);
/* Values of the member's latest `limit` facts of `source`, newest first. */
int supv_store_recent(store_t *st, const char *member_id, const char *source,
                      size_t limit, int64_t *values, size_t *n);

/* Indicator files: put assigns the next version. get: version 0 = latest;
 * -ENOENT if none. Strings xmalloc'd. */
int supv_store_indicators_put(store_t *st, const char *name, const char *text,
                              int64_t at, uint32_t *version);
int supv_store_indicators_get(store_t *st, uint32_t version, uint32_t *out_ver,
                              char **name, char **text, int64_t *at);

/* Rounds ("round"), warnings ("warning"), rectifications ("rect") as their
 * packed messages. put: insert or replace; add: insert only, 1 if new. */
int supv_store_obj_put(store_t *st, const char *kind, const char *id,
                       const char *member_id, int status, int64_t due_at,
                       int64_t at, const ProtobufCMessage *m);
int supv_store_obj_add(store_t *st, const char *kind, const char *id,
                       const char *member_id, int status, int64_t due_at,
                       int64_t at, const ProtobufCMessage *m);
int supv_store_obj(store_t *st, const char *kind, const char *id,
                   const ProtobufCMessageDescriptor *d, ProtobufCMessage **out);
/* Those of member (NULL: any), status (0: any), due_at in (0, due_before]
 * (due_before 0: any), ordered by at, id. */
int supv_store_objs(store_t *st, const char *kind, const char *member_id,
                    int status, int64_t due_before,
                    const ProtobufCMessageDescriptor *d,
                    ProtobufCMessage ***out, size_t *n);
void supv_objs_free(ProtobufCMessage **v, size_t n);

#endif

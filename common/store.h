/* store: the only file with SQL common to every daemon. One SQLite database
 * per daemon: WAL, synchronous=NORMAL with the WAL made durable in the
 * background (see "Durability" below), foreign keys, busy timeout, BEGIN
 * IMMEDIATE for writes, statements prepared once, migrations by
 * PRAGMA user_version, quick_check at open.
 *
 * Common tables (created by migration 1, before the service's own):
 *   meta(key PRIMARY KEY, value)             epoch, business_time, ...
 *   outbox(seq PRIMARY KEY, type, correlation_id, causation_id,
 *          recorded_at, event BLOB)          this daemon's event stream
 *   cursors(producer PRIMARY KEY, epoch, applied_seq, updated_at)
 *   replies(id PRIMARY KEY, principal, request_id, body_hash, reply BLOB,
 *           created_at, UNIQUE(request_id, principal))
 *                                        ids in insertion (time) order; this
 *                                        shape ensured at open (version 1
 *                                        had PRIMARY KEY(principal,
 *                                        request_id) and a created_at index)
 *   dead_letters(id PRIMARY KEY AUTOINCREMENT, producer, seq, type, error,
 *           event BLOB, created_at, retried)
 *   dead_letters_discarded(the same + discarded_at, discarded_by, reason)
 *                                        ensured at open (not version 1)
 *
 * All functions run on the daemon's loop thread. Errors are negative errno:
 * -EBUSY (SQLITE_BUSY/LOCKED), -ENOSPC (SQLITE_FULL), -EEXIST (constraint),
 * -ENOENT (no row), -EIO (anything else; the SQLite message is logged).
 */
#ifndef COGOV_STORE_H
#define COGOV_STORE_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cogov/v1/envelope.pb-c.h"

typedef struct store store_t;

/* Open (creating if needed) the database at path (":memory:" for tests) for
 * the producer `name`. Applies the common schema, then migrations[i] (SQL
 * scripts, may hold several statements) for every i >= the stored version,
 * each in its own transaction with user_version bumped. A new store gets a
 * random non-zero epoch. Fails (NULL, err set) if quick_check fails or the
 * store's user_version is newer than this code knows. */
store_t *store_open(const char *path, const char *name,
                    const char *const *migrations, size_t n_migrations,
                    char *err, size_t errlen);
void store_destroy(store_t **sp);

sqlite3 *store_db(store_t *s);
const char *store_name(const store_t *s);

/* Prepared once per SQL text (cached by pointer and text), reset and with
 * bindings cleared before it is returned. NULL on a SQL error (logged). The
 * store owns the statement. */
sqlite3_stmt *store_stmt(store_t *s, const char *sql);

/* Map a SQLite result code to a negative errno (0 for OK/DONE/ROW). */
int store_errno(int rc);

/* Step a statement that returns no rows, then reset it: 0 or -errno. */
int store_exec(sqlite3_stmt *q);

/* Column i as an xmalloc'd string the caller frees; SQL NULL -> NULL. */
char *store_col_text(sqlite3_stmt *q, int i);

/* Row readers. store_one: step q for its single row: 0 with one (read it,
 * then sqlite3_reset(q)), else q is reset and -ENOENT (no row) or -errno.
 * store_row: step q for the next row: true with one (*err 0); false, q
 * reset, at the end (*err 0) or on an error (*err -errno); so
 *     while (store_row(q, &err))
 *         STORE_PUSH(l->items, l->n_items, item_from_row(q));
 *     return err;
 * A loop left early must sqlite3_reset(q) itself. */
int store_one(sqlite3_stmt *q);
bool store_row(sqlite3_stmt *q, int *err);
/* Append v to the xrealloc'd array arr of n items (n incremented). */
#define STORE_PUSH(arr, n, v)                                                  \
    do {                                                                       \
        (arr) = xrealloc((arr), ((n) + 1) * sizeof *(arr));                    \
        (arr)[(n)++] = (v);                                                    \
    } while (0)

/* Column i, a message of type d packed, unpacked: free it with
 * protobuf_c_message_free_unpacked; NULL if it does not unpack. */
ProtobufCMessage *store_col_msg(sqlite3_stmt *q, int i,
                                const ProtobufCMessageDescriptor *d);
/* Bind m packed as the blob of parameter i; the statement owns the bytes
 * (freed when the binding is cleared). SQLite's result code. */
int store_bind_msg(sqlite3_stmt *q, int i, const ProtobufCMessage *m);
/* Step q for its one row, column i unpacked as d into *out (NULL unless
 * 0): 0, -ENOENT (no row), -EIO (it does not unpack) or -errno; q reset. */
int store_one_msg(sqlite3_stmt *q, int i, const ProtobufCMessageDescriptor *d,
                  ProtobufCMessage **out);
/* Every row of q, column i unpacked as d, appended to the xrealloc'd array
 * *v of *n: 0, -EIO (a row does not unpack: the rows before it stay in *v)
 * or -errno; q reset. */
int store_rows_msg(sqlite3_stmt *q, int i, const ProtobufCMessageDescriptor *d,
                   ProtobufCMessage ***v, size_t *n);

/* Transactions. begin = BEGIN IMMEDIATE. Savepoints nest one level inside a
 * transaction so one bad request in a group commit is rolled back alone. */
int store_begin(store_t *s);
int store_commit(store_t *s);
/* store_commit for work whose loss in a power failure costs only its
 * redoing: a consumer's batch that appended no outbox row (its effects go
 * with its cursor, and the producer serves the events again). It asks for
 * no WAL sync and does not count in store_commit_no, so no reply waits for
 * it; the next commit's sync or the next checkpoint (within a second) makes
 * it durable. A transaction that appended to the outbox, or a store without
 * background sync, commits as store_commit does. */
int store_commit_relaxed(store_t *s);
void store_rollback(store_t *s);
int store_savepoint(store_t *s);
int store_release(store_t *s);
void store_rollback_to(store_t *s); /* and release */
int store_in_tx(const store_t *s);
/* Is a savepoint open (store_savepoint without release/rollback_to)? */
int store_in_savepoint(const store_t *s);
/* Rows inserted, updated or deleted on this store's connection since it was
 * opened (sqlite3_total_changes64): unchanged across a piece of work means
 * that work wrote nothing, so there is nothing to roll back. */
int64_t store_changes(store_t *s);

/* Identity of this store's stream. */
uint64_t store_epoch(const store_t *s);
/* Last committed outbox seq (0 if none). */
uint64_t store_head(const store_t *s);

/* Append to the outbox inside the current transaction: sets ev->producer
 * (to the store name), ev->seq (head + 1, gapless), ev->epoch and, if 0,
 * ev->recorded_at (wall microseconds), then packs it. The caller keeps
 * ownership of ev (producer string is the store's, valid while the store
 * lives). Head moves at commit; a rollback (or rollback_to) forgets the append.
 */
int store_outbox_append(store_t *s, Cogov__V1__Event *ev);

/* Durability. A file store's commits are synchronous=NORMAL: store_commit
 * returns once the transaction is in the -wal file (the page cache: a
 * process crash keeps it, a power loss may not), and the checkpointer
 * thread makes it durable with fdatasync as soon as it is asked (every
 * commit asks), while the loop goes on. Commits become durable in order.
 * Whatever others can see must wait for that: store_outbox_read serves
 * durable events only, and the runtime sends a reply only once the commits
 * before it are durable. A ":memory:" store is durable at commit (its
 * commit_no and durable_no stay 0), as is a file store whose -wal file could
 * not be opened (it stays synchronous=FULL). */
/* Commits that wrote to the WAL so far (numbered from 1), relaxed ones
 * not counted. */
uint64_t store_commit_no(const store_t *s);
/* Commits known durable as of the last store_durable_poll. */
uint64_t store_durable_no(const store_t *s);
/* Outbox head of the last durable commit (store_head: the last commit). */
uint64_t store_durable_head(const store_t *s);
/* Take in what the thread has synced: 1 if durable_no moved, 0 if not,
 * -EIO if a sync failed — then nothing more ever becomes durable (a later
 * fsync may succeed with the data gone): the daemon must stop without
 * releasing what waits. */
int store_durable_poll(store_t *s);
/* fn(arg) is called on the checkpointer thread after each sync; it must be
 * thread-safe (uv_async_send). fn NULL: never called again once this
 * returns. */
void store_on_durable(store_t *s, void (*fn)(void *), void *arg);
/* The commit number a reply sent now must wait for (durable_no >= it):
 * store_commit_no, and when relaxed commits were made since the last
 * counted one (their effects are visible to a read), they are numbered
 * now (commit_no + 1) and the thread is asked to sync them. Without
 * relaxed commits since, nothing is asked: no extra sync. */
uint64_t store_visible_no(store_t *s);
/* Make every commit durable now, on the calling thread, relaxed ones
 * included (numbered as by store_visible_no); no fdatasync when the thread
 * has synced them already. 0, or -EIO (this or an earlier sync failed: as
 * for store_durable_poll). */
int store_sync(store_t *s);
/* store_commit, then store_sync on the calling thread, the checkpointer
 * not asked for it: for a loop with nothing else to do, where the hand-off
 * to the thread and back costs more than the sync. 0: committed (durable
 * unless the sync failed, which store_durable_poll then reports as -EIO,
 * as for a failed background sync); < 0: not committed (rolled back), as
 * store_commit. */
int store_commit_sync(store_t *s);
/* Has the open transaction appended to the outbox? */
bool store_tx_emitted(const store_t *s);

/* Durable events with seq > after, ascending, at most max; cb gets the
 * packed Event. A non-zero return from cb stops the walk and is returned. */
typedef int (*store_event_fn)(void *arg, uint64_t seq, const uint8_t *data,
                              size_t len);
int store_outbox_read(store_t *s, uint64_t after, uint32_t max,
                      store_event_fn cb, void *arg);

/* Consumer cursors; a stream never seen reads as epoch 0, seq 0. */
int store_cursor_get(store_t *s, const char *producer, uint64_t *epoch,
                     uint64_t *seq);
int store_cursor_set(store_t *s, const char *producer, uint64_t epoch,
                     uint64_t seq);

/* Stored replies for idempotent retries. get: -ENOENT if none; otherwise
 * *hash set and *reply an xmalloc'd copy the caller frees. The store keeps
 * the stored keys in memory (Bloom filters, read at open, 2 bytes a key,
 * at most 2 MiB) and asks SQLite only about a key it may hold, so no other
 * connection may write to `replies` while a store_t has the database
 * open. */
int store_reply_get(store_t *s, const char *principal, const char *request_id,
                    uint64_t *hash, uint8_t **reply, size_t *len);
/* Bytes the stored-reply keys take now (0: none, or too many to keep). */
size_t store_reply_keys_bytes(const store_t *s);
/* Keys per generation of those filters; tests set it small before the
 * first store_open to exercise many generations. */
extern size_t store_rkey_gen_keys;
int store_reply_put(store_t *s, const char *principal, const char *request_id,
                    uint64_t hash, const uint8_t *reply, size_t len,
                    int64_t now_ms);
/* Delete replies created before `before_ms`; returns how many or -errno.
 * The expired rows are taken as a prefix in insertion order: a reply
 * stamped earlier than one before it (the wall clock stepped back) may go
 * with a later call, never with an earlier one. */
int store_reply_expire(store_t *s, int64_t before_ms);

/* Dead letters: events a reaction could not apply. */
int store_dead_letter_add(store_t *s, const char *producer, uint64_t seq,
                          const char *type, const char *error,
                          const uint8_t *event, size_t len);
int64_t store_dead_letter_count(store_t *s);
/* One row of dead_letters (or of the audit trail dead_letters_discarded,
 * where discarded_at/_by and reason are set). created_at and discarded_at
 * are wall-clock Unix milliseconds; attempts = the `retried` column. */
typedef struct store_dead_letter {
    int64_t id;
    char *producer;
    uint64_t seq;
    char *type;
    char *error;
    uint8_t *event; /* the packed Event, len bytes (NULL if none) */
    size_t len;
    int64_t created_at;
    int64_t attempts;
    int64_t discarded_at;
    char *discarded_by;
    char *reason;
} store_dead_letter_t;
/* Rows oldest first, of producer (NULL or "": all) and seq (0: any), at
 * most limit, from dead_letters or (discarded) the audit trail. *out is an
 * xmalloc'd array of *n rows: free with store_dead_letter_free. */
int store_dead_letter_list(store_t *s, const char *producer, uint64_t seq,
                           bool discarded, uint32_t limit,
                           store_dead_letter_t **out, size_t *n);
void store_dead_letter_free(store_dead_letter_t *v, size_t n);
int64_t store_dead_letter_discarded_count(store_t *s);
/* In the current transaction, by id; -ENOENT if there is no such row.
 * remove: the event was applied. failed: a retry failed again (error
 * replaced, retried + 1). discard: the row moves to dead_letters_discarded
 * with who and why (never deleted). */
int store_dead_letter_remove(store_t *s, int64_t id);
int store_dead_letter_failed(store_t *s, int64_t id, const char *error);
int store_dead_letter_discard(store_t *s, int64_t id, const char *by,
                              const char *reason);

/* meta key/value. get: -ENOENT if absent. */
int store_meta_get_int(store_t *s, const char *key, int64_t *value);
int store_meta_set_int(store_t *s, const char *key, int64_t value);

/* page_count * page_size of the main database. */
int64_t store_size_bytes(store_t *s);

#endif

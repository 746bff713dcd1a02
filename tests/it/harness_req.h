/* harness_req: the calls and coordination commands every integration test
 * makes — a call that must answer, a reply that must carry a code, the
 * consortium a scenario starts from — so a test reads as its steps. Every
 * helper fails the running cmocka test on what it asserts. */
#ifndef COGOV_HARNESS_REQ_H
#define COGOV_HARNESS_REQ_H

#include <stdint.h>

#include "harness.h"

#define H_WAIT_MS 10000 /* a call's bound: send and answer */

/* Watch c: before each call every daemon of c that runs (pid > 0) must
 * still run; one that died is reaped, named with its log, and the test
 * fails. NULL stops watching (tests that kill daemons on purpose). */
void h_watch(cluster_t *c);
/* Daemon `which` of c must run: fails if it was stopped or died. */
void h_alive(cluster_t *c, int which);

/* One call on cl within H_WAIT_MS; never NULL (no answer fails the test).
 * The request's ids point into the client: they are cleared, so a reused
 * request is a new one. Free with cogov__v1__reply__free_unpacked. */
Cogov__V1__Reply *h_call(client_t *cl, Cogov__V1__Request *req);
/* h_call whose reply must carry code `want` (else `what`, the code and
 * the error are printed and the test fails). */
Cogov__V1__Reply *h_want(client_t *cl, Cogov__V1__Request *req, int want,
                         const char *what);
void h_want_free(client_t *cl, Cogov__V1__Request *req, int want,
                 const char *what);
/* h_call, the reply freed: its code (printed with the error when not OK). */
int h_code(client_t *cl, Cogov__V1__Request *req);
/* h_call on a client of daemon `which` with keypair kp, made for the
 * call; a code not OK is printed. */
Cogov__V1__Reply *h_call_as(cluster_t *c, int which, const keypair_t *kp,
                            Cogov__V1__Request *req);
/* h_call_as, the reply freed: its code. */
int h_code_as(cluster_t *c, int which, const keypair_t *kp,
              Cogov__V1__Request *req);
/* cluster_stop every daemon of c that runs; each must exit 0. */
void h_stop_all(cluster_t *c);
/* A daemon beside c's (a second, reference one): dst gets c's config of
 * daemon `which` with the lines of the keys in set (NULL-terminated key,
 * value pairs) given those values, a key not there appended. */
void h_conf_derive(cluster_t *c, int which, const char *dst,
                   const char *const *set);
/* Start the daemon binary named by the environment variable env with
 * config conf, its stderr appended to log; it dies with the test. */
pid_t h_spawn(const char *env, const char *conf, const char *log);
/* SIGTERM pid and reap it: it must exit 0 (else its status and log are
 * printed). */
void h_reap(pid_t pid, const char *log);
/* cluster_sync within ms; must succeed. */
void h_sync(cluster_t *c, int ms);
/* cluster_ctl, the exit code printed when not 0. */
int h_ctl(cluster_t *c, char *out, size_t outsz, const char *const *argv);
/* store_query_int with the query as a printf format. */
long long h_qint(const char *path, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The reply must carry `code` and a non-empty error containing needle
 * (when not NULL); freed. */
void h_want_error(client_t *cl, Cogov__V1__Request *req, int code,
                  const char *needle, const char *what);
/* h_want_error, and the store at `store` unchanged (its outbox head and
 * store_hash). */
void h_refused(client_t *cl, Cogov__V1__Request *req, int code,
               const char *needle, const char *what, const char *store);

/* Every row of sql on the store at path, a line each, columns joined by
 * '|' (NULL as empty), through a read-only connection; caller frees. */
char *h_dump(const char *path, const char *sql);
/* How many lines text has. */
size_t h_lines(const char *text);

/* ---- coordination, as the operator on cl; each returns the reply's code -- */
/* 滨江市智能制造市域产教联合体 in park `park`, founded on `on`. */
int h_found(client_t *cl, const char *park, const char *on);
int h_apply(client_t *cl, const char *uscc, const char *name,
            Cogov__V1__MemberType type);
int h_decide(client_t *cl, const char *id, Cogov__V1__MemberDecision d);
/* h_apply, then admitted: the first code not OK, or OK. */
int h_admit(client_t *cl, const char *uscc, const char *name,
            Cogov__V1__MemberType type);
/* 联合体章程 (quorum 500‰, pass 667‰, extraordinary 200‰) effective
 * 2025-01-01. */
int h_charter(client_t *cl);
/* The calendar to business time `to`. */
int h_advance(client_t *cl, int64_t to);
/* h_advance as the operator on a client made for it, which must be OK,
 * then h_sync (20 s): every daemon has seen the tick. */
void h_advance_sync(cluster_t *c, int64_t to);
/* Business time of "YYYY-MM-DD[ HH:MM]" in +08:00; must parse. */
int64_t h_time(const char *date);
int h_change_task(client_t *cl, const char *id, Cogov__V1__TaskAction a);
#endif

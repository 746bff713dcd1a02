/* harness: start real cogov daemons in a short temp directory for
 * integration tests, drive them, kill them, read their stores. */
#ifndef COGOV_HARNESS_H
#define COGOV_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "auth.h"
#include "client.h"
#include "validate.h" /* uscc_make: a valid USCC from n */

/* H_CORE: the daemons every earlier test drives (coordination,
 * secretariat); H_N: all four. */
enum { H_COORD = 0, H_SECR = 1, H_INCE = 2, H_SUPV = 3, H_CORE = 2, H_N = 4 };

typedef struct cluster {
    char dir[64];
    char keys_dir[96];
    char allow[96];
    char ctl_conf[96];
    char conf[H_N][96];
    char log[H_N][96];
    char store[H_N][96];
    char endpoint[H_N][128];
    pid_t pid[H_N];
    void *zctx;
    keypair_t op;
    char pub[H_N][KEY_Z85_LEN + 1];
} cluster_t;

extern const char *const h_names[H_N];

/* Temp dir, configs (manual calendar, short fetch waits), keys and
 * allow-list. Registers an atexit hook that kills what is left running. */
int cluster_init(cluster_t *c, const char *tag);
/* Spawn one daemon and wait (bounded, 20 s) until it answers GetStatus. */
int cluster_start(cluster_t *c, int which);
/* SIGTERM and wait (bounded, 20 s); returns the exit status, -1 on
 * timeout or signal death. */
int cluster_stop(cluster_t *c, int which);
/* SIGKILL and reap. */
void cluster_kill(cluster_t *c, int which);
/* Stop all that run, remove the directory (kept if COGOV_KEEP is set). */
void cluster_destroy(cluster_t *c);

/* A blocking call as the bootstrap operator. Free with
 * cogov__v1__reply__free_unpacked(r, NULL). NULL on no answer. */
Cogov__V1__Reply *cluster_call(cluster_t *c, int which, Cogov__V1__Request *req,
                               int total_ms);
/* Same with a client object the caller keeps (for long runs). */
client_t *cluster_client(cluster_t *c, int which);

/* Run cogovctl -c <ctl_conf> with the given argv (NULL-terminated), capture
 * stdout into out (may be NULL). Returns the exit code, -1 on failure. */
int cluster_ctl(cluster_t *c, char *out, size_t outsz, const char *const *argv);

/* Wait until every running daemon's cursors equal the heads of the
 * producers (bounded). 0 or -ETIMEDOUT. */
int cluster_sync(cluster_t *c, int timeout_ms);

/* Convenience: a query on a store file with a single integer result. */
long long store_query_int(const char *path, const char *sql);

/* Seed from COGOV_SEED or the clock; printed. */
unsigned test_seed(void);

/* ---- principals (appended by the security tests) ------------------------ */
/* A fresh keypair for a new principal, appended to the allow-list as
 * "<key> name member roles streams" (member "-" for none). Takes effect
 * when the daemons reload (cluster_hup). */
int cluster_add_principal(cluster_t *c, const char *name, const char *member,
                          const char *roles, const char *streams,
                          keypair_t *kp);
/* Remove the allow-list line of principal `name`; -ENOENT if none. */
int cluster_remove_principal(cluster_t *c, const char *name);
/* Lines of the file at path (a log, a metrics file) that contain needle;
 * 0 if it cannot be read. */
int h_count_lines(const char *path, const char *needle);
/* SIGHUP one daemon and wait (bounded) until its log shows the reload
 * (config.reloaded or config.reload_failed). 0 or -ETIMEDOUT. */
int cluster_hup(cluster_t *c, int which, int timeout_ms);
/* A client of daemon `which` with any keypair. */
client_t *cluster_client_as(cluster_t *c, int which, const keypair_t *kp);
/* An order-independent hash of every row of sql's result, or of every
 * table when sql is NULL, through a read-only connection. 0 on error.
 * Every table but `cursors`: those advance whenever the daemon follows its
 * producers in the background, which a "nothing changed" check must not
 * count (it made it_coordination's refusals flaky). */
uint64_t store_hash(const char *path, const char *sql);

/* ---- cogovctl with all four daemons (appended by it_supervision) -------- */
/* Rewrite the cogovctl config (c->ctl_conf, used by cluster_ctl) with all
 * four endpoints and client key `key` (<key>.key in keys_dir, e.g. written
 * with keys_write). */
int cluster_ctl_conf_all(cluster_t *c, const char *key);
#endif

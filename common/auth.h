/* auth: keys, the allow-list of principals, the ZAP handler and the one
 * place where ZeroMQ sockets are made. Every endpoint is CURVE; there is no
 * unauthenticated mode.
 *
 * Key files (in keys_dir): NAME.key holds "public = <z85>" and
 * "secret = <z85>" (mode 0600); NAME.pub holds "public = <z85>".
 *
 * Allow-list (one per deployment), one principal per line, '#' comments:
 *   <public-key-z85> <principal> <member-id|-> <ROLE[,ROLE...]>
 * <stream[,stream...]|*|-> e.g. Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID
 * coordination - SERVICE * Roles are the names of cogov.v1.Role without the
 * ROLE_ prefix.
 */
#ifndef COGOV_AUTH_H
#define COGOV_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cogov/v1/types.pb-c.h"

#define KEY_Z85_LEN 40
#define PRINCIPAL_NAME_MAX 64

typedef struct keypair {
    char pub[KEY_Z85_LEN + 1];
    char sec[KEY_Z85_LEN + 1];
} keypair_t;

typedef struct principal {
    char name[PRINCIPAL_NAME_MAX];
    char member_id[32]; /* "" if none */
    uint32_t roles;     /* bit (1u << Cogov__V1__Role) per role */
    char streams[128];  /* "*", "" or "a,b" */
    char key[KEY_Z85_LEN + 1];
    char fpr[17]; /* short fingerprint of the key, for logs */
} principal_t;

static inline uint32_t
role_bit(int role)
{
    return 1u << role;
}
/* "GOV_COORDINATOR" -> COGOV__V1__ROLE__ROLE_GOV_COORDINATOR, or -1. */
int role_parse(const char *name);
/* Role -> "GOV_COORDINATOR" (static string, "?" if unknown). */
const char *role_name(int role);
bool principal_has(const principal_t *p, uint32_t roles_any);
bool principal_may_read(const principal_t *p, const char *stream);

/* ---- keys ---------------------------------------------------------------- */
int keys_generate(keypair_t *kp);
/* Write dir/NAME.key (0600) and dir/NAME.pub; fails with -EEXIST if the
 * .key exists. */
int keys_write(const char *dir, const char *name, const keypair_t *kp);
int keys_load(const char *dir, const char *name, keypair_t *kp);
int keys_load_public(const char *dir, const char *name,
                     char pub[KEY_Z85_LEN + 1]);
/* First 16 hex chars of a hash of the public key. */
void keys_fingerprint(const char *pub, char out[17]);

/* First start: under an exclusive lock on dir/.lock, create dir (0700) and
 * every missing key of the four daemons (coordination, incentives,
 * supervision, secretariat) and of the bootstrap operator ("operator", roles
 * GOV_COORDINATOR,OPERATOR, all streams), and write the allow-list if it does
 * not exist. Existing keys and an existing allow-list are never touched.
 * *created is set to how many keys were made. */
int keys_bootstrap(const char *dir, const char *allow_list_path, int *created,
                   char *err, size_t errlen);

/* ---- allow-list ---------------------------------------------------------- */
typedef struct allow allow_t;
/* NULL with err = "path:line: what" on any malformed line. */
allow_t *allow_load(const char *path, char *err, size_t errlen);
void allow_destroy(allow_t **ap);
const principal_t *allow_by_key(const allow_t *a, const char *pub_z85);
const principal_t *allow_by_name(const allow_t *a, const char *name);
size_t allow_count(const allow_t *a);

/* ---- ZAP ----------------------------------------------------------------- */
/* Bind a REP socket on inproc://zeromq.zap.01 in zctx; NULL if it cannot be
 * bound (a daemon must then refuse to start). */
void *zap_bind(void *zctx);
/* Answer every pending ZAP request without blocking: mechanism CURVE and a
 * key on the allow-list -> 200 with User-Id = principal name; anything else
 * -> 400. Domain must be "cogov". Returns how many were answered. *denied
 * is incremented per refusal. */
int zap_handle(void *zap, const allow_t *a, uint64_t *denied);

/* ---- sockets ------------------------------------------------------------- */
/* ROUTER bound on endpoint: CURVE server with kp, ZAP domain "cogov" with
 * ZMQ_ZAP_ENFORCE_DOMAIN, LINGER 0, MAXMSGSIZE max_msg, ROUTER_MANDATORY
 * off, HWMs raised. NULL with err on failure. For ipc:// endpoints the
 * socket file is removed first if stale. */
void *sock_server(void *zctx, const char *endpoint, const keypair_t *kp,
                  long long max_msg, char *err, size_t errlen);
/* DEALER connected to endpoint: CURVE client with kp and the server's public
 * key, LINGER 0, MAXMSGSIZE max_msg (0 = unlimited). */
void *sock_client(void *zctx, const char *endpoint, const keypair_t *kp,
                  const char *server_pub, long long max_msg, char *err,
                  size_t errlen);

#endif

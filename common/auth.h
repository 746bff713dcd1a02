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
 * ROLE_ prefix. A principal may appear on several lines with different keys
 * (the overlap of a key rotation) when the lines grant the same member,
 * roles and streams.
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

/* The daemon's own keypair. When $CREDENTIALS_DIRECTORY (systemd
 * LoadCredential=NAME.key:...) holds NAME.key, it is read from there and
 * keys_dir is not written (no bootstrap, no lock: it may be read-only; the
 * peers' .pub files are still read from it). Otherwise keys_bootstrap(dir,
 * allow_list_path) then keys_load(dir, name). Logs keys.loaded with the
 * source and fingerprint. *created: keys made. 0 or -errno with err. */
int keys_open_own(const char *dir, const char *allow_list_path,
                  const char *name, keypair_t *kp, int *created, char *err,
                  size_t errlen);

/* ---- allow-list ---------------------------------------------------------- */
typedef struct allow allow_t;
/* NULL with err = "path:line: what" on any malformed line. */
allow_t *allow_load(const char *path, char *err, size_t errlen);
void allow_destroy(allow_t **ap);
const principal_t *allow_by_key(const allow_t *a, const char *pub_z85);
const principal_t *allow_by_name(const allow_t *a, const char *name);
size_t allow_count(const allow_t *a);
/* The principal a received message (zmq_msg_t *) comes from: the entry of
 * the key its connection authenticated with (ZAP metadata
 * AUTH_KEY_PROPERTY), so a key removed from the list loses its open
 * connections at the next reload even when its principal keeps another
 * key. NULL if not listed. *user (may be NULL) gets the User-Id. */
#define AUTH_KEY_PROPERTY "X-Cogov-Key"
const principal_t *allow_by_msg(const allow_t *a, void *zmsg,
                                const char **user);

/* Key rotation (cogovctl keys rotate / retire). Append a line for `name`'s
 * new key pub with the grants of its present line (-ENOENT if name is not
 * listed, -EEXIST if pub is); remove every line of `name` whose key is not
 * `keep` (which must be listed for name, else -ENOENT and nothing
 * changes). The file keeps its comments, mode and owner. */
int allow_add_key(const char *path, const char *name, const char *pub,
                  char *err, size_t errlen);
int allow_retire_keys(const char *path, const char *name, const char *keep,
                      int *removed, char *err, size_t errlen);

/* ---- connections per principal ------------------------------------------ */
/* Which principal holds which connection of a server socket, for the
 * max_connections limit. conns_new sets a monitor on server (after bind);
 * NULL if it cannot (the limit is then not enforced). */
typedef struct conns conns_t;
conns_t *conns_new(void *zctx, void *server);
void conns_destroy(conns_t **cp);
/* Take in accepted/closed connections; call before reading messages. */
void conns_poll(conns_t *c);
/* A message (zmq_msg_t *) from principal `name`: true if its connection is
 * within the principal's max connections (max <= 0: no limit). A
 * connection over the limit is refused per message and admitted once
 * another of the principal's connections closes. *count: the principal's
 * admitted connections when a new one was judged. */
bool conns_admit(conns_t *c, void *zmsg, const char *name, long long max,
                 size_t *count);
size_t conns_open(const conns_t *c, const char *name);

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

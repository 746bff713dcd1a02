/* client: a blocking request/reply client for cogovctl, tests and bureau
 * integrations written in C. Not for use inside a daemon's loop. */
#ifndef COGOV_CLIENT_H
#define COGOV_CLIENT_H

#include <stddef.h>

#include "auth.h"
#include "cogov/v1/envelope.pb-c.h"

typedef struct client client_t;

/* zctx: a ZeroMQ context the caller owns (outlives the client). */
client_t *client_new(void *zctx, const char *endpoint, const keypair_t *kp,
                     const char *server_pub, char *err, size_t errlen);
void client_destroy(client_t **cp);

/* Send req and wait for its reply. If req->request_id is NULL a fresh one is
 * made (and kept in req, owned by the client until the next call); likewise
 * correlation_id. Each attempt waits attempt_ms; on silence the socket is
 * remade and the same request (same id) sent again, until total_ms passes.
 * Returns the reply (free with cogov__v1__reply__free_unpacked(r, NULL)) or
 * NULL with err ("timeout after N ms", ...). */
Cogov__V1__Reply *client_call(client_t *c, Cogov__V1__Request *req,
                              int attempt_ms, int total_ms, char *err,
                              size_t errlen);

#endif

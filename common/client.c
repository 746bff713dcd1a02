/* client: blocking request/reply over a CURVE DEALER, with retries. */
#include "client.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <zmq.h>

#include "util.h"

struct client {
    void *zctx;
    char *endpoint;
    keypair_t kp;
    char server_pub[KEY_Z85_LEN + 1];
    void *sock;
    char *request_id;     /* made by the client; req->request_id points here */
    char *correlation_id; /* likewise */
};

/* 16 random hex characters. */
static char *
random_hex(const char *prefix)
{
    uint8_t b[8];
    char hex[17];
    size_t got = 0;

    while (got < sizeof b) {
        ssize_t n = getrandom(b + got, sizeof b - got, 0);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            abort(); /* the kernel always has urandom since 3.17 */
        got += (size_t)n;
    }
    for (size_t i = 0; i < sizeof b; i++)
        snprintf(hex + 2 * i, 3, "%02x", b[i]);
    return xasprintf("%s%s", prefix, hex);
}

client_t *
client_new(void *zctx, const char *endpoint, const keypair_t *kp,
           const char *server_pub, char *err, size_t errlen)
{
    client_t *c;
    void *s = sock_client(zctx, endpoint, kp, server_pub, 0, err, errlen);

    if (s == NULL)
        return NULL;
    c = xcalloc(1, sizeof *c);
    c->zctx = zctx;
    c->endpoint = xstrdup(endpoint);
    c->kp = *kp;
    memcpy(c->server_pub, server_pub, sizeof c->server_pub);
    c->sock = s;
    return c;
}

void
client_destroy(client_t **cp)
{
    client_t *c;

    if (cp == NULL || *cp == NULL)
        return;
    c = *cp;
    if (c->sock)
        zmq_close(c->sock);
    explicit_bzero(&c->kp, sizeof c->kp);
    free(c->endpoint);
    free(c->request_id);
    free(c->correlation_id);
    free(c);
    *cp = NULL;
}

/* Receive one whole message; returns the first frame's bytes in *out (or
 * NULL for a message that is not exactly one frame). */
static int
recv_one(void *s, zmq_msg_t *out)
{
    int frames = 0, more;

    do {
        zmq_msg_t m;

        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, s, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&m);
            return frames ? frames : -zmq_errno();
        }
        more = zmq_msg_more(&m);
        if (frames++ == 0)
            zmq_msg_move(out, &m);
        zmq_msg_close(&m);
    } while (more);
    return frames;
}

/* Wait until deadline for the reply to request_id. Returns 1 with *rep set,
 * 0 on silence, negative on error (err set). */
static int
await_reply(client_t *c, const char *request_id, int64_t deadline,
            Cogov__V1__Reply **rep, char *err, size_t errlen)
{
    for (;;) {
        int64_t left = deadline - now_mono_ms();
        zmq_pollitem_t it = {.socket = c->sock, .events = ZMQ_POLLIN};
        zmq_msg_t m;
        Cogov__V1__Reply *r;
        int rc;

        if (left <= 0)
            return 0;
        rc = zmq_poll(&it, 1, (long)left);
        if (rc < 0 && zmq_errno() == EINTR)
            continue;
        if (rc < 0) {
            snprintf(err, errlen, "poll: %s", zmq_strerror(zmq_errno()));
            return -zmq_errno();
        }
        if (rc == 0)
            continue; /* re-check the deadline */
        zmq_msg_init(&m);
        rc = recv_one(c->sock, &m);
        if (rc == -EAGAIN || rc == -EINTR) {
            zmq_msg_close(&m);
            continue;
        }
        if (rc < 0) {
            zmq_msg_close(&m);
            snprintf(err, errlen, "receive: %s", zmq_strerror(-rc));
            return rc;
        }
        if (rc != 1) {
            zmq_msg_close(&m);
            snprintf(err, errlen, "malformed reply (%d frames, want 1)", rc);
            return -EPROTO;
        }
        r = cogov__v1__reply__unpack(NULL, zmq_msg_size(&m), zmq_msg_data(&m));
        zmq_msg_close(&m);
        if (r == NULL) {
            snprintf(err, errlen, "malformed reply (not a cogov.v1.Reply)");
            return -EPROTO;
        }
        if (r->request_id == NULL || strcmp(r->request_id, request_id) != 0) {
            /* a late answer to an earlier call on this socket */
            cogov__v1__reply__free_unpacked(r, NULL);
            continue;
        }
        *rep = r;
        return 1;
    }
}

Cogov__V1__Reply *
client_call(client_t *c, Cogov__V1__Request *req, int attempt_ms, int total_ms,
            char *err, size_t errlen)
{
    Cogov__V1__Reply *rep = NULL;
    int64_t start = now_mono_ms(), end = start + total_ms;
    uint8_t *buf = NULL;
    size_t len;
    int rc;

    if (attempt_ms <= 0)
        attempt_ms = total_ms;
    if (req->request_id == NULL) {
        free(c->request_id);
        c->request_id = random_hex("");
        req->request_id = c->request_id;
    }
    if (req->correlation_id == NULL) {
        free(c->correlation_id);
        c->correlation_id = random_hex("c-");
        req->correlation_id = c->correlation_id;
    }
    len = cogov__v1__request__get_packed_size(req);
    buf = xmalloc(len ? len : 1);
    cogov__v1__request__pack(req, buf);

    for (;;) {
        int64_t now = now_mono_ms(), attempt_end = now + attempt_ms;
        char serr[256];

        if (c->sock == NULL) {
            c->sock = sock_client(c->zctx, c->endpoint, &c->kp, c->server_pub,
                                  0, serr, sizeof serr);
            if (c->sock == NULL) {
                snprintf(err, errlen, "%s", serr);
                goto done;
            }
        }
        if (attempt_end > end)
            attempt_end = end;
        /* The DEALER queues while it connects; EAGAIN (queue full) counts
         * as silence. */
        if (zmq_send(c->sock, buf, len, ZMQ_DONTWAIT) < 0 &&
            zmq_errno() != EAGAIN) {
            snprintf(err, errlen, "send: %s", zmq_strerror(zmq_errno()));
            goto done;
        }
        rc = await_reply(c, req->request_id, attempt_end, &rep, err, errlen);
        if (rc != 0)
            goto done;
        if (now_mono_ms() >= end) {
            snprintf(err, errlen, "timeout after %d ms", total_ms);
            goto done;
        }
        /* Silence: the connection may be wedged (a handshake refused, a
         * peer restarted); start over on a fresh socket with the same id. */
        zmq_close(c->sock);
        c->sock = NULL;
    }
done:
    free(buf);
    return rep;
}

/* auth: CURVE keys, the allow-list, the ZAP handler and socket factories. */
#include "auth.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <zmq.h>

#include "config.h"
#include "log.h"
#include "util.h"

/* Debian's zmq.h defines it only under ZMQ_BUILD_DRAFT_API; libzmq 4.3.4
 * honours it: without it a context with no ZAP handler accepts any key. */
#ifndef ZMQ_ZAP_ENFORCE_DOMAIN
#define ZMQ_ZAP_ENFORCE_DOMAIN 93
#endif

#define ZAP_ENDPOINT "inproc://zeromq.zap.01"
#define ZAP_DOMAIN "cogov"
#define SERVER_HWM 100000
#define HEARTBEAT_IVL_MS 5000
#define HEARTBEAT_TIMEOUT_MS 15000

static const char *const BOOTSTRAP_DAEMONS[] = {
    "coordination",
    "incentives",
    "supervision",
    "secretariat",
};
#define BOOTSTRAP_OPERATOR "operator"

/* ---- roles and principals ---------------------------------------------- */

#define ROLE_PREFIX "ROLE_"

int
role_parse(const char *name)
{
    const ProtobufCEnumDescriptor *d = &cogov__v1__role__descriptor;
    char full[64];

    if (str_empty(name) || strcmp(name, "UNSPECIFIED") == 0)
        return -1;
    if (snprintf(full, sizeof full, ROLE_PREFIX "%s", name) >= (int)sizeof full)
        return -1;
    for (unsigned i = 0; i < d->n_values; i++) {
        if (strcmp(d->values[i].name, full) == 0)
            return d->values[i].value;
    }
    return -1;
}

const char *
role_name(int role)
{
    const ProtobufCEnumValue *v;

    if (role <= 0)
        return "?";
    v = protobuf_c_enum_descriptor_get_value(&cogov__v1__role__descriptor,
                                             role);
    if (v == NULL || strncmp(v->name, ROLE_PREFIX, strlen(ROLE_PREFIX)) != 0)
        return "?";
    return v->name + strlen(ROLE_PREFIX);
}

bool
principal_has(const principal_t *p, uint32_t roles_any)
{
    return p != NULL && (p->roles & roles_any) != 0;
}

bool
principal_may_read(const principal_t *p, const char *stream)
{
    size_t n;
    const char *s;

    if (p == NULL || str_empty(stream))
        return false;
    if (strcmp(p->streams, "*") == 0)
        return true;
    n = strlen(stream);
    for (s = p->streams; *s;) {
        const char *end = strchr(s, ',');
        size_t len = end ? (size_t)(end - s) : strlen(s);

        if (len == n && memcmp(s, stream, n) == 0)
            return true;
        if (end == NULL)
            break;
        s = end + 1;
    }
    return false;
}

/* ---- small helpers ----------------------------------------------------- */

static bool
z85_char(int c)
{
    static const char alphabet[] = "0123456789abcdefghijklmnopqrstuvwxyz"
                                   "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                   ".-:+=^!/*?&<>()[]{}@%$#";
    return c != 0 && strchr(alphabet, c) != NULL;
}

/* A CURVE key in Z85: 40 characters of the Z85 alphabet. */
static bool
key_valid(const char *k)
{
    size_t i;

    if (k == NULL)
        return false;
    for (i = 0; i < KEY_Z85_LEN; i++) {
        if (!z85_char((unsigned char)k[i]))
            return false;
    }
    return k[KEY_Z85_LEN] == 0;
}

/* Key file names become paths and principal names: keep them plain. */
static bool
name_valid(const char *name)
{
    size_t n;

    if (str_empty(name) || name[0] == '.' || name[0] == '-')
        return false;
    n = strlen(name);
    if (n >= PRINCIPAL_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];

        if (!isalnum(c) && c != '_' && c != '-' && c != '.' && c != '@')
            return false;
    }
    return true;
}

void
keys_fingerprint(const char *pub, char out[17])
{
    uint64_t h = hash64(pub, pub ? strlen(pub) : 0);

    snprintf(out, 17, "%016llx", (unsigned long long)h);
}

/* mkdir -p with mode for every component that has to be made. */
static int
mkdir_p(const char *path, mode_t mode)
{
    char *p = xstrdup(path);
    int rc = 0;

    for (char *s = p + 1;; s++) {
        if (*s == '/' || *s == 0) {
            char saved = *s;

            *s = 0;
            if (mkdir(p, mode) < 0 && errno != EEXIST) {
                rc = -errno;
                goto done;
            }
            *s = saved;
            if (saved == 0)
                break;
        }
    }
    struct stat st;
    if (stat(path, &st) < 0)
        rc = -errno;
    else if (!S_ISDIR(st.st_mode))
        rc = -ENOTDIR;
done:
    free(p);
    return rc;
}

static int
fsync_dir_of(const char *path)
{
    char *d = xstrdup(path);
    char *slash = strrchr(d, '/');
    int fd, rc = 0;

    if (slash == d)
        slash[1] = 0;
    else if (slash)
        *slash = 0;
    else
        strcpy(d, ".");
    fd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || fsync(fd) < 0)
        rc = -errno;
    if (fd >= 0)
        close(fd);
    free(d);
    return rc;
}

/* Write text to path atomically: tmp + fsync, then rename (or link when
 * !replace, so that an existing file fails with -EEXIST and is never
 * overwritten), then fsync the directory. */
static int
write_atomic(const char *path, const char *text, mode_t mode, bool replace)
{
    char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
    size_t len = strlen(text), off = 0;
    int fd, rc = 0;

    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
    if (fd < 0) {
        rc = -errno;
        goto done;
    }
    if (fchmod(fd, mode) < 0) { /* the umask must not widen or narrow it */
        rc = -errno;
        goto done;
    }
    while (off < len) {
        ssize_t n = write(fd, text + off, len - off);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = -errno;
            goto done;
        }
        off += (size_t)n;
    }
    if (fsync(fd) < 0) {
        rc = -errno;
        goto done;
    }
    if (close(fd) < 0) {
        fd = -1;
        rc = -errno;
        goto done;
    }
    fd = -1;
    if (replace) {
        if (rename(tmp, path) < 0)
            rc = -errno;
    } else {
        if (link(tmp, path) < 0)
            rc = -errno;
    }
    if (rc == 0)
        rc = fsync_dir_of(path);
done:
    if (fd >= 0)
        close(fd);
    unlink(tmp); /* after rename it no longer exists; harmless */
    free(tmp);
    return rc;
}

/* ---- keys -------------------------------------------------------------- */

int
keys_generate(keypair_t *kp)
{
    if (!zmq_has("curve"))
        return -ENOTSUP;
    /* A key that starts with '#' would look like a comment at the start of
     * an allow-list line; draw again (1 chance in 85). */
    do {
        if (zmq_curve_keypair(kp->pub, kp->sec) != 0)
            return -errno;
    } while (kp->pub[0] == '#');
    return 0;
}

int
keys_write(const char *dir, const char *name, const keypair_t *kp)
{
    char *key_path = NULL, *pub_path = NULL, *key_text = NULL, *pub_text = NULL;
    int rc;

    if (!name_valid(name) || !key_valid(kp->pub) || !key_valid(kp->sec))
        return -EINVAL;
    key_path = xasprintf("%s/%s.key", dir, name);
    pub_path = xasprintf("%s/%s.pub", dir, name);
    key_text = xasprintf("# CURVE keypair of %s: keep secret\n"
                         "public = %s\nsecret = %s\n",
                         name, kp->pub, kp->sec);
    pub_text =
        xasprintf("# CURVE public key of %s\npublic = %s\n", name, kp->pub);
    rc = write_atomic(key_path, key_text, 0600, false);
    if (rc < 0)
        goto done;
    rc = write_atomic(pub_path, pub_text, 0644, true);
done:
    /* the secret text must not linger in freed memory */
    explicit_bzero(key_text, strlen(key_text));
    free(key_path);
    free(pub_path);
    free(key_text);
    free(pub_text);
    return rc;
}

typedef struct key_file {
    char pub[CFG_STR_MAX];
    char sec[CFG_STR_MAX];
} key_file_t;

static const cfg_field_t KEY_FIELDS[] = {
    {"public", CFG_STRING, offsetof(key_file_t, pub), NULL, 0, 0,
     "CURVE public key (Z85)"},
    {"secret", CFG_STRING, offsetof(key_file_t, sec), NULL, 0, 0,
     "CURVE secret key (Z85)"},
    {NULL, 0, 0, NULL, 0, 0, NULL},
};
static const cfg_field_t PUB_FIELDS[] = {
    {"public", CFG_STRING, offsetof(key_file_t, pub), NULL, 0, 0,
     "CURVE public key (Z85)"},
    {NULL, 0, 0, NULL, 0, 0, NULL},
};

int
keys_load(const char *dir, const char *name, keypair_t *kp)
{
    key_file_t kf;
    cfg_section_t sec = {KEY_FIELDS, &kf};
    char err[256], derived[KEY_Z85_LEN + 1];
    char *path;
    int rc;

    if (!name_valid(name))
        return -EINVAL;
    path = xasprintf("%s/%s.key", dir, name);
    rc = cfg_load(&sec, 1, path, err, sizeof err);
    if (rc < 0)
        goto done;
    /* the public key must be the one the secret key makes */
    if (!key_valid(kf.pub) || !key_valid(kf.sec) ||
        zmq_curve_public(derived, kf.sec) != 0 ||
        strcmp(derived, kf.pub) != 0) {
        rc = -EINVAL;
        goto done;
    }
    memcpy(kp->pub, kf.pub, sizeof kp->pub);
    memcpy(kp->sec, kf.sec, sizeof kp->sec);
done:
    explicit_bzero(&kf, sizeof kf);
    free(path);
    return rc;
}

int
keys_load_public(const char *dir, const char *name, char pub[KEY_Z85_LEN + 1])
{
    key_file_t kf;
    cfg_section_t sec = {PUB_FIELDS, &kf};
    char err[256];
    char *path;
    int rc;

    if (!name_valid(name))
        return -EINVAL;
    path = xasprintf("%s/%s.pub", dir, name);
    rc = cfg_load(&sec, 1, path, err, sizeof err);
    if (rc == -ENOENT) {
        /* the .pub is written after the .key: fall back to the pair */
        keypair_t kp;

        rc = keys_load(dir, name, &kp);
        if (rc == 0)
            memcpy(pub, kp.pub, KEY_Z85_LEN + 1);
        explicit_bzero(&kp, sizeof kp);
        goto done;
    }
    if (rc < 0)
        goto done;
    if (!key_valid(kf.pub)) {
        rc = -EINVAL;
        goto done;
    }
    memcpy(pub, kf.pub, KEY_Z85_LEN + 1);
done:
    free(path);
    return rc;
}

static const char ALLOW_HEADER[] =
    "# cogov allow-list: who may connect, as whom, with which roles.\n"
    "# One principal per line; lines starting with '#' are comments.\n"
    "#\n"
    "#   <public-key-z85> <principal> <member-id|-> <ROLE[,ROLE...]> "
    "<stream[,stream...]|*|->\n"
    "#\n"
    "# public key: the 40-character Z85 CURVE public key (NAME.pub)\n"
    "# principal:  the name that appears as actor in events and logs\n"
    "# member-id:  the member unit it acts for (USCC), or - for none\n"
    "# roles:      GOV_COORDINATOR SECRETARIAT SUPERVISOR FINANCE_OFFICER\n"
    "#             MEMBER_REP BUREAU_SYSTEM OPERATOR OBSERVER SERVICE\n"
    "# streams:    event streams it may Fetch: a list, * for all, - for none\n"
    "#\n"
    "# The daemons reload this file on SIGHUP; a removed key loses its rights\n"
    "# at once.\n";

static int
bootstrap_keys(const char *dir, const char *name, int *created, char *err,
               size_t errlen)
{
    keypair_t kp;
    char fpr[17];
    int rc = keys_load(dir, name, &kp);

    if (rc == 0)
        goto done;
    if (rc != -ENOENT) {
        snprintf(err, errlen, "%s/%s.key: %s", dir, name,
                 rc == -EINVAL ? "not a valid keypair" : strerror(-rc));
        goto done;
    }
    rc = keys_generate(&kp);
    if (rc == 0)
        rc = keys_write(dir, name, &kp);
    if (rc < 0) {
        snprintf(err, errlen, "%s/%s.key: cannot create: %s", dir, name,
                 strerror(-rc));
        goto done;
    }
    (*created)++;
    keys_fingerprint(kp.pub, fpr);
    log_notice("auth.key_created", "name=%s path=%s key_fpr=%s", name,
               log_q(dir), fpr);
done:
    explicit_bzero(&kp, sizeof kp);
    return rc;
}

static int
bootstrap_allow(const char *dir, const char *path, char *err, size_t errlen)
{
    size_t cap = 4096, used = 0;
    char *text = xmalloc(cap);
    char pub[KEY_Z85_LEN + 1];
    struct stat st;
    int rc = 0;

    if (stat(path, &st) == 0)
        goto done; /* never touched once it exists */
    if (errno != ENOENT) {
        rc = -errno;
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        goto done;
    }
    used = (size_t)snprintf(text, cap, "%s\n", ALLOW_HEADER);
    for (size_t i = 0; i <= ARRAY_LEN(BOOTSTRAP_DAEMONS); i++) {
        bool op = i == ARRAY_LEN(BOOTSTRAP_DAEMONS);
        const char *name = op ? BOOTSTRAP_OPERATOR : BOOTSTRAP_DAEMONS[i];

        rc = keys_load_public(dir, name, pub);
        if (rc < 0) {
            snprintf(err, errlen, "%s/%s.pub: %s", dir, name, strerror(-rc));
            goto done;
        }
        used +=
            (size_t)snprintf(text + used, cap - used, "%s %s - %s *\n", pub,
                             name, op ? "GOV_COORDINATOR,OPERATOR" : "SERVICE");
    }
    rc = write_atomic(path, text, 0640, false);
    if (rc == -EEXIST)
        rc = 0; /* someone else wrote it meanwhile: theirs stands */
    if (rc < 0)
        snprintf(err, errlen, "%s: cannot write: %s", path, strerror(-rc));
    else
        log_notice("auth.allow_list_created", "path=%s", log_q(path));
done:
    free(text);
    return rc;
}

int
keys_bootstrap(const char *dir, const char *allow_list_path, int *created,
               char *err, size_t errlen)
{
    char *lock_path = NULL, *parent = NULL, *slash;
    int fd = -1, rc, made = 0;

    if (created)
        *created = 0;
    rc = mkdir_p(dir, 0700);
    if (rc < 0) {
        snprintf(err, errlen, "%s: cannot create: %s", dir, strerror(-rc));
        goto done;
    }
    lock_path = xasprintf("%s/.lock", dir);
    fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        rc = -errno;
        snprintf(err, errlen, "%s: %s", lock_path, strerror(errno));
        goto done;
    }
    while ((rc = flock(fd, LOCK_EX)) < 0 && errno == EINTR)
        ;
    if (rc < 0) {
        rc = -errno;
        snprintf(err, errlen, "%s: lock: %s", lock_path, strerror(errno));
        goto done;
    }
    for (size_t i = 0; i < ARRAY_LEN(BOOTSTRAP_DAEMONS); i++) {
        rc = bootstrap_keys(dir, BOOTSTRAP_DAEMONS[i], &made, err, errlen);
        if (rc < 0)
            goto done;
    }
    rc = bootstrap_keys(dir, BOOTSTRAP_OPERATOR, &made, err, errlen);
    if (rc < 0)
        goto done;
    parent = xstrdup(allow_list_path);
    slash = strrchr(parent, '/');
    if (slash && slash != parent) {
        *slash = 0;
        rc = mkdir_p(parent, 0750);
        if (rc < 0) {
            snprintf(err, errlen, "%s: cannot create: %s", parent,
                     strerror(-rc));
            goto done;
        }
    }
    rc = bootstrap_allow(dir, allow_list_path, err, errlen);
done:
    if (created)
        *created = made;
    if (fd >= 0)
        close(fd); /* releases the lock */
    free(lock_path);
    free(parent);
    return rc;
}

/* ---- allow-list -------------------------------------------------------- */

/* Entries in file order, found by key through an open-addressing index
 * (every request looks its connection's key up). */
struct allow {
    principal_t *v;
    size_t n;
    uint32_t *slots; /* entry index + 1, 0: empty */
    size_t n_slots;  /* a power of two, at least twice n; 0 before any */
};

/* A hash of a key's first 8 characters (fewer if it is shorter): Z85 keys
 * are random, and a hit is confirmed by comparing the whole key. */
static size_t
key_hash(const char *key)
{
    uint64_t h = 0;
    size_t n = strnlen(key, 8);
    if (n == 8)
        memcpy(&h, key, 8);
    else
        memcpy(&h, key, n);
    h *= 0x9e3779b97f4a7c15ULL;
    return (size_t)(h >> 32);
}

static void
allow_slot_put(allow_t *a, size_t idx)
{
    size_t mask = a->n_slots - 1;
    size_t i = key_hash(a->v[idx].key) & mask;
    while (a->slots[i] != 0)
        i = (i + 1) & mask;
    a->slots[i] = (uint32_t)idx + 1;
}

/* Index the entry just appended (rebuilding when the table fills). */
static void
allow_index_last(allow_t *a)
{
    if (a->n * 2 > a->n_slots) {
        free(a->slots);
        a->n_slots = a->n_slots ? a->n_slots * 2 : 32;
        a->slots = xcalloc(a->n_slots, sizeof *a->slots);
        for (size_t i = 0; i < a->n; i++)
            allow_slot_put(a, i);
    } else {
        allow_slot_put(a, a->n - 1);
    }
}

#define ALLOW_COLUMNS 5

static bool
stream_list_valid(const char *s)
{
    bool empty_item = true;

    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;

        if (c == ',') {
            if (empty_item)
                return false;
            empty_item = true;
        } else if (isalnum(c) || c == '_' || c == '-' || c == '.') {
            empty_item = false;
        } else {
            return false;
        }
    }
    return !empty_item;
}

/* Parse one entry into p; returns NULL or what is wrong with it. */
static const char *
parse_entry(char **col, int ncol, principal_t *p)
{
    char *save = NULL;

    memset(p, 0, sizeof *p);
    if (ncol != ALLOW_COLUMNS)
        return ncol < ALLOW_COLUMNS ? "too few columns (want 5)"
                                    : "too many columns (want 5)";
    if (strlen(col[0]) != KEY_Z85_LEN)
        return "public key must be 40 characters of Z85";
    if (!key_valid(col[0]))
        return "public key has a character outside the Z85 alphabet";
    memcpy(p->key, col[0], KEY_Z85_LEN + 1);
    keys_fingerprint(p->key, p->fpr);
    if (!name_valid(col[1]))
        return "bad principal name (letters, digits, _ - . @; at most 63)";
    str_copy(p->name, sizeof p->name, col[1]);
    if (strcmp(col[2], "-") != 0) {
        for (const char *s = col[2]; *s; s++) {
            if (!isalnum((unsigned char)*s))
                return "bad member id (letters and digits, or -)";
        }
        if (str_copy(p->member_id, sizeof p->member_id, col[2]) < 0)
            return "member id too long";
    }
    for (char *r = strtok_r(col[3], ",", &save); r;
         r = strtok_r(NULL, ",", &save)) {
        int role = role_parse(r);

        if (role < 0)
            return "unknown role";
        p->roles |= role_bit(role);
    }
    if (p->roles == 0)
        return "no roles";
    if (strcmp(col[4], "-") != 0) {
        if (strcmp(col[4], "*") != 0 && !stream_list_valid(col[4]))
            return "bad stream list (name[,name...], * or -)";
        if (str_copy(p->streams, sizeof p->streams, col[4]) < 0)
            return "stream list too long";
    }
    return NULL;
}

allow_t *
allow_load(const char *path, char *err, size_t errlen)
{
    allow_t *a = xcalloc(1, sizeof *a);
    size_t cap = 0, linecap = 0;
    char *line = NULL;
    unsigned lineno = 0;
    bool ok = false;
    FILE *f;

    f = fopen(path, "re");
    if (f == NULL) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        goto done;
    }
    while (getline(&line, &linecap, f) >= 0) {
        char *col[ALLOW_COLUMNS + 1], *save = NULL;
        const char *what;
        principal_t p;
        int ncol = 0;

        lineno++;
        for (char *t = strtok_r(line, " \t\r\n", &save); t;
             t = strtok_r(NULL, " \t\r\n", &save)) {
            if (ncol <= ALLOW_COLUMNS)
                col[ncol] = t;
            ncol++;
        }
        if (ncol == 0)
            continue;
        /* '#' is also a Z85 character: a line is an entry, not a comment,
         * when it has exactly five columns and a key-sized first one. */
        if (col[0][0] == '#' &&
            !(ncol == ALLOW_COLUMNS && strlen(col[0]) == KEY_Z85_LEN))
            continue;
        what = parse_entry(col, ncol, &p);
        if (what == NULL && allow_by_key(a, p.key))
            what = "duplicate key";
        /* A principal may have several keys (the overlap of a key
         * rotation); its lines must then grant the same. */
        const principal_t *same = what ? NULL : allow_by_name(a, p.name);
        if (same != NULL && (same->roles != p.roles ||
                             strcmp(same->member_id, p.member_id) != 0 ||
                             strcmp(same->streams, p.streams) != 0))
            what = "principal already listed with another member, roles or "
                   "streams (a principal's keys must grant the same)";
        if (what) {
            snprintf(err, errlen, "%s:%u: %s", path, lineno, what);
            goto done;
        }
        if (a->n == cap) {
            cap = cap ? cap * 2 : 16;
            a->v = xrealloc(a->v, cap * sizeof *a->v);
        }
        a->v[a->n++] = p;
        allow_index_last(a);
    }
    if (ferror(f)) {
        snprintf(err, errlen, "%s: read error", path);
        goto done;
    }
    ok = true;
done:
    if (f)
        fclose(f);
    free(line);
    if (!ok)
        allow_destroy(&a);
    return a;
}

void
allow_destroy(allow_t **ap)
{
    if (ap == NULL || *ap == NULL)
        return;
    free((*ap)->v);
    free((*ap)->slots);
    free(*ap);
    *ap = NULL;
}

const principal_t *
allow_by_key(const allow_t *a, const char *pub_z85)
{
    if (a == NULL || pub_z85 == NULL || a->n_slots == 0)
        return NULL;
    size_t mask = a->n_slots - 1;
    for (size_t i = key_hash(pub_z85) & mask; a->slots[i] != 0;
         i = (i + 1) & mask) {
        const principal_t *p = &a->v[a->slots[i] - 1];
        if (strcmp(p->key, pub_z85) == 0)
            return p;
    }
    return NULL;
}

const principal_t *
allow_by_name(const allow_t *a, const char *name)
{
    if (a == NULL || name == NULL)
        return NULL;
    for (size_t i = 0; i < a->n; i++) {
        if (strcmp(a->v[i].name, name) == 0)
            return &a->v[i];
    }
    return NULL;
}

size_t
allow_count(const allow_t *a)
{
    return a ? a->n : 0;
}

const principal_t *
allow_by_msg(const allow_t *a, void *zmsg, const char **user)
{
    const char *name = zmq_msg_gets(zmsg, "User-Id");
    const char *key = zmq_msg_gets(zmsg, AUTH_KEY_PROPERTY);
    const principal_t *p;

    if (user)
        *user = name;
    if (name == NULL || key == NULL)
        return NULL;
    /* by the key the connection authenticated with: a key removed from the
     * list loses its connections too, even when its principal has another
     * key left */
    p = allow_by_key(a, key);
    return p != NULL && strcmp(p->name, name) == 0 ? p : NULL;
}

/* ---- ZAP (RFC 27) ------------------------------------------------------ */

void *
zap_bind(void *zctx)
{
    void *s = zmq_socket(zctx, ZMQ_REP);
    int zero = 0;

    if (s == NULL)
        return NULL;
    zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
    if (zmq_bind(s, ZAP_ENDPOINT) != 0) {
        log_error("auth.zap_bind_failed", "error=%s",
                  log_q(zmq_strerror(zmq_errno())));
        zmq_close(s);
        return NULL;
    }
    return s;
}

#define ZAP_MAX_FRAMES 8 /* PLAIN has 8; CURVE 7; NULL 6 */

static bool
frame_is(zmq_msg_t *m, const char *s)
{
    size_t n = strlen(s);

    return zmq_msg_size(m) == n && memcmp(zmq_msg_data(m), s, n) == 0;
}

static void
frame_str(zmq_msg_t *m, char *buf, size_t size)
{
    size_t n = zmq_msg_size(m);

    if (n >= size)
        n = size - 1;
    memcpy(buf, zmq_msg_data(m), n);
    buf[n] = 0;
    for (size_t i = 0; i < n; i++) { /* for logs: printable only */
        if (!isprint((unsigned char)buf[i]) || buf[i] == ' ')
            buf[i] = '?';
    }
}

/* key: the client's public key, handed to the connection as the metadata
 * property AUTH_KEY_PROPERTY (ZMTP metadata: name length, name, value
 * length in 4 bytes big-endian, value), or NULL for none. */
static int
zap_send(void *zap, zmq_msg_t *request_id, const char *code, const char *text,
         const char *user, const char *key)
{
    uint8_t md[1 + sizeof AUTH_KEY_PROPERTY + 4 + KEY_Z85_LEN];
    size_t mdlen = 0;
    zmq_msg_t id;
    int rc = 0;

    if (key != NULL) {
        size_t nl = strlen(AUTH_KEY_PROPERTY);

        md[mdlen++] = (uint8_t)nl;
        memcpy(md + mdlen, AUTH_KEY_PROPERTY, nl);
        mdlen += nl;
        md[mdlen++] = 0;
        md[mdlen++] = 0;
        md[mdlen++] = 0;
        md[mdlen++] = KEY_Z85_LEN;
        memcpy(md + mdlen, key, KEY_Z85_LEN);
        mdlen += KEY_Z85_LEN;
    }
    zmq_msg_init(&id);
    if (request_id)
        zmq_msg_copy(&id, request_id);
    if (zmq_send(zap, "1.0", 3, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
        zmq_msg_send(&id, zap, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
        zmq_send(zap, code, strlen(code), ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
        zmq_send(zap, text, strlen(text), ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
        zmq_send(zap, user, strlen(user), ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
        zmq_send(zap, md, mdlen, ZMQ_DONTWAIT) < 0)
        rc = -zmq_errno();
    zmq_msg_close(&id);
    return rc;
}

/* Decide one request: frames are version, request id, domain, address,
 * identity, mechanism, credentials... */
static int
zap_answer(void *zap, const allow_t *a, zmq_msg_t *f, int n, uint64_t *denied)
{
    char z85[KEY_Z85_LEN + 1], fpr[17] = "-", addr[64] = "", mech[16] = "";
    const principal_t *p = NULL;
    const char *reason = NULL;
    const char *code = "400";

    if (n < 6 || !frame_is(&f[0], "1.0")) {
        reason = "malformed_request";
        code = "500";
    } else {
        bool curve = frame_is(&f[5], "CURVE");
        bool key = curve && n == 7 && zmq_msg_size(&f[6]) == 32;

        frame_str(&f[3], addr, sizeof addr);
        frame_str(&f[5], mech, sizeof mech);
        if (key) {
            zmq_z85_encode(z85, zmq_msg_data(&f[6]), 32);
            keys_fingerprint(z85, fpr);
        }
        if (!frame_is(&f[2], ZAP_DOMAIN))
            reason = "wrong_domain";
        else if (!curve)
            reason = "not_curve";
        else if (!key)
            reason = "bad_credentials";
        else if ((p = allow_by_key(a, z85)) == NULL)
            reason = "unknown_key";
    }
    if (reason) {
        if (denied)
            (*denied)++;
        log_warn("auth.refused", "key_fpr=%s reason=%s mechanism=%s addr=%s",
                 fpr, reason, mech[0] ? mech : "-", addr[0] ? addr : "-");
        return zap_send(zap, n >= 2 ? &f[1] : NULL, code, reason, "", NULL);
    }
    log_debug("auth.accepted", "key_fpr=%s principal=%s addr=%s", fpr,
              log_q(p->name), addr[0] ? addr : "-");
    return zap_send(zap, &f[1], "200", "OK", p->name, p->key);
}

int
zap_handle(void *zap, const allow_t *a, uint64_t *denied)
{
    int answered = 0;

    for (;;) {
        zmq_msg_t f[ZAP_MAX_FRAMES], extra;
        int n = 0, total = 0, more, rc;

        /* a multipart message arrives whole: once the first frame is here,
         * the rest is too */
        do {
            zmq_msg_t *m = n < ZAP_MAX_FRAMES ? &f[n] : &extra;

            zmq_msg_init(m);
            if (zmq_msg_recv(m, zap, ZMQ_DONTWAIT) < 0) {
                zmq_msg_close(m);
                break;
            }
            total++;
            more = zmq_msg_more(m);
            if (m == &extra)
                zmq_msg_close(m);
            else
                n++;
        } while (more);
        if (total == 0)
            break; /* EAGAIN: nothing pending */
        rc = zap_answer(zap, a, f, total == n ? n : 0, denied);
        for (int i = 0; i < n; i++)
            zmq_msg_close(&f[i]);
        if (rc < 0) {
            log_error("auth.zap_reply_failed", "error=%s",
                      log_q(zmq_strerror(-rc)));
            break;
        }
        answered++;
    }
    return answered;
}

/* ---- sockets ----------------------------------------------------------- */

#define SETOPT(s, opt, val) zmq_setsockopt((s), (opt), &(val), sizeof(val))

/* libzmq unlinks whatever is at an ipc path before binding, which would
 * silently steal a live daemon's endpoint; unlink only a socket file that no
 * one listens on, refuse anything else. */
static int
ipc_prepare(const char *path, char *err, size_t errlen)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    struct stat st;
    int fd, rc = 0;

    if (path[0] == '@' || path[0] == 0)
        return 0; /* abstract namespace: no file */
    if (strlen(path) >= sizeof sa.sun_path) {
        snprintf(err, errlen, "ipc path too long (%zu bytes, max %zu): %s",
                 strlen(path), sizeof sa.sun_path - 1, path);
        return -ENAMETOOLONG;
    }
    if (lstat(path, &st) < 0)
        return 0;
    if (!S_ISSOCK(st.st_mode)) {
        snprintf(err, errlen, "%s exists and is not a socket", path);
        return -EEXIST;
    }
    memcpy(sa.sun_path, path, strlen(path) + 1);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return 0;
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0) {
        snprintf(err, errlen, "%s is in use by a running process", path);
        rc = -EADDRINUSE;
    } else if (errno == ECONNREFUSED) {
        unlink(path); /* stale */
    }
    close(fd);
    return rc;
}

static int
set_common(void *s, long long max_msg)
{
    int zero = 0, ivl = HEARTBEAT_IVL_MS, tmo = HEARTBEAT_TIMEOUT_MS;
    int64_t maxmsg = max_msg > 0 ? max_msg : -1;

    if (SETOPT(s, ZMQ_LINGER, zero) || SETOPT(s, ZMQ_MAXMSGSIZE, maxmsg) ||
        SETOPT(s, ZMQ_HEARTBEAT_IVL, ivl) ||
        SETOPT(s, ZMQ_HEARTBEAT_TIMEOUT, tmo))
        return -zmq_errno();
    return 0;
}

void *
sock_server(void *zctx, const char *endpoint, const keypair_t *kp,
            long long max_msg, char *err, size_t errlen)
{
    int one = 1, zero = 0, hwm = SERVER_HWM;
    void *s = NULL;

    if (!zmq_has("curve")) {
        snprintf(err, errlen, "libzmq was built without CURVE (libsodium)");
        return NULL;
    }
    if (!key_valid(kp->pub) || !key_valid(kp->sec)) {
        snprintf(err, errlen, "%s: server keypair is not valid Z85", endpoint);
        return NULL;
    }
    s = zmq_socket(zctx, ZMQ_ROUTER);
    if (s == NULL)
        goto zerr;
    if (set_common(s, max_msg) < 0 || SETOPT(s, ZMQ_CURVE_SERVER, one) ||
        zmq_setsockopt(s, ZMQ_CURVE_PUBLICKEY, kp->pub, KEY_Z85_LEN + 1) ||
        zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, kp->sec, KEY_Z85_LEN + 1) ||
        zmq_setsockopt(s, ZMQ_ZAP_DOMAIN, ZAP_DOMAIN, strlen(ZAP_DOMAIN)) ||
        SETOPT(s, ZMQ_ZAP_ENFORCE_DOMAIN, one) ||
        SETOPT(s, ZMQ_ROUTER_MANDATORY, zero) || SETOPT(s, ZMQ_SNDHWM, hwm) ||
        SETOPT(s, ZMQ_RCVHWM, hwm))
        goto zerr;
    if (strncmp(endpoint, "ipc://", 6) == 0 &&
        ipc_prepare(endpoint + 6, err, errlen) < 0)
        goto fail;
    if (zmq_bind(s, endpoint) != 0) {
        snprintf(err, errlen, "bind %s: %s", endpoint,
                 zmq_strerror(zmq_errno()));
        goto fail;
    }
    return s;
zerr:
    snprintf(err, errlen, "%s: %s", endpoint, zmq_strerror(zmq_errno()));
fail:
    if (s)
        zmq_close(s);
    return NULL;
}

void *
sock_client(void *zctx, const char *endpoint, const keypair_t *kp,
            const char *server_pub, long long max_msg, char *err, size_t errlen)
{
    void *s = NULL;

    if (!zmq_has("curve")) {
        snprintf(err, errlen, "libzmq was built without CURVE (libsodium)");
        return NULL;
    }
    if (!key_valid(kp->pub) || !key_valid(kp->sec)) {
        snprintf(err, errlen, "client keypair is not valid Z85");
        return NULL;
    }
    if (!key_valid(server_pub)) {
        snprintf(err, errlen, "server public key is not valid Z85");
        return NULL;
    }
    s = zmq_socket(zctx, ZMQ_DEALER);
    if (s == NULL)
        goto zerr;
    if (set_common(s, max_msg) < 0 ||
        zmq_setsockopt(s, ZMQ_CURVE_SERVERKEY, server_pub, KEY_Z85_LEN + 1) ||
        zmq_setsockopt(s, ZMQ_CURVE_PUBLICKEY, kp->pub, KEY_Z85_LEN + 1) ||
        zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, kp->sec, KEY_Z85_LEN + 1))
        goto zerr;
    if (zmq_connect(s, endpoint) != 0) {
        snprintf(err, errlen, "connect %s: %s", endpoint,
                 zmq_strerror(zmq_errno()));
        goto fail;
    }
    return s;
zerr:
    snprintf(err, errlen, "%s: %s", endpoint, zmq_strerror(zmq_errno()));
fail:
    if (s)
        zmq_close(s);
    return NULL;
}

/* ---- the daemon's own key ---------------------------------------------- */

int
keys_open_own(const char *dir, const char *allow_list_path, const char *name,
              keypair_t *kp, int *created, char *err, size_t errlen)
{
    const char *cred = getenv("CREDENTIALS_DIRECTORY");
    char *cred_path = NULL;
    const char *source = "keys_dir";
    char fpr[17];
    int rc;

    if (created)
        *created = 0;
    if (!str_empty(cred)) {
        cred_path = xasprintf("%s/%s.key", cred, name);
        if (access(cred_path, F_OK) != 0)
            goto from_dir; /* a credential for something else */
        /* systemd LoadCredential=: the secret key comes from there and
         * keys_dir is only read (the peers' .pub files); nothing is made
         * and no lock is taken, so keys_dir may be read-only. */
        rc = keys_load(cred, name, kp);
        if (rc < 0) {
            snprintf(err, errlen, "%s: %s", cred_path,
                     rc == -EINVAL ? "not a valid keypair" : strerror(-rc));
            goto done;
        }
        source = "credentials";
        goto loaded;
    }
from_dir:
    rc = keys_bootstrap(dir, allow_list_path, created, err, errlen);
    if (rc < 0)
        goto done;
    rc = keys_load(dir, name, kp);
    if (rc < 0) {
        snprintf(err, errlen, "%s/%s.key: %s", dir, name,
                 rc == -EINVAL ? "not a valid keypair" : strerror(-rc));
        goto done;
    }
loaded:
    keys_fingerprint(kp->pub, fpr);
    log_info("keys.loaded", "name=%s source=%s key_fpr=%s", name, source, fpr);
done:
    free(cred_path);
    return rc;
}

/* ---- allow-list edits (cogovctl keys rotate / retire) ------------------- */

static char *
read_text(const char *path, int *rc)
{
    FILE *f = fopen(path, "re");
    size_t cap = 4096, len = 0, n;
    char *text;

    *rc = 0;
    if (f == NULL) {
        *rc = -errno;
        return NULL;
    }
    text = xmalloc(cap);
    while ((n = fread(text + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (len + 1 == cap) {
            cap *= 2;
            text = xrealloc(text, cap);
        }
    }
    if (ferror(f))
        *rc = -EIO;
    fclose(f);
    text[len] = 0;
    return text;
}

/* Replace path's content, keeping its mode and (when allowed) owner. */
static int
rewrite_keeping_owner(const char *path, const char *text)
{
    struct stat st;
    int rc;

    if (stat(path, &st) < 0)
        return -errno;
    rc = write_atomic(path, text, st.st_mode & 07777, true);
    if (rc == 0 && chown(path, st.st_uid, st.st_gid) < 0 && errno != EPERM)
        rc = -errno;
    return rc;
}

int
allow_add_key(const char *path, const char *name, const char *pub, char *err,
              size_t errlen)
{
    char *text = NULL, *out = NULL, *line = NULL;
    const principal_t *p;
    allow_t *a;
    int rc;

    a = allow_load(path, err, errlen);
    if (a == NULL)
        return -EINVAL;
    p = allow_by_name(a, name);
    if (p == NULL) {
        snprintf(err, errlen, "%s: no principal %s", path, name);
        rc = -ENOENT;
        goto done;
    }
    if (allow_by_key(a, pub) != NULL) {
        snprintf(err, errlen, "%s: the key is listed already", path);
        rc = -EEXIST;
        goto done;
    }
    /* the same grants as the principal's present line */
    char roles[512] = "";
    size_t rl = 0;
    for (int r = 1; r < 32 && rl < sizeof roles; r++) {
        if (p->roles & role_bit(r))
            rl += (size_t)snprintf(roles + rl, sizeof roles - rl, "%s%s",
                                   rl > 0 ? "," : "", role_name(r));
    }
    line = xasprintf("%s %s %s %s %s\n", pub, p->name,
                     p->member_id[0] ? p->member_id : "-", roles,
                     p->streams[0] ? p->streams : "-");
    text = read_text(path, &rc);
    if (text == NULL || rc < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(rc ? -rc : EIO));
        goto done;
    }
    size_t n = strlen(text);
    out = xasprintf("%s%s%s", text, n > 0 && text[n - 1] != '\n' ? "\n" : "",
                    line);
    rc = rewrite_keeping_owner(path, out);
    if (rc < 0)
        snprintf(err, errlen, "%s: cannot write: %s", path, strerror(-rc));
done:
    allow_destroy(&a);
    free(text);
    free(out);
    free(line);
    return rc;
}

int
allow_retire_keys(const char *path, const char *name, const char *keep,
                  int *removed, char *err, size_t errlen)
{
    char *text = NULL, *save = NULL, *out = NULL;
    size_t olen = 0;
    allow_t *a;
    int rc, n = 0;

    *removed = 0;
    a = allow_load(path, err, errlen);
    if (a == NULL)
        return -EINVAL;
    if (allow_by_key(a, keep) == NULL ||
        strcmp(allow_by_key(a, keep)->name, name) != 0) {
        snprintf(err, errlen,
                 "%s: the key to keep is not listed for %s: add it first "
                 "(nothing removed)",
                 path, name);
        allow_destroy(&a);
        return -ENOENT;
    }
    allow_destroy(&a);
    text = read_text(path, &rc);
    if (text == NULL || rc < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(rc ? -rc : EIO));
        free(text);
        return rc ? rc : -EIO;
    }
    out = xmalloc(strlen(text) + 2);
    /* keep every line but the entries of `name` with another key;
     * comments and layout stay as they are */
    for (char *l = text; l != NULL && *l; l = save) {
        char *nl = strchr(l, '\n');
        char key[KEY_Z85_LEN + 1] = "", who[PRINCIPAL_NAME_MAX] = "";

        save = nl ? nl + 1 : NULL;
        if (nl)
            *nl = 0;
        if (sscanf(l, " %40s %63s", key, who) == 2 &&
            strlen(key) == KEY_Z85_LEN && strcmp(who, name) == 0 &&
            strcmp(key, keep) != 0) {
            n++;
            continue;
        }
        size_t ll = strlen(l);
        memcpy(out + olen, l, ll);
        olen += ll;
        out[olen++] = '\n';
    }
    out[olen] = 0;
    rc = n > 0 ? rewrite_keeping_owner(path, out) : 0;
    if (rc < 0)
        snprintf(err, errlen, "%s: cannot write: %s", path, strerror(-rc));
    else
        *removed = n;
    free(out);
    free(text);
    return rc;
}

/* ---- connections per principal ----------------------------------------- */

/* Connections are known by their file descriptor: a monitor on the server
 * socket tells when one is accepted and when it goes away, and every
 * message names the descriptor it came in on (ZMQ_SRCFD). A connection
 * belongs to the principal of its first message. Monitor events are drained
 * before the messages of an iteration are read, so a descriptor reused by a
 * new connection has been reset by then. */
typedef struct conn_slot {
    bool used;     /* a message bound it to a principal */
    bool admitted; /* within the principal's limit */
    char name[PRINCIPAL_NAME_MAX];
} conn_slot_t;

struct conns {
    void *server;
    void *mon; /* PAIR connected to the server's monitor */
    conn_slot_t *v;
    size_t n; /* slots (highest fd + 1) */
};

conns_t *
conns_new(void *zctx, void *server)
{
    char ep[64];
    conns_t *c = xcalloc(1, sizeof *c);
    int hwm = 100000, zero = 0;

    c->server = server;
    snprintf(ep, sizeof ep, "inproc://cogov.conns.%p", (void *)c);
    /* Our PAIR connects before the monitor binds (inproc allows it), so
     * no event is emitted with nobody attached: libzmq 4.3.4's
     * monitor_event leaks the address frame of an event it fails to send
     * (LeakSanitizer: 74 bytes malloc'd in libzmq's I/O thread). */
    c->mon = zmq_socket(zctx, ZMQ_PAIR);
    if (c->mon == NULL)
        goto fail;
    zmq_setsockopt(c->mon, ZMQ_RCVHWM, &hwm, sizeof hwm);
    zmq_setsockopt(c->mon, ZMQ_LINGER, &zero, sizeof zero);
    if (zmq_connect(c->mon, ep) != 0)
        goto fail;
    if (zmq_socket_monitor(server, ep,
                           ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED |
                               ZMQ_EVENT_CLOSED) != 0)
        goto fail;
    return c;
fail:
    log_error("limit.monitor_failed", "error=%s",
              log_q(zmq_strerror(zmq_errno())));
    conns_destroy(&c);
    return NULL;
}

void
conns_destroy(conns_t **cp)
{
    if (cp == NULL || *cp == NULL)
        return;
    if ((*cp)->mon) {
        /* stop the monitor and take what it sent: events left in its pipe
         * when both ends close leak in libzmq 4.3.4 (LSan) */
        zmq_socket_monitor((*cp)->server, NULL, 0);
        conns_poll(*cp);
        zmq_close((*cp)->mon);
    }
    free((*cp)->v);
    free(*cp);
    *cp = NULL;
}

static conn_slot_t *
conn_slot(conns_t *c, int fd)
{
    if (fd < 0)
        return NULL;
    if ((size_t)fd >= c->n) {
        size_t n = (size_t)fd + 64;

        c->v = xrealloc(c->v, n * sizeof *c->v);
        memset(c->v + c->n, 0, (n - c->n) * sizeof *c->v);
        c->n = n;
    }
    return &c->v[fd];
}

void
conns_poll(conns_t *c)
{
    if (c == NULL)
        return;
    for (int i = 0; i < 10000; i++) {
        zmq_msg_t ev, addr;
        uint16_t event;
        uint32_t value;

        zmq_msg_init(&ev);
        if (zmq_msg_recv(&ev, c->mon, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&ev);
            return;
        }
        bool ok = zmq_msg_size(&ev) == 6 && zmq_msg_more(&ev);
        if (ok) {
            memcpy(&event, zmq_msg_data(&ev), 2);
            memcpy(&value, (uint8_t *)zmq_msg_data(&ev) + 2, 4);
        }
        while (zmq_msg_more(&ev)) { /* the endpoint frame */
            zmq_msg_init(&addr);
            bool more = zmq_msg_recv(&addr, c->mon, ZMQ_DONTWAIT) >= 0 &&
                        zmq_msg_more(&addr);
            zmq_msg_close(&addr);
            if (!more)
                break;
        }
        zmq_msg_close(&ev);
        if (!ok)
            continue;
        conn_slot_t *s = conn_slot(c, (int)value);
        if (s != NULL) /* a new connection, or one gone: the fd is free */
            memset(s, 0, sizeof *s);
    }
}

static size_t
conns_count(const conns_t *c, const char *name)
{
    size_t n = 0;

    for (size_t i = 0; i < c->n; i++)
        if (c->v[i].admitted && strcmp(c->v[i].name, name) == 0)
            n++;
    return n;
}

bool
conns_admit(conns_t *c, void *zmsg, const char *name, long long max,
            size_t *count)
{
    conn_slot_t *s;

    if (count)
        *count = 0;
    if (c == NULL)
        return true;
    s = conn_slot(c, zmq_msg_get(zmsg, ZMQ_SRCFD));
    if (s == NULL)
        return true; /* inproc: no descriptor */
    if (s->used && strcmp(s->name, name) != 0)
        memset(s, 0, sizeof *s); /* reused before its events arrived */
    if (!s->used) {
        s->used = true;
        str_copy(s->name, sizeof s->name, name);
    }
    if (s->admitted)
        return true;
    size_t n = conns_count(c, name);
    if (count)
        *count = n;
    if (max > 0 && n >= (size_t)max)
        return false;
    s->admitted = true;
    return true;
}

size_t
conns_open(const conns_t *c, const char *name)
{
    return c ? conns_count(c, name) : 0;
}

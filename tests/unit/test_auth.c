/* test_auth: roles, keys, allow-list, bootstrap, and CURVE+ZAP end to end
 * over real ipc sockets. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>
#include <cmocka.h>

#include "auth.h"
#include "util.h"

#ifndef ZMQ_ZAP_ENFORCE_DOMAIN
#define ZMQ_ZAP_ENFORCE_DOMAIN 93
#endif

/* ---- helpers ----------------------------------------------------------- */

static int
rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
    (void)st;
    (void)flag;
    (void)f;
    return remove(p);
}

static void
make_tmpdir(char *dir, size_t size)
{
    snprintf(dir, size, "/tmp/cgvXXXXXX");
    assert_non_null(mkdtemp(dir));
}

static void
rm_tree(const char *dir)
{
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void
write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static char *
read_file(const char *path)
{
    FILE *f = fopen(path, "r");
    char *buf;
    long n;

    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = xmalloc((size_t)n + 1);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = 0;
    fclose(f);
    return buf;
}

static mode_t
file_mode(const char *path)
{
    struct stat st;

    assert_int_equal(stat(path, &st), 0);
    return st.st_mode & 07777;
}

static keypair_t
new_keys(void)
{
    keypair_t kp;

    assert_int_equal(keys_generate(&kp), 0);
    return kp;
}

/* ---- roles and principals ---------------------------------------------- */

static void
test_roles(void **state)
{
    (void)state;
    for (int r = COGOV__V1__ROLE__ROLE_GOV_COORDINATOR;
         r <= COGOV__V1__ROLE__ROLE_SERVICE; r++) {
        const char *n = role_name(r);

        assert_string_not_equal(n, "?");
        assert_int_equal(role_parse(n), r);
    }
    assert_string_equal(role_name(COGOV__V1__ROLE__ROLE_GOV_COORDINATOR),
                        "GOV_COORDINATOR");
    assert_int_equal(role_parse("SERVICE"), COGOV__V1__ROLE__ROLE_SERVICE);
    assert_int_equal(role_parse("ROLE_SERVICE"), -1);
    assert_int_equal(role_parse("service"), -1);
    assert_int_equal(role_parse("UNSPECIFIED"), -1);
    assert_int_equal(role_parse(""), -1);
    assert_int_equal(role_parse(NULL), -1);
    assert_string_equal(role_name(0), "?");
    assert_string_equal(role_name(999), "?");
    assert_string_equal(role_name(-1), "?");
}

static void
test_principal(void **state)
{
    principal_t p = {.roles = role_bit(COGOV__V1__ROLE__ROLE_OPERATOR)};

    (void)state;
    assert_true(principal_has(&p, role_bit(COGOV__V1__ROLE__ROLE_OPERATOR) |
                                      role_bit(COGOV__V1__ROLE__ROLE_SERVICE)));
    assert_false(principal_has(&p, role_bit(COGOV__V1__ROLE__ROLE_SERVICE)));
    assert_false(principal_has(NULL, ~0u));

    strcpy(p.streams, "*");
    assert_true(principal_may_read(&p, "coordination"));
    strcpy(p.streams, "");
    assert_false(principal_may_read(&p, "coordination"));
    strcpy(p.streams, "coordination,secretariat");
    assert_true(principal_may_read(&p, "coordination"));
    assert_true(principal_may_read(&p, "secretariat"));
    assert_false(principal_may_read(&p, "coord"));
    assert_false(principal_may_read(&p, "coordinationx"));
    assert_false(principal_may_read(&p, "incentives"));
    assert_false(principal_may_read(&p, ""));
}

/* ---- keys -------------------------------------------------------------- */

static void
test_keys_round_trip(void **state)
{
    char dir[64], path[128], fpr[17], fpr2[17], pub[KEY_Z85_LEN + 1];
    keypair_t kp = new_keys(), back, other = new_keys();

    (void)state;
    make_tmpdir(dir, sizeof dir);
    assert_int_equal(strlen(kp.pub), KEY_Z85_LEN);
    assert_int_equal(strlen(kp.sec), KEY_Z85_LEN);
    assert_int_equal(keys_load(dir, "alice", &back), -ENOENT);

    assert_int_equal(keys_write(dir, "alice", &kp), 0);
    snprintf(path, sizeof path, "%s/alice.key", dir);
    assert_int_equal(file_mode(path), 0600);
    assert_int_equal(keys_load(dir, "alice", &back), 0);
    assert_string_equal(back.pub, kp.pub);
    assert_string_equal(back.sec, kp.sec);
    assert_int_equal(keys_load_public(dir, "alice", pub), 0);
    assert_string_equal(pub, kp.pub);
    /* never overwritten */
    assert_int_equal(keys_write(dir, "alice", &other), -EEXIST);
    assert_int_equal(keys_load(dir, "alice", &back), 0);
    assert_string_equal(back.sec, kp.sec);
    /* names that would escape the directory are refused */
    assert_int_equal(keys_write(dir, "../evil", &kp), -EINVAL);
    assert_int_equal(keys_write(dir, "", &kp), -EINVAL);

    /* .pub missing: the public key still comes from the .key */
    snprintf(path, sizeof path, "%s/alice.pub", dir);
    assert_int_equal(unlink(path), 0);
    memset(pub, 0, sizeof pub);
    assert_int_equal(keys_load_public(dir, "alice", pub), 0);
    assert_string_equal(pub, kp.pub);

    /* a .key whose public half does not match its secret is rejected */
    snprintf(path, sizeof path, "%s/bob.key", dir);
    char *text = xasprintf("public = %s\nsecret = %s\n", other.pub, kp.sec);
    write_file(path, text);
    free(text);
    assert_int_equal(keys_load(dir, "bob", &back), -EINVAL);

    keys_fingerprint(kp.pub, fpr);
    keys_fingerprint(other.pub, fpr2);
    assert_int_equal(strlen(fpr), 16);
    assert_string_not_equal(fpr, fpr2);
    for (int i = 0; i < 16; i++)
        assert_non_null(strchr("0123456789abcdef", fpr[i]));
    rm_tree(dir);
}

/* ---- allow-list -------------------------------------------------------- */

static void
test_allow_good(void **state)
{
    char dir[64], path[128], err[256] = "";
    keypair_t a = new_keys(), b = new_keys(), c = new_keys();
    char hashkey[KEY_Z85_LEN + 1];
    const principal_t *p;
    allow_t *al;

    (void)state;
    make_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/allow", dir);
    /* '#' is a Z85 character: a key may begin with it */
    memcpy(hashkey, c.pub, sizeof hashkey);
    hashkey[0] = '#';
    char *text = xasprintf(
        "# the allow-list\n"
        "\n"
        "########################################\n"
        "%s coordination - SERVICE *\n"
        "   \t\n"
        "  %s\tfinance-bureau 91110000MA01ABCD2X  FINANCE_OFFICER,OBSERVER "
        "coordination,incentives\r\n"
        "%s kiosk - OBSERVER -\n"
        "# %s commented out - SERVICE *\n",
        a.pub, b.pub, hashkey, new_keys().pub);
    write_file(path, text);
    free(text);

    al = allow_load(path, err, sizeof err);
    if (al == NULL)
        fail_msg("allow_load: %s", err);
    assert_int_equal(allow_count(al), 3);

    p = allow_by_key(al, a.pub);
    assert_non_null(p);
    assert_string_equal(p->name, "coordination");
    assert_string_equal(p->member_id, "");
    assert_int_equal(p->roles, role_bit(COGOV__V1__ROLE__ROLE_SERVICE));
    assert_string_equal(p->streams, "*");
    char fpr[17];
    keys_fingerprint(a.pub, fpr);
    assert_string_equal(p->fpr, fpr);

    p = allow_by_name(al, "finance-bureau");
    assert_non_null(p);
    assert_string_equal(p->key, b.pub);
    assert_string_equal(p->member_id, "91110000MA01ABCD2X");
    assert_int_equal(p->roles, role_bit(COGOV__V1__ROLE__ROLE_FINANCE_OFFICER) |
                                   role_bit(COGOV__V1__ROLE__ROLE_OBSERVER));
    assert_true(principal_may_read(p, "incentives"));
    assert_false(principal_may_read(p, "secretariat"));

    p = allow_by_key(al, hashkey);
    assert_non_null(p);
    assert_string_equal(p->name, "kiosk");
    assert_string_equal(p->streams, "");
    assert_false(principal_may_read(p, "coordination"));

    assert_null(allow_by_key(al, c.pub));
    assert_null(allow_by_name(al, "nobody"));
    allow_destroy(&al);
    assert_null(al);
    allow_destroy(&al); /* NULL is fine */

    /* an empty list is valid: nobody gets in */
    write_file(path, "# nobody yet\n");
    al = allow_load(path, err, sizeof err);
    assert_non_null(al);
    assert_int_equal(allow_count(al), 0);
    allow_destroy(&al);

    snprintf(path, sizeof path, "%s/missing", dir);
    assert_null(allow_load(path, err, sizeof err));
    assert_non_null(strstr(err, "missing"));
    rm_tree(dir);
}

/* A long list (the index grows several times while loading): every key
 * finds its own line, a key that shares its first characters with a listed
 * one but differs after them finds nothing, and a duplicate is still
 * refused. */
static void
test_allow_many(void **state)
{
    enum { N = 200 };
    char dir[64], path[128], err[256] = "";
    static keypair_t kp[N];
    char name[32];
    allow_t *al;

    (void)state;
    make_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/allow", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    for (int i = 0; i < N; i++) {
        kp[i] = new_keys();
        fprintf(f, "%s unit-%d - OBSERVER -\n", kp[i].pub, i);
    }
    fclose(f);
    al = allow_load(path, err, sizeof err);
    if (al == NULL)
        fail_msg("allow_load: %s", err);
    assert_int_equal(allow_count(al), N);
    for (int i = 0; i < N; i++) {
        const principal_t *p = allow_by_key(al, kp[i].pub);
        assert_non_null(p);
        snprintf(name, sizeof name, "unit-%d", i);
        assert_string_equal(p->name, name);
    }
    char near[KEY_Z85_LEN + 1];
    memcpy(near, kp[7].pub, sizeof near);
    near[KEY_Z85_LEN - 1] = near[KEY_Z85_LEN - 1] == 'a' ? 'b' : 'a';
    assert_null(allow_by_key(al, near));
    assert_null(allow_by_key(al, new_keys().pub));
    assert_null(allow_by_key(al, ""));
    allow_destroy(&al);

    f = fopen(path, "a");
    assert_non_null(f);
    fprintf(f, "%s again - OBSERVER -\n", kp[N - 1].pub);
    fclose(f);
    assert_null(allow_load(path, err, sizeof err));
    assert_non_null(strstr(err, "duplicate key"));
    rm_tree(dir);
}

static void
test_allow_bad(void **state)
{
    char dir[64], path[128];
    keypair_t a = new_keys(), b = new_keys();
    char badchar[KEY_Z85_LEN + 1];
    struct {
        char *line;
        const char *what;
    } cases[] = {
        {xasprintf("%.39s x - SERVICE *", b.pub), "40 characters"},
        {xasprintf("%sA x - SERVICE *", b.pub), "40 characters"},
        {NULL, "Z85 alphabet"}, /* filled below */
        {xasprintf("%s x - WIZARD *", b.pub), "unknown role"},
        {xasprintf("%s x - SERVICE,wizard *", b.pub), "unknown role"},
        {xasprintf("%s x - , *", b.pub), "no roles"},
        {xasprintf("%s other - SERVICE *", a.pub), "duplicate key"},
        {xasprintf("%s alice - OBSERVER *", b.pub), "must grant the same"},
        {xasprintf("%s alice - SERVICE a", b.pub), "must grant the same"},
        {xasprintf("%s x - SERVICE * extra", b.pub), "too many columns"},
        {xasprintf("%s x - SERVICE", b.pub), "too few columns"},
        {xasprintf("%s", b.pub), "too few columns"},
        {xasprintf("%s x/y - SERVICE *", b.pub), "principal name"},
        {xasprintf("%s x - SERVICE a,,b", b.pub), "stream list"},
        {xasprintf("%s x a-b SERVICE *", b.pub), "member id"},
    };

    (void)state;
    memcpy(badchar, b.pub, sizeof badchar);
    badchar[7] = ',';
    cases[2].line = xasprintf("%s x - SERVICE *", badchar);
    make_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/allow", dir);
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        char err[256] = "", want[160];
        char *text = xasprintf("# header\n\n%s alice - SERVICE *\n%s\n"
                               "%s later - SERVICE *\n",
                               a.pub, cases[i].line, new_keys().pub);
        allow_t *al;

        write_file(path, text);
        free(text);
        al = allow_load(path, err, sizeof err);
        if (al != NULL)
            fail_msg("case %zu accepted: %s", i, cases[i].line);
        snprintf(want, sizeof want, "%s:4: ", path);
        if (strstr(err, want) != err || strstr(err, cases[i].what) == NULL)
            fail_msg("case %zu: err \"%s\", want \"%s...%s\"", i, err, want,
                     cases[i].what);
        free(cases[i].line);
    }
    /* a second key of a principal with the same grants: a rotation */
    {
        char err[256] = "";
        char *text = xasprintf("%s alice - SERVICE *\n%s alice - SERVICE *\n",
                               a.pub, b.pub);
        allow_t *al;

        write_file(path, text);
        free(text);
        al = allow_load(path, err, sizeof err);
        if (al == NULL)
            fail_msg("two keys of alice refused: %s", err);
        assert_string_equal(allow_by_key(al, b.pub)->name, "alice");
        assert_string_equal(allow_by_key(al, a.pub)->name, "alice");
        allow_destroy(&al);
    }
    rm_tree(dir);
}

/* ---- bootstrap --------------------------------------------------------- */

static const char *const BOOT_NAMES[] = {
    "coordination", "incentives", "supervision", "secretariat", "operator"};

static void
test_bootstrap(void **state)
{
    char dir[64], keys[128], allow[128], err[256] = "", path[160];
    char *before[ARRAY_LEN(BOOT_NAMES) + 1];
    int created = -1;
    allow_t *al;

    (void)state;
    make_tmpdir(dir, sizeof dir);
    snprintf(keys, sizeof keys, "%s/a/keys", dir);
    snprintf(allow, sizeof allow, "%s/etc/allow.list", dir);

    if (keys_bootstrap(keys, allow, &created, err, sizeof err) != 0)
        fail_msg("keys_bootstrap: %s", err);
    assert_int_equal(created, 5);
    assert_int_equal(file_mode(keys), 0700);
    assert_int_equal(file_mode(allow), 0640);

    al = allow_load(allow, err, sizeof err);
    if (al == NULL)
        fail_msg("allow_load of bootstrap list: %s", err);
    assert_int_equal(allow_count(al), 5);
    for (size_t i = 0; i < ARRAY_LEN(BOOT_NAMES); i++) {
        keypair_t kp;
        const principal_t *p;

        assert_int_equal(keys_load(keys, BOOT_NAMES[i], &kp), 0);
        snprintf(path, sizeof path, "%s/%s.key", keys, BOOT_NAMES[i]);
        assert_int_equal(file_mode(path), 0600);
        before[i] = read_file(path);
        p = allow_by_key(al, kp.pub);
        assert_non_null(p);
        assert_string_equal(p->name, BOOT_NAMES[i]);
        assert_string_equal(p->streams, "*");
        if (i < 4)
            assert_int_equal(p->roles, role_bit(COGOV__V1__ROLE__ROLE_SERVICE));
        else
            assert_int_equal(p->roles,
                             role_bit(COGOV__V1__ROLE__ROLE_GOV_COORDINATOR) |
                                 role_bit(COGOV__V1__ROLE__ROLE_OPERATOR));
    }
    allow_destroy(&al);
    before[ARRAY_LEN(BOOT_NAMES)] = read_file(allow);
    assert_non_null(strstr(before[ARRAY_LEN(BOOT_NAMES)], "# "));

    /* second start: nothing made, nothing touched */
    created = -1;
    assert_int_equal(keys_bootstrap(keys, allow, &created, err, sizeof err), 0);
    assert_int_equal(created, 0);
    for (size_t i = 0; i <= ARRAY_LEN(BOOT_NAMES); i++) {
        char *after;

        if (i < ARRAY_LEN(BOOT_NAMES))
            snprintf(path, sizeof path, "%s/%s.key", keys, BOOT_NAMES[i]);
        else
            snprintf(path, sizeof path, "%s", allow);
        after = read_file(path);
        assert_string_equal(after, before[i]);
        free(after);
        free(before[i]);
    }

    /* one key lost: only it is made again; the allow-list stays */
    snprintf(path, sizeof path, "%s/incentives.key", keys);
    unlink(path);
    assert_int_equal(keys_bootstrap(keys, allow, &created, err, sizeof err), 0);
    assert_int_equal(created, 1);

    /* a corrupt key is an error, not silently replaced */
    snprintf(path, sizeof path, "%s/supervision.key", keys);
    write_file(path, "public = nonsense\nsecret = nonsense\n");
    assert_int_not_equal(keys_bootstrap(keys, allow, &created, err, sizeof err),
                         0);
    assert_non_null(strstr(err, "supervision"));
    rm_tree(dir);
}

/* Four daemons starting at once make five keys between them. */
static void
test_bootstrap_concurrent(void **state)
{
    char dir[64], keys[128], allow[128], err[256];
    pid_t pids[4];
    int total = 0;
    allow_t *al;

    (void)state;
    make_tmpdir(dir, sizeof dir);
    snprintf(keys, sizeof keys, "%s/keys", dir);
    snprintf(allow, sizeof allow, "%s/allow.list", dir);
    for (int i = 0; i < 4; i++) {
        pids[i] = fork();
        assert_true(pids[i] >= 0);
        if (pids[i] == 0) {
            int created = 0;

            if (keys_bootstrap(keys, allow, &created, err, sizeof err) != 0)
                _exit(100);
            _exit(created);
        }
    }
    for (int i = 0; i < 4; i++) {
        int st;

        assert_int_equal(waitpid(pids[i], &st, 0), pids[i]);
        assert_true(WIFEXITED(st));
        assert_true(WEXITSTATUS(st) <= 5);
        total += WEXITSTATUS(st);
    }
    assert_int_equal(total, 5);
    al = allow_load(allow, err, sizeof err);
    assert_non_null(al);
    assert_int_equal(allow_count(al), 5);
    allow_destroy(&al);
    rm_tree(dir);
}

/* ---- CURVE + ZAP end to end -------------------------------------------- */

typedef struct e2e {
    char dir[64];
    char ep[128];
    void *zctx;
    void *zap;
    void *srv;
    void *mon;
    void *cli; /* the client side, closed by the teardown */
    allow_t *al;
    keypair_t skp;   /* server */
    keypair_t alice; /* on the allow-list */
    uint64_t denied;
    int delivered;
    int hs_failed; /* handshake failures seen by the monitor */
    char user[64]; /* User-Id of the last delivered message */
} e2e_t;

static int
setup_e2e(void **state)
{
    e2e_t *e = xcalloc(1, sizeof *e);
    char path[128], err[256];

    make_tmpdir(e->dir, sizeof e->dir);
    snprintf(e->ep, sizeof e->ep, "ipc://%s/s.sock", e->dir);
    snprintf(path, sizeof path, "%s/allow", e->dir);
    e->skp = new_keys();
    e->alice = new_keys();
    char *text = xasprintf("%s alice - OPERATOR *\n", e->alice.pub);
    write_file(path, text);
    free(text);
    e->al = allow_load(path, err, sizeof err);
    assert_non_null(e->al);
    e->zctx = zmq_ctx_new();
    *state = e;
    return 0;
}

static int
teardown_e2e(void **state)
{
    e2e_t *e = *state;

    if (e->cli)
        zmq_close(e->cli);
    if (e->mon)
        zmq_close(e->mon);
    if (e->srv)
        zmq_close(e->srv);
    if (e->zap)
        zmq_close(e->zap);
    zmq_ctx_term(e->zctx);
    allow_destroy(&e->al);
    rm_tree(e->dir);
    free(e);
    return 0;
}

/* ---- ZAP protocol, driven by hand -------------------------------------- */

static void
send_frames(void *s, const void *const *f, const size_t *len, int n)
{
    for (int i = 0; i < n; i++)
        assert_int_equal(zmq_send(s, f[i], len[i], i < n - 1 ? ZMQ_SNDMORE : 0),
                         (int)len[i]);
}

/* Send one ZAP request through a REQ, let zap_handle answer, return the
 * status code and user id. */
static void
zap_roundtrip(e2e_t *e, const char *domain, const char *mech, const void *cred,
              size_t cred_len, char code[8], char user[64])
{
    const void *f[7] = {"1.0", "id-7", domain, "127.0.0.1", "", mech, cred};
    size_t len[7] = {3, 4, strlen(domain), 9, 0, strlen(mech), cred_len};
    zmq_pollitem_t it = {.socket = e->zap, .events = ZMQ_POLLIN};
    char buf[8][64];
    int n = 0, more = 1, linger = 0, tmo = 2000;

    e->cli = zmq_socket(e->zctx, ZMQ_REQ);
    zmq_setsockopt(e->cli, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(e->cli, ZMQ_RCVTIMEO, &tmo, sizeof tmo);
    assert_int_equal(zmq_connect(e->cli, "inproc://zeromq.zap.01"), 0);
    send_frames(e->cli, f, len, cred ? 7 : 6);
    assert_int_equal(zmq_poll(&it, 1, 2000), 1);
    assert_int_equal(zap_handle(e->zap, e->al, &e->denied), 1);
    while (more && n < 8) {
        int r = zmq_recv(e->cli, buf[n], sizeof buf[n] - 1, 0);
        size_t sz = sizeof more;

        assert_true(r >= 0);
        buf[n][r < 63 ? r : 63] = 0;
        n++;
        zmq_getsockopt(e->cli, ZMQ_RCVMORE, &more, &sz);
    }
    assert_int_equal(n, 6);
    assert_string_equal(buf[0], "1.0");
    assert_string_equal(buf[1], "id-7");
    snprintf(code, 8, "%s", buf[2]);
    snprintf(user, 64, "%s", buf[4]);
    /* metadata: empty on refusal, the key on acceptance */
    if (strcmp(buf[2], "200") == 0)
        assert_non_null(strstr(buf[5] + 1, AUTH_KEY_PROPERTY));
    else
        assert_string_equal(buf[5], "");
    zmq_close(e->cli);
    e->cli = NULL;
}

static void
test_zap_protocol(void **state)
{
    e2e_t *e = *state;
    char code[8], user[64];
    keypair_t stranger = new_keys();
    uint8_t bin[32], sbin[32];

    e->zap = zap_bind(e->zctx);
    assert_non_null(e->zap);
    assert_null(zap_bind(e->zctx)); /* one handler per context */
    assert_int_equal(zap_handle(e->zap, e->al, &e->denied), 0);

    assert_non_null(zmq_z85_decode(bin, e->alice.pub));
    assert_non_null(zmq_z85_decode(sbin, stranger.pub));
    zap_roundtrip(e, "cogov", "CURVE", bin, 32, code, user);
    assert_string_equal(code, "200");
    assert_string_equal(user, "alice");
    assert_int_equal(e->denied, 0);

    zap_roundtrip(e, "cogov", "CURVE", sbin, 32, code, user);
    assert_string_equal(code, "400");
    assert_string_equal(user, "");
    assert_int_equal(e->denied, 1);

    zap_roundtrip(e, "other", "CURVE", bin, 32, code, user);
    assert_string_equal(code, "400");
    assert_int_equal(e->denied, 2);

    zap_roundtrip(e, "cogov", "NULL", NULL, 0, code, user);
    assert_string_equal(code, "400");
    assert_int_equal(e->denied, 3);

    zap_roundtrip(e, "cogov", "PLAIN", "alice", 5, code, user);
    assert_string_equal(code, "400");
    assert_int_equal(e->denied, 4);

    zap_roundtrip(e, "cogov", "CURVE", bin, 31, code, user);
    assert_string_equal(code, "400");
    assert_int_equal(e->denied, 5);
}

static void
monitor(e2e_t *e, void *s)
{
    static int n;
    char ep[64];

    snprintf(ep, sizeof ep, "inproc://mon-%d", n++);
    assert_int_equal(
        zmq_socket_monitor(s, ep,
                           ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL |
                               ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                               ZMQ_EVENT_HANDSHAKE_FAILED_AUTH),
        0);
    e->mon = zmq_socket(e->zctx, ZMQ_PAIR);
    assert_int_equal(zmq_connect(e->mon, ep), 0);
}

/* Drive the ZAP handler, the server and the monitor from this thread until
 * `done` holds and at least min_ms passed, or max_ms passed. */
static void
pump(e2e_t *e, int min_ms, int max_ms, int want_delivered, uint64_t want_denied,
     int want_hs_failed)
{
    int64_t start = now_mono_ms();

    for (;;) {
        zmq_pollitem_t it[3] = {{.socket = e->srv, .events = ZMQ_POLLIN},
                                {.socket = e->zap, .events = ZMQ_POLLIN},
                                {.socket = e->mon, .events = ZMQ_POLLIN}};
        int n = e->mon ? 3 : 2;
        int64_t el = now_mono_ms() - start;
        bool done = e->delivered >= want_delivered &&
                    e->denied >= want_denied && e->hs_failed >= want_hs_failed;

        if ((done && el >= min_ms) || el >= max_ms)
            return;
        if (it[1].socket == NULL) { /* no ZAP handler: keep the monitor */
            it[1] = it[2];
            n--;
        }
        assert_true(zmq_poll(it, n, 20) >= 0);
        if (e->zap)
            zap_handle(e->zap, e->al, &e->denied);
        for (;;) {
            zmq_msg_t m;

            zmq_msg_init(&m);
            if (zmq_msg_recv(&m, e->srv, ZMQ_DONTWAIT) < 0) {
                zmq_msg_close(&m);
                break;
            }
            /* routing id, then the payload */
            while (zmq_msg_more(&m)) {
                zmq_msg_close(&m);
                zmq_msg_init(&m);
                assert_true(zmq_msg_recv(&m, e->srv, 0) >= 0);
            }
            const char *uid = zmq_msg_gets(&m, "User-Id");
            snprintf(e->user, sizeof e->user, "%s", uid ? uid : "");
            e->delivered++;
            zmq_msg_close(&m);
        }
        while (e->mon) {
            uint8_t ev[6];
            char addr[256];

            if (zmq_recv(e->mon, ev, sizeof ev, ZMQ_DONTWAIT) < 0)
                break;
            assert_true(zmq_recv(e->mon, addr, sizeof addr, 0) >= 0);
            e->hs_failed++;
        }
    }
}

static void
dealer_send(e2e_t *e, const keypair_t *kp, const char *server_pub)
{
    char err[256];
    void *d;

    if (kp) {
        d = sock_client(e->zctx, e->ep, kp, server_pub, 0, err, sizeof err);
        if (d == NULL)
            fail_msg("sock_client: %s", err);
    } else {
        int zero = 0;

        d = zmq_socket(e->zctx, ZMQ_DEALER);
        zmq_setsockopt(d, ZMQ_LINGER, &zero, sizeof zero);
    }
    e->cli = d;
    if (kp == NULL)
        assert_int_equal(zmq_connect(d, e->ep), 0);
    assert_int_equal(zmq_send(d, "hello", 5, ZMQ_DONTWAIT), 5);
}

static void
start_server(e2e_t *e, bool with_zap)
{
    char err[256];

    if (with_zap) {
        e->zap = zap_bind(e->zctx);
        assert_non_null(e->zap);
    }
    e->srv = sock_server(e->zctx, e->ep, &e->skp, 1 << 20, err, sizeof err);
    if (e->srv == NULL)
        fail_msg("sock_server: %s", err);
    monitor(e, e->srv);
}

static void
test_e2e_allowed(void **state)
{
    e2e_t *e = *state;

    start_server(e, true);
    dealer_send(e, &e->alice, e->skp.pub);
    pump(e, 0, 5000, 1, 0, 0);
    assert_int_equal(e->delivered, 1);
    assert_string_equal(e->user, "alice");
    assert_int_equal(e->denied, 0);
}

static void
test_e2e_unknown_key(void **state)
{
    e2e_t *e = *state;
    keypair_t mallory = new_keys();

    start_server(e, true);
    dealer_send(e, &mallory, e->skp.pub);
    pump(e, 500, 5000, 0, 1, 1);
    assert_int_equal(e->delivered, 0);
    assert_true(e->denied >= 1);
    assert_true(e->hs_failed >= 1);
}

/* A client that has the wrong server key never completes a handshake. */
static void
test_e2e_wrong_server_key(void **state)
{
    e2e_t *e = *state;
    keypair_t imposter = new_keys();

    start_server(e, true);
    dealer_send(e, &e->alice, imposter.pub);
    pump(e, 500, 5000, 0, 0, 1);
    assert_int_equal(e->delivered, 0);
    assert_true(e->hs_failed >= 1);
}

static void
test_e2e_plain_refused(void **state)
{
    e2e_t *e = *state;

    start_server(e, true);
    dealer_send(e, NULL, NULL);
    pump(e, 500, 5000, 0, 0, 1);
    assert_int_equal(e->delivered, 0);
    assert_true(e->hs_failed >= 1);
}

/* libzmq 4.3.4 with ZMQ_ZAP_ENFORCE_DOMAIN and no handler bound fails the
 * handshake (without the option it would let anyone in: shown below). */
static void
test_e2e_no_zap_handler(void **state)
{
    e2e_t *e = *state;

    start_server(e, false);
    dealer_send(e, &e->alice, e->skp.pub);
    pump(e, 500, 5000, 0, 0, 1);
    assert_int_equal(e->delivered, 0);
    assert_true(e->hs_failed >= 1);
}

static void
test_e2e_no_zap_unenforced_accepts_anyone(void **state)
{
    e2e_t *e = *state;
    keypair_t anyone = new_keys();
    int one = 1, zero = 0;

    /* the socket sock_server makes, minus ZAP_ENFORCE_DOMAIN */
    e->srv = zmq_socket(e->zctx, ZMQ_ROUTER);
    zmq_setsockopt(e->srv, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(e->srv, ZMQ_CURVE_SERVER, &one, sizeof one);
    zmq_setsockopt(e->srv, ZMQ_CURVE_SECRETKEY, e->skp.sec, KEY_Z85_LEN + 1);
    zmq_setsockopt(e->srv, ZMQ_ZAP_DOMAIN, "cogov", 5);
    assert_int_equal(zmq_bind(e->srv, e->ep), 0);
    dealer_send(e, &anyone, e->skp.pub);
    pump(e, 0, 5000, 1, 0, 0);
    assert_int_equal(e->delivered, 1);
}

/* ---- sock_server on ipc paths ------------------------------------------ */

static void
test_sock_server_ipc(void **state)
{
    e2e_t *e = *state;
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    char path[128], err[256] = "", longep[200];
    int fd;

    /* a stale socket file (its process gone) is replaced */
    snprintf(path, sizeof path, "%s/s.sock", e->dir);
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
    fd = socket(AF_UNIX, SOCK_STREAM, 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    close(fd);
    e->srv = sock_server(e->zctx, e->ep, &e->skp, 0, err, sizeof err);
    if (e->srv == NULL)
        fail_msg("stale socket not replaced: %s", err);

    /* a live one is not stolen */
    e->cli = sock_server(e->zctx, e->ep, &e->skp, 0, err, sizeof err);
    assert_null(e->cli);
    assert_non_null(strstr(err, "in use"));

    /* nor is a file that is not a socket */
    snprintf(path, sizeof path, "%s/f", e->dir);
    write_file(path, "precious\n");
    snprintf(longep, sizeof longep, "ipc://%s", path);
    assert_null(sock_server(e->zctx, longep, &e->skp, 0, err, sizeof err));
    assert_non_null(strstr(err, "not a socket"));
    char *kept = read_file(path);
    assert_string_equal(kept, "precious\n");
    free(kept);

    /* paths too long for sun_path are refused with a clear error */
    snprintf(longep, sizeof longep, "ipc://%s/%0120d", e->dir, 0);
    assert_null(sock_server(e->zctx, longep, &e->skp, 0, err, sizeof err));
    assert_non_null(strstr(err, "too long"));

    /* bad keys */
    keypair_t bad = e->skp;
    bad.sec[3] = 0;
    assert_null(sock_server(e->zctx, "inproc://x", &bad, 0, err, sizeof err));
    assert_null(sock_client(e->zctx, "inproc://x", &bad, e->skp.pub, 0, err,
                            sizeof err));
    assert_null(sock_client(e->zctx, "inproc://x", &e->skp, "short", 0, err,
                            sizeof err));
    assert_non_null(strstr(err, "server public key"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roles),
        cmocka_unit_test(test_principal),
        cmocka_unit_test(test_keys_round_trip),
        cmocka_unit_test(test_allow_good),
        cmocka_unit_test(test_allow_many),
        cmocka_unit_test(test_allow_bad),
        cmocka_unit_test(test_bootstrap),
        cmocka_unit_test(test_bootstrap_concurrent),
        cmocka_unit_test_setup_teardown(test_zap_protocol, setup_e2e,
                                        teardown_e2e),
        cmocka_unit_test_setup_teardown(test_e2e_allowed, setup_e2e,
                                        teardown_e2e),
        cmocka_unit_test_setup_teardown(test_e2e_unknown_key, setup_e2e,
                                        teardown_e2e),
        cmocka_unit_test_setup_teardown(test_e2e_wrong_server_key, setup_e2e,
                                        teardown_e2e),
        cmocka_unit_test_setup_teardown(test_e2e_plain_refused, setup_e2e,
                                        teardown_e2e),
        cmocka_unit_test_setup_teardown(test_e2e_no_zap_handler, setup_e2e,
                                        teardown_e2e),
        cmocka_unit_test_setup_teardown(
            test_e2e_no_zap_unenforced_accepts_anyone, setup_e2e, teardown_e2e),
        cmocka_unit_test_setup_teardown(test_sock_server_ipc, setup_e2e,
                                        teardown_e2e),
    };

    if (!zmq_has("curve")) {
        fprintf(stderr, "libzmq without CURVE: cannot test auth\n");
        return 1;
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}

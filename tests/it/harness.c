/* harness: real daemons in a temp directory for integration tests. */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "util.h"

const char *const h_names[H_N] = {"coordination", "secretariat", "incentives",
                                  "supervision"};
static const char *const k_env[H_N] = {"COGOV_COORDINATION",
                                       "COGOV_SECRETARIAT", "COGOV_INCENTIVES",
                                       "COGOV_SUPERVISION"};
static cluster_t *g_live; /* for the atexit hook */

static void
kill_leftovers(void)
{
    if (g_live == NULL)
        return;
    for (int i = 0; i < H_N; i++)
        if (g_live->pid[i] > 0) {
            kill(g_live->pid[i], SIGKILL);
            waitpid(g_live->pid[i], NULL, 0);
            g_live->pid[i] = 0;
        }
}

unsigned
test_seed(void)
{
    const char *e = getenv("COGOV_SEED");
    unsigned seed = e != NULL ? (unsigned)strtoul(e, NULL, 10)
                              : (unsigned)(now_wall_ms() ^ getpid());
    printf("# seed %u (set COGOV_SEED=%u to repeat)\n", seed, seed);
    fflush(stdout);
    return seed;
}

static void
sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int
write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return -errno;
    fputs(text, f);
    return fclose(f) == 0 ? 0 : -EIO;
}

int
cluster_init(cluster_t *c, const char *tag)
{
    memset(c, 0, sizeof(*c));
    snprintf(c->dir, sizeof(c->dir), "/tmp/cg-%.8s-XXXXXX", tag);
    if (mkdtemp(c->dir) == NULL)
        return -errno;
    snprintf(c->keys_dir, sizeof(c->keys_dir), "%s/keys", c->dir);
    snprintf(c->allow, sizeof(c->allow), "%s/allow.list", c->dir);
    snprintf(c->ctl_conf, sizeof(c->ctl_conf), "%s/cogovctl.conf", c->dir);
    static const char *const short_names[H_N] = {"co", "se", "in", "su"};
    for (int i = 0; i < H_N; i++) {
        snprintf(c->conf[i], sizeof(c->conf[i]), "%s/%s.conf", c->dir,
                 h_names[i]);
        snprintf(c->log[i], sizeof(c->log[i]), "%s/%s.log", c->dir, h_names[i]);
        snprintf(c->store[i], sizeof(c->store[i]), "%s/%s.db", c->dir,
                 h_names[i]);
        snprintf(c->endpoint[i], sizeof(c->endpoint[i]), "ipc://%s/%s.sock",
                 c->dir, short_names[i]);
    }
    char common[2048];
    snprintf(common, sizeof(common),
             "keys_dir = %s\nallow_list = %s\nlog_level = info\n"
             "coordination_endpoint = %s\nsecretariat_endpoint = %s\n"
             "incentives_endpoint = ipc://%s/in.sock\n"
             "supervision_endpoint = ipc://%s/su.sock\n"
             "fetch_wait_ms = 500\nstats_interval_s = 5\n"
             "consistency_wait_ms = 1500\n",
             c->keys_dir, c->allow, c->endpoint[H_COORD], c->endpoint[H_SECR],
             c->dir, c->dir);
    for (int i = 0; i < H_N; i++) {
        char text[4096];
        snprintf(text, sizeof(text), "# test config\nstore = %s\n%s%s",
                 c->store[i], common,
                 i == H_COORD ? "calendar_mode = manual\n"
                                "calendar_start = 2025-01-01\n"
                              : "");
        if (write_file(c->conf[i], text) != 0)
            return -EIO;
    }
    char ctl[2048];
    snprintf(ctl, sizeof(ctl),
             "coordination_endpoint = %s\nsecretariat_endpoint = %s\n"
             "incentives_endpoint =\nsupervision_endpoint =\n"
             "keys_dir = %s\nkey = operator\ntimeout_ms = 10000\n",
             c->endpoint[H_COORD], c->endpoint[H_SECR], c->keys_dir);
    if (write_file(c->ctl_conf, ctl) != 0)
        return -EIO;
    char err[256];
    int created = 0;
    int rc = keys_bootstrap(c->keys_dir, c->allow, &created, err, sizeof(err));
    if (rc != 0) {
        fprintf(stderr, "keys_bootstrap: %s\n", err);
        return rc;
    }
    if ((rc = keys_load(c->keys_dir, "operator", &c->op)) != 0)
        return rc;
    for (int i = 0; i < H_N; i++)
        if ((rc = keys_load_public(c->keys_dir, h_names[i], c->pub[i])) != 0)
            return rc;
    c->zctx = zmq_ctx_new();
    g_live = c;
    static bool registered;
    if (!registered) {
        atexit(kill_leftovers);
        registered = true;
    }
    return 0;
}

client_t *
cluster_client(cluster_t *c, int which)
{
    char err[256];
    client_t *cl = client_new(c->zctx, c->endpoint[which], &c->op,
                              c->pub[which], err, sizeof(err));
    if (cl == NULL)
        fprintf(stderr, "client_new: %s\n", err);
    return cl;
}

Cogov__V1__Reply *
cluster_call(cluster_t *c, int which, Cogov__V1__Request *req, int total_ms)
{
    client_t *cl = cluster_client(c, which);
    if (cl == NULL)
        return NULL;
    char err[256];
    Cogov__V1__Reply *rep = client_call(
        cl, req, total_ms < 1000 ? total_ms : 1000, total_ms, err, sizeof(err));
    client_destroy(&cl);
    return rep;
}

static Cogov__V1__ServiceStatus *
get_status(cluster_t *c, int which, int total_ms, Cogov__V1__Reply **holder)
{
    Cogov__V1__GetStatus gs = COGOV__V1__GET_STATUS__INIT;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_GET_STATUS;
    req.get_status = &gs;
    Cogov__V1__Reply *rep = cluster_call(c, which, &req, total_ms);
    *holder = rep;
    if (rep == NULL || rep->code != COGOV__V1__STATUS_CODE__STATUS_OK ||
        rep->body_case != COGOV__V1__REPLY__BODY_STATUS)
        return NULL;
    return rep->status;
}

int
cluster_start(cluster_t *c, int which)
{
    const char *bin = getenv(k_env[which]);
    if (bin == NULL) {
        fprintf(stderr, "%s is not set\n", k_env[which]);
        return -EINVAL;
    }
    pid_t pid = fork();
    if (pid < 0)
        return -errno;
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        int fd = open(c->log[which], O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            dup2(fd, 2);
            close(fd);
        }
        /* a skipped event's reaction must write nothing (follow.c) */
        setenv("COGOV_VERIFY_SKIPS", "1", 0);
        execl(bin, bin, "-c", c->conf[which], (char *)NULL);
        _exit(127);
    }
    c->pid[which] = pid;
    int64_t deadline = now_mono_ms() + 20000;
    while (now_mono_ms() < deadline) {
        int st;
        if (waitpid(pid, &st, WNOHANG) == pid) {
            c->pid[which] = 0;
            fprintf(stderr, "%s exited at start (status %d); see %s\n",
                    h_names[which], st, c->log[which]);
            return -ECHILD;
        }
        Cogov__V1__Reply *holder = NULL;
        Cogov__V1__ServiceStatus *s = get_status(c, which, 300, &holder);
        bool up = s != NULL;
        if (holder != NULL)
            cogov__v1__reply__free_unpacked(holder, NULL);
        if (up)
            return 0;
    }
    fprintf(stderr, "%s did not answer within 20 s; see %s\n", h_names[which],
            c->log[which]);
    return -ETIMEDOUT;
}

int
cluster_stop(cluster_t *c, int which)
{
    pid_t pid = c->pid[which];
    if (pid <= 0)
        return 0;
    kill(pid, SIGTERM);
    int64_t deadline = now_mono_ms() + 20000;
    int st = 0;
    while (now_mono_ms() < deadline) {
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid) {
            c->pid[which] = 0;
            return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
        }
        sleep_ms(10);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    c->pid[which] = 0;
    return -1;
}

void
cluster_kill(cluster_t *c, int which)
{
    if (c->pid[which] <= 0)
        return;
    kill(c->pid[which], SIGKILL);
    waitpid(c->pid[which], NULL, 0);
    c->pid[which] = 0;
}

void
cluster_destroy(cluster_t *c)
{
    for (int i = 0; i < H_N; i++)
        cluster_kill(c, i);
    if (c->zctx != NULL)
        zmq_ctx_term(c->zctx);
    c->zctx = NULL;
    if (getenv("COGOV_KEEP") == NULL && c->dir[0] != 0) {
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", c->dir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", c->dir);
    } else if (c->dir[0] != 0) {
        printf("# kept %s\n", c->dir);
    }
    if (g_live == c)
        g_live = NULL;
}

int
cluster_ctl(cluster_t *c, char *out, size_t outsz, const char *const *argv)
{
    const char *bin = getenv("COGOVCTL");
    if (bin == NULL)
        return -1;
    int pfd[2];
    if (pipe(pfd) != 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        close(pfd[0]);
        dup2(pfd[1], 1);
        close(pfd[1]);
        size_t n = 0;
        while (argv[n] != NULL)
            n++;
        const char **args = calloc(n + 4, sizeof(*args));
        args[0] = bin;
        args[1] = "-c";
        args[2] = c->ctl_conf;
        for (size_t i = 0; i < n; i++)
            args[3 + i] = argv[i];
        execv(bin, (char *const *)args);
        _exit(127);
    }
    close(pfd[1]);
    size_t used = 0;
    char buf[4096];
    ssize_t r;
    while ((r = read(pfd[0], buf, sizeof(buf))) > 0) {
        if (out != NULL && used + 1 < outsz) {
            size_t take =
                (size_t)r < outsz - 1 - used ? (size_t)r : outsz - 1 - used;
            memcpy(out + used, buf, take);
            used += take;
        }
    }
    close(pfd[0]);
    if (out != NULL)
        out[used] = 0;
    int st;
    if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
        return -1;
    return WEXITSTATUS(st);
}

int
cluster_sync(cluster_t *c, int timeout_ms)
{
    int64_t deadline = now_mono_ms() + timeout_ms;
    uint64_t prev_heads[H_N] = {0};
    bool have_prev = false;
    while (now_mono_ms() < deadline) {
        uint64_t heads[H_N] = {0};
        bool settled = true;
        Cogov__V1__Reply *holders[H_N] = {NULL};
        Cogov__V1__ServiceStatus *st[H_N] = {NULL};
        for (int i = 0; i < H_N; i++) {
            if (c->pid[i] <= 0)
                continue;
            st[i] = get_status(c, i, 2000, &holders[i]);
            if (st[i] == NULL)
                settled = false;
            else
                heads[i] = st[i]->head_seq;
        }
        for (int i = 0; i < H_N && settled; i++) {
            if (st[i] == NULL)
                continue;
            for (size_t k = 0; k < st[i]->n_cursors; k++) {
                Cogov__V1__CursorStatus *cs = st[i]->cursors[k];
                for (int j = 0; j < H_N; j++)
                    if (strcmp(cs->producer, h_names[j]) == 0 &&
                        (cs->applied_seq != heads[j] || cs->held != 0))
                        settled = false;
            }
        }
        for (int i = 0; i < H_N; i++)
            if (holders[i] != NULL)
                cogov__v1__reply__free_unpacked(holders[i], NULL);
        if (settled && have_prev &&
            memcmp(heads, prev_heads, sizeof(heads)) == 0)
            return 0;
        memcpy(prev_heads, heads, sizeof(heads));
        have_prev = settled;
        sleep_ms(20);
    }
    return -ETIMEDOUT;
}

long long
store_query_int(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    long long v = -1;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        goto done;
    sqlite3_busy_timeout(db, 5000);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "sql error: %s: %s\n", sqlite3_errmsg(db), sql);
        goto done;
    }
    if (sqlite3_step(st) == SQLITE_ROW) {
        if (sqlite3_column_type(st, 0) == SQLITE_TEXT)
            v = strcmp((const char *)sqlite3_column_text(st, 0), "ok") == 0 ? 1
                                                                            : 0;
        else
            v = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
done:
    sqlite3_close(db);
    return v;
}

/* ---- principals ------------------------------------------------------- */

int
cluster_add_principal(cluster_t *c, const char *name, const char *member,
                      const char *roles, const char *streams, keypair_t *kp)
{
    int rc = keys_generate(kp);
    if (rc != 0)
        return rc;
    FILE *f = fopen(c->allow, "a");
    if (f == NULL)
        return -errno;
    fprintf(f, "%s %s %s %s %s\n", kp->pub, name, member, roles, streams);
    return fclose(f) == 0 ? 0 : -EIO;
}

int
cluster_remove_principal(cluster_t *c, const char *name)
{
    FILE *f = fopen(c->allow, "r");
    if (f == NULL)
        return -errno;
    char *kept = xcalloc(1, 1);
    size_t kept_len = 0;
    bool found = false;
    char line[1024];
    while (fgets(line, sizeof(line), f) != NULL) {
        char key[64], who[128];
        if (sscanf(line, "%63s %127s", key, who) == 2 &&
            strlen(key) == KEY_Z85_LEN && strcmp(who, name) == 0) {
            found = true;
            continue;
        }
        size_t n = strlen(line);
        kept = xrealloc(kept, kept_len + n + 1);
        memcpy(kept + kept_len, line, n + 1);
        kept_len += n;
    }
    fclose(f);
    int rc = found ? write_file(c->allow, kept) : -ENOENT;
    free(kept);
    return rc;
}

int
h_count_lines(const char *path, const char *needle)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return 0;
    int n = 0;
    char line[8192];
    while (fgets(line, sizeof(line), f) != NULL)
        if (strstr(line, needle) != NULL)
            n++;
    fclose(f);
    return n;
}

int
cluster_hup(cluster_t *c, int which, int timeout_ms)
{
    int before = h_count_lines(c->log[which], "event=config.reload");
    if (c->pid[which] <= 0 || kill(c->pid[which], SIGHUP) != 0)
        return -ESRCH;
    int64_t deadline = now_mono_ms() + timeout_ms;
    while (now_mono_ms() < deadline) {
        if (h_count_lines(c->log[which], "event=config.reload") > before)
            return 0;
        sleep_ms(10);
    }
    return -ETIMEDOUT;
}

client_t *
cluster_client_as(cluster_t *c, int which, const keypair_t *kp)
{
    char err[256];
    client_t *cl = client_new(c->zctx, c->endpoint[which], kp, c->pub[which],
                              err, sizeof(err));
    if (cl == NULL)
        fprintf(stderr, "client_new: %s\n", err);
    return cl;
}

static uint64_t
hash_rows(sqlite3 *db, const char *sql, uint64_t *sum)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "sql error: %s: %s\n", sqlite3_errmsg(db), sql);
        return 0;
    }
    uint64_t rows = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        uint64_t h = hash64(sql, strlen(sql));
        for (int i = 0; i < sqlite3_column_count(st); i++) {
            const void *v = sqlite3_column_blob(st, i);
            int n = sqlite3_column_bytes(st, i);
            uint64_t cell[2] = {h, (uint64_t)sqlite3_column_type(st, i)};
            h = hash64(cell, sizeof(cell));
            if (n > 0)
                h ^= hash64(v, (size_t)n) * 31;
        }
        *sum += h; /* a sum: the order of the rows does not matter */
        rows++;
    }
    sqlite3_finalize(st);
    return rows;
}

uint64_t
store_hash(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    uint64_t sum = 0x9e3779b97f4a7c15ULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        sqlite3_close(db);
        return 0;
    }
    sqlite3_busy_timeout(db, 5000);
    if (sql != NULL) {
        hash_rows(db, sql, &sum);
    } else {
        sqlite3_stmt *t = NULL;
        if (sqlite3_prepare_v2(db,
                               "SELECT name FROM sqlite_master WHERE "
                               "type='table' AND name <> 'cursors' "
                               "ORDER BY name",
                               -1, &t, NULL) == SQLITE_OK) {
            while (sqlite3_step(t) == SQLITE_ROW) {
                char q[256];
                snprintf(q, sizeof(q), "SELECT * FROM \"%s\"",
                         (const char *)sqlite3_column_text(t, 0));
                hash_rows(db, q, &sum);
            }
        }
        sqlite3_finalize(t);
    }
    sqlite3_close(db);
    return sum;
}

/* ---- cogovctl with all four daemons (appended by it_supervision) -------- */

int
cluster_ctl_conf_all(cluster_t *c, const char *key)
{
    char ctl[2048];
    snprintf(ctl, sizeof(ctl),
             "coordination_endpoint = %s\nsecretariat_endpoint = %s\n"
             "incentives_endpoint = %s\nsupervision_endpoint = %s\n"
             "keys_dir = %s\nkey = %s\ntimeout_ms = 10000\n",
             c->endpoint[H_COORD], c->endpoint[H_SECR], c->endpoint[H_INCE],
             c->endpoint[H_SUPV], c->keys_dir, key);
    return write_file(c->ctl_conf, ctl);
}

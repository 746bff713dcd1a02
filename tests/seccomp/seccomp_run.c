/* cogov-seccomp-run: run a program under the seccomp filter the systemd
 * units give the daemons, so the integration tests can show the daemons work
 * inside it (issue 9). These machines have no running systemd; this
 * installs with libseccomp what systemd would install for
 *   SystemCallFilter=<list>        --syscalls FILE (one name per line,
 *                                  expanded from the unit by setup.sh)
 *   SystemCallErrorNumber=EPERM    everything else fails with EPERM
 *   SystemCallArchitectures=native only the native architecture
 *   RestrictAddressFamilies=...    --families AF_UNIX,AF_INET,AF_INET6
 *   MemoryDenyWriteExecute=yes     --mdwe
 *   NoNewPrivileges=yes            always (seccomp needs it without
 *                                  CAP_SYS_ADMIN)
 * then execs the program, which keeps the filter (and its children too).
 *
 *   cogov-seccomp-run --syscalls FILE [--families LIST] [--mdwe] -- PROG ARG...
 *
 * Exit: 127 if the filter cannot be built or the program cannot be run. */
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

static int
family_of(const char *name)
{
    static const struct {
        const char *name;
        int af;
    } k[] = {{"AF_UNIX", AF_UNIX},
             {"AF_INET", AF_INET},
             {"AF_INET6", AF_INET6},
             {"AF_NETLINK", AF_NETLINK},
             {"AF_PACKET", AF_PACKET}};
    for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++)
        if (strcmp(k[i].name, name) == 0)
            return k[i].af;
    return -1;
}

/* Allow each syscall named in path; names this libseccomp does not know on
 * this architecture (other arches' variants in systemd's groups) are
 * skipped, as systemd skips them. */
static int
allow_syscalls(scmp_filter_ctx ctx, const char *path, const char *const *skip,
               int *n)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, "cogov-seccomp-run: %s: %s\n", path, strerror(errno));
        return -1;
    }
    char line[128];
    *n = 0;
    while (fgets(line, sizeof(line), f) != NULL) {
        line[strcspn(line, " \t\r\n")] = '\0';
        if (line[0] == '\0' || line[0] == '#')
            continue;
        int nr = seccomp_syscall_resolve_name(line), skipped = 0;
        if (nr == __NR_SCMP_ERROR)
            continue;
        /* socket, mmap, mprotect get conditional rules when asked. */
        for (const char *const *k = skip; *k != NULL; k++)
            skipped |= strcmp(*k, line) == 0;
        if (skipped)
            continue;
        if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0) != 0) {
            fprintf(stderr, "cogov-seccomp-run: rule for %s failed\n", line);
            fclose(f);
            return -1;
        }
        (*n)++;
    }
    fclose(f);
    return 0;
}

static void
usage(void)
{
    fprintf(stderr, "usage: cogov-seccomp-run --syscalls FILE [--families "
                    "AF_UNIX,...] [--mdwe] -- PROG [ARG...]\n");
    exit(127);
}

int
main(int argc, char **argv)
{
    const char *syscalls = NULL;
    char *families = NULL;
    int mdwe = 0, i;
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) {
            i++;
            break;
        } else if (strcmp(argv[i], "--syscalls") == 0 && i + 1 < argc) {
            syscalls = argv[++i];
        } else if (strcmp(argv[i], "--families") == 0 && i + 1 < argc) {
            families = argv[++i];
        } else if (strcmp(argv[i], "--mdwe") == 0) {
            mdwe = 1;
        } else {
            usage();
        }
    }
    if (syscalls == NULL || i >= argc)
        usage();

    /* With families or mdwe, socket/mmap/mprotect are left out of the
     * plain list and allowed only under conditions that do not overlap
     * (anything else falls to the default, EPERM). */
    const char *skip[4] = {NULL, NULL, NULL, NULL};
    int nskip = 0;
    if (families != NULL)
        skip[nskip++] = "socket";
    if (mdwe) {
        skip[nskip++] = "mmap";
        skip[nskip++] = "mprotect";
    }
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
    if (ctx == NULL) {
        fprintf(stderr, "cogov-seccomp-run: seccomp_init failed\n");
        return 127;
    }
    int n = 0;
    if (allow_syscalls(ctx, syscalls, skip, &n) != 0 || n == 0) {
        fprintf(stderr, "cogov-seccomp-run: %s: no system calls\n", syscalls);
        return 127;
    }

    if (families != NULL) {
        /* socket() of a family not listed: EPERM (systemd says
         * EAFNOSUPPORT; both are refusals). */
        int nr = SCMP_SYS(socket);
        for (char *t = strtok(families, ","); t != NULL;
             t = strtok(NULL, ",")) {
            int af = family_of(t);
            if (af < 0) {
                fprintf(stderr, "cogov-seccomp-run: unknown family %s\n", t);
                return 127;
            }
            if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
                                 SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)af)) != 0) {
                fprintf(stderr, "cogov-seccomp-run: socket rule failed\n");
                return 127;
            }
        }
    }
    if (mdwe) {
        /* mmap writable and executable at once, or mprotect adding
         * PROT_EXEC: EPERM, as systemd does. Allowed: mmap without
         * PROT_EXEC, or with PROT_EXEC and without PROT_WRITE; mprotect
         * without PROT_EXEC. */
        const scmp_datum_t w = PROT_WRITE, x = PROT_EXEC;
        if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
                             SCMP_A2(SCMP_CMP_MASKED_EQ, x, 0)) != 0 ||
            seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
                             SCMP_A2(SCMP_CMP_MASKED_EQ, w | x, x)) != 0 ||
            seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
                             SCMP_A2(SCMP_CMP_MASKED_EQ, x, 0)) != 0) {
            fprintf(stderr, "cogov-seccomp-run: mdwe rule failed\n");
            return 127;
        }
    }
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || seccomp_load(ctx) != 0) {
        fprintf(stderr, "cogov-seccomp-run: cannot load the filter: %s\n",
                strerror(errno));
        return 127;
    }
    seccomp_release(ctx);
    execvp(argv[i], argv + i);
    fprintf(stderr, "cogov-seccomp-run: %s: %s\n", argv[i], strerror(errno));
    return 127;
}

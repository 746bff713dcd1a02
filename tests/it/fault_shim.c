/* fault_shim: an LD_PRELOAD library that makes storage calls fail on
 * command, for daemon-level tests of storage failures (it_syncfail.c).
 *
 * It wraps fdatasync and fsync (fail with EIO) and write, pwrite and
 * pwrite64 (fail with ENOSPC) as SQLite's unix VFS and the store's
 * checkpointer call them; a call fails when its kind is armed in the
 * control block (fault_shim.h) and its descriptor names a file whose path
 * ends in the block's suffix. The block is a file named by FAULT_SHIM_ENV,
 * mapped shared at load; without it every call passes straight on.
 *
 * Only system calls the daemons' seccomp filter (@system-service) allows:
 * open, mmap, close at load; gettid, getpid, readlink while armed. The
 * real functions come from dlsym(RTLD_NEXT): libc's, or in a sanitizer
 * build the sanitizer's interceptors call these, which call libc's. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#include "fault_shim.h"

static fault_ctl_t *g_ctl;

typedef int (*sync_fn)(int);
typedef ssize_t (*write_fn)(int, const void *, size_t);
typedef ssize_t (*pwrite_fn)(int, const void *, size_t, off_t);
typedef ssize_t (*pwrite64_fn)(int, const void *, size_t, off64_t);

static sync_fn real_fdatasync, real_fsync;
static write_fn real_write;
static pwrite_fn real_pwrite;
static pwrite64_fn real_pwrite64;

static void *
real(const char *name)
{
    return dlsym(RTLD_NEXT, name);
}

__attribute__((constructor)) static void
shim_init(void)
{
    real_fdatasync = (sync_fn)real("fdatasync");
    real_fsync = (sync_fn)real("fsync");
    real_write = (write_fn)real("write");
    real_pwrite = (pwrite_fn)real("pwrite");
    real_pwrite64 = (pwrite64_fn)real("pwrite64");
    const char *path = getenv(FAULT_SHIM_ENV);
    if (path == NULL || path[0] == '\0')
        return;
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return;
    void *m = mmap(NULL, sizeof(fault_ctl_t), PROT_READ | PROT_WRITE,
                   MAP_SHARED, fd, 0);
    close(fd);
    if (m != MAP_FAILED)
        g_ctl = m;
}

/* Does fd name a file whose path ends in the control block's suffix? */
static bool
fd_matches(int fd)
{
    char link[64], path[4096];
    snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, path, sizeof(path) - 1);
    if (n <= 0)
        return false;
    path[n] = '\0';
    const char *suffix = g_ctl->suffix;
    size_t ls = strnlen(suffix, sizeof(g_ctl->suffix));
    return ls > 0 && (size_t)n >= ls && memcmp(path + n - ls, suffix, ls) == 0;
}

/* Should this call of `kind` on fd fail? Counts the failure. errno kept. */
static bool
inject(uint32_t kind, int fd)
{
    if (g_ctl == NULL ||
        (__atomic_load_n(&g_ctl->arm, __ATOMIC_ACQUIRE) & kind) == 0)
        return false;
    int saved = errno;
    uint32_t only = __atomic_load_n(&g_ctl->thread, __ATOMIC_ACQUIRE);
    bool on_main = (pid_t)syscall(SYS_gettid) == getpid();
    bool hit =
        (only == FAULT_ANY_THREAD || (only == FAULT_MAIN_THREAD) == on_main) &&
        fd_matches(fd);
    if (hit && (__atomic_load_n(&g_ctl->once, __ATOMIC_ACQUIRE) & kind) != 0)
        /* Only the caller that clears the bit fails: once is once. */
        hit = (__atomic_fetch_and(&g_ctl->arm, ~kind, __ATOMIC_ACQ_REL) &
               kind) != 0;
    if (hit) {
        if (kind == FAULT_SYNC) {
            __atomic_fetch_add(&g_ctl->hits_sync, 1, __ATOMIC_ACQ_REL);
            if (on_main)
                __atomic_fetch_add(&g_ctl->hits_sync_main, 1, __ATOMIC_ACQ_REL);
        } else {
            __atomic_fetch_add(&g_ctl->hits_write, 1, __ATOMIC_ACQ_REL);
        }
    }
    errno = saved;
    return hit;
}

int
fdatasync(int fd)
{
    if (inject(FAULT_SYNC, fd)) {
        errno = EIO;
        return -1;
    }
    if (real_fdatasync == NULL)
        real_fdatasync = (sync_fn)real("fdatasync");
    return real_fdatasync(fd);
}

int
fsync(int fd)
{
    if (inject(FAULT_SYNC, fd)) {
        errno = EIO;
        return -1;
    }
    if (real_fsync == NULL)
        real_fsync = (sync_fn)real("fsync");
    return real_fsync(fd);
}

ssize_t
write(int fd, const void *buf, size_t n)
{
    if (inject(FAULT_WRITE, fd)) {
        errno = ENOSPC;
        return -1;
    }
    if (real_write == NULL)
        real_write = (write_fn)real("write");
    return real_write(fd, buf, n);
}

ssize_t
pwrite(int fd, const void *buf, size_t n, off_t off)
{
    if (inject(FAULT_WRITE, fd)) {
        errno = ENOSPC;
        return -1;
    }
    if (real_pwrite == NULL)
        real_pwrite = (pwrite_fn)real("pwrite");
    return real_pwrite(fd, buf, n, off);
}

ssize_t
pwrite64(int fd, const void *buf, size_t n, off64_t off)
{
    if (inject(FAULT_WRITE, fd)) {
        errno = ENOSPC;
        return -1;
    }
    if (real_pwrite64 == NULL)
        real_pwrite64 = (pwrite64_fn)real("pwrite64");
    return real_pwrite64(fd, buf, n, off);
}

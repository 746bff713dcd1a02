/* fault_shim: the control block shared by the storage fault injection shim
 * (fault_shim.c, an LD_PRELOAD library given to the daemons) and the tests
 * that arm it (it_syncfail.c).
 *
 * The test makes a file of sizeof(fault_ctl_t) bytes and names it in
 * FAULT_SHIM_ENV; every process that loads the shim maps it shared at
 * start, so the test arms and disarms it, and reads what it did, through
 * its own mapping without any system call in the daemon. While disarmed
 * the shim costs one atomic load per wrapped call. */
#ifndef COGOV_FAULT_SHIM_H
#define COGOV_FAULT_SHIM_H

#include <stdint.h>

#define FAULT_SHIM_ENV "COGOV_FAULT_SHIM_CTL"

enum {
    FAULT_SYNC = 1u,  /* fdatasync/fsync fail with EIO */
    FAULT_WRITE = 2u, /* write/pwrite/pwrite64 fail with ENOSPC */
};

/* fault_ctl.thread: which threads' calls may fail. */
enum {
    FAULT_ANY_THREAD = 0,
    FAULT_MAIN_THREAD = 1,  /* the process's main thread: a daemon's loop */
    FAULT_OTHER_THREAD = 2, /* any other: the store's checkpointer */
};

typedef struct fault_ctl {
    /* FAULT_* bits armed: calls of those kinds on a file whose path ends
     * in `suffix` fail. */
    uint32_t arm;
    /* FAULT_* bits that disarm themselves after one failure (else a fault
     * lasts until the test clears its bit in arm). */
    uint32_t once;
    /* Failures injected so far, by kind (the shim counts, the test reads:
     * a fault that never fired fails the test rather than passing it). */
    uint32_t hits_sync;
    uint32_t hits_write;
    /* Of hits_sync: those on the process's main thread (a daemon's loop),
     * the others on another thread (the checkpointer). */
    uint32_t hits_sync_main;
    uint32_t thread;  /* FAULT_*_THREAD */
    char suffix[104]; /* NUL-terminated, set before arming */
} fault_ctl_t;

#endif

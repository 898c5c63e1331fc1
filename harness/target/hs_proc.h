/*
 * hs_proc: every process group the harness starts, and the guarantee that
 * none outlives it.
 *
 * Each target runs in its own process group. The group is registered here
 * right after fork; when the harness exits, or dies of SIGINT, SIGTERM or
 * SIGHUP, every registered group gets SIGKILL. (A SIGKILLed harness cannot
 * run anything: hs_target covers that case with PR_SET_PDEATHSIG.)
 *
 * The registry is a fixed array of lock-free slots, so the signal handler
 * can walk it without locks or allocation.
 *
 * Fork: a forked worker (-j N) inherits a copy of the registry, including
 * the parent's groups. Every slot remembers the pid of the process that
 * registered it, and a process only ever kills the groups it registered
 * itself: a worker's exit never kills its siblings' targets, and each worker
 * cleans up its own children. Workers inherit the handlers; calling
 * hs_proc_install_handlers() again in a worker is harmless.
 */
#ifndef HS_PROC_H
#define HS_PROC_H

#include <sys/types.h>

#define HS_PROC_OK 0
#define HS_PROC_ERR -1

/* Live groups one process can track; starting more is refused. */
#define HS_PROC_MAX 256

/*
 * Install the SIGINT/SIGTERM/SIGHUP handlers and the atexit hook (once per
 * process image). The handler kills this process's groups, then re-raises
 * the signal with its default action so the exit status tells the truth.
 */
int hs_proc_install_handlers(void);

/* Track process group pgid (owned by the calling process). */
int hs_proc_register(pid_t pgid);

/* Stop tracking pgid (its leader was reaped). Unknown groups are ignored. */
void hs_proc_unregister(pid_t pgid);

/* SIGKILL every group this process registered. Async-signal-safe. */
void hs_proc_kill_all(void);

/* How many groups this process currently tracks. */
int hs_proc_count(void);

#endif

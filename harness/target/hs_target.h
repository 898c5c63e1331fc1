/*
 * hs_target: start the program under test, know when it listens, stop it
 * and say how it ended.
 *
 * The target runs in its own process group (so stopping it also stops
 * whatever it forked), registered with hs_proc, with PR_SET_PDEATHSIG so it
 * dies even when the harness is SIGKILLed. PR_SET_PDEATHSIG fires when the
 * *thread* that forked exits: start targets from a thread that lives as long
 * as they do. The target inherits no file descriptor beyond stdin
 * (/dev/null), stdout and stderr (both the stderr file), and starts with
 * default signal dispositions and an empty signal mask.
 *
 * hs_target_start() installs hs_proc's cleanup handlers (idempotent).
 *
 * Readiness is event-driven: with a port file the harness watches its
 * folder with inotify (the gateway writes it atomically once the socket
 * listens); with a fixed port it retries a TCP connect. Either way a pidfd
 * reports a target that dies before it is ready, at once, with the last
 * line of its stderr.
 *
 * The group leader is only reaped after its group has been swept with
 * SIGKILL: while it is a zombie its pid cannot be reused, so killing the
 * group can never hit an unrelated process.
 */
#ifndef HS_TARGET_H
#define HS_TARGET_H

#include <stddef.h>
#include <sys/types.h>

#define HS_TARGET_OK 0
#define HS_TARGET_ERR -1       /* could not start, not ready, bad spec */
#define HS_TARGET_EDEAD -2     /* stop: it had already died by itself */
#define HS_TARGET_EKILLED -3   /* stop: SIGTERM was not enough, SIGKILL ended it */

typedef struct hs_target_spec {
    char **argv;            /* program + args, NULL-terminated; "{port}" and
                               "{port_file}" are substituted in every argument */
    char **env;             /* extra NAME=VALUE, NULL-terminated, or NULL */
    const char *stderr_path;/* receives the child's stderr and stdout
                               (truncated first); NULL: /dev/null */
    const char *port_file;  /* the target writes its port here, or NULL */
    int port;               /* 0: the target picks and writes port_file;
                               >0: fixed, substituted into {port} */
    int ready_timeout_ms;   /* ceiling for listening; <= 0: 10000 */
    const char *preload;    /* LD_PRELOAD (libfiu's POSIX faults) or NULL */
} hs_target_spec;

typedef struct hs_target {
    pid_t pid;              /* also the process group id; 0 when not running */
    int port;               /* the port it listens on */
    int pidfd;              /* readable once it exits; -1 without pidfd_open */
    int exited;             /* it has ended (status is valid) */
    int status;             /* wait status once exited */
    char stderr_path[4096];
} hs_target;

/*
 * Start a target and wait until it listens. On error nothing is left
 * running and err says what to do ("cannot start build/gateway: No such
 * file or directory (run make first)", "target exited with status 1 before
 * listening: <last stderr line>").
 */
int hs_target_start(const hs_target_spec *s, hs_target *t, char *err, size_t errlen);

/* 1 while the target runs; 0 once it has ended (t->status then says how). */
int hs_target_alive(hs_target *t);

/*
 * Wait up to timeout_ms for the target to end by itself (woken by its
 * pidfd): 1 once it has ended, 0 if it still runs. A process that is
 * exiting closes its sockets before it can be reaped: a peer sees the
 * connection drop a moment before hs_target_alive sees the death.
 */
int hs_target_wait_end(hs_target *t, int timeout_ms);

/*
 * SIGTERM the group, wait up to timeout_ms for the leader, then SIGKILL
 * what is left of the group and reap. Returns HS_TARGET_OK when SIGTERM
 * ended it, HS_TARGET_EKILLED when SIGKILL was needed, HS_TARGET_EDEAD when
 * it had died before (err: "target had already ended: killed by SIGSEGV").
 * exit_status (if not NULL) receives the wait status in every case.
 */
int hs_target_stop(hs_target *t, int timeout_ms, int *exit_status, char *err, size_t errlen);

/* SIGKILL the group and reap. Safe on a target that already ended. */
void hs_target_kill(hs_target *t);

/* "exit 0", "exit 1", "killed by SIGSEGV (core dumped)". */
void hs_target_describe_status(int status, char *buf, size_t len);

/*
 * The last `lines` non-empty lines of the target's stderr file, each made
 * safe by hs_escape_term (the target's output is untrusted), joined by
 * newlines. Empty string when there is none.
 */
void hs_target_stderr_tail(const hs_target *t, int lines, char *buf, size_t len);

#endif

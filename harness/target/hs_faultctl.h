/*
 * hs_faultctl: libfiu's remote control, spoken directly over its FIFOs.
 *
 * A target that called fiu_rc_fifo(PREFIX) serves PREFIX-PID.in (one
 * command line in) and PREFIX-PID.out (one reply line out: "0" success,
 * "-1" failure). fiu-ctrl exits 0 even when a command failed, so the harness
 * speaks the protocol itself and reads the reply.
 *
 * Command grammar (libfiu 1.1):
 *   enable name=N,failnum=F,failinfo=I[,onetime]
 *   enable_random name=N,failnum=F,failinfo=I,probability=P[,onetime]
 *   disable name=N
 * enable_random without probability, and failnum=0, never fire: the
 * builders below always pass explicit values.
 *
 * Every call is bounded by timeout_ms. A dead target is reported at once
 * (pidfd, or kill(pid, 0) without one), even when its FIFOs were left
 * behind by a SIGKILL. One command at a time per target: the FIFOs carry no
 * request ids.
 */
#ifndef HS_FAULTCTL_H
#define HS_FAULTCTL_H

#include <stddef.h>
#include <sys/types.h>

#define HS_FAULTCTL_OK 0
#define HS_FAULTCTL_ERR -1       /* bad command, no such process, no FIFO, timeout */
#define HS_FAULTCTL_EREJECTED -2 /* the target answered -1 */

/* Longest command line libfiu reads (its MAX_LINE, minus the newline). */
#define HS_FAULTCTL_MAX_COMMAND 510

typedef enum hs_faultctl_mode {
    HS_FAULTCTL_ALWAYS,      /* every hit fails */
    HS_FAULTCTL_ONCE,        /* the first hit fails, then the point disables itself */
    HS_FAULTCTL_PROBABILITY  /* each hit fails with probability p */
} hs_faultctl_mode;

typedef struct hs_faultctl_fault {
    const char *name;        /* point name; libfiu's '*' wildcard allowed */
    hs_faultctl_mode mode;
    double probability;      /* HS_FAULTCTL_PROBABILITY only: (0, 1] */
    unsigned long failinfo;  /* handed to the failing call; for POSIX points
                                the errno (104 = ECONNRESET) */
} hs_faultctl_fault;

/*
 * Send one command line to process pid and read its reply. HS_FAULTCTL_OK
 * on "0", HS_FAULTCTL_EREJECTED on "-1" (the target's stderr names the
 * reason), HS_FAULTCTL_ERR for anything else, with err saying what.
 */
int hs_faultctl_send(const char *prefix, pid_t pid, const char *command, int timeout_ms,
                     char *err, size_t errlen);

/* Build the enable command for f into buf. Refuses names libfiu would split. */
int hs_faultctl_format_enable(const hs_faultctl_fault *f, char *buf, size_t len, char *err,
                              size_t errlen);

/* Enable f in process pid (format + send). */
int hs_faultctl_enable(const char *prefix, pid_t pid, const hs_faultctl_fault *f,
                       int timeout_ms, char *err, size_t errlen);

/* Disable point name in process pid. */
int hs_faultctl_disable(const char *prefix, pid_t pid, const char *name, int timeout_ms,
                        char *err, size_t errlen);

#endif

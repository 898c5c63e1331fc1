/*
 * hs_launch: how the harness starts a target, written once for the runner,
 * the soak and the benchmarks.
 *
 * A target is either the reference gateway (its own flags: port 0 and a
 * port file, the seed, libfiu's control FIFO, then the caller's flags) or a
 * user's --target-cmd, split without a shell, with "{port}", "{port_file}"
 * and "{fiu_ctrl}" substituted. Its environment carries the token secret
 * (in the variable its profile names, GATEWAY_JWT_SECRET by default) and
 * FIU_PRNG_SEED, so which calls a probabilistic
 * fault hits is reproducible. POSIX faults go through libfiu's own preload
 * (the way fiu-run does it): FIU_ENABLE holds one enable_random command per
 * fault, with an explicit probability and errno, since libfiu's defaults
 * never fire or pick a random errno that libwebsockets merely retries.
 * With fiu_counts, the counting library (hs_fiucount) is preloaded too,
 * after preload_first and before libfiu's, and WSFAULT_FIU_COUNTS names
 * the file; a file left from an earlier run is removed first, so the
 * counts are this target's alone.
 *
 * The process itself (group, readiness, stop) is hs_target's business.
 */
#ifndef HS_LAUNCH_H
#define HS_LAUNCH_H

#include <stddef.h>

#include "target/hs_target.h"

/* Where Debian's fiu-utils installs libfiu's preload libraries. */
#define HS_LAUNCH_FIU_LIB "/usr/lib/fiu"

/* One POSIX fault for libfiu's preload: the point, how often, which errno. */
typedef struct hs_launch_posix {
    const char *name;           /* "posix/io/net/send", "libc/mm/malloc", ... */
    double probability;         /* 0 < p <= 1 */
    int err;                    /* errno the failing call sets (104: ECONNRESET) */
} hs_launch_posix;

typedef struct hs_launch {
    const char *gateway;        /* the reference gateway binary (when cmd is NULL) */
    const char *cmd;            /* --target-cmd, or NULL */
    char *const *gateway_args;  /* more reference-gateway flags, NULL-terminated, or NULL */
    const char *dir;            /* scratch folder: the port file goes there */
    const char *stderr_path;    /* the target's stderr and stdout; NULL: /dev/null */
    const char *secret;         /* the token secret, or NULL */
    const char *secret_env;     /* its variable; NULL: GATEWAY_JWT_SECRET */
    unsigned long seed;         /* --seed (reference) and FIU_PRNG_SEED */
    const char *fiu_ctrl;       /* libfiu control FIFO prefix, or NULL */
    const hs_launch_posix *posix;  /* POSIX faults through libfiu's preload */
    size_t nposix;
    const char *fiu_enable;     /* more libfiu commands for its run preload, one
                                   per line (start faults of a target that is
                                   not the reference gateway), or NULL */
    char *const *cmd_args;      /* appended to --target-cmd's words, or NULL */
    const char *preload_first;  /* loaded before libfiu's preload and the counting
                                   library (a sanitizer runtime must come first);
                                   used only with one of them */
    const char *fiu_counts;     /* count every fiu_fail call into this file
                                   (hs_fiucount), or NULL */
    int ready_timeout_ms;       /* ceiling for listening; <= 0: hs_target's */
} hs_launch;

/*
 * Start the target and wait until it listens (hs_target_start). A command
 * without "{port_file}" gets a free port in "{port}". On error nothing is
 * left running and err says what went wrong.
 */
int hs_launch_start(const hs_launch *l, hs_target *t, char *err, size_t errlen);

#endif

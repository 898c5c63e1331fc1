/*
 * hs_runner: run one scenario against one target and judge it.
 *
 * The target is a fresh reference gateway (default), a command line of the
 * user's (--target-cmd), or a server already running (--url). Steps run in
 * order, every wait bounded by a ceiling and woken by the event it waits
 * for; then the contract (hs_contract) is judged on what was recorded.
 */
#ifndef HS_RUNNER_H
#define HS_RUNNER_H

#include <sys/types.h>
#include <jansson.h>

#include "scenario/hs_profile.h"
#include "scenario/hs_scenario.h"

typedef struct hs_run_opts {
    const char *gateway;        /* reference gateway binary (build/gateway) */
    const char *target_cmd;     /* "CMD ... {port} ..." or NULL */
    const char *url;            /* ws://HOST:PORT/PATH of a running target, or NULL */
    const char *fiu_ctrl;       /* with url: the target's libfiu FIFO prefix */
    pid_t pid;                  /* with url: the target's pid */
    const char *jwt_secret;     /* with url: the secret its tokens need */
    const char *workdir;        /* scratch folder, one subfolder per case */
    const char *logdir;         /* target stderr logs go here, or NULL */
    const char *argv0;          /* for repro commands */
    unsigned long seed;
    const char *preload_first; /* before libfiu's preload (a sanitizer runtime) */
    const hs_fault *extra_faults; /* enabled at start on top of the scenario's */
    size_t nextra;
    int contract_only;          /* judge the contract alone: the scenario's own
                                   expectations neither fail nor stop it */
    int step_timeout_ms;        /* overrides the scenarios' default; 0: theirs */
    int verbose;                /* print the wire log as it happens */
    const hs_profile *profile;  /* the target's dialect (never NULL) */
} hs_run_opts;

/*
 * Run s. Returns the case object of results.json (status passed, failed
 * or skipped; reasons; transcript; log excerpt; faults; repro command).
 */
json_t *hs_run_scenario(const hs_scenario *s, const hs_run_opts *o);

#endif

/*
 * hs_runner: run one scenario against one target and judge it.
 *
 * The target is the reference gateway (default), a command line of the
 * user's (--target-cmd), or a server already running (--url). Steps run in
 * order, every wait bounded by a ceiling and woken by the event it waits
 * for; then the contract (hs_contract) is judged on what was recorded.
 *
 * A target the harness starts serves one case, or, with an hs_keep, every
 * following case that can share it (hs_keep_key): between two cases every
 * connection is closed, the counts must be back at baseline, the target is
 * asked for a leak check when its profile has one, and each case is judged
 * on its own slice of the target's log. A case that fails, or leaves the
 * target dead, silent, degraded or with counts off, ends its life: it is
 * stopped (its stop judged in that case) and the next case starts a new one.
 */
#ifndef HS_RUNNER_H
#define HS_RUNNER_H

#include <sys/types.h>
#include <jansson.h>

#include "scenario/hs_profile.h"
#include "scenario/hs_scenario.h"

/* A target kept alive between cases, owned by one worker process. */
typedef struct hs_keep hs_keep;

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
    hs_keep *keep;              /* a target kept across cases, or NULL: a fresh
                                   one per case (--fresh-target) */
} hs_run_opts;

/*
 * Run s. Returns the case object of results.json (status passed, failed
 * or skipped; reasons; transcript; log excerpt; faults; repro command).
 */
json_t *hs_run_scenario(const hs_scenario *s, const hs_run_opts *o);

/* Cases with the same key can share a target; "" (the key of no case) when s
 * needs one of its own: faults at start, POSIX faults, fault or signal
 * steps, a startup delay, raw gateway "args", or --url (no target started). */
void hs_keep_key(const hs_scenario *s, const hs_run_opts *o, char *key, size_t len);

/* An empty keep; its targets live in folders under workdir. NULL: no memory. */
hs_keep *hs_keep_new(const char *workdir);

/*
 * What stopping earlier targets found against the cases they served last
 * (a key change retires one): [{"id": CASE, "reasons": [...]}, ...], or NULL
 * when nothing. The caller owns it; the keep forgets it.
 */
json_t *hs_keep_amends(hs_keep *k);

/* Stop the kept target, if any; its findings join hs_keep_amends. */
void hs_keep_end(hs_keep *k);

/* Free k; a target still kept is killed. */
void hs_keep_free(hs_keep *k);

#endif

/*
 * hs_torture: the torture walk, as curl's -t. For every fault point a
 * scenario's golden path reaches, fail its k-th hit, for every k, one run
 * each; every run must satisfy the degradation contract.
 *
 * The golden run (no extra fault) must pass; /health's counters at its end
 * say how often each point was reached. Then each (point, k) is one fresh
 * run with the point enabled as nth=k on top of the scenario's own faults,
 * judged on the contract alone (hs_run_opts.contract_only): the scenario's
 * expectations describe the golden path and no longer hold, but no 5xx, no
 * 1011, an answer to every request, counts back to baseline and the other
 * clauses still must.
 *
 * Points not walked, with the reason reported: those the scenario enables
 * itself (at start or in a fault step), and gateway/auth/verify, whose
 * graceful answer is to close that connection with 1013 (try again later),
 * a close only a scenario that expects it can judge
 * (seeds/auth-verify-unavailable.json does).
 */
#ifndef HS_TORTURE_H
#define HS_TORTURE_H

#include <stddef.h>
#include <jansson.h>

#include "judge/hs_runner.h"
#include "scenario/hs_scenario.h"

#define HS_TORTURE_OK 0
#define HS_TORTURE_ERR -1

typedef struct hs_torture_opts {
    hs_run_opts run;           /* gateway, preload, seed, step timeout, workdir */
    int jobs;                  /* runs in parallel worker processes */
    const char *only;          /* "NAME" or "NAME:nth=K": only these runs */
    int verbose;               /* a line per run */
} hs_torture_opts;

/* One run of the walk: fail the k-th hit of point name. */
typedef struct hs_torture_run {
    char name[96];
    long k;
} hs_torture_run;

/*
 * The runs a golden case (a results.json case with "faults": {NAME:
 * {"reached": N}}) implies for scenario s, in catalogue order, k ascending.
 * only (or NULL) narrows them. Points left out go into skipped as NAME:
 * reason. Returns HS_TORTURE_OK with a malloc'd array (free it), or
 * HS_TORTURE_ERR with err filled (a malformed only).
 */
int hs_torture_plan(const hs_scenario *s, const json_t *golden, const char *only,
                    hs_torture_run **runs, size_t *nruns, json_t *skipped,
                    char *err, size_t errlen);

/*
 * Walk one scenario: the golden run, the plan, every run. Returns its
 * report: {"id", "file", "golden": STATUS, "golden_reasons", "reached":
 * {NAME: N}, "skipped": {NAME: WHY}, "runs": N, "failed": N, "failures":
 * [{"fault", "k", "reasons", "log_excerpt", "repro"}], "unreached":
 * [{"fault", "k"}]}. A run whose point did not fire (a path with random
 * faults took another way) is unreached: it kept the contract but tested
 * nothing. Failures are printed as they are found.
 */
json_t *hs_torture_scenario(const hs_scenario *s, const hs_torture_opts *o);

#endif

/*
 * hs_suite: a whole run. Finds and loads scenario files (every one before
 * anything runs), selects (filter, tag, shard), runs them in parallel
 * worker processes with repeats, applies known issues (hs_known), and builds the
 * results document.
 */
#ifndef HS_SUITE_H
#define HS_SUITE_H

#include <stddef.h>
#include <jansson.h>

#include "judge/hs_runner.h"
#include "scenario/hs_scenario.h"

#define HS_SUITE_OK 0
#define HS_SUITE_ERR -1

/* Cases with this tag run only under --tag long: they take minutes (a dead
 * peer under the target's default keepalive). */
#define HS_SUITE_LONG_TAG "long"

typedef struct hs_suite_opts {
    hs_run_opts run;
    int jobs;
    int shard_k, shard_n;      /* 1-based shard k of n */
    const char *filter;        /* glob on the case id, or NULL */
    const char *tag;           /* only cases with this tag, or NULL */
    int repeat;
    const json_t *known;       /* the known_issues list, or NULL */
    const char *target_name;   /* "reference", "cmd" or "url": for known issues */
    int progress;              /* a progress line on a terminal */
    int max_failures;          /* stop after this many failed cases; 0: never */
    int silent_limit;          /* this many silent cases in a row: the target is
                                  unresponsive and the rest fail unrun; 0: never */
    int fresh_target;          /* a new target for every case (no hs_keep) */
} hs_suite_opts;

/* The default silent_limit: enough that a slow start is not mistaken for
 * silence, few enough that a dead target costs seconds, not the suite. */
#define HS_SUITE_SILENT_LIMIT 5

typedef struct hs_suite {
    hs_scenario **v;
    size_t n;
} hs_suite;

/*
 * Load every *.json under the given paths (files or folders, recursively,
 * sorted). A bad file stops everything: err names file, line, column, field.
 * Duplicate ids are refused too.
 */
int hs_suite_load(const char *const *paths, size_t npaths, hs_suite *out,
                  char *err, size_t errlen);
void hs_suite_free(hs_suite *s);

/* Keep only the selected cases (filter, tag, shard), in order. */
void hs_suite_select(hs_suite *s, const hs_suite_opts *o);

/*
 * Run the selected cases; returns the "cases" array of results.json in
 * suite order. Failures are printed as they happen.
 *
 * Two rules stop a run early; cases already running finish, and every case
 * not yet started is still in the array, with the reason:
 * - silent_limit cases in a row whose target stayed silent (the runner's
 *   "target_silent": it did not start, or a step waited out its ceiling
 *   with no frame from the target in the whole case): the rest are failed,
 *   "target unresponsive". One frame from the target resets the count.
 * - max_failures failed cases: the rest are skipped, "not run".
 */
json_t *hs_suite_run(const hs_suite *s, const hs_suite_opts *o);

/* Print a failed, flaky or xpassed case with its reasons and repro (escaped). */
void hs_suite_print_failure(const json_t *c);

/* {"passed": N, ...} for a cases array. */
json_t *hs_suite_totals(const json_t *cases);

#endif

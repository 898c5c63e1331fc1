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
} hs_suite_opts;

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
 */
json_t *hs_suite_run(const hs_suite *s, const hs_suite_opts *o);

/* Print a failed, flaky or xpassed case with its reasons and repro (escaped). */
void hs_suite_print_failure(const json_t *c);

/* {"passed": N, ...} for a cases array. */
json_t *hs_suite_totals(const json_t *cases);

#endif

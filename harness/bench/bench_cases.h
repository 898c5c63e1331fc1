/*
 * bench_cases: the cost of a case and of target reuse, for make bench.
 *
 *   per_case   for each gateway build: the floor (start the gateway until it
 *              listens, SIGTERM until it exits; median of 60), then the
 *              suite without scenarios/wire at -j2 with targets kept across
 *              cases and fresh per case: worker time per case (wall x jobs
 *              / cases) and its ratio to the floor, and whether the two
 *              runs' verdicts differ
 *   fastapi    make run TARGET=fastapi's suite, kept and fresh, and the
 *              same files against the reference gateway: wall times, their
 *              ratios, and the cases whose verdicts differ
 *
 * Figures only: nothing passes or fails on time.
 */
#ifndef BENCH_CASES_H
#define BENCH_CASES_H

#include <jansson.h>

typedef struct bench_cases_opts {
    const char *harness;            /* build/harness */
    const char *const *gateways;    /* builds to measure, NULL-terminated; the
                                       first is the one make run judges */
    const char *fastapi_cmd;        /* --target-cmd of the FastAPI target */
    const char *work;               /* scratch folder */
} bench_cases_opts;

json_t *bench_case_cost(const bench_cases_opts *o);

/* The median of v[0..n), which it sorts; 0 when n is 0. */
double bench_median(double *v, int n);
json_t *bench_fastapi(const bench_cases_opts *o);

#endif

/*
 * bench_cases: what one case costs the harness, against the floor under a
 * case that starts its own target, with targets kept across cases and
 * fresh per case; and the FastAPI target's suite kept and fresh against the
 * reference's. See bench_cases.h.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/bench_cases.h"
#include "target/hs_launch.h"
#include "target/hs_target.h"
#include "util/hs_argv.h"
#include "util/hs_clock.h"
#include "util/hs_fsutil.h"

#define FLOOR_RUNS 60
#define JOBS 2

/* The suite without scenarios/wire: its cases wait on purpose (keepalive
 * timeouts, storms, sleeps), seconds that say nothing of the harness. */
static const char *const default_suite[] = {
    "scenarios/seeds", "scenarios/degradation", "scenarios/security",
    "scenarios/conformance", NULL
};

static const char *const fastapi_suite[] = {
    "scenarios/seeds", "scenarios/degradation", "scenarios/security", "scenarios/wire", NULL
};

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

double bench_median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(*v), cmp_double);
    return n ? (n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2) : 0.0;
}

/* ---- the floor ----------------------------------------------------------- */

/* Start the gateway until it listens, SIGTERM it until it exits: what the
 * harness cannot go below for a case with a target of its own. */
static double spawn_stop_once(const char *gateway, const char *dir)
{
    hs_launch l = { .gateway = gateway, .dir = dir, .secret = "bench", .seed = 1 };
    char err[512];
    double t0 = hs_now_ms();
    hs_target t;

    if (hs_launch_start(&l, &t, err, sizeof(err)) != 0)
        return -1;
    hs_target_stop(&t, 5000, NULL, err, sizeof(err));
    return hs_now_ms() - t0;
}

static json_t *spawn_floor(const char *gateway, const char *work)
{
    double v[FLOOR_RUNS];
    int n = 0;

    for (int i = 0; i < FLOOR_RUNS; i++) {
        double ms = spawn_stop_once(gateway, work);

        if (ms >= 0)
            v[n++] = ms;
    }
    if (n == 0)
        return json_pack("{s:s}", "error", "the gateway did not start");
    return json_pack("{s:f,s:i}", "median_ms", bench_median(v, n), "runs", n);
}

/* ---- one run of the harness ----------------------------------------------- */

/* argv run to its end, output discarded; its wall time, or -1. */
static double run_quiet(char **argv)
{
    double t0 = hs_now_ms();
    int status = 0;
    pid_t pid;

    fflush(NULL);
    pid = fork();
    if (pid == 0) {
        if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr))
            _exit(127);
        execv(argv[0], argv);
        _exit(127);
    }
    if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
        WEXITSTATUS(status) > 1)
        return -1;
    return hs_now_ms() - t0;
}

/* {"id": {"status", "reasons"}} of a results document. */
static json_t *statuses(const json_t *results)
{
    json_t *out = json_object(), *c;
    size_t i;

    json_array_foreach(json_object_get(results, "cases"), i, c)
        json_object_set_new(out, json_string_value(json_object_get(c, "id")),
                            json_pack("{s:O,s:O}", "status", json_object_get(c, "status"),
                                      "reasons", json_object_get(c, "reasons")));
    return out;
}

/* The mean of the fastest 95 % of v[0..n), sorted: a few cases wait on
 * purpose (a token left to expire, a handshake timeout, a startup delay)
 * and would otherwise be most of the figure. */
static double trimmed_mean(const double *v, size_t n)
{
    size_t keep = n - n / 20;
    double sum = 0;

    for (size_t i = 0; i < keep; i++)
        sum += v[i];
    return keep ? sum / (double)keep : 0.0;
}

/* What a run cost per case: worker time (wall x jobs / cases), and the
 * cases' own durations; *verdicts gets each case's status. */
static json_t *cost_of(const json_t *results, double wall, json_t **verdicts)
{
    json_t *cases = json_object_get(results, "cases"), *c;
    size_t n = json_array_size(cases), i;
    double *d = calloc(n ? n : 1, sizeof(double)), sum = 0, med;
    json_t *j;

    json_array_foreach(cases, i, c) {
        d[i] = json_number_value(json_object_get(c, "duration_ms"));
        sum += d[i];
    }
    *verdicts = statuses(results);
    med = bench_median(d, (int)n);    /* sorts d, which trimmed_mean needs */
    j = json_pack("{s:i,s:f,s:f,s:f,s:f,s:f}", "cases", (int)n, "wall_ms", wall,
                  "per_case_ms", n ? wall * JOBS / (double)n : 0.0,
                  "mean_case_ms", n ? sum / (double)n : 0.0, "median_case_ms", med,
                  "trimmed_mean_case_ms", trimmed_mean(d, n));
    free(d);
    return j;
}

/* build/harness -j2 [flags] paths against a target; its cost, or an error. */
static json_t *suite_run(const bench_cases_opts *o, const char *const *target,
                         int fresh, const char *const *paths, json_t **verdicts)
{
    char out[PATH_MAX + 32], results[PATH_MAX + 64], jobs[8];
    char **argv = NULL;
    size_t n = 0;
    json_t *doc, *j;
    double wall;

    snprintf(out, sizeof(out), "%s/suite", o->work);
    snprintf(jobs, sizeof(jobs), "%d", JOBS);
    hs_argv_add(&argv, &n, o->harness);
    for (const char *const *p = (const char *const[]){ "-j", jobs, "--out", out,
                                "--history", "/dev/null", NULL }; *p; p++)
        hs_argv_add(&argv, &n, *p);
    for (size_t i = 0; target[i]; i++)
        hs_argv_add(&argv, &n, target[i]);
    if (fresh)
        hs_argv_add(&argv, &n, "--fresh-target");
    for (size_t i = 0; paths[i]; i++)
        hs_argv_add(&argv, &n, paths[i]);
    wall = run_quiet(argv);
    hs_argv_free(argv);
    snprintf(results, sizeof(results), "%s/results.json", out);
    doc = wall >= 0 ? json_load_file(results, 0, NULL) : NULL;
    *verdicts = NULL;
    j = doc ? cost_of(doc, wall, verdicts)
            : json_pack("{s:s}", "error", "the harness did not run the suite");
    json_decref(doc);
    hs_fs_remove_tree(out);
    return j;
}

/* How many cases got another status in b than in a; each, with both
 * outcomes, in diff. */
static int differences(const json_t *a, const json_t *b, json_t *diff)
{
    const char *id;
    json_t *x, *y;

    json_object_foreach((json_t *)a, id, x) {
        y = json_object_get(b, id);
        if (!json_equal(json_object_get(x, "status"), json_object_get(y, "status")))
            json_array_append_new(diff, json_pack("{s:s,s:O,s:O}", "id", id, "kept", x,
                                                  "fresh", y ? y : json_null()));
    }
    return (int)json_array_size(diff);
}

/* ---- the sections ---------------------------------------------------------- */

static json_t *build_cost(const bench_cases_opts *o, const char *gateway)
{
    const char *target[] = { "--gateway", gateway, NULL };
    json_t *floor = spawn_floor(gateway, o->work), *vk, *vf, *diff = json_array();
    json_t *kept = suite_run(o, target, 0, default_suite, &vk);
    json_t *fresh = suite_run(o, target, 1, default_suite, &vf);
    double f = json_number_value(json_object_get(floor, "median_ms"));
    double pk = json_number_value(json_object_get(kept, "per_case_ms"));
    double pf = json_number_value(json_object_get(fresh, "per_case_ms"));
    double tk = json_number_value(json_object_get(kept, "trimmed_mean_case_ms"));
    json_t *j;

    j = json_pack("{s:s,s:o,s:o,s:o,s:f,s:f,s:f,s:i,s:o}", "gateway", gateway,
                  "floor", floor, "kept", kept, "fresh", fresh,
                  "ratio_kept_to_floor", f > 0 ? pk / f : 0.0,
                  "ratio_fresh_to_floor", f > 0 ? pf / f : 0.0,
                  "ratio_kept_trimmed_to_floor", f > 0 ? tk / f : 0.0, "verdicts_differ",
                  vk && vf ? differences(vk, vf, diff) : -1, "differing_cases", diff);
    json_decref(vk);
    json_decref(vf);
    return j;
}

json_t *bench_case_cost(const bench_cases_opts *o)
{
    json_t *builds = json_object();

    for (size_t i = 0; o->gateways[i]; i++) {
        printf("bench: per-case cost against the floor, %s\n", o->gateways[i]);
        json_object_set_new(builds, o->gateways[i], build_cost(o, o->gateways[i]));
    }
    return json_pack("{s:s,s:s,s:i,s:o}", "floor",
                     "median of 60: start the gateway until it listens, SIGTERM until it exits",
                     "per_case", "wall x jobs / cases of build/harness -j2 on the suite "
                     "without scenarios/wire (whose cases wait on purpose); trimmed: the "
                     "mean of the fastest 95 % of the cases' own durations",
                     "jobs", JOBS, "builds", builds);
}

json_t *bench_fastapi(const bench_cases_opts *o)
{
    const char *fastapi[] = { "--profile", "fixtures/targets/fastapi/profile.json",
                              "--target-cmd", o->fastapi_cmd, NULL };
    const char *reference[] = { "--gateway", o->gateways[0], NULL };
    json_t *vk, *vf, *vr, *diff = json_array(), *kept, *fresh, *ref, *j;
    double wk, wf, wr;

    printf("bench: the FastAPI target's suite, kept and fresh, and the reference's\n");
    kept = suite_run(o, fastapi, 0, fastapi_suite, &vk);
    fresh = suite_run(o, fastapi, 1, fastapi_suite, &vf);
    ref = suite_run(o, reference, 0, fastapi_suite, &vr);
    wk = json_number_value(json_object_get(kept, "wall_ms"));
    wf = json_number_value(json_object_get(fresh, "wall_ms"));
    wr = json_number_value(json_object_get(ref, "wall_ms"));
    j = json_pack("{s:s,s:o,s:o,s:o,s:f,s:f,s:i,s:o}", "suite",
                  "scenarios/seeds, degradation, security, wire (make run TARGET=fastapi)",
                  "kept", kept, "fresh", fresh, "reference_kept", ref,
                  "ratio_kept_to_reference", wr > 0 ? wk / wr : 0.0,
                  "ratio_fresh_to_reference", wr > 0 ? wf / wr : 0.0, "verdicts_differ",
                  vk && vf ? differences(vk, vf, diff) : -1, "differing_cases", diff);
    json_decref(vk);
    json_decref(vf);
    json_decref(vr);
    return j;
}

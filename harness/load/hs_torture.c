/*
 * hs_torture: golden run, plan, runs in worker processes, report.
 * See hs_torture.h.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/hs_buf.h"
#include "util/hs_escape.h"
#include "util/hs_fsutil.h"
#include "target/hs_proc.h"
#include "judge/hs_suite.h"
#include "load/hs_torture.h"
#include "util/hs_clock.h"


static const char *const catalogue[] = {
#define WSF_FAULT(name, seed, desc) name,
#include "faults.def"
#undef WSF_FAULT
    NULL
};

/* Points the walk leaves alone whatever the scenario, and why. */
static const struct {
    const char *name;
    const char *why;
} excluded[] = {
    { "gateway/auth/verify", "its graceful answer closes the connection with 1013, "
      "which only a scenario expecting that close can judge "
      "(seeds/auth-verify-unavailable.json)" },
};

static const char *excluded_why(const char *name)
{
    for (size_t i = 0; i < sizeof(excluded) / sizeof(excluded[0]); i++)
        if (strcmp(excluded[i].name, name) == 0)
            return excluded[i].why;
    return NULL;
}

/* Does the scenario enable this point itself, at start or in a fault step? */
static int scenario_enables(const hs_scenario *s, const char *name)
{
    for (size_t i = 0; i < s->nfaults; i++)
        if (strcmp(s->faults[i].name, name) == 0)
            return 1;
    for (size_t i = 0; i < s->nsteps; i++)
        if (s->steps[i].kind == HS_STEP_FAULT && s->steps[i].fault.name &&
            strcmp(s->steps[i].fault.name, name) == 0)
            return 1;
    return 0;
}

/* "NAME" or "NAME:nth=K" into name and k (0: every k). */
static int parse_only(const char *only, char *name, size_t len, long *k, char *err,
                      size_t errlen)
{
    const char *colon = strchr(only, ':');
    char *end;

    *k = 0;
    snprintf(name, len, "%.*s", colon ? (int)(colon - only) : (int)strlen(only), only);
    if (!colon)
        return HS_TORTURE_OK;
    if (strncmp(colon + 1, "nth=", 4) == 0) {
        *k = strtol(colon + 5, &end, 10);
        if (*k >= 1 && colon[5] && !*end)
            return HS_TORTURE_OK;
    }
    snprintf(err, errlen, "--only expects NAME or NAME:nth=K (K >= 1), got \"%s\"", only);
    return HS_TORTURE_ERR;
}

static int add_run(hs_torture_run **runs, size_t *n, const char *name, long k)
{
    hs_torture_run *v = realloc(*runs, (*n + 1) * sizeof(*v));

    if (!v)
        return -1;
    *runs = v;
    snprintf(v[*n].name, sizeof(v[*n].name), "%s", name);
    v[*n].k = k;
    (*n)++;
    return 0;
}

int hs_torture_plan(const hs_scenario *s, const json_t *golden, const char *only,
                    hs_torture_run **runs, size_t *nruns, json_t *skipped,
                    char *err, size_t errlen)
{
    const json_t *faults = json_object_get(golden, "faults");
    char only_name[96] = "";
    long only_k = 0;

    *runs = NULL;
    *nruns = 0;
    if (only && parse_only(only, only_name, sizeof(only_name), &only_k, err, errlen) != 0)
        return HS_TORTURE_ERR;
    for (size_t i = 0; catalogue[i]; i++) {
        const char *name = catalogue[i];
        json_int_t reached = json_integer_value(json_object_get(json_object_get(faults, name),
                                                                "reached"));

        if (reached <= 0 || (only && strcmp(only_name, name) != 0))
            continue;
        if (scenario_enables(s, name)) {
            json_object_set_new(skipped, name, json_string("the scenario enables it itself"));
            continue;
        }
        if (excluded_why(name)) {
            json_object_set_new(skipped, name, json_string(excluded_why(name)));
            continue;
        }
        for (long k = 1; k <= reached; k++)
            if ((only_k == 0 || only_k == k) && add_run(runs, nruns, name, k) != 0) {
                snprintf(err, errlen, "out of memory planning the walk");
                return HS_TORTURE_ERR;
            }
    }
    return HS_TORTURE_OK;
}

/* ---- running ----------------------------------------------------------- */

/*
 * One run: the point failing at hit k, judged on the contract alone. Its
 * firing is not required by the contract (clause 7) but checked by the
 * walk: a path with random faults may not reach hit k again, and such a
 * run tested nothing rather than something broken.
 */
static json_t *run_one(const hs_scenario *s, const hs_torture_opts *o,
                       const hs_torture_run *r, const char *workdir)
{
    hs_fault extra = { (char *)r->name, HS_FAULT_NTH, 0.0, r->k, 0, 0 };
    hs_run_opts ro = o->run;

    ro.extra_faults = &extra;
    ro.nextra = 1;
    ro.contract_only = 1;
    ro.workdir = workdir;
    ro.logdir = NULL;
    return hs_run_scenario(s, &ro);
}

static void run_dir(const hs_torture_opts *o, size_t i, char *buf, size_t len)
{
    snprintf(buf, len, "%s/run-%zu", o->run.workdir, i);
}

/* In a worker: run, leave the case where the parent reads it, exit. */
static void worker(const hs_scenario *s, const hs_torture_opts *o, const hs_torture_run *r,
                   size_t i)
{
    char dir[PATH_MAX], path[PATH_MAX + 16], err[256];
    json_t *c;
    char *text;

    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() == 1)
        _exit(4);
    hs_proc_install_handlers();
    run_dir(o, i, dir, sizeof(dir));
    if (hs_fs_mkdirs(dir, err, sizeof(err)) != 0)
        _exit(3);
    c = run_one(s, o, r, dir);
    text = json_dumps(c, JSON_COMPACT);
    snprintf(path, sizeof(path), "%s.json", dir);
    if (!text || hs_fs_write_atomic(path, text, strlen(text), err, sizeof(err)) != 0)
        _exit(3);
    _exit(0);
}

static json_t *collect(const hs_torture_opts *o, size_t i, int status)
{
    char dir[PATH_MAX], path[PATH_MAX + 16], err[256];
    char *text = NULL;
    size_t n;
    json_t *j = NULL;

    run_dir(o, i, dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s.json", dir);
    if (hs_fs_read_file(path, &text, &n, err, sizeof(err)) == 0)
        j = json_loadb(text, n, 0, NULL);
    free(text);
    unlink(path);
    if (j)
        return j;
    return json_pack("{s:s,s:[{s:i,s:n,s:n,s:s}],s:s}", "status", "failed", "reasons",
                     "clause", 0, "step", "line", "message", WIFSIGNALED(status)
                     ? "the worker was killed by a signal" : "the worker left no result",
                     "log_excerpt", "");
}

/* Up to jobs workers at once; results land in out[i], in plan order. */
static void run_all(const hs_scenario *s, const hs_torture_opts *o,
                    const hs_torture_run *runs, size_t n, json_t **out)
{
    int jobs = o->jobs > 0 ? o->jobs : 1, running = 0;
    pid_t *pids = calloc((size_t)jobs, sizeof(pid_t));
    size_t *idx = calloc((size_t)jobs, sizeof(size_t)), next = 0;

    while (next < n || running > 0) {
        int status = 0;
        pid_t done;

        for (int k = 0; k < jobs && next < n; k++) {
            if (pids[k])
                continue;
            fflush(NULL);
            pids[k] = fork();
            if (pids[k] == 0)
                worker(s, o, &runs[next], next);
            if (pids[k] < 0) {
                pids[k] = 0;
                out[next] = collect(o, next, 0);
            } else {
                idx[k] = next;
                running++;
            }
            next++;
        }
        done = running ? wait(&status) : -1;
        for (int k = 0; done > 0 && k < jobs; k++)
            if (pids[k] == done) {
                out[idx[k]] = collect(o, idx[k], status);
                pids[k] = 0;
                running--;
            }
    }
    free(pids);
    free(idx);
}

/* ---- reporting ---------------------------------------------------------- */

static void print_escaped(const char *prefix, const char *s)
{
    hs_buf b = HS_BUF_INIT;

    hs_escape_term(s ? s : "", s ? strlen(s) : 0, &b);
    printf("%s%s\n", prefix, b.p ? b.p : "");
    hs_buf_free(&b);
}

static json_t *failure(const hs_scenario *s, const hs_torture_run *r, const json_t *c)
{
    char *repro = NULL;
    json_t *f;

    if (asprintf(&repro, "build/harness --torture %s --only %s:nth=%ld", s->file, r->name,
                 r->k) < 0)
        repro = NULL;
    f = json_pack("{s:s,s:I,s:O,s:O,s:s}", "fault", r->name, "k", (json_int_t)r->k,
                  "reasons", json_object_get(c, "reasons"),
                  "log_excerpt", json_object_get(c, "log_excerpt")
                                 ? json_object_get(c, "log_excerpt") : json_null(),
                  "repro", repro ? repro : "");
    free(repro);
    return f;
}

static void print_failure(const hs_scenario *s, const json_t *f)
{
    char head[400];
    json_t *r;
    size_t i;

    snprintf(head, sizeof(head), "FAIL %s with %s:nth=%lld", s->id,
             json_string_value(json_object_get(f, "fault")),
             (long long)json_integer_value(json_object_get(f, "k")));
    print_escaped("", head);
    json_array_foreach(json_object_get(f, "reasons"), i, r)
        print_escaped("    ", json_string_value(json_object_get(r, "message")));
    print_escaped("    repro: ", json_string_value(json_object_get(f, "repro")));
}

static json_t *reached_of(const json_t *golden)
{
    json_t *out = json_object(), *v;
    const char *k;

    json_object_foreach(json_object_get(golden, "faults"), k, v)
        json_object_set(out, k, json_object_get(v, "reached"));
    return out;
}

static int fired(const json_t *c, const char *name)
{
    return json_integer_value(json_object_get(json_object_get(json_object_get(c, "faults"),
                                                              name), "fired")) > 0;
}

/* Judge every run of the plan and fill the report. */
static void judge_runs(const hs_scenario *s, const hs_torture_opts *o,
                       const hs_torture_run *runs, size_t n, json_t *report)
{
    json_t **cases = calloc(n ? n : 1, sizeof(json_t *));
    json_t *failures = json_object_get(report, "failures");
    json_t *unreached = json_object_get(report, "unreached");

    run_all(s, o, runs, n, cases);
    for (size_t i = 0; i < n; i++) {
        const char *st = json_string_value(json_object_get(cases[i], "status"));
        int ok = st && strcmp(st, "passed") == 0;
        int hit = fired(cases[i], runs[i].name);

        if (o->verbose)
            printf("  %s %s:nth=%ld %s\n", s->id, runs[i].name, runs[i].k,
                   !ok ? "FAILED" : hit ? "ok" : "not reached");
        if (ok && !hit)
            json_array_append_new(unreached, json_pack("{s:s,s:I}", "fault", runs[i].name,
                                                       "k", (json_int_t)runs[i].k));
        if (!ok) {
            json_t *f = failure(s, &runs[i], cases[i]);
            print_failure(s, f);
            json_array_append_new(failures, f);
        }
        json_decref(cases[i]);
    }
    free(cases);
    json_object_set_new(report, "runs", json_integer((json_int_t)n));
    json_object_set_new(report, "failed", json_integer((json_int_t)json_array_size(failures)));
}

json_t *hs_torture_scenario(const hs_scenario *s, const hs_torture_opts *o)
{
    hs_run_opts golden_opts = o->run;
    hs_torture_run *runs = NULL;
    size_t n = 0;
    char err[256];
    json_t *golden, *report;
    const char *st;

    golden_opts.nextra = 0;
    golden_opts.contract_only = 0;
    golden = hs_run_scenario(s, &golden_opts);
    st = json_string_value(json_object_get(golden, "status"));
    report = json_pack("{s:s,s:s,s:s,s:O,s:o,s:{},s:i,s:i,s:[],s:[]}", "id", s->id,
                       "file", s->file ? s->file : "", "golden", st ? st : "failed",
                       "golden_reasons", json_object_get(golden, "reasons"),
                       "reached", reached_of(golden), "skipped", "runs", 0, "failed", 0,
                       "failures", "unreached");
    if (!st || strcmp(st, "passed") != 0) {
        print_escaped("FAIL golden run of ", s->id);
        json_object_set_new(report, "failed", json_integer(1));
    } else if (hs_torture_plan(s, golden, o->only, &runs, &n,
                               json_object_get(report, "skipped"), err, sizeof(err)) != 0) {
        print_escaped("torture: ", err);
        json_object_set_new(report, "failed", json_integer(1));
    } else {
        judge_runs(s, o, runs, n, report);
    }
    free(runs);
    json_decref(golden);
    return report;
}

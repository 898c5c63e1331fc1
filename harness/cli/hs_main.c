/*
 * build/harness: the judge. Runs scenario files against a target and
 * writes results.json, junit.xml, results.tap and summary.md.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/hs_cli.h"
#include "util/hs_args.h"
#include "util/hs_argv.h"
#include "wire/hs_url.h"
#include "util/hs_escape.h"
#include "util/hs_fsutil.h"
#include "target/hs_proc.h"
#include "output/hs_report.h"
#include "load/hs_soak.h"
#include "load/hs_torture.h"
#include "output/hs_results.h"
#include "judge/hs_contract.h"
#include "judge/hs_known.h"
#include "judge/hs_suite.h"
#include "judge/hs_verdict.h"
#include "util/hs_clock.h"

#define EXIT_PASS 0
#define EXIT_FAIL 1
#define EXIT_USAGE 2

static const char usage[] =
"usage: build/harness [options] [scenario files or folders]   (default: scenarios/)\n"
"\n"
"Runs declarative scenarios against a WebSocket gateway and judges its\n"
"degradation contract. Exit 0: all passed; 1: something failed; 2: bad usage\n"
"or a bad scenario file.\n"
"\n"
"Target (default: build/gateway, one kept across the cases that can share it):\n"
"  --profile FILE        the target's dialect (default " HS_PROFILE_DEFAULT ")\n"
"  --gateway PATH        reference gateway binary (default build/gateway)\n"
"  --target-cmd 'CMD'    start this instead; {port_file} or {port} are\n"
"                        substituted; GATEWAY_JWT_SECRET is in its environment\n"
"  --url ws://H:P/PATH   judge a target that is already running\n"
"  --jwt-secret S        with --url: the secret its tokens are signed with\n"
"  --fiu-ctrl PREFIX     with --url: its libfiu control FIFO prefix (fault steps)\n"
"  --pid PID             with --url: its process id (fault steps)\n"
"  --preload LIB         put LIB before libfiu's preload for POSIX faults (the\n"
"                        ASan runtime, when the target is built with ASan)\n"
"  --fresh-target        start a new target for every case (by default one\n"
"                        serves consecutive cases with the same start: no\n"
"                        faults at start, no signal or fault steps)\n"
"Selection and running:\n"
"  -j, --jobs N          scenarios in parallel (default: number of cores)\n"
"  --shard K/N           run the K-th of N interleaved shards\n"
"  --filter GLOB         only case ids matching GLOB\n"
"  --tag T               only cases tagged T\n"
"  --repeat N            run each case N times; mixed outcomes are 'flaky'\n"
"  --seed N              seed for everything random (default 1)\n"
"  --step-timeout MS     default step ceiling for scenarios that set none\n"
"  --max-failures N      stop after N failed cases; the rest are skipped, \"not run\"\n"
"  -x                    the same as --max-failures 1\n"
"  --unresponsive-after N  after N cases in a row in which the target stayed\n"
"                        silent (no frame before a step's ceiling, or no start),\n"
"                        fail the rest unrun as \"target unresponsive\"\n"
"                        (default 5; 0: run every case whatever happens)\n"
"  --strict              conformance cases: a NON-STRICT behavior verdict or a\n"
"                        close verdict other than OK fails the case\n"
"  --known-issues FILE   expected failures (default fixtures/known-issues.json)\n"
"  --list                list the selected cases and exit\n"
"  -v, --verbose         print each step as it runs\n"
"Output:\n"
"  --out DIR             results folder (default: reports/runs/<run id>, with\n"
"                        reports/latest pointing at it)\n"
"  --history FILE        run history for the report (default reports/history.jsonl)\n"
"  --baseline FILE       compare with this results.json (default: the previous run)\n"
"\n"
"build/harness report RESULTS.json [--baseline B.json] [--history FILE] [--out FILE]\n"
"                        rebuild the HTML report of saved results\n"
"build/harness soak [options]\n"
"                        many concurrent clients under random faults, with a\n"
"                        history checker (soak --help)\n"
"build/harness --torture [options] SCENARIO...\n"
"                        fail every hit of every fault point the scenario\n"
"                        reaches, one run each (--torture --help)\n"
"  --help                this text\n";

typedef struct hs_cli {
    hs_suite_opts suite;
    const char *out;
    const char *known_path;
    const char *history;       /* --history, or NULL for reports/history.jsonl */
    const char *baseline;      /* --baseline results.json, or NULL: the previous run */
    const char *profile_path;  /* --profile, or NULL for the reference's */
    int list;
    int strict;                /* --strict */
    const char **paths;
    size_t npaths;
    int npaths_given;          /* scenario paths were named on the command line */
} hs_cli;

enum { O_GATEWAY = 256, O_TARGET_CMD, O_URL, O_SECRET, O_FIU, O_PID, O_SHARD,
       O_FILTER, O_TAG, O_REPEAT, O_SEED, O_KNOWN, O_LIST, O_OUT, O_HELP, O_STEP_TIMEOUT,
       O_PRELOAD, O_HISTORY, O_BASELINE, O_STRICT, O_MAX_FAILURES, O_UNRESPONSIVE,
       O_PROFILE, O_FRESH };

static const struct option longopts[] = {
    { "gateway", required_argument, NULL, O_GATEWAY },
    { "target-cmd", required_argument, NULL, O_TARGET_CMD },
    { "url", required_argument, NULL, O_URL },
    { "jwt-secret", required_argument, NULL, O_SECRET },
    { "fiu-ctrl", required_argument, NULL, O_FIU },
    { "pid", required_argument, NULL, O_PID },
    { "jobs", required_argument, NULL, 'j' },
    { "shard", required_argument, NULL, O_SHARD },
    { "filter", required_argument, NULL, O_FILTER },
    { "tag", required_argument, NULL, O_TAG },
    { "repeat", required_argument, NULL, O_REPEAT },
    { "seed", required_argument, NULL, O_SEED },
    { "step-timeout", required_argument, NULL, O_STEP_TIMEOUT },
    { "preload", required_argument, NULL, O_PRELOAD },
    { "history", required_argument, NULL, O_HISTORY },
    { "baseline", required_argument, NULL, O_BASELINE },
    { "known-issues", required_argument, NULL, O_KNOWN },
    { "list", no_argument, NULL, O_LIST },
    { "strict", no_argument, NULL, O_STRICT },
    { "max-failures", required_argument, NULL, O_MAX_FAILURES },
    { "profile", required_argument, NULL, O_PROFILE },
    { "unresponsive-after", required_argument, NULL, O_UNRESPONSIVE },
    { "fresh-target", no_argument, NULL, O_FRESH },
    { "verbose", no_argument, NULL, 'v' },
    { "out", required_argument, NULL, O_OUT },
    { "help", no_argument, NULL, O_HELP },
    { NULL, 0, NULL, 0 }
};

static int parse_shard(hs_cli *c, const char *v)
{
    int k, n, used = 0;

    if (sscanf(v, "%d/%d%n", &k, &n, &used) != 2 || v[used] || n < 1 || k < 1 || k > n) {
        fprintf(stderr, "harness: --shard expects K/N with 1 <= K <= N, got \"%s\"\n", v);
        return -1;
    }
    c->suite.shard_k = k;
    c->suite.shard_n = n;
    return 0;
}

static int apply(hs_cli *c, int opt, const char *arg)
{
    long n;

    switch (opt) {
    case O_GATEWAY: c->suite.run.gateway = arg; return 0;
    case O_TARGET_CMD: c->suite.run.target_cmd = arg; return 0;
    case O_URL: c->suite.run.url = arg; return 0;
    case O_SECRET: c->suite.run.jwt_secret = arg; return 0;
    case O_FIU: c->suite.run.fiu_ctrl = arg; return 0;
    case O_PID:
        if (hs_args_long("harness", "--pid", arg, 1, INT_MAX, &n)) return -1;
        c->suite.run.pid = (pid_t)n; return 0;
    case 'j':
        if (hs_args_long("harness", "--jobs", arg, 1, 256, &n)) return -1;
        c->suite.jobs = (int)n; return 0;
    case O_SHARD: return parse_shard(c, arg);
    case O_FILTER: c->suite.filter = arg; return 0;
    case O_TAG: c->suite.tag = arg; return 0;
    case O_REPEAT:
        if (hs_args_long("harness", "--repeat", arg, 1, 1000, &n)) return -1;
        c->suite.repeat = (int)n; return 0;
    case O_SEED:
        if (hs_args_long("harness", "--seed", arg, 0, LONG_MAX, &n)) return -1;
        c->suite.run.seed = (unsigned long)n; return 0;
    case O_STEP_TIMEOUT:
        if (hs_args_long("harness", "--step-timeout", arg, 1, 600000, &n)) return -1;
        c->suite.run.step_timeout_ms = (int)n; return 0;
    case O_MAX_FAILURES:
        if (hs_args_long("harness", "--max-failures", arg, 1, INT_MAX, &n)) return -1;
        c->suite.max_failures = (int)n; return 0;
    case 'x': c->suite.max_failures = 1; return 0;
    case O_UNRESPONSIVE:
        if (hs_args_long("harness", "--unresponsive-after", arg, 0, INT_MAX, &n)) return -1;
        c->suite.silent_limit = (int)n; return 0;
    case O_PRELOAD: c->suite.run.preload_first = arg; return 0;
    case O_FRESH: c->suite.fresh_target = 1; return 0;
    case O_PROFILE: c->profile_path = arg; return 0;
    case O_HISTORY: c->history = arg; return 0;
    case O_BASELINE: c->baseline = arg; return 0;
    case O_KNOWN: c->known_path = arg; return 0;
    case O_LIST: c->list = 1; return 0;
    case O_STRICT: c->strict = 1; return 0;
    case 'v': c->suite.run.verbose = 1; return 0;
    case O_OUT: c->out = arg; return 0;
    default: return -1;
    }
}

static int check_target(const hs_cli *c)
{
    const hs_run_opts *r = &c->suite.run;
    char host[256], path[1024], err[256];
    char **words = NULL;
    struct stat st;
    int port;

    if (r->url && r->target_cmd) {
        fprintf(stderr, "harness: --url and --target-cmd exclude each other\n");
        return -1;
    }
    if (r->url && hs_url_parse_ws(r->url, host, sizeof(host), &port, path, sizeof(path)) != 0) {
        fprintf(stderr, "harness: --url %s: expected ws://HOST:PORT/PATH, e.g. "
                "ws://127.0.0.1:8080/ws\n", r->url);
        return -1;
    }
    if (r->target_cmd)
        words = hs_argv_split("--target-cmd", r->target_cmd, err, sizeof(err));
    if (r->target_cmd && !words) {
        fprintf(stderr, "harness: %s\n", err);
        return -1;
    }
    hs_argv_free(words);
    if ((r->fiu_ctrl || r->pid) && !(r->fiu_ctrl && r->pid && r->url)) {
        fprintf(stderr, "harness: --fiu-ctrl and --pid go together, with --url\n");
        return -1;
    }
    if (!r->url && !r->target_cmd && stat(r->gateway, &st) != 0) {
        fprintf(stderr, "harness: gateway binary %s: %s (run make first, or pass "
                "--gateway PATH)\n", r->gateway, strerror(errno));
        return -1;
    }
    return 0;
}

static int parse_cli(int argc, char **argv, hs_cli *c)
{
    static const char *default_paths[] = { "scenarios" };
    int opt;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);

    c->suite.run.gateway = "build/gateway";
    c->suite.run.seed = 1;
    c->suite.run.argv0 = argv[0];
    c->suite.jobs = cores > 0 ? (int)cores : 2;
    c->suite.silent_limit = HS_SUITE_SILENT_LIMIT;
    c->known_path = "fixtures/known-issues.json";
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "j:vx", longopts, NULL)) != -1) {
        if (opt == O_HELP) {
            fputs(usage, stdout);
            exit(EXIT_PASS);
        }
        if (opt == '?' || opt == ':') {
            fprintf(stderr, "harness: unknown or incomplete option \"%s\" (see --help)\n",
                    argv[optind - 1]);
            return -1;
        }
        if (apply(c, opt, optarg) != 0)
            return -1;
    }
    c->paths = optind < argc ? (const char **)argv + optind : default_paths;
    c->npaths = optind < argc ? (size_t)(argc - optind) : 1;
    c->npaths_given = optind < argc && !(argc - optind == 1 && strcmp(argv[optind], "scenarios") == 0);
    c->suite.target_name = c->suite.run.url ? "url" : c->suite.run.target_cmd ? "cmd" : "reference";
    return check_target(c);
}

static void list_cases(const hs_suite *s)
{
    for (size_t i = 0; i < s->n; i++) {
        hs_buf b = HS_BUF_INIT;
        hs_escape_str(hs_escape_term, s->v[i]->id, &b);
        hs_buf_puts(&b, "  ");
        hs_escape_str(hs_escape_term, s->v[i]->file, &b);
        printf("%s\n", b.p ? b.p : "");
        hs_buf_free(&b);
    }
    printf("%zu cases\n", s->n);
}

static void run_id(char *buf, size_t len)
{
    time_t now = time(NULL);
    struct tm tm;
    size_t n;

    gmtime_r(&now, &tm);
    n = strftime(buf, len, "%Y%m%dT%H%M%SZ", &tm);
    snprintf(buf + n, len - n, "-%d", (int)getpid());
}

/* The results folder: --out, or a dated run folder under reports/runs. */
static int out_dir(const hs_cli *c, const char *id, char *dir, size_t len, char *err,
                   size_t errlen)
{
    if (c->out)
        snprintf(dir, len, "%s", c->out);
    else
        snprintf(dir, len, "reports/runs/%s", id);
    return hs_fs_mkdirs(dir, err, errlen);
}

/* Once a default run is complete, reports/latest points at it (atomically). */
static int point_latest(const hs_cli *c, const char *id, char *err, size_t errlen)
{
    char link_tmp[PATH_MAX], target[PATH_MAX];

    if (c->out)
        return 0;
    snprintf(target, sizeof(target), "runs/%s", id);
    snprintf(link_tmp, sizeof(link_tmp), "reports/.latest.%d", (int)getpid());
    unlink(link_tmp);
    if (symlink(target, link_tmp) != 0 || rename(link_tmp, "reports/latest") != 0) {
        snprintf(err, errlen, "cannot point reports/latest at reports/%.200s: %s (is "
                 "reports/latest a folder? remove it)", target, strerror(errno));
        unlink(link_tmp);
        return -1;
    }
    return 0;
}

static char *git_commit(void)
{
    char buf[64] = "";
    FILE *p = popen("git rev-parse HEAD 2>/dev/null", "r");

    if (p) {
        if (!fgets(buf, sizeof(buf), p))
            buf[0] = '\0';
        pclose(p);
    }
    buf[strcspn(buf, "\n")] = '\0';
    return strdup(buf[0] ? buf : "unknown");
}

/* What was run: a history compares a run only with runs of the same. */
static json_t *selection(const hs_cli *c, const char *shard)
{
    json_t *paths = json_array();

    for (size_t i = 0; i < c->npaths; i++)
        json_array_append_new(paths, json_string(c->paths[i]));
    return json_pack("{s:o,s:s?,s:s?,s:s}", "paths", paths, "filter", c->suite.filter,
                     "tag", c->suite.tag, "shard", shard);
}

static json_t *run_info(const hs_cli *c, const char *id, int argc, char **argv,
                        double ms)
{
    char started[40], shard[32], *commit = git_commit();
    time_t now = time(NULL) - (time_t)(ms / 1000);
    struct tm tm;
    hs_buf cmd = HS_BUF_INIT;
    json_t *j;

    gmtime_r(&now, &tm);
    strftime(started, sizeof(started), "%Y-%m-%dT%H:%M:%SZ", &tm);
    for (int i = 0; i < argc; i++)
        hs_buf_printf(&cmd, "%s%s", i ? " " : "", argv[i]);
    snprintf(shard, sizeof(shard), "%d/%d", c->suite.shard_k ? c->suite.shard_k : 1,
             c->suite.shard_n ? c->suite.shard_n : 1);
    j = json_pack("{s:s,s:s,s:f,s:s,s:s,s:s,s:I,s:i,s:s,s:b,s:{s:s,s:s,s:s},s:s}",
                  "id", id, "started_at", started, "duration_ms", ms, "git_commit", commit,
                  "target", c->suite.run.url ? c->suite.run.url
                          : c->suite.run.target_cmd ? c->suite.run.target_cmd
                          : c->suite.run.gateway,
                  "command", cmd.p ? cmd.p : "", "seed", (json_int_t)c->suite.run.seed,
                  "jobs", c->suite.jobs, "shard", shard, "strict", c->strict,
                  "versions", "libwebsockets", "4.1.6", "jansson", JANSSON_VERSION,
                  "libfiu", "1.1", "build_flags", "-O2 -g -DFIU_ENABLE=1");
    json_object_set_new(j, "target_kind", json_string(c->suite.target_name));
    json_object_set_new(j, "profile", json_pack("{s:s,s:s}", "name", c->suite.run.profile->name,
                                                "file", c->suite.run.profile->file));
    json_object_set_new(j, "selection", selection(c, shard));
    hs_buf_free(&cmd);
    free(commit);
    return j;
}

static const char *const catalogue[] = {
#define WSF_FAULT(name, seed, desc) name,
#include "faults.def"
#undef WSF_FAULT
    NULL
};

/* For every catalogued point: in how many scenarios it fired. */
static json_t *fault_coverage(const json_t *cases)
{
    json_t *cov = json_object(), *c, *f;
    const char *name;
    size_t i;

    for (size_t k = 0; catalogue[k]; k++)
        json_object_set_new(cov, catalogue[k], json_pack("{s:i}", "scenarios_fired", 0));
    json_array_foreach((json_t *)cases, i, c)
        json_object_foreach(json_object_get(c, "faults"), name, f) {
            json_t *e = json_object_get(cov, name);
            if (e && json_integer_value(json_object_get(f, "fired")) > 0)
                json_object_set_new(e, "scenarios_fired", json_integer(
                    json_integer_value(json_object_get(e, "scenarios_fired")) + 1));
        }
    return cov;
}

/*
 * A full run against the reference gateway must make every catalogued point
 * fire somewhere: a point no scenario fires is a fix nobody proves. The
 * verdict is a case of its own so it reaches JUnit and the totals.
 */
static void coverage_case(const hs_cli *c, json_t *cases, const json_t *cov)
{
    json_t *reasons = json_array(), *e;
    const char *name;

    if (c->suite.run.url || c->suite.run.target_cmd || c->suite.filter || c->suite.tag ||
        c->suite.shard_n > 1 || c->npaths_given)
        return;
    json_object_foreach((json_t *)cov, name, e)
        if (json_integer_value(json_object_get(e, "scenarios_fired")) == 0)
            hs_contract_breach(reasons, 7, -1, 0, "%s never fired in any scenario", name);
    json_array_append_new(cases, json_pack("{s:s,s:s,s:s,s:s,s:n,s:[s],s:s,s:f,s:[],s:o,s:{},s:s,s:{},s:s}",
        "id", "fault-coverage", "title", "Every catalogued fault point fires in some scenario",
        "file", "harness/common/faults.def", "suite", "coverage", "seed", "tags", "coverage",
        "status", json_array_size(reasons) ? "failed" : "passed", "duration_ms", 0.0,
        "durations_ms", "reasons", reasons, "transcript", "log_excerpt", "", "faults",
        "repro", "build/harness scenarios"));
    hs_suite_print_failure(json_array_get(cases, json_array_size(cases) - 1));
}

/*
 * --strict: a conformance case that passed with a NON-STRICT behavior or a
 * close verdict other than OK fails; its known issue is applied again, so an
 * expected deviation stays xfailed.
 */
static void apply_strict(const hs_cli *c, json_t *cases)
{
    json_t *k;
    size_t i;

    json_array_foreach(cases, i, k) {
        const char *st = json_string_value(json_object_get(k, "status"));
        const json_t *v = json_object_get(k, "verdict");

        if (!hs_verdict_strict_fails(k) || !st ||
            (strcmp(st, "passed") != 0 && strcmp(st, "xpassed") != 0))
            continue;
        json_array_append_new(json_object_get(k, "reasons"), json_pack(
            "{s:i,s:n,s:n,s:s+++}", "clause", 0, "step", "line", "message",
            "--strict: behavior ", json_string_value(json_object_get(v, "behavior")),
            ", close ", json_string_value(json_object_get(v, "close"))));
        json_object_del(k, "known_issue");
        json_object_set_new(k, "status", json_string("failed"));
        hs_known_apply(k, c->suite.known, c->suite.target_name, c->suite.run.profile->name);
        hs_suite_print_failure(k);
    }
}

static int count(const json_t *totals, const char *k)
{
    return (int)json_integer_value(json_object_get(totals, k));
}

/*
 * The last line is the contract: "N passed, N failed[, N skipped]"; the
 * conformance verdict counts come just before it.
 */
static int print_totals(const json_t *totals, const json_t *verdicts, const char *dir)
{
    char line[600];

    int passed = count(totals, "passed") + count(totals, "xfailed");
    int failed = count(totals, "failed") + count(totals, "xpassed") + count(totals, "flaky");
    int skipped = count(totals, "skipped");

    printf("results: %s/index.html (results.json, junit.xml, results.tap, summary.md)\n", dir);
    printf("totals: %d passed, %d failed, %d skipped, %d xfailed, %d xpassed, %d flaky\n",
           count(totals, "passed"), count(totals, "failed"), skipped, count(totals, "xfailed"),
           count(totals, "xpassed"), count(totals, "flaky"));
    hs_verdict_counts_line(verdicts, line, sizeof(line));
    if (line[0])
        printf("%s\n", line);
    if (skipped)
        printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
    else
        printf("%d passed, %d failed\n", passed, failed);
    return failed ? EXIT_FAIL : EXIT_PASS;
}

static int write_outputs(const hs_cli *c, json_t *cases, int argc, char **argv,
                         double ms, const char *id, const char *dir)
{
    char err[512];
    json_t *doc, *totals, *verdicts, *cov = fault_coverage(cases);
    int rc;

    coverage_case(c, cases, cov);
    if (c->strict)
        apply_strict(c, cases);
    totals = hs_suite_totals(cases);
    verdicts = hs_verdict_counts(cases);
    doc = json_pack("{s:s,s:o,s:O,s:O,s:o,s:O}", "format", HS_RESULTS_FORMAT,
                    "run", run_info(c, id, argc, argv, ms), "totals", totals,
                    "cases", cases, "fault_coverage", cov, "verdicts", verdicts);
    if (hs_results_write_all(doc, dir, err, sizeof(err)) != 0) {
        fprintf(stderr, "harness: writing results in %s: %s\n", dir, err);
        json_decref(doc);
        json_decref(totals);
        json_decref(verdicts);
        return EXIT_FAIL;
    }
    if (hs_report_after_run(doc, dir, c->history, c->baseline, err, sizeof(err)) != 0)
        fprintf(stderr, "harness: report: %s\n", err);
    if (point_latest(c, id, err, sizeof(err)) != 0)
        fprintf(stderr, "harness: %s\n", err);
    rc = print_totals(totals, verdicts, dir);
    json_decref(doc);
    json_decref(totals);
    json_decref(verdicts);
    return rc;
}

static int make_workdir(hs_cli *c, char *buf, size_t len)
{
    const char *tmp = getenv("TMPDIR");

    snprintf(buf, len, "%s/wsfault-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(buf)) {
        fprintf(stderr, "harness: cannot create a scratch folder in %s: %s\n",
                tmp && *tmp ? tmp : "/tmp", strerror(errno));
        return -1;
    }
    c->suite.run.workdir = buf;
    return 0;
}

/* A loaded, selected suite: run it and write every output. */
static int run(hs_cli *c, hs_suite *s, int argc, char **argv)
{
    char err[1024], work[PATH_MAX], id[64], dir[PATH_MAX], logs[PATH_MAX + 8];
    json_t *cases, *known = hs_known_load(c->known_path, err, sizeof(err));
    double t0;
    int rc;

    if (!known) {
        fprintf(stderr, "harness: %s\n", err);
        return EXIT_USAGE;
    }
    c->suite.known = known;
    if (make_workdir(c, work, sizeof(work)) != 0) {
        json_decref(known);
        return EXIT_USAGE;
    }
    hs_proc_install_handlers();
    c->suite.progress = isatty(STDERR_FILENO);
    run_id(id, sizeof(id));
    if (out_dir(c, id, dir, sizeof(dir), err, sizeof(err)) != 0 ||
        snprintf(logs, sizeof(logs), "%s/logs", dir) < 0 ||
        hs_fs_mkdirs(logs, err, sizeof(err)) != 0) {
        fprintf(stderr, "harness: %s\n", err);
        hs_fs_remove_tree(work);
        json_decref(known);
        return EXIT_USAGE;
    }
    c->suite.run.logdir = logs;
    hs_clock_reset();
    t0 = hs_now_ms();
    cases = hs_suite_run(s, &c->suite);
    rc = write_outputs(c, cases, argc, argv, hs_now_ms() - t0, id, dir);
    hs_fs_remove_tree(work);
    json_decref(cases);
    json_decref(known);
    return rc;
}

int main(int argc, char **argv)
{
    hs_cli c;
    hs_suite s;
    hs_profile *profile = NULL;
    char err[1024];
    int rc = EXIT_USAGE;

    memset(&c, 0, sizeof(c));
    if (argc > 1 && strcmp(argv[1], "report") == 0)
        return hs_cli_report(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "soak") == 0)
        return hs_cli_soak(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "--torture") == 0)
        return hs_cli_torture(argc - 1, argv + 1);
    if (parse_cli(argc, argv, &c) != 0 ||
        !(profile = hs_cli_profile("harness", c.profile_path)))
        return EXIT_USAGE;
    c.suite.run.profile = profile;
    if (hs_suite_load(c.paths, c.npaths, &s, err, sizeof(err)) == HS_SUITE_OK) {
        hs_suite_select(&s, &c.suite);
        if (c.list)
            list_cases(&s);
        rc = c.list ? EXIT_PASS : run(&c, &s, argc, argv);
        hs_suite_free(&s);
    } else {
        fprintf(stderr, "harness: %s\n", err);
    }
    hs_profile_free(profile);
    return rc;
}

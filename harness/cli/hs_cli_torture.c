/*
 * hs_cli_torture: `build/harness --torture`. See hs_cli.h; the engine is
 * load/hs_torture.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/hs_cli.h"
#include "judge/hs_suite.h"
#include "load/hs_torture.h"
#include "target/hs_proc.h"
#include "util/hs_args.h"
#include "util/hs_clock.h"
#include "util/hs_escape.h"
#include "util/hs_fsutil.h"

#define DEFAULT_STEP_MS 2000    /* a contract-only run waits out failed expects */
#define DEFAULT_OUT "reports/torture.json"

static const char torture_usage[] =
"usage: build/harness --torture [options] SCENARIO...\n"
"\n"
"For every fault point a scenario's golden path reaches, fail its k-th hit\n"
"for every k, one fresh gateway each; every run must keep the degradation\n"
"contract. Exit 0: all kept it; 1: some did not, or a golden run failed;\n"
"2: bad usage or a bad scenario file.\n"
"\n"
"  --gateway PATH      gateway binary (default build/gateway)\n"
"  --preload LIB       before libfiu's preload (the ASan runtime)\n"
"  -j, --jobs N        runs in parallel (default: number of cores)\n"
"  --step-timeout MS   step ceiling (default 2000: a contract-only run waits\n"
"                      out every expectation the fault made wrong)\n"
"  --seed N            seed (default 1)\n"
"  --only SPEC         NAME or NAME:nth=K: just those runs (a repro)\n"
"  --out PATH          the report (default " DEFAULT_OUT ")\n"
"  -v, --verbose       a line per run\n";

enum { T_GATEWAY = 256, T_PRELOAD, T_STEP, T_SEED, T_ONLY, T_OUT, T_HELP };

static const struct option torture_longopts[] = {
    { "gateway", required_argument, NULL, T_GATEWAY },
    { "preload", required_argument, NULL, T_PRELOAD },
    { "jobs", required_argument, NULL, 'j' },
    { "step-timeout", required_argument, NULL, T_STEP },
    { "seed", required_argument, NULL, T_SEED },
    { "only", required_argument, NULL, T_ONLY },
    { "out", required_argument, NULL, T_OUT },
    { "verbose", no_argument, NULL, 'v' },
    { "help", no_argument, NULL, T_HELP },
    { NULL, 0, NULL, 0 }
};

typedef struct torture_cli {
    hs_torture_opts o;
    const char *out;
} torture_cli;

static int torture_apply(torture_cli *c, int opt, const char *arg)
{
    long n = 0;

    switch (opt) {
    case T_GATEWAY: c->o.run.gateway = arg; return 0;
    case T_PRELOAD: c->o.run.preload_first = arg; return 0;
    case 'j':
        if (hs_args_long("harness --torture", "--jobs", arg, 1, 256, &n)) return -1;
        c->o.jobs = (int)n; return 0;
    case T_STEP:
        if (hs_args_long("harness --torture", "--step-timeout", arg, 1, 600000, &n)) return -1;
        c->o.run.step_timeout_ms = (int)n; return 0;
    case T_SEED:
        if (hs_args_long("harness --torture", "--seed", arg, 0, LONG_MAX, &n)) return -1;
        c->o.run.seed = (unsigned long)n; return 0;
    case T_ONLY: c->o.only = arg; return 0;
    case T_OUT: c->out = arg; return 0;
    case 'v': c->o.verbose = 1; return 0;
    default: return -1;
    }
}

static int torture_parse(int argc, char **argv, torture_cli *c)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int opt;

    c->o.run.gateway = "build/gateway";
    c->o.run.seed = 1;
    c->o.run.argv0 = "build/harness";
    c->o.run.step_timeout_ms = DEFAULT_STEP_MS;
    c->o.jobs = cores > 0 ? (int)cores : 2;
    c->out = DEFAULT_OUT;
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "j:v", torture_longopts, NULL)) != -1) {
        if (opt == T_HELP) {
            fputs(torture_usage, stdout);
            exit(0);
        }
        if (opt == '?' || opt == ':' || torture_apply(c, opt, optarg) != 0) {
            if (opt == '?' || opt == ':')
                fprintf(stderr, "harness --torture: unknown or incomplete option \"%s\" "
                        "(see build/harness --torture --help)\n", argv[optind - 1]);
            return -1;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "harness --torture: name at least one scenario file or folder\n");
        return -1;
    }
    return 0;
}

/* Walk every scenario; the report and the last line count the runs. */
static int walk_suite(const hs_suite *suite, torture_cli *c)
{
    json_t *scenarios = json_array(), *doc;
    json_int_t runs = 0, failed = 0, unreached = 0;
    double t0 = hs_now_ms();

    for (size_t i = 0; i < suite->n; i++) {
        json_t *r = hs_torture_scenario(suite->v[i], &c->o);

        runs += json_integer_value(json_object_get(r, "runs"));
        failed += json_integer_value(json_object_get(r, "failed"));
        unreached += (json_int_t)json_array_size(json_object_get(r, "unreached"));
        printf("torture %s: %lld runs, %lld failed, %zu did not reach their hit\n",
               suite->v[i]->id, (long long)json_integer_value(json_object_get(r, "runs")),
               (long long)json_integer_value(json_object_get(r, "failed")),
               json_array_size(json_object_get(r, "unreached")));
        json_array_append_new(scenarios, r);
    }
    doc = json_pack("{s:s,s:o,s:I,s:I,s:I,s:f}", "format", "wsfault-torture/1",
                    "scenarios", scenarios, "runs", runs, "failed", failed,
                    "unreached", unreached, "duration_ms", hs_now_ms() - t0);
    if (hs_fs_save_json("harness --torture", c->out, doc) == 0)
        printf("report: %s\n", c->out);
    printf("torture: %lld runs, %lld failed, %lld did not reach their hit\n",
           (long long)runs, (long long)failed, (long long)unreached);
    json_decref(doc);
    return failed ? 1 : 0;
}

int hs_cli_torture(int argc, char **argv)
{
    torture_cli c;
    hs_suite suite;
    char err[1024], work[PATH_MAX];
    const char *tmp = getenv("TMPDIR");
    int rc;

    memset(&c, 0, sizeof(c));
    if (torture_parse(argc, argv, &c) != 0)
        return 2;
    if (hs_suite_load((const char *const *)argv + optind, (size_t)(argc - optind), &suite,
                      err, sizeof(err)) != HS_SUITE_OK) {
        fprintf(stderr, "harness --torture: %s\n", err);
        return 2;
    }
    snprintf(work, sizeof(work), "%s/wsfault-torture-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(work)) {
        fprintf(stderr, "harness --torture: cannot create a scratch folder: %s\n",
                strerror(errno));
        hs_suite_free(&suite);
        return 2;
    }
    c.o.run.workdir = work;
    c.o.run.profile = hs_cli_profile("harness --torture", NULL);
    hs_proc_install_handlers();
    rc = c.o.run.profile ? walk_suite(&suite, &c) : 2;
    hs_profile_free((hs_profile *)c.o.run.profile);
    hs_fs_remove_tree(work);
    hs_suite_free(&suite);
    return rc;
}

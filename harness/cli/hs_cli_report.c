/*
 * hs_cli_report: `build/harness report`, a page rebuilt from saved results.
 * See hs_cli.h.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/hs_cli.h"
#include "output/hs_fuzzstats.h"
#include "output/hs_history.h"
#include "output/hs_report.h"
#include "output/hs_results.h"
#include "util/hs_escape.h"
#include "util/hs_fsutil.h"

#define EXIT_OK 0
#define EXIT_WRITE 1
#define EXIT_USAGE 2

static const char report_usage[] =
"usage: build/harness report RESULTS.json [--baseline B.json] [--history FILE]\n"
"                            [--out FILE] [--fuzz-out DIR] [--fuzz-regressions DIR]\n"
"\n"
"Rebuilds the HTML report of a saved run. The baseline is the run before\n"
"RESULTS.json in the history unless --baseline pins another results.json.\n"
"  --history FILE          runs to compare with (default " HS_HISTORY_DEFAULT "),\n"
"                          read only\n"
"  --out FILE              the page (default: index.html beside RESULTS.json)\n"
"  --fuzz-out DIR          AFL++ output folders (default " HS_FUZZ_OUT_DEFAULT ")\n"
"  --fuzz-regressions DIR  crash buckets (default " HS_FUZZ_REGRESSIONS_DEFAULT ")\n"
"Exit 0: written; 1: the page could not be written; 2: bad usage or input.\n";

typedef struct report_args {
    const char *results;
    const char *baseline;
    const char *history;
    const char *out;
    const char *fuzz_out;
    const char *fuzz_regressions;
} report_args;

/* "--name VALUE" or "--name=VALUE"; 1 when arg is that option. */
static int option(int argc, char **argv, int *i, const char *name, const char **dst)
{
    size_t n = strlen(name);
    const char *arg = argv[*i];

    if (strncmp(arg, name, n) != 0 || (arg[n] != '\0' && arg[n] != '='))
        return 0;
    if (arg[n] == '=') {
        *dst = arg + n + 1;
        return 1;
    }
    if (*i + 1 >= argc) {
        *dst = NULL;
        return -1;
    }
    *dst = argv[++*i];
    return 1;
}

static int parse_option(int argc, char **argv, int *i, report_args *a)
{
    static const struct { const char *name; size_t off; } opts[] = {
        { "--baseline", offsetof(report_args, baseline) },
        { "--history", offsetof(report_args, history) },
        { "--out", offsetof(report_args, out) },
        { "--fuzz-out", offsetof(report_args, fuzz_out) },
        { "--fuzz-regressions", offsetof(report_args, fuzz_regressions) },
    };
    size_t k;
    int r;

    for (k = 0; k < sizeof(opts) / sizeof(opts[0]); k++) {
        r = option(argc, argv, i, opts[k].name,
                   (const char **)((char *)a + opts[k].off));
        if (r != 0)
            return r;
    }
    return 0;
}

/* 0 parsed, 1 help printed, -1 bad usage (message printed). */
static int parse_args(int argc, char **argv, report_args *a)
{
    int i, r;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(report_usage, stdout);
            return 1;
        }
        r = parse_option(argc, argv, &i, a);
        if (r < 0) {
            fprintf(stderr, "harness report: %s needs a value (see --help)\n", argv[i]);
            return -1;
        }
        if (r > 0)
            continue;
        if (argv[i][0] == '-' || a->results != NULL) {
            fprintf(stderr, "harness report: unexpected argument \"%s\" (see --help)\n",
                    argv[i]);
            return -1;
        }
        a->results = argv[i];
    }
    if (a->results == NULL) {
        fputs(report_usage, stderr);
        return -1;
    }
    return 0;
}

/* index.html in the folder of the results file. */
static char *default_out(const char *results)
{
    const char *slash = strrchr(results, '/');
    char *out = NULL;

    if (asprintf(&out, "%.*sindex.html", slash ? (int)(slash - results + 1) : 0,
                 results) < 0)
        return NULL;
    return out;
}

/* A path or id for the terminal: through hs_escape_term like all our output. */
static void print_term(FILE *f, const char *label, const char *s)
{
    hs_buf b = HS_BUF_INIT;

    hs_escape_str(hs_escape_term, s, &b);
    fprintf(f, "%s%s\n", label, b.p != NULL ? b.p : "");
    hs_buf_free(&b);
}

int hs_cli_report(int argc, char **argv)
{
    static const hs_diff_opts dflt = HS_DIFF_OPTS_DEFAULT;
    report_args a = { NULL, NULL, NULL, NULL, NULL, NULL };
    hs_report_in in = { .diff = dflt };
    hs_report_sources src;
    json_t *doc = NULL;
    char err[1024], *out = NULL;
    int rc = parse_args(argc, argv, &a);

    if (rc != 0)
        return rc > 0 ? EXIT_OK : EXIT_USAGE;
    rc = EXIT_USAGE;
    if (hs_history_load_doc(a.results, &doc, err, sizeof(err)) != 0)
        goto out;
    in.doc = doc;
    src = (hs_report_sources){ a.history, a.baseline, a.fuzz_out, a.fuzz_regressions };
    if (hs_report_gather(&in, &src, err, sizeof(err)) != 0)
        goto out;
    out = a.out != NULL ? strdup(a.out) : default_out(a.results);
    rc = EXIT_WRITE;
    if (out == NULL || hs_report_write(&in, out, err, sizeof(err)) != 0)
        goto out;
    print_term(stdout, "report: ", out);
    rc = EXIT_OK;
out:
    if (rc != EXIT_OK)
        print_term(stderr, "harness report: ", out == NULL && rc == EXIT_WRITE
                                                   ? "out of memory" : err);
    json_decref(doc);
    hs_report_release(&in);
    free(out);
    return rc;
}

/*
 * hs_report: index.html, the page engineers read the morning after a run.
 *
 * One self-contained file: no request leaves the page (no fonts, images,
 * scripts or styles from anywhere), it reads the same from disk as from a
 * CI artifact, and everything is in plain tables and <details>, so it is
 * complete with JavaScript off. One small inline script adds a case filter
 * and expand/collapse buttons; a Content-Security-Policy meta tag allows
 * exactly that script and the inline style sheet by their SHA-256 hashes
 * and nothing else, so even markup that slipped through could not run.
 *
 * The page, top to bottom: a headline and the totals; what changed since
 * the baseline (new failures with the clause they broke, still failing
 * since which run, fixed, newly skipped, flaky, slower, conformance verdict
 * changes, new and removed cases); the run's facts (commit, target, build
 * flags, versions, baseline); the seed failures x fault points matrix; the
 * conformance grid; fuzzing, when there is fuzz output; then every case,
 * failing ones open first, each with expected versus observed, transcript,
 * faults fired, log excerpt, repro command and a strip of its last runs.
 *
 * Every string from the results document may hold a peer's bytes: each
 * one goes through hs_escape_html, the only escaping function used here.
 *
 * Functions return 0, or -1 with a message in err.
 */
#ifndef HS_REPORT_H
#define HS_REPORT_H

#include <stddef.h>
#include <jansson.h>

#include "util/hs_buf.h"
#include "output/hs_history.h"

/* Rows of one connection's transcript shown per case; the rest is counted. */
#define HS_REPORT_TRANSCRIPT_ROWS 200

/* Rows shown per list of the regression diff; the rest is counted. */
#define HS_REPORT_DIFF_ROWS 500

/*
 * Runs with more cases than this show the transcript and log of failing,
 * flaky, skipped and known-issue cases only; plain passes keep their facts.
 */
#define HS_REPORT_FULL_CASES 500

/* Where make bench leaves its figures; the page shows them when present. */
#define HS_BENCH_DEFAULT "reports/bench.json"

/* What one page is made of: doc and diff (HS_DIFF_OPTS_DEFAULT) at least. */
typedef struct hs_report_in {
    const json_t *doc;          /* this run's results document */
    const json_t *baseline;     /* an hs_history entry, or NULL for none */
    const char *baseline_file;  /* the pinned baseline's path, NULL: previous run */
    const json_t *history;      /* entries of this run's target and selection,
                                   oldest first, or NULL */
    const json_t *history_all;  /* every entry of the history file, or NULL */
    char baseline_why[256];     /* which baseline, and why that one (or none) */
    const char *history_file;   /* where history came from, for the page */
    size_t history_skipped;     /* unreadable history lines, for the page */
    const json_t *fuzz;         /* an hs_fuzzstats summary, or NULL */
    const json_t *bench;        /* reports/bench.json (make bench), or NULL */
    hs_diff_opts diff;          /* regression thresholds */
} hs_report_in;

/* Where a page's inputs other than the document come from. */
typedef struct hs_report_sources {
    const char *history;          /* NULL: HS_HISTORY_DEFAULT */
    const char *baseline;         /* a pinned results.json; NULL: from the history */
    const char *fuzz_out;         /* NULL: HS_FUZZ_OUT_DEFAULT */
    const char *fuzz_regressions; /* NULL: HS_FUZZ_REGRESSIONS_DEFAULT */
} hs_report_sources;

/*
 * Fill in everything but in->doc (set before) and in->diff: the history,
 * the baseline chosen for in->doc, the fuzz summary and the benchmark
 * figures. Free them with hs_report_release, also after a failure.
 */
int hs_report_gather(hs_report_in *in, const hs_report_sources *src, char *err,
                     size_t errlen);

/* Free what hs_report_gather loaded. */
void hs_report_release(hs_report_in *in);

/* Append the page to out. The document is checked first (hs_results_check). */
int hs_report_render(const hs_report_in *in, hs_buf *out, char *err,
                     size_t errlen);

/* Render and replace path atomically. */
int hs_report_write(const hs_report_in *in, const char *path, char *err,
                    size_t errlen);

/*
 * At the end of every run, once results.json is in dir: add the run to the
 * history (history_path, NULL for HS_HISTORY_DEFAULT), compare it with its
 * baseline (baseline_path, NULL for the previous run in the history) and
 * write dir/index.html. Fuzz output is looked for in HS_FUZZ_OUT_DEFAULT
 * and HS_FUZZ_REGRESSIONS_DEFAULT. The page is written even when the
 * history cannot be saved; the first failure is reported.
 */
int hs_report_after_run(const json_t *doc, const char *dir,
                        const char *history_path, const char *baseline_path,
                        char *err, size_t errlen);

#endif

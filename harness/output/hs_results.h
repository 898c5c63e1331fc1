/*
 * hs_results: the CI result files, all written from one results document.
 *
 * The document is the jansson object the runner builds (its shape,
 * "format": "wsfault-results/1", is described in the README under
 * "Results files"); results.json is that document itself. Every string in
 * it may carry a peer's bytes, so every writer passes each one through
 * hs_escape for its own format: no peer text can break a file's syntax,
 * forge a line, inject markup or links, or reach a terminal raw.
 *
 * Statuses and what each format makes of them:
 *   passed   JUnit pass         TAP ok
 *   failed   <failure>          not ok, YAML diagnostics
 *   skipped  <skipped>          ok # SKIP reason
 *   xfailed  <skipped> known    not ok # TODO known issue
 *   xpassed  <failure>          not ok (a known issue no longer shows)
 *   flaky    pass, <system-out> ok, YAML diagnostics
 *
 * Each render function appends to out; each write function renders and
 * replaces its file atomically (hs_fs_write_atomic), so a failure never
 * leaves a half-written file. All return 0, or -1 with a message in err:
 * a document that is not a "wsfault-results/1" object with a "cases"
 * array of objects, each with a string "id" and a known "status", is
 * refused rather than half-reported.
 */
#ifndef HS_RESULTS_H
#define HS_RESULTS_H

#include <stddef.h>
#include <jansson.h>

#include "util/hs_buf.h"

#define HS_RESULTS_FORMAT "wsfault-results/1"

/* summary.md is always smaller than this, truncated with a note if need be. */
#define HS_RESULTS_SUMMARY_MAX (64 * 1024)

/* Check the parts of the document every writer relies on. */
int hs_results_check(const json_t *doc, char *err, size_t errlen);

/* results.json: the document, indented, non-ASCII written as \u escapes. */
int hs_results_render_json(const json_t *doc, hs_buf *out, char *err,
                           size_t errlen);

/*
 * junit.xml: one <testsuites> root, one <testsuite> per "suite" (in order
 * of first appearance), classname "wsfault.<suite>". A failure's body
 * holds every reason, the repro command and the transcript's last entries;
 * the gateway's log excerpt goes to <system-err>.
 */
int hs_results_render_junit(const json_t *doc, hs_buf *out, char *err,
                            size_t errlen);

/* results.tap: TAP version 14, one test point per case, in document order. */
int hs_results_render_tap(const json_t *doc, hs_buf *out, char *err,
                          size_t errlen);

/*
 * summary.md, for CI step summaries: the totals, a table of failures
 * (failed and xpassed, the cases that fail the run) first, then a table
 * of the other cases that did not simply pass (flaky, xfailed, skipped).
 */
int hs_results_render_summary_md(const json_t *doc, hs_buf *out, char *err,
                                 size_t errlen);

int hs_results_write_json(const json_t *doc, const char *path, char *err,
                          size_t errlen);
int hs_results_write_junit(const json_t *doc, const char *path, char *err,
                           size_t errlen);
int hs_results_write_tap(const json_t *doc, const char *path, char *err,
                         size_t errlen);
int hs_results_write_summary_md(const json_t *doc, const char *path,
                                char *err, size_t errlen);

/*
 * Create dir if needed and write results.json, junit.xml, results.tap and
 * summary.md into it. Stops at the first failure.
 */
int hs_results_write_all(const json_t *doc, const char *dir, char *err,
                         size_t errlen);

#endif

/*
 * hs_history: runs over time. The history file, the choice of a baseline,
 * and what changed between a run and its baseline.
 *
 * The history file (reports/history.jsonl by default) holds one compact
 * JSON object per line, one line per run, oldest first, at most
 * HS_HISTORY_KEEP lines per target and selection:
 *
 *   {"format": "wsfault-history/1", "run": ID, "date": STARTED_AT,
 *    "commit": C, "target": T, "target_kind": K, "selection": SEL,
 *    "command": CMD,
 *    "cases": {CASE_ID: {"status": S, "duration_ms": MEDIAN,
 *                        "verdict": {"behavior": B, "close": V}}}}
 *
 * T and K say which target ran ("reference" and the gateway binary, "cmd"
 * and the command, "url" and the URL); SEL is the run's "selection"
 * object (scenario paths, filter, tag, shard). A history holds the runs of
 * several targets side by side; a run is compared only with runs of the
 * same target and selection (hs_history_of_target).
 *
 * "verdict" is present for conformance cases only; "fuzz" (per fuzz target,
 * see hs_fuzzstats.h) when fuzz output existed at the time. Such an object
 * is called an entry below; a baseline results document is turned into one
 * too, so every comparison works on entries alone.
 *
 * A line that does not parse as an entry is skipped when the file is
 * loaded (a crash of an older version must not block every later run);
 * the count of skipped lines is reported to the caller.
 *
 * Functions that can fail return 0, or -1 with a message in err.
 */
#ifndef HS_HISTORY_H
#define HS_HISTORY_H

#include <stddef.h>
#include <jansson.h>

#define HS_HISTORY_FORMAT "wsfault-history/1"
#define HS_HISTORY_DEFAULT "reports/history.jsonl"
#define HS_HISTORY_KEEP 20      /* runs kept per target and selection */
#define HS_HISTORY_TARGETS 10   /* ... and HS_HISTORY_KEEP times this in all */

/* A case's status, as results.json spells it. */
typedef enum hs_status {
    HS_STATUS_PASSED,
    HS_STATUS_FAILED,
    HS_STATUS_SKIPPED,
    HS_STATUS_XFAILED,
    HS_STATUS_XPASSED,
    HS_STATUS_FLAKY,
    HS_STATUS_COUNT
} hs_status;

/* The status named s, or -1 for NULL or an unknown name. */
int hs_history_status(const char *s);

/* The name of a status; "unknown" out of range. */
const char *hs_history_status_name(int st);

/* 1 for the statuses that fail a run: failed and xpassed. */
int hs_history_failing(int st);

/*
 * The median of a case's "durations_ms" (one per repeat), or its
 * "duration_ms" when there is no such array; 0 when neither is there.
 */
double hs_history_median(const json_t *c);

/*
 * Read and check (hs_results_check) the results document at path: a run
 * to report on, or a pinned baseline. *doc is a new reference, NULL on
 * failure; the message names the path and, for bad JSON, the line.
 */
int hs_history_load_doc(const char *path, json_t **doc, char *err,
                        size_t errlen);

/*
 * The entry for a results document (already checked with
 * hs_results_check). New reference; NULL when memory runs out.
 */
json_t *hs_history_entry(const json_t *doc);

/*
 * 1 when entries a and b are runs of the same target (kind and identity)
 * over the same selection; entries written before runs carried these
 * fields match only each other.
 */
int hs_history_same_target(const json_t *a, const json_t *b);

/*
 * The runs of runs (oldest first) that hs_history_same_target matches with
 * now, now itself included when it is there. New reference; NULL when
 * memory runs out.
 */
json_t *hs_history_of_target(const json_t *runs, const json_t *now);

/*
 * Load a history file into *runs, an array of entries oldest first. A
 * missing file is an empty history. *skipped (may be NULL) receives the
 * number of lines that were not entries.
 */
int hs_history_load(const char *path, json_t **runs, size_t *skipped,
                    char *err, size_t errlen);

/*
 * Add entry to runs (stealing the reference): an entry with the same run id
 * is replaced where it stands, otherwise it is appended; then the oldest
 * runs of its target and selection are dropped until at most keep remain,
 * and the oldest of all until at most keep * HS_HISTORY_TARGETS remain.
 */
int hs_history_add(json_t *runs, json_t *entry, size_t keep);

/* Write runs to path, one compact line per entry, atomically. */
int hs_history_save(const json_t *runs, const char *path, char *err,
                    size_t errlen);

/*
 * The entry run_id is compared with when no baseline is pinned: the one
 * just before run_id in runs, or the newest when run_id is not in runs
 * (runs of one target: see hs_history_of_target).
 * Borrowed reference; NULL for none.
 */
const json_t *hs_history_previous(const json_t *runs, const char *run_id);

/*
 * The baseline of the run run_id: the results document at path turned into
 * an entry when path is not NULL (an unreadable or malformed file is an
 * error), else hs_history_previous. *out is a new reference, or NULL when
 * there is no baseline yet.
 */
int hs_history_baseline(const char *path, const json_t *runs,
                        const char *run_id, json_t **out, char *err,
                        size_t errlen);

/* Thresholds of hs_history_diff. */
typedef struct hs_diff_opts {
    double slower_rel;      /* a median this much larger (0.5: +50 %) ... */
    double slower_abs_ms;   /* ... and at least this many ms larger */
    int flips;              /* outcome changes across history that make a case flaky */
} hs_diff_opts;

#define HS_DIFF_OPTS_DEFAULT { 0.5, 100.0, 3 }

/*
 * What changed from base to now (both entries; base may be NULL: then
 * every failing case is new). runs is the history, oldest first; now may
 * be in it or not. The result is an object of arrays, each in the order of
 * now's cases (removed ones in base's order):
 *   "new_failures"   {"id", "was", "now"}: failing now, not in base ("was"
 *                    null when the case is new to base)
 *   "still_failing"  {"id", "since", "since_commit", "since_date", "runs",
 *                    "at_least"}: the oldest run of the unbroken failing
 *                    streak; "at_least" when the streak reaches back past
 *                    the kept history
 *   "fixed"          {"id", "was", "now"}: failing in base, passed now
 *                    (flaky or skipped now is no fix: see those lists)
 *   "newly_skipped"  {"id", "was"}
 *   "flaky"          {"id", "why": "repeats" | "history", "flips"}
 *   "slower"         {"id", "was_ms", "now_ms"}: median over repeats
 *   "verdicts"       {"id", "was", "now"}: conformance verdict objects
 *   "added", "removed"   case ids
 * New reference; NULL when memory runs out.
 */
json_t *hs_history_diff(const json_t *now, const json_t *base,
                        const json_t *runs, const hs_diff_opts *opts);

#endif

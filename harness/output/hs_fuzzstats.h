/*
 * hs_fuzzstats: what fuzzing campaigns left on disk, summed up per target
 * for the report.
 *
 * AFL++ writes out_dir/<target>/<instance>/fuzzer_stats, "key : value"
 * lines, one file per instance (-M and each -S). Triage writes
 * regress_dir/<target>/<bucket>.txt, a text file per crash bucket whose
 * first line is the bucket's signature. Both are read, never trusted:
 * names and signatures are kept as found (the report escapes them), and
 * numbers that do not parse count as absent.
 *
 * Instances of one target are combined: executions, speed, crashes and
 * hangs add up; the corpus is the largest instance's (after a sync every
 * queue holds much of the others'); stability is the lowest; the campaign
 * started at the earliest start_time. Older AFL++ names (paths_total,
 * unique_crashes, unique_hangs) are read as their new ones.
 *
 * The summary is an object, target name -> {"instances", "execs_done",
 * "execs_per_sec", "corpus_count", "saved_crashes", "saved_hangs",
 * "start_time", "last_update", "run_time", "stability", "bitmap_cvg",
 * "afl_version", "buckets": [{"name", "signature"}]}; keys whose values
 * were never found are missing.
 */
#ifndef HS_FUZZSTATS_H
#define HS_FUZZSTATS_H

#include <stddef.h>
#include <jansson.h>

#define HS_FUZZ_OUT_DEFAULT "build/fuzz/out"
#define HS_FUZZ_REGRESSIONS_DEFAULT "fuzz/regressions"

/* At most this many targets, instances per target and buckets per target. */
#define HS_FUZZ_MAX_ENTRIES 256

/* Bytes of a bucket signature kept (cut on a UTF-8 boundary). */
#define HS_FUZZ_SIGNATURE_MAX 300

/*
 * Fold one fuzzer_stats text into target (an object of the summary shape),
 * as one more instance.
 */
void hs_fuzzstats_add_instance(json_t *target, const char *text, size_t n);

/*
 * The summary of out_dir and regress_dir (either may be NULL or missing).
 * *out is NULL when neither holds any target: no fuzzing happened here.
 * Returns -1 only when memory runs out.
 */
int hs_fuzzstats_load(const char *out_dir, const char *regress_dir,
                      json_t **out, char *err, size_t errlen);

/*
 * The figures a later report compares with, for a history entry: per
 * target "start_time", "execs_done", "corpus_count", "saved_crashes",
 * "saved_hangs" and "buckets" (a count). New reference.
 */
json_t *hs_fuzzstats_brief(const json_t *summary);

#endif

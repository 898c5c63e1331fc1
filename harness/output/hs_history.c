/*
 * hs_history: the history file, the baseline, the regression diff (see
 * hs_history.h).
 */
#include "output/hs_history.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/hs_buf.h"
#include "util/hs_fsutil.h"
#include "output/hs_results.h"

static const char *const status_names[HS_STATUS_COUNT] = {
    "passed", "failed", "skipped", "xfailed", "xpassed", "flaky"
};

int hs_history_status(const char *s)
{
    int i;

    for (i = 0; s != NULL && i < HS_STATUS_COUNT; i++)
        if (strcmp(s, status_names[i]) == 0)
            return i;
    return -1;
}

const char *hs_history_status_name(int st)
{
    return st >= 0 && st < HS_STATUS_COUNT ? status_names[st] : "unknown";
}

int hs_history_failing(int st)
{
    return st == HS_STATUS_FAILED || st == HS_STATUS_XPASSED;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

/* The true median: the mean of the two middle values for an even count. */
static double median_of(const json_t *arr)
{
    size_t n = json_array_size(arr), i;
    double *v = calloc(n, sizeof(double));
    double m;

    if (v == NULL)
        return 0.0;
    for (i = 0; i < n; i++)
        v[i] = json_number_value(json_array_get(arr, i));
    qsort(v, n, sizeof(double), cmp_double);
    m = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
    free(v);
    return m;
}

double hs_history_median(const json_t *c)
{
    const json_t *d = json_object_get(c, "durations_ms");

    if (json_array_size(d) > 0)
        return median_of(d);
    return json_number_value(json_object_get(c, "duration_ms"));
}

/* ---- entries ----------------------------------------------------------- */

static json_t *str_or_empty(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);

    return json_is_string(v) ? json_copy((json_t *)v) : json_string("");
}

/* Only the two verdict strings, so a history line stays small. */
static json_t *verdict_of(const json_t *c)
{
    const json_t *v = json_object_get(c, "verdict");

    if (!json_is_object(v))
        return NULL;
    return json_pack("{s:O?,s:O?}", "behavior", json_object_get(v, "behavior"),
                     "close", json_object_get(v, "close"));
}

static json_t *case_entry(const json_t *c)
{
    json_t *e = json_pack("{s:O,s:f}", "status", json_object_get(c, "status"),
                          "duration_ms", hs_history_median(c));
    json_t *v = verdict_of(c);

    if (e != NULL && v != NULL)
        json_object_set_new(e, "verdict", v);
    else
        json_decref(v);
    return e;
}

json_t *hs_history_entry(const json_t *doc)
{
    const json_t *run = json_object_get(doc, "run");
    json_t *cases = json_object(), *c;
    size_t i;

    json_array_foreach(json_object_get(doc, "cases"), i, c)
        json_object_set_new(cases, json_string_value(json_object_get(c, "id")),
                            case_entry(c));
    return json_pack("{s:s,s:o,s:o,s:o,s:o,s:o,s:O*,s:o,s:o}", "format", HS_HISTORY_FORMAT,
                     "run", str_or_empty(run, "id"),
                     "date", str_or_empty(run, "started_at"),
                     "commit", str_or_empty(run, "git_commit"),
                     "target", str_or_empty(run, "target"),
                     "target_kind", str_or_empty(run, "target_kind"),
                     "selection", json_object_get(run, "selection"),
                     "command", str_or_empty(run, "command"),
                     "cases", cases);
}

/* A string field, "" when absent: old entries lack the identity fields. */
static const char *field(const json_t *e, const char *key)
{
    const char *s = json_string_value(json_object_get(e, key));

    return s != NULL ? s : "";
}

int hs_history_same_target(const json_t *a, const json_t *b)
{
    const json_t *sa = json_object_get(a, "selection");
    const json_t *sb = json_object_get(b, "selection");

    return strcmp(field(a, "target_kind"), field(b, "target_kind")) == 0 &&
           strcmp(field(a, "target"), field(b, "target")) == 0 &&
           (sa == sb || json_equal((json_t *)sa, (json_t *)sb));
}

json_t *hs_history_of_target(const json_t *runs, const json_t *now)
{
    json_t *out = json_array(), *e;
    size_t i;

    json_array_foreach((json_t *)runs, i, e)
        if (out != NULL && hs_history_same_target(e, now))
            json_array_append(out, e);
    return out;
}

/* An entry needs its format, a run id and a cases object; nothing more. */
static int is_entry(const json_t *e)
{
    const char *f = json_string_value(json_object_get(e, "format"));

    return f != NULL && strcmp(f, HS_HISTORY_FORMAT) == 0 &&
           json_is_string(json_object_get(e, "run")) &&
           json_is_object(json_object_get(e, "cases"));
}

static const char *run_id_of(const json_t *e)
{
    return json_string_value(json_object_get(e, "run"));
}

/* ---- the file ---------------------------------------------------------- */

/* Parse one line; blank lines are no entries and not counted as bad. */
static void load_line(json_t *runs, const char *line, size_t n, size_t *bad)
{
    json_t *e;

    if (n == 0 || strspn(line, " \t\r") >= n)
        return;
    e = json_loadb(line, n, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, NULL);
    if (is_entry(e))
        json_array_append(runs, e);
    else
        (*bad)++;
    json_decref(e);
}

int hs_history_load(const char *path, json_t **runs, size_t *skipped,
                    char *err, size_t errlen)
{
    char *text = NULL, *p, *nl;
    size_t n = 0, bad = 0;

    if (skipped != NULL)
        *skipped = 0;
    *runs = json_array();
    if (*runs == NULL) {
        hs_errf(err, errlen, "history %s: out of memory", path);
        return -1;
    }
    if (access(path, F_OK) != 0 && errno == ENOENT)
        return 0;
    if (hs_fs_read_file(path, &text, &n, err, errlen) != 0) {
        json_decref(*runs);
        *runs = NULL;
        return -1;
    }
    for (p = text; p < text + n; p = nl + 1) {
        nl = memchr(p, '\n', (size_t)(text + n - p));
        if (nl == NULL)
            nl = text + n;
        load_line(*runs, p, (size_t)(nl - p), &bad);
    }
    free(text);
    if (skipped != NULL)
        *skipped = bad;
    return 0;
}

/* Remove the oldest runs of entry's target until it has at most keep. */
static void drop_oldest(json_t *runs, const json_t *entry, size_t keep)
{
    size_t mine = 0, i;

    for (i = 0; i < json_array_size(runs); i++)
        mine += (size_t)hs_history_same_target(json_array_get(runs, i), entry);
    for (i = 0; mine > keep && i < json_array_size(runs);) {
        if (hs_history_same_target(json_array_get(runs, i), entry)) {
            json_array_remove(runs, i);
            mine--;
        } else {
            i++;
        }
    }
}

int hs_history_add(json_t *runs, json_t *entry, size_t keep)
{
    const char *id = run_id_of(entry);
    const json_t *e;
    size_t i;

    if (!is_entry(entry)) {
        json_decref(entry);
        return -1;
    }
    json_array_foreach(runs, i, e)
        if (strcmp(run_id_of(e), id) == 0)
            return json_array_set_new(runs, i, entry);
    if (json_array_append_new(runs, entry) != 0)
        return -1;
    drop_oldest(runs, json_array_get(runs, json_array_size(runs) - 1), keep);
    while (json_array_size(runs) > keep * HS_HISTORY_TARGETS)
        json_array_remove(runs, 0);
    return 0;
}

/* The parent folder of path is created first: a fresh clone has no reports/. */
static int make_parent(const char *path, char *err, size_t errlen)
{
    const char *slash = strrchr(path, '/');
    char *dir;
    int rc;

    if (slash == NULL || slash == path)
        return 0;
    dir = strndup(path, (size_t)(slash - path));
    if (dir == NULL) {
        hs_errf(err, errlen, "history %s: out of memory", path);
        return -1;
    }
    rc = hs_fs_mkdirs(dir, err, errlen);
    free(dir);
    return rc;
}

int hs_history_save(const json_t *runs, const char *path, char *err,
                    size_t errlen)
{
    hs_buf b = HS_BUF_INIT;
    const json_t *e;
    char *line;
    size_t i;
    int rc = -1;

    json_array_foreach(runs, i, e) {
        line = json_dumps(e, JSON_COMPACT | JSON_ENSURE_ASCII);
        hs_buf_puts(&b, line);
        hs_buf_putc(&b, '\n');
        if (line == NULL)
            b.failed = 1;
        free(line);
    }
    if (hs_buf_failed(&b)) {
        hs_errf(err, errlen, "history %s: out of memory", path);
        goto out;
    }
    if (make_parent(path, err, errlen) != 0)
        goto out;
    rc = hs_fs_write_atomic(path, b.p != NULL ? b.p : "", b.len, err, errlen);
out:
    hs_buf_free(&b);
    return rc;
}

/* ---- the baseline ------------------------------------------------------ */

/* The index of run_id in runs, or the array size when it is not there. */
static size_t index_of(const json_t *runs, const char *run_id)
{
    size_t n = json_array_size(runs), i;

    for (i = 0; run_id != NULL && i < n; i++)
        if (strcmp(run_id_of(json_array_get(runs, i)), run_id) == 0)
            return i;
    return n;
}

const json_t *hs_history_previous(const json_t *runs, const char *run_id)
{
    size_t at = index_of(runs, run_id);

    return at == 0 ? NULL : json_array_get(runs, at - 1);
}

/* Peer text may hold NUL: results.json keeps it as \u0000. */
int hs_history_load_doc(const char *path, json_t **doc, char *err,
                        size_t errlen)
{
    json_error_t jerr;
    char why[256];

    *doc = json_load_file(path, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
    if (*doc == NULL && jerr.line > 0) {
        hs_errf(err, errlen, "%s: line %d: %s", path, jerr.line, jerr.text);
        return -1;
    }
    if (*doc == NULL) {
        hs_errf(err, errlen, "%s", jerr.text);
        return -1;
    }
    if (hs_results_check(*doc, why, sizeof(why)) != 0) {
        hs_errf(err, errlen, "%s: %s", path, why);
        json_decref(*doc);
        *doc = NULL;
        return -1;
    }
    return 0;
}

/* A pinned baseline: any results document, checked like a fresh one. */
static int load_baseline_doc(const char *path, json_t **out, char *err,
                             size_t errlen)
{
    json_t *doc = NULL;
    char why[512];

    if (hs_history_load_doc(path, &doc, why, sizeof(why)) != 0) {
        hs_errf(err, errlen, "baseline: %s", why);
        return -1;
    }
    *out = hs_history_entry(doc);
    json_decref(doc);
    if (*out == NULL) {
        hs_errf(err, errlen, "baseline %s: out of memory", path);
        return -1;
    }
    return 0;
}

int hs_history_baseline(const char *path, const json_t *runs,
                        const char *run_id, json_t **out, char *err,
                        size_t errlen)
{
    *out = NULL;
    if (path != NULL)
        return load_baseline_doc(path, out, err, errlen);
    *out = json_incref((json_t *)hs_history_previous(runs, run_id));
    return 0;
}

/* ---- the diff ---------------------------------------------------------- */

typedef struct diff_ctx {
    const json_t *now_cases;
    const json_t *base_cases;       /* NULL without a baseline */
    const json_t *runs;
    size_t upto;                    /* runs[0..upto) come before now */
    const hs_diff_opts *o;
    json_t *out;
} diff_ctx;

static int status_in(const json_t *cases, const char *id)
{
    return hs_history_status(json_string_value(
        json_object_get(json_object_get(cases, id), "status")));
}

static void push(diff_ctx *x, const char *list, json_t *item)
{
    json_array_append_new(json_object_get(x->out, list), item);
}

static json_t *status_or_null(int st)
{
    return st < 0 ? json_null() : json_string(hs_history_status_name(st));
}

/*
 * How far back the failing streak of id goes, walking the history from the
 * newest run before now. A run where the case is missing ends the streak,
 * like a pass: nobody saw it fail there.
 */
static json_t *streak(const diff_ctx *x, const char *id)
{
    const json_t *oldest = NULL, *e;
    size_t i = x->upto, count = 1;

    while (i > 0) {
        e = json_array_get(x->runs, i - 1);
        if (!hs_history_failing(status_in(json_object_get(e, "cases"), id)))
            break;
        oldest = e;
        count++;
        i--;
    }
    if (oldest == NULL)
        return json_pack("{s:s,s:n,s:n,s:n,s:i,s:b}", "id", id, "since",
                         "since_commit", "since_date", "runs", 1, "at_least", 0);
    return json_pack("{s:s,s:O,s:O?,s:O?,s:I,s:b}", "id", id,
                     "since", json_object_get(oldest, "run"),
                     "since_commit", json_object_get(oldest, "commit"),
                     "since_date", json_object_get(oldest, "date"),
                     "runs", (json_int_t)count,
                     "at_least", i == 0 && json_array_size(x->runs) >= HS_HISTORY_KEEP);
}

/*
 * Outcome changes of id across the history before now, then now: only
 * failing versus not failing counts; skipped runs and runs without the
 * case are left out, as they say nothing about the outcome.
 */
static int flips(const diff_ctx *x, const char *id, int now_st)
{
    int last = -1, n = 0, st, f;
    size_t i;

    for (i = 0; i <= x->upto; i++) {
        st = i < x->upto ? status_in(json_object_get(json_array_get(x->runs, i),
                                                     "cases"), id)
                         : now_st;
        if (st < 0 || st == HS_STATUS_SKIPPED)
            continue;
        f = hs_history_failing(st);
        if (last >= 0 && f != last)
            n++;
        last = f;
    }
    return n;
}

static void diff_status(diff_ctx *x, const char *id, int now_st, int was_st)
{
    int now_f = hs_history_failing(now_st), was_f = hs_history_failing(was_st);

    if (now_f && !was_f)
        push(x, "new_failures", json_pack("{s:s,s:o,s:s}", "id", id, "was",
                                         status_or_null(was_st), "now",
                                         hs_history_status_name(now_st)));
    else if (now_f && was_f)
        push(x, "still_failing", streak(x, id));
    else if (was_f && now_st == HS_STATUS_PASSED)
        push(x, "fixed", json_pack("{s:s,s:s,s:s}", "id", id, "was",
                                  hs_history_status_name(was_st), "now",
                                  hs_history_status_name(now_st)));
    if (now_st == HS_STATUS_SKIPPED && was_st >= 0 && was_st != HS_STATUS_SKIPPED)
        push(x, "newly_skipped", json_pack("{s:s,s:s}", "id", id, "was",
                                          hs_history_status_name(was_st)));
}

static void diff_flaky(diff_ctx *x, const char *id, int now_st)
{
    int n = flips(x, id, now_st);

    if (now_st == HS_STATUS_FLAKY)
        push(x, "flaky", json_pack("{s:s,s:s,s:i}", "id", id, "why", "repeats",
                                  "flips", n));
    else if (n >= x->o->flips)
        push(x, "flaky", json_pack("{s:s,s:s,s:i}", "id", id, "why", "history",
                                  "flips", n));
}

/*
 * Both thresholds must be crossed: a relative one alone flags a 2 ms case
 * that took 4 ms, an absolute one alone flags every slow case on a busy
 * machine. Skipped runs have no meaningful duration.
 */
static void diff_timing(diff_ctx *x, const char *id, const json_t *now_c,
                        const json_t *was_c)
{
    double now_ms = json_number_value(json_object_get(now_c, "duration_ms"));
    double was_ms = json_number_value(json_object_get(was_c, "duration_ms"));
    int now_st = hs_history_status(json_string_value(json_object_get(now_c, "status")));
    int was_st = hs_history_status(json_string_value(json_object_get(was_c, "status")));

    if (now_st == HS_STATUS_SKIPPED || was_st == HS_STATUS_SKIPPED)
        return;
    if (now_ms > was_ms * (1.0 + x->o->slower_rel) &&
        now_ms - was_ms >= x->o->slower_abs_ms)
        push(x, "slower", json_pack("{s:s,s:f,s:f}", "id", id, "was_ms", was_ms,
                                   "now_ms", now_ms));
}

static void diff_verdict(diff_ctx *x, const char *id, const json_t *now_c,
                         const json_t *was_c)
{
    const json_t *now_v = json_object_get(now_c, "verdict");
    const json_t *was_v = json_object_get(was_c, "verdict");

    if ((now_v != NULL || was_v != NULL) && !json_equal(now_v, was_v))
        push(x, "verdicts", json_pack("{s:s,s:O?,s:O?}", "id", id, "was", was_v,
                                     "now", now_v));
}

static void diff_case(diff_ctx *x, const char *id, const json_t *now_c)
{
    const json_t *was_c = json_object_get(x->base_cases, id);
    int now_st = hs_history_status(json_string_value(json_object_get(now_c, "status")));
    int was_st = status_in(x->base_cases, id);

    if (x->base_cases != NULL && was_c == NULL)
        push(x, "added", json_string(id));
    diff_status(x, id, now_st, was_st);
    diff_flaky(x, id, now_st);
    if (was_c != NULL) {
        diff_timing(x, id, now_c, was_c);
        diff_verdict(x, id, now_c, was_c);
    }
}

json_t *hs_history_diff(const json_t *now, const json_t *base,
                        const json_t *runs, const hs_diff_opts *opts)
{
    static const hs_diff_opts dflt = HS_DIFF_OPTS_DEFAULT;
    diff_ctx x = { json_object_get(now, "cases"), json_object_get(base, "cases"),
                   runs, index_of(runs, run_id_of(now)), opts ? opts : &dflt, NULL };
    const char *id;
    const json_t *c;

    x.out = json_pack("{s:[],s:[],s:[],s:[],s:[],s:[],s:[],s:[],s:[]}",
                      "new_failures", "still_failing", "fixed", "newly_skipped",
                      "flaky", "slower", "verdicts", "added", "removed");
    if (x.out == NULL)
        return NULL;
    json_object_foreach((json_t *)x.now_cases, id, c)
        diff_case(&x, id, c);
    json_object_foreach((json_t *)x.base_cases, id, c)
        if (json_object_get(x.now_cases, id) == NULL)
            push(&x, "removed", json_string(id));
    return x.out;
}

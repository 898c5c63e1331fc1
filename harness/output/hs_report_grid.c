/*
 * hs_report_grid: the page's grids: seed failures x fault points with the
 * run's fault coverage, the conformance verdicts, the benchmark figures
 * and the fuzzing campaigns, each shown when the run has any. See
 * hs_report_parts.h.
 */
#include "output/hs_report_parts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/hs_escape.h"

/* ---- seed failures x fault points -------------------------------------- */

typedef struct matrix {
    json_t *rows;           /* seed id -> array of case positions */
    json_t *cols;           /* fault point -> true */
    const char **names;     /* the keys of cols, sorted */
    size_t ncols;
} matrix;

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * Rows in order of first appearance; columns are the points that fired in
 * some seed case, sorted by name. Points merely reached are left out:
 * every request passes many of them, and clause 7 judges the ones a
 * scenario enabled without effect.
 */
static int matrix_build(rctx *x, matrix *m)
{
    const json_t *c, *f;
    const char *seed, *name;
    size_t i;

    m->rows = json_object();
    m->cols = json_object();
    json_array_foreach(x->cases, i, c) {
        seed = rep_sget(c, "seed");
        if (seed == NULL || *seed == '\0')
            continue;
        if (json_object_get(m->rows, seed) == NULL)
            json_object_set_new(m->rows, seed, json_array());
        json_array_append_new(json_object_get(m->rows, seed), json_integer((json_int_t)i));
        json_object_foreach(json_object_get(c, "faults"), name, f)
            if (json_integer_value(json_object_get(f, "fired")) > 0)
                json_object_set_new(m->cols, name, json_true());
    }
    m->names = calloc(json_object_size(m->cols) + 1, sizeof(char *));
    if (m->names == NULL)
        return -1;
    json_object_foreach(m->cols, name, f)
        m->names[m->ncols++] = name;
    qsort(m->names, m->ncols, sizeof(char *), cmp_str);
    return 0;
}

static void matrix_free(matrix *m)
{
    json_decref(m->rows);
    json_decref(m->cols);
    free(m->names);
}

/* A fault point's name with break opportunities after each '/'. */
static void fault_name(hs_buf *o, const char *name)
{
    const char *slash;

    for (slash = strchr(name, '/'); slash != NULL && slash[1] != '\0';
         slash = strchr(name, '/')) {
        hs_escape_html(name, (size_t)(slash - name + 1), o);
        hs_buf_puts(o, "<wbr>");
        name = slash + 1;
    }
    rep_esc_s(o, name);
}

/* One glyph per case of the seed in which the point fired, linked to it. */
static void matrix_cell(rctx *x, const json_t *positions, const char *point)
{
    const json_t *pos, *c, *f;
    json_int_t fired;
    size_t i;
    int st;

    hs_buf_puts(x->o, "<td class=\"m\">");
    json_array_foreach(positions, i, pos) {
        c = json_array_get(x->cases, (size_t)json_integer_value(pos));
        f = json_object_get(json_object_get(c, "faults"), point);
        fired = json_integer_value(json_object_get(f, "fired"));
        if (fired <= 0)
            continue;
        st = rep_status_of(c);
        hs_buf_printf(x->o, "<a class=\"s-%s\" href=\"#c-%" JSON_INTEGER_FORMAT
                      "\" title=\"", rep_st_class(st), json_integer_value(pos));
        rep_esc(x->o, json_object_get(c, "id"));
        hs_buf_printf(x->o, ": %s; fired %" JSON_INTEGER_FORMAT " of %" JSON_INTEGER_FORMAT
                      " reached\">%s</a>", hs_history_status_name(st), fired,
                      json_integer_value(json_object_get(f, "reached")), rep_glyph(st));
    }
    hs_buf_puts(x->o, "</td>");
}

static void matrix_row(rctx *x, const matrix *m, const char *seed, const json_t *positions)
{
    size_t i, pass = 0, n = json_array_size(positions);

    for (i = 0; i < n; i++)
        pass += !hs_history_failing(rep_status_of(json_array_get(
            x->cases, (size_t)json_integer_value(json_array_get(positions, i)))));
    hs_buf_puts(x->o, "<tr><th class=\"mono\">");
    rep_esc_s(x->o, seed);
    hs_buf_printf(x->o, "</th><td class=\"%s\">%zu/%zu</td>", pass == n ? "good" : "bad",
                  pass, n);
    for (i = 0; i < m->ncols; i++)
        matrix_cell(x, positions, m->names[i]);
    hs_buf_puts(x->o, "</tr>\n");
}

/* The run-wide fault coverage, as the matrix's last row. */
static void matrix_coverage(rctx *x, const matrix *m)
{
    const json_t *cov = json_object_get(x->in->doc, "fault_coverage"), *v;
    size_t i;

    hs_buf_puts(x->o, "<tr><th>all scenarios</th><td></td>");
    for (i = 0; i < m->ncols; i++) {
        v = json_object_get(json_object_get(cov, m->names[i]), "scenarios_fired");
        if (json_is_integer(v))
            hs_buf_printf(x->o, "<td>fired in %" JSON_INTEGER_FORMAT "</td>",
                          json_integer_value(v));
        else
            hs_buf_puts(x->o, "<td>\xE2\x80\x94</td>");
    }
    hs_buf_puts(x->o, "</tr>\n");
}

void rep_section_matrix(rctx *x)
{
    matrix m = { NULL, NULL, NULL, 0 };
    const json_t *positions;
    const char *seed;
    size_t i;

    if (matrix_build(x, &m) != 0 || json_object_size(m.rows) == 0)
        goto out;
    hs_buf_puts(x->o, "<section id=\"matrix\">\n<h2>Seed failures \xC3\x97 fault points</h2>\n"
                "<p class=\"meta\">One mark per case of the seed in which the fault point "
                "fired, showing how the case ended (\xE2\x9C\x93 passed, \xE2\x9C\x97 failed; "
                "see the legend of the case list). Only points that fired appear.</p>\n"
                "<table class=\"matrix\"><thead><tr><th>seed</th><th>passing</th>");
    for (i = 0; i < m.ncols; i++) {
        hs_buf_puts(x->o, "<th class=\"mono\">");
        fault_name(x->o, m.names[i]);
        hs_buf_puts(x->o, "</th>");
    }
    hs_buf_puts(x->o, "</tr></thead><tbody>\n");
    json_object_foreach(m.rows, seed, positions)
        matrix_row(x, &m, seed, positions);
    matrix_coverage(x, &m);
    hs_buf_puts(x->o, "</tbody></table>\n</section>\n");
out:
    matrix_free(&m);
}

/* ---- the conformance grid ---------------------------------------------- */

typedef struct tier {
    const char *name;
    const char *cls;
} tier;

static const tier behavior_tiers[] = {
    { "OK", "v-ok" }, { "NON-STRICT", "v-nonstrict" }, { "INFORMATIONAL", "v-info" },
    { "UNIMPLEMENTED", "v-unimpl" }, { "FAILED", "v-failed" }, { NULL, NULL }
};

static const tier close_tiers[] = {
    { "OK", "c-ok" }, { "WRONG CODE", "c-wrong" }, { "UNCLEAN", "c-unclean" },
    { NULL, NULL }
};

/* The class of a verdict; unknown text gets none (and is still shown). */
static const char *tier_class(const tier *t, const char *name)
{
    for (; name != NULL && t->name != NULL; t++)
        if (strcmp(t->name, name) == 0)
            return t->cls;
    return "";
}

static int is_conformance(const json_t *c)
{
    const char *suite = rep_sget(c, "suite");

    return json_is_object(json_object_get(c, "verdict")) ||
           (suite != NULL && strcmp(suite, "conformance") == 0);
}

/* One verdict cell, marked and annotated when the baseline said otherwise. */
static void verdict_cell(rctx *x, const tier *tiers, const json_t *now,
                         const json_t *was, int have_base)
{
    const char *n = json_string_value(now), *w = json_string_value(was);
    int changed = have_base && !json_equal(now, was) && (now != NULL || was != NULL);

    hs_buf_printf(x->o, "<td class=\"%s%s\">", tier_class(tiers, n), changed ? " changed" : "");
    rep_esc_or(x->o, now, "\xE2\x80\x94");
    if (changed) {
        hs_buf_puts(x->o, " <small>(was ");
        rep_esc_s(x->o, w != NULL ? w : "none");
        hs_buf_puts(x->o, ")</small>");
    }
    hs_buf_puts(x->o, "</td>");
}

static void conformance_row(rctx *x, const json_t *c, size_t i)
{
    const char *id = rep_sget(c, "id");
    const json_t *v = json_object_get(c, "verdict");
    const json_t *base = json_object_get(json_object_get(x->in->baseline, "cases"), id);
    const json_t *bv = json_object_get(base, "verdict");
    int st = rep_status_of(c);

    hs_buf_printf(x->o, "<tr><td><a class=\"mono\" href=\"#c-%zu\">", i);
    rep_esc(x->o, json_object_get(c, "id"));
    hs_buf_puts(x->o, "</a></td>");
    verdict_cell(x, behavior_tiers, json_object_get(v, "behavior"),
                 json_object_get(bv, "behavior"), base != NULL);
    verdict_cell(x, close_tiers, json_object_get(v, "close"),
                 json_object_get(bv, "close"), base != NULL);
    hs_buf_puts(x->o, "<td>");
    rep_badge(x->o, st);
    hs_buf_puts(x->o, "</td><td>");
    rep_esc_clip(x->o, json_object_get(c, "title"), TITLE_MAX);
    hs_buf_puts(x->o, "</td></tr>\n");
}

/* "OK 280 · FAILED 3 · ...": the tiers that occur, in tier order. */
static void conformance_tally(rctx *x)
{
    size_t counts[sizeof(behavior_tiers) / sizeof(behavior_tiers[0])] = { 0 };
    const json_t *c;
    const char *b;
    size_t i, k, shown = 0;

    json_array_foreach(x->cases, i, c) {
        b = rep_sget(json_object_get(c, "verdict"), "behavior");
        for (k = 0; b != NULL && behavior_tiers[k].name != NULL; k++)
            counts[k] += strcmp(b, behavior_tiers[k].name) == 0;
    }
    hs_buf_puts(x->o, "<p>");
    for (k = 0; behavior_tiers[k].name != NULL; k++)
        if (counts[k] > 0)
            hs_buf_printf(x->o, "%s<span class=\"%s\">&nbsp;%s&nbsp;</span> %zu",
                          shown++ ? " \xC2\xB7 " : "", behavior_tiers[k].cls,
                          behavior_tiers[k].name, counts[k]);
    hs_buf_puts(x->o, shown ? "</p>\n" : "No case carries a verdict yet.</p>\n");
}

void rep_section_conformance(rctx *x)
{
    const json_t *c;
    size_t i, n = 0;

    json_array_foreach(x->cases, i, c)
        n += is_conformance(c);
    if (n == 0)
        return;
    hs_buf_printf(x->o, "<section id=\"conformance\">\n<h2>Conformance (%zu case%s)</h2>\n",
                  n, n == 1 ? "" : "s");
    conformance_tally(x);
    hs_buf_puts(x->o, "<table class=\"grid\"><thead><tr><th>case</th><th>behavior</th>"
                "<th>close</th><th>status</th><th>what it checks</th></tr></thead><tbody>\n");
    json_array_foreach(x->cases, i, c)
        if (is_conformance(c))
            conformance_row(x, c, i);
    hs_buf_puts(x->o, "</tbody></table>\n");
    if (x->in->baseline != NULL)
        hs_buf_puts(x->o, "<p class=\"meta\">A framed cell changed since the baseline.</p>\n");
    hs_buf_puts(x->o, "</section>\n");
}

/* ---- fuzzing ----------------------------------------------------------- */


static void put_seconds(hs_buf *o, double s)
{
    long t = (long)s;

    if (t >= 3600)
        hs_buf_printf(o, "%ldh&nbsp;%02ldm", t / 3600, t / 60 % 60);
    else
        hs_buf_printf(o, "%ldm&nbsp;%02lds", t / 60, t % 60);
}

static void put_time(hs_buf *o, double unix_s)
{
    time_t t = (time_t)unix_s;
    struct tm tm;
    char buf[40];

    gmtime_r(&t, &tm);
    strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M UTC", &tm);
    hs_buf_puts(o, buf);
}

/*
 * The same target in the newest earlier run whose campaign started at
 * another time: the previous campaign. NULL when there was none.
 */
static const json_t *previous_campaign(rctx *x, const char *target, double start)
{
    const char *now_id = rep_sget(x->now, "run");
    size_t i = json_array_size(x->in->history);
    const json_t *e, *f;

    while (i-- > 0) {
        e = json_array_get(x->in->history, i);
        f = json_object_get(json_object_get(e, "fuzz"), target);
        if (strcmp(rep_sget(e, "run"), now_id) == 0 || f == NULL)
            continue;
        if (json_number_value(json_object_get(f, "start_time")) != start)
            return f;
    }
    return NULL;
}

static void delta(hs_buf *o, const char *label, double now, double was, int *shown)
{
    if (now == was)
        return;
    hs_buf_printf(o, "%s%s %+.0f", (*shown)++ ? ", " : "", label, now - was);
}

static void campaign_change(rctx *x, const char *target, const json_t *t)
{
    double start = json_number_value(json_object_get(t, "start_time"));
    const json_t *p = previous_campaign(x, target, start);
    int shown = 0;

    hs_buf_puts(x->o, "<td>");
    if (p == NULL) {
        hs_buf_puts(x->o, "<span class=\"mute\">no earlier campaign recorded</span></td>");
        return;
    }
    delta(x->o, "corpus", json_number_value(json_object_get(t, "corpus_count")),
          json_number_value(json_object_get(p, "corpus_count")), &shown);
    delta(x->o, "crashes", json_number_value(json_object_get(t, "saved_crashes")),
          json_number_value(json_object_get(p, "saved_crashes")), &shown);
    delta(x->o, "buckets", (double)json_array_size(json_object_get(t, "buckets")),
          json_number_value(json_object_get(p, "buckets")), &shown);
    hs_buf_puts(x->o, shown ? "" : "no change");
    hs_buf_puts(x->o, " <small class=\"mute\">(vs campaign of ");
    put_time(x->o, json_number_value(json_object_get(p, "start_time")));
    hs_buf_puts(x->o, ")</small></td>");
}

static void fuzz_row(rctx *x, const char *target, const json_t *t)
{
    size_t buckets = json_array_size(json_object_get(t, "buckets"));

    hs_buf_puts(x->o, "<tr><th class=\"mono\">");
    rep_esc_s(x->o, target);
    hs_buf_puts(x->o, "</th>");
    rep_num_cell(x->o, t, "instances", 0, "");
    rep_num_cell(x->o, t, "execs_done", 0, "");
    rep_num_cell(x->o, t, "execs_per_sec", 0, "");
    rep_num_cell(x->o, t, "corpus_count", 0, "");
    rep_num_cell(x->o, t, "saved_crashes", 0, "");
    rep_num_cell(x->o, t, "saved_hangs", 0, "");
    rep_num_cell(x->o, t, "stability", 2, "%");
    hs_buf_puts(x->o, "<td>");
    if (json_is_number(json_object_get(t, "run_time")))
        put_seconds(x->o, json_number_value(json_object_get(t, "run_time")));
    hs_buf_printf(x->o, "</td><td class=\"%s\">%zu</td>", buckets ? "bad" : "", buckets);
    campaign_change(x, target, t);
    hs_buf_puts(x->o, "</tr>\n");
}

static void fuzz_buckets(rctx *x, const char *target, const json_t *t)
{
    const json_t *buckets = json_object_get(t, "buckets"), *b;
    size_t i;

    if (json_array_size(buckets) == 0)
        return;
    hs_buf_puts(x->o, "<h3>Crash buckets of <span class=\"mono\">");
    rep_esc_s(x->o, target);
    hs_buf_puts(x->o, "</span></h3>\n<table><thead><tr><th>bucket</th><th>signature</th>"
                "</tr></thead><tbody>\n");
    json_array_foreach(buckets, i, b) {
        hs_buf_puts(x->o, "<tr><td class=\"mono\">");
        rep_esc(x->o, json_object_get(b, "name"));
        hs_buf_puts(x->o, "</td><td class=\"mono\">");
        rep_esc(x->o, json_object_get(b, "signature"));
        hs_buf_puts(x->o, "</td></tr>\n");
    }
    hs_buf_puts(x->o, "</tbody></table>\n");
}

void rep_section_fuzz(rctx *x)
{
    const json_t *t;
    const char *target;

    if (json_object_size(x->in->fuzz) == 0)
        return;
    hs_buf_puts(x->o, "<section id=\"fuzz\">\n<h2>Fuzzing</h2>\n<table><thead><tr>"
                "<th>target</th><th>instances</th><th>execs</th><th>execs/s</th>"
                "<th>corpus</th><th>crashes</th><th>hangs</th><th>stability</th>"
                "<th>run time</th><th>crash buckets</th>"
                "<th>since the previous campaign</th></tr></thead><tbody>\n");
    json_object_foreach((json_t *)x->in->fuzz, target, t)
        fuzz_row(x, target, t);
    hs_buf_puts(x->o, "</tbody></table>\n");
    json_object_foreach((json_t *)x->in->fuzz, target, t)
        fuzz_buckets(x, target, t);
    hs_buf_puts(x->o, "</section>\n");
}

/* ---- benchmarks ---------------------------------------------------------- */

/* One row per figure of bench.json, named by its dotted path. */
static void bench_rows(rctx *x, const json_t *v, const char *path, int depth)
{
    const char *k;
    json_t *c;
    char sub[256];

    if (json_is_object(v) && depth < 6) {
        json_object_foreach((json_t *)v, k, c) {
            snprintf(sub, sizeof(sub), "%s%s%s", path, *path ? "." : "", k);
            bench_rows(x, c, sub, depth + 1);
        }
        return;
    }
    if (!json_is_number(v) && !json_is_string(v))
        return;
    hs_buf_puts(x->o, "<tr><th class=\"mono\">");
    rep_esc_s(x->o, path);
    hs_buf_puts(x->o, "</th><td>");
    if (json_is_number(v))
        hs_buf_printf(x->o, "%.4g", json_number_value(v));
    else
        rep_esc(x->o, v);
    hs_buf_puts(x->o, "</td></tr>\n");
}

/* Figures from make bench, when reports/bench.json exists: never a verdict. */
void rep_section_bench(rctx *x)
{
    if (!json_is_object(x->in->bench))
        return;
    hs_buf_puts(x->o, "<section id=\"bench\">\n<h2>Benchmarks</h2>\n<p>Figures from "
                "<code>make bench</code> (" HS_BENCH_DEFAULT "), measured on the machine "
                "that ran it; they inform, they do not pass or fail.</p>\n<details>"
                "<summary>all figures</summary>\n<table><tbody>\n");
    bench_rows(x, x->in->bench, "", 0);
    hs_buf_puts(x->o, "</tbody></table>\n</details>\n</section>\n");
}

/*
 * hs_report: the HTML regression report (see hs_report.h). This file is
 * the page itself: its head with the style sheet, the script and their
 * hashes, the header, the run's facts and the foot; the rendering context
 * and the order of the sections; and the entry points. The sections are
 * in hs_report_diff.c, hs_report_grid.c and hs_report_case.c, the pieces
 * they share in hs_report_html.c (see hs_report_parts.h).
 */
#include "output/hs_report_parts.h"

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/hs_fsutil.h"
#include "output/hs_fuzzstats.h"
#include "output/hs_results.h"

/*
 * The style sheet and the script are constants so that their hashes in the
 * Content-Security-Policy are fixed by the text itself; they are hashed
 * when a page is rendered, so editing them cannot leave a stale hash.
 */
static const char page_style[] =
    ":root{--ok:#1a7f37;--bad:#cf222e;--warn:#9a6700;--mute:#57606a;"
    "--line:#d0d7de;--bg2:#f6f8fa}\n"
    "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;"
    "color:#1f2328;margin:0;padding:0 24px 48px}\n"
    "header{border-bottom:1px solid var(--line);padding:14px 0 8px}\n"
    "h1{font-size:21px;margin:0}\n"
    "h2{font-size:18px;margin:26px 0 8px;border-bottom:1px solid var(--line);"
    "padding-bottom:3px}\n"
    "h3{font-size:15px;margin:16px 0 4px}\n"
    "h4{font-size:13px;margin:10px 0 2px}\n"
    ".bad{color:var(--bad)}.warn{color:var(--warn)}.good{color:var(--ok)}"
    ".mute{color:var(--mute)}\n"
    ".headline{font-size:17px;font-weight:600;margin:4px 0}\n"
    ".meta{color:var(--mute);margin:2px 0}\n"
    "nav{margin-top:6px}nav a{margin-right:12px}"
    "nav input{margin-left:6px;padding:2px 6px;min-width:260px}"
    "nav button{margin-left:6px}\n"
    "table{border-collapse:collapse;margin:4px 0 10px}\n"
    "th,td{border:1px solid var(--line);padding:2px 7px;text-align:left;"
    "vertical-align:top}\n"
    "th{background:var(--bg2);font-weight:600}\n"
    "code,pre,.mono,.strip,table.wire td{font-family:ui-monospace,"
    "SFMono-Regular,Menlo,Consolas,monospace;font-size:12px}\n"
    "pre{white-space:pre-wrap;word-break:break-all;background:var(--bg2);"
    "border:1px solid var(--line);padding:4px 8px;margin:4px 0}\n"
    ".badge{display:inline-block;min-width:52px;text-align:center;"
    "padding:0 6px;border-radius:9px;font-size:12px;font-weight:600;"
    "color:#fff;background:var(--mute)}\n"
    ".badge.s-passed{background:var(--ok)}.badge.s-failed,.badge.s-xpassed"
    "{background:var(--bad)}.badge.s-flaky,.badge.s-xfailed"
    "{background:var(--warn)}\n"
    ".strip{letter-spacing:1px;white-space:nowrap}.strip i{font-style:normal}\n"
    ".strip .s-passed{color:var(--ok)}.strip .s-failed,.strip .s-xpassed"
    "{color:var(--bad);font-weight:700}.strip .s-flaky,.strip .s-xfailed"
    "{color:var(--warn)}.strip .s-skipped,.strip .s-none{color:#8c959f}\n"
    "details.case{content-visibility:auto;contain-intrinsic-size:auto 30px;"
    "border:1px solid var(--line);border-left:5px solid "
    "var(--mute);margin:3px 0;padding:1px 8px}\n"
    "details.case.s-failed,details.case.s-xpassed{border-left-color:"
    "var(--bad)}details.case.s-passed{border-left-color:var(--ok)}"
    "details.case.s-flaky,details.case.s-xfailed{border-left-color:"
    "var(--warn)}\n"
    "summary{cursor:pointer;padding:2px 0}summary h3{display:inline}\n"
    "summary .id{font-weight:600;font-family:ui-monospace,Menlo,monospace}\n"
    "summary .title{color:var(--mute)}summary .dur{color:var(--mute)}\n"
    "summary .clause{color:var(--bad);font-weight:600}\n"
    "table.wire td.text,table.wire td.hex{white-space:pre-wrap;"
    "word-break:break-all}\n"
    "table.wire td.text{max-width:70ch}table.wire td.hex{max-width:34ch;"
    "color:var(--mute)}\n"
    "table.wire tr.w-sent td{background:#f3f8ff}"
    "table.wire tr.w-note td{color:var(--mute);font-style:italic}\n"
    "table.timeline tr.tl-wire td{font-weight:bold}\n"
    "table.timeline tr.tl-step td{color:var(--mute)}\n"
    "tr.close-bad td{background:#ffebe9}\n"
    ".v-ok{background:#dafbe1}.v-nonstrict{background:#fff8c5}"
    ".v-info{background:#ddf4ff}.v-unimpl{background:#eaeef2}"
    ".v-failed{background:#ffebe9;color:var(--bad);font-weight:700}\n"
    ".c-ok{background:#dafbe1}.c-wrong{background:#fff1e5}"
    ".c-unclean{background:#ffebe9;color:var(--bad)}\n"
    "td.changed{outline:2px solid #8250df;outline-offset:-2px}\n"
    "td.m a{text-decoration:none;font-weight:700;margin-right:3px}"
    "td.m a.s-passed{color:var(--ok)}td.m a.s-failed,td.m a.s-xpassed"
    "{color:var(--bad)}td.m a.s-flaky,td.m a.s-xfailed{color:var(--warn)}"
    "td.m a.s-skipped,td.m a.s-none{color:#8c959f}\n"
    "ul.ids{columns:3 18em;margin:4px 0}\n"
    "footer{margin-top:32px;color:var(--mute);font-size:12px}\n";

static const char page_script[] =
    "(function () {\n"
    "  'use strict';\n"
    "  var nav = document.getElementById('nav');\n"
    "  var cases = document.querySelectorAll('details.case');\n"
    "  if (!nav || cases.length === 0) { return; }\n"
    "  var box = document.createElement('input');\n"
    "  var info = document.createElement('span');\n"
    "  box.type = 'search';\n"
    "  box.placeholder = 'filter cases: id, status, suite';\n"
    "  box.setAttribute('aria-label', 'filter cases');\n"
    "  function apply() {\n"
    "    var words = box.value.toLowerCase().split(/\\s+/).filter(Boolean);\n"
    "    var shown = 0;\n"
    "    for (var i = 0; i < cases.length; i++) {\n"
    "      var key = cases[i].getAttribute('data-key') || '';\n"
    "      var hit = words.every(function (w) { return key.indexOf(w) >= 0; });\n"
    "      cases[i].hidden = !hit;\n"
    "      shown += hit ? 1 : 0;\n"
    "    }\n"
    "    info.textContent = words.length ? ' ' + shown + ' of ' + cases.length + ' cases' : '';\n"
    "  }\n"
    "  function button(label, open) {\n"
    "    var b = document.createElement('button');\n"
    "    b.type = 'button';\n"
    "    b.textContent = label;\n"
    "    b.addEventListener('click', function () {\n"
    "      for (var i = 0; i < cases.length; i++) {\n"
    "        if (!cases[i].hidden) { cases[i].open = open; }\n"
    "      }\n"
    "    });\n"
    "    return b;\n"
    "  }\n"
    "  box.addEventListener('input', apply);\n"
    "  nav.appendChild(box);\n"
    "  nav.appendChild(button('expand all', true));\n"
    "  nav.appendChild(button('collapse all', false));\n"
    "  nav.appendChild(info);\n"
    "})();\n";

/* ---- the context ------------------------------------------------------- */

/* History entries for the strips: the last ones before now, then now. */
static json_t *strip_runs(const json_t *history, const json_t *now)
{
    const char *id = rep_sget(now, "run");
    json_t *runs = json_array();
    const json_t *e;
    size_t i;

    json_array_foreach(history, i, e)
        if (strcmp(rep_sget(e, "run"), id) != 0)
            json_array_append(runs, (json_t *)e);
    while (json_array_size(runs) > HS_HISTORY_KEEP - 1)
        json_array_remove(runs, 0);
    json_array_append(runs, (json_t *)now);
    return runs;
}

static int ctx_init(rctx *x, const hs_report_in *in, hs_buf *out)
{
    const json_t *c;
    size_t i;
    int st;

    memset(x, 0, sizeof(*x));
    x->in = in;
    x->o = out;
    x->cases = json_object_get(in->doc, "cases");
    x->now = hs_history_entry(in->doc);
    x->index = json_object();
    if (x->now == NULL || x->index == NULL)
        return -1;
    x->diff = hs_history_diff(x->now, in->baseline, in->history, &in->diff);
    x->strip = strip_runs(in->history, x->now);
    json_array_foreach(x->cases, i, c) {
        st = rep_status_of(c);
        x->counts[st]++;
        if (json_object_get(x->index, rep_sget(c, "id")) == NULL)
            json_object_set_new(x->index, rep_sget(c, "id"), json_integer((json_int_t)i));
    }
    return x->diff != NULL && x->strip != NULL ? 0 : -1;
}

static void ctx_free(rctx *x)
{
    json_decref(x->now);
    json_decref(x->diff);
    json_decref(x->index);
    json_decref(x->strip);
}

static size_t failing_now(rctx *x)
{
    return x->counts[HS_STATUS_FAILED] + x->counts[HS_STATUS_XPASSED];
}

/* ---- head and header --------------------------------------------------- */

/* base64(SHA-256(text)), the form a CSP hash source takes. */
static void csp_hash(const char *text, char b64[64])
{
    unsigned char md[SHA256_DIGEST_LENGTH];

    SHA256((const unsigned char *)text, strlen(text), md);
    EVP_EncodeBlock((unsigned char *)b64, md, SHA256_DIGEST_LENGTH);
}

/* The verdict of the page in a few words, and how alarming it is. */
static const char *headline(rctx *x, char *buf, size_t len)
{
    size_t nnew = rep_diff_count(x, "new_failures"), fail = failing_now(x);

    if (nnew > 0 && x->in->baseline != NULL) {
        snprintf(buf, len, "%zu new failure%s since the baseline", nnew,
                 nnew == 1 ? "" : "s");
        return "bad";
    }
    if (fail > 0) {
        snprintf(buf, len, "%zu failing%s", fail,
                 x->in->baseline != NULL ? ", none new" : " (no baseline yet)");
        return x->in->baseline != NULL ? "warn" : "bad";
    }
    snprintf(buf, len, "no failures%s", x->in->baseline != NULL ? ", none new"
                                                                : " (no baseline yet)");
    return "good";
}

static void page_head(rctx *x)
{
    char style_hash[64], script_hash[64], words[96];
    const json_t *run = json_object_get(x->in->doc, "run");

    csp_hash(page_style, style_hash);
    csp_hash(page_script, script_hash);
    headline(x, words, sizeof(words));
    hs_buf_printf(x->o, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
                  "<meta charset=\"utf-8\">\n"
                  "<meta http-equiv=\"Content-Security-Policy\" content=\""
                  "default-src 'none'; style-src 'sha256-%s'; "
                  "script-src 'sha256-%s'; base-uri 'none'; form-action 'none'\">\n"
                  "<meta name=\"referrer\" content=\"no-referrer\">\n"
                  "<meta name=\"viewport\" content=\"width=device-width, "
                  "initial-scale=1\">\n<title>wsfault: %s \xC2\xB7 ",
                  style_hash, script_hash, words);
    rep_esc_commit(x->o, json_object_get(run, "git_commit"));
    hs_buf_printf(x->o, "</title>\n<style>%s</style>\n</head>\n<body>\n", page_style);
}

static void totals(rctx *x)
{
    static const int shown[] = { HS_STATUS_PASSED, HS_STATUS_FAILED, HS_STATUS_XPASSED,
                                 HS_STATUS_FLAKY, HS_STATUS_XFAILED, HS_STATUS_SKIPPED };
    size_t i;
    int st;

    hs_buf_printf(x->o, "<p class=\"totals\" id=\"totals\"><b>%zu cases:</b>",
                  json_array_size(x->cases));
    for (i = 0; i < sizeof(shown) / sizeof(shown[0]); i++) {
        st = shown[i];
        if (x->counts[st] == 0 && st != HS_STATUS_PASSED && st != HS_STATUS_FAILED)
            continue;
        hs_buf_printf(x->o, " <span class=\"badge s-%s\">%zu %s</span>", rep_st_class(st),
                      x->counts[st], hs_history_status_name(st));
    }
    hs_buf_puts(x->o, "</p>\n");
}

static void page_header(rctx *x)
{
    const json_t *run = json_object_get(x->in->doc, "run");
    char words[96];
    const char *tone = headline(x, words, sizeof(words));

    hs_buf_printf(x->o, "<header>\n<h1>wsfault report</h1>\n"
                  "<p class=\"headline %s\" id=\"headline\">%s</p>\n"
                  "<p class=\"meta\">run <span class=\"mono\">", tone, words);
    rep_esc_or(x->o, json_object_get(run, "id"), "?");
    hs_buf_puts(x->o, "</span> \xC2\xB7 started ");
    rep_esc_or(x->o, json_object_get(run, "started_at"), "?");
    hs_buf_puts(x->o, " \xC2\xB7 commit <span class=\"mono\">");
    rep_esc_commit(x->o, json_object_get(run, "git_commit"));
    hs_buf_puts(x->o, "</span> \xC2\xB7 target ");
    rep_esc_or(x->o, json_object_get(run, "target"), "?");
    hs_buf_puts(x->o, " \xC2\xB7 baseline ");
    if (x->in->baseline != NULL) {
        hs_buf_puts(x->o, "<span class=\"mono\">");
        rep_esc(x->o, json_object_get(x->in->baseline, "run"));
        hs_buf_puts(x->o, "</span>");
    } else {
        hs_buf_puts(x->o, "none");
    }
    hs_buf_puts(x->o, "</p>\n");
    totals(x);
    hs_buf_puts(x->o, "<nav id=\"nav\"><a href=\"#diff\">changes</a>"
                "<a href=\"#run\">run</a><a href=\"#matrix\">seeds \xC3\x97 faults</a>"
                "<a href=\"#conformance\">conformance</a><a href=\"#fuzz\">fuzzing</a>"
                "<a href=\"#cases\">cases</a></nav>\n</header>\n<main>\n");
}

/* ---- the run ----------------------------------------------------------- */

/* One row of a two-column fact table; missing values are left out. */
static void fact(hs_buf *o, const char *label, const json_t *v)
{
    if (json_is_string(v) && json_string_length(v) > 0) {
        hs_buf_printf(o, "<tr><th>%s</th><td>", label);
        rep_esc(o, v);
        hs_buf_puts(o, "</td></tr>\n");
    } else if (json_is_number(v)) {
        hs_buf_printf(o, "<tr><th>%s</th><td>%g</td></tr>\n", label,
                      json_number_value(v));
    } else if (json_is_boolean(v)) {
        hs_buf_printf(o, "<tr><th>%s</th><td>%s</td></tr>\n", label,
                      json_is_true(v) ? "yes" : "no");
    }
}

/* The components whose versions every page names, recorded or not. */
static const char *const main_versions[] = { "libwebsockets", "jansson", "libfiu", "afl++" };

#define N_MAIN_VERSIONS (sizeof(main_versions) / sizeof(main_versions[0]))

static int is_main_version(const char *name)
{
    size_t i;

    for (i = 0; i < N_MAIN_VERSIONS; i++)
        if (strcmp(name, main_versions[i]) == 0)
            return 1;
    return 0;
}

/* The main versions first, then any others the run lists. */
static void versions(hs_buf *o, const json_t *v)
{
    const json_t *val;
    const char *k;
    size_t i;

    hs_buf_puts(o, "<tr><th>versions</th><td>");
    for (i = 0; i < N_MAIN_VERSIONS; i++) {
        hs_buf_printf(o, "%s%s ", i ? " \xC2\xB7 " : "", main_versions[i]);
        rep_esc_or(o, json_object_get(v, main_versions[i]),
                   "<span class=\"mute\">not recorded</span>");
    }
    json_object_foreach((json_t *)v, k, val) {
        if (is_main_version(k))
            continue;
        hs_buf_puts(o, " \xC2\xB7 ");
        rep_esc_s(o, k);
        hs_buf_putc(o, ' ');
        rep_esc(o, val);
    }
    hs_buf_puts(o, "</td></tr>\n");
}

static void history_fact(rctx *x)
{
    hs_buf_printf(x->o, "<tr><th>history</th><td>%zu run%s kept (at most %d)",
                  json_array_size(x->in->history),
                  json_array_size(x->in->history) == 1 ? "" : "s", HS_HISTORY_KEEP);
    if (x->in->history_file != NULL) {
        hs_buf_puts(x->o, " in <span class=\"mono\">");
        rep_esc_s(x->o, x->in->history_file);
        hs_buf_puts(x->o, "</span>");
    }
    if (x->in->history_skipped > 0)
        hs_buf_printf(x->o, "; <span class=\"warn\">%zu unreadable line%s skipped</span>",
                      x->in->history_skipped, x->in->history_skipped == 1 ? "" : "s");
    hs_buf_puts(x->o, "</td></tr>\n");
}

static void section_run(rctx *x)
{
    const json_t *run = json_object_get(x->in->doc, "run");
    const json_t *b = x->in->baseline;

    hs_buf_puts(x->o, "<section id=\"run\">\n<h2>Run</h2>\n<table class=\"facts\">\n");
    fact(x->o, "run id", json_object_get(run, "id"));
    fact(x->o, "started", json_object_get(run, "started_at"));
    fact(x->o, "duration (ms)", json_object_get(run, "duration_ms"));
    fact(x->o, "git commit", json_object_get(run, "git_commit"));
    fact(x->o, "target", json_object_get(run, "target"));
    fact(x->o, "command", json_object_get(run, "command"));
    fact(x->o, "seed", json_object_get(run, "seed"));
    fact(x->o, "jobs", json_object_get(run, "jobs"));
    fact(x->o, "shard", json_object_get(run, "shard"));
    fact(x->o, "strict", json_object_get(run, "strict"));
    fact(x->o, "build flags", json_object_get(run, "build_flags"));
    versions(x->o, json_object_get(run, "versions"));
    fact(x->o, "baseline run", json_object_get(b, "run"));
    fact(x->o, "baseline commit", json_object_get(b, "commit"));
    fact(x->o, "baseline started", json_object_get(b, "date"));
    fact(x->o, "baseline command", json_object_get(b, "command"));
    history_fact(x);
    hs_buf_puts(x->o, "</table>\n</section>\n");
}

/* ---- the page ---------------------------------------------------------- */

static void page_foot(rctx *x)
{
    hs_buf_printf(x->o, "</main>\n<footer>Written by build/harness from results.json "
                  "(format %s). Rebuild it with <code>build/harness report "
                  "results.json</code> or <code>make report</code>; pin a baseline with "
                  "<code>--baseline OTHER/results.json</code>.</footer>\n"
                  "<script>%s</script>\n</body>\n</html>\n",
                  HS_RESULTS_FORMAT, page_script);
}

int hs_report_render(const hs_report_in *in, hs_buf *out, char *err,
                     size_t errlen)
{
    rctx x;
    int rc = -1;

    if (hs_results_check(in->doc, err, errlen) != 0)
        return -1;
    if (ctx_init(&x, in, out) != 0)
        goto out;
    page_head(&x);
    page_header(&x);
    rep_section_diff(&x);
    section_run(&x);
    rep_section_matrix(&x);
    rep_section_conformance(&x);
    rep_section_bench(&x);
    rep_section_fuzz(&x);
    rep_section_cases(&x);
    page_foot(&x);
    rc = hs_buf_failed(out) ? -1 : 0;
out:
    ctx_free(&x);
    if (rc != 0)
        hs_errf(err, errlen, "report: out of memory");
    return rc;
}

int hs_report_write(const hs_report_in *in, const char *path, char *err,
                    size_t errlen)
{
    hs_buf b = HS_BUF_INIT;
    int rc = -1;

    if (hs_report_render(in, &b, err, errlen) == 0)
        rc = hs_fs_write_atomic(path, b.p, b.len, err, errlen);
    hs_buf_free(&b);
    return rc;
}

/* ---- after a run -------------------------------------------------------- */

/*
 * The run as it goes into the history, with the fuzz figures of the moment
 * so that a later page can tell one campaign from the next.
 */
static json_t *run_entry(const json_t *doc, const json_t *fuzz)
{
    json_t *e = hs_history_entry(doc);

    if (e != NULL && fuzz != NULL)
        json_object_set_new(e, "fuzz", hs_fuzzstats_brief(fuzz));
    return e;
}

static const char *doc_run_id(const json_t *doc)
{
    return rep_sget(json_object_get(doc, "run"), "id");
}

/* reports/bench.json when make bench has written one; NULL otherwise. */
static json_t *load_bench(void)
{
    json_t *b = json_load_file(HS_BENCH_DEFAULT, 0, NULL);

    if (!json_is_object(b)) {
        json_decref(b);
        return NULL;
    }
    return b;
}

/* Say which baseline the page compares with, and why that one. */
static void explain_baseline(hs_report_in *in, size_t earlier_all)
{
    size_t mine = json_array_size(in->history);

    if (in->baseline_file != NULL)
        snprintf(in->baseline_why, sizeof(in->baseline_why), "pinned with --baseline");
    else if (in->baseline != NULL)
        snprintf(in->baseline_why, sizeof(in->baseline_why), "the last earlier run of "
                 "the same target and selection");
    else if (earlier_all > mine)
        snprintf(in->baseline_why, sizeof(in->baseline_why), "none: the history has "
                 "%zu run%s of other targets or selections only", earlier_all - mine,
                 earlier_all - mine == 1 ? "" : "s");
    else
        snprintf(in->baseline_why, sizeof(in->baseline_why), "none: the first run of "
                 "this target and selection in the history");
}

/* The history file, and the runs of this document's target among it. */
static int load_history(hs_report_in *in, char *err, size_t errlen)
{
    json_t *all = NULL, *now;
    int rc = hs_history_load(in->history_file, &all, &in->history_skipped, err, errlen);

    in->history_all = all;
    if (rc != 0)
        return rc;
    now = hs_history_entry(in->doc);
    in->history = now != NULL ? hs_history_of_target(all, now) : NULL;
    json_decref(now);
    if (in->history == NULL) {
        hs_errf(err, errlen, "history %s: out of memory", in->history_file);
        return -1;
    }
    return 0;
}

int hs_report_gather(hs_report_in *in, const hs_report_sources *src, char *err,
                     size_t errlen)
{
    json_t *base = NULL, *fuzz = NULL;
    int rc;

    in->history_file = src->history != NULL ? src->history : HS_HISTORY_DEFAULT;
    in->baseline_file = src->baseline;
    rc = load_history(in, err, errlen);
    if (rc == 0)
        rc = hs_history_baseline(src->baseline, in->history, doc_run_id(in->doc), &base,
                                 err, errlen);
    in->baseline = base;
    if (rc == 0)
        explain_baseline(in, json_array_size(in->history_all));
    if (rc == 0)
        rc = hs_fuzzstats_load(src->fuzz_out ? src->fuzz_out : HS_FUZZ_OUT_DEFAULT,
                               src->fuzz_regressions ? src->fuzz_regressions
                                                     : HS_FUZZ_REGRESSIONS_DEFAULT,
                               &fuzz, err, errlen);
    in->fuzz = fuzz;
    in->bench = rc == 0 ? load_bench() : NULL;
    return rc;
}

void hs_report_release(hs_report_in *in)
{
    json_decref((json_t *)in->history);
    json_decref((json_t *)in->history_all);
    json_decref((json_t *)in->baseline);
    json_decref((json_t *)in->fuzz);
    json_decref((json_t *)in->bench);
    in->history = in->history_all = in->baseline = in->fuzz = in->bench = NULL;
}

int hs_report_after_run(const json_t *doc, const char *dir,
                        const char *history_path, const char *baseline_path,
                        char *err, size_t errlen)
{
    static const hs_diff_opts dflt = HS_DIFF_OPTS_DEFAULT;
    hs_report_in in = { .doc = doc, .diff = dflt };
    hs_report_sources src = { .history = history_path, .baseline = baseline_path };
    char *path = NULL, hist_err[512] = "";
    int rc = -1, saved;

    if (hs_results_check(doc, err, errlen) != 0 ||
        hs_report_gather(&in, &src, err, errlen) != 0)
        goto out;
    /* The baseline was chosen before this run joined the history. */
    if (hs_history_add((json_t *)in.history, run_entry(doc, in.fuzz), HS_HISTORY_KEEP) != 0 ||
        hs_history_add((json_t *)in.history_all, run_entry(doc, in.fuzz),
                       HS_HISTORY_KEEP) != 0) {
        hs_errf(err, errlen, "history %s: out of memory", in.history_file);
        goto out;
    }
    if (asprintf(&path, "%s/index.html", dir) < 0) {
        path = NULL;
        hs_errf(err, errlen, "report: out of memory");
        goto out;
    }
    saved = hs_history_save(in.history_all, in.history_file, hist_err, sizeof(hist_err));
    rc = hs_report_write(&in, path, err, errlen);
    if (rc == 0 && saved != 0) {
        hs_errf(err, errlen, "%s", hist_err);
        rc = -1;
    }
out:
    hs_report_release(&in);
    free(path);
    return rc;
}

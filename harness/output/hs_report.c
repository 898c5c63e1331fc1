/*
 * hs_report: the HTML regression report (see hs_report.h).
 *
 * Rendering is one pass of small section writers over a context that holds
 * the run as a history entry, its diff against the baseline, the runs of
 * the history strips and an id -> position index. Our own markup goes out
 * with hs_buf_puts/printf; anything read from the document, the history or
 * the fuzz summary goes through one of the esc_* helpers below, which all
 * end in hs_escape_html. Numbers are printed from doubles and integers,
 * never copied as text.
 */
#include "util/hs_buf.h"
#include "output/hs_report.h"

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/hs_escape.h"
#include "util/hs_fsutil.h"
#include "output/hs_fuzzstats.h"
#include "output/hs_results.h"

#define MESSAGE_MAX 400         /* bytes of a reason shown in a diff table */
#define TEXT_MAX 2048           /* bytes of a frame's text shown */
#define HEX_MAX 128             /* hex digits of a frame shown */
#define LOG_MAX (32 * 1024)     /* bytes of a log excerpt shown */
#define TITLE_MAX 200           /* bytes of a case title in a summary line */
#define COMMIT_SHORT 12         /* characters of a commit id in running text */
#define DIFF_OPEN_ROWS 25       /* longer diff lists start folded */

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

/* DESIGN.md's degradation contract; 0 is the scenario's own expectation. */
static const char *const clause_text[] = {
    "the scenario's own expectation",
    "a well-formed upgrade gets 101, never 5xx",
    "no close 1011, no abnormal close unless the transport was broken",
    "every request gets a terminal answer, events in order",
    "degraded operation is visible: a notice, and /health names it",
    "the target survives, no sanitizer report, counts back to baseline",
    "every log line is one JSON object, states are strings",
    "an enabled fault that never fired has tested nothing",
};

#define N_CLAUSES ((json_int_t)(sizeof(clause_text) / sizeof(clause_text[0])))

/* Strip glyphs per status, then for a run without the case. */
static const char *const glyphs[HS_STATUS_COUNT] = {
    "\xE2\x9C\x93", "\xE2\x9C\x97", "s", "x", "X", "~"
};
#define GLYPH_NONE "\xC2\xB7"

/* Order of the case list: what fails the run first, plain passes last. */
static const int case_order[HS_STATUS_COUNT] = {
    HS_STATUS_FAILED, HS_STATUS_XPASSED, HS_STATUS_FLAKY, HS_STATUS_XFAILED,
    HS_STATUS_SKIPPED, HS_STATUS_PASSED
};

typedef struct rctx {
    const hs_report_in *in;
    hs_buf *o;
    const json_t *cases;        /* the document's cases */
    json_t *now;                /* the run as a history entry */
    json_t *diff;               /* hs_history_diff(now, baseline) */
    json_t *index;              /* case id -> position in cases */
    json_t *strip;              /* entries of the history strips, now last */
    size_t counts[HS_STATUS_COUNT];
} rctx;

/* ---- escaped output ---------------------------------------------------- */

static const char *sget(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static void esc(hs_buf *o, const json_t *v)
{
    hs_escape_json(hs_escape_html, v, o);
}

static void esc_s(hs_buf *o, const char *s)
{
    hs_escape_str(hs_escape_html, s, o);
}

/* At most max bytes, cut between characters, an ellipsis when cut. */
static void esc_clip(hs_buf *o, const json_t *v, size_t max)
{
    const char *s = json_string_value(v);
    size_t n = json_string_length(v), k;

    if (s == NULL)
        return;
    k = hs_escape_clip(s, n, max);
    hs_escape_html(s, k, o);
    if (k < n)
        hs_buf_puts(o, "\xE2\x80\xA6");
}

/* The first characters of a commit id: enough to find it, short to read. */
static void esc_commit(hs_buf *o, const json_t *v)
{
    const char *s = json_string_value(v);

    if (s != NULL)
        hs_escape_html(s, hs_escape_clip(s, json_string_length(v), COMMIT_SHORT), o);
}

/* A string, or our own placeholder when it is missing or empty. */
static void esc_or(hs_buf *o, const json_t *v, const char *dflt)
{
    if (json_string_length(v) > 0)
        esc(o, v);
    else
        hs_buf_puts(o, dflt);
}

static void put_ms(hs_buf *o, double ms)
{
    if (ms >= 1000.0)
        hs_buf_printf(o, "%.2f&nbsp;s", ms / 1000.0);
    else
        hs_buf_printf(o, "%.1f&nbsp;ms", ms);
}

static int status_of(const json_t *c)
{
    return hs_history_status(sget(c, "status"));
}

/* The class suffix of a status, which is its name ("none" for no run). */
static const char *st_class(int st)
{
    return st < 0 ? "none" : hs_history_status_name(st);
}

static void badge(hs_buf *o, int st)
{
    hs_buf_printf(o, "<span class=\"badge s-%s\">%s</span>", st_class(st),
                  st < 0 ? "absent" : hs_history_status_name(st));
}

/* A case id, linked to its block below when the case is in this run. */
static void case_link(rctx *x, const char *id)
{
    const json_t *at = json_object_get(x->index, id);

    if (at != NULL)
        hs_buf_printf(x->o, "<a href=\"#c-%" JSON_INTEGER_FORMAT "\">",
                      json_integer_value(at));
    hs_buf_puts(x->o, "<span class=\"mono\">");
    esc_s(x->o, id);
    hs_buf_puts(x->o, at != NULL ? "</span></a>" : "</span>");
}

static const json_t *case_by_id(rctx *x, const char *id)
{
    const json_t *at = json_object_get(x->index, id);

    return at == NULL ? NULL : json_array_get(x->cases, (size_t)json_integer_value(at));
}

/* "contract 2" with the clause's words below it. */
static void clause_cell(hs_buf *o, const json_t *reason)
{
    const json_t *cl = json_object_get(reason, "clause");
    json_int_t n = json_integer_value(cl);

    if (!json_is_integer(cl)) {
        hs_buf_puts(o, "<td></td>");
        return;
    }
    if (n == 0)
        hs_buf_puts(o, "<td><b>expectation</b>");
    else
        hs_buf_printf(o, "<td><b>contract %" JSON_INTEGER_FORMAT "</b>", n);
    if (n >= 0 && n < N_CLAUSES)
        hs_buf_printf(o, "<br><small>%s</small>", clause_text[n]);
    hs_buf_puts(o, "</td>");
}

/*
 * The reason a case is shown by: the first broken contract clause, since
 * the contract is what the run is judged on, else the first reason.
 */
static const json_t *main_reason(const json_t *c)
{
    const json_t *reasons = json_object_get(c, "reasons"), *r;
    size_t i;

    json_array_foreach(reasons, i, r)
        if (json_integer_value(json_object_get(r, "clause")) > 0)
            return r;
    return json_array_get(reasons, 0);
}

/* The main reason's clause and message, and how many more there are. */
static void reason_cells(hs_buf *o, const json_t *c)
{
    const json_t *reasons = json_object_get(c, "reasons");
    const json_t *r = main_reason(c);
    size_t more = json_array_size(reasons);

    clause_cell(o, r);
    hs_buf_puts(o, "<td>");
    if (r == NULL)
        esc_clip(o, json_object_get(c, "known_issue"), MESSAGE_MAX);
    esc_clip(o, json_object_get(r, "message"), MESSAGE_MAX);
    if (more > 1)
        hs_buf_printf(o, " <span class=\"mute\">(+%zu more)</span>", more - 1);
    hs_buf_puts(o, "</td>");
}

/* ---- the context ------------------------------------------------------- */

/* History entries for the strips: the last ones before now, then now. */
static json_t *strip_runs(const json_t *history, const json_t *now)
{
    const char *id = sget(now, "run");
    json_t *runs = json_array();
    const json_t *e;
    size_t i;

    json_array_foreach(history, i, e)
        if (strcmp(sget(e, "run"), id) != 0)
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
        st = status_of(c);
        x->counts[st]++;
        if (json_object_get(x->index, sget(c, "id")) == NULL)
            json_object_set_new(x->index, sget(c, "id"), json_integer((json_int_t)i));
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

static size_t diff_count(rctx *x, const char *list)
{
    return json_array_size(json_object_get(x->diff, list));
}

static size_t failing_now(rctx *x)
{
    return x->counts[HS_STATUS_FAILED] + x->counts[HS_STATUS_XPASSED];
}

/* ---- history strips ---------------------------------------------------- */

static int status_in_entry(const json_t *e, const char *id)
{
    return hs_history_status(sget(json_object_get(json_object_get(e, "cases"), id),
                                  "status"));
}

static const char *glyph(int st)
{
    return st < 0 ? GLYPH_NONE : glyphs[st];
}

/* The compact strip of a summary line: runs of one status share an element. */
static void strip_compact(rctx *x, const char *id)
{
    size_t n = json_array_size(x->strip), i;
    int st, prev = -2;

    hs_buf_puts(x->o, "<span class=\"strip\">");
    for (i = 0; i < n; i++) {
        st = status_in_entry(json_array_get(x->strip, i), id);
        if (st != prev)
            hs_buf_printf(x->o, "%s<i class=\"s-%s\">", i > 0 ? "</i>" : "",
                          st_class(st));
        hs_buf_puts(x->o, glyph(st));
        prev = st;
    }
    hs_buf_puts(x->o, n > 0 ? "</i></span>" : "</span>");
}

/* The strip of a case block: one element per run, each saying which run. */
static void strip_full(rctx *x, const char *id)
{
    const json_t *e, *ce;
    size_t i;
    int st;

    hs_buf_puts(x->o, "<span class=\"strip\">");
    json_array_foreach(x->strip, i, e) {
        ce = json_object_get(json_object_get(e, "cases"), id);
        st = hs_history_status(sget(ce, "status"));
        hs_buf_printf(x->o, "<i class=\"s-%s\" title=\"run ", st_class(st));
        esc(x->o, json_object_get(e, "run"));
        hs_buf_puts(x->o, ", commit ");
        esc_commit(x->o, json_object_get(e, "commit"));
        hs_buf_printf(x->o, ": %s", st < 0 ? "not run" : hs_history_status_name(st));
        if (ce != NULL)
            hs_buf_printf(x->o, ", %.1f ms",
                          json_number_value(json_object_get(ce, "duration_ms")));
        hs_buf_printf(x->o, "\">%s</i>", glyph(st));
    }
    hs_buf_puts(x->o, "</span>");
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
    size_t nnew = diff_count(x, "new_failures"), fail = failing_now(x);

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
    esc_commit(x->o, json_object_get(run, "git_commit"));
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
        hs_buf_printf(x->o, " <span class=\"badge s-%s\">%zu %s</span>", st_class(st),
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
    esc_or(x->o, json_object_get(run, "id"), "?");
    hs_buf_puts(x->o, "</span> \xC2\xB7 started ");
    esc_or(x->o, json_object_get(run, "started_at"), "?");
    hs_buf_puts(x->o, " \xC2\xB7 commit <span class=\"mono\">");
    esc_commit(x->o, json_object_get(run, "git_commit"));
    hs_buf_puts(x->o, "</span> \xC2\xB7 target ");
    esc_or(x->o, json_object_get(run, "target"), "?");
    hs_buf_puts(x->o, " \xC2\xB7 baseline ");
    if (x->in->baseline != NULL) {
        hs_buf_puts(x->o, "<span class=\"mono\">");
        esc(x->o, json_object_get(x->in->baseline, "run"));
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

/* ---- the regression diff ----------------------------------------------- */

typedef void (*diff_row_fn)(rctx *x, const json_t *item);

static void status_cell(hs_buf *o, const char *was, const char *now)
{
    hs_buf_puts(o, "<td>");
    badge(o, hs_history_status(was));
    hs_buf_puts(o, " \xE2\x86\x92 ");
    badge(o, hs_history_status(now));
    hs_buf_puts(o, "</td>");
}

static void row_new_failure(rctx *x, const json_t *it)
{
    const char *id = sget(it, "id");

    hs_buf_puts(x->o, "<tr><td>");
    case_link(x, id);
    hs_buf_puts(x->o, json_is_null(json_object_get(it, "was"))
                          ? " <small class=\"mute\">(new case)</small></td>" : "</td>");
    status_cell(x->o, sget(it, "was"), sget(it, "now"));
    reason_cells(x->o, case_by_id(x, id));
    hs_buf_puts(x->o, "</tr>\n");
}

static void row_still(rctx *x, const json_t *it)
{
    const char *id = sget(it, "id");

    hs_buf_puts(x->o, "<tr><td>");
    case_link(x, id);
    hs_buf_puts(x->o, "</td><td>");
    if (json_is_string(json_object_get(it, "since"))) {
        hs_buf_puts(x->o, json_is_true(json_object_get(it, "at_least")) ? "at least " : "");
        hs_buf_puts(x->o, "run <span class=\"mono\">");
        esc(x->o, json_object_get(it, "since"));
        hs_buf_puts(x->o, "</span><br><small>");
        esc(x->o, json_object_get(it, "since_date"));
        hs_buf_puts(x->o, ", commit <span class=\"mono\">");
        esc_commit(x->o, json_object_get(it, "since_commit"));
        hs_buf_puts(x->o, "</span></small>");
        hs_buf_printf(x->o, "</td><td>%" JSON_INTEGER_FORMAT "</td>",
                      json_integer_value(json_object_get(it, "runs")));
    } else {
        hs_buf_puts(x->o, "the baseline (not in the history)</td><td></td>");
    }
    reason_cells(x->o, case_by_id(x, id));
    hs_buf_puts(x->o, "</tr>\n");
}

static void row_fixed(rctx *x, const json_t *it)
{
    hs_buf_puts(x->o, "<tr><td>");
    case_link(x, sget(it, "id"));
    hs_buf_puts(x->o, "</td>");
    status_cell(x->o, sget(it, "was"), sget(it, "now"));
    hs_buf_puts(x->o, "</tr>\n");
}

static void row_skipped(rctx *x, const json_t *it)
{
    const char *id = sget(it, "id");

    hs_buf_puts(x->o, "<tr><td>");
    case_link(x, id);
    hs_buf_puts(x->o, "</td>");
    status_cell(x->o, sget(it, "was"), "skipped");
    hs_buf_puts(x->o, "<td>");
    esc_clip(x->o, json_object_get(case_by_id(x, id), "skip_reason"), MESSAGE_MAX);
    hs_buf_puts(x->o, "</td></tr>\n");
}

static void row_flaky(rctx *x, const json_t *it)
{
    const char *id = sget(it, "id");
    const char *why = sget(it, "why");

    hs_buf_puts(x->o, "<tr><td>");
    case_link(x, id);
    hs_buf_puts(x->o, "</td><td>");
    if (strcmp(why, "repeats") == 0)
        hs_buf_puts(x->o, "failed, then passed on a repeat in this run");
    else
        hs_buf_printf(x->o, "passed and failed in turn: the outcome changed %"
                      JSON_INTEGER_FORMAT " times across the history",
                      json_integer_value(json_object_get(it, "flips")));
    hs_buf_puts(x->o, "</td><td>");
    strip_compact(x, id);
    hs_buf_puts(x->o, "</td></tr>\n");
}

static void row_slower(rctx *x, const json_t *it)
{
    double was = json_number_value(json_object_get(it, "was_ms"));
    double now = json_number_value(json_object_get(it, "now_ms"));

    hs_buf_puts(x->o, "<tr><td>");
    case_link(x, sget(it, "id"));
    hs_buf_puts(x->o, "</td><td>");
    put_ms(x->o, was);
    hs_buf_puts(x->o, "</td><td>");
    put_ms(x->o, now);
    hs_buf_puts(x->o, "</td><td>+");
    put_ms(x->o, now - was);
    if (was > 0.0)
        hs_buf_printf(x->o, " (+%.0f%%)", (now - was) * 100.0 / was);
    hs_buf_puts(x->o, "</td></tr>\n");
}

static void verdict_text(hs_buf *o, const json_t *v)
{
    if (v == NULL || json_is_null(v)) {
        hs_buf_puts(o, "<span class=\"mute\">none</span>");
        return;
    }
    esc_or(o, json_object_get(v, "behavior"), "?");
    hs_buf_puts(o, " / close ");
    esc_or(o, json_object_get(v, "close"), "?");
}

static void row_verdict(rctx *x, const json_t *it)
{
    hs_buf_puts(x->o, "<tr><td>");
    case_link(x, sget(it, "id"));
    hs_buf_puts(x->o, "</td><td>");
    verdict_text(x->o, json_object_get(it, "was"));
    hs_buf_puts(x->o, "</td><td>");
    verdict_text(x->o, json_object_get(it, "now"));
    hs_buf_puts(x->o, "</td></tr>\n");
}

/*
 * One list of the diff as a table. New failures are always open; a long
 * other list is folded, so that it does not push the rest off the screen,
 * and cut after HS_REPORT_DIFF_ROWS rows with a count.
 */
static void diff_table(rctx *x, const char *list, const char *title,
                       const char *tone, const char *head, diff_row_fn row)
{
    const json_t *items = json_object_get(x->diff, list), *it;
    size_t n = json_array_size(items), i;
    int open = n <= DIFF_OPEN_ROWS || strcmp(list, "new_failures") == 0;

    if (n == 0)
        return;
    hs_buf_printf(x->o, "<details class=\"diff\" id=\"d-%s\"%s><summary><h3 class=\"%s\">"
                  "%s (%zu)</h3></summary>\n<table class=\"diff\"><thead><tr>%s</tr>"
                  "</thead><tbody>\n", list, open ? " open" : "", tone, title, n, head);
    json_array_foreach(items, i, it) {
        if (i == HS_REPORT_DIFF_ROWS) {
            hs_buf_printf(x->o, "<tr><td colspan=\"6\">%zu more, in the case list "
                          "below</td></tr>\n", n - i);
            break;
        }
        row(x, it);
    }
    hs_buf_puts(x->o, "</tbody></table>\n</details>\n");
}

/* Added and removed cases: ids only, folded away when there are many. */
static void diff_ids(rctx *x, const char *list, const char *title)
{
    const json_t *items = json_object_get(x->diff, list), *it;
    size_t n = json_array_size(items), i;

    if (n == 0)
        return;
    hs_buf_printf(x->o, "<details class=\"diff\" id=\"d-%s\"%s><summary><h3>%s (%zu)</h3>"
                  "</summary>\n<ul class=\"ids\">\n", list, n <= DIFF_OPEN_ROWS ? " open" : "",
                  title, n);
    json_array_foreach(items, i, it) {
        if (i == HS_REPORT_DIFF_ROWS) {
            hs_buf_printf(x->o, "<li>%zu more</li>\n", n - i);
            break;
        }
        hs_buf_puts(x->o, "<li>");
        case_link(x, json_string_value(it));
        hs_buf_puts(x->o, "</li>\n");
    }
    hs_buf_puts(x->o, "</ul></details>\n");
}

/* The one-line tally under the section title, listing every non-empty list. */
static void diff_tally(rctx *x)
{
    static const char *const lists[][2] = {
        { "new_failures", "new failures" }, { "still_failing", "still failing" },
        { "fixed", "fixed" }, { "newly_skipped", "newly skipped" },
        { "flaky", "flaky" }, { "slower", "slower" },
        { "verdicts", "verdict changes" }, { "added", "new cases" },
        { "removed", "removed cases" },
    };
    size_t i, n, shown = 0;

    hs_buf_puts(x->o, "<p>");
    for (i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
        n = diff_count(x, lists[i][0]);
        if (n == 0)
            continue;
        hs_buf_printf(x->o, "%s<a href=\"#d-%s\">%zu %s</a>", shown++ ? " \xC2\xB7 " : "",
                      lists[i][0], n, lists[i][1]);
    }
    if (shown == 0)
        hs_buf_puts(x->o, "<span class=\"good\">Nothing changed: no new failure, "
                    "no fix, nothing newly skipped, flaky or slower.</span>");
    hs_buf_puts(x->o, "</p>\n");
}

static void diff_intro(rctx *x)
{
    const json_t *b = x->in->baseline;

    if (b == NULL) {
        hs_buf_puts(x->o, "<p>No baseline yet: this is the first run in the history, "
                    "so every failure below counts as new.</p>\n");
        return;
    }
    hs_buf_puts(x->o, "<p class=\"meta\">Baseline: run <span class=\"mono\">");
    esc(x->o, json_object_get(b, "run"));
    hs_buf_puts(x->o, "</span>, started ");
    esc_or(x->o, json_object_get(b, "date"), "?");
    hs_buf_puts(x->o, ", commit <span class=\"mono\">");
    esc_commit(x->o, json_object_get(b, "commit"));
    hs_buf_puts(x->o, "</span> (");
    if (x->in->baseline_file != NULL) {
        hs_buf_puts(x->o, "pinned: ");
        esc_s(x->o, x->in->baseline_file);
    } else {
        hs_buf_puts(x->o, "the previous run in the history");
    }
    hs_buf_printf(x->o, "). Slower means a median over repeats at least %.0f%% "
                  "and %.0f&nbsp;ms above the baseline's.</p>\n",
                  x->in->diff.slower_rel * 100.0, x->in->diff.slower_abs_ms);
}

static void section_diff(rctx *x)
{
    hs_buf_puts(x->o, "<section id=\"diff\">\n<h2>What changed since the baseline</h2>\n");
    diff_intro(x);
    diff_tally(x);
    diff_table(x, "new_failures", "New failures", "bad",
               "<th>case</th><th>status</th><th>clause broken</th><th>observed</th>",
               row_new_failure);
    diff_table(x, "still_failing", "Still failing", "warn",
               "<th>case</th><th>failing since</th><th>runs</th><th>clause broken</th>"
               "<th>observed</th>", row_still);
    diff_table(x, "fixed", "Fixed", "good", "<th>case</th><th>status</th>", row_fixed);
    diff_table(x, "newly_skipped", "Newly skipped", "warn",
               "<th>case</th><th>status</th><th>why</th>", row_skipped);
    diff_table(x, "flaky", "Flaky", "warn",
               "<th>case</th><th>why</th><th>last runs</th>", row_flaky);
    diff_table(x, "slower", "Slower", "warn", "<th>case</th><th>baseline median</th>"
               "<th>median now</th><th>change</th>", row_slower);
    diff_table(x, "verdicts", "Conformance verdict changes", "warn",
               "<th>case</th><th>baseline</th><th>now</th>", row_verdict);
    diff_ids(x, "added", "New cases");
    diff_ids(x, "removed", "Removed cases");
    hs_buf_puts(x->o, "</section>\n");
}

/* ---- the run ----------------------------------------------------------- */

/* One row of a two-column fact table; missing values are left out. */
static void fact(hs_buf *o, const char *label, const json_t *v)
{
    if (json_is_string(v) && json_string_length(v) > 0) {
        hs_buf_printf(o, "<tr><th>%s</th><td>", label);
        esc(o, v);
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
        esc_or(o, json_object_get(v, main_versions[i]),
               "<span class=\"mute\">not recorded</span>");
    }
    json_object_foreach((json_t *)v, k, val) {
        if (is_main_version(k))
            continue;
        hs_buf_puts(o, " \xC2\xB7 ");
        esc_s(o, k);
        hs_buf_putc(o, ' ');
        esc(o, val);
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
        esc_s(x->o, x->in->history_file);
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
        seed = sget(c, "seed");
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
    esc_s(o, name);
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
        st = status_of(c);
        hs_buf_printf(x->o, "<a class=\"s-%s\" href=\"#c-%" JSON_INTEGER_FORMAT
                      "\" title=\"", st_class(st), json_integer_value(pos));
        esc(x->o, json_object_get(c, "id"));
        hs_buf_printf(x->o, ": %s; fired %" JSON_INTEGER_FORMAT " of %" JSON_INTEGER_FORMAT
                      " reached\">%s</a>", hs_history_status_name(st), fired,
                      json_integer_value(json_object_get(f, "reached")), glyph(st));
    }
    hs_buf_puts(x->o, "</td>");
}

static void matrix_row(rctx *x, const matrix *m, const char *seed, const json_t *positions)
{
    size_t i, pass = 0, n = json_array_size(positions);

    for (i = 0; i < n; i++)
        pass += !hs_history_failing(status_of(json_array_get(
            x->cases, (size_t)json_integer_value(json_array_get(positions, i)))));
    hs_buf_puts(x->o, "<tr><th class=\"mono\">");
    esc_s(x->o, seed);
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

static void section_matrix(rctx *x)
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
    const char *suite = sget(c, "suite");

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
    esc_or(x->o, now, "\xE2\x80\x94");
    if (changed) {
        hs_buf_puts(x->o, " <small>(was ");
        hs_escape_str(hs_escape_html, w != NULL ? w : "none", x->o);
        hs_buf_puts(x->o, ")</small>");
    }
    hs_buf_puts(x->o, "</td>");
}

static void conformance_row(rctx *x, const json_t *c, size_t i)
{
    const char *id = sget(c, "id");
    const json_t *v = json_object_get(c, "verdict");
    const json_t *base = json_object_get(json_object_get(x->in->baseline, "cases"), id);
    const json_t *bv = json_object_get(base, "verdict");
    int st = status_of(c);

    hs_buf_printf(x->o, "<tr><td><a class=\"mono\" href=\"#c-%zu\">", i);
    esc(x->o, json_object_get(c, "id"));
    hs_buf_puts(x->o, "</a></td>");
    verdict_cell(x, behavior_tiers, json_object_get(v, "behavior"),
                 json_object_get(bv, "behavior"), base != NULL);
    verdict_cell(x, close_tiers, json_object_get(v, "close"),
                 json_object_get(bv, "close"), base != NULL);
    hs_buf_puts(x->o, "<td>");
    badge(x->o, st);
    hs_buf_puts(x->o, "</td><td>");
    esc_clip(x->o, json_object_get(c, "title"), TITLE_MAX);
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
        b = sget(json_object_get(c, "verdict"), "behavior");
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

static void section_conformance(rctx *x)
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

/* A number with the given decimals and unit, or a dash when missing. */
static void num_cell(hs_buf *o, const json_t *t, const char *key, int decimals,
                     const char *unit)
{
    const json_t *v = json_object_get(t, key);

    if (json_is_number(v))
        hs_buf_printf(o, "<td>%.*f%s</td>", decimals, json_number_value(v), unit);
    else
        hs_buf_puts(o, "<td>\xE2\x80\x94</td>");
}

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
    const char *now_id = sget(x->now, "run");
    size_t i = json_array_size(x->in->history);
    const json_t *e, *f;

    while (i-- > 0) {
        e = json_array_get(x->in->history, i);
        f = json_object_get(json_object_get(e, "fuzz"), target);
        if (strcmp(sget(e, "run"), now_id) == 0 || f == NULL)
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
    esc_s(x->o, target);
    hs_buf_puts(x->o, "</th>");
    num_cell(x->o, t, "instances", 0, "");
    num_cell(x->o, t, "execs_done", 0, "");
    num_cell(x->o, t, "execs_per_sec", 0, "");
    num_cell(x->o, t, "corpus_count", 0, "");
    num_cell(x->o, t, "saved_crashes", 0, "");
    num_cell(x->o, t, "saved_hangs", 0, "");
    num_cell(x->o, t, "stability", 2, "%");
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
    esc_s(x->o, target);
    hs_buf_puts(x->o, "</span></h3>\n<table><thead><tr><th>bucket</th><th>signature</th>"
                "</tr></thead><tbody>\n");
    json_array_foreach(buckets, i, b) {
        hs_buf_puts(x->o, "<tr><td class=\"mono\">");
        esc(x->o, json_object_get(b, "name"));
        hs_buf_puts(x->o, "</td><td class=\"mono\">");
        esc(x->o, json_object_get(b, "signature"));
        hs_buf_puts(x->o, "</td></tr>\n");
    }
    hs_buf_puts(x->o, "</tbody></table>\n");
}

static void section_fuzz(rctx *x)
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
    esc_s(x->o, path);
    hs_buf_puts(x->o, "</th><td>");
    if (json_is_number(v))
        hs_buf_printf(x->o, "%.4g", json_number_value(v));
    else
        esc(x->o, v);
    hs_buf_puts(x->o, "</td></tr>\n");
}

/* Figures from make bench, when reports/bench.json exists: never a verdict. */
static void section_bench(rctx *x)
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

/* ---- cases ------------------------------------------------------------- */

/* Expected (the clause) against observed (the message), with where. */
static void reasons_table(hs_buf *o, const json_t *c)
{
    const json_t *reasons = json_object_get(c, "reasons"), *r;
    size_t i;

    if (json_array_size(reasons) == 0)
        return;
    hs_buf_puts(o, "<table class=\"reasons\"><thead><tr><th>clause broken "
                "(expected)</th><th>observed</th><th>step</th><th>line</th></tr>"
                "</thead><tbody>\n");
    json_array_foreach(reasons, i, r) {
        hs_buf_puts(o, "<tr>");
        clause_cell(o, r);
        hs_buf_puts(o, "<td>");
        esc_clip(o, json_object_get(r, "message"), LOG_MAX);
        hs_buf_puts(o, "</td>");
        num_cell(o, r, "step", 0, "");
        num_cell(o, r, "line", 0, "");
        hs_buf_puts(o, "</tr>\n");
    }
    hs_buf_puts(o, "</tbody></table>\n");
}

/* A labelled paragraph for one string of the case, when it has one. */
/* A labelled row of a case's fact table, for a string the case has. */
static void fact_row(hs_buf *o, const char *label, const json_t *v)
{
    if (json_string_length(v) == 0)
        return;
    hs_buf_printf(o, "<tr><th>%s</th><td>", label);
    esc_clip(o, v, LOG_MAX);
    hs_buf_puts(o, "</td></tr>\n");
}

static void case_facts(hs_buf *o, const json_t *c)
{
    const json_t *tags = json_object_get(c, "tags"), *t;
    size_t i;

    hs_buf_puts(o, "<p class=\"meta\">file <span class=\"mono\">");
    esc_or(o, json_object_get(c, "file"), "?");
    hs_buf_puts(o, "</span> \xC2\xB7 suite ");
    esc_or(o, json_object_get(c, "suite"), "?");
    if (json_is_string(json_object_get(c, "seed"))) {
        hs_buf_puts(o, " \xC2\xB7 seed failure <span class=\"mono\">");
        esc(o, json_object_get(c, "seed"));
        hs_buf_puts(o, "</span>");
    }
    json_array_foreach(tags, i, t) {
        hs_buf_puts(o, i == 0 ? " \xC2\xB7 tags " : ", ");
        esc(o, t);
    }
    hs_buf_puts(o, "</p>\n");
}

static void durations(hs_buf *o, const json_t *c)
{
    const json_t *d = json_object_get(c, "durations_ms"), *v;
    size_t i;

    hs_buf_puts(o, "<tr><th>duration</th><td>median ");
    put_ms(o, hs_history_median(c));
    if (json_array_size(d) > 1) {
        hs_buf_printf(o, " over %zu repeats (ms):", json_array_size(d));
        json_array_foreach(d, i, v)
            hs_buf_printf(o, " %.1f", json_number_value(v));
    }
    hs_buf_puts(o, "</td></tr>\n");
}

/* The faults row of the fact table: each point, fired and reached counts. */
static void faults_row(hs_buf *o, const json_t *c)
{
    const json_t *faults = json_object_get(c, "faults"), *f;
    const char *name;
    json_int_t fired;
    size_t i = 0;

    if (json_object_size(faults) == 0)
        return;
    hs_buf_puts(o, "<tr><th>faults</th><td>");
    json_object_foreach((json_t *)faults, name, f) {
        fired = json_integer_value(json_object_get(f, "fired"));
        hs_buf_printf(o, "%s<span class=\"mono%s\">", i++ ? "<br>" : "",
                      fired > 0 ? "" : " warn");
        esc_s(o, name);
        hs_buf_printf(o, "</span> fired %" JSON_INTEGER_FORMAT " of %" JSON_INTEGER_FORMAT
                      " reached", fired, json_integer_value(json_object_get(f, "reached")));
    }
    hs_buf_puts(o, "</td></tr>\n");
}

/* Classes chosen by comparison: the entry's own text never names a class. */
static const char *wire_class(const json_t *e)
{
    const char *dir = sget(e, "dir");
    json_int_t code = json_integer_value(json_object_get(e, "close_code"));

    if (code == 1011 || code == 1006)
        return "close-bad";
    if (dir != NULL && strcmp(dir, "sent") == 0)
        return "w-sent";
    if (dir != NULL && strcmp(dir, "recv") == 0)
        return "w-recv";
    return "w-note";
}

static void flag_cell(hs_buf *o, const json_t *v)
{
    hs_buf_printf(o, "<td>%s</td>", json_is_true(v) ? "1" : json_is_false(v) ? "0" : "");
}

static void int_cell(hs_buf *o, const json_t *v)
{
    if (json_is_integer(v))
        hs_buf_printf(o, "<td>%" JSON_INTEGER_FORMAT "</td>", json_integer_value(v));
    else
        hs_buf_puts(o, "<td></td>");
}

/* What a frame carried: close code and reason first, then the text. */
static void wire_text(hs_buf *o, const json_t *e)
{
    const json_t *code = json_object_get(e, "close_code");

    hs_buf_puts(o, "<td class=\"text\">");
    if (json_is_integer(code)) {
        hs_buf_printf(o, "<b>close %" JSON_INTEGER_FORMAT "</b> ", json_integer_value(code));
        esc_clip(o, json_object_get(e, "close_reason"), TEXT_MAX);
    } else {
        esc_clip(o, json_object_get(e, "text"), TEXT_MAX);
    }
    if (json_is_true(json_object_get(e, "truncated")))
        hs_buf_puts(o, " <small class=\"mute\">(payload cut)</small>");
    hs_buf_puts(o, "</td>");
}

/* The length, and the one the header claimed when a sent frame lied. */
static void len_cell(hs_buf *o, const json_t *e)
{
    const json_t *len = json_object_get(e, "len");
    const json_t *declared = json_object_get(e, "declared_len");

    hs_buf_puts(o, "<td>");
    if (json_is_integer(len))
        hs_buf_printf(o, "%" JSON_INTEGER_FORMAT, json_integer_value(len));
    if (json_is_integer(declared))
        hs_buf_printf(o, " <small>(header: %" JSON_INTEGER_FORMAT ")</small>",
                      json_integer_value(declared));
    hs_buf_puts(o, "</td>");
}

static void wire_row(hs_buf *o, const json_t *e, size_t n)
{
    hs_buf_printf(o, "<tr class=\"%s\"><td>%zu</td><td>%.1f</td><td>", wire_class(e), n,
                  json_number_value(json_object_get(e, "t_ms")));
    esc(o, json_object_get(e, "dir"));
    hs_buf_puts(o, "</td><td>");
    esc(o, json_object_get(e, "what"));
    hs_buf_puts(o, "</td><td>");
    esc(o, json_object_get(e, "op"));
    if (json_is_integer(json_object_get(e, "opcode")))
        hs_buf_printf(o, " (%" JSON_INTEGER_FORMAT ")",
                      json_integer_value(json_object_get(e, "opcode")));
    hs_buf_puts(o, "</td>");
    flag_cell(o, json_object_get(e, "fin"));
    int_cell(o, json_object_get(e, "rsv"));
    flag_cell(o, json_object_get(e, "masked"));
    len_cell(o, e);
    hs_buf_puts(o, "<td class=\"hex\">");
    esc_clip(o, json_object_get(e, "hex"), HEX_MAX);
    hs_buf_puts(o, "</td>");
    wire_text(o, e);
    hs_buf_puts(o, "</tr>\n");
}

/*
 * One connection's transcript. A long one keeps its head (the handshake)
 * and its larger tail (where a failure shows), with the gap counted.
 */
static void wire_table(hs_buf *o, const char *conn, const json_t *entries)
{
    size_t n = json_array_size(entries), head = n, tail_from = n, i;

    if (n > HS_REPORT_TRANSCRIPT_ROWS) {
        head = HS_REPORT_TRANSCRIPT_ROWS / 4;
        tail_from = n - (HS_REPORT_TRANSCRIPT_ROWS - head);
    }
    hs_buf_puts(o, "<h4>wire: connection <span class=\"mono\">");
    esc_s(o, conn);
    hs_buf_printf(o, "</span> (%zu entries)</h4>\n<table class=\"wire\"><thead><tr>"
                  "<th>#</th><th>t&nbsp;ms</th><th>dir</th><th>what</th><th>op</th>"
                  "<th>fin</th><th>rsv</th><th>mask</th><th>len</th><th>hex</th>"
                  "<th>text</th></tr></thead><tbody>\n", n);
    for (i = 0; i < n; i++) {
        if (i == head && head < tail_from) {
            hs_buf_printf(o, "<tr class=\"w-note\"><td colspan=\"11\">%zu entries not "
                          "shown here; all are in results.json</td></tr>\n",
                          tail_from - head);
            i = tail_from;
        }
        wire_row(o, json_array_get(entries, i), i + 1);
    }
    hs_buf_puts(o, "</tbody></table>\n");
}

static void transcript(hs_buf *o, const json_t *c)
{
    const json_t *t = json_object_get(c, "transcript"), *entries;
    const char *conn;

    json_object_foreach((json_t *)t, conn, entries)
        if (json_is_array(entries))
            wire_table(o, conn, entries);
}

static void log_excerpt(hs_buf *o, const json_t *c)
{
    const json_t *log = json_object_get(c, "log_excerpt");

    if (json_string_length(log) == 0)
        return;
    hs_buf_puts(o, "<h4>gateway log (last lines)</h4>\n<pre class=\"log\">");
    esc_clip(o, log, LOG_MAX);
    hs_buf_puts(o, "</pre>\n");
}

/* The line that names the case when folded: status, id, title, clause, time. */
static void case_summary(rctx *x, const json_t *c, int st)
{
    const json_t *r = main_reason(c);
    const json_t *cl = json_object_get(r, "clause");

    hs_buf_puts(x->o, "<summary>");
    badge(x->o, st);
    hs_buf_puts(x->o, " <span class=\"id\">");
    esc(x->o, json_object_get(c, "id"));
    hs_buf_puts(x->o, "</span> <span class=\"title\">");
    esc_clip(x->o, json_object_get(c, "title"), TITLE_MAX);
    hs_buf_puts(x->o, "</span>");
    if (hs_history_failing(st) && json_is_integer(cl))
        hs_buf_printf(x->o, json_integer_value(cl) > 0
                      ? " <span class=\"clause\">contract %" JSON_INTEGER_FORMAT "</span>"
                      : " <span class=\"clause\">expectation</span>",
                      json_integer_value(cl));
    hs_buf_puts(x->o, " <span class=\"dur\">");
    put_ms(x->o, hs_history_median(c));
    hs_buf_puts(x->o, "</span> ");
    strip_compact(x, sget(c, "id"));
    hs_buf_puts(x->o, "</summary>\n");
}

/*
 * A plain pass in a big run shows its facts only: its transcript and log
 * are in results.json, and leaving them out keeps a 10,000-case page
 * quick to open. Everything else shows all it has. The per-run strip with
 * its run names is for cases that did not simply pass; a pass has the
 * compact strip of its summary line.
 */
static void case_body(rctx *x, const json_t *c, int st)
{
    int full = st != HS_STATUS_PASSED ||
               json_array_size(x->cases) <= HS_REPORT_FULL_CASES;

    case_facts(x->o, c);
    reasons_table(x->o, c);
    hs_buf_puts(x->o, "<table class=\"facts\">\n<tr><th>reproduce</th><td><code>");
    esc_or(x->o, json_object_get(c, "repro"), "(no command recorded)");
    hs_buf_puts(x->o, "</code></td></tr>\n");
    fact_row(x->o, "skipped", json_object_get(c, "skip_reason"));
    fact_row(x->o, "known issue", json_object_get(c, "known_issue"));
    durations(x->o, c);
    faults_row(x->o, c);
    if (st != HS_STATUS_PASSED) {
        hs_buf_puts(x->o, "<tr><th>last runs</th><td>");
        strip_full(x, sget(c, "id"));
        hs_buf_puts(x->o, " <small class=\"mute\">oldest first, this run last</small>"
                    "</td></tr>\n");
    }
    hs_buf_puts(x->o, "</table>\n");
    if (full) {
        transcript(x->o, c);
        log_excerpt(x->o, c);
    }
}

/*
 * What the filter box matches: id, status, suite and seed, lower-cased
 * (ASCII only: ids are ASCII, and other bytes must stay as they are).
 */
static void filter_key(hs_buf *o, const json_t *c)
{
    hs_buf raw = HS_BUF_INIT;
    size_t i;

    hs_buf_printf(&raw, "%s %s %s %s", sget(c, "id"), sget(c, "status"),
                  sget(c, "suite") ? sget(c, "suite") : "",
                  sget(c, "seed") ? sget(c, "seed") : "");
    for (i = 0; i < raw.len; i++)
        if (raw.p[i] >= 'A' && raw.p[i] <= 'Z')
            raw.p[i] = (char)(raw.p[i] - 'A' + 'a');
    if (hs_buf_failed(&raw))
        o->failed = 1;
    else
        hs_escape_html(raw.p, raw.len, o);
    hs_buf_free(&raw);
}

static void case_block(rctx *x, const json_t *c, size_t i)
{
    int st = status_of(c);
    int open = hs_history_failing(st) || st == HS_STATUS_FLAKY;

    hs_buf_printf(x->o, "<details class=\"case s-%s\" id=\"c-%zu\" data-key=\"",
                  st_class(st), i);
    filter_key(x->o, c);
    hs_buf_puts(x->o, open ? "\" open>\n" : "\">\n");
    case_summary(x, c, st);
    case_body(x, c, st);
    hs_buf_puts(x->o, "</details>\n");
}

static void section_cases(rctx *x)
{
    const json_t *c;
    size_t k, i;

    hs_buf_printf(x->o, "<section id=\"cases\">\n<h2>Cases (%zu)</h2>\n<p class=\"meta\">"
                  "What fails the run first, open; then flaky, known issues, skipped, "
                  "and passing cases, folded. Strips: ", json_array_size(x->cases));
    for (k = 0; k < HS_STATUS_COUNT; k++)
        hs_buf_printf(x->o, "<span class=\"strip\"><i class=\"s-%s\">%s</i></span> %s, ",
                      st_class((int)k), glyph((int)k), hs_history_status_name((int)k));
    hs_buf_puts(x->o, "<span class=\"strip\"><i class=\"s-none\">" GLYPH_NONE
                "</i></span> not run.");
    if (json_array_size(x->cases) > HS_REPORT_FULL_CASES)
        hs_buf_printf(x->o, " This run has more than %d cases: the transcripts and logs "
                      "of passing cases are left out here (they are in results.json).",
                      HS_REPORT_FULL_CASES);
    hs_buf_puts(x->o, "</p>\n");
    for (k = 0; k < HS_STATUS_COUNT; k++)
        json_array_foreach(x->cases, i, c)
            if (status_of(c) == case_order[k])
                case_block(x, c, i);
    hs_buf_puts(x->o, "</section>\n");
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
    section_diff(&x);
    section_run(&x);
    section_matrix(&x);
    section_conformance(&x);
    section_bench(&x);
    section_fuzz(&x);
    section_cases(&x);
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
    return sget(json_object_get(doc, "run"), "id");
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

int hs_report_gather(hs_report_in *in, const hs_report_sources *src, char *err,
                     size_t errlen)
{
    json_t *runs = NULL, *base = NULL, *fuzz = NULL;
    int rc;

    in->history_file = src->history != NULL ? src->history : HS_HISTORY_DEFAULT;
    in->baseline_file = src->baseline;
    rc = hs_history_load(in->history_file, &runs, &in->history_skipped, err, errlen);
    in->history = runs;
    if (rc == 0)
        rc = hs_history_baseline(src->baseline, runs, doc_run_id(in->doc), &base, err,
                                 errlen);
    in->baseline = base;
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
    json_decref((json_t *)in->baseline);
    json_decref((json_t *)in->fuzz);
    json_decref((json_t *)in->bench);
    in->history = in->baseline = in->fuzz = in->bench = NULL;
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
    if (hs_history_add((json_t *)in.history, run_entry(doc, in.fuzz), HS_HISTORY_KEEP) != 0) {
        hs_errf(err, errlen, "history %s: out of memory", in.history_file);
        goto out;
    }
    if (asprintf(&path, "%s/index.html", dir) < 0) {
        path = NULL;
        hs_errf(err, errlen, "report: out of memory");
        goto out;
    }
    saved = hs_history_save(in.history, in.history_file, hist_err, sizeof(hist_err));
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

/*
 * hs_report_case: the case list, one block per case, failing ones open
 * first: facts, expected versus observed, reproduce command, durations,
 * faults fired, the strip of its last runs, the wire transcript and the
 * log excerpt. See hs_report_parts.h.
 */
#include "output/hs_report_parts.h"

#include <string.h>

#include "util/hs_escape.h"

#define TEXT_MAX 2048           /* bytes of a frame's text shown */
#define HEX_MAX 128             /* hex digits of a frame shown */
#define LOG_MAX (32 * 1024)     /* bytes of a log excerpt shown */

/* Order of the case list: what fails the run first, plain passes last. */
static const int case_order[HS_STATUS_COUNT] = {
    HS_STATUS_FAILED, HS_STATUS_XPASSED, HS_STATUS_FLAKY, HS_STATUS_XFAILED,
    HS_STATUS_SKIPPED, HS_STATUS_PASSED
};

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
        rep_clause_cell(o, r);
        hs_buf_puts(o, "<td>");
        rep_esc_clip(o, json_object_get(r, "message"), LOG_MAX);
        hs_buf_puts(o, "</td>");
        rep_num_cell(o, r, "step", 0, "");
        rep_num_cell(o, r, "line", 0, "");
        hs_buf_puts(o, "</tr>\n");
    }
    hs_buf_puts(o, "</tbody></table>\n");
}

/* A labelled row of a case's fact table, for a string the case has. */
static void fact_row(hs_buf *o, const char *label, const json_t *v)
{
    if (json_string_length(v) == 0)
        return;
    hs_buf_printf(o, "<tr><th>%s</th><td>", label);
    rep_esc_clip(o, v, LOG_MAX);
    hs_buf_puts(o, "</td></tr>\n");
}

static void case_facts(hs_buf *o, const json_t *c)
{
    const json_t *tags = json_object_get(c, "tags"), *t;
    size_t i;

    hs_buf_puts(o, "<p class=\"meta\">file <span class=\"mono\">");
    rep_esc_or(o, json_object_get(c, "file"), "?");
    hs_buf_puts(o, "</span> \xC2\xB7 suite ");
    rep_esc_or(o, json_object_get(c, "suite"), "?");
    if (json_is_string(json_object_get(c, "seed"))) {
        hs_buf_puts(o, " \xC2\xB7 seed failure <span class=\"mono\">");
        rep_esc(o, json_object_get(c, "seed"));
        hs_buf_puts(o, "</span>");
    }
    json_array_foreach(tags, i, t) {
        hs_buf_puts(o, i == 0 ? " \xC2\xB7 tags " : ", ");
        rep_esc(o, t);
    }
    hs_buf_puts(o, "</p>\n");
}

static void durations(hs_buf *o, const json_t *c)
{
    const json_t *d = json_object_get(c, "durations_ms"), *v;
    size_t i;

    hs_buf_puts(o, "<tr><th>duration</th><td>median ");
    rep_put_ms(o, hs_history_median(c));
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
        rep_esc_s(o, name);
        hs_buf_printf(o, "</span> fired %" JSON_INTEGER_FORMAT " of %" JSON_INTEGER_FORMAT
                      " reached", fired, json_integer_value(json_object_get(f, "reached")));
    }
    hs_buf_puts(o, "</td></tr>\n");
}

/* Classes chosen by comparison: the entry's own text never names a class. */
static const char *wire_class(const json_t *e)
{
    const char *dir = rep_sget(e, "dir");
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
        rep_esc_clip(o, json_object_get(e, "close_reason"), TEXT_MAX);
    } else {
        rep_esc_clip(o, json_object_get(e, "text"), TEXT_MAX);
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
    rep_esc(o, json_object_get(e, "dir"));
    hs_buf_puts(o, "</td><td>");
    rep_esc(o, json_object_get(e, "what"));
    hs_buf_puts(o, "</td><td>");
    rep_esc(o, json_object_get(e, "op"));
    if (json_is_integer(json_object_get(e, "opcode")))
        hs_buf_printf(o, " (%" JSON_INTEGER_FORMAT ")",
                      json_integer_value(json_object_get(e, "opcode")));
    hs_buf_puts(o, "</td>");
    flag_cell(o, json_object_get(e, "fin"));
    int_cell(o, json_object_get(e, "rsv"));
    flag_cell(o, json_object_get(e, "masked"));
    len_cell(o, e);
    hs_buf_puts(o, "<td class=\"hex\">");
    rep_esc_clip(o, json_object_get(e, "hex"), HEX_MAX);
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
    rep_esc_s(o, conn);
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

/* The row's class: one of ours, whatever a (hostile) results file says. */
static const char *tl_class(const json_t *e)
{
    const char *k = rep_sget(e, "kind");

    if (k && (strcmp(k, "step") == 0 || strcmp(k, "wire") == 0 || strcmp(k, "log") == 0))
        return k;
    return "other";
}

/*
 * A wire case's timeline: its steps, the wire faults as they were set and
 * acted, and the target's log lines as the harness saw them appear (at the
 * start of the step after, so a line sits no later than its step's end).
 */
static void timeline(hs_buf *o, const json_t *c)
{
    const json_t *t = json_object_get(c, "timeline"), *e;
    size_t i;

    if (!json_array_size(t))
        return;
    hs_buf_puts(o, "<h4>timeline: steps, wire faults, target log</h4>\n<table class=\"wire timeline\">"
                "<thead><tr><th>t&nbsp;ms</th><th>what</th><th>conn</th><th>text</th></tr>"
                "</thead><tbody>\n");
    json_array_foreach(t, i, e) {
        hs_buf_printf(o, "<tr class=\"tl-%s\"><td>%.1f</td><td>", tl_class(e),
                      json_number_value(json_object_get(e, "t_ms")));
        rep_esc(o, json_object_get(e, "kind"));
        hs_buf_puts(o, "</td><td class=\"mono\">");
        rep_esc(o, json_object_get(e, "conn"));
        hs_buf_puts(o, "</td><td class=\"mono\">");
        rep_esc_clip(o, json_object_get(e, "text"), 400);
        hs_buf_puts(o, "</td></tr>\n");
    }
    hs_buf_puts(o, "</tbody></table>\n");
}

/* A storm's figures: upgrades answered by outcome, time to recover. */
static void storm_figures(hs_buf *o, const json_t *f)
{
    const char *wave[] = { "first_wave", "reconnects" };
    const char *k;
    json_t *v;

    hs_buf_printf(o, "<tr><th>storm</th><td>%" JSON_INTEGER_FORMAT " clients, reconnects "
                  "spread over %" JSON_INTEGER_FORMAT " ms; ",
                  json_integer_value(json_object_get(f, "clients")),
                  json_integer_value(json_object_get(f, "spread_ms")));
    for (int w = 0; w < 2; w++) {
        hs_buf_printf(o, "%s:", w ? "; reconnect attempts" : "first wave");
        json_object_foreach(json_object_get(f, wave[w]), k, v) {
            hs_buf_puts(o, " ");
            rep_esc_s(o, k);
            hs_buf_printf(o, " %" JSON_INTEGER_FORMAT, json_integer_value(v));
        }
    }
    if (json_is_number(json_object_get(f, "recover_ms")))
        hs_buf_printf(o, "; all back in %.0f ms", json_number_value(json_object_get(f,
                      "recover_ms")));
    else
        hs_buf_puts(o, "; <b>not all back</b>");
    hs_buf_puts(o, "</td></tr>\n");
}

static void memory_figures(hs_buf *o, const json_t *f)
{
    hs_buf_printf(o, "<tr><th>memory</th><td>RSS %" JSON_INTEGER_FORMAT " KiB at the mark, "
                  "peak %" JSON_INTEGER_FORMAT " KiB: grew %" JSON_INTEGER_FORMAT " KiB of "
                  "%" JSON_INTEGER_FORMAT " allowed (%zu samples)</td></tr>\n",
                  json_integer_value(json_object_get(f, "mark_kib")),
                  json_integer_value(json_object_get(f, "peak_kib")),
                  json_integer_value(json_object_get(f, "growth_kib")),
                  json_integer_value(json_object_get(f, "max_growth_kib")),
                  json_array_size(json_object_get(f, "samples")));
}

static void figures(hs_buf *o, const json_t *c)
{
    const json_t *fs = json_object_get(c, "figures"), *f;
    size_t i;

    if (!json_array_size(fs))
        return;
    hs_buf_puts(o, "<h4>figures</h4>\n<table class=\"facts\">\n");
    json_array_foreach(fs, i, f) {
        if (json_object_get(f, "storm"))
            storm_figures(o, json_object_get(f, "storm"));
        if (json_object_get(f, "memory"))
            memory_figures(o, json_object_get(f, "memory"));
    }
    hs_buf_puts(o, "</table>\n");
}

static void log_excerpt(hs_buf *o, const json_t *c)
{
    const json_t *log = json_object_get(c, "log_excerpt");

    if (json_string_length(log) == 0)
        return;
    hs_buf_puts(o, "<h4>gateway log (last lines)</h4>\n<pre class=\"log\">");
    rep_esc_clip(o, log, LOG_MAX);
    hs_buf_puts(o, "</pre>\n");
}

/* The line that names the case when folded: status, id, title, clause, time. */
static void case_summary(rctx *x, const json_t *c, int st)
{
    const json_t *r = rep_main_reason(c);
    const json_t *cl = json_object_get(r, "clause");

    hs_buf_puts(x->o, "<summary>");
    rep_badge(x->o, st);
    hs_buf_puts(x->o, " <span class=\"id\">");
    rep_esc(x->o, json_object_get(c, "id"));
    hs_buf_puts(x->o, "</span> <span class=\"title\">");
    rep_esc_clip(x->o, json_object_get(c, "title"), TITLE_MAX);
    hs_buf_puts(x->o, "</span>");
    if (hs_history_failing(st) && json_is_integer(cl))
        hs_buf_printf(x->o, json_integer_value(cl) > 0
                      ? " <span class=\"clause\">contract %" JSON_INTEGER_FORMAT "</span>"
                      : " <span class=\"clause\">expectation</span>",
                      json_integer_value(cl));
    hs_buf_puts(x->o, " <span class=\"dur\">");
    rep_put_ms(x->o, hs_history_median(c));
    hs_buf_puts(x->o, "</span> ");
    rep_strip_compact(x, rep_sget(c, "id"));
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
    rep_esc_or(x->o, json_object_get(c, "repro"), "(no command recorded)");
    hs_buf_puts(x->o, "</code></td></tr>\n");
    fact_row(x->o, "skipped", json_object_get(c, "skip_reason"));
    fact_row(x->o, "known issue", json_object_get(c, "known_issue"));
    durations(x->o, c);
    faults_row(x->o, c);
    if (st != HS_STATUS_PASSED) {
        hs_buf_puts(x->o, "<tr><th>last runs</th><td>");
        rep_strip_full(x, rep_sget(c, "id"));
        hs_buf_puts(x->o, " <small class=\"mute\">oldest first, this run last</small>"
                    "</td></tr>\n");
    }
    hs_buf_puts(x->o, "</table>\n");
    figures(x->o, c);
    if (full) {
        timeline(x->o, c);
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

    hs_buf_printf(&raw, "%s %s %s %s", rep_sget(c, "id"), rep_sget(c, "status"),
                  rep_sget(c, "suite") ? rep_sget(c, "suite") : "",
                  rep_sget(c, "seed") ? rep_sget(c, "seed") : "");
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
    int st = rep_status_of(c);
    int open = hs_history_failing(st) || st == HS_STATUS_FLAKY;

    hs_buf_printf(x->o, "<details class=\"case s-%s\" id=\"c-%zu\" data-key=\"",
                  rep_st_class(st), i);
    filter_key(x->o, c);
    hs_buf_puts(x->o, open ? "\" open>\n" : "\">\n");
    case_summary(x, c, st);
    case_body(x, c, st);
    hs_buf_puts(x->o, "</details>\n");
}

void rep_section_cases(rctx *x)
{
    const json_t *c;
    size_t k, i;

    hs_buf_printf(x->o, "<section id=\"cases\">\n<h2>Cases (%zu)</h2>\n<p class=\"meta\">"
                  "What fails the run first, open; then flaky, known issues, skipped, "
                  "and passing cases, folded. Strips: ", json_array_size(x->cases));
    for (k = 0; k < HS_STATUS_COUNT; k++)
        hs_buf_printf(x->o, "<span class=\"strip\"><i class=\"s-%s\">%s</i></span> %s, ",
                      rep_st_class((int)k), rep_glyph((int)k), hs_history_status_name((int)k));
    hs_buf_puts(x->o, "<span class=\"strip\"><i class=\"s-none\">" GLYPH_NONE
                "</i></span> not run.");
    if (json_array_size(x->cases) > HS_REPORT_FULL_CASES)
        hs_buf_printf(x->o, " This run has more than %d cases: the transcripts and logs "
                      "of passing cases are left out here (they are in results.json).",
                      HS_REPORT_FULL_CASES);
    hs_buf_puts(x->o, "</p>\n");
    for (k = 0; k < HS_STATUS_COUNT; k++)
        json_array_foreach(x->cases, i, c)
            if (rep_status_of(c) == case_order[k])
                case_block(x, c, i);
    hs_buf_puts(x->o, "</section>\n");
}

/*
 * hs_report_diff: the page's first section, what changed since the
 * baseline: new failures with the clause they broke, still failing since
 * which run, fixed, newly skipped, flaky, slower, conformance verdict
 * changes, new and removed cases. See hs_report_parts.h.
 */
#include "output/hs_report_parts.h"

#include <string.h>

#define MESSAGE_MAX 400         /* bytes of a reason shown in a diff table */
#define DIFF_OPEN_ROWS 25       /* longer diff lists start folded */

/* How many items one list of the diff holds. */
size_t rep_diff_count(rctx *x, const char *list)
{
    return json_array_size(json_object_get(x->diff, list));
}

typedef void (*diff_row_fn)(rctx *x, const json_t *item);

static void status_cell(hs_buf *o, const char *was, const char *now)
{
    hs_buf_puts(o, "<td>");
    rep_badge(o, hs_history_status(was));
    hs_buf_puts(o, " \xE2\x86\x92 ");
    rep_badge(o, hs_history_status(now));
    hs_buf_puts(o, "</td>");
}

/* The main reason's clause and message, and how many more there are. */
static void reason_cells(hs_buf *o, const json_t *c)
{
    const json_t *reasons = json_object_get(c, "reasons");
    const json_t *r = rep_main_reason(c);
    size_t more = json_array_size(reasons);

    rep_clause_cell(o, r);
    hs_buf_puts(o, "<td>");
    if (r == NULL)
        rep_esc_clip(o, json_object_get(c, "known_issue"), MESSAGE_MAX);
    rep_esc_clip(o, json_object_get(r, "message"), MESSAGE_MAX);
    if (more > 1)
        hs_buf_printf(o, " <span class=\"mute\">(+%zu more)</span>", more - 1);
    hs_buf_puts(o, "</td>");
}

static void row_new_failure(rctx *x, const json_t *it)
{
    const char *id = rep_sget(it, "id");

    hs_buf_puts(x->o, "<tr><td>");
    rep_case_link(x, id);
    hs_buf_puts(x->o, json_is_null(json_object_get(it, "was"))
                          ? " <small class=\"mute\">(new case)</small></td>" : "</td>");
    status_cell(x->o, rep_sget(it, "was"), rep_sget(it, "now"));
    reason_cells(x->o, rep_case_by_id(x, id));
    hs_buf_puts(x->o, "</tr>\n");
}

static void row_still(rctx *x, const json_t *it)
{
    const char *id = rep_sget(it, "id");

    hs_buf_puts(x->o, "<tr><td>");
    rep_case_link(x, id);
    hs_buf_puts(x->o, "</td><td>");
    if (json_is_string(json_object_get(it, "since"))) {
        hs_buf_puts(x->o, json_is_true(json_object_get(it, "at_least")) ? "at least " : "");
        hs_buf_puts(x->o, "run <span class=\"mono\">");
        rep_esc(x->o, json_object_get(it, "since"));
        hs_buf_puts(x->o, "</span><br><small>");
        rep_esc(x->o, json_object_get(it, "since_date"));
        hs_buf_puts(x->o, ", commit <span class=\"mono\">");
        rep_esc_commit(x->o, json_object_get(it, "since_commit"));
        hs_buf_puts(x->o, "</span></small>");
        hs_buf_printf(x->o, "</td><td>%" JSON_INTEGER_FORMAT "</td>",
                      json_integer_value(json_object_get(it, "runs")));
    } else {
        hs_buf_puts(x->o, "the baseline (not in the history)</td><td></td>");
    }
    reason_cells(x->o, rep_case_by_id(x, id));
    hs_buf_puts(x->o, "</tr>\n");
}

static void row_fixed(rctx *x, const json_t *it)
{
    hs_buf_puts(x->o, "<tr><td>");
    rep_case_link(x, rep_sget(it, "id"));
    hs_buf_puts(x->o, "</td>");
    status_cell(x->o, rep_sget(it, "was"), rep_sget(it, "now"));
    hs_buf_puts(x->o, "</tr>\n");
}

static void row_skipped(rctx *x, const json_t *it)
{
    const char *id = rep_sget(it, "id");

    hs_buf_puts(x->o, "<tr><td>");
    rep_case_link(x, id);
    hs_buf_puts(x->o, "</td>");
    status_cell(x->o, rep_sget(it, "was"), "skipped");
    hs_buf_puts(x->o, "<td>");
    rep_esc_clip(x->o, json_object_get(rep_case_by_id(x, id), "skip_reason"), MESSAGE_MAX);
    hs_buf_puts(x->o, "</td></tr>\n");
}

static void row_flaky(rctx *x, const json_t *it)
{
    const char *id = rep_sget(it, "id");
    const char *why = rep_sget(it, "why");

    hs_buf_puts(x->o, "<tr><td>");
    rep_case_link(x, id);
    hs_buf_puts(x->o, "</td><td>");
    if (strcmp(why, "repeats") == 0)
        hs_buf_puts(x->o, "failed, then passed on a repeat in this run");
    else
        hs_buf_printf(x->o, "passed and failed in turn: the outcome changed %"
                      JSON_INTEGER_FORMAT " times across the history",
                      json_integer_value(json_object_get(it, "flips")));
    hs_buf_puts(x->o, "</td><td>");
    rep_strip_compact(x, id);
    hs_buf_puts(x->o, "</td></tr>\n");
}

static void row_slower(rctx *x, const json_t *it)
{
    double was = json_number_value(json_object_get(it, "was_ms"));
    double now = json_number_value(json_object_get(it, "now_ms"));

    hs_buf_puts(x->o, "<tr><td>");
    rep_case_link(x, rep_sget(it, "id"));
    hs_buf_puts(x->o, "</td><td>");
    rep_put_ms(x->o, was);
    hs_buf_puts(x->o, "</td><td>");
    rep_put_ms(x->o, now);
    hs_buf_puts(x->o, "</td><td>+");
    rep_put_ms(x->o, now - was);
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
    rep_esc_or(o, json_object_get(v, "behavior"), "?");
    hs_buf_puts(o, " / close ");
    rep_esc_or(o, json_object_get(v, "close"), "?");
}

static void row_verdict(rctx *x, const json_t *it)
{
    hs_buf_puts(x->o, "<tr><td>");
    rep_case_link(x, rep_sget(it, "id"));
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
        rep_case_link(x, json_string_value(it));
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
        n = rep_diff_count(x, lists[i][0]);
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
        hs_buf_puts(x->o, "<p>No baseline (");
        rep_esc_s(x->o, x->in->baseline_why[0] ? x->in->baseline_why
                                               : "no earlier run of this target");
        hs_buf_puts(x->o, "), so every failure below counts as new. A run is compared only "
                    "with earlier runs of the same target and selection.</p>\n");
        return;
    }
    hs_buf_puts(x->o, "<p class=\"meta\">Baseline: run <span class=\"mono\">");
    rep_esc(x->o, json_object_get(b, "run"));
    hs_buf_puts(x->o, "</span>, started ");
    rep_esc_or(x->o, json_object_get(b, "date"), "?");
    hs_buf_puts(x->o, ", commit <span class=\"mono\">");
    rep_esc_commit(x->o, json_object_get(b, "commit"));
    hs_buf_puts(x->o, "</span> (");
    if (x->in->baseline_file != NULL) {
        hs_buf_puts(x->o, "pinned: ");
        rep_esc_s(x->o, x->in->baseline_file);
    } else {
        rep_esc_s(x->o, x->in->baseline_why[0] ? x->in->baseline_why
                                               : "an earlier run of the same target");
    }
    hs_buf_printf(x->o, "). Slower means a median over repeats at least %.0f%% "
                  "and %.0f&nbsp;ms above the baseline's.</p>\n",
                  x->in->diff.slower_rel * 100.0, x->in->diff.slower_abs_ms);
}

void rep_section_diff(rctx *x)
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

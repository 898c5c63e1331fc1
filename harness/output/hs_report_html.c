/*
 * hs_report_html: the pieces every section of the report uses: escaped
 * output, durations, status badges and classes, case links, the clause
 * cell and the history strips. See hs_report_parts.h.
 */
#include "output/hs_report_parts.h"

#include <string.h>

#include "judge/hs_contract.h"
#include "util/hs_escape.h"

#define COMMIT_SHORT 12         /* characters of a commit id in running text */

/* Strip glyphs per status; GLYPH_NONE for a run without the case. */
static const char *const glyphs[HS_STATUS_COUNT] = {
    "\xE2\x9C\x93", "\xE2\x9C\x97", "s", "x", "X", "~"
};

const char *rep_sget(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

void rep_esc(hs_buf *o, const json_t *v)
{
    hs_escape_json(hs_escape_html, v, o);
}

void rep_esc_s(hs_buf *o, const char *s)
{
    hs_escape_str(hs_escape_html, s, o);
}

/* At most max bytes, cut between characters, an ellipsis when cut. */
void rep_esc_clip(hs_buf *o, const json_t *v, size_t max)
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
void rep_esc_commit(hs_buf *o, const json_t *v)
{
    const char *s = json_string_value(v);

    if (s != NULL)
        hs_escape_html(s, hs_escape_clip(s, json_string_length(v), COMMIT_SHORT), o);
}

/* A string, or our own placeholder when it is missing or empty. */
void rep_esc_or(hs_buf *o, const json_t *v, const char *dflt)
{
    if (json_string_length(v) > 0)
        rep_esc(o, v);
    else
        hs_buf_puts(o, dflt);
}

void rep_put_ms(hs_buf *o, double ms)
{
    if (ms >= 1000.0)
        hs_buf_printf(o, "%.2f&nbsp;s", ms / 1000.0);
    else
        hs_buf_printf(o, "%.1f&nbsp;ms", ms);
}

int rep_status_of(const json_t *c)
{
    return hs_history_status(rep_sget(c, "status"));
}

/* The class suffix of a status, which is its name ("none" for no run). */
const char *rep_st_class(int st)
{
    return st < 0 ? "none" : hs_history_status_name(st);
}

void rep_badge(hs_buf *o, int st)
{
    hs_buf_printf(o, "<span class=\"badge s-%s\">%s</span>", rep_st_class(st),
                  st < 0 ? "absent" : hs_history_status_name(st));
}

/* A case id, linked to its block below when the case is in this run. */
void rep_case_link(rctx *x, const char *id)
{
    const json_t *at = json_object_get(x->index, id);

    if (at != NULL)
        hs_buf_printf(x->o, "<a href=\"#c-%" JSON_INTEGER_FORMAT "\">",
                      json_integer_value(at));
    hs_buf_puts(x->o, "<span class=\"mono\">");
    rep_esc_s(x->o, id);
    hs_buf_puts(x->o, at != NULL ? "</span></a>" : "</span>");
}

const json_t *rep_case_by_id(rctx *x, const char *id)
{
    const json_t *at = json_object_get(x->index, id);

    return at == NULL ? NULL : json_array_get(x->cases, (size_t)json_integer_value(at));
}

/*
 * "contract 2" with the clause's line below it, from the contract's own
 * table; clause 0 is the scenario's own expectation, not the contract's.
 */
void rep_clause_cell(hs_buf *o, const json_t *reason)
{
    const json_t *cl = json_object_get(reason, "clause");
    json_int_t n = json_integer_value(cl);
    const hs_clause *k = hs_contract_clause(n);

    if (!json_is_integer(cl)) {
        hs_buf_puts(o, "<td></td>");
        return;
    }
    if (n == 0)
        hs_buf_puts(o, "<td><b>expectation</b><br><small>the scenario's own "
                    "expectation</small>");
    else
        hs_buf_printf(o, "<td><b>contract %" JSON_INTEGER_FORMAT "</b>", n);
    if (k != NULL)
        hs_buf_printf(o, "<br><small>%s</small>", k->text);
    hs_buf_puts(o, "</td>");
}

/*
 * The reason a case is shown by: the first broken contract clause, since
 * the contract is what the run is judged on, else the first reason.
 */
const json_t *rep_main_reason(const json_t *c)
{
    const json_t *reasons = json_object_get(c, "reasons"), *r;
    size_t i;

    json_array_foreach(reasons, i, r)
        if (json_integer_value(json_object_get(r, "clause")) > 0)
            return r;
    return json_array_get(reasons, 0);
}

static int status_in_entry(const json_t *e, const char *id)
{
    return hs_history_status(rep_sget(json_object_get(json_object_get(e, "cases"), id),
                                      "status"));
}

const char *rep_glyph(int st)
{
    return st < 0 ? GLYPH_NONE : glyphs[st];
}

/* The compact strip of a summary line: runs of one status share an element. */
void rep_strip_compact(rctx *x, const char *id)
{
    size_t n = json_array_size(x->strip), i;
    int st, prev = -2;

    hs_buf_puts(x->o, "<span class=\"strip\">");
    for (i = 0; i < n; i++) {
        st = status_in_entry(json_array_get(x->strip, i), id);
        if (st != prev)
            hs_buf_printf(x->o, "%s<i class=\"s-%s\">", i > 0 ? "</i>" : "",
                          rep_st_class(st));
        hs_buf_puts(x->o, rep_glyph(st));
        prev = st;
    }
    hs_buf_puts(x->o, n > 0 ? "</i></span>" : "</span>");
}

/* The strip of a case block: one element per run, each saying which run. */
void rep_strip_full(rctx *x, const char *id)
{
    const json_t *e, *ce;
    size_t i;
    int st;

    hs_buf_puts(x->o, "<span class=\"strip\">");
    json_array_foreach(x->strip, i, e) {
        ce = json_object_get(json_object_get(e, "cases"), id);
        st = hs_history_status(rep_sget(ce, "status"));
        hs_buf_printf(x->o, "<i class=\"s-%s\" title=\"run ", rep_st_class(st));
        rep_esc(x->o, json_object_get(e, "run"));
        hs_buf_puts(x->o, ", commit ");
        rep_esc_commit(x->o, json_object_get(e, "commit"));
        hs_buf_printf(x->o, ": %s", st < 0 ? "not run" : hs_history_status_name(st));
        if (ce != NULL)
            hs_buf_printf(x->o, ", %.1f ms",
                          json_number_value(json_object_get(ce, "duration_ms")));
        hs_buf_printf(x->o, "\">%s</i>", rep_glyph(st));
    }
    hs_buf_puts(x->o, "</span>");
}

/* A number with the given decimals and unit, or a dash when missing. */
void rep_num_cell(hs_buf *o, const json_t *t, const char *key, int decimals,
                  const char *unit)
{
    const json_t *v = json_object_get(t, key);

    if (json_is_number(v))
        hs_buf_printf(o, "<td>%.*f%s</td>", decimals, json_number_value(v), unit);
    else
        hs_buf_puts(o, "<td>\xE2\x80\x94</td>");
}

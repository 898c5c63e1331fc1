/*
 * hs_report_parts: what the files of the HTML report share. Private to
 * the hs_report*.c files; the report's public face is hs_report.h.
 *
 * The page is written in one pass of section writers over a context
 * (rctx): hs_report.c holds the page itself (head, style sheet and script,
 * header, the run's facts, foot), the context and the entry points;
 * hs_report_diff.c the regression diff; hs_report_grid.c the seed x fault
 * matrix, the conformance grid, benchmarks and fuzzing; hs_report_case.c
 * the case blocks. hs_report_html.c holds the pieces they all use.
 *
 * Our own markup goes out with hs_buf_puts/printf; anything read from the
 * document, the history or the fuzz summary goes through one of the
 * rep_esc* helpers, which all end in hs_escape_html. Numbers are printed
 * from doubles and integers, never copied as text.
 */
#ifndef HS_REPORT_PARTS_H
#define HS_REPORT_PARTS_H

#include <stddef.h>
#include <jansson.h>

#include "util/hs_buf.h"
#include "output/hs_history.h"
#include "output/hs_report.h"

#define TITLE_MAX 200           /* bytes of a case title in a summary line */

/* The strip glyph of a run without the case. */
#define GLYPH_NONE "\xC2\xB7"

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

/* ---- escaped output and small pieces (hs_report_html.c) ---------------- */

const char *rep_sget(const json_t *o, const char *key);
void rep_esc(hs_buf *o, const json_t *v);
void rep_esc_s(hs_buf *o, const char *s);
void rep_esc_clip(hs_buf *o, const json_t *v, size_t max);
void rep_esc_commit(hs_buf *o, const json_t *v);
void rep_esc_or(hs_buf *o, const json_t *v, const char *dflt);
void rep_put_ms(hs_buf *o, double ms);
void rep_num_cell(hs_buf *o, const json_t *t, const char *key, int decimals,
                  const char *unit);

int rep_status_of(const json_t *c);
const char *rep_st_class(int st);
const char *rep_glyph(int st);
void rep_badge(hs_buf *o, int st);

void rep_case_link(rctx *x, const char *id);
const json_t *rep_case_by_id(rctx *x, const char *id);
const json_t *rep_main_reason(const json_t *c);
void rep_clause_cell(hs_buf *o, const json_t *reason);

void rep_strip_compact(rctx *x, const char *id);
void rep_strip_full(rctx *x, const char *id);

/* ---- sections ---------------------------------------------------------- */

/* hs_report_diff.c */
size_t rep_diff_count(rctx *x, const char *list);
void rep_section_diff(rctx *x);

/* hs_report_grid.c */
void rep_section_matrix(rctx *x);
void rep_section_conformance(rctx *x);
void rep_section_bench(rctx *x);
void rep_section_fuzz(rctx *x);

/* hs_report_case.c */
void rep_section_cases(rctx *x);

#endif

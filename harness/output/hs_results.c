/*
 * hs_results: results.json, junit.xml, results.tap and summary.md from one
 * results document (see hs_results.h).
 *
 * Peer text is never written with a plain append: every string taken from
 * the document goes through an hs_escape function for the format at hand.
 * Single-line fields (ids, messages, attribute values) are first put in
 * the terminal form, so a newline in a peer's string stays a visible "\n"
 * and cannot start a forged line in a failure body or a TAP stream.
 */
#include "util/hs_buf.h"
#include "output/hs_results.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/hs_escape.h"
#include "util/hs_fsutil.h"

#define TAIL_ENTRIES 8      /* transcript entries shown per connection */
#define TAIL_CONNS 4        /* connections shown in a failure body */
#define PREVIEW_MAX 96      /* bytes of a frame's text or hex shown */
#define MD_ID_MAX 120       /* bytes of a case id in a summary cell */
#define MD_TEXT_MAX 300     /* bytes of a message in a summary cell */
#define MD_NOTE_ROOM 512    /* kept free for the truncation note */

typedef enum res_status {
    ST_PASSED,
    ST_FAILED,
    ST_SKIPPED,
    ST_XFAILED,
    ST_XPASSED,
    ST_FLAKY,
    ST_COUNT
} res_status;

static const char *const status_names[ST_COUNT] = {
    "passed", "failed", "skipped", "xfailed", "xpassed", "flaky"
};

typedef int (*render_fn)(const json_t *doc, hs_buf *out, char *err,
                         size_t errlen);

/* ---- reading the document ---------------------------------------------- */

static const char *str_of(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static double ms_of(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);

    return json_is_number(v) ? json_number_value(v) : 0.0;
}

/* The case's status as an index; -1 when missing or unknown. */
static int status_of(const json_t *c)
{
    const char *s = str_of(c, "status");
    int i;

    for (i = 0; s != NULL && i < ST_COUNT; i++)
        if (strcmp(s, status_names[i]) == 0)
            return i;
    return -1;
}

static int is_failure(int st)
{
    return st == ST_FAILED || st == ST_XPASSED;
}

static int is_skip(int st)
{
    return st == ST_SKIPPED || st == ST_XFAILED;
}

static const json_t *first_reason(const json_t *c)
{
    return json_array_get(json_object_get(c, "reasons"), 0);
}

/* "expectation" for the scenario's own checks, "contract N" for clause N. */
static void reason_label(const json_t *r, char *buf, size_t len)
{
    json_int_t clause = json_integer_value(json_object_get(r, "clause"));

    if (clause <= 0)
        snprintf(buf, len, "expectation");
    else
        snprintf(buf, len, "contract %" JSON_INTEGER_FORMAT, clause);
}

/*
 * The one-line summary of why a case has its status, unescaped: our
 * prefix followed by the peer-influenced text. Callers escape it as one
 * value for their format (a message attribute, a TAP directive reason, a
 * YAML scalar, a table cell).
 */
static void headline_raw(hs_buf *raw, const json_t *c, int st)
{
    const json_t *v = NULL;

    if (st == ST_FAILED || st == ST_FLAKY) {
        v = json_object_get(first_reason(c), "message");
        hs_buf_puts(raw, st == ST_FLAKY ? "flaky: " : "");
    } else if (st == ST_XPASSED || st == ST_XFAILED) {
        v = json_object_get(c, "known_issue");
        hs_buf_puts(raw, st == ST_XPASSED ? "unexpected pass: known issue: "
                                          : "known issue: ");
    } else if (st == ST_SKIPPED) {
        v = json_object_get(c, "skip_reason");
    }
    if (json_is_string(v))
        hs_buf_append(raw, json_string_value(v), json_string_length(v));
    else if (raw->len == 0)
        hs_buf_puts(raw, status_names[st]);
}

/* Apply fn to the headline of case c. */
static int put_headline(hs_buf *out, hs_escape_fn fn, const json_t *c, int st)
{
    hs_buf raw = HS_BUF_INIT;
    int rc;

    headline_raw(&raw, c, st);
    rc = hs_buf_failed(&raw) ? -1 : fn(raw.p, raw.len, out);
    hs_buf_free(&raw);
    return rc;
}

int hs_results_check(const json_t *doc, char *err, size_t errlen)
{
    const json_t *cases = json_object_get(doc, "cases");
    const char *format = str_of(doc, "format");
    size_t i;

    if (!json_is_object(doc)) {
        hs_errf(err, errlen, "results document: not a JSON object");
        return -1;
    }
    if (format == NULL || strcmp(format, HS_RESULTS_FORMAT) != 0) {
        hs_errf(err, errlen, "results document: \"format\" is not \"%s\"",
                HS_RESULTS_FORMAT);
        return -1;
    }
    if (!json_is_array(cases)) {
        hs_errf(err, errlen, "results document: \"cases\" is not an array");
        return -1;
    }
    for (i = 0; i < json_array_size(cases); i++) {
        const json_t *c = json_array_get(cases, i);

        if (!json_is_string(json_object_get(c, "id")) || status_of(c) < 0) {
            hs_errf(err, errlen, "results document: case %zu needs a string "
                    "\"id\" and a known \"status\"", i);
            return -1;
        }
    }
    return 0;
}

/* A case's suite; dflt for a case that names none. */
static const json_t *suite_of(const json_t *c, const json_t *dflt)
{
    const json_t *s = json_object_get(c, "suite");

    return json_is_string(s) ? s : dflt;
}

/* Count statuses and sum durations, over one suite or (suite NULL) all. */
static void tally(const json_t *cases, const json_t *suite, const json_t *dflt,
                  size_t counts[ST_COUNT], double *ms)
{
    const json_t *c;
    size_t i;

    memset(counts, 0, ST_COUNT * sizeof(counts[0]));
    *ms = 0.0;
    json_array_foreach(cases, i, c) {
        if (suite != NULL && !json_equal(suite_of(c, dflt), suite))
            continue;
        counts[status_of(c)]++;
        *ms += ms_of(c, "duration_ms");
    }
}

/* ---- plain text pieces shared by JUnit bodies and TAP ----------------- */

/* "contract 1 (step 3, line 14): message", the message term-escaped. */
static void reason_text(hs_buf *t, const json_t *r)
{
    const json_t *step = json_object_get(r, "step");
    const json_t *line = json_object_get(r, "line");
    char label[32];

    reason_label(r, label, sizeof(label));
    hs_buf_puts(t, label);
    if (json_is_integer(step))
        hs_buf_printf(t, " (step %" JSON_INTEGER_FORMAT, json_integer_value(step));
    if (json_is_integer(line))
        hs_buf_printf(t, "%sline %" JSON_INTEGER_FORMAT,
                      json_is_integer(step) ? ", " : " (", json_integer_value(line));
    if (json_is_integer(step) || json_is_integer(line))
        hs_buf_putc(t, ')');
    hs_buf_puts(t, ": ");
    hs_escape_json(hs_escape_term, json_object_get(r, "message"), t);
    hs_buf_putc(t, '\n');
}

static void reasons_text(hs_buf *t, const json_t *c)
{
    const json_t *r;
    size_t i;

    json_array_foreach(json_object_get(c, "reasons"), i, r)
        reason_text(t, r);
}

/* A string shown in part: at most PREVIEW_MAX bytes, "..." when cut. */
static void preview(hs_buf *t, const json_t *v, int truncated)
{
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    size_t k = hs_escape_clip(s, n, PREVIEW_MAX);

    hs_escape_term(s, k, t);
    if (k < n || truncated)
        hs_buf_puts(t, "...");
}

/* " key=value" for each frame header field the entry has. */
static void entry_fields(hs_buf *t, const json_t *e)
{
    static const char *const keys[] = {
        "op", "fin", "rsv", "masked", "len", "close_code"
    };
    const json_t *v;
    size_t i;

    for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        v = json_object_get(e, keys[i]);
        if (json_is_integer(v))
            hs_buf_printf(t, " %s=%" JSON_INTEGER_FORMAT, keys[i],
                          json_integer_value(v));
        else if (json_is_boolean(v))
            hs_buf_printf(t, " %s=%d", keys[i], json_is_true(v));
        else if (json_is_string(v)) {
            hs_buf_printf(t, " %s=", keys[i]);
            hs_escape_json(hs_escape_term, v, t);
        }
    }
}

/*
 * One transcript entry on one line: time, direction, kind, the frame
 * header fields, then the text preview (or the hex one when no text).
 */
static void entry_text(hs_buf *t, const json_t *e)
{
    const json_t *text = json_object_get(e, "text");
    const json_t *hex = json_object_get(e, "hex");
    int truncated = json_is_true(json_object_get(e, "truncated"));

    hs_buf_printf(t, "  %10.1f ms ", ms_of(e, "t_ms"));
    hs_escape_json(hs_escape_term, json_object_get(e, "dir"), t);
    hs_buf_putc(t, ' ');
    hs_escape_json(hs_escape_term, json_object_get(e, "what"), t);
    entry_fields(t, e);
    if (json_is_string(text)) {
        hs_buf_puts(t, " \"");
        preview(t, text, truncated);
        hs_buf_putc(t, '"');
    } else if (json_is_string(hex)) {
        hs_buf_puts(t, " hex=");
        preview(t, hex, truncated);
    }
    hs_buf_putc(t, '\n');
}

/* The last entries of each connection's transcript, a few connections. */
static void transcript_tail(hs_buf *t, const json_t *c)
{
    const json_t *tr = json_object_get(c, "transcript");
    const json_t *entries;
    const char *name;
    size_t shown = 0, n, i;

    json_object_foreach((json_t *)tr, name, entries) {
        if (!json_is_array(entries))
            continue;
        if (shown++ == TAIL_CONNS) {
            hs_buf_puts(t, "(more connections in results.json)\n");
            break;
        }
        n = json_array_size(entries);
        hs_buf_puts(t, "transcript of ");
        hs_escape_str(hs_escape_term, name, t);
        hs_buf_printf(t, " (last %zu of %zu entries):\n",
                      n < TAIL_ENTRIES ? n : TAIL_ENTRIES, n);
        for (i = n > TAIL_ENTRIES ? n - TAIL_ENTRIES : 0; i < n; i++)
            entry_text(t, json_array_get(entries, i));
    }
}

static void repro_text(hs_buf *t, const json_t *c)
{
    const json_t *repro = json_object_get(c, "repro");

    if (!json_is_string(repro))
        return;
    hs_buf_puts(t, "repro: ");
    hs_escape_json(hs_escape_term, repro, t);
    hs_buf_putc(t, '\n');
}

/* "12.3, 15.0": one duration per repeat. */
static void durations_list(hs_buf *t, const json_t *c)
{
    const json_t *d;
    size_t i;

    json_array_foreach(json_object_get(c, "durations_ms"), i, d)
        hs_buf_printf(t, "%s%.1f", i == 0 ? "" : ", ", json_number_value(d));
}

/* The common end of every renderer: one message for memory running out. */
static int finish(const hs_buf *out, const char *file, char *err, size_t errlen)
{
    if (!hs_buf_failed(out))
        return 0;
    hs_errf(err, errlen, "%s: out of memory", file);
    return -1;
}

/* ---- results.json ------------------------------------------------------ */

/*
 * Non-ASCII as \u escapes: the file is for machines, and this way a bidi
 * control in a peer's string cannot reorder what someone sees who opens
 * the file in a terminal or an editor.
 */
int hs_results_render_json(const json_t *doc, hs_buf *out, char *err,
                           size_t errlen)
{
    char *text;

    if (hs_results_check(doc, err, errlen) != 0)
        return -1;
    text = json_dumps(doc, JSON_INDENT(2) | JSON_ENSURE_ASCII);
    if (text != NULL) {
        hs_buf_puts(out, text);
        hs_buf_putc(out, '\n');
    }
    else
        out->failed = 1;
    free(text);
    return finish(out, "results.json", err, errlen);
}

/* ---- junit.xml --------------------------------------------------------- */

/* XML for a single-line field: the terminal form, then XML escaping. */
static int xml_line(const char *s, size_t n, hs_buf *out)
{
    hs_buf line = HS_BUF_INIT;
    int rc = hs_escape_term(s, n, &line);

    if (rc == 0)
        rc = hs_escape_xml(line.p != NULL ? line.p : "", line.len, out);
    hs_buf_free(&line);
    return rc;
}

/* Multi-line plain text built by fill, written as XML character data. */
static void xml_text(hs_buf *out, const json_t *c, int st,
                     void (*fill)(hs_buf *t, const json_t *c, int st))
{
    hs_buf t = HS_BUF_INIT;

    fill(&t, c, st);
    if (hs_buf_failed(&t))
        out->failed = 1;
    hs_escape_xml(t.p != NULL ? t.p : "", t.len, out);
    hs_buf_free(&t);
}

static void failure_fill(hs_buf *t, const json_t *c, int st)
{
    reasons_text(t, c);
    repro_text(t, c);
    transcript_tail(t, c);
}

static void notes_fill(hs_buf *t, const json_t *c, int st)
{
    if (st == ST_FLAKY) {
        hs_buf_puts(t, "flaky: passed on a retry\ndurations (ms): ");
        durations_list(t, c);
        hs_buf_putc(t, '\n');
    } else {
        hs_buf_puts(t, "known issue: ");
        hs_escape_json(hs_escape_term, json_object_get(c, "known_issue"), t);
        hs_buf_puts(t, "\nfailed as expected:\n");
    }
    reasons_text(t, c);
}

static void log_fill(hs_buf *t, const json_t *c, int st)
{
    const json_t *log = json_object_get(c, "log_excerpt");

    hs_buf_append(t, json_string_value(log), json_string_length(log));
}

/* ' name="prefix value"' for a string field; nothing when it is absent. */
static void xml_attr(hs_buf *out, const char *name, const char *prefix,
                     const json_t *v)
{
    if (!json_is_string(v))
        return;
    hs_buf_printf(out, " %s=\"%s", name, prefix);
    hs_escape_json(xml_line, v, out);
    hs_buf_putc(out, '"');
}

/* <tag>text</tag> on a line of its own, the text built by fill. */
static void xml_element(hs_buf *out, const char *tag, const json_t *c, int st,
                        void (*fill)(hs_buf *t, const json_t *c, int st))
{
    hs_buf_printf(out, "      <%s>", tag);
    xml_text(out, c, st, fill);
    hs_buf_printf(out, "</%s>\n", tag);
}

/* <failure message="first reason" type="contract N">body</failure> */
static void junit_failure(hs_buf *out, const json_t *c, int st)
{
    char label[32] = "unexpected pass";

    if (st == ST_FAILED)
        reason_label(first_reason(c), label, sizeof(label));
    hs_buf_puts(out, "      <failure message=\"");
    put_headline(out, xml_line, c, st);
    hs_buf_printf(out, "\" type=\"%s\">", label);
    xml_text(out, c, st, failure_fill);
    hs_buf_puts(out, "</failure>\n");
}

static void junit_skipped(hs_buf *out, const json_t *c, int st)
{
    hs_buf_puts(out, "      <skipped message=\"");
    put_headline(out, xml_line, c, st);
    hs_buf_puts(out, "\"/>\n");
}

static void junit_case(hs_buf *out, const json_t *c, const json_t *suite)
{
    int st = status_of(c);

    hs_buf_puts(out, "    <testcase");
    xml_attr(out, "name", "", json_object_get(c, "id"));
    xml_attr(out, "classname", "wsfault.", suite);
    xml_attr(out, "file", "", json_object_get(c, "file"));
    hs_buf_printf(out, " time=\"%.3f\"", ms_of(c, "duration_ms") / 1000.0);
    if (st == ST_PASSED) {
        hs_buf_puts(out, "/>\n");
        return;
    }
    hs_buf_puts(out, ">\n");
    if (is_failure(st))
        junit_failure(out, c, st);
    if (is_skip(st))
        junit_skipped(out, c, st);
    if (st == ST_FLAKY || st == ST_XFAILED)
        xml_element(out, "system-out", c, st, notes_fill);
    if (is_failure(st) && json_is_string(json_object_get(c, "log_excerpt")))
        xml_element(out, "system-err", c, st, log_fill);
    hs_buf_puts(out, "    </testcase>\n");
}

/* One <property>; strings escaped, numbers and booleans as JSON spells them. */
static void junit_property(hs_buf *out, const char *prefix, const char *name,
                           const json_t *v)
{
    if (!json_is_string(v) && !json_is_number(v) && !json_is_boolean(v))
        return;
    hs_buf_puts(out, "      <property name=\"");
    hs_escape_str(xml_line, prefix, out);
    hs_escape_str(xml_line, name, out);
    hs_buf_puts(out, "\" value=\"");
    if (json_is_string(v))
        hs_escape_json(xml_line, v, out);
    else if (json_is_integer(v))
        hs_buf_printf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    else if (json_is_real(v))
        hs_buf_printf(out, "%g", json_real_value(v));
    else
        hs_buf_puts(out, json_is_true(v) ? "true" : "false");
    hs_buf_puts(out, "\"/>\n");
}

/* The run's identity, so a CI report can be traced to its exact run. */
static void junit_properties(hs_buf *out, const json_t *run)
{
    const char *key;
    const json_t *v;

    if (!json_is_object(run))
        return;
    hs_buf_puts(out, "    <properties>\n");
    json_object_foreach((json_t *)run, key, v)
        junit_property(out, "", key, v);
    json_object_foreach(json_object_get(run, "versions"), key, v)
        junit_property(out, "versions.", key, v);
    hs_buf_puts(out, "    </properties>\n");
}

/* Counts as JUnit knows them: xpassed fails, xfailed is skipped. */
static void junit_counts(hs_buf *out, const size_t counts[ST_COUNT], double ms)
{
    size_t tests = 0;
    int i;

    for (i = 0; i < ST_COUNT; i++)
        tests += counts[i];
    hs_buf_printf(out, " tests=\"%zu\" failures=\"%zu\" errors=\"0\" "
                  "skipped=\"%zu\" time=\"%.3f\"", tests,
                  counts[ST_FAILED] + counts[ST_XPASSED],
                  counts[ST_SKIPPED] + counts[ST_XFAILED], ms / 1000.0);
}

static void junit_suite(hs_buf *out, const json_t *doc, const json_t *suite,
                        const json_t *dflt)
{
    const json_t *cases = json_object_get(doc, "cases");
    const json_t *run = json_object_get(doc, "run");
    size_t counts[ST_COUNT], i;
    const json_t *c;
    double ms;

    tally(cases, suite, dflt, counts, &ms);
    hs_buf_puts(out, "  <testsuite");
    xml_attr(out, "name", "wsfault.", suite);
    junit_counts(out, counts, ms);
    xml_attr(out, "timestamp", "", json_object_get(run, "started_at"));
    hs_buf_puts(out, ">\n");
    junit_properties(out, run);
    json_array_foreach(cases, i, c)
        if (json_equal(suite_of(c, dflt), suite))
            junit_case(out, c, suite);
    hs_buf_puts(out, "  </testsuite>\n");
}

/* Distinct suites in order of first appearance (a new reference). */
static json_t *suites_in(const json_t *cases, const json_t *dflt)
{
    json_t *suites = json_array();
    const json_t *c, *s;
    size_t i, j;
    int seen;

    json_array_foreach(cases, i, c) {
        seen = 0;
        json_array_foreach(suites, j, s)
            seen |= json_equal(s, suite_of(c, dflt));
        if (!seen)
            json_array_append(suites, (json_t *)suite_of(c, dflt));
    }
    return suites;
}

/*
 * Counts come from the cases themselves, not from the document's
 * "totals", so the root's numbers always agree with its test cases.
 */
int hs_results_render_junit(const json_t *doc, hs_buf *out, char *err,
                            size_t errlen)
{
    const json_t *cases = json_object_get(doc, "cases");
    const json_t *run = json_object_get(doc, "run");
    json_t *dflt = NULL, *suites = NULL;
    size_t counts[ST_COUNT], i;
    const json_t *s;
    double ms;

    if (hs_results_check(doc, err, errlen) != 0)
        return -1;
    dflt = json_string("default");
    suites = suites_in(cases, dflt);
    if (dflt == NULL || suites == NULL) {
        out->failed = 1;
        goto out;
    }
    tally(cases, NULL, dflt, counts, &ms);
    if (json_is_number(json_object_get(run, "duration_ms")))
        ms = ms_of(run, "duration_ms");
    hs_buf_puts(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                     "<testsuites name=\"wsfault\"");
    junit_counts(out, counts, ms);
    hs_buf_puts(out, ">\n");
    json_array_foreach(suites, i, s)
        junit_suite(out, doc, s, dflt);
    hs_buf_puts(out, "</testsuites>\n");
out:
    json_decref(suites);
    json_decref(dflt);
    return finish(out, "junit.xml", err, errlen);
}

/* ---- results.tap ------------------------------------------------------- */

/* "key: value", the value a quoted YAML scalar; nothing unless a string. */
static void yaml_str(hs_buf *out, const char *indent, const char *key,
                     const json_t *v)
{
    if (!json_is_string(v))
        return;
    hs_buf_printf(out, "%s%s: ", indent, key);
    hs_escape_json(hs_escape_yaml, v, out);
    hs_buf_putc(out, '\n');
}

static void yaml_int(hs_buf *out, const char *indent, const char *key,
                     const json_t *v)
{
    if (json_is_integer(v))
        hs_buf_printf(out, "%s%s: %" JSON_INTEGER_FORMAT "\n", indent, key,
                      json_integer_value(v));
}

/* type, clause, step, line and message of one reason, at indent. */
static void yaml_reason(hs_buf *out, const char *first, const char *indent,
                        const json_t *r)
{
    char label[32];

    reason_label(r, label, sizeof(label));
    hs_buf_printf(out, "%stype: \"%s\"\n", first, label);
    yaml_int(out, indent, "clause", json_object_get(r, "clause"));
    yaml_int(out, indent, "step", json_object_get(r, "step"));
    yaml_int(out, indent, "line", json_object_get(r, "line"));
    yaml_str(out, indent, "message", json_object_get(r, "message"));
}

/*
 * The YAML diagnostic block of a test point (TAP 14): indented two spaces
 * between "---" and "...". Every value is a quoted scalar or a number, so
 * no peer text can end the block early or add a key.
 */
static void tap_yaml(hs_buf *out, const json_t *c, int st)
{
    const json_t *reasons = json_object_get(c, "reasons");
    const json_t *r;
    size_t i;

    hs_buf_puts(out, "  ---\n  message: ");
    put_headline(out, hs_escape_yaml, c, st);
    hs_buf_printf(out, "\n  severity: %s\n  status: %s\n",
                  is_failure(st) ? "fail" : "comment", status_names[st]);
    yaml_str(out, "  ", "file", json_object_get(c, "file"));
    yaml_str(out, "  ", "repro", json_object_get(c, "repro"));
    if (st == ST_FLAKY) {
        hs_buf_puts(out, "  durations_ms: [");
        durations_list(out, c);
        hs_buf_puts(out, "]\n");
    }
    if (json_array_size(reasons) > 0)
        hs_buf_puts(out, "  reasons:\n");
    json_array_foreach(reasons, i, r)
        yaml_reason(out, "    - ", "      ", r);
    hs_buf_puts(out, "  ...\n");
}

/* One test point; xpassed is "not ok": a fixed known issue must be noticed. */
static void tap_case(hs_buf *out, const json_t *c, size_t num)
{
    int st = status_of(c);
    int ok = st == ST_PASSED || st == ST_SKIPPED || st == ST_FLAKY;

    hs_buf_printf(out, "%s %zu - ", ok ? "ok" : "not ok", num);
    hs_escape_json(hs_escape_tap, json_object_get(c, "id"), out);
    if (is_skip(st)) {
        hs_buf_puts(out, st == ST_SKIPPED ? " # SKIP " : " # TODO ");
        put_headline(out, hs_escape_tap, c, st);
    }
    hs_buf_putc(out, '\n');
    if (st != ST_PASSED && st != ST_SKIPPED)
        tap_yaml(out, c, st);
}

int hs_results_render_tap(const json_t *doc, hs_buf *out, char *err,
                          size_t errlen)
{
    const json_t *cases = json_object_get(doc, "cases");
    const json_t *c;
    size_t i;

    if (hs_results_check(doc, err, errlen) != 0)
        return -1;
    hs_buf_printf(out, "TAP version 14\n1..%zu\n", json_array_size(cases));
    json_array_foreach(cases, i, c)
        tap_case(out, c, i + 1);
    return finish(out, "results.tap", err, errlen);
}

/* ---- summary.md -------------------------------------------------------- */

/* Rows go in while they fit under limit; after the first that does not,
 * none does (the order, failures first, is the point), they are counted. */
typedef struct md_state {
    hs_buf *out;
    size_t limit;
    size_t omitted;
    int full;
} md_state;

/* Peer text for a cell: cut at a character boundary, then escaped. */
static void md_clip(hs_buf *row, const char *s, size_t n, size_t max)
{
    size_t k = hs_escape_clip(s, n, max);

    hs_escape_md(s, k, row);
    if (k < n)
        hs_buf_puts(row, "\u2026");
}

/* "| case | clause or status | message |" for one case. */
static void md_row(hs_buf *row, const json_t *c, int st)
{
    const json_t *id = json_object_get(c, "id");
    size_t nreasons = json_array_size(json_object_get(c, "reasons"));
    hs_buf raw = HS_BUF_INIT;
    char label[32];

    if (st == ST_FAILED)
        reason_label(first_reason(c), label, sizeof(label));
    else
        snprintf(label, sizeof(label), "%s", status_names[st]);
    hs_buf_puts(row, "| ");
    md_clip(row, json_string_value(id), json_string_length(id), MD_ID_MAX);
    hs_buf_printf(row, " | %s | ", label);
    headline_raw(&raw, c, st);
    md_clip(row, raw.p != NULL ? raw.p : "", raw.len, MD_TEXT_MAX);
    if (st == ST_FAILED && nreasons > 1)
        hs_buf_printf(row, " (+%zu more)", nreasons - 1);
    hs_buf_puts(row, " |\n");
    if (hs_buf_failed(&raw))
        row->failed = 1;
    hs_buf_free(&raw);
}

/* Append row (after heading, for a section's first row) if it fits. */
static void md_add(md_state *m, const char *heading, const hs_buf *row,
                   int *started)
{
    size_t need = row->len + (*started ? 0 : strlen(heading));

    if (m->full || m->out->len + need + MD_NOTE_ROOM >= m->limit) {
        m->full = 1;
        m->omitted++;
        return;
    }
    if (!*started)
        hs_buf_puts(m->out, heading);
    *started = 1;
    hs_buf_append(m->out, row->p, row->len);
}

/* The failing cases (failures != 0) or the others that did not just pass. */
static void md_section(md_state *m, const json_t *cases, int failures,
                       const char *heading)
{
    hs_buf row = HS_BUF_INIT;
    const json_t *c;
    int started = 0, st;
    size_t i;

    json_array_foreach(cases, i, c) {
        st = status_of(c);
        if (failures ? !is_failure(st) : (is_failure(st) || st == ST_PASSED))
            continue;
        hs_buf_reset(&row);
        md_row(&row, c, st);
        if (hs_buf_failed(&row)) {
            m->out->failed = 1;
            break;
        }
        md_add(m, heading, &row, &started);
    }
    hs_buf_free(&row);
}

/* "label value" for a run field that is present, clipped and escaped;
 * fields after the first (counted in *shown) are set apart by a dot. */
static void md_run_field(hs_buf *out, const json_t *run, const char *key,
                         const char *label, int *shown)
{
    const json_t *v = json_object_get(run, key);

    if (!json_is_integer(v) && !json_is_string(v))
        return;
    hs_buf_printf(out, "%s%s ", (*shown)++ > 0 ? " \u00b7 " : "", label);
    if (json_is_integer(v))
        hs_buf_printf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    else
        md_clip(out, json_string_value(v), json_string_length(v), MD_ID_MAX);
}

static void md_header(hs_buf *out, const json_t *doc,
                      const size_t counts[ST_COUNT], double ms)
{
    const json_t *run = json_object_get(doc, "run");
    size_t failing = counts[ST_FAILED] + counts[ST_XPASSED];
    int shown = 0;

    hs_buf_printf(out, "## wsfault: %s\n\n", failing > 0 ? "failed" : "passed");
    hs_buf_printf(out, "**%zu failed**, %zu passed, %zu skipped, %zu xfailed, "
                  "%zu xpassed, %zu flaky in %.1f s\n\n", counts[ST_FAILED],
                  counts[ST_PASSED], counts[ST_SKIPPED], counts[ST_XFAILED],
                  counts[ST_XPASSED], counts[ST_FLAKY], ms / 1000.0);
    md_run_field(out, run, "id", "run", &shown);
    md_run_field(out, run, "git_commit", "commit", &shown);
    md_run_field(out, run, "seed", "seed", &shown);
    md_run_field(out, run, "shard", "shard", &shown);
    hs_buf_puts(out, "\n\n");
    if (failing == 0)
        hs_buf_puts(out, "No failures.\n\n");
}

/*
 * The limit is counted from where this summary starts in out, with room
 * kept for the note, so the result stays under HS_RESULTS_SUMMARY_MAX
 * whatever the number of cases or the length of their messages.
 */
int hs_results_render_summary_md(const json_t *doc, hs_buf *out, char *err,
                                 size_t errlen)
{
    const json_t *cases = json_object_get(doc, "cases");
    const json_t *run = json_object_get(doc, "run");
    md_state m = {out, out->len + HS_RESULTS_SUMMARY_MAX, 0, 0};
    size_t counts[ST_COUNT];
    double ms;

    if (hs_results_check(doc, err, errlen) != 0)
        return -1;
    tally(cases, NULL, NULL, counts, &ms);
    if (json_is_number(json_object_get(run, "duration_ms")))
        ms = ms_of(run, "duration_ms");
    md_header(out, doc, counts, ms);
    md_section(&m, cases, 1, "### Failures\n\n| case | clause | message |\n"
               "| --- | --- | --- |\n");
    md_section(&m, cases, 0, "\n### Other results\n\n| case | status | note |\n"
               "| --- | --- | --- |\n");
    if (m.omitted > 0)
        hs_buf_printf(out, "\n_Truncated: %zu more rows are not shown, to keep "
                      "this summary under 64 KiB; results.json and junit.xml "
                      "have every case._\n", m.omitted);
    return finish(out, "summary.md", err, errlen);
}

/* ---- files ------------------------------------------------------------- */

static int write_rendered(render_fn render, const json_t *doc,
                          const char *path, char *err, size_t errlen)
{
    hs_buf b = HS_BUF_INIT;
    int rc = render(doc, &b, err, errlen);

    if (rc == 0)
        rc = hs_fs_write_atomic(path, b.p != NULL ? b.p : "", b.len, err,
                                errlen);
    hs_buf_free(&b);
    return rc;
}

int hs_results_write_json(const json_t *doc, const char *path, char *err,
                          size_t errlen)
{
    return write_rendered(hs_results_render_json, doc, path, err, errlen);
}

int hs_results_write_junit(const json_t *doc, const char *path, char *err,
                           size_t errlen)
{
    return write_rendered(hs_results_render_junit, doc, path, err, errlen);
}

int hs_results_write_tap(const json_t *doc, const char *path, char *err,
                         size_t errlen)
{
    return write_rendered(hs_results_render_tap, doc, path, err, errlen);
}

int hs_results_write_summary_md(const json_t *doc, const char *path,
                                char *err, size_t errlen)
{
    return write_rendered(hs_results_render_summary_md, doc, path, err, errlen);
}

int hs_results_write_all(const json_t *doc, const char *dir, char *err,
                         size_t errlen)
{
    static const struct {
        const char *name;
        render_fn render;
    } files[] = {
        {"results.json", hs_results_render_json},
        {"junit.xml", hs_results_render_junit},
        {"results.tap", hs_results_render_tap},
        {"summary.md", hs_results_render_summary_md},
    };
    char path[4096];
    size_t i;

    if (hs_fs_mkdirs(dir, err, errlen) != 0)
        return -1;
    for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        if (snprintf(path, sizeof(path), "%s/%s", dir, files[i].name) >=
            (int)sizeof(path)) {
            hs_errf(err, errlen, "output folder path too long: %s", dir);
            return -1;
        }
        if (write_rendered(files[i].render, doc, path, err, errlen) != 0)
            return -1;
    }
    return 0;
}

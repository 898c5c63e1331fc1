/*
 * test_report: the HTML report fed hostile peer text, its Content-Security-
 * Policy, the order and content of its sections, the fuzz statistics it
 * shows, its entry points, and a 10,000-case document.
 *
 * The markup check is structural: every tag and attribute on the page must
 * be one the writer uses, every link must stay on the page, and text may
 * hold no raw '>' nor a bare '&'. Whatever a peer sends, the page can only
 * contain our own elements.
 */
#include <fiu-control.h>
#include <fiu.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "util/hs_buf.h"
#include "util/hs_fsutil.h"
#include "output/hs_fuzzstats.h"
#include "output/hs_history.h"
#include "cli/hs_cli.h"
#include "judge/hs_contract.h"
#include "output/hs_report.h"
#include "output/hs_results.h"
#include "util/hs_utf8.h"
#include "tests/test_util.h"

#define BIG_CASES 10000

/* Every trick a peer might try, in one string (NUL included). */
static const char hostile[] =
    "a\0b </script><img src=x onerror=alert(1)> ]]> \xe2\x80\xa8|\xe2\x80\xa9 "
    "\xe2\x80\xaegnp.exe \xe2\x81\xa6iso\xe2\x81\xa9 \x1b[31mred\x1b[0m "
    "<a href=\"javascript:alert(2)\">x</a> &amp; \"q\" 'a' --> <!-- end";

/* Bytes that are not UTF-8; jansson only holds them when told not to check. */
static const char not_utf8[] = "bad \xff\xfe \xc0\xaf \xed\xa0\x80 end";

static json_t *hs(void)
{
    return json_stringn(hostile, sizeof(hostile) - 1);
}

/* ---- documents --------------------------------------------------------- */

static json_t *frame(double t, const char *dir, int opcode, json_t *text)
{
    return json_pack("{s:f,s:s,s:s,s:i,s:o,s:b,s:i,s:b,s:i,s:s,s:o,s:b}",
                     "t_ms", t, "dir", dir, "what", "frame", "opcode", opcode,
                     "op", opcode == 8 ? json_string("close") : hs(), "fin", 1, "rsv", 4,
                     "masked", strcmp(dir, "sent") == 0, "len", 5, "hex", "48656c6c6f",
                     "text", text, "truncated", 1);
}

static json_t *hostile_transcript(void)
{
    json_t *close = frame(9.5, "recv", 8, json_string(""));
    json_t *conn = json_pack("[o,o,o]", frame(1.25, "sent", 1, hs()),
                             frame(2.5, "recv", 1, json_stringn_nocheck(not_utf8,
                                                                        sizeof(not_utf8) - 1)),
                             close);

    json_object_set_new(close, "close_code", json_integer(1011));
    json_object_set_new(close, "close_reason", hs());
    json_object_set_new(json_array_get(conn, 0), "declared_len", json_integer(99999));
    return json_pack("{s:o}", "alice\n<b>\"x\"", conn);
}

/* A case with hostile text in every string the page shows. */
static json_t *make_case(const char *id, const char *status, int clause)
{
    json_t *c = json_pack("{s:s,s:s,s:s,s:s,s:s,s:f,s:[f,f,f],s:s}",
                          "id", id, "status", status, "suite", "seeds<i>",
                          "file", "scenarios/seeds/x<y>.json", "seed", "deps-500",
                          "duration_ms", 12.5, "durations_ms", 12.5, 10.0, 20.0,
                          "repro", "build/harness --filter x </script>");

    json_object_set_new(c, "title", hs());
    json_object_set_new(c, "tags", json_pack("[o,s]", hs(), "plain"));
    json_object_set_new(c, "reasons", json_pack("[{s:i,s:i,s:i,s:o},{s:i,s:n,s:n,s:o}]",
                                                "clause", clause, "step", 3, "line", 14,
                                                "message", hs(), "clause", 0, "step", "line",
                                                "message", hs()));
    json_object_set_new(c, "skip_reason", hs());
    json_object_set_new(c, "known_issue", hs());
    json_object_set_new(c, "log_excerpt", hs());
    json_object_set_new(c, "transcript", hostile_transcript());
    json_object_set_new(c, "faults", json_pack("{s:{s:i,s:i},s:{s:i,s:i}}",
                                               "gateway/bridge/create", "reached", 2,
                                               "fired", 1, "x\"><script>", "reached", 1,
                                               "fired", 0));
    json_object_set_new(c, "verdict", json_pack("{s:o,s:s}", "behavior", hs(),
                                                "close", "WRONG CODE"));
    json_object_set_new(c, "timeline", json_pack("[{s:f,s:s,s:o},{s:f,s:o,s:o,s:o}]",
                                                 "t_ms", 1.5, "kind", "log", "text", hs(),
                                                 "t_ms", 2.5, "kind", hs(), "conn", hs(),
                                                 "text", hs()));
    json_object_set_new(c, "figures", json_pack("[{s:{s:i,s:i,s:{s:i},s:{},s:n}},"
                                                "{s:{s:i,s:i,s:i,s:i,s:[]}}]",
                                                "storm", "clients", 3, "spread_ms", 0,
                                                "first_wave", "<b>x</b>\"", 2, "reconnects",
                                                "recover_ms", "memory", "mark_kib", 1,
                                                "peak_kib", 2, "growth_kib", 1,
                                                "max_growth_kib", 8, "samples"));
    return c;
}

static json_t *make_run(const char *id, const char *commit)
{
    json_t *run = json_pack("{s:s,s:s,s:f,s:s,s:s,s:s,s:i,s:{s:s,s:o}}",
                            "id", id, "started_at", "2026-11-22T22:15:00Z",
                            "duration_ms", 1234.5, "git_commit", commit,
                            "target", "build/gateway", "command", "build/harness x",
                            "seed", 42, "versions", "libwebsockets", "4.1.6",
                            "<evil>", hs());

    json_object_set_new(run, "build_flags", hs());
    return run;
}

static json_t *make_doc(const char *run_id, const char *commit)
{
    static const char nul_id[] = "id\nwith\0nul <b>";
    json_t *doc = json_pack("{s:s,s:o,s:[],s:{s:{s:i}}}", "format", HS_RESULTS_FORMAT,
                            "run", make_run(run_id, commit), "cases",
                            "fault_coverage", "gateway/bridge/create", "scenarios_fired", 1);
    json_t *cases = json_object_get(doc, "cases");
    json_t *c;

    json_array_append_new(cases, make_case("passes", "passed", 1));
    json_array_append_new(cases, make_case("<img src=x onerror=alert(1)>", "failed", 2));
    c = make_case("nul", "failed", 3);
    json_object_set_new(c, "id", json_stringn(nul_id, sizeof(nul_id) - 1));
    json_array_append_new(cases, c);
    json_array_append_new(cases, make_case("</script>", "skipped", 0));
    json_array_append_new(cases, make_case("]]>", "xfailed", 0));
    json_array_append_new(cases, make_case("# TODO", "xpassed", 0));
    json_array_append_new(cases, make_case("flaky\xe2\x80\xae", "flaky", 4));
    json_object_set_new(json_array_get(cases, 0), "title",
                        json_stringn_nocheck(not_utf8, sizeof(not_utf8) - 1));
    return doc;
}

/* A plain case: no transcript, no hostile text. */
static json_t *plain_case(const char *id, const char *status, double ms)
{
    json_t *c = json_pack("{s:s,s:s,s:s,s:f,s:[f],s:[]}", "id", id, "status", status,
                          "suite", "seeds", "duration_ms", ms, "durations_ms", ms,
                          "reasons");

    if (strcmp(status, "failed") == 0)
        json_object_set_new(c, "reasons",
                            json_pack("[{s:i,s:i,s:i,s:s},{s:i,s:i,s:i,s:s}]",
                                      "clause", 0, "step", 3, "line", 18, "message",
                                      "expected the 5 events", "clause", 2, "step", 4,
                                      "line", 20, "message", "alice was closed with 1011"));
    return c;
}

static json_t *plain_doc(const char *run_id, ...)
{
    json_t *doc = json_pack("{s:s,s:{s:s,s:s,s:s},s:[]}", "format", HS_RESULTS_FORMAT,
                            "run", "id", run_id, "git_commit", run_id, "started_at",
                            "2026-11-22T22:15:00Z", "cases");
    va_list ap;
    const char *id;

    va_start(ap, run_id);
    for (id = va_arg(ap, const char *); id != NULL; id = va_arg(ap, const char *)) {
        const char *st = va_arg(ap, const char *);

        json_array_append_new(json_object_get(doc, "cases"), plain_case(id, st, 10.0));
    }
    va_end(ap);
    return doc;
}

/* ---- rendering helpers ------------------------------------------------- */

static char *render_in(const hs_report_in *in, size_t *len)
{
    hs_buf b = HS_BUF_INIT;
    char err[256] = "";

    if (hs_report_render(in, &b, err, sizeof(err)) != 0)
        fail_msg("render failed: %s", err);
    assert_non_null(b.p);
    if (len != NULL)
        *len = b.len;
    return b.p;
}

static char *render(const json_t *doc, const json_t *baseline, const json_t *history,
                    size_t *len)
{
    hs_report_in in = { .doc = doc, .baseline = baseline, .history = history,
                        .diff = HS_DIFF_OPTS_DEFAULT };

    return render_in(&in, len);
}

static size_t occurrences(const char *hay, const char *needle)
{
    size_t n = 0;
    const char *p;

    for (p = strstr(hay, needle); p != NULL; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* The text of the element that starts at the first match of open. */
static char *between(const char *html, const char *open, const char *close)
{
    const char *a = strstr(html, open), *b;

    assert_non_null(a);
    a += strlen(open);
    b = strstr(a, close);
    assert_non_null(b);
    return strndup(a, (size_t)(b - a));
}

/* ---- the markup check -------------------------------------------------- */

static const char *const allowed_tags[] = {
    "html", "head", "meta", "title", "style", "body", "header", "h1", "h2",
    "h3", "h4", "p", "span", "b", "i", "small", "a", "nav", "main", "section", "table",
    "thead", "tbody", "tr", "th", "td", "br", "wbr", "details", "summary", "ul", "li",
    "pre", "code", "footer", "script", NULL
};

static const char *const allowed_attrs[] = {
    "lang", "charset", "http-equiv", "content", "name", "class", "id", "href", "title",
    "data-key", "open", "colspan", NULL
};

static int listed(const char *const *list, const char *s, size_t n)
{
    for (; *list != NULL; list++)
        if (strlen(*list) == n && strncmp(*list, s, n) == 0)
            return 1;
    return 0;
}

/* One attribute at p; returns where it ends. Values are double-quoted. */
static const char *check_attr(const char *p)
{
    size_t n = strspn(p, "abcdefghijklmnopqrstuvwxyz-");
    const char *end;

    if (n == 0 || !listed(allowed_attrs, p, n))
        fail_msg("attribute not written by the report at: %.60s", p);
    if (p[n] != '=')
        return p + n;
    if (p[n + 1] != '"')
        fail_msg("unquoted attribute value at: %.60s", p);
    end = strchr(p + n + 2, '"');
    assert_non_null(end);
    if (memchr(p + n + 2, '<', (size_t)(end - p - n - 2)) != NULL)
        fail_msg("'<' inside an attribute value at: %.60s", p);
    if (n == 4 && strncmp(p, "href", 4) == 0 && p[n + 2] != '#')
        fail_msg("a link leaves the page: %.60s", p);
    return end + 1;
}

/* One tag at p (just after '<'); returns where it ends. */
static const char *check_tag(const char *p)
{
    size_t n;

    if (*p == '/')
        p++;
    n = strspn(p, "abcdefghijklmnopqrstuvwxyz0123456789");
    if (n == 0 || !listed(allowed_tags, p, n))
        fail_msg("element not written by the report at: %.60s", p);
    for (p += n; *p != '>'; ) {
        if (*p == ' ' || *p == '\n') {
            p++;
            continue;
        }
        assert_cmp_int(*p, !=, '\0');
        p = check_attr(p);
    }
    return p + 1;
}

/* "&name;", "&#N;" or "&#xH;": anything else is an unescaped '&'. */
static void check_entity(const char *p)
{
    size_t n = strspn(p + 1, "#xabcdefghijklmnopqrstuvwxyzABCDEF0123456789");

    if (n == 0 || p[1 + n] != ';')
        fail_msg("bare '&' in text at: %.60s", p);
}

static void check_markup(const char *html)
{
    const char *p = html, *end;
    size_t scripts = 0;

    assert_int_equal(strncmp(p, "<!DOCTYPE html>", 15), 0);
    p += 15;
    while (*p != '\0') {
        if (strncmp(p, "<style>", 7) == 0 || strncmp(p, "<script>", 8) == 0) {
            scripts += p[1] == 's' && p[2] == 'c';
            end = strstr(p, p[2] == 't' ? "</style>" : "</script>");
            assert_non_null(end);
            p = check_tag(end + 1);
            continue;
        }
        if (*p == '<')
            p = check_tag(p + 1);
        else if (*p == '>')
            fail_msg("raw '>' in text at: %.60s", p > html + 40 ? p - 40 : html);
        else if (*p++ == '&')
            check_entity(p - 1);
    }
    assert_int_equal(scripts, 1);
}

/* No byte a reader could be fooled by, and valid UTF-8 throughout. */
static void check_bytes(const char *html, size_t n)
{
    static const char *const banned[] = {
        "\x1b", "\xe2\x80\xa8", "\xe2\x80\xa9", "\xe2\x80\xae", "\xe2\x81\xa6",
        "\xe2\x81\xa9", "\xc2\x85", NULL
    };
    size_t i;

    assert_null(memchr(html, '\0', n));
    assert_true(hs_utf8_valid((const unsigned char *)html, n));
    for (i = 0; banned[i] != NULL; i++)
        if (strstr(html, banned[i]) != NULL)
            fail_msg("raw control %zu reached the page", i);
}

/* ---- tests: safety ----------------------------------------------------- */

static void test_hostile_page_is_inert(void **state)
{
    json_t *doc = make_doc("now\"><script>", "c1</title><script>");
    json_t *old = make_doc("old<b>", "c0");
    json_t *base = hs_history_entry(old);
    json_t *runs = json_pack("[O]", base);
    size_t n;
    char *html;

    json_object_set_new(json_object_get(json_object_get(base, "cases"), "passes"),
                        "status", json_string("failed"));
    json_object_set_new(json_object_get(json_object_get(base, "cases"),
                                        "<img src=x onerror=alert(1)>"),
                        "status", json_string("passed"));
    html = render(doc, base, runs, &n);
    check_markup(html);
    check_bytes(html, n);
    assert_non_null(strstr(html, "&lt;img src=x onerror=alert(1)&gt;"));
    assert_non_null(strstr(html, "&lt;/script&gt;&lt;img"));
    assert_non_null(strstr(html, "]]&gt;"));
    assert_non_null(strstr(html, "a&#xFFFD;b"));
    assert_non_null(strstr(html, "bad &#xFFFD;&#xFFFD; &#xFFFD;&#xFFFD;"));
    assert_non_null(strstr(html, "&#x2028;|&#x2029;"));
    assert_non_null(strstr(html, "\\u{202E}gnp.exe"));
    assert_non_null(strstr(html, "\\x1B[31mred"));
    assert_non_null(strstr(html, "&lt;a href=&quot;javascript:alert(2)&quot;&gt;"));
    assert_non_null(strstr(html, "<title>wsfault: 1 new failure since the baseline"));
    assert_non_null(strstr(html, "<tr class=\"tl-other\">"));
    assert_non_null(strstr(html, "first wave: &lt;b&gt;x&lt;/b&gt;&quot; 2"));
    assert_non_null(strstr(html, "<b>not all back</b>"));
    assert_non_null(strstr(html, "grew 1 KiB of 8 allowed"));
    free(html);
    json_decref(runs);
    json_decref(base);
    json_decref(old);
    json_decref(doc);
}

/* The policy allows exactly the page's own style sheet and script. */
static void test_csp_allows_only_own_code(void **state)
{
    json_t *doc = make_doc("r1", "c1");
    char *html = render(doc, NULL, NULL, NULL);
    char *csp = between(html, "Content-Security-Policy\" content=\"", "\"");
    const char *kinds[2][3] = { { "<style>", "</style>", "style-src 'sha256-" },
                                { "<script>", "</script>", "script-src 'sha256-" } };
    unsigned char md[SHA256_DIGEST_LENGTH];
    char b64[64], want[128], *body;
    size_t k;

    assert_non_null(strstr(csp, "default-src 'none'"));
    assert_null(strstr(csp, "unsafe"));
    for (k = 0; k < 2; k++) {
        body = between(html, kinds[k][0], kinds[k][1]);
        SHA256((const unsigned char *)body, strlen(body), md);
        EVP_EncodeBlock((unsigned char *)b64, md, SHA256_DIGEST_LENGTH);
        snprintf(want, sizeof(want), "%s%s'", kinds[k][2], b64);
        assert_non_null(strstr(csp, want));
        free(body);
    }
    assert_null(strstr(html, " src=\""));
    assert_null(strstr(html, "url("));
    assert_null(strstr(html, "@import"));
    free(csp);
    free(html);
    json_decref(doc);
}

/* ---- tests: what the page says ----------------------------------------- */

/* The first section names the regressed case and the clause it broke. */
static void test_diff_comes_first(void **state)
{
    json_t *old = plain_doc("r1", "steady", "passed", "regressed", "passed", NULL);
    json_t *doc = plain_doc("r2", "steady", "passed", "regressed", "failed", NULL);
    json_t *base = hs_history_entry(old);
    char *html = render(doc, base, NULL, NULL);
    char *first = between(html, "<section", "</section>");

    assert_non_null(strstr(first, "id=\"diff\""));
    assert_non_null(strstr(first, "New failures (1)"));
    assert_non_null(strstr(first, "regressed"));
    assert_non_null(strstr(first, "contract 2"));
    assert_non_null(strstr(first, "alice was closed with 1011 <span class=\"mute\">(+1 more)"));
    assert_null(strstr(first, "<b>expectation</b>"));
    assert_null(strstr(first, "steady"));
    assert_non_null(strstr(html, "class=\"headline bad\" id=\"headline\">1 new failure "
                                 "since the baseline"));
    free(first);
    free(html);
    json_decref(base);
    json_decref(old);
    json_decref(doc);
}

static void test_unchanged_run_says_so(void **state)
{
    json_t *doc = plain_doc("r2", "a", "passed", "b", "passed", NULL);
    json_t *old = plain_doc("r1", "a", "passed", "b", "passed", NULL);
    json_t *base = hs_history_entry(old);
    char *html = render(doc, base, NULL, NULL);

    assert_non_null(strstr(html, "Nothing changed"));
    assert_non_null(strstr(html, "headline good"));
    assert_null(strstr(html, "New failures"));
    free(html);
    json_decref(base);
    json_decref(old);
    json_decref(doc);
}

static void test_first_run_without_baseline(void **state)
{
    json_t *doc = plain_doc("r1", "a", "failed", "b", "passed", NULL);
    char *html = render(doc, NULL, NULL, NULL);

    assert_non_null(strstr(html, "No baseline (no earlier run of this target)"));
    assert_non_null(strstr(html, "New failures (1)"));
    assert_non_null(strstr(html, "1 failing (no baseline yet)"));
    free(html);
    json_decref(doc);
}

static void test_totals_from_cases(void **state)
{
    json_t *doc = plain_doc("r1", "a", "failed", "b", "passed", "c", "passed",
                            "d", "skipped", NULL);
    char *html, *totals;

    json_object_set_new(doc, "totals", json_pack("{s:i}", "passed", 99));
    html = render(doc, NULL, NULL, NULL);
    totals = between(html, "id=\"totals\">", "</p>");
    assert_non_null(strstr(totals, "4 cases"));
    assert_non_null(strstr(totals, ">2 passed<"));
    assert_non_null(strstr(totals, ">1 failed<"));
    assert_non_null(strstr(totals, ">1 skipped<"));
    assert_null(strstr(totals, "flaky"));
    free(totals);
    free(html);
    json_decref(doc);
}

/* Failures open and first; passes folded and last. */
static void test_failures_open_passes_folded(void **state)
{
    json_t *doc = plain_doc("r1", "p1", "passed", "f1", "failed", "s1", "skipped", NULL);
    char *html = render(doc, NULL, NULL, NULL);
    const char *f = strstr(html, "<details class=\"case s-failed\" id=\"c-1\"");
    const char *s = strstr(html, "<details class=\"case s-skipped\" id=\"c-2\"");
    const char *p = strstr(html, "<details class=\"case s-passed\" id=\"c-0\"");

    assert_non_null(f);
    assert_non_null(s);
    assert_non_null(p);
    assert_cmp_int(f - html, <, s - html);
    assert_cmp_int(s - html, <, p - html);
    assert_non_null(strstr(f, "data-key=\"f1 failed seeds \" open>"));
    assert_non_null(strstr(p, "data-key=\"p1 passed seeds \">"));
    free(html);
    json_decref(doc);
}

/*
 * Each clause broken is shown with its line from the contract's own table;
 * a number that is no clause shows no line, however it might wrap.
 */
static void test_clause_lines(void **state)
{
    static const json_int_t odd[] = { 9, -1, (1LL << 32) + 1 };
    json_t *doc = plain_doc("r1", "every-clause", "failed", NULL);
    json_t *reasons = json_array();
    char want[256];
    char *html;
    json_int_t k;
    size_t i;

    for (k = 0; k <= HS_CONTRACT_CLAUSES; k++)
        json_array_append_new(reasons, json_pack("{s:I,s:s}", "clause", k, "message", "seen"));
    for (i = 0; i < sizeof(odd) / sizeof(odd[0]); i++)
        json_array_append_new(reasons, json_pack("{s:I,s:s}", "clause", odd[i],
                                                 "message", "seen"));
    json_object_set_new(json_array_get(json_object_get(doc, "cases"), 0), "reasons", reasons);
    html = render(doc, NULL, NULL, NULL);
    assert_non_null(strstr(html, "<b>expectation</b><br><small>the scenario's own "
                                 "expectation</small>"));
    for (k = 1; k <= HS_CONTRACT_CLAUSES; k++) {
        snprintf(want, sizeof(want), "<b>contract %lld</b><br><small>%s</small>",
                 (long long)k, hs_contract_clause(k)->text);
        assert_non_null(strstr(html, want));
    }
    for (i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
        snprintf(want, sizeof(want), "<b>contract %lld</b></td>", (long long)odd[i]);
        assert_non_null(strstr(html, want));
    }
    free(html);
    json_decref(doc);
}

static void test_still_failing_since(void **state)
{
    json_t *d1 = plain_doc("r1", "a", "passed", NULL);
    json_t *d2 = plain_doc("r2", "a", "failed", NULL);
    json_t *d3 = plain_doc("r3", "a", "failed", NULL);
    json_t *d4 = plain_doc("r4", "a", "failed", NULL);
    json_t *runs = json_pack("[o,o,o]", hs_history_entry(d1), hs_history_entry(d2),
                             hs_history_entry(d3));
    char *html = render(d4, json_array_get(runs, 2), runs, NULL);
    char *still = between(html, "Still failing (1)", "</table>");
    char *summary = between(html, "id=\"c-0\"", "</summary>");

    assert_non_null(strstr(still, "run <span class=\"mono\">r2</span>"));
    assert_non_null(strstr(still, "<td>3</td>"));
    assert_non_null(strstr(summary, "<span class=\"strip\"><i class=\"s-passed\">"
                                    "\xE2\x9C\x93</i><i class=\"s-failed\">\xE2\x9C\x97"
                                    "\xE2\x9C\x97\xE2\x9C\x97</i></span>"));
    free(summary);
    free(still);
    free(html);
    json_decref(runs);
    json_decref(d1);
    json_decref(d2);
    json_decref(d3);
    json_decref(d4);
}

static void test_transcript_rows(void **state)
{
    json_t *doc = make_doc("r1", "c1");
    json_t *c = json_array_get(json_object_get(doc, "cases"), 1);
    json_t *conn = json_array(), *e;
    char *html, *table;
    size_t i;

    html = render(doc, NULL, NULL, NULL);
    table = between(html, "<table class=\"wire\">", "</table>");
    assert_non_null(strstr(table, "<tr class=\"w-sent\"><td>1</td><td>1.2</td><td>sent</td>"
                                  "<td>frame</td>"));
    assert_non_null(strstr(table, "<td>1</td><td>4</td><td>1</td><td>5 <small>(header: "
                                  "99999)</small></td><td class=\"hex\">48656c6c6f</td>"));
    assert_non_null(strstr(table, "<tr class=\"close-bad\"><td>3</td><td>9.5</td>"));
    assert_non_null(strstr(table, "<b>close 1011</b> a&#xFFFD;b &lt;/script&gt;"));
    assert_non_null(strstr(table, "(payload cut)"));
    free(table);
    free(html);
    for (i = 0; i < 500; i++) {
        e = json_pack("{s:f,s:s,s:s,s:s}", "t_ms", (double)i, "dir", "note", "what", "note",
                      "text", "step");
        json_array_append_new(conn, e);
    }
    json_object_set_new(c, "transcript", json_pack("{s:o}", "bob", conn));
    html = render(doc, NULL, NULL, NULL);
    table = between(html, "connection <span class=\"mono\">bob</span>", "</table>");
    assert_int_equal(occurrences(table, "<tr class=\"w-note\"><td>"), HS_REPORT_TRANSCRIPT_ROWS);
    assert_non_null(strstr(table, "300 entries not shown here"));
    assert_non_null(strstr(table, "<td>50</td>"));
    assert_null(strstr(table, "<td>51</td>"));
    assert_non_null(strstr(table, "<td>351</td>"));
    assert_non_null(strstr(table, "<td>500</td>"));
    free(table);
    free(html);
    json_decref(doc);
}

static void test_matrix_and_grid(void **state)
{
    json_t *doc = make_doc("r1", "c1");
    json_t *old = make_doc("r0", "c0");
    json_t *base = hs_history_entry(old);
    json_t *v = json_object_get(json_object_get(json_object_get(base, "cases"), "passes"),
                                "verdict");
    char *html, *matrix, *grid;

    json_object_set_new(v, "close", json_string("OK"));
    html = render(doc, base, NULL, NULL);
    matrix = between(html, "<section id=\"matrix\">", "</section>");
    grid = between(html, "<section id=\"conformance\">", "</section>");
    assert_non_null(strstr(matrix, "<th class=\"mono\">gateway/<wbr>bridge/<wbr>create</th>"));
    assert_non_null(strstr(matrix, "<th class=\"mono\">deps-500</th><td class=\"bad\">4/7</td>"));
    assert_non_null(strstr(matrix, "<a class=\"s-failed\" href=\"#c-1\""));
    assert_non_null(strstr(matrix, "<a class=\"s-passed\" href=\"#c-0\""));
    assert_null(strstr(matrix, "&lt;script&gt;"));
    assert_non_null(strstr(matrix, "<td>fired in 1</td>"));
    assert_non_null(strstr(grid, "<td class=\"c-wrong changed\">WRONG CODE <small>(was OK)"));
    assert_int_equal(occurrences(grid, " changed\""), 1);
    free(matrix);
    free(grid);
    free(html);
    json_decref(base);
    json_decref(old);
    json_decref(doc);
}

/* ---- tests: fuzz statistics -------------------------------------------- */

static void put_file(const char *rel, const char *text)
{
    char path[256], dir[256];

    test_path(path, sizeof(path), rel);
    snprintf(dir, sizeof(dir), "%s", path);
    *strrchr(dir, '/') = '\0';
    assert_int_equal(hs_fs_mkdirs(dir, NULL, 0), 0);
    assert_int_equal(hs_fs_write_atomic(path, text, strlen(text), NULL, 0), 0);
}

static void make_fuzz_tree(void)
{
    put_file("fz/out/router/main/fuzzer_stats",
             "start_time        : 1700000000\nlast_update       : 1700003600\n"
             "run_time          : 3600\nexecs_done        : 1000\n"
             "execs_per_sec     : 35000.50\ncorpus_count      : 120\n"
             "saved_crashes     : 1\nsaved_hangs       : 0\nstability         : 99.50%\n"
             "afl_version       : ++4.04c\nbitmap_cvg        : 1.20%\n");
    put_file("fz/out/router/s1/fuzzer_stats",
             "start_time : 1699990000\nrun_time : 7200\nexecs_done : 500\n"
             "execs_per_sec : 100\npaths_total : 150\nunique_crashes : 2\n"
             "stability : nan\nexecs_done : lots\ngarbage line\n");
    put_file("fz/out/router/s2/not_stats", "execs_done : 999999\n");
    put_file("fz/out/router/s3/fuzzer_stats", "corpus_count : 100\nexecs_done : 0\n");
    put_file("fz/regressions/router/b1.txt", "\n<script>alert(1)</script> in route()\nmore");
    put_file("fz/regressions/router/input-b1", "binary");
    put_file("fz/regressions/frames/empty.txt", "");
}

static void test_fuzzstats_sums(void **state)
{
    char out[128], reg[128];
    json_t *all = NULL, *brief;
    const json_t *t, *b;

    make_fuzz_tree();
    test_path(out, sizeof(out), "fz/out");
    test_path(reg, sizeof(reg), "fz/regressions");
    assert_int_equal(hs_fuzzstats_load(out, reg, &all, NULL, 0), 0);
    assert_int_equal(json_object_size(all), 2);
    t = json_object_get(all, "router");
    assert_int_equal(json_integer_value(json_object_get(t, "instances")), 3);
    assert_cmp_dbl(json_number_value(json_object_get(t, "execs_done")), ==, 1500.0);
    assert_cmp_dbl(json_number_value(json_object_get(t, "execs_per_sec")), ==, 35100.5);
    assert_cmp_dbl(json_number_value(json_object_get(t, "corpus_count")), ==, 150.0);
    assert_cmp_dbl(json_number_value(json_object_get(t, "saved_crashes")), ==, 3.0);
    assert_cmp_dbl(json_number_value(json_object_get(t, "stability")), ==, 99.5);
    assert_cmp_dbl(json_number_value(json_object_get(t, "start_time")), ==, 1699990000.0);
    assert_cmp_dbl(json_number_value(json_object_get(t, "run_time")), ==, 7200.0);
    assert_string_equal(json_string_value(json_object_get(t, "afl_version")), "++4.04c");
    b = json_array_get(json_object_get(t, "buckets"), 0);
    assert_int_equal(json_array_size(json_object_get(t, "buckets")), 1);
    assert_string_equal(json_string_value(json_object_get(b, "name")), "b1");
    assert_string_equal(json_string_value(json_object_get(b, "signature")),
                        "<script>alert(1)</script> in route()");
    assert_int_equal(json_array_size(json_object_get(json_object_get(all, "frames"),
                                                     "buckets")), 1);
    brief = hs_fuzzstats_brief(all);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(brief, "router"),
                                                        "buckets")), 1);
    assert_null(json_object_get(json_object_get(brief, "router"), "afl_version"));
    json_decref(brief);
    json_decref(all);
}

static void test_fuzzstats_nothing_there(void **state)
{
    json_t *all = (json_t *)1;

    assert_int_equal(hs_fuzzstats_load("/nonexistent/out", NULL, &all, NULL, 0), 0);
    assert_null(all);
}

static void test_fuzz_section(void **state)
{
    char out[128], reg[128];
    json_t *doc = plain_doc("r2", "a", "passed", NULL);
    json_t *all = NULL, *prev = hs_history_entry(doc), *same = hs_history_entry(doc), *runs;
    hs_report_in in = { .doc = doc, .diff = HS_DIFF_OPTS_DEFAULT };
    char *html, *sec;

    make_fuzz_tree();
    test_path(out, sizeof(out), "fz/out");
    test_path(reg, sizeof(reg), "fz/regressions");
    assert_int_equal(hs_fuzzstats_load(out, reg, &all, NULL, 0), 0);
    json_object_set_new(prev, "run", json_string("r1"));
    json_object_set_new(prev, "fuzz", json_pack("{s:{s:f,s:f,s:f,s:i}}", "router",
                                                "start_time", 1.6e9, "corpus_count", 100.0,
                                                "saved_crashes", 3.0, "buckets", 0));
    json_object_set_new(same, "run", json_string("r1b"));
    json_object_set_new(same, "fuzz", json_pack("{s:{s:f,s:f,s:f,s:i}}", "router",
                                                "start_time", 1699990000.0, "corpus_count",
                                                150.0, "saved_crashes", 3.0, "buckets", 1));
    runs = json_pack("[o,o]", prev, same);
    in.fuzz = all;
    in.history = runs;
    html = render_in(&in, NULL);
    check_markup(html);
    sec = between(html, "<section id=\"fuzz\">", "</section>");
    assert_non_null(strstr(sec, "<th class=\"mono\">router</th><td>3</td><td>1500</td>"
                                "<td>35100</td><td>150</td><td>3</td>"));
    assert_non_null(strstr(sec, "<td>99.50%</td><td>2h&nbsp;00m</td>"));
    assert_non_null(strstr(sec, "corpus +50, buckets +1"));
    assert_non_null(strstr(sec, "no earlier campaign recorded"));
    assert_non_null(strstr(sec, "&lt;script&gt;alert(1)&lt;/script&gt; in route()"));
    free(sec);
    free(html);
    json_decref(runs);
    json_decref(all);
    json_decref(doc);
}

/* ---- tests: entry points ----------------------------------------------- */

/* hs_cli_report with "report" and the given arguments, NULL-terminated. */
static int run_main(const char *first, ...)
{
    char *argv[10] = { "report" };
    int argc = 1;
    const char *a;
    va_list ap;

    va_start(ap, first);
    for (a = first; a != NULL && argc < 9; a = va_arg(ap, const char *))
        argv[argc++] = (char *)a;
    va_end(ap);
    return hs_cli_report(argc, argv);
}

static void save_doc(const json_t *doc, const char *name, char *path, size_t len)
{
    test_path(path, len, name);
    assert_int_equal(hs_results_write_json(doc, path, NULL, 0), 0);
}

/* make bench's figures appear, escaped, and only when there are some. */
static void test_bench_section(void **state)
{
    json_t *doc = plain_doc("r1", "a", "passed", NULL);
    json_t *bench = json_pack("{s:{s:f,s:s}}", "suite", "wall_ms", 7222.9,
                              "<img src=x onerror=alert(1)>", "</script>");
    hs_report_in in = { .doc = doc, .diff = HS_DIFF_OPTS_DEFAULT };
    char *html;
    size_t len;

    html = render_in(&in, &len);
    assert_null(strstr(html, "id=\"bench\""));
    free(html);
    in.bench = bench;
    html = render_in(&in, &len);
    assert_non_null(strstr(html, "id=\"bench\""));
    assert_non_null(strstr(html, "suite.wall_ms</th><td>7223"));
    assert_null(strstr(html, "<img src=x"));
    assert_int_equal(occurrences(html, "</script>"), occurrences(html, "<script"));
    free(html);
    json_decref(bench);
    json_decref(doc);
}

static void test_main_exit_codes(void **state)
{
    char res[128], bad[128], hist[128], out[128], base[128];
    json_t *doc = plain_doc("r1", "a", "failed", "<b>", "passed", NULL);
    char *text = NULL;
    size_t n;

    put_file("main/bad.json", "{\"format\":\"wsfault-results/1\",\"cases\":[{}]}");
    save_doc(doc, "main/results.json", res, sizeof(res));
    test_path(bad, sizeof(bad), "main/bad.json");
    test_path(hist, sizeof(hist), "main/history.jsonl");
    test_path(out, sizeof(out), "main/page.html");
    assert_int_equal(run_main(NULL), 2);
    assert_int_equal(run_main("--help", NULL), 0);
    assert_int_equal(run_main(res, "--bogus", NULL), 2);
    assert_int_equal(run_main(res, res, NULL), 2);
    assert_int_equal(run_main(res, "--out", NULL), 2);
    assert_int_equal(run_main("/nonexistent.json", NULL), 2);
    assert_int_equal(run_main(bad, "--history", hist, NULL), 2);
    assert_int_equal(run_main(res, "--baseline", bad, "--history", hist, NULL), 2);
    assert_int_equal(run_main(res, "--history", hist, "--out", "/nonexistent/x.html",
                              NULL), 1);
    save_doc(doc, "main/base.json", base, sizeof(base));
    assert_int_equal(run_main(res, "--baseline", base, "--history", hist, "--out", out,
                              NULL), 0);
    assert_int_equal(hs_fs_read_file(out, &text, &n, NULL, 0), 0);
    assert_non_null(strstr(text, "pinned: "));
    free(text);
    assert_int_equal(run_main(res, "--history=/nonexistent/h.jsonl", NULL), 0);
    test_path(out, sizeof(out), "main/index.html");
    assert_int_equal(access(out, R_OK), 0);
    assert_int_equal(access(hist, F_OK), -1);
    json_decref(doc);
}

/* Two runs and a regression in between: the second page names it. */
static void test_after_run_twice(void **state)
{
    char dir1[128], dir2[128], hist[128], page[160], err[256] = "";
    json_t *d1 = plain_doc("r1", "a", "passed", "b", "passed", NULL);
    json_t *d2 = plain_doc("r2", "a", "passed", "b", "failed", NULL);
    json_t *runs = NULL;
    char *text = NULL;
    size_t n;

    test_path(dir1, sizeof(dir1), "runs/r1");
    test_path(dir2, sizeof(dir2), "runs/r2");
    test_path(hist, sizeof(hist), "runs/history.jsonl");
    assert_int_equal(hs_fs_mkdirs(dir1, NULL, 0), 0);
    assert_int_equal(hs_fs_mkdirs(dir2, NULL, 0), 0);
    assert_int_equal(hs_report_after_run(d1, dir1, hist, NULL, err, sizeof(err)), 0);
    assert_int_equal(hs_report_after_run(d2, dir2, hist, NULL, err, sizeof(err)), 0);
    snprintf(page, sizeof(page), "%s/index.html", dir2);
    assert_int_equal(hs_fs_read_file(page, &text, &n, NULL, 0), 0);
    assert_non_null(strstr(text, "1 new failure since the baseline"));
    assert_non_null(strstr(text, "Baseline: run <span class=\"mono\">r1</span>"));
    assert_int_equal(hs_history_load(hist, &runs, NULL, NULL, 0), 0);
    assert_int_equal(json_array_size(runs), 2);
    free(text);
    json_decref(runs);
    json_decref(d1);
    json_decref(d2);
}

/* doc as a run of kind/target over the default selection. */
static json_t *of_target(json_t *doc, const char *kind, const char *target)
{
    json_t *run = json_object_get(doc, "run");

    json_object_set_new(run, "target_kind", json_string(kind));
    json_object_set_new(run, "target", json_string(target));
    json_object_set_new(run, "selection", json_pack("{s:[s],s:s}", "paths", "scenarios",
                                                    "shard", "1/1"));
    return doc;
}

/* A run against another server in between is no baseline for the next
 * reference run, and the pages say which baseline and why. */
static void test_baseline_of_same_target(void **state)
{
    char dir[128], hist[128], page[160], err[256] = "";
    json_t *d1 = of_target(plain_doc("r1", "a", "passed", NULL), "reference", "build/gateway");
    json_t *d2 = of_target(plain_doc("u1", "a", "failed", NULL), "url", "ws://h:1/ws");
    json_t *d3 = of_target(plain_doc("r2", "a", "failed", NULL), "reference", "build/gateway");
    char *text = NULL;
    size_t n;

    test_path(dir, sizeof(dir), "same");
    test_path(hist, sizeof(hist), "same/history.jsonl");
    assert_int_equal(hs_fs_mkdirs(dir, NULL, 0), 0);
    snprintf(page, sizeof(page), "%s/index.html", dir);
    assert_int_equal(hs_report_after_run(d1, dir, hist, NULL, err, sizeof(err)), 0);
    assert_int_equal(hs_report_after_run(d2, dir, hist, NULL, err, sizeof(err)), 0);
    assert_int_equal(hs_fs_read_file(page, &text, &n, NULL, 0), 0);
    assert_non_null(strstr(text, "No baseline (none: the history has 1 run of other "
                                 "targets or selections only)"));
    free(text);
    assert_int_equal(hs_report_after_run(d3, dir, hist, NULL, err, sizeof(err)), 0);
    assert_int_equal(hs_fs_read_file(page, &text, &n, NULL, 0), 0);
    assert_non_null(strstr(text, "Baseline: run <span class=\"mono\">r1</span>"));
    assert_non_null(strstr(text, "(the last earlier run of the same target and selection)"));
    assert_non_null(strstr(text, "1 new failure since the baseline"));
    free(text);
    json_decref(d1);
    json_decref(d2);
    json_decref(d3);
}

/* Each target keeps its own HS_HISTORY_KEEP runs: a busy one cannot push
 * another's out of the file. */
static void test_history_keeps_per_target(void **state)
{
    char dir[128], hist[128], id[16], err[256] = "";
    json_t *runs = NULL, *doc;
    size_t urls = 0, i;
    json_t *e;

    test_path(dir, sizeof(dir), "per");
    test_path(hist, sizeof(hist), "per/history.jsonl");
    assert_int_equal(hs_fs_mkdirs(dir, NULL, 0), 0);
    doc = of_target(plain_doc("u0", "a", "passed", NULL), "url", "ws://h:1/ws");
    assert_int_equal(hs_report_after_run(doc, dir, hist, NULL, err, sizeof(err)), 0);
    json_decref(doc);
    for (int k = 0; k < HS_HISTORY_KEEP + 5; k++) {
        snprintf(id, sizeof(id), "r%02d", k);
        doc = of_target(plain_doc(id, "a", "passed", NULL), "reference", "build/gateway");
        assert_int_equal(hs_report_after_run(doc, dir, hist, NULL, err, sizeof(err)), 0);
        json_decref(doc);
    }
    assert_int_equal(hs_history_load(hist, &runs, NULL, NULL, 0), 0);
    json_array_foreach(runs, i, e)
        urls += strcmp(json_string_value(json_object_get(e, "target_kind")), "url") == 0;
    assert_int_equal(urls, 1);
    assert_int_equal(json_array_size(runs), HS_HISTORY_KEEP + 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(runs, 1), "run")),
                        "r05");
    json_decref(runs);
}

static void test_after_run_keeps_twenty(void **state)
{
    char dir[128], hist[128], id[16], err[256] = "";
    json_t *runs = NULL, *doc;
    int i;

    test_path(dir, sizeof(dir), "keep");
    test_path(hist, sizeof(hist), "keep/history.jsonl");
    assert_int_equal(hs_fs_mkdirs(dir, NULL, 0), 0);
    for (i = 0; i < HS_HISTORY_KEEP + 5; i++) {
        snprintf(id, sizeof(id), "k%02d", i);
        doc = plain_doc(id, "a", i % 2 ? "failed" : "passed", NULL);
        assert_int_equal(hs_report_after_run(doc, dir, hist, NULL, err, sizeof(err)), 0);
        json_decref(doc);
    }
    assert_int_equal(hs_history_load(hist, &runs, NULL, NULL, 0), 0);
    assert_int_equal(json_array_size(runs), HS_HISTORY_KEEP);
    assert_string_equal(json_string_value(json_object_get(json_array_get(runs, 0), "run")),
                        "k05");
    json_decref(runs);
}

/* A failed write leaves the previous page whole. */
static void test_write_failure_keeps_old_page(void **state)
{
    char path[128], err[256] = "";
    json_t *doc = plain_doc("r1", "a", "passed", NULL);
    hs_report_in in = { .doc = doc, .diff = HS_DIFF_OPTS_DEFAULT };
    char *text = NULL;
    size_t n;

    test_path(path, sizeof(path), "old.html");
    put_file("old.html", "old page");
    fiu_init(0);
    fiu_enable("harness/fs/rename", 1, NULL, 0);
    assert_int_equal(hs_report_write(&in, path, err, sizeof(err)), -1);
    fiu_disable("harness/fs/rename");
    assert_non_null(strstr(err, path));
    assert_int_equal(hs_fs_read_file(path, &text, &n, NULL, 0), 0);
    assert_string_equal(text, "old page");
    free(text);
    json_decref(doc);
}

static void test_bad_document_refused(void **state)
{
    json_t *doc = json_pack("{s:s,s:[{s:s}]}", "format", HS_RESULTS_FORMAT, "cases",
                            "id", "no-status");
    hs_report_in in = { .doc = doc, .diff = HS_DIFF_OPTS_DEFAULT };
    hs_buf b = HS_BUF_INIT;
    char err[256] = "";

    assert_int_equal(hs_report_render(&in, &b, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "status"));
    assert_int_equal(b.len, 0);
    hs_buf_free(&b);
    json_decref(doc);
}

/* ---- tests: scale ------------------------------------------------------ */

static json_t *big_doc(const char *run_id)
{
    json_t *doc = plain_doc(run_id, NULL), *cases = json_object_get(doc, "cases");
    char id[32];
    int i;

    for (i = 0; i < BIG_CASES; i++) {
        snprintf(id, sizeof(id), "case-%05d", i);
        json_array_append_new(cases, plain_case(id, i % 50 == 0 ? "failed" : "passed",
                                                10.0 + i % 7));
    }
    return doc;
}

static void test_ten_thousand_cases(void **state)
{
    json_t *doc = big_doc("big2"), *old = big_doc("big1");
    json_t *runs = json_pack("[o]", hs_history_entry(old));
    struct timespec t0, t1;
    size_t n;
    char *html;
    double ms;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    html = render(doc, json_array_get(runs, 0), runs, &n);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
    print_message("10000 cases: %.0f ms, %zu bytes\n", ms, n);
    assert_int_equal(occurrences(html, "<details class=\"case "), BIG_CASES);
    assert_int_equal(occurrences(html, "\" open>"), BIG_CASES / 50);
    assert_non_null(strstr(html, "200 still failing"));
    assert_non_null(strstr(html, "transcripts and logs of passing cases are left out"));
    assert_cmp_dbl(ms, <, 20000.0);
    free(html);
    json_decref(runs);
    json_decref(old);
    json_decref(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hostile_page_is_inert),
        cmocka_unit_test(test_csp_allows_only_own_code),
        cmocka_unit_test(test_diff_comes_first),
        cmocka_unit_test(test_unchanged_run_says_so),
        cmocka_unit_test(test_first_run_without_baseline),
        cmocka_unit_test(test_totals_from_cases),
        cmocka_unit_test(test_failures_open_passes_folded),
        cmocka_unit_test(test_clause_lines),
        cmocka_unit_test(test_still_failing_since),
        cmocka_unit_test(test_transcript_rows),
        cmocka_unit_test(test_matrix_and_grid),
        cmocka_unit_test(test_fuzzstats_sums),
        cmocka_unit_test(test_fuzzstats_nothing_there),
        cmocka_unit_test(test_fuzz_section),
        cmocka_unit_test(test_bench_section),
        cmocka_unit_test(test_main_exit_codes),
        cmocka_unit_test(test_after_run_twice),
        cmocka_unit_test(test_after_run_keeps_twenty),
        cmocka_unit_test(test_baseline_of_same_target),
        cmocka_unit_test(test_history_keeps_per_target),
        cmocka_unit_test(test_write_failure_keeps_old_page),
        cmocka_unit_test(test_bad_document_refused),
        cmocka_unit_test(test_ten_thousand_cases),
    };

    return cmocka_run_group_tests(tests, test_dir_setup, test_dir_teardown);
}

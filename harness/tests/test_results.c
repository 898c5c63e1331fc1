/*
 * test_results: the CI result writers fed a results document full of
 * hostile peer text, and the atomic file writing under them.
 *
 * JUnit is parsed back with xmllint when it is installed (Debian package
 * libxml2-utils) and always with a small well-formedness check of our own,
 * so a machine without xmllint still tests something real.
 */
#include <dirent.h>
#include <errno.h>
#include <fiu-control.h>
#include <fiu.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "util/hs_buf.h"
#include "util/hs_fsutil.h"
#include "output/hs_results.h"
#include "tests/test_util.h"

#define BIG_CASES 10000

/* Every trick a peer might try, in one string; valid UTF-8 as jansson wants. */
static const char hostile[] =
    "a\0b </script><img src=x onerror=alert(1)> ]]> \xe2\x80\xa8 \xe2\x80\xae"
    "exe.txt \x1b[31mred\x1b[0m\nnot ok 99 - forged # SKIP\n  ...\n---"
    " | [x](https://evil.example) <https://evil.example> www.evil.example"
    " mail@evil.example &amp; \"q\" 'a' `c` *e* _u_ \\ \r\t end";

static json_t *hostile_string(void)
{
    return json_stringn(hostile, sizeof(hostile) - 1);
}

static json_t *transcript(void)
{
    json_t *entry = json_pack("{s:f, s:s, s:s, s:i, s:o, s:b, s:i, s:b, s:i, "
                              "s:s, s:o, s:b, s:i}",
                              "t_ms", 1.5, "dir", "recv", "what", "frame",
                              "opcode", 1, "op", hostile_string(), "fin", 1, "rsv", 0,
                              "masked", 0, "len", 5, "hex", "48656c6c6f",
                              "text", hostile_string(), "truncated", 1,
                              "close_code", 1011);

    return json_pack("{s:[o]}", "alice\n<b>", entry);
}

/* A case with hostile text in every string field the writers show. */
static json_t *make_case(const char *id, const char *suite, const char *status)
{
    json_t *c = json_pack("{s:s, s:s, s:s, s:s, s:f, s:[f, f], s:s, s:s}",
                          "id", id, "suite", suite, "status", status,
                          "file", "scenarios/seeds/x<y>.json",
                          "duration_ms", 12.5, "durations_ms", 12.5, 20.0,
                          "repro", "build/harness --filter x </script>",
                          "seed", "deps-500");

    json_object_set_new(c, "title", hostile_string());
    json_object_set_new(c, "reasons",
                        json_pack("[{s:i, s:i, s:i, s:o}, {s:i, s:n, s:n, s:o}]",
                                  "clause", 1, "step", 3, "line", 14,
                                  "message", hostile_string(), "clause", 0,
                                  "step", "line", "message", hostile_string()));
    json_object_set_new(c, "skip_reason", hostile_string());
    json_object_set_new(c, "known_issue", hostile_string());
    json_object_set_new(c, "log_excerpt", hostile_string());
    json_object_set_new(c, "transcript", transcript());
    return c;
}

static json_t *make_doc(void)
{
    static const char bad_id[] = "id\nwith\0newline <b>";
    json_t *doc = json_pack(
        "{s:s, s:{s:s, s:s, s:f, s:s, s:i, s:s, s:b, s:{s:s}}, s:[]}",
        "format", HS_RESULTS_FORMAT, "run", "id", "20261122T221500Z-1a2b",
        "started_at", "2026-11-22T22:15:00Z", "duration_ms", 1234.5,
        "git_commit", "abc123", "seed", 42, "shard", "1/1", "strict", 0,
        "versions", "jansson", "2.14", "cases");
    json_t *cases = json_object_get(doc, "cases");
    json_t *c;

    json_array_append_new(cases, make_case("passes", "seeds", "passed"));
    c = make_case("id\nwith newline", "seeds", "failed");
    json_object_set_new(c, "id", json_stringn(bad_id, sizeof(bad_id) - 1));
    json_array_append_new(cases, c);
    json_array_append_new(cases, make_case("</script>", "security", "skipped"));
    json_array_append_new(cases, make_case("]]>", "security", "xfailed"));
    json_array_append_new(cases, make_case("# TODO", "seeds", "xpassed"));
    json_array_append_new(cases, make_case("flaky\xe2\x80\xae", "seeds", "flaky"));
    return doc;
}


typedef int (*render_fn)(const json_t *doc, hs_buf *out, char *err,
                         size_t errlen);

/* Render doc with fn, expecting success; the caller frees the text. */
static char *render(render_fn fn, const json_t *doc, size_t *len)
{
    hs_buf b = HS_BUF_INIT;
    char err[256] = "";

    if (fn(doc, &b, err, sizeof(err)) != 0)
        fail_msg("render failed: %s", err);
    assert_non_null(b.p);
    if (len != NULL)
        *len = b.len;
    return b.p;
}

static char *path_in(const char *name)
{
    static char path[256];

    return test_path(path, sizeof(path), name);
}

static void put_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static void assert_file_is(const char *path, const char *want)
{
    char *got = NULL;
    size_t n = 0;
    char err[256];

    assert_int_equal(hs_fs_read_file(path, &got, &n, err, sizeof(err)), 0);
    assert_int_equal(n, strlen(want));
    assert_string_equal(got, want);
    free(got);
}

/* No temporary file may be left behind in the folder after a failed write. */
static void assert_no_temp_files(void)
{
    DIR *d = opendir(test_dir());
    struct dirent *e;

    assert_non_null(d);
    while ((e = readdir(d)) != NULL)
        if (strstr(e->d_name, ".tmp-") != NULL)
            fail_msg("temporary file left behind: %s", e->d_name);
    closedir(d);
}

static int count(const char *hay, const char *needle)
{
    int n = 0;

    for (hay = strstr(hay, needle); hay != NULL; hay = strstr(hay + 1, needle))
        n++;
    return n;
}

/* ---- a small XML well-formedness check -------------------------------- */

#define XML_DEPTH 16

typedef struct xml_check {
    const char *p;
    char stack[XML_DEPTH][32];
    int depth;
} xml_check;

static size_t xml_name(const char *p)
{
    size_t n = 0;

    while (p[n] == '-' || p[n] == '_' || p[n] == '.' || p[n] == ':' ||
           (p[n] >= 'a' && p[n] <= 'z') || (p[n] >= 'A' && p[n] <= 'Z') ||
           (p[n] >= '0' && p[n] <= '9'))
        n++;
    return n;
}

/* '&' must open one of the references the writer uses. */
static void xml_ref(const char *p)
{
    static const char *const refs[] = {
        "&amp;", "&lt;", "&gt;", "&quot;", "&#39;", "&#13;", "&#x2028;",
        "&#x2029;"
    };
    size_t i;

    for (i = 0; i < sizeof(refs) / sizeof(refs[0]); i++)
        if (strncmp(p, refs[i], strlen(refs[i])) == 0)
            return;
    fail_msg("bad reference at: %.20s", p);
}

/* Character data or an attribute value up to stop: no '<', no bad byte. */
static const char *xml_chars(const char *p, char stop)
{
    for (; *p != stop && *p != '\0'; p++) {
        assert_int_not_equal(*p, '<');
        if (*p == '&')
            xml_ref(p);
        if ((unsigned char)*p < 0x20 && *p != '\n' && *p != '\t')
            fail_msg("control byte 0x%02x in XML", (unsigned char)*p);
        if (stop == '<' && strncmp(p, "]]>", 3) == 0)
            fail_msg("]]> in character data");
    }
    return p;
}

static const char *xml_tag(xml_check *x, const char *p)
{
    size_t n;

    if (p[1] == '/') {
        n = xml_name(p + 2);
        assert_cmp_int(x->depth, >, 0);
        x->depth--;
        assert_int_equal(n, strlen(x->stack[x->depth]));
        assert_memory_equal(p + 2, x->stack[x->depth], n);
        assert_int_equal(p[2 + n], '>');
        return p + 3 + n;
    }
    n = xml_name(p + 1);
    assert_cmp_uint(n, >, 0);
    assert_cmp_uint(n, <, 32);
    assert_cmp_int(x->depth, <, XML_DEPTH);
    memcpy(x->stack[x->depth], p + 1, n);
    x->stack[x->depth][n] = '\0';
    for (p += 1 + n; *p == ' ';) {
        p++;
        n = xml_name(p);
        assert_cmp_uint(n, >, 0);
        assert_memory_equal(p + n, "=\"", 2);
        p = xml_chars(p + n + 2, '"');
        assert_int_equal(*p++, '"');
    }
    if (p[0] == '/' && p[1] == '>')
        return p + 2;
    assert_int_equal(*p, '>');
    x->depth++;
    return p + 1;
}

/* One root element, balanced tags, clean attribute values and text. */
static void assert_xml_well_formed(const char *doc)
{
    xml_check x = {doc, {{0}}, 0};
    const char *p = doc;
    int roots = 0;

    assert_true(strncmp(p, "<?xml ", 6) == 0);
    p = strstr(p, "?>");
    assert_non_null(p);
    for (p += 2; *p != '\0';) {
        if (*p != '<') {
            if (*p != '\n')
                assert_cmp_int(x.depth, >, 0);
            p = xml_chars(p, '<');
            continue;
        }
        roots += x.depth == 0;
        p = xml_tag(&x, p);
    }
    assert_int_equal(x.depth, 0);
    assert_int_equal(roots, 1);
}

/* ---- JUnit ------------------------------------------------------------ */

static void test_junit_well_formed(void **state)
{
    json_t *doc = make_doc();
    char *xml = render(hs_results_render_junit, doc, NULL);
    char err[256], cmd[512];

    assert_xml_well_formed(xml);
    assert_int_equal(hs_results_write_junit(doc, path_in("junit.xml"), err,
                                            sizeof(err)), 0);
    if (system("xmllint --version >/dev/null 2>&1") != 0) {
        print_message("xmllint not installed (apt-get install libxml2-utils):"
                      " only the built-in check ran\n");
    } else {
        snprintf(cmd, sizeof(cmd), "xmllint --noout '%s'", path_in("junit.xml"));
        assert_int_equal(system(cmd), 0);
    }
    assert_null(strstr(xml, "CDATA"));
    assert_null(strstr(xml, "<img"));
    assert_null(strstr(xml, "<script"));
    assert_null(strstr(xml, "</script"));
    assert_null(strchr(xml, '\x1b'));
    assert_null(strstr(xml, "\xe2\x80\xae"));
    free(xml);
    json_decref(doc);
}

/* A forged line in peer text stays inside the line it came in. */
static void assert_failure_bodies_keep_lines(const char *xml)
{
    const char *p, *end;

    for (p = strstr(xml, "<failure "); p != NULL; p = strstr(end, "<failure ")) {
        end = strstr(p, "</failure>");
        assert_non_null(end);
        assert_int_equal(count(p, "\nnot ok 99"), count(end, "\nnot ok 99"));
        assert_int_equal(count(p, "\nexpectation: "), count(end, "\nexpectation: ") + 1);
    }
}

static void test_junit_structure(void **state)
{
    json_t *doc = make_doc();
    char *xml = render(hs_results_render_junit, doc, NULL);

    assert_int_equal(count(xml, "<testsuites "), 1);
    assert_non_null(strstr(xml, "<testsuites name=\"wsfault\" tests=\"6\" "
                                "failures=\"2\" errors=\"0\" skipped=\"2\" "
                                "time=\"1.234\">"));
    assert_int_equal(count(xml, "<testsuite "), 2);
    assert_int_equal(count(xml, "classname=\"wsfault.seeds\""), 4);
    assert_int_equal(count(xml, "classname=\"wsfault.security\""), 2);
    assert_non_null(strstr(xml, "name=\"id\\nwith\\x00newline &lt;b&gt;\""));
    assert_non_null(strstr(xml, "file=\"scenarios/seeds/x&lt;y&gt;.json\""));
    assert_non_null(strstr(xml, "time=\"0.013\""));
    assert_int_equal(count(xml, "<failure message=\"a\\x00b &lt;/script&gt;"), 1);
    assert_int_equal(count(xml, "type=\"contract 1\">"), 1);
    assert_int_equal(count(xml, "<failure message=\"unexpected pass: known issue: "), 1);
    assert_int_equal(count(xml, "<skipped message=\"known issue: a\\x00b"), 1);
    assert_int_equal(count(xml, "<skipped message=\"a\\x00b"), 1);
    assert_int_equal(count(xml, "flaky: passed on a retry\ndurations (ms): 12.5, 20.0"), 1);
    assert_int_equal(count(xml, "\nrepro: build/harness --filter x &lt;/script&gt;\n"), 2);
    assert_int_equal(count(xml, "transcript of alice\\n&lt;b&gt; (last 1 of 1 entries)"), 2);
    assert_int_equal(count(xml, " recv frame op=a\\x00b &lt;/script&gt;"), 2);
    assert_int_equal(count(xml, " fin=1 rsv=0 masked=0 len=5 close_code=1011"), 2);
    assert_int_equal(count(xml, "<system-err>a\\x00b &lt;/script&gt;"), 2);
    assert_int_equal(count(xml, "<property name=\"versions.jansson\" value=\"2.14\"/>"), 2);
    assert_failure_bodies_keep_lines(xml);
    free(xml);
    json_decref(doc);
}

/* ---- TAP -------------------------------------------------------------- */

/* A whole value: a double-quoted scalar whose quotes are all escaped. */
static void assert_yaml_quoted(const char *p)
{
    for (p++; *p != '"'; p++) {
        assert_int_not_equal(*p, '\0');
        if (*p == '\\')
            p++;
    }
    assert_string_equal(p, "\"");
}

/* A YAML diagnostic line: indent, key, then a quoted scalar, a number, a
 * list of numbers or one of our lowercase words. */
static void assert_yaml_line(const char *line)
{
    const char *p = line + 2;

    assert_true(strncmp(line, "  ", 2) == 0);
    while (*p == ' ' || *p == '-')
        p++;
    while ((*p >= 'a' && *p <= 'z') || *p == '_')
        p++;
    if (strcmp(p, ":") == 0)
        return;
    assert_memory_equal(p, ": ", 2);
    p += 2;
    if (*p == '"')
        assert_yaml_quoted(p);
    else if (*p == '[')
        assert_true(strspn(p + 1, "0123456789., ") == strlen(p) - 2 &&
                    p[strlen(p) - 1] == ']');
    else
        assert_true(strspn(p, "0123456789") == strlen(p) ||
                    strspn(p, "abcdefghijklmnopqrstuvwxyz") == strlen(p));
}

/* Every '#' escaped but the one directive the status calls for. */
static void assert_tap_point(const char *line, int num)
{
    char head[32];
    const char *desc = NULL, *hash;
    int n = snprintf(head, sizeof(head), "ok %d - ", num);

    if (strncmp(line, head, (size_t)n) == 0)
        desc = line + n;
    n = snprintf(head, sizeof(head), "not ok %d - ", num);
    if (desc == NULL && strncmp(line, head, (size_t)n) == 0)
        desc = line + n;
    if (desc == NULL)
        fail_msg("not test point %d: %s", num, line);
    for (hash = strchr(desc, '#'); hash != NULL; hash = strchr(hash + 1, '#')) {
        if (hash[-1] == '\\')
            continue;
        assert_true(strncmp(hash - 1, " # SKIP ", 8) == 0 ||
                    strncmp(hash - 1, " # TODO ", 8) == 0);
        assert_null(strstr(hash + 1, " # "));
    }
}

static void test_tap_lines(void **state)
{
    json_t *doc = make_doc();
    char *tap = render(hs_results_render_tap, doc, NULL);
    char *line, *save = NULL;
    int num = 0, in_yaml = 0, nline = 0;

    for (line = strtok_r(tap, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save), nline++) {
        if (nline == 0)
            assert_string_equal(line, "TAP version 14");
        else if (nline == 1)
            assert_string_equal(line, "1..6");
        else if (strcmp(line, "  ---") == 0 || strcmp(line, "  ...") == 0)
            in_yaml = line[2] == '-';
        else if (in_yaml)
            assert_yaml_line(line);
        else
            assert_tap_point(line, ++num);
        assert_null(strchr(line, '\r'));
        assert_null(strchr(line, '\x1b'));
    }
    assert_int_equal(num, 6);
    assert_false(in_yaml);
    free(tap);
    json_decref(doc);
}

static void test_tap_statuses(void **state)
{
    json_t *doc = make_doc();
    char *tap = render(hs_results_render_tap, doc, NULL);

    assert_non_null(strstr(tap, "\nok 1 - passes\n"));
    assert_non_null(strstr(tap, "\nnot ok 2 - id\\nwith\\x00newline <b>\n  ---\n"
                                "  message: \"a\\\\x00b </script>"));
    assert_non_null(strstr(tap, "\nok 3 - </script> # SKIP a\\x00b"));
    assert_non_null(strstr(tap, "\nnot ok 4 - ]]> # TODO known issue: a\\x00b"));
    assert_non_null(strstr(tap, "\nnot ok 5 - \\# TODO\n"));
    assert_non_null(strstr(tap, "\nok 6 - flaky\\u{202E}\n  ---\n"));
    assert_non_null(strstr(tap, "  durations_ms: [12.5, 20.0]\n"));
    assert_non_null(strstr(tap, "    - type: \"contract 1\"\n      clause: 1\n"
                                "      step: 3\n      line: 14\n"));
    free(tap);
    json_decref(doc);
}

/* ---- summary.md ------------------------------------------------------- */

/* A table row: exactly four unescaped '|' (three cells), no raw '<'. */
static void assert_md_line(const char *line)
{
    const char *p;
    int pipes = 0;

    for (p = line; *p != '\0'; p++) {
        if (*p == '\\' && p[1] != '\0') {
            p++;
            continue;
        }
        assert_int_not_equal(*p, '<');
        pipes += *p == '|';
    }
    if (line[0] == '|')
        assert_cmp_int(pipes, ==, 4);
}

static void assert_md_safe(char *md)
{
    char *line, *save = NULL;

    for (line = strtok_r(md, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save))
        assert_md_line(line);
}

/* GFM rendered for real, when cmark-gfm is installed: no link, no tag. */
static void assert_md_renders_inert(const char *path)
{
    char cmd[1024], *html = NULL;
    char out[300], err[256];
    size_t n;

    if (system("cmark-gfm --version >/dev/null 2>&1") != 0) {
        print_message("cmark-gfm not installed: rendering not checked\n");
        return;
    }
    snprintf(out, sizeof(out), "%s.html", path);
    snprintf(cmd, sizeof(cmd), "cmark-gfm -e table -e autolink '%s' > '%s'",
             path, out);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(hs_fs_read_file(out, &html, &n, err, sizeof(err)), 0);
    assert_null(strstr(html, "<a "));
    assert_null(strstr(html, "<img"));
    assert_null(strstr(html, "<script"));
    assert_null(strstr(html, "<em>"));
    assert_null(strstr(html, "<code>a"));
    assert_int_equal(count(html, "<tr>"), 2 + 5);
    free(html);
}

static void test_summary_hostile(void **state)
{
    json_t *doc = make_doc();
    char *md = render(hs_results_render_summary_md, doc, NULL);
    char err[256];

    assert_int_equal(hs_results_write_summary_md(doc, path_in("summary.md"),
                                                 err, sizeof(err)), 0);
    assert_md_renders_inert(path_in("summary.md"));
    assert_non_null(strstr(md, "**1 failed**, 1 passed, 1 skipped, 1 xfailed, "
                               "1 xpassed, 1 flaky in 1.2 s"));
    assert_non_null(strstr(md, "### Failures"));
    assert_non_null(strstr(md, "### Other results"));
    assert_cmp_int(strstr(md, "### Failures") - md, <, strstr(md, "### Other results") - md);
    assert_non_null(strstr(md, "| id\\\\nwith\\\\x00newline \\<b\\> | contract 1 | "));
    assert_non_null(strstr(md, " (+1 more) |\n"));
    assert_null(strstr(md, "Truncated"));
    assert_null(strstr(md, "\xe2\x80\xae"));
    assert_md_safe(md);
    free(md);
    json_decref(doc);
}

/* 10,000 failures with long messages: still under 64 KiB, failures first. */
static void test_summary_limit(void **state)
{
    json_t *doc = make_doc();
    json_t *cases = json_object_get(doc, "cases");
    char msg[2000], id[32];
    json_t *c;
    size_t len;
    char *md;
    int i;

    memset(msg, 'x', sizeof(msg) - 1);
    msg[sizeof(msg) - 1] = '\0';
    for (i = 0; i < BIG_CASES; i++) {
        snprintf(id, sizeof(id), "bulk-%05d", i);
        c = json_pack("{s:s, s:s, s:[{s:i, s:s}]}", "id", id, "status",
                      "failed", "reasons", "clause", 2, "message", msg);
        json_array_insert_new(cases, (size_t)i, c);
    }
    md = render(hs_results_render_summary_md, doc, &len);
    assert_cmp_uint(len, <, HS_RESULTS_SUMMARY_MAX);
    assert_cmp_uint(len, >, HS_RESULTS_SUMMARY_MAX - 2048);
    assert_non_null(strstr(md, "| bulk\\-00000 | contract 2 | xxx"));
    assert_null(strstr(md, "### Other results"));
    assert_non_null(strstr(md, "\n_Truncated: "));
    assert_non_null(strstr(md, "**10001 failed**"));
    assert_md_safe(md);
    free(md);
    json_decref(doc);
}

/*
 * The note must fit too: sweep message lengths so that some run fills the
 * rows right up to the limit, whatever the slack the last row leaves.
 */
static void test_summary_limit_sweep(void **state)
{
    char msg[400], id[32];
    json_t *doc, *cases;
    size_t len, mlen;
    char *md;
    int i;

    for (mlen = 200; mlen < 260; mlen += 3) {
        doc = make_doc();
        cases = json_object_get(doc, "cases");
        memset(msg, 'x', mlen);
        msg[mlen] = '\0';
        for (i = 0; i < 300; i++) {
            snprintf(id, sizeof(id), "sweep-%03d", i);
            json_array_append_new(cases, json_pack("{s:s, s:s, s:[{s:i, s:s}]}",
                "id", id, "status", "failed", "reasons", "clause", 3,
                "message", msg));
        }
        md = render(hs_results_render_summary_md, doc, &len);
        assert_cmp_uint(len, <, HS_RESULTS_SUMMARY_MAX);
        assert_non_null(strstr(md, "\n_Truncated: "));
        free(md);
        json_decref(doc);
    }
}

/* ---- results.json ----------------------------------------------------- */

static void test_json_round_trip(void **state)
{
    json_t *doc = make_doc();
    json_t *back;
    json_error_t jerr;
    size_t len, i;
    char *text = render(hs_results_render_json, doc, &len);

    for (i = 0; i < len; i++)
        assert_cmp_int((unsigned char)text[i], <, 0x80);
    back = json_loadb(text, len, JSON_ALLOW_NUL, &jerr);
    assert_non_null(back);
    assert_true(json_equal(doc, back));
    json_decref(back);
    free(text);
    json_decref(doc);
}

static void test_write_all(void **state)
{
    json_t *doc = make_doc();
    char dir[300], path[400], err[256];
    char *tap = render(hs_results_render_tap, doc, NULL);

    test_path(dir, sizeof(dir), "out/a/b");
    assert_int_equal(hs_results_write_all(doc, dir, err, sizeof(err)), 0);
    snprintf(path, sizeof(path), "%s/results.tap", dir);
    assert_file_is(path, tap);
    snprintf(path, sizeof(path), "%s/results.json", dir);
    assert_int_equal(access(path, R_OK), 0);
    snprintf(path, sizeof(path), "%s/junit.xml", dir);
    assert_int_equal(access(path, R_OK), 0);
    snprintf(path, sizeof(path), "%s/summary.md", dir);
    assert_int_equal(access(path, R_OK), 0);
    free(tap);
    json_decref(doc);
}

/* A bad document is refused and the file from the last run stays. */
static void test_bad_doc_refused(void **state)
{
    json_t *doc = make_doc();
    char err[256] = "";
    const char *path = path_in("refused.xml");

    put_file(path, "old");
    json_object_set_new(doc, "format", json_string("wsfault-results/0"));
    assert_int_equal(hs_results_write_junit(doc, path, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "format"));
    json_object_set_new(doc, "format", json_string(HS_RESULTS_FORMAT));
    json_object_set_new(json_array_get(json_object_get(doc, "cases"), 0),
                        "status", json_string("green"));
    assert_int_equal(hs_results_write_tap(doc, path, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "case 0"));
    assert_file_is(path, "old");
    json_decref(doc);
}

/* ---- atomic writes ---------------------------------------------------- */

static void test_atomic_replaces(void **state)
{
    const char *path = path_in("atomic.txt");
    char err[256];
    struct stat st;

    put_file(path, "old");
    assert_int_equal(hs_fs_write_atomic(path, "new\0data", 8, err, sizeof(err)), 0);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_size, 8);
    assert_int_equal(st.st_mode & 0777, 0644);
    assert_no_temp_files();
}

/* Scratch writes replace as atomic ones do; a log is read from an offset. */
static void test_scratch_and_read_from(void **state)
{
    const char *path = path_in("scratch.log");
    char err[256], *text;
    size_t n;

    put_file(path, "old");
    assert_int_equal(hs_fs_write_scratch(path, "line 1\nline 2\n", 14, err, sizeof(err)), 0);
    assert_no_temp_files();
    assert_int_equal(hs_fs_read_from(path, 7, &text, &n, err, sizeof(err)), 0);
    assert_string_equal(text, "line 2\n");
    assert_int_equal(n, 7);
    free(text);
    assert_int_equal(hs_fs_read_from(path, 0, &text, &n, err, sizeof(err)), 0);
    assert_int_equal(n, 14);
    free(text);
    assert_int_equal(hs_fs_read_from(path, 100, &text, &n, err, sizeof(err)), 0);
    assert_string_equal(text, "");
    free(text);
    assert_int_equal(hs_fs_read_from(path_in("missing.log"), 0, &text, &n, err, sizeof(err)),
                     -1);
    assert_null(text);
    assert_non_null(strstr(err, "missing.log"));
}

/* Each step failed on purpose: the old file survives, no litter. */
static void test_atomic_injected_failures(void **state)
{
    static const char *const points[] = {
        "harness/fs/open", "harness/fs/write", "harness/fs/fsync",
        "harness/fs/rename"
    };
    json_t *doc = make_doc();
    const char *path = path_in("injected.xml");
    char err[256];
    size_t i;

    for (i = 0; i < sizeof(points) / sizeof(points[0]); i++) {
        put_file(path, "old");
        err[0] = '\0';
        assert_int_equal(fiu_enable(points[i], 1, NULL, 0), 0);
        assert_int_equal(hs_results_write_junit(doc, path, err, sizeof(err)), -1);
        fiu_disable(points[i]);
        assert_non_null(strstr(err, path));
        assert_non_null(strstr(err, strerror(EIO)));
        assert_file_is(path, "old");
        assert_no_temp_files();
    }
    json_decref(doc);
}

/* A real write failure: the file size limit hit in the middle (EFBIG). */
static void test_atomic_file_too_big(void **state)
{
    const char *path = path_in("fsize.txt");
    static char data[100000];
    struct rlimit old, small;
    char err[256];
    int rc;

    put_file(path, "old");
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    small = old;
    small.rlim_cur = 4096;
    signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
    rc = hs_fs_write_atomic(path, data, sizeof(data), err, sizeof(err));
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, SIG_DFL);
    assert_int_equal(rc, -1);
    assert_non_null(strstr(err, strerror(EFBIG)));
    assert_file_is(path, "old");
    assert_no_temp_files();
}

/* The rename step fails for real when the target is a folder. */
static void test_atomic_onto_folder(void **state)
{
    const char *path = path_in("folder");
    char err[256];
    struct stat st;

    assert_int_equal(mkdir(path, 0755), 0);
    assert_int_equal(hs_fs_write_atomic(path, "x", 1, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "renaming"));
    assert_int_equal(stat(path, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_no_temp_files();
    assert_int_equal(rmdir(path), 0);
}

/* Root writes into a read-only folder anyway, so this runs as a user only. */
static void test_atomic_read_only_folder(void **state)
{
    char dir[300], path[400], err[256];

    if (geteuid() == 0)
        skip();
    test_path(dir, sizeof(dir), "ro");
    snprintf(path, sizeof(path), "%s/f.txt", dir);
    assert_int_equal(mkdir(dir, 0755), 0);
    put_file(path, "old");
    assert_int_equal(chmod(dir, 0555), 0);
    assert_int_equal(hs_fs_write_atomic(path, "new", 3, err, sizeof(err)), -1);
    assert_int_equal(chmod(dir, 0755), 0);
    assert_non_null(strstr(err, "creating a temporary file"));
    assert_file_is(path, "old");
}

static void test_mkdirs(void **state)
{
    char dir[300], err[256];
    struct stat st;

    test_path(dir, sizeof(dir), "m/n/o/");
    assert_int_equal(hs_fs_mkdirs(dir, err, sizeof(err)), 0);
    assert_int_equal(hs_fs_mkdirs(dir, err, sizeof(err)), 0);
    assert_int_equal(stat(dir, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    put_file(path_in("plain"), "x");
    test_path(dir, sizeof(dir), "plain/sub");
    assert_int_equal(hs_fs_mkdirs(dir, err, sizeof(err)), -1);
    assert_non_null(strstr(err, strerror(ENOTDIR)));
    assert_int_equal(hs_fs_mkdirs(path_in("plain"), err, sizeof(err)), -1);
    assert_non_null(strstr(err, strerror(ENOTDIR)));
    assert_int_equal(hs_fs_mkdirs("", err, sizeof(err)), -1);
}

/* JSON figures land in a folder made for them, and read back equal. */
static void test_write_json(void **state)
{
    char path[300], err[256], *text = NULL;
    json_t *doc = json_pack("{s:i,s:[s]}", "runs", 58, "ids", "a"), *back;
    size_t n;

    test_path(path, sizeof(path), "figures/deep/x.json");
    assert_int_equal(hs_fs_write_json(path, doc, err, sizeof(err)), 0);
    assert_int_equal(hs_fs_read_file(path, &text, &n, err, sizeof(err)), 0);
    back = json_loadb(text, n, 0, NULL);
    assert_true(json_equal(doc, back));
    test_path(path, sizeof(path), "plain/x.json");
    put_file(path_in("plain"), "x");
    assert_int_equal(hs_fs_write_json(path, doc, err, sizeof(err)), -1);
    assert_non_null(strstr(err, strerror(ENOTDIR)));
    json_decref(back);
    json_decref(doc);
    free(text);
}

static void test_read_file(void **state)
{
    const char *path = path_in("read.bin");
    static char big[200000];
    char err[256], *data = NULL;
    size_t n = 0;

    memset(big, 'b', sizeof(big));
    assert_int_equal(hs_fs_write_atomic(path, big, sizeof(big), err, sizeof(err)), 0);
    assert_int_equal(hs_fs_read_file(path, &data, &n, err, sizeof(err)), 0);
    assert_int_equal(n, sizeof(big));
    assert_memory_equal(data, big, sizeof(big));
    assert_int_equal(data[n], '\0');
    free(data);

    assert_int_equal(hs_fs_write_atomic(path, "a\0b", 3, err, sizeof(err)), 0);
    assert_int_equal(hs_fs_read_file(path, &data, &n, err, sizeof(err)), 0);
    assert_int_equal(n, 3);
    assert_memory_equal(data, "a\0b", 4);
    free(data);
    assert_int_equal(hs_fs_read_file(path_in("missing"), &data, &n, err,
                                     sizeof(err)), -1);
    assert_null(data);
    assert_non_null(strstr(err, "missing"));
}

static int setup(void **state)
{
    if (test_dir_setup(state) != 0)
        return -1;
    return fiu_init(0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_junit_well_formed),
        cmocka_unit_test(test_junit_structure),
        cmocka_unit_test(test_tap_lines),
        cmocka_unit_test(test_tap_statuses),
        cmocka_unit_test(test_summary_hostile),
        cmocka_unit_test(test_summary_limit),
        cmocka_unit_test(test_summary_limit_sweep),
        cmocka_unit_test(test_json_round_trip),
        cmocka_unit_test(test_write_all),
        cmocka_unit_test(test_bad_doc_refused),
        cmocka_unit_test(test_atomic_replaces),
        cmocka_unit_test(test_scratch_and_read_from),
        cmocka_unit_test(test_atomic_injected_failures),
        cmocka_unit_test(test_atomic_file_too_big),
        cmocka_unit_test(test_atomic_onto_folder),
        cmocka_unit_test(test_atomic_read_only_folder),
        cmocka_unit_test(test_mkdirs),
        cmocka_unit_test(test_write_json),
        cmocka_unit_test(test_read_file),
    };

    return cmocka_run_group_tests(tests, setup, test_dir_teardown);
}

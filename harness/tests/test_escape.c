/*
 * test_escape: every escaping function against hostile input, plus the
 * growable buffer underneath them.
 *
 * Besides fixed cases, each format is checked on random byte strings for
 * the property it promises (no raw markup character, no control byte, no
 * bidi control, valid UTF-8 out), since a peer controls the input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "util/hs_buf.h"
#include "util/hs_escape.h"
#include "util/hs_utf8.h"

#define RANDOM_ROUNDS 20000

/* Escape s[0..n) with fn; the caller frees the result. */
static char *esc(hs_escape_fn fn, const char *s, size_t n)
{
    hs_buf b = HS_BUF_INIT;

    assert_int_equal(fn(s, n, &b), 0);
    if (b.p == NULL)
        return strdup("");
    return b.p;
}

static void assert_escapes(hs_escape_fn fn, const char *in, size_t n,
                           const char *want)
{
    char *got = esc(fn, in, n);

    assert_string_equal(got, want);
    free(got);
}

#define ESC(fn, lit, want) assert_escapes(fn, lit, sizeof(lit) - 1, want)

static void test_html_markup(void **state)
{
    ESC(hs_escape_html, "</script>", "&lt;/script&gt;");
    ESC(hs_escape_html, "<img src=x onerror=alert(1)>",
        "&lt;img src=x onerror=alert(1)&gt;");
    ESC(hs_escape_html, "a\"b'c&d", "a&quot;b&#39;c&amp;d");
    ESC(hs_escape_html, "]]>", "]]&gt;");
}

static void test_html_controls(void **state)
{
    ESC(hs_escape_html, "a\0b", "a&#xFFFD;b");
    ESC(hs_escape_html, "\xff\xc3(", "&#xFFFD;&#xFFFD;(");
    ESC(hs_escape_html, "\x1b[31mred", "\\x1B[31mred");
    ESC(hs_escape_html, "x\xe2\x80\xa8y\xe2\x80\xa9", "x&#x2028;y&#x2029;");
    ESC(hs_escape_html, "\xe2\x80\xaegnp.exe", "\\u{202E}gnp.exe");
    ESC(hs_escape_html, "\xe2\x81\xa6\xe2\x81\xa9", "\\u{2066}\\u{2069}");
    ESC(hs_escape_html, "\xc2\x85\x7f", "\\x85\\x7F");
    ESC(hs_escape_html, "a\tb\nc\rd", "a\tb\nc&#13;d");
    ESC(hs_escape_html, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
        "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
}

/* Overlong forms and surrogates are not UTF-8 (RFC 3629 section 3). */
static void test_invalid_utf8_forms(void **state)
{
    ESC(hs_escape_xml, "\xc0\xaf", "\\xC0\\xAF");
    ESC(hs_escape_xml, "\xed\xa0\x80", "\\xED\\xA0\\x80");
    ESC(hs_escape_xml, "\xf4\x90\x80\x80", "\\xF4\\x90\\x80\\x80");
    ESC(hs_escape_xml, "\xe2\x82", "\\xE2\\x82");
    ESC(hs_escape_html, "\xe2\x82", "&#xFFFD;&#xFFFD;");
}

static void test_xml(void **state)
{
    ESC(hs_escape_xml, "]]><x a='1'>", "]]&gt;&lt;x a=&#39;1&#39;&gt;");
    ESC(hs_escape_xml, "a\0b\x01", "a\\x00b\\x01");
    ESC(hs_escape_xml, "\xef\xbf\xbe\xef\xbf\xbf", "\\u{FFFE}\\u{FFFF}");
    ESC(hs_escape_xml, "l1\nl2\r\n", "l1\nl2&#13;\n");
    ESC(hs_escape_xml, "\xe2\x80\xae", "\\u{202E}");
}

static void test_term(void **state)
{
    ESC(hs_escape_term, "\x1b[31mred\x1b[0m", "\\x1B[31mred\\x1B[0m");
    ESC(hs_escape_term, "a\nb\tc\rd\\e", "a\\nb\\tc\\rd\\\\e");
    ESC(hs_escape_term, "\xc2\x9b" "2J", "\\x9B2J");
    ESC(hs_escape_term, "a\0b\xff", "a\\x00b\\xFF");
    ESC(hs_escape_term, "\xe2\x80\xae\xe2\x80\xa8", "\\u{202E}\\u{2028}");
    ESC(hs_escape_term, "\xd8\x9c\xe2\x80\x8f", "\\u{61C}\\u{200F}");
    ESC(hs_escape_term, "</script> caf\xc3\xa9", "</script> caf\xc3\xa9");
}

static void test_tap(void **state)
{
    ESC(hs_escape_tap, "id # SKIP no\nnot ok 2", "id \\# SKIP no\\nnot ok 2");
    ESC(hs_escape_tap, "back\\slash", "back\\\\slash");
}

static void test_yaml(void **state)
{
    ESC(hs_escape_yaml, "say \"hi\"\n...", "\"say \\\"hi\\\"\\\\n...\"");
    ESC(hs_escape_yaml, "\x1b", "\"\\\\x1B\"");
    ESC(hs_escape_yaml, "", "\"\"");
}

static void test_markdown(void **state)
{
    ESC(hs_escape_md, "[x](javascript:alert(1))",
        "\\[x\\]\\(javascript\\:alert\\(1\\)\\)");
    ESC(hs_escape_md, "a|b", "a\\|b");
    ESC(hs_escape_md, "<img src=x>", "\\<img src\\=x\\>");
    ESC(hs_escape_md, "*_`~", "\\*\\_\\`\\~");
    ESC(hs_escape_md, "x@evil.com", "x`@`evil\\.com");
    ESC(hs_escape_md, "line\nbreak", "line\\\\nbreak");
    ESC(hs_escape_md, "&amp;", "\\&amp\\;");
}

static void test_script_json(void **state)
{
    ESC(hs_escape_script_json, "{\"a\":\"</script><!--\"}",
        "{\"a\":\"\\u003c/script\\u003e\\u003c!--\"}");
    ESC(hs_escape_script_json, "\"\xe2\x80\xa8&\"", "\"\\u2028\\u0026\"");
}

static void test_json_string_with_nul(void **state)
{
    json_t *v = json_stringn("a\0<b>", 5);
    hs_buf b = HS_BUF_INIT;

    assert_non_null(v);
    assert_int_equal(hs_escape_json(hs_escape_html, v, &b), 0);
    assert_string_equal(b.p, "a&#xFFFD;&lt;b&gt;");
    hs_buf_reset(&b);
    assert_int_equal(hs_escape_json(hs_escape_term, NULL, &b), 0);
    assert_int_equal(hs_escape_str(hs_escape_term, NULL, &b), 0);
    assert_int_equal(hs_escape_str(hs_escape_term, "\x1b", &b), 0);
    assert_string_equal(b.p, "\\x1B");
    hs_buf_free(&b);
    json_decref(v);
}

static void test_clip(void **state)
{
    assert_int_equal(hs_escape_clip("a\xc3\xa9", 3, 2), 1);
    assert_int_equal(hs_escape_clip("a\xc3\xa9", 3, 3), 3);
    assert_int_equal(hs_escape_clip("abc", 3, 10), 3);
    assert_int_equal(hs_escape_clip("\xf0\x9f\x98\x80x", 5, 3), 0);
    assert_int_equal(hs_escape_clip("\xff\xff", 2, 1), 1);
}

static void test_buf(void **state)
{
    hs_buf b = HS_BUF_INIT;
    char big[5000];
    size_t i;

    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(hs_buf_printf(&b, "%s-%d", big, 42), 0);
    assert_int_equal(b.len, sizeof(big) - 1 + 3);
    assert_string_equal(b.p + sizeof(big) - 1, "-42");
    for (i = 0; i < 1000; i++)
        assert_int_equal(hs_buf_putc(&b, 'y'), 0);
    assert_int_equal(b.len, sizeof(big) + 1002);
    assert_int_equal(b.p[b.len], '\0');
    assert_int_equal(hs_buf_append(&b, "\0z", 2), 0);
    assert_int_equal(b.p[b.len - 1], 'z');
    hs_buf_free(&b);
}

/* After an allocation fails, nothing is appended any more and all say so. */
static void test_buf_sticky_failure(void **state)
{
    hs_buf b = HS_BUF_INIT;

    assert_int_equal(hs_buf_puts(&b, "kept"), 0);
    assert_int_equal(hs_buf_reserve(&b, SIZE_MAX - 2), -1);
    assert_true(hs_buf_failed(&b));
    assert_int_equal(hs_buf_puts(&b, "lost"), -1);
    assert_int_equal(hs_buf_printf(&b, "%d", 1), -1);
    assert_int_equal(hs_escape_html("x", 1, &b), -1);
    assert_int_equal(hs_escape_yaml("x", 1, &b), -1);
    assert_string_equal(b.p, "kept");
    hs_buf_free(&b);
}

/* ---- properties over random input ------------------------------------- */

static int is_bidi_at(const unsigned char *p, size_t k)
{
    if (k == 2)
        return p[0] == 0xD8 && p[1] == 0x9C;
    if (k != 3 || p[0] != 0xE2)
        return 0;
    if (p[1] == 0x80)
        return p[2] == 0x8E || p[2] == 0x8F || (p[2] >= 0xAA && p[2] <= 0xAE);
    return p[1] == 0x81 && p[2] >= 0xA6 && p[2] <= 0xA9;
}

/*
 * What every format promises: well-formed UTF-8, and no character that
 * could steer a reader: controls (save those in allowed), C1, bidi
 * controls, U+2028/U+2029, and none of the bytes in forbidden.
 */
static void assert_shown_safely(const char *s, size_t n, const char *allowed,
                                const char *forbidden)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, k;

    while (i < n) {
        k = hs_utf8_seq_len(p + i, n - i);
        assert_int_not_equal(k, 0);
        if (k == 1 && (p[i] < 0x20 || p[i] == 0x7F))
            assert_non_null(strchr(allowed, p[i]));
        if (k == 1)
            assert_null(strchr(forbidden, p[i]));
        if (k == 2)
            assert_false(p[i] == 0xC2 && p[i + 1] < 0xA0);
        assert_false(is_bidi_at(p + i, k));
        assert_false(k == 3 && p[i] == 0xE2 && p[i + 1] == 0x80 &&
                     (p[i + 2] == 0xA8 || p[i + 2] == 0xA9));
        i += k;
    }
}

/* Random bytes biased towards the interesting ones. */
static size_t random_input(unsigned char *buf, size_t cap)
{
    static const unsigned char pool[] = {
        0x00, 0x1B, '\n', '\r', '\t', '<', '>', '&', '"', '\'', '#', '|', '\\',
        '@', '[', ']', '`', 0x7F, 0xC2, 0x85, 0x9B, 0xE2, 0x80, 0xAE, 0xA8,
        0x81, 0xA6, 0xD8, 0x9C, 0xED, 0xA0, 0xF0, 0x9F, 0xFF, 0xEF, 0xBF, 'a'
    };
    size_t n = (size_t)rand() % cap, i;

    for (i = 0; i < n; i++)
        buf[i] = rand() % 3 == 0 ? (unsigned char)rand()
                                 : pool[(size_t)rand() % sizeof(pool)];
    return n;
}

static void check_random(hs_escape_fn fn, const char *allowed,
                         const char *forbidden)
{
    unsigned char in[24];
    hs_buf out = HS_BUF_INIT;
    size_t n;
    int round;

    srand(6455);
    for (round = 0; round < RANDOM_ROUNDS; round++) {
        n = random_input(in, sizeof(in));
        hs_buf_reset(&out);
        assert_int_equal(fn((const char *)in, n, &out), 0);
        assert_shown_safely(out.p != NULL ? out.p : "", out.len, allowed,
                            forbidden);
    }
    hs_buf_free(&out);
}

static void test_random_html(void **state)
{
    check_random(hs_escape_html, "\t\n", "<>\"'");
}

static void test_random_xml(void **state)
{
    check_random(hs_escape_xml, "\t\n", "<>\"'");
}

static void test_random_term(void **state)
{
    check_random(hs_escape_term, "", "");
}

static void test_random_tap(void **state)
{
    check_random(hs_escape_tap, "", "");
}

/* Every '#' in TAP output is escaped: preceded by an odd run of '\'. */
static void test_random_tap_hash(void **state)
{
    unsigned char in[24];
    hs_buf out = HS_BUF_INIT;
    size_t n, i, run;
    int round;

    srand(14);
    for (round = 0; round < RANDOM_ROUNDS; round++) {
        n = random_input(in, sizeof(in));
        hs_buf_reset(&out);
        assert_int_equal(hs_escape_tap((const char *)in, n, &out), 0);
        for (i = 0; i < out.len; i++) {
            if (out.p[i] != '#')
                continue;
            for (run = 0; run < i && out.p[i - 1 - run] == '\\'; run++)
                ;
            assert_int_equal(run % 2, 1);
        }
    }
    hs_buf_free(&out);
}

static void test_random_md(void **state)
{
    check_random(hs_escape_md, "", "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_html_markup),
        cmocka_unit_test(test_html_controls),
        cmocka_unit_test(test_invalid_utf8_forms),
        cmocka_unit_test(test_xml),
        cmocka_unit_test(test_term),
        cmocka_unit_test(test_tap),
        cmocka_unit_test(test_yaml),
        cmocka_unit_test(test_markdown),
        cmocka_unit_test(test_script_json),
        cmocka_unit_test(test_json_string_with_nul),
        cmocka_unit_test(test_clip),
        cmocka_unit_test(test_buf),
        cmocka_unit_test(test_buf_sticky_failure),
        cmocka_unit_test(test_random_html),
        cmocka_unit_test(test_random_xml),
        cmocka_unit_test(test_random_term),
        cmocka_unit_test(test_random_tap),
        cmocka_unit_test(test_random_tap_hash),
        cmocka_unit_test(test_random_md),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

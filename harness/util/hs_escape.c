/*
 * hs_escape: escaping for every output format (see hs_escape.h).
 *
 * One walk decodes the input, one classifier says what each character
 * needs, and each format is a small policy over those classes. The line
 * formats (TAP, YAML, Markdown) are the terminal form with a second,
 * byte-wise pass on top, so they can never disagree about what is visible.
 */
#include "util/hs_escape.h"

#include <stdlib.h>
#include <string.h>

#include "util/hs_utf8.h"

#define HS_ESC_INVALID (-1L)

/* What a character needs, whatever the output format. */
typedef enum esc_class {
    ESC_PLAIN,      /* shown as it is */
    ESC_SPACE,      /* tab, LF, CR */
    ESC_CONTROL,    /* other C0, DEL, C1, U+FFFE, U+FFFF */
    ESC_BIDI,       /* reorders the text around it */
    ESC_LINESEP,    /* U+2028, U+2029 */
    ESC_INVALID     /* a byte that starts no well-formed UTF-8 sequence */
} esc_class;

/* One format's treatment of one character: p[0..k) holds its bytes. */
typedef int (*esc_put)(hs_buf *out, const unsigned char *p, size_t k,
                       long cp, esc_class cls);

static long utf8_decode(const unsigned char *p, size_t k)
{
    switch (k) {
    case 1:
        return p[0];
    case 2:
        return ((long)(p[0] & 0x1F) << 6) | (p[1] & 0x3F);
    case 3:
        return ((long)(p[0] & 0x0F) << 12) | ((long)(p[1] & 0x3F) << 6) |
               (p[2] & 0x3F);
    default:
        return ((long)(p[0] & 0x07) << 18) | ((long)(p[1] & 0x3F) << 12) |
               ((long)(p[2] & 0x3F) << 6) | (p[3] & 0x3F);
    }
}

static int is_bidi(long cp)
{
    return cp == 0x061C || cp == 0x200E || cp == 0x200F ||
           (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

static esc_class classify(long cp)
{
    if (cp == HS_ESC_INVALID)
        return ESC_INVALID;
    if (cp == '\t' || cp == '\n' || cp == '\r')
        return ESC_SPACE;
    if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0) || cp == 0xFFFE || cp == 0xFFFF)
        return ESC_CONTROL;
    if (is_bidi(cp))
        return ESC_BIDI;
    if (cp == 0x2028 || cp == 0x2029)
        return ESC_LINESEP;
    return ESC_PLAIN;
}

/*
 * Feed each character of s[0..n) to put. A byte that starts no
 * well-formed sequence (RFC 3629, via hs_utf8_seq_len) is one invalid
 * character on its own, so the next byte gets its own chance to start one.
 */
static int walk(const char *s, size_t n, hs_buf *out, esc_put put)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, k;
    long cp;

    while (i < n) {
        k = hs_utf8_seq_len(p + i, n - i);
        cp = k == 0 ? HS_ESC_INVALID : utf8_decode(p + i, k);
        if (k == 0)
            k = 1;
        if (put(out, p + i, k, cp, classify(cp)) != 0)
            return -1;
        i += k;
    }
    return hs_buf_failed(out) ? -1 : 0;
}

/* The one visible notation: \xNN below U+0100 and for raw bytes, else \u{N}. */
static int put_visible(hs_buf *out, const unsigned char *p, long cp)
{
    if (cp == HS_ESC_INVALID)
        return hs_buf_printf(out, "\\x%02X", p[0]);
    if (cp < 0x100)
        return hs_buf_printf(out, "\\x%02lX", cp);
    return hs_buf_printf(out, "\\u{%lX}", cp);
}

/*
 * Characters markup writes as references: the five it gives meaning to, CR
 * (a parser folds a raw one into LF) and the line separators. NULL for
 * anything else.
 */
static const char *markup_ref(long cp)
{
    switch (cp) {
    case '&':
        return "&amp;";
    case '<':
        return "&lt;";
    case '>':
        return "&gt;";
    case '"':
        return "&quot;";
    case '\'':
        return "&#39;";
    case '\r':
        return "&#13;";
    case 0x2028:
        return "&#x2028;";
    case 0x2029:
        return "&#x2029;";
    default:
        return NULL;
    }
}

/*
 * HTML and XML differ in one point only: HTML shows NUL and invalid UTF-8
 * as U+FFFD (what a browser would make of them anyway), XML shows them as
 * visible bytes because the tools that read JUnit show text, not glyphs.
 */
static int put_markup(hs_buf *out, const unsigned char *p, size_t k, long cp,
                      esc_class cls, int replace_invalid)
{
    const char *ref = markup_ref(cp);

    if (ref != NULL)
        return hs_buf_puts(out, ref);
    if (replace_invalid && (cls == ESC_INVALID || cp == 0))
        return hs_buf_puts(out, "&#xFFFD;");
    if (cls == ESC_INVALID || cls == ESC_CONTROL || cls == ESC_BIDI)
        return put_visible(out, p, cp);
    return hs_buf_append(out, p, k);
}

static int put_html(hs_buf *out, const unsigned char *p, size_t k, long cp,
                    esc_class cls)
{
    return put_markup(out, p, k, cp, cls, 1);
}

static int put_xml(hs_buf *out, const unsigned char *p, size_t k, long cp,
                   esc_class cls)
{
    return put_markup(out, p, k, cp, cls, 0);
}

static int put_term(hs_buf *out, const unsigned char *p, size_t k, long cp,
                    esc_class cls)
{
    switch (cp) {
    case '\\':
        return hs_buf_puts(out, "\\\\");
    case '\t':
        return hs_buf_puts(out, "\\t");
    case '\n':
        return hs_buf_puts(out, "\\n");
    case '\r':
        return hs_buf_puts(out, "\\r");
    default:
        break;
    }
    if (cls != ESC_PLAIN)
        return put_visible(out, p, cp);
    return hs_buf_append(out, p, k);
}

static int put_script_json(hs_buf *out, const unsigned char *p, size_t k,
                           long cp, esc_class cls)
{
    if (cp == '<' || cp == '>' || cp == '&' || cls == ESC_LINESEP)
        return hs_buf_printf(out, "\\u%04lx", cp);
    if (cls == ESC_INVALID)
        return hs_buf_puts(out, "\\ufffd");
    return hs_buf_append(out, p, k);
}

int hs_escape_html(const char *s, size_t n, hs_buf *out)
{
    return walk(s, n, out, put_html);
}

int hs_escape_xml(const char *s, size_t n, hs_buf *out)
{
    return walk(s, n, out, put_xml);
}

int hs_escape_term(const char *s, size_t n, hs_buf *out)
{
    return walk(s, n, out, put_term);
}

int hs_escape_script_json(const char *s, size_t n, hs_buf *out)
{
    return walk(s, n, out, put_script_json);
}

/*
 * The second pass of the line formats. The terminal form is plain
 * printable text, so a byte-wise pass is safe: bytes of multi-byte
 * characters are all >= 0x80 and never match an ASCII set.
 */
static int term_then(const char *s, size_t n, hs_buf *out,
                     int (*put)(hs_buf *out, char c))
{
    hs_buf line = HS_BUF_INIT;
    size_t i;
    int rc = -1;

    if (hs_escape_term(s, n, &line) != 0)
        goto out;
    for (i = 0; i < line.len; i++)
        if (put(out, line.p[i]) != 0)
            goto out;
    rc = 0;
out:
    hs_buf_free(&line);
    return rc;
}

static int put_tap_char(hs_buf *out, char c)
{
    if (c == '#')
        return hs_buf_puts(out, "\\#");
    return hs_buf_putc(out, c);
}

static int put_yaml_char(hs_buf *out, char c)
{
    if (c == '"' || c == '\\')
        hs_buf_putc(out, '\\');
    return hs_buf_putc(out, c);
}

static int is_ascii_punct(char c)
{
    return c != '\0' && strchr("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", c) != NULL;
}

static int put_md_char(hs_buf *out, char c)
{
    if (c == '@')
        return hs_buf_puts(out, "`@`");
    if (is_ascii_punct(c))
        hs_buf_putc(out, '\\');
    return hs_buf_putc(out, c);
}

int hs_escape_tap(const char *s, size_t n, hs_buf *out)
{
    return term_then(s, n, out, put_tap_char);
}

int hs_escape_yaml(const char *s, size_t n, hs_buf *out)
{
    hs_buf_putc(out, '"');
    if (term_then(s, n, out, put_yaml_char) != 0)
        return -1;
    return hs_buf_putc(out, '"');
}

int hs_escape_md(const char *s, size_t n, hs_buf *out)
{
    return term_then(s, n, out, put_md_char);
}

int hs_escape_str(hs_escape_fn fn, const char *s, hs_buf *out)
{
    if (s == NULL)
        return hs_buf_failed(out) ? -1 : 0;
    return fn(s, strlen(s), out);
}

int hs_escape_json(hs_escape_fn fn, const json_t *v, hs_buf *out)
{
    if (!json_is_string(v))
        return hs_buf_failed(out) ? -1 : 0;
    return fn(json_string_value(v), json_string_length(v), out);
}

size_t hs_escape_clip(const char *s, size_t n, size_t max)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, k;

    while (i < n) {
        k = hs_utf8_seq_len(p + i, n - i);
        if (k == 0)
            k = 1;
        if (k > max - i)
            break;
        i += k;
    }
    return i;
}

static const char hs_replacement_char[] = "\xEF\xBF\xBD"; /* U+FFFD */

/* Is the well-formed sequence p[0..k) a control character? */
static int is_control(const unsigned char *p, size_t k)
{
    if (k == 1)
        return (p[0] < 0x20 && p[0] != '\t' && p[0] != '\n' && p[0] != '\r') ||
               p[0] == 0x7F;
    return k == 2 && p[0] == 0xC2 && p[1] < 0xA0;
}

char *hs_escape_sanitize(const unsigned char *p, size_t n)
{
    char *out = malloc(3 * n + 1);
    size_t i = 0, o = 0, k;

    if (out == NULL)
        return NULL;
    while (i < n) {
        k = hs_utf8_seq_len(p + i, n - i);
        if (k == 0 || is_control(p + i, k)) {
            memcpy(out + o, hs_replacement_char, 3);
            o += 3;
            i += k == 0 ? 1 : k;
            continue;
        }
        memcpy(out + o, p + i, k);
        o += k;
        i += k;
    }
    out[o] = '\0';
    return out;
}

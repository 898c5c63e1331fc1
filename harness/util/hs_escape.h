/*
 * hs_escape: the one place where untrusted text is made safe to show.
 *
 * Every string in a results document may come from a peer: a gateway's
 * frames, its log lines, a fuzzer's bytes. Each function below appends an
 * escaped copy of s[0..n) to out, for one output format. Input is a byte
 * buffer: it may hold NUL and invalid UTF-8, and nothing is read past n.
 * All return 0, or -1 when memory runs out (out then reports failure too).
 *
 * Characters that could hide, reorder or steer what a reader sees are
 * written as visible text, in one notation for every format: "\xNN" for a
 * code point below U+0100 or a byte that is not valid UTF-8, "\u{NNNN}"
 * above. That covers C0 controls (ESC included), DEL, C1 controls,
 * U+FFFE/U+FFFF, and the bidirectional controls U+061C, U+200E, U+200F,
 * U+202A-U+202E and U+2066-U+2069 (a numeric character reference would not
 * do for these: the browser decodes it back into the same control, which
 * then reorders the text around it).
 */
#ifndef HS_ESCAPE_H
#define HS_ESCAPE_H

#include <stddef.h>
#include <jansson.h>

#include "util/hs_buf.h"

typedef int (*hs_escape_fn)(const char *s, size_t n, hs_buf *out);

/*
 * HTML text and attribute values alike: & < > " ' become references; tab
 * and LF stay, CR becomes &#13;; U+2028/U+2029 become &#x2028;/&#x2029;;
 * NUL and invalid UTF-8 become U+FFFD (&#xFFFD;); other controls and bidi
 * controls are written visibly (see above). Safe inside <pre>, a text node
 * or a quoted attribute; not inside <script> or <style>.
 */
int hs_escape_html(const char *s, size_t n, hs_buf *out);

/*
 * XML 1.0 text and attribute values (JUnit): & < > " ' become references,
 * tab and LF stay, CR becomes &#13; (a raw CR would be folded into LF).
 * What XML 1.0 cannot carry (NUL, C0 controls, U+FFFE/U+FFFF, invalid UTF-8
 * bytes) and what it should not (DEL, C1, bidi controls) is written
 * visibly, so the document always parses. No CDATA is ever needed.
 */
int hs_escape_xml(const char *s, size_t n, hs_buf *out);

/*
 * One terminal line: valid UTF-8 and printable ASCII stay; backslash is
 * doubled; tab, LF and CR become \t \n \r; every other control (ESC, C1),
 * bidi control, U+2028/U+2029 and invalid byte is written visibly, so a
 * peer can neither move the cursor, recolour the screen nor start a line.
 */
int hs_escape_term(const char *s, size_t n, hs_buf *out);

/*
 * A TAP 14 test point description or directive reason: hs_escape_term,
 * then '#' written "\#" (TAP 14's escape) so the text cannot open a
 * directive such as "# SKIP".
 */
int hs_escape_tap(const char *s, size_t n, hs_buf *out);

/*
 * A complete YAML double-quoted scalar, quotes included, whose value is
 * exactly the hs_escape_term text: a reader that decodes the YAML still
 * holds only visible, single-line text.
 */
int hs_escape_yaml(const char *s, size_t n, hs_buf *out);

/*
 * Markdown inline text, safe in a GFM table cell: hs_escape_term, then
 * every ASCII punctuation character backslash-escaped (CommonMark renders
 * those literally: no emphasis, link, image, raw HTML, entity, autolink
 * or cell break can form) and '@' set as a code span, because GFM finds
 * e-mail autolinks even across backslash escapes.
 */
int hs_escape_md(const char *s, size_t n, hs_buf *out);

/*
 * JSON text (as jansson writes it) made safe to embed in an HTML <script>
 * element: < > & become \u003c \u003e \u0026 and U+2028/U+2029 become
 * \u2028/\u2029. Valid only for JSON text, where those characters can
 * occur inside strings alone.
 */
int hs_escape_script_json(const char *s, size_t n, hs_buf *out);

/* Apply fn to a NUL-terminated string; NULL appends nothing. */
int hs_escape_str(hs_escape_fn fn, const char *s, hs_buf *out);

/*
 * Apply fn to a jansson string with its full length (an embedded \u0000
 * included); anything else, NULL too, appends nothing.
 */
int hs_escape_json(hs_escape_fn fn, const json_t *v, hs_buf *out);

/*
 * The longest prefix of s[0..n) that is at most max bytes and does not cut
 * a well-formed UTF-8 sequence in two: where to shorten text before
 * escaping it.
 */
size_t hs_escape_clip(const char *s, size_t n, size_t max);

/*
 * Copy n bytes as a NUL-terminated, valid UTF-8 string that is safe to show:
 * invalid sequences and control characters (C0 other than tab, CR and LF,
 * DEL, C1) become U+FFFD, so NUL cannot cut the string short and terminal
 * escapes cannot reach a screen. malloc'd; NULL only when memory runs out.
 */
char *hs_escape_sanitize(const unsigned char *p, size_t n);

#endif

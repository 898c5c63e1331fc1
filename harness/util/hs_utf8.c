/*
 * hs_utf8: UTF-8 well-formedness (RFC 3629). See hs_utf8.h.
 */
#include "util/hs_utf8.h"

/* Continuation byte 10xxxxxx within [lo, hi] (RFC 3629 section 4). */
static int in_range(unsigned char c, unsigned char lo, unsigned char hi)
{
    return c >= lo && c <= hi;
}

/*
 * The second byte's range depends on the first (RFC 3629 section 4): that
 * is what rules out overlong forms, surrogates and code points past U+10FFFF
 * without decoding the code point.
 */
size_t hs_utf8_seq_len(const unsigned char *p, size_t n)
{
    unsigned char c = p[0];
    unsigned char lo = 0x80, hi = 0xBF;
    size_t need, i;

    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        need = 2;
    else if (c >= 0xE0 && c <= 0xEF)
        need = 3;
    else if (c >= 0xF0 && c <= 0xF4)
        need = 4;
    else
        return 0;
    if (c == 0xE0)
        lo = 0xA0;
    else if (c == 0xED)
        hi = 0x9F;
    else if (c == 0xF0)
        lo = 0x90;
    else if (c == 0xF4)
        hi = 0x8F;
    if (n < need || !in_range(p[1], lo, hi))
        return 0;
    for (i = 2; i < need; i++)
        if (!in_range(p[i], 0x80, 0xBF))
            return 0;
    return need;
}

int hs_utf8_valid(const unsigned char *p, size_t n)
{
    size_t i = 0, k;

    while (i < n) {
        k = hs_utf8_seq_len(p + i, n - i);
        if (k == 0)
            return 0;
        i += k;
    }
    return 1;
}

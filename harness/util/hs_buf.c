/*
 * hs_buf: a growable byte buffer (see hs_buf.h).
 */
#include "util/hs_buf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HS_BUF_MIN_CAP 64

/*
 * Grow geometrically so that building a large document costs amortised
 * linear time; every size computation is checked so that a huge request
 * fails instead of wrapping around.
 */
int hs_buf_reserve(hs_buf *b, size_t n)
{
    size_t want, cap;
    char *p;

    if (b->failed)
        return -1;
    if (n > SIZE_MAX - b->len - 1)
        goto error;
    want = b->len + n + 1;
    if (want <= b->cap)
        return 0;
    cap = b->cap < HS_BUF_MIN_CAP ? HS_BUF_MIN_CAP : b->cap;
    while (cap < want)
        cap = cap > SIZE_MAX / 2 ? want : cap * 2;
    p = realloc(b->p, cap);
    if (p == NULL)
        goto error;
    b->p = p;
    b->cap = cap;
    return 0;
error:
    b->failed = 1;
    return -1;
}

int hs_buf_append(hs_buf *b, const void *data, size_t n)
{
    if (hs_buf_reserve(b, n) != 0)
        return -1;
    if (n > 0)
        memcpy(b->p + b->len, data, n);
    b->len += n;
    b->p[b->len] = '\0';
    return 0;
}

int hs_buf_puts(hs_buf *b, const char *s)
{
    if (s == NULL)
        return b->failed ? -1 : 0;
    return hs_buf_append(b, s, strlen(s));
}

int hs_buf_putc(hs_buf *b, char c)
{
    return hs_buf_append(b, &c, 1);
}

/*
 * Format straight into the spare room; when it does not fit, grow to the
 * exact size vsnprintf reported and format again (ap is copied because a
 * va_list can be walked only once).
 */
int hs_buf_vprintf(hs_buf *b, const char *fmt, va_list ap)
{
    va_list again;
    int n;

    if (hs_buf_reserve(b, 0) != 0)
        return -1;
    va_copy(again, ap);
    n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
    if (n < 0)
        goto error;
    if ((size_t)n >= b->cap - b->len) {
        if (hs_buf_reserve(b, (size_t)n) != 0)
            goto error;
        vsnprintf(b->p + b->len, b->cap - b->len, fmt, again);
    }
    b->len += (size_t)n;
    va_end(again);
    return 0;
error:
    b->failed = 1;
    if (b->p != NULL)
        b->p[b->len] = '\0';
    va_end(again);
    return -1;
}

int hs_buf_printf(hs_buf *b, const char *fmt, ...)
{
    va_list ap;
    int rc;

    va_start(ap, fmt);
    rc = hs_buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

void hs_buf_reset(hs_buf *b)
{
    b->len = 0;
    if (b->p != NULL)
        b->p[0] = '\0';
}

int hs_buf_failed(const hs_buf *b)
{
    return b->failed;
}

void hs_buf_free(hs_buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = 0;
    b->cap = 0;
    b->failed = 0;
}

void hs_errf(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL || errlen == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

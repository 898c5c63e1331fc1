/*
 * hs_buf: a growable byte buffer for building output text.
 *
 * The contents are always NUL-terminated once anything was appended, so p
 * can be handed to string functions (the data itself may hold NUL bytes;
 * len is the truth). Errors are sticky: after an allocation fails, every
 * later call fails too and the contents stay as they were, so a writer can
 * append many pieces and check once, at the end, with hs_buf_failed().
 *
 * Initialise with HS_BUF_INIT (or zero it); release with hs_buf_free().
 */
#ifndef HS_BUF_H
#define HS_BUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct hs_buf {
    char *p;        /* contents, NUL-terminated; NULL until the first append */
    size_t len;     /* bytes used, not counting the terminator */
    size_t cap;     /* bytes allocated */
    int failed;     /* an allocation failed: every call now returns -1 */
} hs_buf;

#define HS_BUF_INIT {NULL, 0, 0, 0}

/* Append n bytes. 0, or -1 when memory runs out. */
int hs_buf_append(hs_buf *b, const void *data, size_t n);

/* Append a NUL-terminated string (NULL appends nothing). */
int hs_buf_puts(hs_buf *b, const char *s);

int hs_buf_putc(hs_buf *b, char c);

int hs_buf_printf(hs_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

int hs_buf_vprintf(hs_buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/* Make sure n more bytes (plus the terminator) fit without reallocating. */
int hs_buf_reserve(hs_buf *b, size_t n);

/* Forget the contents but keep the memory (and a sticky failure). */
void hs_buf_reset(hs_buf *b);

/* 1 when an allocation failed since the buffer was initialised. */
int hs_buf_failed(const hs_buf *b);

/* Release the memory and return to the initial state. */
void hs_buf_free(hs_buf *b);

/*
 * Format an error message into a caller's buffer, the one error convention
 * of the harness: err may be NULL or errlen 0, then nothing is written.
 */
void hs_errf(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif

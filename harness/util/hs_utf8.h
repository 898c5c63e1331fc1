/*
 * hs_utf8: is this UTF-8? RFC 6455 8.1 requires text frames and close
 * reasons to be well-formed UTF-8; the escapers and the transcript replace
 * what is not. No decoding to code points: the range checks of RFC 3629
 * section 4 are enough to refuse overlong forms, surrogates and values past
 * U+10FFFF.
 */
#ifndef HS_UTF8_H
#define HS_UTF8_H

#include <stddef.h>

/*
 * Length of the well-formed UTF-8 sequence at the start of p (1 to 4), or 0
 * when the bytes there are not one (overlong forms, surrogates and code
 * points above U+10FFFF are refused, RFC 3629). n must be at least 1.
 */
size_t hs_utf8_seq_len(const unsigned char *p, size_t n);

/* Is p[0..n) entirely well-formed UTF-8 (RFC 6455 8.1)? 1 or 0. */
int hs_utf8_valid(const unsigned char *p, size_t n);

#endif

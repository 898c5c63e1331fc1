/*
 * hs_deflate: permessage-deflate (RFC 7692) for the harness's client, with
 * no I/O: the offer a client puts in Sec-WebSocket-Extensions, the check of
 * the server's answer against it, and one codec per direction.
 *
 * Answers are untrusted: the parser follows the extension-list grammar of
 * RFC 6455 9.1 and refuses what it cannot read instead of guessing. Error
 * messages never quote the peer's bytes.
 *
 * zlib cannot write a raw DEFLATE stream with an 8-bit window (deflateInit2
 * refuses it since 1.2.9). When client_max_window_bits=8 is agreed the
 * compressor uses 9 bits, whose matches never reach further back than 250
 * bytes, so the stream is valid under an 8-bit window. Inflating always uses
 * the largest window, which accepts every stream a smaller window allows.
 */
#ifndef HS_DEFLATE_H
#define HS_DEFLATE_H

#include <stddef.h>

#define HS_PMD_OK 0
#define HS_PMD_INVALID -1      /* the answer breaks RFC 6455 9.1 or RFC 7692 7.1 */
#define HS_PMD_ERR -2          /* bad input of ours, or a codec failure */
#define HS_PMD_NOMEM -3
#define HS_PMD_TOO_BIG -4      /* inflating would pass the caller's limit */

/* client_max_window_bits offered without a value (RFC 7692 7.1.2.2). */
#define HS_PMD_BITS_NOVALUE -1

#define HS_PMD_MIN_BITS 8
#define HS_PMD_MAX_BITS 15

/* Longest offer hs_pmd_offer writes, terminator included. */
#define HS_PMD_OFFER_MAX 160

/* The four parameters of RFC 7692 7.1; 0 means absent. */
typedef struct hs_pmd_params {
    int server_no_context_takeover;
    int client_no_context_takeover;
    int server_max_window_bits;    /* 8..15 */
    int client_max_window_bits;    /* 8..15, or HS_PMD_BITS_NOVALUE in offers */
} hs_pmd_params;

/*
 * Write the offer "permessage-deflate[; param...]" into out. HS_PMD_ERR
 * when a window size is outside 8..15 or out is too small.
 */
int hs_pmd_offer(const hs_pmd_params *p, char *out, size_t len);

/*
 * Judge the server's Sec-WebSocket-Extensions (answer, NULL when absent)
 * against what the client sent (offer, NULL when it sent none; it may hold
 * several offers and other extensions). HS_PMD_OK: *agreed is 1 and params
 * hold the answer when permessage-deflate is in use, *agreed is 0 when the
 * server declined. HS_PMD_INVALID with err saying which rule broke: an
 * extension that was not offered (RFC 6455 4.1), a malformed list, unknown
 * or repeated parameters, a bad value, or an answer no offer allows (RFC
 * 7692 7.1.1 and 7.1.2).
 */
int hs_pmd_negotiate(const char *offer, const char *answer, int *agreed,
                     hs_pmd_params *params, char *err, size_t errlen);

typedef struct hs_pmd_codec hs_pmd_codec;

/*
 * A compressor (compress 1) or decompressor for one direction. window_bits
 * is the agreed maximum for the compressing side (0: 15); no_context resets
 * the LZ77 window before every message (the *_no_context_takeover
 * parameters). HS_PMD_OK, HS_PMD_ERR or HS_PMD_NOMEM.
 */
int hs_pmd_codec_new(int compress, int window_bits, int no_context,
                     hs_pmd_codec **out);

void hs_pmd_codec_free(hs_pmd_codec *c);

/*
 * Compress one whole message (RFC 7692 7.2.1): raw DEFLATE ended by a sync
 * flush, whose trailing 00 00 ff ff is removed. An empty message becomes
 * the single byte 00. *out is malloc'd.
 */
int hs_pmd_compress(hs_pmd_codec *c, const unsigned char *in, size_t n,
                    unsigned char **out, size_t *outlen);

/*
 * Inflate one whole message's payload, its fragments joined (RFC 7692
 * 7.2.2): 00 00 ff ff is appended, and a block with BFINAL set (7.2.3.4)
 * starts a new stream that keeps the window. More than max bytes of output
 * is HS_PMD_TOO_BIG; data that does not inflate is HS_PMD_INVALID with err.
 * *out is malloc'd with one extra NUL byte after *outlen.
 */
int hs_pmd_inflate(hs_pmd_codec *c, const unsigned char *in, size_t n,
                   size_t max, unsigned char **out, size_t *outlen, char *err,
                   size_t errlen);

#endif

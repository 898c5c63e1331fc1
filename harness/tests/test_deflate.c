/*
 * Unit tests for hs_deflate: the permessage-deflate offer, the judgement of
 * a server's answer (RFC 6455 9.1, RFC 7692 7.1) and the codecs (RFC 7692
 * 7.2), checked against the examples of RFC 7692 7.2.3.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <zlib.h>

#include "wire/hs_deflate.h"
#include "tests/test_util.h"

/* ---- the offer ------------------------------------------------------------ */

static void test_offer_text(void **state)
{
    hs_pmd_params p = { 1, 1, 10, HS_PMD_BITS_NOVALUE };
    char out[HS_PMD_OFFER_MAX];

    (void)state;
    assert_int_equal(hs_pmd_offer(&p, out, sizeof(out)), HS_PMD_OK);
    assert_string_equal(out, "permessage-deflate; server_no_context_takeover; "
                        "client_no_context_takeover; server_max_window_bits=10; "
                        "client_max_window_bits");
    memset(&p, 0, sizeof(p));
    assert_int_equal(hs_pmd_offer(&p, out, sizeof(out)), HS_PMD_OK);
    assert_string_equal(out, "permessage-deflate");
    p.client_max_window_bits = 12;
    assert_int_equal(hs_pmd_offer(&p, out, sizeof(out)), HS_PMD_OK);
    assert_string_equal(out, "permessage-deflate; client_max_window_bits=12");
    p.server_max_window_bits = 16;
    assert_int_equal(hs_pmd_offer(&p, out, sizeof(out)), HS_PMD_ERR);
    p.server_max_window_bits = 7;
    assert_int_equal(hs_pmd_offer(&p, out, sizeof(out)), HS_PMD_ERR);
    p.server_max_window_bits = 0;
    assert_int_equal(hs_pmd_offer(&p, out, 10), HS_PMD_ERR);
}

/* ---- judging answers -------------------------------------------------------- */

/* Negotiate and return the result; agreed and params are checked by callers. */
static int judge(const char *offer, const char *answer, int *agreed, hs_pmd_params *p)
{
    char err[256] = "";
    int rc = hs_pmd_negotiate(offer, answer, agreed, p, err, sizeof(err));

    if (rc == HS_PMD_INVALID)
        assert_cmp_int(err[0], !=, '\0');
    return rc;
}

static void test_answer_absent_or_plain(void **state)
{
    hs_pmd_params p;
    int agreed = 1;

    (void)state;
    assert_int_equal(judge("permessage-deflate", NULL, &agreed, &p), HS_PMD_OK);
    assert_int_equal(agreed, 0);
    assert_int_equal(judge("permessage-deflate", "  ", &agreed, &p), HS_PMD_OK);
    assert_int_equal(agreed, 0);
    assert_int_equal(judge("permessage-deflate", "permessage-deflate", &agreed, &p), HS_PMD_OK);
    assert_int_equal(agreed, 1);
    assert_int_equal(p.server_max_window_bits, 0);
    assert_int_equal(judge("permessage-deflate", "Permessage-Deflate", &agreed, &p), HS_PMD_OK);
    assert_int_equal(agreed, 1);
}

/* RFC 7692 7.1.1 and 7.1.2: what an answer may add, and what it must keep. */
static void test_answer_parameters(void **state)
{
    hs_pmd_params p;
    int agreed = 0;

    (void)state;
    /* The server may limit its own window and context unasked. */
    assert_int_equal(judge("permessage-deflate", "permessage-deflate; "
                           "server_max_window_bits=10; server_no_context_takeover; "
                           "client_no_context_takeover", &agreed, &p), HS_PMD_OK);
    assert_int_equal(p.server_max_window_bits, 10);
    assert_int_equal(p.server_no_context_takeover, 1);
    assert_int_equal(p.client_no_context_takeover, 1);
    /* The client's window only when offered, and no larger. */
    assert_int_equal(judge("permessage-deflate", "permessage-deflate; "
                           "client_max_window_bits=10", &agreed, &p), HS_PMD_INVALID);
    assert_int_equal(judge("permessage-deflate; client_max_window_bits",
                           "permessage-deflate; client_max_window_bits=10", &agreed, &p),
                     HS_PMD_OK);
    assert_int_equal(p.client_max_window_bits, 10);
    assert_int_equal(judge("permessage-deflate; client_max_window_bits=9",
                           "permessage-deflate; client_max_window_bits=10", &agreed, &p),
                     HS_PMD_INVALID);
    /* An offer's server limits must be honoured in the answer. */
    assert_int_equal(judge("permessage-deflate; server_max_window_bits=10",
                           "permessage-deflate; server_max_window_bits=12", &agreed, &p),
                     HS_PMD_INVALID);
    assert_int_equal(judge("permessage-deflate; server_max_window_bits=10",
                           "permessage-deflate", &agreed, &p), HS_PMD_INVALID);
    assert_int_equal(judge("permessage-deflate; server_max_window_bits=10",
                           "permessage-deflate; server_max_window_bits=9", &agreed, &p),
                     HS_PMD_OK);
    assert_int_equal(judge("permessage-deflate; server_no_context_takeover",
                           "permessage-deflate", &agreed, &p), HS_PMD_INVALID);
}

static void test_answer_malformed(void **state)
{
    static const char *const bad[] = {
        "permessage-deflate; x-unknown=1",
        "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
        "permessage-deflate; server_no_context_takeover=1",
        "permessage-deflate; client_max_window_bits",
        "permessage-deflate; server_max_window_bits=16",
        "permessage-deflate; server_max_window_bits=7",
        "permessage-deflate; server_max_window_bits=abc",
        "permessage-deflate; server_max_window_bits",
        "permessage-deflate;",
        "permessage-deflate; =3",
        "permessage-deflate; server_max_window_bits=\"1 0\"",
        "permessage-deflate; server_max_window_bits=\"10",
        "permessage-deflate, permessage-deflate",
        "x-not-offered",
        "permessage-deflate x",
    };
    hs_pmd_params p;
    int agreed;

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (judge("permessage-deflate; client_max_window_bits", bad[i], &agreed, &p) !=
            HS_PMD_INVALID)
            fail_msg("accepted: %s", bad[i]);
    assert_int_equal(judge(NULL, "permessage-deflate", &agreed, &p), HS_PMD_INVALID);
}

static void test_answer_lists(void **state)
{
    hs_pmd_params p;
    int agreed = 0;

    (void)state;
    /* Quoted values unquote to tokens (RFC 6455 9.1). */
    assert_int_equal(judge("permessage-deflate; client_max_window_bits",
                           "permessage-deflate; client_max_window_bits=\"11\"", &agreed, &p),
                     HS_PMD_OK);
    assert_int_equal(p.client_max_window_bits, 11);
    /* The first offer had to be declined; the answer fits the second. */
    assert_int_equal(judge("permessage-deflate; x-unknown, permessage-deflate; "
                           "client_max_window_bits", "permessage-deflate; "
                           "client_max_window_bits=12", &agreed, &p), HS_PMD_OK);
    assert_int_equal(agreed, 1);
    /* Another offered extension may be answered alone. */
    assert_int_equal(judge("x-other, permessage-deflate", "x-other", &agreed, &p), HS_PMD_OK);
    assert_int_equal(agreed, 0);
    assert_int_equal(judge("x-other, permessage-deflate", "x-other; a=b, "
                           "permessage-deflate", &agreed, &p), HS_PMD_OK);
    assert_int_equal(agreed, 1);
}

/* ---- codecs ----------------------------------------------------------------- */

static size_t unhex(const char *s, unsigned char *out)
{
    size_t n = 0;
    unsigned v;
    int used;

    while (sscanf(s, " %2x%n", &v, &used) == 1) {
        out[n++] = (unsigned char)v;
        s += used;
    }
    return n;
}

/* Inflate hex on c and compare with the text. */
static void inflates_to(hs_pmd_codec *c, const char *hexp, const char *text)
{
    unsigned char in[128], *out = NULL;
    size_t n = unhex(hexp, in), outlen = 0;
    char err[200];

    if (hs_pmd_inflate(c, in, n, 1 << 20, &out, &outlen, err, sizeof(err)) != HS_PMD_OK)
        fail_msg("%s: %s", hexp, err);
    assert_int_equal(outlen, strlen(text));
    assert_memory_equal(out, text, outlen);
    assert_int_equal(out[outlen], 0);
    free(out);
}

static hs_pmd_codec *inflater(int no_context)
{
    hs_pmd_codec *c = NULL;

    assert_int_equal(hs_pmd_codec_new(0, 0, no_context, &c), HS_PMD_OK);
    return c;
}

/* RFC 7692 7.2.3.1 to 7.2.3.6. */
static void test_rfc_examples(void **state)
{
    hs_pmd_codec *c = inflater(0);

    (void)state;
    inflates_to(c, "f2 48 cd c9 c9 07 00", "Hello");
    inflates_to(c, "f2 00 11 00 01 00", "Hello");            /* shares the window */
    hs_pmd_codec_free(c);
    c = inflater(0);
    inflates_to(c, "00 05 00 fa ff 48 65 6c 6c 6f 00", "Hello");
    inflates_to(c, "f3 48 cd c9 c9 07 00 00", "Hello");      /* BFINAL set */
    inflates_to(c, "f3 48 cd c9 c9 07 00", "Hello");         /* BFINAL, no padding byte */
    inflates_to(c, "f2 48 05 00 00 00 ff ff ca c9 c9 07 00", "Hello");
    inflates_to(c, "f2 48 cd c9 c9 07 00 00 00 ff ff 00", "Hello"); /* 7.2.3.6 */
    inflates_to(c, "00", "");
    hs_pmd_codec_free(c);
}

/* After a final block the window is kept for the next message. */
static void test_window_after_bfinal(void **state)
{
    hs_pmd_codec *c = inflater(0);

    (void)state;
    inflates_to(c, "f3 48 cd c9 c9 07 00 00", "Hello");
    inflates_to(c, "f2 00 11 00 01 00", "Hello");
    hs_pmd_codec_free(c);
}

/* no_context: a message that refers to the previous one cannot inflate. */
static void test_no_context_inflater(void **state)
{
    hs_pmd_codec *c = inflater(1);
    unsigned char in[16], *out = (unsigned char *)"x";
    size_t n = unhex("f2 00 11 00 01 00", in), outlen;
    char err[200] = "";

    (void)state;
    inflates_to(c, "f2 48 cd c9 c9 07 00", "Hello");
    assert_int_equal(hs_pmd_inflate(c, in, n, 1 << 20, &out, &outlen, err, sizeof(err)),
                     HS_PMD_INVALID);
    assert_null(out);
    assert_non_null(strstr(err, "RFC 7692"));
    hs_pmd_codec_free(c);
}

static void test_inflate_refusals(void **state)
{
    hs_pmd_codec *c = inflater(0);
    unsigned char junk[5] = { 0xff, 0xff, 0xff, 0xff, 0xff }, *out = NULL, *z = NULL;
    unsigned char *big = calloc(1, 100000);
    hs_pmd_codec *d = NULL;
    size_t outlen = 0, zlen = 0;
    char err[200];

    (void)state;
    assert_int_equal(hs_pmd_inflate(c, junk, sizeof(junk), 1 << 20, &out, &outlen, err,
                                    sizeof(err)), HS_PMD_INVALID);
    assert_int_equal(hs_pmd_codec_new(1, 15, 0, &d), HS_PMD_OK);
    assert_int_equal(hs_pmd_compress(d, big, 100000, &z, &zlen), HS_PMD_OK);
    hs_pmd_codec_free(c);
    c = inflater(0);
    assert_int_equal(hs_pmd_inflate(c, z, zlen, 99999, &out, &outlen, err, sizeof(err)),
                     HS_PMD_TOO_BIG);
    hs_pmd_codec_free(c);
    c = inflater(0);
    assert_int_equal(hs_pmd_inflate(c, z, zlen, 100000, &out, &outlen, err, sizeof(err)),
                     HS_PMD_OK);
    assert_int_equal(outlen, 100000);
    free(out);
    free(z);
    free(big);
    hs_pmd_codec_free(c);
    hs_pmd_codec_free(d);
    assert_int_equal(hs_pmd_codec_new(1, 16, 0, &d), HS_PMD_ERR);
    assert_null(d);
}

/* Compress with the given window, inflate with zlib at that very window. */
static void round_trip(int bits, int no_context, size_t size)
{
    hs_pmd_codec *c = NULL, *r = inflater(no_context);
    unsigned char *msg = malloc(size + 1), *z = NULL, *out = NULL;
    size_t zlen = 0, outlen = 0;
    char err[200];

    for (size_t i = 0; i < size; i++)
        msg[i] = (unsigned char)("permessage-deflate "[i % 19] ^ (i / 97 % 3));
    assert_int_equal(hs_pmd_codec_new(1, bits, no_context, &c), HS_PMD_OK);
    for (int m = 0; m < 3; m++) {
        assert_int_equal(hs_pmd_compress(c, msg, size, &z, &zlen), HS_PMD_OK);
        if (zlen >= 4 && memcmp(z + zlen - 4, "\x00\x00\xff\xff", 4) == 0)
            fail_msg("bits %d size %lu message %d: %lu bytes end with the sync tail", bits,
                     (unsigned long)size, m, (unsigned long)zlen);
        if (hs_pmd_inflate(r, z, zlen, size, &out, &outlen, err, sizeof(err)) != HS_PMD_OK)
            fail_msg("bits %d size %lu message %d: %s", bits, (unsigned long)size, m, err);
        assert_int_equal(outlen, size);
        assert_memory_equal(out, msg, size);
        free(z);
        free(out);
    }
    hs_pmd_codec_free(c);
    hs_pmd_codec_free(r);
    free(msg);
}

static void test_round_trips(void **state)
{
    static const size_t sizes[] = { 0, 1, 125, 1000, 70000 };

    (void)state;
    for (int bits = 8; bits <= 15; bits++)
        for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
            round_trip(bits, 0, sizes[s]);
            round_trip(bits, 1, sizes[s]);
        }
}

/* An empty message compresses to the single byte 00 (RFC 7692 7.2.3.6). */
static void test_empty_message(void **state)
{
    hs_pmd_codec *c = NULL;
    unsigned char *z = NULL;
    size_t zlen = 0;

    (void)state;
    assert_int_equal(hs_pmd_codec_new(1, 15, 0, &c), HS_PMD_OK);
    assert_int_equal(hs_pmd_compress(c, (const unsigned char *)"", 0, &z, &zlen), HS_PMD_OK);
    assert_int_equal(zlen, 1);
    assert_int_equal(z[0], 0);
    free(z);
    hs_pmd_codec_free(c);
}

/*
 * client_max_window_bits=8: what we send must inflate with a strict 8-bit
 * window, though zlib cannot deflate with one. zlib's raw inflater at -8,
 * fed 16 output bytes at a time, refuses any distance above 256.
 */
static void test_window_8_is_honoured(void **state)
{
    hs_pmd_codec *c = NULL;
    unsigned char msg[3000], *z = NULL, out[3100];
    size_t zlen = 0, done = 0;
    unsigned seed = 7;
    z_stream s;
    int r = Z_OK;

    (void)state;
    /* A 300-byte block repeated: every match lies 300 bytes back. */
    for (size_t i = 0; i < 300; i++) {
        seed = seed * 1103515245u + 12345u;
        msg[i] = (unsigned char)(seed >> 16);
    }
    for (size_t i = 300; i < sizeof(msg); i++)
        msg[i] = msg[i - 300];
    assert_int_equal(hs_pmd_codec_new(1, 8, 0, &c), HS_PMD_OK);
    assert_int_equal(hs_pmd_compress(c, msg, sizeof(msg), &z, &zlen), HS_PMD_OK);
    memset(&s, 0, sizeof(s));
    assert_int_equal(inflateInit2(&s, -8), Z_OK);
    s.next_in = z;
    s.avail_in = (uInt)zlen;
    while (r == Z_OK && s.avail_in > 0) {
        s.next_out = out + done;
        s.avail_out = 16;
        r = inflate(&s, Z_SYNC_FLUSH);
        done += 16 - s.avail_out;
    }
    if (r != Z_OK)
        fail_msg("a strict 8-bit window refuses it: %s", s.msg ? s.msg : "?");
    assert_int_equal(done, sizeof(msg));
    assert_memory_equal(out, msg, sizeof(msg));
    inflateEnd(&s);
    free(z);
    hs_pmd_codec_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_offer_text),
        cmocka_unit_test(test_answer_absent_or_plain),
        cmocka_unit_test(test_answer_parameters),
        cmocka_unit_test(test_answer_malformed),
        cmocka_unit_test(test_answer_lists),
        cmocka_unit_test(test_rfc_examples),
        cmocka_unit_test(test_window_after_bfinal),
        cmocka_unit_test(test_no_context_inflater),
        cmocka_unit_test(test_inflate_refusals),
        cmocka_unit_test(test_round_trips),
        cmocka_unit_test(test_empty_message),
        cmocka_unit_test(test_window_8_is_honoured),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

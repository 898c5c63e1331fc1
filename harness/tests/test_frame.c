/*
 * Unit tests for hs_frame: the RFC 6455 5.7 examples byte for byte, round
 * trips across every length form boundary, truncation at every byte, and
 * the deliberately broken frames the harness sends.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "wire/hs_frame.h"
#include "util/hs_utf8.h"

static const unsigned char rfc_key[4] = { 0x37, 0xfa, 0x21, 0x3d };

/* Encode a spec or fail the test; the caller frees. */
static unsigned char *encode_ok(const hs_frame_spec *s, size_t *n)
{
    unsigned char *out = NULL;

    assert_int_equal(hs_frame_encode(s, &out, n), HS_FRAME_OK);
    assert_non_null(out);
    return out;
}

/*
 * Decode from an exact-size heap copy, so a read past len is caught by
 * the address sanitizer rather than landing in the caller's buffer.
 */
static int decode_copy(const unsigned char *b, size_t n, uint64_t max,
                       hs_frame *f, size_t *used)
{
    unsigned char *copy = malloc(n ? n : 1);
    int r;

    memcpy(copy, b, n);
    r = hs_frame_decode(copy, n, max, f, used);
    free(copy);
    return r;
}

/* RFC 6455 5.7: a single-frame masked text message "Hello". */
static void test_rfc_masked_hello(void **state)
{
    static const unsigned char want[] = { 0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d,
                                          0x7f, 0x9f, 0x4d, 0x51, 0x58 };
    hs_frame_spec s = { .fin = 1, .opcode = HS_OP_TEXT, .masked = 1,
                        .payload = (const unsigned char *)"Hello", .len = 5,
                        .declared_len = -1 };
    unsigned char *out;
    hs_frame f;
    size_t n, used;

    memcpy(s.key, rfc_key, 4);
    out = encode_ok(&s, &n);
    assert_int_equal(n, sizeof(want));
    assert_memory_equal(out, want, sizeof(want));
    free(out);

    assert_int_equal(decode_copy(want, sizeof(want), 1000, &f, &used), HS_FRAME_OK);
    assert_int_equal(used, sizeof(want));
    assert_true(f.fin);
    assert_true(f.masked);
    assert_int_equal(f.opcode, HS_OP_TEXT);
    assert_int_equal(f.len, 5);
    assert_int_equal(f.header_len, 6);
    assert_memory_equal(f.key, rfc_key, 4);
    assert_string_equal((char *)f.payload, "Hello");
    hs_frame_free(&f);
    assert_null(f.payload);
}

/* RFC 6455 5.7: unmasked "Hello", and the fragmented "Hel" + "lo". */
static void test_rfc_unmasked_and_fragments(void **state)
{
    static const unsigned char two[] = { 0x01, 0x03, 0x48, 0x65, 0x6c,
                                         0x80, 0x02, 0x6c, 0x6f };
    static const unsigned char hello[] = { 0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f };
    hs_frame f;
    size_t used;

    assert_int_equal(decode_copy(hello, sizeof(hello), 1000, &f, &used), HS_FRAME_OK);
    assert_false(f.masked);
    assert_string_equal((char *)f.payload, "Hello");
    hs_frame_free(&f);

    /* Two frames back to back: exactly the first one is consumed. */
    assert_int_equal(decode_copy(two, sizeof(two), 1000, &f, &used), HS_FRAME_OK);
    assert_int_equal(used, 5);
    assert_false(f.fin);
    assert_int_equal(f.opcode, HS_OP_TEXT);
    assert_string_equal((char *)f.payload, "Hel");
    hs_frame_free(&f);
    assert_int_equal(decode_copy(two + 5, 4, 1000, &f, &used), HS_FRAME_OK);
    assert_true(f.fin);
    assert_int_equal(f.opcode, HS_OP_CONT);
    assert_string_equal((char *)f.payload, "lo");
    hs_frame_free(&f);
}

/* RFC 6455 5.7: the 256-byte and 64 KiB binary headers. */
static void test_rfc_extended_headers(void **state)
{
    static const unsigned char h16[] = { 0x82, 0x7E, 0x01, 0x00 };
    static const unsigned char h64[] = { 0x82, 0x7F, 0x00, 0x00, 0x00, 0x00,
                                         0x00, 0x01, 0x00, 0x00 };
    unsigned char *payload = calloc(65536, 1), *out;
    hs_frame_spec s = { .fin = 1, .opcode = HS_OP_BINARY, .payload = payload,
                        .len = 256, .declared_len = -1 };
    size_t n;

    out = encode_ok(&s, &n);
    assert_int_equal(n, 4 + 256);
    assert_memory_equal(out, h16, sizeof(h16));
    free(out);
    s.len = 65536;
    out = encode_ok(&s, &n);
    assert_int_equal(n, 10 + 65536);
    assert_memory_equal(out, h64, sizeof(h64));
    free(out);
    free(payload);
}

/* Round trip at the edges of every length form, masked and not. */
static void test_round_trip_lengths(void **state)
{
    static const size_t lens[] = { 0, 125, 126, 65535, 65536 };
    static const size_t hdr[] = { 2, 2, 4, 4, 10 };
    static const int forms[] = { 7, 7, 16, 16, 64 };
    unsigned char *payload = malloc(65536), *out;
    hs_frame_spec s = { .fin = 1, .opcode = HS_OP_BINARY, .declared_len = -1 };
    hs_frame f;
    size_t i, n, used;
    int masked;

    for (i = 0; i < 65536; i++)
        payload[i] = (unsigned char)(i * 7 + 3);
    memcpy(s.key, rfc_key, 4);
    s.payload = payload;
    for (masked = 0; masked <= 1; masked++) {
        for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
            s.masked = masked;
            s.len = lens[i];
            out = encode_ok(&s, &n);
            assert_int_equal(n, hdr[i] + (masked ? 4 : 0) + lens[i]);
            assert_int_equal(decode_copy(out, n, UINT64_MAX, &f, &used), HS_FRAME_OK);
            assert_int_equal(used, n);
            assert_int_equal(f.len, lens[i]);
            assert_int_equal(f.len_form, forms[i]);
            assert_int_equal(f.masked, masked);
            assert_int_equal(f.header_len, hdr[i] + (masked ? 4 : 0));
            assert_memory_equal(f.payload, payload, lens[i]);
            assert_int_equal(f.payload[lens[i]], 0);
            hs_frame_free(&f);
            free(out);
        }
    }
    free(payload);
}

/* Every proper prefix of a frame is NEED_MORE and touches nothing past it. */
static void check_every_prefix(const hs_frame_spec *s)
{
    unsigned char *out;
    hs_frame f;
    size_t n, k, used;

    out = encode_ok(s, &n);
    for (k = 0; k < n; k++) {
        used = 99;
        assert_int_equal(decode_copy(out, k, UINT64_MAX, &f, &used),
                         HS_FRAME_NEED_MORE);
        assert_int_equal(used, 0);
        assert_null(f.payload);
    }
    assert_int_equal(decode_copy(out, n, UINT64_MAX, &f, &used), HS_FRAME_OK);
    assert_int_equal(used, n);
    hs_frame_free(&f);
    free(out);
}

static void test_need_more_at_every_cut(void **state)
{
    unsigned char payload[300];
    hs_frame_spec s = { .fin = 1, .opcode = HS_OP_TEXT, .masked = 1,
                        .payload = payload, .declared_len = -1 };
    static const size_t lens[] = { 0, 5, 126, 300 };
    size_t i;

    memset(payload, 'x', sizeof(payload));
    memcpy(s.key, rfc_key, 4);
    for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
        s.len = lens[i];
        s.len_form = 0;
        check_every_prefix(&s);
        s.len_form = 64;
        check_every_prefix(&s);
    }
}

/* RSV bits and reserved opcodes go out and come back exactly as asked. */
static void test_rsv_and_reserved_opcodes(void **state)
{
    hs_frame_spec s = { .opcode = 0, .payload = (const unsigned char *)"x",
                        .len = 1, .declared_len = -1 };
    unsigned char *out;
    hs_frame f;
    size_t n, used;
    int rsv, op;

    for (rsv = 0; rsv <= 7; rsv++) {
        for (op = 0; op <= 15; op++) {
            s.rsv = rsv;
            s.opcode = op;
            s.fin = op & 1;
            out = encode_ok(&s, &n);
            assert_int_equal(out[0], (s.fin ? 0x80 : 0) | (rsv << 4) | op);
            assert_int_equal(decode_copy(out, n, 10, &f, &used), HS_FRAME_OK);
            assert_int_equal(f.rsv, rsv);
            assert_int_equal(f.opcode, op);
            assert_int_equal(f.fin, op & 1);
            hs_frame_free(&f);
            free(out);
        }
    }
}

/* A header length that lies: the payload is written as it is. */
static void test_declared_len_override(void **state)
{
    hs_frame_spec s = { .fin = 1, .opcode = HS_OP_TEXT,
                        .payload = (const unsigned char *)"abc", .len = 3,
                        .declared_len = 10 };
    unsigned char *out;
    hs_frame f;
    size_t n, used;

    out = encode_ok(&s, &n);
    assert_int_equal(n, 2 + 3);
    assert_int_equal(out[1], 10);
    assert_int_equal(decode_copy(out, n, 100, &f, &used), HS_FRAME_NEED_MORE);
    free(out);

    /* Declared shorter: the rest of the payload reads as the next frame. */
    s.declared_len = 1;
    out = encode_ok(&s, &n);
    assert_int_equal(n, 5);
    assert_int_equal(decode_copy(out, n, 100, &f, &used), HS_FRAME_OK);
    assert_int_equal(used, 3);
    assert_string_equal((char *)f.payload, "a");
    hs_frame_free(&f);
    free(out);

    /* A declared length can need a longer form than the real one. */
    s.declared_len = 70000;
    out = encode_ok(&s, &n);
    assert_int_equal(n, 10 + 3);
    assert_int_equal(out[1], 127);
    free(out);
}

/* Non-minimal length encodings (RFC 6455 5.2 forbids them) are writable. */
static void test_forced_length_forms(void **state)
{
    static const unsigned char want64[] = { 0x81, 0x7F, 0, 0, 0, 0, 0, 0, 0, 5 };
    static const unsigned char want16[] = { 0x81, 0x7E, 0, 5 };
    hs_frame_spec s = { .fin = 1, .opcode = HS_OP_TEXT,
                        .payload = (const unsigned char *)"Hello", .len = 5,
                        .declared_len = -1, .len_form = 64 };
    unsigned char *out;
    hs_frame f;
    size_t n, used;

    out = encode_ok(&s, &n);
    assert_int_equal(n, 15);
    assert_memory_equal(out, want64, sizeof(want64));
    assert_int_equal(decode_copy(out, n, 100, &f, &used), HS_FRAME_OK);
    assert_int_equal(f.len_form, 64);
    assert_int_equal(f.header_len, 10);
    assert_string_equal((char *)f.payload, "Hello");
    hs_frame_free(&f);
    free(out);

    s.len_form = 16;
    out = encode_ok(&s, &n);
    assert_memory_equal(out, want16, sizeof(want16));
    assert_int_equal(decode_copy(out, n, 100, &f, &used), HS_FRAME_OK);
    assert_int_equal(f.len_form, 16);
    hs_frame_free(&f);
    free(out);
}

/* Specs that cannot be written are refused, not silently changed. */
static void test_encode_rejects_bad_specs(void **state)
{
    hs_frame_spec s = { .fin = 1, .opcode = HS_OP_TEXT, .declared_len = -1 };
    unsigned char *out = (unsigned char *)&s;
    size_t n = 1;

    s.rsv = 8;
    assert_int_equal(hs_frame_encode(&s, &out, &n), HS_FRAME_BAD);
    assert_null(out);
    assert_int_equal(n, 0);
    s.rsv = 0;
    s.opcode = 16;
    assert_int_equal(hs_frame_encode(&s, &out, &n), HS_FRAME_BAD);
    s.opcode = 1;
    s.declared_len = -2;
    assert_int_equal(hs_frame_encode(&s, &out, &n), HS_FRAME_BAD);
    s.declared_len = 70000;
    s.len_form = 16;
    assert_int_equal(hs_frame_encode(&s, &out, &n), HS_FRAME_BAD);
    s.declared_len = -1;
    s.len_form = 32;
    assert_int_equal(hs_frame_encode(&s, &out, &n), HS_FRAME_BAD);
    s.len_form = 0;
    s.len = 3;
    assert_int_equal(hs_frame_encode(&s, &out, &n), HS_FRAME_BAD);
}

/* RFC 6455 5.2: the most significant bit of a 64-bit length MUST be 0. */
static void test_64bit_msb_is_bad(void **state)
{
    static const unsigned char b[] = { 0x82, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 0 };
    static const unsigned char ok[] = { 0x82, 0x7F, 0x7F, 0xFF, 0xFF, 0xFF,
                                        0xFF, 0xFF, 0xFF, 0xFF };
    hs_frame f;
    size_t used;

    assert_int_equal(decode_copy(b, sizeof(b), UINT64_MAX, &f, &used), HS_FRAME_BAD);
    assert_int_equal(used, 0);
    assert_null(f.payload);
    /* The largest legal length is merely waited for. */
    assert_int_equal(decode_copy(ok, sizeof(ok), UINT64_MAX, &f, &used),
                     HS_FRAME_NEED_MORE);
}

/* The payload limit is applied from the header alone. */
static void test_max_payload_too_big(void **state)
{
    unsigned char payload[126] = { 0 };
    hs_frame_spec s = { .fin = 1, .opcode = HS_OP_BINARY, .payload = payload,
                        .len = 126, .declared_len = -1 };
    unsigned char *out;
    hs_frame f;
    size_t n, used;

    out = encode_ok(&s, &n);
    assert_int_equal(decode_copy(out, n, 125, &f, &used), HS_FRAME_TOO_BIG);
    assert_null(f.payload);
    assert_int_equal(decode_copy(out, 4, 125, &f, &used), HS_FRAME_TOO_BIG);
    assert_int_equal(decode_copy(out, n, 126, &f, &used), HS_FRAME_OK);
    hs_frame_free(&f);
    free(out);
}

static void test_opcode_names(void **state)
{
    assert_string_equal(hs_opcode_name(0), "continuation");
    assert_string_equal(hs_opcode_name(1), "text");
    assert_string_equal(hs_opcode_name(2), "binary");
    assert_string_equal(hs_opcode_name(3), "reserved-3");
    assert_string_equal(hs_opcode_name(7), "reserved-7");
    assert_string_equal(hs_opcode_name(8), "close");
    assert_string_equal(hs_opcode_name(9), "ping");
    assert_string_equal(hs_opcode_name(10), "pong");
    assert_string_equal(hs_opcode_name(11), "reserved-11");
    assert_string_equal(hs_opcode_name(15), "reserved-15");
    assert_string_equal(hs_opcode_name(16), "invalid");
    assert_string_equal(hs_opcode_name(-1), "invalid");
}

static void test_close_payload_parse(void **state)
{
    static const unsigned char bye[] = { 0x03, 0xE8, 'b', 'y', 'e' };
    const char *reason;
    size_t rlen;
    int code;

    assert_int_equal(hs_close_payload_parse(bye, 0, &code, &reason, &rlen), HS_FRAME_OK);
    assert_int_equal(code, 1005);
    assert_int_equal(rlen, 0);
    assert_int_equal(hs_close_payload_parse(bye, 1, &code, &reason, &rlen), HS_FRAME_BAD);
    assert_int_equal(hs_close_payload_parse(bye, 2, &code, &reason, &rlen), HS_FRAME_OK);
    assert_int_equal(code, 1000);
    assert_int_equal(rlen, 0);
    assert_int_equal(hs_close_payload_parse(bye, 5, &code, &reason, &rlen), HS_FRAME_OK);
    assert_int_equal(code, 1000);
    assert_int_equal(rlen, 3);
    assert_memory_equal(reason, "bye", 3);
}

/* RFC 6455 7.4: which codes may travel in a close frame. */
static void test_close_code_valid(void **state)
{
    static const int good[] = { 1000, 1001, 1002, 1003, 1007, 1008, 1009,
                                1010, 1011, 1012, 1014, 3000, 4999 };
    static const int bad[] = { 0, 999, 1004, 1005, 1006, 1015, 2000, 2999,
                               5000, 65535 };
    size_t i;

    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        assert_true(hs_close_code_valid(good[i]));
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_false(hs_close_code_valid(bad[i]));
}

/* RFC 3629: overlongs, surrogates, past U+10FFFF and cut sequences fail. */
static void test_utf8(void **state)
{
    static const char *const good[] = {
        "", "Hello", "\xCE\xBA\xE1\xBD\xB9\xCF\x83\xCE\xBC\xCE\xB5",
        "\xF0\x9F\x98\x80", "\xEF\xBF\xBF", "\xF4\x8F\xBF\xBF", "\xC2\x80"
    };
    static const char *const bad[] = {
        "\xC0\x80", "\xC1\xBF", "\xE0\x80\x80", "\xE0\x9F\xBF", "\xED\xA0\x80",
        "\xED\xBF\xBF", "\xF0\x80\x80\x80", "\xF4\x90\x80\x80", "\xF5\x80\x80\x80",
        "\xE2\x82", "\x80", "\xFE", "\xFF", "a\xCE", "\xE2\x28\xA1"
    };
    size_t i;

    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        assert_true(hs_utf8_valid((const unsigned char *)good[i], strlen(good[i])));
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_false(hs_utf8_valid((const unsigned char *)bad[i], strlen(bad[i])));
    assert_int_equal(hs_utf8_seq_len((const unsigned char *)"\xF0\x9F\x98\x80", 4), 4);
    assert_int_equal(hs_utf8_seq_len((const unsigned char *)"\xF0\x9F\x98\x80", 3), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc_masked_hello),
        cmocka_unit_test(test_rfc_unmasked_and_fragments),
        cmocka_unit_test(test_rfc_extended_headers),
        cmocka_unit_test(test_round_trip_lengths),
        cmocka_unit_test(test_need_more_at_every_cut),
        cmocka_unit_test(test_rsv_and_reserved_opcodes),
        cmocka_unit_test(test_declared_len_override),
        cmocka_unit_test(test_forced_length_forms),
        cmocka_unit_test(test_encode_rejects_bad_specs),
        cmocka_unit_test(test_64bit_msb_is_bad),
        cmocka_unit_test(test_max_payload_too_big),
        cmocka_unit_test(test_opcode_names),
        cmocka_unit_test(test_close_payload_parse),
        cmocka_unit_test(test_close_code_valid),
        cmocka_unit_test(test_utf8),
    };

    return cmocka_run_group_tests_name("hs_frame", tests, NULL, NULL);
}

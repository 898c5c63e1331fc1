/*
 * Fuzz target: the harness's RFC 6455 frame decoder, fed peer bytes.
 *
 * The first byte picks the payload ceiling (bit 7: none, else 2^(bits 0-4)
 * bytes); the rest is decoded frame after frame. Beyond memory safety the
 * target checks properties the report relies on: re-encoding a decoded
 * frame with the length form and key it was read with gives back exactly
 * the bytes consumed; one byte less is "need more", never a frame; and the
 * UTF-8 check agrees with walking the sequences one by one.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire/hs_frame.h"
#include "util/hs_utf8.h"

static void violation(const char *what)
{
    fprintf(stderr, "fuzz contract violation: %s\n", what);
    abort();
}

static void check_reencode(const hs_frame *f, const uint8_t *wire, size_t consumed)
{
    hs_frame_spec spec = { 0 };
    unsigned char *out = NULL;
    size_t outlen = 0;

    spec.fin = f->fin;
    spec.rsv = f->rsv;
    spec.opcode = f->opcode;
    spec.masked = f->masked;
    memcpy(spec.key, f->key, 4);
    spec.payload = f->payload;
    spec.len = (size_t)f->len;
    spec.declared_len = -1;
    spec.len_form = f->len_form == 7 ? 0 : f->len_form;
    if (hs_frame_encode(&spec, &out, &outlen) != HS_FRAME_OK)
        violation("a decoded frame could not be encoded again");
    if (outlen != consumed || memcmp(out, wire, consumed) != 0)
        violation("re-encoding a decoded frame changed its bytes");
    free(out);
}

static void check_prefix(const uint8_t *wire, size_t consumed, uint64_t max)
{
    hs_frame f;
    size_t used = 1;

    if (hs_frame_decode(wire, consumed - 1, max, &f, &used) != HS_FRAME_NEED_MORE ||
        used != 0)
        violation("a truncated frame was not reported as needing more bytes");
}

static void check_utf8(const unsigned char *p, size_t n)
{
    size_t i = 0, k = 1;

    while (i < n && k > 0) {
        k = hs_utf8_seq_len(p + i, n - i);
        i += k;
    }
    if (hs_utf8_valid(p, n) != (i == n && k > 0))
        violation("hs_utf8_valid disagrees with hs_utf8_seq_len");
}

static void check_frame(const hs_frame *f)
{
    const char *reason;
    size_t reason_len;
    int code;

    if (hs_opcode_name(f->opcode) == NULL)
        violation("an opcode without a name");
    if (f->opcode == HS_OP_TEXT)
        check_utf8(f->payload, (size_t)f->len);
    if (f->opcode != HS_OP_CLOSE ||
        hs_close_payload_parse(f->payload, (size_t)f->len, &code, &reason,
                               &reason_len) != HS_FRAME_OK)
        return;
    if (reason_len + 2 != f->len && !(f->len == 0 && code == 1005))
        violation("a close reason of the wrong length");
    hs_close_code_valid(code);
    check_utf8((const unsigned char *)reason, reason_len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint64_t max;
    size_t pos = 1, used;
    hs_frame f;

    if (size < 1)
        return 0;
    max = (data[0] & 0x80) ? UINT64_MAX : (uint64_t)1 << (data[0] & 31);
    while (pos < size &&
           hs_frame_decode(data + pos, size - pos, max, &f, &used) == HS_FRAME_OK) {
        check_frame(&f);
        check_reencode(&f, data + pos, used);
        check_prefix(data + pos, used, max);
        hs_frame_free(&f);
        pos += used;
    }
    return 0;
}

/*
 * hs_frame: RFC 6455 frame encoder and decoder (see hs_frame.h).
 */
#include "wire/hs_frame.h"

#include <stdlib.h>
#include <string.h>

/* Largest frame header: 2 + 8 (64-bit length) + 4 (masking key). */
#define HS_FRAME_HEADER_MAX 14

/*
 * Pick the length form for the encoder: the minimal one unless the spec
 * forces 16 or 64. Returns 7, 16, 64, or 0 when the length does not fit the
 * forced form or the form is unknown.
 */
static int encode_form(uint64_t len, int len_form)
{
    if (len_form == 0) {
        if (len <= 125)
            return 7;
        return len <= 0xFFFF ? 16 : 64;
    }
    if (len_form == 16)
        return len <= 0xFFFF ? 16 : 0;
    if (len_form == 64)
        return len <= INT64_MAX ? 64 : 0;
    return 0;
}

/* Write the header into h (HS_FRAME_HEADER_MAX bytes); returns its size. */
static size_t encode_header(const hs_frame_spec *s, uint64_t len, int form,
                            unsigned char *h)
{
    size_t n = 2;
    int i;

    h[0] = (unsigned char)((s->fin ? 0x80 : 0) | (s->rsv << 4) | s->opcode);
    h[1] = s->masked ? 0x80 : 0;
    if (form == 7) {
        h[1] |= (unsigned char)len;
    } else if (form == 16) {
        h[1] |= 126;
        h[n++] = (unsigned char)(len >> 8);
        h[n++] = (unsigned char)len;
    } else {
        h[1] |= 127;
        for (i = 7; i >= 0; i--)
            h[n++] = (unsigned char)(len >> (8 * i));
    }
    if (s->masked) {
        memcpy(h + n, s->key, 4);
        n += 4;
    }
    return n;
}

/*
 * The header length may be a lie (declared_len): the payload written is
 * always s->payload, masked with the key as RFC 6455 5.3 describes.
 */
int hs_frame_encode(const hs_frame_spec *s, unsigned char **out, size_t *outlen)
{
    unsigned char h[HS_FRAME_HEADER_MAX];
    unsigned char *buf;
    uint64_t len;
    size_t hlen, i;
    int form;

    *out = NULL;
    *outlen = 0;
    if (s->rsv < 0 || s->rsv > 7 || s->opcode < 0 || s->opcode > 15)
        return HS_FRAME_BAD;
    if (s->declared_len < -1 || (s->len > 0 && s->payload == NULL))
        return HS_FRAME_BAD;
    len = s->declared_len >= 0 ? (uint64_t)s->declared_len : s->len;
    form = encode_form(len, s->len_form);
    if (form == 0)
        return HS_FRAME_BAD;
    hlen = encode_header(s, len, form, h);
    buf = malloc(hlen + s->len + 1);
    if (buf == NULL)
        return HS_FRAME_NOMEM;
    memcpy(buf, h, hlen);
    for (i = 0; i < s->len; i++)
        buf[hlen + i] = s->payload[i] ^ (s->masked ? s->key[i % 4] : 0);
    *out = buf;
    *outlen = hlen + s->len;
    return HS_FRAME_OK;
}

/*
 * Read the payload length that starts at buf[1]. Sets *plen, *pos (the offset
 * after the length) and *form. RFC 6455 5.2: a 64-bit length with its most
 * significant bit set is not a length at all.
 */
static int decode_length(const unsigned char *buf, size_t len, uint64_t *plen,
                         size_t *pos, int *form)
{
    unsigned char l7 = buf[1] & 0x7F;
    size_t ext, i;

    if (l7 <= 125) {
        *plen = l7;
        *pos = 2;
        *form = 7;
        return HS_FRAME_OK;
    }
    ext = l7 == 126 ? 2 : 8;
    if (len < 2 + ext)
        return HS_FRAME_NEED_MORE;
    *plen = 0;
    for (i = 0; i < ext; i++)
        *plen = (*plen << 8) | buf[2 + i];
    if (ext == 8 && (buf[2] & 0x80))
        return HS_FRAME_BAD;
    *pos = 2 + ext;
    *form = ext == 2 ? 16 : 64;
    return HS_FRAME_OK;
}

int hs_frame_decode(const unsigned char *buf, size_t len, uint64_t max_payload,
                    hs_frame *f, size_t *consumed)
{
    uint64_t plen;
    size_t pos, i;
    int form, r;

    memset(f, 0, sizeof(*f));
    *consumed = 0;
    if (len < 2)
        return HS_FRAME_NEED_MORE;
    r = decode_length(buf, len, &plen, &pos, &form);
    if (r != HS_FRAME_OK)
        return r;
    if (plen > max_payload)
        return HS_FRAME_TOO_BIG;
    if (buf[1] & 0x80) {
        if (len - pos < 4)
            return HS_FRAME_NEED_MORE;
        memcpy(f->key, buf + pos, 4);
        pos += 4;
    }
    if (plen > len - pos)
        return HS_FRAME_NEED_MORE;
    f->payload = malloc((size_t)plen + 1);
    if (f->payload == NULL)
        return HS_FRAME_NOMEM;
    f->masked = (buf[1] & 0x80) != 0;
    for (i = 0; i < plen; i++)
        f->payload[i] = buf[pos + i] ^ (f->masked ? f->key[i % 4] : 0);
    f->payload[plen] = 0;
    f->fin = (buf[0] & 0x80) != 0;
    f->rsv = (buf[0] >> 4) & 7;
    f->opcode = buf[0] & 0x0F;
    f->len = plen;
    f->header_len = pos;
    f->len_form = form;
    *consumed = pos + (size_t)plen;
    return HS_FRAME_OK;
}

void hs_frame_free(hs_frame *f)
{
    if (f == NULL)
        return;
    free(f->payload);
    f->payload = NULL;
}

const char *hs_opcode_name(int opcode)
{
    static const char *const names[16] = {
        "continuation", "text", "binary", "reserved-3", "reserved-4",
        "reserved-5", "reserved-6", "reserved-7", "close", "ping", "pong",
        "reserved-11", "reserved-12", "reserved-13", "reserved-14",
        "reserved-15"
    };

    if (opcode < 0 || opcode > 15)
        return "invalid";
    return names[opcode];
}

int hs_close_payload_parse(const unsigned char *p, size_t n, int *code,
                           const char **reason, size_t *reason_len)
{
    *reason = "";
    *reason_len = 0;
    if (n == 0) {
        *code = 1005;
        return HS_FRAME_OK;
    }
    if (n == 1) {
        *code = 0;
        return HS_FRAME_BAD;
    }
    *code = (p[0] << 8) | p[1];
    *reason = (const char *)p + 2;
    *reason_len = n - 2;
    return HS_FRAME_OK;
}

/*
 * RFC 6455 7.4.1 defines 1000-1011 but reserves 1004, 1005 and 1006 for
 * local use only; 1012-1014 were registered with IANA later (7.4.2 leaves
 * 1000-2999 to the registry); 3000-4999 belong to libraries and applications.
 */
int hs_close_code_valid(int code)
{
    if (code >= 3000 && code <= 4999)
        return 1;
    if (code < 1000 || code > 1014)
        return 0;
    return code != 1004 && code != 1005 && code != 1006;
}

/*
 * hs_frame: RFC 6455 frames, encoded and decoded without any I/O.
 *
 * The encoder writes whatever the spec says, including frames a conforming
 * endpoint must refuse: RSV bits without an extension, reserved opcodes,
 * unmasked client frames, a header length that disagrees with the payload,
 * non-minimal length encodings, fragmented control frames. That is the point
 * of having our own client. The decoder reports what it sees (including the
 * length form used) and leaves judging to the caller; the only thing it
 * refuses is a length it cannot represent (RFC 6455 5.2: the most
 * significant bit of a 64-bit length MUST be 0).
 */
#ifndef HS_FRAME_H
#define HS_FRAME_H

#include <stddef.h>
#include <stdint.h>

#define HS_FRAME_OK 0
#define HS_FRAME_NEED_MORE 1   /* decode: the buffer holds only part of a frame */
#define HS_FRAME_NOMEM -1      /* allocation failed */
#define HS_FRAME_TOO_BIG -2    /* decode: payload length above max_payload */
#define HS_FRAME_BAD -3        /* decode: 64-bit length with its top bit set;
                                  encode: a spec that cannot be written */

#define HS_OP_CONT 0x0
#define HS_OP_TEXT 0x1
#define HS_OP_BINARY 0x2
#define HS_OP_CLOSE 0x8
#define HS_OP_PING 0x9
#define HS_OP_PONG 0xA

/* Control frames carry at most this many payload bytes (RFC 6455 5.5). */
#define HS_CONTROL_MAX 125

/* What to put on the wire. */
typedef struct hs_frame_spec {
    int fin;
    int rsv;                     /* 0..7: RSV1 is 4, RSV2 is 2, RSV3 is 1 */
    int opcode;                  /* 0..15 */
    int masked;
    unsigned char key[4];        /* masking key, used when masked */
    int fixed_key;               /* hs_ws_send: keep key as given; 0 draws a
                                    random key, as RFC 6455 5.3 requires */
    const unsigned char *payload;
    size_t len;
    int64_t declared_len;        /* -1: the real length; else this length is
                                    written in the header, payload unchanged */
    int len_form;                /* 0: minimal; 16 or 64: force that extended
                                    length form (RFC 6455 5.2) */
} hs_frame_spec;

/* One frame as read from the wire. */
typedef struct hs_frame {
    int fin, rsv, opcode, masked;
    unsigned char key[4];
    uint64_t len;
    unsigned char *payload;      /* unmasked, one extra NUL byte after len */
    size_t header_len;
    int len_form;                /* 7, 16 or 64: the length form on the wire */
} hs_frame;

/*
 * Encode one frame into a malloc'd buffer. Returns HS_FRAME_OK, HS_FRAME_BAD
 * (rsv or opcode out of range, declared_len below -1, a length that does not
 * fit the forced form, len_form not 0/16/64) or HS_FRAME_NOMEM.
 */
int hs_frame_encode(const hs_frame_spec *s, unsigned char **out, size_t *outlen);

/*
 * Decode exactly one frame from the start of buf without reading past len.
 * HS_FRAME_OK fills f (free with hs_frame_free) and *consumed. The length is
 * checked against max_payload before the payload is awaited, so a huge
 * declared length is refused at once instead of waited for. On any other
 * result f holds no allocation and *consumed is 0.
 */
int hs_frame_decode(const unsigned char *buf, size_t len, uint64_t max_payload,
                    hs_frame *f, size_t *consumed);

void hs_frame_free(hs_frame *f);

/* "continuation", "text", "binary", "close", "ping", "pong", "reserved-N";
 * "invalid" outside 0..15. */
const char *hs_opcode_name(int opcode);

/*
 * Split a close frame's payload (RFC 6455 5.5.1). An empty payload gives
 * code 1005 ("no status received", 7.4.1) and an empty reason. A one-byte
 * payload is HS_FRAME_BAD. The reason points into p and is not validated.
 */
int hs_close_payload_parse(const unsigned char *p, size_t n, int *code,
                           const char **reason, size_t *reason_len);

/* May this code appear in a close frame on the wire (RFC 6455 7.4)? 1 or 0. */
int hs_close_code_valid(int code);

#endif

/*
 * hs_transcript: a timestamped record of what crossed the wire, as a jansson
 * array, shown in results.json and the HTML report.
 *
 * Each entry is an object:
 *   "t_ms"  milliseconds since the run's clock origin (hs_now_ms)
 *   "dir"   "sent", "recv" or "note"
 *   "what"  "handshake", "frame", "raw", "note" or "wire" (a wire fault
 *           set or acting, hs_wirefault.h)
 * frames add "opcode", "op", "fin", "rsv", "masked", "len", "hex" and "text"
 * (the first HS_TRANSCRIPT_PREVIEW payload bytes), "truncated" when the
 * payload is longer, and for close frames "close_code" and "close_reason"
 * (or "close_malformed" for a one-byte payload); sent frames whose header
 * lies add "declared_len", forced length forms add "len_form", chopped
 * writes add "chop". Handshakes carry the request or response head in
 * "text"; raw bytes carry "hex" (and "len", "truncated"); notes carry "text".
 *
 * Peer bytes are untrusted: every string stored here is valid UTF-8 (jansson
 * refuses anything else), with invalid sequences replaced by U+FFFD.
 * A transcript holds at most HS_TRANSCRIPT_MAX entries, then one note
 * "transcript truncated", so a flood stays bounded. Every function accepts a
 * NULL transcript and then does nothing.
 */
#ifndef HS_TRANSCRIPT_H
#define HS_TRANSCRIPT_H

#include <stddef.h>
#include <jansson.h>

#include "wire/hs_frame.h"

#define HS_TRANSCRIPT_MAX 2000
#define HS_TRANSCRIPT_PREVIEW 256
/* Wire-fault notes are kept past the cap, up to this many entries. */
#define HS_TRANSCRIPT_MAX_WIRE (HS_TRANSCRIPT_MAX + 100)


json_t *hs_transcript_new(void);

/* A decoded frame; dir is "sent" or "recv". */
void hs_transcript_frame(json_t *t, const char *dir, const hs_frame *f);

/* A frame we send, as specified (declared length, length form, chop). */
void hs_transcript_spec(json_t *t, const hs_frame_spec *s, size_t chop);

/* An HTTP request or response head. */
void hs_transcript_handshake(json_t *t, const char *dir,
                             const unsigned char *head, size_t n);

/* Bytes that are not (or not yet) frames. */
void hs_transcript_raw(json_t *t, const char *dir, const unsigned char *b,
                       size_t n);

/* A remark of ours, printf-style. */
void hs_transcript_note(json_t *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A wire fault set or acting (what "wire"), printf-style. */
void hs_transcript_wire(json_t *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));


#endif

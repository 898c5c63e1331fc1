/*
 * hs_transcript: the wire transcript (see hs_transcript.h).
 */
#include "wire/hs_transcript.h"
#include "util/hs_clock.h"
#include "util/hs_escape.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

json_t *hs_transcript_new(void)
{
    return json_array();
}

/* Store a sanitized copy of p[0..n) under key; nothing if memory runs out. */
static void set_text(json_t *e, const char *key, const unsigned char *p, size_t n)
{
    char *s = hs_escape_sanitize(p, n);

    if (s != NULL)
        json_object_set_new(e, key, json_string(s));
    free(s);
}

static void set_hex(json_t *e, const unsigned char *p, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    char *s = malloc(2 * n + 1);
    size_t i;

    if (s == NULL)
        return;
    for (i = 0; i < n; i++) {
        s[2 * i] = digits[p[i] >> 4];
        s[2 * i + 1] = digits[p[i] & 15];
    }
    s[2 * n] = '\0';
    json_object_set_new(e, "hex", json_string(s));
    free(s);
}

/*
 * Append a new entry and return it (borrowed), or NULL when there is no
 * transcript or it is full. The entry that would exceed the cap becomes the
 * one "transcript truncated" note instead.
 */
static json_t *entry_new(json_t *t, const char *dir, const char *what)
{
    size_t n;
    json_t *e;

    if (t == NULL)
        return NULL;
    n = json_array_size(t);
    /* Wire faults stay on the timeline past the cap: they explain the rest. */
    if (n > HS_TRANSCRIPT_MAX && !(strcmp(what, "wire") == 0 && n < HS_TRANSCRIPT_MAX_WIRE))
        return NULL;
    if (n == HS_TRANSCRIPT_MAX) {
        dir = "note";
        what = "note";
    }
    e = json_object();
    json_object_set_new(e, "t_ms", json_real(round(hs_now_ms() * 1000.0) / 1000.0));
    json_object_set_new(e, "dir", json_string(dir));
    json_object_set_new(e, "what", json_string(what));
    if (json_array_append_new(t, e) != 0)
        return NULL;
    if (n == HS_TRANSCRIPT_MAX) {
        json_object_set_new(e, "text", json_string("transcript truncated"));
        return NULL;
    }
    return e;
}

/* "hex" and "text" of the first HS_TRANSCRIPT_PREVIEW bytes. */
static void set_preview(json_t *e, const unsigned char *p, size_t n)
{
    size_t k = n < HS_TRANSCRIPT_PREVIEW ? n : HS_TRANSCRIPT_PREVIEW;

    set_hex(e, p, k);
    set_text(e, "text", p, k);
    if (n > k)
        json_object_set_new(e, "truncated", json_true());
}

static void set_close(json_t *e, const unsigned char *p, size_t n)
{
    const char *reason;
    size_t rlen;
    int code;

    if (hs_close_payload_parse(p, n, &code, &reason, &rlen) != HS_FRAME_OK) {
        json_object_set_new(e, "close_malformed", json_true());
        return;
    }
    json_object_set_new(e, "close_code", json_integer(code));
    set_text(e, "close_reason", (const unsigned char *)reason, rlen);
}

static void set_frame(json_t *e, const hs_frame *f)
{
    json_object_set_new(e, "opcode", json_integer(f->opcode));
    json_object_set_new(e, "op", json_string(hs_opcode_name(f->opcode)));
    json_object_set_new(e, "fin", json_boolean(f->fin));
    json_object_set_new(e, "rsv", json_integer(f->rsv));
    json_object_set_new(e, "masked", json_boolean(f->masked));
    json_object_set_new(e, "len", json_integer((json_int_t)f->len));
    set_preview(e, f->payload, (size_t)f->len);
    if (f->opcode == HS_OP_CLOSE)
        set_close(e, f->payload, (size_t)f->len);
}

void hs_transcript_frame(json_t *t, const char *dir, const hs_frame *f)
{
    json_t *e = entry_new(t, dir, "frame");

    if (e != NULL)
        set_frame(e, f);
}

/* A spec is shown as the frame it claims to be, plus how it lies. */
void hs_transcript_spec(json_t *t, const hs_frame_spec *s, size_t chop)
{
    json_t *e = entry_new(t, "sent", "frame");
    hs_frame v;

    if (e == NULL)
        return;
    memset(&v, 0, sizeof(v));
    v.fin = s->fin;
    v.rsv = s->rsv;
    v.opcode = s->opcode;
    v.masked = s->masked;
    v.len = s->len;
    v.payload = (unsigned char *)s->payload;
    set_frame(e, &v);
    if (s->declared_len >= 0)
        json_object_set_new(e, "declared_len", json_integer(s->declared_len));
    if (s->len_form != 0)
        json_object_set_new(e, "len_form", json_integer(s->len_form));
    if (chop > 0)
        json_object_set_new(e, "chop", json_integer((json_int_t)chop));
}

void hs_transcript_handshake(json_t *t, const char *dir,
                             const unsigned char *head, size_t n)
{
    json_t *e = entry_new(t, dir, "handshake");

    if (e != NULL)
        set_text(e, "text", head, n);
}

void hs_transcript_raw(json_t *t, const char *dir, const unsigned char *b,
                       size_t n)
{
    json_t *e = entry_new(t, dir, "raw");

    if (e == NULL)
        return;
    json_object_set_new(e, "len", json_integer((json_int_t)n));
    set_hex(e, b, n < HS_TRANSCRIPT_PREVIEW ? n : HS_TRANSCRIPT_PREVIEW);
    if (n > HS_TRANSCRIPT_PREVIEW)
        json_object_set_new(e, "truncated", json_true());
}

/* A note of kind what ("note" or "wire"), from a va_list. */
static void note_v(json_t *t, const char *what, const char *fmt, va_list ap)
{
    char buf[512];
    json_t *e;

    if (strcmp(what, "wire") == 0 && json_array_size(t) == HS_TRANSCRIPT_MAX)
        entry_new(t, "note", "note");   /* the "transcript truncated" note */
    e = entry_new(t, "note", what);
    if (e == NULL)
        return;
    vsnprintf(buf, sizeof(buf), fmt, ap);
    set_text(e, "text", (const unsigned char *)buf, strlen(buf));
}

void hs_transcript_wire(json_t *t, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    note_v(t, "wire", fmt, ap);
    va_end(ap);
}

void hs_transcript_note(json_t *t, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    note_v(t, "note", fmt, ap);
    va_end(ap);
}

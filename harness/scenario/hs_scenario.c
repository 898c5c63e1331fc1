/*
 * hs_scenario: load and validate scenario files. See hs_scenario.h.
 *
 * The format is written as hs_schema tables, one per kind of object, with
 * the field functions only this format needs (payloads, close codes,
 * outcomes, faults, HTTP-bound strings) and one small check function per
 * object for the rules that tie its keys together. hs_schema walks the
 * tables and words the messages.
 *
 * Files are untrusted input (the fuzzer feeds them): every string quoted in
 * a message is escaped, nothing recurses without a bound, sizes are capped.
 */
#include <limits.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/hs_buf.h"
#include "util/hs_hex.h"
#include "wire/hs_deflate.h"
#include "scenario/hs_match.h"
#include "scenario/hs_profile.h"
#include "scenario/hs_scenario.h"
#include "wire/hs_wirefault.h"
#include "scenario/hs_schema.h"

const char *const hs_seed_ids[] = {
    "raw-handler", "wrong-setter", "not-ready", "auth-before-accept",
    "session-provider", "handler-leak", "deps-500", "enum-log",
    "missing-mapping", NULL
};

static const char *const fault_names[] = {
#define WSF_FAULT(name, seed, desc) name,
#include "faults.def"
#undef WSF_FAULT
    NULL
};

static const char *const token_kinds[] = {
    "valid", "missing", "expired", "forged", "alg_none", "wrong_secret",
    "garbage", "oversized", "short_lived", NULL
};
static const char *const token_places[] = { "header", "query", NULL };

/* The request line's HTTP version: what a server must refuse, and what it takes. */
static const char *const http_versions[] = { "1.0", "1.1", NULL };

/* RFC 6455 5.2: the extended payload length forms a frame may be forced into. */
static const char *const len_forms[] = { "16", "64", NULL };

/* In hs_fault_mode order. */
static const char *const fault_modes[] = {
    "always", "once", "probability", "after", "nth", NULL
};

static const char *const payload_keys[] = {
    "json", "text", "text_hex", "binary_hex", "raw_hex", "frame", NULL
};

/* In hs_tier order. */
static const char *const tier_keys[] = {
    "ok", "informational", "non_strict", "unimplemented", "failed", NULL
};

/* In hs_outcome order. */
static const char *const outcome_keys[] = {
    "accepted", "refused", "dropped", "other", "agreed", "declined", "invalid",
    "restricted", "incomplete", "match", "mismatch", "closed", "too_big", "silent",
    "answered", NULL
};

/* The outcomes each judging step can observe (see hs_scenario.h). */
static const char *const connect_outcomes[] = {
    "accepted", "refused", "dropped", "other", "incomplete", "agreed", "declined",
    "invalid", "restricted", NULL
};
static const char *const message_outcomes[] = {
    "match", "mismatch", "closed", "too_big", "silent", NULL
};
static const char *const close_outcomes[] = {
    "closed", "dropped", "answered", "silent", NULL
};

static const char *const message_keys[] = {
    "text", "text_hex", "binary_hex", "pong_text", "pong_hex", NULL
};

/* Largest generated payload ("size"): the client's own message ceiling. */
#define SIZE_MAX_BYTES (64 * 1024 * 1024)

#define ID_MAX 128
#define TIMEOUT_MAX 600000

/* Scenario ids name files and report rows: [a-z0-9][a-z0-9._-]*. */
static int f_id(const hs_schema_ctx *c, const hs_where *w, json_t *v,
                void *dst, const hs_field *f)
{
    const char *s = NULL;
    size_t n;

    if (hs_schema_string(c, w, v, HS_STR_NONEMPTY, &s) != 0)
        return HS_SCN_ERR;
    n = strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789._-");
    if (s[n] != '\0' || s[0] == '.' || s[0] == '_' || s[0] == '-')
        return hs_schema_fail(c, w, "must start with a lower-case letter or "
                              "digit and hold only lower-case letters, digits, "
                              "'.', '_' and '-' (e.g. \"deps-500-bridge\")");
    if (n > ID_MAX)
        return hs_schema_fail(c, w, "is longer than %d characters", ID_MAX);
    return hs_schema_store_string(c, w, s, dst);
}

/* ---- HTTP-bound fields ------------------------------------------------ */

/* RFC 7230 section 3.2.6 token characters: method and header names. */
static int is_token(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (!strchr("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyz"
                    "ABCDEFGHIJKLMNOPQRSTUVWXYZ", *s))
            return 0;
    return 1;
}

static int f_method(const hs_schema_ctx *c, const hs_where *w, json_t *v,
                    void *dst, const hs_field *f)
{
    const char *s = NULL;

    if (hs_schema_string(c, w, v, HS_STR_NONEMPTY, &s) != 0)
        return HS_SCN_ERR;
    if (!is_token(s))
        return hs_schema_fail(c, w, "must be an HTTP method name such as GET "
                              "or POST (letters, digits and !#$%%&'*+-.^_`|~)");
    return hs_schema_store_string(c, w, s, dst);
}

/* The request target goes on the request line as written. */
static int f_path(const hs_schema_ctx *c, const hs_where *w, json_t *v,
                  void *dst, const hs_field *f)
{
    const char *s = NULL;

    if (hs_schema_string(c, w, v, 0, &s) != 0)
        return HS_SCN_ERR;
    if (s[0] != '/')
        return hs_schema_fail(c, w, "must start with '/' "
                              "(e.g. \"/ws\" or \"/health\")");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p <= 0x20 || *p >= 0x7f)
            return hs_schema_fail(c, w, "must be printable ASCII without "
                                  "spaces: it goes on the request line as "
                                  "written (percent-encode the rest)");
    return hs_schema_store_string(c, w, s, dst);
}

static int f_headers(const hs_schema_ctx *c, const hs_where *w, json_t *v,
                     void *dst, const hs_field *f)
{
    const char *name, *s;
    json_t *val;

    if (!json_is_object(v))
        return hs_schema_fail(c, w, "must be an object of header name: value, "
                              "not %s", hs_schema_found(v));
    json_object_foreach(v, name, val) {
        hs_where m = hs_where_member(w, name);

        if (!is_token(name))
            return hs_schema_fail_key(c, &m, &m, "is not a valid header name "
                                      "(RFC 7230 token characters only)");
        if (hs_schema_string(c, &m, val, HS_STR_LINE, &s) != 0)
            return HS_SCN_ERR;
    }
    json_decref(*(json_t **)dst);
    *(json_t **)dst = json_incref(v);
    return HS_SCN_OK;
}

/* ---- payload fields (dst is the step) --------------------------------- */

static int is_blank(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* s[i] starts a byte that did not decode: say which character is wrong. */
static int hex_error(const hs_schema_ctx *c, const hs_where *w, const char *s,
                     size_t i)
{
    char q[HS_SCHEMA_QUOTE_MAX], one[2] = { '\0', '\0' };

    if (hs_hex_digit((unsigned char)s[i]) >= 0 && s[i + 1] != '\0' &&
        !is_blank((unsigned char)s[i + 1]))
        i++;
    if (hs_hex_digit((unsigned char)s[i]) < 0) {
        one[0] = s[i];
        return hs_schema_fail(c, w, "character %zu, %s, is not a hex digit "
                              "(write bytes as pairs such as \"81 85 37 fa\")",
                              i + 1, hs_schema_quote(q, sizeof(q), one));
    }
    if (s[i + 1] == '\0')
        return hs_schema_fail(c, w, "odd number of hex digits: the last byte "
                              "lacks its second digit");
    return hs_schema_fail(c, w, "the byte at character %zu has one hex digit; "
                          "a byte is two (e.g. \"0a\"), spaces go only between "
                          "bytes", i + 1);
}

/* Decode pairs of hex digits; blanks may separate bytes, not split them. */
static int decode_hex(const hs_schema_ctx *c, const hs_where *w, const char *s,
                      size_t len, unsigned char **out, size_t *nout)
{
    unsigned char *buf = malloc(len / 2 + 1);
    size_t n = 0, i = 0;

    if (!buf)
        return hs_schema_fail(c, w, "out of memory");
    while (i < len) {
        int hi, lo;

        if (is_blank((unsigned char)s[i])) {
            i++;
            continue;
        }
        hi = hs_hex_digit((unsigned char)s[i]);
        lo = i + 1 < len ? hs_hex_digit((unsigned char)s[i + 1]) : -1;
        if (hi < 0 || lo < 0) {
            free(buf);
            return hex_error(c, w, s, i);
        }
        buf[n++] = (unsigned char)(hi * 16 + lo);
        i += 2;
    }
    *out = buf;
    *nout = n;
    return HS_SCN_OK;
}

static void set_bytes(hs_step *st, unsigned char *bytes, size_t n, int kind)
{
    free(st->bytes);
    st->bytes = bytes;
    st->nbytes = n;
    st->payload_kind = kind;
}

static int f_hex(const hs_schema_ctx *c, const hs_where *w, json_t *v,
                 void *dst, const hs_field *f)
{
    unsigned char *bytes = NULL;
    size_t n = 0;

    if (!json_is_string(v))
        return hs_schema_fail(c, w, "must be a string of hex digits, not %s",
                              hs_schema_found(v));
    if (decode_hex(c, w, json_string_value(v), json_string_length(v),
                   &bytes, &n) != 0)
        return HS_SCN_ERR;
    if (n == 0 && f->tag == HS_PAYLOAD_RAW) {
        free(bytes);
        return hs_schema_fail(c, w, "must hold at least one byte");
    }
    set_bytes(dst, bytes, n, f->tag);
    return HS_SCN_OK;
}

static int f_text(const hs_schema_ctx *c, const hs_where *w, json_t *v,
                  void *dst, const hs_field *f)
{
    const char *s = NULL;
    size_t n;
    unsigned char *bytes;

    if (hs_schema_string(c, w, v, 0, &s) != 0)
        return HS_SCN_ERR;
    n = json_string_length(v);
    bytes = malloc(n + 1);
    if (!bytes)
        return hs_schema_fail(c, w, "out of memory");
    memcpy(bytes, s, n + 1);
    set_bytes(dst, bytes, n, f->tag);
    return HS_SCN_OK;
}

static int f_json(const hs_schema_ctx *c, const hs_where *w, json_t *v,
                  void *dst, const hs_field *f)
{
    hs_step *st = dst;

    json_decref(st->json);
    st->json = json_incref(v);
    st->payload_kind = HS_PAYLOAD_JSON;
    return HS_SCN_OK;
}

/*
 * A matcher, checked by hs_match. When it is refused, each entry is checked
 * alone to point at the one at fault. The message is escaped: it quotes keys.
 */
static int f_match(const hs_schema_ctx *c, const hs_where *w, json_t *v,
                   void *dst, const hs_field *f)
{
    char msg[256], safe[300];
    const char *key;
    json_t *val;

    if (!json_is_object(v))
        return hs_schema_fail(c, w, "must be a matcher object of path: value, "
                              "not %s", hs_schema_found(v));
    if (hs_match_validate(v, msg, sizeof(msg)) != 0) {
        json_object_foreach(v, key, val) {
            json_t *one = json_pack("{sO}", key, val);
            int bad = one && hs_match_validate(one, msg, sizeof(msg)) != 0;
            hs_where m = hs_where_member(w, key);

            json_decref(one);
            if (bad) {
                hs_schema_escape(safe, sizeof(safe), msg);
                return hs_schema_fail(c, &m, "bad matcher: %s", safe);
            }
        }
        hs_match_validate(v, msg, sizeof(msg));
        return hs_schema_fail(c, w, "bad matcher: %s",
                              hs_schema_escape(safe, sizeof(safe), msg));
    }
    json_decref(*(json_t **)dst);
    *(json_t **)dst = json_incref(v);
    return HS_SCN_OK;
}

/* ---- close codes ------------------------------------------------------ */

/* RFC 6455 section 7.4.1: these never travel in a close frame. */
static int never_sent(long long code)
{
    return code == 1005 || code == 1006 || code == 1015;
}

/* The close codes a profile names, by the name a scenario uses; 0: none. */
static int named_close(const char *name)
{
    static const struct { const char *name; int code; } named[] = {
        { "shutdown", HS_CLOSE_SHUTDOWN }, { "keepalive", HS_CLOSE_KEEPALIVE },
        { "slow_consumer", HS_CLOSE_SLOW_CONSUMER },
    };

    for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++)
        if (strcmp(named[i].name, name) == 0)
            return named[i].code;
    return 0;
}

static int f_expect_close_code(const hs_schema_ctx *c, const hs_where *w,
                               json_t *v, void *dst, const hs_field *f)
{
    long long code;

    if (json_is_string(v) && strcmp(json_string_value(v), "any") == 0) {
        *(int *)dst = 0;
        return HS_SCN_OK;
    }
    if (json_is_string(v) && strcmp(json_string_value(v), "abnormal") == 0) {
        *(int *)dst = -1;
        return HS_SCN_OK;
    }
    if (json_is_string(v) && named_close(json_string_value(v)) != 0) {
        *(int *)dst = named_close(json_string_value(v));
        return HS_SCN_OK;
    }
    if (!json_is_integer(v))
        return hs_schema_fail(c, w, "must be a close code from 1000 to 4999, "
                              "\"any\", \"abnormal\", \"shutdown\", \"keepalive\" "
                              "or \"slow_consumer\"");
    if (hs_schema_int(c, w, v, 1000, 4999, &code) != 0)
        return HS_SCN_ERR;
    if (code == 1006 || code == 1015)
        return hs_schema_fail(c, w, "%lld never travels in a close frame (RFC "
                              "6455 section 7.4.1); write \"abnormal\" to "
                              "expect a connection that ends without one",
                              code);
    *(int *)dst = (int)code;
    return HS_SCN_OK;
}

static int f_send_close_code(const hs_schema_ctx *c, const hs_where *w,
                             json_t *v, void *dst, const hs_field *f)
{
    long long code;

    if (hs_schema_int(c, w, v, 1000, 4999, &code) != 0)
        return HS_SCN_ERR;
    if (never_sent(code) || code == 1004)
        return hs_schema_fail(c, w, "%lld is reserved and must not be sent "
                              "(RFC 6455 section 7.4.1); to see how a peer "
                              "takes it, send the frame spelled out: "
                              "{\"step\": \"send\", \"frame\": {\"opcode\": 8, "
                              "\"payload_hex\": \"...\"}}", code);
    *(int *)dst = (int)code;
    return HS_SCN_OK;
}

/* A list of close codes a judging step accepts; 1005 stands for a close
 * frame without a code. */
static int f_codes(const hs_schema_ctx *c, const hs_where *w, json_t *v,
                   void *dst, const hs_field *f)
{
    hs_step *st = dst;
    size_t n = json_array_size(v);
    long long code;

    if (!json_is_array(v) || n == 0)
        return hs_schema_fail(c, w, "must be a non-empty array of close "
                              "codes, e.g. [1002]");
    free(st->codes);
    st->codes = calloc(n, sizeof(int));
    if (!st->codes)
        return hs_schema_fail(c, w, "out of memory");
    st->ncodes = n;
    for (size_t i = 0; i < n; i++) {
        hs_where e = hs_where_element(w, i);

        if (hs_schema_int(c, &e, json_array_get(v, i), 1000, 4999, &code) != 0)
            return HS_SCN_ERR;
        if (code == 1006 || code == 1015)
            return hs_schema_fail(c, &e, "%lld never travels in a close frame "
                                  "(RFC 6455 section 7.4.1); a connection that "
                                  "ends without one is the outcome \"dropped\"",
                                  code);
        st->codes[i] = (int)code;
    }
    return HS_SCN_OK;
}

/*
 * "outcomes": what each observation of a judging step means. f->names
 * lists the outcomes this kind of step can observe.
 */
static int f_outcomes(const hs_schema_ctx *c, const hs_where *w, json_t *v,
                      void *dst, const hs_field *f)
{
    signed char *out = dst;
    const char *key;
    json_t *tier;
    char q[HS_SCHEMA_QUOTE_MAX], hint[700];
    int o, t;

    if (!json_is_object(v))
        return hs_schema_fail(c, w, "must be an object of outcome: verdict, "
                              "e.g. {\"closed\": \"ok\", \"answered\": "
                              "\"non_strict\"}");
    json_object_foreach(v, key, tier) {
        hs_where m = hs_where_member(w, key);

        for (o = 0; f->names[o] && strcmp(f->names[o], key) != 0; o++)
            ;
        if (!f->names[o]) {
            hs_schema_advice(hint, sizeof(hint), f->names, key);
            return hs_schema_fail_key(c, &m, &m,
                                      "unknown outcome %s for this step; %s",
                                      hs_schema_quote(q, sizeof(q), key), hint);
        }
        if (hs_schema_enum(c, &m, tier, tier_keys, &t) != 0)
            return HS_SCN_ERR;
        for (o = 0; strcmp(outcome_keys[o], key) != 0; o++)
            ;
        out[o] = (signed char)t;
    }
    return HS_SCN_OK;
}

/* client_max_window_bits in an offer: a size, or true for "no value". */
static int f_client_bits(const hs_schema_ctx *c, const hs_where *w, json_t *v,
                         void *dst, const hs_field *f)
{
    if (json_is_true(v)) {
        *(int *)dst = HS_PMD_BITS_NOVALUE;
        return HS_SCN_OK;
    }
    if (!json_is_integer(v))
        return hs_schema_fail(c, w, "must be a window size from 8 to 15, or "
                              "true to offer the parameter without a value "
                              "(RFC 7692 7.1.2.2)");
    return hs_field_int(c, w, v, dst, f);
}

#define PMD(m) offsetof(hs_pmd_params, m)

static const hs_field deflate_fields[] = {
    { .key = "server_no_context_takeover", .parse = hs_field_bool,
      .off = PMD(server_no_context_takeover) },
    { .key = "client_no_context_takeover", .parse = hs_field_bool,
      .off = PMD(client_no_context_takeover) },
    { .key = "server_max_window_bits", .parse = hs_field_int,
      .off = PMD(server_max_window_bits),
      .lo = HS_PMD_MIN_BITS, .hi = HS_PMD_MAX_BITS },
    { .key = "client_max_window_bits", .parse = f_client_bits,
      .off = PMD(client_max_window_bits),
      .lo = HS_PMD_MIN_BITS, .hi = HS_PMD_MAX_BITS },
    { .key = NULL }
};

static const hs_field deflate_step_fields[] = {
    { .key = "needs_client_context", .parse = hs_field_bool,
      .off = offsetof(hs_step, needs_client_context) },
    { .key = NULL }
};

/* A permessage-deflate offer (RFC 7692 7.1), kept as the header it makes. */
static int f_deflate(const hs_schema_ctx *c, const hs_where *w, json_t *v,
                     void *dst, const hs_field *f)
{
    hs_step *st = dst;
    hs_pmd_params p;
    hs_table tabs[] = { { deflate_fields, &p }, { deflate_step_fields, st } };
    char offer[HS_PMD_OFFER_MAX];

    memset(&p, 0, sizeof(p));
    if (hs_schema_object(c, w, v, tabs, 2,
                         " in a permessage-deflate offer") != 0)
        return HS_SCN_ERR;
    if (hs_pmd_offer(&p, offer, sizeof(offer)) != HS_PMD_OK)
        return hs_schema_fail(c, w, "cannot be written as an offer");
    return hs_schema_store_string(c, w, offer, &st->extensions);
}

/* ---- faults ----------------------------------------------------------- */

static int f_fault_name(const hs_schema_ctx *c, const hs_where *w, json_t *v,
                        void *dst, const hs_field *f)
{
    char q[HS_SCHEMA_QUOTE_MAX];
    const char *s = NULL, *near;

    if (hs_schema_string(c, w, v, HS_STR_NONEMPTY, &s) != 0)
        return HS_SCN_ERR;
    for (size_t i = 0; fault_names[i]; i++)
        if (strcmp(fault_names[i], s) == 0)
            return hs_schema_store_string(c, w, s, dst);
    near = hs_schema_closest(fault_names, s);
    if (near)
        return hs_schema_fail(c, w, "unknown fault point %s; "
                              "did you mean \"%s\"?",
                              hs_schema_quote(q, sizeof(q), s), near);
    return hs_schema_fail(c, w, "unknown fault point %s; the catalogue is "
                          "harness/common/faults.def (build/gateway "
                          "--list-faults)", hs_schema_quote(q, sizeof(q), s));
}

/* Points of libfiu's POSIX preload, not of the gateway's catalogue. */
static int is_posix_name(const char *s)
{
    return (strncmp(s, "posix/", 6) == 0 && s[6] != '\0') ||
           (strncmp(s, "libc/", 5) == 0 && s[5] != '\0');
}

static int f_posix_name(const hs_schema_ctx *c, const hs_where *w, json_t *v,
                        void *dst, const hs_field *f)
{
    const char *s = NULL;

    if (hs_schema_string(c, w, v, 0, &s) != 0)
        return HS_SCN_ERR;
    if (!is_posix_name(s))
        return hs_schema_fail(c, w, "must name a libfiu preload point, "
                              "starting with \"posix/\" or \"libc/\" (e.g. "
                              "\"posix/io/net/send\")");
    return hs_schema_store_string(c, w, s, dst);
}

/*
 * A fault step names a catalogued point, or a POSIX one to switch off at
 * run time (check_posix_steps makes sure the scenario enables it).
 */
static int f_step_fault_name(const hs_schema_ctx *c, const hs_where *w,
                             json_t *v, void *dst, const hs_field *f)
{
    if (json_is_string(v) && is_posix_name(json_string_value(v)))
        return f_posix_name(c, w, v, dst, f);
    return f_fault_name(c, w, v, dst, f);
}

static const hs_field fault_name_field[] = {
    { .key = "name", .parse = f_fault_name, .off = offsetof(hs_fault, name) },
    { .key = NULL }
};

/* How a fault fires: shared by "faults" entries and fault steps. */
static const hs_field fault_core[] = {
    { .key = "mode", .parse = hs_field_enum, .off = offsetof(hs_fault, mode),
      .names = fault_modes },
    { .key = "probability", .parse = hs_field_prob,
      .off = offsetof(hs_fault, probability) },
    { .key = "n", .parse = hs_field_long, .off = offsetof(hs_fault, n),
      .lo = 1, .hi = INT_MAX },
    { .key = NULL }
};

static const hs_field fault_extra[] = {
    { .key = "expect_fire", .parse = hs_field_bool,
      .off = offsetof(hs_fault, expect_fire) },
    { .key = NULL }
};

static const hs_field posix_fields[] = {
    { .key = "name", .parse = f_posix_name,
      .off = offsetof(hs_posix_fault, name) },
    { .key = "probability", .parse = hs_field_prob,
      .off = offsetof(hs_posix_fault, probability) },
    { .key = "errno", .parse = hs_field_int,
      .off = offsetof(hs_posix_fault, err), .lo = 1, .hi = 4095 },
    { .key = NULL }
};

/* probability goes with mode probability, n with after and nth. */
static int check_fault_mode(const hs_schema_ctx *c, const hs_where *w,
                            json_t *obj, const hs_fault *ft)
{
    int wants_n = ft->mode == HS_FAULT_AFTER || ft->mode == HS_FAULT_NTH;

    if (hs_schema_present_iff(c, w, obj, "probability",
                              ft->mode == HS_FAULT_PROBABILITY,
                              "with \"mode\": \"probability\"") != 0)
        return HS_SCN_ERR;
    return hs_schema_present_iff(c, w, obj, "n", wants_n,
                                 "with \"mode\": \"after\" or \"nth\"");
}

static void fault_defaults(hs_fault *ft)
{
    ft->mode = HS_FAULT_ALWAYS;
    ft->expect_fire = 1;
}

/*
 * One "faults" entry. Names are catalogued and may appear once, so the list
 * can never grow past the catalogue and the duplicate scan stays short.
 */
static int parse_fault(const hs_schema_ctx *c, const hs_where *w, json_t *obj,
                       hs_fault *all, size_t i)
{
    hs_fault *ft = &all[i];
    hs_table tabs[] = { { fault_name_field, ft }, { fault_core, ft },
                        { fault_extra, ft } };
    hs_where m = hs_where_member(w, "name");

    fault_defaults(ft);
    ft->line = hs_schema_line(c, w);
    if (hs_schema_object(c, w, obj, tabs, 3, " in a fault") != 0 ||
        hs_schema_require(c, w, obj, "name") != 0 ||
        check_fault_mode(c, w, obj, ft) != 0)
        return HS_SCN_ERR;
    for (size_t j = 0; j < i; j++)
        if (strcmp(all[j].name, ft->name) == 0)
            return hs_schema_fail(c, &m, "fault \"%s\" is already listed as "
                                  "faults[%zu]", ft->name, j);
    return HS_SCN_OK;
}

static int f_faults(const hs_schema_ctx *c, const hs_where *w, json_t *v,
                    void *dst, const hs_field *f)
{
    hs_scenario *s = dst;
    size_t n;

    if (hs_schema_array(c, w, v, "fault objects") != 0)
        return HS_SCN_ERR;
    n = json_array_size(v);
    s->faults = calloc(n ? n : 1, sizeof(*s->faults));
    if (!s->faults)
        return hs_schema_fail(c, w, "out of memory");
    s->nfaults = n;
    for (size_t i = 0; i < n; i++) {
        hs_where e = hs_where_element(w, i);

        if (parse_fault(c, &e, json_array_get(v, i), s->faults, i) != 0)
            return HS_SCN_ERR;
    }
    return HS_SCN_OK;
}

static int parse_posix_fault(const hs_schema_ctx *c, const hs_where *w,
                             json_t *obj, hs_posix_fault *pf)
{
    hs_table tabs[] = { { posix_fields, pf } };

    pf->line = hs_schema_line(c, w);
    if (hs_schema_object(c, w, obj, tabs, 1, " in a POSIX fault") != 0 ||
        hs_schema_require(c, w, obj, "name") != 0 ||
        hs_schema_require(c, w, obj, "probability") != 0)
        return HS_SCN_ERR;
    return hs_schema_require(c, w, obj, "errno");
}

static int f_posix_faults(const hs_schema_ctx *c, const hs_where *w, json_t *v,
                          void *dst, const hs_field *f)
{
    hs_scenario *s = dst;
    size_t n;

    if (hs_schema_array(c, w, v, "POSIX fault objects") != 0)
        return HS_SCN_ERR;
    n = json_array_size(v);
    s->posix_faults = calloc(n ? n : 1, sizeof(*s->posix_faults));
    if (!s->posix_faults)
        return hs_schema_fail(c, w, "out of memory");
    s->nposix = n;
    for (size_t i = 0; i < n; i++) {
        hs_where e = hs_where_element(w, i);

        if (parse_posix_fault(c, &e, json_array_get(v, i),
                              &s->posix_faults[i]) != 0)
            return HS_SCN_ERR;
    }
    return HS_SCN_OK;
}

/* ---- the target ------------------------------------------------------- */

#define TGT(m) offsetof(hs_target_opts, m)

const char *const hs_setting_names[] = {
    "startup_delay_ms", "ready_queue", "max_message", "handshake_timeout_s",
    "ping_interval_s", "ping_timeout_s", "max_queue", "max_connections", NULL
};

#define SET(k) TGT(settings[k])

static const hs_field target_fields[] = {
    { .key = "echo", .parse = hs_field_bool, .off = TGT(echo) },
    { .key = "startup_delay_ms", .parse = hs_field_long,
      .off = SET(HS_SET_STARTUP_DELAY_MS), .lo = 0, .hi = INT_MAX },
    { .key = "max_message", .parse = hs_field_long, .off = SET(HS_SET_MAX_MESSAGE),
      .lo = 1, .hi = LONG_MAX },
    { .key = "ready_queue", .parse = hs_field_long, .off = SET(HS_SET_READY_QUEUE),
      .lo = 0, .hi = INT_MAX },
    { .key = "handshake_timeout_s", .parse = hs_field_long,
      .off = SET(HS_SET_HANDSHAKE_TIMEOUT_S), .lo = 1, .hi = 3600 },
    /* ping_interval_s 0: the target's pings off */
    { .key = "ping_interval_s", .parse = hs_field_long, .off = SET(HS_SET_PING_INTERVAL_S),
      .lo = 0, .hi = 3600 },
    { .key = "ping_timeout_s", .parse = hs_field_long, .off = SET(HS_SET_PING_TIMEOUT_S),
      .lo = 1, .hi = 3600 },
    { .key = "max_queue", .parse = hs_field_long, .off = SET(HS_SET_MAX_QUEUE),
      .lo = 1024, .hi = 1L << 30 },
    { .key = "max_connections", .parse = hs_field_long, .off = SET(HS_SET_MAX_CONNECTIONS),
      .lo = 1, .hi = 100000 },
    { .key = "jwt_secret", .parse = hs_field_string, .off = TGT(jwt_secret),
      .tag = HS_STR_NONEMPTY | HS_STR_LINE },
    { .key = "wait_ready", .parse = hs_field_bool, .off = TGT(wait_ready) },
    { .key = "args", .parse = hs_field_strlist, .off = TGT(args) },
    { .key = NULL }
};

static int f_target(const hs_schema_ctx *c, const hs_where *w, json_t *v,
                    void *dst, const hs_field *f)
{
    hs_table tabs[] = { { target_fields, dst } };

    return hs_schema_object(c, w, v, tabs, 1, " in \"target\"");
}

/* ---- steps ------------------------------------------------------------ */

#define STEP(m) offsetof(hs_step, m)

static const hs_field common_fields[] = {
    { .key = "step", .parse = NULL },
    { .key = "conn", .parse = hs_field_string, .off = STEP(conn),
      .tag = HS_STR_NONEMPTY },
    { .key = "timeout_ms", .parse = hs_field_int, .off = STEP(timeout_ms),
      .lo = 1, .hi = TIMEOUT_MAX },
    { .key = "only", .parse = hs_field_string, .off = STEP(only), .tag = HS_STR_NONEMPTY },
    { .key = NULL }
};

/* ---- wire faults (hs_wirefault.h) ---- */

/* Opcodes a fault may drop or delay, by their RFC 6455 11.8 names. */
static const char *const wire_opcodes[] = {
    "continuation", "text", "binary", "close", "ping", "pong", NULL
};

#define WDIR(m) offsetof(hs_wire_dir, m)

static const hs_field wire_dir_fields[] = {
    { .key = "latency_ms", .parse = hs_field_int, .off = WDIR(latency_ms), .lo = 0,
      .hi = 600000 },
    { .key = "jitter_ms", .parse = hs_field_int, .off = WDIR(jitter_ms), .lo = 0,
      .hi = 600000 },
    { .key = "bytes_per_s", .parse = hs_field_long, .off = WDIR(rate), .lo = 1,
      .hi = 1L << 30 },
    { .key = "slice", .parse = hs_field_size, .off = WDIR(slice), .lo = 1, .hi = 1 << 20 },
    { .key = "slice_delay_ms", .parse = hs_field_int, .off = WDIR(slice_delay_ms), .lo = 0,
      .hi = 60000 },
    { .key = NULL }
};

static int f_wire_dir(const hs_schema_ctx *c, const hs_where *w, json_t *v, void *dst,
                      const hs_field *f)
{
    hs_table tab = { wire_dir_fields, dst };

    return hs_schema_object(c, w, v, &tab, 1, " in a wire direction");
}

/* One opcode name of "drop" or "delay": its opcode. */
static int wire_opcode(const hs_schema_ctx *c, const hs_where *w, json_t *name, int *op)
{
    int k;

    if (hs_schema_enum(c, w, name, wire_opcodes, &k) != 0)
        return HS_SCN_ERR;
    *op = hs_wire_opcode(wire_opcodes[k]);
    return HS_SCN_OK;
}

static int f_wire_drop(const hs_schema_ctx *c, const hs_where *w, json_t *v, void *dst,
                       const hs_field *f)
{
    int op;

    if (!json_is_array(v))
        return hs_schema_fail(c, w, "must be an array of opcode names, e.g. [\"pong\"]");
    for (size_t i = 0; i < json_array_size(v); i++) {
        hs_where e = hs_where_element(w, i);

        if (wire_opcode(c, &e, json_array_get(v, i), &op) != 0)
            return HS_SCN_ERR;
        *(unsigned *)dst |= 1u << op;
    }
    return HS_SCN_OK;
}

static int f_wire_delay(const hs_schema_ctx *c, const hs_where *w, json_t *v, void *dst,
                        const hs_field *f)
{
    const char *name;
    json_t *ms;
    long long n;
    int op;

    if (!json_is_object(v))
        return hs_schema_fail(c, w, "must be an object of opcode name to milliseconds, "
                              "e.g. {\"close\": 2000}");
    json_object_foreach(v, name, ms) {
        hs_where e = hs_where_member(w, name);
        json_t *key = json_string(name);
        int rc = wire_opcode(c, &e, key, &op);

        json_decref(key);
        if (rc != 0 || hs_schema_int(c, &e, ms, 0, 600000, &n) != 0)
            return HS_SCN_ERR;
        ((int *)dst)[op] = (int)n;
    }
    return HS_SCN_OK;
}

#define WIRE(m) STEP(wire.m)

static const hs_field wire_fields[] = {
    { .key = "send", .parse = f_wire_dir, .off = WIRE(send) },
    { .key = "recv", .parse = f_wire_dir, .off = WIRE(recv) },
    { .key = "stop_reading", .parse = hs_field_bool, .off = WIRE(stop_reading) },
    { .key = "blackhole", .parse = hs_field_bool, .off = WIRE(blackhole) },
    { .key = "drop", .parse = f_wire_drop, .off = WIRE(drop) },
    { .key = "delay", .parse = f_wire_delay, .off = WIRE(delay_ms) },
    { .key = "split_header", .parse = hs_field_bool, .off = WIRE(split_header) },
    { .key = NULL }
};

/* connect's "wire": the same keys as a wire step, from the first byte. */
static int f_connect_wire(const hs_schema_ctx *c, const hs_where *w, json_t *v, void *dst,
                          const hs_field *f)
{
    hs_step *st = dst;
    hs_table tab = { wire_fields, st };

    st->has_wire = 1;
    return hs_schema_object(c, w, v, &tab, 1, " in \"wire\"");
}

static const char *const drop_hows[] = { "fin", "reset", "half_close", NULL };
static const char *const close_thens[] = { "wait", "reset", NULL };

static const hs_field disconnect_fields[] = {
    { .key = "how", .parse = hs_field_enum, .off = STEP(how), .names = drop_hows },
    { .key = NULL }
};

static const hs_field memory_fields[] = {
    { .key = "mark", .parse = hs_field_bool, .off = STEP(mark) },
    { .key = "max_growth_kib", .parse = hs_field_long, .off = STEP(max_growth_kib),
      .lo = 1, .hi = 1L << 30 },
    { .key = NULL }
};

static const hs_field storm_fields[] = {
    { .key = "clients", .parse = hs_field_int, .off = STEP(clients), .lo = 1, .hi = 2000 },
    { .key = "spread_ms", .parse = hs_field_int, .off = STEP(spread_ms), .lo = 0,
      .hi = 60000 },
    { .key = "recover_ms", .parse = hs_field_int, .off = STEP(recover_ms), .lo = 1,
      .hi = 600000 },
    { .key = NULL }
};

static const hs_field connect_fields[] = {
    { .key = "user", .parse = hs_field_string, .off = STEP(user),
      .tag = HS_STR_NONEMPTY },
    { .key = "token", .parse = hs_field_enum_str, .off = STEP(token),
      .names = token_kinds },
    { .key = "token_raw", .parse = hs_field_string, .off = STEP(token_raw),
      .tag = HS_STR_LINE },
    { .key = "token_of", .parse = hs_field_string, .off = STEP(token_of),
      .tag = HS_STR_NONEMPTY | HS_STR_LINE },
    { .key = "token_in", .parse = hs_field_enum_str, .off = STEP(token_in),
      .names = token_places },
    { .key = "path", .parse = f_path, .off = STEP(path) },
    { .key = "expect_status", .parse = hs_field_int, .off = STEP(expect_status),
      .lo = 100, .hi = 599 },
    { .key = "headers", .parse = f_headers, .off = STEP(headers) },
    { .key = "ws_key", .parse = hs_field_string, .off = STEP(ws_key),
      .tag = HS_STR_LINE },
    { .key = "ws_version", .parse = hs_field_string, .off = STEP(ws_version),
      .tag = HS_STR_LINE },
    { .key = "subprotocol", .parse = hs_field_string, .off = STEP(subprotocol),
      .tag = HS_STR_LINE },
    { .key = "omit_upgrade", .parse = hs_field_bool,
      .off = STEP(omit_upgrade) },
    { .key = "omit_connection", .parse = hs_field_bool,
      .off = STEP(omit_connection) },
    { .key = "omit_host", .parse = hs_field_bool, .off = STEP(omit_host) },
    { .key = "method", .parse = f_method, .off = STEP(method) },
    { .key = "http_version", .parse = hs_field_enum_str, .off = STEP(http_version),
      .names = http_versions },
    { .key = "absolute_uri", .parse = hs_field_bool, .off = STEP(absolute_uri) },
    { .key = "chop", .parse = hs_field_size, .off = STEP(chop), .lo = 1, .hi = INT_MAX },
    { .key = "handshake", .parse = hs_field_bool, .off = STEP(handshake) },
    { .key = "extensions", .parse = hs_field_string, .off = STEP(extensions),
      .tag = HS_STR_LINE | HS_STR_NONEMPTY },
    { .key = "deflate", .parse = f_deflate, .off = 0 },
    { .key = "wire", .parse = f_connect_wire, .off = 0 },
    { .key = "expect_headers", .parse = f_headers, .off = STEP(expect_headers) },
    { .key = "outcomes", .parse = f_outcomes, .off = STEP(outcomes),
      .names = connect_outcomes },
    { .key = NULL }
};

static const hs_field frame_fields[] = {
    { .key = "opcode", .parse = hs_field_int, .off = STEP(frame.opcode),
      .lo = 0, .hi = 15 },
    { .key = "fin", .parse = hs_field_bool, .off = STEP(frame.fin) },
    { .key = "rsv", .parse = hs_field_int, .off = STEP(frame.rsv), .lo = 0,
      .hi = 7 },
    { .key = "masked", .parse = hs_field_bool, .off = STEP(frame.masked) },
    { .key = "payload_hex", .parse = f_hex, .off = 0, .tag = HS_PAYLOAD_FRAME },
    { .key = "payload_text", .parse = f_text, .off = 0, .tag = HS_PAYLOAD_FRAME },
    { .key = "declared_len", .parse = hs_field_i64,
      .off = STEP(frame.declared_len), .lo = 0, .hi = LLONG_MAX },
    { .key = "len_form", .parse = hs_field_enum_int,
      .off = STEP(frame.len_form), .names = len_forms },
    { .key = NULL }
};

/*
 * A frame spelled out field by field (RFC 6455 section 5.2), for sending
 * what a well-behaved client never would. dst is the step.
 */
static int f_frame(const hs_schema_ctx *c, const hs_where *w, json_t *v,
                   void *dst, const hs_field *f)
{
    static const char *const payloads[] = { "payload_hex", "payload_text", NULL };
    hs_step *st = dst;
    hs_table tabs[] = { { frame_fields, st } };
    const char *second = NULL;

    if (hs_schema_object(c, w, v, tabs, 1, " in a frame") != 0 ||
        hs_schema_require(c, w, v, "opcode") != 0)
        return HS_SCN_ERR;
    if (hs_schema_count_keys(v, payloads, &second) > 1) {
        hs_where m = hs_where_member(w, second);
        return hs_schema_fail_key(c, &m, &m, "give \"payload_hex\" or "
                                  "\"payload_text\", not both");
    }
    if (!st->bytes) {
        st->bytes = calloc(1, 1);
        if (!st->bytes)
            return hs_schema_fail(c, w, "out of memory");
    }
    st->payload_kind = HS_PAYLOAD_FRAME;
    return HS_SCN_OK;
}

static const hs_field send_fields[] = {
    { .key = "json", .parse = f_json, .off = 0 },
    { .key = "text", .parse = f_text, .off = 0, .tag = HS_PAYLOAD_TEXT },
    { .key = "text_hex", .parse = f_hex, .off = 0, .tag = HS_PAYLOAD_TEXT },
    { .key = "binary_hex", .parse = f_hex, .off = 0, .tag = HS_PAYLOAD_BINARY },
    { .key = "raw_hex", .parse = f_hex, .off = 0, .tag = HS_PAYLOAD_RAW },
    { .key = "frame", .parse = f_frame, .off = 0 },
    { .key = "chop", .parse = hs_field_size, .off = STEP(chop), .lo = 1,
      .hi = INT_MAX },
    { .key = "repeat", .parse = hs_field_int, .off = STEP(repeat), .lo = 1,
      .hi = 100000 },
    { .key = "size", .parse = hs_field_size, .off = STEP(size), .lo = 1,
      .hi = SIZE_MAX_BYTES },
    { .key = "fragment", .parse = hs_field_size, .off = STEP(fragment), .lo = 1,
      .hi = SIZE_MAX_BYTES },
    { .key = "compress", .parse = hs_field_bool, .off = STEP(compress) },
    { .key = NULL }
};

static const hs_field expect_message_fields[] = {
    { .key = "text", .parse = f_text, .off = 0, .tag = HS_PAYLOAD_TEXT },
    { .key = "text_hex", .parse = f_hex, .off = 0, .tag = HS_PAYLOAD_TEXT },
    { .key = "binary_hex", .parse = f_hex, .off = 0, .tag = HS_PAYLOAD_BINARY },
    { .key = "pong_text", .parse = f_text, .off = 0, .tag = HS_PAYLOAD_PONG },
    { .key = "pong_hex", .parse = f_hex, .off = 0, .tag = HS_PAYLOAD_PONG },
    { .key = "size", .parse = hs_field_size, .off = STEP(size), .lo = 1,
      .hi = SIZE_MAX_BYTES },
    { .key = "outcomes", .parse = f_outcomes, .off = STEP(outcomes),
      .names = message_outcomes },
    { .key = NULL }
};

static const hs_field expect_fields[] = {
    { .key = "match", .parse = f_match, .off = STEP(match) },
    { .key = NULL }
};

static const hs_field expect_events_fields[] = {
    { .key = "request_id", .parse = hs_field_string, .off = STEP(request_id),
      .tag = HS_STR_NONEMPTY },
    { .key = "degraded", .parse = hs_field_bool, .off = STEP(degraded) },
    { .key = NULL }
};

static const hs_field expect_close_fields[] = {
    { .key = "code", .parse = f_expect_close_code, .off = STEP(close_code) },
    { .key = "codes", .parse = f_codes, .off = 0 },
    { .key = "probe_ms", .parse = hs_field_int, .off = STEP(probe_ms), .lo = 1,
      .hi = 60000 },
    { .key = "outcomes", .parse = f_outcomes, .off = STEP(outcomes),
      .names = close_outcomes },
    { .key = NULL }
};

static const hs_field close_fields[] = {
    { .key = "code", .parse = f_send_close_code, .off = STEP(send_code) },
    { .key = "then", .parse = hs_field_enum, .off = STEP(then_reset), .names = close_thens },
    { .key = "reason", .parse = hs_field_string, .off = STEP(reason) },
    { .key = "codes", .parse = f_codes, .off = 0 },
    { .key = "outcomes", .parse = f_outcomes, .off = STEP(outcomes),
      .names = close_outcomes },
    { .key = NULL }
};

static const hs_field no_fields[] = {
    { .key = NULL }
};

static const hs_field http_fields[] = {
    { .key = "method", .parse = f_method, .off = STEP(method) },
    { .key = "path", .parse = f_path, .off = STEP(path) },
    { .key = "headers", .parse = f_headers, .off = STEP(headers) },
    { .key = "body", .parse = hs_field_string, .off = STEP(body) },
    { .key = "expect_status", .parse = hs_field_int, .off = STEP(expect_status),
      .lo = 100, .hi = 599 },
    { .key = "match", .parse = f_match, .off = STEP(match) },
    { .key = NULL }
};

/* ---- steps in the target's dialect (hs_profile) ---- */

static const hs_field request_fields[] = {
    { .key = "kind", .parse = hs_field_enum, .off = STEP(req_kind),
      .names = hs_profile_req_names },
    { .key = "type", .parse = hs_field_string, .off = STEP(req_type), .tag = HS_STR_NONEMPTY },
    { .key = "id", .parse = hs_field_string, .off = STEP(request_id), .tag = HS_STR_NONEMPTY },
    { .key = "text", .parse = hs_field_string, .off = STEP(text) },
    { .key = "repeat", .parse = hs_field_int, .off = STEP(repeat), .lo = 1, .hi = 100000 },
    { .key = NULL }
};

static const hs_field expect_error_fields[] = {
    { .key = "error", .parse = hs_field_enum, .off = STEP(error_kind),
      .names = hs_profile_err_names },
    { .key = "id", .parse = hs_field_string, .off = STEP(request_id), .tag = HS_STR_NONEMPTY },
    { .key = "retry_hint", .parse = hs_field_bool, .off = STEP(retry_hint) },
    { .key = NULL }
};

static const hs_field expect_pong_fields[] = {
    { .key = "id", .parse = hs_field_string, .off = STEP(request_id), .tag = HS_STR_NONEMPTY },
    { .key = NULL }
};

static const hs_field expect_notice_fields[] = {
    { .key = "reason", .parse = hs_field_string, .off = STEP(notice_reason),
      .tag = HS_STR_NONEMPTY },
    { .key = NULL }
};

/* health's "state": what the contract needs, in no dialect. */
static const hs_field health_state_fields[] = {
    { .key = "ready", .parse = hs_field_bool, .off = 0 },
    { .key = "degraded", .parse = hs_field_bool, .off = 0 },
    { .key = "failed", .parse = hs_field_strlist, .off = 0, .tag = HS_STR_NONEMPTY },
    { .key = "settled", .parse = hs_field_bool, .off = 0 },
    { .key = "connections", .parse = hs_field_int, .off = 0, .lo = 0, .hi = 1000000 },
    { .key = NULL }
};

/* Each key is checked into a scratch slot; the object itself is kept. */
static int f_health_state(const hs_schema_ctx *c, const hs_where *w, json_t *v, void *dst,
                          const hs_field *f)
{
    union { int i; char **list; } scratch[5];
    hs_field fields[6];
    hs_table tab = { fields, scratch };
    int rc;

    memset(scratch, 0, sizeof(scratch));
    memcpy(fields, health_state_fields, sizeof(fields));
    for (size_t k = 0; k < 5; k++)
        fields[k].off = k * sizeof(scratch[0]);
    rc = hs_schema_object(c, w, v, &tab, 1, " in \"state\"");
    hs_schema_strlist_free(scratch[2].list);
    if (rc == HS_SCHEMA_OK && json_object_size(v) == 0)
        return hs_schema_fail(c, w, "says nothing: give ready, degraded, failed, settled "
                              "or connections");
    if (rc == HS_SCHEMA_OK)
        *(json_t **)dst = json_incref(v);
    return rc;
}

static const hs_field health_fields[] = {
    { .key = "match", .parse = f_match, .off = STEP(match) },
    { .key = "state", .parse = f_health_state, .off = STEP(state) },
    { .key = "wait", .parse = hs_field_bool, .off = STEP(wait) },
    { .key = NULL }
};

/* mode, probability and n come from fault_core, into step->fault. */
static const hs_field fault_step_fields[] = {
    { .key = "name", .parse = f_step_fault_name, .off = STEP(fault.name) },
    { .key = "enable", .parse = hs_field_bool, .off = STEP(enable) },
    { .key = NULL }
};

static const char *const signal_names[] = { "TERM", "INT", "HUP", "KILL", NULL };

static const hs_field signal_fields[] = {
    { .key = "signal", .parse = hs_field_enum, .off = STEP(signo),
      .names = signal_names },
    { .key = NULL }
};

static const hs_field sleep_fields[] = {
    { .key = "ms", .parse = hs_field_int, .off = STEP(sleep_ms), .lo = 1,
      .hi = 60000 },
    { .key = NULL }
};

static int dup_default(const hs_schema_ctx *c, const hs_where *w, char **dst,
                       const char *value)
{
    if (*dst)
        return HS_SCN_OK;
    return hs_schema_store_string(c, w, value, dst);
}

static int check_connect(const hs_schema_ctx *c, const hs_where *w, json_t *obj,
                         hs_step *st)
{
    static const char *const upgrade_only[] = { "extensions", "deflate", "outcomes",
                                                "expect_headers", "omit_host", "method",
                                                "http_version", "absolute_uri", "chop",
                                                NULL };
    hs_where m = hs_where_member(w, "token_raw");
    const char *k = hs_schema_first_key(obj, upgrade_only);

    if (st->token && st->token_raw)
        return hs_schema_fail_key(c, &m, &m,
                                  "give \"token\" or \"token_raw\", not both");
    m = hs_where_member(w, "token_of");
    if (st->token_of && (st->token || st->token_raw))
        return hs_schema_fail_key(c, &m, &m, "give one of \"token\", \"token_raw\" "
                                  "and \"token_of\"");
    m = hs_where_member(w, "deflate");
    if (json_object_get(obj, "extensions") && json_object_get(obj, "deflate"))
        return hs_schema_fail_key(c, &m, &m, "give \"extensions\" or "
                                  "\"deflate\", not both");
    m = hs_where_member(w, k ? k : "handshake");
    if (k && !st->handshake)
        return hs_schema_fail_key(c, &m, &m, "only applies to a WebSocket "
                                  "upgrade, not to \"handshake\": false");
    /* No default path or token place: those are the target's dialect, and
     * the runner takes them from its profile. */
    if (dup_default(c, w, &st->token, "valid") != 0)
        return HS_SCN_ERR;
    return dup_default(c, w, &st->user, st->conn);
}

/*
 * "size" repeats a payload given in the step; "fragment" and "compress"
 * shape a message (text, text_hex or binary_hex), not a frame or raw bytes.
 */
static int check_send_shape(const hs_schema_ctx *c, const hs_where *w,
                            json_t *obj, const hs_step *st)
{
    static const char *const shaping[] = { "fragment", "compress", NULL };
    int message = st->payload_kind == HS_PAYLOAD_TEXT ||
                  st->payload_kind == HS_PAYLOAD_BINARY;
    const char *k = hs_schema_first_key(obj, shaping);
    hs_where m;

    if (json_object_get(obj, "size") && !(message || st->payload_kind == HS_PAYLOAD_FRAME)) {
        m = hs_where_member(w, "size");
        return hs_schema_fail_key(c, &m, &m, "repeats the payload of \"text\", "
                                  "\"text_hex\", \"binary_hex\" or \"frame\" "
                                  "only");
    }
    if (json_object_get(obj, "size") && st->nbytes == 0) {
        m = hs_where_member(w, "size");
        return hs_schema_fail_key(c, &m, &m, "needs a payload of at least "
                                  "one byte to repeat");
    }
    if (k && !message) {
        m = hs_where_member(w, k);
        return hs_schema_fail_key(c, &m, &m, "shapes a message given by "
                                  "\"text\", \"text_hex\" or \"binary_hex\" "
                                  "only");
    }
    return HS_SCN_OK;
}

static int check_send(const hs_schema_ctx *c, const hs_where *w, json_t *obj,
                      hs_step *st)
{
    const char *second = NULL;
    size_t n = hs_schema_count_keys(obj, payload_keys, &second);
    char list[200];

    if (n == 0)
        return hs_schema_fail(c, w, "a send step needs one of: %s",
                              hs_schema_join(list, sizeof(list), payload_keys));
    if (n > 1) {
        hs_where m = hs_where_member(w, second);
        return hs_schema_fail_key(c, &m, &m, "give only one of: %s",
                                  hs_schema_join(list, sizeof(list),
                                                 payload_keys));
    }
    return check_send_shape(c, w, obj, st);
}

static int check_expect_message(const hs_schema_ctx *c, const hs_where *w,
                                json_t *obj, hs_step *st)
{
    const char *second = NULL;
    size_t n = hs_schema_count_keys(obj, message_keys, &second);
    char list[200];
    hs_where m = hs_where_member(w, "size");

    if (n == 0)
        return hs_schema_fail(c, w, "an expect_message step needs one of: %s",
                              hs_schema_join(list, sizeof(list), message_keys));
    if (n > 1) {
        hs_where s2 = hs_where_member(w, second);
        return hs_schema_fail_key(c, &s2, &s2, "give only one of: %s",
                                  hs_schema_join(list, sizeof(list),
                                                 message_keys));
    }
    if (json_object_get(obj, "size") && st->nbytes == 0)
        return hs_schema_fail_key(c, &m, &m, "needs a payload of at least "
                                  "one byte to repeat");
    return HS_SCN_OK;
}

static int check_expect_close(const hs_schema_ctx *c, const hs_where *w,
                              json_t *obj, hs_step *st)
{
    hs_where m = hs_where_member(w, "codes");

    if (json_object_get(obj, "code") && st->codes)
        return hs_schema_fail_key(c, &m, &m,
                                  "give \"code\" or \"codes\", not both");
    return HS_SCN_OK;
}

static int check_expect(const hs_schema_ctx *c, const hs_where *w, json_t *obj,
                        hs_step *st)
{
    return hs_schema_require(c, w, obj, "match");
}

static int check_expect_events(const hs_schema_ctx *c, const hs_where *w,
                               json_t *obj, hs_step *st)
{
    return hs_schema_require(c, w, obj, "request_id");
}

/* RFC 6455 section 5.5: a control frame's payload is at most 125 bytes. */
static int check_close(const hs_schema_ctx *c, const hs_where *w, json_t *obj,
                       hs_step *st)
{
    hs_where m = hs_where_member(w, "reason");

    if (st->reason && !st->send_code)
        return hs_schema_fail_key(c, &m, &m, "needs a \"code\": a close "
                                  "frame's reason follows its code (RFC 6455 "
                                  "section 5.5.1)");
    if (st->reason && strlen(st->reason) > 123)
        return hs_schema_fail(c, &m, "is %zu bytes; a close reason fits in 123 "
                              "(RFC 6455 section 5.5)", strlen(st->reason));
    return HS_SCN_OK;
}

static int check_http(const hs_schema_ctx *c, const hs_where *w, json_t *obj,
                      hs_step *st)
{
    if (hs_schema_require(c, w, obj, "path") != 0)
        return HS_SCN_ERR;
    return dup_default(c, w, &st->method, "GET");
}

static int check_health(const hs_schema_ctx *c, const hs_where *w, json_t *obj,
                        hs_step *st)
{
    if (!st->match && !st->state)
        return hs_schema_fail(c, w, "needs \"match\" (the health document's own "
                              "fields) or \"state\" (in the contract's terms)");
    return HS_SCN_OK;
}

static int check_request(const hs_schema_ctx *c, const hs_where *w, json_t *obj,
                         hs_step *st)
{
    hs_where m = hs_where_member(w, "type");

    if (st->req_kind != HS_REQ_INVALID_JSON && hs_schema_require(c, w, obj, "id") != 0)
        return HS_SCN_ERR;
    if (st->req_type && st->req_kind != HS_REQ_AGENT)
        return hs_schema_fail_key(c, &m, &m, "names an agent request's type alias: "
                                  "only with \"kind\": \"agent\"");
    return HS_SCN_OK;
}

static int check_expect_error(const hs_schema_ctx *c, const hs_where *w, json_t *obj,
                              hs_step *st)
{
    return hs_schema_require(c, w, obj, "error");
}

static int check_expect_pong(const hs_schema_ctx *c, const hs_where *w, json_t *obj,
                             hs_step *st)
{
    return hs_schema_require(c, w, obj, "id");
}

/*
 * libfiu's remote control can enable a point always, once or at random, but
 * has no "after n" or "n-th hit": those exist only for "faults", set at start.
 */
static int check_fault_step_mode(const hs_schema_ctx *c, const hs_where *w,
                                 json_t *obj, const hs_fault *ft)
{
    hs_where m = hs_where_member(w, "mode");

    if (ft->mode == HS_FAULT_AFTER || ft->mode == HS_FAULT_NTH)
        return hs_schema_fail(c, &m, "\"%s\" cannot be set at run time "
                              "(libfiu's remote control has no such mode); "
                              "enable the fault in \"faults\" instead",
                              fault_modes[ft->mode]);
    return check_fault_mode(c, w, obj, ft);
}

static int check_fault(const hs_schema_ctx *c, const hs_where *w, json_t *obj,
                       hs_step *st)
{
    static const char *const enabling_only[] = { "mode", "probability", "n", NULL };

    hs_where m = hs_where_member(w, "name");

    if (hs_schema_require(c, w, obj, "name") != 0 ||
        hs_schema_require(c, w, obj, "enable") != 0)
        return HS_SCN_ERR;
    if (st->enable && is_posix_name(st->fault.name))
        return hs_schema_fail(c, &m, "a POSIX fault needs its errno, so a step "
                              "cannot enable it: list it in \"posix_faults\" "
                              "(a step may disable it)");
    if (st->enable)
        return check_fault_step_mode(c, w, obj, &st->fault);
    for (size_t i = 0; enabling_only[i]; i++)
        if (hs_schema_present_iff(c, w, obj, enabling_only[i], 0,
                                  "when \"enable\" is true") != 0)
            return HS_SCN_ERR;
    return HS_SCN_OK;
}

static int check_sleep(const hs_schema_ctx *c, const hs_where *w, json_t *obj,
                       hs_step *st)
{
    return hs_schema_require(c, w, obj, "ms");
}

/* "signal" was parsed as an index into signal_names: make it the number. */
static int check_signal(const hs_schema_ctx *c, const hs_where *w, json_t *obj,
                        hs_step *st)
{
    static const int numbers[] = { SIGTERM, SIGINT, SIGHUP, SIGKILL };

    if (hs_schema_require(c, w, obj, "signal") != 0)
        return HS_SCN_ERR;
    st->signo = numbers[st->signo];
    return HS_SCN_OK;
}

/* A memory step takes the mark or bounds the growth since it: one of both. */
static int check_memory(const hs_schema_ctx *c, const hs_where *w, json_t *obj,
                        hs_step *st)
{
    static const char *const keys[] = { "mark", "max_growth_kib", NULL };
    const char *second = NULL;
    size_t n = hs_schema_count_keys(obj, keys, &second);

    if (n == 0 || (n == 1 && json_is_false(json_object_get(obj, "mark"))))
        return hs_schema_fail(c, w, "a memory step needs \"mark\": true or "
                              "\"max_growth_kib\"");
    if (n > 1) {
        hs_where m = hs_where_member(w, second);
        return hs_schema_fail_key(c, &m, &m, "give \"mark\" or \"max_growth_kib\", "
                                  "not both");
    }
    return HS_SCN_OK;
}

static int check_storm(const hs_schema_ctx *c, const hs_where *w, json_t *obj,
                       hs_step *st)
{
    if (!st->recover_ms)
        st->recover_ms = 10000;
    return hs_schema_require(c, w, obj, "clients");
}

/* What a kind of step does with connections and expectations. */
#define K_NEEDS_CONN 1     /* acts on a connection a connect step opened */
#define K_EXPECTS 2        /* checks something of its own */

typedef int (*step_check_fn)(const hs_schema_ctx *c, const hs_where *w,
                             json_t *obj, hs_step *st);

typedef struct step_kind {
    const char *name;
    const hs_field *fields;
    step_check_fn check;
    int flags;
} step_kind;

/* Indexed by hs_step_kind. */
static const step_kind step_kinds[] = {
    [HS_STEP_CONNECT] = { "connect", connect_fields, check_connect, 0 },
    [HS_STEP_SEND] = { "send", send_fields, check_send, K_NEEDS_CONN },
    [HS_STEP_EXPECT] = { "expect", expect_fields, check_expect,
                         K_NEEDS_CONN | K_EXPECTS },
    [HS_STEP_EXPECT_EVENTS] = { "expect_events", expect_events_fields,
                                check_expect_events, K_NEEDS_CONN | K_EXPECTS },
    [HS_STEP_EXPECT_CLOSE] = { "expect_close", expect_close_fields,
                               check_expect_close, K_NEEDS_CONN | K_EXPECTS },
    [HS_STEP_CLOSE] = { "close", close_fields, check_close, K_NEEDS_CONN },
    [HS_STEP_DISCONNECT] = { "disconnect", disconnect_fields, NULL, K_NEEDS_CONN },
    [HS_STEP_HTTP] = { "http", http_fields, check_http, K_EXPECTS },
    [HS_STEP_HEALTH] = { "health", health_fields, check_health, K_EXPECTS },
    [HS_STEP_FAULT] = { "fault", fault_step_fields, check_fault, 0 },
    [HS_STEP_SLEEP] = { "sleep", sleep_fields, check_sleep, 0 },
    [HS_STEP_SIGNAL] = { "signal", signal_fields, check_signal, 0 },
    [HS_STEP_EXPECT_MESSAGE] = { "expect_message", expect_message_fields,
                                 check_expect_message, K_NEEDS_CONN | K_EXPECTS },
    [HS_STEP_REQUEST] = { "request", request_fields, check_request, K_NEEDS_CONN },
    [HS_STEP_EXPECT_ERROR] = { "expect_error", expect_error_fields, check_expect_error,
                               K_NEEDS_CONN | K_EXPECTS },
    [HS_STEP_EXPECT_PONG] = { "expect_pong", expect_pong_fields, check_expect_pong,
                              K_NEEDS_CONN | K_EXPECTS },
    [HS_STEP_EXPECT_NOTICE] = { "expect_notice", expect_notice_fields, NULL,
                                K_NEEDS_CONN | K_EXPECTS },
    [HS_STEP_WIRE] = { "wire", wire_fields, NULL, K_NEEDS_CONN },
    [HS_STEP_MEMORY] = { "memory", memory_fields, check_memory, K_EXPECTS },
    [HS_STEP_STORM] = { "storm", storm_fields, check_storm, K_EXPECTS },
};

#define NKINDS (sizeof(step_kinds) / sizeof(step_kinds[0]))

const char *hs_step_kind_name(hs_step_kind k)
{
    if ((size_t)k >= NKINDS)
        return "unknown";
    return step_kinds[k].name;
}

unsigned char *hs_step_payload(const hs_step *st, size_t *n)
{
    size_t len = st->size && st->nbytes ? st->size : st->nbytes;
    unsigned char *p = malloc(len + 1);

    if (!p)
        return NULL;
    for (size_t off = 0; off < len; off += st->nbytes)
        memcpy(p + off, st->bytes, len - off < st->nbytes ? len - off : st->nbytes);
    p[len] = 0;
    *n = len;
    return p;
}

const char *hs_tier_key(hs_tier t)
{
    if ((unsigned)t > HS_TIER_FAILED)
        return "unknown";
    return tier_keys[t];
}

const char *hs_outcome_key(hs_outcome o)
{
    if ((unsigned)o >= HS_OUT_COUNT)
        return "unknown";
    return outcome_keys[o];
}

static int step_kind_of(const hs_schema_ctx *c, const hs_where *w, json_t *obj,
                        hs_step_kind *out)
{
    const char *names[NKINDS + 1];
    json_t *v = json_object_get(obj, "step");
    hs_where m = hs_where_member(w, "step");
    int i;

    for (size_t k = 0; k < NKINDS; k++)
        names[k] = step_kinds[k].name;
    names[NKINDS] = NULL;
    if (!json_is_object(obj))
        return hs_schema_fail(c, w, "must be a step object such as {\"step\": "
                              "\"connect\"}, not %s", hs_schema_found(obj));
    if (!v) {
        char list[300];
        return hs_schema_fail(c, w, "missing required key \"step\" "
                              "(one of: %s)",
                              hs_schema_join(list, sizeof(list), names));
    }
    if (hs_schema_enum(c, &m, v, names, &i) != 0)
        return HS_SCN_ERR;
    *out = (hs_step_kind)i;
    return HS_SCN_OK;
}

/* Defaults that parsing may overwrite; string defaults come after. */
static void step_defaults(hs_step *st, hs_step_kind kind, size_t index)
{
    st->kind = kind;
    st->index = (int)index;
    st->repeat = 1;
    st->degraded = -1;
    st->frame.fin = 1;
    st->frame.masked = 1;
    st->frame.declared_len = -1;
    st->handshake = 1;
    memset(st->outcomes, -1, sizeof(st->outcomes));
    fault_defaults(&st->fault);
    if (kind == HS_STEP_CONNECT)
        st->expect_status = 101;
    else if (kind == HS_STEP_HTTP)
        st->expect_status = 200;
}

static int parse_step(const hs_schema_ctx *c, const hs_where *w, json_t *obj,
                      hs_step *st, size_t index)
{
    hs_table tabs[] = { { common_fields, st }, { no_fields, st },
                        { fault_core, &st->fault } };
    hs_step_kind kind = HS_STEP_CONNECT;
    const step_kind *k;
    char what[64];

    if (step_kind_of(c, w, obj, &kind) != 0)
        return HS_SCN_ERR;
    k = &step_kinds[kind];
    step_defaults(st, kind, index);
    st->line = hs_schema_line(c, w);
    snprintf(what, sizeof(what), " in %s \"%s\" step",
             strchr("aeiou", k->name[0]) ? "an" : "a", k->name);
    tabs[1].fields = k->fields;
    if (hs_schema_object(c, w, obj, tabs, kind == HS_STEP_FAULT ? 3 : 2,
                         what) != 0)
        return HS_SCN_ERR;
    if (dup_default(c, w, &st->conn, "main") != 0)
        return HS_SCN_ERR;
    return k->check ? k->check(c, w, obj, st) : HS_SCN_OK;
}

/*
 * Steps act on named connections; one used before a connect step opened it
 * is a mistake in the file, not something to find out at run time.
 */
static int check_conn(const hs_schema_ctx *c, const hs_where *w, json_t *obj,
                      const hs_step *st, json_t *opened)
{
    char q[HS_SCHEMA_QUOTE_MAX];
    hs_where m = hs_where_member(w, "conn");
    const hs_where *at = json_object_get(obj, "conn") ? &m : w;

    if (st->kind == HS_STEP_CONNECT) {
        m = hs_where_member(w, "token_of");
        if (st->token_of && !json_object_get(opened, st->token_of)) {
            hs_schema_quote(q, sizeof(q), st->token_of);
            return hs_schema_fail(c, &m, "connection %s has not connected before this "
                                  "step: its token cannot be presented again", q);
        }
        if (json_object_set_new(opened, st->conn, json_true()) != 0)
            return hs_schema_fail(c, w, "out of memory");
        return HS_SCN_OK;
    }
    if (!(step_kinds[st->kind].flags & K_NEEDS_CONN) ||
        json_object_get(opened, st->conn))
        return HS_SCN_OK;
    hs_schema_quote(q, sizeof(q), st->conn);
    if (strcmp(st->conn, "main") == 0)
        return hs_schema_fail(c, at, "connection %s is used before any connect "
                              "step opens it; add {\"step\": \"connect\"} "
                              "before it", q);
    return hs_schema_fail(c, at, "connection %s is used before any connect "
                          "step opens it; add {\"step\": \"connect\", "
                          "\"conn\": %s} before it", q, q);
}

static int has_outcomes(const hs_step *st)
{
    for (size_t i = 0; i < HS_OUT_COUNT; i++)
        if (st->outcomes[i] >= 0)
            return 1;
    return 0;
}

static int expects_something(const hs_step *st)
{
    if (has_outcomes(st) || st->codes)
        return 1;
    if (st->kind == HS_STEP_CONNECT)
        return st->expect_status != 101 || st->expect_headers != NULL;
    return (step_kinds[st->kind].flags & K_EXPECTS) != 0;
}

static int parse_steps(const hs_schema_ctx *c, const hs_where *w, json_t *v,
                       hs_scenario *s, json_t *opened)
{
    int expects = 0;

    for (size_t i = 0; i < s->nsteps; i++) {
        hs_where e = hs_where_element(w, i);
        json_t *obj = json_array_get(v, i);

        if (parse_step(c, &e, obj, &s->steps[i], i) != 0 ||
            check_conn(c, &e, obj, &s->steps[i], opened) != 0)
            return HS_SCN_ERR;
        expects |= expects_something(&s->steps[i]);
    }
    if (!expects)
        return hs_schema_fail(c, w, "scenario has no expectation of its own: "
                              "the contract alone is not a test; add an "
                              "expect, expect_events, expect_close, http or "
                              "health step");
    return HS_SCN_OK;
}

static int f_steps(const hs_schema_ctx *c, const hs_where *w, json_t *v,
                   void *dst, const hs_field *f)
{
    hs_scenario *s = dst;
    json_t *opened;
    int r;

    if (hs_schema_array(c, w, v, "step objects") != 0)
        return HS_SCN_ERR;
    if (json_array_size(v) == 0)
        return hs_schema_fail(c, w, "must hold at least one step");
    s->steps = calloc(json_array_size(v), sizeof(*s->steps));
    opened = json_object();
    if (!s->steps || !opened) {
        json_decref(opened);
        return hs_schema_fail(c, w, "out of memory");
    }
    s->nsteps = json_array_size(v);
    r = parse_steps(c, w, v, s, opened);
    json_decref(opened);
    return r;
}

/* ---- the scenario ----------------------------------------------------- */

#define SCN(m) offsetof(hs_scenario, m)

static const hs_field top_fields[] = {
    { .key = "id", .parse = f_id, .off = SCN(id) },
    { .key = "title", .parse = hs_field_string, .off = SCN(title),
      .tag = HS_STR_NONEMPTY },
    { .key = "description", .parse = hs_field_string, .off = SCN(description) },
    { .key = "rfc", .parse = hs_field_string, .off = SCN(rfc),
      .tag = HS_STR_NONEMPTY },
    { .key = "expect", .parse = hs_field_string, .off = SCN(expect),
      .tag = HS_STR_NONEMPTY },
    { .key = "seed", .parse = hs_field_enum_str, .off = SCN(seed),
      .names = hs_seed_ids },
    { .key = "tags", .parse = hs_field_strlist, .off = SCN(tags),
      .tag = HS_STR_NONEMPTY },
    { .key = "timeout_ms", .parse = hs_field_int, .off = SCN(timeout_ms),
      .lo = 1, .hi = TIMEOUT_MAX },
    { .key = "step_timeout_ms", .parse = hs_field_int,
      .off = SCN(step_timeout_ms), .lo = 1, .hi = TIMEOUT_MAX },
    { .key = "target", .parse = f_target, .off = SCN(target) },
    { .key = "faults", .parse = f_faults, .off = 0 },
    { .key = "posix_faults", .parse = f_posix_faults, .off = 0 },
    { .key = "steps", .parse = f_steps, .off = 0 },
    { .key = NULL }
};

/* "dir/deps-500-bridge.json" must hold the scenario "deps-500-bridge". */
static int check_file_name(const hs_schema_ctx *c, const hs_scenario *s)
{
    const char *base = strrchr(c->name, '/');
    size_t n, len = strlen(c->name);
    hs_where m = hs_where_member(NULL, "id");
    char q[HS_SCHEMA_QUOTE_MAX];

    if (len < 5 || strcmp(c->name + len - 5, ".json") != 0)
        return HS_SCN_OK;
    base = base ? base + 1 : c->name;
    n = strlen(base) - 5;
    if (strlen(s->id) == n && strncmp(base, s->id, n) == 0)
        return HS_SCN_OK;
    return hs_schema_fail(c, &m, "\"%s\" does not match the file name %s; "
                          "rename one so that the file is \"%s.json\"", s->id,
                          hs_schema_quote(q, sizeof(q), base), s->id);
}

static int posix_listed(const hs_scenario *s, const char *name)
{
    for (size_t i = 0; i < s->nposix; i++)
        if (strcmp(s->posix_faults[i].name, name) == 0)
            return 1;
    return 0;
}

/*
 * A fault step may switch off a POSIX fault only if the scenario switched
 * it on: anything else is a typo that would silently disable nothing.
 */
static int check_posix_steps(const hs_schema_ctx *c, const hs_scenario *s)
{
    hs_where top = hs_where_member(NULL, "steps");

    for (size_t i = 0; i < s->nsteps; i++) {
        const hs_step *st = &s->steps[i];
        hs_where e = hs_where_element(&top, i), m = hs_where_member(&e, "name");
        char q[HS_SCHEMA_QUOTE_MAX];

        if (st->kind != HS_STEP_FAULT || !is_posix_name(st->fault.name) ||
            posix_listed(s, st->fault.name))
            continue;
        return hs_schema_fail(c, &m, "%s is not in \"posix_faults\": a step "
                              "can only disable a POSIX fault the scenario "
                              "enables",
                              hs_schema_quote(q, sizeof(q), st->fault.name));
    }
    return HS_SCN_OK;
}

/* Lists are NULL-terminated even when the file has none. */
static int empty_lists(hs_scenario *s)
{
    if (!s->tags)
        s->tags = calloc(1, sizeof(*s->tags));
    if (!s->target.args)
        s->target.args = calloc(1, sizeof(*s->target.args));
    return s->tags && s->target.args ? HS_SCN_OK : HS_SCN_ERR;
}

/*
 * "rfc" makes a conformance case: it says what it expects, and only its
 * steps map outcomes to verdicts.
 */
static int check_conformance(const hs_schema_ctx *c, json_t *root,
                             const hs_scenario *s)
{
    hs_where top = hs_where_member(NULL, "steps");

    if (hs_schema_present_iff(c, NULL, root, "expect", s->rfc != NULL,
                              "with \"rfc\" (a conformance case says what "
                              "it expects)") != 0)
        return HS_SCN_ERR;
    for (size_t i = 0; i < s->nsteps && !s->rfc; i++) {
        hs_where e = hs_where_element(&top, i);
        hs_where m = hs_where_member(&e, "outcomes");

        if (has_outcomes(&s->steps[i]))
            return hs_schema_fail_key(c, &m, &m, "only applies in a "
                                      "conformance case: add \"rfc\" and "
                                      "\"expect\" at the top");
    }
    return HS_SCN_OK;
}

static int parse_scenario(const hs_schema_ctx *c, json_t *root, hs_scenario *s)
{
    hs_table tabs[] = { { top_fields, s } };

    s->timeout_ms = 20000;
    s->step_timeout_ms = 5000;
    for (size_t k = 0; k < HS_SETTINGS; k++)
        s->target.settings[k] = -1;
    s->target.wait_ready = 1;
    if (hs_schema_object(c, NULL, root, tabs, 1, "") != 0 ||
        hs_schema_require(c, NULL, root, "id") != 0 ||
        hs_schema_require(c, NULL, root, "title") != 0 ||
        hs_schema_require(c, NULL, root, "steps") != 0 ||
        check_posix_steps(c, s) != 0 ||
        check_conformance(c, root, s) != 0 ||
        check_file_name(c, s) != 0)
        return HS_SCN_ERR;
    if (empty_lists(s) != 0)
        return hs_schema_fail(c, NULL, "out of memory");
    return HS_SCN_OK;
}

int hs_scenario_parse(const char *name, const char *text, size_t len,
                      hs_scenario **out, char *err, size_t errlen)
{
    hs_schema_doc d;
    hs_scenario *s;
    int rc;

    *out = NULL;
    if (hs_schema_doc_parse(&d, name, text, len, HS_SCN_MAX_BYTES,
                            "a scenario", err, errlen) != HS_SCHEMA_OK)
        return HS_SCN_ERR;
    s = calloc(1, sizeof(*s));
    if (s)
        s->file = strdup(name);
    if (!s || !s->file) {
        hs_errf(err, errlen, "%s: out of memory", name);
        rc = HS_SCN_ERR;
    } else {
        rc = parse_scenario(&d.ctx, d.root, s);
    }
    hs_schema_doc_free(&d);
    if (rc != HS_SCN_OK)
        hs_scenario_free(s);
    else
        *out = s;
    return rc;
}

int hs_scenario_load(const char *path, hs_scenario **out, char *err,
                     size_t errlen)
{
    char *text = NULL;
    size_t len = 0;
    int rc;

    *out = NULL;
    if (hs_schema_read_file(path, HS_SCN_MAX_BYTES, &text, &len, err,
                            errlen) != HS_SCHEMA_OK)
        return HS_SCN_ERR;
    rc = hs_scenario_parse(path, text, len, out, err, errlen);
    free(text);
    return rc;
}

static void free_step(hs_step *st)
{
    free(st->conn);
    free(st->only);
    free(st->user);
    free(st->token);
    free(st->token_raw);
    free(st->token_of);
    free(st->token_in);
    free(st->path);
    json_decref(st->headers);
    free(st->ws_key);
    free(st->ws_version);
    free(st->http_version);
    free(st->subprotocol);
    free(st->extensions);
    json_decref(st->expect_headers);
    free(st->codes);
    json_decref(st->json);
    free(st->bytes);
    json_decref(st->match);
    free(st->request_id);
    free(st->req_type);
    free(st->text);
    free(st->notice_reason);
    json_decref(st->state);
    free(st->reason);
    free(st->method);
    free(st->body);
    free(st->fault.name);
}

void hs_scenario_free(hs_scenario *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->nsteps; i++)
        free_step(&s->steps[i]);
    free(s->steps);
    for (size_t i = 0; i < s->nfaults; i++)
        free(s->faults[i].name);
    free(s->faults);
    for (size_t i = 0; i < s->nposix; i++)
        free(s->posix_faults[i].name);
    free(s->posix_faults);
    hs_schema_strlist_free(s->tags);
    hs_schema_strlist_free(s->target.args);
    free(s->target.jwt_secret);
    free(s->file);
    free(s->id);
    free(s->title);
    free(s->seed);
    free(s->description);
    free(s->rfc);
    free(s->expect);
    free(s);
}

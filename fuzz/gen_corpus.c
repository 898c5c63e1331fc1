/*
 * gen-corpus: the seed corpora of the fuzz targets, made from scenarios/
 * and fixtures/.
 *
 *     build/fuzz/gen-corpus [REPO_ROOT]      (default: the current directory)
 *
 * Writes fuzz/corpus/<target>/seed-*; files with other names (inputs merged
 * back by fuzz-overnight) are left alone. Deterministic: the same scenarios
 * give the same bytes, and the seeds are committed, so every encoding below
 * (JSON text, number forms, orders) is fixed on purpose. Input formats are
 * described at the top of each target's source in fuzz/targets/.
 */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "util/hs_buf.h"
#include "util/hs_hex.h"
#include "wire/hs_frame.h"

/* fz_app's connection slots (fuzz/targets/fz_app.c FZ_MAX_CONNS). */
#define MAX_SLOTS 8
/* Seeds drawn from scenarios per target: committed corpora stay small. */
#define SCENARIO_SEEDS 25
/* fault_schedule.c reads at most 7 entries. */
#define MAX_ENTRIES 7
/* fault_schedule.c: bits 7-5 select the mode, bits 4-0 hold N - 1. */
#define MODE_ALWAYS 5
#define ERRLEN 512

/* Any fixed key will do; a non-zero one makes the masking visible. */
static const unsigned char mask_key[4] = { 0x37, 0xFA, 0x21, 0x3D };

typedef struct {
    hs_buf *v;
    size_t n, cap;
} buflist;

/* One seed candidate: the scenario it came from and the bytes it gives. */
typedef struct {
    char *path;
    hs_buf data;
} seed_item;

typedef struct {
    seed_item *v;
    size_t n, cap;
} itemlist;

enum { T_SCENARIO, T_MESSAGE, T_SCHEDULE, T_FRAMES, T_COUNT };

static const char *const target_names[T_COUNT] = {
    "scenario", "message", "fault_schedule", "frames"
};

/* Hand-written message sequences (fz_app.h lines) for paths the scenarios
 * reach seldom: every agent alias, refused input, odd ids, the connection
 * directives and a delayed readiness. */
static const char *const hand_aliases[] = {
    "{\"type\":\"user_message\",\"id\":\"user_message\"}",
    "{\"type\":\"chat\",\"id\":\"chat\"}",
    "{\"type\":\"agent_request\",\"id\":\"agent_request\"}",
    "{\"type\":\"start_agent\",\"id\":\"start_agent\"}",
    "{\"type\":\"execute_agent\",\"id\":\"execute_agent\"}",
    "{\"type\":\"agent_task\",\"id\":\"agent_task\"}",
    "{\"type\":\"ping\",\"id\":7}", NULL
};
static const char *const hand_errors[] = {
    "not json", "{\"id\":\"n\"}", "[1,2]", "{\"type\":\"nope\",\"id\":{\"a\":[1]}}",
    "{\"type\":3}", "", "\"chat\"", "@binary", NULL
};
static const char *const hand_ids[] = {
    "{\"type\":\"chat\",\"id\":null}", "{\"type\":\"chat\",\"id\":1.5}",
    "{\"type\":\"chat\",\"id\":-7}", "{\"type\":\"chat\",\"id\":[1,\"x\"]}",
    "{\"type\":\"chat\"}", "{\"type\":\"chat\",\"id\":\"\\u00e9t\\u00e9\"}", NULL
};
static const char *const hand_conns[] = {
    "@open", "{\"type\":\"chat\",\"id\":\"b1\"}", "@open expired", "@open forged",
    "{\"type\":\"chat\",\"id\":\"x\"}", "@next", "{\"type\":\"ping\",\"id\":\"p\"}",
    "@close", "@health", "{\"type\":\"agent_task\",\"id\":\"t\"}", NULL
};
static const char *const hand_ready[] = {
    "{\"type\":\"chat\",\"id\":\"q1\"}", "{\"type\":\"chat\",\"id\":\"q2\"}",
    "{\"type\":\"chat\",\"id\":\"q3\"}", "{\"type\":\"chat\",\"id\":\"q4\"}",
    "{\"type\":\"chat\",\"id\":\"q5\"}", "@ready", "{\"type\":\"chat\",\"id\":\"q6\"}", NULL
};

static const struct {
    const char *name;
    const char *const *lines;
    int framed;
} hand_sets[] = {
    { "aliases", hand_aliases, 1 }, { "errors", hand_errors, 1 },
    { "ids", hand_ids, 0 }, { "conns", hand_conns, 1 }, { "ready", hand_ready, 1 },
};

/* Every fault point once, between messages that reach most of them. */
static const char *const probe_lines[] = {
    "{\"type\":\"chat\",\"id\":\"a\"}", "{\"type\":\"execute_agent\",\"id\":\"e\"}", "@binary",
    "{\"type\":\"ping\",\"id\":\"p\"}", "@open", "{\"type\":\"chat\",\"id\":\"b\"}", "@close",
    "{\"type\":\"chat\",\"id\":\"c\"}", NULL
};

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

/* A generator that runs out of memory has nothing sensible left to do. */
static void out_of_memory(void)
{
    fprintf(stderr, "gen-corpus: out of memory\n");
    exit(1);
}

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);

    if (!q)
        out_of_memory();
    return q;
}

static char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;

    return memcpy(xrealloc(NULL, n), s, n);
}

/* hs_buf's appends, with the out-of-memory policy above; the buffer stays
 * NUL-terminated, so names read as strings. */
static void buf_add(hs_buf *b, const void *data, size_t n)
{
    if (hs_buf_append(b, data, n) < 0)
        out_of_memory();
}

static void buf_byte(hs_buf *b, unsigned c)
{
    unsigned char ch = (unsigned char)c;

    buf_add(b, &ch, 1);
}

static void buf_str(hs_buf *b, const char *s)
{
    buf_add(b, s, strlen(s));
}

static void list_add(buflist *l, const void *data, size_t n)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
    }
    l->v[l->n] = (hs_buf)HS_BUF_INIT;
    buf_add(&l->v[l->n++], data, n);
}

static void list_free(buflist *l)
{
    for (size_t i = 0; i < l->n; i++)
        hs_buf_free(&l->v[i]);
    free(l->v);
    memset(l, 0, sizeof(*l));
}

/* The lines joined with '\n' (fz_app.h's separator), none after the last. */
static void join_lines(hs_buf *out, const buflist *lines)
{
    for (size_t i = 0; i < lines->n; i++) {
        if (i)
            buf_byte(out, '\n');
        buf_add(out, lines->v[i].p, lines->v[i].len);
    }
}

static void items_add(itemlist *l, const char *path, const hs_buf *data)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
    }
    l->v[l->n].path = xstrdup(path);
    l->v[l->n].data = (hs_buf)HS_BUF_INIT;
    buf_add(&l->v[l->n].data, data->p, data->len);
    l->n++;
}

static void items_free(itemlist *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].path);
        hs_buf_free(&l->v[i].data);
    }
    free(l->v);
    memset(l, 0, sizeof(*l));
}

static int read_file(const char *path, hs_buf *out, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    char chunk[8192];
    size_t n;

    if (!f)
        return fail(err, errlen, "%s: %s", path, strerror(errno));
    do {
        n = fread(chunk, 1, sizeof(chunk), f);
        buf_add(out, chunk, n);
    } while (n > 0);
    if (ferror(f)) {
        fclose(f);
        return fail(err, errlen, "%s: read error", path);
    }
    fclose(f);
    return 0;
}

/* ---- JSON values read the way the seeds need them ---- */

static int str_is(const json_t *v, const char *s)
{
    return json_is_string(v) && json_string_length(v) == strlen(s) &&
           memcmp(json_string_value(v), s, strlen(s)) == 0;
}

/* Whether a scenario flag counts as set: absent, false, null, zero and
 * empty values do not, whatever their JSON type. */
static int truthy(const json_t *v)
{
    if (!v || json_is_false(v) || json_is_null(v))
        return 0;
    if (json_is_integer(v))
        return json_integer_value(v) != 0;
    if (json_is_real(v))
        return json_real_value(v) != 0.0;
    if (json_is_string(v))
        return json_string_length(v) != 0;
    if (json_is_array(v))
        return json_array_size(v) != 0;
    if (json_is_object(v))
        return json_object_size(v) != 0;
    return 1;
}

/* A count or byte field: integers as they are, reals truncated, booleans as
 * 0/1 and numeric strings parsed, so a hand-edited scenario still seeds. */
static long long as_int(const json_t *v, long long dflt)
{
    if (!v)
        return dflt;
    if (json_is_integer(v))
        return json_integer_value(v);
    if (json_is_real(v))
        return (long long)json_real_value(v);
    if (json_is_boolean(v))
        return json_is_true(v);
    if (json_is_string(v))
        return strtoll(json_string_value(v), NULL, 10);
    return dflt;
}

static double as_real(const json_t *v, double dflt)
{
    if (json_is_number(v))
        return json_number_value(v);
    if (json_is_string(v))
        return strtod(json_string_value(v), NULL);
    return v ? as_int(v, 0) : dflt;
}

/* ---- compact JSON text, as the committed seeds hold it ---- */

/* Decodes one UTF-8 sequence (jansson has validated it) at s, returning its
 * length and the code point in *cp. */
static size_t utf8_decode(const unsigned char *s, unsigned long *cp)
{
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    if (s[0] < 0xE0) {
        *cp = (s[0] & 0x1Ful) << 6 | (s[1] & 0x3F);
        return 2;
    }
    if (s[0] < 0xF0) {
        *cp = (s[0] & 0x0Ful) << 12 | (s[1] & 0x3Ful) << 6 | (s[2] & 0x3F);
        return 3;
    }
    *cp = (s[0] & 0x07ul) << 18 | (s[1] & 0x3Ful) << 12 | (s[2] & 0x3Ful) << 6 | (s[3] & 0x3F);
    return 4;
}

/* \uXXXX in lower-case hex; code points past the BMP as a surrogate pair
 * (RFC 8259 section 7). */
static void put_uescape(hs_buf *out, unsigned long cp)
{
    char tmp[16];

    if (cp > 0xFFFF) {
        cp -= 0x10000;
        put_uescape(out, 0xD800 | (cp >> 10));
        put_uescape(out, 0xDC00 | (cp & 0x3FF));
        return;
    }
    snprintf(tmp, sizeof(tmp), "\\u%04lx", cp);
    buf_str(out, tmp);
}

/* One JSON string. Only '"', '\\' and control characters are escaped,
 * with the short forms where JSON has one; with ascii set, DEL and every
 * non-ASCII character are escaped too: the raw frame seeds were made with
 * that form and fz_app lines without it. */
static void dump_string(hs_buf *out, const char *s, size_t len, int ascii)
{
    static const char shorts[] = "\"\"\\\\\bb\ff\nn\rr\tt";
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;

    buf_byte(out, '"');
    while (i < len) {
        const char *sh = p[i] ? strchr(shorts, p[i]) : NULL;
        unsigned long cp;
        size_t n = utf8_decode(p + i, &cp);

        if (sh && (sh - shorts) % 2 == 0) {
            buf_byte(out, '\\');
            buf_byte(out, (unsigned char)sh[1]);
        } else if (cp < 0x20 || (ascii && cp > 0x7E))
            put_uescape(out, cp);
        else
            buf_add(out, p + i, n);
        i += n;
    }
    buf_byte(out, '"');
}

/* The shortest decimal digits that read back as x, and where the decimal
 * point goes: x = 0.DIGITS * 10^*decpt. */
static void shortest_digits(double x, char *digits, int *decpt)
{
    char tmp[40];
    int prec, k = 0;

    for (prec = 0; prec < 17; prec++) {
        snprintf(tmp, sizeof(tmp), "%.*e", prec, x);
        if (strtod(tmp, NULL) == x)
            break;
    }
    snprintf(tmp, sizeof(tmp), "%.*e", prec, x);
    for (const char *c = tmp; *c && *c != 'e'; c++)
        if (*c >= '0' && *c <= '9')
            digits[k++] = *c;
    while (k > 1 && digits[k - 1] == '0')
        k--;
    digits[k] = '\0';
    *decpt = atoi(strchr(tmp, 'e') + 1) + 1;
}

/* A real in its shortest round-trip form: plain notation with at least one
 * decimal ("2.0") for exponents from -4 to 15, else d.ddde+XX. The seeds
 * were first written in this form, so it stays. */
static void dump_real(hs_buf *out, double x)
{
    char digits[40], tmp[16];
    int decpt, nd;

    if (signbit(x))
        buf_byte(out, '-');
    shortest_digits(fabs(x), digits, &decpt);
    nd = (int)strlen(digits);
    if (decpt <= -4 || decpt > 16) {
        buf_byte(out, (unsigned char)digits[0]);
        if (nd > 1) {
            buf_byte(out, '.');
            buf_str(out, digits + 1);
        }
        snprintf(tmp, sizeof(tmp), "e%c%02d", decpt - 1 < 0 ? '-' : '+', abs(decpt - 1));
        buf_str(out, tmp);
    } else if (decpt <= 0) {
        buf_str(out, "0.");
        for (int i = 0; i < -decpt; i++)
            buf_byte(out, '0');
        buf_str(out, digits);
    } else if (decpt >= nd) {
        buf_str(out, digits);
        for (int i = nd; i < decpt; i++)
            buf_byte(out, '0');
        buf_str(out, ".0");
    } else {
        buf_add(out, digits, (size_t)decpt);
        buf_byte(out, '.');
        buf_str(out, digits + decpt);
    }
}

static void dump_value(hs_buf *out, const json_t *v, int ascii);

static void dump_container(hs_buf *out, const json_t *v, int ascii)
{
    const char *key;
    json_t *elem;
    size_t i;
    int first = 1;

    if (json_is_array(v)) {
        buf_byte(out, '[');
        json_array_foreach(v, i, elem) {
            if (i)
                buf_byte(out, ',');
            dump_value(out, elem, ascii);
        }
        buf_byte(out, ']');
        return;
    }
    buf_byte(out, '{');
    json_object_foreach((json_t *)v, key, elem) {
        if (!first)
            buf_byte(out, ',');
        first = 0;
        dump_string(out, key, strlen(key), ascii);
        buf_byte(out, ':');
        dump_value(out, elem, ascii);
    }
    buf_byte(out, '}');
}

/* Compact JSON ("," and ":" with no spaces), keys in file order: the
 * message a scenario sends, as one fz_app line or one frame payload. */
static void dump_value(hs_buf *out, const json_t *v, int ascii)
{
    char tmp[32];

    if (json_is_string(v))
        dump_string(out, json_string_value(v), json_string_length(v), ascii);
    else if (json_is_integer(v)) {
        snprintf(tmp, sizeof(tmp), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        buf_str(out, tmp);
    } else if (json_is_real(v))
        dump_real(out, json_real_value(v));
    else if (json_is_true(v))
        buf_str(out, "true");
    else if (json_is_false(v))
        buf_str(out, "false");
    else if (json_is_null(v))
        buf_str(out, "null");
    else
        dump_container(out, v, ascii);
}

/* ---- wire bytes ---- */

/* Hex digits to bytes; whitespace anywhere is layout in scenario files. */
static int hex_decode(const json_t *v, hs_buf *out, char *err, size_t errlen)
{
    const char *s = json_string_value(v);
    int hi = -1;

    if (!s)
        return fail(err, errlen, "hex field is not a string");
    for (; *s; s++) {
        int d = hs_hex_digit((unsigned char)*s);

        if (strchr(" \t\n\r\v\f", *s))
            continue;
        if (d < 0)
            return fail(err, errlen, "invalid hex digit");
        if (hi < 0)
            hi = d;
        else {
            buf_byte(out, (unsigned)(hi << 4 | d));
            hi = -1;
        }
    }
    return hi < 0 ? 0 : fail(err, errlen, "odd number of hex digits");
}

/* RFC 6455 5.2 frame bytes; a masked frame takes mask_key, so that the
 * seeds come out the same on every run. -1 for a spec hs_frame_encode
 * refuses. */
static int put_frame(hs_buf *out, hs_frame_spec fs)
{
    unsigned char *bytes;
    size_t n;
    int rc;

    memcpy(fs.key, mask_key, sizeof(fs.key));
    rc = hs_frame_encode(&fs, &bytes, &n);
    if (rc == HS_FRAME_NOMEM)
        out_of_memory();
    if (rc != HS_FRAME_OK)
        return -1;
    buf_add(out, bytes, n);
    free(bytes);
    return 0;
}

/* A final frame with the real length in its shortest form: the usual one
 * (its opcodes are constants, so hs_frame_encode never refuses it). */
static void put_plain_frame(hs_buf *out, int opcode, const void *data, size_t len, int masked)
{
    hs_frame_spec fs = { .fin = 1, .opcode = opcode, .masked = masked, .payload = data,
                         .len = len, .declared_len = -1 };

    put_frame(out, fs);
}

/* ---- fz_app's connection slots ---- */

/* Mirrors fz_app's slots so directives reach the right connection: slot 0
 * is the connection every input starts with, claimed by the scenario's
 * first valid connect. */
typedef struct {
    const json_t *slots[MAX_SLOTS];
    int current, claimed;
    buflist lines;
} conns;

static void add_line(conns *c, const char *line)
{
    list_add(&c->lines, line, strlen(line));
}

static int slot_of(const conns *c, const json_t *name)
{
    for (int i = 0; i < MAX_SLOTS; i++)
        if (c->slots[i] && json_equal((json_t *)c->slots[i], (json_t *)name))
            return i;
    return -1;
}

/* The slot @next moves to: the next occupied one, wrapping around. */
static int next_slot(const conns *c)
{
    for (int k = 1; k <= MAX_SLOTS; k++) {
        int i = (c->current + k) % MAX_SLOTS;

        if (c->slots[i])
            return i;
    }
    return c->current;
}

/* Makes name current with @next lines; 0 when no slot holds it. */
static int conn_select(conns *c, const json_t *name)
{
    if (slot_of(c, name) < 0)
        return 0;
    while (!c->slots[c->current] || !json_equal((json_t *)c->slots[c->current], (json_t *)name)) {
        add_line(c, "@next");
        c->current = next_slot(c);
    }
    return 1;
}

/* fz_app's @open words; forged-by-another-secret and oversized tokens have
 * no own word, so they fall back to the nearest one. */
static const char *token_word(const char *token)
{
    static const char *const words[][2] = {
        { "valid", "" }, { "expired", " expired" }, { "forged", " forged" },
        { "wrong_secret", " forged" }, { "alg_none", " none" },
        { "garbage", " garbage" }, { "oversized", " garbage" }, { "missing", " missing" },
    };

    for (size_t i = 0; token && i < sizeof(words) / sizeof(words[0]); i++)
        if (strcmp(token, words[i][0]) == 0)
            return words[i][1];
    return " garbage";
}

static void conn_connect(conns *c, const json_t *name, const char *token)
{
    char line[32];
    int k;

    if (token && strcmp(token, "valid") == 0 && !c->claimed) {
        c->slots[0] = name;
        c->claimed = 1;
        conn_select(c, name);
        return;
    }
    for (k = 0; k < MAX_SLOTS && c->slots[k]; k++)
        ;
    if (k == MAX_SLOTS)
        return;
    c->slots[k] = name;
    c->current = k;
    snprintf(line, sizeof(line), "@open%s", token_word(token));
    add_line(c, line);
}

static void conn_close(conns *c, const json_t *name)
{
    if (!conn_select(c, name))
        return;
    add_line(c, "@close");
    c->slots[c->current] = NULL;
    c->current = next_slot(c);
}

/* ---- what each target takes from one scenario ---- */

/* A send step as one fz_app line; 0 when it has no line form (multi-line
 * text, frames, raw bytes). */
static int send_line(const json_t *st, hs_buf *line)
{
    const json_t *text = json_object_get(st, "text");

    if (json_object_get(st, "json"))
        dump_value(line, json_object_get(st, "json"), 0);
    else if (json_is_string(text) && !memchr(json_string_value(text), '\n', json_string_length(text)))
        buf_add(line, json_string_value(text), json_string_length(text));
    else if (json_object_get(st, "binary_hex"))
        buf_str(line, "@binary");
    else
        return 0;
    return 1;
}

static void step_send(conns *c, const json_t *st, const json_t *name, int *sent)
{
    hs_buf line = HS_BUF_INIT;
    long long repeat;

    if (!conn_select(c, name) || !send_line(st, &line))
        goto out;
    repeat = as_int(json_object_get(st, "repeat"), 1);
    repeat = repeat < 1 ? 1 : repeat > 4 ? 4 : repeat;
    for (long long i = 0; i < repeat; i++)
        list_add(&c->lines, line.p, line.len);
    *sent = 1;
out:
    hs_buf_free(&line);
}

/* The scenario's messages as fz_app lines, left empty when it sends none
 * (a connection-only scenario seeds nothing the others do not). */
static void message_lines(const json_t *scn, buflist *out)
{
    json_t *main_name = json_string("main");
    json_t *initial = json_string("(initial)");
    conns c = { .slots = { initial } };
    const json_t *st;
    size_t i;
    int sent = 0;

    json_array_foreach(json_object_get(scn, "steps"), i, st) {
        const json_t *kind = json_object_get(st, "step");
        const json_t *name = json_object_get(st, "conn");

        name = name ? name : main_name;
        if (str_is(kind, "connect")) {
            const json_t *tok = json_object_get(st, "token");
            const char *token = tok ? json_string_value(tok) : "valid";

            conn_connect(&c, name, json_object_get(st, "token_raw") ? "garbage" : token);
        } else if (str_is(kind, "send"))
            step_send(&c, st, name, &sent);
        else if (str_is(kind, "close") || str_is(kind, "disconnect"))
            conn_close(&c, name);
        else if (str_is(kind, "health"))
            add_line(&c, "@health");
    }
    json_decref(main_name);
    json_decref(initial);
    if (sent)
        *out = c.lines;
    else
        list_free(&c.lines);
}

static int fault_index(const buflist *names, const json_t *name)
{
    for (size_t i = 0; i < names->n; i++)
        if (str_is(name, names->v[i].p))
            return (int)i;
    return -1;
}

/* One schedule entry's second byte: mode in bits 7-5, N - 1 in bits 4-0
 * (fault_schedule.c). A probability becomes N/32, rounded half to even. */
static int entry_byte(const json_t *f, unsigned *out, char *err, size_t errlen)
{
    static const char *const modes[] = { "nth", "", "after", "", "once", "always", "probability" };
    const json_t *mode = json_object_get(f, "mode");
    long long n = as_int(json_object_get(f, "n"), 1);
    unsigned bits = MODE_ALWAYS;

    for (unsigned k = 0; mode && k < sizeof(modes) / sizeof(modes[0]); k++)
        if (*modes[k] && str_is(mode, modes[k]))
            bits = k;
    if (str_is(mode, "probability")) {
        n = (long long)rint(as_real(json_object_get(f, "probability"), 0.5) * 32);
        n = n < 1 ? 1 : n;
    }
    if (n < 1)
        return fail(err, errlen, "fault n below 1 has no schedule encoding");
    *out = bits << 5 | (unsigned)((n > 32 ? 32 : n) - 1);
    return 0;
}

/* One entry for a fault spec naming a catalogued point, up to MAX_ENTRIES. */
static int add_entry(hs_buf *entries, const json_t *f, const buflist *names, char *err, size_t errlen)
{
    int idx = fault_index(names, json_object_get(f, "name"));
    unsigned second = 0;

    if (idx < 0)
        return 0;
    if (entry_byte(f, &second, err, errlen) < 0)
        return -1;
    if (entries->len < 2 * MAX_ENTRIES) {
        buf_byte(entries, (unsigned)idx);
        buf_byte(entries, second);
    }
    return 0;
}

/* fault_schedule.c's header for the scenario's faults, the ones enabled
 * at run time included. */
static int schedule(const json_t *scn, const buflist *names, hs_buf *out, char *err, size_t errlen)
{
    hs_buf entries = HS_BUF_INIT;
    const json_t *f;
    size_t i;
    int rc = 0;

    json_array_foreach(json_object_get(scn, "faults"), i, f)
        if (rc == 0)
            rc = add_entry(&entries, f, names, err, errlen);
    json_array_foreach(json_object_get(scn, "steps"), i, f)
        if (rc == 0 && str_is(json_object_get(f, "step"), "fault") && truthy(json_object_get(f, "enable")))
            rc = add_entry(&entries, f, names, err, errlen);
    buf_byte(out, (unsigned)(entries.len / 2));
    buf_add(out, entries.p, entries.len);
    hs_buf_free(&entries);
    return rc;
}

static int frame_payload(const json_t *f, hs_buf *out, char *err, size_t errlen)
{
    const json_t *text = json_object_get(f, "payload_text");
    const json_t *hex = json_object_get(f, "payload_hex");

    if (text) {
        buf_add(out, json_string_value(text), json_string_length(text));
        return 0;
    }
    return hex ? hex_decode(hex, out, err, errlen) : 0;
}

/* A send step's "frame" object: every field of the RFC 6455 5.2 header may
 * be set, a null declared_len meaning the real one. opcode and rsv are
 * range-checked before they narrow to hs_frame_spec's ints. */
static int step_frame(const json_t *f, hs_buf *out, char *err, size_t errlen)
{
    const json_t *decl = json_object_get(f, "declared_len");
    const json_t *fin = json_object_get(f, "fin");
    const json_t *masked = json_object_get(f, "masked");
    long long opcode = as_int(json_object_get(f, "opcode"), 1);
    long long rsv = as_int(json_object_get(f, "rsv"), 0);
    long long declared = decl && !json_is_null(decl) ? as_int(decl, 0) : -1;
    hs_buf payload = HS_BUF_INIT;
    int rc;

    if (!json_is_object(f))
        return fail(err, errlen, "a send step's frame is not an object");
    if (opcode < 0 || opcode > 15 || rsv < 0 || rsv > 7)
        return fail(err, errlen, "frame opcode or rsv out of range");
    if (decl && !json_is_null(decl) && declared < 0)
        return fail(err, errlen, "a frame's declared_len is negative");
    rc = frame_payload(f, &payload, err, errlen);
    if (rc == 0) {
        hs_frame_spec fs = { .fin = fin ? truthy(fin) : 1, .rsv = (int)rsv,
                             .opcode = (int)opcode, .masked = masked ? truthy(masked) : 1,
                             .payload = (const unsigned char *)payload.p,
                             .len = payload.len, .declared_len = declared };

        if (put_frame(out, fs) < 0)
            rc = fail(err, errlen, "a frame hs_frame_encode cannot write");
    }
    hs_buf_free(&payload);
    return rc;
}

/* One send step's wire bytes, whatever its framing. JSON goes out with
 * non-ASCII escaped, as the harness's client sends it. */
static int send_bytes(const json_t *st, hs_buf *out, char *err, size_t errlen)
{
    const json_t *raw = json_object_get(st, "raw_hex");
    const json_t *frame = json_object_get(st, "frame");
    const json_t *js = json_object_get(st, "json");
    const json_t *text = json_object_get(st, "text");
    const json_t *bin = json_object_get(st, "binary_hex");
    hs_buf payload = HS_BUF_INIT;
    int rc = 0;

    if (raw)
        return hex_decode(raw, out, err, errlen);
    if (frame)
        return step_frame(frame, out, err, errlen);
    if (js)
        dump_value(&payload, js, 1);
    else if (text)
        buf_add(&payload, json_string_value(text), json_string_length(text));
    else if (bin)
        rc = hex_decode(bin, &payload, err, errlen);
    else
        return 0;
    if (rc == 0)
        put_plain_frame(out, js || text ? HS_OP_TEXT : HS_OP_BINARY, payload.p, payload.len, 1);
    hs_buf_free(&payload);
    return rc;
}

/* The bytes a scenario's sends put on the wire. */
static int raw_stream(const json_t *scn, hs_buf *out, char *err, size_t errlen)
{
    const json_t *st;
    size_t i;

    json_array_foreach(json_object_get(scn, "steps"), i, st) {
        if (!str_is(json_object_get(st, "step"), "send"))
            continue;
        if (send_bytes(st, out, err, errlen) < 0)
            return -1;
    }
    return 0;
}

/* Whether some step has the given "step" kind, or (kind NULL) the key. */
static int any_step(const json_t *scn, const char *kind, const char *key)
{
    const json_t *st;
    size_t i;

    json_array_foreach(json_object_get(scn, "steps"), i, st) {
        if (kind ? str_is(json_object_get(st, "step"), kind) : json_object_get(st, key) != NULL)
            return 1;
    }
    return 0;
}

/* ---- files ---- */

static char *path_join(const char *a, const char *b)
{
    size_t n = strlen(a) + strlen(b) + 2;
    char *p = xrealloc(NULL, n);

    snprintf(p, n, "%s/%s", a, b);
    return p;
}

static int mkdir_p(char *path, char *err, size_t errlen)
{
    for (char *s = path + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(path, 0777) < 0 && errno != EEXIST) {
            *s = '/';
            return fail(err, errlen, "mkdir %s: %s", path, strerror(errno));
        }
        *s = '/';
    }
    if (mkdir(path, 0777) < 0 && errno != EEXIST)
        return fail(err, errlen, "mkdir %s: %s", path, strerror(errno));
    return 0;
}

/* fuzz/corpus/<target>/seed-<name>, replaced whole. */
static int write_seed(const char *root, const char *target, const char *name,
                      const void *data, size_t len, char *err, size_t errlen)
{
    hs_buf path = HS_BUF_INIT;
    FILE *f;
    int rc = -1;

    buf_str(&path, root);
    buf_str(&path, "/fuzz/corpus/");
    buf_str(&path, target);
    if (mkdir_p(path.p, err, errlen) < 0)
        goto out;
    buf_str(&path, "/seed-");
    buf_str(&path, name);
    f = fopen(path.p, "wb");
    if (!f) {
        fail(err, errlen, "%s: %s", path.p, strerror(errno));
        goto out;
    }
    if (fwrite(data, 1, len, f) != len || fclose(f) != 0) {
        fail(err, errlen, "%s: write error", path.p);
        goto out;
    }
    rc = 0;
out:
    hs_buf_free(&path);
    return rc;
}

/* Old seeds go first, so a renamed scenario leaves no stale one behind;
 * anything not named seed-* was merged back by a campaign and stays. */
static int clear_seeds(const char *root, const char *target, char *err, size_t errlen)
{
    char *rel = path_join("fuzz/corpus", target);
    char *dir = path_join(root, rel);
    DIR *d = opendir(dir);
    struct dirent *e = d ? readdir(d) : NULL;
    int rc = 0;

    for (; e && rc == 0; e = readdir(d)) {
        char *p;

        if (strncmp(e->d_name, "seed-", 5) != 0)
            continue;
        p = path_join(dir, e->d_name);
        if (unlink(p) < 0)
            rc = fail(err, errlen, "unlink %s: %s", p, strerror(errno));
        free(p);
    }
    if (d)
        closedir(d);
    free(dir);
    free(rel);
    return rc;
}

static int cmp_buf(const void *a, const void *b)
{
    return strcmp(((const hs_buf *)a)->p, ((const hs_buf *)b)->p);
}

/* A directory's entry names, sorted byte-wise; dirs_only picks real
 * directories (symbolic links are not followed), else everything else. */
static void list_dir(const char *dir, int dirs_only, buflist *out)
{
    DIR *d = opendir(dir);
    struct dirent *e = d ? readdir(d) : NULL;

    for (; e; e = readdir(d)) {
        char *p = path_join(dir, e->d_name);
        struct stat st;
        int is_dir = stat(p, &st) == 0 && S_ISDIR(st.st_mode);
        int real_dir = lstat(p, &st) == 0 && S_ISDIR(st.st_mode);

        free(p);
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        if (dirs_only ? real_dir : !is_dir)
            list_add(out, e->d_name, strlen(e->d_name));
    }
    if (d)
        closedir(d);
    if (out->n > 1)
        qsort(out->v, out->n, sizeof(*out->v), cmp_buf);
}

/* Every directory under top, top included. */
static void walk_dirs(const char *top, buflist *dirs)
{
    buflist subs = { 0 };

    list_add(dirs, top, strlen(top));
    list_dir(top, 1, &subs);
    for (size_t i = 0; i < subs.n; i++) {
        char *p = path_join(top, subs.v[i].p);

        walk_dirs(p, dirs);
        free(p);
    }
    list_free(&subs);
}

static int is_scenario_name(const char *name)
{
    size_t n = strlen(name);

    return n >= 5 && strcmp(name + n - 5, ".json") == 0 && strcmp(name, "schema.json") != 0;
}

/* The scenario files, directories in path order and files sorted within
 * each: the order decides which file of a family seeds it. */
static void scenario_files(const char *root, buflist *out)
{
    static const char *const tops[] = { "scenarios", "fixtures/scenarios/good" };

    for (size_t t = 0; t < 2; t++) {
        char *top = path_join(root, tops[t]);
        buflist dirs = { 0 };

        walk_dirs(top, &dirs);
        qsort(dirs.v, dirs.n, sizeof(*dirs.v), cmp_buf);
        for (size_t i = 0; i < dirs.n; i++) {
            buflist files = { 0 };

            list_dir(dirs.v[i].p, 0, &files);
            for (size_t j = 0; j < files.n; j++) {
                char *p;

                if (!is_scenario_name(files.v[j].p))
                    continue;
                p = path_join(dirs.v[i].p, files.v[j].p);
                list_add(out, p, strlen(p));
                free(p);
            }
            list_free(&files);
        }
        list_free(&dirs);
        free(top);
    }
}

/* Every quoted name after WSF_FAULT( in faults.def, in order: the index
 * of a name is what a schedule entry's first byte means. */
static int fault_names(const char *root, buflist *names, char *err, size_t errlen)
{
    static const char tag[] = "WSF_FAULT(\"";
    char *path = path_join(root, "harness/common/faults.def");
    hs_buf text = HS_BUF_INIT;
    const char *s;
    int rc = read_file(path, &text, err, errlen);

    for (s = rc == 0 ? strstr(text.p, tag) : NULL; s; s = strstr(s, tag)) {
        const char *name = s + sizeof(tag) - 1;
        const char *end = strchr(name, '"');

        s++;
        if (!end || end == name)
            continue;
        list_add(names, name, (size_t)(end - name));
        s = end;
    }
    hs_buf_free(&text);
    free(path);
    return rc;
}

/* ---- picking the seeds ---- */

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');

    return slash ? slash + 1 : path;
}

/* The file name without its ".json". */
static char *stem(const char *path)
{
    const char *b = base_name(path);
    size_t n = strlen(b);
    char *s = xstrdup(b);

    s[n > 5 ? n - 5 : 0] = '\0';
    return s;
}

/* How much of path names its family: scenarios that differ only in a number
 * or a detail (the part after the second '-') share one. */
static size_t family_len(const char *path)
{
    const char *b = base_name(path);
    size_t n = strlen(b), k, dashes = 0;

    n = n > 5 ? n - 5 : 0;
    for (k = 0; k < n; k++)
        if (b[k] == '-' && ++dashes == 2)
            break;
    return (size_t)(b - path) + k;
}

static int same_family(const char *a, const char *b)
{
    size_t n = family_len(a);

    return n == family_len(b) && strncmp(a, b, n) == 0;
}

/* One item per family, then evenly spaced down to SCENARIO_SEEDS; the
 * result points into items. */
static size_t pick(const itemlist *items, const seed_item **out)
{
    size_t n = 0;

    for (size_t i = 0; i < items->n; i++) {
        size_t j;

        for (j = 0; j < n && !same_family(out[j]->path, items->v[i].path); j++)
            ;
        if (j == n)
            out[n++] = &items->v[i];
    }
    if (n <= SCENARIO_SEEDS)
        return n;
    for (size_t i = 0; i < SCENARIO_SEEDS; i++)
        out[i] = out[i * n / SCENARIO_SEEDS];
    return SCENARIO_SEEDS;
}

/* ---- the seeds ---- */

/*
 * A "request" step (in the contract's vocabulary) as the send step it is
 * for the reference gateway, whose in-process code the fuzz targets run:
 * {"type", "id", "payload": {"text"}}, a ping, an unknown type, or JSON
 * without a type.
 */
static json_t *request_as_send(const json_t *st)
{
    const char *kind = json_string_value(json_object_get(st, "kind"));
    const json_t *type = json_object_get(st, "type"), *text = json_object_get(st, "text");
    json_t *msg = json_object(), *send;

    kind = kind ? kind : "agent";
    if (strcmp(kind, "invalid_json") == 0) {
        json_decref(msg);
        return json_pack("{s:s,s:s}", "step", "send", "text", "{\"type\": \"chat\", \"id\": ");
    }
    if (strcmp(kind, "invalid_message") != 0)
        json_object_set_new(msg, "type", json_string(strcmp(kind, "ping") == 0 ? "ping"
                                                    : strcmp(kind, "unknown") == 0 ? "teleport"
                                                    : type ? json_string_value(type)
                                                    : "user_message"));
    json_object_set(msg, "id", json_object_get(st, "id"));
    if (strcmp(kind, "invalid_message") == 0 || text)
        json_object_set_new(msg, "payload", text ? json_pack("{s:O}", "text", text)
                                                 : json_object());
    send = json_pack("{s:s,s:o}", "step", "send", "json", msg);
    if (json_object_get(st, "conn"))
        json_object_set(send, "conn", json_object_get(st, "conn"));
    if (json_object_get(st, "repeat"))
        json_object_set(send, "repeat", json_object_get(st, "repeat"));
    return send;
}

/* Every request step of scn replaced by its send step. */
static void requests_as_sends(json_t *scn)
{
    json_t *st;
    size_t i;

    json_array_foreach(json_object_get(scn, "steps"), i, st)
        if (str_is(json_object_get(st, "step"), "request"))
            json_array_set_new(json_object_get(scn, "steps"), i, request_as_send(st));
}

/* What one scenario gives each target; files that are not JSON objects
 * give nothing (the bad fixtures are seeded apart). */
static int take_scenario(const char *path, const buflist *names, itemlist per[T_COUNT],
                         char *err, size_t errlen)
{
    json_t *scn = json_load_file(path, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    buflist lines = { 0 };
    hs_buf data = HS_BUF_INIT;
    int rc = 0;

    if (!json_is_object(scn))
        goto out;
    requests_as_sends(scn);
    rc = read_file(path, &data, err, errlen);
    if (rc < 0)
        goto out;
    items_add(&per[T_SCENARIO], path, &data);
    message_lines(scn, &lines);
    if (lines.n) {
        hs_buf_reset(&data);
        join_lines(&data, &lines);
        buf_byte(&data, '\n');
        items_add(&per[T_MESSAGE], path, &data);
    }
    if (lines.n && (truthy(json_object_get(scn, "faults")) || any_step(scn, "fault", NULL))) {
        hs_buf_reset(&data);
        rc = schedule(scn, names, &data, err, errlen);
        join_lines(&data, &lines);
        if (rc == 0)
            items_add(&per[T_SCHEDULE], path, &data);
    }
    if (rc == 0 && (any_step(scn, NULL, "frame") || any_step(scn, NULL, "raw_hex"))) {
        hs_buf_reset(&data);
        rc = raw_stream(scn, &data, err, errlen);
        if (rc == 0)
            items_add(&per[T_FRAMES], path, &data);
    }
out:
    if (rc < 0 && !strstr(err, path)) {
        char msg[ERRLEN];

        snprintf(msg, sizeof(msg), "%s", err);
        fail(err, errlen, "%s: %s", path, msg);
    }
    list_free(&lines);
    hs_buf_free(&data);
    json_decref(scn);
    return rc;
}

/* A raw frame stream seeds three inputs: frames in one write, frames in
 * 3-byte writes, and the decoder with no payload ceiling. */
static int frames_seeds(const char *root, const seed_item *it, char *err, size_t errlen)
{
    static const struct {
        const char *target, *prefix;
        unsigned char head[2];
        size_t headlen;
    } forms[] = {
        { "frames", "raw-", { 0x00, 0x00 }, 2 },
        { "frames", "raw-chop3-", { 0x00, 0x03 }, 2 },
        { "frame_decode", "", { 0x80 }, 1 },
    };
    char *sid = stem(it->path);
    int rc = 0;

    for (size_t i = 0; rc == 0 && i < sizeof(forms) / sizeof(forms[0]); i++) {
        hs_buf name = HS_BUF_INIT, data = HS_BUF_INIT;

        buf_str(&name, forms[i].prefix);
        buf_str(&name, sid);
        buf_add(&data, forms[i].head, forms[i].headlen);
        buf_add(&data, it->data.p, it->data.len);
        rc = write_seed(root, forms[i].target, name.p, data.p, data.len, err, errlen);
        hs_buf_free(&name);
        hs_buf_free(&data);
    }
    free(sid);
    return rc;
}

static int picked_seeds(const char *root, int target, const itemlist *items, char *err, size_t errlen)
{
    const seed_item **picked = xrealloc(NULL, (items->n + 1) * sizeof(*picked));
    size_t n = pick(items, picked);
    int rc = 0;

    for (size_t i = 0; rc == 0 && i < n; i++) {
        char *sid = stem(picked[i]->path);

        if (target == T_FRAMES)
            rc = frames_seeds(root, picked[i], err, errlen);
        else
            rc = write_seed(root, target_names[target], sid, picked[i]->data.p,
                            picked[i]->data.len, err, errlen);
        free(sid);
    }
    free(picked);
    return rc;
}

/* Every sixth refused fixture: the loader's error paths, kept few. */
static int bad_seeds(const char *root, char *err, size_t errlen)
{
    char *dir = path_join(root, "fixtures/scenarios/bad");
    buflist bad = { 0 };
    int rc = 0;

    list_dir(dir, 0, &bad);
    for (size_t i = 0; rc == 0 && i < bad.n; i += 6) {
        const char *fname = bad.v[i].p;
        char *p = path_join(dir, fname);
        char *sid = stem(fname);
        hs_buf name = HS_BUF_INIT, data = HS_BUF_INIT;

        buf_str(&name, "bad-");
        buf_str(&name, sid);
        rc = read_file(p, &data, err, errlen);
        if (rc == 0)
            rc = write_seed(root, "scenario", name.p, data.p, data.len, err, errlen);
        hs_buf_free(&name);
        hs_buf_free(&data);
        free(sid);
        free(p);
    }
    list_free(&bad);
    free(dir);
    return rc;
}

static int scenario_seeds(const char *root, const buflist *names, char *err, size_t errlen)
{
    itemlist per[T_COUNT] = { { 0 } };
    buflist files = { 0 };
    int rc = 0;

    scenario_files(root, &files);
    for (size_t i = 0; rc == 0 && i < files.n; i++)
        rc = take_scenario(files.v[i].p, names, per, err, errlen);
    for (int t = 0; rc == 0 && t < T_COUNT; t++)
        rc = picked_seeds(root, t, &per[t], err, errlen);
    if (rc == 0)
        rc = bad_seeds(root, err, errlen);
    for (int t = 0; t < T_COUNT; t++)
        items_free(&per[t]);
    list_free(&files);
    return rc;
}

static void lines_of(const char *const *src, buflist *out)
{
    for (; *src; src++)
        list_add(out, *src, strlen(*src));
}

/* framed mode of frames.c: [ctl][len][len2][payload] per message, a 16-bit
 * length (ctl bit 6) past 255 bytes; @binary is one small binary frame and
 * other directives have no frame form. */
static void framed_body(const char *const *lines, hs_buf *out)
{
    for (; *lines; lines++) {
        size_t n = strlen(*lines);

        if (strcmp(*lines, "@binary") == 0) {
            buf_add(out, "\x01\x04\x00\x01\xfe\xff", 6);
            continue;
        }
        if (**lines == '@')
            continue;
        n = n > 0xFFFF ? 0xFFFF : n;
        if (n > 255) {
            buf_byte(out, 0x40);
            buf_byte(out, (unsigned)(n >> 8));
        } else
            buf_byte(out, 0x00);
        buf_byte(out, (unsigned)(n & 0xFF));
        buf_add(out, *lines, n);
    }
}

/* A hand set as a message input, and its messages as client text frames
 * for the decoder (first byte 0x8e: bit 7, no payload ceiling). */
static int hand_set_seeds(const char *root, size_t k, char *err, size_t errlen)
{
    const char *const *ln = hand_sets[k].lines;
    buflist lines = { 0 };
    hs_buf name = HS_BUF_INIT, data = HS_BUF_INIT;
    int rc;

    lines_of(ln, &lines);
    join_lines(&data, &lines);
    buf_byte(&data, '\n');
    rc = write_seed(root, "message", hand_sets[k].name, data.p, data.len, err, errlen);
    hs_buf_reset(&data);
    buf_byte(&data, 0x8e);
    for (; *ln; ln++)
        if (**ln != '@')
            put_plain_frame(&data, HS_OP_TEXT, *ln, strlen(*ln), 1);
    buf_str(&name, "client-");
    buf_str(&name, hand_sets[k].name);
    if (rc == 0)
        rc = write_seed(root, "frame_decode", name.p, data.p, data.len, err, errlen);
    hs_buf_free(&name);
    hs_buf_free(&data);
    list_free(&lines);
    return rc;
}

/* A hand set in frames.c's framed mode, whole in one write, and its first
 * 60 body bytes in 1-byte writes. */
static int framed_seeds(const char *root, size_t k, char *err, size_t errlen)
{
    hs_buf name = HS_BUF_INIT, data = HS_BUF_INIT;
    int rc;

    buf_add(&data, "\x01\x00", 2);
    framed_body(hand_sets[k].lines, &data);
    buf_str(&name, "framed-");
    buf_str(&name, hand_sets[k].name);
    rc = write_seed(root, "frames", name.p, data.p, data.len, err, errlen);
    data.p[1] = 0x01;
    hs_buf_reset(&name);
    buf_str(&name, "framed-chop1-");
    buf_str(&name, hand_sets[k].name);
    if (rc == 0)
        rc = write_seed(root, "frames", name.p, data.p, data.len > 62 ? 62 : data.len,
                        err, errlen);
    hs_buf_free(&name);
    hs_buf_free(&data);
    return rc;
}

/* Each fault point always on over the probe, and the probe with none. */
static int schedule_seeds(const char *root, const buflist *names, char *err, size_t errlen)
{
    buflist probe = { 0 };
    hs_buf tail = HS_BUF_INIT, name = HS_BUF_INIT, data = HS_BUF_INIT;
    int rc = 0;

    lines_of(probe_lines, &probe);
    join_lines(&tail, &probe);
    for (size_t i = 0; rc == 0 && i < names->n; i++) {
        hs_buf_reset(&name);
        hs_buf_reset(&data);
        buf_str(&name, "always-");
        buf_str(&name, names->v[i].p);
        for (char *c = name.p; *c; c++)
            *c = *c == '/' ? '-' : *c;
        buf_byte(&data, 1);
        buf_byte(&data, (unsigned)i);
        buf_byte(&data, MODE_ALWAYS << 5);
        buf_add(&data, tail.p, tail.len);
        rc = write_seed(root, "fault_schedule", name.p, data.p, data.len, err, errlen);
    }
    hs_buf_reset(&data);
    buf_byte(&data, 0);
    buf_add(&data, tail.p, tail.len);
    if (rc == 0)
        rc = write_seed(root, "fault_schedule", "none", data.p, data.len, err, errlen);
    list_free(&probe);
    hs_buf_free(&tail);
    hs_buf_free(&name);
    hs_buf_free(&data);
    return rc;
}

/* Fragmentation (RFC 6455 5.4) with a binary frame cut in, and one long
 * text message in the 16-bit length form. */
static int fixed_framed_seeds(const char *root, char *err, size_t errlen)
{
    static const char fragments[] =
        "\x01\x05"
        "\x08\x0d{\"type\":\"chat"
        "\x03\x02pi"
        "\x02\x0c\",\"id\":\"f1\"}"
        "\x05\x03\x00" "by";
    hs_buf big = HS_BUF_INIT;
    int rc = write_seed(root, "frames", "framed-fragments", fragments, sizeof(fragments) - 1,
                        err, errlen);

    buf_add(&big, "\x01\x00\x40\x21\x00", 5);
    for (int i = 0; i < 0x2100; i++)
        buf_byte(&big, 'x');
    if (rc == 0)
        rc = write_seed(root, "frames", "framed-too-big", big.p, big.len, err, errlen);
    hs_buf_free(&big);
    return rc;
}

/* The decoder on server frames (unmasked, 5.1) and on the 16- and 64-bit
 * length forms (5.2), the latter used for a length that fits in 7 bits. */
static int fixed_decode_seeds(const char *root, char *err, size_t errlen)
{
    static const char pong[] = "{\"type\":\"pong\",\"request_id\":\"p\"}";
    const hs_frame_spec long5 = { .fin = 1, .opcode = HS_OP_BINARY, .masked = 1,
                                  .payload = (const unsigned char *)"hello", .len = 5,
                                  .declared_len = -1, .len_form = 64 };
    hs_buf data = HS_BUF_INIT, xs = HS_BUF_INIT;
    int rc;

    buf_byte(&data, 0x0a);
    put_plain_frame(&data, HS_OP_TEXT, pong, sizeof(pong) - 1, 0);
    put_plain_frame(&data, HS_OP_CLOSE, "\x03\xe8" "bye", 5, 0);
    rc = write_seed(root, "frame_decode", "server", data.p, data.len, err, errlen);
    hs_buf_reset(&data);
    for (int i = 0; i < 300; i++)
        buf_byte(&xs, 'x');
    buf_byte(&data, 0x90);
    put_plain_frame(&data, HS_OP_BINARY, xs.p, xs.len, 1);
    put_frame(&data, long5);
    if (rc == 0)
        rc = write_seed(root, "frame_decode", "long-forms", data.p, data.len, err, errlen);
    hs_buf_free(&data);
    hs_buf_free(&xs);
    return rc;
}

static int hand_seeds(const char *root, const buflist *names, char *err, size_t errlen)
{
    size_t nsets = sizeof(hand_sets) / sizeof(hand_sets[0]);
    int rc = 0;

    for (size_t k = 0; rc == 0 && k < nsets; k++)
        rc = hand_set_seeds(root, k, err, errlen);
    if (rc == 0)
        rc = schedule_seeds(root, names, err, errlen);
    for (size_t k = 0; rc == 0 && k < nsets; k++)
        if (hand_sets[k].framed)
            rc = framed_seeds(root, k, err, errlen);
    if (rc == 0)
        rc = fixed_framed_seeds(root, err, errlen);
    if (rc == 0)
        rc = fixed_decode_seeds(root, err, errlen);
    return rc;
}

int main(int argc, char **argv)
{
    static const char *const all[] = { "message", "fault_schedule", "frames", "scenario",
                                       "frame_decode" };
    const char *root = argc > 1 ? argv[1] : ".";
    buflist names = { 0 };
    char err[ERRLEN] = "";
    int rc = fault_names(root, &names, err, sizeof(err));

    for (size_t t = 0; rc == 0 && t < sizeof(all) / sizeof(all[0]); t++)
        rc = clear_seeds(root, all[t], err, sizeof(err));
    if (rc == 0)
        rc = scenario_seeds(root, &names, err, sizeof(err));
    if (rc == 0)
        rc = hand_seeds(root, &names, err, sizeof(err));
    list_free(&names);
    if (rc < 0) {
        fprintf(stderr, "gen-corpus: %s\n", err);
        return 1;
    }
    return 0;
}

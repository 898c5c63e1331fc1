/*
 * hs_deflate: permessage-deflate negotiation and codecs (see hs_deflate.h).
 */
#include "wire/hs_deflate.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <zlib.h>

#define PMD_NAME "permessage-deflate"
#define WORD_MAX 64            /* longest extension or parameter name/value */
#define ITEMS_MAX 16           /* extensions in one header */
#define PARAMS_MAX 16          /* parameters of one extension */
#define WINDOW_MAX (1u << HS_PMD_MAX_BITS)

/* RFC 7692 7.2.1: the tail a sync flush leaves, removed before sending. */
static const unsigned char sync_tail[4] = { 0x00, 0x00, 0xff, 0xff };

typedef struct ext_param {
    char name[WORD_MAX];
    char value[WORD_MAX];
    int has_value;
} ext_param;

typedef struct ext_item {
    char name[WORD_MAX];
    ext_param p[PARAMS_MAX];
    int np;
} ext_item;

typedef struct ext_list {
    ext_item v[ITEMS_MAX];
    int n;
} ext_list;

struct hs_pmd_codec {
    z_stream z;
    int compress;
    int no_context;
    int used;                  /* a message went through already */
};

static int fail(char *err, size_t errlen, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t errlen, int code, const char *fmt, ...)
{
    va_list ap;

    if (err != NULL && errlen > 0) {
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return code;
}

/* ---- the extension-list grammar (RFC 6455 9.1) ----------------------------- */

static int is_tchar(int c)
{
    return c > 0 && (isalnum(c) || strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static const char *skip_ows(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

/* A token into out; NULL when there is none or it is too long. */
static const char *read_token(const char *p, char *out, size_t len)
{
    size_t n = 0;

    while (is_tchar((unsigned char)p[n]))
        n++;
    if (n == 0 || n >= len)
        return NULL;
    memcpy(out, p, n);
    out[n] = '\0';
    return p + n;
}

/*
 * A quoted-string (p at the opening quote) unescaped into out. RFC 6455
 * 9.1: once unescaped it must still be a token.
 */
static const char *read_quoted(const char *p, char *out, size_t len)
{
    size_t n = 0;

    for (p++; *p != '"'; p++) {
        if (*p == '\\')
            p++;
        if (*p == '\0' || n + 1 >= len || !is_tchar((unsigned char)*p))
            return NULL;
        out[n++] = *p;
    }
    out[n] = '\0';
    return n > 0 ? p + 1 : NULL;
}

/* One ";" parameter (p just after the ';'); returns the end or NULL. */
static const char *read_param(const char *p, ext_item *it)
{
    ext_param *pa;

    if (it->np == PARAMS_MAX)
        return NULL;
    pa = &it->p[it->np++];
    memset(pa, 0, sizeof(*pa));
    p = read_token(skip_ows(p), pa->name, sizeof(pa->name));
    if (p == NULL)
        return NULL;
    p = skip_ows(p);
    if (*p != '=')
        return p;
    pa->has_value = 1;
    p = skip_ows(p + 1);
    p = *p == '"' ? read_quoted(p, pa->value, sizeof(pa->value))
                  : read_token(p, pa->value, sizeof(pa->value));
    return p != NULL ? skip_ows(p) : NULL;
}

/* One extension with its parameters; returns the end or NULL. */
static const char *read_item(const char *p, ext_item *it)
{
    memset(it, 0, sizeof(*it));
    p = read_token(p, it->name, sizeof(it->name));
    if (p == NULL)
        return NULL;
    p = skip_ows(p);
    while (p != NULL && *p == ';')
        p = read_param(p + 1, it);
    return p;
}

/* A whole header value; empty list elements are allowed (RFC 7230 7). */
static int parse_list(const char *s, ext_list *l, char *err, size_t errlen)
{
    const char *p = s;

    l->n = 0;
    for (;;) {
        p = skip_ows(p);
        if (*p == ',') {
            p++;
            continue;
        }
        if (*p == '\0')
            return HS_PMD_OK;
        if (l->n == ITEMS_MAX)
            return fail(err, errlen, HS_PMD_INVALID, "more than %d extensions",
                        ITEMS_MAX);
        p = read_item(p, &l->v[l->n]);
        if (p == NULL || (*p != ',' && *p != '\0'))
            return fail(err, errlen, HS_PMD_INVALID, "extension %d does not follow "
                        "the grammar of RFC 6455 9.1", l->n + 1);
        l->n++;
    }
}

/* ---- permessage-deflate parameters (RFC 7692 7.1) ------------------------- */

/* A window size value: decimal digits, 8..15; -1 when it is not one. */
static int bits_value(const ext_param *pa)
{
    long v;
    char *end;

    if (!pa->has_value || !isdigit((unsigned char)pa->value[0]))
        return -1;
    v = strtol(pa->value, &end, 10);
    if (*end != '\0' || v < HS_PMD_MIN_BITS || v > HS_PMD_MAX_BITS)
        return -1;
    return (int)v;
}

static const char *const param_names[] = {
    "server_no_context_takeover", "client_no_context_takeover",
    "server_max_window_bits", "client_max_window_bits", NULL
};

/*
 * Store one parameter; an offer may give client_max_window_bits without a
 * value, an answer may not (RFC 7692 7.1.2.2).
 */
static int store_param(const ext_param *pa, int k, int answer, hs_pmd_params *p,
                       char *err, size_t errlen)
{
    int bits = bits_value(pa);

    if (k < 2 && pa->has_value)
        return fail(err, errlen, HS_PMD_INVALID, "%s takes no value (RFC 7692 7.1.1)",
                    param_names[k]);
    if (k == 0)
        p->server_no_context_takeover = 1;
    else if (k == 1)
        p->client_no_context_takeover = 1;
    else if (k == 3 && !answer && !pa->has_value)
        p->client_max_window_bits = HS_PMD_BITS_NOVALUE;
    else if (bits < 0)
        return fail(err, errlen, HS_PMD_INVALID, "%s needs a value from 8 to 15 "
                    "(RFC 7692 7.1.2)", param_names[k]);
    else if (k == 2)
        p->server_max_window_bits = bits;
    else
        p->client_max_window_bits = bits;
    return HS_PMD_OK;
}

/* The parameters of one permessage-deflate element; unknown or repeated ones
 * make it invalid (RFC 7692 7: "MUST NOT" accept, "MUST fail"). */
static int params_of(const ext_item *it, int answer, hs_pmd_params *p, char *err,
                     size_t errlen)
{
    int seen[4] = { 0 }, k;

    memset(p, 0, sizeof(*p));
    for (int i = 0; i < it->np; i++) {
        for (k = 0; param_names[k] != NULL; k++)
            if (strcasecmp(it->p[i].name, param_names[k]) == 0)
                break;
        if (param_names[k] == NULL)
            return fail(err, errlen, HS_PMD_INVALID, "unknown parameter \"%s\" "
                        "(RFC 7692 7.1)", it->p[i].name);
        if (seen[k]++)
            return fail(err, errlen, HS_PMD_INVALID, "parameter %s given twice "
                        "(RFC 7692 7)", param_names[k]);
        if (store_param(&it->p[i], k, answer, p, err, errlen) != HS_PMD_OK)
            return HS_PMD_INVALID;
    }
    return HS_PMD_OK;
}

/* Does the answer a honour the offer o? When not, why says which rule. */
static int answer_fits(const hs_pmd_params *o, const hs_pmd_params *a, char *why,
                       size_t len)
{
    if (o->server_no_context_takeover && !a->server_no_context_takeover)
        return fail(why, len, 0, "the offer asked for server_no_context_takeover and "
                    "the answer lacks it (RFC 7692 7.1.1.1)");
    if (o->server_max_window_bits > 0 &&
        (a->server_max_window_bits == 0 ||
         a->server_max_window_bits > o->server_max_window_bits))
        return fail(why, len, 0, "the offer limited server_max_window_bits to %d and "
                    "the answer does not stay within it (RFC 7692 7.1.2.1)",
                    o->server_max_window_bits);
    if (a->client_max_window_bits > 0 && o->client_max_window_bits == 0)
        return fail(why, len, 0, "client_max_window_bits in the answer, but the "
                    "offer had none (RFC 7692 7.1.2.2)");
    if (a->client_max_window_bits > 0 && o->client_max_window_bits > 0 &&
        a->client_max_window_bits > o->client_max_window_bits)
        return fail(why, len, 0, "client_max_window_bits %d in the answer is above "
                    "the %d offered (RFC 7692 7.1.2.2)", a->client_max_window_bits,
                    o->client_max_window_bits);
    return 1;
}

int hs_pmd_offer(const hs_pmd_params *p, char *out, size_t len)
{
    int cb = p->client_max_window_bits, sb = p->server_max_window_bits, n;

    if ((sb != 0 && (sb < HS_PMD_MIN_BITS || sb > HS_PMD_MAX_BITS)) ||
        (cb != 0 && cb != HS_PMD_BITS_NOVALUE &&
         (cb < HS_PMD_MIN_BITS || cb > HS_PMD_MAX_BITS)))
        return HS_PMD_ERR;
    n = snprintf(out, len, PMD_NAME "%s%s", p->server_no_context_takeover ?
                 "; server_no_context_takeover" : "", p->client_no_context_takeover ?
                 "; client_no_context_takeover" : "");
    if (n >= 0 && (size_t)n < len && sb != 0)
        n += snprintf(out + n, len - (size_t)n, "; server_max_window_bits=%d", sb);
    if (n >= 0 && (size_t)n < len && cb == HS_PMD_BITS_NOVALUE)
        n += snprintf(out + n, len - (size_t)n, "; client_max_window_bits");
    else if (n >= 0 && (size_t)n < len && cb != 0)
        n += snprintf(out + n, len - (size_t)n, "; client_max_window_bits=%d", cb);
    return n >= 0 && (size_t)n < len ? HS_PMD_OK : HS_PMD_ERR;
}

static int offered(const ext_list *offer, const char *name)
{
    for (int i = 0; i < offer->n; i++)
        if (strcasecmp(offer->v[i].name, name) == 0)
            return 1;
    return 0;
}

/* Every extension in the answer must have been offered (RFC 6455 4.1);
 * returns the one permessage-deflate element, NULL when there is none. */
static const ext_item *answer_item(const ext_list *offer, const ext_list *answer,
                                   int *bad, char *err, size_t errlen)
{
    const ext_item *pmd = NULL;

    for (int i = 0; i < answer->n; i++) {
        const ext_item *it = &answer->v[i];

        if (!offered(offer, it->name)) {
            *bad = fail(err, errlen, HS_PMD_INVALID, "the answer names extension "
                        "\"%s\", which was not offered (RFC 6455 4.1)", it->name);
            return NULL;
        }
        if (strcasecmp(it->name, PMD_NAME) != 0)
            continue;
        if (pmd != NULL) {
            *bad = fail(err, errlen, HS_PMD_INVALID, PMD_NAME " appears twice in "
                        "the answer (RFC 6455 9.1)");
            return NULL;
        }
        pmd = it;
    }
    return pmd;
}

/* Is the answer a allowed by at least one usable offer? */
static int fits_some_offer(const ext_list *offer, const hs_pmd_params *a, char *err,
                           size_t errlen)
{
    hs_pmd_params o;
    char why[200] = "no offer of " PMD_NAME " could be accepted";

    for (int i = 0; i < offer->n; i++) {
        if (strcasecmp(offer->v[i].name, PMD_NAME) != 0 ||
            params_of(&offer->v[i], 0, &o, NULL, 0) != HS_PMD_OK)
            continue;
        if (answer_fits(&o, a, why, sizeof(why)))
            return 1;
    }
    fail(err, errlen, 0, "%s", why);
    return 0;
}

static int judge_lists(const ext_list *ol, const ext_list *al, int *agreed,
                       hs_pmd_params *params, char *err, size_t errlen)
{
    const ext_item *pmd;
    int bad = HS_PMD_OK;

    pmd = answer_item(ol, al, &bad, err, errlen);
    if (bad != HS_PMD_OK || pmd == NULL)
        return bad;
    if (params_of(pmd, 1, params, err, errlen) != HS_PMD_OK)
        return HS_PMD_INVALID;
    if (!fits_some_offer(ol, params, err, errlen))
        return HS_PMD_INVALID;
    *agreed = 1;
    return HS_PMD_OK;
}

int hs_pmd_negotiate(const char *offer, const char *answer, int *agreed,
                     hs_pmd_params *params, char *err, size_t errlen)
{
    ext_list *ol = NULL, *al = NULL;
    int rc;

    *agreed = 0;
    memset(params, 0, sizeof(*params));
    if (answer == NULL || *skip_ows(answer) == '\0')
        return HS_PMD_OK;
    ol = calloc(1, sizeof(*ol));
    al = calloc(1, sizeof(*al));
    rc = ol != NULL && al != NULL ? HS_PMD_OK : HS_PMD_NOMEM;
    if (rc == HS_PMD_OK && offer != NULL && parse_list(offer, ol, err, errlen) != HS_PMD_OK)
        rc = fail(err, errlen, HS_PMD_ERR, "our own offer does not parse");
    if (rc == HS_PMD_OK)
        rc = parse_list(answer, al, err, errlen);
    if (rc == HS_PMD_OK)
        rc = judge_lists(ol, al, agreed, params, err, errlen);
    free(ol);
    free(al);
    return rc;
}

/* ---- codecs -------------------------------------------------------------- */

int hs_pmd_codec_new(int compress, int window_bits, int no_context,
                     hs_pmd_codec **out)
{
    hs_pmd_codec *c = calloc(1, sizeof(*c));
    int bits = window_bits > 0 ? window_bits : HS_PMD_MAX_BITS, r;

    *out = NULL;
    if (c == NULL)
        return HS_PMD_NOMEM;
    if (bits < HS_PMD_MIN_BITS || bits > HS_PMD_MAX_BITS) {
        free(c);
        return HS_PMD_ERR;
    }
    c->compress = compress;
    c->no_context = no_context;
    /* zlib refuses a raw 8-bit window; with 9 its matches reach at most
     * 250 bytes back (512 less its 262-byte lookahead), within 256. */
    if (compress)
        r = deflateInit2(&c->z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, bits == 8 ? -9 : -bits,
                         8, Z_DEFAULT_STRATEGY);
    else
        r = inflateInit2(&c->z, -HS_PMD_MAX_BITS);
    if (r != Z_OK) {
        free(c);
        return r == Z_MEM_ERROR ? HS_PMD_NOMEM : HS_PMD_ERR;
    }
    *out = c;
    return HS_PMD_OK;
}

void hs_pmd_codec_free(hs_pmd_codec *c)
{
    if (c == NULL)
        return;
    if (c->compress)
        deflateEnd(&c->z);
    else
        inflateEnd(&c->z);
    free(c);
}

/* Double the output buffer; 0, or -1 when memory runs out. */
static int grow(unsigned char **buf, size_t *cap, size_t used, z_stream *z)
{
    size_t ncap = *cap * 2;
    unsigned char *nb = realloc(*buf, ncap + 1);

    if (nb == NULL)
        return -1;
    *buf = nb;
    *cap = ncap;
    z->next_out = nb + used;
    z->avail_out = (uInt)(ncap - used);
    return 0;
}

int hs_pmd_compress(hs_pmd_codec *c, const unsigned char *in, size_t n,
                    unsigned char **out, size_t *outlen)
{
    size_t cap = deflateBound(&c->z, (uLong)n) + 64;
    unsigned char *buf = NULL;
    int r, rc = HS_PMD_ERR;

    *out = NULL;
    if (!c->compress)
        return HS_PMD_ERR;
    buf = malloc(cap + 1);
    if (buf == NULL)
        return HS_PMD_NOMEM;
    if (c->no_context && c->used)
        deflateReset(&c->z);
    c->used = 1;
    c->z.next_in = (unsigned char *)in;
    c->z.avail_in = (uInt)n;
    c->z.next_out = buf;
    c->z.avail_out = (uInt)cap;
    for (;;) {
        r = deflate(&c->z, Z_SYNC_FLUSH);
        rc = HS_PMD_ERR;
        if (r != Z_OK && r != Z_BUF_ERROR)
            goto error;
        if (c->z.avail_in == 0 && c->z.avail_out > 0)
            break;
        rc = HS_PMD_NOMEM;
        if (grow(&buf, &cap, cap - c->z.avail_out, &c->z) != 0)
            goto error;
    }
    *outlen = cap - c->z.avail_out;
    if (*outlen >= 4 && memcmp(buf + *outlen - 4, sync_tail, 4) == 0)
        *outlen -= 4;
    /* zlib writes nothing for an empty message after a flush: the empty
     * stored block must still be there (RFC 7692 7.2.3.6). */
    if (*outlen == 0) {
        buf[0] = 0x00;
        *outlen = 1;
    }
    *out = buf;
    return HS_PMD_OK;
error:
    free(buf);
    return rc;
}

/*
 * A block with BFINAL set ended the stream (RFC 7692 7.2.3.4): start a new
 * one that keeps the LZ77 window, as the message's next bytes (and the next
 * messages) may refer to it.
 */
static int restart_keeping_window(z_stream *z)
{
    unsigned char *dict = malloc(WINDOW_MAX);
    uInt len = WINDOW_MAX;
    int r = dict != NULL ? inflateGetDictionary(z, dict, &len) : Z_MEM_ERROR;

    if (r == Z_OK)
        r = inflateReset(z);
    if (r == Z_OK && len > 0)
        r = inflateSetDictionary(z, dict, len);
    free(dict);
    return r;
}

/* Run the inflater over what next_in holds; the output grows up to max. */
static int inflate_all(hs_pmd_codec *c, unsigned char **buf, size_t *cap, size_t max,
                       char *err, size_t errlen)
{
    z_stream *z = &c->z;
    int r;

    for (;;) {
        if (z->avail_out == 0 && *cap > max)
            return HS_PMD_TOO_BIG;
        if (z->avail_out == 0 && grow(buf, cap, *cap, z) != 0)
            return HS_PMD_NOMEM;
        r = inflate(z, Z_SYNC_FLUSH);
        /* What is left after a final block is only the tail we appended. */
        if (r == Z_STREAM_END && z->avail_in <= sizeof(sync_tail))
            return HS_PMD_OK;
        if (r == Z_STREAM_END && restart_keeping_window(z) == Z_OK)
            continue;
        if (r != Z_OK && r != Z_BUF_ERROR)
            return fail(err, errlen, HS_PMD_INVALID, "the payload does not inflate: "
                        "%s (RFC 7692 7.2.2)", z->msg != NULL ? z->msg : "bad data");
        if (z->avail_in == 0 && z->avail_out > 0)
            return HS_PMD_OK;
    }
}

int hs_pmd_inflate(hs_pmd_codec *c, const unsigned char *in, size_t n,
                   size_t max, unsigned char **out, size_t *outlen, char *err,
                   size_t errlen)
{
    unsigned char *joined = malloc(n + sizeof(sync_tail)), *buf = NULL;
    size_t cap = n < 4096 ? 16384 : 4 * n;
    int rc = HS_PMD_NOMEM;

    *out = NULL;
    if (cap > max + 1)
        cap = max + 1;
    buf = malloc(cap + 1);
    if (joined == NULL || buf == NULL || c->compress)
        goto out;
    if (c->no_context && c->used)
        inflateReset(&c->z);
    c->used = 1;
    if (n > 0)
        memcpy(joined, in, n);
    memcpy(joined + n, sync_tail, sizeof(sync_tail));
    c->z.next_in = joined;
    c->z.avail_in = (uInt)(n + sizeof(sync_tail));
    c->z.next_out = buf;
    c->z.avail_out = (uInt)cap;
    rc = inflate_all(c, &buf, &cap, max, err, errlen);
    *outlen = cap - c->z.avail_out;
    if (rc == HS_PMD_OK && *outlen > max)
        rc = HS_PMD_TOO_BIG;
out:
    free(joined);
    if (rc != HS_PMD_OK) {
        free(buf);
        return c->compress ? HS_PMD_ERR : rc;
    }
    buf[*outlen] = 0;
    *out = buf;
    return HS_PMD_OK;
}

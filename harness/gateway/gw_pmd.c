/*
 * gw_pmd: the permessage-deflate offer the gateway takes, and lws 4.1.6's
 * extension set up to honour it. See gw_pmd.h.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gw_pmd.h"

#define PMD_NAME "permessage-deflate"
#define HEADER_MAX 256         /* lws 4.1.6 fails a longer list on its own */
#define MAX_OFFERS 16          /* more than HEADER_MAX bytes can hold */
#define PARAM_MAX 64
#define ANSWER_MIN_BITS 9      /* zlib cannot deflate with an 8-bit window */
#define INFLATE_BITS "15"      /* inflates whatever window the client used */

typedef struct offer {
    int has_params;
    int valid;                 /* RFC 7692 7.1, spelled so lws echoes it */
    int seen;                  /* bit per parameter seen */
    int snct, cnct, sbits;
} offer;

/*
 * What lws answers: it echoes the name of each entry that a parameter of
 * the confirmed offer starts with, when gw_pmd_callback says yes. Window
 * sizes are spelled out with their value because lws echoes names only.
 */
static const struct lws_ext_options answer_params[] = {
    { "server_no_context_takeover", EXTARG_NONE },
    { "client_no_context_takeover", EXTARG_NONE },
    { "server_max_window_bits=9", EXTARG_NONE },
    { "server_max_window_bits=10", EXTARG_NONE },
    { "server_max_window_bits=11", EXTARG_NONE },
    { "server_max_window_bits=12", EXTARG_NONE },
    { "server_max_window_bits=13", EXTARG_NONE },
    { "server_max_window_bits=14", EXTARG_NONE },
    { "server_max_window_bits=15", EXTARG_NONE },
    { NULL, EXTARG_NONE }
};

/* ---- choosing the offer ----------------------------------------------- */

/* Only characters lws 4.1.6 splits as RFC 6455 9.1 does: no tabs, no
 * quoted strings (lws would cut one at a comma inside it). */
static int plain(const char *h)
{
    for (; *h; h++)
        if (!isalnum((unsigned char)*h) && strchr("!#$%&'*+-.^_`|~ ,;=", *h) == NULL)
            return 0;
    return 1;
}

/* A window size as lws' echo table spells it: 8..15, no leading zero. */
static int bits_value(const char *v)
{
    char *end;
    long n = strtol(v, &end, 10);

    if (!isdigit((unsigned char)v[0]) || v[0] == '0' || *end != '\0' || n < 8 || n > 15)
        return -1;
    return (int)n;
}

/* Note parameter k (0..3 in RFC 7692 7.1's order); none may come twice. */
static int once(offer *o, int k)
{
    if (o->seen & (1 << k))
        return -1;
    o->seen |= 1 << k;
    return 0;
}

/* The window size of a server_max_window_bits parameter, or -1. */
static int server_bits(const char *value)
{
    return value != NULL ? bits_value(value) : -1;
}

/* One parameter, "name" or "name=value" (RFC 7692 7.1); -1 when invalid
 * or spelled with blanks lws would not echo as they stand. */
static int read_param(const char *p, size_t n, offer *o)
{
    char buf[PARAM_MAX], *value;

    if (n == 0 || n >= sizeof(buf) || memchr(p, ' ', n) != NULL)
        return -1;
    memcpy(buf, p, n);
    buf[n] = '\0';
    value = strchr(buf, '=');
    if (value != NULL)
        *value++ = '\0';
    if (strcmp(buf, "server_no_context_takeover") == 0 && value == NULL) {
        o->snct = 1;
        return once(o, 0);
    }
    if (strcmp(buf, "client_no_context_takeover") == 0 && value == NULL) {
        o->cnct = 1;
        return once(o, 1);
    }
    if (strcmp(buf, "server_max_window_bits") == 0) {
        o->sbits = server_bits(value);
        return o->sbits < 0 ? -1 : once(o, 2);
    }
    /* A hint of the client's own window: nothing to answer. */
    if (strcmp(buf, "client_max_window_bits") == 0)
        return value != NULL && bits_value(value) < 0 ? -1 : once(o, 3);
    return -1;
}

static const char *trim_left(const char *s, const char *e)
{
    while (s < e && *s == ' ')
        s++;
    return s;
}

static const char *trim_right(const char *s, const char *e)
{
    while (e > s && e[-1] == ' ')
        e--;
    return e;
}

/* The parameters after the name, each after a ";". */
static void read_params(const char *semi, const char *e, offer *o)
{
    while (semi != NULL) {
        const char *p = semi + 1;
        const char *next = memchr(p, ';', (size_t)(e - p));
        const char *pe = next ? next : e;

        p = trim_left(p, pe);
        pe = trim_right(p, pe);
        if (read_param(p, (size_t)(pe - p), o) != 0)
            o->valid = 0;
        semi = next;
    }
}

/*
 * One element of the list, s..e: 1 an offer of permessage-deflate (o
 * filled), 0 another extension, -1 a name with blanks inside, which lws
 * reads without them (so its offers would not be the ones counted here).
 */
static int read_element(const char *s, const char *e, offer *o)
{
    const char *semi, *name_end;

    s = trim_left(s, e);
    e = trim_right(s, e);
    semi = memchr(s, ';', (size_t)(e - s));
    name_end = trim_right(s, semi ? semi : e);
    if (memchr(s, ' ', (size_t)(name_end - s)) != NULL)
        return -1;
    if ((size_t)(name_end - s) != strlen(PMD_NAME) || memcmp(s, PMD_NAME, strlen(PMD_NAME)))
        return 0;
    memset(o, 0, sizeof(*o));
    o->has_params = semi != NULL;
    o->valid = 1;
    read_params(semi, e, o);
    return 1;
}

/*
 * Can lws be made to answer this offer exactly? It must be valid, ask for
 * a window the deflater can use, and have parameters when another offer
 * follows: lws stops reading after the parameters of the offer it agrees
 * to, but after a bare one it reads on and fails the handshake at the next
 * permessage-deflate ("mentioned twice").
 */
static int acceptable(const offer *o, int more)
{
    return o->valid && (o->sbits == 0 || o->sbits >= ANSWER_MIN_BITS) &&
           (o->has_params || !more);
}

/* The offers in the list, in order; -1 when lws would read them otherwise. */
static int read_offers(const char *h, offer *offers)
{
    int n = 0;

    if (!plain(h) || strlen(h) >= HEADER_MAX)
        return -1;
    for (const char *s = h; *s; ) {
        const char *e = s + strcspn(s, ",");
        int r = read_element(s, e, &offers[n]);

        if (r < 0)
            return -1;
        if (r == 1 && ++n == MAX_OFFERS)
            return -1;
        s = *e ? e + 1 : e;
    }
    return n;
}

int gw_pmd_choose(const char *header, gw_pmd_conn *st)
{
    offer offers[MAX_OFFERS];
    int n = read_offers(header, offers);

    st->offer = 0;
    st->server_no_context = st->client_no_context = st->server_bits = 0;
    for (int i = 0; i < n; i++) {
        if (!acceptable(&offers[i], i + 1 < n))
            continue;
        st->offer = i + 1;
        st->server_no_context = offers[i].snct;
        st->client_no_context = offers[i].cnct;
        st->server_bits = offers[i].sbits;
        break;
    }
    return st->offer;
}

int gw_pmd_confirm(struct lws *wsi, gw_pmd_conn *st)
{
    char h[HEADER_MAX];

    if (st->seen++ == 0) {
        if (lws_hdr_copy(wsi, h, sizeof(h), WSI_TOKEN_EXTENSIONS) < 0)
            h[0] = '\0';
        gw_pmd_choose(h, st);
    }
    return st->seen == st->offer ? 0 : 1;
}

/* ---- lws' extension, set up ------------------------------------------- */

/* Set one of lws' own parameters on this connection's extension. */
static void set_lws(struct lws_context *ctx, const struct lws_extension *ext,
                    struct lws *wsi, void *priv, const char *name, const char *value)
{
    struct lws_ext_option_arg oa = { name, 0, value, (int)strlen(value) };

    lws_extension_callback_pm_deflate(ctx, ext, wsi, LWS_EXT_CB_NAMED_OPTION_SET, priv,
                                      &oa, 0);
}

/*
 * lws builds its state, then answers from our table; each direction
 * forgets its window when the RFC says, which lws keys on the other
 * direction's parameter (RFC 7692 7.1.1.1, 7.1.1.2).
 */
static int construct(const gw_pmd_conn *st, struct lws_context *ctx,
                     const struct lws_extension *ext, struct lws *wsi, void *user, void *in)
{
    int rc = lws_extension_callback_pm_deflate(ctx, ext, wsi, LWS_EXT_CB_CONSTRUCT, user,
                                               in, 0);
    void *priv;

    if (rc != 0 || st == NULL)
        return rc;
    if (in != NULL)
        *(const struct lws_ext_options **)in = answer_params;
    priv = *(void **)user;
    if (st->server_no_context)
        set_lws(ctx, ext, wsi, priv, "client_no_context_takeover", "1");
    if (st->client_no_context)
        set_lws(ctx, ext, wsi, priv, "server_no_context_takeover", "1");
    return 0;
}

/* 0: echo the parameter of answer_params at this index. */
static int echo(const gw_pmd_conn *st, const struct lws_ext_option_arg *oa)
{
    if (oa->option_index == 0)
        return !st->server_no_context;
    if (oa->option_index == 1)
        return !st->client_no_context;
    return st->server_bits != ANSWER_MIN_BITS + oa->option_index - 2;
}

/*
 * lws inflates and deflates with one window size: the largest while
 * inflating, the agreed one while deflating (each applies when zlib's
 * stream is set up, lazily, by the call that follows).
 */
static void window_for(const gw_pmd_conn *st, struct lws_context *ctx,
                       const struct lws_extension *ext, struct lws *wsi, void *priv,
                       int deflating)
{
    char bits[4];

    if (st == NULL || st->server_bits == 0)
        return;
    snprintf(bits, sizeof(bits), "%d", st->server_bits);
    set_lws(ctx, ext, wsi, priv, "server_max_window_bits", deflating ? bits : INFLATE_BITS);
}

int gw_pmd_callback(gw_pmd_conn *st, struct lws_context *ctx,
                    const struct lws_extension *ext, struct lws *wsi,
                    enum lws_extension_callback_reasons reason, void *user,
                    void *in, size_t len)
{
    switch (reason) {
    case LWS_EXT_CB_CONSTRUCT:
        return construct(st, ctx, ext, wsi, user, in);
    case LWS_EXT_CB_OPTION_SET:
        /* Indices into answer_params, not lws' table: not lws' to see. */
        return st ? echo(st, in) : 1;
    case LWS_EXT_CB_PAYLOAD_RX:
    case LWS_EXT_CB_PAYLOAD_TX:
        window_for(st, ctx, ext, wsi, user, reason == LWS_EXT_CB_PAYLOAD_TX);
        break;
    default:
        break;
    }
    return lws_extension_callback_pm_deflate(ctx, ext, wsi, reason, user, in, len);
}

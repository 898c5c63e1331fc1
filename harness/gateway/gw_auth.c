/*
 * gw_auth: token checks through libjwt. See gw_auth.h.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jwt.h>

#include "gw_auth.h"
#include "gw_faults.h"

const char *gw_auth_bearer(const char *value)
{
    if (!value || strncasecmp(value, "Bearer ", 7) != 0)
        return NULL;
    value += 7;
    while (*value == ' ')
        value++;
    return *value ? value : NULL;
}

/*
 * What a decoded token says, kept so that the same token (a client that
 * reconnects, a storm of them) is decoded and its signature checked once.
 * The whole token and secret are the key, compared byte for byte: a token
 * that differs anywhere is decoded afresh. exp is checked on every use.
 */
typedef struct verdict {
    char *token;            /* NULL: empty slot */
    char *secret;
    int signed_ok;          /* the signature held under secret */
    int hs256;
    char sub[GW_AUTH_MAX_SUB];  /* "" when absent or oversized */
    int has_exp;
    long exp;
} verdict;

#define CACHE_SLOTS 64
static verdict cache[CACHE_SLOTS];

/* FNV-1a: picks a slot, never decides a match. */
static size_t slot_of(const char *token)
{
    uint64_t h = 1469598103934665603ULL;

    for (const unsigned char *p = (const unsigned char *)token; *p; p++)
        h = (h ^ *p) * 1099511628211ULL;
    return (size_t)(h % CACHE_SLOTS);
}

static void forget(verdict *v)
{
    free(v->token);
    free(v->secret);
    memset(v, 0, sizeof(*v));
}

void gw_auth_forget_all(void)
{
    for (size_t i = 0; i < CACHE_SLOTS; i++)
        forget(&cache[i]);
}

/* Decode token under secret into v (the slot it will live in). */
static int decode(const char *token, const char *secret, verdict *v)
{
    jwt_t *jwt = NULL;
    const char *sub;

    forget(v);
    v->token = strdup(token);
    v->secret = strdup(secret);
    if (!v->token || !v->secret) {
        forget(v);
        return -1;
    }
    /* With a key, libjwt verifies the signature and refuses alg "none". */
    if (jwt_decode(&jwt, token, (const unsigned char *)secret, (int)strlen(secret)) != 0 ||
        !jwt)
        return 0;
    v->signed_ok = 1;
    v->hs256 = jwt_get_alg(jwt) == JWT_ALG_HS256;
    sub = jwt_get_grant(jwt, "sub");
    if (sub && strlen(sub) < sizeof(v->sub))
        snprintf(v->sub, sizeof(v->sub), "%s", sub);
    errno = 0;
    v->exp = jwt_get_grant_int(jwt, "exp");
    v->has_exp = errno == 0;
    jwt_free(jwt);
    return 0;
}

static const verdict *lookup(const char *token, const char *secret)
{
    verdict *v = &cache[slot_of(token)];

    if (v->token && strcmp(v->token, token) == 0 && strcmp(v->secret, secret) == 0)
        return v;
    return decode(token, secret, v) == 0 ? v : NULL;
}

/* Claims once the signature holds: HS256 only, sub present, exp honoured. */
static int check_claims(const verdict *v, time_t now, char *user, size_t userlen,
                        char *why, size_t whylen)
{
    if (!v->signed_ok) {
        snprintf(why, whylen, "token malformed or signature invalid");
        return GW_AUTH_REJECT;
    }
    if (!v->hs256) {
        snprintf(why, whylen, "algorithm is not HS256");
        return GW_AUTH_REJECT;
    }
    if (!v->sub[0] || strlen(v->sub) >= userlen) {
        snprintf(why, whylen, "missing or oversized sub claim");
        return GW_AUTH_REJECT;
    }
    if (v->has_exp && v->exp <= (long)now) {
        snprintf(why, whylen, "token expired");
        return GW_AUTH_REJECT;
    }
    snprintf(user, userlen, "%s", v->sub);
    return GW_AUTH_OK;
}

int gw_auth_verify(const char *token, const char *secret, time_t now,
                   char *user, size_t userlen, char *why, size_t whylen)
{
    const verdict *v;

    if (!token || !*token) {
        snprintf(why, whylen, "no token");
        return GW_AUTH_REJECT;
    }
    if (strlen(token) > GW_AUTH_MAX_TOKEN) {
        snprintf(why, whylen, "token longer than %d bytes", GW_AUTH_MAX_TOKEN);
        return GW_AUTH_REJECT;
    }
    if (gw_fault("gateway/auth/verify")) {
        snprintf(why, whylen, "token verifier unavailable");
        return GW_AUTH_UNAVAILABLE;
    }
    if (!(v = lookup(token, secret))) {
        snprintf(why, whylen, "token verifier unavailable (out of memory)");
        return GW_AUTH_UNAVAILABLE;
    }
    return check_claims(v, now, user, userlen, why, whylen);
}

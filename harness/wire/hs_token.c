/*
 * hs_token: minting valid and hostile tokens. See hs_token.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jwt.h>
#include <openssl/rand.h>

#include "wire/hs_token.h"

static char *sign(const char *user, const char *secret, long exp_offset)
{
    jwt_t *jwt = NULL;
    char *s = NULL;

    if (jwt_new(&jwt) != 0)
        return NULL;
    if (jwt_add_grant(jwt, "sub", user) == 0 &&
        jwt_add_grant_int(jwt, "exp", (long)time(NULL) + exp_offset) == 0 &&
        jwt_add_grant_int(jwt, "iat", (long)time(NULL)) == 0 &&
        jwt_set_alg(jwt, JWT_ALG_HS256, (const unsigned char *)secret,
                    (int)strlen(secret)) == 0)
        s = jwt_encode_str(jwt);
    jwt_free(jwt);
    return s;
}

/* header.payload. with {"alg":"none"}: what RFC 7519 6.1 calls unsecured. */
static char *alg_none(const char *user)
{
    jwt_t *jwt = NULL;
    char *s = NULL;

    if (jwt_new(&jwt) != 0)
        return NULL;
    if (jwt_add_grant(jwt, "sub", user) == 0 &&
        jwt_add_grant_int(jwt, "exp", (long)time(NULL) + 300) == 0)
        s = jwt_encode_str(jwt);
    jwt_free(jwt);
    return s;
}

/* A valid token whose payload was swapped for another user's: bad signature. */
static char *forged(const char *user, const char *secret)
{
    char other_user[160];
    char *mine = sign(user, secret, 300);
    char *other;

    /* Someone else's identity, whatever the user's own name is. */
    snprintf(other_user, sizeof(other_user), "not-%.150s", user);
    other = sign(other_user, "not-the-secret", 300);
    char *out = NULL;
    char *p1, *p2, *s1, *s2;

    if (!mine || !other)
        goto out;
    p1 = strchr(mine, '.');
    s1 = p1 ? strchr(p1 + 1, '.') : NULL;
    p2 = strchr(other, '.');
    s2 = p2 ? strchr(p2 + 1, '.') : NULL;
    if (!s1 || !s2)
        goto out;
    /* mine's header, other's payload, mine's signature */
    if (asprintf(&out, "%.*s%.*s%s", (int)(p1 - mine), mine, (int)(s2 - p2), p2, s1) < 0)
        out = NULL;
out:
    free(mine);
    free(other);
    return out;
}

static char *oversized(const char *user, const char *secret)
{
    size_t n = 16384;
    char *big = malloc(n + 1);
    char *s;

    if (!big)
        return NULL;
    memset(big, 'u', n);
    big[n] = '\0';
    s = sign(big, secret, 300);
    free(big);
    return s;
}

char *hs_token_make(const char *kind, const char *user, const char *secret,
                    char *err, size_t errlen)
{
    if (strcmp(kind, "valid") == 0)
        return sign(user, secret, 300);
    if (strcmp(kind, "expired") == 0)
        return sign(user, secret, -60);
    /* Valid now, expired 2 s from now: for a client that comes back with it. */
    if (strcmp(kind, "short_lived") == 0)
        return sign(user, secret, 2);
    if (strcmp(kind, "wrong_secret") == 0)
        return sign(user, "a-secret-the-gateway-does-not-know", 300);
    if (strcmp(kind, "forged") == 0)
        return forged(user, secret);
    if (strcmp(kind, "alg_none") == 0)
        return alg_none(user);
    if (strcmp(kind, "garbage") == 0)
        return strdup("not-a-token");
    if (strcmp(kind, "oversized") == 0)
        return oversized(user, secret);
    if (strcmp(kind, "missing") != 0)
        snprintf(err, errlen, "unknown token kind \"%s\" (valid, missing, expired, "
                 "forged, alg_none, wrong_secret, garbage, oversized, short_lived)", kind);
    return NULL;
}

void hs_token_secret(char out[33])
{
    unsigned char b[16];

    if (RAND_bytes(b, sizeof(b)) != 1) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        srand((unsigned)(ts.tv_nsec ^ ts.tv_sec));
        for (size_t i = 0; i < sizeof(b); i++)
            b[i] = (unsigned char)rand();
    }
    for (size_t i = 0; i < sizeof(b); i++)
        snprintf(out + 2 * i, 3, "%02x", b[i]);
}

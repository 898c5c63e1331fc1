/*
 * gw_auth: token checks through libjwt. See gw_auth.h.
 */
#include <errno.h>
#include <stdio.h>
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

/* Claims after the signature holds: HS256 only, sub present, exp honoured. */
static int check_claims(jwt_t *jwt, time_t now, char *user, size_t userlen,
                        char *why, size_t whylen)
{
    const char *sub;
    long exp;

    if (jwt_get_alg(jwt) != JWT_ALG_HS256) {
        snprintf(why, whylen, "algorithm is not HS256");
        return GW_AUTH_REJECT;
    }
    sub = jwt_get_grant(jwt, "sub");
    if (!sub || !*sub || strlen(sub) >= userlen) {
        snprintf(why, whylen, "missing or oversized sub claim");
        return GW_AUTH_REJECT;
    }
    errno = 0;
    exp = jwt_get_grant_int(jwt, "exp");
    if (errno == 0 && exp <= (long)now) {
        snprintf(why, whylen, "token expired");
        return GW_AUTH_REJECT;
    }
    snprintf(user, userlen, "%s", sub);
    return GW_AUTH_OK;
}

int gw_auth_verify(const char *token, const char *secret, time_t now,
                   char *user, size_t userlen, char *why, size_t whylen)
{
    jwt_t *jwt = NULL;
    int rc;

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
    /* With a key, libjwt verifies the signature and refuses alg "none". */
    if (jwt_decode(&jwt, token, (const unsigned char *)secret,
                   (int)strlen(secret)) != 0 || !jwt) {
        snprintf(why, whylen, "token malformed or signature invalid");
        return GW_AUTH_REJECT;
    }
    rc = check_claims(jwt, now, user, userlen, why, whylen);
    jwt_free(jwt);
    return rc;
}

/*
 * gw_auth: HS256 JWT verification, after the upgrade has been accepted.
 *
 * Seed auth-before-accept: production authenticated before accepting the
 * WebSocket, and operations on the not-yet-accepted socket failed. The
 * gateway accepts first, then calls gw_auth_verify; a bad token is closed
 * with 1008, a verifier that itself fails with 1013 (try again later).
 */
#ifndef GW_AUTH_H
#define GW_AUTH_H

#include <stddef.h>
#include <time.h>

#define GW_AUTH_OK 0
#define GW_AUTH_REJECT -1       /* close 1008: policy violation */
#define GW_AUTH_UNAVAILABLE -2  /* close 1013: the verifier failed */

/* Longest token accepted; a larger one is refused before decoding. */
#define GW_AUTH_MAX_TOKEN 4096

/* Longest "sub" claim kept, with its NUL; a longer one is refused. */
#define GW_AUTH_MAX_SUB 256

/*
 * Verify token with the shared secret at time now. On success copies the
 * "sub" claim into user. why says what was wrong (for logs, never for peers).
 *
 * What a token's signature and claims say is kept for the next time the
 * same token comes (a reconnecting client, a storm of them: 64 tokens, by
 * their whole text and secret); its expiry is checked against now every
 * time, and the fault point gateway/auth/verify is consulted before it.
 */
int gw_auth_verify(const char *token, const char *secret, time_t now,
                   char *user, size_t userlen, char *why, size_t whylen);

/* Drop every kept token (tests; a secret that changes needs nothing: it is
 * part of the key). */
void gw_auth_forget_all(void);

/*
 * The token carried by an "Authorization: Bearer T" header value, or NULL.
 * Returns a pointer into value.
 */
const char *gw_auth_bearer(const char *value);

#endif

/*
 * hs_token: the tokens a scenario presents, minted by the judge itself.
 *
 * The judge does not borrow the gateway's code: it signs its own HS256
 * tokens with libjwt and builds the hostile ones (expired, forged, alg none,
 * wrong secret, garbage, oversized) by hand.
 */
#ifndef HS_TOKEN_H
#define HS_TOKEN_H

#include <stddef.h>

/*
 * Mint a token of the given kind for user, signed with secret where the kind
 * is signed at all. Returns a malloc'd string, NULL for "missing" or an
 * unknown kind (err then says which kinds exist).
 */
char *hs_token_make(const char *kind, const char *user, const char *secret,
                    char *err, size_t errlen);

/* A fresh random secret for one target: 32 hex characters. */
void hs_token_secret(char out[33]);

#endif

/*
 * hs_url: the one URL form the harness accepts for a running target,
 * ws://HOST:PORT/PATH (RFC 6455 3). The port is required: a judge that
 * guessed 80 would test whatever else listens there.
 */
#ifndef HS_URL_H
#define HS_URL_H

#include <stddef.h>

/*
 * Parse url into host, port (1-65535) and path ("/" when absent). 0, or -1
 * when it is not of that form or a part does not fit its buffer.
 */
int hs_url_parse_ws(const char *url, char *host, size_t hostlen, int *port,
                    char *path, size_t pathlen);

#endif

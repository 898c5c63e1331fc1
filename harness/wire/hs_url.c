/*
 * hs_url: ws:// URLs. See hs_url.h.
 */
#include "wire/hs_url.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int hs_url_parse_ws(const char *url, char *host, size_t hostlen, int *port,
                    char *path, size_t pathlen)
{
    const char *p, *colon, *slash;
    long n;
    char *end;

    if (strncmp(url, "ws://", 5) != 0)
        return -1;
    p = url + 5;
    slash = strchr(p, '/');
    colon = strchr(p, ':');
    if (!colon || (slash && colon > slash) || (size_t)(colon - p) >= hostlen || colon == p)
        return -1;
    n = strtol(colon + 1, &end, 10);
    if (end == colon + 1 || n < 1 || n > 65535 || (*end && *end != '/'))
        return -1;
    if (strlen(*end ? end : "/") >= pathlen)
        return -1;
    snprintf(host, hostlen, "%.*s", (int)(colon - p), p);
    *port = (int)n;
    snprintf(path, pathlen, "%s", *end ? end : "/");
    return 0;
}

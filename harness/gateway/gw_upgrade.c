/*
 * gw_upgrade: the opening handshake's rules (RFC 6455 4.2.1). See
 * gw_upgrade.h.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "gw_upgrade.h"

#define KEY_LEN 24             /* base64 of 16 bytes: 22 characters and "==" */

/* "HTTP/1.1" or higher. */
static int http_1_1(const char *v)
{
    if (strncmp(v, "HTTP/", 5) != 0 || !isdigit((unsigned char)v[5]))
        return 0;
    if (v[5] != '1')
        return v[5] > '1';
    return v[6] == '.' && isdigit((unsigned char)v[7]) && v[7] >= '1';
}

/* Does the comma-separated list hold token (case-insensitive)? */
static int list_has(const char *list, const char *token)
{
    size_t n = strlen(token);

    while (*list) {
        size_t len;

        list += strspn(list, " \t,");
        len = strcspn(list, ",");
        while (len > 0 && (list[len - 1] == ' ' || list[len - 1] == '\t'))
            len--;
        if (len == n && strncasecmp(list, token, n) == 0)
            return 1;
        list += strcspn(list, ",");
    }
    return 0;
}

/* A key that decodes to 16 bytes. */
static int key_ok(const char *k)
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    return strlen(k) == KEY_LEN && strspn(k, b64) == KEY_LEN - 2 &&
           strcmp(k + KEY_LEN - 2, "==") == 0;
}

/* lws cannot answer 101 without a subprotocol it was offered: refused. */
static int protocols_ok(const gw_upgrade_req *r)
{
    return r->protocols[strspn(r->protocols, " \t,")] == '\0' ||
           list_has(r->protocols, r->served);
}

static int refuse(const char **why, const char *rule, int status)
{
    *why = rule;
    return status;
}

int gw_upgrade_check(const gw_upgrade_req *r, const char **why)
{
    *why = NULL;
    if (!r->get || !http_1_1(r->http))
        return refuse(why, "the opening handshake is an HTTP/1.1 GET", 400);
    if (r->host[0] == '\0')
        return refuse(why, "Host is missing", 400);
    if (!list_has(r->connection, "upgrade"))
        return refuse(why, "Connection does not name Upgrade", 400);
    if (!key_ok(r->key))
        return refuse(why, "Sec-WebSocket-Key is not 16 bytes in base64", 400);
    if (strcmp(r->version, "13") != 0)
        return refuse(why, "Sec-WebSocket-Version is not 13", 426);
    if (!protocols_ok(r))
        return refuse(why, "no subprotocol offered is served", 400);
    return 0;
}

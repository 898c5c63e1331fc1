/*
 * hs_http: a small HTTP/1.1 client for /health and scenario http steps.
 *
 * One request per connection (Connection: close). The response body is
 * framed as RFC 7230 section 3.3.3 says: none for HEAD, 1xx, 204 and 304;
 * chunked when Transfer-Encoding ends in chunked; Content-Length; otherwise
 * read until the server closes. Bodies are capped at 16 MiB. An "HTTP/1.0"
 * status line is accepted. Every wait is poll()-based, with timeout_ms as
 * the ceiling for the whole exchange (connect, send, receive).
 *
 * Nothing the peer sent is copied into err. status_line is made printable;
 * header values that are not clean UTF-8 text are stored in their
 * hs_escape_term form; body is raw: escape it before showing it.
 */
#ifndef HS_HTTP_H
#define HS_HTTP_H

#include <stddef.h>
#include <jansson.h>

#define HS_HTTP_OK 0
#define HS_HTTP_ERR -1          /* bad request arguments, connect or protocol error */
#define HS_HTTP_ETIMEOUT -2     /* the ceiling passed before a complete response */

#define HS_HTTP_MAX_BODY (16u * 1024 * 1024)
#define HS_HTTP_MAX_HEAD (64u * 1024)

typedef struct hs_http_resp {
    int status;
    char status_line[256];      /* printable ASCII only, without CRLF */
    json_t *headers;            /* object, lowercased names; repeats joined by ", " */
    char *body;                 /* NUL-terminated; may hold other NULs */
    size_t body_len;
    json_t *json;               /* the body parsed as JSON, or NULL */
} hs_http_resp;

/*
 * One exchange with host:port. method NULL means GET, path NULL means "/".
 * headers: NULL-terminated "Name: value" lines; a name given here replaces
 * the default of the same name (Host, Connection, User-Agent,
 * Content-Length). body: sent with a Content-Length, or NULL for none.
 * On success r is filled (free it with hs_http_resp_free); on error r is
 * left empty and safe to free.
 */
int hs_http_request(const char *host, int port, const char *method, const char *path,
                    const char *const *headers, const char *body, int timeout_ms,
                    hs_http_resp *r, char *err, size_t errlen);

void hs_http_resp_free(hs_http_resp *r);

#endif

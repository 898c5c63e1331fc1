/*
 * hs_http: a small HTTP/1.1 client for /health and scenario http steps.
 *
 * One request per connection (Connection: close). Bodies by Content-Length,
 * chunked, or read until EOF, capped at 16 MiB. Every wait is poll()-based
 * with timeout_ms as the ceiling for the whole exchange.
 */
#ifndef HS_HTTP_H
#define HS_HTTP_H

#include <stddef.h>
#include <jansson.h>

#define HS_HTTP_OK 0
#define HS_HTTP_ERR -1
#define HS_HTTP_MAX_BODY (16u * 1024 * 1024)

typedef struct hs_http_resp {
    int status;
    char status_line[256];      /* printable ASCII only */
    json_t *headers;            /* object, lowercased names */
    char *body;                 /* NUL-terminated; may hold other NULs */
    size_t body_len;
    json_t *json;               /* the body parsed as JSON, or NULL */
} hs_http_resp;

int hs_http_request(const char *host, int port, const char *method, const char *path,
                    const char *const *headers, const char *body, int timeout_ms,
                    hs_http_resp *r, char *err, size_t errlen);

void hs_http_resp_free(hs_http_resp *r);

#endif

/*
 * gw_upgrade: is an upgrade request a valid opening handshake (RFC 6455
 * 4.2.1)? libwebsockets 4.1.6 switches requests it should refuse (any
 * Sec-WebSocket-Version, keys of any length) and drops TCP on others
 * (no Host, no key, a subprotocol it does not serve) without an answer, so
 * the gateway judges the request first and refuses with an HTTP status.
 */
#ifndef GW_UPGRADE_H
#define GW_UPGRADE_H

/* The request's fields, as lws copies them ("" when absent). */
typedef struct gw_upgrade_req {
    int get;                   /* the method is GET */
    const char *http;          /* the request line's version, "HTTP/1.1" */
    const char *host;
    const char *connection;
    const char *key;           /* Sec-WebSocket-Key */
    const char *version;       /* Sec-WebSocket-Version */
    const char *protocols;     /* Sec-WebSocket-Protocol */
    const char *served;        /* the one subprotocol the gateway serves */
} gw_upgrade_req;

/*
 * 0 for a valid handshake; else the status to refuse it with: 426 for a
 * Sec-WebSocket-Version other than 13 (the answer then names 13, RFC 6455
 * 4.2.2), 400 for anything else. why says which rule the request broke.
 */
int gw_upgrade_check(const gw_upgrade_req *r, const char **why);

#endif

/*
 * gw_router: the message router and its handler interface.
 *
 * Seed raw-handler: production registered a raw function instead of a
 * handler object, and routing crashed calling can_handle on it. Here
 * registration refuses anything without both can_handle and handle, and
 * routing skips a handler whose can_handle fails and tries the next one.
 */
#ifndef GW_ROUTER_H
#define GW_ROUTER_H

#include <stddef.h>
#include <jansson.h>

#include "gw_types.h"

#define GW_ROUTER_OK 0
#define GW_ROUTER_ERR -1
#define GW_ROUTE_NONE 1         /* no handler took the message */

struct gw_session;

typedef struct gw_msg {
    const char *type;
    gw_kind kind;
    json_t *id;                 /* the request id as sent (borrowed), or NULL */
    json_t *payload;            /* borrowed, may be NULL */
} gw_msg;

typedef struct gw_handler gw_handler;
struct gw_handler {
    const char *name;
    /* 1: mine, 0: not mine, <0: could not decide (skipped, routing goes on) */
    int (*can_handle)(const gw_handler *h, const gw_msg *m);
    int (*handle)(const gw_handler *h, struct gw_session *s, const gw_msg *m);
    void *ctx;
    unsigned long owner;        /* connection id; 0 for gateway-wide handlers */
};

typedef struct gw_router {
    gw_handler *v;
    size_t n, cap;
    size_t skipped;             /* can_handle failures survived */
} gw_router;

void gw_router_init(gw_router *r);
void gw_router_free(gw_router *r);

/* Copy h into the router. Refuses a handler missing can_handle or handle. */
int gw_router_register(gw_router *r, const gw_handler *h, char *err, size_t errlen);

/*
 * Remove every handler of owner (fault gateway/handler/cleanup makes this
 * fail and leave them). Returns how many were removed, or -1.
 */
int gw_router_remove_owner(gw_router *r, unsigned long owner);

/*
 * Remove owner's handlers unconditionally: the reclaim path used when the
 * normal removal failed (seed handler-leak). Returns how many.
 */
int gw_router_reclaim(gw_router *r, unsigned long owner);

size_t gw_router_count(const gw_router *r);

/*
 * Offer m to the handlers of owner first, then the gateway-wide ones, in
 * registration order. Returns the chosen handler's result, GW_ROUTE_NONE
 * when nobody took it. failed (if not NULL) counts can_handle failures.
 */
int gw_router_route(gw_router *r, struct gw_session *s, unsigned long owner,
                    const gw_msg *m, int *failed);

#endif

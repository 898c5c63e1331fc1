/*
 * gw_router: registration checks and fault-tolerant routing. See gw_router.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gw_faults.h"
#include "gw_log.h"
#include "gw_router.h"

void gw_router_init(gw_router *r)
{
    memset(r, 0, sizeof(*r));
}

void gw_router_free(gw_router *r)
{
    free(r->v);
    memset(r, 0, sizeof(*r));
}

int gw_router_register(gw_router *r, const gw_handler *h, char *err, size_t errlen)
{
    const char *name = h && h->name ? h->name : "(unnamed)";

    if (!h || !h->can_handle || !h->handle) {
        snprintf(err, errlen, "handler \"%s\" rejected: a handler needs both "
                 "can_handle and handle (a raw function is not a handler)", name);
        return GW_ROUTER_ERR;
    }
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 16;
        gw_handler *v = realloc(r->v, cap * sizeof(*v));

        if (!v) {
            snprintf(err, errlen, "out of memory registering \"%s\"", name);
            return GW_ROUTER_ERR;
        }
        r->v = v;
        r->cap = cap;
    }
    r->v[r->n++] = *h;
    return GW_ROUTER_OK;
}

int gw_router_reclaim(gw_router *r, unsigned long owner)
{
    size_t kept = 0;
    int removed = 0;

    for (size_t i = 0; i < r->n; i++) {
        if (r->v[i].owner == owner && owner != 0) {
            removed++;
            continue;
        }
        r->v[kept++] = r->v[i];
    }
    r->n = kept;
    return removed;
}

int gw_router_remove_owner(gw_router *r, unsigned long owner)
{
    if (gw_fault("gateway/handler/cleanup"))
        return -1;
    return gw_router_reclaim(r, owner);
}

size_t gw_router_count(const gw_router *r)
{
    return r->n;
}

/* Ask one handler; a failing can_handle is logged and counted, not fatal. */
static int ask(gw_router *r, const gw_handler *h, const gw_msg *m, int *failed)
{
    int rc = gw_fault("gateway/router/can_handle") ? -1 : h->can_handle(h, m);

    if (rc < 0) {
        r->skipped++;
        if (failed)
            (*failed)++;
        gw_log("warn", "can_handle_failed",
               json_pack("{s:s,s:s,s:I}", "handler", h->name ? h->name : "?",
                         "type", m->type ? m->type : "", "conn", (json_int_t)h->owner));
        return 0;
    }
    return rc;
}

static int route_pass(gw_router *r, struct gw_session *s, unsigned long owner,
                      const gw_msg *m, int *failed)
{
    for (size_t i = 0; i < r->n; i++) {
        const gw_handler *h = &r->v[i];

        if (h->owner == owner && ask(r, h, m, failed) > 0)
            return h->handle(h, s, m);
    }
    return GW_ROUTE_NONE;
}

int gw_router_route(gw_router *r, struct gw_session *s, unsigned long owner,
                    const gw_msg *m, int *failed)
{
    int rc = owner ? route_pass(r, s, owner, m, failed) : GW_ROUTE_NONE;

    return rc == GW_ROUTE_NONE ? route_pass(r, s, 0, m, failed) : rc;
}

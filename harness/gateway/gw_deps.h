/*
 * gw_deps: the per-session dependencies of an agent conversation.
 *
 * Seed deps-500: production created these inside the upgrade handler, and
 * one failure raised out of it as HTTP 500. Here they are created after the
 * upgrade and after authentication, one by one, each with its own error
 * handling; a failure marks the session degraded instead of ending it.
 *
 * Seed wrong-setter: startup called a registry setter that no longer
 * existed, so the agent registry never got its websocket manager and no
 * event reached a user. gw_deps_create verifies the wiring afterwards.
 */
#ifndef GW_DEPS_H
#define GW_DEPS_H

#include <jansson.h>

typedef enum gw_dep_id {
    GW_DEP_SUPERVISOR,
    GW_DEP_THREAD_SERVICE,
    GW_DEP_LLM_MANAGER,
    GW_DEP_BRIDGE,
    GW_DEP_REGISTRY,
    GW_DEP_COUNT
} gw_dep_id;

/* Delivers one event to a connection through the websocket manager. */
typedef int (*gw_deliver_fn)(void *manager, unsigned long conn, json_t *event);

/* The agent registry: agents publish events to it, it forwards them. */
typedef struct gw_registry {
    void *manager;
    gw_deliver_fn deliver;
} gw_registry;

typedef struct gw_deps {
    int failed[GW_DEP_COUNT];
    int nfailed;
    gw_registry registry;
} gw_deps;

const char *gw_dep_name(gw_dep_id id);

/* Wire the registry to the websocket manager (fault registry/set_manager). */
int gw_registry_set_manager(gw_registry *r, void *manager, gw_deliver_fn fn);

/* Publish an event; -1 when the registry has nowhere to send it. */
int gw_registry_publish(gw_registry *r, unsigned long conn, json_t *event);

/*
 * Create every dependency for a session. Returns how many failed; each
 * failure is appended to reasons as "NAME: what failed". Updates the
 * gateway-wide dependency states that /health shows.
 */
int gw_deps_create(gw_deps *d, void *manager, gw_deliver_fn fn, json_t *reasons);

/* {"supervisor": {"state": "ok"|"failed"|"not_created", "failures": N, ...}} */
json_t *gw_deps_health_json(void);

/* Did the latest creation of any dependency fail? */
int gw_deps_any_failed(void);

/* Forget gateway-wide states (tests, fuzz targets). */
void gw_deps_reset(void);

#endif

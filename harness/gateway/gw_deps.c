/*
 * gw_deps: dependency creation with per-dependency error handling.
 */
#include <stdio.h>
#include <string.h>

#include "gw_deps.h"
#include "gw_faults.h"
#include "gw_log.h"

typedef struct gw_dep_info {
    const char *name;
    const char *fault;
} gw_dep_info;

static const gw_dep_info deps[GW_DEP_COUNT] = {
    [GW_DEP_SUPERVISOR] = { "supervisor", "gateway/deps/supervisor" },
    [GW_DEP_THREAD_SERVICE] = { "thread_service", "gateway/deps/thread_service" },
    [GW_DEP_LLM_MANAGER] = { "llm_manager", "gateway/deps/llm_manager" },
    [GW_DEP_BRIDGE] = { "bridge", "gateway/bridge/create" },
    [GW_DEP_REGISTRY] = { "registry", "gateway/registry/set_manager" },
};

typedef enum { DEP_NOT_CREATED, DEP_OK, DEP_FAILED } dep_state;

static struct {
    dep_state state;
    unsigned long failures;
    unsigned long created;
} health[GW_DEP_COUNT];

const char *gw_dep_name(gw_dep_id id)
{
    return (unsigned)id < GW_DEP_COUNT ? deps[id].name : "unknown";
}

int gw_registry_set_manager(gw_registry *r, void *manager, gw_deliver_fn fn)
{
    if (gw_fault("gateway/registry/set_manager"))
        return -1;
    r->manager = manager;
    r->deliver = fn;
    return 0;
}

int gw_registry_publish(gw_registry *r, unsigned long conn, json_t *event)
{
    if (!r->manager || !r->deliver)
        return -1;
    return r->deliver(r->manager, conn, event);
}

static void record(gw_deps *d, gw_dep_id id, int failed, const char *what,
                   json_t *reasons)
{
    char line[160];

    d->failed[id] = failed;
    health[id].state = failed ? DEP_FAILED : DEP_OK;
    if (!failed) {
        health[id].created++;
        return;
    }
    d->nfailed++;
    health[id].failures++;
    snprintf(line, sizeof(line), "%s: %s", deps[id].name, what);
    json_array_append_new(reasons, json_string(line));
    gw_log("warn", "dependency_failed",
           json_pack("{s:s,s:s}", "dependency", deps[id].name, "error", what));
}

int gw_deps_create(gw_deps *d, void *manager, gw_deliver_fn fn, json_t *reasons)
{
    memset(d, 0, sizeof(*d));
    for (int id = GW_DEP_SUPERVISOR; id <= GW_DEP_BRIDGE; id++)
        record(d, id, gw_fault(deps[id].fault), "creation failed", reasons);
    gw_registry_set_manager(&d->registry, manager, fn);
    /* Verify the wiring rather than trust the setter (seed wrong-setter). */
    record(d, GW_DEP_REGISTRY, d->registry.manager == NULL,
           "agent registry not wired to the websocket manager", reasons);
    return d->nfailed;
}

json_t *gw_deps_health_json(void)
{
    static const char *const names[] = { "not_created", "ok", "failed" };
    json_t *o = json_object();

    for (int id = 0; id < GW_DEP_COUNT; id++)
        json_object_set_new(o, deps[id].name,
                            json_pack("{s:s,s:I,s:I}", "state", names[health[id].state],
                                      "failures", (json_int_t)health[id].failures,
                                      "created", (json_int_t)health[id].created));
    return o;
}

int gw_deps_any_failed(void)
{
    for (int id = 0; id < GW_DEP_COUNT; id++)
        if (health[id].state == DEP_FAILED)
            return 1;
    return 0;
}

void gw_deps_reset(void)
{
    memset(health, 0, sizeof(health));
}

/*
 * gw_types: one table for every alias. See gw_types.h.
 */
#include <string.h>

#include "gw_faults.h"
#include "gw_types.h"

typedef struct gw_mapping {
    const char *type;
    gw_kind kind;
} gw_mapping;

static const gw_mapping mappings[] = {
    { "user_message", GW_KIND_AGENT },
    { "chat", GW_KIND_AGENT },
    { "agent_request", GW_KIND_AGENT },
    { "start_agent", GW_KIND_AGENT },
    { "execute_agent", GW_KIND_AGENT },
    { "agent_task", GW_KIND_AGENT },
    { "ping", GW_KIND_PING },
};

gw_kind gw_types_lookup(const char *type)
{
    if (!type)
        return GW_KIND_UNKNOWN;
    /* The production gap: this one mapping went missing. */
    if (strcmp(type, "execute_agent") == 0 && gw_fault("gateway/types/execute_agent"))
        return GW_KIND_UNKNOWN;
    for (size_t i = 0; i < sizeof(mappings) / sizeof(mappings[0]); i++)
        if (strcmp(mappings[i].type, type) == 0)
            return mappings[i].kind;
    return GW_KIND_UNKNOWN;
}

const char *gw_types_name(unsigned i, gw_kind *kind)
{
    if (i >= sizeof(mappings) / sizeof(mappings[0]))
        return NULL;
    if (kind)
        *kind = mappings[i].kind;
    return mappings[i].type;
}

/*
 * gw_types: the message-type mapping table.
 *
 * Seed missing-mapping: production had no mapping for execute_agent and the
 * message was silently dropped. Every alias is in one table here, and a type
 * that maps to nothing is answered with an unknown_type error, never silence.
 */
#ifndef GW_TYPES_H
#define GW_TYPES_H

typedef enum gw_kind {
    GW_KIND_UNKNOWN = 0,
    GW_KIND_AGENT,         /* answered by the 5 agent events */
    GW_KIND_PING           /* answered by a pong */
} gw_kind;

/* Map a wire type to its kind (fault gateway/types/execute_agent applies). */
gw_kind gw_types_lookup(const char *type);

/* The table itself, entry by entry (for docs and tests); NULL past the end. */
const char *gw_types_name(unsigned i, gw_kind *kind);

#endif

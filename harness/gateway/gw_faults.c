/*
 * gw_faults: the catalogue, spec parsing, libfiu wiring and counters.
 *
 * Modes libfiu has natively (always, once) go straight to fiu_enable. The
 * others go through an external callback so that probability uses our own
 * seeded generator (libfiu's is neither seedable per point nor thread-safe)
 * and after/nth can count hits per point.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fiu.h>
#include <fiu-control.h>

#include "gw_faults.h"

typedef struct gw_point {
    const char *name;
    const char *seed;
    const char *description;
} gw_point;

static const gw_point catalogue[] = {
#define WSF_FAULT(name, seed, desc) { name, seed, desc },
#include "faults.def"
#undef WSF_FAULT
};

#define NPOINTS (sizeof(catalogue) / sizeof(catalogue[0]))

typedef struct gw_point_state {
    unsigned long reached;
    unsigned long fired;
    gw_fault_mode mode;
    double probability;
    long n;
    unsigned long base;    /* reached when enabled: after/nth count from here */
} gw_point_state;

static gw_point_state state[NPOINTS];
static unsigned long long rng_state = 88172645463325252ULL;

static const char *const mode_names = "always, once, p=P, after=N, nth=N";

/* xorshift64*: reproducible from --seed, good enough for fault dice. */
static double rng_next(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (double)((rng_state * 2685821657736338717ULL) >> 11) / 9007199254740992.0;
}

int gw_faults_init(unsigned long seed)
{
    rng_state = seed ? (unsigned long long)seed * 2654435761ULL + 1 : 88172645463325252ULL;
    return fiu_init(0) == 0 ? GW_FAULT_OK : GW_FAULT_ERR;
}

/* FNV-1a of a point's name: gw_fault runs on every message, and comparing
 * each name of the catalogue in turn was a third of an in-process fuzz
 * input's cost (the fuzzer hooks every strcmp). */
static uint32_t name_hash(const char *name)
{
    uint32_t h = 2166136261u;

    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        h = (h ^ *p) * 16777619u;
    return h;
}

int gw_faults_find(const char *name)
{
    static uint32_t hashes[NPOINTS];
    static int hashed;
    uint32_t h = name_hash(name);

    if (!hashed) {
        for (size_t i = 0; i < NPOINTS; i++)
            hashes[i] = name_hash(catalogue[i].name);
        hashed = 1;
    }
    for (size_t i = 0; i < NPOINTS; i++)
        if (hashes[i] == h && strcmp(catalogue[i].name, name) == 0)
            return (int)i;
    return -1;
}

size_t gw_faults_count(void) { return NPOINTS; }
const char *gw_faults_name(size_t i) { return i < NPOINTS ? catalogue[i].name : NULL; }
const char *gw_faults_seed(size_t i) { return i < NPOINTS ? catalogue[i].seed : NULL; }
const char *gw_faults_description(size_t i) { return i < NPOINTS ? catalogue[i].description : NULL; }

static int parse_number(const char *s, double *out)
{
    char *end;

    errno = 0;
    *out = strtod(s, &end);
    return (errno == 0 && end != s && *end == '\0') ? 0 : -1;
}

static int parse_mode(const char *mode, gw_fault_spec *out, char *err, size_t errlen)
{
    const char *eq = strchr(mode, '=');
    double v;

    if (strcmp(mode, "always") == 0) {
        out->mode = GW_FAULT_ALWAYS;
        return GW_FAULT_OK;
    }
    if (strcmp(mode, "once") == 0) {
        out->mode = GW_FAULT_ONCE;
        return GW_FAULT_OK;
    }
    if (!eq || parse_number(eq + 1, &v) != 0)
        goto bad;
    if (strncmp(mode, "p=", 2) == 0 || strncmp(mode, "probability=", 12) == 0) {
        if (!(v > 0.0 && v <= 1.0))
            goto bad;
        out->mode = GW_FAULT_PROBABILITY;
        out->probability = v;
        return GW_FAULT_OK;
    }
    if (v < 1 || v != (long)v)
        goto bad;
    out->n = (long)v;
    if (strncmp(mode, "after=", 6) == 0)
        out->mode = GW_FAULT_AFTER;
    else if (strncmp(mode, "nth=", 4) == 0)
        out->mode = GW_FAULT_NTH;
    else
        goto bad;
    return GW_FAULT_OK;
bad:
    snprintf(err, errlen, "fault mode \"%s\" is not valid: use %s "
             "(0 < P <= 1, N >= 1)", mode, mode_names);
    return GW_FAULT_ERR;
}

int gw_fault_spec_parse(const char *text, gw_fault_spec *out, char *err, size_t errlen)
{
    const char *colon = strchr(text, ':');
    size_t n = colon ? (size_t)(colon - text) : strlen(text);

    memset(out, 0, sizeof(*out));
    if (n == 0 || n >= sizeof(out->name)) {
        snprintf(err, errlen, "fault \"%s\": expected NAME[:MODE]", text);
        return GW_FAULT_ERR;
    }
    memcpy(out->name, text, n);
    out->name[n] = '\0';
    if (gw_faults_find(out->name) < 0) {
        snprintf(err, errlen, "unknown fault point \"%s\" (build/gateway "
                 "--list-faults shows the catalogue)", out->name);
        return GW_FAULT_ERR;
    }
    out->mode = GW_FAULT_ALWAYS;
    return colon ? parse_mode(colon + 1, out, err, errlen) : GW_FAULT_OK;
}

/* libfiu calls this on every hit of a point enabled through us. */
static int external_decide(const char *name, int *failnum, void **failinfo,
                           unsigned int *flags)
{
    int i = gw_faults_find(name);
    gw_point_state *st;

    if (i < 0)
        return 0;
    st = &state[i];
    switch (st->mode) {
    case GW_FAULT_PROBABILITY: return rng_next() < st->probability;
    case GW_FAULT_AFTER: return (long)(st->reached - st->base) > st->n;
    case GW_FAULT_NTH: return (long)(st->reached - st->base) == st->n;
    default: return 1;
    }
}

int gw_fault_enable(const gw_fault_spec *spec, char *err, size_t errlen)
{
    int i = gw_faults_find(spec->name);
    int rc;

    if (i < 0) {
        snprintf(err, errlen, "unknown fault point \"%s\"", spec->name);
        return GW_FAULT_ERR;
    }
    state[i].mode = spec->mode;
    state[i].probability = spec->probability;
    state[i].n = spec->n;
    state[i].base = state[i].reached;
    /* Re-enabling an enabled point makes libfiu 1.1 drop its old copy of
     * the name without freeing it: disable first. */
    fiu_disable(spec->name);
    if (spec->mode == GW_FAULT_ALWAYS)
        rc = fiu_enable(spec->name, 1, NULL, 0);
    else if (spec->mode == GW_FAULT_ONCE)
        rc = fiu_enable(spec->name, 1, NULL, FIU_ONETIME);
    else
        rc = fiu_enable_external(spec->name, 1, NULL, 0, external_decide);
    if (rc != 0) {
        snprintf(err, errlen, "libfiu refused to enable \"%s\"", spec->name);
        return GW_FAULT_ERR;
    }
    return GW_FAULT_OK;
}

void gw_fault_disable(const char *name)
{
    fiu_disable(name);
}

int gw_fault(const char *name)
{
    int i = gw_faults_find(name);
    int fire;

    if (i >= 0)
        state[i].reached++;
    fire = fiu_fail(name) != 0;
    if (fire && i >= 0)
        state[i].fired++;
    return fire;
}

void gw_faults_reset(void)
{
    for (size_t i = 0; i < NPOINTS; i++) {
        fiu_disable(catalogue[i].name);
        memset(&state[i], 0, sizeof(state[i]));
    }
}

json_t *gw_faults_counters_json(void)
{
    json_t *o = json_object();

    for (size_t i = 0; i < NPOINTS; i++)
        json_object_set_new(o, catalogue[i].name,
                            json_pack("{s:I,s:I}", "reached", (json_int_t)state[i].reached,
                                      "fired", (json_int_t)state[i].fired));
    return o;
}

void gw_faults_print_catalogue(int as_json)
{
    json_t *a;
    char *s;

    if (!as_json) {
        for (size_t i = 0; i < NPOINTS; i++)
            printf("%-32s %-20s %s\n", catalogue[i].name, catalogue[i].seed,
                   catalogue[i].description);
        return;
    }
    a = json_array();
    for (size_t i = 0; i < NPOINTS; i++)
        json_array_append_new(a, json_pack("{s:s,s:s,s:s}", "name", catalogue[i].name,
                                           "seed", catalogue[i].seed,
                                           "description", catalogue[i].description));
    s = json_dumps(a, JSON_INDENT(2));
    printf("%s\n", s ? s : "[]");
    free(s);
    json_decref(a);
}

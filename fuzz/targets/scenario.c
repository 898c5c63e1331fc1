/*
 * Fuzz target: the harness's scenario loader. Scenario files are untrusted
 * input to the judge; whatever the bytes, hs_scenario_parse either builds a
 * scenario or refuses it with a message that names the file (hs_scenario.h),
 * and frees everything either way (the replay build checks leaks).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "scenario/hs_scenario.h"

#define NAME "fuzz.json"

static void violation(const char *what)
{
    fprintf(stderr, "fuzz contract violation: %s\n", what);
    abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    json_object_seed(1);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    hs_scenario *s = NULL;
    char err[512];

    err[0] = '\0';
    if (hs_scenario_parse(NAME, (const char *)data, size, &s, err, sizeof(err)) == HS_SCN_OK) {
        if (!s || !s->id || s->nsteps == 0)
            violation("a scenario was accepted without an id or steps");
        hs_scenario_free(s);
        return 0;
    }
    if (s)
        violation("a refused scenario was handed out");
    if (strncmp(err, NAME ":", strlen(NAME) + 1) != 0)
        violation("a refusal that does not name the file");
    return 0;
}

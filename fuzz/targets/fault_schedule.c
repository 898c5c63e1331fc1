/*
 * Fuzz target: fault schedules and messages explored together.
 *
 * The first byte says how many schedule entries follow (0 to 7); each entry
 * is two bytes: the fault point (index into the catalogue of
 * harness/common/faults.def, modulo its size) and how it fires:
 *
 *   bits 7-5  0-1 nth=N, 2-3 after=N, 4 once, 5 always, 6-7 p=N/32
 *   bits 4-0  N - 1
 *
 * The rest is a message sequence as in fz_app.h. Every byte string is a
 * valid schedule, so mutations never waste an execution on a refused
 * spec. The degradation contract is judged by fz_app; startup/slow fires
 * here as a delayed readiness that @ready or the end of the input ends.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "fz_app.h"
#include "gateway/gw_faults.h"

#define MAX_ENTRIES 7

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fz_app_init();
    return 0;
}

static void spec_of(const uint8_t e[2], gw_fault_spec *spec)
{
    int sel = e[1] >> 5;
    long n = (e[1] & 0x1f) + 1;

    snprintf(spec->name, sizeof(spec->name), "%s",
             gw_faults_name(e[0] % gw_faults_count()));
    spec->n = n;
    spec->probability = (double)n / 32.0;
    if (sel < 2)
        spec->mode = GW_FAULT_NTH;
    else if (sel < 4)
        spec->mode = GW_FAULT_AFTER;
    else if (sel == 4)
        spec->mode = GW_FAULT_ONCE;
    else if (sel == 5)
        spec->mode = GW_FAULT_ALWAYS;
    else
        spec->mode = GW_FAULT_PROBABILITY;
}

/* Enable the schedule; returns how many bytes it took. */
static size_t apply_schedule(const uint8_t *data, size_t size)
{
    size_t entries, used = 1;
    gw_fault_spec spec = { 0 };
    char err[200];

    if (size == 0)
        return 0;
    entries = data[0] % (MAX_ENTRIES + 1);
    for (size_t i = 0; i < entries && used + 2 <= size; i++, used += 2) {
        spec_of(data + used, &spec);
        if (gw_fault_enable(&spec, err, sizeof(err)) != 0)
            fz_violation("a catalogued fault point could not be enabled", -1);
    }
    return used;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t used;

    fz_app_reset();
    used = apply_schedule(data, size);
    fz_app_run(data + used, size - used);
    return 0;
}

/*
 * Fuzz target: the message path. A sequence of JSON messages (one per line,
 * with the directives of fz_app.h) goes through type mapping, the router,
 * the handlers and the writer of a fresh in-process gateway, no socket and
 * no fault enabled. The contract judge of fz_app aborts on any violation.
 */
#include <stddef.h>
#include <stdint.h>

#include "fz_app.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fz_app_init();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_app_reset();
    fz_app_run(data, size);
    return 0;
}

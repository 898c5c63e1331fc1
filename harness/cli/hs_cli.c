/*
 * hs_cli: what the commands share. See hs_cli.h.
 */
#include <stdio.h>

#include "cli/hs_cli.h"
#include "scenario/hs_profile.h"

hs_profile *hs_cli_profile(const char *prog, const char *path)
{
    char err[1024];
    hs_profile *p = NULL;

    if (hs_profile_load(path ? path : HS_PROFILE_DEFAULT, &p, err, sizeof(err)) != 0) {
        fprintf(stderr, "%s: profile %s\n", prog, err);
        if (!path)
            fprintf(stderr, "%s: (the reference profile is looked for from the repository's "
                    "top folder; pass --profile FILE)\n", prog);
        return NULL;
    }
    return p;
}

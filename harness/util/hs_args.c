/*
 * hs_args: command-line value checks. See hs_args.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "util/hs_args.h"

int hs_args_long(const char *prog, const char *flag, const char *v, long min, long max,
                 long *out)
{
    char *end;
    long n;

    errno = 0;
    n = strtol(v, &end, 10);
    if (!*v || *end || errno || n < min || n > max) {
        fprintf(stderr, "%s: %s expects a whole number from %ld to %ld, got \"%s\"\n",
                prog, flag, min, max, v);
        return -1;
    }
    *out = n;
    return 0;
}

int hs_args_prob(const char *prog, const char *flag, const char *v, double *out)
{
    char *end;
    double p = strtod(v, &end);

    if (!*v || *end || !(p >= 0 && p <= 1)) {
        fprintf(stderr, "%s: %s expects a probability from 0 to 1, got \"%s\"\n", prog, flag,
                v);
        return -1;
    }
    *out = p;
    return 0;
}

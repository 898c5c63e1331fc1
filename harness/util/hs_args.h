/*
 * hs_args: command-line value checks shared by the harness's commands.
 */
#ifndef HS_ARGS_H
#define HS_ARGS_H

/*
 * Parse v as a whole number in [min, max]. On failure prints
 * "PROG: FLAG expects a whole number from MIN to MAX, got "V"" to stderr
 * and returns -1.
 */
int hs_args_long(const char *prog, const char *flag, const char *v, long min, long max,
                 long *out);

/*
 * Parse v as a probability in [0, 1]. On failure prints
 * "PROG: FLAG expects a probability from 0 to 1, got "V"" and returns -1.
 */
int hs_args_prob(const char *prog, const char *flag, const char *v, double *out);

#endif

/*
 * hs_cli: the harness's commands other than a run, each parsing its own
 * command line and calling its engine (output/hs_report, load/hs_soak,
 * load/hs_torture). cli/hs_main.c dispatches on the first argument.
 * Each returns the process's exit code.
 */
#ifndef HS_CLI_H
#define HS_CLI_H

/*
 * `build/harness report RESULTS.json [--baseline B.json] [--history FILE]
 * [--out FILE] [--fuzz-out DIR] [--fuzz-regressions DIR]`: rebuild a page
 * from saved results; argv[0] is "report". The history is read, never
 * written. Returns the exit code: 0 written, 1 the page could not be
 * written, 2 bad usage or an unreadable or malformed input file.
 */
int hs_cli_report(int argc, char **argv);

/*
 * `build/harness soak [options]`: argv[0] is "soak". Exit 0 no violation,
 * 1 violations, 2 bad usage or the run could not start.
 */
int hs_cli_soak(int argc, char **argv);

/*
 * `build/harness --torture [options] SCENARIO...`: argv[0] is "--torture".
 * Exit 0 every run kept the contract, 1 some did not (or a golden run
 * failed), 2 bad usage or a bad scenario file.
 */
int hs_cli_torture(int argc, char **argv);

/*
 * Load the profile at path (NULL: HS_PROFILE_DEFAULT) for command prog;
 * on failure print "PROG: the message" and return NULL.
 */
struct hs_profile *hs_cli_profile(const char *prog, const char *path);

#endif

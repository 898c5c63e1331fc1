/*
 * hs_argv: NULL-terminated argument vectors, as execve() wants them, and
 * the splitting of a user's command line into one without a shell: nothing
 * in a --target-cmd is expanded or run, so a scenario cannot smuggle shell
 * syntax into the harness.
 */
#ifndef HS_ARGV_H
#define HS_ARGV_H

#include <stddef.h>

/*
 * Append a copy of a to *argv (n words so far; *argv stays NULL-terminated).
 * 0, or -1 when memory runs out (*argv is then unchanged).
 */
int hs_argv_add(char ***argv, size_t *n, const char *a);

/* Free the vector and every word; NULL is fine. */
void hs_argv_free(char **argv);

/*
 * Split cmd into words: blanks separate, '...' and "..." quote, a backslash
 * escapes the next character (not inside '...'). NULL when cmd is empty or
 * a quote is unbalanced, with err saying so about `what` ("--target-cmd has
 * an unbalanced quote").
 */
char **hs_argv_split(const char *what, const char *cmd, char *err, size_t errlen);

#endif

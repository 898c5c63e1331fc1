/*
 * hs_argv: argument vectors and command splitting. See hs_argv.h.
 */
#include "util/hs_argv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int hs_argv_add(char ***argv, size_t *n, const char *a)
{
    char **v = realloc(*argv, (*n + 2) * sizeof(char *));
    char *copy = strdup(a);

    if (!v || !copy) {
        free(copy);
        if (v)
            *argv = v;
        return -1;
    }
    *argv = v;
    v[(*n)++] = copy;
    v[*n] = NULL;
    return 0;
}

void hs_argv_free(char **argv)
{
    for (size_t i = 0; argv && argv[i]; i++)
        free(argv[i]);
    free(argv);
}

/* The word being built: its bytes and whether it has started ('' is one). */
typedef struct word {
    char *buf;
    size_t len;
    int started;
} word;

static int word_end(word *w, char ***argv, size_t *n)
{
    int rc = 0;

    if (w->started) {
        w->buf[w->len] = '\0';
        rc = hs_argv_add(argv, n, w->buf);
    }
    w->len = 0;
    w->started = 0;
    return rc;
}

/* One character of cmd at *p; advances *p past an escaped one. */
static int split_char(const char **p, char *quote, word *w, char ***argv, size_t *n)
{
    const char *c = *p;

    if (*quote && *c == *quote) {
        *quote = 0;
    } else if (!*quote && (*c == '\'' || *c == '"')) {
        *quote = *c;
        w->started = 1;
    } else if (*c == '\\' && *quote != '\'' && c[1]) {
        w->buf[w->len++] = *++*p;
        w->started = 1;
    } else if (!*quote && (*c == ' ' || *c == '\t')) {
        return word_end(w, argv, n);
    } else {
        w->buf[w->len++] = *c;
        w->started = 1;
    }
    return 0;
}

char **hs_argv_split(const char *what, const char *cmd, char *err, size_t errlen)
{
    char **argv = NULL, quote = 0;
    word w = { malloc(strlen(cmd) + 1), 0, 0 };
    size_t n = 0;
    int rc = w.buf ? 0 : -1;

    for (const char *p = cmd; rc == 0 && *p; p++)
        rc = split_char(&p, &quote, &w, &argv, &n);
    if (rc == 0 && !quote)
        rc = word_end(&w, &argv, &n);
    free(w.buf);
    if (rc != 0 || quote || n == 0) {
        snprintf(err, errlen, "%s %s", what,
                 rc != 0 ? ": out of memory" : quote ? "has an unbalanced quote" : "is empty");
        hs_argv_free(argv);
        return NULL;
    }
    return argv;
}

/*
 * hs_launch: one way to start a target. See hs_launch.h.
 */
#include "target/hs_launch.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "target/hs_fiucount.h"
#include "util/hs_argv.h"
#include "util/hs_buf.h"

/* The reference gateway's argument vector for l; NULL when memory runs
 * out. Free with hs_argv_free. */
static char **gateway_argv(const hs_launch *l)
{
    char **argv = NULL, seed[32];
    size_t n = 0;
    int rc = 0;

    snprintf(seed, sizeof(seed), "%lu", l->seed);
    rc |= hs_argv_add(&argv, &n, l->gateway);
    rc |= hs_argv_add(&argv, &n, "--port");
    rc |= hs_argv_add(&argv, &n, "0");
    rc |= hs_argv_add(&argv, &n, "--port-file");
    rc |= hs_argv_add(&argv, &n, "{port_file}");
    if (l->fiu_ctrl) {
        rc |= hs_argv_add(&argv, &n, "--fiu-ctrl");
        rc |= hs_argv_add(&argv, &n, l->fiu_ctrl);
    }
    rc |= hs_argv_add(&argv, &n, "--seed");
    rc |= hs_argv_add(&argv, &n, seed);
    for (size_t i = 0; l->gateway_args && l->gateway_args[i]; i++)
        rc |= hs_argv_add(&argv, &n, l->gateway_args[i]);
    if (rc != 0) {
        hs_argv_free(argv);
        return NULL;
    }
    return argv;
}

/* word with every "{fiu_ctrl}" replaced by prefix; NULL when out of memory. */
static char *subst_fiu_ctrl(const char *word, const char *prefix)
{
    hs_buf b = { 0 };
    const char *at;

    while ((at = strstr(word, "{fiu_ctrl}")) != NULL) {
        hs_buf_append(&b, word, (size_t)(at - word));
        hs_buf_puts(&b, prefix);
        word = at + strlen("{fiu_ctrl}");
    }
    hs_buf_puts(&b, word);
    if (hs_buf_failed(&b)) {
        hs_buf_free(&b);
        return NULL;
    }
    return b.p;
}

/* --target-cmd's words, with {fiu_ctrl} replaced by the control prefix,
 * then the caller's extra arguments. */
static char **command_argv(const hs_launch *l, char *err, size_t errlen)
{
    char **argv = hs_argv_split("--target-cmd", l->cmd, err, errlen);
    size_t n = 0;

    while (argv && argv[n])
        n++;
    for (size_t i = 0; argv && l->cmd_args && l->cmd_args[i]; i++)
        if (hs_argv_add(&argv, &n, l->cmd_args[i]) != 0) {
            hs_errf(err, errlen, "out of memory building the target's command");
            hs_argv_free(argv);
            return NULL;
        }

    for (size_t i = 0; argv && argv[i]; i++) {
        char *word;

        if (!strstr(argv[i], "{fiu_ctrl}"))
            continue;
        word = subst_fiu_ctrl(argv[i], l->fiu_ctrl ? l->fiu_ctrl : "");
        if (!word) {
            hs_errf(err, errlen, "out of memory building the target's command");
            hs_argv_free(argv);
            return NULL;
        }
        free(argv[i]);
        argv[i] = word;
    }
    return argv;
}

/*
 * Ask the kernel for a free port, then let it go for the target to bind.
 * Another process could take it in between; the target then fails to start
 * with a clear error, and --target-cmd with {port_file} avoids the race.
 */
static int free_port(void)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), port = 0;

    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

/* Something for libfiu's run preload to enable at start. */
static int fiu_commands(const hs_launch *l)
{
    return l->nposix || (l->fiu_enable && *l->fiu_enable);
}

/* FIU_ENABLE=<one command per line>: the POSIX faults with their explicit
 * probability and errno, then the caller's own; NULL when out of memory. */
static char *posix_env(const hs_launch *l)
{
    hs_buf b = { 0 };

    hs_buf_puts(&b, "FIU_ENABLE=");
    for (size_t i = 0; i < l->nposix; i++)
        hs_buf_printf(&b, "%senable_random name=%s,probability=%g,failnum=1,failinfo=%d",
                      i ? "\n" : "", l->posix[i].name, l->posix[i].probability,
                      l->posix[i].err);
    if (l->fiu_enable && *l->fiu_enable)
        hs_buf_printf(&b, "%s%s", l->nposix ? "\n" : "", l->fiu_enable);
    if (hs_buf_failed(&b)) {
        hs_buf_free(&b);
        return NULL;
    }
    return b.p;
}

/*
 * The LD_PRELOAD list, NULL when nothing is preloaded: the caller's first
 * library (a sanitizer runtime must come first), the counting library,
 * then libfiu's two. Any place would do for the counting library's
 * fiu_fail: every preload comes before libfiu.so in the search order.
 */
static char *preload_list(const hs_launch *l, const char *counter)
{
    const char *words[] = { l->preload_first, counter,
                            fiu_commands(l) ? HS_LAUNCH_FIU_LIB "/fiu_run_preload.so" : NULL,
                            l->nposix ? HS_LAUNCH_FIU_LIB "/fiu_posix_preload.so" : NULL };
    hs_buf b = { 0 };

    if (!counter && !fiu_commands(l))
        return NULL;
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (words[i])
            hs_buf_printf(&b, "%s%s", b.len ? " " : "", words[i]);
    if (hs_buf_failed(&b)) {
        hs_buf_free(&b);
        return NULL;
    }
    return b.p;
}

/*
 * libfiu's run preload keeps a strdup of FIU_ENABLE for the life of the
 * process. LeakSanitizer's fast unwinder cannot walk out of the preload
 * (built without frame pointers), so a suppression naming it would never
 * match: a leak-checked target gets a full unwind when the preload is in.
 * NULL when LSAN_OPTIONS is not set (no leak checking asked for).
 */
static char *lsan_full_unwind(void)
{
    const char *now = getenv("LSAN_OPTIONS");
    char *v = NULL;

    if (now && asprintf(&v, "LSAN_OPTIONS=%s:fast_unwind_on_malloc=0", now) < 0)
        return NULL;
    return v;
}

/* Everything the spec points at, owned here until the target has started. */
typedef struct launch_parts {
    char port_file[PATH_MAX + 8];
    char secret_env[256];
    char seed_env[64];
    char counter[PATH_MAX];
    char counts_env[PATH_MAX + 32];
    char *fiu_env;
    char *lsan_env;
    char *preload;
    char *env[6];
    char **argv;
} launch_parts;

/* The counting library, and WSFAULT_FIU_COUNTS naming a file that does not
 * exist yet: the library adds to a table it finds (hs_fiucount.h). */
static int counts_env(const hs_launch *l, launch_parts *p, char *err, size_t errlen)
{
    int n;

    if (hs_fiucount_library(p->counter, sizeof(p->counter), err, errlen) != HS_FIUCOUNT_OK)
        return -1;
    if (unlink(l->fiu_counts) != 0 && errno != ENOENT) {
        hs_errf(err, errlen, "cannot remove the old counts file %s: %s", l->fiu_counts,
                strerror(errno));
        return -1;
    }
    n = snprintf(p->counts_env, sizeof(p->counts_env), "%s=%s", HS_FIUCOUNT_ENV,
                 l->fiu_counts);
    if (n < 0 || (size_t)n >= sizeof(p->counts_env)) {
        hs_errf(err, errlen, "the counts file's path is too long: %s", l->fiu_counts);
        return -1;
    }
    return 0;
}

/* What the preloads need: libfiu's commands for POSIX faults, the counts
 * file, and the LD_PRELOAD list itself. */
static int preload_env(const hs_launch *l, launch_parts *p, int *ne, char *err,
                       size_t errlen)
{
    if (l->fiu_counts) {
        if (counts_env(l, p, err, errlen) != 0)
            return -1;
        p->env[(*ne)++] = p->counts_env;
    }
    if (fiu_commands(l) && (p->fiu_env = posix_env(l)) != NULL) {
        p->env[(*ne)++] = p->fiu_env;
        p->lsan_env = lsan_full_unwind();
        if (p->lsan_env)
            p->env[(*ne)++] = p->lsan_env;
    }
    p->preload = preload_list(l, l->fiu_counts ? p->counter : NULL);
    if ((fiu_commands(l) && !p->fiu_env) ||
        (!p->preload && (fiu_commands(l) || l->fiu_counts))) {
        hs_errf(err, errlen, "out of memory building the target's environment");
        return -1;
    }
    return 0;
}

static int build_env(const hs_launch *l, launch_parts *p, char *err, size_t errlen)
{
    int ne = 0;

    if (l->secret) {
        snprintf(p->secret_env, sizeof(p->secret_env), "%s=%s",
                 l->secret_env ? l->secret_env : "GATEWAY_JWT_SECRET", l->secret);
        p->env[ne++] = p->secret_env;
    }
    snprintf(p->seed_env, sizeof(p->seed_env), "FIU_PRNG_SEED=%lu", l->seed);
    p->env[ne++] = p->seed_env;
    return preload_env(l, p, &ne, err, errlen);
}

int hs_launch_start(const hs_launch *l, hs_target *t, char *err, size_t errlen)
{
    launch_parts p = { .fiu_env = NULL };
    hs_target_spec spec = { 0 };
    int rc = -1;

    snprintf(p.port_file, sizeof(p.port_file), "%s/port", l->dir);
    p.argv = l->cmd ? command_argv(l, err, errlen) : gateway_argv(l);
    if (!p.argv && !l->cmd)
        hs_errf(err, errlen, "out of memory building the gateway's command");
    if (p.argv && build_env(l, &p, err, errlen) == 0) {
        spec.argv = p.argv;
        spec.env = p.env;
        spec.stderr_path = l->stderr_path;
        spec.port_file = p.port_file;
        /* A command that takes {port} but writes no port file gets a free one. */
        if (l->cmd && !strstr(l->cmd, "{port_file}")) {
            spec.port_file = NULL;
            spec.port = free_port();
        }
        spec.ready_timeout_ms = l->ready_timeout_ms;
        spec.preload = p.preload;
        rc = hs_target_start(&spec, t, err, errlen) == HS_TARGET_OK ? 0 : -1;
    }
    hs_argv_free(p.argv);
    free(p.fiu_env);
    free(p.lsan_env);
    free(p.preload);
    return rc;
}

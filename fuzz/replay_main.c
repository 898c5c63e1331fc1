/*
 * Replay: a plain main for any LLVMFuzzerTestOneInput target.
 *
 *   replay FILE|FOLDER...
 *
 * Each file, and each file of each folder (in name order, not recursing),
 * is handed to the target once. In a folder, names starting with a dot and
 * the text files that sit beside regression inputs (*.txt signatures,
 * README*) are skipped. The same main, built with afl-clang-fast and run
 * with @@, is the fork-server build that fuzz-bench compares with the
 * persistent one (deferred: the target's setup runs once, before the fork).
 *
 * Exit status: 0 when every input ran, 2 when a path could not be read. A
 * crashing input ends the process with the sanitizer's report; its path is
 * printed first, through the sanitizer's death callback.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));
void __sanitizer_set_death_callback(void (*cb)(void)) __attribute__((weak));
int __lsan_do_recoverable_leak_check(void) __attribute__((weak));

static const char *current_input;
static int leak_found;

/* Abort is how targets report a contract violation: let ASan trace it. */
const char *__asan_default_options(void)
{
    return "handle_abort=1:detect_leaks=1:fast_unwind_on_malloc=0";
}

const char *__ubsan_default_options(void)
{
    return "print_stacktrace=1:halt_on_error=1";
}

static void on_death(void)
{
    if (current_input)
        fprintf(stderr, "replay: the input that failed: %s\n", current_input);
}

static int read_all(const char *path, uint8_t **buf, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *b = NULL;
    size_t cap = 0, n = 0, r = 1;
    int rc = -1;

    if (!f)
        return -1;
    while (r > 0) {
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 65536;
            uint8_t *nb = realloc(b, ncap);

            if (!nb)
                goto out;
            b = nb;
            cap = ncap;
        }
        r = fread(b + n, 1, cap - n, f);
        n += r;
    }
    if (ferror(f))
        goto out;
    *buf = b;
    *len = n;
    b = NULL;
    rc = 0;
out:
    fclose(f);
    free(b);
    return rc;
}

/*
 * A leak is only reported when the process exits, with no word of which
 * input caused it: check after each input until the first leak (every later
 * check would report that same leak again). LeakSanitizer still fails the
 * run at exit.
 */
static void check_leaks(const char *path)
{
    if (leak_found || !__lsan_do_recoverable_leak_check)
        return;
    if (__lsan_do_recoverable_leak_check()) {
        leak_found = 1;
        fprintf(stderr, "replay: the input that leaked: %s\n", path);
    }
}

/* The target gets its own copy, sized exactly, so ASan sees overreads. */
static int replay_file(const char *path)
{
    uint8_t *buf = NULL, *exact;
    size_t len = 0;

    if (read_all(path, &buf, &len) != 0) {
        fprintf(stderr, "replay: cannot read %s: %s\n", path, strerror(errno));
        return -1;
    }
    exact = malloc(len ? len : 1);
    if (!exact) {
        free(buf);
        return -1;
    }
    memcpy(exact, buf, len);
    free(buf);
    current_input = path;
    LLVMFuzzerTestOneInput(exact, len);
    current_input = NULL;
    free(exact);
    check_leaks(path);
    return 0;
}

static int skipped(const char *name)
{
    size_t n = strlen(name);

    return name[0] == '.' || strncmp(name, "README", 6) == 0 ||
           (n > 4 && strcmp(name + n - 4, ".txt") == 0);
}

static int replay_folder(const char *dir, size_t *count)
{
    struct dirent **names;
    char path[4096];
    struct stat st;
    int n = scandir(dir, &names, NULL, alphasort), rc = 0;

    if (n < 0) {
        fprintf(stderr, "replay: cannot list %s: %s\n", dir, strerror(errno));
        return -1;
    }
    for (int i = 0; i < n; i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
        if (!skipped(names[i]->d_name) && stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
            rc |= replay_file(path);
            (*count)++;
        }
        free(names[i]);
    }
    free(names);
    return rc;
}

int main(int argc, char **argv)
{
    size_t count = 0;
    struct stat st;
    int rc = 0;

    if (LLVMFuzzerInitialize)
        LLVMFuzzerInitialize(&argc, &argv);
#ifdef __AFL_HAVE_MANUAL_CONTROL
    /* The fork server build forks here, after the setup, once per input. */
    __AFL_INIT();
#endif
    if (__sanitizer_set_death_callback)
        __sanitizer_set_death_callback(on_death);
    for (int i = 1; i < argc; i++) {
        if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
            rc |= replay_folder(argv[i], &count);
        } else {
            rc |= replay_file(argv[i]);
            count++;
        }
    }
    if (getenv("FUZZ_REPLAY_QUIET") == NULL)
        fprintf(stderr, "replay: %zu inputs\n", count);
    return rc ? 2 : 0;
}

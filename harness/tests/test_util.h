/*
 * test_util: what the unit tests share. Include it after <cmocka.h>.
 *
 * Comparison asserts. cmocka's assert_true(a < b) reports only that the
 * expression was false; these print the expression and both values, at the
 * caller's file and line, and evaluate each side once:
 *
 *   assert_cmp_int(a, OP, b)    signed integers, as intmax_t
 *   assert_cmp_uint(a, OP, b)   unsigned integers and sizes, as uintmax_t
 *   assert_cmp_dbl(a, OP, b)    doubles, compared exactly
 *
 * OP is one of < <= > >= == !=. A failure reads, for example:
 *   ERROR: `hs_now_ms() - t0 < TIMEOUT_MS / 5` is false: 1204 < 1000
 *
 * A scratch folder: test_dir_setup makes a fresh one under $TMPDIR (or
 * /tmp) named after the test program, test_dir_teardown removes it with
 * everything in it. Both are cmocka fixtures, for a group or for one test;
 * a setup that needs more calls them first. test_dir() is its path.
 *
 * Elapsed time: hs_now_ms() (util/hs_clock.h), the harness's own clock.
 */
#ifndef TEST_UTIL_H
#define TEST_UTIL_H

#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scenario/hs_profile.h"
#include "util/hs_clock.h"
#include "util/hs_fsutil.h"

static inline void test_fail_int(const char *expr, intmax_t a, const char *op, intmax_t b,
                                 const char *file, int line)
{
    print_error("ERROR: `%s` is false: %jd %s %jd\n", expr, a, op, b);
    _fail(file, line);
}

static inline void test_fail_uint(const char *expr, uintmax_t a, const char *op, uintmax_t b,
                                  const char *file, int line)
{
    print_error("ERROR: `%s` is false: %ju %s %ju\n", expr, a, op, b);
    _fail(file, line);
}

/* The shortest form that reads back as the same double, so 0.1 shows as
 * 0.1 but two values that differ in the last bit never print alike. */
static inline void test_dbl_str(double v, char *buf, size_t len)
{
    for (int prec = 15; prec <= DBL_DECIMAL_DIG; prec++) {
        snprintf(buf, len, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}

static inline void test_fail_dbl(const char *expr, double a, const char *op, double b,
                                 const char *file, int line)
{
    char sa[32], sb[32];

    test_dbl_str(a, sa, sizeof(sa));
    test_dbl_str(b, sb, sizeof(sb));
    print_error("ERROR: `%s` is false: %s %s %s\n", expr, sa, op, sb);
    _fail(file, line);
}

#define TEST_CMP(type, report, a, op, b) do {                                  \
        type test_cmp_a_ = (a), test_cmp_b_ = (b);                             \
        if (!(test_cmp_a_ op test_cmp_b_))                                     \
            report(#a " " #op " " #b, test_cmp_a_, #op, test_cmp_b_,           \
                   __FILE__, __LINE__);                                        \
    } while (0)

#define assert_cmp_int(a, op, b) TEST_CMP(intmax_t, test_fail_int, a, op, b)
#define assert_cmp_uint(a, op, b) TEST_CMP(uintmax_t, test_fail_uint, a, op, b)
#define assert_cmp_dbl(a, op, b) TEST_CMP(double, test_fail_dbl, a, op, b)

/* The folder's path lives here, one per test program. */
static inline char *test_dir_buf(void)
{
    static char dir[PATH_MAX];

    return dir;
}

static inline const char *test_dir(void)
{
    return test_dir_buf();
}

static inline int test_dir_setup(void **state)
{
    const char *tmp = getenv("TMPDIR");
    char *dir = test_dir_buf();

    snprintf(dir, PATH_MAX, "%s/%s-XXXXXX", tmp != NULL && *tmp ? tmp : "/tmp",
             program_invocation_short_name);
    if (mkdtemp(dir) != NULL)
        return 0;
    print_error("ERROR: cannot make a scratch folder %s: %s\n", dir, strerror(errno));
    dir[0] = '\0';
    return -1;
}

/* Fails when the folder is still there afterwards. */
static inline int test_dir_teardown(void **state)
{
    const char *dir = test_dir();

    if (dir[0] == '\0')
        return 0;
    hs_fs_remove_tree(dir);
    if (access(dir, F_OK) != 0)
        return 0;
    print_error("ERROR: scratch folder %s is still there\n", dir);
    return -1;
}

/* name inside the scratch folder, written to buf; returns buf. A path
 * that does not fit fails the test rather than name another file. */
static inline char *test_path(char *buf, size_t len, const char *name)
{
    int n = snprintf(buf, len, "%s/%s", test_dir(), name);

    if (n < 0 || (size_t)n >= len)
        fail_msg("path too long for its buffer: %s/%s", test_dir(), name);
    return buf;
}

/*
 * The reference gateway's profile, for tests that read answers or health
 * documents: test_profile_setup and test_profile_teardown are group
 * fixtures that load and free it; test_reference is it in between.
 */
static hs_profile *test_reference __attribute__((unused));

static inline int test_profile_setup(void **state)
{
    char err[512];

    (void)state;
    if (hs_profile_load(HS_PROFILE_DEFAULT, &test_reference, err, sizeof(err)) != 0) {
        print_error("%s\n", err);
        return -1;
    }
    return 0;
}

static inline int test_profile_teardown(void **state)
{
    (void)state;
    hs_profile_free(test_reference);
    test_reference = NULL;
    return 0;
}

#endif

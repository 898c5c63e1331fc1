/*
 * hs_fuzzstats: AFL++ fuzzer_stats and triage buckets, per target (see
 * hs_fuzzstats.h).
 */
#include "output/hs_fuzzstats.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/hs_buf.h"
#include "util/hs_escape.h"
#include "util/hs_fsutil.h"
#include "util/hs_utf8.h"

#define STATS_FILE_MAX (256 * 1024)     /* a real one is about 2 KiB */
#define VERSION_MAX 40

typedef enum fold_kind { FOLD_SUM, FOLD_MAX, FOLD_MIN } fold_kind;

/* The fuzzer_stats keys the report shows, and how instances combine. */
static const struct stat_field {
    const char *key;        /* as AFL++ writes it */
    const char *as;         /* as the summary names it */
    fold_kind how;
} stat_fields[] = {
    { "execs_done", "execs_done", FOLD_SUM },
    { "execs_per_sec", "execs_per_sec", FOLD_SUM },
    { "saved_crashes", "saved_crashes", FOLD_SUM },
    { "unique_crashes", "saved_crashes", FOLD_SUM },
    { "saved_hangs", "saved_hangs", FOLD_SUM },
    { "unique_hangs", "saved_hangs", FOLD_SUM },
    { "corpus_count", "corpus_count", FOLD_MAX },
    { "paths_total", "corpus_count", FOLD_MAX },
    { "run_time", "run_time", FOLD_MAX },
    { "last_update", "last_update", FOLD_MAX },
    { "bitmap_cvg", "bitmap_cvg", FOLD_MAX },
    { "start_time", "start_time", FOLD_MIN },
    { "stability", "stability", FOLD_MIN },
};

#define N_FIELDS (sizeof(stat_fields) / sizeof(stat_fields[0]))

/*
 * Bytes from disk as a JSON string: jansson holds valid UTF-8 only, so a
 * byte that starts no well-formed sequence becomes U+FFFD.
 */
static json_t *clean_string(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    hs_buf b = HS_BUF_INIT;
    size_t i = 0, k;
    json_t *j;

    while (i < n) {
        k = hs_utf8_seq_len(p + i, n - i);
        if (k == 0)
            hs_buf_puts(&b, "\xEF\xBF\xBD");
        else
            hs_buf_append(&b, p + i, k);
        i += k == 0 ? 1 : k;
    }
    j = hs_buf_failed(&b) ? NULL : json_stringn(b.p != NULL ? b.p : "", b.len);
    hs_buf_free(&b);
    return j;
}

/* A finite number, optionally followed by '%' ("100.00%"), else -1. */
static int parse_number(const char *s, size_t n, double *out)
{
    char buf[64], *end;

    if (n == 0 || n >= sizeof(buf))
        return -1;
    memcpy(buf, s, n);
    buf[n] = '\0';
    *out = strtod(buf, &end);
    if (end == buf || !isfinite(*out))
        return -1;
    if (*end == '%')
        end++;
    return *end == '\0' ? 0 : -1;
}

static void fold(json_t *target, const char *key, fold_kind how, double v)
{
    const json_t *old = json_object_get(target, key);
    double was = json_number_value(old);

    if (old != NULL && how == FOLD_SUM)
        v += was;
    else if (old != NULL && how == FOLD_MAX && was > v)
        v = was;
    else if (old != NULL && how == FOLD_MIN && was < v)
        v = was;
    json_object_set_new(target, key, json_real(v));
}

static void trim(const char **s, size_t *n)
{
    while (*n > 0 && (**s == ' ' || **s == '\t')) {
        (*s)++;
        (*n)--;
    }
    while (*n > 0 && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t' ||
                      (*s)[*n - 1] == '\r'))
        (*n)--;
}

/* One "key : value" line; lines of any other shape are ignored. */
static void add_line(json_t *target, const char *line, size_t n)
{
    const char *colon = memchr(line, ':', n), *val;
    size_t klen, vlen, i;
    double v;

    if (colon == NULL)
        return;
    klen = (size_t)(colon - line);
    val = colon + 1;
    vlen = n - klen - 1;
    trim(&line, &klen);
    trim(&val, &vlen);
    if (klen == strlen("afl_version") && memcmp(line, "afl_version", klen) == 0 &&
        json_object_get(target, "afl_version") == NULL) {
        json_object_set_new(target, "afl_version",
                            clean_string(val, hs_escape_clip(val, vlen, VERSION_MAX)));
        return;
    }
    for (i = 0; i < N_FIELDS; i++)
        if (strlen(stat_fields[i].key) == klen &&
            memcmp(stat_fields[i].key, line, klen) == 0 &&
            parse_number(val, vlen, &v) == 0)
            fold(target, stat_fields[i].as, stat_fields[i].how, v);
}

void hs_fuzzstats_add_instance(json_t *target, const char *text, size_t n)
{
    const char *p = text, *end = text + n, *nl;
    json_int_t k = json_integer_value(json_object_get(target, "instances"));

    for (; p < end; p = nl + 1) {
        nl = memchr(p, '\n', (size_t)(end - p));
        if (nl == NULL)
            nl = end;
        add_line(target, p, (size_t)(nl - p));
    }
    json_object_set_new(target, "instances", json_integer(k + 1));
}

/* ---- folders ----------------------------------------------------------- */

static int visible(const struct dirent *d)
{
    return d->d_name[0] != '.';
}

/*
 * The names in dir, sorted, hidden ones left out; *n is 0 when dir cannot
 * be read (a missing folder is simply nothing to show).
 */
static struct dirent **list_dir(const char *dir, int *n)
{
    struct dirent **names = NULL;

    *n = dir == NULL ? -1 : scandir(dir, &names, visible, alphasort);
    if (*n < 0) {
        *n = 0;
        return NULL;
    }
    return names;
}

static void free_list(struct dirent **names, int n)
{
    int i;

    for (i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

static int is_dir(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/*
 * The summary object for name, created on first use; NULL for a name that
 * is not UTF-8 (no target of ours) or past the limit.
 */
static json_t *target_of(json_t *all, const char *name)
{
    json_t *t = json_object_get(all, name);

    if (t == NULL && json_object_size(all) < HS_FUZZ_MAX_ENTRIES &&
        hs_utf8_valid((const unsigned char *)name, strlen(name))) {
        t = json_object();
        json_object_set_new(all, name, t);
    }
    return t;
}

/* A stats file is small; a huge one is not AFL++'s and is left out. */
static void read_instance(json_t *target, const char *path)
{
    char *text = NULL;
    size_t n = 0;

    if (hs_fs_read_file(path, &text, &n, NULL, 0) == 0 && n <= STATS_FILE_MAX)
        hs_fuzzstats_add_instance(target, text, n);
    free(text);
}

static void load_target_out(json_t *all, const char *out_dir, const char *name)
{
    char path[4096];
    struct dirent **inst;
    json_t *target;
    int n, i;

    snprintf(path, sizeof(path), "%s/%s", out_dir, name);
    inst = list_dir(path, &n);
    for (i = 0; i < n && i < HS_FUZZ_MAX_ENTRIES; i++) {
        snprintf(path, sizeof(path), "%s/%s/%s/fuzzer_stats", out_dir, name,
                 inst[i]->d_name);
        target = access(path, R_OK) == 0 ? target_of(all, name) : NULL;
        if (target != NULL)
            read_instance(target, path);
    }
    free_list(inst, n);
}

/* A bucket's first non-empty line, at most HS_FUZZ_SIGNATURE_MAX bytes. */
static json_t *bucket(const char *path, const char *file)
{
    char *text = NULL, *p;
    size_t n = 0, len;
    json_t *b;

    hs_fs_read_file(path, &text, &n, NULL, 0);
    p = text != NULL ? text : "";
    while (n > 0 && (*p == '\n' || *p == '\r')) {
        p++;
        n--;
    }
    len = strcspn(p, "\r\n");
    len = hs_escape_clip(p, len < n ? len : n, HS_FUZZ_SIGNATURE_MAX);
    b = json_pack("{s:o,s:o}", "name", clean_string(file, strlen(file) - strlen(".txt")),
                  "signature", clean_string(p, len));
    free(text);
    return b;
}

static int is_txt(const char *name)
{
    size_t n = strlen(name);

    return n > 4 && strcmp(name + n - 4, ".txt") == 0;
}

static void load_target_buckets(json_t *all, const char *regress_dir,
                                const char *name)
{
    char path[4096];
    struct dirent **files;
    json_t *list = json_array(), *target;
    int n, i;

    snprintf(path, sizeof(path), "%s/%s", regress_dir, name);
    files = list_dir(path, &n);
    for (i = 0; i < n && json_array_size(list) < HS_FUZZ_MAX_ENTRIES; i++) {
        if (!is_txt(files[i]->d_name))
            continue;
        snprintf(path, sizeof(path), "%s/%s/%s", regress_dir, name, files[i]->d_name);
        json_array_append_new(list, bucket(path, files[i]->d_name));
    }
    free_list(files, n);
    target = target_of(all, name);
    if (target != NULL)
        json_object_set_new(target, "buckets", list);
    else
        json_decref(list);
}

/* Each target folder under dir, handed to fn. */
static void each_target(json_t *all, const char *dir,
                        void (*fn)(json_t *all, const char *dir, const char *name))
{
    char path[4096];
    struct dirent **names;
    int n, i;

    names = list_dir(dir, &n);
    for (i = 0; i < n && i < HS_FUZZ_MAX_ENTRIES; i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
        if (is_dir(path))
            fn(all, dir, names[i]->d_name);
    }
    free_list(names, n);
}

int hs_fuzzstats_load(const char *out_dir, const char *regress_dir,
                      json_t **out, char *err, size_t errlen)
{
    json_t *all = json_object();

    *out = NULL;
    if (all == NULL) {
        snprintf(err, errlen, "fuzz statistics: out of memory");
        return -1;
    }
    each_target(all, out_dir, load_target_out);
    each_target(all, regress_dir, load_target_buckets);
    if (json_object_size(all) == 0)
        json_decref(all);
    else
        *out = all;
    return 0;
}

json_t *hs_fuzzstats_brief(const json_t *summary)
{
    static const char *const keep[] = { "start_time", "execs_done", "corpus_count",
                                        "saved_crashes", "saved_hangs" };
    json_t *brief = json_object(), *t, *b;
    const char *name;
    size_t i;

    json_object_foreach((json_t *)summary, name, t) {
        b = json_object();
        for (i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
            if (json_object_get(t, keep[i]) != NULL)
                json_object_set(b, keep[i], json_object_get(t, keep[i]));
        json_object_set_new(b, "buckets",
                            json_integer((json_int_t)json_array_size(json_object_get(t, "buckets"))));
        json_object_set_new(brief, name, b);
    }
    return brief;
}

/*
 * hs_fiucount: the counts file read back. See hs_fiucount.h.
 *
 * The file is mapped, not read(): the counters are 64-bit words the target
 * updates atomically, and only atomic loads of the mapping are sure never
 * to see one half-written.
 */
#include "target/hs_fiucount.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/hs_buf.h"
#include "util/hs_escape.h"

/* Is the mapped header a table this reader knows, whole in size bytes? */
static int check_header(const char *path, const hs_fiucount_header *h, size_t size,
                        char *err, size_t errlen)
{
    size_t need;

    if (__atomic_load_n(&h->magic, __ATOMIC_ACQUIRE) != HS_FIUCOUNT_MAGIC) {
        hs_errf(err, errlen, "%s is not a fault counts file (wrong magic number)", path);
        return HS_FIUCOUNT_ERR;
    }
    if (h->version != HS_FIUCOUNT_VERSION || h->slot_size != sizeof(hs_fiucount_slot) ||
        h->name_len != HS_FIUCOUNT_NAME_LEN || h->nslots == 0) {
        hs_errf(err, errlen, "%s is a fault counts file of version %u, this harness reads "
                "version %u: rebuild both with make", path, h->version, HS_FIUCOUNT_VERSION);
        return HS_FIUCOUNT_ERR;
    }
    need = sizeof(*h) + (size_t)h->nslots * sizeof(hs_fiucount_slot);
    if (size < need) {
        hs_errf(err, errlen, "%s is truncated: %zu bytes, its header promises %zu", path,
                size, need);
        return HS_FIUCOUNT_ERR;
    }
    return HS_FIUCOUNT_OK;
}

/* The entry for key in o, made at zero when there is none yet. */
static json_t *entry(json_t *o, const char *key)
{
    json_t *e = json_object_get(o, key);

    if (!e && json_object_set_new(o, key, json_pack("{s:I,s:I}", "reached", (json_int_t)0,
                                                    "fired", (json_int_t)0)) == 0)
        e = json_object_get(o, key);
    return e;
}

static void add_count(json_t *e, const char *field, uint64_t n)
{
    json_t *v = json_object_get(e, field);

    json_integer_set(v, json_integer_value(v) + (json_int_t)n);
}

/*
 * One READY slot added to o (one name may own two slots: hs_fiucount.h).
 * Fired is loaded first, with acquire: the library bumps reached before
 * fired, so the pair read is never more fired than reached. A cut name
 * gets "..." after it: no name that fits a slot can end that way, since
 * it would be longer than the cut.
 */
static int add_slot(json_t *o, const hs_fiucount_slot *s)
{
    uint64_t fired = __atomic_load_n(&s->fired, __ATOMIC_ACQUIRE);
    uint64_t reached = __atomic_load_n(&s->reached, __ATOMIC_RELAXED);
    hs_buf key = { 0 };
    json_t *e = NULL;

    hs_escape_term(s->name, strnlen(s->name, sizeof(s->name)), &key);
    if (s->flags & HS_FIUCOUNT_TRUNCATED)
        hs_buf_puts(&key, "...");
    if (!hs_buf_failed(&key) && (e = entry(o, key.p ? key.p : "")) != NULL) {
        add_count(e, "reached", reached);
        add_count(e, "fired", fired);
        if (s->flags & HS_FIUCOUNT_TRUNCATED)
            json_object_set_new(e, "truncated", json_true());
    }
    hs_buf_free(&key);
    return e ? 0 : -1;
}

/* Every point of a checked table; PARTIAL when the table ran out of slots. */
static int table_json(const char *path, const hs_fiucount_header *h, json_t **faults,
                      char *err, size_t errlen)
{
    const hs_fiucount_slot *slots = (const hs_fiucount_slot *)(h + 1);
    uint64_t lost_fired = __atomic_load_n(&h->lost_fired, __ATOMIC_ACQUIRE);
    uint64_t lost = __atomic_load_n(&h->lost_reached, __ATOMIC_RELAXED);
    json_t *o = json_object();

    for (uint32_t i = 0; o && i < h->nslots; i++) {
        if (__atomic_load_n(&slots[i].state, __ATOMIC_ACQUIRE) == HS_FIUCOUNT_READY &&
            add_slot(o, &slots[i]) != 0) {
            json_decref(o);
            o = NULL;
        }
    }
    if (!o) {
        hs_errf(err, errlen, "out of memory reading %s", path);
        return HS_FIUCOUNT_ERR;
    }
    *faults = o;
    if (lost == 0)
        return HS_FIUCOUNT_OK;
    hs_errf(err, errlen, "%s: %llu calls (%llu fired) found all %u slots taken: their "
            "points are not counted", path, (unsigned long long)lost,
            (unsigned long long)lost_fired, h->nslots);
    return HS_FIUCOUNT_PARTIAL;
}

/* The file's size, with what it means when no header fits in it. */
static int file_size(const char *path, int fd, size_t *size, char *err, size_t errlen)
{
    struct stat st;

    if (fstat(fd, &st) != 0) {
        hs_errf(err, errlen, "cannot stat %s: %s", path, strerror(errno));
        return HS_FIUCOUNT_ERR;
    }
    *size = (size_t)st.st_size;
    if (*size == 0)
        hs_errf(err, errlen, "%s is empty: the counting library made it but wrote no table "
                "(is the file system full?)", path);
    else if (*size < sizeof(hs_fiucount_header))
        hs_errf(err, errlen, "%s is truncated: %zu bytes, shorter than a %zu-byte header",
                path, *size, sizeof(hs_fiucount_header));
    return *size < sizeof(hs_fiucount_header) ? HS_FIUCOUNT_ERR : HS_FIUCOUNT_OK;
}

int hs_fiucount_read(const char *path, json_t **faults, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC), rc;
    size_t size = 0;
    void *map = MAP_FAILED;

    *faults = NULL;
    if (fd < 0) {
        hs_errf(err, errlen, "cannot open %s: %s (the target never loaded %s, or had no %s "
                "in its environment)", path, strerror(errno), HS_FIUCOUNT_LIBRARY,
                HS_FIUCOUNT_ENV);
        return HS_FIUCOUNT_ERR;
    }
    rc = file_size(path, fd, &size, err, errlen);
    if (rc == HS_FIUCOUNT_OK && (map = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0)) == MAP_FAILED) {
        hs_errf(err, errlen, "cannot map %s: %s", path, strerror(errno));
        rc = HS_FIUCOUNT_ERR;
    }
    close(fd);
    if (rc == HS_FIUCOUNT_OK)
        rc = check_header(path, map, size, err, errlen);
    if (rc == HS_FIUCOUNT_OK)
        rc = table_json(path, map, faults, err, errlen);
    if (map != MAP_FAILED)
        munmap(map, size);
    return rc;
}

/* LD_PRELOAD splits its list at spaces and colons: such a path cannot go in. */
static int preloadable(const char *path, char *err, size_t errlen)
{
    if (strpbrk(path, " :") == NULL)
        return HS_FIUCOUNT_OK;
    hs_errf(err, errlen, "%s cannot be preloaded: LD_PRELOAD splits paths at spaces and "
            "colons (build in a folder without them)", path);
    return HS_FIUCOUNT_ERR;
}

int hs_fiucount_library(char *out, size_t outlen, char *err, size_t errlen)
{
    char exe[PATH_MAX], dir[PATH_MAX], *slash;
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

    if (n < 0) {
        hs_errf(err, errlen, "cannot read /proc/self/exe: %s", strerror(errno));
        return HS_FIUCOUNT_ERR;
    }
    exe[n] = '\0';
    memcpy(dir, exe, (size_t)n + 1);
    for (int up = 0; up < 3 && (slash = strrchr(dir, '/')) != NULL; up++) {
        int len;

        *slash = '\0';
        len = snprintf(out, outlen, "%s/%s", dir, HS_FIUCOUNT_LIBRARY);
        if (len > 0 && (size_t)len < outlen && access(out, R_OK) == 0)
            return preloadable(out, err, errlen);
    }
    hs_errf(err, errlen, "%s is neither beside %s nor one or two folders above it: run make",
            HS_FIUCOUNT_LIBRARY, exe);
    return HS_FIUCOUNT_ERR;
}

/*
 * wsf_fiucount: libfiu's fault points counted from inside any target.
 *
 * Preloaded (LD_PRELOAD), this library's fiu_fail() comes before libfiu's
 * in the dynamic linker's search order, so every call through the linker
 * lands here: a C program built with -lfiu, Python's fiu_ll extension,
 * libfiu's own POSIX preload. Each call is counted by point name (reached,
 * and fired when libfiu's answer is non-zero) in the file named by
 * WSFAULT_FIU_COUNTS, laid out as target/hs_fiucount.h declares. The
 * harness reads it while the target runs and after it ends (contract
 * clause 7: a fault a scenario enables must fire).
 *
 * What the target sees never changes: the answer is libfiu's, errno is left
 * alone, no descriptor stays open, nothing is allocated. When the variable
 * is unset or the file cannot be made, calls are only forwarded.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <fiu.h>

#include "target/hs_fiucount.h"

/* Everything else is hidden (-fvisibility=hidden): the one symbol this
 * library gives the target is the one it interposes. */
#define WSF_EXPORT __attribute__((visibility("default")))

typedef int (*fail_fn)(const char *name);

/* Set by the constructor, before the target's main (or its dlopen)
 * returns, and never changed: NULL means forward only. */
static hs_fiucount_header *table;
/* libfiu's fiu_fail, and whether the one lookup at call time was made. */
static fail_fn real_fail;
static int lookup_done;
/* Initial-exec TLS is a plain load from the thread pointer: no allocation,
 * no lock, safe in a signal handler (the dynamic model may malloc). */
static __thread int in_lookup __attribute__((tls_model("initial-exec")));

static hs_fiucount_slot *slots(hs_fiucount_header *h)
{
    return (hs_fiucount_slot *)(h + 1);
}

/*
 * The file is made with raw system calls: libfiu's POSIX preload wraps
 * open, ftruncate, mmap and close, and would both count those calls as
 * points and fail them when a scenario enables posix/io/... faults.
 */
static hs_fiucount_header *map_table(int fd)
{
    void *p = (void *)syscall(SYS_mmap, NULL, HS_FIUCOUNT_FILE_SIZE,
                              PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

    return p == MAP_FAILED ? NULL : p;
}

/* A new table: the zeros ftruncate gives are empty slots; the magic goes
 * last, so a reader never takes a half-made header for a table. */
static hs_fiucount_header *make_table(int fd)
{
    hs_fiucount_header *h;

    if (syscall(SYS_ftruncate, fd, (long)HS_FIUCOUNT_FILE_SIZE) != 0 || !(h = map_table(fd)))
        return NULL;
    h->version = HS_FIUCOUNT_VERSION;
    h->nslots = HS_FIUCOUNT_SLOTS;
    h->slot_size = sizeof(hs_fiucount_slot);
    h->name_len = HS_FIUCOUNT_NAME_LEN;
    __atomic_store_n(&h->magic, HS_FIUCOUNT_MAGIC, __ATOMIC_RELEASE);
    return h;
}

/* Another process of the target made it (it exec'd us): add to its counts.
 * A file of any other size or layout is left alone and nothing is counted. */
static hs_fiucount_header *join_table(int fd, long size)
{
    hs_fiucount_header *h;

    if (size != (long)HS_FIUCOUNT_FILE_SIZE || !(h = map_table(fd)))
        return NULL;
    if (__atomic_load_n(&h->magic, __ATOMIC_ACQUIRE) == HS_FIUCOUNT_MAGIC &&
        h->version == HS_FIUCOUNT_VERSION && h->nslots == HS_FIUCOUNT_SLOTS &&
        h->slot_size == sizeof(hs_fiucount_slot) && h->name_len == HS_FIUCOUNT_NAME_LEN)
        return h;
    syscall(SYS_munmap, h, HS_FIUCOUNT_FILE_SIZE);
    return NULL;
}

/*
 * Created if missing, joined if it holds a table, never truncated: a
 * target's child that exec's with the same environment would otherwise
 * shrink the file under its parent's mapping (SIGBUS) and lose its counts.
 * Starting from zero is the launcher's job (it removes the file first).
 * flock makes "empty, so make it" one step between processes; the lock is
 * held for a few system calls, only here, never on a call's path.
 */
static hs_fiucount_header *open_table(const char *path)
{
    hs_fiucount_header *h = NULL;
    int fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    long size;

    if (fd < 0)
        return NULL;
    if (syscall(SYS_flock, fd, LOCK_EX) == 0) {
        size = syscall(SYS_lseek, fd, 0L, SEEK_END);
        h = size == 0 ? make_table(fd) : join_table(fd, size);
        syscall(SYS_flock, fd, LOCK_UN);
    }
    syscall(SYS_close, fd);
    return h;
}

/*
 * libfiu's fiu_fail: the next definition after this library (libfiu
 * linked into the program or a preload), else a libfiu already loaded with
 * RTLD_LOCAL, out of RTLD_NEXT's reach (Python's dlopen of fiu_ll). The
 * handle is kept, so that libfiu is never unloaded under the pointer.
 */
static fail_fn find_real(void)
{
    fail_fn f = (fail_fn)dlsym(RTLD_NEXT, "fiu_fail");
    void *lib;

    if (!f && (lib = dlopen("libfiu.so.0", RTLD_LAZY | RTLD_NOLOAD)) != NULL)
        f = (fail_fn)dlsym(lib, "fiu_fail");
    return f;
}

/* The dynamic linker may malloc, and libfiu's POSIX preload turns malloc
 * into a fiu_fail call: that nested call must not look up again. */
static fail_fn find_real_guarded(void)
{
    int saved = errno;
    fail_fn f;

    in_lookup = 1;
    f = find_real();
    in_lookup = 0;
    errno = saved;
    return f;
}

/*
 * The real function. When the constructor found none, the first call looks
 * again and that answer stands: libfiu may be loaded after this library (a
 * dlopen'd module), but by the first call it is there. Threads racing to
 * that first call each look up (dlsym is thread-safe, the answer the
 * same); a call nested in a lookup gets NULL and is answered 0, as libfiu
 * answers its own nested calls.
 */
static fail_fn real(void)
{
    fail_fn f = __atomic_load_n(&real_fail, __ATOMIC_ACQUIRE);

    if (f || in_lookup || __atomic_load_n(&lookup_done, __ATOMIC_ACQUIRE))
        return f;
    f = find_real_guarded();
    __atomic_store_n(&real_fail, f, __ATOMIC_RELEASE);
    __atomic_store_n(&lookup_done, 1, __ATOMIC_RELEASE);
    return f;
}

/* The name's first HS_FIUCOUNT_NAME_LEN - 1 bytes (*n of them) and whether
 * more followed (*cut), hashed together (FNV-1a): a cut name and a whole
 * name of the same bytes are different points. */
static uint64_t name_hash(const char *name, size_t *n, uint32_t *cut)
{
    uint64_t h = 14695981039346656037ULL;
    size_t i;

    for (i = 0; i < HS_FIUCOUNT_NAME_LEN - 1 && name[i]; i++)
        h = (h ^ (unsigned char)name[i]) * 1099511628211ULL;
    *n = i;
    *cut = name[i] != '\0' ? HS_FIUCOUNT_TRUNCATED : 0;
    return (h ^ *cut) * 1099511628211ULL;
}

static int same_name(const hs_fiucount_slot *s, const char *name, size_t n, uint32_t cut)
{
    return s->flags == cut && memcmp(s->name, name, n) == 0 && s->name[n] == '\0';
}

/*
 * The slot that counts name: the first READY one holding it along its probe
 * sequence, or an EMPTY one claimed for it. A slot another call is still
 * claiming is passed over, never waited for (see hs_fiucount.h). NULL when
 * every slot is taken.
 */
static hs_fiucount_slot *slot_for(hs_fiucount_header *h, const char *name)
{
    size_t n;
    uint32_t cut;
    uint64_t hash = name_hash(name, &n, &cut);

    for (uint32_t i = 0; i < HS_FIUCOUNT_SLOTS; i++) {
        hs_fiucount_slot *s = &slots(h)[(hash + i) % HS_FIUCOUNT_SLOTS];
        uint32_t st = __atomic_load_n(&s->state, __ATOMIC_ACQUIRE);

        if (st == HS_FIUCOUNT_EMPTY &&
            __atomic_compare_exchange_n(&s->state, &st, HS_FIUCOUNT_CLAIMING, 0,
                                        __ATOMIC_ACQUIRE, __ATOMIC_ACQUIRE)) {
            memcpy(s->name, name, n);
            s->name[n] = '\0';
            s->flags = cut;
            __atomic_store_n(&s->state, HS_FIUCOUNT_READY, __ATOMIC_RELEASE);
            return s;
        }
        /* st is now what another call made of the slot: maybe our name. */
        if (st == HS_FIUCOUNT_READY && same_name(s, name, n, cut))
            return s;
    }
    return NULL;
}

/* Count one reach; the counter to bump if libfiu says fire, or NULL.
 * Reached is counted before libfiu answers, so a fault that ends the
 * process still shows, and a reader never sees fired ahead of reached. */
static uint64_t *count_reached(const char *name)
{
    hs_fiucount_header *h = table;
    hs_fiucount_slot *s;

    if (!h || !name)
        return NULL;
    s = slot_for(h, name);
    __atomic_fetch_add(s ? &s->reached : &h->lost_reached, 1, __ATOMIC_RELAXED);
    return s ? &s->fired : &h->lost_fired;
}

WSF_EXPORT int fiu_fail(const char *name)
{
    uint64_t *fired = count_reached(name);
    fail_fn f = real();
    int r = f ? f(name) : 0;

    /* Release: whoever reads this fired count sees the reach before it. */
    if (r != 0 && fired)
        __atomic_fetch_add(fired, 1, __ATOMIC_RELEASE);
    return r;
}

/* At load: the table, and libfiu when the program already links it, so
 * the calls themselves (maybe in a signal handler) never look it up. */
__attribute__((constructor)) static void wsf_fiucount_load(void)
{
    const char *path = getenv(HS_FIUCOUNT_ENV);

    if (path && *path)
        table = open_table(path);
    __atomic_store_n(&real_fail, find_real_guarded(), __ATOMIC_RELEASE);
}

/*
 * hs_fsutil: atomic file replacement, mkdir -p, whole-file reads.
 */
#include "util/hs_fsutil.h"

#include <errno.h>
#include <limits.h>
#include <ftw.h>
#include <fcntl.h>
#include <fiu.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/hs_buf.h"

#define HS_FS_READ_CHUNK 65536

/* A failure injected at point, reported the way a real one would be. */
static int fs_fault(const char *point)
{
    if (!fiu_fail(point))
        return 0;
    errno = EIO;
    return 1;
}

/*
 * "dir/.name.tmp-XXXXXX" beside path: the leading dot keeps it out of
 * globs such as *.xml that CI uses to collect reports.
 */
static char *temp_template(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash == NULL ? path : slash + 1;
    int dirlen = slash == NULL ? 0 : (int)(base - path);
    char *tmp = NULL;

    if (*base == '\0') {
        errno = EISDIR;
        return NULL;
    }
    if (asprintf(&tmp, "%.*s.%s.tmp-XXXXXX", dirlen, path, base) < 0) {
        errno = ENOMEM;
        return NULL;
    }
    return tmp;
}

/* write(2) until everything is out: it may write less than asked. */
static int write_all(int fd, const void *data, size_t n)
{
    const char *p = data;
    ssize_t w;

    while (n > 0) {
        if (fs_fault("harness/fs/write"))
            return -1;
        w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/*
 * The rename is already durable on most file systems once the folder is
 * flushed; if flushing the folder fails the new file is in place anyway,
 * so that failure is not reported.
 */
static void sync_parent(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir = slash == NULL ? strdup(".") : strndup(path, (size_t)(slash - path + 1));
    int fd;

    if (dir == NULL)
        return;
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
    free(dir);
}

static int write_replace(const char *path, const void *data, size_t n, int durable,
                         char *err, size_t errlen)
{
    const char *step = "naming a temporary file";
    char *tmp = temp_template(path);
    int fd = -1, created = 0, closed, saved;

    if (tmp == NULL)
        goto error;
    step = "creating a temporary file";
    fd = fs_fault("harness/fs/open") ? -1 : mkostemp(tmp, O_CLOEXEC);
    if (fd < 0)
        goto error;
    created = 1;
    step = "writing";
    if (write_all(fd, data, n) != 0 || fchmod(fd, 0644) != 0)
        goto error;
    step = "flushing to disk";
    if (durable && (fs_fault("harness/fs/fsync") || fsync(fd) != 0))
        goto error;
    step = "closing";
    closed = close(fd);
    fd = -1;
    if (closed != 0)
        goto error;
    step = "renaming the temporary file into place";
    if (fs_fault("harness/fs/rename") || rename(tmp, path) != 0)
        goto error;
    if (durable)
        sync_parent(path);
    free(tmp);
    return 0;
error:
    saved = errno;
    if (fd >= 0)
        close(fd);
    if (created)
        unlink(tmp);
    free(tmp);
    hs_errf(err, errlen, "cannot write %s: %s: %s", path, step,
            strerror(saved));
    return -1;
}

int hs_fs_write_atomic(const char *path, const void *data, size_t n,
                       char *err, size_t errlen)
{
    return write_replace(path, data, n, 1, err, errlen);
}

int hs_fs_write_scratch(const char *path, const void *data, size_t n,
                        char *err, size_t errlen)
{
    return write_replace(path, data, n, 0, err, errlen);
}

int hs_fs_inotify(void)
{
    static int fd = -1;
    static pid_t owner;

    if (fd < 0 || owner != getpid()) {
        fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        owner = getpid();
    }
    return fd;
}

void hs_fs_inotify_drain(void)
{
    char buf[4096];
    int fd = hs_fs_inotify();

    while (fd >= 0 && read(fd, buf, sizeof(buf)) > 0)
        ;
}

/* mkdir one level; an existing folder is fine, an existing file is not. */
static int mkdir_one(const char *dir)
{
    struct stat st;

    if (mkdir(dir, 0755) == 0)
        return 0;
    if (errno != EEXIST)
        return -1;
    if (stat(dir, &st) != 0)
        return -1;
    if (!S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return -1;
    }
    return 0;
}

/* Each prefix ending before a '/' is created in turn, then the whole path. */
int hs_fs_mkdirs(const char *path, char *err, size_t errlen)
{
    char *dir = strdup(path);
    char *p;
    int saved;

    if (dir == NULL || *dir == '\0') {
        errno = dir == NULL ? ENOMEM : ENOENT;
        goto error;
    }
    for (p = strchr(dir + 1, '/'); p != NULL; p = strchr(p + 1, '/')) {
        *p = '\0';
        if (mkdir_one(dir) != 0)
            goto error;
        *p = '/';
    }
    if (mkdir_one(dir) != 0)
        goto error;
    free(dir);
    return 0;
error:
    saved = errno;
    hs_errf(err, errlen, "cannot create folder %s: %s", dir != NULL ? dir : path,
            strerror(saved));
    free(dir);
    return -1;
}

/* Read until end of file rather than trusting st_size: pipes and /proc lie. */
int hs_fs_read_file(const char *path, char **out, size_t *n, char *err,
                    size_t errlen)
{
    return hs_fs_read_from(path, 0, out, n, err, errlen);
}

int hs_fs_read_from(const char *path, long from, char **out, size_t *n, char *err,
                    size_t errlen)
{
    hs_buf b = HS_BUF_INIT;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t r;
    int saved;

    *out = NULL;
    *n = 0;
    if (fd < 0 || (from > 0 && lseek(fd, (off_t)from, SEEK_SET) < 0))
        goto error;
    for (;;) {
        if (hs_buf_reserve(&b, HS_FS_READ_CHUNK) != 0) {
            errno = ENOMEM;
            goto error;
        }
        r = read(fd, b.p + b.len, HS_FS_READ_CHUNK);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            goto error;
        if (r == 0)
            break;
        b.len += (size_t)r;
    }
    b.p[b.len] = '\0';
    close(fd);
    *out = b.p;
    *n = b.len;
    return 0;
error:
    saved = errno;
    if (fd >= 0)
        close(fd);
    hs_buf_free(&b);
    hs_errf(err, errlen, "cannot read %s: %s", path, strerror(saved));
    return -1;
}

/* Keep going past an entry that cannot be removed: the rest still goes. */
static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    remove(path);
    return 0;
}

void hs_fs_remove_tree(const char *dir)
{
    nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int hs_fs_mkparent(const char *path, char *err, size_t errlen)
{
    const char *slash = strrchr(path, '/');
    char dir[PATH_MAX];

    if (!slash || slash == path)
        return 0;
    snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
    return hs_fs_mkdirs(dir, err, errlen);
}

int hs_fs_write_json(const char *path, const json_t *doc, char *err, size_t errlen)
{
    char *text = json_dumps(doc, JSON_INDENT(2));
    int rc = -1;

    if (!text)
        hs_errf(err, errlen, "out of memory");
    else if (hs_fs_mkparent(path, err, errlen) == 0)
        rc = hs_fs_write_atomic(path, text, strlen(text), err, errlen);
    free(text);
    return rc;
}

int hs_fs_save_json(const char *prog, const char *path, const json_t *doc)
{
    char err[512];

    if (hs_fs_write_json(path, doc, err, sizeof(err)) == 0)
        return 0;
    fprintf(stderr, "%s: cannot write %s: %s\n", prog, path, err);
    return -1;
}

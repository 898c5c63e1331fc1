/*
 * hs_fsutil: files the harness writes for others to read.
 *
 * Reports are read by CI while, or after, the harness runs; a crash or a
 * full disk must never leave a half-written junit.xml that CI then
 * misreads as a short, green run. hs_fs_write_atomic therefore writes a
 * temporary file in the target's own folder (rename is atomic only within
 * one file system), flushes it to disk, and renames it over the target.
 *
 * Each step can be failed on purpose through libfiu, for tests:
 * "harness/fs/open", "harness/fs/write", "harness/fs/fsync",
 * "harness/fs/rename" (the failing step reports EIO).
 *
 * All functions return 0, or -1 with a message in err naming the path,
 * the step and the system's reason. err may be NULL.
 */
#ifndef HS_FSUTIL_H
#define HS_FSUTIL_H

#include <stddef.h>

#include <jansson.h>

/*
 * Replace path with data[0..n) all at once: readers see the old file or
 * the new one, never a mix. On failure the old file is untouched and the
 * temporary file is removed. The new file gets mode 0644. A symbolic link
 * at path is replaced by a regular file, not followed.
 */
int hs_fs_write_atomic(const char *path, const void *data, size_t n,
                       char *err, size_t errlen);

/*
 * hs_fs_write_atomic without flushing to disk: readers still never see a
 * mix, but a machine that crashes may lose it. For what a run writes and
 * reads back itself (a worker's case result, a case's slice of a log):
 * two fsyncs per case were a third of a case's cost.
 */
int hs_fs_write_scratch(const char *path, const void *data, size_t n,
                        char *err, size_t errlen);

/*
 * This process's one inotify instance (made on first use, and again in a
 * forked child), non-blocking, or -1 with errno. One per process because
 * closing an instance waits out an RCU grace period, 4 to 13 ms here: a
 * fifth of a case. Watches are added, never removed (that waits too): they
 * go with their file or folder. Several waiters may share it: each wakes
 * on any event, drains, and checks its own condition again.
 */
int hs_fs_inotify(void);

/* Drop every event queued on hs_fs_inotify's instance. */
void hs_fs_inotify_drain(void);

/* mkdir -p: create path and any missing parents (mode 0755). */
int hs_fs_mkdirs(const char *path, char *err, size_t errlen);

/*
 * Read a whole file into a malloc'd buffer, NUL-terminated (the data may
 * hold NUL bytes too; *n is the length without the terminator). The
 * caller frees *out. On failure *out is NULL.
 */
int hs_fs_read_file(const char *path, char **out, size_t *n, char *err,
                    size_t errlen);

/* The same from byte `from` on (past the end: an empty string): a log that
 * grows case after case is read from where the last case stopped. */
int hs_fs_read_from(const char *path, long from, char **out, size_t *n, char *err,
                    size_t errlen);

/* Create the folder that will hold path (nothing for a bare file name). */
int hs_fs_mkparent(const char *path, char *err, size_t errlen);

/* Write doc as indented JSON to path, atomically, creating its folder. */
int hs_fs_write_json(const char *path, const json_t *doc, char *err, size_t errlen);

/* hs_fs_write_json for a command: on failure prints "PROG: cannot write
 * PATH: why" to stderr. 0 or -1. */
int hs_fs_save_json(const char *prog, const char *path, const json_t *doc);

/* Remove dir and everything below it (scratch folders: FIFOs, port files). */
void hs_fs_remove_tree(const char *dir);

#endif

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

/* mkdir -p: create path and any missing parents (mode 0755). */
int hs_fs_mkdirs(const char *path, char *err, size_t errlen);

/*
 * Read a whole file into a malloc'd buffer, NUL-terminated (the data may
 * hold NUL bytes too; *n is the length without the terminator). The
 * caller frees *out. On failure *out is NULL.
 */
int hs_fs_read_file(const char *path, char **out, size_t *n, char *err,
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

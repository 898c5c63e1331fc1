/*
 * hs_fiucount: how often each libfiu point was reached and fired in a
 * target that links libfiu, whatever its language, without its help.
 *
 * The counting library (harness/preload/wsf_fiucount.c, built as
 * build/libwsfault-fiucount.so) is preloaded into the target (hs_launch's
 * fiu_counts). It interposes fiu_fail(), calls libfiu's, and counts each
 * call in a file named by WSFAULT_FIU_COUNTS, shared by every process of
 * the target (forked children share the mapping, exec'd ones open the same
 * table). This module reads that file, while the target runs or after it
 * ends, into the shape of the reference gateway's /health "faults" object,
 * so contract clause 7 (a fault enabled must fire) can be judged for any
 * target.
 *
 * The file format is declared here, once, for the library and the reader:
 *
 *   offset 0   hs_fiucount_header (64 bytes)
 *   offset 64  nslots x hs_fiucount_slot (144 bytes each)
 *
 * in the host's byte order (the file never leaves the machine). A slot is
 * claimed by one compare-and-swap of its state, EMPTY to CLAIMING; the
 * name is written, then the state becomes READY with release ordering, so a
 * reader that loads READY with acquire ordering sees the whole name. Slots
 * are never freed, so a name's probe sequence (open addressing, FNV-1a) is
 * stable. A call that meets a slot still CLAIMING moves on rather than
 * wait (waiting could deadlock a signal handler that interrupted the
 * claimer), so one name may own two slots: the reader adds them up.
 */
#ifndef HS_FIUCOUNT_H
#define HS_FIUCOUNT_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#define HS_FIUCOUNT_ENV "WSFAULT_FIU_COUNTS"
#define HS_FIUCOUNT_LIBRARY "libwsfault-fiucount.so"

/* "wsfiucnt" in a little-endian file; any change of layout bumps the version. */
#define HS_FIUCOUNT_MAGIC 0x746e637569667377ULL
#define HS_FIUCOUNT_VERSION 1u
/* Far more points than a target names (libfiu's POSIX preload has about 110). */
#define HS_FIUCOUNT_SLOTS 1024u
/* Bytes for a name, NUL included; longer names are cut and flagged. */
#define HS_FIUCOUNT_NAME_LEN 120u

enum { HS_FIUCOUNT_EMPTY = 0, HS_FIUCOUNT_CLAIMING = 1, HS_FIUCOUNT_READY = 2 };
#define HS_FIUCOUNT_TRUNCATED 1u   /* slot flag: the name was longer than the slot */

typedef struct hs_fiucount_header {
    uint64_t magic;             /* written last: a reader never sees a half-made header */
    uint32_t version;
    uint32_t nslots;
    uint32_t slot_size;         /* sizeof(hs_fiucount_slot) */
    uint32_t name_len;          /* HS_FIUCOUNT_NAME_LEN */
    uint64_t lost_reached;      /* calls not counted: every slot was taken */
    uint64_t lost_fired;
    uint64_t reserved[3];
} hs_fiucount_header;

typedef struct hs_fiucount_slot {
    uint32_t state;             /* HS_FIUCOUNT_EMPTY, _CLAIMING, _READY */
    uint32_t flags;             /* HS_FIUCOUNT_TRUNCATED */
    uint64_t reached;           /* 64 bits: no target lives long enough to wrap them */
    uint64_t fired;             /* the real fiu_fail returned non-zero */
    char name[HS_FIUCOUNT_NAME_LEN];
} hs_fiucount_slot;

#define HS_FIUCOUNT_FILE_SIZE \
    (sizeof(hs_fiucount_header) + (size_t)HS_FIUCOUNT_SLOTS * sizeof(hs_fiucount_slot))

#define HS_FIUCOUNT_OK 0
#define HS_FIUCOUNT_ERR -1
#define HS_FIUCOUNT_PARTIAL 1   /* counts read, but some calls found no free slot */

/*
 * Read a counts file into a new object {"point": {"reached": N, "fired": M},
 * ...} holding every point reached at least once; a name too long for a
 * slot is cut, followed by "...", and its point has "truncated": true
 * (every name with that beginning is counted there). Names come from the target:
 * each is made safe with hs_escape_term (plain names stay as they are).
 * HS_FIUCOUNT_PARTIAL also fills *faults, and err says how many calls went
 * uncounted. HS_FIUCOUNT_ERR leaves *faults NULL and err names the file and
 * what is wrong: missing (the library was never loaded into the target),
 * empty or truncated, another format or version.
 */
int hs_fiucount_read(const char *path, json_t **faults, char *err, size_t errlen);

/*
 * The counting library's path: HS_FIUCOUNT_LIBRARY in the folder of the
 * running program (build/harness) or one or two folders above it (the test
 * programs in build/tests/ and build/asan/tests/). HS_FIUCOUNT_ERR with a
 * message naming where it looked when it is in none of them.
 */
int hs_fiucount_library(char *out, size_t outlen, char *err, size_t errlen);

#endif

/* Whole-file reads and writes: the one place that loops over fread/write. */
#ifndef CX_BASE_FS_H
#define CX_BASE_FS_H

#include <stdbool.h>
#include <stddef.h>

/* The first max bytes of the file at path (SIZE_MAX: all of it), NUL-terminated (so
 * text may be used as a string; binary data may hold NULs: use *len). *len, if given,
 * gets the number of bytes read. Returns NULL with errno set when the file cannot be
 * opened or read (ENOENT: it does not exist) or memory runs out. The caller frees. */
char *cx__fs_slurp(const char *path, size_t max, size_t *len);

/* Replaces the file at path with len bytes of data (mode 0644 for a new file),
 * creating missing parent folders (0755) when make_parents. Returns 0, or -1 with
 * errno set. Not atomic: a reader may see a partial file. */
int cx__fs_write(const char *path, const void *data, size_t len, bool make_parents);

/* Creates path and its missing parents as folders (0755). Returns 0 (also when it
 * exists already), or -1 with errno set. */
int cx__fs_mkdirs(const char *path);

#endif

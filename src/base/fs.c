/* Whole-file reads and writes (see fs.h). */
#include "base/fs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/buf.h"

char *cx__fs_slurp(const char *path, size_t max, size_t *len)
{
    if (len) *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    cx_buf b = CX_BUF_INIT;
    char chunk[8192];
    size_t n;
    while (b.len < max && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
        cx__buf_append(&b, chunk, n);
    int failed = ferror(f), saved = errno;
    fclose(f);
    if (b.len > max) cx__buf_truncate(&b, max);
    cx__buf_puts(&b, "");
    if (failed || !b.data) {
        cx__buf_free(&b);
        errno = failed ? saved : ENOMEM;
        return NULL;
    }
    if (len) *len = b.len;
    return cx__buf_steal(&b);
}

int cx__fs_mkdirs(const char *path)
{
    char *p = strdup(path);
    if (!p) return -1;
    for (char *s = p + 1; *s; s++) {
        if (*s != '/') continue;
        *s = '\0';
        if (mkdir(p, 0755) != 0 && errno != EEXIST) {
            free(p);
            return -1;
        }
        *s = '/';
    }
    int rc = mkdir(p, 0755) != 0 && errno != EEXIST ? -1 : 0;
    free(p);
    return rc;
}

int cx__fs_write(const char *path, const void *data, size_t len, bool make_parents)
{
    if (make_parents) {
        const char *slash = strrchr(path, '/');
        if (slash && slash != path) {
            char *dir = strndup(path, (size_t)(slash - path));
            int rc = dir ? cx__fs_mkdirs(dir) : -1;
            free(dir);
            if (rc) return -1;
        }
    }
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t wrote = len ? fwrite(data, 1, len, f) : 0;
    int saved = errno;
    if (fclose(f) != 0 || wrote != len) {
        errno = wrote != len ? saved : errno;
        return -1;
    }
    return 0;
}

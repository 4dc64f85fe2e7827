/* Bundles: the whitelist walk, a zip writer shaped like Python's zipfile, and
 * a reader that refuses anything that could write outside its folder. See
 * bundle.h. */
#include "portable/bundle.h"

#include "base/json.h"
#include "base/toml.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define MAX_DEPTH 64
#define MAX_CONFIG (16u * 1024 * 1024)
#define SIG_LOCAL 0x04034b50u
#define SIG_CENTRAL 0x02014b50u
#define SIG_END 0x06054b50u
#define ZIP_VERSION 20 /* what Python's zipfile writes for deflate */
#define MADE_ON_UNIX 3
#define FLAG_ENCRYPTED 0x0001u
#define FLAG_UTF8 0x0800u

/* ---- small helpers -------------------------------------------------------------- */

typedef struct list {
    char **v;
    size_t n, cap;
    bool failed;
} list;

static void list_add(list *l, const char *s)
{
    if (l->failed) return;
    if (l->n + 2 > l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        char **v = realloc(l->v, cap * sizeof *v);
        if (!v) {
            l->failed = true;
            return;
        }
        l->v = v;
        l->cap = cap;
    }
    if (!(l->v[l->n] = strdup(s))) {
        l->failed = true;
        return;
    }
    l->v[++l->n] = NULL;
}

void cx__bundle_files_free(char **files)
{
    if (!files) return;
    for (size_t i = 0; files[i]; i++)
        free(files[i]);
    free(files);
}

static bool is_regular(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Reads a whole regular file (following symbolic links, as pycodex does).
 * Returns 0 or an errno value; EFBIG past limit. */
static int read_file(const char *path, size_t limit, cx_buf *out, struct stat *st)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return errno;
    int rc = 0;
    if (fstat(fd, st) != 0)
        rc = errno;
    else if (!S_ISREG(st->st_mode))
        rc = EINVAL;
    else if ((uint64_t)st->st_size > limit)
        rc = EFBIG;
    else if (cx__buf_reserve(out, (size_t)st->st_size))
        rc = ENOMEM;
    size_t start = out->len;
    while (!rc) {
        char chunk[65536];
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) rc = errno;
        if (n <= 0) break;
        if (out->len - start + (size_t)n > limit)
            rc = EFBIG; /* the file grew while we read it */
        else if (cx__buf_append(out, chunk, (size_t)n))
            rc = ENOMEM;
    }
    close(fd);
    return rc;
}

/* pathlib's view of a relative path, which both pycodex checks rely on:
 * empty and "." segments vanish, ".." is refused. Appends the clean path
 * (possibly empty) to out; returns 0, or -1 for "..". */
static int normalize(const char *path, size_t len, cx_buf *out)
{
    size_t i = 0;
    while (i < len) {
        size_t j = i;
        while (j < len && path[j] != '/')
            j++;
        size_t n = j - i;
        if (n == 2 && path[i] == '.' && path[i + 1] == '.') return -1;
        if (n && !(n == 1 && path[i] == '.')) {
            if (out->len) cx__buf_putc(out, '/');
            cx__buf_append(out, path + i, n);
        }
        i = j + 1;
    }
    return 0;
}

/* ---- the whitelist -------------------------------------------------------------- */

/* Adds the regular files below abs (known as rel in the bundle). Folders
 * that are symbolic links are listed but not entered, like pathlib's rglob. */
static void walk(cx_buf *abs, cx_buf *rel, list *l, int depth)
{
    DIR *d = depth <= MAX_DEPTH ? opendir(abs->data) : NULL;
    if (!d) return;
    size_t alen = abs->len, rlen = rel->len;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        cx__buf_printf(abs, "/%s", e->d_name);
        cx__buf_printf(rel, "/%s", e->d_name);
        struct stat st;
        if (cx__buf_failed(abs) || cx__buf_failed(rel))
            l->failed = true;
        else if (lstat(abs->data, &st) == 0 && S_ISDIR(st.st_mode))
            walk(abs, rel, l, depth + 1);
        else if (is_regular(abs->data))
            list_add(l, rel->data);
        cx__buf_truncate(abs, alen);
        cx__buf_truncate(rel, rlen);
    }
    closedir(d);
}

static int add_instructions(const char *home_real, const json_object *table, list *l, cx_error *err)
{
    const char *value = cx__json_get_str(table, "model_instructions_file");
    if (!value || value[0] == '/')
        return 0; /* absolute paths are the user's business, not the bundle's */
    cx_buf norm = CX_BUF_INIT;
    if (normalize(value, strlen(value), &norm)) {
        cx__buf_free(&norm);
        return cx_error_set(err, CX_ECONFIG, "config path contains invalid path segments");
    }
    char *full = NULL, *real = NULL;
    int rc = 0;
    if (norm.len && asprintf(&full, "%s/%s", home_real, norm.data) < 0) full = NULL;
    if (full) real = realpath(full, NULL);
    if (real) {
        size_t hl = strcmp(home_real, "/") ? strlen(home_real) : 0;
        if (strncmp(real, home_real, hl) || (real[hl] != '/' && real[hl] != '\0'))
            rc = cx_error_set(err, CX_ECONFIG, "config path points outside Codex home: %s", value);
        else if (real[hl] == '/' && is_regular(real))
            list_add(l, real + hl + 1);
    }
    free(real);
    free(full);
    cx__buf_free(&norm);
    return rc;
}

static int add_referenced(const char *home, list *l, cx_error *err)
{
    char *path = NULL;
    if (asprintf(&path, "%s/config.toml", home) < 0)
        return cx_error_set(err, CX_ENOMEM, "out of memory");
    int rc = 0;
    cx_buf text = CX_BUF_INIT;
    json_object *cfg = NULL;
    char *home_real = NULL;
    struct stat st;
    if (!is_regular(path)) goto done;
    int e = read_file(path, MAX_CONFIG, &text, &st);
    if (e) {
        rc = cx_error_set(err, CX_EIO, "cannot read %s: %s", path, strerror(e));
        goto done;
    }
    cx_error perr;
    if (cx__toml_parse(cx__buf_str(&text), text.len, &cfg, &perr) != 0) {
        rc = cx_error_set(err, CX_ECONFIG, "%s: %s", path, perr.msg);
        goto done;
    }
    if (!(home_real = realpath(home, NULL))) {
        rc = cx_error_set(err, CX_EIO, "cannot resolve %s: %s", home, strerror(errno));
        goto done;
    }
    rc = add_instructions(home_real, cfg, l, err);
    json_object *profiles = cx__json_get(cfg, "profiles");
    if (!rc && profiles && json_object_is_type(profiles, json_type_object)) {
        json_object_object_foreach(profiles, name, prof)
        {
            (void)name;
            if (!rc && json_object_is_type(prof, json_type_object))
                rc = add_instructions(home_real, prof, l, err);
        }
    }
done:
    json_object_put(cfg);
    cx__buf_free(&text);
    free(home_real);
    free(path);
    return rc;
}

static int by_bytes(const void *a, const void *b)
{
    return strcmp(*(char *const *)a,
                  *(char *const *)b); /* unsigned bytes: UTF-8 sorts as code points */
}

char **cx__bundle_collect(const char *home, cx_error *err)
{
    static const char *const top[] = {"config.toml", ".env", "AGENTS.md", "AGENTS.override.md"};
    list l = {0};
    cx_buf abs = CX_BUF_INIT, rel = CX_BUF_INIT;
    for (size_t i = 0; i < sizeof top / sizeof *top; i++) {
        cx__buf_reset(&abs);
        cx__buf_printf(&abs, "%s/%s", home, top[i]);
        if (is_regular(cx__buf_str(&abs))) list_add(&l, top[i]);
    }
    cx__buf_reset(&abs);
    cx__buf_printf(&abs, "%s/skills", home);
    cx__buf_puts(&rel, "skills");
    struct stat st;
    /* the skills folder itself may be a link (pathlib's is_dir follows it) */
    if (!cx__buf_failed(&abs) && stat(abs.data, &st) == 0 && S_ISDIR(st.st_mode))
        walk(&abs, &rel, &l, 0);
    int rc = add_referenced(home, &l, err);
    bool oom = l.failed || cx__buf_failed(&abs) || cx__buf_failed(&rel);
    cx__buf_free(&abs);
    cx__buf_free(&rel);
    if (!rc && !oom && !l.v && !(l.v = calloc(1, sizeof *l.v)))
        oom = true; /* nothing found: an empty list */
    if (rc || oom) {
        if (!rc) cx_error_set(err, CX_ENOMEM, "out of memory");
        for (size_t i = 0; i < l.n; i++)
            free(l.v[i]);
        free(l.v);
        return NULL;
    }
    if (l.n < 2) return l.v;
    qsort(l.v, l.n, sizeof *l.v, by_bytes);
    size_t keep = 1;
    for (size_t i = 1; i < l.n; i++) {
        if (strcmp(l.v[i], l.v[keep - 1]))
            l.v[keep++] = l.v[i];
        else
            free(l.v[i]);
    }
    l.v[keep] = NULL;
    return l.v;
}

/* ---- writing -------------------------------------------------------------------- */

struct cx_bundle_writer {
    cx_buf body, central;
    size_t count, total;
};

static void put16(cx_buf *b, unsigned v)
{
    unsigned char x[2] = {(unsigned char)v, (unsigned char)(v >> 8)};
    cx__buf_append(b, x, 2);
}

static void put32(cx_buf *b, uint32_t v)
{
    unsigned char x[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 24)};
    cx__buf_append(b, x, 4);
}

static unsigned get16(const unsigned char *p)
{
    return (unsigned)p[0] | (unsigned)p[1] << 8;
}

static uint32_t get32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* DOS date and time in local time, as zipfile takes them from the mtime;
 * the format only spans 1980-2107, so clamp to it. */
static void dos_stamp(time_t t, unsigned *dtime, unsigned *ddate)
{
    struct tm tm;
    if (!localtime_r(&t, &tm) || tm.tm_year < 80) {
        *dtime = 0;
        *ddate = 1 << 5 | 1;
        return;
    }
    if (tm.tm_year > 207) {
        *dtime = 23u << 11 | 59u << 5 | 29u;
        *ddate = 127u << 9 | 12u << 5 | 31u;
        return;
    }
    *dtime = (unsigned)(tm.tm_hour << 11 | tm.tm_min << 5 | tm.tm_sec / 2);
    *ddate = (unsigned)((tm.tm_year - 80) << 9 | (tm.tm_mon + 1) << 5 | tm.tm_mday);
}

/* Raw deflate at zlib's default level: what zipfile's compressobj uses. */
static int deflate_raw(const void *in, size_t len, cx_buf *out)
{
    z_stream z = {0};
    if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return -1;
    size_t cap = deflateBound(&z, (uLong)len);
    if (cx__buf_reserve(out, cap)) {
        deflateEnd(&z);
        return -1;
    }
    z.next_in = (Bytef *)(uintptr_t)in;
    z.avail_in = (uInt)len;
    z.next_out = (Bytef *)out->data + out->len;
    z.avail_out = (uInt)cap;
    int r = deflate(&z, Z_FINISH);
    out->len += cap - z.avail_out;
    out->data[out->len] = '\0';
    deflateEnd(&z);
    return r == Z_STREAM_END ? 0 : -1;
}

cx_bundle_writer *cx__bundle_writer_new(void)
{
    return calloc(1, sizeof(cx_bundle_writer));
}

void cx__bundle_writer_free(cx_bundle_writer *w)
{
    if (!w) return;
    cx__buf_free(&w->body);
    cx__buf_free(&w->central);
    free(w);
}

int cx__bundle_writer_add(cx_bundle_writer *w, const char *name, const void *data, size_t len,
                          unsigned mode, time_t mtime, cx_error *err)
{
    size_t nlen = strlen(name);
    if (!nlen || nlen > 0xFFFF)
        return cx_error_set(err, CX_EINVAL, "a bundle member needs a name of 1 to 65535 bytes");
    if (len > CX_BUNDLE_MAX_FILE)
        return cx_error_set(err, CX_EINVAL, "%s is larger than the %u MiB a bundle member may hold",
                            name, CX_BUNDLE_MAX_FILE >> 20);
    if (len > CX_BUNDLE_MAX_TOTAL - w->total)
        return cx_error_set(err, CX_EINVAL, "the bundle would be larger than %u MiB",
                            CX_BUNDLE_MAX_TOTAL >> 20);
    if (w->count >= CX_BUNDLE_MAX_ENTRIES)
        return cx_error_set(err, CX_EINVAL, "a bundle holds at most %u files",
                            CX_BUNDLE_MAX_ENTRIES);
    cx_buf packed = CX_BUF_INIT;
    if (deflate_raw(len ? data : "", len, &packed)) {
        cx__buf_free(&packed);
        return cx_error_set(err, CX_ENOMEM, "cannot compress %s", name);
    }
    uint32_t crc = (uint32_t)crc32(0L, (const Bytef *)(len ? data : ""), (uInt)len);
    unsigned flags = 0, dtime, ddate;
    for (size_t i = 0; i < nlen; i++)
        if ((unsigned char)name[i] >= 0x80)
            flags = FLAG_UTF8; /* zipfile marks non-ASCII names as UTF-8 */
    dos_stamp(mtime, &dtime, &ddate);
    uint32_t offset = (uint32_t)w->body.len; /* the limits keep every offset below 4 GiB */
    cx_buf *b = &w->body;
    put32(b, SIG_LOCAL);
    put16(b, ZIP_VERSION);
    put16(b, flags);
    put16(b, 8);
    put16(b, dtime);
    put16(b, ddate);
    put32(b, crc);
    put32(b, (uint32_t)packed.len);
    put32(b, (uint32_t)len);
    put16(b, (unsigned)nlen);
    put16(b, 0);
    cx__buf_append(b, name, nlen);
    cx__buf_append(b, packed.data, packed.len);
    cx_buf *c = &w->central;
    put32(c, SIG_CENTRAL);
    put16(c, MADE_ON_UNIX << 8 | ZIP_VERSION);
    put16(c, ZIP_VERSION);
    put16(c, flags);
    put16(c, 8);
    put16(c, dtime);
    put16(c, ddate);
    put32(c, crc);
    put32(c, (uint32_t)packed.len);
    put32(c, (uint32_t)len);
    put16(c, (unsigned)nlen);
    put16(c, 0); /* extra */
    put16(c, 0); /* comment */
    put16(c, 0); /* disk */
    put16(c, 0); /* internal attributes */
    put32(c, (uint32_t)(mode & 0xFFFF) << 16);
    put32(c, offset);
    cx__buf_append(c, name, nlen);
    cx__buf_free(&packed);
    w->count++;
    w->total += len;
    return cx__buf_failed(b) || cx__buf_failed(c) ? cx_error_set(err, CX_ENOMEM, "out of memory")
                                                  : 0;
}

int cx__bundle_writer_finish(cx_bundle_writer *w, cx_buf *out, cx_error *err)
{
    uint32_t cd_offset = (uint32_t)w->body.len;
    cx__buf_append(out, w->body.data, w->body.len);
    cx__buf_append(out, w->central.data, w->central.len);
    put32(out, SIG_END);
    put16(out, 0);
    put16(out, 0);
    put16(out, (unsigned)w->count);
    put16(out, (unsigned)w->count);
    put32(out, (uint32_t)w->central.len);
    put32(out, cd_offset);
    put16(out, 0);
    return cx__buf_failed(out) ? cx_error_set(err, CX_ENOMEM, "out of memory") : 0;
}

int cx__bundle_zip(const char *home, char *const *files, cx_buf *out, cx_error *err)
{
    cx_bundle_writer *w = cx__bundle_writer_new();
    if (!w) return cx_error_set(err, CX_ENOMEM, "out of memory");
    int rc = 0;
    cx_buf path = CX_BUF_INIT, data = CX_BUF_INIT;
    for (size_t i = 0; !rc && files[i]; i++) {
        cx__buf_reset(&path);
        cx__buf_reset(&data);
        cx__buf_printf(&path, "%s/%s", home, files[i]);
        struct stat st = {0};
        int e =
            cx__buf_failed(&path) ? ENOMEM : read_file(path.data, CX_BUNDLE_MAX_FILE, &data, &st);
        if (e == EFBIG)
            rc = cx_error_set(err, CX_EINVAL,
                              "%s is larger than the %u MiB a bundle member may hold", files[i],
                              CX_BUNDLE_MAX_FILE >> 20);
        else if (e)
            rc = cx_error_set(err, CX_EIO, "cannot read %s: %s", cx__buf_str(&path), strerror(e));
        else
            rc = cx__bundle_writer_add(w, files[i], data.data, data.len, (unsigned)st.st_mode,
                                       st.st_mtime, err);
    }
    if (!rc) rc = cx__bundle_writer_finish(w, out, err);
    cx__buf_free(&path);
    cx__buf_free(&data);
    cx__bundle_writer_free(w);
    return rc;
}

/* ---- reading -------------------------------------------------------------------- */

typedef struct member {
    char *name; /* normalized */
    const unsigned char *data;
    uint32_t csize, usize, crc;
    unsigned method;
    bool exec;
} member;

static void members_free(member *m, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(m[i].name);
    free(m);
}

/* Checks the whole central directory and fills *out with the members to
 * write (folder entries are checked, then dropped). */
static int scan(const unsigned char *zip, size_t len, member **out, size_t *count, cx_error *err)
{
    *out = NULL;
    *count = 0;
    if (len < 22)
        return cx_error_set(err, CX_EPARSE, "decrypted bundle is not a valid zip archive");
    size_t end = len - 22,
           stop = len - 22 > 0xFFFF ? len - 22 - 0xFFFF : 0; /* a comment is at most 64 KiB */
    while (end > stop && get32(zip + end) != SIG_END)
        end--;
    if (get32(zip + end) != SIG_END)
        return cx_error_set(err, CX_EPARSE, "decrypted bundle is not a valid zip archive");
    unsigned n = get16(zip + end + 10);
    uint32_t cd_size = get32(zip + end + 12), cd_off = get32(zip + end + 16);
    if (n == 0xFFFF || cd_off == 0xFFFFFFFFu)
        return cx_error_set(err, CX_EPARSE, "zip64 bundles are not supported");
    if (n > CX_BUNDLE_MAX_ENTRIES)
        return cx_error_set(err, CX_EPARSE, "bundle has too many members");
    if ((size_t)cd_off + cd_size > end)
        return cx_error_set(err, CX_EPARSE, "corrupt zip directory");
    member *m = calloc(n ? n : 1, sizeof *m);
    if (!m) return cx_error_set(err, CX_ENOMEM, "out of memory");
    size_t p = cd_off, k = 0, total = 0;
    int rc = 0;
    cx_buf norm = CX_BUF_INIT;
    for (unsigned i = 0; i < n && !rc; i++) {
        if (p + 46 > end || get32(zip + p) != SIG_CENTRAL) {
            rc = cx_error_set(err, CX_EPARSE, "corrupt zip directory");
            break;
        }
        unsigned made_by = get16(zip + p + 4), flags = get16(zip + p + 8),
                 method = get16(zip + p + 10);
        uint32_t crc = get32(zip + p + 16), csize = get32(zip + p + 20),
                 usize = get32(zip + p + 24);
        unsigned nlen = get16(zip + p + 28), xlen = get16(zip + p + 30), clen = get16(zip + p + 32);
        uint32_t attrs = get32(zip + p + 38), local = get32(zip + p + 42);
        const char *raw = (const char *)zip + p + 46;
        if (p + 46 + nlen > end) {
            rc = cx_error_set(err, CX_EPARSE, "corrupt zip directory");
            break;
        }
        p += 46 + (size_t)nlen + xlen + clen;
        unsigned mode = made_by >> 8 == MADE_ON_UNIX ? attrs >> 16 : 0;
        bool dir = (nlen && raw[nlen - 1] == '/') || S_ISDIR(mode);
        cx__buf_reset(&norm);
        if (!nlen || memchr(raw, '\0', nlen) || raw[0] == '/' || normalize(raw, nlen, &norm) ||
            (!norm.len && !dir)) {
            rc = cx_error_set(err, CX_EPARSE, "bundle contains unsafe paths: '%.*s'",
                              (int)(nlen > 200 ? 200 : nlen), nlen ? raw : "");
        } else if (S_ISLNK(mode)) {
            rc = cx_error_set(err, CX_EPARSE, "bundle contains a symbolic link: '%s'", norm.data);
        } else if (dir) {
            continue; /* folders come with the files inside them */
        } else if (flags & FLAG_ENCRYPTED) {
            rc = cx_error_set(err, CX_EPARSE, "bundle member '%s' is encrypted", norm.data);
        } else if (csize == 0xFFFFFFFFu || usize == 0xFFFFFFFFu || local == 0xFFFFFFFFu) {
            rc = cx_error_set(err, CX_EPARSE, "zip64 bundles are not supported");
        } else if (method != 0 && method != 8) {
            rc = cx_error_set(err, CX_EPARSE, "bundle member '%s' uses compression method %u",
                              norm.data, method);
        } else if (usize > CX_BUNDLE_MAX_FILE || (total += usize) > CX_BUNDLE_MAX_TOTAL) {
            rc = cx_error_set(err, CX_EPARSE, "bundle is too large to unpack");
        } else if ((size_t)local + 30 > len || get32(zip + local) != SIG_LOCAL) {
            rc = cx_error_set(err, CX_EPARSE, "corrupt zip member '%s'", norm.data);
        } else {
            size_t data = (size_t)local + 30 + get16(zip + local + 26) + get16(zip + local + 28);
            if (data > len || csize > len - data || (method == 0 && csize != usize)) {
                rc = cx_error_set(err, CX_EPARSE, "corrupt zip member '%s'", norm.data);
            } else if (!(m[k].name = cx__buf_steal(&norm))) {
                rc = cx_error_set(err, CX_ENOMEM, "out of memory");
            } else {
                m[k].data = zip + data;
                m[k].csize = csize;
                m[k].usize = usize;
                m[k].crc = crc;
                m[k].method = method;
                m[k].exec = (mode & 0111) != 0;
                k++;
            }
        }
    }
    cx__buf_free(&norm);
    if (rc) {
        members_free(m, k);
        return rc;
    }
    *out = m;
    *count = k;
    return 0;
}

static int expand(const member *m, unsigned char *dst)
{
    if (m->method == 0) {
        memcpy(dst, m->data, m->usize);
    } else {
        z_stream z = {0};
        if (inflateInit2(&z, -15) != Z_OK) return -1;
        z.next_in = (Bytef *)(uintptr_t)m->data;
        z.avail_in = m->csize;
        z.next_out = dst;
        z.avail_out = m->usize + 1; /* room for one byte too many, to notice a lying size */
        int r = inflate(&z, Z_FINISH);
        bool ok = r == Z_STREAM_END && z.total_out == m->usize;
        inflateEnd(&z);
        if (!ok) return -1;
    }
    return (uint32_t)crc32(0L, dst, m->usize) == m->crc ? 0 : -1;
}

/* Creates rel below the folder root, descending with O_NOFOLLOW at each
 * step so no symbolic link can redirect a write. */
static int write_member(int root, const char *rel, const unsigned char *data, size_t len, bool exec)
{
    char *copy = strdup(rel);
    if (!copy) return ENOMEM;
    int dir = root, rc = 0;
    char *seg = copy, *slash;
    while (!rc && (slash = strchr(seg, '/'))) {
        *slash = '\0';
        if (mkdirat(dir, seg, 0755) != 0 && errno != EEXIST) rc = errno;
        int next = rc ? -1 : openat(dir, seg, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (!rc && next < 0) rc = errno;
        if (dir != root) close(dir);
        dir = next;
        seg = slash + 1;
    }
    int fd = rc ? -1
                : openat(dir, seg, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
                         exec ? 0777 : 0666);
    if (!rc && fd < 0) rc = errno;
    size_t done = 0;
    while (!rc && done < len) {
        ssize_t n = write(fd, data + done, len - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0)
            rc = errno;
        else
            done += (size_t)n;
    }
    if (fd >= 0 && close(fd) != 0 && !rc) rc = errno;
    if (dir != root && dir >= 0) close(dir);
    free(copy);
    return rc;
}

int cx__bundle_unzip(const void *zip, size_t len, const char *dest, cx_error *err)
{
    member *m;
    size_t n;
    int rc = scan(zip, len, &m, &n, err);
    if (rc) return rc;
    int root = open(dest, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (root < 0) rc = cx_error_set(err, CX_EIO, "cannot open %s: %s", dest, strerror(errno));
    for (size_t i = 0; !rc && i < n; i++) {
        unsigned char *buf = malloc((size_t)m[i].usize + 1);
        if (!buf) {
            rc = cx_error_set(err, CX_ENOMEM, "out of memory");
        } else if (expand(&m[i], buf)) {
            rc = cx_error_set(err, CX_EPARSE, "bundle member '%s' is corrupt", m[i].name);
        } else {
            int e = write_member(root, m[i].name, buf, m[i].usize, m[i].exec);
            if (e)
                rc = cx_error_set(err, CX_EIO, "cannot write %s/%s: %s", dest, m[i].name,
                                  strerror(e));
        }
        free(buf);
    }
    if (root >= 0) close(root);
    members_free(m, n);
    return rc;
}

/* ---- after unpacking ------------------------------------------------------------ */

int cx__bundle_find_home(const char *root, char **home, cx_error *err)
{
    *home = NULL;
    char *probe = NULL;
    if (asprintf(&probe, "%s/config.toml", root) < 0)
        return cx_error_set(err, CX_ENOMEM, "out of memory");
    bool direct = is_regular(probe);
    free(probe);
    if (direct) return (*home = strdup(root)) ? 0 : cx_error_set(err, CX_ENOMEM, "out of memory");
    /* a bundle made by zipping the home folder itself */
    DIR *d = opendir(root);
    struct dirent *e;
    size_t entries = 0;
    char *only = NULL;
    while (d && (e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") || !strcmp(e->d_name, "__MACOSX"))
            continue;
        entries++;
        free(only);
        if (asprintf(&only, "%s/%s", root, e->d_name) < 0) only = NULL;
    }
    if (d) closedir(d);
    struct stat st;
    if (entries == 1 && only && lstat(only, &st) == 0 && S_ISDIR(st.st_mode) &&
        asprintf(&probe, "%s/config.toml", only) >= 0) {
        direct = is_regular(probe);
        free(probe);
        if (direct) {
            *home = only;
            return 0;
        }
    }
    free(only);
    return cx_error_set(err, CX_EPARSE, "bundle is missing required config file after extraction");
}

int cx__bundle_mkdirs(const char *path, unsigned mode)
{
    if (!*path) return ENOENT;
    char *p = strdup(path);
    if (!p) return ENOMEM;
    int rc = 0;
    for (char *s = p + 1;; s++) {
        if (*s != '/' && *s != '\0') continue;
        char keep = *s;
        *s = '\0';
        if (mkdir(p, (mode_t)mode) != 0 && errno != EEXIST) rc = errno;
        *s = keep;
        if (rc || !keep) break;
    }
    struct stat st;
    if (!rc && (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))) rc = ENOTDIR;
    free(p);
    return rc;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0; /* keep going; the caller checks what is left */
}

int cx__bundle_rmtree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0) return errno == ENOENT ? 0 : CX_EIO;
    nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS);
    return lstat(path, &st) == 0 ? CX_EIO : 0;
}

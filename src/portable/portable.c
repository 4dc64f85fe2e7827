/* Portable bundles: whitelist, zip, PCX1 sealing, tokens. See portable.h. */
#include "portable/portable.h"

#include "base/json.h"
#include "base/toml.h"
#include "base/uuid.h"

#include <dirent.h>
#include <errno.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <zlib.h>

#define MAGIC "PCX1"
#define NONCE_LEN 12
#define TAG_LEN 16
#define MAX_MEMBER (64u * 1024 * 1024)
#define MAX_TOTAL (256u * 1024 * 1024)

static const char B58[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

void cx_portable_base58(const unsigned char *data, size_t len, cx_buf *out)
{
    size_t zeros = 0;
    while (zeros < len && data[zeros] == 0) zeros++;
    size_t cap = len * 138 / 100 + 2;
    unsigned char *digits = calloc(cap, 1);
    size_t n = 0;
    for (size_t i = zeros; i < len; i++) {
        unsigned carry = data[i];
        for (size_t j = 0; j < n; j++) {
            carry += (unsigned)digits[j] << 8;
            digits[j] = (unsigned char)(carry % 58);
            carry /= 58;
        }
        while (carry) {
            digits[n++] = (unsigned char)(carry % 58);
            carry /= 58;
        }
    }
    for (size_t i = 0; i < zeros; i++) cx_buf_putc(out, '1');
    if (!n && !zeros) cx_buf_putc(out, '1'); /* like pycodex: zero is "1" */
    for (size_t i = n; i > 0; i--) cx_buf_putc(out, B58[digits[i - 1]]);
    free(digits);
}

void cx_portable_call_id(const unsigned char *payload, size_t len, cx_buf *out)
{
    unsigned char h[SHA256_DIGEST_LENGTH];
    SHA256(payload, len, h);
    cx_portable_base58(h, 8, out);
}

/* ---- the whitelist --------------------------------------------------------------- */

typedef struct list {
    char **v;
    size_t n, cap;
} list;

static void list_add(list *l, const char *s)
{
    for (size_t i = 0; i < l->n; i++)
        if (!strcmp(l->v[i], s)) return;
    if (l->n + 1 >= l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->v = realloc(l->v, l->cap * sizeof *l->v);
    }
    l->v[l->n++] = strdup(s);
    l->v[l->n] = NULL;
}

void cx_portable_list_free(char **v)
{
    if (!v) return;
    for (size_t i = 0; v[i]; i++) free(v[i]);
    free(v);
}

static bool is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static void walk(const char *home, const char *rel, list *l)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", home, rel);
    DIR *d = opendir(path);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        char sub[4096], full[8192];
        snprintf(sub, sizeof sub, "%s/%s", rel, e->d_name);
        snprintf(full, sizeof full, "%s/%s", home, sub);
        struct stat st;
        if (lstat(full, &st) != 0) continue;
        if (S_ISDIR(st.st_mode)) walk(home, sub, l);
        else if (is_file(full)) list_add(l, sub);
    }
    closedir(d);
}

/* A relative path without "", "." or ".." segments (pycodex's rule). */
static bool safe_relative(const char *p)
{
    if (!*p || *p == '/') return false;
    const char *s = p;
    for (;;) {
        const char *slash = strchr(s, '/');
        size_t n = slash ? (size_t)(slash - s) : strlen(s);
        if (n == 0 || (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.')) return false;
        if (!slash) return true;
        s = slash + 1;
    }
}

static int add_instructions(const char *home, json_object *table, list *l, cx_error *err)
{
    const char *f = table ? cx_json_get_str(table, "model_instructions_file") : NULL;
    if (!f || f[0] == '/') return 0;
    if (!safe_relative(f))
        return cx_error_set(err, CX_EINVAL, "config path contains invalid path segments: %s", f);
    char full[4096];
    snprintf(full, sizeof full, "%s/%s", home, f);
    if (is_file(full)) list_add(l, f);
    return 0;
}

static int by_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

char **cx_portable_collect(const char *home, cx_error *err)
{
    static const char *const top[] = {"config.toml", ".env", "AGENTS.md", "AGENTS.override.md"};
    char path[4096];
    snprintf(path, sizeof path, "%s/config.toml", home);
    if (!is_file(path)) {
        cx_error_set(err, CX_ENOTFOUND, "Codex home is missing required file: %s", path);
        return NULL;
    }
    list l = {0};
    for (size_t i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s/%s", home, top[i]);
        if (is_file(path)) list_add(&l, top[i]);
    }
    walk(home, "skills", &l);
    snprintf(path, sizeof path, "%s/config.toml", home);
    FILE *f = fopen(path, "rb");
    cx_buf text = CX_BUF_INIT;
    char chunk[4096];
    size_t n;
    while (f && (n = fread(chunk, 1, sizeof chunk, f)) > 0) cx_buf_append(&text, chunk, n);
    if (f) fclose(f);
    json_object *cfg = NULL;
    cx_error perr;
    int rc = 0;
    if (cx_toml_parse(text.data ? text.data : "", text.len, &cfg, &perr) != 0) {
        rc = cx_error_set(err, CX_ECONFIG, "%s: %s", path, perr.msg);
    } else {
        rc = add_instructions(home, cfg, &l, err);
        json_object *profiles = cx_json_get(cfg, "profiles");
        if (!rc && profiles && json_object_is_type(profiles, json_type_object)) {
            json_object_object_foreach(profiles, name, prof)
            {
                (void)name;
                if (!rc && json_object_is_type(prof, json_type_object)) rc = add_instructions(home, prof, &l, err);
            }
        }
    }
    json_object_put(cfg);
    cx_buf_free(&text);
    if (rc) {
        cx_portable_list_free(l.v);
        return NULL;
    }
    if (!l.v) list_add(&l, "config.toml"); /* unreachable: config.toml is there */
    qsort(l.v, l.n, sizeof *l.v, by_str);
    return l.v;
}

/* ---- zip ------------------------------------------------------------------------ */

static void put16(cx_buf *b, unsigned v)
{
    unsigned char x[2] = {(unsigned char)v, (unsigned char)(v >> 8)};
    cx_buf_append(b, x, 2);
}

static void put32(cx_buf *b, uint32_t v)
{
    unsigned char x[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16), (unsigned char)(v >> 24)};
    cx_buf_append(b, x, 4);
}

static unsigned get16(const unsigned char *p)
{
    return (unsigned)p[0] | (unsigned)p[1] << 8;
}

static uint32_t get32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int deflate_raw(const unsigned char *in, size_t len, cx_buf *out)
{
    z_stream z = {0};
    if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) return -1;
    size_t cap = deflateBound(&z, (uLong)len);
    if (cx_buf_reserve(out, cap)) {
        deflateEnd(&z);
        return -1;
    }
    z.next_in = (Bytef *)in;
    z.avail_in = (uInt)len;
    z.next_out = (Bytef *)out->data + out->len;
    z.avail_out = (uInt)cap;
    int r = deflate(&z, Z_FINISH);
    out->len += cap - z.avail_out;
    deflateEnd(&z);
    return r == Z_STREAM_END ? 0 : -1;
}

int cx_portable_zip(const char *home, char *const *files, cx_buf *out, cx_error *err)
{
    cx_buf central = CX_BUF_INIT;
    size_t count = 0;
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    unsigned dtime = (unsigned)(tm.tm_hour << 11 | tm.tm_min << 5 | tm.tm_sec / 2);
    unsigned ddate = (unsigned)((tm.tm_year - 80) << 9 | (tm.tm_mon + 1) << 5 | tm.tm_mday);
    for (size_t i = 0; files[i]; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", home, files[i]);
        FILE *f = fopen(path, "rb");
        if (!f) {
            cx_buf_free(&central);
            return cx_error_set(err, CX_EIO, "cannot read %s: %s", path, strerror(errno));
        }
        cx_buf data = CX_BUF_INIT, packed = CX_BUF_INIT;
        char chunk[65536];
        size_t n;
        while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) cx_buf_append(&data, chunk, n);
        fclose(f);
        if (data.len > MAX_MEMBER || deflate_raw((const unsigned char *)(data.data ? data.data : ""), data.len, &packed)) {
            cx_buf_free(&data);
            cx_buf_free(&packed);
            cx_buf_free(&central);
            return cx_error_set(err, CX_EIO, "cannot compress %s", path);
        }
        uint32_t crc = (uint32_t)crc32(0L, (const Bytef *)(data.data ? data.data : ""), (uInt)data.len);
        size_t nlen = strlen(files[i]);
        bool utf8 = false;
        for (size_t k = 0; k < nlen; k++)
            if ((unsigned char)files[i][k] >= 0x80) utf8 = true;
        unsigned flags = utf8 ? 0x0800 : 0;
        uint32_t offset = (uint32_t)out->len;
        put32(out, 0x04034b50);
        put16(out, 20);
        put16(out, flags);
        put16(out, 8);
        put16(out, dtime);
        put16(out, ddate);
        put32(out, crc);
        put32(out, (uint32_t)packed.len);
        put32(out, (uint32_t)data.len);
        put16(out, (unsigned)nlen);
        put16(out, 0);
        cx_buf_append(out, files[i], nlen);
        cx_buf_append(out, packed.data ? packed.data : "", packed.len);
        put32(&central, 0x02014b50);
        put16(&central, 3 << 8 | 20); /* made on unix */
        put16(&central, 20);
        put16(&central, flags);
        put16(&central, 8);
        put16(&central, dtime);
        put16(&central, ddate);
        put32(&central, crc);
        put32(&central, (uint32_t)packed.len);
        put32(&central, (uint32_t)data.len);
        put16(&central, (unsigned)nlen);
        put16(&central, 0);
        put16(&central, 0);
        put16(&central, 0);
        put16(&central, 0);
        put32(&central, (uint32_t)(0100644u) << 16);
        put32(&central, offset);
        cx_buf_append(&central, files[i], nlen);
        cx_buf_free(&data);
        cx_buf_free(&packed);
        count++;
    }
    uint32_t cd_offset = (uint32_t)out->len;
    cx_buf_append(out, central.data ? central.data : "", central.len);
    put32(out, 0x06054b50);
    put16(out, 0);
    put16(out, 0);
    put16(out, (unsigned)count);
    put16(out, (unsigned)count);
    put32(out, (uint32_t)central.len);
    put32(out, cd_offset);
    put16(out, 0);
    cx_buf_free(&central);
    return cx_buf_failed(out) ? cx_error_set(err, CX_ENOMEM, "out of memory") : 0;
}

static int mkdirs(char *path)
{
    for (char *p = path + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        int r = mkdir(path, 0755);
        *p = '/';
        if (r != 0 && errno != EEXIST) return -1;
    }
    return 0;
}

int cx_portable_unzip(const unsigned char *zip, size_t len, const char *dest, cx_error *err)
{
    /* the end-of-central-directory record, searched from the end */
    if (len < 22) return cx_error_set(err, CX_EPARSE, "decrypted bundle is not a valid zip archive");
    size_t eocd = len - 22, stop = len > 22 + 65535 ? len - 22 - 65535 : 0;
    while (eocd > stop && get32(zip + eocd) != 0x06054b50) eocd--;
    if (get32(zip + eocd) != 0x06054b50) return cx_error_set(err, CX_EPARSE, "decrypted bundle is not a valid zip archive");
    unsigned count = get16(zip + eocd + 10);
    uint32_t cd_size = get32(zip + eocd + 12), cd_off = get32(zip + eocd + 16);
    if ((size_t)cd_off + cd_size > eocd) return cx_error_set(err, CX_EPARSE, "zip directory out of bounds");
    size_t p = cd_off, total = 0;
    for (unsigned i = 0; i < count; i++) {
        if (p + 46 > eocd || get32(zip + p) != 0x02014b50) return cx_error_set(err, CX_EPARSE, "corrupt zip directory");
        unsigned flags = get16(zip + p + 8), method = get16(zip + p + 10);
        uint32_t crc = get32(zip + p + 16), csize = get32(zip + p + 20), usize = get32(zip + p + 24);
        unsigned nlen = get16(zip + p + 28), xlen = get16(zip + p + 30), clen = get16(zip + p + 32);
        uint32_t local = get32(zip + p + 42);
        if (p + 46 + nlen > eocd) return cx_error_set(err, CX_EPARSE, "corrupt zip directory");
        char name[1024];
        if (nlen >= sizeof name) return cx_error_set(err, CX_EPARSE, "zip member name too long");
        memcpy(name, zip + p + 46, nlen);
        name[nlen] = '\0';
        p += 46 + nlen + xlen + clen;
        if (nlen && name[nlen - 1] == '/') continue; /* a folder entry */
        if (memchr(name, '\0', nlen) || !safe_relative(name))
            return cx_error_set(err, CX_EPARSE, "bundle contains unsafe paths: '%s'", name);
        if (flags & 1) return cx_error_set(err, CX_EPARSE, "encrypted zip members are not supported");
        if (method != 0 && method != 8) return cx_error_set(err, CX_EPARSE, "zip member '%s' uses compression %u", name, method);
        if (usize > MAX_MEMBER || (total += usize) > MAX_TOTAL) return cx_error_set(err, CX_EPARSE, "bundle is too large");
        if ((size_t)local + 30 > len || get32(zip + local) != 0x04034b50) return cx_error_set(err, CX_EPARSE, "corrupt zip member '%s'", name);
        size_t data = local + 30 + get16(zip + local + 26) + get16(zip + local + 28);
        if (data + csize > len) return cx_error_set(err, CX_EPARSE, "corrupt zip member '%s'", name);
        unsigned char *buf = malloc(usize ? usize : 1);
        if (!buf) return cx_error_set(err, CX_ENOMEM, "out of memory");
        if (method == 0) {
            if (csize != usize) {
                free(buf);
                return cx_error_set(err, CX_EPARSE, "corrupt zip member '%s'", name);
            }
            memcpy(buf, zip + data, usize);
        } else {
            z_stream z = {0};
            inflateInit2(&z, -15);
            z.next_in = (Bytef *)(zip + data);
            z.avail_in = csize;
            z.next_out = buf;
            z.avail_out = usize;
            int r = inflate(&z, Z_FINISH);
            bool ok = (r == Z_STREAM_END || (r == Z_BUF_ERROR && usize == 0)) && z.total_out == usize;
            inflateEnd(&z);
            if (!ok) {
                free(buf);
                return cx_error_set(err, CX_EPARSE, "corrupt zip member '%s'", name);
            }
        }
        if ((uint32_t)crc32(0L, buf, usize) != crc) {
            free(buf);
            return cx_error_set(err, CX_EPARSE, "zip member '%s' fails its checksum", name);
        }
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dest, name);
        FILE *f = mkdirs(path) == 0 ? fopen(path, "wb") : NULL;
        bool ok = f && fwrite(buf, 1, usize, f) == usize;
        if (f && fclose(f) != 0) ok = false;
        free(buf);
        if (!ok) return cx_error_set(err, CX_EIO, "cannot write %s: %s", path, strerror(errno));
    }
    return 0;
}

/* ---- sealing -------------------------------------------------------------------- */

static void key_of(const char *secret, unsigned char key[32])
{
    SHA256((const unsigned char *)secret, strlen(secret), key);
}

int cx_portable_seal(const char *secret, const unsigned char *plain, size_t len, cx_buf *out, cx_error *err)
{
    unsigned char key[32], nonce[NONCE_LEN], tag[TAG_LEN];
    key_of(secret, key);
    if (cx_random_bytes(nonce, sizeof nonce)) return cx_error_set(err, CX_EIO, "no random bytes");
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int n = 0, ok = c && EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL) &&
                     EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, NONCE_LEN, NULL) &&
                     EVP_EncryptInit_ex(c, NULL, NULL, key, nonce);
    cx_buf_append(out, MAGIC, 4);
    cx_buf_append(out, nonce, NONCE_LEN);
    if (ok && cx_buf_reserve(out, len + 16) == 0) {
        ok = EVP_EncryptUpdate(c, (unsigned char *)out->data + out->len, &n, plain, (int)len);
        out->len += (size_t)n;
        ok = ok && EVP_EncryptFinal_ex(c, (unsigned char *)out->data + out->len, &n);
        out->len += (size_t)n;
        ok = ok && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG_LEN, tag);
        cx_buf_append(out, tag, TAG_LEN);
    } else {
        ok = 0;
    }
    EVP_CIPHER_CTX_free(c);
    return ok ? 0 : cx_error_set(err, CX_EIO, "encryption failed");
}

int cx_portable_open(const char *secret, const unsigned char *payload, size_t len, cx_buf *out, cx_error *err)
{
    if (len < 4 + NONCE_LEN + TAG_LEN || memcmp(payload, MAGIC, 4))
        return cx_error_set(err, CX_EPARSE, "stored bundle is not a recognized encrypted payload");
    unsigned char key[32];
    key_of(secret, key);
    const unsigned char *nonce = payload + 4, *ct = payload + 4 + NONCE_LEN;
    size_t ctlen = len - 4 - NONCE_LEN - TAG_LEN;
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int n = 0, ok = c && EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL) &&
                     EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, NONCE_LEN, NULL) &&
                     EVP_DecryptInit_ex(c, NULL, NULL, key, nonce) && cx_buf_reserve(out, ctlen + 16) == 0;
    if (ok) {
        ok = EVP_DecryptUpdate(c, (unsigned char *)out->data + out->len, &n, ct, (int)ctlen);
        out->len += (size_t)n;
        ok = ok && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAG_LEN, (void *)(payload + len - TAG_LEN));
        ok = ok && EVP_DecryptFinal_ex(c, (unsigned char *)out->data + out->len, &n) > 0;
        if (ok) out->len += (size_t)n;
    }
    EVP_CIPHER_CTX_free(c);
    return ok ? 0 : cx_error_set(err, CX_EPARSE, "call secret is invalid or bundle is corrupted");
}

/* ---- tokens --------------------------------------------------------------------- */

int cx_portable_parse_token(const char *text, cx_portable_token *t, cx_error *err)
{
    memset(t, 0, sizeof *t);
    while (*text == ' ' || *text == '\t') text++;
    const char *at = strrchr(text, '@');
    if (!at) return cx_error_set(err, CX_EINVAL, "call spec must look like <secret>-<call_id>@<host:port>");
    char *left = strndup(text, (size_t)(at - text));
    char *dash = strrchr(left, '-');
    size_t sl = strlen(at + 1);
    while (sl && (at[sl] == ' ' || at[sl] == '\n' || at[sl] == '\t')) sl--;
    if (!dash || dash == left || !dash[1] || !sl) {
        free(left);
        return cx_error_set(err, CX_EINVAL, "call spec must include secret and call_id: <secret>-<call_id>@<host:port>");
    }
    *dash = '\0';
    t->secret = strdup(left);
    t->call_id = strdup(dash + 1);
    t->server = strndup(at + 1, sl);
    free(left);
    for (const char *c = t->call_id; *c; c++)
        if (!strchr(B58, *c)) {
            cx_portable_token_free(t);
            return cx_error_set(err, CX_EINVAL, "call id has characters outside base58");
        }
    return 0;
}

void cx_portable_token_free(cx_portable_token *t)
{
    free(t->secret);
    free(t->call_id);
    free(t->server);
    memset(t, 0, sizeof *t);
}

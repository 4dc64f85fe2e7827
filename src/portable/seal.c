/* PCX1 envelopes, call ids and secrets. See seal.h. */
#include "portable/seal.h"

#include "base/uuid.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* EVP lengths are ints: feed large inputs in slices well below INT_MAX */
#define EVP_SLICE ((size_t)1 << 30)

static const char B58[] = CX_SEAL_BASE58;

int cx__seal_base58(const void *data, size_t len, cx_buf *out)
{
    const unsigned char *p = data;
    size_t zeros = 0;
    while (zeros < len && p[zeros] == 0)
        zeros++;
    if (zeros == len)
        return cx__buf_putc(out, B58[0]); /* pycodex: zero is "1" whatever the length */
    /* base-58 digits, least significant first; log(256)/log(58) < 1.37 */
    size_t cap = (len - zeros) * 137 / 100 + 1, n = 0;
    unsigned char *digits = calloc(cap, 1);
    if (!digits) return CX_ENOMEM;
    for (size_t i = zeros; i < len; i++) {
        unsigned carry = p[i];
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
    for (size_t i = 0; i < zeros; i++)
        cx__buf_putc(out, B58[0]);
    while (n)
        cx__buf_putc(out, B58[digits[--n]]);
    free(digits);
    return cx__buf_failed(out) ? CX_ENOMEM : 0;
}

bool cx__seal_is_base58(const char *s)
{
    if (!s || !*s) return false;
    for (; *s; s++)
        if (!strchr(B58, *s)) return false;
    return true;
}

int cx__seal_call_id(const void *payload, size_t len, cx_buf *out)
{
    unsigned char h[SHA256_DIGEST_LENGTH];
    SHA256(payload, len, h);
    return cx__seal_base58(h, 8, out);
}

static void hex_digest(const unsigned char h[SHA256_DIGEST_LENGTH], char out[65])
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < SHA256_DIGEST_LENGTH; i++) {
        out[2 * i] = hex[h[i] >> 4];
        out[2 * i + 1] = hex[h[i] & 15];
    }
    out[64] = '\0';
}

void cx__seal_sha256_hex(const void *data, size_t len, char out[65])
{
    unsigned char h[SHA256_DIGEST_LENGTH];
    SHA256(data, len, h);
    hex_digest(h, out);
}

int cx__seal_sha256_fd_hex(int fd, char out[65])
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(ctx);
        return CX_EIO;
    }
    unsigned char block[65536];
    ssize_t n;
    int rc = 0;
    while ((n = read(fd, block, sizeof block)) != 0) {
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 || EVP_DigestUpdate(ctx, block, (size_t)n) != 1) {
            rc = CX_EIO;
            break;
        }
    }
    unsigned char h[SHA256_DIGEST_LENGTH];
    unsigned int hl = 0;
    if (!rc && EVP_DigestFinal_ex(ctx, h, &hl) != 1) rc = CX_EIO;
    EVP_MD_CTX_free(ctx);
    if (!rc) hex_digest(h, out);
    return rc;
}

int cx__seal_new_secret(cx_buf *out, cx_error *err)
{
    unsigned char raw[16];
    if (cx__random_bytes(raw, sizeof raw))
        return cx_error_set(err, CX_EIO, "cannot read random bytes for the secret");
    int rc = cx__seal_base58(raw, sizeof raw, out);
    OPENSSL_cleanse(raw, sizeof raw);
    return rc ? cx_error_set(err, rc, "out of memory") : 0;
}

static void key_of(const char *secret, unsigned char key[32])
{
    SHA256((const unsigned char *)secret, strlen(secret), key);
}

/* Runs the GCM transform over in into dst (same length). */
static bool gcm_update(EVP_CIPHER_CTX *c, bool enc, unsigned char *dst, const unsigned char *in,
                       size_t len)
{
    size_t done = 0;
    while (done < len) {
        size_t n = len - done < EVP_SLICE ? len - done : EVP_SLICE;
        int got = 0;
        int ok = enc ? EVP_EncryptUpdate(c, dst + done, &got, in + done, (int)n)
                     : EVP_DecryptUpdate(c, dst + done, &got, in + done, (int)n);
        if (!ok || (size_t)got != n) return false; /* GCM is a stream mode: n in, n out */
        done += n;
    }
    return true;
}

int cx__seal_seal_with_nonce(const char *secret, const unsigned char nonce[CX_SEAL_NONCE_LEN],
                             const void *plain, size_t len, cx_buf *out, cx_error *err)
{
    if (len > SIZE_MAX - CX_SEAL_OVERHEAD - 1 || cx__buf_reserve(out, len + CX_SEAL_OVERHEAD))
        return cx_error_set(err, CX_ENOMEM, "out of memory");
    unsigned char key[32];
    key_of(secret, key);
    size_t start = out->len;
    cx__buf_append(out, CX_SEAL_MAGIC, CX_SEAL_MAGIC_LEN);
    cx__buf_append(out, nonce, CX_SEAL_NONCE_LEN);
    unsigned char *dst = (unsigned char *)out->data + out->len;
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int fin = 0;
    bool ok = c && EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL) &&
              EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, CX_SEAL_NONCE_LEN, NULL) &&
              EVP_EncryptInit_ex(c, NULL, NULL, key, nonce) &&
              gcm_update(c, true, dst, plain, len) && EVP_EncryptFinal_ex(c, dst + len, &fin) &&
              fin == 0 && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, CX_SEAL_TAG_LEN, dst + len);
    EVP_CIPHER_CTX_free(c);
    OPENSSL_cleanse(key, sizeof key);
    if (!ok) {
        cx__buf_truncate(out, start);
        return cx_error_set(err, CX_EIO, "encryption failed");
    }
    out->len += len + CX_SEAL_TAG_LEN;
    out->data[out->len] = '\0';
    return 0;
}

int cx__seal_seal(const char *secret, const void *plain, size_t len, cx_buf *out, cx_error *err)
{
    unsigned char nonce[CX_SEAL_NONCE_LEN];
    if (cx__random_bytes(nonce, sizeof nonce))
        return cx_error_set(err, CX_EIO, "cannot read random bytes for the nonce");
    return cx__seal_seal_with_nonce(secret, nonce, plain, len, out, err);
}

int cx__seal_open(const char *secret, const void *payload, size_t len, cx_buf *out, cx_error *err)
{
    const unsigned char *p = payload;
    if (len < CX_SEAL_MAGIC_LEN || memcmp(p, CX_SEAL_MAGIC, CX_SEAL_MAGIC_LEN))
        return cx_error_set(err, CX_EPARSE, "stored bundle is not a recognized encrypted payload");
    /* shorter than nonce + tag: no key can open it, same answer as a bad tag */
    if (len < CX_SEAL_OVERHEAD)
        return cx_error_set(err, CX_EPARSE, "call secret is invalid or bundle is corrupted");
    size_t ctlen = len - CX_SEAL_OVERHEAD;
    if (cx__buf_reserve(out, ctlen)) return cx_error_set(err, CX_ENOMEM, "out of memory");
    const unsigned char *nonce = p + CX_SEAL_MAGIC_LEN, *ct = nonce + CX_SEAL_NONCE_LEN;
    unsigned char key[32], tag[CX_SEAL_TAG_LEN];
    memcpy(tag, ct + ctlen, sizeof tag);
    key_of(secret, key);
    unsigned char *dst = (unsigned char *)out->data + out->len;
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int fin = 0;
    bool ok = c && EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL) &&
              EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, CX_SEAL_NONCE_LEN, NULL) &&
              EVP_DecryptInit_ex(c, NULL, NULL, key, nonce) &&
              gcm_update(c, false, dst, ct, ctlen) &&
              EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, CX_SEAL_TAG_LEN, tag) &&
              EVP_DecryptFinal_ex(c, dst + ctlen, &fin) > 0;
    EVP_CIPHER_CTX_free(c);
    OPENSSL_cleanse(key, sizeof key);
    if (!ok) {
        /* unauthenticated plaintext must not linger where a caller could read it */
        OPENSSL_cleanse(dst, ctlen);
        return cx_error_set(err, CX_EPARSE, "call secret is invalid or bundle is corrupted");
    }
    out->len += ctlen;
    out->data[out->len] = '\0';
    return 0;
}

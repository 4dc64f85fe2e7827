/* Sealing for portable mode: the PCX1 envelope around a bundle, and the
 * base58 names derived from it. Shared by the client and the storage server.
 *
 * Envelope: "PCX1" + 12-byte random nonce + AES-256-GCM ciphertext with the
 * 16-byte tag appended (the layout Python's cryptography AESGCM produces).
 * The key is SHA-256 of the secret's bytes; there is no associated data.
 * Call id: base58 of the first 8 bytes of SHA-256 of the whole envelope, so
 * the server can name an object without being able to read it.
 * Secret: base58 of 16 random bytes. */
#ifndef CX_PORTABLE_SEAL_H
#define CX_PORTABLE_SEAL_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"
#include "ccodex/error.h"

#define CX_SEAL_MAGIC "PCX1"
#define CX_SEAL_MAGIC_LEN 4
#define CX_SEAL_NONCE_LEN 12
#define CX_SEAL_TAG_LEN 16
#define CX_SEAL_OVERHEAD (CX_SEAL_MAGIC_LEN + CX_SEAL_NONCE_LEN + CX_SEAL_TAG_LEN)
#define CX_SEAL_BASE58 "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

/* Appends the base58 text of data to out exactly as pycodex spells it: the
 * big-endian number in base58 behind one '1' per leading zero byte, except
 * that a number equal to zero (any length, even empty) is just "1".
 * Returns 0 or CX_ENOMEM. */
int cx__seal_base58(const void *data, size_t len, cx_buf *out);
/* True when s is non-empty and uses only base58 characters. */
bool cx__seal_is_base58(const char *s);
/* Appends the call id of a sealed payload to out. Returns 0 or CX_ENOMEM. */
int cx__seal_call_id(const void *payload, size_t len, cx_buf *out);
/* Lower-case hex SHA-256 of data into out (NUL-terminated). */
void cx__seal_sha256_hex(const void *data, size_t len, char out[65]);

/* The same for the rest of the file open on fd, read in 64 KiB pieces so a
 * large object is never held whole. Returns 0, or CX_EIO when a read fails. */
int cx__seal_sha256_fd_hex(int fd, char out[65]);
/* Appends a fresh secret (base58 of 16 bytes from getrandom) to out. */
int cx__seal_new_secret(cx_buf *out, cx_error *err);

/* Appends the PCX1 envelope of plain under secret, with a random nonce. */
int cx__seal_seal(const char *secret, const void *plain, size_t len, cx_buf *out, cx_error *err);
/* The same with a given nonce: for known-answer tests only, since reusing a
 * nonce under one key breaks GCM. */
int cx__seal_seal_with_nonce(const char *secret, const unsigned char nonce[CX_SEAL_NONCE_LEN],
                             const void *plain, size_t len, cx_buf *out, cx_error *err);
/* Appends the plaintext of a PCX1 envelope to out. A payload without the
 * magic is CX_EPARSE "stored bundle is not a recognized encrypted payload";
 * a wrong secret or any changed byte is CX_EPARSE "call secret is invalid
 * or bundle is corrupted" (pycodex's wording), and out is left as it was. */
int cx__seal_open(const char *secret, const void *payload, size_t len, cx_buf *out, cx_error *err);

#endif

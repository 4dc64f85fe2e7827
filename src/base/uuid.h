/* Random identifiers: UUIDv7 (time-ordered, as Codex uses for sessions and
 * turns) from the kernel's random source. No global state. */
#ifndef CX_BASE_UUID_H
#define CX_BASE_UUID_H

#include <stddef.h>
#include <stdint.h>

#define CX_UUID_STRLEN 36

/* Writes a UUIDv7 for the time now_ms (Unix ms) into out (37 bytes, NUL
 * terminated). Returns 0, or CX_EIO if no randomness could be read. */
int cx__uuid7_at(char out[CX_UUID_STRLEN + 1], uint64_t now_ms);
/* Same with the current wall-clock time. */
int cx__uuid7(char out[CX_UUID_STRLEN + 1]);
/* Fills buf with n random bytes from getrandom(2). Returns 0 or CX_EIO. */
int cx__random_bytes(void *buf, size_t n);

/* Parses a UUID written as 32 hex digits, in the 8-4-4-4-12 hyphenated form,
 * braced ({...}) or as urn:uuid:..., and writes its canonical lower-case
 * hyphenated form into canon. Returns 0, or -1 with why (may be NULL) holding
 * the reason in the words upstream Codex uses for an agent id it cannot parse
 * (the Debug form of the Rust uuid crate's error, e.g.
 * "Error(ParseChar { character: 'n', index: 1 })"). */
int cx__uuid_parse(const char *s, char canon[CX_UUID_STRLEN + 1], char *why, size_t why_len);

#endif

/* apply_patch internals shared by its files: the parsed patch
 * (patch_parse.c), matching and applying it (patch_apply.c) and the heredoc
 * interception (patch_heredoc.c). Not for use outside src/tools/patch*.c. */
#ifndef CX_TOOLS_PATCH_INTERNAL_H
#define CX_TOOLS_PATCH_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "ccodex/error.h"

/* A growable vector of owned strings. */
typedef struct cx__strv {
    char **v;
    size_t n, cap;
} cx__strv;

void cx__strv_push(cx__strv *s, const char *p, size_t len);
void cx__strv_free(cx__strv *s);

typedef struct cx__patch_chunk {
    char *context; /* @@ context line, or NULL */
    cx__strv old_lines, new_lines;
    bool eof;
} cx__patch_chunk;

typedef enum { CX__H_ADD, CX__H_DELETE, CX__H_UPDATE } cx__hunk_kind;

typedef struct cx__patch_hunk {
    cx__hunk_kind kind;
    char *path;
    char *move_to;
    char *contents; /* add */
    cx__patch_chunk *chunks;
    size_t n_chunks;
} cx__patch_hunk;

typedef struct cx__patch {
    cx__patch_hunk *hunks;
    size_t n;
} cx__patch;

/* Parses patch text into p (which the caller frees with cx__patch_free, also
 * on failure). Returns 0, CX_EPARSE or CX_EINVAL (empty patch) with err. */
int cx__patch_parse(const char *text, cx__patch *p, cx_error *err);
void cx__patch_free(cx__patch *p);

/* s without its leading blanks (spaces and tabs). */
const char *cx__patch_trim_start(const char *s);

/* The new content of a file after the Update hunk h (a new string), or NULL
 * with err; abs names the file in messages. */
char *cx__patch_apply_chunks(const char *original, const cx__patch_hunk *h, const char *abs,
                             cx_error *err);

#endif

/* A cache of what `--last` and the session listings need from each rollout
 * file (session_meta's id, cwd, model_provider and source, and whether a
 * user_message exists), kept in CODEX_HOME/ccodex-sessions-index (beside
 * upstream's own state database; outside sessions/, which upstream owns) so
 * that a listing opens only the files that can match instead of all.
 *
 * A record is used whole only when the file's inode, size and modification
 * time (ns) are those recorded; any change (append, rewrite, replacement)
 * makes the file be read again. Its session_meta fields alone are trusted
 * on the inode (cx__sidx_meta_by_inode), which is what lets a listing skip
 * stat'ing the files that cannot match: the one case that misleads it is a
 * rollout whose first line is rewritten in place, keeping its inode (no
 * Codex does that; an editor saving a new file changes the inode). A
 * missing, unreadable or malformed index is an empty one; an index that
 * cannot be written is simply not saved; upstream never reads it. Used by
 * one thread; not shared. */
#ifndef CX_SESSION_INDEX_H
#define CX_SESSION_INDEX_H

#include <stdbool.h>
#include <sys/stat.h>

typedef struct cx__sidx cx__sidx;

/* What is cached for one file. Strings are NULL when the field was absent
 * or not a string. has_prompt: 1 yes, 0 no, -1 not looked at (the file
 * failed the filters before its prompt mattered). */
typedef struct cx__sidx_meta {
    const char *id, *cwd, *provider, *source;
    int has_prompt;
} cx__sidx_meta;

/* Loads codex_home/ccodex-sessions-index (an empty cache when absent or
 * bad); NULL only when out of memory. Records are keyed by the path below
 * codex_home/sessions. */
cx__sidx *cx__sidx_load(const char *codex_home);
void cx__sidx_free(cx__sidx *x);

/* The record for `rel` (path below sessions_root) if it still describes the
 * file as `st` shows it, else NULL. Marks the record as worth keeping.
 * The strings are borrowed from x. */
const cx__sidx_meta *cx__sidx_get(cx__sidx *x, const char *rel, const struct stat *st);
/* The record for `rel` if it was made for the file with inode `ino` (as
 * readdir reports it), whatever the file's size and time since. Only its
 * id, cwd, provider and source may be trusted so: they come from
 * session_meta, a rollout's first line, and rollouts are only ever appended
 * to; has_prompt may have changed. Marks the record as worth keeping. */
const cx__sidx_meta *cx__sidx_meta_by_inode(cx__sidx *x, const char *rel, unsigned long long ino);
/* Records what was read from `rel` (strings copied). Returns 0 or CX_ENOMEM. */
int cx__sidx_put(cx__sidx *x, const char *rel, const struct stat *st, const cx__sidx_meta *m);
/* Rewrites the index (atomically: temporary file + rename) when a record
 * was added or one went stale; keeps only records confirmed or added in
 * this run. Failures are ignored: the cache is an optimisation. */
void cx__sidx_save(cx__sidx *x);

#endif

/* Bundles for portable mode: which files of a CODEX_HOME travel, and the zip
 * archive that carries them (written and read here with zlib; no archive
 * library).
 *
 * The whitelist is pycodex's: config.toml, .env, AGENTS.md,
 * AGENTS.override.md, every regular file under skills/ (symlinked files are
 * followed, symlinked folders below skills/ are not), and the
 * model_instructions_file that config.toml names at its top level or in any
 * profile when that path is relative and stays inside the home.
 *
 * The archive is laid out the way Python's zipfile writes it (deflate at the
 * default level, version 2.0, Unix modes, local-time DOS stamps from the
 * file's mtime), so for the same files the bytes match pycodex's bundle. */
#ifndef CX_PORTABLE_BUNDLE_H
#define CX_PORTABLE_BUNDLE_H

#include <stddef.h>
#include <time.h>

#include "base/buf.h"
#include "ccodex/error.h"

/* Limits on both sides, so a hostile archive cannot fill a disk or memory. */
#define CX_BUNDLE_MAX_FILE (64u * 1024 * 1024)
#define CX_BUNDLE_MAX_TOTAL (256u * 1024 * 1024)
#define CX_BUNDLE_MAX_ENTRIES 20000u

/* The whitelisted files of home, relative (with '/'), sorted bytewise and
 * without duplicates, as a NULL-terminated array the caller frees with
 * cx__bundle_files_free. A home without config.toml just yields fewer
 * files; a config.toml that does not parse, or a model_instructions_file
 * with ".." segments or resolving outside home, is an error (NULL + err). */
char **cx__bundle_collect(const char *home, cx_error *err);
void cx__bundle_files_free(char **files);

/* An archive being written in memory. */
typedef struct cx_bundle_writer cx_bundle_writer;
/* NULL only when out of memory. */
cx_bundle_writer *cx__bundle_writer_new(void);
/* Adds one deflated member. name is stored as given (the writer does not
 * judge it, so tests can build hostile archives); mode is an st_mode
 * (S_IFREG|0644 for a plain file); mtime gives the DOS stamp. Fails on the
 * size and count limits. */
int cx__bundle_writer_add(cx_bundle_writer *w, const char *name, const void *data, size_t len,
                          unsigned mode, time_t mtime, cx_error *err);
/* Appends the finished archive to out. */
int cx__bundle_writer_finish(cx_bundle_writer *w, cx_buf *out, cx_error *err);
void cx__bundle_writer_free(cx_bundle_writer *w);

/* Appends the archive of files (relative to home, e.g. from
 * cx__bundle_collect) to out. */
int cx__bundle_zip(const char *home, char *const *files, cx_buf *out, cx_error *err);

/* Unpacks an archive into the existing folder dest. Every member is checked
 * before anything is written: absolute names, ".." segments, symbolic links,
 * encrypted or zip64 members, methods other than stored/deflate, the size
 * and count limits and CRC mismatches are errors. Empty and "." segments are
 * dropped (as Python's zipfile does). Files are created without following
 * symbolic links; an executable bit in the member's mode is kept. */
int cx__bundle_unzip(const void *zip, size_t len, const char *dest, cx_error *err);

/* The home inside an unpacked bundle: root itself when it holds
 * config.toml, else its only entry (ignoring __MACOSX) when that is a
 * folder holding config.toml. Sets *home (malloc'd) or fails with
 * "bundle is missing required config file after extraction". */
int cx__bundle_find_home(const char *root, char **home, cx_error *err);

/* mkdir -p: creates path and its missing parents with mode (existing ones
 * are left as they are). Returns 0 or an errno value (ENOTDIR when path
 * exists but is not a folder). */
int cx__bundle_mkdirs(const char *path, unsigned mode);

/* Removes path and everything below it without following symbolic links.
 * Returns 0 or CX_EIO; a missing path is not an error. */
int cx__bundle_rmtree(const char *path);

#endif

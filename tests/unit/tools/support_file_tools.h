/* The world the file tool tests share (tests/unit/tools/test_read_file.c,
 * test_list_dir.c, test_grep_files.c): a temporary folder, a registry holding
 * read_file, list_dir and grep_files, and calls made as the agent makes them. The
 * *_reference.jsonl fixtures hold outputs produced by a line-for-line Rust port of
 * upstream's handlers and serde_json (see tests/fixtures/file_tools/README.md). */
#ifndef CX_TEST_SUPPORT_FILE_TOOLS_H
#define CX_TEST_SUPPORT_FILE_TOOLS_H

#include <stdatomic.h>
#include <stdbool.h>

#include "tools/file_tools.h"

#define FIX CX_TEST_FIXTURES "/file_tools"

typedef struct world {
    char dir[64];
    cx_tool_registry *reg;
    cx_tool_output out;
    atomic_bool cancel;
} world;

/* cmocka setup/teardown: a fresh world in *state, and its removal. */
int ft_setup(void **state);
int ft_teardown(void **state);
/* Creates dir/rel (and its parents) holding text; a folder dir/rel. */
void ft_put(world *w, const char *rel, const char *text);
void ft_put_dir(world *w, const char *rel);
/* Calls tool with raw argument text; returns the handler's code. */
int ft_call_raw(world *w, const char *tool, const char *args);
/* Calls tool with printf-formatted arguments; returns its text, sets *ok. */
const char *ft_call(world *w, const char *tool, bool *ok, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Calls tool and checks its exact text and success. */
void ft_expect(world *w, const char *tool, bool want_ok, const char *want, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
bool ft_starts_with(const char *s, const char *prefix);
/* Replaces every `from` in s with `to`; the caller frees. */
char *ft_subst(const char *s, const char *from, const char *to);
/* Runs every case of a reference file (placeholders in args and output replaced
 * first); fails on any difference. Returns the number of cases. */
int ft_run_reference(world *w, const char *file, const char *placeholder, const char *value);

#endif

/* The file tool tests' shared world (support_file_tools.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/json.h"
#include "support.h"
#include "support_file_tools.h"

int ft_setup(void **state)
{
    world *w = calloc(1, sizeof *w);
    if (!w) return -1;
    snprintf(w->dir, sizeof w->dir, "/tmp/cx-ftools-XXXXXX");
    if (!mkdtemp(w->dir)) return -1;
    w->reg = cx_tools_new();
    if (cx__read_file_tool_register(w->reg) || cx__list_dir_tool_register(w->reg) ||
        cx__grep_files_tool_register(w->reg))
        return -1;
    *state = w;
    return 0;
}

int ft_teardown(void **state)
{
    world *w = *state;
    cx_tool_output_clear(&w->out);
    cx_tools_free(w->reg);
    cx_test_rmtree(w->dir);
    free(w);
    return 0;
}

/* Creates dir/rel (and its parents) holding text. */
void ft_put(world *w, const char *rel, const char *text)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", w->dir, rel);
    for (char *p = path + strlen(w->dir) + 1; (p = strchr(p, '/')); p++) {
        *p = '\0';
        mkdir(path, 0755);
        *p = '/';
    }
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

void ft_put_dir(world *w, const char *rel)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", w->dir, rel);
    assert_int_equal(mkdir(path, 0755), 0);
}

/* Calls tool with raw argument text; returns the handler's code. */
int ft_call_raw(world *w, const char *tool, const char *args)
{
    cx_tool_output_clear(&w->out);
    const cx_tool_def *d = cx_tools_find(w->reg, tool);
    assert_non_null(d);
    cx_tool_env env = {.cwd = w->dir, .cancel = &w->cancel};
    cx_tool_call c = {tool, "call_1", CX_TOOL_FUNCTION, args};
    return d->handler(d->state, &c, &env, &w->out);
}

/* Calls tool with the formatted arguments (kept in args) and checks that it answered. */
static void vcall(world *w, const char *tool, char *args, size_t size, const char *fmt, va_list ap)
{
    vsnprintf(args, size, fmt, ap);
    assert_int_equal(ft_call_raw(w, tool, args), 0);
    assert_non_null(w->out.text);
}

const char *ft_call(world *w, const char *tool, bool *ok, const char *fmt, ...)
{
    char args[4096];
    va_list ap;
    va_start(ap, fmt);
    vcall(w, tool, args, sizeof args, fmt, ap);
    va_end(ap);
    *ok = w->out.success;
    return w->out.text;
}

void ft_expect(world *w, const char *tool, bool want_ok, const char *want, const char *fmt, ...)
{
    char args[4096];
    va_list ap;
    va_start(ap, fmt);
    vcall(w, tool, args, sizeof args, fmt, ap);
    va_end(ap);
    if (strcmp(w->out.text, want) || w->out.success != want_ok)
        print_message("%s %s\n  got (%s): %s\n", tool, args, w->out.success ? "ok" : "failed",
                      w->out.text);
    assert_string_equal(w->out.text, want);
    assert_int_equal(w->out.success, want_ok);
}

bool ft_starts_with(const char *s, const char *prefix)
{
    return !strncmp(s, prefix, strlen(prefix));
}

/* Replaces every `from` in s with `to`; the caller frees. */
char *ft_subst(const char *s, const char *from, const char *to)
{
    cx_buf b = CX_BUF_INIT;
    size_t fl = strlen(from);
    for (const char *p; (p = strstr(s, from)); s = p + fl) {
        cx__buf_append(&b, s, (size_t)(p - s));
        cx__buf_puts(&b, to);
    }
    cx__buf_puts(&b, s);
    return cx__buf_steal(&b);
}

/* Runs every case of a reference file; placeholders in args and output are
 * replaced first. Returns the number of cases. */
int ft_run_reference(world *w, const char *file, const char *placeholder, const char *value)
{
    FILE *f = fopen(file, "r");
    assert_non_null(f);
    char *line = NULL;
    size_t cap = 0;
    int cases = 0, failures = 0;
    while (getline(&line, &cap, f) > 0) {
        json_object *c = NULL;
        assert_int_equal(cx__json_parse(line, strlen(line), &c, NULL), 0);
        const char *tool = cx__json_get_str(c, "tool");
        bool want_ok = false;
        cx__json_get_bool(c, "success", &want_ok);
        char *args = ft_subst(cx__json_get_str(c, "args"), placeholder, value);
        char *want = ft_subst(cx__json_get_str(c, "output"), placeholder, value);
        assert_int_equal(ft_call_raw(w, tool, args), 0);
        if (!w->out.text || strcmp(w->out.text, want) || w->out.success != want_ok) {
            print_message("case %d: %s %s\n  want (%s): %s\n  got  (%s): %s\n", cases + 1, tool,
                          args, want_ok ? "ok" : "failed", want, w->out.success ? "ok" : "failed",
                          w->out.text ? w->out.text : "(null)");
            failures++;
        }
        free(args);
        free(want);
        json_object_put(c);
        cases++;
    }
    free(line);
    fclose(f);
    assert_int_equal(failures, 0);
    return cases;
}

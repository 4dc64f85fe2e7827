/* read_file, list_dir, grep_files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/json.h"
#include "tools/file_tools.h"

static char dir[64];
static cx_tool_registry *reg;

static void put(const char *rel, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    for (char *p = path + strlen(dir) + 1; (p = strchr(p, '/')); p++) {
        *p = '\0';
        mkdir(path, 0755);
        *p = '/';
    }
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/cx-files-XXXXXX");
    if (!mkdtemp(dir)) return -1;
    reg = cx_tools_new();
    cx_read_file_tool_register(reg);
    cx_list_dir_tool_register(reg);
    cx_grep_files_tool_register(reg);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    cx_tools_free(reg);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Calls tool with printf-formatted JSON arguments; returns its text (freed by
 * the next call) and sets *ok. */
static const char *call(const char *tool, bool *ok, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static const char *call(const char *tool, bool *ok, const char *fmt, ...)
{
    static cx_tool_output out;
    cx_tool_output_clear(&out);
    char args[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    const cx_tool_def *d = cx_tools_find(reg, tool);
    assert_non_null(d);
    assert_true(d->parallel);
    cx_tool_env env = {.cwd = dir};
    cx_tool_call c = {tool, "c", CX_TOOL_FUNCTION, args};
    assert_int_equal(d->handler(d->state, &c, &env, &out), 0);
    if (ok) *ok = out.success;
    return out.text;
}

static void read_slice(void **state)
{
    (void)state;
    put("a.txt", "one\r\ntwo\nthree\n\xff\xfe bad\nlast without newline");
    bool ok;
    assert_string_equal(call("read_file", &ok, "{\"file_path\":\"%s/a.txt\"}", dir),
                        "L1: one\nL2: two\nL3: three\nL4: \xef\xbf\xbd\xef\xbf\xbd bad\nL5: last without newline");
    assert_true(ok);
    assert_string_equal(call("read_file", &ok, "{\"file_path\":\"%s/a.txt\",\"offset\":2,\"limit\":2}", dir),
                        "L2: two\nL3: three");
    assert_string_equal(call("read_file", &ok, "{\"file_path\":\"%s/a.txt\",\"offset\":9}", dir),
                        "offset exceeds file length");
    assert_false(ok);
    char longline[700];
    memset(longline, 'y', 699);
    longline[699] = '\0';
    put("long.txt", longline);
    const char *t = call("read_file", &ok, "{\"file_path\":\"%s/long.txt\"}", dir);
    assert_int_equal(strlen(t), 4 + 500);
}

static void read_errors(void **state)
{
    (void)state;
    bool ok;
    assert_string_equal(call("read_file", &ok, "{\"file_path\":\"rel.txt\"}"), "file_path must be an absolute path");
    assert_false(ok);
    assert_string_equal(call("read_file", &ok, "{\"file_path\":\"/x\",\"offset\":0}"),
                        "offset must be a 1-indexed line number");
    assert_string_equal(call("read_file", &ok, "{\"file_path\":\"/x\",\"limit\":0}"), "limit must be greater than zero");
    assert_string_equal(call("read_file", &ok, "{\"file_path\":\"%s/missing\"}", dir),
                        "failed to read file: No such file or directory (os error 2)");
    assert_string_equal(call("read_file", &ok, "{}"), "failed to parse function arguments: missing field `file_path`");
    assert_string_equal(call("read_file", &ok, "{\"file_path\":\"/x\",\"mode\":\"tree\"}"),
                        "failed to parse function arguments: unknown variant `tree`, expected `slice` or `indentation`");
    assert_string_equal(call("read_file", &ok, "{\"file_path\":\"/x\",\"offset\":-3}"),
                        "failed to parse function arguments: `offset` must be a non-negative integer");
}

/* A C-like file: two functions in a namespace, a comment header on the second. */
static const char C_SAMPLE[] = "namespace demo {\n"             /* 1 */
                               "struct Widget {\n"              /* 2 */
                               "    void open() {\n"            /* 3 */
                               "        if (ready) {\n"         /* 4 */
                               "            start();\n"         /* 5 */
                               "        }\n"                    /* 6 */
                               "    }\n"                        /* 7 */
                               "\n"                             /* 8 */
                               "    // closes it\n"             /* 9 */
                               "    int close() {\n"            /* 10 */
                               "        while (busy) {\n"       /* 11 */
                               "            wait();\n"          /* 12 */
                               "            tick();\n"          /* 13 */
                               "        }\n"                    /* 14 */
                               "        return 0;\n"            /* 15 */
                               "    }\n"                        /* 16 */
                               "};\n"                           /* 17 */
                               "}\n";                           /* 18 */

static void read_indentation_blocks(void **state)
{
    (void)state;
    put("w.cc", C_SAMPLE);
    bool ok;
    /* one level up from the loop body: the loop */
    assert_string_equal(call("read_file", &ok,
                             "{\"file_path\":\"%s/w.cc\",\"mode\":\"indentation\",\"indentation\":{\"anchor_line\":12,"
                             "\"max_levels\":1}}",
                             dir),
                        "L11:         while (busy) {\nL12:             wait();\nL13:             tick();\nL14:         }");
    assert_true(ok);
    /* two levels: the function, with the comment above it */
    assert_string_equal(call("read_file", &ok,
                             "{\"file_path\":\"%s/w.cc\",\"mode\":\"indentation\",\"indentation\":{\"anchor_line\":12,"
                             "\"max_levels\":2}}",
                             dir),
                        "L9:     // closes it\nL10:     int close() {\nL11:         while (busy) {\nL12:             "
                        "wait();\nL13:             tick();\nL14:         }\nL15:         return 0;\nL16:     }");
    /* without the header comment */
    assert_string_equal(call("read_file", &ok,
                             "{\"file_path\":\"%s/w.cc\",\"mode\":\"indentation\",\"indentation\":{\"anchor_line\":12,"
                             "\"max_levels\":2,\"include_header\":false}}",
                             dir),
                        "L10:     int close() {\nL11:         while (busy) {\nL12:             wait();\nL13:          "
                        "   tick();\nL14:         }\nL15:         return 0;\nL16:     }");
    /* with siblings: the other function too (the blank line between them kept) */
    const char *t = call("read_file", &ok,
                         "{\"file_path\":\"%s/w.cc\",\"mode\":\"indentation\",\"indentation\":{\"anchor_line\":12,"
                         "\"max_levels\":2,\"include_siblings\":true,\"include_header\":false}}",
                         dir);
    assert_true(strncmp(t, "L3:     void open() {\n", 22) == 0);
    assert_non_null(strstr(t, "\nL8: \nL9:     // closes it\n"));
    assert_true(strlen(t) > 10 && !strcmp(t + strlen(t) - 10, "L16:     }"));
    /* the anchor defaults to offset; max_lines bounds the block */
    t = call("read_file", &ok,
             "{\"file_path\":\"%s/w.cc\",\"offset\":5,\"mode\":\"indentation\",\"indentation\":{\"max_lines\":1}}", dir);
    assert_string_equal(t, "L5:             start();");
    assert_string_equal(call("read_file", &ok,
                             "{\"file_path\":\"%s/w.cc\",\"mode\":\"indentation\",\"indentation\":{\"anchor_line\":40}}",
                             dir),
                        "anchor_line exceeds file length");
    assert_false(ok);
}

/* A Python-like file: blank lines take the indentation of the line above. */
static void read_indentation_python(void **state)
{
    (void)state;
    put("m.py", "class Cart:\n"
                "    def add(self, item):\n"
                "        self.items.append(item)\n"
                "\n"
                "        return self\n"
                "    def total(self):\n"
                "        return sum(self.items)\n"
                "def helper():\n"
                "    pass\n");
    bool ok;
    assert_string_equal(call("read_file", &ok,
                             "{\"file_path\":\"%s/m.py\",\"mode\":\"indentation\",\"indentation\":{\"anchor_line\":5,"
                             "\"max_levels\":1}}",
                             dir),
                        /* like upstream, one line at the outer depth below the block is taken
                           (the closing brace of brace languages); here that is the next def */
                        "L2:     def add(self, item):\nL3:         self.items.append(item)\nL4: \nL5:         return "
                        "self\nL6:     def total(self):\nL7:         return sum(self.items)");
    assert_string_equal(call("read_file", &ok,
                             "{\"file_path\":\"%s/m.py\",\"mode\":\"indentation\",\"indentation\":{\"anchor_line\":9,"
                             "\"max_levels\":0,\"include_siblings\":true}}",
                             dir),
                        "L1: class Cart:\nL2:     def add(self, item):\nL3:         self.items.append(item)\nL4: \nL5:  "
                        "       return self\nL6:     def total(self):\nL7:         return sum(self.items)\nL8: def "
                        "helper():\nL9:     pass");
}

static void list_directory(void **state)
{
    (void)state;
    put("tree/b.txt", "b");
    put("tree/a/x.txt", "x");
    put("tree/a/deep/y.txt", "y");
    put("tree/c/z.txt", "z");
    char link[256], target[256];
    snprintf(link, sizeof link, "%s/tree/link", dir);
    snprintf(target, sizeof target, "%s/tree/b.txt", dir);
    assert_int_equal(symlink(target, link), 0);
    char fifo[256];
    snprintf(fifo, sizeof fifo, "%s/tree/pipe", dir);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    bool ok;
    char want[1024];
    snprintf(want, sizeof want,
             "Absolute path: %s/tree\na/\n  deep/\n  x.txt\nb.txt\nc/\n  z.txt\nlink@\npipe?", dir);
    assert_string_equal(call("list_dir", &ok, "{\"dir_path\":\"%s/tree\"}", dir), want);
    assert_true(ok);
    snprintf(want, sizeof want, "Absolute path: %s/tree\na/\n    y.txt\nb.txt", dir);
    /* depth 3 reaches deep/y.txt; offset/limit window over the sorted entries */
    const char *t = call("list_dir", &ok, "{\"dir_path\":\"%s/tree\",\"depth\":3,\"offset\":3,\"limit\":2}", dir);
    snprintf(want, sizeof want, "Absolute path: %s/tree\n    y.txt\n  x.txt\nMore than 2 entries found", dir);
    assert_string_equal(t, want);
    snprintf(want, sizeof want, "Absolute path: %s/tree\na/\nb.txt\nc/\nlink@\npipe?", dir);
    assert_string_equal(call("list_dir", &ok, "{\"dir_path\":\"%s/tree\",\"depth\":1}", dir), want);
    put("empty/.keep", "");
    char keep[256];
    snprintf(keep, sizeof keep, "%s/empty/.keep", dir);
    unlink(keep);
    snprintf(want, sizeof want, "Absolute path: %s/empty", dir);
    assert_string_equal(call("list_dir", &ok, "{\"dir_path\":\"%s/empty\"}", dir), want);
    assert_string_equal(call("list_dir", &ok, "{\"dir_path\":\"%s/tree\",\"offset\":99}", dir),
                        "offset exceeds directory entry count");
    assert_false(ok);
    assert_string_equal(call("list_dir", &ok, "{\"dir_path\":\"tree\"}"), "dir_path must be an absolute path");
    assert_string_equal(call("list_dir", &ok, "{\"dir_path\":\"/x\",\"depth\":0}"), "depth must be greater than zero");
    assert_string_equal(call("list_dir", &ok, "{\"dir_path\":\"/x\",\"offset\":0}"),
                        "offset must be a 1-indexed entry number");
    assert_string_equal(call("list_dir", &ok, "{\"dir_path\":\"%s/nope\"}", dir),
                        "failed to read directory: No such file or directory (os error 2)");
}

static void grep(void **state)
{
    (void)state;
    put("src/one.c", "int alpha = 1;\n");
    put("src/two.h", "#define ALPHA alpha\n");
    put("src/three.c", "nothing here\n");
    /* make two.h the most recently modified */
    char p1[256], p2[256];
    snprintf(p1, sizeof p1, "%s/src/one.c", dir);
    snprintf(p2, sizeof p2, "%s/src/two.h", dir);
    struct timespec old[2] = {{1000000000, 0}, {1000000000, 0}};
    utimensat(AT_FDCWD, p1, old, 0);
    bool ok;
    char want[512];
    snprintf(want, sizeof want, "%s/src/two.h\n%s/src/one.c", dir, dir);
    assert_string_equal(call("grep_files", &ok, "{\"pattern\":\"alpha\",\"path\":\"src\"}"), want);
    assert_true(ok);
    snprintf(want, sizeof want, "%s/src/one.c", dir);
    assert_string_equal(call("grep_files", &ok, "{\"pattern\":\"alph[a]\",\"path\":\"src\",\"include\":\"*.c\"}"), want);
    snprintf(want, sizeof want, "%s/src/two.h", dir);
    assert_string_equal(call("grep_files", &ok, "{\"pattern\":\"alpha\",\"path\":\"%s/src\",\"limit\":1}", dir), want);
    assert_string_equal(call("grep_files", &ok, "{\"pattern\":\"zebra\",\"path\":\"src\"}"), "No matches found.");
    assert_false(ok);
    assert_string_equal(call("grep_files", &ok, "{\"pattern\":\"   \"}"), "pattern must not be empty");
    assert_string_equal(call("grep_files", &ok, "{\"pattern\":\"a\",\"limit\":0}"), "limit must be greater than zero");
    const char *t = call("grep_files", &ok, "{\"pattern\":\"a\",\"path\":\"missing\"}");
    snprintf(want, sizeof want, "unable to access `%s/missing`: No such file or directory (os error 2)", dir);
    assert_string_equal(t, want);
    t = call("grep_files", &ok, "{\"pattern\":\"(unclosed\",\"path\":\"src\"}");
    assert_true(strncmp(t, "rg failed: ", 11) == 0);
    assert_false(ok);
    /* no rg on PATH: a clear message, not a crash */
    char *saved = strdup(getenv("PATH") ? getenv("PATH") : "");
    setenv("PATH", dir, 1);
    t = call("grep_files", &ok, "{\"pattern\":\"alpha\"}");
    setenv("PATH", saved, 1);
    free(saved);
    assert_true(strncmp(t, "failed to launch ripgrep (`rg`): No such file or directory (os error 2)", 71) == 0);
    assert_false(ok);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(read_slice),           cmocka_unit_test(read_errors),
        cmocka_unit_test(read_indentation_blocks), cmocka_unit_test(read_indentation_python),
        cmocka_unit_test(list_directory),       cmocka_unit_test(grep),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

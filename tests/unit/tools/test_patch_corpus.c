/* The apply_patch corpus: every tests/fixtures/patches/<case>/ (see the
 * README.md there) is one cmocka test. The case's before/ tree is copied to a
 * fresh directory, the patch goes through the registered apply_patch tool (or,
 * for a case with a `command` file, through exec_command, which must intercept
 * the heredoc form as upstream does), and both the tool's text and the
 * resulting tree are compared with the case's `expected` and after/.
 *
 * Cases listed in KNOWN_DIFFERENCES are where ccodex still differs from
 * upstream Codex: they are expected to fail. One of them passing fails the
 * test too, so that the entry gets removed once the difference is fixed.
 *
 * CX_PATCH_CORPUS=name runs a single case. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "support.h"
#include "base/buf.h"
#include "base/json.h"
#include "tools/patch.h"
#include "tools/uexec.h"

#define CORPUS CX_TEST_FIXTURES "/patches"
#define PATH_CAP 4096

/* ---- small file helpers --------------------------------------------------- */

/* Whole file into a NUL-terminated buffer (the NUL is not counted in *len). */

static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static void rm_tree(const char *root)
{
    nftw(root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Copies the regular files and directories of src into dst (which exists),
 * leaving out the `.keep` markers that only let git hold an empty folder. */
static void copy_tree(const char *src, const char *dst)
{
    DIR *d = opendir(src);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") || !strcmp(e->d_name, ".keep"))
            continue;
        char from[PATH_CAP], to[PATH_CAP];
        snprintf(from, sizeof from, "%s/%s", src, e->d_name);
        snprintf(to, sizeof to, "%s/%s", dst, e->d_name);
        struct stat st;
        assert_int_equal(lstat(from, &st), 0);
        if (S_ISDIR(st.st_mode)) {
            assert_int_equal(mkdir(to, 0755), 0);
            copy_tree(from, to);
            continue;
        }
        size_t len;
        char *data = cx_test_slurp(from, &len);
        assert_non_null(data);
        FILE *f = fopen(to, "wb");
        assert_non_null(f);
        assert_int_equal(fwrite(data, 1, len, f), len);
        assert_int_equal(fclose(f), 0);
        free(data);
    }
    closedir(d);
}

/* ---- trees as text -------------------------------------------------------- */

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Appends every regular file under root/rel to out as "== path (N bytes)\n"
 * plus its bytes shown with C escapes, sorted by path; two trees are equal
 * exactly when these texts are. Other kinds of entries are listed by kind so
 * that a stray symlink or fifo cannot pass unnoticed. Empty directories do not
 * count: upstream leaves the source folder of a move behind, and git cannot
 * hold an empty one in after/ anyway. */
static void describe_tree(const char *root, const char *rel, cx_buf *out)
{
    char dir[PATH_CAP];
    snprintf(dir, sizeof dir, "%s%s%s", root, *rel ? "/" : "", rel);
    DIR *d = opendir(dir);
    if (!d) return;
    char **names = NULL;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") || !strcmp(e->d_name, ".keep"))
            continue;
        names = realloc(names, (n + 1) * sizeof *names);
        names[n++] = strdup(e->d_name);
    }
    closedir(d);
    if (n) qsort(names, n, sizeof *names, by_name);
    for (size_t i = 0; i < n; i++) {
        char sub[PATH_CAP], full[PATH_CAP * 2];
        snprintf(sub, sizeof sub, "%s%s%s", rel, *rel ? "/" : "", names[i]);
        snprintf(full, sizeof full, "%s/%s", root, sub);
        struct stat st;
        if (lstat(full, &st) != 0) {
            cx__buf_printf(out, "== %s (vanished)\n", sub);
        } else if (S_ISDIR(st.st_mode)) {
            describe_tree(root, sub, out);
        } else if (!S_ISREG(st.st_mode)) {
            cx__buf_printf(out, "== %s (not a regular file)\n", sub);
        } else {
            size_t len = 0;
            char *data = cx_test_slurp(full, &len);
            cx__buf_printf(out, "== %s (%zu bytes)\n", sub, len);
            for (size_t k = 0; data && k < len; k++) {
                unsigned char c = (unsigned char)data[k];
                if (c == '\n')
                    cx__buf_puts(out, "\\n\n");
                else if (c == '\r')
                    cx__buf_puts(out, "\\r");
                else if (c == '\\')
                    cx__buf_puts(out, "\\\\");
                else if (c < 0x20 || c == 0x7f)
                    cx__buf_printf(out, "\\x%02x", c);
                else
                    cx__buf_putc(out, (char)c);
            }
            if (len && data[len - 1] != '\n') cx__buf_puts(out, "(no newline at end)\n");
            free(data);
        }
        free(names[i]);
    }
    free(names);
}

/* ---- output normalisation --------------------------------------------------- */

static void replace_all(cx_buf *out, const char *text, const char *from, const char *to)
{
    size_t fl = strlen(from);
    for (const char *p = text; *p;) {
        const char *hit = fl ? strstr(p, from) : NULL;
        if (!hit) {
            cx__buf_puts(out, p);
            break;
        }
        cx__buf_append(out, p, (size_t)(hit - p));
        cx__buf_puts(out, to);
        p = hit + fl;
    }
}

/* Replaces the number after each `key` (up to `until`) with {SECONDS}. The
 * number must look like upstream's: digits with at most one dot. */
static bool mask_seconds(cx_buf *text, const char *key, const char *until, char **why)
{
    cx_buf out = CX_BUF_INIT;
    const char *p = cx__buf_str(text);
    bool ok = true;
    for (;;) {
        const char *hit = strstr(p, key);
        if (!hit) break;
        const char *num = hit + strlen(key), *q = num;
        int dots = 0;
        while ((*q >= '0' && *q <= '9') || *q == '.')
            dots += *q++ == '.';
        if (q == num || dots > 1 || strncmp(q, until, strlen(until)) != 0) {
            ok = false;
            if (*why == NULL && asprintf(why, "malformed time after \"%s\": %.20s", key, num) < 0)
                *why = NULL;
        }
        cx__buf_append(&out, p, (size_t)(num - p));
        cx__buf_puts(&out, "{SECONDS}");
        p = q;
    }
    cx__buf_puts(&out, p);
    cx__buf_free(text);
    *text = out;
    return ok;
}

/* The tool's text with the case's directory as {ROOT} and times as {SECONDS}. */
static char *normalise(const char *raw, const char *root, char **why)
{
    cx_buf b = CX_BUF_INIT;
    replace_all(&b, raw, root, "{ROOT}");
    cx__buf_puts(&b, "");
    mask_seconds(&b, "Wall time: ", " seconds", why);
    mask_seconds(&b, "\"duration_seconds\":", "", why);
    return cx__buf_steal(&b);
}

/* An `expected` made only of `REGEX: ERE` (searched line-wise) and
 * `CONTAINS: text` lines is a list of checks; anything else is the exact text. */
static bool is_check_list(const char *want)
{
    if (strncmp(want, "REGEX: ", 7) && strncmp(want, "CONTAINS: ", 10)) return false;
    for (const char *p = want; *p;) {
        if (strncmp(p, "REGEX: ", 7) && strncmp(p, "CONTAINS: ", 10)) return false;
        const char *nl = strchr(p, '\n');
        if (!nl) break;
        p = nl + 1;
    }
    return true;
}

static char *check_list(const char *want, const char *got)
{
    char *why = NULL;
    for (const char *p = want; *p && !why;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        char *line = strndup(p, len);
        if (!strncmp(line, "CONTAINS: ", 10)) {
            if (!strstr(got, line + 10) &&
                asprintf(&why, "output lacks \"%s\":\n%s", line + 10, got) < 0)
                why = NULL;
        } else {
            regex_t re;
            assert_int_equal(regcomp(&re, line + 7, REG_EXTENDED | REG_NEWLINE | REG_NOSUB), 0);
            if (regexec(&re, got, 0, NULL, 0) != 0 &&
                asprintf(&why, "output does not match /%s/:\n%s", line + 7, got) < 0)
                why = NULL;
            regfree(&re);
        }
        free(line);
        p = nl ? nl + 1 : p + len;
    }
    return why;
}

/* ---- running a case --------------------------------------------------------- */

/* Calls tool with input in cwd; returns its text (caller frees). */
static char *call_tool(const char *tool, cx_tool_kind kind, const char *input, const char *cwd)
{
    cx_tool_registry *reg = cx_tools_new();
    cx_uexec *ux = cx__uexec_new();
    assert_int_equal(cx__patch_register(reg), 0);
    assert_int_equal(cx__uexec_register(ux, reg), 0);
    const cx_tool_def *d = cx_tools_find(reg, tool);
    assert_non_null(d);
    cx_tool_env env = {.cwd = cwd, .shell = "/bin/bash"};
    cx_tool_call call = {tool, "call_1", kind, input};
    cx_tool_output out = {0};
    assert_int_equal(d->handler(d->state, &call, &env, &out), 0);
    assert_non_null(out.text);
    char *text = strdup(out.text);
    cx_tool_output_clear(&out);
    cx__uexec_free(ux);
    cx_tools_free(reg);
    return text;
}

/* Runs the case in dir; NULL when it behaves as expected, else why not. */
static char *run_case(const char *dir)
{
    /* room for dir plus the longest suffix, so gcc -O2 sees no possible truncation */
    char path[PATH_CAP + 16], root[] = "/tmp/cx-patchcase-XXXXXX";
    assert_non_null(mkdtemp(root));
    snprintf(path, sizeof path, "%s/before", dir);
    copy_tree(path, root);

    snprintf(path, sizeof path, "%s/command", dir);
    bool via_shell = exists(path);
    if (!via_shell) snprintf(path, sizeof path, "%s/patch", dir);
    char *input_raw = cx_test_slurp(path, NULL);
    assert_non_null(input_raw);
    cx_buf input = CX_BUF_INIT;
    replace_all(&input, input_raw, "{ROOT}", root);
    cx__buf_puts(&input, "");
    free(input_raw);

    char *raw;
    if (via_shell) {
        json_object *args = json_object_new_object();
        cx__json_set_str(args, "cmd", cx__buf_str(&input));
        raw = call_tool("exec_command", CX_TOOL_FUNCTION, json_object_to_json_string(args), root);
        json_object_put(args);
    } else {
        raw = call_tool("apply_patch", CX_TOOL_CUSTOM, cx__buf_str(&input), root);
    }
    cx__buf_free(&input);

    char *why = NULL;
    char *got = normalise(raw, root, &why);
    free(raw);
    if (getenv("CX_PATCH_CORPUS_SHOW")) print_message("--- %s output\n%s\n---\n", dir, got);
    /* expected.ccodex / after.ccodex: where ccodex differs on purpose (see README.md) */
    snprintf(path, sizeof path, "%s/expected.ccodex", dir);
    if (!exists(path)) snprintf(path, sizeof path, "%s/expected", dir);
    char *want = cx_test_slurp(path, NULL);
    assert_non_null(want);
    if (!why) {
        if (is_check_list(want))
            why = check_list(want, got);
        else if (strcmp(want, got) != 0 &&
                 asprintf(&why, "output differs\n--- want\n%s\n--- got\n%s", want, got) < 0)
            why = NULL;
    }
    free(want);
    free(got);

    cx_buf want_tree = CX_BUF_INIT, got_tree = CX_BUF_INIT;
    snprintf(path, sizeof path, "%s/after.ccodex", dir);
    if (!exists(path)) snprintf(path, sizeof path, "%s/after", dir);
    describe_tree(path, "", &want_tree);
    describe_tree(root, "", &got_tree);
    if (!why && strcmp(cx__buf_str(&want_tree), cx__buf_str(&got_tree)) != 0 &&
        asprintf(&why, "tree differs\n--- want\n%s--- got\n%s", cx__buf_str(&want_tree),
                 cx__buf_str(&got_tree)) < 0)
        why = NULL;
    cx__buf_free(&want_tree);
    cx__buf_free(&got_tree);
    rm_tree(root);
    return why;
}

/* ---- known differences ------------------------------------------------------ */

/* The KNOWN_DIFFERENCES entry for name (its first word on a line), or NULL. */
static char *known_difference(const char *name)
{
    char *text = cx_test_slurp(CORPUS "/KNOWN_DIFFERENCES", NULL);
    if (!text) return NULL;
    char *found = NULL;
    size_t n = strlen(name);
    for (char *line = text; line && *line && !found;) {
        char *nl = strchr(line, '\n');
        if (nl) *nl = '\0';
        if (line[0] != '#' && !strncmp(line, name, n) &&
            (line[n] == '\0' || line[n] == ' ' || line[n] == '\t'))
            found = strdup(line);
        line = nl ? nl + 1 : NULL;
    }
    free(text);
    return found;
}

static void corpus_case(void **state)
{
    const char *name = *state;
    char dir[PATH_CAP];
    snprintf(dir, sizeof dir, "%s/%s", CORPUS, name);
    char *why = run_case(dir);
    char *known = known_difference(name);
    if (known && why) {
        print_message("[ XFAIL    ] %s: known difference from upstream (KNOWN_DIFFERENCES)\n",
                      name);
        if (getenv("CX_PATCH_CORPUS_VERBOSE")) print_message("%s\n", why);
    } else if (known) {
        print_message("%s now behaves as upstream: remove its KNOWN_DIFFERENCES entry\n", name);
    } else if (why) {
        print_message("%s: %s\n", name, why);
    }
    bool ok = known ? why != NULL : why == NULL;
    free(why);
    free(known);
    assert_true(ok);
}

static int is_case_dir(const struct dirent *e)
{
    if (e->d_name[0] == '.') return 0;
    char path[PATH_CAP];
    snprintf(path, sizeof path, "%s/%s/before", CORPUS, e->d_name);
    return exists(path);
}

int main(void)
{
    struct dirent **names;
    int n = scandir(CORPUS, &names, is_case_dir, alphasort);
    if (n < 0) {
        fprintf(stderr, "cannot list %s: %s\n", CORPUS, strerror(errno));
        return 1;
    }
    const char *only = getenv("CX_PATCH_CORPUS");
    struct CMUnitTest *tests = calloc((size_t)n + 1, sizeof *tests);
    size_t count = 0;
    for (int i = 0; i < n; i++) {
        if (!only || !strcmp(only, names[i]->d_name))
            tests[count++] =
                (struct CMUnitTest){names[i]->d_name, corpus_case, NULL, NULL, names[i]->d_name};
    }
    /* the corpus is meant to hold at least 40 cases: fewer means some went missing */
    if (!only && count < 40) {
        fprintf(stderr, "only %zu corpus cases found in %s\n", count, CORPUS);
        return 1;
    }
    int failed = _cmocka_run_group_tests("apply_patch corpus", tests, count, NULL, NULL);
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
    free(tests);
    return failed;
}

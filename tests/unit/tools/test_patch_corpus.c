/* apply_patch against the corpus in tests/fixtures/patches: each NN-name.case
 * file gives the tree before, the patch, the tree expected after (none: the
 * tree must be unchanged) and the exact output text.
 *
 * Case file sections, each opened by a line starting with "=== ":
 *   === file PATH [noeol] [crlf]      a file of the tree before
 *   === patch                         the apply_patch input (no trailing newline added)
 *   === expect-file PATH [noeol] [crlf]   a file of the tree after
 *   === expect-gone PATH              a file that must not exist after
 *   === expect-output                 the tool's text; "Wall time: T" matches any time,
 *                                     ROOT stands for the case's temporary directory
 * Lines starting with "#" before the first section are comments. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "tools/patch.h"

#define CORPUS CX_TEST_FIXTURES "/patches"

typedef struct section {
    char kind[32];
    char path[256];
    bool noeol, crlf;
    cx_buf body;
} section;

typedef struct kase {
    section *s;
    size_t n;
} kase;

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    cx_buf b = CX_BUF_INIT;
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) cx_buf_append(&b, chunk, n);
    fclose(f);
    cx_buf_puts(&b, "");
    return cx_buf_steal(&b);
}

static void finish_section(section *s)
{
    if (!strcmp(s->kind, "patch") || !strcmp(s->kind, "expect-output")) {
        /* the last newline before the next marker belongs to the layout */
        if (s->body.len && s->body.data[s->body.len - 1] == '\n') cx_buf_truncate(&s->body, s->body.len - 1);
        return;
    }
    if (s->noeol && s->body.len && s->body.data[s->body.len - 1] == '\n') cx_buf_truncate(&s->body, s->body.len - 1);
    if (s->crlf) {
        cx_buf c = CX_BUF_INIT;
        for (size_t i = 0; i < s->body.len; i++) {
            if (s->body.data[i] == '\n') cx_buf_putc(&c, '\r');
            cx_buf_putc(&c, s->body.data[i]);
        }
        cx_buf_free(&s->body);
        s->body = c;
    }
    cx_buf_puts(&s->body, "");
}

static kase parse_case(const char *text)
{
    kase k = {0};
    section *cur = NULL;
    for (const char *p = text; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        if (len >= 4 && !strncmp(p, "=== ", 4)) {
            if (cur) finish_section(cur);
            k.s = realloc(k.s, (k.n + 1) * sizeof *k.s);
            cur = &k.s[k.n++];
            memset(cur, 0, sizeof *cur);
            cx_buf_init(&cur->body);
            char head[512];
            snprintf(head, sizeof head, "%.*s", (int)(len - 4), p + 4);
            char *save = NULL, *w = strtok_r(head, " ", &save);
            snprintf(cur->kind, sizeof cur->kind, "%s", w ? w : "");
            while ((w = strtok_r(NULL, " ", &save))) {
                if (!strcmp(w, "noeol")) cur->noeol = true;
                else if (!strcmp(w, "crlf")) cur->crlf = true;
                else snprintf(cur->path, sizeof cur->path, "%s", w);
            }
        } else if (cur) {
            cx_buf_append(&cur->body, p, len);
            cx_buf_putc(&cur->body, '\n');
        }
        p = nl ? nl + 1 : p + len;
    }
    if (cur) finish_section(cur);
    return k;
}

static void case_free(kase *k)
{
    for (size_t i = 0; i < k->n; i++) cx_buf_free(&k->s[i].body);
    free(k->s);
}

static void write_file(const char *root, const char *rel, const char *data, size_t len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    for (char *p = path + strlen(root) + 1; (p = strchr(p, '/')); p++) {
        *p = '\0';
        mkdir(path, 0755);
        *p = '/';
    }
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fwrite(data, 1, len, f);
    fclose(f);
}

/* Every regular file under root as "path\0content" lines into out, sorted. */
static void list_tree(const char *root, const char *rel, cx_buf *out)
{
    char dirpath[1024];
    snprintf(dirpath, sizeof dirpath, "%s%s%s", root, *rel ? "/" : "", rel);
    struct dirent **names;
    int n = scandir(dirpath, &names, NULL, alphasort);
    for (int i = 0; i < n; i++) {
        const char *name = names[i]->d_name;
        if (strcmp(name, ".") && strcmp(name, "..")) {
            char sub[1024], full[2048];
            snprintf(sub, sizeof sub, "%s%s%s", rel, *rel ? "/" : "", name);
            snprintf(full, sizeof full, "%s/%s", root, sub);
            struct stat st;
            if (stat(full, &st) == 0 && S_ISDIR(st.st_mode)) {
                list_tree(root, sub, out);
            } else {
                char *c = slurp(full);
                cx_buf_printf(out, "[%s]\n%s\n", sub, c ? c : "(unreadable)");
                free(c);
            }
        }
        free(names[i]);
    }
    if (n >= 0) free(names);
}

/* Output with the wall time as "T" and the case's temporary root as "ROOT". */
static char *normalise(const char *raw, const char *root)
{
    cx_buf r = CX_BUF_INIT;
    size_t rl = strlen(root);
    for (const char *p = raw; *p;) {
        if (!strncmp(p, root, rl)) {
            cx_buf_puts(&r, "ROOT");
            p += rl;
        } else {
            cx_buf_putc(&r, *p++);
        }
    }
    cx_buf_puts(&r, "");
    const char *text = r.data;
    cx_buf b = CX_BUF_INIT;
    const char *w = strstr(text, "Wall time: ");
    const char *end = w ? strstr(w, " seconds") : NULL;
    if (w && end) {
        cx_buf_append(&b, text, (size_t)(w - text));
        cx_buf_puts(&b, "Wall time: T");
        cx_buf_puts(&b, end);
    } else {
        cx_buf_puts(&b, text);
    }
    cx_buf_puts(&b, "");
    cx_buf_free(&r);
    return cx_buf_steal(&b);
}

/* Runs one case; returns NULL on success or a malloc'd description of the failure. */
static char *run_case(const char *file)
{
    char *text = slurp(file);
    if (!text) return strdup("cannot read the case file");
    kase k = parse_case(text);
    free(text);
    char root[] = "/tmp/cx-patchcase-XXXXXX";
    if (!mkdtemp(root)) return strdup("mkdtemp failed");
    const char *patch = NULL, *want_out = NULL;
    bool has_after = false;
    for (size_t i = 0; i < k.n; i++) {
        section *s = &k.s[i];
        if (!strcmp(s->kind, "file")) write_file(root, s->path, s->body.data, s->body.len);
        else if (!strcmp(s->kind, "patch")) patch = cx_buf_str(&s->body);
        else if (!strcmp(s->kind, "expect-output")) want_out = cx_buf_str(&s->body);
        else if (!strcmp(s->kind, "expect-file") || !strcmp(s->kind, "expect-gone")) has_after = true;
    }
    cx_buf before = CX_BUF_INIT;
    list_tree(root, "", &before);
    cx_buf_puts(&before, "");
    cx_tool_registry *reg = cx_tools_new();
    cx_patch_register(reg);
    const cx_tool_def *d = cx_tools_find(reg, "apply_patch");
    cx_tool_env env = {.cwd = root};
    cx_tool_call call = {"apply_patch", "p1", CX_TOOL_CUSTOM, patch ? patch : ""};
    cx_tool_output out = {0};
    char *failure = NULL;
    if (d->handler(d->state, &call, &env, &out) != 0 || !out.text) {
        failure = strdup("the handler failed");
        goto done;
    }
    char *got = normalise(out.text, root);
    if (getenv("CX_PATCH_CORPUS_SHOW")) print_message("=== %s\n%s\n", file, got); /* for writing new cases */
    if (want_out && strcmp(got, want_out) != 0) {
        if (asprintf(&failure, "output differs.\n--- want\n%s\n--- got\n%s", want_out, got) < 0) failure = NULL;
        free(got);
        goto done;
    }
    free(got);
    /* the tree: expected files exactly, and nothing else changed */
    cx_buf after = CX_BUF_INIT;
    list_tree(root, "", &after);
    cx_buf_puts(&after, "");
    if (!has_after) {
        if (strcmp(before.data, after.data) != 0 &&
            asprintf(&failure, "the tree changed but should not have.\n--- before\n%s--- after\n%s", before.data,
                     after.data) < 0)
            failure = NULL;
    } else {
        /* build the expected tree: before, with expect-file replacing and expect-gone removing */
        char exp_root[] = "/tmp/cx-patchexp-XXXXXX";
        if (!mkdtemp(exp_root)) {
            failure = strdup("mkdtemp failed");
        } else {
            for (size_t i = 0; i < k.n; i++)
                if (!strcmp(k.s[i].kind, "file")) write_file(exp_root, k.s[i].path, k.s[i].body.data, k.s[i].body.len);
            for (size_t i = 0; i < k.n; i++) {
                char p[1024];
                snprintf(p, sizeof p, "%s/%s", exp_root, k.s[i].path);
                if (!strcmp(k.s[i].kind, "expect-gone")) unlink(p);
                if (!strcmp(k.s[i].kind, "expect-file")) write_file(exp_root, k.s[i].path, k.s[i].body.data, k.s[i].body.len);
            }
            cx_buf want = CX_BUF_INIT;
            list_tree(exp_root, "", &want);
            cx_buf_puts(&want, "");
            if (strcmp(want.data, after.data) != 0 &&
                asprintf(&failure, "tree differs.\n--- want\n%s--- got\n%s", want.data, after.data) < 0)
                failure = NULL;
            cx_buf_free(&want);
            char cmd[128];
            snprintf(cmd, sizeof cmd, "rm -rf %s", exp_root);
            if (system(cmd) != 0) {
            }
        }
    }
    cx_buf_free(&after);
done:
    cx_tool_output_clear(&out);
    cx_tools_free(reg);
    cx_buf_free(&before);
    case_free(&k);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", root);
    if (system(cmd) != 0) {
    }
    return failure;
}

static int is_case(const struct dirent *e)
{
    size_t n = strlen(e->d_name);
    return n > 5 && !strcmp(e->d_name + n - 5, ".case");
}

static void corpus(void **state)
{
    (void)state;
    struct dirent **names;
    int n = scandir(CORPUS, &names, is_case, alphasort);
    assert_true(n >= 40);
    int failed = 0;
    for (int i = 0; i < n; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", CORPUS, names[i]->d_name);
        char *why = run_case(path);
        if (why) {
            print_message("FAIL %s: %s\n", names[i]->d_name, why);
            failed++;
            free(why);
        }
        free(names[i]);
    }
    free(names);
    print_message("apply_patch corpus: %d cases, %d failed\n", n, failed);
    assert_int_equal(failed, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(corpus)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}

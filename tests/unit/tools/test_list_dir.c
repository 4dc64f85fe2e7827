/* list_dir: called through the registry as the agent calls it, with exact expected
 * texts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/json.h"
#include "support_file_tools.h"

/* ---- list_dir ------------------------------------------------------------------------------- */

static void make_tree(world *w, const char *root)
{
    char rel[256], path[1024], target[64];
    const char *files[] = {"a/x.txt",   "a/deep/y.txt", "a/deep/deeper/z.txt", "c/x/q", "Upper/u",
                           ".hidden/h", "back\\slash",  "\xc3\xa9.txt",        "e.txt", "f.txt",
                           "b.txt",     "bad\377name"};
    for (size_t k = 0; k < sizeof files / sizeof *files; k++) {
        snprintf(rel, sizeof rel, "%s/%s", root, files[k]);
        ft_put(w, rel, "");
    }
    snprintf(rel, sizeof rel, "%s/b", root);
    ft_put_dir(w, rel);
    const char *links[][2] = {{"link", "b.txt"}, {"dirlink", "a"}, {"dangling", "nowhere"}};
    for (int k = 0; k < 3; k++) {
        snprintf(path, sizeof path, "%s/%s/%s", w->dir, root, links[k][0]);
        snprintf(target, sizeof target, "%s", links[k][1]);
        assert_int_equal(symlink(target, path), 0);
    }
    snprintf(path, sizeof path, "%s/%s/pipe", w->dir, root);
    assert_int_equal(mkfifo(path, 0600), 0);
}

static void list_markers_sorting_and_depth(void **state)
{
    world *w = *state;
    make_tree(w, "tree");
    char want[2048];
    snprintf(want, sizeof want,
             "Absolute path: %s/tree\n.hidden/\n  h\nUpper/\n  u\na/\n  deep/\n  "
             "x.txt\nb/\nb.txt\nback\\slash\n"
             "bad\xef\xbf\xbdname\nc/\n  "
             "x/\ndangling@\ndirlink@\ne.txt\nf.txt\nlink@\npipe?\n\xc3\xa9.txt",
             w->dir);
    ft_expect(w, "list_dir", true, want, "{\"dir_path\":\"%s/tree\"}", w->dir);
    snprintf(want, sizeof want,
             "Absolute path: "
             "%s/tree\n.hidden/\nUpper/\na/\nb/\nb.txt\nback\\slash\nbad\xef\xbf\xbdname\nc/\n"
             "dangling@\ndirlink@\ne.txt\nf.txt\nlink@\npipe?\n\xc3\xa9.txt",
             w->dir);
    ft_expect(w, "list_dir", true, want, "{\"dir_path\":\"%s/tree\",\"depth\":1}", w->dir);
    /* a symlink to a directory is listed, not entered */
    snprintf(want, sizeof want,
             "Absolute path: %s/tree/a\ndeep/\n  deeper/\n    z.txt\n  y.txt\nx.txt", w->dir);
    ft_expect(w, "list_dir", true, want, "{\"dir_path\":\"%s/tree/a\",\"depth\":3}", w->dir);
    /* the path is shown as given */
    snprintf(want, sizeof want, "Absolute path: %s/tree/a/\ndeep/\nx.txt", w->dir);
    ft_expect(w, "list_dir", true, want, "{\"dir_path\":\"%s/tree/a/\",\"depth\":1}", w->dir);
    snprintf(want, sizeof want, "Absolute path: %s/tree/b", w->dir);
    ft_expect(w, "list_dir", true, want, "{\"dir_path\":\"%s/tree/b\",\"offset\":5}", w->dir);
    /* upstream sorts on the path with backslashes read as '/': a\\b before aZ */
    ft_put(w, "bs/aZ", "");
    ft_put(w, "bs/a\\b", "");
    ft_put(w, "bs/a-c", "");
    snprintf(want, sizeof want, "Absolute path: %s/bs\na-c\na\\b\naZ", w->dir);
    ft_expect(w, "list_dir", true, want, "{\"dir_path\":\"%s/bs\"}", w->dir);
}

/* The window is cut from breadth-first order, then sorted (upstream's
 * bfs_truncation): shallow entries win over deep ones. */
static void list_window_is_breadth_first(void **state)
{
    world *w = *state;
    ft_put(w, "bfs/root.txt", "");
    ft_put(w, "bfs/nested/child.txt", "");
    ft_put(w, "bfs/nested/deeper/grandchild.txt", "");
    char want[1024];
    snprintf(want, sizeof want,
             "Absolute path: %s/bfs\nnested/\n  child.txt\nroot.txt\nMore than 3 entries found",
             w->dir);
    ft_expect(w, "list_dir", true, want, "{\"dir_path\":\"%s/bfs\",\"limit\":3,\"depth\":3}",
              w->dir);
    snprintf(want, sizeof want, "Absolute path: %s/bfs\n  deeper/\n    grandchild.txt", w->dir);
    ft_expect(w, "list_dir", true, want, "{\"dir_path\":\"%s/bfs\",\"offset\":4,\"depth\":3}",
              w->dir);
    snprintf(want, sizeof want, "Absolute path: %s/bfs\nroot.txt\nMore than 1 entries found",
             w->dir);
    ft_expect(w, "list_dir", true, want,
              "{\"dir_path\":\"%s/bfs\",\"offset\":2,\"limit\":1,\"depth\":3}", w->dir);
    ft_expect(w, "list_dir", false, "offset exceeds directory entry count",
              "{\"dir_path\":\"%s/bfs\",\"offset\":6,\"depth\":3}", w->dir);
    /* a huge limit does not overflow */
    snprintf(want, sizeof want, "Absolute path: %s/bfs\nroot.txt", w->dir);
    ft_expect(w, "list_dir", true, want,
              "{\"dir_path\":\"%s/bfs\",\"offset\":2,\"limit\":18446744073709551615,\"depth\":1}",
              w->dir);
    /* 40 files: the default limit of 25 */
    for (int k = 0; k < 40; k++) {
        char rel[64];
        snprintf(rel, sizeof rel, "many/file_%02d.txt", k);
        ft_put(w, rel, "");
    }
    bool ok;
    const char *t = ft_call(w, "list_dir", &ok, "{\"dir_path\":\"%s/many\"}", w->dir);
    assert_true(ok);
    assert_non_null(strstr(t, "\nfile_24.txt\nMore than 25 entries found"));
    assert_null(strstr(t, "file_25"));
}

static void list_matches_reference(void **state)
{
    world *w = *state;
    make_tree(w, "ltree");
    char dir[256];
    snprintf(dir, sizeof dir, "%s/ltree", w->dir);
    assert_int_equal(ft_run_reference(w, FIX "/list_dir_reference.jsonl", "@DIR@", dir), 63);
}

static void list_errors(void **state)
{
    world *w = *state;
    ft_put(w, "file.txt", "x");
    ft_expect(w, "list_dir", false, "dir_path must be an absolute path", "{\"dir_path\":\"tree\"}");
    ft_expect(w, "list_dir", false, "offset must be a 1-indexed entry number",
              "{\"dir_path\":\"/x\",\"offset\":0}");
    ft_expect(w, "list_dir", false, "limit must be greater than zero",
              "{\"dir_path\":\"/x\",\"limit\":0}");
    ft_expect(w, "list_dir", false, "depth must be greater than zero",
              "{\"dir_path\":\"/x\",\"depth\":0}");
    ft_expect(w, "list_dir", false, "offset must be a 1-indexed entry number",
              "{\"dir_path\":\"rel\",\"offset\":0,\"depth\":0}");
    ft_expect(w, "list_dir", false,
              "failed to read directory: No such file or directory (os error 2)",
              "{\"dir_path\":\"%s/nope\"}", w->dir);
    ft_expect(w, "list_dir", false, "failed to read directory: Not a directory (os error 20)",
              "{\"dir_path\":\"%s/file.txt\"}", w->dir);
    ft_expect(w, "list_dir", false,
              "failed to parse function arguments: Error(\"missing field `dir_path`\", line: 1, "
              "column: 13)",
              "{\"path\":\"/x\"}");
    ft_expect(w, "list_dir", false,
              "failed to parse function arguments: Error(\"invalid type: boolean `true`, expected "
              "usize\", line: 1, "
              "column: 29)",
              "{\"dir_path\":\"/x\",\"depth\":true}");
    atomic_store(&w->cancel, true);
    assert_int_equal(ft_call_raw(w, "list_dir", "{\"dir_path\":\"/tmp\"}"), CX_ECANCELED);
    atomic_store(&w->cancel, false);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(list_markers_sorting_and_depth, ft_setup, ft_teardown),
        cmocka_unit_test_setup_teardown(list_window_is_breadth_first, ft_setup, ft_teardown),
        cmocka_unit_test_setup_teardown(list_matches_reference, ft_setup, ft_teardown),
        cmocka_unit_test_setup_teardown(list_errors, ft_setup, ft_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

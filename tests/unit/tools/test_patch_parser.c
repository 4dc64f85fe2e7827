/* apply_patch below the tool: the parser and in-memory matcher through
 * cx__patch_check, and the heredoc extractor shell commands go through.
 * The expected messages and decisions are upstream Codex's (codex-rs/apply-patch
 * parser.rs, seek_sequence.rs, lib.rs and their tests). Behaviour that ccodex does
 * not share yet is pinned by the corpus (tests/fixtures/patches, KNOWN_DIFFERENCES),
 * not here, so that this file stays green while documenting what already holds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "tools/patch.h"

#define BEGIN "*** Begin Patch\n"
#define END "*** End Patch"

/* cx__patch_check that must fail with code and exactly msg. */
static void check_fails(const char *patch, const char *original, int code, const char *msg)
{
    cx_error err = {0};
    int rc = cx__patch_check(patch, original, &err);
    if (rc != code || strcmp(err.msg, msg) != 0)
        print_message("patch:\n%s\nrc %d, message: %s\nwanted: %s\n", patch, rc, err.msg, msg);
    assert_int_equal(rc, code);
    assert_string_equal(err.msg, msg);
}

/* cx__patch_check that must fail with a message starting with prefix. */
static void check_fails_with_prefix(const char *patch, const char *original, const char *prefix)
{
    cx_error err = {0};
    int rc = cx__patch_check(patch, original, &err);
    assert_true(rc < 0);
    if (strncmp(err.msg, prefix, strlen(prefix)) != 0)
        print_message("message: %s\nwanted prefix: %s\n", err.msg, prefix);
    assert_true(strncmp(err.msg, prefix, strlen(prefix)) == 0);
}

static void check_hunks(const char *patch, const char *original, int hunks)
{
    cx_error err = {0};
    int rc = cx__patch_check(patch, original, &err);
    if (rc != hunks) print_message("patch:\n%s\nrc %d: %s\n", patch, rc, err.msg);
    assert_int_equal(rc, hunks);
}

static void parses_every_hunk_kind(void **state)
{
    (void)state;
    check_hunks(BEGIN "*** Add File: path/add.py\n+abc\n+def\n"
                      "*** Delete File: path/delete.py\n"
                      "*** Update File: path/update.py\n*** Move to: path/update2.py\n"
                      "@@ def f():\n-    pass\n+    return 123\n" END,
                NULL, 3);
    /* an addition-only chunk ends where the next file header starts */
    check_hunks(BEGIN "*** Update File: file.py\n@@\n+line\n*** Add File: other.py\n+content\n" END,
                NULL, 2);
    /* the first chunk may start without @@ */
    check_hunks(BEGIN "*** Update File: file2.py\n import foo\n+bar\n" END, NULL, 1);
    /* several chunks, each opened by @@ (with or without context) */
    check_hunks(BEGIN "*** Update File: f\n@@ class A\n-x\n+y\n@@\n-p\n+q\n" END, NULL, 1);
}

static void envelope_errors(void **state)
{
    (void)state;
    check_fails("bad", NULL, CX_EPARSE,
                "invalid patch: The first line of the patch must be '*** Begin Patch'");
    check_fails("", NULL, CX_EPARSE,
                "invalid patch: The first line of the patch must be '*** Begin Patch'");
    check_fails(BEGIN "bad", NULL, CX_EPARSE,
                "invalid patch: The last line of the patch must be '*** End Patch'");
    check_fails(BEGIN "*** Add File: a\n+x\n", NULL, CX_EPARSE,
                "invalid patch: The last line of the patch must be '*** End Patch'");
}

static void envelope_tolerates_padding(void **state)
{
    (void)state;
    /* spaces around the markers and blank lines around the whole patch */
    check_hunks("*** Begin Patch \n*** Add File: foo\n+hi\n *** End Patch", NULL, 1);
    check_hunks("\n\n" BEGIN "*** Add File: foo\n+hi\n" END "\n\n\n", NULL, 1);
    check_hunks(BEGIN "  *** Update File: foo\n@@\n-a\n+b\n" END, "a\n", 1);
}

static void hunk_errors_carry_line_numbers(void **state)
{
    (void)state;
    check_fails(BEGIN "*** Frobnicate File: foo\n" END, NULL, CX_EPARSE,
                "invalid hunk at line 2, '*** Frobnicate File: foo' is not a valid hunk header. "
                "Valid hunk headers: '*** Add File: {path}', '*** Delete File: {path}', '*** "
                "Update File: {path}'");
    check_fails(BEGIN "*** Update File: test.py\n" END, NULL, CX_EPARSE,
                "invalid hunk at line 2, Update file hunk for path 'test.py' is empty");
    /* the second file's header is counted from the start of the patch */
    check_fails(BEGIN "*** Add File: a\n+1\n+2\n*** Bogus\n" END, NULL, CX_EPARSE,
                "invalid hunk at line 5, '*** Bogus' is not a valid hunk header. "
                "Valid hunk headers: '*** Add File: {path}', '*** Delete File: {path}', '*** "
                "Update File: {path}'");
}

static void lenient_heredoc_wrapper(void **state)
{
    (void)state;
    /* only <<EOF, <<'EOF' and <<"EOF" unwrap, with at least four lines in all */
    check_hunks("<<'EOF'\n" BEGIN "*** Add File: foo\n+hi\n" END "\nEOF\n", NULL, 1);
    check_hunks("<<EOF\n" BEGIN "*** Add File: foo\n+hi\n" END "\nEOF", NULL, 1);
    check_hunks("<<\"EOF\"\n" BEGIN "*** Add File: foo\n+hi\n" END "\nEOF", NULL, 1);
    check_fails("<<'PATCH'\n" BEGIN "*** Add File: foo\n+hi\n" END "\nPATCH", NULL, CX_EPARSE,
                "invalid patch: The first line of the patch must be '*** Begin Patch'");
    check_fails("<<'EOF'\n" BEGIN "EOF", NULL, CX_EPARSE,
                "invalid patch: The first line of the patch must be '*** Begin Patch'");
}

static void matcher_tolerance_levels(void **state)
{
    (void)state;
    const char *patch = BEGIN "*** Update File: f\n@@\n foo\n-bar\n+BAR\n" END;
    check_hunks(patch, "foo\nbar\n", 1);             /* exact */
    check_hunks(patch, "foo   \nbar\t\t\n", 1);      /* trailing whitespace */
    check_hunks(patch, "    foo   \n   bar\t\n", 1); /* leading and trailing whitespace */
    check_hunks(patch, "foo\nbar", 1);               /* no newline at the end */
    check_fails_with_prefix(patch, "foo\nbaz\n", "Failed to find expected lines in ");
    check_fails_with_prefix(patch, "bar\nfoo\n", "Failed to find expected lines in ");
    /* typographic punctuation in the file, ASCII in the patch, and the reverse */
    check_hunks(BEGIN "*** Update File: f\n@@\n-say \"hi\" - it's 10 EUR\n+x\n" END,
                "say \u201chi\u201d \u2013 it\u2019s 10\u00a0EUR\n", 1);
    check_hunks(BEGIN "*** Update File: f\n@@\n-a \u2212 b \u201e\u201f\n+x\n" END, "a - b \"\"\n",
                1);
    /* a pattern longer than the file cannot match (and must not read past it) */
    check_fails_with_prefix(BEGIN "*** Update File: f\n@@\n-a\n-b\n-c\n+d\n" END, "a\n",
                            "Failed to find expected lines in ");
}

static void matcher_context_header(void **state)
{
    (void)state;
    const char *file = "def a():\n    return 1\n\ndef b():\n    return 1\n";
    check_hunks(BEGIN "*** Update File: f\n@@ def b():\n-    return 1\n+    return 2\n" END, file,
                1);
    check_fails(BEGIN "*** Update File: f\n@@ def c():\n-    return 1\n+    return 2\n" END, file,
                CX_EIO, "Failed to find context 'def c():' in (text)");
    /* the lines must come after the context line */
    check_fails_with_prefix(BEGIN "*** Update File: f\n@@ def b():\n-def a():\n+def z():\n" END,
                            file, "Failed to find expected lines in ");
}

static void matcher_additions(void **state)
{
    (void)state;
    /* addition-only chunks need no match: into an empty file, or appended */
    check_hunks(BEGIN "*** Update File: f\n@@\n+first line\n" END, "", 1);
    check_hunks(BEGIN "*** Update File: f\n@@\n+more\n" END, "a\nb\n", 1);
    /* an Add or Delete hunk is not matched against the text */
    check_hunks(BEGIN "*** Add File: n\n+x\n*** Delete File: d\n" END, "unrelated\n", 2);
}

/* ---- the heredoc form inside a shell command --------------------------------- */

#define HEREDOC_BODY "*** Begin Patch\n*** Add File: foo\n+hi\n*** End Patch\n"

/* cx__patch_from_heredoc must match, find one hunk and the given dir (or none). */
static void heredoc_matches(const char *script, const char *want_dir)
{
    char *patch = NULL, *dir = NULL;
    bool ok = cx__patch_from_heredoc(script, &patch, &dir);
    if (!ok) print_message("not recognised:\n%s\n", script);
    assert_true(ok);
    check_hunks(patch, NULL, 1);
    if (want_dir)
        assert_string_equal(dir, want_dir);
    else
        assert_null(dir);
    free(patch);
    free(dir);
}

static void heredoc_not_matched(const char *script)
{
    char *patch = NULL, *dir = NULL;
    bool ok = cx__patch_from_heredoc(script, &patch, &dir);
    if (ok) print_message("recognised but should not be:\n%s\n", script);
    assert_false(ok);
    assert_null(patch);
    assert_null(dir);
}

static void heredoc_forms(void **state)
{
    (void)state;
    heredoc_matches("apply_patch <<'PATCH'\n" HEREDOC_BODY "PATCH", NULL);
    heredoc_matches("apply_patch <<'EOF'\n" HEREDOC_BODY "EOF\n", NULL);
    heredoc_matches("applypatch <<'PATCH'\n" HEREDOC_BODY "PATCH", NULL);
    heredoc_matches("cd foo && apply_patch <<'PATCH'\n" HEREDOC_BODY "PATCH", "foo");
    heredoc_matches("cd 'foo bar' && apply_patch <<'PATCH'\n" HEREDOC_BODY "PATCH", "foo bar");
    heredoc_matches("cd \"foo bar\" && apply_patch <<'PATCH'\n" HEREDOC_BODY "PATCH", "foo bar");
}

static void heredoc_other_scripts(void **state)
{
    (void)state;
    heredoc_not_matched("cd foo; apply_patch <<'PATCH'\n" HEREDOC_BODY "PATCH");
    heredoc_not_matched("cd bar || apply_patch <<'PATCH'\n" HEREDOC_BODY "PATCH");
    heredoc_not_matched("cd bar | apply_patch <<'PATCH'\n" HEREDOC_BODY "PATCH");
    heredoc_not_matched("echo foo && apply_patch <<'PATCH'\n" HEREDOC_BODY "PATCH");
    heredoc_not_matched("echo foo; cd bar && apply_patch <<'PATCH'\n" HEREDOC_BODY "PATCH");
    heredoc_not_matched("apply_patch foo <<'PATCH'\n" HEREDOC_BODY "PATCH");
    heredoc_not_matched("cd foo && cd bar && apply_patch <<'PATCH'\n" HEREDOC_BODY "PATCH");
    heredoc_not_matched("cd bar && apply_patch <<'PATCH'\n" HEREDOC_BODY "PATCH && echo done");
    heredoc_not_matched("ls -la");
    heredoc_not_matched("apply_patch");
    /* never closed */
    heredoc_not_matched("apply_patch <<'PATCH'\n" HEREDOC_BODY);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parses_every_hunk_kind),
        cmocka_unit_test(envelope_errors),
        cmocka_unit_test(envelope_tolerates_padding),
        cmocka_unit_test(hunk_errors_carry_line_numbers),
        cmocka_unit_test(lenient_heredoc_wrapper),
        cmocka_unit_test(matcher_tolerance_levels),
        cmocka_unit_test(matcher_context_header),
        cmocka_unit_test(matcher_additions),
        cmocka_unit_test(heredoc_forms),
        cmocka_unit_test(heredoc_other_scripts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

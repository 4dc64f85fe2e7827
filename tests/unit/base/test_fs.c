/* base/fs: whole-file reads with a cap, writes that make parent folders; and the test
 * support's isolation (every unit test binary runs with a temporary HOME). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/fs.h"
#include "support.h"

static void write_then_read_whole_file(void **state)
{
    char *dir = cx_test_tmpdir("cx-fs");
    char path[256];
    snprintf(path, sizeof path, "%s/a/b/c.txt", dir);
    assert_int_equal(cx__fs_write(path, "hello\0world", 11, true), 0);
    size_t len = 0;
    char *text = cx__fs_slurp(path, SIZE_MAX, &len);
    assert_non_null(text);
    assert_int_equal(len, 11);
    assert_memory_equal(text, "hello\0world", 12); /* NUL-terminated after the data */
    free(text);
    text = cx__fs_slurp(path, 4, &len);
    assert_int_equal(len, 4);
    assert_string_equal(text, "hell");
    free(text);
    text = cx__fs_slurp(path, 0, &len);
    assert_int_equal(len, 0);
    assert_string_equal(text, "");
    free(text);
    cx_test_rmtree(dir);
    free(dir);
}

static void missing_file_sets_errno(void **state)
{
    size_t len = 7;
    errno = 0;
    assert_null(cx__fs_slurp("/nonexistent-cx/file", SIZE_MAX, &len));
    assert_int_equal(errno, ENOENT);
    assert_int_equal(len, 0);
    assert_int_equal(cx__fs_write("/nonexistent-cx/file", "x", 1, false), -1);
}

static void large_file_reads_whole(void **state)
{
    char *dir = cx_test_tmpdir("cx-fs");
    char path[256];
    snprintf(path, sizeof path, "%s/big", dir);
    size_t n = 100000;
    char *data = malloc(n);
    for (size_t i = 0; i < n; i++)
        data[i] = (char)('a' + i % 26);
    assert_int_equal(cx__fs_write(path, data, n, false), 0);
    size_t len = 0;
    char *back = cx__fs_slurp(path, SIZE_MAX, &len);
    assert_int_equal(len, n);
    assert_memory_equal(back, data, n);
    free(back);
    free(data);
    cx_test_rmtree(dir);
    free(dir);
}

static void tests_run_with_a_temporary_home(void **state)
{
    const char *home = getenv("HOME");
    assert_non_null(home);
    assert_string_equal(home, cx_test_home());
    assert_true(!strncmp(home, "/tmp/cx-test-home-", 18));
    struct stat st;
    assert_int_equal(stat(home, &st), 0);
    assert_null(getenv("CODEX_HOME"));
    assert_null(getenv("OPENAI_API_KEY"));
    assert_string_equal(getenv("PATH"), "/usr/local/bin:/usr/bin:/bin");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(write_then_read_whole_file),
        cmocka_unit_test(missing_file_sets_errno),
        cmocka_unit_test(large_file_reads_whole),
        cmocka_unit_test(tests_run_with_a_temporary_home),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* apply_patch: parser, matcher, heredoc extractor and the tool itself.
 *
 * Input: ORIGINAL TEXT, a NUL byte, PATCH (no NUL: the whole input is the
 * patch). The patch is parsed and every Update hunk is matched against the
 * original in memory; the same bytes are offered to the heredoc extractor;
 * and, when no path in the patch can leave the scratch folder (no '/' and no
 * "..": every path is then one name inside it), the patch is also applied for
 * real by the tool over a scratch folder seeded with the original text under
 * a few likely names, then the folder is emptied again. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tools/patch.h"

static char scratch[] = "/tmp/cx-fuzz-patch-XXXXXX";
static const char *const seeded[] = {"a", "b", "a.py", "x.txt"};

static void empty_scratch(void)
{
    DIR *d = opendir(scratch);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        char path[512];
        snprintf(path, sizeof path, "%s/%s", scratch, e->d_name);
        /* a patch may leave a folder behind (Add File: name/...) only when it
           has a '/', which never reaches this stage; unlink covers the rest */
        if (unlink(path) != 0) rmdir(path);
    }
    closedir(d);
}

static void remove_scratch(void)
{
    empty_scratch();
    rmdir(scratch);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    if (!mkdtemp(scratch)) abort();
    atexit(remove_scratch);
    return 0;
}

static void apply_in_scratch(const char *patch, const char *original)
{
    for (size_t i = 0; i < sizeof seeded / sizeof *seeded; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s", scratch, seeded[i]);
        FILE *f = fopen(path, "wb");
        if (!f) abort();
        fputs(original ? original : "", f);
        fclose(f);
    }
    cx_tool_env env = {.cwd = scratch};
    cx_tool_output out = {0};
    cx__patch_run(patch, scratch, "fuzz", &env, &out);
    if (!out.text) abort(); /* the tool always answers with a text */
    cx_tool_output_clear(&out);
    empty_scratch();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size + 1);
    if (!buf) return 0;
    memcpy(buf, data, size);
    buf[size] = '\0';
    const char *nul = memchr(buf, '\0', size);
    const char *original = nul ? buf : NULL;
    const char *patch = nul ? nul + 1 : buf;

    cx_error err;
    cx__patch_check(patch, NULL, &err);
    if (original) cx__patch_check(patch, original, &err);

    char *heredoc = NULL, *dir = NULL;
    if (cx__patch_from_heredoc(patch, &heredoc, &dir)) {
        cx__patch_check(heredoc, original, &err);
        free(heredoc);
        free(dir);
    }

    if (!strchr(patch, '/') && !strstr(patch, "..")) apply_in_scratch(patch, original);
    free(buf);
    return 0;
}

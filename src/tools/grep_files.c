/* grep_files: the files under a path whose contents match a regex, most
 * recently modified first, found the way upstream finds them: by running
 * `rg --files-with-matches --sortr=modified` (no shell; 30 s limit). */
#include "tools/file_tools.h"

#include "base/json.h"
#include "tools/tool_proc.h"

#include <stdatomic.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h> /* getcwd: glibc declares it through other headers, musl does not */

#define DEFAULT_LIMIT 100
#define MAX_LIMIT 2000
#define COMMAND_TIMEOUT_MS 30000

/* ---- running rg ----------------------------------------------------------------------------- */

typedef struct sinks {
    cx_buf *out, *err;
    bool oom;
} sinks;

static int collect(void *user, int stream, const char *data, size_t n)
{
    sinks *k = user;
    if (cx__buf_append(stream == 2 ? k->err : k->out, data, n)) k->oom = true;
    return k->oom;
}

int cx__ft_run(const cx_tool_env *env, char *const argv[], const char *cwd, long timeout_ms,
               const atomic_bool *cancel, cx_buf *out, cx_buf *err, int *spawn_err)
{
    sinks k = {out, err, false};
    cx_proc_opts o = {.argv = argv, .cwd = cwd, .io = CX_PROC_IO_SPLIT};
    cx_proc_run_opts r = {.timeout_ms = timeout_ms,
                          .cancel = cancel,
                          .drain_ms = -1, /* until rg's pipes close */
                          .on_output = collect,
                          .user = &k};
    cx_proc_result res;
    if (cx__tool_run(env, false, NULL, &o, &r, &res, spawn_err, NULL) != 0) {
        if (!*spawn_err) *spawn_err = EIO;
        return CX__FT_SPAWN;
    }
    if (k.oom) return CX_ENOMEM;
    if (res.timed_out) return CX__FT_TIMEOUT;
    if (res.cancelled) return CX__FT_CANCELED;
    return WIFEXITED(res.status) ? WEXITSTATUS(res.status) : CX__FT_SIGNALED;
}

/* ---- the tool ------------------------------------------------------------------------------- */

/* A copy of s without leading and trailing Unicode white space (Rust's trim). */
static char *trimmed(const char *s)
{
    size_t len = strlen(s);
    size_t lead = cx__ft_space_prefix(s, len);
    size_t tail = lead < len ? cx__ft_space_suffix(s + lead, len - lead) : 0;
    return strndup(s + lead, len - lead - tail);
}

/* upstream's turn.resolve_path: the cwd for no path, else cwd.join(path)
 * (an absolute path replaces the cwd; "" leaves a trailing separator). */
static char *resolve(const char *cwd, const char *path)
{
    if (!path) return strdup(cwd);
    if (path[0] == '/') return strdup(path);
    size_t cl = strlen(cwd);
    cx_buf b = CX_BUF_INIT;
    cx__buf_append(&b, cwd, cl);
    if (cl && cwd[cl - 1] != '/') cx__buf_putc(&b, '/');
    cx__buf_puts(&b, path);
    return cx__buf_steal(&b);
}

/* The paths rg printed, one per line, skipping empty and non-UTF-8 lines. */
static int format_results(const cx_buf *so, size_t limit, cx_buf *list)
{
    size_t count = 0, at = 0;
    while (at < so->len && count < limit) {
        const char *ln = so->data + at;
        const char *nl = memchr(ln, '\n', so->len - at);
        size_t len = nl ? (size_t)(nl - ln) : so->len - at;
        at += len + 1;
        if (!len || !cx__utf8_valid(ln, len)) continue;
        if (count++) cx__buf_putc(list, '\n');
        cx__ft_put_text(list, ln, len);
    }
    return (int)count;
}

static int search(const char *pattern, const char *include, const char *search_path, size_t limit,
                  const cx_tool_env *env, const char *cwd, cx_tool_output *out)
{
    char *argv[12];
    int k = 0;
    argv[k++] = "rg";
    argv[k++] = "--files-with-matches";
    argv[k++] = "--sortr=modified";
    argv[k++] = "--regexp";
    argv[k++] = (char *)pattern;
    argv[k++] = "--no-messages";
    if (include) {
        argv[k++] = "--glob";
        argv[k++] = (char *)include;
    }
    argv[k++] = "--";
    argv[k++] = (char *)search_path;
    argv[k] = NULL;
    cx_buf so = CX_BUF_INIT, se = CX_BUF_INIT;
    int spawn_err = 0;
    int status = cx__ft_run(env, argv, cwd, COMMAND_TIMEOUT_MS, env->cancel, &so, &se, &spawn_err);
    char eb[256];
    int rc;
    if (status == CX__FT_SPAWN) {
        rc = cx__ft_answer(out, false,
                           "failed to launch rg: %s. Ensure ripgrep is installed and on PATH.",
                           cx__ft_os_error(spawn_err, eb, sizeof eb));
    } else if (status == CX__FT_TIMEOUT) {
        rc = cx__ft_answer(out, false, "rg timed out after 30 seconds");
    } else if (status == CX__FT_CANCELED) {
        rc = CX_ECANCELED;
    } else if (status == CX_ENOMEM) {
        rc = CX_ENOMEM;
    } else if (status == 0 || status == 1) {
        cx_buf list = CX_BUF_INIT;
        int count = status == 0 ? format_results(&so, limit, &list) : 0;
        if (cx__buf_failed(&list))
            rc = CX_ENOMEM;
        else if (count == 0)
            rc = cx__ft_answer(out, false, "No matches found.");
        else
            rc = cx__ft_answer(out, true, "%s", cx__buf_str(&list));
        cx__buf_free(&list);
    } else {
        cx_buf msg = CX_BUF_INIT;
        cx__ft_lossy_prefix(se.data ? se.data : "", se.len, (size_t)-1, &msg);
        cx_buf text = CX_BUF_INIT;
        cx__ft_put_text(&text, cx__buf_str(&msg), msg.len);
        rc = cx__buf_failed(&text) ? CX_ENOMEM
                                   : cx__ft_answer(out, false, "rg failed: %s", cx__buf_str(&text));
        cx__buf_free(&text);
        cx__buf_free(&msg);
    }
    cx__buf_free(&so);
    cx__buf_free(&se);
    return rc;
}

static int grep_files_handler(void *state, const cx_tool_call *call, const cx_tool_env *env,
                              cx_tool_output *out)
{
    (void)state;
    /* upstream's GrepFilesArgs, in declaration order, with its defaults */
    cx__ft_field fields[] = {
        {.name = "pattern", .type = CX__FT_STRING, .required = true},
        {.name = "include", .type = CX__FT_STRING, .option = true},
        {.name = "path", .type = CX__FT_STRING, .option = true},
        {.name = "limit", .type = CX__FT_USIZE, .num = DEFAULT_LIMIT},
    };
    cx__ft_struct args = {"GrepFilesArgs", fields, sizeof fields / sizeof *fields};
    const char *in = call->input ? call->input : "";
    char *msg = NULL, *pattern = NULL, *include = NULL, *search_path = NULL, *cwd_buf = NULL;
    int rc = cx__ft_decode(in, strlen(in), &args, &msg);
    if (rc == 1) {
        rc = cx__ft_answer(out, false, "%s", msg);
        free(msg);
        goto done;
    }
    if (rc) goto done;
    const char *cwd = env && env->cwd ? env->cwd : (cwd_buf = getcwd(NULL, 0));
    pattern = trimmed(fields[0].str);
    if (!pattern || !cwd) {
        rc = CX_ENOMEM;
        goto done;
    }
    if (!*pattern) {
        rc = cx__ft_answer(out, false, "pattern must not be empty");
        goto done;
    }
    if (fields[3].num == 0) {
        rc = cx__ft_answer(out, false, "limit must be greater than zero");
        goto done;
    }
    size_t limit = fields[3].num < MAX_LIMIT ? fields[3].num : MAX_LIMIT;
    search_path = resolve(cwd, fields[2].set ? fields[2].str : NULL);
    if (!search_path) {
        rc = CX_ENOMEM;
        goto done;
    }
    struct stat st;
    if (stat(search_path, &st)) {
        char eb[256];
        rc = cx__ft_answer(out, false, "unable to access `%s`: %s", search_path,
                           cx__ft_os_error(errno, eb, sizeof eb));
        goto done;
    }
    if (fields[1].set && !(include = trimmed(fields[1].str))) {
        rc = CX_ENOMEM;
        goto done;
    }
    cx_tool_env none = {0};
    rc = search(pattern, include && *include ? include : NULL, search_path, limit,
                env ? env : &none, cwd, out);
done:
    free(pattern);
    free(include);
    free(search_path);
    free(cwd_buf);
    cx__ft_clear(&args);
    return rc;
}

/* Names, types and the required list are upstream's; the wording is ours. */
static const char GREP_FILES_SPEC[] =
    "{\"type\":\"function\",\"name\":\"grep_files\","
    "\"description\":\"Search file contents for a regular expression (ripgrep syntax) and return "
    "the paths of the files that contain a match, most recently changed first.\","
    "\"strict\":false,\"parameters\":{\"type\":\"object\",\"properties\":{"
    "\"include\":{\"type\":\"string\",\"description\":\"Glob restricting which files are searched, "
    "such as `*.c` or `*.{h,c}`.\"},"
    "\"limit\":{\"type\":\"number\",\"description\":\"Most paths to return (100 unless given).\"},"
    "\"path\":{\"type\":\"string\",\"description\":\"File or directory to search in; the working "
    "directory unless given.\"},"
    "\"pattern\":{\"type\":\"string\",\"description\":\"The regular expression to look for.\"}},"
    "\"required\":[\"pattern\"],\"additionalProperties\":false}}";

int cx__grep_files_tool_register(cx_tool_registry *reg)
{
    return cx__ft_register(reg, "grep_files", GREP_FILES_SPEC, grep_files_handler);
}

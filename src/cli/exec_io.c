/* The inputs and side outputs of `ccodex exec`: --output-schema, -i images,
 * -o, the `notify` hook and the git-repository check, with upstream
 * 0.115.0's messages (docs/EXEC.md). */
#include "cli/cli.h"

#include "base/buf.h"
#include "base/json.h"
#include "base/proc.h"
#include "ccodex/tools.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Largest --output-schema file read. */
#define MAX_SCHEMA_BYTES (4 * 1024 * 1024)

/* Reads at most max bytes of path; NULL with errno set on failure. */
static char *slurp(const char *path, size_t max, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    cx_buf b = CX_BUF_INIT;
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0 && b.len <= max)
        cx__buf_append(&b, chunk, n);
    int e = ferror(f) ? errno : 0;
    fclose(f);
    if (e || b.len > max) {
        cx__buf_free(&b);
        errno = e ? e : EFBIG;
        return NULL;
    }
    cx__buf_puts(&b, "");
    *len = b.len;
    return cx__buf_steal(&b);
}

json_object *cx_exec_load_schema(const char *path)
{
    size_t len = 0;
    char *text = slurp(path, MAX_SCHEMA_BYTES, &len);
    if (!text) {
        fprintf(stderr, "Failed to read output schema file %s: %s (os error %d)\n", path,
                strerror(errno), errno);
        return NULL;
    }
    json_object *schema = NULL;
    cx_error err;
    if (cx__json_parse(text, len, &schema, &err) != 0) {
        fprintf(stderr, "Output schema file %s is not valid JSON: %s\n", path, err.msg);
        schema = NULL;
    }
    free(text);
    return schema;
}

static json_object *text_part(const char *text)
{
    json_object *p = json_object_new_object();
    cx__json_set_str(p, "type", "input_text");
    cx__json_set_str(p, "text", text);
    return p;
}

json_object *cx_exec_image_parts(const char *const *paths, size_t n)
{
    json_object *parts = json_object_new_array();
    int shown = 0;
    for (size_t i = 0; i < n; i++) {
        const char *path = paths[i];
        size_t len = 0;
        char *data = slurp(path, CX_MAX_IMAGE_BYTES, &len);
        char *url = data ? cx_image_data_url((const unsigned char *)data, len) : NULL;
        cx_buf b = CX_BUF_INIT;
        if (!data) {
            int e = errno;
            cx__buf_printf(&b,
                           "Codex could not read the local image at `%s`: failed to read image at "
                           "%s: %s (os error %d)",
                           path, path, strerror(e), e);
        } else if (!url) {
            char *why = cx_image_unsupported_text(path);
            cx__buf_puts(&b, why ? why : "unsupported image");
            free(why);
        }
        if (b.len) {
            json_object_array_add(parts, text_part(cx__buf_str(&b)));
        } else {
            char marker[64];
            snprintf(marker, sizeof marker, "<image name=[Image #%d]>", ++shown);
            json_object_array_add(parts, text_part(marker));
            json_object *img = json_object_new_object();
            cx__json_set_str(img, "type", "input_image");
            cx__json_set_str(img, "image_url", url);
            json_object_array_add(parts, img);
            json_object_array_add(parts, text_part("</image>"));
        }
        cx__buf_free(&b);
        free(url);
        free(data);
    }
    return parts;
}

void cx_exec_write_last_message(const char *path, const char *message)
{
    FILE *f = fopen(path, "wb");
    if (!f) {
        fprintf(stderr, "Failed to write last message file %s: %s\n", path, strerror(errno));
        return;
    }
    if (message) fputs(message, f);
    if (fclose(f) != 0)
        fprintf(stderr, "Failed to write last message file %s: %s\n", path, strerror(errno));
    if (!message)
        fprintf(stderr, "Warning: no last agent message; wrote empty content to %s\n", path);
}

/* Longest the notify hook may run before it is stopped. */
#define NOTIFY_TIMEOUT_MS 10000

static int ignore_output(void *user, int stream, const char *data, size_t n)
{
    (void)user, (void)stream, (void)data, (void)n;
    return 0;
}

/* Runs the hook in cwd through the one spawner, its output discarded, and
 * waits for it (bounded) so it is reaped and never outlives us half-done.
 * A missing program is ignored, as upstream does. */
static void run_hook(char *const *argv, const char *cwd)
{
    cx_proc_opts po = {.argv = argv, .cwd = cwd, .io = CX_PROC_IO_DISCARD_ERR};
    cx_proc_run_opts ro = {
        .timeout_ms = NOTIFY_TIMEOUT_MS, .drain_ms = 200, .on_output = ignore_output};
    cx_proc_result res;
    cx_error err;
    (void)cx__proc_run(&po, &ro, &res, NULL, &err);
}

void cx_exec_notify(const cx_config *cfg, const char *client, const char *thread_id,
                    const char *turn_id, const char *cwd, const char *prompt,
                    const char *last_message)
{
    json_object *cmd = cfg && cfg->root ? cx__json_get(cfg->root, "notify") : NULL;
    size_t n = cmd && json_object_is_type(cmd, json_type_array) ? json_object_array_length(cmd) : 0;
    if (!n) return;
    json_object *payload = json_object_new_object();
    cx__json_set_str(payload, "type", "agent-turn-complete");
    cx__json_set_str(payload, "thread-id", thread_id);
    cx__json_set_str(payload, "turn-id", turn_id ? turn_id : "");
    cx__json_set_str(payload, "cwd", cwd);
    cx__json_set_str(payload, "client", client);
    json_object *inputs = json_object_new_array();
    if (prompt) json_object_array_add(inputs, json_object_new_string(prompt));
    cx__json_set(payload, "input-messages", inputs);
    cx__json_set(payload, "last-assistant-message",
                 last_message ? json_object_new_string(last_message) : NULL);
    cx_buf b = CX_BUF_INIT;
    cx__json_dump(payload, &b);
    json_object_put(payload);
    char **argv = calloc(n + 2, sizeof *argv);
    bool ok = argv != NULL;
    for (size_t i = 0; ok && i < n; i++) {
        json_object *v = json_object_array_get_idx(cmd, i);
        ok = json_object_is_type(v, json_type_string);
        if (ok) argv[i] = (char *)json_object_get_string(v);
    }
    if (ok && argv[0][0]) {
        argv[n] = (char *)cx__buf_str(&b);
        run_hook(argv, cwd);
    }
    free(argv);
    cx__buf_free(&b);
}

bool cx_exec_in_git_repo(const char *dir)
{
    char *p = realpath(dir ? dir : ".", NULL);
    if (!p) return false;
    bool found = false;
    for (;;) {
        char probe[PATH_MAX + 8];
        struct stat st;
        snprintf(probe, sizeof probe, "%s/.git", strcmp(p, "/") ? p : "");
        if (stat(probe, &st) == 0) {
            found = true;
            break;
        }
        char *slash = strrchr(p, '/');
        if (!slash || slash == p) {
            if (slash && p[1]) {
                p[1] = '\0';
                continue;
            }
            break;
        }
        *slash = '\0';
    }
    free(p);
    return found;
}

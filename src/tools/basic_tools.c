/* update_plan, request_user_input, view_image, web_search. */
#include "tools/basic_tools.h"

#include "base/buf.h"
#include "base/json.h"
#include "tools/args.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define MAX_IMAGE_BYTES CX_MAX_IMAGE_BYTES

static int add_spec(cx_tool_registry *reg, const char *name, const char *json, cx_tool_kind kind,
                    cx_tool_handler h, void *state, void (*state_free)(void *))
{
    json_object *spec = NULL;
    if (cx__json_parse(json, strlen(json), &spec, NULL) != 0) {
        if (state_free) state_free(state); /* the registry owns state only once added */
        return CX_ENOMEM;
    }
    cx_tool_def d = {name, kind, false, spec, h, state, state_free};
    return cx_tools_add(reg, &d);
}

/* The arguments as upstream's struct `type` reads them (fields: its table,
 * NULL for a struct whose fields the handler checks itself), or NULL with
 * the model's error in out (*rc negative when that failed). */
static json_object *args_object(const cx_tool_call *call, const char *type, cx__ft_field *fields,
                                size_t count, cx_tool_output *out, int *rc)
{
    cx__ft_struct st = {type, fields, count};
    json_object *args = NULL;
    int r = cx__ft_args(call, &st, &args, out);
    cx__ft_clear(&st);
    *rc = r < 0 ? r : 0;
    return args;
}

/* ---- update_plan ------------------------------------------------------------ */

typedef struct plan_state {
    bool started;
} plan_state;

static int plan_handler(void *state, const cx_tool_call *call, const cx_tool_env *env,
                        cx_tool_output *out)
{
    plan_state *ps = state;
    static const char *const statuses[] = {"pending", "in_progress", "completed", NULL};
    cx__ft_field item[] = {
        {.name = "step", .type = CX__FT_STRING, .required = true},
        {.name = "status", .type = CX__FT_ENUM, .required = true, .variants = statuses},
    };
    cx__ft_struct item_st = {"PlanItemArg", item, 2};
    cx__ft_field elem = {.name = "item", .type = CX__FT_STRUCT, .nested = &item_st};
    cx__ft_field fields[] = {
        {.name = "explanation", .type = CX__FT_STRING, .option = true},
        {.name = "plan", .type = CX__FT_SEQ, .required = true, .elem = &elem},
    };
    int prc = 0;
    json_object *args = args_object(call, "UpdatePlanArgs", fields, 2, out, &prc);
    if (!args) return prc;
    json_object *plan = cx__json_get(args, "plan"); /* required array: decoded */
    size_t n = json_object_array_length(plan);
    int in_progress = 0;
    json_object *items = json_object_new_array();
    for (size_t i = 0; i < n; i++) {
        json_object *st = json_object_array_get_idx(plan, i);
        const char *step = cx__json_get_str(st, "step");
        const char *status = cx__json_get_str(st, "status");
        if (!step || !status ||
            (strcmp(status, "pending") && strcmp(status, "in_progress") &&
             strcmp(status, "completed"))) {
            json_object_put(items);
            json_object_put(args);
            return cx_tool_output_setf(
                out, false,
                "failed to parse function arguments: each plan item needs a "
                "`step` and a `status` of pending, in_progress or completed");
        }
        in_progress += !strcmp(status, "in_progress");
        json_object *it = json_object_new_object();
        cx__json_set_str(it, "text", step);
        cx__json_set(it, "completed", json_object_new_boolean(!strcmp(status, "completed")));
        json_object_array_add(items, it);
    }
    if (in_progress > 1) {
        json_object_put(items);
        json_object_put(args);
        return cx_tool_output_setf(out, false, "at most one plan step can be in_progress");
    }
    if (env->emit) {
        json_object *d = json_object_new_object();
        cx__json_set_str(d, "type", "todo_list");
        cx__json_set_str(d, "call_id", "update_plan");
        cx__json_set(d, "items", json_object_get(items));
        cx_event ev = {ps->started ? CX_EV_ITEM_UPDATED : CX_EV_ITEM_STARTED, d};
        env->emit(env->emit_user, &ev);
        json_object_put(d);
    }
    ps->started = true;
    json_object_put(items);
    json_object_put(args);
    return cx_tool_output_setf(out, true, "Plan updated");
}

int cx__plan_tool_register(cx_tool_registry *reg)
{
    static const char spec[] =
        "{\"type\":\"function\",\"name\":\"update_plan\",\"description\":\"Record the task plan: "
        "an optional note and the list of steps with their status. Keep at most one step "
        "in_progress.\",\"strict\":false,\"parameters\":{\"type\":\"object\",\"properties\":{"
        "\"explanation\":{\"type\":\"string\"},\"plan\":{\"type\":\"array\",\"items\":{\"type\":"
        "\"object\",\"properties\":{\"status\":{\"type\":\"string\",\"description\":\"pending, "
        "in_progress or completed\"},\"step\":{\"type\":\"string\"}},\"required\":[\"step\","
        "\"status\"],\"additionalProperties\":false},\"description\":\"The steps, in order\"}},"
        "\"required\":[\"plan\"],\"additionalProperties\":false}}";
    plan_state *ps = calloc(1, sizeof *ps);
    if (!ps) return CX_ENOMEM;
    return add_spec(reg, "update_plan", spec, CX_TOOL_FUNCTION, plan_handler, ps, free);
}

/* ---- request_user_input --------------------------------------------------------- */

typedef struct ask_state {
    cx_ask_user_fn ask;
    void *user;
    cx__grants *grants; /* request_permissions only; borrowed, may be NULL */
} ask_state;

static int user_input_handler(void *state, const cx_tool_call *call, const cx_tool_env *env,
                              cx_tool_output *out)
{
    ask_state *as = state;
    const char *mode = env->collaboration_mode;
    if (!mode || strcmp(mode, "plan") != 0)
        return cx_tool_output_setf(out, false, "request_user_input is unavailable in Default mode");
    int prc = 0;
    json_object *args = args_object(call, "RequestUserInputArgs", NULL, 0, out, &prc);
    if (!args) return prc;
    json_object *questions = cx__json_get(args, "questions");
    size_t n = questions && json_object_is_type(questions, json_type_array)
                   ? json_object_array_length(questions)
                   : 0;
    if (!n) {
        json_object_put(args);
        return cx_tool_output_setf(out, false, "request_user_input requires at least one question");
    }
    for (size_t i = 0; i < n; i++) {
        json_object *q = json_object_array_get_idx(questions, i);
        json_object *opts = cx__json_get(q, "options");
        if (!opts || !json_object_is_type(opts, json_type_array) ||
            !json_object_array_length(opts)) {
            json_object_put(args);
            return cx_tool_output_setf(
                out, false, "request_user_input requires non-empty options for every question");
        }
        /* the client always offers a free-form answer */
        cx__json_set(q, "isOther", json_object_new_boolean(1));
    }
    json_object *answer = as->ask ? as->ask(as->user, args) : NULL;
    json_object_put(args);
    if (!answer)
        return cx_tool_output_setf(out, false,
                                   "request_user_input was cancelled: no answer from the user");
    char *s = cx__json_to_string(answer);
    json_object_put(answer);
    int rc = cx_tool_output_setf(out, true, "%s", s ? s : "{}");
    free(s);
    return rc;
}

int cx__user_input_tool_register(cx_tool_registry *reg, cx_ask_user_fn ask, void *ask_user)
{
    static const char spec[] =
        "{\"type\":\"function\",\"name\":\"request_user_input\",\"description\":\"Ask the user one "
        "to three short multiple-choice questions and wait for the answers. Only works in Plan "
        "mode.\",\"strict\":false,\"parameters\":{\"type\":\"object\",\"properties\":{"
        "\"questions\":{\"type\":\"array\",\"items\":{\"type\":\"object\",\"properties\":{"
        "\"header\":{\"type\":\"string\",\"description\":\"A label of at most 12 characters.\"},"
        "\"id\":{\"type\":\"string\",\"description\":\"snake_case id the answer comes back "
        "under.\"},"
        "\"options\":{\"type\":\"array\",\"items\":{\"type\":\"object\",\"properties\":{"
        "\"description\":{\"type\":\"string\",\"description\":\"One sentence on what choosing "
        "it means.\"},\"label\":{\"type\":\"string\",\"description\":\"One to five words.\"}},"
        "\"required\":[\"label\",\"description\"],\"additionalProperties\":false},"
        "\"description\":\"Two or three exclusive choices, the recommended one first with "
        "\\\"(Recommended)\\\" after its label. No \\\"Other\\\": the client adds it.\"},"
        "\"question\":{\"type\":\"string\",\"description\":\"The question, one sentence.\"}},"
        "\"required\":[\"id\",\"header\",\"question\",\"options\"],\"additionalProperties\":false},"
        "\"description\":\"The questions; one is best, three at most.\"}},"
        "\"required\":[\"questions\"],\"additionalProperties\":false}}";
    ask_state *as = calloc(1, sizeof *as);
    if (!as) return CX_ENOMEM;
    as->ask = ask;
    as->user = ask_user;
    return add_spec(reg, "request_user_input", spec, CX_TOOL_FUNCTION, user_input_handler, as,
                    free);
}

/* ---- view_image -------------------------------------------------------------- */

static const char *image_mime(const unsigned char *b, size_t n)
{
    if (n >= 8 && !memcmp(b, "\x89PNG\r\n\x1a\n", 8)) return "image/png";
    if (n >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF) return "image/jpeg";
    if (n >= 6 && (!memcmp(b, "GIF87a", 6) || !memcmp(b, "GIF89a", 6))) return "image/gif";
    if (n >= 12 && !memcmp(b, "RIFF", 4) && !memcmp(b + 8, "WEBP", 4)) return "image/webp";
    return NULL;
}

/* The MIME type a file name suggests, for upstream's error texts about files
 * that are not images (upstream guesses from the extension the same way).
 * NULL when the extension is unknown. */
static const char *mime_from_name(const char *path)
{
    static const char *const table[][2] = {
        {"txt", "text/plain"},      {"json", "application/json"}, {"html", "text/html"},
        {"htm", "text/html"},       {"css", "text/css"},          {"csv", "text/csv"},
        {"xml", "text/xml"},        {"pdf", "application/pdf"},   {"zip", "application/zip"},
        {"gz", "application/gzip"}, {"tar", "application/x-tar"}, {"png", "image/png"},
        {"jpg", "image/jpeg"},      {"jpeg", "image/jpeg"},       {"gif", "image/gif"},
        {"webp", "image/webp"},     {"bmp", "image/bmp"},         {"svg", "image/svg+xml"},
        {"tif", "image/tiff"},      {"tiff", "image/tiff"},       {"ico", "image/x-icon"},
        {"avif", "image/avif"},
    };
    const char *slash = strrchr(path, '/');
    const char *dot = strrchr(slash ? slash + 1 : path, '.');
    if (!dot || !dot[1]) return NULL;
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (!strcasecmp(dot + 1, table[i][0])) return table[i][1];
    return NULL;
}

char *cx_image_unsupported_text(const char *path)
{
    const char *guess = mime_from_name(path);
    char *s = NULL;
    int rc;
    if (!guess)
        rc = asprintf(
            &s, "Codex could not read the local image at `%s`: unsupported MIME type (unknown)",
            path);
    else if (strncmp(guess, "image/", 6) != 0)
        rc =
            asprintf(&s, "Codex could not read the local image at `%s`: unsupported MIME type `%s`",
                     path, guess);
    else
        rc = asprintf(&s, "Image located at `%s` is invalid: not a PNG, JPEG, GIF or WebP image",
                      path);
    return rc < 0 ? NULL : s;
}

char *cx_image_data_url(const unsigned char *data, size_t n)
{
    const char *mime = image_mime(data, n);
    if (!mime) return NULL;
    size_t enc_len = 4 * ((n + 2) / 3);
    cx_buf url = CX_BUF_INIT;
    cx__buf_printf(&url, "data:%s;base64,", mime);
    if (cx__buf_reserve(&url, enc_len + 1) != 0) {
        cx__buf_free(&url);
        return NULL;
    }
    EVP_EncodeBlock((unsigned char *)url.data + url.len, data, (int)n);
    url.len += enc_len;
    url.data[url.len] = '\0';
    return cx__buf_steal(&url);
}

static int view_image_handler(void *state, const cx_tool_call *call, const cx_tool_env *env,
                              cx_tool_output *out)
{
    cx__ft_field fields[] = {
        {.name = "path", .type = CX__FT_STRING, .required = true},
        {.name = "detail", .type = CX__FT_STRING, .option = true, .in_seq = true},
    };
    int prc = 0;
    json_object *args = args_object(call, "ViewImageArgs", fields, 2, out, &prc);
    if (!args) return prc;
    const char *path = cx__json_get_str(args, "path");
    if (!path || !*path) {
        json_object_put(args);
        return cx_tool_output_setf(out, false,
                                   "failed to parse function arguments: missing field `path`");
    }
    char *abs = NULL;
    if (path[0] == '/' || !env->cwd)
        abs = strdup(path);
    else if (asprintf(&abs, "%s/%s", env->cwd, path) < 0)
        abs = NULL;
    json_object_put(args);
    if (!abs) return CX_ENOMEM;
    struct stat st;
    int rc = 0;
    if (stat(abs, &st) != 0) {
        /* upstream prints the io error as Rust shows it: text, then the errno */
        int e = errno;
        rc = cx_tool_output_setf(out, false, "unable to locate image at `%s`: %s (os error %d)",
                                 abs, strerror(e), e);
    } else if (!S_ISREG(st.st_mode)) {
        rc = cx_tool_output_setf(out, false, "image path `%s` is not a file", abs);
    } else if (st.st_size > MAX_IMAGE_BYTES) {
        rc =
            cx_tool_output_setf(out, false, "image `%s` is too large (%lld bytes; the limit is %d)",
                                abs, (long long)st.st_size, MAX_IMAGE_BYTES);
    } else {
        FILE *f = fopen(abs, "rb");
        unsigned char *data = malloc((size_t)st.st_size + 1);
        size_t n = f && data ? fread(data, 1, (size_t)st.st_size, f) : 0;
        if (f) fclose(f);
        char *url = f && data ? cx_image_data_url(data, n) : NULL;
        if (!f || !data) {
            rc = cx_tool_output_setf(out, false, "unable to read image at `%s`: %s", abs,
                                     strerror(errno));
        } else if (!url) {
            char *why = cx_image_unsupported_text(abs);
            rc = cx_tool_output_setf(out, false, "%s", why ? why : "unsupported image");
            free(why);
        } else {
            json_object *item = json_object_new_object();
            cx__json_set_str(item, "type", "input_image");
            cx__json_set_str(item, "image_url", url);
            json_object *content = json_object_new_array();
            json_object_array_add(content, item);
            json_object_put(out->content);
            out->content = content;
            out->success = true;
        }
        free(url);
        free(data);
    }
    free(abs);
    return rc;
}

/* ---- one multiple-choice question ------------------------------------------- */

char *cx__ask_choice(cx_ask_user_fn ask, void *user, const char *id, const char *header,
                     const char *text, const char *options_json)
{
    if (!ask) return NULL;
    json_object *question = json_object_new_object();
    cx__json_set_str(question, "id", id);
    cx__json_set_str(question, "header", header);
    cx__json_set_str(question, "question", text);
    json_object *o = NULL;
    cx__json_parse(options_json, strlen(options_json), &o, NULL);
    cx__json_set(question, "options", o);
    json_object *request = json_object_new_object();
    json_object *list = json_object_new_array();
    json_object_array_add(list, question);
    cx__json_set(request, "questions", list);
    json_object *answer = ask(user, request);
    json_object_put(request);
    if (!answer) return NULL;
    json_object *a = cx__json_get(cx__json_get(cx__json_get(answer, "answers"), id), "answers");
    const char *pick = a && json_object_is_type(a, json_type_array) && json_object_array_length(a)
                           ? json_object_get_string(json_object_array_get_idx(a, 0))
                           : NULL;
    char *r = strdup(pick ? pick : "");
    json_object_put(answer);
    return r;
}

/* ---- request_permissions ------------------------------------------------------ */

/* pycodex's request_permissions: asks the user to grant more file-system or
 * network access for the turn or the session. The question goes through the
 * same callback as request_user_input, as one multiple-choice question. */
static int permissions_handler(void *state, const cx_tool_call *call, const cx_tool_env *env,
                               cx_tool_output *out)
{
    (void)env;
    ask_state *as = state;
    int prc = 0;
    json_object *args = args_object(call, "RequestPermissionsArgs", NULL, 0, out, &prc);
    if (!args) return prc;
    json_object *perms = cx__json_get(args, "permissions");
    int rc = 0;
    if (!perms || !json_object_is_type(perms, json_type_object)) {
        rc = cx_tool_output_setf(out, false, "Error: `permissions` must be an object.");
    } else if (json_object_object_length(perms) == 0) {
        rc = cx_tool_output_setf(out, false,
                                 "Error: request_permissions requires at least one permission.");
    } else {
        const char *reason = cx__json_get_str(args, "reason");
        char *wanted = cx__json_to_string(perms);
        cx_buf q = CX_BUF_INIT;
        if (reason && *reason)
            cx__buf_printf(&q, "Grant these permissions (%s)? %s", reason, wanted ? wanted : "{}");
        else
            cx__buf_printf(&q, "Grant these permissions? %s", wanted ? wanted : "{}");
        free(wanted);
        static const char opts[] =
            "[{\"label\":\"Deny\",\"description\":\"keep the current permissions\"},"
            "{\"label\":\"Grant for this turn\",\"description\":\"until the turn ends\"},"
            "{\"label\":\"Grant for the session\",\"description\":\"until ccodex exits\"}]";
        char *pick =
            cx__ask_choice(as->ask, as->user, "permissions", "Permissions", cx__buf_str(&q), opts);
        cx__buf_free(&q);
        if (!pick) {
            rc = cx_tool_output_setf(
                out, false,
                "Error: request_permissions was cancelled before receiving a response.");
        } else {
            bool session = !strcmp(pick, "Grant for the session");
            bool turn = !strcmp(pick, "Grant for this turn");
            free(pick);
            /* the sandbox of the later commands widens by what was granted */
            if ((session || turn) && as->grants) rc = cx__grants_add(as->grants, perms, session);
            json_object *result = json_object_new_object();
            cx__json_set(result, "permissions",
                         (session || turn) ? json_object_get(perms) : json_object_new_object());
            cx__json_set_str(result, "scope", session ? "session" : "turn");
            char *text = cx__json_to_string(result);
            if (!rc) rc = cx_tool_output_setf(out, true, "%s", text ? text : "{}");
            free(text);
            json_object_put(result);
        }
    }
    json_object_put(args);
    return rc;
}

int cx__permissions_tool_register(cx_tool_registry *reg, cx_ask_user_fn ask, void *ask_user,
                                  cx__grants *grants)
{
    static const char spec[] =
        "{\"type\":\"function\",\"name\":\"request_permissions\",\"description\":\"Ask the user "
        "for "
        "more file-system or network access and wait for the answer: the granted permissions and "
        "whether they hold for this turn or the "
        "session.\",\"strict\":false,\"parameters\":{\"type\":"
        "\"object\",\"properties\":{"
        "\"reason\":{\"type\":\"string\",\"description\":\"Why the access is needed, in a few "
        "words.\"},"
        "\"permissions\":{\"type\":\"object\",\"properties\":{"
        "\"network\":{\"type\":\"object\",\"properties\":{\"enabled\":{\"type\":\"boolean\","
        "\"description\":\"true to ask for network access.\"}},\"additionalProperties\":false},"
        "\"file_system\":{\"type\":\"object\",\"properties\":{"
        "\"read\":{\"type\":\"array\",\"items\":{\"type\":\"string\"},\"description\":\"Absolute "
        "paths to read.\"},"
        "\"write\":{\"type\":\"array\",\"items\":{\"type\":\"string\"},\"description\":\"Absolute "
        "paths to write.\"}},\"additionalProperties\":false}},\"additionalProperties\":false}},"
        "\"required\":[\"permissions\"],\"additionalProperties\":false}}";
    ask_state *as = calloc(1, sizeof *as);
    if (!as) return CX_ENOMEM;
    as->ask = ask;
    as->user = ask_user;
    as->grants = grants;
    return add_spec(reg, "request_permissions", spec, CX_TOOL_FUNCTION, permissions_handler, as,
                    free);
}

int cx__view_image_tool_register(cx_tool_registry *reg)
{
    static const char spec[] =
        "{\"type\":\"function\",\"name\":\"view_image\",\"description\":\"Look at an image file "
        "on this machine (PNG, JPEG, GIF or WebP) when the user gives its path.\",\"strict\":false,"
        "\"parameters\":{\"type\":\"object\",\"properties\":{\"path\":{\"type\":\"string\","
        "\"description\":\"Path of the image file\"}},\"required\":[\"path\"],"
        "\"additionalProperties\":false}}";
    return add_spec(reg, "view_image", spec, CX_TOOL_FUNCTION, view_image_handler, NULL, NULL);
}

int cx__web_search_tool_register(cx_tool_registry *reg, bool external_web_access)
{
    json_object *spec = json_object_new_object();
    cx__json_set_str(spec, "type", "web_search");
    cx__json_set(spec, "external_web_access", json_object_new_boolean(external_web_access));
    cx_tool_def d = {"web_search", CX_TOOL_PROVIDER, false, spec, NULL, NULL, NULL};
    return cx_tools_add(reg, &d);
}

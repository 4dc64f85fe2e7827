/* Context assembly (upstream: project_doc.rs, environment_context.rs,
 * skills, models.rs permissions; pycodex context.py). */
#include "context/context.h"

#include "base/buf.h"
#include "base/fs.h"
#include "base/json.h"
#include "base/proc.h"
#include "context/prompts.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PROJECT_DOC_MAX_BYTES (32 * 1024)

struct cx_context_cache {
    const cx_config *cfg;
    char *cwd;
    bool loaded;
    char *git_root;          /* nearest ancestor with .git, or NULL */
    json_object *agents;     /* array of input_text items for AGENTS.md, or NULL */
    char *skills_text;       /* the <skills_instructions> block, or NULL */
    char *user_instructions; /* the AGENTS.md texts joined, or NULL (turn_context) */
};

cx_context_cache *cx__context_cache_new(const cx_config *cfg, const char *cwd)
{
    cx_context_cache *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->cfg = cfg;
    c->cwd = strdup(cwd ? cwd : ".");
    if (!c->cwd) {
        free(c);
        return NULL;
    }
    return c;
}

void cx__context_cache_free(cx_context_cache *c)
{
    if (!c) return;
    free(c->cwd);
    free(c->git_root);
    json_object_put(c->agents);
    free(c->skills_text);
    free(c->user_instructions);
    free(c);
}

char *cx__context_base_instructions(cx_context_cache *c, const char *model, const char *override,
                                    cx_error *err)
{
    if (override) return strdup(override);
    if (c->cfg->base_instructions) return strdup(c->cfg->base_instructions);
    if (c->cfg->model_instructions_file) {
        char *text = cx__fs_slurp(c->cfg->model_instructions_file, 1 << 24, NULL);
        if (!text)
            cx_error_set(err, CX_ECONFIG, "cannot read model_instructions_file %s: %s",
                         c->cfg->model_instructions_file, strerror(errno));
        return text;
    }
    return strdup(cx__prompt_base);
}

void cx__context_model_info(const char *model, cx_model_info *out)
{
    memset(out, 0, sizeof *out);
    if (!model) return;
    static const char *const reasoning_prefixes[] = {"gpt-5",  "o1",      "o3", "o4",
                                                     "codex-", "gpt-oss", NULL};
    for (const char *const *p = reasoning_prefixes; *p; p++)
        if (!strncmp(model, *p, strlen(*p))) {
            out->supports_reasoning = true;
            out->default_effort = "medium";
        }
    /* gpt-5 family chat models accept text.verbosity; the codex variants do not */
    out->supports_verbosity = !strncmp(model, "gpt-5", 5) && !strstr(model, "codex");
    out->supports_parallel_tool_calls = false;
}

/* ---- developer message --------------------------------------------------- */

static void permissions_text(const cx_config *cfg, cx_buf *b)
{
    const char *sb = cfg->sandbox_mode ? cfg->sandbox_mode : "read-only";
    const char *ap = cfg->approval_policy ? cfg->approval_policy : "never";
    cx__buf_puts(b, "<permissions instructions>\n");
    if (!strcmp(sb, "danger-full-access"))
        cx__buf_puts(b,
                     "`sandbox_mode` is `danger-full-access`: commands run without a file-system "
                     "sandbox and with network access.");
    else if (!strcmp(sb, "workspace-write"))
        cx__buf_puts(b, "`sandbox_mode` is `workspace-write`: commands may read any file and write "
                        "inside the working directory and the temp directory; other writes and the "
                        "network are blocked.");
    else
        cx__buf_puts(b, "`sandbox_mode` is `read-only`: commands may read files but not write "
                        "them, and the network is blocked.");
    cx__buf_puts(b, "\n");
    if (!strcmp(ap, "never"))
        cx__buf_puts(b, "Approval policy is `never`: you cannot ask the user to approve anything, "
                        "so never set `sandbox_permissions`; work within the sandbox, and when it "
                        "stops you, say so in your answer.");
    else if (!strcmp(ap, "on-failure"))
        cx__buf_puts(b,
                     "Approval policy is `on-failure`: commands run in the sandbox first; if one "
                     "fails because of it, the user is asked whether to run it without.");
    else if (!strcmp(ap, "untrusted"))
        cx__buf_puts(b, "Approval policy is `untrusted`: commands beyond a small set of safe reads "
                        "need the user's approval.");
    else
        cx__buf_puts(b,
                     "Approval policy is `on-request`: run commands in the sandbox; when one "
                     "truly needs more (network, writes elsewhere), set `sandbox_permissions` to "
                     "`require_escalated` with a one-sentence `justification`, and the user "
                     "decides.");
    cx__buf_puts(b, "\n</permissions instructions>");
}

typedef struct skill {
    char *name;
    char *description;
    char *path;
} skill;

/* Reads `name:` and `description:` from a SKILL.md's YAML front matter. */
static bool parse_front_matter(const char *text, char **name, char **desc)
{
    *name = *desc = NULL;
    if (strncmp(text, "---", 3) != 0) return false;
    const char *p = strchr(text, '\n');
    while (p) {
        p++;
        const char *end = strchr(p, '\n');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n >= 3 && !strncmp(p, "---", 3)) break;
        char **slot = !strncmp(p, "name:", 5)           ? name
                      : !strncmp(p, "description:", 12) ? desc
                                                        : NULL;
        if (slot) {
            const char *v = strchr(p, ':') + 1;
            while (v < p + n && (*v == ' ' || *v == '\t'))
                v++;
            size_t vl = (size_t)(p + n - v);
            while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\r'))
                vl--;
            if (vl >= 2 && (v[0] == '"' || v[0] == '\'') && v[vl - 1] == v[0]) {
                v++;
                vl -= 2;
            }
            free(*slot);
            *slot = strndup(v, vl);
        }
        p = end;
    }
    if (*name && *desc && **name) return true;
    free(*name);
    free(*desc);
    *name = *desc = NULL;
    return false;
}

static void scan_skills(const char *dir, int depth, skill **list, size_t *n)
{
    if (depth > 4) return;
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        char *path = NULL;
        if (asprintf(&path, "%s/%s", dir, e->d_name) < 0) continue;
        struct stat st;
        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
            scan_skills(path, depth + 1, list, n);
        } else if (!strcmp(e->d_name, "SKILL.md")) {
            char *text = cx__fs_slurp(path, 64 * 1024, NULL);
            char *name, *desc;
            if (text && parse_front_matter(text, &name, &desc)) {
                skill *p = realloc(*list, (*n + 1) * sizeof *p);
                if (p) {
                    *list = p;
                    (*list)[(*n)++] = (skill){name, desc, strdup(path)};
                } else {
                    free(name);
                    free(desc);
                }
            }
            free(text);
        }
        free(path);
    }
    closedir(d);
}

static int skill_cmp(const void *a, const void *b)
{
    return strcmp(((const skill *)a)->name, ((const skill *)b)->name);
}

static void load_skills(cx_context_cache *c)
{
    char *dir = NULL;
    if (asprintf(&dir, "%s/skills", c->cfg->codex_home) < 0) return;
    skill *list = NULL;
    size_t n = 0;
    scan_skills(dir, 0, &list, &n);
    free(dir);
    if (!n) return;
    qsort(list, n, sizeof *list, skill_cmp);
    cx_buf b = CX_BUF_INIT;
    cx__buf_puts(&b,
                 "<skills_instructions>\n## Skills\n"
                 "Skills are instruction files (`SKILL.md`) on this machine for particular kinds "
                 "of work. The ones available now:\n### Available skills\n");
    for (size_t i = 0; i < n; i++) {
        cx__buf_printf(&b, "- %s: %s (file: %s)\n", list[i].name, list[i].description,
                       list[i].path);
        free(list[i].name);
        free(list[i].description);
        free(list[i].path);
    }
    free(list);
    cx__buf_puts(&b, "### Using skills\n"
                     "- Use a skill when the user names it (`$name` or plainly) or when the task "
                     "clearly matches its description; a skill applies to the turn it was chosen "
                     "in.\n"
                     "- Open its `SKILL.md` and read only as much as you need; resolve relative "
                     "paths against the skill's folder, and prefer its scripts and templates over "
                     "writing your own.\n"
                     "- If a skill is missing or unreadable, say so briefly and carry on without "
                     "it.\n"
                     "</skills_instructions>");
    c->skills_text = cx__buf_steal(&b);
}

/* ---- AGENTS.md ------------------------------------------------------------ */

static char *find_git_root(const char *cwd)
{
    char *dir = strdup(cwd);
    while (dir) {
        char *probe = NULL;
        struct stat st;
        if (asprintf(&probe, "%s/.git", dir) >= 0 && stat(probe, &st) == 0) {
            free(probe);
            return dir;
        }
        free(probe);
        char *slash = strrchr(dir, '/');
        if (!slash || slash == dir) break;
        *slash = '\0';
    }
    free(dir);
    return NULL;
}

/* Reads AGENTS.override.md, else AGENTS.md, in dir; appends its text. */
static bool read_doc(const char *dir, cx_buf *out, size_t *budget)
{
    static const char *const names[] = {"AGENTS.override.md", "AGENTS.md"};
    for (int i = 0; i < 2; i++) {
        char *path = NULL;
        if (asprintf(&path, "%s/%s", dir, names[i]) < 0) return false;
        char *text = cx__fs_slurp(path, *budget, NULL);
        free(path);
        if (text) {
            bool blank = strspn(text, " \t\r\n") == strlen(text);
            if (!blank) {
                if (out->len) cx__buf_puts(out, "\n\n");
                cx__buf_puts(out, text);
                *budget -= strlen(text) < *budget ? strlen(text) : *budget;
            }
            free(text);
            return !blank;
        }
    }
    return false;
}

static void load_once(cx_context_cache *c)
{
    if (c->loaded) return;
    c->loaded = true;
    c->git_root = find_git_root(c->cwd);
    load_skills(c);
    cx_buf global = CX_BUF_INIT, project = CX_BUF_INIT;
    /* project_doc_max_bytes bounds the project docs together (0 turns them off) */
    int64_t limit = PROJECT_DOC_MAX_BYTES;
    if (c->cfg->root) cx__json_get_int(c->cfg->root, "project_doc_max_bytes", &limit);
    size_t budget = limit > 0 ? (size_t)limit : 0;
    size_t gbudget = PROJECT_DOC_MAX_BYTES;
    read_doc(c->cfg->codex_home, &global, &gbudget);
    /* project docs: from the repository root down to cwd */
    const char *root = c->git_root ? c->git_root : c->cwd;
    size_t rl = strlen(root);
    char *walk = strdup(c->cwd);
    if (walk && budget > 0 && !strncmp(walk, root, rl)) {
        size_t pos = rl;
        for (;;) {
            char save = walk[pos];
            walk[pos] = '\0';
            read_doc(walk, &project, &budget);
            walk[pos] = save;
            if (!save) break;
            char *next = strchr(walk + pos + 1, '/');
            pos = next ? (size_t)(next - walk) : strlen(walk);
        }
    }
    free(walk);
    if (global.len || project.len) {
        cx_buf text = CX_BUF_INIT;
        cx__buf_printf(&text, "# AGENTS.md instructions for %s\n\n<INSTRUCTIONS>\n", c->cwd);
        cx__buf_puts(&text, cx__buf_str(&global));
        if (global.len && project.len) cx__buf_puts(&text, "\n\n--- project-doc ---\n\n");
        cx__buf_puts(&text, cx__buf_str(&project));
        c->user_instructions = strdup(cx__buf_str(&text) + strlen("# AGENTS.md instructions for ") +
                                      strlen(c->cwd) + strlen("\n\n<INSTRUCTIONS>\n"));
        cx__buf_puts(&text, "\n</INSTRUCTIONS>");
        c->agents = json_object_new_array();
        json_object *item = json_object_new_object();
        cx__json_set_str(item, "type", "input_text");
        cx__json_set_str(item, "text", cx__buf_str(&text));
        json_object_array_add(c->agents, item);
        cx__buf_free(&text);
    }
    cx__buf_free(&global);
    cx__buf_free(&project);
}

static json_object *text_item(const char *text)
{
    json_object *o = json_object_new_object();
    cx__json_set_str(o, "type", "input_text");
    cx__json_set_str(o, "text", text);
    return o;
}

static json_object *message(const char *role, json_object *content)
{
    json_object *m = json_object_new_object();
    cx__json_set_str(m, "type", "message");
    cx__json_set_str(m, "role", role);
    cx__json_set(m, "content", content);
    return m;
}

json_object *cx__context_developer_message(cx_context_cache *c, const cx_context_request_opts *o)
{
    load_once(c);
    json_object *content = json_object_new_array();
    cx_buf b = CX_BUF_INIT;
    permissions_text(c->cfg, &b);
    json_object_array_add(content, text_item(cx__buf_str(&b)));
    cx__buf_free(&b);
    if (o && o->collaboration_mode)
        json_object_array_add(content, text_item(!strcmp(o->collaboration_mode, "plan")
                                                     ? cx__prompt_collab_plan
                                                     : cx__prompt_collab_default));
    if (c->skills_text) json_object_array_add(content, text_item(c->skills_text));
    return message("developer", content);
}

static void timezone_name(char *out, size_t size)
{
    const char *tz = getenv("TZ");
    if (tz && *tz) {
        snprintf(out, size, "%s", tz[0] == ':' ? tz + 1 : tz);
        return;
    }
    char link[PATH_MAX];
    ssize_t n = readlink("/etc/localtime", link, sizeof link - 1);
    if (n > 0) {
        link[n] = '\0';
        const char *z = strstr(link, "zoneinfo/");
        if (z) {
            snprintf(out, size, "%s", z + 9);
            return;
        }
    }
    FILE *f = fopen("/etc/timezone", "r");
    if (f) {
        if (fgets(out, (int)size, f)) out[strcspn(out, "\r\n")] = '\0';
        fclose(f);
        if (*out) return;
    }
    snprintf(out, size, "Etc/UTC");
}

static void environment_text(cx_context_cache *c, const cx_context_request_opts *o, cx_buf *b)
{
    const char *shell = o && o->shell ? o->shell : "/bin/bash";
    const char *base = strrchr(shell, '/');
    base = base ? base + 1 : shell;
    char date[32] = "", tz[128];
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(date, sizeof date, "%Y-%m-%d", &tm);
    timezone_name(tz, sizeof tz);
    cx__buf_printf(b,
                   "<environment_context>\n  <cwd>%s</cwd>\n  <shell>%s</shell>\n"
                   "  <current_date>%s</current_date>\n  <timezone>%s</timezone>\n"
                   "</environment_context>",
                   c->cwd, base, date, tz);
}

json_object *cx__context_user_message(cx_context_cache *c, const cx_context_request_opts *o)
{
    load_once(c);
    json_object *content = json_object_new_array();
    size_t n = c->agents ? json_object_array_length(c->agents) : 0;
    for (size_t i = 0; i < n; i++)
        json_object_array_add(content, json_object_get(json_object_array_get_idx(c->agents, i)));
    cx_buf b = CX_BUF_INIT;
    environment_text(c, o, &b);
    json_object_array_add(content, text_item(cx__buf_str(&b)));
    cx__buf_free(&b);
    return message("user", content);
}

json_object *cx__context_environment_message(cx_context_cache *c, const cx_context_request_opts *o)
{
    cx_buf b = CX_BUF_INIT;
    environment_text(c, o, &b);
    json_object *content = json_object_new_array();
    json_object_array_add(content, text_item(cx__buf_str(&b)));
    cx__buf_free(&b);
    return message("user", content);
}

json_object *cx__context_permissions_message(cx_context_cache *c)
{
    cx_buf b = CX_BUF_INIT;
    permissions_text(c->cfg, &b);
    json_object *content = json_object_new_array();
    json_object_array_add(content, text_item(cx__buf_str(&b)));
    cx__buf_free(&b);
    return message("developer", content);
}

json_object *cx__context_model_switch_message(cx_context_cache *c, const char *model,
                                              bool permissions)
{
    cx_error err;
    char *text = cx__context_base_instructions(c, model, NULL, &err);
    if (!text || !*text) {
        free(text);
        return NULL;
    }
    cx_buf b = CX_BUF_INIT;
    /* upstream's wording: the model reads it, so it is a protocol string */
    cx__buf_printf(&b,
                   "<model_switch>\nThe user was previously using a different model. Please "
                   "continue the conversation according to the following instructions:\n\n%s\n"
                   "</model_switch>",
                   text);
    free(text);
    json_object *content = json_object_new_array();
    json_object_array_add(content, text_item(cx__buf_str(&b)));
    cx__buf_reset(&b);
    if (permissions) {
        permissions_text(c->cfg, &b);
        json_object_array_add(content, text_item(cx__buf_str(&b)));
    }
    cx__buf_free(&b);
    return message("developer", content);
}

const char *cx__context_user_instructions(cx_context_cache *c)
{
    load_once(c);
    return c->user_instructions;
}

void cx__context_timezone(char *out, size_t size)
{
    timezone_name(out, size);
}

/* HEAD's commit hash, read from the repository files directly. */
static char *git_head(const char *root)
{
    char *path = NULL;
    if (asprintf(&path, "%s/.git/HEAD", root) < 0) return NULL;
    char *head = cx__fs_slurp(path, 4096, NULL);
    free(path);
    if (!head) return NULL;
    head[strcspn(head, "\r\n")] = '\0';
    if (strncmp(head, "ref: ", 5) != 0) return head; /* detached: the hash itself */
    const char *ref = head + 5;
    char *hash = NULL;
    if (asprintf(&path, "%s/.git/%s", root, ref) >= 0) {
        hash = cx__fs_slurp(path, 256, NULL);
        free(path);
    }
    if (!hash && asprintf(&path, "%s/.git/packed-refs", root) >= 0) {
        char *packed = cx__fs_slurp(path, 1 << 24, NULL);
        free(path);
        for (char *line = packed ? strtok(packed, "\n") : NULL; line; line = strtok(NULL, "\n")) {
            char *sp = strchr(line, ' ');
            if (sp && !strcmp(sp + 1, ref)) {
                hash = strndup(line, (size_t)(sp - line));
                break;
            }
        }
        free(packed);
    }
    free(head);
    if (hash) hash[strcspn(hash, "\r\n")] = '\0';
    return hash;
}

static int saw_output(void *user, int stream, const char *data, size_t n)
{
    (void)stream;
    (void)data;
    if (n) *(bool *)user = true;
    return 0;
}

/* True when `git status --porcelain` prints anything. ccodex's own query, so
 * not sandboxed; bounded so a stuck git cannot hold the turn. */
static bool git_has_changes(const char *root)
{
    char *argv[] = {"git", "-C", (char *)root, "status", "--porcelain", "--untracked-files=normal",
                    NULL};
    cx_proc_opts o = {.argv = argv, .io = CX_PROC_IO_DISCARD_ERR};
    bool any = false;
    cx_proc_run_opts r = {
        .timeout_ms = 10000, .drain_ms = -1, .on_output = saw_output, .user = &any};
    cx_proc_result res;
    if (cx__proc_run(&o, &r, &res, NULL, NULL) != 0) return false;
    return any && !res.timed_out && WIFEXITED(res.status) && WEXITSTATUS(res.status) == 0;
}

char *cx__context_turn_metadata(cx_context_cache *c, const char *turn_id)
{
    load_once(c);
    json_object *o = json_object_new_object();
    cx__json_set_str(o, "turn_id", turn_id);
    if (c->git_root) {
        char *head = git_head(c->git_root);
        json_object *ws = json_object_new_object();
        json_object *w = json_object_new_object();
        if (head) cx__json_set_str(w, "latest_git_commit_hash", head);
        cx__json_set(w, "has_changes", json_object_new_boolean(git_has_changes(c->git_root)));
        cx__json_set(ws, c->git_root, w);
        cx__json_set(o, "workspaces", ws);
        free(head);
    }
    const char *sb = c->cfg->sandbox_mode ? c->cfg->sandbox_mode : "read-only";
    cx__json_set_str(o, "sandbox", !strcmp(sb, "danger-full-access") ? "none" : "seccomp");
    char *s = cx__json_to_string(o);
    json_object_put(o);
    return s;
}

/* The current branch from .git/HEAD, or NULL when detached. */
static char *git_branch(const char *root)
{
    char *path = NULL;
    if (asprintf(&path, "%s/.git/HEAD", root) < 0) return NULL;
    char *head = cx__fs_slurp(path, 4096, NULL);
    free(path);
    char *branch = NULL;
    if (head && !strncmp(head, "ref: refs/heads/", 16)) {
        head[strcspn(head, "\r\n")] = '\0';
        branch = strdup(head + 16);
    }
    free(head);
    return branch;
}

json_object *cx__context_git_info(cx_context_cache *c)
{
    load_once(c);
    if (!c->git_root) return NULL;
    json_object *o = json_object_new_object();
    char *head = git_head(c->git_root), *branch = git_branch(c->git_root);
    if (head) cx__json_set_str(o, "commit_hash", head);
    if (branch) cx__json_set_str(o, "branch", branch);
    free(head);
    free(branch);
    return o;
}

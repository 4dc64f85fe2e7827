/* Sandbox policies: which directories a command may write, whether it may
 * reach the network (see sandbox.h). Kernel setup lives in linux.c and mounts.c. */
#include "sandbox/sandbox.h"

#include "base/json.h"
#include "ccodex/config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

const char *cx__sandbox_mode_name(cx_sandbox_mode m)
{
    return m == CX_SANDBOX_READ_ONLY         ? "read-only"
           : m == CX_SANDBOX_WORKSPACE_WRITE ? "workspace-write"
                                             : "danger-full-access";
}

void cx__sandbox_policy_free(cx_sandbox_policy *p)
{
    if (!p) return;
    for (size_t i = 0; i < p->n_writable; i++)
        free(p->writable[i]);
    for (size_t i = 0; i < p->n_read_only; i++)
        free(p->read_only[i]);
    free(p->writable);
    free(p->read_only);
    free(p);
}

/* Lexically normalised absolute path: "." and ".." and repeated '/' removed. */
static char *normalise(const char *path)
{
    size_t len = strlen(path);
    char *out = malloc(len + 2);
    if (!out) return NULL;
    size_t o = 0;
    const char *p = path;
    while (*p) {
        while (*p == '/')
            p++;
        const char *seg = p;
        while (*p && *p != '/')
            p++;
        size_t n = (size_t)(p - seg);
        if (n == 0 || (n == 1 && seg[0] == '.')) continue;
        if (n == 2 && seg[0] == '.' && seg[1] == '.') {
            while (o > 0 && out[o - 1] != '/')
                o--;
            if (o > 0) o--;
            continue;
        }
        out[o++] = '/';
        memcpy(out + o, seg, n);
        o += n;
    }
    if (o == 0) out[o++] = '/';
    out[o] = '\0';
    return out;
}

/* The path as the kernel will see it: symlinks of the longest existing prefix
 * resolved, the rest normalised. NULL for a relative path or no memory. */
static char *resolve(const char *path)
{
    if (!path || path[0] != '/') return NULL;
    char *norm = normalise(path);
    if (!norm) return NULL;
    size_t cut = strlen(norm);
    for (;;) {
        char saved = norm[cut];
        norm[cut] = '\0';
        char real[PATH_MAX];
        bool ok = realpath(cut ? norm : "/", real) != NULL;
        norm[cut] = saved;
        if (ok) {
            char *r = NULL;
            const char *rest = norm + cut;
            if (asprintf(&r, "%s%s", strcmp(real, "/") ? real : "", *rest ? rest : "") < 0)
                r = NULL;
            if (r && !*r) {
                free(r);
                r = strdup("/");
            }
            free(norm);
            return r;
        }
        if (cut == 0) break;
        do
            cut--;
        while (cut > 0 && norm[cut] != '/');
    }
    free(norm);
    return strdup("/");
}

static bool is_dir(const char *path)
{
    struct stat st;
    return path && stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int push(char ***list, size_t *n, char *s)
{
    if (!s) return CX_ENOMEM;
    for (size_t i = 0; i < *n; i++)
        if (!strcmp((*list)[i], s)) {
            free(s);
            return 0;
        }
    char **grown = realloc(*list, (*n + 1) * sizeof *grown);
    if (!grown) {
        free(s);
        return CX_ENOMEM;
    }
    *list = grown;
    grown[(*n)++] = s;
    return 0;
}

/* Adds root (if it is an existing directory) and its protected children. */
static int add_root(cx_sandbox_policy *p, const char *root)
{
    char *r = resolve(root);
    if (!r) return root && root[0] == '/' ? CX_ENOMEM : 0;
    if (!is_dir(r)) {
        free(r);
        return 0;
    }
    static const char *const protect[] = {".git", ".codex"};
    for (size_t i = 0; i < 2; i++) {
        char *sub = NULL;
        if (asprintf(&sub, "%s/%s", strcmp(r, "/") ? r : "", protect[i]) < 0) {
            free(r);
            return CX_ENOMEM;
        }
        struct stat st;
        if (lstat(sub, &st) == 0 && !S_ISLNK(st.st_mode)) {
            if (push(&p->read_only, &p->n_read_only, sub)) {
                free(r);
                return CX_ENOMEM;
            }
        } else {
            free(sub);
        }
    }
    return push(&p->writable, &p->n_writable, r);
}

int cx__sandbox_policy_new(cx_sandbox_mode mode, bool network, const char *const *roots,
                           size_t n_roots, cx_sandbox_policy **out, cx_error *err)
{
    *out = NULL;
    cx_sandbox_policy *p = calloc(1, sizeof *p);
    if (!p) return cx_error_set(err, CX_ENOMEM, "out of memory");
    p->mode = mode;
    p->network = mode == CX_SANDBOX_FULL_ACCESS || network;
    if (mode == CX_SANDBOX_WORKSPACE_WRITE)
        for (size_t i = 0; i < n_roots; i++)
            if (add_root(p, roots[i])) {
                cx__sandbox_policy_free(p);
                return cx_error_set(err, CX_ENOMEM, "out of memory");
            }
    *out = p;
    return 0;
}

int cx__sandbox_policy_widen(cx_sandbox_policy *p, const char *const *roots, size_t n_roots,
                             bool network)
{
    if (p->mode == CX_SANDBOX_FULL_ACCESS) return 0;
    if (network) p->network = true;
    for (size_t i = 0; i < n_roots; i++)
        if (add_root(p, roots[i])) return CX_ENOMEM;
    return 0;
}

int cx__sandbox_policy_from_config(const cx_config *cfg, const char *cwd,
                                   const char *const *extra_roots, size_t n_extra,
                                   cx_sandbox_policy **out, cx_error *err)
{
    if (!cfg) return cx__sandbox_policy_new(CX_SANDBOX_FULL_ACCESS, true, NULL, 0, out, err);
    const char *m = cfg->sandbox_mode ? cfg->sandbox_mode : "read-only";
    cx_sandbox_mode mode = !strcmp(m, "danger-full-access") ? CX_SANDBOX_FULL_ACCESS
                           : !strcmp(m, "workspace-write")  ? CX_SANDBOX_WORKSPACE_WRITE
                                                            : CX_SANDBOX_READ_ONLY;
    json_object *ww = cfg->root ? cx__json_get(cfg->root, "sandbox_workspace_write") : NULL;
    bool net = false, no_tmp = false, no_tmpdir = false;
    if (ww) {
        cx__json_get_bool(ww, "network_access", &net);
        cx__json_get_bool(ww, "exclude_slash_tmp", &no_tmp);
        cx__json_get_bool(ww, "exclude_tmpdir_env_var", &no_tmpdir);
    }
    /* upstream's order: configured roots and --add-dir, memories, cwd, /tmp, $TMPDIR */
    size_t cap = n_extra + 8;
    json_object *cfg_roots = ww ? cx__json_get(ww, "writable_roots") : NULL;
    size_t n_cfg = cfg_roots && json_object_is_type(cfg_roots, json_type_array)
                       ? json_object_array_length(cfg_roots)
                       : 0;
    cap += n_cfg;
    const char **roots = calloc(cap, sizeof *roots);
    char *memories = NULL;
    if (!roots || (cfg->codex_home && asprintf(&memories, "%s/memories", cfg->codex_home) < 0)) {
        free(roots);
        return cx_error_set(err, CX_ENOMEM, "out of memory");
    }
    size_t n = 0;
    for (size_t i = 0; i < n_cfg; i++) {
        const char *s = json_object_get_string(json_object_array_get_idx(cfg_roots, i));
        if (s) roots[n++] = s;
    }
    for (size_t i = 0; i < n_extra; i++)
        roots[n++] = extra_roots[i];
    if (memories) roots[n++] = memories;
    if (cwd) roots[n++] = cwd;
    if (!no_tmp) roots[n++] = "/tmp";
    const char *tmpdir = getenv("TMPDIR");
    if (!no_tmpdir && tmpdir && *tmpdir) roots[n++] = tmpdir;
    /* the [sandbox_workspace_write] table governs workspace-write only */
    int rc =
        cx__sandbox_policy_new(mode, net && mode == CX_SANDBOX_WORKSPACE_WRITE, roots, n, out, err);
    bool legacy = false;
    if (cfg->features) cx__json_get_bool(cfg->features, "use_legacy_landlock", &legacy);
    if (!rc && *out) (*out)->legacy_landlock = legacy;
    free(memories);
    free(roots);
    return rc;
}

static bool under(const char *path, const char *root)
{
    size_t n = strlen(root);
    if (!strcmp(root, "/")) return true;
    return !strncmp(path, root, n) && (path[n] == '\0' || path[n] == '/');
}

bool cx__sandbox_policy_allows_write(const cx_sandbox_policy *p, const char *path)
{
    if (p->mode == CX_SANDBOX_FULL_ACCESS) return true;
    char *r = resolve(path);
    if (!r) return false;
    bool ok = false;
    for (size_t i = 0; i < p->n_writable && !ok; i++)
        ok = under(r, p->writable[i]);
    for (size_t i = 0; i < p->n_read_only && ok; i++)
        if (under(r, p->read_only[i])) ok = false;
    free(r);
    return ok;
}

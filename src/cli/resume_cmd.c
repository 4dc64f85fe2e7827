/* `resume` on the command line: which stored session `exec resume` and
 * `ccodex resume` continue (SESSIONS.md §3.2). By id (or thread name) any
 * session is found; --last takes the most recently updated one started in
 * this directory (--all: anywhere) with the current provider. Nothing found
 * is not an error: a new session starts, as upstream does. */
#include "cli/cli.h"

#include "ccodex/session.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

bool cx_cli_resume_positional(cx_cli_opts *o, const char *arg)
{
    if (!o->resume_last && !o->resume_id) {
        o->resume_id = arg;
        return true;
    }
    if (o->prompt) return false;
    o->prompt = arg;
    return true;
}

char *cx_cli_resume_path(const cx_cli_opts *o, const cx_config *cfg, bool interactive)
{
    if (!o->resume) return NULL;
    char *cwd = o->cwd ? realpath(o->cwd, NULL) : getcwd(NULL, 0);
    /* `exec resume --last ID`-less with --last: an id given too is the prompt */
    cx_session_query q = {
        .codex_home = cfg->codex_home,
        .id = o->resume_last ? NULL : o->resume_id,
        .cwd = o->resume_all ? NULL : cwd,
        .provider = cfg->model_provider_id ? cfg->model_provider_id : cfg->provider.id,
        .interactive_only = interactive && !o->resume_last,
    };
    char *path = NULL;
    cx_error err;
    int rc = (q.id || o->resume_last) ? cx_session_find(&q, &path, &err) : CX_ENOTFOUND;
    if (rc && rc != CX_ENOTFOUND) fprintf(stderr, "warning: %s\n", err.msg);
    free(cwd);
    return rc ? NULL : path;
}

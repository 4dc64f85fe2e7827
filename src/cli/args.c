/* The command line of `ccodex [OPTIONS] [PROMPT...]` and `ccodex [OPTIONS]
 * exec [OPTIONS] [PROMPT|-]`, parsed the way upstream 0.115.0's clap
 * definitions take them (see docs/EXEC.md): exec options after `exec`,
 * `-i/--image` taking every following value up to the next option, and the
 * few top-level options exec honours (-c, --full-auto, ...) before it. */
#include "cli/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Where a parsed option may appear. */
enum { TOP = 1, EXEC = 2, BOTH = 3 };

typedef enum opt_id {
    O_HELP,
    O_VERSION,
    O_JSON,
    O_MODEL,
    O_PROFILE,
    O_CONFIG,
    O_SANDBOX,
    O_APPROVAL,
    O_CD,
    O_VLLM,
    O_CHAT,
    O_PUT,
    O_CALL,
    O_SKIP_GIT,
    O_FULL_AUTO,
    O_BYPASS,
    O_ADD_DIR,
    O_OUTPUT_LAST,
    O_OUTPUT_SCHEMA,
    O_IMAGE,
    O_COLOR,
    O_OSS,
    O_LOCAL_PROVIDER,
    O_ENABLE,
    O_DISABLE,
    O_PROGRESS_CURSOR,
    O_EPHEMERAL,
    O_SEARCH,
} opt_id;

typedef struct opt_def {
    const char *s, *l; /* short and long spellings (either may be NULL) */
    opt_id id;
    int where;
    bool takes_value;
} opt_def;

static const opt_def OPTS[] = {
    {"-h", "--help", O_HELP, BOTH, false},
    {"-V", "--version", O_VERSION, BOTH, false},
    {NULL, "--json", O_JSON, BOTH, false},
    {NULL, "--experimental-json", O_JSON, BOTH, false},
    {"-m", "--model", O_MODEL, BOTH, true},
    {"-p", "--profile", O_PROFILE, BOTH, true},
    {"-c", "--config", O_CONFIG, BOTH, true},
    {"-s", "--sandbox", O_SANDBOX, BOTH, true},
    {"-a", "--ask-for-approval", O_APPROVAL, TOP, true},
    {"-C", "--cd", O_CD, BOTH, true},
    {NULL, "--vllm-endpoint", O_VLLM, BOTH, true},
    {NULL, "--use-chat-completion", O_CHAT, BOTH, false},
    {NULL, "--put", O_PUT, TOP, true},
    {NULL, "--call", O_CALL, TOP, true},
    {NULL, "--skip-git-repo-check", O_SKIP_GIT, BOTH, false},
    {NULL, "--full-auto", O_FULL_AUTO, BOTH, false},
    {NULL, "--dangerously-bypass-approvals-and-sandbox", O_BYPASS, BOTH, false},
    {NULL, "--yolo", O_BYPASS, BOTH, false},
    {NULL, "--add-dir", O_ADD_DIR, BOTH, true},
    {"-o", "--output-last-message", O_OUTPUT_LAST, EXEC, true},
    {NULL, "--output-schema", O_OUTPUT_SCHEMA, EXEC, true},
    {"-i", "--image", O_IMAGE, BOTH, true},
    {NULL, "--color", O_COLOR, EXEC, true},
    {NULL, "--oss", O_OSS, BOTH, false},
    {NULL, "--local-provider", O_LOCAL_PROVIDER, BOTH, true},
    {NULL, "--enable", O_ENABLE, BOTH, true},
    {NULL, "--disable", O_DISABLE, BOTH, true},
    {NULL, "--progress-cursor", O_PROGRESS_CURSOR, EXEC, false},
    {NULL, "--ephemeral", O_EPHEMERAL, BOTH, false},
    {NULL, "--search", O_SEARCH, BOTH, false},
};

/* Finds the option `arg` spells; *inline_value is set for --long=VALUE. */
static const opt_def *find_opt(const char *arg, const char **inline_value)
{
    *inline_value = NULL;
    for (size_t i = 0; i < sizeof OPTS / sizeof OPTS[0]; i++) {
        const opt_def *d = &OPTS[i];
        if (d->s && !strcmp(arg, d->s)) return d;
        if (!d->l) continue;
        size_t n = strlen(d->l);
        if (!strncmp(arg, d->l, n) && (arg[n] == '\0' || (arg[n] == '=' && d->takes_value))) {
            if (arg[n] == '=') *inline_value = arg + n + 1;
            return d;
        }
    }
    return NULL;
}

static int push(const char ***arr, size_t *n, const char *v)
{
    const char **p = realloc(*arr, (*n + 2) * sizeof *p);
    if (!p) return -1;
    p[(*n)++] = v;
    p[*n] = NULL;
    *arr = p;
    return 0;
}

/* Keeps a string the options point into until cx_cli_opts_free. */
static const char *keep(cx_cli_opts *o, char *s)
{
    if (!s || push((const char ***)&o->owned, &o->n_owned, s)) {
        free(s);
        return NULL;
    }
    return s;
}

static int add_override(cx_cli_opts *o, const char *spec)
{
    return spec && !push(&o->overrides, &o->n_overrides, spec) ? 0 : -1;
}

/* --enable/--disable FEATURE are `-c features.FEATURE=true|false`. */
static int feature_override(cx_cli_opts *o, const char *name, bool on)
{
    char *s = NULL;
    if (asprintf(&s, "features.%s=%s", name, on ? "true" : "false") < 0) return -1;
    return add_override(o, keep(o, s));
}

/* -i/--image values: comma separated, several per argument. */
static int add_images(cx_cli_opts *o, const char *value)
{
    if (!value) return -1;
    char *copy = (char *)keep(o, strdup(value));
    if (!copy) return -1;
    char *save = NULL;
    for (char *p = strtok_r(copy, ",", &save); p; p = strtok_r(NULL, ",", &save))
        if (*p && push(&o->images, &o->n_images, p)) return -1;
    return 0;
}

static int apply(cx_cli_opts *o, const opt_def *d, const char *v)
{
    switch (d->id) {
    case O_JSON:
        o->json = true;
        break;
    case O_MODEL:
        o->model = v;
        break;
    case O_PROFILE:
        o->profile = v;
        break;
    case O_CONFIG:
        return add_override(o, v);
    case O_SANDBOX:
        o->sandbox = v;
        break;
    case O_APPROVAL:
        o->approval = v;
        break;
    case O_CD:
        o->cwd = v;
        break;
    case O_VLLM:
        o->vllm_endpoint = v;
        break;
    case O_CHAT:
        o->use_chat_completion = true;
        break;
    case O_PUT:
        o->put = v;
        break;
    case O_CALL:
        o->call = v;
        break;
    case O_SKIP_GIT:
        o->skip_git_repo_check = true;
        break;
    case O_FULL_AUTO:
        o->full_auto = true;
        break;
    case O_BYPASS:
        o->bypass = true;
        break;
    case O_ADD_DIR:
        return push(&o->add_dirs, &o->n_add_dirs, v);
    case O_OUTPUT_LAST:
        o->last_message_file = v;
        break;
    case O_OUTPUT_SCHEMA:
        o->output_schema = v;
        break;
    case O_IMAGE:
        return add_images(o, v);
    case O_COLOR:
        if (!v || (strcmp(v, "always") && strcmp(v, "never") && strcmp(v, "auto"))) {
            fprintf(stderr,
                    "error: invalid value '%s' for '--color <COLOR>'\n"
                    "  [possible values: always, never, auto]\n",
                    v);
            return 2;
        }
        o->color = v;
        break;
    case O_OSS:
        o->oss = true;
        break;
    case O_LOCAL_PROVIDER:
        o->local_provider = v;
        break;
    case O_ENABLE:
        return feature_override(o, v, true);
    case O_DISABLE:
        return feature_override(o, v, false);
    case O_PROGRESS_CURSOR:
        o->progress_cursor = true;
        break;
    case O_EPHEMERAL:
        o->ephemeral = true;
        break;
    case O_SEARCH:
        o->search = true;
        break;
    case O_HELP:
    case O_VERSION:
        break;
    }
    return 0;
}

static int unexpected(const char *arg, bool exec_phase)
{
    fprintf(stderr,
            "error: unexpected argument '%s' found\n\n"
            "Usage: ccodex %s\n\nFor more information, try '--help'.\n",
            arg, exec_phase ? "exec [OPTIONS] [PROMPT]" : "[OPTIONS] [PROMPT]...");
    return 2;
}

/* Joins the words of a top-level prompt with single spaces. */
static const char *join_words(cx_cli_opts *o, char **words, int n)
{
    size_t len = 1;
    for (int i = 0; i < n; i++)
        len += strlen(words[i]) + 1;
    char *s = malloc(len);
    if (!s) return NULL;
    size_t at = 0;
    for (int i = 0; i < n; i++) {
        if (i) s[at++] = ' ';
        size_t w = strlen(words[i]);
        memcpy(s + at, words[i], w);
        at += w;
    }
    s[at] = '\0';
    return keep(o, s);
}

int cx_cli_parse(int argc, char **argv, cx_cli_opts *o, cx_cli_action *action)
{
    *action = CX_CLI_RUN;
    bool exec_phase = false;
    const char *top_sandbox = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--")) {
            if (i + 1 < argc) {
                o->prompt = exec_phase ? argv[i + 1] : join_words(o, argv + i + 1, argc - i - 1);
                if (exec_phase && i + 2 < argc) return unexpected(argv[i + 2], true);
            }
            break;
        }
        if (o->resume && (!strcmp(a, "--last") || !strcmp(a, "--all"))) {
            if (!strcmp(a, "--last"))
                o->resume_last = true;
            else
                o->resume_all = true;
            continue;
        }
        if (a[0] == '-' && a[1] != '\0') {
            const char *inline_v;
            const opt_def *d = find_opt(a, &inline_v);
            if (!d || !(d->where & (exec_phase ? EXEC : TOP))) {
                if (d || a[1] != '-') return unexpected(a, exec_phase);
                fprintf(stderr, "error: unknown option '%s' (see ccodex --help)\n", a);
                return 2;
            }
            if (d->id == O_HELP) {
                *action = CX_CLI_HELP;
                return 0;
            }
            if (d->id == O_VERSION) {
                *action = CX_CLI_VERSION;
                return 0;
            }
            const char *v = inline_v;
            if (d->takes_value && !v) {
                if (i + 1 >= argc) {
                    fprintf(stderr,
                            "error: a value is required for '%s <VALUE>' but none was supplied\n",
                            a);
                    return 2;
                }
                v = argv[++i];
            }
            if (!exec_phase && d->id == O_SANDBOX) {
                top_sandbox = v;
                continue;
            }
            int rc = apply(o, d, v);
            if (rc) return rc < 0 ? 1 : rc;
            /* -i takes every following value up to the next option, so a
               prompt after it is taken for an image (as upstream's clap does) */
            if (d->id == O_IMAGE && !inline_v)
                while (i + 1 < argc && argv[i + 1][0] != '-')
                    if (add_images(o, argv[++i])) return 1;
            continue;
        }
        if (!exec_phase && !o->prompt && !o->command && (!strcmp(a, "exec") || !strcmp(a, "e"))) {
            o->command = "exec";
            exec_phase = true;
            continue;
        }
        /* `resume [--last [--all]|ID] [PROMPT]`, at the top level or after exec
           (exec's options may follow it, as the SDK passes --image) */
        if (!o->resume && !o->prompt && !strcmp(a, "resume") && (exec_phase || !o->command)) {
            o->resume = true;
            continue;
        }
        if (o->resume) {
            if (!cx_cli_resume_positional(o, a)) return unexpected(a, exec_phase);
            continue;
        }
        if (exec_phase) {
            if (o->prompt) return unexpected(a, true);
            o->prompt = a;
            continue;
        }
        /* the top-level one-shot: every remaining word is the prompt */
        o->prompt = join_words(o, argv + i, argc - i);
        if (!o->prompt) return 1;
        break;
    }
    /* upstream's exec takes its sandbox from exec's own -s, -c or
       --full-auto; a top-level -s (and -a) only shape the interactive UI */
    if (!exec_phase && top_sandbox) o->sandbox = top_sandbox;
    if (exec_phase) o->approval = NULL;
    /* upstream's interactive client turns on live web search; its exec
       accepts the flag and keeps cached search */
    if (!exec_phase && o->search && add_override(o, "web_search=\"live\"")) return 1;
    return 0;
}

void cx_cli_opts_free(cx_cli_opts *o)
{
    for (size_t i = 0; i < o->n_owned; i++)
        free(o->owned[i]);
    free(o->owned);
    free(o->overrides);
    free(o->images);
    free(o->add_dirs);
    memset(o, 0, sizeof *o);
}

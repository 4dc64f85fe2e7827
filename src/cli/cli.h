/* Shared pieces of the ccodex command line: parsed options and the commands.
 * Only the CLI prints; the library reports through errors and events. */
#ifndef CX_CLI_CLI_H
#define CX_CLI_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "ccodex/agent.h"
#include "ccodex/config.h"

typedef struct cx_cli_opts {
    const char *command; /* "exec", or NULL for the top-level one-shot / REPL */
    const char *model;
    const char *profile;
    const char *sandbox;
    const char *approval;
    const char *cwd;
    const char *codex_home;
    const char *vllm_endpoint;
    bool use_chat_completion; /* reach the provider through the in-process responses server */
    const char *put;          /* --put [PATH]@HOST:PORT */
    const char *call;         /* --call SECRET-CALLID@HOST:PORT */
    const char **overrides;   /* -c KEY=VALUE, then --enable/--disable as features.X */
    size_t n_overrides;
    bool json;                     /* --json / --experimental-json */
    bool search;                   /* --search: live web search for the interactive client */
    const char *prompt;            /* NULL: read stdin / interactive; "-": stdin (exec) */
    const char *last_message_file; /* -o */
    const char *output_schema;     /* --output-schema FILE */
    const char **images;           /* -i/--image paths */
    size_t n_images;
    const char **add_dirs; /* --add-dir: extra writable roots for workspace-write */
    size_t n_add_dirs;
    const char *color;          /* --color always|never|auto (NULL: auto) */
    bool oss;                   /* --oss */
    const char *local_provider; /* --local-provider ollama|lmstudio */
    bool progress_cursor, skip_git_repo_check, ephemeral, full_auto, bypass;
    /* sessions (resume_cmd.c) */
    bool resume;           /* `exec resume ...` / `ccodex resume ...` */
    bool resume_last;      /* --last */
    bool resume_all;       /* --all: --last looks beyond the current directory */
    const char *resume_id; /* a session id or thread name */
    char **owned;          /* strings the fields above point into */
    size_t n_owned;
} cx_cli_opts;

typedef enum cx_cli_action { CX_CLI_RUN, CX_CLI_HELP, CX_CLI_VERSION } cx_cli_action;

/* Parses argv (after the program name's subcommands serve/doctor/... were
 * ruled out) into o (zeroed by the caller; free with cx_cli_opts_free).
 * Returns 0, or the exit code after printing the error (2 for usage). */
int cx_cli_parse(int argc, char **argv, cx_cli_opts *o, cx_cli_action *action);
void cx_cli_opts_free(cx_cli_opts *o);

/* The rollout file `resume` continues (new string), or NULL when none
 * matches (upstream then starts a new session silently). */
char *cx_cli_resume_path(const cx_cli_opts *o, const cx_config *cfg, bool interactive);
/* Handles a positional argument after `resume`: the id unless --last was
 * given or the id is set, then the prompt. Returns false when there are too many. */
bool cx_cli_resume_positional(cx_cli_opts *o, const char *arg);

struct cx_rserver;
/* Loads config per opts; prints the error itself and returns NULL on failure.
 * When the session needs the responses server (--vllm-endpoint,
 * --use-chat-completion, or a provider with wire_api = "chat"), starts it
 * in-process on a free loopback port, points the provider at it and sets
 * *bridge (free it with cx__rserver_free after the agent); else *bridge = NULL. */
cx_config *cx_cli_load_config(const cx_cli_opts *o, bool interactive, struct cx_rserver **bridge);

/* For commands that call the model: true (after saying how to set one) when
 * the provider needs an API key and has none, so the user learns it before
 * any request rather than after failed ones and their retries. */
bool cx_cli_missing_key(const cx_cli_opts *o, const cx_config *cfg);

/* `ccodex exec` and the one-shot form: one turn, exit code 0 on success. */
int cx_cli_exec(const cx_cli_opts *o, bool exec_mode);

/* --oss (oss.c): the local provider chosen (--local-provider, else
 * oss_provider in config.toml), or NULL after printing upstream's error;
 * its default model; and the server check before the turn (probes, version,
 * model pull), 0 when ready, else 1 after one "Error: ..." line. */
const char *cx_cli_oss_provider(const cx_cli_opts *o, const cx_config *cfg);
const char *cx_cli_oss_default_model(const char *provider);
int cx_cli_oss_ready(const cx_config *cfg);
/* The interactive REPL. */
int cx_cli_repl(const cx_cli_opts *o);
/* The provider's model ids, comma separated (new string), or NULL with err. */
char *cx_cli_list_models(const cx_config *cfg, cx_error *err);
/* `ccodex serve ...` (argv[0] is "serve"). */
int cx_cli_serve(int argc, char **argv);
/* `ccodex sandbox linux ...` (argv[0] is "sandbox"). */
int cx_cli_sandbox(int argc, char **argv);
/* `ccodex doctor ...` (argv[0] is "doctor"). */
int cx_cli_doctor(int argc, char **argv);
/* `ccodex --put [PATH]@HOST:PORT`: uploads a CODEX_HOME bundle, checks it with
 * a real call and prints the `ccodex --call ...` line. Returns the exit code. */
int cx_cli_portable_put(const char *spec);
/* `ccodex --call TOKEN`: downloads and unpacks the bundle into a fresh
 * directory; on success returns 0 and sets *home to that directory (malloc'd),
 * which the caller uses as CODEX_HOME. Prints its own error otherwise. */
int cx_cli_portable_call(const char *token, char **home);
/* `ccodex storage-server ...` (argv[0] is "storage-server"): the portable-mode
 * storage server. */
int cx_cli_storage_server(int argc, char **argv);

/* --version --verbose: build, library versions, CA certificates, Node.js. */
int cx_cli_version_verbose(FILE *f);

/* Maps agent events to upstream's `exec --json` JSONL lines. */
typedef struct cx_jsonl cx_jsonl;
cx_jsonl *cx_jsonl_new(FILE *out);
void cx_jsonl_free(cx_jsonl *j);
void cx_jsonl_thread_started(cx_jsonl *j, const char *thread_id);
void cx_jsonl_event(cx_jsonl *j, const cx_event *ev);
void cx_jsonl_error(cx_jsonl *j, const char *message);

/* exec's human output on stderr (exec_human.c). */
typedef struct cx_exec_human cx_exec_human;
/* Whether --color MODE (NULL: auto) colours output written to fd. */
bool cx_exec_color_enabled(const char *mode, int fd);
cx_exec_human *cx_exec_human_new(FILE *err, bool color, const char *cwd);
void cx_exec_human_free(cx_exec_human *h);
/* mcp_line: end with "mcp startup: no servers" (no MCP server is configured). */
void cx_exec_human_banner(cx_exec_human *h, const cx_config *cfg, const char *session_id,
                          const char *prompt, bool mcp_line);
void cx_exec_human_event(cx_exec_human *h, const cx_event *ev);
void cx_exec_human_tokens(cx_exec_human *h, long long total);

/* exec's inputs and side outputs (exec_io.c). Each prints its own error. */
/* The --output-schema file as JSON (new), or NULL after printing upstream's
 * error. */
json_object *cx_exec_load_schema(const char *path);
/* The user-message parts for -i images: per image the [Image #N] markers
 * around an input_image data URL, or the text saying why it was not read. */
json_object *cx_exec_image_parts(const char *const *paths, size_t n);
/* -o: writes the last message (or an empty file with upstream's warning). */
void cx_exec_write_last_message(const char *path, const char *message);
/* Runs the configured `notify` program with upstream's agent-turn-complete
 * JSON as its last argument, in cwd, waiting for it (at most 10 s). */
void cx_exec_notify(const cx_config *cfg, const char *client, const char *thread_id,
                    const char *turn_id, const char *cwd, const char *prompt,
                    const char *last_message);
/* True when dir is inside a git work tree (exec refuses to run elsewhere
 * unless --skip-git-repo-check). */
bool cx_exec_in_git_repo(const char *dir);

#endif
